//! Residents and the areas they follow: a citizen's list (≤ 5) and email choice, and app
//! installs without an account that follow areas through a device token kept only hashed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{anonymous_device_areas, anonymous_devices, areas, resident_areas, residents};
use crate::db::Error;
use crate::domain::announcement::Place;

/// The areas named by `codes` that exist, with their province (a commune's parent).
pub fn places(conn: &mut DbConn, codes: &[String]) -> Result<Vec<Place>, Error> {
    let rows: Vec<(String, String, Option<String>)> = areas::table
        .filter(areas::code.eq_any(codes))
        .select((areas::code, areas::level, areas::parent_code))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(code, level, parent)| Place {
            code,
            province: if level == "province" { None } else { parent },
        })
        .collect())
}

/// The areas `user_id` follows, in code order, and whether they take announcements by email.
pub fn of_user(conn: &mut DbConn, user_id: i64) -> Result<(Vec<String>, bool), Error> {
    let codes = resident_areas::table
        .filter(resident_areas::user_id.eq(user_id))
        .order(resident_areas::area_code.asc())
        .select(resident_areas::area_code)
        .load::<String>(conn)?;
    let email = residents::table
        .find(user_id)
        .select(residents::announcements_by_email)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false);
    Ok((codes, email))
}

/// Replaces the areas `user_id` follows and their email choice. Call in a write transaction.
pub fn set_for_user(
    conn: &mut DbConn,
    user_id: i64,
    codes: &[String],
    email: bool,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::delete(resident_areas::table.filter(resident_areas::user_id.eq(user_id)))
        .execute(conn)?;
    for code in codes {
        diesel::insert_into(resident_areas::table)
            .values((
                resident_areas::user_id.eq(user_id),
                resident_areas::area_code.eq(code),
                resident_areas::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    let updated = diesel::update(residents::table.find(user_id))
        .set((
            residents::announcements_by_email.eq(email),
            residents::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(residents::table)
            .values((
                residents::user_id.eq(user_id),
                residents::announcements_by_email.eq(email),
                residents::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets what `user_id` follows and read (account erasure).
pub fn erase(conn: &mut DbConn, user_id: i64) -> Result<(), Error> {
    diesel::delete(resident_areas::table.filter(resident_areas::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(residents::table.filter(residents::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(
        super::schema::announcement_reads::table
            .filter(super::schema::announcement_reads::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = anonymous_devices)]
pub struct AnonymousDevice {
    pub id: i64,
    pub platform: String,
    pub address: String,
    pub environment: Option<String>,
    pub p256dh: Option<String>,
    pub auth_secret: Option<String>,
    pub locale: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

/// Registers an anonymous install (or, for a push address already registered, takes it
/// over with a new token hash, locale and areas: the old token stops working). Returns its id.
/// Call in a write transaction.
#[allow(clippy::too_many_arguments)]
pub fn register_anonymous(
    conn: &mut DbConn,
    device: &super::users::NewDevice,
    locale: &str,
    token_hash: &str,
    codes: &[String],
    now: NaiveDateTime,
) -> Result<i64, Error> {
    let existing = anonymous_devices::table
        .filter(anonymous_devices::platform.eq(device.platform))
        .filter(anonymous_devices::address.eq(&device.address))
        .select(anonymous_devices::id)
        .first::<i64>(conn)
        .optional()?;
    let id = match existing {
        Some(id) => {
            diesel::update(anonymous_devices::table.find(id))
                .set((
                    anonymous_devices::environment.eq(device.environment),
                    anonymous_devices::p256dh.eq(&device.p256dh),
                    anonymous_devices::auth_secret.eq(&device.auth_secret),
                    anonymous_devices::locale.eq(locale),
                    anonymous_devices::token_hash.eq(token_hash),
                    anonymous_devices::active.eq(true),
                    anonymous_devices::updated_at.eq(now),
                ))
                .execute(conn)?;
            id
        }
        None => diesel::insert_into(anonymous_devices::table)
            .values((
                anonymous_devices::platform.eq(device.platform),
                anonymous_devices::address.eq(&device.address),
                anonymous_devices::environment.eq(device.environment),
                anonymous_devices::p256dh.eq(&device.p256dh),
                anonymous_devices::auth_secret.eq(&device.auth_secret),
                anonymous_devices::locale.eq(locale),
                anonymous_devices::token_hash.eq(token_hash),
                anonymous_devices::created_at.eq(now),
                anonymous_devices::updated_at.eq(now),
            ))
            .returning(anonymous_devices::id)
            .get_result::<i64>(conn)?,
    };
    set_device_areas(conn, id, codes)?;
    Ok(id)
}

/// The install holding `token_hash`, if any.
pub fn anonymous_by_token(
    conn: &mut DbConn,
    token_hash: &str,
) -> Result<Option<AnonymousDevice>, Error> {
    Ok(anonymous_devices::table
        .filter(anonymous_devices::token_hash.eq(token_hash))
        .select(AnonymousDevice::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_anonymous(conn: &mut DbConn, id: i64) -> Result<Option<AnonymousDevice>, Error> {
    Ok(anonymous_devices::table
        .find(id)
        .select(AnonymousDevice::as_select())
        .first(conn)
        .optional()?)
}

pub fn device_areas(conn: &mut DbConn, id: i64) -> Result<Vec<String>, Error> {
    Ok(anonymous_device_areas::table
        .filter(anonymous_device_areas::device_id.eq(id))
        .order(anonymous_device_areas::area_code.asc())
        .select(anonymous_device_areas::area_code)
        .load(conn)?)
}

pub fn set_device_areas(conn: &mut DbConn, id: i64, codes: &[String]) -> Result<(), Error> {
    diesel::delete(anonymous_device_areas::table.filter(anonymous_device_areas::device_id.eq(id)))
        .execute(conn)?;
    for code in codes {
        diesel::insert_into(anonymous_device_areas::table)
            .values((
                anonymous_device_areas::device_id.eq(id),
                anonymous_device_areas::area_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes an anonymous install and its areas (revocation, or its push service said it is
/// gone).
pub fn delete_anonymous(conn: &mut DbConn, id: i64) -> Result<bool, Error> {
    diesel::delete(anonymous_device_areas::table.filter(anonymous_device_areas::device_id.eq(id)))
        .execute(conn)?;
    Ok(diesel::delete(anonymous_devices::table.find(id)).execute(conn)? == 1)
}
