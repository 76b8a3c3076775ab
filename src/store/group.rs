//! Group commit: many small write transactions made durable by one commit.
//!
//! An answer is acknowledged only once it is durable. With SQLite in `synchronous = FULL` each
//! commit waits for the disk, and that wait, not the work, bounds how many answers a second one
//! writer can acknowledge. A lane here collects the transactions that are waiting, runs each in its
//! own savepoint inside one transaction, commits once, and only then hands every caller its result:
//! the same guarantee (nothing is acknowledged before it is on disk) for one disk wait per batch.
//!
//! - A unit that fails rolls back to its savepoint: the others in the batch commit as usual.
//! - If the commit itself fails, every unit of the batch gets the error (nothing was written).
//! - A unit that panics is rolled back to its savepoint; its caller sees its channel close.
//! - Units with the same key always run in the same lane, in the order they were submitted, so two
//!   lanes never wait on each other's row locks for the same key (PostgreSQL runs several lanes;
//!   SQLite one, since it has one writer).

use super::{DbConn, Pool, write_tx};
use diesel::RunQueryDsl;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// What a unit hands back after running: called with the batch's commit result.
pub type Settle = Box<dyn FnOnce(Result<(), String>) + Send>;
/// One unit of work: runs inside the batch's transaction (in its own savepoint).
pub type Unit = Box<dyn FnOnce(&mut DbConn) -> UnitOutcome + Send>;

/// How a unit ended inside the batch.
pub struct UnitOutcome {
    /// Whether the unit's own work succeeded (its savepoint is released) or failed (rolled back).
    pub ok: bool,
    pub settle: Settle,
}

/// The lanes of group commit and the sending side of their queues.
pub struct GroupCommit {
    lanes: Vec<Mutex<Sender<Unit>>>,
    counts: Arc<Counts>,
}

/// How much group commit has done since start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    /// Transactions run (committed or not).
    pub batches: u64,
    /// Units carried by them.
    pub units: u64,
}

#[derive(Default)]
struct Counts {
    batches: AtomicU64,
    units: AtomicU64,
}

/// The most units one commit carries (bounds how long the first of them waits).
pub const MAX_BATCH: usize = 64;

impl GroupCommit {
    /// Starts `lanes` threads committing through `pool`. `writer`, if given, is SQLite's writer
    /// turn, taken for each batch like any other write transaction.
    pub fn start(
        pool: Pool,
        lanes: usize,
        writer: Option<Arc<Mutex<()>>>,
    ) -> std::io::Result<GroupCommit> {
        let counts = Arc::new(Counts::default());
        let lanes = (0..lanes.max(1))
            .map(|n| {
                let (tx, rx) = channel::<Unit>();
                let (pool, writer, counts) = (pool.clone(), writer.clone(), counts.clone());
                std::thread::Builder::new()
                    .name(format!("group-commit-{n}"))
                    .spawn(move || lane(pool, writer, counts, rx))?;
                Ok(Mutex::new(tx))
            })
            .collect::<std::io::Result<_>>()?;
        Ok(GroupCommit { lanes, counts })
    }

    pub fn stats(&self) -> GroupStats {
        GroupStats {
            batches: self.counts.batches.load(Ordering::Relaxed),
            units: self.counts.units.load(Ordering::Relaxed),
        }
    }

    /// Queues `unit` on the lane of `key`. Gives the unit back if the lane has stopped.
    pub fn submit(&self, key: u64, unit: Unit) -> Result<(), Unit> {
        let lane = &self.lanes[(key % self.lanes.len() as u64) as usize];
        match lane.lock() {
            Ok(tx) => tx.send(unit).map_err(|e| e.0),
            Err(_) => Err(unit),
        }
    }
}

/// One lane: waits for a unit, takes every unit already queued behind it (up to [`MAX_BATCH`]),
/// and commits them together.
fn lane(pool: Pool, writer: Option<Arc<Mutex<()>>>, counts: Arc<Counts>, rx: Receiver<Unit>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(u) => batch.push(u),
                Err(_) => break,
            }
        }
        counts.batches.fetch_add(1, Ordering::Relaxed);
        counts
            .units
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        run_batch(&pool, writer.as_deref(), batch);
    }
}

/// Runs one batch in one transaction. Units dropped unrun (no connection) close their callers'
/// channels, which they report as an error.
fn run_batch(pool: &Pool, writer: Option<&Mutex<()>>, batch: Vec<Unit>) {
    let Ok(mut conn) = pool.get() else {
        tracing::error!(units = batch.len(), "group commit: no database connection");
        return;
    };
    let _turn = writer.map(|w| w.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let mut settles: Vec<Settle> = Vec::with_capacity(batch.len());
    let committed = write_tx(&mut conn, |c| -> Result<(), diesel::result::Error> {
        for unit in batch {
            diesel::sql_query("SAVEPOINT unit").execute(c)?;
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unit(c)));
            match run {
                Ok(out) => {
                    if !out.ok {
                        diesel::sql_query("ROLLBACK TO SAVEPOINT unit").execute(c)?;
                    }
                    settles.push(out.settle);
                }
                Err(_) => {
                    tracing::error!("group commit: a unit panicked; rolled back");
                    diesel::sql_query("ROLLBACK TO SAVEPOINT unit").execute(c)?;
                }
            }
            // On PostgreSQL no RELEASE: the next unit's `SAVEPOINT unit` stacks on this one, a
            // rollback goes back to the most recent savepoint of that name (its own), and the
            // commit ends them all; that spares one round trip per unit. SQLite releases, which
            // keeps its stack of savepoints (checked on every page it writes) one deep.
            if matches!(c, DbConn::Sqlite(_)) {
                diesel::sql_query("RELEASE SAVEPOINT unit").execute(c)?;
            }
        }
        Ok(())
    });
    let result = committed.map_err(|e| e.to_string());
    if let Err(e) = &result {
        tracing::error!(error = %e, "group commit: the batch did not commit");
    }
    for settle in settles {
        settle(result.clone());
    }
}
