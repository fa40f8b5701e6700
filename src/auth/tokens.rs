//! Access tokens (short-lived JWTs, RFC 8725) and opaque refresh/email tokens (random,
//! stored as SHA-256).

use std::fs;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::{AuthSettings, JwtAlgorithm};
use crate::domain::account::Role;

/// Seconds of clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECS: i64 = 30;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
    /// The user's session generation when the token was issued (`users.token_generation`);
    /// a token without it, or with an older one, is refused.
    #[serde(rename = "gen")]
    pub generation: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// Malformed, wrong algorithm, unknown key, bad signature, wrong issuer or audience.
    Invalid,
    Expired,
    /// Issued in the future (beyond the leeway).
    NotYetValid,
}

pub struct JwtKeys {
    algorithm: Algorithm,
    current_kid: String,
    encoding: EncodingKey,
    /// (kid, key) accepted for verification: the current key and, during rotation, the previous.
    decoding: Vec<(String, DecodingKey)>,
    issuer: String,
    audience: String,
    /// The checks every token passes, built once: signature, algorithm, issuer, audience
    /// and the claims it must carry (`exp`/`iat` are checked against the clock below).
    validation: Validation,
    ttl_secs: i64,
}

fn read(path: &str, key: &str) -> anyhow::Result<Vec<u8>> {
    fs::read(path).map_err(|e| anyhow::anyhow!("auth.{key}: cannot read {path}: {e}"))
}

impl JwtKeys {
    pub fn from_settings(s: &AuthSettings) -> anyhow::Result<Self> {
        let (algorithm, encoding, mut decoding) = match s.jwt_algorithm {
            JwtAlgorithm::HS256 => {
                let mut decoding = vec![(
                    s.jwt_key_id.clone(),
                    DecodingKey::from_secret(s.jwt_secret.as_bytes()),
                )];
                if !s.jwt_previous_secret.is_empty() {
                    decoding.push((
                        s.jwt_previous_key_id.clone(),
                        DecodingKey::from_secret(s.jwt_previous_secret.as_bytes()),
                    ));
                }
                (
                    Algorithm::HS256,
                    EncodingKey::from_secret(s.jwt_secret.as_bytes()),
                    decoding,
                )
            }
            JwtAlgorithm::EdDSA => {
                let private = read(&s.jwt_private_key_file, "jwt_private_key_file")?;
                let public = read(&s.jwt_public_key_file, "jwt_public_key_file")?;
                let mut decoding = vec![(s.jwt_key_id.clone(), DecodingKey::from_ed_pem(&public)?)];
                if !s.jwt_previous_public_key_file.is_empty() {
                    let prev = read(
                        &s.jwt_previous_public_key_file,
                        "jwt_previous_public_key_file",
                    )?;
                    decoding.push((
                        s.jwt_previous_key_id.clone(),
                        DecodingKey::from_ed_pem(&prev)?,
                    ));
                }
                (
                    Algorithm::EdDSA,
                    EncodingKey::from_ed_pem(&private)?,
                    decoding,
                )
            }
        };
        decoding.retain(|(kid, _)| !kid.is_empty());
        let mut validation = Validation::new(algorithm);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.set_issuer(&[&s.issuer]);
        validation.set_audience(&[&s.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        Ok(Self {
            algorithm,
            validation,
            current_kid: s.jwt_key_id.clone(),
            encoding,
            decoding,
            issuer: s.issuer.clone(),
            audience: s.audience.clone(),
            ttl_secs: s.access_token_ttl_secs,
        })
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user_id: i64,
        role: Role,
        generation: i64,
        now: DateTime<Utc>,
    ) -> anyhow::Result<String> {
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.current_kid.clone());
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_string(),
            role,
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
            generation,
        };
        Ok(jsonwebtoken::encode(&header, &claims, &self.encoding)?)
    }

    /// Verifies signature, algorithm, key id, issuer and audience, then `exp` and `iat`
    /// against the injected clock (not the system clock).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != self.algorithm {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = self
            .decoding
            .iter()
            .find(|(k, _)| *k == kid)
            .map(|(_, key)| key)
            .ok_or(TokenError::Invalid)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        let c = data.claims;
        let now = now.timestamp();
        if c.exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if c.iat > now + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        Ok(c)
    }
}

pub use crate::secrets::{hash_token, random_code, random_token};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Environment, Settings};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn settings() -> AuthSettings {
        let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config");
        Settings::load_from(Environment::Test, &dir, false)
            .unwrap()
            .auth
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn tokens_verify_until_they_expire() {
        let keys = JwtKeys::from_settings(&settings()).unwrap();
        let now = at("2026-11-23T00:00:00Z");
        let t = keys.issue(7, Role::Citizen, 0, now).unwrap();
        let c = keys.verify(&t, now).unwrap();
        assert_eq!((c.sub.as_str(), c.role), ("7", Role::Citizen));
        assert_eq!(
            keys.verify(&t, now + chrono::Duration::minutes(16))
                .unwrap_err(),
            TokenError::Expired
        );
        assert_eq!(
            keys.verify(&t, now - chrono::Duration::minutes(5))
                .unwrap_err(),
            TokenError::NotYetValid
        );
    }

    #[test]
    fn other_keys_algorithms_and_audiences_are_refused() {
        let s = settings();
        let keys = JwtKeys::from_settings(&s).unwrap();
        let now = at("2026-11-23T00:00:00Z");
        let mut other = s.clone();
        other.jwt_secret = "another-secret-that-is-long-enough-000".into();
        let forged = JwtKeys::from_settings(&other)
            .unwrap()
            .issue(1, Role::Admin, 0, now)
            .unwrap();
        assert_eq!(keys.verify(&forged, now).unwrap_err(), TokenError::Invalid);

        let mut aud = s.clone();
        aud.audience = "someone-else".into();
        let t = JwtKeys::from_settings(&aud)
            .unwrap()
            .issue(1, Role::Admin, 0, now)
            .unwrap();
        assert_eq!(keys.verify(&t, now).unwrap_err(), TokenError::Invalid);

        // alg: none, with the claims of a valid token.
        let valid = keys.issue(1, Role::Admin, 0, now).unwrap();
        let payload = valid.split('.').nth(1).unwrap();
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
            payload
        );
        assert_eq!(keys.verify(&none, now).unwrap_err(), TokenError::Invalid);
        assert_eq!(
            keys.verify("garbage", now).unwrap_err(),
            TokenError::Invalid
        );
    }

    #[test]
    fn the_previous_key_is_accepted_during_rotation() {
        let old = settings();
        let now = at("2026-11-23T00:00:00Z");
        let old_token = JwtKeys::from_settings(&old)
            .unwrap()
            .issue(3, Role::Official, 0, now)
            .unwrap();
        let mut new = old.clone();
        new.jwt_previous_secret = old.jwt_secret.clone();
        new.jwt_previous_key_id = old.jwt_key_id.clone();
        new.jwt_secret = "the-new-secret-for-rotation-0000000000".into();
        new.jwt_key_id = "k2".into();
        let keys = JwtKeys::from_settings(&new).unwrap();
        assert_eq!(keys.verify(&old_token, now).unwrap().sub, "3");
        let fresh = keys.issue(3, Role::Official, 0, now).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&fresh).unwrap().kid.as_deref(),
            Some("k2")
        );
    }

    #[test]
    fn tokens_without_a_generation_are_refused() {
        let s = settings();
        let keys = JwtKeys::from_settings(&s).unwrap();
        let now = at("2026-11-23T00:00:00Z");
        // A token as issued before the `gen` claim existed, validly signed.
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(s.jwt_key_id.clone());
        let old = jsonwebtoken::encode(
            &header,
            &serde_json::json!({"iss": s.issuer, "aud": s.audience, "sub": "5",
                "role": "citizen", "iat": now.timestamp(), "exp": now.timestamp() + 900}),
            &EncodingKey::from_secret(s.jwt_secret.as_bytes()),
        )
        .unwrap();
        assert_eq!(keys.verify(&old, now).unwrap_err(), TokenError::Invalid);
        let t = keys.issue(5, Role::Citizen, 7, now).unwrap();
        assert_eq!(keys.verify(&t, now).unwrap().generation, 7);
    }

    #[test]
    fn opaque_tokens_are_random_and_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(random_code().len(), 6);
    }
}
