//! Consultations: the rows, their areas, responses, comments and supports. Storage only; the
//! rules are in `workflow::consultations`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    areas, consultation_areas, consultation_comment_supports, consultation_comments,
    consultation_responses, consultations, users,
};
use crate::db::Error;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consultations)]
pub struct Consultation {
    pub id: i64,
    pub unit_id: i64,
    pub author_id: i64,
    pub title: String,
    pub summary: String,
    pub body: String,
    pub documents: String,
    pub questions: String,
    pub results_visibility: String,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub synthesis: Option<String>,
    pub decision: Option<String>,
    pub synthesis_published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub struct New<'a> {
    pub unit_id: i64,
    pub author_id: i64,
    pub title: &'a str,
    pub summary: &'a str,
    pub body: &'a str,
    pub search_text: &'a str,
    pub documents: &'a str,
    pub questions: &'a str,
    pub results_visibility: &'a str,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConn,
    n: &New,
    codes: &[String],
    now: NaiveDateTime,
) -> Result<i64, Error> {
    let id: i64 = diesel::insert_into(consultations::table)
        .values((
            consultations::unit_id.eq(n.unit_id),
            consultations::author_id.eq(n.author_id),
            consultations::title.eq(n.title),
            consultations::summary.eq(n.summary),
            consultations::body.eq(n.body),
            consultations::search_text.eq(n.search_text),
            consultations::documents.eq(n.documents),
            consultations::questions.eq(n.questions),
            consultations::results_visibility.eq(n.results_visibility),
            consultations::opens_at.eq(n.opens_at),
            consultations::closes_at.eq(n.closes_at),
            consultations::created_at.eq(now),
            consultations::updated_at.eq(now),
        ))
        .returning(consultations::id)
        .get_result(conn)?;
    for code in codes {
        diesel::insert_into(consultation_areas::table)
            .values((
                consultation_areas::consultation_id.eq(id),
                consultation_areas::area_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Consultation>, Error> {
    Ok(consultations::table
        .find(id)
        .select(Consultation::as_select())
        .first(conn)
        .optional()?)
}

pub fn areas_of(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, Error> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, code) in consultation_areas::table
        .filter(consultation_areas::consultation_id.eq_any(ids))
        .order((
            consultation_areas::consultation_id,
            consultation_areas::area_code,
        ))
        .select((
            consultation_areas::consultation_id,
            consultation_areas::area_code,
        ))
        .load::<(i64, String)>(conn)?
    {
        out.entry(id).or_default().push(code);
    }
    Ok(out)
}

/// The area codes whose residents a consultation asks: its areas and, for a province, its
/// communes.
pub fn reached_codes(conn: &mut DbConn, id: i64) -> Result<Vec<String>, Error> {
    let own: Vec<String> = consultation_areas::table
        .filter(consultation_areas::consultation_id.eq(id))
        .select(consultation_areas::area_code)
        .load(conn)?;
    let communes: Vec<String> = areas::table
        .filter(areas::parent_code.eq_any(&own))
        .select(areas::code)
        .load(conn)?;
    Ok(own.into_iter().chain(communes).collect())
}

/// Consultations, newest first (by id), optionally of some units, naming some areas, or with
/// a LIKE pattern on their folded text.
pub fn list(
    conn: &mut DbConn,
    units: Option<&[i64]>,
    area_codes: Option<&[String]>,
    pattern: Option<&str>,
    before: Option<i64>,
    fetch: i64,
) -> Result<Vec<Consultation>, Error> {
    let mut q = consultations::table.into_boxed();
    if let Some(u) = units {
        q = q.filter(consultations::unit_id.eq_any(u.to_vec()));
    }
    if let Some(codes) = area_codes {
        q = q.filter(
            consultations::id.eq_any(
                consultation_areas::table
                    .filter(consultation_areas::area_code.eq_any(codes.to_vec()))
                    .select(consultation_areas::consultation_id),
            ),
        );
    }
    if let Some(p) = pattern {
        q = q.filter(consultations::search_text.like(p.to_string()));
    }
    if let Some(b) = before {
        q = q.filter(consultations::id.lt(b));
    }
    Ok(q.order(consultations::id.desc())
        .limit(fetch)
        .select(Consultation::as_select())
        .load(conn)?)
}

/// Participants of each consultation.
pub fn participants(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, i64>, Error> {
    Ok(consultation_responses::table
        .filter(consultation_responses::consultation_id.eq_any(ids))
        .group_by(consultation_responses::consultation_id)
        .select((
            consultation_responses::consultation_id,
            diesel::dsl::count_star(),
        ))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Consultations past their close whose close is not recorded yet.
pub fn to_close(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<Vec<i64>, Error> {
    Ok(consultations::table
        .filter(consultations::closed_at.is_null())
        .filter(consultations::closes_at.le(now))
        .order(consultations::id.asc())
        .limit(limit)
        .select(consultations::id)
        .load(conn)?)
}

/// Records the close (once): `false` when it was recorded already.
pub fn mark_closed(
    conn: &mut DbConn,
    id: i64,
    closes_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    Ok(diesel::update(
        consultations::table
            .find(id)
            .filter(consultations::closed_at.is_null()),
    )
    .set((
        consultations::closes_at.eq(closes_at),
        consultations::closed_at.eq(Some(now)),
        consultations::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

/// Publishes the synthesis (once): `false` when there is one already.
pub fn publish_synthesis(
    conn: &mut DbConn,
    id: i64,
    synthesis: &str,
    decision: &str,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    Ok(diesel::update(
        consultations::table
            .find(id)
            .filter(consultations::synthesis_published_at.is_null()),
    )
    .set((
        consultations::synthesis.eq(Some(synthesis)),
        consultations::decision.eq(Some(decision)),
        consultations::synthesis_published_at.eq(Some(now)),
        consultations::updated_at.eq(now),
    ))
    .execute(conn)?
        == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consultation_responses)]
pub struct Response {
    pub user_id: i64,
    pub area_code: String,
    pub answers: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn response(conn: &mut DbConn, id: i64, user_id: i64) -> Result<Option<Response>, Error> {
    Ok(consultation_responses::table
        .find((id, user_id))
        .select(Response::as_select())
        .first(conn)
        .optional()?)
}

/// Stores a participant's answers (a first response, or a change). Returns whether it was new.
pub fn save_response(
    conn: &mut DbConn,
    id: i64,
    user_id: i64,
    area_code: &str,
    answers: &str,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let changed = diesel::update(consultation_responses::table.find((id, user_id)))
        .set((
            consultation_responses::answers.eq(answers),
            consultation_responses::updated_at.eq(now),
        ))
        .execute(conn)?;
    if changed == 1 {
        return Ok(false);
    }
    diesel::insert_into(consultation_responses::table)
        .values((
            consultation_responses::consultation_id.eq(id),
            consultation_responses::user_id.eq(user_id),
            consultation_responses::area_code.eq(area_code),
            consultation_responses::answers.eq(answers),
            consultation_responses::created_at.eq(now),
            consultation_responses::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Every response of a consultation, oldest first.
pub fn responses(conn: &mut DbConn, id: i64) -> Result<Vec<Response>, Error> {
    Ok(consultation_responses::table
        .filter(consultation_responses::consultation_id.eq(id))
        .order((
            consultation_responses::created_at.asc(),
            consultation_responses::user_id.asc(),
        ))
        .select(Response::as_select())
        .load(conn)?)
}

/// The people who took part.
pub fn participant_ids(conn: &mut DbConn, id: i64) -> Result<Vec<i64>, Error> {
    Ok(consultation_responses::table
        .filter(consultation_responses::consultation_id.eq(id))
        .order(consultation_responses::user_id.asc())
        .select(consultation_responses::user_id)
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = consultation_comments)]
pub struct Comment {
    pub id: i64,
    pub consultation_id: i64,
    pub user_id: i64,
    pub body: String,
    pub signed: bool,
    pub supporters: i32,
    pub hidden_at: Option<NaiveDateTime>,
    pub hidden_reason: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn add_comment(
    conn: &mut DbConn,
    id: i64,
    user_id: i64,
    body: &str,
    signed: bool,
    now: NaiveDateTime,
) -> Result<i64, Error> {
    Ok(diesel::insert_into(consultation_comments::table)
        .values((
            consultation_comments::consultation_id.eq(id),
            consultation_comments::user_id.eq(user_id),
            consultation_comments::body.eq(body),
            consultation_comments::signed.eq(signed),
            consultation_comments::created_at.eq(now),
        ))
        .returning(consultation_comments::id)
        .get_result(conn)?)
}

pub fn comment(conn: &mut DbConn, id: i64, comment_id: i64) -> Result<Option<Comment>, Error> {
    Ok(consultation_comments::table
        .find(comment_id)
        .filter(consultation_comments::consultation_id.eq(id))
        .select(Comment::as_select())
        .first(conn)
        .optional()?)
}

/// A page of comments, oldest first, with the commenter's name (the caller decides whether
/// it may be shown).
pub fn comments(
    conn: &mut DbConn,
    id: i64,
    after: Option<i64>,
    fetch: i64,
) -> Result<Vec<(Comment, String)>, Error> {
    let mut q = consultation_comments::table
        .inner_join(users::table.on(users::id.eq(consultation_comments::user_id)))
        .filter(consultation_comments::consultation_id.eq(id))
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(consultation_comments::id.gt(a));
    }
    Ok(q.order(consultation_comments::id.asc())
        .limit(fetch)
        .select((Comment::as_select(), users::full_name))
        .load(conn)?)
}

pub fn hide_comment(
    conn: &mut DbConn,
    comment_id: i64,
    by: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    Ok(diesel::update(
        consultation_comments::table
            .find(comment_id)
            .filter(consultation_comments::hidden_at.is_null()),
    )
    .set((
        consultation_comments::hidden_at.eq(Some(now)),
        consultation_comments::hidden_by.eq(Some(by)),
        consultation_comments::hidden_reason.eq(Some(reason)),
    ))
    .execute(conn)?
        == 1)
}

/// Adds `user_id`'s support to a comment (once); returns the comment's supporters.
pub fn support(
    conn: &mut DbConn,
    comment_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<i32, Error> {
    let added = super::insert_new_only!(
        conn,
        diesel::insert_into(consultation_comment_supports::table).values((
            consultation_comment_supports::comment_id.eq(comment_id),
            consultation_comment_supports::user_id.eq(user_id),
            consultation_comment_supports::created_at.eq(now),
        ))
    )?;
    if added == 1 {
        diesel::update(consultation_comments::table.find(comment_id))
            .set(consultation_comments::supporters.eq(consultation_comments::supporters + 1))
            .execute(conn)?;
    }
    Ok(consultation_comments::table
        .find(comment_id)
        .select(consultation_comments::supporters)
        .first(conn)?)
}

/// Consultations naming one of `codes`, newest first (by creation), after `after` in the
/// feed's order (see `db::announcements::after_in_feed`).
pub fn feed(
    conn: &mut DbConn,
    codes: &[String],
    after: Option<super::announcements::FeedKey>,
    own_kind: u8,
    fetch: i64,
) -> Result<Vec<Consultation>, Error> {
    let mut q = consultations::table
        .filter(
            consultations::id.eq_any(
                consultation_areas::table
                    .filter(consultation_areas::area_code.eq_any(codes.to_vec()))
                    .select(consultation_areas::consultation_id),
            ),
        )
        .into_boxed();
    if let Some(key) = after {
        let at = key.0;
        q = match super::announcements::after_in_feed(own_kind, key) {
            None => q.filter(consultations::created_at.lt(at)),
            Some(None) => q.filter(consultations::created_at.le(at)),
            Some(Some(id)) => q.filter(
                consultations::created_at
                    .lt(at)
                    .or(consultations::created_at
                        .eq(at)
                        .and(consultations::id.lt(id))),
            ),
        };
    }
    Ok(
        q.order((consultations::created_at.desc(), consultations::id.desc()))
            .limit(fetch)
            .select(Consultation::as_select())
            .load(conn)?,
    )
}

/// Which of `ids` `user_id` answered.
pub fn answered(conn: &mut DbConn, user_id: i64, ids: &[i64]) -> Result<Vec<i64>, Error> {
    Ok(consultation_responses::table
        .filter(consultation_responses::user_id.eq(user_id))
        .filter(consultation_responses::consultation_id.eq_any(ids))
        .select(consultation_responses::consultation_id)
        .load(conn)?)
}
