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
use crate::db::schema::users;
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
    /// The active officials of a unit, found with the people told in the same lookup.
    Staff(i64),
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
    /// The active officials of each unit looked up, by id.
    staff: HashMap<i64, Vec<i64>>,
    /// When set, email goes only to these people (an announcement: those who opted in).
    email_only_to: Option<std::collections::HashSet<i64>>,
}

impl People {
    pub fn new(delivery: Delivery) -> Self {
        People {
            delivery,
            known: HashMap::new(),
            staff: HashMap::new(),
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
        self.learn_all(conn, told.iter().flat_map(|(to, _)| to.iter().copied()))?;
        // A unit's staff stands for its officials, now known.
        let told: Vec<(Vec<To>, Template)> = told
            .iter()
            .map(|(to, template)| {
                let each = to.iter().flat_map(|r| match r {
                    To::Staff(unit) => self.staff.get(unit).map_or(Vec::new(), |ids| {
                        ids.iter().map(|id| To::User(*id)).collect()
                    }),
                    other => vec![(*other).clone()],
                });
                (unique_owned(each), *template)
            })
            .collect();
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
        let mut ids = Vec::new();
        let mut units = Vec::new();
        for to in recipients {
            match to {
                To::User(id) => ids.push(*id),
                To::Staff(unit) if !self.staff.contains_key(unit) && !units.contains(unit) => {
                    units.push(*unit)
                }
                To::Staff(_) | To::Address(..) => {}
            }
        }
        let mut parts = ids.chunks(500);
        // The units' staff with the first part: one statement for an event's few people.
        self.learn(conn, parts.next().unwrap_or_default(), &units)?;
        for part in parts {
            self.learn(conn, part, &[])?;
        }
        Ok(())
    }

    /// Looks up the people of `ids` not known yet (unknown or disabled: `None`), and the
    /// active officials of `units`.
    fn learn(&mut self, conn: &mut DbConn, ids: &[i64], units: &[i64]) -> Result<(), AppError> {
        let missing: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !self.known.contains_key(id))
            .collect();
        if missing.is_empty() && units.is_empty() {
            return Ok(());
        }
        for unit in units {
            self.staff.insert(*unit, Vec::new());
        }
        for found in crate::db::preferences::people(conn, &missing, units)? {
            if let Some(unit) = found.official_of.filter(|u| units.contains(u)) {
                self.staff.entry(unit).or_default().push(found.id);
            }
            let devices = found
                .devices
                .iter()
                .filter(|(_, platform)| self.delivery.push.allows(platform))
                .map(|(id, _)| *id)
                .collect();
            let person = Person {
                contact: (found.name, found.email.clone(), found.phone),
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

    /// The name, email and phone of an active account told (or looked up) here.
    pub fn contact(&self, id: i64) -> Option<&crate::db::tickets::Contact> {
        self.person(id).map(|p| &p.contact)
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
            // Stood for its officials before this is called.
            To::Staff(_) => return,
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

/// [`unique`] of owned recipients.
fn unique_owned(recipients: impl IntoIterator<Item = To>) -> Vec<To> {
    let mut seen = std::collections::HashSet::new();
    recipients
        .into_iter()
        .filter(|to| seen.insert(to.clone()))
        .collect()
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
    /// Name, email, phone.
    contact: crate::db::tickets::Contact,
    has_email: bool,
    lang: Lang,
    by_email: bool,
    /// Active devices on a configured push service (none when the person turned push off).
    devices: Vec<i64>,
    /// How each staff event reaches them (the defaults for a citizen: their messages have no
    /// event, and go at once).
    prefs: Preferences,
}

/// The active officials of a unit (found when the message is written, with the other people
/// told), and the unit's own mailbox (from the reference data).
pub fn unit_staff(refs: &crate::db::reference::Snapshot, unit_id: i64) -> Vec<To> {
    let mut out = vec![To::Staff(unit_id)];
    if let Some(address) = refs.unit(unit_id).and_then(|u| u.email.clone()) {
        out.push(To::Address(address, Lang::Vi));
    }
    out
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
