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
    AnswerResult, ExamConfig, ExamPool, POOL_TTL, current_view_with, elapsed_secs, feedback_of,
    finish, order_of, present,
};
use crate::domain::irt::{SelectionContext, Session};
use crate::error::{AppError, AppResult};
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
    exam: db::ExamRow,
    cfg: ExamConfig,
    /// Presented items in position order; the last one is on screen. Rows added by the fast path
    /// carry id 0 (their database id is not read back; nothing here uses it).
    rows: Vec<db::ExamItemRow>,
    /// Replayed up to and including the item on screen (pending).
    session: Session,
    live: Arc<ExamPool>,
    /// Items this person saw recently before the exam, indexed for `live`'s pool.
    seen: SelectionContext,
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
        let spread = exam.seed.unsigned_abs() % 30_000;
        let pool_ttl = POOL_TTL + std::time::Duration::from_millis(spread);
        RunningExam {
            exam,
            cfg,
            rows,
            session,
            live,
            seen,
            pool_ttl,
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
                    .map(|e| e.live.built.elapsed() < e.pool_ttl)
                    .unwrap_or(true)
            });
            *last = Some(Instant::now());
        }
        if map.len() >= CAPACITY && !map.contains_key(&e.exam.public_id) {
            let oldest = map
                .iter()
                .filter_map(|(k, v)| v.try_lock().ok().map(|e| (k.clone(), e.used)))
                .min_by_key(|(_, used)| *used)
                .map(|(k, _)| k);
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        map.insert(e.exam.public_id.clone(), Arc::new(Mutex::new(e)));
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

/// Answers `position` with the displayed option `display` from the entry, inside the caller's
/// write transaction. `None`: the entry cannot answer this (not the owner, not the item on screen,
/// past the deadline, stale pool, exam no longer running, position answered meanwhile); nothing
/// has been written and the caller takes the full path.
pub(super) fn answer(
    st: &AppState,
    c: &mut DbConn,
    e: &mut RunningExam,
    user_id: i64,
    position: i32,
    display: usize,
    now: PrimitiveDateTime,
) -> AppResult<Option<AnswerResult>> {
    if e.uncommitted
        || e.exam.user_id != user_id
        || e.exam.deadline_at.is_some_and(|d| now >= d)
        || e.live.generation != st.pools.generation()
        || e.live.built.elapsed() >= e.pool_ttl
    {
        return Ok(None);
    }
    let Some(row) = e
        .rows
        .last()
        .filter(|r| r.position == position && r.chosen.is_none())
    else {
        return Ok(None);
    };
    let Some(item) = e
        .live
        .items
        .get(&row.item_id)
        .filter(|li| li.version == row.version)
    else {
        return Ok(None);
    };
    let chosen = order_of(&row.option_order)[display] as i32;
    let correct = chosen as usize == item.content.key;
    if db::lock_status(c, e.exam.id)?.as_deref() != Some(db::IN_PROGRESS) {
        return Ok(None);
    }
    if !db::answer(c, e.exam.id, position, chosen, correct, now)? {
        return Ok(None);
    }
    // From here on the entry is updated in place. It counts as uncommitted until the caller has
    // seen the transaction commit: if anything fails, or the request is dropped, it is not reused.
    e.uncommitted = true;
    let engine = |err: crate::domain::irt::IrtError| {
        AppError::internal(anyhow::anyhow!("exam engine: {err}"))
    };
    let item_id = row.item_id.clone();
    let content = item.content.clone();
    let session = &mut e.session;
    session.record(&item_id, correct).map_err(engine)?;
    if e.cfg.timed {
        session.check_time(elapsed_secs(&e.exam, now));
    }
    let next = if session.is_finished().is_none() {
        session.next_item(&e.live.pool, &e.seen).map_err(engine)?
    } else {
        None
    };
    e.used = Instant::now();
    let last = e.rows.len() - 1;
    let answered = &mut e.rows[last];
    answered.chosen = Some(chosen);
    answered.correct = Some(correct);
    answered.answered_at = Some(now);
    let feedback = e.cfg.feedback.then(|| feedback_of(answered, &content));
    match next {
        Some(choice) => {
            let new = present(c, &e.exam, &e.live, &choice, position + 1, now)?;
            e.rows.push(new);
        }
        None => {
            finish(c, &e.exam, &e.cfg, &e.session, &e.rows, now)?;
            let exam =
                db::find_by_public_id(c, &e.exam.public_id)?.ok_or_else(AppError::not_found)?;
            let view = current_view_with(st, c, &exam, &e.cfg, &e.rows, None, now, feedback)?;
            return Ok(Some(AnswerResult::Next(view)));
        }
    }
    let view = current_view_with(
        st,
        c,
        &e.exam,
        &e.cfg,
        &e.rows,
        Some((&e.session, &e.live)),
        now,
        feedback,
    )?;
    Ok(Some(AnswerResult::Next(view)))
}
