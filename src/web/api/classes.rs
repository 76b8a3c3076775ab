//! `/api/v1/classes`: a person's classes, joining with an invite code, a class's gradebook for its
//! teachers and a student's own row.

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::error::{AppResult, ErrorBody};
use crate::services::AppState;
use crate::services::classes::{self, Gradebook, MyClasses};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The classes one teaches and the classes one is in
#[utoipa::path(
    context_path = "/api/v1",
    tag = "classes",
    responses((status = 200, description = "Classes taught and joined", body = MyClasses))
)]
#[get("/classes")]
pub async fn list(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(classes::my_classes(&state, &user.0).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct JoinBody {
    /// The invite code the instructor gave.
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct Joined {
    class_id: i64,
}

/// Join a class with its invite code (students)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "classes",
    request_body = JoinBody,
    responses(
        (status = 200, description = "Joined", body = Joined),
        (status = 400, description = "No class has this code", body = ErrorBody),
        (status = 403, description = "Not a student", body = ErrorBody),
    )
)]
#[post("/classes/join")]
pub async fn join(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<JoinBody>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Student)?;
    let class_id = classes::join(&state, &user.0, body.into_inner().code).await?;
    Ok(HttpResponse::Ok().json(Joined { class_id }))
}

#[derive(Deserialize, IntoParams)]
pub struct SortQuery {
    /// name, activity, readiness, time or area-N (weakest first).
    sort: Option<String>,
}

/// A class's gradebook (its teachers)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "classes",
    params(("id" = i64, Path, description = "The class"), SortQuery),
    responses(
        (status = 200, description = "One row per current member, with only what they did since joining", body = Gradebook),
        (status = 404, description = "No class of yours", body = ErrorBody),
    )
)]
#[get("/classes/{id}/gradebook")]
pub async fn gradebook(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<SortQuery>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Instructor)?;
    let sort = q.into_inner().sort.unwrap_or_else(|| "name".into());
    Ok(
        HttpResponse::Ok()
            .json(classes::gradebook(&state, &user.0, path.into_inner(), sort).await?),
    )
}

/// A student's own row in a class
#[utoipa::path(
    context_path = "/api/v1",
    tag = "classes",
    params(("id" = i64, Path, description = "The class")),
    responses(
        (status = 200, description = "The class's assignments and the student's row only", body = Gradebook),
        (status = 404, description = "Not in this class", body = ErrorBody),
    )
)]
#[get("/classes/{id}/me")]
pub async fn mine(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Student)?;
    Ok(HttpResponse::Ok().json(classes::my_row(&state, &user.0, path.into_inner()).await?))
}
