//! Deadlines for the public: the working-day calendar, and a preview of the due moments the
//! current policies and calendar give a submission.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::db::calendar::{self as days, Day};
use crate::db::policies;
use crate::domain::deadlines::{Counting, Lengths, due_date};
use crate::domain::policy::{
    Channel, ClockFacts, ClockName, Extensions, PolicyClock, StartsAt, TicketFacts, TicketKind,
};
use crate::i18n::{self, Lang};
use crate::state::AppState;
use crate::validation::Violations;

/// The longest range the calendar lists, in days (a leap year).
pub const MAX_CALENDAR_DAYS: i64 = 366;

// --- the clock shapes shared with the administrators' policy routes -------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountingBody {
    WorkingDays,
    CalendarDays,
}

impl From<Counting> for CountingBody {
    fn from(c: Counting) -> Self {
        match c {
            Counting::WorkingDays => CountingBody::WorkingDays,
            Counting::CalendarDays => CountingBody::CalendarDays,
        }
    }
}

impl From<CountingBody> for Counting {
    fn from(c: CountingBody) -> Self {
        match c {
            CountingBody::WorkingDays => Counting::WorkingDays,
            CountingBody::CalendarDays => Counting::CalendarDays,
        }
    }
}

/// A clock's length in days by case; an unset length falls back to `normal` (a complex case
/// in a remote area without `complex_remote`: the larger of `complex` and `remote`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LengthsBody {
    /// 0–3660 (1–3660 for `update`).
    pub normal: u32,
    pub complex: Option<u32>,
    pub remote: Option<u32>,
    pub complex_remote: Option<u32>,
}

/// One clock of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockBody {
    /// Each name at most once per policy.
    pub name: ClockName,
    /// `accept` and `forward` start at receipt.
    pub starts_at: StartsAt,
    pub counting: CountingBody,
    pub lengths: LengthsBody,
    /// Default: none allowed.
    #[serde(default)]
    pub extensions: Extensions,
}

impl From<&PolicyClock> for ClockBody {
    fn from(c: &PolicyClock) -> Self {
        let l = c.lengths;
        ClockBody {
            name: c.name,
            starts_at: c.starts_at,
            counting: c.counting.into(),
            lengths: LengthsBody {
                normal: l.normal,
                complex: l.complex,
                remote: l.remote,
                complex_remote: l.complex_remote,
            },
            extensions: c.extensions,
        }
    }
}

impl From<ClockBody> for PolicyClock {
    fn from(c: ClockBody) -> Self {
        let l = c.lengths;
        PolicyClock {
            name: c.name,
            starts_at: c.starts_at,
            counting: c.counting.into(),
            lengths: Lengths {
                normal: l.normal,
                complex: l.complex,
                remote: l.remote,
                complex_remote: l.complex_remote,
            },
            extensions: c.extensions,
        }
    }
}

// --- calendar ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DaySource {
    /// A shipped public holiday.
    Holiday,
    /// Set by an administrator; `DELETE /admin/calendar/{date}` removes it.
    Override,
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub working: bool,
    /// The holiday's name, the administrator's note, or the weekend day's name; `null` on a
    /// plain weekday.
    pub note: Option<String>,
    /// Why the day differs from a plain weekday or weekend; `null` when it does not.
    pub source: Option<DaySource>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDays {
    /// Every day of the range, in order.
    pub days: Vec<CalendarDay>,
}

/// Every day from `from` to `to` (both included), given the table's rows in that range.
pub fn calendar_days(rows: &[Day], from: NaiveDate, to: NaiveDate, lang: Lang) -> Vec<CalendarDay> {
    let by_date: HashMap<NaiveDate, &Day> = rows.iter().map(|d| (d.day, d)).collect();
    let calendar = days::calendar_of(rows.iter().map(|d| (d.day, d.working, d.source.as_str())));
    from.iter_days()
        .take_while(|d| *d <= to)
        .map(|date| {
            let row = by_date.get(&date);
            let weekend = i18n::weekend_name(lang, date.weekday()).map(str::to_string);
            CalendarDay {
                date,
                working: calendar.is_working(date),
                note: row.map(|r| i18n::holiday_name(lang, &r.note)).or(weekend),
                source: row.map(|r| match r.source.as_str() {
                    days::HOLIDAY => DaySource::Holiday,
                    _ => DaySource::Override,
                }),
            }
        })
        .collect()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// First day, `YYYY-MM-DD`.
    #[param(value_type = NaiveDate)]
    pub from: String,
    /// Last day, `YYYY-MM-DD`, included; at most 366 days in all.
    #[param(value_type = NaiveDate)]
    pub to: String,
}

/// Parses a `YYYY-MM-DD` date, recording `invalid_date` on `field` otherwise.
pub fn parse_date(v: &mut Violations, field: &str, raw: &str) -> Option<NaiveDate> {
    v.parse(field, raw, |s| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| "invalid_date")
    })
}

/// The working-day calendar: every day of a range (at most 366 days), weekends included, with
/// holidays and administrators' overrides. Deadlines count working days on it.
#[utoipa::path(tag = "deadlines", params(CalendarQuery),
    responses((status = 200, body = CalendarDays),
        (status = 422, description = "invalid_date, before_from, range_too_long", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/calendar")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let from = parse_date(&mut v, "/from", &q.from);
    let to = parse_date(&mut v, "/to", &q.to);
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            v.add("/to", "before_from");
        } else if (to - from).num_days() >= MAX_CALENDAR_DAYS {
            v.add_error(
                crate::error::FieldError::new("/to", "range_too_long")
                    .arg("max", MAX_CALENDAR_DAYS),
            );
        }
    }
    v.finish()?;
    let (from, to) = (from.expect("checked"), to.expect("checked"));
    let rows = state.db(move |conn| days::between(conn, from, to)).await?;
    Ok(HttpResponse::Ok().json(CalendarDays {
        days: calendar_days(&rows, from, to, ctx.lang),
    }))
}

// --- preview ------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    pub kind: TicketKind,
    /// A category code; its policy, or its nearest ancestor's, applies.
    pub category: Option<String>,
    /// An area code; a remote area (or one in a remote province) gets the remote lengths.
    pub area_code: Option<String>,
    /// Default `app`.
    pub channel: Option<Channel>,
    /// Complaints only: 1 (default) or 2.
    pub round: Option<u8>,
    /// Default `false`.
    pub complex: Option<bool>,
    /// RFC 3339 with an offset (`+` percent-encoded as `%2B`); default: now.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub received_at: Option<String>,
    /// RFC 3339 with an offset; without it, clocks that start at acceptance are pending.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub accepted_at: Option<String>,
}

/// Parses an RFC 3339 time that states its offset; records `offset_required` for a local time
/// without one and `invalid_datetime` for anything else.
pub fn parse_instant(v: &mut Violations, field: &str, raw: &str) -> Option<DateTime<Utc>> {
    v.parse(field, raw.trim(), |s| {
        // A `+` sent unencoded in a query string arrives as a space: `…T10:00:00 07:00`.
        let restored = match s.len().checked_sub(6).and_then(|i| s.get(i..)) {
            Some(tail) if tail.starts_with(' ') && tail[1..].contains(':') => {
                format!("{}+{}", &s[..s.len() - 6], &tail[1..])
            }
            _ => s.to_string(),
        };
        if let Ok(t) = DateTime::parse_from_rfc3339(&restored) {
            return Ok(t.to_utc());
        }
        let local = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
        ]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok());
        Err(if local {
            "offset_required"
        } else {
            "invalid_datetime"
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreviewState {
    /// Waits for its start (acceptance): no due moment yet.
    Pending,
    /// Counts from its start.
    Running,
}

/// When one clock falls due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClockPreview {
    pub name: ClockName,
    pub starts_at: StartsAt,
    pub counting: CountingBody,
    /// The length for this case (complex, remote), extensions not included.
    pub days: u32,
    pub extensions: Extensions,
    pub state: PreviewState,
    /// The end of `due_local_date` in local time (`deadlines.end_of_day`), in UTC; for
    /// `update`, the first progress note's.
    pub due_at: Option<DateTime<Utc>>,
    /// The last day, local date.
    pub due_local_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PolicyRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    /// The policy chosen; `null` when none applies (then there are no clocks).
    pub policy: Option<PolicyRef>,
    pub kind: TicketKind,
    pub round: Option<u8>,
    pub category: Option<String>,
    pub channel: Channel,
    /// The category is flagged urgent.
    pub urgent: bool,
    /// The area or its province is flagged remote.
    pub remote: bool,
    pub complex: bool,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub clocks: Vec<ClockPreview>,
}

/// The due moments a submission would get now: the policy chosen for it and each of its
/// clocks under the current calendar. Nothing is stored; running tickets keep their own dates.
#[utoipa::path(tag = "deadlines", params(PreviewQuery),
    responses((status = 200, body = Preview),
        (status = 422, description = "offset_required, invalid_datetime, unknown_category, unknown_area, round_only_for_complaints, before_received", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/deadlines/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let round = match (q.kind, q.round) {
        (TicketKind::Complaint, None) => Some(1),
        (TicketKind::Complaint, Some(r)) => {
            v.range("/round", r, 1, 2);
            Some(r)
        }
        (_, None) => None,
        (_, Some(_)) => {
            v.add("/round", "round_only_for_complaints");
            None
        }
    };
    let received_at = match q.received_at.as_deref() {
        Some(raw) => parse_instant(&mut v, "/received_at", raw),
        None => Some(state.clock.now()),
    };
    let accepted_at = q
        .accepted_at
        .as_deref()
        .and_then(|raw| parse_instant(&mut v, "/accepted_at", raw));
    if let (Some(r), Some(a)) = (received_at, accepted_at)
        && a < r
    {
        v.add("/accepted_at", "before_received");
    }
    v.finish()?;
    let received_at = received_at.expect("checked");
    let channel = q.channel.unwrap_or(Channel::App);
    let (kind, category, area) = (q.kind, q.category.clone(), q.area_code.clone());

    let (facts, remote, policy, calendar) = state
        .db(move |conn| -> Result<_, ApiError> {
            let mut v = Violations::new();
            let chain = match &category {
                Some(code) => policies::category_chain(conn, code)?,
                None => Some((Vec::new(), false)),
            };
            if chain.is_none() {
                v.add("/category", "unknown_category");
            }
            let remote = match &area {
                Some(code) => policies::area_is_remote(conn, code)?,
                None => Some(false),
            };
            if remote.is_none() {
                v.add("/area_code", "unknown_area");
            }
            v.finish()?;
            let (categories, urgent) = chain.expect("checked");
            let facts = TicketFacts {
                kind,
                round,
                categories,
                channel: Some(channel),
                urgent,
            };
            let policy = policies::for_ticket(conn, &facts)?;
            let calendar = days::load(conn)?;
            Ok((facts, remote.expect("checked"), policy, calendar))
        })
        .await?;

    let complex = q.complex.unwrap_or(false);
    let clock_facts = ClockFacts {
        complex,
        remote,
        extension_days: 0,
        received_at,
        accepted_at,
    };
    let day_end = state.settings.deadlines.day_end();
    let clocks = policy
        .iter()
        .flat_map(|p| &p.clocks)
        .map(|clock| {
            let input = clock.input(&clock_facts);
            let due = input
                .started_at
                .map(|start| due_date(&calendar, day_end.local_date(start), input.period));
            ClockPreview {
                name: clock.name,
                starts_at: clock.starts_at,
                counting: clock.counting.into(),
                days: input.period.days,
                extensions: clock.extensions,
                state: match due {
                    Some(_) => PreviewState::Running,
                    None => PreviewState::Pending,
                },
                due_at: due.map(|d| day_end.end_of(d)),
                due_local_date: due,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(Preview {
        policy: policy.map(|p| PolicyRef {
            id: p.id,
            name: p.name,
        }),
        kind: facts.kind,
        round: facts.round,
        category: q.category,
        channel,
        urgent: facts.urgent,
        remote,
        complex,
        received_at,
        accepted_at,
        clocks,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(raw: &str) -> Result<DateTime<Utc>, Vec<(String, String)>> {
        let mut v = Violations::new();
        let t = parse_instant(&mut v, "/t", raw);
        match v.finish() {
            Ok(()) => Ok(t.unwrap()),
            Err(e) => Err(ApiError::from(e)
                .to_problem(Lang::En, "")
                .errors
                .into_iter()
                .map(|f| (f.field, f.code))
                .collect()),
        }
    }

    #[test]
    fn times_need_an_offset() {
        let utc = "2026-02-13T03:00:00Z".parse::<DateTime<Utc>>().unwrap();
        assert_eq!(instant("2026-02-13T10:00:00+07:00"), Ok(utc));
        assert_eq!(instant("2026-02-13T03:00:00Z"), Ok(utc));
        assert_eq!(
            instant("2026-02-13T10:00:00 07:00"),
            Ok(utc),
            "a `+` decoded as a space"
        );
        let refused = |code: &str| Err(vec![("/t".to_string(), code.to_string())]);
        assert_eq!(instant("2026-02-13T10:00:00"), refused("offset_required"));
        assert_eq!(instant("2026-02-13T10:00"), refused("offset_required"));
        assert_eq!(instant("2026-02-13"), refused("invalid_datetime"));
        assert_eq!(instant("yesterday"), refused("invalid_datetime"));
    }

    fn day(d: &str, working: bool, note: &str, source: &str) -> Day {
        Day {
            day: d.parse().unwrap(),
            working,
            note: note.into(),
            source: source.into(),
            updated_at: NaiveDateTime::default(),
        }
    }

    #[test]
    fn every_day_is_listed_with_weekends_named() {
        let rows = vec![
            day("2026-01-01", false, "New Year's Day", days::HOLIDAY),
            day("2026-01-02", false, "Nghỉ bù", days::OVERRIDE),
            day("2026-01-10", true, "Làm bù", days::OVERRIDE),
        ];
        let from = "2025-12-31".parse().unwrap();
        let to = "2026-01-10".parse().unwrap();
        let list = calendar_days(&rows, from, to, Lang::En);
        assert_eq!(list.len(), 11);
        let at = |d: &str| list.iter().find(|x| x.date.to_string() == d).unwrap();
        assert_eq!(
            at("2026-01-01"),
            &CalendarDay {
                date: "2026-01-01".parse().unwrap(),
                working: false,
                note: Some("New Year's Day".into()),
                source: Some(DaySource::Holiday),
            }
        );
        assert!(!at("2026-01-02").working);
        assert_eq!(at("2026-01-03").note.as_deref(), Some("Saturday"));
        assert_eq!(at("2026-01-03").source, None);
        assert!(at("2026-01-05").working);
        assert_eq!(at("2026-01-05").note, None);
        assert!(at("2026-01-10").working);
        assert_eq!(at("2026-01-10").note.as_deref(), Some("Làm bù"));
        let vi = calendar_days(&rows, from, to, Lang::Vi);
        assert_eq!(vi[1].note.as_deref(), Some("Tết Dương lịch"));
        assert_eq!(vi[4].note.as_deref(), Some("Chủ Nhật"));
    }
}
