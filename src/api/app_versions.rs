//! `X-App-Version: <platform>/<semver>`: an app older than its platform's minimum
//! (`[apps]`) is answered 426 `app_upgrade_required` with its store's link; a malformed header
//! 400 `app_version_invalid`; a request without the header is served as always.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web;

use crate::api::error::ApiError;
use crate::domain::app_version::{AppVersion, Minimums, Platform};
use crate::state::AppState;

pub const HEADER: &str = "x-app-version";

/// Refuses a too-old or unreadable app before any handler runs (API routes only).
pub async fn check(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    let refusal = match (
        req.path().starts_with("/api/"),
        req.headers().get(HEADER),
        req.app_data::<web::Data<AppState>>(),
    ) {
        (true, Some(value), Some(state)) => refusal(value.to_str().ok(), &state.settings.apps),
        _ => None,
    };
    match refusal {
        Some(e) => Ok(req.error_response(e).map_into_right_body()),
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

/// Why an app with this header may not be served, if it may not.
fn refusal(header: Option<&str>, apps: &crate::config::AppSettings) -> Option<ApiError> {
    let Some(app) = header.and_then(AppVersion::parse) else {
        return Some(ApiError::bad_request("app_version_invalid"));
    };
    let minimums = Minimums {
        android: apps.min_android.as_ref(),
        ios: apps.min_ios.as_ref(),
        web: apps.min_web.as_ref(),
    };
    let min = minimums.shortfall(&app)?;
    let store = match app.platform {
        Platform::Android => &apps.android_store_url,
        Platform::Ios => &apps.ios_store_url,
        Platform::Web => "",
    };
    Some(
        ApiError::client(StatusCode::UPGRADE_REQUIRED, "app_upgrade_required")
            .arg("version", &app.version)
            .arg("minimum", min)
            .store_url((!store.is_empty()).then(|| store.to_string())),
    )
}
