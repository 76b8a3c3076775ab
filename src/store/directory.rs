//! The therapist directory: profiles, credential verifications, messages sent through profiles
//! and reports about them.

use super::DbConn;
use super::schema::{
    ce_credentials, directory_contacts, directory_profiles, directory_reports,
    directory_verifications, users,
};
use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = directory_profiles, treat_none_as_null = true)]
pub struct ProfileRow {
    pub user_id: i64,
    pub slug: String,
    pub display_name: String,
    pub practice_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub latitude: f64,
    pub longitude: f64,
    pub phone: String,
    pub booking_url: String,
    pub techniques: String,
    pub modalities: String,
    pub conditions: String,
    pub populations: String,
    pub accepts_referrals: bool,
    pub accepts_insurance: bool,
    pub statement: String,
    pub show_ce: bool,
    pub published: bool,
    pub suspended_reason: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub updated_at: PrimitiveDateTime,
}

pub fn profile_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<ProfileRow>> {
    directory_profiles::table
        .find(user_id)
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

/// A profile anyone may see: published, not hidden by an administrator, of an active account.
pub fn public_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ProfileRow>> {
    directory_profiles::table
        .inner_join(users::table)
        .filter(directory_profiles::slug.eq(slug))
        .filter(directory_profiles::published.eq(true))
        .filter(directory_profiles::suspended_reason.is_null())
        .filter(users::is_active.eq(true))
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

/// Any profile by its address, public or not (for administrators).
pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<ProfileRow>> {
    directory_profiles::table
        .filter(directory_profiles::slug.eq(slug))
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

pub fn slug_taken(conn: &mut DbConn, slug: &str, other_than: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        directory_profiles::table
            .filter(directory_profiles::slug.eq(slug))
            .filter(directory_profiles::user_id.ne(other_than)),
    ))
    .get_result(conn)
}

pub fn upsert(conn: &mut DbConn, row: &ProfileRow) -> QueryResult<()> {
    let exists = profile_of(conn, row.user_id)?.is_some();
    if exists {
        diesel::update(directory_profiles::table.find(row.user_id))
            .set(row)
            .execute(conn)?;
    } else {
        diesel::insert_into(directory_profiles::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn set_published(
    conn: &mut DbConn,
    user_id: i64,
    published: bool,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(directory_profiles::table.find(user_id))
        .set((
            directory_profiles::published.eq(published),
            directory_profiles::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_suspended(
    conn: &mut DbConn,
    user_id: i64,
    reason: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(directory_profiles::table.find(user_id))
        .set((
            directory_profiles::suspended_reason.eq(reason),
            directory_profiles::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Removes a person's profile and everything filed about it (account deactivated).
pub fn remove_all_of(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(directory_reports::table.filter(directory_reports::profile_user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(directory_profiles::table.find(user_id)).execute(conn)
}

/// Public profiles inside a latitude/longitude box (all of them without one).
pub fn public_in_box(
    conn: &mut DbConn,
    bbox: Option<(f64, f64, f64, f64)>,
) -> QueryResult<Vec<ProfileRow>> {
    let mut q = directory_profiles::table
        .inner_join(users::table)
        .filter(directory_profiles::published.eq(true))
        .filter(directory_profiles::suspended_reason.is_null())
        .filter(users::is_active.eq(true))
        .select(ProfileRow::as_select())
        .into_boxed();
    if let Some((lat0, lat1, lng0, lng1)) = bbox {
        q = q
            .filter(directory_profiles::latitude.between(lat0, lat1))
            .filter(directory_profiles::longitude.between(lng0, lng1));
    }
    q.load(conn)
}

/// The e-mail address of a profile's owner (never shown; messages are sent to it).
pub fn owner_email(conn: &mut DbConn, user_id: i64) -> QueryResult<String> {
    users::table.find(user_id).select(users::email).first(conn)
}

// ---------- verifications ----------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = directory_verifications)]
pub struct VerificationRow {
    pub id: i64,
    pub user_id: i64,
    pub credential_id: i64,
    pub document_sha: String,
    pub document_mime: String,
    pub document_name: String,
    pub document_size: i64,
    pub status: String,
    pub submitted_at: PrimitiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<PrimitiveDateTime>,
    pub checked_against: Option<String>,
    pub note: Option<String>,
    pub expires_on: Option<Date>,
}

#[derive(Insertable)]
#[diesel(table_name = directory_verifications)]
pub struct NewVerification<'a> {
    pub user_id: i64,
    pub credential_id: i64,
    pub document_sha: &'a str,
    pub document_mime: &'a str,
    pub document_name: &'a str,
    pub document_size: i64,
    pub status: &'a str,
    pub submitted_at: PrimitiveDateTime,
}

pub fn add_verification(conn: &mut DbConn, v: &NewVerification) -> QueryResult<()> {
    diesel::insert_into(directory_verifications::table)
        .values(v)
        .execute(conn)
        .map(|_| ())
}

/// A person's verification requests, newest first, for credentials they still hold.
pub fn verifications_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<VerificationRow>> {
    directory_verifications::table
        .inner_join(
            ce_credentials::table.on(ce_credentials::id.eq(directory_verifications::credential_id)),
        )
        .filter(directory_verifications::user_id.eq(user_id))
        .filter(ce_credentials::user_id.eq(user_id))
        .order(directory_verifications::id.desc())
        .select(VerificationRow::as_select())
        .load(conn)
}

pub fn verification(conn: &mut DbConn, id: i64) -> QueryResult<Option<VerificationRow>> {
    directory_verifications::table
        .find(id)
        .select(VerificationRow::as_select())
        .first(conn)
        .optional()
}

/// Requests waiting for an administrator, oldest first.
pub fn pending(conn: &mut DbConn) -> QueryResult<Vec<VerificationRow>> {
    directory_verifications::table
        .filter(directory_verifications::status.eq("pending"))
        .order(directory_verifications::id.asc())
        .select(VerificationRow::as_select())
        .load(conn)
}

/// The bytes of the documents a person has sent for verification.
pub fn document_bytes_of(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    let sizes: Vec<i64> = directory_verifications::table
        .filter(directory_verifications::user_id.eq(user_id))
        .select(directory_verifications::document_size)
        .load(conn)?;
    Ok(sizes.into_iter().sum())
}

pub struct Decision<'a> {
    pub status: &'a str,
    pub by: i64,
    pub at: PrimitiveDateTime,
    pub checked_against: Option<&'a str>,
    pub note: Option<&'a str>,
    pub expires_on: Option<Date>,
}

/// Records an administrator's decision on a request whose status is `from`; false if it had
/// already moved on (two administrators, or a stale page).
pub fn decide(conn: &mut DbConn, id: i64, from: &str, d: &Decision) -> QueryResult<bool> {
    let n = diesel::update(
        directory_verifications::table
            .find(id)
            .filter(directory_verifications::status.eq(from)),
    )
    .set((
        directory_verifications::status.eq(d.status),
        directory_verifications::decided_by.eq(Some(d.by)),
        directory_verifications::decided_at.eq(Some(d.at)),
        directory_verifications::checked_against.eq(d.checked_against),
        directory_verifications::note.eq(d.note),
        directory_verifications::expires_on.eq(d.expires_on),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Verified credentials of these people that are still in force on `today`.
pub fn in_force_for(
    conn: &mut DbConn,
    user_ids: &[i64],
    today: Date,
) -> QueryResult<Vec<VerificationRow>> {
    directory_verifications::table
        .filter(directory_verifications::user_id.eq_any(user_ids))
        .filter(directory_verifications::status.eq("verified"))
        .filter(directory_verifications::expires_on.ge(today))
        .order(directory_verifications::id.asc())
        .select(VerificationRow::as_select())
        .load(conn)
}

// ---------- messages and reports ----------

#[derive(Insertable)]
#[diesel(table_name = directory_contacts)]
pub struct NewContact<'a> {
    pub profile_user_id: i64,
    pub sender_name: &'a str,
    pub sender_email: &'a str,
    pub message: &'a str,
    pub is_referral: bool,
    pub digest: &'a str,
    pub created_at: PrimitiveDateTime,
}

pub fn contact_sent_since(
    conn: &mut DbConn,
    digest: &str,
    since: PrimitiveDateTime,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        directory_contacts::table
            .filter(directory_contacts::digest.eq(digest))
            .filter(directory_contacts::created_at.ge(since)),
    ))
    .get_result(conn)
}

pub fn add_contact(conn: &mut DbConn, c: &NewContact) -> QueryResult<()> {
    diesel::insert_into(directory_contacts::table)
        .values(c)
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = directory_reports)]
pub struct ReportRow {
    pub id: i64,
    pub profile_user_id: i64,
    pub reason: String,
    pub details: String,
    pub status: String,
    pub created_at: PrimitiveDateTime,
    pub resolved_by: Option<i64>,
    pub resolved_at: Option<PrimitiveDateTime>,
}

pub fn add_report(
    conn: &mut DbConn,
    profile_user_id: i64,
    reason: &str,
    details: &str,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(directory_reports::table)
        .values((
            directory_reports::profile_user_id.eq(profile_user_id),
            directory_reports::reason.eq(reason),
            directory_reports::details.eq(details),
            directory_reports::status.eq("open"),
            directory_reports::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn open_reports(conn: &mut DbConn) -> QueryResult<Vec<ReportRow>> {
    directory_reports::table
        .filter(directory_reports::status.eq("open"))
        .order(directory_reports::id.asc())
        .select(ReportRow::as_select())
        .load(conn)
}

pub fn report(conn: &mut DbConn, id: i64) -> QueryResult<Option<ReportRow>> {
    directory_reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// Closes an open report; false if it was no longer open.
pub fn resolve_report(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        directory_reports::table
            .find(id)
            .filter(directory_reports::status.eq("open")),
    )
    .set((
        directory_reports::status.eq(status),
        directory_reports::resolved_by.eq(Some(by)),
        directory_reports::resolved_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Every verification still in force on `today`, newest decision first.
pub fn in_force_all(conn: &mut DbConn, today: Date) -> QueryResult<Vec<VerificationRow>> {
    directory_verifications::table
        .filter(directory_verifications::status.eq("verified"))
        .filter(directory_verifications::expires_on.ge(today))
        .order(directory_verifications::decided_at.desc())
        .select(VerificationRow::as_select())
        .load(conn)
}

/// Profiles an administrator has hidden.
pub fn suspended(conn: &mut DbConn) -> QueryResult<Vec<ProfileRow>> {
    directory_profiles::table
        .filter(directory_profiles::suspended_reason.is_not_null())
        .order(directory_profiles::updated_at.desc())
        .select(ProfileRow::as_select())
        .load(conn)
}
