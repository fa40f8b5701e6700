//! Citizen reception (tiếp công dân, Law on Citizen Reception 2013): the kinds of reception,
//! what came of one, the legal grounds for refusing one, and the identity numbers the
//! register keeps only hashed.

use serde::{Deserialize, Serialize};

/// Which reception a visit was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// At the reception office, on its regular hours.
    Regular,
    /// On a reception day of the unit's head (lịch tiếp công dân của người đứng đầu).
    HeadDay,
    /// Any other time (an urgent case, a visit outside the schedule).
    Unscheduled,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Regular, Kind::HeadDay, Kind::Unscheduled];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Regular => "regular",
            Kind::HeadDay => "head_day",
            Kind::Unscheduled => "unscheduled",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What came of a reception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Explained, guided to the right procedure; nothing to handle.
    Guided,
    /// Received as a ticket (kiến nghị, phản ánh, khiếu nại, tố cáo) of channel `in_person`.
    ReceivedAsTicket,
    /// Not this unit's to handle: the visitor was referred to the competent unit.
    Referred,
    /// Refused on one of the grounds the law lists.
    Refused,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Guided,
        Outcome::ReceivedAsTicket,
        Outcome::Referred,
        Outcome::Refused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Guided => "guided",
            Outcome::ReceivedAsTicket => "received_as_ticket",
            Outcome::Referred => "referred",
            Outcome::Refused => "refused",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The grounds on which a unit may refuse to receive someone (Law on Citizen Reception 2013,
/// article 9). A fixed list: a refusal names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefusalGround {
    /// Drunk or under the influence of a stimulant.
    Intoxicated,
    /// A mental illness or another illness that takes away the capacity to understand.
    LacksCapacity,
    /// Threatens or insults the unit or its staff, or breaks the reception's rules.
    Disorderly,
    /// A matter settled lawfully, reviewed and answered in writing, brought again.
    RepeatedAfterFinalAnswer,
    /// Another case the law provides for (the note names it).
    OtherByLaw,
}

impl RefusalGround {
    pub const ALL: [RefusalGround; 5] = [
        RefusalGround::Intoxicated,
        RefusalGround::LacksCapacity,
        RefusalGround::Disorderly,
        RefusalGround::RepeatedAfterFinalAnswer,
        RefusalGround::OtherByLaw,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefusalGround::Intoxicated => "intoxicated",
            RefusalGround::LacksCapacity => "lacks_capacity",
            RefusalGround::Disorderly => "disorderly",
            RefusalGround::RepeatedAfterFinalAnswer => "repeated_after_final_answer",
            RefusalGround::OtherByLaw => "other_by_law",
        }
    }

    pub fn parse(s: &str) -> Option<RefusalGround> {
        RefusalGround::ALL.into_iter().find(|g| g.as_str() == s)
    }

    /// Whether the refusal must say more in its note.
    pub fn needs_note(self) -> bool {
        self == RefusalGround::OtherByLaw
    }
}

/// The smallest crowd reception (đoàn đông người: five people or more, Decree 64/2014).
pub const CROWD_MIN: i32 = 5;
/// A crowd speaks through at most five representatives (Law on Citizen Reception, art. 30).
pub const REPRESENTATIVES_MAX: i32 = 5;

/// A Vietnamese identity number: the 12 digits of a citizen identity card (CCCD) or the 9 of
/// an old identity card (CMND). Spaces and dots typed between the digits are dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber(String);

impl IdNumber {
    pub fn parse(raw: &str) -> Result<IdNumber, &'static str> {
        let digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-'))
            .collect();
        if (digits.len() == 12 || digits.len() == 9) && digits.chars().all(|c| c.is_ascii_digit()) {
            Ok(IdNumber(digits))
        } else {
            Err("invalid_id_number")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last three digits: enough to tell two visitors apart on screen, not to identify.
    pub fn tail(&self) -> &str {
        &self.0[self.0.len() - 3..]
    }

    /// How a view shows a stored tail: `•••••••••123`.
    pub fn masked(tail: &str) -> String {
        format!("•••••••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        for g in RefusalGround::ALL {
            assert_eq!(RefusalGround::parse(g.as_str()), Some(g));
        }
        assert_eq!(Outcome::parse("drunk"), None);
    }

    #[test]
    fn identity_numbers_are_nine_or_twelve_digits() {
        let n = IdNumber::parse("092 085 001 234").unwrap();
        assert_eq!(n.as_str(), "092085001234");
        assert_eq!(n.tail(), "234");
        assert_eq!(
            IdNumber::parse("361.234.567").unwrap().as_str(),
            "361234567"
        );
        for bad in [
            "",
            "12345",
            "0920850012345",
            "09208500123a",
            "１２３４５６７８９",
        ] {
            assert_eq!(IdNumber::parse(bad), Err("invalid_id_number"), "{bad}");
        }
        assert_eq!(IdNumber::masked("234"), "•••••••••234");
    }
}
