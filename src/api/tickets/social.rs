//! Comments, the rating, support and follow.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ctx, viewer};
use crate::api::caller::{ClientAddr, MaybeUser};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, RequestContext};
use crate::api::idempotency::{self, Creating};
use crate::auth::CurrentUser;
use crate::db::{self};
use crate::domain::account::Role;
use crate::domain::ticket::Kind;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::tickets::{
    self as tickets, Access, EventView, TicketView, Viewer, timeline, view,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub body: String,
    /// Citizens' comments are always public; staff may write internal notes (`false`).
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

/// Comment on a ticket (the submitter and the handling unit); each comment is an event.
#[utoipa::path(tag = "tickets", request_body = CommentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = EventView), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/comments")]
pub async fn comment(
    state: web::Data<AppState>,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
    path: web::Path<String>,
    creating: Creating<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let v = viewer(user.0, &req);
    let scope = idempotency::scope(v.user.as_ref().map(|u| u.id), &client.0);
    let mut check = Violations::new();
    let text = check.text(
        "/body",
        &body.body,
        1,
        state.settings.tickets.description_max_chars,
    );
    check.finish()?;
    let code = path.into_inner();
    let now = state.clock.now_naive();
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let (t, access) = tickets::readable(c, &code, &v)?;
        let public = match access {
            Access::Submitter => {
                if !body.public {
                    return Err(ApiError::field("/public", "citizens_comment_publicly"));
                }
                true
            }
            Access::Handling => body.public,
            _ => return Err(ApiError::forbidden()),
        };
        let actor = v.user.as_ref().map(|u| (u.id, u.role));
        let event_id = tickets::comment(c, &t, actor, &text, public, "comment", now)?;
        if access == Access::Submitter {
            let ctx = ctx(&st, c)?;
            tickets::tell_of_comment(c, &t, event_id, &ctx)?;
        }
        let mut all = timeline(c, &t, access)?;
        all.pop()
            .ok_or_else(|| ApiError::internal("comment vanished"))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (very unsatisfied) to 5 (very satisfied).
    pub score: i32,
    pub comment: Option<String>,
}

/// Rate the answer, once per resolution (a reopen allows a new rating). The submitter only.
#[utoipa::path(tag = "tickets", request_body = RatingRequest,
    params(("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters")),
    responses((status = 200, body = TicketView), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition or already_rated", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<String>,
    ApiJson(body): ApiJson<RatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let v = viewer(user.0, &req);
    let mut check = Violations::new();
    check.range("/score", body.score, 1, 5);
    let remark = body
        .comment
        .as_deref()
        .map(|c| check.text("/comment", c, 1, 2000));
    check.finish()?;
    let code = path.into_inner();
    let st = state.clone();
    let out = state
        .db(move |conn| {
            db::write(conn, |c| {
                let (t, access) = tickets::readable(c, &code, &v)?;
                if access != Access::Submitter {
                    return Err(ApiError::forbidden());
                }
                let ctx = ctx(&st, c)?;
                let actor = v.user.as_ref().map(|u| (u.id, u.role));
                let t = tickets::rate(
                    c,
                    &t,
                    actor,
                    body.score,
                    remark.as_deref(),
                    ctx.now.naive_utc(),
                )?;
                Ok(view(c, &t, access, &ctx, rctx.lang, actor)?)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Supporters {
    pub supporters: i32,
    pub supported: bool,
}

async fn support_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    code: String,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    if user.role != Role::Citizen {
        return Err(ApiError::forbidden());
    }
    if !user.verified {
        return Err(ApiError::client(
            StatusCode::FORBIDDEN,
            "email_not_verified",
        ));
    }
    let st = state.clone();
    let uid = user.id;
    let v = Viewer {
        user: Some(user),
        secret: None,
    };
    let count = state
        .db(move |conn| {
            db::write(conn, |c| {
                let (t, _) = tickets::readable(c, &code, &v)?;
                if t.kind != Kind::Petition || !t.public {
                    return Err(ApiError::conflict("not_a_public_petition"));
                }
                if t.submitter_id == Some(uid) {
                    return Err(ApiError::forbidden());
                }
                let ctx = ctx(&st, c)?;
                if on {
                    Ok(tickets::support(c, &t, uid, &ctx)?)
                } else {
                    Ok(tickets::unsupport(c, &t, uid)?)
                }
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(Supporters {
        supporters: count,
        supported: on,
    }))
}

/// Support a public petition (verified citizens, once each). Reaching the configured number
/// of supporters raises its priority.
#[utoipa::path(tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Supporters), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not_a_public_petition", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/support")]
pub async fn support(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    support_change(state, user, path.into_inner(), true).await
}

/// Withdraw one's support.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Supporters)))]
#[delete("/tickets/{code}/support")]
pub async fn unsupport(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    support_change(state, user, path.into_inner(), false).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Following {
    pub following: bool,
}

async fn follow_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    code: String,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let uid = user.id;
    let v = Viewer {
        user: Some(user),
        secret: None,
    };
    let now = state.clock.now_naive();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                let (t, _) = tickets::readable(c, &code, &v)?;
                if on {
                    tickets::follow(c, &t, uid, now)
                } else {
                    tickets::unfollow(c, &t, uid)
                }
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(Following { following: on }))
}

/// Follow a ticket: followers are told when it is answered.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Following), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/follow")]
pub async fn follow(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    follow_change(state, user, path.into_inner(), true).await
}

/// Stop following.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Following)))]
#[delete("/tickets/{code}/follow")]
pub async fn unfollow(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    follow_change(state, user, path.into_inner(), false).await
}
