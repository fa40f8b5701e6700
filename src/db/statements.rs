//! How many SQL statements the work on this thread sent, counted by diesel's instrumentation
//! (every statement, `BEGIN`, `COMMIT` and the pool's liveness check included). A request's
//! database work runs whole on one blocking thread per `AppState::db` call, so the difference
//! of [`executed`] around the call is that call's statements; `api::middleware` adds them up
//! per request (a metric, the request log line, and the statement-budget tests).

use std::cell::Cell;

use diesel::connection::{Instrumentation, InstrumentationEvent};

thread_local! {
    static EXECUTED: Cell<u64> = const { Cell::new(0) };
    static LOST: Cell<bool> = const { Cell::new(false) };
}

/// Statements sent from this thread so far.
pub fn executed() -> u64 {
    EXECUTED.with(Cell::get)
}

/// Whether a statement on this thread found its connection closed since the last call.
/// The pool asks when a connection comes back (on the thread that used it) and drops it: the
/// pool does not test a connection when it lends it (a `SELECT 1` per request), so a dead
/// one is found by its first error, that request is answered 503, and the next gets a new
/// connection.
pub fn take_lost() -> bool {
    LOST.with(|l| l.replace(false))
}

/// Counts each statement as it starts, and notes a closed connection; set on every
/// connection the pool opens.
#[derive(Debug, Default)]
pub struct Counter;

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                EXECUTED.with(|n| n.set(n.get() + 1));
                // `RUST_LOG=nghedan::sql=trace` lists every statement (how a budget is read).
                tracing::trace!(target: "nghedan::sql", "{query}");
            }
            InstrumentationEvent::FinishQuery {
                error:
                    Some(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::ClosedConnection,
                        _,
                    )),
                ..
            } => LOST.with(|l| l.set(true)),
            _ => {}
        }
    }
}

tokio::task_local! {
    static REQUEST: Cell<Spent>;
}

/// What a request's database work cost: statements sent, and connections taken from a pool
/// (one per `AppState::db` call).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spent {
    pub statements: u64,
    pub checkouts: u64,
}

impl std::ops::Add for Spent {
    type Output = Spent;
    fn add(self, o: Spent) -> Spent {
        Spent {
            statements: self.statements + o.statements,
            checkouts: self.checkouts + o.checkouts,
        }
    }
}

/// Runs `fut` (a request) with its own tally; returns its output and what it spent.
pub async fn tally<F: std::future::Future>(fut: F) -> (F::Output, Spent) {
    REQUEST
        .scope(Cell::new(Spent::default()), async move {
            let out = fut.await;
            (out, REQUEST.with(Cell::get))
        })
        .await
}

/// Adds one connection's work — `n` statements — to the current request's tally (nothing
/// outside a request).
pub fn add_to_request(n: u64) {
    let _ = REQUEST.try_with(|c| {
        c.set(
            c.get()
                + Spent {
                    statements: n,
                    checkouts: 1,
                },
        )
    });
}
