//! Web Push (RFC 8030) to browsers: the payload is encrypted for the subscription with
//! `aes128gcm` (RFC 8291, done by web-push-native) and the request carries a VAPID
//! (RFC 8292) signature made with jsonwebtoken.
//!
//! VAPID is signed here rather than by web-push-native's `vapid` feature: that one drops the
//! port from the `aud` origin and brings a second JWT library into the build.

use std::time::Duration;

use anyhow::{Context, bail};
use chrono::TimeDelta;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::StatusCode;
use serde::Serialize;
use sha2::{Digest, Sha256};
use web_push_native::{Auth, WebPushBuilder};

use super::{
    PushMessage, base64_url, base64_url_encode, es256_encoding_key, network_failure, p256_key,
    try_later,
};
use crate::clock::SharedClock;
use crate::notify::DeliveryError;

/// How long the push service keeps a message for a browser that is offline.
pub const TIME_TO_LIVE: Duration = Duration::from_secs(24 * 60 * 60);
/// RFC 8292 allows at most 24 hours.
const VAPID_LIFETIME: TimeDelta = TimeDelta::hours(12);
/// RFC 8030 §5.4: a topic is at most 32 base64url characters.
const MAX_TOPIC: usize = 32;

#[derive(Serialize)]
struct VapidClaims<'a> {
    aud: &'a str,
    exp: i64,
    sub: &'a str,
}

/// What the service worker receives, as JSON.
#[derive(Serialize)]
struct Payload<'a> {
    title: &'a str,
    body: &'a str,
    ticket_code: Option<&'a str>,
    path: Option<&'a str>,
    notification_id: Option<i64>,
}

#[derive(Clone)]
pub struct WebPushClient {
    http: reqwest::Client,
    key: EncodingKey,
    public_key: String,
    subject: String,
    clock: SharedClock,
}

/// The private key stays out of logs.
impl std::fmt::Debug for WebPushClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPushClient")
            .field("public_key", &self.public_key)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl WebPushClient {
    /// `vapid_private_key`: P-256 key as PEM or base64url raw scalar. `subject`: a `mailto:` or
    /// `https:` contact that push services can use to reach the operator.
    pub fn new(
        http: reqwest::Client,
        vapid_private_key: &str,
        subject: &str,
    ) -> anyhow::Result<Self> {
        if !(subject.starts_with("mailto:") || subject.starts_with("https:")) {
            bail!("the VAPID subject {subject:?} must be a mailto: or https: URI");
        }
        let secret = p256_key(vapid_private_key).context("the VAPID key")?;
        let public = secret.public_key().to_encoded_point(false);
        Ok(WebPushClient {
            http,
            key: es256_encoding_key(&secret)?,
            public_key: base64_url_encode(public.as_bytes()),
            subject: subject.to_owned(),
            clock: super::system_clock(),
        })
    }

    /// Uses `clock` for the VAPID expiry.
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// The VAPID public key (uncompressed point, base64url): the browser's
    /// `applicationServerKey` when it subscribes.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Sends `m` to one browser subscription (`PushSubscription.endpoint` and its `p256dh`
    /// and `auth` keys, base64url). A subscription whose keys are unusable is reported as
    /// gone: no later message could reach it either.
    pub async fn send(
        &self,
        endpoint: &str,
        p256dh_b64url: &str,
        auth_b64url: &str,
        m: &PushMessage,
    ) -> Result<(), DeliveryError> {
        let url = url::Url::parse(endpoint)
            .ok()
            .filter(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
            .ok_or_else(|| DeliveryError::gone("Web Push endpoint is not an http(s) URL"))?;
        let ua_public = base64_url(p256dh_b64url)
            .ok()
            .and_then(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).ok())
            .ok_or_else(|| DeliveryError::gone("Web Push p256dh is not a P-256 public key"))?;
        let ua_auth = base64_url(auth_b64url)
            .ok()
            .filter(|bytes| bytes.len() == 16)
            .map(|bytes| Auth::clone_from_slice(&bytes))
            .ok_or_else(|| DeliveryError::gone("Web Push auth secret is not 16 bytes"))?;

        let payload = serde_json::to_vec(&Payload {
            title: &m.title,
            body: &m.body,
            ticket_code: m.ticket_code.as_deref(),
            path: m.path.as_deref(),
            notification_id: m.notification_id,
        })
        .map_err(|e| DeliveryError::permanent(format!("Web Push payload: {e}")))?;
        let uri = endpoint
            .parse()
            .map_err(|e| DeliveryError::gone(format!("Web Push endpoint: {e}")))?;
        let encrypted = WebPushBuilder::new(uri, ua_public, ua_auth)
            .with_valid_duration(TIME_TO_LIVE)
            .build(payload)
            .map_err(|e| DeliveryError::permanent(format!("Web Push encryption: {e}")))?;
        let mut request = reqwest::Request::try_from(encrypted)
            .map_err(|e| DeliveryError::permanent(format!("Web Push request: {e}")))?;

        let origin = url.origin().ascii_serialization();
        let authorization = format!(
            "vapid t={}, k={}",
            self.vapid_token(&origin)?,
            self.public_key
        );
        let headers = request.headers_mut();
        headers.insert(
            reqwest::header::AUTHORIZATION,
            header_value(&authorization)?,
        );
        headers.insert(
            "urgency",
            reqwest::header::HeaderValue::from_static("normal"),
        );
        if let Some(key) = &m.collapse_key {
            headers.insert("topic", header_value(&topic(key))?);
        }

        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| network_failure("Web Push", e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        let reason = format!("Web Push {status}: {}", body.trim());
        Err(match status {
            StatusCode::NOT_FOUND | StatusCode::GONE => DeliveryError::gone(reason),
            _ if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                try_later(reason, &headers, self.clock.now())
            }
            _ if status.is_client_error() => DeliveryError::permanent(reason),
            _ => DeliveryError::temporary(reason),
        })
    }

    /// The VAPID JWT for one push service: `aud` is the origin of the endpoint, port included.
    fn vapid_token(&self, origin: &str) -> Result<String, DeliveryError> {
        let claims = VapidClaims {
            aud: origin,
            exp: (self.clock.now() + VAPID_LIFETIME).timestamp(),
            sub: &self.subject,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims, &self.key)
            .map_err(|e| DeliveryError::temporary(format!("Web Push: signing VAPID: {e}")))
    }
}

fn header_value(text: &str) -> Result<reqwest::header::HeaderValue, DeliveryError> {
    reqwest::header::HeaderValue::from_str(text)
        .map_err(|e| DeliveryError::permanent(format!("Web Push header: {e}")))
}

/// The collapse key as a `Topic` when it is short base64url text, else a digest of it that is.
fn topic(key: &str) -> String {
    let fits = !key.is_empty()
        && key.len() <= MAX_TOPIC
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if fits {
        key.to_owned()
    } else {
        base64_url_encode(&Sha256::digest(key.as_bytes())[..24])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_short_base64url() {
        assert_eq!(topic("ticket-HN_0001"), "ticket-HN_0001");
        for key in ["phản ánh", &"x".repeat(33)] {
            let t = topic(key);
            assert_eq!(t.len(), MAX_TOPIC);
            assert!(
                t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
    }
}
