//! Follow-ups for the unit that owes them and the supervisors over it: what is owed by a date
//! besides a ticket (a consultation's synthesis, a dialogue's commitments), where each stands,
//! and an official's note that a commitment was kept. Opened by the features themselves.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{OfficialOnly, RequireRole, StaffOnly};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::list::{Page, paginate};
use crate::db::follow_ups::{Filter, Row};
use crate::domain::follow_up::{Standing, Subject};
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::follow_ups;

/// A follow-up as its unit and supervisors read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpView {
    pub id: i64,
    /// `consultation_synthesis` or `dialogue_commitment`.
    pub subject: String,
    /// The consultation's or the commitment's id.
    pub subject_id: i64,
    /// The unit that owes it.
    pub unit_id: i64,
    pub title: String,
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// `open`, `overdue`, `done_on_time` or `done_late`, as of the request.
    pub standing: String,
    pub reminded_75: bool,
    pub reminded_last_day: bool,
    /// When the sweep escalated the miss to the parent unit and the supervisors.
    pub missed_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_note: Option<String>,
}

fn view(r: Row, now: DateTime<Utc>) -> FollowUpView {
    let standing = r.rules().standing(now).as_str().to_string();
    FollowUpView {
        id: r.id,
        subject: r.subject,
        subject_id: r.subject_id,
        unit_id: r.unit_id,
        title: r.title,
        opened_at: r.opened_at.and_utc(),
        due_at: r.due_at.and_utc(),
        standing,
        reminded_75: r.reminded_75,
        reminded_last_day: r.reminded_last_day,
        missed_at: r.missed_at.map(|t| t.and_utc()),
        done_at: r.done_at.map(|t| t.and_utc()),
        done_note: r.done_note,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// Only this unit's (within the caller's scope; another unit gives an empty list).
    pub unit_id: Option<i64>,
    /// `consultation_synthesis` or `dialogue_commitment`.
    pub subject: Option<String>,
    /// `open`, `overdue`, `done_on_time` or `done_late`.
    pub standing: Option<String>,
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// The follow-ups in the caller's scope (an official's unit, a supervisor's branch, all for an
/// administrator), soonest due first.
#[utoipa::path(tag = "follow-ups", security(("bearer" = [])), params(FollowUpQuery),
    responses((status = 200, body = crate::api::list::List<FollowUpView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/follow-ups")]
pub async fn list(
    state: web::Data<AppState>,
    who: RequireRole<StaffOnly>,
    ApiQuery(q): ApiQuery<FollowUpQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<(NaiveDateTime, i64)>::new(q.after.as_deref(), q.limit)?;
    let mut errors = Vec::new();
    let subject = q.subject.as_deref().and_then(|s| {
        let parsed = Subject::parse(s);
        if parsed.is_none() {
            let names: Vec<&str> = Subject::ALL.iter().map(|x| x.as_str()).collect();
            errors
                .push(FieldError::new("/subject", "invalid_value").arg("reason", names.join(", ")));
        }
        parsed
    });
    let standing = q.standing.as_deref().and_then(|s| {
        let parsed = Standing::ALL.into_iter().find(|x| x.as_str() == s);
        if parsed.is_none() {
            let names: Vec<&str> = Standing::ALL.iter().map(|x| x.as_str()).collect();
            errors.push(
                FieldError::new("/standing", "invalid_value").arg("reason", names.join(", ")),
            );
        }
        parsed
    });
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let filter = Filter {
        units: q.unit_id.map(|u| vec![u]),
        subject,
        standing,
    };
    let now = state.clock.now();
    let (after, fetch, user) = (page.after, page.fetch(), who.0);
    let rows = state
        .db(move |conn| follow_ups::list(conn, &user, filter, after, fetch, now.naive_utc()))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |r| (r.due_at, r.id),
        |r| view(r, now),
    )))
}

/// One follow-up (404 `follow_up_not_found` outside the caller's scope).
#[utoipa::path(tag = "follow-ups", security(("bearer" = [])),
    responses((status = 200, body = FollowUpView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "follow_up_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/follow-ups/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    who: RequireRole<StaffOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (id, user, now) = (path.into_inner(), who.0, state.clock.now());
    let row = state
        .db(move |conn| follow_ups::find(conn, id, &user))
        .await?;
    Ok(HttpResponse::Ok().json(view(row, now)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DoneRequest {
    /// What was done (1–5,000 characters), shown to the supervisors.
    pub note: String,
}

/// An official of the owing unit records that a commitment was kept. A synthesis is done by
/// publishing it (409 `follow_up_not_completable`); one done already, 409 `follow_up_done`.
#[utoipa::path(tag = "follow-ups", security(("bearer" = [])), request_body = DoneRequest,
    responses((status = 200, body = FollowUpView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "follow_up_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "follow_up_done, follow_up_not_completable", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/follow-ups/{id}/done")]
pub async fn done(
    state: web::Data<AppState>,
    who: RequireRole<OfficialOnly>,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<DoneRequest>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let note = v.text("/note", &body.note, 1, 5_000);
    v.finish()?;
    let (id, user) = (path.into_inner(), who.0);
    let st = state.clone();
    let row = state
        .db(move |conn| {
            crate::db::write(conn, |c| {
                let ctx = st.ticket_ctx(c)?;
                follow_ups::complete_with_note(c, id, &user, &note, &ctx)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(row, state.clock.now())))
}
