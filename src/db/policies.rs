//! Deadline policies (`sla_policies`) and the facts that choose one for a ticket.
//!
//! Changing or deleting a policy never changes the due dates of running tickets: a ticket
//! keeps the dates computed when its clocks started. (There are no tickets yet; the tickets
//! module stores its due dates and must not join back to this table to recompute them.)

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{areas, categories, sla_policies};
use crate::db::Error;
use crate::domain::policy::{self, Channel, Policy, PolicyClock, TicketFacts, TicketKind};

/// A stored policy with its timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPolicy {
    pub policy: Policy,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sla_policies)]
struct Row {
    id: i64,
    name: String,
    kind: String,
    round: Option<i32>,
    category_code: Option<String>,
    channel: Option<String>,
    urgent: bool,
    active: bool,
    clocks: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl TryFrom<Row> for StoredPolicy {
    type Error = Error;

    fn try_from(r: Row) -> Result<Self, Error> {
        let bad = |what: &str| Error::corrupt(format!("sla_policies row {}: {what}", r.id));
        let kind = TicketKind::parse(&r.kind).ok_or_else(|| bad("unknown kind"))?;
        let channel = match r.channel.as_deref() {
            None => None,
            Some(c) => Some(Channel::parse(c).ok_or_else(|| bad("unknown channel"))?),
        };
        let round = match r.round {
            None => None,
            Some(n) => Some(u8::try_from(n).map_err(|_| bad("round out of range"))?),
        };
        let clocks: Vec<PolicyClock> =
            serde_json::from_str(&r.clocks).map_err(|e| bad(&format!("clocks: {e}")))?;
        Ok(StoredPolicy {
            policy: Policy {
                id: r.id,
                name: r.name,
                kind,
                round,
                category: r.category_code,
                channel,
                urgent: r.urgent,
                active: r.active,
                clocks,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn stored(rows: Vec<Row>) -> Result<Vec<StoredPolicy>, Error> {
    rows.into_iter().map(StoredPolicy::try_from).collect()
}

fn clocks_json(p: &Policy) -> Result<String, Error> {
    serde_json::to_string(&p.clocks).map_err(|e| Error::corrupt(format!("clocks: {e}")))
}

/// Stores a new policy (its `id` is ignored) and returns it with its id. The caller has run
/// [`Policy::check`] and checked that its category exists.
pub fn create(conn: &mut DbConn, p: &Policy, now: NaiveDateTime) -> Result<StoredPolicy, Error> {
    super::reference::changed();
    let id = diesel::insert_into(sla_policies::table)
        .values((
            sla_policies::name.eq(&p.name),
            sla_policies::kind.eq(p.kind.as_str()),
            sla_policies::round.eq(p.round.map(i32::from)),
            sla_policies::category_code.eq(&p.category),
            sla_policies::channel.eq(p.channel.map(Channel::as_str)),
            sla_policies::urgent.eq(p.urgent),
            sla_policies::active.eq(p.active),
            sla_policies::clocks.eq(clocks_json(p)?),
            sla_policies::created_at.eq(now),
            sla_policies::updated_at.eq(now),
        ))
        .returning(sla_policies::id)
        .get_result::<i64>(conn)?;
    find(conn, id)?.ok_or_else(|| Error::corrupt("inserted policy vanished"))
}

/// Replaces every field of policy `p.id` (checked as for [`create`]); `None` when there is no
/// such policy.
pub fn update(
    conn: &mut DbConn,
    p: &Policy,
    now: NaiveDateTime,
) -> Result<Option<StoredPolicy>, Error> {
    super::reference::changed();
    let changed = diesel::update(sla_policies::table.find(p.id))
        .set((
            sla_policies::name.eq(&p.name),
            sla_policies::kind.eq(p.kind.as_str()),
            sla_policies::round.eq(p.round.map(i32::from)),
            sla_policies::category_code.eq(&p.category),
            sla_policies::channel.eq(p.channel.map(Channel::as_str)),
            sla_policies::urgent.eq(p.urgent),
            sla_policies::active.eq(p.active),
            sla_policies::clocks.eq(clocks_json(p)?),
            sla_policies::updated_at.eq(now),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    find(conn, p.id)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<StoredPolicy>, Error> {
    sla_policies::table
        .find(id)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(StoredPolicy::try_from)
        .transpose()
}

/// `false` when there was no such policy.
pub fn delete(conn: &mut DbConn, id: i64) -> Result<bool, Error> {
    super::reference::changed();
    Ok(diesel::delete(sla_policies::table.find(id)).execute(conn)? > 0)
}

/// Up to `limit` policies after id `after`, by id, optionally of one kind.
pub fn list(
    conn: &mut DbConn,
    kind: Option<TicketKind>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<StoredPolicy>, Error> {
    let mut q = sla_policies::table
        .select(Row::as_select())
        .order(sla_policies::id)
        .limit(limit)
        .into_boxed();
    if let Some(kind) = kind {
        q = q.filter(sla_policies::kind.eq(kind.as_str()));
    }
    if let Some(after) = after {
        q = q.filter(sla_policies::id.gt(after));
    }
    stored(q.load(conn)?)
}

/// The active policies of one kind.
pub fn active_of_kind(conn: &mut DbConn, kind: TicketKind) -> Result<Vec<Policy>, Error> {
    let rows = sla_policies::table
        .filter(sla_policies::kind.eq(kind.as_str()))
        .filter(sla_policies::active.eq(true))
        .order(sla_policies::id)
        .select(Row::as_select())
        .load(conn)?;
    Ok(stored(rows)?.into_iter().map(|s| s.policy).collect())
}

/// Every active policy, by id (the reference data's copy: `reference::Snapshot`).
pub fn all_active(conn: &mut DbConn) -> Result<Vec<Policy>, Error> {
    let rows = sla_policies::table
        .filter(sla_policies::active.eq(true))
        .order(sla_policies::id)
        .select(Row::as_select())
        .load(conn)?;
    Ok(stored(rows)?.into_iter().map(|s| s.policy).collect())
}

/// The policy that applies to a ticket ([`policy::select`]); `None` when none does.
pub fn for_ticket(conn: &mut DbConn, facts: &TicketFacts) -> Result<Option<Policy>, Error> {
    let candidates = active_of_kind(conn, facts.kind)?;
    Ok(policy::select(&candidates, facts).cloned())
}

/// The deepest a category tree is walked; deeper (or a cycle) is a broken tree.
pub(crate) const MAX_CATEGORY_DEPTH: usize = 32;

/// A category's code followed by its ancestors' up to the root, and whether the category
/// itself is flagged urgent; `None` when there is no such category.
pub fn category_chain(conn: &mut DbConn, code: &str) -> Result<Option<(Vec<String>, bool)>, Error> {
    let mut chain: Vec<String> = Vec::new();
    let mut urgent = false;
    let mut next = Some(code.to_owned());
    while let Some(code) = next.take() {
        if chain.contains(&code) || chain.len() >= MAX_CATEGORY_DEPTH {
            return Err(Error::corrupt(format!(
                "category tree above `{code}` is a cycle or deeper than {MAX_CATEGORY_DEPTH}"
            )));
        }
        let found = categories::table
            .find(&code)
            .select((categories::parent_code, categories::urgent))
            .first::<(Option<String>, bool)>(conn)
            .optional()?;
        let Some((parent, flagged)) = found else {
            if chain.is_empty() {
                return Ok(None);
            }
            // A dangling parent: the foreign key forbids it; the chain ends at the last found.
            break;
        };
        if chain.is_empty() {
            urgent = flagged;
        }
        chain.push(code);
        next = parent;
    }
    Ok(Some((chain, urgent)))
}

/// Whether an area, or the province it lies in, is flagged remote; `None` when there is no
/// such area.
pub fn area_is_remote(conn: &mut DbConn, code: &str) -> Result<Option<bool>, Error> {
    let Some((remote, parent)) = areas::table
        .find(code)
        .select((areas::remote, areas::parent_code))
        .first::<(bool, Option<String>)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    if remote {
        return Ok(Some(true));
    }
    let Some(parent) = parent else {
        return Ok(Some(false));
    };
    let parent_remote = areas::table
        .find(parent)
        .select(areas::remote)
        .first::<bool>(conn)
        .optional()?;
    Ok(Some(parent_remote.unwrap_or(false)))
}

/// Seeds the shipped default policies ([`policy::defaults`]) when the table is empty, so they
/// go in once and administrators' changes stay. (An administrator who deletes every policy
/// gets the defaults back at the next start; deactivate them instead.) Returns how many were
/// added.
pub fn seed_defaults_if_empty(conn: &mut DbConn, now: NaiveDateTime) -> Result<usize, Error> {
    super::reference::changed();
    let present = sla_policies::table.count().get_result::<i64>(conn)?;
    if present > 0 {
        return Ok(0);
    }
    let defaults = policy::defaults();
    super::write(conn, |conn| {
        for p in &defaults {
            create(conn, p, now)?;
        }
        Ok::<_, Error>(())
    })?;
    Ok(defaults.len())
}
