//! Follow-ups (see `domain::follow_up`): opened by the features that owe something by a date
//! (a consultation's synthesis, a dialogue's commitments), watched by the deadline sweep, and
//! listed for the unit and its supervisors. Opening, completion and a miss are entries in the
//! hash-chained admin audit log (`follow_up.open`, `follow_up.done`, `follow_up.missed`),
//! whose data holds ids and dates only.

use crate::db::reference::Snapshot;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::Ctx;
use crate::auth::CurrentUser;
use crate::db::follow_ups::{self as store, Filter, New, Row};
use crate::db::{self, DbConn};
use crate::domain::account::Role;
use crate::domain::clock::Due;
use crate::domain::follow_up::{FollowUp, Subject};
use crate::domain::message::Template;
use crate::error::{AppError, Reason};
use crate::i18n::Lang;
use crate::notify::recipients::{People, To, supervisors_over, unit_staff};

/// What a feature opens.
pub struct Opening<'a> {
    pub subject: Subject,
    pub subject_id: i64,
    /// The unit that owes it.
    pub unit_id: i64,
    /// What is owed, in the words the unit and its supervisors read ("Sửa đèn đường tổ 5").
    pub title: &'a str,
    pub due_at: DateTime<Utc>,
}

/// Opens the follow-up of a subject, in the caller's transaction, and returns its id. A
/// subject has one: opening it again returns the one there is, unchanged.
pub fn open(
    conn: &mut DbConn,
    o: &Opening,
    actor: Option<i64>,
    ctx: &Ctx,
) -> Result<i64, AppError> {
    let rules = FollowUp::new(ctx.now, o.due_at);
    let next = rules.next_check(&ctx.day_end).map(|t| t.naive_utc());
    let created = store::create(
        conn,
        &New {
            subject: o.subject,
            subject_id: o.subject_id,
            unit_id: o.unit_id,
            title: o.title,
            rules: &rules,
            next_check_at: next,
        },
    )?;
    let Some(id) = created else {
        let existing = store::of_subject(conn, o.subject, o.subject_id)?
            .ok_or_else(|| AppError::internal("a follow-up vanished while it was opened"))?;
        return Ok(existing.id);
    };
    db::audit::record_admin(
        conn,
        actor,
        "follow_up.open",
        &format!("follow_up:{id}"),
        json!({"subject": o.subject.as_str(), "subject_id": o.subject_id,
            "unit_id": o.unit_id, "due_at": o.due_at}),
        ctx.naive(),
    )?;
    Ok(id)
}

/// Marks the follow-up of a subject done (the feature did what was owed: published the
/// synthesis). `false` when there is none, or it was done already.
pub fn complete_subject(
    conn: &mut DbConn,
    subject: Subject,
    subject_id: i64,
    actor: Option<i64>,
    ctx: &Ctx,
) -> Result<bool, AppError> {
    let Some(row) = store::of_subject(conn, subject, subject_id)? else {
        return Ok(false);
    };
    done(conn, &row, actor, None, ctx)
}

fn done(
    conn: &mut DbConn,
    row: &Row,
    actor: Option<i64>,
    note: Option<&str>,
    ctx: &Ctx,
) -> Result<bool, AppError> {
    if !store::complete(conn, row.id, actor, note, ctx.naive())? {
        return Ok(false);
    }
    db::audit::record_admin(
        conn,
        actor,
        "follow_up.done",
        &format!("follow_up:{}", row.id),
        json!({"subject": row.subject, "subject_id": row.subject_id,
            "on_time": ctx.naive() <= row.due_at}),
        ctx.naive(),
    )?;
    Ok(true)
}

/// The units whose follow-ups `user` reads: an official's unit (and its subtree where it sees
/// its subunits), a supervisor's subtree, everything for an administrator; `Some(vec![])`
/// for anyone else.
fn readable_units(conn: &mut DbConn, user: &CurrentUser) -> Result<Option<Vec<i64>>, AppError> {
    Ok(db::scope::of(conn, user.role, user.unit_id)?.units)
}

/// One follow-up, if `user` may read it (404 `follow_up_not_found` otherwise, never saying
/// which).
pub fn find(conn: &mut DbConn, id: i64, user: &CurrentUser) -> Result<Row, AppError> {
    let row = store::find(conn, id)?;
    let units = readable_units(conn, user)?;
    match row {
        Some(r) if units.as_ref().is_none_or(|u| u.contains(&r.unit_id)) => Ok(r),
        _ => Err(AppError::refused(Reason::NotFound, "follow_up_not_found")),
    }
}

/// A page of the follow-ups `user` reads, narrowed by `filter` (its `units` is replaced by
/// the caller's scope, or intersected with it).
pub fn list(
    conn: &mut DbConn,
    user: &CurrentUser,
    mut filter: Filter,
    after: Option<(chrono::NaiveDateTime, i64)>,
    limit: i64,
    now: chrono::NaiveDateTime,
) -> Result<Vec<Row>, AppError> {
    let scope = readable_units(conn, user)?;
    filter.units = match (scope, filter.units.take()) {
        (None, asked) => asked,
        (Some(scope), None) => Some(scope),
        (Some(scope), Some(asked)) => {
            Some(asked.into_iter().filter(|u| scope.contains(u)).collect())
        }
    };
    if filter.units.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    Ok(store::list(conn, &filter, now, after, limit)?)
}

/// An official of the owing unit marks a commitment done with a note saying what was done.
/// A subject that is done otherwise (a synthesis, by publishing it) refuses with 409
/// `follow_up_not_completable`; one done already, 409 `follow_up_done`.
pub fn complete_with_note(
    conn: &mut DbConn,
    id: i64,
    user: &CurrentUser,
    note: &str,
    ctx: &Ctx,
) -> Result<Row, AppError> {
    let row = find(conn, id, user)?;
    if user.role != Role::Official {
        return Err(AppError::refused(Reason::Forbidden, "action_forbidden"));
    }
    if !row.subject()?.done_by_note() {
        return Err(AppError::refused(
            Reason::Conflict,
            "follow_up_not_completable",
        ));
    }
    if !done(conn, &row, Some(user.id), Some(note), ctx)? {
        return Err(AppError::refused(Reason::Conflict, "follow_up_done"));
    }
    store::find(conn, id)?.ok_or_else(|| AppError::internal("a follow-up vanished"))
}

/// What one sweep did to the follow-ups.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub overdue: usize,
}

/// Follow-ups looked at per sweep; the rest wait for the next.
const BATCH: i64 = 2_000;

/// The sweep's share for follow-ups: each due one reminded or escalated once, in a
/// transaction of its own (claimed by a conditional update, so two sweeps act once).
pub fn sweep(conn: &mut DbConn, ctx: &Ctx) -> Result<Swept, AppError> {
    let due = store::due_for_check(conn, ctx.naive(), BATCH)?;
    let mut swept = Swept::default();
    let mut people = People::new(ctx.delivery.clone());
    for row in due {
        db::write(conn, |c| one(c, &row, &mut people, &mut swept, ctx))?;
    }
    Ok(swept)
}

fn one(
    c: &mut DbConn,
    row: &Row,
    people: &mut People,
    swept: &mut Swept,
    ctx: &Ctx,
) -> Result<(), AppError> {
    let rules = row.rules();
    let Some((due, claimed)) = rules.due_now(&ctx.day_end, ctx.now) else {
        // Nothing due yet (the row was looked at early): look again when something is.
        let next = rules.next_check(&ctx.day_end).map(|t| t.naive_utc());
        store::claim(c, row, &rules, next)?;
        return Ok(());
    };
    let next = claimed.next_check(&ctx.day_end).map(|t| t.naive_utc());
    if !store::claim(c, row, &claimed, next)? {
        return Ok(());
    }
    let unit_name = db::units::name_of(c, row.unit_id, Lang::Vi)?;
    let data = json!({
        "follow_up_id": row.id,
        "title": row.title,
        "subject": row.subject,
        "unit": unit_name,
        "due": ctx.day_end.local_date(rules.due_at).format("%d/%m/%Y").to_string(),
    });
    let (to, template) = if due == Due::Missed {
        db::audit::record_admin(
            c,
            None,
            "follow_up.missed",
            &format!("follow_up:{}", row.id),
            json!({"subject": row.subject, "subject_id": row.subject_id,
                "unit_id": row.unit_id, "due_at": row.due_at}),
            ctx.naive(),
        )?;
        swept.overdue += 1;
        (
            escalation(c, &ctx.refs, row.unit_id)?,
            Template::FollowUpOverdue,
        )
    } else {
        swept.reminders += 1;
        (
            unit_staff(&ctx.refs, row.unit_id),
            Template::FollowUpReminder,
        )
    };
    let stage = match due {
        Due::Reminder75 => "75",
        Due::LastDay => "last_day",
        Due::Missed => "missed",
    };
    people.tell(
        c,
        &to,
        template,
        &data,
        &format!("follow_up:{}:{stage}", row.id),
        ctx.naive(),
    )?;
    Ok(())
}

/// Whom a miss reaches: the unit's staff, the parent unit's, and the supervisors over the
/// unit (as a ticket's miss does).
fn escalation(conn: &mut DbConn, refs: &Snapshot, unit_id: i64) -> Result<Vec<To>, AppError> {
    let mut to = unit_staff(refs, unit_id);
    if let Some(parent) = refs.unit(unit_id).and_then(|u| u.parent_id) {
        to.extend(unit_staff(refs, parent));
    }
    to.extend(supervisors_over(conn, unit_id)?);
    Ok(to)
}
