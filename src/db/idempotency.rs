//! Saved responses for `Idempotency-Key` (DESIGN "Conventions"): scoped per user or client,
//! kept 24 h. A retry with the same key and body gets the first response again; another body
//! is 422; a retry while the first is still running is 409 with `Retry-After`.
//!
//! The key is claimed in its own short transaction (so concurrent retries see it), and
//! completed inside the caller's business transaction (so a crash never leaves a created
//! resource without its saved response, nor a saved response without its resource).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::idempotency_keys as ik;
use super::{DbConn, is_unique_violation, write};
use crate::error::ApiError;

/// How long a key is remembered.
pub const KEEP_FOR: Duration = Duration::hours(24);
/// A claim older than this with no response is from a request that died; it may be taken over.
pub const STALE_AFTER: Duration = Duration::seconds(60);

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

pub fn claim(
    conn: &mut DbConn,
    scope: &str,
    key: &str,
    request_hash: &str,
    now: NaiveDateTime,
) -> Result<Claim, ApiError> {
    write(conn, |conn| {
        let existing = ik::table
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
            .optional()?;
        match existing {
            Some(row) if row.expires_at > now => {
                if row.request_hash != request_hash {
                    return Err(ApiError::unprocessable("idempotency_key_reused"));
                }
                if row.state == "done" {
                    return Ok(Claim::Replay(Saved {
                        status: row.response_status.unwrap_or(200) as u16,
                        body: row.response_body.unwrap_or_default(),
                        resource: row.resource,
                    }));
                }
                if now - row.created_at < STALE_AFTER {
                    return Err(ApiError::conflict("idempotency_in_progress")
                        .arg("retry_after", 1)
                        .retry_after(1));
                }
                diesel::update(ik::table.filter(ik::scope.eq(scope).and(ik::key.eq(key))))
                    .set((ik::created_at.eq(now), ik::expires_at.eq(now + KEEP_FOR)))
                    .execute(conn)?;
                Ok(Claim::Fresh)
            }
            Some(_) => {
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
                Ok(Claim::Fresh)
            }
            None => {
                let inserted = diesel::insert_into(ik::table)
                    .values((
                        ik::scope.eq(scope),
                        ik::key.eq(key),
                        ik::request_hash.eq(request_hash),
                        ik::state.eq("running"),
                        ik::created_at.eq(now),
                        ik::expires_at.eq(now + KEEP_FOR),
                    ))
                    .execute(conn);
                match inserted {
                    Ok(_) => Ok(Claim::Fresh),
                    // Another request claimed it between our read and insert.
                    Err(e) if is_unique_violation(&e) => {
                        Err(ApiError::conflict("idempotency_in_progress")
                            .arg("retry_after", 1)
                            .retry_after(1))
                    }
                    Err(e) => Err(e.into()),
                }
            }
        }
    })
}

/// Records the response; call inside the transaction that made the change.
pub fn complete(conn: &mut DbConn, scope: &str, key: &str, saved: &Saved) -> Result<(), ApiError> {
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

/// Forgets a claim whose request failed, so that a corrected retry may use the same key.
pub fn release(conn: &mut DbConn, scope: &str, key: &str) -> Result<(), ApiError> {
    diesel::delete(
        ik::table.filter(
            ik::scope
                .eq(scope)
                .and(ik::key.eq(key))
                .and(ik::state.eq("running")),
        ),
    )
    .execute(conn)?;
    Ok(())
}

/// Deletes expired keys; returns how many.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, ApiError> {
    Ok(diesel::delete(ik::table.filter(ik::expires_at.le(now))).execute(conn)?)
}
