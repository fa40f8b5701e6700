//! `POST /tickets/{code}/hide`: the handling unit takes a ticket out of public view (see
//! `crate::open311::moderation`).

use actix_web::{HttpResponse, post, web};

use crate::api::caller::{OfficialOnly, RequireRole};
use crate::api::error::ApiError;
use crate::open311::moderation;
use crate::state::AppState;
use crate::workflow::tickets::Viewer;

/// Hide a ticket from the public, for good (it becomes private): an Open311 request, public
/// from submission, leaves every public read. Officials of the handling unit only.
#[utoipa::path(tag = "tickets", security(("bearer" = [])),
    params(("code" = String, Path, description = "The ticket's code")),
    responses((status = 204, description = "Hidden (or already)"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "action_forbidden: not the handling unit", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "ticket_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "concurrent_update", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/hide")]
pub async fn hide(
    state: web::Data<AppState>,
    official: RequireRole<OfficialOnly>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    let now = state.clock.now_naive();
    let viewer = Viewer {
        user: Some(official.0),
        secret: None,
    };
    state
        .db(move |c| moderation::hide(c, &code, &viewer, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
