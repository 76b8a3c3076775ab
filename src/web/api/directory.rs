//! `/api/v1/therapists`: the public, read-only directory search (no token; limited per address).

use crate::domain::directory::{CONDITIONS, MODALITIES, POPULATIONS, TECHNIQUES};
use crate::error::{AppResult, ErrorBody};
use crate::services::AppState;
use crate::services::directory::{self as directory, ListingView, SearchInput, SearchResult};
use crate::web::ctx::client_ip;
use crate::web::pages::directory::allow_search;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

/// Published profiles near a ZIP code or city, filtered by need, nearest first
#[utoipa::path(
    context_path = "/api/v1",
    tag = "directory",
    security(()),
    params(SearchInput),
    responses(
        (status = 200, description = "Matching profiles, nearest first (at most 50)", body = SearchResult),
        (status = 400, description = "The place could not be found", body = ErrorBody),
        (status = 429, description = "Too many searches from this address in the last minute", body = ErrorBody),
    )
)]
#[get("/therapists")]
pub async fn search(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SearchInput>,
) -> AppResult<HttpResponse> {
    allow_search(&state, &client_ip(&req, state.settings.trust_forwarded_for))?;
    Ok(HttpResponse::Ok().json(directory::search(&state, query.into_inner()).await?))
}

#[derive(Serialize, ToSchema)]
pub struct Term {
    code: &'static str,
    label: &'static str,
}

/// The codes a search may filter by, with their labels.
#[derive(Serialize, ToSchema)]
pub struct Vocabulary {
    techniques: Vec<Term>,
    modalities: Vec<Term>,
    conditions: Vec<Term>,
    populations: Vec<Term>,
    radii_miles: Vec<u32>,
}

fn terms(list: &[(&'static str, &'static str)]) -> Vec<Term> {
    list.iter()
        .map(|(code, label)| Term { code, label })
        .collect()
}

/// The techniques, modalities, conditions and populations a search may filter by
#[utoipa::path(
    context_path = "/api/v1",
    tag = "directory",
    security(()),
    responses((status = 200, description = "Codes and labels", body = Vocabulary))
)]
#[get("/therapists/vocabulary")]
pub async fn vocabulary() -> HttpResponse {
    HttpResponse::Ok().json(Vocabulary {
        techniques: terms(TECHNIQUES),
        modalities: terms(MODALITIES),
        conditions: terms(CONDITIONS),
        populations: terms(POPULATIONS),
        radii_miles: crate::domain::directory::RADII.to_vec(),
    })
}

/// One published profile
#[utoipa::path(
    context_path = "/api/v1",
    tag = "directory",
    security(()),
    params(("slug" = String, Path, description = "The profile's address")),
    responses(
        (status = 200, description = "The profile, with its verified credentials", body = ListingView),
        (status = 404, description = "No published profile at this address", body = ErrorBody),
        (status = 429, description = "Too many requests from this address in the last minute", body = ErrorBody),
    )
)]
#[get("/therapists/{slug}")]
pub async fn profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    allow_search(&state, &client_ip(&req, state.settings.trust_forwarded_for))?;
    Ok(HttpResponse::Ok().json(directory::profile(&state, path.into_inner()).await?))
}
