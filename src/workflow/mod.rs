//! The use cases: each opens (or joins) the transaction, asks `domain` for the decision,
//! stores through `db` and hands the audience to `notify`. Nothing else changes a ticket.
//!
//! - `tickets`: submit, read, act (the workflow actions), comment, rate, support, follow;
//! - `follow_ups`: what a unit owes by a date besides a ticket (a synthesis, a commitment);
//! - `sweep`: the deadline sweep's reminders, escalations, the automatic close and the end
//!   of questions left unanswered;
//! - `accounts`, `units`, `categories`, `areas`, `routing_rules`, `policies`: what the
//!   administrators (and sign-up) keep, with the refusals that guard it;
//! - `idempotency`, `rate_limits`: the answers to a retried or too frequent request.
//!
//! `db` only stores and says what it found (`None`, `false`, a unique violation); the
//! refusal that follows is written here.

pub mod accounts;
pub mod announcements;
pub mod areas;
pub mod categories;
pub mod consultations;
pub mod dialogues;
pub mod follow_ups;
pub mod idempotency;
pub mod password;
pub mod policies;
pub mod preferences;
pub mod rate_limits;
pub mod reception_days;
pub mod receptions;
pub mod refs;
pub mod residents;
pub mod routing_rules;
pub mod sign_in;
pub mod sweep;
pub mod tickets;
pub mod units;

use chrono::{DateTime, Utc};

use crate::domain::calendar::Calendar;
use crate::domain::deadlines::DayEnd;
use crate::notify::recipients::Delivery;

/// Everything a use case needs besides the connection: the time, the calendar in force, how
/// messages go out, and the settings it applies.
pub struct Ctx {
    pub now: DateTime<Utc>,
    pub cal: Calendar,
    /// The reference data in force (categories, areas, the calendar `cal` was taken from).
    pub refs: std::sync::Arc<crate::db::reference::Snapshot>,
    pub day_end: DayEnd,
    pub delivery: Delivery,
    pub complaint_suspension: bool,
    pub support_threshold: i32,
    /// `media.max_per_ticket`: attachments one ticket may carry.
    pub max_attachments: u32,
}

impl Ctx {
    pub fn naive(&self) -> chrono::NaiveDateTime {
        self.now.naive_utc()
    }
}
