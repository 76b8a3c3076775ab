//! Item calibration from the answers in the database: a run reads every answer of finished exams,
//! estimates parameters (`domain::irt::recalibrate`), stores the run with each version's estimate,
//! graduates pretest versions that are ready, and makes new exams use the new parameters. Exams in
//! progress keep the parameters they started with (their configuration names the run).

use crate::domain::irt::calibrate::Model;
use crate::domain::irt::recalibrate::{self, Answer, RunOutcome, Stage, VersionKey};
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::store::calibration::{self as db, ItemCalibrationRow, NewRun};
use crate::store::{DbConn, bank as bankdb};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Schedule,
    Manual,
    Command,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Schedule => "schedule",
            Source::Manual => "manual",
            Source::Command => "command",
        }
    }
    fn label(s: &str) -> &'static str {
        match s {
            "schedule" => "Scheduled",
            "manual" => "Started from the web",
            _ => "Started from the command line",
        }
    }
}

/// One run as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub id: i64,
    pub finished_at: String,
    pub source: &'static str,
    pub model: String,
    pub n_responses: i64,
    pub n_persons: i64,
    pub n_items: i32,
    pub n_active: i32,
    pub n_graduated: i32,
    pub iterations: i32,
    pub converged: bool,
    pub wall_time_s: f64,
}

fn run_view(r: &db::RunRow) -> RunView {
    RunView {
        id: r.id,
        finished_at: crate::clock::display(r.finished_at),
        source: Source::label(&r.source),
        model: r.model.to_uppercase(),
        n_responses: r.n_responses,
        n_persons: r.n_persons,
        n_items: r.n_items,
        n_active: r.n_active,
        n_graduated: r.n_graduated,
        iterations: r.iterations,
        converged: r.converged,
        wall_time_s: r.wall_time_s,
    }
}

/// What a finished run reports.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub run: RunView,
    /// Versions left out, with the reason.
    pub skipped: Vec<String>,
}

/// The parameters an exam uses: the active estimates as of a run (or none, before any run).
#[derive(Debug, Clone, Default)]
pub struct Parameters {
    pub run: Option<i64>,
    by_version: HashMap<VersionKey, (f64, f64, f64)>,
}

impl Parameters {
    /// This version's calibrated parameters, if it has active ones as of the run.
    pub fn of(&self, item: &str, version: i32) -> Option<(f64, f64, f64)> {
        self.by_version.get(&(item.to_string(), version)).copied()
    }
}

/// The active parameters as of `run` (`None`: the priors only).
pub fn parameters_as_of(conn: &mut DbConn, run: Option<i64>) -> AppResult<Parameters> {
    let Some(run) = run else {
        return Ok(Parameters::default());
    };
    let mut by_version = HashMap::new();
    for r in db::active_as_of(conn, run)? {
        by_version.insert((r.item_id, r.version), (r.a, r.b, r.c));
    }
    Ok(Parameters {
        run: Some(run),
        by_version,
    })
}

/// The latest run's parameters (what new exams start with).
pub fn current_parameters(conn: &mut DbConn) -> AppResult<Parameters> {
    let run = db::latest_run_id(conn)?;
    parameters_as_of(conn, run)
}

/// Whether a scheduled run is due: the latest run is older than `every` (or there is none) and
/// exams have finished since it started.
pub async fn due(state: &AppState, every: time::Duration) -> AppResult<bool> {
    let now = state.clock.now();
    state
        .db(move |c| {
            let last = db::latest_run_started(c)?;
            if last.is_some_and(|t| now - t < every) {
                return Ok(false);
            }
            Ok(db::exams_finished_since(c, last)?)
        })
        .await
}

/// Runs a calibration over every answer of finished exams and stores it. One run at a time per
/// instance; a second request meanwhile is refused.
#[tracing::instrument(level = "debug", skip(state))]
pub async fn run(
    state: &AppState,
    source: Source,
    requested_by: Option<i64>,
) -> AppResult<RunSummary> {
    // Per instance (not per process: the tests run many instances in one process).
    let running = state.calibration_running.clone();
    if running.swap(true, Ordering::AcqRel) {
        return Err(AppError::Conflict(
            "A calibration is already running. Its result will appear in the list when it ends."
                .into(),
        ));
    }
    struct Release(std::sync::Arc<AtomicBool>);
    impl Drop for Release {
        fn drop(&mut self) {
            self.0.store(false, Ordering::Release);
        }
    }
    let _release = Release(running);
    let started_at = state.clock.now();
    let (answers, stage_of, in_use) = state.db(read_inputs).await?;
    let t0 = std::time::Instant::now();
    let outcome = tokio::task::spawn_blocking(move || {
        recalibrate::run(
            &answers,
            &stage_of,
            &in_use,
            Model::ThreePl,
            500,
            |stage, i, ll| {
                tracing::debug!(stage, iteration = i, log_likelihood = ll, "calibrating")
            },
        )
    })
    .await
    .map_err(AppError::internal)?
    .map_err(|e| AppError::Conflict(format!("Nothing was calibrated: {e}.")))?;
    let wall_time_s = t0.elapsed().as_secs_f64();
    let st = state.clone();
    let summary = state
        .tx(move |c| {
            store_run(
                c,
                &st,
                &outcome,
                source,
                requested_by,
                started_at,
                wall_time_s,
            )
        })
        .await?;
    // New exams use the new parameters; running ones keep theirs.
    state.pools.invalidate();
    tracing::info!(
        run = summary.run.id,
        active = summary.run.n_active,
        graduated = summary.run.n_graduated,
        "calibration stored"
    );
    Ok(summary)
}

type Inputs = (
    Vec<Answer>,
    HashMap<VersionKey, Stage>,
    HashMap<VersionKey, (f64, f64, f64)>,
);

/// The answers, each version's stage, and the parameters the engine uses now.
fn read_inputs(c: &mut DbConn) -> AppResult<Inputs> {
    let answers: Vec<Answer> = db::answers(c)?
        .into_iter()
        .map(|(attempt, item, version, correct)| Answer {
            attempt,
            item: (item, version),
            correct,
        })
        .collect();
    let stage_of: HashMap<VersionKey, Stage> = db::pool_statuses(c)?
        .into_iter()
        .map(|(item, version, status)| {
            let stage = if status == "pretest" {
                Stage::Pretest
            } else {
                Stage::Operational
            };
            ((item, version), stage)
        })
        .collect();
    let current = current_parameters(c)?;
    let mut in_use = HashMap::new();
    for (item, v) in bankdb::live_versions(c)? {
        let key = (item.id.clone(), v.version);
        let p = current
            .of(&item.id, v.version)
            .unwrap_or((v.irt_a, v.irt_b, v.irt_c));
        in_use.insert(key, p);
    }
    Ok((answers, stage_of, in_use))
}

fn store_run(
    c: &mut DbConn,
    st: &AppState,
    o: &RunOutcome,
    source: Source,
    requested_by: Option<i64>,
    started_at: time::PrimitiveDateTime,
    wall_time_s: f64,
) -> AppResult<RunSummary> {
    let mut rows: Vec<ItemCalibrationRow> = o
        .estimates
        .iter()
        .map(|e| ItemCalibrationRow {
            id: 0,
            run_id: 0,
            item_id: e.item.0.clone(),
            version: e.item.1,
            pool_status: match e.stage {
                Stage::Operational => "operational".into(),
                Stage::Pretest => "pretest".into(),
            },
            a: e.estimate.a,
            b: e.estimate.b,
            c: e.estimate.c,
            se_a: e.estimate.se_a,
            se_b: e.estimate.se_b,
            se_c: e.estimate.se_c,
            n: e.estimate.n as i64,
            fit: e.estimate.fit,
            active: e.active,
        })
        .collect();
    let mut graduated = 0;
    for e in o.estimates.iter().filter(|e| e.graduates) {
        graduated += db::graduate(c, &e.item.0, e.item.1)?;
    }
    let run = NewRun {
        started_at,
        finished_at: st.clock.now(),
        source: source.as_str(),
        requested_by,
        model: "3pl",
        n_responses: o.n_answers as i64,
        n_persons: o.n_attempts as i64,
        n_items: rows.len() as i32,
        n_active: o.estimates.iter().filter(|e| e.active).count() as i32,
        n_graduated: graduated as i32,
        iterations: o.iterations as i32,
        converged: o.converged,
        log_likelihood: o.log_likelihood,
        wall_time_s,
    };
    let id = db::insert_run(c, &run, &mut rows)?;
    let stored = db::runs(c, 1)?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("calibration run {id} not stored")))?;
    Ok(RunSummary {
        run: run_view(&stored),
        skipped: o
            .skipped
            .iter()
            .map(|((item, version), why)| format!("{item} (version {version}): {why}"))
            .collect(),
    })
}

/// The most recent runs, newest first.
pub async fn recent_runs(state: &AppState, limit: i64) -> AppResult<Vec<RunView>> {
    state
        .db(move |c| Ok(db::runs(c, limit)?.iter().map(run_view).collect()))
        .await
}

/// One estimate in an item's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub run: i64,
    pub when: String,
    pub version: i32,
    pub stage: &'static str,
    pub a: String,
    pub b: String,
    pub c: String,
    pub se_b: String,
    pub n: i64,
    pub fit: String,
    pub misfit: bool,
    pub active: bool,
}

/// Every estimate of one item, newest first, formatted for reviewers.
pub async fn item_history(state: &AppState, item_id: String) -> AppResult<Vec<HistoryEntry>> {
    state
        .db(move |c| {
            Ok(db::history(c, &item_id)?
                .into_iter()
                .map(|(r, run)| HistoryEntry {
                    run: run.id,
                    when: crate::clock::display(run.finished_at),
                    version: r.version,
                    stage: if r.pool_status == "pretest" {
                        "Pretest"
                    } else {
                        "Operational"
                    },
                    a: format!("{:.2}", r.a),
                    b: format!("{:+.2}", r.b),
                    c: format!("{:.2}", r.c),
                    se_b: r
                        .se_b
                        .map(|s| format!("{s:.2}"))
                        .unwrap_or_else(|| "n/a".into()),
                    n: r.n,
                    fit: format!("{:.3}", r.fit),
                    misfit: r.fit > recalibrate::MAX_MISFIT,
                    active: r.active,
                })
                .collect())
        })
        .await
}
