//! Supervisors (people's inspection boards, councils, the Fatherland Front) read the tickets
//! of the subtree they oversee with the full timeline, never a denouncer's identity, and can
//! write nothing but a supervision note and a reopen request.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::caller::{RequireRole, SupervisorOnly};
use crate::api::error::ApiError;
use crate::api::idempotency::{self, Creating};
use crate::auth::CurrentUser;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::tickets::{EventView, Viewer, supervision};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenRequest {
    pub reason: String,
}

fn supervisor_viewer(user: CurrentUser) -> Viewer {
    Viewer {
        user: Some(user),
        secret: None,
    }
}

/// A supervision note: an internal event on the timeline; it changes nothing else.
#[utoipa::path(tag = "supervision", security(("bearer" = [])), request_body = NoteRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = EventView), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/supervision-notes")]
pub async fn note(
    state: web::Data<AppState>,
    who: RequireRole<SupervisorOnly>,
    path: web::Path<String>,
    creating: Creating<NoteRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let scope = idempotency::scope(Some(who.0.id), "");
    let mut v = Violations::new();
    let text = v.text(
        "/body",
        &body.body,
        1,
        state.settings.tickets.description_max_chars,
    );
    v.finish()?;
    let viewer = supervisor_viewer(who.0);
    let code = path.into_inner();
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(supervision::note(c, &code, &viewer, &text, &ctx)?)
    })
    .await
}

/// A reopen request: an internal event and a notice to the unit. The state stays as it is:
/// the unit decides.
#[utoipa::path(tag = "supervision", security(("bearer" = [])), request_body = ReopenRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = EventView), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/reopen-requests")]
pub async fn reopen_request(
    state: web::Data<AppState>,
    who: RequireRole<SupervisorOnly>,
    path: web::Path<String>,
    creating: Creating<ReopenRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let scope = idempotency::scope(Some(who.0.id), "");
    let mut v = Violations::new();
    let reason = v.text(
        "/reason",
        &body.reason,
        1,
        state.settings.tickets.description_max_chars,
    );
    v.finish()?;
    let viewer = supervisor_viewer(who.0);
    let code = path.into_inner();
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(supervision::reopen_request(
            c, &code, &viewer, &reason, &ctx,
        )?)
    })
    .await
}
