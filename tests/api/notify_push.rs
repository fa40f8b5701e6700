//! Push delivery against protocol peers on loopback:
//! - FCM: wiremock plays Google's OAuth2 token endpoint and the FCM v1 send endpoint; the test
//!   holds the service account's RSA key and verifies the signed assertion.
//! - APNs: a small hyper server that speaks only HTTP/2 (h2c), so a request that arrives at all
//!   arrived over HTTP/2; the test verifies the ES256 provider token with the key's public half.
//! - Web Push: wiremock plays the push service; the test holds the browser's subscription keys,
//!   decrypts the body per RFC 8291 from primitives (ECDH, HKDF, AES-GCM) and verifies VAPID.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use bytes::Bytes;
use chrono::{TimeDelta, Utc};
use hkdf::Hkdf;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use nghedan::clock::TestClock;
use nghedan::notify::push::apns;
use nghedan::notify::{
    ApnsClient, ApnsEnvironment, DeliveryError, FcmClient, Push, PushMessage, PushSettings,
    WebPushClient,
};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::task::JoinHandle;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn message() -> PushMessage {
    PushMessage {
        title: "Phản ánh HN-2025-000123".into(),
        body: "Phường Hàng Bạc đã tiếp nhận phản ánh của bạn.".into(),
        ticket_code: Some("HN-2025-000123".into()),
        path: Some("/tickets/HN-2025-000123".into()),
        notification_id: Some(42),
        collapse_key: Some("ticket-HN-2025-000123".into()),
    }
}

fn clock() -> Arc<TestClock> {
    Arc::new(TestClock::new(Utc::now()))
}

fn http() -> reqwest::Client {
    nghedan::startup::install_crypto();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn expect_temporary(result: Result<(), DeliveryError>) -> Option<Duration> {
    match result {
        Err(DeliveryError::Temporary { retry_after, .. }) => retry_after,
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

fn expect_gone(result: Result<(), DeliveryError>) {
    assert!(
        matches!(result, Err(DeliveryError::Gone { .. })),
        "expected gone, got {result:?}"
    );
}

fn expect_permanent(result: Result<(), DeliveryError>) {
    assert!(
        matches!(result, Err(DeliveryError::Permanent { .. })),
        "expected permanent, got {result:?}"
    );
}

pub fn p256_pem(key: &p256::SecretKey) -> String {
    key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
}

/// A verifier for ES256 signatures made with `key`.
pub fn p256_decoding_key(key: &p256::PublicKey) -> DecodingKey {
    let point = key.to_encoded_point(false);
    DecodingKey::from_ec_components(
        &B64URL.encode(point.x().unwrap()),
        &B64URL.encode(point.y().unwrap()),
    )
    .unwrap()
}

// ---- FCM -------------------------------------------------------------------------------------

/// Generated once: 2048-bit RSA key generation is the slow part of these tests.
static SERVICE_ACCOUNT_KEY: LazyLock<rsa::RsaPrivateKey> =
    LazyLock::new(|| rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap());

const PROJECT: &str = "nghedan-test";
const CLIENT_EMAIL: &str = "push-sender@nghedan-test.iam.gserviceaccount.com";
pub const SEND_PATH: &str = "/v1/projects/nghedan-test/messages:send";

/// A key file as Google's console hands it out, extra fields included.
pub fn service_account_json(token_uri: &str) -> String {
    let pem = SERVICE_ACCOUNT_KEY.to_pkcs8_pem(LineEnding::LF).unwrap();
    json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "4f1c0ffee",
        "private_key": pem.as_str(),
        "client_email": CLIENT_EMAIL,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "universe_domain": "googleapis.com",
    })
    .to_string()
}

/// Hands out `ya29.token-1`, `ya29.token-2`, … and counts.
struct TokenEndpoint(Arc<AtomicUsize>);

impl Respond for TokenEndpoint {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("ya29.token-{n}"),
            "expires_in": 3599,
            "token_type": "Bearer",
        }))
    }
}

pub struct FcmMock {
    pub server: MockServer,
    tokens_issued: Arc<AtomicUsize>,
}

impl FcmMock {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let tokens_issued = Arc::new(AtomicUsize::new(0));
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(TokenEndpoint(tokens_issued.clone()))
            .mount(&server)
            .await;
        let fcm_error = |status: u16, code: &str| {
            ResponseTemplate::new(status).set_body_json(json!({
                "error": {
                    "code": status,
                    "message": "from the mock",
                    "status": code,
                    "details": [{
                        "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                        "errorCode": code,
                    }],
                }
            }))
        };
        let by_token = [
            ("uninstalled", fcm_error(404, "UNREGISTERED")),
            (
                "throttled",
                fcm_error(429, "QUOTA_EXCEEDED").insert_header("Retry-After", "7"),
            ),
            ("malformed", fcm_error(400, "INVALID_ARGUMENT")),
            ("overloaded", fcm_error(503, "UNAVAILABLE")),
            ("stale-auth", fcm_error(401, "THIRD_PARTY_AUTH_ERROR")),
        ];
        for (token, reply) in by_token {
            Mock::given(method("POST"))
                .and(path(SEND_PATH))
                .and(body_partial_json(json!({ "message": { "token": token } })))
                .respond_with(reply)
                .with_priority(1)
                .mount(&server)
                .await;
        }
        Mock::given(method("POST"))
            .and(path(SEND_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({ "name": "projects/nghedan-test/messages/0:1700000000000000%abc" }),
            ))
            .with_priority(2)
            .mount(&server)
            .await;
        FcmMock {
            server,
            tokens_issued,
        }
    }

    pub fn token_uri(&self) -> String {
        format!("{}/token", self.server.uri())
    }

    pub async fn requests(&self, to: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == to)
            .collect()
    }
}

/// Checks the RS256 assertion of an OAuth2 JWT-bearer grant (RFC 7523) the way Google does.
fn verify_assertion(request: &Request, token_uri: &str) {
    assert_eq!(
        request.headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&request.body).unwrap();
    assert_eq!(
        form["grant_type"],
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let assertion = &form["assertion"];
    let header = jsonwebtoken::decode_header(assertion).unwrap();
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some("4f1c0ffee"));

    let public = SERVICE_ACCOUNT_KEY.to_public_key();
    let key = DecodingKey::from_rsa_components(
        &B64URL.encode(public.n().to_bytes_be()),
        &B64URL.encode(public.e().to_bytes_be()),
    )
    .unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[token_uri]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["iss", "aud", "iat", "exp"]);
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .expect("assertion signed by the service account's key")
        .claims;
    assert_eq!(
        claims["scope"],
        "https://www.googleapis.com/auth/firebase.messaging"
    );
    let lifetime = claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap();
    assert!(
        (1..=3600).contains(&lifetime),
        "assertion lives {lifetime} s"
    );
}

#[tokio::test]
async fn notify_push_fcm_signs_in_once_and_sends_the_v1_message() {
    let mock = FcmMock::start().await;
    let clock = clock();
    let fcm = FcmClient::new(
        http(),
        &service_account_json(&mock.token_uri()),
        Some(mock.server.uri()),
    )
    .unwrap()
    .with_clock(clock.clone());
    let mut quiet = message();
    quiet.collapse_key = None;
    quiet.ticket_code = None;
    quiet.path = None;

    fcm.send("device-1", &message()).await.unwrap();
    fcm.send("device-2", &quiet).await.unwrap();

    let token_requests = mock.requests("/token").await;
    assert_eq!(token_requests.len(), 1, "the access token is cached");
    verify_assertion(&token_requests[0], &mock.token_uri());

    let sends = mock.requests(SEND_PATH).await;
    assert_eq!(sends.len(), 2);
    for send in &sends {
        assert_eq!(send.headers["authorization"], "Bearer ya29.token-1");
    }
    assert_eq!(
        sends[0].body_json::<Value>().unwrap(),
        json!({ "message": {
            "token": "device-1",
            "notification": { "title": "Phản ánh HN-2025-000123",
                              "body": "Phường Hàng Bạc đã tiếp nhận phản ánh của bạn." },
            "data": { "ticket_code": "HN-2025-000123", "path": "/tickets/HN-2025-000123",
                      "notification_id": "42" },
            "android": { "collapse_key": "ticket-HN-2025-000123" },
            "apns": { "headers": { "apns-collapse-id": "ticket-HN-2025-000123" } },
        }})
    );
    assert_eq!(
        sends[1].body_json::<Value>().unwrap(),
        json!({ "message": {
            "token": "device-2",
            "notification": { "title": "Phản ánh HN-2025-000123",
                              "body": "Phường Hàng Bạc đã tiếp nhận phản ánh của bạn." },
            "data": { "notification_id": "42" },
        }})
    );

    // 3599 s tokens are renewed five minutes before they expire.
    clock.advance(TimeDelta::seconds(3599 - 301));
    fcm.send("device-1", &message()).await.unwrap();
    assert_eq!(mock.tokens_issued.load(Ordering::SeqCst), 1);
    clock.advance(TimeDelta::seconds(2));
    fcm.send("device-1", &message()).await.unwrap();
    assert_eq!(mock.tokens_issued.load(Ordering::SeqCst), 2);
    let sends = mock.requests(SEND_PATH).await;
    assert_eq!(
        sends.last().unwrap().headers["authorization"],
        "Bearer ya29.token-2"
    );
}

#[tokio::test]
async fn notify_push_fcm_answers_map_to_delivery_outcomes() {
    let mock = FcmMock::start().await;
    let fcm = FcmClient::new(
        http(),
        &service_account_json(&mock.token_uri()),
        Some(mock.server.uri()),
    )
    .unwrap();

    expect_gone(fcm.send("uninstalled", &message()).await);
    assert_eq!(
        expect_temporary(fcm.send("throttled", &message()).await),
        Some(Duration::from_secs(7))
    );
    expect_permanent(fcm.send("malformed", &message()).await);
    assert_eq!(
        expect_temporary(fcm.send("overloaded", &message()).await),
        None
    );
    assert_eq!(mock.tokens_issued.load(Ordering::SeqCst), 1);

    // A refused access token is dropped: the next send signs in again.
    expect_temporary(fcm.send("stale-auth", &message()).await);
    fcm.send("device-1", &message()).await.unwrap();
    assert_eq!(mock.tokens_issued.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn notify_push_fcm_waits_while_google_sign_in_fails() {
    let server = MockServer::start().await;
    Mock::given(path("/token"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "30")
                .set_body_string("backend error"),
        )
        .mount(&server)
        .await;
    let fcm = FcmClient::new(
        http(),
        &service_account_json(&format!("{}/token", server.uri())),
        Some(server.uri()),
    )
    .unwrap();

    assert_eq!(
        expect_temporary(fcm.send("device-1", &message()).await),
        Some(Duration::from_secs(30))
    );
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.url.path() == "/token"));

    // Nothing listens at all: still temporary. (Not a dropped MockServer: wiremock keeps
    // those listening for reuse by other tests.)
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let fcm = FcmClient::new(
        http(),
        &service_account_json(&format!("{nowhere}/token")),
        Some(nowhere),
    )
    .unwrap();
    expect_temporary(fcm.send("device-1", &message()).await);
}

#[test]
fn notify_push_fcm_rejects_a_bad_key_file() {
    assert!(FcmClient::new(http(), "{}", None).is_err());
    let mut key: Value =
        serde_json::from_str(&service_account_json("https://t.test/token")).unwrap();
    key["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into();
    assert!(FcmClient::new(http(), &key.to_string(), None).is_err());
    key["type"] = "authorized_user".into();
    assert!(FcmClient::new(http(), &key.to_string(), None).is_err());
}

// ---- APNs ------------------------------------------------------------------------------------

const KEY_ID: &str = "ABC123DEFG";
const TEAM_ID: &str = "DEF123GHIJ";
const TOPIC: &str = "vn.gov.nghedan";
const DEVICE: &str = "8a1f0c7e5b2d4a6f9e3c1b0d7a5f2e4c6b8d0a1c3e5f7a9b2d4c6e8f0a1b3c5d";

#[derive(Clone, Debug)]
struct SeenRequest {
    version: hyper::Version,
    method: hyper::Method,
    path: String,
    headers: hyper::HeaderMap,
    body: Vec<u8>,
}

impl SeenRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// An APNs gateway stand-in that speaks only HTTP/2 over cleartext (h2c, prior knowledge).
struct H2Gateway {
    base: String,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    task: JoinHandle<()>,
}

impl Drop for H2Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Apple's answers, chosen by the device token in the path.
fn apns_reply(path: &str) -> (u16, Option<&'static str>, &'static str) {
    match path.rsplit('/').next().unwrap_or_default() {
        "dead" => (
            410,
            None,
            r#"{"reason":"Unregistered","timestamp":1700000000000}"#,
        ),
        "bad0" => (400, None, r#"{"reason":"BadDeviceToken"}"#),
        "b05e" => (
            429,
            Some("12"),
            r#"{"reason":"TooManyProviderTokenUpdates"}"#,
        ),
        "5e5e" => (503, None, r#"{"reason":"ServiceUnavailable"}"#),
        "e0e0" => (403, None, r#"{"reason":"ExpiredProviderToken"}"#),
        "b16b" => (413, None, r#"{"reason":"PayloadTooLarge"}"#),
        _ => (200, None, ""),
    }
}

impl H2Gateway {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let log = log.clone();
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let log = log.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await?.to_bytes().to_vec();
                            let path = parts.uri.path().to_owned();
                            log.lock().unwrap().push(SeenRequest {
                                version: parts.version,
                                method: parts.method,
                                path: path.clone(),
                                headers: parts.headers,
                                body,
                            });
                            let (status, retry_after, reply) = apns_reply(&path);
                            let mut response = hyper::Response::builder()
                                .status(status)
                                .header("apns-id", "e2c2d9f2-0a5c-4a3c-9f5e-6a3f2a1b0c9d");
                            if let Some(seconds) = retry_after {
                                response = response.header("retry-after", seconds);
                            }
                            Ok::<_, hyper::Error>(
                                response
                                    .body(Full::new(Bytes::from_static(reply.as_bytes())))
                                    .unwrap(),
                            )
                        }
                    },
                );
                tokio::spawn(
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        H2Gateway { base, seen, task }
    }

    fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }
}

struct ApnsFixture {
    key: p256::SecretKey,
    sandbox: H2Gateway,
    production: H2Gateway,
}

impl ApnsFixture {
    pub async fn start() -> Self {
        ApnsFixture {
            key: p256::SecretKey::random(&mut rand::rngs::OsRng),
            sandbox: H2Gateway::start().await,
            production: H2Gateway::start().await,
        }
    }

    fn client(&self) -> ApnsClient {
        nghedan::startup::install_crypto();
        ApnsClient::new(
            apns::http_client(Duration::from_secs(10)).unwrap(),
            &p256_pem(&self.key),
            KEY_ID,
            TEAM_ID,
            TOPIC,
            Some(self.sandbox.base.clone()),
            Some(self.production.base.clone()),
        )
        .unwrap()
    }

    /// Verifies the provider token the way Apple does; returns its `iat`.
    fn verify_provider_token(&self, request: &SeenRequest) -> (String, i64) {
        let jwt = request
            .header("authorization")
            .and_then(|h| h.strip_prefix("bearer "))
            .expect("authorization: bearer <jwt>")
            .to_owned();
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some(KEY_ID));
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_required_spec_claims(&["iss", "iat"]);
        validation.set_issuer(&[TEAM_ID]);
        validation.validate_exp = false;
        let claims = jsonwebtoken::decode::<Value>(
            &jwt,
            &p256_decoding_key(&self.key.public_key()),
            &validation,
        )
        .expect("provider token signed with the APNs key")
        .claims;
        (jwt, claims["iat"].as_i64().unwrap())
    }
}

#[tokio::test]
async fn notify_push_apns_sends_over_http2_with_a_reused_provider_token() {
    let apns = ApnsFixture::start().await;
    let clock = clock();
    let client = apns.client().with_clock(clock.clone());
    let mut plain = message();
    plain.collapse_key = None;
    plain.ticket_code = None;
    plain.path = None;

    client
        .send(DEVICE, ApnsEnvironment::Sandbox, &message())
        .await
        .unwrap();
    client
        .send(DEVICE, ApnsEnvironment::Sandbox, &plain)
        .await
        .unwrap();
    client
        .send(DEVICE, ApnsEnvironment::Production, &message())
        .await
        .unwrap();

    let sandbox = apns.sandbox.seen();
    let production = apns.production.seen();
    assert_eq!(sandbox.len(), 2);
    assert_eq!(production.len(), 1);
    let first = &sandbox[0];
    assert_eq!(first.version, hyper::Version::HTTP_2);
    assert_eq!(first.method, hyper::Method::POST);
    assert_eq!(first.path, format!("/3/device/{DEVICE}"));
    assert_eq!(first.header("apns-topic"), Some(TOPIC));
    assert_eq!(first.header("apns-push-type"), Some("alert"));
    assert_eq!(first.header("apns-priority"), Some("10"));
    assert_eq!(
        first.header("apns-collapse-id"),
        Some("ticket-HN-2025-000123")
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&first.body).unwrap(),
        json!({
            "aps": {
                "alert": { "title": "Phản ánh HN-2025-000123",
                           "body": "Phường Hàng Bạc đã tiếp nhận phản ánh của bạn." },
                "sound": "default",
            },
            "ticket_code": "HN-2025-000123",
            "path": "/tickets/HN-2025-000123",
            "notification_id": 42,
        })
    );
    assert_eq!(sandbox[1].header("apns-collapse-id"), None);
    assert_eq!(
        serde_json::from_slice::<Value>(&sandbox[1].body).unwrap(),
        json!({
            "aps": {
                "alert": { "title": "Phản ánh HN-2025-000123",
                           "body": "Phường Hàng Bạc đã tiếp nhận phản ánh của bạn." },
                "sound": "default",
            },
            "notification_id": 42,
        })
    );

    let (token, iat) = apns.verify_provider_token(first);
    for request in sandbox.iter().chain(&production) {
        assert_eq!(
            apns.verify_provider_token(request).0,
            token,
            "one provider token serves every send"
        );
    }

    // Still reused at 39 minutes; renewed after 40.
    clock.advance(TimeDelta::minutes(39));
    client
        .send(DEVICE, ApnsEnvironment::Sandbox, &message())
        .await
        .unwrap();
    clock.advance(TimeDelta::minutes(2));
    client
        .send(DEVICE, ApnsEnvironment::Sandbox, &message())
        .await
        .unwrap();
    let sandbox = apns.sandbox.seen();
    assert_eq!(apns.verify_provider_token(&sandbox[2]).0, token);
    let (renewed, renewed_iat) = apns.verify_provider_token(&sandbox[3]);
    assert_ne!(renewed, token);
    assert_eq!(renewed_iat - iat, 41 * 60);
}

#[tokio::test]
async fn notify_push_apns_answers_map_to_delivery_outcomes() {
    let apns = ApnsFixture::start().await;
    let clock = clock();
    let client = apns.client().with_clock(clock.clone());
    let m = message();
    let send = |token: &'static str| client.send(token, ApnsEnvironment::Production, &m);

    expect_gone(send("dead").await);
    expect_gone(send("bad0").await);
    assert_eq!(
        expect_temporary(send("b05e").await),
        Some(Duration::from_secs(12))
    );
    assert_eq!(expect_temporary(send("5e5e").await), None);
    expect_permanent(send("b16b").await);

    // A refused provider token is replaced on the next send, without waiting 40 minutes.
    send(DEVICE).await.unwrap();
    expect_temporary(send("e0e0").await);
    clock.advance(TimeDelta::minutes(1));
    send(DEVICE).await.unwrap();
    let seen = apns.production.seen();
    let before = apns.verify_provider_token(&seen[seen.len() - 3]);
    let after = apns.verify_provider_token(&seen[seen.len() - 1]);
    assert_eq!(after.1 - before.1, 60, "a new token after the 403");

    // Not a device token at all: gone without asking Apple.
    let asked = apns.production.seen().len();
    expect_gone(send("../../admin").await);
    assert_eq!(apns.production.seen().len(), asked);
}

#[tokio::test]
async fn notify_push_apns_needs_an_http2_client() {
    // This test builds its own client, before any app (which installs the TLS backend).
    nghedan::startup::install_crypto();
    let apns = ApnsFixture::start().await;
    // An HTTP/1.1 client cannot talk to APNs; the request fails rather than going out wrong.
    let client = ApnsClient::new(
        reqwest::Client::builder().http1_only().build().unwrap(),
        &p256_pem(&apns.key),
        KEY_ID,
        TEAM_ID,
        TOPIC,
        Some(apns.sandbox.base.clone()),
        None,
    )
    .unwrap();
    expect_temporary(
        client
            .send(DEVICE, ApnsEnvironment::Sandbox, &message())
            .await,
    );
    assert!(apns.sandbox.seen().is_empty());
}

// ---- Web Push --------------------------------------------------------------------------------

/// A browser's push subscription, private half included.
pub struct Subscription {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Subscription {
    pub fn new() -> Self {
        let mut auth = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut auth);
        Subscription {
            secret: p256::SecretKey::random(&mut rand::rngs::OsRng),
            auth,
        }
    }

    pub fn p256dh(&self) -> String {
        B64URL.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    pub fn auth(&self) -> String {
        B64URL.encode(self.auth)
    }

    /// RFC 8291 §3 key derivation and RFC 8188 `aes128gcm` decoding, written from the RFCs.
    pub fn decrypt(&self, body: &[u8]) -> Vec<u8> {
        // Header: salt (16) | record size (4) | key id length (1) | key id = sender's public key
        let salt = &body[..16];
        let record_size = u32::from_be_bytes(body[16..20].try_into().unwrap()) as usize;
        let id_len = body[20] as usize;
        assert_eq!(
            id_len, 65,
            "the key id is the sender's uncompressed P-256 key"
        );
        let sender_public = &body[21..21 + id_len];
        let record = &body[21 + id_len..];
        assert!(record.len() <= record_size, "one record");

        let sender = p256::PublicKey::from_sec1_bytes(sender_public).unwrap();
        let shared =
            p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender.as_affine());
        let mut key_info = b"WebPush: info\0".to_vec();
        key_info.extend_from_slice(self.secret.public_key().to_encoded_point(false).as_bytes());
        key_info.extend_from_slice(sender_public);
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes())
            .expand(&key_info, &mut ikm)
            .unwrap();

        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let mut cek = [0u8; 16];
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
            .unwrap();
        let mut nonce = [0u8; 12];
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
            .unwrap();
        let padded = Aes128Gcm::new_from_slice(&cek)
            .unwrap()
            .decrypt(Nonce::from_slice(&nonce), record)
            .expect("authentic ciphertext");
        // The last record ends with the delimiter 0x02, then zero padding.
        let end = padded.iter().rposition(|&b| b != 0).unwrap();
        assert_eq!(padded[end], 2, "last-record delimiter");
        padded[..end].to_vec()
    }
}

struct WebPushFixture {
    server: MockServer,
    vapid: p256::SecretKey,
    client: WebPushClient,
}

impl WebPushFixture {
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        for (sub, status) in [("sub-gone", 410), ("sub-404", 404), ("sub-big", 413)] {
            Mock::given(method("POST"))
                .and(path(format!("/wpush/v2/{sub}")))
                .respond_with(ResponseTemplate::new(status))
                .with_priority(1)
                .mount(&server)
                .await;
        }
        Mock::given(method("POST"))
            .and(path("/wpush/v2/sub-busy"))
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "60"))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(201))
            .with_priority(2)
            .mount(&server)
            .await;
        let vapid = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let client = WebPushClient::new(
            http(),
            &B64URL.encode(vapid.to_bytes()),
            "mailto:quan-tri@nghedan.test",
        )
        .unwrap();
        WebPushFixture {
            server,
            vapid,
            client,
        }
    }

    fn endpoint(&self, sub: &str) -> String {
        format!("{}/wpush/v2/{sub}", self.server.uri())
    }
}

#[tokio::test]
async fn notify_push_webpush_encrypts_for_the_subscription_and_signs_with_vapid() {
    let push = WebPushFixture::start().await;
    let subscription = Subscription::new();

    push.client
        .send(
            &push.endpoint("sub-1"),
            &subscription.p256dh(),
            &subscription.auth(),
            &message(),
        )
        .await
        .unwrap();

    let requests = push.server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url.path(), "/wpush/v2/sub-1");
    assert_eq!(request.headers["content-encoding"], "aes128gcm");
    assert_eq!(request.headers["ttl"], "86400");
    assert_eq!(request.headers["urgency"], "normal");
    assert_eq!(request.headers["topic"], "ticket-HN-2025-000123");

    let plaintext = subscription.decrypt(&request.body);
    assert_eq!(
        serde_json::from_slice::<Value>(&plaintext).unwrap(),
        json!({
            "title": "Phản ánh HN-2025-000123",
            "body": "Phường Hàng Bạc đã tiếp nhận phản ánh của bạn.",
            "ticket_code": "HN-2025-000123",
            "path": "/tickets/HN-2025-000123",
            "notification_id": 42,
        })
    );

    // RFC 8292: `vapid t=<JWT>, k=<public key>`, the JWT's audience the push service's origin.
    let authorization = request.headers["authorization"].to_str().unwrap();
    let (t, k) = authorization
        .strip_prefix("vapid t=")
        .and_then(|rest| rest.split_once(", k="))
        .expect("vapid t=…, k=…");
    let vapid_public = push.vapid.public_key();
    assert_eq!(
        k,
        B64URL.encode(vapid_public.to_encoded_point(false).as_bytes())
    );
    assert_eq!(k, push.client.public_key());
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_audience(&[push.server.uri()]);
    validation.set_required_spec_claims(&["aud", "exp", "sub"]);
    let claims = jsonwebtoken::decode::<Value>(t, &p256_decoding_key(&vapid_public), &validation)
        .expect("VAPID JWT signed with the VAPID key, for this origin")
        .claims;
    assert_eq!(claims["sub"], "mailto:quan-tri@nghedan.test");
    let expires_in = claims["exp"].as_i64().unwrap() - Utc::now().timestamp();
    assert!((0..=24 * 3600).contains(&expires_in), "{expires_in}");
}

#[tokio::test]
async fn notify_push_webpush_answers_map_to_delivery_outcomes() {
    let push = WebPushFixture::start().await;
    let subscription = Subscription::new();
    let send = |sub: &'static str| {
        let endpoint = push.endpoint(sub);
        let (p256dh, auth) = (subscription.p256dh(), subscription.auth());
        let client = push.client.clone();
        async move { client.send(&endpoint, &p256dh, &auth, &message()).await }
    };

    expect_gone(send("sub-gone").await);
    expect_gone(send("sub-404").await);
    expect_permanent(send("sub-big").await);
    assert_eq!(
        expect_temporary(send("sub-busy").await),
        Some(Duration::from_secs(60))
    );

    // A subscription with unusable keys can never be reached: gone, and nothing is sent.
    let asked = push.server.received_requests().await.unwrap().len();
    let result = push
        .client
        .send(
            &push.endpoint("sub-1"),
            "bm90LWEta2V5",
            &subscription.auth(),
            &message(),
        )
        .await;
    expect_gone(result);
    assert_eq!(push.server.received_requests().await.unwrap().len(), asked);
}

// ---- configuration ---------------------------------------------------------------------------

#[tokio::test]
async fn notify_push_settings_turn_on_the_configured_channels() {
    let off = Push::from_settings(&PushSettings::default()).unwrap();
    assert!(off.fcm.is_none() && off.apns.is_none() && off.webpush.is_none());

    let fcm_mock = FcmMock::start().await;
    let apns = ApnsFixture::start().await;
    let web = WebPushFixture::start().await;
    let dir = tempfile::tempdir().unwrap();
    let fcm_file = dir.path().join("firebase.json");
    std::fs::write(&fcm_file, service_account_json(&fcm_mock.token_uri())).unwrap();
    let p8_file = dir.path().join("AuthKey_ABC123DEFG.p8");
    std::fs::write(&p8_file, p256_pem(&apns.key)).unwrap();
    let settings = PushSettings {
        fcm_service_account_file: Some(fcm_file.display().to_string()),
        fcm_api_base: Some(fcm_mock.server.uri()),
        apns_key_file: Some(p8_file.display().to_string()),
        apns_key_id: Some(KEY_ID.into()),
        apns_team_id: Some(TEAM_ID.into()),
        apns_topic: Some(TOPIC.into()),
        apns_sandbox_base: Some(apns.sandbox.base.clone()),
        apns_production_base: Some(apns.production.base.clone()),
        webpush_vapid_private_key: Some(p256_pem(&web.vapid)),
        webpush_subject: Some("mailto:quan-tri@nghedan.test".into()),
    };
    let push = Push::from_settings(&settings).unwrap();

    push.fcm
        .as_ref()
        .unwrap()
        .send("device-1", &message())
        .await
        .unwrap();
    push.apns
        .as_ref()
        .unwrap()
        .send(DEVICE, ApnsEnvironment::Sandbox, &message())
        .await
        .unwrap();
    let subscription = Subscription::new();
    let webpush = push.webpush.as_ref().unwrap();
    assert_eq!(webpush.public_key(), web.client.public_key());
    webpush
        .send(
            &web.endpoint("sub-1"),
            &subscription.p256dh(),
            &subscription.auth(),
            &message(),
        )
        .await
        .unwrap();

    assert_eq!(fcm_mock.requests(SEND_PATH).await.len(), 1);
    assert_eq!(apns.sandbox.seen()[0].version, hyper::Version::HTTP_2);
    let sent = web.server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 1);
    subscription.decrypt(&sent[0].body);

    // Half a channel is a mistake worth stopping for.
    let half = PushSettings {
        apns_key_file: settings.apns_key_file.clone(),
        ..PushSettings::default()
    };
    assert!(Push::from_settings(&half).is_err());
    let empty_strings = PushSettings {
        fcm_service_account_file: Some(String::new()),
        webpush_subject: Some(" ".into()),
        ..PushSettings::default()
    };
    assert!(Push::from_settings(&empty_strings).unwrap().fcm.is_none());
}
