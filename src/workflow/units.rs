//! Units as administrators keep them: created and changed (a code taken once, no cycle in the
//! tree, coverage that exists), deleted only when they hold nothing, and reorganised: a merge
//! moves the open tickets (each with a `unit_merged` event, so the timeline shows who held the
//! ticket when), then everything else the unit holds.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::events::{self, NewEvent};
use crate::db::units::{self, Fields, Merged, Unit};
use crate::db::{DbConn, areas, categories, tickets as store};
use crate::domain::account::Role;
use crate::error::AppError;

/// A unit by id; 404 `unit_not_found` when there is none.
pub fn found(conn: &mut DbConn, id: i64) -> Result<Unit, AppError> {
    units::find(conn, id)?.ok_or_else(|| AppError::not_found("unit_not_found"))
}

/// A code another unit has is 409 `unit_code_taken`.
fn code_taken(e: crate::db::Error) -> AppError {
    if e.is_unique_violation() {
        AppError::conflict("unit_code_taken")
    } else {
        e.into()
    }
}

/// The parent a unit is given must exist (422 on `/parent_id`).
fn check_parent(conn: &mut DbConn, parent: i64) -> Result<(), AppError> {
    if units::find(conn, parent)?.is_none() {
        return Err(AppError::field("/parent_id", "unknown_unit"));
    }
    Ok(())
}

pub fn create(conn: &mut DbConn, f: Fields, now: NaiveDateTime) -> Result<Unit, AppError> {
    if let Some(p) = f.parent_id.flatten() {
        check_parent(conn, p)?;
    }
    let id = units::insert(conn, &f, now).map_err(code_taken)?;
    set_coverage(conn, id, &f)?;
    found(conn, id)
}

/// Changes the fields given; a new parent must not lie below the unit (422 `unit_cycle`).
pub fn update(conn: &mut DbConn, id: i64, f: Fields, now: NaiveDateTime) -> Result<Unit, AppError> {
    found(conn, id)?;
    if let Some(Some(parent)) = f.parent_id {
        check_parent(conn, parent)?;
        if parent == id || units::ancestors(conn, parent)?.contains(&id) {
            return Err(AppError::unprocessable("unit_cycle"));
        }
    }
    units::change(conn, id, &f, now).map_err(code_taken)?;
    set_coverage(conn, id, &f)?;
    found(conn, id)
}

/// Replaces the areas and/or categories of a unit (each only when given); every code must
/// exist (422 on the field).
fn set_coverage(conn: &mut DbConn, id: i64, f: &Fields) -> Result<(), AppError> {
    if let Some(codes) = &f.area_codes {
        let codes = distinct(codes);
        if areas::count_existing(conn, &codes)? != codes.len() {
            return Err(AppError::field("/area_codes", "unknown_area"));
        }
        units::set_areas(conn, id, &codes)?;
    }
    if let Some(codes) = &f.category_codes {
        let codes = distinct(codes);
        if categories::count_existing(conn, &codes)? != codes.len() {
            return Err(AppError::field("/category_codes", "unknown_category"));
        }
        units::set_categories(conn, id, &codes)?;
    }
    Ok(())
}

fn distinct(codes: &[String]) -> Vec<&str> {
    let mut seen = HashSet::new();
    codes
        .iter()
        .map(String::as_str)
        .filter(|c| seen.insert(*c))
        .collect()
}

/// Deletes a unit that holds nothing: tickets, subunits, staff or routing rules are each a
/// 409 naming what is left (deactivate or merge the unit instead).
pub fn delete(conn: &mut DbConn, id: i64) -> Result<(), AppError> {
    found(conn, id)?;
    let held = units::holdings(conn, id)?;
    let refusal = if held.tickets > 0 {
        Some("unit_has_tickets")
    } else if held.subunits > 0 {
        Some("unit_has_subunits")
    } else if held.staff > 0 {
        Some("unit_has_staff")
    } else if held.rules > 0 {
        Some("unit_has_rules")
    } else {
        None
    };
    if let Some(code) = refusal {
        return Err(AppError::conflict(code));
    }
    Ok(units::delete(conn, id)?)
}

/// Merges `from` into `into` (an administrator's act); closed tickets stay where they were
/// answered.
pub fn merge(
    conn: &mut DbConn,
    from: i64,
    into: i64,
    actor: i64,
    now: NaiveDateTime,
) -> Result<Merged, AppError> {
    if from == into {
        return Err(AppError::field("/into", "same_unit"));
    }
    let old = found(conn, from)?;
    let new = units::find(conn, into)?.ok_or_else(|| AppError::field("/into", "unknown_unit"))?;
    if !old.active {
        return Err(AppError::conflict("unit_inactive"));
    }
    if !new.active {
        return Err(AppError::field("/into", "unit_inactive"));
    }
    let open = store::open_held_by(conn, from)?;
    for id in &open {
        store::move_to_unit(conn, *id, into, now)?;
        events::append(
            conn,
            &NewEvent {
                ticket_id: *id,
                kind: "unit_merged",
                actor: Some((actor, Role::Admin)),
                unit_id: Some(into),
                from_status: None,
                to_status: None,
                public: true,
                data: json!({"from_unit_id": from, "to_unit_id": into}),
                text: None,
            },
            now,
        )?;
    }
    let mut merged = units::merge(conn, &old, into, now)?;
    merged.tickets = open.len();
    Ok(merged)
}
