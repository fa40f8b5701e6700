//! What an allowed action does, as data: the ticket's new fields, the clocks' changes by
//! name, the timeline event and who is told with which message. `workflow::tickets::apply`
//! carries a [`Decision`] out; adding an action means a row in [`transition`], its effects
//! here, its body and its texts.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Status;
use super::action::{Action, Facts, Party, Refusal, transition};
use crate::domain::clock::ClockChange;
use crate::domain::message::Template;
use crate::domain::policy::ClockName;

/// What came with the action: its checked body, and what the workflow looked up for it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// accept: the case is complex (longer limits).
    pub complex: bool,
    /// extend: days to add.
    pub days: u32,
    /// resolve: publish the answer.
    pub publish: bool,
    /// provide_info by the unit: the submitter's answer given in person.
    pub on_behalf: bool,
    /// forward: the unit it goes to (checked: active, another, allowed to hold it).
    pub unit_id: Option<i64>,
    /// assign: an official of the unit, or nobody.
    pub assignee: Option<i64>,
    /// resolve: the answer.
    pub answer: Option<String>,
    /// mark_duplicate: the original's id and code (checked: readable, another).
    pub original: Option<(i64, String)>,
}

/// The ticket's fields an action sets (`None`: unchanged).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    pub unit_id: Option<i64>,
    pub assignee_id: Option<Option<i64>>,
    pub accepted_at: Option<Option<DateTime<Utc>>>,
    pub resolved_at: Option<Option<DateTime<Utc>>>,
    pub closed_at: Option<Option<DateTime<Utc>>>,
    pub complex: Option<bool>,
    pub public: Option<bool>,
    pub answer: Option<Option<String>>,
    pub answer_public: Option<bool>,
    pub withdrawal_requested: Option<bool>,
    pub reopen_count: Option<i32>,
    pub duplicate_of_id: Option<Option<i64>>,
    /// A reopening takes back the rating of the answer it reopens.
    pub clear_rating: bool,
    pub status_before_info: Option<Option<Status>>,
    pub info_requested_at: Option<Option<DateTime<Utc>>>,
    pub info_lapsed: Option<bool>,
    /// Reports read the pause events of only the tickets that were ever paused.
    pub paused_once: Option<bool>,
}

/// Who hears of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The signed-in submitter, or the contact address an anonymous or desk submitter left.
    Submitter,
    /// Those who follow or support the ticket.
    Followers,
    /// The holding unit's officials and mailbox (after the action: a forward's new unit).
    Staff,
    /// The assigned official, or the unit's staff when nobody is assigned.
    AssigneeOrStaff,
    /// The assigned official only (nobody when nobody is).
    Assignee,
}

/// One message of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub to: Audience,
    pub template: Template,
}

/// More than the ticket's own row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// mark_duplicate: the followers move to the original.
    MoveFollowers { into: i64 },
    /// appeal: a second-round complaint is submitted at the second-round authority.
    SecondRound,
}

/// What an allowed action does.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub to: Status,
    /// The timeline event.
    pub event: &'static str,
    /// Whether the submitter and the public see the event (internal ones are for staff).
    pub public: bool,
    /// What the event records besides its text.
    pub data: Value,
    pub changes: Changes,
    /// Applied in order.
    pub clocks: Vec<ClockChange>,
    pub notices: Vec<Notice>,
    pub follow_up: Option<FollowUp>,
}

fn tell(to: Audience, template: Template) -> Notice {
    Notice { to, template }
}

/// Decides whether `party` may take `action` with `req` on a ticket with facts `f`, and
/// everything that follows.
pub fn decide(f: &Facts, party: Party, action: Action, req: &Request) -> Result<Decision, Refusal> {
    let tr = transition(f, party, action)?;
    let mut d = Decision {
        to: tr.to,
        event: tr.event,
        public: true,
        data: json!({}),
        changes: Changes::default(),
        clocks: vec![],
        notices: vec![],
        follow_up: None,
    };
    match action {
        Action::Accept | Action::Refuse | Action::Forward | Action::Assign => {
            intake(&mut d, f, action, req)
        }
        Action::RequestInfo | Action::ProvideInfo | Action::Suspend | Action::Resume => {
            question(&mut d, f, party, action, req)
        }
        Action::Extend
        | Action::ProgressNote
        | Action::Resolve
        | Action::Reopen
        | Action::Close => answer(&mut d, f, party, action, req),
        Action::Withdraw
        | Action::GrantWithdrawal
        | Action::DeclineWithdrawal
        | Action::MarkDuplicate
        | Action::Appeal => ending(&mut d, f, action, req),
    }
    if matches!(d.to, Status::Refused | Status::Withdrawn) {
        d.changes.closed_at = Some(Some(f.now));
    }
    if d.clocks.contains(&ClockChange::PauseAll) {
        d.changes.paused_once = Some(true);
    }
    Ok(d)
}

/// Accepting, refusing, forwarding and assigning a new ticket.
fn intake(d: &mut Decision, f: &Facts, action: Action, req: &Request) {
    let c = &mut d.changes;
    match action {
        Action::Accept => {
            c.accepted_at = Some(Some(f.now));
            c.complex = Some(req.complex);
            c.public = Some(f.kind.may_be_public() && !f.private);
            d.clocks.push(ClockChange::Accepted {
                complex: req.complex,
                remote: f.remote,
            });
            d.data = json!({"complex": req.complex});
            d.notices
                .push(tell(Audience::Submitter, Template::TicketAccepted));
        }
        Action::Refuse => {
            d.clocks.push(ClockChange::Stop(ClockName::Accept));
            d.clocks.push(ClockChange::StopAll);
            d.notices
                .push(tell(Audience::Submitter, Template::TicketRefused));
        }
        Action::Forward => {
            let target = req.unit_id.unwrap_or(f.unit_id);
            c.unit_id = Some(target);
            c.assignee_id = Some(None);
            c.accepted_at = Some(None);
            d.clocks.push(ClockChange::Stop(ClockName::Forward));
            d.clocks.push(ClockChange::Reset);
            d.data = json!({"from_unit_id": f.unit_id, "to_unit_id": target});
            d.notices
                .push(tell(Audience::Staff, Template::UnitNewTicket));
            d.notices
                .push(tell(Audience::Submitter, Template::TicketForwarded));
        }
        _ => {
            c.assignee_id = Some(req.assignee);
            d.public = false;
            d.data = json!({"assignee_id": req.assignee});
            if req.assignee.is_some() {
                d.notices
                    .push(tell(Audience::Assignee, Template::UnitAssigned));
            }
        }
    }
}

/// Questions to the submitter and their answers, and suspensions: the clocks pause and run
/// again.
fn question(d: &mut Decision, f: &Facts, party: Party, action: Action, req: &Request) {
    let c = &mut d.changes;
    match action {
        Action::RequestInfo => {
            c.status_before_info = Some(Some(f.status));
            c.info_requested_at = Some(Some(f.now));
            c.info_lapsed = Some(false);
            d.clocks.push(ClockChange::PauseAll);
            d.notices
                .push(tell(Audience::Submitter, Template::TicketQuestion));
        }
        Action::ProvideInfo if f.status != Status::AwaitingInfo => {
            // A late answer after the question lapsed: kept, the state and clocks untouched.
            c.info_lapsed = Some(false);
            d.data = json!({"on_behalf": req.on_behalf});
            d.notices.push(tell(
                Audience::AssigneeOrStaff,
                Template::UnitInfoProvidedLate,
            ));
        }
        Action::ProvideInfo | Action::Resume if f.status == Status::AwaitingInfo => {
            d.to = f.status_before_info.unwrap_or(Status::Submitted);
            c.status_before_info = Some(None);
            c.info_requested_at = Some(None);
            c.info_lapsed = Some(action == Action::Resume);
            d.clocks.push(ClockChange::ResumeAll);
            let (to, templates): (Audience, &[Template]) = match (action, party) {
                (Action::ProvideInfo, _) => {
                    d.data = json!({"on_behalf": req.on_behalf});
                    (Audience::AssigneeOrStaff, &[Template::UnitInfoProvided])
                }
                (_, Party::System) => {
                    d.notices.push(tell(
                        Audience::AssigneeOrStaff,
                        Template::UnitQuestionExpired,
                    ));
                    (Audience::Submitter, &[Template::TicketQuestionExpired])
                }
                _ => (Audience::Submitter, &[Template::TicketQuestionWithdrawn]),
            };
            d.notices.extend(templates.iter().map(|t| tell(to, *t)));
        }
        Action::Suspend => d.clocks.push(ClockChange::PauseAll),
        Action::Resume => d.clocks.push(ClockChange::ResumeAll),
        _ => {}
    }
}

/// Working towards the answer, the answer itself, and what follows it.
fn answer(d: &mut Decision, f: &Facts, party: Party, action: Action, req: &Request) {
    let c = &mut d.changes;
    match action {
        Action::Extend => {
            d.clocks
                .push(ClockChange::Extend(ClockName::Resolve, req.days));
            d.data = json!({"days": req.days});
            d.notices
                .push(tell(Audience::Submitter, Template::TicketExtended));
        }
        Action::ProgressNote => {
            d.clocks.push(ClockChange::Restart(ClockName::Update));
            d.notices
                .push(tell(Audience::Submitter, Template::TicketProgress));
        }
        Action::Resolve => {
            let publish = req.publish && f.kind.may_be_public() && !f.private;
            c.resolved_at = Some(Some(f.now));
            c.answer = Some(req.answer.clone());
            c.answer_public = Some(publish);
            if publish {
                c.public = Some(true);
            }
            d.clocks.push(ClockChange::StopAll);
            d.data = json!({"published": publish});
            d.notices
                .push(tell(Audience::Submitter, Template::TicketAnswered));
            d.notices
                .push(tell(Audience::Followers, Template::TicketAnswered));
        }
        Action::Reopen => {
            c.reopen_count = Some(f.reopen_count + 1);
            c.resolved_at = Some(None);
            c.closed_at = Some(None);
            c.clear_rating = true;
            d.clocks.push(ClockChange::Restart(ClockName::Resolve));
            d.clocks.push(ClockChange::Restart(ClockName::Update));
            d.notices
                .push(tell(Audience::AssigneeOrStaff, Template::UnitReopened));
        }
        _ => {
            c.closed_at = Some(Some(f.now));
            if party == Party::System {
                d.data = json!({"automatic": true});
            }
            d.notices
                .push(tell(Audience::Submitter, Template::TicketClosed));
        }
    }
}

/// The ways a ticket leaves the unit's hands without an answer, and the appeal.
fn ending(d: &mut Decision, f: &Facts, action: Action, req: &Request) {
    let c = &mut d.changes;
    match action {
        Action::Withdraw if d.to == f.status => {
            // A denunciation's withdrawal is a request the unit decides.
            c.withdrawal_requested = Some(true);
            d.notices.push(tell(
                Audience::AssigneeOrStaff,
                Template::UnitWithdrawalRequested,
            ));
        }
        Action::Withdraw => d.clocks.push(ClockChange::StopAll),
        Action::GrantWithdrawal => {
            c.withdrawal_requested = Some(false);
            d.clocks.push(ClockChange::StopAll);
            d.notices
                .push(tell(Audience::Submitter, Template::TicketWithdrawn));
        }
        Action::DeclineWithdrawal => {
            c.withdrawal_requested = Some(false);
            d.notices.push(tell(
                Audience::Submitter,
                Template::TicketWithdrawalDeclined,
            ));
        }
        Action::MarkDuplicate => {
            if let Some((id, code)) = &req.original {
                c.duplicate_of_id = Some(Some(*id));
                d.data = json!({"of": code});
                d.follow_up = Some(FollowUp::MoveFollowers { into: *id });
            }
            c.closed_at = Some(Some(f.now));
            d.clocks.push(ClockChange::StopAll);
        }
        _ => d.follow_up = Some(FollowUp::SecondRound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::Kind;
    use chrono::TimeZone;

    fn facts(kind: Kind, status: Status) -> Facts {
        Facts {
            kind,
            status,
            round: 1,
            complaint_suspension: false,
            resolved_at: None,
            resolve_missed: false,
            withdrawal_requested: false,
            info_lapsed: false,
            private: false,
            remote: false,
            status_before_info: None,
            reopen_count: 0,
            unit_id: 7,
            now: Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap(),
        }
    }

    #[test]
    fn acceptance_publishes_what_may_be_public_and_starts_the_clocks() {
        let f = facts(Kind::Feedback, Status::Submitted);
        let req = Request {
            complex: true,
            ..Request::default()
        };
        let d = decide(&f, Party::HandlingOfficial, Action::Accept, &req).unwrap();
        assert_eq!(d.to, Status::Accepted);
        assert_eq!(d.changes.public, Some(true));
        assert_eq!(d.changes.accepted_at, Some(Some(f.now)));
        assert_eq!(
            d.clocks,
            [ClockChange::Accepted {
                complex: true,
                remote: false
            }]
        );
        assert_eq!(
            d.notices,
            [tell(Audience::Submitter, Template::TicketAccepted)]
        );
        let mut private = f.clone();
        private.private = true;
        let d = decide(&private, Party::HandlingOfficial, Action::Accept, &req).unwrap();
        assert_eq!(d.changes.public, Some(false));
        let d = decide(
            &facts(Kind::Denunciation, Status::Submitted),
            Party::HandlingOfficial,
            Action::Accept,
            &req,
        )
        .unwrap();
        assert_eq!(d.changes.public, Some(false), "never a denunciation");
    }

    #[test]
    fn a_question_pauses_and_its_end_returns_to_the_state_before() {
        let f = facts(Kind::Feedback, Status::Accepted);
        let asked = decide(
            &f,
            Party::HandlingOfficial,
            Action::RequestInfo,
            &Request::default(),
        )
        .unwrap();
        assert_eq!(
            asked.changes.status_before_info,
            Some(Some(Status::Accepted))
        );
        assert_eq!(asked.changes.paused_once, Some(true));
        let mut waiting = facts(Kind::Feedback, Status::AwaitingInfo);
        waiting.status_before_info = Some(Status::Accepted);
        let answered = decide(
            &waiting,
            Party::Submitter,
            Action::ProvideInfo,
            &Request::default(),
        )
        .unwrap();
        assert_eq!(answered.to, Status::Accepted);
        assert_eq!(answered.clocks, [ClockChange::ResumeAll]);
        assert_eq!(answered.changes.info_lapsed, Some(false));
        let expired = decide(&waiting, Party::System, Action::Resume, &Request::default()).unwrap();
        assert_eq!(expired.changes.info_lapsed, Some(true));
        assert_eq!(
            expired.notices,
            [
                tell(Audience::AssigneeOrStaff, Template::UnitQuestionExpired),
                tell(Audience::Submitter, Template::TicketQuestionExpired)
            ]
        );
    }

    #[test]
    fn a_refusal_or_withdrawal_closes_and_stops_every_clock() {
        let f = facts(Kind::Feedback, Status::Submitted);
        for action in [Action::Refuse, Action::Withdraw] {
            let party = action.by();
            let d = decide(&f, party, action, &Request::default()).unwrap();
            assert_eq!(d.changes.closed_at, Some(Some(f.now)), "{action:?}");
            assert!(d.clocks.contains(&ClockChange::StopAll), "{action:?}");
        }
        // A denunciation's withdrawal is only a request.
        let f = facts(Kind::Denunciation, Status::Accepted);
        let d = decide(&f, Party::Submitter, Action::Withdraw, &Request::default()).unwrap();
        assert_eq!(d.changes.closed_at, None);
        assert_eq!(d.changes.withdrawal_requested, Some(true));
        assert!(d.clocks.is_empty());
    }

    #[test]
    fn an_answer_is_published_only_where_it_may_be() {
        let f = facts(Kind::Petition, Status::Accepted);
        let req = Request {
            publish: true,
            answer: Some("Đã xong.".into()),
            ..Request::default()
        };
        let d = decide(&f, Party::HandlingOfficial, Action::Resolve, &req).unwrap();
        assert_eq!(d.changes.answer_public, Some(true));
        assert_eq!(d.changes.public, Some(true));
        assert_eq!(d.changes.answer, Some(Some("Đã xong.".into())));
        assert!(
            d.notices
                .contains(&tell(Audience::Followers, Template::TicketAnswered))
        );
        let f = facts(Kind::Complaint, Status::Accepted);
        let d = decide(&f, Party::HandlingOfficial, Action::Resolve, &req).unwrap();
        assert_eq!(d.changes.answer_public, Some(false));
        assert_eq!(d.changes.public, None);
    }
}
