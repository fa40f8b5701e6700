//! Announcements: the rows, their areas, their history, who read them, and the fan-out's
//! progress. Storage only; the rules are in `workflow::announcements`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    announcement_areas, announcement_fanouts, announcement_history, announcement_reads,
    announcements, anonymous_device_areas, anonymous_devices, areas, resident_areas, users,
};
use crate::db::Error;

type Db = <DbConn as diesel::Connection>::Backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcements)]
pub struct Announcement {
    pub id: i64,
    pub unit_id: i64,
    pub author_id: i64,
    pub topic: String,
    pub title: String,
    pub body: String,
    pub attachments: String,
    pub pinned: bool,
    pub state: String,
    pub publish_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
    pub published_at: Option<NaiveDateTime>,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawal_reason: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What an official writes (creating, or editing before publication).
#[derive(Debug, Clone)]
pub struct Fields {
    pub topic: String,
    pub title: String,
    pub body: String,
    pub search_text: String,
    pub attachments: String,
    pub pinned: bool,
    pub publish_at: Option<NaiveDateTime>,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn insert(
    conn: &mut DbConn,
    unit_id: i64,
    author_id: i64,
    f: &Fields,
    now: NaiveDateTime,
) -> Result<i64, Error> {
    Ok(diesel::insert_into(announcements::table)
        .values((
            announcements::unit_id.eq(unit_id),
            announcements::author_id.eq(author_id),
            announcements::topic.eq(&f.topic),
            announcements::title.eq(&f.title),
            announcements::body.eq(&f.body),
            announcements::search_text.eq(&f.search_text),
            announcements::attachments.eq(&f.attachments),
            announcements::pinned.eq(f.pinned),
            announcements::state.eq("draft"),
            announcements::publish_at.eq(f.publish_at),
            announcements::expires_at.eq(f.expires_at),
            announcements::version.eq(1),
            announcements::created_at.eq(now),
            announcements::updated_at.eq(now),
        ))
        .returning(announcements::id)
        .get_result(conn)?)
}

/// Replaces what the official wrote and counts a new version.
pub fn update(conn: &mut DbConn, id: i64, f: &Fields, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(announcements::table.find(id))
        .set((
            announcements::topic.eq(&f.topic),
            announcements::title.eq(&f.title),
            announcements::body.eq(&f.body),
            announcements::search_text.eq(&f.search_text),
            announcements::attachments.eq(&f.attachments),
            announcements::pinned.eq(f.pinned),
            announcements::publish_at.eq(f.publish_at),
            announcements::expires_at.eq(f.expires_at),
            announcements::version.eq(announcements::version + 1),
            announcements::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_areas(conn: &mut DbConn, id: i64, codes: &[String]) -> Result<(), Error> {
    diesel::delete(announcement_areas::table.filter(announcement_areas::announcement_id.eq(id)))
        .execute(conn)?;
    for code in codes {
        diesel::insert_into(announcement_areas::table)
            .values((
                announcement_areas::announcement_id.eq(id),
                announcement_areas::area_code.eq(code),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Announcement>, Error> {
    Ok(announcements::table
        .find(id)
        .select(Announcement::as_select())
        .first(conn)
        .optional()?)
}

/// The areas of each of `ids`, in code order.
pub fn areas_of(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, Vec<String>>, Error> {
    let rows: Vec<(i64, String)> = announcement_areas::table
        .filter(announcement_areas::announcement_id.eq_any(ids))
        .order((
            announcement_areas::announcement_id.asc(),
            announcement_areas::area_code.asc(),
        ))
        .select((
            announcement_areas::announcement_id,
            announcement_areas::area_code,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, code) in rows {
        out.entry(id).or_default().push(code);
    }
    Ok(out)
}

/// Publishes a draft: public from `publish_at`.
pub fn publish(
    conn: &mut DbConn,
    id: i64,
    publish_at: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::update(announcements::table.find(id))
        .set((
            announcements::state.eq("published"),
            announcements::publish_at.eq(Some(publish_at)),
            announcements::published_at.eq(Some(now)),
            announcements::version.eq(announcements::version + 1),
            announcements::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn withdraw(conn: &mut DbConn, id: i64, reason: &str, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(announcements::table.find(id))
        .set((
            announcements::state.eq("withdrawn"),
            announcements::withdrawn_at.eq(Some(now)),
            announcements::withdrawal_reason.eq(Some(reason)),
            announcements::version.eq(announcements::version + 1),
            announcements::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcement_history)]
pub struct HistoryEntry {
    pub id: i64,
    pub version: i32,
    pub action: String,
    pub actor_id: Option<i64>,
    pub snapshot: String,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
}

#[allow(clippy::too_many_arguments)]
pub fn add_history(
    conn: &mut DbConn,
    id: i64,
    version: i32,
    action: &str,
    actor_id: Option<i64>,
    snapshot: &serde_json::Value,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::insert_into(announcement_history::table)
        .values((
            announcement_history::announcement_id.eq(id),
            announcement_history::version.eq(version),
            announcement_history::action.eq(action),
            announcement_history::actor_id.eq(actor_id),
            announcement_history::snapshot.eq(snapshot.to_string()),
            announcement_history::reason.eq(reason),
            announcement_history::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn history(conn: &mut DbConn, id: i64) -> Result<Vec<HistoryEntry>, Error> {
    Ok(announcement_history::table
        .filter(announcement_history::announcement_id.eq(id))
        .order(announcement_history::id.asc())
        .select(HistoryEntry::as_select())
        .load(conn)?)
}

/// Keyset of the lists: pinned first, then newest publication first.
pub type Key = (bool, NaiveDateTime, i64);

/// Which announcements a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Public ones only (published, `publish_at` reached, not expired, not withdrawn).
    pub public_at: Option<NaiveDateTime>,
    /// One unit's, in any state (its officials' list).
    pub unit_id: Option<i64>,
    /// Announcements naming one of these areas.
    pub area_codes: Option<Vec<String>>,
    pub topic: Option<String>,
    /// A LIKE pattern on the folded title and body.
    pub pattern: Option<String>,
}

fn filtered(f: &Filter) -> announcements::BoxedQuery<'static, Db> {
    let mut q = announcements::table.into_boxed();
    if let Some(now) = f.public_at {
        q = q
            .filter(announcements::state.eq("published"))
            .filter(announcements::publish_at.le(now))
            .filter(
                announcements::expires_at
                    .is_null()
                    .or(announcements::expires_at.gt(now)),
            );
    }
    if let Some(unit) = f.unit_id {
        q = q.filter(announcements::unit_id.eq(unit));
    }
    if let Some(codes) = &f.area_codes {
        q = q.filter(
            announcements::id.eq_any(
                announcement_areas::table
                    .filter(announcement_areas::area_code.eq_any(codes.clone()))
                    .select(announcement_areas::announcement_id),
            ),
        );
    }
    if let Some(t) = &f.topic {
        q = q.filter(announcements::topic.eq(t.clone()));
    }
    if let Some(p) = &f.pattern {
        q = q.filter(announcements::search_text.like(p.clone()));
    }
    q
}

/// A page of announcements: pinned first, then by publication (creation for drafts), newest
/// first; `after` is the last key sent.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    after: Option<Key>,
    fetch: i64,
) -> Result<Vec<Announcement>, Error> {
    // Drafts have no publish_at yet: they sort by creation.
    let when = diesel::dsl::sql::<diesel::sql_types::Timestamp>(
        "COALESCE(announcements.publish_at, announcements.created_at)",
    );
    let mut q = filtered(f);
    if let Some((pinned, at, id)) = after {
        let at_expr = diesel::dsl::sql::<diesel::sql_types::Timestamp>(
            "COALESCE(announcements.publish_at, announcements.created_at)",
        );
        let at_expr2 = diesel::dsl::sql::<diesel::sql_types::Timestamp>(
            "COALESCE(announcements.publish_at, announcements.created_at)",
        );
        q = q.filter(
            announcements::pinned
                .lt(pinned)
                .or(announcements::pinned.eq(pinned).and(
                    at_expr
                        .lt(at)
                        .or(at_expr2.eq(at).and(announcements::id.lt(id))),
                )),
        );
    }
    Ok(q.order((
        announcements::pinned.desc(),
        when.desc(),
        announcements::id.desc(),
    ))
    .limit(fetch)
    .select(Announcement::as_select())
    .load(conn)?)
}

/// Which of `ids` `user_id` has read, and when.
pub fn reads(
    conn: &mut DbConn,
    user_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, NaiveDateTime>, Error> {
    Ok(announcement_reads::table
        .filter(announcement_reads::user_id.eq(user_id))
        .filter(announcement_reads::announcement_id.eq_any(ids))
        .select((
            announcement_reads::announcement_id,
            announcement_reads::read_at,
        ))
        .load::<(i64, NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}

/// Marks an announcement read by `user_id` (a repeat changes nothing).
pub fn mark_read(
    conn: &mut DbConn,
    user_id: i64,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    super::insert_new_only!(
        conn,
        diesel::insert_into(announcement_reads::table).values((
            announcement_reads::user_id.eq(user_id),
            announcement_reads::announcement_id.eq(id),
            announcement_reads::read_at.eq(now),
        ))
    )?;
    Ok(())
}

// --- fan-out ------------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = announcement_fanouts)]
pub struct Fanout {
    pub announcement_id: i64,
    pub due_at: NaiveDateTime,
    pub after_user_id: i64,
    pub after_device_id: i64,
    pub users_told: i64,
    pub devices_told: i64,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
}

/// Schedules the fan-out of an announcement for `due_at` (its `publish_at`).
pub fn schedule_fanout(conn: &mut DbConn, id: i64, due_at: NaiveDateTime) -> Result<(), Error> {
    super::insert_new_only!(
        conn,
        diesel::insert_into(announcement_fanouts::table).values((
            announcement_fanouts::announcement_id.eq(id),
            announcement_fanouts::due_at.eq(due_at),
        ))
    )?;
    Ok(())
}

/// Unfinished fan-outs due by `now`, oldest first.
pub fn due_fanouts(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Fanout>, Error> {
    Ok(announcement_fanouts::table
        .filter(announcement_fanouts::finished_at.is_null())
        .filter(announcement_fanouts::due_at.le(now))
        .order((
            announcement_fanouts::due_at.asc(),
            announcement_fanouts::announcement_id.asc(),
        ))
        .limit(limit)
        .select(Fanout::as_select())
        .load(conn)?)
}

pub fn fanout(conn: &mut DbConn, id: i64) -> Result<Option<Fanout>, Error> {
    Ok(announcement_fanouts::table
        .find(id)
        .select(Fanout::as_select())
        .first(conn)
        .optional()?)
}

/// Records a batch done, if the fan-out is still where the batch started (`from_user`,
/// `from_device`): `false` when another worker got there first (the caller's transaction is
/// then rolled back, so its messages are not written twice).
#[allow(clippy::too_many_arguments)]
pub fn advance_fanout(
    conn: &mut DbConn,
    id: i64,
    (from_user, from_device): (i64, i64),
    (to_user, to_device): (i64, i64),
    (users_told, devices_told): (i64, i64),
    finished: bool,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    Ok(diesel::update(
        announcement_fanouts::table
            .find(id)
            .filter(announcement_fanouts::after_user_id.eq(from_user))
            .filter(announcement_fanouts::after_device_id.eq(from_device))
            .filter(announcement_fanouts::finished_at.is_null()),
    )
    .set((
        announcement_fanouts::after_user_id.eq(to_user),
        announcement_fanouts::after_device_id.eq(to_device),
        announcement_fanouts::users_told.eq(announcement_fanouts::users_told + users_told),
        announcement_fanouts::devices_told.eq(announcement_fanouts::devices_told + devices_told),
        announcement_fanouts::finished_at.eq(if finished { Some(now) } else { None }),
    ))
    .execute(conn)?
        == 1)
}

/// Notes when the fan-out's first batch ran.
pub fn fanout_started(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<(), Error> {
    diesel::update(
        announcement_fanouts::table
            .find(id)
            .filter(announcement_fanouts::started_at.is_null()),
    )
    .set(announcement_fanouts::started_at.eq(Some(now)))
    .execute(conn)?;
    Ok(())
}

/// The codes whose followers an announcement reaches: its areas, and the communes of those
/// that are provinces.
fn reached_codes(conn: &mut DbConn, id: i64) -> Result<Vec<String>, Error> {
    let own: Vec<String> = announcement_areas::table
        .filter(announcement_areas::announcement_id.eq(id))
        .select(announcement_areas::area_code)
        .load(conn)?;
    let communes: Vec<String> = areas::table
        .filter(areas::parent_code.eq_any(&own))
        .select(areas::code)
        .load(conn)?;
    Ok(own.into_iter().chain(communes).collect())
}

/// The next `limit` active citizens after `after_user` who follow an area the announcement
/// reaches, in id order.
pub fn followers(
    conn: &mut DbConn,
    id: i64,
    after_user: i64,
    limit: i64,
) -> Result<Vec<i64>, Error> {
    let codes = reached_codes(conn, id)?;
    Ok(resident_areas::table
        .inner_join(users::table)
        .filter(resident_areas::area_code.eq_any(&codes))
        .filter(resident_areas::user_id.gt(after_user))
        .filter(users::disabled.eq(false))
        .select(resident_areas::user_id)
        .distinct()
        .order(resident_areas::user_id.asc())
        .limit(limit)
        .load(conn)?)
}

/// Of `ids`, those who opted in to announcements by email.
pub fn email_opted_in(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, Error> {
    use super::schema::residents;
    Ok(residents::table
        .filter(residents::user_id.eq_any(ids))
        .filter(residents::announcements_by_email.eq(true))
        .select(residents::user_id)
        .load(conn)?)
}

/// The next `limit` active anonymous installs after `after_device` following an area the
/// announcement reaches: (id, platform, locale).
pub fn following_devices(
    conn: &mut DbConn,
    id: i64,
    after_device: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, Error> {
    let codes = reached_codes(conn, id)?;
    Ok(anonymous_devices::table
        .filter(
            anonymous_devices::id.eq_any(
                anonymous_device_areas::table
                    .filter(anonymous_device_areas::area_code.eq_any(codes))
                    .select(anonymous_device_areas::device_id),
            ),
        )
        .filter(anonymous_devices::id.gt(after_device))
        .filter(anonymous_devices::active.eq(true))
        .order(anonymous_devices::id.asc())
        .limit(limit)
        .select((
            anonymous_devices::id,
            anonymous_devices::platform,
            anonymous_devices::locale,
        ))
        .load(conn)?)
}

/// How a feed page continues after the entry `(at, kind, id)` for a table whose entries are
/// of kind `own`: entries at an earlier moment, and at the same moment those ordered after it
/// (kinds descending, then ids descending). `None`: every entry at that moment comes later;
/// `Some(i)`: those with an id below `i` do.
pub fn after_in_feed(own: u8, (_, kind, id): FeedKey) -> Option<Option<i64>> {
    use std::cmp::Ordering;
    match own.cmp(&kind) {
        Ordering::Less => Some(None),
        Ordering::Equal => Some(Some(id)),
        Ordering::Greater => None,
    }
}

/// The feed's keyset: (moment, kind, id), newest first.
pub type FeedKey = (NaiveDateTime, u8, i64);

/// Public announcements naming one of `codes`, newest publication first, after `after`.
pub fn feed(
    conn: &mut DbConn,
    codes: &[String],
    now: NaiveDateTime,
    after: Option<FeedKey>,
    own_kind: u8,
    fetch: i64,
) -> Result<Vec<Announcement>, Error> {
    let mut q = filtered(&Filter {
        public_at: Some(now),
        area_codes: Some(codes.to_vec()),
        ..Default::default()
    });
    if let Some(key) = after {
        let at = key.0;
        q = match after_in_feed(own_kind, key) {
            None => q.filter(announcements::publish_at.lt(at)),
            Some(None) => q.filter(announcements::publish_at.le(at)),
            Some(Some(id)) => q.filter(
                announcements::publish_at
                    .lt(at)
                    .or(announcements::publish_at
                        .eq(at)
                        .and(announcements::id.lt(id))),
            ),
        };
    }
    Ok(
        q.order((announcements::publish_at.desc(), announcements::id.desc()))
            .limit(fetch)
            .select(Announcement::as_select())
            .load(conn)?,
    )
}
