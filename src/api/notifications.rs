//! What people are told: one-click unsubscribe from emails (RFC 8058).

use actix_web::{HttpResponse, get, post, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extract::ApiQuery;
use crate::db::{self, schema};
use crate::error::ApiError;
use crate::notify::links::{self, Subject};
use crate::state::AppState;

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
