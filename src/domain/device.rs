//! Push targets a phone or browser registers: checked before they are stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushTarget {
    Fcm {
        token: String,
    },
    Apns {
        token: String,
        sandbox: bool,
    },
    WebPush {
        endpoint: String,
        p256dh: String,
        auth: String,
    },
}

/// A field (JSON Pointer) and the code of what is wrong with it.
pub type Invalid = (&'static str, &'static str);

pub fn fcm(token: &str) -> Result<PushTarget, Invalid> {
    let ok = (1..=4096).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
    if !ok {
        return Err(("/token", "invalid_token"));
    }
    Ok(PushTarget::Fcm {
        token: token.to_string(),
    })
}

pub fn apns(token: &str, environment: Option<&str>) -> Result<PushTarget, Invalid> {
    let ok = (64..=200).contains(&token.len())
        && token.len().is_multiple_of(2)
        && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(("/token", "invalid_token"));
    }
    let sandbox = match environment {
        Some("sandbox") => true,
        Some("production") => false,
        _ => return Err(("/environment", "required")),
    };
    Ok(PushTarget::Apns {
        token: token.to_ascii_lowercase(),
        sandbox,
    })
}

/// A Web Push subscription: an `https` endpoint (plain `http` only to loopback, and only
/// when `allow_loopback_http`, for tests), a P-256 public key (65 bytes, uncompressed) and a
/// 16-byte auth secret, both base64url.
pub fn web_push(
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    allow_loopback_http: bool,
) -> Result<PushTarget, Invalid> {
    let url = url::Url::parse(endpoint).map_err(|_| ("/subscription/endpoint", "invalid_url"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    let scheme_ok =
        url.scheme() == "https" || (url.scheme() == "http" && loopback && allow_loopback_http);
    if !scheme_ok || url.host_str().is_none() || endpoint.len() > 2048 {
        return Err(("/subscription/endpoint", "https_required"));
    }
    let key = decode(p256dh).ok_or(("/subscription/keys/p256dh", "invalid_key"))?;
    if key.len() != 65 || key[0] != 0x04 {
        return Err(("/subscription/keys/p256dh", "invalid_key"));
    }
    let secret = decode(auth).ok_or(("/subscription/keys/auth", "invalid_key"))?;
    if secret.len() != 16 {
        return Err(("/subscription/keys/auth", "invalid_key"));
    }
    Ok(PushTarget::WebPush {
        endpoint: endpoint.to_string(),
        p256dh: URL_SAFE_NO_PAD.encode(&key),
        auth: URL_SAFE_NO_PAD.encode(&secret),
    })
}

/// base64url with or without padding (browsers differ).
fn decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        let mut k = vec![4u8];
        k.extend([7u8; 64]);
        URL_SAFE_NO_PAD.encode(k)
    }

    #[test]
    fn web_push_subscriptions_are_checked() {
        let auth = URL_SAFE_NO_PAD.encode([1u8; 16]);
        assert!(web_push("https://push.example/abc", &key(), &auth, false).is_ok());
        assert_eq!(
            web_push("http://push.example/abc", &key(), &auth, true)
                .unwrap_err()
                .1,
            "https_required"
        );
        assert!(web_push("http://127.0.0.1:9/abc", &key(), &auth, true).is_ok());
        assert!(web_push("http://127.0.0.1:9/abc", &key(), &auth, false).is_err());
        assert_eq!(
            web_push("https://p.example/", "AAAA", &auth, false)
                .unwrap_err()
                .0,
            "/subscription/keys/p256dh"
        );
        let short = URL_SAFE_NO_PAD.encode([1u8; 8]);
        assert_eq!(
            web_push("https://p.example/", &key(), &short, false)
                .unwrap_err()
                .0,
            "/subscription/keys/auth"
        );
        // Padded base64url is accepted and stored unpadded.
        let padded = format!("{}==", URL_SAFE_NO_PAD.encode([1u8; 16]));
        assert!(web_push("https://p.example/", &key(), &padded, false).is_ok());
    }

    #[test]
    fn native_tokens_are_checked() {
        assert!(fcm("abc:DEF-123_x").is_ok());
        assert!(fcm("").is_err() && fcm("has space").is_err());
        let hex = "ab".repeat(32);
        assert!(apns(&hex, Some("sandbox")).is_ok());
        assert_eq!(apns(&hex, None).unwrap_err().0, "/environment");
        assert!(apns("xyz", Some("production")).is_err());
    }
}
