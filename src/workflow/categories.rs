//! Categories as administrators keep them: a code taken once, no cycle in the tree, and none
//! deleted while something uses it.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::db::categories::{self, Category, Fields};
use crate::error::AppError;

/// A category by code; 404 `category_not_found` when there is none.
pub fn found(conn: &mut DbConn, code: &str) -> Result<Category, AppError> {
    categories::find(conn, code)?.ok_or_else(|| AppError::not_found("category_not_found"))
}

/// The parent a category is given must exist (422 on `/parent_code`).
fn check_parent(conn: &mut DbConn, parent: &str) -> Result<(), AppError> {
    if categories::find(conn, parent)?.is_none() {
        return Err(AppError::field("/parent_code", "unknown_category"));
    }
    Ok(())
}

pub fn create(conn: &mut DbConn, f: Fields, now: NaiveDateTime) -> Result<Category, AppError> {
    if let Some(Some(p)) = &f.parent_code {
        check_parent(conn, p)?;
    }
    categories::insert(conn, &f, now).map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict("category_code_taken")
        } else {
            e.into()
        }
    })?;
    found(conn, f.code.as_deref().unwrap_or_default())
}

/// Changes the fields given; a new parent must not lie below the category (422
/// `category_cycle`).
pub fn update(
    conn: &mut DbConn,
    code: &str,
    f: Fields,
    now: NaiveDateTime,
) -> Result<Category, AppError> {
    found(conn, code)?;
    if let Some(Some(parent)) = &f.parent_code {
        check_parent(conn, parent)?;
        if categories::chain(conn, parent)?.iter().any(|c| c == code) {
            return Err(AppError::unprocessable("category_cycle"));
        }
    }
    categories::change(conn, code, &f, now)?;
    found(conn, code)
}

/// Deletes a category nobody uses; one with subcategories, rules, units or tickets is 409
/// `category_in_use` (deactivate it instead).
pub fn delete(conn: &mut DbConn, code: &str) -> Result<(), AppError> {
    found(conn, code)?;
    if categories::uses(conn, code)? > 0 {
        return Err(AppError::conflict("category_in_use"));
    }
    Ok(categories::delete(conn, code)?)
}
