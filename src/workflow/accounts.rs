//! Accounts: made (an email taken once, staff in a unit that works), changed, and erased with
//! everything the person was told.

use chrono::NaiveDateTime;

use crate::db::users::{self, Changes, NewUser, User};
use crate::db::{DbConn, exports, units};
use crate::error::AppError;

/// Staff belong to a unit that exists and is active (422 on `/unit_id`).
fn check_unit(conn: &mut DbConn, unit_id: i64) -> Result<(), AppError> {
    if !units::find(conn, unit_id)?.is_some_and(|u| u.active) {
        return Err(AppError::field("/unit_id", "unknown_unit"));
    }
    Ok(())
}

/// Makes an account; an email another account has is 409 `email_taken`.
pub fn create(conn: &mut DbConn, new: &NewUser, now: NaiveDateTime) -> Result<User, AppError> {
    if let Some(unit_id) = new.unit_id {
        check_unit(conn, unit_id)?;
    }
    users::create(conn, new, now).map_err(|e| {
        if e.is_unique_violation() {
            AppError::conflict("email_taken")
        } else {
            e.into()
        }
    })
}

/// Changes an account; 404 `user_not_found` when there is none.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    changes: Changes,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    if let Some(Some(unit_id)) = changes.unit_id {
        check_unit(conn, unit_id)?;
    }
    users::update(conn, id, changes, now)?.ok_or_else(|| AppError::not_found("user_not_found"))
}

/// Erases the person's data (409 `open_cases` while a complaint or denunciation of theirs is
/// open): their tickets keep no personal details, the account is pseudonymised, and what the
/// app told them goes, all in the caller's transaction.
pub fn erase(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> Result<(), AppError> {
    if exports::has_open_cases(conn, user_id)? {
        return Err(AppError::conflict("open_cases"));
    }
    exports::pseudonymise_tickets(conn, user_id, now)?;
    crate::notify::in_app::erase(conn, user_id)?;
    crate::notify::digest::erase(conn, user_id)?;
    crate::db::preferences::erase(conn, user_id)?;
    crate::db::residents::erase(conn, user_id)?;
    users::erase(conn, user_id, now)?;
    Ok(())
}
