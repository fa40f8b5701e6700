//! Accounts: users, sessions (refresh tokens), email tokens and devices.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{devices, email_tokens, outbox, refresh_tokens, users};
use super::{DbConn, Error};
use crate::domain::account::Role;
use crate::i18n::Lang;
use crate::secrets::{hash_token, random_code, random_token};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub full_name: String,
    #[serde(skip)]
    pub password_hash: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub unit_id: Option<i64>,
    pub locale: String,
    pub verified: bool,
    pub disabled: bool,
    pub notify_email: bool,
    pub notify_push: bool,
    pub erased_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Access tokens carry it; ending every session adds one (older tokens are refused).
    #[serde(skip)]
    pub token_generation: i64,
}

impl User {
    pub fn role(&self) -> Role {
        self.role
    }
    pub fn lang(&self) -> Lang {
        Lang::parse(&self.locale).unwrap_or_default()
    }
    pub fn active(&self) -> bool {
        !self.disabled && self.erased_at.is_none()
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub phone: Option<&'a str>,
    pub full_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub locale: Lang,
    pub verified: bool,
}

/// Inserts a user (whose unit, if any, the caller has checked). An email already taken is a
/// unique violation, in a savepoint: on PostgreSQL it would otherwise abort the transaction.
pub fn create(conn: &mut DbConn, new: &NewUser, now: NaiveDateTime) -> Result<User, Error> {
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(users::table)
            .values((
                users::email.eq(new.email),
                users::phone.eq(new.phone),
                users::full_name.eq(new.full_name),
                users::password_hash.eq(new.password_hash),
                users::role.eq(new.role.as_str()),
                users::unit_id.eq(new.unit_id),
                users::locale.eq(new.locale.as_str()),
                users::verified.eq(new.verified),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            ))
            .returning(users::id)
            .get_result::<i64>(conn)
    });
    find(conn, inserted?)?.ok_or_else(|| Error::corrupt("inserted user vanished"))
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<User>, Error> {
    Ok(users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_email(conn: &mut DbConn, email: &str) -> Result<Option<User>, Error> {
    Ok(users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()?)
}

/// Fields a user (or an admin) may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct Changes {
    pub full_name: Option<String>,
    pub phone: Option<Option<String>>,
    pub locale: Option<String>,
    pub notify_email: Option<bool>,
    pub notify_push: Option<bool>,
    pub role: Option<String>,
    pub unit_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub verified: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Writes the changes (a unit the caller has checked); `None` when there is no such user.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    mut changes: Changes,
    now: NaiveDateTime,
) -> Result<Option<User>, Error> {
    changes.updated_at = Some(now);
    diesel::update(users::table.find(id))
        .set(&changes)
        .execute(conn)?;
    find(conn, id)
}

// --- sessions ---------------------------------------------------------------------------

/// Starts a new session (a new refresh-token family); returns the opaque token.
pub fn start_session(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
    ttl: Duration,
) -> Result<String, Error> {
    let family = uuid::Uuid::new_v4().simple().to_string();
    insert_refresh(conn, user_id, &family, now, ttl)
}

/// A new session for `user_id`, only if the account is still active and its sessions have not
/// all been ended (`token_generation` still `generation`) since it was read: the check and the
/// insert in one statement. `None` when the account changed.
pub fn start_session_if_current(
    conn: &mut DbConn,
    user_id: i64,
    generation: i64,
    now: NaiveDateTime,
    ttl: Duration,
) -> Result<Option<String>, Error> {
    use diesel::sql_types::{Text, Timestamp};
    let family = uuid::Uuid::new_v4().simple().to_string();
    let token = random_token();
    let current = users::table
        .filter(users::id.eq(user_id))
        .filter(users::token_generation.eq(generation))
        .filter(users::disabled.eq(false))
        .filter(users::erased_at.is_null())
        .select((
            users::id,
            family.into_sql::<Text>(),
            hash_token(&token).into_sql::<Text>(),
            now.into_sql::<Timestamp>(),
            (now + ttl).into_sql::<Timestamp>(),
        ));
    let inserted = diesel::insert_into(refresh_tokens::table)
        .values(current)
        .into_columns((
            refresh_tokens::user_id,
            refresh_tokens::family,
            refresh_tokens::token_hash,
            refresh_tokens::created_at,
            refresh_tokens::expires_at,
        ))
        .execute(conn)?;
    Ok((inserted == 1).then_some(token))
}

fn insert_refresh(
    conn: &mut DbConn,
    user_id: i64,
    family: &str,
    now: NaiveDateTime,
    ttl: Duration,
) -> Result<String, Error> {
    let token = random_token();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::family.eq(family),
            refresh_tokens::token_hash.eq(hash_token(&token)),
            refresh_tokens::created_at.eq(now),
            refresh_tokens::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    Ok(token)
}

#[derive(Queryable)]
struct RefreshRow {
    id: i64,
    user_id: i64,
    family: String,
    expires_at: NaiveDateTime,
    rotated_at: Option<NaiveDateTime>,
    revoked_at: Option<NaiveDateTime>,
}

/// What a refresh attempt came to. A reused (already rotated) token revokes its whole family
/// — someone else may hold the newer one — and that revocation must be committed even though
/// the caller answers 401, so it is a value, not an error.
pub enum Rotation {
    Rotated {
        user: Box<User>,
        token: String,
    },
    Refused(&'static str),
    /// An already rotated token came back: every session of the user ended (refresh tokens of
    /// the family, access tokens of every sign-in), so this process must forget its status.
    Reused {
        user_id: i64,
    },
}

pub fn rotate_session(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
    ttl: Duration,
) -> Result<Rotation, Error> {
    let row = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select((
            refresh_tokens::id,
            refresh_tokens::user_id,
            refresh_tokens::family,
            refresh_tokens::expires_at,
            refresh_tokens::rotated_at,
            refresh_tokens::revoked_at,
        ))
        .first::<RefreshRow>(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(Rotation::Refused("invalid_token"));
    };
    if row.revoked_at.is_some() {
        return Ok(Rotation::Refused("invalid_token"));
    }
    if row.rotated_at.is_some() {
        return reused(conn, &row, now);
    }
    if row.expires_at <= now {
        return Ok(Rotation::Refused("token_expired"));
    }
    // Only one of two concurrent refreshes with the same token may rotate it.
    let claimed = diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::id
                .eq(row.id)
                .and(refresh_tokens::rotated_at.is_null()),
        ),
    )
    .set(refresh_tokens::rotated_at.eq(Some(now)))
    .execute(conn)?;
    if claimed == 0 {
        return reused(conn, &row, now);
    }
    let user = match find(conn, row.user_id)? {
        Some(u) if u.active() => u,
        _ => {
            revoke_family(conn, &row.family, now)?;
            return Ok(Rotation::Refused("account_disabled"));
        }
    };
    let token = insert_refresh(conn, user.id, &row.family, now, ttl)?;
    Ok(Rotation::Rotated {
        user: Box::new(user),
        token,
    })
}

/// Theft detection: the family's refresh tokens die, and so do the user's access tokens (the
/// thief may hold one from this family, and a token does not say which sign-in it came from).
fn reused(conn: &mut DbConn, row: &RefreshRow, now: NaiveDateTime) -> Result<Rotation, Error> {
    revoke_family(conn, &row.family, now)?;
    end_access_tokens(conn, row.user_id)?;
    Ok(Rotation::Reused {
        user_id: row.user_id,
    })
}

fn revoke_family(conn: &mut DbConn, family: &str, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::family
                .eq(family)
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// A unit's names: (vi, en).
pub type UnitNames = (String, String);

/// The account of a live session — its refresh token known, neither rotated nor revoked
/// (sign-out, a password change or reset end it) and not expired — with its unit's names
/// (vi, en), in one query. The console keeps its session this way, in an HttpOnly cookie.
pub fn session_account(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<(User, Option<UnitNames>)>, Error> {
    use super::schema::units;
    Ok(refresh_tokens::table
        .inner_join(users::table.left_join(units::table))
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .filter(refresh_tokens::rotated_at.is_null())
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::expires_at.gt(now))
        .select((
            User::as_select(),
            (units::name_vi, units::name_en).nullable(),
        ))
        .first(conn)
        .optional()?)
}

/// Logout: revokes the token's family. Unknown tokens are ignored (logout is idempotent).
pub fn end_session(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> Result<(), Error> {
    let family = refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash_token(token)))
        .select(refresh_tokens::family)
        .first::<String>(conn)
        .optional()?;
    if let Some(family) = family {
        revoke_family(conn, &family, now)?;
    }
    Ok(())
}

/// Ends every session of a user: refresh tokens are revoked, and access tokens already issued
/// stop working (their generation is now old). The caller forgets the cached status.
pub fn end_all_sessions(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> Result<(), Error> {
    end_access_tokens(conn, user_id)?;
    diesel::update(
        refresh_tokens::table.filter(
            refresh_tokens::user_id
                .eq(user_id)
                .and(refresh_tokens::revoked_at.is_null()),
        ),
    )
    .set(refresh_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Moves the user to a new token generation: every access token issued so far is refused.
fn end_access_tokens(conn: &mut DbConn, user_id: i64) -> Result<(), Error> {
    diesel::update(users::table.find(user_id))
        .set(users::token_generation.eq(users::token_generation + 1))
        .execute(conn)?;
    Ok(())
}

/// Deletes up to `limit` refresh tokens that expired before `expired_before`; returns how many.
pub fn purge_expired_refresh_tokens(
    conn: &mut DbConn,
    expired_before: NaiveDateTime,
    limit: i64,
) -> Result<usize, Error> {
    super::write(conn, |conn| {
        let ids: Vec<i64> = refresh_tokens::table
            .filter(refresh_tokens::expires_at.lt(expired_before))
            .select(refresh_tokens::id)
            .limit(limit)
            .load(conn)?;
        Ok(
            diesel::delete(refresh_tokens::table.filter(refresh_tokens::id.eq_any(&ids)))
                .execute(conn)?,
        )
    })
}

// --- email tokens -----------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

fn code_hash(token_hash: &str, code: &str) -> String {
    hash_token(&format!("{token_hash}:{code}"))
}

/// Issues a single-use token (and a 6-digit code for verification), voiding earlier ones of
/// the same purpose. Returns (token, code).
pub fn issue_email_token(
    conn: &mut DbConn,
    user_id: i64,
    purpose: Purpose,
    now: NaiveDateTime,
    ttl: Duration,
) -> Result<(String, Option<String>), Error> {
    void_email_tokens(conn, user_id, purpose, now)?;
    let token = random_token();
    let token_hash = hash_token(&token);
    let code = (purpose == Purpose::VerifyEmail).then(random_code);
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose.as_str()),
            email_tokens::code_hash.eq(code.as_deref().map(|c| code_hash(&token_hash, c))),
            email_tokens::token_hash.eq(&token_hash),
            email_tokens::created_at.eq(now),
            email_tokens::expires_at.eq(now + ttl),
        ))
        .execute(conn)?;
    Ok((token, code))
}

fn void_email_tokens(
    conn: &mut DbConn,
    user_id: i64,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(
        email_tokens::table.filter(
            email_tokens::user_id
                .eq(user_id)
                .and(email_tokens::purpose.eq(purpose.as_str()))
                .and(email_tokens::used_at.is_null()),
        ),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// Deletes up to `limit` email tokens of `purpose` that expired before `expired_before`
/// (used or not); returns how many.
pub fn purge_expired_email_tokens(
    conn: &mut DbConn,
    purpose: Purpose,
    expired_before: NaiveDateTime,
    limit: i64,
) -> Result<usize, Error> {
    super::write(conn, |conn| {
        let ids: Vec<i64> = email_tokens::table
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::expires_at.lt(expired_before))
            .select(email_tokens::id)
            .limit(limit)
            .load(conn)?;
        Ok(
            diesel::delete(email_tokens::table.filter(email_tokens::id.eq_any(&ids)))
                .execute(conn)?,
        )
    })
}

/// Uses a token sent by email; returns its user. Unknown, used or expired → `None`.
pub fn use_email_token(
    conn: &mut DbConn,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> Result<Option<i64>, Error> {
    let found = email_tokens::table
        .filter(
            email_tokens::token_hash
                .eq(hash_token(token))
                .and(email_tokens::purpose.eq(purpose.as_str()))
                .and(email_tokens::used_at.is_null())
                .and(email_tokens::expires_at.gt(now)),
        )
        .select((email_tokens::id, email_tokens::user_id))
        .first::<(i64, i64)>(conn)
        .optional()?;
    let Some((id, user_id)) = found else {
        return Ok(None);
    };
    let used = diesel::update(
        email_tokens::table.filter(email_tokens::id.eq(id).and(email_tokens::used_at.is_null())),
    )
    .set(email_tokens::used_at.eq(Some(now)))
    .execute(conn)?;
    Ok((used == 1).then_some(user_id))
}

/// What a typed verification code came to. Wrong attempts are counted (and committed).
pub enum CodeCheck {
    Verified(i64),
    Wrong,
}

pub fn use_verification_code(
    conn: &mut DbConn,
    email: &str,
    code: &str,
    now: NaiveDateTime,
    max_attempts: i32,
) -> Result<CodeCheck, Error> {
    let Some(user) = find_by_email(conn, email)? else {
        return Ok(CodeCheck::Wrong);
    };
    let found = email_tokens::table
        .filter(
            email_tokens::user_id
                .eq(user.id)
                .and(email_tokens::purpose.eq(Purpose::VerifyEmail.as_str()))
                .and(email_tokens::used_at.is_null())
                .and(email_tokens::expires_at.gt(now)),
        )
        .order(email_tokens::id.desc())
        .select((
            email_tokens::id,
            email_tokens::token_hash,
            email_tokens::code_hash,
            email_tokens::attempts,
        ))
        .first::<(i64, String, Option<String>, i32)>(conn)
        .optional()?;
    let Some((id, token_hash, Some(stored), attempts)) = found else {
        return Ok(CodeCheck::Wrong);
    };
    if code_hash(&token_hash, code) == stored {
        diesel::update(email_tokens::table.find(id))
            .set(email_tokens::used_at.eq(Some(now)))
            .execute(conn)?;
        return Ok(CodeCheck::Verified(user.id));
    }
    let attempts = attempts + 1;
    let void = attempts >= max_attempts;
    diesel::update(email_tokens::table.find(id))
        .set((
            email_tokens::attempts.eq(attempts),
            email_tokens::used_at.eq(void.then_some(now)),
        ))
        .execute(conn)?;
    Ok(CodeCheck::Wrong)
}

// --- devices ----------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = devices)]
pub struct Device {
    pub id: i64,
    pub user_id: i64,
    pub platform: String,
    pub address: String,
    pub environment: Option<String>,
    pub p256dh: Option<String>,
    pub auth_secret: Option<String>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub struct NewDevice {
    pub platform: &'static str,
    pub address: String,
    pub environment: Option<&'static str>,
    pub p256dh: Option<String>,
    pub auth_secret: Option<String>,
}

/// Registers a push target for `user_id`. The same token registered again (by anyone) moves
/// to this user and becomes active: one row per (platform, address).
pub fn register_device(
    conn: &mut DbConn,
    user_id: i64,
    new: &NewDevice,
    now: NaiveDateTime,
) -> Result<(Device, bool), Error> {
    let existing = devices::table
        .filter(
            devices::platform
                .eq(new.platform)
                .and(devices::address.eq(&new.address)),
        )
        .select(devices::id)
        .first::<i64>(conn)
        .optional()?;
    let (id, created) = match existing {
        Some(id) => {
            diesel::update(devices::table.find(id))
                .set((
                    devices::user_id.eq(user_id),
                    devices::environment.eq(new.environment),
                    devices::p256dh.eq(&new.p256dh),
                    devices::auth_secret.eq(&new.auth_secret),
                    devices::active.eq(true),
                    devices::updated_at.eq(now),
                ))
                .execute(conn)?;
            (id, false)
        }
        None => {
            let inserted = conn.transaction(|conn| {
                diesel::insert_into(devices::table)
                    .values((
                        devices::user_id.eq(user_id),
                        devices::platform.eq(new.platform),
                        devices::address.eq(&new.address),
                        devices::environment.eq(new.environment),
                        devices::p256dh.eq(&new.p256dh),
                        devices::auth_secret.eq(&new.auth_secret),
                        devices::created_at.eq(now),
                        devices::updated_at.eq(now),
                    ))
                    .returning(devices::id)
                    .get_result::<i64>(conn)
            });
            match inserted {
                Ok(id) => (id, true),
                // Registered by a concurrent request a moment ago: take it over.
                Err(e) if super::is_unique_violation(&e) => {
                    return register_device(conn, user_id, new, now);
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let device = devices::table
        .find(id)
        .select(Device::as_select())
        .first(conn)?;
    Ok((device, created))
}

pub fn list_devices(conn: &mut DbConn, user_id: i64) -> Result<Vec<Device>, Error> {
    Ok(devices::table
        .filter(devices::user_id.eq(user_id))
        .order(devices::id.asc())
        .select(Device::as_select())
        .load(conn)?)
}

/// Deletes one of the user's own devices; `false` when the user has no such device (another
/// user's is not theirs to delete).
pub fn delete_device(conn: &mut DbConn, user_id: i64, id: i64) -> Result<bool, Error> {
    // Queued pushes to it go too: nobody is there to receive them.
    diesel::delete(outbox::table.filter(outbox::device_id.eq(id).and(outbox::user_id.eq(user_id))))
        .execute(conn)?;
    let n =
        diesel::delete(devices::table.filter(devices::id.eq(id).and(devices::user_id.eq(user_id))))
            .execute(conn)?;
    Ok(n > 0)
}

// --- personal data ----------------------------------------------------------------------

/// Erases a user's personal data held with the account. The row stays (tickets refer to it,
/// and the law keeps them), pseudonymised: no email, phone, name or usable password;
/// sessions, tokens, devices and undelivered messages go. (What the user was told in the app
/// is `notify`'s: `workflow::accounts::erase` forgets it in the same transaction.)
pub fn erase(conn: &mut DbConn, user_id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::delete(outbox::table.filter(outbox::user_id.eq(user_id))).execute(conn)?;
    super::idempotency::erase_user(conn, user_id)?;
    diesel::delete(devices::table.filter(devices::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(email_tokens::table.filter(email_tokens::user_id.eq(user_id))).execute(conn)?;
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(None::<String>),
            users::phone.eq(None::<String>),
            users::full_name.eq(""),
            users::password_hash.eq("!erased"),
            users::disabled.eq(true),
            users::notify_email.eq(false),
            users::notify_push.eq(false),
            users::erased_at.eq(Some(now)),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct SessionExport {
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Sessions of a user, newest first, without any token material.
pub fn sessions(conn: &mut DbConn, user_id: i64) -> Result<Vec<SessionExport>, Error> {
    Ok(refresh_tokens::table
        .filter(refresh_tokens::user_id.eq(user_id))
        .order(refresh_tokens::id.desc())
        .select((
            refresh_tokens::created_at,
            refresh_tokens::expires_at,
            refresh_tokens::revoked_at,
        ))
        .load::<(NaiveDateTime, NaiveDateTime, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .map(|(created_at, expires_at, revoked_at)| SessionExport {
            created_at,
            expires_at,
            revoked_at,
        })
        .collect())
}

/// Admin listing: by role, unit and text (email or name), keyset by id.
pub fn list(
    conn: &mut DbConn,
    role: Option<Role>,
    unit_id: Option<i64>,
    q: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<User>, Error> {
    let mut query = users::table
        .select(User::as_select())
        .order(users::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(unit_id) = unit_id {
        query = query.filter(users::unit_id.eq(unit_id));
    }
    if let Some(q) = q.filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
        query = query.filter(
            users::email
                .like(pattern.clone())
                .or(users::full_name.like(pattern)),
        );
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    Ok(query.load(conn)?)
}
