//! Accounts: sign-up, e-mail verification, log-in, password reset and change, API tokens, roles.

use super::{AppState, passwords};
use crate::domain::accounts::{Email, NewPassword, PersonName, Role, random_hex, token_hash};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{self, DbConn, accounts as db, attempts, outbox};
use serde::Serialize;
use time::{Duration, PrimitiveDateTime};

pub const VERIFY: &str = "verify";
pub const RESET: &str = "reset";
pub const VERIFY_TTL: Duration = Duration::hours(48);
pub const RESET_TTL: Duration = Duration::hours(1);
pub const API_TOKEN_PREFIX: &str = "plp_";

/// A signed-in person as the web layer sees them.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub roles: Vec<Role>,
    pub session_version: i32,
    pub verified: bool,
    pub active: bool,
}

impl Account {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn require(&self, role: Role) -> AppResult<()> {
        if self.has(role) {
            Ok(())
        } else {
            Err(AppError::forbidden())
        }
    }
}

pub fn load_account(conn: &mut DbConn, user_id: i64) -> AppResult<Option<Account>> {
    let Some(u) = db::find_user(conn, user_id)? else {
        return Ok(None);
    };
    with_roles(conn, u).map(Some)
}

fn with_roles(conn: &mut DbConn, u: db::User) -> AppResult<Account> {
    let mut roles: Vec<Role> = db::roles_of(conn, u.id)?
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    roles.sort();
    Ok(to_account(u, roles))
}

fn to_account(u: db::User, roles: Vec<Role>) -> Account {
    Account {
        id: u.id,
        email: u.email,
        name: u.name,
        roles,
        session_version: u.session_version,
        verified: u.email_verified_at.is_some(),
        active: u.is_active,
    }
}

/// Renders an e-mail template and puts it in the outbox on `conn` (the caller's transaction).
fn queue_email(
    state: &AppState,
    conn: &mut DbConn,
    to: &str,
    subject: &str,
    template: &str,
    data: serde_json::Value,
) -> AppResult<()> {
    let (text, html) = state
        .views
        .email(template, &data)
        .map_err(AppError::internal)?;
    outbox::enqueue(conn, to, subject, &text, &html, state.clock.now())?;
    Ok(())
}

// ---------- rate limits ----------

fn check_limit(
    conn: &mut DbConn,
    action: &str,
    subject: &str,
    since: PrimitiveDateTime,
    max: i64,
    failures_only: bool,
    message: &str,
) -> AppResult<()> {
    if attempts::count_since(conn, action, subject, since, failures_only)? >= max {
        return Err(AppError::RateLimited(message.to_string()));
    }
    Ok(())
}

/// The subject that per-account log-in failures are counted under: the account and the address.
fn account_key(email: &str, ip: &str) -> String {
    format!("acct:{email}|ip:{ip}")
}

fn window_start(state: &AppState) -> PrimitiveDateTime {
    state.clock.now() - Duration::minutes(state.settings.rate_limits.window_minutes)
}

fn wait_text(state: &AppState) -> String {
    format!("{} minutes", state.settings.rate_limits.window_minutes)
}

/// Requests that send an e-mail to an address (reset, new confirmation link) share one limit per
/// network and one per address; `what` names the e-mail in the message ("reset " or "").
#[allow(clippy::too_many_arguments)]
fn limit_email_requests(
    c: &mut DbConn,
    st: &AppState,
    ip: &str,
    email: &Email,
    since: PrimitiveDateTime,
    wait: &str,
    what: &str,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let l = &st.settings.rate_limits;
    let (ip_key, acct_key) = (format!("ip:{ip}"), format!("acct:{email}"));
    let req = if what.is_empty() {
        "requests"
    } else {
        "reset requests"
    };
    check_limit(
        c,
        "reset",
        &ip_key,
        since,
        l.reset_per_ip,
        false,
        &format!("Too many {req} from your network. Please try again in {wait}."),
    )?;
    check_limit(
        c,
        "reset",
        &acct_key,
        since,
        l.reset_per_account,
        false,
        &format!("Too many {what}emails requested for this address. Please try again in {wait}."),
    )?;
    attempts::record(c, "reset", &ip_key, true, now)?;
    attempts::record(c, "reset", &acct_key, true, now)?;
    Ok(())
}

// ---------- sign-up and verification ----------

#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct SignupInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub student: bool,
    #[serde(default)]
    pub practitioner: bool,
}

/// Creates an unverified account and queues the verification e-mail, in one transaction. When the
/// address already has an account, nothing is created and its owner is told by e-mail instead; the
/// caller shows the same "check your email" page either way, so sign-up reveals nobody's address.
/// Every attempt counts toward the per-network sign-up limit.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn signup(state: &AppState, input: SignupInput, ip: String) -> AppResult<()> {
    let mut errors = FieldErrors::default();
    let name = PersonName::parse(&input.name)
        .map_err(|m| errors.add("name", m))
        .ok();
    let email = Email::parse(&input.email)
        .map_err(|m| errors.add("email", m))
        .ok();
    let password = NewPassword::parse(&input.password)
        .map_err(|m| errors.add("password", m))
        .ok();
    if !input.student && !input.practitioner {
        errors.add(
            "purpose",
            "Choose at least one: preparing for an exam, or a certified therapist.",
        );
    }
    let limits = state.settings.rate_limits.clone();
    let since = window_start(state);
    let wait = wait_text(state);
    {
        let ip = ip.clone();
        state
            .db(move |c| {
                check_limit(
                    c,
                    "signup",
                    &format!("ip:{ip}"),
                    since,
                    limits.signup_per_ip,
                    false,
                    &format!("Too many sign-ups from your network. Please try again in {wait}."),
                )
            })
            .await?;
    }
    errors.into_result()?;
    let (Some(name), Some(email), Some(password)) = (name, email, password) else {
        return Err(AppError::BadRequest("Please fill in every field.".into()));
    };
    let hash = passwords::hash(password.expose().to_string(), state.settings.argon2_m_cost).await?;
    let token = random_hex(32);
    let st = state.clone();
    let roles: Vec<Role> = [
        (input.student, Role::Student),
        (input.practitioner, Role::Practitioner),
    ]
    .into_iter()
    .filter_map(|(on, r)| on.then_some(r))
    .collect();
    state
        .tx(move |c| {
            let now = st.clock.now();
            if let Some(owner) = db::find_user_by_email(c, email.as_str())? {
                attempts::record(c, "signup", &format!("ip:{ip}"), false, now)?;
                queue_email(
                    &st,
                    c,
                    email.as_str(),
                    "Someone tried to sign up to Palpate with your email",
                    "signup_existing",
                    serde_json::json!({
                        "name": owner.name,
                        "login": st.url("/login"),
                        "reset": st.url("/password/forgot"),
                    }),
                )?;
                return Ok(());
            }
            attempts::record(c, "signup", &format!("ip:{ip}"), true, now)?;
            let id = db::insert_user(
                c,
                &db::NewUser {
                    email: email.as_str(),
                    name: name.as_str(),
                    password_hash: &hash,
                    email_verified_at: None,
                    is_active: true,
                    session_version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            for r in &roles {
                db::grant_role(c, id, r.as_str(), now)?;
            }
            db::insert_email_token(c, id, VERIFY, &token_hash(&token), now + VERIFY_TTL, now)?;
            queue_email(
                &st,
                c,
                email.as_str(),
                "Confirm your email for Palpate",
                "verify",
                serde_json::json!({
                    "name": name.as_str(),
                    "link": st.url(&format!("/verify?token={token}")),
                    "hours": VERIFY_TTL.whole_hours(),
                }),
            )?;
            Ok(())
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(())
}

pub enum VerifyOutcome {
    Verified,
    AlreadyUsed,
    Expired,
    Unknown,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn verify_email(state: &AppState, token: String) -> AppResult<VerifyOutcome> {
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            let Some(t) = db::find_email_token(c, VERIFY, &token_hash(&token))? else {
                return Ok(VerifyOutcome::Unknown);
            };
            if t.used_at.is_some() {
                return Ok(VerifyOutcome::AlreadyUsed);
            }
            if t.expires_at < now {
                return Ok(VerifyOutcome::Expired);
            }
            db::use_email_token(c, t.id, now)?;
            db::mark_verified(c, t.user_id, now)?;
            Ok(VerifyOutcome::Verified)
        })
        .await
}

/// Sends a fresh verification link when the address belongs to an unverified account. Says nothing
/// about whether it does.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn resend_verification(state: &AppState, email: String, ip: String) -> AppResult<()> {
    let Ok(email) = Email::parse(&email) else {
        return Err(AppError::invalid(
            "email",
            "Enter a valid email address, like name@example.com.",
        ));
    };
    let st = state.clone();
    let since = window_start(state);
    let wait = wait_text(state);
    let queued = state
        .tx(move |c| {
            let now = st.clock.now();
            limit_email_requests(c, &st, &ip, &email, since, &wait, "", now)?;
            let Some(u) = db::find_user_by_email(c, email.as_str())? else { return Ok(false) };
            if u.email_verified_at.is_some() || !u.is_active {
                return Ok(false);
            }
            db::expire_email_tokens(c, u.id, VERIFY, now)?;
            let token = random_hex(32);
            db::insert_email_token(c, u.id, VERIFY, &token_hash(&token), now + VERIFY_TTL, now)?;
            queue_email(&st, c, &u.email, "Confirm your email for Palpate", "verify", serde_json::json!({
                "name": u.name, "link": st.url(&format!("/verify?token={token}")), "hours": VERIFY_TTL.whole_hours(),
            }))?;
            Ok(true)
        })
        .await?;
    if queued {
        state.outbox_wake.notify_one();
    }
    Ok(())
}

// ---------- log-in ----------

#[derive(Debug)]
pub enum LoginError {
    /// Wrong e-mail or password (never says which).
    BadCredentials,
    Unverified,
    Deactivated,
    Other(AppError),
}

impl From<AppError> for LoginError {
    fn from(e: AppError) -> Self {
        LoginError::Other(e)
    }
}

/// Checks the credentials under the per-IP and per-account rate limits; returns the account.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn login(
    state: &AppState,
    email: String,
    password: String,
    ip: String,
) -> Result<Account, LoginError> {
    let email_norm = email.trim().to_lowercase();
    let since = window_start(state);
    let wait = wait_text(state);
    let limits = state.settings.rate_limits.clone();
    let (ip2, em2) = (ip.clone(), email_norm.clone());
    let user = state
        .db(move |c| {
            // Only failures count, so a class of thirty behind one school network can all log in.
            check_limit(c, "login", &format!("ip:{ip2}"), since, limits.login_per_ip, true,
                &format!("Too many failed log-ins from your network. Please try again in {wait}."))?;
            // Failures count per account *and address*: someone guessing from elsewhere cannot
            // lock the owner out of their own account.
            check_limit(c, "login", &account_key(&em2, &ip2), since, limits.login_per_account, true,
                &format!("Too many failed log-ins for this account from your network. Please try again in {wait}, or reset your password."))?;
            Ok(db::find_user_by_email(c, &em2)?)
        })
        .await?;
    let ok = passwords::verify(
        password,
        user.as_ref().map(|u| u.password_hash.clone()),
        state.settings.argon2_m_cost,
    )
    .await?;
    let st = state.clone();
    let uid = user.as_ref().map(|u| u.id);
    let account = state
        .db(move |c| {
            let now = st.clock.now();
            attempts::record(c, "login", &format!("ip:{ip}"), ok, now)?;
            attempts::record(c, "login", &account_key(&email_norm, &ip), ok, now)?;
            match (ok, uid) {
                (true, Some(id)) => load_account(c, id),
                _ => Ok(None),
            }
        })
        .await?;
    let Some(account) = account else {
        return Err(LoginError::BadCredentials);
    };
    if !account.active {
        return Err(LoginError::Deactivated);
    }
    if !account.verified {
        return Err(LoginError::Unverified);
    }
    Ok(account)
}

// ---------- password reset and change ----------

/// Queues a reset link when the address belongs to an active account. The caller shows the same
/// message either way, so the form does not reveal who is registered.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn request_reset(state: &AppState, email: String, ip: String) -> AppResult<()> {
    let Ok(email) = Email::parse(&email) else {
        return Err(AppError::invalid(
            "email",
            "Enter a valid email address, like name@example.com.",
        ));
    };
    let st = state.clone();
    let since = window_start(state);
    let wait = wait_text(state);
    let queued = state
        .tx(move |c| {
            let now = st.clock.now();
            limit_email_requests(c, &st, &ip, &email, since, &wait, "reset ", now)?;
            let Some(u) = db::find_user_by_email(c, email.as_str())? else { return Ok(false) };
            if !u.is_active {
                return Ok(false);
            }
            db::expire_email_tokens(c, u.id, RESET, now)?;
            let token = random_hex(32);
            db::insert_email_token(c, u.id, RESET, &token_hash(&token), now + RESET_TTL, now)?;
            queue_email(&st, c, &u.email, "Reset your Palpate password", "reset", serde_json::json!({
                "name": u.name, "link": st.url(&format!("/password/reset?token={token}")), "minutes": RESET_TTL.whole_minutes(),
            }))?;
            Ok(true)
        })
        .await?;
    if queued {
        state.outbox_wake.notify_one();
    }
    Ok(())
}

/// Why a reset link cannot be used.
pub fn reset_link_problem(
    conn: &mut DbConn,
    token: &str,
    now: PrimitiveDateTime,
) -> AppResult<Option<&'static str>> {
    Ok(
        match db::find_email_token(conn, RESET, &token_hash(token))? {
            None => Some(
                "This reset link is not valid. Check that you copied the whole link, or request a new one.",
            ),
            Some(t) if t.used_at.is_some() => Some(
                "This reset link can no longer be used: it was used already, or a newer link was sent since (only the newest one works). Use the link in your latest e-mail, or request a new one.",
            ),
            Some(t) if t.expires_at < now => {
                Some("This reset link has expired (links last one hour). Request a new one.")
            }
            Some(_) => None,
        },
    )
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn check_reset_token(state: &AppState, token: String) -> AppResult<Option<&'static str>> {
    let clock = state.clock.clone();
    state
        .db(move |c| reset_link_problem(c, &token, clock.now()))
        .await
}

/// Sets a new password from a reset link: single use, one hour, ends every session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reset_password(
    state: &AppState,
    token: String,
    password: String,
    confirm: String,
) -> AppResult<()> {
    let mut errors = FieldErrors::default();
    let pw = NewPassword::parse(&password)
        .map_err(|m| errors.add("password", m))
        .ok();
    if password != confirm {
        errors.add("confirm", "The two passwords do not match.");
    }
    errors.into_result()?;
    let Some(pw) = pw else {
        return Err(AppError::invalid("password", "Choose a password."));
    };
    let hash = passwords::hash(pw.expose().to_string(), state.settings.argon2_m_cost).await?;
    let st = state.clone();
    state
        .tx(move |c| {
            let now = st.clock.now();
            if let Some(problem) = reset_link_problem(c, &token, now)? {
                return Err(AppError::Gone(problem.to_string()));
            }
            let Some(t) = db::find_email_token(c, RESET, &token_hash(&token))? else {
                return Err(AppError::not_found());
            };
            if !db::use_email_token(c, t.id, now)? {
                return Err(AppError::Gone(
                    "This reset link can no longer be used: it was used already, or a newer link was sent since.".into(),
                ));
            }
            db::set_password(c, t.user_id, &hash, now)?;
            db::mark_verified(c, t.user_id, now)?;
            // A reset means the old password may be known to someone else: end everything.
            db::end_sessions_of(c, t.user_id, now)?;
            db::revoke_all_api_tokens(c, t.user_id, now)?;
            tell_password_changed(&st, c, t.user_id, "through a reset link", now)?;
            Ok(())
        })
        .await?;
    state.tokens.clear();
    state.outbox_wake.notify_one();
    Ok(())
}

/// Changes the password after checking the current one. Every other session ends; returns the new
/// session version for the caller's own session.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    current: String,
    new: String,
    confirm: String,
) -> AppResult<i32> {
    let mut errors = FieldErrors::default();
    let pw = NewPassword::parse(&new)
        .map_err(|m| errors.add("new_password", m))
        .ok();
    if new != confirm {
        errors.add("confirm", "The two passwords do not match.");
    }
    let stored = state
        .db(move |c| Ok(db::find_user(c, user_id)?.map(|u| u.password_hash)))
        .await?;
    if !passwords::verify(current, stored, state.settings.argon2_m_cost).await? {
        errors.add("current_password", "That is not your current password.");
    }
    errors.into_result()?;
    let Some(pw) = pw else {
        return Err(AppError::invalid("new_password", "Choose a password."));
    };
    let hash = passwords::hash(pw.expose().to_string(), state.settings.argon2_m_cost).await?;
    let st = state.clone();
    let version = state
        .tx(move |c| {
            let now = st.clock.now();
            db::set_password(c, user_id, &hash, now)?;
            db::end_sessions_of(c, user_id, now)?;
            db::revoke_all_api_tokens(c, user_id, now)?;
            tell_password_changed(&st, c, user_id, "from your account page", now)?;
            Ok(db::find_user(c, user_id)?
                .map(|u| u.session_version)
                .unwrap_or(0))
        })
        .await?;
    state.tokens.clear();
    state.outbox_wake.notify_one();
    Ok(version)
}

/// Tells the owner that their password changed (in the same transaction as the change), so a
/// change they did not make does not go unnoticed.
fn tell_password_changed(
    st: &AppState,
    c: &mut DbConn,
    user_id: i64,
    how: &str,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let Some(user) = db::find_user(c, user_id)? else {
        return Ok(());
    };
    let (text, html) = st
        .views
        .email(
            "password_changed",
            &serde_json::json!({
                "name": user.name, "how": how,
                "when": crate::clock::display(now),
                "reset": st.url("/password/forgot"),
            }),
        )
        .map_err(AppError::internal)?;
    crate::store::outbox::enqueue(
        c,
        &user.email,
        "Your Palpate password was changed",
        &text,
        &html,
        now,
    )?;
    Ok(())
}

/// "Log out everywhere": every session and every API token of the user ends; returns the new
/// session version (the caller starts a fresh session for itself).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_all_sessions(state: &AppState, user_id: i64) -> AppResult<i32> {
    let clock = state.clock.clone();
    let version = state
        .tx(move |c| {
            let now = clock.now();
            db::end_sessions_of(c, user_id, now)?;
            db::revoke_all_api_tokens(c, user_id, now)?;
            Ok(db::bump_session_version(c, user_id, now)?)
        })
        .await?;
    state.tokens.clear();
    Ok(version)
}

/// Records a new log-in session and returns its id (kept in the signed cookie).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn start_session(state: &AppState, user_id: i64) -> AppResult<String> {
    let id = crate::domain::accounts::random_hex(32);
    let (sid, clock) = (id.clone(), state.clock.clone());
    state
        .tx(move |c| Ok(db::insert_session(c, &sid, user_id, clock.now())?))
        .await?;
    Ok(id)
}

/// Ends one session (log-out): its cookie stops working everywhere at once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn end_session(state: &AppState, session_id: String) -> AppResult<()> {
    let clock = state.clock.clone();
    state
        .tx(move |c| Ok(db::end_session(c, &session_id, clock.now())?))
        .await?;
    // A session checked in the last second must not be trusted again on this instance.
    state.tokens.clear();
    Ok(())
}

/// The account of a cookie session, when the session is still live and the account active with
/// the same session version. A session checked in the last second is trusted without asking the
/// database again, like a bearer token ([`TokenCache`]): a page and the requests it makes cost
/// one check. Ending a session, changing a password or roles, or deactivating an account empties
/// the cache, so on this instance those take effect at once.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn authenticate_session(
    state: &AppState,
    user_id: i64,
    session_version: i32,
    session_id: String,
) -> AppResult<Option<Account>> {
    // Keyed by a hash of the session id (never the id itself), with the user and version it
    // claims; the prefix keeps session keys apart from token hashes.
    let key = format!(
        "session:{}:{user_id}:{session_version}",
        crate::domain::accounts::token_hash(&session_id)
    );
    if let Some(a) = state.tokens.get(&key) {
        return Ok(Some(a));
    }
    let checked_in = state.tokens.generation();
    let account = state
        .db(move |c| load_session_account(c, user_id, session_version, &session_id))
        .await?;
    if let Some(a) = &account {
        state.tokens.put(key, a.clone(), checked_in);
    }
    Ok(account)
}

fn load_session_account(
    conn: &mut DbConn,
    user_id: i64,
    session_version: i32,
    session_id: &str,
) -> AppResult<Option<Account>> {
    let Some(u) = db::session_user(conn, session_id, user_id)? else {
        return Ok(None);
    };
    if !u.is_active || u.session_version != session_version {
        return Ok(None);
    }
    with_roles(conn, u).map(Some)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_name(state: &AppState, user_id: i64, name: String) -> AppResult<()> {
    let name = PersonName::parse(&name).map_err(|m| AppError::invalid("name", m))?;
    let clock = state.clock.clone();
    state
        .tx(move |c| Ok(db::update_name(c, user_id, name.as_str(), clock.now())?))
        .await
}

mod admin;
mod tokens;
pub use admin::*;
pub use tokens::*;
