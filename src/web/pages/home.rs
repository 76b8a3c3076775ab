//! The public home page, the signed-in dashboard, and the health probes.

use crate::domain::accounts::Role;
use crate::error::AppResult;
use crate::services::AppState;
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::{HttpResponse, get, web};
use serde_json::json;

#[get("/")]
pub async fn home(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.render(
        "home",
        "Exam prep and CE tracking for massage therapists",
        json!({
            "signed_in": ctx.user.is_some(),
        }),
    )
}

#[get("/dashboard")]
pub async fn dashboard(ctx: Ctx) -> AppResult<HttpResponse> {
    let u = ctx.user()?;
    let roles: Vec<_> = u
        .roles
        .iter()
        .map(|r| json!({"code": r.as_str(), "label": r.label()}))
        .collect();
    let study = if u.has(Role::Student) {
        Some(crate::services::study::summary(&ctx.state, u.id).await?)
    } else {
        None
    };
    let assignments = if u.has(Role::Student) {
        crate::services::classes::my_assignments(&ctx.state, u).await?
    } else {
        vec![]
    };
    ctx.render(
        "dashboard",
        "Dashboard",
        json!({
            "assignments": assignments,
            "study": study,
            "name": u.name,
            "roles": roles,
            "no_roles": u.roles.is_empty(),
            "is_student": u.has(Role::Student),
            "is_practitioner": u.has(Role::Practitioner),
            "is_instructor": u.has(Role::Instructor),
            "is_admin": u.has(Role::Admin),
        }),
    )
}

/// Old bookmarks and muscle memory: `/register` → `/signup`.
#[get("/register")]
pub async fn register_alias() -> HttpResponse {
    see_other("/signup")
}

/// Liveness: the process answers.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Readiness: the database answers and accepts a write; details give the free disk space and the
/// size of SQLite's write-ahead log.
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let r = crate::services::maintenance::readiness(&state).await;
    let details =
        json!({"disk_free_bytes": r.disk_free_bytes, "sqlite_wal_bytes": r.sqlite_wal_bytes});
    match (r.read, r.write) {
        (Ok(()), Ok(())) => HttpResponse::Ok()
            .json(json!({"status": "ready", "database": "ok", "details": details})),
        (Err(e), _) => {
            tracing::warn!(error = ?e, "readiness check failed: database unreachable");
            HttpResponse::ServiceUnavailable().json(
                json!({"status": "unavailable", "database": "unreachable", "details": details}),
            )
        }
        (Ok(()), Err(e)) => {
            tracing::warn!(error = ?e, "readiness check failed: database not writable");
            HttpResponse::ServiceUnavailable().json(
                json!({"status": "unavailable", "database": "not writable", "details": details}),
            )
        }
    }
}
