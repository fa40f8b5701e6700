//! Typed settings: `config/default.toml` < `config/{environment}.toml` (both compiled into the
//! binary, so it runs the same from any directory) < the same files in `NGHEDAN_CONFIG_DIR`,
//! if set < `NGHEDAN__SECTION__KEY` environment variables (secrets also from files, see
//! [`sources`]). In `production` the settings are also held to [`production`]'s rules.

pub mod production;
pub mod sources;

use std::path::Path;

use serde::Deserialize;

pub use production::Problem;

/// Every secret's shipped value starts with this; production refuses to start with one.
pub const DEFAULT_SECRET_PREFIX: &str = "insecure-default";

const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Local,
    Test,
    Production,
}

impl Environment {
    pub fn as_str(self) -> &'static str {
        match self {
            Environment::Local => "local",
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }

    /// The environment's own file, as compiled in.
    fn compiled_file(self) -> &'static str {
        match self {
            Environment::Local => include_str!("../config/local.toml"),
            Environment::Test => include_str!("../config/test.toml"),
            Environment::Production => include_str!("../config/production.toml"),
        }
    }

    /// Reads `NGHEDAN_ENV` (default `local`).
    pub fn from_env() -> Result<Self, SettingsError> {
        match std::env::var("NGHEDAN_ENV") {
            Err(_) => Ok(Environment::Local),
            Ok(v) => v.parse(),
        }
    }
}

impl std::str::FromStr for Environment {
    type Err = SettingsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "local" | "" => Ok(Environment::Local),
            "test" => Ok(Environment::Test),
            "production" => Ok(Environment::Production),
            other => Err(SettingsError::Invalid {
                key: "NGHEDAN_ENV".into(),
                message: format!("`{other}` is not one of local, test, production"),
            }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: String, message: String },
    /// More than one setting must change: all of them, one a line.
    #[error("{}", production::list(.0))]
    Problems(Vec<Problem>),
}

impl SettingsError {
    /// `Ok` for none, the one problem, or all of them.
    fn from_problems(mut problems: Vec<Problem>) -> Result<(), SettingsError> {
        match problems.len() {
            0 => Ok(()),
            1 => {
                let p = problems.remove(0);
                Err(SettingsError::Invalid {
                    key: p.key,
                    message: p.message,
                })
            }
            _ => Err(SettingsError::Problems(problems)),
        }
    }
}

fn invalid(key: &str, message: impl Into<String>) -> Problem {
    Problem::new(key, message)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(skip, default = "default_environment")]
    pub environment: Environment,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub jobs: JobSettings,
    pub worker: WorkerSettings,
    pub log: LogSettings,
    pub auth: AuthSettings,
    pub limits: LimitSettings,
    pub areas: AreaSettings,
    pub media: crate::media::MediaSettings,
    pub email: crate::notify::EmailSettings,
    pub push: crate::notify::PushSettings,
    pub notifications: NotificationSettings,
    pub tickets: TicketSettings,
    pub deadlines: DeadlineSettings,
    pub metrics: MetricsSettings,
    pub housekeeping: HousekeepingSettings,
    pub apps: AppSettings,
    pub open311: Open311Settings,
    pub receptions: ReceptionSettings,
}

/// `[receptions]`: citizen reception (src/workflow/reception_days.rs).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptionSettings {
    /// Slots a head's reception day offers for bookings when it does not say.
    pub slots_per_day: i32,
    /// How often the head of a unit must receive citizens: by unit kind, then the level of
    /// the areas the unit covers (`commune` or `province`). A unit whose kind and level are
    /// not listed has no such duty.
    pub head_days: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, crate::domain::reception::Frequency>,
    >,
}

/// `[open311]`: the GeoReport v2 door (src/open311).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Open311Settings {
    /// The `jurisdiction_id` clients may send (an empty one is accepted too).
    pub jurisdiction_id: String,
    /// Who to ask about the service, as discovery tells it.
    pub contact: String,
    /// Service requests each client key may post per hour.
    pub posts_per_hour: i32,
}

/// `[apps]`: the oldest app each platform may still use (`X-App-Version`), and where to
/// get a newer one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettings {
    /// Empty: no minimum.
    #[serde(deserialize_with = "optional_version")]
    pub min_android: Option<semver::Version>,
    #[serde(deserialize_with = "optional_version")]
    pub min_ios: Option<semver::Version>,
    #[serde(deserialize_with = "optional_version")]
    pub min_web: Option<semver::Version>,
    pub android_store_url: String,
    pub ios_store_url: String,
}

/// A semantic version, or nothing for an empty string.
fn optional_version<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<semver::Version>, D::Error> {
    let text = String::deserialize(d)?;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    semver::Version::parse(text).map(Some).map_err(|e| {
        serde::de::Error::custom(format!(
            "`{text}` is not a semantic version (e.g. 2.3.0): {e}"
        ))
    })
}

/// What the jobs delete once it is no longer needed (see `jobs::housekeeping`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HousekeepingSettings {
    /// A jobs pass does the housekeeping when this long has passed since it last did.
    pub interval_secs: i64,
    /// Expired refresh, verification and reset tokens are kept this long past their expiry (a
    /// late refresh still hears `token_expired`, not `invalid_token`).
    pub expired_tokens_kept_days: i64,
    /// Sent (and suppressed) outbox messages are deleted this long after they were queued.
    pub sent_messages_kept_days: i64,
    /// Read in-app notifications are deleted this long after they were made.
    pub read_notifications_kept_days: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// A secret: when set, `GET /metrics` needs `Authorization: Bearer <it>`. Empty leaves
    /// it open, which only `local` and `test` allow.
    pub bearer_token: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSettings {
    pub title_max_chars: usize,
    pub description_max_chars: usize,
    /// Anonymous submissions per client address per hour.
    pub anonymous_per_hour: i32,
    /// Wrong `X-Tracking-Secret`s per client address per hour; then a wrong one gets 429 (the
    /// right one is still accepted).
    pub wrong_secrets_per_hour: i32,
    /// Uploads without an account per client address per hour (every attempt counts: each
    /// one costs a decode).
    pub anonymous_uploads_per_hour: i32,
    /// Supporters that raise a petition's priority.
    pub support_threshold: i32,
    /// Allow suspending complaints (denunciations always may be).
    pub complaint_suspension: bool,
    /// Days after the answer when the sweep closes a resolved ticket.
    pub auto_close_days: i64,
    /// Working days a question to the submitter waits for an answer before the sweep
    /// withdraws it (the clocks run again).
    pub info_wait_working_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationSettings {
    /// Tries before a message is dead-lettered.
    pub max_attempts: i32,
    /// Messages a worker claims at once, and how long it holds them. The lease must be at
    /// least twice the longest send (`email.smtp_timeout_ms`, a push's 30 s): each message's
    /// lease is renewed before it is sent, and an attempt is cut off at half the lease.
    pub batch_size: i64,
    pub lease_secs: i64,
    /// Pushes wait for the end of quiet hours (local time, `HH:MM`); email is not held.
    pub quiet_hours_start: String,
    pub quiet_hours_end: String,
    /// Signs the links in emails (one-click unsubscribe). A secret: set it in production.
    pub link_secret: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSettings {
    /// `GET /areas/locate` answers 422 for a point farther than this from every commune centroid.
    pub locate_max_km: f64,
}

fn default_environment() -> Environment {
    Environment::Local
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub client_request_timeout_ms: u64,
    pub shutdown_timeout_secs: u64,
    /// Connections the kernel may hold, handshake done, before the server accepts them. A
    /// burst of new connections beyond it has its SYNs dropped, and each client waits a second
    /// or three for the retry: Rust's own `bind` gives only 128. Capped by `net.core.somaxconn`.
    pub listen_backlog: u32,
    /// The reverse proxies in front of nghedan (CIDR ranges or addresses). A request from one
    /// of them has its client address taken from `X-Forwarded-For` (see `api::caller`); from
    /// anywhere else the header is ignored. In an environment variable: comma-separated.
    #[serde(deserialize_with = "cidr_list")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Deepest nesting of arrays and objects accepted in a JSON body (400 beyond).
    pub json_max_depth: usize,
    /// Largest request head (request line and headers), in bytes (431 beyond).
    pub max_header_bytes: usize,
    /// Web origins (`https://app.example.vn`) whose pages may call the API from a browser,
    /// credentials included. In an environment variable: comma-separated.
    #[serde(deserialize_with = "text_list")]
    pub cors_allowed_origins: Vec<String>,
    /// Responses smaller than this are sent uncompressed.
    pub compression_min_bytes: usize,
    /// How often this process looks in the database for changes to tell live-update streams
    /// (`GET /api/v1/me/events`) about; one look per process, whatever the number of streams.
    pub events_poll_ms: u64,
    /// Seconds between the `: keep-alive` comments of an idle stream (proxies close a silent
    /// connection); the token is checked again at each.
    pub events_heartbeat_secs: u64,
    /// Open streams per user in this process (429 `too_many_streams` beyond).
    pub events_max_per_user: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
    pub acquire_timeout_ms: u64,
    pub busy_timeout_ms: u64,
    pub migrate_on_start: bool,
    /// Production refuses SQLite unless this is true (one small commune on one machine).
    pub allow_sqlite_in_production: bool,
    /// PostgreSQL: false behind a pooler in transaction mode (PgBouncer's `pool_mode =
    /// transaction`): statements then go unnamed, with their parameters, in one round trip.
    pub prepared_statements: bool,
    /// SQLite: megabytes of the database file each connection reads through a memory map
    /// (`PRAGMA mmap_size`); 0, the default, reads with `read(2)`. See config/default.toml.
    pub sqlite_mmap_mb: u64,
    /// PostgreSQL: a streaming replica for the reads that may lag (reports, public pages,
    /// scorecards); empty: everything on `url`.
    pub replica_url: String,
    /// When the replica cannot be reached: `primary` (read there instead) or `unavailable`
    /// (503 `service_unavailable`, keeping the load off the primary).
    pub replica_fallback: ReplicaFallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplicaFallback {
    Primary,
    Unavailable,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub run_in_serve: bool,
    pub poll_interval_ms: u64,
}

/// `[worker]`: where `nghedan worker` answers `/health/live`, `/health/ready` and `/metrics`
/// (port 0 picks a free one and logs it).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum JwtAlgorithm {
    HS256,
    EdDSA,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Pinned signing algorithm (RFC 8725): tokens with any other `alg` are refused.
    pub jwt_algorithm: JwtAlgorithm,
    /// HS256 signing secret (at least 32 bytes).
    pub jwt_secret: String,
    /// `kid` of the current key.
    pub jwt_key_id: String,
    /// HS256: the previous secret, still accepted (by its `kid`) until its tokens expire.
    pub jwt_previous_secret: String,
    pub jwt_previous_key_id: String,
    /// EdDSA: PEM files of the current Ed25519 key pair and of the previous public key.
    pub jwt_private_key_file: String,
    pub jwt_public_key_file: String,
    pub jwt_previous_public_key_file: String,
    pub issuer: String,
    pub audience: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    pub verify_email_ttl_hours: i64,
    pub password_reset_ttl_minutes: i64,
    /// How long a disabled account's or ended session's access tokens may still work in
    /// another API process (each process caches an account's status this long).
    pub account_status_cache_secs: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    /// Password hashes computed at once (0: one per core); each keeps its argon2 memory.
    pub hash_threads: usize,
    /// How long a request waits for a hashing slot before 503 with `Retry-After`.
    pub hash_queue_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Failed sign-ins on one account (by email) from anywhere, per window, before the
    /// addresses that failed on it wait a growing delay (see `domain::sign_in`).
    pub login_failures_per_account: i32,
    /// Failed sign-ins per client address (over every account), per window, then 429.
    pub login_failures_per_ip: i32,
    /// Failed sign-ins on one account from one address, per window, then 429.
    pub login_failures_per_account_and_address: i32,
    pub login_window_secs: i64,
    /// The account-wide delay: the first, doubled with each further failure, and its cap.
    pub login_delay_base_secs: i64,
    pub login_delay_max_secs: i64,
    /// Sign-ups and password-reset requests per client address per hour.
    pub signups_per_ip_per_hour: i32,
    pub password_resets_per_ip_per_hour: i32,
    /// Wrong 6-digit codes before a verification code is void.
    pub verify_code_attempts: i32,
}

/// Where deadline days are reckoned and when they end (DOMAIN.md, "Counting rules").
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineSettings {
    /// An IANA time zone, e.g. `Asia/Ho_Chi_Minh`.
    #[serde(deserialize_with = "time_zone")]
    pub timezone: chrono_tz::Tz,
    /// The local time a period's last day ends, `HH:MM:SS`.
    pub end_of_day: chrono::NaiveTime,
}

impl DeadlineSettings {
    pub fn day_end(&self) -> crate::domain::deadlines::DayEnd {
        crate::domain::deadlines::DayEnd {
            tz: self.timezone,
            end_of_day: self.end_of_day,
        }
    }
}

/// A list of strings, as a TOML array or as one comma-separated string (an environment
/// variable); each trimmed, empty ones dropped.
fn text_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        List(Vec<String>),
        Text(String),
    }
    let items = match Given::deserialize(d)? {
        Given::List(items) => items,
        Given::Text(text) => text.split(',').map(str::to_string).collect(),
    };
    Ok(items
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// A list of CIDR ranges (a bare address is its own /32 or /128), as a TOML array or as one
/// comma-separated string (an environment variable).
fn cidr_list<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ipnet::IpNet>, D::Error> {
    text_list(d)?
        .iter()
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(|net| net.trunc())
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "`{s}` is not a CIDR range (e.g. 10.0.0.0/8) or an address"
                    ))
                })
        })
        .collect()
}

fn time_zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<chrono_tz::Tz, D::Error> {
    let name = String::deserialize(d)?;
    name.parse()
        .map_err(|_| serde::de::Error::custom(format!("`{name}` is not an IANA time zone")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

impl Settings {
    /// Loads the settings for `NGHEDAN_ENV`: the compiled-in files, those of
    /// `NGHEDAN_CONFIG_DIR` if it is set, and the process environment.
    pub fn load() -> Result<Self, SettingsError> {
        let environment = Environment::from_env()?;
        let dir = std::env::var_os("NGHEDAN_CONFIG_DIR").map(std::path::PathBuf::from);
        Self::load_layers(environment, dir.as_deref(), true)
    }

    /// Loads the compiled-in files overlaid by those in `dir`, optionally by the process
    /// environment; validates the result.
    pub fn load_from(
        environment: Environment,
        dir: &Path,
        with_env_vars: bool,
    ) -> Result<Self, SettingsError> {
        Self::load_layers(environment, Some(dir), with_env_vars)
    }

    fn load_layers(
        environment: Environment,
        dir: Option<&Path>,
        with_env_vars: bool,
    ) -> Result<Self, SettingsError> {
        let vars = if with_env_vars {
            Some(sources::read_secret_files(sources::process_vars()?)?)
        } else {
            None
        };
        let settings = Self::assemble(environment, dir, vars)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Layers, lowest first: the compiled-in `default.toml`, `dir/default.toml`, the compiled-in
    /// `{environment}.toml`, `dir/{environment}.toml` (the files in `dir` may be missing), the
    /// `NGHEDAN__…` variables `vars`. Not yet validated.
    fn assemble(
        environment: Environment,
        dir: Option<&Path>,
        vars: Option<std::collections::BTreeMap<String, String>>,
    ) -> Result<Self, SettingsError> {
        let toml = |text: &str| config::File::from_str(text, config::FileFormat::Toml);
        let on_disk = |name: String| dir.map(|d| config::File::from(d.join(name)).required(false));
        let mut builder = config::Config::builder().add_source(toml(DEFAULT_TOML));
        if let Some(file) = on_disk("default.toml".into()) {
            builder = builder.add_source(file);
        }
        builder = builder.add_source(toml(environment.compiled_file()));
        if let Some(file) = on_disk(format!("{}.toml", environment.as_str())) {
            builder = builder.add_source(file);
        }
        if let Some(vars) = vars {
            builder = builder.add_source(sources::environment(vars));
        }
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.environment = environment;
        Ok(settings)
    }

    /// Checks what types alone cannot, and in `production` what is unsafe; every error names
    /// its key. Reports each group's first problem and every production problem together.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let mut problems: Vec<Problem> = [
            self.validate_storage(),
            self.validate_notifications(),
            self.validate_auth(),
            self.validate_limits(),
            self.validate_clients(),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect();
        if self.environment == Environment::Production {
            let general: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
            problems.extend(
                production::problems(self)
                    .into_iter()
                    .filter(|p| !general.contains(&p.key)),
            );
        }
        SettingsError::from_problems(problems)
    }

    /// The database, the server, the jobs, uploads and logs.
    fn validate_storage(&self) -> Result<(), Problem> {
        let url = &self.database.url;
        if !(url.starts_with("sqlite://")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database.url",
                format!(
                    "`{}` must start with sqlite://, postgres:// or postgresql://",
                    crate::db::redact_url(url)
                ),
            ));
        }
        let replica = &self.database.replica_url;
        let postgres = replica.starts_with("postgres://") || replica.starts_with("postgresql://");
        if !replica.is_empty() && !postgres {
            return Err(invalid(
                "database.replica_url",
                format!(
                    "`{}` must be a postgres:// URL (a streaming replica of database.url), or empty",
                    crate::db::redact_url(replica)
                ),
            ));
        }
        if !replica.is_empty() && self.is_sqlite() {
            return Err(invalid(
                "database.replica_url",
                "a replica is for PostgreSQL; database.url is SQLite",
            ));
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size", "must be at least 1"));
        }
        if self.database.acquire_timeout_ms == 0 {
            return Err(invalid("database.acquire_timeout_ms", "must be at least 1"));
        }
        if self.server.json_limit_bytes < 1024 {
            return Err(invalid("server.json_limit_bytes", "must be at least 1024"));
        }
        // actix-http never reads a head over 128 KiB, whatever is configured.
        if !(1024..=131_072).contains(&self.server.max_header_bytes) {
            return Err(invalid("server.max_header_bytes", "must be 1024–131072"));
        }
        if url::Url::parse(&self.server.public_url).is_err() {
            return Err(invalid("server.public_url", "must be an absolute URL"));
        }
        if self.jobs.poll_interval_ms == 0 {
            return Err(invalid("jobs.poll_interval_ms", "must be at least 1"));
        }
        if self.server.events_poll_ms == 0 {
            return Err(invalid("server.events_poll_ms", "must be at least 1"));
        }
        if self.server.events_heartbeat_secs == 0 {
            return Err(invalid(
                "server.events_heartbeat_secs",
                "must be at least 1",
            ));
        }
        if self.server.listen_backlog == 0 {
            return Err(invalid("server.listen_backlog", "must be at least 1"));
        }
        if self.server.events_max_per_user == 0 {
            return Err(invalid("server.events_max_per_user", "must be at least 1"));
        }
        let h = &self.housekeeping;
        if !(1..=31_536_000).contains(&h.interval_secs) {
            return Err(invalid(
                "housekeeping.interval_secs",
                "must be 1–31536000 (a year)",
            ));
        }
        for (key, v) in [
            (
                "housekeeping.expired_tokens_kept_days",
                h.expired_tokens_kept_days,
            ),
            (
                "housekeeping.sent_messages_kept_days",
                h.sent_messages_kept_days,
            ),
            (
                "housekeeping.read_notifications_kept_days",
                h.read_notifications_kept_days,
            ),
        ] {
            if !(1..=36_500).contains(&v) {
                return Err(invalid(key, "must be 1–36500"));
            }
        }
        self.media
            .validate()
            .map_err(|e| invalid(e.key, e.message))?;
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid("log.level", "is not a valid tracing filter"));
        }
        Ok(())
    }

    /// Delivery: tries, batches, leases that outlast a send, quiet hours, signed links.
    fn validate_notifications(&self) -> Result<(), Problem> {
        let n = &self.notifications;
        if n.max_attempts < 1 {
            return Err(invalid("notifications.max_attempts", "must be at least 1"));
        }
        if !(1..=1000).contains(&n.batch_size) {
            return Err(invalid("notifications.batch_size", "must be 1–1000"));
        }
        if n.lease_secs < 10 {
            return Err(invalid("notifications.lease_secs", "must be at least 10"));
        }
        // One attempt may take half the lease (notify::delivery::attempt_limit); the
        // transports' own timeouts must fit in it. A push may make two requests (FCM's token).
        let push_ms = 2 * crate::notify::push::REQUEST_TIMEOUT.as_millis() as u64;
        let longest_ms = self.email.smtp_timeout_ms.max(push_ms);
        if (n.lease_secs as u64).saturating_mul(1000) < 2 * longest_ms {
            return Err(invalid(
                "notifications.lease_secs",
                format!(
                    "must be at least twice the longest send, so that a message's lease outlasts \
                     its sending: email.smtp_timeout_ms is {} ms and a push may take {} ms; \
                     raise notifications.lease_secs to {} or lower email.smtp_timeout_ms",
                    self.email.smtp_timeout_ms,
                    push_ms,
                    (2 * longest_ms).div_ceil(1000)
                ),
            ));
        }
        for (key, v) in [
            ("notifications.quiet_hours_start", &n.quiet_hours_start),
            ("notifications.quiet_hours_end", &n.quiet_hours_end),
        ] {
            if chrono::NaiveTime::parse_from_str(v, "%H:%M").is_err() {
                return Err(invalid(key, "must be HH:MM"));
            }
        }
        if n.link_secret.len() < 32 {
            return Err(invalid(
                "notifications.link_secret",
                "must be at least 32 bytes",
            ));
        }
        Ok(())
    }

    /// Tokens and password hashing.
    fn validate_auth(&self) -> Result<(), Problem> {
        let a = &self.auth;
        if a.jwt_algorithm == JwtAlgorithm::HS256 && a.jwt_secret.len() < 32 {
            return Err(invalid("auth.jwt_secret", "must be at least 32 bytes"));
        }
        if a.jwt_algorithm == JwtAlgorithm::EdDSA
            && (a.jwt_private_key_file.is_empty() || a.jwt_public_key_file.is_empty())
        {
            return Err(invalid(
                "auth.jwt_private_key_file",
                "EdDSA needs jwt_private_key_file and jwt_public_key_file (PEM)",
            ));
        }
        if a.jwt_key_id.is_empty() {
            return Err(invalid("auth.jwt_key_id", "must not be empty"));
        }
        if a.access_token_ttl_secs < 30 {
            return Err(invalid("auth.access_token_ttl_secs", "must be at least 30"));
        }
        if a.refresh_token_ttl_days < 1 {
            return Err(invalid("auth.refresh_token_ttl_days", "must be at least 1"));
        }
        if a.argon2_memory_kib < 19456 || a.argon2_iterations < 2 || a.argon2_parallelism < 1 {
            return Err(invalid(
                "auth.argon2_memory_kib",
                "argon2id needs at least m=19456 KiB, t=2, p=1 (OWASP)",
            ));
        }
        if a.hash_queue_timeout_ms == 0 {
            return Err(invalid("auth.hash_queue_timeout_ms", "must be at least 1"));
        }
        Ok(())
    }

    /// `/metrics` and the sign-in limits.
    /// What browsers and apps are told: the CORS origins and the app stores' links.
    fn validate_clients(&self) -> Result<(), Problem> {
        for origin in &self.server.cors_allowed_origins {
            let parsed = url::Url::parse(origin).ok();
            let exact = parsed.as_ref().is_some_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.origin().ascii_serialization() == *origin
            });
            if !exact {
                return Err(invalid(
                    "server.cors_allowed_origins",
                    format!(
                        "`{origin}` is not a web origin: scheme://host[:port], no path, no \
                         trailing slash, no wildcard (e.g. https://app.example.vn)"
                    ),
                ));
            }
        }
        for (key, url) in [
            ("apps.android_store_url", &self.apps.android_store_url),
            ("apps.ios_store_url", &self.apps.ios_store_url),
        ] {
            if !url.is_empty() && url::Url::parse(url).is_err() {
                return Err(invalid(key, "must be an absolute URL, or empty"));
            }
        }
        Ok(())
    }

    fn validate_limits(&self) -> Result<(), Problem> {
        let m = &self.metrics;
        if !m.bearer_token.is_empty() && m.bearer_token.len() < 32 {
            return Err(invalid(
                "metrics.bearer_token",
                "must be at least 32 bytes (or empty: open, outside production)",
            ));
        }
        let l = &self.limits;
        for (key, v) in [
            (
                "limits.login_failures_per_account",
                l.login_failures_per_account as i64,
            ),
            (
                "limits.login_failures_per_ip",
                l.login_failures_per_ip as i64,
            ),
            (
                "limits.login_failures_per_account_and_address",
                l.login_failures_per_account_and_address as i64,
            ),
            ("limits.login_window_secs", l.login_window_secs),
            ("limits.login_delay_base_secs", l.login_delay_base_secs),
        ] {
            if v < 1 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if l.login_delay_max_secs < l.login_delay_base_secs {
            return Err(invalid(
                "limits.login_delay_max_secs",
                "must be at least limits.login_delay_base_secs",
            ));
        }
        Ok(())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database.url.starts_with("sqlite://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
    }

    #[test]
    fn shipped_files_load_for_every_environment() {
        for env in [Environment::Local, Environment::Test] {
            let s = Settings::load_from(env, &dir(), false).unwrap();
            assert_eq!(s.environment, env);
            assert_eq!(s.database.url, "sqlite://data/nghedan.db");
        }
    }

    #[test]
    fn every_environment_file_is_compiled_in() {
        // Production's own file comes with the binary, wherever it runs: every interface,
        // JSON logs.
        let nowhere = tempfile::tempdir().unwrap();
        let s = Settings::assemble(Environment::Production, Some(nowhere.path()), None).unwrap();
        assert_eq!(s.server.host, "0.0.0.0");
        assert_eq!(s.log.format, LogFormat::Json);
        let s = Settings::load_layers(Environment::Test, None, false).unwrap();
        assert_eq!(s.log.level, "warn");
    }

    #[test]
    fn a_config_dir_overlays_the_compiled_in_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.toml"), "[server]\nport = 9001\n").unwrap();
        std::fs::write(dir.path().join("test.toml"), "[log]\nlevel = \"debug\"\n").unwrap();
        let s = Settings::load_from(Environment::Test, dir.path(), false).unwrap();
        assert_eq!(s.server.port, 9001);
        assert_eq!(s.log.level, "debug");
        // The rest is the compiled-in files'.
        assert_eq!(s.server.host, "127.0.0.1");
    }

    #[test]
    fn environment_variables_are_never_guessed_into_numbers() {
        let vars = [
            ("NGHEDAN__EMAIL__SMTP_PASSWORD", "0123456"),
            ("NGHEDAN__PUSH__APNS_TEAM_ID", "0012345678"),
            ("NGHEDAN__AUTH__JWT_KEY_ID", "1e3"),
            ("NGHEDAN__SERVER__PORT", "9000"),
            ("NGHEDAN__MEDIA__MAX_BYTES", "2048"),
            ("NGHEDAN__EMAIL__SMTP_ACCEPT_INVALID_CERTS", "TRUE"),
            ("NGHEDAN__AREAS__LOCATE_MAX_KM", "12.5"),
            ("NGHEDAN__LOG__FORMAT", "json"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
        let s = Settings::assemble(Environment::Test, None, Some(vars)).unwrap();
        // Strings stay as written …
        assert_eq!(s.email.smtp_password, "0123456");
        assert_eq!(s.push.apns_team_id.as_deref(), Some("0012345678"));
        assert_eq!(s.auth.jwt_key_id, "1e3");
        // … and typed settings still read their text.
        assert_eq!(s.server.port, 9000);
        assert_eq!(s.media.max_bytes, 2048);
        assert!(s.email.smtp_accept_invalid_certs);
        assert_eq!(s.areas.locate_max_km, 12.5);
        assert_eq!(s.log.format, LogFormat::Json);
    }

    #[test]
    fn cors_origins_come_from_a_comma_separated_variable_and_are_checked() {
        let s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        assert!(s.server.cors_allowed_origins.is_empty(), "none by default");
        let vars = |v: &str| {
            std::collections::BTreeMap::from([(
                "NGHEDAN__SERVER__CORS_ALLOWED_ORIGINS".to_string(),
                v.to_string(),
            )])
        };
        let s = Settings::assemble(
            Environment::Test,
            None,
            Some(vars("https://app.nghedan.vn, http://localhost:5173")),
        )
        .unwrap();
        assert_eq!(
            s.server.cors_allowed_origins,
            ["https://app.nghedan.vn", "http://localhost:5173"]
        );
        let one = Settings::assemble(Environment::Test, None, Some(vars("https://a.vn")));
        assert_eq!(one.unwrap().server.cors_allowed_origins, ["https://a.vn"]);
        let none = Settings::assemble(Environment::Test, None, Some(vars("")));
        assert!(none.unwrap().server.cors_allowed_origins.is_empty());
        for bad in [
            "*",
            "https://a.vn/",
            "https://a.vn/app",
            "a.vn",
            "ftp://a.vn",
        ] {
            let err = Settings::assemble(Environment::Test, None, Some(vars(bad)))
                .unwrap()
                .validate()
                .unwrap_err()
                .to_string();
            assert!(err.contains("server.cors_allowed_origins"), "{bad}: {err}");
        }
    }

    #[test]
    fn app_minimums_are_semantic_versions_or_empty() {
        let s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        assert!(s.apps.min_android.is_none() && s.apps.min_ios.is_none());
        let vars = std::collections::BTreeMap::from([
            (
                "NGHEDAN__APPS__MIN_ANDROID".to_string(),
                "2.3.0".to_string(),
            ),
            ("NGHEDAN__APPS__MIN_IOS".to_string(), "2.3".to_string()),
        ]);
        let err = Settings::assemble(Environment::Test, None, Some(vars))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("min_ios") && err.contains("semantic version"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_are_a_cidr_list_or_a_comma_separated_variable() {
        let s = Settings::load_layers(Environment::Test, None, false).unwrap();
        assert!(s.server.trusted_proxies.is_empty());
        let vars = [(
            "NGHEDAN__SERVER__TRUSTED_PROXIES".to_string(),
            "10.0.0.0/8, 192.168.1.7,fd00::/8".to_string(),
        )]
        .into();
        let s = Settings::assemble(Environment::Test, None, Some(vars)).unwrap();
        let shown: Vec<String> = s
            .server
            .trusted_proxies
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.168.1.7/32", "fd00::/8"]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("test.toml"),
            "[server]\ntrusted_proxies = [\"172.16.0.0/12\"]\n",
        )
        .unwrap();
        let s = Settings::load_from(Environment::Test, dir.path(), false).unwrap();
        assert_eq!(s.server.trusted_proxies[0].to_string(), "172.16.0.0/12");
        let vars = [(
            "NGHEDAN__SERVER__TRUSTED_PROXIES".to_string(),
            "10.0.0.0/33".to_string(),
        )]
        .into();
        let err = Settings::assemble(Environment::Test, None, Some(vars))
            .unwrap_err()
            .to_string();
        assert!(err.contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn the_listen_queue_holds_a_burst() {
        let mut s = Settings::load_layers(Environment::Test, None, false).unwrap();
        // Rust's own `bind` gives 128: a burst of phones reconnecting would lose SYNs.
        assert_eq!(s.server.listen_backlog, 2048);
        s.server.listen_backlog = 0;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("server.listen_backlog"), "{err}");
    }

    #[test]
    fn housekeeping_ages_are_checked() {
        let mut s = Settings::load_layers(Environment::Test, None, false).unwrap();
        assert_eq!(s.housekeeping.interval_secs, 3600);
        s.housekeeping.interval_secs = 0;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("housekeeping.interval_secs"), "{err}");
        s.housekeeping.interval_secs = 60;
        s.housekeeping.read_notifications_kept_days = i64::MAX;
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("housekeeping.read_notifications_kept_days"),
            "{err}"
        );
    }

    #[test]
    fn a_replica_is_a_postgres_url_beside_a_postgres_primary() {
        let mut s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        assert_eq!(s.database.replica_fallback, ReplicaFallback::Primary);
        s.database.replica_url = "postgres://db-replica/nghedan".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(
            err.contains("database.replica_url") && err.contains("SQLite"),
            "{err}"
        );
        s.database.url = "postgres://db/nghedan".into();
        s.validate().unwrap();
        s.database.replica_url = "sqlite://replica.db".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("database.replica_url"), "{err}");
    }

    #[test]
    fn bad_url_scheme_names_the_key() {
        let mut s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        s.database.url = "mysql://x".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn media_settings_load_with_their_defaults_and_are_checked() {
        let mut s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        assert_eq!(s.media, crate::media::MediaSettings::default());
        s.media.store = "s3".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("media.s3"), "{err}");
        s.media.store = "ftp".into();
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("media.store"), "{err}");
    }

    #[test]
    fn deadlines_are_reckoned_in_vietnam_until_235959() {
        let s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        assert_eq!(
            s.deadlines.day_end(),
            crate::domain::deadlines::DayEnd::default()
        );
    }

    #[test]
    fn a_lease_must_outlast_two_sends() {
        let mut s = Settings::load_from(Environment::Test, &dir(), false).unwrap();
        assert_eq!(
            (s.notifications.lease_secs, s.email.smtp_timeout_ms),
            (120, 30_000)
        );
        s.email.smtp_timeout_ms = 61_000;
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("notifications.lease_secs"), "{err}");
        assert!(err.contains("email.smtp_timeout_ms is 61000 ms"), "{err}");
        assert!(err.contains("to 122"), "{err}");
        // A push may take 30 s: the lease needs a minute even with a quick relay.
        s.email.smtp_timeout_ms = 1_000;
        s.notifications.lease_secs = 59;
        assert!(s.validate().is_err());
        s.notifications.lease_secs = 60;
        assert!(s.validate().is_ok());
    }

    #[test]
    fn environment_names_parse() {
        assert_eq!(
            "production".parse::<Environment>().unwrap(),
            Environment::Production
        );
        assert!("prod".parse::<Environment>().is_err());
    }
}
