//! `POST /tickets/{code}/{action}`: the workflow actions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ctx, viewer};
use crate::api::caller::MaybeUser;
use crate::api::error::ApiError;
use crate::api::extract::{OptionalJson, RequestContext};
use crate::db::{self};
use crate::domain::ticket::Action;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::tickets::{self as tickets, Access, ActionInput, TicketView, view};

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
pub(crate) fn fields_of(action: Action) -> (&'static [&'static str], &'static [&'static str]) {
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

pub(crate) fn check_action(
    state: &AppState,
    action: Action,
    b: ActionBody,
) -> Result<ActionInput, ApiError> {
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
/// `If-Match` with the ticket's `ETag` acts only if the ticket has not changed since (else
/// 412 `precondition_failed`); without it, the action applies to the ticket as it is now.
#[utoipa::path(tag = "tickets", request_body = ActionBody,
    params(("action" = Action, Path), ("X-Tracking-Secret" = Option<String>, Header, description = "Anonymous submitters"),
        ("If-Match" = Option<String>, Header, description = "The ticket's ETag as the caller read it")),
    responses((status = 200, body = TicketView, headers(("ETag" = String, description = "The ticket's new ETag"), ("Content-Location" = String, description = "The ticket"))),
        (status = 201, description = "appeal: the new complaint", body = TicketView),
        (status = 412, description = "`precondition_failed`: the ticket changed since the caller read it", body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::api::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::api::error::Problem, content_type = "application/problem+json")))]
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
                .db(move |c| -> Result<(), ApiError> {
                    let ctx = ctx(&st, c)?;
                    tickets::may_act(c, &code, &v, action, on_behalf, &ctx)?;
                    Ok(())
                })
                .await?;
            return Err(bad_body);
        }
    };
    let if_match = crate::api::conditional::IfMatch::of(&req);
    let st = state.clone();
    let (out, version, created) = state
        .db(move |conn| {
            // A concurrent action on the same ticket: try again against the new state.
            let mut tries = 0;
            loop {
                tries += 1;
                let r: Result<(TicketView, i32, Option<TicketView>), ApiError> =
                    db::write(conn, |c| {
                        let ctx = ctx(&st, c)?;
                        let versions = if_match.versions();
                        let acted = tickets::act_at(c, &code, &v, action, &input, &ctx, versions)?;
                        let access = match acted.access {
                            Some(a) => a,
                            None => {
                                tickets::access(c, &acted.ticket, &v)?.unwrap_or(Access::Public)
                            }
                        };
                        let viewer_user = v.user.as_ref().map(|u| (u.id, u.role));
                        // The reply from what the action wrote.
                        let known = tickets::Known {
                            clocks: Some(&acted.clocks),
                            submitter: acted.submitter.as_ref().map(Option::as_ref),
                            no_attachments: false,
                        };
                        let t = tickets::view_known(
                            c,
                            &acted.ticket,
                            known,
                            access,
                            &ctx,
                            rctx.lang,
                            viewer_user,
                        )?;
                        let created = match &acted.created {
                            Some(n) => {
                                Some(view(c, n, Access::Submitter, &ctx, rctx.lang, viewer_user)?)
                            }
                            None => None,
                        };
                        Ok((t, acted.ticket.version, created))
                    });
                match r {
                    Err(e) if e.code() == "concurrent_update" && tries < 3 => continue,
                    other => return other,
                }
            }
        })
        .await?;
    match created {
        Some(new) => Ok(HttpResponse::Created().json(new)),
        // The ticket's new ETag, for the next `If-Match`.
        None => crate::api::conditional::ticket_response(
            StatusCode::OK,
            version,
            &out,
            Some(format!("/api/v1/tickets/{}", out.code)),
        ),
    }
}
