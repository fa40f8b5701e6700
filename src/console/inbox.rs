//! `/console/`: the tickets of the person's scope (an official's unit, or the units a unit
//! head sees; a supervisor's overseen subtree; everything for an administrator) — the same
//! `db::scope` and `db::inbox` queries as `GET /api/v1/inbox`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Duration;
use serde::Deserialize;

use super::{Choice, Frame, Reply, Staff, choices, db, html, urlencode};
use crate::api::list::{decode_cursor, encode_cursor};
use crate::db::inbox::{self, Assignee, Filter, Key, Row, Sort};
use crate::domain::clock::{DueState, due_soon_until, due_state};
use crate::domain::ticket::{Kind, Status};
use crate::state::AppState;

/// Rows per page.
const PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct Query {
    status: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    assignee: Option<String>,
    overdue: Option<String>,
    due_soon: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    after: Option<String>,
    #[allow(dead_code)]
    lang: Option<String>,
}

/// One row as the page shows it.
pub struct Item {
    pub code: String,
    pub title: String,
    pub kind: Kind,
    pub status: Status,
    pub due: DueState,
    pub due_date: String,
    pub received: String,
}

#[derive(Template)]
#[template(path = "console/inbox.html")]
struct InboxPage {
    f: Frame,
    items: Vec<Item>,
    counts: Vec<(String, i64)>,
    statuses: Vec<Choice>,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    assignees: Vec<Choice>,
    sorts: Vec<Choice>,
    overdue: bool,
    due_soon: bool,
    q: String,
    next: Option<String>,
}

/// The statuses a `status` choice means: `open` (the default), one status, or all.
fn statuses_of(choice: Option<&str>) -> Option<Vec<&'static str>> {
    match choice {
        None | Some("open") | Some("") => Some(inbox::open_statuses()),
        Some("all") => None,
        Some(s) => Status::parse(s).map(|s| vec![s.as_str()]),
    }
}

/// `GET /console/`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Reply> {
    let q = q.into_inner();
    let t = staff.t();
    let lang = staff.lang;
    let now = state.clock.now();
    let sort = match q.sort.as_deref() {
        Some("newest") => Sort::Newest,
        Some("activity") => Sort::Activity,
        _ => Sort::Due,
    };
    let after: Option<Key> = q
        .after
        .as_deref()
        .and_then(|c| decode_cursor::<Key>(c).ok())
        .filter(|k| k.sort() == sort);
    let mut filter = Filter {
        statuses: statuses_of(q.status.as_deref()),
        kind: q.kind.as_deref().and_then(Kind::parse).map(Kind::as_str),
        assignee: match q.assignee.as_deref() {
            Some("me") => Some(Assignee::User(staff.user.id)),
            Some("none") => Some(Assignee::Nobody),
            _ => None,
        },
        overdue: q.overdue.is_some().then_some(true),
        search: q
            .q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(crate::domain::text::contains_pattern),
        ..Filter::default()
    };
    let user = staff.user.clone();
    let category = q.category.clone().filter(|c| !c.is_empty());
    let st = state.clone();
    let due_soon = q.due_soon.is_some();
    let (rows, summary, cats, cal) = db(&state, lang, move |c| {
        let refs = st.refs.current(c)?;
        let cal = refs.calendar.clone();
        if due_soon {
            filter.due_before = Some(
                due_soon_until(now, &cal, &st.settings.deadlines.day_end()).naive_utc()
                    + Duration::seconds(1),
            );
        }
        if let Some(code) = &category {
            filter.categories = Some(inbox::category_and_below(c, code)?);
        }
        let scope = crate::db::scope::of(&mut &*refs, user.role, user.unit_id)?;
        let rows = inbox::inbox(c, &scope, &filter, sort, after.as_ref(), PAGE + 1)?;
        let summary = st.open_counts.get(c, &scope, now)?;
        let cats = refs.categories(false);
        Ok((rows, summary, cats, cal))
    })
    .await?;
    let day_end = state.settings.deadlines.day_end();
    let more = rows.len() as i64 > PAGE;
    let rows: Vec<Row> = rows.into_iter().take(PAGE as usize).collect();
    let next = more
        .then(|| rows.last().map(|r| encode_cursor(&Key::of(sort, r))))
        .flatten();
    let items = rows
        .into_iter()
        .map(|r| {
            let due_at = r.next_due_at.map(|d| d.and_utc());
            Item {
                due: due_state(due_at, r.overdue, now, &cal, &day_end),
                due_date: due_at
                    .map(|d| day_end.local_date(d).format("%d/%m/%Y").to_string())
                    .unwrap_or_default(),
                received: day_end
                    .local_date(r.created_at.and_utc())
                    .format("%d/%m/%Y")
                    .to_string(),
                code: r.code,
                title: r.title,
                kind: r.kind,
                status: r.status,
            }
        })
        .collect();
    let (by_status, overdue) = summary;
    let mut counts: Vec<(String, i64)> = by_status
        .iter()
        .map(|(s, n)| (t.status(*s).to_string(), *n))
        .collect();
    counts.push((t.get("overdue").to_string(), overdue));
    let mut status_values: Vec<(&str, String)> = vec![
        ("open", t.get("open").to_string()),
        ("all", t.get("all").to_string()),
    ];
    status_values.extend(
        Status::ALL
            .iter()
            .map(|s| (s.as_str(), t.status(*s).to_string())),
    );
    let mut kind_values: Vec<(&str, String)> = vec![("", t.get("all").to_string())];
    kind_values.extend(
        Kind::ALL
            .iter()
            .map(|k| (k.as_str(), t.kind(*k).to_string())),
    );
    let mut cat_values: Vec<(&str, String)> = vec![("", t.get("all").to_string())];
    cat_values.extend(cats.iter().map(|c| {
        (
            c.code.as_str(),
            lang.pick(&c.name_vi, &c.name_en).to_string(),
        )
    }));
    let page = InboxPage {
        f: staff.frame(&state, "inbox", t.get("inbox").to_string()),
        items,
        counts,
        statuses: choices(&status_values, Some(q.status.as_deref().unwrap_or("open"))),
        kinds: choices(&kind_values, Some(q.kind.as_deref().unwrap_or(""))),
        categories: choices(&cat_values, Some(q.category.as_deref().unwrap_or(""))),
        assignees: choices(
            &[
                ("", t.get("all").to_string()),
                ("me", t.get("assigned_to_me").to_string()),
                ("none", t.get("unassigned").to_string()),
            ],
            Some(q.assignee.as_deref().unwrap_or("")),
        ),
        sorts: choices(
            &[
                ("urgent", t.get("most_urgent").to_string()),
                ("activity", t.get("latest_activity").to_string()),
                ("newest", t.get("newest").to_string()),
            ],
            Some(q.sort.as_deref().unwrap_or("urgent")),
        ),
        overdue: q.overdue.is_some(),
        due_soon,
        q: q.q.clone().unwrap_or_default(),
        next: next.map(|cursor| next_link(&q, &cursor)),
    };
    Ok(html(StatusCode::OK, &page))
}

/// The link to the next page: the same filters, after `cursor`.
fn next_link(q: &Query, cursor: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut add = |name: &str, v: &Option<String>| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{name}={}", urlencode(v)));
        }
    };
    add("status", &q.status);
    add("kind", &q.kind);
    add("category", &q.category);
    add("assignee", &q.assignee);
    add("overdue", &q.overdue);
    add("due_soon", &q.due_soon);
    add("q", &q.q);
    add("sort", &q.sort);
    parts.push(format!("after={}", urlencode(cursor)));
    format!("/console/?{}", parts.join("&"))
}
