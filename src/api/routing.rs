//! Routing: the public preview ("where will this go?") and the administrator's rules.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::areas::locate_point;
use crate::api::caller::{AdminOnly, ClientAddr, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery, RequestContext, nullable};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::db::routing_rules::{self, Rule};
use crate::db::{self, areas};
use crate::domain::routing::Reason;
use crate::domain::ticket::Kind;
use crate::state::AppState;
use crate::validation::Violations;
pub use crate::workflow::refs::{AreaRef, UnitRef, unit_ref};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub kind: Kind,
    /// A category code.
    pub category: String,
    /// A commune or province code; or give `lat` and `lon`.
    pub area_code: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Named apart from the deadline preview (`deadlines::Preview`): one schema name each.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RoutingPreview)]
pub struct Preview {
    pub unit: UnitRef,
    /// `{type: "rule", rule_id}`, `{type: "people_committee", area_code}` or `{type: "coordinator"}`.
    #[schema(value_type = Object)]
    pub reason: Reason,
    /// The area the submission was placed in.
    pub area: AreaRef,
}

/// Where a submission will go: the unit, and why (which rule, or which fallback).
/// Works out the area of a submission from `area_code` or `lat`/`lon` (422 on the field).
pub async fn place(
    state: &AppState,
    area_code: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
) -> Result<areas::Area, ApiError> {
    match (area_code, lat, lon) {
        (Some(code), _, _) => state
            .db(move |conn| areas::find(conn, &code))
            .await?
            .ok_or_else(|| ApiError::field("/area_code", "unknown_area")),
        (None, Some(lat), Some(lon)) => Ok(locate_point(state, lat, lon, "/lat").await?.0),
        (None, Some(_), None) => Err(ApiError::field("/lon", "required")),
        (None, None, Some(_)) => Err(ApiError::field("/lat", "required")),
        (None, None, None) => Err(ApiError::field("/area_code", "required")),
    }
}

/// Where a submission would go, for the app to show the citizen before sending. No sign-in.
#[utoipa::path(tag = "routing", request_body = PreviewRequest,
    responses((status = 200, body = Preview), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/routing/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ApiJson(body): ApiJson<PreviewRequest>,
) -> Result<HttpResponse, ApiError> {
    let preview = preview_of(&state, body, ctx.lang).await?;
    Ok(HttpResponse::Ok().json(preview))
}

/// Where a submission would go and why, in `lang` (the API's preview and the console's
/// "try it" box).
pub async fn preview_of(
    state: &AppState,
    body: PreviewRequest,
    lang: crate::i18n::Lang,
) -> Result<Preview, ApiError> {
    let area = place(state, body.area_code, body.lat, body.lon).await?;
    let kind = body.kind;
    let category = body.category;
    let st = state.clone();
    state
        .db(move |conn| {
            let refs = st.refs.current(conn)?;
            match refs.category(&category) {
                Some(c) if c.active => {}
                _ => return Err(ApiError::field("/category", "unknown_category")),
            }
            let choice =
                crate::workflow::routing_rules::route(&refs, kind.as_str(), &category, &area.code)?
                    .ok_or_else(|| ApiError::unprocessable("no_route"))?;
            Ok(Preview {
                unit: unit_ref(&refs, choice.unit_id, lang)?,
                reason: choice.reason,
                area: AreaRef {
                    code: area.code,
                    name: area.name,
                },
            })
        })
        .await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: i64,
    pub category_code: String,
    /// A province (matches all its communes) or a commune; `null` matches anywhere.
    pub area_code: Option<String>,
    /// `null` matches every kind.
    pub kind: Option<String>,
    pub unit_id: i64,
    /// Lower wins among otherwise equal rules.
    pub priority: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<Rule> for RuleView {
    fn from(r: Rule) -> Self {
        RuleView {
            id: r.id,
            category_code: r.category_code,
            area_code: r.area_code,
            kind: r.kind,
            unit_id: r.unit_id,
            priority: r.priority,
            updated_at: r.updated_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleFields {
    pub category_code: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub area_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Kind>)]
    pub kind: Option<Option<Kind>>,
    pub unit_id: Option<i64>,
    pub priority: Option<i32>,
}

/// Checks fields; `creating` requires category and unit. The console checks its forms with it
/// too.
pub fn checked(b: RuleFields, creating: bool) -> Result<routing_rules::Fields, ApiError> {
    let mut v = Violations::new();
    if creating && b.category_code.is_none() {
        v.add("/category_code", "required");
    }
    if creating && b.unit_id.is_none() {
        v.add("/unit_id", "required");
    }
    if let Some(p) = b.priority {
        v.range("/priority", p, 0, 1_000_000);
    }
    v.finish()?;
    Ok(routing_rules::Fields {
        category_code: b.category_code,
        area_code: b.area_code,
        kind: b.kind.map(|k| k.map(|k| k.as_str().to_string())),
        unit_id: b.unit_id,
        priority: b.priority,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RuleQuery {
    pub category: Option<String>,
    pub unit_id: Option<i64>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Routing rules, by id.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(RuleQuery), responses((status = 200, body = List<RuleView>)))]
#[get("/admin/routing-rules")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ApiQuery(q): ApiQuery<RuleQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |conn| routing_rules::list(conn, q.category.as_deref(), q.unit_id, after, fetch))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(rows, page.limit, |r| r.id, RuleView::from)))
}

/// One rule.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = RuleView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/routing-rules/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = state
        .db(move |conn| routing_rules::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found("rule_not_found"))?;
    Ok(HttpResponse::Ok().json(RuleView::from(r)))
}

/// Create a rule.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = RuleFields,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = RuleView), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/routing-rules")]
pub async fn create(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    client: ClientAddr,
    req: Creating<RuleFields>,
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
            Ok(RuleView::from(crate::workflow::routing_rules::create(
                conn, fields, now,
            )?))
        },
    )
    .await
}

/// Change a rule.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = RuleFields,
    responses((status = 200, body = RuleView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/admin/routing-rules/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<RuleFields>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let fields = checked(body, false)?;
    let now = state.clock.now_naive();
    let r = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::routing_rules::update(c, id, fields, now)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(RuleView::from(r)))
}

/// Delete a rule.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 204), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/routing-rules/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .db(move |conn| db::write(conn, |c| crate::workflow::routing_rules::delete(c, id)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
