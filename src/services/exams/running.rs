//! Running exams kept in memory, so that an answer is one short write transaction.
//!
//! An entry holds what the full answer path would rebuild from the database for the exam's next
//! answer: the exam row, its configuration, its presented items, the engine session replayed up
//! to the item on screen, the pool it ran on and the parsed list of recently seen items.
//!
//! Why an entry cannot contradict the database: a written answer never changes, and the item at a
//! position never changes once presented. An entry can only be *behind* (another request or
//! another instance answered meanwhile), and the write notices that: it checks, in the
//! transaction, that the exam is still running and that the position on screen is still
//! unanswered. Anything unexpected returns `None`, the entry is dropped, and the full path
//! rebuilds the state from the database. Entries are put in place only after their transaction
//! committed, and an entry changed by a transaction is not used again until that transaction is
//! known to have committed. Their pool is refreshed within 30–60 s, and at once after a bank
//! change here; entries of abandoned exams are swept out once their pool has expired.

use super::{
    AnswerResult, ExamConfig, ExamPool, ExamState, Guard, POOL_TTL, Verdict, decide, write,
};
use crate::domain::bank::ItemContent;
use crate::domain::irt::{SelectionContext, Session};
use crate::error::AppResult;
use crate::services::AppState;
use crate::store::{DbConn, exams as db};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use time::PrimitiveDateTime;

/// Most running exams kept per instance; the least recently used is dropped beyond this.
const CAPACITY: usize = 4096;

/// The state of one running exam after its last answer.
pub struct RunningExam {
    state: ExamState,
    /// How long this exam keeps its pool: the shared pool's 30 s plus up to 30 s more, spread by
    /// exam so that running exams do not all refresh in the same instant.
    pool_ttl: std::time::Duration,
    used: Instant,
    /// Set when this entry is changed inside a transaction, cleared once the transaction has
    /// committed ([`RunningExams::committed`]). A set flag means the entry may hold what was rolled
    /// back, so it is never used again.
    uncommitted: bool,
}

impl RunningExam {
    pub(super) fn new(
        exam: db::ExamRow,
        cfg: ExamConfig,
        rows: Vec<db::ExamItemRow>,
        session: Session,
        live: Arc<ExamPool>,
    ) -> Self {
        let ids: Vec<String> = crate::services::stored_or_logged("exam.seen", &exam.seen);
        let seen = SelectionContext::new(&live.pool, &ids);
        RunningExam::from_state(ExamState {
            exam,
            cfg,
            rows,
            session,
            live,
            seen,
        })
    }

    pub(super) fn from_state(state: ExamState) -> Self {
        let spread = state.exam.seed.unsigned_abs() % 30_000;
        RunningExam {
            pool_ttl: POOL_TTL + std::time::Duration::from_millis(spread),
            state,
            used: Instant::now(),
            uncommitted: false,
        }
    }
}

/// Running exams of this instance, by public id.
#[derive(Default)]
pub struct RunningExams {
    map: Mutex<HashMap<String, Arc<Mutex<RunningExam>>>>,
    last_sweep: Mutex<Option<Instant>>,
}

/// How often entries whose pool has expired (abandoned exams) are swept out.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

impl RunningExams {
    pub fn get(&self, public_id: &str) -> Option<Arc<Mutex<RunningExam>>> {
        self.map.lock().ok()?.get(public_id).cloned()
    }

    pub fn put(&self, e: RunningExam) {
        let Ok(mut map) = self.map.lock() else {
            return;
        };
        if let Ok(mut last) = self.last_sweep.lock()
            && last.is_none_or(|at| at.elapsed() >= SWEEP_EVERY)
        {
            // An entry past its pool's lifetime can no longer answer; drop it (and its pool).
            map.retain(|_, v| {
                v.try_lock()
                    .map(|e| e.state.live.built.elapsed() < e.pool_ttl)
                    .unwrap_or(true)
            });
            *last = Some(Instant::now());
        }
        if map.len() >= CAPACITY && !map.contains_key(&e.state.exam.public_id) {
            let oldest = map
                .iter()
                .filter_map(|(k, v)| v.try_lock().ok().map(|e| (k.clone(), e.used)))
                .min_by_key(|(_, used)| *used)
                .map(|(k, _)| k);
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(e.state.exam.public_id.clone(), Arc::new(Mutex::new(e)));
    }

    /// The transaction that last changed this entry has committed: it may be used again.
    pub fn committed(entry: &Mutex<RunningExam>) {
        if let Ok(mut e) = entry.lock() {
            e.uncommitted = false;
        }
    }

    pub fn forget(&self, public_id: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(public_id);
        }
    }

    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The engine's part of an answer from the entry, before any transaction: decides on answering
/// `position` with the displayed option `display` by the same step as every path ([`decide`]),
/// on the request's own worker, so that the commit lane only writes ([`commit`]). Returns the
/// verdict and the question's content. `None`: the entry cannot answer this (not the owner, past
/// the deadline, stale pool, item not in the pool, a refusal); the caller takes another path.
///
/// Once the engine has run, the entry counts as uncommitted until the caller has seen the
/// transaction commit: if anything fails, or the request is dropped, it is not reused.
pub(super) fn prepare(
    st: &AppState,
    e: &mut RunningExam,
    user_id: i64,
    position: i32,
    display: usize,
    now: PrimitiveDateTime,
) -> AppResult<Option<(Verdict, ItemContent)>> {
    let s = &e.state;
    if e.uncommitted
        || s.exam.user_id != user_id
        || s.exam.deadline_at.is_some_and(|d| now >= d)
        || s.live.generation != st.pools.generation()
        || s.live.built.elapsed() >= e.pool_ttl
    {
        return Ok(None);
    }
    let content = s
        .rows
        .iter()
        .find(|r| r.position == position)
        .and_then(|r| {
            s.live
                .items
                .get(&r.item_id)
                .filter(|i| i.version == r.version)
        })
        .map(|i| (*i.content).clone());
    let Some(content) = content else {
        return Ok(None);
    };
    e.uncommitted = true;
    e.used = Instant::now();
    let verdict = decide(&mut e.state, position, display, Some(&content), now)?;
    if !matches!(verdict, Verdict::Answered { .. } | Verdict::Repeat { .. }) {
        return Ok(None);
    }
    Ok(Some((verdict, content)))
}

/// Writes a [`prepare`]d answer inside the caller's write transaction ([`write`]), checking there
/// that the exam is still running: a new answer's UPDATE checks it itself ([`Guard::InUpdate`]),
/// a repeated one reads the status first. `None`: it is not (or the position was answered
/// meanwhile); nothing has been written and the caller takes another path.
pub(super) fn commit(
    st: &AppState,
    c: &mut DbConn,
    e: &mut RunningExam,
    verdict: Verdict,
    content: &ItemContent,
    now: PrimitiveDateTime,
) -> AppResult<Option<AnswerResult>> {
    let guard = if matches!(verdict, Verdict::Answered { .. }) {
        Guard::InUpdate
    } else {
        if db::lock_status(c, e.state.exam.id)?.as_deref() != Some(db::IN_PROGRESS) {
            return Ok(None);
        }
        Guard::Checked
    };
    write(st, c, &mut e.state, verdict, Some(content), now, guard)
}
