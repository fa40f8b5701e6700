//! Telling people what happened: the outbox (written with each change), the words of each
//! message, and the delivery transports — email over SMTP (lettre) and push to FCM, APNs and
//! Web Push. Each `send` makes one attempt and says how it ended in a [`DeliveryError`]; the
//! outbox decides from that whether and when to try again.

use std::time::Duration;

pub mod delivery;
pub mod digest;
pub mod email;
pub mod in_app;
pub mod links;
pub mod messages;
pub mod outbox;
pub mod push;
pub mod recipients;
pub mod suppressions;

pub use email::{EmailMessage, EmailSettings, Mailer, SentEmail};
pub use push::{
    ApnsClient, ApnsEnvironment, FcmClient, Push, PushMessage, PushSettings, WebPushClient,
};

/// How a delivery attempt ended; the outbox decides retries from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Retry later (4xx SMTP, connection refused, HTTP 429/5xx). `retry_after` from the server if it said.
    #[error("temporary delivery failure: {reason}")]
    Temporary {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Never retry (5xx SMTP like 550, HTTP 400 bad request): dead-letter at once.
    #[error("permanent delivery failure: {reason}")]
    Permanent { reason: String },
    /// The push token/subscription is gone (FCM UNREGISTERED/404, APNs 410, Web Push 404/410): deactivate the device.
    #[error("recipient gone: {reason}")]
    Gone { reason: String },
}

impl DeliveryError {
    pub fn temporary(reason: impl Into<String>) -> Self {
        DeliveryError::Temporary {
            reason: reason.into(),
            retry_after: None,
        }
    }

    pub fn permanent(reason: impl Into<String>) -> Self {
        DeliveryError::Permanent {
            reason: reason.into(),
        }
    }

    pub fn gone(reason: impl Into<String>) -> Self {
        DeliveryError::Gone {
            reason: reason.into(),
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            DeliveryError::Temporary { reason, .. }
            | DeliveryError::Permanent { reason }
            | DeliveryError::Gone { reason } => reason,
        }
    }

    /// Whether the outbox may try this delivery again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Temporary { .. })
    }
}
