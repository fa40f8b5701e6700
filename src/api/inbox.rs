//! Working lists: an official's inbox (the tickets of the units they work) and its counts,
//! the signed-in user's own submissions, and the open public tickets near a point that a
//! citizen may be about to report again. Items are compact summaries: no description, no
//! exact location, never the submitter's identity.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{OfficialOnly, RequireRole};
use crate::api::deadlines::parse_instant;
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::list::{List, Page, paginate};
use crate::api::routing::UnitRef;
use crate::api::sync::{Changes, Delta};
use crate::auth::CurrentUser;
use crate::db::categories;
use crate::db::inbox::{self, Assignee, Filter, Key, Near, Row, Sort};
use crate::db::sync::Position;
use crate::domain::geo::valid_lat_lon;
use crate::domain::text::contains_pattern;
use crate::domain::ticket::{Channel, Kind, Status};
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;

/// `q` longer than this is refused.
pub const SEARCH_MAX_CHARS: usize = 200;
/// How far from the point `GET /tickets/similar` looks.
pub const SIMILAR_RADIUS_M: f64 = 250.0;
/// How far back it looks.
pub const SIMILAR_DAYS: i64 = 30;
/// How many it returns at most.
pub const SIMILAR_MAX: usize = 20;

/// A status, or `open` for every status in which the unit still owes an answer
/// (`submitted`, `accepted`, `awaiting_info`, `suspended`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusFilter {
    Open,
    Submitted,
    Accepted,
    AwaitingInfo,
    Suspended,
    Resolved,
    Closed,
    Refused,
    Withdrawn,
}

impl StatusFilter {
    fn statuses(self) -> Vec<&'static str> {
        let one = match self {
            StatusFilter::Open => return inbox::open_statuses(),
            StatusFilter::Submitted => Status::Submitted,
            StatusFilter::Accepted => Status::Accepted,
            StatusFilter::AwaitingInfo => Status::AwaitingInfo,
            StatusFilter::Suspended => Status::Suspended,
            StatusFilter::Resolved => Status::Resolved,
            StatusFilter::Closed => Status::Closed,
            StatusFilter::Refused => Status::Refused,
            StatusFilter::Withdrawn => Status::Withdrawn,
        };
        vec![one.as_str()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxSort {
    /// The next deadline, soonest first; tickets without a running clock last.
    #[default]
    Due,
    /// Oldest first.
    Age,
    /// Newest first.
    Newest,
    /// Latest change first (a status change, an answer, a forward).
    Activity,
}

impl From<InboxSort> for Sort {
    fn from(s: InboxSort) -> Sort {
        match s {
            InboxSort::Due => Sort::Due,
            InboxSort::Age => Sort::Age,
            InboxSort::Newest => Sort::Newest,
            InboxSort::Activity => Sort::Activity,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    #[param(inline)]
    pub status: Option<StatusFilter>,
    pub kind: Option<Kind>,
    /// How the tickets came in: `app`, `in_person`, `post`, `phone`, `email`.
    pub channel: Option<Channel>,
    /// A category code: that category and every category below it.
    pub category: Option<String>,
    /// A commune code, or a province code (the province and its communes).
    pub area: Option<String>,
    /// `me`, `none` (unassigned) or a user id.
    pub assignee: Option<String>,
    /// Only tickets with (`true`) or without (`false`) a missed deadline.
    pub overdue: Option<bool>,
    /// Next deadline strictly before this moment: RFC 3339 with an offset (`+` encoded as
    /// `%2B`). Tickets without a running clock never match.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub due_before: Option<String>,
    /// Words in the title or description; diacritics and case do not matter
    /// (`duong hong` finds `Đường hỏng`). At most 200 characters.
    pub q: Option<String>,
    /// `due` (default), `age`, `newest` or `activity`. A cursor is valid only with the sort that made it.
    #[param(inline)]
    pub sort: Option<InboxSort>,
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// A ticket in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    pub code: String,
    pub kind: Kind,
    pub status: Status,
    /// The category code.
    pub category: String,
    pub title: String,
    pub area_code: String,
    /// The unit holding the ticket.
    pub unit_id: i64,
    pub assignee_id: Option<i64>,
    pub priority: i32,
    /// A deadline was missed.
    pub overdue: bool,
    /// The nearest deadline of the running clocks; `null` when none runs.
    pub next_due_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub supporters: i32,
}

impl From<Row> for InboxItem {
    fn from(r: Row) -> Self {
        InboxItem {
            kind: r.kind,
            status: r.status,
            code: r.code,
            category: r.category_code,
            title: r.title,
            area_code: r.area_code,
            unit_id: r.unit_id,
            assignee_id: r.assignee_id,
            priority: r.priority,
            overdue: r.overdue,
            next_due_at: r.next_due_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
            supporters: r.supporters,
        }
    }
}

fn too_long(v: &mut Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        v.add_error(FieldError::new(field, "too_long").arg("max", max));
    }
}

/// The tickets of the units the signed-in official works: their own unit, and its subunits
/// when the unit sees them. Officials only.
#[utoipa::path(tag = "inbox", operation_id = "inbox_list", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = List<InboxItem>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an official", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a bad filter, limit or cursor; unknown_category, unknown_area, invalid_assignee", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/inbox")]
pub async fn list(
    state: web::Data<AppState>,
    official: RequireRole<OfficialOnly>,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    listing(state, official.0, q).await
}

/// The tickets of the subtree a supervisor oversees (administrators: every unit), with the
/// inbox's filters, sorts and pages. Read-only: supervisors act on nothing but notes and
/// reopen requests, and never see a denouncer's identity (items carry none).
#[utoipa::path(tag = "supervision", operation_id = "supervision_list", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = List<InboxItem>),
        (status = 403, description = "not a supervisor", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/supervision/tickets")]
pub async fn supervised(
    state: web::Data<AppState>,
    supervisor: RequireRole<crate::api::caller::SupervisorOnly>,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    listing(state, supervisor.0, q).await
}

async fn listing(
    state: web::Data<AppState>,
    user: CurrentUser,
    q: InboxQuery,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<Key>::new(q.after.as_deref(), q.limit)?;
    let sort = Sort::from(q.sort.unwrap_or_default());
    let mut v = Violations::new();
    if page.after.as_ref().is_some_and(|k| k.sort() != sort) {
        v.add("/after", "invalid_cursor");
    }
    let me = user.id;
    let assignee = match q.assignee.as_deref().map(str::trim) {
        None => None,
        Some("me") => Some(Assignee::User(me)),
        Some("none") => Some(Assignee::Nobody),
        Some(other) => match other.parse::<i64>() {
            Ok(id) => Some(Assignee::User(id)),
            Err(_) => {
                v.add("/assignee", "invalid_assignee");
                None
            }
        },
    };
    let due_before = q
        .due_before
        .as_deref()
        .and_then(|raw| parse_instant(&mut v, "/due_before", raw))
        .map(|t| t.naive_utc());
    if let Some(text) = &q.q {
        too_long(&mut v, "/q", text, SEARCH_MAX_CHARS);
    }
    for (field, value) in [("/category", &q.category), ("/area", &q.area)] {
        if let Some(value) = value {
            too_long(&mut v, field, value, 100);
        }
    }
    v.finish()?;
    let search =
        q.q.as_deref()
            .filter(|t| !crate::domain::text::fold(t).is_empty())
            .map(contains_pattern);
    let mut filter = Filter {
        statuses: q.status.map(StatusFilter::statuses),
        kind: q.kind.map(Kind::as_str),
        channel: q.channel.map(Channel::as_str),
        assignee,
        overdue: q.overdue,
        due_before,
        search,
        ..Filter::default()
    };
    let (after, fetch) = (page.after.clone(), page.fetch());
    // Who sees what from the unit tree held in memory: the page is its one statement.
    let refs = state.reference::<ApiError>().await?;
    let rows = state
        .db(move |conn| {
            if let Some(code) = &q.category {
                if categories::find(conn, code)?.is_none() {
                    return Err(ApiError::field("/category", "unknown_category"));
                }
                filter.categories = Some(inbox::category_and_below(conn, code)?);
            }
            if let Some(code) = &q.area {
                let codes = inbox::area_and_below(conn, code)?
                    .ok_or_else(|| ApiError::field("/area", "unknown_area"))?;
                filter.areas = Some(codes);
            }
            let scope = crate::db::scope::of(&mut &*refs, user.role, user.unit_id)?;
            Ok(inbox::inbox(
                conn,
                &scope,
                &filter,
                sort,
                after.as_ref(),
                fetch,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |r| Key::of(sort, r),
        InboxItem::from,
    )))
}

/// Tickets per status; every status is present.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct StatusCounts {
    pub submitted: i64,
    pub accepted: i64,
    pub awaiting_info: i64,
    pub suspended: i64,
    pub resolved: i64,
    pub closed: i64,
    pub refused: i64,
    pub withdrawn: i64,
}

/// Counts over the official's inbox (the same units as `GET /inbox`).
#[derive(Debug, Serialize, ToSchema)]
pub struct InboxSummary {
    pub by_status: StatusCounts,
    /// `submitted`, `accepted`, `awaiting_info` and `suspended` together.
    pub open: i64,
    /// Open tickets with a missed deadline.
    pub overdue: i64,
    /// Open tickets nobody is assigned to.
    pub unassigned_open: i64,
    /// Open tickets whose next deadline falls within the next 24 hours (not yet passed).
    pub due_within_24h: i64,
}

impl From<inbox::Summary> for InboxSummary {
    fn from(s: inbox::Summary) -> Self {
        let mut by_status = StatusCounts::default();
        for (status, n) in s.by_status {
            let slot = match status {
                Status::Submitted => &mut by_status.submitted,
                Status::Accepted => &mut by_status.accepted,
                Status::AwaitingInfo => &mut by_status.awaiting_info,
                Status::Suspended => &mut by_status.suspended,
                Status::Resolved => &mut by_status.resolved,
                Status::Closed => &mut by_status.closed,
                Status::Refused => &mut by_status.refused,
                Status::Withdrawn => &mut by_status.withdrawn,
            };
            *slot = n;
        }
        InboxSummary {
            by_status,
            open: s.open,
            overdue: s.overdue,
            unassigned_open: s.unassigned_open,
            due_within_24h: s.due_within_24h,
        }
    }
}

/// Counts for the official's inbox: per status, open, overdue, unassigned and due soon.
#[utoipa::path(tag = "inbox", operation_id = "inbox_summary", security(("bearer" = [])),
    responses((status = 200, body = InboxSummary),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an official", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/inbox/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    official: RequireRole<OfficialOnly>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let user = official.0;
    let refs = state.reference::<ApiError>().await?;
    let s = state
        .db(move |conn| {
            let scope = crate::db::scope::of(&mut &*refs, user.role, user.unit_id)?;
            inbox::summary(conn, &scope, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(InboxSummary::from(s)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MyTicketsQuery {
    #[param(inline)]
    pub status: Option<StatusFilter>,
    pub after: Option<String>,
    /// 1–100, default 20 (100 for a delta).
    pub limit: Option<i64>,
    /// RFC 3339: only the tickets changed at or after this time, as a delta (a first sync
    /// passes an old time to get everything). Not with `sync_token`, `after` or `status`.
    pub updated_since: Option<String>,
    /// The `sync_token` of the last delta: only what changed since. Not with `updated_since`,
    /// `after` or `status`.
    pub sync_token: Option<String>,
}

/// One of the caller's own tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTicket {
    #[serde(flatten)]
    pub ticket: InboxItem,
    pub unit: UnitRef,
}

/// A ticket in a delta: the ticket as the list shows it, or a tombstone for one that left the
/// caller's list (withdrawn, or closed as a duplicate of another) — drop it from the phone.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SyncedTicket {
    Live {
        #[serde(flatten)]
        ticket: MyTicket,
        /// Always `false`.
        deleted: bool,
    },
    Gone {
        code: String,
        /// Always `true`.
        deleted: bool,
    },
}

/// A page of the list, or (with `updated_since` or `sync_token`) a delta.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum MyTickets {
    List(List<MyTicket>),
    Changes(Changes<SyncedTicket>),
}

fn my_ticket(r: Row, units: &HashMap<i64, inbox::UnitName>) -> MyTicket {
    let unit = units
        .get(&r.unit_id)
        .map(|u| UnitRef {
            id: u.id,
            code: u.code.clone(),
            name: u.name.clone(),
        })
        .unwrap_or(UnitRef {
            id: r.unit_id,
            code: String::new(),
            name: String::new(),
        });
    MyTicket {
        ticket: InboxItem::from(r),
        unit,
    }
}

/// A changed ticket as a delta (and a live-update stream) sends it: live, or a tombstone.
pub fn synced(c: inbox::Changed, units: &HashMap<i64, inbox::UnitName>) -> SyncedTicket {
    if c.row.status == Status::Withdrawn || c.duplicate_of_id.is_some() {
        SyncedTicket::Gone {
            code: c.row.code,
            deleted: true,
        }
    } else {
        SyncedTicket::Live {
            ticket: my_ticket(c.row, units),
            deleted: false,
        }
    }
}

/// The names of the units of `rows`, in `lang`.
pub fn unit_names<'a>(
    conn: &mut crate::db::DbConn,
    rows: impl Iterator<Item = &'a Row>,
    lang: crate::i18n::Lang,
) -> Result<HashMap<i64, inbox::UnitName>, ApiError> {
    let mut ids: Vec<i64> = rows.map(|r| r.unit_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(inbox::unit_names(conn, &ids, lang)?)
}

/// The signed-in user's own submissions, newest first; or, with `updated_since` or
/// `sync_token`, a delta: the ones changed since, in change order, withdrawn and merged ones
/// as tombstones `{code, deleted: true}`, with the `sync_token` for next time (400
/// `invalid_timestamp`, `invalid_sync_token`, `sync_params_conflict`).
#[utoipa::path(tag = "inbox", operation_id = "my_tickets", security(("bearer" = [])), params(MyTicketsQuery),
    responses((status = 200, body = MyTickets),
        (status = 400, description = "invalid_timestamp, invalid_sync_token, sync_params_conflict", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me/tickets")]
pub async fn mine(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MyTicketsQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = rctx.lang;
    let delta = Delta::parse(
        q.updated_since.as_deref(),
        q.sync_token.as_deref(),
        q.after.is_some() || q.status.is_some(),
        q.limit,
    )?;
    if let Some(delta) = delta {
        let d = delta.clone();
        let (horizon, rows, units) = state
            .db(move |conn| -> Result<_, ApiError> {
                let horizon = crate::db::sync::horizon(conn)?;
                let rows = inbox::submitted_changed(conn, user.id, d.after, d.since, d.fetch())?;
                let units = unit_names(conn, rows.iter().map(|c| &c.row), lang)?;
                Ok((horizon, rows, units))
            })
            .await?;
        let changes = delta.finish(
            horizon,
            rows,
            |c| Position {
                tx: c.change_tx,
                id: c.row.id,
            },
            |c| synced(c, &units),
        );
        return Ok(HttpResponse::Ok().json(changes));
    }
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let statuses = q.status.map(StatusFilter::statuses);
    let (after, fetch) = (page.after, page.fetch());
    let (rows, units) = state
        .db(move |conn| -> Result<_, ApiError> {
            let rows = inbox::submitted_by(conn, user.id, statuses.as_deref(), after, fetch)?;
            let units = unit_names(conn, rows.iter(), lang)?;
            Ok((rows, units))
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |r| r.id,
        |r| my_ticket(r, &units),
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// The category about to be chosen: that category and those below it are searched.
    pub category: String,
    /// WGS 84 degrees.
    pub lat: f64,
    pub lon: f64,
}

/// An open public ticket near the point.
#[derive(Debug, Serialize, ToSchema)]
pub struct SimilarTicket {
    pub code: String,
    pub title: String,
    pub status: Status,
    /// Rounded to 0.001° (about 100 m), as public views show it.
    pub lat: f64,
    pub lon: f64,
    /// Whole metres from the point to the rounded location above, so that it tells no more
    /// than the rounded location does.
    pub distance_m: u32,
    pub supporters: i32,
    pub created_at: DateTime<Utc>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Open public tickets of the category (and those below it) within 250 m of the point,
/// created in the last 30 days, nearest first, at most 20 — shown before submitting, so that
/// a citizen can support or follow an existing report instead of sending another. No
/// sign-in; `next_cursor` is always `null`.
#[utoipa::path(tag = "inbox", operation_id = "similar_tickets", params(SimilarQuery),
    responses((status = 200, body = List<SimilarTicket>),
        (status = 422, description = "missing or out-of-range lat/lon, unknown_category", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/tickets/similar")]
pub async fn similar(
    state: web::Data<AppState>,
    ApiQuery(q): ApiQuery<SimilarQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    if !valid_lat_lon(q.lat, 0.0) {
        v.add_error(
            FieldError::new("/lat", "out_of_range")
                .arg("min", -90)
                .arg("max", 90),
        );
    }
    if !valid_lat_lon(0.0, q.lon) {
        v.add_error(
            FieldError::new("/lon", "out_of_range")
                .arg("min", -180)
                .arg("max", 180),
        );
    }
    too_long(&mut v, "/category", &q.category, 100);
    v.finish()?;
    let since = state.clock.now_naive() - Duration::days(SIMILAR_DAYS);
    let (lat, lon) = (q.lat, q.lon);
    let found = state
        .db(move |conn| {
            if categories::find(conn, &q.category)?.is_none() {
                return Err(ApiError::field("/category", "unknown_category"));
            }
            let near = Near {
                categories: inbox::category_and_below(conn, &q.category)?,
                lat,
                lon,
                radius_m: SIMILAR_RADIUS_M,
                since,
            };
            Ok(inbox::nearby(conn, &near)?)
        })
        .await?;
    let mut items: Vec<SimilarTicket> = found
        .into_iter()
        .filter_map(|(t, _)| {
            let (tlat, tlon) = (round3(t.lat?), round3(t.lon?));
            Some(SimilarTicket {
                distance_m: crate::domain::geo::distance_m(lat, lon, tlat, tlon).round() as u32,
                lat: tlat,
                lon: tlon,
                status: t.status,
                code: t.code,
                title: t.title,
                supporters: t.supporters,
                created_at: t.created_at.and_utc(),
            })
        })
        .collect();
    // Nearest first by what is shown; the sort is stable, so ties keep the exact order.
    items.sort_by_key(|i| i.distance_m);
    items.truncate(SIMILAR_MAX);
    Ok(HttpResponse::Ok().json(List {
        items,
        next_cursor: None,
    }))
}
