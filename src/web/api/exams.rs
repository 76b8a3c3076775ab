//! `/api/v1/exams`: start, current item, answers, result, review.

use super::ApiUser;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::exams::{self, AnswerRefused, AnswerResult, StartRequest};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

/// The same rule as the web pages: students and certified therapists take exams.
fn student(u: &ApiUser) -> AppResult<i64> {
    exams::may_take_exams(&u.0)?;
    Ok(u.0.id)
}

/// An opaque, per-exam name for the question at `position`.
pub fn item_handle(exam_id: &str, position: i32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{exam_id}|{position}").as_bytes());
    format!("q-{}", &hex::encode(digest)[..12])
}

fn state_json(v: &exams::CurrentView) -> serde_json::Value {
    json!({
        "id": v.exam_id,
        "title": v.title,
        "program": v.kind,
        "finished": v.finished,
        "position": v.item.as_ref().map(|i| i.position),
        // A handle for this exam's question, never the bank's item id: nothing in an exam tells a
        // scored question from an unscored trial one.
        "item": v.item.as_ref().map(|i| json!({"id": item_handle(&v.exam_id, i.position), "position": i.position, "stem": i.stem, "options": i.options})),
        "answered": v.answered,
        "max_items": v.max_items,
        "remaining_seconds": v.remaining_secs,
        "pace_warning": v.pace_warning,
        "feedback": v.last_feedback,
    })
}

#[post("/api/v1/exams")]
pub async fn start(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<StartRequest>,
) -> AppResult<HttpResponse> {
    student(&user)?;
    let v = exams::start(&state, &user.0, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(state_json(&v)))
}

#[get("/api/v1/exams/{id}/current")]
pub async fn current(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let v = exams::current(&state, uid, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(state_json(&v)))
}

#[derive(Deserialize)]
pub struct AnswerBody {
    position: i32,
    option_id: String,
}

#[post("/api/v1/exams/{id}/answers")]
pub async fn answer(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AnswerBody>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let b = body.into_inner();
    match exams::answer(&state, uid, path.into_inner(), b.position, b.option_id).await? {
        AnswerResult::Next(v) => Ok(HttpResponse::Ok().json(state_json(&v))),
        AnswerResult::Refused(AnswerRefused::TimeUp) => Err(AppError::Gone(
            "Time is up: the answer arrived after the exam's deadline and was not recorded. The exam has been finished under its rules.".into(),
        )),
        AnswerResult::Refused(AnswerRefused::Finished) => Err(AppError::Gone("This exam is already finished.".into())),
        AnswerResult::Refused(AnswerRefused::WrongPosition(m)) => Err(AppError::Conflict(m)),
        AnswerResult::Refused(AnswerRefused::BadOption) => Err(AppError::invalid("option_id", "Use one of the option ids A, B, C or D.")),
    }
}

/// Ends an unfinished exam early: the answers given are kept, no verdict is given, and nothing more
/// can be answered. Ending an exam that is already over is refused with 409.
#[post("/api/v1/exams/{id}/end")]
pub async fn end(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let id = path.into_inner();
    exams::end_early(&state, uid, id.clone()).await?;
    let r = exams::result(&state, uid, id).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[get("/api/v1/exams/{id}/result")]
pub async fn result(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let r = exams::result(&state, uid, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize)]
pub struct ReviewQuery {
    missed: Option<bool>,
}

#[get("/api/v1/exams/{id}/review")]
pub async fn review(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ReviewQuery>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let items = exams::review(&state, uid, path.into_inner(), q.missed.unwrap_or(false)).await?;
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}

#[get("/api/v1/exams")]
pub async fn list(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let h = exams::history(&state, uid).await?;
    Ok(HttpResponse::Ok().json(json!({ "exams": h })))
}
