//! Routing rules, and the routing of a submission: the data the pure choice in
//! [`crate::domain::routing`] needs, read in a few queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::DbConn;
use super::schema::{areas, routing_rules, unit_areas, units};
use crate::db::Error;
use crate::domain::routing::{self, AreaMatch, Candidate, Choice, Committee};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = routing_rules)]
pub struct Rule {
    pub id: i64,
    pub category_code: String,
    pub area_code: Option<String>,
    pub kind: Option<String>,
    pub unit_id: i64,
    pub priority: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Rule>, Error> {
    Ok(routing_rules::table
        .find(id)
        .select(Rule::as_select())
        .first(conn)
        .optional()?)
}

pub fn list(
    conn: &mut DbConn,
    category: Option<&str>,
    unit_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Rule>, Error> {
    let mut q = routing_rules::table
        .select(Rule::as_select())
        .order(routing_rules::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(c) = category {
        q = q.filter(routing_rules::category_code.eq(c.to_string()));
    }
    if let Some(u) = unit_id {
        q = q.filter(routing_rules::unit_id.eq(u));
    }
    if let Some(a) = after {
        q = q.filter(routing_rules::id.gt(a));
    }
    Ok(q.load(conn)?)
}

#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub category_code: Option<String>,
    pub area_code: Option<Option<String>>,
    pub kind: Option<Option<String>>,
    pub unit_id: Option<i64>,
    pub priority: Option<i32>,
}

/// Inserts a rule (what it names exists: the caller checked) and returns its id.
pub fn insert(conn: &mut DbConn, f: &Fields, now: NaiveDateTime) -> Result<i64, Error> {
    super::reference::changed();
    Ok(diesel::insert_into(routing_rules::table)
        .values((
            routing_rules::category_code.eq(f.category_code.clone().unwrap_or_default()),
            routing_rules::area_code.eq(f.area_code.clone().flatten()),
            routing_rules::kind.eq(f.kind.clone().flatten()),
            routing_rules::unit_id.eq(f.unit_id.unwrap_or_default()),
            routing_rules::priority.eq(f.priority.unwrap_or(100)),
            routing_rules::created_at.eq(now),
            routing_rules::updated_at.eq(now),
        ))
        .returning(routing_rules::id)
        .get_result::<i64>(conn)?)
}

#[derive(AsChangeset)]
#[diesel(table_name = routing_rules)]
struct Changes {
    category_code: Option<String>,
    area_code: Option<Option<String>>,
    kind: Option<Option<String>>,
    unit_id: Option<i64>,
    priority: Option<i32>,
    updated_at: NaiveDateTime,
}

/// Writes the given fields of a rule.
pub fn change(conn: &mut DbConn, id: i64, f: Fields, now: NaiveDateTime) -> Result<(), Error> {
    super::reference::changed();
    diesel::update(routing_rules::table.find(id))
        .set(&Changes {
            category_code: f.category_code,
            area_code: f.area_code,
            kind: f.kind,
            unit_id: f.unit_id,
            priority: f.priority,
            updated_at: now,
        })
        .execute(conn)?;
    Ok(())
}

/// `false` when there was no such rule.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<bool, Error> {
    super::reference::changed();
    Ok(diesel::delete(routing_rules::table.find(id)).execute(conn)? > 0)
}

/// Where an area lies: the commune (when the area is one) and its province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub commune: Option<String>,
    pub province: String,
}

/// The commune (if the code is a commune) and the province of an area code; `None` when
/// there is no such area.
pub fn place(conn: &mut DbConn, area_code: &str) -> Result<Option<Place>, Error> {
    let row = areas::table
        .find(area_code)
        .select((areas::level, areas::parent_code))
        .first::<(String, Option<String>)>(conn)
        .optional()?;
    Ok(row.map(|(level, parent)| Place::of(area_code, &level, parent)))
}

impl Place {
    /// The place of the area `code` of `level` under `parent`.
    pub fn of(code: &str, level: &str, parent: Option<String>) -> Place {
        if level == "commune" {
            Place {
                commune: Some(code.to_string()),
                province: parent.unwrap_or_default(),
            }
        } else {
            Place {
                commune: None,
                province: code.to_string(),
            }
        }
    }
}

/// Where a submission of `kind` in `category` (with its ancestors: `chain`, nearest first)
/// at `place` goes, chosen among `rules` (each with whether its unit is active) and the
/// people's committees `units_of_areas` lists ((unit, active, kind, area code)) — the
/// reference data in force (`reference::Snapshot`). `None` only when nothing matches and no
/// coordinating unit is configured.
pub fn choose<'a>(
    kind: &str,
    chain: &[String],
    place: &Place,
    rules: impl Iterator<Item = (&'a Rule, bool)>,
    units_of_areas: impl Iterator<Item = (i64, bool, &'a str, &'a str)>,
    coordinator: Option<i64>,
) -> Option<Choice> {
    let (commune, province) = (place.commune.as_deref(), place.province.as_str());
    let candidates: Vec<Candidate> = rules
        .filter(|(r, _)| r.kind.as_deref().is_none_or(|k| k == kind))
        .filter_map(|(r, active)| {
            let area = match r.area_code.as_deref() {
                None => AreaMatch::Anywhere,
                Some(a) if Some(a) == commune => AreaMatch::Commune,
                Some(a) if a == province => AreaMatch::Province,
                Some(_) => return None,
            };
            Some(Candidate {
                rule_id: r.id,
                unit_id: r.unit_id,
                unit_active: active,
                area,
                category_distance: chain.iter().position(|c| *c == r.category_code)? as u32,
                kind_specific: r.kind.is_some(),
                priority: r.priority,
            })
        })
        .collect();
    let committees: Vec<Committee> = units_of_areas
        .filter(|(_, _, unit_kind, area)| {
            *unit_kind == "people_committee" && (*area == province || Some(*area) == commune)
        })
        .map(|(unit_id, active, _, area_code)| Committee {
            covers_commune: Some(area_code) == commune,
            unit_id,
            active,
            area_code: area_code.to_string(),
        })
        .collect();
    routing::choose(&candidates, &committees, coordinator)
}

/// Every routing rule, by id.
pub fn all(conn: &mut DbConn) -> Result<Vec<Rule>, Error> {
    Ok(routing_rules::table
        .order(routing_rules::id.asc())
        .select(Rule::as_select())
        .load(conn)?)
}

/// The active coordinating unit that triages by hand (the lowest id if several).
pub fn coordinator(conn: &mut DbConn) -> Result<Option<i64>, Error> {
    Ok(units::table
        .filter(units::is_coordinator.eq(true).and(units::active.eq(true)))
        .order(units::id.asc())
        .select(units::id)
        .first::<i64>(conn)
        .optional()?)
}

/// The authority for second-round complaints in an area: the one configured on the province,
/// else the province's people's committee.
pub fn second_round_authority(conn: &mut DbConn, area_code: &str) -> Result<Option<i64>, Error> {
    let Some(Place { province, .. }) = place(conn, area_code)? else {
        return Ok(None);
    };
    let configured = areas::table
        .find(&province)
        .select(areas::second_round_unit_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    if let Some(id) = configured {
        return Ok(Some(id));
    }
    Ok(unit_areas::table
        .inner_join(units::table)
        .filter(unit_areas::area_code.eq(&province))
        .filter(
            units::kind
                .eq("people_committee")
                .and(units::active.eq(true)),
        )
        .order(units::id.asc())
        .select(units::id)
        .first::<i64>(conn)
        .optional()?)
}
