//! The staff web console under `/console/`: server-rendered HTML (askama) over the same
//! `workflow` and `domain` functions as the API — one definition of who may see and do what.
//! Pages work without JavaScript; `console.js` only improves them.
//!
//! Sessions are the API's: signing in starts a refresh-token family whose token is kept in an
//! HttpOnly, SameSite=Lax cookie (Secure when `public_url` is https); signing out, a password
//! change or reset, and disabling the account end it. Every form that changes something carries
//! an anti-forgery token derived from the session; a POST without a valid one is refused (403)
//! before anything is read or written.

mod admin;
mod charts;
mod desk;
mod inbox;
mod reports;
mod session;
mod settings;
mod ticket;
pub mod words;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

use crate::api::error::ApiError;
use crate::domain::account::Role;
use crate::i18n::Lang;
use crate::state::AppState;

pub use session::Staff;
use words::Words;

/// The console's routes (HTML: not in the OpenAPI document).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(actix_web::middleware::from_fn(session::remember_lang))
            .route("/static/{file}", web::get().to(asset))
            .route("/login", web::get().to(session::login_page))
            .route("/login", web::post().to(session::login))
            .route("/logout", web::post().to(session::logout))
            .route("", web::get().to(inbox::page))
            .route("/", web::get().to(inbox::page))
            // Desk intake (before `/tickets/{code}`, which would take `new`).
            .route("/tickets/new", web::get().to(desk::page))
            .route("/tickets/new", web::post().to(desk::submit))
            .route("/tickets/{code}", web::get().to(ticket::page))
            .route("/tickets/{code}/identity", web::post().to(ticket::reveal))
            .route("/tickets/{code}/comments", web::post().to(ticket::comment))
            .route("/tickets/{code}/{action}", web::post().to(ticket::act))
            // settings: my notification preferences and password.
            .route("/settings", web::get().to(settings::page))
            .route("/settings", web::post().to(settings::save))
            .route("/settings/password", web::post().to(settings::password))
            .route("/attachments/{id}", web::get().to(ticket::attachment))
            .route(
                "/attachments/{id}/thumbnail",
                web::get().to(ticket::thumbnail),
            )
            // reports: the supervision page, its CSV and the supervisors' notes.
            .route("/reports", web::get().to(reports::page))
            .route("/reports/response-times.csv", web::get().to(reports::csv))
            .route("/reports/supervision", web::post().to(reports::write))
            // admin: the administration pages, administrators only.
            .configure(admin::routes),
    );
}

/// The stylesheet and the script, served from the binary: nothing loads from elsewhere.
async fn asset(path: web::Path<String>) -> HttpResponse {
    let (body, mime) = match path.as_str() {
        "console.css" => (
            include_str!("../../assets/console/console.css"),
            "text/css; charset=utf-8",
        ),
        "console.js" => (
            include_str!("../../assets/console/console.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, mime))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// What every page shows around its content: the top bar (unit, person, language switch),
/// the menu, and the anti-forgery token of its forms.
pub struct Frame {
    pub t: Words,
    pub title: String,
    pub person: String,
    pub unit: String,
    pub role: Role,
    pub csrf: String,
    /// The menu item of this page.
    pub here: &'static str,
    /// This page's path and query, for the language switch.
    pub path: String,
    /// A message at the top of the page (a refused action, "done").
    pub notice: Option<Notice>,
}

/// A message shown at the top of a page.
pub struct Notice {
    pub error: bool,
    pub text: String,
}

impl Frame {
    pub fn is_official(&self) -> bool {
        self.role == Role::Official
    }
    pub fn oversees(&self) -> bool {
        matches!(self.role, Role::Supervisor | Role::Admin)
    }
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
    pub fn role_word(&self) -> &'static str {
        match self.role {
            Role::Official => self.t.get("official"),
            Role::Supervisor => self.t.get("supervisor"),
            Role::Admin => self.t.get("admin_role"),
            Role::Citizen => self.t.get("citizen"),
        }
    }
    /// The link that shows this page in the other language.
    pub fn other_lang_href(&self) -> String {
        let other = match self.t.0 {
            Lang::Vi => "en",
            Lang::En => "vi",
        };
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}lang={other}", self.path)
    }
    pub fn other_lang(&self) -> &'static str {
        match self.t.0 {
            Lang::Vi => "English",
            Lang::En => "Tiếng Việt",
        }
    }
}

/// Renders a page as HTML with `status`.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "console template failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A redirect after a POST (303, so the browser follows with a GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/console/")),
        ))
        .finish()
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    t: Words,
    heading: &'static str,
    text: String,
}

/// Why a console request ends without its page: sign in first, staff only, a refused form, or
/// a problem a use case answered with.
#[derive(Debug)]
pub enum Reply {
    /// Not signed in (or the session ended): to the sign-in page, back here after.
    SignIn { next: String },
    /// A citizen signed in: the console is for staff.
    StaffOnly(Lang),
    /// A form without a valid anti-forgery token: refused, nothing changed.
    Forged(Lang),
    /// A problem, in the page's language.
    Problem(Lang, ApiError),
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::SignIn { .. } => write!(f, "sign in"),
            Reply::StaffOnly(_) => write!(f, "staff only"),
            Reply::Forged(_) => write!(f, "forged form"),
            Reply::Problem(_, e) => write!(f, "{e}"),
        }
    }
}

impl ResponseError for Reply {
    fn status_code(&self) -> StatusCode {
        match self {
            Reply::SignIn { .. } => StatusCode::SEE_OTHER,
            Reply::StaffOnly(_) | Reply::Forged(_) => StatusCode::FORBIDDEN,
            Reply::Problem(_, e) => e.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Reply::SignIn { next } => {
                see_other(&format!("/console/login?next={}", urlencode(next)))
            }
            Reply::StaffOnly(lang) => {
                let t = Words(*lang);
                html(
                    StatusCode::FORBIDDEN,
                    &MessagePage {
                        t,
                        heading: t.get("forbidden"),
                        text: t.get("staff_only").to_string(),
                    },
                )
            }
            Reply::Forged(lang) => {
                let t = Words(*lang);
                html(
                    StatusCode::FORBIDDEN,
                    &MessagePage {
                        t,
                        heading: t.get("forbidden"),
                        text: t.get("csrf_refused").to_string(),
                    },
                )
            }
            Reply::Problem(lang, e) => {
                if let crate::error::AppError::Internal(cause) = e.error() {
                    tracing::error!(error = format!("{cause:#}"), "console: internal error");
                }
                let t = Words(*lang);
                let p = e.to_problem(*lang, "");
                let heading = match e.status() {
                    StatusCode::NOT_FOUND => t.get("not_found"),
                    StatusCode::FORBIDDEN => t.get("forbidden"),
                    _ => t.get("error"),
                };
                html(
                    e.status(),
                    &MessagePage {
                        t,
                        heading,
                        text: p.detail,
                    },
                )
            }
        }
    }
}

/// Turns any error of the layers below into a page in `lang`.
pub fn problem(lang: Lang) -> impl Fn(ApiError) -> Reply {
    move |e| Reply::Problem(lang, e)
}

/// The text of a problem for the top of a page: its detail and each field's message.
pub fn problem_text(lang: Lang, e: &ApiError) -> String {
    let p = e.to_problem(lang, "");
    let mut text = p.detail;
    for f in p.errors {
        text.push_str(&format!(" {}", f.message));
    }
    text
}

/// A choice of a select, and whether it is the chosen one.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The choices of a select from (value, label) pairs, `chosen` selected.
pub fn choices(values: &[(&str, String)], chosen: Option<&str>) -> Vec<Choice> {
    values
        .iter()
        .map(|(v, label)| Choice {
            value: v.to_string(),
            label: label.clone(),
            selected: chosen == Some(*v),
        })
        .collect()
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Runs database work for a page: errors become the page's problem.
pub async fn db<T, F>(state: &AppState, lang: Lang, f: F) -> Result<T, Reply>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    state.db(f).await.map_err(problem(lang))
}

/// [`db`] for reads that may lag a moment: the report pages (on `database.replica_url` when
/// set, see [`AppState::db_lagging`]).
pub async fn db_lagging<T, F>(state: &AppState, lang: Lang, f: F) -> Result<T, Reply>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    state.db_lagging(f).await.map_err(problem(lang))
}

/// The path and query of the request, for links back to it.
pub fn path_of(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    }
}
