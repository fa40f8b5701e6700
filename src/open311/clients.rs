//! Open311 clients and their api_keys: the key is shown once when made and kept only as its
//! SHA-256 hash, like refresh tokens and tracking secrets. The command line and the admin
//! API both come here.

use chrono::NaiveDateTime;
use serde_json::json;

use crate::db::open311::{self as store, Client};
use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::secrets::{hash_token, random_token};

/// A client's name: 1–64 letters, digits, spaces, `.`, `_` or `-`; it is shown to the units
/// as the channel of what the client sends.
pub fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let ok = (1..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(AppError::field("/name", "invalid_value"))
    }
}

/// Makes a client; returns it and its api_key (shown this once). 409 `open311_client_exists`
/// when the name is taken (a revoked client's too: its tickets still name it).
pub fn add(
    conn: &mut DbConn,
    name: &str,
    by: Option<i64>,
    now: NaiveDateTime,
) -> Result<(Client, String), AppError> {
    let name = check_name(name)?;
    let key = random_token();
    db::write(conn, |c| {
        let client = store::add_client(c, &name, &hash_token(&key), now)?
            .ok_or_else(|| AppError::conflict("open311_client_exists"))?;
        if by.is_none() {
            crate::db::audit::record_admin(
                c,
                None,
                "cli open311 add-client",
                "open311_clients",
                json!({"name": name}),
                now,
            )?;
        }
        Ok((client, key))
    })
}

/// Every client, by name.
pub fn list(conn: &mut DbConn) -> Result<Vec<Client>, AppError> {
    Ok(store::clients(conn)?)
}

/// Revokes a client: its key stops working at once. 404 `open311_client_not_found` when
/// there is no active client of that name.
pub fn revoke(
    conn: &mut DbConn,
    name: &str,
    by: Option<i64>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let name = name.trim().to_string();
    db::write(conn, |c| {
        if !store::revoke_client(c, &name, now)? {
            return Err(AppError::not_found("open311_client_not_found"));
        }
        if by.is_none() {
            crate::db::audit::record_admin(
                c,
                None,
                "cli open311 revoke-client",
                "open311_clients",
                json!({"name": name}),
                now,
            )?;
        }
        Ok(())
    })
}

/// The active client holding `key`.
pub fn authenticate(conn: &mut DbConn, key: &str) -> Result<Option<Client>, AppError> {
    Ok(store::client_by_key(conn, &hash_token(key))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_plain_words() {
        assert_eq!(check_name(" FixMyStreet VN ").unwrap(), "FixMyStreet VN");
        assert!(check_name("").is_err());
        assert!(check_name("a<b>").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
