//! Finishes exams that were abandoned past their deadline, under each program's time-out rule.
//! Several instances may run this: each exam is locked while it is finished, and finishing an exam
//! that is no longer in progress does nothing.

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
        tokio::time::sleep(every).await;
    }
}
