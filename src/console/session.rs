//! Signing in and out of the console, the signed-in staff member of a request, the page
//! language, and the forms' anti-forgery tokens.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;

use super::words::Words;
use super::{Frame, Reply, html, path_of, see_other};
use crate::api::caller::ClientAddr;
use crate::api::error::ApiError;
use crate::auth::CurrentUser;
use crate::db::users;
use crate::domain::account::Role;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::state::AppState;

/// The session cookie: a refresh token of the API's kind.
const SESSION: &str = "nghedan_console";
/// The language the person chose.
const LANG: &str = "nghedan_lang";
/// The sign-in form's own anti-forgery value (there is no session yet to derive one from).
const LOGIN: &str = "nghedan_login";
/// What the forms' tokens are derived for.
const CSRF_PURPOSE: &str = "console-form";

/// The page language: `?lang=` (remembered in a cookie), the cookie, or Vietnamese.
pub fn lang_of(req: &HttpRequest) -> Lang {
    let asked = web::Query::<LangQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.lang.as_deref().and_then(Lang::parse));
    asked
        .or_else(|| req.cookie(LANG).and_then(|c| Lang::parse(c.value())))
        .unwrap_or(Lang::Vi)
}

#[derive(Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// Remembers a `?lang=` choice for a year.
pub async fn remember_lang(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody + 'static>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let asked = web::Query::<LangQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.lang.as_deref().and_then(Lang::parse));
    let mut res = next.call(req).await?;
    if let Some(lang) = asked {
        let cookie = Cookie::build(LANG, lang.as_str())
            .path("/console")
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        res.response_mut().add_cookie(&cookie).ok();
    }
    Ok(res)
}

fn secure(state: &AppState) -> bool {
    state.settings.server.public_url.starts_with("https://")
}

fn app_state(req: &HttpRequest) -> Option<web::Data<AppState>> {
    req.app_data::<web::Data<AppState>>().cloned()
}

/// A signed-in staff member (official, supervisor or administrator) and the request's
/// language.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: CurrentUser,
    pub name: String,
    pub unit_name: Option<String>,
    session: String,
    pub lang: Lang,
    path: String,
}

impl Staff {
    /// The anti-forgery token of this session's forms.
    pub fn csrf(&self, state: &AppState) -> String {
        crate::secrets::keyed(
            &state.settings.notifications.link_secret,
            CSRF_PURPOSE,
            &self.session,
        )
    }

    /// Refuses a form whose token is not this session's (403, nothing read or written).
    pub fn check(&self, state: &AppState, token: &str) -> Result<(), Reply> {
        if crate::secrets::keyed_matches(
            &state.settings.notifications.link_secret,
            CSRF_PURPOSE,
            &self.session,
            token,
        ) {
            Ok(())
        } else {
            Err(Reply::Forged(self.lang))
        }
    }

    pub fn t(&self) -> Words {
        Words(self.lang)
    }

    /// The frame of a page of this person's.
    pub fn frame(&self, state: &AppState, here: &'static str, title: String) -> Frame {
        Frame {
            t: self.t(),
            title,
            person: self.name.clone(),
            unit: self.unit_name.clone().unwrap_or_default(),
            role: self.user.role,
            csrf: self.csrf(state),
            here,
            path: self.path.clone(),
            notice: None,
        }
    }
}

impl FromRequest for Staff {
    type Error = Reply;
    type Future = LocalBoxFuture<'static, Result<Self, Reply>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let lang = lang_of(req);
        let path = path_of(req);
        let token = req.cookie(SESSION).map(|c| c.value().to_string());
        let state = app_state(req);
        Box::pin(async move {
            let sign_in = || Reply::SignIn { next: path.clone() };
            let (Some(token), Some(state)) = (token, state) else {
                return Err(sign_in());
            };
            let now = state.clock.now_naive();
            let session = token.clone();
            let found = state
                .db(move |c| -> Result<_, ApiError> {
                    Ok(users::session_account(c, &session, now)?
                        .filter(|(u, _)| u.active())
                        .map(|(u, unit)| (u, unit.map(|(vi, en)| lang.pick(&vi, &en).to_string()))))
                })
                .await
                .map_err(|e| Reply::Problem(lang, e))?;
            let Some((u, unit_name)) = found else {
                return Err(sign_in());
            };
            if u.role == Role::Citizen {
                return Err(Reply::StaffOnly(lang));
            }
            Ok(Staff {
                user: CurrentUser {
                    id: u.id,
                    role: u.role,
                    unit_id: u.unit_id,
                    verified: u.verified,
                    locale: lang,
                },
                name: u.full_name,
                unit_name,
                session: token,
                lang,
                path,
            })
        })
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    t: Words,
    next: String,
    email: String,
    token: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// Only the console's own pages are a place to go back to after signing in.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains("://") => {
            n.to_string()
        }
        _ => "/console/".to_string(),
    }
}

fn login_form(
    req: &HttpRequest,
    next: String,
    email: String,
    error: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let token = crate::secrets::random_token();
    let secure = app_state(req).is_some_and(|s| secure(&s));
    let mut res = html(
        status,
        &LoginPage {
            t: Words(lang_of(req)),
            next,
            email,
            token: token.clone(),
            error,
        },
    );
    let cookie = Cookie::build(LOGIN, token)
        .path("/console/login")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish();
    res.add_cookie(&cookie).ok();
    res
}

/// `GET /console/login`.
pub async fn login_page(req: HttpRequest, q: web::Query<LoginQuery>) -> HttpResponse {
    login_form(
        &req,
        safe_next(q.next.as_deref()),
        String::new(),
        None,
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    token: String,
}

/// `POST /console/login`: the API's sign-in (its limits included); citizens are told the
/// console is for staff.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, Reply> {
    let form = form.into_inner();
    let lang = lang_of(&req);
    let t = Words(lang);
    let next = safe_next(form.next.as_deref());
    let expected = req.cookie(LOGIN).map(|c| c.value().to_string());
    if expected.as_deref() != Some(form.token.as_str()) || form.token.is_empty() {
        return Err(Reply::Forged(lang));
    }
    let client = ClientAddr::of(&req).0;
    let signed =
        crate::workflow::sign_in::sign_in(&state, &form.email, form.password, &client).await;
    let signed = match signed {
        Ok(s) => s,
        Err(e) => {
            let text = match (&e, e.code()) {
                (AppError::Refused(r), "rate_limited") => t
                    .get("too_many_tries")
                    .replace("{wait}", &r.retry_after.unwrap_or(1).to_string()),
                (_, "account_disabled") => t.get("account_disabled").to_string(),
                (AppError::Refused(_), _) => t.get("wrong_password").to_string(),
                _ => return Err(Reply::Problem(lang, e.into())),
            };
            let status = ApiError::from(e).status();
            return Ok(login_form(&req, next, form.email, Some(text), status));
        }
    };
    if signed.user.role == Role::Citizen {
        let token = signed.refresh_token;
        let now = state.clock.now_naive();
        state
            .db(move |c| -> Result<_, ApiError> { Ok(users::end_session(c, &token, now)?) })
            .await
            .map_err(|e| Reply::Problem(lang, e))?;
        return Err(Reply::StaffOnly(lang));
    }
    let mut res = see_other(&next);
    set_session(&mut res, &state, signed.refresh_token);
    let mut gone = Cookie::build(LOGIN, "").path("/console/login").finish();
    gone.make_removal();
    res.add_cookie(&gone).ok();
    Ok(res)
}

/// Makes `token` (a refresh token of the API's kind) the browser's console session.
pub fn set_session(res: &mut HttpResponse, state: &AppState, token: String) {
    let cookie = Cookie::build(SESSION, token)
        .path("/console")
        .http_only(true)
        .secure(secure(state))
        .same_site(SameSite::Lax)
        .finish();
    res.add_cookie(&cookie).ok();
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// `POST /console/logout`: ends the session (its refresh-token family).
pub async fn logout(
    staff: Staff,
    state: web::Data<AppState>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, Reply> {
    staff.check(&state, &form.csrf)?;
    let now = state.clock.now_naive();
    let token = staff.session.clone();
    state
        .db(move |c| -> Result<_, ApiError> { Ok(users::end_session(c, &token, now)?) })
        .await
        .map_err(|e| Reply::Problem(staff.lang, e))?;
    let mut res = see_other("/console/login");
    let mut gone = Cookie::build(SESSION, "").path("/console").finish();
    gone.make_removal();
    res.add_cookie(&gone).ok();
    Ok(res)
}
