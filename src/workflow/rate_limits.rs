//! Rate limits shared by every API process: a full window is 429 `rate_limited` with
//! `Retry-After`.

use chrono::{Duration, NaiveDateTime};

use crate::db::{DbConn, rate_limits};
use crate::error::AppError;

/// Checks and counts in one step: 429 with `Retry-After` when `key`'s window is full.
pub fn hit(
    conn: &mut DbConn,
    key: &str,
    limit: i32,
    window: Duration,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if let Some(wait) = rate_limits::blocked_for(conn, key, limit, window, now)? {
        return Err(AppError::too_many(wait));
    }
    Ok(rate_limits::record(conn, key, window, now)?)
}
