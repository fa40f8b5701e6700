//! Reference data shipped with the binary, loaded at start-up (after migrations, under the
//! same advisory lock) when missing. Loading twice changes nothing.

use chrono::NaiveDateTime;

use super::DbConn;
use crate::db::Error;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub areas: usize,
    /// Shipped public holidays whose date had no row.
    pub holidays: usize,
    /// Default deadline policies, seeded into an empty table.
    pub policies: usize,
}

pub fn load(conn: &mut DbConn, now: NaiveDateTime) -> Result<Loaded, Error> {
    Ok(Loaded {
        areas: super::areas::load_if_empty(conn)?,
        holidays: super::calendar::load_holidays_if_missing(conn, now)?,
        policies: super::policies::seed_defaults_if_empty(conn, now)?,
    })
}

// --- the in-process copy -------------------------------------------------------------------

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;

use super::areas::Area;
use super::categories::Category;
use super::routing_rules::{Place, Rule};
use super::schema::{areas, categories, reference_version, unit_areas, units};
use super::units::Unit;
use crate::domain::calendar::Calendar;
use crate::domain::policy::{Policy, TicketFacts};
use crate::domain::routing::Choice;

/// The reference data's version: triggers on its tables add one on every write
/// (migration `reference_version`).
pub fn version(conn: &mut DbConn) -> Result<i64, Error> {
    Ok(reference_version::table
        .find(1)
        .select(reference_version::version)
        .first(conn)?)
}

/// The reference data as of one version, read in a few statements: the calendar, the
/// categories, the areas (a few thousand communes), the units and the areas they serve, the
/// routing rules and the active deadline policies.
#[derive(Debug)]
pub struct Snapshot {
    pub version: i64,
    pub calendar: Calendar,
    categories: HashMap<String, Category>,
    areas: HashMap<String, Area>,
    units: HashMap<i64, Unit>,
    /// Each unit's subunits, by id.
    children: HashMap<i64, Vec<i64>>,
    /// (unit, area code) of every unit's areas.
    unit_areas: Vec<(i64, String)>,
    rules: Vec<Rule>,
    /// Active ones only, by id.
    policies: Vec<Policy>,
}

impl Snapshot {
    pub fn load(conn: &mut DbConn) -> Result<Snapshot, Error> {
        // The version first: a write committed while the tables are read leaves the copy
        // newer than its number says, and the next request reloads it; never the other way.
        let version = version(conn)?;
        let calendar = super::calendar::load(conn)?;
        let categories = categories::table
            .select(Category::as_select())
            .load::<Category>(conn)?
            .into_iter()
            .map(|c| (c.code.clone(), c))
            .collect();
        let areas = areas::table
            .select(Area::as_select())
            .load::<Area>(conn)?
            .into_iter()
            .map(|a| (a.code.clone(), a))
            .collect();
        let units: HashMap<i64, Unit> = units::table
            .select(Unit::as_select())
            .load::<Unit>(conn)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for u in units.values() {
            if let Some(p) = u.parent_id {
                children.entry(p).or_default().push(u.id);
            }
        }
        children.values_mut().for_each(|c| c.sort_unstable());
        let unit_areas = unit_areas::table
            .select((unit_areas::unit_id, unit_areas::area_code))
            .load(conn)?;
        Ok(Snapshot {
            version,
            calendar,
            categories,
            areas,
            units,
            children,
            unit_areas,
            rules: super::routing_rules::all(conn)?,
            policies: super::policies::all_active(conn)?,
        })
    }

    /// A category by code (inactive ones included, as `categories::find`).
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.get(code)
    }

    /// The categories in their display order (`sort_order`, then code), as `categories::all`.
    pub fn categories(&self, include_inactive: bool) -> Vec<Category> {
        let mut out: Vec<Category> = self
            .categories
            .values()
            .filter(|c| include_inactive || c.active)
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.sort_order, &a.code).cmp(&(b.sort_order, &b.code)));
        out
    }

    pub fn area(&self, code: &str) -> Option<&Area> {
        self.areas.get(code)
    }

    /// A unit by id (inactive and merged ones included, as `units::find`).
    pub fn unit(&self, id: i64) -> Option<&Unit> {
        self.units.get(&id)
    }

    /// The unit and every unit below it, as `units::subtree` reads them (empty: no such unit).
    pub fn subtree(&self, root: i64) -> Vec<i64> {
        if !self.units.contains_key(&root) {
            return Vec::new();
        }
        let mut out = vec![root];
        let mut seen: std::collections::HashSet<i64> = out.iter().copied().collect();
        let mut i = 0;
        while i < out.len() {
            for child in self.children.get(&out[i]).into_iter().flatten() {
                // A cycle (the tree is data) ends where it repeats, as `UNION` does.
                if seen.insert(*child) {
                    out.push(*child);
                }
            }
            i += 1;
        }
        out
    }

    /// The active coordinating unit that triages by hand (the lowest id if several).
    pub fn coordinator(&self) -> Option<i64> {
        self.units
            .values()
            .filter(|u| u.is_coordinator && u.active)
            .map(|u| u.id)
            .min()
    }

    /// Where a submission of `kind` in the category `chain` (nearest first) at `place` goes
    /// (`routing_rules::choose`).
    pub fn route(&self, kind: &str, chain: &[String], place: &Place) -> Option<Choice> {
        let rules = self
            .rules
            .iter()
            .filter(|r| chain.contains(&r.category_code))
            .filter_map(|r| Some((r, self.units.get(&r.unit_id)?.active)));
        let committees = self.unit_areas.iter().filter_map(|(unit, area)| {
            let u = self.units.get(unit)?;
            Some((u.id, u.active, u.kind.as_str(), area.as_str()))
        });
        super::routing_rules::choose(kind, chain, place, rules, committees, self.coordinator())
    }

    /// The deadline policy that applies to a ticket (`domain::policy::select`).
    pub fn policy_for(&self, facts: &TicketFacts) -> Option<&Policy> {
        crate::domain::policy::select(&self.policies, facts)
    }

    /// A category's code and its ancestors' codes, nearest first, and whether it is urgent
    /// itself; `None` for an unknown category (the same answer as `policies::category_chain`).
    pub fn category_chain(&self, code: &str) -> Result<Option<(Vec<String>, bool)>, Error> {
        let Some(first) = self.categories.get(code) else {
            return Ok(None);
        };
        let mut chain = vec![first.code.clone()];
        let mut next = first.parent_code.as_deref();
        while let Some(code) = next {
            if chain.iter().any(|c| c == code) || chain.len() >= super::policies::MAX_CATEGORY_DEPTH
            {
                return Err(Error::corrupt(format!(
                    "category tree above `{code}` is a cycle or too deep"
                )));
            }
            // A dangling parent (the foreign key forbids it) ends the chain.
            let Some(c) = self.categories.get(code) else {
                break;
            };
            chain.push(c.code.clone());
            next = c.parent_code.as_deref();
        }
        Ok(Some((chain, first.urgent)))
    }

    /// Whether an area counts as remote: itself, or its province (`None`: no such area).
    pub fn area_is_remote(&self, code: &str) -> Option<bool> {
        let area = self.areas.get(code)?;
        Some(
            area.remote
                || area
                    .parent_code
                    .as_deref()
                    .and_then(|p| self.areas.get(p))
                    .is_some_and(|p| p.remote),
        )
    }
}

/// This process's copy of the reference data. [`Refs::current`] sends no statement while the
/// copy is known to be current, and checks the version (one statement, reloading if it moved)
/// once it may not be:
/// - a write through this process's `db` functions marks it at once ([`changed`], picked up by
///   `AppState::db` when the work returns): the next request here sees the change;
/// - a write by any other process (another server, the worker, a seed, psql) is noticed by
///   [`Refs::watch`], which reads the version every [`WATCH_EVERY`]: within a second.
///
/// A version poll rather than PostgreSQL's LISTEN/NOTIFY: it works the same on SQLite and
/// through PgBouncer in transaction mode (where a listening session is not kept), and a
/// missed message cannot leave a process stale for good.
#[derive(Debug)]
pub struct Refs {
    held: Mutex<Option<Arc<Snapshot>>>,
    stale: AtomicBool,
}

impl Default for Refs {
    fn default() -> Self {
        Refs {
            held: Mutex::new(None),
            stale: AtomicBool::new(true),
        }
    }
}

/// How often [`Refs::watch`] reads the version.
pub const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

impl Refs {
    pub fn current(&self, conn: &mut DbConn) -> Result<Arc<Snapshot>, Error> {
        // A write to the reference tables earlier in this same work counts too.
        if !self.stale.load(Ordering::Acquire)
            && !CHANGED.with(std::cell::Cell::get)
            && let Some(s) = self.held.lock().expect("refs lock").as_ref()
        {
            return Ok(s.clone());
        }
        // Cleared before the version is read: a change noticed meanwhile marks it again.
        self.stale.store(false, Ordering::Release);
        let now = version(conn)?;
        if let Some(s) = self.held.lock().expect("refs lock").as_ref()
            && s.version == now
        {
            return Ok(s.clone());
        }
        let fresh = Arc::new(Snapshot::load(conn)?);
        *self.held.lock().expect("refs lock") = Some(fresh.clone());
        Ok(fresh)
    }

    /// The copy held, when it is known to be current (no statement, no connection).
    pub fn held_current(&self) -> Option<Arc<Snapshot>> {
        if self.stale.load(Ordering::Acquire) {
            return None;
        }
        self.held.lock().expect("refs lock").clone()
    }

    /// The next [`Refs::current`] checks the version.
    pub fn mark_stale(&self) {
        self.stale.store(true, Ordering::Release);
    }

    /// Compares the held copy with the version `now` read from the database; marks it stale
    /// if they differ. Returns whether it did.
    pub fn note_version(&self, now: i64) -> bool {
        let behind = self
            .held
            .lock()
            .expect("refs lock")
            .as_ref()
            .is_some_and(|s| s.version != now);
        if behind {
            self.mark_stale();
        }
        behind
    }
}

thread_local! {
    static CHANGED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Notes that work on this thread wrote reference data (every write function of the
/// reference tables calls it); `AppState::db` then marks its [`Refs`] stale.
pub fn changed() {
    CHANGED.with(|c| c.set(true));
}

/// Whether work on this thread wrote reference data since the last call.
pub fn take_changed() -> bool {
    CHANGED.with(|c| c.replace(false))
}
