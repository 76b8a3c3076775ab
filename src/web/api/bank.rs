//! `/api/v1/bank`: the question bank for instructors (students never get keys from here).

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::domain::bank::ItemFilter as Filter;
use crate::domain::bank::format::DraftInput;
use crate::domain::bank::workflow::Action;
use crate::error::ErrorBody;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::authoring::{ItemDetail, ItemRowView};
use crate::services::bank::Stats;
use crate::services::{authoring, bank as bankops};
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn instructor(u: &ApiUser) -> AppResult<()> {
    u.0.require(Role::Instructor)
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Words in stems, options, rationales or topics.
    q: Option<String>,
    /// An area code ("3").
    area: Option<String>,
    /// A sub-area code ("3.B").
    subarea: Option<String>,
    /// draft, in_review, returned, approved or retired.
    status: Option<String>,
    author: Option<String>,
    /// recall, application or analysis.
    level: Option<String>,
    /// anatomy, physiology, kinesiology, pathology or techniques.
    pillar: Option<String>,
    /// Only items with open reports.
    open_reports: Option<bool>,
    /// At most 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    offset: Option<i64>,
}

/// One page of a bank search.
#[derive(Serialize, ToSchema)]
pub struct ItemPage {
    /// How many items match in all.
    total: i64,
    items: Vec<ItemRowView>,
}

/// The status an item moved to.
#[derive(Serialize, ToSchema)]
pub struct Transitioned {
    id: String,
    status: String,
}

/// Search the bank (instructors)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(ListQuery),
    responses(
        (status = 200, description = "Matching items", body = ItemPage),
        (status = 403, description = "Not an instructor", body = ErrorBody),
    )
)]
#[get("/bank/items")]
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
    Ok(HttpResponse::Ok().json(ItemPage {
        total: r.total,
        items: r.rows,
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct VersionQuery {
    /// A version other than the latest.
    version: Option<i32>,
}

/// An item with key, rationales, versions, history and reports (instructors)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(("id" = String, Path, description = "The item's id"), VersionQuery),
    responses(
        (status = 200, description = "The item", body = ItemDetail),
        (status = 403, description = "Not an instructor", body = ErrorBody),
        (status = 404, description = "No such item", body = ErrorBody),
    )
)]
#[get("/bank/items/{id}")]
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

/// Create a draft item (instructors)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    request_body = DraftInput,
    responses(
        (status = 201, description = "The item with its history", body = ItemDetail),
        (status = 403, description = "Not an instructor", body = ErrorBody),
        (status = 422, description = "Field errors in `error.fields`", body = ErrorBody),
    )
)]
#[post("/bank/items")]
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

/// Edit an item: drafts change in place, approved items get a new draft version (instructors)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(("id" = String, Path, description = "The item's id")),
    request_body = DraftInput,
    responses(
        (status = 200, description = "The item", body = ItemDetail),
        (status = 403, description = "Not an instructor", body = ErrorBody),
        (status = 409, description = "The item is in review", body = ErrorBody),
        (status = 422, description = "Field errors in `error.fields`", body = ErrorBody),
    )
)]
#[put("/bank/items/{id}")]
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

#[derive(Deserialize, ToSchema)]
pub struct TransitionBody {
    /// submit, approve, return (comment required), retire or restore.
    action: String,
    comment: Option<String>,
}

/// Move an item through review: submit, approve, return, retire, restore (instructors)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(("id" = String, Path, description = "The item's id")),
    request_body = TransitionBody,
    responses(
        (status = 200, description = "The item's new status", body = Transitioned),
        (status = 403, description = "Not an instructor", body = ErrorBody),
        (status = 409, description = "Not allowed (e.g. the author approving their own item)", body = ErrorBody),
        (status = 422, description = "Unknown action", body = ErrorBody),
    )
)]
#[post("/bank/items/{id}/transitions")]
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
    Ok(HttpResponse::Ok().json(Transitioned {
        id,
        status: status.to_string(),
    }))
}

/// Counts by area, sub-area, status, level, difficulty, pillar and key position (instructors)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    responses(
        (status = 200, description = "The counts", body = Stats),
        (status = 403, description = "Not an instructor", body = ErrorBody),
    )
)]
#[get("/bank/stats")]
pub async fn stats(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    instructor(&user)?;
    let s = state.db(bankops::stats_blocking).await?;
    Ok(HttpResponse::Ok().json(s))
}
