//! Reading a ticket and its timeline.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ctx, viewer};
use crate::api::caller::MaybeUser;
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::list::{MAX_LIMIT, Page, paginate};
use crate::db::DbConn;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::workflow::tickets::{self as tickets, EventView, TicketView, Viewer, timeline};

/// One ticket, as the caller may see it (404 `ticket_not_found` if they may not). An
/// anonymous submitter sends its `X-Tracking-Secret`. The `ETag` (`"v<version>.<digest>"`)
/// answers `If-None-Match` with 304, and guards a workflow action as `If-Match`.
#[utoipa::path(tag = "tickets",
    params(("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of the copy the caller holds: 304 if it is still current")),
    responses((status = 200, body = TicketView, headers(("ETag" = String, description = "The ticket's version and this view's digest"))),
        (status = 304, description = "Not modified: the caller's copy is current"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/tickets/{code}")]
pub async fn get_one(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let v = viewer(user.0, &req);
    let code = path.into_inner();
    let st = state.clone();
    let (version, out) = state
        // The version and the view come from the same read of the ticket.
        .db(move |conn| read_one(conn, &st, &code, &v, rctx.lang))
        .await?;
    crate::api::conditional::ticket_response(StatusCode::OK, version, &out, None)
}

/// The view of one ticket for `v` (see `workflow::tickets::read`).
pub fn read_one(
    conn: &mut DbConn,
    state: &AppState,
    code: &str,
    v: &Viewer,
    lang: Lang,
) -> Result<(i32, TicketView), ApiError> {
    let ctx = ctx(state, conn)?;
    Ok(tickets::read(conn, code, v, &ctx, lang)?)
}

/// One event of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<EventView>,
    pub next_cursor: Option<String>,
}

/// The ticket's timeline.
#[utoipa::path(tag = "tickets",
    params(("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters"), EventsQuery),
    responses((status = 200, body = EventList), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/tickets/{code}/events")]
pub async fn events(
    state: web::Data<AppState>,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    // Oldest first, by `seq`; a timeline is short, so the page is cut from the whole of it
    // (the viewer's filter applies before paging).
    let page = Page::<i32>::new(q.after.as_deref(), Some(q.limit.unwrap_or(MAX_LIMIT)))?;
    let v = viewer(user.0, &req);
    let code = path.into_inner();
    let items = state
        .db(move |conn| {
            let (t, access) = tickets::readable(conn, &code, &v)?;
            timeline(conn, &t, access)
        })
        .await?;
    let after = page.after.unwrap_or(i32::MIN);
    let rows: Vec<EventView> = items.into_iter().filter(|e| e.seq > after).collect();
    let list = paginate(rows, page.limit, |e| e.seq, |e| e);
    Ok(HttpResponse::Ok().json(EventList {
        items: list.items,
        next_cursor: list.next_cursor,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    pub after: Option<String>,
    /// 1–100, default 100.
    pub limit: Option<i64>,
}
