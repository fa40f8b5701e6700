//! Dialogues and voter meetings (đối thoại, tiếp xúc cử tri): a unit's officials schedule a
//! session for some areas and its residents are told; before it starts, verified citizens
//! send questions and support others' once each (the public list: most supported first, never
//! who asked); the unit records each answer, a commitment as a follow-up on the deadline engine
//! (owner unit and due date: reminded, escalated, in the supervisors' lists) and a voter's
//! petition for another unit as a ticket of kind petition routed as usual; the minutes are
//! published once. Those who asked or supported hear of the answer; everyone who took part,
//! of the minutes.
//!
//! Residents: nghedan keeps no home address for an account, so "the residents of the areas"
//! told of a session are the citizens who follow one of its areas (`/me/areas`) and those who
//! have sent a ticket about one of them.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::auth::CurrentUser;
use crate::db::DbConn;
use crate::db::dialogues::{self as store, Answer, Dialogue, NewDialogue, Question};
use crate::domain::account::Role;
use crate::domain::follow_up::Subject;
use crate::domain::message::Template;
use crate::domain::ticket::{Channel, Kind as TicketKind};
use crate::error::{AppError, Reason};
use crate::i18n::Lang;
use crate::notify::recipients::{People, To};
use crate::workflow::Ctx;
use crate::workflow::follow_ups::{self, Opening};
use crate::workflow::receptions::unit_named;
use crate::workflow::refs::UnitRef;
use crate::workflow::tickets::{self, Sender, Submission};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DialogueKind)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Đối thoại: the head of a unit and residents on a topic.
    Dialogue,
    /// Tiếp xúc cử tri: elected deputies and their voters.
    VoterMeeting,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dialogue => "dialogue",
            Kind::VoterMeeting => "voter_meeting",
        }
    }
    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Dialogue, Kind::VoterMeeting]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A session to schedule, checked by the API.
pub struct NewDialogueIn {
    pub kind: Kind,
    pub title: String,
    pub topic: String,
    pub area_codes: Vec<String>,
    pub starts_at: NaiveDateTime,
    pub place: String,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DialogueView {
    pub id: i64,
    pub unit: UnitRef,
    pub kind: Kind,
    pub title: String,
    pub topic: String,
    pub area_codes: Vec<String>,
    pub starts_at: DateTime<Utc>,
    pub place: String,
    pub hosts: Vec<String>,
    /// Once published.
    pub minutes: Option<String>,
    pub minutes_published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommitmentView {
    pub title: String,
    pub unit_id: Option<i64>,
    pub due_at: Option<DateTime<Utc>>,
    /// The follow-up that tracks it (`/follow-ups/{id}`).
    pub follow_up_id: Option<i64>,
}

/// A question as everyone reads it: never who asked or supported.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: i64,
    pub dialogue_id: i64,
    pub body: String,
    pub supporters: i32,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub commitment: Option<CommitmentView>,
    /// A voter's petition received as a ticket: its code.
    pub ticket_code: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A commitment made in an answer.
pub struct CommitmentIn {
    pub title: String,
    /// The unit that owes it (default: the dialogue's).
    pub unit_id: Option<i64>,
    pub due_date: NaiveDate,
}

/// A voter's petition for another unit, received as a ticket.
pub struct PetitionIn {
    pub category: String,
    pub title: String,
    pub description: String,
    pub area_code: String,
}

pub struct AnswerIn {
    pub answer: String,
    pub commitment: Option<CommitmentIn>,
    pub petition: Option<PetitionIn>,
}

fn not_found() -> AppError {
    AppError::not_found("dialogue_not_found")
}

fn view(conn: &mut DbConn, d: Dialogue, lang: Lang) -> Result<DialogueView, AppError> {
    let kind = Kind::parse(&d.kind)
        .ok_or_else(|| AppError::internal(format!("dialogue kind {:?}", d.kind)))?;
    let hosts: Vec<String> = serde_json::from_str(&d.hosts)
        .map_err(|e| AppError::internal(format!("dialogue hosts: {e}")))?;
    let published = d.minutes_published_at.is_some();
    Ok(DialogueView {
        id: d.id,
        unit: unit_named(conn, d.unit_id, lang)?,
        kind,
        title: d.title,
        topic: d.topic,
        area_codes: store::areas_of(conn, d.id)?,
        starts_at: d.starts_at.and_utc(),
        place: d.place,
        hosts,
        minutes: if published { d.minutes } else { None },
        minutes_published_at: d.minutes_published_at.map(|t| t.and_utc()),
    })
}

fn question_view(conn: &mut DbConn, q: Question) -> Result<QuestionView, AppError> {
    let ticket_code = match q.ticket_id {
        Some(t) => crate::db::tickets::find(conn, t)?.map(|t| t.code),
        None => None,
    };
    Ok(QuestionView {
        id: q.id,
        dialogue_id: q.dialogue_id,
        body: q.body,
        supporters: q.supporters,
        answer: q.answer,
        answered_at: q.answered_at.map(|t| t.and_utc()),
        commitment: q.commitment.map(|title| CommitmentView {
            title,
            unit_id: q.commitment_unit_id,
            due_at: q.commitment_due_at.map(|t| t.and_utc()),
            follow_up_id: q.follow_up_id,
        }),
        ticket_code,
        created_at: q.created_at.and_utc(),
    })
}

/// The dialogue's unit's officials only (403 for others: the dialogue itself is public).
fn of_unit(user: &CurrentUser, d: &Dialogue) -> Result<(), AppError> {
    if user.role == Role::Official && user.unit_id == Some(d.unit_id) {
        Ok(())
    } else {
        Err(AppError::forbidden())
    }
}

fn verified_citizen(user: &CurrentUser) -> Result<(), AppError> {
    if user.role != Role::Citizen {
        return Err(AppError::forbidden());
    }
    if !user.verified {
        return Err(AppError::refused(Reason::Forbidden, "email_not_verified"));
    }
    Ok(())
}

/// Schedules a session of the caller's unit and tells the residents of its areas.
pub fn schedule(
    conn: &mut DbConn,
    user: &CurrentUser,
    d: &NewDialogueIn,
    ctx: &Ctx,
    lang: Lang,
) -> Result<DialogueView, AppError> {
    let (Role::Official, Some(unit_id)) = (user.role, user.unit_id) else {
        return Err(AppError::forbidden());
    };
    let now = ctx.naive();
    if d.starts_at <= now {
        return Err(AppError::field("/starts_at", "in_the_past"));
    }
    for (i, code) in d.area_codes.iter().enumerate() {
        if ctx.refs.area(code).is_none() {
            return Err(AppError::field(format!("/area_codes/{i}"), "unknown_area"));
        }
    }
    let hosts = serde_json::to_string(&d.hosts).map_err(AppError::internal)?;
    let id = store::insert(
        conn,
        &NewDialogue {
            unit_id,
            kind: d.kind.as_str(),
            title: &d.title,
            topic: &d.topic,
            starts_at: d.starts_at,
            place: &d.place,
            hosts: &hosts,
            created_by: user.id,
        },
        &d.area_codes,
        now,
    )?;
    crate::db::audit::record_admin(
        conn,
        Some(user.id),
        "dialogue.schedule",
        &format!("dialogue:{id}"),
        json!({"unit_id": unit_id, "kind": d.kind.as_str(), "areas": d.area_codes}),
        now,
    )?;
    let dialogue = store::find(conn, id)?.ok_or_else(not_found)?;
    let residents: Vec<To> = store::residents(conn, &d.area_codes)?
        .into_iter()
        .map(To::User)
        .collect();
    let when = d
        .starts_at
        .and_utc()
        .with_timezone(&ctx.day_end.tz)
        .format("%H:%M %d/%m/%Y")
        .to_string();
    let data = json!({
        "dialogue_id": id,
        "title": d.title,
        "unit": crate::db::units::name_of(conn, unit_id, Lang::Vi)?.unwrap_or_default(),
        "when": when,
        "place": d.place,
    });
    People::new(ctx.delivery.clone()).tell(
        conn,
        &residents,
        Template::DialogueScheduled,
        &data,
        &format!("dialogue:{id}:scheduled"),
        now,
    )?;
    view(conn, dialogue, lang)
}

/// One session (public).
pub fn one(conn: &mut DbConn, id: i64, lang: Lang) -> Result<DialogueView, AppError> {
    let d = store::find(conn, id)?.ok_or_else(not_found)?;
    view(conn, d, lang)
}

/// Sessions from `from` in `area_code` (a province: its communes too), by start (public).
pub fn list(
    conn: &mut DbConn,
    area_code: Option<&str>,
    from: NaiveDateTime,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
    lang: Lang,
) -> Result<Vec<DialogueView>, AppError> {
    let areas = match area_code {
        Some(code) => Some(
            crate::db::inbox::area_and_below(conn, code)?
                .ok_or_else(|| AppError::field("/area_code", "unknown_area"))?,
        ),
        None => None,
    };
    store::list(conn, areas, from, after, limit)?
        .into_iter()
        .map(|d| view(conn, d, lang))
        .collect()
}

/// A verified citizen asks, before the session starts (409 `dialogue_started` after).
pub fn ask(
    conn: &mut DbConn,
    user: &CurrentUser,
    dialogue_id: i64,
    body: &str,
    ctx: &Ctx,
) -> Result<QuestionView, AppError> {
    verified_citizen(user)?;
    let d = store::find(conn, dialogue_id)?.ok_or_else(not_found)?;
    if d.starts_at <= ctx.naive() {
        return Err(AppError::conflict("dialogue_started"));
    }
    let id = store::insert_question(conn, dialogue_id, user.id, body, ctx.naive())?;
    let q = store::find_question(conn, id)?.ok_or_else(not_found)?;
    question_view(conn, q)
}

fn question_of(conn: &mut DbConn, dialogue_id: i64, id: i64) -> Result<Question, AppError> {
    store::find_question(conn, id)?
        .filter(|q| q.dialogue_id == dialogue_id)
        .ok_or_else(|| AppError::not_found("question_not_found"))
}

/// A verified citizen supports a question once, before the session (409 `already_supported`).
pub fn support(
    conn: &mut DbConn,
    user: &CurrentUser,
    dialogue_id: i64,
    question_id: i64,
    ctx: &Ctx,
) -> Result<QuestionView, AppError> {
    verified_citizen(user)?;
    let d = store::find(conn, dialogue_id)?.ok_or_else(not_found)?;
    let q = question_of(conn, dialogue_id, question_id)?;
    if d.starts_at <= ctx.naive() {
        return Err(AppError::conflict("dialogue_started"));
    }
    if !store::support(conn, q.id, user.id, ctx.naive())? {
        return Err(AppError::conflict("already_supported"));
    }
    let q = question_of(conn, dialogue_id, question_id)?;
    question_view(conn, q)
}

/// The questions, most supported first (public).
pub fn questions(conn: &mut DbConn, dialogue_id: i64) -> Result<Vec<QuestionView>, AppError> {
    store::find(conn, dialogue_id)?.ok_or_else(not_found)?;
    store::questions(conn, dialogue_id)?
        .into_iter()
        .map(|q| question_view(conn, q))
        .collect()
}

/// The unit records its answer to a question (once: 409 `already_answered`), with any
/// commitment (a follow-up owed by a unit by a date) and any petition for another unit (a
/// ticket of kind petition from the question's author, routed as usual); those who asked and
/// supported are told.
pub fn answer(
    conn: &mut DbConn,
    user: &CurrentUser,
    dialogue_id: i64,
    question_id: i64,
    a: &AnswerIn,
    ctx: &Ctx,
) -> Result<QuestionView, AppError> {
    let d = store::find(conn, dialogue_id)?.ok_or_else(not_found)?;
    of_unit(user, &d)?;
    let q = question_of(conn, dialogue_id, question_id)?;
    if q.answered_at.is_some() {
        return Err(AppError::conflict("already_answered"));
    }
    let now = ctx.naive();
    let commitment = match &a.commitment {
        Some(c) => {
            let unit = c.unit_id.unwrap_or(d.unit_id);
            if !crate::db::units::find(conn, unit)?.is_some_and(|u| u.active) {
                return Err(AppError::field("/commitment/unit_id", "unknown_unit"));
            }
            if c.due_date < ctx.day_end.local_date(ctx.now) {
                return Err(AppError::field("/commitment/due_date", "in_the_past"));
            }
            Some((c.title.as_str(), unit, ctx.day_end.end_of(c.due_date)))
        }
        None => None,
    };
    let ticket = match &a.petition {
        Some(p) => {
            if !ctx.refs.category(&p.category).is_some_and(|c| c.active) {
                return Err(AppError::field("/petition/category", "unknown_category"));
            }
            if ctx.refs.area(&p.area_code).is_none() {
                return Err(AppError::field("/petition/area_code", "unknown_area"));
            }
            let submission = Submission {
                kind: TicketKind::Petition,
                category: p.category.clone(),
                title: p.title.clone(),
                description: p.description.clone(),
                lat: None,
                lon: None,
                area_code: p.area_code.clone(),
                address: None,
                attributes: json!({}),
                private: false,
                channel: Channel::InPerson,
                sender: Sender::Citizen { user_id: q.user_id },
                accused_unit_id: None,
                contested: None,
                filing_late: false,
                attachments: vec![],
                appeal_of: None,
                round: 1,
                actor: Some((user.id, user.role)),
            };
            Some(tickets::submit(conn, &submission, ctx).map_err(|e| e.under("/petition"))?)
        }
        None => None,
    };
    let stored = store::answer(
        conn,
        q.id,
        &Answer {
            answer: &a.answer,
            by: user.id,
            commitment: commitment.map(|(t, u, due)| (t, u, due.naive_utc())),
            ticket_id: ticket.as_ref().map(|t| t.id),
        },
        now,
    )?;
    if !stored {
        return Err(AppError::conflict("already_answered"));
    }
    if let Some((title, unit_id, due_at)) = commitment {
        let id = follow_ups::open(
            conn,
            &Opening {
                subject: Subject::DialogueCommitment,
                subject_id: q.id,
                unit_id,
                title,
                due_at,
            },
            Some(user.id),
            ctx,
        )?;
        store::set_follow_up(conn, q.id, id)?;
    }
    crate::db::audit::record_admin(
        conn,
        Some(user.id),
        "dialogue.answer",
        &format!("dialogue_question:{}", q.id),
        json!({"dialogue_id": dialogue_id, "commitment": commitment.is_some(),
            "ticket_id": ticket.as_ref().map(|t| t.id)}),
        now,
    )?;
    let told: Vec<To> = store::participants_of_question(conn, q.id)?
        .into_iter()
        .map(To::User)
        .collect();
    let data = json!({
        "dialogue_id": dialogue_id,
        "question_id": q.id,
        "title": d.title,
        "question": q.body,
        "answer": a.answer,
        "commitment": commitment.map(|c| c.0),
        "due": commitment.map(|c| ctx.day_end.local_date(c.2).format("%d/%m/%Y").to_string()),
        "ticket_code": ticket.as_ref().map(|t| t.code.clone()),
    });
    People::new(ctx.delivery.clone()).tell(
        conn,
        &told,
        Template::DialogueAnswered,
        &data,
        &format!("dialogue_question:{}:answered", q.id),
        now,
    )?;
    let q = question_of(conn, dialogue_id, question_id)?;
    question_view(conn, q)
}

/// The unit publishes the minutes (once: 409 `minutes_published`); everyone who took part is
/// told.
pub fn publish_minutes(
    conn: &mut DbConn,
    user: &CurrentUser,
    dialogue_id: i64,
    minutes: &str,
    ctx: &Ctx,
    lang: Lang,
) -> Result<DialogueView, AppError> {
    let d = store::find(conn, dialogue_id)?.ok_or_else(not_found)?;
    of_unit(user, &d)?;
    let now = ctx.naive();
    if !store::publish_minutes(conn, dialogue_id, minutes, now)? {
        return Err(AppError::conflict("minutes_published"));
    }
    crate::db::audit::record_admin(
        conn,
        Some(user.id),
        "dialogue.minutes",
        &format!("dialogue:{dialogue_id}"),
        json!({"unit_id": d.unit_id}),
        now,
    )?;
    let told: Vec<To> = store::participants(conn, dialogue_id)?
        .into_iter()
        .map(To::User)
        .collect();
    People::new(ctx.delivery.clone()).tell(
        conn,
        &told,
        Template::DialogueMinutes,
        &json!({"dialogue_id": dialogue_id, "title": d.title}),
        &format!("dialogue:{dialogue_id}:minutes"),
        now,
    )?;
    one(conn, dialogue_id, lang)
}

/// Commitments looked at per sweep.
const OUTCOME_BATCH: i64 = 500;

/// The sweep's share: those who asked or supported a question hear what became of its
/// commitment — missed (its date passed), and done (by the follow-up's own route, with its
/// note) — each once, in a transaction of its own claimed by a conditional update. Returns how
/// many notices went out.
pub fn tell_outcomes(conn: &mut DbConn, ctx: &Ctx) -> Result<usize, AppError> {
    let mut told = 0;
    let mut after = 0;
    let mut people = People::new(ctx.delivery.clone());
    loop {
        let batch = store::commitments_pending(conn, after, OUTCOME_BATCH)?;
        let Some(last) = batch.last() else {
            break;
        };
        after = last.id;
        for q in batch {
            let Some(f) = q.follow_up_id else { continue };
            let Some(row) = crate::db::follow_ups::find(conn, f)? else {
                continue;
            };
            let outcome = if row.done_at.is_some() {
                "done"
            } else if row.missed_at.is_some() {
                "missed"
            } else {
                continue;
            };
            if q.outcome_told.as_deref() == Some(outcome) {
                continue;
            }
            crate::db::write(conn, |c| -> Result<(), AppError> {
                if !store::claim_outcome(c, q.id, q.outcome_told.as_deref(), outcome)? {
                    return Ok(());
                }
                let d = store::find(c, q.dialogue_id)?.ok_or_else(not_found)?;
                let to: Vec<To> = store::participants_of_question(c, q.id)?
                    .into_iter()
                    .map(To::User)
                    .collect();
                let data = json!({
                    "dialogue_id": q.dialogue_id,
                    "question_id": q.id,
                    "title": d.title,
                    "commitment": q.commitment,
                    "outcome": outcome,
                    "note": row.done_note,
                    "due": ctx.day_end.local_date(row.due_at.and_utc()).format("%d/%m/%Y").to_string(),
                });
                people.tell(
                    c,
                    &to,
                    Template::DialogueCommitmentOutcome,
                    &data,
                    &format!("dialogue_question:{}:commitment:{outcome}", q.id),
                    ctx.naive(),
                )?;
                told += 1;
                Ok(())
            })?;
        }
    }
    Ok(told)
}
