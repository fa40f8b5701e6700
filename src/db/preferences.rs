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

/// A person to tell, as [`people`] finds them.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub email: Option<String>,
    pub locale: String,
    pub notify_email: bool,
    pub notify_push: bool,
    /// `None`: the defaults.
    pub prefs: Option<Preferences>,
    /// Their active devices: (id, platform), by id (none when they turned push off).
    pub devices: Vec<(i64, String)>,
    /// The unit they are an official of, if any.
    pub official_of: Option<i64>,
    /// Their name and phone, for a reply that shows the submitter's contact.
    pub name: String,
    pub phone: Option<String>,
}

/// The active accounts among `ids`, and the active officials of `units`, with their
/// preferences and active devices, in one statement (by id).
pub fn people(conn: &mut DbConn, ids: &[i64], units: &[i64]) -> Result<Vec<Person>, Error> {
    use super::schema::{devices, users};
    if ids.is_empty() && units.is_empty() {
        return Ok(Vec::new());
    }
    type Found = (
        (
            (i64, Option<String>, String, bool, bool),
            (String, Option<i64>, String, Option<String>),
        ),
        Option<Loaded>,
        Option<(i64, String)>,
    );
    let officials = users::role.eq("official").and(users::unit_id.eq_any(units));
    let rows: Vec<Found> = users::table
        .left_join(np::table)
        .left_join(
            devices::table.on(devices::user_id
                .eq(users::id)
                .and(devices::active.eq(true))
                .and(users::notify_push.eq(true))),
        )
        .filter(users::id.eq_any(ids).or(officials))
        .filter(users::disabled.eq(false))
        .order((users::id.asc(), devices::id.asc()))
        .select((
            (
                (
                    users::id,
                    users::email,
                    users::locale,
                    users::notify_email,
                    users::notify_push,
                ),
                (users::role, users::unit_id, users::full_name, users::phone),
            ),
            columns!().nullable(),
            (devices::id, devices::platform).nullable(),
        ))
        .load(conn)?;
    let mut out: Vec<Person> = Vec::new();
    for (
        ((id, email, locale, notify_email, notify_push), (role, unit_id, name, phone)),
        prefs,
        device,
    ) in rows
    {
        if out.last().is_none_or(|p| p.id != id) {
            out.push(Person {
                id,
                email,
                locale,
                notify_email,
                notify_push,
                prefs: prefs.as_ref().map(decode).transpose()?,
                devices: Vec::new(),
                official_of: unit_id.filter(|_| role == "official"),
                name,
                phone,
            });
        }
        if let (Some(d), Some(p)) = (device, out.last_mut()) {
            p.devices.push(d);
        }
    }
    Ok(out)
}

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
