//! Signing in with an email and a password, for the API and the console alike: the
//! failure limits (`domain::sign_in`), the password check on the bounded hashing pool, and a
//! new session (a refresh-token family).

use chrono::Duration;

use crate::db::users::{self, User};
use crate::db::{self, rate_limits};
use crate::domain::sign_in;
use crate::error::AppError;
use crate::state::AppState;

/// A signed-in account and its new session's refresh token.
pub struct Signed {
    pub user: User,
    pub refresh_token: String,
}

/// Checks `password` for `email` from the address `client`: 429 while that address must wait,
/// 401 `invalid_credentials` (the same for an unknown email, in comparable time) or
/// `account_disabled`; otherwise a new session.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: String,
    client: &str,
) -> Result<Signed, AppError> {
    let email = email.trim().to_lowercase();
    let limits = &state.settings.limits;
    let window = Duration::seconds(limits.login_window_secs);
    let throttle = sign_in::Limits {
        per_address: limits.login_failures_per_ip,
        per_account_and_address: limits.login_failures_per_account_and_address,
        slow_after: limits.login_failures_per_account,
        delay_base: Duration::seconds(limits.login_delay_base_secs),
        delay_max: Duration::seconds(limits.login_delay_max_secs),
    };
    let account = crate::auth::tokens::hash_token(&email);
    let keys = [
        format!("login:ip:{client}"),
        format!("login:pair:{account}:{client}"),
        format!("login:account:{account}"),
    ];
    let now = state.clock.now_naive();

    let (user, record) = {
        let (email, keys) = (email.clone(), keys.clone());
        state
            .db(move |conn| -> Result<_, AppError> {
                let [address, account_and_address, account] =
                    rate_limits::failures(conn, &keys, window, now)?;
                let record = sign_in::Record {
                    address,
                    account_and_address,
                    account,
                };
                Ok((users::find_by_email(conn, &email)?, record))
            })
            .await?
    };
    if let Some(wait) = sign_in::wait(&throttle, &record, now) {
        return Err(AppError::too_many(wait));
    }

    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| state.auth.dummy_hash.clone());
    let (ok, rehash) = state
        .auth
        .hashing
        .verify_and_upgrade(password, stored)
        .await?;

    let user = match user {
        Some(u) if ok => u,
        _ => {
            state
                .db(move |conn| {
                    db::write(conn, |c| {
                        keys.iter()
                            .try_for_each(|k| rate_limits::record(c, k, window, now))
                    })
                })
                .await?;
            return Err(AppError::unauthenticated("invalid_credentials"));
        }
    };
    if !user.active() {
        return Err(AppError::unauthenticated("account_disabled"));
    }
    let ttl = Duration::days(state.settings.auth.refresh_token_ttl_days);
    let (user_id, generation) = (user.id, user.token_generation);
    let pair_counted = record.account_and_address.is_some();
    // Each statement stands alone (no transaction): forgetting this address's failures, and
    // storing a stronger hash, are right whether or not the session then starts.
    let refresh_token = state
        .db(move |c| {
            // This address knows the password; the account's count stays (an attack from
            // elsewhere goes on being slowed).
            if pair_counted {
                rate_limits::clear(c, &keys[1])?;
            }
            if let Some(hash) = rehash {
                db::write(c, |c| {
                    crate::workflow::accounts::update(
                        c,
                        user_id,
                        users::Changes {
                            password_hash: Some(hash),
                            ..Default::default()
                        },
                        now,
                    )
                })?;
            }
            // The password was checked against the hash read before: if every session ended
            // meanwhile (a reset or change), that hash may be gone — and no session starts.
            users::start_session_if_current(c, user_id, generation, now, ttl)?
                .ok_or_else(|| AppError::unauthenticated("invalid_credentials"))
        })
        .await?;
    Ok(Signed {
        user,
        refresh_token,
    })
}
