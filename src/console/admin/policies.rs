//! `/console/admin/policies`: the deadline policies, and a page to change one — the same change
//! and checks as `PATCH /api/v1/admin/sla-policies/{id}` (the policy checked as a whole).
//! Running tickets keep their due dates; the page says so.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::{
    Change, DoneQuery, Opt, Section, Settled, check_form, done_notice, frame, only_admin, opts,
    sections, settle,
};
use crate::api::admin_policies::{PolicyChanges, change};
use crate::api::deadlines::{ClockBody, CountingBody, LengthsBody};
use crate::api::error::ApiError;
use crate::console::words::Words;
use crate::console::{Frame, Notice, Reply, Staff, db, html};
use crate::db::policies::{self as store, StoredPolicy};
use crate::domain::deadlines::Counting;
use crate::domain::policy::{Channel, ClockName, Extensions, PolicyClock, StartsAt, TicketKind};
use crate::error::FieldError;
use crate::state::AppState;

/// Policies listed (the shipped defaults are a few dozen).
const LIMIT: i64 = 1_000;

/// The rows of the clocks' table: one per clock a policy may run.
const ROWS: usize = ClockName::ALL.len();

/// One policy as the list shows it.
pub struct PolicyLine {
    pub id: i64,
    pub name: String,
    pub kind: &'static str,
    /// "First round", "Second round", or empty.
    pub round: &'static str,
    pub category: String,
    pub channel: &'static str,
    pub urgent: bool,
    pub active: bool,
    /// "Acceptance: 10 working days", …
    pub clocks: Vec<String>,
}

fn clock_word(t: Words, c: ClockName) -> &'static str {
    t.get(&format!("clock_{}", c.as_str()))
}

fn counting_word(t: Words, c: Counting) -> &'static str {
    match c {
        Counting::WorkingDays => t.get("admin_working_days"),
        Counting::CalendarDays => t.get("admin_calendar_days"),
    }
}

fn channel_word(t: Words, c: Option<Channel>) -> &'static str {
    match c {
        Some(c) => t.get(&format!("admin_channel_{}", c.as_str())),
        None => t.get("admin_any_channel"),
    }
}

fn line(t: Words, s: &StoredPolicy) -> PolicyLine {
    let p = &s.policy;
    PolicyLine {
        id: p.id,
        name: p.name.clone(),
        kind: t.kind(p.kind),
        round: match p.round {
            Some(1) => t.get("admin_round_1"),
            Some(_) => t.get("admin_round_2"),
            None => "",
        },
        category: p.category.clone().unwrap_or_default(),
        channel: channel_word(t, p.channel),
        urgent: p.urgent,
        active: p.active,
        clocks: p
            .clocks
            .iter()
            .map(|c| {
                format!(
                    "{}: {} {}",
                    clock_word(t, c.name),
                    c.lengths.normal,
                    counting_word(t, c.counting)
                )
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "console/admin_policies.html")]
struct PoliciesPage {
    f: Frame,
    nav: Vec<Section>,
    policies: Vec<PolicyLine>,
}

/// `GET /console/admin/policies`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let t = staff.t();
    let rows = db(&state, staff.lang, |c| {
        Ok(store::list(c, None, None, LIMIT)?)
    })
    .await?;
    let mut f = frame(&staff, &state, "admin_policies");
    f.notice = done_notice(t, q.done.as_deref());
    let page = PoliciesPage {
        f,
        nav: sections(t, "policies"),
        policies: rows.iter().map(|s| line(t, s)).collect(),
    };
    Ok(html(StatusCode::OK, &page))
}

/// One row of the clocks' table, as sent (an empty name leaves the row out).
#[derive(Debug, Default, Clone)]
pub struct ClockRow {
    pub index: usize,
    pub name: String,
    pub starts_at: String,
    pub counting: String,
    pub normal: String,
    pub complex: String,
    pub remote: String,
    pub complex_remote: String,
    pub ext_allowed: String,
    pub ext_max_days: String,
}

impl ClockRow {
    fn of(index: usize, c: &PolicyClock) -> Self {
        let n = |v: Option<u32>| v.map(|d| d.to_string()).unwrap_or_default();
        ClockRow {
            index,
            name: c.name.as_str().into(),
            starts_at: c.starts_at.as_str().into(),
            counting: counting_value(c.counting).into(),
            normal: c.lengths.normal.to_string(),
            complex: n(c.lengths.complex),
            remote: n(c.lengths.remote),
            complex_remote: n(c.lengths.complex_remote),
            ext_allowed: c.extensions.allowed.to_string(),
            ext_max_days: c.extensions.max_days.to_string(),
        }
    }
}

fn counting_value(c: Counting) -> &'static str {
    match c {
        Counting::WorkingDays => "working_days",
        Counting::CalendarDays => "calendar_days",
    }
}

/// The policy's form as sent (or as stored).
#[derive(Debug, Default, Clone)]
pub struct PolicyForm {
    pub name: String,
    pub kind: String,
    pub round: String,
    pub category: String,
    pub channel: String,
    pub urgent: bool,
    pub active: bool,
    pub clocks: Vec<ClockRow>,
}

impl PolicyForm {
    fn of(s: &StoredPolicy) -> Self {
        let p = &s.policy;
        let mut clocks: Vec<ClockRow> = p
            .clocks
            .iter()
            .enumerate()
            .map(|(i, c)| ClockRow::of(i, c))
            .collect();
        while clocks.len() < ROWS {
            clocks.push(ClockRow {
                index: clocks.len(),
                ..Default::default()
            });
        }
        PolicyForm {
            name: p.name.clone(),
            kind: p.kind.as_str().into(),
            round: p.round.map(|r| r.to_string()).unwrap_or_default(),
            category: p.category.clone().unwrap_or_default(),
            channel: p
                .channel
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
            urgent: p.urgent,
            active: p.active,
            clocks,
        }
    }

    /// The form from its fields (`clock{i}_{field}` for the clocks' table).
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let has = |key: &str| pairs.iter().any(|(k, _)| k == key);
        PolicyForm {
            name: get("name"),
            kind: get("kind"),
            round: get("round"),
            category: get("category"),
            channel: get("channel"),
            urgent: has("urgent"),
            active: has("active"),
            clocks: (0..ROWS)
                .map(|i| {
                    let f = |field: &str| get(&format!("clock{i}_{field}"));
                    ClockRow {
                        index: i,
                        name: f("name"),
                        starts_at: f("starts_at"),
                        counting: f("counting"),
                        normal: f("normal"),
                        complex: f("complex"),
                        remote: f("remote"),
                        complex_remote: f("complex_remote"),
                        ext_allowed: f("ext_allowed"),
                        ext_max_days: f("ext_max_days"),
                    }
                })
                .collect(),
        }
    }

    /// The API's changes from the form: every field given, the clocks replaced by the rows
    /// that name one. A value of the wrong type is refused on its field, as the API would.
    fn changes(&self) -> Result<PolicyChanges, ApiError> {
        let mut errors = Vec::new();
        fn bad(errors: &mut Vec<FieldError>, field: String, code: &'static str, raw: &str) {
            errors.push(FieldError::new(field, code).arg("reason", raw));
        }
        let kind = TicketKind::parse(&self.kind);
        if kind.is_none() {
            bad(&mut errors, "/kind".into(), "invalid_value", &self.kind);
        }
        let round = match self.round.trim() {
            "" => None,
            r => match r.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    bad(&mut errors, "/round".into(), "invalid_type", r);
                    None
                }
            },
        };
        let channel = match self.channel.trim() {
            "" => None,
            c => {
                let parsed = Channel::parse(c);
                if parsed.is_none() {
                    bad(&mut errors, "/channel".into(), "invalid_value", c);
                }
                parsed
            }
        };
        let mut clocks = Vec::new();
        for row in self.clocks.iter().filter(|r| !r.name.trim().is_empty()) {
            let j = clocks.len();
            let at = move |rest: &str| format!("/clocks/{j}/{rest}");
            let name = ClockName::parse(row.name.trim());
            if name.is_none() {
                bad(&mut errors, at("name"), "invalid_value", &row.name);
            }
            let starts_at = StartsAt::parse(row.starts_at.trim());
            if starts_at.is_none() {
                bad(
                    &mut errors,
                    at("starts_at"),
                    "invalid_value",
                    &row.starts_at,
                );
            }
            let counting = match row.counting.trim() {
                "working_days" => Some(CountingBody::WorkingDays),
                "calendar_days" => Some(CountingBody::CalendarDays),
                other => {
                    bad(&mut errors, at("counting"), "invalid_value", other);
                    None
                }
            };
            let mut days = |field: &str, raw: &str, required: bool| -> Option<u32> {
                match raw.trim() {
                    "" if required => {
                        errors.push(FieldError::new(at(field), "required"));
                        None
                    }
                    "" => None,
                    v => match v.parse::<u32>() {
                        Ok(n) => Some(n),
                        Err(_) => {
                            errors
                                .push(FieldError::new(at(field), "invalid_type").arg("reason", v));
                            None
                        }
                    },
                }
            };
            let normal = days("lengths/normal", &row.normal, true);
            let complex = days("lengths/complex", &row.complex, false);
            let remote = days("lengths/remote", &row.remote, false);
            let complex_remote = days("lengths/complex_remote", &row.complex_remote, false);
            let allowed = days("extensions/allowed", &row.ext_allowed, false);
            let max_days = days("extensions/max_days", &row.ext_max_days, false);
            if let (Some(name), Some(starts_at), Some(counting), Some(normal)) =
                (name, starts_at, counting, normal)
            {
                clocks.push(ClockBody {
                    name,
                    starts_at,
                    counting,
                    lengths: LengthsBody {
                        normal,
                        complex,
                        remote,
                        complex_remote,
                    },
                    extensions: Extensions {
                        allowed: allowed.unwrap_or(0),
                        max_days: max_days.unwrap_or(0),
                    },
                });
            } else {
                // Keeps the next row's place in the API's numbering.
                clocks.push(ClockBody {
                    name: ClockName::Accept,
                    starts_at: StartsAt::Receipt,
                    counting: CountingBody::WorkingDays,
                    lengths: LengthsBody {
                        normal: 0,
                        complex: None,
                        remote: None,
                        complex_remote: None,
                    },
                    extensions: Extensions::default(),
                });
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(PolicyChanges {
            name: Some(self.name.clone()),
            kind,
            round: Some(round),
            category: Some(super::filled(&self.category)),
            channel: Some(channel),
            urgent: Some(self.urgent),
            active: Some(self.active),
            clocks: Some(clocks),
        })
    }
}

/// A clock row with the choices of its selects.
pub struct RowView {
    pub row: ClockRow,
    pub names: Vec<Opt>,
    pub starts: Vec<Opt>,
    pub countings: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "console/admin_policy.html")]
struct PolicyPage {
    f: Frame,
    nav: Vec<Section>,
    id: i64,
    form: PolicyForm,
    kinds: Vec<Opt>,
    rounds: Vec<Opt>,
    categories: Vec<Opt>,
    channels: Vec<Opt>,
    rows: Vec<RowView>,
}

async fn policy_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    id: i64,
    form: Option<PolicyForm>,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let t = staff.t();
    let lang = staff.lang;
    let (stored, cats) = db(state, lang, move |c| {
        let p = store::find(c, id)?.ok_or_else(|| ApiError::not_found("policy_not_found"))?;
        Ok((p, crate::db::categories::all(c, true)?))
    })
    .await?;
    let form = form.unwrap_or_else(|| PolicyForm::of(&stored));
    let kinds = opts(TicketKind::ALL.map(|k| (k.as_str(), t.kind(k))), &form.kind);
    let rounds = opts(
        [
            ("", t.get("admin_any_round")),
            ("1", t.get("admin_round_1")),
            ("2", t.get("admin_round_2")),
        ],
        &form.round,
    );
    let mut cat_values = vec![(String::new(), t.get("admin_any_category").to_string())];
    cat_values.extend(cats.iter().map(|c| {
        (
            c.code.clone(),
            format!("{} ({})", lang.pick(&c.name_vi, &c.name_en), c.code),
        )
    }));
    let categories = opts(cat_values, &form.category);
    let mut channel_values = vec![("", channel_word(t, None))];
    channel_values.extend(Channel::ALL.map(|c| (c.as_str(), channel_word(t, Some(c)))));
    let channels = opts(channel_values, &form.channel);
    let rows = form
        .clocks
        .iter()
        .map(|row| {
            let mut names = vec![(String::new(), t.get("admin_no_clock").to_string())];
            names.extend(
                ClockName::ALL.map(|c| (c.as_str().to_string(), clock_word(t, c).to_string())),
            );
            RowView {
                names: opts(names, &row.name),
                starts: opts(
                    [
                        (StartsAt::Receipt.as_str(), t.get("admin_starts_receipt")),
                        (
                            StartsAt::Acceptance.as_str(),
                            t.get("admin_starts_acceptance"),
                        ),
                    ],
                    &row.starts_at,
                ),
                countings: opts(
                    [
                        ("working_days", t.get("admin_counting_working")),
                        ("calendar_days", t.get("admin_counting_calendar")),
                    ],
                    &row.counting,
                ),
                row: row.clone(),
            }
        })
        .collect();
    let mut f = staff.frame(state, "admin", stored.policy.name.clone());
    f.notice = notice;
    let page = PolicyPage {
        f,
        nav: sections(t, "policies"),
        id,
        form,
        kinds,
        rounds,
        categories,
        channels,
        rows,
    };
    Ok(html(status, &page))
}

/// `GET /console/admin/policies/{id}`.
pub async fn one(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<DoneQuery>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let notice = done_notice(staff.t(), q.done.as_deref());
    policy_page(
        &staff,
        &state,
        path.into_inner(),
        None,
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /console/admin/policies/{id}`: as `PATCH /api/v1/admin/sla-policies/{id}`.
pub async fn edit(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Reply> {
    let pairs = form.into_inner();
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    check_form(&staff, &state, csrf)?;
    let id = path.into_inner();
    let form = PolicyForm::from_pairs(&pairs);
    let changed = match form.changes() {
        Ok(changes) => change(&state, id, changes).await,
        Err(e) => Err(e),
    };
    let audit = Change {
        method: "PATCH",
        route: "/api/v1/admin/sla-policies/{id}",
        status: 200,
        target: format!("/api/v1/admin/sla-policies/{id}"),
    };
    match settle(&staff, &state, changed, audit, |_| {
        format!("/console/admin/policies/{id}?done=saved")
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            policy_page(&staff, &state, id, Some(form), Some(notice), status).await
        }
    }
}

/// The words the page looks up by name exist.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_clock_and_channel_has_a_word() {
        for c in ClockName::ALL {
            let key = format!("clock_{}", c.as_str());
            assert!(crate::console::words::text(&key).is_some(), "{key}");
        }
        for c in Channel::ALL {
            let key = format!("admin_channel_{}", c.as_str());
            assert!(crate::console::words::text(&key).is_some(), "{key}");
        }
    }
}
