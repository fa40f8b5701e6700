//! Calls from web pages on other origins (CORS, with actix-cors): the origins listed in
//! `server.cors_allowed_origins` may call the API with credentials and read the headers a
//! client needs; a preflight from any other origin is refused and an actual request from one
//! is served without CORS headers, so the browser keeps the answer from the page. The API only:
//! the console and the docs pages stay same-origin.

use actix_cors::Cors;
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName};

use crate::config::ServerSettings;

/// Request headers a page may send (besides the CORS-safelisted ones).
const ALLOWED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "if-match",
    "if-none-match",
    "idempotency-key",
    "x-tracking-secret",
    "x-app-version",
    "x-request-id",
    "tus-resumable",
    "upload-length",
    "upload-offset",
    "upload-metadata",
];

/// Response headers a page may read (besides the CORS-safelisted ones).
pub const EXPOSED_HEADERS: &[&str] = &[
    "etag",
    "location",
    "retry-after",
    "upload-offset",
    "upload-length",
    "tus-resumable",
    "tus-version",
    "tus-extension",
    "tus-max-size",
    "upload-id",
    "upload-metadata",
    "x-request-id",
];

/// How long a browser may reuse a preflight's answer.
const PREFLIGHT_MAX_AGE_SECS: usize = 3600;

/// The CORS middleware for the configured origins (none: every cross-origin call refused).
/// The origins were checked when the settings loaded.
pub fn middleware(settings: &ServerSettings) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers(ALLOWED_HEADERS.iter().map(|h| HeaderName::from_static(h)))
        .expose_headers(EXPOSED_HEADERS.iter().map(|h| HeaderName::from_static(h)))
        .supports_credentials()
        .max_age(PREFLIGHT_MAX_AGE_SECS)
        // Same-origin form posts (the console's) carry an `Origin` too: only the browser
        // decides what a page may read, the server does not refuse the request.
        .block_on_origin_mismatch(false);
    for origin in &settings.cors_allowed_origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Keeps CORS headers only where they grant something: on the API, to a listed origin
/// (actix-cors says `Allow-Credentials` and `Expose-Headers` to every origin).
pub fn limit(path: &str, headers: &mut HeaderMap) {
    if !path.starts_with("/api/") || !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        remove(headers);
    }
}

fn is_cors_header(name: &HeaderName) -> bool {
    name.as_str().starts_with("access-control-")
}

fn remove(headers: &mut HeaderMap) {
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|n| is_cors_header(n))
        .cloned()
        .collect();
    for name in names {
        headers.remove(name);
    }
}

/// Copies the CORS headers and `Vary` of a response onto the one that replaces it (a problem
/// rendered in the caller's language), so that the page can still read the error.
pub fn carry_over(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from.iter() {
        if is_cors_header(name) || name == header::VARY {
            to.append(name.clone(), value.clone());
        }
    }
}
