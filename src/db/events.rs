//! The timeline of a ticket: append-only events, hash-chained per ticket. An event holds no
//! personal data itself: the actor is an id, and free text (a note, an answer, a reason) lives
//! in `event_texts`, the event keeping only its SHA-256. Erasing a person's words blanks the
//! text and the chain still verifies.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::schema::{event_texts, ticket_events};
use super::{DbConn, is_unique_violation};
use crate::db::Error;
use crate::domain::account::Role;

/// The `prev_hash` of a ticket's first event.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub struct NewEvent<'a> {
    pub ticket_id: i64,
    pub kind: &'a str,
    pub actor: Option<(i64, Role)>,
    /// The unit holding the ticket when the event happened.
    pub unit_id: Option<i64>,
    pub from_status: Option<&'a str>,
    pub to_status: Option<&'a str>,
    /// Shown to the submitter (and, for public tickets, everyone); internal otherwise.
    pub public: bool,
    /// Structured facts without personal data (e.g. `{"to_unit_id": 5, "days": 30}`).
    pub data: Value,
    pub text: Option<&'a str>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = ticket_events)]
pub struct Event {
    pub id: i64,
    pub ticket_id: i64,
    pub seq: i32,
    pub kind: String,
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub unit_id: Option<i64>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub public: bool,
    pub data: String,
    pub text_id: Option<i64>,
    pub text_sha256: Option<String>,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of an event: SHA-256 over a canonical JSON array of its fields and the previous
/// hash. Anyone can recompute it from the row.
pub fn hash_of(e: &Event) -> String {
    let canonical = serde_json::json!([
        e.ticket_id,
        e.seq,
        e.kind,
        e.actor_id,
        e.actor_role,
        e.unit_id,
        e.from_status,
        e.to_status,
        e.public,
        e.data,
        e.text_sha256,
        e.created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.prev_hash,
    ]);
    sha256_hex(canonical.to_string().as_bytes())
}

/// Appends an event to its ticket's chain; returns its id. Two writers racing on one ticket
/// collide on `(ticket_id, seq)`: the loser gets 409 `concurrent_update` and may retry.
pub fn append(conn: &mut DbConn, e: &NewEvent, now: NaiveDateTime) -> Result<i64, Error> {
    let last = ticket_events::table
        .filter(ticket_events::ticket_id.eq(e.ticket_id))
        .order(ticket_events::seq.desc())
        .select((ticket_events::seq, ticket_events::hash))
        .first::<(i32, String)>(conn)
        .optional()?;
    write(conn, e, last, now)
}

/// [`append`] for a ticket written in this transaction, whose timeline is empty: no read of
/// the last event (the unique `(ticket_id, seq)` still refuses a second first event).
pub fn append_first(conn: &mut DbConn, e: &NewEvent, now: NaiveDateTime) -> Result<i64, Error> {
    write(conn, e, None, now)
}

/// Writes `e` after `last` (its `seq` and hash; `None`: the first event).
fn write(
    conn: &mut DbConn,
    e: &NewEvent,
    last: Option<(i32, String)>,
    now: NaiveDateTime,
) -> Result<i64, Error> {
    let (seq, prev_hash) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    let (text_id, text_sha256) = match e.text {
        Some(body) => {
            let id = diesel::insert_into(event_texts::table)
                .values(event_texts::body.eq(body))
                .returning(event_texts::id)
                .get_result::<i64>(conn)?;
            (Some(id), Some(sha256_hex(body.as_bytes())))
        }
        None => (None, None),
    };
    let mut event = Event {
        id: 0,
        ticket_id: e.ticket_id,
        seq,
        kind: e.kind.to_string(),
        actor_id: e.actor.map(|a| a.0),
        actor_role: e.actor.map(|a| a.1.as_str().to_string()),
        unit_id: e.unit_id,
        from_status: e.from_status.map(str::to_string),
        to_status: e.to_status.map(str::to_string),
        public: e.public,
        data: e.data.to_string(),
        text_id,
        text_sha256,
        created_at: now,
        prev_hash,
        hash: String::new(),
    };
    event.hash = hash_of(&event);
    // No savepoint: a collision fails the whole transaction, which the caller retries.
    let inserted = diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::ticket_id.eq(event.ticket_id),
            ticket_events::seq.eq(event.seq),
            ticket_events::kind.eq(&event.kind),
            ticket_events::actor_id.eq(event.actor_id),
            ticket_events::actor_role.eq(&event.actor_role),
            ticket_events::unit_id.eq(event.unit_id),
            ticket_events::from_status.eq(&event.from_status),
            ticket_events::to_status.eq(&event.to_status),
            ticket_events::public.eq(event.public),
            ticket_events::data.eq(&event.data),
            ticket_events::text_id.eq(event.text_id),
            ticket_events::text_sha256.eq(&event.text_sha256),
            ticket_events::created_at.eq(event.created_at),
            ticket_events::prev_hash.eq(&event.prev_hash),
            ticket_events::hash.eq(&event.hash),
        ))
        .returning(ticket_events::id)
        .get_result::<i64>(conn);
    match inserted {
        Ok(id) => Ok(id),
        Err(err) if is_unique_violation(&err) => Err(Error::Concurrent),
        Err(err) => Err(err.into()),
    }
}

/// An event with its text (blank once erased).
#[derive(Debug, Clone)]
pub struct WithText {
    pub event: Event,
    pub text: Option<String>,
}

/// A ticket's events in order; `public_only` hides the internal ones.
pub fn list(conn: &mut DbConn, ticket_id: i64, public_only: bool) -> Result<Vec<WithText>, Error> {
    let mut q = ticket_events::table
        .left_join(event_texts::table)
        .filter(ticket_events::ticket_id.eq(ticket_id))
        .order(ticket_events::seq.asc())
        .select((Event::as_select(), event_texts::body.nullable()))
        .into_boxed();
    if public_only {
        q = q.filter(ticket_events::public.eq(true));
    }
    Ok(q.load::<(Event, Option<String>)>(conn)?
        .into_iter()
        .map(|(event, text)| WithText { event, text })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_every_field() {
        let e = Event {
            id: 1,
            ticket_id: 7,
            seq: 1,
            kind: crate::domain::ticket::SUBMITTED_EVENT.into(),
            actor_id: Some(3),
            actor_role: Some("citizen".into()),
            unit_id: Some(9),
            from_status: None,
            to_status: Some(crate::domain::ticket::Status::Submitted.as_str().into()),
            public: true,
            data: "{}".into(),
            text_id: None,
            text_sha256: None,
            created_at: NaiveDateTime::parse_from_str("2026-11-23 10:00:00", "%Y-%m-%d %H:%M:%S")
                .unwrap(),
            prev_hash: GENESIS.into(),
            hash: String::new(),
        };
        let h = hash_of(&e);
        assert_eq!(h.len(), 64);
        let mut changed = e.clone();
        changed.public = false;
        assert_ne!(hash_of(&changed), h);
        let mut changed = e.clone();
        changed.unit_id = Some(10);
        assert_ne!(hash_of(&changed), h);
        // The row id and the text row are not part of it (the text's hash is).
        let mut same = e.clone();
        same.id = 99;
        same.text_id = Some(5);
        assert_eq!(hash_of(&same), h);
    }
}
