//! Prometheus metrics: requests by route and status, latency, the pool, and the notification
//! outbox (messages by channel and state, read from the database so that every process shows
//! the same figures; delivery attempts by outcome, counted by this process's workers), the
//! jobs' passes, and the process itself (memory, CPU, open files: `process_*`, Linux only).

use std::sync::atomic::{AtomicI64, Ordering};

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
};

/// What housekeeping deletes, the values of `housekeeping_removed_total`'s `what` label.
pub const REMOVED: [&str; 8] = [
    "rate_limits",
    "refresh_tokens",
    "verification_tokens",
    "reset_tokens",
    "outbox_messages",
    "notifications",
    "orphan_uploads",
    "idempotency_keys",
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    statements: HistogramVec,
    checkouts: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    replica_fallbacks: prometheus::IntCounter,
    outbox_messages: IntGaugeVec,
    open_tickets: IntGaugeVec,
    overdue_tickets: IntGauge,
    deliveries: IntCounterVec,
    housekeeping: IntCounterVec,
    job_passes: IntCounterVec,
    jobs_last_pass_age: IntGauge,
    /// When the last jobs pass ended (Unix seconds by the clock), `i64::MIN` before the first.
    jobs_last_pass_at: AtomicI64,
}

/// The HTTP methods kept as themselves in the `method` label; any other is `other`, so that a
/// client inventing methods cannot grow the series without bound.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

fn method_label(method: &str) -> &str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other")
}

impl Metrics {
    pub fn new() -> Self {
        let registry =
            Registry::new_custom(Some("nghedan".into()), None).expect("metric prefix is valid");
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by method, route and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method and route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        // Deterministic, unlike latency: the statement-budget tests read its sum per route.
        let statements = HistogramVec::new(
            HistogramOpts::new(
                "http_request_db_statements",
                "SQL statements a request sent (BEGIN, COMMIT and the pool's checks included), by method and route",
            )
            .buckets(vec![
                0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 16.0, 24.0, 32.0, 48.0, 64.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let checkouts = HistogramVec::new(
            HistogramOpts::new(
                "http_request_db_checkouts",
                "Connections a request took from the pools, by method and route",
            )
            .buckets(vec![0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0]),
            &["method", "route"],
        )
        .expect("valid metric");
        let pool_connections =
            IntGauge::new("db_pool_connections", "Open database connections").expect("valid");
        let pool_idle =
            IntGauge::new("db_pool_idle_connections", "Idle database connections").expect("valid");
        let pool_max =
            IntGauge::new("db_pool_max_connections", "Largest pool size").expect("valid");
        let replica_fallbacks = prometheus::IntCounter::new(
            "db_replica_fallbacks_total",
            "Reads meant for database.replica_url that could not reach it (then read on the primary, or refused with 503)",
        )
        .expect("valid metric");
        let outbox_messages = IntGaugeVec::new(
            Opts::new(
                "outbox_messages",
                "Notification outbox messages by channel and state (queued, sent, dead, suppressed)",
            ),
            &["channel", "state"],
        )
        .expect("valid metric");
        let open_tickets = IntGaugeVec::new(
            Opts::new(
                "tickets_open",
                "Tickets a unit still owes an answer, by status, read from the database",
            ),
            &["status"],
        )
        .expect("valid metric");
        let overdue_tickets = IntGauge::new(
            "tickets_open_overdue",
            "Open tickets past a deadline, read from the database",
        )
        .expect("valid metric");
        let deliveries = IntCounterVec::new(
            Opts::new(
                "outbox_deliveries_total",
                "Delivery attempts by this process, by channel and outcome (sent, retried, dead, suppressed, lease_lost)",
            ),
            &["channel", "outcome"],
        )
        .expect("valid metric");
        let housekeeping = IntCounterVec::new(
            Opts::new(
                "housekeeping_removed_total",
                "Rows the jobs of this process deleted because they were no longer needed, by what",
            ),
            &["what"],
        )
        .expect("valid metric");
        // Every series from the start, at 0: a purge that never runs shows as flat, not absent.
        for what in REMOVED {
            housekeeping.with_label_values(&[what]);
        }
        let job_passes = IntCounterVec::new(
            Opts::new(
                "jobs_passes_total",
                "Jobs passes this process ran, by outcome (ok, failed)",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        for outcome in ["ok", "failed"] {
            job_passes.with_label_values(&[outcome]);
        }
        // Alert on this one: a worker that hangs or keeps failing stops completing passes.
        let jobs_last_pass_age = IntGauge::new(
            "jobs_last_pass_age_seconds",
            "Seconds since this process last completed a jobs pass (-1: none yet, or it runs no jobs)",
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(statements.clone()),
            Box::new(checkouts.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max.clone()),
            Box::new(replica_fallbacks.clone()),
            Box::new(outbox_messages.clone()),
            Box::new(open_tickets.clone()),
            Box::new(overdue_tickets.clone()),
            Box::new(deliveries.clone()),
            Box::new(housekeeping.clone()),
            Box::new(job_passes.clone()),
            Box::new(jobs_last_pass_age.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        // Unprefixed `process_*`, the names every Prometheus dashboard expects.
        #[cfg(target_os = "linux")]
        prometheus::default_registry()
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .unwrap_or_default();
        Self {
            registry,
            requests,
            latency,
            statements,
            checkouts,
            pool_connections,
            pool_idle,
            pool_max,
            replica_fallbacks,
            outbox_messages,
            open_tickets,
            overdue_tickets,
            deliveries,
            housekeeping,
            job_passes,
            jobs_last_pass_age,
            jobs_last_pass_at: AtomicI64::new(i64::MIN),
        }
    }

    /// A jobs pass ended at `now` (Unix seconds), well or not; only a completed one resets
    /// the age.
    pub fn observe_pass(&self, ok: bool, now: i64) {
        let outcome = if ok { "ok" } else { "failed" };
        self.job_passes.with_label_values(&[outcome]).inc();
        if ok {
            self.jobs_last_pass_at.store(now, Ordering::Relaxed);
        }
    }

    /// A read meant for the replica could not reach it.
    pub fn observe_replica_fallback(&self) {
        self.replica_fallbacks.inc();
    }

    /// The jobs deleted `n` rows of `what` (see [`crate::jobs::housekeeping`]).
    pub fn observe_removed(&self, what: &str, n: usize) {
        self.housekeeping
            .with_label_values(&[what])
            .inc_by(n as u64);
    }

    /// One delivery attempt ended: `outcome` is `sent`, `retried`, `dead`, `suppressed` (the
    /// address unsubscribed), or `lease_lost` (the message was let go: another worker had
    /// taken it over).
    pub fn observe_delivery(&self, channel: &str, outcome: &str) {
        self.deliveries.with_label_values(&[channel, outcome]).inc();
    }

    /// The outbox's counts by (channel, state), as read from the database.
    pub fn set_outbox(&self, counts: &[(String, String, i64)]) {
        for channel in ["email", "push"] {
            for state in ["queued", "sent", "dead", "suppressed"] {
                let n = counts
                    .iter()
                    .find(|(c, s, _)| c == channel && s == state)
                    .map_or(0, |r| r.2);
                self.outbox_messages
                    .with_label_values(&[channel, state])
                    .set(n);
            }
        }
    }

    /// The open tickets by status, and how many are overdue, as read from the database.
    pub fn set_open_tickets(
        &self,
        by_status: &[(crate::domain::ticket::Status, i64)],
        overdue: i64,
    ) {
        for (status, n) in by_status {
            self.open_tickets
                .with_label_values(&[status.as_str()])
                .set(*n);
        }
        self.overdue_tickets.set(overdue);
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn observe_request(
        &self,
        method: &str,
        route: &str,
        status: u16,
        seconds: f64,
        spent: crate::db::statements::Spent,
    ) {
        let method = method_label(method);
        self.requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[method, route])
            .observe(seconds);
        self.statements
            .with_label_values(&[method, route])
            .observe(spent.statements as f64);
        self.checkouts
            .with_label_values(&[method, route])
            .observe(spent.checkouts as f64);
    }

    /// The text exposition, with the pool's state and the last pass's age read at `now`
    /// (Unix seconds by the clock).
    pub fn render(&self, pool: &crate::db::Pool, now: i64) -> String {
        let state = pool.state();
        self.pool_connections.set(state.connections as i64);
        self.pool_idle.set(state.idle_connections as i64);
        self.pool_max.set(pool.max_size() as i64);
        self.exposition(now)
    }

    /// The text exposition of what is recorded, the last pass's age read at `now`.
    fn exposition(&self, now: i64) -> String {
        let last = self.jobs_last_pass_at.load(Ordering::Relaxed);
        self.jobs_last_pass_age.set(if last == i64::MIN {
            -1
        } else {
            (now - last).max(0)
        });
        let mut families = self.registry.gather();
        families.extend(prometheus::default_registry().gather());
        let mut buf = Vec::new();
        let _ = prometheus::TextEncoder::new().encode(&families, &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// Whether `presented` is the configured `/metrics` token. Both are hashed first, so the
/// comparison takes the same time whatever the input (constant time over the digests).
pub fn token_matches(configured: &str, presented: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (a, b) = (
        Sha256::digest(configured.as_bytes()),
        Sha256::digest(presented.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(super::method_label("GET"), "GET");
        assert_eq!(super::method_label("PROPFIND"), "other");
        assert_eq!(super::method_label("XYZZY"), "other");
    }

    #[test]
    fn the_last_pass_age_is_read_at_render_time() {
        let metrics = super::Metrics::new();
        assert!(
            metrics
                .exposition(100)
                .contains("nghedan_jobs_last_pass_age_seconds -1")
        );
        metrics.observe_pass(true, 100);
        metrics.observe_pass(false, 150);
        let text = metrics.exposition(160);
        assert!(
            text.contains("nghedan_jobs_last_pass_age_seconds 60"),
            "{text}"
        );
        assert!(text.contains("nghedan_jobs_passes_total{outcome=\"failed\"} 1"));
        #[cfg(target_os = "linux")]
        assert!(text.contains("process_resident_memory_bytes"));
    }

    #[test]
    fn only_the_configured_token_matches() {
        let token = "a-metrics-token-that-is-long-enough-0001";
        assert!(super::token_matches(token, token));
        assert!(!super::token_matches(
            token,
            "a-metrics-token-that-is-long-enough-0002"
        ));
        assert!(!super::token_matches(token, ""));
    }
}
