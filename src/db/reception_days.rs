//! The heads' reception days and their bookings.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{areas, reception_bookings, reception_days, unit_areas, units, users};
use crate::db::Error;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reception_days)]
pub struct Day {
    pub id: i64,
    pub unit_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub place: String,
    pub host_id: i64,
    pub slots: i32,
    pub cancelled_at: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reception_bookings)]
pub struct Booking {
    pub id: i64,
    pub reception_day_id: i64,
    pub user_id: i64,
    pub topic: String,
    pub created_at: NaiveDateTime,
    pub cancelled_at: Option<NaiveDateTime>,
    pub reminded_at: Option<NaiveDateTime>,
}

pub struct NewDay<'a> {
    pub unit_id: i64,
    pub day: NaiveDate,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub place: &'a str,
    pub host_id: i64,
    pub slots: i32,
    pub created_by: i64,
}

pub fn insert_day(conn: &mut DbConn, d: &NewDay, now: NaiveDateTime) -> Result<i64, Error> {
    Ok(diesel::insert_into(reception_days::table)
        .values((
            reception_days::unit_id.eq(d.unit_id),
            reception_days::day.eq(d.day),
            reception_days::starts_at.eq(d.starts_at),
            reception_days::ends_at.eq(d.ends_at),
            reception_days::place.eq(d.place),
            reception_days::host_id.eq(d.host_id),
            reception_days::slots.eq(d.slots),
            reception_days::created_by.eq(d.created_by),
            reception_days::created_at.eq(now),
        ))
        .returning(reception_days::id)
        .get_result(conn)?)
}

pub fn find_day(conn: &mut DbConn, id: i64) -> Result<Option<Day>, Error> {
    Ok(reception_days::table
        .find(id)
        .select(Day::as_select())
        .first(conn)
        .optional()?)
}

/// Takes the day's row for this transaction (an update that changes nothing): two bookings
/// of one day then count its free slots one after the other, on PostgreSQL as on SQLite.
pub fn lock_day(conn: &mut DbConn, id: i64) -> Result<bool, Error> {
    let n = diesel::update(reception_days::table.find(id))
        .set(reception_days::slots.eq(reception_days::slots))
        .execute(conn)?;
    Ok(n == 1)
}

/// Upcoming days (on or after `from`, not cancelled) of `units` (`None`: every unit), by date,
/// after the keyset position `(day, id)`.
pub fn upcoming(
    conn: &mut DbConn,
    units: Option<&[i64]>,
    from: NaiveDate,
    after: Option<(NaiveDate, i64)>,
    limit: i64,
) -> Result<Vec<Day>, Error> {
    let mut q = reception_days::table
        .filter(reception_days::cancelled_at.is_null())
        .filter(reception_days::day.ge(from))
        .into_boxed();
    if let Some(u) = units {
        q = q.filter(reception_days::unit_id.eq_any(u.to_vec()));
    }
    if let Some((day, id)) = after {
        q = q.filter(
            reception_days::day
                .gt(day)
                .or(reception_days::day.eq(day).and(reception_days::id.gt(id))),
        );
    }
    Ok(
        q.order((reception_days::day.asc(), reception_days::id.asc()))
            .limit(limit)
            .select(Day::as_select())
            .load(conn)?,
    )
}

/// The units covering any of `area_codes`.
pub fn units_covering(conn: &mut DbConn, area_codes: &[String]) -> Result<Vec<i64>, Error> {
    Ok(unit_areas::table
        .filter(unit_areas::area_code.eq_any(area_codes))
        .select(unit_areas::unit_id)
        .distinct()
        .load(conn)?)
}

/// Active bookings per day.
pub fn booked(conn: &mut DbConn, day_ids: &[i64]) -> Result<HashMap<i64, i64>, Error> {
    Ok(reception_bookings::table
        .filter(reception_bookings::reception_day_id.eq_any(day_ids))
        .filter(reception_bookings::cancelled_at.is_null())
        .group_by(reception_bookings::reception_day_id)
        .select((
            reception_bookings::reception_day_id,
            diesel::dsl::count_star(),
        ))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// The active booking of `user_id` on a day, if any.
pub fn active_booking(
    conn: &mut DbConn,
    day_id: i64,
    user_id: i64,
) -> Result<Option<Booking>, Error> {
    Ok(reception_bookings::table
        .filter(reception_bookings::reception_day_id.eq(day_id))
        .filter(reception_bookings::user_id.eq(user_id))
        .filter(reception_bookings::cancelled_at.is_null())
        .select(Booking::as_select())
        .first(conn)
        .optional()?)
}

pub fn insert_booking(
    conn: &mut DbConn,
    day_id: i64,
    user_id: i64,
    topic: &str,
    now: NaiveDateTime,
) -> Result<i64, Error> {
    Ok(diesel::insert_into(reception_bookings::table)
        .values((
            reception_bookings::reception_day_id.eq(day_id),
            reception_bookings::user_id.eq(user_id),
            reception_bookings::topic.eq(topic),
            reception_bookings::created_at.eq(now),
        ))
        .returning(reception_bookings::id)
        .get_result(conn)?)
}

pub fn find_booking(conn: &mut DbConn, id: i64) -> Result<Option<Booking>, Error> {
    Ok(reception_bookings::table
        .find(id)
        .select(Booking::as_select())
        .first(conn)
        .optional()?)
}

/// Cancels a booking not cancelled yet.
pub fn cancel_booking(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<bool, Error> {
    let n = diesel::update(
        reception_bookings::table
            .find(id)
            .filter(reception_bookings::cancelled_at.is_null()),
    )
    .set(reception_bookings::cancelled_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// A day's active bookings in the order they were made, with the citizen's name.
pub fn bookings_of(conn: &mut DbConn, day_id: i64) -> Result<Vec<(Booking, String)>, Error> {
    Ok(reception_bookings::table
        .inner_join(users::table)
        .filter(reception_bookings::reception_day_id.eq(day_id))
        .filter(reception_bookings::cancelled_at.is_null())
        .order(reception_bookings::id.asc())
        .select((Booking::as_select(), users::full_name))
        .load(conn)?)
}

/// Active bookings not yet reminded, of days not cancelled, dated on or before `last_day` and
/// starting after `now`.
pub fn to_remind(
    conn: &mut DbConn,
    now: NaiveDateTime,
    last_day: NaiveDate,
    limit: i64,
) -> Result<Vec<(Booking, Day)>, Error> {
    Ok(reception_bookings::table
        .inner_join(reception_days::table)
        .filter(reception_bookings::cancelled_at.is_null())
        .filter(reception_bookings::reminded_at.is_null())
        .filter(reception_days::cancelled_at.is_null())
        .filter(reception_days::day.le(last_day))
        .filter(reception_days::starts_at.gt(now))
        .order(reception_bookings::id.asc())
        .limit(limit)
        .select((Booking::as_select(), Day::as_select()))
        .load(conn)?)
}

/// Marks a booking reminded; `false` when another pass did first (or it was cancelled).
pub fn claim_reminder(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<bool, Error> {
    let n = diesel::update(
        reception_bookings::table
            .find(id)
            .filter(reception_bookings::reminded_at.is_null())
            .filter(reception_bookings::cancelled_at.is_null()),
    )
    .set(reception_bookings::reminded_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The (unit, date) of the days not cancelled of `units` (`None`: every unit) from `from`
/// to `to`.
pub fn held(
    conn: &mut DbConn,
    units: Option<&[i64]>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(i64, NaiveDate)>, Error> {
    let mut q = reception_days::table
        .filter(reception_days::cancelled_at.is_null())
        .filter(reception_days::day.ge(from))
        .filter(reception_days::day.le(to))
        .into_boxed();
    if let Some(u) = units {
        q = q.filter(reception_days::unit_id.eq_any(u.to_vec()));
    }
    Ok(q.select((reception_days::unit_id, reception_days::day))
        .load(conn)?)
}

/// Active units (of `units`, `None`: all) with their kind and the levels of the areas they
/// cover: (id, kind, levels).
pub fn unit_levels(
    conn: &mut DbConn,
    units_in: Option<&[i64]>,
) -> Result<Vec<(i64, String, Vec<String>)>, Error> {
    let mut q = units::table
        .inner_join(unit_areas::table.inner_join(areas::table))
        .filter(units::active.eq(true))
        .into_boxed();
    if let Some(u) = units_in {
        q = q.filter(units::id.eq_any(u.to_vec()));
    }
    let rows: Vec<(i64, String, String)> = q
        .select((units::id, units::kind, areas::level))
        .distinct()
        .order(units::id.asc())
        .load(conn)?;
    let mut out: Vec<(i64, String, Vec<String>)> = Vec::new();
    for (id, kind, level) in rows {
        match out.last_mut() {
            Some((last, _, levels)) if *last == id => levels.push(level),
            _ => out.push((id, kind, vec![level])),
        }
    }
    Ok(out)
}
