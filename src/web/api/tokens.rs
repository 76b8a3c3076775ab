//! `/api/v1/tokens` and `/api/v1/me`.

use super::ApiUser;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::accounts::{self, LoginError};
use crate::web::ctx::client_ip;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct CreateToken {
    email: String,
    password: String,
    name: Option<String>,
}

/// Exchanges an e-mail and password for a bearer token (rate-limited like the log-in form).
#[post("/api/v1/tokens")]
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
    Ok(HttpResponse::Created().json(json!({
        "id": info.id, "name": info.name, "token": secret, "prefix": info.prefix, "created_at": info.created_at,
    })))
}

#[get("/api/v1/tokens")]
pub async fn list(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let tokens = accounts::list_tokens(&state, user.0.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "tokens": tokens })))
}

#[delete("/api/v1/tokens/{id}")]
pub async fn revoke(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    accounts::revoke_token(&state, user.0.id, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[get("/api/v1/me")]
pub async fn me(user: ApiUser) -> HttpResponse {
    let a = user.0;
    HttpResponse::Ok()
        .json(json!({ "id": a.id, "email": a.email, "name": a.name, "roles": a.roles }))
}
