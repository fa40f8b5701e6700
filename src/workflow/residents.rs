//! Residents and the areas they follow: a citizen names up to five areas (commune or
//! province) and may opt in to announcements by email; an app install without an account
//! follows areas through a device token it is given once (kept only hashed), with which it
//! changes its areas or revokes itself. Registration is rate limited per client address.

use chrono::{Duration, NaiveDateTime};

use crate::db::users::NewDevice;
use crate::db::{DbConn, residents};
use crate::domain::announcement::MAX_FOLLOWED_AREAS;
use crate::error::{AppError, FieldError};
use crate::i18n::Lang;
use crate::secrets::{hash_token, random_token};
use crate::validation::Violations;

/// Anonymous registrations one client address may make in an hour.
pub const REGISTRATIONS_PER_HOUR: i32 = 10;

/// Checks a list of followed areas: ≤ 5, each an existing commune or province; duplicates
/// count once. Returns them trimmed, in the order given.
fn check_areas(conn: &mut DbConn, codes: &[String]) -> Result<Vec<String>, AppError> {
    let mut v = Violations::new();
    let mut out: Vec<String> = Vec::new();
    for c in codes {
        let c = c.trim().to_string();
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.len() > MAX_FOLLOWED_AREAS {
        v.add_error(FieldError::new("/area_codes", "too_many").arg("max", MAX_FOLLOWED_AREAS));
    }
    let known = residents::places(conn, &out)?;
    for (i, c) in codes.iter().enumerate() {
        if !known.iter().any(|p| p.code == c.trim()) {
            v.add(&format!("/area_codes/{i}"), "unknown_area");
        }
    }
    v.finish()?;
    Ok(out)
}

/// The areas a citizen follows and their email choice.
pub fn areas_of(conn: &mut DbConn, user_id: i64) -> Result<(Vec<String>, bool), AppError> {
    Ok(residents::of_user(conn, user_id)?)
}

/// Replaces the areas a citizen follows (and, when given, their email choice).
pub fn set_areas(
    conn: &mut DbConn,
    user_id: i64,
    codes: &[String],
    email: Option<bool>,
    now: NaiveDateTime,
) -> Result<(Vec<String>, bool), AppError> {
    let codes = check_areas(conn, codes)?;
    crate::db::write(conn, |c| {
        let email = match email {
            Some(e) => e,
            None => residents::of_user(c, user_id)?.1,
        };
        residents::set_for_user(c, user_id, &codes, email, now)?;
        Ok(residents::of_user(c, user_id)?)
    })
}

/// A registered anonymous install: its id, areas, and the token shown this once.
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: i64,
    pub area_codes: Vec<String>,
    pub locale: Lang,
    pub device_token: String,
}

/// Registers an anonymous install following `codes` (429 past
/// [`REGISTRATIONS_PER_HOUR`] from one client address). The same push address registered
/// again is taken over: new areas, new token, and the old token stops working.
pub fn register_anonymous(
    conn: &mut DbConn,
    client: &str,
    device: &NewDevice,
    codes: &[String],
    locale: Lang,
    now: NaiveDateTime,
) -> Result<Registered, AppError> {
    let codes = check_areas(conn, codes)?;
    if codes.is_empty() {
        return Err(AppError::field("/area_codes", "required"));
    }
    let token = random_token();
    crate::db::write(conn, |c| {
        super::rate_limits::hit(
            c,
            &format!("anonymous_device:{client}"),
            REGISTRATIONS_PER_HOUR,
            Duration::hours(1),
            now,
        )?;
        let id = residents::register_anonymous(
            c,
            device,
            locale.as_str(),
            &hash_token(&token),
            &codes,
            now,
        )?;
        Ok(Registered {
            id,
            area_codes: residents::device_areas(c, id)?,
            locale,
            device_token: token,
        })
    })
}

/// The install holding `token` (404 `device_not_found` otherwise).
fn by_token(conn: &mut DbConn, token: &str) -> Result<residents::AnonymousDevice, AppError> {
    residents::anonymous_by_token(conn, &hash_token(token))?
        .ok_or_else(|| AppError::not_found("device_not_found"))
}

/// The areas the install holding `token` follows.
pub fn anonymous_areas(conn: &mut DbConn, token: &str) -> Result<(i64, Vec<String>), AppError> {
    let d = by_token(conn, token)?;
    Ok((d.id, residents::device_areas(conn, d.id)?))
}

/// New areas for the install holding `token`.
pub fn set_anonymous_areas(
    conn: &mut DbConn,
    token: &str,
    codes: &[String],
) -> Result<(i64, Vec<String>), AppError> {
    let codes = check_areas(conn, codes)?;
    if codes.is_empty() {
        return Err(AppError::field("/area_codes", "required"));
    }
    crate::db::write(conn, |c| {
        let d = by_token(c, token)?;
        residents::set_device_areas(c, d.id, &codes)?;
        Ok((d.id, residents::device_areas(c, d.id)?))
    })
}

/// Revokes the install holding `token`: it is deleted with its areas, and its queued pushes
/// go nowhere (delivery finds no device).
pub fn revoke_anonymous(conn: &mut DbConn, token: &str) -> Result<(), AppError> {
    crate::db::write(conn, |c| {
        let d = by_token(c, token)?;
        residents::delete_anonymous(c, d.id)?;
        Ok(())
    })
}
