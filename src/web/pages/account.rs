//! The signed-in person's own account: profile, password, sessions and API tokens.

use crate::error::{AppError, AppResult};
use crate::services::accounts;
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, see_other};
use crate::web::session;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

async fn account_page(ctx: &Ctx, status: StatusCode, extra: Value) -> AppResult<HttpResponse> {
    let u = ctx.user()?;
    let tokens = accounts::list_tokens(&ctx.state, u.id).await?;
    let roles: Vec<_> = u.roles.iter().map(|r| r.label()).collect();
    let mut model = json!({
        "name": u.name,
        "email": u.email,
        "roles": roles,
        "tokens": tokens,
        "errors": {},
        "form": {"name": u.name},
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut model, extra) {
        m.extend(e);
    }
    ctx.render_status(status, "account", "Your account", model)
}

#[get("/account")]
pub async fn show(ctx: Ctx) -> AppResult<HttpResponse> {
    account_page(&ctx, StatusCode::OK, json!({})).await
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

#[post("/account/profile")]
pub async fn update_profile(ctx: Ctx, form: web::Form<NameForm>) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    let name = form.into_inner().name;
    match field_errors(accounts::update_name(&ctx.state, uid, name.clone()).await)? {
        Ok(()) => {
            ctx.flash("success", "Your name has been updated.");
            Ok(see_other("/account"))
        }
        Err(errors) => {
            account_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "errors": errors, "form": {"name": name} }),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm: String,
}

#[post("/account/password")]
pub async fn change_password(ctx: Ctx, form: web::Form<PasswordForm>) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    let f = form.into_inner();
    match field_errors(
        accounts::change_password(
            &ctx.state,
            uid,
            f.current_password,
            f.new_password,
            f.confirm,
        )
        .await,
    )? {
        Ok(version) => {
            let sid = accounts::start_session(&ctx.state, uid).await?;
            session::log_in(&ctx.session, uid, version, &sid);
            ctx.flash(
                "success",
                "Your password has been changed. Every other session has been logged out.",
            );
            Ok(see_other("/account"))
        }
        Err(errors) => {
            account_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "errors": errors }),
            )
            .await
        }
    }
}

#[post("/account/sessions/end")]
pub async fn end_sessions(ctx: Ctx) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    let version = accounts::end_all_sessions(&ctx.state, uid).await?;
    let sid = accounts::start_session(&ctx.state, uid).await?;
    session::log_in(&ctx.session, uid, version, &sid);
    ctx.flash(
        "success",
        "Every other session has been logged out and every API token revoked.",
    );
    Ok(see_other("/account"))
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

#[post("/account/tokens")]
pub async fn create_token(ctx: Ctx, form: web::Form<TokenForm>) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    let name = form.into_inner().name;
    match accounts::create_token(&ctx.state, uid, name.clone()).await {
        Ok((info, secret)) => {
            account_page(
                &ctx,
                StatusCode::OK,
                json!({ "new_token": {"name": info.name, "secret": secret} }),
            )
            .await
        }
        Err(AppError::Invalid { field, message }) => {
            account_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                // The token form's own errors: its field is also called "name".
                json!({ "token_errors": {field: message}, "token_name": name }),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[get("/account/tokens/{id}/revoke")]
pub async fn confirm_revoke_token(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    let id = path.into_inner();
    let token = accounts::list_tokens(&ctx.state, uid)
        .await?
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| AppError::NotFound("No such token.".into()))?;
    ctx.render("ce_confirm", "Revoke token", json!({
        "heading": format!("Revoke the token “{}”?", token.name),
        "message": "Any app or script using it stops working at once. This cannot be undone; you can create a new token.",
        "action": format!("/account/tokens/{id}/revoke"),
        "button": "Yes, revoke it",
        "cancel": "/account",
    }))
}

#[post("/account/tokens/{id}/revoke")]
pub async fn revoke_token(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    accounts::revoke_token(&ctx.state, uid, path.into_inner()).await?;
    ctx.flash("success", "The token has been revoked; it no longer works.");
    Ok(see_other("/account"))
}
