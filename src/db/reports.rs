//! Read models for supervisors and the public: the tickets a report covers with what each
//! contributes (`domain::report`), the open tickets past a deadline, and the published
//! answers. Nothing here reads who is asking: the callers decide the scope.
//!
//! A report reads its tickets (the cohort: received in the period, in the scope) unit by unit
//! in batches, with each batch's clocks and pause events, so memory holds one batch of rows
//! and one number per ticket for the spreads, never whole tickets.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::clocks::ClockRow;
use super::schema::{areas, event_texts, ticket_clocks, ticket_events, tickets, units, uploads};
use crate::db::Error;
use crate::domain::calendar::Calendar;
use crate::domain::clock::{Summary, summary_of};
use crate::domain::deadlines::DayEnd;
use crate::domain::report::{PAUSE_ENDS, PAUSE_STARTS, Standing, Stretch, TicketFacts};
use crate::domain::ticket::{Kind, Status};

type Db = <DbConn as diesel::Connection>::Backend;

/// How many tickets a report reads at a time.
const BATCH: i64 = 5_000;

/// Narrows a boxed query over `tickets` (alone or joined) to a scope's units, kind,
/// categories and areas: the one filter the cohort, the overdue list and the public list share.
macro_rules! in_scope {
    ($q:expr, $scope:expr) => {{
        let mut q = $q;
        if let Some(units) = &$scope.units {
            q = q.filter(tickets::unit_id.eq_any(units.clone()));
        }
        if let Some(kind) = $scope.kind {
            q = q.filter(tickets::kind.eq(kind.as_str()));
        }
        if let Some(cats) = &$scope.categories {
            q = q.filter(tickets::category_code.eq_any(cats.clone()));
        }
        if let Some(areas) = &$scope.areas {
            q = q.filter(tickets::area_code.eq_any(areas.clone()));
        }
        q
    }};
}

/// Which tickets a report covers. Every list is already expanded (a unit into its subtree, a
/// category into the categories below it, a province into its communes).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `None`: every unit.
    pub units: Option<Vec<i64>>,
    pub kind: Option<Kind>,
    /// How the tickets came in (`in_person`: received at the desk or a reception).
    pub channel: Option<crate::domain::ticket::Channel>,
    pub categories: Option<Vec<String>>,
    pub areas: Option<Vec<String>>,
    /// Received at or after (UTC).
    pub from: NaiveDateTime,
    /// Received strictly before (UTC).
    pub until: NaiveDateTime,
}

/// The columns of a ticket a report groups by and counts: all in the `tickets_report` index.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct CohortRow {
    pub id: i64,
    pub unit_id: i64,
    #[diesel(deserialize_as = String)]
    pub kind: Kind,
    pub category_code: String,
    /// How it arrived (`domain::ticket::Channel`'s word).
    pub channel: String,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub received_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub reopen_count: i32,
    pub rating: Option<i32>,
    pub overdue: bool,
    pub next_due_at: Option<NaiveDateTime>,
    pub accept_standing: Option<String>,
    pub accept_due_at: Option<NaiveDateTime>,
    pub resolve_standing: Option<String>,
    pub resolve_due_at: Option<NaiveDateTime>,
    pub extensions_used: i32,
    pub paused_once: bool,
    pub summarised: bool,
}

impl CohortRow {
    pub fn status(&self) -> Status {
        self.status
    }

    /// The clock summary kept on the ticket.
    fn summary(&self) -> Summary {
        let standing = |word: &Option<String>, due: Option<NaiveDateTime>| {
            word.as_deref()
                .map(|w| Standing::from_stored(w, due.map(|d| d.and_utc())))
        };
        Summary {
            accept: standing(&self.accept_standing, self.accept_due_at),
            resolve: standing(&self.resolve_standing, self.resolve_due_at),
            extensions_used: self.extensions_used.max(0) as u32,
        }
    }

    /// Open with a clock past its due moment at `now`, from what [`super::clocks::refresh`] keeps on
    /// the ticket: a clock missed while running sets `overdue`, and `next_due_at` is the
    /// earliest due moment of the clocks running within time.
    fn late_at(&self, now: NaiveDateTime) -> bool {
        self.overdue || self.next_due_at.is_some_and(|d| d < now)
    }
}

/// Calls `each` with every ticket of the scope and its facts as of `now`: unit by unit, in
/// order of receipt.
///
/// Each unit's tickets are read in batches by the keyset `(received_at, id)` from the
/// `tickets_report` index, which holds every column read here: the database answers from the
/// index alone, however wide the tickets and however many other units' tickets there are.
pub fn cohort(
    conn: &mut DbConn,
    scope: &Scope,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
    mut each: impl FnMut(&CohortRow, TicketFacts),
) -> Result<(), Error> {
    let mut unit_ids = match &scope.units {
        Some(ids) => ids.clone(),
        None => units::table.select(units::id).load(conn)?,
    };
    // Each unit once, or its tickets would count twice.
    unit_ids.sort_unstable();
    unit_ids.dedup();
    // The unit is the keyset's first column; the other filters stay.
    let within = Scope {
        units: None,
        ..scope.clone()
    };
    for unit in unit_ids {
        let mut after: Option<(NaiveDateTime, i64)> = None;
        loop {
            let mut q = tickets::table
                .filter(tickets::unit_id.eq(unit))
                .filter(tickets::received_at.ge(scope.from))
                .filter(tickets::received_at.lt(scope.until))
                .select(CohortRow::as_select())
                .order((tickets::received_at.asc(), tickets::id.asc()))
                .limit(BATCH)
                .into_boxed::<Db>();
            if let Some((at, id)) = after {
                q = q.filter(
                    tickets::received_at
                        .gt(at)
                        .or(tickets::received_at.eq(at).and(tickets::id.gt(id))),
                );
            }
            q = in_scope!(q, within);
            if let Some(c) = within.channel {
                q = q.filter(tickets::channel.eq(c.as_str()));
            }
            let rows: Vec<CohortRow> = q.load(conn)?;
            let Some(last) = rows.last() else {
                break;
            };
            after = Some((last.received_at, last.id));
            // Tickets written before clock summaries existed: their clocks are read here.
            let unsummarised: Vec<i64> = rows
                .iter()
                .filter(|r| !r.summarised)
                .map(|r| r.id)
                .collect();
            let mut clocks: HashMap<i64, Vec<ClockRow>> = HashMap::new();
            if !unsummarised.is_empty() {
                for c in super::clocks::of_tickets(conn, &unsummarised)? {
                    clocks.entry(c.ticket_id).or_default().push(c);
                }
            }
            let paused: Vec<i64> = rows
                .iter()
                .filter(|r| r.paused_once || !r.summarised)
                .map(|r| r.id)
                .collect();
            let mut pauses = if paused.is_empty() {
                HashMap::new()
            } else {
                pauses_of(conn, &paused)?
            };
            for r in &rows {
                let (summary, late) = if r.summarised {
                    (r.summary(), r.late_at(now.naive_utc()))
                } else {
                    let cs = clocks.remove(&r.id).unwrap_or_default();
                    let holder = crate::domain::clock::Holder {
                        status: r.status,
                        resolved_at: r.resolved_at.map(|t| t.and_utc()),
                        closed_at: r.closed_at.map(|t| t.and_utc()),
                    };
                    let late = cs.iter().any(|c| is_late(c, now.naive_utc()));
                    let decoded = cs
                        .iter()
                        .map(ClockRow::decode)
                        .collect::<Result<Vec<_>, _>>()?;
                    (summary_of(&decoded, &holder, cal, day_end, now), late)
                };
                let facts = facts_of(
                    r,
                    &summary,
                    late,
                    pauses.remove(&r.id).unwrap_or_default(),
                    now,
                );
                each(r, facts);
            }
            if (rows.len() as i64) < BATCH {
                break;
            }
        }
    }
    Ok(())
}

/// The stretches each ticket spent paused, from its timeline.
fn pauses_of(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Vec<Stretch>>, Error> {
    let kinds: Vec<&str> = PAUSE_STARTS
        .iter()
        .chain(PAUSE_ENDS.iter())
        .copied()
        .collect();
    let rows: Vec<(i64, String, NaiveDateTime)> = ticket_events::table
        .filter(ticket_events::ticket_id.eq_any(ids))
        .filter(ticket_events::kind.eq_any(kinds))
        .order((ticket_events::ticket_id.asc(), ticket_events::seq.asc()))
        .select((
            ticket_events::ticket_id,
            ticket_events::kind,
            ticket_events::created_at,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<Stretch>> = HashMap::new();
    for (id, kind, at) in rows {
        let list = out.entry(id).or_default();
        let at = at.and_utc();
        if PAUSE_STARTS.contains(&kind.as_str()) {
            if list.last().is_none_or(|p| p.1.is_some()) {
                list.push((at, None));
            }
        } else if let Some(open) = list.last_mut().filter(|p| p.1.is_none()) {
            open.1 = Some(at);
        }
    }
    Ok(out)
}

/// Whether a clock is running past its due moment: what makes an open ticket overdue.
pub fn is_late(c: &ClockRow, now: NaiveDateTime) -> bool {
    c.started_at.is_some() && c.stopped_at.is_none() && c.due_at.is_some_and(|d| d < now)
}

fn facts_of(
    r: &CohortRow,
    summary: &Summary,
    late: bool,
    pauses: Vec<Stretch>,
    now: DateTime<Utc>,
) -> TicketFacts {
    let status = r.status();
    TicketFacts {
        status,
        received_at: r.received_at.and_utc(),
        accepted_at: r.accepted_at.map(|t| t.and_utc()),
        resolved_at: r
            .resolved_at
            .filter(|_| matches!(status, Status::Resolved | Status::Closed))
            .map(|t| t.and_utc()),
        pauses,
        clocks: summary
            .reported()
            .map(|(name, s)| (name, s.outcome_at(now)))
            .collect(),
        open_overdue: status.is_open() && late,
        extensions_used: summary.extensions_used,
        reopen_count: r.reopen_count.max(0) as u32,
        rating: r.rating,
    }
}

/// A unit's id, code and names.
#[derive(Debug, Clone, Queryable)]
pub struct UnitName {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
}

pub fn unit_names(conn: &mut DbConn) -> Result<HashMap<i64, UnitName>, Error> {
    let rows: Vec<UnitName> = units::table
        .select((units::id, units::code, units::name_vi, units::name_en))
        .load(conn)?;
    Ok(rows.into_iter().map(|u| (u.id, u)).collect())
}

// --- overdue ---------------------------------------------------------------------------

/// An open ticket with a clock past its due moment.
#[derive(Debug, Clone)]
pub struct Overdue {
    pub ticket_id: i64,
    /// The earliest due moment passed.
    pub due_at: NaiveDateTime,
    /// Every clock past due: (name, due moment), earliest first.
    pub clocks: Vec<(String, NaiveDateTime)>,
    pub code: String,
    pub kind: Kind,
    pub status: Status,
    pub category_code: String,
    pub area_code: String,
    pub unit_id: i64,
    pub received_at: NaiveDateTime,
}

/// Open tickets of the scope (the period ignored) past a clock at `now`, longest overdue
/// first (earliest due moment, then id), after the keyset `after`; at most `fetch`.
pub fn overdue(
    conn: &mut DbConn,
    scope: &Scope,
    now: NaiveDateTime,
    after: Option<(NaiveDateTime, i64)>,
    fetch: i64,
) -> Result<Vec<Overdue>, Error> {
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let mut q = ticket_clocks::table
        .inner_join(tickets::table)
        .filter(ticket_clocks::stopped_at.is_null())
        .filter(ticket_clocks::started_at.is_not_null())
        .filter(ticket_clocks::due_at.lt(now))
        .filter(tickets::status.eq_any(open))
        .select((
            ticket_clocks::ticket_id,
            ticket_clocks::name,
            ticket_clocks::due_at,
        ))
        .into_boxed::<Db>();
    q = in_scope!(q, scope);
    if let Some(c) = scope.channel {
        q = q.filter(tickets::channel.eq(c.as_str()));
    }
    let rows: Vec<(i64, String, Option<NaiveDateTime>)> = q.load(conn)?;
    let mut per: HashMap<i64, Vec<(String, NaiveDateTime)>> = HashMap::new();
    for (id, name, due) in rows {
        if let Some(due) = due {
            per.entry(id).or_default().push((name, due));
        }
    }
    let mut keys: Vec<(NaiveDateTime, i64)> = per
        .iter_mut()
        .map(|(id, cs)| {
            cs.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
            (cs[0].1, *id)
        })
        .filter(|k| after.is_none_or(|a| *k > a))
        .collect();
    keys.sort();
    keys.truncate(fetch.max(0) as usize);
    let ids: Vec<i64> = keys.iter().map(|k| k.1).collect();
    type T = (
        i64,
        String,
        String,
        String,
        String,
        String,
        i64,
        NaiveDateTime,
    );
    let mut found: HashMap<i64, T> = tickets::table
        .filter(tickets::id.eq_any(&ids))
        .select((
            tickets::id,
            tickets::code,
            tickets::kind,
            tickets::status,
            tickets::category_code,
            tickets::area_code,
            tickets::unit_id,
            tickets::received_at,
        ))
        .load::<T>(conn)?
        .into_iter()
        .map(|t| (t.0, t))
        .collect();
    let corrupt = |e: crate::domain::words::UnknownWord| Error::Corrupt(e.to_string());
    let mut out = Vec::with_capacity(keys.len());
    for (due_at, id) in keys {
        let Some(t) = found.remove(&id) else {
            continue;
        };
        out.push(Overdue {
            ticket_id: id,
            due_at,
            clocks: per.remove(&id).unwrap_or_default(),
            code: t.1,
            kind: Kind::try_from(t.2).map_err(corrupt)?,
            status: Status::try_from(t.3).map_err(corrupt)?,
            category_code: t.4,
            area_code: t.5,
            unit_id: t.6,
            received_at: t.7,
        });
    }
    Ok(out)
}

// --- where the open tickets are --------------------------------------------------------

/// The open tickets of one area (a commune, as tickets are filed), at its centroid.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaOpen {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub open: i64,
    /// Of them, past a deadline (the flag the deadline sweep keeps, as the inbox counts).
    pub overdue: i64,
}

/// The open tickets of the scope (the period ignored) counted per area, with the area's
/// centroid; most open first, then by code.
pub fn open_by_area(conn: &mut DbConn, scope: &Scope) -> Result<Vec<AreaOpen>, Error> {
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let mut q = tickets::table
        .filter(tickets::status.eq_any(open))
        .group_by((tickets::area_code, tickets::overdue))
        .select((
            tickets::area_code,
            tickets::overdue,
            diesel::dsl::count_star(),
        ))
        .into_boxed::<Db>();
    q = in_scope!(q, scope);
    if let Some(c) = scope.channel {
        q = q.filter(tickets::channel.eq(c.as_str()));
    }
    let counts: Vec<(String, bool, i64)> = q.load(conn)?;
    let mut per: HashMap<String, (i64, i64)> = HashMap::new();
    for (code, overdue, n) in counts {
        let slot = per.entry(code).or_default();
        slot.0 += n;
        if overdue {
            slot.1 += n;
        }
    }
    let codes: Vec<&String> = per.keys().collect();
    let places: Vec<(String, String, f64, f64)> = areas::table
        .filter(areas::code.eq_any(codes))
        .select((areas::code, areas::name, areas::lat, areas::lon))
        .load(conn)?;
    let mut out: Vec<AreaOpen> = places
        .into_iter()
        .filter_map(|(code, name, lat, lon)| {
            let (open, overdue) = per.get(&code).copied()?;
            Some(AreaOpen {
                code,
                name,
                lat,
                lon,
                open,
                overdue,
            })
        })
        .collect();
    out.sort_by(|a, b| b.open.cmp(&a.open).then_with(|| a.code.cmp(&b.code)));
    Ok(out)
}

// --- supervisors' notes ------------------------------------------------------------------

/// A supervision note or a reopen request, as the supervision page lists them.
#[derive(Debug, Clone)]
pub struct SupervisionEvent {
    pub code: String,
    /// `supervision_note` or `reopen_requested`.
    pub kind: String,
    pub at: NaiveDateTime,
    /// Blank once erased.
    pub text: Option<String>,
}

/// The latest events of `kinds` on the tickets of the units `units` (`None`: every unit),
/// newest first; at most `limit`.
pub fn latest_events(
    conn: &mut DbConn,
    units: Option<&[i64]>,
    kinds: &[&str],
    limit: i64,
) -> Result<Vec<SupervisionEvent>, Error> {
    let mut q = ticket_events::table
        .inner_join(tickets::table)
        .left_join(event_texts::table)
        .filter(ticket_events::kind.eq_any(kinds))
        .order((ticket_events::created_at.desc(), ticket_events::id.desc()))
        .limit(limit)
        .select((
            tickets::code,
            ticket_events::kind,
            ticket_events::created_at,
            event_texts::body.nullable(),
        ))
        .into_boxed::<Db>();
    if let Some(units) = units {
        q = q.filter(tickets::unit_id.eq_any(units.to_vec()));
    }
    let rows: Vec<(String, String, NaiveDateTime, Option<String>)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, kind, at, text)| SupervisionEvent {
            code,
            kind,
            at,
            text,
        })
        .collect())
}

// --- published answers -----------------------------------------------------------------

/// What the public may read of a published answer: no submitter, no contact, no address, no
/// description (a citizen's own words may name people); the answer itself, the commune and
/// the place to three decimals.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct PublishedRow {
    pub id: i64,
    pub code: String,
    #[diesel(deserialize_as = String)]
    pub kind: Kind,
    pub category_code: String,
    pub title: String,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub area_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub unit_id: i64,
    pub received_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub answer: Option<String>,
    pub supporters: i32,
}

/// Which published answers to list.
#[derive(Debug, Clone, Default)]
pub struct PublishedFilter {
    pub units: Option<Vec<i64>>,
    pub kind: Option<Kind>,
    pub categories: Option<Vec<String>>,
    pub areas: Option<Vec<String>>,
}

/// The published answers, newest answer first (then id, descending), after the keyset
/// `after`; at most `fetch`.
///
/// Published: feedback or a petition, not private and not confidential, answered (resolved
/// or closed after an answer) with the official's choice to publish the answer
/// (`answer_public`, set by `resolve` with `publish: true`).
pub fn published(
    conn: &mut DbConn,
    f: &PublishedFilter,
    after: Option<(NaiveDateTime, i64)>,
    fetch: i64,
) -> Result<Vec<PublishedRow>, Error> {
    let mut q = tickets::table
        .filter(tickets::answer_public.eq(true))
        .filter(tickets::private.eq(false))
        .filter(tickets::confidential.eq(false))
        .filter(tickets::kind.eq_any([Kind::Feedback.as_str(), Kind::Petition.as_str()]))
        .filter(tickets::status.eq_any([Status::Resolved.as_str(), Status::Closed.as_str()]))
        .filter(tickets::resolved_at.is_not_null())
        .select(PublishedRow::as_select())
        .order((tickets::resolved_at.desc(), tickets::id.desc()))
        .limit(fetch)
        .into_boxed::<Db>();
    if let Some((at, id)) = after {
        q = q.filter(
            tickets::resolved_at
                .lt(at)
                .or(tickets::resolved_at.eq(at).and(tickets::id.lt(id))),
        );
    }
    q = in_scope!(q, f);
    Ok(q.load(conn)?)
}

/// The attachments of these tickets the public may see: an official's, or a citizen's photo
/// an official marked publishable. `(ticket_id, upload id, has a thumbnail)`.
pub fn public_attachments(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<(String, bool)>>, Error> {
    let rows: Vec<(Option<i64>, String, Option<String>)> = uploads::table
        .filter(uploads::ticket_id.eq_any(ids))
        .filter(
            uploads::by_submitter
                .eq(false)
                .or(uploads::publishable.eq(true)),
        )
        .order((
            uploads::ticket_id.asc(),
            uploads::attached_at.asc(),
            uploads::id.asc(),
        ))
        .select((uploads::ticket_id, uploads::id, uploads::thumbnail_key))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<(String, bool)>> = HashMap::new();
    for (t, id, thumb) in rows {
        if let Some(t) = t {
            out.entry(t).or_default().push((id, thumb.is_some()));
        }
    }
    Ok(out)
}

/// Area code → name, for the communes of these rows.
pub fn area_names(conn: &mut DbConn, codes: &[String]) -> Result<HashMap<String, String>, Error> {
    Ok(areas::table
        .filter(areas::code.eq_any(codes))
        .select((areas::code, areas::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}
