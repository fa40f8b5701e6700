//! Staff accounts, kept by administrators: create (with an emailed invitation to set a
//! password), list, read, change, disable, and send a password reset.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::Duration;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::api::auth::send_reset;
use crate::api::caller::{AdminOnly, ClientAddr, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{Page, paginate};
use crate::api::me::UserView;
use crate::auth::tokens;
use crate::db::{self, users};
use crate::domain::account::Role;
use crate::domain::contact::{Email, Phone};
use crate::domain::message::Template;
use crate::i18n::Lang;
use crate::state::AppState;
use crate::validation::Violations;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStaff {
    pub email: String,
    pub full_name: String,
    /// `official`, `supervisor` or `admin`.
    pub role: Role,
    /// Required for officials (their unit) and supervisors (the unit they oversee).
    pub unit_id: Option<i64>,
    pub phone: Option<String>,
    pub locale: Option<Lang>,
}

/// Create a staff account. It is verified (an administrator vouches for the address) and
/// gets an email with a link to set its password.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = NewStaff,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = UserView), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "email_taken", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/users")]
pub async fn create(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    client: ClientAddr,
    req: Creating<NewStaff>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let staff = prepare(&state, body).await?;
    let now = state.clock.now_naive();
    let ttl = invite_ttl(&state);
    idempotency::run(
        &state,
        idempotency::scope(Some(admin.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |conn| Ok(UserView::from(&make(conn, &staff, now, ttl)?)),
    )
    .await
}

/// A staff account checked and ready to be made.
pub struct Prepared {
    email: Email,
    phone: Option<Phone>,
    full_name: String,
    hash: String,
    role: Role,
    unit_id: Option<i64>,
    locale: Lang,
}

/// Checks a new staff account (the API's body and the console's form) and hashes the
/// unusable password it holds until its invitation is used.
pub async fn prepare(state: &AppState, body: NewStaff) -> Result<Prepared, ApiError> {
    let mut v = Violations::new();
    let email = v.parse("/email", &body.email, Email::parse);
    let full_name = v.line("/full_name", &body.full_name, 1, 200);
    if body.role == Role::Citizen {
        v.add("/role", "staff_role_required");
    }
    if body.role.needs_unit() && body.unit_id.is_none() {
        v.add("/unit_id", "required");
    }
    let phone = match body.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => v.parse("/phone", p, Phone::parse),
        None => None,
    };
    v.finish()?;
    let email = email.expect("checked");
    // An unusable password until the invitation is used.
    let hash = crate::api::auth::hash_password(state, tokens::random_token()).await?;
    Ok(Prepared {
        email,
        phone,
        full_name,
        hash,
        role: body.role,
        unit_id: body.unit_id,
        locale: body.locale.unwrap_or_default(),
    })
}

/// How long a staff invitation's link works.
pub fn invite_ttl(state: &AppState) -> Duration {
    Duration::hours(state.settings.auth.verify_email_ttl_hours)
}

/// Makes the account (verified: an administrator vouches for the address) and emails its
/// invitation to set a password, in the caller's transaction.
pub fn make(
    conn: &mut db::DbConn,
    p: &Prepared,
    now: chrono::NaiveDateTime,
    ttl: Duration,
) -> Result<users::User, ApiError> {
    let user = crate::workflow::accounts::create(
        conn,
        &users::NewUser {
            email: p.email.as_str(),
            phone: p.phone.as_ref().map(Phone::as_str),
            full_name: &p.full_name,
            password_hash: &p.hash,
            role: p.role,
            unit_id: p.unit_id,
            locale: p.locale,
            verified: true,
        },
        now,
    )?;
    send_reset(conn, &user, Template::StaffInvite, now, ttl)?;
    Ok(user)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserQuery {
    pub role: Option<Role>,
    pub unit_id: Option<i64>,
    pub q: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Accounts, filtered by role, unit and text (email or name).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    params(("role" = Option<Role>, Query), ("unit_id" = Option<i64>, Query), ("q" = Option<String>, Query),
        ("after" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = crate::api::list::List<UserView>), (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/users")]
pub async fn list(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    ApiQuery(q): ApiQuery<UserQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let fetch = page.fetch();
    let after = page.after;
    let rows = state
        .db(move |conn| users::list(conn, q.role, q.unit_id, q.q.as_deref(), after, fetch))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(rows, page.limit, |u| u.id, |u| UserView::from(&u))))
}

/// One account.
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = UserView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/admin/users/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let u = state
        .db(move |conn| users::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::not_found("user_not_found"))?;
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffChanges {
    pub full_name: Option<String>,
    pub role: Option<Role>,
    pub unit_id: Option<i64>,
    /// `true` disables the account: its sessions end, refresh tokens at once, access tokens at
    /// once in this process and within `auth.account_status_cache_secs` (60 s) in other API
    /// processes; re-enabling it does not revive them.
    pub disabled: Option<bool>,
    pub phone: Option<String>,
    pub locale: Option<Lang>,
}

/// Change, disable or re-enable an account.
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = StaffChanges,
    responses((status = 200, body = UserView), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/admin/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<StaffChanges>,
) -> Result<HttpResponse, ApiError> {
    let u = change(&state, admin.id, path.into_inner(), body).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}

/// Changes account `id` as administrator `admin_id` asks (the API's PATCH and the console's
/// forms): disabling ends its sessions, and this process forgets its cached status.
pub async fn change(
    state: &AppState,
    admin_id: i64,
    id: i64,
    body: StaffChanges,
) -> Result<users::User, ApiError> {
    let mut v = Violations::new();
    let full_name = body
        .full_name
        .as_deref()
        .map(|n| v.line("/full_name", n, 1, 200));
    let phone = body
        .phone
        .as_deref()
        .and_then(|p| v.parse("/phone", p, Phone::parse))
        .map(|p| Some(p.as_str().to_string()));
    if id == admin_id && body.disabled == Some(true) {
        v.add("/disabled", "cannot_disable_self");
    }
    v.finish()?;
    let now = state.clock.now_naive();
    let disabling = body.disabled == Some(true);
    let changes = users::Changes {
        full_name,
        phone,
        role: body.role.map(|r| r.as_str().to_string()),
        unit_id: body.unit_id.map(Some),
        disabled: body.disabled,
        locale: body.locale.map(|l| l.as_str().to_string()),
        ..Default::default()
    };
    let role_change = body.role;
    let u = state
        .db(move |conn| {
            db::write(conn, |c| {
                let before =
                    users::find(c, id)?.ok_or_else(|| ApiError::not_found("user_not_found"))?;
                let role = role_change.unwrap_or(before.role());
                let unit = changes.unit_id.unwrap_or(before.unit_id);
                if role.needs_unit() && unit.is_none() {
                    return Err(ApiError::field("/unit_id", "required"));
                }
                let after = crate::workflow::accounts::update(c, id, changes, now)?;
                if disabling {
                    users::end_all_sessions(c, id, now)?;
                }
                Ok(after)
            })
        })
        .await?;
    state.auth.forget(id);
    Ok(u)
}

/// Email the account a password-reset link (valid 1 hour).
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 202, body = crate::api::auth::Accepted), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/admin/users/{id}/password-reset")]
pub async fn reset(
    state: web::Data<AppState>,
    _admin: RequireRole<AdminOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    send_password_reset(&state, path.into_inner()).await?;
    Ok(HttpResponse::Accepted().json(crate::api::auth::Accepted { accepted: true }))
}

/// Emails account `id` a password-reset link (the API and the console); 409
/// `account_disabled` for a disabled account.
pub async fn send_password_reset(state: &AppState, id: i64) -> Result<(), ApiError> {
    let now = state.clock.now_naive();
    let ttl = Duration::minutes(state.settings.auth.password_reset_ttl_minutes);
    state
        .db(move |conn| {
            db::write(conn, |c| {
                let u = users::find(c, id)?.ok_or_else(|| ApiError::not_found("user_not_found"))?;
                if !u.active() {
                    return Err(ApiError::conflict("account_disabled"));
                }
                send_reset(c, &u, Template::PasswordReset, now, ttl)
            })
        })
        .await
}
