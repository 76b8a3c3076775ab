//! Exams (attempts) and the items presented in them.

use super::DbConn;
use super::schema::{exam_items, exams};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exams)]
pub struct ExamRow {
    pub id: i64,
    pub public_id: String,
    pub user_id: i64,
    pub program: String,
    pub title: String,
    pub config: String,
    pub seed: i64,
    pub prior_mu: f64,
    /// Item ids seen recently before this exam (JSON list, least recent first).
    pub seen: String,
    pub status: String,
    pub started_at: PrimitiveDateTime,
    pub deadline_at: Option<PrimitiveDateTime>,
    pub finished_at: Option<PrimitiveDateTime>,
    pub outcome: Option<String>,
    pub passed: Option<bool>,
    pub p_pass: Option<f64>,
    pub theta: Option<f64>,
    pub psd: Option<f64>,
    pub scaled_score: Option<i32>,
    pub n_scored: i32,
    pub n_correct: i32,
    pub result: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = exams)]
pub struct NewExam<'a> {
    pub public_id: &'a str,
    pub user_id: i64,
    pub program: &'a str,
    pub title: &'a str,
    pub config: &'a str,
    pub seed: i64,
    pub prior_mu: f64,
    pub seen: &'a str,
    pub status: &'a str,
    pub started_at: PrimitiveDateTime,
    pub deadline_at: Option<PrimitiveDateTime>,
    /// The class assignment the exam was started for.
    pub assignment_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = exam_items)]
pub struct ExamItemRow {
    pub id: i64,
    pub exam_id: i64,
    pub position: i32,
    pub item_id: String,
    pub version: i32,
    pub area: String,
    pub scored: bool,
    pub option_order: String,
    pub presented_at: PrimitiveDateTime,
    pub chosen: Option<i32>,
    pub correct: Option<bool>,
    pub answered_at: Option<PrimitiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = exam_items)]
pub struct NewExamItem<'a> {
    pub exam_id: i64,
    pub position: i32,
    pub item_id: &'a str,
    pub version: i32,
    pub area: &'a str,
    pub scored: bool,
    pub option_order: &'a str,
    pub presented_at: PrimitiveDateTime,
}

pub const IN_PROGRESS: &str = "in_progress";
pub const FINISHED: &str = "finished";

pub fn insert_exam(conn: &mut DbConn, e: &NewExam) -> QueryResult<i64> {
    diesel::insert_into(exams::table)
        .values(e)
        .returning(exams::id)
        .get_result(conn)
}

pub fn insert_item(conn: &mut DbConn, i: &NewExamItem) -> QueryResult<()> {
    diesel::insert_into(exam_items::table)
        .values(i)
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_public_id(conn: &mut DbConn, public_id: &str) -> QueryResult<Option<ExamRow>> {
    exams::table
        .filter(exams::public_id.eq(public_id))
        .select(ExamRow::as_select())
        .first(conn)
        .optional()
}

/// Locks the exam row until the end of the transaction (PostgreSQL); on SQLite the surrounding
/// `BEGIN IMMEDIATE` already serialises writers.
pub fn lock(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    if let DbConn::Pg(c) = conn {
        diesel::sql_query("SELECT id FROM exams WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(id)
            .execute(c)?;
    }
    Ok(())
}

/// The exam's status, locking its row until the end of the transaction on PostgreSQL (SQLite's
/// `BEGIN IMMEDIATE` already serialises writers).
pub fn lock_status(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    let q = exams::table.find(id).select(exams::status);
    match conn {
        DbConn::Pg(c) => q.for_update().first(c).optional(),
        DbConn::Sqlite(c) => q.first(c).optional(),
    }
}

pub fn items_of(conn: &mut DbConn, exam_id: i64) -> QueryResult<Vec<ExamItemRow>> {
    exam_items::table
        .filter(exam_items::exam_id.eq(exam_id))
        .order(exam_items::position)
        .select(ExamItemRow::as_select())
        .load(conn)
}

/// Records an answer unless the position was already answered. With `only_if_running`, the same
/// statement also checks that the exam is still running: on PostgreSQL it locks the exam's row as
/// [`lock_status`] does (a concurrent finish either waits for it or makes it change nothing), one
/// round trip less than reading the status first. Returns whether it was recorded.
pub fn answer(
    conn: &mut DbConn,
    exam_id: i64,
    position: i32,
    chosen: i32,
    correct: bool,
    now: PrimitiveDateTime,
    only_if_running: bool,
) -> QueryResult<bool> {
    let record = RecordAnswer {
        exam_id,
        position,
        chosen,
        correct,
        now,
    };
    let n = if only_if_running {
        RecordRunningAnswer(record).execute(conn)?
    } else {
        record.execute(conn)?
    };
    Ok(n == 1)
}

/// The answer's UPDATE, written out so that it stays prepared: diesel compiles every UPDATE built
/// with `update(…).set(…)` afresh (a changeset with optional fields may change its SQL), which cost
/// a statement compile on each answer. This one's SQL never changes.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct RecordAnswer {
    exam_id: i64,
    position: i32,
    chosen: i32,
    correct: bool,
    now: PrimitiveDateTime,
}

type Backend = <DbConn as diesel::Connection>::Backend;

/// `sep column = ?`: one comparison or assignment of the written-out statement, named by the
/// schema's column so that a renamed column fails to compile.
fn column_bind<'b, C, ST, U>(
    out: &mut diesel::query_builder::AstPass<'_, 'b, Backend>,
    sep: &'static str,
    value: &'b U,
) -> QueryResult<()>
where
    C: diesel::Column,
    Backend: diesel::sql_types::HasSqlType<ST>,
    U: diesel::serialize::ToSql<ST, Backend> + ?Sized,
{
    out.push_sql(sep);
    out.push_identifier(C::NAME)?;
    out.push_sql(" = ");
    out.push_bind_param::<ST, U>(value)
}

impl diesel::query_builder::QueryFragment<Backend> for RecordAnswer {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Backend>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Bool, Integer, Timestamp};
        use exam_items::{answered_at, chosen, correct, exam_id, position};
        out.push_sql("UPDATE ");
        exam_items::table.walk_ast(out.reborrow())?;
        column_bind::<chosen, Integer, _>(&mut out, " SET ", &self.chosen)?;
        column_bind::<correct, Bool, _>(&mut out, ", ", &self.correct)?;
        column_bind::<answered_at, Timestamp, _>(&mut out, ", ", &self.now)?;
        column_bind::<exam_id, BigInt, _>(&mut out, " WHERE ", &self.exam_id)?;
        column_bind::<position, Integer, _>(&mut out, " AND ", &self.position)?;
        out.push_sql(" AND ");
        out.push_identifier(<chosen as diesel::Column>::NAME)?;
        out.push_sql(" IS NULL");
        Ok(())
    }
}

impl RunQueryDsl<DbConn> for RecordAnswer {}

/// [`RecordAnswer`] guarded by the exam's status. PostgreSQL: `WITH running AS (SELECT 1 FROM
/// exams WHERE id = $1 AND status = $2 FOR UPDATE) UPDATE … AND EXISTS (SELECT 1 FROM running)`;
/// SQLite (whose writer lock already serializes): `UPDATE … AND EXISTS (SELECT 1 FROM exams WHERE
/// id = ? AND status = ?)`. A type of its own, because a statement is cached by its type.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
struct RecordRunningAnswer(RecordAnswer);

impl diesel::query_builder::QueryFragment<Backend> for RecordRunningAnswer {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, Backend>,
    ) -> QueryResult<()> {
        use diesel::sql_types::{BigInt, Text};
        let pg = matches!(out.backend(), super::MultiBackend::Pg(_));
        let running = |out: &mut diesel::query_builder::AstPass<'_, 'b, Backend>| {
            out.push_sql("SELECT 1 FROM ");
            exams::table.walk_ast(out.reborrow())?;
            column_bind::<exams::id, BigInt, _>(out, " WHERE ", &self.0.exam_id)?;
            column_bind::<exams::status, Text, str>(out, " AND ", IN_PROGRESS)
        };
        if pg {
            out.push_sql("WITH running AS (");
            running(&mut out)?;
            out.push_sql(" FOR UPDATE) ");
        }
        self.0.walk_ast(out.reborrow())?;
        if pg {
            out.push_sql(" AND EXISTS (SELECT 1 FROM running)");
        } else {
            out.push_sql(" AND EXISTS (");
            running(&mut out)?;
            out.push_sql(")");
        }
        Ok(())
    }
}

impl RunQueryDsl<DbConn> for RecordRunningAnswer {}

/// Removes a presented item that was never answered (an exam ended while it was on screen).
pub fn drop_unanswered(conn: &mut DbConn, exam_id: i64) -> QueryResult<usize> {
    diesel::delete(
        exam_items::table
            .filter(exam_items::exam_id.eq(exam_id))
            .filter(exam_items::chosen.is_null()),
    )
    .execute(conn)
}

#[allow(clippy::too_many_arguments)]
pub fn finish(
    conn: &mut DbConn,
    id: i64,
    status: &str,
    outcome: &str,
    passed: Option<bool>,
    p_pass: Option<f64>,
    theta: Option<f64>,
    psd: Option<f64>,
    scaled: Option<i32>,
    n_scored: i32,
    n_correct: i32,
    result: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(exams::table.find(id).filter(exams::status.eq(IN_PROGRESS)))
        .set((
            exams::status.eq(status),
            exams::outcome.eq(outcome),
            exams::passed.eq(passed),
            exams::p_pass.eq(p_pass),
            exams::theta.eq(theta),
            exams::psd.eq(psd),
            exams::scaled_score.eq(scaled),
            exams::n_scored.eq(n_scored),
            exams::n_correct.eq(n_correct),
            exams::result.eq(result),
            exams::finished_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn exams_of(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<ExamRow>> {
    exams::table
        .filter(exams::user_id.eq(user_id))
        .order(exams::id.desc())
        .select(ExamRow::as_select())
        .load(conn)
}

/// How many questions each of the user's unfinished exams has answered, by exam id.
pub fn answered_in_progress(
    conn: &mut DbConn,
    user_id: i64,
) -> QueryResult<std::collections::HashMap<i64, i64>> {
    use diesel::dsl::count_star;
    let rows: Vec<(i64, i64)> = exam_items::table
        .inner_join(exams::table)
        .filter(exams::user_id.eq(user_id))
        .filter(exams::status.eq(IN_PROGRESS))
        .filter(exam_items::chosen.is_not_null())
        .group_by(exam_items::exam_id)
        .select((exam_items::exam_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The user's most recent finished exam of an adaptive program (for the next exam's prior).
pub fn last_theta(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<f64>> {
    exams::table
        .filter(exams::user_id.eq(user_id))
        .filter(exams::theta.is_not_null())
        .order(exams::id.desc())
        .select(exams::theta)
        .first::<Option<f64>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Item ids this user saw in the last 30 days or in their last 3 exams, least recently seen first.
pub fn recently_seen(
    conn: &mut DbConn,
    user_id: i64,
    since: PrimitiveDateTime,
    exclude_exam: i64,
) -> QueryResult<Vec<String>> {
    let last3: Vec<i64> = exams::table
        .filter(exams::user_id.eq(user_id))
        .filter(exams::id.ne(exclude_exam))
        .order(exams::id.desc())
        .limit(3)
        .select(exams::id)
        .load(conn)?;
    // Each item once, ordered by its most recent showing (least recent first).
    exam_items::table
        .inner_join(exams::table)
        .filter(exams::user_id.eq(user_id))
        .filter(exams::id.ne(exclude_exam))
        .filter(
            exam_items::presented_at
                .ge(since)
                .or(exams::id.eq_any(&last3)),
        )
        .group_by(exam_items::item_id)
        .order((
            diesel::dsl::max(exam_items::presented_at).asc(),
            exam_items::item_id.asc(),
        ))
        .select(exam_items::item_id)
        .load(conn)
}

/// In-progress exams whose deadline has passed, claimed for finalising (skipping rows another
/// instance holds on PostgreSQL).
pub fn overdue(conn: &mut DbConn, now: PrimitiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    match conn {
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT public_id FROM exams WHERE status = 'in_progress' AND deadline_at IS NOT NULL AND deadline_at <= $1 \
             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind::<diesel::sql_types::Timestamp, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load::<PublicId>(c)
        .map(|v| v.into_iter().map(|p| p.public_id).collect()),
        DbConn::Sqlite(_) => exams::table
            .filter(exams::status.eq(IN_PROGRESS))
            .filter(exams::deadline_at.le(now))
            .order(exams::id)
            .limit(limit)
            .select(exams::public_id)
            .load(conn),
    }
}

#[derive(QueryableByName)]
pub struct PublicId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub public_id: String,
}

/// Per item: in how many exams started since `since` it was presented; and how many exams started.
pub fn exposure_counts(
    conn: &mut DbConn,
    since: PrimitiveDateTime,
) -> QueryResult<(i64, Vec<(String, i64)>)> {
    let total: i64 = exams::table
        .filter(exams::started_at.ge(since))
        .count()
        .get_result(conn)?;
    let per_item: Vec<(String, i64)> = exam_items::table
        .inner_join(exams::table)
        .filter(exams::started_at.ge(since))
        .group_by(exam_items::item_id)
        .select((exam_items::item_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok((total, per_item))
}

/// Whether the user answered this version of the item in one of their exams.
pub fn has_answered(
    conn: &mut DbConn,
    user_id: i64,
    item_id: &str,
    version: i32,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        exam_items::table
            .inner_join(exams::table)
            .filter(exams::user_id.eq(user_id))
            .filter(exam_items::item_id.eq(item_id))
            .filter(exam_items::version.eq(version))
            .filter(exam_items::chosen.is_not_null()),
    ))
    .get_result(conn)
}

/// The user's latest answer to an item in one of their finished exams.
pub fn latest_finished_answer(
    conn: &mut DbConn,
    user_id: i64,
    item_id: &str,
) -> QueryResult<Option<ExamItemRow>> {
    exam_items::table
        .inner_join(exams::table)
        .filter(exams::user_id.eq(user_id))
        .filter(exams::status.eq(FINISHED))
        .filter(exam_items::item_id.eq(item_id))
        .filter(exam_items::answered_at.is_not_null())
        .filter(exam_items::correct.is_not_null())
        .order(exam_items::answered_at.desc())
        .select(ExamItemRow::as_select())
        .first(conn)
        .optional()
}

/// One answered presentation of an item in a finished exam, with that exam's totals.
#[derive(Debug, Clone, Queryable)]
pub struct ItemResponse {
    pub version: i32,
    /// The option index chosen.
    pub chosen: Option<i32>,
    pub correct: Option<bool>,
    /// How many items of the exam were scored, and how many of those were correct.
    pub exam_scored: i32,
    pub exam_correct: i32,
    /// Whether this presentation counted toward the score (pretest items do not).
    pub scored: bool,
}

/// Every answered presentation of an item in a finished exam.
pub fn responses_to(conn: &mut DbConn, item_id: &str) -> QueryResult<Vec<ItemResponse>> {
    exam_items::table
        .inner_join(exams::table)
        .filter(exam_items::item_id.eq(item_id))
        .filter(exam_items::chosen.is_not_null())
        .filter(exams::status.eq(FINISHED))
        .select((
            exam_items::version,
            exam_items::chosen,
            exam_items::correct,
            exams::n_scored,
            exams::n_correct,
            exam_items::scored,
        ))
        .load(conn)
}

/// When each of the person's questions answered since `since` was shown and answered (any exam).
pub fn answer_times(
    conn: &mut DbConn,
    user_id: i64,
    since: PrimitiveDateTime,
) -> QueryResult<Vec<(PrimitiveDateTime, PrimitiveDateTime)>> {
    let rows: Vec<(PrimitiveDateTime, Option<PrimitiveDateTime>)> = exam_items::table
        .inner_join(exams::table)
        .filter(exams::user_id.eq(user_id))
        .filter(exam_items::answered_at.ge(since))
        .select((exam_items::presented_at, exam_items::answered_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, a)| a.map(|a| (p, a)))
        .collect())
}

/// Finished exams whose answers the study scheduler has not yet had, oldest first.
pub fn unstudied(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<String>> {
    exams::table
        .filter(exams::status.eq(FINISHED))
        .filter(exams::studied_at.is_null())
        .order(exams::id.asc())
        .limit(limit)
        .select(exams::public_id)
        .load(conn)
}

/// Claims a finished exam for the study scheduler; false when another run claimed it first.
pub fn claim_studied(conn: &mut DbConn, id: i64, now: PrimitiveDateTime) -> QueryResult<bool> {
    diesel::update(
        exams::table
            .filter(exams::id.eq(id))
            .filter(exams::studied_at.is_null()),
    )
    .set(exams::studied_at.eq(now))
    .execute(conn)
    .map(|n| n == 1)
}

/// The stored result of the person's latest finished exam that estimates every area (a readiness
/// check or a full simulation), if any.
pub fn latest_area_estimates(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<String>> {
    exams::table
        .filter(exams::user_id.eq(user_id))
        .filter(exams::status.eq(FINISHED))
        .filter(exams::program.eq_any(["readiness", "mblex", "ncbtmb"]))
        .filter(exams::result.is_not_null())
        .order(exams::finished_at.desc())
        .select(exams::result)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}
