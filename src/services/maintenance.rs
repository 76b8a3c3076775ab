//! Keeping the installation healthy: readiness (can the database be read and written, how much
//! disk is left, how big SQLite's write-ahead log is), checkpoints, and migrations for release
//! pipelines. The web layer, the jobs and the CLI reach the database's housekeeping only here.

use super::AppState;
use crate::config::Settings;
use crate::error::AppResult;
use crate::store;

/// What `/readyz` reports.
pub struct Readiness {
    /// Reading failed (the database is unreachable).
    pub read: AppResult<()>,
    /// Writing failed (checked only when reading worked).
    pub write: AppResult<()>,
    pub disk_free_bytes: Option<u64>,
    pub sqlite_wal_bytes: u64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn readiness(state: &AppState) -> Readiness {
    let now = state.clock.now();
    let read = state.db(|c| Ok(store::ping(c)?)).await;
    let write = match &read {
        Ok(()) => state.db(move |c| Ok(store::write_probe(c, now)?)).await,
        Err(_) => Ok(()),
    };
    Readiness {
        read,
        write,
        disk_free_bytes: store::free_disk_bytes(&state.settings.data_dir),
        sqlite_wal_bytes: store::wal_bytes(&state.settings.database_url),
    }
}

/// A passive checkpoint of SQLite's write-ahead log (never waits for readers or the writer).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn checkpoint(state: &AppState) -> AppResult<()> {
    state.db(|c| Ok(store::checkpoint(c)?)).await
}

/// A truncating checkpoint (waits briefly for readers); for a log that grew past its limit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn checkpoint_truncate(state: &AppState) -> AppResult<()> {
    state.db(|c| Ok(store::checkpoint_truncate(c)?)).await
}

/// The size of SQLite's write-ahead log (0 on PostgreSQL).
pub fn wal_bytes(state: &AppState) -> u64 {
    store::wal_bytes(&state.settings.database_url)
}

/// Applies pending migrations (under the start-up lock); returns their names.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn migrate(settings: &Settings) -> anyhow::Result<Vec<String>> {
    let pool = store::connect(&settings.database_url, 1)?;
    let url = settings.database_url.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut c = pool.get()?;
        store::migrate(&url, &mut c)
    })
    .await?
}
