//! Creating POSTs and `Idempotency-Key` (DESIGN "Conventions"): the key is scoped per user
//! (per client address for anonymous calls) and kept 24 h; the same key and body get the first
//! response again, another body 422, a retry while the first runs 409 with `Retry-After`.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::api::extract::{parse_json, read_json_body};
use crate::db::idempotency::{self, Claim, Saved};
use crate::db::{self, DbConn};
use crate::error::ApiError;
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
            let render = |v: &T| {
                serde_json::to_string(v).map_err(|e| ApiError::internal(format!("serialise: {e}")))
            };
            db::write(conn, |conn| {
                if let Some(key) = &key
                    && let Claim::Replay(saved) =
                        idempotency::claim(conn, &scope, key, &digest, now)?
                {
                    return Ok((saved, true));
                }
                let saved = Saved {
                    status: status.as_u16(),
                    body: render(&work(conn)?)?,
                    resource: None,
                };
                if let Some(key) = &key {
                    idempotency::complete(conn, &scope, key, &saved)?;
                }
                Ok((saved, false))
            })
        })
        .await?;
    let mut res = HttpResponse::build(StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK));
    res.content_type("application/json");
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.body(saved.body))
}
