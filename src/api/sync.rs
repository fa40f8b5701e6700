//! Delta sync for phones on slow, metered connections: `GET /me/tickets?updated_since=` or
//! `?sync_token=`, and the same on `/me/notifications`, send only what changed, with a
//! `sync_token` for next time. The token is opaque to clients: a position among changes (see
//! [`crate::db::sync`]), so a change made in the same second as the last sync still comes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::ApiError;
use crate::api::list::MAX_LIMIT;
use crate::db::sync::Position;
use crate::error::FieldError;

/// What a token holds. `f` and `s` are set only between the pages of one sync that had more
/// changes than `limit`: the horizon taken at its first page, and its start time if any.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Token {
    p: Position,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    f: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    s: Option<NaiveDateTime>,
}

impl Token {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    fn decode(raw: &str) -> Result<Token, ApiError> {
        URL_SAFE_NO_PAD
            .decode(raw)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| ApiError::bad_request("invalid_sync_token"))
    }
}

/// A delta request: where to read from, and how many.
#[derive(Debug, Clone)]
pub struct Delta {
    pub after: Position,
    pub since: Option<NaiveDateTime>,
    floor: Option<i64>,
    pub limit: i64,
}

/// A page of changes: live items and tombstones, in change order.
#[derive(Debug, Serialize, ToSchema)]
pub struct Changes<T> {
    pub items: Vec<T>,
    /// Always `null` here (the list envelope's field): a delta pages with `sync_token`.
    pub next_cursor: Option<String>,
    /// Pass as `sync_token` next time. When `has_more` is true, call again at once with it
    /// for the rest of this sync.
    pub sync_token: String,
    pub has_more: bool,
}

impl Delta {
    /// `None` for a plain list (neither `since` nor `sync_token`); 400 `invalid_timestamp`,
    /// `invalid_sync_token` or `sync_params_conflict` for a bad request.
    pub fn parse(
        since: Option<&str>,
        token: Option<&str>,
        paging: bool,
        limit: Option<i64>,
    ) -> Result<Option<Delta>, ApiError> {
        if since.is_none() && token.is_none() {
            return Ok(None);
        }
        if paging || (since.is_some() && token.is_some()) {
            return Err(ApiError::bad_request("sync_params_conflict"));
        }
        let limit = limit.unwrap_or(MAX_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation(vec![
                FieldError::new("/limit", "out_of_range")
                    .arg("min", 1)
                    .arg("max", MAX_LIMIT),
            ]));
        }
        if let Some(since) = since {
            let since = DateTime::parse_from_rfc3339(since)
                .map_err(|_| ApiError::bad_request("invalid_timestamp"))?
                .naive_utc();
            return Ok(Some(Delta {
                after: Position::START,
                since: Some(since),
                floor: None,
                limit,
            }));
        }
        let t = Token::decode(token.unwrap_or_default())?;
        Ok(Some(Delta {
            after: t.p,
            since: t.s,
            floor: t.f,
            limit,
        }))
    }

    /// How many rows to read: one more than the page, to learn whether more follow.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts `rows` (read in change order after `horizon` was taken) to the page and makes the
    /// next token. After the last page the next sync starts at the first page's horizon, so a
    /// change committed while the pages were read comes again rather than never.
    pub fn finish<R, T>(
        &self,
        horizon: i64,
        mut rows: Vec<R>,
        position: impl Fn(&R) -> Position,
        item: impl FnMut(R) -> T,
    ) -> Changes<T> {
        let has_more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let floor = self.floor.unwrap_or(horizon);
        let token = match rows.last() {
            Some(last) if has_more => Token {
                p: position(last),
                f: Some(floor),
                s: self.since,
            },
            _ => Token {
                p: Position::at(floor),
                f: None,
                s: None,
            },
        };
        Changes {
            items: rows.into_iter().map(item).collect(),
            next_cursor: None,
            sync_token: token.encode(),
            has_more,
        }
    }
}

/// The token of a finished sync that read everything before `horizon`: what a last page
/// returns, and the id of a live-update event (see `api::events`).
pub fn token_at(horizon: i64) -> String {
    Token {
        p: Position::at(horizon),
        f: None,
        s: None,
    }
    .encode()
}

/// Where a live-update stream resumes from a sync token (`Last-Event-ID`): after its position,
/// for tickets and notifications alike. A token from between the pages of one list names a
/// row of that list; the stream resumes before that row's whole change stamp instead, so that
/// nothing of the other list with the same stamp is missed (a few changes may come twice).
pub fn resume_from(raw: &str) -> Result<Position, ApiError> {
    let p = Token::decode(raw)?.p;
    Ok(if p.id == i64::MAX {
        p
    } else {
        Position::at(p.tx)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_resumes_after_a_finished_token_and_before_a_page_s_stamp() {
        assert_eq!(resume_from(&token_at(42)).unwrap(), Position::at(42));
        let mid = Token {
            p: Position { tx: 42, id: 7 },
            f: Some(50),
            s: None,
        }
        .encode();
        assert_eq!(resume_from(&mid).unwrap(), Position::at(42));
        assert!(resume_from("not-a-token").is_err());
    }
}
