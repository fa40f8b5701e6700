//! A staff member's notification preferences (see `domain::preferences`): one row per person
//! who changed them; no row means the defaults.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::notification_preferences as np;
use super::{DbConn, Error};
use crate::domain::preferences::{Channels, Choice, Event, Preferences};

fn decode((_, c, hour): &Loaded) -> Result<Preferences, Error> {
    let choices = [&c.0, &c.1, &c.2, &c.3, &c.4, &c.5, &c.6, &c.7, &c.8, &c.9];
    let hour = *hour;
    let mut p = Preferences::default();
    let choice = |s: &str| Choice::parse(s).ok_or_else(|| Error::corrupt(format!("choice {s:?}")));
    for (i, e) in Event::ALL.into_iter().enumerate() {
        p.set(
            e,
            Channels {
                email: choice(choices[2 * i])?,
                push: choice(choices[2 * i + 1])?,
            },
        );
    }
    u8::try_from(hour)
        .ok()
        .and_then(|h| p.set_digest_hour(h).ok())
        .ok_or_else(|| Error::corrupt(format!("digest hour {hour}")))?;
    Ok(p)
}

/// The columns in the order of [`Loaded`]: each event's email, then push.
macro_rules! columns {
    () => {
        (
            np::user_id,
            (
                np::new_ticket_email,
                np::new_ticket_push,
                np::assigned_email,
                np::assigned_push,
                np::due_soon_email,
                np::due_soon_push,
                np::overdue_email,
                np::overdue_push,
                np::citizen_reply_email,
                np::citizen_reply_push,
            ),
            np::digest_hour,
        )
    };
}

type Loaded = (
    i64,
    (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    ),
    i32,
);

/// The preferences of `user_id` (the defaults if they never changed them).
pub fn load(conn: &mut DbConn, user_id: i64) -> Result<Preferences, Error> {
    Ok(load_many(conn, &[user_id])?
        .remove(&user_id)
        .unwrap_or_default())
}

/// The preferences of those of `ids` who changed them.
pub fn load_many(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Preferences>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = np::table
        .filter(np::user_id.eq_any(ids))
        .select(columns!())
        .load::<Loaded>(conn)?;
    rows.iter().map(|r| Ok((r.0, decode(r)?))).collect()
}

/// Stores `p` as the preferences of `user_id`. Call inside a write transaction.
pub fn save(
    conn: &mut DbConn,
    user_id: i64,
    p: &Preferences,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let c = |e: Event| p.of(e);
    let values = (
        np::new_ticket_email.eq(c(Event::NewTicket).email.as_str()),
        np::new_ticket_push.eq(c(Event::NewTicket).push.as_str()),
        np::assigned_email.eq(c(Event::Assigned).email.as_str()),
        np::assigned_push.eq(c(Event::Assigned).push.as_str()),
        np::due_soon_email.eq(c(Event::DueSoon).email.as_str()),
        np::due_soon_push.eq(c(Event::DueSoon).push.as_str()),
        np::overdue_email.eq(c(Event::Overdue).email.as_str()),
        np::overdue_push.eq(c(Event::Overdue).push.as_str()),
        np::citizen_reply_email.eq(c(Event::CitizenReply).email.as_str()),
        np::citizen_reply_push.eq(c(Event::CitizenReply).push.as_str()),
        np::digest_hour.eq(i32::from(p.digest_hour())),
        np::updated_at.eq(now),
    );
    // Insert if new, then set: two saves at once both end with a row and no unique violation.
    super::insert_new_only!(
        conn,
        diesel::insert_into(np::table).values((np::user_id.eq(user_id), values))
    )?;
    diesel::update(np::table.find(user_id))
        .set(values)
        .execute(conn)?;
    Ok(())
}

/// Forgets the preferences of an erased account.
pub fn erase(conn: &mut DbConn, user_id: i64) -> Result<(), Error> {
    diesel::delete(np::table.find(user_id)).execute(conn)?;
    Ok(())
}
