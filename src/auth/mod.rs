//! Who is calling: passwords, tokens, the signed-in caller (`CurrentUser`) and the cache of
//! account status. The HTTP extractors that produce a caller are `api::caller`.

pub mod password;
pub mod tokens;

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::config::AuthSettings;
use crate::domain::account::Role;
use crate::i18n::Lang;

pub use password::{Hasher, HashingError, HashingPool};
pub use tokens::{JwtKeys, TokenError};

/// What a request needs to know about its caller, read from the database (and cached
/// for at most `auth.account_status_cache_secs`), not from the token's claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub role: Role,
    pub unit_id: Option<i64>,
    pub verified: bool,
    pub active: bool,
    pub locale: Lang,
    /// Access tokens of an older generation are refused (their sessions were ended).
    pub token_generation: i64,
}

impl AccountStatus {
    pub fn of(u: &crate::db::users::User) -> Self {
        AccountStatus {
            role: u.role(),
            unit_id: u.unit_id,
            verified: u.verified,
            active: u.active(),
            locale: u.lang(),
            token_generation: u.token_generation,
        }
    }
}

pub struct Auth {
    pub keys: JwtKeys,
    /// For the command line and start-up; requests hash through `hashing`.
    pub hasher: Hasher,
    pub hashing: HashingPool,
    /// Verified against when the email is unknown, so both failures take the same time.
    pub dummy_hash: String,
    cache_for: Duration,
    cache: Mutex<HashMap<i64, (DateTime<Utc>, AccountStatus)>>,
}

impl Auth {
    pub fn from_settings(s: &AuthSettings) -> anyhow::Result<Self> {
        let hasher = Hasher::from_settings(s)?;
        let dummy_hash = hasher.hash(&tokens::random_token())?;
        Ok(Self {
            keys: JwtKeys::from_settings(s)?,
            hasher,
            hashing: HashingPool::from_settings(s)?,
            dummy_hash,
            cache_for: Duration::seconds(s.account_status_cache_secs as i64),
            cache: Mutex::new(HashMap::new()),
        })
    }

    pub fn cached(&self, user_id: i64, now: DateTime<Utc>) -> Option<AccountStatus> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&user_id)
            .filter(|(at, _)| now - *at < self.cache_for)
            .map(|(_, s)| s.clone())
    }

    pub fn remember(&self, user_id: i64, now: DateTime<Utc>, status: AccountStatus) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 100_000 {
            cache.clear();
        }
        cache.insert(user_id, (now, status));
    }

    /// Forgets a user's cached status (after a change made by this process).
    pub fn forget(&self, user_id: i64) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&user_id);
    }
}

/// A signed-in caller whose account is active.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub role: Role,
    pub unit_id: Option<i64>,
    pub verified: bool,
    pub locale: Lang,
}

impl CurrentUser {
    pub fn is(&self, role: Role) -> bool {
        self.role == role
    }
}
