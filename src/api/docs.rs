//! The OpenAPI document (generated from the handlers) and the Swagger UI served from the binary.

use actix_web::{HttpResponse, get, web};
use utoipa::OpenApi;

/// The document, built once when the routes are registered.
pub struct ApiDocument(pub String);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "nghedan",
        description = "Nghe dân: citizen feedback, petitions, complaints and denunciations for Vietnamese local government.\n\n\
Conventions: JSON, snake_case, RFC 3339 UTC timestamps, `Accept-Language: vi|en` (default vi). \
Lists are `{items, next_cursor}` with `?after=<cursor>&limit=` (1–100, default 20). \
Errors are RFC 9457 `application/problem+json` with `type, title, status, detail, code, request_id` \
and, for 422 `validation_failed`, `errors: [{field (JSON Pointer), code, message}]`. \
Malformed JSON is 400 `malformed_json`; a wrong content type 415; a body over the limit 413; \
an unknown route 404 `route_not_found`; not signed in 401; an object the caller may not read 404; \
an action that is not the caller's 403 `action_forbidden`; not from the current state 409 `invalid_transition`; \
rate limited 429 with `Retry-After`; database unavailable, or password checks overloaded, 503 with `Retry-After`.\n\n\
Phones and browsers: an app may send `X-App-Version: <platform>/<semver>` (platform `android`, `ios` or `web`); \
one older than the server's minimum for its platform gets 426 `app_upgrade_required` with `store_url` (Android, iOS), \
a malformed header 400 `app_version_invalid`, and a request without it is served. \
Responses of text (JSON, HTML, CSS, JavaScript) of 1 KiB or more are compressed with brotli or gzip when \
`Accept-Encoding` allows (images and PDFs never); request bodies must not be compressed (415 `content_encoding_unsupported`). \
Web pages on the origins the server lists may call the API across origins (CORS, credentials included; \
`ETag`, `Location`, `Retry-After` and the upload headers exposed). \
Successful reads carry a strong `ETag` (`If-None-Match` → 304) and `Cache-Control` (`public` for reference data, \
`private, no-cache` for anything personal); a ticket's `ETag` as `If-Match` on a workflow action → 412 `precondition_failed` \
when the ticket changed since. \
A browser subscribes to Web Push with the key from `GET /api/v1/push/webpush-key`; every push carries \
`ticket_code` and `path` (`/tickets/{code}`), the screen to open."
    ),
    components(schemas(
        crate::api::error::Problem,
        crate::api::error::ProblemField,
        crate::api::categories::CategoryNode,
        crate::api::categories::AttributeView,
        crate::api::categories::ValueView,
        crate::api::areas::Level,
        crate::api::units::UnitKind,
        crate::domain::ticket::Kind,
        crate::domain::ticket::Action,
        crate::domain::ticket::Status,
        crate::domain::ticket::Channel,
        crate::domain::account::Role,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "health", description = "Liveness, readiness, metrics"),
        (name = "meta", description = "This document"),
        (name = "auth", description = "Sign-up, verification, sign-in, tokens, password reset"),
        (name = "me", description = "The signed-in user: profile, data rights, devices"),
        (name = "push", description = "What a browser needs to subscribe to Web Push"),
        (name = "admin", description = "Administrators: accounts and configuration"),
        (name = "consultations", description = "Dân bàn: consultations of residents on a draft, their answers, comments, results and the unit's synthesis"),
        (name = "announcements", description = "Dân biết: what units make known to the residents of their areas, and a citizen's feed"),
        (name = "follow-ups", description = "What a unit owes by a date besides a ticket (a consultation's synthesis, a dialogue's commitments), for the unit and its supervisors"),
        (name = "receptions", description = "Citizen reception: the register (sổ tiếp công dân), its report, the heads' reception days and their bookings"),
        (name = "dialogues", description = "Dialogues and voter meetings: questions, support, answers, commitments, petitions, minutes"),
        (name = "open311", description = "Open311 GeoReport v2 under /open311/v2/: the format is the path's suffix (.xml or .json), errors are [{code, description}] (XML errors/error) with 400, 403 (api_key on POST), 404 (service, request, jurisdiction) or 429"),
    )
)]
pub struct ApiDoc;

/// Access tokens go in `Authorization: Bearer <jwt>`.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// This OpenAPI 3.1 document.
#[utoipa::path(tag = "meta", responses((status = 200, content_type = "application/json", body = Object)))]
#[get("/api/v1/openapi.json")]
pub async fn openapi_json(doc: web::Data<ApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The Swagger UI page itself at `/docs` (without the trailing slash too, so that a plain
/// `curl /docs` gets the page, not a redirect); its assets live under `/docs/`.
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>nghedan API</title>
<link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
<link rel="stylesheet" type="text/css" href="/docs/index.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js" charset="UTF-8"></script>
<script src="/docs/swagger-ui-standalone-preset.js" charset="UTF-8"></script>
<script src="/docs/swagger-initializer.js" charset="UTF-8"></script>
</body>
</html>
"#,
        )
}

/// Every operation may answer with the conventions' problems (bad JSON 400, not signed in
/// 401, not allowed 403, not found 404, wrong state 409, too large 413, wrong content type
/// 415, invalid 422, app too old 426, rate limited 429, internal 500, database away 503), all as
/// `application/problem+json`. They are added to each operation that does not list them, so
/// the document states the whole contract.
pub fn add_conventional_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    const COMMON: &[(&str, &str)] = &[
        (
            "400",
            "Malformed JSON, or a bad header (`malformed_json`, `idempotency_key_*`, `app_version_invalid`)",
        ),
        ("401", "Not signed in, or the token is invalid or expired"),
        (
            "403",
            "Signed in, but the action is not the caller's (`action_forbidden`)",
        ),
        (
            "404",
            "No such route or object, or one the caller may not read",
        ),
        (
            "409",
            "Not possible from the current state, or a concurrent change",
        ),
        ("413", "The body is over the limit (`payload_too_large`)"),
        (
            "415",
            "Wrong content type (`unsupported_media_type`), or a compressed body (`content_encoding_unsupported`)",
        ),
        (
            "422",
            "Well-formed but invalid (`validation_failed`, with `errors`)",
        ),
        (
            "426",
            "The app named in `X-App-Version` is older than its platform's minimum (`app_upgrade_required`, with `store_url`)",
        ),
        ("429", "Rate limited (`rate_limited`, with `Retry-After`)"),
        (
            "500",
            "Internal error (`internal_error`, with the request id)",
        ),
        (
            "503",
            "The database cannot be reached (`service_unavailable`, with `Retry-After`)",
        ),
    ];
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
            &mut item.head,
        ]
        .into_iter()
        .flatten()
        {
            for (status, description) in COMMON {
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| {
                        ResponseBuilder::new()
                            .description(*description)
                            .content(
                                "application/problem+json",
                                ContentBuilder::new()
                                    .schema(Some(Ref::from_schema_name("Problem")))
                                    .build(),
                            )
                            .build()
                            .into()
                    });
            }
        }
    }
}
