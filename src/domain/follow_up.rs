//! A follow-up: something a unit owes by a date that is not a ticket's legal clock — the
//! synthesis of a consultation, a commitment made at a dialogue. It has an owner unit and a
//! due moment; the sweep reminds the unit at 75 % of the time and on the last day, and on a
//! miss escalates as it does for a ticket (the parent unit's officials and the supervisors of
//! the branch). Unlike a ticket's clock it never pauses and is never extended: a commitment
//! made in public keeps the date it was made with.

use chrono::{DateTime, Duration, Utc};

use super::calendar::Calendar;
use super::clock::Due;
use super::deadlines::{Counting, DayEnd, Period, due_date};

/// What a follow-up is about; `subject_id` names the row of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A consultation's published synthesis ("tiếp thu, giải trình").
    ConsultationSynthesis,
    /// A commitment made in answer to a question at a dialogue or voter meeting.
    DialogueCommitment,
}

impl Subject {
    pub const ALL: [Subject; 2] = [Subject::ConsultationSynthesis, Subject::DialogueCommitment];

    pub fn as_str(self) -> &'static str {
        match self {
            Subject::ConsultationSynthesis => "consultation_synthesis",
            Subject::DialogueCommitment => "dialogue_commitment",
        }
    }

    pub fn parse(s: &str) -> Option<Subject> {
        Subject::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether an official of the unit may mark it done with a note through the generic
    /// route. A synthesis is done only by publishing it, so that "done" means published.
    pub fn done_by_note(self) -> bool {
        matches!(self, Subject::DialogueCommitment)
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// Not done; the due moment has not passed.
    Open,
    /// Not done, and the due moment has passed.
    Overdue,
    DoneOnTime,
    DoneLate,
}

impl Standing {
    pub const ALL: [Standing; 4] = [
        Standing::Open,
        Standing::Overdue,
        Standing::DoneOnTime,
        Standing::DoneLate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Open => "open",
            Standing::Overdue => "overdue",
            Standing::DoneOnTime => "done_on_time",
            Standing::DoneLate => "done_late",
        }
    }
}

/// The state of a follow-up the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub opened_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub reminded_75: bool,
    pub reminded_last_day: bool,
    pub missed_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
}

/// The end of the `days`-th working day after the local day of `from` (that day not counted),
/// as the ticket clocks count.
pub fn due_after_working_days(
    cal: &Calendar,
    day_end: &DayEnd,
    from: DateTime<Utc>,
    days: u32,
) -> DateTime<Utc> {
    let last = due_date(
        cal,
        day_end.local_date(from),
        Period {
            days,
            counting: Counting::WorkingDays,
        },
    );
    day_end.end_of(last)
}

impl FollowUp {
    /// A follow-up opened at `now`, due at `due_at`, nothing reminded yet.
    pub fn new(now: DateTime<Utc>, due_at: DateTime<Utc>) -> FollowUp {
        FollowUp {
            opened_at: now,
            due_at,
            reminded_75: false,
            reminded_last_day: false,
            missed_at: None,
            done_at: None,
        }
    }

    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        match self.done_at {
            Some(done) if done <= self.due_at => Standing::DoneOnTime,
            Some(_) => Standing::DoneLate,
            None if now > self.due_at => Standing::Overdue,
            None => Standing::Open,
        }
    }

    /// The 75 % mark of the time between opening and the due moment.
    fn mark_75(&self) -> DateTime<Utc> {
        let total = (self.due_at - self.opened_at).num_seconds().max(0);
        self.opened_at + Duration::seconds(total * 3 / 4)
    }

    /// The moment the last day begins.
    fn last_day_starts(&self, day_end: &DayEnd) -> Option<DateTime<Utc>> {
        let day = day_end.local_date(self.due_at);
        Some(day_end.end_of(day.pred_opt()?) + Duration::seconds(1))
    }

    /// When the sweep must next look: the 75 % mark, the start of the last day or the miss,
    /// whichever comes first and was not dealt with; `None` once done or escalated.
    pub fn next_check(&self, day_end: &DayEnd) -> Option<DateTime<Utc>> {
        if self.done_at.is_some() || self.missed_at.is_some() {
            return None;
        }
        let mut at = vec![self.due_at + Duration::seconds(1)];
        if !self.reminded_75 {
            at.push(self.mark_75());
        }
        if !self.reminded_last_day {
            at.extend(self.last_day_starts(day_end));
        }
        at.into_iter().min()
    }

    /// What is due at `now`, and the follow-up with it marked as dealt with (the sweep claims
    /// it by storing the mark only where it was not stored yet). One event per look: a
    /// follow-up found late for everything is escalated, not also reminded.
    pub fn due_now(&self, day_end: &DayEnd, now: DateTime<Utc>) -> Option<(Due, FollowUp)> {
        if self.done_at.is_some() || self.missed_at.is_some() {
            return None;
        }
        let mut claimed = self.clone();
        if now > self.due_at {
            claimed.missed_at = Some(now);
            return Some((Due::Missed, claimed));
        }
        let on_last_day = day_end.local_date(now) >= day_end.local_date(self.due_at);
        if on_last_day && !self.reminded_last_day {
            // The last-day reminder also stands for the 75 % one, if that was not sent.
            claimed.reminded_last_day = true;
            claimed.reminded_75 = true;
            return Some((Due::LastDay, claimed));
        }
        if !self.reminded_75 && now >= self.mark_75() {
            claimed.reminded_75 = true;
            return Some((Due::Reminder75, claimed));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn cal() -> Calendar {
        // 2026-12-07 is a Monday; no holidays in these weeks.
        Calendar::new(Vec::<NaiveDate>::new(), Vec::<(NaiveDate, bool)>::new())
    }

    fn vn(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .to_utc()
    }

    #[test]
    fn subjects_parse_back() {
        for s in Subject::ALL {
            assert_eq!(Subject::parse(s.as_str()), Some(s));
        }
        assert_eq!(Subject::parse("ticket"), None);
    }

    #[test]
    fn fifteen_working_days_skip_weekends() {
        let day_end = DayEnd::default();
        // Closed on Monday 7 December: 15 working days later is Monday 28 December.
        let due = due_after_working_days(&cal(), &day_end, vn(2026, 12, 7, 10), 15);
        assert_eq!(
            day_end.local_date(due),
            NaiveDate::from_ymd_opt(2026, 12, 28).unwrap()
        );
        assert_eq!(due, day_end.end_of(day_end.local_date(due)));
    }

    #[test]
    fn reminders_then_the_miss_each_once() {
        let day_end = DayEnd::default();
        let opened = vn(2026, 12, 1, 8);
        let due = day_end.end_of(NaiveDate::from_ymd_opt(2026, 12, 11).unwrap());
        let mut f = FollowUp::new(opened, due);
        // Early on, nothing; the sweep looks again at the 75 % mark.
        assert_eq!(f.due_now(&day_end, vn(2026, 12, 2, 8)), None);
        let mark = f.next_check(&day_end).unwrap();
        assert!(mark > vn(2026, 12, 8, 0) && mark < vn(2026, 12, 10, 0));
        let (d, next) = f.due_now(&day_end, mark).unwrap();
        assert_eq!(d, Due::Reminder75);
        f = next;
        assert_eq!(f.due_now(&day_end, mark), None, "claimed once");
        // The last day starts at midnight local time on 11 December.
        let last = f.next_check(&day_end).unwrap();
        assert_eq!(
            day_end.local_date(last),
            NaiveDate::from_ymd_opt(2026, 12, 11).unwrap()
        );
        let (d, next) = f.due_now(&day_end, last).unwrap();
        assert_eq!(d, Due::LastDay);
        f = next;
        // Then the miss, one second after the due moment, and nothing after it.
        let miss = f.next_check(&day_end).unwrap();
        assert_eq!(miss, due + Duration::seconds(1));
        let (d, next) = f.due_now(&day_end, miss).unwrap();
        assert_eq!(d, Due::Missed);
        f = next;
        assert_eq!(f.next_check(&day_end), None);
        assert_eq!(f.standing(miss), Standing::Overdue);
    }

    #[test]
    fn a_late_first_look_escalates_without_reminding() {
        let day_end = DayEnd::default();
        let f = FollowUp::new(vn(2026, 12, 1, 8), vn(2026, 12, 2, 8));
        let (d, claimed) = f.due_now(&day_end, vn(2026, 12, 5, 8)).unwrap();
        assert_eq!(d, Due::Missed);
        assert!(!claimed.reminded_75 && claimed.missed_at.is_some());
    }

    #[test]
    fn done_stops_the_watch_and_is_judged_against_the_due_moment() {
        let day_end = DayEnd::default();
        let due = vn(2026, 12, 10, 17);
        let mut f = FollowUp::new(vn(2026, 12, 1, 8), due);
        f.done_at = Some(due);
        assert_eq!(f.next_check(&day_end), None);
        assert_eq!(f.due_now(&day_end, vn(2026, 12, 20, 8)), None);
        assert_eq!(f.standing(vn(2026, 12, 20, 8)), Standing::DoneOnTime);
        f.done_at = Some(due + Duration::seconds(1));
        assert_eq!(f.standing(vn(2026, 12, 20, 8)), Standing::DoneLate);
    }
}
