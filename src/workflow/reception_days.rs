//! The heads' reception days (lịch tiếp công dân): a unit's officials publish the days its
//! head (or a deputy) receives citizens; anyone reads the upcoming days of a commune or
//! province; a verified citizen books a slot (one per day, up to the day's slots) and may
//! cancel it; the host's unit reads the bookings; the sweep reminds each booking once, the day
//! before, by push and email through the outbox.
//!
//! Whether each head held the days the law asks (`receptions.head_days`: by unit kind and the
//! level of the areas the unit covers) is [`missed`]: a whole week or month of the period
//! without a day counts as missed. A period counts as held when the unit published a day in it
//! that it did not cancel, or recorded a `head_day` reception in its register then.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::db::reception_days::{self as store, Booking, Day, NewDay};
use crate::domain::account::Role;
use crate::domain::message::Template;
use crate::domain::reception::Frequency;
use crate::error::{AppError, Reason};
use crate::i18n::Lang;
use crate::notify::recipients::{People, To};
use crate::workflow::Ctx;
use crate::workflow::receptions::unit_named;
use crate::workflow::refs::UnitRef;

/// A day to publish, checked by the API.
#[derive(Debug, Clone)]
pub struct NewDayIn {
    pub date: NaiveDate,
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub place: String,
    pub host_id: i64,
    pub slots: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostRef {
    pub id: i64,
    pub name: String,
}

/// A reception day as everyone reads it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DayView {
    pub id: i64,
    pub unit: UnitRef,
    /// The local date.
    pub date: NaiveDate,
    /// Local time `HH:MM`.
    pub start: String,
    pub end: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    /// The head (or deputy) who receives.
    pub host: HostRef,
    pub slots: i32,
    pub slots_left: i32,
}

/// A booked slot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingView {
    pub id: i64,
    pub reception_day_id: i64,
    pub topic: String,
    pub created_at: DateTime<Utc>,
    /// The citizen (in the host unit's list only).
    pub citizen: Option<HostRef>,
}

fn day_not_found() -> AppError {
    AppError::not_found("reception_day_not_found")
}

/// Publishes a reception day of `unit_id` (an official of that unit only).
pub fn schedule(
    conn: &mut DbConn,
    user: &CurrentUser,
    unit_id: i64,
    d: &NewDayIn,
    ctx: &Ctx,
    lang: Lang,
) -> Result<DayView, AppError> {
    let unit = crate::workflow::units::found(conn, unit_id)?;
    if user.role != Role::Official || user.unit_id != Some(unit.id) {
        return Err(AppError::forbidden());
    }
    if d.date < ctx.day_end.local_date(ctx.now) {
        return Err(AppError::field("/date", "in_the_past"));
    }
    let host_ok = crate::db::users::find(conn, d.host_id)?
        .is_some_and(|u| u.unit_id == Some(unit_id) && u.role == Role::Official && !u.disabled);
    if !host_ok {
        return Err(AppError::field("/host", "not_of_unit"));
    }
    let at = |t: NaiveTime| -> Result<chrono::NaiveDateTime, AppError> {
        ctx.day_end
            .tz
            .from_local_datetime(&d.date.and_time(t))
            .earliest()
            .map(|t| t.naive_utc())
            .ok_or_else(|| AppError::field("/start", "invalid_value"))
    };
    let now = ctx.naive();
    let id = store::insert_day(
        conn,
        &NewDay {
            unit_id,
            day: d.date,
            starts_at: at(d.start)?,
            ends_at: at(d.end)?,
            place: &d.place,
            host_id: d.host_id,
            slots: d.slots,
            created_by: user.id,
        },
        now,
    )?;
    crate::db::audit::record_admin(
        conn,
        Some(user.id),
        "reception_day.schedule",
        &format!("reception_day:{id}"),
        json!({"unit_id": unit_id, "date": d.date, "host_id": d.host_id, "slots": d.slots}),
        now,
    )?;
    let day = store::find_day(conn, id)?.ok_or_else(day_not_found)?;
    views(conn, vec![day], ctx, lang)?
        .pop()
        .ok_or_else(day_not_found)
}

/// The upcoming days (from `from`, not cancelled) of the units covering `area_code` (a
/// commune: its units and its province's; a province: its units and its communes'), or of
/// every unit.
pub fn upcoming(
    conn: &mut DbConn,
    area_code: Option<&str>,
    from: NaiveDate,
    after: Option<(NaiveDate, i64)>,
    limit: i64,
    ctx: &Ctx,
    lang: Lang,
) -> Result<Vec<DayView>, AppError> {
    let units = match area_code {
        Some(code) => {
            let area = crate::db::areas::find(conn, code)?
                .ok_or_else(|| AppError::field("/area_code", "unknown_area"))?;
            let mut codes = crate::db::inbox::area_and_below(conn, code)?.unwrap_or_default();
            codes.extend(area.parent_code.clone());
            Some(store::units_covering(conn, &codes)?)
        }
        None => None,
    };
    let days = store::upcoming(conn, units.as_deref(), from, after, limit)?;
    views(conn, days, ctx, lang)
}

fn views(
    conn: &mut DbConn,
    days: Vec<Day>,
    ctx: &Ctx,
    lang: Lang,
) -> Result<Vec<DayView>, AppError> {
    let ids: Vec<i64> = days.iter().map(|d| d.id).collect();
    let booked = store::booked(conn, &ids)?;
    let local = |t: chrono::NaiveDateTime| {
        t.and_utc()
            .with_timezone(&ctx.day_end.tz)
            .format("%H:%M")
            .to_string()
    };
    let mut out = Vec::with_capacity(days.len());
    for d in days {
        let host = crate::db::users::find(conn, d.host_id)?
            .map(|u| u.full_name)
            .unwrap_or_default();
        let taken = booked.get(&d.id).copied().unwrap_or(0) as i32;
        out.push(DayView {
            id: d.id,
            unit: unit_named(conn, d.unit_id, lang)?,
            date: d.day,
            start: local(d.starts_at),
            end: local(d.ends_at),
            starts_at: d.starts_at.and_utc(),
            ends_at: d.ends_at.and_utc(),
            place: d.place,
            host: HostRef {
                id: d.host_id,
                name: host,
            },
            slots: d.slots,
            slots_left: (d.slots - taken).max(0),
        });
    }
    Ok(out)
}

/// A verified citizen books a slot: one active booking each per day, up to its slots, before
/// it starts (409 `already_booked`, `reception_day_full`, `reception_day_closed`).
pub fn book(
    conn: &mut DbConn,
    user: &CurrentUser,
    day_id: i64,
    topic: &str,
    ctx: &Ctx,
) -> Result<BookingView, AppError> {
    if user.role != Role::Citizen {
        return Err(AppError::forbidden());
    }
    if !user.verified {
        return Err(AppError::refused(Reason::Forbidden, "email_not_verified"));
    }
    let day = store::find_day(conn, day_id)?
        .filter(|d| d.cancelled_at.is_none())
        .ok_or_else(day_not_found)?;
    let now = ctx.naive();
    if day.starts_at <= now {
        return Err(AppError::conflict("reception_day_closed"));
    }
    store::lock_day(conn, day_id)?;
    if store::active_booking(conn, day_id, user.id)?.is_some() {
        return Err(AppError::conflict("already_booked"));
    }
    let taken = store::booked(conn, &[day_id])?
        .get(&day_id)
        .copied()
        .unwrap_or(0);
    if taken >= day.slots as i64 {
        return Err(AppError::conflict("reception_day_full"));
    }
    let id = store::insert_booking(conn, day_id, user.id, topic, now)?;
    Ok(BookingView {
        id,
        reception_day_id: day_id,
        topic: topic.to_string(),
        created_at: now.and_utc(),
        citizen: None,
    })
}

/// The citizen cancels their booking (404 for anyone else's; 409 `booking_cancelled` when
/// cancelled already).
pub fn cancel(
    conn: &mut DbConn,
    user: &CurrentUser,
    booking_id: i64,
    ctx: &Ctx,
) -> Result<(), AppError> {
    let b = store::find_booking(conn, booking_id)?
        .filter(|b| b.user_id == user.id)
        .ok_or_else(|| AppError::not_found("booking_not_found"))?;
    if !store::cancel_booking(conn, b.id, ctx.naive())? {
        return Err(AppError::conflict("booking_cancelled"));
    }
    Ok(())
}

/// The day's bookings, for the officials of the units that handle the host unit's work (the
/// host's own, or above it when it sees its subunits); anyone else 403.
pub fn bookings(
    conn: &mut DbConn,
    user: &CurrentUser,
    day_id: i64,
) -> Result<Vec<BookingView>, AppError> {
    let day = store::find_day(conn, day_id)?.ok_or_else(day_not_found)?;
    let may = match (user.role, user.unit_id) {
        (Role::Official, Some(_)) => crate::db::scope::of(conn, user.role, user.unit_id)?
            .units
            .is_none_or(|u| u.contains(&day.unit_id)),
        _ => false,
    };
    if !may {
        return Err(AppError::forbidden());
    }
    Ok(store::bookings_of(conn, day_id)?
        .into_iter()
        .map(|(b, name): (Booking, String)| BookingView {
            id: b.id,
            reception_day_id: b.reception_day_id,
            topic: b.topic,
            created_at: b.created_at.and_utc(),
            citizen: Some(HostRef {
                id: b.user_id,
                name,
            }),
        })
        .collect())
}

/// Bookings reminded per sweep; the rest wait for the next.
const REMIND_BATCH: i64 = 500;

/// The sweep's share: each booking of a day that starts tomorrow (local) or later today, not
/// reminded yet, is reminded once — push and email through the outbox, each in its own
/// transaction claimed by a conditional update. Returns how many were reminded.
pub fn remind(conn: &mut DbConn, ctx: &Ctx) -> Result<usize, AppError> {
    let today = ctx.day_end.local_date(ctx.now);
    let tomorrow = today.succ_opt().unwrap_or(today);
    let due = store::to_remind(conn, ctx.naive(), tomorrow, REMIND_BATCH)?;
    let mut people = People::new(ctx.delivery.clone());
    let mut reminded = 0;
    for (booking, day) in due {
        crate::db::write(conn, |c| -> Result<(), AppError> {
            if !store::claim_reminder(c, booking.id, ctx.naive())? {
                return Ok(());
            }
            let unit = crate::db::units::name_of(c, day.unit_id, Lang::Vi)?.unwrap_or_default();
            let start = day
                .starts_at
                .and_utc()
                .with_timezone(&ctx.day_end.tz)
                .format("%H:%M")
                .to_string();
            let data = json!({
                "reception_day_id": day.id,
                "booking_id": booking.id,
                "unit": unit,
                "date": day.day.format("%d/%m/%Y").to_string(),
                "start": start,
                "place": day.place,
                "topic": booking.topic,
            });
            people.tell(
                c,
                &[To::User(booking.user_id)],
                Template::ReceptionDayReminder,
                &data,
                &format!("reception_booking:{}:reminder", booking.id),
                ctx.naive(),
            )?;
            reminded += 1;
            Ok(())
        })?;
    }
    Ok(reminded)
}

/// A week or month in which a unit's head held no reception day the law asks for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissedHeadDay {
    pub unit: UnitRef,
    pub frequency: Frequency,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
}

/// The duty of a unit of `kind` covering areas of `levels` (the first level with a rule).
pub fn duty(
    rules: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, Frequency>>,
    kind: &str,
    levels: &[String],
) -> Option<Frequency> {
    let by_level = rules.get(kind)?;
    ["commune", "province"]
        .into_iter()
        .filter(|l| levels.iter().any(|x| x == l))
        .find_map(|l| by_level.get(l).copied())
}

/// The whole weeks and months of `from..=to` that ended before `today` in which a unit of
/// `units` (`None`: every unit) with a duty held no day. `head_days`: the (unit, date) of its
/// `head_day` receptions in the period.
#[allow(clippy::too_many_arguments)]
pub fn missed(
    conn: &mut DbConn,
    units: Option<&[i64]>,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    rules: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, Frequency>>,
    head_days: &[(i64, NaiveDate)],
    lang: Lang,
) -> Result<Vec<MissedHeadDay>, AppError> {
    let last = to.min(today.pred_opt().unwrap_or(today));
    if last < from {
        return Ok(Vec::new());
    }
    let mut held: std::collections::HashMap<i64, Vec<NaiveDate>> = Default::default();
    for (unit, day) in store::held(conn, units, from, last)?
        .into_iter()
        .chain(head_days.iter().copied())
    {
        held.entry(unit).or_default().push(day);
    }
    let mut out = Vec::new();
    for (unit_id, kind, levels) in store::unit_levels(conn, units)? {
        let Some(freq) = duty(rules, &kind, &levels) else {
            continue;
        };
        let days = held.get(&unit_id).map(Vec::as_slice).unwrap_or(&[]);
        for (start, end) in freq.periods(from, last) {
            if !days.iter().any(|d| (start..=end).contains(d)) {
                out.push(MissedHeadDay {
                    unit: unit_named(conn, unit_id, lang)?,
                    frequency: freq,
                    period_start: start,
                    period_end: end,
                });
            }
        }
    }
    Ok(out)
}
