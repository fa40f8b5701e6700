//! How a staff member hears of what happens to the tickets they work on: for each event, by
//! email and by push separately, at once, in one daily digest, or not at all; and the hour of
//! the digest (local time). Messages that no event covers (a citizen's own messages about their
//! tickets, account mail, a supervisor's reopen request, a citizen reopening or asking to
//! withdraw) go as they always did, at once, by the account's email and push switches.
//!
//! The defaults are what nghedan sent before there were choices: `immediate` on both channels
//! for every event it told staff of, `off` for `assigned`, which it did not tell.

use serde::{Deserialize, Serialize};

use super::message::Template;

/// An event a staff member may hear of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// A new ticket (or second-round complaint) reached my unit.
    NewTicket,
    /// A ticket was assigned to me.
    Assigned,
    /// A deadline is near: the reminders at 75 % of the time and on the last day, and the
    /// progress note owed to the citizen.
    DueSoon,
    /// A deadline was missed (and escalated).
    Overdue,
    /// A citizen answered a request for information, or commented.
    CitizenReply,
}

impl Event {
    pub const ALL: [Event; 5] = [
        Event::NewTicket,
        Event::Assigned,
        Event::DueSoon,
        Event::Overdue,
        Event::CitizenReply,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::NewTicket => "new_ticket",
            Event::Assigned => "assigned",
            Event::DueSoon => "due_soon",
            Event::Overdue => "overdue",
            Event::CitizenReply => "citizen_reply",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// The event a message to staff is about; `None` for messages the choices do not cover.
    pub fn of(template: Template) -> Option<Event> {
        Some(match template {
            Template::UnitNewTicket | Template::UnitAppeal => Event::NewTicket,
            Template::UnitAssigned => Event::Assigned,
            Template::UnitReminder | Template::UnitUpdateDue | Template::FollowUpReminder => {
                Event::DueSoon
            }
            Template::EscalationOverdue | Template::FollowUpOverdue => Event::Overdue,
            Template::UnitInfoProvided
            | Template::UnitInfoProvidedLate
            | Template::UnitCitizenComment => Event::CitizenReply,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How an event reaches a person on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Choice {
    /// A message of its own, at once (as before there were choices).
    Immediate,
    /// A line in the day's digest, sent once a day at the digest hour.
    Digest,
    /// Nothing on this channel (the in-app list still shows it).
    Off,
}

impl Choice {
    pub const ALL: [Choice; 3] = [Choice::Immediate, Choice::Digest, Choice::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            Choice::Immediate => "immediate",
            Choice::Digest => "digest",
            Choice::Off => "off",
        }
    }

    pub fn parse(s: &str) -> Option<Choice> {
        Choice::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The choices of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    pub email: Choice,
    pub push: Choice,
}

/// The digest goes at 07:00 local time unless the person chose another hour.
pub const DEFAULT_DIGEST_HOUR: u8 = 7;

/// A person's choices for every event, and their digest hour (0–23, local time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    events: [Channels; 5],
    digest_hour: u8,
}

impl Default for Preferences {
    fn default() -> Self {
        let mut events = [Channels {
            email: Choice::Immediate,
            push: Choice::Immediate,
        }; 5];
        // nghedan did not tell an official of an assignment before there were choices.
        events[Event::Assigned.index()] = Channels {
            email: Choice::Off,
            push: Choice::Off,
        };
        Preferences {
            events,
            digest_hour: DEFAULT_DIGEST_HOUR,
        }
    }
}

impl Preferences {
    pub fn of(&self, e: Event) -> Channels {
        self.events[e.index()]
    }

    pub fn set(&mut self, e: Event, c: Channels) {
        self.events[e.index()] = c;
    }

    pub fn digest_hour(&self) -> u8 {
        self.digest_hour
    }

    /// Sets the hour of the digest; an hour past 23 is refused.
    pub fn set_digest_hour(&mut self, hour: u8) -> Result<(), HourOutOfRange> {
        if hour > 23 {
            return Err(HourOutOfRange);
        }
        self.digest_hour = hour;
        Ok(())
    }

    /// How a message with `template` reaches this person by email and by push: the choice of
    /// its event, or `immediate` when no event covers it.
    pub fn for_template(&self, template: Template) -> Channels {
        match Event::of(template) {
            Some(e) => self.of(e),
            None => Channels {
                email: Choice::Immediate,
                push: Choice::Immediate,
            },
        }
    }
}

/// The digest hour is 0–23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourOutOfRange;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_what_was_sent_before_there_were_choices() {
        let p = Preferences::default();
        for e in Event::ALL {
            let expected = if e == Event::Assigned {
                Choice::Off
            } else {
                Choice::Immediate
            };
            assert_eq!(
                p.of(e),
                Channels {
                    email: expected,
                    push: expected
                },
                "{e:?}"
            );
        }
        assert_eq!(p.digest_hour(), 7);
    }

    #[test]
    fn only_staff_messages_follow_the_choices() {
        let mut p = Preferences::default();
        let off = Channels {
            email: Choice::Off,
            push: Choice::Off,
        };
        for e in Event::ALL {
            p.set(e, off);
        }
        for t in Template::ALL {
            let expected = Event::of(t).is_some();
            assert_eq!(p.for_template(t) == off, expected, "{}", t.as_str());
        }
        // A citizen's own messages never have an event.
        for t in [
            Template::TicketReceived,
            Template::TicketAnswered,
            Template::VerifyEmail,
            Template::DailyDigest,
        ] {
            assert_eq!(Event::of(t), None);
        }
    }

    #[test]
    fn names_parse_back_and_the_hour_is_checked() {
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
        for c in Choice::ALL {
            assert_eq!(Choice::parse(c.as_str()), Some(c));
        }
        assert_eq!(Choice::parse("weekly"), None);
        let mut p = Preferences::default();
        assert_eq!(p.set_digest_hour(24), Err(HourOutOfRange));
        assert_eq!(p.set_digest_hour(0), Ok(()));
        assert_eq!(p.digest_hour(), 0);
    }
}
