//! Asks students for their real exam result once their exam date has passed
//! (`services::outcomes::ask_due`), on the reminder sweep's schedule.

use crate::services::AppState;
use crate::services::outcomes;
use std::time::Duration;

pub async fn run(state: AppState) {
    let every = Duration::from_millis(state.settings.reminder_sweep_ms.max(100));
    loop {
        match outcomes::ask_due(&state).await {
            Ok(n) if n > 0 => tracing::info!(asked = n, "asked for exam results"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "exam result sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}
