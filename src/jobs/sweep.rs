//! The deadline sweep: reminders at 75 % and on the last day, the miss (an `overdue` event,
//! the ticket flagged, escalation to the parent unit's officials and the supervisors of the
//! subtree), the `update` clock's reminder to the unit, and the automatic close of answered
//! tickets. It reads only the clocks whose `next_check_at` has come (an index, not a scan),
//! and each reminder or escalation is claimed by a conditional update, so a sweep run twice,
//! or by two workers at once, acts once.

use std::collections::HashMap;

use chrono::Duration;
use diesel::prelude::*;
use serde_json::json;

use crate::db::clocks;
use crate::db::events::{self, NewEvent};
use crate::db::schema::{tickets, units};
use crate::db::tickets::{self as repo, Ticket};
use crate::db::{self, DbConn};
use crate::domain::clock::Due;
use crate::domain::ticket::{Action, Status};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::notify::recipients::{self, People, To};
use crate::state::AppState;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub overdue: usize,
    pub closed: usize,
    /// Questions to the submitter withdrawn after waiting too long.
    pub questions_expired: usize,
}

impl Swept {
    pub fn is_empty(&self) -> bool {
        *self == Swept::default()
    }
}

/// Clocks looked at per sweep; the rest wait for the next (one interval later).
const BATCH: i64 = 5_000;
/// Clocks handled per transaction.
const CHUNK: usize = 100;

pub async fn run(state: &AppState) -> Result<Swept, ApiError> {
    let st = state.clone();
    state
        .db(move |conn| {
            let ctx = st.ticket_ctx(conn)?;
            let due = clocks::due_for_check(conn, ctx.now.naive_utc(), BATCH)?;
            let writers = db::concurrent_writers(conn, st.settings.database.pool_size);
            // All the clocks of a ticket go to one writer, so that its events chain one after
            // another; each share keeps the oldest checks first.
            let mut shares: Vec<Vec<(i64, String)>> = vec![Vec::new(); writers];
            for (ticket_id, name) in due {
                let writer = ticket_id.rem_euclid(writers as i64) as usize;
                shares[writer].push((ticket_id, name));
            }
            // The first share on this connection, the others on connections of their own
            // (PostgreSQL only: SQLite has one writer at a time).
            let first = shares.remove(0);
            let results: Vec<Result<Swept, ApiError>> = std::thread::scope(|scope| {
                let ctx = &ctx;
                let handles: Vec<_> = shares
                    .into_iter()
                    .filter(|share| !share.is_empty())
                    .map(|share| {
                        let pool = st.pool.clone();
                        scope.spawn(move || sweep_share(&mut *pool.get()?, &share, ctx))
                    })
                    .collect();
                let mut results = vec![sweep_share(conn, &first, ctx)];
                for h in handles {
                    results.push(h.join().unwrap_or_else(|_| {
                        Err(ApiError::Internal(anyhow::anyhow!(
                            "a sweep writer panicked"
                        )))
                    }));
                }
                results
            });
            let mut swept = Swept::default();
            for r in results {
                let part = r?;
                swept.reminders += part.reminders;
                swept.overdue += part.overdue;
            }
            swept.closed = close_answered(conn, &st, &ctx)?;
            swept.questions_expired =
                expire_questions(conn, st.settings.tickets.info_wait_working_days, &ctx)?;
            Ok(swept)
        })
        .await
}

/// One writer's due clocks: a transaction per chunk, not per clock, so a pass over a thousand
/// due clocks commits a few dozen times. Each clock is still claimed by a conditional update,
/// so a chunk that fails and is retried by the next pass acts once.
fn sweep_share(
    conn: &mut DbConn,
    due: &[(i64, String)],
    ctx: &repo::Ctx,
) -> Result<Swept, ApiError> {
    let mut swept = Swept::default();
    let mut units_seen = UnitsSeen::default();
    let mut people = People::new(ctx.delivery.clone());
    for chunk in due.chunks(CHUNK) {
        db::write(conn, |c| {
            for (ticket_id, name) in chunk {
                sweep_one(
                    c,
                    *ticket_id,
                    name,
                    ctx,
                    &mut units_seen,
                    &mut people,
                    &mut swept,
                )?;
            }
            Ok::<_, ApiError>(())
        })?;
    }
    Ok(swept)
}

/// One due clock: its reminder, its miss (with escalation), or the unit's progress-note
/// reminder; nothing if another pass claimed it first.
fn sweep_one(
    c: &mut DbConn,
    ticket_id: i64,
    name: &str,
    ctx: &repo::Ctx,
    units_seen: &mut UnitsSeen,
    people: &mut People,
    swept: &mut Swept,
) -> Result<(), ApiError> {
    let now = ctx.now;
    let Some((due, view)) = clocks::claim_due(c, ticket_id, name, &ctx.cal, &ctx.day_end, now)?
    else {
        return Ok(());
    };
    let Some(t) = repo::find(c, ticket_id)? else {
        return Ok(());
    };
    let due_text = view
        .due_local_date
        .map(|d| d.format("%d/%m/%Y").to_string());
    let data = recipients::ticket_data(
        &t.code,
        t.id,
        (!t.confidential).then_some(t.title.as_str()),
        json!({"clock": name, "due": due_text,
                   "unit": units_seen.name(c, t.unit_id)?}),
    );
    match due {
        Due::Reminder75 | Due::LastDay => {
            let kind = if due == Due::LastDay {
                "last_day"
            } else {
                "75_percent"
            };
            let id = internal_event(
                c,
                &t,
                "reminder",
                json!({"clock": name, "at": kind}),
                now.naive_utc(),
            )?;
            let to = units_seen.assignee_and_staff(c, &t)?;
            people.tell(
                c,
                &to,
                "unit_reminder",
                &data,
                &format!("event:{id}"),
                now.naive_utc(),
            )?;
            swept.reminders += 1;
        }
        Due::Missed if name == "update" => {
            // The system never writes a progress note in the unit's name: it
            // reminds the unit that one is owed.
            let id = internal_event(c, &t, "update_due", json!({"clock": name}), now.naive_utc())?;
            let to = units_seen.assignee_and_staff(c, &t)?;
            people.tell(
                c,
                &to,
                "unit_update_due",
                &data,
                &format!("event:{id}"),
                now.naive_utc(),
            )?;
            swept.reminders += 1;
        }
        Due::Missed => {
            diesel::update(tickets::table.find(t.id))
                .set(tickets::overdue.eq(true))
                .execute(c)?;
            let id = internal_event(
                c,
                &t,
                "overdue",
                json!({"clock": name, "due": view.due_at}),
                now.naive_utc(),
            )?;
            let mut to = units_seen.assignee_and_staff(c, &t)?;
            to.extend(units_seen.escalation(c, &t)?);
            people.tell(
                c,
                &to,
                "escalation_overdue",
                &data,
                &format!("event:{id}"),
                now.naive_utc(),
            )?;
            swept.overdue += 1;
        }
    }
    Ok(())
}

fn internal_event(
    conn: &mut DbConn,
    t: &Ticket,
    kind: &str,
    data: serde_json::Value,
    now: chrono::NaiveDateTime,
) -> Result<i64, ApiError> {
    events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind,
            actor: None,
            unit_id: Some(t.unit_id),
            from_status: None,
            to_status: None,
            public: false,
            data,
            text: None,
        },
        now,
    )
}

/// What a pass learns about units once and reuses for every due clock of theirs: names,
/// staff and escalation recipients (a thousand due clocks sit in a few dozen units).
#[derive(Default)]
struct UnitsSeen {
    names: HashMap<i64, Option<String>>,
    staff: HashMap<i64, Vec<To>>,
    /// A unit's parent, and the supervisors over it.
    escalation: HashMap<i64, (Option<i64>, Vec<To>)>,
}

impl UnitsSeen {
    fn name(&mut self, conn: &mut DbConn, unit_id: i64) -> Result<Option<String>, ApiError> {
        if let Some(n) = self.names.get(&unit_id) {
            return Ok(n.clone());
        }
        let n = crate::db::units::name_of(conn, unit_id, Lang::Vi)?;
        self.names.insert(unit_id, n.clone());
        Ok(n)
    }

    fn staff(&mut self, conn: &mut DbConn, unit_id: i64) -> Result<Vec<To>, ApiError> {
        if let Some(s) = self.staff.get(&unit_id) {
            return Ok(s.clone());
        }
        let s = recipients::unit_staff(conn, unit_id)?;
        self.staff.insert(unit_id, s.clone());
        Ok(s)
    }

    /// The assigned official (if any) and the unit's officials and mailbox.
    fn assignee_and_staff(&mut self, conn: &mut DbConn, t: &Ticket) -> Result<Vec<To>, ApiError> {
        let mut to: Vec<To> = t.assignee_id.map(To::User).into_iter().collect();
        to.extend(self.staff(conn, t.unit_id)?);
        Ok(to)
    }

    /// The parent unit's officials and the supervisors who oversee the unit's branch; never
    /// the officials of the unit a denunciation accuses (see `domain::access`).
    fn escalation(&mut self, conn: &mut DbConn, t: &Ticket) -> Result<Vec<To>, ApiError> {
        let (parent, supervisors) = match self.escalation.get(&t.unit_id) {
            Some(e) => e.clone(),
            None => {
                let parent = units::table
                    .find(t.unit_id)
                    .select(units::parent_id)
                    .first::<Option<i64>>(conn)
                    .optional()?
                    .flatten();
                let e = (parent, recipients::supervisors_over(conn, t.unit_id)?);
                self.escalation.insert(t.unit_id, e.clone());
                e
            }
        };
        let mut to = Vec::new();
        if let Some(p) = parent.filter(|p| Some(*p) != t.accused_unit_id) {
            to.extend(self.staff(conn, p)?);
        }
        to.extend(supervisors);
        Ok(to)
    }
}

/// Withdraws the questions that waited `wait` working days without an answer: counted like a
/// deadline (the day asked is not counted; the wait ends at the end of its last working day).
fn expire_questions(conn: &mut DbConn, wait: u32, ctx: &repo::Ctx) -> Result<usize, ApiError> {
    let now = ctx.now;
    // A span of `wait` working days is at least `wait` calendar days: the index narrows, the
    // calendar decides.
    let asked_before = now.naive_utc() - Duration::days(i64::from(wait));
    let waiting: Vec<(i64, chrono::NaiveDateTime)> = tickets::table
        .filter(tickets::info_requested_at.le(asked_before))
        .filter(tickets::status.eq(Status::AwaitingInfo.as_str()))
        .order(tickets::info_requested_at.asc())
        .limit(BATCH)
        .select((tickets::id, tickets::info_requested_at.assume_not_null()))
        .load(conn)?;
    let mut expired = 0;
    for (id, asked) in waiting {
        let asked_day = ctx.day_end.local_date(asked.and_utc());
        let last_day = ctx.cal.nth_working_day_after(asked_day, wait);
        if ctx.day_end.end_of(last_day) >= now {
            continue;
        }
        let done = db::write(conn, |c| {
            match repo::act_as_system(c, id, Action::Resume, ctx) {
                Ok(_) => Ok(true),
                // Answered or withdrawn meanwhile.
                Err(e) if e.status().is_client_error() => Ok(false),
                Err(e) => Err(e),
            }
        })?;
        expired += usize::from(done);
    }
    Ok(expired)
}

/// Closes tickets answered more than `tickets.auto_close_days` ago (the submitter did not
/// reopen them).
fn close_answered(conn: &mut DbConn, state: &AppState, ctx: &repo::Ctx) -> Result<usize, ApiError> {
    let now = ctx.now.naive_utc();
    let before = now - Duration::days(state.settings.tickets.auto_close_days);
    let ids: Vec<(i64, i32)> = tickets::table
        .filter(tickets::status.eq("resolved"))
        .filter(tickets::resolved_at.le(before))
        .order(tickets::resolved_at.asc())
        .limit(BATCH)
        .select((tickets::id, tickets::version))
        .load(conn)?;
    let mut closed = 0;
    for (id, version) in ids {
        db::write(conn, |c| {
            let n = diesel::update(
                tickets::table
                    .filter(tickets::id.eq(id))
                    .filter(tickets::version.eq(version))
                    .filter(tickets::status.eq("resolved")),
            )
            .set((
                tickets::status.eq("closed"),
                tickets::closed_at.eq(Some(now)),
                tickets::version.eq(version + 1),
                tickets::updated_at.eq(now),
            ))
            .execute(c)?;
            if n == 0 {
                return Ok::<_, ApiError>(());
            }
            let Some(t) = repo::find(c, id)? else {
                return Ok(());
            };
            let event = events::append(
                c,
                &NewEvent {
                    ticket_id: id,
                    kind: "closed",
                    actor: None,
                    unit_id: Some(t.unit_id),
                    from_status: Some("resolved"),
                    to_status: Some("closed"),
                    public: true,
                    data: json!({"automatic": true}),
                    text: None,
                },
                now,
            )?;
            let to = match (t.submitter_id, &t.contact_email) {
                (Some(u), _) => vec![To::User(u)],
                (None, Some(e)) => vec![To::Address(e.clone(), Lang::Vi)],
                _ => vec![],
            };
            let data = recipients::ticket_data(&t.code, t.id, None, json!({}));
            recipients::tell(
                c,
                &to,
                "ticket_closed",
                &data,
                &format!("event:{event}"),
                &ctx.delivery,
                now,
            )?;
            closed += 1;
            Ok(())
        })?;
    }
    Ok(closed)
}
