//! Instructors define exam programs (areas, length, time) for their students.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult};
use crate::services::bank::taxonomy;
use crate::services::exams;
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde_json::{Value, json};

fn page(
    ctx: &Ctx,
    programs: Vec<exams::CustomProgram>,
    form: Value,
    errors: Value,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let chosen: Vec<String> = form["areas"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let areas: Vec<Value> = taxonomy()
        .areas
        .iter()
        .map(|a| {
            json!({
                "code": a.code, "name": a.name, "checked": chosen.contains(&a.code),
                "subareas": a.subareas.iter().map(|s| json!({"code": s.code, "name": s.name, "checked": chosen.contains(&s.code)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    ctx.render_status(
        status,
        "programs",
        "Exam programs",
        json!({ "programs": programs, "form": form, "errors": errors, "areas": areas }),
    )
}

#[get("/programs")]
pub async fn index(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    let programs = exams::my_programs(&ctx.state, &me).await?;
    page(
        &ctx,
        programs,
        json!({"length": 25, "minutes": 30, "areas": []}),
        json!({}),
        StatusCode::OK,
    )
}

#[post("/programs")]
pub async fn create(ctx: Ctx, body: web::Bytes) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (mut name, mut areas, mut length, mut minutes) =
        (String::new(), vec![], String::new(), String::new());
    for (k, v) in pairs {
        match k.as_str() {
            "name" => name = v,
            "areas" => areas.push(v),
            "length" => length = v,
            "minutes" => minutes = v,
            _ => {}
        }
    }
    let result = exams::create_program(
        &ctx.state,
        &me,
        name.clone(),
        areas.clone(),
        length.trim().parse().ok(),
        minutes.trim().parse().ok(),
    )
    .await;
    match result {
        Ok(_) => {
            ctx.flash(
                "success",
                "Program created. Your students see it on their practice page.",
            );
            Ok(see_other("/programs"))
        }
        Err(AppError::Fields(errors)) => {
            let programs = exams::my_programs(&ctx.state, &me).await?;
            page(
                &ctx,
                programs,
                json!({"name": name, "areas": areas, "length": length, "minutes": minutes}),
                json!(errors),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => Err(e),
    }
}

#[get("/programs/{id}/archive")]
pub async fn confirm_archive(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let program = exams::my_programs(&ctx.state, &me)
        .await?
        .into_iter()
        .find(|p| p.id == id && p.active)
        .ok_or_else(|| AppError::NotFound("No such program.".into()))?;
    ctx.render("ce_confirm", "Archive program", json!({
        "heading": format!("Archive “{}”?", program.name),
        "message": "Students can no longer start it; their past attempts and results are kept. An archived program cannot be reopened.",
        "action": format!("/programs/{id}/archive"),
        "button": "Yes, archive it",
        "cancel": "/programs",
    }))
}

#[post("/programs/{id}/archive")]
pub async fn archive(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    exams::archive_program(&ctx.state, &me, path.into_inner()).await?;
    ctx.flash(
        "success",
        "Program archived: students can no longer start it. Past attempts are kept.",
    );
    Ok(see_other("/programs"))
}
