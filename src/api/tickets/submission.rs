//! `POST /tickets`: a submission from the app, or recorded at the desk.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::api::caller::{ClientAddr, MaybeUser};
use crate::api::error::ApiError;
use crate::api::extract::RequestContext;
use crate::api::idempotency::{self, Creating, Made};
use crate::api::routing::place;
use crate::auth::CurrentUser;
use crate::auth::tokens;
use crate::db::DbConn;
use crate::db::idempotency::Saved;
use crate::domain::account::Role;
use crate::domain::attributes::check_answers;
use crate::domain::contact::{Email, Phone};
use crate::domain::ticket::{Channel, Kind};
use crate::error::FieldError;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::tickets::{self as tickets, Access, Sender, Submission, TicketView};

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

/// How a submission comes in.
enum Via {
    /// From the app without an account (feedback only).
    Anonymous,
    /// From the app by a verified citizen.
    Citizen(i64),
    /// Recorded at the desk by an official.
    Desk(i64),
}

/// Who may send what: anyone anonymous feedback from the app, a verified citizen the rest,
/// an official what came in person, by post, phone or email.
fn who_sends(
    user: Option<&CurrentUser>,
    channel: Channel,
    anonymous: bool,
) -> Result<Via, ApiError> {
    match (user, channel, anonymous) {
        (_, Channel::App, true) => Ok(Via::Anonymous),
        (Some(u), Channel::App, false) if u.role == Role::Citizen => {
            if u.verified {
                Ok(Via::Citizen(u.id))
            } else {
                Err(ApiError::client(
                    StatusCode::FORBIDDEN,
                    "email_not_verified",
                ))
            }
        }
        (Some(u), Channel::App, false) if u.role != Role::Citizen => Err(ApiError::forbidden()),
        (Some(u), _, false) if u.role == Role::Official => Ok(Via::Desk(u.id)),
        (None, _, _) => Err(ApiError::unauthenticated("unauthenticated")),
        (Some(_), _, _) => Err(ApiError::forbidden()),
    }
}

/// The sender as the ticket records it, and the tracking secret shown once to one who has no
/// account (anonymous, or printed on a desk receipt).
fn sender(via: Via, body: &SubmitRequest) -> Result<(Sender, Option<String>), ApiError> {
    let secret = || {
        let s = tokens::random_token();
        (tokens::hash_token(&s), s)
    };
    match via {
        Via::Anonymous => {
            let (secret_hash, shown) = secret();
            let contact_email = body
                .contact_email
                .as_deref()
                .and_then(|e| Email::parse(e).ok())
                .map(Email::into_inner);
            Ok((
                Sender::Anonymous {
                    secret_hash,
                    contact_email,
                },
                Some(shown),
            ))
        }
        Via::Citizen(user_id) => Ok((Sender::Citizen { user_id }, None)),
        Via::Desk(official_id) => {
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
            let (hash, shown) = secret();
            let sender = Sender::Desk {
                official_id,
                secret_hash: Some(hash),
                name,
                email,
                phone,
                address: body.submitter_address.clone(),
            };
            Ok((sender, Some(shown)))
        }
    }
}

/// Submit feedback, a petition, a complaint or a denunciation. `Idempotency-Key` is
/// required: a retry with the same key returns the same ticket (an anonymous one with a
/// fresh tracking secret, which replaces the old).
#[utoipa::path(tag = "tickets", request_body = SubmitRequest,
    params(("Idempotency-Key" = String, Header, description = "Required: 8–255 characters, new for each submission"),),
    responses((status = 201, body = TicketView),
        (status = 400, description = "idempotency_key_missing", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 401, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "email_not_verified / action_forbidden", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "idempotency_in_progress", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::api::error::Problem, content_type = "application/problem+json")))]
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
    let (saved, replayed) = record(
        &state,
        rctx.lang,
        user.0.as_ref(),
        &client.0,
        body,
        key.unwrap_or_default(),
        digest,
    )
    .await?;
    Ok(idempotency::answer(saved, replayed))
}

/// A submission checked and ready for its transaction: what [`record`] and the reception
/// register (`POST /receptions`, a visit received as a ticket) hand to
/// [`tickets::submit`], so that both go through the same checks, routing and deadlines.
pub struct Prepared {
    pub submission: Submission,
    /// The tracking secret shown once: anonymous feedback, or printed on a desk receipt.
    pub secret: Option<String>,
    /// The reference data the checks used, for the transaction's context.
    pub refs: std::sync::Arc<crate::db::reference::Snapshot>,
}

/// Checks a submission from `user` (who may send it, the category, its fields, the area)
/// and makes its sender; nothing is written.
pub async fn prepare(
    state: &AppState,
    user: Option<&CurrentUser>,
    body: &SubmitRequest,
) -> Result<Prepared, ApiError> {
    let channel = body.channel.unwrap_or(Channel::App);
    let via = who_sends(user, channel, body.anonymous)?;
    // The reference data once, for the checks here and the transaction that follows.
    let refs = state.reference::<ApiError>().await?;
    let category = match refs.category(&body.category) {
        Some(c) if c.active => c.clone(),
        _ => return Err(ApiError::field("/category", "unknown_category")),
    };
    let checked = check_submission(state, body, &category.attributes())?;
    let area = match (
        &body.area_code,
        refs.area(body.area_code.as_deref().unwrap_or("")),
    ) {
        (Some(_), Some(a)) => a.clone(),
        (Some(_), None) => return Err(ApiError::field("/area_code", "unknown_area")),
        (None, _) => place(state, None, body.lat, body.lon).await?,
    };
    if let (Some(lat), Some(lon)) = (body.lat, body.lon)
        && !crate::domain::geo::valid_lat_lon(lat, lon)
    {
        return Err(ApiError::field("/lat", "out_of_range"));
    }
    let (sender, secret) = sender(via, body)?;
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
        actor: user.map(|u| (u.id, u.role)),
    };
    Ok(Prepared {
        submission,
        secret,
        refs,
    })
}

/// A submission from the app or the desk, under its idempotency key (`key` empty: none):
/// the saved answer and whether it was a replay. The API's `POST /tickets` and the console's
/// desk intake both come here.
pub async fn record(
    state: &AppState,
    lang: crate::i18n::Lang,
    user: Option<&CurrentUser>,
    client: &str,
    body: SubmitRequest,
    key: String,
    digest: String,
) -> Result<(Saved, bool), ApiError> {
    let Prepared {
        submission,
        secret,
        refs,
    } = prepare(state, user, &body).await?;
    let scope = idempotency::scope(user.map(|u| u.id), client);
    let anon_limit = state.settings.tickets.anonymous_per_hour;
    let client_key = format!("anonymous:ip:{client}");
    let st = state.clone();
    state
        .db(move |c| {
            let now = st.clock.now_naive();
            let work = |c: &mut DbConn| {
                if matches!(submission.sender, Sender::Anonymous { .. }) {
                    crate::workflow::rate_limits::hit(
                        c,
                        &client_key,
                        anon_limit,
                        chrono::Duration::hours(1),
                        now,
                    )?;
                }
                let ctx = st.ticket_ctx_with(refs.clone());
                let tickets::Submitted {
                    ticket: t,
                    clocks,
                    submitter,
                } = tickets::submit_returning(c, &submission, &ctx)?;
                let access = if submission.channel == Channel::App {
                    Access::Submitter
                } else {
                    Access::Handling
                };
                // The reply from what was just written.
                let known = tickets::Known {
                    clocks: Some(&clocks),
                    submitter: submitter.as_ref().map(Some),
                    no_attachments: submission.attachments.is_empty(),
                };
                Ok(Made {
                    body: tickets::view_known(c, &t, known, access, &ctx, lang, None)?,
                    resource: Some(t.code),
                    once: secret_field(&secret),
                })
            };
            // A ticket's secret is kept only hashed: a replay gets a fresh one, which
            // replaces the old.
            let replayed = |c: &mut DbConn, saved: &Saved| match (&secret, &saved.resource) {
                (Some(s), Some(code)) => {
                    tickets::reissue_secret(c, code, &tokens::hash_token(s))?;
                    Ok(secret_field(&secret))
                }
                _ => Ok(Map::new()),
            };
            idempotency::transact(
                c,
                &scope,
                Some(&key),
                &digest,
                now,
                StatusCode::CREATED,
                work,
                replayed,
            )
        })
        .await
}

/// The tracking secret, for the one answer that shows it.
pub fn secret_field(secret: &Option<String>) -> Map<String, Value> {
    secret
        .iter()
        .map(|s| ("tracking_secret".to_string(), Value::String(s.clone())))
        .collect()
}
