//! Item calibration for instructors: the runs so far and a button to run one now. Each item's page
//! shows its own parameter history (see `bank::item`).

use crate::domain::accounts::Role;
use crate::domain::irt::recalibrate::{MAX_MISFIT, MAX_SE_B, MIN_RESPONSES};
use crate::error::{AppError, AppResult};
use crate::services::calibration::{self, Source};
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::{HttpResponse, get, post};
use serde_json::json;

#[get("/bank/calibration")]
pub async fn runs(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let runs = calibration::recent_runs(&ctx.state, 20).await?;
    ctx.render(
        "bank_calibration",
        "Item calibration",
        json!({
            "runs": runs,
            "min_responses": MIN_RESPONSES,
            "max_se_b": format!("{MAX_SE_B:.1}"),
            "max_misfit": format!("{MAX_MISFIT:.2}"),
            "every_hours": ctx.state.settings.calibration_every_hours,
        }),
    )
}

#[post("/bank/calibration")]
pub async fn run(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.id;
    run_and_report(&ctx, me).await;
    Ok(see_other("/bank/calibration"))
}

/// Runs a calibration for the signed-in person and says how it went in a flash message.
pub(super) async fn run_and_report(ctx: &Ctx, by: i64) {
    match calibration::run(&ctx.state, Source::Manual, Some(by)).await {
        Ok(s) => ctx.flash(
            "success",
            &format!(
                "Calibration {} finished: {} item versions estimated from {} answers, {} precise enough to use, {} pretest item(s) now scored.",
                s.run.id, s.run.n_items, s.run.n_responses, s.run.n_active, s.run.n_graduated
            ),
        ),
        Err(AppError::Conflict(m)) => ctx.flash("error", &m),
        Err(e) => {
            tracing::error!(error = ?e, "calibration failed");
            ctx.flash(
                "error",
                "The calibration could not be completed. Nothing was changed; please try again later.",
            )
        }
    }
}
