//! The one connection type: SQLite (embedded default) or PostgreSQL, chosen by URL scheme.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::{PgConnection, SqliteConnection};

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl DbConn {
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Where the pool connects, parsed from `database.url`.
#[derive(Debug, Clone)]
pub enum Target {
    Sqlite {
        path: PathBuf,
        busy_timeout_ms: u64,
        mmap_bytes: u64,
    },
    Postgres {
        url: String,
        prepared: bool,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "database URL `{0}` has an unknown scheme: use sqlite://path or postgres://user@host:port/database"
    )]
    UnknownScheme(String),
    #[error("database URL `{0}` names no SQLite file: use sqlite://data/nghedan.db")]
    EmptySqlitePath(String),
    #[error("cannot create the directory {dir} for the SQLite database: {source}")]
    SqliteDir { dir: String, source: std::io::Error },
    #[error("cannot open the SQLite database {path}: {source}")]
    Sqlite {
        path: String,
        source: diesel::ConnectionError,
    },
    #[error("cannot configure the SQLite database {path}: {source}")]
    SqliteSetup {
        path: String,
        source: diesel::result::Error,
    },
    #[error("cannot connect to PostgreSQL {what}: {reason}")]
    Postgres { what: String, reason: String },
}

impl Target {
    pub fn parse(url: &str, busy_timeout_ms: u64) -> Result<Self, ConnectError> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ConnectError::EmptySqlitePath(url.into()));
            }
            return Ok(Target::Sqlite {
                path: PathBuf::from(path),
                busy_timeout_ms,
                mmap_bytes: 0,
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres {
                url: with_pg_defaults(url),
                prepared: true,
            });
        }
        Err(ConnectError::UnknownScheme(super::redact_url(url)))
    }

    /// PostgreSQL: whether statements are prepared once per connection and reused (named
    /// prepared statements, diesel's cache), or sent with their parameters each time (unnamed:
    /// what a pooler in transaction mode, which may hand the next statement to another server
    /// connection, requires). See `database.prepared_statements`.
    pub fn with_prepared_statements(mut self, enabled: bool) -> Self {
        if let Target::Postgres { prepared, .. } = &mut self {
            *prepared = enabled;
        }
        self
    }

    /// SQLite: how many megabytes of the database file each connection reads through a
    /// memory map instead of `read(2)` into its own 2 MB page cache. See
    /// `database.sqlite_mmap_mb`: faster reads, but the mapped pages count in the process's
    /// RSS once per connection, so it is off unless an operator turns it on.
    pub fn with_sqlite_mmap_mb(mut self, mb: u64) -> Self {
        if let Target::Sqlite { mmap_bytes, .. } = &mut self {
            *mmap_bytes = mb.saturating_mul(1024 * 1024);
        }
        self
    }

    pub fn backend(&self) -> Backend {
        match self {
            Target::Sqlite { .. } => Backend::Sqlite,
            Target::Postgres { .. } => Backend::Postgres,
        }
    }

    /// Creates the SQLite file's directory; nothing to do for PostgreSQL.
    pub fn prepare(&self) -> Result<(), ConnectError> {
        if let Target::Sqlite { path, .. } = self
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| ConnectError::SqliteDir {
                dir: dir.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }

    pub fn connect(&self) -> Result<DbConn, ConnectError> {
        match self {
            Target::Sqlite {
                path,
                busy_timeout_ms,
                mmap_bytes,
            } => {
                let shown = path.display().to_string();
                let mut conn =
                    SqliteConnection::establish(&shown).map_err(|source| ConnectError::Sqlite {
                        path: shown.clone(),
                        source,
                    })?;
                // Set on every pooled connection: these pragmas are per connection. Plans do
                // not depend on bound values (SQLITE_ENABLE_QPSG, `.cargo/config.toml`), so a
                // kept statement is not planned again each time a value is bound.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {busy_timeout_ms};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA mmap_size = {mmap_bytes};"
                ))
                .map_err(|source| ConnectError::SqliteSetup {
                    path: shown,
                    source,
                })?;
                conn.set_instrumentation(super::statements::Counter);
                Ok(DbConn::Sqlite(conn))
            }
            Target::Postgres { url, prepared } => {
                init_openssl();
                let mut conn =
                    PgConnection::establish(url).map_err(|e| ConnectError::Postgres {
                        what: describe_pg(url),
                        reason: e.to_string().trim().to_string(),
                    })?;
                if !prepared {
                    conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
                }
                conn.set_instrumentation(super::statements::Counter);
                Ok(DbConn::Postgres(conn))
            }
        }
    }
}

/// Initialises the OpenSSL that libpq uses, before libpq does, with `OPENSSL_INIT_NO_ATEXIT`.
/// Left to libpq, OpenSSL registers a clean-up that runs at process exit and frees its locks
/// while pool threads may still be connecting or closing: the process then dies with SIGSEGV
/// after it has done its work (diesel-rs/diesel#3441). Safe to call more than once.
pub fn init_openssl() {
    openssl_sys::init();
}

/// Adds a connect timeout and an application name unless the URL sets them.
fn with_pg_defaults(url: &str) -> String {
    let mut extra = Vec::new();
    if !url.contains("connect_timeout=") {
        extra.push("connect_timeout=5");
    }
    if !url.contains("application_name=") {
        extra.push("application_name=nghedan");
    }
    if extra.is_empty() {
        return url.to_string();
    }
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{}", extra.join("&"))
}

/// "at host:port, database `x`, as role `y`" for error messages; never the password.
fn describe_pg(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("localhost");
            let port = u.port().unwrap_or(5432);
            let db = u.path().trim_start_matches('/');
            let user = if u.username().is_empty() {
                "(default)"
            } else {
                u.username()
            };
            format!("at {host}:{port}, database `{db}`, as role `{user}`")
        }
        Err(_) => format!("at `{}`", super::redact_url(url)),
    }
}

/// An r2d2 manager that reports the real connection error (the derived `establish` hides it).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    pub target: Target,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = ConnectError;

    fn connect(&self) -> Result<DbConn, ConnectError> {
        self.target.connect()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), ConnectError> {
        use diesel::r2d2::R2D2Connection;
        conn.ping().map_err(|e| ConnectError::Postgres {
            what: "(pooled connection)".into(),
            reason: e.to_string(),
        })
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        // `take_lost` first: it also clears the note for the thread's next connection.
        super::statements::take_lost() | conn.is_broken()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_choose_the_backend() {
        assert_eq!(
            Target::parse("sqlite://data/x.db", 1).unwrap().backend(),
            Backend::Sqlite
        );
        assert_eq!(
            Target::parse("postgresql://u@h/db", 1).unwrap().backend(),
            Backend::Postgres
        );
        assert!(matches!(
            Target::parse("postgress://u@h/db", 1),
            Err(ConnectError::UnknownScheme(_))
        ));
        assert!(matches!(
            Target::parse("sqlite://", 1),
            Err(ConnectError::EmptySqlitePath(_))
        ));
    }

    /// `.cargo/config.toml` builds the bundled SQLite with the query planner stability
    /// guarantee. Without it a kept statement with a bound `LIMIT` (or, after ANALYZE, a bound
    /// key on an indexed column) is parsed and planned again on every call, which no
    /// statement count shows: this is the check that the flag reached the build.
    #[test]
    fn sqlite_plans_do_not_depend_on_bound_values() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("qpsg.db").display());
        let mut conn = Target::parse(&url, 1000).unwrap().connect().unwrap();
        let qpsg: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG')",
        ))
        .get_result(&mut conn)
        .unwrap();
        assert!(
            qpsg,
            "the bundled SQLite lacks SQLITE_ENABLE_QPSG (see .cargo/config.toml)"
        );
    }

    /// `database.sqlite_mmap_mb` reaches every connection; without it nothing is mapped.
    #[test]
    fn sqlite_connections_map_the_file_only_when_asked() {
        #[derive(diesel::QueryableByName)]
        struct Mapped {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            mmap_size: i64,
        }
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("mmap.db").display());
        for (mb, bytes) in [(0, 0), (64, 64 * 1024 * 1024)] {
            let target = Target::parse(&url, 1000).unwrap().with_sqlite_mmap_mb(mb);
            let DbConn::Sqlite(mut lite) = target.connect().unwrap() else {
                panic!("a sqlite:// URL opened another backend");
            };
            let mapped: Mapped = diesel::sql_query("PRAGMA mmap_size")
                .get_result(&mut lite)
                .unwrap();
            assert_eq!(mapped.mmap_size, bytes, "sqlite_mmap_mb = {mb}");
        }
    }

    #[test]
    fn pg_defaults_are_added_once() {
        assert_eq!(
            with_pg_defaults("postgres://h/db"),
            "postgres://h/db?connect_timeout=5&application_name=nghedan"
        );
        assert_eq!(
            with_pg_defaults("postgres://h/db?connect_timeout=1"),
            "postgres://h/db?connect_timeout=1&application_name=nghedan"
        );
    }

    #[test]
    fn descriptions_never_show_the_password() {
        let d = describe_pg("postgres://bob:hunter2@db.example:6543/nghe");
        assert_eq!(d, "at db.example:6543, database `nghe`, as role `bob`");
    }
}
