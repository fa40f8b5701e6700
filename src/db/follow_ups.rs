//! Follow-ups as stored (see `domain::follow_up`): one row each, claimed by the sweep with a
//! conditional update so that two sweeps act once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::follow_ups;
use crate::db::Error;
use crate::domain::follow_up::{FollowUp, Standing, Subject};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = follow_ups)]
pub struct Row {
    pub id: i64,
    pub subject: String,
    pub subject_id: i64,
    pub unit_id: i64,
    pub title: String,
    pub opened_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub reminded_75: bool,
    pub reminded_last_day: bool,
    pub missed_at: Option<NaiveDateTime>,
    pub done_at: Option<NaiveDateTime>,
    pub done_by: Option<i64>,
    pub done_note: Option<String>,
}

impl Row {
    pub fn rules(&self) -> FollowUp {
        FollowUp {
            opened_at: self.opened_at.and_utc(),
            due_at: self.due_at.and_utc(),
            reminded_75: self.reminded_75,
            reminded_last_day: self.reminded_last_day,
            missed_at: self.missed_at.map(|t| t.and_utc()),
            done_at: self.done_at.map(|t| t.and_utc()),
        }
    }

    /// The subject; an unknown stored name is an error, never guessed.
    pub fn subject(&self) -> Result<Subject, Error> {
        Subject::parse(&self.subject).ok_or_else(|| {
            Error::Corrupt(format!(
                "follow-up {}: unknown subject {:?}",
                self.id, self.subject
            ))
        })
    }
}

pub struct New<'a> {
    pub subject: Subject,
    pub subject_id: i64,
    pub unit_id: i64,
    pub title: &'a str,
    pub rules: &'a FollowUp,
    pub next_check_at: Option<NaiveDateTime>,
}

/// Inserts a follow-up; `None` when the subject has one already (skipped by the unique
/// index, without aborting the caller's transaction).
pub fn create(conn: &mut DbConn, new: &New) -> Result<Option<i64>, Error> {
    let insert = diesel::insert_into(follow_ups::table).values((
        follow_ups::subject.eq(new.subject.as_str()),
        follow_ups::subject_id.eq(new.subject_id),
        follow_ups::unit_id.eq(new.unit_id),
        follow_ups::title.eq(new.title),
        follow_ups::opened_at.eq(new.rules.opened_at.naive_utc()),
        follow_ups::due_at.eq(new.rules.due_at.naive_utc()),
        follow_ups::next_check_at.eq(new.next_check_at),
    ));
    let ids = super::insert_new_only!(conn, insert, returning follow_ups::id => i64)?;
    Ok(ids.into_iter().next())
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Row>, Error> {
    Ok(follow_ups::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?)
}

pub fn of_subject(
    conn: &mut DbConn,
    subject: Subject,
    subject_id: i64,
) -> Result<Option<Row>, Error> {
    Ok(follow_ups::table
        .filter(follow_ups::subject.eq(subject.as_str()))
        .filter(follow_ups::subject_id.eq(subject_id))
        .select(Row::as_select())
        .first(conn)
        .optional()?)
}

/// Marks it done, once: `false` when it was done already.
pub fn complete(
    conn: &mut DbConn,
    id: i64,
    by: Option<i64>,
    note: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let n = diesel::update(
        follow_ups::table
            .find(id)
            .filter(follow_ups::done_at.is_null()),
    )
    .set((
        follow_ups::done_at.eq(now),
        follow_ups::done_by.eq(by),
        follow_ups::done_note.eq(note),
        follow_ups::next_check_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// The follow-ups whose next check has come, oldest first.
pub fn due_for_check(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> Result<Vec<Row>, Error> {
    Ok(follow_ups::table
        .filter(follow_ups::next_check_at.le(now))
        .order(follow_ups::next_check_at.asc())
        .limit(limit)
        .select(Row::as_select())
        .load(conn)?)
}

/// Stores what the sweep dealt with, only where the row is still as it was read: `false`
/// when another pass (or the unit's completion) got there first.
pub fn claim(
    conn: &mut DbConn,
    row: &Row,
    claimed: &FollowUp,
    next_check_at: Option<NaiveDateTime>,
) -> Result<bool, Error> {
    let n = diesel::update(
        follow_ups::table
            .find(row.id)
            .filter(follow_ups::reminded_75.eq(row.reminded_75))
            .filter(follow_ups::reminded_last_day.eq(row.reminded_last_day))
            .filter(follow_ups::missed_at.is_null())
            .filter(follow_ups::done_at.is_null()),
    )
    .set((
        follow_ups::reminded_75.eq(claimed.reminded_75),
        follow_ups::reminded_last_day.eq(claimed.reminded_last_day),
        follow_ups::missed_at.eq(claimed.missed_at.map(|t| t.naive_utc())),
        follow_ups::next_check_at.eq(next_check_at),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// What a list of follow-ups is narrowed to.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Held by one of these units; `None`: any.
    pub units: Option<Vec<i64>>,
    pub subject: Option<Subject>,
    pub standing: Option<Standing>,
}

/// A page of follow-ups by due moment then id, after the `(due_at, id)` cursor.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    now: NaiveDateTime,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> Result<Vec<Row>, Error> {
    let mut q = follow_ups::table
        .select(Row::as_select())
        .order((follow_ups::due_at.asc(), follow_ups::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some(units) = &f.units {
        q = q.filter(follow_ups::unit_id.eq_any(units.clone()));
    }
    if let Some(s) = f.subject {
        q = q.filter(follow_ups::subject.eq(s.as_str()));
    }
    q = match f.standing {
        None => q,
        Some(Standing::Open) => q
            .filter(follow_ups::done_at.is_null())
            .filter(follow_ups::due_at.ge(now)),
        Some(Standing::Overdue) => q
            .filter(follow_ups::done_at.is_null())
            .filter(follow_ups::due_at.lt(now)),
        Some(Standing::DoneOnTime) => q.filter(
            follow_ups::done_at
                .is_not_null()
                .and(follow_ups::done_at.le(follow_ups::due_at.nullable())),
        ),
        Some(Standing::DoneLate) => q.filter(
            follow_ups::done_at
                .is_not_null()
                .and(follow_ups::done_at.gt(follow_ups::due_at.nullable())),
        ),
    };
    if let Some((due, id)) = after {
        q = q.filter(
            follow_ups::due_at
                .gt(due)
                .or(follow_ups::due_at.eq(due).and(follow_ups::id.gt(id))),
        );
    }
    Ok(q.load(conn)?)
}
