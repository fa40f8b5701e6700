//! Email delivery: SMTP through lettre's pooled async transport, or a `.eml` file per message
//! (local development), or an in-memory list (tests).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::{self, PoolConfig};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;

use super::DeliveryError;

/// One email to one person. The text and HTML parts say the same thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// One-click unsubscribe URL (RFC 8058): the mail client POSTs to it.
    pub list_unsubscribe: Option<String>,
    /// `vi` or `en`, sent as `Content-Language`.
    pub language: String,
    /// The Message-ID's local part, stable across sends of one message (see
    /// `links::message_key`); `None`: a new one each send.
    pub message_key: Option<String>,
}

/// A message the memory backend kept: what was asked for and the bytes that would have gone out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentEmail {
    pub message_id: String,
    pub message: EmailMessage,
    pub raw: String,
}

/// `[email]` settings.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// `smtp`, `file` or `memory`.
    pub backend: String,
    /// The sender, e.g. `Nghe dân <no-reply@nghedan.gov.vn>`; its domain also names Message-IDs.
    pub from: String,
    /// Where the `file` backend writes one `.eml` per message.
    pub file_dir: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls` (port 587; TLS is required, never downgraded), `tls` (implicit TLS, port 465)
    /// or `plain` (no encryption: only for a relay on the same host or private network).
    pub smtp_tls: String,
    /// Empty: no authentication.
    pub smtp_username: String,
    pub smtp_password: String,
    /// Limit on connecting, and on the whole exchange for one message (lettre's async
    /// transport has no read timeout of its own, so a silent server would hang the sender).
    pub smtp_timeout_ms: u64,
    /// Skips certificate checks. For tests only: it lets anyone on the path read the mail.
    pub smtp_accept_invalid_certs: bool,
    /// Most connections kept open to the relay.
    pub smtp_pool_size: u32,
    /// Optional PEM file of extra trusted roots, for a relay whose certificate comes from a
    /// private CA. Empty: the Mozilla (webpki) roots only.
    #[serde(default)]
    pub smtp_ca_file: String,
}

/// Where email goes.
#[derive(Clone, Debug)]
pub enum Mailer {
    Smtp(SmtpMailer),
    File {
        dir: PathBuf,
        from: Mailbox,
    },
    Memory {
        from: Mailbox,
        sent: Arc<Mutex<Vec<SentEmail>>>,
    },
}

/// A pooled SMTP connection to one relay.
#[derive(Clone, Debug)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    timeout: Duration,
}

impl Mailer {
    pub fn from_settings(s: &EmailSettings) -> Result<Self, anyhow::Error> {
        let from: Mailbox = s
            .from
            .parse()
            .with_context(|| format!("email.from: {:?} is not a mailbox", s.from))?;
        match s.backend.as_str() {
            "smtp" => Ok(Mailer::Smtp(SmtpMailer::from_settings(s, from)?)),
            "file" => Ok(Mailer::File {
                dir: PathBuf::from(&s.file_dir),
                from,
            }),
            "memory" => Ok(Mailer::memory(from)),
            other => bail!("email.backend: {other:?} is not one of smtp, file, memory"),
        }
    }

    /// A mailer that keeps what it sends, for tests.
    pub fn memory(from: Mailbox) -> Self {
        Mailer::Memory {
            from,
            sent: Arc::default(),
        }
    }

    /// Sends one message; returns its `Message-ID` header value (`<uuid@domain-of-from>`).
    pub async fn send(&self, m: &EmailMessage) -> Result<String, DeliveryError> {
        match self {
            Mailer::Smtp(smtp) => smtp.send(m).await,
            Mailer::File { dir, from } => {
                let (message_id, message) = compose(from, m)?;
                let dir = dir.clone();
                let id = message_id.clone();
                tokio::task::spawn_blocking(move || write_eml(&dir, &id, &message.formatted()))
                    .await
                    .map_err(|e| DeliveryError::temporary(format!("writing .eml: {e}")))?
                    .map_err(|e| DeliveryError::temporary(format!("writing .eml: {e:#}")))?;
                Ok(message_id)
            }
            Mailer::Memory { from, sent } => {
                let (message_id, message) = compose(from, m)?;
                let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
                sent.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(SentEmail {
                        message_id: message_id.clone(),
                        message: m.clone(),
                        raw,
                    });
                Ok(message_id)
            }
        }
    }

    /// What the memory backend has sent, oldest first; empty for the other backends.
    pub fn sent(&self) -> Vec<SentEmail> {
        match self {
            Mailer::Memory { sent, .. } => sent.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            _ => Vec::new(),
        }
    }
}

impl SmtpMailer {
    fn from_settings(s: &EmailSettings, from: Mailbox) -> anyhow::Result<Self> {
        if s.smtp_host.is_empty() {
            bail!("email.smtp_host is empty");
        }
        if s.smtp_timeout_ms == 0 {
            bail!("email.smtp_timeout_ms must be above 0");
        }
        if s.smtp_pool_size == 0 {
            bail!("email.smtp_pool_size must be at least 1");
        }
        let tls = match s.smtp_tls.as_str() {
            "plain" => {
                if !s.smtp_username.is_empty() {
                    tracing::warn!(
                        host = %s.smtp_host,
                        "email.smtp_tls = plain: the SMTP password crosses the network unencrypted"
                    );
                }
                Tls::None
            }
            "starttls" => Tls::Required(tls_parameters(s)?),
            "tls" => Tls::Wrapper(tls_parameters(s)?),
            other => bail!("email.smtp_tls: {other:?} is not one of starttls, tls, plain"),
        };
        let timeout = Duration::from_millis(s.smtp_timeout_ms);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.smtp_host)
            .port(s.smtp_port)
            .tls(tls)
            .timeout(Some(timeout))
            .pool_config(PoolConfig::new().max_size(s.smtp_pool_size));
        if !s.smtp_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                s.smtp_username.clone(),
                s.smtp_password.clone(),
            ));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
            timeout,
        })
    }

    async fn send(&self, m: &EmailMessage) -> Result<String, DeliveryError> {
        let (message_id, message) = compose(&self.from, m)?;
        // Dropping the unfinished send drops its connection: the pool never reuses it.
        tokio::time::timeout(self.timeout, self.transport.send(message))
            .await
            .map_err(|_| {
                DeliveryError::temporary(format!(
                    "SMTP: no answer within {} ms",
                    self.timeout.as_millis()
                ))
            })?
            .map_err(smtp_failure)?;
        Ok(message_id)
    }
}

fn tls_parameters(s: &EmailSettings) -> anyhow::Result<TlsParameters> {
    let mut params = TlsParameters::builder(s.smtp_host.clone());
    if !s.smtp_ca_file.is_empty() {
        let pem = std::fs::read(&s.smtp_ca_file)
            .with_context(|| format!("email.smtp_ca_file: reading {}", s.smtp_ca_file))?;
        let root = Certificate::from_pem(&pem)
            .with_context(|| format!("email.smtp_ca_file: {} is not PEM", s.smtp_ca_file))?;
        params = params.add_root_certificate(root);
    }
    if s.smtp_accept_invalid_certs {
        tracing::warn!(
            host = %s.smtp_host,
            "email.smtp_accept_invalid_certs = true: the SMTP server's certificate is not checked"
        );
        params = params.dangerous_accept_invalid_certs(true);
    }
    params.build().context("email: building the TLS client")
}

/// 5xx replies are final; everything else (4xx, refused or dropped connections, timeouts,
/// TLS failures that a fixed certificate would cure) is worth another try.
fn smtp_failure(e: smtp::Error) -> DeliveryError {
    if e.is_permanent() {
        DeliveryError::permanent(format!("SMTP: {e}"))
    } else {
        DeliveryError::temporary(format!("SMTP: {e}"))
    }
}

const AUTO_SUBMITTED: HeaderName = HeaderName::new_from_ascii_str("Auto-Submitted");
const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");
const LIST_UNSUBSCRIBE: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe");
const LIST_UNSUBSCRIBE_POST: HeaderName = HeaderName::new_from_ascii_str("List-Unsubscribe-Post");

/// Builds the message and its Message-ID. A message that can never be sent (bad address,
/// bad header value) is a permanent failure.
fn compose(from: &Mailbox, m: &EmailMessage) -> Result<(String, Message), DeliveryError> {
    let address: Address =
        m.to.parse()
            .map_err(|e| DeliveryError::permanent(format!("recipient {:?}: {e}", m.to)))?;
    let language = language_tag(&m.language)?;
    let local = m
        .message_key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let message_id = format!("<{local}@{}>", from.email.domain());
    let mut builder = Message::builder()
        .from(from.clone())
        .to(Mailbox::new(m.to_name.clone(), address))
        .subject(&m.subject)
        .message_id(Some(message_id.clone()))
        .date_now()
        // RFC 3834: auto-responders must not answer this mail.
        .raw_header(HeaderValue::new(AUTO_SUBMITTED, "auto-generated".into()))
        .raw_header(HeaderValue::new(CONTENT_LANGUAGE, language));
    if let Some(link) = &m.list_unsubscribe {
        let url = url::Url::parse(link)
            .ok()
            .filter(|u| u.scheme() == "https" || u.scheme() == "http")
            .ok_or_else(|| {
                DeliveryError::permanent(format!("list_unsubscribe {link:?} is not an http(s) URL"))
            })?;
        builder = builder
            .raw_header(HeaderValue::new(LIST_UNSUBSCRIBE, format!("<{url}>")))
            .raw_header(HeaderValue::new(
                LIST_UNSUBSCRIBE_POST,
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    let message = builder
        .multipart(MultiPart::alternative_plain_html(
            m.text.clone(),
            m.html.clone(),
        ))
        .map_err(|e| DeliveryError::permanent(format!("building the message: {e}")))?;
    Ok((message_id, message))
}

/// A BCP 47 tag such as `vi` or `en-GB`; anything else could smuggle header lines.
fn language_tag(tag: &str) -> Result<String, DeliveryError> {
    let ok = !tag.is_empty()
        && tag.len() <= 35
        && tag.split('-').all(|part| {
            !part.is_empty() && part.len() <= 8 && part.bytes().all(|b| b.is_ascii_alphanumeric())
        });
    if ok {
        Ok(tag.to_owned())
    } else {
        Err(DeliveryError::permanent(format!(
            "language {tag:?} is not a language tag"
        )))
    }
}

/// Writes `<UTC time>-<id>.eml` so that a directory listing sorts by sending time. The file
/// appears whole: it is written under a temporary name and renamed.
fn write_eml(dir: &Path, message_id: &str, raw: &[u8]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let local = message_id
        .trim_start_matches('<')
        .split('@')
        .next()
        .unwrap_or_default();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
    let name = format!("{stamp}-{local}.eml");
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, raw).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(&name)).with_context(|| format!("renaming {}", tmp.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_cannot_carry_header_lines() {
        assert!(language_tag("vi").is_ok());
        assert!(language_tag("en-GB").is_ok());
        assert!(language_tag("vi\r\nBcc: x@example.com").is_err());
        assert!(language_tag("").is_err());
    }
}
