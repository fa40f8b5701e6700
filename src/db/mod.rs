//! Database access: the pool, migrations, and the few functions that differ by dialect.
//!
//! Everything outside this module is written once against [`DbConn`]; the dialect branches
//! (`write`, `advisory_lock`, …) live here, by name.

/// Runs `$body` with `$c` bound to the connection's own backend connection
/// (`SqliteConnection` or `PgConnection`): the same code for both, not a dialect branch.
///
/// For the hottest reads only. Through [`DbConn`], diesel's `MultiConnection` renders a
/// query's whole SQL text on every walk of it, twice a call (whether it may be cached, then
/// its binds), even when its prepared statement is found by its type: about a quarter of the
/// database work of a ticket read (bench/results/2026-12-06-submit-inbox-read-console.md).
/// On the inner connection a query with a static `QueryId` is neither rendered nor walked
/// for text after its first call. The query must be written for any backend (not boxed for
/// `DbConn`'s); statements are counted all the same, by the inner connection's instrumentation.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Postgres($c) => $body,
        }
    };
}

pub mod announcements;
pub mod areas;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod categories;
pub mod clocks;
mod conn;
pub mod consultations;
pub mod dialogues;
mod error;
pub mod events;
pub mod exports;
pub mod follow_ups;
pub mod fragments;
pub mod idempotency;
pub mod inbox;
pub mod migrate;
pub mod open311;
pub mod policies;
pub mod preferences;
pub mod rate_limits;
pub mod reception_days;
pub mod receptions;
pub mod reference;
pub mod reports;
pub mod residents;
pub mod resumable;
pub mod routing_rules;
pub mod schema;
pub mod scope;
pub mod statements;
pub mod sync;
pub mod tickets;
pub mod units;
pub mod uploads;
pub mod users;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub use conn::{Backend, ConnectError, ConnectionManager, DbConn, Target, init_openssl};
pub use error::Error;

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// Opens one connection first so that a bad URL, an unreachable server or a missing role or
/// database stops start-up with libpq's own words, then builds the pool.
pub fn build_pool(settings: &crate::config::DatabaseSettings) -> Result<Pool, ConnectError> {
    let target = Target::parse(&settings.url, settings.busy_timeout_ms)?
        .with_prepared_statements(settings.prepared_statements)
        .with_sqlite_mmap_mb(settings.sqlite_mmap_mb);
    target.prepare()?;
    drop(target.connect()?);
    Ok(r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(1))
        // No `SELECT 1` per checkout: a dead connection fails its first statement, and the
        // pool drops it on return (see `statements::take_lost`).
        .test_on_check_out(false)
        .connection_timeout(Duration::from_millis(settings.acquire_timeout_ms))
        .error_handler(Box::new(LogErrors))
        .build_unchecked(ConnectionManager { target }))
}

#[derive(Debug)]
struct LogErrors;

impl r2d2::HandleError<ConnectError> for LogErrors {
    fn handle_error(&self, error: ConnectError) {
        tracing::warn!(%error, "database connection failed");
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => raw.to_string(),
    }
}

static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many [`write`] transactions this process has committed: what its short-lived copies of
/// figures read from the tables (`inbox::CountsCache`) compare to see a write made here at once.
pub fn writes() -> u64 {
    WRITES.load(std::sync::atomic::Ordering::Acquire)
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`: a deferred
/// transaction that reads before it writes fails with SQLITE_BUSY despite `busy_timeout`.
/// Nested `conn.transaction(..)` calls inside become savepoints on both backends.
pub fn write<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(_) => DbConn::begin_transaction(conn)?,
    }
    match f(conn) {
        Ok(value) => {
            DbConn::commit_transaction(conn)?;
            WRITES.fetch_add(1, std::sync::atomic::Ordering::Release);
            Ok(value)
        }
        Err(e) => {
            DbConn::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Runs `f` in a read transaction (one consistent view; on SQLite it takes no write lock).
pub fn read<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    use diesel::Connection;
    conn.transaction(f)
}

/// Whether the database can be written now: a write transaction notices a SQLite file locked
/// by another process, which a plain SELECT (WAL readers never wait) would not.
pub fn probe_write(conn: &mut DbConn) -> Result<(), Error> {
    use diesel::RunQueryDsl;
    write(conn, |c| {
        diesel::sql_query("SELECT 1 FROM __diesel_schema_migrations LIMIT 1").execute(c)
    })?;
    Ok(())
}

/// The pool of `database.replica_url`, if one is set. Unlike the primary's it does not connect
/// at start (a replica that is down must not stop the API: its reads fall back, see
/// `AppState::db_lagging`), and it checks each connection as it is checked out, so that a
/// replica that went away is noticed before a read is sent to it, not by the read failing.
pub fn build_replica_pool(
    settings: &crate::config::DatabaseSettings,
) -> Result<Option<Pool>, ConnectError> {
    if settings.replica_url.is_empty() {
        return Ok(None);
    }
    let target = Target::parse(&settings.replica_url, settings.busy_timeout_ms)?
        .with_prepared_statements(settings.prepared_statements)
        .with_sqlite_mmap_mb(settings.sqlite_mmap_mb);
    Ok(Some(
        r2d2::Pool::builder()
            .max_size(settings.pool_size)
            .min_idle(Some(0))
            .test_on_check_out(true)
            // Not the primary's wait: a replica that does not answer soon is read around.
            .connection_timeout(Duration::from_millis(settings.acquire_timeout_ms.min(1000)))
            .error_handler(Box::new(LogErrors))
            .build_unchecked(ConnectionManager { target }),
    ))
}

/// Runs `f` in one transaction holding a PostgreSQL advisory lock, so that several processes
/// starting at once migrate and load reference data one after another. The lock is the
/// transaction's (`pg_advisory_xact_lock`), not the session's: behind a pooler in transaction
/// mode a session lock could be taken on one server connection and released on another, and
/// stay held for ever. SQLite needs no lock: its writers are serialised by the file lock.
pub fn with_advisory_lock<T, E, F>(conn: &mut DbConn, key: i64, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<DieselError>,
{
    use diesel::prelude::*;
    match conn {
        DbConn::Sqlite(_) => f(conn),
        DbConn::Postgres(_) => write(conn, |c| {
            if let DbConn::Postgres(pg) = c {
                diesel::sql_query(format!("SELECT pg_advisory_xact_lock({key})")).execute(pg)?;
            }
            f(c)
        }),
    }
}

/// Leases up to `limit` due outbox rows until `lease_until` to the holder `token` and returns
/// their ids. PostgreSQL skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); SQLite's
/// `BEGIN IMMEDIATE` (see [`write`]) already gives the caller the whole database.
pub fn claim_outbox_ids(
    conn: &mut DbConn,
    now: chrono::NaiveDateTime,
    lease_until: chrono::NaiveDateTime,
    token: &str,
    limit: i64,
) -> Result<Vec<i64>, Error> {
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text, Timestamp};

    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    const PICK: &str = "state = 'queued' AND next_attempt_at <= {now} \
        AND (locked_until IS NULL OR locked_until <= {now}) ORDER BY next_attempt_at, id";
    let ids = match conn {
        DbConn::Postgres(pg) => diesel::sql_query(format!(
            "UPDATE outbox SET locked_until = $1, claim_token = $4 WHERE id IN \
             (SELECT id FROM outbox WHERE {} LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING id",
            PICK.replace("{now}", "$2")
        ))
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(token)
        .load::<Id>(pg)?,
        DbConn::Sqlite(lite) => diesel::sql_query(format!(
            "UPDATE outbox SET locked_until = ?1, claim_token = ?4 WHERE id IN \
             (SELECT id FROM outbox WHERE {} LIMIT ?3) RETURNING id",
            PICK.replace("{now}", "?2")
        ))
        .bind::<Timestamp, _>(lease_until)
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(token)
        .load::<Id>(lite)?,
    };
    Ok(ids.into_iter().map(|i| i.id).collect())
}

/// The next ticket number: a PostgreSQL sequence (no lock between submissions; gaps are
/// fine), a one-row counter on SQLite (whose writers are serialised anyway).
pub fn next_ticket_number(conn: &mut DbConn) -> Result<i64, Error> {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let n = match conn {
        DbConn::Postgres(pg) => {
            diesel::sql_query("SELECT nextval('ticket_number_seq') AS n").get_result::<N>(pg)?
        }
        DbConn::Sqlite(lite) => diesel::sql_query(
            "UPDATE ticket_number SET last = last + 1 WHERE id = 1 RETURNING last AS n",
        )
        .get_result::<N>(lite)?,
    };
    Ok(n.n)
}

pub fn is_lock_timeout(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(_, info) if info.message().contains("lock timeout"))
}

/// Runs an `INSERT` built by `$insert` with `ON CONFLICT DO NOTHING` (PostgreSQL, and SQLite
/// since 3.24): rows a unique index already holds are skipped, without the error that would
/// abort a PostgreSQL transaction, and the count of rows written is returned. diesel's
/// `MultiConnection` cannot express the clause, so the statement is built once per backend.
/// With `returning $columns => $type`, it loads those columns of the rows written instead.
macro_rules! insert_new_only {
    ($conn:expr, $insert:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres(c) => {
                diesel::RunQueryDsl::execute($insert.on_conflict_do_nothing(), c)
            }
            $crate::db::DbConn::Sqlite(c) => {
                diesel::RunQueryDsl::execute($insert.on_conflict_do_nothing(), c)
            }
        }
    };
    ($conn:expr, $insert:expr, returning $columns:expr => $type:ty) => {
        match $conn {
            $crate::db::DbConn::Postgres(c) => diesel::RunQueryDsl::load::<$type>(
                $insert.on_conflict_do_nothing().returning($columns),
                c,
            ),
            $crate::db::DbConn::Sqlite(c) => diesel::RunQueryDsl::load::<$type>(
                $insert.on_conflict_do_nothing().returning($columns),
                c,
            ),
        }
    };
}
pub(crate) use insert_new_only;

/// Runs `$body` with `$c` bound to the connection of its own backend, for the statements
/// diesel's `MultiConnection` cannot express although both databases run them as written: a
/// multi-row `INSERT`, `RETURNING` a whole row. The body is the same text for both: only its
/// types differ.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// How many connections may write at once in one job (the sweep): several on PostgreSQL,
/// which locks rows, leaving most of the pool to requests; one on SQLite, whose writers take
/// turns on the file anyway.
pub fn concurrent_writers(conn: &DbConn, pool_size: u32) -> usize {
    match conn {
        DbConn::Postgres(_) => (pool_size as usize / 3).clamp(1, 4),
        DbConn::Sqlite(_) => 1,
    }
}

/// Lock keys for [`with_advisory_lock`].
pub const LOCK_MIGRATIONS: i64 = 0x6e67_6865_0001;

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Whether the error means "the database cannot be reached or is locked right now" — the
/// caller may retry — rather than a bug.
pub fn is_unavailable(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => true,
            _ => {
                let m = info.message().to_ascii_lowercase();
                m.contains("database is locked")
                    || m.contains("database table is locked")
                    || m.contains("server closed the connection")
                    || m.contains("connection to server")
                    || m.contains("terminating connection")
                    || m.contains("could not receive data")
                    || m.contains("no connection to the server")
                    || m.contains("canceling statement due to statement timeout")
            }
        },
        DieselError::BrokenTransactionManager => true,
        _ => false,
    }
}
