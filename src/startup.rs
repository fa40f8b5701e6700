//! Builds the application from settings: pool, migrations, HTTP server and background jobs.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;
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
        let (host, port) = (settings.server.host.as_str(), settings.server.port);
        let listener = listen(host, port, settings.server.listen_backlog).with_context(|| {
            format!("cannot listen on {host}:{port} (server.host, server.port)")
        })?;
        let port = listener.local_addr()?.port();
        let server = http_server(listener, &settings, web::Data::new(state.clone()))?;
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
        let watch = self.state.watch_reference();
        let result = self.server.await;
        watch.abort();
        if let Some(jobs) = jobs {
            jobs.stop().await;
        }
        result.context("HTTP server failed")
    }
}

/// `nghedan worker`: the background jobs, with `/health/live`, `/health/ready` and
/// `/metrics` on `worker.host:worker.port` so that a service manager or an orchestrator can
/// watch it like the API processes.
pub struct Worker {
    port: u16,
    server: Server,
    state: AppState,
}

impl Worker {
    /// Connects, migrates (unless disabled) and binds; nothing runs until
    /// [`Worker::run_until_stopped`].
    pub async fn build(settings: Settings, deps: Dependencies) -> anyhow::Result<Self> {
        let state = prepare(settings, deps).await?;
        let worker = &state.settings.worker;
        let backlog = state.settings.server.listen_backlog;
        let listener = listen(&worker.host, worker.port, backlog).with_context(|| {
            format!(
                "cannot listen on {}:{} (worker.host, worker.port)",
                worker.host, worker.port
            )
        })?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let server = actix_web::HttpServer::new(move || crate::api::operations_app(data.clone()))
            .workers(1)
            .shutdown_timeout(state.settings.server.shutdown_timeout_secs)
            .listen(listener)?
            .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Runs the jobs until SIGTERM/Ctrl-C (the server stops on either), letting the pass in
    /// progress finish.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let watch = self.state.watch_reference();
        let jobs = jobs::Runner::new(self.state).spawn();
        let result = self.server.await;
        watch.abort();
        jobs.stop().await;
        result.context("worker health server failed")
    }
}

/// Binds `host:port` (the first address it resolves to) with a listen queue of `backlog`,
/// where `TcpListener::bind` would give 128.
fn listen(host: &str, port: u16, backlog: u32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    use std::net::ToSocketAddrs;

    let addr = (host, port).to_socket_addrs()?.next().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the host has no address")
    })?;
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    // As `TcpListener::bind` does: a restarted server may bind while old connections linger.
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// The HTTP server: what `actix_web::HttpServer` would build, with every connection read
/// through the request-head guard (see [`crate::api::request_head`]), which `HttpServer`
/// has no place for.
fn http_server(
    listener: TcpListener,
    settings: &Settings,
    data: web::Data<AppState>,
) -> anyhow::Result<Server> {
    use crate::api::request_head::GuardedStream;
    use actix_service::{ServiceFactoryExt, fn_service, map_config};

    let mut builder =
        actix_server::Server::build().shutdown_timeout(settings.server.shutdown_timeout_secs);
    if settings.server.workers > 0 {
        builder = builder.workers(settings.server.workers);
    }
    let shutdown = builder.graceful_shutdown_signal();
    // Live-update streams never finish by themselves: end them when shutdown begins, so
    // that it need not wait `shutdown_timeout_secs` for them.
    let stopping = builder.graceful_shutdown_signal();
    let live = data.live.clone();
    tokio::spawn(async move {
        stopping.notified().await;
        live.stop();
    });
    let request_timeout = Duration::from_millis(settings.server.client_request_timeout_ms);
    let head_limit = settings.server.max_header_bytes;
    let addr = listener.local_addr()?;
    let builder = builder.listen("nghedan-http", listener, move || {
        let shutdown = shutdown.clone();
        let http = actix_http::HttpService::build()
            .graceful_shutdown_signal(move || {
                let signal = shutdown.clone();
                async move { signal.notified().await }
            })
            .client_request_timeout(request_timeout)
            .client_disconnect_timeout(Duration::from_secs(1))
            .local_addr(addr)
            .on_connect_ext(|io: &GuardedStream<actix_rt::net::TcpStream>, ext| {
                ext.insert(io.refused_head());
            })
            // The host and address of `AppConfig` matter only to URL generation, unused here.
            .finish(map_config(crate::api::app(data.clone()), |_| {
                actix_web::dev::AppConfig::default()
            }));
        let parser = actix_http::ServiceConfig::default();
        fn_service(move |io: actix_rt::net::TcpStream| {
            let parser = parser.clone();
            async move {
                let peer = io.peer_addr().ok();
                Ok::<_, actix_http::error::DispatchError>((
                    GuardedStream::new(io, head_limit, parser),
                    actix_http::Protocol::Http1,
                    peer,
                ))
            }
        })
        .and_then(http)
    })?;
    Ok(builder.run())
}

/// Pool, migrations and reference data: what `serve`, `worker` and `migrate` share.
pub async fn prepare(settings: Settings, deps: Dependencies) -> anyhow::Result<AppState> {
    let settings = Arc::new(settings);
    let db_settings = settings.database.clone();
    let pool = tokio::task::spawn_blocking(move || db::build_pool(&db_settings))
        .await
        .context("database start-up task")??;
    let db_settings = settings.database.clone();
    let replica = db::build_replica_pool(&db_settings).context("database.replica_url")?;
    let auth_settings = settings.auth.clone();
    let auth =
        tokio::task::spawn_blocking(move || crate::auth::Auth::from_settings(&auth_settings))
            .await
            .context("auth start-up task")??;
    let state = AppState {
        settings: settings.clone(),
        pool,
        replica,
        clock: deps.clock,
        metrics: Arc::new(Metrics::new()),
        auth: Arc::new(auth),
        mailer: Arc::new(
            crate::notify::Mailer::from_settings(&settings.email).context("email settings")?,
        ),
        push: Arc::new(
            crate::notify::Push::from_settings(&settings.push).context("push settings")?,
        ),
        refs: Arc::new(crate::db::reference::Refs::default()),
        media: crate::media::MediaStore::from_settings(&settings.media)
            .context("media settings")?,
        housekeeping: Default::default(),
        live: Default::default(),
        open_counts: Default::default(),
    };
    if settings.database.migrate_on_start {
        migrate(&state).await?;
    }
    Ok(state)
}

/// Applies pending migrations and loads missing reference data, under the PostgreSQL advisory
/// lock so that several processes starting together take turns; then fills in what an upgrade
/// added (clock summaries), in batches of their own, outside the lock: a first start after such
/// an upgrade must not hold every ticket's row lock until it is done, and two processes doing
/// the same batch at once only write the same values twice.
pub async fn migrate(state: &AppState) -> anyhow::Result<Vec<String>> {
    let pool = state.pool.clone();
    let now = state.clock.now_naive();
    let day_end = state.settings.deadlines.day_end();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<String>> {
        let mut conn = pool
            .get()
            .context("no database connection for migrations")?;
        let applied = db::with_advisory_lock(&mut conn, db::LOCK_MIGRATIONS, |conn| {
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
            Ok::<_, anyhow::Error>(applied)
        })?;
        // Once, after the upgrade that added them: the clock summaries reports read.
        let cal = db::calendar::load(&mut conn)
            .map_err(|e| anyhow::anyhow!("calendar failed to load: {e}"))?;
        let progress = crate::progress::Progress::on_terminal("clock summaries", None);
        let summarised =
            db::clocks::summarise_missing(&mut conn, &cal, &day_end, now.and_utc(), &progress)
                .map_err(|e| anyhow::anyhow!("clock summaries failed: {e}"))?;
        progress.finish();
        if summarised > 0 {
            tracing::info!(tickets = summarised, "clock summaries filled in");
        }
        Ok(applied)
    })
    .await?
}

/// One rustls crypto backend (ring) for the whole process; safe to call more than once.
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
