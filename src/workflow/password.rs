//! Changing one's password, for the API (`POST /api/v1/me/password`) and the console's
//! settings page alike: the current password is checked on the bounded hashing pool, the new
//! one must pass the password rules, and every session of the account ends — the caller goes
//! on with the new session this returns (the API answers with its token pair, the console
//! sets it as its cookie).

use crate::db::{self, users};
use crate::error::AppError;
use crate::state::AppState;
use crate::validation::Violations;
use crate::workflow::sign_in::Signed;

/// Changes the password of `user_id` from `current` to `new`: 422 on `/new_password` (the
/// rules) or `/current_password` (`wrong_password`); 401 `account_disabled` for an account
/// that is gone.
pub async fn change(
    state: &AppState,
    user_id: i64,
    current: String,
    new: String,
) -> Result<Signed, AppError> {
    let mut v = Violations::new();
    v.password("/new_password", &new);
    v.finish()?;
    let u = state
        .db(move |c| Ok::<_, AppError>(users::find(c, user_id)?))
        .await?
        .ok_or_else(|| AppError::unauthenticated("account_disabled"))?;
    if !state.auth.hashing.verify(current, u.password_hash).await? {
        return Err(AppError::field("/current_password", "wrong_password"));
    }
    let hash = state.auth.hashing.hash(new).await?;
    let now = state.clock.now_naive();
    let ttl = chrono::Duration::days(state.settings.auth.refresh_token_ttl_days);
    let signed = state
        .db(move |conn| {
            db::write(conn, |c| {
                crate::workflow::accounts::update(
                    c,
                    user_id,
                    users::Changes {
                        password_hash: Some(hash),
                        ..Default::default()
                    },
                    now,
                )?;
                users::end_all_sessions(c, user_id, now)?;
                let refresh_token = users::start_session(c, user_id, now, ttl)?;
                let user =
                    users::find(c, user_id)?.ok_or_else(|| AppError::internal("user vanished"))?;
                Ok::<_, AppError>(Signed {
                    user,
                    refresh_token,
                })
            })
        })
        .await?;
    state.auth.forget(user_id);
    Ok(signed)
}
