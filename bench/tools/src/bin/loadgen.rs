//! A small HTTP load generator for the benchmarks. It talks only to the loopback interface,
//! stops after `--duration` or `--max-requests` (whichever comes first), signs in before the
//! clock starts, and prints one JSON line (see `nghedan_bench::Report`).
//!
//! Closed loop (`--connections N`): N workers, each sending its next request when the last
//! answered. Open loop (`--rate R`): requests are started on a fixed schedule whatever the
//! server does, and latency counts from the *scheduled* start, so a stalled server shows up in
//! the percentiles instead of slowing the generator down (no coordinated omission).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use nghedan_bench::{Recorder, parse_duration};
use reqwest::Method;
use tokio::sync::{Mutex, Semaphore};

#[derive(Debug, Parser, Clone)]
#[command(about = "Loopback HTTP load generator for nghedan's benchmarks")]
struct Args {
    /// Full URL on 127.0.0.1 (or localhost). `{code}` takes the next line of --codes-file.
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "GET")]
    method: String,
    /// Request body (JSON), sent with `Content-Type: application/json`.
    #[arg(long)]
    body: Option<String>,
    /// Request bodies (JSON), one a line, sent in turn instead of --body.
    #[arg(long)]
    bodies_file: Option<std::path::PathBuf>,
    /// Send a fresh `Idempotency-Key` with each request.
    #[arg(long)]
    idempotency: bool,
    /// Sign in with this email before the clock starts (with --password).
    #[arg(long)]
    login: Option<String>,
    #[arg(long, default_value = "")]
    password: String,
    /// Sign in through the staff console's form instead (its session cookie is sent; with
    /// --follow-cursor the next page is the `rel="next"` link of the HTML).
    #[arg(long)]
    console: bool,
    /// Lines substituted for `{code}`, in turn.
    #[arg(long)]
    codes_file: Option<std::path::PathBuf>,
    /// Walk the list by `next_cursor` up to this many pages deep, then start again.
    #[arg(long)]
    follow_cursor: Option<u32>,
    /// Closed loop: this many connections, each with one request in flight.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Open loop: start this many requests per second (then --connections is the number of
    /// cursor walkers, and at most 4096 requests are in flight).
    #[arg(long)]
    rate: Option<f64>,
    /// Open loop: write each request's scheduled start and latency (ms) and status here, one
    /// a line, to see whether slow answers come together (a stall) or spread (queueing).
    #[arg(long)]
    timeline: Option<std::path::PathBuf>,
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    duration: Duration,
    /// Not measured: lets caches and connection pools settle first.
    #[arg(long, value_parser = parse_duration, default_value = "1s")]
    warmup: Duration,
    #[arg(long, default_value_t = 10_000_000)]
    max_requests: u64,
    /// Statuses that count as success, comma-separated (default: any 2xx).
    #[arg(long, value_delimiter = ',')]
    expect: Vec<u16>,
    #[arg(long, default_value = "http")]
    name: String,
    /// Runtime threads (1 leaves the most CPU to the server on a small machine).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// One position in a paged list: the cursor of the next page and how deep it is. In the open
/// loop several requests may ask a walker's page at once; only an answer to the position the
/// walker is still at moves it, so a walk never goes deeper than `--follow-cursor` pages.
#[derive(Default)]
struct Walker {
    /// Which walk this is (a new one after each reset).
    walk: u64,
    page: u32,
    cursor: Option<String>,
}

struct Shared {
    args: Args,
    client: reqwest::Client,
    token: Option<String>,
    /// The console's session cookie (`name=value`), with --console.
    cookie: Option<String>,
    codes: Vec<String>,
    next_code: AtomicU64,
    bodies: Vec<String>,
    next_body: AtomicU64,
    next_key: AtomicU64,
    run_id: u128,
    walkers: Vec<Mutex<Walker>>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // reqwest is built with rustls and no default provider (the tree uses ring).
    nghedan::startup::install_crypto();
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    rt.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let url = url::Url::parse(&args.url.replace("{code}", "x")).context("--url")?;
    match url.host_str() {
        Some("127.0.0.1" | "localhost" | "[::1]") => {}
        other => bail!("loadgen only talks to the loopback interface, not {other:?}"),
    }
    if url.scheme() != "http" {
        bail!("loadgen speaks plain HTTP on loopback only");
    }
    // Redirects are answers to count, not to follow (a console page that sends to sign-in).
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.connections.max(16) * 4)
        .timeout(Duration::from_secs(30))
        .build()?;
    let (token, cookie) = match &args.login {
        Some(email) if args.console => (
            None,
            Some(console_login(&client, &url, email, &args.password).await?),
        ),
        Some(email) => (
            Some(login(&client, &url, email, &args.password).await?),
            None,
        ),
        None => (None, None),
    };
    let codes = match &args.codes_file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => vec![],
    };
    let bodies: Vec<String> = match &args.bodies_file {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        None => vec![],
    };
    if args.bodies_file.is_some() && bodies.is_empty() {
        bail!("--bodies-file has no bodies");
    }
    if args.url.contains("{code}") && codes.is_empty() {
        bail!("--url has {{code}} but --codes-file gave no codes");
    }
    let walkers = (0..args.connections.max(1))
        .map(|_| Mutex::new(Walker::default()))
        .collect();
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let shared = Arc::new(Shared {
        args: args.clone(),
        client,
        token,
        cookie,
        codes,
        next_code: AtomicU64::new(0),
        bodies,
        next_body: AtomicU64::new(0),
        next_key: AtomicU64::new(0),
        run_id,
        walkers,
    });
    if !args.warmup.is_zero() {
        let mut warm = args.clone();
        warm.duration = args.warmup;
        warm.max_requests = u64::MAX;
        closed_loop(&shared, &warm).await;
    }
    let (rec, elapsed, concurrency) = match args.rate {
        Some(rate) => {
            let (r, e) = open_loop(&shared, rate).await;
            (r, e, 0)
        }
        None => {
            let (r, e) = closed_loop(&shared, &args).await;
            (r, e, args.connections)
        }
    };
    rec.report(&args.name, elapsed, concurrency).print();
    Ok(())
}

/// `path` on the server `url` names.
fn on_server(url: &url::Url, path: &str) -> url::Url {
    let mut at = url.clone();
    at.set_path(path);
    at.set_query(None);
    at
}

async fn login(
    client: &reqwest::Client,
    url: &url::Url,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let res = client
        .post(on_server(url, "/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    match body["access_token"].as_str() {
        Some(t) if status.is_success() => Ok(t.to_string()),
        _ => bail!("sign-in as {email} failed: {status} {body}"),
    }
}

/// Signs in through the console's form (its own anti-forgery cookie and field); the session
/// cookie as `name=value`.
async fn console_login(
    client: &reqwest::Client,
    url: &url::Url,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let at = on_server(url, "/console/login");
    let page = client.get(at.clone()).send().await?;
    let login_cookie = set_cookie(&page, "nghedan_login")
        .context("the sign-in page set no nghedan_login cookie")?;
    let html = page.text().await?;
    let token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the sign-in page has no token field")?
        .to_string();
    let form = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("email", email), ("password", password), ("token", &token)])
        .finish();
    // The answer is a redirect that sets the cookie: read it, do not follow it.
    let once = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = once
        .post(at)
        .header("Cookie", login_cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await?;
    let status = res.status();
    match set_cookie(&res, "nghedan_console") {
        Some(c) if status.is_redirection() => Ok(c),
        _ => bail!("console sign-in as {email} failed: {status}"),
    }
}

/// The `name=value` of the cookie `name` a response sets.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The cursor of the next page: `next_cursor` of a JSON list, or the `after=` of an HTML
/// page's `rel="next"` link.
fn next_cursor(body: &[u8]) -> Option<String> {
    /// Only the cursor: the items are skipped, not built. Building them as a
    /// `serde_json::Value` took two thirds of the load generator's CPU, which it shares with the
    /// server it measures.
    #[derive(serde::Deserialize)]
    struct Listing {
        #[serde(default)]
        next_cursor: Option<String>,
    }
    if let Ok(list) = serde_json::from_slice::<Listing>(body) {
        return list.next_cursor;
    }
    let html = String::from_utf8_lossy(body);
    let link = html.split("rel=\"next\"").next()?;
    let href = link.rsplit("href=\"").next()?.split('"').next()?;
    let after = href.split("after=").nth(1)?.split('&').next()?;
    url::form_urlencoded::parse(format!("a={after}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

async fn closed_loop(shared: &Arc<Shared>, args: &Args) -> (Recorder, Duration) {
    let start = Instant::now();
    let deadline = start + args.duration;
    let budget = Arc::new(AtomicU64::new(args.max_requests));
    let mut tasks = Vec::new();
    for w in 0..args.connections.max(1) {
        let shared = shared.clone();
        let budget = budget.clone();
        tasks.push(tokio::spawn(async move {
            let mut rec = Recorder::default();
            while Instant::now() < deadline {
                if budget
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| b.checked_sub(1))
                    .is_err()
                {
                    break;
                }
                let t0 = Instant::now();
                one(&shared, w, t0).await.record(&mut rec);
            }
            rec
        }));
    }
    let mut all = Recorder::default();
    for t in tasks {
        if let Ok(r) = t.await {
            all.merge(r);
        }
    }
    (all, start.elapsed())
}

async fn open_loop(shared: &Arc<Shared>, rate: f64) -> (Recorder, Duration) {
    let args = &shared.args;
    let start = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let total = ((args.duration.as_secs_f64() * rate) as u64).min(args.max_requests);
    let in_flight = Arc::new(Semaphore::new(4096));
    let mut tasks = Vec::with_capacity(total as usize);
    let mut dropped = 0u64;
    for i in 0..total {
        let at = start + interval.mul_f64(i as f64);
        tokio::time::sleep_until(at.into()).await;
        let Ok(permit) = in_flight.clone().try_acquire_owned() else {
            dropped += 1;
            continue;
        };
        let shared = shared.clone();
        let walker = (i as usize) % shared.walkers.len();
        let task = tokio::spawn(async move {
            let outcome = one(&shared, walker, at).await;
            drop(permit);
            outcome
        });
        tasks.push((at - start, task));
    }
    let mut all = Recorder::default();
    let mut timeline = String::new();
    for (at, t) in tasks {
        if let Ok(outcome) = t.await {
            if args.timeline.is_some() {
                let (latency, status) = outcome.latency_and_status();
                let _ = writeln!(
                    timeline,
                    "{:.3} {:.3} {status}",
                    at.as_secs_f64() * 1e3,
                    latency.as_secs_f64() * 1e3
                );
            }
            outcome.record(&mut all);
        }
    }
    if let Some(path) = &args.timeline
        && let Err(e) = std::fs::write(path, timeline)
    {
        eprintln!("loadgen: cannot write {}: {e}", path.display());
    }
    for _ in 0..dropped {
        all.error(Duration::from_secs(60), || {
            "dropped: 4096 requests already in flight".into()
        });
    }
    (all, start.elapsed())
}

/// What one request came to. Small on purpose: the open loop keeps one per request until the
/// end, where a `Recorder` each (an HDR histogram of ~140 KB) would cost the generator more
/// than the server.
enum Outcome {
    Answered {
        latency: Duration,
        status: u16,
        bytes: usize,
        /// The status and body head of an answer that does not count as success.
        failed: Option<String>,
    },
    Transport {
        latency: Duration,
        error: String,
    },
}

impl Outcome {
    /// For the timeline: the latency, and the HTTP status (0 for a transport error).
    fn latency_and_status(&self) -> (Duration, u16) {
        match self {
            Outcome::Answered {
                latency, status, ..
            } => (*latency, *status),
            Outcome::Transport { latency, .. } => (*latency, 0),
        }
    }

    fn record(self, rec: &mut Recorder) {
        match self {
            Outcome::Answered {
                latency,
                status,
                bytes,
                failed,
            } => {
                rec.status(status);
                rec.bytes(bytes);
                match failed {
                    None => rec.ok(latency),
                    Some(what) => rec.error(latency, || what),
                }
            }
            Outcome::Transport { latency, error } => rec.error(latency, || error),
        }
    }
}

/// Sends one request (walker `w`'s next page, the next code), its latency counted from `t0`.
async fn one(shared: &Shared, w: usize, t0: Instant) -> Outcome {
    let args = &shared.args;
    let mut url = args.url.clone();
    if url.contains("{code}") {
        let i = shared.next_code.fetch_add(1, Ordering::Relaxed) as usize;
        url = url.replace("{code}", &shared.codes[i % shared.codes.len()]);
    }
    let depth = args.follow_cursor.unwrap_or(0);
    let mut asked = None;
    if depth > 0 {
        let walker = shared.walkers[w].lock().await;
        if let Some(c) = &walker.cursor {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}after={}", encode(c));
        }
        asked = Some((walker.walk, walker.page));
    }
    let method = Method::from_bytes(args.method.as_bytes()).unwrap_or(Method::GET);
    let mut req = shared.client.request(method, &url);
    if let Some(t) = &shared.token {
        req = req.bearer_auth(t);
    }
    if let Some(c) = &shared.cookie {
        req = req.header("Cookie", c);
    }
    if args.idempotency {
        let n = shared.next_key.fetch_add(1, Ordering::Relaxed);
        req = req.header("Idempotency-Key", format!("bench-{}-{n}", shared.run_id));
    }
    let body = if shared.bodies.is_empty() {
        args.body.clone()
    } else {
        let i = shared.next_body.fetch_add(1, Ordering::Relaxed) as usize;
        Some(shared.bodies[i % shared.bodies.len()].clone())
    };
    if let Some(b) = body {
        req = req.header("Content-Type", "application/json").body(b);
    }
    match req.send().await {
        Ok(res) => {
            let status = res.status();
            let body = res.bytes().await.unwrap_or_default();
            let latency = t0.elapsed();
            let good = if args.expect.is_empty() {
                status.is_success()
            } else {
                args.expect.contains(&status.as_u16())
            };
            let failed = (!good).then(|| {
                format!(
                    "{status} {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                )
            });
            if depth > 0 {
                let next = next_cursor(&body);
                let mut walker = shared.walkers[w].lock().await;
                if asked == Some((walker.walk, walker.page)) {
                    walker.page += 1;
                    if walker.page >= depth || next.is_none() || !good {
                        let walk = walker.walk + 1;
                        *walker = Walker {
                            walk,
                            ..Walker::default()
                        };
                    } else {
                        walker.cursor = next;
                    }
                }
            }
            Outcome::Answered {
                latency,
                status: status.as_u16(),
                bytes: body.len(),
                failed,
            }
        }
        Err(e) => Outcome::Transport {
            latency: t0.elapsed(),
            error: format!("transport: {e}"),
        },
    }
}

/// Percent-encodes a cursor for a query string (cursors are base64url, but be safe).
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::next_cursor;

    #[test]
    fn the_next_page_comes_from_json_or_from_the_html_link() {
        assert_eq!(
            next_cursor(br#"{"items": [], "next_cursor": "abc"}"#).as_deref(),
            Some("abc")
        );
        assert_eq!(next_cursor(br#"{"items": [], "next_cursor": null}"#), None);
        let nested = br#"{"items": [{"id": 1, "tags": ["a", {"b": null}]}], "next_cursor": "k2"}"#;
        assert_eq!(next_cursor(nested).as_deref(), Some("k2"));
        let html = br#"<p><a class="button" href="/console/?status=open&amp;after=eyJh%3D" rel="next">Trang sau</a></p>"#;
        assert_eq!(next_cursor(html).as_deref(), Some("eyJh="));
        assert_eq!(next_cursor(b"<p>no more</p>"), None);
    }
}
