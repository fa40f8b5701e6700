//! Deadline configuration, kept by administrators: the policies (`/admin/sla-policies`) and
//! the calendar's per-date overrides (`/admin/calendar/{date}`).
//!
//! Changing either never rewrites the due dates of running tickets: those keep the dates
//! computed when their clocks started. Only tickets (and clocks) started afterwards, and the
//! public preview, see the change.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{AdminOnly, ClientAddr, RequireRole};
use crate::api::deadlines::{CalendarDay, ClockBody, calendar_days, parse_date};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery, RequestContext};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{Page, paginate};
use crate::db::policies::{self, StoredPolicy};
use crate::db::{self, calendar};
use crate::domain::policy::{Channel, Policy, TicketKind, Violation};
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;

/// A deadline policy as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub id: i64,
    pub name: String,
    pub kind: TicketKind,
    pub round: Option<u8>,
    pub category: Option<String>,
    pub channel: Option<Channel>,
    pub urgent: bool,
    pub active: bool,
    pub clocks: Vec<ClockBody>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&StoredPolicy> for PolicyView {
    fn from(s: &StoredPolicy) -> Self {
        let p = &s.policy;
        PolicyView {
            id: p.id,
            name: p.name.clone(),
            kind: p.kind,
            round: p.round,
            category: p.category.clone(),
            channel: p.channel,
            urgent: p.urgent,
            active: p.active,
            clocks: p.clocks.iter().map(ClockBody::from).collect(),
            created_at: s.created_at.and_utc(),
            updated_at: s.updated_at.and_utc(),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPolicy {
    /// 1–200 characters.
    pub name: String,
    pub kind: TicketKind,
    /// Complaints only: 1 or 2; absent: either round.
    pub round: Option<u8>,
    /// A category code: applies to it and its subcategories.
    pub category: Option<String>,
    pub channel: Option<Channel>,
    /// `true`: only for tickets whose category is flagged urgent. Default `false`.
    #[serde(default)]
    pub urgent: bool,
    /// Inactive policies are never chosen. Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
    /// At least one; each name once.
    pub clocks: Vec<ClockBody>,
}

/// The domain's violations as the problem's field errors.
fn field_errors(violations: Vec<Violation>) -> impl Iterator<Item = FieldError> {
    violations.into_iter().map(|v| {
        let e = FieldError::new(v.field, v.code);
        match v.range {
            Some((min, max)) => e.arg("min", min).arg("max", max),
            None => e,
        }
    })
}

/// 422 with every rule the policy breaks, after the violations `v` already holds.
fn check(p: &Policy, mut v: Violations) -> Result<(), ApiError> {
    for e in field_errors(p.check()) {
        v.add_error(e);
    }
    Ok(v.finish()?)
}

/// Create a deadline policy. It applies to tickets whose clocks start from now on.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = NewPolicy,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = PolicyView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed: unknown_category, round_only_for_complaints, duplicate_clock, must_start_at_receipt, out_of_range …", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/sla-policies")]
pub async fn create(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    client: ClientAddr,
    req: Creating<NewPolicy>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let mut v = Violations::new();
    let name = v.line("/name", &body.name, 1, 200);
    let policy = Policy {
        id: 0,
        name,
        kind: body.kind,
        round: body.round,
        category: body.category,
        channel: body.channel,
        urgent: body.urgent,
        active: body.active,
        clocks: body.clocks.into_iter().map(Into::into).collect(),
    };
    check(&policy, v)?;
    let now = state.clock.now_naive();
    idempotency::run(
        &state,
        idempotency::scope(Some(admin.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |conn| {
            Ok(PolicyView::from(&crate::workflow::policies::create(
                conn, &policy, now,
            )?))
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PolicyQuery {
    pub kind: Option<TicketKind>,
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// Deadline policies by id, optionally of one kind.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(PolicyQuery),
    responses((status = 200, body = crate::api::list::List<PolicyView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/sla-policies")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ApiQuery(q): ApiQuery<PolicyQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch, kind) = (page.after, page.fetch(), q.kind);
    let rows = state
        .db(move |conn| policies::list(conn, kind, after, fetch))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |s| s.policy.id,
        |s| PolicyView::from(&s),
    )))
}

/// One deadline policy.
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = PolicyView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "policy_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/sla-policies/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let p = state
        .db(move |conn| policies::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found("policy_not_found"))?;
    Ok(HttpResponse::Ok().json(PolicyView::from(&p)))
}

/// `Some(None)` when the field is `null`, `None` when it is absent.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Fields to change; absent ones stay. `null` clears `round`, `category` or `channel`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyChanges {
    pub name: Option<String>,
    pub kind: Option<TicketKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u8>)]
    pub round: Option<Option<u8>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Channel>)]
    pub channel: Option<Option<Channel>>,
    pub urgent: Option<bool>,
    pub active: Option<bool>,
    /// Replaces every clock.
    pub clocks: Option<Vec<ClockBody>>,
}

/// Change a deadline policy; the result is checked as a whole. Running tickets keep their due
/// dates.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = PolicyChanges,
    responses((status = 200, body = PolicyView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "policy_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/admin/sla-policies/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<PolicyChanges>,
) -> Result<HttpResponse, ApiError> {
    let stored = change(&state, path.into_inner(), body).await?;
    Ok(HttpResponse::Ok().json(PolicyView::from(&stored)))
}

/// Applies `body` to policy `id` and checks the result as a whole (the API's PATCH and the
/// console's form).
pub async fn change(
    state: &AppState,
    id: i64,
    body: PolicyChanges,
) -> Result<StoredPolicy, ApiError> {
    let mut v = Violations::new();
    let name = body.name.as_deref().map(|n| v.line("/name", n, 1, 200));
    let name_errors = v;
    let now = state.clock.now_naive();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                let mut p = policies::find(c, id)?
                    .ok_or_else(|| ApiError::not_found("policy_not_found"))?
                    .policy;
                if let Some(name) = name {
                    p.name = name;
                }
                if let Some(kind) = body.kind {
                    p.kind = kind;
                }
                if let Some(round) = body.round {
                    p.round = round;
                }
                if let Some(category) = body.category {
                    p.category = category;
                }
                if let Some(channel) = body.channel {
                    p.channel = channel;
                }
                if let Some(urgent) = body.urgent {
                    p.urgent = urgent;
                }
                if let Some(active) = body.active {
                    p.active = active;
                }
                if let Some(clocks) = body.clocks {
                    p.clocks = clocks.into_iter().map(Into::into).collect();
                }
                check(&p, name_errors)?;
                crate::workflow::policies::update(c, &p, now).map_err(ApiError::from)
            })
        })
        .await
}

/// Delete a deadline policy for good (to stop using it but keep it, set `active: false`).
/// Tickets that ran under it keep their due dates.
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 204),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "policy_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/sla-policies/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let deleted = state
        .db(move |conn| db::write(conn, |c| policies::delete(c, id)))
        .await?;
    if !deleted {
        return Err(ApiError::not_found("policy_not_found"));
    }
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayOverride {
    /// `true`: worked (e.g. a Saturday worked in exchange); `false`: off (e.g. a bridge day).
    pub working: bool,
    /// Why, e.g. the decision that moved the day; up to 200 characters (empty if omitted).
    #[serde(default)]
    pub note: String,
}

fn path_date(raw: &str) -> Result<NaiveDate, ApiError> {
    let mut v = Violations::new();
    let date = parse_date(&mut v, "/date", raw);
    v.finish()?;
    Ok(date.expect("checked"))
}

/// The day as the public calendar shows it, read in the same transaction.
fn one_day(
    conn: &mut db::DbConn,
    date: NaiveDate,
    lang: crate::i18n::Lang,
) -> Result<CalendarDay, ApiError> {
    let rows = calendar::between(conn, date, date)?;
    calendar_days(&rows, date, date, lang)
        .pop()
        .ok_or_else(|| ApiError::internal("a one-day range has one day"))
}

/// Make a date worked or not, whatever it would be by default (a bridge day off, a Saturday
/// worked in exchange, a holiday worked). Running tickets keep their due dates.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = DayOverride,
    params(("date" = NaiveDate, Path, description = "YYYY-MM-DD")),
    responses((status = 200, body = CalendarDay),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/admin/calendar/{date}")]
pub async fn set_day(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    path: web::Path<String>,
    ApiJson(body): ApiJson<DayOverride>,
) -> Result<HttpResponse, ApiError> {
    let day = set_override(&state, &path.into_inner(), body, ctx.lang).await?;
    Ok(HttpResponse::Ok().json(day))
}

/// Makes the date `raw` (`YYYY-MM-DD`) worked or not (the API's PUT and the console's form);
/// the day as the calendar now shows it.
pub async fn set_override(
    state: &AppState,
    raw: &str,
    body: DayOverride,
    lang: crate::i18n::Lang,
) -> Result<CalendarDay, ApiError> {
    let mut v = Violations::new();
    let date = parse_date(&mut v, "/date", raw);
    let note = v.line("/note", &body.note, 0, 200);
    v.finish()?;
    let date = date.expect("checked");
    let now = state.clock.now_naive();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                calendar::set_override(c, date, body.working, &note, now)?;
                one_day(c, date, lang)
            })
        })
        .await
}

/// Remove a date's override: it is a holiday again if it is a shipped one, else a plain
/// weekday or weekend. Answers the day as it is now.
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    params(("date" = NaiveDate, Path, description = "YYYY-MM-DD")),
    responses((status = 200, body = CalendarDay),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "override_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/admin/calendar/{date}")]
pub async fn remove_day(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ctx: RequestContext,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let day = remove_override(&state, &path.into_inner(), ctx.lang).await?;
    Ok(HttpResponse::Ok().json(day))
}

/// Removes the override of the date `raw` (the API's DELETE and the console's button); 404
/// `override_not_found` when it has none.
pub async fn remove_override(
    state: &AppState,
    raw: &str,
    lang: crate::i18n::Lang,
) -> Result<CalendarDay, ApiError> {
    let date = path_date(raw)?;
    let now = state.clock.now_naive();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                if !calendar::remove_override(c, date, now)? {
                    return Err(ApiError::not_found("override_not_found"));
                }
                one_day(c, date, lang)
            })
        })
        .await
}
