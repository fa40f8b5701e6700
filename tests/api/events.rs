//! Live updates: `GET /api/v1/me/events` (Server-Sent Events) brings the signed-in user's
//! notifications and ticket changes made by other requests, resumes after `Last-Event-ID`,
//! holds at most three streams per user, and never carries anyone else's changes. Streams are
//! read with a deadline (a condition wait); nothing sleeps and nothing is timed.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use tokio::time::Instant;

use crate::helpers::{TestApp, assert_problem};

/// Long enough for any change to arrive on a loaded CI machine; a passing test waits far less.
const PATIENCE: Duration = Duration::from_secs(30);

fn live_app() -> crate::helpers::TestAppBuilder {
    TestApp::builder()
        .long_tokens()
        .with_settings(|s| s.server.events_poll_ms = 20)
}

#[derive(Debug, Clone)]
struct Event {
    name: String,
    data: Value,
}

/// An open event stream, parsed as a browser would: blocks end at a blank line, `id:` sets
/// the last event id (even on a block without data), comments are skipped.
struct Stream {
    res: reqwest::Response,
    buf: String,
    last_id: Option<String>,
    retry: Option<u64>,
    comments: usize,
}

impl TestApp {
    fn events_request(&self, token: &str, last_event_id: Option<&str>) -> reqwest::RequestBuilder {
        let rb = self.authed(Method::GET, "/api/v1/me/events", token);
        match last_event_id {
            Some(id) => rb.header("Last-Event-ID", id),
            None => rb,
        }
    }

    async fn open_stream(&self, rb: reqwest::RequestBuilder) -> Stream {
        let res = rb.send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["content-type"], "text/event-stream");
        assert_eq!(h["cache-control"], "no-cache");
        assert_eq!(h["x-accel-buffering"], "no");
        assert!(h.get("content-encoding").is_none(), "{h:?}");
        Stream {
            res,
            buf: String::new(),
            last_id: None,
            retry: None,
            comments: 0,
        }
    }

    async fn stream(&self, token: &str, last_event_id: Option<&str>) -> Stream {
        self.open_stream(self.events_request(token, last_event_id))
            .await
    }
}

impl Stream {
    /// The next event before `deadline`; `None` when the deadline passed or the stream ended.
    async fn next_before(&mut self, deadline: Instant) -> Option<Event> {
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                if let Some(event) = self.parse(&block) {
                    return Some(event);
                }
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                _ => return None,
            }
        }
    }

    fn parse(&mut self, block: &str) -> Option<Event> {
        let (mut name, mut data) = (None, None);
        for line in block.lines() {
            if line.starts_with(':') {
                self.comments += 1;
            } else if let Some(v) = line.strip_prefix("retry: ") {
                self.retry = Some(v.parse().unwrap());
            } else if let Some(v) = line.strip_prefix("id: ") {
                self.last_id = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("event: ") {
                name = Some(v.to_string());
            } else if let Some(v) = line.strip_prefix("data: ") {
                data = Some(serde_json::from_str(v).unwrap());
            } else {
                assert!(line.is_empty(), "unexpected line {line:?}");
            }
        }
        Some(Event {
            name: name?,
            data: data.expect("an event has data"),
        })
    }

    /// Events until one satisfies `done` (panics after `PATIENCE`); every event read, in order.
    async fn until(&mut self, done: impl Fn(&Event) -> bool) -> Vec<Event> {
        let deadline = Instant::now() + PATIENCE;
        let mut seen = Vec::new();
        loop {
            let event = self
                .next_before(deadline)
                .await
                .unwrap_or_else(|| panic!("no awaited event; got {seen:?}"));
            let hit = done(&event);
            seen.push(event);
            if hit {
                return seen;
            }
        }
    }

    /// Whether a `: keep-alive` comes before `PATIENCE` passes (events meanwhile are skipped).
    async fn keeps_alive(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        let before = self.comments;
        while self.comments == before {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                self.parse(&block);
            }
            if self.comments > before {
                break;
            }
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(std::str::from_utf8(&bytes).unwrap()),
                _ => return false,
            }
        }
        true
    }

    /// Whether the server ends the stream before `PATIENCE` passes (events meanwhile are read).
    async fn ends(&mut self) -> bool {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match tokio::time::timeout_at(deadline, self.res.chunk()).await {
                Ok(Ok(Some(_))) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Err(_) => return false,
            }
        }
    }
}

fn is_ticket(e: &Event, code: &str, status: &str) -> bool {
    e.name == "ticket" && e.data["code"] == code && e.data["status"] == status
}

fn is_notification(e: &Event, code: &str, event: &str) -> bool {
    e.name == "notification" && e.data["ticket_code"] == code && e.data["event"] == event
}

/// Every event of `wanted` kinds has been seen (in any order).
fn all_of(seen: &[Event], wanted: &[&dyn Fn(&Event) -> bool]) -> bool {
    wanted.iter().all(|w| seen.iter().any(w))
}

#[tokio::test]
async fn a_stream_brings_changes_made_by_other_requests_and_resumes_after_its_last_id() {
    let app = live_app().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let citizen = app.citizen().await;
    let code = app.submit_pothole(&citizen).await;

    // Opened after the submission: it starts now, and says where (retry and an id at once).
    let rb = app
        .events_request(&citizen, None)
        .header("Accept-Encoding", "br, gzip");
    let mut stream = app.open_stream(rb).await;
    app.accept(&official, &code).await;
    let accepted = |e: &Event| is_ticket(e, &code, "accepted");
    let told = |e: &Event| is_notification(e, &code, "ticket_accepted");
    let mut seen = Vec::new();
    while !all_of(&seen, &[&accepted, &told]) {
        seen.extend(stream.until(|e| accepted(e) || told(e)).await);
    }
    assert_eq!(stream.retry, Some(3000));
    // A new stream starts now (on PostgreSQL an earlier change may come again while another
    // transaction, of any test on the server, ran beside it).
    if app.db.backend() == "sqlite" {
        let received = |e: &Event| is_notification(e, &code, "ticket_received");
        assert!(!seen.iter().any(received), "{seen:?}");
    }
    let ticket = seen.iter().find(|e| accepted(e)).unwrap();
    assert_eq!(ticket.data["deleted"], false);
    assert_eq!(ticket.data["unit"]["code"], "UBND-X31135");
    let note = seen.iter().find(|e| told(e)).unwrap();
    assert_eq!(note.data["read"], false);
    assert!(!note.data["title"].as_str().unwrap().is_empty());
    let last = stream.last_id.clone().expect("events carry an id");
    drop(stream);

    // While away: the ticket is answered, and the citizen withdraws another one.
    let other = app.submit_pothole(&citizen).await;
    app.resolve(&official, &code, "Đã vá xong.").await;
    app.act_ok(&citizen, &other, "withdraw", Value::Null).await;

    // Back with Last-Event-ID: what came after, the withdrawn ticket as a tombstone.
    let mut back = app.stream(&citizen, Some(&last)).await;
    let resolved = |e: &Event| is_ticket(e, &code, "resolved");
    let gone = |e: &Event| {
        e.name == "ticket" && e.data == serde_json::json!({"code": other, "deleted": true})
    };
    let mut seen = Vec::new();
    while !all_of(&seen, &[&resolved, &gone]) {
        seen.extend(back.until(|e| resolved(e) || gone(e)).await);
    }
    if app.db.backend() == "sqlite" {
        // (On PostgreSQL a change may come again while other transactions ran beside it.)
        assert!(!seen.iter().any(accepted), "{seen:?}");
        assert!(!seen.iter().any(told), "{seen:?}");
    }
    assert!(back.last_id.is_some());

    // From a browser: the token and the position in the query; a list's sync_token is a
    // position too. (A third stream: the server notices closed ones at their next heartbeat
    // only, and a user may hold three.)
    let third = app.submit_pothole(&citizen).await;
    let page: Value = app
        .authed(
            Method::GET,
            "/api/v1/me/notifications?since=2000-01-01T00:00:00Z",
            &citizen,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sync_token = page["sync_token"].as_str().unwrap().to_string();
    app.accept(&official, &third).await;
    let url = app.url(&format!(
        "/api/v1/me/events?access_token={citizen}&last_event_id={sync_token}"
    ));
    let mut browser = app.open_stream(app.client.get(url)).await;
    let seen = browser.until(|e| is_ticket(e, &third, "accepted")).await;
    if app.db.backend() == "sqlite" {
        assert!(!seen.iter().any(resolved), "{seen:?}");
        assert!(!seen.iter().any(gone), "{seen:?}");
    }
}

#[tokio::test]
async fn the_fourth_stream_of_a_user_is_refused_and_nobody_else_is_affected() {
    let app = live_app()
        .with_settings(|s| s.server.events_heartbeat_secs = 7)
        .demo()
        .await;
    let citizen = app.citizen().await;
    let neighbour = app.citizen().await;
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(app.stream(&citizen, None).await);
    }
    let r = app.events_request(&citizen, None).send().await.unwrap();
    assert_eq!(r.headers()["retry-after"], "7");
    let p = assert_problem(r, 429, "too_many_streams").await;
    assert!(p["detail"].as_str().unwrap().contains('3'), "{p}");
    // Another user still gets theirs.
    let _theirs = app.stream(&neighbour, None).await;
}

#[tokio::test]
async fn a_stream_never_carries_another_users_tickets_or_notifications() {
    let app = live_app().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let citizen = app.citizen().await;
    let neighbour = app.citizen().await;
    let mine = app.submit_pothole(&citizen).await;
    let mut stream = app.stream(&citizen, None).await;

    // The neighbour's ticket is submitted, accepted and answered; then (a marker) mine is
    // accepted. Events come in change order, so anything of theirs would come first.
    let theirs = app.submit_pothole(&neighbour).await;
    app.accept(&official, &theirs).await;
    app.resolve(&official, &theirs, "Đã xử lý.").await;
    app.accept(&official, &mine).await;
    let mut seen = Vec::new();
    let marker = |e: &Event| is_ticket(e, &mine, "accepted");
    let told = |e: &Event| is_notification(e, &mine, "ticket_accepted");
    while !all_of(&seen, &[&marker, &told]) {
        seen.extend(stream.until(|e| marker(e) || told(e)).await);
    }
    assert!(!seen.is_empty());
    for e in &seen {
        let text = e.data.to_string();
        assert!(!text.contains(&theirs), "{e:?}");
        let code = e.data.get("code").or_else(|| e.data.get("ticket_code"));
        assert_eq!(code.and_then(Value::as_str), Some(mine.as_str()), "{e:?}");
    }
}

#[tokio::test]
async fn a_stream_needs_a_valid_token_and_position() {
    let app = live_app().demo().await;
    let citizen = app.citizen().await;
    let r = app.get("/api/v1/me/events").await;
    assert_problem(r, 401, "unauthenticated").await;
    let r = app.get("/api/v1/me/events?access_token=not-a-token").await;
    assert_problem(r, 401, "invalid_token").await;
    let r = app
        .events_request(&citizen, Some("not-a-token"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "invalid_sync_token").await;
    // The query token works on this path only.
    let r = app
        .get(&format!("/api/v1/me/notifications?access_token={citizen}"))
        .await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires_and_when_the_server_shuts_down() {
    let app = live_app()
        .with_settings(|s| {
            s.auth.access_token_ttl_secs = 900;
            s.server.events_heartbeat_secs = 1;
        })
        .demo()
        .await;
    let citizen = app.citizen().await;
    let mut stream = app.stream(&citizen, None).await;
    // Heartbeats keep it open while the token is good.
    assert!(stream.keeps_alive().await, "no keep-alive");
    app.clock.advance(chrono::Duration::hours(1));
    assert!(stream.ends().await, "the stream outlived its token");

    let fresh = app.citizen().await;
    let mut other = app.stream(&fresh, None).await;
    drop(app.server.stop(true));
    assert!(other.ends().await, "the stream outlived the server");
}
