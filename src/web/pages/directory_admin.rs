//! Administrators and the directory: verify or reject credentials against the issuers' public
//! lookups, revoke verifications, and handle reports about profiles.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::directory::{self as directory, DecisionInput};
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, private_download, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

async fn queue_page(
    ctx: &Ctx,
    failed: Option<(i64, &DecisionInput, &FieldErrors)>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    let q = directory::admin_queue(&ctx.state, &me).await?;
    // The request whose decision was refused keeps what was typed, with the errors beside it.
    let pending: Vec<_> = q
        .pending
        .iter()
        .map(|p| {
            let (form, errors) = match failed {
                Some((id, f, e)) if id == p.id => (json!(f), json!(e)),
                _ => (json!(DecisionInput::default()), json!({})),
            };
            json!({"p": p, "form": form, "errors": errors})
        })
        .collect();
    ctx.render_status(
        status,
        "admin_directory",
        "Directory review",
        json!({
            "pending": pending,
            "has_pending": !q.pending.is_empty(),
            "verified": q.verified,
            "reports": q.reports,
            "hidden": q.hidden,
        }),
    )
}

#[get("/admin/directory")]
pub async fn queue(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Admin)?;
    queue_page(&ctx, None, StatusCode::OK).await
}

#[get("/admin/directory/verifications/{id}/document")]
pub async fn document(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    let (name, mime, bytes) = directory::document(&ctx.state, &me, path.into_inner()).await?;
    Ok(private_download(name, mime, bytes))
}

#[post("/admin/directory/verifications/{id}")]
pub async fn decide(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<DecisionInput>,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    let id = path.into_inner();
    let input = form.into_inner();
    match field_errors(directory::decide(&ctx.state, &me, id, input.clone()).await)? {
        Ok(()) => {
            ctx.flash(
                "success",
                if input.decision == "verify" {
                    "Credential verified. It now shows on the therapist's profile."
                } else {
                    "Request rejected. The therapist sees your reason."
                },
            );
            Ok(see_other("/admin/directory"))
        }
        Err(e) => {
            queue_page(
                &ctx,
                Some((id, &input, &e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    reason: String,
}

#[post("/admin/directory/verifications/{id}/revoke")]
pub async fn revoke(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<RevokeForm>,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    match field_errors(
        directory::revoke(&ctx.state, &me, path.into_inner(), form.into_inner().reason).await,
    )? {
        Ok(()) => ctx.flash(
            "success",
            "Verification withdrawn. The credential no longer shows on the profile.",
        ),
        Err(e) => ctx.flash(
            "error",
            e.0.values()
                .next()
                .map(String::as_str)
                .unwrap_or("Say why the verification is withdrawn."),
        ),
    }
    Ok(see_other("/admin/directory"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReportAction {
    action: String,
}

/// Asks before hiding a reported profile.
#[get("/admin/directory/reports/{id}/hide")]
pub async fn confirm_hide(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    let id = path.into_inner();
    let open = directory::admin_queue(&ctx.state, &me).await?;
    let report = open
        .reports
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AppError::NotFound("This report is no longer open.".into()))?;
    ctx.render(
        "admin_directory_confirm",
        "Hide a profile",
        json!({
            "heading": format!("Hide the profile of {}?", report.profile),
            "message": "It disappears from the directory at once, and the therapist cannot publish it again until you restore it.",
            "action": format!("/admin/directory/reports/{id}"),
            "value": "hide",
            "button": "Yes, hide the profile",
        }),
    )
}

#[post("/admin/directory/reports/{id}")]
pub async fn resolve(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<ReportAction>,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    let action = form.into_inner().action;
    let hide = action == "hide";
    directory::resolve_report(&ctx.state, &me, path.into_inner(), action).await?;
    ctx.flash(
        "success",
        if hide {
            "The profile is hidden."
        } else {
            "Report dismissed; the profile stays as it is."
        },
    );
    Ok(see_other("/admin/directory"))
}

#[post("/admin/directory/hidden/{id}/restore")]
pub async fn restore(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.clone();
    directory::restore(&ctx.state, &me, path.into_inner()).await?;
    ctx.flash(
        "success",
        "Restored. A profile its therapist had published is listed again now; an unpublished one stays unlisted until they publish it.",
    );
    Ok(see_other("/admin/directory"))
}
