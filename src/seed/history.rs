//! Past tickets for the demo (`seed demo --history N`): received over the past months and taken
//! through the workflow by the demo's citizens and officials with realistic delays.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::db::schema::{audit_roots, outbox, units, users};
use crate::db::tickets::Ticket;
use crate::db::{self, DbConn, areas};
use crate::domain::account::Role;
use crate::domain::ticket::{Action, Channel, Kind, Status};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::workflow::Ctx;
use crate::workflow::tickets::{self as tickets, ActionInput, Sender, Submission, Viewer};

/// What `seed demo --history N` made.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct History {
    pub tickets: usize,
    pub resolved: usize,
    pub refused: usize,
    pub withdrawn: usize,
    pub open: usize,
    pub rated: usize,
}

/// A small deterministic generator (splitmix64): the same `N` gives the same history.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }
    /// True with probability `pct` %.
    fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
}

/// What a generated ticket is about.
struct Subject {
    kind: crate::domain::ticket::Kind,
    category: &'static str,
    title: &'static str,
    attributes: serde_json::Value,
}

fn subject(d: &mut Dice) -> Subject {
    use crate::domain::ticket::Kind;
    let roll = d.range(0, 99);
    let (kind, category, title, attributes) = match roll {
        0..=24 => (
            Kind::Feedback,
            "duong-hong",
            "Ổ gà trên đường",
            json!({"size": "medium"}),
        ),
        25..=39 => (
            Kind::Feedback,
            "rac-thai",
            "Rác thải tồn đọng",
            json!({"volume": "pile"}),
        ),
        40..=54 => (
            Kind::Feedback,
            "den-duong",
            "Đèn đường không sáng",
            json!({}),
        ),
        55..=64 => (
            Kind::Feedback,
            "cay-xanh",
            "Cây xanh nguy cơ gãy đổ",
            json!({}),
        ),
        65..=74 => (
            Kind::Petition,
            "thu-tuc-hanh-chinh",
            "Đề nghị rút ngắn thời gian làm thủ tục",
            json!({}),
        ),
        75..=82 => (
            Kind::Petition,
            "giao-duc",
            "Đề nghị mở thêm lớp học",
            json!({}),
        ),
        83..=92 => (
            Kind::Complaint,
            "thu-tuc-hanh-chinh",
            "Khiếu nại việc từ chối hồ sơ",
            json!({}),
        ),
        _ => (
            Kind::Denunciation,
            "thai-do-phuc-vu",
            "Tố cáo cán bộ gây khó khăn",
            json!({}),
        ),
    };
    Subject {
        kind,
        category,
        title,
        attributes,
    }
}

/// `n` tickets received over the past `months` months (before `base.now`), each taken
/// through the workflow by the demo's citizens and officials with realistic delays: most are
/// accepted after a few working days and answered in time, some late, some extended,
/// suspended or waiting for information, some refused or withdrawn, some reopened; most
/// answers rated. Everything goes through `db::tickets` (`submit`, `act`, `rate`) at the
/// moment it happens, so timelines and the audit chain are those of real tickets; actions
/// that would fall after `base.now` do not happen (those tickets stay open). The messages the
/// workflow queues for these past events are dropped: nobody should be emailed about them.
///
/// Refused when a day has been sealed into the audit roots already: events dated in a sealed
/// day would change its published root.
pub fn history(
    conn: &mut DbConn,
    n: usize,
    months: u32,
    base: &Ctx,
    progress: &crate::progress::Progress,
) -> Result<History, AppError> {
    let cast = Cast::load(conn)?;
    let mut d = Dice(0x006e_6768_6564_616e ^ n as u64);
    let mut report = History::default();
    for at in receipts(&mut d, n, months, base) {
        let outcome = play(conn, &mut d, &cast, at, base)?;
        report.tickets += 1;
        progress.inc(1);
        match outcome {
            Outcome::Answered { rated } => {
                report.resolved += 1;
                report.rated += usize::from(rated);
            }
            Outcome::Refused => report.refused += 1,
            Outcome::Withdrawn => report.withdrawn += 1,
            Outcome::Open => report.open += 1,
        }
    }
    // Nobody should be emailed about the past.
    diesel::delete(outbox::table.filter(outbox::id.gt(cast.outbox_before))).execute(conn)?;
    Ok(report)
}

/// Who takes part: the demo's citizens and communes; and where the outbox stood before.
struct Cast {
    citizens: Vec<i64>,
    communes: Vec<String>,
    outbox_before: i64,
}

impl Cast {
    fn load(conn: &mut DbConn) -> Result<Cast, AppError> {
        let sealed: i64 = audit_roots::table.count().get_result(conn)?;
        if sealed > 0 {
            return Err(AppError::internal(
                "history can only be generated before the first day is sealed into the audit roots (on a fresh database)",
            ));
        }
        let citizens: Vec<i64> = users::table
            .filter(users::email.eq_any(["lan@demo.nghedan.vn", "minh@demo.nghedan.vn"]))
            .select(users::id)
            .load(conn)?;
        let communes: Vec<String> = units::table
            .filter(units::code.like("UBND-X%"))
            .order(units::code.asc())
            .select(units::code)
            .load::<String>(conn)?
            .into_iter()
            .map(|c| c.trim_start_matches("UBND-X").to_string())
            .collect();
        if citizens.is_empty() || communes.is_empty() {
            return Err(AppError::internal("load the demo data first (seed demo)"));
        }
        let outbox_before: i64 = outbox::table
            .select(diesel::dsl::max(outbox::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0);
        Ok(Cast {
            citizens,
            communes,
            outbox_before,
        })
    }
}

/// Receipt moments between 07:00 and 20:00 local over the past `months` months, in order, so
/// the first event is the earliest (the audit roots start from it).
fn receipts(d: &mut Dice, n: usize, months: u32, base: &Ctx) -> Vec<DateTime<Utc>> {
    let day_end = base.day_end;
    let span_days = i64::from(months.max(1)) * 30;
    let mut received: Vec<DateTime<Utc>> = (0..n)
        .map(|_| {
            let day = day_end.local_date(base.now) - Duration::days(d.range(1, span_days));
            let minute = d.range(7 * 60, 20 * 60);
            let local = day.and_time(NaiveTime::MIN) + Duration::minutes(minute);
            // Local to UTC: the day's end moment less the local time left in the day.
            let end = day_end.end_of(day);
            end - (day.and_time(day_end.end_of_day) - local)
        })
        .collect();
    received.sort();
    received
}

/// The moment `days` working days after `from`, at a working hour.
fn working_later(d: &mut Dice, base: &Ctx, from: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    let day_end = base.day_end;
    let date = base
        .cal
        .nth_working_day_after(day_end.local_date(from), days.max(0) as u32);
    let local = date.and_time(NaiveTime::MIN) + Duration::minutes(d.range(8 * 60, 17 * 60));
    let at = day_end.end_of(date) - (date.and_time(day_end.end_of_day) - local);
    at.max(from + Duration::minutes(d.range(5, 90)))
}

/// The same context as `base`, as of `now`.
fn as_of(base: &Ctx, now: DateTime<Utc>) -> Ctx {
    Ctx {
        now,
        cal: base.cal.clone(),
        refs: base.refs.clone(),
        day_end: base.day_end,
        delivery: base.delivery.clone(),
        complaint_suspension: base.complaint_suspension,
        support_threshold: base.support_threshold,
        max_attachments: base.max_attachments,
    }
}

/// Where one generated ticket ended up.
enum Outcome {
    Answered { rated: bool },
    Refused,
    Withdrawn,
    Open,
}

/// One step of a ticket's life: when, by the unit (or the citizen), what.
struct Step {
    when: DateTime<Utc>,
    by_staff: bool,
    action: Action,
    input: ActionInput,
}

fn step(when: DateTime<Utc>, by_staff: bool, action: Action, input: ActionInput) -> Step {
    Step {
        when,
        by_staff,
        action,
        input,
    }
}

fn say(text: &str) -> ActionInput {
    ActionInput {
        reason: Some(text.to_string()),
        text: Some(text.to_string()),
        ..ActionInput::default()
    }
}

/// One ticket: received at `at` from one of the citizens, then taken through its plan by its
/// unit's first official up to `base.now`, and maybe rated.
fn play(
    conn: &mut DbConn,
    d: &mut Dice,
    cast: &Cast,
    at: DateTime<Utc>,
    base: &Ctx,
) -> Result<Outcome, AppError> {
    let s = subject(d);
    let citizen = cast.citizens[d.range(0, cast.citizens.len() as i64 - 1) as usize];
    let area = cast.communes[d.range(0, cast.communes.len() as i64 - 1) as usize].clone();
    let t = receive(conn, d, &s, citizen, &area, at, base)?;
    let official: Option<i64> = users::table
        .filter(users::unit_id.eq(t.unit_id))
        .filter(users::role.eq(Role::Official.as_str()))
        .order(users::id.asc())
        .select(users::id)
        .first(conn)
        .optional()?;
    let Some(official) = official else {
        return Ok(Outcome::Open);
    };
    let as_user = |id: i64, role: Role| Viewer {
        user: Some(crate::auth::CurrentUser {
            id,
            role,
            unit_id: (role == Role::Official).then_some(t.unit_id),
            verified: true,
            locale: Lang::Vi,
        }),
        secret: None,
    };
    let (staff, owner) = (
        as_user(official, Role::Official),
        as_user(citizen, Role::Citizen),
    );
    let mut stopped = false;
    for s in plan(d, s.kind, at, base) {
        if s.when >= base.now {
            stopped = true;
            break;
        }
        let viewer = if s.by_staff { &staff } else { &owner };
        db::write(conn, |c| {
            tickets::act(c, &t.code, viewer, s.action, &s.input, &as_of(base, s.when)).map(|_| ())
        })?;
    }
    let after = crate::db::tickets::find(conn, t.id)?
        .ok_or_else(|| AppError::internal("generated ticket vanished"))?;
    Ok(match after.status {
        Status::Resolved | Status::Closed => Outcome::Answered {
            rated: rate(conn, d, &after, citizen, base, stopped)?,
        },
        Status::Refused => Outcome::Refused,
        Status::Withdrawn => Outcome::Withdrawn,
        _ => Outcome::Open,
    })
}

/// The submission itself, through the workflow as the citizen's phone would send it.
fn receive(
    conn: &mut DbConn,
    d: &mut Dice,
    s: &Subject,
    citizen: i64,
    area: &str,
    at: DateTime<Utc>,
    base: &Ctx,
) -> Result<Ticket, AppError> {
    let (lat, lon) = areas::find(conn, area)?
        .map(|a| {
            (
                Some(a.lat + d.range(-50, 50) as f64 / 10_000.0),
                Some(a.lon + d.range(-50, 50) as f64 / 10_000.0),
            )
        })
        .unwrap_or((None, None));
    let learned_on = base.day_end.local_date(at) - Duration::days(10);
    let submission = Submission {
        kind: s.kind,
        category: s.category.to_string(),
        title: s.title.to_string(),
        description: format!("{} (dữ liệu mẫu).", s.title),
        lat,
        lon,
        area_code: area.to_string(),
        address: None,
        attributes: s.attributes.clone(),
        private: false,
        channel: Channel::App,
        sender: Sender::Citizen { user_id: citizen },
        accused_unit_id: None,
        contested: (s.kind == Kind::Complaint)
            .then(|| json!({"type": "act", "learned_on": learned_on})),
        filing_late: false,
        attachments: vec![],
        appeal_of: None,
        round: 1,
        actor: Some((citizen, Role::Citizen)),
    };
    db::write(conn, |c| tickets::submit(c, &submission, &as_of(base, at)))
}

/// What happens to a ticket, in order (cut at `now` by the caller): about 5 % withdrawn,
/// 7 % refused, the rest accepted — some late, some waiting for the citizen, denunciations
/// sometimes extended — then answered (some late), and some reopened and answered again.
fn plan(d: &mut Dice, kind: Kind, at: DateTime<Utc>, base: &Ctx) -> Vec<Step> {
    let mut plan = vec![];
    let roll = d.range(0, 99);
    if roll < 5 {
        let when = at + Duration::hours(d.range(1, 48));
        plan.push(step(when, false, Action::Withdraw, ActionInput::default()));
        if kind == Kind::Denunciation {
            // A denouncer's withdrawal is a request the unit decides on.
            let days = d.range(1, 3);
            let granted = working_later(d, base, when, days);
            plan.push(step(
                granted,
                true,
                Action::GrantWithdrawal,
                say("Không có dấu hiệu vi phạm."),
            ));
        }
        return plan;
    }
    if roll < 12 {
        let days = d.range(1, 3);
        let when = working_later(d, base, at, days);
        plan.push(step(
            when,
            true,
            Action::Refuse,
            say("Không thuộc thẩm quyền."),
        ));
        return plan;
    }
    // Acceptance: usually within a few working days, sometimes late.
    let days = if d.chance(12) {
        d.range(8, 14)
    } else {
        d.range(0, 5)
    };
    let mut when = working_later(d, base, at, days);
    plan.push(step(when, true, Action::Accept, ActionInput::default()));
    if d.chance(12) {
        when += Duration::hours(d.range(2, 30));
        plan.push(step(
            when,
            true,
            Action::RequestInfo,
            say("Xin bổ sung thông tin."),
        ));
        when += Duration::hours(d.range(12, 140));
        plan.push(step(
            when,
            false,
            Action::ProvideInfo,
            say("Thông tin bổ sung."),
        ));
    }
    if kind == Kind::Denunciation && d.chance(30) {
        when += Duration::days(d.range(5, 25));
        let mut ext = say("Vụ việc phức tạp.");
        ext.days = Some(d.range(10, 30) as u32);
        plan.push(step(when, true, Action::Extend, ext));
    }
    let resolve_days = match kind {
        Kind::Feedback | Kind::Petition => {
            if d.chance(18) {
                d.range(21, 45)
            } else {
                d.range(1, 18)
            }
        }
        Kind::Complaint => d.range(10, 45),
        Kind::Denunciation => d.range(15, 70),
    };
    when = when.max(at + Duration::days(resolve_days) + Duration::minutes(d.range(0, 600)));
    let mut answer = say("Đơn vị đã xử lý và trả lời.");
    answer.publish = kind.may_be_public() && d.chance(80);
    plan.push(step(when, true, Action::Resolve, answer.clone()));
    if kind.may_be_public() && d.chance(6) {
        when += Duration::days(d.range(1, 5));
        plan.push(step(
            when,
            false,
            Action::Reopen,
            say("Vẫn chưa được khắc phục."),
        ));
        when += Duration::days(d.range(2, 8));
        plan.push(step(when, true, Action::Resolve, answer));
    }
    plan
}

/// Rates an answer, two to ninety-six hours later, about two times in three (mostly 4 and
/// 5), unless its plan was cut short; whether it did.
fn rate(
    conn: &mut DbConn,
    d: &mut Dice,
    t: &Ticket,
    citizen: i64,
    base: &Ctx,
    cut_short: bool,
) -> Result<bool, AppError> {
    let when =
        t.resolved_at.map(|r| r.and_utc()).unwrap_or(base.now) + Duration::hours(d.range(2, 96));
    if cut_short || when >= base.now || !d.chance(65) {
        return Ok(false);
    }
    let score = match d.range(0, 99) {
        0..=9 => 1,
        10..=19 => 2,
        20..=39 => 3,
        40..=69 => 4,
        _ => 5,
    };
    db::write(conn, |c| {
        tickets::rate(
            c,
            t,
            Some((citizen, Role::Citizen)),
            score,
            None,
            when.naive_utc(),
        )
        .map(|_| ())
    })?;
    Ok(true)
}
