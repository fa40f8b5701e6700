//! "Dân bàn": a unit consults the residents of its areas on a draft. Verified citizens who
//! follow one of its areas answer once (changeable until it closes; after `closes_at` 409
//! `consultation_closed`), comment (≤ 5,000 characters, signed or not) and support others'
//! comments; the unit's officials hide a comment with a reason (shown as hidden, never
//! deleted). Results: counts per option, scale means and distributions, participants by area;
//! free-text answers for the unit only; public per `results_visibility`.
//!
//! Closing (at `closes_at`, recorded by the jobs, or early by the unit) opens the follow-up
//! that owes the synthesis — by default 15 working days after the close, reminded and escalated
//! by the deadline sweep — and publishing the synthesis completes it and tells the
//! participants. Opening, closing, hiding a comment and the synthesis are entries of the
//! hash-chained admin audit log (`consultation.open|close|hide_comment|synthesis`).
//!
//! Public views never name a participant; the unit sees a commenter's name only on a signed
//! comment.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::consultations::{self as store, Comment, Consultation};
use crate::db::{self, DbConn, residents};
use crate::domain::account::Role;
use crate::domain::announcement::MAX_TARGET_AREAS;
use crate::domain::consultation::{
    Answer, COMMENT_MAX_CHARS, Phase, Question, QuestionResult, SYNTHESIS_WORKING_DAYS, Visibility,
    check_answers, check_questions, tally,
};
use crate::domain::follow_up::{Subject, due_after_working_days};
use crate::domain::message::Template;
use crate::domain::text::fold;
use crate::error::{AppError, FieldError};
use crate::notify::recipients::{People, To};
use crate::validation::Violations;

/// What an official opens.
#[derive(Debug, Clone)]
pub struct Opening {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub documents: Vec<String>,
    pub area_codes: Vec<String>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: NaiveDateTime,
    pub questions: Vec<Question>,
    pub results_visibility: String,
}

/// A consultation with what its readers see besides the row.
#[derive(Debug, Clone)]
pub struct Read {
    pub row: Consultation,
    pub questions: Vec<Question>,
    pub area_codes: Vec<String>,
    pub unit_name: String,
    pub participants: i64,
    pub phase: Phase,
}

fn questions_of(c: &Consultation) -> Result<Vec<Question>, AppError> {
    serde_json::from_str(&c.questions)
        .map_err(|e| AppError::internal(format!("consultation {}: questions: {e}", c.id)))
}

fn visibility_of(c: &Consultation) -> Result<Visibility, AppError> {
    Visibility::parse(&c.results_visibility)
        .ok_or_else(|| AppError::internal(format!("consultation {}: unknown visibility", c.id)))
}

fn found(conn: &mut DbConn, id: i64) -> Result<Consultation, AppError> {
    store::find(conn, id)?.ok_or_else(|| AppError::not_found("consultation_not_found"))
}

fn is_unit_official(user: &CurrentUser, c: &Consultation) -> bool {
    user.role == Role::Official && user.unit_id == Some(c.unit_id)
}

/// Supervisors over the unit (its subtree's overseers) and administrators read what the unit
/// reads, but write nothing.
fn oversees(conn: &mut DbConn, user: &CurrentUser, c: &Consultation) -> Result<bool, AppError> {
    if user.role != Role::Supervisor && user.role != Role::Admin {
        return Ok(false);
    }
    let scope = db::scope::of(conn, user.role, user.unit_id)?;
    Ok(scope.units.is_none_or(|u| u.contains(&c.unit_id)))
}

/// The unit's official acting on consultation `id` (403 for anyone else).
fn for_unit(conn: &mut DbConn, user: &CurrentUser, id: i64) -> Result<Consultation, AppError> {
    let c = found(conn, id)?;
    if !is_unit_official(user, &c) {
        return Err(AppError::forbidden());
    }
    Ok(c)
}

/// Opens a consultation of the caller's unit (public at once; answers from `opens_at`).
pub fn open(
    conn: &mut DbConn,
    user: &CurrentUser,
    o: &Opening,
    now: NaiveDateTime,
) -> Result<Read, AppError> {
    let unit = match (user.role, user.unit_id) {
        (Role::Official, Some(u)) => u,
        _ => return Err(AppError::forbidden()),
    };
    let mut v = Violations::new();
    let title = v.line("/title", &o.title, 1, 200);
    let summary = v.text("/summary", &o.summary, 1, 2_000);
    let body = v.text("/body", &o.body, 1, 50_000);
    for (field, code) in check_questions(&o.questions) {
        v.add(&field, code);
    }
    if Visibility::parse(&o.results_visibility).is_none() {
        v.add("/results_visibility", "invalid_value");
    }
    let opens_at = o.opens_at.unwrap_or(now);
    if o.closes_at <= opens_at.max(now) {
        v.add("/closes_at", "before_opens_at");
    }
    let mut codes: Vec<String> = Vec::new();
    for c in &o.area_codes {
        let c = c.trim().to_string();
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    if codes.is_empty() {
        v.add("/area_codes", "required");
    } else if codes.len() > MAX_TARGET_AREAS {
        v.add_error(FieldError::new("/area_codes", "too_many").arg("max", MAX_TARGET_AREAS));
    }
    let places = residents::places(conn, &codes)?;
    for (i, c) in o.area_codes.iter().enumerate() {
        if !places.iter().any(|p| p.code == c.trim()) {
            v.add(&format!("/area_codes/{i}"), "unknown_area");
        }
    }
    if o.documents.len() > 20 {
        v.add_error(FieldError::new("/documents", "too_many").arg("max", 20));
    }
    for (i, d) in o.documents.iter().enumerate() {
        if !own_upload(conn, d, user.id)? {
            v.add(&format!("/documents/{i}"), "unknown_upload");
        }
    }
    v.finish()?;
    super::announcements::within_unit(conn, unit, &places, &o.area_codes)?;
    let questions = serde_json::to_string(&o.questions).map_err(AppError::internal)?;
    let documents = serde_json::to_string(&o.documents).map_err(AppError::internal)?;
    let id = store::insert(
        conn,
        &store::New {
            unit_id: unit,
            author_id: user.id,
            title: &title,
            summary: &summary,
            body: &body,
            search_text: &fold(&format!("{title} {summary} {body}")),
            documents: &documents,
            questions: &questions,
            results_visibility: &o.results_visibility,
            opens_at,
            closes_at: o.closes_at,
        },
        &codes,
        now,
    )?;
    {
        use crate::db::schema::consultation_documents as cd;
        use diesel::prelude::*;
        for d in &o.documents {
            diesel::insert_into(cd::table)
                .values((cd::upload_id.eq(d), cd::consultation_id.eq(id)))
                .execute(conn)?;
        }
    }
    db::audit::record_admin(
        conn,
        Some(user.id),
        "consultation.open",
        &format!("consultation:{id}"),
        json!({"unit_id": unit, "area_codes": codes, "opens_at": opens_at, "closes_at": o.closes_at}),
        now,
    )?;
    let c = found(conn, id)?;
    read_one(conn, c, now)
}

/// An upload of `owner` on no ticket, announcement or other consultation.
fn own_upload(conn: &mut DbConn, id: &str, owner: i64) -> Result<bool, AppError> {
    use crate::db::schema::{announcement_attachments, consultation_documents, uploads};
    use diesel::prelude::*;
    let mine = uploads::table
        .filter(uploads::id.eq(id))
        .filter(uploads::uploader_id.eq(owner))
        .filter(uploads::ticket_id.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 1;
    let used = announcement_attachments::table
        .find(id)
        .count()
        .get_result::<i64>(conn)?
        + consultation_documents::table
            .find(id)
            .count()
            .get_result::<i64>(conn)?;
    Ok(mine && used == 0)
}

/// Whether `upload_id` is a document of consultation `id`.
pub fn has_document(conn: &mut DbConn, id: i64, upload_id: &str) -> Result<bool, AppError> {
    use crate::db::schema::consultation_documents as cd;
    use diesel::prelude::*;
    found(conn, id)?;
    Ok(cd::table
        .filter(cd::upload_id.eq(upload_id))
        .filter(cd::consultation_id.eq(id))
        .count()
        .get_result::<i64>(conn)?
        == 1)
}

fn read_one(conn: &mut DbConn, c: Consultation, now: NaiveDateTime) -> Result<Read, AppError> {
    read_many(conn, vec![c], now)?
        .pop()
        .ok_or_else(|| AppError::internal("consultation vanished"))
}

pub(crate) fn read_many(
    conn: &mut DbConn,
    rows: Vec<Consultation>,
    now: NaiveDateTime,
) -> Result<Vec<Read>, AppError> {
    use crate::db::schema::units;
    use diesel::prelude::*;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mut areas = store::areas_of(conn, &ids)?;
    let counts = store::participants(conn, &ids)?;
    let unit_ids: Vec<i64> = rows.iter().map(|c| c.unit_id).collect();
    let names: std::collections::HashMap<i64, String> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::name_vi))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|c| {
            Ok(Read {
                questions: questions_of(&c)?,
                area_codes: areas.remove(&c.id).unwrap_or_default(),
                unit_name: names.get(&c.unit_id).cloned().unwrap_or_default(),
                participants: counts.get(&c.id).copied().unwrap_or(0),
                phase: Phase::at(c.opens_at, c.closes_at, now),
                row: c,
            })
        })
        .collect()
}

/// One consultation (public).
pub fn get(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<Read, AppError> {
    let c = found(conn, id)?;
    read_one(conn, c, now)
}

/// Consultations, newest first: an area code brings its own and its province's; `own_unit`
/// the caller's unit's; a supervisor's `supervised` those of the units they oversee.
pub fn list(
    conn: &mut DbConn,
    viewer: Option<&CurrentUser>,
    area_code: Option<&str>,
    scope: Option<&str>,
    before: Option<i64>,
    fetch: i64,
    now: NaiveDateTime,
) -> Result<Vec<Read>, AppError> {
    let mut codes = None;
    if let Some(code) = area_code {
        match residents::places(conn, &[code.to_string()])?.pop() {
            Some(p) => codes = Some(crate::domain::announcement::feed_codes(&p)),
            None => return Err(AppError::field("/area_code", "unknown_area")),
        }
    }
    let units = match scope {
        None => None,
        Some("unit") | Some("supervised") => {
            let user = viewer.ok_or_else(|| AppError::unauthenticated("unauthenticated"))?;
            match (scope, user.role, user.unit_id) {
                (Some("unit"), Role::Official, Some(u)) => Some(vec![u]),
                (Some("supervised"), Role::Supervisor | Role::Admin, _) => {
                    db::scope::of(conn, user.role, user.unit_id)?.units
                }
                _ => return Err(AppError::forbidden()),
            }
        }
        Some(_) => return Err(AppError::field("/scope", "invalid_value")),
    };
    let rows = store::list(
        conn,
        units.as_deref(),
        codes.as_deref(),
        None,
        before,
        fetch,
    )?;
    read_many(conn, rows, now)
}

/// The code through which `user` takes part: the first area they follow that the
/// consultation reaches (403 `not_a_resident` when none; 403 `verification_required` for an
/// unverified account).
fn participant_area(
    conn: &mut DbConn,
    user: &CurrentUser,
    c: &Consultation,
) -> Result<String, AppError> {
    if user.role != Role::Citizen {
        return Err(AppError::forbidden());
    }
    if !user.verified {
        return Err(AppError::refused(
            crate::error::Reason::Forbidden,
            "verification_required",
        ));
    }
    let reached = store::reached_codes(conn, c.id)?;
    let (mine, _) = residents::of_user(conn, user.id)?;
    mine.into_iter()
        .find(|m| reached.contains(m))
        .ok_or_else(|| AppError::refused(crate::error::Reason::Forbidden, "not_a_resident"))
}

/// 409 `consultation_not_open` before `opens_at`, `consultation_closed` from `closes_at`.
fn must_be_open(c: &Consultation, now: NaiveDateTime) -> Result<(), AppError> {
    match Phase::at(c.opens_at, c.closes_at, now) {
        Phase::Upcoming => Err(AppError::conflict("consultation_not_open")),
        Phase::Closed => Err(AppError::conflict("consultation_closed")),
        Phase::Open => Ok(()),
    }
}

/// Answers (or changes the answers of) `user`. Returns the stored answers and whether this
/// was their first response.
pub fn respond(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    given: &serde_json::Map<String, Value>,
    now: NaiveDateTime,
) -> Result<(BTreeMap<String, Answer>, bool), AppError> {
    let c = found(conn, id)?;
    must_be_open(&c, now)?;
    let area = participant_area(conn, user, &c)?;
    let answers = check_answers(&questions_of(&c)?, given).map_err(|errors| {
        AppError::validation(
            errors
                .into_iter()
                .map(|(f, code)| FieldError::new(f, code))
                .collect(),
        )
    })?;
    let text = serde_json::to_string(&answers).map_err(AppError::internal)?;
    let first = store::save_response(conn, id, user.id, &area, &text, now)?;
    Ok((answers, first))
}

/// The caller's own answers (404 `response_not_found` when they have none).
pub fn my_response(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
) -> Result<(BTreeMap<String, Answer>, NaiveDateTime), AppError> {
    found(conn, id)?;
    let r = store::response(conn, id, user.id)?
        .ok_or_else(|| AppError::not_found("response_not_found"))?;
    let answers = serde_json::from_str(&r.answers)
        .map_err(|e| AppError::internal(format!("response of consultation {id}: {e}")))?;
    Ok((answers, r.updated_at))
}

/// A comment by a resident while the consultation is open.
pub fn comment(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    body: &str,
    signed: bool,
    now: NaiveDateTime,
) -> Result<i64, AppError> {
    let mut v = Violations::new();
    let body = v.text("/body", body, 1, COMMENT_MAX_CHARS);
    v.finish()?;
    let c = found(conn, id)?;
    must_be_open(&c, now)?;
    participant_area(conn, user, &c)?;
    Ok(store::add_comment(conn, id, user.id, &body, signed, now)?)
}

/// A comment as its reader may see it.
#[derive(Debug, Clone)]
pub struct CommentRead {
    pub comment: Comment,
    /// The commenter's name: to the unit (and its overseers), on a signed comment only.
    pub name: Option<String>,
    /// Whether the reader wrote it.
    pub mine: bool,
}

/// A page of comments, oldest first. Hidden ones stay, without their words.
pub fn comments(
    conn: &mut DbConn,
    viewer: Option<&CurrentUser>,
    id: i64,
    after: Option<i64>,
    fetch: i64,
) -> Result<Vec<CommentRead>, AppError> {
    let c = found(conn, id)?;
    let unit_side = match viewer {
        Some(u) => is_unit_official(u, &c) || oversees(conn, u, &c)?,
        None => false,
    };
    Ok(store::comments(conn, id, after, fetch)?
        .into_iter()
        .map(|(comment, name)| CommentRead {
            name: (unit_side && comment.signed).then_some(name),
            mine: viewer.is_some_and(|u| u.id == comment.user_id),
            comment,
        })
        .collect())
}

/// Supports another resident's comment (once; a repeat changes nothing). Returns its
/// supporters.
pub fn support(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    comment_id: i64,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    let c = found(conn, id)?;
    let comment = store::comment(conn, id, comment_id)?
        .ok_or_else(|| AppError::not_found("comment_not_found"))?;
    must_be_open(&c, now)?;
    participant_area(conn, user, &c)?;
    if comment.user_id == user.id {
        return Err(AppError::conflict("own_comment"));
    }
    if comment.hidden_at.is_some() {
        return Err(AppError::conflict("invalid_transition"));
    }
    Ok(store::support(conn, comment_id, user.id, now)?)
}

/// Hides a comment with a reason (the unit's officials; once).
pub fn hide(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    comment_id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut v = Violations::new();
    let reason = v.text("/reason", reason, 1, 2_000);
    v.finish()?;
    let c = for_unit(conn, user, id)?;
    store::comment(conn, id, comment_id)?
        .ok_or_else(|| AppError::not_found("comment_not_found"))?;
    if !store::hide_comment(conn, comment_id, user.id, &reason, now)? {
        return Err(AppError::conflict("invalid_transition"));
    }
    db::audit::record_admin(
        conn,
        Some(user.id),
        "consultation.hide_comment",
        &format!("consultation:{}", c.id),
        json!({"comment_id": comment_id}),
        now,
    )?;
    Ok(())
}

/// The results as a reader may see them.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub participants: usize,
    /// Participants by the area through which they took part.
    pub by_area: BTreeMap<String, usize>,
    pub questions: Vec<QuestionResult>,
    /// Free-text answers by question code: to the unit (and its overseers) only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_answers: Option<BTreeMap<String, Vec<String>>>,
}

/// Results: public per `results_visibility` (403 `results_not_public` before), always to
/// the unit and its overseers, who also read the free-text answers.
pub fn results(
    conn: &mut DbConn,
    viewer: Option<&CurrentUser>,
    id: i64,
    now: NaiveDateTime,
) -> Result<Results, AppError> {
    let c = found(conn, id)?;
    let unit_side = match viewer {
        Some(u) => is_unit_official(u, &c) || oversees(conn, u, &c)?,
        None => false,
    };
    let phase = Phase::at(c.opens_at, c.closes_at, now);
    if !unit_side && !visibility_of(&c)?.public_in(phase) {
        return Err(AppError::refused(
            crate::error::Reason::Forbidden,
            "results_not_public",
        ));
    }
    let qs = questions_of(&c)?;
    let rows = store::responses(conn, id)?;
    let mut by_area: BTreeMap<String, usize> = BTreeMap::new();
    let mut all = Vec::new();
    for r in &rows {
        *by_area.entry(r.area_code.clone()).or_default() += 1;
        all.push(parse_answers(id, &r.answers)?);
    }
    let text_answers = unit_side.then(|| text_answers(&qs, &all));
    Ok(Results {
        participants: rows.len(),
        by_area,
        questions: tally(&qs, &all),
        text_answers,
    })
}

fn parse_answers(id: i64, text: &str) -> Result<BTreeMap<String, Answer>, AppError> {
    serde_json::from_str(text)
        .map_err(|e| AppError::internal(format!("a response of consultation {id}: {e}")))
}

fn text_answers(
    qs: &[Question],
    all: &[BTreeMap<String, Answer>],
) -> BTreeMap<String, Vec<String>> {
    qs.iter()
        .filter(|q| q.kind == crate::domain::consultation::Kind::Text)
        .map(|q| {
            let words = all
                .iter()
                .filter_map(|r| match r.get(&q.code) {
                    Some(Answer::One(s)) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            (q.code.clone(), words)
        })
        .collect()
}

/// The responses as a table for the unit (and its overseers): one row a participant —
/// a number, never who — with their area, when they answered, and each answer.
pub fn export(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
) -> Result<(Vec<String>, Vec<Vec<String>>), AppError> {
    let c = found(conn, id)?;
    if !is_unit_official(user, &c) && !oversees(conn, user, &c)? {
        return Err(AppError::forbidden());
    }
    let qs = questions_of(&c)?;
    let mut header = vec![
        "participant".to_string(),
        "area_code".to_string(),
        "answered_at".to_string(),
    ];
    header.extend(qs.iter().map(|q| q.code.clone()));
    let mut rows = Vec::new();
    for (n, r) in store::responses(conn, id)?.into_iter().enumerate() {
        let answers = parse_answers(id, &r.answers)?;
        let mut row = vec![
            (n + 1).to_string(),
            r.area_code,
            r.updated_at.and_utc().to_rfc3339(),
        ];
        row.extend(qs.iter().map(|q| match answers.get(&q.code) {
            None => String::new(),
            Some(Answer::Point(p)) => p.to_string(),
            Some(Answer::One(s)) => s.clone(),
            Some(Answer::Many(v)) => v.join("; "),
        }));
        rows.push(row);
    }
    Ok((header, rows))
}

/// Records the close of consultation `id` (once): the audit entry, and the follow-up that
/// owes the synthesis within [`SYNTHESIS_WORKING_DAYS`] working days of `closes_at`. An
/// official closing early (`actor`) moves `closes_at` to now. `false`: recorded already.
pub fn record_close(
    conn: &mut DbConn,
    id: i64,
    actor: Option<i64>,
    ctx: &Ctx,
) -> Result<bool, AppError> {
    let now = ctx.naive();
    let c = found(conn, id)?;
    let closes_at = if actor.is_some() {
        c.closes_at.min(now)
    } else {
        c.closes_at
    };
    if !store::mark_closed(conn, id, closes_at, now)? {
        return Ok(false);
    }
    let due = due_after_working_days(
        &ctx.cal,
        &ctx.day_end,
        closes_at.and_utc(),
        SYNTHESIS_WORKING_DAYS,
    );
    let title = format!("Tiếp thu, giải trình: {}", c.title);
    super::follow_ups::open(
        conn,
        &super::follow_ups::Opening {
            subject: Subject::ConsultationSynthesis,
            subject_id: id,
            unit_id: c.unit_id,
            title: &title,
            due_at: due,
        },
        actor,
        ctx,
    )?;
    db::audit::record_admin(
        conn,
        actor,
        "consultation.close",
        &format!("consultation:{id}"),
        json!({"unit_id": c.unit_id, "closes_at": closes_at, "synthesis_due_at": due}),
        now,
    )?;
    Ok(true)
}

/// The unit closes its consultation now (409 `consultation_closed` when it is closed).
pub fn close_now(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    ctx: &Ctx,
) -> Result<Read, AppError> {
    let c = for_unit(conn, user, id)?;
    if c.closed_at.is_some() || c.closes_at <= ctx.naive() {
        return Err(AppError::conflict("consultation_closed"));
    }
    record_close(conn, id, Some(user.id), ctx)?;
    let c = found(conn, id)?;
    read_one(conn, c, ctx.naive())
}

/// Records the closes that came due (the jobs). Returns how many.
pub fn close_due(conn: &mut DbConn, ctx: &Ctx) -> Result<usize, AppError> {
    let mut n = 0;
    for id in store::to_close(conn, ctx.naive(), 200)? {
        if db::write(conn, |c| record_close(c, id, None, ctx))? {
            n += 1;
        }
    }
    Ok(n)
}

/// One point of the synthesis: what was said about (a question, or a group of comments),
/// whether the unit took it up, and why (not).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SynthesisItem {
    /// A question code, or the name of a group of comments.
    pub about: String,
    pub taken_up: bool,
    pub explanation: String,
}

/// Publishes the unit's synthesis after the close (once: 409 `synthesis_published`), with the
/// decision that followed; completes the follow-up and tells the participants.
pub fn publish_synthesis(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    items: &[SynthesisItem],
    decision: &str,
    ctx: &Ctx,
) -> Result<Read, AppError> {
    let mut v = Violations::new();
    if items.is_empty() || items.len() > 200 {
        v.add("/items", "out_of_range");
    }
    let mut clean = Vec::new();
    for (i, it) in items.iter().enumerate() {
        clean.push(SynthesisItem {
            about: v.line(&format!("/items/{i}/about"), &it.about, 1, 200),
            taken_up: it.taken_up,
            explanation: v.text(
                &format!("/items/{i}/explanation"),
                &it.explanation,
                1,
                5_000,
            ),
        });
    }
    let decision = v.text("/decision", decision, 1, 20_000);
    v.finish()?;
    let c = for_unit(conn, user, id)?;
    let now = ctx.naive();
    if c.closes_at > now {
        return Err(AppError::conflict("consultation_open"));
    }
    // A close the jobs have not recorded yet is recorded now, so the follow-up exists.
    record_close(conn, id, None, ctx)?;
    let text = serde_json::to_string(&clean).map_err(AppError::internal)?;
    if !store::publish_synthesis(conn, id, &text, &decision, now)? {
        return Err(AppError::conflict("synthesis_published"));
    }
    super::follow_ups::complete_subject(
        conn,
        Subject::ConsultationSynthesis,
        id,
        Some(user.id),
        ctx,
    )?;
    db::audit::record_admin(
        conn,
        Some(user.id),
        "consultation.synthesis",
        &format!("consultation:{id}"),
        json!({"unit_id": c.unit_id, "items": clean.len()}),
        now,
    )?;
    let people: Vec<To> = store::participant_ids(conn, id)?
        .into_iter()
        .map(To::User)
        .collect();
    let data = json!({"consultation_id": id, "title": c.title,
        "unit": crate::db::units::name_of(conn, c.unit_id, crate::i18n::Lang::Vi)?,
        "unit_en": crate::db::units::name_of(conn, c.unit_id, crate::i18n::Lang::En)?});
    People::new(ctx.delivery.clone()).tell(
        conn,
        &people,
        Template::ConsultationSynthesis,
        &data,
        &format!("consultation:{id}:synthesis"),
        now,
    )?;
    let c = found(conn, id)?;
    read_one(conn, c, now)
}

/// What a supervisor sees of a consultation: participation, and whether the synthesis was
/// published on time.
#[derive(Debug, Clone)]
pub struct Oversight {
    pub read: Read,
    pub synthesis_due_at: Option<NaiveDateTime>,
    /// `pending`, `on_time`, `late` (published after its date) or `overdue` (not published,
    /// date passed).
    pub synthesis: &'static str,
}

/// The consultations of the units `user` oversees (supervisors, administrators), newest first.
pub fn supervised(
    conn: &mut DbConn,
    user: &CurrentUser,
    before: Option<i64>,
    fetch: i64,
    now: NaiveDateTime,
) -> Result<Vec<Oversight>, AppError> {
    let reads = list(
        conn,
        Some(user),
        None,
        Some("supervised"),
        before,
        fetch,
        now,
    )?;
    reads
        .into_iter()
        .map(|read| {
            let due =
                db::follow_ups::of_subject(conn, Subject::ConsultationSynthesis, read.row.id)?
                    .map(|f| f.due_at);
            let synthesis = match (read.row.synthesis_published_at, due) {
                (Some(p), Some(d)) if p > d => "late",
                (Some(_), _) => "on_time",
                (None, Some(d)) if now > d => "overdue",
                (None, _) => "pending",
            };
            Ok(Oversight {
                read,
                synthesis_due_at: due,
                synthesis,
            })
        })
        .collect()
}
