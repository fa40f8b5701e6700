//! What every handler and job shares: settings, the pool, the clock, metrics.

use std::sync::Arc;

use actix_web::web;

use crate::auth::Auth;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::error::AppError;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    /// `database.replica_url`'s pool: reads that may lag (see [`AppState::db_lagging`]).
    pub replica: Option<Pool>,
    pub clock: SharedClock,
    pub metrics: Arc<Metrics>,
    pub auth: Arc<Auth>,
    pub mailer: Arc<crate::notify::Mailer>,
    pub push: Arc<crate::notify::Push>,
    /// Where uploads' bytes live (`[media]`).
    pub media: crate::media::MediaStore,
    /// When this process last did the housekeeping (see `jobs::housekeeping`).
    pub housekeeping: Arc<crate::jobs::housekeeping::Schedule>,
    /// This process's copy of the reference data.
    pub refs: Arc<crate::db::reference::Refs>,
    /// This process's live-update streams (`GET /me/events`) and their poller.
    pub live: Arc<crate::api::events::Hub>,
    /// The console inbox header's counts of a moment ago (`db::inbox::CountsCache`).
    pub open_counts: Arc<crate::db::inbox::CountsCache>,
}

impl AppState {
    /// Runs synchronous database work on the blocking pool with a pooled connection. Waiting
    /// longer than `database.acquire_timeout_ms` for a connection is a 503, not a hang.
    pub async fn db<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<crate::db::Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        let refs = self.refs.clone();
        counted(move || {
            crate::db::reference::take_changed();
            let out = on(&pool, f);
            if crate::db::reference::take_changed() {
                refs.mark_stale();
            }
            out
        })
        .await
    }

    /// Read-only work that may see the data of a moment ago — reports, public pages,
    /// scorecards — on the replica (`database.replica_url`), else like [`AppState::db`].
    /// A replica that cannot be reached is logged and counted
    /// (`nghedan_db_replica_fallbacks_total`), then read around: on the primary, or a 503 with
    /// `database.replica_fallback = "unavailable"`. Never for a person's own data just written.
    pub async fn db_lagging<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<crate::db::Error> + Send + 'static,
    {
        let Some(replica) = self.replica.clone() else {
            return self.db(f).await;
        };
        let primary = self.pool.clone();
        let metrics = self.metrics.clone();
        let fallback = self.settings.database.replica_fallback;
        counted(move || match replica.get() {
            Ok(mut conn) => f(&mut conn),
            Err(e) => {
                metrics.observe_replica_fallback();
                match fallback {
                    crate::config::ReplicaFallback::Primary => {
                        tracing::warn!(error = %e, "the replica cannot be reached: reading on the primary");
                        on(&primary, f)
                    }
                    crate::config::ReplicaFallback::Unavailable => {
                        tracing::warn!(error = %e, "the replica cannot be reached: 503");
                        Err(E::from(e.into()))
                    }
                }
            }
        })
        .await
    }
}

/// `f` on a connection from `pool`.
fn on<T, E, F>(pool: &Pool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<crate::db::Error>,
{
    pool.get()
        .map_err(|e| E::from(e.into()))
        .and_then(|mut conn| f(&mut conn))
}

/// Runs `work` on the blocking pool, adding the statements it sent to the request's count.
async fn counted<T, E, W>(work: W) -> Result<T, E>
where
    W: FnOnce() -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<crate::db::Error> + Send + 'static,
{
    let (out, statements) = web::block(move || {
        let before = crate::db::statements::executed();
        let out = work();
        (out, crate::db::statements::executed() - before)
    })
    .await
    .map_err(|e| E::from(crate::db::Error::Aborted(e.to_string())))?;
    crate::db::statements::add_to_request(statements);
    out
}

impl AppState {
    /// Reads the reference data's version every `reference::WATCH_EVERY` and marks this
    /// process's copy stale when another process changed it (`reference::Refs`). Runs until
    /// the returned task is aborted; a failed read is tried again at the next tick.
    pub fn watch_reference(&self) -> tokio::task::JoinHandle<()> {
        let pool = self.pool.clone();
        let refs = self.refs.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(crate::db::reference::WATCH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let pool = pool.clone();
                let read =
                    tokio::task::spawn_blocking(move || on(&pool, crate::db::reference::version))
                        .await;
                match read {
                    Ok(Ok(version)) => {
                        refs.note_version(version);
                    }
                    Ok(Err(e)) => tracing::debug!(error = %e, "reference version not read"),
                    Err(_) => {}
                }
            }
        })
    }

    /// The outbox worker, with what it needs from the application.
    pub fn courier(&self) -> crate::notify::delivery::Courier {
        crate::notify::delivery::Courier {
            pool: self.pool.clone(),
            clock: self.clock.clone(),
            settings: self.settings.clone(),
            mailer: self.mailer.clone(),
            push: self.push.clone(),
            metrics: self.metrics.clone(),
        }
    }

    /// How messages queued at `now` go out: which push services are on, and when pushes
    /// queued in quiet hours may go.
    pub fn delivery(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::notify::recipients::Delivery {
        use crate::notify::recipients::{Delivery, PushChannels};
        let n = &self.settings.notifications;
        let tz = self.settings.deadlines.timezone;
        let quiet = |s: &str| chrono::NaiveTime::parse_from_str(s, "%H:%M").ok();
        let push_not_before = match (quiet(&n.quiet_hours_start), quiet(&n.quiet_hours_end)) {
            (Some(a), Some(b)) => {
                crate::notify::delivery::after_quiet_hours(now.naive_utc(), tz, a, b)
            }
            _ => None,
        };
        Delivery {
            push: PushChannels::of(&self.push),
            push_not_before,
        }
    }

    /// The reference data in force: the held copy without a connection while it is known
    /// to be current, else checked (and reloaded if it moved) on a connection of its own.
    pub async fn reference<E>(&self) -> Result<Arc<crate::db::reference::Snapshot>, E>
    where
        E: From<crate::db::Error> + Send + 'static,
    {
        if let Some(s) = self.refs.held_current() {
            return Ok(s);
        }
        let refs = self.refs.clone();
        self.db(move |c| refs.current(c).map_err(E::from)).await
    }

    /// What a ticket operation needs: now, the calendar in force, and how messages go out
    /// (which push services are on; pushes queued in quiet hours wait for the morning).
    pub fn ticket_ctx(&self, conn: &mut DbConn) -> Result<crate::workflow::Ctx, AppError> {
        let refs = self.refs.current(conn)?;
        Ok(self.ticket_ctx_with(refs))
    }

    /// [`AppState::ticket_ctx`] with the reference data the request already holds.
    pub fn ticket_ctx_with(
        &self,
        refs: Arc<crate::db::reference::Snapshot>,
    ) -> crate::workflow::Ctx {
        let now = self.clock.now();
        crate::workflow::Ctx {
            now,
            cal: refs.calendar.clone(),
            refs,
            day_end: self.settings.deadlines.day_end(),
            delivery: self.delivery(now),
            complaint_suspension: self.settings.tickets.complaint_suspension,
            support_threshold: self.settings.tickets.support_threshold,
            max_attachments: self.settings.media.max_per_ticket,
        }
    }
}
