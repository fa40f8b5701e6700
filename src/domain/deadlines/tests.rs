use proptest::prelude::*;

use super::*;

const SHIPPED_CSV: &str = include_str!("../../../assets/data/vn-public-holidays.csv");

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn shipped_with(overrides: &[(&str, bool)]) -> Calendar {
    let holidays = Calendar::parse_holidays_csv(SHIPPED_CSV).unwrap();
    Calendar::new(
        holidays.into_iter().map(|(d, _)| d),
        overrides.iter().map(|&(d, worked)| (date(d), worked)),
    )
}

fn shipped() -> Calendar {
    shipped_with(&[])
}

/// One hand-worked deadline over the shipped calendar, plus any overrides.
struct Case {
    what: &'static str,
    start: &'static str,
    period: Period,
    overrides: &'static [(&'static str, bool)],
    pauses: &'static [(&'static str, Option<&'static str>)],
    due: Option<&'static str>,
}

const fn case(what: &'static str, start: &'static str, period: Period, due: &'static str) -> Case {
    Case {
        what,
        start,
        period,
        overrides: &[],
        pauses: &[],
        due: Some(due),
    }
}

const fn wd(days: u32) -> Period {
    Period {
        days,
        counting: Counting::WorkingDays,
    }
}

const fn cd(days: u32) -> Period {
    Period {
        days,
        counting: Counting::CalendarDays,
    }
}

/// Worked out by hand from the rules and `vn-public-holidays.csv`, not by running the code.
#[rustfmt::skip] // one case per line reads as a table
const CASES: &[Case] = &[
    // Fri 13/2/2026; Sat, Sun, Tết Mon 16–Fri 20/2, Sat, Sun off; 23–27/2 = 1–5, 2–6/3 = 6–10.
    case("complaint 1st round, accept, received the Friday before Tết 2026", "2026-02-13", wd(10), "2026-03-06"),
    // Accepted Fri 6/3: 6/3 + 30 = Sun 5/4, a day off, so the period ends Mon 6/4.
    case("complaint 1st round, resolve 30 calendar days, last day a Sunday", "2026-03-06", cd(30), "2026-04-06"),
    // 6/3 + 45 = Mon 20/4 (25 days to 31/3, 20 more).
    case("complaint 1st round, resolve, complex or remote 45", "2026-03-06", cd(45), "2026-04-20"),
    // 6/3 + 60 = Tue 5/5 (25 to 31/3, 30 to 30/4, 5 more), a working day after 30/4–1/5.
    case("complaint 1st round, resolve, complex and remote 60", "2026-03-06", cd(60), "2026-05-05"),
    // Fri 24/4; Sat 25, Hùng Kings Sun 26 + Mon 27 off; Tue 28 = 1, Wed 29 = 2; 30/4, 1/5,
    // Sat, Sun off; Mon 4/5 = 3 … Fri 8/5 = 7.
    case("denunciation, accept in 7 working days over Hùng Kings and 30/4–1/5", "2026-04-24", wd(7), "2026-05-08"),
    // Continuing: Sat 9, Sun 10 off; Mon 11/5 = 8, Tue 12 = 9, Wed 13 = 10.
    case("denunciation, accept, complex: 10 working days", "2026-04-24", wd(10), "2026-05-13"),
    // Tue 28/4 = 1, Wed 29 = 2, Mon 4/5 = 3, Tue 5 = 4, Wed 6 = 5.
    case("denunciation, forward if not ours: 5 working days", "2026-04-24", wd(5), "2026-05-06"),
    // Fri 13/3; Sat, Sun off; Mon 16/3 = 1.
    case("urgent feedback on a Friday: 1 working day", "2026-03-13", wd(1), "2026-03-16"),
    // Tết 2027 is Thu 4/2–Wed 10/2 (Sat 6, Sun 7 inside); Thu 11 = 1, Fri 12 = 2, Mon 15 = 3.
    case("on-site feedback, 3 working days, received the day before Tết 2027", "2027-02-03", wd(3), "2027-02-15"),
    // Fri 20/3 = 1, Mon 23 = 2, Tue 24 = 3 (the control for the working Saturday below).
    case("3 working days with no override", "2026-03-19", wd(3), "2026-03-24"),
    // Fri 20/3 = 1, Sat 21/3 worked in exchange = 2, Mon 23 = 3.
    Case { overrides: &[("2026-03-21", true)],
        ..case("3 working days over a Saturday worked in exchange", "2026-03-19", wd(3), "2026-03-23") },
    // Wed 31/12/2025; New Year Thu 1/1 off; Fri 2/1 = 1, Mon 5/1 = 2 (control for the bridge).
    case("2 working days over New Year 2026", "2025-12-31", wd(2), "2026-01-05"),
    // 1/1 holiday, Fri 2/1 bridge day off, Sat, Sun; Mon 5/1 = 1, Tue 6/1 = 2.
    Case { overrides: &[("2026-01-02", false)],
        ..case("2 working days over New Year with a bridge day off", "2025-12-31", wd(2), "2026-01-06") },
    // Bridge Fri 2/1 off; Mon 5–Fri 9/1 = 1–5; Sat 10/1 worked in exchange = 6.
    Case { overrides: &[("2026-01-02", false), ("2026-01-10", true)],
        ..case("6 working days over a bridge day and its working Saturday", "2025-12-31", wd(6), "2026-01-10") },
    // Mon 20/4: 21 = 1, 22 = 2, 23 = 3, 24 = 4, 28 = 5, 29 = 6, 4/5 = 7, 5 = 8, 6 = 9, 7 = 10.
    case("complaint accept, 10 working days, no pause (control)", "2026-04-20", wd(10), "2026-05-07"),
    // Used Tue 21, Wed 22 (the pause day) = 2; 8 left after Tue 5/5: 6, 7, 8, 11–15/5.
    Case { pauses: &[("2026-04-22", Some("2026-05-05"))],
        ..case("complaint accept, paused across Hùng Kings and 30/4–1/5", "2026-04-20", wd(10), "2026-05-15") },
    // Mon 2/3: 3, 4, 5, 6, 9, 10, 11, 12, 13, 16/3 = 1–10 (control for two pauses).
    case("10 working days, no pause (control)", "2026-03-02", wd(10), "2026-03-16"),
    // Used 3, 4/3 = 2; then 10, 11/3 = 2 after Mon 9/3; 6 left after Fri 13: 16–20, 23/3.
    Case { pauses: &[("2026-03-04", Some("2026-03-09")), ("2026-03-11", Some("2026-03-13"))],
        ..case("10 working days, two pauses in sequence", "2026-03-02", wd(10), "2026-03-23") },
    // Mon 2/3 + 30 = Wed 1/4 (control for the calendar-day pauses).
    case("30 calendar days, no pause (control)", "2026-03-02", cd(30), "2026-04-01"),
    // Used 3–10/3 = 8 (the pause day counts); 22 left after Thu 19/3: Fri 10/4.
    Case { pauses: &[("2026-03-10", Some("2026-03-19"))],
        ..case("30 calendar days paused for 9 days", "2026-03-02", cd(30), "2026-04-10") },
    // Used 8 as above; 22 left: Fri 20/3 + 22 = Sat 11/4, a day off, so Mon 13/4.
    Case { pauses: &[("2026-03-10", Some("2026-03-20"))],
        ..case("30 calendar days paused for 10 days, ending on a Saturday", "2026-03-02", cd(30), "2026-04-13") },
    // Paused on the last day, Fri 8/5: 0 left, so due on the resume day, Wed 13/5.
    Case { pauses: &[("2026-05-08", Some("2026-05-13"))],
        ..case("paused on the due day, resumed on a working day", "2026-04-24", wd(7), "2026-05-13") },
    // Paused on the last day, resumed Sat 9/5: 0 left, next working day Mon 11/5.
    Case { pauses: &[("2026-05-08", Some("2026-05-09"))],
        ..case("paused on the due day, resumed on a Saturday", "2026-04-24", wd(7), "2026-05-11") },
    // Due Fri 8/5 (above); both pauses begin after it: missed stays missed.
    Case { pauses: &[("2026-05-11", Some("2026-05-15")), ("2026-05-18", None)],
        ..case("pauses after the miss change nothing", "2026-04-24", wd(7), "2026-05-08") },
    // The second pause has not ended: no due date yet.
    Case { pauses: &[("2026-04-28", Some("2026-04-29")), ("2026-05-04", None)], due: None,
        ..case("still paused", "2026-04-24", wd(7), "") },
    // Fri 8/5 + 30 = Sun 7/6, a day off, so Mon 8/6.
    case("denunciation resolve, 30 days", "2026-05-08", cd(30), "2026-06-08"),
    // 8/5 + 60 = Tue 7/7 (the extension runs from the start, not from the rolled Monday).
    case("denunciation resolve, extended once by 30", "2026-05-08", cd(60), "2026-07-07"),
    // 8/5 + 90 = Thu 6/8.
    case("denunciation resolve, extended twice by 30", "2026-05-08", cd(90), "2026-08-06"),
    // Thu 29/1 + 20 = Wed 18/2, in Tết; 19, 20/2 Tết, Sat, Sun; Mon 23/2.
    case("feedback on the national portal, 20 calendar days into Tết", "2026-01-29", cd(20), "2026-02-23"),
    // Tue 25/8: 26, 27, 28, 31/8 = 1–4; 1–2/9 National Day; 3, 4, 7, 8, 9, 10/9 = 5–10.
    case("received in person, 10 working days over National Day", "2026-08-25", wd(10), "2026-09-10"),
    // Fri 3/7 + 45 = Mon 17/8 (28 days to 31/7, 17 more).
    case("complaint 2nd round, resolve 45", "2026-07-03", cd(45), "2026-08-17"),
    // 3/7 + 60 = Tue 1/9, National Day; Wed 2/9 too; Thu 3/9.
    case("complaint 2nd round, resolve 60 (complex or remote)", "2026-07-03", cd(60), "2026-09-03"),
    // 3/7 + 70 = Fri 11/9.
    case("complaint 2nd round, resolve 70 (complex and remote)", "2026-07-03", cd(70), "2026-09-11"),
    // 0 days: the start date itself, Sat 14/2, rolled past Tết to Mon 23/2.
    case("0 working days from a day off", "2026-02-14", wd(0), "2026-02-23"),
    // 0 days: the start date itself, a working Friday.
    case("0 calendar days from a working day", "2026-02-13", cd(0), "2026-02-13"),
];

#[test]
fn hand_worked_deadlines_over_the_shipped_calendar() {
    for c in CASES {
        let cal = shipped_with(c.overrides);
        let pauses: Vec<_> = c
            .pauses
            .iter()
            .map(|&(from, until)| (date(from), until.map(date)))
            .collect();
        let due = due_after_pauses(&cal, date(c.start), c.period, &pauses);
        assert_eq!(due, c.due.map(date), "{}", c.what);
        if pauses.is_empty() {
            assert_eq!(
                Some(due_date(&cal, date(c.start), c.period)),
                due,
                "{}",
                c.what
            );
        }
    }
}

#[test]
fn extensions_add_to_the_period_in_its_own_counting() {
    let base = Period::calendar_days(30);
    assert_eq!(base.extended([]), base);
    assert_eq!(base.extended([30, 30]), Period::calendar_days(90));
    assert_eq!(
        Period::working_days(7).extended([3]),
        Period::working_days(10)
    );
    assert_eq!(base.extended([u32::MAX]).days, u32::MAX);
}

const COMPLAINT_RESOLVE: Lengths = Lengths {
    normal: 30,
    complex: Some(45),
    remote: Some(45),
    complex_remote: Some(60),
};

#[test]
fn lengths_follow_complexity_and_remoteness() {
    assert_eq!(COMPLAINT_RESOLVE.choose(false, false), 30);
    assert_eq!(COMPLAINT_RESOLVE.choose(true, false), 45);
    assert_eq!(COMPLAINT_RESOLVE.choose(false, true), 45);
    assert_eq!(COMPLAINT_RESOLVE.choose(true, true), 60);
}

#[test]
fn unset_lengths_fall_back() {
    let only_normal = Lengths {
        normal: 7,
        complex: None,
        remote: None,
        complex_remote: None,
    };
    for (complex, remote) in [(false, false), (true, false), (false, true), (true, true)] {
        assert_eq!(only_normal.choose(complex, remote), 7);
    }
    let complex_only = Lengths {
        complex: Some(10),
        ..only_normal
    };
    assert_eq!(complex_only.choose(false, true), 7);
    assert_eq!(complex_only.choose(true, true), 10);
    let both = Lengths {
        normal: 45,
        complex: Some(60),
        remote: Some(50),
        complex_remote: None,
    };
    assert_eq!(
        both.choose(true, true),
        60,
        "the larger of complex and remote"
    );
    let remote_larger = Lengths {
        remote: Some(75),
        ..both
    };
    assert_eq!(remote_larger.choose(true, true), 75);
}

#[test]
fn lengths_pick_the_hand_worked_second_round_dates() {
    let round_two = Lengths {
        normal: 45,
        complex: Some(60),
        remote: Some(60),
        complex_remote: Some(70),
    };
    let cal = shipped();
    let accepted = date("2026-07-03");
    let due = |complex, remote| {
        due_date(
            &cal,
            accepted,
            Period::calendar_days(round_two.choose(complex, remote)),
        )
    };
    assert_eq!(due(false, false), date("2026-08-17"));
    assert_eq!(due(true, false), date("2026-09-03"));
    assert_eq!(due(false, true), date("2026-09-03"));
    assert_eq!(due(true, true), date("2026-09-11"));
}

#[test]
fn serde_names_are_snake_case() {
    assert_eq!(
        serde_json::to_value(Period::working_days(7)).unwrap(),
        serde_json::json!({"days": 7, "counting": "working_days"})
    );
    assert_eq!(
        serde_json::to_value(ClockState::Missed).unwrap(),
        serde_json::json!("missed")
    );
    let lengths: Lengths = serde_json::from_str(r#"{"normal": 30, "complex": 45}"#).unwrap();
    assert_eq!(lengths.remote, None);
}

#[test]
fn days_end_at_235959_in_vietnam() {
    let day_end = DayEnd::default();
    assert_eq!(
        day_end.end_of(date("2026-03-16")),
        at("2026-03-16T16:59:59Z")
    );
    assert_eq!(
        day_end.local_date(at("2026-03-15T16:59:59Z")),
        date("2026-03-15")
    );
    assert_eq!(
        day_end.local_date(at("2026-03-15T17:00:00Z")),
        date("2026-03-16"),
        "midnight in Hanoi is 17:00 UTC"
    );
    let office_hours = DayEnd {
        end_of_day: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        ..day_end
    };
    assert_eq!(
        office_hours.end_of(date("2026-03-16")),
        at("2026-03-16T10:00:00Z")
    );
}

#[test]
fn days_end_sensibly_across_daylight_saving_changes() {
    let half_past_two = DayEnd {
        tz: chrono_tz::Europe::Berlin,
        end_of_day: NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
    };
    // 29/3/2026 skips 02:00–03:00 CET: the first minute after the gap, 03:00 CEST.
    assert_eq!(
        half_past_two.end_of(date("2026-03-29")),
        at("2026-03-29T01:00:00Z")
    );
    // 25/10/2026 has 02:30 twice: the later one, in CET.
    assert_eq!(
        half_past_two.end_of(date("2026-10-25")),
        at("2026-10-25T01:30:00Z")
    );
}

fn clock(started_at: &str, period: Period) -> ClockInput {
    ClockInput {
        started_at: Some(at(started_at)),
        period,
        pauses: vec![],
        stopped_at: None,
    }
}

fn pause(from: &str, until: Option<&str>) -> Pause {
    Pause {
        from: at(from),
        until: until.map(at),
    }
}

fn view(input: &ClockInput, now: &str) -> ClockView {
    evaluate(&shipped(), &DayEnd::default(), input, at(now))
}

#[test]
fn urgent_feedback_at_1630_on_friday_is_due_at_the_end_of_monday() {
    // 16:30 local on Fri 13/3/2026 is 09:30 UTC; Mon 16/3 23:59:59+07:00 is 16:59:59 UTC.
    let input = clock("2026-03-13T09:30:00Z", Period::working_days(1));
    let monday = view(&input, "2026-03-16T10:00:00Z");
    assert_eq!(
        monday,
        ClockView {
            state: ClockState::Running,
            due_at: Some(at("2026-03-16T16:59:59Z")),
            due_local_date: Some(date("2026-03-16")),
            used_seconds: 3 * 86_400 + 30 * 60,
            left_seconds: Some(6 * 3600 + 59 * 60 + 59),
        }
    );
    let at_the_last_second = view(&input, "2026-03-16T16:59:59Z");
    assert_eq!(at_the_last_second.state, ClockState::Running);
    assert_eq!(at_the_last_second.left_seconds, Some(0));
    let a_second_late = view(&input, "2026-03-16T17:00:00Z");
    assert_eq!(a_second_late.state, ClockState::Missed);
    assert_eq!(a_second_late.left_seconds, Some(-1));
}

#[test]
fn a_stop_by_the_due_second_is_met_and_after_it_missed() {
    let mut input = clock("2026-03-13T09:30:00Z", Period::working_days(1));
    input.stopped_at = Some(at("2026-03-16T16:59:59Z"));
    let met = view(&input, "2026-04-01T00:00:00Z");
    assert_eq!(met.state, ClockState::Met);
    assert_eq!(met.left_seconds, None);
    assert_eq!(met.due_at, Some(at("2026-03-16T16:59:59Z")));
    assert_eq!(met.used_seconds, 3 * 86_400 + 7 * 3600 + 29 * 60 + 59);

    input.stopped_at = Some(at("2026-03-16T17:00:00Z"));
    let late = view(&input, "2026-04-01T00:00:00Z");
    assert_eq!(late.state, ClockState::Missed);
    assert_eq!(late.left_seconds, Some(-1), "how late the stop was, frozen");
}

#[test]
fn the_start_date_is_the_local_date_not_the_utc_one() {
    // 06:00 on Mon 16/3 in Hanoi is still Sun 15/3 in UTC; one working day after Monday is
    // Tuesday (counting from the UTC Sunday would wrongly give Monday).
    let input = clock("2026-03-15T23:00:00Z", Period::working_days(1));
    let v = view(&input, "2026-03-16T00:00:00Z");
    assert_eq!(v.due_local_date, Some(date("2026-03-17")));
    assert_eq!(v.due_at, Some(at("2026-03-17T16:59:59Z")));
}

#[test]
fn a_pause_stops_the_clock_and_keeps_the_time_left() {
    // Complaint received 09:00 Mon 20/4/2026, due Thu 7/5 without a pause; paused 10:00
    // Wed 22/4, resumed 08:00 Tue 5/5: due Fri 15/5 (the hand-worked case above).
    let mut input = clock("2026-04-20T02:00:00Z", Period::working_days(10));
    input.pauses = vec![pause("2026-04-22T03:00:00Z", None)];
    let used_before_pause = 2 * 86_400 + 3600;
    let paused = view(&input, "2026-04-30T00:00:00Z");
    assert_eq!(
        paused,
        ClockView {
            state: ClockState::Paused,
            due_at: None,
            due_local_date: None,
            used_seconds: used_before_pause,
            // From 03:00Z 22/4 to 16:59:59Z 7/5.
            left_seconds: Some(15 * 86_400 + 13 * 3600 + 59 * 60 + 59),
        }
    );

    input.pauses = vec![pause("2026-04-22T03:00:00Z", Some("2026-05-05T01:00:00Z"))];
    let resumed = view(&input, "2026-05-06T01:00:00Z");
    assert_eq!(resumed.state, ClockState::Running);
    assert_eq!(resumed.due_local_date, Some(date("2026-05-15")));
    assert_eq!(resumed.due_at, Some(at("2026-05-15T16:59:59Z")));
    assert_eq!(resumed.used_seconds, used_before_pause + 86_400);
}

#[test]
fn a_pause_after_the_miss_leaves_it_missed() {
    // Denunciation received 10:00 Fri 24/4/2026, due Fri 8/5; paused Mon 11/5, never resumed.
    let mut input = clock("2026-04-24T03:00:00Z", Period::working_days(7));
    input.pauses = vec![pause("2026-05-11T02:00:00Z", None)];
    let v = view(&input, "2026-05-12T00:00:00Z");
    assert_eq!(v.state, ClockState::Missed);
    assert_eq!(v.due_at, Some(at("2026-05-08T16:59:59Z")));
    assert_eq!(v.left_seconds, Some(-(3 * 86_400 + 7 * 3600 + 1)));
    assert_eq!(
        v.used_seconds,
        17 * 86_400 + 21 * 3600,
        "an ignored pause does not stop the clock"
    );
}

#[test]
fn the_miss_is_judged_by_the_instant_not_the_date() {
    // Days end at 17:00 local: due Fri 8/5/2026 17:00+07:00 = 10:00Z.
    let office_hours = DayEnd {
        end_of_day: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        ..DayEnd::default()
    };
    let mut input = clock("2026-04-24T03:00:00Z", Period::working_days(7));
    let now = at("2026-05-13T05:00:00Z");

    // Paused at 16:00 on the due day: nothing left, due on the resume day, Wed 13/5.
    input.pauses = vec![pause("2026-05-08T09:00:00Z", Some("2026-05-13T02:00:00Z"))];
    let in_time = evaluate(&shipped(), &office_hours, &input, now);
    assert_eq!(in_time.state, ClockState::Running);
    assert_eq!(in_time.due_at, Some(at("2026-05-13T10:00:00Z")));

    // Paused at 18:00 the same day: already missed.
    input.pauses = vec![pause("2026-05-08T11:00:00Z", Some("2026-05-13T02:00:00Z"))];
    let too_late = evaluate(&shipped(), &office_hours, &input, now);
    assert_eq!(too_late.state, ClockState::Missed);
    assert_eq!(too_late.due_at, Some(at("2026-05-08T10:00:00Z")));
}

#[test]
fn a_clock_stopped_during_a_pause_is_met() {
    let mut input = clock("2026-04-20T02:00:00Z", Period::working_days(10));
    input.pauses = vec![pause("2026-04-22T03:00:00Z", None)];
    input.stopped_at = Some(at("2026-06-01T00:00:00Z"));
    let v = view(&input, "2026-06-02T00:00:00Z");
    assert_eq!(v.state, ClockState::Met);
    assert_eq!(v.left_seconds, None);
    assert_eq!(v.used_seconds, 2 * 86_400 + 3600);

    // Days end at 17:00; paused at 16:00 on the due day, Fri 8/5/2026, nothing left; the
    // answer comes at 18:00 on Wed 13/5 while still paused: met, though past 17:00.
    let office_hours = DayEnd {
        end_of_day: NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
        ..DayEnd::default()
    };
    let mut input = clock("2026-04-24T03:00:00Z", Period::working_days(7));
    input.pauses = vec![pause("2026-05-08T09:00:00Z", None)];
    input.stopped_at = Some(at("2026-05-13T11:00:00Z"));
    let v = evaluate(
        &shipped(),
        &office_hours,
        &input,
        at("2026-05-14T00:00:00Z"),
    );
    assert_eq!(v.state, ClockState::Met);
}

#[test]
fn a_clock_not_started_is_pending() {
    let mut input = clock("2026-04-20T02:00:00Z", Period::calendar_days(30));
    input.started_at = None;
    let pending = ClockView {
        state: ClockState::Pending,
        due_at: None,
        due_local_date: None,
        used_seconds: 0,
        left_seconds: None,
    };
    assert_eq!(view(&input, "2026-04-21T00:00:00Z"), pending);
    input.started_at = Some(at("2026-04-22T00:00:00Z"));
    assert_eq!(
        view(&input, "2026-04-21T00:00:00Z"),
        pending,
        "starts later"
    );
}

#[test]
fn events_after_now_have_not_happened_yet() {
    let mut input = clock("2026-04-20T02:00:00Z", Period::working_days(10));
    input.pauses = vec![pause("2026-04-22T03:00:00Z", Some("2026-05-05T01:00:00Z"))];
    input.stopped_at = Some(at("2026-05-06T00:00:00Z"));
    assert_eq!(
        view(&input, "2026-04-21T00:00:00Z").state,
        ClockState::Running
    );
    assert_eq!(
        view(&input, "2026-04-30T00:00:00Z").state,
        ClockState::Paused
    );
    assert_eq!(
        view(&input, "2026-05-05T12:00:00Z").state,
        ClockState::Running
    );
    assert_eq!(view(&input, "2026-05-06T00:00:00Z").state, ClockState::Met);
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0u64..7 * 366).prop_map(|i| date("2024-01-01") + Days::new(i))
}

fn any_period() -> impl Strategy<Value = Period> {
    (0u32..120, any::<bool>()).prop_map(|(days, working)| {
        if working {
            Period::working_days(days)
        } else {
            Period::calendar_days(days)
        }
    })
}

/// The shipped calendar with a few random overrides both ways.
fn any_calendar() -> impl Strategy<Value = Calendar> {
    proptest::collection::vec((any_date(), any::<bool>()), 0..20).prop_map(|overrides| {
        let holidays = Calendar::parse_holidays_csv(SHIPPED_CSV).unwrap();
        Calendar::new(holidays.into_iter().map(|(d, _)| d), overrides)
    })
}

proptest! {
    #[test]
    fn a_due_date_is_a_working_day(
        cal in any_calendar(), start in any_date(), period in any_period(),
    ) {
        prop_assert!(cal.is_working(due_date(&cal, start, period)));
    }

    #[test]
    fn a_due_date_is_never_before_start_plus_n_days(
        cal in any_calendar(), start in any_date(), period in any_period(),
    ) {
        let due = due_date(&cal, start, period);
        prop_assert!(due >= start + Days::new(u64::from(period.days)));
    }

    #[test]
    fn a_longer_period_never_ends_earlier(
        cal in any_calendar(), start in any_date(), period in any_period(),
    ) {
        let longer = Period { days: period.days + 1, ..period };
        prop_assert!(due_date(&cal, start, longer) >= due_date(&cal, start, period));
    }

    #[test]
    fn a_pause_never_makes_the_due_date_earlier(
        cal in any_calendar(), start in any_date(), period in any_period(),
        after in 0u64..200, length in 0u64..60,
    ) {
        let from = start + Days::new(after);
        let pause = (from, Some(from + Days::new(length)));
        let paused = due_after_pauses(&cal, start, period, &[pause]).unwrap();
        prop_assert!(paused >= due_date(&cal, start, period));
        prop_assert!(cal.is_working(paused));
    }

    #[test]
    fn a_pause_resumed_the_same_day_changes_nothing(
        cal in any_calendar(), start in any_date(), period in any_period(), after in 0u64..200,
    ) {
        let day = start + Days::new(after);
        prop_assert_eq!(
            due_after_pauses(&cal, start, period, &[(day, Some(day))]),
            Some(due_date(&cal, start, period))
        );
    }

    #[test]
    fn a_working_day_pause_keeps_n_minus_k(
        cal in any_calendar(), start in any_date(), days in 1u32..60,
        after in 0u64..1000, length in 0u64..30,
    ) {
        let period = Period::working_days(days);
        // A pause day between the start and the due date, both included.
        let span = (due_date(&cal, start, period) - start).num_days().unsigned_abs();
        let from = start + Days::new(after % (span + 1));
        let until = from + Days::new(length);
        let used = cal.working_days_in(start, from);
        let due = due_after_pauses(&cal, start, period, &[(from, Some(until))]).unwrap();
        if used < days {
            prop_assert_eq!(cal.working_days_in(until, due), days - used);
        } else {
            prop_assert_eq!(due, cal.next_working_day_on_or_after(until));
        }
    }

    #[test]
    fn a_running_clock_ends_at_the_end_of_the_local_due_day(
        start in any_date(), period in any_period(), minutes in 0i64..24 * 60,
    ) {
        let cal = shipped();
        let day_end = DayEnd::default();
        let started_at = day_end.end_of(start) - Duration::minutes(minutes);
        let input = ClockInput { started_at: Some(started_at), period, pauses: vec![], stopped_at: None };
        let v = evaluate(&cal, &day_end, &input, started_at);
        let due = due_date(&cal, start, period);
        prop_assert_eq!(v.state, ClockState::Running);
        prop_assert_eq!(v.due_local_date, Some(due));
        prop_assert_eq!(v.due_at, Some(day_end.end_of(due)));
        prop_assert_eq!(v.used_seconds, 0);
    }
}
