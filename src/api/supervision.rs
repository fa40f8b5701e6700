//! Supervisors (people's inspection boards, councils, the Fatherland Front) read the tickets
//! of the subtree they oversee with the full timeline, never a denouncer's identity, and can
//! write nothing but a supervision note and a reopen request.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::api::idempotency::{self, Creating};
use crate::api::tickets::{EventView, timeline};
use crate::api::validation::Violations;
use crate::auth::{CurrentUser, RequireRole, SupervisorOnly};
use crate::db::tickets::{self, Access, Viewer};
use crate::db::{self};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::notify::recipients;
use crate::state::AppState;

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

/// Loads a ticket the supervisor oversees (404 otherwise).
fn overseen(conn: &mut db::DbConn, code: &str, v: &Viewer) -> Result<tickets::Ticket, ApiError> {
    let (t, access) = tickets::readable(conn, code, v)?;
    match access {
        Access::Supervisor => Ok(t),
        _ => Err(ApiError::not_found("ticket_not_found")),
    }
}

/// A supervision note: an internal event on the timeline; it changes nothing else.
#[utoipa::path(tag = "supervision", security(("bearer" = [])), request_body = NoteRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = EventView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
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
    let user = who.0;
    let actor = (user.id, user.role);
    let viewer = supervisor_viewer(user);
    let code = path.into_inner();
    let now = state.clock.now_naive();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let t = overseen(c, &code, &viewer)?;
        tickets::comment(c, &t, Some(actor), &text, false, "supervision_note", now)?;
        timeline(c, &t, Access::Supervisor)?
            .pop()
            .ok_or_else(|| ApiError::internal("note vanished"))
    })
    .await
}

/// A reopen request: an internal event and a notice to the unit. The state stays as it is:
/// the unit decides.
#[utoipa::path(tag = "supervision", security(("bearer" = [])), request_body = ReopenRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = EventView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
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
    let user = who.0;
    let actor = (user.id, user.role);
    let viewer = supervisor_viewer(user);
    let code = path.into_inner();
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let t = overseen(c, &code, &viewer)?;
        let ctx = st.ticket_ctx(c)?;
        let now = ctx.now.naive_utc();
        let id = tickets::comment(c, &t, Some(actor), &reason, false, "reopen_requested", now)?;
        let staff = recipients::unit_staff(c, t.unit_id)?;
        let data = recipients::ticket_data(
            &t.code,
            t.id,
            (!t.confidential).then_some(t.title.as_str()),
            json!({"note": reason, "unit": db::units::name_of(c, t.unit_id, Lang::Vi)?}),
        );
        recipients::tell(
            c,
            &staff,
            "unit_reopen_requested",
            &data,
            &format!("event:{id}"),
            &ctx.delivery,
            now,
        )?;
        timeline(c, &t, Access::Supervisor)?
            .pop()
            .ok_or_else(|| ApiError::internal("request vanished"))
    })
    .await
}
