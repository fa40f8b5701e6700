//! Routing rules as administrators keep them: each names a category, an area and a unit that
//! exist.

use chrono::NaiveDateTime;

use crate::db::routing_rules::{self, Fields, Rule};
use crate::db::{DbConn, areas, categories, units};
use crate::error::AppError;
use crate::validation::Violations;

/// A rule by id; 404 `rule_not_found` when there is none.
pub fn found(conn: &mut DbConn, id: i64) -> Result<Rule, AppError> {
    routing_rules::find(conn, id)?.ok_or_else(|| AppError::not_found("rule_not_found"))
}

/// Checks that what a rule names exists; errors name the field.
pub fn check_refs(conn: &mut DbConn, f: &Fields) -> Result<(), AppError> {
    let mut v = Violations::new();
    if let Some(c) = &f.category_code
        && categories::find(conn, c)?.is_none()
    {
        v.add("/category_code", "unknown_category");
    }
    if let Some(Some(a)) = &f.area_code
        && areas::count_existing(conn, &[a.as_str()])? == 0
    {
        v.add("/area_code", "unknown_area");
    }
    if let Some(u) = f.unit_id
        && units::find(conn, u)?.is_none()
    {
        v.add("/unit_id", "unknown_unit");
    }
    v.finish()
}

pub fn create(conn: &mut DbConn, f: Fields, now: NaiveDateTime) -> Result<Rule, AppError> {
    check_refs(conn, &f)?;
    let id = routing_rules::insert(conn, &f, now)?;
    found(conn, id)
}

pub fn update(conn: &mut DbConn, id: i64, f: Fields, now: NaiveDateTime) -> Result<Rule, AppError> {
    found(conn, id)?;
    check_refs(conn, &f)?;
    routing_rules::change(conn, id, f, now)?;
    found(conn, id)
}

pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), AppError> {
    if !routing_rules::delete(conn, id)? {
        return Err(AppError::not_found("rule_not_found"));
    }
    Ok(())
}

/// Where a submission of `kind` in `category` at `area_code` goes: 422 on `/area_code` when
/// there is no such area; `None` when nothing matches and no coordinating unit is configured.
/// The area and the category's ancestors come from the reference data `refs`.
pub fn route(
    refs: &crate::db::reference::Snapshot,
    kind: &str,
    category: &str,
    area_code: &str,
) -> Result<Option<crate::domain::routing::Choice>, AppError> {
    let area = refs
        .area(area_code)
        .ok_or_else(|| AppError::field("/area_code", "unknown_area"))?;
    let place = routing_rules::Place::of(&area.code, &area.level, area.parent_code.clone());
    let chain = refs
        .category_chain(category)?
        .map_or_else(|| vec![category.to_string()], |(chain, _)| chain);
    Ok(refs.route(kind, &chain, &place))
}
