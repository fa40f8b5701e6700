//! The heads' reception days and their bookings. See `workflow::reception_days`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{NaiveDate, NaiveTime};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{OfficialOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::auth::CurrentUser;
use crate::db;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::reception_days::{self as days, BookingView, DayView, NewDayIn};

/// The most slots a day may offer.
const SLOTS_MAX: i32 = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DayRequest {
    /// The local date (today or later).
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Local time `HH:MM`.
    pub start: String,
    /// Local time `HH:MM`, after `start`.
    pub end: String,
    /// 1–200 characters.
    pub place: String,
    /// The official who receives: the unit's head or a deputy (a user id of the unit).
    pub host: i64,
    /// Bookable slots (1–500); default `receptions.slots_per_day`.
    pub slots: Option<i32>,
}

/// Publish a reception day of the unit's head (officials of that unit only).
#[utoipa::path(tag = "receptions", security(("bearer" = [])), request_body = DayRequest,
    params(("id" = i64, Path, description = "The unit"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = DayView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/units/{id}/reception-days")]
pub async fn schedule(
    state: web::Data<AppState>,
    rctx: RequestContext,
    who: RequireRole<OfficialOnly>,
    path: web::Path<i64>,
    creating: Creating<DayRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let mut v = Violations::new();
    let place = v.line("/place", &body.place, 1, 200);
    let time = |v: &mut Violations, field: &str, t: &str| {
        v.parse(field, t, |t| {
            NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| "invalid_time")
        })
    };
    let start = time(&mut v, "/start", &body.start);
    let end = time(&mut v, "/end", &body.end);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        v.add("/end", "end_before_start");
    }
    let slots = body
        .slots
        .unwrap_or(state.settings.receptions.slots_per_day);
    v.range("/slots", slots, 1, SLOTS_MAX);
    v.finish()?;
    let (Some(start), Some(end)) = (start, end) else {
        return Err(ApiError::field("/start", "invalid_time"));
    };
    let day = NewDayIn {
        date: body.date,
        start,
        end,
        place,
        host_id: body.host,
        slots,
    };
    let user = who.0;
    let unit_id = path.into_inner();
    let scope = idempotency::scope(Some(user.id), "");
    let lang = rctx.lang;
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(days::schedule(c, &user, unit_id, &day, &ctx, lang)?)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DaysQuery {
    /// A commune (its units and its province's) or a province (its units and its communes').
    pub area_code: Option<String>,
    /// From this local date (default today).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Upcoming reception days of the heads of a commune's or province's units, by date. Public.
#[utoipa::path(tag = "receptions", params(DaysQuery),
    responses((status = 200, body = List<DayView>),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/reception-days")]
pub async fn upcoming(
    state: web::Data<AppState>,
    rctx: RequestContext,
    ApiQuery(q): ApiQuery<DaysQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<(NaiveDate, i64)>::new(q.after.as_deref(), q.limit)?;
    let day_end = state.settings.deadlines.day_end();
    let from = q
        .from
        .unwrap_or_else(|| day_end.local_date(state.clock.now()));
    let lang = rctx.lang;
    let (after, fetch) = (page.after, page.fetch());
    let st = state.clone();
    let rows = state
        .db(move |c| {
            let ctx = st.ticket_ctx(c)?;
            Ok::<_, ApiError>(days::upcoming(
                c,
                q.area_code.as_deref(),
                from,
                after,
                fetch,
                &ctx,
                lang,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(rows, page.limit, |d| (d.date, d.id), |d| d)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    /// What the citizen comes about: 1–1,000 characters.
    pub topic: String,
}

/// Book a slot on a reception day (a verified citizen; one booking each per day). Reminded
/// the day before by push and email.
#[utoipa::path(tag = "receptions", security(("bearer" = [])), request_body = BookingRequest,
    params(("id" = i64, Path, description = "The reception day"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = BookingView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "already_booked / reception_day_full / reception_day_closed", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/reception-days/{id}/bookings")]
pub async fn book(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    creating: Creating<BookingRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let mut v = Violations::new();
    let topic = v.text("/topic", &body.topic, 1, 1_000);
    v.finish()?;
    let day_id = path.into_inner();
    let scope = idempotency::scope(Some(user.id), "");
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(days::book(c, &user, day_id, &topic, &ctx)?)
    })
    .await
}

/// Cancel one's booking.
#[utoipa::path(tag = "receptions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The booking")),
    responses((status = 204),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "booking_cancelled", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/reception-bookings/{id}")]
pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let st = state.clone();
    state
        .db(move |c| {
            db::write(c, |c| {
                let ctx = st.ticket_ctx(c)?;
                Ok::<_, ApiError>(days::cancel(c, &user, id, &ctx)?)
            })
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The day's bookings, in the order made: for the host unit's officials.
#[utoipa::path(tag = "receptions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The reception day")),
    responses((status = 200, body = List<BookingView>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/reception-days/{id}/bookings")]
pub async fn bookings(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let items = state
        .db(move |c| db::read(c, |c| Ok::<_, ApiError>(days::bookings(c, &user, id)?)))
        .await?;
    Ok(HttpResponse::Ok().json(List {
        items,
        next_cursor: None,
    }))
}
