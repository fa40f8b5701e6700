//! The working-day calendar: weekends, public holidays, and the per-date overrides the
//! government announces each year (a bridge day off, a Saturday worked in exchange).
//!
//! Pure: no I/O, no clock. Every search is bounded so a broken calendar (say, every day a
//! holiday) cannot hang a request handler.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Weekday};

/// The longest run of consecutive days off a search walks through before giving up.
///
/// Ten years: no real calendar has a gap this long, so reaching it means the calendar is broken.
pub const SEARCH_LIMIT_DAYS: u32 = 3660;

/// The longest period, in days, the calendar counts; longer ones are treated as this long.
///
/// Legal periods are at most a few months; policy validation should reject anything near this.
pub const MAX_PERIOD_DAYS: u32 = 3660;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("holiday CSV: the header must be `date,name`, found `{found}`")]
    Header { found: String },
    #[error("holiday CSV, line {line}: {reason}")]
    Line { line: u64, reason: String },
}

/// Which days are worked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    holidays: HashSet<NaiveDate>,
    /// `true`: worked (e.g. a Saturday in exchange); `false`: off (e.g. a Tết bridge day).
    overrides: HashMap<NaiveDate, bool>,
    /// For counting a span in a few binary searches (reports count it for every ticket): the
    /// holidays that take a weekday off, in order, and each override's correction to the
    /// weekday count (+1 a Saturday worked, −1 a weekday off, 0 otherwise), in date order.
    weekday_holidays: Vec<NaiveDate>,
    corrections: Vec<(NaiveDate, i64)>,
}

impl Calendar {
    /// A calendar from public holidays and per-date overrides; a later override of the same
    /// date replaces an earlier one.
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        overrides: impl IntoIterator<Item = (NaiveDate, bool)>,
    ) -> Self {
        let holidays: HashSet<NaiveDate> = holidays.into_iter().collect();
        let overrides: HashMap<NaiveDate, bool> = overrides.into_iter().collect();
        let mut weekday_holidays: Vec<NaiveDate> = holidays
            .iter()
            .copied()
            .filter(|d| !is_weekend(*d) && !overrides.contains_key(d))
            .collect();
        weekday_holidays.sort_unstable();
        // An overridden date was counted once, as a weekday or not; the override corrects that.
        let mut corrections: Vec<(NaiveDate, i64)> = overrides
            .iter()
            .map(|(d, &worked)| (*d, i64::from(worked) - i64::from(!is_weekend(*d))))
            .collect();
        corrections.sort_unstable();
        Self {
            holidays,
            overrides,
            weekday_holidays,
            corrections,
        }
    }

    /// Reads the holiday list shipped in `assets/data/vn-public-holidays.csv`: a `date,name`
    /// header, then one `YYYY-MM-DD,name` line per holiday (names may be quoted, not span lines).
    ///
    /// A malformed row, an empty name or a date listed twice is an error naming its line.
    pub fn parse_holidays_csv(csv_text: &str) -> Result<Vec<(NaiveDate, String)>, CalendarError> {
        // Parsed by hand so errors name the physical line, blank lines included.
        let mut lines = csv_text.trim_start_matches('\u{feff}').lines().zip(1u64..);
        let header = lines.next().map_or("", |(text, _)| text);
        if split_csv_line(header).ok() != Some(vec!["date".to_owned(), "name".to_owned()]) {
            return Err(CalendarError::Header {
                found: header.to_owned(),
            });
        }

        let mut seen: HashMap<NaiveDate, u64> = HashMap::new();
        let mut holidays = Vec::new();
        for (text, line) in lines.filter(|(text, _)| !text.trim().is_empty()) {
            let bad = |reason: String| CalendarError::Line { line, reason };
            let [date, name]: [String; 2] = split_csv_line(text)
                .map_err(|reason| bad(reason.to_owned()))?
                .try_into()
                .map_err(|fields: Vec<String>| {
                    bad(format!(
                        "expected 2 fields, date and name, found {}",
                        fields.len()
                    ))
                })?;
            let date = NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|_| bad(format!("`{date}` is not a YYYY-MM-DD date")))?;
            if name.is_empty() {
                return Err(bad("the holiday has no name".to_owned()));
            }
            if let Some(first) = seen.insert(date, line) {
                return Err(bad(format!("{date} is already listed on line {first}")));
            }
            holidays.push((date, name));
        }
        Ok(holidays)
    }

    /// Whether `d` is a working day: an override decides; otherwise Monday to Friday, except
    /// public holidays.
    pub fn is_working(&self, d: NaiveDate) -> bool {
        match self.overrides.get(&d) {
            Some(&worked) => worked,
            None => self.is_normally_working(d),
        }
    }

    /// Whether `d` is on the public-holiday list (overrides do not change the answer).
    pub fn is_holiday(&self, d: NaiveDate) -> bool {
        self.holidays.contains(&d)
    }

    /// `d` if it is a working day, else the first working day after it.
    ///
    /// Gives up after [`SEARCH_LIMIT_DAYS`] days off in a row and returns the day the search
    /// stopped on: a broken calendar yields a far-off date, never a hang.
    pub fn next_working_day_on_or_after(&self, d: NaiveDate) -> NaiveDate {
        let mut day = d;
        for _ in 0..SEARCH_LIMIT_DAYS {
            if self.is_working(day) {
                return day;
            }
            day = next_day(day);
        }
        day
    }

    /// The `n`-th working day after `d` (`d` itself is not counted); `d` when `n` is 0.
    ///
    /// `n` is capped at [`MAX_PERIOD_DAYS`]; each step is bounded as in
    /// [`Self::next_working_day_on_or_after`].
    pub fn nth_working_day_after(&self, d: NaiveDate, n: u32) -> NaiveDate {
        (0..n.min(MAX_PERIOD_DAYS))
            .fold(d, |day, _| self.next_working_day_on_or_after(next_day(day)))
    }

    /// How many working days lie in `(after, up_to]`; 0 when `up_to <= after`.
    ///
    /// Counted from the weekday arithmetic plus the listed dates, so it costs the same for any
    /// span.
    pub fn working_days_in(&self, after: NaiveDate, up_to: NaiveDate) -> u32 {
        if up_to <= after {
            return 0;
        }
        let weekdays = weekdays_through(up_to) - weekdays_through(after);
        // The listed dates in `(after, up_to]`, by binary search in the sorted lists.
        let h = &self.weekday_holidays;
        let holidays_off =
            (h.partition_point(|d| *d <= up_to) - h.partition_point(|d| *d <= after)) as i64;
        let c = &self.corrections;
        let overridden: i64 = c
            [c.partition_point(|(d, _)| *d <= after)..c.partition_point(|(d, _)| *d <= up_to)]
            .iter()
            .map(|(_, k)| k)
            .sum();
        u32::try_from(weekdays - holidays_off + overridden).unwrap_or(u32::MAX)
    }

    fn is_normally_working(&self, d: NaiveDate) -> bool {
        !is_weekend(d) && !self.is_holiday(d)
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The next day, staying put at the end of chrono's range rather than panicking.
fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// Mondays to Fridays from an arbitrary origin up to and including `d`; only differences are
/// meaningful. Day 1 of the common era (0001-01-01) is a Monday.
fn weekdays_through(d: NaiveDate) -> i64 {
    let day = i64::from(d.num_days_from_ce());
    day.div_euclid(7) * 5 + day.rem_euclid(7).min(5)
}

/// The trimmed fields of one CSV line; a quoted field may hold commas, and `""` for a quote.
fn split_csv_line(line: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut field = String::new();
        if chars.next_if_eq(&'"').is_some() {
            loop {
                match chars.next() {
                    Some('"') if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed"),
                }
            }
            while chars.next_if(|c| c.is_whitespace()).is_some() {}
            if chars.peek().is_some_and(|c| *c != ',') {
                return Err("text follows a closing quote");
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                field.push(c);
            }
            field.truncate(field.trim_end().len());
        }
        fields.push(field);
        // Past the comma, or at the end of the line.
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SHIPPED_CSV: &str = include_str!("../../assets/data/vn-public-holidays.csv");

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn shipped() -> Calendar {
        let holidays = Calendar::parse_holidays_csv(SHIPPED_CSV).unwrap();
        Calendar::new(holidays.into_iter().map(|(d, _)| d), [])
    }

    #[test]
    fn the_shipped_csv_parses_with_its_names() {
        let holidays = Calendar::parse_holidays_csv(SHIPPED_CSV).unwrap();
        assert_eq!(holidays.len(), SHIPPED_CSV.lines().count() - 1);
        assert!(holidays.contains(&(date("2026-02-17"), "Lunar New Year".to_owned())));
        assert!(holidays.contains(&(
            date("2026-04-26"),
            "Hung Kings' Commemoration Day".to_owned()
        )));
    }

    #[test]
    fn quoted_names_may_hold_commas() {
        let csv = "date,name\n2026-09-02,\"National Day, second day\"\n2026-01-01,New Year\n";
        assert_eq!(
            Calendar::parse_holidays_csv(csv).unwrap(),
            vec![
                (date("2026-09-02"), "National Day, second day".to_owned()),
                (date("2026-01-01"), "New Year".to_owned()),
            ]
        );
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
        let csv = "\u{feff}date,name\r\n2026-01-01,New Year\r\n";
        assert_eq!(
            Calendar::parse_holidays_csv(csv).unwrap(),
            vec![(date("2026-01-01"), "New Year".to_owned())]
        );
    }

    #[test]
    fn a_header_alone_is_an_empty_list() {
        assert_eq!(Calendar::parse_holidays_csv("date,name\n"), Ok(vec![]));
    }

    #[test]
    fn a_wrong_header_is_refused() {
        assert_eq!(
            Calendar::parse_holidays_csv("day,holiday\n2026-01-01,New Year\n"),
            Err(CalendarError::Header {
                found: "day,holiday".to_owned()
            })
        );
        assert!(matches!(
            Calendar::parse_holidays_csv(""),
            Err(CalendarError::Header { .. })
        ));
    }

    fn error_line(csv: &str) -> u64 {
        match Calendar::parse_holidays_csv(csv) {
            Err(CalendarError::Line { line, .. }) => line,
            other => panic!("expected a line error, got {other:?}"),
        }
    }

    #[test]
    fn a_bad_date_names_its_line() {
        let csv = "date,name\n2026-01-01,New Year\n2026-02-30,Nowhere\n";
        assert_eq!(error_line(csv), 3);
        let message = Calendar::parse_holidays_csv(csv).unwrap_err().to_string();
        assert_eq!(
            message,
            "holiday CSV, line 3: `2026-02-30` is not a YYYY-MM-DD date"
        );
        assert_eq!(error_line("date,name\n01/01/2026,New Year\n"), 2);
        assert_eq!(
            error_line("date,name\n\n2026-13-01,Nowhere\n"),
            3,
            "blank lines count"
        );
    }

    #[test]
    fn a_missing_or_extra_column_names_its_line() {
        assert_eq!(
            error_line("date,name\n2026-01-01,New Year\n2026-01-02\n"),
            3
        );
        assert_eq!(error_line("date,name\n2026-01-01,New Year,extra\n"), 2);
    }

    #[test]
    fn bad_quoting_names_its_line() {
        assert_eq!(error_line("date,name\n2026-01-01,\"New Year\n"), 2);
        assert_eq!(error_line("date,name\n2026-01-01,\"New\" Year\n"), 2);
        assert_eq!(
            Calendar::parse_holidays_csv("date,name\n2026-01-01, \"Say \"\"hi\"\"\" \n"),
            Ok(vec![(date("2026-01-01"), "Say \"hi\"".to_owned())])
        );
    }

    #[test]
    fn an_empty_name_names_its_line() {
        assert_eq!(error_line("date,name\n2026-01-01,\"\"\n"), 2);
    }

    #[test]
    fn a_date_listed_twice_names_both_lines() {
        let err =
            Calendar::parse_holidays_csv("date,name\n2026-01-01,A\n2026-01-02,B\n2026-01-01,C\n")
                .unwrap_err();
        assert_eq!(
            err,
            CalendarError::Line {
                line: 4,
                reason: "2026-01-01 is already listed on line 2".to_owned()
            }
        );
    }

    #[test]
    fn weekends_and_holidays_are_off_overrides_win() {
        let cal = Calendar::new(
            [date("2026-01-01")],
            [(date("2026-01-02"), false), (date("2026-01-10"), true)],
        );
        assert!(!cal.is_working(date("2026-01-01")), "New Year, a Thursday");
        assert!(!cal.is_working(date("2026-01-02")), "bridge Friday off");
        assert!(!cal.is_working(date("2026-01-03")), "Saturday");
        assert!(!cal.is_working(date("2026-01-04")), "Sunday");
        assert!(cal.is_working(date("2026-01-05")), "Monday");
        assert!(
            cal.is_working(date("2026-01-10")),
            "Saturday worked in exchange"
        );
        assert!(cal.is_holiday(date("2026-01-01")));
        assert!(
            !cal.is_holiday(date("2026-01-02")),
            "an override is not a holiday"
        );
    }

    #[test]
    fn an_override_can_make_a_holiday_worked() {
        let cal = Calendar::new([date("2026-04-30")], [(date("2026-04-30"), true)]);
        assert!(cal.is_working(date("2026-04-30")));
        assert_eq!(
            cal.working_days_in(date("2026-04-29"), date("2026-04-30")),
            1
        );
    }

    #[test]
    fn next_working_day_skips_tet_2026() {
        let cal = shipped();
        // Sat 14/2, Sun 15/2, Tết Mon 16/2–Fri 20/2, Sat 21/2, Sun 22/2: Monday 23/2.
        assert_eq!(
            cal.next_working_day_on_or_after(date("2026-02-14")),
            date("2026-02-23")
        );
        assert_eq!(
            cal.next_working_day_on_or_after(date("2026-02-13")),
            date("2026-02-13")
        );
    }

    #[test]
    fn nth_working_day_counts_from_the_day_after() {
        let cal = shipped();
        assert_eq!(
            cal.nth_working_day_after(date("2026-02-13"), 0),
            date("2026-02-13")
        );
        // Friday before Tết: the first working day after it is Monday 23/2.
        assert_eq!(
            cal.nth_working_day_after(date("2026-02-13"), 1),
            date("2026-02-23")
        );
        assert_eq!(
            cal.working_days_in(date("2026-02-13"), date("2026-02-23")),
            1
        );
        assert_eq!(
            cal.working_days_in(date("2026-02-23"), date("2026-02-13")),
            0
        );
    }

    #[test]
    fn a_calendar_with_every_day_off_gives_up_instead_of_hanging() {
        let start = date("2026-01-01");
        let off = (0..20_000).map(|i| start + chrono::Days::new(i));
        let cal = Calendar::new([], off.map(|d| (d, false)));
        let limit = chrono::Days::new(u64::from(SEARCH_LIMIT_DAYS));
        assert_eq!(cal.next_working_day_on_or_after(start), start + limit);
        // Each of the two steps starts the day after the last and gives up after the limit.
        let two_steps = chrono::Days::new(2 * (u64::from(SEARCH_LIMIT_DAYS) + 1));
        assert_eq!(cal.nth_working_day_after(start, 2), start + two_steps);
        assert_eq!(cal.working_days_in(start, start + limit), 0);
    }

    #[test]
    fn the_end_of_chronos_range_does_not_panic() {
        let cal = Calendar::default();
        let last = NaiveDate::MAX;
        assert!(cal.nth_working_day_after(last, 10) <= last);
        assert_eq!(cal.working_days_in(last, last), 0);
    }

    #[test]
    fn long_periods_are_capped() {
        let cal = Calendar::default();
        let start = date("2026-01-01");
        assert_eq!(
            cal.nth_working_day_after(start, u32::MAX),
            cal.nth_working_day_after(start, MAX_PERIOD_DAYS)
        );
    }

    /// A calendar with random holidays and overrides in 2025–2027.
    fn any_calendar() -> impl Strategy<Value = Calendar> {
        let day = 0u64..1095;
        (
            proptest::collection::vec(day.clone(), 0..80),
            proptest::collection::vec((day, any::<bool>()), 0..40),
        )
            .prop_map(|(holidays, overrides)| {
                let base = date("2025-01-01");
                Calendar::new(
                    holidays.into_iter().map(|i| base + chrono::Days::new(i)),
                    overrides
                        .into_iter()
                        .map(|(i, w)| (base + chrono::Days::new(i), w)),
                )
            })
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0u64..1095).prop_map(|i| date("2025-01-01") + chrono::Days::new(i))
    }

    proptest! {
        #[test]
        fn working_days_in_matches_a_day_by_day_count(
            cal in any_calendar(), after in any_date(), len in 0u64..400,
        ) {
            let up_to = after + chrono::Days::new(len);
            let counted = after
                .iter_days()
                .skip(1)
                .take_while(|d| *d <= up_to)
                .filter(|d| cal.is_working(*d))
                .count() as u32;
            prop_assert_eq!(cal.working_days_in(after, up_to), counted);
        }

        #[test]
        fn nth_working_day_has_exactly_n_working_days_before_it(
            cal in any_calendar(), d in any_date(), n in 0u32..200,
        ) {
            let nth = cal.nth_working_day_after(d, n);
            prop_assert_eq!(cal.working_days_in(d, nth), n);
            if n > 0 {
                prop_assert!(cal.is_working(nth));
            }
        }

        #[test]
        fn next_working_day_is_working_and_skips_only_days_off(
            cal in any_calendar(), d in any_date(),
        ) {
            let next = cal.next_working_day_on_or_after(d);
            prop_assert!(next >= d);
            prop_assert!(cal.is_working(next));
            prop_assert!(d.iter_days().take_while(|x| *x < next).all(|x| !cal.is_working(x)));
        }
    }
}
