//! Routing rules, and the routing of a submission: the data the pure choice in
//! [`crate::domain::routing`] needs, read in a few queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::DbConn;
use super::schema::{areas, routing_rules, unit_areas, units};
use crate::domain::routing::{self, AreaMatch, Candidate, Choice, Committee};
use crate::error::AppError;

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

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Rule>, AppError> {
    Ok(routing_rules::table
        .find(id)
        .select(Rule::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Rule, AppError> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("rule_not_found"))
}

pub fn list(
    conn: &mut DbConn,
    category: Option<&str>,
    unit_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Rule>, AppError> {
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

/// Checks that what a rule names exists; errors name the field.
pub fn check_refs(conn: &mut DbConn, f: &Fields) -> Result<(), AppError> {
    let mut v = crate::validation::Violations::new();
    if let Some(c) = &f.category_code
        && super::categories::find(conn, c)?.is_none()
    {
        v.add("/category_code", "unknown_category");
    }
    if let Some(Some(a)) = &f.area_code {
        let n = areas::table
            .filter(areas::code.eq(a))
            .count()
            .get_result::<i64>(conn)?;
        if n == 0 {
            v.add("/area_code", "unknown_area");
        }
    }
    if let Some(u) = f.unit_id
        && super::units::find(conn, u)?.is_none()
    {
        v.add("/unit_id", "unknown_unit");
    }
    v.finish()
}

pub fn create(conn: &mut DbConn, f: Fields, now: NaiveDateTime) -> Result<Rule, AppError> {
    check_refs(conn, &f)?;
    let id = diesel::insert_into(routing_rules::table)
        .values((
            routing_rules::category_code.eq(f.category_code.unwrap_or_default()),
            routing_rules::area_code.eq(f.area_code.flatten()),
            routing_rules::kind.eq(f.kind.flatten()),
            routing_rules::unit_id.eq(f.unit_id.unwrap_or_default()),
            routing_rules::priority.eq(f.priority.unwrap_or(100)),
            routing_rules::created_at.eq(now),
            routing_rules::updated_at.eq(now),
        ))
        .returning(routing_rules::id)
        .get_result::<i64>(conn)?;
    get(conn, id)
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

pub fn update(conn: &mut DbConn, id: i64, f: Fields, now: NaiveDateTime) -> Result<Rule, AppError> {
    get(conn, id)?;
    check_refs(conn, &f)?;
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
    get(conn, id)
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), AppError> {
    let n = diesel::delete(routing_rules::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(AppError::not_found("rule_not_found"));
    }
    Ok(())
}

/// The commune (if the code is a commune) and the province of an area code.
pub fn place(
    conn: &mut DbConn,
    area_code: &str,
) -> Result<Option<(Option<String>, String)>, AppError> {
    let row = areas::table
        .find(area_code)
        .select((areas::level, areas::parent_code))
        .first::<(String, Option<String>)>(conn)
        .optional()?;
    Ok(row.map(|(level, parent)| {
        if level == "commune" {
            (Some(area_code.to_string()), parent.unwrap_or_default())
        } else {
            (None, area_code.to_string())
        }
    }))
}

/// Routes a submission of `kind` in `category` at `area_code` (a commune or a province).
/// `None` only when nothing matches and no coordinating unit is configured.
pub fn route(
    conn: &mut DbConn,
    kind: &str,
    category: &str,
    area_code: &str,
) -> Result<Option<Choice>, AppError> {
    let chain = super::categories::chain(conn, category)?;
    let (commune, province) =
        place(conn, area_code)?.ok_or_else(|| AppError::field("/area_code", "unknown_area"))?;
    let rows: Vec<(Rule, bool)> = routing_rules::table
        .inner_join(units::table)
        .filter(routing_rules::category_code.eq_any(&chain))
        .filter(
            routing_rules::kind
                .is_null()
                .or(routing_rules::kind.eq(kind)),
        )
        .select((Rule::as_select(), units::active))
        .load(conn)?;
    let candidates: Vec<Candidate> = rows
        .into_iter()
        .filter_map(|(r, active)| {
            let area = match r.area_code.as_deref() {
                None => AreaMatch::Anywhere,
                Some(a) if Some(a) == commune.as_deref() => AreaMatch::Commune,
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
    let mut codes = vec![province.clone()];
    codes.extend(commune.clone());
    let committees: Vec<Committee> = unit_areas::table
        .inner_join(units::table)
        .filter(unit_areas::area_code.eq_any(&codes))
        .filter(units::kind.eq("people_committee"))
        .select((units::id, units::active, unit_areas::area_code))
        .load::<(i64, bool, String)>(conn)?
        .into_iter()
        .map(|(unit_id, active, area_code)| Committee {
            covers_commune: Some(&area_code) == commune.as_ref(),
            unit_id,
            active,
            area_code,
        })
        .collect();
    let coordinator = coordinator(conn)?;
    Ok(routing::choose(&candidates, &committees, coordinator))
}

/// The active coordinating unit that triages by hand (the lowest id if several).
pub fn coordinator(conn: &mut DbConn) -> Result<Option<i64>, AppError> {
    Ok(units::table
        .filter(units::is_coordinator.eq(true).and(units::active.eq(true)))
        .order(units::id.asc())
        .select(units::id)
        .first::<i64>(conn)
        .optional()?)
}

/// The authority for second-round complaints in an area: the one configured on the province,
/// else the province's people's committee.
pub fn second_round_authority(conn: &mut DbConn, area_code: &str) -> Result<Option<i64>, AppError> {
    let Some((_, province)) = place(conn, area_code)? else {
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
