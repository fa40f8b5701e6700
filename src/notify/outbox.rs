//! The outbox: messages written in the same transaction as the change that causes them, and
//! delivered later by the workers. A message is claimed with a lease held under a random
//! claim token: a worker that dies mid-batch loses nothing (the lease runs out and another
//! worker takes the row). The holder renews a message's lease just before sending it and
//! records the outcome only while the row still carries its token, so a worker that lost a
//! lease neither sends that message nor overwrites what the new holder recorded. A crash
//! between sending and marking may repeat a message, never lose one. The dedup key keeps
//! repeats out of the outbox itself.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::db::schema::outbox;
use crate::db::{self, DbConn};
use crate::domain::message::Template;
use crate::error::AppError;
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Push,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
        }
    }
}

/// One message to send. `address` is an email address for recipients without an account (a
/// unit's mailbox, an anonymous submitter's contact); `device_id` picks the push target.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub channel: Channel,
    pub user_id: Option<i64>,
    pub address: Option<String>,
    pub device_id: Option<i64>,
    pub template: Template,
    pub locale: Lang,
    pub data: Value,
    pub dedup_key: String,
    /// Not before this moment (pushes wait for the end of quiet hours).
    pub not_before: Option<NaiveDateTime>,
}

/// Adds a message unless one with the same dedup key exists. Returns whether it was added.
/// Call inside the transaction that makes the change.
pub fn enqueue(conn: &mut DbConn, m: &NewMessage, now: NaiveDateTime) -> Result<bool, AppError> {
    Ok(enqueue_all(conn, std::slice::from_ref(m), now)? == 1)
}

/// Adds the messages whose dedup keys are new, in one statement; returns how many were added.
/// Call inside the transaction that makes the change.
pub fn enqueue_all(
    conn: &mut DbConn,
    messages: &[NewMessage],
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    if messages.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = messages
        .iter()
        .map(|m| {
            (
                outbox::channel.eq(m.channel.as_str()),
                outbox::user_id.eq(m.user_id),
                outbox::address.eq(&m.address),
                outbox::device_id.eq(m.device_id),
                outbox::template.eq(m.template.as_str()),
                outbox::locale.eq(m.locale.as_str()),
                outbox::data.eq(m.data.to_string()),
                outbox::dedup_key.eq(&m.dedup_key),
                outbox::state.eq("queued"),
                outbox::next_attempt_at.eq(m.not_before.unwrap_or(now).max(now)),
                outbox::created_at.eq(now),
            )
        })
        .collect();
    let mut added = 0;
    // 11 parameters a row: a thousand rows stay below SQLite's and PostgreSQL's limits.
    for part in rows.chunks(1_000) {
        added += db::insert_new_only!(conn, diesel::insert_into(outbox::table).values(part))?;
    }
    Ok(added)
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: i64,
    pub channel: String,
    pub user_id: Option<i64>,
    pub address: Option<String>,
    pub device_id: Option<i64>,
    pub template: String,
    pub locale: String,
    pub data: String,
    pub dedup_key: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    /// Who holds the lease (`locked_until`): the token of the claim that took the row.
    pub claim_token: Option<String>,
}

/// Claims up to `limit` due messages for `lease`; returns them, each carrying the claim's
/// token in `claim_token` and the lease's end in `locked_until`. Several workers may claim at
/// once: PostgreSQL skips rows another worker holds, SQLite serialises writers.
pub fn claim(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Message>, AppError> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let ids = db::write(conn, |conn| {
        db::claim_outbox_ids(conn, now, now + lease, &token, limit)
    })?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(outbox::table
        .filter(outbox::id.eq_any(&ids))
        .order(outbox::id.asc())
        .select(Message::as_select())
        .load(conn)?)
}

/// The rows of message `id` that the claim `token` still holds: queued, and carrying the token.
/// Another worker's claim replaces the token, so a worker whose lease ran out and was taken
/// over finds nothing here.
macro_rules! held {
    ($id:expr, $token:expr) => {
        outbox::table
            .find($id)
            .filter(outbox::state.eq("queued"))
            .filter(outbox::claim_token.eq($token))
    };
}

/// Extends a message's lease to `until` just before sending it, if `token` still holds a
/// lease that has not run out at `now`. `false`: the lease is lost; do not send.
pub fn renew(
    conn: &mut DbConn,
    id: i64,
    token: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(
        diesel::update(held!(id, token).filter(outbox::locked_until.gt(now)))
            .set(outbox::locked_until.eq(Some(until)))
            .execute(conn)?
            == 1,
    )
}

/// Gives back the messages of a claim it will not get to, so that any worker may take them at
/// once. Rows another claim took meanwhile are left alone.
pub fn release(conn: &mut DbConn, ids: &[i64], token: &str) -> Result<usize, AppError> {
    Ok(diesel::update(
        outbox::table
            .filter(outbox::id.eq_any(ids))
            .filter(outbox::state.eq("queued"))
            .filter(outbox::claim_token.eq(token)),
    )
    .set((
        outbox::locked_until.eq(None::<NaiveDateTime>),
        outbox::claim_token.eq(None::<String>),
    ))
    .execute(conn)?)
}

// The outcome is recorded while the row carries the claim's token, even if the lease ran out
// meanwhile: nobody else took the message, and recording "sent" keeps it from going twice.
// Each returns `false` when another claim holds the row (its holder records the outcome).

/// Delivered. Data that may hold a secret (a verification link) is not kept once sent.
pub fn mark_sent(
    conn: &mut DbConn,
    id: i64,
    token: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    Ok(diesel::update(held!(id, token))
        .set((
            outbox::state.eq("sent"),
            outbox::sent_at.eq(Some(now)),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::last_error.eq(None::<String>),
            outbox::data.eq("{}"),
        ))
        .execute(conn)?
        == 1)
}

/// Failed for now: try again at `retry_at`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: i64,
    token: &str,
    retry_at: NaiveDateTime,
    error: &str,
) -> Result<bool, AppError> {
    Ok(diesel::update(held!(id, token))
        .set((
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::next_attempt_at.eq(retry_at),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::last_error.eq(Some(truncate(error))),
        ))
        .execute(conn)?
        == 1)
}

/// Given up: kept with the last error for an administrator to look at and retry.
pub fn mark_dead(conn: &mut DbConn, id: i64, token: &str, error: &str) -> Result<bool, AppError> {
    Ok(diesel::update(held!(id, token))
        .set((
            outbox::state.eq("dead"),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::last_error.eq(Some(truncate(error))),
        ))
        .execute(conn)?
        == 1)
}

/// Not sent: the recipient's address asked for no more of this mail (see
/// [`super::suppressions`]). Kept, without its data, so that it shows in counts and lists.
pub fn mark_suppressed(conn: &mut DbConn, id: i64, token: &str) -> Result<bool, AppError> {
    Ok(diesel::update(held!(id, token))
        .set((
            outbox::state.eq("suppressed"),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::claim_token.eq(None::<String>),
            outbox::last_error.eq(None::<String>),
            outbox::data.eq("{}"),
        ))
        .execute(conn)?
        == 1)
}

fn truncate(s: &str) -> String {
    s.chars().take(500).collect()
}

/// Exponential backoff with jitter: 30 s, 1 min, 2 min … capped at 6 h, ±20 %.
pub fn backoff(attempts: i32) -> Duration {
    use rand::Rng;
    let base = 30i64 * (1i64 << attempts.clamp(0, 10));
    let capped = base.min(6 * 3600);
    let jitter = rand::thread_rng().gen_range(-(capped / 5)..=(capped / 5));
    Duration::seconds((capped + jitter).max(1))
}

/// Counts by (channel, state), for `/metrics` and the CLI.
pub fn counts(conn: &mut DbConn) -> Result<Vec<(String, String, i64)>, AppError> {
    Ok(outbox::table
        .group_by((outbox::channel, outbox::state))
        .select((outbox::channel, outbox::state, diesel::dsl::count_star()))
        .load(conn)?)
}

/// Messages in `state`, newest first.
pub fn list(conn: &mut DbConn, state: &str, limit: i64) -> Result<Vec<Message>, AppError> {
    Ok(outbox::table
        .filter(outbox::state.eq(state))
        .order(outbox::id.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)?)
}

/// Puts dead messages back in the queue (all, or one id). Returns how many.
pub fn retry_dead(
    conn: &mut DbConn,
    id: Option<i64>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let mut q = diesel::update(outbox::table)
        .filter(outbox::state.eq("dead"))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(outbox::id.eq(id));
    }
    Ok(q.set((
        outbox::state.eq("queued"),
        outbox::attempts.eq(0),
        outbox::next_attempt_at.eq(now),
    ))
    .execute(conn)?)
}

/// Deletes sent (and suppressed) messages older than `before`, and dead ones too when asked.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime, dead_too: bool) -> Result<usize, AppError> {
    let states: &[&str] = if dead_too {
        &["sent", "suppressed", "dead"]
    } else {
        &["sent", "suppressed"]
    };
    Ok(diesel::delete(
        outbox::table.filter(
            outbox::state
                .eq_any(states)
                .and(outbox::created_at.lt(before)),
        ),
    )
    .execute(conn)?)
}

/// Deletes up to `limit` sent and suppressed messages queued before `before` (housekeeping;
/// dead ones wait for an operator); returns how many.
pub fn purge_delivered(
    conn: &mut DbConn,
    before: NaiveDateTime,
    limit: i64,
) -> Result<usize, AppError> {
    db::write(conn, |conn| {
        let ids: Vec<i64> = outbox::table
            .filter(outbox::state.eq_any(["sent", "suppressed"]))
            .filter(outbox::created_at.lt(before))
            .select(outbox::id)
            .limit(limit)
            .load(conn)?;
        Ok(diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids))).execute(conn)?)
    })
}
