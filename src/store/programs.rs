//! Exam programs that instructors define for their students.

use super::DbConn;
use super::schema::{custom_programs, users};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = custom_programs)]
pub struct ProgramRow {
    pub id: i64,
    pub owner_id: i64,
    pub name: String,
    pub areas: String,
    pub length: i32,
    pub minutes: i32,
    pub active: bool,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(
    conn: &mut DbConn,
    owner: i64,
    name: &str,
    areas: &str,
    length: i32,
    minutes: i32,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(custom_programs::table)
        .values((
            custom_programs::owner_id.eq(owner),
            custom_programs::name.eq(name),
            custom_programs::areas.eq(areas),
            custom_programs::length.eq(length),
            custom_programs::minutes.eq(minutes),
            custom_programs::active.eq(true),
            custom_programs::created_at.eq(now),
        ))
        .returning(custom_programs::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ProgramRow>> {
    custom_programs::table
        .find(id)
        .select(ProgramRow::as_select())
        .first(conn)
        .optional()
}

/// Active programs with their authors' names, newest first.
pub fn active(conn: &mut DbConn) -> QueryResult<Vec<(ProgramRow, String)>> {
    custom_programs::table
        .inner_join(users::table.on(users::id.eq(custom_programs::owner_id)))
        .filter(custom_programs::active.eq(true))
        .order(custom_programs::id.desc())
        .select((ProgramRow::as_select(), users::name))
        .load(conn)
}

pub fn owned_by(conn: &mut DbConn, owner: i64) -> QueryResult<Vec<ProgramRow>> {
    custom_programs::table
        .filter(custom_programs::owner_id.eq(owner))
        .order(custom_programs::id.desc())
        .select(ProgramRow::as_select())
        .load(conn)
}

/// Archives a program of `owner`; false when there is no such program of theirs.
pub fn archive(conn: &mut DbConn, owner: i64, id: i64) -> QueryResult<bool> {
    let n = diesel::update(
        custom_programs::table
            .filter(custom_programs::id.eq(id))
            .filter(custom_programs::owner_id.eq(owner)),
    )
    .set(custom_programs::active.eq(false))
    .execute(conn)?;
    Ok(n == 1)
}
