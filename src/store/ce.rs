//! Continuing education: a practitioner's credentials, CE activities (with certificate files),
//! non-hour credential items (CPR/BLS cards, background checks) and sent reminders.

use super::DbConn;
use super::schema::{ce_activities, ce_credential_items, ce_credentials, ce_profiles};
use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_profiles)]
pub struct Profile {
    pub user_id: i64,
    pub birth_date: Option<Date>,
    pub reminders: bool,
    pub updated_at: PrimitiveDateTime,
}

pub fn profile(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<Profile>> {
    ce_profiles::table
        .find(user_id)
        .select(Profile::as_select())
        .first(conn)
        .optional()
}

pub fn save_profile(
    conn: &mut DbConn,
    user_id: i64,
    birth_date: Option<Date>,
    reminders: bool,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(ce_profiles::table.find(user_id))
        .set((
            ce_profiles::birth_date.eq(birth_date),
            ce_profiles::reminders.eq(reminders),
            ce_profiles::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(ce_profiles::table)
            .values((
                ce_profiles::user_id.eq(user_id),
                ce_profiles::birth_date.eq(birth_date),
                ce_profiles::reminders.eq(reminders),
                ce_profiles::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_credentials)]
pub struct Credential {
    pub id: i64,
    pub user_id: i64,
    pub rule_id: String,
    pub number: Option<String>,
    pub issued_on: Date,
    pub first_cycle: bool,
    pub cycle_start: Option<Date>,
    pub cycle_end: Option<Date>,
    pub deadline: Option<Date>,
    pub created_at: PrimitiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn insert_credential(
    conn: &mut DbConn,
    user_id: i64,
    rule_id: &str,
    number: Option<&str>,
    issued_on: Date,
    first_cycle: bool,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(ce_credentials::table)
        .values((
            ce_credentials::user_id.eq(user_id),
            ce_credentials::rule_id.eq(rule_id),
            ce_credentials::number.eq(number),
            ce_credentials::issued_on.eq(issued_on),
            ce_credentials::first_cycle.eq(first_cycle),
            ce_credentials::created_at.eq(now),
        ))
        .returning(ce_credentials::id)
        .get_result(conn)
}

pub fn credentials_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<Credential>> {
    ce_credentials::table
        .filter(ce_credentials::user_id.eq(user_id))
        .order(ce_credentials::id)
        .select(Credential::as_select())
        .load(conn)
}

/// Sets (or clears) the hand-corrected cycle of one of the user's credentials.
pub fn set_cycle(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    start: Option<Date>,
    end: Option<Date>,
    deadline: Option<Date>,
) -> QueryResult<bool> {
    let n = diesel::update(
        ce_credentials::table
            .filter(ce_credentials::id.eq(id))
            .filter(ce_credentials::user_id.eq(user_id)),
    )
    .set((
        ce_credentials::cycle_start.eq(start),
        ce_credentials::cycle_end.eq(end),
        ce_credentials::deadline.eq(deadline),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_number(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    number: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(
        ce_credentials::table
            .filter(ce_credentials::id.eq(id))
            .filter(ce_credentials::user_id.eq(user_id)),
    )
    .set(ce_credentials::number.eq(number))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn delete_credential(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        ce_credentials::table
            .filter(ce_credentials::id.eq(id))
            .filter(ce_credentials::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_activities)]
pub struct Activity {
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub provider: String,
    pub completed_on: Date,
    pub delivery: String,
    pub hours: f64,
    pub unit: String,
    pub topics: String,
    pub approvals: String,
    pub certificate_sha: Option<String>,
    pub certificate_mime: Option<String>,
    pub certificate_name: Option<String>,
    pub certificate_size: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = ce_activities)]
pub struct NewActivity<'a> {
    pub user_id: i64,
    pub title: &'a str,
    pub provider: &'a str,
    pub completed_on: Date,
    pub delivery: &'a str,
    pub hours: f64,
    pub unit: &'a str,
    pub topics: &'a str,
    pub approvals: &'a str,
    pub certificate_sha: Option<&'a str>,
    pub certificate_mime: Option<&'a str>,
    pub certificate_name: Option<&'a str>,
    pub certificate_size: Option<i64>,
    pub created_at: PrimitiveDateTime,
}

/// Serialises changes to one person's CE log until the end of the transaction: on PostgreSQL by
/// locking their user row; SQLite's `BEGIN IMMEDIATE` already serialises writers.
pub fn lock_log(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(user_id)
            .execute(c)?;
    }
    Ok(())
}

pub fn insert_activity(conn: &mut DbConn, a: &NewActivity) -> QueryResult<i64> {
    diesel::insert_into(ce_activities::table)
        .values(a)
        .returning(ce_activities::id)
        .get_result(conn)
}

pub fn activities_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<Activity>> {
    ce_activities::table
        .filter(ce_activities::user_id.eq(user_id))
        .order((ce_activities::completed_on.desc(), ce_activities::id.desc()))
        .select(Activity::as_select())
        .load(conn)
}

/// Bytes of certificate files a user has stored (each activity's file counted).
pub fn certificate_bytes_of(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    let sizes: Vec<Option<i64>> = ce_activities::table
        .filter(ce_activities::user_id.eq(user_id))
        .select(ce_activities::certificate_size)
        .load(conn)?;
    // Licences and certificates sent for directory verification share the same quota.
    let documents = super::directory::document_bytes_of(conn, user_id)?;
    Ok(sizes.into_iter().flatten().sum::<i64>() + documents)
}

/// The user's activity `id`; `None` for someone else's.
pub fn activity_of(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<Option<Activity>> {
    ce_activities::table
        .filter(ce_activities::id.eq(id))
        .filter(ce_activities::user_id.eq(user_id))
        .select(Activity::as_select())
        .first(conn)
        .optional()
}

pub fn delete_activity(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        ce_activities::table
            .filter(ce_activities::id.eq(id))
            .filter(ce_activities::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_credential_items)]
pub struct CredentialItem {
    pub id: i64,
    pub user_id: i64,
    pub kind: String,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
    pub created_at: PrimitiveDateTime,
}

pub fn insert_item(
    conn: &mut DbConn,
    user_id: i64,
    kind: &str,
    from: Option<Date>,
    to: Option<Date>,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(ce_credential_items::table)
        .values((
            ce_credential_items::user_id.eq(user_id),
            ce_credential_items::kind.eq(kind),
            ce_credential_items::valid_from.eq(from),
            ce_credential_items::valid_to.eq(to),
            ce_credential_items::created_at.eq(now),
        ))
        .returning(ce_credential_items::id)
        .get_result(conn)
}

pub fn items_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<CredentialItem>> {
    ce_credential_items::table
        .filter(ce_credential_items::user_id.eq(user_id))
        .order(ce_credential_items::id)
        .select(CredentialItem::as_select())
        .load(conn)
}

pub fn delete_item(conn: &mut DbConn, user_id: i64, id: i64) -> QueryResult<bool> {
    let n = diesel::delete(
        ce_credential_items::table
            .filter(ce_credential_items::id.eq(id))
            .filter(ce_credential_items::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a reminder as sent; false when it had been sent already (by this or another instance).
/// One statement that cannot fail on a duplicate, so the caller's transaction stays usable.
pub fn claim_reminder(
    conn: &mut DbConn,
    credential_id: i64,
    deadline: Date,
    kind: &str,
    days_before: i32,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Date as SqlDate, Integer, Text, Timestamp};
    let n = match conn {
        DbConn::Pg(c) => diesel::sql_query(
            "INSERT INTO ce_reminders (credential_id, deadline, kind, days_before, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind::<BigInt, _>(credential_id)
        .bind::<SqlDate, _>(deadline)
        .bind::<Text, _>(kind)
        .bind::<Integer, _>(days_before)
        .bind::<Timestamp, _>(now)
        .execute(c)?,
        DbConn::Sqlite(c) => diesel::sql_query(
            "INSERT OR IGNORE INTO ce_reminders (credential_id, deadline, kind, days_before, sent_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind::<BigInt, _>(credential_id)
        .bind::<SqlDate, _>(deadline)
        .bind::<Text, _>(kind)
        .bind::<Integer, _>(days_before)
        .bind::<Timestamp, _>(now)
        .execute(c)?,
    };
    Ok(n == 1)
}

/// Every credential whose owner wants reminders (and is active), with the owner's e-mail and name.
pub fn credentials_wanting_reminders(
    conn: &mut DbConn,
) -> QueryResult<Vec<(Credential, String, String)>> {
    use super::schema::users;
    let rows: Vec<(Credential, String, String, Option<bool>)> = ce_credentials::table
        .inner_join(users::table.on(users::id.eq(ce_credentials::user_id)))
        .left_join(ce_profiles::table.on(ce_profiles::user_id.eq(ce_credentials::user_id)))
        .filter(users::is_active.eq(true))
        .select((
            Credential::as_select(),
            users::email,
            users::name,
            ce_profiles::reminders.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.3.unwrap_or(true))
        .map(|(c, e, n, _)| (c, e, n))
        .collect())
}

// ---------------------------------------------------------------------------
// Problems reported with a renewal rule

use super::schema::ce_rule_reports;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_rule_reports)]
pub struct RuleReport {
    pub id: i64,
    pub rule_id: String,
    pub reporter_id: i64,
    pub reason: String,
    pub source_url: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub resolved_by: Option<i64>,
    pub created_at: PrimitiveDateTime,
    pub resolved_at: Option<PrimitiveDateTime>,
}

pub fn insert_rule_report(
    conn: &mut DbConn,
    rule_id: &str,
    reporter: i64,
    reason: &str,
    source_url: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(ce_rule_reports::table)
        .values((
            ce_rule_reports::rule_id.eq(rule_id),
            ce_rule_reports::reporter_id.eq(reporter),
            ce_rule_reports::reason.eq(reason),
            ce_rule_reports::source_url.eq(source_url),
            ce_rule_reports::status.eq("open"),
            ce_rule_reports::created_at.eq(now),
        ))
        .returning(ce_rule_reports::id)
        .get_result(conn)
}

pub fn open_rule_reports(conn: &mut DbConn) -> QueryResult<Vec<RuleReport>> {
    ce_rule_reports::table
        .filter(ce_rule_reports::status.eq("open"))
        .order(ce_rule_reports::id)
        .select(RuleReport::as_select())
        .load(conn)
}

pub fn rule_reports_by(conn: &mut DbConn, reporter: i64) -> QueryResult<Vec<RuleReport>> {
    ce_rule_reports::table
        .filter(ce_rule_reports::reporter_id.eq(reporter))
        .order(ce_rule_reports::id.desc())
        .select(RuleReport::as_select())
        .load(conn)
}

/// Open reports by one person in the last `since` (a cap against floods).
pub fn recent_rule_reports_by(
    conn: &mut DbConn,
    reporter: i64,
    since: PrimitiveDateTime,
) -> QueryResult<i64> {
    ce_rule_reports::table
        .filter(ce_rule_reports::reporter_id.eq(reporter))
        .filter(ce_rule_reports::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Whether a report with this id exists (open or not).
pub fn rule_report_exists(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    use diesel::dsl::exists;
    diesel::select(exists(ce_rule_reports::table.find(id))).get_result(conn)
}

/// Closes an open report; false when it is not open (or not there).
pub fn resolve_rule_report(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    resolution: &str,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        ce_rule_reports::table
            .find(id)
            .filter(ce_rule_reports::status.eq("open")),
    )
    .set((
        ce_rule_reports::status.eq(status),
        ce_rule_reports::resolution.eq(resolution),
        ce_rule_reports::resolved_by.eq(by),
        ce_rule_reports::resolved_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

// ---------------------------------------------------------------------------
// Calendar feed secrets

use super::schema::calendar_feeds;

/// The salt of a person's calendar-feed address, if they ever replaced it.
pub fn calendar_salt(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    calendar_feeds::table
        .find(user_id)
        .select(calendar_feeds::salt)
        .first(conn)
        .optional()
}

pub fn set_calendar_salt(
    conn: &mut DbConn,
    user_id: i64,
    salt: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::delete(calendar_feeds::table.find(user_id)).execute(conn)?;
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::user_id.eq(user_id),
            calendar_feeds::salt.eq(salt),
            calendar_feeds::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}
