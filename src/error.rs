//! One error type for the HTTP edge, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers and repositories return [`ApiError`]; the request middleware renders it in the
//! caller's language with the request id. Internal causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::i18n::{self, Lang};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client should wait before retrying when the database is unavailable.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// One invalid field: `field` is a JSON Pointer into the request (or the query parameter).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }
}

/// A 4xx answer with a stable code.
#[derive(Debug)]
pub struct ClientError {
    pub status: StatusCode,
    pub code: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{} {}", .0.status, .0.code)]
    Client(Box<ClientError>),
    /// The database cannot be reached, or is locked, right now: 503 with `Retry-After`.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn client(status: StatusCode, code: &'static str) -> Self {
        ApiError::Client(Box::new(ClientError {
            status,
            code,
            args: Vec::new(),
            errors: Vec::new(),
            retry_after: None,
        }))
    }

    pub fn bad_request(code: &'static str) -> Self {
        Self::client(StatusCode::BAD_REQUEST, code)
    }
    pub fn unauthenticated(code: &'static str) -> Self {
        Self::client(StatusCode::UNAUTHORIZED, code)
    }
    pub fn forbidden() -> Self {
        Self::client(StatusCode::FORBIDDEN, "action_forbidden")
    }
    pub fn not_found(code: &'static str) -> Self {
        Self::client(StatusCode::NOT_FOUND, code)
    }
    pub fn conflict(code: &'static str) -> Self {
        Self::client(StatusCode::CONFLICT, code)
    }
    pub fn unprocessable(code: &'static str) -> Self {
        Self::client(StatusCode::UNPROCESSABLE_ENTITY, code)
    }
    pub fn too_many(retry_after: u64) -> Self {
        Self::client(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
            .arg("retry_after", retry_after)
            .retry_after(retry_after)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::unprocessable("validation_failed");
        if let ApiError::Client(c) = &mut e {
            c.errors = errors;
        }
        e
    }
    pub fn field(field: impl Into<String>, code: &'static str) -> Self {
        Self::validation(vec![FieldError::new(field, code)])
    }
    /// Names the field a client error is about (a problem with its own code may carry them too).
    pub fn with_field(mut self, field: impl Into<String>, code: &'static str) -> Self {
        if let ApiError::Client(c) = &mut self {
            c.errors.push(FieldError::new(field, code));
        }
        self
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        ApiError::Internal(anyhow::anyhow!("{message}"))
    }

    /// Adds a `{name}` argument to the detail text.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        if let ApiError::Client(c) = &mut self {
            c.args.push((name, value.to_string()));
        }
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let ApiError::Client(c) = &mut self {
            c.retry_after = Some(seconds);
        }
        self
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Client(c) => c.code,
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Client(c) => c.status,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document in `lang`, carrying `request_id`.
    pub fn to_problem(&self, lang: Lang, request_id: &str) -> Problem {
        let code = self.code();
        let ((title_vi, title_en), (detail_vi, detail_en)) = i18n::problem_text(code);
        let mut args: Vec<(&'static str, String)> = vec![
            ("code", code.to_string()),
            ("request_id", request_id.to_string()),
        ];
        let mut errors = Vec::new();
        match self {
            ApiError::Client(c) => {
                args.extend(c.args.iter().cloned());
                errors = c
                    .errors
                    .iter()
                    .map(|f| {
                        let (vi, en) = i18n::field_text(f.code);
                        let mut fargs = f.args.clone();
                        fargs.push(("code", f.code.to_string()));
                        ProblemField {
                            field: f.field.clone(),
                            code: f.code.to_string(),
                            message: i18n::fill(lang.pick(vi, en), &fargs),
                        }
                    })
                    .collect();
            }
            ApiError::Unavailable(_) => {
                args.push(("retry_after", UNAVAILABLE_RETRY_AFTER.to_string()));
            }
            ApiError::Internal(_) => {}
        }
        Problem {
            r#type: format!("urn:nghedan:problem:{code}"),
            title: lang.pick(title_vi, title_en).to_string(),
            status: self.status().as_u16(),
            detail: i18n::fill(lang.pick(detail_vi, detail_en), &args),
            code: code.to_string(),
            request_id: request_id.to_string(),
            errors,
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::Client(c) => c.retry_after,
            ApiError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER),
            ApiError::Internal(_) => None,
        }
    }

    /// The full response, in `lang`, with `request_id`.
    pub fn render(&self, lang: Lang, request_id: &str) -> HttpResponse {
        let problem = self.to_problem(lang, request_id);
        let mut res = HttpResponse::build(self.status());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        res.insert_header((header::CONTENT_LANGUAGE, lang.as_str()));
        if let Some(secs) = self.retry_after_secs() {
            res.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        res.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    /// Rendered again by the request middleware with the caller's language and request id.
    fn error_response(&self) -> HttpResponse {
        self.render(Lang::Vi, "")
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            ApiError::Unavailable(e.to_string())
        } else if crate::db::is_lock_timeout(&e) {
            ApiError::conflict("concurrent_update")
                .arg("retry_after", 1)
                .retry_after(1)
        } else {
            ApiError::Internal(anyhow::Error::new(e).context("database"))
        }
    }
}

impl From<r2d2::Error> for ApiError {
    fn from(e: r2d2::Error) -> Self {
        ApiError::Unavailable(format!("no database connection: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(format!("blocking task failed: {e}"))
    }
}

/// RFC 9457 problem details with nghedan's `code`, `request_id` and per-field `errors`.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem: `urn:nghedan:problem:{code}`.
    #[serde(rename = "type")]
    pub r#type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    pub request_id: String,
    /// Present for `validation_failed`: one entry per invalid field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProblemField {
    /// JSON Pointer to the field in the request body (or the query parameter's name).
    pub field: String,
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_localised_and_carry_the_request_id() {
        let e = ApiError::validation(vec![FieldError::new("/title", "too_long").arg("max", 200)]);
        let vi = e.to_problem(Lang::Vi, "r1");
        let en = e.to_problem(Lang::En, "r1");
        assert_eq!(vi.status, 422);
        assert_eq!(vi.code, "validation_failed");
        assert_eq!(vi.request_id, "r1");
        assert_eq!(en.title, "Validation failed");
        assert_eq!(en.errors[0].message, "At most 200 characters.");
        assert_eq!(vi.errors[0].message, "Tối đa 200 ký tự.");
        assert_eq!(vi.r#type, "urn:nghedan:problem:validation_failed");
    }

    #[test]
    fn internal_errors_never_show_their_cause() {
        let e = ApiError::internal("password=hunter2 in SQL");
        let p = e.to_problem(Lang::En, "abc");
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("hunter2"));
        assert!(p.detail.contains("abc"));
    }
}
