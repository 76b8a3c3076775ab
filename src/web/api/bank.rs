//! `/api/v1/bank`: the question bank for instructors (students never get keys from here).

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::domain::bank::ItemFilter as Filter;
use crate::domain::bank::format::DraftInput;
use crate::domain::bank::workflow::Action;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::{authoring, bank as bankops};
use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use serde_json::json;

fn instructor(u: &ApiUser) -> AppResult<()> {
    u.0.require(Role::Instructor)
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    area: Option<String>,
    subarea: Option<String>,
    status: Option<String>,
    author: Option<String>,
    level: Option<String>,
    pillar: Option<String>,
    open_reports: Option<bool>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[get("/api/v1/bank/items")]
pub async fn list(
    user: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let q = q.into_inner();
    let f = Filter {
        text: q.q,
        area: q.area,
        subarea: q.subarea,
        status: q.status,
        author: q.author,
        level: q.level,
        pillar: q.pillar,
        with_open_reports: q.open_reports.unwrap_or(false),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let r = authoring::search(&state, f, limit, q.offset.unwrap_or(0).max(0)).await?;
    Ok(HttpResponse::Ok().json(json!({ "total": r.total, "items": r.rows })))
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

#[get("/api/v1/bank/items/{id}")]
pub async fn get_item(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let d = authoring::detail(&state, path.into_inner(), q.version).await?;
    Ok(HttpResponse::Ok().json(d))
}

#[post("/api/v1/bank/items")]
pub async fn create(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<DraftInput>,
) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let id = authoring::create_draft(&state, &user.0, body.into_inner()).await?;
    let d = authoring::detail(&state, id, None).await?;
    Ok(HttpResponse::Created().json(d))
}

#[put("/api/v1/bank/items/{id}")]
pub async fn update(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<DraftInput>,
) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let id = path.into_inner();
    authoring::save_edit(&state, &user.0, id.clone(), body.into_inner()).await?;
    Ok(HttpResponse::Ok().json(authoring::detail(&state, id, None).await?))
}

#[derive(Deserialize)]
pub struct TransitionBody {
    action: String,
    comment: Option<String>,
}

#[post("/api/v1/bank/items/{id}/transitions")]
pub async fn transition(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<TransitionBody>,
) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let b = body.into_inner();
    let action = Action::parse(&b.action).ok_or_else(|| {
        AppError::invalid("action", "Use submit, approve, return, retire or restore.")
    })?;
    let id = path.into_inner();
    let status = authoring::transition(&state, &user.0, id.clone(), action, b.comment).await?;
    Ok(HttpResponse::Ok().json(json!({ "id": id, "status": status })))
}

#[get("/api/v1/bank/stats")]
pub async fn stats(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let s = state.db(bankops::stats_blocking).await?;
    Ok(HttpResponse::Ok().json(s))
}
