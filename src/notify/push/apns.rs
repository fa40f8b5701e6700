//! Apple Push Notification service over HTTP/2 with token-based (ES256 JWT) authentication.
//!
//! APNs speaks only HTTP/2. [`http_client`] builds a client that assumes it: over TLS (the
//! production and sandbox gateways) it offers only `h2` in ALPN; over plain `http://` (a mock
//! on loopback in tests) it speaks h2c with prior knowledge. Each request is also marked
//! HTTP/2, so a client that can only do HTTP/1.1 fails loudly instead of being misunderstood.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{StatusCode, Version};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    CachedToken, PushMessage, TokenCache, base_url, es256_encoding_key, network_failure, p256_key,
    try_later,
};
use crate::clock::SharedClock;
use crate::notify::DeliveryError;

pub const DEFAULT_SANDBOX_BASE: &str = "https://api.sandbox.push.apple.com";
pub const DEFAULT_PRODUCTION_BASE: &str = "https://api.push.apple.com";
/// Apple refuses provider tokens older than an hour and throttles ones renewed more often
/// than every 20 minutes.
const TOKEN_LIFETIME: TimeDelta = TimeDelta::minutes(40);
/// Longest `apns-collapse-id` Apple accepts, in bytes.
const MAX_COLLAPSE_ID: usize = 64;

/// Which gateway a device token belongs to: development builds register with the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApnsEnvironment {
    Sandbox,
    Production,
}

/// The HTTP/2-only client APNs needs (see the module documentation).
pub fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .timeout(timeout)
        .build()
}

#[derive(Serialize)]
struct ProviderClaims<'a> {
    iss: &'a str,
    iat: i64,
}

#[derive(Deserialize)]
struct ErrorBody {
    reason: Option<String>,
}

#[derive(Clone)]
pub struct ApnsClient {
    http: reqwest::Client,
    key: EncodingKey,
    key_id: String,
    team_id: String,
    topic: String,
    sandbox_base: String,
    production_base: String,
    token: Arc<TokenCache>,
    clock: SharedClock,
}

/// Credentials stay out of logs.
impl std::fmt::Debug for ApnsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsClient")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("topic", &self.topic)
            .field("sandbox_base", &self.sandbox_base)
            .field("production_base", &self.production_base)
            .finish_non_exhaustive()
    }
}

impl ApnsClient {
    /// `http` must speak HTTP/2: use [`http_client`]. `key_p8_pem` is the `.p8` auth key from
    /// Apple's developer portal, `key_id` its 10-character id, `topic` the app's bundle id.
    /// The bases default to Apple's gateways.
    pub fn new(
        http: reqwest::Client,
        key_p8_pem: &str,
        key_id: &str,
        team_id: &str,
        topic: &str,
        sandbox_base: Option<String>,
        production_base: Option<String>,
    ) -> anyhow::Result<Self> {
        let secret = p256_key(key_p8_pem).context("the APNs key is not a P-256 key")?;
        if key_id.is_empty() || team_id.is_empty() || topic.is_empty() {
            bail!("APNs key id, team id and topic must all be set");
        }
        let client = ApnsClient {
            http,
            key: es256_encoding_key(&secret)?,
            key_id: key_id.to_owned(),
            team_id: team_id.to_owned(),
            topic: topic.to_owned(),
            sandbox_base: base_url(sandbox_base, DEFAULT_SANDBOX_BASE)?,
            production_base: base_url(production_base, DEFAULT_PRODUCTION_BASE)?,
            token: Arc::default(),
            clock: super::system_clock(),
        };
        client
            .provider_token(Utc::now())
            .context("signing with the APNs key")?;
        Ok(client)
    }

    /// Uses `clock` for the provider token's age (tests move time instead of waiting).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Sends `m` as an alert to one device.
    pub async fn send(
        &self,
        device_token: &str,
        environment: ApnsEnvironment,
        m: &PushMessage,
    ) -> Result<(), DeliveryError> {
        // Apple's answer to such a token would be BadDeviceToken; it cannot go in a URL path.
        if device_token.is_empty() || !device_token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DeliveryError::gone("APNs device token is not hexadecimal"));
        }
        let base = match environment {
            ApnsEnvironment::Sandbox => &self.sandbox_base,
            ApnsEnvironment::Production => &self.production_base,
        };
        let jwt = self
            .token
            .get(self.clock.now(), || async {
                let now = self.clock.now();
                let value = self.provider_token(now).map_err(|e| {
                    DeliveryError::temporary(format!("APNs: signing the provider token: {e}"))
                })?;
                Ok(CachedToken {
                    value,
                    refresh_at: now + TOKEN_LIFETIME,
                })
            })
            .await?;
        let mut request = self
            .http
            .post(format!("{base}/3/device/{device_token}"))
            .version(Version::HTTP_2)
            .header("authorization", format!("bearer {jwt}"))
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", "10")
            .json(&payload(m));
        if let Some(key) = &m.collapse_key {
            request = request.header("apns-collapse-id", collapse_id(key));
        }
        let response = request
            .send()
            .await
            .map_err(|e| network_failure("APNs", e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let reason_code = response
            .json::<ErrorBody>()
            .await
            .ok()
            .and_then(|b| b.reason)
            .unwrap_or_default();
        let reason = format!("APNs {status} {reason_code}");
        Err(match status {
            StatusCode::GONE => DeliveryError::gone(reason),
            StatusCode::BAD_REQUEST if reason_code == "BadDeviceToken" => {
                DeliveryError::gone(reason)
            }
            // ExpiredProviderToken, InvalidProviderToken: sign a fresh one next time.
            StatusCode::FORBIDDEN => {
                self.token.forget(&jwt).await;
                DeliveryError::temporary(reason)
            }
            _ if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                try_later(reason, &headers, self.clock.now())
            }
            _ if status.is_client_error() => DeliveryError::permanent(reason),
            _ => DeliveryError::temporary(reason),
        })
    }

    fn provider_token(&self, now: DateTime<Utc>) -> jsonwebtoken::errors::Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = ProviderClaims {
            iss: &self.team_id,
            iat: now.timestamp(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
    }
}

fn payload(m: &PushMessage) -> Value {
    let mut body = json!({
        "aps": {
            "alert": { "title": m.title, "body": m.body },
            "sound": "default",
        },
    });
    if let Some(code) = &m.ticket_code {
        body["ticket_code"] = code.clone().into();
    }
    if let Some(path) = &m.path {
        body["path"] = path.clone().into();
    }
    if let Some(id) = m.notification_id {
        body["notification_id"] = id.into();
    }
    body
}

/// The collapse key itself when Apple accepts its length, else its SHA-256 in hex (64 bytes),
/// so that long keys stay distinct instead of being cut to a shared prefix.
pub fn collapse_id(key: &str) -> String {
    if key.len() <= MAX_COLLAPSE_ID {
        key.to_owned()
    } else {
        hex::encode(Sha256::digest(key.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_ids_fit_apples_limit() {
        assert_eq!(collapse_id("ticket-HN-0001"), "ticket-HN-0001");
        let long = "x".repeat(65);
        let id = collapse_id(&long);
        assert_eq!(id.len(), MAX_COLLAPSE_ID);
        assert_ne!(id, collapse_id(&"x".repeat(66)));
    }
}
