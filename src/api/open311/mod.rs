//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services, service definitions,
//! posting and reading requests, tokens and FixMyStreet's `servicerequestupdates`. The format
//! is the path's suffix (`.xml` or `.json`; a code may hold dots: the last one starts the
//! suffix), and errors come in that format as the spec's `{code, description}` list: 404 for
//! an unknown service, request or jurisdiction, 403 for a missing or wrong `api_key` on POST,
//! 429 when a key posts too often, 400 for anything else. The shapes are built once in
//! `crate::open311` and written in either format.

pub mod clients;
mod docs;
pub mod moderation;
mod requests;
mod submit;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::api::extract::RequestContext;
use crate::i18n::Lang;
use crate::open311::format::{Format, Node, Open311Error, respond};
use crate::open311::{definition_node, service, service_node, services};
use crate::state::AppState;
use utoipa_actix_web::service_config::ServiceConfig;

pub use docs::*;

/// The spec this door follows, as discovery names it.
pub const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When this door last changed (discovery's `changeset`).
pub const CHANGESET: &str = "2026-12-06T00:00:00Z";

/// The routes, under `/open311/v2`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(discovery)
        .service(service_list)
        .service(service_definition)
        .service(submit::post_request)
        .service(requests::list)
        .service(requests::one)
        .service(token)
        .service(requests::updates)
        .default_service(web::to(unknown_path));
}

/// A path under `/open311/v2/` that names nothing: 404 in the spec's shape (XML when the
/// path ends in `.xml`).
async fn unknown_path(req: HttpRequest) -> HttpResponse {
    let format = match req.path().rsplit_once('.') {
        Some((_, "xml")) => Format::Xml,
        _ => Format::Json,
    };
    Open311Error::not_found(format!("no such path: {}", req.path())).respond(format)
}

/// A request refused before its handler's work, answered in `.0`'s format.
struct Stop(Format, Open311Error);

impl Stop {
    fn respond(self) -> HttpResponse {
        self.1.respond(self.0)
    }
}

/// The format a path's suffix names; anything else is a 404 (in JSON: there is no format).
fn format_of(suffix: &str) -> Result<Format, Stop> {
    Format::parse(suffix).ok_or_else(|| {
        Stop(
            Format::Json,
            Open311Error::not_found(format!("unknown format {suffix:?}: use .xml or .json")),
        )
    })
}

/// A query string's pairs, repeated keys kept (unknown ones are ignored, as clients send
/// their own).
fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, Open311Error> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .map_err(|_| Open311Error::bad_request("malformed query string"))
}

/// The last non-empty value of `key` (an empty argument is a missing one).
fn arg<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .rev()
        .find(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim())
}

/// `?locale=en` (or `vi`), else the request's `Accept-Language`.
fn lang_of(pairs: &[(String, String)], ctx: &RequestContext) -> Lang {
    match arg(pairs, "locale").map(|l| l.to_ascii_lowercase()) {
        Some(l) if l.starts_with("en") => Lang::En,
        Some(l) if l.starts_with("vi") => Lang::Vi,
        _ => ctx.lang,
    }
}

/// `jurisdiction_id`: the configured one, or none at all.
fn check_jurisdiction(state: &AppState, pairs: &[(String, String)]) -> Result<(), Open311Error> {
    match arg(pairs, "jurisdiction_id") {
        None => Ok(()),
        Some(j) if j == state.settings.open311.jurisdiction_id => Ok(()),
        Some(_) => Err(Open311Error::not_found("jurisdiction_id not found")),
    }
}

/// The common start of a read: the format, the query, the jurisdiction.
fn start(
    state: &AppState,
    req: &HttpRequest,
    suffix: &str,
) -> Result<(Format, Vec<(String, String)>), Stop> {
    let format = format_of(suffix)?;
    let pairs = query_pairs(req).map_err(|e| Stop(format, e))?;
    check_jurisdiction(state, &pairs).map_err(|e| Stop(format, e))?;
    Ok((format, pairs))
}

/// Where this door is, from the configured public URL.
fn endpoint_url(state: &AppState) -> String {
    format!(
        "{}/open311/v2",
        state.settings.server.public_url.trim_end_matches('/')
    )
}

/// Service discovery: the spec's every field, one production endpoint in both formats.
#[utoipa::path(tag = "open311", params(FormatParam, JurisdictionParam),
    responses(
        (status = 200, description = "The discovery document", content((DiscoveryDoc = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/discovery.{format}")]
pub async fn discovery(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let format = match start(&state, &req, &path) {
        Ok((format, _)) => format,
        Err(stop) => return stop.respond(),
    };
    {
        let url = endpoint_url(&state);
        let node = Node::Obj(vec![
            ("changeset", Node::text(CHANGESET)),
            ("contact", Node::text(&state.settings.open311.contact)),
            (
                "key_service",
                Node::text(format!(
                    "{}: an administrator makes a key (nghedan open311 add-client NAME)",
                    state.settings.open311.contact
                )),
            ),
            (
                "endpoints",
                Node::List(
                    "endpoint",
                    vec![Node::Obj(vec![
                        ("specification", Node::text(SPECIFICATION)),
                        ("url", Node::text(url)),
                        ("changeset", Node::text(CHANGESET)),
                        ("type", Node::text("production")),
                        (
                            "formats",
                            Node::List(
                                "format",
                                vec![Node::text("text/xml"), Node::text("application/json")],
                            ),
                        ),
                    ])],
                ),
            ),
        ]);
        respond(format, StatusCode::OK, "discovery", &node)
    }
}

/// The categories' snapshot, for services and their definitions.
async fn categories(
    state: &AppState,
) -> Result<Vec<crate::db::categories::Category>, Open311Error> {
    let refs = state.reference::<Open311Error>().await?;
    Ok(refs.categories(false))
}

/// The services: every leaf category that feedback and petitions use.
#[utoipa::path(tag = "open311", params(FormatParam, JurisdictionParam, LocaleParam),
    responses(
        (status = 200, description = "The services", content((Vec<ServiceDoc> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "Malformed query", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown format or jurisdiction", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/services.{format}")]
pub async fn service_list(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    path: web::Path<String>,
) -> HttpResponse {
    let (format, pairs) = match start(&state, &req, &path) {
        Ok(s) => s,
        Err(stop) => return stop.respond(),
    };
    let lang = lang_of(&pairs, &ctx);
    match categories(&state).await {
        Ok(all) => {
            let list = services(&all)
                .into_iter()
                .map(|c| service_node(c, &all, lang))
                .collect();
            respond(
                format,
                StatusCode::OK,
                "services",
                &Node::List("service", list),
            )
        }
        Err(e) => e.respond(format),
    }
}

/// A service's definition: its form fields as Open311 attributes.
#[utoipa::path(tag = "open311", params(
        ("service_code" = String, Path, description = "A service code (may contain dots)"),
        FormatParam, JurisdictionParam, LocaleParam),
    responses(
        (status = 200, description = "The service definition", content((ServiceDefinitionDoc = "application/json"), (String = "text/xml"))),
        (status = 400, description = "Malformed query", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown service, format or jurisdiction", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/services/{service_code}.{format}")]
pub async fn service_definition(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (code, suffix) = path.into_inner();
    let (format, pairs) = match start(&state, &req, &suffix) {
        Ok(s) => s,
        Err(stop) => return stop.respond(),
    };
    let lang = lang_of(&pairs, &ctx);
    let all = match categories(&state).await {
        Ok(all) => all,
        Err(e) => return e.respond(format),
    };
    match service(&all, &code) {
        Some(c) => respond(
            format,
            StatusCode::OK,
            "service_definition",
            &definition_node(c, lang),
        ),
        None => Open311Error::not_found("service_code not found").respond(format),
    }
}

/// Tokens: nghedan answers at once with the request's id, so there are none to look up.
#[utoipa::path(tag = "open311", params(
        ("token" = String, Path, description = "A token (nghedan issues none: it is realtime)"),
        FormatParam, JurisdictionParam),
    responses(
        (status = 400, description = "Malformed query", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "No such token (always)", content((Vec<ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json")))))]
#[get("/tokens/{token}.{format}")]
pub async fn token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let (_, suffix) = path.into_inner();
    match start(&state, &req, &suffix) {
        Ok((format, _)) => Open311Error::not_found(
            "token not found: service requests get their service_request_id at once",
        )
        .respond(format),
        Err(stop) => stop.respond(),
    }
}
