//! What a supervisor may write on a ticket of the subtree it oversees: a note, and a request
//! that the unit reopen it. Both are internal events; neither changes the ticket.

use serde_json::json;

use super::notices;
use super::{Access, EventView, Viewer, readable, social, timeline};
use crate::db::DbConn;
use crate::db::tickets::Ticket;
use crate::domain::message::Template;
use crate::domain::ticket::{Audience, Notice};
use crate::error::AppError;
use crate::workflow::Ctx;

/// A ticket the supervisor oversees (404 otherwise).
fn overseen(conn: &mut DbConn, code: &str, v: &Viewer) -> Result<Ticket, AppError> {
    match readable(conn, code, v)? {
        (t, Access::Supervisor) => Ok(t),
        _ => Err(AppError::not_found("ticket_not_found")),
    }
}

fn written(conn: &mut DbConn, t: &Ticket) -> Result<EventView, AppError> {
    timeline(conn, t, Access::Supervisor)?
        .pop()
        .ok_or_else(|| AppError::internal("event vanished"))
}

/// A supervision note: an internal event on the timeline.
pub fn note(
    conn: &mut DbConn,
    code: &str,
    v: &Viewer,
    text: &str,
    ctx: &Ctx,
) -> Result<EventView, AppError> {
    let t = overseen(conn, code, v)?;
    social::comment(
        conn,
        &t,
        v.actor(),
        text,
        false,
        "supervision_note",
        ctx.naive(),
    )?;
    written(conn, &t)
}

/// A reopen request: an internal event and a notice to the unit, which decides.
pub fn reopen_request(
    conn: &mut DbConn,
    code: &str,
    v: &Viewer,
    reason: &str,
    ctx: &Ctx,
) -> Result<EventView, AppError> {
    let t = overseen(conn, code, v)?;
    let id = social::comment(
        conn,
        &t,
        v.actor(),
        reason,
        false,
        "reopen_requested",
        ctx.naive(),
    )?;
    let data = notices::data(conn, &t, ctx, json!({"note": reason}))?;
    let told = [Notice {
        to: Audience::Staff,
        template: Template::UnitReopenRequested,
    }];
    notices::send(conn, &t, &told, &data, &format!("event:{id}"), ctx)?;
    written(conn, &t)
}
