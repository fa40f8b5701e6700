//! The in-app list of what a person was told, for phones that miss pushes. Written by
//! [`super::recipients::tell`] in the same transaction as the event, whatever the person's
//! email and push preferences (reading the list in the app is not an interruption); a push
//! carries the id of its row so that the app can open it and mark the list read up to it.
//!
//! Rows hold the same minimal data as the outbox (ticket code and what happened), never a
//! denouncer's identity, and are deleted when the person erases their account.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::notifications;
use crate::db::{DbConn, is_unique_violation};
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
pub struct Notification {
    pub id: i64,
    pub template: String,
    pub data: String,
    pub ticket_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

/// Adds a notification for `user_id` unless this event already gave them one; returns the
/// row's id either way. Call inside the transaction that makes the change.
pub fn add(
    conn: &mut DbConn,
    user_id: i64,
    template: &str,
    data: &Value,
    dedup_key: &str,
    now: NaiveDateTime,
) -> Result<i64, ApiError> {
    let code = data.get("ticket_code").and_then(Value::as_str);
    // A savepoint, so that a duplicate does not abort the caller's PostgreSQL transaction.
    let inserted = conn.transaction(|c| {
        diesel::insert_into(notifications::table)
            .values((
                notifications::user_id.eq(user_id),
                notifications::template.eq(template),
                notifications::data.eq(data.to_string()),
                notifications::ticket_code.eq(code),
                notifications::dedup_key.eq(dedup_key),
                notifications::created_at.eq(now),
            ))
            .returning(notifications::id)
            .get_result::<i64>(c)
    });
    match inserted {
        Ok(id) => Ok(id),
        Err(e) if is_unique_violation(&e) => Ok(notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::dedup_key.eq(dedup_key))
            .select(notifications::id)
            .first(conn)?),
        Err(e) => Err(e.into()),
    }
}

/// A page of `user_id`'s notifications, newest first, after the id `before` (keyset).
pub fn list(
    conn: &mut DbConn,
    user_id: i64,
    before: Option<i64>,
    fetch: i64,
) -> Result<Vec<Notification>, ApiError> {
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(notifications::id.lt(before));
    }
    Ok(q.order(notifications::id.desc())
        .limit(fetch)
        .select(Notification::as_select())
        .load(conn)?)
}

/// How many of `user_id`'s notifications are unread.
pub fn unread(conn: &mut DbConn, user_id: i64) -> Result<i64, ApiError> {
    Ok(notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Marks every notification of `user_id` up to and including `up_to` read; returns how many
/// changed. Idempotent: a replay changes nothing.
pub fn mark_read(
    conn: &mut DbConn,
    user_id: i64,
    up_to: i64,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    Ok(diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::id.le(up_to))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(Some(now)))
    .execute(conn)?)
}

/// Forgets everything `user_id` was told (account erasure).
pub fn erase(conn: &mut DbConn, user_id: i64) -> Result<(), ApiError> {
    diesel::delete(notifications::table.filter(notifications::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(())
}
