//! Instructors' authoring and review: drafts, edits (approved content is never changed: an edit
//! forks a new version), the review workflow, the bank browser, and problem reports.

use super::AppState;
use super::accounts::Account;
use super::bank::{self as bankops, content_of, taxonomy};
use crate::domain::bank::format::{DraftInput, check_draft};
use crate::domain::bank::workflow::{self, Action};
use crate::domain::bank::{ItemContent, Status};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{DbConn, bank as db};
use serde::Serialize;
use std::collections::BTreeMap;

fn field_errors(m: BTreeMap<String, String>) -> AppError {
    let mut f = FieldErrors::default();
    for (k, v) in m {
        f.add(&k, v);
    }
    AppError::Fields(f)
}

fn check_enemies(c: &mut DbConn, content: &ItemContent, own_id: Option<&str>) -> AppResult<()> {
    if content.enemies.is_empty() {
        return Ok(());
    }
    if own_id.is_some_and(|id| content.enemies.iter().any(|e| e == id)) {
        return Err(AppError::invalid(
            "enemies",
            "An item cannot be its own enemy.",
        ));
    }
    let found = db::existing_ids(c, &content.enemies)?;
    let missing: Vec<&String> = content
        .enemies
        .iter()
        .filter(|e| !found.contains(e))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "enemies",
            format!(
                "Unknown item id(s): {}",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(())
}

/// The next free id in a sub-area: "2.D" → "2D-0NN".
fn next_id(c: &mut DbConn, subarea: &str) -> AppResult<String> {
    Ok(bankops::item_id(
        subarea,
        bankops::highest_number(c, subarea)? + 1,
    ))
}

/// An imported draft may still lack rationales, a reference or topics; it goes to review only once
/// it passes the same checks as a draft written in the editor.
fn ready_for_review(content: &ItemContent) -> AppResult<()> {
    match check_draft(
        &DraftInput::from_content(content),
        taxonomy(),
        &content.author,
    ) {
        Ok(_) => Ok(()),
        Err(m) => Err(AppError::Conflict(format!(
            "This draft is not ready for review. {}",
            m.into_values().collect::<Vec<_>>().join(" ")
        ))),
    }
}

/// Validates an editor draft without saving it (for the preview).
pub fn preview(input: &DraftInput, author: &str) -> Result<ItemContent, FieldErrors> {
    check_draft(input, taxonomy(), author).map_err(|m| {
        let mut f = FieldErrors::default();
        for (k, v) in m {
            f.add(&k, v);
        }
        f
    })
}

/// Saves a new item as a draft; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create_draft(
    state: &AppState,
    user: &Account,
    input: DraftInput,
) -> AppResult<String> {
    let content = check_draft(&input, taxonomy(), &user.name).map_err(field_errors)?;
    let (clock, uid, name) = (state.clock.clone(), user.id, user.name.clone());
    state
        .tx(move |c| {
            check_enemies(c, &content, None)?;
            let now = clock.now();
            let id = next_id(c, &content.subarea)?;
            db::insert_item(
                c,
                &id,
                &content.subarea,
                content.area(),
                Status::Draft.as_str(),
                None,
                Some(uid),
                now,
            )?;
            bankops::store_version(c, &id, 1, Status::Draft.as_str(), &content, Some(uid), now)?;
            db::insert_event(c, &id, 1, Some(uid), &name, "created as draft", None, now)?;
            Ok(id)
        })
        .await
}

/// Saves an edit. A draft or returned version is changed in place; an approved or retired item
/// gets a new draft version, and students keep seeing the approved one until the new one is
/// approved. Items in review cannot be edited.
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn save_edit(
    state: &AppState,
    user: &Account,
    id: String,
    input: DraftInput,
) -> AppResult<i32> {
    let (clock, uid, name) = (state.clock.clone(), user.id, user.name.clone());
    let taxo = taxonomy();
    state
        .tx(move |c| {
            let now = clock.now();
            let item = db::find_item(c, &id)?
                .ok_or_else(|| AppError::NotFound(format!("No item {id}.")))?;
            let latest =
                db::find_version(c, &id, item.latest_version)?.ok_or_else(AppError::not_found)?;
            let original_author = content_of(&latest)?.author;
            let status = Status::parse(&item.status).unwrap_or(Status::Draft);
            let content = check_draft(&input, taxo, &original_author).map_err(field_errors)?;
            check_enemies(c, &content, Some(&id))?;
            match status {
                Status::InReview => Err(AppError::Conflict(
                    "This item is in review. The reviewer must return it before it can be edited."
                        .into(),
                )),
                Status::Draft | Status::Returned => {
                    if latest.content_hash == content.hash() {
                        return Ok(latest.version);
                    }
                    bankops::replace_version(
                        c,
                        &id,
                        latest.version,
                        Status::Draft.as_str(),
                        &content,
                        now,
                    )?;
                    db::update_item(
                        c,
                        &id,
                        &content.subarea,
                        content.area(),
                        Status::Draft.as_str(),
                        latest.version,
                        item.live_version,
                        now,
                    )?;
                    db::insert_event(
                        c,
                        &id,
                        latest.version,
                        Some(uid),
                        &name,
                        "edited draft",
                        None,
                        now,
                    )?;
                    Ok(latest.version)
                }
                Status::Approved | Status::Retired => {
                    if latest.content_hash == content.hash() {
                        return Ok(latest.version);
                    }
                    let v = item.latest_version + 1;
                    bankops::store_version(
                        c,
                        &id,
                        v,
                        Status::Draft.as_str(),
                        &content,
                        Some(uid),
                        now,
                    )?;
                    db::update_item(
                        c,
                        &id,
                        &content.subarea,
                        content.area(),
                        Status::Draft.as_str(),
                        v,
                        item.live_version,
                        now,
                    )?;
                    db::insert_event(
                        c,
                        &id,
                        v,
                        Some(uid),
                        &name,
                        &format!(
                            "new version {v} drafted (version {} stays live)",
                            item.latest_version
                        ),
                        None,
                        now,
                    )?;
                    Ok(v)
                }
            }
        })
        .await
}

/// The longest comment on an item (a review note or a remark), in characters.
const MAX_COMMENT: usize = 2000;

/// Moves an item through the workflow, keeping every step and comment in its history.
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn transition(
    state: &AppState,
    user: &Account,
    id: String,
    action: Action,
    comment: Option<String>,
) -> AppResult<Status> {
    if comment
        .as_deref()
        .is_some_and(|c| c.trim().chars().count() > MAX_COMMENT)
    {
        return Err(AppError::invalid(
            "comment",
            "Keep a comment under 2,000 characters.",
        ));
    }
    let (clock, uid, name) = (state.clock.clone(), user.id, user.name.clone());
    let pools = state.pools.clone();
    let result = state
        .tx(move |c| {
            let now = clock.now();
            let item = db::find_item(c, &id)?
                .ok_or_else(|| AppError::NotFound(format!("No item {id}.")))?;
            let latest =
                db::find_version(c, &id, item.latest_version)?.ok_or_else(AppError::not_found)?;
            let from = Status::parse(&item.status).unwrap_or(Status::Draft);
            if action == Action::Submit {
                ready_for_review(&content_of(&latest)?)?;
            }
            // Anyone who wrote any of this version's content counts as its author: the approver
            // must be someone else (an edit in place by a second instructor does not make them a
            // reviewer of their own text).
            let is_author = latest.created_by == Some(uid)
                || (latest.created_by.is_none() && item.author_id == Some(uid))
                || db::writers_of(c, &id, latest.version)?.contains(&uid);
            let comment = comment
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty());
            let to = workflow::transition(
                from,
                action,
                is_author,
                comment.as_deref(),
                item.live_version.is_some(),
            )
            .map_err(|m| AppError::Conflict(m.to_string()))?;
            let mut live = item.live_version;
            let mut latest_version = item.latest_version;
            match (action, to) {
                (Action::Approve, _) => {
                    if let Some(old) = item.live_version.filter(|v| *v != latest.version) {
                        db::set_version_status(c, &id, old, "superseded")?;
                    }
                    live = Some(latest.version);
                    db::set_version_status(c, &id, latest.version, Status::Approved.as_str())?;
                    if latest.created_by.is_some() {
                        // Written and reviewed here: served unscored until calibrated.
                        db::set_pool_status(c, &id, latest.version, "pretest")?;
                    }
                }
                (Action::Restore, Status::Approved) => {
                    // Back to the last approved version.
                    latest_version = item.live_version.unwrap_or(item.latest_version);
                    db::set_version_status(c, &id, latest_version, Status::Approved.as_str())?;
                }
                (Action::Retire, _) => {
                    db::set_version_status(c, &id, latest.version, Status::Retired.as_str())?;
                }
                _ => db::set_version_status(c, &id, latest.version, to.as_str())?,
            }
            let content = content_of(&latest)?;
            db::update_item(
                c,
                &id,
                &content.subarea,
                content.area(),
                to.as_str(),
                latest_version,
                live,
                now,
            )?;
            db::insert_event(
                c,
                &id,
                latest.version,
                Some(uid),
                &name,
                action.event(),
                comment.as_deref(),
                now,
            )?;
            Ok(to)
        })
        .await;
    if result.is_ok() {
        pools.invalidate();
    }
    result
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn comment(state: &AppState, user: &Account, id: String, text: String) -> AppResult<()> {
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(AppError::invalid("comment", "Write a comment first."));
    }
    if text.chars().count() > MAX_COMMENT {
        return Err(AppError::invalid(
            "comment",
            "Keep a comment under 2,000 characters.",
        ));
    }
    let (clock, uid, name) = (state.clock.clone(), user.id, user.name.clone());
    state
        .tx(move |c| {
            let item = db::find_item(c, &id)?
                .ok_or_else(|| AppError::NotFound(format!("No item {id}.")))?;
            db::insert_event(
                c,
                &id,
                item.latest_version,
                Some(uid),
                &name,
                "commented",
                Some(&text),
                clock.now(),
            )?;
            Ok(())
        })
        .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    pub version: i32,
    pub status: String,
    pub created_at: String,
    pub live: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub version: i32,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemDetail {
    pub id: String,
    pub status: Status,
    pub status_label: &'static str,
    pub latest_version: i32,
    pub live_version: Option<i32>,
    pub content: ItemContent,
    pub author_id: Option<i64>,
    pub created_by: Option<i64>,
    /// Everyone who wrote content of the latest version (drafted or edited it).
    pub writers: Vec<i64>,
    pub versions: Vec<VersionSummary>,
    pub history: Vec<EventView>,
    pub reports: Vec<ReportView>,
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn detail(state: &AppState, id: String, version: Option<i32>) -> AppResult<ItemDetail> {
    state
        .db(move |c| {
            let item = db::find_item(c, &id)?
                .ok_or_else(|| AppError::NotFound(format!("No item {id}.")))?;
            let versions = db::versions_of(c, &id)?;
            let shown = version.unwrap_or(item.latest_version);
            let v = versions
                .iter()
                .find(|v| v.version == shown)
                .ok_or_else(|| AppError::NotFound(format!("Item {id} has no version {shown}.")))?;
            Ok(ItemDetail {
                status: Status::parse(&item.status).unwrap_or(Status::Draft),
                status_label: Status::parse(&item.status).unwrap_or(Status::Draft).label(),
                latest_version: item.latest_version,
                live_version: item.live_version,
                content: content_of(v)?,
                author_id: item.author_id,
                created_by: v.created_by,
                writers: db::writers_of(c, &id, item.latest_version)?,
                versions: versions
                    .iter()
                    .map(|v| VersionSummary {
                        version: v.version,
                        status: v.status.clone(),
                        created_at: crate::clock::display(v.created_at),
                        live: Some(v.version) == item.live_version,
                    })
                    .collect(),
                history: db::events_of(c, &id)?
                    .into_iter()
                    .map(|e| EventView {
                        at: crate::clock::display(e.at),
                        actor: e.actor,
                        action: e.action,
                        version: e.version,
                        comment: e.comment,
                    })
                    .collect(),
                reports: db::reports_for_item(c, &id)?
                    .into_iter()
                    .map(report_view)
                    .collect(),
                id: item.id,
            })
        })
        .await
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ItemRowView {
    pub id: String,
    pub area: String,
    pub subarea: String,
    pub status: String,
    pub status_label: &'static str,
    pub level: String,
    pub author: String,
    pub stem: String,
    pub open_reports: i32,
    pub live_version: Option<i32>,
    pub latest_version: i32,
}

pub struct SearchResult {
    pub rows: Vec<ItemRowView>,
    pub total: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    state: &AppState,
    filter: db::Filter,
    limit: i64,
    offset: i64,
) -> AppResult<SearchResult> {
    state
        .db(move |c| {
            let (rows, total) = db::search(c, &filter, limit, offset)?;
            let rows = rows
                .into_iter()
                .map(|(i, v)| {
                    let stem: String = content_of(&v).map(|c| c.stem).unwrap_or_default();
                    let short: String = stem.chars().take(160).collect();
                    ItemRowView {
                        status_label: Status::parse(&i.status).map(|s| s.label()).unwrap_or("?"),
                        id: i.id,
                        area: i.area,
                        subarea: i.subarea,
                        status: i.status,
                        level: v.level,
                        author: v.author,
                        stem: if stem.chars().count() > 160 {
                            format!("{short}…")
                        } else {
                            short
                        },
                        open_reports: i.open_reports,
                        live_version: i.live_version,
                        latest_version: i.latest_version,
                    }
                })
                .collect();
            Ok(SearchResult { rows, total })
        })
        .await
}

#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub area: String,
    pub name: String,
    pub live: i64,
    pub weight_pct: f64,
    pub target: i64,
    pub gap: i64,
}

/// Live items per area against the MBLEx blueprint, scaled to the bank's live size.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn coverage(state: &AppState) -> AppResult<Vec<Coverage>> {
    let counts = state.db(|c| Ok(db::live_counts_by_area(c)?)).await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    let mblex = bankops::blueprints().iter().find(|b| b.id == "mblex");
    Ok(taxonomy()
        .areas
        .iter()
        .map(|a| {
            let live = counts
                .iter()
                .find(|(c, _)| c == &a.code)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let w = mblex
                .and_then(|b| b.weights.get(&a.code))
                .copied()
                .unwrap_or(0.0);
            let target = (w * total as f64).round() as i64;
            // A shortfall of one or two items (or under 3 %) is rounding, not a gap.
            let short = target - live;
            let gap = if short > 2 && short as f64 > 0.03 * target as f64 {
                short
            } else {
                0
            };
            Coverage {
                area: a.code.clone(),
                name: a.name.clone(),
                live,
                weight_pct: (w * 1000.0).round() / 10.0,
                target,
                gap,
            }
        })
        .collect())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn authors(state: &AppState) -> AppResult<Vec<String>> {
    state.db(|c| Ok(db::distinct_authors(c)?)).await
}

#[derive(Debug, Clone, Serialize)]
pub struct VersionStats {
    pub version: i32,
    pub responses: usize,
    pub stats: Option<crate::domain::bank::stats::ItemStats>,
}

/// Statistics per version of an item (a new version starts from zero: its content differs).
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn statistics(state: &AppState, id: String) -> AppResult<Vec<VersionStats>> {
    use crate::domain::bank::stats::{Response, compute};
    state
        .db(move |c| {
            let rows = crate::store::exams::responses_to(c, &id)?;
            let mut out = vec![];
            for v in db::versions_of(c, &id)? {
                let key = content_of(&v)?.key;
                let responses: Vec<Response> = rows
                    .iter()
                    .filter(|r| r.version == v.version && r.scored)
                    .filter_map(|r| {
                        let correct = r.correct?;
                        let chosen = r.chosen?;
                        let rest_n = r.exam_scored - 1;
                        (rest_n > 0).then(|| Response {
                            chosen: chosen as usize,
                            correct,
                            rest_score: (r.exam_correct - correct as i32) as f64 / rest_n as f64,
                        })
                    })
                    .collect();
                out.push(VersionStats {
                    version: v.version,
                    responses: responses.len(),
                    stats: compute(&responses, key),
                });
            }
            Ok(out)
        })
        .await
}

mod reports;
pub use reports::*;
