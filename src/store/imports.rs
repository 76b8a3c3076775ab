//! Pending question imports: a parsed upload between its preview and the instructor's confirmation.

use super::DbConn;
use super::schema::bank_imports;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bank_imports)]
pub struct ImportRow {
    pub id: String,
    pub user_id: i64,
    pub format: String,
    pub file_name: String,
    /// The parsed file (JSON of `domain::bank::interchange::Parsed`).
    pub payload: String,
    pub created_at: PrimitiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &ImportRow) -> QueryResult<()> {
    diesel::insert_into(bank_imports::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The import `id` if it belongs to `user_id`.
pub fn find(conn: &mut DbConn, id: &str, user_id: i64) -> QueryResult<Option<ImportRow>> {
    bank_imports::table
        .find(id)
        .filter(bank_imports::user_id.eq(user_id))
        .select(ImportRow::as_select())
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(bank_imports::table.find(id)).execute(conn)
}

/// Removes previews nobody confirmed before `before`.
pub fn delete_older_than(conn: &mut DbConn, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(bank_imports::table.filter(bank_imports::created_at.lt(before))).execute(conn)
}
