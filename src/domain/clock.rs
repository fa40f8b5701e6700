//! One legal clock of a ticket, as the rules see it (decoded from its stored row once), and
//! everything that moves it: the workflow's changes, where it stands, when the sweep must
//! look at it next and what is due then, and what a report counts of it.

use chrono::{DateTime, Duration, Utc};

use super::calendar::Calendar;
use super::deadlines::{
    ClockInput, ClockState, ClockView, Counting, DayEnd, Lengths, Pause, Period, evaluate,
};
use super::policy::{ClockName, StartsAt};
use super::report::{REPORTED_CLOCKS, Standing};
use super::ticket::Status;

/// A ticket's clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub name: ClockName,
    pub counting: Counting,
    /// The period in force: the policy's length for the case plus the extensions granted.
    pub days: u32,
    /// The policy's lengths (the case picks one at acceptance).
    pub lengths: Lengths,
    pub extensions_used: u32,
    pub extensions_allowed: u32,
    pub extension_max_days: u32,
    pub starts_at: StartsAt,
    pub started_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    /// In time order; the last may be open.
    pub pauses: Vec<Pause>,
    pub reminded_75: bool,
    pub reminded_last_day: bool,
    pub missed_at: Option<DateTime<Utc>>,
    /// The due moment computed earlier from the same period, start and pauses: it stays
    /// when the calendar changes later (an administrator's recomputation moves it).
    pub fixed_due: Option<DateTime<Utc>>,
}

/// What the workflow does to a ticket's clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockChange {
    /// Stop one clock (its target happened: accepted, forwarded, answered).
    Stop(ClockName),
    /// Start the clocks that wait for acceptance; the case may now be complex.
    Accepted { complex: bool, remote: bool },
    /// Pause every running clock (waiting for the citizen, suspension).
    PauseAll,
    /// Resume every paused clock.
    ResumeAll,
    /// Stop every clock (the ticket left the unit's hands).
    StopAll,
    /// Restart one clock from now (the `update` clock after a progress note, the `resolve`
    /// clock after a reopening).
    Restart(ClockName),
    /// Extend one clock by some days, within the policy's allowance.
    Extend(ClockName, u32),
    /// Throw the clocks away and start them again at the new unit (forwarding).
    Reset,
}

/// Why an extension is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtensionRefused {
    /// The policy allows none on this clock (or the ticket has no such clock).
    NotAllowed,
    /// Every extension allowed was granted already.
    Exhausted,
    /// More days than one extension may add (or none).
    OutOfRange { max_days: u32 },
}

/// What the sweep found due on a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Reminder75,
    LastDay,
    Missed,
}

impl Clock {
    pub fn running(&self) -> bool {
        self.started_at.is_some() && self.stopped_at.is_none()
    }

    pub fn is_paused(&self) -> bool {
        self.pauses.last().is_some_and(|p| p.until.is_none())
    }

    pub fn input(&self) -> ClockInput {
        ClockInput {
            started_at: self.started_at,
            period: Period {
                days: self.days,
                counting: self.counting,
            },
            pauses: self.pauses.clone(),
            stopped_at: self.stopped_at,
        }
    }

    /// The clock at `now`, judged against its fixed due moment when it has one.
    pub fn view(&self, cal: &Calendar, day_end: &DayEnd, now: DateTime<Utc>) -> ClockView {
        let mut v = evaluate(cal, day_end, &self.input(), now);
        let Some(fixed) = self.fixed_due.filter(|f| v.due_at.is_some_and(|d| d != *f)) else {
            return v;
        };
        v.due_at = Some(fixed);
        v.due_local_date = Some(day_end.local_date(fixed));
        match self.stopped_at {
            Some(stop) => {
                let met = stop <= fixed;
                v.state = if met {
                    ClockState::Met
                } else {
                    ClockState::Missed
                };
                v.left_seconds = (!met).then(|| (fixed - stop).num_seconds());
            }
            None => {
                v.state = if now > fixed {
                    ClockState::Missed
                } else {
                    ClockState::Running
                };
                v.left_seconds = Some((fixed - now).num_seconds());
            }
        }
        v
    }

    /// The clock after `change` at `now`; `None` when the change leaves it alone.
    pub fn changed(
        &self,
        change: ClockChange,
        now: DateTime<Utc>,
    ) -> Result<Option<Clock>, ExtensionRefused> {
        let mut c = self.clone();
        match change {
            ClockChange::Stop(name) if self.name == name && self.running() => {
                c.stopped_at = Some(now);
            }
            ClockChange::Accepted { complex, remote } => {
                // No extension can precede acceptance (extend needs an accepted ticket).
                let days = self.lengths.choose(complex, remote);
                if self.starts_at == StartsAt::Acceptance && self.started_at.is_none() {
                    c.started_at = Some(now);
                    c.days = days;
                } else if self.name == ClockName::Accept && self.running() {
                    // Marked complex at acceptance: judged against the complex length.
                    c.stopped_at = Some(now);
                    c.days = days;
                } else if self.name == ClockName::Forward && self.running() {
                    // Accepting a denunciation decides it is within the unit's competence:
                    // there is nothing left to forward.
                    c.stopped_at = Some(now);
                } else {
                    return Ok(None);
                }
            }
            ClockChange::PauseAll if self.running() && !self.is_paused() => {
                c.pauses.push(Pause {
                    from: now,
                    until: None,
                });
            }
            ClockChange::ResumeAll if self.is_paused() => {
                if let Some(last) = c.pauses.last_mut() {
                    last.until = Some(now);
                }
            }
            ClockChange::StopAll if self.running() => {
                if let Some(last) = c.pauses.last_mut().filter(|p| p.until.is_none()) {
                    last.until = Some(now);
                }
                c.stopped_at = Some(now);
            }
            ClockChange::Restart(name) if self.name == name && self.started_at.is_some() => {
                c.started_at = Some(now);
                c.restart_watch();
            }
            ClockChange::Extend(name, days) if self.name == name => {
                if self.extensions_allowed == 0 {
                    return Err(ExtensionRefused::NotAllowed);
                }
                if self.extensions_used >= self.extensions_allowed {
                    return Err(ExtensionRefused::Exhausted);
                }
                if days == 0 || days > self.extension_max_days {
                    return Err(ExtensionRefused::OutOfRange {
                        max_days: self.extension_max_days,
                    });
                }
                c.days = self.days + days;
                c.extensions_used = self.extensions_used + 1;
                c.reminded_75 = false;
                c.reminded_last_day = false;
            }
            ClockChange::Reset => {
                c.started_at = (self.starts_at == StartsAt::Receipt).then_some(now);
                c.restart_watch();
            }
            _ => return Ok(None),
        }
        Ok(Some(c))
    }

    /// A clock started again: no stop, no pauses, nothing reminded or missed yet.
    fn restart_watch(&mut self) {
        self.stopped_at = None;
        self.pauses.clear();
        self.reminded_75 = false;
        self.reminded_last_day = false;
        self.missed_at = None;
    }

    /// When the sweep must next look at the clock: its 75 % mark, the start of its last day,
    /// or the moment it is missed — whichever comes first and has not been dealt with. `None`
    /// when nothing is left to do (stopped, pending, paused, or missed and already escalated).
    /// The `update` clock only has the miss: it reminds the unit that a progress note is owed.
    pub fn next_check(
        &self,
        v: &ClockView,
        day_end: &DayEnd,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        match v.state {
            ClockState::Running => {}
            ClockState::Missed if self.missed_at.is_none() && self.stopped_at.is_none() => {
                return Some(now);
            }
            _ => return None,
        }
        let due = v.due_at?;
        let mut at = vec![due + Duration::seconds(1)];
        if self.name != ClockName::Update {
            if !self.reminded_75 {
                let left = v.left_seconds.unwrap_or(0);
                let total = v.used_seconds + left;
                let mark = (total as f64 * 0.75) as i64 - v.used_seconds;
                at.push(now + Duration::seconds(mark.max(0)));
            }
            if !self.reminded_last_day
                && let Some(day) = v.due_local_date
            {
                let start = day_end.end_of(day.pred_opt()?);
                at.push(start + Duration::seconds(1));
            }
        }
        at.into_iter().min()
    }

    /// What is due on the clock now, and the clock with that marked as dealt with (the
    /// sweep claims it by storing the mark only where it was not stored yet).
    pub fn due_now(
        &self,
        v: &ClockView,
        day_end: &DayEnd,
        now: DateTime<Utc>,
    ) -> (Option<Due>, Clock) {
        let mut claimed = self.clone();
        let due = if v.state == ClockState::Missed
            && self.missed_at.is_none()
            && self.stopped_at.is_none()
        {
            claimed.missed_at = Some(now);
            Some(Due::Missed)
        } else if v.state == ClockState::Running && self.name != ClockName::Update {
            let on_last_day = v
                .due_local_date
                .is_some_and(|d| day_end.local_date(now) >= d);
            let left = v.left_seconds.unwrap_or(0);
            let total = (v.used_seconds + left).max(1);
            if on_last_day && !self.reminded_last_day {
                // The last-day reminder also covers the 75 % one, if that was not sent.
                claimed.reminded_last_day = true;
                claimed.reminded_75 = true;
                Some(Due::LastDay)
            } else if !self.reminded_75 && v.used_seconds * 4 >= total * 3 {
                claimed.reminded_75 = true;
                Some(Due::Reminder75)
            } else {
                None
            }
        } else {
            None
        };
        (due, claimed)
    }
}

/// Whether an extension of `name` can be granted on a ticket with these clocks at all.
pub fn check_extension(clocks: &[Clock], name: ClockName) -> Result<(), ExtensionRefused> {
    if clocks.iter().any(|c| c.name == name) {
        Ok(())
    } else {
        Err(ExtensionRefused::NotAllowed)
    }
}

/// What a report counts of a ticket's clocks: where its `accept` and `resolve` clocks stand,
/// and the extensions granted over all of them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Summary {
    pub accept: Option<Standing>,
    pub resolve: Option<Standing>,
    pub extensions_used: u32,
}

impl Summary {
    /// The reported clocks the ticket has, by name, in [`REPORTED_CLOCKS`] order.
    pub fn reported(&self) -> impl Iterator<Item = (&'static str, Standing)> + '_ {
        REPORTED_CLOCKS
            .iter()
            .zip([self.accept, self.resolve])
            .filter_map(|(name, s)| s.map(|s| (*name, s)))
    }
}

/// The ticket facts a clock's standing depends on.
#[derive(Debug, Clone, Copy)]
pub struct Holder {
    pub status: Status,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// The summary of a ticket's clocks at `now`.
pub fn summary_of(
    clocks: &[Clock],
    t: &Holder,
    cal: &Calendar,
    day_end: &DayEnd,
    now: DateTime<Utc>,
) -> Summary {
    // Withdrawn, or closed without an answer (a duplicate): the unit never decided.
    let left_hands =
        t.status == Status::Withdrawn || (t.status == Status::Closed && t.resolved_at.is_none());
    let standing = |name: &str| {
        clocks.iter().find(|c| c.name.as_str() == name).map(|c| {
            let v = c.view(cal, day_end, now);
            let stopped = c.stopped_at.is_some();
            Standing::of(
                v.state,
                stopped,
                v.due_at,
                left_hands && stopped && c.stopped_at == t.closed_at,
            )
        })
    };
    Summary {
        accept: standing(REPORTED_CLOCKS[0]),
        resolve: standing(REPORTED_CLOCKS[1]),
        extensions_used: clocks.iter().map(|c| c.extensions_used).sum(),
    }
}

/// How near a ticket's next deadline is, as the console shows it (never by colour alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueState {
    /// No clock running.
    None,
    OnTime,
    /// Due within [`DUE_SOON_WORKING_DAYS`] working days.
    DueSoon,
    Overdue,
}

/// "Due soon": the due day is at most this many working days after today.
pub const DUE_SOON_WORKING_DAYS: u32 = 2;

impl DueState {
    pub fn as_str(self) -> &'static str {
        match self {
            DueState::None => "no_deadline",
            DueState::OnTime => "on_time",
            DueState::DueSoon => "due_soon",
            DueState::Overdue => "overdue",
        }
    }
}

/// Where a ticket stands against its next due moment (`overdue` is the ticket's flag: a clock
/// was missed and is still running).
pub fn due_state(
    next_due: Option<DateTime<Utc>>,
    overdue: bool,
    now: DateTime<Utc>,
    cal: &Calendar,
    day_end: &DayEnd,
) -> DueState {
    if overdue {
        return DueState::Overdue;
    }
    let Some(due) = next_due else {
        return DueState::None;
    };
    if due < now {
        return DueState::Overdue;
    }
    let (today, due_day) = (day_end.local_date(now), day_end.local_date(due));
    if cal.working_days_in(today, due_day) <= DUE_SOON_WORKING_DAYS {
        DueState::DueSoon
    } else {
        DueState::OnTime
    }
}

/// The end of the last day that counts as "due soon" from `now` (an inbox filter).
pub fn due_soon_until(now: DateTime<Utc>, cal: &Calendar, day_end: &DayEnd) -> DateTime<Utc> {
    let today = day_end.local_date(now);
    day_end.end_of(cal.nth_working_day_after(today, DUE_SOON_WORKING_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
    }

    fn clock(name: ClockName) -> Clock {
        Clock {
            name,
            counting: Counting::CalendarDays,
            days: 30,
            lengths: Lengths {
                normal: 30,
                complex: Some(45),
                remote: None,
                complex_remote: None,
            },
            extensions_used: 0,
            extensions_allowed: 1,
            extension_max_days: 30,
            starts_at: StartsAt::Acceptance,
            started_at: None,
            stopped_at: None,
            pauses: vec![],
            reminded_75: false,
            reminded_last_day: false,
            missed_at: None,
            fixed_due: None,
        }
    }

    #[test]
    fn acceptance_starts_the_waiting_clocks_with_the_cases_length() {
        let c = clock(ClockName::Resolve);
        let started = c
            .changed(
                ClockChange::Accepted {
                    complex: true,
                    remote: false,
                },
                at(23, 3),
            )
            .unwrap()
            .unwrap();
        assert_eq!(started.started_at, Some(at(23, 3)));
        assert_eq!(started.days, 45);
        // A second acceptance (after a forward) leaves a started clock alone.
        assert_eq!(
            started.changed(
                ClockChange::Accepted {
                    complex: false,
                    remote: false
                },
                at(24, 3)
            ),
            Ok(None)
        );
    }

    #[test]
    fn pauses_open_and_close_and_a_stop_closes_an_open_pause() {
        let mut c = clock(ClockName::Resolve);
        c.started_at = Some(at(23, 3));
        let paused = c
            .changed(ClockChange::PauseAll, at(24, 3))
            .unwrap()
            .unwrap();
        assert!(paused.is_paused());
        assert_eq!(paused.changed(ClockChange::PauseAll, at(25, 3)), Ok(None));
        let stopped = paused
            .changed(ClockChange::StopAll, at(26, 3))
            .unwrap()
            .unwrap();
        assert_eq!(stopped.pauses[0].until, Some(at(26, 3)));
        assert_eq!(stopped.stopped_at, Some(at(26, 3)));
        let resumed = paused
            .changed(ClockChange::ResumeAll, at(25, 3))
            .unwrap()
            .unwrap();
        assert!(!resumed.is_paused());
    }

    #[test]
    fn extensions_are_counted_and_bounded() {
        let mut c = clock(ClockName::Resolve);
        c.started_at = Some(at(23, 3));
        let ext =
            |c: &Clock, days| c.changed(ClockChange::Extend(ClockName::Resolve, days), at(24, 3));
        assert_eq!(
            ext(&c, 31),
            Err(ExtensionRefused::OutOfRange { max_days: 30 })
        );
        assert_eq!(
            ext(&c, 0),
            Err(ExtensionRefused::OutOfRange { max_days: 30 })
        );
        let once = ext(&c, 10).unwrap().unwrap();
        assert_eq!((once.days, once.extensions_used), (40, 1));
        assert_eq!(ext(&once, 5), Err(ExtensionRefused::Exhausted));
        c.extensions_allowed = 0;
        assert_eq!(ext(&c, 5), Err(ExtensionRefused::NotAllowed));
        // Another clock is left alone.
        assert_eq!(
            clock(ClockName::Accept).changed(ClockChange::Extend(ClockName::Resolve, 5), at(24, 3)),
            Ok(None)
        );
        assert_eq!(
            check_extension(&[clock(ClockName::Accept)], ClockName::Resolve),
            Err(ExtensionRefused::NotAllowed)
        );
    }

    #[test]
    fn a_reset_starts_receipt_clocks_again_and_leaves_the_others_pending() {
        let mut receipt = clock(ClockName::Accept);
        receipt.starts_at = StartsAt::Receipt;
        receipt.started_at = Some(at(23, 3));
        receipt.stopped_at = Some(at(24, 3));
        receipt.reminded_75 = true;
        let again = receipt
            .changed(ClockChange::Reset, at(25, 3))
            .unwrap()
            .unwrap();
        assert_eq!(again.started_at, Some(at(25, 3)));
        assert_eq!(again.stopped_at, None);
        assert!(!again.reminded_75);
        let mut waiting = clock(ClockName::Resolve);
        waiting.started_at = Some(at(23, 3));
        let again = waiting
            .changed(ClockChange::Reset, at(25, 3))
            .unwrap()
            .unwrap();
        assert_eq!(again.started_at, None);
    }

    #[test]
    fn due_soon_is_two_working_days_and_overdue_wins() {
        let cal = Calendar::new(Vec::new(), Vec::new());
        let day_end = DayEnd::default();
        // Monday 23/11/2026, 10:00 local.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
        let end = |d: u32| day_end.end_of(chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap());
        assert_eq!(
            due_state(Some(end(25)), false, now, &cal, &day_end),
            DueState::DueSoon
        );
        assert_eq!(
            due_state(Some(end(26)), false, now, &cal, &day_end),
            DueState::OnTime
        );
        assert_eq!(
            due_state(Some(end(26)), true, now, &cal, &day_end),
            DueState::Overdue
        );
        assert_eq!(due_state(None, false, now, &cal, &day_end), DueState::None);
        assert_eq!(due_soon_until(now, &cal, &day_end), end(25));
    }
}
