//! `/console/admin/calendar`: a year's overrides of the working-day calendar (a Saturday
//! worked in exchange, a bridge day off) with the shipped holidays beside them; add one, or
//! remove one — `PUT`/`DELETE /api/v1/admin/calendar/{date}`, with their checks. Running
//! tickets keep their due dates; the page says so.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::{
    Change, Opt, Section, Settled, check_form, done_notice, frame, only_admin, opts, sections,
    settle,
};
use crate::api::admin_policies::{DayOverride, remove_override, set_override};
use crate::console::words::Words;
use crate::console::{Frame, Notice, Reply, Staff, db, html};
use crate::db::calendar::{self as store, HOLIDAY, OVERRIDE};
use crate::state::AppState;

/// One day of the lists.
pub struct DayLine {
    /// `YYYY-MM-DD`, for the form that removes it.
    pub iso: String,
    /// `dd/mm/yyyy`.
    pub date: String,
    pub weekday: &'static str,
    pub working: bool,
    pub note: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct Query {
    year: Option<i32>,
    done: Option<String>,
}

/// The form that sets a day (its fields kept when it is refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct DayForm {
    #[serde(default)]
    csrf: String,
    /// `YYYY-MM-DD` (a date input), or `dd/mm/yyyy` typed by hand.
    #[serde(default)]
    pub date: String,
    /// `1`: worked; `0`: off.
    #[serde(default)]
    pub working: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Template)]
#[template(path = "console/admin_calendar.html")]
struct CalendarPage {
    f: Frame,
    nav: Vec<Section>,
    year: i32,
    overrides: Vec<DayLine>,
    holidays: Vec<DayLine>,
    form: DayForm,
    workings: Vec<Opt>,
}

fn weekday_word(t: Words, d: NaiveDate) -> &'static str {
    t.get(match d.weekday() {
        chrono::Weekday::Mon => "admin_mon",
        chrono::Weekday::Tue => "admin_tue",
        chrono::Weekday::Wed => "admin_wed",
        chrono::Weekday::Thu => "admin_thu",
        chrono::Weekday::Fri => "admin_fri",
        chrono::Weekday::Sat => "admin_sat",
        chrono::Weekday::Sun => "admin_sun",
    })
}

/// A date typed as `dd/mm/yyyy` becomes the API's `YYYY-MM-DD`; anything else is passed on for
/// the API's check to judge.
fn iso(raw: &str) -> String {
    let raw = raw.trim();
    match NaiveDate::parse_from_str(raw, "%d/%m/%Y") {
        Ok(d) => d.format("%Y-%m-%d").to_string(),
        Err(_) => raw.to_string(),
    }
}

async fn calendar_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    year: i32,
    form: DayForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let t = staff.t();
    let lang = staff.lang;
    let (from, to) = match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(Reply::Problem(
                lang,
                super::invalid("/year", &year.to_string()),
            ));
        }
    };
    let rows = db(state, lang, move |c| Ok(store::between(c, from, to)?)).await?;
    let day = |d: &store::Day| DayLine {
        iso: d.day.format("%Y-%m-%d").to_string(),
        date: d.day.format("%d/%m/%Y").to_string(),
        weekday: weekday_word(t, d.day),
        working: d.working,
        note: crate::i18n::holiday_name(lang, &d.note),
    };
    let overrides = rows
        .iter()
        .filter(|d| d.source == OVERRIDE)
        .map(day)
        .collect();
    let holidays = rows
        .iter()
        .filter(|d| d.source == HOLIDAY)
        .map(day)
        .collect();
    let workings = opts(
        [
            ("1", t.get("admin_day_worked")),
            ("0", t.get("admin_day_off")),
        ],
        if form.working.is_empty() {
            "1"
        } else {
            &form.working
        },
    );
    let mut f = frame(staff, state, "admin_calendar");
    f.notice = notice;
    let page = CalendarPage {
        f,
        nav: sections(t, "calendar"),
        year,
        overrides,
        holidays,
        form,
        workings,
    };
    Ok(html(status, &page))
}

fn this_year(state: &AppState) -> i32 {
    let day_end = state.settings.deadlines.day_end();
    day_end.local_date(state.clock.now()).year()
}

/// `GET /console/admin/calendar?year=…`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let year = q.year.unwrap_or_else(|| this_year(&state));
    let notice = done_notice(staff.t(), q.done.as_deref());
    calendar_page(
        &staff,
        &state,
        year,
        DayForm::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /console/admin/calendar`: makes a date worked or off, as `PUT
/// /api/v1/admin/calendar/{date}`.
pub async fn set(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<DayForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let date = iso(&form.date);
    let body = DayOverride {
        working: form.working == "1",
        note: form.note.clone(),
    };
    let set = set_override(&state, &date, body, staff.lang).await;
    let change = Change {
        method: "PUT",
        route: "/api/v1/admin/calendar/{date}",
        status: 200,
        target: format!("/api/v1/admin/calendar/{date}"),
    };
    match settle(&staff, &state, set, change, |day| {
        format!(
            "/console/admin/calendar?year={}&done=saved",
            day.date.year()
        )
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            let year = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map(|d| d.year())
                .unwrap_or_else(|_| this_year(&state));
            calendar_page(&staff, &state, year, form, Some(notice), status).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/admin/calendar/{date}/delete`: as `DELETE /api/v1/admin/calendar/{date}`.
pub async fn remove(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, Reply> {
    check_form(&staff, &state, &form.csrf)?;
    let date = path.into_inner();
    let removed = remove_override(&state, &date, staff.lang).await;
    let change = Change {
        method: "DELETE",
        route: "/api/v1/admin/calendar/{date}",
        status: 200,
        target: format!("/api/v1/admin/calendar/{date}"),
    };
    match settle(&staff, &state, removed, change, |day| {
        format!(
            "/console/admin/calendar?year={}&done=deleted",
            day.date.year()
        )
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            let year = this_year(&state);
            calendar_page(
                &staff,
                &state,
                year,
                DayForm::default(),
                Some(notice),
                status,
            )
            .await
        }
    }
}
