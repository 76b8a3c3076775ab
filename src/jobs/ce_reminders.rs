//! The reminder sweep's schedule; what it sends is `services::ce::reminders`.

use crate::services::AppState;
use crate::services::ce::reminders;
use std::time::Duration;

pub async fn run(state: AppState) {
    let every = Duration::from_millis(state.settings.reminder_sweep_ms.max(100));
    loop {
        match reminders::send_due(&state).await {
            Ok(n) if n > 0 => tracing::info!(reminders = n, "queued CE reminders"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "CE reminder sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}
