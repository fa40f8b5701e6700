//! Signed links in emails: one-click unsubscribe (RFC 8058) without signing in. The token says
//! who (a user, or an anonymous ticket's contact address) and is signed with HMAC-SHA256 under
//! `notifications.link_secret`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::Settings;

/// Whose mail a link turns off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Subject {
    /// A user's ticket notifications by email.
    User { u: i64 },
    /// Updates of one ticket to the contact address its anonymous submitter left.
    Contact { t: i64, a: String },
}

fn mac(secret: &str, payload: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    m.update(payload);
    m.finalize().into_bytes().to_vec()
}

pub fn sign(secret: &str, subject: &Subject) -> String {
    let payload = serde_json::to_vec(subject).unwrap_or_default();
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(mac(secret, &payload))
    )
}

/// The local part of the Message-ID of outbox message `id`: the same each time the message is
/// sent (a worker killed after the relay took it sends it again, and mail clients show one
/// message), different across deployments (keyed by `notifications.link_secret`), and saying
/// nothing about the row.
pub fn message_key(secret: &str, id: i64) -> String {
    let digest = mac(secret, format!("message:{id}").as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The subject of a token, if its signature is right.
pub fn verify(secret: &str, token: &str) -> Option<Subject> {
    let (payload, sig) = token.split_once('.')?;
    let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
    let mut m = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    m.update(&payload);
    m.verify_slice(&sig).ok()?;
    serde_json::from_slice(&payload).ok()
}

/// The one-click unsubscribe URL for a recipient: the user's, else the ticket contact's.
pub fn unsubscribe_url(
    settings: &Settings,
    user_id: Option<i64>,
    ticket_id: Option<i64>,
    address: &str,
) -> String {
    let subject = match (user_id, ticket_id) {
        (Some(u), _) => Subject::User { u },
        (None, Some(t)) => Subject::Contact {
            t,
            a: address.to_string(),
        },
        (None, None) => Subject::Contact {
            t: 0,
            a: address.to_string(),
        },
    };
    format!(
        "{}/api/v1/unsubscribe?token={}",
        settings.server.public_url.trim_end_matches('/'),
        sign(&settings.notifications.link_secret, &subject)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_keeps_its_key_and_only_it_has_it() {
        let a = message_key("secret-a", 42);
        assert_eq!(a, message_key("secret-a", 42));
        assert_eq!(a.len(), 32);
        assert_ne!(a, message_key("secret-a", 43));
        assert_ne!(a, message_key("secret-b", 42));
    }

    #[test]
    fn tokens_verify_only_with_their_secret_and_unchanged() {
        let s = Subject::User { u: 42 };
        let t = sign("secret-one-secret-one-secret-one-00", &s);
        assert_eq!(verify("secret-one-secret-one-secret-one-00", &t), Some(s));
        assert_eq!(verify("another-secret-another-secret-0000", &t), None);
        let tampered = t.replacen('e', "f", 1);
        assert_eq!(
            verify("secret-one-secret-one-secret-one-00", &tampered),
            None
        );
        assert_eq!(verify("x", "garbage"), None);
    }
}
