//! What an administrator does: check credentials against their issuers' public lookups (verify,
//! reject, revoke), and handle reports about profiles (dismiss, hide the profile, restore it).

use super::*;
use crate::store::DbConn;

/// A verification request waiting for an administrator.
#[derive(Debug, Clone, Serialize)]
pub struct PendingView {
    pub id: i64,
    pub therapist: String,
    pub email: String,
    pub credential: String,
    pub issuer: String,
    pub number: String,
    pub credential_deadline: String,
    pub submitted: String,
    pub document_name: String,
    pub profile_path: String,
}

/// A verification in force, which an administrator may revoke.
#[derive(Debug, Clone, Serialize)]
pub struct VerifiedView {
    pub id: i64,
    pub therapist: String,
    pub credential: String,
    pub number: String,
    pub verified_on: String,
    pub verified_by: String,
    pub through: String,
    pub checked_against: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub id: i64,
    pub profile: String,
    pub profile_path: String,
    pub reason: String,
    pub details: String,
    pub filed: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct HiddenView {
    pub user_id: i64,
    pub profile: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdminQueue {
    pub pending: Vec<PendingView>,
    pub verified: Vec<VerifiedView>,
    pub reports: Vec<ReportView>,
    pub hidden: Vec<HiddenView>,
}

fn require_admin(user: &Account) -> AppResult<()> {
    if user.has(Role::Admin) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn person(c: &mut DbConn, id: i64) -> AppResult<(String, String)> {
    Ok(crate::store::accounts::find_user(c, id)?
        .map(|u| (u.name, u.email))
        .unwrap_or_else(|| ("A deleted account".into(), String::new())))
}

/// The credential a request is about, and the deadline its renewal rule gives today.
fn credential_of(
    c: &mut DbConn,
    v: &db::VerificationRow,
    today: Date,
) -> AppResult<Option<(crate::store::ce::Credential, Option<Date>)>> {
    let creds = crate::store::ce::credentials_of(c, v.user_id)?;
    let Some(cred) = creds.iter().find(|k| k.id == v.credential_id).cloned() else {
        return Ok(None);
    };
    let log = crate::services::ce::Log {
        profile: None,
        credentials: creds,
        activities: Vec::new(),
        items: Vec::new(),
        course_certificates: Default::default(),
    };
    let deadline = crate::services::ce::evaluate_one(&log, &cred, today)
        .deadline
        .and_then(|d| crate::domain::ce::cycle::parse_date(&d))
        .or(cred.deadline);
    Ok(Some((cred, deadline)))
}

fn issuer(rule_id: &str) -> String {
    crate::domain::ce::builtin()
        .ok()
        .and_then(|s| s.current(rule_id).map(|r| r.issuer.clone()))
        .unwrap_or_default()
}

/// The administrator's queue: requests to check, verifications in force, open reports, hidden
/// profiles.
pub async fn admin_queue(state: &AppState, admin: &Account) -> AppResult<AdminQueue> {
    require_admin(admin)?;
    let today = state.clock.now().date();
    state
        .db(move |c| {
            let mut pending = Vec::new();
            for v in db::pending(c)? {
                let Some((cred, deadline)) = credential_of(c, &v, today)? else {
                    continue;
                };
                let (therapist, email) = person(c, v.user_id)?;
                let profile_path = db::profile_of(c, v.user_id)?
                    .map(|p| format!("/therapists/{}", p.slug))
                    .unwrap_or_default();
                pending.push(PendingView {
                    id: v.id,
                    therapist,
                    email,
                    credential: crate::services::ce::credential_name(&cred.rule_id),
                    issuer: issuer(&cred.rule_id),
                    number: cred.number.clone().unwrap_or_default(),
                    credential_deadline: deadline.map(|d| d.to_string()).unwrap_or_default(),
                    submitted: date_of(v.submitted_at),
                    document_name: v.document_name.clone(),
                    profile_path,
                });
            }
            let mut verified = Vec::new();
            for v in db::in_force_all(c, today)? {
                let Some((cred, _)) = credential_of(c, &v, today)? else {
                    continue;
                };
                verified.push(VerifiedView {
                    id: v.id,
                    therapist: person(c, v.user_id)?.0,
                    credential: crate::services::ce::credential_name(&cred.rule_id),
                    number: cred.number.clone().unwrap_or_default(),
                    verified_on: v.decided_at.map(date_of).unwrap_or_default(),
                    verified_by: match v.decided_by {
                        Some(id) => person(c, id)?.0,
                        None => String::new(),
                    },
                    through: v.expires_on.map(|d| d.to_string()).unwrap_or_default(),
                    checked_against: v.checked_against.clone().unwrap_or_default(),
                });
            }
            let mut reports = Vec::new();
            for r in db::open_reports(c)? {
                let Some(p) = db::profile_of(c, r.profile_user_id)? else {
                    continue;
                };
                reports.push(ReportView {
                    id: r.id,
                    profile: p.display_name.clone(),
                    profile_path: format!("/therapists/{}", p.slug),
                    reason: dir::label(REPORT_REASONS, &r.reason)
                        .unwrap_or("Something else")
                        .into(),
                    details: r.details.clone(),
                    filed: date_of(r.created_at),
                });
            }
            let hidden = db::suspended(c)?
                .into_iter()
                .map(|p| HiddenView {
                    user_id: p.user_id,
                    profile: p.display_name,
                    reason: p.suspended_reason.unwrap_or_default(),
                })
                .collect();
            Ok(AdminQueue {
                pending,
                verified,
                reports,
                hidden,
            })
        })
        .await
}

/// An administrator's decision on a request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionInput {
    /// "verify" or "reject".
    pub decision: String,
    /// How it was checked: the issuer's lookup and what it showed.
    pub checked_against: String,
    /// The expiry date the issuer's lookup shows (optional).
    pub expires_on: String,
    /// Why it was rejected (told to the therapist).
    pub note: String,
}

/// Verifies or rejects a pending request. A verification holds until the credential expires
/// (the date the lookup shows, else the renewal deadline its rule gives) or for a year, whichever
/// comes first.
#[tracing::instrument(level = "debug", skip_all, fields(id))]
pub async fn decide(
    state: &AppState,
    admin: &Account,
    id: i64,
    input: DecisionInput,
) -> AppResult<()> {
    require_admin(admin)?;
    let mut e = FieldErrors::default();
    let verify = match input.decision.as_str() {
        "verify" => true,
        "reject" => false,
        _ => {
            e.add("decision", "Choose whether the credential is verified.");
            false
        }
    };
    let checked = no_control(&input.checked_against);
    let note = no_control(&input.note);
    if verify && checked.is_empty() {
        e.add(
            "checked_against",
            "Say where you checked it, such as the board's licence lookup and what it showed.",
        );
    }
    too_long(&mut e, "checked_against", &checked, 300, "description");
    if !verify && input.decision == "reject" && note.is_empty() {
        e.add(
            "note",
            "Tell the therapist why, so they can send a better document.",
        );
    }
    too_long(&mut e, "note", &note, 500, "reason");
    let today = state.clock.now().date();
    let mut entered: Option<Date> = None;
    if !input.expires_on.trim().is_empty() {
        match crate::domain::ce::cycle::parse_date(input.expires_on.trim()) {
            Some(d) if d >= today => entered = Some(d),
            Some(_) => e.add(
                "expires_on",
                "This date has passed: an expired credential cannot be verified.",
            ),
            None => e.add("expires_on", "Enter the date as YYYY-MM-DD."),
        }
    }
    e.into_result()?;
    let (by, clock, st) = (admin.id, state.clock.clone(), state.clone());
    state
        .tx(move |c| {
            let Some(v) = db::verification(c, id)? else {
                return Err(AppError::not_found());
            };
            let Some((_, deadline)) = credential_of(c, &v, today)? else {
                return Err(AppError::Conflict(
                    "The therapist no longer holds this credential.".into(),
                ));
            };
            let year = today.replace_year(today.year() + 1).unwrap_or(today);
            let until = [entered.or(deadline), Some(year)]
                .into_iter()
                .flatten()
                .min();
            let decision = db::Decision {
                status: if verify { "verified" } else { "rejected" },
                by,
                at: clock.now(),
                checked_against: Some(checked.as_str()).filter(|s| !s.is_empty()),
                note: Some(note.as_str()).filter(|s| !s.is_empty()),
                expires_on: if verify { until } else { None },
            };
            if verify && until.is_some_and(|u| u < today) {
                return Err(AppError::invalid(
                    "expires_on",
                    "This credential has expired; it cannot be verified.",
                ));
            }
            if !db::decide(c, id, "pending", &decision)? {
                return Err(AppError::Conflict(
                    "Someone has already decided this request.".into(),
                ));
            }
            if !verify {
                let stop = if note.ends_with(['.', '!', '?']) { "" } else { "." };
                let message = format!(
                    "An administrator could not verify the credential you sent for your directory profile. The reason: {note}{stop} You can send a clearer document from your profile page."
                );
                notify_therapist(&st, c, v.user_id, "Your credential could not be verified", &message)?;
            }
            Ok(())
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// An e-mail to a therapist about their directory profile (in the caller's transaction).
fn notify_therapist(
    st: &AppState,
    c: &mut crate::store::DbConn,
    user_id: i64,
    subject: &str,
    message: &str,
) -> AppResult<()> {
    let Some(user) = crate::store::accounts::find_user(c, user_id)? else {
        return Ok(());
    };
    let (text, html) = st
        .views
        .email(
            "directory_notice",
            &serde_json::json!({ "name": user.name, "message": message, "link": st.url("/directory") }),
        )
        .map_err(AppError::internal)?;
    let now = st.clock.now();
    crate::store::outbox::enqueue(c, &user.email, subject, &text, &html, now)?;
    Ok(())
}

/// Withdraws a verification in force (the credential is no longer shown at once).
pub async fn revoke(state: &AppState, admin: &Account, id: i64, reason: String) -> AppResult<()> {
    require_admin(admin)?;
    let note = no_control(&reason);
    if note.is_empty() {
        return Err(AppError::invalid(
            "reason",
            "Say why the verification is withdrawn.",
        ));
    }
    let (by, clock) = (admin.id, state.clock.clone());
    state
        .tx(move |c| {
            let Some(v) = db::verification(c, id)? else {
                return Err(AppError::not_found());
            };
            let d = db::Decision {
                status: "revoked",
                by,
                at: clock.now(),
                checked_against: v.checked_against.as_deref(),
                note: Some(&note),
                expires_on: v.expires_on,
            };
            if !db::decide(c, id, "verified", &d)? {
                return Err(AppError::Conflict(
                    "This verification is no longer in force.".into(),
                ));
            }
            Ok(())
        })
        .await
}

/// The document of a request, for the administrator checking it: (name, type, bytes).
pub async fn document(
    state: &AppState,
    admin: &Account,
    id: i64,
) -> AppResult<(String, String, Vec<u8>)> {
    require_admin(admin)?;
    let v = state
        .db(move |c| db::verification(c, id)?.ok_or_else(AppError::not_found))
        .await?;
    let bytes = certificates::read(&state.settings.data_dir, &v.document_sha)?;
    Ok((v.document_name, v.document_mime, bytes))
}

/// Closes a report: `dismiss` leaves the profile as it is; `hide` hides it until an
/// administrator restores it (the therapist cannot publish it meanwhile).
pub async fn resolve_report(
    state: &AppState,
    admin: &Account,
    id: i64,
    action: String,
) -> AppResult<()> {
    require_admin(admin)?;
    let hide = match action.as_str() {
        "hide" => true,
        "dismiss" => false,
        _ => {
            return Err(AppError::invalid(
                "action",
                "Choose what to do with the report.",
            ));
        }
    };
    let (by, clock, st) = (admin.id, state.clock.clone(), state.clone());
    state
        .tx(move |c| {
            let Some(r) = db::report(c, id)? else {
                return Err(AppError::not_found());
            };
            let now = clock.now();
            if !db::resolve_report(c, id, if hide { "hidden" } else { "dismissed" }, by, now)? {
                return Err(AppError::Conflict(
                    "This report has already been handled.".into(),
                ));
            }
            if hide {
                let reason = format!(
                    "Hidden after a report: {}.",
                    dir::label(REPORT_REASONS, &r.reason).unwrap_or("something else")
                );
                db::set_suspended(c, r.profile_user_id, Some(&reason), now)?;
                let message = format!(
                    "Your directory profile was hidden after a report, and is not listed until an administrator restores it. {reason}"
                );
                notify_therapist(&st, c, r.profile_user_id, "Your directory profile was hidden", &message)?;
            }
            Ok(())
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(())
}

/// Lifts an administrator's hiding; the therapist decides whether to publish again.
pub async fn restore(state: &AppState, admin: &Account, user_id: i64) -> AppResult<()> {
    require_admin(admin)?;
    let clock = state.clock.clone();
    state
        .tx(move |c| {
            if db::set_suspended(c, user_id, None, clock.now())? == 0 {
                return Err(AppError::not_found());
            }
            Ok(())
        })
        .await
}
