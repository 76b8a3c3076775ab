//! The real exam: a student's target exam and date, and the result they report after it.
//! Administrators: how well predictions matched reported results, adopting a re-estimated cut,
//! and running a calibration.

use super::exams::taker;
use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult};
use crate::services::outcomes::{self, OutcomeInput};
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

async fn page(ctx: &Ctx, status: StatusCode, extra: Value) -> AppResult<HttpResponse> {
    let u = taker(ctx)?;
    let profile = outcomes::profile(&ctx.state, u.id).await?;
    let mut data = json!({
        "profile": profile,
        "errors": {},
        "plan": {
            "target": profile.as_ref().map(|p| p.target.clone()).unwrap_or_else(|| "mblex".into()),
            "exam_date": profile.as_ref().and_then(|p| p.exam_date.clone()).unwrap_or_default(),
        },
        "report": {"target": profile.as_ref().map(|p| p.target.clone()).unwrap_or_else(|| "mblex".into()),
                   "taken_on": profile.as_ref().and_then(|p| p.exam_date.clone()).unwrap_or_default(),
                   "result": "", "scaled_score": ""},
        "report_errors": {},
    });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            d.insert(k.clone(), v.clone());
        }
    }
    ctx.render_status(status, "real_exam", "Your real exam", data)
}

#[get("/exams/outcome")]
pub async fn show(ctx: Ctx) -> AppResult<HttpResponse> {
    taker(&ctx)?;
    page(&ctx, StatusCode::OK, json!({})).await
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    target: String,
    #[serde(default)]
    exam_date: String,
}

#[post("/exams/outcome/plan")]
pub async fn plan(ctx: Ctx, form: web::Form<PlanForm>) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let f = form.into_inner();
    let r = outcomes::save_profile(&ctx.state, u.id, f.target.clone(), f.exam_date.clone()).await;
    match field_errors(r)? {
        Ok(()) => {
            ctx.flash("success", "Your exam plan is saved.");
            Ok(see_other("/exams/outcome"))
        }
        Err(errors) => {
            page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"errors": errors, "plan": {"target": f.target, "exam_date": f.exam_date}}),
            )
            .await
        }
    }
}

#[post("/exams/outcome")]
pub async fn report(ctx: Ctx, form: web::Form<OutcomeInput>) -> AppResult<HttpResponse> {
    let u = taker(&ctx)?;
    let f = form.into_inner();
    let declined = f.result == "decline";
    match field_errors(outcomes::report(&ctx.state, u.id, f.clone()).await)? {
        Ok(()) => {
            ctx.flash(
                "success",
                if declined {
                    "Understood: we will not ask again for this exam."
                } else {
                    "Thank you. Your result helps us check how well Palpate's predictions match the real exam."
                },
            );
            Ok(see_other("/exams/outcome"))
        }
        Err(errors) => {
            page(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"report_errors": errors, "report": f}),
            )
            .await
        }
    }
}

#[get("/admin/validity")]
pub async fn validity(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    let v = outcomes::validity(&ctx.state).await?;
    let runs = crate::services::calibration::recent_runs(&ctx.state, 5).await?;
    ctx.render(
        "admin_validity",
        "Prediction checks",
        // The full list of runs is on the question bank's pages, which instructors reach.
        json!({ "v": v, "runs": runs, "instructor": me.has(Role::Instructor) }),
    )
}

#[post("/admin/validity/adopt")]
pub async fn adopt(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.id;
    match outcomes::adopt_cut(&ctx.state, me).await {
        Ok(cut) => ctx.flash(
            "success",
            &format!("New readiness checks and simulations now use the cut θ = {cut:+.2}."),
        ),
        Err(AppError::Conflict(m)) => ctx.flash("error", &m),
        Err(e) => return Err(e),
    }
    Ok(see_other("/admin/validity"))
}

#[post("/admin/calibration")]
pub async fn calibrate(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.id;
    super::calibration::run_and_report(&ctx, me).await;
    Ok(see_other("/admin/validity"))
}
