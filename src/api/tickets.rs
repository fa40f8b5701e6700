//! Tickets over HTTP: submit (app or desk), read, the workflow actions, comments, rating,
//! support and follow. Handlers parse and check; `db::tickets` does the work in one
//! transaction.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::extract::{ApiJson, ApiQuery, OptionalJson, RequestContext};
use crate::api::idempotency::{self, Creating};
use crate::api::list::{MAX_LIMIT, Page, paginate};
use crate::api::routing::{AreaRef, UnitRef, place, unit_ref};
use crate::api::validation::Violations;
use crate::auth::{ClientAddr, CurrentUser, MaybeUser, tokens};
use crate::db::clocks::{self, ClockOut};
use crate::db::idempotency::{Claim, Saved};
use crate::db::schema::uploads;
use crate::db::tickets::{self, Access, ActionInput, Ctx, Sender, Submission, Ticket, Viewer};
use crate::db::{self, DbConn, categories, rate_limits};
use crate::domain::account::Role;
use crate::domain::attributes::check_answers;
use crate::domain::contact::{Email, Phone};
use crate::domain::ticket::{Action, Channel, Kind, Status};
use crate::error::{ApiError, FieldError};
use crate::i18n::Lang;
use crate::state::AppState;

pub const TRACKING_HEADER: &str = "X-Tracking-Secret";

/// The operation context (see [`AppState::ticket_ctx`]).
pub fn ctx(state: &AppState, conn: &mut DbConn) -> Result<Ctx, ApiError> {
    state.ticket_ctx(conn)
}

/// The caller as `db::tickets` sees it: the signed-in user and/or an `X-Tracking-Secret`.
pub fn viewer(user: Option<CurrentUser>, req: &HttpRequest) -> Viewer {
    Viewer {
        user,
        secret: req
            .headers()
            .get(TRACKING_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}

// --- views ------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryRef {
    pub code: String,
    pub name: String,
}

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
    /// Anonymous submissions only, and only in the reply to `POST /tickets`: send it as
    /// `X-Tracking-Secret` to follow and act on the ticket. It is kept only hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_secret: Option<String>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Builds the view of `t` for a caller with `access`. Reading a denouncer's identity as the
/// handling unit writes an `identity_viewed` event.
pub fn view(
    conn: &mut DbConn,
    t: &Ticket,
    access: Access,
    ctx: &Ctx,
    lang: Lang,
    viewer_user: Option<(i64, Role)>,
) -> Result<TicketView, ApiError> {
    let category = categories::find(conn, &t.category_code)?;
    let area = db::areas::find(conn, &t.area_code)?;
    let clocks = clocks::of_ticket(conn, t.id)?
        .iter()
        .map(|c| clocks::out(c, &ctx.cal, &ctx.day_end, ctx.now))
        .collect();
    let staff_or_owner = matches!(access, Access::Submitter | Access::Handling);
    let submitter = if staff_or_owner {
        if t.confidential
            && access == Access::Handling
            && let Some(viewer) = viewer_user
        {
            tickets::identity_viewed(conn, t, viewer, ctx.now.naive_utc())?;
        }
        let (name, email, phone) = match t.submitter_id {
            Some(uid) => {
                use crate::db::schema::users;
                use diesel::prelude::*;
                users::table
                    .find(uid)
                    .select((users::full_name, users::email, users::phone))
                    .first::<(String, Option<String>, Option<String>)>(conn)
                    .optional()?
                    .map(|(n, e, p)| (Some(n).filter(|n| !n.is_empty()), e, p))
                    .unwrap_or((None, None, None))
            }
            None => (
                t.contact_name.clone(),
                t.contact_email.clone(),
                t.contact_phone.clone(),
            ),
        };
        Some(SubmitterView {
            user_id: t.submitter_id,
            name,
            email,
            phone,
            address: t.contact_address.clone(),
            anonymous: t.anonymous,
        })
    } else {
        None
    };
    let code_of = |conn: &mut DbConn, id: Option<i64>| -> Result<Option<String>, ApiError> {
        Ok(match id {
            Some(id) => tickets::find(conn, id)?.map(|t| t.code),
            None => None,
        })
    };
    let attachments = attachments_of(conn, t, access)?;
    let precise = staff_or_owner || access == Access::Admin || access == Access::Supervisor;
    Ok(TicketView {
        code: t.code.clone(),
        kind: t.kind(),
        status: t.status(),
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
            name: area.map(|a| a.name).unwrap_or_default(),
        },
        lat: t.lat.map(|x| if precise { x } else { round3(x) }),
        lon: t.lon.map(|x| if precise { x } else { round3(x) }),
        address: if precise { t.address.clone() } else { None },
        attributes: serde_json::from_str(&t.attributes).unwrap_or(Value::Null),
        unit: unit_ref(conn, t.unit_id, lang)?,
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
        channel: Channel::parse(&t.channel).unwrap_or(Channel::App),
        submitter,
        answer: if staff_or_owner || t.answer_public || access.sees_internal() {
            t.answer.clone()
        } else {
            None
        },
        answer_public: t.answer_public,
        supporters: t.supporters,
        reopen_count: t.reopen_count,
        rating: t.rating,
        rating_comment: if staff_or_owner || access.sees_internal() {
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

/// Attachments the caller may see: the submitter's own uploads are personal data — for
/// readers outside the handling unit and the submitter, only those marked publishable.
fn attachments_of(
    conn: &mut DbConn,
    t: &Ticket,
    access: Access,
) -> Result<Vec<AttachmentRef>, ApiError> {
    use diesel::prelude::*;
    let rows: Vec<(String, String, Option<String>, bool, bool)> = uploads::table
        .filter(uploads::ticket_id.eq(t.id))
        .order(uploads::attached_at.asc())
        .select((
            uploads::id,
            uploads::media_kind,
            uploads::thumbnail_key,
            uploads::by_submitter,
            uploads::publishable,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, _, by_submitter, publishable)| {
            attachment_visible(t, access, *by_submitter, *publishable)
        })
        .map(|(id, kind, thumb, _, _)| AttachmentRef {
            url: format!("/api/v1/attachments/{id}"),
            thumbnail_url: thumb.map(|_| format!("/api/v1/attachments/{id}/thumbnail")),
            id,
            media_kind: kind,
        })
        .collect())
}

/// Whether an attachment of `t` may be shown to a caller with `access`.
pub fn attachment_visible(
    t: &Ticket,
    access: Access,
    by_submitter: bool,
    publishable: bool,
) -> bool {
    match access {
        Access::Submitter | Access::Handling => true,
        // A denouncer's uploads can identify them: the handling unit only.
        Access::Supervisor | Access::Admin | Access::System => !(t.confidential && by_submitter),
        Access::Public => !by_submitter || publishable,
    }
}

// --- submit -------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ContestedType {
    Decision,
    Act,
}

/// What a complaint contests.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contested {
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "decision")]
    pub kind: ContestedType,
    /// The decision's number (decisions only).
    pub number: Option<String>,
    /// When it was made.
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
    pub issuer: Option<String>,
    /// When the complainant learned of it: more than 90 days before filing is flagged.
    #[schema(value_type = String, format = Date)]
    pub learned_on: NaiveDate,
}

impl Serialize for ContestedType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            ContestedType::Decision => "decision",
            ContestedType::Act => "act",
        })
    }
}

/// A submission from the app, or recorded at the desk by an official (`channel` other than
/// `app`, with the submitter's name and contact).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub kind: Kind,
    /// A category code.
    pub category: String,
    /// 1–200 characters.
    pub title: String,
    /// 1–10,000 characters.
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// A commune (or province) code; or give `lat` and `lon`.
    pub area_code: Option<String>,
    pub address: Option<String>,
    /// Answers to the category's form fields.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Map<String, Value>>,
    /// Upload ids from `POST /uploads` (the caller's own, not yet attached).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// Feedback only: send without an account (a tracking secret comes back).
    #[serde(default)]
    pub anonymous: bool,
    /// Keep a feedback or petition out of public view.
    #[serde(default)]
    pub private: bool,
    /// Anonymous feedback: where to send updates (optional).
    pub contact_email: Option<String>,
    /// A denunciation may name the accused unit: it then goes to that unit's parent.
    pub accused_unit_id: Option<i64>,
    /// Complaints: what is contested (required).
    pub contested: Option<Contested>,
    /// `app` (default) or, for officials recording a submission: `in_person`, `post`,
    /// `phone`, `email`.
    pub channel: Option<Channel>,
    /// Desk intake: the submitter's name and contact (no account needed).
    pub submitter_name: Option<String>,
    pub submitter_email: Option<String>,
    pub submitter_phone: Option<String>,
    pub submitter_address: Option<String>,
}

/// Checks a submission; returns it (without its sender and area) or every violation.
struct Checked {
    title: String,
    description: String,
    attributes: Map<String, Value>,
    contested: Option<Value>,
    filing_late: bool,
}

fn check_submission(
    state: &AppState,
    b: &SubmitRequest,
    attribute_defs: &[crate::domain::attributes::Attribute],
) -> Result<Checked, ApiError> {
    let limits = &state.settings.tickets;
    let mut v = Violations::new();
    let title = v.line("/title", &b.title, 1, limits.title_max_chars);
    let description = v.text(
        "/description",
        &b.description,
        1,
        limits.description_max_chars,
    );
    if let Some(a) = &b.address {
        v.line("/address", a, 0, 500);
    }
    if b.attachments.len() > state.settings.media.max_per_ticket as usize {
        v.add_error(
            FieldError::new("/attachments", "too_many")
                .arg("max", state.settings.media.max_per_ticket),
        );
    }
    let attributes =
        match check_answers(attribute_defs, b.attributes.as_ref().unwrap_or(&Map::new())) {
            Ok(a) => a,
            Err(errors) => {
                for (pointer, code) in errors {
                    v.add(&format!("/attributes{pointer}"), code);
                }
                Map::new()
            }
        };
    if b.anonymous && b.kind != Kind::Feedback {
        v.add("/anonymous", "feedback_only");
    }
    if b.contact_email.is_some() && !b.anonymous {
        v.add("/contact_email", "anonymous_only");
    }
    if let Some(e) = &b.contact_email {
        v.parse("/contact_email", e, Email::parse);
    }
    if b.private && !b.kind.may_be_public() {
        // Complaints and denunciations are never public anyway.
    }
    if b.accused_unit_id.is_some() && b.kind != Kind::Denunciation {
        v.add("/accused_unit_id", "denunciation_only");
    }
    let mut filing_late = false;
    let contested = match (&b.contested, b.kind) {
        (None, Kind::Complaint) => {
            v.add("/contested", "required");
            None
        }
        (Some(_), k) if k != Kind::Complaint => {
            v.add("/contested", "complaint_only");
            None
        }
        (Some(c), _) => {
            if c.kind == ContestedType::Decision && c.number.as_deref().is_none_or(str::is_empty) {
                v.add("/contested/number", "required");
            }
            let today = state
                .settings
                .deadlines
                .day_end()
                .local_date(state.clock.now());
            if c.learned_on > today {
                v.add("/contested/learned_on", "in_the_future");
            }
            // Flagged, not refused: illness, disasters or travel may stop the window.
            filing_late = (today - c.learned_on).num_days() > 90;
            serde_json::to_value(c).ok()
        }
        (None, _) => None,
    };
    v.finish()?;
    Ok(Checked {
        title,
        description,
        attributes,
        contested,
        filing_late,
    })
}

/// Submit feedback, a petition, a complaint or a denunciation. `Idempotency-Key` is
/// required: a retry with the same key returns the same ticket (an anonymous one with a
/// fresh tracking secret, which replaces the old).
#[utoipa::path(tag = "tickets", request_body = SubmitRequest,
    params(("Idempotency-Key" = String, Header, description = "Required: 8–255 characters, new for each submission"),),
    responses((status = 201, body = TicketView),
        (status = 400, description = "idempotency_key_missing", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "email_not_verified / action_forbidden", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_in_progress", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets")]
pub async fn submit(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    client: ClientAddr,
    req: Creating<SubmitRequest>,
) -> Result<HttpResponse, ApiError> {
    req.require_key()?;
    let Creating { body, key, digest } = req;
    let key = key.unwrap_or_default();
    let channel = body.channel.unwrap_or(Channel::App);
    let user = user.0;
    // Who may send what.
    let sender_kind = match (&user, channel, body.anonymous) {
        (_, Channel::App, true) => "anonymous",
        (Some(u), Channel::App, false) if u.role == Role::Citizen => {
            if !u.verified {
                return Err(ApiError::client(
                    StatusCode::FORBIDDEN,
                    "email_not_verified",
                ));
            }
            "citizen"
        }
        (Some(_), Channel::App, false) => return Err(ApiError::forbidden()),
        (None, Channel::App, false) => {
            return Err(ApiError::unauthenticated("unauthenticated"));
        }
        (Some(u), _, false) if u.role == Role::Official => "desk",
        (None, _, _) => return Err(ApiError::unauthenticated("unauthenticated")),
        (Some(_), _, _) => return Err(ApiError::forbidden()),
    };
    let category = {
        let code = body.category.clone();
        state.db(move |c| categories::find(c, &code)).await?
    };
    let category = match category {
        Some(c) if c.active => c,
        _ => return Err(ApiError::field("/category", "unknown_category")),
    };
    let checked = check_submission(&state, &body, &category.attributes())?;
    let area = place(&state, body.area_code.clone(), body.lat, body.lon).await?;
    if let (Some(lat), Some(lon)) = (body.lat, body.lon)
        && !crate::domain::geo::valid_lat_lon(lat, lon)
    {
        return Err(ApiError::field("/lat", "out_of_range"));
    }
    let mut secret = None;
    let sender = match sender_kind {
        "anonymous" => {
            let s = tokens::random_token();
            let hash = tokens::hash_token(&s);
            secret = Some(s);
            Sender::Anonymous {
                secret_hash: hash,
                contact_email: body
                    .contact_email
                    .as_deref()
                    .and_then(|e| Email::parse(e).ok())
                    .map(Email::into_inner),
            }
        }
        "citizen" => Sender::Citizen {
            user_id: user.as_ref().map(|u| u.id).unwrap_or_default(),
        },
        _ => {
            let mut v = Violations::new();
            let name = v.line(
                "/submitter_name",
                body.submitter_name.as_deref().unwrap_or(""),
                1,
                200,
            );
            let email = body
                .submitter_email
                .as_deref()
                .and_then(|e| v.parse("/submitter_email", e, Email::parse))
                .map(Email::into_inner);
            let phone = body
                .submitter_phone
                .as_deref()
                .and_then(|p| v.parse("/submitter_phone", p, Phone::parse))
                .map(|p| p.as_str().to_string());
            v.finish()?;
            // Printed on the receipt: the submitter's way back to the ticket without an account.
            let s = tokens::random_token();
            let secret_hash = Some(tokens::hash_token(&s));
            secret = Some(s);
            Sender::Desk {
                official_id: user.as_ref().map(|u| u.id).unwrap_or_default(),
                secret_hash,
                name,
                email,
                phone,
                address: body.submitter_address.clone(),
            }
        }
    };
    let scope = idempotency::scope(user.as_ref().map(|u| u.id), &client.0);
    let actor = user.as_ref().map(|u| (u.id, u.role));
    let submission = Submission {
        kind: body.kind,
        category: category.code.clone(),
        title: checked.title,
        description: checked.description,
        lat: body.lat,
        lon: body.lon,
        area_code: area.code.clone(),
        address: body.address.clone().filter(|a| !a.trim().is_empty()),
        attributes: Value::Object(checked.attributes),
        private: body.private,
        channel,
        sender,
        accused_unit_id: body.accused_unit_id,
        contested: checked.contested,
        filing_late: checked.filing_late,
        attachments: body.attachments.clone(),
        appeal_of: None,
        round: 1,
        actor,
    };
    let anon_limit = state.settings.tickets.anonymous_per_hour;
    let client_key = format!("anonymous:ip:{}", client.0);
    let st = state.clone();
    let lang = rctx.lang;
    let (saved, replayed) = state
        .db(move |conn| {
            let now = st.clock.now_naive();
            db::write(conn, |c| {
                if let Claim::Replay(saved) = db::idempotency::claim(c, &scope, &key, &digest, now)?
                {
                    // An anonymous or desk ticket's secret is kept only hashed: a replay gets a
                    // fresh one, which replaces the old.
                    if let (Some(s), Some(code)) = (&secret, &saved.resource) {
                        let t = tickets::find_by_code(c, code)?
                            .ok_or_else(|| ApiError::internal("replayed ticket missing"))?;
                        tickets::set_tracking_secret(c, t.id, &tokens::hash_token(s))?;
                        let mut body: Value = serde_json::from_str(&saved.body).unwrap_or_default();
                        body["tracking_secret"] = Value::String(s.clone());
                        return Ok((
                            Saved {
                                body: body.to_string(),
                                ..saved
                            },
                            true,
                        ));
                    }
                    return Ok((saved, true));
                }
                if matches!(submission.sender, Sender::Anonymous { .. }) {
                    rate_limits::hit(c, &client_key, anon_limit, chrono::Duration::hours(1), now)?;
                }
                let ctx = ctx(&st, c)?;
                let t = tickets::submit(c, &submission, &ctx)?;
                let access = if submission.channel == Channel::App {
                    Access::Submitter
                } else {
                    Access::Handling
                };
                let mut v = view(c, &t, access, &ctx, lang, None)?;
                let stored = serde_json::to_string(&v)
                    .map_err(|e| ApiError::internal(format!("serialise: {e}")))?;
                v.tracking_secret = secret.clone();
                let saved = Saved {
                    status: 201,
                    body: stored,
                    resource: Some(t.code.clone()),
                };
                db::idempotency::complete(c, &scope, &key, &saved)?;
                Ok((
                    Saved {
                        body: serde_json::to_string(&v)
                            .map_err(|e| ApiError::internal(format!("serialise: {e}")))?,
                        ..saved
                    },
                    false,
                ))
            })
        })
        .await?;
    let mut res = HttpResponse::Created();
    res.content_type("application/json");
    if replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(res.body(saved.body))
}

// --- read -------------------------------------------------------------------------------

/// One ticket, as the caller may see it (404 `ticket_not_found` if they may not). An
/// anonymous submitter sends its `X-Tracking-Secret`.
#[utoipa::path(tag = "tickets",
    params(("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters")),
    responses((status = 200, body = TicketView), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/tickets/{code}")]
pub async fn get_one(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let v = viewer(user.0, &req);
    let code = path.into_inner();
    let st = state.clone();
    let out = state
        .db(move |conn| read_one(conn, &st, &code, &v, rctx.lang))
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// The view of one ticket for `v`. Only the handling unit's look at a denouncer's identity
/// writes (an `identity_viewed` event), so only that read takes the write lock: on SQLite a
/// write transaction for every read would queue all reads behind the one writer.
pub fn read_one(
    conn: &mut DbConn,
    state: &AppState,
    code: &str,
    v: &Viewer,
    lang: Lang,
) -> Result<TicketView, ApiError> {
    use diesel::Connection;
    let viewer_user = v.user.as_ref().map(|u| (u.id, u.role));
    let read = |c: &mut DbConn| -> Result<Option<TicketView>, ApiError> {
        let (t, access) = tickets::readable(c, code, v)?;
        if t.confidential && access == Access::Handling {
            return Ok(None);
        }
        let ctx = ctx(state, c)?;
        view(c, &t, access, &ctx, lang, viewer_user).map(Some)
    };
    if let Some(out) = conn.transaction(read)? {
        return Ok(out);
    }
    db::write(conn, |c| {
        let (t, access) = tickets::readable(c, code, v)?;
        let ctx = ctx(state, c)?;
        view(c, &t, access, &ctx, lang, viewer_user)
    })
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
pub fn timeline(conn: &mut DbConn, t: &Ticket, access: Access) -> Result<Vec<EventView>, ApiError> {
    let list = db::events::list(conn, t.id, !access.sees_internal())?;
    Ok(list
        .into_iter()
        .map(|e| {
            let ev = e.event;
            let staff = matches!(
                ev.actor_role.as_deref(),
                Some("official" | "supervisor" | "admin")
            );
            let show_actor = staff
                || access == Access::Submitter
                || (access == Access::Handling && !t.confidential);
            EventView {
                seq: ev.seq,
                kind: ev.kind,
                at: ev.created_at.and_utc(),
                actor_id: if show_actor { ev.actor_id } else { None },
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

#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    pub items: Vec<EventView>,
    pub next_cursor: Option<String>,
}

/// The ticket's timeline.
#[utoipa::path(tag = "tickets",
    params(("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters"), EventsQuery),
    responses((status = 200, body = EventList), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/tickets/{code}/events")]
pub async fn events(
    state: web::Data<AppState>,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<String>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    // Oldest first, by `seq`; a timeline is short, so the page is cut from the whole of it
    // (the viewer's filter applies before paging).
    let page = Page::<i32>::new(q.after.as_deref(), Some(q.limit.unwrap_or(MAX_LIMIT)))?;
    let v = viewer(user.0, &req);
    let code = path.into_inner();
    let items = state
        .db(move |conn| {
            let (t, access) = tickets::readable(conn, &code, &v)?;
            timeline(conn, &t, access)
        })
        .await?;
    let after = page.after.unwrap_or(i32::MIN);
    let rows: Vec<EventView> = items.into_iter().filter(|e| e.seq > after).collect();
    let list = paginate(rows, page.limit, |e| e.seq, |e| e);
    Ok(HttpResponse::Ok().json(EventList {
        items: list.items,
        next_cursor: list.next_cursor,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    pub after: Option<String>,
    /// 1–100, default 100.
    pub limit: Option<i64>,
}

// --- actions ----------------------------------------------------------------------------

/// The body of any action; each action reads the fields it needs (see the action table in
/// the README) and refuses the rest.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// accept, refuse, forward, suspend, resume, extend, reopen, withdraw, appeal,
    /// grant_withdrawal, decline_withdrawal.
    pub reason: Option<String>,
    /// accept: the case is complex (longer limits).
    pub complex: Option<bool>,
    /// forward: the unit to send it to.
    pub unit_id: Option<i64>,
    /// assign: an official of the unit, or `null` to unassign.
    #[serde(default, deserialize_with = "crate::api::extract::nullable")]
    #[schema(value_type = Option<i64>)]
    pub user_id: Option<Option<i64>>,
    /// request_info.
    pub question: Option<String>,
    /// provide_info and resolve.
    pub answer: Option<String>,
    /// progress_note.
    pub note: Option<String>,
    /// extend: days to add (within the policy's allowance).
    pub days: Option<u32>,
    /// resolve: publish the answer (feedback and petitions that are not private).
    pub publish: Option<bool>,
    /// provide_info and resolve: upload ids.
    pub attachments: Option<Vec<String>>,
    /// mark_duplicate: the code of the original ticket.
    pub of: Option<String>,
    /// provide_info by an official of the handling unit: records the answer the submitter
    /// gave in person (or by phone or post), marked as such on the timeline.
    pub on_behalf: Option<bool>,
}

/// Which fields an action takes (required first, then optional).
fn fields_of(action: Action) -> (&'static [&'static str], &'static [&'static str]) {
    match action {
        Action::Accept => (&[], &["complex", "reason"]),
        Action::Refuse => (&["reason"], &[]),
        Action::Forward => (&["unit_id", "reason"], &[]),
        Action::Assign => (&["user_id"], &[]),
        Action::RequestInfo => (&["question"], &[]),
        Action::ProvideInfo => (&["answer"], &["attachments", "on_behalf"]),
        Action::Suspend | Action::Resume => (&["reason"], &[]),
        Action::Extend => (&["days", "reason"], &[]),
        Action::ProgressNote => (&["note"], &[]),
        Action::Resolve => (&["answer"], &["publish", "attachments"]),
        Action::Reopen => (&["reason"], &[]),
        Action::Close => (&[], &[]),
        Action::Withdraw => (&[], &["reason"]),
        Action::GrantWithdrawal | Action::DeclineWithdrawal => (&["reason"], &[]),
        Action::Appeal => (&["reason"], &[]),
        Action::MarkDuplicate => (&["of"], &["reason"]),
    }
}

fn check_action(state: &AppState, action: Action, b: ActionBody) -> Result<ActionInput, ApiError> {
    let present: Vec<(&str, bool)> = vec![
        ("reason", b.reason.is_some()),
        ("complex", b.complex.is_some()),
        ("unit_id", b.unit_id.is_some()),
        ("user_id", b.user_id.is_some()),
        ("question", b.question.is_some()),
        ("answer", b.answer.is_some()),
        ("note", b.note.is_some()),
        ("days", b.days.is_some()),
        ("publish", b.publish.is_some()),
        ("attachments", b.attachments.is_some()),
        ("of", b.of.is_some()),
        ("on_behalf", b.on_behalf.is_some()),
    ];
    let (required, optional) = fields_of(action);
    let mut v = Violations::new();
    for (name, given) in &present {
        let field = format!("/{name}");
        if required.contains(name) && !given {
            v.add(&field, "required");
        } else if *given && !required.contains(name) && !optional.contains(name) {
            v.add(&field, "not_allowed");
        }
    }
    let max = state.settings.tickets.description_max_chars;
    let text_of = |v: &mut Violations, name: &str, s: &Option<String>| {
        s.as_deref().map(|t| v.text(&format!("/{name}"), t, 1, max))
    };
    let reason = text_of(&mut v, "reason", &b.reason);
    let text = text_of(&mut v, "question", &b.question)
        .or(text_of(&mut v, "answer", &b.answer))
        .or(text_of(&mut v, "note", &b.note));
    if let Some(a) = &b.attachments
        && a.len() > state.settings.media.max_per_ticket as usize
    {
        v.add("/attachments", "too_many");
    }
    v.finish()?;
    Ok(ActionInput {
        reason,
        complex: b.complex.unwrap_or(false),
        unit_id: b.unit_id,
        user_id: b.user_id,
        text,
        days: b.days,
        publish: b.publish.unwrap_or(false),
        attachments: b.attachments.unwrap_or_default(),
        of: b.of,
        on_behalf: b.on_behalf.unwrap_or(false),
    })
}

/// Take a workflow action: `accept`, `refuse`, `forward`, `assign`, `request_info`,
/// `provide_info`, `suspend`, `resume`, `extend`, `progress_note`, `resolve`, `reopen`,
/// `close`, `withdraw`, `grant_withdrawal`, `decline_withdrawal`, `appeal`,
/// `mark_duplicate`. 404 `ticket_not_found` if the caller may not read the ticket, 403
/// `action_forbidden` if the action is not theirs, 409 `invalid_transition` if not from
/// the current state. An appeal answers 201 with the new second-round complaint.
#[utoipa::path(tag = "tickets", request_body = ActionBody,
    params(("action" = Action, Path), ("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters")),
    responses((status = 200, body = TicketView), (status = 201, description = "appeal: the new complaint", body = TicketView),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/{action}")]
pub async fn act(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    OptionalJson(body): OptionalJson<ActionBody>,
) -> Result<HttpResponse, ApiError> {
    let (code, action) = path.into_inner();
    let Some(action) = Action::parse(&action) else {
        return Err(ApiError::not_found("route_not_found").arg("path", req.path()));
    };
    let v = viewer(user.0, &req);
    if v.user.is_none() && v.secret.is_none() {
        return Err(ApiError::unauthenticated("unauthenticated"));
    }
    let on_behalf = body.on_behalf == Some(true);
    let input = match check_action(&state, action, body) {
        Ok(input) => input,
        Err(bad_body) => {
            // Who may not act at all hears that first (404, 403, 409), not what was wrong
            // with the body.
            let (st, code, v) = (state.clone(), code.clone(), v.clone());
            state
                .db(move |c| {
                    let ctx = ctx(&st, c)?;
                    tickets::may_act(c, &code, &v, action, on_behalf, &ctx).map(|_| ())
                })
                .await?;
            return Err(bad_body);
        }
    };
    let st = state.clone();
    let (out, created) = state
        .db(move |conn| {
            // A concurrent action on the same ticket: try again against the new state.
            let mut tries = 0;
            loop {
                tries += 1;
                let r: Result<(TicketView, Option<TicketView>), ApiError> = db::write(conn, |c| {
                    let ctx = ctx(&st, c)?;
                    let acted = tickets::act(c, &code, &v, action, &input, &ctx)?;
                    let access = tickets::access(c, &acted.ticket, &v)?.unwrap_or(Access::Public);
                    let viewer_user = v.user.as_ref().map(|u| (u.id, u.role));
                    let t = view(c, &acted.ticket, access, &ctx, rctx.lang, viewer_user)?;
                    let created = match &acted.created {
                        Some(n) => {
                            Some(view(c, n, Access::Submitter, &ctx, rctx.lang, viewer_user)?)
                        }
                        None => None,
                    };
                    Ok((t, created))
                });
                match r {
                    Err(e) if e.code() == "concurrent_update" && tries < 3 => continue,
                    other => return other,
                }
            }
        })
        .await?;
    Ok(match created {
        Some(new) => HttpResponse::Created().json(new),
        None => HttpResponse::Ok().json(out),
    })
}

// --- comments, rating, support, follow ---------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    pub body: String,
    /// Citizens' comments are always public; staff may write internal notes (`false`).
    #[serde(default = "yes")]
    pub public: bool,
}

fn yes() -> bool {
    true
}

/// Comment on a ticket (the submitter and the handling unit); each comment is an event.
#[utoipa::path(tag = "tickets", request_body = CommentRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry safely")),
    responses((status = 201, body = EventView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/comments")]
pub async fn comment(
    state: web::Data<AppState>,
    user: MaybeUser,
    client: ClientAddr,
    req: HttpRequest,
    path: web::Path<String>,
    creating: Creating<CommentRequest>,
) -> Result<HttpResponse, ApiError> {
    let Creating { body, key, digest } = creating;
    let v = viewer(user.0, &req);
    let scope = idempotency::scope(v.user.as_ref().map(|u| u.id), &client.0);
    let mut check = Violations::new();
    let text = check.text(
        "/body",
        &body.body,
        1,
        state.settings.tickets.description_max_chars,
    );
    check.finish()?;
    let code = path.into_inner();
    let now = state.clock.now_naive();
    idempotency::run(&state, scope, key, digest, StatusCode::CREATED, move |c| {
        let (t, access) = tickets::readable(c, &code, &v)?;
        let public = match access {
            Access::Submitter => {
                if !body.public {
                    return Err(ApiError::field("/public", "citizens_comment_publicly"));
                }
                true
            }
            Access::Handling => body.public,
            _ => return Err(ApiError::forbidden()),
        };
        let actor = v.user.as_ref().map(|u| (u.id, u.role));
        tickets::comment(c, &t, actor, &text, public, "comment", now)?;
        let mut all = timeline(c, &t, access)?;
        all.pop()
            .ok_or_else(|| ApiError::internal("comment vanished"))
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1 (very unsatisfied) to 5 (very satisfied).
    pub score: i32,
    pub comment: Option<String>,
}

/// Rate the answer, once per resolution (a reopen allows a new rating). The submitter only.
#[utoipa::path(tag = "tickets", request_body = RatingRequest,
    params(("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters")),
    responses((status = 200, body = TicketView), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "invalid_transition or already_rated", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    rctx: RequestContext,
    user: MaybeUser,
    req: HttpRequest,
    path: web::Path<String>,
    ApiJson(body): ApiJson<RatingRequest>,
) -> Result<HttpResponse, ApiError> {
    let v = viewer(user.0, &req);
    let mut check = Violations::new();
    check.range("/score", body.score, 1, 5);
    let remark = body
        .comment
        .as_deref()
        .map(|c| check.text("/comment", c, 1, 2000));
    check.finish()?;
    let code = path.into_inner();
    let st = state.clone();
    let out = state
        .db(move |conn| {
            db::write(conn, |c| {
                let (t, access) = tickets::readable(c, &code, &v)?;
                if access != Access::Submitter {
                    return Err(ApiError::forbidden());
                }
                let ctx = ctx(&st, c)?;
                let actor = v.user.as_ref().map(|u| (u.id, u.role));
                let t = tickets::rate(
                    c,
                    &t,
                    actor,
                    body.score,
                    remark.as_deref(),
                    ctx.now.naive_utc(),
                )?;
                view(c, &t, access, &ctx, rctx.lang, actor)
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Supporters {
    pub supporters: i32,
    pub supported: bool,
}

async fn support_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    code: String,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    if user.role != Role::Citizen {
        return Err(ApiError::forbidden());
    }
    if !user.verified {
        return Err(ApiError::client(
            StatusCode::FORBIDDEN,
            "email_not_verified",
        ));
    }
    let st = state.clone();
    let uid = user.id;
    let v = Viewer {
        user: Some(user),
        secret: None,
    };
    let count = state
        .db(move |conn| {
            db::write(conn, |c| {
                let (t, _) = tickets::readable(c, &code, &v)?;
                if t.kind() != Kind::Petition || !t.public {
                    return Err(ApiError::conflict("not_a_public_petition"));
                }
                if t.submitter_id == Some(uid) {
                    return Err(ApiError::forbidden());
                }
                let ctx = ctx(&st, c)?;
                if on {
                    tickets::support(c, &t, uid, &ctx)
                } else {
                    tickets::unsupport(c, &t, uid)
                }
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(Supporters {
        supporters: count,
        supported: on,
    }))
}

/// Support a public petition (verified citizens, once each). Reaching the configured number
/// of supporters raises its priority.
#[utoipa::path(tag = "tickets", security(("bearer" = [])),
    responses((status = 200, body = Supporters), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "not_a_public_petition", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/support")]
pub async fn support(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    support_change(state, user, path.into_inner(), true).await
}

/// Withdraw one's support.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Supporters)))]
#[delete("/tickets/{code}/support")]
pub async fn unsupport(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    support_change(state, user, path.into_inner(), false).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Following {
    pub following: bool,
}

async fn follow_change(
    state: web::Data<AppState>,
    user: CurrentUser,
    code: String,
    on: bool,
) -> Result<HttpResponse, ApiError> {
    let uid = user.id;
    let v = Viewer {
        user: Some(user),
        secret: None,
    };
    let now = state.clock.now_naive();
    state
        .db(move |conn| {
            db::write(conn, |c| {
                let (t, _) = tickets::readable(c, &code, &v)?;
                if on {
                    tickets::follow(c, t.id, uid, now)
                } else {
                    tickets::unfollow(c, t.id, uid)
                }
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(Following { following: on }))
}

/// Follow a ticket: followers are told when it is answered.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Following), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/tickets/{code}/follow")]
pub async fn follow(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    follow_change(state, user, path.into_inner(), true).await
}

/// Stop following.
#[utoipa::path(tag = "tickets", security(("bearer" = [])), responses((status = 200, body = Following)))]
#[delete("/tickets/{code}/follow")]
pub async fn unfollow(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    follow_change(state, user, path.into_inner(), false).await
}

/// Marks an upload publishable (staff of the handling unit): only then may the public see a
/// citizen's photo.
pub fn set_publishable(
    conn: &mut DbConn,
    ticket_id: i64,
    upload: &str,
    on: bool,
) -> Result<(), ApiError> {
    use diesel::prelude::*;
    let n = diesel::update(
        uploads::table
            .filter(uploads::id.eq(upload))
            .filter(uploads::ticket_id.eq(ticket_id)),
    )
    .set(uploads::publishable.eq(on))
    .execute(conn)?;
    if n == 0 {
        return Err(ApiError::not_found("attachment_not_found"));
    }
    Ok(())
}
