//! Public transparency, no sign-in: the published answers (as a list and as GeoJSON for maps)
//! and each unit's scorecard, units ranked by on-time rate then satisfaction.
//!
//! Published answer: a feedback or petition, neither private nor confidential, answered
//! (`resolved`, or `closed` after an answer) with the official's choice to publish the answer
//! (`resolve` with `publish: true`). Complaints and denunciations never appear. No item carries
//! a name, a contact, an address, the description or a citizen's photo that an official did
//! not mark publishable; the place is the commune and the location rounded to 0.001°.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::list::{List, Page, paginate};
use crate::api::reports::{
    AsOf, GroupBy, Period, Span, UnitRef, compute, expand_filters, period, unit_record, unit_ref,
};
use crate::db::reports::{self, PublishedFilter, PublishedRow, Scope};
use crate::db::{DbConn, categories};
use crate::domain::report::Figures;
use crate::domain::ticket::{Kind, Status};
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::state::AppState;

/// How many features `tickets.geojson` gives at most.
pub const GEOJSON_MAX: i64 = 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PublicTicketsQuery {
    /// The unit that answered (and holds the ticket).
    pub unit_id: Option<i64>,
    /// `feedback` or `petition` (the other kinds are never published).
    pub kind: Option<Kind>,
    /// A category code: that category and every category below it.
    pub category: Option<String>,
    /// A commune code, or a province code (the province and its communes).
    pub area_code: Option<String>,
    pub after: Option<String>,
    /// Lists: 1–100, default 20. GeoJSON: 1–1000, default 1000.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Commune {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RoundedPoint {
    /// Rounded to 0.001° (about 110 m).
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAttachment {
    pub id: String,
    pub url: String,
    pub thumbnail_url: Option<String>,
}

/// A published answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicTicket {
    pub code: String,
    pub kind: Kind,
    pub status: Status,
    pub category: String,
    pub category_name: String,
    pub title: String,
    pub commune: Commune,
    /// `null` when the ticket has no location.
    pub location: Option<RoundedPoint>,
    pub unit: UnitRef,
    pub received_at: DateTime<Utc>,
    pub answered_at: DateTime<Utc>,
    pub answer: String,
    pub supporters: i32,
    /// The officials' attachments and the citizen's photos marked publishable.
    pub attachments: Vec<PublicAttachment>,
}

/// To 0.001°.
pub fn round_coordinate(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

struct Published {
    rows: Vec<PublishedRow>,
    units: HashMap<i64, reports::UnitName>,
    areas: HashMap<String, String>,
    categories: HashMap<String, (String, String)>,
    attachments: HashMap<i64, Vec<(String, bool)>>,
}

fn load_published(
    conn: &mut DbConn,
    q: &PublicTicketsQuery,
    after: Option<(NaiveDateTime, i64)>,
    fetch: i64,
) -> Result<Published, ApiError> {
    let (categories, areas) = expand_filters(conn, q.category.as_deref(), q.area_code.as_deref())?;
    let f = PublishedFilter {
        units: q.unit_id.map(|u| vec![u]),
        kind: q.kind,
        categories,
        areas,
    };
    let rows = reports::published(conn, &f, after, fetch)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let codes: Vec<String> = rows.iter().map(|r| r.area_code.clone()).collect();
    Ok(Published {
        units: reports::unit_names(conn)?,
        areas: reports::area_names(conn, &codes)?,
        categories: categories::all(conn, true)?
            .into_iter()
            .map(|c| (c.code, (c.name_vi, c.name_en)))
            .collect(),
        attachments: reports::public_attachments(conn, &ids)?,
        rows,
    })
}

fn public_item(p: &mut Published, r: PublishedRow, lang: Lang) -> PublicTicket {
    let attachments = p
        .attachments
        .remove(&r.id)
        .unwrap_or_default()
        .into_iter()
        .map(|(id, thumb)| PublicAttachment {
            url: format!("/api/v1/attachments/{id}"),
            thumbnail_url: thumb.then(|| format!("/api/v1/attachments/{id}/thumbnail")),
            id,
        })
        .collect();
    PublicTicket {
        kind: r.kind,
        status: r.status,
        category_name: p
            .categories
            .get(&r.category_code)
            .map(|(vi, en)| lang.pick(vi, en).to_string())
            .unwrap_or_default(),
        commune: Commune {
            name: p.areas.get(&r.area_code).cloned().unwrap_or_default(),
            code: r.area_code,
        },
        location: match (r.lat, r.lon) {
            (Some(lat), Some(lon)) => Some(RoundedPoint {
                lat: round_coordinate(lat),
                lon: round_coordinate(lon),
            }),
            _ => None,
        },
        unit: unit_ref(&p.units, r.unit_id, lang),
        received_at: r.received_at.and_utc(),
        answered_at: r.resolved_at.unwrap_or(r.received_at).and_utc(),
        answer: r.answer.unwrap_or_default(),
        supporters: r.supporters,
        attachments,
        code: r.code,
        category: r.category_code,
        title: r.title,
    }
}

/// Published answers, newest answer first.
///
/// A published answer is a feedback or petition, neither private nor confidential, answered
/// (`resolved`, or `closed` after an answer), whose answer the official chose to publish.
/// Complaints and denunciations never appear. Items carry no name, contact, address,
/// description, or citizen's photo not marked publishable; only the commune and the location
/// rounded to 0.001°.
#[utoipa::path(tag = "public", params(PublicTicketsQuery),
    responses((status = 200, body = List<PublicTicket>),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/public/tickets")]
pub async fn tickets(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<PublicTicketsQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<(NaiveDateTime, i64)>::new(q.after.as_deref(), q.limit)?;
    let (after, fetch, limit) = (page.after, page.fetch(), page.limit);
    let mut p = state
        .db_lagging(move |conn| load_published(conn, &q, after, fetch))
        .await?;
    let rows = std::mem::take(&mut p.rows);
    let lang = ctx.lang;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        limit,
        |r| (r.resolved_at.unwrap_or(r.received_at), r.id),
        |r| public_item(&mut p, r, lang),
    )))
}

/// Published answers as a GeoJSON FeatureCollection, for maps.
///
/// The answers of `GET /public/tickets` that have a location, newest first, at most `limit`
/// (1–1000, default 1000): each a Point at the location rounded to 0.001°, with the list
/// item's fields (but `location`) as properties. `application/geo+json`.
#[utoipa::path(tag = "public", params(PublicTicketsQuery),
    responses((status = 200, description = "a GeoJSON FeatureCollection", body = Object, content_type = "application/geo+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/public/tickets.geojson")]
pub async fn geojson(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<PublicTicketsQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(GEOJSON_MAX);
    if !(1..=GEOJSON_MAX).contains(&limit) {
        return Err(ApiError::validation(vec![
            FieldError::new("/limit", "out_of_range")
                .arg("min", 1)
                .arg("max", GEOJSON_MAX),
        ]));
    }
    if q.after.is_some() {
        return Err(ApiError::field("/after", "unknown_field"));
    }
    let mut p = state
        .db_lagging(move |conn| load_published(conn, &q, None, limit))
        .await?;
    let rows = std::mem::take(&mut p.rows);
    let lang = ctx.lang;
    let features: Vec<serde_json::Value> = rows
        .into_iter()
        .filter_map(|r| {
            let item = public_item(&mut p, r, lang);
            let point = item.location.as_ref().map(|l| (l.lon, l.lat))?;
            let mut props = serde_json::to_value(&item).ok()?;
            if let Some(o) = props.as_object_mut() {
                o.remove("location");
            }
            Some(json!({
                "type": "Feature",
                "id": item.code,
                "geometry": {"type": "Point", "coordinates": [point.0, point.1]},
                "properties": props,
            }))
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/geo+json"))
        .json(json!({"type": "FeatureCollection", "features": features})))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScorecardQuery {
    /// Default: the first day of the month eleven months before `to`.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    /// Default: today.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<NaiveDate>,
}

/// A unit's public scorecard: the figures of its tickets (not its subunits') received in the
/// period, and the trend by month. The definitions are those of
/// `GET /reports/response-times`; every figure is a count, a duration or a rate.
#[utoipa::path(tag = "public", params(("id" = i64, Path), ScorecardQuery),
    responses((status = 200, body = crate::api::reports::UnitRecord),
        (status = 404, description = "`unit_not_found`", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/public/units/{id}/scorecard")]
pub async fn scorecard(
    state: web::Data<AppState>,
    ctx: RequestContext,
    path: web::Path<i64>,
    ApiQuery(q): ApiQuery<ScorecardQuery>,
) -> Result<HttpResponse, ApiError> {
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let span = period(&day_end, day_end.local_date(now), q.from, q.to)?;
    let id = path.into_inner();
    let at = AsOf {
        day_end,
        now,
        lang: ctx.lang,
    };
    let record = state
        .db_lagging(move |conn| {
            if crate::db::units::find(conn, id)?.is_none() {
                return Err(ApiError::not_found("unit_not_found"));
            }
            unit_record(conn, id, vec![id], false, span, &at)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScorecardsQuery {
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<NaiveDate>,
    pub after: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
}

/// A unit's place in the ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedUnit {
    /// 1 for the best; units with the same on-time rate and satisfied share share a rank.
    pub rank: usize,
    pub unit: UnitRef,
    pub period: Period,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Orders by on-time rate, then satisfied share, then mean rating (higher first, none last).
fn better(a: &Figures, b: &Figures) -> std::cmp::Ordering {
    let key = |x: Option<f64>| x.map_or(-1.0, |v| v);
    key(b.on_time_rate)
        .total_cmp(&key(a.on_time_rate))
        .then(key(b.satisfied_share).total_cmp(&key(a.satisfied_share)))
        .then(key(b.mean_rating).total_cmp(&key(a.mean_rating)))
}

/// Units ranked for a period, the way Hue-S and iHanoi rank them.
///
/// Every unit that received a ticket in the period (its own tickets, not its subunits'),
/// ranked by `on_time_rate` (both clocks, higher first; units with nothing decided last), then
/// `satisfied_share`, then `mean_rating`; ties on the first two share a rank. The figures are
/// those of `GET /reports/response-times` grouped by unit.
#[utoipa::path(tag = "public", params(ScorecardsQuery),
    responses((status = 200, body = List<RankedUnit>),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/public/scorecards")]
pub async fn scorecards(
    state: web::Data<AppState>,
    ctx: RequestContext,
    ApiQuery(q): ApiQuery<ScorecardsQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<usize>::new(q.after.as_deref(), q.limit)?;
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let Span {
        from,
        to,
        start,
        until,
    } = period(&day_end, day_end.local_date(now), q.from, q.to)?;
    let lang = ctx.lang;
    let at = AsOf { day_end, now, lang };
    let (groups, names) = state
        .db_lagging(move |conn| -> Result<_, ApiError> {
            let scope = Scope {
                units: None,
                from: start,
                until,
                ..Scope::default()
            };
            let (_, groups) = compute(conn, &scope, GroupBy::Unit, &at)?;
            Ok((groups, reports::unit_names(conn)?))
        })
        .await?;
    let mut ranked: Vec<(i64, Figures)> = groups
        .into_iter()
        .map(|g| (g.key.parse::<i64>().unwrap_or_default(), g.figures))
        .collect();
    ranked.sort_by(|a, b| better(&a.1, &b.1).then(a.0.cmp(&b.0)));
    let mut items = Vec::with_capacity(ranked.len());
    let mut rank = 0;
    for (i, (id, f)) in ranked.iter().enumerate() {
        let tied = i > 0 && {
            let p = &ranked[i - 1].1;
            p.on_time_rate == f.on_time_rate && p.satisfied_share == f.satisfied_share
        };
        if !tied {
            rank = i + 1;
        }
        items.push((i, rank, *id));
    }
    let start_at = page.after.map_or(0, |a| a + 1);
    let rows: Vec<(usize, usize, i64)> = items
        .into_iter()
        .skip(start_at)
        .take(page.fetch() as usize)
        .collect();
    let mut figures: HashMap<i64, Figures> = ranked.into_iter().collect();
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |r| r.0,
        |(_, rank, id)| RankedUnit {
            rank,
            unit: unit_ref(&names, id, lang),
            period: Period { from, to },
            figures: figures
                .remove(&id)
                .unwrap_or_else(|| crate::domain::report::Tally::default().figures()),
        },
    )))
}
