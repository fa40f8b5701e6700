//! The workflow actions: who may take one (`domain::ticket::decide`), what the request needs
//! looked up first, and one generic [`apply`] that carries any decision out — the ticket's
//! fields, its clocks, the timeline event, attachments and messages — in the caller's
//! transaction.

use serde_json::json;

use super::notices;
use super::submission::{Attaching, Sender, Submission, attach_owned, submit};
use super::{Access, Viewer, readable};
use crate::db::events::{self, NewEvent};
use crate::db::tickets::{self as store, Ticket};
use crate::db::{DbConn, scope};
use crate::domain::account::Role;
use crate::domain::clock::{ExtensionRefused, Holder};
use crate::domain::ticket::{
    Action, Audience, Channel, Decision, Facts, FollowUp, Kind, Party, Refusal, Request, decide,
};
use crate::error::{AppError, FieldError, Reason};
use crate::workflow::Ctx;

/// The checked body of an action.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub reason: Option<String>,
    pub complex: bool,
    pub unit_id: Option<i64>,
    pub user_id: Option<Option<i64>>,
    /// The question, answer or note.
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
    /// How the actor stands to the ticket after the action, where the action cannot have
    /// changed it (the ticket stayed with its unit); `None`: ask again.
    pub access: Option<Access>,
    /// The ticket's clocks after the action, as written.
    pub clocks: Vec<crate::domain::clock::Clock>,
    pub created: Option<Ticket>,
    /// The signed-in submitter's contact as read with the ticket (`Some(None)`: none to
    /// show; `None`: not read).
    pub submitter: Option<Option<crate::db::tickets::Contact>>,
}

fn refused(r: Refusal, action: Action, t: &Ticket) -> AppError {
    match r {
        Refusal::Forbidden => AppError::forbidden(),
        Refusal::InvalidTransition => AppError::conflict("invalid_transition")
            .arg("action", action.as_str())
            .arg("state", t.status.as_str()),
    }
}

fn facts(conn: &mut DbConn, t: &Ticket, action: Action, ctx: &Ctx) -> Result<Facts, AppError> {
    let resolve_missed = action == Action::Appeal
        && crate::db::clocks::of_ticket(conn, t.id)?.iter().any(|c| {
            c.name == crate::domain::policy::ClockName::Resolve
                && c.view(&ctx.cal, &ctx.day_end, ctx.now).state
                    == crate::domain::deadlines::ClockState::Missed
        });
    Ok(Facts {
        kind: t.kind,
        status: t.status,
        round: t.round,
        complaint_suspension: ctx.complaint_suspension,
        resolved_at: t.resolved_at.map(|r| r.and_utc()),
        resolve_missed,
        withdrawal_requested: t.withdrawal_requested,
        info_lapsed: t.info_lapsed,
        private: t.private,
        remote: t.remote,
        status_before_info: t.status_before_info,
        reopen_count: t.reopen_count,
        unit_id: t.unit_id,
        now: ctx.now,
    })
}

/// Looks up and checks what the action names (the unit it goes to, the assignee, the
/// original of a duplicate), then asks the state machine.
fn decision(
    conn: &mut DbConn,
    t: &Ticket,
    party: Party,
    action: Action,
    input: &ActionInput,
    viewer: &Viewer,
    ctx: &Ctx,
) -> Result<Decision, AppError> {
    let f = facts(conn, t, action, ctx)?;
    // Who may act, from which state, is answered before what the body names.
    crate::domain::ticket::transition(&f, party, action).map_err(|r| refused(r, action, t))?;
    let mut req = Request {
        complex: input.complex,
        days: input.days.unwrap_or(0),
        publish: input.publish,
        on_behalf: input.on_behalf,
        answer: input.text.clone(),
        ..Request::default()
    };
    match action {
        Action::Forward => req.unit_id = Some(forward_target(conn, t, input)?),
        Action::Assign => req.assignee = assignee(conn, t, input)?,
        Action::MarkDuplicate => req.original = Some(original(conn, t, input, viewer)?),
        Action::Appeal if store::appealed(conn, t.id)? => {
            return Err(AppError::conflict("already_appealed"));
        }
        _ => {}
    }
    decide(&f, party, action, &req).map_err(|r| refused(r, action, t))
}

/// The unit a forward sends the ticket to: active, another, and one the accused unit's
/// officials would not handle it at (`domain::access`).
fn forward_target(conn: &mut DbConn, t: &Ticket, input: &ActionInput) -> Result<i64, AppError> {
    let unit = crate::db::units::find(conn, input.unit_id.unwrap_or_default())?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::field("/unit_id", "unknown_unit"))?;
    if unit.id == t.unit_id {
        return Err(AppError::field("/unit_id", "same_unit"));
    }
    if !scope::may_hold(conn, unit.id, t.accused_unit_id)? {
        return Err(AppError::unprocessable("accused_unit").with_field("/unit_id", "accused_unit"));
    }
    Ok(unit.id)
}

/// The official a ticket is assigned to: an active official of the holding unit (or nobody).
fn assignee(conn: &mut DbConn, t: &Ticket, input: &ActionInput) -> Result<Option<i64>, AppError> {
    let target = input.user_id.flatten();
    if let Some(uid) = target {
        let ok = crate::db::users::find(conn, uid)?.is_some_and(|u| {
            u.role() == Role::Official && u.unit_id == Some(t.unit_id) && !u.disabled
        });
        if !ok {
            return Err(AppError::field("/user_id", "not_an_official_of_the_unit"));
        }
    }
    Ok(target)
}

/// The original of a duplicate: another ticket the official may read.
fn original(
    conn: &mut DbConn,
    t: &Ticket,
    input: &ActionInput,
    viewer: &Viewer,
) -> Result<(i64, String), AppError> {
    let unknown = || AppError::field("/of", "unknown_ticket");
    let o =
        store::find_by_code(conn, input.of.as_deref().unwrap_or_default())?.ok_or_else(unknown)?;
    if o.id == t.id {
        return Err(AppError::field("/of", "same_ticket"));
    }
    if super::access(conn, &o, viewer)?.is_none() {
        return Err(unknown());
    }
    Ok((o.id, o.code))
}

/// The actions a viewer standing `how` to `t` may take now (the console's buttons); for the
/// handling unit, `provide_info` means recording the submitter's answer given in person.
pub fn allowed(
    conn: &mut DbConn,
    t: &Ticket,
    how: Access,
    ctx: &Ctx,
) -> Result<Vec<Action>, AppError> {
    let mut out = Vec::new();
    for action in Action::ALL {
        let party = match (how, action) {
            (Access::Handling, Action::ProvideInfo) => Party::OnBehalfOfSubmitter,
            _ => how.party(),
        };
        let f = facts(conn, t, action, ctx)?;
        if crate::domain::ticket::transition(&f, party, action).is_ok() {
            out.push(action);
        }
    }
    Ok(out)
}

/// Whether `viewer` may take `action` on the ticket `code` now: 404 when they may not read
/// it, 403 when the action is not theirs, 409 when the ticket's state does not allow it.
pub fn may_act(
    conn: &mut DbConn,
    code: &str,
    viewer: &Viewer,
    action: Action,
    on_behalf: bool,
    ctx: &Ctx,
) -> Result<(Ticket, Access), AppError> {
    let (t, how) = readable(conn, code, viewer)?;
    let party = party(how, on_behalf)?;
    let f = facts(conn, &t, action, ctx)?;
    crate::domain::ticket::transition(&f, party, action).map_err(|r| refused(r, action, &t))?;
    Ok((t, how))
}

fn party(how: Access, on_behalf: bool) -> Result<Party, AppError> {
    match (how, on_behalf) {
        (Access::Handling, true) => Ok(Party::OnBehalfOfSubmitter),
        // Only the handling unit records an answer given in person.
        (_, true) => Err(AppError::forbidden()),
        _ => Ok(how.party()),
    }
}

/// Takes `action` on the ticket `code` for `viewer`, in the caller's transaction.
pub fn act(
    conn: &mut DbConn,
    code: &str,
    viewer: &Viewer,
    action: Action,
    input: &ActionInput,
    ctx: &Ctx,
) -> Result<Acted, AppError> {
    act_at(conn, code, viewer, action, input, ctx, None)
}

/// [`act`], only if the ticket is still at one of `versions` (the caller's `If-Match`; `None`:
/// whatever its version), else 412 `precondition_failed`. Checked on the row the action
/// then writes only if still at that version, so no change slips in between.
pub fn act_at(
    conn: &mut DbConn,
    code: &str,
    viewer: &Viewer,
    action: Action,
    input: &ActionInput,
    ctx: &Ctx,
    versions: Option<&[i32]>,
) -> Result<Acted, AppError> {
    let (t, how, around) = super::readable_around(conn, code, viewer)?;
    if versions.is_some_and(|v| !v.contains(&t.version)) {
        return Err(AppError::refused(Reason::Stale, "precondition_failed"));
    }
    let d = decision(
        conn,
        &t,
        party(how, input.on_behalf)?,
        action,
        input,
        viewer,
        ctx,
    )?;
    let clocks = crate::db::clocks::Loaded::of(around.clocks)?;
    let acted = apply(conn, t, how, clocks, d, viewer, input, ctx)?;
    // Who submitted it does not change with an action.
    Ok(Acted {
        submitter: Some(around.submitter),
        ..acted
    })
}

/// nghedan's own action on a ticket (the sweep's): decided by the same state machine as a
/// person's, with no actor on the timeline.
pub fn act_as_system(
    conn: &mut DbConn,
    ticket_id: i64,
    action: Action,
    ctx: &Ctx,
) -> Result<Acted, AppError> {
    let t = store::find(conn, ticket_id)?.ok_or_else(|| AppError::not_found("ticket_not_found"))?;
    let (viewer, input) = (Viewer::default(), ActionInput::default());
    let d = decision(conn, &t, Party::System, action, &input, &viewer, ctx)?;
    let clocks = crate::db::clocks::load(conn, t.id)?;
    apply(conn, t, Access::System, clocks, d, &viewer, &input, ctx)
}

/// Carries out a decision: the ticket's row (if nobody changed it meanwhile), its clocks
/// (as read with it), the event, attachments, what follows, and the messages.
#[allow(clippy::too_many_arguments)]
fn apply(
    conn: &mut DbConn,
    t: Ticket,
    how: Access,
    mut clocks: crate::db::clocks::Loaded,
    d: Decision,
    viewer: &Viewer,
    input: &ActionInput,
    ctx: &Ctx,
) -> Result<Acted, AppError> {
    let now = ctx.naive();
    // The clocks, changed and assessed in memory against the ticket as the action leaves it;
    // their marks go into the ticket's own update.
    for change in &d.clocks {
        clocks.change(*change, ctx.now).map_err(extension_refused)?;
    }
    let holder = Holder {
        status: d.to,
        resolved_at: d
            .changes
            .resolved_at
            .unwrap_or(t.resolved_at.map(|r| r.and_utc())),
        closed_at: d
            .changes
            .closed_at
            .unwrap_or(t.closed_at.map(|r| r.and_utc())),
    };
    let assessed = clocks.assess(&holder, &ctx.cal, &ctx.day_end, ctx.now);
    // The optimistic check: a concurrent action on the same ticket makes this one a no-op,
    // and the caller retries against the new state.
    let Some(after) = store::update(conn, &t, d.to, &d.changes, assessed.marks(), ctx.now)? else {
        return Err(AppError::conflict("concurrent_update")
            .arg("retry_after", 1)
            .retry_after(1));
    };
    clocks.store(conn, &assessed)?;
    let created = match d.follow_up {
        Some(FollowUp::MoveFollowers { into }) => {
            store::move_followers(conn, t.id, into, now)?;
            None
        }
        Some(FollowUp::SecondRound) => Some(second_round(conn, &t, viewer, ctx)?),
        None => None,
    };
    let mut data = d.data.clone();
    if let Some(new) = &created {
        data = json!({"appeal": new.code});
    }
    let event_id = events::append(
        conn,
        &NewEvent {
            ticket_id: t.id,
            kind: d.event,
            actor: viewer.actor(),
            unit_id: Some(d.changes.unit_id.unwrap_or(t.unit_id)),
            from_status: Some(t.status.as_str()),
            to_status: Some(d.to.as_str()),
            public: d.public,
            data,
            text: input.text.as_deref().or(input.reason.as_deref()),
        },
        now,
    )?;
    if !input.attachments.is_empty() {
        let owner = viewer.user.as_ref().map(|u| u.id);
        let attaching = Attaching {
            ticket_id: t.id,
            event_id,
            owner,
            anonymous_scope: owner.is_none().then_some("client:"),
            by_submitter: how == Access::Submitter || input.on_behalf,
            max: ctx.max_attachments,
            now,
        };
        attach_owned(conn, &attaching, &input.attachments)?;
    }
    let note = input
        .text
        .clone()
        .or(input.reason.clone())
        .unwrap_or_default();
    let data = notices::data_with(
        &after,
        &clocks.clocks,
        ctx,
        json!({"note": note, "days": input.days}),
    );
    // An official who takes a ticket on themselves needs no message about it.
    let me = viewer.user.as_ref().map(|u| u.id);
    let told: Vec<_> = d
        .notices
        .iter()
        .copied()
        .filter(|n| !(n.to == Audience::Assignee && after.assignee_id == me))
        .collect();
    notices::send(
        conn,
        &after,
        &told,
        &data,
        &format!("event:{event_id}"),
        ctx,
    )?;
    let access = (after.unit_id == t.unit_id && how != Access::Public).then_some(how);
    Ok(Acted {
        access,
        ticket: after,
        clocks: clocks.clocks,
        created,
        submitter: None,
    })
}

/// An appeal: the complaint again, as a second-round case at the second-round authority.
fn second_round(
    conn: &mut DbConn,
    t: &Ticket,
    viewer: &Viewer,
    ctx: &Ctx,
) -> Result<Ticket, AppError> {
    let actor = viewer.actor();
    let sender = match (t.submitter_id, actor) {
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
    };
    submit(
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
            sender,
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
    )
}

fn extension_refused(r: ExtensionRefused) -> AppError {
    match r {
        ExtensionRefused::NotAllowed => AppError::field("/days", "extension_not_allowed"),
        ExtensionRefused::Exhausted => AppError::conflict("extensions_exhausted"),
        ExtensionRefused::OutOfRange { max_days } => AppError::validation(vec![
            FieldError::new("/days", "out_of_range")
                .arg("min", 1)
                .arg("max", max_days),
        ]),
    }
}
