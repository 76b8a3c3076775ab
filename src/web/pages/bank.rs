//! Instructors: the bank browser, the item editor with preview, review, history and problem
//! reports. Students: reporting a problem with a question and seeing the outcome.

use crate::domain::accounts::Role;
use crate::domain::bank::ItemFilter as Filter;
use crate::domain::bank::format::DraftInput;
use crate::domain::bank::workflow::{self, Action};
use crate::domain::bank::{Difficulty, ItemContent, KEYS, Level, Pillar, Status};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::{authoring, bank as bankops};
use crate::web::ctx::Ctx;
use crate::web::forms::see_other;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};

const PAGE_SIZE: i64 = 30;

/// Form pairs → editor input (pillars may repeat, which serde_urlencoded cannot put in a Vec).
fn draft_from(body: &[u8]) -> (DraftInput, String) {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut d = DraftInput::default();
    let mut action = String::new();
    for (k, v) in pairs {
        match k.as_str() {
            "subarea" => d.subarea = v,
            "level" => d.level = v,
            "difficulty" => d.difficulty = v,
            "topics" => d.topics = v,
            "pillars" => d.pillars.push(v),
            "stem" => d.stem = v,
            "option_a" => d.option_a = v,
            "option_b" => d.option_b = v,
            "option_c" => d.option_c = v,
            "option_d" => d.option_d = v,
            "key" => d.key = v,
            "rationale_a" => d.rationale_a = v,
            "rationale_b" => d.rationale_b = v,
            "rationale_c" => d.rationale_c = v,
            "rationale_d" => d.rationale_d = v,
            "reference" => d.reference = v,
            "enemies" => d.enemies = v,
            "action" => action = v,
            _ => {}
        }
    }
    (d, action)
}

/// The student's view of an item: stem and options only (never the key or rationales).
pub fn student_view(c: &ItemContent) -> Value {
    json!({
        "stem": c.stem,
        "options": c.options.iter().enumerate().map(|(i, o)| json!({"letter": KEYS[i].to_string(), "text": o})).collect::<Vec<_>>(),
    })
}

/// The reviewer's view: also the key and every rationale.
fn full_view(c: &ItemContent) -> Value {
    let subarea_name = bankops::taxonomy()
        .subarea(&c.subarea)
        .map(|(a, s)| format!("{} · {} {}", a.name, s.code, s.name))
        .unwrap_or_default();
    json!({
        "student": student_view(c),
        "key": c.key_letter().to_string(),
        "options": c.options.iter().enumerate().map(|(i, o)| json!({
            "letter": KEYS[i].to_string(), "text": o, "rationale": c.rationales[i], "is_key": i == c.key,
        })).collect::<Vec<_>>(),
        "subarea": c.subarea,
        "subarea_name": subarea_name,
        "level": c.level.as_str(),
        "difficulty": c.difficulty.as_str(),
        "pillars": c.pillars.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        "topics": c.topics,
        "reference": c.reference,
        "author": c.author,
        "enemies": c.enemies,
    })
}

/// Choices for the editor's selects, with the current value marked.
fn editor_model(
    d: &DraftInput,
    errors: &FieldErrors,
    preview: Option<&ItemContent>,
    action: &str,
    title: &str,
) -> Value {
    let subareas: Vec<Value> = bankops::taxonomy()
        .areas
        .iter()
        .map(|a| {
            json!({
                "name": format!("{}. {}", a.code, a.name),
                "subareas": a.subareas.iter().map(|s| json!({"code": s.code, "name": format!("{} {}", s.code, s.name), "selected": s.code == d.subarea})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let option_rows: Vec<Value> = [
        ("a", "A", &d.option_a, &d.rationale_a),
        ("b", "B", &d.option_b, &d.rationale_b),
        ("c", "C", &d.option_c, &d.rationale_c),
        ("d", "D", &d.option_d, &d.rationale_d),
    ]
    .iter()
    .map(|(f, l, o, r)| {
        json!({
            "field": f, "letter": l, "text": o, "rationale": r, "is_key": d.key == *l,
            "error": errors.0.get(&format!("option_{f}")), "rationale_error": errors.0.get(&format!("rationale_{f}")),
        })
    })
    .collect();
    let choice = |all: Vec<&str>, cur: &str| {
        all.into_iter()
            .map(|v| json!({"value": v, "selected": v == cur}))
            .collect::<Vec<_>>()
    };
    json!({
        "form": d,
        "errors": errors,
        "has_errors": !errors.is_empty(),
        "areas": subareas,
        "levels": choice(Level::ALL.iter().map(|l| l.as_str()).collect(), &d.level),
        "difficulties": choice(Difficulty::ALL.iter().map(|l| l.as_str()).collect(), &d.difficulty),
        "pillars": Pillar::ALL.iter().map(|p| json!({"value": p.as_str(), "checked": d.pillars.iter().any(|x| x == p.as_str())})).collect::<Vec<_>>(),
        "keys": KEYS.iter().map(|k| json!({"value": k.to_string(), "checked": d.key == k.to_string()})).collect::<Vec<_>>(),
        "options": option_rows,
        "preview": preview.map(full_view),
        "action": action,
        "title": title,
    })
}

#[derive(Deserialize)]
pub struct BrowseQuery {
    q: Option<String>,
    area: Option<String>,
    subarea: Option<String>,
    status: Option<String>,
    author: Option<String>,
    level: Option<String>,
    pillar: Option<String>,
    reports: Option<String>,
    page: Option<i64>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[get("/bank")]
pub async fn browse(ctx: Ctx, q: web::Query<BrowseQuery>) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let q = q.into_inner();
    let filter = Filter {
        text: nonempty(&q.q),
        area: nonempty(&q.area),
        subarea: nonempty(&q.subarea),
        status: nonempty(&q.status),
        author: nonempty(&q.author),
        level: nonempty(&q.level),
        pillar: nonempty(&q.pillar),
        with_open_reports: q.reports.as_deref() == Some("open"),
    };
    let page = q.page.unwrap_or(1).max(1);
    let result = authoring::search(
        &ctx.state,
        filter.clone(),
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let coverage = authoring::coverage(&ctx.state).await?;
    let authors = authoring::authors(&ctx.state).await?;
    let pages = ((result.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let params = serde_urlencoded::to_string([
        ("q", filter.text.clone().unwrap_or_default()),
        ("area", filter.area.clone().unwrap_or_default()),
        ("subarea", filter.subarea.clone().unwrap_or_default()),
        ("status", filter.status.clone().unwrap_or_default()),
        ("author", filter.author.clone().unwrap_or_default()),
        ("level", filter.level.clone().unwrap_or_default()),
        ("pillar", filter.pillar.clone().unwrap_or_default()),
        (
            "reports",
            if filter.with_open_reports {
                "open".into()
            } else {
                String::new()
            },
        ),
    ])
    .unwrap_or_default();
    let sel = |all: Vec<(String, String)>, cur: &Option<String>| {
        all.into_iter()
            .map(|(v, l)| json!({"value": v, "label": l, "selected": Some(&v) == cur.as_ref()}))
            .collect::<Vec<_>>()
    };
    let taxo = bankops::taxonomy();
    ctx.render("bank_browse", "Question bank", json!({
        "rows": result.rows,
        "total": result.total,
        "page": page,
        "pages": pages,
        "prev": (page > 1).then(|| format!("/bank?{params}&page={}", page - 1)),
        "next": (page < pages).then(|| format!("/bank?{params}&page={}", page + 1)),
        "coverage": coverage,
        "q": filter.text,
        "areas": sel(taxo.areas.iter().map(|a| (a.code.clone(), format!("{}. {}", a.code, a.name))).collect(), &filter.area),
        "subareas": sel(taxo.areas.iter().flat_map(|a| a.subareas.iter().map(|s| (s.code.clone(), format!("{} {}", s.code, s.name)))).collect(), &filter.subarea),
        "statuses": sel(Status::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect(), &filter.status),
        "authors": sel(authors.into_iter().map(|a| (a.clone(), a)).collect(), &filter.author),
        "levels": sel(Level::ALL.iter().map(|l| (l.as_str().to_string(), l.as_str().to_string())).collect(), &filter.level),
        "pillars": sel(Pillar::ALL.iter().map(|l| (l.as_str().to_string(), l.as_str().to_string())).collect(), &filter.pillar),
        "reports_open": filter.with_open_reports,
    }))
}

#[get("/bank/new")]
pub async fn new_page(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let d = DraftInput {
        level: "application".into(),
        difficulty: "medium".into(),
        ..Default::default()
    };
    ctx.render(
        "bank_edit",
        "New question",
        editor_model(
            &d,
            &FieldErrors::default(),
            None,
            "/bank/new",
            "New question",
        ),
    )
}

#[post("/bank/new")]
pub async fn create(ctx: Ctx, body: web::Bytes) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let (d, action) = draft_from(&body);
    if action == "preview" {
        return preview_response(&ctx, &d, &user.name, "/bank/new", "New question");
    }
    match authoring::create_draft(&ctx.state, &user, d.clone()).await {
        Ok(id) => {
            ctx.flash(
                "success",
                &format!("Saved {id} as a draft. Submit it for review when it is ready."),
            );
            Ok(see_other(&format!("/bank/items/{id}")))
        }
        Err(e) => editor_error(&ctx, e, &d, "/bank/new", "New question"),
    }
}

fn preview_response(
    ctx: &Ctx,
    d: &DraftInput,
    author: &str,
    action: &str,
    title: &str,
) -> AppResult<HttpResponse> {
    match authoring::preview(d, author) {
        Ok(content) => ctx.render(
            "bank_edit",
            title,
            editor_model(d, &FieldErrors::default(), Some(&content), action, title),
        ),
        Err(errors) => ctx.render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bank_edit",
            title,
            editor_model(d, &errors, None, action, title),
        ),
    }
}

fn editor_error(
    ctx: &Ctx,
    e: AppError,
    d: &DraftInput,
    action: &str,
    title: &str,
) -> AppResult<HttpResponse> {
    let errors = match e {
        AppError::Fields(f) => f,
        AppError::Invalid { field, message } => {
            let mut f = FieldErrors::default();
            f.add(&field, message);
            f
        }
        AppError::Conflict(m) => {
            ctx.flash("error", &m);
            FieldErrors::default()
        }
        other => return Err(other),
    };
    ctx.render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        "bank_edit",
        title,
        editor_model(d, &errors, None, action, title),
    )
}

#[derive(Deserialize)]
pub struct VersionQuery {
    version: Option<i32>,
}

#[get("/bank/items/{id}")]
pub async fn item(
    ctx: Ctx,
    path: web::Path<String>,
    q: web::Query<VersionQuery>,
) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    item_page(
        &ctx,
        path.into_inner(),
        q.version,
        StatusCode::OK,
        json!({}),
    )
    .await
}

/// An item's page; `refused` may hold a refused `comment` or review `note` to show again with its
/// error: `{"comment": {text, error}}` or `{"note": {action, text, error}}`.
async fn item_page(
    ctx: &Ctx,
    id: String,
    version: Option<i32>,
    status: StatusCode,
    refused: Value,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Instructor)?.clone();
    let q = VersionQuery { version };
    let d = authoring::detail(&ctx.state, id, q.version).await?;
    let is_author = d.created_by == Some(me.id)
        || (d.created_by.is_none() && d.author_id == Some(me.id))
        || d.writers.contains(&me.id);
    let actions: Vec<Value> = if q.version.is_none_or(|v| v == d.latest_version) {
        workflow::available(d.status, is_author)
            .into_iter()
            .map(|a| json!({"value": a.as_str(), "label": action_label(a), "needs_comment": a == Action::Return, "danger": a == Action::Retire}))
            .collect()
    } else {
        vec![]
    };
    let review_blocked = d.status == Status::InReview && is_author;
    let stats: Vec<Value> = authoring::statistics(&ctx.state, d.id.clone())
        .await?
        .into_iter()
        .filter(|s| s.responses > 0)
        .map(|s| {
            json!({
                "version": s.version, "responses": s.responses,
                "stats": s.stats.as_ref().map(|x| json!({
                    "p": format!("{:.2}", x.p_value),
                    "rpb": x.point_biserial.map(|r| format!("{r:.2}")).unwrap_or_else(|| "n/a".into()),
                    "shares": x.option_shares.iter().enumerate().map(|(i, v)| json!({"letter": KEYS[i].to_string(), "pct": format!("{:.0}", v * 100.0)})).collect::<Vec<_>>(),
                    "flags": x.flags,
                })),
            })
        })
        .collect();
    let calibrations = crate::services::calibration::item_history(&ctx.state, d.id.clone()).await?;
    ctx.render_status(
        status,
        "bank_item",
        &format!("Item {}", d.id),
        json!({
            "comment": refused.get("comment").cloned().unwrap_or(json!({ "text": "" })),
            "note": refused.get("note").cloned().unwrap_or(json!({ "action": "" })),
            "stats": stats,
            "calibrations": calibrations,
            "prior": prior_view(&d.content),
            "min_responses": crate::domain::bank::stats::MIN_RESPONSES,
            "item": d,
            "view": full_view(&d.content),
            "actions": actions,
            "can_edit": d.status != Status::InReview,
            "review_blocked": review_blocked,
            "old_version": q.version.is_some_and(|v| v != d.latest_version),
        }),
    )
}

/// The starting parameters from the difficulty rating, as reviewers read them.
fn prior_view(c: &ItemContent) -> Value {
    let (a, b, g) = c.difficulty.prior();
    json!({"a": format!("{a:.2}"), "b": format!("{b:+.2}"), "c": format!("{g:.2}")})
}

fn action_label(a: Action) -> &'static str {
    match a {
        Action::Submit => "Submit for review",
        Action::Approve => "Approve (make live)",
        Action::Return => "Return with comments",
        Action::Retire => "Retire",
        Action::Restore => "Restore",
    }
}

#[get("/bank/items/{id}/retire")]
pub async fn confirm_retire(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let d = authoring::detail(&ctx.state, path.into_inner(), None).await?;
    ctx.render(
        "bank_retire",
        &format!("Retire {}", d.id),
        json!({ "item": d, "view": full_view(&d.content) }),
    )
}

#[get("/bank/items/{id}/edit")]
pub async fn edit_page(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let id = path.into_inner();
    let d = authoring::detail(&ctx.state, id.clone(), None).await?;
    if d.status == Status::InReview {
        ctx.flash(
            "error",
            "This item is in review. The reviewer must return it before it can be edited.",
        );
        return Ok(see_other(&format!("/bank/items/{id}")));
    }
    let title = format!("Edit {id}");
    let mut model = editor_model(
        &DraftInput::from_content(&d.content),
        &FieldErrors::default(),
        None,
        &format!("/bank/items/{id}/edit"),
        &title,
    );
    model["forks"] = json!(matches!(d.status, Status::Approved | Status::Retired));
    ctx.render("bank_edit", &title, model)
}

#[post("/bank/items/{id}/edit")]
pub async fn edit(ctx: Ctx, path: web::Path<String>, body: web::Bytes) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let (d, action) = draft_from(&body);
    let title = format!("Edit {id}");
    let target = format!("/bank/items/{id}/edit");
    if action == "preview" {
        return preview_response(&ctx, &d, &user.name, &target, &title);
    }
    match authoring::save_edit(&ctx.state, &user, id.clone(), d.clone()).await {
        Ok(v) => {
            ctx.flash("success", &format!("Saved version {v} of {id} as a draft."));
            Ok(see_other(&format!("/bank/items/{id}")))
        }
        Err(e) => editor_error(&ctx, e, &d, &target, &title),
    }
}

#[derive(Deserialize)]
pub struct TransitionForm {
    action: String,
    comment: Option<String>,
}

#[post("/bank/items/{id}/transition")]
pub async fn transition(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<TransitionForm>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let f = form.into_inner();
    let action =
        Action::parse(&f.action).ok_or_else(|| AppError::BadRequest("Unknown action.".into()))?;
    let note = f.comment.clone().unwrap_or_default();
    match authoring::transition(&ctx.state, &user, id.clone(), action, f.comment).await {
        Ok(to) => ctx.flash("success", &format!("{id}: {}.", to.label())),
        // A note refused (too long): shown again under its action, with the text kept.
        Err(AppError::Invalid { field, message }) if field == "comment" => {
            let refused = json!({ "note": { "action": f.action, "text": note, "error": message } });
            return item_page(&ctx, id, None, StatusCode::UNPROCESSABLE_ENTITY, refused).await;
        }
        Err(AppError::Conflict(m)) | Err(AppError::Invalid { message: m, .. }) => {
            ctx.flash("error", &m)
        }
        Err(e) => return Err(e),
    }
    Ok(see_other(&format!("/bank/items/{id}")))
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    comment: String,
}

#[post("/bank/items/{id}/comment")]
pub async fn comment(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<CommentForm>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let text = form.into_inner().comment;
    match authoring::comment(&ctx.state, &user, id.clone(), text.clone()).await {
        Ok(()) => {
            ctx.flash("success", "Comment added.");
            Ok(see_other(&format!("/bank/items/{id}#history")))
        }
        // Refused next to the box, with what was written kept.
        Err(AppError::Invalid { message, .. }) => {
            let refused = json!({ "comment": { "text": text, "error": message } });
            item_page(&ctx, id, None, StatusCode::UNPROCESSABLE_ENTITY, refused).await
        }
        Err(e) => Err(e),
    }
}

#[get("/bank/reports")]
pub async fn reports_queue(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let reports = authoring::open_reports(&ctx.state).await?;
    ctx.render(
        "bank_reports",
        "Problem reports",
        json!({ "reports": reports }),
    )
}

#[derive(Deserialize)]
pub struct ResolveForm {
    outcome: String,
    #[serde(default)]
    resolution: String,
}

#[post("/bank/reports/{id}/resolve")]
pub async fn resolve(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<ResolveForm>,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let f = form.into_inner();
    let accepted = match f.outcome.as_str() {
        "accepted" => true,
        "dismissed" => false,
        _ => return Err(AppError::BadRequest("Choose accepted or dismissed.".into())),
    };
    match authoring::resolve_report(&ctx.state, &user, path.into_inner(), accepted, f.resolution)
        .await
    {
        Ok(item_id) => ctx.flash(
            "success",
            &format!("Report on {item_id} resolved; the reporter can see the outcome."),
        ),
        Err(AppError::Invalid { message, .. }) | Err(AppError::Conflict(message)) => {
            ctx.flash("error", &message)
        }
        Err(e) => return Err(e),
    }
    Ok(see_other("/bank/reports"))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    version: i32,
    /// The exam and position the person saw the question at (its options were shuffled there).
    exam: Option<String>,
    position: Option<i32>,
}

/// The option order the person saw, when they came from one of their exams.
async fn seen_order(
    ctx: &Ctx,
    user_id: i64,
    id: &str,
    version: i32,
    exam: &Option<String>,
    position: Option<i32>,
) -> AppResult<Option<[usize; 4]>> {
    match (exam, position) {
        (Some(exam), Some(position)) => {
            let found = crate::services::exams::seen_order(
                &ctx.state,
                user_id,
                exam.clone(),
                position,
                id.to_string(),
                version,
            )
            .await;
            match found {
                Err(AppError::NotFound(_)) => Ok(None),
                other => other,
            }
        }
        _ => Ok(None),
    }
}

/// The question as the person saw it: its options in the order shown in their exam.
fn seen_view(c: &ItemContent, order: Option<[usize; 4]>) -> Value {
    let order = order.unwrap_or([0, 1, 2, 3]);
    json!({
        "stem": c.stem,
        "options": order.iter().enumerate().map(|(i, &o)| json!({"letter": KEYS[i].to_string(), "text": c.options[o]})).collect::<Vec<_>>(),
    })
}

#[get("/questions/{id}/report")]
pub async fn report_page(
    ctx: Ctx,
    path: web::Path<String>,
    q: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let id = path.into_inner();
    let content = authoring::reportable(&ctx.state, &user, id.clone(), q.version).await?;
    let order = seen_order(&ctx, user.id, &id, q.version, &q.exam, q.position).await?;
    ctx.render("report_problem", "Report a problem", json!({
        "item_id": id, "version": q.version, "question": seen_view(&content, order), "errors": {}, "message": "",
        "exam": q.exam, "position": q.position,
    }))
}

#[derive(Deserialize)]
pub struct ReportForm {
    version: i32,
    #[serde(default)]
    message: String,
    exam: Option<String>,
    position: Option<i32>,
}

#[post("/questions/{id}/report")]
pub async fn report(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<ReportForm>,
) -> AppResult<HttpResponse> {
    let user = ctx.user()?.clone();
    let id = path.into_inner();
    let f = form.into_inner();
    let order = seen_order(&ctx, user.id, &id, f.version, &f.exam, f.position).await?;
    match authoring::report_problem(
        &ctx.state,
        &user,
        id.clone(),
        f.version,
        f.message.clone(),
        order,
    )
    .await
    {
        Ok(_) => {
            ctx.flash(
                "success",
                "Thank you. A reviewer will look at your report; you can follow it here.",
            );
            Ok(see_other("/reports"))
        }
        Err(AppError::Invalid { field, message }) => {
            let content = authoring::reportable(&ctx.state, &user, id.clone(), f.version).await?;
            ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, "report_problem", "Report a problem", json!({
                "item_id": id, "version": f.version, "question": seen_view(&content, order), "errors": {field: message}, "message": f.message,
                "exam": f.exam, "position": f.position,
            }))
        }
        Err(e) => Err(e),
    }
}

#[get("/reports")]
pub async fn my_reports(ctx: Ctx) -> AppResult<HttpResponse> {
    let uid = ctx.user()?.id;
    let reports = authoring::my_reports(&ctx.state, uid).await?;
    let rule_reports = crate::services::ce_rules::my_reports(&ctx.state, uid).await?;
    ctx.render(
        "my_reports",
        "Your problem reports",
        json!({ "reports": reports, "rule_reports": rule_reports }),
    )
}
