//! Citizen reception (tiếp công dân, Law on Citizen Reception 2013): the kinds of reception,
//! what came of one, the legal grounds for refusing one, and the identity numbers the
//! register keeps only hashed.

use serde::{Deserialize, Serialize};

/// Which reception a visit was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ReceptionKind)]
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

// --- the report -----------------------------------------------------------------------

/// One reception as the report counts it.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub unit_id: i64,
    /// The local date it was received on.
    pub day: chrono::NaiveDate,
    pub kind: Kind,
    pub visitors: i32,
    pub crowd: bool,
    pub outcome: Outcome,
}

/// How many receptions ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Outcomes {
    pub guided: u64,
    pub received_as_ticket: u64,
    pub referred: u64,
    pub refused: u64,
}

/// A group's reception figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = ReceptionFigures)]
pub struct Figures {
    /// Receptions (lượt tiếp).
    pub visits: u64,
    /// People received (a crowd counts its size).
    pub visitors: u64,
    /// Crowd receptions (đoàn đông người), also counted in `visits`.
    pub crowd_receptions: u64,
    /// Days on which the unit's head received citizens: distinct (unit, local date) with a
    /// `head_day` reception or a published reception day (not cancelled, not in the future).
    pub head_days_held: u64,
    pub outcomes: Outcomes,
}

/// The change from the same period a year before, in per cent, one decimal (`-25.5`);
/// `null` where the earlier figure is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub visits: Option<f64>,
    pub visitors: Option<f64>,
    pub crowd_receptions: Option<f64>,
    pub head_days_held: Option<f64>,
}

impl Change {
    pub fn between(now: &Figures, before: &Figures) -> Change {
        Change {
            visits: change_pct(now.visits, before.visits),
            visitors: change_pct(now.visitors, before.visitors),
            crowd_receptions: change_pct(now.crowd_receptions, before.crowd_receptions),
            head_days_held: change_pct(now.head_days_held, before.head_days_held),
        }
    }
}

/// `now` against `before` in per cent, rounded half away from zero to one decimal.
pub fn change_pct(now: u64, before: u64) -> Option<f64> {
    if before == 0 {
        return None;
    }
    let pct = (now as f64 - before as f64) * 100.0 / before as f64;
    Some((pct * 10.0).round() / 10.0)
}

/// Adds receptions up into [`Figures`].
#[derive(Debug, Clone, Default)]
pub struct Tally {
    figures: Figures,
    head_days: std::collections::HashSet<(i64, chrono::NaiveDate)>,
}

impl Tally {
    pub fn add(&mut self, r: &Counted) {
        let f = &mut self.figures;
        f.visits += 1;
        f.visitors += r.visitors.max(0) as u64;
        if r.crowd {
            f.crowd_receptions += 1;
        }
        if r.kind == Kind::HeadDay {
            self.head_days.insert((r.unit_id, r.day));
        }
        let o = &mut f.outcomes;
        match r.outcome {
            Outcome::Guided => o.guided += 1,
            Outcome::ReceivedAsTicket => o.received_as_ticket += 1,
            Outcome::Referred => o.referred += 1,
            Outcome::Refused => o.refused += 1,
        }
    }

    /// A day the unit's head received citizens, known otherwise than from a `head_day`
    /// reception (a published reception day held).
    pub fn add_head_day(&mut self, unit_id: i64, day: chrono::NaiveDate) {
        self.head_days.insert((unit_id, day));
    }

    pub fn figures(&self) -> Figures {
        Figures {
            head_days_held: self.head_days.len() as u64,
            ..self.figures
        }
    }
}

/// The same period a year before: each date a year earlier (29 February becomes the 28th).
pub fn year_before(d: chrono::NaiveDate) -> chrono::NaiveDate {
    d.checked_sub_months(chrono::Months::new(12)).unwrap_or(d)
}

// --- the heads' reception days --------------------------------------------------------

/// How often a unit's head must receive citizens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// At least one day each week (Monday to Sunday).
    Week,
    /// At least one day each calendar month.
    Month,
}

impl Frequency {
    /// The whole periods (first day, last day) that lie within `from..=to`, in order.
    pub fn periods(
        self,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Vec<(chrono::NaiveDate, chrono::NaiveDate)> {
        use chrono::Datelike;
        let mut out = Vec::new();
        let mut start = match self {
            Frequency::Week => {
                let back = from.weekday().num_days_from_monday() as i64;
                let monday = from - chrono::Duration::days(back);
                if monday < from {
                    monday + chrono::Duration::days(7)
                } else {
                    monday
                }
            }
            Frequency::Month => {
                let first = from.with_day(1).unwrap_or(from);
                if first < from {
                    first
                        .checked_add_months(chrono::Months::new(1))
                        .unwrap_or(first)
                } else {
                    first
                }
            }
        };
        loop {
            let next = match self {
                Frequency::Week => start + chrono::Duration::days(7),
                Frequency::Month => match start.checked_add_months(chrono::Months::new(1)) {
                    Some(n) => n,
                    None => break,
                },
            };
            let end = next - chrono::Duration::days(1);
            if end > to {
                break;
            }
            out.push((start, end));
            start = next;
        }
        out
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

    #[test]
    fn changes_are_per_cent_to_one_decimal() {
        // The quarterly report's sentence: "received 137 citizen visits, down 25.5 %".
        assert_eq!(change_pct(137, 184), Some(-25.5));
        assert_eq!(change_pct(3, 2), Some(50.0));
        assert_eq!(change_pct(1, 3), Some(-66.7));
        assert_eq!(change_pct(5, 0), None);
        assert_eq!(change_pct(0, 4), Some(-100.0));
    }

    #[test]
    fn a_tally_counts_visits_people_crowds_head_days_and_outcomes() {
        let d = |day| chrono::NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        let r = |unit, day, kind, visitors, crowd, outcome| Counted {
            unit_id: unit,
            day: d(day),
            kind,
            visitors,
            crowd,
            outcome,
        };
        let mut t = Tally::default();
        for c in [
            r(1, 2, Kind::HeadDay, 1, false, Outcome::Guided),
            r(1, 2, Kind::HeadDay, 12, true, Outcome::ReceivedAsTicket),
            r(2, 2, Kind::HeadDay, 1, false, Outcome::Refused),
            r(1, 9, Kind::Regular, 2, false, Outcome::Referred),
        ] {
            t.add(&c);
        }
        let f = t.figures();
        assert_eq!(f.visits, 4);
        assert_eq!(f.visitors, 16);
        assert_eq!(f.crowd_receptions, 1);
        // Two units on 2 November: two heads' days; the regular visit is none.
        assert_eq!(f.head_days_held, 2);
        assert_eq!(
            f.outcomes,
            Outcomes {
                guided: 1,
                received_as_ticket: 1,
                referred: 1,
                refused: 1
            }
        );
    }

    #[test]
    fn the_year_before_keeps_the_day_or_ends_february() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(year_before(d(2026, 10, 1)), d(2025, 10, 1));
        assert_eq!(year_before(d(2028, 2, 29)), d(2027, 2, 28));
    }

    #[test]
    fn duty_periods_are_whole_weeks_and_months_inside_the_range() {
        let d = |m, day| chrono::NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // 2026-11-04 is a Wednesday: the first whole week starts Monday the 9th.
        assert_eq!(
            Frequency::Week.periods(d(11, 4), d(11, 29)),
            vec![
                (d(11, 9), d(11, 15)),
                (d(11, 16), d(11, 22)),
                (d(11, 23), d(11, 29))
            ]
        );
        assert_eq!(
            Frequency::Week.periods(d(11, 9), d(11, 28)),
            vec![(d(11, 9), d(11, 15)), (d(11, 16), d(11, 22))]
        );
        assert_eq!(
            Frequency::Month.periods(d(9, 1), d(11, 29)),
            vec![(d(9, 1), d(9, 30)), (d(10, 1), d(10, 31))]
        );
        assert_eq!(
            Frequency::Month.periods(d(9, 2), d(10, 31)),
            vec![(d(10, 1), d(10, 31))]
        );
        assert!(Frequency::Week.periods(d(11, 10), d(11, 12)).is_empty());
    }
}
