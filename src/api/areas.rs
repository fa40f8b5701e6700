//! Areas: provinces and communes of the 2025 reform; search, locate by GPS, and the admin's
//! `remote` flag and second-round authority.

use actix_web::{HttpResponse, get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{AdminOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery, nullable};
use crate::api::list::{List, Page, paginate};
use crate::db::areas::{self, Area};
use crate::db::{self};
use crate::domain::geo::valid_lat_lon;
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;

#[derive(Debug, Serialize, ToSchema)]
pub struct AreaView {
    /// 2 digits for a province, 5 for a commune; official, never reused.
    pub code: String,
    pub name: String,
    /// `province` or `commune`.
    pub level: String,
    /// Tỉnh / Thành phố, or Xã / Phường / Đặc khu.
    pub kind: String,
    pub parent_code: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub area_km2: Option<f64>,
    /// Remote areas get the longer legal time limits.
    pub remote: bool,
    /// Provinces: the unit that handles second-round complaints, if not the people's committee.
    pub second_round_unit_id: Option<i64>,
}

impl From<Area> for AreaView {
    fn from(a: Area) -> Self {
        AreaView {
            code: a.code,
            name: a.name,
            level: a.level,
            kind: a.kind,
            parent_code: a.parent_code,
            lat: a.lat,
            lon: a.lon,
            area_km2: a.area_km2,
            remote: a.remote,
            second_round_unit_id: a.second_round_unit_id,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    Commune,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AreaQuery {
    /// Communes of this province.
    pub parent: Option<String>,
    pub level: Option<Level>,
    /// Name search; diacritics and case do not matter (`phuong ba dinh` finds `Phường Ba Đình`).
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Provinces and communes, in code order.
#[utoipa::path(tag = "areas", params(AreaQuery), responses((status = 200, body = List<AreaView>), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/areas")]
pub async fn list(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<String>::new(q.after.as_deref(), q.limit)?;
    if q.q.as_deref().is_some_and(|t| t.chars().count() > 100) {
        return Err(ApiError::validation(vec![
            FieldError::new("/q", "too_long").arg("max", 100),
        ]));
    }
    let filter = areas::Filter {
        parent: q.parent,
        level: q.level.map(|l| match l {
            Level::Province => "province".into(),
            Level::Commune => "commune".into(),
        }),
        q: q.q,
    };
    let (after, fetch) = (page.after.clone(), page.fetch());
    let rows = state
        .db(move |conn| areas::list(conn, &filter, after.as_deref(), fetch))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |a| a.code.clone(),
        AreaView::from,
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LocateQuery {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Located {
    pub commune: AreaView,
    pub province: AreaView,
    /// Great-circle distance from the point to the commune's centroid, in metres.
    pub distance_m: f64,
}

/// The commune with the nearest centroid to a GPS point, and its province, so that the app
/// can preselect a commune (the citizen may correct it). A point farther than
/// `areas.locate_max_km` (50 km) from every centroid is 422.
#[utoipa::path(tag = "areas", params(LocateQuery), responses((status = 200, body = Located), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/areas/locate")]
pub async fn locate(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<LocateQuery>,
) -> Result<HttpResponse, ApiError> {
    let (commune, distance) = locate_point(&state, q.lat, q.lon, "/lat").await?;
    let parent = commune.parent_code.clone().unwrap_or_default();
    let province = state
        .db(move |conn| areas::find(conn, &parent))
        .await?
        .ok_or_else(|| ApiError::internal("commune without province"))?;
    Ok(HttpResponse::Ok().json(Located {
        commune: commune.into(),
        province: province.into(),
        distance_m: (distance * 10.0).round() / 10.0,
    }))
}

/// The nearest commune to a point; 422 on `field` when out of range or too far from any.
pub async fn locate_point(
    state: &AppState,
    lat: f64,
    lon: f64,
    field: &'static str,
) -> Result<(Area, f64), ApiError> {
    let mut v = Violations::new();
    if !valid_lat_lon(lat, lon) {
        if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
            v.range(field, lat, -90.0, 90.0);
        }
        if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
            let lon_field = if field == "/lat" { "/lon" } else { field };
            v.range(lon_field, lon, -180.0, 180.0);
        }
    }
    v.finish()?;
    let max_m = state.settings.areas.locate_max_km * 1000.0;
    state
        .db(move |conn| areas::nearest_commune(conn, lat, lon, max_m))
        .await?
        .ok_or_else(|| {
            ApiError::validation(vec![
                FieldError::new(field, "outside_coverage")
                    .arg("max", state.settings.areas.locate_max_km),
            ])
        })
}

/// One province or commune.
#[utoipa::path(tag = "areas", responses((status = 200, body = AreaView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/areas/{code}")]
pub async fn get_one(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let area = state
        .db(move |conn| areas::find(conn, &code))
        .await?
        .ok_or_else(|| ApiError::not_found("area_not_found"))?;
    Ok(HttpResponse::Ok().json(AreaView::from(area)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaChanges {
    pub remote: Option<bool>,
    /// `null` returns to the default (the province's people's committee).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>)]
    pub second_round_unit_id: Option<Option<i64>>,
}

/// Flag an area remote (longer legal limits) or set its second-round complaint authority.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = AreaChanges,
    responses((status = 200, body = AreaView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/admin/areas/{code}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<String>,
    ApiJson(body): ApiJson<AreaChanges>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let area = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::areas::update(c, &code, body.remote, body.second_round_unit_id)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(AreaView::from(area)))
}
