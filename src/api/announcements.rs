//! `/announcements`: what units make known to residents ("dân biết"), read by everyone without
//! signing in, written by the officials of the unit; `/me/feed`: a citizen's areas' notices.
//! The rules are in `workflow::announcements`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{ClientAddr, MaybeUser, OfficialOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::auth::CurrentUser;
use crate::db;
use crate::db::announcements::{FeedKey, Key};
use crate::state::AppState;
use crate::workflow::announcements::{self as work, Draft, FeedEntry, Query, Read};

/// `{title, body, topic, area_codes, attachments, publish_at, expires_at, pinned}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncementRequest {
    /// One line, 1–200 characters.
    pub title: String,
    /// 1–20,000 characters.
    pub body: String,
    /// `planning`, `land_use`, `compensation_resettlement`, `budget`, `public_works`,
    /// `contributions`, `election`, `emergency` or `other`.
    pub topic: String,
    /// 1–50 commune or province codes, within the unit's areas (else 422 `area_outside_unit`).
    pub area_codes: Vec<String>,
    /// Upload ids (`POST /uploads`) of the caller's files, at most 10.
    #[serde(default)]
    pub attachments: Vec<String>,
    /// When it becomes public once published (default: when published).
    pub publish_at: Option<DateTime<Utc>>,
    /// When it leaves the lists (it stays readable by its id).
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pinned: bool,
}

impl From<AnnouncementRequest> for Draft {
    fn from(r: AnnouncementRequest) -> Self {
        Draft {
            title: r.title,
            body: r.body,
            topic: r.topic,
            area_codes: r.area_codes,
            attachments: r.attachments,
            publish_at: r.publish_at.map(|t| t.naive_utc()),
            expires_at: r.expires_at.map(|t| t.naive_utc()),
            pinned: r.pinned,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub topic: String,
    pub title: String,
    pub body: String,
    pub area_codes: Vec<String>,
    /// Upload ids; read each at `/announcements/{id}/attachments/{upload_id}`.
    pub attachments: Vec<String>,
    pub pinned: bool,
    /// `draft`, `scheduled` (published, public from `publish_at`), `published` or `withdrawn`.
    pub status: String,
    pub publish_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: Option<String>,
    pub version: i32,
    /// Signed-in readers: whether they read it (marked with `PUT …/read`).
    pub read: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn view(r: Read, now: chrono::NaiveDateTime) -> AnnouncementView {
    let status = match r.row.state.as_str() {
        "published" if r.row.publish_at.is_some_and(|p| p > now) => "scheduled",
        s => s,
    }
    .to_string();
    let a = r.row;
    AnnouncementView {
        id: a.id,
        unit_id: a.unit_id,
        unit_name: r.unit_name,
        topic: a.topic,
        title: a.title,
        body: a.body,
        area_codes: r.area_codes,
        attachments: r.attachments,
        pinned: a.pinned,
        status,
        publish_at: a.publish_at.map(|t| t.and_utc()),
        expires_at: a.expires_at.map(|t| t.and_utc()),
        withdrawn_at: a.withdrawn_at.map(|t| t.and_utc()),
        withdrawal_reason: a.withdrawal_reason,
        version: a.version,
        read: r.read_at.is_some(),
        created_at: a.created_at.and_utc(),
        updated_at: a.updated_at.and_utc(),
    }
}

/// Make a draft announcement for the caller's unit (an official's).
#[utoipa::path(tag = "announcements", security(("bearer" = [])), request_body = AnnouncementRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = AnnouncementView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed or area_outside_unit", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/announcements")]
pub async fn create(
    state: web::Data<AppState>,
    user: RequireRole<OfficialOnly>,
    client: ClientAddr,
    req: Creating<AnnouncementRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let now = state.clock.now_naive();
    let user: CurrentUser = user.0;
    let draft = Draft::from(body);
    idempotency::run(
        &state,
        idempotency::scope(Some(user.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |c| Ok(view(work::create(c, &user, &draft, now)?, now)),
    )
    .await
}

/// Runs `f` in one write transaction and answers its announcement.
async fn act<F>(state: &AppState, f: F) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(&mut db::DbConn, chrono::NaiveDateTime) -> Result<Read, crate::error::AppError>
        + Send
        + 'static,
{
    let now = state.clock.now_naive();
    let r = state
        .db(move |c| db::write(c, |c| f(c, now)).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(view(r, now)))
}

/// Edit a draft or a scheduled announcement (409 `invalid_transition` once public).
#[utoipa::path(tag = "announcements", security(("bearer" = [])), request_body = AnnouncementRequest,
    params(("id" = i64, Path)),
    responses((status = 200, body = AnnouncementView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "announcement_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed or area_outside_unit", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/announcements/{id}")]
pub async fn edit(
    state: web::Data<AppState>,
    user: RequireRole<OfficialOnly>,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<AnnouncementRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, id, draft) = (user.0, path.into_inner(), Draft::from(body));
    act(&state, move |c, now| work::edit(c, &user, id, &draft, now)).await
}

/// Publish a draft: public at its `publish_at` (or now); residents of its areas are told.
#[utoipa::path(tag = "announcements", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = AnnouncementView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "announcement_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/announcements/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    user: RequireRole<OfficialOnly>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (user, id) = (user.0, path.into_inner());
    act(&state, move |c, now| work::publish(c, &user, id, now)).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Why (1–2,000 characters): shown with the withdrawn announcement.
    pub reason: String,
}

/// Withdraw a published announcement with a reason (kept and shown, never deleted).
#[utoipa::path(tag = "announcements", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = WithdrawRequest,
    responses((status = 200, body = AnnouncementView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "announcement_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/announcements/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    user: RequireRole<OfficialOnly>,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<WithdrawRequest>,
) -> Result<HttpResponse, ApiError> {
    let (user, id) = (user.0, path.into_inner());
    act(&state, move |c, now| {
        work::withdraw(c, &user, id, &body.reason, now)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A commune brings its own and its province's notices; a province its own.
    pub area_code: Option<String>,
    pub topic: Option<String>,
    /// Words of the title or body; diacritics and case do not matter.
    pub q: Option<String>,
    /// `unit`: the caller's unit's announcements in every state (its officials).
    pub scope: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

fn page_of(
    rows: Vec<Read>,
    page: &Page<Key>,
    now: chrono::NaiveDateTime,
) -> List<AnnouncementView> {
    paginate(rows, page.limit, |r| work::key_of(&r.row), |r| view(r, now))
}

/// Public announcements, pinned first, newest first.
#[utoipa::path(tag = "announcements", params(ListQuery),
    responses((status = 200, body = List<AnnouncementView>),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/announcements")]
pub async fn list(
    state: web::Data<AppState>,
    user: MaybeUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<Key>::new(q.after.as_deref(), q.limit)?;
    let own_unit = match q.scope.as_deref() {
        None => false,
        Some("unit") => true,
        Some(_) => return Err(ApiError::field("/scope", "invalid_value")),
    };
    let query = Query {
        area_code: q.area_code,
        topic: q.topic,
        q: q.q,
        own_unit,
    };
    let now = state.clock.now_naive();
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |c| {
            work::list(c, user.0.as_ref(), &query, after, fetch, now).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page_of(rows, &page, now)))
}

/// One announcement: public once published (withdrawn ones too, marked); drafts to the
/// officials of its unit only.
#[utoipa::path(tag = "announcements", params(("id" = i64, Path)),
    responses((status = 200, body = AnnouncementView),
        (status = 404, description = "announcement_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/announcements/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now_naive();
    let r = state
        .db(move |c| work::get(c, user.0.as_ref(), id, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(view(r, now)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryView {
    pub version: i32,
    /// `created`, `edited`, `published` or `withdrawn`.
    pub action: String,
    /// What the announcement said after this step (title, body, topic, areas …).
    #[schema(value_type = Object)]
    pub snapshot: serde_json::Value,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Every version of an announcement, for the officials of its unit.
#[utoipa::path(tag = "announcements", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = List<HistoryView>),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "announcement_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/announcements/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now_naive();
    let rows = state
        .db(move |c| work::history(c, &user, id, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(List {
        items: rows
            .into_iter()
            .map(|h| HistoryView {
                version: h.version,
                action: h.action,
                snapshot: serde_json::from_str(&h.snapshot).unwrap_or_default(),
                reason: h.reason,
                created_at: h.created_at.and_utc(),
            })
            .collect(),
        next_cursor: None,
    }))
}

/// Mark an announcement read (the feed shows it so). Repeating it changes nothing.
#[utoipa::path(tag = "announcements", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204),
        (status = 404, description = "announcement_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/announcements/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now_naive();
    state
        .db(move |c| db::write(c, |c| work::mark_read(c, &user, id, now)).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A file of an announcement, to whoever may read the announcement.
#[utoipa::path(tag = "announcements",
    params(("id" = i64, Path), ("upload_id" = String, Path)),
    responses((status = 200, description = "The file", content((Vec<u8> = "application/octet-stream"))),
        (status = 404, description = "announcement_not_found or attachment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/announcements/{id}/attachments/{upload_id}")]
pub async fn attachment(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, upload_id) = path.into_inner();
    let now = state.clock.now_naive();
    let upload = state
        .db(move |c| -> Result<_, ApiError> {
            work::get(c, user.0.as_ref(), id, now)?;
            if !work::has_attachment(c, id, &upload_id)? {
                return Err(ApiError::not_found("attachment_not_found"));
            }
            db::uploads::find(c, &upload_id)?
                .ok_or_else(|| ApiError::not_found("attachment_not_found"))
        })
        .await?;
    crate::api::uploads::send_file(&state, &upload, crate::api::uploads::Variant::Original).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// One entry of the feed: `kind` says which of `announcement` and `consultation` is set.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    /// `announcement` or `consultation`.
    pub kind: String,
    pub announcement: Option<AnnouncementView>,
    pub consultation: Option<crate::api::consultations::ConsultationView>,
    /// An announcement marked read; a consultation answered.
    pub read: bool,
    pub at: DateTime<Utc>,
}

/// The signed-in citizen's feed: public announcements and consultations of the areas they
/// follow (and of those areas' provinces), newest first, each with its read state.
#[utoipa::path(tag = "announcements", security(("bearer" = [])), params(FeedQuery),
    responses((status = 200, body = List<FeedItem>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/me/feed")]
pub async fn feed(
    state: web::Data<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<FeedKey>::new(q.after.as_deref(), q.limit)?;
    let now = state.clock.now_naive();
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |c| work::feed(c, &user, after, fetch, now).map_err(ApiError::from))
        .await?;
    Ok(
        HttpResponse::Ok().json(paginate(rows, page.limit, FeedEntry::key, |e| {
            let at = e.key().0.and_utc();
            match e {
                FeedEntry::Announcement(r) => FeedItem {
                    kind: "announcement".into(),
                    read: r.read_at.is_some(),
                    announcement: Some(view(r, now)),
                    consultation: None,
                    at,
                },
                FeedEntry::Consultation(c, answered) => FeedItem {
                    kind: "consultation".into(),
                    read: answered,
                    announcement: None,
                    consultation: Some(crate::api::consultations::view(c)),
                    at,
                },
            }
        })),
    )
}
