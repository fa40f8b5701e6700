//! Areas as administrators tune them: the remote flag and the second-round authority.

use crate::db::{DbConn, areas, areas::Area, units};
use crate::error::AppError;

/// Sets an area's `remote` flag and/or its second-round complaint authority (a unit that
/// exists).
pub fn update(
    conn: &mut DbConn,
    code: &str,
    remote: Option<bool>,
    second_round_unit_id: Option<Option<i64>>,
) -> Result<Area, AppError> {
    let not_found = || AppError::not_found("area_not_found");
    areas::find(conn, code)?.ok_or_else(not_found)?;
    if let Some(Some(unit)) = second_round_unit_id
        && units::find(conn, unit)?.is_none()
    {
        return Err(AppError::field("/second_round_unit_id", "unknown_unit"));
    }
    areas::update(conn, code, remote, second_round_unit_id)?.ok_or_else(not_found)
}
