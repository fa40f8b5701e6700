//! `TestApp`: the real application on 127.0.0.1:0 with a fresh database per test — a temp
//! SQLite file, or a new PostgreSQL database when `NGHEDAN_TEST_DATABASE_URL` points at a
//! server (dropped afterwards). Later capabilities extend it (users, tokens, mail, clock).
// Shared by every test module; not each uses all of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection, RunQueryDsl};
use nghedan::clock::TestClock;
use nghedan::config::{Environment, Settings};
use nghedan::state::AppState;
use nghedan::{Application, Dependencies};
use serde_json::Value;

/// The PostgreSQL server to test against, if any.
pub fn pg_admin_url() -> Option<String> {
    // Before this process's first libpq connection (see `init_openssl`).
    nghedan::db::init_openssl();
    std::env::var("NGHEDAN_TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// `NGHEDAN_TEST_POOLER_URL`: a connection pooler in transaction mode in front of the server
/// (CI's third run, PgBouncer). Test apps and the binaries they start connect through it; test
/// databases are still created and dropped straight on the server.
pub fn pooler_url() -> Option<String> {
    std::env::var("NGHEDAN_TEST_POOLER_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A database that disappears with the test.
pub enum TestDb {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn create_sqlite() -> (Self, String) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("nghedan.db").display());
        (TestDb::Sqlite(dir), url)
    }

    pub fn create() -> (Self, String) {
        Self::create_from(true)
    }

    /// A database with nothing in it, not even the migrations.
    pub fn create_empty() -> (Self, String) {
        Self::create_from(false)
    }

    fn create_from(use_template: bool) -> (Self, String) {
        match pg_admin_url() {
            Some(admin_url) => {
                let name = format!("nghedan_t_{}", uuid::Uuid::new_v4().simple());
                let template = if use_template {
                    pg_template(&admin_url)
                } else {
                    "template0".to_string()
                };
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("NGHEDAN_TEST_DATABASE_URL: {e}"));
                diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let url = with_database(&pooler_url().unwrap_or_else(|| admin_url.clone()), &name);
                (TestDb::Postgres { admin_url, name }, url)
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("nghedan.db").display());
                (TestDb::Sqlite(dir), url)
            }
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            TestDb::Sqlite(_) => "sqlite",
            TestDb::Postgres { .. } => "postgres",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres { admin_url, name } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// A migrated database with the reference data loaded, made once per build of the test
/// binary and copied for each test (`CREATE DATABASE … TEMPLATE`): much faster than migrating
/// and loading 3,355 areas every time. Older templates are dropped.
fn pg_template(admin_url: &str) -> String {
    static TEMPLATE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test binary");
            let meta = std::fs::metadata(&exe).expect("test binary metadata");
            let stamp = format!("{:?}{}", meta.modified().ok(), meta.len());
            let hash = &nghedan::auth::tokens::hash_token(&stamp)[..16];
            // Named with the binary's build time, so that old templates can be told apart:
            // another checkout's test run may be using its own template right now.
            let built = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            let name = format!("nghedan_tpl_{built}_{hash}");
            let mut admin = PgConnection::establish(admin_url).expect("admin connection");
            // One process builds it; others (other test binaries) wait.
            diesel::sql_query("SELECT pg_advisory_lock(7201)")
                .execute(&mut admin)
                .expect("lock");
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = diesel::sql_types::Text)]
                datname: String,
            }
            let existing: Vec<Name> = diesel::sql_query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'nghedan\\_tpl\\_%'",
            )
            .load(&mut admin)
            .expect("list templates");
            if !existing.iter().any(|n| n.datname == name) {
                // Templates of binaries built more than a day before this one go; newer ones
                // may belong to a concurrent run elsewhere and stay.
                for old in &existing {
                    let old_built = old
                        .datname
                        .split('_')
                        .nth(2)
                        .and_then(|t| t.parse::<u64>().ok())
                        .unwrap_or(0);
                    if old_built + 86_400 < built {
                        let _ = diesel::sql_query(format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            old.datname
                        ))
                        .execute(&mut admin);
                    }
                }
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create template");
                let settings = test_settings(&with_database(admin_url, &name));
                let pool = nghedan::db::build_pool(&settings.database).expect("template pool");
                let mut conn = pool.get().expect("template connection");
                nghedan::db::migrate::run_pending(&mut conn).expect("template migrations");
                nghedan::db::reference::load(&mut conn, start_time().naive_utc())
                    .expect("template reference data");
                drop(conn);
                drop(pool);
            }
            diesel::sql_query("SELECT pg_advisory_unlock(7201)")
                .execute(&mut admin)
                .expect("unlock");
            name
        })
        .clone()
}

/// `url` with its database name replaced.
pub fn with_database(url: &str, name: &str) -> String {
    let mut u = url::Url::parse(url).expect("database URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// Records which backend each test ran on, so CI can prove the PostgreSQL run really ran.
pub fn record_in_ledger(backend: &str) {
    if let Ok(path) = std::env::var("NGHEDAN_TEST_LEDGER")
        && let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        // One `write` of the whole line: with `O_APPEND` it lands whole even while other test
        // threads append (`writeln!` may write the word and the newline apart, and interleave).
        let _ = f.write_all(format!("{backend}\n").as_bytes());
    }
}

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

/// Settings of the `test` environment, pointing at `db_url`, on a free port.
pub fn test_settings(db_url: &str) -> Settings {
    let mut s = Settings::load_from(Environment::Test, &config_dir(), false).expect("settings");
    s.server.port = 0;
    s.server.workers = 1;
    s.server.shutdown_timeout_secs = 1;
    s.database.url = db_url.to_string();
    s.database.pool_size = 4;
    // Behind a pooler in transaction mode, as README's PgBouncer section says to set it.
    if pooler_url().is_some() {
        s.database.prepared_statements = false;
    }
    s
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T02:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub clock: Arc<TestClock>,
    pub state: AppState,
    pub server: actix_web::dev::ServerHandle,
    pub db_url: String,
    /// The SMTP server every email of this app goes to.
    pub smtp: crate::smtp::SmtpServer,
    /// The local media store's directory (`media.local_dir`), removed with the app.
    pub media_dir: tempfile::TempDir,
    // Dropped last: the database outlives the server.
    pub db: TestDb,
}

/// An email as it arrived at the SMTP server.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Mail {
    /// The first `name=VALUE` query value in the text (tokens in links).
    pub fn link_param(&self, name: &str) -> Option<String> {
        let key = format!("{name}=");
        let start = self.text.find(&key)? + key.len();
        Some(
            self.text[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect(),
        )
    }

    /// The first run of six digits on a line of its own (the verification code).
    pub fn code(&self) -> Option<String> {
        self.text
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    }
}

type Customize = Box<dyn FnOnce(&mut Settings)>;

pub struct TestAppBuilder {
    customize: Vec<Customize>,
    db_url: Option<String>,
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            customize: Vec::new(),
            db_url: None,
        }
    }

    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    /// The SQLite URL of this app's database.
    pub fn sqlite_url(&self) -> String {
        self.db_url.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

impl TestAppBuilder {
    pub fn with_settings(mut self, f: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.customize.push(Box::new(f));
        self
    }

    /// Use this database URL instead of a fresh one (e.g. through a TCP proxy).
    pub fn with_db_url(mut self, url: String) -> Self {
        self.db_url = Some(url);
        self
    }

    /// On a SQLite file whatever the suite's backend (for tests that hand the file to the
    /// binary).
    pub async fn spawn_sqlite_file(self) -> TestApp {
        self.spawn_on(TestDb::create_sqlite(), false).await
    }

    pub async fn spawn(self) -> TestApp {
        self.spawn_on(TestDb::create(), true).await
    }

    /// `counted`: recorded in the ledger CI reads to prove which backend the suite ran on.
    async fn spawn_on(self, (db, fresh_url): (TestDb, String), counted: bool) -> TestApp {
        nghedan::startup::install_crypto();
        // `NGHEDAN_TEST_LOG=nghedan::sql=trace` shows what the server did (here: each statement).
        if let Ok(filter) = std::env::var("NGHEDAN_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        if counted {
            record_in_ledger(match (db.backend(), pooler_url()) {
                ("postgres", Some(_)) => "pgbouncer",
                (backend, _) => backend,
            });
        }
        let db_url = self.db_url.unwrap_or_else(|| fresh_url.clone());
        let smtp = crate::smtp::SmtpServer::start(
            crate::smtp::Security::Plain,
            crate::smtp::Behaviour::Accept,
            false,
        )
        .await;
        let mut settings = test_settings(&db_url);
        settings.email.backend = "smtp".into();
        settings.email.smtp_host = "127.0.0.1".into();
        settings.email.smtp_port = smtp.port();
        settings.email.smtp_tls = "plain".into();
        settings.email.smtp_timeout_ms = 5_000;
        let media_dir = tempfile::tempdir().expect("media dir");
        settings.media.local_dir = media_dir.path().to_string_lossy().into_owned();
        for f in self.customize {
            f(&mut settings);
        }
        let clock = Arc::new(TestClock::new(start_time()));
        let app = Application::build(
            settings,
            Dependencies {
                clock: clock.clone(),
            },
            false,
        )
        .await
        .expect("application starts");
        let port = app.port();
        let state = app.state().clone();
        let server = app.server_handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            clock,
            state,
            server,
            db_url: fresh_url,
            smtp,
            media_dir,
            db,
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Sends the stop command at once; the database is dropped after.
        drop(self.server.stop(false));
    }
}

/// Asserts a problem+json response and returns its body.
pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status for {code}");
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    let request_id = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_string())
        .expect("x-request-id header");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str());
    for field in ["type", "title", "detail"] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} in {body}"
        );
    }
    body
}

/// An account made directly in the database, and its password.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub role: nghedan::domain::account::Role,
}

pub const TEST_PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Creates a verified account with `role` (and unit) straight in the database.
    pub async fn create_user(
        &self,
        role: nghedan::domain::account::Role,
        unit_id: Option<i64>,
    ) -> TestUser {
        let email = format!(
            "{}-{}@example.vn",
            role.as_str(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let hash = self.state.auth.hasher.hash(TEST_PASSWORD).unwrap();
        let now = self.clock_now_naive();
        let e = email.clone();
        let user = self
            .state
            .db(move |conn| {
                nghedan::db::users::create(
                    conn,
                    &nghedan::db::users::NewUser {
                        email: &e,
                        phone: Some("+84912345678"),
                        full_name: "Nguyễn Thị Kiểm Thử",
                        password_hash: &hash,
                        role,
                        unit_id,
                        locale: nghedan::i18n::Lang::Vi,
                        verified: true,
                    },
                    now,
                )
            })
            .await
            .expect("create user");
        TestUser {
            id: user.id,
            email,
            password: TEST_PASSWORD.to_string(),
            role,
        }
    }

    /// Runs the background jobs once (delivery of the outbox included), as a worker would.
    pub async fn run_jobs(&self) -> nghedan::jobs::Pass {
        nghedan::jobs::run_once(&self.state)
            .await
            .expect("jobs pass")
    }

    /// Every email the SMTP server received, parsed.
    pub fn mails(&self) -> Vec<Mail> {
        use mail_parser::MessageParser;
        self.smtp
            .received()
            .into_iter()
            .map(|r| {
                let m = MessageParser::default()
                    .parse(&r.data)
                    .expect("parseable mail");
                Mail {
                    to: r.to.clone(),
                    subject: m.subject().unwrap_or_default().to_string(),
                    text: m.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
                    html: m.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
                    raw: String::from_utf8_lossy(&r.data).into_owned(),
                }
            })
            .collect()
    }

    /// Delivers the outbox, then returns the mails to `address`.
    pub async fn mails_to(&self, address: &str) -> Vec<Mail> {
        self.run_jobs().await;
        self.mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == address))
            .collect()
    }

    pub fn clock_now_naive(&self) -> chrono::NaiveDateTime {
        use nghedan::clock::Clock;
        self.clock.now().naive_utc()
    }

    /// Signs in; returns the token pair's JSON.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res = self.try_login(email, password).await;
        assert_eq!(res.status(), 200, "login of {email}");
        res.json().await.unwrap()
    }

    /// An access token for a fresh account with `role`.
    pub async fn token_for(
        &self,
        role: nghedan::domain::account::Role,
        unit_id: Option<i64>,
    ) -> (TestUser, String) {
        let user = self.create_user(role, unit_id).await;
        let pair = self.login(&user.email, &user.password).await;
        let token = pair["access_token"].as_str().unwrap().to_string();
        (user, token)
    }

    /// A new access token for `user` (after the test clock moved past the old one's life).
    pub async fn relogin(&self, user: &TestUser) -> String {
        self.login(&user.email, &user.password).await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A request with a bearer token.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }
}
