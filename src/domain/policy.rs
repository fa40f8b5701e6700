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
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::calendar::Calendar;
    use crate::domain::deadlines::{ClockState, DayEnd, evaluate};

    fn with_ids(policies: Vec<Policy>) -> Vec<Policy> {
        policies
            .into_iter()
            .zip(1..)
            .map(|(p, id)| Policy { id, ..p })
            .collect()
    }

    fn scoped(
        id: i64,
        kind: TicketKind,
        category: Option<&str>,
        urgent: bool,
        channel: Option<Channel>,
        round: Option<u8>,
    ) -> Policy {
        Policy {
            id,
            name: format!("p{id}"),
            kind,
            round,
            category: category.map(str::to_owned),
            channel,
            urgent,
            active: true,
            clocks: vec![clock(
                ClockName::Resolve,
                StartsAt::Receipt,
                Counting::CalendarDays,
                lengths(id as u32),
            )],
        }
    }

    fn facts(
        kind: TicketKind,
        categories: &[&str],
        urgent: bool,
        channel: Option<Channel>,
        round: Option<u8>,
    ) -> TicketFacts {
        TicketFacts {
            kind,
            round,
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            channel,
            urgent,
        }
    }

    use Channel::{App, InPerson, Post};
    use TicketKind::{Complaint, Denunciation, Feedback, Petition};

    /// A set of policies covering each rule, and one ticket per row with the id it must get.
    #[test]
    fn the_most_specific_policy_wins() {
        let policies = vec![
            scoped(1, Feedback, None, false, None, None),
            scoped(2, Feedback, Some("roads"), false, None, None),
            scoped(3, Feedback, Some("potholes"), false, None, None),
            scoped(4, Feedback, None, true, None, None),
            scoped(5, Feedback, None, false, Some(InPerson), None),
            scoped(6, Complaint, None, false, None, Some(1)),
            scoped(7, Complaint, None, false, None, Some(2)),
            scoped(8, Complaint, None, false, None, None),
            scoped(9, Complaint, None, false, Some(InPerson), None),
            scoped(10, Feedback, Some("roads"), false, Some(InPerson), None),
            scoped(11, Feedback, None, true, Some(InPerson), None),
            scoped(12, Feedback, None, false, None, None),
            scoped(13, Petition, Some("roads"), true, None, None),
        ];
        #[rustfmt::skip] // one case per line reads as a table
        let cases: &[(&str, TicketFacts, Option<i64>)] = &[
            ("no category: the kind's policy, the lower id of two equals", facts(Feedback, &[], false, Some(App), None), Some(1)),
            ("a subcategory inherits its parent's policy", facts(Feedback, &["signs", "roads"], false, Some(App), None), Some(2)),
            ("the category itself beats its parent", facts(Feedback, &["potholes", "roads"], false, Some(App), None), Some(3)),
            ("a deeper category beats an ancestor, three levels", facts(Feedback, &["deep", "potholes", "roads"], false, None, None), Some(3)),
            ("a category elsewhere in the tree does not apply", facts(Feedback, &["lights", "power"], false, None, None), Some(1)),
            ("urgent tickets get the urgent policy", facts(Feedback, &["fire"], true, Some(App), None), Some(4)),
            ("a category match beats urgency", facts(Feedback, &["roads"], true, Some(App), None), Some(2)),
            ("urgency beats the channel", facts(Feedback, &["fire"], true, Some(Post), None), Some(4)),
            ("urgent and in person beats urgent alone", facts(Feedback, &[], true, Some(InPerson), None), Some(11)),
            ("in person gets the in-person policy", facts(Feedback, &[], false, Some(InPerson), None), Some(5)),
            ("category and channel beat category alone", facts(Feedback, &["roads"], false, Some(InPerson), None), Some(10)),
            ("a category match beats a channel match", facts(Feedback, &["potholes", "roads"], false, Some(InPerson), None), Some(3)),
            ("complaint, round 1", facts(Complaint, &[], false, Some(App), Some(1)), Some(6)),
            ("complaint, round 2", facts(Complaint, &[], false, Some(App), Some(2)), Some(7)),
            ("the channel beats the round", facts(Complaint, &[], false, Some(InPerson), Some(2)), Some(9)),
            ("an urgent policy never applies to a non-urgent ticket", facts(Petition, &["roads"], false, None, None), None),
            ("no policy for the kind", facts(Denunciation, &[], false, None, None), None),
        ];
        for (what, facts, expected) in cases {
            assert_eq!(select(&policies, facts).map(|p| p.id), *expected, "{what}");
        }
    }

    #[test]
    fn a_complaint_without_a_round_gets_only_a_policy_for_either_round() {
        let policies = vec![
            scoped(1, Complaint, None, false, None, Some(1)),
            scoped(2, Complaint, None, false, None, None),
        ];
        let ticket = facts(Complaint, &[], false, None, None);
        assert_eq!(select(&policies, &ticket).map(|p| p.id), Some(2));
    }

    #[test]
    fn inactive_policies_are_never_chosen() {
        let mut specific = scoped(2, Feedback, Some("roads"), false, None, None);
        specific.active = false;
        let policies = vec![scoped(1, Feedback, None, false, None, None), specific];
        let ticket = facts(Feedback, &["roads"], false, None, None);
        assert_eq!(select(&policies, &ticket).map(|p| p.id), Some(1));
    }

    #[test]
    fn the_lower_id_wins_among_equals_whatever_the_order() {
        let policies = vec![
            scoped(9, Feedback, None, false, None, None),
            scoped(3, Feedback, None, false, None, None),
            scoped(5, Feedback, None, false, None, None),
        ];
        let ticket = facts(Feedback, &[], false, None, None);
        assert_eq!(select(&policies, &ticket).map(|p| p.id), Some(3));
    }

    fn shipped_calendar() -> Calendar {
        let csv = include_str!("../../assets/data/vn-public-holidays.csv");
        let holidays = Calendar::parse_holidays_csv(csv).unwrap();
        Calendar::new(holidays.into_iter().map(|(d, _)| d), [])
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The due date of `name` under the shipped default chosen for `ticket`.
    fn due(ticket: &TicketFacts, name: ClockName, clock_facts: &ClockFacts) -> Option<NaiveDate> {
        let defaults = with_ids(defaults());
        let policy = select(&defaults, ticket).expect("a default applies");
        let input = policy.clock(name)?.input(clock_facts);
        let started = input.started_at?;
        let view = evaluate(&shipped_calendar(), &DayEnd::default(), &input, started);
        assert_eq!(view.state, ClockState::Running);
        view.due_local_date
    }

    fn received(at_: &str) -> ClockFacts {
        ClockFacts {
            complex: false,
            remote: false,
            extension_days: 0,
            received_at: at(at_),
            accepted_at: None,
        }
    }

    /// The hand-worked cases of `deadlines.rs`, reached through the shipped defaults.
    #[test]
    fn the_defaults_give_the_hand_worked_due_dates() {
        let complaint = facts(Complaint, &[], false, Some(App), Some(1));
        let before_tet = received("2026-02-13T10:00:00+07:00");
        assert_eq!(
            due(&complaint, ClockName::Accept, &before_tet),
            Some(date("2026-03-06"))
        );
        assert_eq!(
            due(&complaint, ClockName::Resolve, &before_tet),
            None,
            "pending"
        );

        let accepted = ClockFacts {
            accepted_at: Some(at("2026-03-06T09:00:00+07:00")),
            ..before_tet.clone()
        };
        let resolve = |complex, remote| {
            let f = ClockFacts {
                complex,
                remote,
                ..accepted.clone()
            };
            due(&complaint, ClockName::Resolve, &f)
        };
        assert_eq!(resolve(false, false), Some(date("2026-04-06")));
        assert_eq!(resolve(true, false), Some(date("2026-04-20")));
        assert_eq!(resolve(false, true), Some(date("2026-04-20")));
        assert_eq!(resolve(true, true), Some(date("2026-05-05")));

        let second = facts(Complaint, &[], false, Some(App), Some(2));
        let july = ClockFacts {
            accepted_at: Some(at("2026-07-03T09:00:00+07:00")),
            ..received("2026-07-01T09:00:00+07:00")
        };
        assert_eq!(
            due(&second, ClockName::Resolve, &july),
            Some(date("2026-08-17"))
        );
        let july_both = ClockFacts {
            complex: true,
            remote: true,
            ..july
        };
        assert_eq!(
            due(&second, ClockName::Resolve, &july_both),
            Some(date("2026-09-11"))
        );

        let denunciation = facts(Denunciation, &[], false, Some(App), None);
        let april = received("2026-04-24T10:00:00+07:00");
        assert_eq!(
            due(&denunciation, ClockName::Accept, &april),
            Some(date("2026-05-08"))
        );
        let april_complex = ClockFacts {
            complex: true,
            ..april.clone()
        };
        assert_eq!(
            due(&denunciation, ClockName::Accept, &april_complex),
            Some(date("2026-05-13"))
        );
        assert_eq!(
            due(&denunciation, ClockName::Forward, &april),
            Some(date("2026-05-06"))
        );
        let extended_twice = ClockFacts {
            accepted_at: Some(at("2026-05-08T10:00:00+07:00")),
            extension_days: 60,
            ..april
        };
        assert_eq!(
            due(&denunciation, ClockName::Resolve, &extended_twice),
            Some(date("2026-08-06"))
        );

        let urgent = facts(Feedback, &["flood"], true, Some(App), None);
        assert_eq!(
            due(
                &urgent,
                ClockName::Resolve,
                &received("2026-03-13T16:30:00+07:00")
            ),
            Some(date("2026-03-16"))
        );

        let portal = facts(Feedback, &[], false, Some(App), None);
        assert_eq!(
            due(
                &portal,
                ClockName::Resolve,
                &received("2026-01-29T10:00:00+07:00")
            ),
            Some(date("2026-02-23"))
        );

        let in_person = facts(Petition, &[], false, Some(InPerson), None);
        let august = received("2026-08-25T10:00:00+07:00");
        assert_eq!(
            due(&in_person, ClockName::Accept, &august),
            Some(date("2026-09-10"))
        );
        assert_eq!(
            due(&in_person, ClockName::Resolve, &august),
            Some(date("2026-09-14")),
            "25/8 + 20 = Mon 14/9"
        );
    }

    #[test]
    fn every_kind_received_in_person_is_told_about_acceptance_within_10_working_days() {
        let defaults = with_ids(defaults());
        for kind in TicketKind::ALL {
            let round = (kind == Complaint).then_some(1);
            let ticket = facts(kind, &[], false, Some(InPerson), round);
            let accept = select(&defaults, &ticket)
                .and_then(|p| p.clock(ClockName::Accept))
                .unwrap_or_else(|| panic!("{kind:?} in person has an accept clock"));
            assert_eq!(accept.starts_at, StartsAt::Receipt);
            assert_eq!(accept.counting, Counting::WorkingDays);
            assert!(accept.lengths.normal <= 10, "{kind:?}");
        }
    }

    #[test]
    fn the_defaults_are_valid_and_cover_every_kind() {
        for p in defaults() {
            assert_eq!(p.check(), vec![], "{}", p.name);
        }
        let defaults = with_ids(defaults());
        for kind in TicketKind::ALL {
            let round = (kind == Complaint).then_some(1);
            for channel in Channel::ALL {
                let ticket = facts(kind, &[], false, Some(channel), round);
                assert!(select(&defaults, &ticket).is_some(), "{kind:?} {channel:?}");
            }
        }
    }

    #[test]
    fn a_clock_starting_at_acceptance_is_pending_until_then() {
        let p = complaint_first_round();
        let resolve = p.clock(ClockName::Resolve).unwrap();
        let f = received("2026-02-13T10:00:00+07:00");
        assert_eq!(resolve.input(&f).started_at, None);
        let accepted = ClockFacts {
            accepted_at: Some(at("2026-03-06T09:00:00+07:00")),
            ..f
        };
        assert_eq!(
            resolve.input(&accepted).started_at,
            Some(at("2026-03-06T02:00:00Z"))
        );
        assert_eq!(resolve.input(&accepted).period, Period::calendar_days(30));
    }

    #[test]
    fn extensions_are_checked_against_the_clock() {
        let d = denunciation();
        let resolve = d.clock(ClockName::Resolve).unwrap();
        assert_eq!(resolve.check_extension(&[], 30), Ok(()));
        assert_eq!(resolve.check_extension(&[30], 15), Ok(()));
        assert_eq!(
            resolve.check_extension(&[30, 30], 10),
            Err(ExtensionRefused::Exhausted)
        );
        assert_eq!(
            resolve.check_extension(&[], 31),
            Err(ExtensionRefused::Length { max_days: 30 })
        );
        assert_eq!(
            resolve.check_extension(&[], 0),
            Err(ExtensionRefused::Length { max_days: 30 })
        );
        let accept = d.clock(ClockName::Accept).unwrap();
        assert_eq!(
            accept.check_extension(&[], 5),
            Err(ExtensionRefused::NotAllowed)
        );
    }

    fn fields(p: &Policy) -> Vec<(String, &'static str)> {
        p.check().into_iter().map(|v| (v.field, v.code)).collect()
    }

    #[test]
    fn checks_name_each_broken_rule_by_pointer() {
        let mut p = denunciation();
        assert_eq!(fields(&p), vec![]);
        p.round = Some(1);
        p.clocks[1].starts_at = StartsAt::Acceptance;
        p.clocks[1].lengths.complex = Some(3661);
        p.clocks[2].name = ClockName::Accept;
        p.clocks[2].starts_at = StartsAt::Receipt;
        p.clocks[2].extensions = Extensions {
            allowed: 11,
            max_days: 0,
        };
        assert_eq!(
            fields(&p),
            vec![
                ("/round".to_owned(), "round_only_for_complaints"),
                ("/clocks/1/starts_at".to_owned(), "must_start_at_receipt"),
                ("/clocks/1/lengths/complex".to_owned(), "out_of_range"),
                ("/clocks/2/extensions/allowed".to_owned(), "out_of_range"),
                ("/clocks/2/extensions/max_days".to_owned(), "out_of_range"),
                ("/clocks/2/name".to_owned(), "duplicate_clock"),
            ]
        );
        let ranged = p.check().into_iter().find(|v| v.field.ends_with("complex"));
        assert_eq!(ranged.unwrap().range, Some((0, 3660)));

        let mut c = complaint_first_round();
        c.round = Some(3);
        c.clocks.clear();
        assert_eq!(
            fields(&c),
            vec![
                ("/round".to_owned(), "out_of_range"),
                ("/clocks".to_owned(), "required"),
            ]
        );

        let mut f = feedback();
        f.clocks[1].lengths.normal = 0;
        assert_eq!(
            fields(&f),
            vec![("/clocks/1/lengths/normal".to_owned(), "out_of_range")]
        );
    }

    #[test]
    fn clocks_round_trip_through_json() {
        let clocks = denunciation().clocks;
        let text = serde_json::to_string(&clocks).unwrap();
        let back: Vec<PolicyClock> = serde_json::from_str(&text).unwrap();
        assert_eq!(back, clocks);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v[2],
            serde_json::json!({
                "name": "resolve", "starts_at": "acceptance", "counting": "calendar_days",
                "lengths": {"normal": 30, "complex": null, "remote": null, "complex_remote": null},
                "extensions": {"allowed": 2, "max_days": 30}
            })
        );
    }

    #[test]
    fn kinds_and_channels_parse_their_names() {
        for k in TicketKind::ALL {
            assert_eq!(TicketKind::parse(k.as_str()), Some(k));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
    }
}
