//! `/api/v1/exams`: start, current item, answers, result, review.

use super::ApiUser;
use crate::error::ErrorBody;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::exams::{self, AnswerRefused, AnswerResult, StartRequest};
use crate::services::exams::{Feedback, HistoryEntry, OptionView, ResultView};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

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

/// The question on screen: stem and options only.
#[derive(Serialize, ToSchema)]
pub struct QuestionBody {
    /// A handle for this exam's question, never the bank's item id: nothing in an exam tells a
    /// scored question from an unscored trial one.
    id: String,
    position: i32,
    stem: String,
    options: Vec<OptionView>,
}

/// An exam as the student sees it now.
#[derive(Serialize, ToSchema)]
pub struct ExamState {
    id: String,
    title: String,
    /// The program's name: mblex, ncbtmb, readiness, drill, custom or course.
    program: String,
    finished: bool,
    position: Option<i32>,
    item: Option<QuestionBody>,
    answered: u32,
    max_items: u32,
    remaining_seconds: Option<i64>,
    pace_warning: bool,
    /// Drills: the key and rationales of the item just answered.
    feedback: Option<Feedback>,
}

impl From<exams::CurrentView> for ExamState {
    fn from(v: exams::CurrentView) -> ExamState {
        let item = v.item.map(|i| QuestionBody {
            id: item_handle(&v.exam_id, i.position),
            position: i.position,
            stem: i.stem,
            options: i.options,
        });
        ExamState {
            program: v.kind.as_str().to_string(),
            position: item.as_ref().map(|i| i.position),
            id: v.exam_id,
            title: v.title,
            finished: v.finished,
            item,
            answered: v.answered,
            max_items: v.max_items,
            remaining_seconds: v.remaining_secs,
            pace_warning: v.pace_warning,
            feedback: v.last_feedback,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReviewBody {
    items: Vec<Feedback>,
}

#[derive(Serialize, ToSchema)]
pub struct ExamList {
    exams: Vec<HistoryEntry>,
}

/// Start a practice exam (students)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    request_body = StartRequest,
    responses(
        (status = 201, description = "The exam and its first item", body = ExamState),
        (status = 400, description = "Unknown program or bad drill choice", body = ErrorBody),
        (status = 403, description = "Not a student", body = ErrorBody),
        (status = 409, description = "Not enough live questions", body = ErrorBody),
    )
)]
#[post("/exams")]
pub async fn start(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<StartRequest>,
) -> AppResult<HttpResponse> {
    student(&user)?;
    let v = exams::start(&state, &user.0, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(ExamState::from(v)))
}

/// The question on screen and the remaining time, or that the exam is finished
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    params(("id" = String, Path, description = "The exam's id")),
    responses(
        (status = 200, description = "The exam now", body = ExamState),
        (status = 404, description = "No such exam of yours", body = ErrorBody),
    )
)]
#[get("/exams/{id}/current")]
pub async fn current(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let v = exams::current(&state, uid, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ExamState::from(v)))
}

#[derive(Deserialize, ToSchema)]
pub struct AnswerBody {
    /// The position of the question answered (the current one).
    position: i32,
    /// A, B, C or D.
    option_id: String,
}

/// Answer the question at `position`; a repeated identical answer is harmless
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    params(("id" = String, Path, description = "The exam's id")),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "The next state (drills include `feedback` with the key and rationales)", body = ExamState),
        (status = 409, description = "Not the current position, or already answered differently", body = ErrorBody),
        (status = 410, description = "The deadline passed (the exam was finished) or the exam is over", body = ErrorBody),
        (status = 422, description = "Not one of the options", body = ErrorBody),
    )
)]
#[post("/exams/{id}/answers")]
pub async fn answer(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<AnswerBody>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let b = body.into_inner();
    match exams::answer(&state, uid, path.into_inner(), b.position, b.option_id).await? {
        AnswerResult::Next(v) => Ok(HttpResponse::Ok().json(ExamState::from(*v))),
        AnswerResult::Refused(AnswerRefused::TimeUp) => Err(AppError::Gone(
            "Time is up: the answer arrived after the exam's deadline and was not recorded. The exam has been finished under its rules.".into(),
        )),
        AnswerResult::Refused(AnswerRefused::Finished) => Err(AppError::Gone("This exam is already finished.".into())),
        AnswerResult::Refused(AnswerRefused::WrongPosition(m)) => Err(AppError::Conflict(m)),
        AnswerResult::Refused(AnswerRefused::BadOption) => Err(AppError::invalid("option_id", "Use one of the option ids A, B, C or D.")),
    }
}

/// End an unfinished exam early
///
/// The answers given are kept, no verdict is given, and nothing more can be answered. Ending an
/// exam that is already over is refused with 409.
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    params(("id" = String, Path, description = "The exam's id")),
    responses(
        (status = 200, description = "The result of the ended exam", body = ResultView),
        (status = 404, description = "No such exam of yours", body = ErrorBody),
        (status = 409, description = "The exam is already over", body = ErrorBody),
    )
)]
#[post("/exams/{id}/end")]
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

/// Pass/fail, P(pass), practice scaled score, per-area diagnostics
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    params(("id" = String, Path, description = "The exam's id")),
    responses(
        (status = 200, description = "The result", body = ResultView),
        (status = 404, description = "No such exam of yours", body = ErrorBody),
        (status = 409, description = "Still in progress", body = ErrorBody),
    )
)]
#[get("/exams/{id}/result")]
pub async fn result(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let r = exams::result(&state, uid, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(r))
}

#[derive(Deserialize, IntoParams)]
pub struct ReviewQuery {
    /// Only the questions answered wrongly.
    missed: Option<bool>,
}

/// Every answered question with your answer, the key and all rationales (after finishing only)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    params(("id" = String, Path, description = "The exam's id"), ReviewQuery),
    responses(
        (status = 200, description = "The review", body = ReviewBody),
        (status = 403, description = "The exam is not finished", body = ErrorBody),
        (status = 404, description = "No such exam of yours", body = ErrorBody),
    )
)]
#[get("/exams/{id}/review")]
pub async fn review(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<ReviewQuery>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let items = exams::review(&state, uid, path.into_inner(), q.missed.unwrap_or(false)).await?;
    Ok(HttpResponse::Ok().json(ReviewBody { items }))
}

/// Your exams, newest first
#[utoipa::path(
    context_path = "/api/v1",
    tag = "exams",
    responses(
        (status = 200, description = "Your exams", body = ExamList),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
#[get("/exams")]
pub async fn list(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let h = exams::history(&state, uid).await?;
    Ok(HttpResponse::Ok().json(ExamList { exams: h }))
}
