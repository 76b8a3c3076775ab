//! Answering: deciding on an answer against the exam's state and applying the decision.

use super::*;

/// Why an answer was refused.
#[derive(Debug)]
pub enum AnswerRefused {
    /// The deadline passed; the exam has been finished under its program's rule.
    TimeUp,
    /// The exam is over.
    Finished,
    /// That position is not the one on screen (or was answered with another option).
    WrongPosition(String),
    BadOption,
}

pub enum AnswerResult {
    /// What the student sees next (boxed: a view is far larger than a refusal).
    Next(Box<CurrentView>),
    Refused(AnswerRefused),
}

/// What answering needs of an exam, wherever it comes from: the running-exam cache
/// ([`RunningExams`]) or the database ([`load_state`]). Both paths then take the same step.
pub struct ExamState {
    pub(super) exam: db::ExamRow,
    pub(super) cfg: ExamConfig,
    /// Presented items in position order; the last one unanswered is on screen. Rows added here
    /// carry id 0 (their database id is not read back; nothing uses it).
    pub(super) rows: Vec<db::ExamItemRow>,
    /// The engine, replayed up to and including the item on screen.
    pub(super) session: Session,
    pub(super) live: Arc<ExamPool>,
    /// Items this person saw recently before the exam, indexed for `live`'s pool.
    pub(super) seen: SelectionContext,
}

/// The exam's state rebuilt from the database: its items, its pool, the engine replayed.
pub(super) fn load_state(
    st: &AppState,
    c: &mut DbConn,
    exam: db::ExamRow,
    now: PrimitiveDateTime,
) -> AppResult<ExamState> {
    let cfg = load_config(&exam)?;
    let rows = db::items_of(c, exam.id)?;
    let live = exam_pool(st, c, &cfg, &rows, now)?;
    let session = replay(&cfg, &exam, &live.pool, &rows)?;
    let ids: Vec<String> = crate::services::stored("exam.seen", &exam.seen)?;
    let seen = SelectionContext::new(&live.pool, &ids);
    Ok(ExamState {
        exam,
        cfg,
        rows,
        session,
        live,
        seen,
    })
}

/// The content of the item presented at `position` (from the pool when it holds that version).
pub(super) fn row_content(
    c: &mut DbConn,
    state: &ExamState,
    position: i32,
) -> AppResult<Option<ItemContent>> {
    let Some(row) = state.rows.iter().find(|r| r.position == position) else {
        return Ok(None);
    };
    match state
        .live
        .items
        .get(&row.item_id)
        .filter(|e| e.version == row.version)
    {
        Some(e) => Ok(Some((*e.content).clone())),
        None => version_content(c, &row.item_id, row.version).map(Some),
    }
}

/// The decision on one answer.
pub(super) enum Verdict {
    Refused(AnswerRefused),
    /// The same answer again (a double click, a retried request): nothing to write.
    Repeat {
        position: i32,
    },
    /// The deadline has passed: the exam is finished under its program's rule.
    Overdue,
    /// A new answer, already recorded in the state with the next item chosen (if any).
    Answered {
        position: i32,
        chosen: i32,
        correct: bool,
        next: Option<Choice>,
    },
}

/// The one answer step, used by every path: what answering `position` with the displayed option
/// `display` does to the exam's `state` at `now`. A new answer is recorded in the state (the row
/// and the engine) and the next item chosen; nothing is written here.
pub(super) fn decide(
    state: &mut ExamState,
    position: i32,
    display: usize,
    content: Option<&ItemContent>,
    now: PrimitiveDateTime,
) -> AppResult<Verdict> {
    let exam = &state.exam;
    let over = || {
        if exam.outcome.as_deref() == Some("time_out") {
            AnswerRefused::TimeUp
        } else {
            AnswerRefused::Finished
        }
    };
    let found = state.rows.iter().position(|r| r.position == position);
    if let Some(idx) = found
        && let Some(prev) = state.rows[idx].chosen
    {
        // Already answered: the same answer again is a harmless repeat.
        let chosen = order_of(&state.rows[idx].option_order)[display] as i32;
        return Ok(if prev == chosen {
            Verdict::Repeat { position }
        } else {
            Verdict::Refused(AnswerRefused::WrongPosition(format!(
                "Question {position} has already been answered."
            )))
        });
    }
    // The exam's status and clock come before the position: an exam finished at its deadline
    // has dropped the question that was on screen, which must read as "time is up", not as a
    // wrong position.
    if exam.status != db::IN_PROGRESS {
        return Ok(Verdict::Refused(over()));
    }
    if exam.deadline_at.is_some_and(|d| now >= d) {
        return Ok(Verdict::Overdue);
    }
    let Some(idx) = found else {
        return Ok(Verdict::Refused(AnswerRefused::WrongPosition(format!(
            "Question {position} is not the current question."
        ))));
    };
    let chosen = order_of(&state.rows[idx].option_order)[display] as i32;
    let content = content
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("no content for question {position}")))?;
    let correct = chosen as usize == content.key;
    let row = &mut state.rows[idx];
    row.chosen = Some(chosen);
    row.correct = Some(correct);
    row.answered_at = Some(now);
    let item_id = row.item_id.clone();
    let session = &mut state.session;
    session.record(&item_id, correct).map_err(engine_err)?;
    if state.cfg.timed {
        session.check_time(elapsed_secs(exam, now));
    }
    let next = if session.is_finished().is_none() {
        session
            .next_item(&state.live.pool, &state.seen)
            .map_err(engine_err)?
    } else {
        None
    };
    Ok(Verdict::Answered {
        position,
        chosen,
        correct,
        next,
    })
}

/// How [`write`] knows that the exam is still running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Guard {
    /// The caller checked it in this transaction.
    Checked,
    /// The answer's UPDATE checks it (on PostgreSQL locking the exam's row), one round trip less.
    InUpdate,
}

/// Carries out a verdict inside the caller's transaction: stores a new answer and the next item
/// (or finishes the exam) and returns what the student sees next. `None` when the question was
/// answered meanwhile by another request: nothing has been written and the caller starts over.
pub(super) fn write(
    st: &AppState,
    c: &mut DbConn,
    state: &mut ExamState,
    verdict: Verdict,
    content: Option<&ItemContent>,
    now: PrimitiveDateTime,
    guard: Guard,
) -> AppResult<Option<AnswerResult>> {
    let feedback = |state: &ExamState, position: i32| {
        let row = state.rows.iter().find(|r| r.position == position);
        match (state.cfg.feedback, row, content) {
            (true, Some(row), Some(content)) => Some(feedback_of(row, content)),
            _ => None,
        }
    };
    let (position, chosen, correct, next) = match verdict {
        Verdict::Refused(r) => return Ok(Some(AnswerResult::Refused(r))),
        Verdict::Overdue => {
            finish_if_overdue(st, c, &state.exam, now)?;
            return Ok(Some(AnswerResult::Refused(AnswerRefused::TimeUp)));
        }
        Verdict::Repeat { position } => {
            let fb = feedback(state, position);
            let view = current_view_with(
                c,
                &state.exam,
                &state.cfg,
                &state.rows,
                Some(&state.live),
                now,
                fb,
            )?;
            return Ok(Some(AnswerResult::Next(Box::new(view))));
        }
        Verdict::Answered {
            position,
            chosen,
            correct,
            next,
        } => (position, chosen, correct, next),
    };
    let only_if_running = guard == Guard::InUpdate;
    let recorded = db::answer(
        c,
        state.exam.id,
        position,
        chosen,
        correct,
        now,
        only_if_running,
    )?;
    if !recorded {
        return Ok(None);
    }
    if state.cfg.kind == ExamKind::Drill
        && let Some(row) = state.rows.iter().find(|r| r.position == position)
    {
        super::memory::remember(c, state.exam.user_id, row, correct, now)?;
    }
    let fb = feedback(state, position);
    let Some(choice) = next else {
        finish(
            st,
            c,
            &state.exam,
            &state.cfg,
            &state.session,
            &state.rows,
            now,
        )?;
        let exam =
            db::find_by_public_id(c, &state.exam.public_id)?.ok_or_else(AppError::not_found)?;
        let view = current_view_with(c, &exam, &state.cfg, &state.rows, None, now, fb)?;
        return Ok(Some(AnswerResult::Next(Box::new(view))));
    };
    let row = present(c, &state.exam, &state.live, &choice, position + 1, now)?;
    state.rows.push(row);
    let view = current_view_with(
        c,
        &state.exam,
        &state.cfg,
        &state.rows,
        Some(&state.live),
        now,
        fb,
    )?;
    Ok(Some(AnswerResult::Next(Box::new(view))))
}

/// [`write`] for a caller that has checked in this transaction that the exam is running.
fn write_checked(
    st: &AppState,
    c: &mut DbConn,
    state: &mut ExamState,
    verdict: Verdict,
    content: Option<&ItemContent>,
    now: PrimitiveDateTime,
) -> AppResult<Option<AnswerResult>> {
    write(st, c, state, verdict, content, now, Guard::Checked)
}

/// Records the answer to `position` and presents the next item (or finishes the exam). A repeated
/// identical answer (double click, retried request) changes nothing and returns the same state.
///
/// Every path takes the same step ([`decide`], then [`write`]); they differ only in where the
/// exam's state comes from:
/// - running: the state kept in memory while the exam runs ([`RunningExams`]): one short write;
/// - read: the state rebuilt on a plain read, written in a short transaction that first checks
///   the exam is still running;
/// - locked: if another request got there first, everything again under the exam's lock.
#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id, position = ?position))]
pub async fn answer(
    state: &AppState,
    user_id: i64,
    public_id: String,
    position: i32,
    option: String,
) -> AppResult<AnswerResult> {
    let Some(display) = display_index(&option) else {
        return Ok(AnswerResult::Refused(AnswerRefused::BadOption));
    };
    if let Some(r) = answer_running(state, user_id, &public_id, position, display).await {
        return Ok(r);
    }
    // Read: the engine's work on a plain read; the write only checks and stores.
    let st = state.clone();
    let pid = public_id.clone();
    let (mut exam_state, verdict, content) = state
        .db(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &pid)?;
            let mut s = load_state(&st, c, exam, now)?;
            let content = row_content(c, &s, position)?;
            let verdict = decide(&mut s, position, display, content.as_ref(), now)?;
            Ok((s, verdict, content))
        })
        .await?;
    match verdict {
        Verdict::Refused(r) => return Ok(AnswerResult::Refused(r)),
        Verdict::Repeat { .. } => {
            let st = state.clone();
            let r = state
                .db(move |c| {
                    let now = st.clock.now();
                    write_checked(&st, c, &mut exam_state, verdict, content.as_ref(), now)
                })
                .await?;
            if let Some(r) = r {
                return Ok(r);
            }
        }
        Verdict::Overdue => {}
        Verdict::Answered { .. } => {
            let st = state.clone();
            let written = state
                .tx(move |c| {
                    let now = st.clock.now();
                    db::lock(c, exam_state.exam.id)?;
                    let fresh = db::find_by_public_id(c, &exam_state.exam.public_id)?
                        .ok_or_else(AppError::not_found)?;
                    if fresh.status != db::IN_PROGRESS
                        || fresh.deadline_at.is_some_and(|d| now >= d)
                    {
                        return Ok(None);
                    }
                    let r = write_checked(&st, c, &mut exam_state, verdict, content.as_ref(), now)?;
                    Ok(r.map(|r| (r, exam_state)))
                })
                .await?;
            if let Some((r, s)) = written {
                keep_running(state, &r, s);
                return Ok(r);
            }
        }
    }
    // Locked: everything under the exam's lock.
    let st = state.clone();
    let (r, s) = state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &public_id)?;
            db::lock(c, exam.id)?;
            // Read again under the lock: the exam may have been finished meanwhile.
            let exam = own_exam(c, user_id, &public_id)?;
            let mut s = load_state(&st, c, exam, now)?;
            let content = row_content(c, &s, position)?;
            let verdict = decide(&mut s, position, display, content.as_ref(), now)?;
            let r = write_checked(&st, c, &mut s, verdict, content.as_ref(), now)?.unwrap_or_else(
                || {
                    let m = format!("Question {position} has already been answered.");
                    AnswerResult::Refused(AnswerRefused::WrongPosition(m))
                },
            );
            Ok((r, s))
        })
        .await?;
    keep_running(state, &r, s);
    Ok(r)
}

/// The running path: the answer decided from the exam's state in memory and committed in a group.
/// `None` when that state is missing or cannot answer this, or the write did not happen: nothing
/// was written, the entry is dropped, and the caller takes the full path.
async fn answer_running(
    state: &AppState,
    user_id: i64,
    public_id: &str,
    position: i32,
    display: usize,
) -> Option<AnswerResult> {
    let entry = state.running_exams.get(public_id)?;
    let now = state.clock.now();
    // The engine's work (recording the answer, choosing the next item) runs here, on this
    // request's worker; the commit lane, one thread on SQLite, only writes.
    let prepared = match entry.lock() {
        Ok(mut e) => running::prepare(state, &mut e, user_id, position, display, now),
        // A poisoned entry is simply not used: the other paths rebuild the state.
        Err(_) => Ok(None),
    };
    let fast = match prepared {
        Ok(Some((verdict, content))) => {
            let st = state.clone();
            let held = entry.clone();
            // Answers of running exams are committed in groups: one disk wait for all the
            // answers arriving at the same moment, each acknowledged only after the commit.
            state
                .tx_grouped(lane_key(public_id), move |c| {
                    let Ok(mut e) = held.lock() else {
                        return Ok(None);
                    };
                    running::commit(&st, c, &mut e, verdict, &content, now)
                })
                .await
        }
        other => other.map(|_| None),
    };
    match fast {
        Ok(Some(AnswerResult::Next(v))) if !v.finished => {
            RunningExams::committed(&entry);
            return Some(AnswerResult::Next(v));
        }
        Ok(Some(r)) => {
            state.running_exams.forget(public_id);
            return Some(r);
        }
        Ok(None) => {}
        Err(e) => {
            // Nothing of this answer was written (its work rolled back, or the group did not
            // commit): take the full path, which reports a lasting error itself.
            tracing::warn!(error = %e, "running-exam answer failed; taking the full path");
        }
    }
    state.running_exams.forget(public_id);
    None
}

/// The group-commit lane of an exam: answers to one exam always share a lane.
pub(super) fn lane_key(public_id: &str) -> u64 {
    // FNV-1a: stable and spread enough for a handful of lanes.
    public_id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// After a committed answer, an exam that goes on keeps its state in memory for the next one.
fn keep_running(state: &AppState, r: &AnswerResult, s: ExamState) {
    if let AnswerResult::Next(v) = r
        && !v.finished
    {
        state.running_exams.put(RunningExam::from_state(s));
    }
}

/// The displayed option (0 = A) named by `option`, if it is one.
pub(super) fn display_index(option: &str) -> Option<usize> {
    let o = option.trim().to_uppercase();
    KEYS.iter().position(|k| k.to_string() == o)
}

/// Drills: an item already answered, with its key and rationales (going back).
#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id, position = ?position))]
pub async fn answered_item(
    state: &AppState,
    user_id: i64,
    public_id: String,
    position: i32,
) -> AppResult<Feedback> {
    state
        .db(move |c| {
            let exam = own_exam(c, user_id, &public_id)?;
            let cfg = load_config(&exam)?;
            let rows = db::items_of(c, exam.id)?;
            let row = rows
                .iter()
                .find(|r| r.position == position)
                .ok_or_else(|| AppError::NotFound("No such question in this exam.".into()))?;
            if row.chosen.is_none() {
                return Err(AppError::Conflict("Answer this question first.".into()));
            }
            if exam.status != db::IN_PROGRESS {
                super::results::refuse_course_key_before_pass(c, &exam)?;
            }
            if !cfg.allow_back && exam.status == db::IN_PROGRESS {
                return Err(AppError::Forbidden(
                    "This exam does not allow going back; review every answer when it is finished."
                        .into(),
                ));
            }
            Ok(feedback_of(
                row,
                &version_content(c, &row.item_id, row.version)?,
            ))
        })
        .await
}
