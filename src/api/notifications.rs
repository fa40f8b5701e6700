//! What people are told: the in-app list of notifications, and one-click unsubscribe from
//! emails (RFC 8058).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::{ApiJson, ApiQuery, RequestContext};
use crate::api::list::{Page, encode_cursor};
use crate::auth::CurrentUser;
use crate::db::{self, schema};
use crate::error::{ApiError, FieldError};
use crate::notify::in_app;
use crate::notify::links::{self, Subject};
use crate::notify::messages;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// One thing the signed-in person was told, in the language of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    /// Pushes carry this id as `notification_id`.
    pub id: i64,
    /// What happened: the message template, e.g. `ticket_answered`, `unit_new_ticket`.
    pub event: String,
    pub ticket_code: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// The list envelope, with how many are unread in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationList {
    pub items: Vec<NotificationView>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    pub unread: i64,
}

/// What the signed-in person was told (by email, push or neither), newest first, for phones
/// that missed a push.
#[utoipa::path(tag = "notifications", operation_id = "my_notifications", security(("bearer" = [])),
    params(NotificationsQuery),
    responses((status = 200, body = NotificationList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/me/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<NotificationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch) = (page.after, page.fetch());
    let (mut rows, unread) = state
        .db(move |conn| {
            Ok((
                in_app::list(conn, user.id, after, fetch)?,
                in_app::unread(conn, user.id)?,
            ))
        })
        .await?;
    let more = rows.len() as i64 > page.limit;
    rows.truncate(page.limit as usize);
    let next_cursor = more
        .then(|| rows.last().map(|r| encode_cursor(&r.id)))
        .flatten();
    let items = rows
        .into_iter()
        .map(|n| {
            let data: Value = serde_json::from_str(&n.data).unwrap_or(Value::Null);
            // A template this build no longer knows still lists, with its name as the text.
            let (title, body) = match messages::push_text(&n.template, rctx.lang, &data) {
                Ok(t) => (t.title, t.body),
                Err(_) => ("Nghe dân".to_string(), n.template.clone()),
            };
            NotificationView {
                id: n.id,
                event: n.template,
                ticket_code: n.ticket_code,
                title,
                body,
                created_at: n.created_at.and_utc(),
                read: n.read_at.is_some(),
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(NotificationList {
        items,
        next_cursor,
        unread,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Every notification with this id or a smaller one is marked read.
    pub up_to: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadResult {
    /// How many were marked read by this call (0 on a replay).
    pub marked: usize,
    pub unread: i64,
}

/// Mark the signed-in person's notifications read up to an id (e.g. the newest one shown, or
/// the `notification_id` of the push that was opened). Idempotent.
#[utoipa::path(tag = "notifications", operation_id = "read_my_notifications", security(("bearer" = [])),
    request_body = MarkRead,
    responses((status = 200, body = ReadResult),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/me/notifications/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<HttpResponse, ApiError> {
    if body.up_to < 1 {
        return Err(ApiError::validation(vec![
            FieldError::new("/up_to", "out_of_range").arg("min", 1),
        ]));
    }
    let now = state.clock.now_naive();
    let (marked, unread) = state
        .db(move |conn| {
            db::write(conn, |c| {
                Ok((
                    in_app::mark_read(c, user.id, body.up_to, now)?,
                    in_app::unread(c, user.id)?,
                ))
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReadResult { marked, unread }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UnsubscribeQuery {
    /// The signed token from the email's `List-Unsubscribe` link.
    pub token: String,
}

/// One-click unsubscribe (RFC 8058): mail clients POST here without signing in. Turns off
/// ticket notifications by email for that person (or, for an anonymous submitter's contact
/// address, the updates of that ticket). Account and security emails are not affected.
#[utoipa::path(tag = "notifications", params(UnsubscribeQuery),
    responses((status = 200, description = "Unsubscribed", content_type = "text/html", body = String),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/unsubscribe")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<UnsubscribeQuery>,
) -> Result<HttpResponse, ApiError> {
    let subject = links::verify(&state.settings.notifications.link_secret, &q.token)
        .ok_or_else(|| ApiError::not_found("resource_not_found"))?;
    let now = state.clock.now_naive();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                match subject {
                    Subject::User { u } => {
                        diesel::update(schema::users::table.find(u))
                            .set((
                                schema::users::notify_email.eq(false),
                                schema::users::updated_at.eq(now),
                            ))
                            .execute(c)?;
                    }
                    Subject::Contact { t, a } => {
                        diesel::update(
                            schema::tickets::table
                                .find(t)
                                .filter(schema::tickets::contact_email.eq(a)),
                        )
                        .set(schema::tickets::contact_email.eq(None::<String>))
                        .execute(c)?;
                    }
                }
                Ok::<_, ApiError>(())
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page("Đã huỷ đăng ký nhận thư. / You are unsubscribed.", "")))
}

/// The page a person sees when they click the link: a button that makes the POST (a GET
/// must change nothing, or link scanners would unsubscribe people).
#[utoipa::path(tag = "notifications", params(UnsubscribeQuery),
    responses((status = 200, content_type = "text/html", body = String)))]
#[get("/unsubscribe")]
pub async fn unsubscribe_page(ApiQuery(q): ApiQuery<UnsubscribeQuery>) -> HttpResponse {
    let token: String = q
        .token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page(
            "Ngừng nhận thư thông báo từ Nghe dân? / Stop notification emails from Nghe dân?",
            &format!(
                "<form method=\"post\" action=\"/api/v1/unsubscribe?token={token}\">\
                 <button type=\"submit\">Huỷ đăng ký / Unsubscribe</button></form>"
            ),
        ))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Nghe dân</title></head>\
         <body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\"><h1>{title}</h1>{body}</body></html>"
    )
}
