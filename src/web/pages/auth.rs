//! Sign-up, e-mail verification, log-in and log-out, forgotten and reset passwords.

use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, LoginError, SignupInput, VerifyOutcome};
use crate::web::ctx::Ctx;
use crate::web::forms::{checked, field_errors, safe_next, see_other};
use crate::web::session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

// ---------- sign-up ----------

#[derive(Deserialize, Default)]
pub struct SignupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    student: Option<String>,
    practitioner: Option<String>,
}

#[get("/signup")]
pub async fn signup_page(ctx: Ctx) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other("/dashboard"));
    }
    ctx.render(
        "signup",
        "Create your account",
        json!({ "form": {"student": true}, "errors": {} }),
    )
}

#[post("/signup")]
pub async fn signup(ctx: Ctx, form: web::Form<SignupForm>) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let input = SignupInput {
        name: f.name.clone(),
        email: f.email.clone(),
        password: f.password,
        student: checked(&f.student),
        practitioner: checked(&f.practitioner),
    };
    let form_echo = json!({
        "name": f.name, "email": f.email, "student": input.student, "practitioner": input.practitioner,
    });
    match accounts::signup(&ctx.state, input, ctx.ip.clone()).await {
        Ok(_) => ctx.render(
            "signup_done",
            "Check your email",
            json!({ "email": f.email.trim() }),
        ),
        Err(AppError::Fields(errors)) => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "signup",
            "Create your account",
            json!({ "form": form_echo, "errors": errors }),
        ),
        Err(AppError::RateLimited(m)) => ctx.render_status(
            StatusCode::TOO_MANY_REQUESTS,
            "signup",
            "Create your account",
            json!({ "form": form_echo, "errors": {}, "form_error": m }),
        ),
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[get("/verify")]
pub async fn verify(ctx: Ctx, q: web::Query<TokenQuery>) -> AppResult<HttpResponse> {
    let token = q.into_inner().token.unwrap_or_default();
    let outcome = accounts::verify_email(&ctx.state, token).await?;
    match outcome {
        VerifyOutcome::Verified => {
            ctx.flash("success", "Your email is confirmed. You can log in now.");
            Ok(see_other(if ctx.user.is_some() { "/dashboard" } else { "/login" }))
        }
        VerifyOutcome::AlreadyUsed => ctx.render("verify_problem", "Email confirmation", json!({
            "message": "This confirmation link was already used, so your email is confirmed. You can log in.",
            "offer_resend": false,
        })),
        VerifyOutcome::Expired => ctx.render_status(StatusCode::GONE, "verify_problem", "Email confirmation", json!({
            "message": "This confirmation link has expired. Ask for a new one below.",
            "offer_resend": true,
        })),
        VerifyOutcome::Unknown => ctx.render_status(StatusCode::NOT_FOUND, "verify_problem", "Email confirmation", json!({
            "message": "This confirmation link is not valid. Check that you copied the whole link, or ask for a new one.",
            "offer_resend": true,
        })),
    }
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    email: String,
}

#[get("/verify/resend")]
pub async fn resend_page(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.render(
        "verify_resend",
        "Resend the confirmation email",
        json!({ "form": {}, "errors": {} }),
    )
}

#[post("/verify/resend")]
pub async fn resend(ctx: Ctx, form: web::Form<EmailForm>) -> AppResult<HttpResponse> {
    let email = form.into_inner().email;
    match accounts::resend_verification(&ctx.state, email.clone(), ctx.ip.clone()).await {
        Ok(()) => ctx.render("notice", "Check your email", json!({
            "heading": "Check your email",
            "message": format!("If {} belongs to an account that still needs confirming, a new link is on its way.", email.trim()),
        })),
        Err(AppError::Invalid { field, message }) => ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, "verify_resend", "Resend the confirmation email", json!({
            "form": {"email": email}, "errors": {field: message},
        })),
        Err(AppError::RateLimited(m)) => ctx.render_status(StatusCode::TOO_MANY_REQUESTS, "verify_resend", "Resend the confirmation email", json!({
            "form": {"email": email}, "errors": {}, "form_error": m,
        })),
        Err(e) => Err(e),
    }
}

// ---------- log-in / log-out ----------

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[get("/login")]
pub async fn login_page(ctx: Ctx, q: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    if ctx.user.is_some() {
        return Ok(see_other("/dashboard"));
    }
    ctx.render(
        "login",
        "Log in",
        json!({ "form": {}, "next": safe_next(q.next.as_deref()) }),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

#[post("/login")]
pub async fn login(ctx: Ctx, form: web::Form<LoginForm>) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let next = safe_next(f.next.as_deref());
    let rerender = |status: StatusCode, message: &str, unverified: bool| {
        ctx.render_status(status, "login", "Log in", json!({
            "form": {"email": f.email}, "next": next, "form_error": message, "unverified": unverified,
        }))
    };
    if f.email.trim().is_empty() || f.password.is_empty() {
        return rerender(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter your email and password.",
            false,
        );
    }
    match accounts::login(
        &ctx.state,
        f.email.clone(),
        f.password.clone(),
        ctx.ip.clone(),
    )
    .await
    {
        Ok(account) => {
            let sid = accounts::start_session(&ctx.state, account.id).await?;
            session::log_in(&ctx.session, account.id, account.session_version, &sid);
            tracing::info!(user_id = account.id, "logged in");
            Ok(see_other(next.as_deref().unwrap_or("/dashboard")))
        }
        Err(LoginError::BadCredentials) => rerender(
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an account.",
            false,
        ),
        Err(LoginError::Unverified) => rerender(
            StatusCode::FORBIDDEN,
            "Please confirm your email first: follow the link we sent you when you signed up.",
            true,
        ),
        Err(LoginError::Deactivated) => {
            let help = match &ctx.state.settings.support_email {
                Some(to) => format!("write to {to}"),
                None => "ask the site's administrators".to_string(),
            };
            rerender(
                StatusCode::FORBIDDEN,
                &format!(
                    "This account has been deactivated. If you think this is a mistake, {help}."
                ),
                false,
            )
        }
        Err(LoginError::Other(AppError::RateLimited(m))) => {
            rerender(StatusCode::TOO_MANY_REQUESTS, &m, false)
        }
        Err(LoginError::Other(e)) => Err(e),
    }
}

#[post("/logout")]
pub async fn logout(ctx: Ctx) -> AppResult<HttpResponse> {
    // End the session on the server too: a copy of this cookie must not keep working.
    if let Some(sid) = session::session_id(&ctx.session) {
        accounts::end_session(&ctx.state, sid).await?;
    }
    session::log_out(&ctx.session);
    ctx.flash("info", "You have logged out.");
    Ok(see_other("/"))
}

// ---------- forgotten password ----------

#[get("/password/forgot")]
pub async fn forgot_page(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.render(
        "forgot",
        "Reset your password",
        json!({ "form": {}, "errors": {} }),
    )
}

#[post("/password/forgot")]
pub async fn forgot(ctx: Ctx, form: web::Form<EmailForm>) -> AppResult<HttpResponse> {
    let email = form.into_inner().email;
    match accounts::request_reset(&ctx.state, email.clone(), ctx.ip.clone()).await {
        // The same answer whether or not the address is registered.
        Ok(()) => ctx.render("notice", "Check your email", json!({
            "heading": "Check your email",
            "message": format!("If an account exists for {}, we have sent it a link to reset the password. The link works once and expires in one hour.", email.trim()),
        })),
        Err(AppError::Invalid { field, message }) => ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, "forgot", "Reset your password", json!({
            "form": {"email": email}, "errors": {field: message},
        })),
        Err(AppError::RateLimited(m)) => ctx.render_status(StatusCode::TOO_MANY_REQUESTS, "forgot", "Reset your password", json!({
            "form": {"email": email}, "errors": {}, "form_error": m,
        })),
        Err(e) => Err(e),
    }
}

#[get("/password/reset")]
pub async fn reset_page(ctx: Ctx, q: web::Query<TokenQuery>) -> AppResult<HttpResponse> {
    let token = q.into_inner().token.unwrap_or_default();
    if let Some(problem) = accounts::check_reset_token(&ctx.state, token.clone()).await? {
        return ctx.render_status(
            StatusCode::GONE,
            "reset_problem",
            "Reset link",
            json!({ "message": problem }),
        );
    }
    ctx.render(
        "reset",
        "Choose a new password",
        json!({ "token": token, "errors": {} }),
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

#[post("/password/reset")]
pub async fn reset(ctx: Ctx, form: web::Form<ResetForm>) -> AppResult<HttpResponse> {
    let f = form.into_inner();
    let token = f.token.clone();
    match field_errors(accounts::reset_password(&ctx.state, f.token, f.password, f.confirm).await) {
        Ok(Ok(())) => {
            // Whoever was logged in here is logged out too: the reset ended every session.
            session::log_out(&ctx.session);
            ctx.flash(
                "success",
                "Your password has been changed. Log in with your new password.",
            );
            Ok(see_other("/login"))
        }
        Ok(Err(errors)) => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "reset",
            "Choose a new password",
            json!({
                "token": token, "errors": errors,
            }),
        ),
        Err(AppError::Gone(m)) => ctx.render_status(
            StatusCode::GONE,
            "reset_problem",
            "Reset link",
            json!({ "message": m }),
        ),
        Err(e) => Err(e),
    }
}
