//! A person's data across aggregates, for the personal-data rights: export, erasure, and
//! the rule that open complaints and denunciations keep their author.

use super::DbConn;
use crate::error::ApiError;

/// Tickets the user submitted, as exported JSON objects.
pub fn tickets_of(_conn: &mut DbConn, _user_id: i64) -> Result<Vec<serde_json::Value>, ApiError> {
    // Tickets do not exist yet in the schema; the tickets capability fills this in.
    Ok(Vec::new())
}

/// Whether the user has an open complaint or denunciation (then erasure must wait).
pub fn has_open_cases(_conn: &mut DbConn, _user_id: i64) -> Result<bool, ApiError> {
    Ok(false)
}

/// Removes the user's personal details copied onto their tickets.
pub fn pseudonymise_tickets(_conn: &mut DbConn, _user_id: i64) -> Result<(), ApiError> {
    Ok(())
}
