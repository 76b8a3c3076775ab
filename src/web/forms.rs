//! Small helpers shared by the HTML form handlers.

use crate::error::{AppError, AppResult, FieldErrors};
use actix_web::HttpResponse;
use actix_web::http::header;

/// 303 to `to` (after a successful POST).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_string()))
        .finish()
}

/// A redirect target from a `next` parameter, only if it stays on this site.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    (n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") && !n.contains("://"))
        .then(|| n.to_string())
}

/// Splits a service result for a form handler: field errors come back as data to re-render with,
/// anything else stays an error.
pub fn field_errors<T>(r: AppResult<T>) -> AppResult<Result<T, FieldErrors>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Fields(f)) => Ok(Err(f)),
        Err(AppError::Invalid { field, message }) => {
            let mut f = FieldErrors::default();
            f.add(&field, message);
            Ok(Err(f))
        }
        Err(e) => Err(e),
    }
}

/// "on" / "true" / "1" from a checkbox.
pub fn checked(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("on" | "true" | "1" | "yes"))
}
