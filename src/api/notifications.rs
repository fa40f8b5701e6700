//! What people are told: the in-app list of notifications, and one-click unsubscribe from
//! emails (RFC 8058).

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery, RequestContext};
use crate::api::list::{Page, encode_cursor};
use crate::api::sync::{Changes, Delta};
use crate::auth::CurrentUser;
use crate::db;
use crate::db::sync::Position;
use crate::error::FieldError;
use crate::i18n::{Lang, fill};
use crate::notify::in_app;
use crate::notify::links;
use crate::notify::messages;
use crate::notify::suppressions::{self, Scope, Target};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    pub after: Option<String>,
    /// 1–100, default 20 (100 for a delta).
    pub limit: Option<i64>,
    /// RFC 3339: only the notifications made or read at or after this time, as a delta. Not
    /// with `sync_token` or `after`.
    pub since: Option<String>,
    /// The `sync_token` of the last delta: only the notifications made or read since. Not with
    /// `since` or `after`.
    pub sync_token: Option<String>,
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

/// A delta of notifications, with how many are unread in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationChanges {
    #[serde(flatten)]
    pub changes: Changes<NotificationView>,
    pub unread: i64,
}

/// A page of the list, or (with `since` or `sync_token`) a delta.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum MyNotifications {
    List(NotificationList),
    Changes(NotificationChanges),
}

/// A notification as the list shows it, in `lang`.
pub fn view(n: in_app::Notification, lang: Lang) -> NotificationView {
    let data: Value = serde_json::from_str(&n.data).unwrap_or(Value::Null);
    // Data a template needs but the row lacks still lists, with the message's name.
    let (title, body) = match messages::push_text(n.template, lang, &data) {
        Ok(t) => (t.title, t.body),
        Err(_) => ("Nghe dân".to_string(), n.template.as_str().to_string()),
    };
    NotificationView {
        id: n.id,
        event: n.template.as_str().to_string(),
        ticket_code: n.ticket_code,
        title,
        body,
        created_at: n.created_at.and_utc(),
        read: n.read_at.is_some(),
    }
}

/// What the signed-in person was told (by email, push or neither), newest first, for phones
/// that missed a push; or, with `since` or `sync_token`, a delta: the ones made or marked read
/// since, in change order, with the `sync_token` for next time (400 `invalid_timestamp`,
/// `invalid_sync_token`, `sync_params_conflict`).
#[utoipa::path(tag = "notifications", operation_id = "my_notifications", security(("bearer" = [])),
    params(NotificationsQuery),
    responses((status = 200, body = MyNotifications),
        (status = 400, description = "invalid_timestamp, invalid_sync_token, sync_params_conflict", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<NotificationsQuery>,
) -> Result<HttpResponse, ApiError> {
    let delta = Delta::parse(
        q.since.as_deref(),
        q.sync_token.as_deref(),
        q.after.is_some(),
        q.limit,
    )?;
    if let Some(delta) = delta {
        let d = delta.clone();
        let (horizon, rows, unread) = state
            .db(move |conn| -> Result<_, ApiError> {
                let horizon = db::sync::horizon(conn)?;
                Ok((
                    horizon,
                    in_app::changed(conn, user.id, d.after, d.since, d.fetch())?,
                    in_app::unread(conn, user.id)?,
                ))
            })
            .await?;
        let changes = delta.finish(
            horizon,
            rows,
            |(tx, n)| Position { tx: *tx, id: n.id },
            |(_, n)| view(n, rctx.lang),
        );
        return Ok(HttpResponse::Ok().json(NotificationChanges { changes, unread }));
    }
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch) = (page.after, page.fetch());
    let (mut rows, unread) = state
        .db(move |conn| -> Result<_, ApiError> {
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
    let items = rows.into_iter().map(|n| view(n, rctx.lang)).collect();
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
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
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
            db::write(conn, |c| -> Result<_, ApiError> {
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
#[into_params(parameter_in = Query)]
pub struct UnsubscribeQuery {
    /// The signed token from the email's `List-Unsubscribe` link.
    pub token: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnsubscribeRequest {
    /// The signed token from the email's `List-Unsubscribe` link.
    pub token: String,
    /// For an address without an account: `ticket` stops mail about the ticket the email was
    /// about, `all` every ticket email to the address. Absent (the one-click POST of a mail
    /// client): a submitter's contact stops its ticket's mail, a unit's mailbox all of it.
    /// An account always turns off all its ticket mail (`ticket` is 422 there).
    pub scope: Option<Scope>,
}

/// The person's link, checked and resolved: 404 `unsubscribe_link_invalid` for a token that
/// was not signed here or names an account that no longer exists.
async fn resolve(state: &AppState, token: &str, lang: Lang) -> Result<Target, ApiError> {
    let invalid = || ApiError::not_found("unsubscribe_link_invalid");
    let subject =
        links::verify(&state.settings.notifications.link_secret, token).ok_or_else(invalid)?;
    state
        .db(move |conn| suppressions::target(conn, &subject, lang))
        .await?
        .ok_or_else(invalid)
}

/// One-click unsubscribe (RFC 8058): mail clients POST here without signing in. A person with
/// an account turns off ticket notifications by email (their preference; they can turn it back
/// on). An address without an account — an anonymous or desk submitter's contact, a unit's
/// mailbox — is suppressed: no more mail about that ticket, or (`scope=all`, and by default
/// for a unit's mailbox) about any ticket; the ticket keeps its contact address, and an
/// administrator can lift a unit mailbox's suppression (`/admin/email-suppressions`). Account
/// and security emails are not affected. The page says what was stopped.
#[utoipa::path(tag = "notifications", params(UnsubscribeRequest),
    responses((status = 200, description = "What was stopped, as a page in the request's language", content_type = "text/html", body = String),
        (status = 404, description = "unsubscribe_link_invalid", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed: `/scope` not_allowed (`ticket` for an account, or for mail about no ticket)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/unsubscribe")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    rctx: RequestContext,
    ApiQuery(q): ApiQuery<UnsubscribeRequest>,
) -> Result<HttpResponse, ApiError> {
    let lang = rctx.lang;
    let target = resolve(&state, &q.token, lang).await?;
    let scope = match (&target, q.scope) {
        (Target::Account { .. }, Some(Scope::Ticket)) => {
            return Err(ApiError::field("/scope", "not_allowed"));
        }
        (_, Some(scope)) => scope,
        (_, None) => target.default_scope(),
    };
    let now = state.clock.now_naive();
    let done = target.clone();
    state
        .db(move |conn| db::write(conn, |c| suppressions::unsubscribe(c, &done, scope, now)))
        .await?;
    html(stopped_page(&target, scope, lang))
}

/// The page a person sees when they click the link: what it would stop, and buttons that make
/// the POST (a GET must change nothing, or link scanners would unsubscribe people).
#[utoipa::path(tag = "notifications", params(UnsubscribeQuery),
    responses((status = 200, description = "What the link would stop, with a button for each choice", content_type = "text/html", body = String),
        (status = 404, description = "unsubscribe_link_invalid", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/unsubscribe")]
pub async fn unsubscribe_page(
    state: web::Data<AppState>,
    rctx: RequestContext,
    ApiQuery(q): ApiQuery<UnsubscribeQuery>,
) -> Result<HttpResponse, ApiError> {
    let target = resolve(&state, &q.token, rctx.lang).await?;
    // The token verified, so it holds only base64url characters and a dot.
    html(offer_page(&target, &q.token, rctx.lang))
}

#[derive(askama::Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    lang: &'static str,
    title: String,
    paragraphs: Vec<String>,
    buttons: Vec<Button>,
}

struct Button {
    action: String,
    label: String,
}

fn html(page: UnsubscribePage) -> Result<HttpResponse, ApiError> {
    use askama::Template;
    let body = page
        .render()
        .map_err(|e| ApiError::internal(format!("unsubscribe page: {e}")))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

/// What the link would stop, and the choices.
fn offer_page(target: &Target, token: &str, lang: Lang) -> UnsubscribePage {
    let action = |scope: Option<Scope>| match scope {
        Some(s) => format!("/api/v1/unsubscribe?token={token}&scope={}", s.as_str()),
        None => format!("/api/v1/unsubscribe?token={token}"),
    };
    match target {
        Target::Account { .. } => UnsubscribePage {
            lang: lang.as_str(),
            title: lang
                .pick("Ngừng nhận thư về phản ánh?", "Stop emails about your tickets?")
                .to_string(),
            paragraphs: vec![
                lang.pick(
                    "Tài khoản của bạn sẽ không nhận thư về phản ánh, kiến nghị nữa. Thư về tài khoản (xác nhận, đặt lại mật khẩu) vẫn được gửi.",
                    "Your account will no longer get emails about tickets. Account emails (confirmation, password reset) still come.",
                )
                .to_string(),
            ],
            buttons: vec![Button {
                action: action(None),
                label: lang.pick("Ngừng nhận thư", "Stop these emails").to_string(),
            }],
        },
        Target::Address {
            address,
            ticket,
            unit,
            ..
        } => {
            let who = suppressions::mask(address);
            let mut paragraphs = Vec::new();
            if let Some((_, code)) = ticket {
                paragraphs.push(fill(
                    lang.pick(
                        "Địa chỉ {address} nhận thư về phản ánh {code}.",
                        "The address {address} gets emails about ticket {code}.",
                    ),
                    &[("address", who.clone()), ("code", code.clone())],
                ));
            }
            if let Some((_, name)) = unit {
                paragraphs.push(unit_note(name, lang));
            }
            let mut buttons = Vec::new();
            let default = target.default_scope();
            for scope in [default, other(default)] {
                let label = match (scope, ticket) {
                    (Scope::Ticket, Some((_, code))) => fill(
                        lang.pick("Ngừng thư về {code}", "Stop emails about {code}"),
                        &[("code", code.clone())],
                    ),
                    (Scope::Ticket, None) => continue,
                    (Scope::All, _) => lang
                        .pick(
                            "Ngừng mọi thư về phản ánh tới địa chỉ này",
                            "Stop all ticket emails to this address",
                        )
                        .to_string(),
                };
                buttons.push(Button {
                    action: action(Some(scope)),
                    label,
                });
            }
            UnsubscribePage {
                lang: lang.as_str(),
                title: lang
                    .pick("Ngừng nhận thư của Nghe dân?", "Stop emails from Nghe dân?")
                    .to_string(),
                paragraphs,
                buttons,
            }
        }
    }
}

fn other(scope: Scope) -> Scope {
    match scope {
        Scope::Ticket => Scope::All,
        Scope::All => Scope::Ticket,
    }
}

fn unit_note(unit: &str, lang: Lang) -> String {
    fill(
        lang.pick(
            "Đây là hộp thư của {unit}; quản trị viên có thể bật lại thư cho hộp thư này.",
            "This is the mailbox of {unit}; an administrator can turn its mail back on.",
        ),
        &[("unit", unit.to_string())],
    )
}

/// What was stopped.
fn stopped_page(target: &Target, scope: Scope, lang: Lang) -> UnsubscribePage {
    let (title, paragraphs) = match target {
        Target::Account { .. } => (
            lang.pick("Đã tắt thư về phản ánh", "Ticket emails turned off"),
            vec![lang
                .pick(
                    "Tài khoản của bạn sẽ không nhận thư về phản ánh, kiến nghị nữa. Thư về tài khoản vẫn được gửi; bạn có thể bật lại thư về phản ánh trong phần cài đặt của ứng dụng.",
                    "Your account will no longer get emails about tickets. Account emails still come; you can turn ticket emails back on in the app's settings.",
                )
                .to_string()],
        ),
        Target::Address {
            address,
            ticket,
            contact,
            unit,
        } => {
            let who = suppressions::mask(address);
            let mut paragraphs = vec![match (scope, ticket) {
                (Scope::Ticket, Some((_, code))) => fill(
                    lang.pick(
                        "Sẽ không gửi thư về phản ánh {code} tới {address} nữa.",
                        "No more emails about ticket {code} will be sent to {address}.",
                    ),
                    &[("code", code.clone()), ("address", who)],
                ),
                _ => fill(
                    lang.pick(
                        "Sẽ không gửi thư về phản ánh, kiến nghị nào tới {address} nữa.",
                        "No more emails about any ticket will be sent to {address}.",
                    ),
                    &[("address", who)],
                ),
            }];
            if *contact {
                paragraphs.push(
                    lang.pick(
                        "Đơn vị xử lý vẫn giữ địa chỉ liên hệ của bạn trong phản ánh.",
                        "The unit handling the ticket keeps your contact address.",
                    )
                    .to_string(),
                );
            }
            if let Some((_, name)) = unit {
                paragraphs.push(unit_note(name, lang));
            }
            (lang.pick("Đã ngừng gửi thư", "Emails stopped"), paragraphs)
        }
    };
    UnsubscribePage {
        lang: lang.as_str(),
        title: title.to_string(),
        paragraphs,
        buttons: Vec::new(),
    }
}
