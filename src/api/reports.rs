//! Reports for supervisors (over the subtree of the unit they oversee) and administrators
//! (over every unit): response times, the open tickets past a deadline, one unit's record.
//! Figures only: no report carries a name, a contact or a denouncer's identity.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{RequireRole, SupervisorOnly};
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::list::{List, Page, paginate};
use crate::api::spreadsheet::{Cell, csv_document};
use crate::auth::CurrentUser;
use crate::db::reports::{self, Scope, UnitName};
use crate::db::{DbConn, inbox};
use crate::domain::account::Role;
use crate::domain::deadlines::DayEnd;
use crate::domain::report::{Figures, Tally, month_of, months_between};
use crate::domain::ticket::{Channel, Kind, Status};
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::state::AppState;
pub use crate::workflow::refs::UnitRef;

/// Reports cover dates in these years.
pub const MIN_YEAR: i32 = 2000;
pub const MAX_YEAR: i32 = 2100;

/// The longest period a report covers.
pub const MAX_PERIOD_DAYS: i64 = 3_700;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// The unit holding the ticket now.
    #[default]
    Unit,
    Category,
    Kind,
    /// The local month (Asia/Ho_Chi_Minh) of receipt, `YYYY-MM`.
    Month,
    /// How it arrived: `app`, `web`, `in_person`, … (`domain::ticket::Channel`).
    Channel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResponseTimesQuery {
    /// First day of the period (local date, inclusive). Default: the first day of the month
    /// eleven months before `to`.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    /// Last day of the period (local date, inclusive). Default: today.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<NaiveDate>,
    /// Only this unit's tickets (and its subunits' with `include_subunits=true`). It must lie
    /// in the subtree the caller oversees (403 `report_scope_forbidden`).
    pub unit_id: Option<i64>,
    /// With `unit_id`: the unit's whole subtree. Default `false`.
    pub include_subunits: Option<bool>,
    pub kind: Option<Kind>,
    /// How the tickets came in: `app`, `in_person`, `post`, `phone`, `email`.
    pub channel: Option<Channel>,
    /// A category code: that category and every category below it.
    pub category: Option<String>,
    /// A commune code, or a province code (the province and its communes).
    pub area_code: Option<String>,
    /// Default `unit`.
    #[param(inline)]
    pub group_by: Option<GroupBy>,
    /// `json` (default) or `csv` (`text/csv; charset=utf-8`, UTF-8 with a byte-order mark).
    #[param(inline)]
    pub format: Option<Format>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// One group's figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Group {
    /// The unit id, category code, kind or month `YYYY-MM`.
    pub key: String,
    /// The unit's or category's name in the caller's language; the kind or month again.
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseTimes {
    pub period: Period,
    pub group_by: GroupBy,
    /// The moment the figures are as of.
    pub generated_at: DateTime<Utc>,
    /// Every ticket of the report together.
    pub totals: Figures,
    /// Groups with at least one ticket, by key.
    pub groups: Vec<Group>,
}

/// The units a caller's reports may cover: `None` for an administrator (every unit), the
/// overseen subtree for a supervisor.
fn oversight(conn: &mut DbConn, user: &CurrentUser) -> Result<Option<Vec<i64>>, ApiError> {
    match user.role {
        Role::Admin | Role::Supervisor => {
            Ok(crate::db::scope::of(conn, user.role, user.unit_id)?.units)
        }
        _ => Ok(Some(vec![])),
    }
}

fn scope_forbidden() -> ApiError {
    ApiError::client(
        actix_web::http::StatusCode::FORBIDDEN,
        "report_scope_forbidden",
    )
}

/// The units of the report: the asked unit (with its subtree) inside the caller's oversight.
pub fn report_units(
    conn: &mut DbConn,
    user: &CurrentUser,
    unit_id: Option<i64>,
    include_subunits: bool,
) -> Result<Option<Vec<i64>>, ApiError> {
    let allowed = oversight(conn, user)?;
    let Some(unit) = unit_id else {
        return Ok(allowed);
    };
    if crate::db::units::find(conn, unit)?.is_none() {
        return Err(ApiError::field("/unit_id", "unknown_unit"));
    }
    if allowed.as_ref().is_some_and(|a| !a.contains(&unit)) {
        return Err(scope_forbidden());
    }
    if include_subunits {
        Ok(Some(crate::db::units::subtree(conn, unit)?))
    } else {
        Ok(Some(vec![unit]))
    }
}

/// A report's period: local dates, both included, and the UTC instants they span.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// 00:00 of `from`, local.
    pub start: chrono::NaiveDateTime,
    /// 24:00 of `to`, local (excluded).
    pub until: chrono::NaiveDateTime,
}

/// What figures are read as of: the local days, the moment, the language of labels.
#[derive(Debug, Clone, Copy)]
pub struct AsOf {
    pub day_end: DayEnd,
    pub now: DateTime<Utc>,
    pub lang: Lang,
}

/// `from`..=`to` as checked local dates, and the UTC instants they span.
pub fn period(
    day_end: &DayEnd,
    today: NaiveDate,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Span, ApiError> {
    // Far outside any ticket's life, and where date arithmetic would overflow.
    let mut outside = Vec::new();
    for (field, d) in [("/from", from), ("/to", to)] {
        if d.is_some_and(|d| !(MIN_YEAR..=MAX_YEAR).contains(&d.year())) {
            outside.push(
                FieldError::new(field, "out_of_range")
                    .arg("min", format!("{MIN_YEAR}-01-01"))
                    .arg("max", format!("{MAX_YEAR}-12-31")),
            );
        }
    }
    if !outside.is_empty() {
        return Err(ApiError::validation(outside));
    }
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| {
        let first = to.with_day(1).unwrap_or(to);
        (0..11).fold(first, |d, _| {
            (d - Duration::days(1)).with_day(1).unwrap_or(d)
        })
    });
    if from > to {
        return Err(ApiError::validation(vec![
            FieldError::new("/to", "period_reversed").arg("from", from),
        ]));
    }
    if (to - from).num_days() > MAX_PERIOD_DAYS {
        return Err(ApiError::validation(vec![
            FieldError::new("/to", "period_too_long").arg("max", MAX_PERIOD_DAYS),
        ]));
    }
    let start = day_end.end_of(from - Duration::days(1)) + Duration::seconds(1);
    let until = day_end.end_of(to) + Duration::seconds(1);
    Ok(Span {
        from,
        to,
        start: start.naive_utc(),
        until: until.naive_utc(),
    })
}

/// Category codes and area codes a filter expands to.
pub type Expanded = (Option<Vec<String>>, Option<Vec<String>>);

/// Expands the category and area filters (422 on unknown codes).
pub fn expand_filters(
    conn: &mut DbConn,
    category: Option<&str>,
    area: Option<&str>,
) -> Result<Expanded, ApiError> {
    let cats = match category {
        Some(code) => {
            if crate::db::categories::find(conn, code)?.is_none() {
                return Err(ApiError::field("/category", "unknown_category"));
            }
            Some(inbox::category_and_below(conn, code)?)
        }
        None => None,
    };
    let areas = match area {
        Some(code) => Some(
            inbox::area_and_below(conn, code)?
                .ok_or_else(|| ApiError::field("/area_code", "unknown_area"))?,
        ),
        None => None,
    };
    Ok((cats, areas))
}

fn label_of(
    group_by: GroupBy,
    key: &str,
    units: &std::collections::HashMap<i64, UnitName>,
    cats: &std::collections::HashMap<String, (String, String)>,
    lang: Lang,
) -> String {
    match group_by {
        GroupBy::Unit => key
            .parse::<i64>()
            .ok()
            .and_then(|id| units.get(&id))
            .map_or_else(
                || key.to_string(),
                |u| lang.pick(&u.name_vi, &u.name_en).to_string(),
            ),
        GroupBy::Category => cats
            .get(key)
            .map_or_else(|| key.to_string(), |(vi, en)| lang.pick(vi, en).to_string()),
        GroupBy::Kind | GroupBy::Month | GroupBy::Channel => key.to_string(),
    }
}

/// Computes the report: the tickets of `scope` grouped by `group_by`.
pub fn compute(
    conn: &mut DbConn,
    scope: &Scope,
    group_by: GroupBy,
    at: &AsOf,
) -> Result<(Figures, Vec<Group>), ApiError> {
    let (day_end, now, lang) = (&at.day_end, at.now, at.lang);
    let cal = crate::db::calendar::load(conn)?;
    let mut total = Tally::default();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    reports::cohort(conn, scope, &cal, day_end, now, |row, facts| {
        let key = match group_by {
            GroupBy::Unit => row.unit_id.to_string(),
            GroupBy::Category => row.category_code.clone(),
            GroupBy::Kind => row.kind.as_str().to_string(),
            GroupBy::Month => month_of(day_end, row.received_at.and_utc()),
            GroupBy::Channel => row.channel.clone(),
        };
        total.add(&facts, &cal, day_end);
        groups.entry(key).or_default().add(&facts, &cal, day_end);
    })?;
    let units = reports::unit_names(conn)?;
    let cats: std::collections::HashMap<String, (String, String)> =
        crate::db::categories::all(conn, true)?
            .into_iter()
            .map(|c| (c.code, (c.name_vi, c.name_en)))
            .collect();
    let mut out: Vec<Group> = groups
        .into_iter()
        .map(|(key, tally)| Group {
            label: label_of(group_by, &key, &units, &cats, lang),
            key,
            figures: tally.figures(),
        })
        .collect();
    if group_by == GroupBy::Unit {
        out.sort_by_key(|g| g.key.parse::<i64>().unwrap_or(i64::MAX));
    }
    Ok((total.figures(), out))
}

/// Response times, for a period and a scope, grouped.
///
/// For supervisors over the subtree of the unit they oversee, administrators over every unit
/// (citizens and officials: 403 `action_forbidden`; a `unit_id` outside the caller's subtree:
/// 403 `report_scope_forbidden`). `format=csv` gives the same numbers as `text/csv;
/// charset=utf-8` opening with a UTF-8 byte-order mark, one row per group.
///
/// **Which tickets.** A report covers the tickets *received* in the period: `received_at` on
/// or after 00:00 of `from` and before 24:00 of `to`, local time (Asia/Ho_Chi_Minh), held now
/// by a unit of the scope, of the kind, category (and its subcategories) and area (a commune,
/// or a province and its communes) asked. Every figure describes these tickets as they stand
/// at `generated_at`. A ticket belongs to the group of the unit holding it now, its category,
/// its kind, or the local month it was received.
///
/// **Counts.** `received`: every ticket of the report. `accepted`: accepted by the unit
/// holding it (`accepted_at` set; it stays set through resolution, reopening and withdrawal;
/// forwarding clears it). `resolved`: status `resolved` or `closed` with an answer in force.
/// `refused`, `withdrawn`: that status. `closed_as_duplicate`: closed without an answer.
/// `open`: status `submitted`, `accepted`, `awaiting_info` or `suspended`. `received` =
/// `resolved + refused + withdrawn + closed_as_duplicate + open`. `open_overdue`: open
/// tickets with a clock (`accept`, `forward`, `resolve` or `update`) that is running, not
/// paused, past its due moment.
///
/// **Times.** `time_to_accept`: from receipt to `accepted_at`, over the accepted tickets.
/// `time_to_resolve`: from receipt to the answer in force, over the resolved tickets. Paused
/// time is left out: from an `info_requested` event to the next `info_provided`, and from
/// `suspended` to `resumed`. `hours`: the seconds left, divided by 3600, to 2 decimals.
/// `working_days`: the working days after the day of receipt up to and including the day of
/// the end (weekends, public holidays and the calendar's overrides applied, local dates),
/// less, for each pause, the working days after the day it began up to and including the day
/// it ended (the deadline rules: the first day of a pause counts as used). Of each list:
/// `median` is the lower median (the ⌈n/2⌉-th smallest), `p90` the ⌈0.9·n⌉-th smallest,
/// `max` the largest; hours and working days are ranked separately; `null` when `count` is 0.
///
/// **On time.** Per clock (`accept`: the decision on acceptance; `resolve`: the answer), as
/// the deadline engine sees it at `generated_at`: `met` when the unit's action stopped it on
/// or before its due moment (a refusal is a decision and stops the clocks); `decided` = `met`
/// + missed, where missed means stopped after the due moment or still running past it. A clock
/// still running in time, paused, not started, or stopped by a withdrawal or a duplicate
/// before it was late is not decided. After a reopening the `resolve` clock judges the last
/// round. `on_time_rate` = `met / decided` (4 decimals, `null` when nothing was decided); the
/// top-level `on_time_rate` adds both clocks' `met` and `decided`.
///
/// **Others.** `extensions_used`: extensions granted, summed over the tickets' clocks;
/// `tickets_extended`: tickets with at least one. `reopened`: tickets reopened at least once;
/// `reopen_rate` = `reopened / (resolved + reopened tickets not resolved now)`, i.e. over
/// the tickets answered at least once. `ratings`: tickets rated (1–5); `mean_rating`: their
/// mean (2 decimals); `satisfied_share`: the share rated 4 or 5 (4 decimals).
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(ResponseTimesQuery),
    responses(
        (status = 200, body = ResponseTimes, content_type = "application/json"),
        (status = 200, description = "`format=csv`: UTF-8 with BOM, one row per group", body = String, content_type = "text/csv"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a supervisor or administrator (`action_forbidden`); a unit outside the caller's subtree (`report_scope_forbidden`)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a bad parameter: `period_reversed`, `period_too_long`, `unknown_unit`, `unknown_category`, `unknown_area`, an unknown `group_by` or `format`", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/reports/response-times")]
pub async fn response_times(
    state: web::Data<AppState>,
    who: RequireRole<SupervisorOnly>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<ResponseTimesQuery>,
) -> Result<HttpResponse, ApiError> {
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let span = period(&day_end, day_end.local_date(now), q.from, q.to)?;
    let user = who.0;
    let at = AsOf {
        day_end,
        now,
        lang: ctx.lang,
    };
    let format = q.format.unwrap_or_default();
    let report = state
        .db_lagging(move |conn| response_times_of(conn, &user, &q, span, &at))
        .await?;
    match format {
        Format::Json => Ok(HttpResponse::Ok().json(report)),
        Format::Csv => Ok(csv_reply(&report)),
    }
}

/// The response-times report of `q`'s filters over `span` for `user` (the scope checks of
/// [`report_units`]): what `GET /reports/response-times` and the console's supervision page
/// both show.
pub fn response_times_of(
    conn: &mut DbConn,
    user: &CurrentUser,
    q: &ResponseTimesQuery,
    span: Span,
    at: &AsOf,
) -> Result<ResponseTimes, ApiError> {
    let group_by = q.group_by.unwrap_or_default();
    let units = report_units(conn, user, q.unit_id, q.include_subunits.unwrap_or(false))?;
    let (categories, areas) = expand_filters(conn, q.category.as_deref(), q.area_code.as_deref())?;
    let scope = Scope {
        units,
        kind: q.kind,
        channel: q.channel,
        categories,
        areas,
        from: span.start,
        until: span.until,
    };
    let (totals, groups) = compute(conn, &scope, group_by, at)?;
    Ok(ResponseTimes {
        period: Period {
            from: span.from,
            to: span.to,
        },
        group_by,
        generated_at: at.now,
        totals,
        groups,
    })
}

/// The report as a CSV download (`format=csv`).
pub fn csv_reply(report: &ResponseTimes) -> HttpResponse {
    let (from, to) = (report.period.from, report.period.to);
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"response-times-{from}-{to}.csv\""),
        ))
        .body(csv(report))
}

/// The CSV columns, in order (the figures' names are the domain's).
pub use crate::domain::report::CSV_COLUMNS;

/// A number written as in the JSON (`1.0`, `0.6667`); empty for `null`.
fn opt<T: Serialize>(v: Option<T>) -> Cell {
    Cell::Number(
        v.and_then(|x| serde_json::to_string(&x).ok())
            .unwrap_or_default(),
    )
}

/// The report as CSV (see [`csv_document`]): the header, one row per group. The key and the
/// label (a unit's or category's name, set by administrators) are text cells, neutralised
/// for spreadsheets; the figures are numbers.
pub fn csv(r: &ResponseTimes) -> String {
    let group_by = serde_json::to_value(r.group_by)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let rows: Vec<Vec<Cell>> = r
        .groups
        .iter()
        .map(|g| {
            let f = &g.figures;
            let mut row = vec![
                Cell::Text(group_by.clone()),
                Cell::Text(g.key.clone()),
                Cell::Text(g.label.clone()),
            ];
            row.extend(
                [
                    f.received,
                    f.accepted,
                    f.resolved,
                    f.refused,
                    f.withdrawn,
                    f.closed_as_duplicate,
                    f.open,
                    f.open_overdue,
                ]
                .map(|n| Cell::Number(n.to_string())),
            );
            for t in [&f.time_to_accept, &f.time_to_resolve] {
                row.push(Cell::Number(t.count.to_string()));
                row.push(opt(t.hours.map(|s| s.median)));
                row.push(opt(t.hours.map(|s| s.p90)));
                row.push(opt(t.hours.map(|s| s.max)));
                row.push(opt(t.working_days.map(|s| s.median)));
                row.push(opt(t.working_days.map(|s| s.p90)));
                row.push(opt(t.working_days.map(|s| s.max)));
            }
            for name in crate::domain::report::REPORTED_CLOCKS {
                let c = f.on_time.get(name);
                row.push(opt(c.map(|c| c.met)));
                row.push(opt(c.map(|c| c.decided)));
                row.push(opt(c.and_then(|c| c.on_time_rate)));
            }
            row.push(opt(f.on_time_rate));
            row.push(Cell::Number(f.extensions_used.to_string()));
            row.push(Cell::Number(f.tickets_extended.to_string()));
            row.push(Cell::Number(f.reopened.to_string()));
            row.push(opt(f.reopen_rate));
            row.push(Cell::Number(f.ratings.to_string()));
            row.push(opt(f.mean_rating));
            row.push(opt(f.satisfied_share));
            row
        })
        .collect();
    csv_document(CSV_COLUMNS, rows.iter().map(Vec::as_slice))
}

// --- overdue ---------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OverdueQuery {
    /// Only this unit's tickets (with `include_subunits=true`, its subtree); it must lie in the
    /// caller's subtree (403 `report_scope_forbidden`).
    pub unit_id: Option<i64>,
    pub include_subunits: Option<bool>,
    pub kind: Option<Kind>,
    /// How the tickets came in: `app`, `in_person`, `post`, `phone`, `email`.
    pub channel: Option<Channel>,
    pub category: Option<String>,
    pub area_code: Option<String>,
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LateClock {
    /// `accept`, `forward`, `resolve` or `update`.
    pub name: String,
    pub due_at: DateTime<Utc>,
    /// Seconds since `due_at`.
    pub late_seconds: i64,
}

/// An open ticket past a deadline. No title (a denunciation's could identify someone), no
/// submitter.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverdueItem {
    pub code: String,
    pub kind: Kind,
    pub status: Status,
    pub category: String,
    pub area_code: String,
    pub unit: UnitRef,
    pub received_at: DateTime<Utc>,
    /// The earliest due moment passed.
    pub due_at: DateTime<Utc>,
    /// Seconds since `due_at` (how late).
    pub late_seconds: i64,
    /// Whole days since `due_at`.
    pub late_days: i64,
    /// Every clock past due, earliest first.
    pub clocks: Vec<LateClock>,
}

/// Open tickets past a deadline, most late first.
///
/// Open tickets (`submitted`, `accepted`, `awaiting_info`, `suspended`) of the caller's
/// subtree with at least one clock running past its due moment; sorted by the earliest due
/// moment passed (the most late first), then by ticket. Supervisors and administrators.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(OverdueQuery),
    responses((status = 200, body = List<OverdueItem>),
        (status = 403, description = "`action_forbidden`, `report_scope_forbidden`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/reports/overdue")]
pub async fn overdue(
    state: web::Data<AppState>,
    who: RequireRole<SupervisorOnly>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<OverdueQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<(chrono::NaiveDateTime, i64)>::new(q.after.as_deref(), q.limit)?;
    let now = state.clock.now();
    let user = who.0;
    let lang = ctx.lang;
    let (after, fetch) = (page.after, page.fetch());
    let (rows, units) = state
        .db_lagging(move |conn| -> Result<_, ApiError> {
            let units = report_units(conn, &user, q.unit_id, q.include_subunits.unwrap_or(false))?;
            let (categories, areas) =
                expand_filters(conn, q.category.as_deref(), q.area_code.as_deref())?;
            let scope = Scope {
                units,
                kind: q.kind,
                channel: q.channel,
                categories,
                areas,
                ..Scope::default()
            };
            let rows = reports::overdue(conn, &scope, now.naive_utc(), after, fetch)?;
            Ok((rows, reports::unit_names(conn)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |r| (r.due_at, r.ticket_id),
        |r| overdue_item(r, &units, now, lang),
    )))
}

/// An overdue ticket as the API and the console show it: no title, no submitter.
pub fn overdue_item(
    r: reports::Overdue,
    units: &std::collections::HashMap<i64, UnitName>,
    now: DateTime<Utc>,
    lang: Lang,
) -> OverdueItem {
    let late = |due: chrono::NaiveDateTime| (now - due.and_utc()).num_seconds();
    OverdueItem {
        kind: r.kind,
        status: r.status,
        unit: unit_ref(units, r.unit_id, lang),
        received_at: r.received_at.and_utc(),
        due_at: r.due_at.and_utc(),
        late_seconds: late(r.due_at),
        late_days: late(r.due_at) / 86_400,
        clocks: r
            .clocks
            .into_iter()
            .map(|(name, due)| LateClock {
                name,
                due_at: due.and_utc(),
                late_seconds: late(due),
            })
            .collect(),
        code: r.code,
        category: r.category_code,
        area_code: r.area_code,
    }
}

pub fn unit_ref(units: &std::collections::HashMap<i64, UnitName>, id: i64, lang: Lang) -> UnitRef {
    match units.get(&id) {
        Some(u) => UnitRef {
            id,
            code: u.code.clone(),
            name: lang.pick(&u.name_vi, &u.name_en).to_string(),
        },
        None => UnitRef {
            id,
            code: String::new(),
            name: String::new(),
        },
    }
}

// --- one unit ----------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnitRecordQuery {
    /// Default: the first day of the month eleven months before `to`.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    /// Default: today.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<NaiveDate>,
    /// Count the subunits' tickets too. Default `false`.
    pub include_subunits: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`, local time.
    pub month: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitRecord {
    pub unit: UnitRef,
    pub include_subunits: bool,
    pub period: Period,
    pub generated_at: DateTime<Utc>,
    /// The whole period (the definitions of `GET /reports/response-times`).
    pub totals: Figures,
    /// Every month of the period, in order, months without tickets included.
    pub months: Vec<MonthFigures>,
}

/// Builds a unit's record: its totals and its trend by month.
pub fn unit_record(
    conn: &mut DbConn,
    unit: i64,
    units: Vec<i64>,
    include_subunits: bool,
    span: Span,
    at: &AsOf,
) -> Result<UnitRecord, ApiError> {
    let (from, to, now, lang) = (span.from, span.to, at.now, at.lang);
    let scope = Scope {
        units: Some(units),
        from: span.start,
        until: span.until,
        ..Scope::default()
    };
    let (totals, groups) = compute(conn, &scope, GroupBy::Month, at)?;
    let mut by_month: BTreeMap<String, Figures> =
        groups.into_iter().map(|g| (g.key, g.figures)).collect();
    let months = months_between(from, to)
        .into_iter()
        .map(|month| MonthFigures {
            figures: by_month
                .remove(&month)
                .unwrap_or_else(|| Tally::default().figures()),
            month,
        })
        .collect();
    let names = reports::unit_names(conn)?;
    Ok(UnitRecord {
        unit: unit_ref(&names, unit, lang),
        include_subunits,
        period: Period { from, to },
        generated_at: now,
        totals,
        months,
    })
}

/// One unit's record and its trend by month.
///
/// The figures of `GET /reports/response-times` for the tickets the unit holds now (with
/// `include_subunits=true`, its subtree's), over the period and for each month of it
/// (tickets grouped by the local month of receipt). Supervisors over their subtree (403
/// `report_scope_forbidden` outside it), administrators over every unit.
#[utoipa::path(tag = "reports", security(("bearer" = [])), params(("id" = i64, Path), UnitRecordQuery),
    responses((status = 200, body = UnitRecord),
        (status = 403, description = "`action_forbidden`, `report_scope_forbidden`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`unit_not_found`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/reports/units/{id}")]
pub async fn unit_report(
    state: web::Data<AppState>,
    who: RequireRole<SupervisorOnly>,
    ctx: RequestContext,
    path: web::Path<i64>,
    ApiQuery(q): ApiQuery<UnitRecordQuery>,
) -> Result<HttpResponse, ApiError> {
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let span = period(&day_end, day_end.local_date(now), q.from, q.to)?;
    let id = path.into_inner();
    let user = who.0;
    let at = AsOf {
        day_end,
        now,
        lang: ctx.lang,
    };
    let subunits = q.include_subunits.unwrap_or(false);
    let record = state
        .db_lagging(move |conn| {
            if crate::db::units::find(conn, id)?.is_none() {
                return Err(ApiError::not_found("unit_not_found"));
            }
            let units = report_units(conn, &user, Some(id), subunits)?.unwrap_or_default();
            unit_record(conn, id, units, subunits, span, &at)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}
