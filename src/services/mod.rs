//! Use-cases. Each owns its transaction, calls the domain and the store, and enqueues mail.

/// JSON kept in a TEXT column, read back: a value that does not parse is an error naming what it
/// is, never a silent empty value.
pub fn stored<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> crate::error::AppResult<T> {
    serde_json::from_str(text).map_err(|e| {
        crate::error::AppError::internal(anyhow::anyhow!("stored {what} could not be read: {e}"))
    })
}

/// As [`stored`], for what is only shown: the failure is logged with what it is, and the value
/// shown empty, so one damaged row does not take a whole page down.
pub fn stored_or_logged<T: serde::de::DeserializeOwned + Default>(what: &str, text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| {
        tracing::error!(error = %e, what, "stored JSON could not be read; shown empty");
        T::default()
    })
}

/// A text cell of an exported spreadsheet as written: a formula someone typed is neutralised (a
/// leading = + - @ or tab gets a quote mark), so opening the file runs nothing.
pub fn spreadsheet_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// An e-mail to every administrator about something waiting for them (in the caller's
/// transaction): `path` is the queue to open.
pub fn notify_admins(
    st: &AppState,
    c: &mut crate::store::DbConn,
    subject: &str,
    message: &str,
    path: &str,
) -> crate::error::AppResult<()> {
    let admins = crate::store::accounts::contacts_with_role(
        c,
        crate::domain::accounts::Role::Admin.as_str(),
    )?;
    let now = st.clock.now();
    for (name, email) in admins {
        let (text, html) = st
            .views
            .email(
                "admin_notice",
                &serde_json::json!({ "name": name, "message": message, "link": st.url(path) }),
            )
            .map_err(crate::error::AppError::internal)?;
        crate::store::outbox::enqueue(c, &email, subject, &text, &html, now)?;
    }
    Ok(())
}

pub mod accounts;
pub mod archive;
pub mod authoring;
pub mod backup;
pub mod bank;
pub mod calibration;
pub mod ce;
pub mod ce_rules;
pub mod certificates;
pub mod classes;
pub mod courses;
pub mod directory;
pub mod exams;
pub mod flashcards;
pub mod interchange;
pub mod maintenance;
pub mod outcomes;
pub mod passwords;
pub mod pdf;
pub mod study;
pub mod study_settings;

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;
use crate::store::{DbConn, Pool};
use crate::views::Views;
use std::sync::Arc;
use tokio::sync::Notify;

/// Everything a request or a background job needs, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub views: Arc<Views>,
    pub mailer: Arc<Mailer>,
    /// Wakes the outbox sender after a commit that queued mail.
    pub outbox_wake: Arc<Notify>,
    /// The live question bank as an exam-engine pool.
    pub pools: Arc<exams::PoolCache>,
    /// Bearer tokens checked in the last second.
    pub tokens: Arc<accounts::TokenCache>,
    /// Running exams of this instance (their answer path is one short write).
    pub running_exams: Arc<exams::RunningExams>,
    /// SQLite has one writer: write transactions queue here instead of sleeping in SQLite's busy
    /// handler (PostgreSQL does not use it).
    pub sqlite_writer: Arc<std::sync::Mutex<()>>,
    /// One permit per pooled connection: database work waits here, on the async side, rather
    /// than as a blocked thread inside the connection pool (which costs a thread per waiter
    /// and a context switch per hand-over under load).
    pub db_gate: Arc<tokio::sync::Semaphore>,
    /// Called in the transaction that finishes a CE course's exam (the exam service knows nothing
    /// of courses; start-up gives it the courses service's handler).
    pub course_exam_finished: exams::CourseExamFinished,
    /// Short write transactions committed together (see [`crate::store::group`]).
    pub group_commit: Arc<crate::store::group::GroupCommit>,
    /// Directory searches per address per minute (counted in memory: a search never writes).
    pub search_limiter: Arc<directory::SearchLimiter>,
    /// A calibration is running in this instance (one at a time; a second request is refused).
    pub calibration_running: Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    /// Runs blocking database work on the blocking pool, never on an actix worker.
    pub async fn db<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let _permit = self
            .db_gate
            .acquire()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("database gate closed: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("database task failed: {e}")))?
    }

    /// Like [`AppState::db`] inside a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn tx<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if crate::store::Backend::of(&self.settings.database_url) == crate::store::Backend::Sqlite {
            // The turn is taken on the blocking thread, right before `BEGIN IMMEDIATE`, and given
            // back right after `COMMIT`: holding it across the hand-offs between threads would
            // make every writer wait for the scheduler too.
            let writer = self.sqlite_writer.clone();
            self.db(move |conn| {
                // The lock guards nothing but the turn, so a panic in an earlier writer (its
                // connection is discarded, see store::Manager) leaves nothing to repair.
                let _turn = writer
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                crate::store::write_tx(conn, f)
            })
            .await
        } else {
            self.db(move |conn| crate::store::write_tx(conn, f)).await
        }
    }

    /// Like [`AppState::tx`], but committed together with the other short transactions waiting
    /// at the same moment (group commit): one disk wait for all of them. `f` runs in its own
    /// savepoint, so its failure rolls back only its own work; its result is handed back only
    /// after the commit. Work with the same `key` runs in order, in one lane.
    pub async fn tx_grouped<T, F>(&self, key: u64, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        use crate::store::group::{Unit, UnitOutcome};
        let (tx, rx) = tokio::sync::oneshot::channel::<AppResult<T>>();
        let unit: Unit = Box::new(move |c: &mut DbConn| {
            let r = f(c);
            UnitOutcome {
                ok: r.is_ok(),
                settle: Box::new(move |commit| {
                    let _ = tx.send(
                        commit
                            .map_err(|e| {
                                AppError::internal(anyhow::anyhow!(
                                    "the transaction did not commit: {e}"
                                ))
                            })
                            .and(r),
                    );
                }),
            }
        });
        if self.group_commit.submit(key, unit).is_err() {
            return Err(AppError::internal(anyhow::anyhow!(
                "group commit has stopped"
            )));
        }
        rx.await.map_err(|_| {
            AppError::internal(anyhow::anyhow!("group commit dropped the transaction"))
        })?
    }

    /// A link into the site for e-mails.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.base_url, path)
    }
}
