//! One integration binary: every test spawns the real application over real HTTP, or (the
//! `notify_*` modules) talks to a real protocol peer on loopback.

mod fixtures;
mod helpers;
mod limits;
mod proxy;
mod scale;
mod sessions;
mod sign_in_limits;
mod smtp;
mod social;
mod sweep;

mod accounts;
mod accused;
mod audit;
mod backup;
mod budgets;
mod console;
mod console_admin;
mod console_desk;
mod console_reports;
mod console_settings;
mod crash;
mod deadlines;
mod fault;
mod foundation;
mod housekeeping;
mod inbox;
mod input;
mod mobile;
mod notifications;
mod notify_email;
mod notify_push;
mod open311;
mod organisation;
mod outbox;
mod preferences;
mod questions;
mod reference;
mod replica;
mod reports;
mod sync;
mod tickets;
mod tus;
mod unsubscribe;
mod uploads;
