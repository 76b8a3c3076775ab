//! SQLite only: copies the write-ahead log back into the database file in the background.
//!
//! By default SQLite does this inside whichever commit pushes the log past 1,000 pages, so under a
//! steady stream of answers one unlucky request in a few hundred waits for the copy. Here a
//! passive checkpoint (it never waits for readers or the writer) runs every half second instead;
//! commits only fall back to checkpointing themselves if the log grows past 10,000 pages.

use crate::services::AppState;
use std::time::Duration;

pub async fn run(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Err(e) = state.db(|c| Ok(crate::store::checkpoint(c)?)).await {
            tracing::warn!(error = ?e, "SQLite checkpoint failed");
        }
    }
}
