//! Who is calling: passwords, tokens, and the extractors `CurrentUser`, `MaybeUser` and
//! `RequireRole<…>` that handlers use.

pub mod password;
pub mod tokens;

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{DateTime, Duration, Utc};
use futures_util::future::LocalBoxFuture;

use crate::config::AuthSettings;
use crate::domain::account::Role;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::state::AppState;

pub use password::{Hasher, HashingError, HashingPool};
pub use tokens::{JwtKeys, TokenError};

/// What a request needs to know about its caller, read from the database (and cached
/// for at most `auth.account_status_cache_secs`), not from the token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub role: Role,
    pub unit_id: Option<i64>,
    pub verified: bool,
    pub active: bool,
    pub locale: Lang,
    /// Access tokens of an older generation are refused (their sessions were ended).
    pub token_generation: i64,
}

pub struct Auth {
    pub keys: JwtKeys,
    /// For the command line and start-up; requests hash through `hashing`.
    pub hasher: Hasher,
    pub hashing: HashingPool,
    /// Verified against when the email is unknown, so both failures take the same time.
    pub dummy_hash: String,
    cache_for: Duration,
    cache: Mutex<HashMap<i64, (DateTime<Utc>, AccountStatus)>>,
}

impl Auth {
    pub fn from_settings(s: &AuthSettings) -> anyhow::Result<Self> {
        let hasher = Hasher::from_settings(s)?;
        let dummy_hash = hasher.hash(&tokens::random_token())?;
        Ok(Self {
            keys: JwtKeys::from_settings(s)?,
            hasher,
            hashing: HashingPool::from_settings(s)?,
            dummy_hash,
            cache_for: Duration::seconds(s.account_status_cache_secs as i64),
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn cached(&self, user_id: i64, now: DateTime<Utc>) -> Option<AccountStatus> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&user_id)
            .filter(|(at, _)| now - *at < self.cache_for)
            .map(|(_, s)| s.clone())
    }

    fn remember(&self, user_id: i64, now: DateTime<Utc>, status: AccountStatus) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(user_id, (now, status));
    }

    /// Forgets a user's cached status (after a change made by this process).
    pub fn forget(&self, user_id: i64) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user_id);
    }
}

/// A signed-in caller whose account is active.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub verified: bool,
    pub locale: Lang,
}

impl CurrentUser {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}

/// The token of an `Authorization: Bearer …` header, if one was sent.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthenticated("invalid_token"))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(ApiError::unauthenticated("invalid_token")),
    }
}

async fn authenticate(state: web::Data<AppState>, token: String) -> Result<CurrentUser, ApiError> {
    let now = state.clock.now();
    let claims = state.auth.keys.verify(&token, now).map_err(|e| match e {
        TokenError::Expired => ApiError::unauthenticated("token_expired"),
        TokenError::Invalid | TokenError::NotYetValid => ApiError::unauthenticated("invalid_token"),
    })?;
    let id: i64 = claims
        .sub
        .parse()
        .map_err(|_| ApiError::unauthenticated("invalid_token"))?;
    // A token newer than the cached status was issued after a change made elsewhere: reload.
    let status = match state
        .auth
        .cached(id, now)
        .filter(|s| s.token_generation >= claims.generation)
    {
        Some(s) => Some(s),
        None => {
            let found = state
                .db(move |conn| crate::db::users::status(conn, id))
                .await?;
            if let Some(s) = &found {
                state.auth.remember(id, now, s.clone());
            }
            found
        }
    };
    match status {
        Some(s) if s.active && claims.generation != s.token_generation => {
            Err(ApiError::unauthenticated("session_ended"))
        }
        Some(s) if s.active => Ok(CurrentUser {
            id,
            role: s.role,
            unit_id: s.unit_id,
            verified: s.verified,
            locale: s.locale,
        }),
        _ => Err(ApiError::unauthenticated("account_disabled")),
    }
}

fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = app_state(req);
        Box::pin(async move {
            let token = token?.ok_or_else(|| ApiError::unauthenticated("unauthenticated"))?;
            authenticate(state?, token).await
        })
    }
}

/// A caller who may or may not be signed in (a bad token is still a 401).
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = app_state(req);
        Box::pin(async move {
            match token? {
                None => Ok(MaybeUser(None)),
                Some(t) => Ok(MaybeUser(Some(authenticate(state?, t).await?))),
            }
        })
    }
}

/// The user behind a request that passed a role check.
#[derive(Debug, Clone, Copy)]
pub struct Actor(pub i64);

/// A set of roles allowed on a route; see [`RequireRole`].
pub trait Roles {
    const ALLOWED: &'static [Role];
}

pub struct AdminOnly;
impl Roles for AdminOnly {
    const ALLOWED: &'static [Role] = &[Role::Admin];
}

pub struct StaffOnly;
impl Roles for StaffOnly {
    const ALLOWED: &'static [Role] = &[Role::Official, Role::Supervisor, Role::Admin];
}

pub struct OfficialOnly;
impl Roles for OfficialOnly {
    const ALLOWED: &'static [Role] = &[Role::Official];
}

pub struct SupervisorOnly;
impl Roles for SupervisorOnly {
    const ALLOWED: &'static [Role] = &[Role::Supervisor, Role::Admin];
}

/// A signed-in caller with one of `R::ALLOWED` roles: 401 when not signed in, 403 otherwise.
pub struct RequireRole<R: Roles>(pub CurrentUser, PhantomData<R>);

impl<R: Roles> std::ops::Deref for RequireRole<R> {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.0
    }
}

impl<R: Roles + 'static> FromRequest for RequireRole<R> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let user = user.await?;
            if R::ALLOWED.contains(&user.role) {
                // Who acted, for the administrators' log (see the request middleware).
                req.extensions_mut().insert(Actor(user.id));
                Ok(RequireRole(user, PhantomData))
            } else {
                Err(ApiError::forbidden())
            }
        })
    }
}

/// The caller's network address, for rate limits and anonymous idempotency scopes. Proxy
/// headers are believed only when `server.trust_forwarded_for` says so.
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    pub fn of(req: &HttpRequest) -> ClientAddr {
        let trust = req
            .app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.settings.server.trust_forwarded_for);
        let addr = if trust {
            req.connection_info()
                .realip_remote_addr()
                .map(|a| a.to_string())
        } else {
            req.peer_addr().map(|a| a.ip().to_string())
        };
        ClientAddr(addr.unwrap_or_else(|| "unknown".into()))
    }
}

impl FromRequest for ClientAddr {
    type Error = ApiError;
    type Future = futures_util::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        futures_util::future::ready(Ok(ClientAddr::of(req)))
    }
}
