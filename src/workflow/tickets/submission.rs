//! A submission from a phone (or the desk): routed, numbered, its clocks started, its
//! `submitted` event written, its uploads attached and its messages queued, in one
//! transaction.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::notices;
use crate::db::clocks::{self, Case};
use crate::db::events::{self, NewEvent};
use crate::db::tickets::{self as store, NewTicket, Ticket};
use crate::db::{DbConn, scope};
use crate::domain::account::Role;
use crate::domain::clock::Clock;
use crate::domain::message::Template;
use crate::domain::policy::{Policy, TicketFacts};
use crate::domain::ticket::{Audience, Channel, Kind, Notice, Status};
use crate::error::{AppError, FieldError};
use crate::workflow::Ctx;

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
    /// Sent by an Open311 client (named `client`): as the citizen `account` when the client
    /// sent it for one signed in, else anonymously with the contact given. Public at once.
    Open311 {
        client: String,
        account: Option<i64>,
        name: Option<String>,
        email: Option<String>,
        phone: Option<String>,
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

/// Where a submission goes. A denunciation naming the accused unit goes to that unit's
/// parent, never to the accused (no parent: the coordinating unit), and never where the
/// accused unit's officials would see it (see `domain::access`).
fn route(conn: &mut DbConn, s: &Submission, ctx: &Ctx) -> Result<(i64, Value), AppError> {
    use crate::db::routing_rules as rules;
    if s.round == 2 {
        let unit = rules::second_round_authority(conn, &s.area_code)?
            .or(ctx.refs.coordinator())
            .ok_or_else(|| AppError::unprocessable("no_route"))?;
        return Ok((unit, json!({"type": "second_round_authority"})));
    }
    if let (Kind::Denunciation, Some(accused)) = (s.kind, s.accused_unit_id) {
        let parent = ctx
            .refs
            .unit(accused)
            .ok_or_else(|| AppError::field("/accused_unit_id", "unknown_unit"))?
            .parent_id;
        let unit = match parent {
            Some(p) => p,
            None => ctx
                .refs
                .coordinator()
                .ok_or_else(|| AppError::unprocessable("no_route"))?,
        };
        // The coordinator itself may be the accused (or lie below it).
        if !scope::may_hold(conn, unit, Some(accused))? {
            return Err(AppError::unprocessable("accused_unit")
                .with_field("/accused_unit_id", "accused_unit"));
        }
        return Ok((unit, json!({"type": "accused_unit_parent"})));
    }
    let choice = crate::workflow::routing_rules::route(
        &ctx.refs,
        s.kind.as_str(),
        &s.category,
        &s.area_code,
    )?
    .ok_or_else(|| AppError::unprocessable("no_route"))?;
    Ok((
        choice.unit_id,
        serde_json::to_value(&choice.reason).unwrap_or(Value::Null),
    ))
}

/// The submitter as the ticket stores them: (account, anonymous, secret hash, name, email,
/// phone, address).
type StoredSender<'a> = (
    Option<i64>,
    bool,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
);

fn stored(sender: &Sender) -> StoredSender<'_> {
    match sender {
        Sender::Citizen { user_id } => (Some(*user_id), false, None, None, None, None, None),
        Sender::Anonymous {
            secret_hash,
            contact_email,
        } => (
            None,
            true,
            Some(secret_hash),
            None,
            contact_email.as_deref(),
            None,
            None,
        ),
        Sender::Desk {
            secret_hash,
            name,
            email,
            phone,
            address,
            ..
        } => (
            None,
            false,
            secret_hash.as_deref(),
            Some(name),
            email.as_deref(),
            phone.as_deref(),
            address.as_deref(),
        ),
        Sender::Open311 {
            account: Some(user_id),
            ..
        } => (Some(*user_id), false, None, None, None, None, None),
        Sender::Open311 {
            account: None,
            name,
            email,
            phone,
            ..
        } => (
            None,
            true,
            None,
            name.as_deref(),
            email.as_deref(),
            phone.as_deref(),
            None,
        ),
    }
}

/// Records a submission: routes it, numbers it, starts its clocks, writes the `submitted`
/// event, attaches its uploads and queues the messages. Returns the new ticket.
pub fn submit(conn: &mut DbConn, s: &Submission, ctx: &Ctx) -> Result<Ticket, AppError> {
    Ok(submit_returning(conn, s, ctx)?.ticket)
}

/// [`submit`], with the new ticket's clocks as written (for a reply built from what was
/// written rather than read back).
pub fn submit_returning(
    conn: &mut DbConn,
    s: &Submission,
    ctx: &Ctx,
) -> Result<Submitted, AppError> {
    let now = ctx.naive();
    let (unit_id, reason) = route(conn, s, ctx)?;
    let number = crate::db::next_ticket_number(conn)?;
    let code = format!(
        "PAKN.{}.{:04}",
        ctx.day_end.local_date(ctx.now).format("%Y%m%d"),
        number
    );
    let remote = ctx.refs.area_is_remote(&s.area_code).unwrap_or(false);
    let policy = policy_of(s, ctx)?;
    let (submitter_id, anonymous, secret, name, email, phone, address) = stored(&s.sender);
    let search = crate::domain::text::fold(&format!("{} {}", s.title, s.description));
    // What an Open311 client sends is public from submission, as its clients expect to read
    // back what they posted; the unit may still refuse it.
    let client = match &s.sender {
        Sender::Open311 { client, .. } => Some(client.as_str()),
        _ => None,
    };
    let started = clocks::start(
        policy,
        Case {
            complex: false,
            remote,
        },
        ctx.now,
        &ctx.cal,
        &ctx.day_end,
    );
    let t = store::insert(
        conn,
        &NewTicket {
            code: &code,
            kind: s.kind,
            category_code: &s.category,
            title: &s.title,
            description: &s.description,
            search_text: &search,
            lat: s.lat,
            lon: s.lon,
            area_code: &s.area_code,
            address: s.address.as_deref(),
            attributes: s.attributes.to_string(),
            submitter_id,
            anonymous,
            tracking_secret_hash: secret,
            contact_name: name,
            contact_email: email,
            contact_phone: phone,
            contact_address: address,
            confidential: s.kind == Kind::Denunciation,
            private: s.private,
            public: client.is_some() && s.kind.may_be_public() && !s.private,
            channel: s.channel,
            unit_id,
            round: s.round,
            appeal_of_id: s.appeal_of,
            accused_unit_id: s.accused_unit_id,
            contested: s.contested.as_ref().map(Value::to_string),
            filing_late: s.filing_late,
            remote,
            policy_id: policy.as_ref().map(|p| p.id),
            routing_reason: reason.to_string(),
            received_at: now,
        },
        &started,
    )?;
    let id = t.id;
    clocks::insert_started(conn, id, &started)?;
    let event_id = events::append_first(
        conn,
        &NewEvent {
            ticket_id: id,
            kind: crate::domain::ticket::SUBMITTED_EVENT,
            actor: s.actor,
            unit_id: Some(unit_id),
            from_status: None,
            to_status: Some(Status::Submitted.as_str()),
            public: true,
            data: match client {
                Some(c) => {
                    json!({"channel": s.channel.as_str(), "open311_client": c, "routing": reason})
                }
                None => json!({"channel": s.channel.as_str(), "routing": reason}),
            },
            text: None,
        },
        now,
    )?;
    let (owner, anonymous_scope) = match &s.sender {
        Sender::Citizen { user_id } => (Some(*user_id), None),
        Sender::Desk { official_id, .. } => (Some(*official_id), None),
        Sender::Anonymous { .. } => (None, Some("client:")),
        Sender::Open311 { account, .. } => (*account, None),
    };
    attach_owned(
        conn,
        &Attaching {
            ticket_id: id,
            event_id,
            owner,
            anonymous_scope,
            by_submitter: true,
            max: ctx.max_attachments,
            now,
        },
        &s.attachments,
    )?;
    let told = tell_received(conn, &t, &started.clocks, event_id, ctx)?;
    Ok(Submitted {
        submitter: t.submitter_id.and_then(|id| told.contact(id).cloned()),
        ticket: t,
        clocks: started.clocks,
    })
}

/// A ticket as [`submit_returning`] wrote it.
pub struct Submitted {
    pub ticket: Ticket,
    pub clocks: Vec<Clock>,
    /// The signed-in submitter's name, email and phone, as looked up to tell them (`None`:
    /// no account, or not found).
    pub submitter: Option<crate::db::tickets::Contact>,
}

/// The deadline policy that applies to a submission (its kind, round, category, channel).
fn policy_of<'a>(s: &Submission, ctx: &'a Ctx) -> Result<Option<&'a Policy>, AppError> {
    let (chain, urgent) = ctx
        .refs
        .category_chain(&s.category)?
        .unwrap_or((vec![], false));
    Ok(ctx.refs.policy_for(&TicketFacts {
        kind: s.kind,
        round: (s.kind == Kind::Complaint).then_some(s.round as u8),
        categories: chain,
        channel: Some(s.channel),
        urgent,
    }))
}

/// The submitter hears that it arrived; the unit, that it has a new ticket (or appeal).
fn tell_received(
    conn: &mut DbConn,
    t: &Ticket,
    clocks: &[Clock],
    event_id: i64,
    ctx: &Ctx,
) -> Result<crate::notify::recipients::People, AppError> {
    let data = notices::data_with(t, clocks, ctx, json!({}));
    let staff = if t.round == 2 {
        Template::UnitAppeal
    } else {
        Template::UnitNewTicket
    };
    let told = [
        Notice {
            to: Audience::Submitter,
            template: Template::TicketReceived,
        },
        Notice {
            to: Audience::Staff,
            template: staff,
        },
    ];
    notices::send(conn, t, &told, &data, &format!("event:{event_id}"), ctx)
}

/// Where uploads go, and whose they may be.
pub struct Attaching<'a> {
    pub ticket_id: i64,
    pub event_id: i64,
    /// The uploader's account; `None` with `anonymous_scope` for uploads without one.
    pub owner: Option<i64>,
    pub anonymous_scope: Option<&'a str>,
    /// Files of the submitter (personal data: see `domain::access`).
    pub by_submitter: bool,
    pub max: u32,
    pub now: NaiveDateTime,
}

/// Attaches the owner's own unattached uploads to a ticket (and event). Anything else —
/// another person's upload, one already attached, an anonymous upload on a signed-in
/// submission, more than `max` on the ticket — is 422 on `/attachments`.
pub fn attach_owned(conn: &mut DbConn, a: &Attaching, ids: &[String]) -> Result<(), AppError> {
    if ids.is_empty() {
        return Ok(());
    }
    if a.owner.is_none() && a.anonymous_scope.is_none() {
        return Err(AppError::field("/attachments", "not_allowed"));
    }
    let held = crate::db::uploads::count_on(conn, a.ticket_id)?;
    if held as usize + ids.len() > a.max as usize {
        return Err(AppError::validation(vec![
            FieldError::new("/attachments", "too_many").arg("max", a.max),
        ]));
    }
    for (i, id) in ids.iter().enumerate() {
        let attached = crate::db::uploads::attach(
            conn,
            id,
            a.owner,
            a.anonymous_scope,
            (a.ticket_id, a.event_id),
            a.by_submitter,
            a.now,
        )?;
        if !attached {
            return Err(AppError::field(
                format!("/attachments/{i}"),
                "upload_not_usable",
            ));
        }
    }
    Ok(())
}
