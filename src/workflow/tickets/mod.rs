//! A ticket's use cases: submit it, read it, act on it, and the social side (comments,
//! ratings, support, follow). Who may read it is `domain::access` (with the unit tree from
//! `db::scope`); what an action does is `domain::ticket::decide`; this module carries it out.

mod actions;
pub mod files;
mod notices;
mod social;
mod submission;
pub mod supervision;
mod view;

use crate::auth::CurrentUser;
use crate::auth::tokens::hash_token;
use crate::db::tickets::{self as store, Ticket};
use crate::db::{DbConn, scope};
use crate::domain::account::Role;
use crate::error::AppError;

pub use crate::domain::access::Access;
pub use actions::{Acted, ActionInput, act, act_as_system, act_at, allowed, may_act};
pub use social::{
    comment, follow, identity_viewed, rate, reissue_secret, support, tell_of_comment, unfollow,
    unsupport,
};
pub use submission::{Sender, Submission, Submitted, attach_owned, submit, submit_returning};
pub use view::{
    AttachmentRef, CategoryRef, ClockOut, EventView, Identity, Known, Looked, SubmitterView,
    TicketView, look, read, timeline, view, view_known,
};

/// Who is asking: a signed-in user, and/or the tracking secret of a ticket sent without an
/// account (anonymous, or recorded at the desk).
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user: Option<CurrentUser>,
    pub secret: Option<String>,
}

impl Viewer {
    /// The signed-in actor, as the timeline names it.
    pub fn actor(&self) -> Option<(i64, Role)> {
        self.user.as_ref().map(|u| (u.id, u.role))
    }
}

/// How `v` may read `t`, or `None` (then the ticket is "not found" for them).
pub fn access(conn: &mut DbConn, t: &Ticket, v: &Viewer) -> Result<Option<Access>, AppError> {
    if let Some(u) = &v.user {
        if t.submitter_id == Some(u.id) {
            return Ok(Some(Access::Submitter));
        }
        match (u.role, u.unit_id) {
            (Role::Official, Some(unit))
                if scope::official_may_handle(conn, unit, t.unit_id, t.accused_unit_id)? =>
            {
                return Ok(Some(Access::Handling));
            }
            (Role::Supervisor, Some(unit))
                if crate::db::units::subtree(conn, unit)?.contains(&t.unit_id) =>
            {
                return Ok(Some(Access::Supervisor));
            }
            (Role::Admin, _) => return Ok(Some(Access::Admin)),
            _ => {}
        }
    }
    if let (Some(secret), Some(hash)) = (&v.secret, &t.tracking_secret_hash)
        && hash_token(secret) == *hash
    {
        return Ok(Some(Access::Submitter));
    }
    if t.public {
        return Ok(Some(Access::Public));
    }
    Ok(None)
}

/// [`readable`] with what a read of the ticket needs besides its row (its clocks, its
/// submitter's contact), in the same statement.
pub fn readable_around(
    conn: &mut DbConn,
    code: &str,
    v: &Viewer,
) -> Result<(Ticket, Access, store::Around), AppError> {
    let not_found = || AppError::not_found("ticket_not_found");
    let (t, around) = store::find_by_code_around(conn, code)?.ok_or_else(not_found)?;
    let a = access(conn, &t, v)?.ok_or_else(not_found)?;
    Ok((t, a, around))
}

/// Loads a ticket the viewer may read: 404 `ticket_not_found` otherwise (never revealing
/// that it exists).
pub fn readable(conn: &mut DbConn, code: &str, v: &Viewer) -> Result<(Ticket, Access), AppError> {
    let not_found = || AppError::not_found("ticket_not_found");
    let t = store::find_by_code(conn, code)?.ok_or_else(not_found)?;
    let a = access(conn, &t, v)?.ok_or_else(not_found)?;
    Ok((t, a))
}
