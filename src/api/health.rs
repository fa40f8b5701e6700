//! Liveness, readiness and Prometheus metrics.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;

use crate::api::error::ApiError;
use crate::state::AppState;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `live` or `ready`.
    pub status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "live",
        database: None,
    })
}

/// The database answers. 503 with a problem body when it cannot be reached.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, body = Health),
        (status = 503, description = "The database cannot be reached", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let wait = Duration::from_millis(state.settings.database.acquire_timeout_ms.min(2000));
    let backend = web::block(move || -> Result<&'static str, ApiError> {
        let mut conn = pool.get_timeout(wait)?;
        // Ready means "can write".
        crate::db::probe_write(&mut conn)?;
        Ok(conn.backend().as_str())
    })
    .await??;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: Some(backend),
    }))
}

/// Prometheus text exposition: request counts and latency by route and status, pool state.
/// With `metrics.bearer_token` set, only for `Authorization: Bearer <that token>` (else 401).
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, content_type = "text/plain", body = String),
        (status = 401, description = "`metrics.bearer_token` is set and the request does not carry it", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let token = &state.settings.metrics.bearer_token;
    if !token.is_empty() {
        let presented = crate::api::caller::bearer(&req)?
            .ok_or_else(|| ApiError::unauthenticated("unauthenticated"))?;
        if !crate::metrics::token_matches(token, &presented) {
            return Err(ApiError::unauthenticated("invalid_token"));
        }
    }
    // Without the database the other figures still matter: the gauges read from it keep
    // their last values.
    let read = state
        .db(|c| {
            let outbox = crate::notify::outbox::counts(c)?;
            let open = crate::db::inbox::open_counts(c, &crate::db::scope::Scope::everything())?;
            Ok::<_, crate::error::AppError>((outbox, open))
        })
        .await;
    if let Ok((outbox, (by_status, overdue))) = read {
        state.metrics.set_outbox(&outbox);
        state.metrics.set_open_tickets(&by_status, overdue);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(
            state
                .metrics
                .render(&state.pool, state.clock.now().timestamp()),
        ))
}
