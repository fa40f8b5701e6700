//! Reading requests: `requests.{fmt}` with the spec's filters and the paging extension,
//! `requests/{id}.{fmt}`, and FixMyStreet's `servicerequestupdates.{fmt}`. Only what the
//! public may read (`db::open311`), and never the sender's name, contact or address: the
//! place is the commune and the location rounded as on the public map.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

use super::{arg, lang_of, start};
use crate::api::extract::RequestContext;
use crate::api::public::round_coordinate;
use crate::db::open311::{self as store, RequestFilter, RequestRow};
use crate::db::reports;
use crate::i18n::Lang;
use crate::open311::format::{Node, Open311Error, respond};
use crate::open311::status::{extended_status, open_or_closed, states_of, update_kinds};
use crate::state::AppState;

/// The longest span a date filter may cover.
pub const MAX_SPAN_DAYS: i64 = 90;
/// `page_size` when a client does not page (and its most).
pub const PAGE_SIZE: i64 = 1_000;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct RequestsQuery {
    /// Request ids, comma-separated: overrides every other filter.
    pub service_request_id: Option<String>,
    /// Service codes, comma-separated.
    pub service_code: Option<String>,
    /// `open`, `closed`, or both comma-separated.
    pub status: Option<String>,
    /// W3C datetime (any offset, fractional seconds); on `requested_datetime`. With
    /// `end_date` at most 90 days apart; both absent: the last 90 days.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    /// From 1.
    pub page: Option<String>,
    /// 1–1000, default 1000.
    pub page_size: Option<String>,
    /// `true` adds `extended_attributes` (nghedan's status, the unit's code, the due dates).
    pub extensions: Option<String>,
    pub jurisdiction_id: Option<String>,
    pub locale: Option<String>,
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UpdatesQuery {
    /// W3C datetime; with `end_date` at most 90 days apart; absent: the last 90 days.
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub jurisdiction_id: Option<String>,
    pub locale: Option<String>,
}

/// A W3C datetime (`YYYY-MM-DD`, `…Thh:mmTZD`, `…Thh:mm:ss[.s]TZD`) in UTC.
pub fn parse_w3c(s: &str) -> Option<NaiveDateTime> {
    // A W3C datetime has no spaces: one is the `+` of an offset a client did not escape.
    let s = s.trim().replace(' ', "+");
    let s = s.as_str();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc).naive_utc());
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z") {
        return Some(d.with_timezone(&Utc).naive_utc());
    }
    if let Some(hm) = s.strip_suffix('Z')
        && let Ok(d) = NaiveDateTime::parse_from_str(hm, "%Y-%m-%dT%H:%M")
    {
        return Some(d);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// The span a date filter asks for: both ends given, one (the other 90 days away), or
/// neither (the last 90 days up to `now`). 400 for a bad date, a reversed or too long span.
pub fn span(
    start: Option<&str>,
    end: Option<&str>,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, NaiveDateTime), Open311Error> {
    let parse = |name: &str, v: Option<&str>| match v {
        None => Ok(None),
        Some(v) => parse_w3c(v).map(Some).ok_or_else(|| {
            Open311Error::bad_request(format!(
                "{name} is not a W3C datetime (e.g. 2026-12-01T00:00:00Z)"
            ))
        }),
    };
    let max = Duration::days(MAX_SPAN_DAYS);
    let (from, to) = match (parse("start_date", start)?, parse("end_date", end)?) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a + max),
        (None, Some(b)) => (b - max, b),
        (None, None) => (now - max, now),
    };
    if from > to {
        return Err(Open311Error::bad_request("start_date is after end_date"));
    }
    if to - from > max {
        return Err(Open311Error::bad_request(
            "start_date and end_date may be at most 90 days apart",
        ));
    }
    Ok((from, to))
}

fn w3c(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn comma_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect()
}

/// The names and files the rows need, read once per answer.
struct Context {
    units: HashMap<i64, reports::UnitName>,
    areas: HashMap<String, String>,
    media: HashMap<i64, Vec<(String, bool)>>,
    due: HashMap<i64, store::DueDates>,
    /// The tickets posted through Open311, with the media URL they were sent with.
    posted: HashMap<i64, Option<String>>,
}

fn load_context(
    conn: &mut crate::db::DbConn,
    rows: &[RequestRow],
) -> Result<Context, crate::db::Error> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let codes: Vec<String> = rows.iter().map(|r| r.area_code.clone()).collect();
    Ok(Context {
        posted: store::posted_through(conn, &ids)?,
        units: reports::unit_names(conn)?,
        areas: reports::area_names(conn, &codes)?,
        media: reports::public_attachments(conn, &ids)?,
        due: store::due_dates(conn, &ids)?,
    })
}

struct Shape<'a> {
    lang: Lang,
    extensions: bool,
    public_url: &'a str,
    categories: &'a HashMap<String, (String, String)>,
}

fn request_node(r: &RequestRow, ctx: &Context, shape: &Shape) -> Node {
    let status = r.status().ok();
    let unit = ctx.units.get(&r.unit_id);
    let due = ctx.due.get(&r.id).cloned().unwrap_or_default();
    let resolve_due = due
        .iter()
        .find(|(name, _)| name == "resolve")
        .and_then(|(_, d)| *d);
    let service_name = shape
        .categories
        .get(&r.category_code)
        .map(|(vi, en)| shape.lang.pick(vi, en).to_string())
        .unwrap_or_else(|| r.category_code.clone());
    // What an Open311 client posted was posted for the public; other tickets keep their
    // description (which may name people) to the unit, as the public map does.
    let posted = ctx.posted.get(&r.id);
    let description = if posted.is_some() {
        &r.description
    } else {
        &r.title
    };
    // A published photo; else the picture the client sent with it.
    let media_url = ctx
        .media
        .get(&r.id)
        .and_then(|m| m.first())
        .map(|(id, _)| format!("{}/api/v1/attachments/{id}", shape.public_url))
        .or_else(|| posted.cloned().flatten());
    let mut fields = vec![
        ("service_request_id", Node::text(&r.code)),
        ("status", Node::text(status.map_or("open", open_or_closed))),
        (
            "status_notes",
            Node::opt(r.answer.clone().filter(|_| r.answer_public)),
        ),
        ("service_name", Node::text(service_name)),
        ("service_code", Node::text(&r.category_code)),
        ("description", Node::text(description)),
        (
            "agency_responsible",
            Node::text(unit.map_or(String::new(), |u| {
                shape.lang.pick(&u.name_vi, &u.name_en).to_string()
            })),
        ),
        ("service_notice", Node::Null),
        ("requested_datetime", Node::text(w3c(r.received_at))),
        ("updated_datetime", Node::text(w3c(r.updated_at))),
        ("expected_datetime", Node::opt(resolve_due.map(w3c))),
        ("address", Node::opt(ctx.areas.get(&r.area_code).cloned())),
        ("address_id", Node::text(&r.area_code)),
        ("zipcode", Node::Null),
        (
            "lat",
            r.lat
                .map_or(Node::Null, |x| Node::Number(round_coordinate(x))),
        ),
        (
            "long",
            r.lon
                .map_or(Node::Null, |x| Node::Number(round_coordinate(x))),
        ),
        ("media_url", Node::opt(media_url)),
    ];
    if shape.extensions {
        fields.push((
            "extended_attributes",
            Node::Obj(vec![
                ("nghedan_status", Node::opt(status.map(|s| s.as_str()))),
                ("unit_code", Node::opt(unit.map(|u| u.code.clone()))),
                (
                    "due_dates",
                    Node::List(
                        "due_date",
                        due.iter()
                            .map(|(name, d)| {
                                Node::Obj(vec![
                                    ("clock", Node::text(name)),
                                    ("due_datetime", Node::opt(d.map(w3c))),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ]),
        ));
    }
    Node::Obj(fields)
}

/// Reads the rows and their context, and shapes them.
async fn answer(
    state: &AppState,
    filter: RequestFilter,
    offset: i64,
    limit: i64,
    lang: Lang,
    extensions: bool,
) -> Result<Vec<Node>, Open311Error> {
    let st = state.clone();
    let (rows, ctx, categories) = state
        .db(move |conn| {
            let rows = store::requests(conn, &filter, offset, limit)?;
            let ctx = load_context(conn, &rows)?;
            let refs = st.refs.current(conn)?;
            let categories: HashMap<String, (String, String)> = refs
                .categories(true)
                .into_iter()
                .map(|c| (c.code, (c.name_vi, c.name_en)))
                .collect();
            Ok::<_, Open311Error>((rows, ctx, categories))
        })
        .await?;
    let public_url = state.settings.server.public_url.trim_end_matches('/');
    let shape = Shape {
        lang,
        extensions,
        public_url,
        categories: &categories,
    };
    Ok(rows.iter().map(|r| request_node(r, &ctx, &shape)).collect())
}

fn positive(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, Open311Error> {
    match arg(pairs, name) {
        None => Ok(None),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or_else(|| {
                Open311Error::bad_request(format!("{name} must be a whole number from 1"))
            }),
    }
}

async fn list_requests(
    state: &AppState,
    pairs: &[(String, String)],
    lang: Lang,
) -> Result<Vec<Node>, Open311Error> {
    let extensions = arg(pairs, "extensions").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let page = positive(pairs, "page")?.unwrap_or(1);
    let page_size = positive(pairs, "page_size")?.unwrap_or(PAGE_SIZE);
    if page_size > PAGE_SIZE {
        return Err(Open311Error::bad_request("page_size may be at most 1000"));
    }
    let offset = (page - 1)
        .checked_mul(page_size)
        .ok_or_else(|| Open311Error::bad_request("page is too large"))?;
    let mut filter = RequestFilter::default();
    if let Some(ids) = arg(pairs, "service_request_id") {
        filter.codes = Some(comma_list(ids));
    } else {
        if let Some(codes) = arg(pairs, "service_code") {
            let codes = comma_list(codes);
            let all = state.reference::<Open311Error>().await?.categories(false);
            if let Some(unknown) = codes
                .iter()
                .find(|c| crate::open311::service(&all, c).is_none())
            {
                return Err(Open311Error::not_found(format!(
                    "service_code {unknown} not found"
                )));
            }
            filter.categories = Some(codes);
        }
        if let Some(words) = arg(pairs, "status") {
            let mut states = Vec::new();
            for w in comma_list(words) {
                states.extend(
                    states_of(&w.to_ascii_lowercase()).ok_or_else(|| {
                        Open311Error::bad_request("status is open, closed, or both")
                    })?,
                );
            }
            filter.statuses = Some(states);
        }
        let (from, to) = span(
            arg(pairs, "start_date"),
            arg(pairs, "end_date"),
            state.clock.now_naive(),
        )?;
        filter.from = Some(from);
        filter.to = Some(to);
    }
    answer(state, filter, offset, page_size, lang, extensions).await
}

/// Public requests, newest first: filters by id, service, status and date (W3C datetimes,
/// at most 90 days; by default the last 90 days), paged by `page` and `page_size`.
#[utoipa::path(tag = "open311", params(super::FormatParam, RequestsQuery),
    responses(
        (status = 200, description = "The requests", content((Vec<super::ServiceRequestDoc> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "A bad filter", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown service, format or jurisdiction", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/requests.{format}")]
pub async fn list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let (format, pairs) = match start(&state, &req, &path) {
        Ok(s) => s,
        Err(stop) => return stop.respond(),
    };
    let lang = lang_of(&pairs, &ctx);
    match list_requests(&state, &pairs, lang).await {
        Ok(items) => respond(
            format,
            StatusCode::OK,
            "service_requests",
            &Node::List("request", items),
        ),
        Err(e) => e.respond(format),
    }
}

/// One public request, as an array of one (XML: `service_requests/request`).
#[utoipa::path(tag = "open311", params(
        ("service_request_id" = String, Path, description = "The request's id (the ticket's code; it holds dots)"),
        super::FormatParam, super::JurisdictionParam, super::LocaleParam,
        ("extensions" = Option<String>, Query, description = "`true` adds `extended_attributes`")),
    responses(
        (status = 200, description = "The request", content((Vec<super::ServiceRequestDoc> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "Malformed query", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No such public request, unknown format or jurisdiction", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/requests/{service_request_id}.{format}")]
pub async fn one(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (id, suffix) = path.into_inner();
    let (format, pairs) = match start(&state, &req, &suffix) {
        Ok(s) => s,
        Err(stop) => return stop.respond(),
    };
    let lang = lang_of(&pairs, &ctx);
    let extensions = arg(&pairs, "extensions").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let filter = RequestFilter {
        codes: Some(vec![id]),
        ..RequestFilter::default()
    };
    match answer(&state, filter, 0, 1, lang, extensions).await {
        Ok(items) if items.is_empty() => {
            Open311Error::not_found("service_request_id not found").respond(format)
        }
        Ok(items) => respond(
            format,
            StatusCode::OK,
            "service_requests",
            &Node::List("request", items),
        ),
        Err(e) => e.respond(format),
    }
}

/// How many updates one answer gives at most.
const UPDATES_MAX: i64 = 1_000;

fn update_description(kind: &str, answer: Option<&str>, lang: Lang) -> String {
    if let Some(a) = answer {
        return a.to_string();
    }
    let (vi, en) = match kind {
        "accepted" => (
            "Đơn vị đã tiếp nhận, đang xử lý.",
            "Accepted by the unit; in progress.",
        ),
        "info_requested" => (
            "Đơn vị cần thêm thông tin.",
            "The unit asked for more information.",
        ),
        "resumed" => ("Tiếp tục xử lý.", "Handling resumed."),
        "progress_note" => ("Đơn vị cập nhật tiến độ.", "The unit reported progress."),
        "reopened" => ("Mở lại để xử lý tiếp.", "Reopened."),
        "extended" => ("Gia hạn thời hạn giải quyết.", "The deadline was extended."),
        "forwarded" => (
            "Chuyển đến đơn vị có thẩm quyền.",
            "Forwarded to the competent unit.",
        ),
        "resolved" => ("Đã giải quyết.", "Resolved."),
        "marked_duplicate" => (
            "Trùng với một phản ánh khác.",
            "A duplicate of another report.",
        ),
        "refused" => ("Không thuộc thẩm quyền, không tiếp nhận.", "Not taken up."),
        "withdrawn" => ("Đã rút.", "Withdrawn."),
        _ => ("Đã đóng.", "Closed."),
    };
    lang.pick(vi, en).to_string()
}

/// FixMyStreet's updates: what happened to public requests between two dates (at most 90
/// days; by default the last 90), oldest first, with its extended statuses.
#[utoipa::path(tag = "open311", params(super::FormatParam, UpdatesQuery),
    responses(
        (status = 200, description = "The updates", content((Vec<super::UpdateDoc> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "A bad date or span", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/servicerequestupdates.{format}")]
pub async fn updates(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let (format, pairs) = match start(&state, &req, &path) {
        Ok(s) => s,
        Err(stop) => return stop.respond(),
    };
    let lang = lang_of(&pairs, &ctx);
    match read_updates(&state, &pairs, lang).await {
        Ok(items) => respond(
            format,
            StatusCode::OK,
            "service_request_updates",
            &Node::List("request_update", items),
        ),
        Err(e) => e.respond(format),
    }
}

async fn read_updates(
    state: &AppState,
    pairs: &[(String, String)],
    lang: Lang,
) -> Result<Vec<Node>, Open311Error> {
    let (from, to) = span(
        arg(pairs, "start_date"),
        arg(pairs, "end_date"),
        state.clock.now_naive(),
    )?;
    let rows = state
        .db(move |c| store::updates(c, &update_kinds(), from, to, UPDATES_MAX))
        .await?;
    Ok(rows
        .iter()
        .map(|u| {
            let status = extended_status(&u.kind).unwrap_or("CLOSED");
            let answer = (u.kind == "resolved" && u.answer_public)
                .then_some(u.answer.as_deref())
                .flatten();
            Node::Obj(vec![
                ("update_id", Node::text(u.event_id.to_string())),
                ("service_request_id", Node::text(&u.ticket_code)),
                ("status", Node::text(status)),
                ("updated_datetime", Node::text(w3c(u.created_at))),
                (
                    "description",
                    Node::text(update_description(&u.kind, answer, lang)),
                ),
                ("media_url", Node::Null),
            ])
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn w3c_datetimes_with_offsets_and_fractions() {
        assert_eq!(
            parse_w3c("2026-12-01T07:00:00+07:00"),
            Some(at("2026-12-01 00:00:00"))
        );
        assert_eq!(
            parse_w3c("2026-12-01T00:00:00.250Z").map(|d| d.and_utc().timestamp_subsec_millis()),
            Some(250)
        );
        assert_eq!(
            parse_w3c("2026-12-01T05:30-02:00"),
            Some(at("2026-12-01 07:30:00"))
        );
        assert_eq!(parse_w3c("2026-12-01"), Some(at("2026-12-01 00:00:00")));
        // `+07:00` sent unescaped in a query string arrives as ` 07:00`.
        assert_eq!(
            parse_w3c("2026-12-01T07:00:00 07:00"),
            Some(at("2026-12-01 00:00:00"))
        );
        assert_eq!(parse_w3c("01/12/2026"), None);
    }

    #[test]
    fn spans_default_to_ninety_days_and_no_more() {
        let now = at("2026-12-06 00:00:00");
        assert_eq!(
            span(None, None, now).unwrap(),
            (at("2026-09-07 00:00:00"), now)
        );
        assert!(
            span(
                Some("2026-01-01T00:00:00Z"),
                Some("2026-06-01T00:00:00Z"),
                now
            )
            .is_err()
        );
        assert!(
            span(
                Some("2026-06-01T00:00:00Z"),
                Some("2026-01-01T00:00:00Z"),
                now
            )
            .is_err()
        );
        assert!(span(Some("tomorrow"), None, now).is_err());
        let (a, b) = span(Some("2026-11-01T00:00:00Z"), None, now).unwrap();
        assert_eq!(b - a, Duration::days(90));
    }
}
