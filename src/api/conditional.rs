//! Conditional requests (RFC 9110 §13) and caching (RFC 9111) for the API's reads, so that
//! an app revalidates instead of downloading again:
//! - every successful `GET` under `/api/` carries a strong `ETag` (the handler's own, else a
//!   digest of the body), and `If-None-Match` with it answers 304 with no body;
//! - `Cache-Control`: reference data (categories, areas, units, calendar) is `public` for an
//!   hour, the public lists for a minute; everything else that has no policy of its own is
//!   `private, no-cache` (personal: never stored by a shared cache, revalidated every time);
//! - a ticket's ETag is `"v<version>.<digest>"`: `If-Match` with it on a workflow action
//!   compares the version (412 `precondition_failed` when the ticket changed meanwhile).
//!
//! A compressed response's ETag gets `-br` or `-gzip` appended on its way out (see
//! `middleware::protect`), so that each encoding has its own strong validator; the
//! comparisons here ignore that suffix.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;

/// Reference data changes a few times a year; an hour of staleness is harmless.
const REFERENCE: &str = "public, max-age=3600";
/// The public lists follow publications; a minute.
const PUBLIC_LIST: &str = "public, max-age=60";
/// Anything personal: only the caller's own cache, and only after revalidating.
const PERSONAL: &str = "private, no-cache";

/// The caching policy of a route's successful `GET`, by its pattern.
fn cache_policy(pattern: &str) -> &'static str {
    match pattern {
        "/api/v1/categories"
        | "/api/v1/areas"
        | "/api/v1/areas/{code}"
        | "/api/v1/units"
        | "/api/v1/units/{id}"
        | "/api/v1/calendar" => REFERENCE,
        p if p.starts_with("/api/v1/public/") => PUBLIC_LIST,
        _ => PERSONAL,
    }
}

/// A strong entity tag for `bytes`: 128 bits of their SHA-256, base64url, quoted.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&hash[..16])
}

/// A ticket's entity tag: its version (what `If-Match` checks) and the digest of this
/// representation (what `If-None-Match` checks: the view differs by reader and language).
pub fn ticket_tag(version: i32, body: &[u8]) -> String {
    format!("\"v{version}.{}\"", digest(body))
}

/// A ticket's view as JSON with its `ETag` (and, for an action's answer, the ticket's URL as
/// `Content-Location`, which the tag belongs to).
pub fn ticket_response(
    status: StatusCode,
    version: i32,
    view: &impl Serialize,
    location: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(view).map_err(ApiError::internal)?;
    let mut res = HttpResponse::build(status);
    res.content_type("application/json")
        .insert_header((header::ETAG, ticket_tag(version, &body)));
    if let Some(location) = location {
        res.insert_header((header::CONTENT_LOCATION, location));
    }
    Ok(res.body(body))
}

/// The opaque part of an entity tag, without `W/`, quotes or an encoding's suffix.
fn opaque(tag: &str) -> Option<(bool, &str)> {
    let tag = tag.trim();
    let (weak, tag) = match tag.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, tag),
    };
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    let inner = inner
        .strip_suffix("-br")
        .or_else(|| inner.strip_suffix("-gzip"))
        .unwrap_or(inner);
    Some((weak, inner))
}

/// `If-None-Match` (weak comparison): whether it names `etag`, or is `*`.
fn none_match_hits(if_none_match: &str, etag: &str) -> bool {
    let Some((_, ours)) = opaque(etag) else {
        return false;
    };
    if_none_match.trim() == "*"
        || if_none_match
            .split(',')
            .filter_map(opaque)
            .any(|(_, theirs)| theirs == ours)
}

/// What `If-Match` asks of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header, or `*`: act whatever the version.
    Any,
    /// Act only if the ticket is still at one of these versions (none: a tag that is not a
    /// ticket's, or a weak one, never matches).
    Versions(Vec<i32>),
}

impl IfMatch {
    pub fn of(req: &HttpRequest) -> IfMatch {
        let values: Vec<&str> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() || values.iter().any(|v| v.trim() == "*") {
            return IfMatch::Any;
        }
        IfMatch::Versions(
            values
                .iter()
                .flat_map(|v| v.split(','))
                .filter_map(opaque)
                // Strong comparison: a weak tag never matches.
                .filter(|(weak, _)| !weak)
                .filter_map(|(_, tag)| {
                    tag.strip_prefix('v')?
                        .split_once('.')?
                        .0
                        .parse::<i32>()
                        .ok()
                })
                .collect(),
        )
    }

    /// The versions to insist on, if any.
    pub fn versions(&self) -> Option<&[i32]> {
        match self {
            IfMatch::Any => None,
            IfMatch::Versions(v) => Some(v),
        }
    }
}

/// ETags, 304s and `Cache-Control` for the API's successful reads.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let applies =
        matches!(*req.method(), Method::GET | Method::HEAD) && req.path().starts_with("/api/");
    let if_none_match = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let res = next.call(req).await?.map_into_boxed_body();
    if !applies || res.status() != StatusCode::OK {
        return Ok(res);
    }
    let pattern = res.request().match_pattern().unwrap_or_default();
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let body = match head.headers().contains_key(header::ETAG) {
        true => body,
        false => match body.try_into_bytes() {
            Ok(bytes) => {
                let tag = format!("\"{}\"", digest(&bytes));
                if let Ok(value) = HeaderValue::from_str(&tag) {
                    head.headers_mut().insert(header::ETAG, value);
                }
                BoxBody::new(bytes)
            }
            // A stream (an export): no tag.
            Err(body) => body,
        },
    };
    let headers = head.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_policy(&pattern)),
        );
    }
    // The API's words follow `Accept-Language`.
    headers.append(header::VARY, HeaderValue::from_static("accept-language"));
    let hit = match (&if_none_match, headers.get(header::ETAG)) {
        (Some(inm), Some(etag)) => etag.to_str().is_ok_and(|e| none_match_hits(inm, e)),
        _ => false,
    };
    if hit {
        let mut not_modified = HttpResponse::NotModified().finish();
        copy_validators(head.headers(), not_modified.headers_mut());
        return Ok(ServiceResponse::new(req, not_modified));
    }
    Ok(ServiceResponse::new(req, head.set_body(body)))
}

/// What a 304 repeats of the 200 it stands for (RFC 9110 §15.4.5).
fn copy_validators(from: &HeaderMap, to: &mut HeaderMap) {
    for name in [
        header::ETAG,
        header::CACHE_CONTROL,
        header::VARY,
        header::CONTENT_LOCATION,
        header::EXPIRES,
    ] {
        for value in from.get_all(&name) {
            to.append(name.clone(), value.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn if_none_match_compares_weakly_and_ignores_the_encoding_suffix() {
        let etag = "\"abc\"";
        for hit in [
            "\"abc\"",
            "W/\"abc\"",
            "\"abc-br\"",
            "\"x\", \"abc-gzip\"",
            "*",
        ] {
            assert!(none_match_hits(hit, etag), "{hit}");
        }
        for miss in ["\"abcd\"", "abc", "\"ab\"", ""] {
            assert!(!none_match_hits(miss, etag), "{miss}");
        }
    }

    #[test]
    fn if_match_names_ticket_versions_strongly() {
        let of = |v: &str| {
            IfMatch::of(
                &TestRequest::default()
                    .insert_header(("If-Match", v))
                    .to_http_request(),
            )
        };
        assert_eq!(
            IfMatch::of(&TestRequest::default().to_http_request()),
            IfMatch::Any
        );
        assert_eq!(of("*"), IfMatch::Any);
        assert_eq!(of("\"v7.Zm9v\""), IfMatch::Versions(vec![7]));
        assert_eq!(
            of("\"v7.Zm9v-br\", \"v8.YmFy\""),
            IfMatch::Versions(vec![7, 8])
        );
        assert_eq!(of("W/\"v7.Zm9v\""), IfMatch::Versions(vec![]));
        assert_eq!(of("\"Zm9v\""), IfMatch::Versions(vec![]));
        assert_eq!(of("garbage"), IfMatch::Versions(vec![]));
    }

    #[test]
    fn reference_data_is_public_and_the_rest_personal() {
        assert_eq!(cache_policy("/api/v1/categories"), REFERENCE);
        assert_eq!(cache_policy("/api/v1/units/{id}"), REFERENCE);
        assert_eq!(cache_policy("/api/v1/public/tickets"), PUBLIC_LIST);
        assert_eq!(cache_policy("/api/v1/tickets/{code}"), PERSONAL);
        assert_eq!(cache_policy("/api/v1/me"), PERSONAL);
    }
}
