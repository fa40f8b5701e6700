//! A staff member's notification preferences (`domain::preferences`), for the API
//! (`/api/v1/me/notification-preferences`) and the console's settings page alike. They are
//! staff's: a citizen is refused (403 `action_forbidden`) — citizens' messages about their own
//! tickets follow the account's email and push switches (`PATCH /api/v1/me`) as before.

use chrono::NaiveDateTime;

use crate::db::{DbConn, preferences};
use crate::domain::account::Role;
use crate::domain::preferences::Preferences;
use crate::error::AppError;

fn staff_only(role: Role) -> Result<(), AppError> {
    if role == Role::Citizen {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// The preferences of `user_id` (the defaults until they change them).
pub fn get(conn: &mut DbConn, user_id: i64, role: Role) -> Result<Preferences, AppError> {
    staff_only(role)?;
    Ok(preferences::load(conn, user_id)?)
}

/// Changes the preferences of `user_id` with `change` (given the current ones), and returns
/// the new ones. Call inside a write transaction.
pub fn update(
    conn: &mut DbConn,
    user_id: i64,
    role: Role,
    change: impl FnOnce(&mut Preferences),
    now: NaiveDateTime,
) -> Result<Preferences, AppError> {
    let mut p = get(conn, user_id, role)?;
    change(&mut p);
    preferences::save(conn, user_id, &p, now)?;
    Ok(p)
}
