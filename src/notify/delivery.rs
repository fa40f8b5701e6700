//! The outbox worker: claims due messages, renders them in the recipient's language, sends
//! them by email or push, and records the outcome — sent, retried later with backoff (or the
//! server's `Retry-After`), or dead-lettered after `notifications.max_attempts` or a permanent
//! refusal. A push token the service says is gone deactivates its device. Mail to an address
//! that unsubscribed is not sent and is recorded as `suppressed` (see `notify::suppressions`).
//!
//! A message is sent at most once while its lease is held: the worker renews the message's
//! lease just before sending (and skips it if the lease ran out or passed to another worker),
//! cuts the attempt off at half the lease, and records the outcome only under its own claim.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde_json::Value;

use super::messages::{self, email_content, render};
use super::outbox::{self, Message};
use super::suppressions;
use super::{ApnsEnvironment, DeliveryError, EmailMessage, PushMessage};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::db::schema::{devices, users};
use crate::db::{DbConn, Pool};
use crate::domain::message::Template;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::metrics::Metrics;
use std::sync::Arc;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub sent: usize,
    pub retried: usize,
    pub dead: usize,
    /// Not sent: the address unsubscribed from this mail (see `notify::suppressions`).
    pub suppressed: usize,
    /// Messages this worker let go because its lease on them had passed (another worker took
    /// them over, or will): not sent, or sent but not recorded.
    pub lease_lost: usize,
}

impl Delivered {
    pub fn is_empty(&self) -> bool {
        *self == Delivered::default()
    }
}

/// Where a message goes, read at delivery time (a user may have changed address or language).
struct Recipient {
    email: Option<String>,
    name: Option<String>,
    lang: Lang,
    user_id: Option<i64>,
}

/// How an attempt that did not fail ended.
enum Done {
    Sent,
    /// The address asked for no more of this mail: nothing was sent.
    Suppressed,
}

struct PushTarget {
    platform: String,
    address: String,
    environment: Option<String>,
    p256dh: Option<String>,
    auth: Option<String>,
}

/// How long one attempt (looking the recipient up, rendering, sending) may take: half the
/// lease. Its lease is renewed just before, so the attempt ends while the lease still holds;
/// the other half is the margin for recording the outcome and for clocks that disagree
/// between hosts. Start-up checks that the transports' own timeouts fit inside it.
pub fn attempt_limit(lease_secs: i64) -> std::time::Duration {
    std::time::Duration::from_secs(lease_secs.max(0) as u64 / 2)
}

/// What the outbox worker works with: the database, the time, the transports, the settings it
/// applies and the metrics it counts in.
#[derive(Clone)]
pub struct Courier {
    pub pool: Pool,
    pub clock: SharedClock,
    pub settings: Arc<Settings>,
    pub mailer: Arc<super::Mailer>,
    pub push: Arc<super::Push>,
    pub metrics: Arc<Metrics>,
}

impl Courier {
    /// Runs synchronous database work on a blocking thread with a pooled connection.
    async fn db<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || f(&mut *pool.get()?))
            .await
            .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?
    }
}

/// Delivers due messages until none are left (or `max` have been tried).
pub async fn run(state: &Courier, max: usize) -> Result<Delivered, AppError> {
    let mut total = Delivered::default();
    let mut tried = 0;
    let lease = Duration::seconds(state.settings.notifications.lease_secs);
    let limit = attempt_limit(state.settings.notifications.lease_secs);
    let limit_chrono = Duration::from_std(limit).unwrap_or(lease / 2);
    while tried < max {
        let now = state.clock.now_naive();
        let batch = state.settings.notifications.batch_size;
        let claimed = state
            .db(move |conn| outbox::claim(conn, now, lease, batch))
            .await?;
        if claimed.is_empty() {
            break;
        }
        tried += claimed.len();
        for (i, m) in claimed.iter().enumerate() {
            let (Some(token), Some(batch_end)) = (m.claim_token.clone(), m.locked_until) else {
                continue;
            };
            let now = state.clock.now_naive();
            // A batch is bounded by its lease: what it could not start in time goes back to
            // the queue for any worker, rather than being sent after another took it.
            if now + limit_chrono > batch_end {
                let rest: Vec<i64> = claimed[i..].iter().map(|m| m.id).collect();
                state.db(move |c| outbox::release(c, &rest, &token)).await?;
                break;
            }
            let held = {
                let token = token.clone();
                let id = m.id;
                state
                    .db(move |c| outbox::renew(c, id, &token, now, now + lease))
                    .await?
            };
            if !held {
                lease_lost(state, m, &mut total, "lease lost before sending: not sent");
                continue;
            }
            let outcome = tokio::time::timeout(limit, deliver(state, m))
                .await
                .unwrap_or_else(|_| {
                    Err(DeliveryError::temporary(format!(
                        "no outcome within {} s (half the lease)",
                        limit.as_secs()
                    )))
                });
            record(state, m, &token, outcome, &mut total).await?;
        }
    }
    Ok(total)
}

fn lease_lost(state: &Courier, m: &Message, total: &mut Delivered, what: &'static str) {
    tracing::warn!(outbox_id = m.id, "{what}");
    state.metrics.observe_delivery(&m.channel, "lease_lost");
    total.lease_lost += 1;
}

async fn record(
    state: &Courier,
    m: &Message,
    token: &str,
    outcome: Result<Done, DeliveryError>,
    total: &mut Delivered,
) -> Result<(), AppError> {
    let now = state.clock.now_naive();
    let id = m.id;
    let last_try = m.attempts + 1 >= state.settings.notifications.max_attempts;
    let device = m.device_id;
    let token = token.to_string();
    match outcome {
        Ok(Done::Suppressed) => {
            if state
                .db(move |c| outbox::mark_suppressed(c, id, &token))
                .await?
            {
                state.metrics.observe_delivery(&m.channel, "suppressed");
                total.suppressed += 1;
            } else {
                lease_lost(
                    state,
                    m,
                    total,
                    "suppression not recorded: the lease had passed",
                );
            }
        }
        Ok(Done::Sent) => {
            if state
                .db(move |c| outbox::mark_sent(c, id, &token, now))
                .await?
            {
                state.metrics.observe_delivery(&m.channel, "sent");
                total.sent += 1;
            } else {
                // Only a worker frozen past its lease gets here: the new holder may send again.
                lease_lost(
                    state,
                    m,
                    total,
                    "sent, but the lease had passed to another worker",
                );
            }
        }
        Err(DeliveryError::Temporary {
            reason,
            retry_after,
        }) if !last_try => {
            // A server's Retry-After is honoured within reason: at least a second, at most a day.
            let wait = retry_after
                .map(|d| {
                    d.clamp(
                        std::time::Duration::from_secs(1),
                        std::time::Duration::from_secs(86_400),
                    )
                })
                .and_then(|d| Duration::from_std(d).ok())
                .unwrap_or_else(|| outbox::backoff(m.attempts));
            tracing::warn!(outbox_id = id, error = %redact(&reason), "delivery will be retried");
            if state
                .db(move |c| outbox::mark_retry(c, id, &token, now + wait, &reason))
                .await?
            {
                state.metrics.observe_delivery(&m.channel, "retried");
                total.retried += 1;
            } else {
                lease_lost(
                    state,
                    m,
                    total,
                    "failure not recorded: the lease had passed",
                );
            }
        }
        Err(e) => {
            let anonymous = serde_json::from_str::<Value>(&m.data)
                .ok()
                .and_then(|d| anonymous_device(&d));
            if let (DeliveryError::Gone { .. }, None, Some(id)) = (&e, device, anonymous) {
                state
                    .db(move |c| -> Result<_, AppError> {
                        crate::db::residents::delete_anonymous(c, id)?;
                        Ok(())
                    })
                    .await?;
            }
            if let (DeliveryError::Gone { .. }, Some(device_id)) = (&e, device) {
                state
                    .db(move |c| -> Result<_, AppError> {
                        diesel::update(devices::table.find(device_id))
                            .set((devices::active.eq(false), devices::updated_at.eq(now)))
                            .execute(c)?;
                        Ok(())
                    })
                    .await?;
            }
            let reason = e.reason().to_string();
            if state
                .db(move |c| outbox::mark_dead(c, id, &token, &reason))
                .await?
            {
                state.metrics.observe_delivery(&m.channel, "dead");
                total.dead += 1;
                tracing::warn!(outbox_id = id, error = %redact(e.reason()), "delivery dead-lettered");
            } else {
                lease_lost(
                    state,
                    m,
                    total,
                    "failure not recorded: the lease had passed",
                );
            }
        }
    }
    Ok(())
}

/// Server answers may echo addresses; logs keep only the first 200 characters of a reason.
fn redact(reason: &str) -> String {
    reason.chars().take(200).collect()
}

async fn recipient(state: &Courier, m: &Message) -> Result<Recipient, AppError> {
    let lang = Lang::parse(&m.locale).unwrap_or_default();
    match m.user_id {
        Some(uid) => {
            let row = state
                .db(move |c| -> Result<_, AppError> {
                    Ok(users::table
                        .find(uid)
                        .select((users::email, users::full_name, users::locale))
                        .first::<(Option<String>, String, String)>(c)
                        .optional()?)
                })
                .await?;
            Ok(match row {
                Some((email, name, locale)) => Recipient {
                    email: m.address.clone().or(email),
                    name: Some(name).filter(|n| !n.is_empty()),
                    lang: Lang::parse(&locale).unwrap_or(lang),
                    user_id: Some(uid),
                },
                None => Recipient {
                    email: None,
                    name: None,
                    lang,
                    user_id: None,
                },
            })
        }
        None => Ok(Recipient {
            email: m.address.clone(),
            name: None,
            lang,
            user_id: None,
        }),
    }
}

async fn deliver(state: &Courier, m: &Message) -> Result<Done, DeliveryError> {
    // A name this build does not know is dead-lettered, never sent with other words.
    let template = Template::parse(&m.template).ok_or_else(|| {
        DeliveryError::permanent(format!("unknown message template {:?}", m.template))
    })?;
    let data: Value = serde_json::from_str(&m.data).unwrap_or(Value::Null);
    let to = recipient(state, m)
        .await
        .map_err(|e| DeliveryError::temporary(format!("database: {e}")))?;
    match m.channel.as_str() {
        "email" => {
            let Some(address) = to.email else {
                return Err(DeliveryError::permanent(
                    "the recipient has no email address",
                ));
            };
            // Suppressions stop mail to addresses without an account (an account holder's own
            // preference was applied when the message was queued); account mail always goes.
            if m.user_id.is_none() && template.unsubscribable() {
                let (to_address, ticket) = (
                    address.clone(),
                    data.get("ticket_id").and_then(Value::as_i64),
                );
                let suppressed = state
                    .db(move |c| suppressions::applies(c, &to_address, ticket))
                    .await
                    .map_err(|e| DeliveryError::temporary(format!("database: {e}")))?;
                if suppressed {
                    return Ok(Done::Suppressed);
                }
            }
            let base = &state.settings.server.public_url;
            let content = email_content(template, to.lang, &data, base)
                .map_err(|e| DeliveryError::permanent(e.to_string()))?;
            let unsubscribe = template.unsubscribable().then(|| {
                crate::notify::links::unsubscribe_url(
                    &state.settings,
                    to.user_id,
                    data.get("ticket_id").and_then(Value::as_i64),
                    &address,
                )
            });
            let rendered = render(&content, to.lang, unsubscribe.as_deref())
                .map_err(|e| DeliveryError::permanent(e.to_string()))?;
            state
                .mailer
                .send(&EmailMessage {
                    to: address,
                    to_name: to.name,
                    subject: rendered.subject,
                    text: rendered.text,
                    html: rendered.html,
                    list_unsubscribe: unsubscribe,
                    language: to.lang.as_str().to_string(),
                    message_key: Some(crate::notify::links::message_key(
                        &state.settings.notifications.link_secret,
                        m.id,
                    )),
                })
                .await
                .map(|_| Done::Sent)
        }
        "push" => {
            let target = match (m.device_id, anonymous_device(&data)) {
                (Some(device_id), _) => push_target(state, device_id).await,
                // An app install without an account that follows areas (announcements).
                (None, Some(id)) => anonymous_push_target(state, id).await,
                (None, None) => return Err(DeliveryError::permanent("push without a device")),
            }
            .map_err(|e| DeliveryError::temporary(format!("database: {e}")))?;
            let Some(t) = target else {
                return Err(DeliveryError::gone("the device is no longer registered"));
            };
            let text = messages::push_text(template, to.lang, &data)
                .map_err(|e| DeliveryError::permanent(e.to_string()))?;
            let ticket_code = data.get("ticket_code").and_then(Value::as_str);
            let message = PushMessage {
                title: text.title,
                body: text.body,
                ticket_code: ticket_code.map(str::to_string),
                path: ticket_code.map(crate::notify::push::ticket_path),
                notification_id: data.get("notification_id").and_then(Value::as_i64),
                collapse_key: data
                    .get("ticket_code")
                    .and_then(Value::as_str)
                    .map(|c| format!("ticket-{c}")),
            };
            send_push(state, &t, &message).await.map(|()| Done::Sent)
        }
        other => Err(DeliveryError::permanent(format!("unknown channel {other}"))),
    }
}

/// The anonymous install a push without a device row goes to (`data.anonymous_device_id`).
fn anonymous_device(data: &Value) -> Option<i64> {
    data.get("anonymous_device_id").and_then(Value::as_i64)
}

async fn push_target(state: &Courier, device_id: i64) -> Result<Option<PushTarget>, AppError> {
    state
        .db(move |c| -> Result<_, AppError> {
            Ok(devices::table
                .find(device_id)
                .filter(devices::active.eq(true))
                .select((
                    devices::platform,
                    devices::address,
                    devices::environment,
                    devices::p256dh,
                    devices::auth_secret,
                ))
                .first::<(
                    String,
                    String,
                    Option<String>,
                    Option<String>,
                    Option<String>,
                )>(c)
                .optional()?)
        })
        .await
        .map(|row| {
            row.map(
                |(platform, address, environment, p256dh, auth)| PushTarget {
                    platform,
                    address,
                    environment,
                    p256dh,
                    auth,
                },
            )
        })
}

async fn anonymous_push_target(state: &Courier, id: i64) -> Result<Option<PushTarget>, AppError> {
    state
        .db(move |c| -> Result<_, AppError> {
            Ok(crate::db::residents::find_anonymous(c, id)?
                .filter(|d| d.active)
                .map(|d| PushTarget {
                    platform: d.platform,
                    address: d.address,
                    environment: d.environment,
                    p256dh: d.p256dh,
                    auth: d.auth_secret,
                }))
        })
        .await
}

async fn send_push(state: &Courier, t: &PushTarget, m: &PushMessage) -> Result<(), DeliveryError> {
    let off = || DeliveryError::permanent(format!("push to {} is not configured", t.platform));
    match t.platform.as_str() {
        "fcm" => {
            state
                .push
                .fcm
                .as_ref()
                .ok_or_else(off)?
                .send(&t.address, m)
                .await
        }
        "apns" => {
            let env = match t.environment.as_deref() {
                Some("sandbox") => ApnsEnvironment::Sandbox,
                _ => ApnsEnvironment::Production,
            };
            state
                .push
                .apns
                .as_ref()
                .ok_or_else(off)?
                .send(&t.address, env, m)
                .await
        }
        "webpush" => {
            let (Some(p256dh), Some(auth)) = (&t.p256dh, &t.auth) else {
                return Err(DeliveryError::gone("subscription keys missing"));
            };
            state
                .push
                .webpush
                .as_ref()
                .ok_or_else(off)?
                .send(&t.address, p256dh, auth, m)
                .await
        }
        other => Err(DeliveryError::permanent(format!(
            "unknown platform {other}"
        ))),
    }
}

/// When the next quiet period ends, if `at` (UTC) falls inside one: pushes wait until then.
pub fn after_quiet_hours(
    at: NaiveDateTime,
    tz: chrono_tz::Tz,
    start: chrono::NaiveTime,
    end: chrono::NaiveTime,
) -> Option<NaiveDateTime> {
    use chrono::TimeZone;
    let local = tz.from_utc_datetime(&at);
    let t = local.time();
    let inside = if start <= end {
        t >= start && t < end
    } else {
        t >= start || t < end
    };
    if !inside {
        return None;
    }
    let mut day = local.date_naive();
    if t >= start && start > end {
        day = day.succ_opt()?;
    }
    let wake = day.and_time(end);
    tz.from_local_datetime(&wake)
        .earliest()
        .map(|d| d.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn quiet_hours_hold_pushes_until_morning() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let (start, end) = (
            NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(6, 0, 0).unwrap(),
        );
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // 23:30 local (16:30 UTC) → 06:00 local next day (23:00 UTC).
        assert_eq!(
            after_quiet_hours(at("2026-11-23 16:30"), tz, start, end),
            Some(at("2026-11-23 23:00"))
        );
        // 03:00 local (20:00 UTC the day before) → 06:00 local the same day.
        assert_eq!(
            after_quiet_hours(at("2026-11-22 20:00"), tz, start, end),
            Some(at("2026-11-22 23:00"))
        );
        // 12:00 local: not quiet.
        assert_eq!(
            after_quiet_hours(at("2026-11-23 05:00"), tz, start, end),
            None
        );
    }
}
