//! Ready for phones and browsers: CORS for web pages on other origins, compressed responses,
//! the VAPID key a browser subscribes with (and a message decrypted with that subscription),
//! deep links in pushes, and too-old apps told to upgrade.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::{Algorithm, Validation};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::{Method, Response};
use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::{TestApp, assert_problem};
use crate::notify_push::{Subscription, p256_decoding_key, p256_pem};

const WEB_APP: &str = "https://app.nghedan.test";
const OTHER_SITE: &str = "https://evil.example";

fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).map(|v| v.to_str().unwrap())
}

/// The comma-separated values of a header, lowercased.
fn list(res: &Response, name: &str) -> Vec<String> {
    res.headers()
        .get_all(name)
        .iter()
        .flat_map(|v| v.to_str().unwrap().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

async fn app_for_web() -> TestApp {
    TestApp::builder()
        .with_settings(|s| s.server.cors_allowed_origins = vec![WEB_APP.to_string()])
        .spawn()
        .await
}

async fn preflight(app: &TestApp, origin: &str, path: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
        .await
        .unwrap()
}

// ---- CORS ------------------------------------------------------------------------------------

#[tokio::test]
async fn a_listed_origin_is_answered_its_preflight_and_reads_responses_with_credentials() {
    let app = app_for_web().await;

    let res = preflight(&app, WEB_APP, "/api/v1/tickets").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(WEB_APP));
    assert_eq!(
        header(&res, "access-control-allow-credentials"),
        Some("true")
    );
    assert!(list(&res, "access-control-allow-methods").contains(&"post".into()));
    let allowed = list(&res, "access-control-allow-headers");
    for h in ["authorization", "content-type", "idempotency-key"] {
        assert!(allowed.contains(&h.to_string()), "{h} in {allowed:?}");
    }
    assert_eq!(header(&res, "access-control-max-age"), Some("3600"));
    assert!(list(&res, "vary").contains(&"origin".into()));

    // The actual request: the page may read the answer and the headers a client needs.
    let citizen = app.citizen().await;
    let res = app
        .authed(Method::GET, "/api/v1/me", &citizen)
        .header("Origin", WEB_APP)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), Some(WEB_APP));
    assert_eq!(
        header(&res, "access-control-allow-credentials"),
        Some("true")
    );
    let exposed = list(&res, "access-control-expose-headers");
    for h in [
        "etag",
        "location",
        "retry-after",
        "upload-offset",
        "upload-length",
        "tus-resumable",
        "tus-version",
        "tus-extension",
        "tus-max-size",
    ] {
        assert!(exposed.contains(&h.to_string()), "{h} in {exposed:?}");
    }
    assert!(list(&res, "vary").contains(&"origin".into()));

    // Compressed and cross-origin at once: a cache keeps a copy per origin, encoding and
    // language.
    let res = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .header("Origin", WEB_APP)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "access-control-allow-origin"), Some(WEB_APP));
    assert_eq!(header(&res, "content-encoding"), Some("gzip"));
    let vary = list(&res, "vary");
    for v in ["origin", "accept-encoding", "accept-language"] {
        assert!(vary.contains(&v.to_string()), "{v} in {vary:?}");
    }

    // A problem is readable too: the page learns why.
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Origin", WEB_APP)
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "access-control-allow-origin"), Some(WEB_APP));
    assert_problem(res, 401, "unauthenticated").await;

    // The console and the docs stay same-origin.
    for path in ["/console/login", "/docs"] {
        let res = app
            .client
            .get(app.url(path))
            .header("Origin", WEB_APP)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "access-control-allow-origin"), None, "{path}");
    }
}

#[tokio::test]
async fn other_origins_get_no_cors_headers_and_none_are_allowed_by_default() {
    let app = app_for_web().await;

    let res = preflight(&app, OTHER_SITE, "/api/v1/tickets").await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    assert_eq!(header(&res, "access-control-allow-credentials"), None);
    assert_problem(res, 400, "cors_origin_not_allowed").await;

    // Served (a browser, not the server, keeps the answer from the page), but nothing in it
    // lets the page read it.
    let res = app
        .client
        .get(app.url("/api/v1/categories"))
        .header("Origin", OTHER_SITE)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for h in [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-expose-headers",
    ] {
        assert_eq!(header(&res, h), None, "{h}");
    }
    // A listed origin's header that is not allowed in a preflight is refused.
    let res = app
        .client
        .request(Method::OPTIONS, app.url("/api/v1/tickets"))
        .header("Origin", WEB_APP)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-not-ours")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "cors_request_refused").await;

    // No origins configured (the default): every page elsewhere is refused.
    let closed = TestApp::spawn().await;
    let res = preflight(&closed, WEB_APP, "/api/v1/tickets").await;
    assert_eq!(header(&res, "access-control-allow-origin"), None);
    assert_problem(res, 400, "cors_origin_not_allowed").await;
    let res = closed
        .client
        .get(closed.url("/api/v1/categories"))
        .header("Origin", WEB_APP)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "access-control-allow-origin"), None);
}

// ---- compression -----------------------------------------------------------------------------

async fn get_encoded(app: &TestApp, path: &str, token: Option<&str>, accept: &str) -> Response {
    let mut req = app
        .client
        .get(app.url(path))
        .header("Accept-Encoding", accept);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .expect("brotli");
    out
}

#[tokio::test]
async fn text_is_sent_compressed_when_the_client_accepts_it() {
    let app = TestApp::spawn().await;
    let plain = app.get("/api/v1/openapi.json").await;
    assert_eq!(header(&plain, "content-encoding"), None);
    let plain = plain.bytes().await.unwrap();
    let document: Value = serde_json::from_slice(&plain).unwrap();

    for (accept, coding, decode) in [
        ("br", "br", unbrotli as fn(&[u8]) -> Vec<u8>),
        ("gzip", "gzip", gunzip),
        ("gzip;q=0.5, br;q=1.0", "br", unbrotli),
    ] {
        let res = get_encoded(&app, "/api/v1/openapi.json", None, accept).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-encoding"), Some(coding), "{accept}");
        assert!(list(&res, "vary").contains(&"accept-encoding".into()));
        let sent = res.bytes().await.unwrap();
        assert!(
            sent.len() * 4 < plain.len(),
            "{coding}: {} bytes for {}",
            sent.len(),
            plain.len()
        );
        let decoded: Value = serde_json::from_slice(&decode(&sent)).unwrap();
        assert_eq!(decoded, document, "{coding}");
    }

    // HTML, CSS and JavaScript too (the docs page and its bundle).
    for path in ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"] {
        let res = get_encoded(&app, path, None, "gzip").await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "content-encoding"), Some("gzip"), "{path}");
        let decoded = gunzip(&res.bytes().await.unwrap());
        let plain = app.get(path).await.bytes().await.unwrap();
        assert_eq!(decoded, plain, "{path}");
    }
    let citizen = app.citizen().await;
    let res = get_encoded(&app, "/api/v1/areas?limit=100", Some(&citizen), "gzip").await;
    assert_eq!(header(&res, "content-encoding"), Some("gzip"));
    let areas: Value = serde_json::from_slice(&gunzip(&res.bytes().await.unwrap())).unwrap();
    assert_eq!(areas["items"].as_array().unwrap().len(), 100);
}

#[tokio::test]
async fn small_responses_images_and_pdfs_are_never_compressed() {
    let app = TestApp::spawn().await;

    // Under a kilobyte: as it is, and no stray `Content-Encoding: identity` either.
    let res = get_encoded(&app, "/health/live", None, "br, gzip").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-encoding"), None);
    let body = res.bytes().await.unwrap();
    assert!(body.len() < 1024);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["status"],
        "live"
    );
    let res = get_encoded(&app, "/api/v1/me", None, "gzip").await;
    assert_eq!(header(&res, "content-encoding"), None);
    assert_problem(res, 401, "unauthenticated").await;

    // A photo, its thumbnail and a PDF: as stored, whatever the client accepts.
    let citizen = app.citizen().await;
    let photo = crate::uploads::phone_jpeg(800, 600, crate::uploads::exif(1));
    let photo_id = app.uploaded(Some(&citizen), &photo).await;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    for i in 0..400 {
        pdf.extend_from_slice(format!("% line {i} of a long and repetitive comment\n").as_bytes());
    }
    pdf.extend_from_slice(
        b"1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    );
    let pdf_id = app.uploaded(Some(&citizen), &pdf).await;
    for (path, kind) in [
        (format!("/api/v1/attachments/{photo_id}"), "image/jpeg"),
        (
            format!("/api/v1/attachments/{photo_id}/thumbnail"),
            "image/",
        ),
        (format!("/api/v1/attachments/{pdf_id}"), "application/pdf"),
    ] {
        let plain = get_encoded(&app, &path, Some(&citizen), "identity").await;
        assert_eq!(plain.status(), 200, "{path}");
        let plain = plain.bytes().await.unwrap();
        assert!(plain.len() > 1024, "{path} is big enough to compress");
        let res = get_encoded(&app, &path, Some(&citizen), "br, gzip").await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            header(&res, "content-type").unwrap().starts_with(kind),
            "{path}"
        );
        assert_eq!(header(&res, "content-encoding"), None, "{path}");
        assert_eq!(res.bytes().await.unwrap(), plain, "{path}");
    }
    assert_eq!(
        get_encoded(
            &app,
            &format!("/api/v1/attachments/{pdf_id}"),
            Some(&citizen),
            "br"
        )
        .await
        .bytes()
        .await
        .unwrap(),
        pdf
    );
}

#[tokio::test]
async fn compressed_request_bodies_and_impossible_encodings_are_refused() {
    let app = TestApp::spawn().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, br#"{"email":"a@b.vn","password":"x"}"#).unwrap();
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "accept-encoding"), Some("identity"));
    assert_problem(res, 415, "content_encoding_unsupported").await;

    let res = get_encoded(&app, "/api/v1/openapi.json", None, "identity;q=0, *;q=0").await;
    assert_problem(res, 406, "encoding_not_acceptable").await;
}

// ---- Web Push for browsers -------------------------------------------------------------------

#[tokio::test]
async fn a_browser_subscribes_with_the_served_key_and_decrypts_its_push() {
    // The push service a browser would have picked, on loopback.
    let push_service = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201))
        .mount(&push_service)
        .await;
    let vapid = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let vapid_pem = p256_pem(&vapid);
    let app = TestApp::builder()
        .with_settings(move |s| {
            s.push.webpush_vapid_private_key = Some(vapid_pem);
            s.push.webpush_subject = Some("mailto:quan-tri@nghedan.test".into());
        })
        .demo()
        .await;

    // What `PushManager.subscribe({applicationServerKey})` needs: an uncompressed P-256 point.
    let res = app.get("/api/v1/push/webpush-key").await;
    assert_eq!(res.status(), 200);
    assert!(header(&res, "cache-control").unwrap().starts_with("public"));
    let served: Value = res.json().await.unwrap();
    let served = served["public_key"].as_str().unwrap().to_string();
    let point = B64URL.decode(&served).expect("unpadded base64url");
    assert_eq!(point.len(), 65);
    assert_eq!(point[0], 0x04, "uncompressed");
    let server_key = p256::PublicKey::from_sec1_bytes(&point).expect("a P-256 point");
    assert_eq!(
        server_key.to_encoded_point(false).as_bytes(),
        vapid.public_key().to_encoded_point(false).as_bytes()
    );

    // The browser subscribes and the page registers the subscription.
    let browser = Subscription::new();
    let citizen = app.citizen().await;
    let endpoint = format!("{}/push/v1/browser-1", push_service.uri());
    let res = app
        .authed(Method::POST, "/api/v1/me/devices", &citizen)
        .json(&json!({"platform": "webpush", "subscription": {
            "endpoint": endpoint, "expirationTime": null,
            "keys": {"p256dh": browser.p256dh(), "auth": browser.auth()}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    // A ticket is received: the citizen is told, in the browser too.
    let code = app.submit_pothole(&citizen).await;
    app.run_jobs().await;
    let sent = push_service.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1, "one push");
    let request = &sent[0];
    assert_eq!(request.url.path(), "/push/v1/browser-1");
    let message: Value = serde_json::from_slice(&browser.decrypt(&request.body)).unwrap();
    assert_eq!(message["ticket_code"], code.as_str(), "{message}");
    assert_eq!(message["path"], format!("/tickets/{code}"), "{message}");
    assert!(message["notification_id"].as_i64().is_some(), "{message}");
    assert!(!message["title"].as_str().unwrap().is_empty());

    // Signed with the key the browser subscribed with (RFC 8292).
    let authorization = request.headers["authorization"].to_str().unwrap();
    let (jwt, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    assert_eq!(k, served);
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[push_service.uri()]);
    validation.set_required_spec_claims(&["aud", "exp", "sub"]);
    jsonwebtoken::decode::<Value>(jwt, &p256_decoding_key(&server_key), &validation)
        .expect("the VAPID JWT verifies with the served key");
}

#[tokio::test]
async fn without_web_push_there_is_no_key_to_serve() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/push/webpush-key").await;
    assert_problem(res, 404, "webpush_not_configured").await;

    // The contract says so, and that any operation may answer 426.
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let op = &doc["paths"]["/api/v1/push/webpush-key"]["get"];
    assert!(op["responses"]["200"].is_object(), "{op}");
    assert!(op["responses"]["426"].is_object(), "{op}");
    assert!(doc["components"]["schemas"]["Problem"]["properties"]["store_url"].is_object());
}

// ---- app versions ----------------------------------------------------------------------------

const PLAY_STORE: &str = "https://play.google.com/store/apps/details?id=vn.gov.nghedan";

async fn versioned(app: &TestApp, path: &str, version: &str) -> Response {
    app.client
        .get(app.url(path))
        .header("X-App-Version", version)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_app_older_than_its_platforms_minimum_is_told_to_upgrade() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.apps.min_android = Some(semver::Version::new(2, 3, 0));
            s.apps.min_web = Some(semver::Version::new(1, 0, 0));
            s.apps.android_store_url = PLAY_STORE.into();
            s.apps.ios_store_url = "https://apps.apple.com/vn/app/nghe-dan/id0000000000".into();
        })
        .spawn()
        .await;

    let res = versioned(&app, "/api/v1/categories", "android/2.2.9").await;
    let problem = assert_problem(res, 426, "app_upgrade_required").await;
    assert_eq!(problem["store_url"], PLAY_STORE);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("2.2.9") && detail.contains("2.3.0"),
        "{detail}"
    );
    let res = versioned(&app, "/api/v1/categories", "android/2.3.0-rc.1").await;
    assert_problem(res, 426, "app_upgrade_required").await;
    // The web app has no store: reloading the page is the upgrade.
    let res = versioned(&app, "/api/v1/categories", "web/0.9.0").await;
    let problem = assert_problem(res, 426, "app_upgrade_required").await;
    assert!(problem.get("store_url").is_none(), "{problem}");

    for fine in ["android/2.3.0", "android/10.0.1", "ios/0.0.1", "web/1.0.0"] {
        let res = versioned(&app, "/api/v1/categories", fine).await;
        assert_eq!(res.status(), 200, "{fine}");
    }
    // Without the header: served as always.
    assert_eq!(app.get("/api/v1/categories").await.status(), 200);
    // Health checks are not the app's to refuse.
    let res = versioned(&app, "/health/live", "android/1.0.0").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn a_malformed_app_version_is_a_bad_request() {
    let app = TestApp::spawn().await;
    for bad in [
        "android",
        "android/2.3",
        "windows/1.0.0",
        "android/latest",
        "",
    ] {
        let res = versioned(&app, "/api/v1/categories", bad).await;
        let problem = assert_problem(res, 400, "app_version_invalid").await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("android/2.4.1"),
            "{problem}"
        );
    }
    // No minimum configured: any well-formed version is served.
    let res = versioned(&app, "/api/v1/categories", "android/0.0.1").await;
    assert_eq!(res.status(), 200);
}

// ---- caching and revalidation ----------------------------------------------------------------

/// GET with an optional token and `If-None-Match`.
async fn revalidate(app: &TestApp, path: &str, token: Option<&str>, etag: &str) -> Response {
    let mut req = app.client.get(app.url(path)).header("If-None-Match", etag);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// Fetches `path`, checks its caching headers, and that its ETag revalidates to a 304 with no
/// body; returns the ETag.
async fn assert_revalidates(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    cache_control: &str,
) -> String {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(header(&res, "cache-control"), Some(cache_control), "{path}");
    let etag = header(&res, "etag").expect("an ETag").to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong: {etag}"
    );
    let res = revalidate(app, path, token, &etag).await;
    assert_eq!(res.status(), 304, "{path}");
    assert_eq!(header(&res, "etag"), Some(etag.as_str()), "{path}");
    assert_eq!(header(&res, "cache-control"), Some(cache_control), "{path}");
    assert!(res.bytes().await.unwrap().is_empty(), "{path}: no body");
    // Another tag: the whole response.
    let res = revalidate(app, path, token, "\"something-else\"").await;
    assert_eq!(res.status(), 200, "{path}");
    etag
}

#[tokio::test]
async fn reads_carry_etags_and_revalidate_to_304() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let code = app.submit_pothole(&citizen).await;

    // Reference data: anyone's, an hour in any cache.
    for path in [
        "/api/v1/categories",
        "/api/v1/areas?parent=31",
        "/api/v1/areas/31135",
        "/api/v1/units",
        "/api/v1/calendar?from=2026-01-01&to=2026-12-31",
    ] {
        assert_revalidates(&app, path, None, "public, max-age=3600").await;
    }
    assert_revalidates(&app, "/api/v1/public/tickets", None, "public, max-age=60").await;
    // The words follow the language: a cache keeps one copy per language.
    let res = app.get("/api/v1/categories").await;
    assert!(list(&res, "vary").contains(&"accept-language".into()));

    // Personal: the caller's cache only, revalidated each time.
    let ticket = format!("/api/v1/tickets/{code}");
    let etag = assert_revalidates(&app, &ticket, Some(&citizen), "private, no-cache").await;
    assert!(etag.starts_with("\"v"), "{etag}");
    let events = format!("/api/v1/tickets/{code}/events");
    let events_tag = assert_revalidates(&app, &events, Some(&citizen), "private, no-cache").await;
    assert_revalidates(&app, "/api/v1/me", Some(&citizen), "private, no-cache").await;

    // Once the ticket changes, the old tags fetch it anew.
    app.accept(&official, &code).await;
    let res = revalidate(&app, &ticket, Some(&citizen), &etag).await;
    assert_eq!(res.status(), 200);
    assert_ne!(header(&res, "etag"), Some(etag.as_str()));
    let res = revalidate(&app, &events, Some(&citizen), &events_tag).await;
    assert_eq!(res.status(), 200);

    // A compressed copy has its own tag, and either revalidates.
    let res = get_encoded(&app, "/api/v1/categories", None, "br").await;
    assert_eq!(header(&res, "content-encoding"), Some("br"));
    let br_tag = header(&res, "etag").unwrap().to_string();
    assert!(br_tag.ends_with("-br\""), "{br_tag}");
    let res = app
        .client
        .get(app.url("/api/v1/categories"))
        .header("Accept-Encoding", "br")
        .header("If-None-Match", &br_tag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());
    let plain_tag = header(&app.get("/api/v1/categories").await, "etag")
        .unwrap()
        .to_string();
    assert_eq!(br_tag, format!("{}-br\"", plain_tag.trim_end_matches('"')));
}

#[tokio::test]
async fn files_are_cached_for_a_year_privately() {
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let photo = crate::uploads::phone_jpeg(400, 300, crate::uploads::exif(1));
    let id = app.uploaded(Some(&citizen), &photo).await;
    for path in [
        format!("/api/v1/attachments/{id}"),
        format!("/api/v1/attachments/{id}/thumbnail"),
    ] {
        assert_revalidates(
            &app,
            &path,
            Some(&citizen),
            "private, max-age=31536000, immutable",
        )
        .await;
    }
    // Still only for those who may read it: a 304 is no way around that.
    let other = app.citizen().await;
    let etag = format!("\"{id}\"");
    let res = revalidate(
        &app,
        &format!("/api/v1/attachments/{id}"),
        Some(&other),
        &etag,
    )
    .await;
    assert_problem(res, 404, "attachment_not_found").await;
}

#[tokio::test]
async fn an_action_with_a_stale_if_match_is_refused_with_412() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let code = app.submit_pothole(&citizen).await;
    let ticket = format!("/api/v1/tickets/{code}");
    let res = app
        .authed(Method::GET, &ticket, &official)
        .send()
        .await
        .unwrap();
    let read = header(&res, "etag").unwrap().to_string();

    let act = |action: &str, tag: Option<&str>, body: Value| {
        let mut req = app.authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/{action}"),
            &official,
        );
        if let Some(tag) = tag {
            req = req.header("If-Match", tag);
        }
        req.json(&body).send()
    };
    // Unchanged since it was read: the action applies, and says the ticket's new tag.
    let res = act("accept", Some(&read), json!({})).await.unwrap();
    assert_eq!(res.status(), 200);
    let accepted = header(&res, "etag").unwrap().to_string();
    assert_ne!(accepted, read);
    assert_eq!(header(&res, "content-location"), Some(ticket.as_str()));
    let res = app
        .authed(Method::GET, &ticket, &official)
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&res, "etag"),
        Some(accepted.as_str()),
        "the same view"
    );

    // With the tag read before the change: refused, and nothing happens.
    let question = json!({"question": "Ổ gà ở bên nào?"});
    let res = act("request_info", Some(&read), question.clone())
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let weak = format!("W/{accepted}");
    let res = act("request_info", Some(&weak), question.clone())
        .await
        .unwrap();
    assert_problem(res, 412, "precondition_failed").await;
    let t = app.ticket(&official, &code).await;
    assert_eq!(t["status"], "accepted", "{t}");

    // A compressed copy's tag, `*`, or no If-Match at all (as before) are fine.
    let br = format!("{}-br\"", accepted.trim_end_matches('"'));
    let res = act("request_info", Some(&br), question.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.provide_info(&citizen, &code, "Bên phải.").await;
    let res = act("progress_note", Some("*"), json!({"note": "Đã cử người."}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = act("progress_note", None, json!({"note": "Đang sửa."}))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
