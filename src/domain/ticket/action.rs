//! The state machine: who may take which action from which state, and what the action does
//! — the new status, the timeline event, the ticket's changed fields, the clocks' changes and
//! who is told with which message — as data that `workflow::tickets` carries out.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{Kind, Status};

/// The workflow actions, named as in `POST /tickets/{code}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Accept,
    Refuse,
    Forward,
    Assign,
    RequestInfo,
    ProvideInfo,
    Suspend,
    Resume,
    Extend,
    ProgressNote,
    Resolve,
    Reopen,
    Close,
    Withdraw,
    GrantWithdrawal,
    DeclineWithdrawal,
    Appeal,
    MarkDuplicate,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::Accept,
        Action::Refuse,
        Action::Forward,
        Action::Assign,
        Action::RequestInfo,
        Action::ProvideInfo,
        Action::Suspend,
        Action::Resume,
        Action::Extend,
        Action::ProgressNote,
        Action::Resolve,
        Action::Reopen,
        Action::Close,
        Action::Withdraw,
        Action::GrantWithdrawal,
        Action::DeclineWithdrawal,
        Action::Appeal,
        Action::MarkDuplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Refuse => "refuse",
            Action::Forward => "forward",
            Action::Assign => "assign",
            Action::RequestInfo => "request_info",
            Action::ProvideInfo => "provide_info",
            Action::Suspend => "suspend",
            Action::Resume => "resume",
            Action::Extend => "extend",
            Action::ProgressNote => "progress_note",
            Action::Resolve => "resolve",
            Action::Reopen => "reopen",
            Action::Close => "close",
            Action::Withdraw => "withdraw",
            Action::GrantWithdrawal => "grant_withdrawal",
            Action::DeclineWithdrawal => "decline_withdrawal",
            Action::Appeal => "appeal",
            Action::MarkDuplicate => "mark_duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Who may ever take this action.
    pub fn by(self) -> Party {
        match self {
            Action::ProvideInfo
            | Action::Reopen
            | Action::Close
            | Action::Withdraw
            | Action::Appeal => Party::Submitter,
            _ => Party::HandlingOfficial,
        }
    }
}

/// The caller's relation to a ticket it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Party {
    /// Sent it (signed in, or holding the anonymous tracking secret).
    Submitter,
    /// An official of the unit holding it (or of a parent that sees its subunits).
    HandlingOfficial,
    /// Anyone else who may read it: a supervisor, an administrator, another citizen reading
    /// a public ticket. May act on nothing.
    Reader,
    /// A handling official recording what the submitter said in person (`on_behalf`):
    /// only their answer to a question.
    OnBehalfOfSubmitter,
    /// nghedan itself (the sweep): ends a question left unanswered too long, and closes an
    /// answer its submitter left alone.
    System,
}

impl Action {
    /// Whether `party` may ever take this action.
    pub fn taken_by(self, party: Party) -> bool {
        match party {
            Party::OnBehalfOfSubmitter => self == Action::ProvideInfo,
            Party::System => matches!(self, Action::Resume | Action::Close),
            p => self.by() == p,
        }
    }
}

/// How long after the answer a submitter may reopen (feedback and petitions).
pub const REOPEN_WINDOW: Duration = Duration::days(30);

/// What the machine needs to know about the ticket.
#[derive(Debug, Clone)]
pub struct Facts {
    pub kind: Kind,
    pub status: Status,
    pub round: i32,
    /// Suspension is allowed for complaints only where an administrator enabled it.
    pub complaint_suspension: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    /// The resolve clock ran out before an answer (opens a complaint's second round).
    pub resolve_missed: bool,
    pub withdrawal_requested: bool,
    /// A question to the submitter was withdrawn or ran out unanswered: a late answer is
    /// still taken, as a comment.
    pub info_lapsed: bool,
    /// The submitter asked that it never be public.
    pub private: bool,
    /// From a remote area (longer limits).
    pub remote: bool,
    /// Waiting for the submitter: the state the answer returns it to.
    pub status_before_info: Option<Status>,
    pub reopen_count: i32,
    /// The unit holding it.
    pub unit_id: i64,
    pub now: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not this caller's action (403 `action_forbidden`).
    Forbidden,
    /// Not from the current state (409 `invalid_transition`).
    InvalidTransition,
}

/// What an allowed action does to the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: Status,
    /// The timeline event it writes.
    pub event: &'static str,
}

fn to(to: Status, event: &'static str) -> Result<Transition, Refusal> {
    Ok(Transition { to, event })
}

/// Whether `party` may take `action` on a ticket with these facts, to which state, with
/// which event ([`super::decide`] adds the rest). Withdrawing a denunciation is a request the
/// unit grants or declines (a violation may have to be pursued anyway), so it leaves the
/// status as it is.
pub fn transition(f: &Facts, party: Party, action: Action) -> Result<Transition, Refusal> {
    if !action.taken_by(party) {
        return Err(Refusal::Forbidden);
    }
    use Status::*;
    let s = f.status;
    let no = Err(Refusal::InvalidTransition);
    match action {
        Action::Accept => match s {
            Submitted => to(Accepted, "accepted"),
            _ => no,
        },
        Action::Refuse => match s {
            Submitted => to(Refused, "refused"),
            _ => no,
        },
        Action::Forward => match s {
            Submitted | Accepted => to(Submitted, "forwarded"),
            _ => no,
        },
        Action::Assign => match s {
            _ if s.is_open() => to(s, "assigned"),
            _ => no,
        },
        Action::RequestInfo => match s {
            Submitted | Accepted => to(AwaitingInfo, "info_requested"),
            _ => no,
        },
        Action::ProvideInfo => match s {
            // The state it returns to is kept on the ticket.
            AwaitingInfo => to(AwaitingInfo, "info_provided"),
            _ if s.is_open() && f.info_lapsed => to(s, "info_provided_late"),
            _ => no,
        },
        Action::Suspend => {
            let allowed = f.kind == Kind::Denunciation
                || (f.kind == Kind::Complaint && f.complaint_suspension);
            match s {
                Accepted if allowed => to(Suspended, "suspended"),
                _ => no,
            }
        }
        Action::Resume => match s {
            Suspended if party == Party::HandlingOfficial => to(Accepted, "resumed"),
            // Withdrawing the question; the state it returns to is kept on the ticket.
            AwaitingInfo if party == Party::System => to(AwaitingInfo, "info_wait_expired"),
            AwaitingInfo => to(AwaitingInfo, "info_request_withdrawn"),
            _ => no,
        },
        Action::Extend => match s {
            Accepted => to(Accepted, "extended"),
            _ => no,
        },
        Action::ProgressNote => match s {
            _ if s.is_open() => to(s, "progress_note"),
            _ => no,
        },
        Action::Resolve => match s {
            Accepted => to(Resolved, "resolved"),
            _ => no,
        },
        Action::Reopen => {
            let in_time = f.resolved_at.is_some_and(|r| f.now - r <= REOPEN_WINDOW);
            match s {
                Resolved | Closed if f.kind.may_be_public() && in_time => to(Accepted, "reopened"),
                _ => no,
            }
        }
        Action::Close => match s {
            Resolved => to(Closed, "closed"),
            _ => no,
        },
        Action::Withdraw => match s {
            _ if s.is_open() && f.kind == Kind::Denunciation => {
                if f.withdrawal_requested {
                    no
                } else {
                    to(s, "withdrawal_requested")
                }
            }
            _ if s.is_open() => to(Withdrawn, "withdrawn"),
            _ => no,
        },
        Action::GrantWithdrawal => match s {
            _ if s.is_open() && f.withdrawal_requested => to(Withdrawn, "withdrawn"),
            _ => no,
        },
        Action::DeclineWithdrawal => match s {
            _ if s.is_open() && f.withdrawal_requested => to(s, "withdrawal_declined"),
            _ => no,
        },
        Action::Appeal => {
            let first_round = f.kind == Kind::Complaint && f.round == 1;
            match s {
                Resolved | Closed if first_round => to(s, "appealed"),
                _ if first_round && s.is_open() && f.resolve_missed => to(s, "appealed"),
                _ => no,
            }
        }
        Action::MarkDuplicate => match s {
            _ if s.is_open() => to(Closed, "marked_duplicate"),
            _ => no,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    fn facts(kind: Kind, status: Status) -> Facts {
        let now = DateTime::parse_from_rfc3339("2026-11-23T03:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        Facts {
            kind,
            status,
            round: 1,
            complaint_suspension: false,
            resolved_at: Some(now - Duration::days(3)),
            resolve_missed: false,
            withdrawal_requested: false,
            info_lapsed: false,
            private: false,
            remote: false,
            status_before_info: None,
            reopen_count: 0,
            unit_id: 1,
            now,
        }
    }

    /// The allowed (action, from) → to of the table, for a feedback ticket (and the
    /// kind-specific rows below). Everything not listed must be refused.
    fn allowed(kind: Kind) -> Vec<(Action, Status, Status)> {
        let open = [Submitted, Accepted, AwaitingInfo, Suspended];
        let mut v = vec![
            (Action::Accept, Submitted, Accepted),
            (Action::Refuse, Submitted, Refused),
            (Action::Forward, Submitted, Submitted),
            (Action::Forward, Accepted, Submitted),
            (Action::RequestInfo, Submitted, AwaitingInfo),
            (Action::RequestInfo, Accepted, AwaitingInfo),
            (Action::ProvideInfo, AwaitingInfo, AwaitingInfo),
            (Action::Resume, Suspended, Accepted),
            (Action::Resume, AwaitingInfo, AwaitingInfo),
            (Action::Extend, Accepted, Accepted),
            (Action::Resolve, Accepted, Resolved),
            (Action::Close, Resolved, Closed),
        ];
        for s in open {
            v.push((Action::Assign, s, s));
            v.push((Action::ProgressNote, s, s));
            v.push((Action::MarkDuplicate, s, Closed));
            if kind == Kind::Denunciation {
                v.push((Action::Withdraw, s, s));
            } else {
                v.push((Action::Withdraw, s, Withdrawn));
            }
        }
        if kind.may_be_public() {
            v.push((Action::Reopen, Resolved, Accepted));
            v.push((Action::Reopen, Closed, Accepted));
        }
        if kind == Kind::Denunciation {
            v.push((Action::Suspend, Accepted, Suspended));
        }
        if kind == Kind::Complaint {
            v.push((Action::Appeal, Resolved, Resolved));
            v.push((Action::Appeal, Closed, Closed));
        }
        v
    }

    #[test]
    fn every_state_action_and_party() {
        for kind in [
            Kind::Feedback,
            Kind::Petition,
            Kind::Complaint,
            Kind::Denunciation,
        ] {
            let table = allowed(kind);
            for status in Status::ALL {
                for action in Action::ALL {
                    for party in [
                        Party::Submitter,
                        Party::HandlingOfficial,
                        Party::Reader,
                        Party::OnBehalfOfSubmitter,
                        Party::System,
                    ] {
                        let got = transition(&facts(kind, status), party, action);
                        let expected = table
                            .iter()
                            .find(|(a, from, _)| *a == action && *from == status);
                        let case = format!("{kind:?} {status:?} {action:?} {party:?}");
                        if !action.taken_by(party) {
                            assert_eq!(got, Err(Refusal::Forbidden), "{case}");
                        } else if party == Party::System {
                            let ok = match action {
                                Action::Resume => status == AwaitingInfo,
                                _ => status == Resolved,
                            };
                            assert_eq!(got.is_ok(), ok, "{case}");
                        } else if let Some((_, _, to)) = expected {
                            assert_eq!(got.map(|t| t.to), Ok(*to), "{case}");
                        } else {
                            assert_eq!(got, Err(Refusal::InvalidTransition), "{case}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn reopening_closes_after_thirty_days() {
        let mut f = facts(Kind::Feedback, Resolved);
        f.resolved_at = Some(f.now - Duration::days(31));
        assert_eq!(
            transition(&f, Party::Submitter, Action::Reopen),
            Err(Refusal::InvalidTransition)
        );
    }

    #[test]
    fn suspension_of_complaints_needs_the_setting_and_appeals_a_missed_deadline() {
        let mut f = facts(Kind::Complaint, Accepted);
        assert!(transition(&f, Party::HandlingOfficial, Action::Suspend).is_err());
        f.complaint_suspension = true;
        assert_eq!(
            transition(&f, Party::HandlingOfficial, Action::Suspend).map(|t| t.to),
            Ok(Suspended)
        );
        // An open first-round complaint whose resolve clock ran out may go to round 2.
        assert!(transition(&f, Party::Submitter, Action::Appeal).is_err());
        f.resolve_missed = true;
        assert!(transition(&f, Party::Submitter, Action::Appeal).is_ok());
        f.round = 2;
        assert!(transition(&f, Party::Submitter, Action::Appeal).is_err());
    }

    #[test]
    fn a_denunciation_withdrawal_is_a_request_the_unit_decides() {
        let mut f = facts(Kind::Denunciation, Accepted);
        assert_eq!(
            transition(&f, Party::Submitter, Action::Withdraw),
            Ok(Transition {
                to: Accepted,
                event: "withdrawal_requested"
            })
        );
        assert!(transition(&f, Party::HandlingOfficial, Action::GrantWithdrawal).is_err());
        f.withdrawal_requested = true;
        assert!(transition(&f, Party::Submitter, Action::Withdraw).is_err());
        assert_eq!(
            transition(&f, Party::HandlingOfficial, Action::GrantWithdrawal).map(|t| t.to),
            Ok(Withdrawn)
        );
        assert_eq!(
            transition(&f, Party::HandlingOfficial, Action::DeclineWithdrawal).map(|t| t.to),
            Ok(Accepted)
        );
    }

    #[test]
    fn a_question_is_withdrawn_by_the_unit_or_lapses_and_a_late_answer_is_a_comment() {
        let f = facts(Kind::Feedback, AwaitingInfo);
        let event = |party| transition(&f, party, Action::Resume).map(|t| t.event);
        assert_eq!(event(Party::HandlingOfficial), Ok("info_request_withdrawn"));
        assert_eq!(event(Party::System), Ok("info_wait_expired"));
        assert_eq!(event(Party::Submitter), Err(Refusal::Forbidden));
        // The system resumes nothing else: a suspension is the unit's to lift.
        let suspended = facts(Kind::Denunciation, Suspended);
        assert!(transition(&suspended, Party::System, Action::Resume).is_err());
        // After the question lapsed, the answer is still taken, leaving the state alone.
        let mut f = facts(Kind::Feedback, Accepted);
        assert!(transition(&f, Party::Submitter, Action::ProvideInfo).is_err());
        f.info_lapsed = true;
        assert_eq!(
            transition(&f, Party::Submitter, Action::ProvideInfo),
            Ok(Transition {
                to: Accepted,
                event: "info_provided_late"
            })
        );
        // An official may record the answer given in person.
        let f = facts(Kind::Feedback, AwaitingInfo);
        assert!(transition(&f, Party::OnBehalfOfSubmitter, Action::ProvideInfo).is_ok());
        assert!(transition(&f, Party::OnBehalfOfSubmitter, Action::Withdraw).is_err());
    }
}
