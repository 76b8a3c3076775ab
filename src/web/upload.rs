//! Reads a multipart form with at most one file, with limits, into memory.

use crate::error::{AppError, AppResult};
use actix_multipart::Multipart;
use futures_util::StreamExt;

pub struct Upload {
    pub fields: Vec<(String, String)>,
    /// (file name as sent, bytes) of the first non-empty file field.
    pub file: Option<(String, Vec<u8>)>,
}

const MAX_TEXT: usize = 64 * 1024;

/// Reads every part. A file over `max_file` bytes stops the read with a clear message.
pub async fn read(mut payload: Multipart, file_field: &str, max_file: usize) -> AppResult<Upload> {
    let mut fields = vec![];
    let mut file = None;
    let mut text_total = 0usize;
    while let Some(item) = payload.next().await {
        let mut part =
            item.map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
        let name = part.name().unwrap_or("").to_string();
        let filename = part
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_string);
        let is_file = name == file_field && filename.is_some();
        let mut buf: Vec<u8> = vec![];
        while let Some(chunk) = part.next().await {
            let chunk = chunk
                .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
            buf.extend_from_slice(&chunk);
            if is_file && buf.len() > max_file {
                return Err(AppError::invalid(
                    file_field,
                    "The file is larger than 10 MB. Upload a smaller scan or a PDF.",
                ));
            }
            if !is_file {
                text_total += chunk.len();
                if text_total > MAX_TEXT {
                    return Err(AppError::BadRequest("The form is too large.".into()));
                }
            }
        }
        if is_file {
            if !buf.is_empty() && file.is_none() {
                file = Some((filename.unwrap_or_default(), buf));
            }
        } else {
            fields.push((name, String::from_utf8_lossy(&buf).into_owned()));
        }
    }
    Ok(Upload { fields, file })
}
