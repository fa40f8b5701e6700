//! Creating POSTs and `Idempotency-Key` (DESIGN "Conventions"): the key is scoped per user
//! (per client address for anonymous calls) and kept 24 h; the same key and body get the first
//! response again, another body 422, a retry while the first runs 409 with `Retry-After`.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::api::error::ApiError;
use crate::api::extract::{parse_json, read_json_body};
use crate::db::idempotency::{self, Saved};
use crate::db::{self, DbConn};
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";

/// Reads the `Idempotency-Key` header: 8–255 printable ASCII characters.
pub fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| ApiError::bad_request("idempotency_key_invalid"))?;
    if !(8..=255).contains(&s.len()) || !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(ApiError::bad_request("idempotency_key_invalid"));
    }
    Ok(Some(s.to_string()))
}

/// The JSON body of a creating POST, with its `Idempotency-Key` (if sent) and the body's
/// digest (to tell a retry from another request under the same key).
pub struct Creating<T> {
    pub body: T,
    pub key: Option<String>,
    pub digest: String,
}

impl<T> Creating<T> {
    /// For routes where the key is required: 400 `idempotency_key_missing` without it.
    pub fn require_key(&self) -> Result<(), ApiError> {
        match self.key {
            Some(_) => Ok(()),
            None => Err(ApiError::bad_request("idempotency_key_missing")),
        }
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Creating<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = key_of(req);
        let path = req.path().to_string();
        let bytes = read_json_body(req, payload);
        Box::pin(async move {
            let key = key?;
            let bytes = bytes.await?;
            let body = parse_json::<T>(&bytes)?;
            Ok(Creating {
                body,
                key,
                digest: digest(&path, &bytes),
            })
        })
    }
}

/// SHA-256 of the path and body, hex.
pub fn digest(path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update([0]);
    h.update(body);
    hex::encode(h.finalize())
}

pub use crate::db::idempotency::scope;

/// What a creating request made: the answer saved for its retries, the resource it names,
/// and fields that this answer alone carries (never saved: a secret shown once).
pub struct Made<T> {
    pub body: T,
    pub resource: Option<String>,
    pub once: Map<String, Value>,
}

impl<T> Made<T> {
    pub fn plain(body: T) -> Self {
        Made {
            body,
            resource: None,
            once: Map::new(),
        }
    }
}

fn with_fields(body: &str, fields: Map<String, Value>) -> String {
    if fields.is_empty() {
        return body.to_string();
    }
    let mut v: Value = serde_json::from_str(body).unwrap_or_else(|_| Value::Object(Map::new()));
    if let Some(obj) = v.as_object_mut() {
        obj.extend(fields);
    }
    v.to_string()
}

/// Does `work` in one write transaction and, with a key, saves its answer under the key at
/// the transaction's end (one statement: `db::idempotency::save`). A key already held — a
/// retry of a finished request, or one racing it — rolls the work back, and the request is
/// answered as the first one was (`replayed` may add fields to that answer alone), or refused
/// (422 for another request under the key, 409 while the first is unfinished). Returns the
/// answer and whether it was a replay.
///
/// Optimistic on purpose: nearly every request's key is new, and this way it costs one
/// statement instead of a claim before the work and an update after it.
#[allow(clippy::too_many_arguments)]
pub fn transact<T: Serialize>(
    conn: &mut DbConn,
    scope: &str,
    key: Option<&str>,
    digest: &str,
    now: NaiveDateTime,
    status: StatusCode,
    work: impl FnOnce(&mut DbConn) -> Result<Made<T>, ApiError>,
    replayed: impl FnOnce(&mut DbConn, &Saved) -> Result<Map<String, Value>, ApiError>,
) -> Result<(Saved, bool), ApiError> {
    let done = db::write(conn, |c| {
        let made = work(c).map_err(Attempt::Failed)?;
        let saved = Saved {
            status: status.as_u16(),
            body: serde_json::to_string(&made.body)
                .map_err(|e| Attempt::Failed(ApiError::internal(format!("serialise: {e}"))))?,
            resource: made.resource,
        };
        if let Some(key) = key
            && !idempotency::save(c, scope, key, digest, now, &saved)?
        {
            return Err(Attempt::Taken);
        }
        Ok((saved, made.once))
    });
    match done {
        Ok((saved, once)) => Ok((
            Saved {
                body: with_fields(&saved.body, once),
                ..saved
            },
            false,
        )),
        Err(Attempt::Failed(e)) => Err(e),
        Err(Attempt::Taken) => {
            let key = key.unwrap_or_default();
            db::write(conn, |c| {
                match crate::workflow::idempotency::claim(c, scope, key, digest, now)? {
                    Some(saved) => {
                        let once = replayed(c, &saved)?;
                        Ok((
                            Saved {
                                body: with_fields(&saved.body, once),
                                ..saved
                            },
                            true,
                        ))
                    }
                    // Free again: the holder was rolled back in between. The work was undone
                    // and cannot run twice here; the client's next retry does it (the claim
                    // just made goes with this transaction).
                    None => Err(crate::workflow::idempotency::in_progress().into()),
                }
            })
        }
    }
}

/// How the optimistic attempt of [`transact`] ended when it did not commit.
enum Attempt {
    Failed(ApiError),
    /// The key was held by another request: the work is rolled back.
    Taken,
}

impl From<diesel::result::Error> for Attempt {
    fn from(e: diesel::result::Error) -> Self {
        Attempt::Failed(e.into())
    }
}

impl From<crate::db::Error> for Attempt {
    fn from(e: crate::db::Error) -> Self {
        Attempt::Failed(e.into())
    }
}

/// The HTTP answer of a creating request (`Idempotent-Replayed: true` on a replay).
pub fn answer(saved: Saved, replayed: bool) -> HttpResponse {
    let mut res = HttpResponse::build(StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK));
    res.content_type("application/json");
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.body(saved.body)
}

/// Runs `work` in one write transaction and answers `status` with its JSON. With a key, the
/// response is saved in that same transaction, and a retry gets it again.
pub async fn run<T, F>(
    state: &AppState,
    scope: String,
    key: Option<String>,
    digest: String,
    status: StatusCode,
    work: F,
) -> Result<HttpResponse, ApiError>
where
    T: Serialize,
    F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
{
    let now = state.clock.now_naive();
    let (saved, replayed) = state
        .db(move |conn| {
            transact(
                conn,
                &scope,
                key.as_deref(),
                &digest,
                now,
                status,
                |c| work(c).map(Made::plain),
                |_, _| Ok(Map::new()),
            )
        })
        .await?;
    Ok(answer(saved, replayed))
}
