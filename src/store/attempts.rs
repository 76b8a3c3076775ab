//! Authentication attempts, for rate limiting across every instance that shares the database.

use super::DbConn;
use super::schema::auth_attempts;
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub fn record(
    conn: &mut DbConn,
    action: &str,
    subject: &str,
    succeeded: bool,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(auth_attempts::table)
        .values((
            auth_attempts::action.eq(action),
            auth_attempts::subject.eq(subject),
            auth_attempts::succeeded.eq(succeeded),
            auth_attempts::at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Attempts of `action` by `subject` since `since`; only failed ones when `failures_only`.
pub fn count_since(
    conn: &mut DbConn,
    action: &str,
    subject: &str,
    since: PrimitiveDateTime,
    failures_only: bool,
) -> QueryResult<i64> {
    let mut q = auth_attempts::table
        .filter(auth_attempts::action.eq(action))
        .filter(auth_attempts::subject.eq(subject))
        .filter(auth_attempts::at.ge(since))
        .into_boxed();
    if failures_only {
        q = q.filter(auth_attempts::succeeded.eq(false));
    }
    q.count().get_result(conn)
}

/// Forgets attempts older than `before` (called by the outbox loop now and then).
pub fn prune(conn: &mut DbConn, before: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::delete(auth_attempts::table.filter(auth_attempts::at.lt(before))).execute(conn)
}
