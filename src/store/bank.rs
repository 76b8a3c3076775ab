//! Question-bank rows: items, their immutable versions, history events and problem reports.

use super::DbConn;
use super::schema::{bank_item_events, bank_item_versions, bank_items, bank_reports};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bank_items)]
pub struct ItemRow {
    pub id: String,
    pub subarea: String,
    pub area: String,
    pub status: String,
    pub live_version: Option<i32>,
    pub latest_version: i32,
    pub author_id: Option<i64>,
    pub open_reports: i32,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bank_item_versions)]
pub struct VersionRow {
    pub id: i64,
    pub item_id: String,
    pub version: i32,
    pub status: String,
    pub content: String,
    pub content_hash: String,
    pub subarea: String,
    pub area: String,
    pub level: String,
    pub difficulty: String,
    pub key_letter: String,
    pub pillars: String,
    pub author: String,
    pub search_text: String,
    pub irt_a: f64,
    pub irt_b: f64,
    pub irt_c: f64,
    pub calibrated: bool,
    pub created_by: Option<i64>,
    pub created_at: PrimitiveDateTime,
    pub pool_status: String,
}

#[derive(Insertable)]
#[diesel(table_name = bank_item_versions)]
pub struct NewVersion<'a> {
    pub item_id: &'a str,
    pub version: i32,
    pub status: &'a str,
    pub content: &'a str,
    pub content_hash: &'a str,
    pub subarea: &'a str,
    pub area: &'a str,
    pub level: &'a str,
    pub difficulty: &'a str,
    pub key_letter: &'a str,
    pub pillars: &'a str,
    pub author: &'a str,
    pub search_text: &'a str,
    pub irt_a: f64,
    pub irt_b: f64,
    pub irt_c: f64,
    pub calibrated: bool,
    pub created_by: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

pub fn count_items(conn: &mut DbConn) -> QueryResult<i64> {
    bank_items::table.count().get_result(conn)
}

pub fn find_item(conn: &mut DbConn, id: &str) -> QueryResult<Option<ItemRow>> {
    bank_items::table
        .find(id)
        .select(ItemRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_version(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
) -> QueryResult<Option<VersionRow>> {
    bank_item_versions::table
        .filter(bank_item_versions::item_id.eq(item_id))
        .filter(bank_item_versions::version.eq(version))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()
}

pub fn versions_of(conn: &mut DbConn, item_id: &str) -> QueryResult<Vec<VersionRow>> {
    bank_item_versions::table
        .filter(bank_item_versions::item_id.eq(item_id))
        .order(bank_item_versions::version.desc())
        .select(VersionRow::as_select())
        .load(conn)
}

#[allow(clippy::too_many_arguments)]
pub fn insert_item(
    conn: &mut DbConn,
    id: &str,
    subarea: &str,
    area: &str,
    status: &str,
    live_version: Option<i32>,
    author_id: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(bank_items::table)
        .values((
            bank_items::id.eq(id),
            bank_items::subarea.eq(subarea),
            bank_items::area.eq(area),
            bank_items::status.eq(status),
            bank_items::live_version.eq(live_version),
            bank_items::latest_version.eq(1),
            bank_items::author_id.eq(author_id),
            bank_items::open_reports.eq(0),
            bank_items::created_at.eq(now),
            bank_items::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_version(conn: &mut DbConn, v: &NewVersion) -> QueryResult<()> {
    diesel::insert_into(bank_item_versions::table)
        .values(v)
        .execute(conn)
        .map(|_| ())
}

/// Points the item at its versions and sets its status (that of its latest version).
// One value per column of the row it writes.
#[allow(clippy::too_many_arguments)]
pub fn update_item(
    conn: &mut DbConn,
    id: &str,
    subarea: &str,
    area: &str,
    status: &str,
    latest: i32,
    live: Option<i32>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(bank_items::table.find(id))
        .set((
            bank_items::subarea.eq(subarea),
            bank_items::area.eq(area),
            bank_items::status.eq(status),
            bank_items::latest_version.eq(latest),
            bank_items::live_version.eq(live),
            bank_items::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn set_version_status(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    status: &str,
) -> QueryResult<()> {
    diesel::update(
        bank_item_versions::table
            .filter(bank_item_versions::item_id.eq(item_id))
            .filter(bank_item_versions::version.eq(version)),
    )
    .set(bank_item_versions::status.eq(status))
    .execute(conn)
    .map(|_| ())
}

// One value per column of the row it writes.
#[allow(clippy::too_many_arguments)]
pub fn insert_event(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    actor_id: Option<i64>,
    actor: &str,
    action: &str,
    comment: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(bank_item_events::table)
        .values((
            bank_item_events::item_id.eq(item_id),
            bank_item_events::version.eq(version),
            bank_item_events::actor_id.eq(actor_id),
            bank_item_events::actor.eq(actor),
            bank_item_events::action.eq(action),
            bank_item_events::comment.eq(comment),
            bank_item_events::at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bank_item_events)]
pub struct EventRow {
    pub id: i64,
    pub item_id: String,
    pub version: i32,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub comment: Option<String>,
    pub at: PrimitiveDateTime,
}

pub fn events_of(conn: &mut DbConn, item_id: &str) -> QueryResult<Vec<EventRow>> {
    bank_item_events::table
        .filter(bank_item_events::item_id.eq(item_id))
        .order(bank_item_events::id.desc())
        .select(EventRow::as_select())
        .load(conn)
}

/// Every item with its latest version, ordered by id.
pub fn all_latest(conn: &mut DbConn) -> QueryResult<Vec<(ItemRow, VersionRow)>> {
    bank_items::table
        .inner_join(
            bank_item_versions::table.on(bank_item_versions::item_id
                .eq(bank_items::id)
                .and(bank_item_versions::version.eq(bank_items::latest_version))),
        )
        .order(bank_items::id)
        .select((ItemRow::as_select(), VersionRow::as_select()))
        .load(conn)
}

pub use crate::domain::bank::ItemFilter as Filter;

/// Items matching `f` (searching their latest version), with the total count.
pub fn search(
    conn: &mut DbConn,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<(ItemRow, VersionRow)>, i64)> {
    let build = || {
        let mut q = bank_items::table
            .inner_join(
                bank_item_versions::table.on(bank_item_versions::item_id
                    .eq(bank_items::id)
                    .and(bank_item_versions::version.eq(bank_items::latest_version))),
            )
            .into_boxed();
        if let Some(t) = &f.text {
            for word in t.split_whitespace().take(8) {
                let w = super::like_escape(&word.to_lowercase());
                if !w.is_empty() {
                    q = q.filter(
                        bank_item_versions::search_text
                            .like(format!("%{w}%"))
                            .escape('\\')
                            .or(bank_items::id.eq(word.to_string())),
                    );
                }
            }
        }
        if let Some(a) = &f.area {
            q = q.filter(bank_items::area.eq(a.clone()));
        }
        if let Some(s) = &f.subarea {
            q = q.filter(bank_items::subarea.eq(s.clone()));
        }
        if let Some(s) = &f.status {
            q = q.filter(bank_items::status.eq(s.clone()));
        }
        if let Some(a) = &f.author {
            q = q.filter(bank_item_versions::author.eq(a.clone()));
        }
        if let Some(l) = &f.level {
            q = q.filter(bank_item_versions::level.eq(l.clone()));
        }
        if let Some(p) = &f.pillar {
            q = q.filter(bank_item_versions::pillars.like(format!("%,{p},%")));
        }
        if f.with_open_reports {
            q = q.filter(bank_items::open_reports.gt(0));
        }
        q
    };
    let total = build().count().get_result(conn)?;
    let rows = build()
        .order(bank_items::id)
        .limit(limit)
        .offset(offset)
        .select((ItemRow::as_select(), VersionRow::as_select()))
        .load(conn)?;
    Ok((rows, total))
}

/// Item counts per area among approved (live) items.
pub fn live_counts_by_area(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    bank_items::table
        .filter(bank_items::live_version.is_not_null())
        .filter(bank_items::status.ne("retired"))
        .group_by(bank_items::area)
        .select((bank_items::area, diesel::dsl::count_star()))
        .order(bank_items::area)
        .load(conn)
}

pub fn distinct_authors(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    bank_item_versions::table
        .select(bank_item_versions::author)
        .distinct()
        .order(bank_item_versions::author)
        .load(conn)
}

// ---- problem reports ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bank_reports)]
pub struct ReportRow {
    pub id: i64,
    pub item_id: String,
    pub version: i32,
    pub reporter_id: i64,
    pub message: String,
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<i64>,
    pub created_at: PrimitiveDateTime,
    pub resolved_at: Option<PrimitiveDateTime>,
}

pub fn insert_report(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    reporter: i64,
    message: &str,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    let id = diesel::insert_into(bank_reports::table)
        .values((
            bank_reports::item_id.eq(item_id),
            bank_reports::version.eq(version),
            bank_reports::reporter_id.eq(reporter),
            bank_reports::message.eq(message),
            bank_reports::status.eq("open"),
            bank_reports::created_at.eq(now),
        ))
        .returning(bank_reports::id)
        .get_result(conn)?;
    refresh_open_reports(conn, item_id)?;
    Ok(id)
}

fn refresh_open_reports(conn: &mut DbConn, item_id: &str) -> QueryResult<()> {
    let open: i64 = bank_reports::table
        .filter(bank_reports::item_id.eq(item_id))
        .filter(bank_reports::status.eq("open"))
        .count()
        .get_result(conn)?;
    diesel::update(bank_items::table.find(item_id))
        .set(bank_items::open_reports.eq(open as i32))
        .execute(conn)
        .map(|_| ())
}

pub fn find_report(conn: &mut DbConn, id: i64) -> QueryResult<Option<ReportRow>> {
    bank_reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

pub fn resolve_report(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    resolution: &str,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let Some(r) = find_report(conn, id)? else {
        return Ok(false);
    };
    let n = diesel::update(
        bank_reports::table
            .find(id)
            .filter(bank_reports::status.eq("open")),
    )
    .set((
        bank_reports::status.eq(status),
        bank_reports::resolution.eq(resolution),
        bank_reports::resolved_by.eq(by),
        bank_reports::resolved_at.eq(now),
    ))
    .execute(conn)?;
    refresh_open_reports(conn, &r.item_id)?;
    Ok(n == 1)
}

pub fn open_reports(conn: &mut DbConn) -> QueryResult<Vec<ReportRow>> {
    bank_reports::table
        .filter(bank_reports::status.eq("open"))
        .order(bank_reports::id)
        .select(ReportRow::as_select())
        .load(conn)
}

pub fn reports_by(conn: &mut DbConn, reporter: i64) -> QueryResult<Vec<ReportRow>> {
    bank_reports::table
        .filter(bank_reports::reporter_id.eq(reporter))
        .order(bank_reports::id.desc())
        .select(ReportRow::as_select())
        .load(conn)
}

pub fn reports_for_item(conn: &mut DbConn, item_id: &str) -> QueryResult<Vec<ReportRow>> {
    bank_reports::table
        .filter(bank_reports::item_id.eq(item_id))
        .order(bank_reports::id.desc())
        .select(ReportRow::as_select())
        .load(conn)
}

pub fn ids_with_prefix(conn: &mut DbConn, prefix: &str) -> QueryResult<Vec<String>> {
    bank_items::table
        .filter(bank_items::id.like(format!("{prefix}%")))
        .select(bank_items::id)
        .load(conn)
}

pub fn existing_ids(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<String>> {
    bank_items::table
        .filter(bank_items::id.eq_any(ids))
        .select(bank_items::id)
        .load(conn)
}

/// Replaces the content of a version that no student can have seen (a draft or returned version).
pub fn replace_version_content(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    v: &NewVersion,
) -> QueryResult<()> {
    diesel::update(
        bank_item_versions::table
            .filter(bank_item_versions::item_id.eq(item_id))
            .filter(bank_item_versions::version.eq(version)),
    )
    .set((
        bank_item_versions::content.eq(v.content),
        bank_item_versions::content_hash.eq(v.content_hash),
        bank_item_versions::subarea.eq(v.subarea),
        bank_item_versions::area.eq(v.area),
        bank_item_versions::level.eq(v.level),
        bank_item_versions::difficulty.eq(v.difficulty),
        bank_item_versions::key_letter.eq(v.key_letter),
        bank_item_versions::pillars.eq(v.pillars),
        bank_item_versions::search_text.eq(v.search_text),
        bank_item_versions::irt_a.eq(v.irt_a),
        bank_item_versions::irt_b.eq(v.irt_b),
        bank_item_versions::irt_c.eq(v.irt_c),
        bank_item_versions::status.eq(v.status),
    ))
    .execute(conn)
    .map(|_| ())
}

pub fn set_pool_status(
    conn: &mut DbConn,
    item_id: &str,
    version: i32,
    pool_status: &str,
) -> QueryResult<()> {
    diesel::update(
        bank_item_versions::table
            .filter(bank_item_versions::item_id.eq(item_id))
            .filter(bank_item_versions::version.eq(version)),
    )
    .set(bank_item_versions::pool_status.eq(pool_status))
    .execute(conn)
    .map(|_| ())
}

/// Every live item (approved version, not retired) with that version.
pub fn live_versions(conn: &mut DbConn) -> QueryResult<Vec<(ItemRow, VersionRow)>> {
    bank_items::table
        .inner_join(
            bank_item_versions::table.on(bank_item_versions::item_id.eq(bank_items::id).and(
                bank_item_versions::version
                    .nullable()
                    .eq(bank_items::live_version),
            )),
        )
        .filter(bank_items::status.ne("retired"))
        .order(bank_items::id)
        .select((ItemRow::as_select(), VersionRow::as_select()))
        .load(conn)
}

/// Everyone who wrote content of one version: who drafted it and everyone who edited it in place
/// (the history records each). Two-person review needs an approver outside this set.
pub fn writers_of(conn: &mut DbConn, item_id: &str, version: i32) -> QueryResult<Vec<i64>> {
    let rows: Vec<(Option<i64>, String)> = bank_item_events::table
        .filter(bank_item_events::item_id.eq(item_id))
        .filter(bank_item_events::version.eq(version))
        .select((bank_item_events::actor_id, bank_item_events::action))
        .load(conn)?;
    let mut out: Vec<i64> = rows
        .into_iter()
        .filter(|(_, action)| {
            action == "created as draft"
                || action == "edited draft"
                || action.starts_with("new version")
        })
        .filter_map(|(id, _)| id)
        .collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}
