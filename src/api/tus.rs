//! Resumable uploads: the tus 1.0.0 core protocol with the creation and termination extensions
//! under `/api/v1/uploads/tus/`, so that the tus clients for Android, iOS and JavaScript work
//! unchanged. `POST` declares the size, `PATCH`es send the bytes from where the server stands
//! (`HEAD` says where), and a connection that drops keeps what arrived. When the last byte is
//! in, the file goes through the one-shot upload's checks (`api::uploads::store`) and becomes
//! an upload like any other, named by `Upload-Id`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder, delete, head, options, patch, post, web,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::{Bytes, BytesMut};
use chrono::Duration;
use futures_util::StreamExt;

use crate::api::caller::{ClientAddr, MaybeUser};
use crate::api::error::ApiError;
use crate::api::extract::{RequestContext, payload_too_large, unsupported_media_type};
use crate::api::idempotency;
use crate::api::uploads::{count_anonymous, store, store_error};
use crate::db::{self, resumable::Resumable};
use crate::state::AppState;

const VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,termination";
const OFFSET_TYPE: &str = "application/offset+octet-stream";
/// Stretches an upload may come in: each is an object in the store.
const MAX_PARTS: usize = 1_000;
/// How long an unfinished upload is kept (and a finished one answers `HEAD`).
pub const EXPIRES_AFTER: Duration = Duration::hours(24);

fn tus(res: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    res.insert_header(("Tus-Resumable", VERSION))
        .insert_header((header::CACHE_CONTROL, "no-store"))
}

fn number(headers: &HeaderMap, name: &str) -> Option<i64> {
    headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
}

/// 412 with `Tus-Version` for a request without `Tus-Resumable: 1.0.0`.
fn version_refused(req: &HttpRequest, rctx: &RequestContext) -> Option<HttpResponse> {
    let ok = req
        .headers()
        .get("Tus-Resumable")
        .is_some_and(|v| v.as_bytes() == VERSION.as_bytes());
    if ok {
        return None;
    }
    let mut res = ApiError::client(StatusCode::PRECONDITION_FAILED, "tus_version_unsupported")
        .render(rctx.lang, &rctx.request_id);
    let h = res.headers_mut();
    h.insert(
        header::HeaderName::from_static("tus-version"),
        header::HeaderValue::from_static(VERSION),
    );
    h.insert(
        header::HeaderName::from_static("tus-resumable"),
        header::HeaderValue::from_static(VERSION),
    );
    Some(res)
}

/// `key base64,key base64,key`: keys without spaces or commas, values in standard base64.
fn valid_metadata(raw: &str) -> bool {
    raw.split(',').all(|pair| {
        let mut it = pair.trim().split(' ');
        let key = it.next().unwrap_or_default();
        let value = it.next();
        !key.is_empty() && it.next().is_none() && value.is_none_or(|v| STANDARD.decode(v).is_ok())
    })
}

/// The upload, if the caller may touch it: its uploader, or anyone holding the URL of an
/// anonymous one (a phone's address changes as it moves between networks; the URL is a
/// random UUID).
async fn load(state: &AppState, id: &str, user: &MaybeUser) -> Result<Resumable, ApiError> {
    let (id, now) = (id.to_string(), state.clock.now_naive());
    let row = state
        .db(move |c| db::resumable::find(c, &id, now))
        .await?
        .filter(|r| {
            r.uploader_id
                .is_none_or(|u| user.0.as_ref().is_some_and(|me| me.id == u))
        });
    row.ok_or_else(|| ApiError::not_found("upload_not_found"))
}

/// What this server speaks: tus 1.0.0 with creation and termination, files up to
/// `media.max_bytes`.
#[utoipa::path(tag = "uploads", operation_id = "tus_options",
    responses((status = 204, headers(
        ("Tus-Version" = String, description = "1.0.0"),
        ("Tus-Extension" = String, description = "creation,termination"),
        ("Tus-Max-Size" = i64, description = "media.max_bytes")))))]
#[options("/uploads/tus/")]
pub async fn capabilities(state: web::Data<AppState>) -> HttpResponse {
    tus(&mut HttpResponse::NoContent())
        .insert_header(("Tus-Version", VERSION))
        .insert_header(("Tus-Extension", EXTENSIONS))
        .insert_header(("Tus-Max-Size", state.settings.media.max_bytes.to_string()))
        .finish()
}

/// Start a resumable upload of `Upload-Length` bytes (at most `media.max_bytes`), with
/// optional `Upload-Metadata` (e.g. `filename`, kept only to be echoed by `HEAD`). Signed-in
/// users and anonymous callers (rate limited per address, counted with `POST /uploads`) may
/// upload. Unfinished uploads expire after 24 hours.
#[utoipa::path(tag = "uploads", operation_id = "tus_create",
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = i64, Header, description = "The file's size in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "Comma-separated `key base64-value` pairs")),
    responses(
        (status = 201, headers(("Location" = String, description = "/api/v1/uploads/tus/{id}: HEAD, PATCH and DELETE it"))),
        (status = 400, description = "upload_length_invalid, upload_metadata_invalid", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "tus_version_unsupported (with Tus-Version)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "payload_too_large: Upload-Length exceeds media.max_bytes", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/uploads/tus/")]
pub async fn create(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if let Some(res) = version_refused(&req, &rctx) {
        return Ok(res);
    }
    let length = number(req.headers(), "Upload-Length")
        .filter(|n| *n > 0)
        .ok_or_else(|| ApiError::bad_request("upload_length_invalid"))?;
    let limit = state.settings.media.max_bytes;
    if length as u64 > limit as u64 {
        return Err(payload_too_large(limit));
    }
    let metadata = match req.headers().get("Upload-Metadata") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(s) if s.len() <= 4096 && valid_metadata(s) => Some(s.to_string()),
            _ => return Err(ApiError::bad_request("upload_metadata_invalid")),
        },
    };
    let uploader_id = user.0.as_ref().map(|u| u.id);
    let now = state.clock.now_naive();
    if uploader_id.is_none() {
        count_anonymous(&state, &client.0).await?;
    }
    let row = Resumable {
        id: uuid::Uuid::new_v4().to_string(),
        uploader_id,
        scope: idempotency::scope(uploader_id, &client.0),
        length,
        received: 0,
        parts: String::new(),
        metadata,
        upload_id: None,
        created_at: now,
        expires_at: now + EXPIRES_AFTER,
    };
    let id = row.id.clone();
    state.db(move |c| db::resumable::create(c, &row)).await?;
    Ok(tus(&mut HttpResponse::Created())
        .insert_header((header::LOCATION, format!("/api/v1/uploads/tus/{id}")))
        .finish())
}

/// Where the upload stands: `Upload-Offset` bytes of `Upload-Length` received; once complete,
/// `Upload-Id` names the upload to list in a ticket's `attachments`.
#[utoipa::path(tag = "uploads", operation_id = "tus_head",
    params(("id" = String, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses(
        (status = 200, headers(
            ("Upload-Offset" = i64), ("Upload-Length" = i64),
            ("Upload-Metadata" = String, description = "as sent"),
            ("Upload-Id" = String, description = "once complete: the upload's id"))),
        (status = 404, description = "upload_not_found (also once expired, or another user's)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "tus_version_unsupported (with Tus-Version)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[head("/uploads/tus/{id}")]
pub async fn status(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(res) = version_refused(&req, &rctx) {
        return Ok(res);
    }
    let row = load(&state, &id, &user).await?;
    let mut res = HttpResponse::Ok();
    tus(&mut res)
        .insert_header(("Upload-Offset", row.received.to_string()))
        .insert_header(("Upload-Length", row.length.to_string()));
    if let Some(m) = &row.metadata {
        res.insert_header(("Upload-Metadata", m.clone()));
    }
    if let Some(u) = &row.upload_id {
        res.insert_header(("Upload-Id", u.clone()));
    }
    Ok(res.finish())
}

/// Send bytes from `Upload-Offset` (which must be where the server stands: else 409 and
/// nothing is kept). If the connection drops, what arrived is kept: `HEAD`, then go on from
/// there. The `PATCH` that completes the file has it checked and stored as
/// `POST /uploads` would (type by content, size, metadata stripped, thumbnail) and answers
/// `Upload-Id`; a file that fails a check is refused as there (415, 422) and the upload ends.
#[utoipa::path(tag = "uploads", operation_id = "tus_patch",
    params(("id" = String, Path), ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = i64, Header, description = "Where these bytes start")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, headers(("Upload-Offset" = i64, description = "The new offset"),
            ("Upload-Id" = String, description = "once complete: the upload's id"))),
        (status = 400, description = "upload_offset_invalid", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "upload_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "tus_version_unsupported (with Tus-Version)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "upload_offset_mismatch", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "payload_too_large: more bytes than Upload-Length", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "unsupported_media_type: not application/offset+octet-stream, or the finished file is not a JPEG, PNG, WebP or PDF", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "upload_too_many_parts: 1,000 PATCHes and still not complete; or validation_failed: the finished file is corrupt or too many pixels", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[patch("/uploads/tus/{id}")]
pub async fn append(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    id: web::Path<String>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    if let Some(res) = version_refused(&req, &rctx) {
        return Ok(res);
    }
    let is_offset_stream = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(OFFSET_TYPE));
    if !is_offset_stream {
        return Err(unsupported_media_type(OFFSET_TYPE));
    }
    let offset = number(req.headers(), "Upload-Offset")
        .ok_or_else(|| ApiError::bad_request("upload_offset_invalid"))?;
    let row = load(&state, &id, &user).await?;
    let mismatch = |received: i64| {
        ApiError::client(StatusCode::CONFLICT, "upload_offset_mismatch").arg("received", received)
    };
    if offset != row.received {
        return Err(mismatch(row.received));
    }
    if row.part_keys().len() >= MAX_PARTS && row.received < row.length {
        return Err(ApiError::unprocessable("upload_too_many_parts").arg("max", MAX_PARTS));
    }
    let room = (row.length - row.received) as usize;
    if number(req.headers(), header::CONTENT_LENGTH.as_str()).is_some_and(|n| n as usize > room) {
        return Err(payload_too_large(row.length as usize));
    }
    // What arrives before the connection drops is kept, so that a resume loses nothing.
    let mut bytes = BytesMut::new();
    let mut dropped = false;
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) => {
                if bytes.len() + chunk.len() > room {
                    return Err(payload_too_large(row.length as usize));
                }
                bytes.extend_from_slice(&chunk);
            }
            Err(e) => {
                tracing::info!(error = %e, upload = %row.id, kept = bytes.len(), "tus PATCH cut short");
                dropped = true;
                break;
            }
        }
    }
    let mut received = row.received;
    if !bytes.is_empty() {
        let key = format!(
            "tus/{}/{}-{}",
            row.id,
            offset,
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let to = offset + bytes.len() as i64;
        state
            .media
            .put(&key, bytes.freeze())
            .await
            .map_err(store_error)?;
        let (rid, k) = (row.id.clone(), key.clone());
        let advanced = state
            .db(move |c| db::resumable::advance(c, &rid, offset, to, &k))
            .await?;
        if !advanced {
            forget(&state, &[key]).await;
            let now = load(&state, &row.id, &user).await?;
            return Err(mismatch(now.received));
        }
        received = to;
    }
    if dropped && received < row.length {
        // Nobody is listening any more; a client that still is reads the offset kept.
        return Ok(tus(&mut HttpResponse::NoContent())
            .insert_header(("Upload-Offset", received.to_string()))
            .finish());
    }
    let mut res = HttpResponse::NoContent();
    tus(&mut res).insert_header(("Upload-Offset", received.to_string()));
    if received == row.length {
        let upload_id = match row.upload_id.clone() {
            Some(u) => u,
            None => finish(&state, &row).await?,
        };
        res.insert_header(("Upload-Id", upload_id));
    }
    Ok(res.finish())
}

/// Puts the stretches together and makes the upload, as `POST /uploads` would; the stretches
/// go either way, and a file refused by the checks ends the resumable upload too.
async fn finish(state: &AppState, row: &Resumable) -> Result<String, ApiError> {
    let keys = row_keys(state, &row.id).await?;
    let mut file = BytesMut::with_capacity(row.length as usize);
    for k in &keys {
        file.extend_from_slice(&state.media.get(k).await.map_err(store_error)?);
    }
    let file: Bytes = file.freeze();
    let digest = idempotency::digest("/api/v1/uploads/tus/", &file);
    let made = store(
        state,
        file,
        row.uploader_id,
        row.scope.clone(),
        format!("tus-{}", row.id),
        digest,
    )
    .await;
    forget(state, &keys).await;
    let rid = row.id.clone();
    match made {
        Ok((saved, _)) => {
            let upload_id = saved
                .resource
                .ok_or_else(|| ApiError::internal("a stored upload without its id"))?;
            let u = upload_id.clone();
            state
                .db(move |c| db::resumable::finish(c, &rid, &u))
                .await?;
            Ok(upload_id)
        }
        Err(e) => {
            state.db(move |c| db::resumable::delete(c, &rid)).await?;
            Err(e)
        }
    }
}

/// The stretches stored so far, as the row lists them now.
async fn row_keys(state: &AppState, id: &str) -> Result<Vec<String>, ApiError> {
    let (id, now) = (id.to_string(), state.clock.now_naive());
    Ok(state
        .db(move |c| db::resumable::find(c, &id, now))
        .await?
        .map(|r| r.part_keys())
        .unwrap_or_default())
}

/// Best effort: a stretch left behind has no row, and nothing else finds it.
pub async fn forget(state: &AppState, keys: &[String]) {
    for k in keys {
        if let Err(e) = state.media.delete(k).await {
            tracing::warn!(error = %e, key = %k, "could not remove a stretch of a resumable upload");
        }
    }
}

/// End an upload: what was received is deleted (termination extension). A finished upload's
/// file stays (it is an upload of its own, purged after a day if never attached).
#[utoipa::path(tag = "uploads", operation_id = "tus_delete",
    params(("id" = String, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses(
        (status = 204),
        (status = 404, description = "upload_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "tus_version_unsupported (with Tus-Version)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[delete("/uploads/tus/{id}")]
pub async fn terminate(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if let Some(res) = version_refused(&req, &rctx) {
        return Ok(res);
    }
    let row = load(&state, &id, &user).await?;
    let rid = row.id.clone();
    if !state.db(move |c| db::resumable::delete(c, &rid)).await? {
        return Err(ApiError::not_found("upload_not_found"));
    }
    forget(&state, &row.part_keys()).await;
    Ok(tus(&mut HttpResponse::NoContent()).finish())
}
