//! A person's data across aggregates, for the personal-data rights: export, erasure, and
//! the rule that open complaints and denunciations keep their author.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::DbConn;
use super::schema::{event_texts, ticket_events, tickets};
use crate::db::Error;
use crate::domain::ticket::Status;

fn open_statuses() -> Vec<&'static str> {
    Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect()
}

/// Tickets the user submitted, with their public timeline, as exported JSON objects.
pub fn tickets_of(conn: &mut DbConn, user_id: i64) -> Result<Vec<Value>, Error> {
    let own = super::tickets::submitted_by(conn, user_id)?;
    let mut out = Vec::new();
    for t in own {
        let events: Vec<Value> = super::events::list(conn, t.id, true)?
            .into_iter()
            .map(|e| {
                json!({
                    "kind": e.event.kind,
                    "at": e.event.created_at.and_utc(),
                    "text": e.text,
                })
            })
            .collect();
        out.push(json!({
            "code": t.code,
            "kind": t.kind,
            "status": t.status,
            "category": t.category_code,
            "title": t.title,
            "description": t.description,
            "area_code": t.area_code,
            "address": t.address,
            "lat": t.lat,
            "lon": t.lon,
            "attributes": serde_json::from_str::<Value>(&t.attributes).unwrap_or(Value::Null),
            "answer": t.answer,
            "rating": t.rating,
            "rating_comment": t.rating_comment,
            "received_at": t.received_at.and_utc(),
            "events": events,
        }));
    }
    Ok(out)
}

/// Whether the user has an open complaint or denunciation (then erasure must wait).
pub fn has_open_cases(conn: &mut DbConn, user_id: i64) -> Result<bool, Error> {
    let n = tickets::table
        .filter(tickets::submitter_id.eq(user_id))
        .filter(tickets::kind.eq_any(["complaint", "denunciation"]))
        .filter(tickets::status.eq_any(open_statuses()))
        .count()
        .get_result::<i64>(conn)?;
    Ok(n > 0)
}

/// Removes the user's personal details from their tickets: the address given and anything
/// they wrote on the timeline (answers, comments, rating comments). The tickets stay, with
/// their title and description, for the record; the events keep only the hash of the erased
/// words, so the audit chain still verifies.
pub fn pseudonymise_tickets(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(tickets::table.filter(tickets::submitter_id.eq(user_id)))
        .set((
            tickets::address.eq(None::<String>),
            tickets::rating_comment.eq(None::<String>),
        ))
        .execute(conn)?;
    let texts: Vec<i64> = ticket_events::table
        .filter(ticket_events::actor_id.eq(user_id))
        .filter(ticket_events::text_id.is_not_null())
        .select(ticket_events::text_id.assume_not_null())
        .load(conn)?;
    diesel::update(event_texts::table.filter(event_texts::id.eq_any(&texts)))
        .set((
            event_texts::body.eq(None::<String>),
            event_texts::erased_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(())
}
