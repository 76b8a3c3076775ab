//! The e-mail outbox: messages are inserted in the same transaction as the change that causes them,
//! and a background sender claims, sends and marks them.

use super::DbConn;
use super::schema::outbox;
use diesel::prelude::*;
use time::{Duration, PrimitiveDateTime};

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub to_addr: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: PrimitiveDateTime,
    pub locked_until: Option<PrimitiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub sent_at: Option<PrimitiveDateTime>,
    pub reply_to: Option<String>,
}

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
/// Gave up after [`MAX_ATTEMPTS`].
pub const DEAD: &str = "dead";
pub const MAX_ATTEMPTS: i32 = 12;

pub fn enqueue(
    conn: &mut DbConn,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    enqueue_on_behalf(conn, to, None, subject, text, html, now)
}

/// [`enqueue`] for a message sent on someone's behalf: Reply goes to `reply_to`.
pub fn enqueue_on_behalf(
    conn: &mut DbConn,
    to: &str,
    reply_to: Option<&str>,
    subject: &str,
    text: &str,
    html: &str,
    now: PrimitiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::to_addr.eq(to),
            outbox::reply_to.eq(reply_to),
            outbox::subject.eq(subject),
            outbox::text_body.eq(text),
            outbox::html_body.eq(html),
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
            outbox::created_at.eq(now),
        ))
        .returning(outbox::id)
        .get_result(conn)
}

/// Claims up to `limit` due messages for `lease`: no other sender (in this or another instance) will
/// take them until the lease ends. PostgreSQL uses `FOR UPDATE SKIP LOCKED`; SQLite's single writer
/// gets the same effect from `BEGIN IMMEDIATE`.
pub fn claim_due(
    conn: &mut DbConn,
    now: PrimitiveDateTime,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let until = now + lease;
    match conn {
        DbConn::Pg(c) => {
            use diesel::sql_types::{BigInt, Timestamp};
            diesel::sql_query(
                "UPDATE outbox SET locked_until = $1 WHERE id IN ( \
                   SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
                   AND (locked_until IS NULL OR locked_until <= $2) \
                   ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
                 RETURNING *",
            )
            .bind::<Timestamp, _>(until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load::<OutboxRow>(c)
        }
        DbConn::Sqlite(_) => super::write_tx(conn, |conn| {
            let rows: Vec<OutboxRow> = outbox::table
                .filter(outbox::status.eq(PENDING))
                .filter(outbox::next_attempt_at.le(now))
                .filter(
                    outbox::locked_until
                        .is_null()
                        .or(outbox::locked_until.le(now)),
                )
                .order(outbox::id)
                .limit(limit)
                .select(OutboxRow::as_select())
                .load(conn)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            diesel::update(outbox::table.filter(outbox::id.eq_any(&ids)))
                .set(outbox::locked_until.eq(until))
                .execute(conn)?;
            Ok(rows)
        }),
    }
}

pub fn mark_sent(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(now),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Records a failed attempt and schedules the next one (or gives up after [`MAX_ATTEMPTS`]).
pub fn mark_failed(
    conn: &mut DbConn,
    row: &OutboxRow,
    error: &str,
    next_at: PrimitiveDateTime,
) -> QueryResult<()> {
    let attempts = row.attempts + 1;
    let status = if attempts >= MAX_ATTEMPTS {
        DEAD
    } else {
        PENDING
    };
    diesel::update(outbox::table.find(row.id))
        .set((
            outbox::status.eq(status),
            outbox::attempts.eq(attempts),
            outbox::next_attempt_at.eq(next_at),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
            outbox::last_error.eq(error.chars().take(500).collect::<String>()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<OutboxRow> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .order(outbox::id)
        .select(OutboxRow::as_select())
        .load(conn)
}
