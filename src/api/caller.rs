//! Who is calling, for handlers: the extractors `CurrentUser`, `MaybeUser`, `RequireRole<…>`
//! and `ClientAddr`. A token is checked against the account's status (cached for at most
//! `auth.account_status_cache_secs`, see `auth::Auth`), not trusted for its claims.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::api::error::ApiError;
use crate::auth::{CurrentUser, TokenError};
use crate::domain::account::Role;
use crate::state::AppState;

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
                .db(move |conn| crate::db::users::find(conn, id))
                .await?
                .map(|u| crate::auth::AccountStatus::of(&u));
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
