//! The foundation: health, readiness, metrics, OpenAPI, docs, problems, migrations, start-up.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{TestApp, TestDb, assert_problem, pg_admin_url, test_settings};
use crate::proxy::TcpProxy;

#[tokio::test]
async fn liveness_is_ok() {
    let app = TestApp::spawn().await;
    let body = app.public_json("/health/live").await;
    assert_eq!(body["status"], "live");
}

#[tokio::test]
async fn readiness_names_the_backend() {
    let app = TestApp::spawn().await;
    let body = app.public_json("/health/ready").await;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], app.db.backend());
}

#[tokio::test]
async fn readiness_is_503_while_the_database_is_cut_off_and_recovers() {
    match pg_admin_url() {
        Some(_) => readiness_through_a_cut_proxy().await,
        None => readiness_with_sqlite_locked().await,
    }
}

async fn readiness_through_a_cut_proxy() {
    let (db, url) = TestDb::create();
    let upstream = url::Url::parse(&url).unwrap();
    let upstream_addr = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(5432)
    )
    .parse()
    .unwrap();
    let mut proxy = TcpProxy::start(upstream_addr).await;
    let mut through = upstream.clone();
    through.set_port(Some(proxy.addr.port())).unwrap();
    let app = TestApp::builder()
        .with_db_url(through.to_string())
        .with_settings(|s| s.database.acquire_timeout_ms = 500)
        .spawn()
        .await;
    assert_eq!(app.get("/health/ready").await.status(), 200);

    proxy.cut();
    let started = Instant::now();
    let body = assert_problem(app.get("/health/ready").await, 503, "service_unavailable").await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "answered in time"
    );
    assert!(body["detail"].as_str().unwrap().len() > 10);
    let res = app.get("/health/ready").await;
    assert!(res.headers().get("retry-after").is_some());

    proxy.restore().await;
    let mut ok = false;
    for _ in 0..50 {
        if app.get("/health/ready").await.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "readiness recovers once the database is back");
    drop(app);
    drop(db);
}

/// The pool lends connections without a `SELECT 1` first: a connection the server closed
/// (a restart, a failover, an administrator) fails the one request that used it, with 503, and
/// is dropped, so the next requests get fresh ones. PostgreSQL only: SQLite has no server.
#[tokio::test]
async fn a_closed_connection_fails_one_request_and_is_replaced() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    if pg_admin_url().is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let citizen = app.citizen().await;
    let mine = || async {
        app.authed(reqwest::Method::GET, "/api/v1/me/tickets", &citizen)
            .send()
            .await
            .unwrap()
    };
    assert_eq!(mine().await.status(), 200);
    let mut admin = PgConnection::establish(&app.db_url).unwrap();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();
    let pool_size = app.state.settings.database.pool_size;
    let mut failed = 0;
    loop {
        let res = mine().await;
        if res.status() == 200 {
            break;
        }
        assert_problem(res, 503, "service_unavailable").await;
        failed += 1;
        assert!(
            failed <= pool_size,
            "{failed} requests failed: dead connections go back to the pool"
        );
    }
    // Through a pooler the pooler notices the closed server connection and opens another; the
    // app's own connection to it stays open, so nothing may fail at all.
    assert!(
        failed >= 1 || crate::helpers::pooler_url().is_some(),
        "the closed connection was noticed, not tested away"
    );
    assert_eq!(mine().await.status(), 200);
}

async fn readiness_with_sqlite_locked() {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, SqliteConnection};
    let app = TestApp::builder()
        .with_settings(|s| s.database.busy_timeout_ms = 100)
        .spawn()
        .await;
    assert_eq!(app.get("/health/ready").await.status(), 200);
    let path = app.db_url.trim_start_matches("sqlite://").to_string();
    // Another process holding the write lock longer than the busy timeout.
    let mut locker = SqliteConnection::establish(&path).unwrap();
    locker.batch_execute("BEGIN IMMEDIATE;").unwrap();
    let res = app.get("/health/ready").await;
    assert!(res.headers().get("retry-after").is_some());
    assert_problem(res, 503, "service_unavailable").await;

    locker.batch_execute("ROLLBACK;").unwrap();
    drop(locker);
    assert_eq!(app.get("/health/ready").await.status(), 200);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let app = TestApp::demo().await;
    app.get("/health/live").await;
    app.get("/health/live").await;
    app.get("/no/such/route").await;
    // An invented method is one label value, whatever its name.
    for method in ["PROPFIND", "XYZZY"] {
        app.client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                app.url("/health/live"),
            )
            .send()
            .await
            .unwrap();
    }
    // Two open tickets, one of them past its deadline.
    let citizen = app.citizen().await;
    let late = app.submit_pothole(&citizen).await;
    app.submit_pothole(&citizen).await;
    app.state
        .db(move |c| {
            use diesel::prelude::*;
            use nghedan::db::schema::tickets;
            diesel::update(tickets::table.filter(tickets::code.eq(late)))
                .set(tickets::overdue.eq(true))
                .execute(c)
                .map_err(nghedan::db::Error::from)
        })
        .await
        .unwrap();
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    assert!(
        text.contains(
            r#"nghedan_http_requests_total{method="GET",route="/health/live",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"nghedan_http_requests_total{method="other""#),
        "{text}"
    );
    assert!(!text.contains("PROPFIND") && !text.contains("XYZZY"));
    assert!(
        text.contains(r#"nghedan_tickets_open{status="submitted"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"nghedan_tickets_open{status="accepted"} 0"#));
    assert!(text.contains("nghedan_tickets_open_overdue 1"), "{text}");
    // The API process of a test runs no jobs.
    assert!(text.contains("nghedan_jobs_last_pass_age_seconds -1"));
    assert!(text.contains("nghedan_http_request_duration_seconds_bucket"));
    assert!(text.contains("nghedan_db_pool_max_connections 4"));
    assert!(text.contains("nghedan_db_pool_connections"));
}

#[tokio::test]
async fn metrics_can_require_a_bearer_token() {
    let token = "a-metrics-scrape-token-long-enough-0001";
    let app = TestApp::builder()
        .with_settings(move |s| s.metrics.bearer_token = token.into())
        .spawn()
        .await;
    assert_problem(app.get("/metrics").await, 401, "unauthenticated").await;
    let wrong = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("a-metrics-scrape-token-long-enough-0002")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "invalid_token").await;
    let right = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("nghedan_http_requests_total")
    );
}

/// `nosniff` on every response; HTML pages may not be framed by another site (clickjacking
/// the one-click unsubscribe button).
#[tokio::test]
async fn responses_carry_nosniff_and_html_pages_refuse_framing() {
    let app = TestApp::spawn().await;
    for path in [
        "/health/live",
        "/api/v1/openapi.json",
        "/api/v1/nothing-here",
        "/docs/swagger-ui-bundle.js",
        "/metrics",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert!(
            !res.headers().contains_key("content-security-policy"),
            "{path}"
        );
    }
    // A real unsubscribe link (the page checks its signature).
    let user = app
        .create_user(nghedan::domain::account::Role::Citizen, None)
        .await;
    let token = nghedan::notify::links::sign(
        &app.state.settings.notifications.link_secret,
        &nghedan::notify::links::Subject::User { u: user.id },
    );
    let unsubscribe = format!("/api/v1/unsubscribe?token={token}");
    for path in ["/docs", "/docs/", unsubscribe.as_str()] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(res.headers()["x-frame-options"], "DENY", "{path}");
    }
    let res = app
        .client
        .post(app.url("/api/v1/unsubscribe?token=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn openapi_is_3_1_and_lists_every_route() {
    let app = TestApp::spawn().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "nghedan");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/health/live",
        "/health/ready",
        "/metrics",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
    }
    // Every documented operation is routed: none answers route_not_found.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["responses"].is_object(), "{method} {path} has responses");
            // Every path parameter becomes `1` (an action, `accept`).
            let concrete = path
                .split('/')
                .map(|seg| match seg {
                    "{action}" => "accept",
                    s if s.starts_with('{') => "1",
                    s => s,
                })
                .collect::<Vec<_>>()
                .join("/");
            let req = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete));
            let res = req.send().await.unwrap();
            if res.status() == 404 {
                let body: Value = res.json().await.unwrap_or_default();
                assert_ne!(body["code"], "route_not_found", "{method} {path}");
            }
        }
    }
    // Referenced schemas exist.
    let text = doc.to_string();
    let mut missing: Vec<&str> = text
        .split("\"#/components/schemas/")
        .skip(1)
        .map(|piece| piece.split('"').next().unwrap())
        .filter(|name| doc["components"]["schemas"].get(name).is_none())
        .collect();
    missing.dedup();
    assert!(missing.is_empty(), "undefined schemas: {missing:?}");
}

#[tokio::test]
async fn docs_page_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let res = app.get("/docs").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.unwrap();
    // The page at /docs loads every asset it names from the binary.
    for asset in [
        "/docs/swagger-ui.css",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-initializer.js",
    ] {
        assert!(page.contains(asset), "{page}");
        assert_eq!(app.get(asset).await.status(), 200, "{asset}");
    }
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.to_lowercase().contains("swagger"), "{html}");
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status(), 200);
    assert!(init.text().await.unwrap().contains("/api/v1/openapi.json"));
    assert_eq!(app.get("/docs/swagger-ui-bundle.js").await.status(), 200);
}

#[tokio::test]
async fn unknown_routes_are_404_problems_in_the_callers_language() {
    let app = TestApp::spawn().await;
    let vi = assert_problem(
        app.get("/api/v1/nothing-here").await,
        404,
        "route_not_found",
    )
    .await;
    assert_eq!(vi["title"], "Không tìm thấy");
    let res = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .header("Accept-Language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-language"], "en");
    let en = assert_problem(res, 404, "route_not_found").await;
    assert_eq!(en["title"], "Not found");
    assert!(
        en["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );
    assert_eq!(en["type"], "urn:nghedan:problem:route_not_found");
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "client-abc.123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "client-abc.123");
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "has spaces and <tags>")
        .send()
        .await
        .unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(made.len(), 32);
    let a = app.get("/health/live").await.headers()["x-request-id"].clone();
    let b = app.get("/health/live").await.headers()["x-request-id"].clone();
    assert_ne!(a, b);
}

#[tokio::test]
async fn migrations_run_up_down_up() {
    use nghedan::db;
    let (test_db, url) = TestDb::create_empty();
    let settings = test_settings(&url);
    let pool = db::build_pool(&settings.database).unwrap();
    let mut conn = pool.get().unwrap();
    let applied = db::migrate::run_pending(&mut conn).unwrap();
    assert!(!applied.is_empty());
    assert!(db::migrate::pending(&mut conn).unwrap().is_empty());
    let tables_up = user_tables(&mut conn);
    assert!(
        tables_up.contains(&"idempotency_keys".to_string()),
        "{tables_up:?}"
    );

    let reverted = db::migrate::revert_all(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    let tables_down = user_tables(&mut conn);
    assert!(
        tables_down.is_empty(),
        "every down undoes its up; left: {tables_down:?}"
    );

    let again = db::migrate::run_pending(&mut conn).unwrap();
    assert_eq!(again, applied);
    assert_eq!(user_tables(&mut conn), tables_up);
    drop(conn);
    drop(pool);
    drop(test_db);
}

/// Tables other than diesel's own bookkeeping, sorted.
fn user_tables(conn: &mut nghedan::db::DbConn) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let sql = match conn.backend() {
        nghedan::db::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name <> '__diesel_schema_migrations' ORDER BY name"
        }
        nghedan::db::Backend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             ORDER BY table_name"
        }
    };
    diesel::sql_query(sql)
        .load::<Name>(conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect()
}

/// Runs the real binary with a clean environment plus `envs`; returns (success, stderr).
fn run_binary(args: &[&str], envs: &[(&str, &str)], cwd: &std::path::Path) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nghedan"));
    cmd.args(args).current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("NGHEDAN") {
            cmd.env_remove(k);
        }
    }
    // No NGHEDAN_CONFIG_DIR: the binary's own compiled-in files, from an empty directory.
    cmd.env("NGHEDAN__LOG__LEVEL", "error");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run nghedan");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_database_urls_stop_start_up_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = run_binary(
        &["migrate"],
        &[("NGHEDAN__DATABASE__URL", "postgress://u@127.0.0.1/db")],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("database.url"), "{err}");
    assert!(err.contains("postgress://"), "{err}");
    // Nothing was created on the way.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

    let (ok, err) = run_binary(
        &["migrate"],
        &[(
            "NGHEDAN__DATABASE__URL",
            "postgres://nobody:secret@127.0.0.1:1/nghe",
        )],
        dir.path(),
    );
    assert!(!ok);
    assert!(
        err.contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{err}"
    );
    assert!(err.contains("database `nghe`"), "{err}");
    assert!(!err.contains("secret"), "password must not be shown: {err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn missing_role_or_database_is_named() {
    let Some(admin) = pg_admin_url() else {
        // This case needs a PostgreSQL server; the PostgreSQL run of the suite covers it.
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let no_db = crate::helpers::with_database(&admin, "nghedan_does_not_exist");
    let (ok, err) = run_binary(
        &["migrate"],
        &[("NGHEDAN__DATABASE__URL", &no_db)],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("nghedan_does_not_exist"), "{err}");
    assert!(err.contains("does not exist"), "{err}");

    let mut no_role = url::Url::parse(&admin).unwrap();
    no_role.set_username("nghedan_no_such_role").unwrap();
    let (ok, err) = run_binary(
        &["migrate"],
        &[("NGHEDAN__DATABASE__URL", no_role.as_str())],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("nghedan_no_such_role"), "{err}");
}

#[test]
fn configuration_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = run_binary(
        &["migrate"],
        &[("NGHEDAN__SERVER__PORT", "eighty")],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("server.port"), "{err}");

    let (ok, err) = run_binary(&["migrate"], &[("NGHEDAN_ENV", "staging")], dir.path());
    assert!(!ok);
    assert!(err.contains("NGHEDAN_ENV"), "{err}");
}

/// Settings production accepts, but for a database that is not there.
const GOOD_PRODUCTION: &[(&str, &str)] = &[
    ("NGHEDAN_ENV", "production"),
    ("NGHEDAN__SERVER__PUBLIC_URL", "https://gopy.example.gov.vn"),
    ("NGHEDAN__DATABASE__URL", "postgres://127.0.0.1:1/x"),
    (
        "NGHEDAN__AUTH__JWT_SECRET",
        "a-real-secret-that-is-long-enough-123",
    ),
    (
        "NGHEDAN__NOTIFICATIONS__LINK_SECRET",
        "another-real-secret-long-enough-456",
    ),
    (
        "NGHEDAN__METRICS__BEARER_TOKEN",
        "a-metrics-scrape-token-long-enough-789",
    ),
];

/// `GOOD_PRODUCTION` with `changes` on top.
fn production_with(changes: &[(&str, &str)]) -> Vec<(&'static str, String)> {
    let mut envs: Vec<(&str, String)> = GOOD_PRODUCTION
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    for (k, v) in changes {
        envs.retain(|(e, _)| e != k);
        envs.push((k.to_string().leak(), v.to_string()));
    }
    envs
}

fn run_production(changes: &[(&str, &str)], cwd: &std::path::Path) -> (bool, String) {
    let envs = production_with(changes);
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_binary(&["migrate"], &envs, cwd)
}

#[test]
fn production_refuses_the_shipped_settings_naming_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = run_binary(&["migrate"], &[("NGHEDAN_ENV", "production")], dir.path());
    assert!(!ok);
    for key in [
        "server.public_url",
        "database.url",
        "auth.jwt_secret",
        "notifications.link_secret",
        // An open /metrics is for local and test only.
        "metrics.bearer_token",
    ] {
        assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
    }
    assert!(err.contains("default value"), "{err}");
    // Production's own file is compiled in (the working directory has no config/): it sends
    // email over SMTP, so email.backend is not among the problems.
    assert!(!err.contains("email.backend"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn production_gets_past_the_checks_with_safe_settings() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, err) = run_production(&[], dir.path());
    assert!(!ok);
    assert!(!err.contains("must change"), "{err}");
    assert!(!err.contains("configuration key"), "{err}");
    assert!(err.contains("cannot connect"), "{err}");
    // SQLite, for one small commune, when said so: it migrates.
    let (ok, err) = run_production(
        &[
            ("NGHEDAN__DATABASE__URL", "sqlite://data/nghedan.db"),
            ("NGHEDAN__DATABASE__ALLOW_SQLITE_IN_PRODUCTION", "true"),
        ],
        dir.path(),
    );
    assert!(ok, "{err}");
    assert!(dir.path().join("data/nghedan.db").exists());
}

#[test]
fn production_refuses_each_unsafe_setting_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let s3 = [
        ("NGHEDAN__MEDIA__STORE", "s3"),
        ("NGHEDAN__MEDIA__S3__BUCKET", "photos"),
    ];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("NGHEDAN__EMAIL__BACKEND", "file")], "email.backend"),
        (vec![("NGHEDAN__EMAIL__BACKEND", "memory")], "email.backend"),
        (
            vec![("NGHEDAN__SERVER__PUBLIC_URL", "http://gopy.example.gov.vn")],
            "server.public_url",
        ),
        (
            vec![("NGHEDAN__SERVER__PUBLIC_URL", "https://127.0.0.1:8443")],
            "server.public_url",
        ),
        (
            vec![("NGHEDAN__DATABASE__URL", "sqlite://data/nghedan.db")],
            "database.url",
        ),
        (
            vec![("NGHEDAN__EMAIL__SMTP_ACCEPT_INVALID_CERTS", "true")],
            "email.smtp_accept_invalid_certs",
        ),
        (
            [&s3[..], &[("NGHEDAN__MEDIA__S3__ALLOW_HTTP", "true")]].concat(),
            "media.s3.allow_http",
        ),
        (
            [
                &s3[..],
                &[("NGHEDAN__MEDIA__S3__ENDPOINT", "http://minio.internal:9000")],
            ]
            .concat(),
            "media.s3.endpoint",
        ),
        (
            vec![("NGHEDAN__PUSH__FCM_API_BASE", "http://127.0.0.1:9")],
            "push.fcm_api_base",
        ),
        (
            vec![("NGHEDAN__AUTH__JWT_SECRET", "too-short")],
            "auth.jwt_secret",
        ),
        (
            vec![("NGHEDAN__AUTH__JWT_PREVIOUS_SECRET", "too-short")],
            "auth.jwt_previous_secret",
        ),
        (
            vec![("NGHEDAN__NOTIFICATIONS__LINK_SECRET", "too-short")],
            "notifications.link_secret",
        ),
        (
            vec![("NGHEDAN__METRICS__BEARER_TOKEN", "")],
            "metrics.bearer_token",
        ),
        (
            vec![(
                "NGHEDAN__EMAIL__SMTP_PASSWORD",
                "insecure-default-smtp-password",
            )],
            "email.smtp_password",
        ),
    ];
    for (changes, key) in cases {
        let (ok, err) = run_production(&changes, dir.path());
        assert!(!ok, "{changes:?}");
        assert!(err.contains(&format!("`{key}`")), "{changes:?}: {err}");
        assert!(!err.contains("cannot connect"), "{changes:?}: {err}");
    }
    // Several at once: all of them in one message.
    let (ok, err) = run_production(
        &[
            ("NGHEDAN__EMAIL__BACKEND", "file"),
            ("NGHEDAN__SERVER__PUBLIC_URL", "http://gopy.example.gov.vn"),
            ("NGHEDAN__AUTH__JWT_SECRET", "too-short"),
        ],
        dir.path(),
    );
    assert!(!ok);
    assert!(err.contains("3 settings must change"), "{err}");
    for key in ["email.backend", "server.public_url", "auth.jwt_secret"] {
        assert!(err.contains(&format!("`{key}`")), "{key}: {err}");
    }
}

#[test]
fn secrets_can_come_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwt_secret");
    let file_var = ("NGHEDAN__AUTH__JWT_SECRET_FILE", file.to_str().unwrap());
    let run = |with_direct: bool| {
        let mut envs: Vec<(&str, &str)> = GOOD_PRODUCTION
            .iter()
            .copied()
            .filter(|(k, _)| with_direct || *k != "NGHEDAN__AUTH__JWT_SECRET")
            .collect();
        envs.push(file_var);
        run_binary(&["migrate"], &envs, dir.path())
    };
    // A Docker secret or a systemd credential: the value, then a newline.
    std::fs::write(&file, "a-jwt-secret-read-from-a-file-0000000\n").unwrap();
    let (ok, err) = run(false);
    assert!(!ok);
    assert!(!err.contains("auth.jwt_secret"), "{err}");
    assert!(err.contains("cannot connect"), "{err}");
    // What the file holds is checked like any secret (the newline is not part of it).
    std::fs::write(&file, "short\n").unwrap();
    let (_, err) = run(false);
    assert!(
        err.contains("`auth.jwt_secret`: must be at least 32 bytes"),
        "{err}"
    );
    // Set both ways: which one would win is not guessed.
    let (ok, err) = run(true);
    assert!(!ok);
    assert!(
        err.contains("NGHEDAN__AUTH__JWT_SECRET and NGHEDAN__AUTH__JWT_SECRET_FILE"),
        "{err}"
    );
}

#[test]
fn version_names_the_commit() {
    let out = Command::new(env!("CARGO_BIN_EXE_nghedan"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    let manifest = env!("CARGO_MANIFEST_DIR");
    let git = Command::new("git")
        .args(["-C", manifest, "rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8(o.stdout).unwrap().trim().to_string());
    // Built with NGHEDAN_GIT_COMMIT (a container), from a checkout, or from neither.
    let commit = std::env::var("NGHEDAN_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or(git)
        .unwrap_or_else(|| "unknown".into());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("nghedan {} ({commit})\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_binary_migrates_serves_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _db) = match pg_admin_url() {
        Some(_) => {
            let (db, url) = TestDb::create();
            (url, Some(db))
        }
        None => ("sqlite://data/nghedan.db".to_string(), None),
    };
    let (ok, err) = run_binary(
        &["migrate"],
        &[("NGHEDAN__DATABASE__URL", &db_url)],
        dir.path(),
    );
    assert!(ok, "{err}");
    if db_url.starts_with("sqlite") {
        assert!(dir.path().join("data/nghedan.db").exists());
    }

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nghedan"))
        .arg("serve")
        .current_dir(dir.path())
        .env("NGHEDAN_CONFIG_DIR", crate::helpers::config_dir())
        .env("NGHEDAN__DATABASE__URL", &db_url)
        .env("NGHEDAN__SERVER__PORT", port.to_string())
        .env("NGHEDAN__LOG__LEVEL", "error")
        .spawn()
        .unwrap();
    assert!(
        wait_until_ready(port),
        "the server answers /health/ready with 200"
    );
    // What the container's HEALTHCHECK runs.
    let healthcheck = |port: u16, worker: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nghedan"));
        cmd.arg("healthcheck")
            .env("NGHEDAN_CONFIG_DIR", crate::helpers::config_dir())
            .env("NGHEDAN__SERVER__PORT", port.to_string())
            .env("NGHEDAN__WORKER__PORT", port.to_string());
        if worker {
            cmd.arg("--worker");
        }
        cmd.output().unwrap()
    };
    assert!(healthcheck(port, false).status.success());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = healthcheck(closed, false);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not answer"));
    // SIGTERM: the server drains and exits cleanly.
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "exits after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");

    // The worker alone stops cleanly on SIGTERM too (not killed by it).
    let mut worker = Command::new(env!("CARGO_BIN_EXE_nghedan"))
        .arg("worker")
        .current_dir(dir.path())
        .env("NGHEDAN_CONFIG_DIR", crate::helpers::config_dir())
        .env("NGHEDAN__DATABASE__URL", &db_url)
        .env("NGHEDAN__LOG__LEVEL", "info")
        .env("NGHEDAN__LOG__FORMAT", "json")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = worker.stdout.take().unwrap();
    let err = worker.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for pipe in [
        Box::new(out) as Box<dyn std::io::Read + Send>,
        Box::new(err),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    // Wait on the log line, not on time; the deadline only keeps a broken build from hanging.
    // It names the port the worker answers health and metrics on (the tests' `worker.port` is 0).
    let deadline = Instant::now() + Duration::from_secs(20);
    let port = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the worker says it runs");
        if line.contains("nghedan worker running") {
            let log: Value = serde_json::from_str(&line).unwrap();
            break log["fields"]["port"]
                .as_u64()
                .expect("the port in the log line") as u16;
        }
    };
    let (status, body) = http_get(port, "/health/live");
    assert_eq!(status, 200, "{body}");
    assert!(wait_until_ready(port), "the worker answers /health/ready");
    assert!(healthcheck(port, true).status.success());
    let (status, body) = http_get(port, "/nothing-here");
    assert_eq!(status, 404);
    assert!(body.contains("route_not_found"), "{body}");
    // The first pass completes; its age and the process's own figures are in the metrics.
    let metrics = loop {
        let (status, body) = http_get(port, "/metrics");
        assert_eq!(status, 200, "{body}");
        if !body.contains("nghedan_jobs_last_pass_age_seconds -1") {
            break body;
        }
        assert!(Instant::now() < deadline, "a jobs pass completes:\n{body}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(metrics.contains("nghedan_jobs_passes_total{outcome=\"ok\"}"));
    for name in [
        "process_resident_memory_bytes",
        "process_cpu_seconds_total",
        "process_open_fds",
    ] {
        assert!(metrics.contains(name), "{name} in\n{metrics}");
    }
    let _ = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status();
    // Block on the exit itself (in a thread, so a worker that ignores SIGTERM fails the test
    // instead of hanging it).
    let (done, exited) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(worker.wait());
    });
    let status = exited
        .recv_timeout(Duration::from_secs(20))
        .expect("the worker exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "the worker exits 0 on SIGTERM: {status}");
}

/// One `GET path` on loopback `port`: the status and the body.
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf[9..12].parse().unwrap();
    let body = buf
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

/// Polls /health/ready on `port` until it answers 200 (or 20 s pass).
fn wait_until_ready(port: u16) -> bool {
    {
        use std::io::{Read, Write};
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(20) {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = s.write_all(
                    b"GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                );
                let mut buf = String::new();
                let _ = s.read_to_string(&mut buf);
                if buf.starts_with("HTTP/1.1 200") {
                    return true;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        false
    }
}
