//! Cross-cutting request handling: CSRF checks on every state-changing form, error pages in the site
//! layout, and security headers.

use super::ctx::layout_model;
use super::session;
use crate::error::ErrorPage;
use crate::services::AppState;
use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{Error, HttpMessage, HttpResponse, web};
use subtle::ConstantTimeEq;

pub const CSRF_FIELD: &str = "_csrf";

/// Security headers on every response. The CSP allows no inline script and nothing off-site.
/// Behind HTTPS (`cookie_secure`), HSTS tells browsers to use nothing else for a year.
pub fn security_headers(https: bool) -> DefaultHeaders {
    let headers = if https {
        DefaultHeaders::new().add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        DefaultHeaders::new()
    };
    headers
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Referrer-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Every POST/PUT/PATCH/DELETE outside `/api/` must carry the session's CSRF token: in the
/// `_csrf` form field, the `X-CSRF-Token` header, or the `_csrf` query parameter (multipart forms).
/// The API is exempt because it authenticates with bearer tokens, never with the cookie.
pub async fn csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if !is_unsafe(req.method()) || req.path().starts_with("/api/") {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let expected = session::stored_csrf(&req.get_session());
    let mut provided: Option<String> = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if provided.is_none() {
        provided = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
            .ok()
            .and_then(|q| q.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let bytes = match req.extract::<web::Bytes>().await {
            Ok(b) => b,
            Err(e) => {
                tracing::debug!(error = %e, "form body not read");
                let mut resp = HttpResponse::PayloadTooLarge().finish();
                resp.extensions_mut().insert(ErrorPage {
                    message: "The form is too large. Shorten what you entered and try again."
                        .into(),
                });
                return Ok(req.into_response(resp));
            }
        };
        if !form_is_utf8(&bytes) {
            // Text that is not UTF-8 would be stored as replacement characters: refuse it.
            let mut resp = HttpResponse::BadRequest().finish();
            resp.extensions_mut().insert(ErrorPage {
                message: "The form holds characters we cannot read as text. Check what you typed or pasted, and try again.".into(),
            });
            return Ok(req.into_response(resp));
        }
        if provided.is_none() {
            provided = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|f| f.into_iter().find(|(k, _)| k == CSRF_FIELD).map(|(_, v)| v));
        }
        req.set_payload(actix_web::dev::Payload::from(bytes));
    }
    let ok = match (expected, provided) {
        (Some(e), Some(p)) => e.as_bytes().ct_eq(p.as_bytes()).into(),
        _ => false,
    };
    if !ok {
        tracing::warn!(path = req.path(), "CSRF check failed");
        let mut resp = HttpResponse::Forbidden().finish();
        resp.extensions_mut().insert(ErrorPage {
            message: "This form has expired or did not come from Palpate. Go back, reload the page and try again.".into(),
        });
        return Ok(req.into_response(resp));
    }
    next.call(req).await.map(|r| r.map_into_boxed_body())
}

/// Does a URL-encoded form decode to UTF-8 text (after `%XX` and `+`)?
pub fn form_is_utf8(body: &[u8]) -> bool {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'%' if i + 2 < body.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(body[i + 1]), hex(body[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    std::str::from_utf8(&out).is_ok()
}

fn default_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "The request could not be understood. Check what you entered and try again.",
        401 => "Please log in to continue.",
        403 => "You do not have access to this page.",
        404 => "We could not find that page.",
        405 => "That action is not available here.",
        410 => "This link is no longer valid.",
        413 => "That upload is too large.",
        422 => "Please correct what you entered.",
        429 => "Too many attempts. Please wait a little and try again.",
        _ => "Something went wrong on our side. It has been logged; please try again.",
    }
}

/// Turns error responses into pages: HTML in the site layout, or the JSON error shape under `/api/`.
/// A 401 on an HTML page redirects to the log-in page and comes back afterwards.
pub async fn error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_api = req.path().starts_with("/api/");
    // Load-balancer probes answer in JSON, also when they fail.
    let is_probe = matches!(req.path(), "/readyz" | "/healthz");
    let method = req.method().clone();
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let request_id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(|r| r.to_string());
    let mut res = next.call(req).await?;
    let status = res.status();
    if status == StatusCode::TOO_MANY_REQUESTS && !res.headers().contains_key(header::RETRY_AFTER) {
        // Every 429 says when to come back: limits count attempts in a sliding window.
        let seconds = res
            .request()
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.rate_limits.window_minutes.max(1) * 60)
            .unwrap_or(900);
        if let Ok(v) = header::HeaderValue::from_str(&seconds.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    if !(status.is_client_error() || status.is_server_error()) || is_probe {
        return Ok(res.map_into_boxed_body());
    }
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        // Already a page (a form re-rendered with its errors).
        return Ok(res.map_into_boxed_body());
    }
    let error_message = res
        .response()
        .extensions()
        .get::<ErrorPage>()
        .map(|e| e.message.clone());
    let from_error = res.response().error().map(|e| e.to_string());
    let (req, res) = res.into_parts();
    if is_api {
        let has_json = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if has_json {
            return Ok(ServiceResponse::new(req, res.map_into_boxed_body()));
        }
        let code = match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            413 => "too_large",
            429 => "rate_limited",
            s if s >= 500 => "internal",
            _ => "error",
        };
        let message = error_message
            .or(from_error.filter(|_| status.is_client_error()))
            .unwrap_or_else(|| default_message(status).to_string());
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        let new = HttpResponse::build(status).json(body);
        return Ok(ServiceResponse::new(req, new));
    }
    if status == StatusCode::UNAUTHORIZED && method == Method::GET {
        let target = format!("/login?next={}", urlencode(&path_and_query));
        let new = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, target))
            .finish();
        return Ok(ServiceResponse::new(req, new));
    }
    // People read only Palpate's own sentences: a framework's error text (a bad query string, a
    // body over the limit, a malformed upload) becomes the plain message for its status.
    let message = if status.is_server_error() {
        default_message(status).to_string()
    } else {
        error_message.unwrap_or_else(|| default_message(status).to_string())
    };
    drop(from_error);
    let page = render_error_page(&req, status, &message, request_id.as_deref());
    let mut new = HttpResponse::build(status);
    new.content_type(header::ContentType::html());
    for (name, value) in res.headers() {
        if name == header::WWW_AUTHENTICATE || name == header::RETRY_AFTER {
            new.insert_header((name.clone(), value.clone()));
        }
    }
    Ok(ServiceResponse::new(req, new.body(page)))
}

fn render_error_page(
    req: &actix_web::HttpRequest,
    status: StatusCode,
    message: &str,
    request_id: Option<&str>,
) -> String {
    let fallback = format!(
        "<!doctype html><title>{}</title><p>{}</p>",
        status.as_u16(),
        html_escape(message)
    );
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return fallback;
    };
    let session = req.get_session();
    let signed_in = session::user_id(&session).is_some();
    let csrf = session::stored_csrf(&session).unwrap_or_default();
    let title = match status.as_u16() {
        403 => "Access denied",
        404 => "Page not found",
        s if s >= 500 => "Server error",
        _ => "Something is not right",
    };
    let mut layout = layout_model(None, &csrf, req.path(), title, vec![]);
    layout["support_email"] = serde_json::json!(state.settings.support_email);
    layout["signed_in"] = serde_json::json!(signed_in);
    if signed_in {
        layout["nav"] = serde_json::json!([
            {"href": "/dashboard", "label": "Dashboard", "current": false},
            {"href": "/account", "label": "Account", "current": false}
        ]);
    }
    let model = serde_json::json!({
        "layout": layout,
        "status": status.as_u16(),
        "title": title,
        "message": message,
        "request_id": request_id,
        "server_error": status.is_server_error(),
    });
    state.views.html("pages/error", &model).unwrap_or(fallback)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)])
        .map(|e| e[2..].to_string())
        .unwrap_or_default()
}

/// `Cache-Control` for static assets.
pub fn immutable() -> HeaderValue {
    HeaderValue::from_static("public, max-age=3600")
}

#[cfg(test)]
mod form_tests {
    #[test]
    fn forms_must_be_utf8_text() {
        assert!(super::form_is_utf8(b"name=Jos%C3%A9+Mar%C3%ADa&x=1"));
        assert!(super::form_is_utf8(b"a=100%25&b=%"));
        assert!(!super::form_is_utf8(b"name=Jos%E9"));
        assert!(!super::form_is_utf8(b"name=%FF%FE"));
        assert!(!super::form_is_utf8(&[b'a', b'=', 0xff]));
    }
}
