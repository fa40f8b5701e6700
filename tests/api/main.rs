//! One integration binary: every test spawns the real application over real HTTP, or (the
//! `notify_*` modules) talks to a real protocol peer on loopback.

mod helpers;
mod proxy;
mod smtp;

mod accounts;
mod deadlines;
mod foundation;
mod notify_email;
mod notify_push;
mod organisation;
mod uploads;
