//! `/console/tickets/{code}`: a ticket as this person may see it (the API's view: a
//! denouncer's identity only for the handling unit, behind a button that records the look),
//! its clocks, files and timeline, and the actions allowed now — each a form posting to
//! `/console/tickets/{code}/{action}` with `data-action`, the API's action names, carried out
//! by the same workflow as `POST /api/v1/tickets/{code}/{action}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::words::Words;
use super::{Choice, Frame, Notice, Reply, Staff, db, html, problem, problem_text, see_other};
use crate::api::error::ApiError;
use crate::api::tickets::{ActionBody, check_action, fields_of};
use crate::api::uploads::{Variant, send_file};
use crate::domain::account::Role;
use crate::domain::deadlines::ClockState;
use crate::domain::ticket::Action;
use crate::state::AppState;
use crate::workflow::tickets::{self, EventView, Identity, TicketView, Viewer};

/// One action the person may take now, with the fields its form asks for.
pub struct ActionForm {
    pub name: &'static str,
    pub label: &'static str,
    /// Fields the action requires, then those it may take (the API's body).
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// It tells the citizen.
    pub tells: bool,
}

impl ActionForm {
    pub fn takes(&self, field: &str) -> bool {
        self.required.contains(&field) || self.optional.contains(&field)
    }
    pub fn needs(&self, field: &str) -> bool {
        self.required.contains(&field)
    }
}

/// A clock as the page shows it.
pub struct ClockLine {
    pub name: &'static str,
    pub state: &'static str,
    pub due_date: String,
    pub working_days_left: Option<i64>,
}

/// An event of the timeline as the page shows it.
pub struct EventLine {
    pub at: String,
    pub kind: String,
    pub who: &'static str,
    pub text: Option<String>,
    pub internal: bool,
}

#[derive(Template)]
#[template(path = "console/ticket.html")]
struct TicketPage {
    f: Frame,
    v: TicketView,
    can_reveal: bool,
    received: String,
    clocks: Vec<ClockLine>,
    events: Vec<EventLine>,
    actions: Vec<ActionForm>,
    units: Vec<Choice>,
    officials: Vec<Choice>,
    can_comment: bool,
}

fn viewer(staff: &Staff) -> Viewer {
    Viewer {
        user: Some(staff.user.clone()),
        secret: None,
    }
}

/// Builds the page for `code` (recording a look at a denouncer when `identity` shows it).
async fn build(
    staff: &Staff,
    state: &web::Data<AppState>,
    code: String,
    identity: Identity,
    notice: Option<Notice>,
) -> Result<TicketPage, Reply> {
    let lang = staff.lang;
    let t = staff.t();
    let v = viewer(staff);
    let st = state.clone();
    let (looked, allowed, timeline, units, officials, ctx_now) = db(state, lang, move |c| {
        let ctx = st.ticket_ctx(c)?;
        let looked = tickets::look(c, &code, &v, &ctx, lang, identity)?;
        let allowed = tickets::allowed(c, &looked.ticket, looked.access, &ctx)?;
        let timeline = tickets::timeline(c, &looked.ticket, looked.access)?;
        let handling = looked.access == tickets::Access::Handling;
        let units = if handling && allowed.contains(&Action::Forward) {
            forward_choices(c, looked.ticket.unit_id)?
        } else {
            vec![]
        };
        let officials = if handling && allowed.contains(&Action::Assign) {
            crate::db::users::list(
                c,
                Some(Role::Official),
                Some(looked.ticket.unit_id),
                None,
                None,
                500,
            )?
        } else {
            vec![]
        };
        Ok((
            looked,
            allowed,
            timeline,
            units,
            officials,
            (ctx.cal, ctx.now),
        ))
    })
    .await?;
    let (cal, now) = ctx_now;
    let day_end = state.settings.deadlines.day_end();
    let today = day_end.local_date(now);
    let date =
        |d: chrono::DateTime<chrono::Utc>| day_end.local_date(d).format("%d/%m/%Y").to_string();
    let kind = looked.view.kind;
    let clocks = looked
        .view
        .clocks
        .iter()
        .map(|c| ClockLine {
            name: clock_word(&c.name),
            state: match c.state {
                ClockState::Pending => "pending",
                ClockState::Running => "running",
                ClockState::Paused => "paused",
                ClockState::Met => "met",
                ClockState::Missed => "missed",
            },
            due_date: c
                .due_local_date
                .map(|d| d.format("%d/%m/%Y").to_string())
                .unwrap_or_default(),
            working_days_left: match (c.state, c.due_local_date) {
                (ClockState::Running, Some(d)) if d >= today => {
                    Some(i64::from(cal.working_days_in(today, d)))
                }
                _ => None,
            },
        })
        .collect();
    let events = timeline
        .into_iter()
        .map(|e| event_line(t, &day_end, e))
        .collect();
    let actions = allowed
        .into_iter()
        .map(|a| {
            let (required, optional) = fields_of(a);
            ActionForm {
                name: a.as_str(),
                label: t.action(a, kind),
                required,
                optional,
                tells: tells_citizen(a),
            }
        })
        .collect();
    let handling = looked.access == tickets::Access::Handling;
    let mut f = staff.frame(
        state,
        "inbox",
        format!("{} · {}", looked.view.code, looked.view.title),
    );
    f.notice = notice;
    Ok(TicketPage {
        can_reveal: handling && looked.ticket.confidential && looked.view.submitter.is_none(),
        received: date(looked.view.received_at),
        clocks,
        events,
        actions,
        units: units
            .into_iter()
            .filter(|u| u.id != looked.ticket.unit_id)
            .map(|u| Choice {
                value: u.code.clone(),
                label: u.name(lang).to_string(),
                selected: false,
            })
            .collect(),
        officials: officials
            .into_iter()
            .filter(|u| u.active())
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.full_name,
                selected: false,
            })
            .collect(),
        can_comment: handling || looked.access == tickets::Access::Submitter,
        v: looked.view,
        f,
    })
}

/// The units a ticket is usually forwarded to, offered as you type: up its unit's chain, and
/// the units under each of those (the neighbouring communes, a province's departments and
/// police). Any other unit is taken by its code; a list of every unit in the country would
/// weigh more than the page.
fn forward_choices(
    c: &mut crate::db::DbConn,
    unit_id: i64,
) -> Result<Vec<crate::db::units::Unit>, ApiError> {
    use crate::db::units::{self, Filter};
    let mut chain = Vec::new();
    let mut at = Some(unit_id);
    // A unit tree is a few levels deep; the bound guards a cycle an import could make.
    while let Some(id) = at.filter(|_| chain.len() < 8) {
        let Some(u) = units::find(c, id)? else { break };
        at = u.parent_id;
        chain.push(u);
    }
    let mut out: std::collections::BTreeMap<i64, units::Unit> = Default::default();
    for u in &chain {
        let under = Filter {
            parent_id: Some(u.id),
            active: Some(true),
            ..Default::default()
        };
        for child in units::list(c, &under, None, 500)? {
            out.insert(child.id, child);
        }
        if u.active {
            out.insert(u.id, u.clone());
        }
    }
    Ok(out.into_values().collect())
}

fn clock_word(name: &str) -> &'static str {
    match name {
        "accept" => "clock_accept",
        "forward" => "clock_forward",
        "resolve" => "clock_resolve",
        _ => "clock_update",
    }
}

/// Whether an action tells the citizen (the form says so).
fn tells_citizen(a: Action) -> bool {
    !matches!(a, Action::Assign | Action::Suspend | Action::MarkDuplicate)
}

fn event_line(t: Words, day_end: &crate::domain::deadlines::DayEnd, e: EventView) -> EventLine {
    let local = e.at.with_timezone(&day_end.tz);
    EventLine {
        at: local.format("%d/%m/%Y %H:%M").to_string(),
        who: match e.actor_role.as_deref() {
            Some("official") => t.get("official"),
            Some("supervisor") => t.get("supervisor"),
            Some("admin") => t.get("admin_role"),
            Some(_) => t.get("citizen"),
            None => t.get("system"),
        },
        kind: words_of_event(t, &e.kind),
        text: e.text,
        internal: !e.public,
    }
}

/// An event's name: the action's or the status's word where there is one.
fn words_of_event(t: Words, kind: &str) -> String {
    let word = crate::console::words::text(kind).map(|(vi, en)| t.0.pick(vi, en));
    word.map(str::to_string)
        .unwrap_or_else(|| kind.replace('_', " "))
}

/// `GET /console/tickets/{code}`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    let notice = q.done.as_ref().map(|_| Notice {
        error: false,
        text: staff.t().get("done").to_string(),
    });
    let page = build(
        &staff,
        &state,
        path.into_inner(),
        Identity::Withhold,
        notice,
    )
    .await?;
    Ok(html(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// `POST /console/tickets/{code}/identity`: shows the denouncer to the handling unit, recorded
/// on the timeline like the API's look.
pub async fn reveal(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<super::session::CsrfForm>,
) -> Result<HttpResponse, Reply> {
    staff.check(&state, &form.csrf)?;
    let page = build(&staff, &state, path.into_inner(), Identity::Show, None).await?;
    Ok(html(StatusCode::OK, &page))
}

/// An action's form: the API's body fields as form fields, and the anti-forgery token.
#[derive(Debug, Default, Deserialize)]
pub struct ActionFields {
    #[serde(default)]
    csrf: String,
    reason: Option<String>,
    complex: Option<String>,
    unit_id: Option<String>,
    /// A unit by its code (the forward form's search box).
    unit_code: Option<String>,
    user_id: Option<String>,
    question: Option<String>,
    answer: Option<String>,
    note: Option<String>,
    days: Option<String>,
    publish: Option<String>,
    of: Option<String>,
}

fn filled(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.trim().is_empty())
}

/// The API's body from the form; a number that is not one is refused like the API refuses it.
fn body_of(action: Action, f: ActionFields) -> Result<ActionBody, ApiError> {
    let number = |field: &'static str, v: Option<String>| -> Result<Option<i64>, ApiError> {
        match filled(v) {
            None => Ok(None),
            Some(s) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ApiError::field(format!("/{field}"), "invalid_type")),
        }
    };
    let (required, optional) = fields_of(action);
    let takes = |name: &str| required.contains(&name) || optional.contains(&name);
    Ok(ActionBody {
        reason: filled(f.reason).filter(|_| takes("reason")),
        complex: takes("complex").then_some(f.complex.is_some()),
        unit_id: number("unit_id", f.unit_id)?,
        user_id: if takes("user_id") {
            Some(number("user_id", f.user_id)?)
        } else {
            None
        },
        question: filled(f.question),
        answer: filled(f.answer),
        note: filled(f.note),
        days: number("days", f.days)?.map(|d| d.clamp(0, u32::MAX as i64) as u32),
        publish: takes("publish").then_some(f.publish.is_some()),
        attachments: None,
        of: filled(f.of),
        on_behalf: (action == Action::ProvideInfo).then_some(true),
    })
}

/// `POST /console/tickets/{code}/{action}`: the action through the workflow; back to the
/// ticket, or the ticket again with the problem's message when it is refused.
pub async fn act(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<ActionFields>,
) -> Result<HttpResponse, Reply> {
    let (code, name) = path.into_inner();
    let mut form = form.into_inner();
    staff.check(&state, &form.csrf)?;
    let lang = staff.lang;
    // The search box names a unit by its code; the action takes its id.
    if filled(form.unit_id.clone()).is_none()
        && let Some(unit_code) = filled(form.unit_code.take())
    {
        let unit_code = unit_code.trim().to_uppercase();
        let found = db(&state, lang, move |c| {
            Ok(crate::db::units::find_by_code(c, &unit_code)?)
        })
        .await?;
        match found {
            Some(u) => form.unit_id = Some(u.id.to_string()),
            None => {
                let e = ApiError::field("/unit_id", "unknown_unit");
                return refused(&staff, &state, code, e).await;
            }
        }
    }
    let Some(action) = Action::parse(&name) else {
        return Err(Reply::Problem(lang, ApiError::not_found("route_not_found")));
    };
    let result = match body_of(action, form).and_then(|b| check_action(&state, action, b)) {
        Ok(input) => {
            let (st, v, c2) = (state.clone(), viewer(&staff), code.clone());
            state
                .db(move |conn| -> Result<(), ApiError> {
                    let mut tries = 0;
                    loop {
                        tries += 1;
                        let r = crate::db::write(conn, |c| -> Result<(), ApiError> {
                            let ctx = st.ticket_ctx(c)?;
                            tickets::act(c, &c2, &v, action, &input, &ctx)?;
                            Ok(())
                        });
                        match r {
                            Err(e) if e.code() == "concurrent_update" && tries < 3 => continue,
                            other => return other,
                        }
                    }
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/console/tickets/{code}?done={}",
            action.as_str()
        ))),
        Err(e) => refused(&staff, &state, code, e).await,
    }
}

/// The ticket page again, with why the request was refused (and its status).
async fn refused(
    staff: &Staff,
    state: &web::Data<AppState>,
    code: String,
    e: ApiError,
) -> Result<HttpResponse, Reply> {
    if !e.error().is_refusal() || e.status() == StatusCode::NOT_FOUND {
        return Err(problem(staff.lang)(e));
    }
    let notice = Notice {
        error: true,
        text: problem_text(staff.lang, &e),
    };
    let page = build(staff, state, code, Identity::Withhold, Some(notice)).await?;
    Ok(html(e.status(), &page))
}

#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    body: String,
    #[serde(default)]
    public: Option<String>,
}

/// `POST /console/tickets/{code}/comments`: a note on the timeline — internal by default.
pub async fn comment(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<CommentForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    staff.check(&state, &form.csrf)?;
    let code = path.into_inner();
    let mut check = crate::validation::Violations::new();
    let text = check.text(
        "/body",
        &form.body,
        1,
        state.settings.tickets.description_max_chars,
    );
    let public = form.public.is_some();
    let (v, c2) = (viewer(&staff), code.clone());
    let now = state.clock.now_naive();
    let result = match check.finish() {
        Err(e) => Err(ApiError::from(e)),
        Ok(()) => {
            state
                .db(move |conn| -> Result<(), ApiError> {
                    crate::db::write(conn, |c| -> Result<(), ApiError> {
                        let (t, access) = tickets::readable(c, &c2, &v)?;
                        if access != tickets::Access::Handling {
                            return Err(ApiError::forbidden());
                        }
                        tickets::comment(c, &t, v.actor(), &text, public, "comment", now)?;
                        Ok(())
                    })
                })
                .await
        }
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/console/tickets/{code}?done=comment"))),
        Err(e) => refused(&staff, &state, code, e).await,
    }
}

async fn file(
    staff: Staff,
    state: web::Data<AppState>,
    id: String,
    variant: Variant,
) -> Result<HttpResponse, Reply> {
    let v = viewer(&staff);
    let now = state.clock.now_naive();
    let scope = crate::db::idempotency::scope(Some(staff.user.id), "");
    let lang = staff.lang;
    let upload = db(&state, lang, move |c| {
        Ok(tickets::files::open(c, &id, &v, &scope, now)?)
    })
    .await?;
    send_file(&state, &upload, variant)
        .await
        .map_err(problem(lang))
}

/// `GET /console/attachments/{id}`: a file of a ticket, as the API serves it.
pub async fn attachment(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Reply> {
    file(staff, state, path.into_inner(), Variant::Original).await
}

/// `GET /console/attachments/{id}/thumbnail`.
pub async fn thumbnail(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, Reply> {
    file(staff, state, path.into_inner(), Variant::Thumbnail).await
}
