//! How read models name the things a ticket points at: a unit, an area, a category.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::reference::Snapshot;
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

/// A unit by id, named in `lang`, from the reference data in force.
pub fn unit_ref(refs: &Snapshot, id: i64, lang: Lang) -> Result<UnitRef, AppError> {
    let u = refs
        .unit(id)
        .ok_or_else(|| AppError::not_found("unit_not_found"))?;
    Ok(UnitRef {
        id: u.id,
        name: u.name(lang).to_string(),
        code: u.code.clone(),
    })
}
