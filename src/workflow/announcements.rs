//! "Dân biết": officials of a unit make things known to the residents of its areas. Drafts
//! are edited freely; publishing makes an announcement public at its `publish_at` (now, or a
//! later moment, until which it may still be edited); a published one is withdrawn with a
//! reason, never deleted. Every version goes to the announcement's history, and each change
//! to the hash-chained audit trail (`admin_audit`: `announcement.create|edit|publish|withdraw`).
//!
//! Residents are told through the jobs, not in the request: publishing schedules a fan-out
//! that [`fan_out`] runs in batches — each batch's in-app rows, pushes and emails commit with
//! the position it reached, and dedup keys make a repeated batch write nothing twice.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use crate::auth::CurrentUser;
use crate::db::announcements::{self as store, Announcement, FeedKey, Fields, Filter, Key};
use crate::db::schema::unit_areas;
use crate::db::{self, DbConn, residents};
use crate::domain::account::Role;
use crate::domain::announcement::{
    MAX_TARGET_AREAS, Standing, State, Topic, feed_codes, outside_unit,
};
use crate::domain::message::Template;
use crate::domain::text::{contains_pattern, fold};
use crate::error::{AppError, FieldError};
use crate::i18n::Lang;
use crate::notify::outbox::{Channel, NewMessage};
use crate::notify::recipients::{Delivery, People, To};
use crate::validation::Violations;

/// What an official writes: a new announcement, or a draft's (or scheduled one's) new text.
#[derive(Debug, Clone)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub topic: String,
    pub area_codes: Vec<String>,
    pub attachments: Vec<String>,
    pub publish_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub pinned: bool,
}

/// An announcement with what its readers see besides the row.
#[derive(Debug, Clone)]
pub struct Read {
    pub row: Announcement,
    pub area_codes: Vec<String>,
    pub attachments: Vec<String>,
    pub unit_name: String,
    /// When the caller read it (signed-in readers).
    pub read_at: Option<NaiveDateTime>,
}

impl Read {
    pub fn state(&self) -> State {
        State::parse(&self.row.state).unwrap_or(State::Draft)
    }
}

fn standing(a: &Announcement) -> Result<Standing, AppError> {
    let state = State::parse(&a.state).ok_or_else(|| {
        AppError::internal(format!(
            "announcement {}: unknown state {:?}",
            a.id, a.state
        ))
    })?;
    Ok(Standing {
        state,
        publish_at: a.publish_at,
    })
}

/// Checks a draft; returns the row's fields and the target areas.
fn check(
    conn: &mut DbConn,
    d: &Draft,
    unit_id: i64,
    uploader: i64,
    editing: Option<i64>,
    now: NaiveDateTime,
) -> Result<(Fields, Vec<String>), AppError> {
    let mut v = Violations::new();
    let title = v.line("/title", &d.title, 1, 200);
    let body = v.text("/body", &d.body, 1, 20_000);
    if Topic::parse(&d.topic).is_none() {
        v.add("/topic", "invalid_value");
    }
    let mut codes: Vec<String> = Vec::new();
    for c in &d.area_codes {
        let c = c.trim().to_string();
        if !codes.contains(&c) {
            codes.push(c);
        }
    }
    if codes.is_empty() {
        v.add("/area_codes", "required");
    } else if codes.len() > MAX_TARGET_AREAS {
        v.add_error(FieldError::new("/area_codes", "too_many").arg("max", MAX_TARGET_AREAS));
    }
    let places = residents::places(conn, &codes)?;
    for (i, c) in d.area_codes.iter().enumerate() {
        if !places.iter().any(|p| p.code == c.trim()) {
            v.add(&format!("/area_codes/{i}"), "unknown_area");
        }
    }
    if let (Some(p), Some(e)) = (d.publish_at, d.expires_at)
        && e <= p
    {
        v.add("/expires_at", "before_publish_at");
    }
    if d.expires_at.is_some_and(|e| e <= now) {
        v.add("/expires_at", "in_the_past");
    }
    if d.attachments.len() > 10 {
        v.add_error(FieldError::new("/attachments", "too_many").arg("max", 10));
    }
    for (i, id) in d.attachments.iter().enumerate() {
        if !attachable(conn, id, uploader, editing)? {
            v.add(&format!("/attachments/{i}"), "unknown_upload");
        }
    }
    v.finish()?;
    within_unit(conn, unit_id, &places, &d.area_codes)?;
    Ok((
        Fields {
            search_text: fold(&format!("{title} {body}")),
            topic: d.topic.clone(),
            title,
            body,
            attachments: serde_json::to_string(&d.attachments).unwrap_or_else(|_| "[]".into()),
            pinned: d.pinned,
            publish_at: d.publish_at,
            expires_at: d.expires_at,
        },
        codes,
    ))
}

/// An upload the official sent that is on no ticket, consultation or other announcement.
fn attachable(
    conn: &mut DbConn,
    id: &str,
    uploader: i64,
    editing: Option<i64>,
) -> Result<bool, AppError> {
    use crate::db::schema::{announcement_attachments, uploads};
    use diesel::prelude::*;
    let mine = uploads::table
        .filter(uploads::id.eq(id))
        .filter(uploads::uploader_id.eq(uploader))
        .filter(uploads::ticket_id.is_null())
        .count()
        .get_result::<i64>(conn)?
        == 1;
    let elsewhere: Option<i64> = announcement_attachments::table
        .find(id)
        .select(announcement_attachments::announcement_id)
        .first(conn)
        .optional()?;
    let in_consultation = crate::db::schema::consultation_documents::table
        .find(id)
        .count()
        .get_result::<i64>(conn)?
        > 0;
    Ok(mine && !in_consultation && elsewhere.is_none_or(|a| Some(a) == editing))
}

fn set_attachments(conn: &mut DbConn, id: i64, uploads: &[String]) -> Result<(), AppError> {
    use crate::db::schema::announcement_attachments as aa;
    use diesel::prelude::*;
    diesel::delete(aa::table.filter(aa::announcement_id.eq(id))).execute(conn)?;
    for u in uploads {
        diesel::insert_into(aa::table)
            .values((aa::upload_id.eq(u), aa::announcement_id.eq(id)))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether `upload_id` is a file of announcement `id`.
pub fn has_attachment(conn: &mut DbConn, id: i64, upload_id: &str) -> Result<bool, AppError> {
    use crate::db::schema::announcement_attachments as aa;
    use diesel::prelude::*;
    Ok(aa::table
        .filter(aa::upload_id.eq(upload_id))
        .filter(aa::announcement_id.eq(id))
        .count()
        .get_result::<i64>(conn)?
        == 1)
}

fn snapshot(f: &Fields, codes: &[String]) -> Value {
    json!({"title": f.title, "body": f.body, "topic": f.topic, "area_codes": codes,
        "attachments": serde_json::from_str::<Value>(&f.attachments).unwrap_or(Value::Null),
        "pinned": f.pinned, "publish_at": f.publish_at, "expires_at": f.expires_at})
}

fn audit(
    conn: &mut DbConn,
    actor: i64,
    action: &str,
    a: &Announcement,
    extra: Value,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut data = json!({"unit_id": a.unit_id, "topic": a.topic, "version": a.version});
    if let (Some(obj), Value::Object(more)) = (data.as_object_mut(), extra) {
        obj.extend(more);
    }
    db::audit::record_admin(
        conn,
        Some(actor),
        action,
        &format!("announcement:{}", a.id),
        data,
        now,
    )?;
    Ok(())
}

/// The unit an official acts for: 403 for an official without one.
fn unit_of(user: &CurrentUser) -> Result<i64, AppError> {
    match (user.role, user.unit_id) {
        (Role::Official, Some(u)) => Ok(u),
        _ => Err(AppError::forbidden()),
    }
}

/// Whether `viewer` may read `a` at `now`: everyone once it is public (withdrawn ones stay
/// readable, marked); before that, only the officials of its unit.
fn readable(a: &Announcement, viewer: Option<&CurrentUser>, now: NaiveDateTime) -> bool {
    let public = standing(a).is_ok_and(|s| s.is_public(now));
    public || viewer.is_some_and(|u| u.role == Role::Official && u.unit_id == Some(a.unit_id))
}

/// The announcement an official of its unit acts on: 404 when the caller may not read it,
/// 403 when they may read but not act.
fn for_action(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    now: NaiveDateTime,
) -> Result<Announcement, AppError> {
    let a = store::find(conn, id)?.ok_or_else(|| AppError::not_found("announcement_not_found"))?;
    if !readable(&a, Some(user), now) {
        return Err(AppError::not_found("announcement_not_found"));
    }
    if unit_of(user)? != a.unit_id {
        return Err(AppError::forbidden());
    }
    Ok(a)
}

/// A draft of the caller's unit.
pub fn create(
    conn: &mut DbConn,
    user: &CurrentUser,
    d: &Draft,
    now: NaiveDateTime,
) -> Result<Read, AppError> {
    let unit = unit_of(user)?;
    let (fields, codes) = check(conn, d, unit, user.id, None, now)?;
    let id = store::insert(conn, unit, user.id, &fields, now)?;
    store::set_areas(conn, id, &codes)?;
    set_attachments(conn, id, &d.attachments)?;
    store::add_history(
        conn,
        id,
        1,
        "created",
        Some(user.id),
        &snapshot(&fields, &codes),
        None,
        now,
    )?;
    let a = found(conn, id)?;
    audit(conn, user.id, "announcement.create", &a, json!({}), now)?;
    read_one(conn, a, None)
}

fn found(conn: &mut DbConn, id: i64) -> Result<Announcement, AppError> {
    store::find(conn, id)?.ok_or_else(|| AppError::not_found("announcement_not_found"))
}

/// New text for a draft or a scheduled announcement (409 `invalid_transition` once public).
pub fn edit(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    d: &Draft,
    now: NaiveDateTime,
) -> Result<Read, AppError> {
    let a = for_action(conn, user, id, now)?;
    let s = standing(&a)?;
    if !s.may_edit(now) {
        return Err(AppError::conflict("invalid_transition"));
    }
    let (mut fields, codes) = check(conn, d, a.unit_id, user.id, Some(id), now)?;
    if s.state == State::Published {
        // Scheduled: it goes out at the (new) moment, not before now.
        let at = fields.publish_at.unwrap_or(now).max(now);
        fields.publish_at = Some(at);
        reschedule(conn, id, at)?;
    }
    store::update(conn, id, &fields, now)?;
    store::set_areas(conn, id, &codes)?;
    set_attachments(conn, id, &d.attachments)?;
    let a = found(conn, id)?;
    store::add_history(
        conn,
        id,
        a.version,
        "edited",
        Some(user.id),
        &snapshot(&fields, &codes),
        None,
        now,
    )?;
    audit(conn, user.id, "announcement.edit", &a, json!({}), now)?;
    read_one(conn, a, None)
}

fn reschedule(conn: &mut DbConn, id: i64, at: NaiveDateTime) -> Result<(), AppError> {
    use crate::db::schema::announcement_fanouts as f;
    use diesel::prelude::*;
    diesel::update(
        f::table
            .find(id)
            .filter(f::started_at.is_null())
            .filter(f::finished_at.is_null()),
    )
    .set(f::due_at.eq(at))
    .execute(conn)?;
    Ok(())
}

/// Publishes a draft: public (and told to residents) at its `publish_at`, or now.
pub fn publish(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    now: NaiveDateTime,
) -> Result<Read, AppError> {
    let a = for_action(conn, user, id, now)?;
    if !standing(&a)?.may_publish() {
        return Err(AppError::conflict("invalid_transition"));
    }
    if a.expires_at.is_some_and(|e| e <= now) {
        return Err(AppError::field("/expires_at", "in_the_past"));
    }
    let at = a.publish_at.unwrap_or(now).max(now);
    store::publish(conn, id, at, now)?;
    store::schedule_fanout(conn, id, at)?;
    let a = found(conn, id)?;
    store::add_history(
        conn,
        id,
        a.version,
        "published",
        Some(user.id),
        &json!({"publish_at": at}),
        None,
        now,
    )?;
    audit(
        conn,
        user.id,
        "announcement.publish",
        &a,
        json!({"publish_at": at}),
        now,
    )?;
    read_one(conn, a, None)
}

/// Withdraws a published announcement with a reason; it stays readable, marked withdrawn,
/// and residents not yet told are not told.
pub fn withdraw(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Read, AppError> {
    let mut v = Violations::new();
    let reason = v.text("/reason", reason, 1, 2_000);
    v.finish()?;
    let a = for_action(conn, user, id, now)?;
    if !standing(&a)?.may_withdraw() {
        return Err(AppError::conflict("invalid_transition"));
    }
    store::withdraw(conn, id, &reason, now)?;
    let a = found(conn, id)?;
    store::add_history(
        conn,
        id,
        a.version,
        "withdrawn",
        Some(user.id),
        &json!({}),
        Some(&reason),
        now,
    )?;
    audit(conn, user.id, "announcement.withdraw", &a, json!({}), now)?;
    read_one(conn, a, None)
}

fn read_one(conn: &mut DbConn, a: Announcement, reader: Option<i64>) -> Result<Read, AppError> {
    read_many(conn, vec![a], reader)?
        .pop()
        .ok_or_else(|| AppError::internal("announcement vanished"))
}

fn read_many(
    conn: &mut DbConn,
    rows: Vec<Announcement>,
    reader: Option<i64>,
) -> Result<Vec<Read>, AppError> {
    use crate::db::schema::units;
    use diesel::prelude::*;
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let mut areas = store::areas_of(conn, &ids)?;
    let reads = match reader {
        Some(u) => store::reads(conn, u, &ids)?,
        None => Default::default(),
    };
    let unit_ids: Vec<i64> = rows.iter().map(|a| a.unit_id).collect();
    let names: std::collections::HashMap<i64, String> = units::table
        .filter(units::id.eq_any(&unit_ids))
        .select((units::id, units::name_vi))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|a| Read {
            area_codes: areas.remove(&a.id).unwrap_or_default(),
            attachments: serde_json::from_str(&a.attachments).unwrap_or_default(),
            unit_name: names.get(&a.unit_id).cloned().unwrap_or_default(),
            read_at: reads.get(&a.id).copied(),
            row: a,
        })
        .collect())
}

/// One announcement as `viewer` may see it (404 otherwise).
pub fn get(
    conn: &mut DbConn,
    viewer: Option<&CurrentUser>,
    id: i64,
    now: NaiveDateTime,
) -> Result<Read, AppError> {
    let a = found(conn, id)?;
    if !readable(&a, viewer, now) {
        return Err(AppError::not_found("announcement_not_found"));
    }
    read_one(conn, a, viewer.map(|u| u.id))
}

/// The history of an announcement: for the officials of its unit (404 for others).
pub fn history(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    now: NaiveDateTime,
) -> Result<Vec<store::HistoryEntry>, AppError> {
    let a = found(conn, id)?;
    let own = user.role == Role::Official && user.unit_id == Some(a.unit_id);
    if !own {
        // Withdrawals stay public; the drafts before publication are the unit's.
        if !readable(&a, Some(user), now) {
            return Err(AppError::not_found("announcement_not_found"));
        }
        return Err(AppError::forbidden());
    }
    Ok(store::history(conn, id)?)
}

/// Marks an announcement read by a signed-in reader.
pub fn mark_read(
    conn: &mut DbConn,
    user: &CurrentUser,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let a = found(conn, id)?;
    if !readable(&a, Some(user), now) {
        return Err(AppError::not_found("announcement_not_found"));
    }
    Ok(store::mark_read(conn, user.id, id, now)?)
}

/// What a list asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub area_code: Option<String>,
    pub topic: Option<String>,
    pub q: Option<String>,
    /// The caller's unit's own list (every state), for its officials.
    pub own_unit: bool,
}

/// Public announcements (an area code brings its own and its province's), or with
/// `own_unit` the caller's unit's in every state.
pub fn list(
    conn: &mut DbConn,
    viewer: Option<&CurrentUser>,
    query: &Query,
    after: Option<Key>,
    fetch: i64,
    now: NaiveDateTime,
) -> Result<Vec<Read>, AppError> {
    let mut v = Violations::new();
    if let Some(t) = &query.topic
        && Topic::parse(t).is_none()
    {
        v.add("/topic", "invalid_value");
    }
    let mut filter = Filter {
        topic: query.topic.clone(),
        pattern: query
            .q
            .as_deref()
            .filter(|q| !q.trim().is_empty())
            .map(contains_pattern),
        ..Default::default()
    };
    if let Some(code) = &query.area_code {
        match residents::places(conn, std::slice::from_ref(code))?.pop() {
            Some(place) => filter.area_codes = Some(feed_codes(&place)),
            None => v.add("/area_code", "unknown_area"),
        }
    }
    v.finish()?;
    if query.own_unit {
        let user = viewer.ok_or_else(|| AppError::unauthenticated("unauthenticated"))?;
        filter.unit_id = Some(unit_of(user)?);
    } else {
        filter.public_at = Some(now);
    }
    let rows = store::list(conn, &filter, after, fetch)?;
    read_many(conn, rows, viewer.map(|u| u.id))
}

/// One entry of a citizen's feed.
#[derive(Debug, Clone)]
pub enum FeedEntry {
    Announcement(Read),
    /// A consultation, and whether the citizen answered it (its read state).
    Consultation(super::consultations::Read, bool),
}

const ANNOUNCEMENT: u8 = 1;
const CONSULTATION: u8 = 0;

impl FeedEntry {
    /// Its place in the feed: newest first; at the same moment announcements first.
    pub fn key(&self) -> FeedKey {
        match self {
            FeedEntry::Announcement(r) => (
                r.row.publish_at.unwrap_or(r.row.created_at),
                ANNOUNCEMENT,
                r.row.id,
            ),
            FeedEntry::Consultation(c, _) => (c.row.created_at, CONSULTATION, c.row.id),
        }
    }
}

/// The caller's feed: the public announcements and the consultations of the areas they
/// follow (and of those areas' provinces), newest first, each with its read state (an
/// announcement marked read, a consultation answered).
pub fn feed(
    conn: &mut DbConn,
    user: &CurrentUser,
    after: Option<FeedKey>,
    fetch: i64,
    now: NaiveDateTime,
) -> Result<Vec<FeedEntry>, AppError> {
    let (codes, _) = residents::of_user(conn, user.id)?;
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let mut reach: Vec<String> = Vec::new();
    for place in residents::places(conn, &codes)? {
        for c in feed_codes(&place) {
            if !reach.contains(&c) {
                reach.push(c);
            }
        }
    }
    let notices = store::feed(conn, &reach, now, after, ANNOUNCEMENT, fetch)?;
    let asked = crate::db::consultations::feed(conn, &reach, after, CONSULTATION, fetch)?;
    let ids: Vec<i64> = asked.iter().map(|c| c.id).collect();
    let answered = crate::db::consultations::answered(conn, user.id, &ids)?;
    let mut entries: Vec<FeedEntry> = read_many(conn, notices, Some(user.id))?
        .into_iter()
        .map(FeedEntry::Announcement)
        .collect();
    entries.extend(
        super::consultations::read_many(conn, asked, now)?
            .into_iter()
            .map(|c| {
                let done = answered.contains(&c.row.id);
                FeedEntry::Consultation(c, done)
            }),
    );
    entries.sort_by_key(|e| std::cmp::Reverse(e.key()));
    entries.truncate(fetch as usize);
    Ok(entries)
}

/// The list key of an announcement.
pub fn key_of(a: &Announcement) -> Key {
    (a.pinned, a.publish_at.unwrap_or(a.created_at), a.id)
}

// --- fan-out ------------------------------------------------------------------------------

/// What a fan-out pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FannedOut {
    /// People told (in the app, and by push and email as they chose).
    pub people: usize,
    /// Anonymous installs pushed to.
    pub devices: usize,
    /// Fan-outs finished in this pass.
    pub finished: usize,
}

impl FannedOut {
    pub fn is_empty(&self) -> bool {
        *self == FannedOut::default()
    }
}

enum Stop {
    /// Another worker advanced this fan-out meanwhile: this batch is rolled back.
    Moved,
    Failed(AppError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(e.into())
    }
}

impl From<AppError> for Stop {
    fn from(e: AppError) -> Self {
        Stop::Failed(e)
    }
}

impl From<crate::db::Error> for Stop {
    fn from(e: crate::db::Error) -> Self {
        Stop::Failed(e.into())
    }
}

/// One batch's outcome.
enum Batch {
    Told { people: usize, devices: usize },
    Finished,
}

/// Runs due fan-outs, `batch` recipients per transaction, at most `max_batches` batches in
/// all (a pass is bounded; the next pass resumes). `delivery` is how messages queued now go
/// out (quiet hours hold pushes, except about an emergency).
pub fn fan_out(
    conn: &mut DbConn,
    delivery: &Delivery,
    batch: i64,
    max_batches: usize,
    now: NaiveDateTime,
) -> Result<FannedOut, AppError> {
    let mut done = FannedOut::default();
    let mut batches = 0;
    for f in store::due_fanouts(conn, now, 100)? {
        while batches < max_batches {
            batches += 1;
            match db::write(conn, |c| {
                one_batch(c, f.announcement_id, delivery, batch, now)
            }) {
                Ok(Batch::Told { people, devices }) => {
                    done.people += people;
                    done.devices += devices;
                }
                Ok(Batch::Finished) => {
                    done.finished += 1;
                    break;
                }
                // Someone else is on it: leave it to them.
                Err(Stop::Moved) => break,
                Err(Stop::Failed(e)) => return Err(e),
            }
        }
    }
    Ok(done)
}

fn one_batch(
    conn: &mut DbConn,
    id: i64,
    delivery: &Delivery,
    batch: i64,
    now: NaiveDateTime,
) -> Result<Batch, Stop> {
    let Some(f) = store::fanout(conn, id)? else {
        return Err(Stop::Moved);
    };
    if f.finished_at.is_some() {
        return Err(Stop::Moved);
    }
    let from = (f.after_user_id, f.after_device_id);
    let a = found(conn, id)?;
    let topic = Topic::parse(&a.topic)
        .ok_or_else(|| AppError::internal(format!("announcement {id}: unknown topic")))?;
    // Withdrawn (or gone back): the residents not told yet are not told.
    if a.state != State::Published.as_str() {
        return finish(conn, id, from, now);
    }
    store::fanout_started(conn, id, now)?;
    let mut delivery = delivery.clone();
    if topic.ignores_quiet_hours() {
        delivery.push_not_before = None;
    }
    let data = message_data(conn, &a, topic)?;
    let key = format!("announcement:{id}");
    let people = store::followers(conn, id, f.after_user_id, batch)?;
    if let Some(&last) = people.last() {
        let opted: HashSet<i64> = store::email_opted_in(conn, &people)?.into_iter().collect();
        let to: Vec<To> = people.iter().map(|u| To::User(*u)).collect();
        People::new(delivery).email_only_to(opted).tell(
            conn,
            &to,
            Template::AnnouncementPublished,
            &data,
            &key,
            now,
        )?;
        if !store::advance_fanout(
            conn,
            id,
            from,
            (last, f.after_device_id),
            (people.len() as i64, 0),
            false,
            now,
        )? {
            return Err(Stop::Moved);
        }
        return Ok(Batch::Told {
            people: people.len(),
            devices: 0,
        });
    }
    let devices = store::following_devices(conn, id, f.after_device_id, batch)?;
    let Some(&(last, _, _)) = devices.last() else {
        return finish(conn, id, from, now);
    };
    let messages: Vec<NewMessage> = devices
        .iter()
        .filter(|(_, platform, _)| delivery.push.allows(platform))
        .map(|(device, _, locale)| {
            let mut d = data.clone();
            d["anonymous_device_id"] = json!(device);
            NewMessage {
                channel: Channel::Push,
                user_id: None,
                address: None,
                device_id: None,
                template: Template::AnnouncementPublished,
                locale: Lang::parse(locale).unwrap_or_default(),
                data: d,
                dedup_key: format!("{key}:anonymous:{device}"),
                not_before: delivery.push_not_before,
            }
        })
        .collect();
    crate::notify::outbox::enqueue_all(conn, &messages, now)?;
    if !store::advance_fanout(
        conn,
        id,
        from,
        (f.after_user_id, last),
        (0, devices.len() as i64),
        false,
        now,
    )? {
        return Err(Stop::Moved);
    }
    Ok(Batch::Told {
        people: 0,
        devices: devices.len(),
    })
}

fn finish(conn: &mut DbConn, id: i64, at: (i64, i64), now: NaiveDateTime) -> Result<Batch, Stop> {
    if store::advance_fanout(conn, id, at, at, (0, 0), true, now)? {
        Ok(Batch::Finished)
    } else {
        Err(Stop::Moved)
    }
}

/// What every message about the announcement carries: no personal data.
fn message_data(conn: &mut DbConn, a: &Announcement, topic: Topic) -> Result<Value, AppError> {
    use crate::db::schema::units;
    use diesel::prelude::*;
    let (vi, en): (String, String) = units::table
        .find(a.unit_id)
        .select((units::name_vi, units::name_en))
        .first(conn)?;
    Ok(
        json!({"announcement_id": a.id, "title": a.title, "unit": vi, "unit_en": en,
        "topic": topic.as_str(), "emergency": topic == Topic::Emergency}),
    )
}

/// 422 `area_outside_unit` (naming each `/area_codes/{i}` outside) unless every target lies
/// within the areas `unit_id` serves: an announcement's and a consultation's rule.
pub(crate) fn within_unit(
    conn: &mut DbConn,
    unit_id: i64,
    places: &[crate::domain::announcement::Place],
    area_codes: &[String],
) -> Result<(), AppError> {
    use diesel::prelude::*;
    let served: Vec<String> = unit_areas::table
        .filter(unit_areas::unit_id.eq(unit_id))
        .select(unit_areas::area_code)
        .load(conn)?;
    let outside = outside_unit(places, &served);
    if outside.is_empty() {
        return Ok(());
    }
    let mut e = AppError::unprocessable("area_outside_unit");
    for (i, c) in area_codes.iter().enumerate() {
        if outside.contains(&c.trim()) {
            e = e.with_field(format!("/area_codes/{i}"), "outside_unit");
        }
    }
    Err(e)
}
