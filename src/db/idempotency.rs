//! Saved responses for `Idempotency-Key` (DESIGN "Conventions"): scoped per user or client,
//! kept 24 h. A retry with the same key and body gets the first response again; another body
//! is 422; a retry while the first is still running is 409 with `Retry-After` (those answers
//! are `workflow::idempotency`'s; this module says which case it is).
//!
//! The response is saved under its key in the transaction that makes the change, by one
//! statement at its end ([`save`]): a crash leaves neither a resource without its saved
//! response nor a claim that blocks retries. When the key was taken (a retry of a finished
//! request, or one racing it: PostgreSQL makes the second insert wait for the first
//! transaction and then see its row), the change is rolled back and the request goes the
//! careful way: [`claim`] the key first, and replay, refuse or do the work under it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::idempotency_keys as ik;
use super::{DbConn, Error};

/// How long a key is remembered.
pub const KEEP_FOR: Duration = Duration::hours(24);

#[derive(Debug, Clone)]
pub struct Saved {
    pub status: u16,
    pub body: String,
    /// What the first request created (e.g. a ticket code), for replies that must be rebuilt.
    pub resource: Option<String>,
}

#[derive(Debug)]
pub enum Claim {
    /// First time (or a dead earlier attempt): go ahead, then [`complete`] in the same
    /// transaction as the change.
    Fresh,
    /// Done before: answer with this.
    Replay(Saved),
    /// Another request with this key has not finished yet.
    Running,
    /// The key was used with another request (body or path).
    Reused,
}

/// What a key holds now, without claiming it.
#[derive(Debug)]
pub enum Earlier {
    /// Nothing finished under this key (unknown, expired, or still running).
    None,
    /// A finished request's response.
    Done(Saved),
    /// The key was used with another request.
    Reused,
}

#[derive(Queryable)]
struct Row {
    request_hash: String,
    state: String,
    response_status: Option<i32>,
    response_body: Option<String>,
    resource: Option<String>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// Claims `key` for this request; call INSIDE the transaction that makes the change, then
/// [`complete`] it there. `Replay` carries the first response.
pub fn claim(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> Result<Claim, Error> {
    // One statement when the key is new. A request with the same key still running in
    // another transaction makes this insert wait for it to end (the key is the first thing a
    // transaction writes, so the wait holds no other lock), and then finds its saved answer:
    // a quick retry is answered with the replay rather than with 409.
    let insert = diesel::insert_into(ik::table).values((
        ik::scope.eq(scope),
        ik::key.eq(key),
        ik::request_hash.eq(request_hash),
        ik::state.eq("running"),
        ik::created_at.eq(now),
        ik::expires_at.eq(now + KEEP_FOR),
    ));
    if super::insert_new_only!(conn, insert)? == 1 {
        return Ok(Claim::Fresh);
    }
    let Some(row) = ik::table
        .filter(ik::scope.eq(scope).and(ik::key.eq(key)))
        .select((
            ik::request_hash,
            ik::state,
            ik::response_status,
            ik::response_body,
            ik::resource,
            ik::created_at,
            ik::expires_at,
        ))
        .first::<Row>(conn)
        .optional()?
    else {
        // Deleted since the insert collided (purged, or its transaction rolled back).
        return Ok(Claim::Running);
    };
    let _ = row.created_at;
    if row.expires_at <= now {
        // Forgotten: the key starts again.
        diesel::update(ik::table.filter(ik::scope.eq(scope).and(ik::key.eq(key))))
            .set((
                ik::request_hash.eq(request_hash),
                ik::state.eq("running"),
                ik::response_status.eq(None::<i32>),
                ik::response_body.eq(None::<String>),
                ik::resource.eq(None::<String>),
                ik::created_at.eq(now),
                ik::expires_at.eq(now + KEEP_FOR),
            ))
            .execute(conn)?;
        return Ok(Claim::Fresh);
    }
    if row.request_hash != request_hash {
        return Ok(Claim::Reused);
    }
    if row.state != "done" {
        return Ok(Claim::Running);
    }
    Ok(Claim::Replay(Saved {
        status: row.response_status.unwrap_or(200) as u16,
        body: row.response_body.unwrap_or_default(),
        resource: row.resource,
    }))
}

/// The saved response of a finished request with this key, without claiming anything (to skip
/// expensive work on a retry).
pub fn lookup(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> Result<Earlier, Error> {
    let row = ik::table
        .filter(ik::scope.eq(scope).and(ik::key.eq(key)))
        .filter(ik::expires_at.gt(now))
        .select((
            ik::request_hash,
            ik::state,
            ik::response_status,
            ik::response_body,
            ik::resource,
            ik::created_at,
            ik::expires_at,
        ))
        .first::<Row>(conn)
        .optional()?;
    Ok(match row {
        Some(r) if r.request_hash != request_hash => Earlier::Reused,
        Some(r) if r.state == "done" => Earlier::Done(Saved {
            status: r.response_status.unwrap_or(200) as u16,
            body: r.response_body.unwrap_or_default(),
            resource: r.resource,
        }),
        _ => Earlier::None,
    })
}

/// Saves the response of the work just done under `key` (a key expired but not yet purged is
/// taken over), in one statement; call at the end of the transaction that made the change.
/// `false`: the key is held by another request, finished or running — roll the change back
/// and [`claim`] it instead.
pub fn save(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
    saved: &Saved,
) -> Result<bool, Error> {
    // What the row holds, written new or over an expired one.
    let answer = || {
        (
            ik::request_hash.eq(request_hash),
            ik::state.eq("done"),
            ik::response_status.eq(Some(saved.status as i32)),
            ik::response_body.eq(Some(&saved.body)),
            ik::resource.eq(saved.resource.as_deref()),
            ik::created_at.eq(now),
            ik::expires_at.eq(now + KEEP_FOR),
        )
    };
    use diesel::query_dsl::methods::FilterDsl;
    let upsert = diesel::insert_into(ik::table)
        .values((ik::scope.eq(scope), ik::key.eq(key), answer()))
        .on_conflict((ik::scope, ik::key))
        .do_update()
        .set(answer());
    // ON CONFLICT … DO UPDATE … WHERE: only an expired row is taken over.
    let upsert = FilterDsl::filter(upsert, ik::expires_at.le(now));
    let written = super::on_backend!(conn, |c| upsert.execute(c))?;
    Ok(written == 1)
}

/// Records the response of work done under a [`claim`]; call inside the transaction that
/// made the change.
pub fn complete(conn: &mut DbConn, scope: &str, key: &str, saved: &Saved) -> Result<(), Error> {
    diesel::update(ik::table.filter(ik::scope.eq(scope).and(ik::key.eq(key))))
        .set((
            ik::state.eq("done"),
            ik::response_status.eq(Some(saved.status as i32)),
            ik::response_body.eq(Some(&saved.body)),
            ik::resource.eq(saved.resource.as_deref()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes expired keys; returns how many.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, Error> {
    Ok(diesel::delete(ik::table.filter(ik::expires_at.le(now))).execute(conn)?)
}

/// The scope a key lives in: the user, or the client address for anonymous calls.
pub fn scope(user_id: Option<i64>, client: &str) -> String {
    match user_id {
        Some(id) => format!("user:{id}"),
        None => format!("client:{client}"),
    }
}

/// Forgets a user's saved replies (account erasure: they repeat what the user sent). The
/// sign-up reply, saved before the account existed, is scoped by client address and goes
/// with the other expired keys (after `KEEP_FOR`).
pub fn erase_user(conn: &mut DbConn, user_id: i64) -> Result<(), Error> {
    diesel::delete(ik::table.filter(ik::scope.eq(scope(Some(user_id), "")))).execute(conn)?;
    Ok(())
}
