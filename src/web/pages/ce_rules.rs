//! The renewal rules in public: every jurisdiction with its totals, cycle, minimums, confidence
//! and sources; one rule with the quoted text behind each requirement; problem reports on a rule
//! and their review queue for administrators.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult};
use crate::services::ce_rules;
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

#[get("/ce/rules")]
pub async fn index(ctx: Ctx, query: web::Query<SearchQuery>) -> AppResult<HttpResponse> {
    let q: String = query.into_inner().q.chars().take(100).collect();
    let rules = ce_rules::catalog(&q)?;
    ctx.render(
        "ce_rules",
        "CE renewal rules by state",
        json!({
            "rules": rules, "q": q, "count": rules.len(),
        }),
    )
}

#[get("/ce/rules/{id}")]
pub async fn show(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let rule = ce_rules::rule(&path.into_inner())?;
    let title = rule.summary.name.clone();
    ctx.render("ce_rule", &title, json!({ "rule": rule }))
}

#[get("/ce/rules/{id}/report")]
pub async fn report_page(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    ctx.user()?;
    let rule = ce_rules::rule(&path.into_inner())?;
    ctx.render(
        "ce_rule_report",
        "Report a problem with a rule",
        json!({
            "rule": rule.summary, "form": {}, "errors": {},
        }),
    )
}

#[derive(Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    source_url: String,
}

#[post("/ce/rules/{id}/report")]
pub async fn report(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<ReportForm>,
) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let id = path.into_inner();
    let f = form.into_inner();
    match ce_rules::report(
        &ctx.state,
        &user,
        id.clone(),
        f.reason.clone(),
        f.source_url.clone(),
    )
    .await
    {
        Ok(_) => {
            ctx.flash("success", "Thank you. An administrator will check the rule against the board's text; the outcome appears under your reports.");
            Ok(see_other("/reports"))
        }
        Err(AppError::Fields(errors)) => {
            let rule = ce_rules::rule(&id)?;
            ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, "ce_rule_report", "Report a problem with a rule", json!({
                "rule": rule.summary, "form": {"reason": f.reason, "source_url": f.source_url}, "errors": errors,
            }))
        }
        Err(AppError::Invalid { field, message }) => {
            let rule = ce_rules::rule(&id)?;
            ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, "ce_rule_report", "Report a problem with a rule", json!({
                "rule": rule.summary, "form": {"reason": f.reason, "source_url": f.source_url}, "errors": {field: message},
            }))
        }
        Err(e) => Err(e),
    }
}

#[get("/admin/rule-reports")]
pub async fn queue(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Admin)?;
    let reports = ce_rules::open_reports(&ctx.state).await?;
    ctx.render(
        "ce_rule_reports",
        "Problems reported with CE rules",
        json!({ "reports": reports }),
    )
}

#[derive(Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    resolution: String,
}

#[post("/admin/rule-reports/{id}/resolve")]
pub async fn resolve(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<ResolveForm>,
) -> AppResult<HttpResponse> {
    let admin = ctx.require(Role::Admin)?.clone();
    let f = form.into_inner();
    let accepted = match f.outcome.as_str() {
        "accepted" => true,
        "dismissed" => false,
        _ => {
            ctx.flash(
                "error",
                "Choose whether the report is accepted or dismissed.",
            );
            return Ok(see_other("/admin/rule-reports"));
        }
    };
    match ce_rules::resolve(
        &ctx.state,
        &admin,
        path.into_inner(),
        accepted,
        f.resolution,
    )
    .await
    {
        Ok(()) => ctx.flash(
            "success",
            "Report resolved; the reporter can see your answer.",
        ),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict(message)) => {
            ctx.flash("error", &message)
        }
        Err(e) => return Err(e),
    }
    Ok(see_other("/admin/rule-reports"))
}
