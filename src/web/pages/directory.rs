//! The therapist directory's pages: the public search and profiles (with the contact and report
//! forms), and the therapist's own page where they write, publish, hide and verify their profile.

use crate::domain::accounts::Role;
use crate::domain::ce::codes::US_JURISDICTIONS;
use crate::domain::directory::{self as dir, CONDITIONS, MODALITIES, POPULATIONS, TECHNIQUES};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::directory::{
    self as directory, ContactInput, ContactOutcome, ProfileInput, ReportInput, SearchInput,
};
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, see_other};
use crate::web::upload;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde_json::{Value, json};

/// Options for a `<select>` from a code list (the template adds its "any" entry).
fn select(list: &[(&str, &str)], current: &str) -> Vec<Value> {
    list.iter()
        .map(|(c, l)| json!({"value": c, "label": l, "selected": *c == current}))
        .collect()
}

/// Checkboxes from a code list, ticked where chosen.
fn boxes(list: &[(&str, &str)], chosen: &[String], only: Option<&[&str]>) -> Vec<Value> {
    list.iter()
        .filter(|(c, _)| only.is_none_or(|o| o.contains(c)))
        .map(|(c, l)| json!({"value": c, "label": l, "checked": chosen.iter().any(|x| x == c)}))
        .collect()
}

fn radii(current: u32) -> Vec<Value> {
    dir::RADII
        .iter()
        .map(|r| json!({"value": r, "label": format!("{r} miles"), "selected": *r == current}))
        .collect()
}

/// The public search page's own limit (the API has the same).
pub fn allow_search(ctx_state: &crate::services::AppState, ip: &str) -> AppResult<()> {
    if ctx_state.search_limiter.allow(ip, ctx_state.clock.now()) {
        Ok(())
    } else {
        Err(AppError::RateLimited(
            "Too many searches from your network in the last minute. Please wait a minute and try again.".into(),
        ))
    }
}

fn search_model(input: &SearchInput, radius: u32) -> Value {
    json!({
        "form": input,
        "referrals_checked": directory::truthy(&input.referrals),
        "radii": radii(radius),
        "techniques": select(TECHNIQUES, input.technique.trim()),
        "conditions": select(CONDITIONS, input.condition.trim()),
        "populations": select(POPULATIONS, input.population.trim()),
    })
}

/// Public search: by ZIP code or city, radius and need, nearest first.
#[get("/therapists")]
pub async fn search(ctx: Ctx, query: web::Query<SearchInput>) -> AppResult<HttpResponse> {
    allow_search(&ctx.state, &ctx.ip)?;
    let input = query.into_inner();
    let radius = input
        .radius
        .trim()
        .parse()
        .ok()
        .filter(|r| dir::RADII.contains(r))
        .unwrap_or(dir::DEFAULT_RADIUS);
    let mut model = search_model(&input, radius);
    model["canonical"] = json!("/therapists");
    model["description"] = json!(
        "Find a massage therapist near you whose licence or certification Palpate has verified, by technique, condition and whether they accept physician referrals."
    );
    match field_errors(directory::search(&ctx.state, input.clone()).await)? {
        Ok(r) => {
            model["searched"] = json!(!input.place.trim().is_empty());
            model["result"] = json!(r);
            model["errors"] = json!({});
            ctx.render("therapists", "Find a massage therapist", model)
        }
        Err(e) => {
            model["searched"] = json!(false);
            model["result"] = Value::Null;
            model["errors"] = json!(e);
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "therapists",
                "Find a massage therapist",
                model,
            )
        }
    }
}

async fn profile_page(
    ctx: &Ctx,
    slug: String,
    contact: &ContactInput,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let view = directory::profile(&ctx.state, slug).await?;
    let title = view.display_name.clone();
    let description = format!(
        "{} — massage therapist in {}, {}.",
        view.display_name, view.city, view.state_name
    );
    ctx.render_status(
        status,
        "therapist",
        &title,
        json!({
            "view": view,
            "canonical": view.path,
            "description": description,
            "contact": contact,
            "referral_checked": directory::truthy(&contact.referral),
            "errors": errors,
            "has_errors": !errors.is_empty(),
            "max_message": directory::MAX_MESSAGE,
        }),
    )
}

#[get("/therapists/{slug}")]
pub async fn profile(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    profile_page(
        &ctx,
        path.into_inner(),
        &ContactInput::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[post("/therapists/{slug}/contact")]
pub async fn send_message(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<ContactInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.into_inner();
    match field_errors(
        directory::contact(&ctx.state, slug.clone(), input.clone(), ctx.ip.clone()).await,
    )? {
        Ok(outcome) => {
            let message = match outcome {
                ContactOutcome::AlreadySent => {
                    "You already sent this message today; it was not sent again."
                }
                ContactOutcome::Sent | ContactOutcome::Dropped => {
                    "Your message was sent. The therapist will reply to the e-mail address you gave."
                }
            };
            ctx.flash("success", message);
            Ok(see_other(&format!("/therapists/{slug}")))
        }
        Err(e) => profile_page(&ctx, slug, &input, &e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

async fn report_page(
    ctx: &Ctx,
    slug: String,
    input: &ReportInput,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let view = directory::profile(&ctx.state, slug).await?;
    ctx.render_status(
        status,
        "therapist_report",
        "Report a profile",
        json!({
            "view": view,
            "reasons": select(directory::REPORT_REASONS, input.reason.trim()),
            "form": input,
            "errors": errors,
        }),
    )
}

#[get("/therapists/{slug}/report")]
pub async fn report_form(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    report_page(
        &ctx,
        path.into_inner(),
        &ReportInput::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[post("/therapists/{slug}/report")]
pub async fn report(
    ctx: Ctx,
    path: web::Path<String>,
    form: web::Form<ReportInput>,
) -> AppResult<HttpResponse> {
    let slug = path.into_inner();
    let input = form.into_inner();
    match field_errors(
        directory::report(&ctx.state, slug.clone(), input.clone(), ctx.ip.clone()).await,
    )? {
        Ok(()) => {
            ctx.flash(
                "success",
                "Thank you. An administrator will look at this profile.",
            );
            Ok(see_other(&format!("/therapists/{slug}")))
        }
        Err(e) => report_page(&ctx, slug, &input, &e, StatusCode::UNPROCESSABLE_ENTITY).await,
    }
}

// ---------- the therapist's own page ----------

/// The profile form as posted: repeated checkboxes become lists.
fn profile_input(body: &[u8]) -> ProfileInput {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut p = ProfileInput::default();
    for (k, v) in pairs {
        match k.as_str() {
            "display_name" => p.display_name = v,
            "practice_name" => p.practice_name = v,
            "street" => p.street = v,
            "city" => p.city = v,
            "state" => p.state = v,
            "zip" => p.zip = v,
            "phone" => p.phone = v,
            "booking_url" => p.booking_url = v,
            "statement" => p.statement = v,
            "techniques" => p.techniques.push(v),
            "modalities" => p.modalities.push(v),
            "conditions" => p.conditions.push(v),
            "populations" => p.populations.push(v),
            "accepts_referrals" => p.accepts_referrals = directory::truthy(&v),
            "accepts_insurance" => p.accepts_insurance = directory::truthy(&v),
            "show_ce" => p.show_ce = directory::truthy(&v),
            _ => {}
        }
    }
    p
}

async fn my_page(
    ctx: &Ctx,
    form: Option<&ProfileInput>,
    errors: &FieldErrors,
    upload_errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let mine = directory::my_directory(&ctx.state, &me).await?;
    let form = form.cloned().unwrap_or_else(|| mine.form.clone());
    let saved_state = if mine.exists {
        mine.form.state.clone()
    } else {
        form.state.clone()
    };
    let allowed = dir::modalities_for(&saved_state);
    let scope =
        dir::scope_of(&saved_state).map(|s| json!({"citation": s.citation, "read_on": s.read_on}));
    let states: Vec<Value> = US_JURISDICTIONS
        .iter()
        .map(|(c, n)| json!({"value": c, "label": n.trim_start_matches("the "), "selected": *c == form.state}))
        .collect();
    ctx.render_status(
        status,
        "directory",
        "Your directory profile",
        json!({
            "mine": mine,
            "form": form,
            "errors": errors,
            "upload_errors": upload_errors,
            "states": states,
            "techniques": boxes(TECHNIQUES, &form.techniques, None),
            "modalities": boxes(MODALITIES, &form.modalities, Some(&allowed)),
            "conditions": boxes(CONDITIONS, &form.conditions, None),
            "populations": boxes(POPULATIONS, &form.populations, None),
            "state_name": directory::state_name(&saved_state),
            "has_state": !saved_state.is_empty(),
            "scope": scope,
            "max_statement": directory::MAX_STATEMENT,
        }),
    )
}

#[get("/directory")]
pub async fn own_profile(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Practitioner)?;
    my_page(
        &ctx,
        None,
        &FieldErrors::default(),
        &FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[post("/directory")]
pub async fn save(ctx: Ctx, body: web::Bytes) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let input = profile_input(&body);
    match field_errors(directory::save_profile(&ctx.state, &me, input.clone()).await)? {
        Ok(_) => {
            ctx.flash("success", "Profile saved.");
            Ok(see_other("/directory"))
        }
        Err(e) => {
            my_page(
                &ctx,
                Some(&input),
                &e,
                &FieldErrors::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

#[post("/directory/publish")]
pub async fn publish(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    match directory::set_published(&ctx.state, &me, true).await {
        Ok(()) => ctx.flash(
            "success",
            "Your profile is published. Anyone can now find it in the directory.",
        ),
        Err(AppError::Conflict(m)) => ctx.flash("error", &m),
        Err(e) => return Err(e),
    }
    Ok(see_other("/directory"))
}

#[post("/directory/hide")]
pub async fn hide(ctx: Ctx) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    match directory::set_published(&ctx.state, &me, false).await {
        Ok(()) => ctx.flash(
            "success",
            "Your profile is hidden. Nobody can see it until you publish it again.",
        ),
        Err(AppError::Conflict(m)) => ctx.flash("error", &m),
        Err(e) => return Err(e),
    }
    Ok(see_other("/directory"))
}

/// Multipart (for the document); the CSRF token travels in the query string.
#[post("/directory/verifications")]
pub async fn request_verification(ctx: Ctx, payload: Multipart) -> AppResult<HttpResponse> {
    let me = ctx.require(Role::Practitioner)?.clone();
    let result = match upload::read(
        payload,
        "document",
        crate::services::certificates::MAX_BYTES,
    )
    .await
    {
        Err(AppError::Invalid { field, message }) => Err(AppError::invalid(&field, message)),
        Err(e) => return Err(e),
        Ok(u) => match u.file_error {
            Some(m) => Err(AppError::invalid("document", m)),
            None => {
                let credential = u
                    .fields
                    .iter()
                    .find(|(k, _)| k == "credential")
                    .and_then(|(_, v)| v.trim().parse().ok())
                    .unwrap_or(0);
                directory::request_verification(&ctx.state, &me, credential, u.file).await
            }
        },
    };
    match field_errors(result)? {
        Ok(()) => {
            ctx.flash("success", "Document received. An administrator will check it against the issuer's public records.");
            Ok(see_other("/directory#verification"))
        }
        Err(e) => {
            my_page(
                &ctx,
                None,
                &FieldErrors::default(),
                &e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}
