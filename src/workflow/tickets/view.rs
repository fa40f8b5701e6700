//! A ticket and its timeline as a viewer may see them: which fields and files each viewer
//! sees is `domain::access::Access`; this module reads and assembles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::Access;
use crate::db::DbConn;
use crate::db::tickets::{self as store, Ticket};
use crate::domain::account::Role;
use crate::domain::clock::Clock;
use crate::domain::deadlines::ClockState;
use crate::domain::ticket::{Channel, Kind, Status};
use crate::error::AppError;
use crate::i18n::Lang;
use crate::workflow::Ctx;
pub use crate::workflow::refs::{AreaRef, CategoryRef, UnitRef, unit_ref};

/// Who sent a ticket: shown to the submitter and to the handling unit (for a denunciation,
/// only the handling unit, and each view is recorded). Never to supervisors or the public.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmitterView {
    pub user_id: Option<i64>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub anonymous: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentRef {
    pub id: String,
    /// `jpeg`, `png`, `webp` or `pdf`.
    pub media_kind: String,
    pub url: String,
    pub thumbnail_url: Option<String>,
}

/// One clock as a ticket shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClockOut {
    /// `accept`, `forward`, `resolve` or `update`.
    pub name: String,
    pub state: ClockState,
    pub due_at: Option<DateTime<Utc>>,
    /// The due day in local time (Asia/Ho_Chi_Minh).
    #[schema(value_type = Option<String>, format = Date)]
    pub due_local_date: Option<chrono::NaiveDate>,
    pub used_seconds: i64,
    pub left_seconds: Option<i64>,
    /// `working_days` or `calendar_days`, and the period in force (extensions included).
    pub counting: String,
    pub days: i32,
    pub extensions_used: i32,
}

impl ClockOut {
    pub fn of(c: &Clock, ctx: &Ctx) -> ClockOut {
        let v = c.view(&ctx.cal, &ctx.day_end, ctx.now);
        ClockOut {
            name: c.name.as_str().to_string(),
            state: v.state,
            due_at: v.due_at,
            due_local_date: v.due_local_date,
            used_seconds: v.used_seconds,
            left_seconds: v.left_seconds,
            counting: c.counting.as_str().to_string(),
            days: c.days as i32,
            extensions_used: c.extensions_used as i32,
        }
    }
}

/// A ticket as the caller may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TicketView {
    /// `PAKN.<local date>.<number>`.
    pub code: String,
    pub kind: Kind,
    pub status: Status,
    pub category: CategoryRef,
    pub title: String,
    pub description: String,
    pub area: AreaRef,
    /// Rounded to 0.001° for readers other than the submitter and staff.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub unit: UnitRef,
    pub assignee_id: Option<i64>,
    /// The legal complaint round (1 or 2); 1 for other kinds.
    pub round: i32,
    pub priority: i32,
    pub overdue: bool,
    pub clocks: Vec<ClockOut>,
    /// `public`, `private` or `confidential`.
    pub visibility: String,
    pub channel: Channel,
    pub submitter: Option<SubmitterView>,
    pub answer: Option<String>,
    pub answer_public: bool,
    pub supporters: i32,
    pub reopen_count: i32,
    pub rating: Option<i32>,
    pub rating_comment: Option<String>,
    pub complex: bool,
    pub filing_late: bool,
    pub withdrawal_requested: bool,
    #[schema(value_type = Option<Object>)]
    pub contested: Option<Value>,
    pub accused_unit_id: Option<i64>,
    pub duplicate_of: Option<String>,
    pub appeal_of: Option<String>,
    pub attachments: Vec<AttachmentRef>,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Only in the reply to `POST /tickets` for a ticket sent without an account (anonymous,
    /// or recorded at the desk: print it on the receipt): send it as `X-Tracking-Secret` to
    /// follow and act on the ticket. It is kept only hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_secret: Option<String>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The submitter's details, for those who see them (recording a look at a denouncer's).
fn submitter_of(
    conn: &mut DbConn,
    t: &Ticket,
    access: Access,
    ctx: &Ctx,
    viewer: Option<(i64, Role)>,
    identity: Identity,
) -> Result<Option<SubmitterView>, AppError> {
    if !access.sees_submitter() {
        return Ok(None);
    }
    if identity == Identity::Withhold && access.views_identity(t.confidential) {
        return Ok(None);
    }
    if access.views_identity(t.confidential)
        && let Some(viewer) = viewer
    {
        super::identity_viewed(conn, t, viewer, None, ctx.naive())?;
    }
    let (name, email, phone) = match t.submitter_id {
        Some(uid) => crate::db::users::find(conn, uid)?
            .map(|u| {
                (
                    Some(u.full_name).filter(|n| !n.is_empty()),
                    u.email,
                    u.phone,
                )
            })
            .unwrap_or((None, None, None)),
        None => (
            t.contact_name.clone(),
            t.contact_email.clone(),
            t.contact_phone.clone(),
        ),
    };
    Ok(Some(SubmitterView {
        user_id: t.submitter_id,
        name,
        email,
        phone,
        address: t.contact_address.clone(),
        anonymous: t.anonymous,
    }))
}

/// The view of the ticket `code` for `v`. Only the handling unit's look at a denouncer's
/// identity writes (an `identity_viewed` event), so only that read takes the write lock: on
/// SQLite a write transaction for every read would queue all reads behind the one writer.
/// With the view, the ticket's version (its `ETag`), from the same read.
pub fn read(
    conn: &mut DbConn,
    code: &str,
    v: &super::Viewer,
    ctx: &Ctx,
    lang: Lang,
) -> Result<(i32, TicketView), AppError> {
    let looked = crate::db::read(conn, |c| -> Result<_, AppError> {
        let (t, access) = super::readable(c, code, v)?;
        if access.views_identity(t.confidential) {
            return Ok(None);
        }
        Ok(Some((
            t.version,
            view(c, &t, access, ctx, lang, v.actor())?,
        )))
    })?;
    if let Some(out) = looked {
        return Ok(out);
    }
    crate::db::write(conn, |c| {
        let (t, access) = super::readable(c, code, v)?;
        Ok((t.version, view(c, &t, access, ctx, lang, v.actor())?))
    })
}

/// Whether a look at a ticket shows a denouncer's identity to the handling unit (and records
/// it): the API shows it at once; the console behind a button.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Show,
    Withhold,
}

/// A ticket as one viewer looks at it: the view, the row and how they stand to it.
pub struct Looked {
    pub view: TicketView,
    pub ticket: Ticket,
    pub access: Access,
}

/// [`read`] for pages that also need the row and the access, and may withhold a denouncer's
/// identity (nothing is recorded then).
pub fn look(
    conn: &mut DbConn,
    code: &str,
    v: &super::Viewer,
    ctx: &Ctx,
    lang: Lang,
    identity: Identity,
) -> Result<Looked, AppError> {
    let once = |c: &mut DbConn| -> Result<Looked, AppError> {
        let (ticket, access) = super::readable(c, code, v)?;
        let view = view_with(
            c,
            &ticket,
            Known::default(),
            access,
            ctx,
            lang,
            v.actor(),
            identity,
        )?;
        Ok(Looked {
            view,
            ticket,
            access,
        })
    };
    let records = crate::db::read(conn, |c| {
        let (t, access) = super::readable(c, code, v)?;
        Ok::<_, AppError>(identity == Identity::Show && access.views_identity(t.confidential))
    })?;
    if records {
        crate::db::write(conn, once)
    } else {
        crate::db::read(conn, once)
    }
}

/// The view of `t` for a caller with `access` (the signed-in `viewer`, if any).
pub fn view(
    conn: &mut DbConn,
    t: &Ticket,
    access: Access,
    ctx: &Ctx,
    lang: Lang,
    viewer: Option<(i64, Role)>,
) -> Result<TicketView, AppError> {
    view_with(
        conn,
        t,
        Known::default(),
        access,
        ctx,
        lang,
        viewer,
        Identity::Show,
    )
}

/// What the caller already holds of a ticket it has just written, so that its view is built
/// from that rather than read back.
#[derive(Debug, Default, Clone, Copy)]
pub struct Known<'a> {
    pub clocks: Option<&'a [Clock]>,
    /// The ticket has no attachments (a submission that sent none).
    pub no_attachments: bool,
}

/// [`view`] of a ticket with what the caller [`Known`]s of it.
pub fn view_known(
    conn: &mut DbConn,
    t: &Ticket,
    known: Known,
    access: Access,
    ctx: &Ctx,
    lang: Lang,
    viewer: Option<(i64, Role)>,
) -> Result<TicketView, AppError> {
    view_with(conn, t, known, access, ctx, lang, viewer, Identity::Show)
}

#[allow(clippy::too_many_arguments)]
fn view_with(
    conn: &mut DbConn,
    t: &Ticket,
    known: Known,
    access: Access,
    ctx: &Ctx,
    lang: Lang,
    viewer: Option<(i64, Role)>,
    identity: Identity,
) -> Result<TicketView, AppError> {
    let category = ctx.refs.category(&t.category_code);
    let area = ctx.refs.area(&t.area_code);
    let read;
    let clocks = match known.clocks {
        Some(c) => c,
        None => {
            read = crate::db::clocks::of_ticket(conn, t.id)?;
            &read
        }
    };
    let clocks = clocks.iter().map(|c| ClockOut::of(c, ctx)).collect();
    let submitter = submitter_of(conn, t, access, ctx, viewer, identity)?;
    let code_of = |conn: &mut DbConn, id: Option<i64>| -> Result<Option<String>, AppError> {
        Ok(match id {
            Some(id) => store::find(conn, id)?.map(|t| t.code),
            None => None,
        })
    };
    let attachments = if known.no_attachments {
        vec![]
    } else {
        attachments_of(conn, t, access)?
    };
    let precise = access.sees_precisely();
    let staff_or_owner = access.sees_submitter() || access.sees_internal();
    Ok(TicketView {
        code: t.code.clone(),
        kind: t.kind,
        status: t.status,
        category: CategoryRef {
            code: t.category_code.clone(),
            name: category
                .map(|c| lang.pick(&c.name_vi, &c.name_en).to_string())
                .unwrap_or_default(),
        },
        title: t.title.clone(),
        description: t.description.clone(),
        area: AreaRef {
            code: t.area_code.clone(),
            name: area.map(|a| a.name.clone()).unwrap_or_default(),
        },
        lat: t.lat.map(|x| if precise { x } else { round3(x) }),
        lon: t.lon.map(|x| if precise { x } else { round3(x) }),
        address: if precise { t.address.clone() } else { None },
        attributes: serde_json::from_str(&t.attributes).unwrap_or(Value::Null),
        unit: unit_ref(&ctx.refs, t.unit_id, lang)?,
        assignee_id: t.assignee_id,
        round: t.round,
        priority: t.priority,
        overdue: t.overdue,
        clocks,
        visibility: if t.confidential {
            "confidential"
        } else if t.public {
            "public"
        } else {
            "private"
        }
        .to_string(),
        channel: t.channel,
        submitter,
        answer: if access.sees_answer(t.answer_public) {
            t.answer.clone()
        } else {
            None
        },
        answer_public: t.answer_public,
        supporters: t.supporters,
        reopen_count: t.reopen_count,
        rating: t.rating,
        rating_comment: if staff_or_owner {
            t.rating_comment.clone()
        } else {
            None
        },
        complex: t.complex,
        filing_late: t.filing_late,
        withdrawal_requested: t.withdrawal_requested,
        contested: if precise {
            t.contested
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok())
        } else {
            None
        },
        accused_unit_id: if precise { t.accused_unit_id } else { None },
        duplicate_of: code_of(conn, t.duplicate_of_id)?,
        appeal_of: code_of(conn, t.appeal_of_id)?,
        attachments,
        received_at: t.received_at.and_utc(),
        accepted_at: t.accepted_at.map(|x| x.and_utc()),
        resolved_at: t.resolved_at.map(|x| x.and_utc()),
        created_at: t.created_at.and_utc(),
        updated_at: t.updated_at.and_utc(),
        tracking_secret: None,
    })
}

/// The attachments the caller may see (`Access::sees_attachment`).
fn attachments_of(
    conn: &mut DbConn,
    t: &Ticket,
    access: Access,
) -> Result<Vec<AttachmentRef>, AppError> {
    Ok(crate::db::uploads::of_ticket(conn, t.id)?
        .into_iter()
        .filter(|u| access.sees_attachment(t.confidential, u.by_submitter, u.publishable))
        .map(|u| AttachmentRef {
            url: format!("/api/v1/attachments/{}", u.id),
            thumbnail_url: u
                .thumbnail_key
                .map(|_| format!("/api/v1/attachments/{}/thumbnail", u.id)),
            id: u.id,
            media_kind: u.media_kind,
        })
        .collect())
}

/// One event of the timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i32,
    pub kind: String,
    pub at: DateTime<Utc>,
    /// Staff actors by id; the submitter appears as role `citizen` without an id to others.
    pub actor_id: Option<i64>,
    pub actor_role: Option<String>,
    pub unit_id: Option<i64>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub public: bool,
    pub text: Option<String>,
    #[schema(value_type = Object)]
    pub data: Value,
}

/// The timeline: public events for the submitter and the public, every event for staff who
/// may read the ticket.
pub fn timeline(conn: &mut DbConn, t: &Ticket, access: Access) -> Result<Vec<EventView>, AppError> {
    let list = crate::db::events::list(conn, t.id, !access.sees_internal())?;
    Ok(list
        .into_iter()
        .map(|e| {
            let ev = e.event;
            let staff = matches!(
                ev.actor_role.as_deref(),
                Some("official" | "supervisor" | "admin")
            );
            EventView {
                seq: ev.seq,
                kind: ev.kind,
                at: ev.created_at.and_utc(),
                actor_id: if access.sees_actor(staff, t.confidential) {
                    ev.actor_id
                } else {
                    None
                },
                actor_role: ev.actor_role,
                unit_id: ev.unit_id,
                from_status: ev.from_status,
                to_status: ev.to_status,
                public: ev.public,
                text: e.text,
                data: serde_json::from_str(&ev.data).unwrap_or(Value::Null),
            }
        })
        .collect())
}
