//! Dialogues and voter meetings: the sessions, their areas, the residents' questions and their
//! supports.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{dialogue_areas, dialogue_questions, dialogue_supports, dialogues, tickets};
use crate::db::Error;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dialogues)]
pub struct Dialogue {
    pub id: i64,
    pub unit_id: i64,
    pub kind: String,
    pub title: String,
    pub topic: String,
    pub starts_at: NaiveDateTime,
    pub place: String,
    /// A JSON array of the hosts' names.
    pub hosts: String,
    pub minutes: Option<String>,
    pub minutes_published_at: Option<NaiveDateTime>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = dialogue_questions)]
pub struct Question {
    pub id: i64,
    pub dialogue_id: i64,
    pub user_id: i64,
    pub body: String,
    pub supporters: i32,
    pub answer: Option<String>,
    pub answered_at: Option<NaiveDateTime>,
    pub answered_by: Option<i64>,
    pub commitment: Option<String>,
    pub commitment_unit_id: Option<i64>,
    pub commitment_due_at: Option<NaiveDateTime>,
    pub follow_up_id: Option<i64>,
    pub outcome_told: Option<String>,
    pub ticket_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub struct NewDialogue<'a> {
    pub unit_id: i64,
    pub kind: &'a str,
    pub title: &'a str,
    pub topic: &'a str,
    pub starts_at: NaiveDateTime,
    pub place: &'a str,
    pub hosts: &'a str,
    pub created_by: i64,
}

pub fn insert(
    conn: &mut DbConn,
    d: &NewDialogue,
    areas: &[String],
    now: NaiveDateTime,
) -> Result<i64, Error> {
    let id = diesel::insert_into(dialogues::table)
        .values((
            dialogues::unit_id.eq(d.unit_id),
            dialogues::kind.eq(d.kind),
            dialogues::title.eq(d.title),
            dialogues::topic.eq(d.topic),
            dialogues::starts_at.eq(d.starts_at),
            dialogues::place.eq(d.place),
            dialogues::hosts.eq(d.hosts),
            dialogues::created_by.eq(d.created_by),
            dialogues::created_at.eq(now),
        ))
        .returning(dialogues::id)
        .get_result::<i64>(conn)?;
    for a in areas {
        diesel::insert_into(dialogue_areas::table)
            .values((
                dialogue_areas::dialogue_id.eq(id),
                dialogue_areas::area_code.eq(a),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Dialogue>, Error> {
    Ok(dialogues::table
        .find(id)
        .select(Dialogue::as_select())
        .first(conn)
        .optional()?)
}

pub fn areas_of(conn: &mut DbConn, id: i64) -> Result<Vec<String>, Error> {
    Ok(dialogue_areas::table
        .filter(dialogue_areas::dialogue_id.eq(id))
        .order(dialogue_areas::area_code.asc())
        .select(dialogue_areas::area_code)
        .load(conn)?)
}

/// Dialogues starting at or after `from` in any of `areas` (`None`: anywhere), by start,
/// after the keyset position `(starts_at, id)`.
pub fn list(
    conn: &mut DbConn,
    areas: Option<Vec<String>>,
    from: NaiveDateTime,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> Result<Vec<Dialogue>, Error> {
    let mut q = dialogues::table
        .filter(dialogues::starts_at.ge(from))
        .into_boxed();
    if let Some(a) = areas {
        q = q.filter(
            dialogues::id.eq_any(
                dialogue_areas::table
                    .filter(dialogue_areas::area_code.eq_any(a))
                    .select(dialogue_areas::dialogue_id),
            ),
        );
    }
    if let Some((at, id)) = after {
        q = q.filter(
            dialogues::starts_at
                .gt(at)
                .or(dialogues::starts_at.eq(at).and(dialogues::id.gt(id))),
        );
    }
    Ok(q.order((dialogues::starts_at.asc(), dialogues::id.asc()))
        .limit(limit)
        .select(Dialogue::as_select())
        .load(conn)?)
}

/// The residents a dialogue in `areas` tells: the citizens who follow one of them
/// (`/me/areas`), and those who sent a ticket there; each once, by id.
pub fn residents(conn: &mut DbConn, areas: &[String]) -> Result<Vec<i64>, Error> {
    use super::schema::{resident_areas, users};
    let mut ids: Vec<i64> = resident_areas::table
        .inner_join(users::table)
        .filter(resident_areas::area_code.eq_any(areas))
        .filter(users::disabled.eq(false))
        .select(resident_areas::user_id)
        .load(conn)?;
    ids.extend(
        tickets::table
            .filter(tickets::area_code.eq_any(areas))
            .filter(tickets::submitter_id.is_not_null())
            .select(tickets::submitter_id.assume_not_null())
            .distinct()
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

pub fn insert_question(
    conn: &mut DbConn,
    dialogue_id: i64,
    user_id: i64,
    body: &str,
    now: NaiveDateTime,
) -> Result<i64, Error> {
    Ok(diesel::insert_into(dialogue_questions::table)
        .values((
            dialogue_questions::dialogue_id.eq(dialogue_id),
            dialogue_questions::user_id.eq(user_id),
            dialogue_questions::body.eq(body),
            dialogue_questions::created_at.eq(now),
        ))
        .returning(dialogue_questions::id)
        .get_result(conn)?)
}

pub fn find_question(conn: &mut DbConn, id: i64) -> Result<Option<Question>, Error> {
    Ok(dialogue_questions::table
        .find(id)
        .select(Question::as_select())
        .first(conn)
        .optional()?)
}

/// A dialogue's questions, most supported first, then oldest first.
pub fn questions(conn: &mut DbConn, dialogue_id: i64) -> Result<Vec<Question>, Error> {
    Ok(dialogue_questions::table
        .filter(dialogue_questions::dialogue_id.eq(dialogue_id))
        .order((
            dialogue_questions::supporters.desc(),
            dialogue_questions::id.asc(),
        ))
        .select(Question::as_select())
        .load(conn)?)
}

/// Records `user_id`'s support of a question once: `false` when they had already (the
/// primary key refuses the second; in a savepoint, so PostgreSQL's transaction goes on).
pub fn support(
    conn: &mut DbConn,
    question_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let inserted = conn.transaction(|c| {
        diesel::insert_into(dialogue_supports::table)
            .values((
                dialogue_supports::question_id.eq(question_id),
                dialogue_supports::user_id.eq(user_id),
                dialogue_supports::created_at.eq(now),
            ))
            .execute(c)
    });
    match inserted {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    diesel::update(dialogue_questions::table.find(question_id))
        .set(dialogue_questions::supporters.eq(dialogue_questions::supporters + 1))
        .execute(conn)?;
    Ok(true)
}

/// What the unit answered.
pub struct Answer<'a> {
    pub answer: &'a str,
    pub by: i64,
    pub commitment: Option<(&'a str, i64, NaiveDateTime)>,
    pub ticket_id: Option<i64>,
}

/// Records the answer of a question not answered yet: `false` when it was.
pub fn answer(
    conn: &mut DbConn,
    question_id: i64,
    a: &Answer,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let n = diesel::update(
        dialogue_questions::table
            .find(question_id)
            .filter(dialogue_questions::answered_at.is_null()),
    )
    .set((
        dialogue_questions::answer.eq(a.answer),
        dialogue_questions::answered_at.eq(now),
        dialogue_questions::answered_by.eq(a.by),
        dialogue_questions::commitment.eq(a.commitment.map(|c| c.0)),
        dialogue_questions::commitment_unit_id.eq(a.commitment.map(|c| c.1)),
        dialogue_questions::commitment_due_at.eq(a.commitment.map(|c| c.2)),
        dialogue_questions::ticket_id.eq(a.ticket_id),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn set_follow_up(conn: &mut DbConn, question_id: i64, follow_up_id: i64) -> Result<(), Error> {
    diesel::update(dialogue_questions::table.find(question_id))
        .set(dialogue_questions::follow_up_id.eq(follow_up_id))
        .execute(conn)?;
    Ok(())
}

/// Who took part in a question: its author and its supporters.
pub fn participants_of_question(conn: &mut DbConn, question_id: i64) -> Result<Vec<i64>, Error> {
    let mut out: Vec<i64> = dialogue_questions::table
        .find(question_id)
        .select(dialogue_questions::user_id)
        .load(conn)?;
    out.extend(
        dialogue_supports::table
            .filter(dialogue_supports::question_id.eq(question_id))
            .select(dialogue_supports::user_id)
            .load::<i64>(conn)?,
    );
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Who took part in a dialogue: everyone who asked or supported a question.
pub fn participants(conn: &mut DbConn, dialogue_id: i64) -> Result<Vec<i64>, Error> {
    let asked = dialogue_questions::table
        .filter(dialogue_questions::dialogue_id.eq(dialogue_id))
        .select(dialogue_questions::user_id)
        .load::<i64>(conn)?;
    let supported = dialogue_supports::table
        .inner_join(dialogue_questions::table)
        .filter(dialogue_questions::dialogue_id.eq(dialogue_id))
        .select(dialogue_supports::user_id)
        .load::<i64>(conn)?;
    let mut out: Vec<i64> = asked.into_iter().chain(supported).collect();
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Publishes the minutes once: `false` when they were published already.
pub fn publish_minutes(
    conn: &mut DbConn,
    id: i64,
    minutes: &str,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let n = diesel::update(
        dialogues::table
            .find(id)
            .filter(dialogues::minutes_published_at.is_null()),
    )
    .set((
        dialogues::minutes.eq(minutes),
        dialogues::minutes_published_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Questions with a commitment whose participants have not heard it was done: the ones the
/// sweep looks at (after the keyset position `after_id`).
pub fn commitments_pending(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Question>, Error> {
    Ok(dialogue_questions::table
        .filter(dialogue_questions::follow_up_id.is_not_null())
        .filter(
            dialogue_questions::outcome_told
                .is_null()
                .or(dialogue_questions::outcome_told.ne("done")),
        )
        .filter(dialogue_questions::id.gt(after_id))
        .order(dialogue_questions::id.asc())
        .limit(limit)
        .select(Question::as_select())
        .load(conn)?)
}

/// Records the outcome told, if it is still `from`: `false` when another pass did first.
pub fn claim_outcome(
    conn: &mut DbConn,
    question_id: i64,
    from: Option<&str>,
    to: &str,
) -> Result<bool, Error> {
    let q = dialogue_questions::table.find(question_id);
    let n = match from {
        Some(f) => diesel::update(q.filter(dialogue_questions::outcome_told.eq(f)))
            .set(dialogue_questions::outcome_told.eq(to))
            .execute(conn)?,
        None => diesel::update(q.filter(dialogue_questions::outcome_told.is_null()))
            .set(dialogue_questions::outcome_told.eq(to))
            .execute(conn)?,
    };
    Ok(n == 1)
}
