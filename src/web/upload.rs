//! Reads a multipart form with at most one file, with limits, into memory.

use crate::error::{AppError, AppResult};
use actix_multipart::Multipart;
use futures_util::StreamExt;

pub struct Upload {
    pub fields: Vec<(String, String)>,
    /// (file name as sent, bytes) of the first non-empty file field.
    pub file: Option<(String, Vec<u8>)>,
    /// What was wrong with the file (too large, empty), for the file field; the other fields
    /// are still read so that nothing typed is lost.
    pub file_error: Option<String>,
}

const MAX_TEXT: usize = 64 * 1024;

/// A malformed multipart body: a plain sentence for the person, the parser's words in the log.
fn unreadable(e: impl std::fmt::Display) -> AppError {
    tracing::debug!(error = %e, "unreadable multipart form");
    AppError::BadRequest("The form could not be read. Please try again.".into())
}

/// Reads a form with a CE certificate (see [`read_with`]).
pub async fn read(payload: Multipart, file_field: &str, max_file: usize) -> AppResult<Upload> {
    read_with(
        payload,
        file_field,
        max_file,
        "The file is larger than 10 MB. Upload a smaller scan or a PDF.",
        "The file you chose is empty. Choose the certificate file again.",
    )
    .await
}

/// Reads every part. A file over `max_file` bytes is not kept (its bytes are skipped) and is
/// reported in `file_error` as `too_large`; a chosen but empty file as `empty`.
pub async fn read_with(
    mut payload: Multipart,
    file_field: &str,
    max_file: usize,
    too_large: &str,
    empty: &str,
) -> AppResult<Upload> {
    let mut fields = vec![];
    let mut file = None;
    let mut file_error = None;
    let mut text_total = 0usize;
    while let Some(item) = payload.next().await {
        let mut part = item.map_err(unreadable)?;
        let name = part.name().unwrap_or("").to_string();
        let filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let is_file = name == file_field && filename.is_some();
        let mut buf: Vec<u8> = vec![];
        let mut over = false;
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if over {
                continue;
            }
            buf.extend_from_slice(&chunk);
            if is_file && buf.len() > max_file {
                over = true;
                buf = vec![];
                file_error = Some(too_large.to_string());
                continue;
            }
            if !is_file {
                text_total += chunk.len();
                if text_total > MAX_TEXT {
                    return Err(AppError::BadRequest("The form is too large.".into()));
                }
            }
        }
        if is_file {
            let chosen = filename.as_deref().is_some_and(|n| !n.trim().is_empty());
            if buf.is_empty() && chosen && !over {
                // A file was chosen but holds nothing (browsers send an empty, unnamed part
                // when no file was chosen at all).
                file_error = Some(empty.to_string());
            }
            if !buf.is_empty() && file.is_none() {
                file = Some((filename.unwrap_or_default(), buf));
            }
        } else {
            fields.push((name, String::from_utf8_lossy(&buf).into_owned()));
        }
    }
    Ok(Upload {
        fields,
        file,
        file_error,
    })
}
