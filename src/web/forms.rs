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

/// A private calendar feed's address, `<user id>-<key>`: the person and the key. Anything else is
/// the same [`no_such_calendar`] as a wrong key, so an address reveals nothing.
pub fn calendar_feed(feed: &str) -> AppResult<(i64, &str)> {
    let (uid, key) = feed.split_once('-').ok_or_else(no_such_calendar)?;
    Ok((uid.parse().map_err(|_| no_such_calendar())?, key))
}

/// The answer to a calendar address that is malformed or whose key is not the current one.
pub fn no_such_calendar() -> AppError {
    AppError::NotFound("No such calendar.".into())
}

/// An iCalendar feed's response (personal: never kept by a cache).
pub fn ics(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/calendar; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body)
}

/// A redirect target from a `next` parameter, only if it stays on this site.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    // As a browser reads it (the URL standard): leading and trailing C0 controls and spaces are
    // stripped, tabs and newlines removed anywhere, and `\` counts as `/`.
    let cleaned: String = next?
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    if cleaned.chars().any(char::is_control) {
        return None;
    }
    let b = cleaned.as_bytes();
    // Only a path on this site: "/x", never "//host" or "/\\host" (both mean another host).
    if b.first() != Some(&b'/') || matches!(b.get(1), Some(b'/' | b'\\')) || cleaned.contains("://")
    {
        return None;
    }
    // A header-safe Location: anything outside visible ASCII is percent-encoded.
    let mut out = String::with_capacity(cleaned.len());
    for ch in cleaned.chars() {
        if ch.is_ascii_graphic() {
            out.push(ch);
        } else {
            let mut buf = [0u8; 4];
            for byte in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    Some(out)
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

/// A stored file sent as a private download under its (already safe) name.
pub fn private_download(name: String, mime: String, bytes: Vec<u8>) -> HttpResponse {
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
}

/// "on" / "true" / "1" from a checkbox.
pub fn checked(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("on" | "true" | "1" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_path_on_this_site_only() {
        assert_eq!(safe_next(Some("/ce?x=1")).as_deref(), Some("/ce?x=1"));
        assert_eq!(safe_next(Some(" /exams ")).as_deref(), Some("/exams"));
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\t//evil.example",
            "/\r\n/evil.example",
            "https://evil.example",
            "evil.example",
            "/x\u{7}y",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), None, "{evil:?}");
        }
        // newlines inside a path are dropped, never passed into the Location header
        assert_eq!(
            safe_next(Some("/ce\r\nSet-Cookie: x=1")).as_deref(),
            Some("/ceSet-Cookie:%20x=1")
        );
        assert_eq!(safe_next(Some("/cé")).as_deref(), Some("/c%C3%A9"));
    }
}
