//! Finishing an exam under its program's rules and storing its result.

use super::*;

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AreaResult {
    pub area: String,
    pub name: String,
    pub items: u32,
    pub correct: u32,
    pub theta: f64,
    /// P(θ_area below the passing standard). Absent in results stored before it was recorded.
    #[serde(default)]
    pub p_below: Option<f64>,
    /// The engine's one rule: the area has answers and `p_below` ≥ the weak threshold (70 %).
    pub weak: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredResult {
    pub reason: String,
    pub diagnostics: bool,
    pub areas: Vec<AreaResult>,
    pub time_used_secs: i64,
    pub items_answered: u32,
}

pub(super) fn reason_text(r: StopReason) -> &'static str {
    match r {
        StopReason::Sprt => "decided",
        StopReason::ConfidenceInterval => "decided",
        StopReason::MaxItems => "max_items",
        StopReason::FixedLength => "completed",
        StopReason::TimeOut => "time_out",
        StopReason::PoolExhausted => "pool_exhausted",
        StopReason::Curtailed => "decided",
    }
}

/// Writes the result of a finished session. A timed-out MBLEx simulation is an automatic fail with
/// no diagnostic report, as on the real exam.
/// What finishing a CE course's exam does beyond the exam (see [`AppState::course_exam_finished`]):
/// given the exam, its course, the score and the time, inside the finishing transaction.
pub type CourseExamFinished =
    fn(&mut DbConn, &db::ExamRow, i64, i32, i32, PrimitiveDateTime) -> AppResult<()>;

pub(super) fn finish(
    st: &AppState,
    conn: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    session: &Session,
    rows: &[db::ExamItemRow],
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let outcome = session
        .is_finished()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("finalize before the end")))?;
    db::drop_unanswered(conn, exam.id)?;
    let r = session.result().map_err(engine_err)?;
    let scored: Vec<&db::ExamItemRow> = rows
        .iter()
        .filter(|r| r.scored && r.correct.is_some())
        .collect();
    let n_correct = scored.iter().filter(|r| r.correct == Some(true)).count() as i32;
    let timed_out_fail =
        outcome.reason == StopReason::TimeOut && cfg.engine.timeout == TimeoutRule::AutoFail;
    let taxo = taxonomy();
    let areas = if timed_out_fail || cfg.kind == ExamKind::Drill && scored.is_empty() {
        vec![]
    } else {
        r.areas
            .iter()
            .map(|a| {
                let in_area: Vec<&&db::ExamItemRow> =
                    scored.iter().filter(|s| s.area == a.area).collect();
                AreaResult {
                    name: taxo
                        .area(&a.area)
                        .map(|x| x.name.clone())
                        .unwrap_or_default(),
                    area: a.area.clone(),
                    items: in_area.len() as u32,
                    correct: in_area.iter().filter(|s| s.correct == Some(true)).count() as u32,
                    theta: a.theta,
                    p_below: Some(a.p_below_cut),
                    weak: a.weak,
                }
            })
            .filter(|a| a.items > 0)
            .collect()
    };
    let stored = StoredResult {
        reason: reason_text(outcome.reason).into(),
        diagnostics: !timed_out_fail,
        areas,
        time_used_secs: (now.min(exam.deadline_at.unwrap_or(now)) - exam.started_at)
            .whole_seconds(),
        items_answered: rows.iter().filter(|r| r.correct.is_some()).count() as u32,
    };
    let json = serde_json::to_string(&stored).map_err(AppError::internal)?;
    let passed = if timed_out_fail { false } else { r.passed };
    let adaptive = cfg.kind != ExamKind::Drill;
    db::finish(
        conn,
        exam.id,
        db::FINISHED,
        reason_text(outcome.reason),
        adaptive.then_some(passed),
        (adaptive && !timed_out_fail).then_some(r.p_pass),
        (adaptive && !timed_out_fail).then_some(r.theta),
        (adaptive && !timed_out_fail).then_some(r.psd),
        (adaptive && !timed_out_fail).then_some(r.scaled_score as i32),
        scored.len() as i32,
        n_correct,
        Some(&json),
        now,
    )?;
    if let Some(course) = cfg.course {
        (st.course_exam_finished)(conn, exam, course, n_correct, scored.len() as i32, now)?;
    }
    Ok(())
}

pub(super) fn own_exam(conn: &mut DbConn, user_id: i64, public_id: &str) -> AppResult<db::ExamRow> {
    match db::find_by_public_id(conn, public_id)? {
        Some(e) if e.user_id == user_id => Ok(e),
        // Someone else's exam looks exactly like a missing one.
        _ => Err(AppError::NotFound("No such exam.".into())),
    }
}
