//! Background jobs: `serve` runs them beside the API by default, `nghedan worker` alone.
//!
//! One loop polls every `jobs.poll_interval_ms`; each pass runs every job once. Tests call
//! [`run_once`] directly with the test clock instead of waiting.

pub mod housekeeping;
pub mod sweep;

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db;
use crate::error::AppError;
use crate::state::AppState;

mod uploads;

/// What one pass did, for logs and tests.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pass {
    pub idempotency_keys_purged: usize,
    /// Days whose audit root was computed.
    pub days_sealed: usize,
    /// Uploads never attached to a ticket, deleted after a day (row and stored bytes).
    pub orphan_uploads_purged: usize,
    pub swept: crate::workflow::sweep::Swept,
    /// Residents told of published announcements (see `workflow::announcements::fan_out`).
    pub announced: crate::workflow::announcements::FannedOut,
    /// Consultations whose close was recorded (their synthesis is now owed).
    pub consultations_closed: usize,
    /// People sent their daily digest (see `notify::digest`).
    pub digests: usize,
    pub delivered: crate::notify::delivery::Delivered,
    /// What the housekeeping deleted (all zero in the passes between its runs).
    pub housekept: housekeeping::Removed,
}

/// Runs every job once.
pub async fn run_once(state: &AppState) -> Result<Pass, AppError> {
    let now = state.clock.now_naive();
    let purged = state
        .db(move |conn| db::idempotency::purge_expired(conn, now))
        .await?;
    let sealed = state
        .db(move |conn| db::audit::seal_days(conn, now))
        .await?;
    state.metrics.observe_removed("idempotency_keys", purged);
    let orphan_uploads_purged = uploads::purge_orphans(state).await?;
    state
        .metrics
        .observe_removed("orphan_uploads", orphan_uploads_purged);
    let housekept = housekeeping::run_if_due(state).await?.unwrap_or_default();
    let resumable = uploads::purge_resumable(state).await?;
    state
        .metrics
        .observe_removed("resumable_uploads", resumable);
    // The sweep first: what it queues goes out in the same pass.
    let swept = sweep::run(state).await?;
    // Announcements reach their residents before delivery, which sends what this queued.
    let announced = announce(state).await?;
    let consultations_closed = {
        let st = state.clone();
        state
            .db(move |conn| {
                let ctx = st.ticket_ctx(conn)?;
                crate::workflow::consultations::close_due(conn, &ctx)
            })
            .await?
    };
    // Then the digests, after the sweep's reminders joined them and before delivery.
    let digests = digests(state).await?;
    let delivered = crate::notify::delivery::run(&state.courier(), 10_000).await?;
    Ok(Pass {
        idempotency_keys_purged: purged,
        days_sealed: sealed,
        swept,
        announced,
        consultations_closed,
        digests,
        orphan_uploads_purged,
        delivered,
        housekept,
    })
}

/// People (or anonymous installs) told per fan-out transaction.
pub const FANOUT_BATCH: i64 = 1_000;
/// Fan-out batches per pass: a pass stays bounded, and the next one resumes.
pub const FANOUT_BATCHES_PER_PASS: usize = 500;

/// Tells residents of the announcements that became public (see
/// `workflow::announcements::fan_out`).
async fn announce(state: &AppState) -> Result<crate::workflow::announcements::FannedOut, AppError> {
    let now = state.clock.now();
    let delivery = state.delivery(now);
    state
        .db(move |conn| {
            crate::workflow::announcements::fan_out(
                conn,
                &delivery,
                FANOUT_BATCH,
                FANOUT_BATCHES_PER_PASS,
                now.naive_utc(),
            )
        })
        .await
}

/// The daily digests due as of now (the test clock in tests).
async fn digests(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let delivery = state.delivery(now);
    let tz = state.settings.deadlines.timezone;
    state
        .db(move |conn| crate::notify::digest::run(conn, now, tz, &delivery))
        .await
}

pub struct Runner {
    state: AppState,
}

pub struct RunningJobs {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Runner {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    pub fn spawn(self) -> RunningJobs {
        let (stop, mut stopped) = watch::channel(false);
        let interval = Duration::from_millis(self.state.settings.jobs.poll_interval_ms);
        let state = self.state;
        let handle = tokio::spawn(async move {
            tracing::info!(
                interval_ms = interval.as_millis() as u64,
                "background jobs started"
            );
            loop {
                let outcome = run_once(&state).await;
                state
                    .metrics
                    .observe_pass(outcome.is_ok(), state.clock.now().timestamp());
                match outcome {
                    Ok(pass) if pass != Pass::default() => tracing::info!(?pass, "jobs pass"),
                    Ok(_) => {}
                    // The database may be away for a while; keep polling, it will come back.
                    Err(e) => tracing::warn!(error = %e, "jobs pass failed"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stopped.changed() => break,
                }
            }
            tracing::info!("background jobs stopped");
        });
        RunningJobs { stop, handle }
    }
}

impl RunningJobs {
    /// Lets the current pass finish, then stops.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }

    /// Waits until the jobs stop (they stop only when told, so this is "run forever").
    pub async fn join(self) {
        let _ = self.handle.await;
    }
}
