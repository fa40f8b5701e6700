//! The audit trail over HTTP: verification for supervisors and administrators, the published
//! daily roots for anyone, and the administrators' log.

use actix_web::{HttpResponse, get, web};
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{AdminOnly, RequireRole, SupervisorOnly};
use crate::api::error::ApiError;
use crate::api::extract::ApiQuery;
use crate::api::list::{List, Page, paginate};
use crate::db::audit::{self, AdminEntry, Root, Verification};
use crate::error::FieldError;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct Range {
    /// First day (UTC), `YYYY-MM-DD`; default: 30 days ago.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day (UTC), inclusive; default: today.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

fn range(state: &AppState, r: &Range, max_days: i64) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let today = state.clock.now().date_naive();
    let to = r.to.unwrap_or(today);
    let from = r.from.unwrap_or(to - Duration::days(30));
    if from > to {
        return Err(ApiError::validation(vec![FieldError::new(
            "/to",
            "before_from",
        )]));
    }
    if (to - from).num_days() > max_days {
        return Err(ApiError::validation(vec![
            FieldError::new("/to", "range_too_long").arg("max", max_days),
        ]));
    }
    Ok((from, to))
}

/// Recompute the hash chains of the events created in the range (and their texts), the
/// daily roots and the administrators' log; report the first record that does not match.
#[utoipa::path(tag = "audit", security(("bearer" = [])), params(Range),
    responses((status = 200, body = Verification), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/audit/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    _who: RequireRole<SupervisorOnly>,
    ApiQuery(q): ApiQuery<Range>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = range(&state, &q, 3660)?;
    let result = state
        .db(move |conn| Ok::<_, ApiError>(verification(conn, from, to)?))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// The verification of the days `from..=to` (UTC): what `GET /audit/verify` and the console's
/// supervision page report.
pub fn verification(
    conn: &mut crate::db::DbConn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Verification, crate::db::Error> {
    let start = from.and_hms_opt(0, 0, 0).unwrap_or_default();
    let end = (to + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    audit::verify(conn, start, end, &crate::progress::Progress::none())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Roots {
    /// Day by day: SHA-256 over the previous root and the day's event hashes in order.
    pub days: Vec<Root>,
}

/// The published daily roots of the audit chain: keep them, and check later that history
/// was not rewritten. No sign-in.
#[utoipa::path(tag = "public", params(Range), responses((status = 200, body = Roots)))]
#[get("/public/audit/roots")]
pub async fn roots(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<Range>,
) -> Result<HttpResponse, ApiError> {
    let (from, to) = range(&state, &q, 366)?;
    let days = state.db(move |conn| audit::roots(conn, from, to)).await?;
    Ok(HttpResponse::Ok().json(Roots { days }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// The administrators' log of configuration changes, oldest first.
#[utoipa::path(tag = "admin", security(("bearer" = [])), params(LogQuery),
    responses((status = 200, body = List<AdminEntry>)))]
#[get("/admin/audit-log")]
pub async fn admin_log(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ApiQuery(q): ApiQuery<LogQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |conn| audit::admin_entries(conn, after, fetch))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(rows, page.limit, |e| e.seq, |e| e)))
}
