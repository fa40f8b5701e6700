//! The in-app list of what a person was told, for phones that miss pushes. Written by
//! [`super::recipients::tell`] in the same transaction as the event, whatever the person's
//! email and push preferences (reading the list in the app is not an interruption); a push
//! carries the id of its row so that the app can open it and mark the list read up to it.
//!
//! Rows hold the same minimal data as the outbox (ticket code and what happened), never a
//! denouncer's identity, and are deleted when the person erases their account.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::notifications;
use crate::db::{self, DbConn};
use crate::domain::message::Template;
use crate::error::AppError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct Row {
    id: i64,
    template: String,
    data: String,
    ticket_code: Option<String>,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

/// One thing a person was told.
#[derive(Debug, Clone)]
pub struct Notification {
    pub id: i64,
    pub template: Template,
    pub data: String,
    pub ticket_code: Option<String>,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

impl Row {
    /// An unknown stored template is an error, never shown with other words.
    fn decode(self) -> Result<Notification, AppError> {
        let template = Template::parse(&self.template).ok_or_else(|| {
            AppError::internal(format!(
                "notification {}: unknown template {:?}",
                self.id, self.template
            ))
        })?;
        Ok(Notification {
            id: self.id,
            template,
            data: self.data,
            ticket_code: self.ticket_code,
            created_at: self.created_at,
            read_at: self.read_at,
        })
    }
}

/// Adds one notification for each of `users` that this event has not already given one, in
/// one statement, and returns every user's row id (new or earlier). Call inside the
/// transaction that makes the change.
pub fn add_all(
    conn: &mut DbConn,
    users: &[i64],
    template: Template,
    data: &Value,
    dedup_key: &str,
    now: NaiveDateTime,
) -> Result<HashMap<i64, i64>, AppError> {
    let rows: Vec<(i64, Template, &str)> =
        users.iter().map(|u| (*u, template, dedup_key)).collect();
    Ok(add_each(conn, &rows, data, now)?
        .into_iter()
        .map(|((user, _), id)| (user, id))
        .collect())
}

/// [`add_all`] for several messages about one event at once: `(user, template, dedup key)`
/// each. Returns each row's id (new or earlier) by user and template.
pub fn add_each(
    conn: &mut DbConn,
    rows: &[(i64, Template, &str)],
    data: &Value,
    now: NaiveDateTime,
) -> Result<HashMap<(i64, Template), i64>, AppError> {
    let code = data.get("ticket_code").and_then(Value::as_str);
    let text = data.to_string();
    let mut ids = HashMap::new();
    // 6 parameters a row: a thousand rows stay below SQLite's and PostgreSQL's limits.
    for part in rows.chunks(1_000) {
        let values: Vec<_> = part
            .iter()
            .map(|(u, template, key)| {
                (
                    notifications::user_id.eq(*u),
                    notifications::template.eq(template.as_str()),
                    notifications::data.eq(&text),
                    notifications::ticket_code.eq(code),
                    notifications::dedup_key.eq(*key),
                    notifications::created_at.eq(now),
                )
            })
            .collect();
        let added = db::insert_new_only!(
            conn,
            diesel::insert_into(notifications::table).values(values),
            returning (notifications::user_id, notifications::template, notifications::id) => (i64, String, i64)
        )?;
        for (user, template, id) in added {
            if let Some(t) = Template::parse(&template) {
                ids.insert((user, t), id);
            }
        }
        // Told of this event before: their earlier rows, in one statement.
        let earlier: Vec<&(i64, Template, &str)> = part
            .iter()
            .filter(|(u, t, _)| !ids.contains_key(&(*u, *t)))
            .collect();
        if !earlier.is_empty() {
            let users: Vec<i64> = earlier.iter().map(|r| r.0).collect();
            let keys: Vec<&str> = earlier.iter().map(|r| r.2).collect();
            let found: HashMap<(i64, String), i64> = notifications::table
                .filter(notifications::user_id.eq_any(users))
                .filter(notifications::dedup_key.eq_any(keys))
                .select((
                    notifications::user_id,
                    notifications::dedup_key,
                    notifications::id,
                ))
                .load::<(i64, String, i64)>(conn)?
                .into_iter()
                .map(|(u, k, id)| ((u, k), id))
                .collect();
            for (user, template, key) in earlier {
                if let Some(id) = found.get(&(*user, key.to_string())) {
                    ids.insert((*user, *template), *id);
                }
            }
        }
    }
    Ok(ids)
}

/// A page of `user_id`'s notifications, newest first, after the id `before` (keyset).
pub fn list(
    conn: &mut DbConn,
    user_id: i64,
    before: Option<i64>,
    fetch: i64,
) -> Result<Vec<Notification>, AppError> {
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .into_boxed();
    if let Some(before) = before {
        q = q.filter(notifications::id.lt(before));
    }
    q.order(notifications::id.desc())
        .limit(fetch)
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Row::decode)
        .collect()
}

/// Deletes up to `limit` notifications made before `before` that have been read; returns how
/// many.
pub fn purge_read(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> Result<usize, AppError> {
    db::write(conn, |conn| {
        let ids: Vec<i64> = notifications::table
            .filter(notifications::read_at.is_not_null())
            .filter(notifications::created_at.lt(before))
            .select(notifications::id)
            .limit(limit)
            .load(conn)?;
        Ok(
            diesel::delete(notifications::table.filter(notifications::id.eq_any(&ids)))
                .execute(conn)?,
        )
    })
}

/// `user_id`'s notifications made or marked read after `after` (and, when given, made or read
/// at or after `since`), in change order, each with its change stamp.
pub fn changed(
    conn: &mut DbConn,
    user_id: i64,
    after: db::sync::Position,
    since: Option<NaiveDateTime>,
    fetch: i64,
) -> Result<Vec<(i64, Notification)>, AppError> {
    let mut q = notifications::table
        .filter(notifications::user_id.eq(user_id))
        .filter(
            notifications::change_tx
                .gt(after.tx)
                .or(notifications::change_tx
                    .eq(after.tx)
                    .and(notifications::id.gt(after.id))),
        )
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(
            notifications::created_at
                .ge(since)
                .or(notifications::read_at.ge(since)),
        );
    }
    q.order((notifications::change_tx.asc(), notifications::id.asc()))
        .limit(fetch)
        .select((notifications::change_tx, Row::as_select()))
        .load::<(i64, Row)>(conn)?
        .into_iter()
        .map(|(tx, r)| Ok((tx, r.decode()?)))
        .collect()
}

/// How many of `user_id`'s notifications are unread.
pub fn unread(conn: &mut DbConn, user_id: i64) -> Result<i64, AppError> {
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
) -> Result<usize, AppError> {
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
pub fn erase(conn: &mut DbConn, user_id: i64) -> Result<(), AppError> {
    diesel::delete(notifications::table.filter(notifications::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(())
}
