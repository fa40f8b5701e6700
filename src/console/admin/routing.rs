//! `/console/admin/routing`: the routing rules (add, delete — `POST`/`DELETE
//! /api/v1/admin/routing-rules[/{id}]`) and a "try it" box that asks the routing preview
//! (`POST /api/v1/routing/preview`) where a submission would go, and why.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Change, Opt, Section, Settled, all_units, check_form, done_notice, filled, frame, number,
    only_admin, opts, refusal, sections, settle, unit_choices, write,
};
use crate::api::error::ApiError;
use crate::api::list::{Page, paginate};
use crate::api::routing::{PreviewRequest, RuleFields, checked, preview_of};
use crate::console::{Frame, Notice, Reply, Staff, db, html, urlencode};
use crate::db::routing_rules::{self as store, Rule};
use crate::domain::routing::Reason;
use crate::domain::ticket::Kind;
use crate::state::AppState;

/// Rules per page.
const PAGE: i64 = 100;

/// The page's query: the rules' filter and page, the "try it" box, a notice.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Query {
    /// Only the rules of this category.
    #[serde(default)]
    rules_category: String,
    after: Option<String>,
    done: Option<String>,
    /// "Try it": present when the box was sent.
    #[serde(rename = "try")]
    tried: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    lat: String,
    #[serde(default)]
    lon: String,
}

/// One rule as the page shows it.
pub struct RuleLine {
    pub id: i64,
    pub category: String,
    pub area: String,
    pub kind: String,
    pub unit: String,
    pub unit_code: String,
    pub priority: i32,
}

/// What the preview answered.
pub struct Outcome {
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    /// `rule`, `people_committee` or `coordinator`.
    pub reason: &'static str,
    pub rule_id: Option<i64>,
    /// The rule that matched, as a line of the table.
    pub rule: Option<RuleLine>,
    /// The committee's area, for `people_committee`.
    pub committee_area: Option<String>,
    pub area: String,
}

/// The form that adds a rule (its fields kept when it is refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub category_code: String,
    #[serde(default)]
    pub area_code: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub priority: String,
}

impl RuleForm {
    fn blank() -> Self {
        RuleForm {
            priority: "100".into(),
            ..Default::default()
        }
    }

    /// The API's body from the form.
    fn body(&self) -> Result<RuleFields, ApiError> {
        let kind = match self.kind.trim() {
            "" => None,
            k => Some(Kind::parse(k).ok_or_else(|| super::invalid("/kind", k))?),
        };
        Ok(RuleFields {
            category_code: filled(&self.category_code),
            area_code: Some(filled(&self.area_code)),
            kind: Some(kind),
            unit_id: number::<i64>("/unit_id", &self.unit_id)?,
            priority: number::<i32>("/priority", &self.priority)?,
        })
    }
}

#[derive(Template)]
#[template(path = "console/admin_routing.html")]
struct RoutingPage {
    f: Frame,
    nav: Vec<Section>,
    rules: Vec<RuleLine>,
    next: Option<String>,
    filter: Vec<Opt>,
    form: RuleForm,
    categories: Vec<Opt>,
    kinds: Vec<Opt>,
    units: Vec<Opt>,
    /// The "try it" box: its values and choices, and what it answered.
    q: Query,
    try_kinds: Vec<Opt>,
    try_categories: Vec<Opt>,
    outcome: Option<Outcome>,
    /// Why the preview could not answer.
    try_problem: Option<String>,
}

/// Whether the "try it" box was sent.
impl Query {
    fn tried(&self) -> bool {
        self.tried.is_some()
    }
}

/// The preview's request from the box.
fn preview_request(q: &Query) -> Result<PreviewRequest, ApiError> {
    let kind = Kind::parse(q.kind.trim()).ok_or_else(|| ApiError::field("/kind", "required"))?;
    Ok(PreviewRequest {
        kind,
        category: q.category.trim().to_string(),
        area_code: filled(&q.area_code),
        lat: number::<f64>("/lat", &q.lat)?,
        lon: number::<f64>("/lon", &q.lon)?,
    })
}

/// Builds the page: the rules (filtered, one page), the forms, and the box's answer.
async fn build(
    staff: &Staff,
    state: &web::Data<AppState>,
    q: Query,
    form: RuleForm,
    notice: Option<Notice>,
) -> Result<(StatusCode, RoutingPage), Reply> {
    let t = staff.t();
    let lang = staff.lang;
    let page =
        Page::<i64>::new(q.after.as_deref(), Some(PAGE)).map_err(|e| Reply::Problem(lang, e))?;
    let (after, fetch) = (page.after, page.fetch());
    let category = filled(&q.rules_category);
    let (rows, units, cats) = db(state, lang, move |c| {
        let rows = store::list(c, category.as_deref(), None, after, fetch)?;
        Ok((rows, all_units(c)?, crate::db::categories::all(c, true)?))
    })
    .await?;
    let unit_by_id: HashMap<i64, &crate::db::units::Unit> =
        units.iter().map(|u| (u.id, u)).collect();
    let cat_name: HashMap<&str, String> = cats
        .iter()
        .map(|c| {
            (
                c.code.as_str(),
                lang.pick(&c.name_vi, &c.name_en).to_string(),
            )
        })
        .collect();
    let line = |r: &Rule| RuleLine {
        id: r.id,
        category: match cat_name.get(r.category_code.as_str()) {
            Some(n) => format!("{n} ({})", r.category_code),
            None => r.category_code.clone(),
        },
        area: r
            .area_code
            .clone()
            .unwrap_or_else(|| t.get("admin_anywhere").to_string()),
        kind: r
            .kind
            .as_deref()
            .and_then(Kind::parse)
            .map(|k| t.kind(k).to_string())
            .unwrap_or_else(|| t.get("admin_any_kind").to_string()),
        unit: unit_by_id
            .get(&r.unit_id)
            .map(|u| u.name(lang).to_string())
            .unwrap_or_default(),
        unit_code: unit_by_id
            .get(&r.unit_id)
            .map(|u| u.code.clone())
            .unwrap_or_default(),
        priority: r.priority,
    };
    let listed = paginate(rows, page.limit, |r| r.id, |r| r);
    let rules: Vec<RuleLine> = listed.items.iter().map(&line).collect();
    let next = listed.next_cursor.map(|cursor| {
        let mut link = format!("/console/admin/routing?after={}", urlencode(&cursor));
        if !q.rules_category.is_empty() {
            link.push_str(&format!("&rules_category={}", urlencode(&q.rules_category)));
        }
        link
    });

    // The "try it" box: the API's preview, and the rule it names.
    let mut status = StatusCode::OK;
    let mut outcome = None;
    let mut try_problem = None;
    if q.tried() {
        let answer = match preview_request(&q) {
            Ok(req) => preview_of(state, req, lang).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(p) => {
                let rule_id = match &p.reason {
                    Reason::Rule { rule_id } => Some(*rule_id),
                    _ => None,
                };
                let rule = match rule_id {
                    Some(id) => db(state, lang, move |c| Ok(store::find(c, id)?)).await?,
                    None => None,
                };
                outcome = Some(Outcome {
                    unit_id: p.unit.id,
                    unit_code: p.unit.code,
                    unit_name: p.unit.name,
                    reason: match &p.reason {
                        Reason::Rule { .. } => "rule",
                        Reason::PeoplesCommittee { .. } => "people_committee",
                        Reason::Coordinator => "coordinator",
                    },
                    committee_area: match &p.reason {
                        Reason::PeoplesCommittee { area_code } => Some(area_code.clone()),
                        _ => None,
                    },
                    rule_id,
                    rule: rule.as_ref().map(&line),
                    area: format!("{} ({})", p.area.name, p.area.code),
                });
            }
            Err(e) => {
                let (s, n) = refusal(lang, e)?;
                status = s;
                try_problem = Some(n.text);
            }
        }
    }

    let mut filter_values = vec![(String::new(), t.get("all").to_string())];
    filter_values.extend(cats.iter().map(|c| (c.code.clone(), cat_label(lang, c))));
    let cat_values: Vec<(String, String)> = cats
        .iter()
        .map(|c| (c.code.clone(), cat_label(lang, c)))
        .collect();
    let active_cats: Vec<(String, String)> = cats
        .iter()
        .filter(|c| c.active)
        .map(|c| (c.code.clone(), cat_label(lang, c)))
        .collect();
    let mut kind_values = vec![(String::new(), t.get("admin_any_kind").to_string())];
    kind_values.extend(Kind::ALL.map(|k| (k.as_str().to_string(), t.kind(k).to_string())));
    let mut unit_values = vec![(String::new(), t.get("admin_choose").to_string())];
    unit_values.extend(unit_choices(&units, lang, true));
    let try_kind = if q.kind.is_empty() {
        "feedback"
    } else {
        &q.kind
    };
    let mut f = frame(staff, state, "admin_routing");
    f.notice = notice;
    let page = RoutingPage {
        f,
        nav: sections(t, "routing"),
        rules,
        next,
        filter: opts(filter_values, &q.rules_category),
        categories: opts(cat_values, &form.category_code),
        kinds: opts(kind_values, &form.kind),
        units: opts(unit_values, &form.unit_id),
        try_kinds: opts(Kind::ALL.map(|k| (k.as_str(), t.kind(k))), try_kind),
        try_categories: opts(active_cats, &q.category),
        form,
        q,
        outcome,
        try_problem,
    };
    Ok((status, page))
}

fn cat_label(lang: crate::i18n::Lang, c: &crate::db::categories::Category) -> String {
    format!("{} ({})", lang.pick(&c.name_vi, &c.name_en), c.code)
}

/// `GET /console/admin/routing`: the rules, and the box's answer when it was sent.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let q = q.into_inner();
    let notice = done_notice(staff.t(), q.done.as_deref());
    let (status, page) = build(&staff, &state, q, RuleForm::blank(), notice).await?;
    Ok(html(status, &page))
}

/// `POST /console/admin/routing/rules`: adds a rule, as `POST /api/v1/admin/routing-rules`.
pub async fn add(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let now = state.clock.now_naive();
    let made = match form.body().and_then(|b| checked(b, true)) {
        Ok(fields) => {
            write(&state, move |c| {
                Ok(crate::workflow::routing_rules::create(c, fields, now)?)
            })
            .await
        }
        Err(e) => Err(e),
    };
    let change = Change {
        method: "POST",
        route: "/api/v1/admin/routing-rules",
        status: 201,
        target: "/api/v1/admin/routing-rules".into(),
    };
    // The new rule's category, area and kind are ready in the "try it" box.
    let to = |rule: &Rule| {
        let mut to = format!(
            "/console/admin/routing?done=added&category={}",
            urlencode(&rule.category_code)
        );
        if let Some(a) = &rule.area_code {
            to.push_str(&format!("&area_code={}", urlencode(a)));
        }
        if let Some(k) = &rule.kind {
            to.push_str(&format!("&kind={}", urlencode(k)));
        }
        to.push_str(&format!("#rule-{}", rule.id));
        to
    };
    match settle(&staff, &state, made, change, to).await? {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            let (_, page) = build(&staff, &state, Query::default(), form, Some(notice)).await?;
            Ok(html(status, &page))
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/admin/routing/rules/{id}/delete`: as `DELETE
/// /api/v1/admin/routing-rules/{id}`.
pub async fn remove(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<DeleteForm>,
) -> Result<HttpResponse, Reply> {
    check_form(&staff, &state, &form.csrf)?;
    let id = path.into_inner();
    let deleted = write(&state, move |c| {
        Ok(crate::workflow::routing_rules::delete(c, id)?)
    })
    .await;
    let change = Change {
        method: "DELETE",
        route: "/api/v1/admin/routing-rules/{id}",
        status: 204,
        target: format!("/api/v1/admin/routing-rules/{id}"),
    };
    match settle(&staff, &state, deleted, change, |_| {
        "/console/admin/routing?done=deleted".into()
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            let (_, page) = build(
                &staff,
                &state,
                Query::default(),
                RuleForm::blank(),
                Some(notice),
            )
            .await?;
            Ok(html(status, &page))
        }
    }
}
