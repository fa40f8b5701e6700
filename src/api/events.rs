//! Live updates: `GET /api/v1/me/events`, Server-Sent Events of the signed-in user's new and
//! changed in-app notifications and of changes to the tickets they submitted, as they happen.
//!
//! Decisions:
//! - **Built on delta sync.** An event's `id` is a sync token, the same kind
//!   `GET /me/tickets?sync_token=` and `GET /me/notifications?sync_token=` return, and either
//!   list's token is a valid `Last-Event-ID` (header, or `?last_event_id=` for a first
//!   connection): the stream sends every change after it, so a client that reconnects, or
//!   switches between the lists and the stream, misses nothing. Without one the stream starts
//!   now. Events: `notification` (as the notifications list shows it) and `ticket` (as my
//!   tickets shows it, or a tombstone `{code, deleted: true}`).
//! - **Batches.** A stream reads everything since its position in one go when woken and sends
//!   it in change order; only the last event of a batch carries the `id` (the position after
//!   the whole batch), so a connection cut mid-batch resumes before the batch: at least once,
//!   never a gap. A first connection gets `retry:` and, if it had nothing to catch up, an
//!   `id:` alone, so that even its first reconnection resumes where it began.
//! - **Twice at most, per connection.** On PostgreSQL a position stays behind a transaction
//!   that is still running, so a change after it can be read again; a stream remembers what
//!   it sent beyond its position and does not send the same version again.
//! - **One poller per process** (see [`hub`]), no query per idle stream, and no pooled
//!   connection held while a stream waits.
//! - **Bounded.** `server.events_max_per_user` streams per user per process; one more is 429
//!   `too_many_streams` with `Retry-After: <heartbeat>` (a client that vanished without closing
//!   is noticed at the next heartbeat, when writing to it fails).
//! - **Ends** at the first heartbeat after the token expired or the session ended (the token is
//!   checked again at each `: keep-alive`, every `server.events_heartbeat_secs`; reconnect with
//!   a fresh token), and at once when the server shuts down.
//! - **Authentication**: the bearer header; a browser's `EventSource` cannot set headers, so
//!   this path alone also takes `?access_token=`. The request log names the path without the
//!   query string, so the token is never logged.
//! - Sent uncompressed (an encoder would hold events back), with `Cache-Control: no-cache` and
//!   `X-Accel-Buffering: no` (nginx would buffer otherwise).

mod hub;

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use tokio::sync::watch;
use utoipa::IntoParams;

pub use hub::{Hub, Subscription};

use crate::api::caller::{authenticate, bearer};
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::inbox::{synced, unit_names};
use crate::api::notifications::view;
use crate::api::sync::{resume_from, token_at};
use crate::db::inbox::{Changed, submitted_changed};
use crate::db::sync::{Position, horizon};
use crate::error::{AppError, Reason};
use crate::i18n::Lang;
use crate::notify::in_app::{self, Notification};
use crate::state::AppState;

/// How long a browser waits before reconnecting, sent once as `retry:`.
const RETRY_MS: u64 = 3000;
/// Rows read per statement while catching up.
const PAGE: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// The access token, for a browser's `EventSource` (which cannot send `Authorization`);
    /// accepted on this path only. The header wins when both are sent.
    pub access_token: Option<String>,
    /// A sync token (an event's `id`, or a list's `sync_token`) to resume after, for a first
    /// connection; a reconnecting `EventSource` sends `Last-Event-ID`, which wins.
    pub last_event_id: Option<String>,
}

/// The signed-in user's live updates as Server-Sent Events (`text/event-stream`): `event:
/// notification` with a notification as `/me/notifications` shows it, `event: ticket` with one
/// of their tickets as `/me/tickets` shows it (or `{code, deleted: true}`); `id:` is a sync
/// token to resume from (`Last-Event-ID`); `: keep-alive` comments every
/// `server.events_heartbeat_secs`. 400 `invalid_sync_token` for a bad `Last-Event-ID`, 429
/// `too_many_streams` beyond `server.events_max_per_user` streams.
#[utoipa::path(tag = "notifications", operation_id = "my_events", security(("bearer" = [])),
    params(EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received (a sync token): the stream resumes after it")),
    responses(
        (status = 200, description = "An endless event stream: `retry: 3000`, then blocks such as `event: ticket\\nid: <sync token>\\ndata: {\"code\": \"…\", \"deleted\": false, …}` and `: keep-alive`", content_type = "text/event-stream", body = String),
        (status = 400, description = "invalid_sync_token", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too_many_streams, with Retry-After", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me/events")]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    rctx: RequestContext,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = bearer(&req)?
        .or(q.access_token)
        .ok_or_else(|| ApiError::unauthenticated("unauthenticated"))?;
    let user = authenticate(state.clone(), token.clone()).await?;
    let resume = req
        .headers()
        .get("last-event-id")
        .map(|v| v.to_str().unwrap_or("-").trim().to_string())
        .filter(|v| !v.is_empty())
        .or(q.last_event_id);
    let after = resume.as_deref().map(resume_from).transpose()?;
    let s = &state.settings.server;
    let (max, heartbeat) = (s.events_max_per_user, s.events_heartbeat_secs);
    let too_many = || -> ApiError {
        AppError::refused(Reason::TooMany, "too_many_streams")
            .arg("limit", max)
            .arg("retry_after", heartbeat)
            .retry_after(heartbeat)
            .into()
    };
    // Refused before any reading; checked again when the slot is taken.
    if state.live.open(user.id) >= max {
        return Err(too_many());
    }
    let mut live = Live {
        state: state.clone(),
        user: user.id,
        token,
        lang: rctx.lang,
        pos: after.unwrap_or(Position::START),
        sent: HashMap::new(),
        retry: false,
    };
    let first = match after {
        Some(_) => live.catch_up().await?,
        None => {
            let h = state.db(horizon).await?;
            live.pos = Position::at(h);
            String::new()
        }
    };
    let sub = state
        .live
        .subscribe(&state, user.id, max, live.pos.tx.saturating_add(1))
        .ok_or_else(too_many)?;
    let mut opening = format!("retry: {RETRY_MS}\n\n");
    if first.is_empty() {
        opening.push_str(&format!(
            "id: {}\n\n",
            token_at(live.pos.tx.saturating_add(1))
        ));
    }
    opening.push_str(&first);
    let period = Duration::from_secs(heartbeat);
    let open = Open {
        stop: state.live.stopping(),
        heartbeat: tokio::time::interval_at(tokio::time::Instant::now() + period, period),
        sub,
        live,
        first: Some(Bytes::from(opening)),
    };
    let body = futures_util::stream::unfold(open, |mut open| async move {
        let chunk = open.next_chunk().await?;
        Some((Ok::<_, Infallible>(chunk), open))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// What one stream knows: whose it is and how far it has sent.
struct Live {
    state: web::Data<AppState>,
    user: i64,
    token: String,
    lang: Lang,
    /// Every change up to here was sent (the next event id says so).
    pos: Position,
    /// Versions sent that lie beyond `pos` (PostgreSQL may show them again): `(kind, id)` →
    /// change stamp.
    sent: HashMap<(Kind, i64), i64>,
    /// The last read failed: read at the next heartbeat even without a wake.
    retry: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Notification,
    Ticket,
}

/// A stream being served.
struct Open {
    live: Live,
    sub: Subscription,
    stop: watch::Receiver<bool>,
    heartbeat: tokio::time::Interval,
    first: Option<Bytes>,
}

impl Open {
    /// The next bytes to send; `None` ends the stream.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if let Some(first) = self.first.take() {
            return Some(first);
        }
        loop {
            tokio::select! {
                biased;
                _ = self.stop.wait_for(|s| *s) => return None,
                _ = self.sub.wake.notified() => {
                    if let Some(events) = self.live.read().await {
                        return Some(events);
                    }
                }
                _ = self.heartbeat.tick() => {
                    let token = self.live.token.clone();
                    if authenticate(self.live.state.clone(), token).await.is_err() {
                        return None;
                    }
                    let mut chunk = Vec::new();
                    if self.live.retry
                        && let Some(events) = self.live.read().await
                    {
                        chunk.extend_from_slice(&events);
                    }
                    chunk.extend_from_slice(b": keep-alive\n\n");
                    return Some(Bytes::from(chunk));
                }
            }
        }
    }
}

impl Live {
    /// What changed since the last read, as event blocks; `None` when nothing new (or the
    /// read failed: it is tried again at the next heartbeat).
    async fn read(&mut self) -> Option<Bytes> {
        match self.catch_up().await {
            Ok(events) => {
                self.retry = false;
                (!events.is_empty()).then(|| Bytes::from(events))
            }
            Err(e) => {
                tracing::warn!(error = %e.error(), "live updates: reading changes failed");
                self.retry = true;
                None
            }
        }
    }

    /// Reads every change after `pos` and moves `pos` past them: the event blocks to send.
    async fn catch_up(&mut self) -> Result<String, ApiError> {
        let (user, after, lang) = (self.user, self.pos, self.lang);
        let (h, notes, tickets, units) = self
            .state
            .db(move |conn| -> Result<_, ApiError> {
                let h = horizon(conn)?;
                let notes = read_all(
                    |from| Ok(in_app::changed(conn, user, from, None, PAGE + 1)?),
                    after,
                    |(tx, n): &(i64, Notification)| Position { tx: *tx, id: n.id },
                )?;
                let tickets = read_all(
                    |from| Ok(submitted_changed(conn, user, from, None, PAGE + 1)?),
                    after,
                    |c: &Changed| Position {
                        tx: c.change_tx,
                        id: c.row.id,
                    },
                )?;
                let units = unit_names(conn, tickets.iter().map(|c| &c.row), lang)?;
                Ok((h, notes, tickets, units))
            })
            .await?;
        let mut blocks: Vec<(i64, String)> = Vec::new();
        for (tx, n) in notes {
            if self.sent.get(&(Kind::Notification, n.id)) == Some(&tx) {
                continue;
            }
            self.sent.insert((Kind::Notification, n.id), tx);
            blocks.push((tx, block("notification", &view(n, lang))));
        }
        for c in tickets {
            let (tx, id) = (c.change_tx, c.row.id);
            if self.sent.get(&(Kind::Ticket, id)) == Some(&tx) {
                continue;
            }
            self.sent.insert((Kind::Ticket, id), tx);
            blocks.push((tx, block("ticket", &synced(c, &units))));
        }
        // What lies before the horizon cannot be read again.
        self.sent.retain(|_, tx| *tx >= h);
        self.pos = Position::at(h);
        blocks.sort_by_key(|(tx, _)| *tx);
        let count = blocks.len();
        let mut out = String::new();
        for (i, (_, b)) in blocks.into_iter().enumerate() {
            if i + 1 == count {
                out.push_str(&format!("id: {}\n", token_at(h)));
            }
            out.push_str(&b);
        }
        Ok(out)
    }
}

/// Every row after `from`, `PAGE` at a time.
fn read_all<R>(
    mut page: impl FnMut(Position) -> Result<Vec<R>, ApiError>,
    from: Position,
    position: impl Fn(&R) -> Position,
) -> Result<Vec<R>, ApiError> {
    let mut all = Vec::new();
    let mut from = from;
    loop {
        let mut rows = page(from)?;
        let more = rows.len() as i64 > PAGE;
        rows.truncate(PAGE as usize);
        if let Some(last) = rows.last() {
            from = position(last);
        }
        all.extend(rows);
        if !more {
            return Ok(all);
        }
    }
}

/// One event block: `event:` and the JSON on one `data:` line (JSON has no raw newline).
fn block(event: &str, data: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    format!("event: {event}\ndata: {json}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_one_event_with_its_json_on_one_line() {
        let b = block(
            "ticket",
            &serde_json::json!({"code": "A\nB", "deleted": true}),
        );
        assert_eq!(
            b,
            "event: ticket\ndata: {\"code\":\"A\\nB\",\"deleted\":true}\n\n"
        );
    }

    #[test]
    fn reading_all_pages_follows_the_last_position() {
        let rows: Vec<i64> = (1..=450).collect();
        let mut calls = 0;
        let got = read_all(
            |from| {
                calls += 1;
                Ok(rows
                    .iter()
                    .copied()
                    .filter(|r| *r > from.id)
                    .take(PAGE as usize + 1)
                    .collect())
            },
            Position { tx: 0, id: 0 },
            |r| Position { tx: 0, id: *r },
        )
        .unwrap();
        assert_eq!(got, rows);
        assert_eq!(calls, 3);
    }
}
