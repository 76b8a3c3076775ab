//! A student's study time, time zone, reminders and study calendar.

use super::exams::taker;
use crate::error::AppResult;
use crate::services::study_settings::{self as settings, SettingsInput};
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde_json::json;

async fn page(
    ctx: &Ctx,
    status: StatusCode,
    form: Option<SettingsInput>,
    errors: serde_json::Value,
) -> AppResult<HttpResponse> {
    let u = taker(ctx)?;
    let view = settings::get(&ctx.state, u.id).await?;
    let form = form.unwrap_or_else(|| SettingsInput {
        time_zone: view.time_zone.clone(),
        study_days: view.study_days.clone(),
        study_hour: view.study_hour.to_string(),
        study_weekday: view.study_weekday.to_string(),
        email_reminder: view.email_reminder,
    });
    let hour = form.study_hour.parse().unwrap_or(view.study_hour);
    let weekday = form.study_weekday.parse().unwrap_or(view.study_weekday);
    let key = settings::feed_key(&ctx.state, u.id).await?;
    ctx.render_status(
        status,
        "study_settings",
        "Study time and reminders",
        json!({
            "settings": view,
            "form": form,
            "errors": errors,
            "zones": settings::zone_options(&form.time_zone),
            "hours": settings::hour_options(hour),
            "weekdays": settings::weekday_options(weekday),
            "calendar_url": ctx.state.url(&format!("/study/calendar/{}-{key}.ics", u.id)),
        }),
    )
}

#[get("/study/settings")]
pub async fn show(ctx: Ctx) -> AppResult<HttpResponse> {
    taker(&ctx)?;
    page(&ctx, StatusCode::OK, None, json!({})).await
}

#[post("/study/settings")]
pub async fn save(ctx: Ctx, form: web::Form<SettingsInput>) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let f = form.into_inner();
    match field_errors(settings::save(&ctx.state, u.id, f.clone()).await)? {
        Ok(()) => {
            ctx.flash("success", "Your study time and reminders are saved.");
            Ok(see_other("/study/settings"))
        }
        Err(errors) => {
            page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(f),
                json!(errors),
            )
            .await
        }
    }
}

/// The study calendar: no log-in (calendar apps cannot), a secret in the URL instead.
#[get("/study/calendar/{feed}.ics")]
pub async fn calendar(
    state: web::Data<crate::services::AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let feed = path.into_inner();
    let (uid, key) = crate::web::forms::calendar_feed(&feed)?;
    if !settings::feed_key_matches(&state, uid, key).await? {
        return Err(crate::web::forms::no_such_calendar());
    }
    Ok(crate::web::forms::ics(
        settings::calendar(&state, uid).await?,
    ))
}

/// A new calendar address: the old one stops working.
#[post("/study/calendar/reset")]
pub async fn reset_calendar(ctx: Ctx) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    crate::services::ce::reset_feed_key(&ctx.state, u.id).await?;
    ctx.flash(
        "success",
        "Your calendar has a new address. The old one no longer works: subscribe again with the new one.",
    );
    Ok(see_other("/study/settings#calendar"))
}
