//! `/console/reports`: the supervision page. For a supervisor's overseen subtree (an
//! administrator: every unit) — the same rule, `api::caller::SupervisorOnly` and
//! `api::reports::report_units`, as `GET /api/v1/reports/…`; officials get the 403 page as
//! the API refuses them — the response-times report of `api::reports::response_times_of` as
//! tables and server-drawn charts, the open tickets on the communes' centroids, the overdue
//! list of `db::reports::overdue`, the supervisors' notes and reopen requests (written through
//! `workflow::tickets::supervision`, as the API writes them), the CSV of
//! `api::reports::csv_reply`, and the audit chain: the daily roots and a verification
//! (`db::audit`, as `GET /api/v1/public/audit/roots` and `GET /api/v1/audit/verify`).
//!
//! Nothing here names a person: the reports carry figures, the overdue list no title and no
//! submitter, the plot only communes; a denouncer's identity never reaches this page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

use super::charts::{self, Caption, Place, Series};
use super::words::Words;
use super::{Frame, Notice, Reply, Staff, db_lagging, html, problem, problem_text, see_other};
use crate::api::caller::{Roles, SupervisorOnly};
use crate::api::error::ApiError;
use crate::api::reports::{
    AsOf, GroupBy, OverdueItem, ResponseTimes, ResponseTimesQuery, Span, csv_reply, overdue_item,
    period, report_units, response_times_of,
};
use crate::db::audit::{Root, Verification};
use crate::db::reports::{self, AreaOpen, Scope, SupervisionEvent};
use crate::domain::account::Role;
use crate::domain::report::{Figures, months_between};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::workflow::tickets::{Viewer, supervision};

/// The overdue tickets the page lists (the most late).
const OVERDUE_SHOWN: i64 = 50;
/// The supervision notes and reopen requests it lists (the latest).
const NOTES_SHOWN: i64 = 20;
/// The daily roots it shows (UTC days, as the API counts them).
const ROOT_DAYS: i64 = 14;
/// The days it verifies unless asked for more: each event is read again, so a long period is
/// asked for, not paid for on every look at the page.
const VERIFY_DAYS: i64 = 2;
/// The most days a verification from the page covers (the public roots' longest range).
const VERIFY_DAYS_MAX: i64 = 366;
/// The events a supervisor writes.
const SUPERVISION_EVENTS: [&str; 2] = ["supervision_note", "reopen_requested"];

#[derive(Debug, Default, Deserialize)]
pub struct Query {
    from: Option<String>,
    to: Option<String>,
    group_by: Option<String>,
    /// A supervision note or reopen request was just written.
    done: Option<String>,
    /// The ticket the supervision form is for.
    code: Option<String>,
    /// How many days (UTC, up to today) the audit chain is verified over.
    verify_days: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// A date as a person types it: `dd/mm/yyyy`, or `yyyy-mm-dd` (what a date input sends).
fn parse_day(s: Option<&str>) -> Result<Option<NaiveDate>, ()> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
            .map(Some)
            .map_err(|_| ()),
    }
}

fn group_by_of(s: Option<&str>) -> GroupBy {
    match s {
        Some("category") => GroupBy::Category,
        Some("kind") => GroupBy::Kind,
        Some("month") => GroupBy::Month,
        Some("channel") => GroupBy::Channel,
        _ => GroupBy::Unit,
    }
}

fn group_by_name(g: GroupBy) -> &'static str {
    match g {
        GroupBy::Unit => "unit",
        GroupBy::Category => "category",
        GroupBy::Kind => "kind",
        GroupBy::Month => "month",
        GroupBy::Channel => "channel",
    }
}

/// The API's query for the whole scope, grouped by `group_by`.
fn query(span: &Span, group_by: GroupBy) -> ResponseTimesQuery {
    ResponseTimesQuery {
        from: Some(span.from),
        to: Some(span.to),
        unit_id: None,
        include_subunits: None,
        kind: None,
        channel: None,
        category: None,
        area_code: None,
        group_by: Some(group_by),
        format: None,
    }
}

/// Refuses what the API refuses: the reports are for supervisors and administrators.
fn oversees(staff: &Staff) -> Result<(), Reply> {
    if SupervisorOnly::ALLOWED.contains(&staff.user.role) {
        Ok(())
    } else {
        Err(Reply::Problem(staff.lang, ApiError::forbidden()))
    }
}

/// The period the query asks for, or why it cannot be read (then the default period).
fn span_of(state: &AppState, t: Words, q: &Query) -> Result<(Span, Option<String>), Reply> {
    let day_end = state.settings.deadlines.day_end();
    let today = day_end.local_date(state.clock.now());
    let fallback = |why: String| {
        period(&day_end, today, None, None)
            .map(|span| (span, Some(why)))
            .map_err(problem(t.0))
    };
    match (parse_day(q.from.as_deref()), parse_day(q.to.as_deref())) {
        (Ok(from), Ok(to)) => match period(&day_end, today, from, to) {
            Ok(span) => Ok((span, None)),
            Err(e) => fallback(problem_text(t.0, &e)),
        },
        _ => fallback(t.get("bad_date").to_string()),
    }
}

/// A share as a percentage with one decimal, in the language's way (`66,7 %`, `66.7%`).
fn percent(lang: Lang, v: f64) -> String {
    let s = format!("{:.1}", v * 100.0);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    match lang {
        Lang::Vi => format!("{} %", s.replace('.', ",")),
        Lang::En => format!("{s}%"),
    }
}

/// A number with at most one decimal, in the language's way.
fn number(lang: Lang, v: f64) -> String {
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    match lang {
        Lang::Vi => s.replace('.', ","),
        Lang::En => s,
    }
}

/// `2026-09` → `09/2026`.
fn month_label(key: &str) -> String {
    match key.split_once('-') {
        Some((y, m)) => format!("{m}/{y}"),
        None => key.to_string(),
    }
}

/// A value for a `data-` attribute, as the JSON writes it (`0.6667`, `null`).
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// One group's figures as the tables show them.
pub struct Row {
    pub key: String,
    pub label: String,
    pub received: u64,
    pub resolved: u64,
    pub open: u64,
    pub open_overdue: u64,
    /// The share on time, in words; `—` when nothing was decided.
    pub on_time: String,
    /// `met/decided` over both clocks.
    pub met_of_decided: String,
    /// As the JSON writes it, for `data-on-time-rate`.
    pub on_time_rate: String,
    pub median_days: String,
    pub p90_days: String,
    pub median_hours: String,
    pub accepted: u64,
    pub refused: u64,
    pub withdrawn: u64,
}

fn row(lang: Lang, key: String, label: String, f: &Figures) -> Row {
    let (met, decided) = f
        .on_time
        .values()
        .fold((0, 0), |(m, d), c| (m + c.met, d + c.decided));
    let days = f.time_to_resolve.working_days;
    let dash = || "—".to_string();
    Row {
        key,
        label,
        received: f.received,
        resolved: f.resolved,
        open: f.open,
        open_overdue: f.open_overdue,
        on_time: f.on_time_rate.map_or_else(dash, |r| percent(lang, r)),
        met_of_decided: format!("{met}/{decided}"),
        on_time_rate: json(&f.on_time_rate),
        median_days: days.map_or_else(dash, |s| s.median.to_string()),
        p90_days: days.map_or_else(dash, |s| s.p90.to_string()),
        median_hours: f
            .time_to_resolve
            .hours
            .map_or_else(dash, |s| number(lang, s.median)),
        accepted: f.accepted,
        refused: f.refused,
        withdrawn: f.withdrawn,
    }
}

/// A month of the on-time trend.
pub struct MonthRow {
    pub label: String,
    pub on_time: String,
    pub met_of_decided: String,
    pub received: u64,
}

/// An overdue ticket as the list shows it.
pub struct LateRow {
    pub code: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub unit: String,
    pub category: String,
    pub area: String,
    pub received: String,
    pub due: String,
    pub late_days: i64,
}

/// A supervision note or reopen request as the list shows it.
pub struct NoteRow {
    pub at: String,
    pub code: String,
    pub kind: &'static str,
    pub text: String,
}

/// A daily root as the page shows it.
pub struct RootRow {
    pub day: String,
    pub events: i32,
    pub root: String,
    pub linked: bool,
}

/// A choice of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/reports.html")]
struct ReportsPage {
    f: Frame,
    from_value: String,
    to_value: String,
    period_text: String,
    generated_text: String,
    group_by: &'static str,
    group_choices: Vec<Choice>,
    csv_href: String,
    totals: Row,
    groups: Vec<Row>,
    group_heading: &'static str,
    units: Vec<Row>,
    months: Vec<MonthRow>,
    on_time_svg: String,
    times_svg: String,
    open_svg: String,
    places: Vec<AreaOpen>,
    places_svg: String,
    late: Vec<LateRow>,
    late_more: bool,
    notes: Vec<NoteRow>,
    can_write_notes: bool,
    note_code: String,
    late_codes: Vec<String>,
    verification: Verification,
    verified_text: String,
    audit_from: String,
    audit_to: String,
    verify_days: i64,
    verify_days_max: i64,
    /// The period and grouping, kept by the verification's form.
    from_iso: String,
    to_iso: String,
    roots: Vec<RootRow>,
}

/// What the page reads, in one go.
struct Read {
    by_unit: ResponseTimes,
    by_month: ResponseTimes,
    chosen: Option<ResponseTimes>,
    overdue: Vec<OverdueItem>,
    categories: std::collections::HashMap<String, String>,
    area_names: std::collections::HashMap<String, String>,
    places: Vec<AreaOpen>,
    notes: Vec<SupervisionEvent>,
    roots: Vec<Root>,
    verification: Verification,
}

async fn build(
    staff: &Staff,
    state: &web::Data<AppState>,
    q: &Query,
    mut notice: Option<Notice>,
) -> Result<ReportsPage, Reply> {
    oversees(staff)?;
    let t = staff.t();
    let lang = staff.lang;
    let (span, bad) = span_of(state, t, q)?;
    if let Some(text) = bad {
        notice = Some(Notice { error: true, text });
    }
    let group_by = group_by_of(q.group_by.as_deref());
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let at = AsOf { day_end, now, lang };
    let audit_to = now.date_naive();
    let roots_from = audit_to - Duration::days(ROOT_DAYS - 1);
    let verify_days = q
        .verify_days
        .as_deref()
        .and_then(|d| d.trim().parse::<i64>().ok())
        .unwrap_or(VERIFY_DAYS)
        .clamp(1, VERIFY_DAYS_MAX);
    let audit_from = audit_to - Duration::days(verify_days - 1);
    let user = staff.user.clone();
    let read = db_lagging(state, lang, move |c| {
        let by_unit = response_times_of(c, &user, &query(&span, GroupBy::Unit), span, &at)?;
        let by_month = response_times_of(c, &user, &query(&span, GroupBy::Month), span, &at)?;
        let chosen = match group_by {
            GroupBy::Unit | GroupBy::Month => None,
            g => Some(response_times_of(c, &user, &query(&span, g), span, &at)?),
        };
        let units = report_units(c, &user, None, false)?;
        let scope = Scope {
            units: units.clone(),
            ..Scope::default()
        };
        let names = reports::unit_names(c)?;
        let overdue = reports::overdue(c, &scope, now.naive_utc(), None, OVERDUE_SHOWN + 1)?
            .into_iter()
            .map(|r| overdue_item(r, &names, now, lang))
            .collect::<Vec<_>>();
        let categories = crate::db::categories::all(c, true)?
            .into_iter()
            .map(|c| {
                (
                    c.code.clone(),
                    lang.pick(&c.name_vi, &c.name_en).to_string(),
                )
            })
            .collect();
        let codes: Vec<String> = overdue.iter().map(|o| o.area_code.clone()).collect();
        let area_names = reports::area_names(c, &codes)?;
        let places = reports::open_by_area(c, &scope)?;
        let notes = reports::latest_events(c, units.as_deref(), &SUPERVISION_EVENTS, NOTES_SHOWN)?;
        let roots = crate::db::audit::roots(c, roots_from, audit_to)?;
        let verification = crate::api::audit::verification(c, audit_from, audit_to)?;
        Ok(Read {
            by_unit,
            by_month,
            chosen,
            overdue,
            categories,
            area_names,
            places,
            notes,
            roots,
            verification,
        })
    })
    .await?;

    let local = |d: DateTime<Utc>| d.with_timezone(&day_end.tz);
    let date = |d: DateTime<Utc>| day_end.local_date(d).format("%d/%m/%Y").to_string();
    let Read {
        by_unit,
        by_month,
        chosen,
        overdue,
        categories,
        area_names,
        places,
        notes,
        roots,
        verification,
    } = read;

    let group_rows = |r: &ResponseTimes| -> Vec<Row> {
        r.groups
            .iter()
            .map(|g| {
                let label = match group_by {
                    GroupBy::Kind => crate::domain::ticket::Kind::parse(&g.key)
                        .map_or(g.label.clone(), |k| t.kind(k).to_string()),
                    GroupBy::Month => month_label(&g.key),
                    GroupBy::Channel => t.get(&format!("admin_channel_{}", g.key)).to_string(),
                    _ => g.label.clone(),
                };
                row(lang, g.key.clone(), label, &g.figures)
            })
            .collect()
    };
    let groups = match (&chosen, group_by) {
        (Some(r), _) => group_rows(r),
        (None, GroupBy::Month) => group_rows(&by_month),
        (None, _) => group_rows(&by_unit),
    };

    let (months, on_time_svg) = trend(t, &span, &by_month);

    let units: Vec<Row> = by_unit
        .groups
        .iter()
        .map(|g| row(lang, g.key.clone(), g.label.clone(), &g.figures))
        .collect();
    let (times_svg, open_svg) = unit_charts(t, &by_unit, &units);

    let places_svg = places_chart(t, &places);

    let late_more = overdue.len() as i64 > OVERDUE_SHOWN;
    let late: Vec<LateRow> = overdue
        .into_iter()
        .take(OVERDUE_SHOWN as usize)
        .map(|o| LateRow {
            kind: t.kind(o.kind),
            status: t.status(o.status),
            unit: o.unit.name,
            category: categories.get(&o.category).cloned().unwrap_or(o.category),
            area: area_names.get(&o.area_code).cloned().unwrap_or(o.area_code),
            received: date(o.received_at),
            due: date(o.due_at),
            late_days: o.late_days,
            code: o.code,
        })
        .collect();
    let late_codes = late.iter().map(|l| l.code.clone()).collect();
    let notes = notes
        .into_iter()
        .map(|n| NoteRow {
            at: local(n.at.and_utc()).format("%d/%m/%Y %H:%M").to_string(),
            kind: if n.kind == "reopen_requested" {
                t.get("reopen_requested")
            } else {
                t.get("supervision_note")
            },
            code: n.code,
            text: n.text.unwrap_or_default(),
        })
        .collect();
    let roots = root_rows(roots);

    let totals = row(lang, String::new(), String::new(), &by_unit.totals);
    let (from_iso, to_iso) = (span.from.format("%Y-%m-%d"), span.to.format("%Y-%m-%d"));
    let gb = group_by_name(group_by);
    let mut f = staff.frame(state, "reports", t.get("reports_title").to_string());
    if notice.is_none() {
        notice = q.done.as_deref().map(|_| Notice {
            error: false,
            text: t.get("supervision_written").to_string(),
        });
    }
    f.notice = notice;
    let choice = |value: &'static str, key: &'static str| Choice {
        value,
        label: t.get(key),
        selected: value == gb,
    };
    Ok(ReportsPage {
        period_text: t
            .get("period_text")
            .replace("{from}", &span.from.format("%d/%m/%Y").to_string())
            .replace("{to}", &span.to.format("%d/%m/%Y").to_string()),
        generated_text: t
            .get("generated_text")
            .replace("{at}", &local(now).format("%H:%M %d/%m/%Y").to_string()),
        csv_href: format!(
            "/console/reports/response-times.csv?from={from_iso}&to={to_iso}&group_by={gb}"
        ),
        from_value: span.from.format("%d/%m/%Y").to_string(),
        to_value: span.to.format("%d/%m/%Y").to_string(),
        group_by: gb,
        group_choices: vec![
            choice("unit", "by_unit"),
            choice("category", "by_category"),
            choice("kind", "by_kind"),
            choice("month", "by_month"),
            choice("channel", "by_channel"),
        ],
        totals,
        groups,
        group_heading: match group_by {
            GroupBy::Unit => t.get("unit"),
            GroupBy::Category => t.get("category"),
            GroupBy::Kind => t.get("kind"),
            GroupBy::Month => t.get("month"),
            GroupBy::Channel => t.get("channel"),
        },
        units,
        months,
        on_time_svg,
        times_svg,
        open_svg,
        places,
        places_svg,
        late,
        late_more,
        notes,
        can_write_notes: staff.user.role == Role::Supervisor,
        note_code: q.code.clone().unwrap_or_default(),
        late_codes,
        verified_text: t
            .get("verified_at")
            .replace("{at}", &local(now).format("%H:%M %d/%m/%Y").to_string()),
        verification,
        audit_from: audit_from.format("%d/%m/%Y").to_string(),
        audit_to: audit_to.format("%d/%m/%Y").to_string(),
        verify_days,
        verify_days_max: VERIFY_DAYS_MAX,
        from_iso: from_iso.to_string(),
        to_iso: to_iso.to_string(),
        roots,
        f,
    })
}

/// The on-time trend: every month of the period (months without tickets included) and its
/// line chart.
fn trend(t: Words, span: &Span, by_month: &ResponseTimes) -> (Vec<MonthRow>, String) {
    let lang = t.0;
    // The trend by month: every month of the period, months without tickets included.
    let mut month_figures: std::collections::BTreeMap<&str, &Figures> = by_month
        .groups
        .iter()
        .map(|g| (g.key.as_str(), &g.figures))
        .collect();
    let month_keys = months_between(span.from, span.to);
    let mut months = Vec::new();
    let mut month_rates = Vec::new();
    for key in &month_keys {
        let f = month_figures.remove(key.as_str());
        let r = f
            .as_ref()
            .map(|f| row(lang, key.clone(), month_label(key), f));
        month_rates.push(f.as_ref().and_then(|f| f.on_time_rate));
        months.push(MonthRow {
            label: month_label(key),
            on_time: r.as_ref().map_or("—".into(), |r| r.on_time.clone()),
            met_of_decided: r
                .as_ref()
                .map_or("0/0".into(), |r| r.met_of_decided.clone()),
            received: f.map_or(0, |f| f.received),
        });
    }
    let month_labels: Vec<String> = month_keys.iter().map(|k| month_label(k)).collect();
    let pct = |v: f64| percent(lang, v);
    let on_time_svg = charts::line(
        &Caption {
            id: "chart-on-time",
            title: t.get("on_time_by_month"),
            desc: t.get("chart_table_below"),
        },
        &month_labels,
        &[Series {
            name: t.get("on_time_share").to_string(),
            values: month_rates,
        }],
        1.0,
        &pct,
    );
    (months, on_time_svg)
}

/// The bars of the time to answer (median and 90th percentile) and of the open and overdue
/// tickets, by unit.
fn unit_charts(t: Words, by_unit: &ResponseTimes, units: &[Row]) -> (String, String) {
    let lang = t.0;
    let unit_labels: Vec<String> = units.iter().map(|u| u.label.clone()).collect();
    let days = |v: f64| format!("{} {}", number(lang, v), t.get("days_short"));
    let spread = |pick: fn(&crate::domain::report::Spread<u32>) -> u32| {
        by_unit
            .groups
            .iter()
            .map(|g| {
                g.figures
                    .time_to_resolve
                    .working_days
                    .map(|s| f64::from(pick(&s)))
            })
            .collect::<Vec<_>>()
    };
    let times_svg = charts::bars(
        &Caption {
            id: "chart-times",
            title: t.get("answer_time_by_unit"),
            desc: t.get("chart_table_below"),
        },
        &unit_labels,
        &[
            Series {
                name: t.get("median").to_string(),
                values: spread(|s| s.median),
            },
            Series {
                name: t.get("p90").to_string(),
                values: spread(|s| s.p90),
            },
        ],
        &days,
    );
    let count = |v: f64| number(lang, v);
    let open_svg = charts::bars(
        &Caption {
            id: "chart-open",
            title: t.get("open_by_unit"),
            desc: t.get("chart_table_below"),
        },
        &unit_labels,
        &[
            Series {
                name: t.get("open").to_string(),
                values: units.iter().map(|u| Some(u.open as f64)).collect(),
            },
            Series {
                name: t.get("overdue").to_string(),
                values: units.iter().map(|u| Some(u.open_overdue as f64)).collect(),
            },
        ],
        &count,
    );
    (times_svg, open_svg)
}

/// The open tickets on their communes' centroids.
fn places_chart(t: Words, places: &[AreaOpen]) -> String {
    charts::plot(
        &Caption {
            id: "chart-places",
            title: t.get("open_places"),
            desc: t.get("chart_table_below"),
        },
        &places
            .iter()
            .map(|p| Place {
                label: p.name.clone(),
                lat: p.lat,
                lon: p.lon,
                size: p.open,
                alert: p.overdue > 0,
                title: t
                    .get("place_title")
                    .replace("{name}", &p.name)
                    .replace("{open}", &p.open.to_string())
                    .replace("{overdue}", &p.overdue.to_string()),
            })
            .collect::<Vec<_>>(),
        (t.get("place_open"), t.get("place_overdue")),
    )
}

/// The daily roots, newest first, each saying whether it links to the day before it.
fn root_rows(roots: Vec<Root>) -> Vec<RootRow> {
    let mut rows: Vec<RootRow> = {
        let mut prev: Option<String> = None;
        roots
            .into_iter()
            .map(|r| {
                let linked = prev.as_ref().is_none_or(|p| *p == r.prev_root);
                prev = Some(r.root.clone());
                RootRow {
                    day: r.day.format("%d/%m/%Y").to_string(),
                    events: r.events,
                    root: r.root,
                    linked,
                }
            })
            .collect()
    };
    rows.reverse();
    rows
}

/// `GET /console/reports`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Reply> {
    let q = q.into_inner();
    let page = build(&staff, &state, &q, None).await?;
    let status = if page.f.notice.as_ref().is_some_and(|n| n.error) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(status, &page))
}

/// `GET /console/reports/response-times.csv`: the API's CSV of the report (`format=csv`),
/// through the same function, for the console's session.
pub async fn csv(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Reply> {
    oversees(&staff)?;
    let q = q.into_inner();
    let lang = staff.lang;
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let (from, to) = match (parse_day(q.from.as_deref()), parse_day(q.to.as_deref())) {
        (Ok(from), Ok(to)) => (from, to),
        _ => return Err(problem(lang)(ApiError::field("/from", "invalid_date"))),
    };
    let span = period(&day_end, day_end.local_date(now), from, to).map_err(problem(lang))?;
    let group_by = group_by_of(q.group_by.as_deref());
    let at = AsOf { day_end, now, lang };
    let user = staff.user.clone();
    let report = db_lagging(&state, lang, move |c| {
        response_times_of(c, &user, &query(&span, group_by), span, &at)
    })
    .await?;
    Ok(csv_reply(&report))
}

#[derive(Debug, Default, Deserialize)]
pub struct SupervisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    /// `note` or `reopen_request`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    text: String,
}

/// `POST /console/reports/supervision`: a supervision note or a reopen request on a ticket of
/// the overseen subtree, through the workflow the API's `POST /tickets/{code}/supervision-notes`
/// and `…/reopen-requests` use; back to the page, or the page with why it was refused.
pub async fn write(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<SupervisionForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    staff.check(&state, &form.csrf)?;
    oversees(&staff)?;
    let reopen = form.kind == "reopen_request";
    let field = if reopen { "/reason" } else { "/body" };
    let mut check = crate::validation::Violations::new();
    let text = check.text(
        field,
        &form.text,
        1,
        state.settings.tickets.description_max_chars,
    );
    let code = form.code.trim().to_string();
    let result = match check.finish() {
        Err(e) => Err(ApiError::from(e)),
        Ok(()) => {
            let viewer = Viewer {
                user: Some(staff.user.clone()),
                secret: None,
            };
            let (st, c2) = (state.clone(), code.clone());
            state
                .db(move |conn| -> Result<(), ApiError> {
                    crate::db::write(conn, |c| -> Result<(), ApiError> {
                        let ctx = st.ticket_ctx(c)?;
                        if reopen {
                            supervision::reopen_request(c, &c2, &viewer, &text, &ctx)?;
                        } else {
                            supervision::note(c, &c2, &viewer, &text, &ctx)?;
                        }
                        Ok(())
                    })
                })
                .await
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/reports?done={}#supervision",
            if reopen { "reopen_request" } else { "note" }
        ))),
        Err(e) if e.error().is_refusal() => {
            let notice = Notice {
                error: true,
                text: problem_text(staff.lang, &e),
            };
            let q = Query {
                code: Some(code),
                ..Query::default()
            };
            let page = build(&staff, &state, &q, Some(notice)).await?;
            Ok(html(e.status(), &page))
        }
        Err(e) => Err(problem(staff.lang)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_officials_type_them_or_as_a_date_input_sends_them() {
        let d = NaiveDate::from_ymd_opt(2026, 9, 2);
        assert_eq!(parse_day(Some("02/09/2026")), Ok(d));
        assert_eq!(parse_day(Some("2/9/2026")), Ok(d));
        assert_eq!(parse_day(Some(" 2026-09-02 ")), Ok(d));
        assert_eq!(parse_day(Some("")), Ok(None));
        assert_eq!(parse_day(None), Ok(None));
        assert_eq!(parse_day(Some("31/02/2026")), Err(()));
        assert_eq!(parse_day(Some("09/02")), Err(()));
    }

    #[test]
    fn shares_and_numbers_in_each_language() {
        assert_eq!(percent(Lang::Vi, 0.6667), "66,7 %");
        assert_eq!(percent(Lang::En, 0.6667), "66.7%");
        assert_eq!(percent(Lang::Vi, 1.0), "100 %");
        assert_eq!(number(Lang::Vi, 2.5), "2,5");
        assert_eq!(number(Lang::En, 3.0), "3");
        assert_eq!(month_label("2026-09"), "09/2026");
    }
}
