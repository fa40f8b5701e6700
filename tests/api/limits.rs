//! Limits: header size, JSON depth, slow clients, anonymous submissions, the client address
//! behind a proxy; database faults end requests in time with 503 and nothing half-written.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::fixtures::{code_of, pothole};
use crate::helpers::{TestApp, assert_problem, pg_admin_url};

#[tokio::test]
async fn oversized_heads_and_deep_json_are_refused() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.server.max_header_bytes = 4096;
            s.server.json_max_depth = 8;
        })
        .spawn()
        .await;
    let r = app
        .client
        .get(app.url("/health/live"))
        .header("X-Padding", "x".repeat(5000))
        .send()
        .await
        .unwrap();
    assert_problem(r, 431, "headers_too_large").await;
    let mut deep = String::new();
    for _ in 0..20 {
        deep.push_str("{\"a\":");
    }
    deep.push('1');
    for _ in 0..20 {
        deep.push('}');
    }
    let r = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("Content-Type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 400, "malformed_json").await;
    assert!(p["detail"].as_str().unwrap().contains("8"));
    // Brackets inside strings are just text.
    let r = app
        .try_login("[[[[[[[[[[[[{{{{{{{{{{", "]]]]]]]]]]]]]]")
        .await;
    assert_problem(r, 401, "invalid_credentials").await;
}

/// Sends `request` on a fresh connection and reads until the server closes it.
async fn raw_exchange(port: u16, request: Vec<u8>) -> String {
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(&request).unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .unwrap()
}

/// The status, lower-cased headers and body of the `n`-th response in `raw`.
fn nth_response(raw: &str, n: usize) -> (u16, String, serde_json::Value) {
    let mut rest = raw;
    for _ in 0..n {
        let (head, after) = rest.split_once("\r\n\r\n").expect("a response head");
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(|v| v.trim().parse().unwrap())
            })
            .unwrap_or(0);
        rest = &after[length..];
    }
    let (head, after) = rest.split_once("\r\n\r\n").expect("a response head");
    let status = head[9..12].parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let body = serde_json::from_str(&after[..length]).unwrap_or(serde_json::Value::Null);
    (status, head.to_ascii_lowercase(), body)
}

/// actix-http answers heads over its own ceilings (128 KiB, 96 header lines) by itself; those
/// are problem+json 431s too, also after other requests on the same connection.
#[tokio::test]
async fn every_oversized_head_is_a_problem_even_past_actix_ceilings() {
    let app = TestApp::spawn().await;
    let mut huge = b"GET /health/live HTTP/1.1\r\nHost: x\r\nAccept-Language: en\r\nX-Request-Id: big-1\r\nX-Padding: ".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 200_000));
    huge.extend(b"\r\n\r\n");
    let mut many = b"GET /health/live HTTP/1.1\r\nHost: x\r\n".to_vec();
    for i in 0..100 {
        many.extend(format!("X-Header-{i}: v\r\n").bytes());
    }
    many.extend(b"\r\n");
    let mut just_over = b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Padding: ".to_vec();
    just_over.extend(std::iter::repeat_n(b'x', 16_384));
    just_over.extend(b"\r\n\r\n");
    for (name, request) in [
        ("200 KB", huge.clone()),
        ("100 headers", many),
        ("16 KiB", just_over),
    ] {
        let raw = raw_exchange(app.port, request).await;
        let (status, head, body) = nth_response(&raw, 0);
        assert_eq!(status, 431, "{name}: {raw}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{name}: {head}"
        );
        assert!(
            head.contains("x-content-type-options: nosniff"),
            "{name}: {head}"
        );
        assert_eq!(body["code"], "headers_too_large", "{name}");
        assert_eq!(body["status"], 431);
        assert!(body["detail"].as_str().unwrap().contains("16384"), "{body}");
    }
    let raw = raw_exchange(app.port, huge.clone()).await;
    let (_, head, body) = nth_response(&raw, 0);
    assert!(head.contains("content-language: en"), "{head}");
    assert_eq!(body["request_id"], "big-1");
    // A request with a body first, then the oversized head on the same connection.
    let mut both = b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".to_vec();
    both.extend(huge);
    let raw = raw_exchange(app.port, both).await;
    let (status, _, first) = nth_response(&raw, 0);
    assert_eq!(
        (status, first["code"].as_str()),
        (422, Some("validation_failed")),
        "{raw}"
    );
    let (status, _, second) = nth_response(&raw, 1);
    assert_eq!(
        (status, second["code"].as_str()),
        (431, Some("headers_too_large")),
        "{raw}"
    );
    // A head of exactly the limit is served.
    let mut at_limit =
        b"GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Padding: ".to_vec();
    let fill = 16_384 - at_limit.len() - 4;
    at_limit.extend(std::iter::repeat_n(b'x', fill));
    at_limit.extend(b"\r\n\r\n");
    assert_eq!(at_limit.len(), 16_384);
    let raw = raw_exchange(app.port, at_limit).await;
    assert_eq!(nth_response(&raw, 0).0, 200, "{raw}");
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let app = TestApp::builder()
        .with_settings(|s| s.server.client_request_timeout_ms = 300)
        .spawn()
        .await;
    let port = app.port;
    let started = Instant::now();
    let answer = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // Half a request head, and then nothing.
        s.write_all(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
            .unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn anonymous_submissions_are_limited_per_address() {
    let app = TestApp::builder()
        .with_settings(|s| s.tickets.anonymous_per_hour = 2)
        .demo()
        .await;
    let mut body = pothole();
    body["anonymous"] = json!(true);
    for _ in 0..2 {
        assert_eq!(app.submit(None, &body).await.status(), 201);
    }
    let r = app.submit(None, &body).await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    // Signed-in citizens are not held by it.
    let citizen = app.citizen().await;
    assert_eq!(app.submit(Some(&citizen), &pothole()).await.status(), 201);
}

/// A password-reset request (202, or 429 when the address is over its limit) that came
/// through proxies as `X-Forwarded-For: forwarded_for`.
async fn reset_from(app: &TestApp, forwarded_for: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/password-reset"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"email": "someone@example.vn"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_forged_forwarded_for_does_not_change_the_rate_limit_bucket() {
    // Our proxy is on loopback (the test client); behind it, a client at 203.0.113.9 writes
    // whatever it likes at the left of X-Forwarded-For, and the proxy appends 203.0.113.9.
    let app = TestApp::builder()
        .with_settings(|s| {
            s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            s.limits.password_resets_per_ip_per_hour = 2;
        })
        .spawn()
        .await;
    for forged in ["198.51.100.1", "198.51.100.2"] {
        let r = reset_from(&app, &format!("{forged}, 203.0.113.9")).await;
        assert_eq!(r.status(), 202);
    }
    for forged in ["198.51.100.3", "2001:db8::1", "junk"] {
        let r = reset_from(&app, &format!("{forged}, 203.0.113.9")).await;
        assert_problem(r, 429, "rate_limited").await;
    }
    // Another client behind the same proxy has its own bucket.
    assert_eq!(reset_from(&app, "203.0.113.10").await.status(), 202);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    // No trusted proxies: whoever connects is the client, whatever it claims.
    let app = TestApp::builder()
        .with_settings(|s| s.limits.password_resets_per_ip_per_hour = 2)
        .spawn()
        .await;
    for from in ["203.0.113.1", "203.0.113.2"] {
        assert_eq!(reset_from(&app, from).await.status(), 202);
    }
    let r = reset_from(&app, "203.0.113.3").await;
    assert_problem(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_locked_or_lost_database_answers_503_in_time_and_writes_nothing() {
    if pg_admin_url().is_some() {
        lost_postgres().await;
    } else {
        locked_sqlite().await;
    }
}

async fn locked_sqlite() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    let app = TestApp::builder()
        .with_settings(|s| s.database.busy_timeout_ms = 200)
        .demo()
        .await;
    let citizen = app.citizen().await;
    // Another process holds the write lock.
    let path = app.db_url.trim_start_matches("sqlite://").to_string();
    let mut locker = SqliteConnection::establish(&path).unwrap();
    locker.batch_execute("BEGIN IMMEDIATE;").unwrap();
    let started = Instant::now();
    let r = app.submit(Some(&citizen), &pothole()).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "service_unavailable").await;
    locker.batch_execute("ROLLBACK;").unwrap();
    drop(locker);
    assert_eq!(app.ticket_count().await, 0, "nothing half-written");
    // Service resumes by itself.
    assert_eq!(app.submit(Some(&citizen), &pothole()).await.status(), 201);
}

async fn lost_postgres() {
    use crate::helpers::TestDb;
    use crate::proxy::TcpProxy;
    let (db, url) = TestDb::create();
    let upstream = url::Url::parse(&url).unwrap();
    let addr = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let mut proxy = TcpProxy::start(addr).await;
    let mut through = upstream.clone();
    through.set_port(Some(proxy.addr.port())).unwrap();
    let app = TestApp::builder()
        .with_db_url(through.to_string())
        .with_settings(|s| s.database.acquire_timeout_ms = 500)
        .demo()
        .await;
    let citizen = app.citizen().await;
    proxy.cut();
    let started = Instant::now();
    let r = app.submit(Some(&citizen), &pothole()).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 503, "service_unavailable").await;
    assert_problem(app.get("/health/ready").await, 503, "service_unavailable").await;
    proxy.restore().await;
    let mut created = false;
    for _ in 0..50 {
        if app.submit(Some(&citizen), &pothole()).await.status() == 201 {
            created = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(created, "service resumes by itself");
    assert_eq!(
        app.ticket_count().await,
        1,
        "the failed submission left nothing"
    );
    drop(app);
    drop(db);
}

#[tokio::test]
async fn guessing_tracking_secrets_is_rate_limited() {
    let app = TestApp::builder()
        .with_settings(|s| s.tickets.wrong_secrets_per_hour = 3)
        .demo()
        .await;
    let mut body = pothole();
    body["anonymous"] = json!(true);
    let t: serde_json::Value = app.submit(None, &body).await.json().await.unwrap();
    let code = code_of(&t);
    let secret = t["tracking_secret"].as_str().unwrap().to_string();
    let path = format!("/api/v1/tickets/{code}");
    let get = |s: String| app.with_secret(reqwest::Method::GET, &path, &s).send();
    for i in 0..3 {
        assert_problem(
            get(format!("guess-{i}")).await.unwrap(),
            404,
            "ticket_not_found",
        )
        .await;
    }
    // Now a wrong secret from this address waits …
    let r = get("guess-3".into()).await.unwrap();
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    // … but the right one is still accepted: the submitter may share the guesser's address.
    assert_eq!(get(secret.clone()).await.unwrap().status(), 200);
    app.clock.advance(chrono::Duration::minutes(61));
    assert_problem(
        get("guess-4".into()).await.unwrap(),
        404,
        "ticket_not_found",
    )
    .await;
    assert_eq!(get(secret).await.unwrap().status(), 200);
}
