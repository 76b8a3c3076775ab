//! The JSON API under `/api/v1`. Authenticated with bearer tokens only (never the session cookie),
//! so it needs no CSRF token. Errors: `{"error": {"code", "message", "field"?}}`.

pub mod bank;
pub mod bank_io;
pub mod ce;
pub mod classes;
pub mod directory;
pub mod exams;
pub mod openapi;
pub mod study;
pub mod tokens;

use crate::error::AppError;
use crate::services::AppState;
use crate::services::accounts::{self, Account};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;

/// The account behind the request's `Authorization: Bearer …` token.
pub struct ApiUser(pub Account);

impl FromRequest for ApiUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let header = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
            let token = header
                .as_deref()
                .and_then(|h| {
                    h.strip_prefix("Bearer ")
                        .or_else(|| h.strip_prefix("bearer "))
                })
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or(AppError::Unauthorized)?
                .to_string();
            match accounts::authenticate_token(&state, token).await? {
                Some(a) => Ok(ApiUser(a)),
                None => Err(AppError::Unauthorized.into()),
            }
        })
    }
}

/// The API's routes, under one `/api/v1` scope: the router compares that prefix once and then
/// tries only the API's own routes (each route with a path parameter costs a regex match).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").configure(routes));
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(tokens::create)
        .service(tokens::list)
        .service(tokens::revoke)
        .service(tokens::me)
        .service(bank::list)
        .service(bank::stats)
        .service(bank::create)
        .service(bank::get_item)
        .service(bank::update)
        .service(bank::transition)
        .service(bank_io::start)
        .service(bank_io::get_import)
        .service(bank_io::confirm)
        .service(bank_io::discard)
        .service(bank_io::export)
        .service(directory::search)
        .service(directory::vocabulary)
        .service(directory::profile)
        .service(classes::list)
        .service(classes::join)
        .service(classes::gradebook)
        .service(classes::mine)
        .service(ce::credentials)
        .service(ce::add_credential)
        .service(ce::activities)
        .service(ce::add_activity)
        .service(ce::evaluation)
        .service(exams::start)
        .service(exams::list)
        .service(exams::current)
        .service(exams::answer)
        .service(exams::end)
        .service(exams::result)
        .service(exams::review)
        .service(study::overview)
        .service(study::start_session)
        .service(study::flag)
        .service(study::guessed)
        .service(study::decks)
        .service(study::next_card)
        .service(study::card)
        .service(study::rate)
        .service(study::settings)
        .service(study::save_settings)
        .service(openapi::document_route);
}
