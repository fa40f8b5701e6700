//! Around a ticket: comments, the submitter's rating, citizens' support for a public
//! petition, following, and the record of every look at a denouncer's identity.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::db::DbConn;
use crate::db::events::{self, NewEvent};
use crate::db::tickets::{self as store, Ticket};
use crate::domain::account::Role;
use crate::domain::message::Template;
use crate::domain::ticket::{Audience, Notice, Status};
use crate::error::AppError;
use crate::workflow::Ctx;

/// Follows a ticket (idempotent).
pub fn follow(
    conn: &mut DbConn,
    t: &Ticket,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    Ok(store::follow(conn, t.id, user_id, now)?)
}

pub fn unfollow(conn: &mut DbConn, t: &Ticket, user_id: i64) -> Result<(), AppError> {
    Ok(store::unfollow(conn, t.id, user_id)?)
}

/// Supports a public petition once per citizen; reaching the threshold raises its priority
/// (once) with an event. Returns the supporters' count.
pub fn support(conn: &mut DbConn, t: &Ticket, user_id: i64, ctx: &Ctx) -> Result<i32, AppError> {
    if !store::add_support(conn, t.id, user_id, ctx.naive())? {
        return Ok(t.supporters);
    }
    let count = store::recount_supporters(conn, t.id)?;
    if count >= ctx.support_threshold && t.priority == 0 {
        store::raise_priority(conn, t.id)?;
        event(
            conn,
            t,
            "priority_raised",
            None,
            true,
            json!({"supporters": count, "threshold": ctx.support_threshold}),
            None,
            ctx.naive(),
        )?;
    }
    Ok(count)
}

pub fn unsupport(conn: &mut DbConn, t: &Ticket, user_id: i64) -> Result<i32, AppError> {
    store::remove_support(conn, t.id, user_id)?;
    Ok(store::recount_supporters(conn, t.id)?)
}

/// A comment: a timeline event with its text; `public` ones the submitter sees. `kind` is
/// `comment`, or a supervisor's `supervision_note` or `reopen_requested`.
pub fn comment(
    conn: &mut DbConn,
    t: &Ticket,
    actor: Option<(i64, Role)>,
    body: &str,
    public: bool,
    kind: &'static str,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    event(conn, t, kind, actor, public, json!({}), Some(body), now)
}

/// Tells the assigned official (or the unit's staff) that the submitter commented: the
/// `citizen_reply` event of their notification preferences.
pub fn tell_of_comment(
    conn: &mut DbConn,
    t: &Ticket,
    event_id: i64,
    ctx: &Ctx,
) -> Result<(), AppError> {
    let data = super::notices::data(conn, t, ctx, json!({}))?;
    let told = [Notice {
        to: Audience::AssigneeOrStaff,
        template: Template::UnitCitizenComment,
    }];
    super::notices::send(conn, t, &told, &data, &format!("event:{event_id}"), ctx)?;
    Ok(())
}

/// Rates the answer: once per answer (a reopening allows a new rating).
pub fn rate(
    conn: &mut DbConn,
    t: &Ticket,
    actor: Option<(i64, Role)>,
    score: i32,
    remark: Option<&str>,
    now: NaiveDateTime,
) -> Result<Ticket, AppError> {
    if !matches!(t.status, Status::Resolved | Status::Closed) || t.resolved_at.is_none() {
        return Err(AppError::conflict("invalid_transition")
            .arg("action", "rating")
            .arg("state", t.status.as_str()));
    }
    if t.rating.is_some() || !store::set_rating(conn, t.id, score, remark, now)? {
        return Err(AppError::conflict("already_rated"));
    }
    event(
        conn,
        t,
        "rated",
        actor,
        true,
        json!({"score": score}),
        remark,
        now,
    )?;
    store::find(conn, t.id)?.ok_or_else(|| AppError::internal("ticket vanished"))
}

/// Gives a ticket sent without an account a new tracking secret (a retried submission
/// prints a fresh one; the old one stops working).
pub fn reissue_secret(conn: &mut DbConn, code: &str, hash: &str) -> Result<(), AppError> {
    let t = store::find_by_code(conn, code)?
        .ok_or_else(|| AppError::internal("replayed ticket missing"))?;
    Ok(store::set_tracking_secret(conn, t.id, hash)?)
}

/// Records that the handling unit looked at a denouncer's identity: their details, or a file
/// they sent (DOMAIN "Privacy duties": every such look is recorded).
pub fn identity_viewed(
    conn: &mut DbConn,
    t: &Ticket,
    viewer: (i64, Role),
    attachment: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let data = match attachment {
        Some(id) => json!({"attachment": id}),
        None => json!({}),
    };
    event(
        conn,
        t,
        "identity_viewed",
        Some(viewer),
        false,
        data,
        None,
        now,
    )?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn event(
    conn: &mut DbConn,
    t: &Ticket,
    kind: &'static str,
    actor: Option<(i64, Role)>,
    public: bool,
    data: Value,
    text: Option<&str>,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    Ok(events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind,
            actor,
            unit_id: Some(t.unit_id),
            from_status: None,
            to_status: None,
            public,
            data,
            text,
        },
        now,
    )?)
}
