//! What a browser needs to subscribe to Web Push.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebPushKey {
    /// The VAPID public key: the uncompressed P-256 point (65 bytes, starting 0x04) in
    /// unpadded base64url, as `PushManager.subscribe({applicationServerKey})` takes it.
    /// Register the subscription it gives with `POST /me/devices` (platform `webpush`).
    pub public_key: String,
}

/// The server's VAPID public key, for `PushManager.subscribe`. 404 `webpush_not_configured`
/// when this server sends no Web Push.
#[utoipa::path(tag = "push",
    responses((status = 200, body = WebPushKey),
              (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/push/webpush-key")]
pub async fn webpush_key(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let client = state
        .push
        .webpush
        .as_ref()
        .ok_or_else(|| ApiError::not_found("webpush_not_configured"))?;
    Ok(HttpResponse::Ok()
        // Changes only when the operator rotates the key (and every subscription with it).
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .json(WebPushKey {
            public_key: client.public_key().to_string(),
        }))
}
