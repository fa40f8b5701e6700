//! The request context middleware: request id, language, one log line, metrics, and the
//! rendering of every error as localized problem+json.

use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use tracing::Instrument;

use crate::api::error::{ApiError, PROBLEM_JSON};
use crate::api::extract::RequestContext;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Accepts a caller's request id if it is short and plain; otherwise makes one.
fn request_id_of(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = request_id_of(&req);
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    req.extensions_mut().insert(RequestContext {
        request_id: request_id.clone(),
        lang,
    });
    let state = req.app_data::<web::Data<AppState>>().cloned();
    // A head over `server.max_header_bytes` arrives as its guard's stand-in (431).
    if req
        .conn_data::<crate::api::request_head::RefusedHead>()
        .is_some_and(|r| r.is_stand_in(req.request()))
    {
        let limit = state
            .as_ref()
            .map_or(16 * 1024, |s| s.settings.server.max_header_bytes);
        let problem = ApiError::client(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
        )
        .arg("limit", limit)
        .render(lang, &request_id);
        let mut res = req.into_response(problem);
        protect(res.headers_mut(), &request_id);
        return Ok(res);
    }
    // U+0000 in the path (`%00`) names nothing that exists; no handler may pass it on to the
    // database (PostgreSQL cannot hold it in text).
    if req.path().contains("%00") {
        let problem = ApiError::not_found("resource_not_found").render(lang, &request_id);
        let mut res = req.into_response(problem);
        protect(res.headers_mut(), &request_id);
        return Ok(res);
    }
    // A compressed request body is not accepted (RFC 7694): decompressing one is a way to
    // make the server hold far more than the body limit.
    let coded = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"));
    if coded {
        let problem = ApiError::client(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_encoding_unsupported",
        )
        .render(lang, &request_id);
        let mut res = req.into_response(problem);
        res.headers_mut().insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        protect(res.headers_mut(), &request_id);
        return Ok(res);
    }
    // Guessing tracking secrets is rate limited per client address: after too many wrong ones,
    // a request whose secret is wrong too gets 429 instead of 404. The secret is checked first,
    // so its owner is not refused because someone else guessed from the same address (a
    // shared NAT).
    let secret_key = match (
        &state,
        req.headers()
            .contains_key(crate::api::tickets::TRACKING_HEADER),
    ) {
        (Some(_), true) => Some(format!(
            "secret:ip:{}",
            crate::api::caller::ClientAddr::of(req.request()).0
        )),
        _ => None,
    };
    let (guesses_blocked, guess_statements) = crate::db::statements::tally(async {
        match (&state, &secret_key) {
            (Some(state), Some(key)) => secret_guess_blocked(state, key.clone()).await,
            _ => None,
        }
    })
    .await;
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, method = %method, path = %req.path());

    // Handler and extractor errors arrive inside the response; an `Err` here would come
    // from the framework itself (the request is no longer ours to answer with).
    let (res, handler_statements) =
        crate::db::statements::tally(next.call(req).instrument(span.clone())).await;
    let mut res = res?.map_into_boxed_body();
    let wrong_secret = secret_key.is_some() && res.status() == StatusCode::NOT_FOUND;
    if let Some(wait) = guesses_blocked
        && wrong_secret
    {
        res = replace(res, ApiError::too_many(wait).render(lang, &request_id));
    }
    let mut res = as_problem(res, lang, &request_id, &span);
    protect(res.headers_mut(), &request_id);
    let path = res.request().path().to_owned();
    crate::api::cors::limit(&path, res.headers_mut());

    let status = res.status();
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let ((), own_statements) = crate::db::statements::tally(async {
        if let Some(state) = &state {
            record_admin_change(state, &res, &method, &route).await;
            if let Some(key) = secret_key
                && wrong_secret
            {
                record_secret_guess(state, key).await;
            }
        }
    })
    .await;
    let spent = guess_statements + handler_statements + own_statements;
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics.observe_request(
            &method,
            &route,
            status.as_u16(),
            elapsed.as_secs_f64(),
            spent,
        );
    }
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            route = %route,
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            statements = spent.statements,
            checkouts = spent.checkouts,
            "request finished"
        )
    });
    Ok(res)
}

/// Headers on every response: the request id; `nosniff`, so a browser never runs a body as
/// anything but its declared type; and on HTML pages (the docs, the unsubscribe page) a ban
/// on framing, so no other site can overlay them to trick a click (clickjacking).
fn protect(headers: &mut HeaderMap, request_id: &str) {
    // The marker that kept `Compress` off (see `api::compression`) says nothing to a client.
    if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "identity")
    {
        headers.remove(header::CONTENT_ENCODING);
    }
    crate::api::compression::tag_encoding(headers);
    headers.insert(
        REQUEST_ID,
        HeaderValue::from_str(request_id).unwrap_or(HeaderValue::from_static("invalid")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if html {
        let policy = match headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
        {
            Some(p) if p.contains("frame-ancestors") => p.to_string(),
            Some(p) => format!("{p}; frame-ancestors 'none'"),
            None => "frame-ancestors 'none'".to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&policy) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
}

async fn secret_guess_blocked(state: &web::Data<AppState>, key: String) -> Option<u64> {
    let limit = state.settings.tickets.wrong_secrets_per_hour;
    let now = state.clock.now_naive();
    state
        .db(move |c| {
            crate::db::rate_limits::blocked_for(c, &key, limit, chrono::Duration::hours(1), now)
        })
        .await
        .ok()
        .flatten()
}

async fn record_secret_guess(state: &web::Data<AppState>, key: String) {
    let now = state.clock.now_naive();
    let _ = state
        .db(move |c| {
            crate::db::write(c, |c| {
                crate::db::rate_limits::record(c, &key, chrono::Duration::hours(1), now)
            })
        })
        .await;
}

/// Administrators' successful changes (any write under `/api/v1/admin/`) go to the admin
/// audit log: who, which route, which path (ids only — never the body, which may hold personal
/// data). Written right after the change commits; a failure here is logged loudly.
async fn record_admin_change(
    state: &web::Data<AppState>,
    res: &ServiceResponse<BoxBody>,
    method: &str,
    route: &str,
) {
    if method == "GET" || !res.status().is_success() || !route.starts_with("/api/v1/admin/") {
        return;
    }
    let actor = res
        .request()
        .extensions()
        .get::<crate::api::caller::Actor>()
        .map(|a| a.0);
    let target = res.request().path().to_string();
    let status = res.status().as_u16();
    record_admin_entry(state, actor, method, route, target, status).await;
}

/// Writes one entry of the admin audit log: `"{method} {route}"` (the route's pattern), the
/// path, the status. The console records its administrators' changes with the API's method,
/// route and path for the same change, so the log reads the same whichever door was used.
pub async fn record_admin_entry(
    state: &AppState,
    actor: Option<i64>,
    method: &str,
    route: &str,
    target: String,
    status: u16,
) {
    let action = format!("{method} {route}");
    let now = state.clock.now_naive();
    let result = state
        .db(move |conn| {
            crate::db::write(conn, |c| {
                crate::db::audit::record_admin(
                    c,
                    actor,
                    &action,
                    &target,
                    serde_json::json!({"status": status}),
                    now,
                )
            })
        })
        .await;
    if let Err(e) = result {
        tracing::error!(error = %e, "admin audit log entry not written");
    }
}

/// Every 4xx/5xx leaves as problem+json in the caller's language with the request id; the
/// cause of a 5xx goes to the log, not to the client.
fn as_problem(
    res: ServiceResponse<BoxBody>,
    lang: Lang,
    request_id: &str,
    span: &tracing::Span,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !status.is_client_error() && !status.is_server_error() {
        return res;
    }
    // A page (the console's, the unsubscribe page) says what went wrong in its own words.
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_page {
        return res;
    }
    // Open311 answers its errors in the format of the path's suffix (src/api/open311).
    let is_open311 = res.request().path().starts_with("/open311/")
        && res.headers().get(header::CONTENT_TYPE).is_some_and(|v| {
            v.as_bytes().starts_with(b"text/xml") || v.as_bytes().starts_with(b"application/json")
        });
    if is_open311 {
        return res;
    }
    let problem = match res.response().error() {
        Some(err) => match err.as_error::<ApiError>() {
            Some(api) => {
                span.in_scope(|| match api.error() {
                    AppError::Internal(cause) => {
                        tracing::error!(error = format!("{cause:#}"), "internal error")
                    }
                    AppError::Unavailable(cause) => {
                        tracing::warn!(error = %cause, "service unavailable")
                    }
                    AppError::Refused(_) => {}
                });
                Some(api.render(lang, request_id))
            }
            None => {
                let mapped = match err.as_error::<actix_cors::CorsError>() {
                    Some(actix_cors::CorsError::OriginNotAllowed) => {
                        ApiError::client(status, "cors_origin_not_allowed")
                    }
                    Some(_) => ApiError::client(status, "cors_request_refused"),
                    None => from_framework(status, &res),
                };
                if status.is_server_error() {
                    span.in_scope(|| tracing::error!(error = %err, "internal error"));
                }
                Some(mapped.render(lang, request_id))
            }
        },
        None => {
            let is_problem = res
                .headers()
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
            (!is_problem).then(|| from_framework(status, &res).render(lang, request_id))
        }
    };
    match problem {
        Some(p) => replace(res, p),
        None => res,
    }
}

/// `res` answered with `new` instead, keeping its CORS headers (a page on another origin
/// reads the problem too).
fn replace(
    res: ServiceResponse<BoxBody>,
    mut new: actix_web::HttpResponse,
) -> ServiceResponse<BoxBody> {
    crate::api::cors::carry_over(res.headers(), new.headers_mut());
    let (req, _) = res.into_parts();
    ServiceResponse::new(req, new)
}

/// Maps an error the framework produced itself (no route, bad path, …) to our codes.
fn from_framework(status: StatusCode, res: &ServiceResponse<BoxBody>) -> ApiError {
    match status {
        StatusCode::NOT_FOUND => {
            ApiError::not_found("route_not_found").arg("path", res.request().path())
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::client(status, "method_not_allowed").arg("method", res.request().method())
        }
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::client(status, "payload_too_large").arg(
            "limit",
            res.request()
                .app_data::<web::Data<AppState>>()
                .map_or(0, |s| s.settings.server.json_limit_bytes),
        ),
        // `Accept-Encoding` that rules out every encoding, identity included.
        StatusCode::NOT_ACCEPTABLE => ApiError::client(status, "encoding_not_acceptable"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::client(status, "unsupported_media_type").arg("expected", "application/json")
        }
        s if s.is_server_error() => ApiError::internal(format!("framework error {s}")),
        s => ApiError::client(s, "bad_request"),
    }
}

/// The 404 for every path no route matches.
pub async fn not_found(req: actix_web::HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::not_found("route_not_found").arg("path", req.path()))
}
