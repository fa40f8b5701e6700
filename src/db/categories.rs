//! Categories: a tree (Environment → Rubbish) with a default kind, an urgent flag, and form
//! fields as Open311 attributes.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{categories, routing_rules, unit_categories};
use crate::db::Error;
use crate::domain::attributes::Attribute;

pub const KINDS: &[&str] = &["feedback", "petition", "complaint", "denunciation"];

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct Category {
    pub code: String,
    pub parent_code: Option<String>,
    pub name_vi: String,
    pub name_en: String,
    pub default_kind: String,
    pub urgent: bool,
    pub active: bool,
    pub attributes: String,
    pub sort_order: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Category {
    pub fn attributes(&self) -> Vec<Attribute> {
        serde_json::from_str(&self.attributes).unwrap_or_default()
    }
}

pub fn all(conn: &mut DbConn, include_inactive: bool) -> Result<Vec<Category>, Error> {
    let mut q = categories::table
        .select(Category::as_select())
        .order((categories::sort_order.asc(), categories::code.asc()))
        .into_boxed();
    if !include_inactive {
        q = q.filter(categories::active.eq(true));
    }
    Ok(q.load(conn)?)
}

pub fn find(conn: &mut DbConn, code: &str) -> Result<Option<Category>, Error> {
    Ok(categories::table
        .find(code)
        .select(Category::as_select())
        .first(conn)
        .optional()?)
}

/// How many of `codes` (distinct) name a category.
pub fn count_existing(conn: &mut DbConn, codes: &[&str]) -> Result<usize, Error> {
    Ok(categories::table
        .filter(categories::code.eq_any(codes))
        .count()
        .get_result::<i64>(conn)? as usize)
}

/// The category's code and its ancestors', nearest first.
pub fn chain(conn: &mut DbConn, code: &str) -> Result<Vec<String>, Error> {
    let mut out = vec![code.to_string()];
    let mut current = find(conn, code)?.and_then(|c| c.parent_code);
    while let Some(p) = current {
        if out.contains(&p) || out.len() > 50 {
            break;
        }
        out.push(p.clone());
        current = find(conn, &p)?.and_then(|c| c.parent_code);
    }
    Ok(out)
}

#[derive(Debug, Default, Clone)]
pub struct Fields {
    pub code: Option<String>,
    pub parent_code: Option<Option<String>>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub default_kind: Option<String>,
    pub urgent: Option<bool>,
    pub active: Option<bool>,
    pub attributes: Option<Vec<Attribute>>,
    pub sort_order: Option<i32>,
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = categories)]
struct Changes {
    parent_code: Option<Option<String>>,
    name_vi: Option<String>,
    name_en: Option<String>,
    default_kind: Option<String>,
    urgent: Option<bool>,
    active: Option<bool>,
    attributes: Option<String>,
    sort_order: Option<i32>,
    updated_at: Option<NaiveDateTime>,
}

fn attributes_json(a: &Option<Vec<Attribute>>) -> Option<String> {
    a.as_ref()
        .map(|a| serde_json::to_string(a).unwrap_or_else(|_| "[]".into()))
}

/// Inserts a category. In a savepoint: a code already taken (a unique violation) leaves the
/// caller's transaction usable.
pub fn insert(conn: &mut DbConn, f: &Fields, now: NaiveDateTime) -> Result<(), Error> {
    super::reference::changed();
    conn.transaction(|conn| {
        diesel::insert_into(categories::table)
            .values((
                categories::code.eq(f.code.clone().unwrap_or_default()),
                categories::parent_code.eq(f.parent_code.clone().flatten()),
                categories::name_vi.eq(f.name_vi.clone().unwrap_or_default()),
                categories::name_en.eq(f.name_en.clone().unwrap_or_default()),
                categories::default_kind
                    .eq(f.default_kind.clone().unwrap_or_else(|| "feedback".into())),
                categories::urgent.eq(f.urgent.unwrap_or(false)),
                categories::active.eq(f.active.unwrap_or(true)),
                categories::attributes
                    .eq(attributes_json(&f.attributes).unwrap_or_else(|| "[]".into())),
                categories::sort_order.eq(f.sort_order.unwrap_or(0)),
                categories::created_at.eq(now),
                categories::updated_at.eq(now),
            ))
            .execute(conn)
    })?;
    Ok(())
}

/// Writes the given fields of a category (its code stays).
pub fn change(conn: &mut DbConn, code: &str, f: &Fields, now: NaiveDateTime) -> Result<(), Error> {
    super::reference::changed();
    diesel::update(categories::table.find(code))
        .set(&Changes {
            parent_code: f.parent_code.clone(),
            name_vi: f.name_vi.clone(),
            name_en: f.name_en.clone(),
            default_kind: f.default_kind.clone(),
            urgent: f.urgent,
            active: f.active,
            attributes: attributes_json(&f.attributes),
            sort_order: f.sort_order,
            updated_at: Some(now),
        })
        .execute(conn)?;
    Ok(())
}

/// How many things use a category: subcategories, routing rules, units and tickets.
pub fn uses(conn: &mut DbConn, code: &str) -> Result<i64, Error> {
    let children = categories::table
        .filter(categories::parent_code.eq(code))
        .count()
        .get_result::<i64>(conn)?;
    let rules = routing_rules::table
        .filter(routing_rules::category_code.eq(code))
        .count()
        .get_result::<i64>(conn)?;
    let units = unit_categories::table
        .filter(unit_categories::category_code.eq(code))
        .count()
        .get_result::<i64>(conn)?;
    let tickets = super::tickets::in_category(conn, code)?;
    Ok(children + rules + units + tickets)
}

/// Deletes a category; the caller has checked that nothing [`uses`] it.
pub fn delete(conn: &mut DbConn, code: &str) -> Result<(), Error> {
    super::reference::changed();
    diesel::delete(categories::table.find(code)).execute(conn)?;
    Ok(())
}
