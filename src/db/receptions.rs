//! The reception register's storage: receptions, the people received (identity numbers only
//! as a keyed hash and a tail), and who received them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{reception_hosts, reception_visitors, receptions, tickets};
use crate::db::Error;

type Db = <DbConn as diesel::Connection>::Backend;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = receptions)]
pub struct Reception {
    pub id: i64,
    pub unit_id: i64,
    pub received_at: NaiveDateTime,
    pub place: String,
    pub kind: String,
    pub visitors: i32,
    pub group_size: Option<i32>,
    pub group_representatives: Option<i32>,
    pub summary: String,
    pub outcome: String,
    pub outcome_note: Option<String>,
    pub referred_unit_id: Option<i64>,
    pub refusal_ground: Option<String>,
    pub ticket_id: Option<i64>,
    pub recorded_by: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reception_visitors)]
pub struct Visitor {
    pub reception_id: i64,
    pub position: i32,
    pub name: String,
    pub id_number_tail: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

/// A reception to store.
pub struct NewReception<'a> {
    pub unit_id: i64,
    pub received_at: NaiveDateTime,
    pub place: &'a str,
    pub kind: &'a str,
    pub visitors: i32,
    pub group_size: Option<i32>,
    pub group_representatives: Option<i32>,
    pub summary: &'a str,
    pub outcome: &'a str,
    pub outcome_note: Option<&'a str>,
    pub referred_unit_id: Option<i64>,
    pub refusal_ground: Option<&'a str>,
    pub ticket_id: Option<i64>,
    pub recorded_by: i64,
}

/// A person received, to store.
pub struct NewVisitor<'a> {
    pub name: &'a str,
    pub id_number_hash: Option<&'a str>,
    pub id_number_tail: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// Stores a reception with its visitors and hosts; returns its id.
pub fn insert(
    conn: &mut DbConn,
    r: &NewReception,
    visitors: &[NewVisitor],
    hosts: &[i64],
    now: NaiveDateTime,
) -> Result<i64, Error> {
    let id = diesel::insert_into(receptions::table)
        .values((
            receptions::unit_id.eq(r.unit_id),
            receptions::received_at.eq(r.received_at),
            receptions::place.eq(r.place),
            receptions::kind.eq(r.kind),
            receptions::visitors.eq(r.visitors),
            receptions::group_size.eq(r.group_size),
            receptions::group_representatives.eq(r.group_representatives),
            receptions::summary.eq(r.summary),
            receptions::outcome.eq(r.outcome),
            receptions::outcome_note.eq(r.outcome_note),
            receptions::referred_unit_id.eq(r.referred_unit_id),
            receptions::refusal_ground.eq(r.refusal_ground),
            receptions::ticket_id.eq(r.ticket_id),
            receptions::recorded_by.eq(r.recorded_by),
            receptions::created_at.eq(now),
        ))
        .returning(receptions::id)
        .get_result::<i64>(conn)?;
    // One row per statement: the MultiConnection has no multi-row insert.
    for (i, v) in visitors.iter().enumerate() {
        diesel::insert_into(reception_visitors::table)
            .values((
                reception_visitors::reception_id.eq(id),
                reception_visitors::position.eq(i as i32),
                reception_visitors::name.eq(v.name),
                reception_visitors::id_number_hash.eq(v.id_number_hash),
                reception_visitors::id_number_tail.eq(v.id_number_tail),
                reception_visitors::phone.eq(v.phone),
                reception_visitors::address.eq(v.address),
            ))
            .execute(conn)?;
    }
    for h in hosts {
        diesel::insert_into(reception_hosts::table)
            .values((
                reception_hosts::reception_id.eq(id),
                reception_hosts::user_id.eq(h),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> Result<Option<Reception>, Error> {
    Ok(receptions::table
        .find(id)
        .select(Reception::as_select())
        .first(conn)
        .optional()?)
}

/// Which receptions to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Of these units; `None`: of every unit.
    pub units: Option<Vec<i64>>,
    /// Received at or after.
    pub from: Option<NaiveDateTime>,
    /// Received before.
    pub until: Option<NaiveDateTime>,
    pub kind: Option<String>,
    pub outcome: Option<String>,
    /// With a visitor whose identity number hashes to this.
    pub id_number_hash: Option<String>,
}

fn filtered<'a>(f: &'a Filter) -> receptions::BoxedQuery<'a, Db> {
    let mut q = receptions::table.into_boxed();
    if let Some(units) = &f.units {
        q = q.filter(receptions::unit_id.eq_any(units.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(receptions::received_at.ge(from));
    }
    if let Some(until) = f.until {
        q = q.filter(receptions::received_at.lt(until));
    }
    if let Some(k) = &f.kind {
        q = q.filter(receptions::kind.eq(k.clone()));
    }
    if let Some(o) = &f.outcome {
        q = q.filter(receptions::outcome.eq(o.clone()));
    }
    if let Some(h) = &f.id_number_hash {
        q = q.filter(
            receptions::id.eq_any(
                reception_visitors::table
                    .filter(reception_visitors::id_number_hash.eq(h.clone()))
                    .select(reception_visitors::reception_id),
            ),
        );
    }
    q
}

/// A page of receptions, latest first: after the keyset position `(received_at, id)`.
pub fn list(
    conn: &mut DbConn,
    f: &Filter,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
) -> Result<Vec<Reception>, Error> {
    let mut q = filtered(f);
    if let Some((at, id)) = after {
        q = q.filter(
            receptions::received_at
                .lt(at)
                .or(receptions::received_at.eq(at).and(receptions::id.lt(id))),
        );
    }
    Ok(
        q.order((receptions::received_at.desc(), receptions::id.desc()))
            .limit(limit)
            .select(Reception::as_select())
            .load(conn)?,
    )
}

/// Every reception of the filter (for the report), oldest first.
pub fn all(conn: &mut DbConn, f: &Filter) -> Result<Vec<Reception>, Error> {
    Ok(filtered(f)
        .order((receptions::received_at.asc(), receptions::id.asc()))
        .select(Reception::as_select())
        .load(conn)?)
}

/// The visitors of these receptions, in order.
pub fn visitors_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<Visitor>, Error> {
    Ok(reception_visitors::table
        .filter(reception_visitors::reception_id.eq_any(ids))
        .order((
            reception_visitors::reception_id.asc(),
            reception_visitors::position.asc(),
        ))
        .select(Visitor::as_select())
        .load(conn)?)
}

/// The hosts of these receptions: (reception, user).
pub fn hosts_of(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, i64)>, Error> {
    Ok(reception_hosts::table
        .filter(reception_hosts::reception_id.eq_any(ids))
        .order((
            reception_hosts::reception_id.asc(),
            reception_hosts::user_id.asc(),
        ))
        .select((reception_hosts::reception_id, reception_hosts::user_id))
        .load(conn)?)
}

/// The codes of these tickets: id → code.
pub fn ticket_codes(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, String>, Error> {
    Ok(tickets::table
        .filter(tickets::id.eq_any(ids))
        .select((tickets::id, tickets::code))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}
