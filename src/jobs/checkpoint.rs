//! SQLite only: copies the write-ahead log back into the database file in the background.
//!
//! By default SQLite does this inside whichever commit pushes the log past 1,000 pages, so under a
//! steady stream of answers one unlucky request in a few hundred waits for the copy. Here a
//! passive checkpoint (it never waits for readers or the writer) runs every half second instead;
//! commits only fall back to checkpointing themselves if the log grows past 10,000 pages. So that the
//! log's file stays bounded under constant load (readers can keep a passive checkpoint from ever
//! finishing), a log past 16 MB gets a truncating checkpoint.

use crate::services::{AppState, maintenance};
use std::time::Duration;

/// The log size above which a truncating checkpoint runs (it waits briefly for readers).
pub const WAL_LIMIT_BYTES: u64 = 16 * 1024 * 1024;

pub async fn run(state: AppState) {
    let mut ticks: u32 = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Err(e) = maintenance::checkpoint(&state).await {
            tracing::warn!(error = ?e, "SQLite checkpoint failed");
        }
        ticks = ticks.wrapping_add(1);
        // Passive checkpoints never shrink the file while readers keep it busy: every two
        // seconds, a log past the limit is copied back in full and truncated.
        if ticks.is_multiple_of(4) && maintenance::wal_bytes(&state) > WAL_LIMIT_BYTES {
            match maintenance::checkpoint_truncate(&state).await {
                Ok(()) => tracing::info!(
                    wal_bytes = maintenance::wal_bytes(&state),
                    "SQLite log truncated"
                ),
                Err(e) => tracing::warn!(error = ?e, "SQLite truncating checkpoint failed"),
            }
        }
    }
}
