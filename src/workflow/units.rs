//! Units reorganised: a merge moves the open tickets (each with a `unit_merged` event, so the
//! timeline shows who held the ticket when), then everything else the unit holds.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::events::{self, NewEvent};
use crate::db::units::{self, Merged};
use crate::db::{DbConn, tickets as store};
use crate::domain::account::Role;
use crate::error::AppError;

/// Merges `from` into `into` (an administrator's act); closed tickets stay where they were
/// answered.
pub fn merge(
    conn: &mut DbConn,
    from: i64,
    into: i64,
    actor: i64,
    now: NaiveDateTime,
) -> Result<Merged, AppError> {
    if from == into {
        return Err(AppError::field("/into", "same_unit"));
    }
    let old = units::get(conn, from)?;
    let new = units::find(conn, into)?.ok_or_else(|| AppError::field("/into", "unknown_unit"))?;
    if !old.active {
        return Err(AppError::conflict("unit_inactive"));
    }
    if !new.active {
        return Err(AppError::field("/into", "unit_inactive"));
    }
    let open = store::open_held_by(conn, from)?;
    for id in &open {
        store::move_to_unit(conn, *id, into, now)?;
        events::append(
            conn,
            &NewEvent {
                ticket_id: *id,
                kind: "unit_merged",
                actor: Some((actor, Role::Admin)),
                unit_id: Some(into),
                from_status: None,
                to_status: None,
                public: true,
                data: json!({"from_unit_id": from, "to_unit_id": into}),
                text: None,
            },
            now,
        )?;
    }
    let mut merged = units::merge(conn, &old, into, now)?;
    merged.tickets = open.len();
    Ok(merged)
}
