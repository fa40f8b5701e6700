//! `/console/admin/…`: what administrators keep — the unit tree, categories with their form
//! fields, routing rules (with a "try it" box over the routing preview), deadline policies,
//! calendar overrides, and staff accounts.
//!
//! Every page and form is for administrators only: the API's [`AdminOnly`] decides (an
//! official or a supervisor gets the 403 page; a citizen never gets past [`Staff`]). A form is
//! refused without its anti-forgery token before anything is read or written. Each change
//! goes through the same checks and use cases as its `/api/v1/admin/…` route, and is written
//! to the administrators' audit log as that route would write it ([`Change`]). A refused
//! change shows the problem's message with the form as it was sent; a change that is made
//! redirects (303) to the page with a notice.

mod calendar;
mod categories;
mod policies;
mod routing;
mod units;
mod users;

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::words::Words;
use super::{Frame, Notice, Reply, Staff, html, problem, see_other};
use crate::api::caller::{AdminOnly, Roles};
use crate::api::error::ApiError;
use crate::state::AppState;

/// The administration pages' routes, under `/console`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/units", web::get().to(units::page))
        .route("/admin/units", web::post().to(units::create))
        .route("/admin/units/{id}", web::get().to(units::one))
        .route("/admin/units/{id}", web::post().to(units::edit))
        .route(
            "/admin/units/{id}/active",
            web::post().to(units::set_active),
        )
        .route("/admin/units/{id}/merge", web::post().to(units::merge))
        .route("/admin/categories", web::get().to(categories::page))
        .route("/admin/categories", web::post().to(categories::create))
        .route("/admin/categories/{code}", web::get().to(categories::one))
        .route("/admin/categories/{code}", web::post().to(categories::edit))
        .route("/admin/routing", web::get().to(routing::page))
        .route("/admin/routing/rules", web::post().to(routing::add))
        .route(
            "/admin/routing/rules/{id}/delete",
            web::post().to(routing::remove),
        )
        .route("/admin/policies", web::get().to(policies::page))
        .route("/admin/policies/{id}", web::get().to(policies::one))
        .route("/admin/policies/{id}", web::post().to(policies::edit))
        .route("/admin/calendar", web::get().to(calendar::page))
        .route("/admin/calendar", web::post().to(calendar::set))
        .route(
            "/admin/calendar/{date}/delete",
            web::post().to(calendar::remove),
        )
        .route("/admin/users", web::get().to(users::page))
        .route("/admin/users", web::post().to(users::create))
        .route("/admin/users/{id}/disable", web::post().to(users::disable))
        .route(
            "/admin/users/{id}/password-reset",
            web::post().to(users::reset),
        );
}

/// The sections of the administration, in the order the index and the section menu show them:
/// (section, path, title word, description word).
const SECTIONS: &[(&str, &str, &str, &str)] = &[
    (
        "units",
        "/console/admin/units",
        "admin_units",
        "admin_units_about",
    ),
    (
        "categories",
        "/console/admin/categories",
        "admin_categories",
        "admin_categories_about",
    ),
    (
        "routing",
        "/console/admin/routing",
        "admin_routing",
        "admin_routing_about",
    ),
    (
        "policies",
        "/console/admin/policies",
        "admin_policies",
        "admin_policies_about",
    ),
    (
        "calendar",
        "/console/admin/calendar",
        "admin_calendar",
        "admin_calendar_about",
    ),
    (
        "users",
        "/console/admin/users",
        "admin_users",
        "admin_users_about",
    ),
];

/// One section as a link.
pub struct Section {
    pub name: &'static str,
    pub href: &'static str,
    pub title: &'static str,
    pub about: &'static str,
    pub current: bool,
}

fn sections(t: Words, current: &str) -> Vec<Section> {
    SECTIONS
        .iter()
        .map(|(name, href, title, about)| Section {
            name,
            href,
            title: t.get(title),
            about: t.get(about),
            current: *name == current,
        })
        .collect()
}

/// Only administrators: the API's rule for `/api/v1/admin/…` (403 page otherwise).
fn only_admin(staff: &Staff) -> Result<(), Reply> {
    if AdminOnly::ALLOWED.contains(&staff.user.role) {
        Ok(())
    } else {
        Err(Reply::Problem(staff.lang, ApiError::forbidden()))
    }
}

/// A form of the administration: its anti-forgery token first (nothing is read or written
/// without it), then the role.
fn check_form(staff: &Staff, state: &AppState, csrf: &str) -> Result<(), Reply> {
    staff.check(state, csrf)?;
    only_admin(staff)
}

/// The frame of an administration page, its title from the words.
fn frame(staff: &Staff, state: &AppState, title: &str) -> Frame {
    staff.frame(state, "admin", staff.t().get(title).to_string())
}

/// The API route a console change stands for, as the administrators' audit log records it:
/// `"{method} {route}"`, the API path of the same change, the status the API answers with.
pub struct Change {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
    pub target: String,
}

/// How a change ended.
enum Settled {
    /// Made: recorded, and the redirect to the page with its notice.
    Done(HttpResponse),
    /// Refused: the status and the notice to show on the page again, its form as it was sent.
    Refused(StatusCode, Notice),
}

/// Ends a change: made — written to the audit log as its API route writes it, and redirected
/// (303) to `to`; refused (422, 409) — the notice for the page; anything else is a page of its
/// own.
async fn settle<T>(
    staff: &Staff,
    state: &AppState,
    result: Result<T, ApiError>,
    change: Change,
    to: impl FnOnce(&T) -> String,
) -> Result<Settled, Reply> {
    match result {
        Ok(v) => {
            crate::api::middleware::record_admin_entry(
                state,
                Some(staff.user.id),
                change.method,
                change.route,
                change.target,
                change.status,
            )
            .await;
            Ok(Settled::Done(see_other(&to(&v))))
        }
        Err(e) => {
            let (status, notice) = refusal(staff.lang, e)?;
            Ok(Settled::Refused(status, notice))
        }
    }
}

/// Runs a change in one write transaction.
async fn write<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<T, ApiError> + Send + 'static,
    T: Send + 'static,
{
    state.db(move |c| crate::db::write(c, f)).await
}

/// Items in tree order — each after its parent, siblings in the order given — with their
/// depth. An item whose parent is not among them stands at the top; so does one caught in a
/// cycle (which the checks never let the database hold), without its children.
fn tree_order<'a, T, K>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
    parent: impl Fn(&'a T) -> Option<K>,
) -> Vec<(&'a T, usize)>
where
    K: Eq + std::hash::Hash + Copy,
{
    let keys: HashSet<K> = items.iter().map(&key).collect();
    let mut children: HashMap<Option<K>, Vec<&'a T>> = HashMap::new();
    for item in items {
        let up = parent(item).filter(|p| keys.contains(p) && *p != key(item));
        children.entry(up).or_default().push(item);
    }
    let mut out = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    let mut stack: Vec<(&'a T, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|r| (*r, 0)).collect())
        .unwrap_or_default();
    while let Some((item, depth)) = stack.pop() {
        if !seen.insert(key(item)) {
            continue;
        }
        out.push((item, depth));
        if let Some(kids) = children.get(&Some(key(item))) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    out.extend(
        items
            .iter()
            .filter(|i| !seen.contains(&key(i)))
            .map(|i| (i, 0)),
    );
    out
}

/// Why a change was refused, for the top of the page, with the status to answer with; any
/// other problem (not found, internal) is a page of its own.
fn refusal(lang: crate::i18n::Lang, e: ApiError) -> Result<(StatusCode, Notice), Reply> {
    if !e.error().is_refusal() || e.status() == StatusCode::NOT_FOUND {
        return Err(problem(lang)(e));
    }
    let p = e.to_problem(lang, "");
    let mut text = p.detail;
    for f in p.errors {
        // The field's place in the API's body, so the message says which field it is about.
        let place = f.field.trim_start_matches('/').replace('/', " › ");
        if place.is_empty() {
            text.push_str(&format!(" {}", f.message));
        } else {
            text.push_str(&format!(" {place}: {}", f.message));
        }
    }
    Ok((e.status(), Notice { error: true, text }))
}

/// The notice after a change was made (`?done=…`).
fn done_notice(t: Words, done: Option<&str>) -> Option<Notice> {
    let key = match done? {
        "created" | "added" => "admin_created",
        "deleted" => "admin_deleted",
        "merged" => "admin_merged",
        "disabled" => "admin_disabled",
        "reset_sent" => "admin_reset_sent",
        _ => "admin_saved",
    };
    Some(Notice {
        error: false,
        text: t.get(key).to_string(),
    })
}

/// `?done=…` after a change, and the page's language.
#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// A choice of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// Choices from `(value, label)`, `chosen` selected.
fn opts<V: ToString, L: ToString>(
    values: impl IntoIterator<Item = (V, L)>,
    chosen: &str,
) -> Vec<Opt> {
    values
        .into_iter()
        .map(|(v, l)| {
            let value = v.to_string();
            Opt {
                selected: value == chosen,
                label: l.to_string(),
                value,
            }
        })
        .collect()
}

/// A whole number from a form field: `None` when empty; a wrong one is refused on `field` as
/// the API refuses a value of the wrong type.
fn number<N: std::str::FromStr>(field: &str, raw: &str) -> Result<Option<N>, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<N>().map(Some).map_err(|_| {
        ApiError::validation(vec![
            crate::error::FieldError::new(field, "invalid_type").arg("reason", raw),
        ])
    })
}

/// A value a select never offers (a form made by hand): refused on `field`, as the API refuses
/// an unknown value.
fn invalid(field: &str, raw: &str) -> ApiError {
    ApiError::validation(vec![
        crate::error::FieldError::new(field, "invalid_value").arg("reason", raw),
    ])
}

/// A text field: `None` when empty.
fn filled(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The units as `(id, "code — name")`, for selects: every unit, active ones only if `active`.
fn unit_choices(
    units: &[crate::db::units::Unit],
    lang: crate::i18n::Lang,
    active: bool,
) -> Vec<(String, String)> {
    let mut all: Vec<&crate::db::units::Unit> =
        units.iter().filter(|u| !active || u.active).collect();
    all.sort_by(|a, b| a.code.cmp(&b.code));
    all.into_iter()
        .map(|u| (u.id.to_string(), format!("{} — {}", u.code, u.name(lang))))
        .collect()
}

/// Every unit (the tree is small: a province has hundreds, not millions).
fn all_units(c: &mut crate::db::DbConn) -> Result<Vec<crate::db::units::Unit>, crate::db::Error> {
    crate::db::units::list(c, &crate::db::units::Filter::default(), None, 20_000)
}

#[derive(Template)]
#[template(path = "console/admin.html")]
struct IndexPage {
    f: Frame,
    sections: Vec<Section>,
}

/// `GET /console/admin`: the sections.
async fn index(staff: Staff, state: web::Data<AppState>) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let page = IndexPage {
        f: frame(&staff, &state, "admin"),
        sections: sections(staff.t(), ""),
    };
    Ok(html(StatusCode::OK, &page))
}
