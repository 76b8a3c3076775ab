//! `/api/v1/bank/imports` and `/api/v1/bank/export`: questions in and out in other platforms'
//! formats (instructors). An import is previewed first and created as drafts on confirmation.

use super::ApiUser;
use crate::domain::accounts::Role;
use crate::domain::bank::ItemFilter;
use crate::domain::bank::interchange::Format;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::services::AppState;
use crate::services::interchange::{self, ImportPreview};
use actix_web::{HttpResponse, delete, get, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

fn format_of(s: &str) -> AppResult<Format> {
    Format::parse(s).ok_or_else(|| {
        AppError::invalid("format", "Use one of gift, aiken, moodle_xml, qti3 or csv.")
    })
}

#[derive(Deserialize, IntoParams)]
pub struct ImportQuery {
    /// gift, aiken, moodle_xml, qti3 (a content-package ZIP) or csv.
    format: String,
    /// The file's name, shown in the preview.
    file_name: Option<String>,
}

/// Reads the request body up to the upload limit.
async fn body_bytes(mut payload: web::Payload) -> AppResult<Vec<u8>> {
    let mut out = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| AppError::BadRequest("The upload was interrupted.".into()))?;
        if out.len() + chunk.len() > interchange::MAX_UPLOAD {
            return Err(AppError::invalid(
                "file",
                format!(
                    "The file is larger than {} MB.",
                    interchange::MAX_UPLOAD / 1024 / 1024
                ),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Read a file of questions (the request body, as is) and preview it
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(ImportQuery),
    request_body(content = String, description = "The file's bytes (for qti3 the ZIP)", content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "What would be imported, what would not and why", body = ImportPreview),
        (status = 400, description = "Unknown format, or a file that cannot be read (the message gives its line)", body = ErrorBody),
        (status = 403, description = "Not an instructor", body = ErrorBody),
    )
)]
#[post("/bank/imports")]
pub async fn start(
    user: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<ImportQuery>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    // The body is read before anything is refused: a response sent while the client is still
    // uploading would leave the rest of the upload on the connection.
    let bytes = body_bytes(payload).await;
    user.0.require(Role::Instructor)?;
    let bytes = bytes?;
    let q = q.into_inner();
    let format = format_of(&q.format)?;
    let name = q
        .file_name
        .unwrap_or_else(|| format.file_name().to_string());
    let id = interchange::start_import(&state, &user.0, format, &name, bytes).await?;
    let preview = interchange::preview(&state, &user.0, id).await?;
    Ok(HttpResponse::Created().json(preview))
}

/// A pending import's preview
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(("id" = String, Path, description = "The import's id")),
    responses(
        (status = 200, description = "The preview", body = ImportPreview),
        (status = 404, description = "No such pending import of yours", body = ErrorBody),
    )
)]
#[get("/bank/imports/{id}")]
pub async fn get_import(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Instructor)?;
    let preview = interchange::preview(&state, &user.0, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(preview))
}

/// Which questions of an import to create, and where.
#[derive(Deserialize, ToSchema)]
pub struct ConfirmBody {
    /// Question index (as in the preview) → sub-area code ("2.D"). Questions left out are not
    /// imported.
    #[serde(default)]
    choices: BTreeMap<usize, String>,
}

#[derive(Serialize, ToSchema)]
pub struct ImportCreated {
    /// The new draft items' ids.
    created: Vec<String>,
}

/// Create the chosen questions as drafts
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(("id" = String, Path, description = "The import's id")),
    request_body = ConfirmBody,
    responses(
        (status = 201, description = "The drafts created", body = ImportCreated),
        (status = 422, description = "A sub-area is unknown or a question cannot be imported (by field subarea_N)", body = ErrorBody),
        (status = 404, description = "No such pending import of yours", body = ErrorBody),
    )
)]
#[post("/bank/imports/{id}/confirm")]
pub async fn confirm(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<ConfirmBody>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Instructor)?;
    let created = interchange::confirm(
        &state,
        &user.0,
        path.into_inner(),
        body.into_inner().choices,
    )
    .await?;
    Ok(HttpResponse::Created().json(ImportCreated { created }))
}

/// Discard a pending import
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(("id" = String, Path, description = "The import's id")),
    responses(
        (status = 204, description = "Discarded"),
        (status = 404, description = "No such pending import of yours", body = ErrorBody),
    )
)]
#[delete("/bank/imports/{id}")]
pub async fn discard(
    user: ApiUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Instructor)?;
    interchange::discard(&state, &user.0, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, IntoParams)]
pub struct ExportQuery {
    /// gift, aiken, moodle_xml, qti3 or csv.
    format: String,
    /// An area code ("3").
    area: Option<String>,
    /// draft, in_review, returned, approved or retired.
    status: Option<String>,
    author: Option<String>,
    /// Instead of the filters: the questions of this class's assignments (its teachers).
    class: Option<i64>,
}

/// Export items in another platform's format
#[utoipa::path(
    context_path = "/api/v1",
    tag = "bank",
    params(ExportQuery),
    responses(
        (status = 200, description = "The file (QTI 3.0: a content-package ZIP)", content_type = "application/octet-stream"),
        (status = 400, description = "Unknown format", body = ErrorBody),
        (status = 403, description = "Not an instructor", body = ErrorBody),
        (status = 404, description = "No class of yours (with class)", body = ErrorBody),
    )
)]
#[get("/bank/export")]
pub async fn export(
    user: ApiUser,
    state: web::Data<AppState>,
    q: web::Query<ExportQuery>,
) -> AppResult<HttpResponse> {
    user.0.require(Role::Instructor)?;
    let q = q.into_inner();
    let format = format_of(&q.format)?;
    let bytes = match q.class {
        Some(class) => interchange::export_class(&state, &user.0, class, format).await?,
        None => {
            let filter = ItemFilter {
                area: q.area,
                status: q.status,
                author: q.author,
                ..Default::default()
            };
            interchange::export(&state, filter, format).await?
        }
    };
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", format.file_name()),
        ))
        .body(bytes))
}
