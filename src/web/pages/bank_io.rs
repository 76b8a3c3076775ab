//! Instructors: importing questions from GIFT, Aiken, Moodle XML, QTI 3.0 or CSV (upload, preview,
//! confirm) and exporting the bank or a filter of it in any of those formats.

use crate::domain::accounts::Role;
use crate::domain::bank::interchange::Format;
use crate::domain::bank::{ItemFilter, Status};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::{authoring, bank as bankops, interchange};
use crate::web::ctx::Ctx;
use crate::web::forms::{field_errors, see_other};
use crate::web::upload;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn format_options(selected: Option<Format>) -> Vec<Value> {
    Format::ALL
        .iter()
        .map(|f| json!({"value": f.as_str(), "label": f.label(), "selected": Some(*f) == selected}))
        .collect()
}

fn import_form(
    ctx: &Ctx,
    format: Option<Format>,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    ctx.render_status(
        status,
        "bank_import",
        "Import questions",
        json!({
            "formats": format_options(format),
            "errors": errors,
            "max_mb": interchange::MAX_UPLOAD / 1024 / 1024,
            "csv_columns": crate::domain::bank::interchange::csv::COLUMNS,
        }),
    )
}

#[get("/bank/import")]
pub async fn import_page(ctx: Ctx) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    import_form(&ctx, None, &FieldErrors::default(), StatusCode::OK)
}

/// Multipart (the file); the CSRF token travels in the query string.
#[post("/bank/import")]
pub async fn upload_file(ctx: Ctx, payload: Multipart) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let upload = upload::read_with(
        payload,
        "file",
        interchange::MAX_UPLOAD,
        "The file is larger than 20 MB. Split it into smaller files.",
        "The file you chose is empty. Choose the file again.",
    )
    .await?;
    let format = upload
        .fields
        .iter()
        .find(|(k, _)| k == "format")
        .and_then(|(_, v)| Format::parse(v));
    let mut errors = FieldErrors::default();
    if format.is_none() {
        errors.add("format", "Choose the format of the file.");
    }
    match (&upload.file_error, &upload.file) {
        (Some(m), _) => errors.add("file", m.clone()),
        (None, None) => errors.add("file", "Choose the file to import."),
        _ => {}
    }
    let (Some(format), Some((name, bytes)), true) = (format, upload.file, errors.is_empty()) else {
        return import_form(&ctx, format, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    };
    match field_errors(interchange::start_import(&ctx.state, &user, format, &name, bytes).await)? {
        Ok(id) => Ok(see_other(&format!("/bank/imports/{id}"))),
        Err(e) => import_form(&ctx, Some(format), &e, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

fn subarea_options() -> Vec<Value> {
    bankops::taxonomy()
        .areas
        .iter()
        .flat_map(|a| a.subareas.iter())
        .map(|s| json!({"code": s.code, "label": format!("{} {}", s.code, s.name)}))
        .collect()
}

/// The preview model; `chosen` keeps what the instructor sent when the confirmation was refused.
fn preview_model(
    p: &interchange::ImportPreview,
    chosen: Option<&Chosen>,
    errors: &FieldErrors,
) -> Value {
    let items: Vec<Value> = p
        .items
        .iter()
        .map(|it| {
            let (include, subarea) = match chosen {
                Some(c) => (
                    c.include.contains(&it.index),
                    c.subareas.get(&it.index).cloned().unwrap_or_default(),
                ),
                None => (it.duplicate_of.is_none(), it.subarea.clone().unwrap_or_default()),
            };
            let options: Vec<Value> = it
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| json!({"letter": crate::domain::bank::KEYS[i.min(3)].to_string(), "text": o, "key": crate::domain::bank::KEYS[i.min(3)].to_string() == it.key}))
                .collect();
            json!({
                "index": it.index,
                "place": it.place,
                "name": it.name,
                "stem": it.stem,
                "options": options,
                "category": it.category,
                "subarea": subarea,
                "subarea_label": it.subarea_label,
                "todo": it.todo,
                "todo_count": it.todo.len(),
                "duplicate_of": it.duplicate_of,
                "include": include,
                "error": errors.0.get(&format!("subarea_{}", it.index)),
            })
        })
        .collect();
    json!({
        "id": p.id,
        "format_label": p.format_label,
        "file_name": p.file_name,
        "count": p.items.len(),
        "items": items,
        "not_imported": p.not_imported,
        "not_imported_count": p.not_imported.len(),
        "duplicates": p.duplicates,
        "subareas": subarea_options(),
        "default_subarea": chosen.map(|c| c.default.clone()).unwrap_or_default(),
        "form_error": errors.0.get("choices").or_else(|| errors.0.get("default_subarea")),
    })
}

#[get("/bank/imports/{id}")]
pub async fn preview(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let p = interchange::preview(&ctx.state, &user, path.into_inner()).await?;
    ctx.render(
        "bank_import_preview",
        "Check the import",
        preview_model(&p, None, &FieldErrors::default()),
    )
}

/// What the preview form sent: which questions, which sub-area each, and a default.
#[derive(Debug, Default)]
struct Chosen {
    include: Vec<usize>,
    subareas: BTreeMap<usize, String>,
    default: String,
}

fn chosen_from(body: &[u8]) -> Chosen {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let mut c = Chosen::default();
    for (k, v) in pairs {
        if let Some(i) = k.strip_prefix("include_").and_then(|i| i.parse().ok()) {
            c.include.push(i);
        } else if let Some(i) = k.strip_prefix("subarea_").and_then(|i| i.parse().ok()) {
            c.subareas.insert(i, v.trim().to_string());
        } else if k == "default_subarea" {
            c.default = v.trim().to_string();
        }
    }
    c
}

impl Chosen {
    /// Each included question's sub-area: its own, else the default.
    fn choices(&self) -> BTreeMap<usize, String> {
        self.include
            .iter()
            .map(|i| {
                let own = self.subareas.get(i).cloned().unwrap_or_default();
                (
                    *i,
                    if own.is_empty() {
                        self.default.clone()
                    } else {
                        own
                    },
                )
            })
            .collect()
    }
}

#[post("/bank/imports/{id}")]
pub async fn confirm(
    ctx: Ctx,
    path: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    let id = path.into_inner();
    let chosen = chosen_from(&body);
    let choices = chosen.choices();
    // An included question with no sub-area at all is reported next to it.
    let mut errors = FieldErrors::default();
    for (i, code) in &choices {
        if code.is_empty() {
            errors.add(
                &format!("subarea_{i}"),
                "Choose the sub-area this question goes to, or give a default for all.",
            );
        }
    }
    if chosen.include.is_empty() {
        errors.add("choices", "Tick at least one question to import.");
    }
    let result = if errors.is_empty() {
        interchange::confirm(&ctx.state, &user, id.clone(), choices).await
    } else {
        Err(AppError::Fields(errors))
    };
    match field_errors(result)? {
        Ok(ids) => {
            ctx.flash(
                "success",
                &format!(
                    "Imported {} as drafts. Complete what each still needs, then submit them for review.",
                    crate::views::count_noun(ids.len() as i64, "question", None)
                ),
            );
            let author =
                serde_urlencoded::to_string([("author", user.name.as_str()), ("status", "draft")])
                    .unwrap_or_default();
            Ok(see_other(&format!("/bank?{author}")))
        }
        Err(e) => {
            let p = interchange::preview(&ctx.state, &user, id).await?;
            ctx.render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bank_import_preview",
                "Check the import",
                preview_model(&p, Some(&chosen), &e),
            )
        }
    }
}

#[post("/bank/imports/{id}/discard")]
pub async fn discard(ctx: Ctx, path: web::Path<String>) -> AppResult<HttpResponse> {
    let user = ctx.require(Role::Instructor)?.clone();
    interchange::discard(&ctx.state, &user, path.into_inner()).await?;
    ctx.flash(
        "success",
        "The import was discarded; nothing was added to the bank.",
    );
    Ok(see_other("/bank/import"))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    area: Option<String>,
    status: Option<String>,
    author: Option<String>,
}

fn some(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The export form, and the file itself when a format is chosen.
#[get("/bank/export")]
pub async fn export(ctx: Ctx, q: web::Query<ExportQuery>) -> AppResult<HttpResponse> {
    ctx.require(Role::Instructor)?;
    let q = q.into_inner();
    let filter = ItemFilter {
        area: some(&q.area),
        status: some(&q.status),
        author: some(&q.author),
        ..Default::default()
    };
    let format = some(&q.format).and_then(|f| Format::parse(&f));
    if let Some(format) = format {
        let bytes = interchange::export(&ctx.state, filter, format).await?;
        return Ok(HttpResponse::Ok()
            .content_type(format.content_type())
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{}\"", format.file_name()),
            ))
            .body(bytes));
    }
    let mut errors = FieldErrors::default();
    if some(&q.format).is_some() {
        errors.add("format", "Choose one of the formats listed.");
    }
    let sel = |all: Vec<(String, String)>, cur: &Option<String>| {
        all.into_iter()
            .map(|(v, l)| json!({"value": v, "label": l, "selected": Some(&v) == cur.as_ref()}))
            .collect::<Vec<_>>()
    };
    let taxo = bankops::taxonomy();
    let authors = authoring::authors(&ctx.state).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    ctx.render_status(status, "bank_export", "Export questions", json!({
        "formats": format_options(None),
        "errors": errors,
        "areas": sel(taxo.areas.iter().map(|a| (a.code.clone(), format!("{}. {}", a.code, a.name))).collect(), &filter.area),
        "statuses": sel(Status::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect(), &filter.status),
        "authors": sel(authors.into_iter().map(|a| (a.clone(), a)).collect(), &filter.author),
    }))
}
