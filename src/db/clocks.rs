//! A ticket's legal clocks: made from its policy when it is received, then started, paused,
//! resumed, extended and stopped by the workflow. Each row keeps what the deadline engine
//! needs, so later changes to policies or the calendar never move a running ticket's dates
//! (unless an administrator asks for a recomputation).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::DbConn;
use super::schema::{ticket_clocks, tickets};
use crate::domain::calendar::Calendar;
use crate::domain::deadlines::{
    ClockInput, ClockState, ClockView, Counting, DayEnd, Lengths, Pause, Period, evaluate,
};
use crate::domain::policy::{Policy, StartsAt};
use crate::domain::report::{REPORTED_CLOCKS, Standing};
use crate::domain::ticket::Status;
use crate::error::ApiError;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ticket_clocks)]
pub struct ClockRow {
    pub ticket_id: i64,
    pub name: String,
    pub counting: String,
    pub days: i32,
    pub lengths: String,
    pub extensions_used: i32,
    pub extensions_allowed: i32,
    pub extension_max_days: i32,
    pub starts_at: String,
    pub started_at: Option<NaiveDateTime>,
    pub stopped_at: Option<NaiveDateTime>,
    pub pauses: String,
    pub due_at: Option<NaiveDateTime>,
    pub reminded_75: bool,
    pub reminded_last_day: bool,
    pub missed_at: Option<NaiveDateTime>,
    pub next_check_at: Option<NaiveDateTime>,
    pub due_inputs: Option<String>,
}

/// A pause as stored: from, and until (open while `None`).
type StoredPause = (NaiveDateTime, Option<NaiveDateTime>);

impl ClockRow {
    fn pause_list(&self) -> Vec<StoredPause> {
        serde_json::from_str(&self.pauses).unwrap_or_default()
    }

    fn counting(&self) -> Counting {
        if self.counting == "working_days" {
            Counting::WorkingDays
        } else {
            Counting::CalendarDays
        }
    }

    pub fn input(&self) -> ClockInput {
        ClockInput {
            started_at: self.started_at.map(|t| t.and_utc()),
            period: Period {
                days: self.days.max(0) as u32,
                counting: self.counting(),
            },
            pauses: self
                .pause_list()
                .into_iter()
                .map(|(from, until)| Pause {
                    from: from.and_utc(),
                    until: until.map(|u| u.and_utc()),
                })
                .collect(),
            stopped_at: self.stopped_at.map(|t| t.and_utc()),
        }
    }

    /// What the due moment depends on besides the calendar: the period, the start and the
    /// pauses.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}|{}|{:?}|{}",
            self.days, self.counting, self.started_at, self.pauses
        )
    }

    /// The clock at `now`. A due moment, once computed, stays while the clock's own inputs
    /// stay the same: a later change to the calendar does not move it (an administrator's
    /// `recompute-deadlines` does).
    pub fn view(&self, cal: &Calendar, day_end: &DayEnd, now: DateTime<Utc>) -> ClockView {
        let mut v = evaluate(cal, day_end, &self.input(), now);
        let fixed = match (self.due_at, v.due_at) {
            (Some(fixed), Some(computed))
                if self.due_inputs.as_deref() == Some(self.fingerprint().as_str())
                    && fixed != computed.naive_utc() =>
            {
                fixed.and_utc()
            }
            _ => return v,
        };
        v.due_at = Some(fixed);
        v.due_local_date = Some(day_end.local_date(fixed));
        match self.stopped_at.map(|s| s.and_utc()) {
            Some(stop) => {
                let met = stop <= fixed;
                v.state = if met {
                    ClockState::Met
                } else {
                    ClockState::Missed
                };
                v.left_seconds = (!met).then(|| (fixed - stop).num_seconds());
            }
            None => {
                v.state = if now > fixed {
                    ClockState::Missed
                } else {
                    ClockState::Running
                };
                v.left_seconds = Some((fixed - now).num_seconds());
            }
        }
        v
    }

    pub fn is_paused(&self) -> bool {
        self.pause_list()
            .last()
            .is_some_and(|(_, until)| until.is_none())
    }
}

/// The case facts that choose a clock's length.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub complex: bool,
    pub remote: bool,
}

/// Creates a ticket's clocks from its policy: those that start at receipt run from
/// `received_at`, the others wait for acceptance.
pub fn create(
    conn: &mut DbConn,
    ticket_id: i64,
    policy: &Policy,
    case: Case,
    received_at: NaiveDateTime,
) -> Result<(), ApiError> {
    for c in &policy.clocks {
        let started = match c.starts_at {
            StartsAt::Receipt => Some(received_at),
            StartsAt::Acceptance => None,
        };
        diesel::insert_into(ticket_clocks::table)
            .values((
                ticket_clocks::ticket_id.eq(ticket_id),
                ticket_clocks::name.eq(c.name.as_str()),
                ticket_clocks::counting.eq(counting_str(c.counting)),
                ticket_clocks::days.eq(c.lengths.choose(case.complex, case.remote) as i32),
                ticket_clocks::lengths.eq(serde_json::to_string(&c.lengths).unwrap_or_default()),
                ticket_clocks::extensions_allowed.eq(c.extensions.allowed as i32),
                ticket_clocks::extension_max_days.eq(c.extensions.max_days as i32),
                ticket_clocks::starts_at.eq(match c.starts_at {
                    StartsAt::Receipt => "receipt",
                    StartsAt::Acceptance => "acceptance",
                }),
                ticket_clocks::started_at.eq(started),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn counting_str(c: Counting) -> &'static str {
    match c {
        Counting::WorkingDays => "working_days",
        Counting::CalendarDays => "calendar_days",
    }
}

pub fn of_ticket(conn: &mut DbConn, ticket_id: i64) -> Result<Vec<ClockRow>, ApiError> {
    Ok(ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq(ticket_id))
        .order(ticket_clocks::name.asc())
        .select(ClockRow::as_select())
        .load(conn)?)
}

pub fn of_tickets(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<ClockRow>, ApiError> {
    Ok(ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq_any(ids))
        .order((ticket_clocks::ticket_id.asc(), ticket_clocks::name.asc()))
        .select(ClockRow::as_select())
        .load(conn)?)
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = ticket_clocks)]
struct Changes {
    days: Option<i32>,
    extensions_used: Option<i32>,
    started_at: Option<Option<NaiveDateTime>>,
    stopped_at: Option<Option<NaiveDateTime>>,
    pauses: Option<String>,
    reminded_75: Option<bool>,
    reminded_last_day: Option<bool>,
    missed_at: Option<Option<NaiveDateTime>>,
    next_check_at: Option<Option<NaiveDateTime>>,
}

fn save(conn: &mut DbConn, c: &ClockRow, changes: Changes) -> Result<(), ApiError> {
    diesel::update(
        ticket_clocks::table
            .filter(ticket_clocks::ticket_id.eq(c.ticket_id))
            .filter(ticket_clocks::name.eq(&c.name)),
    )
    .set(&changes)
    .execute(conn)?;
    Ok(())
}

fn running(c: &ClockRow) -> bool {
    c.started_at.is_some() && c.stopped_at.is_none()
}

/// What the workflow does to the clocks.
#[derive(Debug, Clone)]
pub enum Change {
    /// Stop `name` (its target happened: accepted, forwarded, answered).
    Stop(&'static str),
    /// Start the clocks that wait for acceptance; the case may now be complex.
    Accepted { complex: bool, remote: bool },
    /// Pause every running clock (waiting for the citizen, suspension).
    PauseAll,
    /// Resume every paused clock.
    ResumeAll,
    /// Stop every clock (the ticket left the unit's hands).
    StopAll,
    /// Restart `name` from now (the `update` clock after a progress note, the `resolve`
    /// clock after a reopen).
    Restart(&'static str),
    /// Extend `name` by `days`; refused beyond the policy's allowance.
    Extend(&'static str, u32),
    /// Throw the clocks away and start them again at the new unit (forwarding).
    Reset,
}

/// Applies a change at `now`.
pub fn apply(
    conn: &mut DbConn,
    ticket_id: i64,
    change: &Change,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let clocks = of_ticket(conn, ticket_id)?;
    for c in &clocks {
        let mut pauses = c.pause_list();
        let changes = match change {
            Change::Stop(name) if c.name == *name && running(c) => Changes {
                stopped_at: Some(Some(now)),
                ..Default::default()
            },
            Change::Accepted { complex, remote } => {
                let lengths: Lengths = serde_json::from_str(&c.lengths).unwrap_or(Lengths {
                    normal: c.days.max(0) as u32,
                    complex: None,
                    remote: None,
                    complex_remote: None,
                });
                // No extension can precede acceptance (extend needs an accepted ticket).
                let days = Some(lengths.choose(*complex, *remote) as i32);
                if c.starts_at == "acceptance" && c.started_at.is_none() {
                    Changes {
                        started_at: Some(Some(now)),
                        days,
                        ..Default::default()
                    }
                } else if c.name == "accept" && running(c) {
                    // Marked complex at acceptance: judged against the complex length.
                    Changes {
                        stopped_at: Some(Some(now)),
                        days,
                        ..Default::default()
                    }
                } else if c.name == "forward" && running(c) {
                    // Accepting a denunciation decides it is within the unit's competence:
                    // there is nothing left to forward.
                    Changes {
                        stopped_at: Some(Some(now)),
                        ..Default::default()
                    }
                } else {
                    continue;
                }
            }
            Change::PauseAll if running(c) && !c.is_paused() => {
                pauses.push((now, None));
                Changes {
                    pauses: Some(serde_json::to_string(&pauses).unwrap_or_default()),
                    ..Default::default()
                }
            }
            Change::ResumeAll if c.is_paused() => {
                if let Some(last) = pauses.last_mut() {
                    last.1 = Some(now);
                }
                Changes {
                    pauses: Some(serde_json::to_string(&pauses).unwrap_or_default()),
                    ..Default::default()
                }
            }
            Change::StopAll if running(c) => {
                if let Some(last) = pauses.last_mut().filter(|p| p.1.is_none()) {
                    last.1 = Some(now);
                }
                Changes {
                    stopped_at: Some(Some(now)),
                    pauses: Some(serde_json::to_string(&pauses).unwrap_or_default()),
                    ..Default::default()
                }
            }
            Change::Restart(name) if c.name == *name && c.started_at.is_some() => Changes {
                started_at: Some(Some(now)),
                stopped_at: Some(None),
                pauses: Some("[]".into()),
                reminded_75: Some(false),
                reminded_last_day: Some(false),
                missed_at: Some(None),
                ..Default::default()
            },
            Change::Extend(name, days) if c.name == *name => {
                if c.extensions_allowed == 0 {
                    return Err(ApiError::field("/days", "extension_not_allowed"));
                }
                if c.extensions_used >= c.extensions_allowed {
                    return Err(ApiError::conflict("extensions_exhausted"));
                }
                if *days == 0 || *days as i32 > c.extension_max_days {
                    return Err(ApiError::validation(vec![
                        crate::error::FieldError::new("/days", "out_of_range")
                            .arg("min", 1)
                            .arg("max", c.extension_max_days),
                    ]));
                }
                Changes {
                    days: Some(c.days + *days as i32),
                    extensions_used: Some(c.extensions_used + 1),
                    reminded_75: Some(false),
                    reminded_last_day: Some(false),
                    ..Default::default()
                }
            }
            Change::Reset => Changes {
                started_at: Some(if c.starts_at == "receipt" {
                    Some(now)
                } else {
                    None
                }),
                stopped_at: Some(None),
                pauses: Some("[]".into()),
                reminded_75: Some(false),
                reminded_last_day: Some(false),
                missed_at: Some(None),
                ..Default::default()
            },
            _ => continue,
        };
        save(conn, c, changes)?;
    }
    if let Change::Extend(name, _) = change
        && !clocks.iter().any(|c| c.name == *name)
    {
        return Err(ApiError::field("/days", "extension_not_allowed"));
    }
    Ok(())
}

/// Recomputes every clock's due moment and the ticket's `next_due_at` and `overdue` flag
/// (the sweep's index). Call after each change, with the calendar in force.
pub fn refresh(
    conn: &mut DbConn,
    ticket_id: i64,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Result<Vec<(String, ClockView)>, ApiError> {
    let clocks = of_ticket(conn, ticket_id)?;
    let mut views = Vec::new();
    let mut next_due: Option<NaiveDateTime> = None;
    let mut overdue = false;
    for c in &clocks {
        let v = c.view(cal, day_end, now);
        let due = v.due_at.map(|d| d.naive_utc());
        let check = next_check(c, &v, day_end, now);
        let inputs = due.map(|_| c.fingerprint());
        if due != c.due_at || check != c.next_check_at || inputs != c.due_inputs {
            diesel::update(
                ticket_clocks::table
                    .filter(ticket_clocks::ticket_id.eq(c.ticket_id))
                    .filter(ticket_clocks::name.eq(&c.name)),
            )
            .set((
                ticket_clocks::due_at.eq(due),
                ticket_clocks::next_check_at.eq(check),
                ticket_clocks::due_inputs.eq(inputs),
            ))
            .execute(conn)?;
        }
        match v.state {
            ClockState::Running => {
                next_due = match (next_due, due) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            ClockState::Missed if c.stopped_at.is_none() => {
                overdue = true;
            }
            _ => {}
        }
        views.push((c.name.clone(), v));
    }
    let holder = Holder::of(conn, ticket_id)?;
    let summary = summary_of(&clocks, &holder, cal, day_end, now);
    diesel::update(tickets::table.find(ticket_id))
        .set((
            tickets::next_due_at.eq(next_due),
            tickets::overdue.eq(overdue),
            summary.columns(),
        ))
        .execute(conn)?;
    Ok(views)
}

/// The ticket facts a clock's standing depends on.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Holder {
    pub id: i64,
    pub status: String,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

impl Holder {
    fn of(conn: &mut DbConn, ticket_id: i64) -> Result<Self, ApiError> {
        Ok(tickets::table
            .find(ticket_id)
            .select(Holder::as_select())
            .first(conn)?)
    }
}

/// What a report counts of a ticket's clocks: where its `accept` and `resolve` clocks stand,
/// and the extensions granted over all of them. Kept on the ticket by [`refresh`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Summary {
    pub accept: Option<Standing>,
    pub resolve: Option<Standing>,
    pub extensions_used: i32,
}

impl Summary {
    /// The reported clocks the ticket has, by name, in [`REPORTED_CLOCKS`] order.
    pub fn reported(&self) -> impl Iterator<Item = (&'static str, Standing)> + '_ {
        REPORTED_CLOCKS
            .iter()
            .zip([self.accept, self.resolve])
            .filter_map(|(name, s)| s.map(|s| (*name, s)))
    }

    #[allow(clippy::type_complexity)]
    fn columns(
        &self,
    ) -> (
        diesel::dsl::Eq<tickets::accept_standing, Option<&'static str>>,
        diesel::dsl::Eq<tickets::accept_due_at, Option<NaiveDateTime>>,
        diesel::dsl::Eq<tickets::resolve_standing, Option<&'static str>>,
        diesel::dsl::Eq<tickets::resolve_due_at, Option<NaiveDateTime>>,
        diesel::dsl::Eq<tickets::extensions_used, i32>,
        diesel::dsl::Eq<tickets::summarised, bool>,
    ) {
        let stored = |s: Option<Standing>| {
            s.map(Standing::stored).map_or((None, None), |(w, due)| {
                (Some(w), due.map(|d| d.naive_utc()))
            })
        };
        let (accept, accept_due) = stored(self.accept);
        let (resolve, resolve_due) = stored(self.resolve);
        (
            tickets::accept_standing.eq(accept),
            tickets::accept_due_at.eq(accept_due),
            tickets::resolve_standing.eq(resolve),
            tickets::resolve_due_at.eq(resolve_due),
            tickets::extensions_used.eq(self.extensions_used),
            tickets::summarised.eq(true),
        )
    }
}

/// The summary of a ticket's clocks at `now`.
pub fn summary_of(
    clocks: &[ClockRow],
    t: &Holder,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Summary {
    let status = Status::parse(&t.status).unwrap_or(Status::Submitted);
    // Withdrawn, or closed without an answer (a duplicate): the unit never decided.
    let left_hands =
        status == Status::Withdrawn || (status == Status::Closed && t.resolved_at.is_none());
    let standing = |name: &str| {
        clocks.iter().find(|c| c.name == name).map(|c| {
            let v = c.view(cal, day_end, now);
            let stopped = c.stopped_at.is_some();
            Standing::of(
                v.state,
                stopped,
                v.due_at,
                left_hands && stopped && c.stopped_at == t.closed_at,
            )
        })
    };
    Summary {
        accept: standing(REPORTED_CLOCKS[0]),
        resolve: standing(REPORTED_CLOCKS[1]),
        extensions_used: clocks.iter().map(|c| c.extensions_used.max(0)).sum(),
    }
}

/// Fills in the summary of tickets written before summaries existed (see [`Summary`]), a
/// thousand at a time; returns how many. Their clocks are not touched.
pub fn summarise_missing(
    conn: &mut DbConn,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    let mut done = 0;
    loop {
        let n = super::write(conn, |c| {
            let holders: Vec<Holder> = tickets::table
                .filter(tickets::summarised.eq(false))
                .order(tickets::id.asc())
                .limit(1_000)
                .select(Holder::as_select())
                .load(c)?;
            let ids: Vec<i64> = holders.iter().map(|h| h.id).collect();
            let mut clocks: HashMap<i64, Vec<ClockRow>> = HashMap::new();
            for k in of_tickets(c, &ids)? {
                clocks.entry(k.ticket_id).or_default().push(k);
            }
            // One update per distinct summary: most closed tickets share theirs.
            let mut alike: HashMap<Summary, Vec<i64>> = HashMap::new();
            for h in &holders {
                let of = clocks.remove(&h.id).unwrap_or_default();
                alike
                    .entry(summary_of(&of, h, cal, day_end, now))
                    .or_default()
                    .push(h.id);
            }
            for (summary, ids) in alike {
                diesel::update(tickets::table.filter(tickets::id.eq_any(ids)))
                    .set(summary.columns())
                    .execute(c)?;
            }
            Ok::<_, ApiError>(holders.len())
        })?;
        done += n;
        if n < 1_000 {
            return Ok(done);
        }
    }
}

/// When the sweep must next look at a clock: its 75 % mark, the start of its last day, or
/// the moment it is missed — whichever comes first and has not been dealt with. `None` when
/// nothing is left to do (stopped, pending, paused, or missed and already escalated). The
/// `update` clock only has the miss: it reminds the unit that a progress note is owed.
pub fn next_check(
    c: &ClockRow,
    v: &ClockView,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Option<NaiveDateTime> {
    match v.state {
        ClockState::Running => {}
        ClockState::Missed if c.missed_at.is_none() && c.stopped_at.is_none() => {
            return Some(now.naive_utc());
        }
        _ => return None,
    }
    let due = v.due_at?;
    let mut at = vec![due + chrono::Duration::seconds(1)];
    if c.name != "update" {
        if !c.reminded_75 {
            let left = v.left_seconds.unwrap_or(0);
            let total = v.used_seconds + left;
            let mark = (total as f64 * 0.75) as i64 - v.used_seconds;
            at.push(now + chrono::Duration::seconds(mark.max(0)));
        }
        if !c.reminded_last_day
            && let Some(day) = v.due_local_date
        {
            let start = day_end.end_of(day.pred_opt()?);
            at.push(start + chrono::Duration::seconds(1));
        }
    }
    at.into_iter().min().map(|t| t.naive_utc())
}

/// What the sweep found due on one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Reminder75,
    LastDay,
    Missed,
}

/// Clocks whose next check has come, oldest first: `(ticket_id, name)`.
pub fn due_for_check(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(i64, String)>, ApiError> {
    Ok(ticket_clocks::table
        .filter(ticket_clocks::next_check_at.le(now))
        .order(ticket_clocks::next_check_at.asc())
        .limit(limit)
        .select((ticket_clocks::ticket_id, ticket_clocks::name))
        .load(conn)?)
}

/// Decides what is due on a clock now and claims it: the flag is set only if it was not set
/// already, so two sweeps (or two workers) act once. Returns what this caller must do.
pub fn claim_due(
    conn: &mut DbConn,
    ticket_id: i64,
    name: &str,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Result<Option<(Due, ClockView)>, ApiError> {
    let Some(c) = ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq(ticket_id))
        .filter(ticket_clocks::name.eq(name))
        .select(ClockRow::as_select())
        .first::<ClockRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let v = c.view(cal, day_end, now);
    // What is due, and the flags that claim it.
    let mut claimed = c.clone();
    let due = if v.state == ClockState::Missed && c.missed_at.is_none() && c.stopped_at.is_none() {
        claimed.missed_at = Some(now.naive_utc());
        Some(Due::Missed)
    } else if v.state == ClockState::Running && c.name != "update" {
        let on_last_day = v
            .due_local_date
            .is_some_and(|d| day_end.local_date(now) >= d);
        let left = v.left_seconds.unwrap_or(0);
        let total = (v.used_seconds + left).max(1);
        if on_last_day && !c.reminded_last_day {
            // The last-day reminder also covers the 75 % one, if that was not sent.
            claimed.reminded_last_day = true;
            claimed.reminded_75 = true;
            Some(Due::LastDay)
        } else if !c.reminded_75 && v.used_seconds * 4 >= total * 3 {
            claimed.reminded_75 = true;
            Some(Due::Reminder75)
        } else {
            None
        }
    } else {
        None
    };
    // Look again later (or never), whatever happens: as of the claim, which another pass
    // that won it has made just the same. Never in the past: a check that found nothing
    // looks again a minute later.
    let next = next_check(&claimed, &v, day_end, now)
        .map(|t| t.max(now.naive_utc() + chrono::Duration::minutes(1)));
    let changes = Changes {
        missed_at: (claimed.missed_at != c.missed_at).then_some(claimed.missed_at),
        reminded_75: (claimed.reminded_75 != c.reminded_75).then_some(true),
        reminded_last_day: (claimed.reminded_last_day != c.reminded_last_day).then_some(true),
        next_check_at: Some(next),
        ..Default::default()
    };
    let this = ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq(ticket_id))
        .filter(ticket_clocks::name.eq(name));
    // The claim is the update of a flag that was not set: two passes act once.
    let won = match due {
        None => {
            diesel::update(this).set(&changes).execute(conn)?;
            false
        }
        Some(Due::Missed) => {
            diesel::update(this.filter(ticket_clocks::missed_at.is_null()))
                .set(&changes)
                .execute(conn)?
                == 1
        }
        Some(Due::LastDay) => {
            diesel::update(this.filter(ticket_clocks::reminded_last_day.eq(false)))
                .set(&changes)
                .execute(conn)?
                == 1
        }
        Some(Due::Reminder75) => {
            diesel::update(this.filter(ticket_clocks::reminded_75.eq(false)))
                .set(&changes)
                .execute(conn)?
                == 1
        }
    };
    let due = due.filter(|_| won);
    Ok(due.map(|d| (d, v)))
}

/// Recomputes the open tickets' clocks under the policies and the calendar in force now
/// (`nghedan admin recompute-deadlines`): each clock takes its current policy's length for
/// the case (plus the extensions granted) and a fresh due moment. Records a
/// `deadlines_recomputed` event on each ticket whose due moments changed; returns how many.
pub fn recompute_open(
    conn: &mut DbConn,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Result<usize, ApiError> {
    use crate::domain::policy::TicketFacts;
    use crate::domain::ticket::{Channel, Kind, Status};
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let ids: Vec<i64> = tickets::table
        .filter(tickets::status.eq_any(&open))
        .order(tickets::id.asc())
        .select(tickets::id)
        .load(conn)?;
    let mut changed = 0;
    for id in ids {
        let changed_here = super::write(conn, |c| {
            let Some(t) = super::tickets::find(c, id)? else {
                return Ok::<_, ApiError>(false);
            };
            let (chain, urgent) =
                super::policies::category_chain(c, &t.category_code)?.unwrap_or((vec![], false));
            let kind = Kind::parse(&t.kind).unwrap_or(Kind::Feedback);
            let policy = super::policies::for_ticket(
                c,
                &TicketFacts {
                    kind,
                    round: (kind == Kind::Complaint).then_some(t.round as u8),
                    categories: chain,
                    channel: Channel::parse(&t.channel),
                    urgent,
                },
            )?;
            let before: Vec<(String, Option<NaiveDateTime>)> = of_ticket(c, id)?
                .into_iter()
                .map(|k| (k.name, k.due_at))
                .collect();
            for k in of_ticket(c, id)? {
                let mut days = k.days;
                let mut lengths = k.lengths.clone();
                if let Some(pc) = policy
                    .as_ref()
                    .and_then(|p| p.clocks.iter().find(|pc| pc.name.as_str() == k.name))
                {
                    let granted = (k.days
                        - serde_json::from_str::<Lengths>(&k.lengths)
                            .map(|l| l.choose(t.complex, t.remote) as i32)
                            .unwrap_or(k.days))
                    .max(0);
                    days = pc.lengths.choose(t.complex, t.remote) as i32 + granted;
                    lengths = serde_json::to_string(&pc.lengths).unwrap_or(lengths);
                }
                diesel::update(
                    ticket_clocks::table
                        .filter(ticket_clocks::ticket_id.eq(id))
                        .filter(ticket_clocks::name.eq(&k.name)),
                )
                .set((
                    ticket_clocks::days.eq(days),
                    ticket_clocks::lengths.eq(lengths),
                    ticket_clocks::due_inputs.eq(None::<String>),
                ))
                .execute(c)?;
            }
            refresh(c, id, cal, day_end, now)?;
            let after: Vec<(String, Option<NaiveDateTime>)> = of_ticket(c, id)?
                .into_iter()
                .map(|k| (k.name, k.due_at))
                .collect();
            if before == after {
                return Ok(false);
            }
            let moves: Vec<serde_json::Value> = before
                .iter()
                .zip(&after)
                .filter(|(b, a)| b.1 != a.1)
                .map(|(b, a)| {
                    serde_json::json!({"clock": b.0, "from": b.1.map(|d| d.and_utc()),
                                       "to": a.1.map(|d| d.and_utc())})
                })
                .collect();
            super::events::append(
                c,
                &super::events::NewEvent {
                    ticket_id: id,
                    kind: "deadlines_recomputed",
                    actor: None,
                    unit_id: Some(t.unit_id),
                    from_status: None,
                    to_status: None,
                    public: true,
                    data: serde_json::json!({"clocks": moves}),
                    text: None,
                },
                now.naive_utc(),
            )?;
            Ok(true)
        })?;
        changed += usize::from(changed_here);
    }
    Ok(changed)
}

/// One clock as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockOut {
    /// `accept`, `forward`, `resolve` or `update`.
    pub name: String,
    pub state: ClockState,
    pub due_at: Option<DateTime<Utc>>,
    /// The due day in local time (Asia/Ho_Chi_Minh).
    #[schema(value_type = Option<String>, format = Date)]
    pub due_local_date: Option<chrono::NaiveDate>,
    pub used_seconds: i64,
    pub left_seconds: Option<i64>,
    /// `working_days` or `calendar_days`, and the period in force (extensions included).
    pub counting: String,
    pub days: i32,
    pub extensions_used: i32,
}

pub fn out(c: &ClockRow, cal: &Calendar, day_end: &DayEnd, now: DateTime<Utc>) -> ClockOut {
    let v = c.view(cal, day_end, now);
    ClockOut {
        name: c.name.clone(),
        state: v.state,
        due_at: v.due_at,
        due_local_date: v.due_local_date,
        used_seconds: v.used_seconds,
        left_seconds: v.left_seconds,
        counting: c.counting.clone(),
        days: c.days,
        extensions_used: c.extensions_used,
    }
}
