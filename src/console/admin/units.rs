//! `/console/admin/units`: the unit tree; a unit's page to rename it (or move it in the tree),
//! deactivate or reactivate it, and merge it into another — `POST`/`PATCH
//! /api/v1/admin/units[/{id}]` and `POST /api/v1/admin/units/{id}/merge`, with their checks.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Change, DoneQuery, Opt, Section, Settled, all_units, check_form, done_notice, filled, frame,
    number, only_admin, opts, sections, settle, tree_order, unit_choices, write,
};
use crate::api::error::ApiError;
use crate::api::units::{UnitFields, UnitKind, checked};
use crate::console::{Frame, Notice, Reply, Staff, db, html};
use crate::db::units::{self as store, Unit};
use crate::state::AppState;

/// One unit of the tree as the page shows it.
pub struct UnitLine {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: &'static str,
    pub active: bool,
    pub depth: usize,
    /// The unit it was merged into ("code — name").
    pub merged_into: Option<String>,
}

/// The word of a unit kind.
pub fn kind_word(t: crate::console::words::Words, kind: &str) -> &'static str {
    match UnitKind::parse(kind) {
        Some(k) => t.get(&format!("admin_unit_kind_{}", k.as_str())),
        None => t.get("admin_unit_kind_other"),
    }
}

/// The form that makes a unit (its fields kept when it is refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct NewUnitForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub sees_subunits: Option<String>,
}

#[derive(Template)]
#[template(path = "console/admin_units.html")]
struct UnitsPage {
    f: Frame,
    nav: Vec<Section>,
    units: Vec<UnitLine>,
    form: NewUnitForm,
    kinds: Vec<Opt>,
    parents: Vec<Opt>,
}

async fn units_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    form: NewUnitForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let lang = staff.lang;
    let t = staff.t();
    let mut all = db(state, lang, |c| Ok(all_units(c)?)).await?;
    all.sort_by(|a, b| a.code.cmp(&b.code));
    let by_id: HashMap<i64, &Unit> = all.iter().map(|u| (u.id, u)).collect();
    let units = tree_order(&all, |u| u.id, |u| u.parent_id)
        .into_iter()
        .map(|(u, depth)| UnitLine {
            id: u.id,
            code: u.code.clone(),
            name: u.name(lang).to_string(),
            kind: kind_word(t, &u.kind),
            active: u.active,
            depth,
            merged_into: u
                .merged_into_id
                .and_then(|id| by_id.get(&id))
                .map(|m| format!("{} — {}", m.code, m.name(lang))),
        })
        .collect();
    let kind = if form.kind.is_empty() {
        "people_committee"
    } else {
        form.kind.as_str()
    };
    let kinds = opts(
        UnitKind::ALL.map(|k| (k.as_str(), kind_word(t, k.as_str()))),
        kind,
    );
    let mut parent_values = vec![(String::new(), t.get("admin_none").to_string())];
    parent_values.extend(unit_choices(&all, lang, false));
    let parents = opts(parent_values, &form.parent_id);
    let mut f = frame(staff, state, "admin_units");
    f.notice = notice;
    let page = UnitsPage {
        f,
        nav: sections(t, "units"),
        units,
        form,
        kinds,
        parents,
    };
    Ok(html(status, &page))
}

/// `GET /console/admin/units`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let notice = done_notice(staff.t(), q.done.as_deref());
    units_page(
        &staff,
        &state,
        NewUnitForm::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// A parent from a select: empty is none.
fn parent_of(raw: &str) -> Result<Option<i64>, ApiError> {
    number::<i64>("/parent_id", raw)
}

/// The API's body from the form that makes a unit.
fn new_fields(f: &NewUnitForm) -> Result<UnitFields, ApiError> {
    Ok(UnitFields {
        code: Some(f.code.trim().to_string()),
        name_vi: Some(f.name_vi.clone()),
        name_en: Some(f.name_en.clone()),
        kind: match f.kind.trim() {
            "" => None,
            k => Some(UnitKind::parse(k).ok_or_else(|| super::invalid("/kind", k))?),
        },
        parent_id: Some(parent_of(&f.parent_id)?),
        email: filled(&f.email).map(Some),
        active: None,
        sees_subunits: Some(f.sees_subunits.is_some()),
        is_coordinator: None,
        valid_from: None,
        valid_to: None,
        area_codes: None,
        category_codes: None,
    })
}

/// `POST /console/admin/units`: makes a unit, as `POST /api/v1/admin/units`.
pub async fn create(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<NewUnitForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let now = state.clock.now_naive();
    let made = match new_fields(&form).and_then(|b| checked(b, true)) {
        Ok(fields) => {
            write(&state, move |c| {
                Ok(crate::workflow::units::create(c, fields, now)?)
            })
            .await
        }
        Err(e) => Err(e),
    };
    let change = Change {
        method: "POST",
        route: "/api/v1/admin/units",
        status: 201,
        target: "/api/v1/admin/units".into(),
    };
    match settle(&staff, &state, made, change, |u: &Unit| {
        format!("/console/admin/units/{}?done=created", u.id)
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            units_page(&staff, &state, form, Some(notice), status).await
        }
    }
}

/// The form that renames a unit or moves it in the tree.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub name_vi: String,
    #[serde(default)]
    pub name_en: String,
    #[serde(default)]
    pub parent_id: String,
}

/// The form that merges a unit into another.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub into: String,
}

/// What a unit holds, for the merge and deactivate forms to say.
pub struct Held {
    pub tickets: i64,
    pub staff: i64,
    pub subunits: i64,
    pub rules: i64,
}

#[derive(Template)]
#[template(path = "console/admin_unit.html")]
struct UnitPage {
    f: Frame,
    nav: Vec<Section>,
    unit: Unit,
    kind: &'static str,
    parent: Option<String>,
    merged_into: Option<String>,
    areas: Vec<String>,
    categories: Vec<String>,
    held: Held,
    edit: EditForm,
    parents: Vec<Opt>,
    targets: Vec<Opt>,
}

/// The unit's page, its forms as given.
async fn unit_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    id: i64,
    edit: Option<EditForm>,
    into: String,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let lang = staff.lang;
    let t = staff.t();
    let (unit, all, (areas, categories), held) = db(state, lang, move |c| {
        let unit = crate::workflow::units::found(c, id)?;
        let all = all_units(c)?;
        let cov = store::coverage(c, &[id])?.remove(&id).unwrap_or_default();
        let held = store::holdings(c, id)?;
        Ok((unit, all, cov, held))
    })
    .await?;
    let label = |id: Option<i64>| {
        id.and_then(|id| all.iter().find(|u| u.id == id))
            .map(|u| format!("{} — {}", u.code, u.name(lang)))
    };
    let edit = edit.unwrap_or_else(|| EditForm {
        csrf: String::new(),
        name_vi: unit.name_vi.clone(),
        name_en: unit.name_en.clone(),
        parent_id: unit.parent_id.map(|p| p.to_string()).unwrap_or_default(),
    });
    // Neither the unit itself nor a unit below it can be its parent (the API says why).
    let mut parent_values = vec![(String::new(), t.get("admin_none").to_string())];
    parent_values.extend(
        unit_choices(&all, lang, false)
            .into_iter()
            .filter(|(v, _)| *v != id.to_string()),
    );
    let parents = opts(parent_values, &edit.parent_id);
    let mut target_values = vec![(String::new(), t.get("admin_choose").to_string())];
    target_values.extend(
        unit_choices(&all, lang, true)
            .into_iter()
            .filter(|(v, _)| *v != id.to_string()),
    );
    let targets = opts(target_values, &into);
    let mut f = staff.frame(
        state,
        "admin",
        format!("{} — {}", unit.code, unit.name(lang)),
    );
    f.notice = notice;
    let page = UnitPage {
        f,
        nav: sections(t, "units"),
        kind: kind_word(t, &unit.kind),
        parent: label(unit.parent_id),
        merged_into: label(unit.merged_into_id),
        areas,
        categories,
        held: Held {
            tickets: held.tickets,
            staff: held.staff,
            subunits: held.subunits,
            rules: held.rules,
        },
        edit,
        parents,
        targets,
        unit,
    };
    Ok(html(status, &page))
}

/// `GET /console/admin/units/{id}`.
pub async fn one(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let notice = done_notice(staff.t(), q.done.as_deref());
    unit_page(
        &staff,
        &state,
        path.into_inner(),
        None,
        String::new(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// Changes a unit as `PATCH /api/v1/admin/units/{id}` does; the unit's page again, with a
/// notice either way.
async fn patch(
    staff: &Staff,
    state: &web::Data<AppState>,
    id: i64,
    body: Result<UnitFields, ApiError>,
    edit: Option<EditForm>,
) -> Result<HttpResponse, Reply> {
    let now = state.clock.now_naive();
    let changed = match body.and_then(|b| checked(b, false)) {
        Ok(fields) => {
            write(state, move |c| {
                Ok(crate::workflow::units::update(c, id, fields, now)?)
            })
            .await
        }
        Err(e) => Err(e),
    };
    let change = Change {
        method: "PATCH",
        route: "/api/v1/admin/units/{id}",
        status: 200,
        target: format!("/api/v1/admin/units/{id}"),
    };
    match settle(staff, state, changed, change, |_| {
        format!("/console/admin/units/{id}?done=saved")
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            unit_page(staff, state, id, edit, String::new(), Some(notice), status).await
        }
    }
}

fn only(f: impl FnOnce(&mut UnitFields)) -> UnitFields {
    let mut b = UnitFields {
        code: None,
        name_vi: None,
        name_en: None,
        kind: None,
        parent_id: None,
        email: None,
        active: None,
        sees_subunits: None,
        is_coordinator: None,
        valid_from: None,
        valid_to: None,
        area_codes: None,
        category_codes: None,
    };
    f(&mut b);
    b
}

/// `POST /console/admin/units/{id}`: new names, a new parent.
pub async fn edit(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let id = path.into_inner();
    let body = parent_of(&form.parent_id).map(|parent| {
        only(|b| {
            b.name_vi = Some(form.name_vi.clone());
            b.name_en = Some(form.name_en.clone());
            b.parent_id = Some(parent);
        })
    });
    patch(&staff, &state, id, body, Some(form)).await
}

#[derive(Debug, Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

/// `POST /console/admin/units/{id}/active`: deactivates (`active=0`) or reactivates a unit.
pub async fn set_active(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, Reply> {
    check_form(&staff, &state, &form.csrf)?;
    let id = path.into_inner();
    let active = form.active == "1";
    patch(
        &staff,
        &state,
        id,
        Ok(only(|b| b.active = Some(active))),
        None,
    )
    .await
}

/// `POST /console/admin/units/{id}/merge`: as `POST /api/v1/admin/units/{id}/merge`.
pub async fn merge(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<MergeForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let from = path.into_inner();
    let now = state.clock.now_naive();
    let actor = staff.user.id;
    let merged = match number::<i64>("/into", &form.into) {
        Ok(Some(into)) => {
            write(&state, move |c| {
                crate::workflow::units::merge(c, from, into, actor, now)?;
                Ok(into)
            })
            .await
        }
        Ok(None) => Err(ApiError::field("/into", "required")),
        Err(e) => Err(e),
    };
    let change = Change {
        method: "POST",
        route: "/api/v1/admin/units/{id}/merge",
        status: 200,
        target: format!("/api/v1/admin/units/{from}/merge"),
    };
    match settle(&staff, &state, merged, change, |into| {
        format!("/console/admin/units/{into}?done=merged")
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            unit_page(&staff, &state, from, None, form.into, Some(notice), status).await
        }
    }
}

/// The words of every unit kind exist (the page looks them up by the kind's name).
#[cfg(test)]
mod tests {
    #[test]
    fn every_unit_kind_has_a_word() {
        for k in super::UnitKind::ALL {
            let key = format!("admin_unit_kind_{}", k.as_str());
            assert!(crate::console::words::text(&key).is_some(), "{key}");
        }
    }
}
