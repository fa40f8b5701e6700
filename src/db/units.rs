//! Units: organisations in a tree of any depth, the areas they cover and the categories they
//! handle. Reorganisation (merge) moves what a unit holds to the one that survives it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::DbConn;
use super::schema::{areas, routing_rules, unit_areas, unit_categories, units, users};
use crate::db::Error;
use crate::i18n::Lang;

pub const KINDS: &[&str] = &[
    "people_committee",
    "department",
    "inspection_board",
    "council",
    "front",
    "other",
];

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: i64,
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub email: Option<String>,
    pub active: bool,
    pub sees_subunits: bool,
    pub is_coordinator: bool,
    pub merged_into_id: Option<i64>,
    pub valid_from: Option<NaiveDateTime>,
    pub valid_to: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Unit {
    pub fn name(&self, lang: Lang) -> &str {
        lang.pick(&self.name_vi, &self.name_en)
    }
}

/// A unit's name in `lang`.
pub fn name_of(conn: &mut DbConn, id: i64, lang: Lang) -> Result<Option<String>, Error> {
    Ok(find(conn, id)?.map(|u| u.name(lang).to_string()))
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Unit>, Error> {
    Ok(units::table
        .find(id)
        .select(Unit::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> Result<Option<Unit>, Error> {
    Ok(units::table
        .filter(units::code.eq(code))
        .select(Unit::as_select())
        .first(conn)
        .optional()?)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub parent_id: Option<i64>,
    pub kind: Option<String>,
    pub active: Option<bool>,
    pub q: Option<String>,
}

pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Unit>, Error> {
    let mut q = units::table
        .select(Unit::as_select())
        .order(units::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(p) = f.parent_id {
        q = q.filter(units::parent_id.eq(p));
    }
    if let Some(k) = &f.kind {
        q = q.filter(units::kind.eq(k.clone()));
    }
    if let Some(a) = f.active {
        q = q.filter(units::active.eq(a));
    }
    if let Some(text) = f.q.as_deref().filter(|t| !t.is_empty()) {
        let pattern = format!("%{}%", text.replace(['%', '_'], ""));
        q = q.filter(
            units::code
                .like(pattern.clone())
                .or(units::name_vi.like(pattern.clone()))
                .or(units::name_en.like(pattern)),
        );
    }
    if let Some(a) = after {
        q = q.filter(units::id.gt(a));
    }
    Ok(q.load(conn)?)
}

/// Area codes a unit covers and category codes it handles.
pub type Coverage = (Vec<String>, Vec<String>);

/// The coverage of many units at once.
pub fn coverage(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Coverage>, Error> {
    let mut out: HashMap<i64, Coverage> = ids.iter().map(|id| (*id, Default::default())).collect();
    for (id, code) in unit_areas::table
        .filter(unit_areas::unit_id.eq_any(ids))
        .order((unit_areas::unit_id, unit_areas::area_code))
        .select((unit_areas::unit_id, unit_areas::area_code))
        .load::<(i64, String)>(conn)?
    {
        out.entry(id).or_default().0.push(code);
    }
    for (id, code) in unit_categories::table
        .filter(unit_categories::unit_id.eq_any(ids))
        .order((unit_categories::unit_id, unit_categories::category_code))
        .select((unit_categories::unit_id, unit_categories::category_code))
        .load::<(i64, String)>(conn)?
    {
        out.entry(id).or_default().1.push(code);
    }
    Ok(out)
}

/// What an administrator writes; `None` leaves a field as it is (on update).
#[derive(Debug, Default, Clone)]
pub struct Fields {
    pub code: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub kind: Option<String>,
    pub parent_id: Option<Option<i64>>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    pub sees_subunits: Option<bool>,
    pub is_coordinator: Option<bool>,
    pub valid_from: Option<Option<NaiveDateTime>>,
    pub valid_to: Option<Option<NaiveDateTime>>,
    pub area_codes: Option<Vec<String>>,
    pub category_codes: Option<Vec<String>>,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = units)]
struct Changes {
    code: Option<String>,
    name_vi: Option<String>,
    name_en: Option<String>,
    kind: Option<String>,
    parent_id: Option<Option<i64>>,
    email: Option<Option<String>>,
    active: Option<bool>,
    sees_subunits: Option<bool>,
    is_coordinator: Option<bool>,
    valid_from: Option<Option<NaiveDateTime>>,
    valid_to: Option<Option<NaiveDateTime>>,
    updated_at: Option<NaiveDateTime>,
}

/// Inserts a unit without its coverage (see [`set_areas`], [`set_categories`]) and returns its
/// id. In a savepoint: a code already taken (a unique violation) leaves the caller's
/// transaction usable.
pub fn insert(conn: &mut DbConn, f: &Fields, now: NaiveDateTime) -> Result<i64, Error> {
    super::reference::changed();
    Ok(conn.transaction(|conn| {
        diesel::insert_into(units::table)
            .values((
                units::code.eq(f.code.clone().unwrap_or_default()),
                units::name_vi.eq(f.name_vi.clone().unwrap_or_default()),
                units::name_en.eq(f.name_en.clone().unwrap_or_default()),
                units::kind.eq(f.kind.clone().unwrap_or_else(|| "other".into())),
                units::parent_id.eq(f.parent_id.flatten()),
                units::email.eq(f.email.clone().flatten()),
                units::active.eq(f.active.unwrap_or(true)),
                units::sees_subunits.eq(f.sees_subunits.unwrap_or(false)),
                units::is_coordinator.eq(f.is_coordinator.unwrap_or(false)),
                units::valid_from.eq(f.valid_from.flatten()),
                units::valid_to.eq(f.valid_to.flatten()),
                units::created_at.eq(now),
                units::updated_at.eq(now),
            ))
            .returning(units::id)
            .get_result::<i64>(conn)
    })?)
}

/// Writes the given fields of a unit (not its coverage). In a savepoint, as [`insert`].
pub fn change(conn: &mut DbConn, id: i64, f: &Fields, now: NaiveDateTime) -> Result<(), Error> {
    super::reference::changed();
    let changes = Changes {
        code: f.code.clone(),
        name_vi: f.name_vi.clone(),
        name_en: f.name_en.clone(),
        kind: f.kind.clone(),
        parent_id: f.parent_id,
        email: f.email.clone(),
        active: f.active,
        sees_subunits: f.sees_subunits,
        is_coordinator: f.is_coordinator,
        valid_from: f.valid_from,
        valid_to: f.valid_to,
        updated_at: Some(now),
    };
    conn.transaction(|conn| {
        diesel::update(units::table.find(id))
            .set(&changes)
            .execute(conn)
    })?;
    Ok(())
}

/// Replaces the areas a unit covers (codes that exist, each once).
pub fn set_areas(conn: &mut DbConn, id: i64, codes: &[&str]) -> Result<(), Error> {
    super::reference::changed();
    diesel::delete(unit_areas::table.filter(unit_areas::unit_id.eq(id))).execute(conn)?;
    for code in codes {
        diesel::insert_into(unit_areas::table)
            .values((unit_areas::unit_id.eq(id), unit_areas::area_code.eq(code)))
            .execute(conn)?;
    }
    Ok(())
}

/// Replaces the categories a unit handles (codes that exist, each once).
pub fn set_categories(conn: &mut DbConn, id: i64, codes: &[&str]) -> Result<(), Error> {
    diesel::delete(unit_categories::table.filter(unit_categories::unit_id.eq(id))).execute(conn)?;
    for code in codes {
        diesel::insert_into(unit_categories::table)
            .values((
                unit_categories::unit_id.eq(id),
                unit_categories::category_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Ids from the unit's parent up to the root.
pub fn ancestors(conn: &mut DbConn, id: i64) -> Result<Vec<i64>, Error> {
    let mut out = Vec::new();
    let mut current = units::table
        .find(id)
        .select(units::parent_id)
        .first::<Option<i64>>(conn)
        .optional()?
        .flatten();
    while let Some(p) = current {
        if out.contains(&p) || out.len() > 1000 {
            break;
        }
        out.push(p);
        current = units::table
            .find(p)
            .select(units::parent_id)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten();
    }
    Ok(out)
}

/// The unit and every unit below it.
pub fn subtree(conn: &mut DbConn, root: i64) -> Result<Vec<i64>, Error> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    // WITH RECURSIVE reads the same on SQLite and PostgreSQL.
    let ids = diesel::sql_query(
        "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE id = $1 \
         UNION SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) SELECT id FROM sub",
    )
    .bind::<diesel::sql_types::BigInt, _>(root);
    let rows: Vec<Id> = match conn {
        DbConn::Postgres(c) => ids.load(c)?,
        DbConn::Sqlite(c) => ids.load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// What a unit still holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    pub tickets: i64,
    pub subunits: i64,
    pub staff: i64,
    pub rules: i64,
}

pub fn holdings(conn: &mut DbConn, id: i64) -> Result<Holdings, Error> {
    Ok(Holdings {
        tickets: super::tickets::held_by(conn, id)?,
        subunits: units::table
            .filter(units::parent_id.eq(id))
            .count()
            .get_result::<i64>(conn)?,
        staff: users::table
            .filter(users::unit_id.eq(id))
            .count()
            .get_result::<i64>(conn)?,
        rules: routing_rules::table
            .filter(routing_rules::unit_id.eq(id))
            .count()
            .get_result::<i64>(conn)?,
    })
}

/// Deletes a unit and its coverage, and forgets it where areas and merged units name it.
/// The caller has checked that it holds nothing ([`holdings`]).
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    super::reference::changed();
    diesel::update(areas::table.filter(areas::second_round_unit_id.eq(id)))
        .set(areas::second_round_unit_id.eq(None::<i64>))
        .execute(conn)?;
    diesel::delete(unit_areas::table.filter(unit_areas::unit_id.eq(id))).execute(conn)?;
    diesel::delete(unit_categories::table.filter(unit_categories::unit_id.eq(id))).execute(conn)?;
    diesel::update(units::table.filter(units::merged_into_id.eq(id)))
        .set(units::merged_into_id.eq(None::<i64>))
        .execute(conn)?;
    diesel::delete(units::table.find(id)).execute(conn)?;
    Ok(())
}

/// What a merge moved, for the answer and the audit.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Merged {
    pub tickets: usize,
    pub staff: usize,
    pub areas: usize,
    pub categories: usize,
    pub rules: usize,
    pub subunits: usize,
}

/// Moves what a unit holds besides its tickets into another (`workflow::units::merge` moves
/// the open tickets and checks the request): staff, areas, categories, routing rules and
/// subunits move to `into`; `from` closes (inactive, `valid_to` now, `merged_into_id`).
pub fn merge(
    conn: &mut DbConn,
    old: &Unit,
    into: i64,
    now: NaiveDateTime,
) -> Result<Merged, Error> {
    super::reference::changed();
    let from = old.id;
    if ancestors(conn, into)?.contains(&from) {
        // `into` sits under `from`: its subunits move to `into` itself, which is fine, but
        // `into` must not become its own parent.
        diesel::update(units::table.find(into))
            .set(units::parent_id.eq(old.parent_id))
            .execute(conn)?;
    }
    let mut m = Merged {
        staff: diesel::update(users::table.filter(users::unit_id.eq(from)))
            .set(users::unit_id.eq(into))
            .execute(conn)?,
        ..Merged::default()
    };
    // Coverage: add what `into` lacks, then drop `from`'s rows.
    let areas_from: Vec<String> = unit_areas::table
        .filter(unit_areas::unit_id.eq(from))
        .select(unit_areas::area_code)
        .load(conn)?;
    let areas_into: HashSet<String> = unit_areas::table
        .filter(unit_areas::unit_id.eq(into))
        .select(unit_areas::area_code)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for code in areas_from.iter().filter(|c| !areas_into.contains(*c)) {
        diesel::insert_into(unit_areas::table)
            .values((unit_areas::unit_id.eq(into), unit_areas::area_code.eq(code)))
            .execute(conn)?;
        m.areas += 1;
    }
    diesel::delete(unit_areas::table.filter(unit_areas::unit_id.eq(from))).execute(conn)?;
    let cats_from: Vec<String> = unit_categories::table
        .filter(unit_categories::unit_id.eq(from))
        .select(unit_categories::category_code)
        .load(conn)?;
    let cats_into: HashSet<String> = unit_categories::table
        .filter(unit_categories::unit_id.eq(into))
        .select(unit_categories::category_code)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    for code in cats_from.iter().filter(|c| !cats_into.contains(*c)) {
        diesel::insert_into(unit_categories::table)
            .values((
                unit_categories::unit_id.eq(into),
                unit_categories::category_code.eq(code),
            ))
            .execute(conn)?;
        m.categories += 1;
    }
    diesel::delete(unit_categories::table.filter(unit_categories::unit_id.eq(from)))
        .execute(conn)?;
    m.rules = diesel::update(routing_rules::table.filter(routing_rules::unit_id.eq(from)))
        .set((
            routing_rules::unit_id.eq(into),
            routing_rules::updated_at.eq(now),
        ))
        .execute(conn)?;
    m.subunits = diesel::update(units::table.filter(units::parent_id.eq(from)))
        .set(units::parent_id.eq(into))
        .execute(conn)?;
    diesel::update(areas::table.filter(areas::second_round_unit_id.eq(from)))
        .set(areas::second_round_unit_id.eq(into))
        .execute(conn)?;
    diesel::update(units::table.find(from))
        .set((
            units::active.eq(false),
            units::is_coordinator.eq(false),
            units::merged_into_id.eq(Some(into)),
            units::valid_to.eq(Some(now)),
            units::updated_at.eq(now),
        ))
        .execute(conn)?;
    if old.is_coordinator {
        diesel::update(units::table.find(into))
            .set(units::is_coordinator.eq(true))
            .execute(conn)?;
    }
    Ok(m)
}
