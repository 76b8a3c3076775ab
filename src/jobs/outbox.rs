//! Delivers queued e-mail: claims due rows (a lease no other sender will take), sends each through the
//! configured transport, marks it sent, or schedules a retry with exponential backoff.

use crate::services::AppState;
use crate::store::{attempts, outbox};
use std::time::Duration as StdDuration;
use time::Duration;

const BATCH: i64 = 20;
/// How long a claimed message is left to its sender: a killed instance's mail goes out again
/// after this. Sending is at least once; a repeat carries the same Message-ID.
pub const LEASE: Duration = Duration::seconds(30);

/// Runs until the process ends.
pub async fn run(state: AppState) {
    let poll = StdDuration::from_millis(state.settings.outbox_poll_ms.max(10));
    let mut last_prune = std::time::Instant::now();
    loop {
        match deliver_due(&state).await {
            Ok(n) if n > 0 => continue, // more may be due: go again at once
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "outbox: delivery round failed"),
        }
        if last_prune.elapsed() > StdDuration::from_secs(3600) {
            last_prune = std::time::Instant::now();
            let before = state.clock.now() - Duration::days(2);
            let _ = state.db(move |c| Ok(attempts::prune(c, before)?)).await;
        }
        tokio::select! {
            _ = state.outbox_wake.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
    }
}

/// One round: returns how many messages were attempted.
pub async fn deliver_due(state: &AppState) -> anyhow::Result<usize> {
    let now = state.clock.now();
    let rows = state
        .db(move |c| Ok(outbox::claim_due(c, now, LEASE, BATCH)?))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let n = rows.len();
    for row in rows {
        let result = state
            .mailer
            .deliver(&crate::mail::Outgoing {
                from: &state.settings.mail_from,
                to: &row.to_addr,
                reply_to: row.reply_to.as_deref(),
                subject: &row.subject,
                text: &row.text_body,
                html: &row.html_body,
                message_id: &crate::mail::outbox_message_id(
                    row.id,
                    row.created_at.assume_utc().unix_timestamp(),
                    &state.settings.mail_from,
                ),
            })
            .await;
        let st = state.clone();
        let outcome = state
            .db(move |c| {
                let now = st.clock.now();
                match &result {
                    Ok(()) => outbox::mark_sent(c, row.id, now)?,
                    Err(e) => {
                        let delay_ms = backoff_ms(st.settings.outbox_backoff_ms, row.attempts + 1);
                        tracing::warn!(outbox_id = row.id, attempt = row.attempts + 1, error = %e, retry_in_ms = delay_ms, "outbox: send failed");
                        outbox::mark_failed(c, &row, e, now + Duration::milliseconds(delay_ms as i64))?;
                    }
                }
                Ok(())
            })
            .await;
        if let Err(e) = outcome {
            tracing::error!(error = ?e, "outbox: could not record a delivery result");
        }
    }
    Ok(n)
}

/// Exponential backoff: base × 2^(attempt−1), capped at one hour.
pub fn backoff_ms(base_ms: u64, attempt: i32) -> u64 {
    let exp = (attempt.max(1) - 1).min(20) as u32;
    base_ms.saturating_mul(1u64 << exp).min(3_600_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(super::backoff_ms(1000, 1), 1000);
        assert_eq!(super::backoff_ms(1000, 2), 2000);
        assert_eq!(super::backoff_ms(1000, 4), 8000);
        assert_eq!(super::backoff_ms(30_000, 12), 3_600_000);
    }
}
