//! Problem reports on questions: students report, reviewers resolve, both follow the outcome.

use super::*;

/// Added to a report from an exam whose options were shown in another order: for the reviewer,
/// not shown back to the reporter.
const SEEN_ORDER_NOTE: &str =
    "\n\n(This person saw the options in another order. Their letters, with the letter here: ";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: i64,
    pub item_id: String,
    pub version: i32,
    pub message: String,
    pub status: String,
    pub resolution: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
    /// The start of the question's text, to recognise it by (empty in an item's own detail,
    /// which shows the whole question).
    pub question: String,
}

pub(super) fn report_view(r: db::ReportRow) -> ReportView {
    ReportView {
        id: r.id,
        item_id: r.item_id,
        version: r.version,
        message: r.message,
        status: r.status,
        resolution: r.resolution,
        created_at: crate::clock::display(r.created_at),
        resolved_at: r.resolved_at.map(crate::clock::display),
        question: String::new(),
    }
}

/// A student reports a problem with the version they saw.
#[tracing::instrument(level = "debug", skip_all, fields(item_id = ?item_id))]
pub async fn report_problem(
    state: &AppState,
    user: &Account,
    item_id: String,
    version: i32,
    message: String,
    seen_order: Option<[usize; 4]>,
) -> AppResult<i64> {
    let message = message.trim().to_string();
    if message.chars().count() < 5 {
        return Err(AppError::invalid(
            "message",
            "Describe the problem in a few words.",
        ));
    }
    if message.chars().count() > 2000 {
        return Err(AppError::invalid(
            "message",
            "Keep the report under 2,000 characters.",
        ));
    }
    // Exams shuffle the options: a letter in the message means the letter the person saw.
    let message = match seen_order.filter(|o| *o != [0, 1, 2, 3]) {
        Some(order) => format!(
            "{message}{SEEN_ORDER_NOTE}{}.)",
            order
                .iter()
                .enumerate()
                .map(|(shown, &here)| format!(
                    "{} is {}",
                    crate::domain::bank::KEYS[shown],
                    crate::domain::bank::KEYS[here]
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => message,
    };
    let (clock, uid, instructor) = (
        state.clock.clone(),
        user.id,
        user.has(crate::domain::accounts::Role::Instructor),
    );
    state
        .tx(move |c| {
            db::find_version(c, &item_id, version)?
                .ok_or_else(|| AppError::NotFound("No such question.".into()))?;
            if !instructor && !crate::store::exams::has_answered(c, uid, &item_id, version)? {
                return Err(AppError::NotFound(
                    "You can report a problem with a question after answering it.".into(),
                ));
            }
            Ok(db::insert_report(
                c,
                &item_id,
                version,
                uid,
                &message,
                clock.now(),
            )?)
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all, fields(report_id = ?report_id))]
pub async fn resolve_report(
    state: &AppState,
    reviewer: &Account,
    report_id: i64,
    accepted: bool,
    note: String,
) -> AppResult<String> {
    let note = note.trim().to_string();
    if note.is_empty() {
        return Err(AppError::invalid(
            "resolution",
            "Tell the reporter what happened.",
        ));
    }
    let (clock, uid, name) = (state.clock.clone(), reviewer.id, reviewer.name.clone());
    state
        .tx(move |c| {
            let now = clock.now();
            let r = db::find_report(c, report_id)?
                .ok_or_else(|| AppError::NotFound("No such report.".into()))?;
            let status = if accepted { "accepted" } else { "dismissed" };
            if !db::resolve_report(c, report_id, status, &note, uid, now)? {
                return Err(AppError::Conflict(
                    "This report was already resolved.".into(),
                ));
            }
            db::insert_event(
                c,
                &r.item_id,
                r.version,
                Some(uid),
                &name,
                &format!("problem report {status}"),
                Some(&note),
                now,
            )?;
            Ok(r.item_id)
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_reports(state: &AppState) -> AppResult<Vec<ReportView>> {
    state
        .db(|c| {
            db::open_reports(c)?
                .into_iter()
                .map(|r| with_question(c, report_view(r)))
                .collect()
        })
        .await
}

/// The report with the start of the question it is about.
fn with_question(c: &mut DbConn, view: ReportView) -> AppResult<ReportView> {
    let question = match db::find_version(c, &view.item_id, view.version)? {
        Some(v) => crate::domain::bank::interchange::text::excerpt(&content_of(&v)?.stem),
        None => String::new(),
    };
    Ok(ReportView { question, ..view })
}

/// The question as a student saw it, for the report form: only after they answered it.
#[tracing::instrument(level = "debug", skip_all, fields(item_id = ?item_id))]
pub async fn reportable(
    state: &AppState,
    user: &Account,
    item_id: String,
    version: i32,
) -> AppResult<ItemContent> {
    let (uid, instructor) = (user.id, user.has(crate::domain::accounts::Role::Instructor));
    state
        .db(move |c| {
            let v = db::find_version(c, &item_id, version)?
                .ok_or_else(|| AppError::NotFound("No such question.".into()))?;
            if !instructor && !crate::store::exams::has_answered(c, uid, &item_id, version)? {
                return Err(AppError::NotFound(
                    "You can report a problem with a question after answering it.".into(),
                ));
            }
            content_of(&v)
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_reports(state: &AppState, user_id: i64) -> AppResult<Vec<ReportView>> {
    state
        .db(move |c| {
            let mut out = vec![];
            for r in db::reports_by(c, user_id)? {
                let mut view = report_view(r);
                // The letter mapping is for the reviewer.
                if let Some((own, _)) = view.message.split_once(SEEN_ORDER_NOTE) {
                    view.message = own.to_string();
                }
                out.push(with_question(c, view)?);
            }
            Ok(out)
        })
        .await
}
