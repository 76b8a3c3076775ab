//! CE courses published by instructors, and the certificates earned by passing them.

use super::DbConn;
use super::schema::{ce_certificates, ce_courses, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_courses)]
pub struct Course {
    pub id: i64,
    pub owner_id: i64,
    pub title: String,
    pub reading: String,
    pub hours: f64,
    pub topic: String,
    pub approvals: String,
    pub subareas: String,
    pub questions: i32,
    pub pass_percent: i32,
    pub published: bool,
    pub created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = ce_courses)]
pub struct NewCourse<'a> {
    pub owner_id: i64,
    pub title: &'a str,
    pub reading: &'a str,
    pub hours: f64,
    pub topic: &'a str,
    pub approvals: &'a str,
    pub subareas: &'a str,
    pub questions: i32,
    pub pass_percent: i32,
    pub published: bool,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, c: &NewCourse) -> QueryResult<i64> {
    diesel::insert_into(ce_courses::table)
        .values(c)
        .returning(ce_courses::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<Course>> {
    ce_courses::table
        .find(id)
        .select(Course::as_select())
        .first(conn)
        .optional()
}

pub fn published(conn: &mut DbConn) -> QueryResult<Vec<Course>> {
    ce_courses::table
        .filter(ce_courses::published.eq(true))
        .order(ce_courses::id.desc())
        .select(Course::as_select())
        .load(conn)
}

pub fn owned_by(conn: &mut DbConn, owner: i64) -> QueryResult<Vec<Course>> {
    ce_courses::table
        .filter(ce_courses::owner_id.eq(owner))
        .order(ce_courses::id.desc())
        .select(Course::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ce_certificates)]
pub struct Certificate {
    pub id: i64,
    pub code: String,
    pub course_id: i64,
    pub user_id: i64,
    pub exam_id: i64,
    pub score_percent: i32,
    pub activity_id: Option<i64>,
    pub issued_at: PrimitiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn insert_certificate(
    conn: &mut DbConn,
    code: &str,
    course: i64,
    user: i64,
    exam: i64,
    score: i32,
    activity: Option<i64>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(ce_certificates::table)
        .values((
            ce_certificates::code.eq(code),
            ce_certificates::course_id.eq(course),
            ce_certificates::user_id.eq(user),
            ce_certificates::exam_id.eq(exam),
            ce_certificates::score_percent.eq(score),
            ce_certificates::activity_id.eq(activity),
            ce_certificates::issued_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A certificate with its holder's name and the course, by its public code.
pub fn by_code(
    conn: &mut DbConn,
    code: &str,
) -> QueryResult<Option<(Certificate, String, Course)>> {
    ce_certificates::table
        .inner_join(users::table.on(users::id.eq(ce_certificates::user_id)))
        .inner_join(ce_courses::table.on(ce_courses::id.eq(ce_certificates::course_id)))
        .filter(ce_certificates::code.eq(code))
        .select((Certificate::as_select(), users::name, Course::as_select()))
        .first(conn)
        .optional()
}

pub fn by_exam(conn: &mut DbConn, exam_id: i64) -> QueryResult<Option<Certificate>> {
    ce_certificates::table
        .filter(ce_certificates::exam_id.eq(exam_id))
        .select(Certificate::as_select())
        .first(conn)
        .optional()
}

/// Certificate codes of a person's passed courses, by the CE activity each was logged as.
pub fn codes_by_activity(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(i64, String)>> {
    let rows: Vec<(Option<i64>, String)> = ce_certificates::table
        .filter(ce_certificates::user_id.eq(user_id))
        .select((ce_certificates::activity_id, ce_certificates::code))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(a, c)| a.map(|a| (a, c)))
        .collect())
}
