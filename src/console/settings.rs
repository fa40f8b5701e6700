//! `/console/settings`: "My settings" — how each staff event reaches me by email and by push
//! (at once, in the daily digest, or off) and the digest's hour, kept by the same
//! `workflow::preferences` as `GET/PUT /api/v1/me/notification-preferences`; and a password
//! change through the same `workflow::password::change` as `POST /api/v1/me/password`. Like
//! the API's caller, this browser goes on with a fresh session (a new cookie); every other
//! session of the account, the app's included, ends.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::words::Words;
use super::{Frame, Notice, Reply, Staff, db, html, problem_text, see_other};
use crate::api::error::ApiError;
use crate::domain::preferences::{Channels, Choice, Event, Preferences};
use crate::error::FieldError;
use crate::state::AppState;

/// One event's row of the form.
pub struct EventRow {
    pub key: &'static str,
    pub label: &'static str,
    pub email: &'static str,
    pub push: &'static str,
}

/// An option of a select.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/settings.html")]
struct SettingsPage {
    f: Frame,
    events: Vec<EventRow>,
    choices: Vec<Opt>,
    hours: Vec<Opt>,
}

fn label(t: Words, e: Event) -> &'static str {
    match e {
        Event::NewTicket => t.get("set_ev_new_ticket"),
        Event::Assigned => t.get("set_ev_assigned"),
        Event::DueSoon => t.get("set_ev_due_soon"),
        Event::Overdue => t.get("set_ev_overdue"),
        Event::CitizenReply => t.get("set_ev_citizen_reply"),
    }
}

fn choice_label(t: Words, c: Choice) -> &'static str {
    match c {
        Choice::Immediate => t.get("set_immediate"),
        Choice::Digest => t.get("set_digest"),
        Choice::Off => t.get("set_off"),
    }
}

fn render(
    staff: &Staff,
    state: &AppState,
    p: &Preferences,
    notice: Option<Notice>,
) -> SettingsPage {
    let t = staff.t();
    let mut f = staff.frame(state, "settings", t.get("settings").to_string());
    f.notice = notice;
    SettingsPage {
        f,
        events: Event::ALL
            .into_iter()
            .map(|e| EventRow {
                key: e.as_str(),
                label: label(t, e),
                email: p.of(e).email.as_str(),
                push: p.of(e).push.as_str(),
            })
            .collect(),
        choices: Choice::ALL
            .into_iter()
            .map(|c| Opt {
                value: c.as_str().to_string(),
                label: choice_label(t, c).to_string(),
                selected: false,
            })
            .collect(),
        hours: (0..24u8)
            .map(|h| Opt {
                value: h.to_string(),
                label: format!("{h:02}:00"),
                selected: h == p.digest_hour(),
            })
            .collect(),
    }
}

async fn current(staff: &Staff, state: &AppState) -> Result<Preferences, Reply> {
    let (id, role) = (staff.user.id, staff.user.role);
    db(state, staff.lang, move |c| {
        Ok(crate::workflow::preferences::get(c, id, role)?)
    })
    .await
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/settings`.
pub async fn page(
    staff: Staff,
    state: web::Data<AppState>,
    q: web::Query<Done>,
) -> Result<HttpResponse, Reply> {
    let t = staff.t();
    let notice = match q.done.as_deref() {
        Some("preferences") => Some(t.get("set_saved")),
        Some("password") => Some(t.get("set_password_changed")),
        _ => None,
    }
    .map(|text| Notice {
        error: false,
        text: text.to_string(),
    });
    let p = current(&staff, &state).await?;
    Ok(html(StatusCode::OK, &render(&staff, &state, &p, notice)))
}

/// The form of the preferences: `<event>_email`, `<event>_push` and `digest_hour`; a field
/// left out keeps its value (as in the API's `PUT`).
#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

/// Reads the form into changes of `p`; each bad value is a field error named like the API's.
fn read(form: &PreferencesForm, p: &mut Preferences) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    for e in Event::ALL {
        let mut c: Channels = p.of(e);
        for (channel, slot) in [("email", &mut c.email), ("push", &mut c.push)] {
            if let Some(v) = form.fields.get(&format!("{}_{channel}", e.as_str())) {
                match Choice::parse(v) {
                    Some(choice) => *slot = choice,
                    None => errors.push(
                        FieldError::new(
                            format!("/events/{}/{channel}", e.as_str()),
                            "invalid_value",
                        )
                        .arg("reason", v),
                    ),
                }
            }
        }
        p.set(e, c);
    }
    if let Some(h) = form.fields.get("digest_hour")
        && h.parse::<u8>()
            .ok()
            .and_then(|h| p.set_digest_hour(h).ok())
            .is_none()
    {
        errors.push(
            FieldError::new("/digest_hour", "out_of_range")
                .arg("min", 0)
                .arg("max", 23),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// `POST /console/settings`: saves the preferences (403 without the form's token).
pub async fn save(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<PreferencesForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    staff.check(&state, &form.csrf)?;
    let (id, role, lang) = (staff.user.id, staff.user.role, staff.lang);
    let now = state.clock.now_naive();
    let saved = state
        .db(move |conn| {
            crate::db::write(conn, |c| -> Result<(), ApiError> {
                // The change is read against the stored preferences, in the transaction.
                let mut checked = Ok(());
                crate::workflow::preferences::update(
                    c,
                    id,
                    role,
                    |p| checked = read(&form, p),
                    now,
                )?;
                checked
            })
        })
        .await;
    match saved {
        Ok(()) => Ok(see_other("/console/settings?done=preferences")),
        Err(e) if e.status().is_client_error() => {
            let p = current(&staff, &state).await?;
            let notice = Notice {
                error: true,
                text: problem_text(lang, &e),
            };
            Ok(html(e.status(), &render(&staff, &state, &p, Some(notice))))
        }
        Err(e) => Err(Reply::Problem(lang, e)),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// `POST /console/settings/password`: the API's password change; this browser gets the new
/// session, every other session ends.
pub async fn password(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    staff.check(&state, &form.csrf)?;
    let lang = staff.lang;
    match crate::workflow::password::change(
        &state,
        staff.user.id,
        form.current_password,
        form.new_password,
    )
    .await
    {
        Ok(signed) => {
            let mut res = see_other("/console/settings?done=password");
            super::session::set_session(&mut res, &state, signed.refresh_token);
            Ok(res)
        }
        Err(e) if e.is_refusal() => {
            let e = ApiError::from(e);
            let p = current(&staff, &state).await?;
            let notice = Notice {
                error: true,
                text: problem_text(lang, &e),
            };
            Ok(html(e.status(), &render(&staff, &state, &p, Some(notice))))
        }
        Err(e) => Err(Reply::Problem(lang, e.into())),
    }
}
