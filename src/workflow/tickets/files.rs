//! The files on a ticket: who may open one (`domain::access`), the record of every look at
//! a denouncer's file, and the handling unit's decision to show a submitter's file to the
//! public.

use chrono::NaiveDateTime;
use serde_json::json;

use super::{Access, Viewer, access, readable};
use crate::db::DbConn;
use crate::db::events::{self, NewEvent};
use crate::db::tickets as store;
use crate::db::uploads::{self, Upload};
use crate::error::AppError;

/// The upload `id` if `v` may open it; a look at a denouncer's file by the handling unit is
/// recorded on the timeline. An upload not filed yet is its uploader's alone (`scope`).
/// Anything else is 404 `attachment_not_found`, whether or not it exists.
pub fn open(
    conn: &mut DbConn,
    id: &str,
    v: &Viewer,
    scope: &str,
    now: NaiveDateTime,
) -> Result<Upload, AppError> {
    let not_found = || AppError::not_found("attachment_not_found");
    let u = uploads::find(conn, id)?.ok_or_else(not_found)?;
    let Some(ticket_id) = u.ticket_id else {
        return if u.scope == scope {
            Ok(u)
        } else {
            Err(not_found())
        };
    };
    let t = store::find(conn, ticket_id)?.ok_or_else(not_found)?;
    let how = access(conn, &t, v)?.ok_or_else(not_found)?;
    if !how.sees_attachment(t.confidential, u.by_submitter, u.publishable) {
        return Err(not_found());
    }
    if u.by_submitter
        && how.views_identity(t.confidential)
        && let Some(viewer) = v.actor()
    {
        crate::db::write(conn, |c| {
            super::identity_viewed(c, &t, viewer, Some(&u.id), now)
        })?;
    }
    Ok(u)
}

/// Shows (or hides again) a submitter's file to the public: officials of the handling unit
/// only; a denunciation's files never. Each change is an internal event.
pub fn set_publishable(
    conn: &mut DbConn,
    code: &str,
    upload_id: &str,
    on: bool,
    v: &Viewer,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let (t, how) = readable(conn, code, v)?;
    if how != Access::Handling {
        return Err(AppError::forbidden());
    }
    let u = uploads::find(conn, upload_id)?
        .filter(|u| u.ticket_id == Some(t.id))
        .ok_or_else(|| AppError::not_found("attachment_not_found"))?;
    if on && t.confidential {
        return Err(AppError::field("/publishable", "confidential_ticket"));
    }
    if u.publishable == on {
        return Ok(());
    }
    uploads::set_publishable(conn, &u.id, on)?;
    events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind: if on {
                "attachment_published"
            } else {
                "attachment_unpublished"
            },
            actor: v.actor(),
            unit_id: Some(t.unit_id),
            from_status: None,
            to_status: None,
            public: false,
            data: json!({"attachment": u.id}),
            text: None,
        },
        now,
    )?;
    Ok(())
}
