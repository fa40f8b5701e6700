//! `/admin/open311-clients`: administrators make, list and revoke the keys Open311 clients
//! post with (as `nghedan open311 …` does). A key is shown once, in the reply that makes it,
//! and kept only hashed; so a retried POST is not replayed (that would need the key kept):
//! the name is taken, and the retry gets 409 `open311_client_exists`.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::caller::{AdminOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::ApiJson;
use crate::api::list::List;
use crate::db::open311::Client;
use crate::open311::clients;
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOpen311Client {
    /// 1–64 letters, digits, spaces, `.`, `_` or `-`: shown to the units as the channel of
    /// what the client sends.
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Open311ClientView {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Set once revoked: the key no longer works.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<Client> for Open311ClientView {
    fn from(c: Client) -> Self {
        Open311ClientView {
            id: c.id,
            name: c.name,
            created_at: c.created_at.and_utc(),
            revoked_at: c.revoked_at.map(|t| t.and_utc()),
        }
    }
}

/// A new client and its key, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewOpen311ClientKey {
    #[serde(flatten)]
    pub client: Open311ClientView,
    /// The `api_key` the client posts with (kept only hashed).
    pub api_key: String,
}

/// Make an Open311 client; the reply shows its api_key once.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = NewOpen311Client,
    responses((status = 201, body = NewOpen311ClientKey),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "open311_client_exists", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/open311-clients")]
pub async fn create(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    ApiJson(body): ApiJson<NewOpen311Client>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let by = Some(admin.id);
    let (client, api_key) = state
        .db(move |c| clients::add(c, &body.name, by, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Created().json(NewOpen311ClientKey {
        client: client.into(),
        api_key,
    }))
}

/// Every Open311 client, by name (revoked ones too).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = List<Open311ClientView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/open311-clients")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
) -> Result<HttpResponse, ApiError> {
    let rows = state
        .db(|c| clients::list(c).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(List {
        items: rows.into_iter().map(Open311ClientView::from).collect(),
        next_cursor: None,
    }))
}

/// Revoke an Open311 client: its key stops working at once.
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "The client's name")),
    responses((status = 204, description = "Revoked"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "open311_client_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/open311-clients/{name}")]
pub async fn revoke(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let now = state.clock.now_naive();
    let by = Some(admin.id);
    state
        .db(move |c| clients::revoke(c, &name, by, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
