//! Classes: instructors create and teach them (invite code, co-teachers, assignments, gradebook,
//! item analysis); students join with a code, see their assignments and their own row, and leave.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::classes::{self, AssignmentInput, AssignmentKind, ClassInput};
use crate::services::exams;
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

async fn list_page(
    ctx: &Ctx,
    class_form: &ClassInput,
    code: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let u = ctx.user()?.clone();
    let my = classes::my_classes(&ctx.state, &u).await?;
    ctx.render_status(
        status,
        "classes",
        "Classes",
        json!({
            "is_instructor": u.has(Role::Instructor),
            "is_student": u.has(Role::Student),
            "teaching": my.teaching,
            "member_of": my.member_of,
            "form": class_form,
            "code": code,
            "errors": errors,
        }),
    )
}

#[get("/classes")]
pub async fn list(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.user()?;
    let form = ClassInput {
        exam_target: "mblex".into(),
        ..Default::default()
    };
    list_page(&ctx, &form, "", &FieldErrors::default(), StatusCode::OK).await
}

#[post("/classes")]
pub async fn create(ctx: Ctx, form: web::Form<ClassInput>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let input = form.into_inner();
    match field_errors(classes::create_class(&ctx.state, &user, input.clone()).await)? {
        Ok(id) => {
            ctx.flash(
                "success",
                "Class created. Share its invite link or code with your students.",
            );
            Ok(see_other(&format!("/classes/{id}")))
        }
        Err(e) => list_page(&ctx, &input, "", &e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    code: String,
}

/// The invite link: shows the class and a button to join it.
#[get("/classes/join/{code}")]
pub async fn join_page(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    ctx.require(Role::Student)?;
    let code = path.into_inner();
    let class = classes::class_by_code(&ctx.state, code.clone()).await?;
    ctx.render(
        "class_join",
        "Join a class",
        json!({"class": class, "code": code}),
    )
}

#[post("/classes/join")]
pub async fn join(ctx: Ctx, form: web::Form<JoinForm>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Student)?.clone();
    let code = form.into_inner().code;
    match field_errors(classes::join(&ctx.state, &user, code.clone()).await)? {
        Ok(id) => {
            ctx.flash(
                "success",
                "You joined the class. Your instructors now see what you do in Palpate from today.",
            );
            Ok(see_other(&format!("/classes/{id}/me")))
        }
        Err(e) => {
            list_page(
                &ctx,
                &ClassInput::default(),
                &code,
                &e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

fn kind_options(selected: &str) -> Vec<Value> {
    AssignmentKind::ALL
        .iter()
        .map(|k| json!({"value": k.as_str(), "label": k.label(), "selected": k.as_str() == selected}))
        .collect()
}

async fn class_page(
    ctx: &Ctx,
    id: i64,
    input: &AssignmentInput,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    class_page_with(ctx, id, input, errors, "", status).await
}

/// The assignment form's starting values: a 20-question drill open today, due in a week.
fn class_page_model_input(today: time::Date) -> AssignmentInput {
    AssignmentInput {
        kind: "drill".into(),
        length: "20".into(),
        opens_on: today.to_string(),
        due_on: (today + time::Duration::days(7)).to_string(),
        ..Default::default()
    }
}

async fn class_page_with(
    ctx: &Ctx,
    id: i64,
    input: &AssignmentInput,
    errors: &FieldErrors,
    teacher_email: &str,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let view = classes::class_view(&ctx.state, &user, id).await?;
    let programs = exams::active_programs(&ctx.state).await?;
    let taxo = crate::services::bank::taxonomy();
    let areas: Vec<Value> = taxo
        .areas
        .iter()
        .flat_map(|a| {
            std::iter::once(json!({"value": a.code, "label": format!("{}. {}", a.code, a.name), "selected": a.code == input.area}))
                .chain(a.subareas.iter().map(|s| json!({"value": s.code, "label": format!("  {} {}", s.code, s.name), "selected": s.code == input.area})))
        })
        .collect();
    let base = ctx
        .state
        .settings
        .base_url
        .trim_end_matches('/')
        .to_string();
    ctx.render_status(
        status,
        "class",
        &view.class.name.clone(),
        json!({
            "view": view,
            "invite_link": format!("{base}/classes/join/{}", view.invite_code),
            "kinds": kind_options(&input.kind),
            "areas": areas,
            "programs": programs.iter().map(|p| json!({"id": p.id, "name": p.name, "selected": p.id.to_string() == input.program})).collect::<Vec<_>>(),
            "form": input,
            "errors": errors,
            "teacher_email": teacher_email,
        }),
    )
}

#[get("/classes/{id}")]
pub async fn show(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let id = path.into_inner();
    let input = class_page_model_input(classes::class_today(&ctx.state, id).await?);
    class_page(&ctx, id, &input, &FieldErrors::default(), StatusCode::OK).await
}

#[post("/classes/{id}/assignments")]
pub async fn add_assignment(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<AssignmentInput>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let input = form.into_inner();
    match field_errors(classes::create_assignment(&ctx.state, &user, id, input.clone()).await)? {
        Ok(_) => {
            ctx.flash(
                "success",
                "Assignment added. Students see it on their dashboard.",
            );
            Ok(see_other(&format!("/classes/{id}")))
        }
        Err(e) => class_page(&ctx, id, &input, &e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

#[derive(Deserialize)]
pub struct TeacherForm {
    #[serde(default)]
    email: String,
}

#[post("/classes/{id}/teachers")]
pub async fn add_teacher(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<TeacherForm>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let email = form.into_inner().email;
    match field_errors(classes::add_teacher(&ctx.state, &user, id, email.clone()).await)? {
        Ok(()) => {
            ctx.flash("success", "Co-teacher added.");
            Ok(see_other(&format!("/classes/{id}")))
        }
        Err(e) => {
            let input = class_page_model_input(classes::class_today(&ctx.state, id).await?);
            class_page_with(
                &ctx,
                id,
                &input,
                &e,
                &email,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct SortQuery {
    sort: Option<String>,
}

#[get("/classes/{id}/gradebook")]
pub async fn gradebook(
    ctx: Ctx,
    path: web::Path<i64>,
    q: web::Query<SortQuery>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let sort = q.into_inner().sort.unwrap_or_else(|| "name".into());
    let g = classes::gradebook(&ctx.state, &user, path.into_inner(), sort).await?;
    let mut sorts: Vec<(String, String)> = vec![
        ("name".into(), "Name".into()),
        ("activity".into(), "Last activity (recent first)".into()),
        ("readiness".into(), "Readiness (lowest first)".into()),
        ("time".into(), "Time spent (most first)".into()),
    ];
    sorts.extend(g.areas.iter().map(|a| {
        (
            format!("area-{}", a.code),
            format!("{}. {} (weakest first)", a.code, a.name),
        )
    }));
    let sorts: Vec<Value> = sorts
        .into_iter()
        .map(|(v, l)| json!({"selected": v == g.sort, "value": v, "label": l}))
        .collect();
    ctx.render(
        "class_gradebook",
        "Gradebook",
        json!({"students": g.rows.len(), "g": g, "teacher": true, "sorts": sorts}),
    )
}

#[get("/classes/{id}/gradebook.csv")]
pub async fn gradebook_csv(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let g = classes::gradebook(&ctx.state, &user, path.into_inner(), "name".into()).await?;
    let csv = classes::gradebook_csv(&g)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"gradebook.csv\"",
        ))
        .body(csv))
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: Option<String>,
}

/// The questions of the class's assignments in another platform's format (GIFT by default).
#[get("/classes/{id}/export")]
pub async fn export(
    ctx: Ctx,
    path: web::Path<i64>,
    q: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    use crate::domain::bank::interchange::Format;
    let format = match q.into_inner().format {
        None => Format::Gift,
        Some(f) => {
            Format::parse(&f).ok_or_else(|| AppError::BadRequest("Unknown format.".into()))?
        }
    };
    let bytes =
        crate::services::interchange::export_class(&ctx.state, &user, path.into_inner(), format)
            .await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", format.file_name()),
        ))
        .body(bytes))
}

#[get("/classes/{id}/me")]
pub async fn mine(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Student)?.clone();
    let g = classes::my_row(&ctx.state, &user, path.into_inner()).await?;
    ctx.render(
        "class_gradebook",
        "My class",
        json!({"students": 1, "g": g, "teacher": false, "sorts": []}),
    )
}

#[get("/classes/{id}/leave")]
pub async fn confirm_leave(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Student)?.clone();
    let g = classes::my_row(&ctx.state, &user, path.into_inner()).await?;
    ctx.render("class_leave", "Leave the class", json!({"class": g.class}))
}

#[post("/classes/{id}/leave")]
pub async fn leave(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Student)?.clone();
    classes::leave(&ctx.state, &user, path.into_inner()).await?;
    ctx.flash(
        "success",
        "You left the class. Its instructors no longer see your work.",
    );
    Ok(see_other("/classes"))
}

#[get("/classes/assignments/{id}")]
pub async fn analysis(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let a = classes::item_analysis(&ctx.state, &user, path.into_inner()).await?;
    ctx.render("class_analysis", "Item analysis", json!({"a": a}))
}

#[post("/classes/assignments/{id}/start")]
pub async fn start(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Student)?.clone();
    match classes::start_assignment(&ctx.state, &user, path.into_inner()).await {
        Ok(view) => Ok(see_other(&format!("/exams/{}", view.exam_id))),
        Err(AppError::Conflict(m)) => {
            ctx.flash("error", &m);
            Ok(see_other("/dashboard"))
        }
        Err(e) => Err(e),
    }
}
