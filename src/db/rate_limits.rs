//! Fixed-window counters in the database, so that every API process shares them.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::schema::rate_limits as rl;
use super::{DbConn, is_unique_violation};
use crate::db::Error;
use crate::domain::sign_in::Failures;

/// Seconds until `key` may be used again, when its window is full; `None` when under the limit.
pub fn blocked_for(
    conn: &mut DbConn,
    key: &str,
    limit: i32,
    window: Duration,
    now: NaiveDateTime,
) -> Result<Option<u64>, Error> {
    let row = rl::table
        .find(key)
        .select((rl::window_start, rl::count))
        .first::<(NaiveDateTime, i32)>(conn)
        .optional()?;
    Ok(match row {
        Some((start, count)) if start + window > now && count >= limit => {
            Some(((start + window - now).num_seconds().max(1)) as u64)
        }
        _ => None,
    })
}

/// What each of `keys` counted in its current window, in the order given; `None` when nothing
/// (or its window ended). One statement for all of them.
pub fn failures<const N: usize>(
    conn: &mut DbConn,
    keys: &[String; N],
    window: Duration,
    now: NaiveDateTime,
) -> Result<[Option<Failures>; N], Error> {
    let rows = rl::table
        .filter(rl::key.eq_any(keys.iter()))
        .select((rl::key, rl::window_start, rl::count, rl::last_at))
        .load::<(String, NaiveDateTime, i32, Option<NaiveDateTime>)>(conn)?;
    Ok(keys.each_ref().map(|key| {
        rows.iter()
            .find(|(k, start, _, _)| k == key && *start + window > now)
            .map(|(_, start, count, last_at)| Failures {
                count: *count,
                window_ends: *start + window,
                last_at: last_at.unwrap_or(*start),
            })
    }))
}

/// Counts one use of `key` in the current window (a new window starts when the old one ended).
pub fn record(
    conn: &mut DbConn,
    key: &str,
    window: Duration,
    now: NaiveDateTime,
) -> Result<(), Error> {
    for _ in 0..3 {
        let row = rl::table
            .find(key)
            .select(rl::window_start)
            .first::<NaiveDateTime>(conn)
            .optional()?;
        match row {
            Some(start) if start + window > now => {
                diesel::update(rl::table.find(key))
                    .set((rl::count.eq(rl::count + 1), rl::last_at.eq(now)))
                    .execute(conn)?;
                return Ok(());
            }
            Some(_) => {
                diesel::update(rl::table.find(key))
                    .set((
                        rl::window_start.eq(now),
                        rl::count.eq(1),
                        rl::last_at.eq(now),
                    ))
                    .execute(conn)?;
                return Ok(());
            }
            None => {
                let inserted = conn.transaction(|conn| {
                    diesel::insert_into(rl::table)
                        .values((
                            rl::key.eq(key),
                            rl::window_start.eq(now),
                            rl::count.eq(1),
                            rl::last_at.eq(now),
                        ))
                        .execute(conn)
                });
                match inserted {
                    Ok(_) => return Ok(()),
                    // Inserted by a concurrent request: count on its row.
                    Err(e) if is_unique_violation(&e) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Ok(())
}

pub fn clear(conn: &mut DbConn, key: &str) -> Result<(), Error> {
    diesel::delete(rl::table.find(key)).execute(conn)?;
    Ok(())
}

/// Deletes up to `limit` counters whose window started before `started_before` (they hold
/// client addresses); returns how many.
pub fn purge(conn: &mut DbConn, started_before: NaiveDateTime, limit: i64) -> Result<usize, Error> {
    super::write(conn, |conn| {
        let keys: Vec<String> = rl::table
            .filter(rl::window_start.lt(started_before))
            .select(rl::key)
            .limit(limit)
            .load(conn)?;
        Ok(diesel::delete(rl::table.filter(rl::key.eq_any(&keys))).execute(conn)?)
    })
}
