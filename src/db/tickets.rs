//! Tickets: the path of one submission from a phone (or the desk) to an answer.

use chrono::NaiveDateTime;

use super::DbConn;
use crate::error::ApiError;

/// How many tickets a unit holds (open or not).
pub fn held_by(_conn: &mut DbConn, _unit_id: i64) -> Result<i64, ApiError> {
    Ok(0)
}

/// Moves a unit's open tickets to another unit, with a timeline event on each.
pub fn move_open(
    _conn: &mut DbConn,
    _from: i64,
    _into: i64,
    _actor: i64,
    _now: NaiveDateTime,
) -> Result<usize, ApiError> {
    Ok(0)
}

/// How many tickets are filed under a category.
pub fn in_category(_conn: &mut DbConn, _code: &str) -> Result<i64, ApiError> {
    Ok(0)
}
