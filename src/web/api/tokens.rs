//! `/api/v1/tokens` and `/api/v1/me`.

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::error::ErrorBody;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::accounts::TokenInfo;
use crate::services::accounts::{self, LoginError};
use crate::web::ctx::client_ip;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
pub struct CreateToken {
    email: String,
    password: String,
    /// A name to tell the token apart on the account page (default "API").
    name: Option<String>,
}

/// A new token. `token` is shown only in this response.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    id: i64,
    name: String,
    token: String,
    prefix: String,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    tokens: Vec<TokenInfo>,
}

/// Who a token belongs to.
#[derive(Serialize, ToSchema)]
pub struct Me {
    id: i64,
    email: String,
    name: String,
    roles: Vec<Role>,
}

/// Create an API token from an e-mail and password
///
/// Rate-limited like the log-in form.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "tokens",
    security(()),
    request_body = CreateToken,
    responses(
        (status = 201, description = "The token; `token` is shown only in this response", body = CreatedToken),
        (status = 401, description = "Wrong e-mail or password", body = ErrorBody),
        (status = 403, description = "E-mail not confirmed, or account deactivated", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    )
)]
#[post("/tokens")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Json<CreateToken>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let ip = client_ip(&req, state.settings.trust_forwarded_for);
    let account = match accounts::login(&state, b.email, b.password, ip).await {
        Ok(a) => a,
        Err(LoginError::BadCredentials) => return Err(AppError::Unauthorized),
        Err(LoginError::Unverified) => {
            return Err(AppError::Forbidden(
                "Confirm your email address before using the API.".into(),
            ));
        }
        Err(LoginError::Deactivated) => {
            return Err(AppError::Forbidden(
                "This account has been deactivated.".into(),
            ));
        }
        Err(LoginError::Other(e)) => return Err(e),
    };
    let name = b.name.unwrap_or_else(|| "API".to_string());
    let (info, secret) = accounts::create_token(&state, account.id, name).await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        id: info.id,
        name: info.name,
        token: secret,
        prefix: info.prefix,
        created_at: info.created_at,
    }))
}

/// List your live API tokens
#[utoipa::path(
    context_path = "/api/v1",
    tag = "tokens",
    responses(
        (status = 200, description = "Your tokens", body = TokenList),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
#[get("/tokens")]
pub async fn list(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let tokens = accounts::list_tokens(&state, user.0.id).await?;
    Ok(HttpResponse::Ok().json(TokenList { tokens }))
}

/// Revoke one of your tokens
#[utoipa::path(
    context_path = "/api/v1",
    tag = "tokens",
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such token of yours", body = ErrorBody),
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    accounts::revoke_token(&state, user.0.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the token belongs to
#[utoipa::path(
    context_path = "/api/v1",
    tag = "tokens",
    responses(
        (status = 200, description = "The account", body = Me),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
#[get("/me")]
pub async fn me(user: ApiUser) -> HttpResponse {
    let a = user.0;
    HttpResponse::Ok().json(Me {
        id: a.id,
        email: a.email,
        name: a.name,
        roles: a.roles,
    })
}
