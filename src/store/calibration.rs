//! Calibration runs and the item parameters they estimated.

use super::DbConn;
use super::schema::{bank_item_versions, calibration_runs, exam_items, exams, item_calibrations};
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calibration_runs)]
pub struct RunRow {
    pub id: i64,
    pub started_at: PrimitiveDateTime,
    pub finished_at: PrimitiveDateTime,
    pub source: String,
    pub requested_by: Option<i64>,
    pub model: String,
    pub n_responses: i64,
    pub n_persons: i64,
    pub n_items: i32,
    pub n_active: i32,
    pub n_graduated: i32,
    pub iterations: i32,
    pub converged: bool,
    pub log_likelihood: f64,
    pub wall_time_s: f64,
}

#[derive(Insertable)]
#[diesel(table_name = calibration_runs)]
pub struct NewRun<'a> {
    pub started_at: PrimitiveDateTime,
    pub finished_at: PrimitiveDateTime,
    pub source: &'a str,
    pub requested_by: Option<i64>,
    pub model: &'a str,
    pub n_responses: i64,
    pub n_persons: i64,
    pub n_items: i32,
    pub n_active: i32,
    pub n_graduated: i32,
    pub iterations: i32,
    pub converged: bool,
    pub log_likelihood: f64,
    pub wall_time_s: f64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = item_calibrations)]
pub struct ItemCalibrationRow {
    #[diesel(skip_insertion)]
    pub id: i64,
    pub run_id: i64,
    pub item_id: String,
    pub version: i32,
    pub pool_status: String,
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub se_a: Option<f64>,
    pub se_b: Option<f64>,
    pub se_c: Option<f64>,
    pub n: i64,
    pub fit: f64,
    pub active: bool,
}

/// One scored or pretest answer of a finished exam: (exam, item, version, correct).
pub type Answer = (i64, String, i32, bool);

/// Every answer given in finished exams, in exam order.
pub fn answers(conn: &mut DbConn) -> QueryResult<Vec<Answer>> {
    let rows: Vec<(i64, String, i32, Option<bool>)> = exam_items::table
        .inner_join(exams::table)
        .filter(exams::status.eq(super::exams::FINISHED))
        .filter(exam_items::correct.is_not_null())
        .order((exam_items::exam_id, exam_items::position))
        .select((
            exam_items::exam_id,
            exam_items::item_id,
            exam_items::version,
            exam_items::correct,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(e, i, v, c)| c.map(|c| (e, i, v, c)))
        .collect())
}

/// Each item version's pool status: (item, version, status).
pub fn pool_statuses(conn: &mut DbConn) -> QueryResult<Vec<(String, i32, String)>> {
    bank_item_versions::table
        .select((
            bank_item_versions::item_id,
            bank_item_versions::version,
            bank_item_versions::pool_status,
        ))
        .load(conn)
}

/// Stores a run and its item rows; returns the run's id.
pub fn insert_run(
    conn: &mut DbConn,
    run: &NewRun<'_>,
    items: &mut [ItemCalibrationRow],
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(calibration_runs::table)
        .values(run)
        .returning(calibration_runs::id)
        .get_result(conn)?;
    for item in items.iter_mut() {
        item.run_id = id;
    }
    // One statement per row: batch inserts are not available on the multi-backend connection.
    for item in items.iter() {
        diesel::insert_into(item_calibrations::table)
            .values(item)
            .execute(conn)?;
    }
    Ok(id)
}

/// Makes a pretest version operational (it graduated).
pub fn graduate(conn: &mut DbConn, item_id: &str, version: i32) -> QueryResult<usize> {
    diesel::update(
        bank_item_versions::table
            .filter(bank_item_versions::item_id.eq(item_id))
            .filter(bank_item_versions::version.eq(version))
            .filter(bank_item_versions::pool_status.eq("pretest")),
    )
    .set(bank_item_versions::pool_status.eq("operational"))
    .execute(conn)
}

/// The latest run, if any.
pub fn latest_run_id(conn: &mut DbConn) -> QueryResult<Option<i64>> {
    calibration_runs::table
        .select(diesel::dsl::max(calibration_runs::id))
        .first(conn)
}

/// The active parameters as of `run`: for each item version, its latest active row from that run
/// or an earlier one (rows in run order, so a later row replaces an earlier one).
pub fn active_as_of(conn: &mut DbConn, run: i64) -> QueryResult<Vec<ItemCalibrationRow>> {
    item_calibrations::table
        .filter(item_calibrations::active.eq(true))
        .filter(item_calibrations::run_id.le(run))
        .order((item_calibrations::run_id, item_calibrations::id))
        .select(ItemCalibrationRow::as_select())
        .load(conn)
}

/// The most recent runs, newest first.
pub fn runs(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<RunRow>> {
    calibration_runs::table
        .order(calibration_runs::id.desc())
        .limit(limit)
        .select(RunRow::as_select())
        .load(conn)
}

/// Every estimate of one item, newest first, with its run.
pub fn history(conn: &mut DbConn, item_id: &str) -> QueryResult<Vec<(ItemCalibrationRow, RunRow)>> {
    item_calibrations::table
        .inner_join(calibration_runs::table)
        .filter(item_calibrations::item_id.eq(item_id))
        .order((
            item_calibrations::run_id.desc(),
            item_calibrations::version.desc(),
        ))
        .select((ItemCalibrationRow::as_select(), RunRow::as_select()))
        .load(conn)
}

/// When the latest run started, if any.
pub fn latest_run_started(conn: &mut DbConn) -> QueryResult<Option<PrimitiveDateTime>> {
    calibration_runs::table
        .select(diesel::dsl::max(calibration_runs::started_at))
        .first(conn)
}

/// Whether any exam finished after `t` (or at all, without `t`).
pub fn exams_finished_since(conn: &mut DbConn, t: Option<PrimitiveDateTime>) -> QueryResult<bool> {
    let mut q = exams::table
        .filter(exams::status.eq(super::exams::FINISHED))
        .select(exams::id)
        .into_boxed();
    if let Some(t) = t {
        q = q.filter(exams::finished_at.gt(t));
    }
    Ok(q.first::<i64>(conn).optional()?.is_some())
}

/// What the parameters of `run` rest on: the item versions with active estimates as of the run,
/// and the answers the run used.
pub fn run_evidence(conn: &mut DbConn, run: i64) -> QueryResult<(i64, i64)> {
    let mut versions: Vec<(String, i32)> = item_calibrations::table
        .filter(item_calibrations::active.eq(true))
        .filter(item_calibrations::run_id.le(run))
        .select((item_calibrations::item_id, item_calibrations::version))
        .load(conn)?;
    versions.sort();
    versions.dedup();
    let answers: i64 = calibration_runs::table
        .find(run)
        .select(calibration_runs::n_responses)
        .first(conn)
        .optional()?
        .unwrap_or(0);
    Ok((versions.len() as i64, answers))
}
