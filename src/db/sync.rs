//! Delta sync: where a reader stands among the changes to tickets and notifications.
//!
//! Every insert or real change of a ticket or notification stamps its row's `change_tx`
//! (a trigger, so that no write path can forget). A reader takes the [`horizon`] first and then
//! reads rows stamped after its position; next time it starts at that horizon. Every change
//! not yet committed when the horizon was taken is stamped at or above it, so none is missed,
//! whatever second it happened in and however concurrent writers' commits interleave.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::{DbConn, Error};

/// A position among changes: rows with `(change_tx, id)` greater than it come after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub tx: i64,
    pub id: i64,
}

impl Position {
    /// Before every change.
    pub const START: Position = Position {
        tx: i64::MIN,
        id: 0,
    };

    /// Just before every change stamped `tx` or later.
    pub fn at(tx: i64) -> Position {
        Position {
            tx: tx.saturating_sub(1),
            id: i64::MAX,
        }
    }
}

#[derive(QueryableByName)]
struct Horizon {
    #[diesel(sql_type = BigInt)]
    h: i64,
}

/// The lowest stamp a change not yet visible to this connection can carry. SQLite has one
/// writer at a time and a counter bumped per changed row: the next value. PostgreSQL stamps
/// the writer's transaction id: the oldest transaction still running (the snapshot's xmin).
pub fn horizon(conn: &mut DbConn) -> Result<i64, Error> {
    let sql = match conn {
        DbConn::Sqlite(_) => "SELECT value + 1 AS h FROM sync_counter WHERE id = 1",
        DbConn::Postgres(_) => "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS h",
    };
    Ok(diesel::sql_query(sql).get_result::<Horizon>(conn)?.h)
}

/// Which of `users` had a ticket they submitted or a notification changed at or after stamp
/// `from` (each at most once). Live updates ask this once per poll for every user with an
/// open stream, through the `(user, change_tx)` indexes delta sync reads.
pub fn changed_users(conn: &mut DbConn, users: &[i64], from: i64) -> Result<Vec<i64>, Error> {
    use super::schema::{notifications, tickets};

    let mut found = Vec::new();
    // Bounded lists of bind parameters (SQLite allows 32,766, PostgreSQL 65,535).
    for chunk in users.chunks(500) {
        let mut told: Vec<i64> = notifications::table
            .filter(notifications::user_id.eq_any(chunk))
            .filter(notifications::change_tx.ge(from))
            .select(notifications::user_id)
            .distinct()
            .load(conn)?;
        // `change_tx` is not in diesel's `tickets` (the table is at its 64-column limit).
        let mut submitted: Vec<Option<i64>> = tickets::table
            .filter(tickets::submitter_id.eq_any(chunk))
            .filter(super::fragments::condition_with::<BigInt, _>(
                "tickets.change_tx >= {}",
                from,
            ))
            .select(tickets::submitter_id)
            .distinct()
            .load(conn)?;
        found.append(&mut told);
        found.extend(submitted.drain(..).flatten());
    }
    found.sort_unstable();
    found.dedup();
    Ok(found)
}
