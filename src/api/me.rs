//! The signed-in user: profile, preferences, password, personal-data rights, push devices.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth::token_pair;
use crate::api::caller::ClientAddr;
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery, nullable};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::auth::CurrentUser;
use crate::config::Environment;
use crate::db::{self, users};
use crate::domain::contact::Phone;
use crate::domain::device::{self, PushTarget};
use crate::domain::preferences::{Channels, Choice, Event, Preferences};
use crate::i18n::Lang;
use crate::state::AppState;
use crate::validation::Violations;

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[derive(Debug, Serialize, Deserialize, ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferences {
    pub email: bool,
    pub push: bool,
}

/// An account as its owner (or an administrator) sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: Option<String>,
    pub full_name: String,
    pub phone: Option<String>,
    pub role: crate::domain::account::Role,
    pub unit_id: Option<i64>,
    pub locale: Lang,
    pub verified: bool,
    pub disabled: bool,
    pub notification_preferences: NotificationPreferences,
    pub created_at: DateTime<Utc>,
}

impl From<&users::User> for UserView {
    fn from(u: &users::User) -> Self {
        UserView {
            id: u.id,
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            phone: u.phone.clone(),
            role: u.role(),
            unit_id: u.unit_id,
            locale: u.lang(),
            verified: u.verified,
            disabled: u.disabled,
            notification_preferences: NotificationPreferences {
                email: u.notify_email,
                push: u.notify_push,
            },
            created_at: utc(u.created_at),
        }
    }
}

async fn load(state: &AppState, id: i64) -> Result<users::User, ApiError> {
    state
        .db(move |conn| users::find(conn, id))
        .await?
        .ok_or_else(|| ApiError::unauthenticated("account_disabled"))
}

/// The signed-in account.
#[utoipa::path(tag = "me", security(("bearer" = [])), responses((status = 200, body = UserView), (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, ApiError> {
    let u = load(&state, user.id).await?;
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileChanges {
    /// Also accepted as `name`.
    #[serde(alias = "name")]
    pub full_name: Option<String>,
    /// `null` removes the phone number.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub locale: Option<Lang>,
    pub notification_preferences: Option<PreferenceChanges>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferenceChanges {
    pub email: Option<bool>,
    pub push: Option<bool>,
}

/// Change name, phone, language or notification preferences (per channel).
#[utoipa::path(tag = "me", security(("bearer" = [])), request_body = ProfileChanges, responses((status = 200, body = UserView), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/me")]
pub async fn update_me(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<ProfileChanges>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let full_name = body
        .full_name
        .as_deref()
        .map(|n| v.line("/full_name", n, 1, 200));
    let phone = match body.phone {
        None => None,
        Some(None) => Some(None),
        Some(Some(p)) => v
            .parse("/phone", &p, Phone::parse)
            .map(|p| Some(p.as_str().to_string())),
    };
    v.finish()?;
    let prefs = body.notification_preferences;
    let changes = users::Changes {
        full_name,
        phone,
        locale: body.locale.map(|l| l.as_str().to_string()),
        notify_email: prefs.as_ref().and_then(|p| p.email),
        notify_push: prefs.as_ref().and_then(|p| p.push),
        ..Default::default()
    };
    let now = state.clock.now_naive();
    let id = user.id;
    let u = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::accounts::update(c, id, changes, now)
            })
        })
        .await?;
    state.auth.forget(id);
    Ok(HttpResponse::Ok().json(UserView::from(&u)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password (the current one is needed). Every other session ends (its refresh
/// tokens at once, its access tokens at once in this process and within
/// `auth.account_status_cache_secs` in others); this one goes on with the new token pair in
/// the answer, which replaces the caller's tokens (the old ones stop working too).
#[utoipa::path(tag = "me", security(("bearer" = [])), request_body = PasswordChange, responses((status = 200, body = crate::api::auth::TokenPair), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"), (status = 503, description = "service_unavailable: too many password checks at once (with Retry-After)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let signed = crate::workflow::password::change(
        &state,
        user.id,
        body.current_password,
        body.new_password,
    )
    .await?;
    token_pair(&state, &signed.user, signed.refresh_token)
}

// --- notification preferences ------------------------------------------------------------

/// How each staff event reaches the caller, by email and by push: `immediate` (a message of
/// its own, at once), `digest` (a line in one daily message at `digest_hour`) or `off`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffEvents {
    /// A new ticket (or second-round complaint) in my unit. Default: immediate, immediate.
    pub new_ticket: Channels,
    /// A ticket assigned to me (by someone else). Default: off, off.
    pub assigned: Channels,
    /// A deadline near: reminders at 75 % and on the last day, a progress note owed. Default:
    /// immediate, immediate.
    pub due_soon: Channels,
    /// A deadline missed (and escalated). Default: immediate, immediate.
    pub overdue: Channels,
    /// A citizen's answer to a request for information, or a citizen's comment. Default:
    /// immediate, immediate.
    pub citizen_reply: Channels,
}

/// A staff member's notification preferences.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    pub events: StaffEvents,
    /// The hour (0–23, Asia/Ho_Chi_Minh) the daily digest goes out. Default 7.
    #[schema(minimum = 0, maximum = 23)]
    pub digest_hour: u8,
}

impl From<&Preferences> for NotificationSettings {
    fn from(p: &Preferences) -> Self {
        NotificationSettings {
            events: StaffEvents {
                new_ticket: p.of(Event::NewTicket),
                assigned: p.of(Event::Assigned),
                due_soon: p.of(Event::DueSoon),
                overdue: p.of(Event::Overdue),
                citizen_reply: p.of(Event::CitizenReply),
            },
            digest_hour: p.digest_hour(),
        }
    }
}

/// New choices for one event; a channel left out keeps its choice.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelsChange {
    pub email: Option<Choice>,
    pub push: Option<Choice>,
}

/// New choices per event; an event left out keeps its choices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffEventsChange {
    pub new_ticket: Option<ChannelsChange>,
    pub assigned: Option<ChannelsChange>,
    pub due_soon: Option<ChannelsChange>,
    pub overdue: Option<ChannelsChange>,
    pub citizen_reply: Option<ChannelsChange>,
}

/// The shape `GET` answers with; any part may be left out and keeps its value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettingsChange {
    pub events: Option<StaffEventsChange>,
    /// 0–23 (422 `out_of_range` otherwise).
    #[schema(minimum = 0, maximum = 23)]
    pub digest_hour: Option<i64>,
}

/// The caller's notification preferences: per staff event, by email and by push, `immediate`,
/// `digest` or `off`, and the digest's hour. Staff only: a citizen gets 403 `action_forbidden`
/// (citizens' messages about their own tickets follow the email and push switches of
/// `PATCH /me`, which also stay the master switches for staff). The in-app list
/// (`/me/notifications`) shows every event whatever the choice.
#[utoipa::path(tag = "me", security(("bearer" = [])),
    responses((status = 200, body = NotificationSettings),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "action_forbidden: citizens have no staff events", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me/notification-preferences")]
pub async fn notification_preferences(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let (id, role) = (user.id, user.role);
    let p = state
        .db(move |c| Ok::<_, ApiError>(crate::workflow::preferences::get(c, id, role)?))
        .await?;
    Ok(HttpResponse::Ok().json(NotificationSettings::from(&p)))
}

/// Change the caller's notification preferences. The body has `GET`'s shape, and any part of
/// it may be left out: an event, one channel of an event, or `digest_hour` left out keeps its
/// value (so `{"events": {"new_ticket": {"email": "digest"}}}` changes one choice). Answers
/// with all the preferences. A value other than `immediate`, `digest` or `off`, an unknown
/// event or field, or an hour outside 0–23 is 422 `validation_failed`, and nothing changes.
#[utoipa::path(tag = "me", security(("bearer" = [])), request_body = NotificationSettingsChange,
    responses((status = 200, body = NotificationSettings),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "action_forbidden: citizens have no staff events", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/me/notification-preferences")]
pub async fn set_notification_preferences(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NotificationSettingsChange>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    let hour = body.digest_hour.map(|h| {
        v.range("/digest_hour", h, 0, 23);
        h.clamp(0, 23) as u8
    });
    v.finish()?;
    let events = body.events.map(|e| {
        [
            (Event::NewTicket, e.new_ticket),
            (Event::Assigned, e.assigned),
            (Event::DueSoon, e.due_soon),
            (Event::Overdue, e.overdue),
            (Event::CitizenReply, e.citizen_reply),
        ]
    });
    let (id, role) = (user.id, user.role);
    let now = state.clock.now_naive();
    let p = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::preferences::update(
                    c,
                    id,
                    role,
                    |p| {
                        for (event, change) in events.into_iter().flatten() {
                            let Some(change) = change else { continue };
                            let was = p.of(event);
                            p.set(
                                event,
                                Channels {
                                    email: change.email.unwrap_or(was.email),
                                    push: change.push.unwrap_or(was.push),
                                },
                            );
                        }
                        if let Some(h) = hour {
                            // Checked above: 0–23.
                            let _ = p.set_digest_hour(h);
                        }
                    },
                    now,
                )
            })
            .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(NotificationSettings::from(&p)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataExport {
    pub exported_at: DateTime<Utc>,
    pub account: UserView,
    pub devices: Vec<DeviceView>,
    #[schema(value_type = Vec<Object>)]
    pub sessions: Vec<users::SessionExport>,
    /// Tickets the user submitted, with their public timeline.
    #[schema(value_type = Vec<Object>)]
    pub tickets: Vec<serde_json::Value>,
    /// What the user was told in the app: `{event, ticket_code, created_at, read}`.
    #[schema(value_type = Vec<Object>)]
    pub notifications: Vec<serde_json::Value>,
}

/// Everything nghedan keeps about the signed-in user, as JSON (personal-data law).
#[utoipa::path(tag = "me", security(("bearer" = [])), responses((status = 200, body = DataExport)))]
#[get("/me/export")]
pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let now = state.clock.now();
    let export = state
        .db(move |conn| -> Result<_, ApiError> {
            let u = users::find(conn, id)?.ok_or_else(|| ApiError::not_found("user_not_found"))?;
            Ok(DataExport {
                exported_at: now,
                account: UserView::from(&u),
                devices: users::list_devices(conn, id)?
                    .iter()
                    .map(DeviceView::from)
                    .collect(),
                sessions: users::sessions(conn, id)?,
                tickets: crate::db::exports::tickets_of(conn, id)?,
                notifications: crate::notify::in_app::list(conn, id, None, i64::MAX)?
                    .into_iter()
                    .map(|n| {
                        serde_json::json!({
                            "event": n.template.as_str(),
                            "ticket_code": n.ticket_code,
                            "created_at": n.created_at.and_utc(),
                            "read": n.read_at.is_some(),
                        })
                    })
                    .collect(),
            })
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"nghedan-my-data.json\"",
        ))
        .json(export))
}

/// Erase the account's personal data. Submitted tickets stay for the record, pseudonymised.
/// Refused (409 `open_cases`) while a complaint or denunciation of the user is open.
#[utoipa::path(tag = "me", security(("bearer" = [])), responses((status = 204), (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/me")]
pub async fn delete_me(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let id = user.id;
    let now = state.clock.now_naive();
    state
        .db(move |conn| db::write(conn, |c| crate::workflow::accounts::erase(c, id, now)))
        .await?;
    state.auth.forget(id);
    Ok(HttpResponse::NoContent().finish())
}

// --- devices ----------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Fcm,
    Apns,
    Webpush,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApnsEnvironment {
    Sandbox,
    Production,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionKeys {
    pub p256dh: String,
    pub auth: String,
}

/// A browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    #[serde(default, rename = "expirationTime", alias = "expiration_time")]
    #[schema(value_type = Option<i64>)]
    pub expiration_time: Option<serde_json::Value>,
}

/// `{platform: "fcm"|"apns", token, environment}` or `{platform: "webpush", subscription}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRequest {
    pub platform: Platform,
    pub token: Option<String>,
    /// APNs only: `sandbox` or `production`.
    pub environment: Option<ApnsEnvironment>,
    pub subscription: Option<Subscription>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: i64,
    pub platform: String,
    pub environment: Option<String>,
    /// The last characters of the token, or the push service's host for Web Push.
    pub hint: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&users::Device> for DeviceView {
    fn from(d: &users::Device) -> Self {
        let hint = if d.platform == "webpush" {
            url::Url::parse(&d.address)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default()
        } else {
            let n = d.address.len();
            format!("…{}", &d.address[n.saturating_sub(8)..])
        };
        DeviceView {
            id: d.id,
            platform: d.platform.clone(),
            environment: d.environment.clone(),
            hint,
            active: d.active,
            created_at: utc(d.created_at),
        }
    }
}

pub(crate) fn parse_device(
    body: DeviceRequest,
    allow_loopback_http: bool,
) -> Result<users::NewDevice, ApiError> {
    let need = |field: &'static str| ApiError::field(field, "required");
    let target = match body.platform {
        Platform::Fcm => device::fcm(body.token.as_deref().ok_or_else(|| need("/token"))?),
        Platform::Apns => device::apns(
            body.token.as_deref().ok_or_else(|| need("/token"))?,
            body.environment.map(|e| match e {
                ApnsEnvironment::Sandbox => "sandbox",
                ApnsEnvironment::Production => "production",
            }),
        ),
        Platform::Webpush => {
            let s = body.subscription.ok_or_else(|| need("/subscription"))?;
            device::web_push(
                &s.endpoint,
                &s.keys.p256dh,
                &s.keys.auth,
                allow_loopback_http,
            )
        }
    }
    .map_err(|(field, code)| ApiError::field(field, code))?;
    Ok(match target {
        PushTarget::Fcm { token } => users::NewDevice {
            platform: "fcm",
            address: token,
            environment: None,
            p256dh: None,
            auth_secret: None,
        },
        PushTarget::Apns { token, sandbox } => users::NewDevice {
            platform: "apns",
            address: token,
            environment: Some(if sandbox { "sandbox" } else { "production" }),
            p256dh: None,
            auth_secret: None,
        },
        PushTarget::WebPush {
            endpoint,
            p256dh,
            auth,
        } => users::NewDevice {
            platform: "webpush",
            address: endpoint,
            environment: None,
            p256dh: Some(p256dh),
            auth_secret: Some(auth),
        },
    })
}

/// Register this phone or browser for push. The same token registered again moves to the
/// caller (no duplicates).
#[utoipa::path(tag = "me", security(("bearer" = [])), request_body = DeviceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = DeviceView), (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/me/devices")]
pub async fn add_device(
    state: web::Data<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    req: Creating<DeviceRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let allow_http = state.settings.environment == Environment::Test;
    let new = parse_device(body, allow_http)?;
    let now = state.clock.now_naive();
    let id = user.id;
    idempotency::run(
        &state,
        idempotency::scope(Some(id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |conn| {
            let (device, _) = users::register_device(conn, id, &new, now)?;
            Ok(DeviceView::from(&device))
        },
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// The caller's push devices.
#[utoipa::path(tag = "me", security(("bearer" = [])),
    params(("after" = Option<String>, Query), ("limit" = Option<i64>, Query)),
    responses((status = 200, body = List<DeviceView>)))]
#[get("/me/devices")]
pub async fn list_devices(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let id = user.id;
    let devices = state.db(move |conn| users::list_devices(conn, id)).await?;
    let rows: Vec<_> = devices
        .into_iter()
        .filter(|d| page.after.is_none_or(|a| d.id > a))
        .take(page.fetch() as usize)
        .collect();
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |d| d.id,
        |d| DeviceView::from(&d),
    )))
}

/// Forget one of the caller's devices.
#[utoipa::path(tag = "me", security(("bearer" = [])), responses((status = 204), (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/me/devices/{id}")]
pub async fn delete_device(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (uid, id) = (user.id, path.into_inner());
    state
        .db(move |conn| db::write(conn, |c| users::delete_device(c, uid, id)))
        .await?
        .then_some(())
        .ok_or_else(|| ApiError::not_found("device_not_found"))?;
    Ok(HttpResponse::NoContent().finish())
}
