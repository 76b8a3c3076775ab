//! Renewal reminders: at 90, 60, 30, 14, 7 and 1 days before a deadline while a credential is
//! deficient or conditional, and when a CPR/BLS card expires before the deadline. Each reminder is
//! recorded in `ce_reminders` (unique per credential, deadline, kind and day), in the same
//! transaction as its e-mail, so it goes out once even across restarts and several instances. A
//! credential whose reminder fails is logged and skipped; the others still get theirs.

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::store::ce as db;

pub const DAYS: [i64; 6] = [90, 60, 30, 14, 7, 1];

/// One sweep: returns how many reminders were queued.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_due(state: &AppState) -> AppResult<usize> {
    let creds = state
        .db(|c| Ok(db::credentials_wanting_reminders(c)?))
        .await?;
    let today = state.clock.now().date();
    let mut queued = 0;
    for (cred, email, name) in creds {
        // One person's trouble must not hold up everybody else's reminders.
        let id = cred.id;
        match remind(state, cred, email, name, today).await {
            Ok(n) => queued += n,
            Err(e) => tracing::warn!(error = ?e, credential = id, "CE reminder skipped"),
        }
    }
    if queued > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(queued)
}

/// The reminders due for one credential today, each queued with its e-mail in one transaction.
async fn remind(
    state: &AppState,
    cred: db::Credential,
    email: String,
    name: String,
    today: time::Date,
) -> AppResult<usize> {
    let mut queued = 0;
    {
        let log = super::log(state, cred.user_id).await?;
        let report = super::evaluate_one(&log, &cred, today);
        let Some(deadline) = report.cycle.as_ref().and_then(|c| {
            time::Date::parse(
                &c.deadline,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok()
        }) else {
            return Ok(0);
        };
        let days_left = (deadline - today).whole_days();
        // The largest reminder day we have reached (a server that was down still sends the latest one).
        let Some(day) = DAYS
            .iter()
            .copied()
            .filter(|d| days_left <= *d && days_left >= 0)
            .min()
        else {
            return Ok(0);
        };
        let mut kinds: Vec<(&str, String)> = vec![];
        if matches!(report.status.as_str(), "deficient" | "conditional") {
            let missing: Vec<String> = report.deficits.iter().map(|d| d.detail.clone()).collect();
            kinds.push((
                "deficit",
                if missing.is_empty() {
                    report.status_label.clone()
                } else {
                    missing.join("\n- ")
                },
            ));
        }
        let cpr_expires_before = log
            .items
            .iter()
            .any(|i| i.kind == "cpr_bls" && i.valid_to.is_some_and(|t| t < deadline && t >= today));
        if cpr_expires_before {
            kinds.push(("cpr_expiry", "Your CPR/BLS card expires before this deadline. Renew it in time; it must be current on the deadline.".into()));
        }
        for (kind, detail) in kinds {
            let st = state.clone();
            // People see the credential's name, never the rule id.
            let rule = if report.name.is_empty() {
                "Your credential".to_string()
            } else {
                report.name.clone()
            };
            let (email, name) = (email.clone(), name.clone());
            let cred_id = cred.id;
            let sent = state
                .tx(move |c| {
                    if !db::claim_reminder(c, cred_id, deadline, kind, day as i32, st.clock.now())? {
                        return Ok(false);
                    }
                    let (text, html) = st
                        .views
                        .email("ce_reminder", &serde_json::json!({
                            "name": name, "rule": rule, "deadline": deadline.to_string(), "days": days_left,
                            "detail": detail, "cpr": kind == "cpr_expiry", "link": st.url("/ce"),
                        }))
                        .map_err(AppError::internal)?;
                    let subject = format!("{rule}: renewal deadline {deadline} ({days_left} days)");
                    crate::store::outbox::enqueue(c, &email, &subject, &text, &html, st.clock.now())?;
                    Ok(true)
                })
                .await?;
            if sent {
                queued += 1;
            }
        }
    }
    Ok(queued)
}
