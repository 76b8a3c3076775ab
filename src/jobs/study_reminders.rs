//! Study reminders at each student's chosen local hour (`services::study_settings::send_due`), on
//! the reminder sweep's schedule.

use crate::services::AppState;
use crate::services::study_settings;
use std::time::Duration;

pub async fn run(state: AppState) {
    let every = Duration::from_millis(state.settings.reminder_sweep_ms.max(100));
    loop {
        match study_settings::send_due(&state).await {
            Ok(n) if n > 0 => tracing::info!(reminders = n, "queued study reminders"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "study reminder sweep failed"),
        }
        tokio::time::sleep(every).await;
    }
}
