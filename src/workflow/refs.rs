//! How read models name the things a ticket points at: a unit, an area, a category.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConn;
use crate::error::AppError;
use crate::i18n::Lang;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AreaRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CategoryRef {
    pub code: String,
    pub name: String,
}

/// A unit by id, named in `lang`.
pub fn unit_ref(conn: &mut DbConn, id: i64, lang: Lang) -> Result<UnitRef, AppError> {
    let u = super::units::found(conn, id)?;
    Ok(UnitRef {
        id: u.id,
        name: u.name(lang).to_string(),
        code: u.code,
    })
}
