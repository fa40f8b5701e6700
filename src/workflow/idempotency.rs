//! `Idempotency-Key` answers (DESIGN "Conventions"): a key used with another request is 422
//! `idempotency_key_reused`; one whose first request is still running is 409
//! `idempotency_in_progress` with `Retry-After`.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::db::idempotency::{self, Claim, Earlier, Saved};
use crate::error::AppError;

pub fn in_progress() -> AppError {
    AppError::conflict("idempotency_in_progress")
        .arg("retry_after", 1)
        .retry_after(1)
}

fn reused() -> AppError {
    AppError::unprocessable("idempotency_key_reused")
}

/// Claims `key` for this request inside the transaction that makes the change (then
/// [`idempotency::complete`] it there); `Some` is the first request's response to answer
/// again.
pub fn claim(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<Saved>, AppError> {
    match idempotency::claim(conn, scope, key, request_hash, now)? {
        Claim::Fresh => Ok(None),
        Claim::Replay(saved) => Ok(Some(saved)),
        Claim::Running => Err(in_progress()),
        Claim::Reused => Err(reused()),
    }
}

/// The saved response of a finished request with this key, without claiming anything (to
/// skip expensive work on a retry).
pub fn lookup(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<Saved>, AppError> {
    match idempotency::lookup(conn, scope, key, request_hash, now)? {
        Earlier::None => Ok(None),
        Earlier::Done(saved) => Ok(Some(saved)),
        Earlier::Reused => Err(reused()),
    }
}
