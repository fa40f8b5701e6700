//! What a unit does about a request it would rather not show: what an Open311 client posts
//! is public from submission, and the handling unit can take it (or any public ticket) out of
//! public view — the sender may have written a neighbour's name in it. Hidden for good: the
//! ticket becomes private, so no later acceptance or answer publishes it again.

use serde_json::json;

use crate::db::events::{self, NewEvent};
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::workflow::tickets::{Access, Viewer, readable};

/// The timeline event (internal: staff see it).
pub const HIDDEN_EVENT: &str = "hidden_from_public";

/// Hides the ticket `code` from the public as `viewer`, an official of the handling unit
/// (404 `ticket_not_found` for one who may not read it, 403 `action_forbidden` for any other
/// reader, 409 `concurrent_update` when another change came first). Hiding a hidden ticket
/// changes nothing.
pub fn hide(
    conn: &mut DbConn,
    code: &str,
    viewer: &Viewer,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    db::write(conn, |c| {
        let (t, access) = readable(c, code, viewer)?;
        if access != Access::Handling {
            return Err(AppError::forbidden());
        }
        if t.private && !t.public {
            return Ok(());
        }
        if !db::open311::hide(c, t.id, t.version, now)? {
            return Err(AppError::conflict("concurrent_update"));
        }
        events::append(
            c,
            &NewEvent {
                ticket_id: t.id,
                kind: HIDDEN_EVENT,
                actor: viewer.actor(),
                unit_id: Some(t.unit_id),
                from_status: None,
                to_status: None,
                public: false,
                data: json!({}),
                text: None,
            },
            now,
        )?;
        Ok(())
    })
}
