//! The messages nghedan sends, by name. The outbox stores the name; `notify::messages` holds
//! the words of each in Vietnamese and English. An unknown stored name is an error where the
//! row is read, never a message sent with the wrong words.

/// One kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    // Account mail: never turned off by an unsubscribe.
    VerifyEmail,
    PasswordReset,
    StaffInvite,
    // To the submitter.
    TicketReceived,
    TicketAccepted,
    TicketRefused,
    TicketQuestion,
    TicketQuestionWithdrawn,
    TicketQuestionExpired,
    TicketForwarded,
    TicketExtended,
    TicketProgress,
    TicketAnswered,
    TicketClosed,
    TicketWithdrawn,
    TicketWithdrawalDeclined,
    // To the unit.
    UnitNewTicket,
    UnitAppeal,
    UnitInfoProvided,
    UnitInfoProvidedLate,
    UnitQuestionExpired,
    UnitReopened,
    UnitWithdrawalRequested,
    UnitReminder,
    UnitUpdateDue,
    UnitReopenRequested,
    EscalationOverdue,
    /// To an official: a ticket was assigned to them.
    UnitAssigned,
    /// To the handling official(s): the submitter commented.
    UnitCitizenComment,
    /// To a staff member: the day's digest of the events they chose to hear of that way.
    DailyDigest,
    /// To the residents of its areas: a unit published an announcement.
    AnnouncementPublished,
    /// To a consultation's participants: the unit published its synthesis.
    ConsultationSynthesis,
    /// To the unit: a follow-up (a synthesis, a commitment) is due soon.
    FollowUpReminder,
    /// To the unit, the parent unit and the supervisors: a follow-up missed its date.
    FollowUpOverdue,
    /// To a citizen: their booked reception day is tomorrow.
    ReceptionDayReminder,
    /// To the residents of its areas: a dialogue or voter meeting is scheduled.
    DialogueScheduled,
    /// To those who asked or supported a question: the unit's answer (and commitment).
    DialogueAnswered,
    /// To everyone who took part: the minutes are published.
    DialogueMinutes,
    /// To those who asked or supported a question: its commitment was kept, or missed.
    DialogueCommitmentOutcome,
}

impl Template {
    pub const ALL: [Template; 39] = [
        Template::VerifyEmail,
        Template::PasswordReset,
        Template::StaffInvite,
        Template::TicketReceived,
        Template::TicketAccepted,
        Template::TicketRefused,
        Template::TicketQuestion,
        Template::TicketQuestionWithdrawn,
        Template::TicketQuestionExpired,
        Template::TicketForwarded,
        Template::TicketExtended,
        Template::TicketProgress,
        Template::TicketAnswered,
        Template::TicketClosed,
        Template::TicketWithdrawn,
        Template::TicketWithdrawalDeclined,
        Template::UnitNewTicket,
        Template::UnitAppeal,
        Template::UnitInfoProvided,
        Template::UnitInfoProvidedLate,
        Template::UnitQuestionExpired,
        Template::UnitReopened,
        Template::UnitWithdrawalRequested,
        Template::UnitReminder,
        Template::UnitUpdateDue,
        Template::UnitReopenRequested,
        Template::EscalationOverdue,
        Template::UnitAssigned,
        Template::UnitCitizenComment,
        Template::DailyDigest,
        Template::AnnouncementPublished,
        Template::ConsultationSynthesis,
        Template::FollowUpReminder,
        Template::FollowUpOverdue,
        Template::ReceptionDayReminder,
        Template::DialogueScheduled,
        Template::DialogueAnswered,
        Template::DialogueMinutes,
        Template::DialogueCommitmentOutcome,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Template::VerifyEmail => "verify_email",
            Template::PasswordReset => "password_reset",
            Template::StaffInvite => "staff_invite",
            Template::TicketReceived => "ticket_received",
            Template::TicketAccepted => "ticket_accepted",
            Template::TicketRefused => "ticket_refused",
            Template::TicketQuestion => "ticket_question",
            Template::TicketQuestionWithdrawn => "ticket_question_withdrawn",
            Template::TicketQuestionExpired => "ticket_question_expired",
            Template::TicketForwarded => "ticket_forwarded",
            Template::TicketExtended => "ticket_extended",
            Template::TicketProgress => "ticket_progress",
            Template::TicketAnswered => "ticket_answered",
            Template::TicketClosed => "ticket_closed",
            Template::TicketWithdrawn => "ticket_withdrawn",
            Template::TicketWithdrawalDeclined => "ticket_withdrawal_declined",
            Template::UnitNewTicket => "unit_new_ticket",
            Template::UnitAppeal => "unit_appeal",
            Template::UnitInfoProvided => "unit_info_provided",
            Template::UnitInfoProvidedLate => "unit_info_provided_late",
            Template::UnitQuestionExpired => "unit_question_expired",
            Template::UnitReopened => "unit_reopened",
            Template::UnitWithdrawalRequested => "unit_withdrawal_requested",
            Template::UnitReminder => "unit_reminder",
            Template::UnitUpdateDue => "unit_update_due",
            Template::UnitReopenRequested => "unit_reopen_requested",
            Template::EscalationOverdue => "escalation_overdue",
            Template::UnitAssigned => "unit_assigned",
            Template::UnitCitizenComment => "unit_citizen_comment",
            Template::DailyDigest => "daily_digest",
            Template::AnnouncementPublished => "announcement_published",
            Template::ConsultationSynthesis => "consultation_synthesis",
            Template::FollowUpReminder => "follow_up_reminder",
            Template::FollowUpOverdue => "follow_up_overdue",
            Template::ReceptionDayReminder => "reception_day_reminder",
            Template::DialogueScheduled => "dialogue_scheduled",
            Template::DialogueAnswered => "dialogue_answered",
            Template::DialogueMinutes => "dialogue_minutes",
            Template::DialogueCommitmentOutcome => "dialogue_commitment_outcome",
        }
    }

    pub fn parse(s: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether its recipient may turn this mail off (account and security mail may not).
    pub fn unsubscribable(self) -> bool {
        !matches!(
            self,
            Template::VerifyEmail | Template::PasswordReset | Template::StaffInvite
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut names: Vec<&str> = Template::ALL.iter().map(|t| t.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Template::ALL.len());
        for t in Template::ALL {
            assert_eq!(Template::parse(t.as_str()), Some(t));
        }
        assert_eq!(Template::parse("ticket_anwsered"), None);
    }
}
