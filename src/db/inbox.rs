//! Read models over tickets for the people who work them and the people who sent them: an
//! official's inbox and its counts, a user's own submissions, and the open public tickets
//! near a point (so a citizen can see that a pothole is already reported).
//!
//! Every list is keyset-paginated on its sort key, so a page stays stable while new tickets
//! arrive. The callers decide the scope (which units, which submitter); nothing here reads
//! who is asking.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};
use serde::{Deserialize, Serialize};

use super::DbConn;
use super::fragments::{Condition, condition, condition_with2};
use super::schema::{areas, categories, tickets, units};
use super::scope::Scope;
use crate::db::Error;
use crate::domain::geo::{degrees_around, distance_m};
use crate::domain::ticket::{Kind, Status};
use crate::i18n::Lang;

/// The compact row every list here shows: no description, no location, never the submitter.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Row {
    pub id: i64,
    pub code: String,
    #[diesel(deserialize_as = String)]
    pub kind: Kind,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub category_code: String,
    pub title: String,
    pub area_code: String,
    pub unit_id: i64,
    pub assignee_id: Option<i64>,
    pub priority: i32,
    pub overdue: bool,
    pub next_due_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub supporters: i32,
}

/// The statuses in which a unit still owes an answer.
pub fn open_statuses() -> Vec<&'static str> {
    Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect()
}

/// `status IN ('a', 'b', …)` with the statuses written into the SQL, not bound. The open-ticket
/// indexes are partial (`WHERE status IN (<the open statuses>)`), and a planner can only prove
/// a query stays inside such an index from constants: PostgreSQL cannot from `= ANY($1)`, and
/// SQLite only from the same terms. Only names `Status::parse` knows are written, so nothing
/// from a request reaches the SQL text.
fn status_in(statuses: &[&str]) -> Condition {
    let names: Vec<String> = statuses
        .iter()
        .filter_map(|s| Status::parse(s))
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    if names.is_empty() {
        return condition("1 = 0");
    }
    condition(format!("tickets.status IN ({})", names.join(", ")))
}

/// A category's code and the codes of every category below it.
pub fn category_and_below(conn: &mut DbConn, code: &str) -> Result<Vec<String>, Error> {
    let tree: Vec<(String, Option<String>)> = categories::table
        .select((categories::code, categories::parent_code))
        .load(conn)?;
    let mut out = vec![code.to_string()];
    let mut seen: HashSet<String> = out.iter().cloned().collect();
    let mut i = 0;
    while i < out.len() {
        for (child, parent) in &tree {
            if parent.as_deref() == Some(out[i].as_str()) && seen.insert(child.clone()) {
                out.push(child.clone());
            }
        }
        i += 1;
    }
    Ok(out)
}

/// The area codes an area filter matches: a commune itself; a province and its communes.
/// `None` when no such area exists.
pub fn area_and_below(conn: &mut DbConn, code: &str) -> Result<Option<Vec<String>>, Error> {
    let Some(area) = super::areas::find(conn, code)? else {
        return Ok(None);
    };
    let mut out = vec![area.code.clone()];
    out.extend(
        areas::table
            .filter(areas::parent_code.eq(&area.code))
            .select(areas::code)
            .load::<String>(conn)?,
    );
    Ok(Some(out))
}

// --- the inbox ------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee {
    Nobody,
    User(i64),
}

/// What an official narrowed the inbox to; every field is already checked and expanded
/// (`open` into its statuses, a category into its subtree, a province into its communes).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub statuses: Option<Vec<&'static str>>,
    pub kind: Option<&'static str>,
    pub channel: Option<&'static str>,
    pub categories: Option<Vec<String>>,
    pub areas: Option<Vec<String>>,
    pub assignee: Option<Assignee>,
    pub overdue: Option<bool>,
    pub due_before: Option<NaiveDateTime>,
    /// A LIKE pattern over the folded `search_text` (see `domain::text::contains_pattern`).
    pub search: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Soonest due first; tickets without a running clock last; then by id.
    Due,
    /// Oldest first.
    Age,
    /// Newest first.
    Newest,
    /// Latest change first (a status change, an answer, a forward: `updated_at`).
    Activity,
}

/// The sort key of the last ticket of a page: what the opaque cursor carries. It names its
/// sort, so a cursor of one order is refused by another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Key {
    Due(Option<NaiveDateTime>, i64),
    Age(i64),
    Newest(i64),
    Activity(NaiveDateTime, i64),
}

impl Key {
    pub fn of(sort: Sort, r: &Row) -> Key {
        match sort {
            Sort::Due => Key::Due(r.next_due_at, r.id),
            Sort::Age => Key::Age(r.id),
            Sort::Newest => Key::Newest(r.id),
            Sort::Activity => Key::Activity(r.updated_at, r.id),
        }
    }

    pub fn sort(&self) -> Sort {
        match self {
            Key::Due(..) => Sort::Due,
            Key::Age(_) => Sort::Age,
            Key::Newest(_) => Sort::Newest,
            Key::Activity(..) => Sort::Activity,
        }
    }
}

/// The tickets of the scope that pass the filter, before any sort or position, as a boxed
/// query for the backend of the `on_backend!` arm it is loaded in. A macro, not a generic
/// function: diesel names no public bound under which a boxed query builds for any backend.
macro_rules! scoped {
    ($scope:expr, $f:expr) => {{
        let (scope, f): (&Scope, &Filter) = ($scope, $f);
        let mut q = tickets::table.into_boxed().filter(scope.condition());
        if let Some(s) = &f.statuses {
            q = q.filter(status_in(s));
        }
        if let Some(k) = f.kind {
            q = q.filter(tickets::kind.eq(k));
        }
        if let Some(c) = f.channel {
            q = q.filter(tickets::channel.eq(c));
        }
        if let Some(c) = &f.categories {
            q = q.filter(tickets::category_code.eq_any(c.clone()));
        }
        if let Some(a) = &f.areas {
            q = q.filter(tickets::area_code.eq_any(a.clone()));
        }
        match f.assignee {
            Some(Assignee::Nobody) => q = q.filter(tickets::assignee_id.is_null()),
            Some(Assignee::User(id)) => q = q.filter(tickets::assignee_id.eq(id)),
            None => {}
        }
        if let Some(o) = f.overdue {
            q = q.filter(tickets::overdue.eq(o));
        }
        if let Some(t) = f.due_before {
            q = q.filter(tickets::next_due_at.lt(t));
        }
        if let Some(p) = &f.search {
            q = q.filter(tickets::search_text.like(p.clone()));
        }
        q
    }};
}

/// One page (`fetch` rows at most) of the inbox of the scope, in `sort` order after `after`
/// (a key of that sort: the caller refuses another, which would be ignored here).
pub fn inbox(
    conn: &mut DbConn,
    scope: &Scope,
    f: &Filter,
    sort: Sort,
    after: Option<&Key>,
    fetch: i64,
) -> Result<Vec<Row>, Error> {
    if scope.is_empty() {
        return Ok(vec![]);
    }
    // On the backend's own connection: through `DbConn` diesel renders the boxed query's
    // text three times a call (bench/results/2026-12-06-submit-inbox-read-console.md).
    let rows = super::on_backend!(conn, |c| match (sort, after) {
        (Sort::Age, k) => {
            let mut q = scoped!(scope, f);
            if let Some(Key::Age(id)) = k {
                q = q.filter(tickets::id.gt(*id));
            }
            q.select(Row::as_select())
                .order(tickets::id.asc())
                .limit(fetch)
                .load(c)?
        }
        (Sort::Newest, k) => {
            let mut q = scoped!(scope, f);
            if let Some(Key::Newest(id)) = k {
                q = q.filter(tickets::id.lt(*id));
            }
            q.select(Row::as_select())
                .order(tickets::id.desc())
                .limit(fetch)
                .load(c)?
        }
        (Sort::Activity, k) => {
            let mut q = scoped!(scope, f);
            if let Some(Key::Activity(at, id)) = k {
                q = q.filter(
                    tickets::updated_at
                        .lt(*at)
                        .or(tickets::updated_at.eq(*at).and(tickets::id.lt(*id))),
                );
            }
            q.select(Row::as_select())
                .order((tickets::updated_at.desc(), tickets::id.desc()))
                .limit(fetch)
                .load(c)?
        }
        (Sort::Due, k) => {
            // Two index-friendly passes instead of `NULLS LAST`, which SQLite orders the
            // other way by default: the dated tickets, then (if the page is not full) the rest.
            let mut rows = Vec::new();
            if !matches!(k, Some(Key::Due(None, _))) {
                let mut q = scoped!(scope, f).filter(tickets::next_due_at.is_not_null());
                if let Some(Key::Due(Some(due), id)) = k {
                    // A row comparison, so the planner reads the `(unit_id, next_due_at, id)`
                    // index from the key on; the `>` OR `= AND >` form scans from the start.
                    q = q.filter(condition_with2::<Timestamp, _, BigInt, _>(
                        "(tickets.next_due_at, tickets.id) > ({}, {})",
                        *due,
                        *id,
                    ));
                }
                rows = q
                    .select(Row::as_select())
                    .order((tickets::next_due_at.asc(), tickets::id.asc()))
                    .limit(fetch)
                    .load(c)?;
            }
            let left = fetch - rows.len() as i64;
            if left > 0 {
                let mut q = scoped!(scope, f).filter(tickets::next_due_at.is_null());
                if let Some(Key::Due(None, id)) = k {
                    q = q.filter(tickets::id.gt(*id));
                }
                // Ordered as the dated pass (every `next_due_at` here is NULL, so it is id
                // order), which the `(unit_id, next_due_at, id)` index gives as it is. By
                // `id` alone PostgreSQL walks the primary key over every ticket of every unit
                // (it counts the closed tickets' NULLs too): 4.4 s at 1,000,000 tickets for a
                // unit whose open tickets all have a clock, instead of 0.1 ms.
                rows.extend(
                    q.select(Row::as_select())
                        .order((tickets::next_due_at.asc(), tickets::id.asc()))
                        .limit(left)
                        .load(c)?,
                );
            }
            rows
        }
    });
    Ok(rows)
}

/// Counts over a unit scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every status, with 0 for those no ticket is in.
    pub by_status: Vec<(Status, i64)>,
    pub open: i64,
    /// Open tickets with a missed deadline.
    pub overdue: i64,
    pub unassigned_open: i64,
    /// Open tickets whose next deadline falls in `[now, now + 24 h)`.
    pub due_within_24h: i64,
}

/// The counts of the inbox of the scope at `now`.
/// The open tickets of a scope by status, and how many of them are overdue: what an inbox's
/// header shows. Unlike [`summary`] it reads only open tickets (the `(unit_id, status, …)`
/// index), not every ticket the unit ever had.
pub fn open_counts(conn: &mut DbConn, scope: &Scope) -> Result<OpenCounts, Error> {
    let mut by_status: Vec<(Status, i64)> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| (*s, 0))
        .collect();
    let mut overdue = 0;
    if scope.is_empty() {
        return Ok((by_status, overdue));
    }
    let groups: Vec<(String, bool, i64)> = tickets::table
        .filter(scope.condition())
        .filter(tickets::status.eq_any(open_statuses()))
        .group_by((tickets::status, tickets::overdue))
        .select((tickets::status, tickets::overdue, diesel::dsl::count_star()))
        .load(conn)?;
    for (status, late, n) in groups {
        if let Some(slot) = by_status.iter_mut().find(|(s, _)| s.as_str() == status) {
            slot.1 += n;
        }
        if late {
            overdue += n;
        }
    }
    Ok((by_status, overdue))
}

/// The open tickets by status, and how many are overdue ([`open_counts`]).
pub type OpenCounts = (Vec<(Status, i64)>, i64);

/// This process's recent [`open_counts`] by scope, for the console inbox's header. Counting
/// reads every open ticket of the scope (100,000 in the benchmark's unit: two thirds of the
/// page's time), so a page reuses the counts of a moment ago. An answer is used again only
/// while no write transaction has committed in this process since (`db::writes`), so an
/// official sees their own action counted at once, and for at most [`CountsCache::FRESH_FOR`]
/// (by the injected clock), the bound on how late a write made by another process shows.
#[derive(Debug, Default)]
pub struct CountsCache {
    entries: std::sync::Mutex<HashMap<Scope, Counted>>,
}

#[derive(Debug, Clone)]
struct Counted {
    writes: u64,
    at: chrono::DateTime<chrono::Utc>,
    counts: OpenCounts,
}

impl CountsCache {
    /// How long an answer stands when nothing was written here.
    pub const FRESH_FOR: Duration = Duration::seconds(2);
    /// More scopes than units in any organisation: past it, the map starts again.
    const MAX_SCOPES: usize = 10_000;

    /// [`open_counts`] of `scope`, counted again unless a fresh answer is held.
    pub fn get(
        &self,
        conn: &mut DbConn,
        scope: &Scope,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<OpenCounts, Error> {
        // Read before counting: a write that commits while the count runs makes the answer
        // look older than it is, never newer.
        let writes = super::writes();
        let held = self.entries.lock().ok().and_then(|m| m.get(scope).cloned());
        if let Some(c) = held
            && c.writes == writes
            && c.at <= now
            && now - c.at < Self::FRESH_FOR
        {
            return Ok(c.counts);
        }
        let counts = open_counts(conn, scope)?;
        if let Ok(mut m) = self.entries.lock() {
            if m.len() >= Self::MAX_SCOPES {
                m.clear();
            }
            let counted = Counted {
                writes,
                at: now,
                counts: counts.clone(),
            };
            m.insert(scope.clone(), counted);
        }
        Ok(counts)
    }
}

pub fn summary(conn: &mut DbConn, scope: &Scope, now: NaiveDateTime) -> Result<Summary, Error> {
    let mut out = Summary {
        by_status: Status::ALL.iter().map(|s| (*s, 0)).collect(),
        ..Summary::default()
    };
    if scope.is_empty() {
        return Ok(out);
    }
    // Few groups: statuses × overdue × (the unit's staff + nobody).
    let groups: Vec<(String, bool, Option<i64>, i64)> = tickets::table
        .filter(scope.condition())
        .group_by((tickets::status, tickets::overdue, tickets::assignee_id))
        .select((
            tickets::status,
            tickets::overdue,
            tickets::assignee_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    for (status, overdue, assignee, n) in groups {
        let Some(status) = Status::parse(&status) else {
            continue;
        };
        if let Some(slot) = out.by_status.iter_mut().find(|(s, _)| *s == status) {
            slot.1 += n;
        }
        if status.is_open() {
            out.open += n;
            if overdue {
                out.overdue += n;
            }
            if assignee.is_none() {
                out.unassigned_open += n;
            }
        }
    }
    out.due_within_24h = tickets::table
        .filter(scope.condition())
        .filter(tickets::status.eq_any(open_statuses()))
        .filter(tickets::next_due_at.ge(now))
        .filter(tickets::next_due_at.lt(now + Duration::hours(24)))
        .count()
        .get_result(conn)?;
    Ok(out)
}

// --- one's own submissions ------------------------------------------------------------------

/// A page of `submitter`'s tickets, newest first, after the ticket `after` (an id).
pub fn submitted_by(
    conn: &mut DbConn,
    submitter: i64,
    statuses: Option<&[&'static str]>,
    after: Option<i64>,
    fetch: i64,
) -> Result<Vec<Row>, Error> {
    let mut q = tickets::table
        .filter(tickets::submitter_id.eq(submitter))
        .into_boxed();
    if let Some(s) = statuses {
        q = q.filter(tickets::status.eq_any(s.to_vec()));
    }
    if let Some(id) = after {
        q = q.filter(tickets::id.lt(id));
    }
    Ok(q.select(Row::as_select())
        .order(tickets::id.desc())
        .limit(fetch)
        .load(conn)?)
}

/// A unit as lists show it.
#[derive(Debug, Clone)]
pub struct UnitName {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The names of `ids` in `lang`, in one query.
pub fn unit_names(
    conn: &mut DbConn,
    ids: &[i64],
    lang: Lang,
) -> Result<HashMap<i64, UnitName>, Error> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, String, String)> = units::table
        .filter(units::id.eq_any(ids.to_vec()))
        .select((units::id, units::code, units::name_vi, units::name_en))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, vi, en)| {
            let name = lang.pick(&vi, &en).to_string();
            (id, UnitName { id, code, name })
        })
        .collect())
}

// --- public tickets near a point ------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Nearby {
    pub id: i64,
    pub code: String,
    pub title: String,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub supporters: i32,
    pub created_at: NaiveDateTime,
}

/// Where to look for tickets like the one a citizen is about to send.
#[derive(Debug, Clone)]
pub struct Near {
    pub categories: Vec<String>,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    /// Created at or after this moment.
    pub since: NaiveDateTime,
}

/// Open public tickets of the categories within `radius_m` of the point, with their exact
/// distance in metres, nearest first. A bounding box narrows the rows in SQL (index
/// `tickets_category_lat`); the great-circle distance decides.
pub fn nearby(conn: &mut DbConn, n: &Near) -> Result<Vec<(Nearby, f64)>, Error> {
    // A little over the radius, so that the box surely covers the circle.
    let (dlat, dlon) = degrees_around(n.lat, n.radius_m * 1.01);
    let rows: Vec<Nearby> = tickets::table
        .filter(tickets::category_code.eq_any(n.categories.clone()))
        .filter(tickets::lat.between(n.lat - dlat, n.lat + dlat))
        .filter(tickets::lon.between(n.lon - dlon, n.lon + dlon))
        .filter(tickets::public.eq(true))
        .filter(tickets::status.eq_any(open_statuses()))
        .filter(tickets::created_at.ge(n.since))
        .select(Nearby::as_select())
        .load(conn)?;
    let mut near: Vec<(Nearby, f64)> = rows
        .into_iter()
        .filter_map(|r| {
            let d = distance_m(n.lat, n.lon, r.lat?, r.lon?);
            (d <= n.radius_m).then_some((r, d))
        })
        .collect();
    near.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
    Ok(near)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_sort() {
        let r = Row {
            id: 7,
            code: "PAKN.20261123.0007".into(),
            kind: Kind::Feedback,
            status: Status::Submitted,
            category_code: "duong-hong".into(),
            title: "t".into(),
            area_code: "31135".into(),
            unit_id: 1,
            assignee_id: None,
            priority: 0,
            overdue: false,
            next_due_at: None,
            created_at: NaiveDateTime::default(),
            updated_at: NaiveDateTime::default(),
            supporters: 0,
        };
        for sort in [Sort::Due, Sort::Age, Sort::Newest, Sort::Activity] {
            assert_eq!(Key::of(sort, &r).sort(), sort);
        }
        assert_eq!(Key::of(Sort::Due, &r), Key::Due(None, 7));
    }

    #[test]
    fn open_means_still_owed_an_answer() {
        assert_eq!(
            open_statuses(),
            [
                Status::Submitted,
                Status::Accepted,
                Status::AwaitingInfo,
                Status::Suspended
            ]
            .map(Status::as_str)
        );
    }
}

/// A ticket as delta sync sends it: the list row, its change stamp and whether it was merged.
#[derive(Debug, Clone)]
pub struct Changed {
    pub change_tx: i64,
    pub duplicate_of_id: Option<i64>,
    pub row: Row,
}

/// The submitter's tickets changed after `after` (and, when given, updated at or after
/// `since`), in change order. `change_tx` is written by triggers and read here as SQL: the
/// table is at diesel's 64-column limit.
pub fn submitted_changed(
    conn: &mut DbConn,
    submitter: i64,
    after: crate::db::sync::Position,
    since: Option<NaiveDateTime>,
    fetch: i64,
) -> Result<Vec<Changed>, Error> {
    let mut q = tickets::table
        .filter(tickets::submitter_id.eq(submitter))
        .filter(condition_with2::<BigInt, _, BigInt, _>(
            "(tickets.change_tx, tickets.id) > ({}, {})",
            after.tx,
            after.id,
        ))
        .into_boxed();
    if let Some(since) = since {
        q = q.filter(tickets::updated_at.ge(since));
    }
    let rows: Vec<(i64, Option<i64>, Row)> = q
        .select((
            sql::<BigInt>("tickets.change_tx"),
            tickets::duplicate_of_id,
            Row::as_select(),
        ))
        .order((sql::<BigInt>("tickets.change_tx"), tickets::id.asc()))
        .limit(fetch)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(change_tx, duplicate_of_id, row)| Changed {
            change_tx,
            duplicate_of_id,
            row,
        })
        .collect())
}
