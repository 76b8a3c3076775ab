//! `/api/v1/study`: today's plan and progress, study sessions, flags and "I guessed", flashcards,
//! and the study time, time zone and reminder settings (students).

use super::ApiUser;
use super::exams::ExamState;
use crate::error::{AppResult, ErrorBody};
use crate::services::AppState;
use crate::services::study::{Activity, StudySummary};
use crate::services::study_settings::{self, SettingsInput, SettingsView};
use crate::services::{exams, flashcards, study};
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn student(u: &ApiUser) -> AppResult<i64> {
    exams::may_take_exams(&u.0)?;
    Ok(u.0.id)
}

/// Today's plan, progress and study days.
#[derive(Serialize, ToSchema)]
pub struct StudyBody {
    summary: StudySummary,
    activity: Activity,
    settings: SettingsView,
}

/// Today's plan, progress per area, the last 14 days of study and the study settings
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    responses(
        (status = 200, description = "The study overview", body = StudyBody),
        (status = 403, description = "Not a student", body = ErrorBody),
    )
)]
#[get("/study")]
pub async fn overview(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    Ok(HttpResponse::Ok().json(StudyBody {
        summary: study::summary(&state, uid).await?,
        activity: study::activity(&state, uid).await?,
        settings: study_settings::get(&state, uid).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct SessionBody {
    /// today (the reviews due and today's new questions), quick (ten from the weakest areas),
    /// missed (answered wrong and not right since) or flagged.
    kind: String,
}

/// Start a study session: a drill over exactly its questions, answered through /api/v1/exams
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    request_body = SessionBody,
    responses(
        (status = 201, description = "The session and its first question", body = ExamState),
        (status = 400, description = "Unknown kind of session", body = ErrorBody),
        (status = 409, description = "Nothing to study in this session", body = ErrorBody),
    )
)]
#[post("/study/sessions")]
pub async fn start_session(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<SessionBody>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let id = study::start(&state, &user.0, &body.kind).await?;
    let v = exams::current(&state, uid, id).await?;
    Ok(HttpResponse::Created().json(ExamState::from(v)))
}

#[derive(Deserialize, Serialize, ToSchema)]
pub struct FlagBody {
    flagged: bool,
}

/// Flag or unflag a question already answered (its `item_id` from a drill's feedback or a review)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    params(("item" = String, Path, description = "The question's item_id")),
    request_body = FlagBody,
    responses(
        (status = 200, description = "The question's flag now", body = FlagBody),
        (status = 404, description = "Not a question you have answered", body = ErrorBody),
    )
)]
#[put("/study/items/{item}/flag")]
pub async fn flag(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<FlagBody>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    study::set_flag(&state, uid, path.into_inner(), body.flagged).await?;
    Ok(HttpResponse::Ok().json(FlagBody {
        flagged: body.flagged,
    }))
}

/// "I guessed": the last right answer to the question counts as hard, so it comes back sooner
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    params(("item" = String, Path, description = "The question's item_id")),
    responses(
        (status = 204, description = "Noted"),
        (status = 404, description = "Not a question you have answered", body = ErrorBody),
        (status = 409, description = "The last answer was wrong or is already marked", body = ErrorBody),
    )
)]
#[post("/study/items/{item}/guessed")]
pub async fn guessed(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    study::guessed(&state, uid, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One line of a flashcard: "Origin" and its text.
#[derive(Serialize, ToSchema)]
pub struct CardLine {
    label: String,
    text: String,
}

/// One side of a flashcard as studied.
#[derive(Serialize, ToSchema)]
pub struct FaceBody {
    /// Rate this id after recalling.
    id: String,
    question: String,
    prompt: Vec<CardLine>,
    /// Only when asked for (after the student tried to recall).
    answer: Option<Vec<CardLine>>,
}

fn lines(v: Vec<(String, String)>) -> Vec<CardLine> {
    v.into_iter()
        .map(|(label, text)| CardLine { label, text })
        .collect()
}

fn face_body(f: crate::domain::bank::flashcards::Face, with_answer: bool) -> FaceBody {
    FaceBody {
        id: f.id,
        question: f.question,
        prompt: lines(f.prompt),
        answer: with_answer.then(|| lines(f.answer)),
    }
}

/// A deck's standing and its next card.
#[derive(Serialize, ToSchema)]
pub struct DeckBody {
    code: String,
    label: String,
    faces: usize,
    due: usize,
    seen: usize,
    new_today: usize,
    /// The next card (its prompt only), or none when nothing is due and today's new cards are done.
    next: Option<FaceBody>,
}

fn deck_body(d: flashcards::DeckStatus, next: Option<FaceBody>) -> DeckBody {
    DeckBody {
        code: d.code.to_string(),
        label: d.label.to_string(),
        faces: d.faces,
        due: d.due,
        seen: d.seen,
        new_today: d.new_today,
        next,
    }
}

#[derive(Serialize, ToSchema)]
pub struct DeckList {
    decks: Vec<DeckBody>,
}

/// The flashcard decks: muscles, bony landmarks, key terms
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    responses((status = 200, description = "Every deck's standing", body = DeckList))
)]
#[get("/study/flashcards")]
pub async fn decks(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let decks = flashcards::decks(&state, uid).await?;
    Ok(HttpResponse::Ok().json(DeckList {
        decks: decks.into_iter().map(|d| deck_body(d, None)).collect(),
    }))
}

/// A deck's next card: the most overdue, else a new one while today allows
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    params(("deck" = String, Path, description = "The deck's code from the list of decks")),
    responses(
        (status = 200, description = "The deck and its next card's prompt", body = DeckBody),
        (status = 404, description = "No such deck", body = ErrorBody),
    )
)]
#[get("/study/flashcards/{deck}")]
pub async fn next_card(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let n = flashcards::next(&state, uid, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(deck_body(n.deck, n.face.map(|f| face_body(f, false)))))
}

/// One card with its answer (after the student tried to recall it)
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    params(
        ("deck" = String, Path, description = "The deck's code"),
        ("face" = String, Path, description = "The card's id from the deck's next card"),
    ),
    responses(
        (status = 200, description = "The card with its answer", body = FaceBody),
        (status = 404, description = "No such card", body = ErrorBody),
    )
)]
#[get("/study/flashcards/{deck}/{face}")]
pub async fn card(user: ApiUser, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    student(&user)?;
    let (deck, face) = path.into_inner();
    Ok(HttpResponse::Ok().json(face_body(flashcards::face(&deck, &face)?, true)))
}

#[derive(Deserialize, ToSchema)]
pub struct RatingBody {
    /// again (forgot), hard, good or easy.
    rating: String,
}

/// Rate how well the student recalled a card; returns the deck's next card
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    params(
        ("deck" = String, Path, description = "The deck's code"),
        ("face" = String, Path, description = "The card's id"),
    ),
    request_body = RatingBody,
    responses(
        (status = 200, description = "The deck and its next card's prompt", body = DeckBody),
        (status = 400, description = "Unknown rating", body = ErrorBody),
        (status = 404, description = "No such card", body = ErrorBody),
    )
)]
#[post("/study/flashcards/{deck}/{face}")]
pub async fn rate(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<RatingBody>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let (deck, face) = path.into_inner();
    let rating = flashcards::rating_of(&body.rating)?;
    flashcards::review(&state, uid, deck.clone(), face, rating).await?;
    let n = flashcards::next(&state, uid, deck).await?;
    Ok(HttpResponse::Ok().json(deck_body(n.deck, n.face.map(|f| face_body(f, false)))))
}

/// The study settings as sent.
#[derive(Deserialize, ToSchema)]
pub struct SettingsBody {
    /// IANA time-zone name, e.g. "America/Chicago": the study day starts at midnight there.
    time_zone: String,
    /// off, daily or weekly.
    study_days: String,
    /// Local hour of the planned study time, 0–23.
    study_hour: u8,
    /// Weekly: 0 = Monday … 6 = Sunday.
    #[serde(default)]
    study_weekday: u8,
    /// E-mail the day's plan at that hour.
    #[serde(default)]
    email_reminder: bool,
}

/// The study settings: time zone, planned study time and e-mail reminder
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    responses((status = 200, description = "The settings", body = SettingsView))
)]
#[get("/study/settings")]
pub async fn settings(user: ApiUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    Ok(HttpResponse::Ok().json(study_settings::get(&state, uid).await?))
}

/// Change the study settings
#[utoipa::path(
    context_path = "/api/v1",
    tag = "study",
    request_body = SettingsBody,
    responses(
        (status = 200, description = "The settings now", body = SettingsView),
        (status = 422, description = "A field is wrong (the error names it)", body = ErrorBody),
    )
)]
#[put("/study/settings")]
pub async fn save_settings(
    user: ApiUser,
    state: web::Data<AppState>,
    body: web::Json<SettingsBody>,
) -> AppResult<HttpResponse> {
    let uid = student(&user)?;
    let b = body.into_inner();
    let input = SettingsInput {
        time_zone: b.time_zone,
        study_days: b.study_days,
        study_hour: b.study_hour.to_string(),
        study_weekday: b.study_weekday.to_string(),
        email_reminder: b.email_reminder,
    };
    study_settings::save(&state, uid, input).await?;
    Ok(HttpResponse::Ok().json(study_settings::get(&state, uid).await?))
}
