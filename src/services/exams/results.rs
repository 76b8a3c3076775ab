//! Results, review, history, ending early and the overdue sweep.

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResultView {
    pub exam_id: String,
    pub title: String,
    pub kind: ExamKind,
    pub finished: bool,
    pub outcome: Option<String>,
    pub passed: Option<bool>,
    pub p_pass: Option<f64>,
    pub theta: Option<f64>,
    pub scaled_score: Option<i32>,
    pub n_scored: i32,
    pub n_correct: i32,
    pub items_answered: u32,
    pub time_used_secs: i64,
    pub diagnostics: bool,
    pub areas: Vec<AreaResult>,
    pub started_at: String,
    /// CE course exams: the certificate code when passed, and the pass mark.
    pub certificate: Option<String>,
    pub percent: i32,
    pub pass_percent: Option<i32>,
    /// A verdict by estimate needed at least this P(pass) (the exam's stored program), if any.
    pub min_pass_probability: Option<f64>,
    /// The exam's rule for a weak area: P(θ_area below the standard) at least this.
    pub weak_threshold: f64,
    /// What the probability of passing rests on, in a sentence (results with a probability only).
    pub evidence: Option<String>,
}

pub(super) fn result_view(e: &db::ExamRow) -> AppResult<ResultView> {
    let stored: Option<StoredResult> = e
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(AppError::internal)?;
    Ok(ResultView {
        exam_id: e.public_id.clone(),
        title: e.title.clone(),
        kind: ExamKind::stored(&e.program)?,
        finished: e.status != db::IN_PROGRESS,
        outcome: e.outcome.clone(),
        passed: e.passed,
        p_pass: e.p_pass,
        theta: e.theta,
        scaled_score: e.scaled_score,
        n_scored: e.n_scored,
        n_correct: e.n_correct,
        items_answered: stored.as_ref().map(|s| s.items_answered).unwrap_or(0),
        time_used_secs: stored.as_ref().map(|s| s.time_used_secs).unwrap_or(0),
        diagnostics: stored.as_ref().is_some_and(|s| s.diagnostics),
        areas: stored.map(|s| s.areas).unwrap_or_default(),
        started_at: crate::clock::display(e.started_at),
        certificate: None,
        percent: if e.n_scored > 0 {
            (100.0 * e.n_correct as f64 / e.n_scored as f64).round() as i32
        } else {
            0
        },
        pass_percent: None,
        min_pass_probability: load_config(e)
            .map(|c| c.engine.stopping.min_pass_probability)
            .ok()
            .filter(|p| *p > 0.0),
        weak_threshold: weak_threshold(e),
        evidence: None,
    })
}

/// "Based on N questions calibrated from M answers; checked against K reported exam results."
fn evidence_sentence(e: &crate::services::outcomes::Evidence) -> String {
    let basis = if e.calibrated_items == 0 {
        "This probability rests on starting values from each question's difficulty rating: no question has been calibrated from students' answers yet".to_string()
    } else {
        format!(
            "This probability is based on {} question{} calibrated from {} answers",
            e.calibrated_items,
            if e.calibrated_items == 1 { "" } else { "s" },
            e.answers
        )
    };
    let checked = match e.checked_outcomes {
        0 => "; Palpate's predictions have not yet been checked against real exam results."
            .to_string(),
        1 => "; predictions checked against 1 reported exam result.".to_string(),
        k => format!("; predictions checked against {k} reported exam results."),
    };
    basis + &checked
}

/// The student ends an unfinished exam: it closes as "ended early" with the answers given so far
/// counted, and without a verdict (a pass, a probability or a score needs the whole exam).
#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id))]
pub async fn end_early(state: &AppState, user_id: i64, public_id: String) -> AppResult<()> {
    let st = state.clone();
    let id = public_id.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = settled_exam(&st, c, user_id, &id, now)?;
            if exam.status != db::IN_PROGRESS {
                return Err(AppError::Conflict("This exam has already finished.".into()));
            }
            let rows = db::items_of(c, exam.id)?;
            let answered: Vec<&db::ExamItemRow> =
                rows.iter().filter(|r| r.correct.is_some()).collect();
            let scored: Vec<&&db::ExamItemRow> = answered.iter().filter(|r| r.scored).collect();
            let n_correct = scored.iter().filter(|r| r.correct == Some(true)).count() as i32;
            db::drop_unanswered(c, exam.id)?;
            let stored = StoredResult {
                reason: "ended".into(),
                diagnostics: false,
                areas: vec![],
                time_used_secs: (now.min(exam.deadline_at.unwrap_or(now)) - exam.started_at)
                    .whole_seconds(),
                items_answered: answered.len() as u32,
            };
            let json = serde_json::to_string(&stored).map_err(AppError::internal)?;
            let done = db::finish(
                c,
                exam.id,
                db::FINISHED,
                "ended",
                None,
                None,
                None,
                None,
                None,
                scored.len() as i32,
                n_correct,
                Some(&json),
                now,
            )?;
            if !done {
                return Err(AppError::Conflict("This exam has already finished.".into()));
            }
            Ok(())
        })
        .await?;
    // The running exam held in memory is dropped: any later answer meets the finished exam.
    state.running_exams.forget(&public_id);
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id))]
pub async fn result(state: &AppState, user_id: i64, public_id: String) -> AppResult<ResultView> {
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = settled_exam(&st, c, user_id, &public_id, now)?;
            if exam.status == db::IN_PROGRESS {
                return Err(AppError::Conflict("This exam is still in progress.".into()));
            }
            let mut view = result_view(&exam)?;
            let cfg = load_config(&exam)?;
            if view.p_pass.is_some() {
                let e = crate::services::outcomes::evidence(c, cfg.parameters)?;
                view.evidence = Some(evidence_sentence(&e));
            }
            if let Some(course) = cfg.course {
                view.certificate = crate::store::courses::by_exam(c, exam.id)?.map(|c| c.code);
                view.pass_percent = crate::store::courses::find(c, course)?.map(|c| c.pass_percent);
            }
            Ok(view)
        })
        .await
}

/// After finishing: every answered item (scored or trial, now marked) with the answer given, the
/// key and all rationales.
#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id))]
pub async fn review(
    state: &AppState,
    user_id: i64,
    public_id: String,
    missed_only: bool,
) -> AppResult<Vec<Feedback>> {
    state
        .db(move |c| {
            let exam = own_exam(c, user_id, &public_id)?;
            if exam.status == db::IN_PROGRESS {
                return Err(AppError::Forbidden(
                    "Answers and rationales are shown once the exam is finished.".into(),
                ));
            }
            refuse_course_key_before_pass(c, &exam)?;
            let rows = db::items_of(c, exam.id)?;
            let mut out = vec![];
            for r in rows.iter().filter(|r| r.chosen.is_some()) {
                if missed_only && r.correct == Some(true) {
                    continue;
                }
                out.push(feedback_of(r, &version_content(c, &r.item_id, r.version)?));
            }
            Ok(out)
        })
        .await
}

/// A CE course's exam can be retaken: its key is shown only once it is passed (its certificate
/// issued), so a failed attempt does not hand over the answers.
pub(super) fn refuse_course_key_before_pass(c: &mut DbConn, exam: &db::ExamRow) -> AppResult<()> {
    if load_config(exam)?.course.is_some() && crate::store::courses::by_exam(c, exam.id)?.is_none()
    {
        return Err(AppError::Forbidden(
            "The answers to a course exam are shown once you pass it. Read the course again, then retake the exam.".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HistoryEntry {
    pub exam_id: String,
    pub title: String,
    pub kind: ExamKind,
    pub status: ExamStatus,
    pub started_at: String,
    pub passed: Option<bool>,
    pub p_pass: Option<f64>,
    pub theta: Option<f64>,
    pub scaled_score: Option<i32>,
    pub n_scored: i32,
    pub n_correct: i32,
    pub outcome: Option<String>,
    pub areas: Vec<AreaResult>,
    /// The exam's rule for a weak area: P(θ_area below the standard) at least this.
    pub weak_threshold: f64,
    /// Questions answered so far (unfinished exams; 0 for finished ones).
    pub answered: i64,
}

/// The weak-area threshold the exam was run with.
pub(super) fn weak_threshold(e: &db::ExamRow) -> f64 {
    load_config(e)
        .map(|c| c.engine.diagnostics.weak_threshold)
        .unwrap_or(crate::domain::irt::program::DiagnosticsConfig::default().weak_threshold)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn history(state: &AppState, user_id: i64) -> AppResult<Vec<HistoryEntry>> {
    state
        .db(move |c| {
            let answered = db::answered_in_progress(c, user_id)?;
            // Times as the student reads them, in their own zone.
            let tz = crate::services::study_settings::zone_of(c, user_id)?;
            db::exams_of(c, user_id)?
                .into_iter()
                .map(|e| {
                    let areas = e
                        .result
                        .as_deref()
                        .map(|r| crate::services::stored::<StoredResult>("exam.result", r))
                        .transpose()?
                        .map(|s| s.areas)
                        .unwrap_or_default();
                    Ok(HistoryEntry {
                        weak_threshold: weak_threshold(&e),
                        answered: answered.get(&e.id).copied().unwrap_or(0),
                        exam_id: e.public_id,
                        title: e.title,
                        kind: ExamKind::stored(&e.program)?,
                        status: ExamStatus::stored(&e.status)?,
                        started_at: crate::domain::local_time::display(tz, e.started_at),
                        passed: e.passed,
                        p_pass: e.p_pass,
                        theta: e.theta,
                        scaled_score: e.scaled_score,
                        n_scored: e.n_scored,
                        n_correct: e.n_correct,
                        outcome: e.outcome,
                        areas,
                    })
                })
                .collect()
        })
        .await
}

/// Background job: finishes exams abandoned past their deadline.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn finish_overdue(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let ids = state.db(move |c| Ok(db::overdue(c, now, 50)?)).await?;
    let mut n = 0;
    for id in ids {
        let st = state.clone();
        let done = state
            .tx(move |c| {
                let now = st.clock.now();
                let Some(exam) = db::find_by_public_id(c, &id)? else {
                    return Ok(false);
                };
                db::lock(c, exam.id)?;
                let exam = db::find_by_public_id(c, &id)?.ok_or_else(AppError::not_found)?;
                finish_if_overdue(&st, c, &exam, now)
            })
            .await?;
        if done {
            n += 1;
        }
    }
    Ok(n)
}
