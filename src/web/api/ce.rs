//! `/api/v1/ce`: credentials, activities and their evaluation (certified therapists).

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::error::AppResult;
use crate::error::ErrorBody;
use crate::services::AppState;
use crate::services::ce::{self, ActivityInput};
use crate::services::ce::{ActivityView, CredentialReport};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A credential you hold.
#[derive(Serialize, ToSchema)]
pub struct CredentialBody {
    id: i64,
    /// The renewal rule it is evaluated under, e.g. "us-fl-lmt" or "ncbtmb-bctmb".
    rule: String,
    number: Option<String>,
    /// YYYY-MM-DD.
    issued_on: String,
    /// Whether the current cycle is the credential's first (some rules differ then).
    first_cycle: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CredentialList {
    credentials: Vec<CredentialBody>,
}

#[derive(Serialize, ToSchema)]
pub struct ActivityList {
    activities: Vec<ActivityView>,
}

#[derive(Serialize, ToSchema)]
pub struct Evaluation {
    credentials: Vec<CredentialReport>,
}

/// The id of what was created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    id: i64,
}

/// Your credentials (certified therapists)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "ce",
    responses(
        (status = 200, description = "Your credentials", body = CredentialList),
        (status = 403, description = "Not a certified therapist", body = ErrorBody),
    )
)]
#[get("/ce/credentials")]
pub async fn credentials(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let log = ce::log(&state, user.0.id).await?;
    let list: Vec<_> = log
        .credentials
        .iter()
        .map(|c| CredentialBody {
            id: c.id,
            rule: c.rule_id.clone(),
            number: c.number.clone(),
            issued_on: c.issued_on.to_string(),
            first_cycle: c.first_cycle,
        })
        .collect();
    Ok(HttpResponse::Ok().json(CredentialList { credentials: list }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewCredential {
    /// The renewal rule, e.g. "us-fl-lmt" or "ncbtmb-bctmb".
    rule: String,
    /// YYYY-MM-DD.
    issued_on: String,
    number: Option<String>,
    first_cycle: Option<bool>,
}

/// Add a credential
#[utoipa::path(
    context_path = "/api/v1",
    tag = "ce",
    request_body = NewCredential,
    responses(
        (status = 201, description = "The new credential's id", body = Created),
        (status = 403, description = "Not a certified therapist", body = ErrorBody),
        (status = 422, description = "Unknown rule or bad date (`error.fields`)", body = ErrorBody),
    )
)]
#[post("/ce/credentials")]
pub async fn add_credential(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<NewCredential>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let b = body.into_inner();
    let known: Vec<String> = ce::rules().into_iter().map(|(id, _)| id).collect();
    let id = ce::add_credential(
        &state,
        &user.0,
        b.rule,
        b.number.unwrap_or_default(),
        b.issued_on,
        b.first_cycle.unwrap_or(false),
        &known,
    )
    .await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

/// Your CE log
#[utoipa::path(
    context_path = "/api/v1",
    tag = "ce",
    responses(
        (status = 200, description = "Your activities", body = ActivityList),
        (status = 403, description = "Not a certified therapist", body = ErrorBody),
    )
)]
#[get("/ce/activities")]
pub async fn activities(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let log = ce::log(&state, user.0.id).await?;
    let list: Vec<_> = log.activities.iter().map(ce::view).collect();
    Ok(HttpResponse::Ok().json(ActivityList { activities: list }))
}

#[derive(Deserialize, ToSchema)]
pub struct NewActivity {
    title: String,
    #[serde(default)]
    provider: String,
    completed_on: String,
    /// in_person_hands_on, in_person_lecture, live_online, self_study or academic.
    delivery: String,
    hours: f64,
    /// hour (default), ceu, minute, semester_credit or quarter_credit.
    #[serde(default)]
    unit: Option<String>,
    /// Topic code → hours; must add up to `hours`.
    topics: BTreeMap<String, f64>,
    /// Approval scheme → approval number.
    #[serde(default)]
    approvals: BTreeMap<String, String>,
}

/// Log an activity (certificates are uploaded from the web page)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "ce",
    request_body = NewActivity,
    responses(
        (status = 201, description = "The new activity's id", body = Created),
        (status = 403, description = "Not a certified therapist", body = ErrorBody),
        (status = 422, description = "Field errors in `error.fields`", body = ErrorBody),
    )
)]
#[post("/ce/activities")]
pub async fn add_activity(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<NewActivity>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let b = body.into_inner();
    let input = ActivityInput {
        title: b.title,
        provider: b.provider,
        completed_on: b.completed_on,
        delivery: b.delivery,
        hours: b.hours.to_string(),
        unit: b.unit.unwrap_or_else(|| "hour".into()),
        topics: b
            .topics
            .into_iter()
            .map(|(k, v)| (k, v.to_string()))
            .collect(),
        approvals: b.approvals,
    };
    let id = ce::add_activity(&state, &user.0, input, None).await?;
    Ok(HttpResponse::Created().json(Created { id }))
}

/// Every credential evaluated against its renewal rule
///
/// Status, requirements with their sources, deficits, where each hour went, and excluded hours
/// with reasons.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "ce",
    responses(
        (status = 200, description = "Each credential's standing", body = Evaluation),
        (status = 403, description = "Not a certified therapist", body = ErrorBody),
    )
)]
#[get("/ce/evaluation")]
pub async fn evaluation(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let reports = ce::evaluate(&state, user.0.id).await?;
    Ok(HttpResponse::Ok().json(Evaluation {
        credentials: reports,
    }))
}
