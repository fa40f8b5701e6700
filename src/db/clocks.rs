//! A ticket's legal clocks: made from its policy when it is received, then started, paused,
//! resumed, extended and stopped by the workflow. Each row keeps what the deadline engine
//! needs, so later changes to policies or the calendar never move a running ticket's dates
//! (unless an administrator asks for a recomputation).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::schema::{ticket_clocks, tickets};
use crate::db::Error;
use crate::domain::calendar::Calendar;
use crate::domain::clock::{Clock, Due, Holder, Summary, summary_of};
use crate::domain::deadlines::{ClockState, ClockView, Counting, DayEnd, Lengths, Pause};
use crate::domain::policy::{ClockName, Policy, StartsAt};
use crate::domain::report::Standing;
use crate::domain::ticket::Status;

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

/// What a due moment depends on besides the calendar — the period, the start and the
/// pauses — in the words they are stored in.
fn fingerprint(
    days: i32,
    counting: &str,
    started_at: Option<NaiveDateTime>,
    pauses: &str,
) -> String {
    format!("{days}|{counting}|{started_at:?}|{pauses}")
}

impl ClockRow {
    /// The inputs of the stored due moment, as stored.
    pub fn fingerprint(&self) -> String {
        fingerprint(self.days, &self.counting, self.started_at, &self.pauses)
    }

    /// The clock as the rules see it; an unknown stored word is an error, never a default.
    pub fn decode(&self) -> Result<Clock, Error> {
        let corrupt = |what: &str| {
            Error::corrupt(format!(
                "clock {} of ticket {}: unreadable {what}",
                self.name, self.ticket_id
            ))
        };
        let pauses: Vec<StoredPause> =
            serde_json::from_str(&self.pauses).map_err(|_| corrupt("pauses"))?;
        let count = |n: i32, what: &str| u32::try_from(n).map_err(|_| corrupt(what));
        Ok(Clock {
            name: ClockName::parse(&self.name).ok_or_else(|| corrupt("name"))?,
            counting: Counting::parse(&self.counting).ok_or_else(|| corrupt("counting"))?,
            days: count(self.days, "days")?,
            lengths: serde_json::from_str(&self.lengths).map_err(|_| corrupt("lengths"))?,
            extensions_used: count(self.extensions_used, "extensions_used")?,
            extensions_allowed: count(self.extensions_allowed, "extensions_allowed")?,
            extension_max_days: count(self.extension_max_days, "extension_max_days")?,
            starts_at: StartsAt::parse(&self.starts_at).ok_or_else(|| corrupt("starts_at"))?,
            started_at: self.started_at.map(|t| t.and_utc()),
            stopped_at: self.stopped_at.map(|t| t.and_utc()),
            pauses: pauses
                .into_iter()
                .map(|(from, until)| Pause {
                    from: from.and_utc(),
                    until: until.map(|u| u.and_utc()),
                })
                .collect(),
            reminded_75: self.reminded_75,
            reminded_last_day: self.reminded_last_day,
            missed_at: self.missed_at.map(|t| t.and_utc()),
            // Kept only while the inputs it was computed from are the stored ones.
            fixed_due: self
                .due_at
                .filter(|_| self.due_inputs.as_deref() == Some(self.fingerprint().as_str()))
                .map(|d| d.and_utc()),
        })
    }
}

/// The case facts that choose a clock's length.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    pub complex: bool,
    pub remote: bool,
}

/// A new ticket's clocks, made from its policy (those that start at receipt run from
/// `received_at`, the others wait for acceptance) and assessed before anything is written:
/// the submission stores the ticket with its marks ([`Started::marks`]) and the clocks in one
/// statement ([`insert_started`]) — what [`refresh`] would have computed, without reading
/// back what was just written.
pub struct Started {
    pub clocks: Vec<Clock>,
    assessed: Assessed,
}

pub fn start(
    policy: Option<&Policy>,
    case: Case,
    received_at: DateTime<Utc>,
    cal: &Calendar,
    day_end: &DayEnd,
) -> Started {
    let clocks: Vec<Clock> = policy
        .map(|p| p.clocks.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|c| Clock {
            name: c.name,
            counting: c.counting,
            days: c.lengths.choose(case.complex, case.remote),
            lengths: c.lengths,
            extensions_used: 0,
            extensions_allowed: c.extensions.allowed,
            extension_max_days: c.extensions.max_days,
            starts_at: c.starts_at,
            started_at: (c.starts_at == StartsAt::Receipt).then_some(received_at),
            stopped_at: None,
            pauses: vec![],
            reminded_75: false,
            reminded_last_day: false,
            missed_at: None,
            fixed_due: None,
        })
        .collect();
    let fingerprints: Vec<String> = clocks.iter().map(fingerprint_of).collect();
    let holder = Holder {
        status: Status::Submitted,
        resolved_at: None,
        closed_at: None,
    };
    let assessed = assess(&clocks, &fingerprints, &holder, cal, day_end, received_at);
    Started { clocks, assessed }
}

impl Started {
    /// The ticket's columns that index and summarise its clocks, for its insert.
    pub fn marks(&self) -> Marks {
        self.assessed.marks()
    }
}

/// The ticket's columns that index and summarise its clocks (`next_due_at`, `overdue`, the
/// report's summary).
pub type Marks = (
    diesel::dsl::Eq<tickets::next_due_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<tickets::overdue, bool>,
    SummaryColumns,
);

impl Assessed {
    /// The ticket's marks, for its insert or update.
    pub fn marks(&self) -> Marks {
        (
            tickets::next_due_at.eq(self.next_due),
            tickets::overdue.eq(self.overdue),
            summary_columns(&self.summary),
        )
    }
}

/// The inputs of a clock's due moment as [`ClockRow::fingerprint`] reads them once stored.
fn fingerprint_of(c: &Clock) -> String {
    fingerprint(
        c.days as i32,
        c.counting.as_str(),
        c.started_at.map(|t| t.naive_utc()),
        &stored_pauses(c),
    )
}

/// Stores a new ticket's clocks ([`start`]) in one statement.
pub fn insert_started(conn: &mut DbConn, ticket_id: i64, s: &Started) -> Result<(), Error> {
    if s.clocks.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = s
        .clocks
        .iter()
        .zip(&s.assessed.clocks)
        .map(|(c, a)| {
            (
                ticket_clocks::ticket_id.eq(ticket_id),
                ticket_clocks::name.eq(c.name.as_str()),
                ticket_clocks::counting.eq(c.counting.as_str()),
                ticket_clocks::days.eq(c.days as i32),
                ticket_clocks::lengths.eq(serde_json::to_string(&c.lengths).unwrap_or_default()),
                ticket_clocks::extensions_allowed.eq(c.extensions_allowed as i32),
                ticket_clocks::extension_max_days.eq(c.extension_max_days as i32),
                ticket_clocks::starts_at.eq(c.starts_at.as_str()),
                ticket_clocks::started_at.eq(c.started_at.map(|t| t.naive_utc())),
                ticket_clocks::due_at.eq(a.due),
                ticket_clocks::next_check_at.eq(a.check),
                ticket_clocks::due_inputs.eq(a.inputs.clone()),
            )
        })
        .collect();
    let insert = diesel::insert_into(ticket_clocks::table).values(rows);
    super::on_backend!(conn, |c| insert.execute(c))?;
    Ok(())
}

/// A ticket's clocks read once for an action: changed in memory ([`Loaded::change`]), then
/// assessed against the ticket as the action leaves it ([`Loaded::assess`], whose marks go
/// into the ticket's own update) and written back, each changed clock in one statement
/// ([`Loaded::store`]).
pub struct Loaded {
    rows: Vec<ClockRow>,
    pub clocks: Vec<Clock>,
    changed: Vec<bool>,
}

pub fn load(conn: &mut DbConn, ticket_id: i64) -> Result<Loaded, Error> {
    let rows = rows_of(conn, ticket_id)?;
    let clocks = rows
        .iter()
        .map(ClockRow::decode)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Loaded {
        changed: vec![false; rows.len()],
        rows,
        clocks,
    })
}

impl Loaded {
    /// Applies `change` at `now` (see `domain::clock`); an extension the policy does not
    /// allow is refused.
    pub fn change(
        &mut self,
        change: crate::domain::clock::ClockChange,
        now: DateTime<Utc>,
    ) -> Result<(), crate::domain::clock::ExtensionRefused> {
        if let crate::domain::clock::ClockChange::Extend(name, _) = change {
            crate::domain::clock::check_extension(&self.clocks, name)?;
        }
        for (c, changed) in self.clocks.iter_mut().zip(&mut self.changed) {
            if let Some(mut next) = c.changed(change, now)? {
                // The stored due moment holds while its inputs stay (a stop keeps it).
                if fingerprint_of(&next) != fingerprint_of(c) {
                    next.fixed_due = None;
                }
                *c = next;
                *changed = true;
            }
        }
        Ok(())
    }

    /// The clocks as [`refresh`] would compute them for a ticket that `holder` describes.
    pub fn assess(
        &self,
        holder: &Holder,
        cal: &Calendar,
        day_end: &DayEnd,
        now: DateTime<Utc>,
    ) -> Assessed {
        let prints: Vec<String> = self
            .rows
            .iter()
            .zip(&self.clocks)
            .zip(&self.changed)
            .map(|((row, c), changed)| {
                if *changed {
                    fingerprint_of(c)
                } else {
                    row.fingerprint()
                }
            })
            .collect();
        assess(&self.clocks, &prints, holder, cal, day_end, now)
    }

    /// Writes each clock that changed or whose due moment, next check or inputs moved: one
    /// statement per such clock, none for the others.
    pub fn store(&self, conn: &mut DbConn, a: &Assessed) -> Result<(), Error> {
        let naive = |t: Option<DateTime<Utc>>| t.map(|t| t.naive_utc());
        for (((row, c), changed), x) in self
            .rows
            .iter()
            .zip(&self.clocks)
            .zip(&self.changed)
            .zip(&a.clocks)
        {
            if !changed
                && x.due == row.due_at
                && x.check == row.next_check_at
                && x.inputs == row.due_inputs
            {
                continue;
            }
            diesel::update(
                ticket_clocks::table
                    .filter(ticket_clocks::ticket_id.eq(row.ticket_id))
                    .filter(ticket_clocks::name.eq(&row.name)),
            )
            .set((
                &Changes {
                    days: Some(c.days as i32),
                    extensions_used: Some(c.extensions_used as i32),
                    started_at: Some(naive(c.started_at)),
                    stopped_at: Some(naive(c.stopped_at)),
                    pauses: Some(stored_pauses(c)),
                    reminded_75: Some(c.reminded_75),
                    reminded_last_day: Some(c.reminded_last_day),
                    missed_at: Some(naive(c.missed_at)),
                    next_check_at: Some(x.check),
                },
                ticket_clocks::due_at.eq(x.due),
                ticket_clocks::due_inputs.eq(x.inputs.clone()),
            ))
            .execute(conn)?;
        }
        Ok(())
    }
}

/// A ticket's clocks, by name.
pub fn of_ticket(conn: &mut DbConn, ticket_id: i64) -> Result<Vec<Clock>, Error> {
    rows_of(conn, ticket_id)?
        .iter()
        .map(ClockRow::decode)
        .collect()
}

fn rows_of(conn: &mut DbConn, ticket_id: i64) -> Result<Vec<ClockRow>, Error> {
    Ok(ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq(ticket_id))
        .order(ticket_clocks::name.asc())
        .select(ClockRow::as_select())
        .load(conn)?)
}

pub fn of_tickets(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<ClockRow>, Error> {
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

fn stored_pauses(c: &Clock) -> String {
    let list: Vec<StoredPause> = c
        .pauses
        .iter()
        .map(|p| (p.from.naive_utc(), p.until.map(|u| u.naive_utc())))
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// What [`refresh`] computes of one clock: its due moment, when the sweep looks next, and
/// the inputs the due moment came from.
struct Assessment {
    due: Option<NaiveDateTime>,
    check: Option<NaiveDateTime>,
    inputs: Option<String>,
    view: ClockView,
}

/// What [`refresh`] computes of a ticket's clocks: each clock's, and the ticket's marks (its
/// next due moment, whether it is overdue, the report's summary).
pub struct Assessed {
    clocks: Vec<Assessment>,
    next_due: Option<NaiveDateTime>,
    overdue: bool,
    summary: Summary,
}

fn assess(
    clocks: &[Clock],
    fingerprints: &[String],
    holder: &Holder,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Assessed {
    let mut out = Vec::with_capacity(clocks.len());
    let mut next_due: Option<NaiveDateTime> = None;
    let mut overdue = false;
    for (c, print) in clocks.iter().zip(fingerprints) {
        let v = c.view(cal, day_end, now);
        let due = v.due_at.map(|d| d.naive_utc());
        let check = c.next_check(&v, day_end, now).map(|t| t.naive_utc());
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
        out.push(Assessment {
            due,
            check,
            inputs: due.map(|_| print.clone()),
            view: v,
        });
    }
    Assessed {
        clocks: out,
        next_due,
        overdue,
        summary: summary_of(clocks, holder, cal, day_end, now),
    }
}

/// Recomputes every clock's due moment and the ticket's `next_due_at` and `overdue` flag
/// (the sweep's index), and what a report counts of the clocks. Call after each change, with
/// the calendar in force.
pub fn refresh(
    conn: &mut DbConn,
    ticket_id: i64,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Result<Vec<(ClockName, ClockView)>, Error> {
    let rows = rows_of(conn, ticket_id)?;
    let clocks = rows
        .iter()
        .map(ClockRow::decode)
        .collect::<Result<Vec<_>, _>>()?;
    let fingerprints: Vec<String> = rows.iter().map(ClockRow::fingerprint).collect();
    let holder = HolderRow::of(conn, ticket_id)?.decode()?;
    let assessed = assess(&clocks, &fingerprints, &holder, cal, day_end, now);
    let mut views = Vec::with_capacity(rows.len());
    for ((row, c), a) in rows.iter().zip(&clocks).zip(&assessed.clocks) {
        if a.due != row.due_at || a.check != row.next_check_at || a.inputs != row.due_inputs {
            diesel::update(
                ticket_clocks::table
                    .filter(ticket_clocks::ticket_id.eq(ticket_id))
                    .filter(ticket_clocks::name.eq(&row.name)),
            )
            .set((
                ticket_clocks::due_at.eq(a.due),
                ticket_clocks::next_check_at.eq(a.check),
                ticket_clocks::due_inputs.eq(a.inputs.clone()),
            ))
            .execute(conn)?;
        }
        views.push((c.name, a.view));
    }
    diesel::update(tickets::table.find(ticket_id))
        .set(assessed.marks())
        .execute(conn)?;
    Ok(views)
}

/// The ticket facts a clock's standing depends on, as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct HolderRow {
    pub id: i64,
    pub status: String,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

impl HolderRow {
    fn of(conn: &mut DbConn, ticket_id: i64) -> Result<Self, Error> {
        Ok(tickets::table
            .find(ticket_id)
            .select(HolderRow::as_select())
            .first(conn)?)
    }

    pub fn decode(&self) -> Result<Holder, Error> {
        Ok(Holder {
            status: Status::parse(&self.status).ok_or_else(|| {
                Error::corrupt(format!(
                    "ticket {}: unknown status {}",
                    self.id, self.status
                ))
            })?,
            resolved_at: self.resolved_at.map(|t| t.and_utc()),
            closed_at: self.closed_at.map(|t| t.and_utc()),
        })
    }
}

/// The ticket's columns that keep the summary of its clocks.
type SummaryColumns = (
    diesel::dsl::Eq<tickets::accept_standing, Option<&'static str>>,
    diesel::dsl::Eq<tickets::accept_due_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<tickets::resolve_standing, Option<&'static str>>,
    diesel::dsl::Eq<tickets::resolve_due_at, Option<NaiveDateTime>>,
    diesel::dsl::Eq<tickets::extensions_used, i32>,
    diesel::dsl::Eq<tickets::summarised, bool>,
);

fn summary_columns(s: &Summary) -> SummaryColumns {
    let stored = |s: Option<Standing>| {
        s.map(Standing::stored).map_or((None, None), |(w, due)| {
            (Some(w), due.map(|d| d.naive_utc()))
        })
    };
    let (accept, accept_due) = stored(s.accept);
    let (resolve, resolve_due) = stored(s.resolve);
    (
        tickets::accept_standing.eq(accept),
        tickets::accept_due_at.eq(accept_due),
        tickets::resolve_standing.eq(resolve),
        tickets::resolve_due_at.eq(resolve_due),
        tickets::extensions_used.eq(s.extensions_used as i32),
        tickets::summarised.eq(true),
    )
}

/// Fills in the summary of tickets written before summaries existed (see [`Summary`]), a
/// thousand at a time; returns how many. Their clocks are not touched.
pub fn summarise_missing(
    conn: &mut DbConn,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
    progress: &crate::progress::Progress,
) -> Result<usize, Error> {
    let mut done = 0;
    loop {
        let n = super::write(conn, |c| {
            let holders: Vec<HolderRow> = tickets::table
                .filter(tickets::summarised.eq(false))
                .order(tickets::id.asc())
                .limit(1_000)
                .select(HolderRow::as_select())
                .load(c)?;
            let ids: Vec<i64> = holders.iter().map(|h| h.id).collect();
            let mut clocks: HashMap<i64, Vec<Clock>> = HashMap::new();
            for k in of_tickets(c, &ids)? {
                clocks.entry(k.ticket_id).or_default().push(k.decode()?);
            }
            // One update per distinct summary: most closed tickets share theirs.
            let mut alike: HashMap<Summary, Vec<i64>> = HashMap::new();
            for h in &holders {
                let of = clocks.remove(&h.id).unwrap_or_default();
                alike
                    .entry(summary_of(&of, &h.decode()?, cal, day_end, now))
                    .or_default()
                    .push(h.id);
            }
            for (summary, ids) in alike {
                diesel::update(tickets::table.filter(tickets::id.eq_any(ids)))
                    .set(summary_columns(&summary))
                    .execute(c)?;
            }
            Ok::<_, Error>(holders.len())
        })?;
        done += n;
        progress.inc(n as u64);
        if n < 1_000 {
            return Ok(done);
        }
    }
}

/// Clocks whose next check has come, oldest first: `(ticket_id, name)`.
pub fn due_for_check(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(i64, String)>, Error> {
    Ok(ticket_clocks::table
        .filter(ticket_clocks::next_check_at.le(now))
        .order(ticket_clocks::next_check_at.asc())
        .limit(limit)
        .select((ticket_clocks::ticket_id, ticket_clocks::name))
        .load(conn)?)
}

/// Decides what is due on a clock now (`Clock::due_now`) and claims it: the flag is set only
/// if it was not set already, so two sweeps (or two workers) act once. Returns what this
/// caller must do.
pub fn claim_due(
    conn: &mut DbConn,
    ticket_id: i64,
    name: &str,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Result<Option<(Due, ClockView)>, Error> {
    let Some(row) = ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq(ticket_id))
        .filter(ticket_clocks::name.eq(name))
        .select(ClockRow::as_select())
        .first::<ClockRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let c = row.decode()?;
    let v = c.view(cal, day_end, now);
    let (due, claimed) = c.due_now(&v, day_end, now);
    // Look again later (or never), whatever happens: as of the claim, which another pass
    // that won it has made just the same. Never in the past: a check that found nothing
    // looks again a minute later.
    let next = claimed
        .next_check(&v, day_end, now)
        .map(|t| t.max(now + chrono::Duration::minutes(1)).naive_utc());
    let changes = Changes {
        missed_at: (claimed.missed_at != c.missed_at)
            .then_some(claimed.missed_at.map(|t| t.naive_utc())),
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
) -> Result<usize, Error> {
    use crate::domain::policy::TicketFacts;
    use crate::domain::ticket::{Kind, Status};
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
                return Ok::<_, Error>(false);
            };
            let (chain, urgent) =
                super::policies::category_chain(c, &t.category_code)?.unwrap_or((vec![], false));
            let kind = t.kind;
            let policy = super::policies::for_ticket(
                c,
                &TicketFacts {
                    kind,
                    round: (kind == Kind::Complaint).then_some(t.round as u8),
                    categories: chain,
                    channel: Some(t.channel),
                    urgent,
                },
            )?;
            let before: Vec<(String, Option<NaiveDateTime>)> = rows_of(c, id)?
                .into_iter()
                .map(|k| (k.name, k.due_at))
                .collect();
            for k in rows_of(c, id)? {
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
            let after: Vec<(String, Option<NaiveDateTime>)> = rows_of(c, id)?
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
