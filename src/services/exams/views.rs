//! What a student sees: the current item, feedback, and settling an exam past its deadline.

use super::*;
use crate::domain::irt::behind_pace;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OptionView {
    pub id: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    pub position: i32,
    pub item_id: String,
    pub version: i32,
    pub stem: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Feedback {
    pub position: i32,
    pub item_id: String,
    pub version: i32,
    pub stem: String,
    pub chosen: Option<String>,
    pub key: String,
    pub correct: Option<bool>,
    pub options: Vec<FeedbackOption>,
    pub scored: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackOption {
    pub id: String,
    pub text: String,
    pub rationale: String,
    pub is_key: bool,
    pub chosen: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentView {
    pub exam_id: String,
    pub title: String,
    pub kind: ExamKind,
    pub finished: bool,
    pub item: Option<ItemView>,
    pub answered: u32,
    pub max_items: u32,
    pub fixed_length: bool,
    pub remaining_secs: Option<i64>,
    pub pace_warning: bool,
    pub allow_back: bool,
    pub feedback: bool,
    /// Drills: the key and rationales of the item just answered.
    pub last_feedback: Option<Feedback>,
}

pub(super) fn item_view(row: &db::ExamItemRow, content: &ItemContent) -> ItemView {
    let order = order_of(&row.option_order);
    ItemView {
        position: row.position,
        item_id: row.item_id.clone(),
        version: row.version,
        stem: content.stem.clone(),
        options: order
            .iter()
            .enumerate()
            .map(|(i, &o)| OptionView {
                id: KEYS[i].to_string(),
                text: content.options[o].clone(),
            })
            .collect(),
    }
}

pub(super) fn feedback_of(row: &db::ExamItemRow, content: &ItemContent) -> Feedback {
    let order = order_of(&row.option_order);
    let key_display = order.iter().position(|&o| o == content.key).unwrap_or(0);
    let chosen_display = row
        .chosen
        .and_then(|c| order.iter().position(|&o| o as i32 == c));
    Feedback {
        position: row.position,
        item_id: row.item_id.clone(),
        version: row.version,
        stem: content.stem.clone(),
        chosen: chosen_display.map(|d| KEYS[d].to_string()),
        key: KEYS[key_display].to_string(),
        correct: row.correct,
        scored: row.scored,
        options: order
            .iter()
            .enumerate()
            .map(|(i, &o)| FeedbackOption {
                id: KEYS[i].to_string(),
                text: content.options[o].clone(),
                rationale: content.rationales[o].clone(),
                is_key: o == content.key,
                chosen: Some(i) == chosen_display,
            })
            .collect(),
    }
}

pub(super) fn version_content(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
) -> AppResult<ItemContent> {
    let v = bankdb::find_version(conn, item_id, version)?.ok_or_else(|| {
        AppError::internal(anyhow::anyhow!("version {item_id}/{version} missing"))
    })?;
    content_of(&v)
}

/// Still in progress although its deadline has passed.
pub(super) fn is_overdue(exam: &db::ExamRow, now: PrimitiveDateTime) -> bool {
    exam.status == db::IN_PROGRESS && exam.deadline_at.is_some_and(|d| now >= d)
}

/// Finishes an exam whose deadline has passed; true when this call finished it.
pub(super) fn finish_if_overdue(
    state: &AppState,
    conn: &mut DbConn,
    exam: &db::ExamRow,
    now: PrimitiveDateTime,
) -> AppResult<bool> {
    if !is_overdue(exam, now) {
        return Ok(false);
    }
    let cfg = load_config(exam)?;
    let rows = db::items_of(conn, exam.id)?;
    let live = exam_pool(state, conn, &cfg, &rows, now)?;
    let mut session = replay(&cfg, exam, &live.pool, &rows)?;
    session.time_out();
    finish(state, conn, exam, &cfg, &session, &rows, now)?;
    Ok(true)
}

pub(super) fn current_view(
    conn: &mut DbConn,
    exam: &db::ExamRow,
    now: PrimitiveDateTime,
    last: Option<Feedback>,
) -> AppResult<CurrentView> {
    let cfg = load_config(exam)?;
    let rows = db::items_of(conn, exam.id)?;
    current_view_with(conn, exam, &cfg, &rows, None, now, last)
}

/// As [`current_view`], reusing what the caller already loaded (and its pool, when it has one).
pub(super) fn current_view_with(
    conn: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    rows: &[db::ExamItemRow],
    live: Option<&ExamPool>,
    now: PrimitiveDateTime,
    last: Option<Feedback>,
) -> AppResult<CurrentView> {
    let answered = rows.iter().filter(|r| r.correct.is_some()).count() as u32;
    let finished = exam.status != db::IN_PROGRESS;
    let pending = if finished {
        None
    } else {
        rows.iter().find(|r| r.chosen.is_none())
    };
    let item = match pending {
        Some(r) => {
            let cached = live
                .and_then(|live| live.items.get(&r.item_id))
                .filter(|li| li.version == r.version);
            match cached {
                Some(li) => Some(item_view(r, &li.content)),
                None => Some(item_view(r, &version_content(conn, &r.item_id, r.version)?)),
            }
        }
        None => None,
    };
    let remaining = if finished {
        None
    } else {
        exam.deadline_at.map(|d| (d - now).whole_seconds().max(0))
    };
    // From the rows alone: a page view never replays the exam.
    let n_scored = rows
        .iter()
        .filter(|r| r.scored && r.correct.is_some())
        .count() as u32;
    let pace_warning =
        !finished && cfg.timed && behind_pace(&cfg.engine, n_scored, elapsed_secs(exam, now));
    Ok(CurrentView {
        exam_id: exam.public_id.clone(),
        title: exam.title.clone(),
        kind: cfg.kind,
        finished,
        item,
        answered,
        max_items: cfg.max_items,
        fixed_length: cfg.fixed_length,
        remaining_secs: remaining,
        pace_warning,
        allow_back: cfg.allow_back,
        feedback: cfg.feedback,
        last_feedback: last,
    })
}

/// The user's exam, locked, and finished first if its deadline has passed.
pub(super) fn settled_exam(
    st: &AppState,
    c: &mut DbConn,
    user_id: i64,
    public_id: &str,
    now: PrimitiveDateTime,
) -> AppResult<db::ExamRow> {
    let exam = own_exam(c, user_id, public_id)?;
    db::lock(c, exam.id)?;
    if finish_if_overdue(st, c, &exam, now)? {
        return own_exam(c, user_id, public_id);
    }
    Ok(exam)
}

/// The exam's current state: the item on screen (stem and shuffled options only) and the time left.
///
/// A page view is a read: no writer turn, no lock. Only an exam whose deadline has passed (and that
/// the background sweep has not finished yet) is finished here, once, under its program's rule.
#[tracing::instrument(level = "debug", skip_all, fields(public_id = ?public_id))]
pub async fn current(state: &AppState, user_id: i64, public_id: String) -> AppResult<CurrentView> {
    let (st, id) = (state.clone(), public_id.clone());
    let read = state
        .db(move |c| {
            let now = st.clock.now();
            let exam = own_exam(c, user_id, &id)?;
            if is_overdue(&exam, now) {
                return Ok(None);
            }
            current_view(c, &exam, now, None).map(Some)
        })
        .await?;
    if let Some(view) = read {
        return Ok(view);
    }
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let exam = settled_exam(&st, c, user_id, &public_id, now)?;
            current_view(c, &exam, now, None)
        })
        .await
}

/// The order in which a person saw an item's options at `position` of one of their exams: the
/// original option index for each displayed letter. `None` when that position does not hold this
/// item version (or is not answered): the caller then shows the options in their own order.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn seen_order(
    state: &AppState,
    user_id: i64,
    public_id: String,
    position: i32,
    item_id: String,
    version: i32,
) -> AppResult<Option<[usize; 4]>> {
    state
        .db(move |c| {
            let exam = own_exam(c, user_id, &public_id)?;
            Ok(db::items_of(c, exam.id)?
                .into_iter()
                .find(|r| {
                    r.position == position
                        && r.item_id == item_id
                        && r.version == version
                        && r.chosen.is_some()
                })
                .map(|r| order_of(&r.option_order)))
        })
        .await
}
