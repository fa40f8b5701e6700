//! The areas residents follow: `/me/areas` for a citizen, `/anonymous-devices` for an app
//! install without an account (its `X-Device-Token`, shown once, changes or revokes it).

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::caller::ClientAddr;
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, RequestContext};
use crate::api::me::{ApnsEnvironment, DeviceRequest, Platform, Subscription, parse_device};
use crate::auth::CurrentUser;
use crate::config::Environment;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::workflow::residents as work;

#[derive(Debug, Serialize, ToSchema)]
pub struct MyAreas {
    /// Up to 5 commune or province codes.
    pub area_codes: Vec<String>,
    /// Whether announcements for these areas also come by email (off unless chosen).
    pub email: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMyAreas {
    /// Up to 5 commune or province codes (`/areas/locate` suggests one); `[]` follows none.
    pub area_codes: Vec<String>,
    /// Also receive announcements by email (unchanged when left out).
    pub email: Option<bool>,
}

/// The areas the caller lives in or follows.
#[utoipa::path(tag = "me", security(("bearer" = [])),
    responses((status = 200, body = MyAreas),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me/areas")]
pub async fn my_areas(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let (area_codes, email) = state
        .db(move |c| work::areas_of(c, user.id).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(MyAreas { area_codes, email }))
}

/// Replace the areas the caller follows (≤ 5; 422 `too_many`, `unknown_area`).
#[utoipa::path(tag = "me", security(("bearer" = [])), request_body = SetMyAreas,
    responses((status = 200, body = MyAreas),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/me/areas")]
pub async fn set_my_areas(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<SetMyAreas>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let (area_codes, email) = state
        .db(move |c| {
            work::set_areas(c, user.id, &body.area_codes, body.email, now).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(MyAreas { area_codes, email }))
}

/// A push target (as for `/me/devices`) and the areas it follows.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnonymousDeviceRequest {
    pub platform: Platform,
    pub token: Option<String>,
    pub environment: Option<ApnsEnvironment>,
    pub subscription: Option<Subscription>,
    /// 1–5 commune or province codes.
    pub area_codes: Vec<String>,
    /// `vi` or `en` (default: the request's `Accept-Language`).
    pub locale: Option<Lang>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnonymousDeviceView {
    pub id: i64,
    pub area_codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewAnonymousDevice {
    pub id: i64,
    pub area_codes: Vec<String>,
    pub locale: Lang,
    /// Send as `X-Device-Token` to change the areas or revoke; shown this once.
    pub device_token: String,
}

/// Register an app install without an account to follow areas (rate limited per client:
/// 429 with `Retry-After`). The same push token registered again gets new areas and a new
/// device token; the old one stops working.
#[utoipa::path(tag = "me", request_body = AnonymousDeviceRequest,
    responses((status = 201, body = NewAnonymousDevice),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/anonymous-devices")]
pub async fn register(
    state: web::Data<AppState>,
    client: ClientAddr,
    rctx: RequestContext,
    ApiJson(body): ApiJson<AnonymousDeviceRequest>,
) -> Result<HttpResponse, ApiError> {
    let allow_http = state.settings.environment == Environment::Test;
    let device = parse_device(
        DeviceRequest {
            platform: body.platform,
            token: body.token,
            environment: body.environment,
            subscription: body.subscription,
        },
        allow_http,
    )?;
    let locale = body.locale.unwrap_or(rctx.lang);
    let now = state.clock.now_naive();
    let codes = body.area_codes;
    let r = state
        .db(move |c| {
            work::register_anonymous(c, &client.0, &device, &codes, locale, now)
                .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Created().json(NewAnonymousDevice {
        id: r.id,
        area_codes: r.area_codes,
        locale: r.locale,
        device_token: r.device_token,
    }))
}

fn device_token(req: &HttpRequest) -> Result<String, ApiError> {
    req.headers()
        .get("X-Device-Token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| ApiError::unauthenticated("unauthenticated"))
}

/// The areas this anonymous install follows (`X-Device-Token`).
#[utoipa::path(tag = "me",
    params(("X-Device-Token" = String, Header, description = "The token given at registration")),
    responses((status = 200, body = AnonymousDeviceView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "device_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/anonymous-devices/current")]
pub async fn current(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = device_token(&req)?;
    let (id, area_codes) = state
        .db(move |c| work::anonymous_areas(c, &token).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(AnonymousDeviceView { id, area_codes }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetDeviceAreas {
    /// 1–5 commune or province codes.
    pub area_codes: Vec<String>,
}

/// Change the areas this anonymous install follows (`X-Device-Token`).
#[utoipa::path(tag = "me", request_body = SetDeviceAreas,
    params(("X-Device-Token" = String, Header, description = "The token given at registration")),
    responses((status = 200, body = AnonymousDeviceView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "device_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/anonymous-devices/current")]
pub async fn set_areas(
    state: web::Data<AppState>,
    req: HttpRequest,
    ApiJson(body): ApiJson<SetDeviceAreas>,
) -> Result<HttpResponse, ApiError> {
    let token = device_token(&req)?;
    let (id, area_codes) = state
        .db(move |c| work::set_anonymous_areas(c, &token, &body.area_codes).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(AnonymousDeviceView { id, area_codes }))
}

/// Revoke this anonymous install (`X-Device-Token`): it is forgotten with its areas.
#[utoipa::path(tag = "me",
    params(("X-Device-Token" = String, Header, description = "The token given at registration")),
    responses((status = 204),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "device_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/anonymous-devices/current")]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = device_token(&req)?;
    state
        .db(move |c| work::revoke_anonymous(c, &token).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
