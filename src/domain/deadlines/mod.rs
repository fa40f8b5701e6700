//! Deadlines: when a clock (accept, resolve, answer…) falls due, and where it stands at a
//! given moment.
//!
//! Pure: the calendar, the period and "now" are passed in. The rules (DOMAIN.md, "Deadlines"):
//! - the day of receipt (the start date) is not counted;
//! - a period of N working days ends on the N-th working day after the start;
//! - a period of N calendar days ends N days after the start, or, if that is a day off, on the
//!   next working day;
//! - a period of 0 days ends on the start date itself, or the next working day if it is off;
//! - a period ends at the end of its last day, local time (Asia/Ho_Chi_Minh by default);
//! - a pause stops the clock and keeps the time left: the day it starts counts as used, and
//!   counting restarts after the day it ends. A pause that starts after the clock was missed
//!   changes nothing. A pause that starts on the last day leaves 0 days, so the clock then
//!   falls due on the day it resumes (or the next working day);
//! - an extension adds its days to the period, counted the same way ([`Period::extended`]).

use chrono::{DateTime, Days, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::calendar::{Calendar, MAX_PERIOD_DAYS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    WorkingDays,
    CalendarDays,
}

impl Counting {
    pub fn as_str(self) -> &'static str {
        match self {
            Counting::WorkingDays => "working_days",
            Counting::CalendarDays => "calendar_days",
        }
    }

    pub fn parse(s: &str) -> Option<Counting> {
        [Counting::WorkingDays, Counting::CalendarDays]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// How long a clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub days: u32,
    pub counting: Counting,
}

impl Period {
    pub fn working_days(days: u32) -> Self {
        Self {
            days,
            counting: Counting::WorkingDays,
        }
    }

    pub fn calendar_days(days: u32) -> Self {
        Self {
            days,
            counting: Counting::CalendarDays,
        }
    }

    /// The period after the given extensions, each counted the way the period is.
    pub fn extended(self, extensions: impl IntoIterator<Item = u32>) -> Self {
        Self {
            days: extensions
                .into_iter()
                .fold(self.days, |days, extra| days.saturating_add(extra)),
            ..self
        }
    }
}

/// The lengths a deadline policy sets for one clock, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lengths {
    pub normal: u32,
    pub complex: Option<u32>,
    pub remote: Option<u32>,
    pub complex_remote: Option<u32>,
}

impl Lengths {
    /// The length for a case: a length left unset falls back to `normal`; for a complex case in
    /// a remote area without `complex_remote`, to the larger of `complex` and `remote`.
    pub fn choose(&self, complex: bool, remote: bool) -> u32 {
        let chosen = match (complex, remote) {
            (false, false) => None,
            (true, false) => self.complex,
            (false, true) => self.remote,
            (true, true) => self.complex_remote.or(self.complex.max(self.remote)),
        };
        chosen.unwrap_or(self.normal)
    }
}

/// Where days are reckoned and when they end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayEnd {
    pub tz: Tz,
    pub end_of_day: NaiveTime,
}

const LAST_SECOND: NaiveTime = match NaiveTime::from_hms_opt(23, 59, 59) {
    Some(t) => t,
    None => panic!("23:59:59 is a time"),
};

impl Default for DayEnd {
    /// Vietnam's time, days ending at 23:59:59.
    fn default() -> Self {
        Self {
            tz: chrono_tz::Asia::Ho_Chi_Minh,
            end_of_day: LAST_SECOND,
        }
    }
}

impl DayEnd {
    /// The local date at the instant `at`.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// The instant the local day `d` ends.
    ///
    /// Where a daylight-saving change makes that local time occur twice, the later instant;
    /// where it is skipped, the first local minute after the gap. Vietnam has neither.
    pub fn end_of(&self, d: NaiveDate) -> DateTime<Utc> {
        let local = d.and_time(self.end_of_day);
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.to_utc(),
            LocalResult::Ambiguous(_, later) => later.to_utc(),
            LocalResult::None => (1..=2 * 24 * 60)
                .find_map(|m| {
                    self.tz
                        .from_local_datetime(&(local + Duration::minutes(m)))
                        .earliest()
                })
                .map_or_else(|| local.and_utc(), |t| t.to_utc()),
        }
    }
}

/// The last day of a period starting (not counted) on `start`, with no pauses.
pub fn due_date(cal: &Calendar, start: NaiveDate, period: Period) -> NaiveDate {
    due_from(cal, start, period.days, period.counting)
}

/// The last day of a period once the pauses are applied, in order; `None` while the last pause
/// has not ended.
///
/// Each pause is `(first day paused, day resumed)`, local dates. A pause starting after the due
/// date in force is ignored, and so is every pause after it: the clock was already missed.
pub fn due_after_pauses(
    cal: &Calendar,
    start: NaiveDate,
    period: Period,
    pauses: &[(NaiveDate, Option<NaiveDate>)],
) -> Option<NaiveDate> {
    let walked = walk_pauses(cal, start, period, pauses, |i, due| pauses[i].0 > due);
    (!walked.open).then_some(walked.due)
}

/// A stop of the clock, e.g. waiting for the citizen's extra information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub from: DateTime<Utc>,
    /// `None`: still paused.
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Not started yet (e.g. the resolve clock before acceptance).
    Pending,
    Running,
    Paused,
    /// The target action happened on time.
    Met,
    /// The due time passed without the action, or the action came late.
    Missed,
}

/// What [`evaluate`] needs to know about one clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockInput {
    /// `None`: pending.
    pub started_at: Option<DateTime<Utc>>,
    /// With the extensions already added.
    pub period: Period,
    /// In time order.
    pub pauses: Vec<Pause>,
    /// When the clock's target action happened.
    pub stopped_at: Option<DateTime<Utc>>,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClockView {
    pub state: ClockState,
    /// The end of `due_local_date`; `None` while pending or paused.
    pub due_at: Option<DateTime<Utc>>,
    pub due_local_date: Option<NaiveDate>,
    /// Time the clock ran: from the start to the stop (or now), less the effective pauses.
    pub used_seconds: i64,
    /// Running: until the due time, negative once missed; paused: what was left when the pause
    /// began; missed after a late stop: how late, negative; met or pending: `None`.
    pub left_seconds: Option<i64>,
}

/// Where the clock stands at `now`.
///
/// The clock is seen as of `now`: a start, stop, pause or resume later than `now` has not
/// happened yet. A pause that begins after the due instant in force is ignored (missed stays
/// missed), as is every pause after it. A clock stopped during a pause is met: it was not
/// running.
pub fn evaluate(
    cal: &Calendar,
    day_end: &DayEnd,
    input: &ClockInput,
    now: DateTime<Utc>,
) -> ClockView {
    let Some(started_at) = input.started_at.filter(|s| *s <= now) else {
        return ClockView {
            state: ClockState::Pending,
            due_at: None,
            due_local_date: None,
            used_seconds: 0,
            left_seconds: None,
        };
    };
    let stopped_at = input.stopped_at.filter(|s| *s <= now);
    let end = stopped_at.unwrap_or(now);
    let pauses: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = input
        .pauses
        .iter()
        .filter(|p| p.from <= end)
        .map(|p| (p.from.max(started_at), p.until.filter(|u| *u <= end)))
        .collect();
    // A stop ends the pause it falls in.
    let days: Vec<(NaiveDate, Option<NaiveDate>)> = pauses
        .iter()
        .map(|&(from, until)| {
            let until = until.or(stopped_at);
            (
                day_end.local_date(from),
                until.map(|u| day_end.local_date(u)),
            )
        })
        .collect();
    let walked = walk_pauses(
        cal,
        day_end.local_date(started_at),
        input.period,
        &days,
        |i, due| pauses[i].0 > day_end.end_of(due),
    );

    let effective = &pauses[..walked.effective];
    let paused_seconds: i64 = effective
        .iter()
        .map(|&(from, until)| (until.unwrap_or(end) - from).num_seconds().max(0))
        .sum();
    let used_seconds = ((end - started_at).num_seconds() - paused_seconds).max(0);
    let due_at = day_end.end_of(walked.due);

    if walked.open {
        let paused_at = effective.last().map_or(end, |p| p.0);
        return ClockView {
            state: ClockState::Paused,
            due_at: None,
            due_local_date: None,
            used_seconds,
            left_seconds: Some((due_at - paused_at).num_seconds()),
        };
    }

    let (state, left_seconds) = match stopped_at {
        Some(stop) => {
            let stopped_in_pause = effective.iter().any(|p| p.1.is_none());
            if stop <= due_at || stopped_in_pause {
                (ClockState::Met, None)
            } else {
                (ClockState::Missed, Some((due_at - stop).num_seconds()))
            }
        }
        None => {
            let state = if now > due_at {
                ClockState::Missed
            } else {
                ClockState::Running
            };
            (state, Some((due_at - now).num_seconds()))
        }
    };
    ClockView {
        state,
        due_at: Some(due_at),
        due_local_date: Some(walked.due),
        used_seconds,
        left_seconds,
    }
}

/// The last day of `days` days counted after `anchor`.
fn due_from(cal: &Calendar, anchor: NaiveDate, days: u32, counting: Counting) -> NaiveDate {
    match counting {
        Counting::WorkingDays if days == 0 => cal.next_working_day_on_or_after(anchor),
        Counting::WorkingDays => cal.nth_working_day_after(anchor, days),
        Counting::CalendarDays => {
            let last = anchor
                .checked_add_days(Days::new(u64::from(days.min(MAX_PERIOD_DAYS))))
                .unwrap_or(NaiveDate::MAX);
            cal.next_working_day_on_or_after(last)
        }
    }
}

/// Days of the period used in `(anchor, paused_on]`.
fn used_days(cal: &Calendar, anchor: NaiveDate, paused_on: NaiveDate, counting: Counting) -> u32 {
    match counting {
        Counting::WorkingDays => cal.working_days_in(anchor, paused_on),
        Counting::CalendarDays => {
            let days = (paused_on - anchor).num_days().max(0);
            u32::try_from(days).unwrap_or(u32::MAX)
        }
    }
}

/// Where the walk over the pauses ended.
struct Walked {
    /// The final due date, or, when `open`, the one in force as the open pause began.
    due: NaiveDate,
    /// How many pauses, from the first, took effect.
    effective: usize,
    /// The last effective pause has not ended.
    open: bool,
}

/// Applies the pauses in order; `began_after_miss(i, due)` says whether pause `i` began after
/// the clock was missed with `due` in force, which ends the walk.
fn walk_pauses(
    cal: &Calendar,
    start: NaiveDate,
    period: Period,
    pauses: &[(NaiveDate, Option<NaiveDate>)],
    began_after_miss: impl Fn(usize, NaiveDate) -> bool,
) -> Walked {
    let mut anchor = start;
    let mut remaining = period.days;
    for (i, &(paused_on, resumed_on)) in pauses.iter().enumerate() {
        let due = due_from(cal, anchor, remaining, period.counting);
        if began_after_miss(i, due) {
            return Walked {
                due,
                effective: i,
                open: false,
            };
        }
        remaining = remaining.saturating_sub(used_days(cal, anchor, paused_on, period.counting));
        let Some(resumed_on) = resumed_on else {
            return Walked {
                due,
                effective: i + 1,
                open: true,
            };
        };
        // Never count a day twice, even if the pauses overlap or run backwards.
        anchor = anchor.max(paused_on).max(resumed_on);
    }
    Walked {
        due: due_from(cal, anchor, remaining, period.counting),
        effective: pauses.len(),
        open: false,
    }
}

#[cfg(test)]
mod tests;
