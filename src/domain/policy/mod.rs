//! Deadline policies: which clocks a ticket runs and how long each one is, chosen by the
//! ticket's kind, complaint round, category, channel and urgency.
//!
//! Pure: the policies and the ticket's facts are passed in. The shipped defaults
//! ([`defaults`]) encode DOMAIN.md's "Deadlines" table; administrators may change them.
//!
//! One policy is chosen per ticket ([`select`]) and it carries every clock the ticket runs; policies
//! are not layered. So a more specific policy (say, for feedback received in person) repeats
//! the clocks of the kind's policy it keeps. That makes each ticket's rules readable in one
//! place and lets an administrator drop a clock for a case (urgent feedback has no `update`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::calendar::MAX_PERIOD_DAYS;
use super::deadlines::{ClockInput, Counting, Lengths, Period};

/// The longest length, in days, a policy may set for a clock or an extension.
pub const MAX_LENGTH_DAYS: u32 = MAX_PERIOD_DAYS;

/// The most extensions a clock may allow.
pub const MAX_EXTENSIONS: u32 = 10;

// One kind and one channel for tickets and policies alike.
pub use super::ticket::{Channel, Kind as TicketKind};

/// The clocks a policy may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockName {
    /// Decide whether to accept (thụ lý), or, received in person, answer about acceptance.
    Accept,
    /// Forward a denunciation outside the unit's competence, and tell the denouncer.
    Forward,
    /// Answer or decide.
    Resolve,
    /// A progress note owed every N days while the ticket is open; the policy gives N, and
    /// this clock's due moment is the first note's.
    Update,
}

impl ClockName {
    pub const ALL: [ClockName; 4] = [
        ClockName::Accept,
        ClockName::Forward,
        ClockName::Resolve,
        ClockName::Update,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClockName::Accept => "accept",
            ClockName::Forward => "forward",
            ClockName::Resolve => "resolve",
            ClockName::Update => "update",
        }
    }

    pub fn parse(s: &str) -> Option<ClockName> {
        ClockName::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The event a clock starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StartsAt {
    Receipt,
    Acceptance,
}

impl StartsAt {
    pub fn as_str(self) -> &'static str {
        match self {
            StartsAt::Receipt => "receipt",
            StartsAt::Acceptance => "acceptance",
        }
    }

    pub fn parse(s: &str) -> Option<StartsAt> {
        [StartsAt::Receipt, StartsAt::Acceptance]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// How far a clock may be extended: up to `allowed` times, each by at most `max_days`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Extensions {
    pub allowed: u32,
    pub max_days: u32,
}

/// One clock of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyClock {
    pub name: ClockName,
    pub starts_at: StartsAt,
    pub counting: Counting,
    pub lengths: Lengths,
    #[serde(default)]
    pub extensions: Extensions,
}

/// Why an extension cannot be granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionRefused {
    #[error("this clock cannot be extended")]
    NotAllowed,
    #[error("every extension this clock allows was granted")]
    Exhausted,
    #[error("an extension is 1 to {max_days} days")]
    Length { max_days: u32 },
}

impl PolicyClock {
    /// The period for a case, before extensions.
    pub fn period(&self, complex: bool, remote: bool) -> Period {
        Period {
            days: self.lengths.choose(complex, remote),
            counting: self.counting,
        }
    }

    /// What the deadline engine needs to evaluate this clock for a ticket: it starts at
    /// receipt or at acceptance (pending until then), and runs the case's length plus the
    /// extension days granted. Pauses and the stop are the ticket's, filled in by the caller.
    pub fn input(&self, facts: &ClockFacts) -> ClockInput {
        let started_at = match self.starts_at {
            StartsAt::Receipt => Some(facts.received_at),
            StartsAt::Acceptance => facts.accepted_at,
        };
        ClockInput {
            started_at,
            period: self
                .period(facts.complex, facts.remote)
                .extended([facts.extension_days]),
            pauses: Vec::new(),
            stopped_at: None,
        }
    }

    /// Whether one more extension of `days` may be granted after those in `granted`.
    pub fn check_extension(&self, granted: &[u32], days: u32) -> Result<(), ExtensionRefused> {
        let Extensions { allowed, max_days } = self.extensions;
        if allowed == 0 {
            return Err(ExtensionRefused::NotAllowed);
        }
        if granted.len() >= allowed as usize {
            return Err(ExtensionRefused::Exhausted);
        }
        if days == 0 || days > max_days {
            return Err(ExtensionRefused::Length { max_days });
        }
        Ok(())
    }
}

/// What a ticket's clock depends on besides its policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockFacts {
    pub complex: bool,
    /// The ticket's area (or its province) is flagged remote (vùng sâu, vùng xa).
    pub remote: bool,
    /// Days granted by the extensions so far, in total.
    pub extension_days: u32,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

/// A deadline policy. Changing one never changes the due dates of tickets already running:
/// a ticket keeps the due dates computed when its clocks started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub id: i64,
    pub name: String,
    pub kind: TicketKind,
    /// Complaints only: the round (1 or 2) the policy is for; `None`: either.
    pub round: Option<u8>,
    /// A category code: the policy applies to it and to its subcategories.
    pub category: Option<String>,
    pub channel: Option<Channel>,
    /// Applies only to tickets whose category is flagged urgent.
    pub urgent: bool,
    /// Inactive policies are kept but never chosen.
    pub active: bool,
    pub clocks: Vec<PolicyClock>,
}

impl Policy {
    pub fn clock(&self, name: ClockName) -> Option<&PolicyClock> {
        self.clocks.iter().find(|c| c.name == name)
    }

    /// Every rule a policy must keep, as violations naming the field by JSON Pointer (the
    /// policy's JSON shape: `/round`, `/clocks/1/lengths/normal`, …). The category's existence
    /// is the database's to check.
    pub fn check(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        match self.round {
            Some(_) if self.kind != TicketKind::Complaint => {
                out.push(Violation::new("/round", "round_only_for_complaints"));
            }
            Some(r) if !(1..=2).contains(&r) => {
                out.push(Violation::new("/round", "out_of_range").range(1, 2));
            }
            _ => {}
        }
        if self.clocks.is_empty() {
            out.push(Violation::new("/clocks", "required"));
        }
        for (i, clock) in self.clocks.iter().enumerate() {
            check_clock(&mut out, i, clock);
            if self.clocks[..i].iter().any(|c| c.name == clock.name) {
                out.push(Violation::new(
                    format!("/clocks/{i}/name"),
                    "duplicate_clock",
                ));
            }
        }
        out
    }
}

fn check_clock(out: &mut Vec<Violation>, i: usize, clock: &PolicyClock) {
    let at = |rest: &str| format!("/clocks/{i}/{rest}");
    if matches!(clock.name, ClockName::Accept | ClockName::Forward)
        && clock.starts_at != StartsAt::Receipt
    {
        out.push(Violation::new(at("starts_at"), "must_start_at_receipt"));
    }
    // A progress note owed every 0 days would be owed continuously.
    let min_normal = u32::from(clock.name == ClockName::Update);
    let l = &clock.lengths;
    let lengths = [
        ("normal", Some(l.normal), min_normal),
        ("complex", l.complex, 0),
        ("remote", l.remote, 0),
        ("complex_remote", l.complex_remote, 0),
    ];
    for (field, days, min) in lengths {
        if days.is_some_and(|d| !(min..=MAX_LENGTH_DAYS).contains(&d)) {
            out.push(
                Violation::new(at(&format!("lengths/{field}")), "out_of_range")
                    .range(min, MAX_LENGTH_DAYS),
            );
        }
    }
    let ext = clock.extensions;
    if ext.allowed > MAX_EXTENSIONS {
        out.push(Violation::new(at("extensions/allowed"), "out_of_range").range(0, MAX_EXTENSIONS));
    }
    let min_days = u32::from(ext.allowed > 0);
    if !(min_days..=MAX_LENGTH_DAYS).contains(&ext.max_days) {
        out.push(
            Violation::new(at("extensions/max_days"), "out_of_range")
                .range(min_days, MAX_LENGTH_DAYS),
        );
    }
}

/// A rule a policy breaks: the field's JSON Pointer and a stable code, with its bounds when
/// the code is `out_of_range`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub code: &'static str,
    pub range: Option<(u32, u32)>,
}

impl Violation {
    fn new(field: impl Into<String>, code: &'static str) -> Self {
        Self {
            field: field.into(),
            code,
            range: None,
        }
    }

    fn range(mut self, min: u32, max: u32) -> Self {
        self.range = Some((min, max));
        self
    }
}

/// What the choice of a policy depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts {
    pub kind: TicketKind,
    /// Complaints: 1 or 2; other kinds: `None`.
    pub round: Option<u8>,
    /// The ticket's category first, then its parent, and so on up to the root; empty when the
    /// ticket has no category.
    pub categories: Vec<String>,
    pub channel: Option<Channel>,
    /// The ticket's category is flagged urgent.
    pub urgent: bool,
}

/// How well a policy fits a ticket, compared field by field (larger is more specific), or
/// `None` when it does not apply.
type Fit = (usize, bool, bool, bool);

fn fit(policy: &Policy, facts: &TicketFacts) -> Option<Fit> {
    if !policy.active || policy.kind != facts.kind {
        return None;
    }
    let category = match &policy.category {
        None => 0,
        // The ticket's own category ranks highest, the root lowest, none below that.
        Some(code) => facts.categories.len() - facts.categories.iter().position(|c| c == code)?,
    };
    if policy.urgent && !facts.urgent {
        return None;
    }
    if policy.channel.is_some() && policy.channel != facts.channel {
        return None;
    }
    if policy.round.is_some() && policy.round != facts.round {
        return None;
    }
    Some((
        category,
        policy.urgent,
        policy.channel.is_some(),
        policy.round.is_some(),
    ))
}

/// The most specific active policy that applies to a ticket: the one whose category is
/// nearest the ticket's (the category itself beats an ancestor, which beats no category),
/// then one for urgent tickets, then one for the ticket's channel, then one for its round;
/// among equals, the lowest id.
///
/// A policy applies when its kind is the ticket's and each field it sets matches: its
/// category is the ticket's or an ancestor, `urgent` only for urgent tickets, its channel and
/// round the ticket's.
pub fn select<'a>(policies: &'a [Policy], facts: &TicketFacts) -> Option<&'a Policy> {
    policies
        .iter()
        .filter_map(|p| fit(p, facts).map(|f| (f, p)))
        .max_by(|(fa, pa), (fb, pb)| fa.cmp(fb).then(pb.id.cmp(&pa.id)))
        .map(|(_, p)| p)
}

// --- the shipped defaults -------------------------------------------------------------------

const fn lengths(normal: u32) -> Lengths {
    Lengths {
        normal,
        complex: None,
        remote: None,
        complex_remote: None,
    }
}

const NO_EXTENSIONS: Extensions = Extensions {
    allowed: 0,
    max_days: 0,
};

fn clock(
    name: ClockName,
    starts_at: StartsAt,
    counting: Counting,
    lengths: Lengths,
) -> PolicyClock {
    PolicyClock {
        name,
        starts_at,
        counting,
        lengths,
        extensions: NO_EXTENSIONS,
    }
}

fn policy(name: &str, kind: TicketKind, clocks: Vec<PolicyClock>) -> Policy {
    Policy {
        id: 0,
        name: name.to_owned(),
        kind,
        round: None,
        category: None,
        channel: None,
        urgent: false,
        active: true,
        clocks,
    }
}

/// Acceptance (thụ lý) of a complaint: 10 days from receipt, counted in working days (Law on
/// Complaints 2011, Art. 27 for the first round, Art. 36 for the second).
fn complaint_accept() -> PolicyClock {
    clock(
        ClockName::Accept,
        StartsAt::Receipt,
        Counting::WorkingDays,
        lengths(10),
    )
}

/// Complaint, first round. Law on Complaints 2011: accept within 10 days of receipt (Art. 27);
/// resolve within 30 days of acceptance, 45 if complex; in remote areas 45, complex 60
/// (Art. 28). No extensions: the law sets the complex length instead.
fn complaint_first_round() -> Policy {
    Policy {
        round: Some(1),
        ..policy(
            "Khiếu nại lần đầu (Luật Khiếu nại 2011, Điều 27–28)",
            TicketKind::Complaint,
            vec![
                complaint_accept(),
                clock(
                    ClockName::Resolve,
                    StartsAt::Acceptance,
                    Counting::CalendarDays,
                    Lengths {
                        normal: 30,
                        complex: Some(45),
                        remote: Some(45),
                        complex_remote: Some(60),
                    },
                ),
            ],
        )
    }
}

/// Complaint, second round. Law on Complaints 2011: accept within 10 days of receipt
/// (Art. 36); resolve within 45 days of acceptance, 60 if complex; in remote areas 60,
/// complex 70 (Art. 37).
fn complaint_second_round() -> Policy {
    Policy {
        round: Some(2),
        ..policy(
            "Khiếu nại lần hai (Luật Khiếu nại 2011, Điều 36–37)",
            TicketKind::Complaint,
            vec![
                complaint_accept(),
                clock(
                    ClockName::Resolve,
                    StartsAt::Acceptance,
                    Counting::CalendarDays,
                    Lengths {
                        normal: 45,
                        complex: Some(60),
                        remote: Some(60),
                        complex_remote: Some(70),
                    },
                ),
            ],
        )
    }
}

/// Denunciation. Law on Denunciations 2018: classify, verify and decide on acceptance within
/// 7 working days of receipt, 10 where verification is complex (Art. 24, 29); outside the
/// unit's competence, forward within 5 working days and tell the denouncer (Art. 24); resolve
/// within 30 days of acceptance, extended once by up to 30 days if complex, twice by up to 30
/// each if especially complex (Art. 30).
fn denunciation() -> Policy {
    policy(
        "Tố cáo (Luật Tố cáo 2018, Điều 24, 29, 30)",
        TicketKind::Denunciation,
        vec![
            clock(
                ClockName::Accept,
                StartsAt::Receipt,
                Counting::WorkingDays,
                Lengths {
                    complex: Some(10),
                    ..lengths(7)
                },
            ),
            clock(
                ClockName::Forward,
                StartsAt::Receipt,
                Counting::WorkingDays,
                lengths(5),
            ),
            PolicyClock {
                extensions: Extensions {
                    allowed: 2,
                    max_days: 30,
                },
                ..clock(
                    ClockName::Resolve,
                    StartsAt::Acceptance,
                    Counting::CalendarDays,
                    lengths(30),
                )
            },
        ],
    )
}

/// The national public-service portal's rule for feedback and petitions: answer within 20
/// days of receipt, and post a progress note every 7 days while open (DOMAIN.md).
fn portal_clocks() -> Vec<PolicyClock> {
    vec![
        clock(
            ClockName::Resolve,
            StartsAt::Receipt,
            Counting::CalendarDays,
            lengths(20),
        ),
        clock(
            ClockName::Update,
            StartsAt::Receipt,
            Counting::CalendarDays,
            lengths(7),
        ),
    ]
}

/// Feedback (phản ánh), the national public-service portal's rule: answer within 20 days,
/// a progress note every 7 days.
fn feedback() -> Policy {
    policy(
        "Phản ánh (Cổng Dịch vụ công quốc gia: 20 ngày, cập nhật 7 ngày)",
        TicketKind::Feedback,
        portal_clocks(),
    )
}

/// Petition (kiến nghị), the national public-service portal's rule: answer within 20 days,
/// a progress note every 7 days.
fn petition() -> Policy {
    policy(
        "Kiến nghị (Cổng Dịch vụ công quốc gia: 20 ngày, cập nhật 7 ngày)",
        TicketKind::Petition,
        portal_clocks(),
    )
}

/// Urgent feedback, local apps' rule (e.g. Đà Nẵng 1022): resolve within 1 working day of
/// receipt. No progress-note clock: the answer is due before the first note would be.
fn urgent_feedback() -> Policy {
    Policy {
        urgent: true,
        ..policy(
            "Phản ánh khẩn cấp (quy chế ứng dụng địa phương: 1 ngày làm việc)",
            TicketKind::Feedback,
            vec![clock(
                ClockName::Resolve,
                StartsAt::Receipt,
                Counting::WorkingDays,
                lengths(1),
            )],
        )
    }
}

/// Received in person: the citizen gets an answer about acceptance within 10 working days
/// (Law on Citizen Reception 2013, Art. 28), on top of the kind's other clocks.
///
/// Shipped for feedback and petitions only, whose own policies have no acceptance clock.
/// Complaints already have the same 10-working-day acceptance clock (Law on Complaints 2011),
/// and denunciations a shorter one (7 working days, Law on Denunciations 2018, the later and
/// specific law), so their kind's policy serves in-person receipt as it is; a copy would only
/// drift from it when an administrator edits one. Urgent feedback keeps its urgent policy
/// (urgency ranks above the channel): it is answered within a working day anyway.
fn in_person(kind: TicketKind, name: &str) -> Policy {
    let mut clocks = vec![clock(
        ClockName::Accept,
        StartsAt::Receipt,
        Counting::WorkingDays,
        lengths(10),
    )];
    clocks.extend(portal_clocks());
    Policy {
        channel: Some(Channel::InPerson),
        ..policy(name, kind, clocks)
    }
}

/// The policies shipped with nghedan (DOMAIN.md, "Deadlines"), seeded once into an empty
/// table; ids are 0 until stored.
pub fn defaults() -> Vec<Policy> {
    vec![
        complaint_first_round(),
        complaint_second_round(),
        denunciation(),
        feedback(),
        petition(),
        urgent_feedback(),
        in_person(
            TicketKind::Feedback,
            "Phản ánh tiếp nhận trực tiếp (Luật Tiếp công dân 2013, Điều 28)",
        ),
        in_person(
            TicketKind::Petition,
            "Kiến nghị tiếp nhận trực tiếp (Luật Tiếp công dân 2013, Điều 28)",
        ),
    ]
}

#[cfg(test)]
mod tests;
