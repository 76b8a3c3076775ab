//! Study profiles (the real exam a student prepares for), reported exam outcomes, and model
//! settings an administrator adopted.

use super::DbConn;
use super::schema::{exam_outcomes, exams, model_settings, study_profiles, users};
use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = study_profiles)]
pub struct ProfileRow {
    pub user_id: i64,
    pub target: String,
    pub exam_date: Option<Date>,
    pub outcome_asked_at: Option<PrimitiveDateTime>,
    pub updated_at: PrimitiveDateTime,
    /// The daily load the study plan keeps for this exam date.
    pub plan_level: Option<i32>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exam_outcomes)]
pub struct OutcomeRow {
    pub id: i64,
    pub user_id: i64,
    pub target: String,
    pub taken_on: Option<Date>,
    pub passed: Option<bool>,
    pub scaled_score: Option<i32>,
    pub declined: bool,
    pub p_pass_before: Option<f64>,
    pub theta_before: Option<f64>,
    pub reported_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = exam_outcomes)]
pub struct NewOutcome<'a> {
    pub user_id: i64,
    pub target: &'a str,
    pub taken_on: Option<Date>,
    pub passed: Option<bool>,
    pub scaled_score: Option<i32>,
    pub declined: bool,
    pub p_pass_before: Option<f64>,
    pub theta_before: Option<f64>,
    pub reported_at: PrimitiveDateTime,
}

pub fn profile(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<ProfileRow>> {
    study_profiles::table
        .find(user_id)
        .select(ProfileRow::as_select())
        .first(conn)
        .optional()
}

/// Sets the target exam and date (a changed date may be asked about again, and its study plan
/// starts afresh).
pub fn save_profile(
    conn: &mut DbConn,
    user_id: i64,
    target: &str,
    exam_date: Option<Date>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let old = profile(conn, user_id)?;
    match old {
        Some(p) => {
            let (asked, level) = if p.exam_date == exam_date {
                (p.outcome_asked_at, p.plan_level)
            } else {
                (None, None)
            };
            diesel::update(study_profiles::table.find(user_id))
                .set((
                    study_profiles::target.eq(target),
                    study_profiles::exam_date.eq(exam_date),
                    study_profiles::outcome_asked_at.eq(asked),
                    study_profiles::plan_level.eq(level),
                    study_profiles::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(study_profiles::table)
                .values((
                    study_profiles::user_id.eq(user_id),
                    study_profiles::target.eq(target),
                    study_profiles::exam_date.eq(exam_date),
                    study_profiles::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Keeps `level` as the study plan's daily load for the exam date `exam_date`, unless a higher one
/// is kept already or the date has changed since.
pub fn keep_plan_level(
    conn: &mut DbConn,
    user_id: i64,
    exam_date: Date,
    level: i32,
) -> QueryResult<()> {
    diesel::update(
        study_profiles::table
            .find(user_id)
            .filter(study_profiles::exam_date.eq(exam_date))
            .filter(
                study_profiles::plan_level
                    .is_null()
                    .or(study_profiles::plan_level.lt(level)),
            ),
    )
    .set(study_profiles::plan_level.eq(level))
    .execute(conn)
    .map(|_| ())
}

pub fn insert_outcome(conn: &mut DbConn, o: &NewOutcome<'_>) -> QueryResult<()> {
    diesel::insert_into(exam_outcomes::table)
        .values(o)
        .execute(conn)
        .map(|_| ())
}

/// A student's reports, newest first.
pub fn outcomes_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<OutcomeRow>> {
    exam_outcomes::table
        .filter(exam_outcomes::user_id.eq(user_id))
        .order(exam_outcomes::id.desc())
        .select(OutcomeRow::as_select())
        .load(conn)
}

/// Every reported pass or fail (not the declined ones).
pub fn reported(conn: &mut DbConn) -> QueryResult<Vec<OutcomeRow>> {
    exam_outcomes::table
        .filter(exam_outcomes::passed.is_not_null())
        .order(exam_outcomes::id)
        .select(OutcomeRow::as_select())
        .load(conn)
}

/// A student to ask for their exam result.
#[derive(Debug, Clone)]
pub struct DueToAsk {
    pub user_id: i64,
    pub email: String,
    pub name: String,
    /// The exam they prepare for (a target code).
    pub target: String,
    pub exam_date: Date,
}

/// Students whose exam date has passed, who have not been asked and have reported nothing since
/// setting the date.
pub fn due_to_ask(conn: &mut DbConn, today: Date) -> QueryResult<Vec<DueToAsk>> {
    use diesel::dsl::{exists, not};
    let reported_since_set = exam_outcomes::table
        .filter(exam_outcomes::user_id.eq(study_profiles::user_id))
        .filter(exam_outcomes::reported_at.ge(study_profiles::updated_at));
    let rows: Vec<(i64, String, String, String, Option<Date>)> = study_profiles::table
        .inner_join(users::table)
        .filter(study_profiles::exam_date.lt(today))
        .filter(study_profiles::outcome_asked_at.is_null())
        .filter(users::is_active.eq(true))
        .filter(not(exists(reported_since_set)))
        .select((
            study_profiles::user_id,
            users::email,
            users::name,
            study_profiles::target,
            study_profiles::exam_date,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(user_id, email, name, target, date)| {
            Some(DueToAsk {
                user_id,
                email,
                name,
                target,
                exam_date: date?,
            })
        })
        .collect())
}

/// Marks a student as asked; false when another sweep got there first.
pub fn claim_ask(conn: &mut DbConn, user_id: i64, now: PrimitiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        study_profiles::table
            .find(user_id)
            .filter(study_profiles::outcome_asked_at.is_null()),
    )
    .set(study_profiles::outcome_asked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// P(pass) and θ̂ of the student's last finished readiness check or full simulation before
/// `before`.
pub fn last_prediction(
    conn: &mut DbConn,
    user_id: i64,
    before: PrimitiveDateTime,
) -> QueryResult<Option<(f64, f64)>> {
    let row: Option<(Option<f64>, Option<f64>)> = exams::table
        .filter(exams::user_id.eq(user_id))
        .filter(exams::status.eq(super::exams::FINISHED))
        .filter(exams::program.eq_any(["readiness", "mblex", "ncbtmb"]))
        .filter(exams::finished_at.lt(before))
        .filter(exams::p_pass.is_not_null())
        .filter(exams::theta.is_not_null())
        .order(exams::finished_at.desc())
        .select((exams::p_pass, exams::theta))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(p, t)| Some((p?, t?))))
}

pub fn setting(conn: &mut DbConn, name: &str) -> QueryResult<Option<f64>> {
    model_settings::table
        .find(name)
        .select(model_settings::value)
        .first(conn)
        .optional()
}

pub fn set_setting(
    conn: &mut DbConn,
    name: &str,
    value: f64,
    by: i64,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(model_settings::table.find(name))
        .set((
            model_settings::value.eq(value),
            model_settings::updated_at.eq(now),
            model_settings::updated_by.eq(Some(by)),
        ))
        .execute(conn)?;
    if n == 0 {
        diesel::insert_into(model_settings::table)
            .values((
                model_settings::name.eq(name),
                model_settings::value.eq(value),
                model_settings::updated_at.eq(now),
                model_settings::updated_by.eq(Some(by)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// How many students preferred not to say.
pub fn count_declined(conn: &mut DbConn) -> QueryResult<usize> {
    let n: i64 = exam_outcomes::table
        .filter(exam_outcomes::declined.eq(true))
        .count()
        .get_result(conn)?;
    Ok(n as usize)
}

/// Reported passes and fails that have a prediction before them.
pub fn count_checked(conn: &mut DbConn) -> QueryResult<i64> {
    exam_outcomes::table
        .filter(exam_outcomes::passed.is_not_null())
        .filter(exam_outcomes::p_pass_before.is_not_null())
        .count()
        .get_result(conn)
}
