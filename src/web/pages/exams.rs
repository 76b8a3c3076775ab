//! Practice exams in the browser: start, one item per page, answer, drill feedback, results,
//! review and history.

use crate::error::{AppError, AppResult};
use crate::services::bank::taxonomy;
use crate::services::exams::{self, AnswerRefused, AnswerResult, StartRequest};
use crate::web::charts;
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

/// The signed-in person, if they take exams: students, and certified therapists (CE course exams
/// go through the same pages).
pub(super) fn taker(ctx: &Ctx) -> AppResult<crate::services::accounts::Account> {
    let u = ctx.user()?;
    exams::may_take_exams(u)?;
    Ok(u.clone())
}

/// A probability as a percentage a person reads right: "< 1" and "> 99" rather than 0 and 100.
fn pct(p: f64) -> String {
    if p < 0.005 {
        "< 1".into()
    } else if p > 0.995 {
        "> 99".into()
    } else {
        format!("{:.0}", p * 100.0)
    }
}

fn clock_text(secs: i64) -> String {
    let secs = secs.max(0);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, (secs % 3600) / 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

/// The per-area chart of one attempt: the chance each area is at or above the passing standard,
/// weak by the exam's own rule; results stored before that chance was recorded show shares
/// correct without colouring.
fn area_chart(areas: &[exams::AreaResult], weak_threshold: f64) -> Option<String> {
    if areas.is_empty() {
        return None;
    }
    let recorded = areas.iter().all(|a| a.p_below.is_some());
    let bars: Vec<charts::AreaBar> = areas
        .iter()
        .map(|a| charts::AreaBar {
            label: format!("{}. {}", a.area, a.name),
            value: match a.p_below {
                Some(p) if recorded => 1.0 - p,
                _ if a.items > 0 => a.correct as f64 / a.items as f64,
                _ => 0.0,
            },
            weak: a.weak,
        })
        .collect();
    let measure = if recorded {
        charts::AreaMeasure::AtStandard {
            weak_at_most: 1.0 - weak_threshold,
        }
    } else {
        charts::AreaMeasure::ShareCorrect
    };
    Some(charts::areas(&bars, &measure))
}

/// θ̂ and P(pass) over the last 30 adaptive attempts, when there are at least two.
pub(crate) fn trend_chart(history: &[exams::HistoryEntry]) -> Option<String> {
    let mut adaptive: Vec<charts::TrendPoint> = history
        .iter()
        .rev()
        .filter_map(|h| {
            Some(charts::TrendPoint {
                date: h.started_at.chars().take(10).collect(),
                theta: h.theta?,
                p_pass: h.p_pass?,
            })
        })
        .collect();
    if adaptive.len() > 30 {
        adaptive = adaptive.split_off(adaptive.len() - 30);
    }
    (adaptive.len() >= 2).then(|| charts::trend(&adaptive))
}

#[get("/exams")]
pub async fn index(ctx: Ctx) -> AppResult<HttpResponse> {
    taker(&ctx)?;
    exams_page(&ctx, StatusCode::OK, &[], "10", json!({})).await
}

/// The practice-exams page; `areas`, `length` and `errors` refill a refused drill form.
async fn exams_page(
    ctx: &Ctx,
    status: StatusCode,
    chosen: &[String],
    length: &str,
    errors: serde_json::Value,
) -> AppResult<HttpResponse> {
    let uid = taker(ctx)?.id;
    let history = exams::history(&ctx.state, uid).await?;
    let trend = trend_chart(&history);
    // Strength by area: the latest finished attempt that has a per-area report, drawn by the same
    // rule as its result page (adding up shares correct across adaptive attempts would mix
    // questions of different difficulty).
    // A whole-exam attempt (simulation, readiness check) when there is one: a short drill on a few
    // areas says little about the others.
    let with_areas =
        |h: &&exams::HistoryEntry| h.status == exams::ExamStatus::Finished && !h.areas.is_empty();
    let latest = history
        .iter()
        .filter(with_areas)
        .find(|h| !matches!(h.kind, exams::ExamKind::Drill | exams::ExamKind::Course))
        .or_else(|| history.iter().find(with_areas));
    let area_chart = latest.and_then(|h| area_chart(&h.areas, h.weak_threshold));
    let area_source = latest.map(|h| format!("{}, {}", h.title, h.started_at));
    let weak_at_most_pct = latest.map(|h| pct(1.0 - h.weak_threshold));
    let rows: Vec<_> = history
        .iter()
        .map(|h| {
            json!({
                "exam_id": h.exam_id, "title": h.title, "started_at": h.started_at, "in_progress": h.status == exams::ExamStatus::InProgress, "answered": h.answered,
                "passed": h.passed, "p_pass_pct": h.p_pass.map(pct),
                "scaled_score": h.scaled_score, "n_scored": h.n_scored, "n_correct": h.n_correct,
                "timed_out": h.outcome.as_deref() == Some("time_out"),
                "ended": h.outcome.as_deref() == Some("ended"),
            })
        })
        .collect();
    let areas: Vec<_> = taxonomy()
        .areas
        .iter()
        .map(|a| json!({
            "code": a.code, "name": a.name, "checked": chosen.contains(&a.code),
            "open": a.subareas.iter().any(|s| chosen.contains(&s.code)),
            "subareas": a.subareas.iter().map(|s| json!({"code": s.code, "name": s.name, "checked": chosen.contains(&s.code)})).collect::<Vec<_>>(),
        }))
        .collect();
    let custom = exams::active_programs(&ctx.state).await?;
    ctx.render_status(status, "exams", "Practice exams", json!({
        "history": rows, "trend": trend, "area_chart": area_chart, "area_source": area_source, "weak_at_most_pct": weak_at_most_pct, "areas": areas, "errors": errors, "custom": custom,
        "length": length,
    }))
}

#[post("/exams")]
pub async fn start(ctx: Ctx, body: web::Bytes) -> AppResult<HttpResponse> {
    let user = taker(&ctx)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut req = StartRequest::default();
    let mut length = String::new();
    for (k, v) in pairs {
        match k.as_str() {
            "program" => req.program = v,
            "areas" => req.areas.push(v),
            "length" => {
                req.length = v.trim().parse().ok().or(Some(0));
                length = v;
            }
            _ => {}
        }
    }
    let (program, areas) = (req.program.clone(), req.areas.clone());
    match exams::start(&ctx.state, &user, req).await {
        Ok(v) => Ok(see_other(&format!("/exams/{}", v.exam_id))),
        // A refused drill: the message next to its field, the ticked areas and length kept.
        Err(AppError::Invalid { field, message }) if program == "drill" => {
            let errors = json!({ field: message });
            exams_page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &areas,
                &length,
                errors,
            )
            .await
        }
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict(message)) => {
            ctx.flash("error", &message);
            Ok(see_other("/exams"))
        }
        Err(e) => Err(e),
    }
}

fn exam_page(
    ctx: &Ctx,
    v: &exams::CurrentView,
    status: StatusCode,
    error: Option<&str>,
) -> AppResult<HttpResponse> {
    // The readiness check shows its scored range (25 to 100); the few unscored trial questions
    // it also asks are not counted out loud.
    let readiness = v.kind == exams::ExamKind::Readiness;
    let progress_max = if v.fixed_length {
        v.max_items
    } else if readiness {
        100.max(v.answered + 1)
    } else {
        v.max_items.max(v.answered + 1)
    };
    let position = v.item.as_ref().map(|i| i.position).unwrap_or(0);
    ctx.render_status(status, "exam_item", &v.title, json!({
        "exam": v,
        "position": position,
        "progress_max": progress_max,
        "progress_label": if v.fixed_length { format!("Question {position} of {}", v.max_items) } else if readiness { format!("Question {position} (25 to 100 questions: this check stops as soon as it can decide)") } else { format!("Question {position} (this check stops as soon as it can decide; at most {})", v.max_items) },
        "remaining": v.remaining_secs.map(clock_text),
        "remaining_secs": v.remaining_secs,
        "error": error,
    }))
}

#[get("/exams/{id}")]
pub async fn show(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let id = path.into_inner();
    let v = exams::current(&ctx.state, uid, id.clone()).await?;
    if v.finished {
        return Ok(see_other(&format!("/exams/{id}/result")));
    }
    exam_page(&ctx, &v, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct AnswerForm {
    position: i32,
    option: Option<String>,
}

/// Asks before ending an unfinished exam.
#[get("/exams/{id}/end")]
pub async fn confirm_end(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let id = path.into_inner();
    let v = exams::current(&ctx.state, uid, id.clone()).await?;
    if v.finished {
        return Ok(see_other(&format!("/exams/{id}/result")));
    }
    ctx.render("ce_confirm", "End this exam?", json!({
        "heading": format!("End “{}” now?", v.title),
        "message": format!(
            "You have answered {}. Ending now keeps those answers and closes the exam without a verdict: a pass, a probability or a score needs the whole exam. This cannot be undone.",
            crate::views::count_noun(i64::from(v.answered), "question", None)
        ),
        "action": format!("/exams/{id}/end"),
        "button": "Yes, end the exam",
        "cancel": format!("/exams/{id}"),
        "cancel_label": "No, go back to the question",
    }))
}

#[post("/exams/{id}/end")]
pub async fn end(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let id = path.into_inner();
    match exams::end_early(&ctx.state, uid, id.clone()).await {
        Ok(()) => ctx.flash(
            "info",
            "You ended the exam. Your answers so far are kept below.",
        ),
        Err(AppError::Conflict(m)) => ctx.flash("info", &m),
        Err(e) => return Err(e),
    }
    Ok(see_other(&format!("/exams/{id}/result")))
}

#[post("/exams/{id}/answer")]
pub async fn answer(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let id = path.into_inner();
    let f = form.into_inner();
    let Some(option) = f.option.filter(|o| !o.trim().is_empty()) else {
        let v = exams::current(&ctx.state, uid, id.clone()).await?;
        if v.finished {
            return Ok(see_other(&format!("/exams/{id}/result")));
        }
        return exam_page(
            &ctx,
            &v,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Choose an answer before moving on."),
        );
    };
    match exams::answer(&ctx.state, uid, id.clone(), f.position, option).await? {
        AnswerResult::Next(v) => {
            // Feedback is a page of its own, shown by a GET: reloading it sends nothing again.
            if v.last_feedback.is_some() {
                return Ok(see_other(&format!("/exams/{id}/items/{}", f.position)));
            }
            Ok(see_other(&if v.finished {
                format!("/exams/{id}/result")
            } else {
                format!("/exams/{id}")
            }))
        }
        AnswerResult::Refused(AnswerRefused::TimeUp) => {
            ctx.flash("error", "Time is up: the answer arrived after the exam's deadline and was not recorded. The exam has been finished under its rules.");
            Ok(see_other(&format!("/exams/{id}/result")))
        }
        AnswerResult::Refused(AnswerRefused::Finished) => {
            ctx.flash("info", "This exam is already finished.");
            Ok(see_other(&format!("/exams/{id}/result")))
        }
        AnswerResult::Refused(AnswerRefused::WrongPosition(m)) => {
            ctx.flash("info", &format!("{m} Here is the current question."));
            Ok(see_other(&format!("/exams/{id}")))
        }
        AnswerResult::Refused(AnswerRefused::BadOption) => Err(AppError::BadRequest(
            "Choose one of the options A to D.".into(),
        )),
    }
}

#[get("/exams/{id}/items/{position}")]
pub async fn answered_item(ctx: Ctx, path: web::Path<(String, i32)>) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let (id, position) = path.into_inner();
    let fb = match exams::answered_item(&ctx.state, uid, id.clone(), position).await {
        Ok(fb) => fb,
        // The question on screen, not yet answered: the exam shows it.
        Err(AppError::Conflict(_)) => return Ok(see_other(&format!("/exams/{id}"))),
        Err(e) => return Err(e),
    };
    let v = exams::current(&ctx.state, uid, id.clone()).await?;
    let next_url = if v.finished {
        format!("/exams/{id}/result")
    } else {
        format!("/exams/{id}")
    };
    // The latest answered question leads on ("Next question"); an earlier one leads back.
    let revisit = !v.finished && position != v.answered as i32;
    let marks = crate::services::study::marks(&ctx.state, uid, fb.item_id.clone()).await?;
    let here = format!("/exams/{id}/items/{position}");
    ctx.render(
        "exam_feedback",
        &v.title,
        json!({ "exam": v, "fb": fb, "next_url": next_url, "revisit": revisit,
                "marks": marks, "here": here }),
    )
}

#[get("/exams/{id}/result")]
pub async fn result(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let id = path.into_inner();
    let r = match exams::result(&ctx.state, uid, id.clone()).await {
        Ok(r) => r,
        Err(AppError::Conflict(_)) => return Ok(see_other(&format!("/exams/{id}"))),
        Err(e) => return Err(e),
    };
    ctx.render("exam_result", &r.title, json!({
        "r": r,
        "p_pass_pct": r.p_pass.map(pct),
        "timed_out": r.outcome.as_deref() == Some("time_out"),
        "ended": r.outcome.as_deref() == Some("ended"),
        "time_used": clock_text(r.time_used_secs),
        "area_chart": area_chart(&r.areas, r.weak_threshold),
        "weak_at_most_pct": pct(1.0 - r.weak_threshold),
        "area_rows": r.areas.iter().map(|a| json!({
            "label": format!("{}. {}", a.area, a.name), "correct": a.correct, "items": a.items, "weak": a.weak,
            "at_standard_pct": a.p_below.map(|p| pct(1.0 - p)),
        })).collect::<Vec<_>>(),
        "weak": r.areas.iter().filter(|a| a.weak).map(|a| format!("{}. {}", a.area, a.name)).collect::<Vec<_>>(),
        "drill": r.kind == exams::ExamKind::Drill,
        "course": r.kind == exams::ExamKind::Course,
        "ready_pct": r.min_pass_probability.map(pct),
    }))
}

#[derive(Deserialize)]
pub struct ReviewQuery {
    missed: Option<String>,
}

#[get("/exams/{id}/review")]
pub async fn review(
    ctx: Ctx,
    path: web::Path<String>,
    q: web::Query<ReviewQuery>,
) -> AppResult<HttpResponse> {
    let uid = taker(&ctx)?.id;
    let id = path.into_inner();
    let missed = q.missed.as_deref() == Some("1");
    let items = exams::review(&ctx.state, uid, id.clone(), missed).await?;
    let flagged = crate::services::study::flagged(&ctx.state, uid).await?;
    let items: Vec<serde_json::Value> = items
        .into_iter()
        .map(|i| {
            let f = flagged.contains(&i.item_id);
            let mut v = json!(i);
            v["flagged"] = json!(f);
            v
        })
        .collect();
    ctx.render(
        "exam_review",
        "Review your answers",
        json!({ "exam_id": id, "items": items, "missed": missed,
                "back": format!("/exams/{id}/review{}", if missed { "?missed=1" } else { "" }) }),
    )
}
