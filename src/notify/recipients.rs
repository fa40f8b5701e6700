//! Who is told what. Each ticket event names an audience; this writes one outbox row per
//! recipient and channel, in the same transaction as the event, honouring each person's
//! preferences — the account's email and push switches, and a staff member's choice per
//! event (`domain::preferences`): at once, into the daily digest (`notify::digest`), or not
//! on that channel — and one in-app notification per person with an account. A denouncer's
//! identity never appears: messages to others carry the ticket's code and category, not who
//! sent it (nor, for a denunciation, its title).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::digest::{self, Item};
use super::in_app;
use super::outbox::{self, Channel, NewMessage};
use crate::db::DbConn;
use crate::db::schema::{devices, units, users};
use crate::domain::message::Template;
use crate::domain::preferences::{Choice, Preferences};
use crate::error::AppError;
use crate::i18n::Lang;

/// Which push services are configured: pushes are only queued for those.
#[derive(Debug, Clone, Copy, Default)]
pub struct PushChannels {
    pub fcm: bool,
    pub apns: bool,
    pub webpush: bool,
}

impl PushChannels {
    pub fn of(push: &crate::notify::Push) -> Self {
        PushChannels {
            fcm: push.fcm.is_some(),
            apns: push.apns.is_some(),
            webpush: push.webpush.is_some(),
        }
    }

    /// Whether pushes to devices of `platform` are queued.
    pub fn allows(&self, platform: &str) -> bool {
        match platform {
            "fcm" => self.fcm,
            "apns" => self.apns,
            "webpush" => self.webpush,
            _ => false,
        }
    }
}

/// Everything that shapes delivery, from settings.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub push: PushChannels,
    /// When pushes queued now may go (after quiet hours), if not now.
    pub push_not_before: Option<NaiveDateTime>,
}

/// A person to tell.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum To {
    User(i64),
    /// An address without an account: an anonymous submitter's contact, a unit's mailbox.
    Address(String, Lang),
}

/// Queues `template` with `data` for each recipient (email and push, by preference), with
/// dedup keys made from `event_key`. Returns how many rows were written.
pub fn tell(
    conn: &mut DbConn,
    recipients: &[To],
    template: Template,
    data: &Value,
    event_key: &str,
    delivery: &Delivery,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    People::new(delivery.clone()).tell(conn, recipients, template, data, event_key, now)
}

/// The people [`People::tell`] has looked up (preferences, language, devices), kept for the
/// calls that follow: a sweep tells the same officials about many tickets. Keep one no longer
/// than a pass, as it does not see later changes to the accounts.
pub struct People {
    delivery: Delivery,
    known: HashMap<i64, Option<Person>>,
    /// When set, email goes only to these people (an announcement: those who opted in).
    email_only_to: Option<std::collections::HashSet<i64>>,
}

impl People {
    pub fn new(delivery: Delivery) -> Self {
        People {
            delivery,
            known: HashMap::new(),
            email_only_to: None,
        }
    }

    /// Emails only the people of `ids` (the others are still told in the app and by push).
    pub fn email_only_to(mut self, ids: std::collections::HashSet<i64>) -> Self {
        self.email_only_to = Some(ids);
        self
    }

    /// [`tell`], with what this value already knows of the people.
    pub fn tell(
        &mut self,
        conn: &mut DbConn,
        recipients: &[To],
        template: Template,
        data: &Value,
        event_key: &str,
        now: NaiveDateTime,
    ) -> Result<usize, AppError> {
        let mut unique: Vec<&To> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for to in recipients {
            if seen.insert(to) {
                unique.push(to);
            }
        }
        let mut written = 0;
        // A few statements per 500 people told, not a few per person: a sweep escalates
        // hundreds of tickets in one pass, each to a dozen people, and a petition's answer goes
        // to all its supporters. The parts keep each statement well below the databases'
        // limits on parameters.
        for part in unique.chunks(500) {
            written += self.tell_some(conn, part, template, data, event_key, now)?;
        }
        Ok(written)
    }

    /// Looks up, in one go, the people among `recipients` not known yet: for a caller that
    /// tells several groups in a row (the submitter, then the unit).
    pub fn learn_all<'a>(
        &mut self,
        conn: &mut DbConn,
        recipients: impl IntoIterator<Item = &'a To>,
    ) -> Result<(), AppError> {
        let ids: Vec<i64> = recipients
            .into_iter()
            .filter_map(|to| match to {
                To::User(id) => Some(*id),
                To::Address(..) => None,
            })
            .collect();
        for part in ids.chunks(500) {
            self.learn(conn, part)?;
        }
        Ok(())
    }

    /// Looks up the people of `ids` not known yet (unknown or disabled: `None`).
    fn learn(&mut self, conn: &mut DbConn, ids: &[i64]) -> Result<(), AppError> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.known.contains_key(id))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let found = users::table
            .filter(users::id.eq_any(&missing))
            .filter(users::disabled.eq(false))
            .select((
                users::id,
                users::email,
                users::locale,
                users::notify_email,
                users::notify_push,
            ))
            .load::<(i64, Option<String>, String, bool, bool)>(conn)?;
        let pushed_to: Vec<i64> = found.iter().filter(|u| u.4).map(|u| u.0).collect();
        let found_ids: Vec<i64> = found.iter().map(|u| u.0).collect();
        let mut prefs = crate::db::preferences::load_many(conn, &found_ids)?;
        for (id, email, locale, by_email, _) in found {
            let person = Person {
                has_email: email.is_some(),
                lang: Lang::parse(&locale).unwrap_or_default(),
                by_email,
                devices: Vec::new(),
                prefs: prefs.remove(&id).unwrap_or_default(),
            };
            self.known.insert(id, Some(person));
        }
        if !pushed_to.is_empty() {
            let devices = devices::table
                .filter(devices::user_id.eq_any(&pushed_to))
                .filter(devices::active.eq(true))
                .order(devices::id.asc())
                .select((devices::user_id, devices::id, devices::platform))
                .load::<(i64, i64, String)>(conn)?;
            for (user, device, platform) in devices {
                if self.delivery.push.allows(&platform)
                    && let Some(Some(p)) = self.known.get_mut(&user)
                {
                    p.devices.push(device);
                }
            }
        }
        for id in missing {
            self.known.entry(id).or_insert(None);
        }
        Ok(())
    }

    fn tell_some(
        &mut self,
        conn: &mut DbConn,
        unique: &[&To],
        template: Template,
        data: &Value,
        event_key: &str,
        now: NaiveDateTime,
    ) -> Result<usize, AppError> {
        let ids: Vec<i64> = unique
            .iter()
            .filter_map(|to| match to {
                To::User(id) => Some(*id),
                To::Address(..) => None,
            })
            .collect();
        self.learn(conn, &ids)?;
        let people = &self.known;
        let delivery = &self.delivery;
        let email_only_to = &self.email_only_to;
        let person = |id: &i64| people.get(id).and_then(Option::as_ref);
        let listed_users: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| person(id).is_some())
            .collect();
        let listed = in_app::add_all(
            conn,
            &listed_users,
            template,
            data,
            &format!("{event_key}:{}", template.as_str()),
            now,
        )?;

        let mut messages = Vec::new();
        let mut waiting = Vec::new();
        for &to in unique {
            let (id, p) = match to {
                To::Address(address, lang) => {
                    messages.push(NewMessage {
                        channel: Channel::Email,
                        user_id: None,
                        address: Some(address.clone()),
                        device_id: None,
                        template,
                        locale: *lang,
                        data: data.clone(),
                        dedup_key: format!("{event_key}:{}:addr:{address}", template.as_str()),
                        not_before: None,
                    });
                    continue;
                }
                To::User(id) => match person(id) {
                    Some(p) => (*id, p),
                    None => continue,
                },
            };
            let mut choice = p.prefs.for_template(template);
            if email_only_to
                .as_ref()
                .is_some_and(|only| !only.contains(&id))
            {
                choice.email = Choice::Off;
            }
            let for_digest = |channel: Channel| Item {
                user_id: id,
                channel,
                template,
                data: data.clone(),
                dedup_key: format!(
                    "{event_key}:{}:user:{id}:{}:digest",
                    template.as_str(),
                    channel.as_str()
                ),
            };
            if p.by_email && p.has_email && choice.email == Choice::Digest {
                waiting.push(for_digest(Channel::Email));
            }
            if !p.devices.is_empty() && choice.push == Choice::Digest {
                waiting.push(for_digest(Channel::Push));
            }
            if p.by_email && p.has_email && choice.email == Choice::Immediate {
                messages.push(NewMessage {
                    channel: Channel::Email,
                    user_id: Some(id),
                    address: None,
                    device_id: None,
                    template,
                    locale: p.lang,
                    data: data.clone(),
                    dedup_key: format!("{event_key}:{}:user:{id}:email", template.as_str()),
                    not_before: None,
                });
            }
            // The push names its in-app row, so the app can open it and mark it read.
            if choice.push != Choice::Immediate {
                continue;
            }
            let mut pushed = data.clone();
            pushed["notification_id"] = json!(listed.get(&id));
            for device_id in &p.devices {
                messages.push(NewMessage {
                    channel: Channel::Push,
                    user_id: Some(id),
                    address: None,
                    device_id: Some(*device_id),
                    template,
                    locale: p.lang,
                    data: pushed.clone(),
                    dedup_key: format!(
                        "{event_key}:{}:user:{id}:push:{device_id}",
                        template.as_str()
                    ),
                    not_before: delivery.push_not_before,
                });
            }
        }
        digest::queue_all(conn, &waiting, now)?;
        outbox::enqueue_all(conn, &messages, now)
    }
}

/// What `tell` needs to know of a person with an account.
struct Person {
    has_email: bool,
    lang: Lang,
    by_email: bool,
    /// Active devices on a configured push service (none when the person turned push off).
    devices: Vec<i64>,
    /// How each staff event reaches them (the defaults for a citizen: their messages have no
    /// event, and go at once).
    prefs: Preferences,
}

/// The active officials of a unit, and the unit's own mailbox.
pub fn unit_staff(conn: &mut DbConn, unit_id: i64) -> Result<Vec<To>, AppError> {
    let mut out: Vec<To> = users::table
        .filter(users::unit_id.eq(unit_id))
        .filter(users::role.eq("official"))
        .filter(users::disabled.eq(false))
        .order(users::id.asc())
        .select(users::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(To::User)
        .collect();
    let mailbox = units::table
        .find(unit_id)
        .select(units::email)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    if let Some(address) = mailbox {
        out.push(To::Address(address, Lang::Vi));
    }
    Ok(out)
}

/// Supervisors who oversee `unit_id` or one of its ancestors.
pub fn supervisors_over(conn: &mut DbConn, unit_id: i64) -> Result<Vec<To>, AppError> {
    let mut chain = vec![unit_id];
    chain.extend(crate::db::units::ancestors(conn, unit_id)?);
    Ok(users::table
        .filter(users::unit_id.eq_any(&chain))
        .filter(users::role.eq("supervisor"))
        .filter(users::disabled.eq(false))
        .order(users::id.asc())
        .select(users::id)
        .load::<i64>(conn)?
        .into_iter()
        .map(To::User)
        .collect())
}

/// The data every ticket message carries: its code and what a recipient may see.
pub fn ticket_data(code: &str, ticket_id: i64, title: Option<&str>, extra: Value) -> Value {
    let mut data = json!({"ticket_code": code, "ticket_id": ticket_id});
    if let Some(t) = title {
        data["title"] = json!(t);
    }
    if let (Some(obj), Value::Object(more)) = (data.as_object_mut(), extra) {
        obj.extend(more);
    }
    data
}
