//! `/console/admin/users`: accounts (search by name or email, filter by role); make a staff
//! account (an official with its unit, a supervisor with the unit it oversees, an
//! administrator) that gets an emailed invitation to set its password; disable or re-enable an
//! account; send a password reset — the same checks and use cases as `/api/v1/admin/users`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{
    Change, Opt, Section, Settled, all_units, check_form, done_notice, filled, frame, number,
    only_admin, opts, sections, settle, unit_choices, write,
};
use crate::api::admin_users::{
    NewStaff, StaffChanges, change, invite_ttl, make, prepare, send_password_reset,
};
use crate::api::error::ApiError;
use crate::api::list::{Page, paginate};
use crate::console::words::Words;
use crate::console::{Frame, Notice, Reply, Staff, db, html, urlencode};
use crate::db::users::User;
use crate::domain::account::Role;
use crate::i18n::Lang;
use crate::state::AppState;

/// Accounts per page.
const PAGE: i64 = 50;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Query {
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    after: Option<String>,
    done: Option<String>,
}

impl Query {
    /// This page again (its search kept), after a change.
    fn back(&self, done: &str) -> String {
        let mut to = format!("/console/admin/users?done={done}");
        if !self.q.is_empty() {
            to.push_str(&format!("&q={}", urlencode(&self.q)));
        }
        if !self.role.is_empty() {
            to.push_str(&format!("&role={}", urlencode(&self.role)));
        }
        to
    }
}

/// One account as the list shows it.
pub struct UserLine {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub unit: String,
    pub disabled: bool,
    pub me: bool,
}

/// The form that makes a staff account (its fields kept when it is refused).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub unit_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub locale: String,
}

impl NewUserForm {
    /// The API's body from the form.
    fn body(&self) -> Result<NewStaff, ApiError> {
        let role = Role::parse(self.role.trim())
            .ok_or_else(|| ApiError::field("/role", "staff_role_required"))?;
        Ok(NewStaff {
            email: self.email.trim().to_string(),
            full_name: self.full_name.clone(),
            role,
            unit_id: number::<i64>("/unit_id", &self.unit_id)?,
            phone: filled(&self.phone),
            locale: Lang::parse(self.locale.trim()),
        })
    }
}

#[derive(Template)]
#[template(path = "console/admin_users.html")]
struct UsersPage {
    f: Frame,
    nav: Vec<Section>,
    q: Query,
    users: Vec<UserLine>,
    next: Option<String>,
    filter_roles: Vec<Opt>,
    form: NewUserForm,
    roles: Vec<Opt>,
    units: Vec<Opt>,
    locales: Vec<Opt>,
}

fn role_word(t: Words, r: Role) -> &'static str {
    match r {
        Role::Citizen => t.get("citizen"),
        Role::Official => t.get("official"),
        Role::Supervisor => t.get("supervisor"),
        Role::Admin => t.get("admin_role"),
    }
}

async fn users_page(
    staff: &Staff,
    state: &web::Data<AppState>,
    q: Query,
    form: NewUserForm,
    notice: Option<Notice>,
    status: StatusCode,
) -> Result<HttpResponse, Reply> {
    let t = staff.t();
    let lang = staff.lang;
    let page = Page::<i64>::new(q.after.as_deref(), Some(PAGE)).map_err(super::problem(lang))?;
    let (after, fetch) = (page.after, page.fetch());
    let role = Role::parse(&q.role);
    let text = filled(&q.q);
    let (rows, units) = db(state, lang, move |c| {
        let rows = crate::db::users::list(c, role, None, text.as_deref(), after, fetch)?;
        Ok((rows, all_units(c)?))
    })
    .await?;
    let unit_label: HashMap<i64, String> = units
        .iter()
        .map(|u| (u.id, format!("{} — {}", u.code, u.name(lang))))
        .collect();
    let me = staff.user.id;
    let listed = paginate(rows, page.limit, |u: &User| u.id, |u| u);
    let users = listed
        .items
        .iter()
        .map(|u| UserLine {
            id: u.id,
            name: u.full_name.clone(),
            email: u.email.clone().unwrap_or_default(),
            role: role_word(t, u.role()),
            unit: u
                .unit_id
                .and_then(|id| unit_label.get(&id).cloned())
                .unwrap_or_default(),
            disabled: u.disabled,
            me: u.id == me,
        })
        .collect();
    let next = listed.next_cursor.map(|cursor| {
        format!(
            "/console/admin/users?q={}&role={}&after={}",
            urlencode(&q.q),
            urlencode(&q.role),
            urlencode(&cursor)
        )
    });
    let mut filter_values = vec![(String::new(), t.get("all").to_string())];
    filter_values.extend(
        [Role::Official, Role::Supervisor, Role::Admin, Role::Citizen]
            .map(|r| (r.as_str().to_string(), role_word(t, r).to_string())),
    );
    let roles = opts(
        [Role::Official, Role::Supervisor, Role::Admin].map(|r| (r.as_str(), role_word(t, r))),
        if form.role.is_empty() {
            "official"
        } else {
            &form.role
        },
    );
    let mut unit_values = vec![(String::new(), t.get("admin_none").to_string())];
    unit_values.extend(unit_choices(&units, lang, true));
    let units = opts(unit_values, &form.unit_id);
    let locales = opts(
        [("vi", "Tiếng Việt"), ("en", "English")],
        if form.locale.is_empty() {
            "vi"
        } else {
            &form.locale
        },
    );
    let mut f = frame(staff, state, "admin_users");
    f.notice = notice;
    let page = UsersPage {
        f,
        nav: sections(t, "users"),
        filter_roles: opts(filter_values, &q.role),
        users,
        next,
        form,
        roles,
        units,
        locales,
        q,
    };
    Ok(html(status, &page))
}

/// `GET /console/admin/users`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, Reply> {
    only_admin(&staff)?;
    let q = q.into_inner();
    let notice = done_notice(staff.t(), q.done.as_deref());
    users_page(
        &staff,
        &state,
        q,
        NewUserForm::default(),
        notice,
        StatusCode::OK,
    )
    .await
}

/// `POST /console/admin/users`: makes a staff account, as `POST /api/v1/admin/users`.
pub async fn create(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let made = match form.body() {
        Ok(body) => match prepare(&state, body).await {
            Ok(p) => {
                let now = state.clock.now_naive();
                let ttl = invite_ttl(&state);
                write(&state, move |c| make(c, &p, now, ttl)).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let change = Change {
        method: "POST",
        route: "/api/v1/admin/users",
        status: 201,
        target: "/api/v1/admin/users".into(),
    };
    match settle(&staff, &state, made, change, |u: &User| {
        let email = u.email.clone().unwrap_or_default();
        format!("/console/admin/users?done=created&q={}", urlencode(&email))
    })
    .await?
    {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            users_page(&staff, &state, Query::default(), form, Some(notice), status).await
        }
    }
}

/// The forms on an account's row, and the search they come back to.
#[derive(Debug, Deserialize)]
pub struct RowForm {
    #[serde(default)]
    csrf: String,
    /// `1`: disable; `0`: enable again.
    #[serde(default)]
    disabled: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
}

impl RowForm {
    fn query(&self) -> Query {
        Query {
            q: self.q.clone(),
            role: self.role.clone(),
            ..Default::default()
        }
    }
}

/// `POST /console/admin/users/{id}/disable`: disables (`disabled=1`) or re-enables an
/// account, as `PATCH /api/v1/admin/users/{id}` (disabling ends its sessions).
pub async fn disable(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RowForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let id = path.into_inner();
    let disabled = form.disabled == "1";
    let body = StaffChanges {
        full_name: None,
        role: None,
        unit_id: None,
        disabled: Some(disabled),
        phone: None,
        locale: None,
    };
    let changed = change(&state, staff.user.id, id, body).await;
    let audit = Change {
        method: "PATCH",
        route: "/api/v1/admin/users/{id}",
        status: 200,
        target: format!("/api/v1/admin/users/{id}"),
    };
    let done = if disabled { "disabled" } else { "enabled" };
    let settled = settle(&staff, &state, changed, audit, |_| form.query().back(done)).await?;
    row_settled(&staff, &state, &form, settled).await
}

/// After a row's form: its redirect, or the list again (its search kept) with the refusal.
async fn row_settled(
    staff: &Staff,
    state: &web::Data<AppState>,
    form: &RowForm,
    settled: Settled,
) -> Result<HttpResponse, Reply> {
    match settled {
        Settled::Done(res) => Ok(res),
        Settled::Refused(status, notice) => {
            users_page(
                staff,
                state,
                form.query(),
                NewUserForm::default(),
                Some(notice),
                status,
            )
            .await
        }
    }
}

/// `POST /console/admin/users/{id}/password-reset`: emails a reset link, as `POST
/// /api/v1/admin/users/{id}/password-reset`.
pub async fn reset(
    staff: Staff,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<RowForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    check_form(&staff, &state, &form.csrf)?;
    let id = path.into_inner();
    let sent = send_password_reset(&state, id).await;
    let change = Change {
        method: "POST",
        route: "/api/v1/admin/users/{id}/password-reset",
        status: 202,
        target: format!("/api/v1/admin/users/{id}/password-reset"),
    };
    let settled = settle(&staff, &state, sent, change, |_| {
        form.query().back("reset_sent")
    })
    .await?;
    row_settled(&staff, &state, &form, settled).await
}
