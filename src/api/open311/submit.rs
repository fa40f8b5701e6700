//! `POST requests.{fmt}`: a service request from an Open311 client, through the app's own
//! submission (`workflow::tickets::submit`: routing, deadlines, notifications, the audit
//! trail) under the client's `Idempotency-Key`. Without a signed-in citizen it is anonymous
//! feedback with the contact given; the tracking secret is never made (nothing could show
//! it). The reply is an array of one: the id, a notice naming the unit and the legal answer
//! deadline, and the account.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde_json::{Map, Value, json};

use super::{arg, check_jurisdiction, format_of, lang_of, query_pairs};
use crate::api::caller::MaybeUser;
use crate::api::extract::RequestContext;
use crate::api::idempotency::{self, Made};
use crate::db::{self, DbConn};
use crate::domain::account::Role;
use crate::domain::attributes::check_answers;
use crate::domain::contact::{Email, Phone};
use crate::domain::text::{Layout, check_free_text};
use crate::domain::ticket::{Channel, Kind};
use crate::i18n::Lang;
use crate::open311::format::{Node, Open311Error, respond};
use crate::open311::{answers, clients, offered_kind, service};
use crate::state::AppState;
use crate::workflow::tickets::{self as tickets, Access, Sender, Submission, view};

/// The spec's limit on `description`.
pub const DESCRIPTION_MAX: usize = 4_000;

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PostForm {
    /// The client's key (or in the query string).
    pub api_key: String,
    pub service_code: String,
    /// Optional: the configured jurisdiction.
    pub jurisdiction_id: Option<String>,
    /// A location: `lat` and `long`, or `address_string`, or `address_id` (an area code).
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    /// Up to 4,000 characters.
    pub description: Option<String>,
    pub media_url: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    /// Answers: `attribute[CODE]=v`; a multivaluelist repeats `attribute[CODE][]=v`.
    #[schema(value_type = Option<Object>)]
    pub attribute: Option<Value>,
}

/// Post a service request (form-urlencoded). `api_key` in the query or the body; an
/// `Idempotency-Key` header makes a retry return the first answer.
#[utoipa::path(tag = "open311", params(super::FormatParam,
        ("api_key" = Option<String>, Query, description = "The client's key (or in the body)"),
        ("Idempotency-Key" = Option<String>, Header, description = "8–255 characters: a retry with the same key and body gets the first answer")),
    request_body(content = PostForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Posted: an array of one", content((Vec<super::PostedDoc> = "application/json"), (String = "text/xml"))),
        (status = 400, description = "A missing or invalid argument", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 403, description = "Missing or wrong api_key", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"))),
        (status = 404, description = "Unknown service, format or jurisdiction", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml"), (crate::api::error::Problem = "application/problem+json"))),
        (status = 429, description = "The key posted too often (`Retry-After`)", content((Vec<super::ErrorDoc> = "application/json"), (String = "text/xml")))))]
#[post("/requests.{format}")]
pub async fn post_request(
    state: web::Data<AppState>,
    ctx: RequestContext,
    req: HttpRequest,
    user: MaybeUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let format = match format_of(&path) {
        Ok(f) => f,
        Err(stop) => return stop.respond(),
    };
    match post(&state, &ctx, &req, user, &body).await {
        Ok((saved, replayed)) => {
            let mut res = respond(
                format,
                StatusCode::OK,
                "service_requests",
                &posted_node(&saved),
            );
            if replayed {
                res.headers_mut().insert(
                    header::HeaderName::from_static("idempotent-replayed"),
                    header::HeaderValue::from_static("true"),
                );
            }
            res
        }
        Err(e) => e.respond(format),
    }
}

/// The saved reply (JSON) as a node, for either format.
fn posted_node(saved: &str) -> Node {
    let v: Value = serde_json::from_str(saved).unwrap_or(Value::Null);
    let items = v
        .as_array()
        .map(|a| {
            a.iter()
                .map(|o| {
                    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
                    Node::Obj(vec![
                        ("service_request_id", Node::opt(s("service_request_id"))),
                        ("service_notice", Node::opt(s("service_notice"))),
                        ("account_id", Node::opt(s("account_id"))),
                    ])
                })
                .collect()
        })
        .unwrap_or_default();
    Node::List("request", items)
}

fn bad(description: impl Into<String>) -> Open311Error {
    Open311Error::bad_request(description)
}

/// A one-line free text of at most `max` characters (400 naming `name` otherwise).
fn line(
    pairs: &[(String, String)],
    name: &str,
    max: usize,
) -> Result<Option<String>, Open311Error> {
    match arg(pairs, name) {
        None => Ok(None),
        Some(v) if v.chars().count() > max || check_free_text(v, Layout::OneLine).is_err() => {
            Err(bad(format!(
                "{name} must be one line of at most {max} characters"
            )))
        }
        Some(v) => Ok(Some(v.to_string())),
    }
}

fn coordinate(pairs: &[(String, String)], name: &str) -> Result<Option<f64>, Open311Error> {
    arg(pairs, name)
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(format!("{name} is not a number")))
        })
        .transpose()
}

/// What a signed-in caller changes: a verified citizen sends as themself (any kind the
/// service takes); anyone else sends anonymous feedback.
fn account_of(user: Option<&crate::auth::CurrentUser>) -> Option<(i64, Role)> {
    user.filter(|u| u.role == Role::Citizen && u.verified)
        .map(|u| (u.id, u.role))
}

async fn post(
    state: &AppState,
    ctx: &RequestContext,
    req: &HttpRequest,
    user: MaybeUser,
    body: &[u8],
) -> Result<(String, bool), Open311Error> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"multipart/"));
    if is_multipart {
        return Err(bad("send the form as application/x-www-form-urlencoded"));
    }
    let mut pairs = query_pairs(req)?;
    pairs.extend(
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map_err(|_| bad("the body is not a form (application/x-www-form-urlencoded)"))?,
    );
    check_jurisdiction(state, &pairs)?;
    let lang = lang_of(&pairs, ctx);
    let key = arg(&pairs, "api_key")
        .ok_or_else(|| Open311Error::forbidden("api_key missing"))?
        .to_string();
    let client = state
        .db(move |c| clients::authenticate(c, &key).map_err(Open311Error::from))
        .await?
        .ok_or_else(|| Open311Error::forbidden("api_key invalid"))?;
    let idempotency_key = idempotency::key_of(req).map_err(Open311Error::from)?;

    let code = arg(&pairs, "service_code").ok_or_else(|| bad("service_code missing"))?;
    let refs = state.reference::<Open311Error>().await?;
    let all = refs.categories(false);
    let category = service(&all, code)
        .ok_or_else(|| Open311Error::not_found("service_code not found"))?
        .clone();
    let account = account_of(user.0.as_ref());
    let kind = match account {
        Some(_) => offered_kind(&category).unwrap_or(Kind::Feedback),
        None => Kind::Feedback,
    };

    let description = arg(&pairs, "description").map(str::to_string);
    if let Some(d) = &description
        && (d.chars().count() > DESCRIPTION_MAX || check_free_text(d, Layout::Paragraphs).is_err())
    {
        return Err(bad("description must be text of at most 4000 characters"));
    }
    let media_url = line(&pairs, "media_url", 2_000)?;
    if let Some(u) = &media_url
        && !url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    {
        return Err(bad("media_url must be an http(s) URL"));
    }
    let defs = category.attributes();
    let attributes = check_answers(&defs, &answers(&defs, &pairs)).map_err(|errors| {
        let list: Vec<String> = errors
            .iter()
            .map(|(p, c)| format!("attribute[{}]: {c}", p.trim_start_matches('/')))
            .collect();
        bad(list.join("; "))
    })?;

    let (lat, lon) = (coordinate(&pairs, "lat")?, coordinate(&pairs, "long")?);
    if lat.is_some() != lon.is_some() {
        return Err(bad("lat and long must be given together"));
    }
    if let (Some(lat), Some(lon)) = (lat, lon)
        && !crate::domain::geo::valid_lat_lon(lat, lon)
    {
        return Err(bad("lat and long are out of range"));
    }
    let address_string = line(&pairs, "address_string", 500)?;
    let area_code = match (arg(&pairs, "address_id"), lat.zip(lon)) {
        (Some(id), _) => refs
            .area(id)
            .map(|a| a.code.clone())
            .ok_or_else(|| bad("address_id is not a known area code"))?,
        (None, Some((lat, lon))) => {
            crate::api::routing::place(state, None, Some(lat), Some(lon))
                .await
                .map_err(|_| bad("lat and long are outside every area nghedan covers"))?
                .code
        }
        (None, None) => {
            let Some(address) = address_string.clone() else {
                return Err(bad(
                    "a location is required: lat and long, address_string or address_id",
                ));
            };
            let folded = crate::domain::text::fold(&address);
            state
                .db(move |c| db::open311::area_named_in(c, &folded))
                .await?
                .ok_or_else(|| {
                    bad("address_string names no commune or province: send lat and long or address_id")
                })?
        }
    };
    let email = arg(&pairs, "email")
        .map(|e| Email::parse(e).map_err(|_| bad("email is not an email address")))
        .transpose()?
        .map(Email::into_inner);
    let phone = arg(&pairs, "phone")
        .map(|p| Phone::parse(p).map_err(|_| bad("phone is not a phone number")))
        .transpose()?
        .map(|p| p.as_str().to_string());
    let name = [
        line(&pairs, "first_name", 100)?,
        line(&pairs, "last_name", 100)?,
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let service_name = lang.pick(&category.name_vi, &category.name_en).to_string();
    let text = description.clone().unwrap_or_else(|| service_name.clone());
    let device_id = line(&pairs, "device_id", 200)?;
    let title: String = description
        .as_deref()
        .and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or(&category.name_vi)
        .trim()
        .chars()
        .take(state.settings.tickets.title_max_chars.min(120))
        .collect();

    let submission = Submission {
        kind,
        category: category.code.clone(),
        title,
        description: text,
        lat,
        lon,
        area_code,
        address: address_string,
        attributes: Value::Object(attributes),
        private: false,
        channel: Channel::App,
        sender: Sender::Open311 {
            client: client.name.clone(),
            account: account.map(|(id, _)| id),
            name: (!name.is_empty()).then_some(name),
            email,
            phone,
        },
        accused_unit_id: None,
        contested: None,
        filing_late: false,
        attachments: vec![],
        appeal_of: None,
        round: 1,
        actor: account,
    };
    // Either suffix: a retry may ask for the other format.
    let digest = idempotency::digest(
        "/open311/v2/requests",
        &[req.query_string().as_bytes(), b"\0", body].concat(),
    );
    let client_id = client.id;
    let scope = format!("open311:{}", client.id);
    let limit_key = format!("open311:client:{}", client.id);
    let limit = state.settings.open311.posts_per_hour;
    let account_id = account.map(|(id, _)| id.to_string());
    let st = state.clone();
    let (saved, replayed) = state
        .db(move |c| {
            let now = st.clock.now_naive();
            let work = |c: &mut DbConn| {
                crate::workflow::rate_limits::hit(
                    c,
                    &limit_key,
                    limit,
                    chrono::Duration::hours(1),
                    now,
                )?;
                let tctx = st.ticket_ctx_with(refs.clone());
                let t = tickets::submit(c, &submission, &tctx)?;
                db::open311::record_request(
                    c,
                    t.id,
                    client_id,
                    media_url.as_deref(),
                    device_id.as_deref(),
                )?;
                let v = view(c, &t, Access::Submitter, &tctx, lang, None)?;
                let notice = notice(&v, lang);
                Ok(Made {
                    body: json!([{
                        "service_request_id": t.code,
                        "service_notice": notice,
                        "account_id": account_id,
                    }]),
                    resource: Some(t.code),
                    once: Map::new(),
                })
            };
            idempotency::transact(
                c,
                &scope,
                idempotency_key.as_deref(),
                &digest,
                now,
                StatusCode::OK,
                work,
                |_, _| Ok(Map::new()),
            )
        })
        .await
        .map_err(Open311Error::from)?;
    Ok((saved.body, replayed))
}

/// The unit a request went to and its legal answer deadline (the `resolve` clock's due day,
/// else the first clock's), in `lang`.
fn notice(v: &tickets::TicketView, lang: Lang) -> String {
    let due = v
        .clocks
        .iter()
        .find(|c| c.name == "resolve" && c.due_local_date.is_some())
        .or_else(|| v.clocks.iter().find(|c| c.due_local_date.is_some()))
        .and_then(|c| c.due_local_date);
    match (lang, due) {
        (Lang::En, Some(d)) => format!(
            "Sent to {}. Legal answer deadline: {}.",
            v.unit.name,
            d.format("%Y-%m-%d")
        ),
        (Lang::En, None) => format!("Sent to {}.", v.unit.name),
        (_, Some(d)) => format!(
            "Đã chuyển đến {}. Hạn trả lời theo quy định: {}.",
            v.unit.name,
            d.format("%d/%m/%Y")
        ),
        (_, None) => format!("Đã chuyển đến {}.", v.unit.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_saved_reply_is_an_array_of_one_in_both_formats() {
        let saved = r#"[{"service_request_id":"PAKN.20261206.0001","service_notice":"Sent.","account_id":null}]"#;
        let n = posted_node(saved);
        assert_eq!(n.to_json(), serde_json::from_str::<Value>(saved).unwrap());
        assert!(n.render(crate::open311::format::Format::Xml, "service_requests").contains(
            "<service_requests><request><service_request_id>PAKN.20261206.0001</service_request_id><service_notice>Sent.</service_notice><account_id/></request></service_requests>"
        ));
    }
}
