//! Response-time reports: what one ticket contributes to a group's figures, and the arithmetic
//! that turns a group's contributions into counts, spreads and rates.
//!
//! Pure: the calendar, the day boundaries and "now" are passed in. Every definition here is
//! also written, for people, in the README ("Reports") and the OpenAPI description of
//! `GET /api/v1/reports/response-times`.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use super::calendar::Calendar;
use super::deadlines::{ClockState, DayEnd};
use super::ticket::Status;

/// The clocks whose on-time rate a report gives: the decision on acceptance and the answer.
pub const REPORTED_CLOCKS: [&str; 2] = ["accept", "resolve"];

/// A stretch of time from an instant until another (`None`: not ended).
pub type Stretch = (DateTime<Utc>, Option<DateTime<Utc>>);

/// How a clock ended, as far as a report is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stopped by the unit's action on or before its due moment.
    Met,
    /// Stopped after its due moment, or still running past it.
    Missed,
    /// Not decided: pending, running or paused within time, or stopped because the ticket left
    /// the unit's hands (withdrawn, closed as a duplicate) before it was late.
    Undecided,
}

/// The figures of a report's group, in the order of its CSV columns.
pub const CSV_COLUMNS: &[&str] = &[
    "group_by",
    "key",
    "label",
    "received",
    "accepted",
    "resolved",
    "refused",
    "withdrawn",
    "closed_as_duplicate",
    "open",
    "open_overdue",
    "accept_count",
    "accept_hours_median",
    "accept_hours_p90",
    "accept_hours_max",
    "accept_working_days_median",
    "accept_working_days_p90",
    "accept_working_days_max",
    "resolve_count",
    "resolve_hours_median",
    "resolve_hours_p90",
    "resolve_hours_max",
    "resolve_working_days_median",
    "resolve_working_days_p90",
    "resolve_working_days_max",
    "accept_met",
    "accept_decided",
    "accept_on_time_rate",
    "resolve_met",
    "resolve_decided",
    "resolve_on_time_rate",
    "on_time_rate",
    "extensions_used",
    "tickets_extended",
    "reopened",
    "reopen_rate",
    "ratings",
    "mean_rating",
    "satisfied_share",
];

/// The timeline events that stop the clocks, and those that start them again (an answer, the
/// end of a suspension, a question the unit withdrew or that ran out unanswered).
pub const PAUSE_STARTS: [&str; 2] = ["info_requested", "suspended"];
pub const PAUSE_ENDS: [&str; 4] = [
    "info_provided",
    "resumed",
    "info_request_withdrawn",
    "info_wait_expired",
];

/// Where a reported clock stands, as decided when it last changed: only a running clock's
/// outcome still moves with time (it is missed once its due moment passes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    Met,
    Missed,
    Undecided,
    Running { due: DateTime<Utc> },
}

impl Standing {
    /// From the clock's state: `left_hands` when it was stopped because the ticket left the
    /// unit's hands (withdrawn, closed as a duplicate), which decides nothing.
    pub fn of(
        state: ClockState,
        stopped: bool,
        due: Option<DateTime<Utc>>,
        left_hands: bool,
    ) -> Self {
        match (state, due) {
            (ClockState::Met, _) if left_hands => Standing::Undecided,
            (ClockState::Met, _) => Standing::Met,
            (ClockState::Missed, _) if stopped => Standing::Missed,
            (ClockState::Missed | ClockState::Running, Some(due)) if !stopped => {
                Standing::Running { due }
            }
            _ => Standing::Undecided,
        }
    }

    pub fn outcome_at(self, now: DateTime<Utc>) -> Outcome {
        match self {
            Standing::Met => Outcome::Met,
            Standing::Missed => Outcome::Missed,
            Standing::Undecided => Outcome::Undecided,
            Standing::Running { due } if now > due => Outcome::Missed,
            Standing::Running { .. } => Outcome::Undecided,
        }
    }

    /// As stored: the word, and the due moment of a running clock.
    pub fn stored(self) -> (&'static str, Option<DateTime<Utc>>) {
        match self {
            Standing::Met => ("met", None),
            Standing::Missed => ("missed", None),
            Standing::Undecided => ("undecided", None),
            Standing::Running { due } => ("running", Some(due)),
        }
    }

    pub fn from_stored(word: &str, due: Option<DateTime<Utc>>) -> Self {
        match (word, due) {
            ("met", _) => Standing::Met,
            ("missed", _) => Standing::Missed,
            ("running", Some(due)) => Standing::Running { due },
            _ => Standing::Undecided,
        }
    }
}

/// What a report needs to know about one ticket.
#[derive(Debug, Clone)]
pub struct TicketFacts {
    pub status: Status,
    pub received_at: DateTime<Utc>,
    /// Accepted by the unit holding it (kept through resolution, reopening and withdrawal).
    pub accepted_at: Option<DateTime<Utc>>,
    /// The answer in force: set while the ticket is resolved or closed after an answer.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Stretches of time the clocks were stopped for the ticket (waiting for the citizen's
    /// information, suspension), from the timeline; `None` until: still paused.
    pub pauses: Vec<Stretch>,
    /// The outcome of each reported clock the ticket has.
    pub clocks: Vec<(&'static str, Outcome)>,
    /// Open with a clock whose due moment has passed and that has not stopped.
    pub open_overdue: bool,
    /// Extensions granted, over all the ticket's clocks.
    pub extensions_used: u32,
    pub reopen_count: u32,
    pub rating: Option<i32>,
}

/// Time that counted between two instants, pauses left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    pub seconds: i64,
    pub working_days: u32,
}

/// The time between `start` and `end` that was not paused: in seconds, and in working days by
/// the deadline rules (the start day is not counted; a pause's first day counts as used, and
/// counting restarts after the day it ends).
pub fn elapsed(
    cal: &Calendar,
    day_end: &DayEnd,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Stretch],
) -> Elapsed {
    if end <= start {
        return Elapsed {
            seconds: 0,
            working_days: 0,
        };
    }
    let clipped = merged(start, end, pauses);
    let paused: i64 = clipped.iter().map(|(a, b)| (*b - *a).num_seconds()).sum();
    let mut days =
        i64::from(cal.working_days_in(day_end.local_date(start), day_end.local_date(end)));
    for (a, b) in &clipped {
        days -= i64::from(cal.working_days_in(day_end.local_date(*a), day_end.local_date(*b)));
    }
    Elapsed {
        seconds: ((end - start).num_seconds() - paused).max(0),
        working_days: u32::try_from(days.max(0)).unwrap_or(0),
    }
}

/// The pauses cut to `[start, end]`, an open pause ending at `end`, overlapping ones merged.
fn merged(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pauses: &[Stretch],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut cut: Vec<(DateTime<Utc>, DateTime<Utc>)> = pauses
        .iter()
        .map(|&(a, b)| (a.max(start), b.unwrap_or(end).min(end)))
        .filter(|(a, b)| a < b)
        .collect();
    cut.sort();
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (a, b) in cut {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Median (the lower one), 90th percentile (nearest rank) and maximum of a list.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spread<T> {
    pub median: T,
    pub p90: T,
    pub max: T,
}

/// The lower median, `⌈0.9·n⌉`-th smallest and largest of `values`; `None` when empty.
pub fn spread<T: Copy + Ord>(values: &mut [T]) -> Option<Spread<T>> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(Spread {
        median: values[(n - 1) / 2],
        p90: values[nearest_rank(n, 90) - 1],
        max: values[n - 1],
    })
}

/// The nearest rank of the `pct`-th percentile among `n` values: `⌈pct·n/100⌉`, at least 1.
pub fn nearest_rank(n: usize, pct: usize) -> usize {
    (pct * n).div_ceil(100).max(1)
}

/// `part / whole`, rounded to 4 decimals; `None` when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round(part as f64 / whole as f64, 4))
}

pub fn round(x: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (x * f).round() / f
}

/// Seconds as hours with 2 decimals.
pub fn hours(seconds: i64) -> f64 {
    round(seconds as f64 / 3600.0, 2)
}

/// What one group of tickets adds up to, before the spreads are taken.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub received: u64,
    pub accepted: u64,
    pub resolved: u64,
    pub refused: u64,
    pub withdrawn: u64,
    pub duplicates: u64,
    pub open: u64,
    pub open_overdue: u64,
    pub accept_seconds: Vec<i64>,
    pub accept_days: Vec<u32>,
    pub resolve_seconds: Vec<i64>,
    pub resolve_days: Vec<u32>,
    /// Per clock name: (met, decided).
    pub clocks: BTreeMap<&'static str, (u64, u64)>,
    pub extensions_used: u64,
    pub tickets_extended: u64,
    pub reopened: u64,
    /// Answered now, or answered once and reopened since.
    pub ever_answered: u64,
    pub ratings: Vec<i32>,
}

impl Tally {
    /// Adds one ticket of the group.
    pub fn add(&mut self, t: &TicketFacts, cal: &Calendar, day_end: &DayEnd) {
        self.received += 1;
        match t.status {
            Status::Refused => self.refused += 1,
            Status::Withdrawn => self.withdrawn += 1,
            Status::Resolved | Status::Closed if t.resolved_at.is_some() => self.resolved += 1,
            Status::Closed => self.duplicates += 1,
            s if s.is_open() => self.open += 1,
            _ => {}
        }
        if t.status.is_open() && t.open_overdue {
            self.open_overdue += 1;
        }
        if let Some(at) = t.accepted_at {
            self.accepted += 1;
            let e = elapsed(cal, day_end, t.received_at, at, &t.pauses);
            self.accept_seconds.push(e.seconds);
            self.accept_days.push(e.working_days);
        }
        if let Some(at) = t
            .resolved_at
            .filter(|_| t.status == Status::Resolved || t.status == Status::Closed)
        {
            let e = elapsed(cal, day_end, t.received_at, at, &t.pauses);
            self.resolve_seconds.push(e.seconds);
            self.resolve_days.push(e.working_days);
        }
        for name in REPORTED_CLOCKS {
            let entry = self.clocks.entry(name).or_default();
            match t.clocks.iter().find(|(n, _)| *n == name).map(|(_, o)| *o) {
                Some(Outcome::Met) => {
                    entry.0 += 1;
                    entry.1 += 1;
                }
                Some(Outcome::Missed) => entry.1 += 1,
                _ => {}
            }
        }
        self.extensions_used += u64::from(t.extensions_used);
        if t.extensions_used > 0 {
            self.tickets_extended += 1;
        }
        let answered_now =
            t.resolved_at.is_some() && matches!(t.status, Status::Resolved | Status::Closed);
        if t.reopen_count > 0 {
            self.reopened += 1;
        }
        if answered_now || t.reopen_count > 0 {
            self.ever_answered += 1;
        }
        if let Some(r) = t.rating.filter(|r| (1..=5).contains(r)) {
            self.ratings.push(r);
        }
    }

    /// The figures of the group.
    pub fn figures(mut self) -> Figures {
        let clock = |(met, decided): (u64, u64)| ClockFigures {
            met,
            decided,
            on_time_rate: rate(met, decided),
        };
        let on_time: BTreeMap<String, ClockFigures> = self
            .clocks
            .iter()
            .map(|(name, &md)| (name.to_string(), clock(md)))
            .collect();
        let (met, decided) = self
            .clocks
            .values()
            .fold((0, 0), |(m, d), &(m2, d2)| (m + m2, d + d2));
        let n = self.ratings.len() as u64;
        let sum: i64 = self.ratings.iter().map(|&r| i64::from(r)).sum();
        let good = self.ratings.iter().filter(|&&r| r >= 4).count() as u64;
        Figures {
            received: self.received,
            accepted: self.accepted,
            resolved: self.resolved,
            refused: self.refused,
            withdrawn: self.withdrawn,
            closed_as_duplicate: self.duplicates,
            open: self.open,
            open_overdue: self.open_overdue,
            time_to_accept: Times::of(&mut self.accept_seconds, &mut self.accept_days),
            time_to_resolve: Times::of(&mut self.resolve_seconds, &mut self.resolve_days),
            on_time,
            on_time_rate: rate(met, decided),
            extensions_used: self.extensions_used,
            tickets_extended: self.tickets_extended,
            reopened: self.reopened,
            reopen_rate: rate(self.reopened, self.ever_answered),
            ratings: n,
            mean_rating: (n > 0).then(|| round(sum as f64 / n as f64, 2)),
            satisfied_share: rate(good, n),
        }
    }
}

/// Spreads of one duration, over the tickets that have it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Times {
    /// How many tickets the spread is over.
    pub count: u64,
    /// Calendar hours with the paused time left out (2 decimals); `null` when `count` is 0.
    pub hours: Option<Spread<f64>>,
    /// Working days with the paused days left out; `null` when `count` is 0.
    pub working_days: Option<Spread<u32>>,
}

impl Times {
    fn of(seconds: &mut [i64], days: &mut [u32]) -> Times {
        Times {
            count: seconds.len() as u64,
            hours: spread(seconds).map(|s| Spread {
                median: hours(s.median),
                p90: hours(s.p90),
                max: hours(s.max),
            }),
            working_days: spread(days),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ClockFigures {
    pub met: u64,
    pub decided: u64,
    /// `met / decided` (4 decimals); `null` when nothing was decided.
    pub on_time_rate: Option<f64>,
}

/// The figures of one group (definitions: README, "Reports").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    pub received: u64,
    pub accepted: u64,
    pub resolved: u64,
    pub refused: u64,
    pub withdrawn: u64,
    pub closed_as_duplicate: u64,
    pub open: u64,
    pub open_overdue: u64,
    pub time_to_accept: Times,
    pub time_to_resolve: Times,
    /// Per clock (`accept`, `resolve`).
    pub on_time: BTreeMap<String, ClockFigures>,
    /// Both clocks together: the sum of `met` over the sum of `decided`.
    pub on_time_rate: Option<f64>,
    pub extensions_used: u64,
    pub tickets_extended: u64,
    pub reopened: u64,
    pub reopen_rate: Option<f64>,
    pub ratings: u64,
    pub mean_rating: Option<f64>,
    /// Share of ratings that are 4 or 5.
    pub satisfied_share: Option<f64>,
}

/// The local month `YYYY-MM` of an instant.
pub fn month_of(day_end: &DayEnd, at: DateTime<Utc>) -> String {
    let d = day_end.local_date(at);
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The months `YYYY-MM` from the month of `from` to that of `to`, in order.
pub fn months_between(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push(format!("{y:04}-{m:02}"));
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn cal() -> Calendar {
        // 2026-09-02 is National Day (a Wednesday).
        let holiday = NaiveDate::from_ymd_opt(2026, 9, 2).unwrap();
        Calendar::new(vec![holiday], vec![])
    }

    #[test]
    fn lower_median_and_nearest_rank_p90() {
        assert_eq!(spread::<i64>(&mut []), None);
        assert_eq!(
            spread(&mut [5]),
            Some(Spread {
                median: 5,
                p90: 5,
                max: 5
            })
        );
        // n = 4: lower median is the 2nd; ⌈3.6⌉ = 4th.
        assert_eq!(
            spread(&mut [40, 10, 30, 20]),
            Some(Spread {
                median: 20,
                p90: 40,
                max: 40
            })
        );
        // n = 10: 5th and 9th.
        let mut v: Vec<i32> = (1..=10).rev().collect();
        assert_eq!(
            spread(&mut v),
            Some(Spread {
                median: 5,
                p90: 9,
                max: 10
            })
        );
        // n = 11: 6th and ⌈9.9⌉ = 10th.
        let mut v: Vec<i32> = (1..=11).collect();
        assert_eq!(spread(&mut v).unwrap().p90, 10);
        assert_eq!(nearest_rank(20, 90), 18);
        assert_eq!(nearest_rank(1, 90), 1);
    }

    #[test]
    fn rates_round_and_refuse_an_empty_whole() {
        assert_eq!(rate(2, 3), Some(0.6667));
        assert_eq!(rate(0, 0), None);
        assert_eq!(hours(5400), 1.5);
    }

    #[test]
    fn elapsed_leaves_out_pauses_weekends_and_holidays() {
        let day_end = DayEnd::default();
        // Monday 2026-08-31 09:00 (local, UTC+7) to Friday 2026-09-04 09:00: 96 h; working
        // days after Monday up to Friday: Tue, Thu, Fri (Wed is National Day) = 3.
        let start = at("2026-08-31T02:00:00Z");
        let end = at("2026-09-04T02:00:00Z");
        assert_eq!(
            elapsed(&cal(), &day_end, start, end, &[]),
            Elapsed {
                seconds: 96 * 3600,
                working_days: 3
            }
        );
        // Paused from Tue 10:00 to Thu 10:00 local: 48 h less; the working days in
        // (Tue, Thu] (Thu) are not counted: 2.
        let pause = (at("2026-09-01T03:00:00Z"), Some(at("2026-09-03T03:00:00Z")));
        assert_eq!(
            elapsed(&cal(), &day_end, start, end, &[pause]),
            Elapsed {
                seconds: 48 * 3600,
                working_days: 2
            }
        );
        // A pause still open at the end stops the count there.
        let open = (at("2026-09-03T03:00:00Z"), None);
        assert_eq!(
            elapsed(&cal(), &day_end, start, end, &[open]).seconds,
            73 * 3600
        );
        assert_eq!(elapsed(&cal(), &day_end, end, start, &[]).seconds, 0);
    }

    #[test]
    fn a_tally_counts_each_ticket_once_and_skips_the_undecided() {
        let day_end = DayEnd::default();
        let received = Utc.with_ymd_and_hms(2026, 9, 7, 2, 0, 0).unwrap();
        let base = TicketFacts {
            status: Status::Resolved,
            received_at: received,
            accepted_at: Some(received + chrono::Duration::hours(24)),
            resolved_at: Some(received + chrono::Duration::hours(72)),
            pauses: vec![],
            clocks: vec![("accept", Outcome::Met), ("resolve", Outcome::Missed)],
            open_overdue: false,
            extensions_used: 1,
            reopen_count: 1,
            rating: Some(4),
        };
        let open = TicketFacts {
            status: Status::Accepted,
            resolved_at: None,
            clocks: vec![("accept", Outcome::Met), ("resolve", Outcome::Undecided)],
            open_overdue: true,
            extensions_used: 0,
            reopen_count: 0,
            rating: None,
            ..base.clone()
        };
        let mut t = Tally::default();
        t.add(&base, &cal(), &day_end);
        t.add(&open, &cal(), &day_end);
        let f = t.figures();
        assert_eq!((f.received, f.accepted, f.resolved, f.open), (2, 2, 1, 1));
        assert_eq!(f.open_overdue, 1);
        assert_eq!(f.on_time["accept"].on_time_rate, Some(1.0));
        assert_eq!(f.on_time["resolve"].decided, 1);
        assert_eq!(f.on_time_rate, Some(0.6667));
        assert_eq!(f.time_to_accept.hours.unwrap().median, 24.0);
        assert_eq!(f.time_to_resolve.count, 1);
        assert_eq!(f.time_to_resolve.working_days.unwrap().max, 3);
        assert_eq!(f.reopen_rate, Some(1.0));
        assert_eq!((f.mean_rating, f.satisfied_share), (Some(4.0), Some(1.0)));
        assert_eq!(f.extensions_used, 1);
    }

    #[test]
    fn months_span_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(
            months_between(d(2025, 11, 15), d(2026, 2, 1)),
            vec!["2025-11", "2025-12", "2026-01", "2026-02"]
        );
    }
}
