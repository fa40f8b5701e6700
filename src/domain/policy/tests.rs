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
    let csv = include_str!("../../../assets/data/vn-public-holidays.csv");
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
