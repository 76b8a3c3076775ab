//! Item calibration on a schedule: when the latest run is older than
//! `calibration_every_hours`, and there are answers it has not seen, run it again
//! (`services::calibration`).

use crate::services::AppState;
use crate::services::calibration::{self, Source};
use std::time::Duration;

pub async fn run(state: AppState) {
    let hours = state.settings.calibration_every_hours;
    if hours == 0 {
        return;
    }
    let every = time::Duration::hours(hours as i64);
    loop {
        match calibration::due(&state, every).await {
            Ok(true) => match calibration::run(&state, Source::Schedule, None).await {
                Ok(s) => tracing::info!(run = s.run.id, "scheduled calibration done"),
                Err(e) => tracing::info!(error = %e, "scheduled calibration did not run"),
            },
            Ok(false) => {}
            Err(e) => tracing::warn!(error = ?e, "could not check whether calibration is due"),
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}
