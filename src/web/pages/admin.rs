//! Administration: find people, grant and revoke roles, deactivate and reactivate accounts.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult};
use crate::services::accounts;
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::json;

const PAGE_SIZE: i64 = 25;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    page: Option<i64>,
}

#[get("/admin/users")]
pub async fn users(ctx: Ctx, query: web::Query<SearchQuery>) -> AppResult<HttpResponse> {
    ctx.require(Role::Admin)?;
    let q = query.q.clone().unwrap_or_default();
    let page = query.page.unwrap_or(1).max(1);
    let result =
        accounts::search_users(&ctx.state, q.clone(), PAGE_SIZE, (page - 1) * PAGE_SIZE).await?;
    let pages = ((result.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let qs = crate::web::middleware::urlencode(&q);
    ctx.render(
        "admin_users",
        "Users",
        json!({
            "q": q,
            "users": result.users.iter().map(|u| {
                let mut v = json!(u);
                v["role_labels"] = json!(u.roles.iter().map(|r| r.label()).collect::<Vec<_>>());
                v
            }).collect::<Vec<_>>(),
            "total": result.total,
            "page": page,
            "pages": pages,
            "prev": (page > 1).then(|| format!("/admin/users?q={qs}&page={}", page - 1)),
            "next": (page < pages).then(|| format!("/admin/users?q={qs}&page={}", page + 1)),
        }),
    )
}

async fn load_user(ctx: &Ctx, id: i64) -> AppResult<accounts::UserSummary> {
    accounts::user_summary(&ctx.state, id).await
}

#[get("/admin/users/{id}")]
pub async fn user(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.id;
    let u = load_user(&ctx, path.into_inner()).await?;
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|r| json!({"code": r.as_str(), "label": r.label(), "held": u.roles.contains(r)}))
        .collect();
    ctx.render(
        "admin_user",
        &format!("User: {}", u.name),
        json!({ "user": u, "roles": roles, "is_me": u.id == me }),
    )
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
    action: String,
}

#[post("/admin/users/{id}/roles")]
pub async fn set_role(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    ctx.require(Role::Admin)?;
    let id = path.into_inner();
    let f = form.into_inner();
    let role = Role::parse(&f.role)
        .ok_or_else(|| AppError::BadRequest(format!("Unknown role {:?}.", f.role)))?;
    let grant = match f.action.as_str() {
        "grant" => true,
        "revoke" => false,
        _ => return Err(AppError::BadRequest("Choose grant or revoke.".into())),
    };
    match accounts::set_role(&ctx.state, id, role, grant).await {
        Ok(changed) => {
            let verb = if grant { "granted" } else { "revoked" };
            let msg = if changed {
                format!("Role {} {verb}.", role.label())
            } else {
                "Nothing changed.".to_string()
            };
            ctx.flash("success", &msg);
        }
        Err(AppError::Conflict(m)) => ctx.flash("error", &m),
        Err(e) => return Err(e),
    }
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[get("/admin/users/{id}/deactivate")]
pub async fn confirm_deactivate(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    ctx.require(Role::Admin)?;
    let u = load_user(&ctx, path.into_inner()).await?;
    ctx.render(
        "admin_deactivate",
        "Deactivate account",
        json!({ "user": u }),
    )
}

#[post("/admin/users/{id}/deactivate")]
pub async fn deactivate(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.id;
    let id = path.into_inner();
    match accounts::set_active(&ctx.state, me, id, false).await {
        Ok(()) => ctx.flash(
            "success",
            "The account is deactivated and all its sessions have ended.",
        ),
        Err(AppError::Conflict(m)) => ctx.flash("error", &m),
        Err(e) => return Err(e),
    }
    Ok(see_other(&format!("/admin/users/{id}")))
}

#[post("/admin/users/{id}/reactivate")]
pub async fn reactivate(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Admin)?.id;
    let id = path.into_inner();
    accounts::set_active(&ctx.state, me, id, true).await?;
    ctx.flash("success", "The account is active again.");
    Ok(see_other(&format!("/admin/users/{id}")))
}
