//! Sign-up, email verification, sign-in, refresh, sign-out and password reset.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::api::caller::ClientAddr;
use crate::api::error::ApiError;
use crate::api::extract::ApiJson;
use crate::api::idempotency::{self, Creating};
use crate::api::me::UserView;
use crate::db::users::{self, CodeCheck, NewUser, Purpose, Rotation};
use crate::db::{self};
use crate::domain::account::Role;
use crate::domain::contact::{Email, Phone};
use crate::domain::message::Template;
use crate::i18n::Lang;
use crate::notify::outbox::{self, Channel, NewMessage};
use crate::state::AppState;
use crate::validation::Violations;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    /// 10–128 characters, not one of the most common passwords.
    pub password: String,
    pub full_name: String,
    pub phone: Option<String>,
    pub locale: Option<Lang>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
}

/// Create a citizen account (unverified) and email a verification link and 6-digit code.
#[utoipa::path(
    tag = "auth",
    request_body = RegisterRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses(
        (status = 201, body = UserView),
        (status = 409, description = "email_taken", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable: too many password checks at once (with Retry-After)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/register")]
pub async fn register(
    state: web::Data<AppState>,
    client: ClientAddr,
    req: Creating<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let mut v = Violations::new();
    let email = v.parse("/email", &body.email, Email::parse);
    v.password("/password", &body.password);
    let full_name = v.line("/full_name", &body.full_name, 1, 200);
    let phone = match body.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        Some(p) => v.parse("/phone", p, Phone::parse),
        None => None,
    };
    v.finish()?;
    let email = email.expect("checked above");
    let locale = body.locale.unwrap_or_default();

    let now = state.clock.now_naive();
    let limit = state.settings.limits.signups_per_ip_per_hour;
    let ip_key = format!("signup:ip:{}", client.0);
    state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::rate_limits::hit(c, &ip_key, limit, Duration::hours(1), now)
            })
        })
        .await?;

    let hash = hash_password(&state, body.password).await?;
    let ttl = Duration::hours(state.settings.auth.verify_email_ttl_hours);
    let scope = idempotency::scope(None, &client.0);
    idempotency::run(
        &state,
        scope,
        key,
        digest,
        StatusCode::CREATED,
        move |conn| {
            let user = crate::workflow::accounts::create(
                conn,
                &NewUser {
                    email: email.as_str(),
                    phone: phone.as_ref().map(Phone::as_str),
                    full_name: &full_name,
                    password_hash: &hash,
                    role: Role::Citizen,
                    unit_id: None,
                    locale,
                    verified: false,
                },
                now,
            )?;
            send_verification(conn, &user, now, ttl)?;
            Ok(UserView::from(&user))
        },
    )
    .await
}

/// Issues a verification token and code and queues the email.
fn send_verification(
    conn: &mut db::DbConn,
    user: &users::User,
    now: chrono::NaiveDateTime,
    ttl: Duration,
) -> Result<(), ApiError> {
    let (token, code) = users::issue_email_token(conn, user.id, Purpose::VerifyEmail, now, ttl)?;
    outbox::enqueue(
        conn,
        &NewMessage {
            channel: Channel::Email,
            user_id: Some(user.id),
            address: None,
            device_id: None,
            template: Template::VerifyEmail,
            locale: user.lang(),
            data: json!({"name": user.full_name, "token": token, "code": code}),
            dedup_key: format!("verify_email:{}:{}", user.id, &token[..12]),
            not_before: None,
        },
        now,
    )?;
    Ok(())
}

/// Hashes through the bounded pool: 503 with `Retry-After` when it stays busy.
pub async fn hash_password(state: &AppState, password: String) -> Result<String, ApiError> {
    Ok(state.auth.hashing.hash(password).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token from the emailed link…
    pub token: Option<String>,
    /// … or the address and the 6-digit code typed into the app (5 wrong codes void it).
    pub email: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Verified {
    pub verified: bool,
}

/// Confirm an email address with the link's token, or with the email and the 6-digit code.
#[utoipa::path(
    tag = "auth",
    request_body = VerifyEmailRequest,
    responses(
        (status = 200, body = Verified),
        (status = 422, description = "verification_failed or validation_failed", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    enum By {
        Token(String),
        Code(String, String),
    }
    let by = match (body.token, body.email, body.code) {
        (Some(t), None, None) => By::Token(t),
        (None, Some(e), Some(c)) => {
            let mut v = Violations::new();
            let email = v.parse("/email", &e, Email::parse);
            if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_digit()) {
                v.add("/code", "six_digits");
            }
            v.finish()?;
            By::Code(email.expect("checked").into_inner(), c)
        }
        _ => {
            return Err(ApiError::field("", "token_or_email_and_code"));
        }
    };
    let now = state.clock.now_naive();
    let attempts = state.settings.limits.verify_code_attempts;
    let verified = state
        .db(move |conn| {
            db::write(conn, |conn| {
                let user_id = match by {
                    By::Token(t) => users::use_email_token(conn, &t, Purpose::VerifyEmail, now)?,
                    By::Code(email, code) => {
                        match users::use_verification_code(conn, &email, &code, now, attempts)? {
                            CodeCheck::Verified(id) => Some(id),
                            CodeCheck::Wrong => None,
                        }
                    }
                };
                if let Some(id) = user_id {
                    crate::workflow::accounts::update(
                        conn,
                        id,
                        users::Changes {
                            verified: Some(true),
                            ..Default::default()
                        },
                        now,
                    )?;
                }
                Ok::<_, ApiError>(user_id)
            })
        })
        .await?;
    match verified {
        Some(id) => {
            state.auth.forget(id);
            Ok(HttpResponse::Ok().json(Verified { verified: true }))
        }
        None => Err(ApiError::unprocessable("verification_failed")),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Sign in: a 15-minute access token and a 30-day refresh token. An unknown email and a
/// wrong password get the same answer in comparable time. Failures are limited per client
/// address and per account and address (429 until the window ends); failures on an account
/// from anywhere make the addresses that failed on it wait a doubling delay (429 with
/// `Retry-After`), never an address that has not failed.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "invalid_credentials or account_disabled", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "rate_limited", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable: too many sign-ins at once (with Retry-After)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let signed =
        crate::workflow::sign_in::sign_in(&state, &body.email, body.password, &client.0).await?;
    token_pair(&state, &signed.user, signed.refresh_token)
}

/// A fresh access token for `user` (of its current session generation) beside `refresh_token`.
pub(crate) fn token_pair(
    state: &AppState,
    user: &users::User,
    refresh_token: String,
) -> Result<HttpResponse, ApiError> {
    let access_token = state
        .auth
        .keys
        .issue(
            user.id,
            user.role(),
            user.token_generation,
            state.clock.now(),
        )
        .map_err(crate::error::AppError::Internal)?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TokenPair {
            access_token,
            token_type: "Bearer",
            expires_in: state.auth.keys.ttl_secs(),
            refresh_token,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Trade a refresh token for a new pair. The old one stops working; presenting it again
/// revokes the whole sign-in (theft detection), ends every access token of the account (other
/// sign-ins refresh theirs) and answers 401 `refresh_token_reused`.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "invalid_token, token_expired, refresh_token_reused or account_disabled", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let ttl = Duration::days(state.settings.auth.refresh_token_ttl_days);
    let rotation = state
        .db(move |conn| {
            db::write(conn, |c| {
                users::rotate_session(c, &body.refresh_token, now, ttl)
            })
        })
        .await?;
    match rotation {
        Rotation::Rotated { user, token } => token_pair(&state, &user, token),
        Rotation::Refused(code) => Err(ApiError::unauthenticated(code)),
        Rotation::Reused { user_id } => {
            state.auth.forget(user_id);
            Err(ApiError::unauthenticated("refresh_token_reused"))
        }
    }
}

/// Sign out: revokes the refresh token's whole sign-in. Unknown tokens are fine (204).
#[utoipa::path(tag = "auth", request_body = RefreshRequest, responses((status = 204)))]
#[post("/auth/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    state
        .db(move |conn| db::write(conn, |c| users::end_session(c, &body.refresh_token, now)))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub accepted: bool,
}

/// Ask for a password-reset email. Always 202, whether or not the address has an account.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, body = Accepted),
        (status = 429, description = "rate_limited", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset")]
pub async fn password_reset(
    state: web::Data<AppState>,
    client: ClientAddr,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<HttpResponse, ApiError> {
    let now = state.clock.now_naive();
    let limit = state.settings.limits.password_resets_per_ip_per_hour;
    let ttl = Duration::minutes(state.settings.auth.password_reset_ttl_minutes);
    let ip_key = format!("reset:ip:{}", client.0);
    let email = Email::parse(&body.email).ok();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::rate_limits::hit(c, &ip_key, limit, Duration::hours(1), now)?;
                let Some(email) = email else { return Ok(()) };
                match users::find_by_email(c, email.as_str())? {
                    Some(user) if user.active() => {
                        send_reset(c, &user, Template::PasswordReset, now, ttl)
                    }
                    _ => Ok(()),
                }
            })
        })
        .await?;
    Ok(HttpResponse::Accepted().json(Accepted { accepted: true }))
}

/// Issues a reset token and queues `template` (a reset, or a staff invitation).
pub fn send_reset(
    conn: &mut db::DbConn,
    user: &users::User,
    template: Template,
    now: chrono::NaiveDateTime,
    ttl: Duration,
) -> Result<(), ApiError> {
    let (token, _) = users::issue_email_token(conn, user.id, Purpose::PasswordReset, now, ttl)?;
    let unit = match user.unit_id {
        Some(id) => crate::db::units::name_of(conn, id, user.lang())?,
        None => None,
    };
    outbox::enqueue(
        conn,
        &NewMessage {
            channel: Channel::Email,
            user_id: Some(user.id),
            address: None,
            device_id: None,
            template,
            locale: user.lang(),
            data: json!({"name": user.full_name, "token": token, "unit": unit}),
            dedup_key: format!("{}:{}:{}", template.as_str(), user.id, &token[..12]),
            not_before: None,
        },
        now,
    )?;
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    pub token: String,
    pub password: String,
}

/// Set a new password with the emailed token (single use, 1 hour). Every session ends: refresh
/// tokens at once, access tokens at once in this process and within
/// `auth.account_status_cache_secs` in others (401 `session_ended`).
#[utoipa::path(
    tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 204),
        (status = 422, description = "reset_token_invalid or validation_failed", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "service_unavailable: too many password checks at once (with Retry-After)", body = crate::api::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/password-reset/confirm")]
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> Result<HttpResponse, ApiError> {
    let mut v = Violations::new();
    v.password("/password", &body.password);
    v.finish()?;
    let hash = hash_password(&state, body.password).await?;
    let now = state.clock.now_naive();
    let token = body.token;
    let user_id = state
        .db(move |conn| {
            db::write(conn, |c| {
                let Some(id) = users::use_email_token(c, &token, Purpose::PasswordReset, now)?
                else {
                    return Ok(None);
                };
                // Whoever holds the emailed token controls the address: it is verified too.
                crate::workflow::accounts::update(
                    c,
                    id,
                    users::Changes {
                        password_hash: Some(hash),
                        verified: Some(true),
                        ..Default::default()
                    },
                    now,
                )?;
                users::end_all_sessions(c, id, now)?;
                Ok::<_, ApiError>(Some(id))
            })
        })
        .await?;
    match user_id {
        Some(id) => {
            state.auth.forget(id);
            Ok(HttpResponse::NoContent().finish())
        }
        None => Err(ApiError::unprocessable("reset_token_invalid")),
    }
}
