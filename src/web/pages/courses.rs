//! CE courses: instructors publish them; certified therapists read, pass the exam, get a
//! certificate; anyone can verify a certificate by its code.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult};
use crate::services::bank::taxonomy;
use crate::services::courses::{self, CourseInput};
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

fn form_model(input: &CourseInput, errors: Value, mine: Vec<courses::CourseView>) -> Value {
    let topics: Vec<Value> = crate::services::ce::topics()
        .into_iter()
        .map(|(c, l)| json!({"value": c, "label": l, "selected": c == input.topic}))
        .collect();
    let schemes: Vec<Value> = crate::services::ce::schemes()
        .into_iter()
        .map(|(c, l)| json!({"value": c, "label": l, "selected": c == input.approval_scheme}))
        .collect();
    let areas: Vec<Value> = taxonomy()
        .areas
        .iter()
        .map(|a| {
            json!({"code": a.code, "name": a.name, "checked": input.areas.contains(&a.code),
                   "subareas": a.subareas.iter().map(|s| json!({"code": s.code, "name": s.name, "checked": input.areas.contains(&s.code)})).collect::<Vec<_>>()})
        })
        .collect();
    json!({ "form": input, "errors": errors, "topics": topics, "schemes": schemes, "areas": areas, "mine": mine })
}

#[get("/courses")]
pub async fn index(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    let mine = courses::mine(&ctx.state, me.id).await?;
    let input = CourseInput {
        hours: "1".into(),
        questions: "10".into(),
        pass_percent: "70".into(),
        topic: "ethics".into(),
        ..Default::default()
    };
    ctx.render("courses", "CE courses", form_model(&input, json!({}), mine))
}

#[post("/courses")]
pub async fn create(ctx: Ctx, body: web::Bytes) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut input = CourseInput::default();
    for (k, v) in pairs {
        match k.as_str() {
            "title" => input.title = v,
            "reading" => input.reading = v,
            "hours" => input.hours = v,
            "topic" => input.topic = v,
            "approval_scheme" => input.approval_scheme = v,
            "approval_number" => input.approval_number = v,
            "areas" => input.areas.push(v),
            "questions" => input.questions = v,
            "pass_percent" => input.pass_percent = v,
            _ => {}
        }
    }
    match courses::create(&ctx.state, &me, input.clone()).await {
        Ok(_) => {
            ctx.flash(
                "success",
                "Course published. Certified therapists find it under CE credits → Courses.",
            );
            Ok(see_other("/courses"))
        }
        Err(AppError::Fields(e)) => {
            let mine = courses::mine(&ctx.state, me.id).await?;
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "courses",
                "CE courses",
                form_model(&input, json!(e), mine),
            )
        }
        Err(e) => Err(e),
    }
}

#[get("/ce/courses")]
pub async fn list(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Practitioner)?;
    let all = courses::published(&ctx.state).await?;
    ctx.render("ce_courses", "CE courses", json!({ "courses": all }))
}

#[get("/ce/courses/{id}")]
pub async fn show(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    ctx.require(Role::Practitioner)?;
    let c = courses::get(&ctx.state, path.into_inner()).await?;
    ctx.render("ce_course", &c.title.clone(), json!({ "course": c }))
}

#[get("/ce/certificates/{code}.pdf")]
pub async fn certificate_pdf(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let me = ctx.user()?.clone();
    let cert = courses::certificate(&ctx.state, path.into_inner()).await?;
    let Some(cert) = cert.filter(|c| c.user_id == me.id) else {
        return Err(AppError::NotFound("No such certificate.".into()));
    };
    let pdf = courses::certificate_pdf(&ctx.state, &cert);
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!(
                "certificate-{}.pdf",
                cert.code
            ))],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(pdf))
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    code: Option<String>,
}

/// Public: anyone (a board auditor) can check a certificate by its code.
#[get("/certificates/verify")]
pub async fn verify_form(ctx: Ctx, q: web::Query<VerifyQuery>) -> AppResult<HttpResponse> {
    match q.into_inner().code.filter(|c| !c.trim().is_empty()) {
        Some(code) => Ok(see_other(&format!(
            "/certificates/{}",
            crate::web::middleware::urlencode(code.trim())
        ))),
        None => ctx.render(
            "verify_certificate",
            "Verify a certificate",
            json!({ "asked": false, "code": "" }),
        ),
    }
}

#[get("/certificates/{code}")]
pub async fn verify(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let asked = path.into_inner();
    let cert = courses::certificate(&ctx.state, asked.clone()).await?;
    // Echo what was asked, canonical when it can be a code, cut when it cannot.
    let code = courses::normalize_code(&asked).unwrap_or_else(|| asked.chars().take(20).collect());
    let status = if cert.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let shown = cert.map(|c| json!({"holder": c.holder, "course": c.course, "hours": c.hours, "topic": c.topic, "issued_on": c.issued_on, "approvals": c.approvals, "code": c.code}));
    ctx.render_status(
        status,
        "verify_certificate",
        "Verify a certificate",
        json!({ "asked": true, "code": code, "cert": shown }),
    )
}
