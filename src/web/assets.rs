//! `/static/…` served from files embedded in the binary (read from disk in debug builds).

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct StaticFiles;

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[get("/static/{path:.*}")]
pub async fn file(path: web::Path<String>) -> HttpResponse {
    let path = path.into_inner();
    match StaticFiles::get(&path) {
        Some(f) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type(&path)))
            .insert_header((header::CACHE_CONTROL, super::middleware::immutable()))
            .body(f.data.into_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}

#[get("/favicon.ico")]
pub async fn favicon() -> HttpResponse {
    match StaticFiles::get("favicon.svg") {
        Some(f) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "image/svg+xml"))
            .body(f.data.into_owned()),
        None => HttpResponse::NotFound().finish(),
    }
}
