//! Finishes exams that were abandoned past their deadline, under each program's time-out rule,
//! and gives the answers of finished exams to the study scheduler.
//! Several instances may run this: each exam is locked while it is finished, and finishing an exam
//! that is no longer in progress does nothing; a finished exam is claimed before it is studied.

use crate::services::{AppState, exams};
use std::time::Duration;

pub async fn run(state: AppState) {
    let every = Duration::from_millis(state.settings.exam_sweep_ms.max(50));
    loop {
        match exams::finish_overdue(&state).await {
            Ok(n) if n > 0 => {
                tracing::info!(exams = n, "finished abandoned exams at their deadline")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "exam sweep failed"),
        }
        if let Err(e) = exams::study_finished(&state, 50).await {
            tracing::warn!(error = ?e, "giving finished exams to the study scheduler failed");
        }
        tokio::time::sleep(every).await;
    }
}
