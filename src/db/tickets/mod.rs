//! Tickets as stored: the row and its decoding (kind, status and channel are enums; an
//! unknown stored word is an error, never a default), and the statements the workflow uses
//! to write them. Who may do what, and what follows, is `workflow::tickets`.

mod social;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::DbConn;
use super::schema::tickets;
use crate::db::Error;
use crate::domain::ticket::{Changes, Channel, Kind, Status};

pub use social::*;

/// A ticket row as the database holds it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
struct Row {
    id: i64,
    code: String,
    kind: String,
    category_code: String,
    title: String,
    description: String,
    lat: Option<f64>,
    lon: Option<f64>,
    area_code: String,
    address: Option<String>,
    attributes: String,
    submitter_id: Option<i64>,
    anonymous: bool,
    tracking_secret_hash: Option<String>,
    contact_name: Option<String>,
    contact_email: Option<String>,
    contact_phone: Option<String>,
    contact_address: Option<String>,
    confidential: bool,
    private: bool,
    public: bool,
    answer_public: bool,
    channel: String,
    status: String,
    status_before_info: Option<String>,
    unit_id: i64,
    assignee_id: Option<i64>,
    priority: i32,
    round: i32,
    appeal_of_id: Option<i64>,
    accused_unit_id: Option<i64>,
    contested: Option<String>,
    filing_late: bool,
    complex: bool,
    remote: bool,
    policy_id: Option<i64>,
    routing_reason: Option<String>,
    received_at: NaiveDateTime,
    accepted_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    answer: Option<String>,
    withdrawal_requested: bool,
    overdue: bool,
    next_due_at: Option<NaiveDateTime>,
    reopen_count: i32,
    supporters: i32,
    duplicate_of_id: Option<i64>,
    rating: Option<i32>,
    rating_comment: Option<String>,
    rated_at: Option<NaiveDateTime>,
    version: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    info_requested_at: Option<NaiveDateTime>,
    info_lapsed: bool,
}

/// A ticket, decoded.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: i64,
    pub code: String,
    pub kind: Kind,
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area_code: String,
    pub address: Option<String>,
    /// The answers to the category's form fields, as JSON.
    pub attributes: String,
    pub submitter_id: Option<i64>,
    pub anonymous: bool,
    pub tracking_secret_hash: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_address: Option<String>,
    pub confidential: bool,
    pub private: bool,
    pub public: bool,
    pub answer_public: bool,
    pub channel: Channel,
    pub status: Status,
    pub status_before_info: Option<Status>,
    pub unit_id: i64,
    pub assignee_id: Option<i64>,
    pub priority: i32,
    pub round: i32,
    pub appeal_of_id: Option<i64>,
    pub accused_unit_id: Option<i64>,
    /// What a complaint contests, as JSON.
    pub contested: Option<String>,
    pub filing_late: bool,
    pub complex: bool,
    pub remote: bool,
    pub policy_id: Option<i64>,
    pub routing_reason: Option<String>,
    pub received_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub answer: Option<String>,
    pub withdrawal_requested: bool,
    pub overdue: bool,
    pub next_due_at: Option<NaiveDateTime>,
    pub reopen_count: i32,
    pub supporters: i32,
    pub duplicate_of_id: Option<i64>,
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<NaiveDateTime>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub info_requested_at: Option<NaiveDateTime>,
    pub info_lapsed: bool,
}

impl Row {
    fn decode(self) -> Result<Ticket, Error> {
        let corrupt = |what: &str, value: &str| {
            Error::corrupt(format!("ticket {}: unknown {what} {value:?}", self.code))
        };
        let kind = Kind::parse(&self.kind).ok_or_else(|| corrupt("kind", &self.kind))?;
        let status = Status::parse(&self.status).ok_or_else(|| corrupt("status", &self.status))?;
        let channel =
            Channel::parse(&self.channel).ok_or_else(|| corrupt("channel", &self.channel))?;
        let status_before_info = match &self.status_before_info {
            Some(s) => Some(Status::parse(s).ok_or_else(|| corrupt("status", s))?),
            None => None,
        };
        Ok(Ticket {
            id: self.id,
            code: self.code,
            kind,
            category_code: self.category_code,
            title: self.title,
            description: self.description,
            lat: self.lat,
            lon: self.lon,
            area_code: self.area_code,
            address: self.address,
            attributes: self.attributes,
            submitter_id: self.submitter_id,
            anonymous: self.anonymous,
            tracking_secret_hash: self.tracking_secret_hash,
            contact_name: self.contact_name,
            contact_email: self.contact_email,
            contact_phone: self.contact_phone,
            contact_address: self.contact_address,
            confidential: self.confidential,
            private: self.private,
            public: self.public,
            answer_public: self.answer_public,
            channel,
            status,
            status_before_info,
            unit_id: self.unit_id,
            assignee_id: self.assignee_id,
            priority: self.priority,
            round: self.round,
            appeal_of_id: self.appeal_of_id,
            accused_unit_id: self.accused_unit_id,
            contested: self.contested,
            filing_late: self.filing_late,
            complex: self.complex,
            remote: self.remote,
            policy_id: self.policy_id,
            routing_reason: self.routing_reason,
            received_at: self.received_at,
            accepted_at: self.accepted_at,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            answer: self.answer,
            withdrawal_requested: self.withdrawal_requested,
            overdue: self.overdue,
            next_due_at: self.next_due_at,
            reopen_count: self.reopen_count,
            supporters: self.supporters,
            duplicate_of_id: self.duplicate_of_id,
            rating: self.rating,
            rating_comment: self.rating_comment,
            rated_at: self.rated_at,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            info_requested_at: self.info_requested_at,
            info_lapsed: self.info_lapsed,
        })
    }
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> Result<Option<Ticket>, Error> {
    tickets::table
        .filter(tickets::code.eq(code))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::decode)
        .transpose()
}

/// A signed-in submitter's name, email and phone.
pub type Contact = (String, Option<String>, Option<String>);

/// What a read of one ticket needs besides its row, fetched with it.
#[derive(Debug, Clone, Default)]
pub struct Around {
    /// Its clocks, by name.
    pub clocks: Vec<super::clocks::ClockRow>,
    /// The signed-in submitter's name, email and phone (`None`: no account, or gone).
    pub submitter: Option<Contact>,
}

/// [`find_by_code`] with its clocks and its submitter's contact, in one statement (the
/// ticket's row joined to each clock and to the submitter's account): one consistent view
/// without a transaction.
pub fn find_by_code_around(
    conn: &mut DbConn,
    code: &str,
) -> Result<Option<(Ticket, Around)>, Error> {
    use super::clocks::ClockRow;
    use super::schema::{ticket_clocks as tc, users};
    type Found = (
        Row,
        Option<ClockRow>,
        Option<(String, Option<String>, Option<String>)>,
    );
    // The ticket read's main statement: on the backend's own connection (see `on_backend!`;
    // the query is written inside it, so that each backend gets its own `as_select`).
    let rows: Vec<Found> = on_backend!(conn, |c| tickets::table
        .left_join(tc::table)
        .left_join(users::table.on(users::id.nullable().eq(tickets::submitter_id)))
        .filter(tickets::code.eq(code))
        .order(tc::name.asc())
        .select((
            Row::as_select(),
            // In `ClockRow`'s field order.
            (
                tc::ticket_id,
                tc::name,
                tc::counting,
                tc::days,
                tc::lengths,
                tc::extensions_used,
                tc::extensions_allowed,
                tc::extension_max_days,
                tc::starts_at,
                tc::started_at,
                tc::stopped_at,
                tc::pauses,
                tc::due_at,
                tc::reminded_75,
                tc::reminded_last_day,
                tc::missed_at,
                tc::next_check_at,
                tc::due_inputs,
            )
                .nullable(),
            (users::full_name, users::email, users::phone).nullable(),
        ))
        .load(c))?;
    let mut rows = rows.into_iter();
    let Some((row, clock, submitter)) = rows.next() else {
        return Ok(None);
    };
    let mut around = Around {
        clocks: clock.into_iter().collect(),
        submitter,
    };
    around.clocks.extend(rows.filter_map(|(_, c, _)| c));
    Ok(Some((row.decode()?, around)))
}

/// Every ticket a person submitted, oldest first.
pub fn submitted_by(conn: &mut DbConn, user_id: i64) -> Result<Vec<Ticket>, Error> {
    tickets::table
        .filter(tickets::submitter_id.eq(user_id))
        .order(tickets::id.asc())
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Row::decode)
        .collect()
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Ticket>, Error> {
    tickets::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::decode)
        .transpose()
}

/// A ticket about to be stored (the workflow routed and numbered it).
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    pub code: &'a str,
    pub kind: Kind,
    pub category_code: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    /// The folded title and description (diacritics removed) that search reads.
    pub search_text: &'a str,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area_code: &'a str,
    pub address: Option<&'a str>,
    pub attributes: String,
    pub submitter_id: Option<i64>,
    pub anonymous: bool,
    pub tracking_secret_hash: Option<&'a str>,
    pub contact_name: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub contact_phone: Option<&'a str>,
    pub contact_address: Option<&'a str>,
    pub confidential: bool,
    pub private: bool,
    /// Public from submission (what an Open311 client sends); else set on acceptance.
    pub public: bool,
    pub channel: Channel,
    pub unit_id: i64,
    pub round: i32,
    pub appeal_of_id: Option<i64>,
    pub accused_unit_id: Option<i64>,
    pub contested: Option<String>,
    pub filing_late: bool,
    pub remote: bool,
    pub policy_id: Option<i64>,
    pub routing_reason: String,
    pub received_at: NaiveDateTime,
}

/// Stores a new ticket (status `submitted`); returns its id.
/// Stores a new ticket with the marks of its clocks (`clocks::start`) and returns it as
/// written.
pub fn insert(
    conn: &mut DbConn,
    t: &NewTicket,
    clocks: &super::clocks::Started,
) -> Result<Ticket, Error> {
    let insert = diesel::insert_into(tickets::table).values((
        (
            tickets::code.eq(t.code),
            tickets::kind.eq(t.kind.as_str()),
            tickets::category_code.eq(t.category_code),
            tickets::title.eq(t.title),
            tickets::description.eq(t.description),
            tickets::search_text.eq(t.search_text),
            tickets::lat.eq(t.lat),
            tickets::lon.eq(t.lon),
            tickets::area_code.eq(t.area_code),
            tickets::address.eq(t.address),
            tickets::attributes.eq(&t.attributes),
            tickets::submitter_id.eq(t.submitter_id),
            tickets::anonymous.eq(t.anonymous),
            tickets::tracking_secret_hash.eq(t.tracking_secret_hash),
            tickets::contact_name.eq(t.contact_name),
            tickets::contact_email.eq(t.contact_email),
            tickets::contact_phone.eq(t.contact_phone),
            tickets::contact_address.eq(t.contact_address),
            tickets::confidential.eq(t.confidential),
            tickets::private.eq(t.private),
            tickets::public.eq(t.public),
            tickets::channel.eq(t.channel.as_str()),
            tickets::status.eq(Status::Submitted.as_str()),
            tickets::unit_id.eq(t.unit_id),
            tickets::round.eq(t.round),
            tickets::appeal_of_id.eq(t.appeal_of_id),
            tickets::accused_unit_id.eq(t.accused_unit_id),
            tickets::contested.eq(&t.contested),
            tickets::filing_late.eq(t.filing_late),
            tickets::remote.eq(t.remote),
            tickets::policy_id.eq(t.policy_id),
            tickets::routing_reason.eq(&t.routing_reason),
            tickets::received_at.eq(t.received_at),
            tickets::created_at.eq(t.received_at),
            tickets::updated_at.eq(t.received_at),
        ),
        clocks.marks(),
    ));
    let row: Row = super::on_backend!(conn, |c| insert
        .returning(Row::as_returning())
        .get_result(c))?;
    row.decode()
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = tickets)]
struct Set {
    status: Option<&'static str>,
    status_before_info: Option<Option<&'static str>>,
    unit_id: Option<i64>,
    assignee_id: Option<Option<i64>>,
    accepted_at: Option<Option<NaiveDateTime>>,
    resolved_at: Option<Option<NaiveDateTime>>,
    closed_at: Option<Option<NaiveDateTime>>,
    complex: Option<bool>,
    public: Option<bool>,
    answer: Option<Option<String>>,
    answer_public: Option<bool>,
    withdrawal_requested: Option<bool>,
    reopen_count: Option<i32>,
    duplicate_of_id: Option<Option<i64>>,
    rating: Option<Option<i32>>,
    rating_comment: Option<Option<String>>,
    rated_at: Option<Option<NaiveDateTime>>,
    paused_once: Option<bool>,
    info_requested_at: Option<Option<NaiveDateTime>>,
    info_lapsed: Option<bool>,
    version: Option<i32>,
    updated_at: Option<NaiveDateTime>,
}

fn naive(t: Option<Option<DateTime<Utc>>>) -> Option<Option<NaiveDateTime>> {
    t.map(|t| t.map(|t| t.naive_utc()))
}

/// Writes an action's changes (its new status, and the marks of its clocks) if the ticket is
/// still at `version`, and returns it as written: `None` when a concurrent action changed it
/// first (the optimistic check).
pub fn update(
    conn: &mut DbConn,
    t: &Ticket,
    status: Status,
    c: &Changes,
    marks: super::clocks::Marks,
    now: DateTime<Utc>,
) -> Result<Option<Ticket>, Error> {
    let set = Set {
        status: (status != t.status).then_some(status.as_str()),
        status_before_info: c.status_before_info.map(|s| s.map(Status::as_str)),
        unit_id: c.unit_id,
        assignee_id: c.assignee_id,
        accepted_at: naive(c.accepted_at),
        resolved_at: naive(c.resolved_at),
        closed_at: naive(c.closed_at),
        complex: c.complex,
        public: c.public,
        answer: c.answer.clone(),
        answer_public: c.answer_public,
        withdrawal_requested: c.withdrawal_requested,
        reopen_count: c.reopen_count,
        duplicate_of_id: c.duplicate_of_id,
        rating: c.clear_rating.then_some(None),
        rating_comment: c.clear_rating.then_some(None),
        rated_at: c.clear_rating.then_some(None),
        paused_once: c.paused_once,
        info_requested_at: naive(c.info_requested_at),
        info_lapsed: c.info_lapsed,
        version: Some(t.version + 1),
        updated_at: Some(now.naive_utc()),
    };
    let update = diesel::update(
        tickets::table
            .filter(tickets::id.eq(t.id))
            .filter(tickets::version.eq(t.version)),
    )
    .set((&set, marks));
    let row: Option<Row> = super::on_backend!(conn, |c| update
        .returning(Row::as_returning())
        .get_result(c)
        .optional())?;
    row.map(Row::decode).transpose()
}

/// Replaces a ticket's tracking secret (a retried submission gets a fresh one).
pub fn set_tracking_secret(conn: &mut DbConn, id: i64, hash: &str) -> Result<(), Error> {
    diesel::update(tickets::table.find(id))
        .set(tickets::tracking_secret_hash.eq(Some(hash)))
        .execute(conn)?;
    Ok(())
}

/// Records a rating, once per answer: `false` when the answer was rated already.
pub fn set_rating(
    conn: &mut DbConn,
    id: i64,
    score: i32,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let n = diesel::update(
        tickets::table
            .filter(tickets::id.eq(id))
            .filter(tickets::rating.is_null()),
    )
    .set((
        tickets::rating.eq(Some(score)),
        tickets::rating_comment.eq(comment),
        tickets::rated_at.eq(Some(now)),
        tickets::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Whether a second-round complaint already contests this one.
pub fn appealed(conn: &mut DbConn, ticket_id: i64) -> Result<bool, Error> {
    Ok(diesel::select(diesel::dsl::exists(
        tickets::table.filter(tickets::appeal_of_id.eq(ticket_id)),
    ))
    .get_result(conn)?)
}

/// Flags a ticket overdue (the sweep, at a missed deadline).
pub fn flag_overdue(conn: &mut DbConn, id: i64) -> Result<(), Error> {
    diesel::update(tickets::table.find(id))
        .set(tickets::overdue.eq(true))
        .execute(conn)?;
    Ok(())
}

/// Answered tickets whose answer is older than `before`, oldest first.
pub fn answered_before(
    conn: &mut DbConn,
    before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<i64>, Error> {
    Ok(tickets::table
        .filter(tickets::status.eq(Status::Resolved.as_str()))
        .filter(tickets::resolved_at.le(before))
        .order(tickets::resolved_at.asc())
        .limit(limit)
        .select(tickets::id)
        .load(conn)?)
}

/// Tickets waiting for their submitter since before `asked_before`, with when they asked.
pub fn waiting_since(
    conn: &mut DbConn,
    asked_before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<(i64, NaiveDateTime)>, Error> {
    Ok(tickets::table
        .filter(tickets::info_requested_at.le(asked_before))
        .filter(tickets::status.eq(Status::AwaitingInfo.as_str()))
        .order(tickets::info_requested_at.asc())
        .limit(limit)
        .select((tickets::id, tickets::info_requested_at.assume_not_null()))
        .load(conn)?)
}

/// How many tickets a unit holds (open or not).
pub fn held_by(conn: &mut DbConn, unit_id: i64) -> Result<i64, Error> {
    Ok(tickets::table
        .filter(tickets::unit_id.eq(unit_id))
        .count()
        .get_result(conn)?)
}

/// How many tickets are filed under a category.
pub fn in_category(conn: &mut DbConn, code: &str) -> Result<i64, Error> {
    Ok(tickets::table
        .filter(tickets::category_code.eq(code))
        .count()
        .get_result(conn)?)
}

/// The open tickets a unit holds.
pub fn open_held_by(conn: &mut DbConn, unit_id: i64) -> Result<Vec<i64>, Error> {
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    Ok(tickets::table
        .filter(tickets::unit_id.eq(unit_id))
        .filter(tickets::status.eq_any(open))
        .select(tickets::id)
        .load(conn)?)
}

/// Moves a ticket to another unit, unassigned (a merge of units).
pub fn move_to_unit(
    conn: &mut DbConn,
    id: i64,
    into: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(tickets::table.find(id))
        .set((
            tickets::unit_id.eq(into),
            tickets::assignee_id.eq(None::<i64>),
            tickets::version.eq(tickets::version + 1),
            tickets::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}
