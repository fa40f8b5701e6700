//! Units: public reads, and the administrator's tree (create, change, delete, merge).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{AdminOnly, ClientAddr, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery, RequestContext, nullable};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::db::units::{self, Unit};
use crate::db::{self, DbConn};
use crate::domain::contact::Email;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::validation::Violations;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    PeopleCommittee,
    Department,
    InspectionBoard,
    Council,
    Front,
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 6] = [
        UnitKind::PeopleCommittee,
        UnitKind::Department,
        UnitKind::InspectionBoard,
        UnitKind::Council,
        UnitKind::Front,
        UnitKind::Other,
    ];

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::PeopleCommittee => "people_committee",
            UnitKind::Department => "department",
            UnitKind::InspectionBoard => "inspection_board",
            UnitKind::Council => "council",
            UnitKind::Front => "front",
            UnitKind::Other => "other",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: i64,
    pub code: String,
    /// In the caller's language.
    pub name: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub email: Option<String>,
    pub active: bool,
    /// Its officials also work the tickets of its subunits.
    pub sees_subunits: bool,
    /// The coordinating unit triages submissions no rule or committee takes.
    pub is_coordinator: bool,
    pub merged_into_id: Option<i64>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
    pub area_codes: Vec<String>,
    pub category_codes: Vec<String>,
}

fn view(u: Unit, lang: Lang, (areas, categories): (Vec<String>, Vec<String>)) -> UnitView {
    UnitView {
        name: u.name(lang).to_string(),
        id: u.id,
        code: u.code,
        name_vi: u.name_vi,
        name_en: u.name_en,
        kind: u.kind,
        parent_id: u.parent_id,
        email: u.email,
        active: u.active,
        sees_subunits: u.sees_subunits,
        is_coordinator: u.is_coordinator,
        merged_into_id: u.merged_into_id,
        valid_from: u.valid_from.map(|t| t.and_utc()),
        valid_to: u.valid_to.map(|t| t.and_utc()),
        area_codes: areas,
        category_codes: categories,
    }
}

/// Loads one unit with its coverage.
fn load_view(conn: &mut DbConn, id: i64, lang: Lang) -> Result<UnitView, ApiError> {
    let u = crate::workflow::units::found(conn, id)?;
    let mut cov = units::coverage(conn, &[id])?;
    Ok(view(u, lang, cov.remove(&id).unwrap_or_default()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    pub parent_id: Option<i64>,
    pub kind: Option<UnitKind>,
    pub active: Option<bool>,
    /// Matches the code or a name.
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Units, by id.
#[utoipa::path(tag = "units", params(UnitQuery), responses((status = 200, body = List<UnitView>)))]
#[get("/units")]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<HttpResponse, ApiError> {
    list_units(state, ctx, q).await
}

/// Units, by id, for administrators (the same view as the public list, which already shows
/// closed units: history needs them).
#[utoipa::path(tag = "admin", operation_id = "admin_list_units", security(("bearer" = [])), params(UnitQuery),
    responses((status = 200, body = List<UnitView>), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/units")]
pub async fn admin_list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<UnitQuery>,
) -> Result<HttpResponse, ApiError> {
    list_units(state, ctx, q).await
}

async fn list_units(
    state: web::Data<AppState>,
    ctx: RequestContext,
    q: UnitQuery,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let filter = units::Filter {
        parent_id: q.parent_id,
        kind: q.kind.map(|k| k.as_str().to_string()),
        active: q.active,
        q: q.q,
    };
    let (after, fetch, limit) = (page.after, page.fetch(), page.limit);
    let lang = ctx.lang;
    let units = state
        .db(move |conn| -> Result<_, ApiError> {
            let rows = units::list(conn, &filter, after, fetch)?;
            let ids: Vec<i64> = rows.iter().map(|u| u.id).collect();
            let mut cov = units::coverage(conn, &ids)?;
            Ok(paginate(
                rows,
                limit,
                |u| u.id,
                |u| {
                    let c = cov.remove(&u.id).unwrap_or_default();
                    view(u, lang, c)
                },
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(units))
}

/// One unit.
#[utoipa::path(tag = "units", responses((status = 200, body = UnitView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/units/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let v = state.db(move |conn| load_view(conn, id, ctx.lang)).await?;
    Ok(HttpResponse::Ok().json(v))
}

/// One unit, for administrators.
#[utoipa::path(tag = "admin", operation_id = "admin_get_unit", security(("bearer" = [])),
    responses((status = 200, body = UnitView), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/units/{id}")]
pub async fn admin_get_one(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let v = state.db(move |conn| load_view(conn, id, ctx.lang)).await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitFields {
    pub code: Option<String>,
    pub name_vi: Option<String>,
    pub name_en: Option<String>,
    pub kind: Option<UnitKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
    pub sees_subunits: Option<bool>,
    pub is_coordinator: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_from: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub valid_to: Option<Option<DateTime<Utc>>>,
    /// Replaces the areas the unit covers.
    pub area_codes: Option<Vec<String>>,
    /// Replaces the categories the unit handles.
    pub category_codes: Option<Vec<String>>,
}

/// Checks fields; `creating` requires code, names and kind. The console checks its forms
/// with it too.
pub fn checked(b: UnitFields, creating: bool) -> Result<units::Fields, ApiError> {
    let mut v = Violations::new();
    let text = |v: &mut Violations, field: &str, value: &Option<String>, max: usize| match value {
        Some(s) => Some(v.line(field, s, 1, max)),
        None if creating => {
            v.add(field, "required");
            None
        }
        None => None,
    };
    let code = text(&mut v, "/code", &b.code, 50);
    if let Some(c) = &code
        && !c
            .bytes()
            .all(|x| x.is_ascii_alphanumeric() || b"-_.".contains(&x))
    {
        v.add("/code", "invalid_code");
    }
    let name_vi = text(&mut v, "/name_vi", &b.name_vi, 300);
    let name_en = text(&mut v, "/name_en", &b.name_en, 300);
    if creating && b.kind.is_none() {
        v.add("/kind", "required");
    }
    let email = match &b.email {
        None => None,
        Some(None) => Some(None),
        Some(Some(e)) => v
            .parse("/email", e, Email::parse)
            .map(|e| Some(e.into_inner())),
    };
    for (i, c) in b.area_codes.iter().flatten().enumerate() {
        if c.is_empty() || c.len() > 10 {
            v.add(&format!("/area_codes/{i}"), "invalid_value");
        }
    }
    if let (Some(Some(from)), Some(Some(to))) = (b.valid_from, b.valid_to)
        && to < from
    {
        v.add("/valid_to", "before_valid_from");
    }
    v.finish()?;
    Ok(units::Fields {
        code,
        name_vi,
        name_en,
        kind: b.kind.map(|k| k.as_str().to_string()),
        parent_id: b.parent_id,
        email,
        active: b.active,
        sees_subunits: b.sees_subunits,
        is_coordinator: b.is_coordinator,
        valid_from: b.valid_from.map(|o| o.map(|t| t.naive_utc())),
        valid_to: b.valid_to.map(|o| o.map(|t| t.naive_utc())),
        area_codes: b.area_codes,
        category_codes: b.category_codes,
    })
}

/// Create a unit.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = UnitFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = UnitView), (status = 409, description = "unit_code_taken", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/units")]
pub async fn create(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    client: ClientAddr,
    req: Creating<UnitFields>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let fields = checked(body, true)?;
    let now = state.clock.now_naive();
    idempotency::run(
        &state,
        idempotency::scope(Some(admin.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |conn| {
            let u = crate::workflow::units::create(conn, fields, now)?;
            load_view(conn, u.id, ctx.lang)
        },
    )
    .await
}

/// Change a unit (a new parent that would make a cycle is refused: 422 `unit_cycle`).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = UnitFields,
    responses((status = 200, body = UnitView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "unit_cycle or validation_failed", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/admin/units/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<UnitFields>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let fields = checked(body, false)?;
    let now = state.clock.now_naive();
    let v = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::units::update(c, id, fields, now)?;
                load_view(c, id, ctx.lang)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

/// Delete a unit that holds nothing (tickets, staff, subunits, rules: 409 with the reason).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "unit_has_tickets, unit_has_staff, unit_has_subunits, unit_has_rules", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/units/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .db(move |conn| db::write(conn, |c| crate::workflow::units::delete(c, id)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The unit that survives.
    pub into: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    pub unit: UnitView,
    pub moved: units::Merged,
}

/// Merge this unit into another: open tickets (each with a timeline event), staff, areas,
/// categories, rules and subunits move; this unit closes and points to the survivor.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = MergeRequest,
    responses((status = 200, body = MergeResult), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/units/{id}/merge")]
pub async fn merge(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<MergeRequest>,
) -> Result<HttpResponse, ApiError> {
    let from = path.into_inner();
    let now = state.clock.now_naive();
    let actor = admin.id;
    let result = state
        .db(move |conn| {
            db::write(conn, |c| -> Result<_, ApiError> {
                let moved = crate::workflow::units::merge(c, from, body.into, actor, now)?;
                Ok(MergeResult {
                    unit: load_view(c, body.into, ctx.lang)?,
                    moved,
                })
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
