//! Firebase Cloud Messaging, HTTP v1 API. Authenticates as a service account: an RS256 JWT
//! assertion is exchanged for an OAuth2 access token (RFC 7523), which is cached until shortly
//! before it expires.

use std::sync::Arc;

use anyhow::{Context, bail};
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{CachedToken, PushMessage, TokenCache, base_url, network_failure, try_later};
use crate::clock::SharedClock;
use crate::notify::DeliveryError;

pub const DEFAULT_API_BASE: &str = "https://fcm.googleapis.com";
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// Google accepts assertions valid for at most an hour.
const ASSERTION_LIFETIME: TimeDelta = TimeDelta::hours(1);
/// Fetch a new access token this long before the old one expires.
const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// The fields of a Google service-account key file that we use.
#[derive(Deserialize)]
struct ServiceAccountKey {
    #[serde(rename = "type")]
    kind: String,
    project_id: String,
    private_key_id: String,
    private_key: String,
    client_email: String,
    token_uri: String,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

#[derive(Clone)]
pub struct FcmClient {
    http: reqwest::Client,
    project_id: String,
    client_email: String,
    token_uri: String,
    key_id: String,
    key: EncodingKey,
    send_url: String,
    token: Arc<TokenCache>,
    clock: SharedClock,
}

/// Credentials stay out of logs.
impl std::fmt::Debug for FcmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmClient")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("send_url", &self.send_url)
            .finish_non_exhaustive()
    }
}

impl FcmClient {
    /// `key_json` is the service-account key file's content; `api_base` overrides
    /// `https://fcm.googleapis.com` (tests point it at a local mock).
    pub fn new(
        http: reqwest::Client,
        key_json: &str,
        api_base: Option<String>,
    ) -> anyhow::Result<Self> {
        let key: ServiceAccountKey =
            serde_json::from_str(key_json).context("not a service-account key (JSON)")?;
        if key.kind != "service_account" {
            bail!("key type is {:?}, not \"service_account\"", key.kind);
        }
        url::Url::parse(&key.token_uri).context("token_uri is not a URL")?;
        let signing_key = EncodingKey::from_rsa_pem(key.private_key.as_bytes())
            .context("private_key is not an RSA PEM key")?;
        let api_base = base_url(api_base, DEFAULT_API_BASE)?;
        let client = FcmClient {
            http,
            send_url: format!("{api_base}/v1/projects/{}/messages:send", key.project_id),
            project_id: key.project_id,
            client_email: key.client_email,
            token_uri: key.token_uri,
            key_id: key.private_key_id,
            key: signing_key,
            token: Arc::default(),
            clock: super::system_clock(),
        };
        // A key that cannot sign should stop start-up, not the first notification.
        client
            .assertion(Utc::now())
            .context("signing with private_key")?;
        Ok(client)
    }

    /// Uses `clock` for token lifetimes (tests move time instead of waiting).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// Sends `m` to one app installation's registration token.
    pub async fn send(&self, token: &str, m: &PushMessage) -> Result<(), DeliveryError> {
        let access_token = self
            .token
            .get(self.clock.now(), || self.fetch_access_token())
            .await?;
        let response = self
            .http
            .post(&self.send_url)
            .bearer_auth(&access_token)
            .json(&message_body(token, m))
            .send()
            .await
            .map_err(|e| network_failure("FCM", e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let error = &body["error"];
        let error_code = error["details"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|d| d["errorCode"].as_str())
            .or_else(|| error["status"].as_str())
            .unwrap_or("");
        let reason = format!(
            "FCM {status} {error_code}: {}",
            error["message"].as_str().unwrap_or("")
        );
        Err(match status {
            _ if status == StatusCode::NOT_FOUND || error_code == "UNREGISTERED" => {
                DeliveryError::gone(reason)
            }
            StatusCode::UNAUTHORIZED => {
                self.token.forget(&access_token).await;
                DeliveryError::temporary(reason)
            }
            _ if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() => {
                try_later(reason, &headers, self.clock.now())
            }
            _ if status.is_client_error() => DeliveryError::permanent(reason),
            _ => DeliveryError::temporary(reason),
        })
    }

    fn assertion(&self, now: DateTime<Utc>) -> jsonwebtoken::errors::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.key_id.clone());
        let claims = AssertionClaims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now.timestamp(),
            exp: (now + ASSERTION_LIFETIME).timestamp(),
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
    }

    /// A refused key is a configuration problem that an operator fixes; until then the
    /// messages wait (temporary) rather than being thrown away.
    async fn fetch_access_token(&self) -> Result<CachedToken, DeliveryError> {
        let now = self.clock.now();
        let assertion = self
            .assertion(now)
            .map_err(|e| DeliveryError::temporary(format!("FCM: signing the assertion: {e}")))?;
        let form = serde_urlencoded::to_string([
            ("grant_type", GRANT_TYPE),
            ("assertion", assertion.as_str()),
        ])
        .map_err(|e| DeliveryError::temporary(format!("FCM: encoding the token request: {e}")))?;
        let response = self
            .http
            .post(&self.token_uri)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form)
            .send()
            .await
            .map_err(|e| network_failure("FCM token endpoint", e))?;
        let status = response.status();
        if !status.is_success() {
            let headers = response.headers().clone();
            let body = response.text().await.unwrap_or_default();
            let reason = format!("FCM token endpoint {status}: {}", body.trim());
            return Err(try_later(reason, &headers, now));
        }
        let token: TokenResponse = response.json().await.map_err(|e| {
            DeliveryError::temporary(format!("FCM token endpoint: unreadable answer: {e}"))
        })?;
        let lifetime = TimeDelta::seconds(token.expires_in.max(0));
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        Ok(CachedToken {
            value: token.access_token,
            refresh_at: now + lifetime - margin,
        })
    }
}

/// The v1 `Message` resource. FCM `data` values must be strings.
fn message_body(token: &str, m: &PushMessage) -> Value {
    let mut data = serde_json::Map::new();
    if let Some(code) = &m.ticket_code {
        data.insert("ticket_code".into(), code.clone().into());
    }
    if let Some(path) = &m.path {
        data.insert("path".into(), path.clone().into());
    }
    if let Some(id) = m.notification_id {
        data.insert("notification_id".into(), id.to_string().into());
    }
    let mut message = json!({
        "token": token,
        "notification": { "title": m.title, "body": m.body },
        "data": data,
    });
    if let Some(key) = &m.collapse_key {
        message["android"] = json!({ "collapse_key": key });
        message["apns"] =
            json!({ "headers": { "apns-collapse-id": super::apns::collapse_id(key) } });
    }
    json!({ "message": message })
}
