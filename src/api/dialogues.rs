//! `/dialogues`: dialogues and voter meetings. See `workflow::dialogues`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::api::caller::{OfficialOnly, RequireRole};
use crate::api::error::ApiError;
use crate::api::extract::{ApiQuery, RequestContext};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{List, Page, paginate};
use crate::auth::CurrentUser;
use crate::db;
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::dialogues::{
    self as dialogues, AnswerIn, CommitmentIn, DialogueView, Kind, NewDialogueIn, PetitionIn,
    QuestionView,
};

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DialogueRequest {
    pub kind: Kind,
    /// 1–200 characters.
    pub title: String,
    /// 1–10,000 characters.
    pub topic: String,
    /// The communes (or provinces) whose residents it is for: 1–50 codes.
    pub area_codes: Vec<String>,
    /// In the future.
    pub starts_at: DateTime<Utc>,
    /// 1–200 characters.
    pub place: String,
    /// Who answers (the unit's head, the deputies): 1–20 names.
    pub hosts: Vec<String>,
}

/// Schedule a dialogue or voter meeting of the caller's unit; the residents of its areas are
/// told (officials only).
#[utoipa::path(tag = "dialogues", security(("bearer" = [])), request_body = DialogueRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = DialogueView),
        (status = 403, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 422, body = crate::api::error::Problem, content_type = PROBLEM)))]
#[post("/dialogues")]
pub async fn schedule(
    state: web::Data<AppState>,
    rctx: RequestContext,
    who: RequireRole<OfficialOnly>,
    creating: Creating<DialogueRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let mut v = Violations::new();
    let title = v.line("/title", &body.title, 1, 200);
    let topic = v.text("/topic", &body.topic, 1, 10_000);
    let place = v.line("/place", &body.place, 1, 200);
    if !(1..=50).contains(&body.area_codes.len()) {
        v.add_error(
            FieldError::new("/area_codes", "out_of_range")
                .arg("min", 1)
                .arg("max", 50),
        );
    }
    if !(1..=20).contains(&body.hosts.len()) {
        v.add_error(
            FieldError::new("/hosts", "out_of_range")
                .arg("min", 1)
                .arg("max", 20),
        );
    }
    let hosts: Vec<String> = body
        .hosts
        .iter()
        .enumerate()
        .map(|(i, h)| v.line(&format!("/hosts/{i}"), h, 1, 200))
        .collect();
    v.finish()?;
    let input = NewDialogueIn {
        kind: body.kind,
        title,
        topic,
        area_codes: body.area_codes,
        starts_at: body.starts_at.naive_utc(),
        place,
        hosts,
    };
    let user = who.0;
    let scope = idempotency::scope(Some(user.id), "");
    let lang = rctx.lang;
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(dialogues::schedule(c, &user, &input, &ctx, lang)?)
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// A commune, or a province (its communes too).
    pub area_code: Option<String>,
    /// Starting on or after this moment (default: now).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub from: Option<DateTime<Utc>>,
    pub after: Option<String>,
    pub limit: Option<i64>,
}

/// Upcoming dialogues and voter meetings, by start. Public.
#[utoipa::path(tag = "dialogues", params(ListQuery),
    responses((status = 200, body = List<DialogueView>),
        (status = 422, body = crate::api::error::Problem, content_type = PROBLEM)))]
#[get("/dialogues")]
pub async fn list(
    state: web::Data<AppState>,
    rctx: RequestContext,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::<(NaiveDateTime, i64)>::new(q.after.as_deref(), q.limit)?;
    let from = q.from.unwrap_or_else(|| state.clock.now()).naive_utc();
    let lang = rctx.lang;
    let (after, fetch) = (page.after, page.fetch());
    let rows = state
        .db(move |c| {
            db::read(c, |c| {
                Ok::<_, ApiError>(dialogues::list(
                    c,
                    q.area_code.as_deref(),
                    from,
                    after,
                    fetch,
                    lang,
                )?)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(paginate(
        rows,
        page.limit,
        |d| (d.starts_at.naive_utc(), d.id),
        |d| d,
    )))
}

/// One dialogue, with its minutes once published. Public.
#[utoipa::path(tag = "dialogues", params(("id" = i64, Path, description = "The dialogue")),
    responses((status = 200, body = DialogueView),
        (status = 404, body = crate::api::error::Problem, content_type = PROBLEM)))]
#[get("/dialogues/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    rctx: RequestContext,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let lang = rctx.lang;
    let d = state
        .db(move |c| db::read(c, |c| Ok::<_, ApiError>(dialogues::one(c, id, lang)?)))
        .await?;
    Ok(HttpResponse::Ok().json(d))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionRequest {
    /// 1–2,000 characters.
    pub body: String,
}

/// Send a question before the session (a verified citizen).
#[utoipa::path(tag = "dialogues", security(("bearer" = [])), request_body = QuestionRequest,
    params(("id" = i64, Path, description = "The dialogue"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = QuestionView),
        (status = 403, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 404, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 409, description = "dialogue_started", body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 422, body = crate::api::error::Problem, content_type = PROBLEM)))]
#[post("/dialogues/{id}/questions")]
pub async fn ask(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    creating: Creating<QuestionRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let mut v = Violations::new();
    let text = v.text("/body", &body.body, 1, 2_000);
    v.finish()?;
    let id = path.into_inner();
    let scope = idempotency::scope(Some(user.id), "");
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(dialogues::ask(c, &user, id, &text, &ctx)?)
    })
    .await
}

/// The questions, most supported first; never who asked. Public.
#[utoipa::path(tag = "dialogues", params(("id" = i64, Path, description = "The dialogue")),
    responses((status = 200, body = List<QuestionView>),
        (status = 404, body = crate::api::error::Problem, content_type = PROBLEM)))]
#[get("/dialogues/{id}/questions")]
pub async fn questions(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let items = state
        .db(move |c| db::read(c, |c| Ok::<_, ApiError>(dialogues::questions(c, id)?)))
        .await?;
    Ok(HttpResponse::Ok().json(List {
        items,
        next_cursor: None,
    }))
}

/// Support a question, once (a verified citizen, before the session).
#[utoipa::path(tag = "dialogues", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The dialogue"), ("qid" = i64, Path, description = "The question")),
    responses((status = 200, body = QuestionView),
        (status = 403, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 404, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 409, description = "already_supported / dialogue_started", body = crate::api::error::Problem, content_type = PROBLEM)))]
#[post("/dialogues/{id}/questions/{qid}/support")]
pub async fn support(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, ApiError> {
    let (id, qid) = path.into_inner();
    let st = state.clone();
    let q = state
        .db(move |c| {
            db::write(c, |c| {
                let ctx = st.ticket_ctx(c)?;
                Ok::<_, ApiError>(dialogues::support(c, &user, id, qid, &ctx)?)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(q))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentRequest {
    /// What is promised: 1–200 characters ("Sửa đèn đường tổ 5").
    pub title: String,
    /// The unit that owes it (default: the dialogue's).
    pub unit_id: Option<i64>,
    /// The local date it is promised by.
    #[schema(value_type = String, format = Date)]
    pub due_date: NaiveDate,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionRequest {
    pub category: String,
    /// 1–200 characters.
    pub title: String,
    /// 1–10,000 characters.
    pub description: String,
    pub area_code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// The answer given: 1–10,000 characters.
    pub answer: String,
    /// A promise with an owner unit and a date: tracked as a follow-up (reminders at 75 % and
    /// on the last day, escalation on a miss).
    pub commitment: Option<CommitmentRequest>,
    /// A voter's petition that needs another unit: a ticket of kind petition from the
    /// question's author (channel `in_person`), routed as usual.
    pub petition: Option<PetitionRequest>,
}

/// Record the answer to a question (the dialogue's unit's officials; once). Those who asked
/// and supported it are told.
#[utoipa::path(tag = "dialogues", security(("bearer" = [])), request_body = AnswerRequest,
    params(("id" = i64, Path, description = "The dialogue"), ("qid" = i64, Path, description = "The question"),
        ("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 200, body = QuestionView),
        (status = 403, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 404, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 409, description = "already_answered", body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 422, body = crate::api::error::Problem, content_type = PROBLEM)))]
#[post("/dialogues/{id}/questions/{qid}/answer")]
pub async fn answer(
    state: web::Data<AppState>,
    who: RequireRole<OfficialOnly>,
    path: web::Path<(i64, i64)>,
    creating: Creating<AnswerRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let limits = &state.settings.tickets;
    let mut v = Violations::new();
    let answer = v.text("/answer", &body.answer, 1, 10_000);
    let commitment = body.commitment.map(|c| CommitmentIn {
        title: v.line("/commitment/title", &c.title, 1, 200),
        unit_id: c.unit_id,
        due_date: c.due_date,
    });
    let petition = body.petition.map(|p| PetitionIn {
        title: v.line("/petition/title", &p.title, 1, limits.title_max_chars),
        description: v.text(
            "/petition/description",
            &p.description,
            1,
            limits.description_max_chars,
        ),
        category: p.category,
        area_code: p.area_code,
    });
    v.finish()?;
    let input = AnswerIn {
        answer,
        commitment,
        petition,
    };
    let (id, qid) = path.into_inner();
    let user = who.0;
    let scope = idempotency::scope(Some(user.id), "");
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::OK, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(dialogues::answer(c, &user, id, qid, &input, &ctx)?)
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesRequest {
    /// 1–100,000 characters.
    pub minutes: String,
}

/// Publish the minutes (the dialogue's unit's officials; once). Everyone who asked or
/// supported a question is told.
#[utoipa::path(tag = "dialogues", security(("bearer" = [])), request_body = MinutesRequest,
    params(("id" = i64, Path, description = "The dialogue")),
    responses((status = 200, body = DialogueView),
        (status = 403, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 404, body = crate::api::error::Problem, content_type = PROBLEM),
        (status = 409, description = "minutes_published", body = crate::api::error::Problem, content_type = PROBLEM)))]
#[post("/dialogues/{id}/minutes")]
pub async fn minutes(
    state: web::Data<AppState>,
    rctx: RequestContext,
    who: RequireRole<OfficialOnly>,
    path: web::Path<i64>,
    creating: Creating<MinutesRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let mut v = Violations::new();
    let text = v.text("/minutes", &body.minutes, 1, 100_000);
    v.finish()?;
    let id = path.into_inner();
    let user = who.0;
    let lang = rctx.lang;
    let scope = idempotency::scope(Some(user.id), "");
    let st = state.clone();
    idempotency::run(&state, scope, key, digest, StatusCode::OK, move |c| {
        let ctx = st.ticket_ctx(c)?;
        Ok(dialogues::publish_minutes(c, &user, id, &text, &ctx, lang)?)
    })
    .await
}
