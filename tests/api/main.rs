//! One integration binary: every test spawns the real application over real HTTP, or (the
//! `notify_*` modules) talks to a real protocol peer on loopback.

mod helpers;
mod limits;
mod proxy;
mod scale;
mod sessions;
mod sign_in_limits;
mod smtp;
mod sweep;

mod accounts;
mod audit;
mod crash;
mod deadlines;
mod foundation;
mod inbox;
mod notifications;
mod notify_email;
mod notify_push;
mod organisation;
mod reports;
mod tickets;
mod uploads;
