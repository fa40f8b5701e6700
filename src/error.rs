//! The use cases' one error type, free of HTTP: a refusal with a stable code (and the
//! fields it is about), the database unavailable for now, or an internal failure. The HTTP
//! edge (`api::error::ApiError`) renders it as RFC 9457 problem+json in the caller's
//! language; internal causes are logged there, never sent.

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

/// Why a request is refused, in the request's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The request itself is malformed.
    BadRequest,
    /// Nobody (or a bad token) is signed in.
    Unauthenticated,
    /// Readable, but not the caller's to do.
    Forbidden,
    /// No such thing, or the caller may not read it (never revealing which).
    NotFound,
    /// Not possible as things stand.
    Conflict,
    /// Well-formed, but invalid.
    Invalid,
    /// Too many attempts; try again later.
    TooMany,
    /// The caller's copy is out of date (`If-Match`).
    Stale,
}

/// A refused request.
#[derive(Debug)]
pub struct Refusal {
    pub reason: Reason,
    pub code: &'static str,
    /// `{name}` arguments of the message.
    pub args: Vec<(&'static str, String)>,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{:?} {}", .0.reason, .0.code)]
    Refused(Box<Refusal>),
    /// The database cannot be reached, or is locked, right now.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn refused(reason: Reason, code: &'static str) -> Self {
        AppError::Refused(Box::new(Refusal {
            reason,
            code,
            args: Vec::new(),
            errors: Vec::new(),
            retry_after: None,
        }))
    }
    pub fn bad_request(code: &'static str) -> Self {
        Self::refused(Reason::BadRequest, code)
    }
    pub fn unauthenticated(code: &'static str) -> Self {
        Self::refused(Reason::Unauthenticated, code)
    }
    pub fn forbidden() -> Self {
        Self::refused(Reason::Forbidden, "action_forbidden")
    }
    pub fn not_found(code: &'static str) -> Self {
        Self::refused(Reason::NotFound, code)
    }
    pub fn conflict(code: &'static str) -> Self {
        Self::refused(Reason::Conflict, code)
    }
    pub fn unprocessable(code: &'static str) -> Self {
        Self::refused(Reason::Invalid, code)
    }
    pub fn too_many(retry_after: u64) -> Self {
        Self::refused(Reason::TooMany, "rate_limited")
            .arg("retry_after", retry_after)
            .retry_after(retry_after)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut e = Self::unprocessable("validation_failed");
        if let AppError::Refused(r) = &mut e {
            r.errors = errors;
        }
        e
    }
    pub fn field(field: impl Into<String>, code: &'static str) -> Self {
        Self::validation(vec![FieldError::new(field, code)])
    }
    /// Names the field a refusal is about (a problem with its own code may carry them too).
    pub fn with_field(mut self, field: impl Into<String>, code: &'static str) -> Self {
        if let AppError::Refused(r) = &mut self {
            r.errors.push(FieldError::new(field, code));
        }
        self
    }
    pub fn internal(message: impl std::fmt::Display) -> Self {
        AppError::Internal(anyhow::anyhow!("{message}"))
    }

    /// The same refusal about a part of a larger request: each field's pointer under
    /// `prefix` (a ticket inside a reception: `/title` becomes `/ticket/title`).
    pub fn under(mut self, prefix: &str) -> Self {
        if let AppError::Refused(r) = &mut self {
            for e in &mut r.errors {
                e.field = format!("{prefix}{}", e.field);
            }
        }
        self
    }

    /// Adds a `{name}` argument to the message.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        if let AppError::Refused(r) = &mut self {
            r.args.push((name, value.to_string()));
        }
        self
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let AppError::Refused(r) = &mut self {
            r.retry_after = Some(seconds);
        }
        self
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Refused(r) => r.code,
            AppError::Unavailable(_) => "service_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// A refusal (the caller's request), as opposed to a failure of the service.
    pub fn is_refusal(&self) -> bool {
        matches!(self, AppError::Refused(_))
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            AppError::Unavailable(e.to_string())
        } else if crate::db::is_lock_timeout(&e) {
            AppError::conflict("concurrent_update")
                .arg("retry_after", 1)
                .retry_after(1)
        } else {
            AppError::Internal(anyhow::Error::new(e).context("database"))
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(e: r2d2::Error) -> Self {
        AppError::Unavailable(format!("no database connection: {e}"))
    }
}

impl From<crate::db::Error> for AppError {
    fn from(e: crate::db::Error) -> Self {
        use crate::db::Error;
        if e.is_unavailable() {
            AppError::Unavailable(e.to_string())
        } else if e.is_lock_timeout() || matches!(e, Error::Concurrent) {
            AppError::conflict("concurrent_update")
                .arg("retry_after", 1)
                .retry_after(1)
        } else {
            AppError::Internal(anyhow::Error::new(e).context("database"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Error as DbError;

    fn refusal(e: AppError) -> (Reason, &'static str, Option<u64>) {
        match e {
            AppError::Refused(r) => (r.reason, r.code, r.retry_after),
            other => panic!("not a refusal: {other}"),
        }
    }

    #[test]
    fn storage_errors_become_the_use_cases_errors() {
        let locked = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database is locked".to_string()),
        );
        assert!(matches!(
            AppError::from(DbError::from(locked)),
            AppError::Unavailable(_)
        ));
        let timeout = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("canceling statement due to lock timeout".to_string()),
        );
        assert_eq!(
            refusal(DbError::from(timeout).into()),
            (Reason::Conflict, "concurrent_update", Some(1))
        );
        assert_eq!(
            refusal(DbError::Concurrent.into()),
            (Reason::Conflict, "concurrent_update", Some(1))
        );
        for e in [
            DbError::corrupt("ticket X: unknown status \"lost\""),
            DbError::Aborted("panicked".into()),
            DbError::from(diesel::result::Error::NotFound),
        ] {
            assert!(matches!(AppError::from(e), AppError::Internal(_)));
        }
        let taken = DbError::from(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("UNIQUE constraint failed: users.email".to_string()),
        ));
        assert!(taken.is_unique_violation() && !taken.is_unavailable());
    }
}
