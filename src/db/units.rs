//! Units: organisations in a tree of any depth.

use diesel::prelude::*;

use super::DbConn;
use super::schema::units;
use crate::error::ApiError;
use crate::i18n::Lang;

/// A unit's name in `lang`.
pub fn name_of(conn: &mut DbConn, id: i64, lang: Lang) -> Result<Option<String>, ApiError> {
    let names = units::table
        .find(id)
        .select((units::name_vi, units::name_en))
        .first::<(String, String)>(conn)
        .optional()?;
    Ok(names.map(|(vi, en)| lang.pick(&vi, &en).to_string()))
}
