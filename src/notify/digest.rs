//! The daily digest: the messages a staff member chose to receive as a digest (see
//! `domain::preferences`) wait here, and once a day, at the person's digest hour (local
//! time), the jobs pass turns them into ONE email (and one push per device) listing the
//! tickets and what happened to them.
//!
//! Once per day, even with several workers: sending claims the person's local day by
//! inserting a `digests` row keyed (user, local date) in the same transaction that takes the
//! waiting items and queues the messages. A second worker's insert finds the key taken and
//! does nothing; its transaction sees no items left either way.
//!
//! An item queued after today's digest hour waits for tomorrow's digest; items left from
//! before it (the workers were down at the hour) go out with the first pass after it.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde_json::{Value, json};

use super::messages::DIGEST_MAX_LINES;
use super::outbox::{self, Channel, NewMessage};
use super::recipients::Delivery;
use crate::db::schema::{devices, digest_items, digests, users};
use crate::db::{self, DbConn};
use crate::domain::message::Template;
use crate::domain::preferences::DEFAULT_DIGEST_HOUR;
use crate::error::AppError;
use crate::i18n::Lang;

/// A message that waits for its recipient's digest.
#[derive(Debug, Clone)]
pub struct Item {
    pub user_id: i64,
    pub channel: Channel,
    pub template: Template,
    pub data: Value,
    pub dedup_key: String,
}

/// Queues `items` for their recipients' next digests, skipping dedup keys already queued.
/// Call inside the transaction that makes the change.
pub fn queue_all(conn: &mut DbConn, items: &[Item], now: NaiveDateTime) -> Result<usize, AppError> {
    let rows: Vec<_> = items
        .iter()
        .map(|i| {
            (
                digest_items::user_id.eq(i.user_id),
                digest_items::channel.eq(i.channel.as_str()),
                digest_items::template.eq(i.template.as_str()),
                digest_items::data.eq(i.data.to_string()),
                digest_items::dedup_key.eq(&i.dedup_key),
                digest_items::created_at.eq(now),
            )
        })
        .collect();
    let mut added = 0;
    for part in rows.chunks(1_000) {
        added += db::insert_new_only!(conn, diesel::insert_into(digest_items::table).values(part))?;
    }
    Ok(added)
}

/// The instant of `hour`:00 local time on the local day `day`.
fn moment(tz: Tz, day: NaiveDate, hour: u8) -> Option<NaiveDateTime> {
    let local = day.and_hms_opt(u32::from(hour), 0, 0)?;
    tz.from_local_datetime(&local)
        .earliest()
        .map(|d| d.naive_utc())
}

/// Sends the digests that are due as of `now`; returns how many people got one.
pub fn run(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    tz: Tz,
    delivery: &Delivery,
) -> Result<usize, AppError> {
    let today = now.with_timezone(&tz).date_naive();
    let naive_now = now.naive_utc();
    // Who has something waiting, and since when.
    let waiting: Vec<(i64, Option<NaiveDateTime>)> = digest_items::table
        .group_by(digest_items::user_id)
        .select((
            digest_items::user_id,
            diesel::dsl::min(digest_items::created_at),
        ))
        .load(conn)?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = waiting.iter().map(|w| w.0).collect();
    let prefs = db::preferences::load_many(conn, &ids)?;
    let mut sent = 0;
    for (user_id, oldest) in waiting {
        let hour = prefs
            .get(&user_id)
            .map_or(DEFAULT_DIGEST_HOUR, |p| p.digest_hour());
        let Some(at) = moment(tz, today, hour) else {
            continue;
        };
        if naive_now < at || oldest.is_none_or(|o| o >= at) {
            continue;
        }
        // Sent today already (items that came after it wait for tomorrow's).
        let done = diesel::select(diesel::dsl::exists(digests::table.find((user_id, today))))
            .get_result::<bool>(conn)?;
        if done {
            continue;
        }
        let taken = db::write(conn, |c| {
            send_one(c, user_id, today, at, naive_now, delivery)
        })?;
        sent += usize::from(taken);
    }
    // A claim matters only on its own day; a month of them is plenty to look back on.
    diesel::delete(digests::table.filter(digests::local_date.lt(today - Duration::days(31))))
        .execute(conn)?;
    Ok(sent)
}

/// Claims `user_id`'s digest of `today` and queues it with the items waiting from before
/// `at`. `false`: another pass claimed it first, or nothing was waiting.
fn send_one(
    conn: &mut DbConn,
    user_id: i64,
    today: NaiveDate,
    at: NaiveDateTime,
    now: NaiveDateTime,
    delivery: &Delivery,
) -> Result<bool, AppError> {
    let items: Vec<(i64, String, String, String)> = digest_items::table
        .filter(digest_items::user_id.eq(user_id))
        .filter(digest_items::created_at.lt(at))
        .order(digest_items::id.asc())
        .select((
            digest_items::id,
            digest_items::channel,
            digest_items::template,
            digest_items::data,
        ))
        .load(conn)?;
    if items.is_empty() {
        return Ok(false);
    }
    let claimed = db::insert_new_only!(
        conn,
        diesel::insert_into(digests::table).values((
            digests::user_id.eq(user_id),
            digests::local_date.eq(today),
            digests::items.eq(items.len() as i32),
            digests::created_at.eq(now),
        ))
    )?;
    if claimed == 0 {
        return Ok(false);
    }
    let ids: Vec<i64> = items.iter().map(|i| i.0).collect();
    for part in ids.chunks(1_000) {
        diesel::delete(digest_items::table.filter(digest_items::id.eq_any(part))).execute(conn)?;
    }
    let person = users::table
        .find(user_id)
        .filter(users::disabled.eq(false))
        .select((
            users::email,
            users::locale,
            users::notify_email,
            users::notify_push,
        ))
        .first::<(Option<String>, String, bool, bool)>(conn)
        .optional()?;
    let Some((email, locale, by_email, by_push)) = person else {
        // A disabled account's digest is dropped with its items.
        return Ok(true);
    };
    let lang = Lang::parse(&locale).unwrap_or_default();
    let mut by_channel: HashMap<&str, Vec<Value>> = HashMap::new();
    for (_, channel, template, data) in &items {
        let data: Value = serde_json::from_str(data).map_err(|e| {
            AppError::internal(format!(
                "digest item of user {user_id}: unreadable data: {e}"
            ))
        })?;
        by_channel
            .entry(channel.as_str())
            .or_default()
            .push(json!({"template": template, "data": data}));
    }
    let date = today.format("%d/%m/%Y").to_string();
    let content = |lines: &[Value]| {
        let shown = lines.len().min(DIGEST_MAX_LINES);
        json!({
            "date": date,
            "items": lines[..shown],
            "more": lines.len() - shown,
        })
    };
    let mut messages = Vec::new();
    if let (Some(lines), Some(_), true) = (by_channel.get("email"), &email, by_email) {
        messages.push(NewMessage {
            channel: Channel::Email,
            user_id: Some(user_id),
            address: None,
            device_id: None,
            template: Template::DailyDigest,
            locale: lang,
            data: content(lines),
            dedup_key: format!("digest:{user_id}:{today}:email"),
            not_before: None,
        });
    }
    if let (Some(lines), true) = (by_channel.get("push"), by_push) {
        let targets = devices::table
            .filter(devices::user_id.eq(user_id))
            .filter(devices::active.eq(true))
            .order(devices::id.asc())
            .select((devices::id, devices::platform))
            .load::<(i64, String)>(conn)?;
        for (device_id, platform) in targets {
            if !delivery.push.allows(&platform) {
                continue;
            }
            messages.push(NewMessage {
                channel: Channel::Push,
                user_id: Some(user_id),
                address: None,
                device_id: Some(device_id),
                template: Template::DailyDigest,
                locale: lang,
                data: content(lines),
                dedup_key: format!("digest:{user_id}:{today}:push:{device_id}"),
                not_before: delivery.push_not_before,
            });
        }
    }
    outbox::enqueue_all(conn, &messages, now)?;
    Ok(true)
}

/// Forgets what waits for an erased account's digests.
pub fn erase(conn: &mut DbConn, user_id: i64) -> Result<(), AppError> {
    diesel::delete(digest_items::table.filter(digest_items::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(digests::table.filter(digests::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_hour_is_local_time() {
        let tz = chrono_tz::Asia::Ho_Chi_Minh;
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        // 07:00 in Hà Nội is 00:00 UTC; 03:00 local is 20:00 UTC the day before.
        assert_eq!(
            moment(tz, day, 7).unwrap().to_string(),
            "2026-12-07 00:00:00"
        );
        assert_eq!(
            moment(tz, day, 3).unwrap().to_string(),
            "2026-12-06 20:00:00"
        );
    }
}
