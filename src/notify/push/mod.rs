//! Push delivery to phones (FCM for Android, APNs for iOS) and browsers (Web Push).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::{Deserialize, Serialize};

use super::DeliveryError;
use crate::clock::SharedClock;

pub mod apns;
pub mod fcm;
pub mod webpush;

pub use apns::{ApnsClient, ApnsEnvironment};
pub use fcm::FcmClient;
pub use webpush::WebPushClient;

/// What a push notification says. The same message goes to every platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    /// The ticket the app opens when the notification is tapped.
    pub ticket_code: Option<String>,
    /// The deep link the app (or the web app's service worker) opens when the notification is
    /// tapped, as a path: `/tickets/{code}` (see [`ticket_path`]).
    pub path: Option<String>,
    pub notification_id: Option<i64>,
    /// A newer message with the same key replaces an undelivered or displayed older one.
    pub collapse_key: Option<String>,
}

/// The deep link of a ticket's screen, the same on every platform.
pub fn ticket_path(code: &str) -> String {
    format!("/tickets/{code}")
}

/// `[push]` settings. A channel whose credentials are missing is off.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(deny_unknown_fields)]
pub struct PushSettings {
    /// Path of the Firebase service-account JSON key.
    #[serde(default)]
    pub fcm_service_account_file: Option<String>,
    /// Default `https://fcm.googleapis.com`.
    #[serde(default)]
    pub fcm_api_base: Option<String>,
    /// Path of the APNs auth key (`AuthKey_XXXXXXXXXX.p8`).
    #[serde(default)]
    pub apns_key_file: Option<String>,
    #[serde(default)]
    pub apns_key_id: Option<String>,
    #[serde(default)]
    pub apns_team_id: Option<String>,
    /// The app's bundle id.
    #[serde(default)]
    pub apns_topic: Option<String>,
    /// Default `https://api.sandbox.push.apple.com`.
    #[serde(default)]
    pub apns_sandbox_base: Option<String>,
    /// Default `https://api.push.apple.com`.
    #[serde(default)]
    pub apns_production_base: Option<String>,
    /// P-256 private key: PEM (PKCS#8 or SEC1) or the raw 32-byte scalar in base64url.
    #[serde(default)]
    pub webpush_vapid_private_key: Option<String>,
    /// `mailto:` or `https:` contact for push services.
    #[serde(default)]
    pub webpush_subject: Option<String>,
}

/// The push channels that are configured.
#[derive(Clone, Debug, Default)]
pub struct Push {
    pub fcm: Option<FcmClient>,
    pub apns: Option<ApnsClient>,
    pub webpush: Option<WebPushClient>,
}

/// How long one push request may take, connecting included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

impl Push {
    pub fn from_settings(s: &PushSettings) -> anyhow::Result<Push> {
        crate::startup::install_crypto();
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("push: building the HTTP client")?;

        let fcm = match given(&s.fcm_service_account_file) {
            Some(path) => {
                let key = std::fs::read_to_string(path)
                    .with_context(|| format!("push.fcm_service_account_file: reading {path}"))?;
                let client = FcmClient::new(http.clone(), &key, given(&s.fcm_api_base).cloned())
                    .with_context(|| format!("push.fcm_service_account_file: {path}"))?;
                Some(client)
            }
            None => {
                tracing::info!("push: FCM is off (push.fcm_service_account_file is not set)");
                None
            }
        };

        let apns_parts = [
            &s.apns_key_file,
            &s.apns_key_id,
            &s.apns_team_id,
            &s.apns_topic,
        ];
        let apns = match apns_parts.map(given) {
            [Some(file), Some(key_id), Some(team_id), Some(topic)] => {
                let pem = std::fs::read_to_string(file)
                    .with_context(|| format!("push.apns_key_file: reading {file}"))?;
                let client = ApnsClient::new(
                    apns::http_client(REQUEST_TIMEOUT).context("push: building the APNs client")?,
                    &pem,
                    key_id,
                    team_id,
                    topic,
                    given(&s.apns_sandbox_base).cloned(),
                    given(&s.apns_production_base).cloned(),
                )
                .with_context(|| format!("push.apns_key_file: {file}"))?;
                Some(client)
            }
            [None, None, None, None] => {
                tracing::info!("push: APNs is off (push.apns_key_file is not set)");
                None
            }
            _ => bail!(
                "push: APNs needs all of apns_key_file, apns_key_id, apns_team_id and apns_topic"
            ),
        };

        let webpush = match (
            given(&s.webpush_vapid_private_key),
            given(&s.webpush_subject),
        ) {
            (Some(key), Some(subject)) => Some(
                WebPushClient::new(http, key, subject).context("push.webpush_vapid_private_key")?,
            ),
            (None, None) => {
                tracing::info!("push: Web Push is off (push.webpush_vapid_private_key is not set)");
                None
            }
            _ => bail!("push: Web Push needs both webpush_vapid_private_key and webpush_subject"),
        };

        Ok(Push { fcm, apns, webpush })
    }
}

/// Configuration comes from files and environment variables, where "unset" is often "".
fn given(value: &Option<String>) -> Option<&String> {
    value.as_ref().filter(|v| !v.trim().is_empty())
}

/// The trimmed base URL of a push service, checked once at start-up.
fn base_url(base: Option<String>, default: &str) -> anyhow::Result<String> {
    let base = base.unwrap_or_else(|| default.to_owned());
    let parsed = url::Url::parse(&base).with_context(|| format!("{base:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        bail!("{base:?} is not an http(s) URL");
    }
    Ok(base.trim_end_matches('/').to_owned())
}

/// A network failure (refused, reset, timed out) is worth another try.
fn network_failure(service: &str, e: reqwest::Error) -> DeliveryError {
    DeliveryError::temporary(format!("{service}: {e}"))
}

/// A temporary failure that honours the server's `Retry-After`.
fn try_later(reason: String, headers: &HeaderMap, now: DateTime<Utc>) -> DeliveryError {
    DeliveryError::Temporary {
        reason,
        retry_after: retry_after(headers, now),
    }
}

/// `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value)
        .ok()?
        .with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// A bearer credential and when to mint a new one.
#[derive(Clone, Debug)]
struct CachedToken {
    value: String,
    refresh_at: DateTime<Utc>,
}

/// One credential shared by every send; minted at most once at a time.
#[derive(Default)]
struct TokenCache(tokio::sync::Mutex<Option<CachedToken>>);

impl TokenCache {
    async fn get<F, Fut>(&self, now: DateTime<Utc>, mint: F) -> Result<String, DeliveryError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<CachedToken, DeliveryError>>,
    {
        let mut slot = self.0.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| now < t.refresh_at) {
            return Ok(token.value.clone());
        }
        let token = mint().await?;
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    /// Drops the credential the server refused, unless another send already replaced it.
    async fn forget(&self, value: &str) {
        let mut slot = self.0.lock().await;
        if slot.as_ref().is_some_and(|t| t.value == value) {
            *slot = None;
        }
    }
}

/// A P-256 private key as PKCS#8 DER (what jsonwebtoken signs ES256 with), from PEM (PKCS#8 as
/// Apple's `.p8` files, or SEC1 `EC PRIVATE KEY`) or a base64url raw scalar (web-push tools).
fn p256_key(text: &str) -> anyhow::Result<p256::SecretKey> {
    let text = text.trim();
    if text.starts_with("-----BEGIN EC PRIVATE KEY") {
        return p256::SecretKey::from_sec1_pem(text).context("not a P-256 SEC1 key");
    }
    if text.starts_with("-----BEGIN") {
        return p256::SecretKey::from_pkcs8_pem(text).context("not a P-256 PKCS#8 key");
    }
    let raw = base64_url(text).context("neither PEM nor base64url")?;
    p256::SecretKey::from_slice(&raw).context("not a 32-byte P-256 scalar")
}

fn es256_encoding_key(key: &p256::SecretKey) -> anyhow::Result<jsonwebtoken::EncodingKey> {
    let der = key.to_pkcs8_der().context("encoding the key as PKCS#8")?;
    Ok(jsonwebtoken::EncodingKey::from_ec_der(der.as_bytes()))
}

/// Base64url with or without padding; browsers hand out the unpadded form.
fn base64_url(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('='))
}

fn base64_url_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn system_clock() -> SharedClock {
    Arc::new(crate::clock::SystemClock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::parse_from_rfc3339("2025-07-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h, now), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Tue, 01 Jul 2025 00:02:00 GMT"),
        );
        assert_eq!(retry_after(&h, now), Some(Duration::from_secs(120)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h, now), None);
    }

    #[test]
    fn vapid_keys_load_from_pem_and_base64url() {
        let key = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pkcs8 = key.to_pkcs8_pem(Default::default()).unwrap();
        let sec1 = key.to_sec1_pem(Default::default()).unwrap();
        let raw = base64_url_encode(&key.to_bytes());
        for text in [pkcs8.as_str(), sec1.as_str(), raw.as_str()] {
            assert_eq!(p256_key(text).unwrap(), key);
        }
        assert!(p256_key("not a key").is_err());
    }
}
