//! `/console/tickets/new`: a submission received at the desk — in person, by post, by phone or
//! by email — recorded by an official through the API's own submission
//! ([`crate::api::tickets::record`]: the same checks, routing, deadlines, idempotency and
//! rights), then a printable receipt with the code and the tracking secret for the citizen.
//!
//! The form is in two steps without JavaScript: choosing the kind and the category (a GET)
//! shows that category's own form fields. Each form carries a fresh idempotency key, so a
//! double submit or a resent POST records one ticket (the receipt then shows a new secret,
//! which replaces the first, as the API's retry does). Files are not taken here: a scanned
//! letter is attached from the app or the API (`POST /uploads`, then the ticket's files).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

use super::{Choice, Frame, Notice, Reply, Staff, choices, db, html, problem, problem_text};
use crate::api::error::ApiError;
use crate::api::idempotency::digest;
use crate::api::tickets::{Contested, ContestedType, SubmitRequest, record};
use crate::auth::tokens;
use crate::db::categories::{self, Category};
use crate::domain::account::Role;
use crate::domain::attributes::{Attribute, Datatype};
use crate::domain::ticket::{Channel, Kind};
use crate::i18n::Lang;
use crate::state::AppState;

/// The path the form posts to (and the idempotency digest names).
const PATH: &str = "/console/tickets/new";

/// The channels a desk records (the app is the citizen's own).
const DESK_CHANNELS: [Channel; 4] = [
    Channel::InPerson,
    Channel::Post,
    Channel::Phone,
    Channel::Email,
];

/// What the official has typed so far, by field name (several values for a multi-choice).
#[derive(Debug, Default)]
pub struct Entered(BTreeMap<String, Vec<String>>);

impl Entered {
    fn from_pairs(pairs: Vec<(String, String)>) -> Entered {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry(k).or_default().push(v);
        }
        Entered(m)
    }
    /// A field's (first) value, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }
    /// A filled field's trimmed value.
    fn filled(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_string()).filter(|s| !s.is_empty())
    }
    pub fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }
    fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The fields that make the submission (not the form's token and key), in order: what the
    /// idempotency digest is taken of.
    fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (k, vs) in &self.0 {
            if k == "csrf" || k == "key" {
                continue;
            }
            for v in vs {
                out.extend_from_slice(k.as_bytes());
                out.push(0);
                out.extend_from_slice(v.as_bytes());
                out.push(0);
            }
        }
        out
    }
}

/// A category's form field as the page asks it.
pub struct FieldInput {
    pub name: String,
    pub label: String,
    pub input: &'static str,
    pub required: bool,
    pub value: String,
    pub values: Vec<Choice>,
}

/// Categories under their parent's name.
pub struct Group {
    pub label: String,
    pub options: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "console/desk.html")]
struct DeskPage {
    f: Frame,
    key: String,
    e: Entered,
    kind: String,
    kinds: Vec<Choice>,
    channels: Vec<Choice>,
    groups: Vec<Group>,
    /// The chosen category's name, once chosen.
    category: Option<String>,
    fields: Vec<FieldInput>,
    areas: Vec<Choice>,
    contested_types: Vec<Choice>,
}

impl DeskPage {
    fn is(&self, kind: &str) -> bool {
        self.kind == kind
    }
}

#[derive(Template)]
#[template(path = "console/desk_receipt.html")]
struct ReceiptPage {
    f: Frame,
    code: String,
    secret: String,
    received: String,
    kind: String,
    title: String,
    unit: String,
    submitter: String,
    accept_by: String,
    by: String,
}

/// Only officials record what a citizen brings to their unit (the API's rule: `who_sends`).
fn official_only(staff: &Staff) -> Result<(), Reply> {
    if staff.user.role == Role::Official {
        Ok(())
    } else {
        Err(problem(staff.lang)(ApiError::forbidden()))
    }
}

/// `GET /console/tickets/new`: the form (with `?kind=&category=`, that category's fields).
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Vec<(String, String)>>,
) -> Result<HttpResponse, Reply> {
    official_only(&staff)?;
    let page = build(&staff, &state, Entered::from_pairs(q.into_inner()), None).await?;
    Ok(html(StatusCode::OK, &page))
}

/// `POST /console/tickets/new`: records the submission and shows the receipt; a refused one
/// shows the form again with what was typed and the problem.
pub async fn submit(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, Reply> {
    let e = Entered::from_pairs(form.into_inner());
    staff.check(&state, e.get("csrf"))?;
    official_only(&staff)?;
    let lang = staff.lang;
    let key = e.get("key").to_string();
    let outcome = match body_of(&state, &e).await {
        Ok(body) => {
            let digest = digest(PATH, &e.canonical());
            record(&state, lang, Some(&staff.user), "", body, key, digest).await
        }
        Err(err) => Err(err),
    };
    match outcome {
        Ok((saved, _)) => {
            let answer: Value = serde_json::from_str(&saved.body)
                .map_err(|e| problem(lang)(ApiError::internal(format!("receipt: {e}"))))?;
            Ok(html(StatusCode::CREATED, &receipt(&staff, &state, &answer)))
        }
        Err(err) if err.status().is_client_error() => {
            let status = err.status();
            let notice = Notice {
                error: true,
                text: problem_text(lang, &err),
            };
            let page = build(&staff, &state, e, Some(notice)).await?;
            Ok(html(status, &page))
        }
        Err(err) => Err(problem(lang)(err)),
    }
}

/// The API's body from the form. A value of the wrong shape is refused with the field the
/// API would name.
async fn body_of(state: &AppState, e: &Entered) -> Result<SubmitRequest, ApiError> {
    let kind = Kind::parse(e.get("kind")).ok_or_else(|| ApiError::field("/kind", "required"))?;
    let channel = Channel::parse(e.get("channel"))
        .filter(|c| DESK_CHANNELS.contains(c))
        .ok_or_else(|| ApiError::field("/channel", "required"))?;
    let code = e.get("category").to_string();
    let category = db_plain(state, move |c| categories::find(c, &code)).await?;
    let attributes = match &category {
        Some(c) => answers(&c.attributes(), e, state)?,
        None => Map::new(),
    };
    let accused_unit_id = match e.filled("accused_unit") {
        None => None,
        Some(code) => {
            let found = db_plain(state, move |c| crate::db::units::find_by_code(c, &code)).await?;
            Some(
                found
                    .ok_or_else(|| ApiError::field("/accused_unit_id", "unknown_unit"))?
                    .id,
            )
        }
    };
    let contested = if kind == Kind::Complaint {
        let date = |name: &str, pointer: &'static str| -> Result<Option<NaiveDate>, ApiError> {
            e.filled(name)
                .map(|d| {
                    NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map_err(|_| ApiError::field(pointer, "invalid_type"))
                })
                .transpose()
        };
        let learned_on = date("contested_learned_on", "/contested/learned_on")?
            .ok_or_else(|| ApiError::field("/contested/learned_on", "required"))?;
        Some(Contested {
            kind: if e.get("contested_type") == "act" {
                ContestedType::Act
            } else {
                ContestedType::Decision
            },
            number: e.filled("contested_number"),
            date: date("contested_date", "/contested/date")?,
            issuer: e.filled("contested_issuer"),
            learned_on,
        })
    } else {
        None
    };
    Ok(SubmitRequest {
        kind,
        category: e.get("category").to_string(),
        title: e.get("title").to_string(),
        description: e.get("description").to_string(),
        lat: None,
        lon: None,
        area_code: e.filled("area_code"),
        address: e.filled("address"),
        attributes: Some(attributes),
        attachments: vec![],
        anonymous: false,
        private: e.checked("private"),
        contact_email: None,
        accused_unit_id,
        contested,
        channel: Some(channel),
        submitter_name: e.filled("submitter_name"),
        submitter_email: e.filled("submitter_email"),
        submitter_phone: e.filled("submitter_phone"),
        submitter_address: e.filled("submitter_address"),
    })
}

/// The answers to a category's fields in the API's JSON shape (the API's check then judges
/// them): numbers as numbers, a local date and time as RFC 3339, a multi-choice as a list.
fn answers(
    defs: &[Attribute],
    e: &Entered,
    state: &AppState,
) -> Result<Map<String, Value>, ApiError> {
    let tz = state.settings.deadlines.day_end().tz;
    let mut out = Map::new();
    for d in defs {
        let name = format!("attr_{}", d.code);
        let value = match d.datatype {
            Datatype::Multivaluelist => {
                let picked: Vec<Value> = e
                    .all(&name)
                    .iter()
                    .filter(|v| !v.is_empty())
                    .map(|v| Value::String(v.clone()))
                    .collect();
                (!picked.is_empty()).then_some(Value::Array(picked))
            }
            Datatype::Number => e
                .filled(&name)
                .map(|s| match s.replace(',', ".").parse::<f64>() {
                    Ok(n) => serde_json::Number::from_f64(n)
                        .map(Value::Number)
                        .unwrap_or(Value::String(s)),
                    Err(_) => Value::String(s),
                }),
            Datatype::Datetime => {
                e.filled(&name).map(
                    |s| match NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M") {
                        Ok(local) => match local.and_local_timezone(tz).single() {
                            Some(at) => Value::String(at.to_rfc3339()),
                            None => Value::String(s),
                        },
                        Err(_) => Value::String(s),
                    },
                )
            }
            _ => e.filled(&name).map(Value::String),
        };
        if let Some(v) = value {
            out.insert(d.code.clone(), v);
        }
    }
    Ok(out)
}

/// Database work whose errors are the API's.
async fn db_plain<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut crate::db::DbConn) -> Result<T, crate::db::Error> + Send + 'static,
    T: Send + 'static,
{
    state.db(move |c| f(c).map_err(ApiError::from)).await
}

/// The form, with what was typed (`e`) and a notice.
async fn build(
    staff: &Staff,
    state: &AppState,
    e: Entered,
    notice: Option<Notice>,
) -> Result<DeskPage, Reply> {
    let lang = staff.lang;
    let t = staff.t();
    let unit_id = staff.user.unit_id;
    let (all, areas) = db(state, lang, move |c| {
        let all = categories::all(c, false)?;
        let mut areas = Vec::new();
        if let Some(id) = unit_id {
            let coverage = crate::db::units::coverage(c, &[id])?;
            for code in coverage.get(&id).map(|c| c.0.clone()).unwrap_or_default() {
                if let Some(a) = crate::db::areas::find(c, &code)? {
                    areas.push((a.code, a.name));
                }
            }
        }
        Ok((all, areas))
    })
    .await?;
    let kind = Kind::parse(e.get("kind"))
        .unwrap_or(Kind::Feedback)
        .as_str()
        .to_string();
    let chosen = all.iter().find(|c| c.code == e.get("category"));
    let fields = chosen.map(|c| fields_of(c, &e, lang)).unwrap_or_default();
    let mut f = staff.frame(state, "new", t.get("new_ticket").to_string());
    f.notice = notice;
    let kind_values: Vec<(&str, String)> = Kind::ALL
        .iter()
        .map(|k| (k.as_str(), t.kind(*k).to_string()))
        .collect();
    let channel_values: Vec<(&str, String)> = DESK_CHANNELS
        .iter()
        .map(|c| (c.as_str(), t.get(c.as_str()).to_string()))
        .collect();
    Ok(DeskPage {
        key: match e.filled("key") {
            Some(k) => k,
            None => tokens::random_token(),
        },
        kinds: choices(&kind_values, Some(&kind)),
        channels: choices(
            &channel_values,
            Some(match e.get("channel") {
                "" => "in_person",
                c => c,
            }),
        ),
        groups: groups(&all, e.get("category"), lang),
        category: chosen.map(|c| lang.pick(&c.name_vi, &c.name_en).to_string()),
        fields,
        areas: areas
            .into_iter()
            .map(|(code, name)| Choice {
                selected: e.get("area_code") == code,
                label: format!("{code} — {name}"),
                value: code,
            })
            .collect(),
        contested_types: choices(
            &[
                ("decision", t.get("contested_decision").to_string()),
                ("act", t.get("contested_act").to_string()),
            ],
            Some(match e.get("contested_type") {
                "" => "decision",
                c => c,
            }),
        ),
        kind,
        e,
        f,
    })
}

/// The leaf categories under their parents' names.
fn groups(all: &[Category], chosen: &str, lang: Lang) -> Vec<Group> {
    let is_parent = |code: &str| all.iter().any(|c| c.parent_code.as_deref() == Some(code));
    let mut out: Vec<Group> = Vec::new();
    for c in all.iter().filter(|c| !is_parent(&c.code)) {
        let label = c
            .parent_code
            .as_deref()
            .and_then(|p| all.iter().find(|x| x.code == p))
            .map(|p| lang.pick(&p.name_vi, &p.name_en).to_string())
            .unwrap_or_default();
        let choice = Choice {
            value: c.code.clone(),
            label: lang.pick(&c.name_vi, &c.name_en).to_string(),
            selected: c.code == chosen,
        };
        match out.iter_mut().find(|g| g.label == label) {
            Some(g) => g.options.push(choice),
            None => out.push(Group {
                label,
                options: vec![choice],
            }),
        }
    }
    out
}

/// A category's fields as inputs, in their order, with what was typed.
fn fields_of(c: &Category, e: &Entered, lang: Lang) -> Vec<FieldInput> {
    let mut defs = c.attributes();
    defs.sort_by_key(|d| d.order);
    defs.into_iter()
        .map(|d| {
            let name = format!("attr_{}", d.code);
            let typed = e.all(&name);
            FieldInput {
                label: lang.pick(&d.description.vi, &d.description.en).to_string(),
                input: match d.datatype {
                    Datatype::String => "text",
                    Datatype::Text => "textarea",
                    Datatype::Number => "number",
                    Datatype::Datetime => "datetime-local",
                    Datatype::Singlevaluelist => "select",
                    Datatype::Multivaluelist => "checkboxes",
                },
                required: d.required,
                value: e.get(&name).to_string(),
                values: d
                    .values
                    .iter()
                    .map(|v| Choice {
                        value: v.key.clone(),
                        label: lang.pick(&v.name.vi, &v.name.en).to_string(),
                        selected: typed.contains(&v.key),
                    })
                    .collect(),
                name,
            }
        })
        .collect()
}

/// The receipt from the submission's answer (the API's ticket view with its secret).
fn receipt(staff: &Staff, state: &AppState, v: &Value) -> ReceiptPage {
    let t = staff.t();
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let day_end = state.settings.deadlines.day_end();
    let received = v
        .pointer("/received_at")
        .and_then(Value::as_str)
        .and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok())
        .map(|r| {
            r.with_timezone(&day_end.tz)
                .format("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let accept_by = v
        .pointer("/clocks")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["name"] == "accept"))
        .and_then(|c| c["due_local_date"].as_str())
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default();
    let kind = Kind::parse(&s("/kind"))
        .map(|k| t.kind(k).to_string())
        .unwrap_or_default();
    ReceiptPage {
        f: staff.frame(state, "new", t.get("receipt").to_string()),
        code: s("/code"),
        secret: s("/tracking_secret"),
        received,
        kind,
        title: s("/title"),
        unit: format!("{} — {}", s("/unit/code"), s("/unit/name")),
        submitter: s("/submitter/name"),
        accept_by,
        by: staff.name.clone(),
    }
}
