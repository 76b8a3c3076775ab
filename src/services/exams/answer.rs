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
    Next(CurrentView),
    Refused(AnswerRefused),
}

/// Records the answer to `position` and presents the next item (or finishes the exam). A repeated
/// identical answer (double click, retried request) changes nothing and returns the same state.
/// The work an answer needs, computed from a consistent read of the exam: the engine's decision
/// and the next item. Applying it is a short write.
pub(super) struct Step {
    position: i32,
    chosen: i32,
    correct: bool,
    content: ItemContent,
    rows: Vec<db::ExamItemRow>,
    session: Session,
    next: Option<Choice>,
    live: Arc<ExamPool>,
}

pub(super) enum Decision {
    Done(AnswerResult),
    Overdue,
    Step(Box<Step>),
}

/// Reads only: what answering `position` with `option` does.
#[allow(clippy::too_many_arguments)]
pub(super) fn decide(
    st: &AppState,
    c: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    rows: Vec<db::ExamItemRow>,
    position: i32,
    option: &str,
    now: PrimitiveDateTime,
) -> AppResult<Decision> {
    let Some(display) = display_index(option) else {
        return Ok(Decision::Done(AnswerResult::Refused(
            AnswerRefused::BadOption,
        )));
    };
    let over = |e: &db::ExamRow| {
        if e.outcome.as_deref() == Some("time_out") {
            AnswerRefused::TimeUp
        } else {
            AnswerRefused::Finished
        }
    };
    let Some(row) = rows.iter().find(|r| r.position == position).cloned() else {
        return Ok(Decision::Done(AnswerResult::Refused(
            if exam.status != db::IN_PROGRESS {
                over(exam)
            } else {
                AnswerRefused::WrongPosition(format!(
                    "Question {position} is not the current question."
                ))
            },
        )));
    };
    let chosen = order_of(&row.option_order)[display] as i32;
    if let Some(prev) = row.chosen {
        // Already answered: the same answer again is a harmless repeat.
        if prev == chosen {
            let fb = cfg
                .feedback
                .then(|| {
                    version_content(c, &row.item_id, row.version).map(|ct| feedback_of(&row, &ct))
                })
                .transpose()?;
            return Ok(Decision::Done(AnswerResult::Next(current_view_with(
                st, c, exam, cfg, &rows, None, now, fb,
            )?)));
        }
        return Ok(Decision::Done(AnswerResult::Refused(
            AnswerRefused::WrongPosition(format!("Question {position} has already been answered.")),
        )));
    }
    if exam.status != db::IN_PROGRESS {
        return Ok(Decision::Done(AnswerResult::Refused(over(exam))));
    }
    if exam.deadline_at.is_some_and(|d| now >= d) {
        return Ok(Decision::Overdue);
    }
    let live = exam_pool(st, c, cfg, &rows, now)?;
    let content = match live
        .items
        .get(&row.item_id)
        .filter(|li| li.version == row.version)
    {
        Some(li) => (*li.content).clone(),
        None => version_content(c, &row.item_id, row.version)?,
    };
    let correct = chosen as usize == content.key;
    let rows: Vec<db::ExamItemRow> = rows
        .into_iter()
        .map(|mut r| {
            if r.position == position {
                r.chosen = Some(chosen);
                r.correct = Some(correct);
                r.answered_at = Some(now);
            }
            r
        })
        .collect();
    // Replay what came before, then record this answer on the restored pending item.
    let before: Vec<db::ExamItemRow> = rows
        .iter()
        .filter(|r| r.position < position)
        .cloned()
        .collect();
    let mut session = replay(cfg, exam, &live.pool, &before)?;
    session
        .restore_pending(
            &live.pool,
            &Choice {
                item_id: row.item_id.clone(),
                scored: row.scored,
            },
        )
        .map_err(engine_err)?;
    session.record(&row.item_id, correct).map_err(engine_err)?;
    if cfg.timed {
        session.check_time(elapsed_secs(exam, now));
    }
    let mut next = None;
    if session.is_finished().is_none() {
        let seen: Vec<String> = crate::services::stored("exam.seen", &exam.seen)?;
        let ctx = SelectionContext::new(&live.pool, &seen);
        next = session.next_item(&live.pool, &ctx).map_err(engine_err)?;
    }
    Ok(Decision::Step(Box::new(Step {
        position,
        chosen,
        correct,
        content,
        rows,
        session,
        next,
        live,
    })))
}

/// Writes a step; `None` when the item was answered meanwhile (the caller starts over, locked).
/// With the result comes the exam's state for [`RunningExams`] while the exam goes on; the caller
/// keeps it only once the transaction has committed.
pub(super) fn apply(
    st: &AppState,
    c: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    step: Step,
    now: PrimitiveDateTime,
) -> AppResult<Option<(AnswerResult, Option<RunningExam>)>> {
    if !db::answer(c, exam.id, step.position, step.chosen, step.correct, now)? {
        return Ok(None);
    }
    let fb = if cfg.feedback {
        step.rows
            .iter()
            .find(|r| r.position == step.position)
            .map(|r| feedback_of(r, &step.content))
    } else {
        None
    };
    let Some(choice) = &step.next else {
        finish(c, exam, cfg, &step.session, &step.rows, now)?;
        let exam = db::find_by_public_id(c, &exam.public_id)?.ok_or_else(AppError::not_found)?;
        let view = current_view(st, c, &exam, now, fb)?;
        return Ok(Some((AnswerResult::Next(view), None)));
    };
    let mut rows = step.rows;
    rows.push(present(
        c,
        exam,
        &step.live,
        choice,
        step.position + 1,
        now,
    )?);
    let view = current_view_with(
        st,
        c,
        exam,
        cfg,
        &rows,
        Some((&step.session, &step.live)),
        now,
        fb,
    )?;
    let live = RunningExam::new(exam.clone(), cfg.clone(), rows, step.session, step.live);
    Ok(Some((AnswerResult::Next(view), Some(live))))
}

/// Records the answer to `position` and presents the next item (or finishes the exam). A repeated
/// identical answer (double click, retried request) changes nothing and returns the same state.
///
/// Fast path: while an exam runs, its state (items, replayed engine session) is kept in
/// [`RunningExams`], so an answer is one short write transaction. Otherwise the engine's work is done
/// on a plain read; the write transaction then only checks that the item is still unanswered and
/// the exam still running, and stores the answer and the next item. If another request got there
/// first, the whole answer is redone under the exam's lock.
#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id, position = ?position))]
pub async fn answer(
    state: &AppState,
    user_id: i64,
    public_id: String,
    position: i32,
    option: String,
) -> AppResult<AnswerResult> {
    if let (Some(entry), Some(display)) =
        (state.running_exams.get(&public_id), display_index(&option))
    {
        let st = state.clone();
        let held = entry.clone();
        let fast = state
            .tx(move |c| {
                let now = st.clock.now();
                // A poisoned entry is simply not used: the full path rebuilds the state.
                let Ok(mut e) = held.lock() else {
                    return Ok(None);
                };
                running::answer(&st, c, &mut e, user_id, position, display, now)
            })
            .await;
        match fast {
            Ok(Some(AnswerResult::Next(v))) if !v.finished => {
                RunningExams::committed(&entry);
                return Ok(AnswerResult::Next(v));
            }
            Ok(Some(r)) => {
                state.running_exams.forget(&public_id);
                return Ok(r);
            }
            Ok(None) => state.running_exams.forget(&public_id),
            Err(e) => {
                state.running_exams.forget(&public_id);
                return Err(e);
            }
        }
    }
    let st = state.clone();
    let (pid, opt) = (public_id.clone(), option.clone());
    let planned = state
        .db(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &pid)?;
            let cfg = load_config(&exam)?;
            let rows = db::items_of(c, exam.id)?;
            Ok((
                decide(&st, c, &exam, &cfg, rows, position, &opt, now)?,
                exam,
                cfg,
            ))
        })
        .await?;
    match planned {
        (Decision::Done(r), _, _) => return Ok(r),
        (Decision::Overdue, _, _) => {}
        (Decision::Step(step), exam, cfg) => {
            let st = state.clone();
            let applied = state
                .tx(move |c| {
                    let now = st.clock.now();
                    db::lock(c, exam.id)?;
                    let fresh = db::find_by_public_id(c, &exam.public_id)?
                        .ok_or_else(AppError::not_found)?;
                    if fresh.status != db::IN_PROGRESS
                        || fresh.deadline_at.is_some_and(|d| now >= d)
                    {
                        return Ok(None);
                    }
                    apply(&st, c, &fresh, &cfg, *step, now)
                })
                .await?;
            if let Some((r, live)) = applied {
                if let Some(live) = live {
                    state.running_exams.put(live);
                }
                return Ok(r);
            }
        }
    }
    // Slow path: everything under the exam's lock.
    let st = state.clone();
    let (r, live) = state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &public_id)?;
            db::lock(c, exam.id)?;
            let cfg = load_config(&exam)?;
            let rows = db::items_of(c, exam.id)?;
            match decide(&st, c, &exam, &cfg, rows, position, &option, now)? {
                Decision::Done(r) => Ok((r, None)),
                Decision::Overdue => {
                    finish_if_overdue(&st, c, &exam, now)?;
                    Ok((AnswerResult::Refused(AnswerRefused::TimeUp), None))
                }
                Decision::Step(step) => {
                    Ok(apply(&st, c, &exam, &cfg, *step, now)?.unwrap_or_else(|| {
                        let m = format!("Question {position} has already been answered.");
                        (AnswerResult::Refused(AnswerRefused::WrongPosition(m)), None)
                    }))
                }
            }
        })
        .await?;
    if let Some(live) = live {
        state.running_exams.put(live);
    }
    Ok(r)
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
