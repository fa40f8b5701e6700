//! Reference data shipped with the binary, loaded at start-up (after migrations, under the
//! same advisory lock) when missing. Loading twice changes nothing.

use chrono::NaiveDateTime;

use super::DbConn;
use crate::error::ApiError;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub areas: usize,
}

pub fn load(conn: &mut DbConn, _now: NaiveDateTime) -> Result<Loaded, ApiError> {
    Ok(Loaded {
        areas: super::areas::load_if_empty(conn)?,
    })
}
