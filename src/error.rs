//! One error type for the whole service. Each kind maps to an HTTP status; HTML routes render the
//! error page in the site layout, `/api/` routes answer `{"error": {"code", "message", "field"?}}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Several fields of a form are wrong; the form is re-rendered with each message by its field.
    #[error("Please correct the highlighted fields.")]
    Fields(FieldErrors),
    #[error("Please log in to continue.")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    RateLimited(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// The body of every error the JSON API returns.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// What kind of error: `bad_request`, `unauthorized`, `forbidden`, `invalid`, `not_found`, `conflict`, `gone`,
    /// `rate_limited`, `internal`.
    pub code: &'static str,
    /// A plain sentence for the person.
    pub message: String,
    /// The first field the error is about, if any.
    pub field: Option<String>,
    /// Every field with an error and its message (form submissions with several errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}

/// Messages by form field, in field order of insertion.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct FieldErrors(pub std::collections::BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Err(AppError::Fields)` when any message was added.
    pub fn into_result(self) -> AppResult<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Fields(self))
        }
    }
}

impl AppError {
    pub fn internal(e: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(e.into())
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn forbidden() -> AppError {
        AppError::Forbidden("You do not have access to this page.".into())
    }

    pub fn not_found() -> AppError {
        AppError::NotFound("We could not find that page.".into())
    }

    /// Stable machine-readable code for the JSON API.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Invalid { .. } | AppError::Fields(_) => "invalid",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Gone(_) => "gone",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => Some(field),
            AppError::Fields(f) => f.0.keys().next().map(|k| k.as_str()),
            _ => None,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found(),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(e: r2d2_error::PoolError) -> Self {
        AppError::Internal(anyhow::anyhow!("database pool: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}

/// What the error-page middleware needs to render an HTML page for an error response.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    pub message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) | AppError::Invalid { .. } => StatusCode::BAD_REQUEST,
            AppError::Fields(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A bare response carrying the message; `web::middleware::error_pages` turns it into an HTML page
    /// in the site layout (or JSON under `/api/`).
    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(e) = self {
            tracing::error!(error = ?e, "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        if matches!(self, AppError::Unauthorized) {
            resp.insert_header(("WWW-Authenticate", "Bearer"));
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: self.field().map(str::to_string),
                fields: match self {
                    AppError::Fields(f) => Some(f.0.clone()),
                    _ => None,
                },
            },
        };
        let mut resp = resp.json(body);
        resp.extensions_mut().insert(ErrorPage {
            message: self.to_string(),
        });
        resp
    }
}
