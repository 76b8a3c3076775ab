//! Continuing education for certified therapists: their credentials, one CE log for all of them,
//! certificates, and non-hour items such as CPR cards. Evaluation against renewal rules lives in
//! `domain::ce`; this module stores and checks what people enter.

use super::AppState;
use super::accounts::Account;
use super::archive;
use super::certificates;
use crate::domain::ce;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::ce as db;
use serde::Serialize;
use std::collections::BTreeMap;
use time::Date;

/// (code, label) lists for the forms. Backed by the rule engine's vocabularies.
pub mod vocab {
    pub fn deliveries() -> Vec<(&'static str, &'static str)> {
        vec![
            ("in_person_hands_on", "In person, with hands-on practice"),
            ("in_person_lecture", "In-person lecture"),
            ("live_online", "Live interactive online"),
            ("self_study", "Self-study (home study, recorded webinar)"),
            ("academic", "Academic credit"),
        ]
    }
    pub fn units() -> Vec<(&'static str, &'static str)> {
        vec![
            ("hour", "CE hours"),
            ("ceu", "CEUs (1 CEU = 10 hours)"),
            ("minute", "Minutes"),
            ("semester_credit", "Semester credits"),
            ("quarter_credit", "Quarter credits"),
        ]
    }
    pub fn item_kinds() -> Vec<(&'static str, &'static str)> {
        vec![
            ("cpr_bls", "CPR / BLS card"),
            ("background_check", "Background check"),
            ("ht_once", "One-time human-trafficking training"),
            ("attestation", "Signed attestation"),
        ]
    }
}

/// `Ok` when a change touched one of the person's own rows; otherwise the row is not theirs (or
/// not there), which looks the same from outside.
fn found(done: bool, what: &str) -> AppResult<()> {
    if done {
        Ok(())
    } else {
        Err(AppError::NotFound(what.to_string()))
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    pub title: String,
    pub provider: String,
    pub completed_on: String,
    pub delivery: String,
    pub delivery_label: String,
    pub hours: f64,
    pub unit: String,
    pub topics: BTreeMap<String, f64>,
    pub approvals: BTreeMap<String, String>,
    pub certificate: Option<String>,
    /// The verification code of the Palpate course certificate, when the course was taken here.
    pub course_certificate: Option<String>,
    /// Topics in words, with hours.
    pub topic_labels: Vec<(String, f64)>,
    /// Approvals in words, with numbers.
    pub approval_labels: Vec<(String, String)>,
    /// Unit in words.
    pub unit_label: String,
}

/// A topic code in words ("Florida laws & rules"); unknown codes as a neutral phrase.
pub fn topic_label(code: &str) -> String {
    ce::TopicRef::parse(code)
        .map(|t| t.label())
        .unwrap_or_else(|_| "another topic".into())
}

/// A delivery code in words.
pub fn delivery_label(code: &str) -> String {
    vocab::deliveries()
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| "another format".into())
}

/// An approval scheme code in words.
pub fn scheme_label(code: &str) -> String {
    ce::Scheme::parse(code)
        .map(|s| s.label())
        .unwrap_or_else(|| "another approval".into())
}

pub fn view(a: &db::Activity) -> ActivityView {
    ActivityView {
        id: a.id,
        title: a.title.clone(),
        provider: a.provider.clone(),
        completed_on: a.completed_on.to_string(),
        delivery_label: vocab::deliveries()
            .iter()
            .find(|(c, _)| *c == a.delivery)
            .map(|(_, l)| l.to_string())
            .unwrap_or_else(|| a.delivery.clone()),
        delivery: a.delivery.clone(),
        hours: a.hours,
        unit: a.unit.clone(),
        topics: super::stored_or_logged("ce_activities.topics", &a.topics),
        approvals: super::stored_or_logged("ce_activities.approvals", &a.approvals),
        certificate: a.certificate_name.clone(),
        course_certificate: None,
        topic_labels: super::stored_or_logged::<BTreeMap<String, f64>>(
            "ce_activities.topics",
            &a.topics,
        )
        .iter()
        .map(|(k, v)| (topic_label(k), *v))
        .collect(),
        approval_labels: super::stored_or_logged::<BTreeMap<String, String>>(
            "ce_activities.approvals",
            &a.approvals,
        )
        .iter()
        .map(|(k, v)| (scheme_label(k), v.clone()))
        .collect(),
        unit_label: vocab::units()
            .iter()
            .find(|(c, _)| *c == a.unit)
            .map(|(_, l)| l.to_string())
            .unwrap_or_else(|| "hours".into()),
    }
}

/// Logs an activity (and stores its certificate when one was uploaded).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_activity(
    state: &AppState,
    user: &Account,
    input: ActivityInput,
    certificate: Option<(String, Vec<u8>)>,
) -> AppResult<i64> {
    let today = state.clock.now().date();
    let mut checked = check_activity(&input, today);
    let mut cert: Option<(String, &'static str, String, i64)> = None;
    if let Some((_, bytes)) = &certificate {
        // Storage is per person: a quota on the bytes kept, and on uploads per window.
        let (uid, size, clock) = (user.id, bytes.len() as i64, state.clock.clone());
        let limits = state.settings.rate_limits.clone();
        let window = limits.window_minutes;
        let quota = limits.storage_quota_mb * 1024 * 1024;
        let refusal = state
            .tx(move |c| {
                let now = clock.now();
                let since = now - time::Duration::minutes(window);
                let recent = crate::store::attempts::count_since(c, "upload", &format!("acct:{uid}"), since, false)?;
                if recent >= limits.uploads_per_account {
                    return Ok(Some(format!(
                        "You have uploaded {recent} certificates in the last {window} minutes. Please wait a few minutes and try again."
                    )));
                }
                // Every upload received counts toward the rate, kept or not.
                crate::store::attempts::record(c, "upload", &format!("acct:{uid}"), true, now)?;
                let used = db::certificate_bytes_of(c, uid)?;
                if used + size > quota {
                    return Ok(Some(format!(
                        "Your certificates already take {} MB of your {} MB. Remove certificates you no longer need, or upload a smaller scan.",
                        used / (1024 * 1024),
                        limits.storage_quota_mb
                    )));
                }
                Ok(None)
            })
            .await?;
        if let Some(message) = refusal {
            let mut e = checked.err().unwrap_or_default();
            e.add("certificate", message);
            return Err(AppError::Fields(e));
        }
    }
    if let Some((name, bytes)) = certificate {
        match certificates::check(&bytes) {
            Ok(_) => {
                let dir = state.settings.data_dir.clone();
                let size = bytes.len() as i64;
                let (sha, mime) =
                    tokio::task::spawn_blocking(move || certificates::store(&dir, &bytes))
                        .await
                        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))??;
                cert = Some((sha, mime, certificates::safe_name(&name, mime), size));
            }
            Err(AppError::Invalid { field, message }) => {
                let mut e = checked.err().unwrap_or_default();
                e.add(&field, message);
                checked = Err(e);
            }
            Err(other) => return Err(other),
        }
    }
    let CheckedActivity {
        completed,
        hours,
        topics,
        approvals,
    } = checked.map_err(AppError::Fields)?;
    let topics = serde_json::to_string(&topics).map_err(AppError::internal)?;
    let approvals = serde_json::to_string(&approvals).map_err(AppError::internal)?;
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| {
            // The same course logged twice (a double click, a second upload) would count twice.
            // Two such requests at once are serialised, so the second sees the first.
            db::lock_log(c, uid)?;
            let same = |a: &db::Activity| {
                a.completed_on == completed
                    && (to_hours(a.hours, &a.unit) - to_hours(hours, &input.unit)).abs() < 1e-9
                    && same_words(&a.title, &input.title)
                    && same_words(&a.provider, &input.provider)
            };
            if let Some(earlier) = db::activities_of(c, uid)?.iter().find(|a| same(a)) {
                let mut e = FieldErrors::default();
                e.add(
                    "title",
                    format!(
                        "“{}” completed on {} is already in your log with the same hours. Remove that entry first if you want to replace it.",
                        earlier.title, earlier.completed_on
                    ),
                );
                return Err(AppError::Fields(e));
            }
            Ok(db::insert_activity(
                c,
                &db::NewActivity {
                    user_id: uid,
                    title: input.title.trim(),
                    provider: input.provider.trim(),
                    completed_on: completed,
                    delivery: &input.delivery,
                    hours,
                    unit: &input.unit,
                    topics: &topics,
                    approvals: &approvals,
                    certificate_sha: cert.as_ref().map(|c| c.0.as_str()),
                    certificate_mime: cert.as_ref().map(|c| c.1),
                    certificate_name: cert.as_ref().map(|c| c.2.as_str()),
                    certificate_size: cert.as_ref().map(|c| c.3),
                    created_at: clock.now(),
                },
            )?)
        })
        .await
}

/// The same words, ignoring case and spacing.
fn same_words(a: &str, b: &str) -> bool {
    let words = |s: &str| {
        s.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
    };
    words(a) == words(b)
}

/// The certificate of one of the user's own activities: (file name, mime, bytes).
#[tracing::instrument(level = "debug", skip_all, fields(activity_id = ?activity_id))]
pub async fn certificate(
    state: &AppState,
    user_id: i64,
    activity_id: i64,
) -> AppResult<(String, String, Vec<u8>)> {
    let a = state
        .db(move |c| Ok(db::activity_of(c, user_id, activity_id)?))
        .await?;
    // Someone else's activity looks exactly like a missing one.
    let Some(a) = a else {
        return Err(AppError::NotFound("No such certificate.".into()));
    };
    let (Some(sha), Some(mime), Some(name)) =
        (a.certificate_sha, a.certificate_mime, a.certificate_name)
    else {
        return Err(AppError::NotFound(
            "This activity has no certificate.".into(),
        ));
    };
    let dir = state.settings.data_dir.clone();
    let bytes = tokio::task::spawn_blocking(move || certificates::read(&dir, &sha))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))??;
    Ok((name, mime, bytes))
}

#[derive(Debug, Clone, Serialize)]
pub struct CredentialView {
    pub id: i64,
    pub rule_id: String,
    pub name: String,
    pub number: Option<String>,
    pub issued_on: String,
    pub first_cycle: bool,
    pub cycle_override: Option<(String, String, String)>,
}

/// A licence number: at most 40 characters, and one with a digit where the renewal year follows it.
fn check_number(rule_id: &str, number: &str, e: &mut FieldErrors) {
    if number.chars().count() > 40 {
        e.add("number", "Licence numbers have at most 40 characters.");
    } else if !number.chars().any(|c| c.is_ascii_digit())
        && ce::builtin()
            .ok()
            .and_then(|set| {
                set.current(rule_id)
                    .map(|r| r.deadline.needs_licence_number())
            })
            .unwrap_or(false)
    {
        e.add(
            "number",
            "Enter your licence number: its last digit sets your renewal year (odd numbers renew in odd-numbered years).",
        );
    }
}

/// One entry per credential: does the person already hold this rule with this number (or without
/// one), other than the credential `except`?
fn held_already(
    c: &mut crate::store::DbConn,
    uid: i64,
    rule_id: &str,
    number: &str,
    except: Option<i64>,
) -> AppResult<bool> {
    let resolve = |id: &str| {
        ce::builtin()
            .ok()
            .and_then(|set| set.resolve(id).map(str::to_string))
            .unwrap_or_else(|| id.to_string())
    };
    let wanted = resolve(rule_id);
    Ok(db::credentials_of(c, uid)?.into_iter().any(|x| {
        Some(x.id) != except
            && resolve(&x.rule_id) == wanted
            && x.number
                .as_deref()
                .unwrap_or("")
                .eq_ignore_ascii_case(number)
    }))
}

/// Changes a credential's licence number (a typo, or a number a rule now needs).
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn set_number(
    state: &AppState,
    user: &Account,
    id: i64,
    number: String,
) -> AppResult<()> {
    let number = number.trim().to_string();
    let uid = user.id;
    let done = state
        .tx(move |c| {
            let Some(cred) = db::credentials_of(c, uid)?.into_iter().find(|x| x.id == id) else {
                return Ok(false);
            };
            let mut e = FieldErrors::default();
            check_number(&cred.rule_id, &number, &mut e);
            if e.is_empty() && held_already(c, uid, &cred.rule_id, &number, Some(id))? {
                e.add(
                    "number",
                    "You already have this credential with this number in your list.",
                );
            }
            e.into_result()?;
            Ok(db::set_number(
                c,
                uid,
                id,
                (!number.is_empty()).then_some(number.as_str()),
            )?)
        })
        .await?;
    found(done, "No such credential.")
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_credential(
    state: &AppState,
    user: &Account,
    rule_id: String,
    number: String,
    issued_on: String,
    first_cycle: bool,
    known_rules: &[String],
) -> AppResult<i64> {
    let mut e = FieldErrors::default();
    if !known_rules.contains(&rule_id) {
        e.add("rule", "Choose the credential.");
    }
    let today = state.clock.now().date();
    let issued = past_date("issued_on", &issued_on, today, "The issue date", &mut e);
    if issued.is_none() && !e.0.contains_key("issued_on") {
        e.add("issued_on", "Give the date the credential was issued.");
    }
    let number = number.trim().to_string();
    check_number(&rule_id, &number, &mut e);
    e.into_result()?;
    let Some(issued) = issued else {
        return Err(AppError::invalid(
            "issued_on",
            "Give the date the credential was issued.",
        ));
    };
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| {
            if held_already(c, uid, &rule_id, &number, None)? {
                let mut e = FieldErrors::default();
                e.add(
                    if number.is_empty() { "rule" } else { "number" },
                    "You already have this credential in your list.",
                );
                return Err(AppError::Fields(e));
            }
            Ok(db::insert_credential(
                c,
                uid,
                &rule_id,
                (!number.is_empty()).then_some(number.as_str()),
                issued,
                first_cycle,
                clock.now(),
            )?)
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn set_cycle(
    state: &AppState,
    user: &Account,
    id: i64,
    start: String,
    end: String,
    deadline: String,
) -> AppResult<()> {
    let mut e = FieldErrors::default();
    let today = state.clock.now().date();
    let (s, en, d) = (
        plausible_date("cycle_start", &start, today, &mut e),
        plausible_date("cycle_end", &end, today, &mut e),
        plausible_date("deadline", &deadline, today, &mut e),
    );
    let all = [s.is_some(), en.is_some(), d.is_some()];
    if all.iter().any(|x| *x) && !all.iter().all(|x| *x) {
        e.add("cycle_start", "Give the start, end and deadline together, or leave all three empty to use the computed cycle.");
    }
    if let (Some(s), Some(en)) = (s, en)
        && en < s
    {
        e.add("cycle_end", "The cycle must end after it starts.");
    }
    if let (Some(s), Some(d)) = (s, d)
        && d < s
    {
        e.add(
            "deadline",
            "The deadline cannot come before the cycle starts.",
        );
    }
    e.into_result()?;
    let uid = user.id;
    let done = state
        .tx(move |c| Ok(db::set_cycle(c, uid, id, s, en, d)?))
        .await?;
    found(done, "No such credential.")
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn delete_credential(state: &AppState, user: &Account, id: i64) -> AppResult<()> {
    let uid = user.id;
    let done = state
        .tx(move |c| Ok(db::delete_credential(c, uid, id)?))
        .await?;
    found(done, "No such credential.")
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn delete_activity(state: &AppState, user: &Account, id: i64) -> AppResult<()> {
    let uid = user.id;
    let done = state
        .tx(move |c| Ok(db::delete_activity(c, uid, id)?))
        .await?;
    found(done, "No such activity.")
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_item(
    state: &AppState,
    user: &Account,
    kind: String,
    from: String,
    to: String,
) -> AppResult<i64> {
    let mut e = FieldErrors::default();
    if !vocab::item_kinds().iter().any(|(k, _)| *k == kind) {
        e.add("kind", "Choose what this is.");
    }
    let today = state.clock.now().date();
    if from.trim().is_empty() {
        e.add(
            "valid_from",
            "Give the date it was issued (or the date of the check), as on the card.",
        );
    }
    let (f, t) = (
        past_date("valid_from", &from, today, "The issue date", &mut e),
        plausible_date("valid_to", &to, today, &mut e),
    );
    if let (Some(f), Some(t)) = (f, t)
        && t < f
    {
        e.add(
            "valid_to",
            "The expiry date must come after the issue date.",
        );
    }
    e.into_result()?;
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| Ok(db::insert_item(c, uid, &kind, f, t, clock.now())?))
        .await
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn delete_item(state: &AppState, user: &Account, id: i64) -> AppResult<()> {
    let uid = user.id;
    let done = state.tx(move |c| Ok(db::delete_item(c, uid, id)?)).await?;
    found(done, "No such item.")
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn save_profile(
    state: &AppState,
    user: &Account,
    birth_date: String,
    reminders: bool,
) -> AppResult<()> {
    let mut e = FieldErrors::default();
    let d = past_date(
        "birth_date",
        &birth_date,
        state.clock.now().date(),
        "Your date of birth",
        &mut e,
    );
    e.into_result()?;
    let (clock, uid) = (state.clock.clone(), user.id);
    state
        .tx(move |c| Ok(db::save_profile(c, uid, d, reminders, clock.now())?))
        .await
}

/// Everything the CE pages show for one person.
pub struct Log {
    pub profile: Option<db::Profile>,
    pub credentials: Vec<db::Credential>,
    pub activities: Vec<db::Activity>,
    pub items: Vec<db::CredentialItem>,
    /// Certificate codes of passed Palpate courses, by activity id.
    pub course_certificates: std::collections::HashMap<i64, String>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn log(state: &AppState, user_id: i64) -> AppResult<Log> {
    state
        .db(move |c| {
            Ok(Log {
                profile: db::profile(c, user_id)?,
                credentials: db::credentials_of(c, user_id)?,
                activities: db::activities_of(c, user_id)?,
                items: db::items_of(c, user_id)?,
                course_certificates: crate::store::courses::codes_by_activity(c, user_id)?
                    .into_iter()
                    .collect(),
            })
        })
        .await
}

/// The name of the credential a stored rule id stands for (former ids resolve too).
pub fn credential_name(rule_id: &str) -> String {
    ce::builtin()
        .ok()
        .and_then(|set| set.current(rule_id).map(|r| r.name.clone()))
        .unwrap_or_else(|| "A credential no longer in our list".into())
}

/// A file-name part for a credential: its name in lower case with dashes.
pub fn file_slug(rule_id: &str) -> String {
    let name = credential_name(rule_id);
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(60).collect()
}

/// Credentials the rules know: (rule id, name).
pub fn rules() -> Vec<(String, String)> {
    match ce::builtin() {
        Ok(set) => ce::catalog::summaries(set)
            .into_iter()
            .map(|r| (r.id, r.name))
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "the built-in CE rules do not load");
            vec![]
        }
    }
}

/// Topic codes and labels for a form: every topic, and after "laws & rules" the laws & rules of
/// each of `jurisdictions` (boards that require a course on their own law name it).
pub fn topics_for(jurisdictions: &[ce::Jurisdiction]) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = ce::Topic::ALL
        .iter()
        .map(|t| (t.code().to_string(), t.label().to_string()))
        .collect();
    let pos = all
        .iter()
        .position(|(c, _)| c == "laws_rules")
        .map(|p| p + 1)
        .unwrap_or(all.len());
    for (i, j) in jurisdictions.iter().enumerate() {
        let t = ce::TopicRef {
            topic: ce::Topic::LawsRules,
            jurisdiction: Some(*j),
        };
        all.insert(pos + i, (t.to_string(), t.label()));
    }
    all
}

/// Topics without any jurisdiction's laws (course authoring).
pub fn topics() -> Vec<(String, String)> {
    topics_for(&[])
}

/// The choices of one person's activity form, each as (code, label).
#[derive(Debug, Clone)]
pub struct FormLists {
    pub topics: Vec<(String, String)>,
    /// Approving bodies the person's credentials name (and the national ones), shown first.
    pub schemes: Vec<(String, String)>,
    /// Every other approving body, offered behind "Other approving bodies".
    pub more_schemes: Vec<(String, String)>,
}

/// Topics and approval schemes for one person's activity form (their credentials read once).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn form_lists(state: &AppState, user_id: i64) -> AppResult<FormLists> {
    let creds = state
        .db(move |c| Ok(db::credentials_of(c, user_id)?))
        .await?;
    let rules: Vec<&ce::Rule> = match ce::builtin() {
        Ok(set) => creds
            .iter()
            .filter_map(|c| set.current(&c.rule_id))
            .collect(),
        Err(_) => Vec::new(),
    };
    let mut js: Vec<ce::Jurisdiction> = Vec::new();
    for j in rules.iter().filter_map(|r| r.jurisdiction) {
        if !js.contains(&j) {
            js.push(j);
        }
    }
    let mut named = vec![
        ce::Scheme::NcbtmbCourse,
        ce::Scheme::NcbtmbProvider,
        ce::Scheme::Amta,
        ce::Scheme::Abmp,
        ce::Scheme::AccreditedCollege,
    ];
    for s in rules.iter().flat_map(|r| r.schemes_named()) {
        if matches!(s, ce::Scheme::Named(_)) && !named.contains(&s) {
            named.push(s);
        }
    }
    let (mut schemes, more_schemes): (Vec<_>, Vec<_>) =
        ce::Scheme::named().partition(|s| named.contains(s));
    for j in &js {
        schemes.extend([ce::Scheme::BoardApproved(*j), ce::Scheme::School(*j)]);
    }
    let pairs = |list: Vec<ce::Scheme>| list.into_iter().map(|s| (s.code(), s.label())).collect();
    Ok(FormLists {
        topics: topics_for(&js),
        schemes: pairs(schemes),
        more_schemes: pairs(more_schemes),
    })
}

/// Approval schemes for the activity form.
pub fn schemes() -> Vec<(String, String)> {
    crate::domain::ce::codes::Scheme::named()
        .map(|s| (s.code(), s.label()))
        .collect()
}

mod evaluation;
pub use evaluation::*;

mod input;
pub use input::*;

mod exports;
pub mod reminders;
pub use exports::{
    audit_pack, calendar, feed_key, feed_key_matches, keyed_feed, reset_feed_key, transcript_csv,
    transcript_pdf,
};
