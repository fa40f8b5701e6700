//! Sign-in throttling: how long an address must wait before it may try a password again.
//!
//! Failures are counted per client address, per (account, address) and per account. An
//! address that failed too often — over all accounts, or on this account — waits for its
//! window to end. Failures on an account from anywhere slow down only the addresses that
//! failed on it themselves, with a delay that doubles with every failure: an address that has
//! not failed is never held back, so nobody can lock an account's owner out by guessing.

use chrono::{Duration, NaiveDateTime};

/// Failures counted under one key in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i32,
    pub window_ends: NaiveDateTime,
    pub last_at: NaiveDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures from one address over every account.
    pub per_address: i32,
    /// Failures on one account from one address.
    pub per_account_and_address: i32,
    /// Failures on one account from anywhere before the addresses that failed slow down.
    pub slow_after: i32,
    /// The first delay, doubled with each further failure on the account, up to `delay_max`.
    pub delay_base: Duration,
    pub delay_max: Duration,
}

/// What one sign-in attempt has to go by: the failures of its address, of the account from
/// that address, and of the account from anywhere (each `None` when none in the window).
#[derive(Debug, Clone, Copy, Default)]
pub struct Record {
    pub address: Option<Failures>,
    pub account_and_address: Option<Failures>,
    pub account: Option<Failures>,
}

/// The account-wide delay after `count` failures on it.
pub fn delay(limits: &Limits, count: i32) -> Duration {
    if count < limits.slow_after {
        return Duration::zero();
    }
    let doublings = (count - limits.slow_after).min(30) as u32;
    let secs = limits
        .delay_base
        .num_seconds()
        .saturating_mul(1i64 << doublings);
    Duration::seconds(secs).min(limits.delay_max)
}

/// Seconds to wait before trying (`Retry-After`), or `None` when the attempt may go ahead.
pub fn wait(limits: &Limits, record: &Record, now: NaiveDateTime) -> Option<u64> {
    let full = |f: &Failures, limit: i32| (f.count >= limit).then_some(f.window_ends);
    let address = record.address.and_then(|f| full(&f, limits.per_address));
    let pair = record
        .account_and_address
        .and_then(|f| full(&f, limits.per_account_and_address));
    // The account's delay holds only an address that failed on the account itself.
    let slowed = match (record.account_and_address, record.account) {
        (Some(_), Some(account)) => Some(account.last_at + delay(limits, account.count)),
        _ => None,
    };
    [address, pair, slowed]
        .into_iter()
        .flatten()
        .filter(|t| *t > now)
        .max()
        .map(|t| secs_until(t, now))
}

fn secs_until(t: NaiveDateTime, now: NaiveDateTime) -> u64 {
    let ms = (t - now).num_milliseconds().max(0) as u64;
    ms.div_ceil(1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            per_address: 20,
            per_account_and_address: 5,
            slow_after: 5,
            delay_base: Duration::seconds(1),
            delay_max: Duration::seconds(900),
        }
    }

    fn at(secs: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + secs, 0)
            .unwrap()
            .naive_utc()
    }

    fn failures(count: i32, last: i64) -> Option<Failures> {
        Some(Failures {
            count,
            window_ends: at(900),
            last_at: at(last),
        })
    }

    #[test]
    fn the_delay_doubles_from_the_threshold_up_to_the_cap() {
        let l = limits();
        let secs: Vec<i64> = (3..=17).map(|n| delay(&l, n).num_seconds()).collect();
        assert_eq!(
            secs,
            [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
        );
        assert_eq!(delay(&l, i32::MAX), Duration::seconds(900));
    }

    #[test]
    fn an_address_that_never_failed_is_not_held_back_by_the_account() {
        let record = Record {
            address: None,
            account_and_address: None,
            account: failures(40, 10),
        };
        assert_eq!(wait(&limits(), &record, at(10)), None);
    }

    #[test]
    fn an_address_that_failed_waits_the_account_delay_from_the_last_failure() {
        let record = Record {
            address: failures(3, 8),
            account_and_address: failures(1, 8),
            account: failures(8, 10),
        };
        // Eight failures: 1 s doubled three times.
        assert_eq!(wait(&limits(), &record, at(10)), Some(8));
        assert_eq!(wait(&limits(), &record, at(17)), Some(1));
        assert_eq!(wait(&limits(), &record, at(18)), None);
        // Under the threshold there is no delay at all.
        let few = Record {
            account: failures(4, 10),
            ..record
        };
        assert_eq!(wait(&limits(), &few, at(10)), None);
    }

    #[test]
    fn hard_limits_hold_until_their_window_ends() {
        let pair = Record {
            address: failures(5, 100),
            account_and_address: failures(5, 100),
            account: failures(5, 100),
        };
        assert_eq!(wait(&limits(), &pair, at(100)), Some(800));
        let address = Record {
            address: failures(20, 100),
            ..Record::default()
        };
        assert_eq!(wait(&limits(), &address, at(300)), Some(600));
        assert_eq!(wait(&limits(), &address, at(900)), None);
    }
}
