//! `/receptions`: the reception register (sổ tiếp công dân). See `workflow::receptions` for
//! who records and who reads what.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{OfficialOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::idempotency::{self, Creating, Made};
use crate::api::list::{List, Page, paginate};
use crate::api::reports::{Format, Period, period};
use crate::api::spreadsheet::{Cell, csv_document};
use crate::api::tickets::{SubmitRequest, prepare, secret_field};
use crate::auth::CurrentUser;
use crate::auth::tokens;
use crate::db::{self, DbConn};
use crate::domain::contact::Phone;
use crate::domain::deadlines::DayEnd;
use crate::domain::reception::{
    CROWD_MIN, IdNumber, Kind, Outcome, REPRESENTATIVES_MAX, RefusalGround, year_before,
};
use crate::domain::ticket::Channel;
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::reception_days::MissedHeadDay;
use crate::workflow::receptions::{
    self as receptions, ReceptionView, ReportGroup, ReportGroupBy, Visit, VisitorIn, Window,
};

/// People one reception lists.
const VISITORS_MAX: usize = 50;
/// Hosts one reception names.
const HOSTS_MAX: usize = 10;
/// How far ahead of the server's clock `received_at` may be (a desk's clock runs fast).
const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorRequest {
    /// 1–200 characters.
    pub name: String,
    /// The citizen identity card's 12 digits (or an old card's 9). Kept only as a keyed hash
    /// and its last three digits; never shown whole again.
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// A crowd reception (đoàn đông người): five people or more, speaking through 1–5 of the
/// visitors listed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRequest {
    pub size: i32,
    pub representatives: i32,
}

/// A reception to record in the caller's unit's register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceptionRequest {
    /// When the visit began (not in the future).
    pub received_at: DateTime<Utc>,
    /// 1–200 characters.
    pub place: String,
    /// Officials of the unit who received them (the head or a deputy on a head's day).
    pub received_by: Vec<i64>,
    pub kind: Kind,
    /// The people received (1–50); for a crowd, its representatives.
    pub visitors: Vec<VisitorRequest>,
    pub group: Option<GroupRequest>,
    /// What they came about: 1–10,000 characters.
    pub summary: String,
    /// Upload ids (the caller's own): they become the ticket's attachments, so only with
    /// `received_as_ticket`.
    #[serde(default)]
    pub documents: Vec<String>,
    pub outcome: Outcome,
    /// Up to 2,000 characters; required with the refusal ground `other_by_law`.
    pub outcome_note: Option<String>,
    /// `referred`: the competent unit (required).
    pub referred_unit_id: Option<i64>,
    /// `refused`: the legal ground (required).
    pub refusal_ground: Option<RefusalGround>,
    /// `received_as_ticket`: the ticket, as `POST /tickets` takes it; `channel` is
    /// `in_person`, and the submitter defaults to the first visitor.
    pub ticket: Option<SubmitRequest>,
}

/// What the checks make of a request's people and note.
struct Checked {
    visitors: Vec<VisitorIn>,
    /// (size, representatives).
    group: Option<(i32, i32)>,
    outcome_note: Option<String>,
}

/// The checks that need no database: every violation at once.
fn check(state: &AppState, b: &ReceptionRequest) -> Result<Checked, ApiError> {
    let mut v = Violations::new();
    v.line("/place", &b.place, 1, 200);
    v.text(
        "/summary",
        &b.summary,
        1,
        state.settings.tickets.description_max_chars,
    );
    if b.received_at > state.clock.now() + Duration::minutes(CLOCK_SKEW_MINUTES) {
        v.add("/received_at", "in_the_future");
    }
    if b.received_by.is_empty() {
        v.add("/received_by", "required");
    }
    if b.received_by.len() > HOSTS_MAX {
        v.add_error(FieldError::new("/received_by", "too_many").arg("max", HOSTS_MAX));
    }
    if b.visitors.is_empty() {
        v.add("/visitors", "required");
    }
    if b.visitors.len() > VISITORS_MAX {
        v.add_error(FieldError::new("/visitors", "too_many").arg("max", VISITORS_MAX));
    }
    let secret = &state.settings.notifications.link_secret;
    let mut visitors = Vec::new();
    for (i, p) in b.visitors.iter().enumerate() {
        let at = |f: &str| format!("/visitors/{i}/{f}");
        let name = v.line(&at("name"), &p.name, 1, 200);
        let id_number = p
            .id_number
            .as_deref()
            .and_then(|n| v.parse(&at("id_number"), n, IdNumber::parse))
            .map(|n| (id_number_hash(secret, &n), n.tail().to_string()));
        let phone = p
            .phone
            .as_deref()
            .and_then(|n| v.parse(&at("phone"), n, Phone::parse))
            .map(|n| n.as_str().to_string());
        let address = p
            .address
            .as_deref()
            .map(|a| v.line(&at("address"), a, 0, 500))
            .filter(|a| !a.is_empty());
        visitors.push(VisitorIn {
            name,
            id_number,
            phone,
            address,
        });
    }
    let group = b.group.as_ref().map(|g| {
        if g.size < CROWD_MIN {
            v.add_error(
                FieldError::new("/group/size", "out_of_range")
                    .arg("min", CROWD_MIN)
                    .arg("max", 100_000),
            );
        }
        let most = REPRESENTATIVES_MAX.min(b.visitors.len() as i32).max(1);
        if !(1..=most).contains(&g.representatives) {
            v.add_error(
                FieldError::new("/group/representatives", "out_of_range")
                    .arg("min", 1)
                    .arg("max", most),
            );
        }
        (g.size, g.representatives)
    });
    let note = b
        .outcome_note
        .as_deref()
        .map(|n| v.text("/outcome_note", n, 0, 2_000))
        .filter(|n| !n.trim().is_empty());
    let only = |v: &mut Violations, present: bool, wanted: Outcome, field: &str, code| {
        if present && b.outcome != wanted {
            v.add(field, code);
        }
    };
    only(
        &mut v,
        b.ticket.is_some(),
        Outcome::ReceivedAsTicket,
        "/ticket",
        "received_as_ticket_only",
    );
    only(
        &mut v,
        !b.documents.is_empty(),
        Outcome::ReceivedAsTicket,
        "/documents",
        "received_as_ticket_only",
    );
    only(
        &mut v,
        b.referred_unit_id.is_some(),
        Outcome::Referred,
        "/referred_unit_id",
        "referred_only",
    );
    only(
        &mut v,
        b.refusal_ground.is_some(),
        Outcome::Refused,
        "/refusal_ground",
        "refused_only",
    );
    match b.outcome {
        Outcome::ReceivedAsTicket if b.ticket.is_none() => v.add("/ticket", "required"),
        Outcome::Referred if b.referred_unit_id.is_none() => v.add("/referred_unit_id", "required"),
        Outcome::Refused => match b.refusal_ground {
            None => v.add("/refusal_ground", "required"),
            Some(g) if g.needs_note() && note.is_none() => v.add("/outcome_note", "required"),
            Some(_) => {}
        },
        _ => {}
    }
    if let Some(t) = &b.ticket {
        if t.channel.is_some_and(|c| c != Channel::InPerson) {
            v.add("/ticket/channel", "in_person_only");
        }
        if t.anonymous {
            v.add("/ticket/anonymous", "not_allowed");
        }
    }
    v.finish()?;
    Ok(Checked {
        visitors,
        group,
        outcome_note: note,
    })
}

/// The keyed hash an identity number is kept as: the same number always gives the same hash
/// (to find a person's earlier visits), and nobody without the server's secret can test
/// guesses against a stolen register.
fn id_number_hash(secret: &str, n: &IdNumber) -> String {
    crate::secrets::keyed(secret, "reception-id-number", n.as_str())
}

/// The ticket a visit is received as: the desk's submission, in person, from the first
/// visitor unless the ticket names its submitter.
fn ticket_of(mut t: SubmitRequest, b: &ReceptionRequest) -> SubmitRequest {
    t.channel = Some(Channel::InPerson);
    if let Some(first) = b.visitors.first() {
        t.submitter_name = t.submitter_name.or_else(|| Some(first.name.clone()));
        t.submitter_phone = t.submitter_phone.or_else(|| first.phone.clone());
        t.submitter_address = t.submitter_address.or_else(|| first.address.clone());
    }
    t.attachments.extend(b.documents.iter().cloned());
    t
}

/// Record a reception in the caller's unit's register (officials only). With
/// `received_as_ticket` the ticket is created in the same transaction through the desk's
/// submission (channel `in_person`, its deadline rule) and the answer carries its
/// `ticket_code` and, this once, the `tracking_secret` to print on the visitor's receipt (a
/// retry with the same `Idempotency-Key` gets a fresh secret, which replaces the first).
#[utoipa::path(tag = "receptions", security(("bearer" = [])), request_body = ReceptionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = ReceptionView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an official of a unit", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/receptions")]
pub async fn create(
    state: web::Data<AppState>,
    rctx: RequestContext,
    who: RequireRole<OfficialOnly>,
    creating: Creating<ReceptionRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let user = who.0;
    if user.unit_id.is_none() {
        return Err(ApiError::forbidden());
    }
    let Checked {
        visitors,
        group,
        outcome_note,
    } = check(&state, &body)?;
    let mut body = body;
    let (ticket, secret, refs) = match body.ticket.take() {
        Some(t) => {
            let ticket = ticket_of(t, &body);
            let p = prepare(&state, Some(&user), &ticket)
                .await
                .map_err(|e| e.under("/ticket"))?;
            (Some(p.submission), p.secret, Some(p.refs))
        }
        None => (None, None, None),
    };
    let visit = Visit {
        received_at: body.received_at.naive_utc(),
        place: body.place.trim().to_string(),
        kind: body.kind,
        hosts: body.received_by.clone(),
        visitors,
        group,
        summary: body.summary.trim().to_string(),
        outcome: body.outcome,
        outcome_note,
        referred_unit_id: body.referred_unit_id,
        refusal_ground: body.refusal_ground,
        ticket,
    };
    let scope = idempotency::scope(Some(user.id), "");
    let lang = rctx.lang;
    let st = state.clone();
    let (saved, replayed) = state
        .db(move |c| {
            let now = st.clock.now_naive();
            let work = |c: &mut DbConn| {
                let ctx = match refs {
                    Some(r) => st.ticket_ctx_with(r),
                    None => st.ticket_ctx(c)?,
                };
                let (view, ticket) = receptions::record(c, &user, &visit, &ctx, lang)?;
                Ok(Made {
                    body: view,
                    resource: ticket.map(|t| t.code),
                    once: secret_field(&secret),
                })
            };
            let replayed =
                |c: &mut DbConn, saved: &db::idempotency::Saved| match (&secret, &saved.resource) {
                    (Some(s), Some(code)) => {
                        crate::workflow::tickets::reissue_secret(c, code, &tokens::hash_token(s))?;
                        Ok(secret_field(&secret))
                    }
                    _ => Ok(Map::new()),
                };
            idempotency::transact(
                c,
                &scope,
                key.as_deref(),
                &digest,
                now,
                StatusCode::CREATED,
                work,
                replayed,
            )
        })
        .await?;
    Ok(idempotency::answer(saved, replayed))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Received on or after this local date.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    /// Received on or before this local date.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<NaiveDate>,
    #[param(inline)]
    pub kind: Option<Kind>,
    #[param(inline)]
    pub outcome: Option<Outcome>,
    /// The unit's officials only: receptions of the person with this identity number.
    pub id_number: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// `from`..=`to` (local dates) as UTC bounds: (at or after, before).
pub fn bounds(
    day_end: &DayEnd,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<(Option<NaiveDateTime>, Option<NaiveDateTime>), ApiError> {
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(ApiError::validation(vec![
            FieldError::new("/to", "period_reversed").arg("from", f),
        ]));
    }
    let mut outside = Vec::new();
    for (field, d) in [("/from", from), ("/to", to)] {
        if d.is_some_and(|d| !(2000..=2100).contains(&chrono::Datelike::year(&d))) {
            outside.push(
                FieldError::new(field, "out_of_range")
                    .arg("min", "2000-01-01")
                    .arg("max", "2100-12-31"),
            );
        }
    }
    if !outside.is_empty() {
        return Err(ApiError::validation(outside));
    }
    let start =
        from.map(|d| (day_end.end_of(d - Duration::days(1)) + Duration::seconds(1)).naive_utc());
    let until = to.map(|d| (day_end.end_of(d) + Duration::seconds(1)).naive_utc());
    Ok((start, until))
}

/// The register: the caller's unit's receptions (officials: their unit, and its subunits
/// when it sees them, with the visitors), or those of the subtree a supervisor oversees
/// (without the visitors), latest first. Citizens: 403.
#[utoipa::path(tag = "receptions", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = List<ReceptionView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/receptions")]
pub async fn list(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<(NaiveDateTime, i64)>::new(q.after.as_deref(), q.limit)?;
    let (from, until) = bounds(&state.settings.deadlines.day_end(), q.from, q.to)?;
    let id_number_hash = match q.id_number.as_deref() {
        Some(n) => Some(id_number_hash(
            &state.settings.notifications.link_secret,
            &IdNumber::parse(n).map_err(|code| ApiError::field("/id_number", code))?,
        )),
        None => None,
    };
    let filter = crate::db::receptions::Filter {
        units: None,
        from,
        until,
        kind: q.kind.map(|k| k.as_str().to_string()),
        outcome: q.outcome.map(|o| o.as_str().to_string()),
        id_number_hash,
    };
    let lang = rctx.lang;
    let fetch = page.fetch();
    let after = page.after;
    let rows = state
        .db(move |c| {
            db::read(c, |c| {
                receptions::list(c, &user, filter, after, fetch, lang).map_err(ApiError::from)
            })
        })
        .await?;
    let list = paginate(
        rows,
        page.limit,
        |r| (r.received_at.naive_utc(), r.id),
        |r| r,
    );
    Ok(HttpResponse::Ok().json(list))
}

/// One reception of the register (404 when the caller may not read it).
#[utoipa::path(tag = "receptions", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The reception's id")),
    responses((status = 200, body = ReceptionView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/receptions/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let lang = rctx.lang;
    let view = state
        .db(move |c| {
            db::read(c, |c| {
                receptions::one(c, &user, id, lang).map_err(ApiError::from)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

// --- the report -------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// First day of the period (local date, inclusive). Default: the first day of the month
    /// eleven months before `to`.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<NaiveDate>,
    /// Last day of the period (local date, inclusive). Default: today.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<NaiveDate>,
    /// Only this unit's receptions (its subtree's with `include_subunits=true`), inside what
    /// the caller reads (403 `report_scope_forbidden` outside).
    pub unit_id: Option<i64>,
    pub include_subunits: Option<bool>,
    /// `unit` (default) or `month`.
    #[param(inline)]
    pub group_by: Option<ReportGroupBy>,
    /// `json` (default) or `csv` (`text/csv; charset=utf-8`, UTF-8 with a byte-order mark).
    #[param(inline)]
    pub format: Option<Format>,
}

/// The citizen-reception figures of a period, and of the same period a year before.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceptionReport {
    pub period: Period,
    /// The same dates a year earlier (29 February: the 28th).
    pub previous_period: Period,
    pub group_by: ReportGroupBy,
    pub generated_at: DateTime<Utc>,
    pub totals: ReportGroup,
    /// Groups with a reception or a head's day in either period: units by id, months in
    /// order.
    pub groups: Vec<ReportGroup>,
    /// Overdue items: each whole week or month of the period, ended before today, in which a
    /// unit's head held no reception day the law asks of it (`receptions.head_days`).
    pub missed_head_days: Vec<MissedHeadDay>,
}

/// Citizen-reception figures, as the units' quarterly reports quote them ("received 137
/// citizen visits, down 25.5 %").
///
/// For the unit's officials (their unit, and its subunits when it sees them), supervisors
/// over the subtree they oversee, administrators over every unit; citizens 403. **Which
/// receptions**: those received (`received_at`) from 00:00 of `from` to 24:00 of `to`, local
/// time, by a unit of the scope. **Figures**: `visits` (receptions), `visitors` (people; a
/// crowd counts its size), `crowd_receptions` (đoàn đông người, also in `visits`),
/// `head_days_held` (distinct unit and local date with a `head_day` reception), `outcomes`
/// (receptions by outcome); `previous` the same for the same dates a year before (a month
/// group: the same month), `change_pct` the change in per cent to one decimal (`null` where
/// the earlier figure is 0). `format=csv`: one row per group and a `total` row.
#[utoipa::path(tag = "receptions", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = ReceptionReport),
        (status = 200, description = "`format=csv`: UTF-8 with BOM, one row per group, then the totals", body = String, content_type = "text/csv"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "action_forbidden / report_scope_forbidden", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/reports/receptions")]
pub async fn report(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let day_end = state.settings.deadlines.day_end();
    let now = state.clock.now();
    let span = period(&day_end, day_end.local_date(now), q.from, q.to)?;
    let before = period(
        &day_end,
        day_end.local_date(now),
        Some(year_before(span.from)),
        Some(year_before(span.to)),
    )?;
    let group_by = q.group_by.unwrap_or_default();
    let lang = rctx.lang;
    let (unit_id, subunits) = (q.unit_id, q.include_subunits.unwrap_or(false));
    let window = |s: crate::api::reports::Span| Window {
        from: s.from,
        to: s.to,
        start: s.start,
        until: s.until,
    };
    let today = day_end.local_date(now);
    let st = state.clone();
    let (reported, missed_head_days) = state
        .db(move |c| {
            db::read(c, |c| {
                let units = receptions::report_units(c, &user, unit_id, subunits)?;
                let reported = receptions::report(
                    c,
                    &units,
                    window(span),
                    window(before),
                    today,
                    group_by,
                    &day_end,
                    lang,
                )?;
                let missed = crate::workflow::reception_days::missed(
                    c,
                    units.as_deref(),
                    span.from,
                    span.to,
                    today,
                    &st.settings.receptions.head_days,
                    &reported.head_days,
                    lang,
                )?;
                Ok::<_, ApiError>((reported, missed))
            })
        })
        .await?;
    let report = ReceptionReport {
        period: Period {
            from: span.from,
            to: span.to,
        },
        previous_period: Period {
            from: before.from,
            to: before.to,
        },
        group_by,
        generated_at: now,
        totals: reported.totals,
        groups: reported.groups,
        missed_head_days,
    };
    if q.format == Some(Format::Csv) {
        let (from, to) = (span.from, span.to);
        return Ok(HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"receptions-{from}-{to}.csv\""),
            ))
            .body(csv(&report)));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "group_by",
    "key",
    "label",
    "visits",
    "visitors",
    "crowd_receptions",
    "head_days_held",
    "guided",
    "received_as_ticket",
    "referred",
    "refused",
    "previous_visits",
    "previous_visitors",
    "previous_crowd_receptions",
    "previous_head_days_held",
    "visits_change_pct",
    "visitors_change_pct",
    "crowd_receptions_change_pct",
    "head_days_held_change_pct",
];

/// The report as CSV (see [`csv_document`]): one row per group, then the totals; names are
/// text cells (neutralised for spreadsheets), figures numbers, a missing change empty.
pub fn csv(r: &ReceptionReport) -> String {
    let group_by = match r.group_by {
        ReportGroupBy::Unit => "unit",
        ReportGroupBy::Month => "month",
    };
    let num = |n: u64| Cell::Number(n.to_string());
    let pct = |p: Option<f64>| Cell::Number(p.map(|p| format!("{p:.1}")).unwrap_or_default());
    let row = |by: &str, g: &ReportGroup| {
        let (f, p, c) = (&g.figures, &g.previous, &g.change_pct);
        vec![
            Cell::Text(by.to_string()),
            Cell::Text(g.key.clone()),
            Cell::Text(g.label.clone()),
            num(f.visits),
            num(f.visitors),
            num(f.crowd_receptions),
            num(f.head_days_held),
            num(f.outcomes.guided),
            num(f.outcomes.received_as_ticket),
            num(f.outcomes.referred),
            num(f.outcomes.refused),
            num(p.visits),
            num(p.visitors),
            num(p.crowd_receptions),
            num(p.head_days_held),
            pct(c.visits),
            pct(c.visitors),
            pct(c.crowd_receptions),
            pct(c.head_days_held),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = r.groups.iter().map(|g| row(group_by, g)).collect();
    rows.push(row("total", &r.totals));
    csv_document(CSV_COLUMNS, rows.iter().map(Vec::as_slice))
}
