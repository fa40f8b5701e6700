//! Reference data shipped with the binary, loaded at start-up (after migrations, under the
//! same advisory lock) when missing. Loading twice changes nothing.

use chrono::NaiveDateTime;

use super::DbConn;
use crate::db::Error;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub areas: usize,
    /// Shipped public holidays whose date had no row.
    pub holidays: usize,
    /// Default deadline policies, seeded into an empty table.
    pub policies: usize,
}

pub fn load(conn: &mut DbConn, now: NaiveDateTime) -> Result<Loaded, Error> {
    Ok(Loaded {
        areas: super::areas::load_if_empty(conn)?,
        holidays: super::calendar::load_holidays_if_missing(conn, now)?,
        policies: super::policies::seed_defaults_if_empty(conn, now)?,
    })
}
