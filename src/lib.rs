//! nghedan — "listen to the people": the backend of a citizen-feedback app for Vietnamese
//! local government. See README.md and DESIGN.md.

pub mod api;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod db;
pub mod domain;
pub mod error;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod media;
pub mod metrics;
pub mod notify;
pub mod open311;
pub mod progress;
pub mod secrets;
pub mod seed;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod validation;
pub mod workflow;

pub use startup::{Application, Dependencies};
