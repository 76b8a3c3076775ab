//! `/api/v1/ce`: credentials, activities and their evaluation (certified therapists).

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::error::AppResult;
use crate::services::AppState;
use crate::services::ce::{self, ActivityInput};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;
use std::collections::BTreeMap;

#[get("/api/v1/ce/credentials")]
pub async fn credentials(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let log = ce::log(&state, user.0.id).await?;
    let list: Vec<_> = log
        .credentials
        .iter()
        .map(|c| json!({"id": c.id, "rule": c.rule_id, "number": c.number, "issued_on": c.issued_on.to_string(), "first_cycle": c.first_cycle}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "credentials": list })))
}

#[derive(Deserialize)]
pub struct NewCredential {
    rule: String,
    issued_on: String,
    number: Option<String>,
    first_cycle: Option<bool>,
}

#[post("/api/v1/ce/credentials")]
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
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[get("/api/v1/ce/activities")]
pub async fn activities(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let log = ce::log(&state, user.0.id).await?;
    let list: Vec<_> = log.activities.iter().map(ce::view).collect();
    Ok(HttpResponse::Ok().json(json!({ "activities": list })))
}

#[derive(Deserialize)]
pub struct NewActivity {
    title: String,
    #[serde(default)]
    provider: String,
    completed_on: String,
    delivery: String,
    hours: f64,
    #[serde(default)]
    unit: Option<String>,
    topics: BTreeMap<String, f64>,
    #[serde(default)]
    approvals: BTreeMap<String, String>,
}

#[post("/api/v1/ce/activities")]
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
    Ok(HttpResponse::Created().json(json!({ "id": id })))
}

#[get("/api/v1/ce/evaluation")]
pub async fn evaluation(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    user.0.require(Role::Practitioner)?;
    let reports = ce::evaluate(&state, user.0.id).await?;
    Ok(HttpResponse::Ok().json(json!({ "credentials": reports })))
}
