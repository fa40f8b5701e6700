//! The `nghedan` command line. `main.rs` only calls [`main`].

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::error::AppError;
use crate::startup::{self, Application, Dependencies};

/// The version and the commit it was built from (see `build.rs`), e.g. `0.1.0 (224ae16)`.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("NGHEDAN_GIT_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "nghedan",
    version = VERSION,
    about = "Nghe dân: the backend of a citizen-feedback app for Vietnamese local government.",
    long_about = "Nghe dân (\"listen to the people\"): receives citizens' feedback, petitions, \
complaints and denunciations, routes each to the responsible unit, runs the legal deadlines \
and tells people what happened.\n\nConfiguration: config/default.toml < config/{NGHEDAN_ENV}.toml \
< NGHEDAN__SECTION__KEY environment variables (e.g. NGHEDAN__DATABASE__URL)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (and, unless jobs.run_in_serve is false, the background jobs).
    Serve {
        /// Do not run the background jobs in this process.
        #[arg(long)]
        no_jobs: bool,
        /// Load the demo organisation and accounts first (`local` environment only).
        #[arg(long)]
        demo: bool,
    },
    /// Run only the background jobs, for deployments that keep them apart from the API; health
    /// and metrics on `worker.host:worker.port`.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Exit 0 when this machine's API (or, with --worker, its worker) answers /health/ready:
    /// for container health checks on an image without curl.
    Healthcheck {
        /// Ask the worker's port (worker.port) instead of the API's (server.port).
        #[arg(long)]
        worker: bool,
    },
    /// SQLite: copy the database (live: the server may keep running) into a new file PATH.
    /// PostgreSQL: use pg_dump or base backups (docs/deploy.md).
    Backup {
        /// The backup file to create; it must not exist.
        path: std::path::PathBuf,
    },
    /// SQLite: put the backup PATH in place as database.url's file, which must not exist
    /// (restore never overwrites a database).
    Restore {
        /// A file made by `nghedan backup`.
        path: std::path::PathBuf,
    },
    /// Load data: `seed demo` loads the demo organisation and accounts (local only).
    Seed {
        #[command(subcommand)]
        what: SeedCommand,
    },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Open311 GeoReport v2 clients and their api_keys.
    Open311 {
        #[command(subcommand)]
        command: Open311Command,
    },
}

#[derive(Debug, Subcommand)]
pub enum Open311Command {
    /// Make a client and print its api_key (shown this once; kept only hashed).
    AddClient {
        /// Shown to the units as the channel of what the client sends.
        name: String,
    },
    /// List the clients (never their keys).
    ListClients,
    /// Revoke a client: its key stops working at once.
    RevokeClient { name: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chains (ticket timelines, daily roots, the administrators' log) and
    /// name the first record that does not match. Exits 1 when one does not.
    Verify {
        /// First day (UTC), YYYY-MM-DD; default: the beginning.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (UTC), inclusive; default: today.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
pub enum SeedCommand {
    /// The demo organisation: five provinces with their units, a category tree, routing rules
    /// and accounts (password printed). Running it twice changes nothing.
    Demo {
        /// Also generate this many tickets received over the past months, taken through the
        /// workflow with realistic delays (on a fresh database: before any audit day is sealed).
        #[arg(long)]
        history: Option<usize>,
        /// How many months back the generated tickets reach.
        #[arg(long, default_value_t = 12)]
        months: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an account (the first admin, typically). Prints a generated password unless
    /// --password-stdin is given.
    CreateUser {
        #[arg(long)]
        email: String,
        /// admin, official or supervisor (citizens sign up themselves).
        #[arg(long, default_value = "admin")]
        role: String,
        #[arg(long, default_value = "Quản trị viên")]
        name: String,
        /// The unit of an official, or the unit a supervisor oversees.
        #[arg(long)]
        unit_id: Option<i64>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Recompute the due dates of open tickets under the policies and calendar in force now
    /// (changes to them never move running tickets' dates otherwise). Records an event on
    /// each ticket whose dates change.
    RecomputeDeadlines,
    /// Import units or routing rules from CSV. Every row is checked first; any bad row is
    /// reported by line number and nothing is written.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Look at the notification outbox: list messages by state, put dead ones back in the
    /// queue, delete old sent ones.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Counts by channel and state, then the newest messages in one state with their last
    /// error (never their content).
    List {
        /// queued, sent, dead or suppressed (not sent: the address unsubscribed).
        #[arg(long, default_value = "dead", value_parser = ["queued", "sent", "dead", "suppressed"])]
        state: String,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put dead-lettered messages back in the queue (all of them, or one by --id), with their
    /// attempts reset; the workers send them at once.
    Retry {
        #[arg(long)]
        id: Option<i64>,
    },
    /// Delete sent and suppressed messages created more than --older-than-days ago (and dead
    /// ones with --dead).
    Purge {
        #[arg(long, default_value_t = 30)]
        older_than_days: i64,
        #[arg(long)]
        dead: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Columns: code,name_vi,name_en,kind,parent_code,email,area_codes,category_codes,sees_subunits
    /// (lists separated by spaces or `;`; a parent may be defined earlier in the file).
    Units { file: std::path::PathBuf },
    /// Columns: category_code,area_code,kind,unit_code,priority (area and kind may be empty).
    Rules { file: std::path::PathBuf },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("nghedan: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    startup::install_crypto();
    let settings = Settings::load()?;
    crate::telemetry::init(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { no_jobs, demo } => {
                let with_jobs = settings.jobs.run_in_serve && !no_jobs;
                if demo {
                    seed_demo(settings.clone()).await?;
                }
                let app = Application::build(settings, Dependencies::default(), with_jobs).await?;
                tracing::info!(port = app.port(), jobs = with_jobs, "nghedan serving");
                app.run_until_stopped().await
            }
            Command::Worker => {
                let worker = startup::Worker::build(settings, Dependencies::default()).await?;
                tracing::info!(port = worker.port(), "nghedan worker running");
                worker.run_until_stopped().await
            }
            Command::Admin { command } => admin(settings, command).await,
            Command::Open311 { command } => open311(settings, command).await,
            Command::Audit {
                what: AuditCommand::Verify { from, to },
            } => audit_verify(settings, from, to).await,
            Command::Seed {
                what: SeedCommand::Demo { history, months },
            } => {
                seed_demo(settings.clone()).await?;
                match history {
                    Some(n) if n > 0 => seed_history(settings, n, months).await,
                    _ => Ok(()),
                }
            }
            Command::Healthcheck { worker } => {
                let (host, port) = if worker {
                    (&settings.worker.host, settings.worker.port)
                } else {
                    (&settings.server.host, settings.server.port)
                };
                healthcheck(host, port).await
            }
            Command::Backup { path } => {
                let url = settings.database.url.clone();
                let done = tokio::task::spawn_blocking(move || {
                    crate::db::backup::backup(&url, &path).map(|s| (s, path))
                })
                .await??;
                let (summary, path) = done;
                println!(
                    "backed up {} tickets (schema {}, {} bytes) into {}",
                    summary.tickets,
                    summary.schema,
                    summary.bytes,
                    path.display()
                );
                Ok(())
            }
            Command::Restore { path } => {
                let url = settings.database.url.clone();
                let summary =
                    tokio::task::spawn_blocking(move || crate::db::backup::restore(&path, &url))
                        .await??;
                println!(
                    "restored {} tickets (schema {}, {} bytes) into {}",
                    summary.tickets,
                    summary.schema,
                    summary.bytes,
                    crate::db::redact_url(&settings.database.url)
                );
                Ok(())
            }
            Command::Migrate => {
                let mut settings = settings;
                settings.database.migrate_on_start = false;
                let state = startup::prepare(settings, Dependencies::default()).await?;
                let applied = startup::migrate(&state).await?;
                if applied.is_empty() {
                    println!("The database is up to date.");
                } else {
                    for v in applied {
                        println!("applied {v}");
                    }
                }
                Ok(())
            }
        }
    })
}

/// GET /health/ready on this machine; listening on every address means loopback answers.
async fn healthcheck(host: &str, port: u16) -> anyhow::Result<()> {
    let host = match host {
        "0.0.0.0" | "" => "127.0.0.1",
        "::" => "[::1]",
        h if h.contains(':') => &format!("[{h}]"),
        h => h,
    };
    let url = format!("http://{host}:{port}/health/ready");
    let response = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("{url} does not answer"))?;
    let status = response.status();
    anyhow::ensure!(status.is_success(), "{url} answered {status}");
    Ok(())
}

async fn outbox(settings: Settings, command: OutboxCommand) -> anyhow::Result<()> {
    use crate::notify::outbox;
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let now = state.clock.now_naive();
    let failed = |e| anyhow::anyhow!("outbox: {e}");
    match command {
        OutboxCommand::List {
            state: which,
            limit,
        } => {
            let (counts, rows) = state
                .db(move |c| {
                    Ok((
                        outbox::counts(c)?,
                        outbox::list(c, &which, limit.clamp(1, 10_000))?,
                    ))
                })
                .await
                .map_err(failed)?;
            for (channel, state, n) in counts {
                println!("{channel:<6} {state:<7} {n}");
            }
            for m in rows {
                println!(
                    "#{} {} {} {} attempts={} next={} error={}",
                    m.id,
                    m.channel,
                    m.template,
                    m.state,
                    m.attempts,
                    m.next_attempt_at.format("%Y-%m-%d %H:%M:%S"),
                    m.last_error.as_deref().unwrap_or("-"),
                );
            }
        }
        OutboxCommand::Retry { id } => {
            let n = state
                .db(move |c| crate::db::write(c, |c| outbox::retry_dead(c, id, now)))
                .await
                .map_err(failed)?;
            println!("requeued: {n}");
        }
        OutboxCommand::Purge {
            older_than_days,
            dead,
        } => {
            let before = now - chrono::Duration::days(older_than_days.max(0));
            let n = state
                .db(move |c| crate::db::write(c, |c| outbox::purge(c, before, dead)))
                .await
                .map_err(failed)?;
            println!("purged: {n}");
        }
    }
    Ok(())
}

async fn open311(settings: Settings, command: Open311Command) -> anyhow::Result<()> {
    use crate::open311::clients;
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let now = state.clock.now_naive();
    let failed = |e: AppError| anyhow::anyhow!("open311: {}", e.code());
    match command {
        Open311Command::AddClient { name } => {
            let (client, key) = state
                .db(move |c| clients::add(c, &name, None, now))
                .await
                .map_err(failed)?;
            println!("added Open311 client #{} {:?}", client.id, client.name);
            println!("api_key: {key}  (shown once: give it to the client now)");
        }
        Open311Command::ListClients => {
            let rows = state.db(clients::list).await.map_err(failed)?;
            for c in rows {
                println!(
                    "{:<32} created {}  {}",
                    c.name,
                    c.created_at.format("%Y-%m-%d %H:%M"),
                    c.revoked_at.map_or("active".to_string(), |t| format!(
                        "revoked {}",
                        t.format("%Y-%m-%d %H:%M")
                    )),
                );
            }
        }
        Open311Command::RevokeClient { name } => {
            let shown = name.clone();
            state
                .db(move |c| clients::revoke(c, &name, None, now))
                .await
                .map_err(failed)?;
            println!("revoked {shown:?}");
        }
    }
    Ok(())
}

async fn admin(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::RecomputeDeadlines => recompute_deadlines(settings).await,
        AdminCommand::Outbox { command } => outbox(settings, command).await,
        AdminCommand::Import { what } => import(settings, what).await,
        AdminCommand::CreateUser {
            email,
            role,
            name,
            unit_id,
            password_stdin,
        } => create_user(settings, email, role, name, unit_id, password_stdin).await,
    }
}

/// Moves open tickets' due dates under today's policies and calendar.
async fn recompute_deadlines(settings: Settings) -> anyhow::Result<()> {
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let st = state.clone();
    let n = state
        .db(move |conn| -> Result<_, AppError> {
            let cal = crate::db::calendar::load(conn)?;
            let day_end = st.settings.deadlines.day_end();
            let now = st.clock.now();
            let n = crate::db::clocks::recompute_open(conn, &cal, &day_end, now)?;
            crate::db::write(conn, |c| -> Result<_, AppError> {
                crate::db::audit::record_admin(
                    c,
                    None,
                    "cli recompute-deadlines",
                    "tickets",
                    serde_json::json!({"changed": n}),
                    now.naive_utc(),
                )?;
                Ok(())
            })?;
            Ok(n)
        })
        .await
        .map_err(|e| anyhow::anyhow!("recomputation failed: {e}"))?;
    println!("recomputed: {n} tickets' due dates changed");
    Ok(())
}

/// Imports units or routing rules from a CSV file: all or nothing.
async fn import(settings: Settings, what: ImportCommand) -> anyhow::Result<()> {
    let (file, units) = match what {
        ImportCommand::Units { file } => (file, true),
        ImportCommand::Rules { file } => (file, false),
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let now = state.clock.now_naive();
    let pool = state.pool.clone();
    let result = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| anyhow::anyhow!("{e}"))?;
        let what = if units {
            "importing units"
        } else {
            "importing rules"
        };
        let progress = crate::progress::Progress::on_terminal(what, None);
        let result = if units {
            crate::import::units(&mut conn, &text, now, &progress)
        } else {
            crate::import::rules(&mut conn, &text, now, &progress)
        };
        progress.finish();
        Ok::<_, anyhow::Error>(result)
    })
    .await??;
    match result {
        Ok(n) => {
            println!("imported {n} {}", if units { "units" } else { "rules" });
            Ok(())
        }
        Err(crate::import::ImportError::Rows(rows)) => {
            for r in &rows {
                eprintln!("{}: {r}", file.display());
            }
            anyhow::bail!("{} bad rows; nothing was written", rows.len())
        }
        Err(crate::import::ImportError::Db(e)) => anyhow::bail!("import failed: {e}"),
    }
}

/// Makes a staff account (the first administrator, typically).
async fn create_user(
    settings: Settings,
    email: String,
    role: String,
    name: String,
    unit_id: Option<i64>,
    password_stdin: bool,
) -> anyhow::Result<()> {
    use crate::db::users::NewUser;
    use crate::domain::account::{Role, check_new_password};
    use crate::domain::contact::Email;

    let email = Email::parse(&email).map_err(|c| anyhow::anyhow!("--email: {c}"))?;
    let role = match Role::parse(&role) {
        Some(Role::Citizen) | None => {
            anyhow::bail!("--role must be admin, official or supervisor")
        }
        Some(r) => r,
    };
    if role.needs_unit() && unit_id.is_none() {
        anyhow::bail!("--unit-id is required for an {}", role.as_str());
    }
    let (password, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_string(), false)
    } else {
        (crate::auth::tokens::random_token()[..20].to_string(), true)
    };
    check_new_password(&password)
        .map_err(|c| anyhow::anyhow!("password: {c} (10–128 characters, not common)"))?;
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let auth = state.auth.clone();
    let to_hash = password.clone();
    let hash = tokio::task::spawn_blocking(move || auth.hasher.hash(&to_hash)).await??;
    let now = state.clock.now_naive();
    let user = state
        .db(move |conn| {
            crate::db::write(conn, |c| {
                crate::workflow::accounts::create(
                    c,
                    &NewUser {
                        email: email.as_str(),
                        phone: None,
                        full_name: &name,
                        password_hash: &hash,
                        role,
                        unit_id,
                        locale: crate::i18n::Lang::Vi,
                        verified: true,
                    },
                    now,
                )
            })
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the account: {}", e.code()))?;
    println!(
        "created {} #{} <{}>",
        user.role.as_str(),
        user.id,
        user.email.unwrap_or_default()
    );
    if generated {
        println!("password: {password}  (shown once; change it after signing in)");
    }
    Ok(())
}

/// Loads the demo data and prints the accounts; refused outside the `local` environment.
async fn seed_demo(settings: Settings) -> anyhow::Result<()> {
    if settings.environment != crate::config::Environment::Local {
        anyhow::bail!(
            "seed demo runs only in the local environment (NGHEDAN_ENV is {}): demo accounts have a published password",
            settings.environment.as_str()
        );
    }
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let auth = state.auth.clone();
    let hash =
        tokio::task::spawn_blocking(move || auth.hasher.hash(crate::seed::DEMO_PASSWORD)).await??;
    let now = state.clock.now_naive();
    let report = state
        .db(move |conn| crate::seed::demo(conn, &hash, now))
        .await
        .map_err(|e| anyhow::anyhow!("demo data failed to load: {e}"))?;
    if report.is_empty() {
        println!("Demo data already loaded; nothing changed.");
    } else {
        println!(
            "Demo data loaded: {} units, {} categories, {} routing rules, {} accounts.",
            report.units, report.categories, report.rules, report.users
        );
    }
    println!("Demo accounts (password: {}):", crate::seed::DEMO_PASSWORD);
    for (email, what) in crate::seed::key_accounts() {
        println!("  {email:<36} {what}");
    }
    println!("  canbo.<unit code in lower case>@demo.nghedan.vn   an official of every demo unit");
    Ok(())
}

/// Generates `n` past tickets (see [`crate::seed::history`]).
async fn seed_history(settings: Settings, n: usize, months: u32) -> anyhow::Result<()> {
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let st = state.clone();
    let made = state
        .db(move |conn| {
            let ctx = st.ticket_ctx(conn)?;
            let progress = crate::progress::Progress::on_terminal("past tickets", Some(n as u64));
            let made = crate::seed::history(conn, n, months, &ctx, &progress);
            progress.finish();
            made
        })
        .await
        .map_err(|e| anyhow::anyhow!("history failed: {e}"))?;
    println!(
        "History: {} tickets over {months} months ({} answered, {} refused, {} withdrawn, {} open; {} rated).",
        made.tickets, made.resolved, made.refused, made.withdrawn, made.open, made.rated
    );
    Ok(())
}

async fn audit_verify(
    settings: Settings,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let state = startup::prepare(settings, Dependencies::default()).await?;
    let today = state.clock.now().date_naive();
    let start = from
        .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(today))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let end = (to.unwrap_or(today) + chrono::Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    let v = state
        .db(move |conn| {
            let progress = crate::progress::Progress::on_terminal("events checked", None);
            let v = crate::db::audit::verify(conn, start, end, &progress);
            progress.finish();
            v
        })
        .await
        .map_err(|e| anyhow::anyhow!("verification failed to run: {e}"))?;
    println!(
        "checked {} events, {} daily roots, {} admin log entries",
        v.events_checked, v.days_checked, v.admin_entries_checked
    );
    match v.first_broken {
        None => {
            println!("ok: the audit trail verifies");
            Ok(())
        }
        Some(b) => {
            println!(
                "BROKEN: {} {}{}{}{}: {}",
                b.record,
                b.id.map(|i| format!("#{i}")).unwrap_or_default(),
                b.ticket_code
                    .map(|c| format!(" ticket {c}"))
                    .unwrap_or_default(),
                b.seq.map(|s| format!(" seq {s}")).unwrap_or_default(),
                b.day.map(|d| format!(" day {d}")).unwrap_or_default(),
                b.problem
            );
            anyhow::bail!("the audit trail does not verify")
        }
    }
}
