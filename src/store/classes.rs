//! Classes: their teachers, members (with when they joined and left) and assignments, and the
//! exam data a class gradebook reads.

use super::DbConn;
use super::schema::{
    assignments, class_members, class_teachers, classes, exam_items, exams, users,
};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = classes)]
pub struct ClassRow {
    pub id: i64,
    pub name: String,
    pub term: String,
    pub exam_target: String,
    pub invite_code: String,
    pub created_by: i64,
    pub created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = classes)]
pub struct NewClass<'a> {
    pub name: &'a str,
    pub term: &'a str,
    pub exam_target: &'a str,
    pub invite_code: &'a str,
    pub created_by: i64,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: i64,
    pub class_id: i64,
    pub kind: String,
    pub title: String,
    pub areas: String,
    pub length: Option<i32>,
    pub program_id: Option<i64>,
    pub opens_at: PrimitiveDateTime,
    pub due_at: PrimitiveDateTime,
    pub created_by: i64,
    pub created_at: PrimitiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = assignments)]
pub struct NewAssignment<'a> {
    pub class_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub areas: &'a str,
    pub length: Option<i32>,
    pub program_id: Option<i64>,
    pub opens_at: PrimitiveDateTime,
    pub due_at: PrimitiveDateTime,
    pub created_by: i64,
    pub created_at: PrimitiveDateTime,
}

/// A person in a class: id, name, e-mail, and (members) when they joined.
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub joined_at: PrimitiveDateTime,
}

type PersonRow = (i64, String, String, PrimitiveDateTime);

impl From<PersonRow> for Person {
    fn from((user_id, name, email, joined_at): PersonRow) -> Person {
        Person {
            user_id,
            name,
            email,
            joined_at,
        }
    }
}

pub fn insert_class(c: &mut DbConn, row: &NewClass) -> QueryResult<i64> {
    diesel::insert_into(classes::table)
        .values(row)
        .returning(classes::id)
        .get_result(c)
}

pub fn find_class(c: &mut DbConn, id: i64) -> QueryResult<Option<ClassRow>> {
    classes::table
        .find(id)
        .select(ClassRow::as_select())
        .first(c)
        .optional()
}

pub fn all_classes(c: &mut DbConn) -> QueryResult<Vec<ClassRow>> {
    classes::table
        .order(classes::id)
        .select(ClassRow::as_select())
        .load(c)
}

pub fn find_by_code(c: &mut DbConn, code: &str) -> QueryResult<Option<ClassRow>> {
    classes::table
        .filter(classes::invite_code.eq(code))
        .select(ClassRow::as_select())
        .first(c)
        .optional()
}

pub fn add_teacher(
    c: &mut DbConn,
    class_id: i64,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    if is_teacher(c, class_id, user_id)? {
        return Ok(());
    }
    diesel::insert_into(class_teachers::table)
        .values((
            class_teachers::class_id.eq(class_id),
            class_teachers::user_id.eq(user_id),
            class_teachers::added_at.eq(now),
        ))
        .execute(c)
        .map(|_| ())
}

pub fn is_teacher(c: &mut DbConn, class_id: i64, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        class_teachers::table.find((class_id, user_id)),
    ))
    .get_result(c)
}

pub fn teachers(c: &mut DbConn, class_id: i64) -> QueryResult<Vec<Person>> {
    Ok(class_teachers::table
        .inner_join(users::table)
        .filter(class_teachers::class_id.eq(class_id))
        .order(users::name)
        .select((
            users::id,
            users::name,
            users::email,
            class_teachers::added_at,
        ))
        .load::<PersonRow>(c)?
        .into_iter()
        .map(Person::from)
        .collect())
}

pub fn classes_taught(c: &mut DbConn, user_id: i64) -> QueryResult<Vec<ClassRow>> {
    class_teachers::table
        .inner_join(classes::table)
        .filter(class_teachers::user_id.eq(user_id))
        .order(classes::created_at.desc())
        .select(ClassRow::as_select())
        .load(c)
}

/// Joins (or re-joins, starting a new membership).
pub fn join(
    c: &mut DbConn,
    class_id: i64,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    let n = diesel::update(class_members::table.find((class_id, user_id)))
        .filter(class_members::left_at.is_not_null())
        .set((
            class_members::joined_at.eq(now),
            class_members::left_at.eq(None::<PrimitiveDateTime>),
        ))
        .execute(c)?;
    let exists: bool = diesel::select(diesel::dsl::exists(
        class_members::table.find((class_id, user_id)),
    ))
    .get_result(c)?;
    if n == 0 && !exists {
        diesel::insert_into(class_members::table)
            .values((
                class_members::class_id.eq(class_id),
                class_members::user_id.eq(user_id),
                class_members::joined_at.eq(now),
            ))
            .execute(c)?;
    }
    Ok(())
}

pub fn leave(
    c: &mut DbConn,
    class_id: i64,
    user_id: i64,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    diesel::update(class_members::table.find((class_id, user_id)))
        .filter(class_members::left_at.is_null())
        .set(class_members::left_at.eq(Some(now)))
        .execute(c)
}

/// When `user_id` joined `class_id`, if they are a member now.
pub fn joined_at(
    c: &mut DbConn,
    class_id: i64,
    user_id: i64,
) -> QueryResult<Option<PrimitiveDateTime>> {
    class_members::table
        .find((class_id, user_id))
        .filter(class_members::left_at.is_null())
        .select(class_members::joined_at)
        .first(c)
        .optional()
}

/// The class's current members (those who left are not included).
pub fn members(c: &mut DbConn, class_id: i64) -> QueryResult<Vec<Person>> {
    Ok(class_members::table
        .inner_join(users::table)
        .filter(class_members::class_id.eq(class_id))
        .filter(class_members::left_at.is_null())
        .filter(users::is_active.eq(true))
        .order(users::name)
        .select((
            users::id,
            users::name,
            users::email,
            class_members::joined_at,
        ))
        .load::<PersonRow>(c)?
        .into_iter()
        .map(Person::from)
        .collect())
}

/// The classes a student is a member of now.
pub fn classes_joined(c: &mut DbConn, user_id: i64) -> QueryResult<Vec<ClassRow>> {
    class_members::table
        .inner_join(classes::table)
        .filter(class_members::user_id.eq(user_id))
        .filter(class_members::left_at.is_null())
        .order(classes::name)
        .select(ClassRow::as_select())
        .load(c)
}

pub fn insert_assignment(c: &mut DbConn, row: &NewAssignment) -> QueryResult<i64> {
    diesel::insert_into(assignments::table)
        .values(row)
        .returning(assignments::id)
        .get_result(c)
}

pub fn find_assignment(c: &mut DbConn, id: i64) -> QueryResult<Option<AssignmentRow>> {
    assignments::table
        .find(id)
        .select(AssignmentRow::as_select())
        .first(c)
        .optional()
}

pub fn assignments_of(c: &mut DbConn, class_ids: &[i64]) -> QueryResult<Vec<AssignmentRow>> {
    assignments::table
        .filter(assignments::class_id.eq_any(class_ids))
        .order((assignments::due_at.asc(), assignments::id.asc()))
        .select(AssignmentRow::as_select())
        .load(c)
}

/// What the gradebook needs of one exam.
#[derive(Debug, Clone, Queryable)]
pub struct ExamFacts {
    pub id: i64,
    pub user_id: i64,
    pub assignment_id: Option<i64>,
    pub program: String,
    pub status: String,
    pub started_at: PrimitiveDateTime,
    pub finished_at: Option<PrimitiveDateTime>,
    pub p_pass: Option<f64>,
    pub n_scored: i32,
    pub n_correct: i32,
    pub result: Option<String>,
}

/// Every exam of these students started at or after `since` (the caller keeps, per student, those
/// after their own joining).
pub fn exams_of(
    c: &mut DbConn,
    user_ids: &[i64],
    since: PrimitiveDateTime,
) -> QueryResult<Vec<ExamFacts>> {
    exams::table
        .filter(exams::user_id.eq_any(user_ids))
        .filter(exams::started_at.ge(since))
        .order(exams::started_at.asc())
        .select((
            exams::id,
            exams::user_id,
            exams::assignment_id,
            exams::program,
            exams::status,
            exams::started_at,
            exams::finished_at,
            exams::p_pass,
            exams::n_scored,
            exams::n_correct,
            exams::result,
        ))
        .load(c)
}

/// One answer: who, which exam, which area, right or not, when.
pub type Answer = (i64, i64, String, bool, PrimitiveDateTime);

/// The answers these students gave since `since` (scored or not).
pub fn answers_of(
    c: &mut DbConn,
    user_ids: &[i64],
    since: PrimitiveDateTime,
) -> QueryResult<Vec<Answer>> {
    exam_items::table
        .inner_join(exams::table)
        .filter(exams::user_id.eq_any(user_ids))
        .filter(exam_items::answered_at.ge(since))
        .select((
            exams::user_id,
            exams::id,
            exam_items::area,
            exam_items::correct.assume_not_null(),
            exam_items::answered_at.assume_not_null(),
        ))
        .load(c)
}

/// The answers to one assignment: (student, item, option chosen as written in the bank, right).
pub fn assignment_answers(
    c: &mut DbConn,
    assignment_id: i64,
) -> QueryResult<Vec<(i64, String, i32, bool)>> {
    exam_items::table
        .inner_join(exams::table)
        .filter(exams::assignment_id.eq(assignment_id))
        .filter(exam_items::chosen.is_not_null())
        .select((
            exams::user_id,
            exam_items::item_id,
            exam_items::chosen.assume_not_null(),
            exam_items::correct.assume_not_null(),
        ))
        .load(c)
}

/// The exam a student has in progress for an assignment, if any (its public id).
pub fn running_exam(
    c: &mut DbConn,
    user_id: i64,
    assignment_id: i64,
) -> QueryResult<Option<String>> {
    exams::table
        .filter(exams::user_id.eq(user_id))
        .filter(exams::assignment_id.eq(assignment_id))
        .filter(exams::status.eq(super::exams::IN_PROGRESS))
        .select(exams::public_id)
        .first(c)
        .optional()
}

/// The questions presented in a class's assignments, in id order.
pub fn class_items(c: &mut DbConn, class_id: i64) -> QueryResult<Vec<String>> {
    let ids: Vec<i64> = assignments::table
        .filter(assignments::class_id.eq(class_id))
        .select(assignments::id)
        .load(c)?;
    exam_items::table
        .inner_join(exams::table)
        .filter(exams::assignment_id.eq_any(ids))
        .select(exam_items::item_id)
        .distinct()
        .order(exam_items::item_id)
        .load(c)
}
