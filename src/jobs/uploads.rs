//! The orphan purge: an upload not attached to a ticket within a day is deleted, row and bytes.

use chrono::Duration;

use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// How long an upload may wait for its ticket.
pub const ORPHAN_AFTER: Duration = Duration::hours(24);
/// Rows deleted per batch; a pass repeats batches until none is left.
const BATCH: i64 = 500;

/// Deletes every orphan older than [`ORPHAN_AFTER`]; returns how many. The rows go first (in
/// the database's own transaction), then their bytes: a failed byte delete leaves a stray
/// object, never a row pointing at nothing.
pub async fn purge_orphans(state: &AppState) -> Result<usize, AppError> {
    let cutoff = state.clock.now_naive() - ORPHAN_AFTER;
    let mut purged = 0;
    loop {
        let gone = state
            .db(move |conn| db::uploads::purge_orphans(conn, cutoff, BATCH))
            .await?;
        for keys in &gone {
            for key in std::iter::once(&keys.storage_key).chain(keys.thumbnail_key.as_ref()) {
                if let Err(e) = state.media.delete(key).await {
                    tracing::warn!(error = %e, key = %key, "orphan upload's bytes not deleted");
                }
            }
        }
        purged += gone.len();
        if (gone.len() as i64) < BATCH {
            return Ok(purged);
        }
    }
}

/// Deletes every resumable upload past its 24 hours (finished or not), row and stored
/// stretches; returns how many.
pub async fn purge_resumable(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now_naive();
    let mut purged = 0;
    loop {
        let gone = state
            .db(move |conn| db::resumable::purge_expired(conn, now, BATCH))
            .await?;
        for key in gone.iter().flat_map(|r| r.part_keys()) {
            if let Err(e) = state.media.delete(&key).await {
                tracing::warn!(error = %e, key = %key, "expired resumable upload's bytes not deleted");
            }
        }
        purged += gone.len();
        if (gone.len() as i64) < BATCH {
            return Ok(purged);
        }
    }
}
