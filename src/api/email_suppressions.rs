//! Units' mailboxes that unsubscribed from ticket mail, for administrators: list them and lift
//! one (`/admin/email-suppressions`). A unit's mailbox is how the unit hears of new tickets,
//! so one click in it should not silence the unit for good. Citizens' and desk contacts'
//! suppressions are their own choice and are neither listed nor lifted here. Lifting is a
//! configuration change: the middleware writes it to the admin audit log.

use actix_web::{HttpResponse, delete, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{AdminOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::ApiQuery;
use crate::api::list::{Page, paginate};
use crate::db;
use crate::notify::suppressions::{self, MailboxSuppression, Scope};
use crate::state::AppState;

/// A unit mailbox's suppression. The address is not shown: only a hash of it is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailSuppressionView {
    pub id: i64,
    /// The unit whose mailbox unsubscribed.
    pub unit_id: i64,
    /// `ticket`: mail about one ticket (`ticket_code`); `all`: every ticket email.
    pub scope: Scope,
    pub ticket_code: Option<String>,
    /// Whether it concerns the unit's mailbox as configured now (`false`: an address the unit
    /// had before, which no longer gets its mail anyway).
    pub current_mailbox: bool,
    pub created_at: DateTime<Utc>,
}

impl From<MailboxSuppression> for EmailSuppressionView {
    fn from(s: MailboxSuppression) -> Self {
        EmailSuppressionView {
            id: s.id,
            unit_id: s.unit_id,
            scope: s.scope,
            ticket_code: s.ticket_code,
            current_mailbox: s.current_mailbox,
            created_at: s.created_at.and_utc(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuppressionQuery {
    /// Only this unit's mailbox (404 `unit_not_found` if there is no such unit).
    pub unit_id: Option<i64>,
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Suppressions of units' mailboxes (the unit unsubscribed from ticket mail), oldest first.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(SuppressionQuery),
    responses((status = 200, body = crate::api::list::List<EmailSuppressionView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "unit_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/email-suppressions")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ApiQuery(q): ApiQuery<SuppressionQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch, unit) = (page.after, page.fetch(), q.unit_id);
    let rows = state
        .db(move |conn| {
            if let Some(id) = unit
                && db::units::find(conn, id)?.is_none()
            {
                return Err(ApiError::not_found("unit_not_found"));
            }
            Ok(suppressions::of_mailboxes(conn, unit, after, fetch)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |s| s.id,
        EmailSuppressionView::from,
    )))
}

/// Lift a unit mailbox's suppression: its ticket mail is sent again from now on.
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 204, description = "Lifted"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "email_suppression_not_found (also for a contact's own suppression)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/email-suppressions/{id}")]
pub async fn lift(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let lifted = state
        .db(move |conn| db::write(conn, |c| suppressions::lift_mailbox(c, id)))
        .await?;
    if !lifted {
        return Err(ApiError::not_found("email_suppression_not_found"));
    }
    Ok(HttpResponse::NoContent().finish())
}
