//! Certified therapists: credentials, one CE log for all of them, certificates, CPR cards.

use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::ce::{self, ActivityInput, vocab};
use crate::web::ctx::Ctx;
use crate::web::forms::{checked, see_other};
use crate::web::upload;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

fn choices(list: Vec<(&'static str, &'static str)>, current: &str) -> Vec<Value> {
    list.into_iter()
        .map(|(c, l)| json!({"value": c, "label": l, "selected": c == current}))
        .collect()
}

fn rule_choices(current: &str) -> Vec<Value> {
    crate::services::ce::rules()
        .into_iter()
        .map(|(id, name)| json!({"value": id, "label": name, "selected": id == current}))
        .collect()
}

#[get("/ce")]
pub async fn index(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Practitioner)?;
    dashboard(
        &ctx,
        StatusCode::OK,
        &ItemForm::default(),
        &FieldErrors::default(),
    )
    .await
}

/// The CE page; `item`/`item_errors` refill the CPR card form when it was refused.
async fn dashboard(
    ctx: &Ctx,
    status: StatusCode,
    item: &ItemForm,
    item_errors: &FieldErrors,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let log = ce::log(&ctx.state, me.id).await?;
    let report = ce::evaluate(&ctx.state, me.id).await?;
    let credentials: Vec<Value> = log
        .credentials
        .iter()
        .map(|c| {
            let eval = report.iter().find(|r| r.credential_id == c.id);
            json!({
                "id": c.id, "rule_id": c.rule_id, "name": ce::credential_name(&c.rule_id),
                "number": c.number, "issued_on": c.issued_on.to_string(), "eval": eval,
                "cycle_override": c.deadline.map(|d| d.to_string()),
            })
        })
        .collect();
    let activities: Vec<_> = log
        .activities
        .iter()
        .map(|a| ce::ActivityView {
            course_certificate: log.course_certificates.get(&a.id).cloned(),
            ..ce::view(a)
        })
        .collect();
    let items: Vec<Value> = log
        .items
        .iter()
        .map(|i| {
            json!({
                "id": i.id, "kind": vocab::item_kinds().iter().find(|(k, _)| *k == i.kind).map(|(_, l)| *l).unwrap_or(&i.kind),
                "valid_from": i.valid_from.map(|d| d.to_string()), "valid_to": i.valid_to.map(|d| d.to_string()),
            })
        })
        .collect();
    ctx.render_status(status, "ce", "Continuing education", json!({
        "credentials": credentials,
        "activities": activities,
        "items": items,
        "birth_date": log.profile.as_ref().and_then(|p| p.birth_date).map(|d| d.to_string()),
        "reminders": log.profile.as_ref().is_none_or(|p| p.reminders),
        "item_kinds": choices(vocab::item_kinds(), &item.kind),
        "item_form": item,
        "item_errors": item_errors,
        "calendar_url": ctx.state.url(&format!("/ce/calendar/{}-{}.ics", me.id, ce::feed_key(&ctx.state, me.id).await?)),
        "errors": {},
    }))
}

#[get("/ce/credentials/new")]
pub async fn new_credential(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Practitioner)?;
    ctx.render(
        "ce_credential",
        "Add a credential",
        json!({ "rules": rule_choices(""), "form": {}, "errors": {} }),
    )
}

#[derive(Deserialize)]
pub struct CredentialForm {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    number: String,
    #[serde(default)]
    issued_on: String,
    first_cycle: Option<String>,
}

#[post("/ce/credentials")]
pub async fn add_credential(ctx: Ctx, form: web::Form<CredentialForm>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let f = form.into_inner();
    let known: Vec<String> = crate::services::ce::rules()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    match ce::add_credential(&ctx.state, &me, f.rule.clone(), f.number.clone(), f.issued_on.clone(), checked(&f.first_cycle), &known).await {
        Ok(_) => {
            ctx.flash("success", "Credential added. Every logged activity now counts toward it where it qualifies.");
            Ok(see_other("/ce"))
        }
        Err(AppError::Fields(errors)) => ctx.render_status(StatusCode::UNPROCESSABLE_ENTITY, "ce_credential", "Add a credential", json!({
            "rules": rule_choices(&f.rule),
            "form": {"number": f.number, "issued_on": f.issued_on, "first_cycle": checked(&f.first_cycle)},
            "errors": errors,
        })),
        Err(e) => Err(e),
    }
}

#[get("/ce/credentials/{id}/remove")]
pub async fn confirm_remove_credential(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let id = path.into_inner();
    let log = ce::log(&ctx.state, me.id).await?;
    let c = log
        .credentials
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| AppError::NotFound("No such credential.".into()))?;
    ctx.render("ce_confirm", "Remove credential", json!({
        "heading": format!("Remove {}?", ce::credential_name(&c.rule_id)),
        "message": "The credential and its reminders are removed. Your logged activities stay in your log.",
        "action": format!("/ce/credentials/{id}/remove"),
        "button": "Yes, remove it",
    }))
}

#[post("/ce/credentials/{id}/remove")]
pub async fn remove_credential(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    ce::delete_credential(&ctx.state, &me, path.into_inner()).await?;
    ctx.flash("success", "Credential removed.");
    Ok(see_other("/ce"))
}

#[derive(Deserialize)]
pub struct CycleForm {
    #[serde(default)]
    cycle_start: String,
    #[serde(default)]
    cycle_end: String,
    #[serde(default)]
    deadline: String,
}

#[derive(Deserialize)]
pub struct NumberForm {
    #[serde(default)]
    number: String,
}

#[post("/ce/credentials/{id}/number")]
pub async fn set_number(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<NumberForm>,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let done = ce::set_number(&ctx.state, &me, path.into_inner(), form.into_inner().number).await;
    back_to_ce(&ctx, done, "Licence number saved.")
}

/// Back to /ce after a correction on it: saved, or refused with the reason as a message there.
fn back_to_ce(ctx: &Ctx, done: AppResult<()>, saved: &str) -> AppResult<HttpResponse> {
    match done {
        Ok(()) => ctx.flash("success", saved),
        Err(AppError::Fields(e)) => ctx.flash(
            "error",
            &e.0.values().cloned().collect::<Vec<_>>().join(" "),
        ),
        Err(e) => return Err(e),
    }
    Ok(see_other("/ce"))
}

#[post("/ce/credentials/{id}/cycle")]
pub async fn set_cycle(
    ctx: Ctx,
    path: web::Path<i64>,
    form: web::Form<CycleForm>,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let f = form.into_inner();
    let done = ce::set_cycle(
        &ctx.state,
        &me,
        path.into_inner(),
        f.cycle_start,
        f.cycle_end,
        f.deadline,
    )
    .await;
    back_to_ce(&ctx, done, "Cycle updated.")
}

/// A code as a form-field name: `laws_rules{NJ}` → `laws_rules--NJ` (braces are not safe in
/// every client's multipart encoding).
fn form_field(code: &str) -> String {
    code.replace('{', "--").replace('}', "")
}

/// The code back from a form-field name (also accepts the code itself).
fn code_of_field(field: &str) -> String {
    match field.split_once("--") {
        Some((base, j)) => format!("{base}{{{j}}}"),
        None => field.to_string(),
    }
}

fn activity_model(input: &ActivityInput, errors: &FieldErrors, lists: &ce::FormLists) -> Value {
    let topics: Vec<Value> = lists
        .topics
        .iter()
        .map(|(c, l)| json!({"code": c, "field": form_field(c), "label": l, "value": input.topics.get(c.as_str()).cloned().unwrap_or_default()}))
        .collect();
    let fields = |list: &[(String, String)]| -> Vec<Value> {
        list.iter()
            .map(|(c, l)| json!({"code": c, "field": form_field(c), "label": l, "value": input.approvals.get(c.as_str()).cloned().unwrap_or_default()}))
            .collect()
    };
    // The other bodies stay open when one of them holds a value (a refused form keeps it in view).
    let more_open = lists.more_schemes.iter().any(|(c, _)| {
        input
            .approvals
            .get(c.as_str())
            .is_some_and(|v| !v.trim().is_empty())
    });
    json!({
        "form": input,
        "errors": errors,
        "has_errors": !errors.is_empty(),
        "deliveries": choices(vocab::deliveries(), &input.delivery),
        "units": choices(vocab::units(), if input.unit.is_empty() { "hour" } else { &input.unit }),
        "topics": topics,
        "schemes": fields(&lists.schemes),
        "more_schemes": fields(&lists.more_schemes),
        "more_open": more_open,
        "more_count": lists.more_schemes.len(),
    })
}

#[get("/ce/activities/new")]
pub async fn new_activity(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let lists = ce::form_lists(&ctx.state, me.id).await?;
    ctx.render(
        "ce_activity",
        "Log a CE activity",
        activity_model(&ActivityInput::default(), &FieldErrors::default(), &lists),
    )
}

/// Multipart (for the certificate); the CSRF token travels in the query string.
#[post("/ce/activities")]
pub async fn add_activity(ctx: Ctx, payload: Multipart) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let lists = ce::form_lists(&ctx.state, me.id).await?;
    let mut input = ActivityInput::default();
    let upload = match upload::read(
        payload,
        "certificate",
        crate::services::certificates::MAX_BYTES,
    )
    .await
    {
        Ok(u) => u,
        Err(AppError::Invalid { field, message }) => {
            let mut e = FieldErrors::default();
            e.add(&field, message);
            return ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ce_activity",
                "Log a CE activity",
                activity_model(&input, &e, &lists),
            );
        }
        Err(e) => return Err(e),
    };
    for (k, v) in upload.fields {
        match k.as_str() {
            "title" => input.title = v,
            "provider" => input.provider = v,
            "completed_on" => input.completed_on = v,
            "delivery" => input.delivery = v,
            "hours" => input.hours = v,
            "unit" => input.unit = v,
            _ => {
                if let Some(t) = k.strip_prefix("topic_") {
                    input.topics.insert(code_of_field(t), v);
                } else if let Some(s) = k.strip_prefix("approval_") {
                    input.approvals.insert(code_of_field(s), v);
                }
            }
        }
    }
    let result = match upload.file_error {
        // The file was refused: say so next to it, with every other field checked and kept.
        Some(message) => {
            let today = ctx.state.clock.now().date();
            let mut e = ce::check_activity(&input, today).err().unwrap_or_default();
            e.add("certificate", message);
            Err(AppError::Fields(e))
        }
        None => ce::add_activity(&ctx.state, &me, input.clone(), upload.file).await,
    };
    match result {
        Ok(_) => {
            ctx.flash(
                "success",
                "Activity logged. It counts toward every credential it qualifies for.",
            );
            Ok(see_other("/ce"))
        }
        Err(AppError::Fields(errors)) => {
            let mut model = activity_model(&input, &errors, &lists);
            model["certificate_lost"] = json!(true);
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "ce_activity",
                "Log a CE activity",
                model,
            )
        }
        Err(e) => Err(e),
    }
}

#[get("/ce/activities/{id}/certificate")]
pub async fn certificate(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let (name, mime, bytes) = ce::certificate(&ctx.state, me.id, path.into_inner()).await?;
    Ok(crate::web::forms::private_download(
        name,
        mime.to_string(),
        bytes,
    ))
}

#[get("/ce/activities/{id}/remove")]
pub async fn confirm_remove_activity(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let id = path.into_inner();
    let log = ce::log(&ctx.state, me.id).await?;
    let a = log
        .activities
        .iter()
        .find(|a| a.id == id)
        .ok_or_else(|| AppError::NotFound("No such activity.".into()))?;
    ctx.render("ce_confirm", "Remove activity", json!({
        "heading": format!("Remove “{}”?", a.title),
        "message": "The activity stops counting toward your credentials. Its certificate file is kept only as long as another activity uses it.",
        "action": format!("/ce/activities/{id}/remove"),
        "button": "Yes, remove it",
    }))
}

#[post("/ce/activities/{id}/remove")]
pub async fn remove_activity(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    ce::delete_activity(&ctx.state, &me, path.into_inner()).await?;
    ctx.flash("success", "Activity removed.");
    Ok(see_other("/ce"))
}

#[derive(Deserialize, Serialize, Default)]
pub struct ItemForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_to: String,
}

#[post("/ce/items")]
pub async fn add_item(ctx: Ctx, form: web::Form<ItemForm>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let f = form.into_inner();
    let result = ce::add_item(
        &ctx.state,
        &me,
        f.kind.clone(),
        f.valid_from.clone(),
        f.valid_to.clone(),
    )
    .await;
    match result {
        Ok(_) => {
            ctx.flash("success", "Saved.");
            Ok(see_other("/ce#items"))
        }
        // Refused next to the fields, with what was typed kept.
        Err(AppError::Fields(e)) => dashboard(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &f, &e).await,
        Err(e) => Err(e),
    }
}

#[get("/ce/items/{id}/remove")]
pub async fn confirm_remove_item(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let id = path.into_inner();
    let log = ce::log(&ctx.state, me.id).await?;
    let item = log
        .items
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| AppError::NotFound("No such record.".into()))?;
    let kind = vocab::item_kinds()
        .iter()
        .find(|(k, _)| *k == item.kind)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| "record".into());
    ctx.render(
        "ce_confirm",
        "Remove record",
        json!({
            "heading": format!("Remove your {kind}?"),
            "message": "Credentials that need it will show it as missing until you add it again.",
            "action": format!("/ce/items/{id}/remove"),
            "button": "Yes, remove it",
            "cancel": "/ce#items",
        }),
    )
}

#[post("/ce/items/{id}/remove")]
pub async fn remove_item(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    ce::delete_item(&ctx.state, &me, path.into_inner()).await?;
    ctx.flash("success", "Removed.");
    Ok(see_other("/ce#items"))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    birth_date: String,
    reminders: Option<String>,
}

#[post("/ce/profile")]
pub async fn profile(ctx: Ctx, form: web::Form<ProfileForm>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let f = form.into_inner();
    match ce::save_profile(&ctx.state, &me, f.birth_date, checked(&f.reminders)).await {
        Ok(()) => ctx.flash("success", "Saved."),
        Err(AppError::Fields(e)) => ctx.flash(
            "error",
            &e.0.values().cloned().collect::<Vec<_>>().join(" "),
        ),
        Err(e) => return Err(e),
    }
    Ok(see_other("/ce"))
}

#[get("/ce/credentials/{id}/transcript.csv")]
pub async fn transcript(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let (name, csv) = ce::transcript_csv(&ctx.state, me.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(csv))
}

/// The calendar feed: no log-in (calendar apps cannot), a secret in the URL instead.
#[get("/ce/calendar/{feed}.ics")]
pub async fn calendar(
    state: web::Data<crate::services::AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let feed = path.into_inner();
    let (uid, key) = crate::web::forms::calendar_feed(&feed)?;
    if !ce::feed_key_matches(&state, uid, key).await? {
        return Err(crate::web::forms::no_such_calendar());
    }
    Ok(crate::web::forms::ics(ce::calendar(&state, uid).await?))
}

/// A new calendar address: the old one stops working (after it leaked, say).
#[post("/ce/calendar/reset")]
pub async fn reset_calendar(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    ce::reset_feed_key(&ctx.state, me.id).await?;
    ctx.flash(
        "success",
        "Your calendar has a new address. The old one no longer works: subscribe again with the new one.",
    );
    Ok(see_other("/ce#calendar"))
}

#[get("/ce/credentials/{id}/audit-pack.zip")]
pub async fn audit_pack(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let (name, entries) = ce::audit_pack(&ctx.state, me.id, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(crate::services::archive::stream(entries)))
}

#[get("/ce/credentials/{id}/transcript.pdf")]
pub async fn transcript_pdf(ctx: Ctx, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let (name, pdf) = ce::transcript_pdf(&ctx.state, &me, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/pdf"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(pdf))
}
