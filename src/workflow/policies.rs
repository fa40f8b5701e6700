//! Deadline policies as administrators keep them: a policy names a category that exists.
//! (The policy's own rules are [`Policy::check`], run by the caller on the request.)

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::db::policies::{self, StoredPolicy};
use crate::domain::policy::Policy;
use crate::error::AppError;

/// 422 on `/category` unless the category exists.
fn check_category(conn: &mut DbConn, p: &Policy) -> Result<(), AppError> {
    if let Some(code) = &p.category
        && policies::category_chain(conn, code)?.is_none()
    {
        return Err(AppError::field("/category", "unknown_category"));
    }
    Ok(())
}

/// Stores a new policy (its `id` is ignored) and returns it with its id.
pub fn create(conn: &mut DbConn, p: &Policy, now: NaiveDateTime) -> Result<StoredPolicy, AppError> {
    check_category(conn, p)?;
    Ok(policies::create(conn, p, now)?)
}

/// Replaces every field of policy `p.id`; 404 `policy_not_found` when there is none.
pub fn update(conn: &mut DbConn, p: &Policy, now: NaiveDateTime) -> Result<StoredPolicy, AppError> {
    check_category(conn, p)?;
    policies::update(conn, p, now)?.ok_or_else(|| AppError::not_found("policy_not_found"))
}
