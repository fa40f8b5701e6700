//! `nghedan backup` and `nghedan restore` for a SQLite deployment.
//!
//! A copy of the database file is not a backup: with WAL the latest commits live in the `-wal`
//! file, and a copy taken while a request writes can be torn. SQLite makes the copy itself with
//! `VACUUM INTO`, inside one read transaction: a consistent snapshot of every commit before it
//! began, while the server goes on reading and writing (WAL readers never block writers). It is
//! preferred to the page-stepping `sqlite3_backup_*` calls, which start over whenever another
//! connection writes during the copy and so may never finish under a steady stream of
//! submissions. The copy is written beside its destination, synced, then renamed into place, so
//! a crash leaves either no backup or a whole one.
//!
//! PostgreSQL has its own tools (`pg_dump`, base backups with WAL archiving): see
//! `docs/deploy.md`.

use std::path::{Path, PathBuf};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// What a backup or a restored database holds, printed for the operator to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tickets: i64,
    /// The newest migration applied: the restored database needs this binary's version or a
    /// later one.
    pub schema: String,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "backup and restore are for SQLite (database.url = sqlite://…); for PostgreSQL use pg_dump \
         or a base backup with WAL archiving (docs/deploy.md, \"Backups\")"
    )]
    NotSqlite,
    #[error("{0} does not exist: nothing to back up (check database.url)")]
    NoSource(PathBuf),
    #[error("{0} exists already: choose a new name, a backup never replaces a file")]
    DestinationExists(PathBuf),
    #[error(
        "{0} exists: restore never overwrites a database, which may be live. Stop nghedan, move \
         {0} (and any -wal and -shm files beside it) aside, then restore"
    )]
    TargetExists(PathBuf),
    #[error("{path} is not a nghedan database: {reason}")]
    NotABackup { path: PathBuf, reason: String },
    #[error("cannot open {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error("copying into {path} failed: {reason}")]
    Copy { path: PathBuf, reason: String },
}

/// Copies the live SQLite database named by `url` into `dest` (which must not exist).
pub fn backup(url: &str, dest: &Path) -> Result<Summary, BackupError> {
    let source = sqlite_path(url)?;
    if !source.exists() {
        return Err(BackupError::NoSource(source));
    }
    if dest.exists() {
        return Err(BackupError::DestinationExists(dest.to_path_buf()));
    }
    let mut conn = open(&source)?;
    copy_into(&mut conn, dest)?;
    inspect(dest)
}

/// Puts the backup at `from` in place as the SQLite database named by `url`, which must not
/// exist (nor its `-wal`/`-shm` files: a stray log would be replayed into the restored file).
pub fn restore(from: &Path, url: &str) -> Result<Summary, BackupError> {
    let target = sqlite_path(url)?;
    for file in [
        target.clone(),
        sidecar(&target, "-wal"),
        sidecar(&target, "-shm"),
    ] {
        if file.exists() {
            return Err(BackupError::TargetExists(file));
        }
    }
    if !from.exists() {
        return Err(BackupError::NoSource(from.to_path_buf()));
    }
    // Checked before anything is written: a wrong file is refused, not half restored.
    inspect(from)?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| BackupError::Copy {
            path: target.clone(),
            reason: e.to_string(),
        })?;
    }
    let mut conn = open(from)?;
    copy_into(&mut conn, &target)?;
    inspect(&target)
}

fn sqlite_path(url: &str) -> Result<PathBuf, BackupError> {
    match super::Target::parse(url, 5000) {
        Ok(super::Target::Sqlite { path, .. }) => Ok(path),
        _ => Err(BackupError::NotSqlite),
    }
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn open(path: &Path) -> Result<SqliteConnection, BackupError> {
    let mut conn = SqliteConnection::establish(&path.display().to_string()).map_err(|e| {
        BackupError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?;
    // The server may be writing: wait for its lock rather than fail.
    diesel::sql_query("PRAGMA busy_timeout = 10000")
        .execute(&mut conn)
        .map_err(|e| BackupError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    Ok(conn)
}

/// `VACUUM INTO` a file beside `dest`, synced, then renamed to `dest`.
fn copy_into(conn: &mut SqliteConnection, dest: &Path) -> Result<(), BackupError> {
    let failed = |reason: String| BackupError::Copy {
        path: dest.to_path_buf(),
        reason,
    };
    let partial = sidecar(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(partial.display().to_string())
        .execute(conn)
        .map_err(|e| failed(e.to_string()))?;
    // SQLite does not sync what VACUUM INTO writes.
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(&partial, dest))
        .map_err(|e| failed(e.to_string()))?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    quick_check: String,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    tickets: i64,
    #[diesel(sql_type = Nullable<Text>)]
    schema: Option<String>,
}

/// Whether `path` is a whole nghedan database, and what it holds.
fn inspect(path: &Path) -> Result<Summary, BackupError> {
    let not_ours = |reason: String| BackupError::NotABackup {
        path: path.to_path_buf(),
        reason,
    };
    let mut conn = open(path)?;
    let check = diesel::sql_query("PRAGMA quick_check")
        .load::<Check>(&mut conn)
        .map_err(|e| not_ours(e.to_string()))?;
    if check.first().map(|c| c.quick_check.as_str()) != Some("ok") {
        let problems: Vec<_> = check.into_iter().map(|c| c.quick_check).collect();
        return Err(not_ours(problems.join("; ")));
    }
    let counted = diesel::sql_query(
        "SELECT (SELECT COUNT(*) FROM tickets) AS tickets,
                (SELECT MAX(version) FROM __diesel_schema_migrations) AS schema",
    )
    .get_result::<Counted>(&mut conn)
    .map_err(|e| not_ours(e.to_string()))?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Summary {
        tickets: counted.tickets,
        schema: counted.schema.unwrap_or_default(),
        bytes,
    })
}
