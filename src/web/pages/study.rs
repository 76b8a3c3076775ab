//! Study between exams: today's plan, study sessions, flags and "I guessed".

use super::exams::taker;
use crate::error::{AppError, AppResult};
use crate::services::{exams, flashcards, study};
use crate::web::charts;
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

/// Where a study action goes back to: a page of this site's exams or study, else the study page.
fn back_to(back: &str) -> &str {
    let local = (back.starts_with("/exams/") || back.starts_with("/study"))
        && !back.contains("//")
        && !back.contains('\\')
        && back.chars().all(|c| c.is_ascii_graphic());
    if local { back } else { "/study" }
}

#[get("/study")]
pub async fn index(ctx: Ctx) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let s = study::summary(&ctx.state, u.id).await?;
    let a = study::activity(&ctx.state, u.id).await?;
    let bars: Vec<charts::DayBar> = a
        .days
        .iter()
        .map(|d| charts::DayBar {
            date: d.date.clone(),
            minutes: d.minutes,
        })
        .collect();
    let studied = a.days.iter().any(|d| d.answers > 0);
    let history = exams::history(&ctx.state, u.id).await?;
    let trend = super::exams::trend_chart(&history);
    let settings = crate::services::study_settings::get(&ctx.state, u.id).await?;
    ctx.render(
        "study",
        "Study",
        json!({
            "s": s,
            "streak": a.streak,
            "today_minutes": a.days.last().map_or(0, |d| d.minutes),
            "days_chart": studied.then(|| charts::daily_minutes(&bars)),
            "trend": trend,
            "settings": settings,
        }),
    )
}

#[derive(Deserialize)]
pub struct SessionForm {
    #[serde(default)]
    kind: String,
}

#[post("/study/sessions")]
pub async fn start(ctx: Ctx, form: web::Form<SessionForm>) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    match study::start(&ctx.state, &u, &form.kind).await {
        Ok(id) => Ok(see_other(&format!("/exams/{id}"))),
        Err(AppError::Conflict(m)) => {
            ctx.flash("info", &m);
            Ok(see_other("/study"))
        }
        Err(AppError::Invalid { message, .. }) => {
            ctx.flash("error", &message);
            Ok(see_other("/study"))
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct MarkForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    back: String,
}

#[post("/study/items/{item}/flag")]
pub async fn flag(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<MarkForm>,
) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let on = form.on == "1";
    study::set_flag(&ctx.state, u.id, path.into_inner(), on).await?;
    ctx.flash(
        "success",
        if on {
            "Flagged: this question is in your flagged questions."
        } else {
            "This question is no longer flagged."
        },
    );
    Ok(see_other(back_to(&form.back)))
}

#[post("/study/items/{item}/guessed")]
pub async fn guessed(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<MarkForm>,
) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    study::guessed(&ctx.state, u.id, path.into_inner()).await?;
    ctx.flash(
        "success",
        "Noted: this question will come back sooner, as if you had found it hard.",
    );
    Ok(see_other(back_to(&form.back)))
}

#[get("/study/flashcards")]
pub async fn decks(ctx: Ctx) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let decks = flashcards::decks(&ctx.state, u.id).await?;
    ctx.render("flashcards", "Flashcards", json!({ "decks": decks }))
}

#[get("/study/flashcards/{deck}")]
pub async fn next_card(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let next = flashcards::next(&ctx.state, u.id, path.into_inner()).await?;
    let title = next.deck.label;
    ctx.render("flashcard", title, json!({ "n": next, "show": false }))
}

#[get("/study/flashcards/{deck}/{face}")]
pub async fn show_answer(ctx: Ctx, path: web::Path<(String, String)>) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let (deck, face) = path.into_inner();
    let face = flashcards::face(&deck, &face)?;
    let next = flashcards::next(&ctx.state, u.id, deck).await?;
    let title = next.deck.label;
    ctx.render(
        "flashcard",
        title,
        json!({ "n": { "deck": next.deck, "face": face }, "show": true }),
    )
}

#[derive(Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    rating: String,
}

#[post("/study/flashcards/{deck}/{face}")]
pub async fn rate(
    ctx: Ctx,
    path: web::Path<(String, String)>,
    form: web::Form<RatingForm>,
) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let (deck, face) = path.into_inner();
    let rating = flashcards::rating_of(&form.rating)?;
    flashcards::review(&ctx.state, u.id, deck.clone(), face, rating).await?;
    Ok(see_other(&format!("/study/flashcards/{deck}")))
}
