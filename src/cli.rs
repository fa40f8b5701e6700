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
