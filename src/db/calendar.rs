//! The working-day calendar in the database: one row per date that is not a plain weekday or
//! weekend — a shipped public holiday (`holiday`, not worked) or an administrator's override
//! (`override`, worked or not). A date without a row is worked Monday to Friday.
//!
//! Changing the calendar never moves the due dates of running tickets: they keep the dates
//! computed when their clocks started (or last resumed).

use std::collections::HashSet;
use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::calendar_days;
use super::{DbConn, is_unique_violation};
use crate::db::Error;
use crate::domain::calendar::{Calendar, CalendarError};

/// The statutory holidays shipped as the default calendar.
pub const HOLIDAYS_CSV: &str = include_str!("../../assets/data/vn-public-holidays.csv");

pub const HOLIDAY: &str = "holiday";
pub const OVERRIDE: &str = "override";

static SHIPPED: LazyLock<Result<Vec<(NaiveDate, String)>, CalendarError>> =
    LazyLock::new(|| Calendar::parse_holidays_csv(HOLIDAYS_CSV));

/// The shipped holidays with their names.
pub fn shipped_holidays() -> Result<&'static [(NaiveDate, String)], Error> {
    SHIPPED
        .as_deref()
        .map_err(|e| Error::corrupt(format!("shipped holidays: {e}")))
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = calendar_days)]
pub struct Day {
    pub day: NaiveDate,
    pub working: bool,
    pub note: String,
    /// [`HOLIDAY`] or [`OVERRIDE`].
    pub source: String,
    pub updated_at: NaiveDateTime,
}

/// The engine's calendar from the whole table, in one query.
pub fn load(conn: &mut DbConn) -> Result<Calendar, Error> {
    let rows = calendar_days::table
        .select((
            calendar_days::day,
            calendar_days::working,
            calendar_days::source,
        ))
        .load::<(NaiveDate, bool, String)>(conn)?;
    Ok(calendar_of(
        rows.iter().map(|(d, w, s)| (*d, *w, s.as_str())),
    ))
}

/// The engine's calendar from `(date, working, source)` rows.
pub fn calendar_of<'a>(rows: impl Iterator<Item = (NaiveDate, bool, &'a str)> + Clone) -> Calendar {
    Calendar::new(
        rows.clone()
            .filter(|(_, _, source)| *source == HOLIDAY)
            .map(|(d, _, _)| d),
        rows.filter(|(_, _, source)| *source == OVERRIDE)
            .map(|(d, working, _)| (d, working)),
    )
}

/// The rows from `from` to `to`, both included, by date.
pub fn between(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> Result<Vec<Day>, Error> {
    Ok(calendar_days::table
        .filter(calendar_days::day.between(from, to))
        .order(calendar_days::day)
        .select(Day::as_select())
        .load(conn)?)
}

/// Makes `day` worked or not, whatever it would be by default. Run it in a write transaction.
pub fn set_override(
    conn: &mut DbConn,
    day: NaiveDate,
    working: bool,
    note: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    super::reference::changed();
    let update = |conn: &mut DbConn| {
        diesel::update(calendar_days::table.find(day))
            .set((
                calendar_days::working.eq(working),
                calendar_days::note.eq(note),
                calendar_days::source.eq(OVERRIDE),
                calendar_days::updated_at.eq(now),
            ))
            .execute(conn)
    };
    if update(conn)? > 0 {
        return Ok(());
    }
    // A savepoint: on PostgreSQL a unique violation would otherwise abort the transaction.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(calendar_days::table)
            .values((
                calendar_days::day.eq(day),
                calendar_days::working.eq(working),
                calendar_days::note.eq(note),
                calendar_days::source.eq(OVERRIDE),
                calendar_days::updated_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(()),
        // Another request inserted the date first: this one's values win, as if it came later.
        Err(e) if is_unique_violation(&e) => update(conn).map(drop).map_err(Into::into),
        Err(e) => Err(e.into()),
    }
}

/// Removes the override of `day`: a shipped holiday becomes a holiday again, any other date a
/// plain day. `false` when the date had no override. Run it in a write transaction.
pub fn remove_override(
    conn: &mut DbConn,
    day: NaiveDate,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    super::reference::changed();
    let is_override = calendar_days::day
        .eq(day)
        .and(calendar_days::source.eq(OVERRIDE));
    let holiday = shipped_holidays()?.iter().find(|(d, _)| *d == day);
    let changed = match holiday {
        Some((_, name)) => diesel::update(calendar_days::table.filter(is_override))
            .set((
                calendar_days::working.eq(false),
                calendar_days::note.eq(name),
                calendar_days::source.eq(HOLIDAY),
                calendar_days::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::delete(calendar_days::table.filter(is_override)).execute(conn)?,
    };
    Ok(changed > 0)
}

/// Adds the shipped holidays whose date has no row yet, so a release that ships more years
/// adds them, and an administrator's override of a date is never replaced. Returns how many
/// were added. Loading twice changes nothing.
pub fn load_holidays_if_missing(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, Error> {
    super::reference::changed();
    let shipped = shipped_holidays()?;
    let present: HashSet<NaiveDate> = calendar_days::table
        .select(calendar_days::day)
        .load::<NaiveDate>(conn)?
        .into_iter()
        .collect();
    let missing: Vec<&(NaiveDate, String)> = shipped
        .iter()
        .filter(|(d, _)| !present.contains(d))
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    super::write(conn, |conn| {
        for (day, name) in &missing {
            diesel::insert_into(calendar_days::table)
                .values((
                    calendar_days::day.eq(day),
                    calendar_days::working.eq(false),
                    calendar_days::note.eq(name),
                    calendar_days::source.eq(HOLIDAY),
                    calendar_days::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok::<_, Error>(())
    })?;
    Ok(missing.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_shipped_holidays_parse() {
        let shipped = shipped_holidays().unwrap();
        assert!(shipped.contains(&(date("2026-02-17"), "Lunar New Year".to_owned())));
    }

    #[test]
    fn rows_become_holidays_and_overrides() {
        let rows = [
            (date("2026-01-01"), false, HOLIDAY),
            (date("2026-01-02"), false, OVERRIDE),
            (date("2026-01-10"), true, OVERRIDE),
        ];
        let cal = calendar_of(rows.into_iter());
        assert!(cal.is_holiday(date("2026-01-01")));
        assert!(!cal.is_holiday(date("2026-01-02")));
        assert!(!cal.is_working(date("2026-01-02")));
        assert!(cal.is_working(date("2026-01-10")), "a Saturday worked");
        assert!(cal.is_working(date("2026-01-05")), "a plain Monday");
    }
}
