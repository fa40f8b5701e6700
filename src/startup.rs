//! Builds the application from settings: pool, migrations, HTTP server and background jobs.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{HttpServer, web};
use anyhow::Context;

use crate::clock::{SharedClock, SystemClock};
use crate::config::Settings;
use crate::db;
use crate::jobs;
use crate::metrics::Metrics;
use crate::state::AppState;

/// What a caller may inject instead of the defaults (tests pass a settable clock).
#[derive(Clone)]
pub struct Dependencies {
    pub clock: SharedClock,
}

impl Default for Dependencies {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    jobs: Option<jobs::Runner>,
}

impl Application {
    /// Connects, migrates (unless disabled), binds `server.host:server.port` (port 0 picks a
    /// free one) and prepares the jobs; nothing runs until [`Application::run_until_stopped`].
    pub async fn build(
        settings: Settings,
        deps: Dependencies,
        with_jobs: bool,
    ) -> anyhow::Result<Self> {
        let state = prepare(settings, deps).await?;
        let settings = state.settings.clone();
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (server.host, server.port)",
                    settings.server.host, settings.server.port
                )
            })?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || crate::api::app(data.clone()))
            .client_request_timeout(Duration::from_millis(
                settings.server.client_request_timeout_ms,
            ))
            .shutdown_timeout(settings.server.shutdown_timeout_secs)
            .max_connection_rate(256)
            .listen(listener)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.run();
        let jobs = with_jobs.then(|| jobs::Runner::new(state.clone()));
        Ok(Self {
            port,
            server,
            state,
            jobs,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops the server from elsewhere (tests).
    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/Ctrl-C (in-flight requests finish), then stops the jobs.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let jobs = self.jobs.map(|r| r.spawn());
        let result = self.server.await;
        if let Some(jobs) = jobs {
            jobs.stop().await;
        }
        result.context("HTTP server failed")
    }
}

/// Pool, migrations and reference data: what `serve`, `worker` and `migrate` share.
pub async fn prepare(settings: Settings, deps: Dependencies) -> anyhow::Result<AppState> {
    let settings = Arc::new(settings);
    let db_settings = settings.database.clone();
    let pool = tokio::task::spawn_blocking(move || db::build_pool(&db_settings))
        .await
        .context("database start-up task")??;
    let auth_settings = settings.auth.clone();
    let auth =
        tokio::task::spawn_blocking(move || crate::auth::Auth::from_settings(&auth_settings))
            .await
            .context("auth start-up task")??;
    let state = AppState {
        settings: settings.clone(),
        pool,
        clock: deps.clock,
        metrics: Arc::new(Metrics::new()),
        auth: Arc::new(auth),
        mailer: Arc::new(
            crate::notify::Mailer::from_settings(&settings.email).context("email settings")?,
        ),
        push: Arc::new(
            crate::notify::Push::from_settings(&settings.push).context("push settings")?,
        ),
        media: crate::media::MediaStore::from_settings(&settings.media)
            .context("media settings")?,
    };
    if settings.database.migrate_on_start {
        migrate(&state).await?;
    }
    Ok(state)
}

/// Applies pending migrations and loads missing reference data, under the PostgreSQL advisory
/// lock so that several processes starting together take turns.
pub async fn migrate(state: &AppState) -> anyhow::Result<Vec<String>> {
    let pool = state.pool.clone();
    let now = state.clock.now_naive();
    let day_end = state.settings.deadlines.day_end();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn = pool
            .get()
            .context("no database connection for migrations")?;
        db::with_advisory_lock(&mut conn, db::LOCK_MIGRATIONS, |conn| {
            let applied = db::migrate::run_pending(conn)
                .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
            for version in &applied {
                tracing::info!(%version, "migration applied");
            }
            let loaded = db::reference::load(conn, now)
                .map_err(|e| anyhow::anyhow!("reference data failed to load: {e}"))?;
            if loaded != db::reference::Loaded::default() {
                tracing::info!(?loaded, "reference data loaded");
            }
            // Once, after the upgrade that added them: the clock summaries reports read.
            let cal = db::calendar::load(conn)
                .map_err(|e| anyhow::anyhow!("calendar failed to load: {e}"))?;
            let summarised = db::clocks::summarise_missing(conn, &cal, &day_end, now.and_utc())
                .map_err(|e| anyhow::anyhow!("clock summaries failed: {e}"))?;
            if summarised > 0 {
                tracing::info!(tickets = summarised, "clock summaries filled in");
            }
            Ok::<_, anyhow::Error>(applied)
        })
    })
    .await?
}

/// One rustls crypto backend (ring) for the whole process; safe to call more than once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
