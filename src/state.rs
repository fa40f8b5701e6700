//! What every handler and job shares: settings, the pool, the clock, metrics.

use std::sync::Arc;

use actix_web::web;

use crate::auth::Auth;
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::error::ApiError;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub pool: Pool,
    pub clock: SharedClock,
    pub metrics: Arc<Metrics>,
    pub auth: Arc<Auth>,
    pub mailer: Arc<crate::notify::Mailer>,
    pub push: Arc<crate::notify::Push>,
    /// Where uploads' bytes live (`[media]`).
    pub media: crate::media::MediaStore,
}

impl AppState {
    /// Runs synchronous database work on the blocking pool with a pooled connection. Waiting
    /// longer than `database.acquire_timeout_ms` for a connection is a 503, not a hang.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }
}
