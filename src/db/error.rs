//! What storage can fail with: a statement, the pool, a stored value that cannot be read back,
//! or a write that a concurrent one got to first. No refusals: the caller decides what a
//! storage fact (a unique violation, say) means for the request.

use diesel::result::Error as DieselError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Query(#[from] DieselError),
    #[error("no database connection: {0}")]
    Pool(#[from] r2d2::Error),
    /// A stored value that cannot be decoded (an unknown word, unreadable JSON): never
    /// read as a default.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// A concurrent write took the same place first (a timeline's next `seq`); retrying
    /// may succeed.
    #[error("a concurrent write came first")]
    Concurrent,
    /// The work on the connection never finished (it panicked, or the runtime is stopping).
    #[error("database work aborted: {0}")]
    Aborted(String),
}

impl Error {
    pub fn corrupt(what: impl std::fmt::Display) -> Self {
        Error::Corrupt(what.to_string())
    }

    /// Whether the statement hit a unique index (a code or an address already taken).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Error::Query(e) if super::is_unique_violation(e))
    }

    /// Whether the database cannot be reached or is locked right now (the caller may retry),
    /// rather than a bug.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Error::Query(e) => super::is_unavailable(e),
            Error::Pool(_) => true,
            Error::Corrupt(_) | Error::Concurrent | Error::Aborted(_) => false,
        }
    }

    /// Whether a row lock was not granted within the transaction's `lock_timeout`.
    pub fn is_lock_timeout(&self) -> bool {
        matches!(self, Error::Query(e) if super::is_lock_timeout(e))
    }
}
