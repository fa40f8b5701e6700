//! Tickets: the path of one submission from a phone (or the desk) to an answer. Each change
//! runs in one transaction with its timeline event, its clock changes and its outbox rows.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use super::clocks::{self, Case};
use super::events::{self, NewEvent};
use super::schema::{ticket_followers, ticket_supports, tickets, uploads, users};
use super::{DbConn, is_unique_violation};
use crate::auth::CurrentUser;
use crate::domain::account::Role;
use crate::domain::calendar::Calendar;
use crate::domain::clock::ClockChange as Change;
use crate::domain::deadlines::DayEnd;
use crate::domain::policy::ClockName;
use crate::domain::policy::TicketFacts;
use crate::domain::ticket::{self, Action, Channel, Facts, Kind, Party, Refusal, Status};
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::notify::recipients::{self, Delivery, To};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct Ticket {
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub category_code: String,
    pub title: String,
    pub description: String,
    pub search_text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area_code: String,
    pub address: Option<String>,
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
    pub channel: String,
    pub status: String,
    pub status_before_info: Option<String>,
    pub unit_id: i64,
    pub assignee_id: Option<i64>,
    pub priority: i32,
    pub round: i32,
    pub appeal_of_id: Option<i64>,
    pub accused_unit_id: Option<i64>,
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

impl Ticket {
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Feedback)
    }
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Submitted)
    }
}

/// Everything an operation needs besides the connection: time, the calendar in force, and
/// how messages go out.
pub struct Ctx {
    pub now: DateTime<Utc>,
    pub cal: Calendar,
    pub day_end: DayEnd,
    pub delivery: Delivery,
    pub complaint_suspension: bool,
    pub support_threshold: i32,
    /// `media.max_per_ticket`: attachments one ticket may carry.
    pub max_attachments: u32,
}

impl Ctx {
    fn naive(&self) -> NaiveDateTime {
        self.now.naive_utc()
    }
}

/// Who is asking: a signed-in user, and/or the tracking secret of an anonymous ticket.
#[derive(Debug, Clone, Default)]
pub struct Viewer {
    pub user: Option<CurrentUser>,
    pub secret: Option<String>,
}

/// How the viewer stands to a ticket it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Submitter,
    /// An official of the holding unit (or of a parent unit that sees its subunits).
    Handling,
    Supervisor,
    Admin,
    /// A public ticket, read by anyone else.
    Public,
    /// nghedan itself (the sweep).
    System,
}

impl Access {
    pub fn party(self) -> Party {
        match self {
            Access::Submitter => Party::Submitter,
            Access::Handling => Party::HandlingOfficial,
            Access::System => Party::System,
            _ => Party::Reader,
        }
    }

    /// Internal events and notes are for staff (never for the submitter or the public).
    pub fn sees_internal(self) -> bool {
        matches!(
            self,
            Access::Handling | Access::Supervisor | Access::Admin | Access::System
        )
    }
}

pub fn find_by_code(conn: &mut DbConn, code: &str) -> Result<Option<Ticket>, ApiError> {
    Ok(tickets::table
        .filter(tickets::code.eq(code))
        .select(Ticket::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Ticket>, ApiError> {
    Ok(tickets::table
        .find(id)
        .select(Ticket::as_select())
        .first(conn)
        .optional()?)
}

/// How `v` may read `t`, or `None` (then the ticket is "not found" for them).
pub fn access(conn: &mut DbConn, t: &Ticket, v: &Viewer) -> Result<Option<Access>, ApiError> {
    if let Some(u) = &v.user {
        if t.submitter_id == Some(u.id) {
            return Ok(Some(Access::Submitter));
        }
        match u.role {
            Role::Official => {
                if let Some(unit) = u.unit_id
                    && super::scope::official_may_handle(conn, unit, t.unit_id, t.accused_unit_id)?
                {
                    return Ok(Some(Access::Handling));
                }
            }
            Role::Supervisor => {
                if let Some(unit) = u.unit_id
                    && super::units::subtree(conn, unit)?.contains(&t.unit_id)
                {
                    return Ok(Some(Access::Supervisor));
                }
            }
            Role::Admin => return Ok(Some(Access::Admin)),
            Role::Citizen => {}
        }
    }
    if let (Some(secret), Some(hash)) = (&v.secret, &t.tracking_secret_hash)
        && crate::auth::tokens::hash_token(secret) == *hash
    {
        return Ok(Some(Access::Submitter));
    }
    if t.public {
        return Ok(Some(Access::Public));
    }
    Ok(None)
}

/// Loads a ticket the viewer may read: 404 `ticket_not_found` otherwise (never revealing
/// that it exists).
pub fn readable(conn: &mut DbConn, code: &str, v: &Viewer) -> Result<(Ticket, Access), ApiError> {
    let not_found = || ApiError::not_found("ticket_not_found");
    let t = find_by_code(conn, code)?.ok_or_else(not_found)?;
    let a = access(conn, &t, v)?.ok_or_else(not_found)?;
    Ok((t, a))
}

// --- submission -------------------------------------------------------------------------

/// Who sent a submission.
#[derive(Debug, Clone)]
pub enum Sender {
    /// A signed-in citizen, through the app.
    Citizen { user_id: i64 },
    /// Anonymous feedback: the tracking secret's hash, and an optional address for updates.
    Anonymous {
        secret_hash: String,
        contact_email: Option<String>,
    },
    /// Recorded by an official from a visit, a letter, a call or an email.
    Desk {
        official_id: i64,
        /// The tracking secret printed on the receipt, hashed.
        secret_hash: Option<String>,
        name: String,
        email: Option<String>,
        phone: Option<String>,
        address: Option<String>,
    },
}

/// A checked submission (the API validated fields, attributes and the category).
#[derive(Debug, Clone)]
pub struct Submission {
    pub kind: Kind,
    pub category: String,
    pub title: String,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area_code: String,
    pub address: Option<String>,
    pub attributes: Value,
    pub private: bool,
    pub channel: Channel,
    pub sender: Sender,
    pub accused_unit_id: Option<i64>,
    pub contested: Option<Value>,
    pub filing_late: bool,
    pub attachments: Vec<String>,
    /// Complaints' second round: the first-round ticket.
    pub appeal_of: Option<i64>,
    pub round: i32,
    /// Who the `submitted` event names: the citizen, or the official at the desk.
    pub actor: Option<(i64, Role)>,
}

fn local_date_code(ctx: &Ctx) -> String {
    ctx.day_end.local_date(ctx.now).format("%Y%m%d").to_string()
}

/// Where a submission goes. A denunciation naming the accused unit goes to that unit's
/// parent, never to the accused (no parent: the coordinating unit).
fn route(conn: &mut DbConn, s: &Submission) -> Result<(i64, Value), ApiError> {
    if s.round == 2 {
        let unit = super::routing_rules::second_round_authority(conn, &s.area_code)?
            .or(super::routing_rules::coordinator(conn)?)
            .ok_or_else(|| ApiError::unprocessable("no_route"))?;
        return Ok((unit, json!({"type": "second_round_authority"})));
    }
    if let (Kind::Denunciation, Some(accused)) = (s.kind, s.accused_unit_id) {
        let parent = super::units::get(conn, accused)
            .map_err(|_| ApiError::field("/accused_unit_id", "unknown_unit"))?
            .parent_id;
        let unit = match parent {
            Some(p) => p,
            None => super::routing_rules::coordinator(conn)?
                .ok_or_else(|| ApiError::unprocessable("no_route"))?,
        };
        // The coordinator itself may be the accused (or lie below it).
        if !super::scope::may_hold(conn, unit, Some(accused))? {
            return Err(ApiError::unprocessable("accused_unit")
                .with_field("/accused_unit_id", "accused_unit"));
        }
        return Ok((unit, json!({"type": "accused_unit_parent"})));
    }
    let choice = super::routing_rules::route(conn, s.kind.as_str(), &s.category, &s.area_code)?
        .ok_or_else(|| ApiError::unprocessable("no_route"))?;
    Ok((
        choice.unit_id,
        serde_json::to_value(&choice.reason).unwrap_or(Value::Null),
    ))
}

/// Records a submission: routes it, numbers it, starts its clocks, writes the `submitted`
/// event, attaches its uploads and queues the messages. Returns the new ticket.
pub fn submit(conn: &mut DbConn, s: &Submission, ctx: &Ctx) -> Result<Ticket, ApiError> {
    let now = ctx.naive();
    let (unit_id, reason) = route(conn, s)?;
    let number = super::next_ticket_number(conn)?;
    let code = format!("PAKN.{}.{:04}", local_date_code(ctx), number);
    let remote = super::policies::area_is_remote(conn, &s.area_code)?.unwrap_or(false);
    let (chain, urgent) =
        super::policies::category_chain(conn, &s.category)?.unwrap_or((vec![], false));
    let policy = super::policies::for_ticket(
        conn,
        &TicketFacts {
            kind: s.kind,
            round: (s.kind == Kind::Complaint).then_some(s.round as u8),
            categories: chain,
            channel: Some(s.channel),
            urgent,
        },
    )?;
    let (submitter_id, anonymous, secret, contact) = match &s.sender {
        Sender::Citizen { user_id } => (Some(*user_id), false, None, (None, None, None, None)),
        Sender::Anonymous {
            secret_hash,
            contact_email,
        } => (
            None,
            true,
            Some(secret_hash.clone()),
            (None, contact_email.clone(), None, None),
        ),
        Sender::Desk {
            name,
            email,
            phone,
            address,
            secret_hash,
            ..
        } => (
            None,
            false,
            secret_hash.clone(),
            (
                Some(name.clone()),
                email.clone(),
                phone.clone(),
                address.clone(),
            ),
        ),
    };
    let search = crate::domain::text::fold(&format!("{} {}", s.title, s.description));
    let id = diesel::insert_into(tickets::table)
        .values((
            tickets::code.eq(&code),
            tickets::kind.eq(s.kind.as_str()),
            tickets::category_code.eq(&s.category),
            tickets::title.eq(&s.title),
            tickets::description.eq(&s.description),
            tickets::search_text.eq(&search),
            tickets::lat.eq(s.lat),
            tickets::lon.eq(s.lon),
            tickets::area_code.eq(&s.area_code),
            tickets::address.eq(&s.address),
            tickets::attributes.eq(s.attributes.to_string()),
            tickets::submitter_id.eq(submitter_id),
            tickets::anonymous.eq(anonymous),
            tickets::tracking_secret_hash.eq(secret),
            tickets::contact_name.eq(contact.0),
            tickets::contact_email.eq(contact.1),
            tickets::contact_phone.eq(contact.2),
            tickets::contact_address.eq(contact.3),
            tickets::confidential.eq(s.kind == Kind::Denunciation),
            tickets::private.eq(s.private),
            tickets::channel.eq(s.channel.as_str()),
            tickets::status.eq(Status::Submitted.as_str()),
            tickets::unit_id.eq(unit_id),
            tickets::round.eq(s.round),
            tickets::appeal_of_id.eq(s.appeal_of),
            tickets::accused_unit_id.eq(s.accused_unit_id),
            tickets::contested.eq(s.contested.as_ref().map(Value::to_string)),
            tickets::filing_late.eq(s.filing_late),
            tickets::remote.eq(remote),
            tickets::policy_id.eq(policy.as_ref().map(|p| p.id)),
            tickets::routing_reason.eq(reason.to_string()),
            tickets::received_at.eq(now),
            tickets::created_at.eq(now),
            tickets::updated_at.eq(now),
        ))
        .returning(tickets::id)
        .get_result::<i64>(conn)?;
    if let Some(p) = &policy {
        clocks::create(
            conn,
            id,
            p,
            Case {
                complex: false,
                remote,
            },
            now,
        )?;
    }
    clocks::refresh(conn, id, &ctx.cal, &ctx.day_end, ctx.now)?;
    let event_id = events::append(
        conn,
        &NewEvent {
            ticket_id: id,
            kind: "submitted",
            actor: s.actor,
            unit_id: Some(unit_id),
            from_status: None,
            to_status: Some(Status::Submitted.as_str()),
            public: true,
            data: json!({"channel": s.channel.as_str(), "routing": reason}),
            text: None,
        },
        now,
    )?;
    attach(
        conn,
        id,
        event_id,
        &s.attachments,
        &s.sender,
        true,
        ctx.max_attachments,
        now,
    )?;
    let t = find(conn, id)?.ok_or_else(|| ApiError::internal("ticket vanished"))?;
    let due = first_due(conn, &t, ctx)?;
    let title = (!t.confidential).then_some(t.title.as_str());
    let to_submitter = submitter_recipients(conn, &t)?;
    let unit = unit_name(conn, unit_id, Lang::Vi)?;
    let data = recipients::ticket_data(&t.code, t.id, title, json!({"due": due, "unit": unit}));
    let key = format!("event:{event_id}");
    recipients::tell(
        conn,
        &to_submitter,
        "ticket_received",
        &data,
        &key,
        &ctx.delivery,
        now,
    )?;
    let staff_template = if t.round == 2 {
        "unit_appeal"
    } else {
        "unit_new_ticket"
    };
    let staff = recipients::unit_staff(conn, unit_id)?;
    recipients::tell(
        conn,
        &staff,
        staff_template,
        &data,
        &key,
        &ctx.delivery,
        now,
    )?;
    Ok(t)
}

/// The earliest due day of the running clocks, as a local date, for messages.
fn first_due(conn: &mut DbConn, t: &Ticket, ctx: &Ctx) -> Result<Option<String>, ApiError> {
    Ok(clocks::of_ticket(conn, t.id)?
        .iter()
        .filter(|c| c.name != ClockName::Update)
        .filter_map(|c| c.view(&ctx.cal, &ctx.day_end, ctx.now).due_local_date)
        .min()
        .map(|d| d.format("%d/%m/%Y").to_string()))
}

fn unit_name(conn: &mut DbConn, id: i64, lang: Lang) -> Result<String, ApiError> {
    Ok(super::units::name_of(conn, id, lang)?.unwrap_or_default())
}

/// Who hears about their own ticket: the signed-in submitter, or the contact address an
/// anonymous or desk submitter left.
fn submitter_recipients(conn: &mut DbConn, t: &Ticket) -> Result<Vec<To>, ApiError> {
    let _ = conn;
    Ok(match (t.submitter_id, &t.contact_email) {
        (Some(id), _) => vec![To::User(id)],
        (None, Some(email)) => vec![To::Address(email.clone(), Lang::Vi)],
        (None, None) => vec![],
    })
}

/// Attaches the sender's own unattached uploads to a ticket (and event). Anything else —
/// another person's upload, one already attached, an anonymous upload on a signed-in
/// submission, more than `max` on the ticket — is 422 on `/attachments`.
#[allow(clippy::too_many_arguments)]
pub fn attach(
    conn: &mut DbConn,
    ticket_id: i64,
    event_id: i64,
    ids: &[String],
    sender: &Sender,
    by_submitter: bool,
    max: u32,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    let (owner, scope_prefix): (Option<i64>, Option<&str>) = match sender {
        Sender::Citizen { user_id } => (Some(*user_id), None),
        Sender::Desk { official_id, .. } => (Some(*official_id), None),
        Sender::Anonymous { .. } => (None, Some("client:")),
    };
    attach_owned(
        conn,
        ticket_id,
        event_id,
        ids,
        owner,
        scope_prefix,
        by_submitter,
        max,
        now,
    )
}

/// Attaches uploads owned by `owner` (or, for anonymous, uploaded without an account).
#[allow(clippy::too_many_arguments)]
pub fn attach_owned(
    conn: &mut DbConn,
    ticket_id: i64,
    event_id: i64,
    ids: &[String],
    owner: Option<i64>,
    anonymous_scope: Option<&str>,
    by_submitter: bool,
    max: u32,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    super::uploads::ensure_room(conn, ticket_id, ids.len(), max)?;
    for (i, id) in ids.iter().enumerate() {
        let mut q = diesel::update(uploads::table)
            .filter(uploads::id.eq(id))
            .filter(uploads::ticket_id.is_null())
            .into_boxed();
        q = match (owner, anonymous_scope) {
            (Some(o), _) => q.filter(uploads::uploader_id.eq(o)),
            (None, Some(prefix)) => q
                .filter(uploads::uploader_id.is_null())
                .filter(uploads::scope.like(format!("{prefix}%"))),
            (None, None) => return Err(ApiError::field("/attachments", "not_allowed")),
        };
        let n = q
            .set((
                uploads::ticket_id.eq(Some(ticket_id)),
                uploads::event_id.eq(Some(event_id)),
                uploads::by_submitter.eq(by_submitter),
                uploads::attached_at.eq(Some(now)),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(ApiError::field(
                format!("/attachments/{i}"),
                "upload_not_usable",
            ));
        }
    }
    Ok(())
}

// --- workflow -------------------------------------------------------------------------

/// The body of an action, checked by the API.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub reason: Option<String>,
    pub complex: bool,
    pub unit_id: Option<i64>,
    pub user_id: Option<Option<i64>>,
    pub text: Option<String>,
    pub days: Option<u32>,
    pub publish: bool,
    pub attachments: Vec<String>,
    pub of: Option<String>,
    /// provide_info by an official: the submitter's answer given in person.
    pub on_behalf: bool,
}

/// What an action produced: the ticket after it, and for an appeal the new ticket.
pub struct Acted {
    pub ticket: Ticket,
    pub created: Option<Ticket>,
}

fn refusal(r: Refusal, action: Action, status: Status) -> ApiError {
    match r {
        Refusal::Forbidden => ApiError::forbidden(),
        Refusal::InvalidTransition => ApiError::conflict("invalid_transition")
            .arg("action", action.as_str())
            .arg("state", status.as_str()),
    }
}

fn resolve_clock_missed(conn: &mut DbConn, t: &Ticket, ctx: &Ctx) -> Result<bool, ApiError> {
    Ok(clocks::of_ticket(conn, t.id)?
        .iter()
        .filter(|c| c.name == ClockName::Resolve)
        .any(|c| {
            c.view(&ctx.cal, &ctx.day_end, ctx.now).state
                == crate::domain::deadlines::ClockState::Missed
        }))
}

/// Takes `action` on the ticket `code` for `viewer`, in the caller's transaction.
/// Whether `viewer` may take `action` on the ticket now: 404 when they may not read it, 403
/// when the action is not theirs, 409 when the ticket's state does not allow it.
pub fn may_act(
    conn: &mut DbConn,
    code: &str,
    viewer: &Viewer,
    action: Action,
    on_behalf: bool,
    ctx: &Ctx,
) -> Result<(Ticket, Access, ticket::Transition), ApiError> {
    let (t, how) = readable(conn, code, viewer)?;
    let party = match (how, on_behalf) {
        (Access::Handling, true) => Party::OnBehalfOfSubmitter,
        // Only the handling unit records an answer given in person.
        (_, true) => return Err(ApiError::forbidden()),
        _ => how.party(),
    };
    let tr = decision(conn, &t, party, action, ctx)?;
    Ok((t, how, tr))
}

/// What the state machine says of `party` taking `action` on `t` now (403, 409 otherwise).
fn decision(
    conn: &mut DbConn,
    t: &Ticket,
    party: Party,
    action: Action,
    ctx: &Ctx,
) -> Result<ticket::Transition, ApiError> {
    let status = t.status();
    let facts = Facts {
        kind: t.kind(),
        status,
        round: t.round,
        complaint_suspension: ctx.complaint_suspension,
        resolved_at: t.resolved_at.map(|r| r.and_utc()),
        resolve_missed: action == Action::Appeal && resolve_clock_missed(conn, t, ctx)?,
        withdrawal_requested: t.withdrawal_requested,
        info_lapsed: t.info_lapsed,
        private: t.private,
        remote: t.remote,
        status_before_info: t.status_before_info.as_deref().and_then(Status::parse),
        reopen_count: t.reopen_count,
        unit_id: t.unit_id,
        now: ctx.now,
    };
    let tr = ticket::transition(&facts, party, action).map_err(|r| refusal(r, action, status))?;
    if action == Action::Appeal && appealed(conn, t.id)? {
        return Err(ApiError::conflict("already_appealed"));
    }
    Ok(tr)
}

/// Whether a second-round complaint already contests this one.
fn appealed(conn: &mut DbConn, ticket_id: i64) -> Result<bool, ApiError> {
    Ok(diesel::select(diesel::dsl::exists(
        tickets::table.filter(tickets::appeal_of_id.eq(ticket_id)),
    ))
    .get_result(conn)?)
}

pub fn act(
    conn: &mut DbConn,
    code: &str,
    viewer: &Viewer,
    action: Action,
    input: &ActionInput,
    ctx: &Ctx,
) -> Result<Acted, ApiError> {
    let (t, how, tr) = may_act(conn, code, viewer, action, input.on_behalf, ctx)?;
    apply(conn, t, how, tr, viewer, action, input, ctx)
}

/// nghedan's own action on a ticket (the sweep's): decided by the same state machine as a
/// person's, with no actor on the timeline.
pub fn act_as_system(
    conn: &mut DbConn,
    ticket_id: i64,
    action: Action,
    ctx: &Ctx,
) -> Result<Acted, ApiError> {
    let t = find(conn, ticket_id)?.ok_or_else(|| ApiError::not_found("ticket_not_found"))?;
    let tr = decision(conn, &t, Party::System, action, ctx)?;
    let input = ActionInput::default();
    apply(
        conn,
        t,
        Access::System,
        tr,
        &Viewer::default(),
        action,
        &input,
        ctx,
    )
}

/// Carries out an action `decide` allowed: the ticket's fields, its clocks, the timeline
/// event, attachments and messages, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
fn apply(
    conn: &mut DbConn,
    t: Ticket,
    how: Access,
    tr: ticket::Transition,
    viewer: &Viewer,
    action: Action,
    input: &ActionInput,
    ctx: &Ctx,
) -> Result<Acted, ApiError> {
    let now = ctx.naive();
    let status = t.status();
    let actor_user = viewer.user.as_ref();
    let actor = actor_user.map(|u| (u.id, u.role));
    let mut to = tr.to;
    let mut public = true;
    let mut data = json!({});
    let mut text: Option<String> = input.text.clone().or(input.reason.clone());
    let mut created = None;
    // Field changes, by action.
    let mut set = TicketChanges::default();
    let mut clock_changes: Vec<Change> = Vec::new();
    let mut unit_after = t.unit_id;
    match action {
        Action::Accept => {
            set.accepted_at = Some(Some(now));
            set.complex = Some(input.complex);
            set.public = Some(t.kind().may_be_public() && !t.private);
            clock_changes.push(Change::Accepted {
                complex: input.complex,
                remote: t.remote,
            });
            data = json!({"complex": input.complex});
        }
        Action::Refuse => {
            clock_changes.push(Change::Stop(ClockName::Accept));
            clock_changes.push(Change::StopAll);
        }
        Action::Forward => {
            let target = input.unit_id.unwrap_or_default();
            let unit = super::units::find(conn, target)?
                .filter(|u| u.active)
                .ok_or_else(|| ApiError::field("/unit_id", "unknown_unit"))?;
            if unit.id == t.unit_id {
                return Err(ApiError::field("/unit_id", "same_unit"));
            }
            if !super::scope::may_hold(conn, unit.id, t.accused_unit_id)? {
                return Err(
                    ApiError::unprocessable("accused_unit").with_field("/unit_id", "accused_unit")
                );
            }
            unit_after = unit.id;
            set.unit_id = Some(unit.id);
            set.assignee_id = Some(None);
            set.accepted_at = Some(None);
            clock_changes.push(Change::Stop(ClockName::Forward));
            clock_changes.push(Change::Reset);
            data = json!({"from_unit_id": t.unit_id, "to_unit_id": unit.id});
        }
        Action::Assign => {
            let target = input.user_id.flatten();
            if let Some(uid) = target {
                let ok = users::table
                    .find(uid)
                    .select((users::role, users::unit_id, users::disabled))
                    .first::<(String, Option<i64>, bool)>(conn)
                    .optional()?
                    .is_some_and(|(role, unit, disabled)| {
                        role == "official" && unit == Some(t.unit_id) && !disabled
                    });
                if !ok {
                    return Err(ApiError::field("/user_id", "not_an_official_of_the_unit"));
                }
            }
            set.assignee_id = Some(target);
            public = false;
            data = json!({"assignee_id": target});
        }
        Action::RequestInfo => {
            set.status_before_info = Some(Some(status.as_str().to_string()));
            set.info_requested_at = Some(Some(now));
            set.info_lapsed = Some(false);
            clock_changes.push(Change::PauseAll);
        }
        Action::ProvideInfo if status != Status::AwaitingInfo => {
            // A late answer after the question lapsed: kept, the state and clocks untouched.
            set.info_lapsed = Some(false);
            data = json!({"on_behalf": input.on_behalf});
        }
        Action::ProvideInfo | Action::Resume if status == Status::AwaitingInfo => {
            to = t
                .status_before_info
                .as_deref()
                .and_then(Status::parse)
                .unwrap_or(Status::Submitted);
            set.status_before_info = Some(None);
            set.info_requested_at = Some(None);
            set.info_lapsed = Some(action == Action::Resume);
            clock_changes.push(Change::ResumeAll);
            if action == Action::ProvideInfo {
                data = json!({"on_behalf": input.on_behalf});
            }
        }
        Action::ProvideInfo => {}
        Action::Suspend => clock_changes.push(Change::PauseAll),
        Action::Resume => clock_changes.push(Change::ResumeAll),
        Action::Extend => {
            let days = input.days.unwrap_or(0);
            clock_changes.push(Change::Extend(ClockName::Resolve, days));
            data = json!({"days": days});
        }
        Action::ProgressNote => clock_changes.push(Change::Restart(ClockName::Update)),
        Action::Resolve => {
            set.resolved_at = Some(Some(now));
            set.answer = Some(input.text.clone());
            let publish = input.publish && t.kind().may_be_public() && !t.private;
            set.answer_public = Some(publish);
            if publish {
                set.public = Some(true);
            }
            clock_changes.push(Change::StopAll);
            data = json!({"published": publish});
        }
        Action::Reopen => {
            set.reopen_count = Some(t.reopen_count + 1);
            set.resolved_at = Some(None);
            set.closed_at = Some(None);
            set.rating = Some(None);
            set.rating_comment = Some(None);
            set.rated_at = Some(None);
            clock_changes.push(Change::Restart(ClockName::Resolve));
            clock_changes.push(Change::Restart(ClockName::Update));
        }
        Action::Close => {
            set.closed_at = Some(Some(now));
        }
        Action::Withdraw => {
            if to == status {
                set.withdrawal_requested = Some(true);
                public = true;
            } else {
                clock_changes.push(Change::StopAll);
            }
        }
        Action::GrantWithdrawal => {
            set.withdrawal_requested = Some(false);
            clock_changes.push(Change::StopAll);
        }
        Action::DeclineWithdrawal => {
            set.withdrawal_requested = Some(false);
        }
        Action::MarkDuplicate => {
            let of = input.of.clone().unwrap_or_default();
            let original =
                find_by_code(conn, &of)?.ok_or_else(|| ApiError::field("/of", "unknown_ticket"))?;
            if original.id == t.id {
                return Err(ApiError::field("/of", "same_ticket"));
            }
            let readable = access(conn, &original, viewer)?.is_some();
            if !readable {
                return Err(ApiError::field("/of", "unknown_ticket"));
            }
            set.duplicate_of_id = Some(Some(original.id));
            set.closed_at = Some(Some(now));
            clock_changes.push(Change::StopAll);
            move_followers(conn, t.id, original.id, now)?;
            data = json!({"of": original.code});
        }
        Action::Appeal => {
            let new = submit(
                conn,
                &Submission {
                    kind: Kind::Complaint,
                    category: t.category_code.clone(),
                    title: t.title.clone(),
                    description: t.description.clone(),
                    lat: t.lat,
                    lon: t.lon,
                    area_code: t.area_code.clone(),
                    address: t.address.clone(),
                    attributes: serde_json::from_str(&t.attributes).unwrap_or(json!({})),
                    private: t.private,
                    channel: Channel::App,
                    sender: match (t.submitter_id, actor) {
                        (Some(user_id), _) => Sender::Citizen { user_id },
                        // The receipt's secret follows the complaint into its second round.
                        (None, official) => Sender::Desk {
                            official_id: official.map_or(0, |a| a.0),
                            secret_hash: t.tracking_secret_hash.clone(),
                            name: t.contact_name.clone().unwrap_or_default(),
                            email: t.contact_email.clone(),
                            phone: t.contact_phone.clone(),
                            address: t.contact_address.clone(),
                        },
                    },
                    accused_unit_id: None,
                    contested: t
                        .contested
                        .as_deref()
                        .and_then(|c| serde_json::from_str(c).ok()),
                    filing_late: false,
                    attachments: vec![],
                    appeal_of: Some(t.id),
                    round: 2,
                    actor,
                },
                ctx,
            )?;
            data = json!({"appeal": new.code});
            created = Some(new);
        }
    }
    if to != status {
        set.status = Some(to.as_str().to_string());
        if matches!(to, Status::Refused | Status::Withdrawn) {
            set.closed_at = Some(Some(now));
        }
    }
    if matches!(action, Action::Appeal) {
        text = input.reason.clone();
    }
    // Reports read the pause events of only the tickets that were ever paused.
    if crate::domain::report::PAUSE_STARTS.contains(&tr.event) {
        set.paused_once = Some(true);
    }
    // The optimistic check: a concurrent action on the same ticket makes this one a no-op,
    // and the caller retries against the new state.
    set.version = Some(t.version + 1);
    set.updated_at = Some(now);
    let n = diesel::update(
        tickets::table
            .filter(tickets::id.eq(t.id))
            .filter(tickets::version.eq(t.version)),
    )
    .set(&set)
    .execute(conn)?;
    if n == 0 {
        return Err(ApiError::conflict("concurrent_update")
            .arg("retry_after", 1)
            .retry_after(1));
    }
    for c in &clock_changes {
        clocks::apply(conn, t.id, *c, ctx.now)?;
    }
    clocks::refresh(conn, t.id, &ctx.cal, &ctx.day_end, ctx.now)?;
    let event_id = events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind: tr.event,
            actor,
            unit_id: Some(unit_after),
            from_status: Some(status.as_str()),
            to_status: Some(to.as_str()),
            public,
            data: data.clone(),
            text: text.as_deref(),
        },
        now,
    )?;
    if !input.attachments.is_empty() {
        let owner = actor_user.map(|u| u.id);
        let anon = if owner.is_none() {
            Some("client:")
        } else {
            None
        };
        attach_owned(
            conn,
            t.id,
            event_id,
            &input.attachments,
            owner,
            anon,
            how == Access::Submitter || input.on_behalf,
            ctx.max_attachments,
            now,
        )?;
    }
    let after = find(conn, t.id)?.ok_or_else(|| ApiError::internal("ticket vanished"))?;
    notify_action(conn, &after, action, tr.event, event_id, input, ctx)?;
    Ok(Acted {
        ticket: after,
        created,
    })
}

#[derive(AsChangeset, Default)]
#[diesel(table_name = tickets)]
struct TicketChanges {
    status: Option<String>,
    status_before_info: Option<Option<String>>,
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

fn move_followers(
    conn: &mut DbConn,
    from: i64,
    into: i64,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let ids: Vec<i64> = ticket_followers::table
        .filter(ticket_followers::ticket_id.eq(from))
        .select(ticket_followers::user_id)
        .load(conn)?;
    for uid in ids {
        follow(conn, into, uid, now)?;
    }
    diesel::delete(ticket_followers::table.filter(ticket_followers::ticket_id.eq(from)))
        .execute(conn)?;
    Ok(())
}

/// Tells whoever the action concerns (see `notify::recipients`).
fn notify_action(
    conn: &mut DbConn,
    t: &Ticket,
    action: Action,
    event: &str,
    event_id: i64,
    input: &ActionInput,
    ctx: &Ctx,
) -> Result<(), ApiError> {
    let now = ctx.naive();
    let title = (!t.confidential).then_some(t.title.as_str());
    let due = first_due(conn, t, ctx)?;
    let note = input
        .text
        .clone()
        .or(input.reason.clone())
        .unwrap_or_default();
    let submitter = submitter_recipients(conn, t)?;
    let unit = unit_name(conn, t.unit_id, Lang::Vi)?;
    let data = recipients::ticket_data(
        &t.code,
        t.id,
        title,
        json!({"due": due, "note": note, "unit": unit, "days": input.days}),
    );
    let key = format!("event:{event_id}");
    let d = &ctx.delivery;
    let (audience, template): (Vec<To>, &'static str) = match action {
        Action::Accept => (submitter, "ticket_accepted"),
        Action::Refuse => (submitter, "ticket_refused"),
        Action::RequestInfo => (submitter, "ticket_question"),
        Action::Forward => {
            let staff = recipients::unit_staff(conn, t.unit_id)?;
            recipients::tell(conn, &staff, "unit_new_ticket", &data, &key, d, now)?;
            (submitter, "ticket_forwarded")
        }
        Action::Extend => (submitter, "ticket_extended"),
        Action::ProgressNote => (submitter, "ticket_progress"),
        Action::Resolve => {
            let mut all = submitter;
            all.extend(recipients::followers(conn, t.id)?);
            (all, "ticket_answered")
        }
        Action::Close => (submitter, "ticket_closed"),
        Action::ProvideInfo if event == "info_provided_late" => {
            (assignee_or_staff(conn, t)?, "unit_info_provided_late")
        }
        Action::ProvideInfo => (assignee_or_staff(conn, t)?, "unit_info_provided"),
        Action::Resume if event == "info_request_withdrawn" => {
            (submitter, "ticket_question_withdrawn")
        }
        Action::Resume if event == "info_wait_expired" => {
            let staff = assignee_or_staff(conn, t)?;
            recipients::tell(conn, &staff, "unit_question_expired", &data, &key, d, now)?;
            (submitter, "ticket_question_expired")
        }
        Action::Reopen => (assignee_or_staff(conn, t)?, "unit_reopened"),
        Action::Withdraw if t.withdrawal_requested => {
            (assignee_or_staff(conn, t)?, "unit_withdrawal_requested")
        }
        Action::GrantWithdrawal => (submitter, "ticket_withdrawn"),
        Action::DeclineWithdrawal => (submitter, "ticket_withdrawal_declined"),
        _ => return Ok(()),
    };
    recipients::tell(conn, &audience, template, &data, &key, d, now)?;
    Ok(())
}

fn assignee_or_staff(conn: &mut DbConn, t: &Ticket) -> Result<Vec<To>, ApiError> {
    match t.assignee_id {
        Some(a) => Ok(vec![To::User(a)]),
        None => recipients::unit_staff(conn, t.unit_id),
    }
}

// --- followers, supporters, comments, rating ---------------------------------------------

/// Follows a ticket (idempotent).
pub fn follow(
    conn: &mut DbConn,
    ticket_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    let r = conn.transaction(|c| {
        diesel::insert_into(ticket_followers::table)
            .values((
                ticket_followers::ticket_id.eq(ticket_id),
                ticket_followers::user_id.eq(user_id),
                ticket_followers::created_at.eq(now),
            ))
            .execute(c)
    });
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub fn unfollow(conn: &mut DbConn, ticket_id: i64, user_id: i64) -> Result<(), ApiError> {
    diesel::delete(
        ticket_followers::table
            .filter(ticket_followers::ticket_id.eq(ticket_id))
            .filter(ticket_followers::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Supports a public petition once per citizen; reaching the threshold raises its priority
/// (once) with an event. Returns the supporters' count.
pub fn support(conn: &mut DbConn, t: &Ticket, user_id: i64, ctx: &Ctx) -> Result<i32, ApiError> {
    let now = ctx.naive();
    let r = conn.transaction(|c| {
        diesel::insert_into(ticket_supports::table)
            .values((
                ticket_supports::ticket_id.eq(t.id),
                ticket_supports::user_id.eq(user_id),
                ticket_supports::created_at.eq(now),
            ))
            .execute(c)
    });
    match r {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Ok(t.supporters),
        Err(e) => return Err(e.into()),
    }
    let count = count_supporters(conn, t.id)?;
    diesel::update(tickets::table.find(t.id))
        .set(tickets::supporters.eq(count))
        .execute(conn)?;
    if count >= ctx.support_threshold && t.priority == 0 {
        diesel::update(tickets::table.find(t.id))
            .set(tickets::priority.eq(1))
            .execute(conn)?;
        events::append(
            conn,
            &NewEvent {
                ticket_id: t.id,
                kind: "priority_raised",
                actor: None,
                unit_id: Some(t.unit_id),
                from_status: None,
                to_status: None,
                public: true,
                data: json!({"supporters": count, "threshold": ctx.support_threshold}),
                text: None,
            },
            now,
        )?;
    }
    Ok(count)
}

pub fn unsupport(conn: &mut DbConn, t: &Ticket, user_id: i64) -> Result<i32, ApiError> {
    diesel::delete(
        ticket_supports::table
            .filter(ticket_supports::ticket_id.eq(t.id))
            .filter(ticket_supports::user_id.eq(user_id)),
    )
    .execute(conn)?;
    let count = count_supporters(conn, t.id)?;
    diesel::update(tickets::table.find(t.id))
        .set(tickets::supporters.eq(count))
        .execute(conn)?;
    Ok(count)
}

fn count_supporters(conn: &mut DbConn, ticket_id: i64) -> Result<i32, ApiError> {
    Ok(ticket_supports::table
        .filter(ticket_supports::ticket_id.eq(ticket_id))
        .count()
        .get_result::<i64>(conn)? as i32)
}

/// A comment: a timeline event with its text; `public` ones the submitter sees.
pub fn comment(
    conn: &mut DbConn,
    t: &Ticket,
    actor: Option<(i64, Role)>,
    body: &str,
    public: bool,
    kind: &str,
    now: NaiveDateTime,
) -> Result<i64, ApiError> {
    events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind,
            actor,
            unit_id: Some(t.unit_id),
            from_status: None,
            to_status: None,
            public,
            data: json!({}),
            text: Some(body),
        },
        now,
    )
}

/// Rates the answer: once per resolution (a reopen allows a new rating).
pub fn rate(
    conn: &mut DbConn,
    t: &Ticket,
    actor: Option<(i64, Role)>,
    score: i32,
    comment: Option<&str>,
    now: NaiveDateTime,
) -> Result<Ticket, ApiError> {
    if !matches!(t.status(), Status::Resolved | Status::Closed) || t.resolved_at.is_none() {
        return Err(ApiError::conflict("invalid_transition")
            .arg("action", "rating")
            .arg("state", t.status.clone()));
    }
    if t.rating.is_some() {
        return Err(ApiError::conflict("already_rated"));
    }
    let n = diesel::update(
        tickets::table
            .filter(tickets::id.eq(t.id))
            .filter(tickets::rating.is_null()),
    )
    .set((
        tickets::rating.eq(Some(score)),
        tickets::rating_comment.eq(comment),
        tickets::rated_at.eq(Some(now)),
        tickets::updated_at.eq(now),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(ApiError::conflict("already_rated"));
    }
    events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind: "rated",
            actor,
            unit_id: Some(t.unit_id),
            from_status: None,
            to_status: None,
            public: true,
            data: json!({"score": score}),
            text: comment,
        },
        now,
    )?;
    find(conn, t.id)?.ok_or_else(|| ApiError::internal("ticket vanished"))
}

/// Replaces an anonymous ticket's tracking secret (a retried submission gets a fresh one).
pub fn set_tracking_secret(conn: &mut DbConn, id: i64, hash: &str) -> Result<(), ApiError> {
    diesel::update(tickets::table.find(id))
        .set(tickets::tracking_secret_hash.eq(Some(hash)))
        .execute(conn)?;
    Ok(())
}

/// Records that the handling unit looked at a denouncer's identity.
pub fn identity_viewed(
    conn: &mut DbConn,
    t: &Ticket,
    viewer: (i64, Role),
    now: NaiveDateTime,
) -> Result<(), ApiError> {
    events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind: "identity_viewed",
            actor: Some(viewer),
            unit_id: Some(t.unit_id),
            from_status: None,
            to_status: None,
            public: false,
            data: json!({}),
            text: None,
        },
        now,
    )?;
    Ok(())
}

// --- hooks used by other aggregates ------------------------------------------------------

/// How many tickets a unit holds (open or not).
pub fn held_by(conn: &mut DbConn, unit_id: i64) -> Result<i64, ApiError> {
    Ok(tickets::table
        .filter(tickets::unit_id.eq(unit_id))
        .count()
        .get_result(conn)?)
}

/// How many tickets are filed under a category.
pub fn in_category(conn: &mut DbConn, code: &str) -> Result<i64, ApiError> {
    Ok(tickets::table
        .filter(tickets::category_code.eq(code))
        .count()
        .get_result(conn)?)
}

/// Moves a unit's open tickets to another unit (a merge), with a `unit_merged` event on each
/// so the timeline shows who held the ticket when.
pub fn move_open(
    conn: &mut DbConn,
    from: i64,
    into: i64,
    actor: i64,
    now: NaiveDateTime,
) -> Result<usize, ApiError> {
    let open: Vec<&str> = Status::ALL
        .iter()
        .filter(|s| s.is_open())
        .map(|s| s.as_str())
        .collect();
    let ids: Vec<i64> = tickets::table
        .filter(tickets::unit_id.eq(from))
        .filter(tickets::status.eq_any(&open))
        .select(tickets::id)
        .load(conn)?;
    for id in &ids {
        diesel::update(tickets::table.find(id))
            .set((
                tickets::unit_id.eq(into),
                tickets::assignee_id.eq(None::<i64>),
                tickets::version.eq(tickets::version + 1),
                tickets::updated_at.eq(now),
            ))
            .execute(conn)?;
        events::append(
            conn,
            &NewEvent {
                ticket_id: *id,
                kind: "unit_merged",
                actor: Some((actor, Role::Admin)),
                unit_id: Some(into),
                from_status: None,
                to_status: None,
                public: true,
                data: json!({"from_unit_id": from, "to_unit_id": into}),
                text: None,
            },
            now,
        )?;
    }
    Ok(ids.len())
}
