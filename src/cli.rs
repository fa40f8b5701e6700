//! The `nghedan` command line. `main.rs` only calls [`main`].

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::startup::{self, Application, Dependencies};

#[derive(Debug, Parser)]
#[command(
    name = "nghedan",
    version,
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
    },
    /// Run only the background jobs, for deployments that keep them apart from the API.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
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
            Command::Serve { no_jobs } => {
                let with_jobs = settings.jobs.run_in_serve && !no_jobs;
                let app = Application::build(settings, Dependencies::default(), with_jobs).await?;
                tracing::info!(port = app.port(), jobs = with_jobs, "nghedan serving");
                app.run_until_stopped().await
            }
            Command::Worker => {
                let state = startup::prepare(settings, Dependencies::default()).await?;
                let jobs = crate::jobs::Runner::new(state).spawn();
                tokio::signal::ctrl_c().await.ok();
                tracing::info!("stopping the worker");
                jobs.stop().await;
                Ok(())
            }
            Command::Admin { command } => admin(settings, command).await,
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

async fn admin(settings: Settings, command: AdminCommand) -> anyhow::Result<()> {
    use crate::db::users::{self, NewUser};
    use crate::domain::account::{Role, check_new_password};
    use crate::domain::contact::Email;

    match command {
        AdminCommand::CreateUser {
            email,
            role,
            name,
            unit_id,
            password_stdin,
        } => {
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
                        users::create(
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
                user.role,
                user.id,
                user.email.unwrap_or_default()
            );
            if generated {
                println!("password: {password}  (shown once; change it after signing in)");
            }
            Ok(())
        }
    }
}
