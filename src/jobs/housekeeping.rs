//! Housekeeping: deletes what only grows and is no longer needed, at most once per
//! `housekeeping.interval_secs` (reckoned on the [`Clock`](crate::clock::Clock)), in batches so
//! that a first run over a large table never holds SQLite's write lock for long. Each kind
//! removed is counted in `nghedan_housekeeping_removed_total{what}`.

use std::sync::Mutex;

use chrono::{Duration, NaiveDateTime};

use crate::db::users::Purpose;
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::state::AppState;

/// Rows deleted per statement; a run repeats batches until none is left.
const BATCH: i64 = 1_000;

/// The longest fixed window a rate limit counts in: the hourly limits (sign-ups, resets,
/// anonymous submissions and uploads, tracking-secret guesses) or the sign-in window.
fn longest_rate_window(state: &AppState) -> Duration {
    Duration::hours(1).max(Duration::seconds(state.settings.limits.login_window_secs))
}

/// What one run deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Removed {
    pub rate_limits: usize,
    pub refresh_tokens: usize,
    pub verification_tokens: usize,
    pub reset_tokens: usize,
    pub outbox_messages: usize,
    pub notifications: usize,
}

/// When this process last did the housekeeping.
#[derive(Debug, Default)]
pub struct Schedule {
    last: Mutex<Option<NaiveDateTime>>,
}

impl Schedule {
    /// Whether a run is due at `now`; if so, `now` becomes the last run.
    fn claim(&self, now: NaiveDateTime, interval: Duration) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        match *last {
            Some(at) if now < at + interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }

    /// A run failed: the next pass tries again.
    fn forget(&self) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Does the housekeeping if it is due; `None` when it is not.
pub async fn run_if_due(state: &AppState) -> Result<Option<Removed>, AppError> {
    let now = state.clock.now_naive();
    let interval = Duration::seconds(state.settings.housekeeping.interval_secs);
    if !state.housekeeping.claim(now, interval) {
        return Ok(None);
    }
    let removed = run(state, now).await;
    if removed.is_err() {
        state.housekeeping.forget();
    }
    removed.map(Some)
}

/// Deletes everything past its time as of `now`.
pub async fn run(state: &AppState, now: NaiveDateTime) -> Result<Removed, AppError> {
    let h = &state.settings.housekeeping;
    let windows_started_before = now - longest_rate_window(state);
    let tokens_expired_before = now - Duration::days(h.expired_tokens_kept_days);
    let messages_before = now - Duration::days(h.sent_messages_kept_days);
    let notifications_before = now - Duration::days(h.read_notifications_kept_days);
    let removed = Removed {
        rate_limits: purge(state, "rate_limits", move |c| {
            Ok(db::rate_limits::purge(c, windows_started_before, BATCH)?)
        })
        .await?,
        refresh_tokens: purge(state, "refresh_tokens", move |c| {
            Ok(db::users::purge_expired_refresh_tokens(
                c,
                tokens_expired_before,
                BATCH,
            )?)
        })
        .await?,
        verification_tokens: purge(state, "verification_tokens", move |c| {
            Ok(db::users::purge_expired_email_tokens(
                c,
                Purpose::VerifyEmail,
                tokens_expired_before,
                BATCH,
            )?)
        })
        .await?,
        reset_tokens: purge(state, "reset_tokens", move |c| {
            Ok(db::users::purge_expired_email_tokens(
                c,
                Purpose::PasswordReset,
                tokens_expired_before,
                BATCH,
            )?)
        })
        .await?,
        outbox_messages: purge(state, "outbox_messages", move |c| {
            crate::notify::outbox::purge_delivered(c, messages_before, BATCH)
        })
        .await?,
        notifications: purge(state, "notifications", move |c| {
            crate::notify::in_app::purge_read(c, notifications_before, BATCH)
        })
        .await?,
    };
    Ok(removed)
}

/// Runs `batch` (which deletes at most [`BATCH`] rows) until it deletes fewer; counts the
/// total under `what`.
async fn purge<F>(state: &AppState, what: &'static str, batch: F) -> Result<usize, AppError>
where
    F: Fn(&mut DbConn) -> Result<usize, AppError> + Clone + Send + 'static,
{
    let mut total = 0;
    loop {
        let batch = batch.clone();
        let n = state.db(move |c| batch(c)).await?;
        total += n;
        state.metrics.observe_removed(what, n);
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}
