//! Opaque secrets (refresh tokens, email links, tracking secrets, typed codes): made at
//! random, and stored only as their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random opaque token (256 bits, base64url).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A random 6-digit code for typing into the app.
pub fn random_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// SHA-256 hex: how opaque tokens are stored.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn keyed_mac(secret: &str, purpose: &str, message: &str) -> hmac::Hmac<Sha256> {
    use hmac::Mac;
    let mut m = hmac::Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(purpose.as_bytes());
    m.update(&[0]);
    m.update(message.as_bytes());
    m
}

/// A value only the holder of `secret` can make for `message` (HMAC-SHA256, base64url), for
/// one `purpose` (a form's anti-forgery token for a session, say).
pub fn keyed(secret: &str, purpose: &str, message: &str) -> String {
    use hmac::Mac;
    URL_SAFE_NO_PAD.encode(keyed_mac(secret, purpose, message).finalize().into_bytes())
}

/// Whether `candidate` is [`keyed`]'s value for `message`, compared in constant time.
pub fn keyed_matches(secret: &str, purpose: &str, message: &str, candidate: &str) -> bool {
    use hmac::Mac;
    match URL_SAFE_NO_PAD.decode(candidate) {
        Ok(bytes) => keyed_mac(secret, purpose, message)
            .verify_slice(&bytes)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_values_verify_only_for_their_secret_purpose_and_message() {
        let v = keyed("s", "csrf", "session-1");
        assert!(keyed_matches("s", "csrf", "session-1", &v));
        assert!(!keyed_matches("s", "csrf", "session-2", &v));
        assert!(!keyed_matches("t", "csrf", "session-1", &v));
        assert!(!keyed_matches("s", "other", "session-1", &v));
        assert!(!keyed_matches("s", "csrf", "session-1", "not base64!"));
    }
}
