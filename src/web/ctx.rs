//! Request context for HTML pages: the signed-in account (if any), the CSRF token and flash messages,
//! plus the page renderer that wraps every page in the site layout.

use super::session;
use crate::domain::accounts::Role;
use crate::error::{AppError, AppResult};
use crate::services::AppState;
use crate::services::accounts::Account;
use actix_session::{Session, SessionExt};
use actix_web::http::header::ContentType;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

pub struct Ctx {
    pub state: web::Data<AppState>,
    pub session: Session,
    pub user: Option<Account>,
    pub path: String,
    pub ip: String,
}

impl Ctx {
    /// The signed-in account, or 401 (which the error middleware turns into a redirect to /login).
    pub fn user(&self) -> AppResult<&Account> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }

    /// The signed-in account holding `role`, or 401/403.
    pub fn require(&self, role: Role) -> AppResult<&Account> {
        let u = self.user()?;
        u.require(role)?;
        Ok(u)
    }

    pub fn flash(&self, kind: &str, message: &str) {
        session::flash(&self.session, kind, message);
    }

    /// Renders `pages/<template>` inside the layout. `data` is the page's own view model.
    pub fn render(&self, template: &str, title: &str, data: Value) -> AppResult<HttpResponse> {
        self.render_status(actix_web::http::StatusCode::OK, template, title, data)
    }

    pub fn render_status(
        &self,
        status: actix_web::http::StatusCode,
        template: &str,
        title: &str,
        data: Value,
    ) -> AppResult<HttpResponse> {
        let csrf = session::csrf_token(&self.session);
        let flashes = session::take_flashes(&self.session);
        let layout = layout_model(self.user.as_ref(), &csrf, &self.path, title, flashes);
        let mut model = match data {
            Value::Object(m) => Value::Object(m),
            Value::Null => json!({}),
            other => json!({ "data": other }),
        };
        model["layout"] = layout;
        model["layout"]["support_email"] = json!(self.state.settings.support_email);
        // A page that search engines should index names its canonical path and a description.
        if let Some(path) = model.get("canonical").and_then(Value::as_str) {
            model["layout"]["canonical"] = json!(self.state.url(path));
        }
        if let Some(d) = model.get("description").cloned() {
            model["layout"]["description"] = d;
        }
        model["csrf"] = json!(csrf);
        let html = self
            .state
            .views
            .html(&format!("pages/{template}"), &model)
            .map_err(AppError::internal)?;
        Ok(HttpResponse::build(status)
            .content_type(ContentType::html())
            .insert_header(("Cache-Control", "no-store"))
            .body(html))
    }
}

/// The model every page's layout reads: title, navigation by role, flashes.
pub fn layout_model(
    user: Option<&Account>,
    csrf: &str,
    path: &str,
    title: &str,
    flashes: Vec<session::Flash>,
) -> Value {
    let mut nav = vec![];
    let mut push = |href: &str, label: &str| {
        let current = path == href || (href != "/" && path.starts_with(href));
        nav.push(json!({ "href": href, "label": label, "current": current }));
    };
    match user {
        Some(u) => {
            push("/dashboard", "Dashboard");
            if u.has(Role::Student) {
                push("/exams", "Practice");
                push("/study", "Study");
            }
            if u.has(Role::Student) || u.has(Role::Instructor) {
                push("/classes", "Classes");
            }
            if u.has(Role::Practitioner) {
                push("/ce", "CE credits");
                push("/directory", "Directory profile");
            }
            if u.has(Role::Instructor) {
                push("/bank", "Question bank");
            }
            if u.has(Role::Admin) {
                push("/admin/users", "Users");
                push("/admin/directory", "Directory review");
            }
            push("/account", "Account");
        }
        None => {
            push("/", "Home");
            push("/therapists", "Find a therapist");
            push("/login", "Log in");
            push("/signup", "Sign up");
        }
    }
    json!({
        "title": title,
        "nav": nav,
        "signed_in": user.is_some(),
        "user_name": user.map(|u| u.name.clone()),
        "csrf": csrf,
        "flashes": flashes,
        "year": time::OffsetDateTime::now_utc().year(),
        "canonical": null,
        "description": null,
        "support_email": null,
    })
}

/// The client's address for rate limiting: the peer, or the first `X-Forwarded-For` hop when the
/// operator said a trusted proxy sits in front.
pub fn client_ip(req: &HttpRequest, trust_forwarded: bool) -> String {
    if trust_forwarded
        && let Some(v) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = v.split(',').next()
    {
        return first.trim().to_string();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl FromRequest for Ctx {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let path = req.path().to_string();
        let ip = state
            .as_ref()
            .map(|s| client_ip(req, s.settings.trust_forwarded_for))
            .unwrap_or_default();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?;
            let user = match session::user_id(&session) {
                Some((uid, sv, sid)) => {
                    let account =
                        crate::services::accounts::authenticate_session(&state, uid, sv, sid)
                            .await?;
                    match account {
                        Some(a) => Some(a),
                        _ => {
                            // Logged out, password changed, logged out everywhere, or deactivated:
                            // this cookie is done.
                            session::log_out(&session);
                            None
                        }
                    }
                }
                None => None,
            };
            Ok(Ctx {
                state,
                session,
                user,
                path,
                ip,
            })
        })
    }
}
