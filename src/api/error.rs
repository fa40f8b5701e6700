//! The HTTP edge's error: an [`AppError`] (or a refusal only HTTP knows, such as a body too
//! large) rendered as RFC 9457 `application/problem+json` in the caller's language with the
//! request id. The request middleware renders it; internal causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::{AppError, FieldError, Reason, UNAVAILABLE_RETRY_AFTER};
use crate::i18n::{self, Lang};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An error on its way to the client: the use case's error, and the HTTP status when it is
/// not the one its reason implies (a framework's 405, 413, 415, 431).
#[derive(Debug)]
pub struct ApiError {
    error: AppError,
    status: Option<StatusCode>,
    /// `app_upgrade_required`: where to get a newer app.
    store_url: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status(), self.error)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError {
            error,
            status: None,
            store_url: None,
        }
    }
}

/// Errors below the use cases reach the edge as the use cases' error would.
macro_rules! through_app_error {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                AppError::from(e).into()
            }
        }
    )*};
}

through_app_error!(
    diesel::result::Error,
    crate::db::Error,
    r2d2::Error,
    actix_web::error::BlockingError,
    crate::auth::HashingError
);

/// The status a refusal's reason answers with.
fn status_of(reason: Reason) -> StatusCode {
    match reason {
        Reason::BadRequest => StatusCode::BAD_REQUEST,
        Reason::Unauthenticated => StatusCode::UNAUTHORIZED,
        Reason::Forbidden => StatusCode::FORBIDDEN,
        Reason::NotFound => StatusCode::NOT_FOUND,
        Reason::Conflict => StatusCode::CONFLICT,
        Reason::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Reason::TooMany => StatusCode::TOO_MANY_REQUESTS,
        Reason::Stale => StatusCode::PRECONDITION_FAILED,
    }
}

impl ApiError {
    /// A refusal that only HTTP has a word for (`status` a 4xx).
    pub fn client(status: StatusCode, code: &'static str) -> Self {
        ApiError {
            error: AppError::bad_request(code),
            status: Some(status),
            store_url: None,
        }
    }
    pub fn bad_request(code: &'static str) -> Self {
        AppError::bad_request(code).into()
    }
    pub fn unauthenticated(code: &'static str) -> Self {
        AppError::unauthenticated(code).into()
    }
    pub fn forbidden() -> Self {
        AppError::forbidden().into()
    }
    pub fn not_found(code: &'static str) -> Self {
        AppError::not_found(code).into()
    }
    pub fn conflict(code: &'static str) -> Self {
        AppError::conflict(code).into()
    }
    pub fn unprocessable(code: &'static str) -> Self {
        AppError::unprocessable(code).into()
    }
    pub fn too_many(retry_after: u64) -> Self {
        AppError::too_many(retry_after).into()
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        AppError::validation(errors).into()
    }
    pub fn field(field: impl Into<String>, code: &'static str) -> Self {
        AppError::field(field, code).into()
    }
    /// See [`AppError::under`].
    pub fn under(self, prefix: &str) -> Self {
        ApiError {
            error: self.error.under(prefix),
            ..self
        }
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::internal(message).into()
    }

    /// Adds a `{name}` argument to the detail text.
    pub fn arg(self, name: &'static str, value: impl ToString) -> Self {
        ApiError {
            error: self.error.arg(name, value),
            ..self
        }
    }

    /// The store link a too-old app is sent to (`store_url` in the problem).
    pub fn store_url(self, url: Option<String>) -> Self {
        ApiError {
            store_url: url,
            ..self
        }
    }

    pub fn retry_after(self, seconds: u64) -> Self {
        ApiError {
            error: self.error.retry_after(seconds),
            ..self
        }
    }

    pub fn code(&self) -> &'static str {
        self.error.code()
    }

    /// The use case's error underneath.
    pub fn error(&self) -> &AppError {
        &self.error
    }

    pub fn status(&self) -> StatusCode {
        if let Some(s) = self.status {
            return s;
        }
        match &self.error {
            AppError::Refused(r) => status_of(r.reason),
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
        match &self.error {
            AppError::Refused(r) => {
                args.extend(r.args.iter().cloned());
                errors = r
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
            AppError::Unavailable(_) => {
                args.push(("retry_after", UNAVAILABLE_RETRY_AFTER.to_string()));
            }
            AppError::Internal(_) => {}
        }
        Problem {
            r#type: format!("urn:nghedan:problem:{code}"),
            title: lang.pick(title_vi, title_en).to_string(),
            status: self.status().as_u16(),
            detail: i18n::fill(lang.pick(detail_vi, detail_en), &args),
            code: code.to_string(),
            request_id: request_id.to_string(),
            errors,
            store_url: self.store_url.clone(),
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match &self.error {
            AppError::Refused(r) => r.retry_after,
            AppError::Unavailable(_) => Some(UNAVAILABLE_RETRY_AFTER),
            AppError::Internal(_) => None,
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

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::internal(format!("blocking task failed: {e}"))
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
    /// Present for 426 `app_upgrade_required` on a platform with a store: where to get a
    /// newer version of the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_url: Option<String>,
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

    #[test]
    fn each_reason_answers_with_its_status_and_http_refusals_keep_theirs() {
        assert_eq!(ApiError::forbidden().status(), StatusCode::FORBIDDEN);
        assert_eq!(
            ApiError::too_many(3).status(),
            StatusCode::TOO_MANY_REQUESTS
        );
        let e = ApiError::client(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e.code(), "payload_too_large");
        let from_db: ApiError = AppError::Unavailable("down".into()).into();
        assert_eq!(from_db.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
}
