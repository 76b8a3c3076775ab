//! Study cards: each student's FSRS memory state per question (see [`crate::domain::study`]).

use super::DbConn;
use super::schema::study_cards;
use diesel::prelude::*;
use time::PrimitiveDateTime;

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
