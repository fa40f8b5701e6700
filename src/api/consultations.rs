//! `/consultations`: what units ask residents before they decide ("dân bàn"). Read by
//! everyone; answered and commented by verified residents of its areas; run by the unit's
//! officials; watched by supervisors. The rules are in `workflow::consultations`.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{ClientAddr, MaybeUser, OfficialOnly, RequireRole, SupervisorOnly};
use crate::api::error::ApiError;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::api::spreadsheet::{Cell, csv_document};
use crate::auth::CurrentUser;
use crate::db;
use crate::domain::consultation::{Answer, Question};
use crate::state::AppState;
use crate::workflow::consultations::{self as work, Opening, Read, SynthesisItem};

/// `{code, text, type: single|multiple|scale|text, options, required}`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionDto {
    /// 1–32 of `a-z`, `0-9`, `_`, `-`; distinct.
    pub code: String,
    pub text: String,
    /// `single`, `multiple`, `scale` (1 … n, n = the labels in `options`, or 1–5) or `text`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsultationRequest {
    pub title: String,
    pub summary: String,
    pub body: String,
    /// Upload ids of the caller's files (the draft and its annexes), at most 20; read at
    /// `/consultations/{id}/documents/{upload_id}`.
    #[serde(default)]
    pub documents: Vec<String>,
    /// Within the unit's areas (else 422 `area_outside_unit`).
    pub area_codes: Vec<String>,
    /// When answers open (default now).
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: DateTime<Utc>,
    pub questions: Vec<QuestionDto>,
    /// `live` or `after_close`.
    pub results_visibility: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsultationView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub documents: Vec<String>,
    pub area_codes: Vec<String>,
    pub questions: Vec<QuestionDto>,
    pub results_visibility: String,
    /// `upcoming`, `open` or `closed`.
    pub status: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub participants: i64,
    /// The unit's synthesis ("tiếp thu, giải trình") once published.
    pub synthesis: Option<Vec<SynthesisItem>>,
    pub decision: Option<String>,
    pub synthesis_published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

pub fn view(r: Read) -> ConsultationView {
    let c = r.row;
    ConsultationView {
        id: c.id,
        unit_id: c.unit_id,
        unit_name: r.unit_name,
        title: c.title,
        summary: c.summary,
        body: c.body,
        documents: serde_json::from_str(&c.documents).unwrap_or_default(),
        area_codes: r.area_codes,
        questions: r
            .questions
            .into_iter()
            .map(|q| QuestionDto {
                kind: serde_json::to_value(q.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                code: q.code,
                text: q.text,
                options: q.options,
                required: q.required,
            })
            .collect(),
        results_visibility: c.results_visibility,
        status: r.phase.as_str().to_string(),
        opens_at: c.opens_at.and_utc(),
        closes_at: c.closes_at.and_utc(),
        participants: r.participants,
        synthesis: c.synthesis.and_then(|s| serde_json::from_str(&s).ok()),
        decision: c.decision,
        synthesis_published_at: c.synthesis_published_at.map(|t| t.and_utc()),
        created_at: c.created_at.and_utc(),
    }
}

fn questions(dtos: Vec<QuestionDto>) -> Result<Vec<Question>, ApiError> {
    dtos.into_iter()
        .enumerate()
        .map(|(i, d)| {
            let kind = serde_json::from_value(Value::String(d.kind))
                .map_err(|_| ApiError::field(format!("/questions/{i}/type"), "invalid_value"))?;
            Ok(Question {
                code: d.code,
                text: d.text,
                kind,
                options: d.options,
                required: d.required,
            })
        })
        .collect()
}

/// Open a consultation for the caller's unit (an official's).
#[utoipa::path(tag = "consultations", security(("bearer" = [])), request_body = ConsultationRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = ConsultationView),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "validation_failed or area_outside_unit", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations")]
pub async fn create(
    state: web::Data<AppState>,
    user: RequireRole<OfficialOnly>,
    client: ClientAddr,
    req: Creating<ConsultationRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let now = state.clock.now_naive();
    let user: CurrentUser = user.0;
    let opening = Opening {
        questions: questions(body.questions)?,
        title: body.title,
        summary: body.summary,
        body: body.body,
        documents: body.documents,
        area_codes: body.area_codes,
        opens_at: body.opens_at.map(|t| t.naive_utc()),
        closes_at: body.closes_at.naive_utc(),
        results_visibility: body.results_visibility,
    };
    idempotency::run(
        &state,
        idempotency::scope(Some(user.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |c| Ok(view(work::open(c, &user, &opening, now)?)),
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// A commune brings its own and its province's consultations; a province its own.
    pub area_code: Option<String>,
    /// `unit`: the caller's unit's (officials).
    pub scope: Option<String>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Consultations, newest first.
#[utoipa::path(tag = "consultations", params(ListQuery),
    responses((status = 200, body = List<ConsultationView>),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations")]
pub async fn list(
    state: web::Data<AppState>,
    user: MaybeUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    if q.scope.as_deref().is_some_and(|s| s != "unit") {
        return Err(ApiError::field("/scope", "invalid_value"));
    }
    let now = state.clock.now_naive();
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |c| {
            work::list(
                c,
                user.0.as_ref(),
                q.area_code.as_deref(),
                q.scope.as_deref(),
                after,
                fetch,
                now,
            )
            .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(rows, page.limit, |r| r.row.id, view)))
}

/// One consultation.
#[utoipa::path(tag = "consultations", params(("id" = i64, Path)),
    responses((status = 200, body = ConsultationView),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now_naive();
    let r = state
        .db(move |c| work::get(c, id, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(view(r)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseRequest {
    /// By question code: a `single` option, a list of `multiple` options, a `scale` point, a
    /// `text` (≤ 5,000 characters).
    #[schema(value_type = Object)]
    pub answers: serde_json::Map<String, Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseView {
    #[schema(value_type = Object)]
    pub answers: BTreeMap<String, Answer>,
    pub updated_at: DateTime<Utc>,
}

/// Answer a consultation (a verified resident of its areas), or change one's answers until it
/// closes (409 `consultation_closed` after; 403 `not_a_resident`, `verification_required`).
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = ResponseRequest,
    responses((status = 201, description = "First answers", body = ResponseView),
        (status = 200, description = "Answers changed", body = ResponseView),
        (status = 403, description = "not_a_resident, verification_required or action_forbidden", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "consultation_closed or consultation_not_open", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[put("/consultations/{id}/response")]
pub async fn respond(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<ResponseRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now_naive();
    let (answers, first) = state
        .db(move |c| {
            db::write(c, |c| work::respond(c, &user, id, &body.answers, now))
                .map_err(ApiError::from)
        })
        .await?;
    let status = if first {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(ResponseView {
        answers,
        updated_at: now.and_utc(),
    }))
}

/// The caller's own answers.
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ResponseView),
        (status = 404, description = "consultation_not_found or response_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/response")]
pub async fn my_response(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (answers, at) = state
        .db(move |c| work::my_response(c, &user, id).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(ResponseView {
        answers,
        updated_at: at.and_utc(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ConsultationCommentRequest)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// 1–5,000 characters.
    pub body: String,
    /// Sign with one's name: shown to the unit only, never to the public.
    #[serde(default)]
    pub signed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    pub id: i64,
    /// `null` once hidden.
    pub body: Option<String>,
    pub hidden: bool,
    pub hidden_reason: Option<String>,
    pub supporters: i32,
    /// The commenter's name: to the unit and its supervisors, on a signed comment only.
    pub author_name: Option<String>,
    /// Whether the caller wrote it.
    pub mine: bool,
    pub created_at: DateTime<Utc>,
}

fn comment_view(c: work::CommentRead) -> CommentView {
    let hidden = c.comment.hidden_at.is_some();
    CommentView {
        id: c.comment.id,
        body: (!hidden).then_some(c.comment.body),
        hidden,
        hidden_reason: c.comment.hidden_reason,
        supporters: c.comment.supporters,
        author_name: c.name,
        mine: c.mine,
        created_at: c.comment.created_at.and_utc(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentMade {
    pub id: i64,
}

/// Comment on an open consultation (a verified resident of its areas).
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(("id" = i64, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    request_body = CommentRequest,
    responses((status = 201, body = CommentMade),
        (status = 403, description = "not_a_resident or verification_required", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "consultation_closed or consultation_not_open", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/comments")]
pub async fn comment(
    state: web::Data<AppState>,
    user: CurrentUser,
    client: ClientAddr,
    path: web::Path<i64>,
    req: Creating<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = req;
    let id = path.into_inner();
    let now = state.clock.now_naive();
    idempotency::run(
        &state,
        idempotency::scope(Some(user.id), &client.0),
        key,
        digest,
        StatusCode::CREATED,
        move |c| {
            Ok(CommentMade {
                id: work::comment(c, &user, id, &body.body, body.signed, now)?,
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// The comments, oldest first; hidden ones show their reason in place of their words.
#[utoipa::path(tag = "consultations", params(("id" = i64, Path), PageQuery),
    responses((status = 200, body = List<CommentView>),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/comments")]
pub async fn comments(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let id = path.into_inner();
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |c| work::comments(c, user.0.as_ref(), id, after, fetch).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(rows, page.limit, |r| r.comment.id, comment_view)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Supported {
    pub supporters: i32,
}

/// Support another resident's comment (once; a repeat changes nothing).
#[utoipa::path(tag = "consultations", security(("bearer" = [])),
    params(("id" = i64, Path), ("comment_id" = i64, Path)),
    responses((status = 200, body = Supported),
        (status = 403, description = "not_a_resident or verification_required", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found or comment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "own_comment, consultation_closed or invalid_transition (hidden)", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/comments/{comment_id}/support")]
pub async fn support(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, comment_id) = path.into_inner();
    let now = state.clock.now_naive();
    let supporters = state
        .db(move |c| {
            db::write(c, |c| work::support(c, &user, id, comment_id, now)).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Supported { supporters }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideRequest {
    /// Why (1–2,000 characters): shown in the comment's place.
    pub reason: String,
}

/// Hide a comment with a reason (the unit's officials; recorded, never deleted).
#[utoipa::path(tag = "consultations", security(("bearer" = [])),
    params(("id" = i64, Path), ("comment_id" = i64, Path)), request_body = HideRequest,
    responses((status = 204),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found or comment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition (hidden already)", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/comments/{comment_id}/hide")]
pub async fn hide(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    ApiJson(body): ApiJson<HideRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, comment_id) = path.into_inner();
    let now = state.clock.now_naive();
    state
        .db(move |c| {
            db::write(c, |c| {
                work::hide(c, &user, id, comment_id, &body.reason, now)
            })
            .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Results: counts per option, scale means and distributions, participants by area. Public
/// per `results_visibility` (403 `results_not_public` before the close when `after_close`);
/// the unit and its supervisors always, with the free-text answers.
#[utoipa::path(tag = "consultations", params(("id" = i64, Path)),
    responses((status = 200, description = "{participants, by_area, questions: [{code, type, answered, counts, mean, distribution}], text_answers}", body = Object),
        (status = 403, description = "results_not_public", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/results")]
pub async fn results(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let now = state.clock.now_naive();
    let r = state
        .db(move |c| work::results(c, user.0.as_ref(), id, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The responses as CSV (UTF-8 with a byte-order mark), one row a participant — numbered,
/// never named — for the unit and its supervisors.
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, description = "CSV", content((String = "text/csv"))),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/results.csv")]
pub async fn export(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (header, rows) = state
        .db(move |c| work::export(c, &user, id).map_err(ApiError::from))
        .await?;
    let cells: Vec<Vec<Cell>> = rows
        .into_iter()
        .map(|r| r.into_iter().map(Cell::Text).collect())
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let doc = csv_document(&header, cells.iter().map(Vec::as_slice));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"consultation-{id}.csv\""),
        ))
        .body(doc))
}

/// Close the consultation now (the unit's officials); the synthesis is then owed.
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = ConsultationView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "consultation_closed", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let st = state.clone();
    let r = state
        .db(move |c| {
            let ctx = st.ticket_ctx(c)?;
            db::write(c, |c| work::close_now(c, &user, id, &ctx)).map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(r)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthesisRequest {
    /// Per question or comment group: taken up or not, and why.
    pub items: Vec<SynthesisItem>,
    /// The decision that followed.
    pub decision: String,
}

/// Publish the synthesis ("tiếp thu, giải trình") after the close, once; participants are told.
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(("id" = i64, Path)),
    request_body = SynthesisRequest,
    responses((status = 200, body = ConsultationView),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "consultation_not_found", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "consultation_open or synthesis_published", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[post("/consultations/{id}/synthesis")]
pub async fn synthesis(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    ApiJson(body): ApiJson<SynthesisRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let st = state.clone();
    let r = state
        .db(move |c| {
            let ctx = st.ticket_ctx(c)?;
            db::write(c, |c| {
                work::publish_synthesis(c, &user, id, &body.items, &body.decision, &ctx)
            })
            .map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view(r)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupervisedView {
    #[serde(flatten)]
    pub consultation: ConsultationView,
    /// When the synthesis is owed (after the close).
    pub synthesis_due_at: Option<DateTime<Utc>>,
    /// `pending`, `on_time`, `late` or `overdue`.
    pub synthesis_standing: String,
}

/// Every consultation of the units the caller oversees, with participation and whether the
/// synthesis was published on time (supervisors, administrators).
#[utoipa::path(tag = "consultations", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, body = List<SupervisedView>),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/supervision/consultations")]
pub async fn supervised(
    state: web::Data<AppState>,
    user: RequireRole<SupervisorOnly>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<i64>::new(q.after.as_deref(), q.limit)?;
    let now = state.clock.now_naive();
    let (after, fetch) = (page.after, page.fetch());
    let user = user.0;
    let rows = state
        .db(move |c| work::supervised(c, &user, after, fetch, now).map_err(ApiError::from))
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |o| o.read.row.id,
        |o| SupervisedView {
            consultation: view(o.read),
            synthesis_due_at: o.synthesis_due_at.map(|t| t.and_utc()),
            synthesis_standing: o.synthesis.to_string(),
        },
    )))
}

/// A document of a consultation (public, like the consultation).
#[utoipa::path(tag = "consultations",
    params(("id" = i64, Path), ("upload_id" = String, Path)),
    responses((status = 200, description = "The file", content((Vec<u8> = "application/octet-stream"))),
        (status = 404, description = "consultation_not_found or attachment_not_found", body = crate::api::error::Problem, content_type = "application/problem+json")))]
#[get("/consultations/{id}/documents/{upload_id}")]
pub async fn document(
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, upload_id) = path.into_inner();
    let upload = state
        .db(move |c| -> Result<_, ApiError> {
            if !work::has_document(c, id, &upload_id)? {
                return Err(ApiError::not_found("attachment_not_found"));
            }
            db::uploads::find(c, &upload_id)?
                .ok_or_else(|| ApiError::not_found("attachment_not_found"))
        })
        .await?;
    crate::api::uploads::send_file(&state, &upload, crate::api::uploads::Variant::Original).await
}
