//! Study cards: each student's FSRS memory state per question (see [`crate::domain::study`]).

use super::DbConn;
use super::schema::{study_cards, study_settings, user_roles, users};
use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = study_cards)]
#[diesel(treat_none_as_null = true)]
pub struct CardRow {
    pub user_id: i64,
    pub item_id: String,
    pub due: PrimitiveDateTime,
    /// The FSRS card (JSON) after the last review.
    pub card: String,
    /// The FSRS card before the last review.
    pub previous: Option<String>,
    pub reviews: i32,
    pub last_review: PrimitiveDateTime,
    pub last_correct: bool,
    pub guessed: bool,
    pub flagged: bool,
}

pub fn find(conn: &mut DbConn, user_id: i64, item_id: &str) -> QueryResult<Option<CardRow>> {
    study_cards::table
        .find((user_id, item_id))
        .select(CardRow::as_select())
        .first(conn)
        .optional()
}

/// Inserts the card, or replaces the stored one.
pub fn save(conn: &mut DbConn, row: &CardRow) -> QueryResult<()> {
    let n = diesel::update(study_cards::table.find((row.user_id, &row.item_id)))
        .set(row)
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(study_cards::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Every card of a student (a few hundred to a few thousand rows).
pub fn all(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<CardRow>> {
    study_cards::table
        .filter(study_cards::user_id.eq(user_id))
        .select(CardRow::as_select())
        .order(study_cards::due.asc())
        .load(conn)
}

/// A student's time zone and study reminder.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = study_settings)]
#[diesel(treat_none_as_null = true)]
pub struct SettingsRow {
    pub user_id: i64,
    pub time_zone: String,
    /// "off", "daily" or "weekly".
    pub study_days: String,
    pub study_hour: i32,
    pub study_weekday: i32,
    pub email_reminder: bool,
    pub last_reminded_on: Option<Date>,
    pub updated_at: PrimitiveDateTime,
}

pub fn settings(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<SettingsRow>> {
    study_settings::table
        .find(user_id)
        .select(SettingsRow::as_select())
        .first(conn)
        .optional()
}

/// Saves the settings (keeping the date the last reminder went out).
pub fn save_settings(conn: &mut DbConn, row: &SettingsRow) -> QueryResult<()> {
    let n = diesel::update(study_settings::table.find(row.user_id))
        .set((
            study_settings::time_zone.eq(&row.time_zone),
            study_settings::study_days.eq(&row.study_days),
            study_settings::study_hour.eq(row.study_hour),
            study_settings::study_weekday.eq(row.study_weekday),
            study_settings::email_reminder.eq(row.email_reminder),
            study_settings::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(study_settings::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Reminders that may be due: every active, verified student who opted into one, with their
/// e-mail address and name.
pub fn reminders_wanted(conn: &mut DbConn) -> QueryResult<Vec<(SettingsRow, String, String)>> {
    study_settings::table
        .inner_join(users::table)
        .filter(study_settings::study_days.ne("off"))
        .filter(study_settings::email_reminder.eq(true))
        .filter(users::is_active.eq(true))
        .filter(users::email_verified_at.is_not_null())
        // Only people who may still take exams (a student or a practitioner).
        .filter(diesel::dsl::exists(
            user_roles::table
                .filter(user_roles::user_id.eq(users::id))
                .filter(user_roles::role.eq_any(["student", "practitioner"])),
        ))
        .select((SettingsRow::as_select(), users::email, users::name))
        .order(study_settings::user_id)
        .load(conn)
}

/// Records that today's reminder goes out; false when one already went out on this local date
/// (another instance, or an earlier sweep), so each is sent once.
pub fn claim_reminder(conn: &mut DbConn, user_id: i64, local_today: Date) -> QueryResult<bool> {
    let n = diesel::update(
        study_settings::table.find(user_id).filter(
            study_settings::last_reminded_on
                .is_null()
                .or(study_settings::last_reminded_on.lt(local_today)),
        ),
    )
    .set(study_settings::last_reminded_on.eq(local_today))
    .execute(conn)?;
    Ok(n == 1)
}
