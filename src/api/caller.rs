//! Who is calling, for handlers: the extractors `CurrentUser`, `MaybeUser`, `RequireRole<…>`
//! and `ClientAddr`. A token is checked against the account's status (cached for at most
//! `auth.account_status_cache_secs`, see `auth::Auth`), not trusted for its claims.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

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

/// The active account an access token belongs to: 401 `token_expired`, `invalid_token`,
/// `session_ended` or `account_disabled` otherwise.
pub async fn authenticate(
    state: web::Data<AppState>,
    token: String,
) -> Result<CurrentUser, ApiError> {
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

/// The caller's network address, for rate limits, anonymous idempotency scopes and the audit
/// log: see [`client_ip`].
#[derive(Debug, Clone)]
pub struct ClientAddr(pub String);

impl ClientAddr {
    pub fn of(req: &HttpRequest) -> ClientAddr {
        let Some(peer) = req.peer_addr() else {
            return ClientAddr("unknown".into());
        };
        let trusted = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.server.trusted_proxies.as_slice())
            .unwrap_or_default();
        let forwarded_for = req
            .headers()
            .get_all("x-forwarded-for")
            .map(|v| v.as_bytes());
        ClientAddr(client_ip(peer.ip(), forwarded_for, trusted).to_string())
    }
}

/// The client's address: the peer's, unless the peer is one of the `trusted` proxies; then,
/// walking `X-Forwarded-For` (its header lines in order) from the right, the first address that
/// is not a trusted proxy. Each proxy appends the address it saw, so what is right of that
/// address was written by our proxies and what is left of it by the client, who can write
/// anything there. A hop that is not an address ends the walk at the last one believed.
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a [u8]>,
    trusted: &[ipnet::IpNet],
) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer.to_canonical();
    if !is_trusted(&client) {
        return client;
    }
    let lines: Vec<&[u8]> = forwarded_for.into_iter().collect();
    let hops = lines
        .iter()
        .rev()
        .flat_map(|line| line.rsplit(|b| *b == b','));
    for hop in hops {
        let Some(ip) = hop_address(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: `203.0.113.9`, `2001:db8::1`, `[2001:db8::1]`, or either with
/// a port.
fn hop_address(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })?;
    Some(ip.to_canonical())
}

impl FromRequest for ClientAddr {
    type Error = ApiError;
    type Future = futures_util::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        futures_util::future::ready(Ok(ClientAddr::of(req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn client(peer: &str, lines: &[&str], trusted: &[&str]) -> String {
        client_ip(ip(peer), lines.iter().map(|l| l.as_bytes()), &nets(trusted)).to_string()
    }

    const PROXIES: &[&str] = &["10.0.0.0/8", "fd00::/8"];

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        assert_eq!(
            client("198.51.100.7", &["203.0.113.9"], &[]),
            "198.51.100.7"
        );
        // A peer outside the trusted ranges cannot speak for anyone else.
        assert_eq!(
            client("198.51.100.7", &["203.0.113.9"], PROXIES),
            "198.51.100.7"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_address_is_the_client() {
        assert_eq!(client("10.0.0.2", &["203.0.113.9"], PROXIES), "203.0.113.9");
        // The client wrote the left part; our proxies appended what they saw.
        assert_eq!(
            client("10.0.0.2", &["1.2.3.4, 203.0.113.9, 10.0.0.5"], PROXIES),
            "203.0.113.9"
        );
        // Several header lines are one list, in order.
        assert_eq!(
            client("10.0.0.2", &["1.2.3.4", "203.0.113.9", "10.0.0.5"], PROXIES),
            "203.0.113.9"
        );
        // Ports and brackets, and IPv4 in IPv6 clothing.
        assert_eq!(
            client("10.0.0.2", &["203.0.113.9:51234"], PROXIES),
            "203.0.113.9"
        );
        assert_eq!(
            client("fd00::2", &["[2001:db8::1]:443"], PROXIES),
            "2001:db8::1"
        );
        assert_eq!(
            client("::ffff:10.0.0.2", &["::ffff:203.0.113.9"], PROXIES),
            "203.0.113.9"
        );
    }

    #[test]
    fn junk_from_the_client_stops_the_walk_at_the_last_address_believed() {
        assert_eq!(
            client("10.0.0.2", &["not-an-address, 203.0.113.9"], PROXIES),
            "203.0.113.9"
        );
        assert_eq!(
            client("10.0.0.2", &["not-an-address, 10.0.0.7"], PROXIES),
            "10.0.0.7"
        );
        // No header, or an empty one: the proxy itself is the client.
        assert_eq!(client("10.0.0.2", &[], PROXIES), "10.0.0.2");
        assert_eq!(client("10.0.0.2", &[""], PROXIES), "10.0.0.2");
        // Bytes that are not text left of the real address change nothing.
        let lines: [&[u8]; 1] = [b"\xff\xfe, 203.0.113.9"];
        assert_eq!(
            client_ip(ip("10.0.0.2"), lines, &nets(PROXIES)).to_string(),
            "203.0.113.9"
        );
    }
}
