//! Uploads over HTTP: `POST /uploads` (a photo or a PDF, checked by content and cleaned before
//! it is stored), the downloads of attachments and their thumbnails, and the handling unit's
//! decision to publish a citizen's file.
//!
//! An upload is filed on a ticket by naming its id in `attachments` (submission, `provide_info`,
//! `resolve`); until then only its uploader may read it, and after a day it is purged. Once
//! filed, it is served to those who may read the ticket and see the attachment
//! (`api::tickets::attachment_visible`); to anyone else it does not exist (404).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, post, web};
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::caller::{ClientAddr, MaybeUser};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, payload_too_large, unsupported_media_type};
use crate::api::idempotency::{self, Made};
use crate::api::tickets::viewer;
use crate::auth::CurrentUser;
use crate::db;
use crate::db::idempotency::Saved;
use crate::db::uploads::{self, NewUpload, Upload};
use crate::error::FieldError;
use crate::media::{self, MediaError, StoreError, THUMBNAIL_MIME};
use crate::state::AppState;
use crate::workflow::tickets::{Viewer, files};

/// Room for the multipart framing (boundaries, part headers) around a file of the largest
/// accepted size, when judging a declared `Content-Length`.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
/// What a file sent as "unsupported" should have been.
const ACCEPTED_TYPES: &str = "image/jpeg, image/png, image/webp, application/pdf";

/// An upload as its uploader sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadView {
    /// A UUID: name it in a ticket's `attachments`.
    pub id: String,
    /// `jpeg`, `png`, `webp` or `pdf`: what the content is, whatever the file was called.
    #[schema(example = "jpeg")]
    pub media_kind: String,
    /// Size of the stored (cleaned) file.
    pub size_bytes: i64,
    /// Of the upright image; `null` for a PDF.
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Whether `/attachments/{id}/thumbnail` exists (photos only).
    pub thumbnail: bool,
    pub created_at: DateTime<Utc>,
}

impl UploadView {
    fn of(u: &Upload) -> Self {
        Self {
            id: u.id.clone(),
            media_kind: u.media_kind.clone(),
            size_bytes: u.size_bytes,
            width: u.width,
            height: u.height,
            thumbnail: u.thumbnail_key.is_some(),
            created_at: u.created_at.and_utc(),
        }
    }
}

/// The form of `POST /uploads`: one part named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A JPEG, PNG or WebP photo, or a PDF, of at most `media.max_bytes` (10 MiB by default).
    /// The type is read from the content; the file name and the part's `Content-Type` are
    /// ignored.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Upload a photo or a PDF to attach to a ticket. Signed-in users and anonymous callers
/// (rate limited per address) may upload. `Idempotency-Key` is required: a retry with the same
/// key and file gets the same upload. A photo is turned upright and stripped of its metadata
/// (EXIF, GPS, XMP, ICC) before it is stored, and gets a 320 px JPEG thumbnail; a PDF is kept
/// as sent and only ever served as a download. An upload not attached to a ticket within 24
/// hours is deleted.
#[utoipa::path(tag = "uploads",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = String, Header, description = "Required: 8–255 characters, new for each file")),
    responses(
        (status = 201, body = UploadView, headers(("Location" = String, description = "/api/v1/attachments/{id}"))),
        (status = 400, description = "idempotency_key_missing, malformed_multipart", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_in_progress", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "payload_too_large: the file exceeds media.max_bytes", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "unsupported_media_type: not multipart/form-data, or the file is not a JPEG, PNG, WebP or PDF", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed (`/file`: required, duplicate, image_too_large, corrupt_file) or idempotency_key_reused", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/uploads")]
pub async fn create(
    state: web::Data<AppState>,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::key_of(&req)?
        .ok_or_else(|| ApiError::bad_request("idempotency_key_missing"))?;
    let is_form =
        matches!(req.mime_type(), Ok(Some(m)) if m.essence_str() == "multipart/form-data");
    if !is_form {
        return Err(unsupported_media_type("multipart/form-data"));
    }
    let limit = state.settings.media.max_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit.saturating_add(FORM_OVERHEAD_BYTES)) {
        return Err(payload_too_large(limit));
    }
    let uploader_id = user.0.as_ref().map(|u| u.id);
    let scope = idempotency::scope(uploader_id, &client.0);
    if uploader_id.is_none() {
        // Counted before the body is read: every attempt costs a decode, a retry included.
        count_anonymous(&state, &client.0).await?;
    }
    let file = read_file(&req, payload, limit).await?;
    let digest = idempotency::digest(req.path(), &file);
    // A retry of a finished upload is answered at once, without processing the file again.
    let earlier = {
        let (scope, key, digest) = (scope.clone(), key.clone(), digest.clone());
        let now = state.clock.now_naive();
        state
            .db(move |c| crate::workflow::idempotency::lookup(c, &scope, &key, &digest, now))
            .await?
    };
    if let Some(saved) = earlier {
        return Ok(created(saved, true));
    }
    let (saved, replayed) = store(&state, file, uploader_id, scope, key, digest).await?;
    Ok(created(saved, replayed))
}

/// Counts an upload without an account against its address's hourly limit
/// (`tickets.anonymous_uploads_per_hour`; 429 beyond), one-shot and resumable alike.
pub async fn count_anonymous(state: &AppState, client: &str) -> Result<(), ApiError> {
    let per_hour = state.settings.tickets.anonymous_uploads_per_hour;
    let counter = format!("uploads:ip:{client}");
    let now = state.clock.now_naive();
    state
        .db(move |c| {
            db::write(c, |c| {
                crate::workflow::rate_limits::hit(c, &counter, per_hour, Duration::hours(1), now)
            })
        })
        .await?;
    Ok(())
}

fn created(saved: Saved, replayed: bool) -> HttpResponse {
    let mut res =
        HttpResponse::build(StatusCode::from_u16(saved.status).unwrap_or(StatusCode::CREATED));
    res.content_type("application/json");
    if let Some(id) = &saved.resource {
        res.insert_header((header::LOCATION, format!("/api/v1/attachments/{id}")));
    }
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.body(saved.body)
}

/// Reads the one `file` part, refusing it as soon as it grows past `limit` (the rest of the
/// stream is not read).
async fn read_file(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let malformed = |e: actix_multipart::MultipartError| {
        ApiError::bad_request("malformed_multipart").arg("reason", e.to_string())
    };
    let mut form = actix_multipart::Multipart::new(req.headers(), payload);
    let mut file: Option<Bytes> = None;
    while let Some(part) = form.next().await {
        let mut part = part.map_err(malformed)?;
        let name = part.name().unwrap_or_default().to_string();
        if name != "file" {
            let pointer = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
            return Err(ApiError::field(pointer, "unknown_field"));
        }
        if file.is_some() {
            return Err(ApiError::field("/file", "duplicate"));
        }
        let mut bytes = BytesMut::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(malformed)?;
            if bytes.len() + chunk.len() > limit {
                return Err(payload_too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some(bytes.freeze());
    }
    match file {
        Some(f) if !f.is_empty() => Ok(f),
        _ => Err(ApiError::field("/file", "required")),
    }
}

pub(crate) fn media_error(e: MediaError) -> ApiError {
    match e {
        MediaError::UnsupportedType => unsupported_media_type(ACCEPTED_TYPES),
        MediaError::TooLarge { limit } => payload_too_large(limit),
        MediaError::TooManyPixels { limit } => ApiError::validation(vec![
            FieldError::new("/file", "image_too_large").arg("max", limit),
        ]),
        MediaError::Corrupt(_) => ApiError::field("/file", "corrupt_file"),
    }
}

pub(crate) fn store_error(e: StoreError) -> ApiError {
    crate::error::AppError::Internal(anyhow::Error::new(e).context("media store")).into()
}

/// Cleans the file, stores it (and its thumbnail) under fresh random keys, and records the
/// upload with its key and saved response in one transaction. On failure — or when a
/// concurrent request with the same key finished first — the stored bytes are removed.
pub(crate) async fn store(
    state: &AppState,
    file: Bytes,
    uploader_id: Option<i64>,
    scope: String,
    key: String,
    digest: String,
) -> Result<(Saved, bool), ApiError> {
    let limits = state.settings.media.limits();
    let clean = web::block(move || media::sanitise(&file, &limits))
        .await?
        .map_err(media_error)?;
    let id = uuid::Uuid::new_v4().to_string();
    // Storage keys are not the public id: knowing an attachment's URL says nothing about
    // where its bytes are.
    let storage_key = format!("{}.{}", uuid::Uuid::new_v4(), clean.kind.extension());
    let thumbnail_key = clean
        .thumbnail
        .as_ref()
        .map(|_| format!("thumb/{}.jpg", uuid::Uuid::new_v4()));
    let new = NewUpload {
        id,
        uploader_id,
        scope: scope.clone(),
        kind: clean.kind,
        size_bytes: clean.bytes.len() as i64,
        width: clean.width.map(|w| w as i32),
        height: clean.height.map(|h| h as i32),
        storage_key: storage_key.clone(),
        thumbnail_key: thumbnail_key.clone(),
    };
    let stored = put_all(
        state,
        &storage_key,
        clean.bytes,
        &thumbnail_key,
        clean.thumbnail,
    )
    .await;
    if let Err(e) = stored {
        forget_bytes(state, &storage_key, &thumbnail_key).await;
        return Err(e);
    }
    let now = state.clock.now_naive();
    let saved = state
        .db(move |c| {
            idempotency::transact(
                c,
                &scope,
                Some(&key),
                &digest,
                now,
                StatusCode::CREATED,
                |c| {
                    let u = uploads::create(c, &new, now)?;
                    Ok(Made {
                        body: UploadView::of(&u),
                        resource: Some(u.id),
                        once: Default::default(),
                    })
                },
                |_, _| Ok(Default::default()),
            )
        })
        .await;
    if !matches!(saved, Ok((_, false))) {
        forget_bytes(state, &storage_key, &thumbnail_key).await;
    }
    saved
}

async fn put_all(
    state: &AppState,
    storage_key: &str,
    bytes: Vec<u8>,
    thumbnail_key: &Option<String>,
    thumbnail_bytes: Option<Vec<u8>>,
) -> Result<(), ApiError> {
    state
        .media
        .put(storage_key, Bytes::from(bytes))
        .await
        .map_err(store_error)?;
    if let (Some(k), Some(t)) = (thumbnail_key, thumbnail_bytes) {
        state
            .media
            .put(k, Bytes::from(t))
            .await
            .map_err(store_error)?;
    }
    Ok(())
}

/// Best effort: bytes left behind by a failed upload have no row, and nothing else finds them.
async fn forget_bytes(state: &AppState, storage_key: &str, thumbnail_key: &Option<String>) {
    for k in std::iter::once(storage_key).chain(thumbnail_key.as_deref()) {
        if let Err(e) = state.media.delete(k).await {
            tracing::warn!(error = %e, key = k, "could not remove the bytes of a failed upload");
        }
    }
}

// --- downloads ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Thumbnail,
}

async fn serve(
    state: web::Data<AppState>,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
    id: String,
    variant: Variant,
) -> Result<HttpResponse, ApiError> {
    let v = viewer(user.0, &req);
    let scope = idempotency::scope(v.user.as_ref().map(|u| u.id), &client.0);
    let now = state.clock.now_naive();
    let upload = state
        .db(move |c| files::open(c, &id, &v, &scope, now))
        .await?;
    send_file(&state, &upload, variant).await
}

/// The bytes of a file the caller may open (the API's and the console's downloads alike).
pub async fn send_file(
    state: &AppState,
    upload: &Upload,
    variant: Variant,
) -> Result<HttpResponse, ApiError> {
    let kind = upload
        .kind()
        .ok_or_else(|| ApiError::internal(format!("upload {} has no known kind", upload.id)))?;
    let (key, mime, disposition) = match variant {
        Variant::Thumbnail => (
            upload
                .thumbnail_key
                .clone()
                .ok_or_else(|| ApiError::not_found("attachment_not_found"))?,
            THUMBNAIL_MIME,
            format!("inline; filename=\"{}-thumbnail.jpg\"", upload.id),
        ),
        Variant::Original if kind.is_image() => (
            upload.storage_key.clone(),
            kind.mime(),
            format!("inline; filename=\"{}.{}\"", upload.id, kind.extension()),
        ),
        // Never shown inline: a PDF can carry scripts and forms.
        Variant::Original => (
            upload.storage_key.clone(),
            kind.mime(),
            format!(
                "attachment; filename=\"{}.{}\"",
                upload.id,
                kind.extension()
            ),
        ),
    };
    let bytes = state.media.get(&key).await.map_err(store_error)?;
    // A stored file never changes: its id (and variant) is its validator.
    let etag = match variant {
        Variant::Thumbnail => format!("\"{}.thumbnail\"", upload.id),
        Variant::Original => format!("\"{}\"", upload.id),
    };
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .insert_header((header::ETAG, etag))
        // Opened directly in a browser, a citizen's file runs nothing and loads nothing.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .body(bytes))
}

/// Download an attachment: to the uploader before it is filed, then to those who may read the
/// ticket and see the file (the submitter's files are shown to the public only once the
/// handling unit marks them publishable; a denouncer's only to the handling unit, each view
/// recorded). Anyone else gets 404. Photos are served inline, PDFs only as a download
/// (`Content-Disposition: attachment`).
#[utoipa::path(tag = "uploads",
    params(("id" = String, Path, description = "The upload id"),
        ("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters")),
    responses(
        (status = 200, description = "The cleaned file", content(([u8] = "image/jpeg"), ([u8] = "image/png"), ([u8] = "image/webp"), ([u8] = "application/pdf")),
            headers(("Content-Disposition" = String, description = "`inline` for photos, `attachment` for PDFs"),
                ("X-Content-Type-Options" = String, description = "nosniff"),
                ("Cache-Control" = String, description = "private, max-age=31536000, immutable: the file never changes"),
                ("ETag" = String, description = "The file's validator (`If-None-Match` → 304)"))),
        (status = 404, description = "attachment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/attachments/{id}")]
pub async fn download(
    state: web::Data<AppState>,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    serve(
        state,
        user,
        client,
        req,
        path.into_inner(),
        Variant::Original,
    )
    .await
}

/// A photo's thumbnail: a JPEG at most 320 px on its longest side, for the same readers as
/// the photo. PDFs have none (404).
#[utoipa::path(tag = "uploads",
    params(("id" = String, Path, description = "The upload id"),
        ("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters")),
    responses(
        (status = 200, description = "The thumbnail", content(([u8] = "image/jpeg"))),
        (status = 404, description = "attachment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/attachments/{id}/thumbnail")]
pub async fn thumbnail(
    state: web::Data<AppState>,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    serve(
        state,
        user,
        client,
        req,
        path.into_inner(),
        Variant::Thumbnail,
    )
    .await
}

// --- publishing ---------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishableRequest {
    pub publishable: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublishableView {
    pub id: String,
    pub publishable: bool,
}

/// Show (or hide again) a submitter's file to the public on a public ticket: officials of the
/// handling unit only (403 `action_forbidden` for other readers, 404 for those who may not
/// read the ticket). A denunciation's files can never be published. Each change is an internal
/// event on the timeline.
#[utoipa::path(tag = "uploads", security(("bearer" = [])), request_body = PublishableRequest,
    params(("code" = String, Path, description = "The ticket code"), ("id" = String, Path, description = "The upload id")),
    responses((status = 200, body = PublishableView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "ticket_not_found or attachment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`/publishable`: confidential_ticket", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/attachments/{id}/publishable")]
pub async fn set_publishable(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    ApiJson(body): ApiJson<PublishableRequest>,
) -> Result<HttpResponse, ApiError> {
    let (code, id) = path.into_inner();
    let v = Viewer {
        user: Some(user),
        secret: None,
    };
    let on = body.publishable;
    let now = state.clock.now_naive();
    let upload_id = id.clone();
    state
        .db(move |c| {
            db::write(c, |c| {
                files::set_publishable(c, &code, &upload_id, on, &v, now)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(PublishableView {
        id,
        publishable: on,
    }))
}
