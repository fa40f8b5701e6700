//! One integration binary: every test spawns the real application over real HTTP.

mod helpers;
mod proxy;

mod accounts;
mod deadlines;
mod foundation;
