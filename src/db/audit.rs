//! The audit trail: verifying the ticket timelines' hash chains, the daily roots that anyone
//! can keep to check later that history was not rewritten, and the administrators' own chain
//! of configuration changes.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::DbConn;
use super::events::{Event, GENESIS, hash_of, sha256_hex};
use super::schema::{admin_audit, audit_roots, event_texts, ticket_events, tickets};
use crate::db::Error;

/// The first problem found, if any.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Broken {
    /// `ticket_event`, `event_text`, `daily_root` or `admin_audit`.
    pub record: String,
    pub id: Option<i64>,
    pub ticket_code: Option<String>,
    pub seq: Option<i64>,
    pub day: Option<NaiveDate>,
    /// What does not match.
    pub problem: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub ok: bool,
    pub events_checked: i64,
    pub days_checked: i64,
    pub admin_entries_checked: i64,
    pub first_broken: Option<Broken>,
}

/// Events per verification step.
const BATCH: i64 = 2_000;

/// Recomputes the chain of every event created in `[from, to)` (and the texts they point
/// to, unless erased), the daily roots of the days in range, and the admin chain; reports the
/// first record that does not match.
pub fn verify(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    progress: &crate::progress::Progress,
) -> Result<Verification, Error> {
    let mut checked = 0i64;
    let mut after_id = 0i64;
    loop {
        let batch: Vec<Event> = ticket_events::table
            .filter(ticket_events::created_at.ge(from))
            .filter(ticket_events::created_at.lt(to))
            .filter(ticket_events::id.gt(after_id))
            .order(ticket_events::id.asc())
            .limit(BATCH)
            .select(Event::as_select())
            .load(conn)?;
        if batch.is_empty() {
            break;
        }
        after_id = batch.last().map(|e| e.id).unwrap_or(after_id);
        progress.inc(batch.len() as u64);
        for e in &batch {
            checked += 1;
            if let Some(problem) = check_event(conn, e)? {
                let code = tickets::table
                    .find(e.ticket_id)
                    .select(tickets::code)
                    .first::<String>(conn)
                    .optional()?;
                return Ok(Verification {
                    ok: false,
                    events_checked: checked,
                    days_checked: 0,
                    admin_entries_checked: 0,
                    first_broken: Some(Broken {
                        record: problem.0.into(),
                        id: Some(e.id),
                        ticket_code: code,
                        seq: Some(e.seq as i64),
                        day: None,
                        problem: problem.1,
                    }),
                });
            }
        }
    }
    let (days, broken_day) = verify_roots(conn, from.date(), to.date())?;
    let (admin, broken_admin) = verify_admin(conn)?;
    let first_broken = broken_day.or(broken_admin);
    Ok(Verification {
        ok: first_broken.is_none(),
        events_checked: checked,
        days_checked: days,
        admin_entries_checked: admin,
        first_broken,
    })
}

/// What is wrong with one event, if anything: (record, problem).
fn check_event(conn: &mut DbConn, e: &Event) -> Result<Option<(&'static str, String)>, Error> {
    if hash_of(e) != e.hash {
        return Ok(Some((
            "ticket_event",
            "its content does not match its hash".into(),
        )));
    }
    let expected_prev = if e.seq == 1 {
        GENESIS.to_string()
    } else {
        match ticket_events::table
            .filter(ticket_events::ticket_id.eq(e.ticket_id))
            .filter(ticket_events::seq.eq(e.seq - 1))
            .select(ticket_events::hash)
            .first::<String>(conn)
            .optional()?
        {
            Some(h) => h,
            None => {
                return Ok(Some((
                    "ticket_event",
                    "the previous event of its ticket is missing".into(),
                )));
            }
        }
    };
    if e.prev_hash != expected_prev {
        return Ok(Some((
            "ticket_event",
            "its link to the previous event does not match".into(),
        )));
    }
    if let (Some(text_id), Some(sha)) = (e.text_id, &e.text_sha256) {
        let body = event_texts::table
            .find(text_id)
            .select((event_texts::body, event_texts::erased_at))
            .first::<(Option<String>, Option<NaiveDateTime>)>(conn)
            .optional()?;
        match body {
            // Erased words are blank by law; the event keeps their hash.
            Some((None, Some(_))) => {}
            Some((Some(b), None)) if sha256_hex(b.as_bytes()) == *sha => {}
            _ => {
                return Ok(Some((
                    "event_text",
                    "its text does not match the hash the event keeps".into(),
                )));
            }
        }
    }
    Ok(None)
}

/// The root of one day: SHA-256 over the previous root and that day's event hashes in order.
pub fn root_of(prev_root: &str, hashes: &[String]) -> String {
    let mut all = String::from(prev_root);
    for h in hashes {
        all.push('\n');
        all.push_str(h);
    }
    sha256_hex(all.as_bytes())
}

fn day_hashes(conn: &mut DbConn, day: NaiveDate) -> Result<Vec<String>, Error> {
    let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Ok(ticket_events::table
        .filter(ticket_events::created_at.ge(start))
        .filter(ticket_events::created_at.lt(start + Duration::days(1)))
        .order(ticket_events::id.asc())
        .select(ticket_events::hash)
        .load(conn)?)
}

/// Computes the roots of every finished day (UTC) since the last one, up to yesterday.
/// Returns how many were added. Days without events get a root too, so the chain has no gaps.
pub fn seal_days(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, Error> {
    let last = audit_roots::table
        .order(audit_roots::day.desc())
        .select((audit_roots::day, audit_roots::root))
        .first::<(NaiveDate, String)>(conn)
        .optional()?;
    let first_event = ticket_events::table
        .order(ticket_events::id.asc())
        .select(ticket_events::created_at)
        .first::<NaiveDateTime>(conn)
        .optional()?;
    let (mut day, mut prev) = match (last, first_event) {
        (Some((d, r)), _) => (d + Duration::days(1), r),
        (None, Some(first)) => (first.date(), GENESIS.to_string()),
        (None, None) => return Ok(0),
    };
    let today = now.date();
    let mut added = 0;
    while day < today && added < 3660 {
        let hashes = day_hashes(conn, day)?;
        let root = root_of(&prev, &hashes);
        let written = super::write(conn, |c| {
            super::insert_new_only!(
                c,
                diesel::insert_into(audit_roots::table).values((
                    audit_roots::day.eq(day),
                    audit_roots::events.eq(hashes.len() as i32),
                    audit_roots::root.eq(&root),
                    audit_roots::prev_root.eq(&prev),
                    audit_roots::created_at.eq(now),
                ))
            )
        })?;
        if written == 0 {
            // Another worker is sealing these days: it carries on the chain.
            break;
        }
        prev = root;
        day += Duration::days(1);
        added += 1;
    }
    Ok(added)
}

#[derive(Debug, Clone, Serialize, Queryable, utoipa::ToSchema)]
pub struct Root {
    #[schema(value_type = String, format = Date)]
    pub day: NaiveDate,
    pub events: i32,
    pub root: String,
    pub prev_root: String,
}

pub fn roots(conn: &mut DbConn, from: NaiveDate, to: NaiveDate) -> Result<Vec<Root>, Error> {
    Ok(audit_roots::table
        .filter(audit_roots::day.ge(from))
        .filter(audit_roots::day.le(to))
        .order(audit_roots::day.asc())
        .select((
            audit_roots::day,
            audit_roots::events,
            audit_roots::root,
            audit_roots::prev_root,
        ))
        .load(conn)?)
}

fn verify_roots(
    conn: &mut DbConn,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(i64, Option<Broken>), Error> {
    let stored = roots(conn, from - Duration::days(1), to)?;
    let mut checked = 0;
    let mut prev: Option<String> = None;
    for r in stored {
        if let Some(p) = &prev
            && *p != r.prev_root
        {
            return Ok((
                checked,
                Some(day_broken(
                    r.day,
                    "its link to the previous day's root does not match",
                )),
            ));
        }
        let hashes = day_hashes(conn, r.day)?;
        if hashes.len() as i32 != r.events || root_of(&r.prev_root, &hashes) != r.root {
            return Ok((
                checked,
                Some(day_broken(
                    r.day,
                    "the day's events no longer give its published root",
                )),
            ));
        }
        prev = Some(r.root);
        checked += 1;
    }
    Ok((checked, None))
}

fn day_broken(day: NaiveDate, problem: &str) -> Broken {
    Broken {
        record: "daily_root".into(),
        id: None,
        ticket_code: None,
        seq: None,
        day: Some(day),
        problem: problem.into(),
    }
}

// --- the administrators' chain ----------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = admin_audit)]
pub struct AdminEntry {
    pub id: i64,
    pub seq: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub data: String,
    pub created_at: NaiveDateTime,
    pub prev_hash: String,
    pub hash: String,
}

fn admin_hash(e: &AdminEntry) -> String {
    let canonical = serde_json::json!([
        e.seq,
        e.actor_id,
        e.action,
        e.target,
        e.data,
        e.created_at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.prev_hash,
    ]);
    sha256_hex(canonical.to_string().as_bytes())
}

/// Records an administrator's change (`action` like `unit.update`, `target` like `unit:12`).
/// `data` holds no personal data (ids, codes, the changed flags). Call in the change's
/// transaction. Concurrent writers collide on `seq` and one retries.
pub fn record_admin(
    conn: &mut DbConn,
    actor_id: Option<i64>,
    action: &str,
    target: &str,
    data: Value,
    now: NaiveDateTime,
) -> Result<(), Error> {
    for _ in 0..5 {
        let last = admin_audit::table
            .order(admin_audit::seq.desc())
            .select((admin_audit::seq, admin_audit::hash))
            .first::<(i64, String)>(conn)
            .optional()?;
        let (seq, prev_hash) = match last {
            Some((s, h)) => (s + 1, h),
            None => (1, GENESIS.to_string()),
        };
        let mut e = AdminEntry {
            id: 0,
            seq,
            actor_id,
            action: action.to_string(),
            target: target.to_string(),
            data: data.to_string(),
            created_at: now,
            prev_hash,
            hash: String::new(),
        };
        e.hash = admin_hash(&e);
        let inserted = conn.transaction(|c| {
            diesel::insert_into(admin_audit::table)
                .values((
                    admin_audit::seq.eq(e.seq),
                    admin_audit::actor_id.eq(e.actor_id),
                    admin_audit::action.eq(&e.action),
                    admin_audit::target.eq(&e.target),
                    admin_audit::data.eq(&e.data),
                    admin_audit::created_at.eq(e.created_at),
                    admin_audit::prev_hash.eq(&e.prev_hash),
                    admin_audit::hash.eq(&e.hash),
                ))
                .execute(c)
        });
        match inserted {
            Ok(_) => return Ok(()),
            Err(err) if super::is_unique_violation(&err) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(Error::Concurrent)
}

pub fn admin_entries(
    conn: &mut DbConn,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<AdminEntry>, Error> {
    let mut q = admin_audit::table
        .order(admin_audit::seq.asc())
        .limit(limit)
        .select(AdminEntry::as_select())
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(admin_audit::seq.gt(a));
    }
    Ok(q.load(conn)?)
}

fn verify_admin(conn: &mut DbConn) -> Result<(i64, Option<Broken>), Error> {
    let mut prev = GENESIS.to_string();
    let mut checked = 0;
    let mut after = None;
    loop {
        let batch = admin_entries(conn, after, BATCH)?;
        if batch.is_empty() {
            return Ok((checked, None));
        }
        for e in &batch {
            checked += 1;
            let problem = if e.prev_hash != prev {
                Some("its link to the previous entry does not match")
            } else if admin_hash(e) != e.hash {
                Some("its content does not match its hash")
            } else {
                None
            };
            if let Some(p) = problem {
                return Ok((
                    checked,
                    Some(Broken {
                        record: "admin_audit".into(),
                        id: Some(e.id),
                        ticket_code: None,
                        seq: Some(e.seq),
                        day: None,
                        problem: p.into(),
                    }),
                ));
            }
            prev = e.hash.clone();
        }
        after = batch.last().map(|e| e.seq);
    }
}
