//! What the benchmark tools share: a latency recorder and the one-line JSON report that
//! `bench/run` reads (`jq`). Latencies are microseconds in an HDR histogram (3 significant
//! digits, up to 60 s).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies and outcomes of one measurement.
pub struct Recorder {
    hist: Histogram<u64>,
    pub ok: u64,
    pub errors: u64,
    /// The first few error descriptions (status and body head), to say what went wrong.
    pub samples: Vec<String>,
    /// Answers by HTTP status (transport errors have none).
    pub statuses: BTreeMap<u16, u64>,
    /// The largest body answered, in bytes (a page's weight).
    pub max_bytes: u64,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder {
            hist: Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds"),
            ok: 0,
            errors: 0,
            samples: Vec::new(),
            statuses: BTreeMap::new(),
            max_bytes: 0,
        }
    }
}

impl Recorder {
    pub fn ok(&mut self, latency: Duration) {
        self.ok += 1;
        self.record(latency);
    }

    pub fn error(&mut self, latency: Duration, what: impl FnOnce() -> String) {
        self.errors += 1;
        self.record(latency);
        if self.samples.len() < 5 {
            self.samples.push(what());
        }
    }

    /// Counts one answer with `status` (besides `ok` or `error`).
    pub fn status(&mut self, status: u16) {
        *self.statuses.entry(status).or_default() += 1;
    }

    /// Notes the size of one answer's body.
    pub fn bytes(&mut self, n: usize) {
        self.max_bytes = self.max_bytes.max(n as u64);
    }

    fn record(&mut self, latency: Duration) {
        let us = (latency.as_micros() as u64).clamp(1, 60_000_000);
        self.hist.saturating_record(us);
    }

    pub fn merge(&mut self, other: Recorder) {
        self.hist.add(&other.hist).ok();
        self.ok += other.ok;
        self.errors += other.errors;
        self.max_bytes = self.max_bytes.max(other.max_bytes);
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        for s in other.samples {
            if self.samples.len() < 5 {
                self.samples.push(s);
            }
        }
    }

    pub fn report(&self, name: &str, elapsed: Duration, concurrency: usize) -> Report {
        let ms = |q: f64| self.hist.value_at_quantile(q) as f64 / 1000.0;
        let secs = elapsed.as_secs_f64().max(1e-9);
        Report {
            name: name.to_string(),
            concurrency,
            requests: self.ok + self.errors,
            ok: self.ok,
            errors: self.errors,
            seconds: round2(secs),
            per_second: round2(self.ok as f64 / secs),
            p50_ms: round2(ms(0.50)),
            p99_ms: round2(ms(0.99)),
            max_ms: round2(self.hist.max() as f64 / 1000.0),
            max_bytes: self.max_bytes,
            error_samples: self.samples.clone(),
            statuses: self
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// One measurement, printed as one JSON line on standard output.
#[derive(Debug, Serialize)]
pub struct Report {
    pub name: String,
    pub concurrency: usize,
    pub requests: u64,
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    /// Successful operations per second.
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The largest body answered, in bytes.
    pub max_bytes: u64,
    pub error_samples: Vec<String>,
    /// Answers by HTTP status, e.g. `{"200": 812, "401": 270, "503": 0}`.
    pub statuses: BTreeMap<String, u64>,
}

impl Report {
    pub fn print(&self) {
        println!(
            "{}",
            serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
        );
    }
}

/// Parses `10s`, `500ms`, `2m` or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let n: f64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("bad duration unit in {s:?} (ms, s or m)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("3h").is_err());
    }

    #[test]
    fn a_report_counts_only_successes_as_throughput() {
        let mut r = Recorder::default();
        r.ok(Duration::from_millis(2));
        r.ok(Duration::from_millis(4));
        r.error(Duration::from_millis(1), || "500".into());
        for s in [200, 200, 500] {
            r.status(s);
        }
        let rep = r.report("x", Duration::from_secs(1), 1);
        assert_eq!(rep.statuses["200"], 2);
        assert_eq!(rep.statuses["500"], 1);
        assert_eq!((rep.ok, rep.errors, rep.requests), (2, 1, 3));
        assert_eq!(rep.per_second, 2.0);
        assert_eq!(rep.error_samples, vec!["500".to_string()]);
    }
}
