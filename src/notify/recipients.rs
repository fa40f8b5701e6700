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
use crate::db::schema::{units, users};
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
        let unique = unique(recipients);
        let mut written = 0;
        // A few statements per 500 people told, not a few per person: a sweep escalates
        // hundreds of tickets in one pass, each to a dozen people, and a petition's answer goes
        // to all its supporters. The parts keep each statement well below the databases'
        // limits on parameters.
        for part in unique.chunks(500) {
            written += self.tell_all(conn, &[(part.to_vec(), template)], data, event_key, now)?;
        }
        Ok(written)
    }

    /// Several messages about one event at once (the submitter's and the unit's): one
    /// statement per table for all of them, not one per message. Each list of recipients is
    /// told once per person; keep the lists to a few hundred people (see [`People::tell`]).
    pub fn tell_all(
        &mut self,
        conn: &mut DbConn,
        told: &[(Vec<&To>, Template)],
        data: &Value,
        event_key: &str,
        now: NaiveDateTime,
    ) -> Result<usize, AppError> {
        let told: Vec<(Vec<&To>, Template)> = told
            .iter()
            .map(|(to, template)| (unique(to.iter().copied()), *template))
            .collect();
        self.learn_all(conn, told.iter().flat_map(|(to, _)| to.iter().copied()))?;
        let keys: Vec<String> = told
            .iter()
            .map(|(_, template)| format!("{event_key}:{}", template.as_str()))
            .collect();
        let mut rows: Vec<(i64, Template, &str)> = Vec::new();
        for ((to, template), key) in told.iter().zip(&keys) {
            for person in to.iter() {
                if let To::User(id) = person
                    && self.person(*id).is_some()
                {
                    rows.push((*id, *template, key.as_str()));
                }
            }
        }
        let listed = in_app::add_each(conn, &rows, data, now)?;
        let mut messages = Vec::new();
        let mut waiting = Vec::new();
        for (to, template) in &told {
            for person in to {
                self.compose(
                    person,
                    *template,
                    data,
                    event_key,
                    &listed,
                    &mut messages,
                    &mut waiting,
                );
            }
        }
        digest::queue_all(conn, &waiting, now)?;
        outbox::enqueue_all(conn, &messages, now)
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
        for found in crate::db::preferences::people(conn, &missing)? {
            let devices = found
                .devices
                .iter()
                .filter(|(_, platform)| self.delivery.push.allows(platform))
                .map(|(id, _)| *id)
                .collect();
            let person = Person {
                has_email: found.email.is_some(),
                lang: Lang::parse(&found.locale).unwrap_or_default(),
                by_email: found.notify_email,
                devices,
                prefs: found.prefs.unwrap_or_default(),
            };
            self.known.insert(found.id, Some(person));
        }
        for id in missing {
            self.known.entry(id).or_insert(None);
        }
        Ok(())
    }

    fn person(&self, id: i64) -> Option<&Person> {
        self.known.get(&id).and_then(Option::as_ref)
    }

    /// The messages (and digest lines) that tell `to` of an event, by their preferences.
    #[allow(clippy::too_many_arguments)]
    fn compose(
        &self,
        to: &To,
        template: Template,
        data: &Value,
        event_key: &str,
        listed: &HashMap<(i64, Template), i64>,
        messages: &mut Vec<NewMessage>,
        waiting: &mut Vec<Item>,
    ) {
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
                return;
            }
            To::User(id) => match self.person(*id) {
                Some(p) => (*id, p),
                None => return,
            },
        };
        let mut choice = p.prefs.for_template(template);
        if self
            .email_only_to
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
            return;
        }
        let mut pushed = data.clone();
        pushed["notification_id"] = json!(listed.get(&(id, template)));
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
                not_before: self.delivery.push_not_before,
            });
        }
    }
}

/// Each recipient once, in the order first named.
fn unique<'a>(recipients: impl IntoIterator<Item = &'a To>) -> Vec<&'a To> {
    let mut seen = std::collections::HashSet::new();
    recipients
        .into_iter()
        .filter(|to| seen.insert(*to))
        .collect()
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
    // The unit's mailbox and its active officials in one statement: the unit's row, joined
    // to each official (none: one row with no official).
    let rows: Vec<(Option<String>, Option<i64>)> = units::table
        .left_join(
            users::table.on(users::unit_id
                .eq(units::id.nullable())
                .and(users::role.eq("official"))
                .and(users::disabled.eq(false))),
        )
        .filter(units::id.eq(unit_id))
        .order(users::id.asc())
        .select((units::email, users::id.nullable()))
        .load(conn)?;
    let mailbox = rows.first().and_then(|(m, _)| m.clone());
    let mut out: Vec<To> = rows
        .into_iter()
        .filter_map(|(_, id)| id.map(To::User))
        .collect();
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
