//! The deadline sweep: reminders at 75 % and on the last day, the miss (an `overdue` event,
//! the ticket flagged, escalation to the parent unit's officials and the supervisors of the
//! subtree), the `update` clock's reminder to the unit, and nghedan's own actions — the
//! automatic close of answered tickets and the end of questions left unanswered — taken
//! through the same state machine as a person's. It reads only the clocks whose
//! `next_check_at` has come (an index, not a scan), and each reminder or escalation is
//! claimed by a conditional update, so a sweep run twice, or by two workers at once, acts
//! once.

use crate::db::reference::Snapshot;
use std::collections::HashMap;

use chrono::Duration;
use serde_json::json;

use super::Ctx;
use super::tickets::act_as_system;
use crate::db::clocks;
use crate::db::events::{self, NewEvent};
use crate::db::tickets::{self as store, Ticket};
use crate::db::{self, DbConn, Pool};
use crate::domain::clock::Due;
use crate::domain::message::Template;
use crate::domain::policy::ClockName;
use crate::domain::ticket::Action;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::notify::recipients::{self, People, To};

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub reminders: usize,
    pub overdue: usize,
    pub closed: usize,
    /// Questions to the submitter withdrawn after waiting too long.
    pub questions_expired: usize,
    /// Follow-ups (syntheses, commitments) reminded and missed.
    pub follow_ups: super::follow_ups::Swept,
    /// Citizens reminded of the reception day they booked for tomorrow.
    pub reception_reminders: usize,
    /// Participants told what became of a dialogue's commitment.
    pub commitment_outcomes: usize,
}

impl Swept {
    pub fn is_empty(&self) -> bool {
        *self == Swept::default()
    }
}

/// The settings a sweep applies.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Days after the answer when a resolved ticket closes.
    pub auto_close_days: i64,
    /// Working days a question waits for its answer.
    pub info_wait_working_days: u32,
    /// The pool's size: PostgreSQL shares the due clocks among a third of it.
    pub pool_size: u32,
}

/// Clocks looked at per sweep; the rest wait for the next (one interval later).
const BATCH: i64 = 5_000;
/// Clocks handled per transaction.
const CHUNK: usize = 100;

/// One pass of the sweep as of `ctx.now`.
pub fn run(conn: &mut DbConn, pool: &Pool, rules: Rules, ctx: &Ctx) -> Result<Swept, AppError> {
    let due = clocks::due_for_check(conn, ctx.naive(), BATCH)?;
    let writers = db::concurrent_writers(conn, rules.pool_size);
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
    let results: Vec<Result<Swept, AppError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .filter(|share| !share.is_empty())
            .map(|share| {
                let pool = pool.clone();
                scope.spawn(move || sweep_share(&mut *pool.get()?, &share, ctx))
            })
            .collect();
        let mut results = vec![sweep_share(conn, &first, ctx)];
        for h in handles {
            results.push(h.join().unwrap_or_else(|_| {
                Err(AppError::Internal(anyhow::anyhow!(
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
    swept.closed = close_answered(conn, rules.auto_close_days, ctx)?;
    swept.questions_expired = expire_questions(conn, rules.info_wait_working_days, ctx)?;
    swept.follow_ups = super::follow_ups::sweep(conn, ctx)?;
    swept.reception_reminders = super::reception_days::remind(conn, ctx)?;
    swept.commitment_outcomes = super::dialogues::tell_outcomes(conn, ctx)?;
    Ok(swept)
}

/// One writer's due clocks: a transaction per chunk, not per clock, so a pass over a thousand
/// due clocks commits a few dozen times. Each clock is still claimed by a conditional update,
/// so a chunk that fails and is retried by the next pass acts once.
fn sweep_share(conn: &mut DbConn, due: &[(i64, String)], ctx: &Ctx) -> Result<Swept, AppError> {
    let mut swept = Swept::default();
    let mut units_seen = UnitsSeen::default();
    let mut people = People::new(ctx.delivery.clone());
    for chunk in due.chunks(CHUNK) {
        db::write(conn, |c| {
            for (ticket_id, name) in chunk {
                let mut pass = Pass {
                    units: &mut units_seen,
                    people: &mut people,
                    swept: &mut swept,
                };
                pass.one(c, *ticket_id, name, ctx)?;
            }
            Ok::<_, AppError>(())
        })?;
    }
    Ok(swept)
}

/// What a writer keeps across the clocks of its share.
struct Pass<'a> {
    units: &'a mut UnitsSeen,
    people: &'a mut People,
    swept: &'a mut Swept,
}

impl Pass<'_> {
    /// One due clock: its reminder, its miss (with escalation), or the unit's progress-note
    /// reminder; nothing if another pass claimed it first.
    fn one(
        &mut self,
        c: &mut DbConn,
        ticket_id: i64,
        name: &str,
        ctx: &Ctx,
    ) -> Result<(), AppError> {
        let now = ctx.now;
        let Some((due, view)) = clocks::claim_due(c, ticket_id, name, &ctx.cal, &ctx.day_end, now)?
        else {
            return Ok(());
        };
        let Some(t) = store::find(c, ticket_id)? else {
            return Ok(());
        };
        let update_clock = name == ClockName::Update.as_str();
        let due_text = view
            .due_local_date
            .map(|d| d.format("%d/%m/%Y").to_string());
        let data = recipients::ticket_data(
            &t.code,
            t.id,
            (!t.confidential).then_some(t.title.as_str()),
            json!({"clock": name, "due": due_text, "unit": self.units.name(c, t.unit_id)?}),
        );
        let (kind, event, template) = match due {
            Due::Reminder75 => (
                "reminder",
                json!({"clock": name, "at": "75_percent"}),
                Template::UnitReminder,
            ),
            Due::LastDay => (
                "reminder",
                json!({"clock": name, "at": "last_day"}),
                Template::UnitReminder,
            ),
            // The system never writes a progress note in the unit's name: it reminds the
            // unit that one is owed.
            Due::Missed if update_clock => (
                "update_due",
                json!({"clock": name}),
                Template::UnitUpdateDue,
            ),
            Due::Missed => (
                "overdue",
                json!({"clock": name, "due": view.due_at}),
                Template::EscalationOverdue,
            ),
        };
        let escalated = due == Due::Missed && !update_clock;
        if escalated {
            store::flag_overdue(c, t.id)?;
        }
        let id = internal_event(c, &t, kind, event, now.naive_utc())?;
        let mut to = UnitsSeen::assignee_and_staff(&ctx.refs, &t);
        if escalated {
            to.extend(self.units.escalation(c, &ctx.refs, &t)?);
        }
        self.people.tell(
            c,
            &to,
            template,
            &data,
            &format!("event:{id}"),
            now.naive_utc(),
        )?;
        if escalated {
            self.swept.overdue += 1;
        } else {
            self.swept.reminders += 1;
        }
        Ok(())
    }
}

fn internal_event(
    conn: &mut DbConn,
    t: &Ticket,
    kind: &'static str,
    data: serde_json::Value,
    now: chrono::NaiveDateTime,
) -> Result<i64, AppError> {
    Ok(events::append(
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
    )?)
}

/// What a pass learns about units once and reuses for every due clock of theirs: names,
/// staff and escalation recipients (a thousand due clocks sit in a few dozen units).
#[derive(Default)]
struct UnitsSeen {
    names: HashMap<i64, Option<String>>,
    /// A unit's parent, and the supervisors over it.
    escalation: HashMap<i64, (Option<i64>, Vec<To>)>,
}

impl UnitsSeen {
    fn name(&mut self, conn: &mut DbConn, unit_id: i64) -> Result<Option<String>, AppError> {
        if let Some(n) = self.names.get(&unit_id) {
            return Ok(n.clone());
        }
        let n = crate::db::units::name_of(conn, unit_id, Lang::Vi)?;
        self.names.insert(unit_id, n.clone());
        Ok(n)
    }

    /// The assigned official (if any) and the unit's officials and mailbox.
    fn assignee_and_staff(refs: &Snapshot, t: &Ticket) -> Vec<To> {
        let mut to: Vec<To> = t.assignee_id.map(To::User).into_iter().collect();
        to.extend(recipients::unit_staff(refs, t.unit_id));
        to
    }

    /// The parent unit's officials and the supervisors who oversee the unit's branch; never
    /// the officials of the unit a denunciation accuses (see `domain::access`).
    fn escalation(
        &mut self,
        conn: &mut DbConn,
        refs: &Snapshot,
        t: &Ticket,
    ) -> Result<Vec<To>, AppError> {
        let (parent, supervisors) = match self.escalation.get(&t.unit_id) {
            Some(e) => e.clone(),
            None => {
                let parent = crate::db::units::find(conn, t.unit_id)?.and_then(|u| u.parent_id);
                let e = (parent, recipients::supervisors_over(conn, t.unit_id)?);
                self.escalation.insert(t.unit_id, e.clone());
                e
            }
        };
        let mut to = Vec::new();
        if let Some(p) = parent.filter(|p| Some(*p) != t.accused_unit_id) {
            to.extend(recipients::unit_staff(refs, p));
        }
        to.extend(supervisors);
        Ok(to)
    }
}

/// Closes tickets answered more than `days` ago (the submitter did not reopen them).
fn close_answered(conn: &mut DbConn, days: i64, ctx: &Ctx) -> Result<usize, AppError> {
    let before = ctx.naive() - Duration::days(days);
    let ids = store::answered_before(conn, before, BATCH)?;
    system_acts(conn, &ids, Action::Close, ctx)
}

/// Withdraws the questions that waited `wait` working days without an answer: counted like a
/// deadline (the day asked is not counted; the wait ends at the end of its last working day).
fn expire_questions(conn: &mut DbConn, wait: u32, ctx: &Ctx) -> Result<usize, AppError> {
    // A span of `wait` working days is at least `wait` calendar days: the index narrows, the
    // calendar decides.
    let asked_before = ctx.naive() - Duration::days(i64::from(wait));
    let ids: Vec<i64> = store::waiting_since(conn, asked_before, BATCH)?
        .into_iter()
        .filter(|(_, asked)| {
            let asked_day = ctx.day_end.local_date(asked.and_utc());
            let last_day = ctx.cal.nth_working_day_after(asked_day, wait);
            ctx.day_end.end_of(last_day) < ctx.now
        })
        .map(|(id, _)| id)
        .collect();
    system_acts(conn, &ids, Action::Resume, ctx)
}

/// nghedan takes `action` on each ticket, one transaction each; a ticket another actor moved
/// on meanwhile (answered, reopened) is left alone. Returns how many it acted on.
fn system_acts(
    conn: &mut DbConn,
    ids: &[i64],
    action: Action,
    ctx: &Ctx,
) -> Result<usize, AppError> {
    let mut done = 0;
    for id in ids {
        let acted = db::write(conn, |c| match act_as_system(c, *id, action, ctx) {
            Ok(_) => Ok(true),
            Err(e) if e.is_refusal() => Ok(false),
            Err(e) => Err(e),
        })?;
        done += usize::from(acted);
    }
    Ok(done)
}
