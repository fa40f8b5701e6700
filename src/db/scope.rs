//! Which tickets a person's lists and reports cover, and who may handle one ticket: the
//! queries behind `domain::access`. Every list (inbox, supervision, reports) filters through
//! [`Scope`], and every read of one ticket decides with [`official_may_handle`], so the
//! accused-unit rule and the subunit rule have one home.

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, SelectableExpression, ValidGrouping, is_aggregate};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType};

use super::DbConn;
use super::schema::{tickets, units};
use crate::db::Error;
use crate::domain::access::{self, UnitLink};
use crate::domain::account::Role;

/// The tickets a list covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scope {
    /// Held by one of these units; `None`: by any unit (an administrator).
    pub units: Option<Vec<i64>>,
    /// Never a ticket that names this unit as accused (an official's own unit).
    pub not_accusing: Option<i64>,
}

impl Scope {
    /// Nothing at all (a staff account without a unit, a citizen).
    pub fn nothing() -> Scope {
        Scope {
            units: Some(vec![]),
            not_accusing: None,
        }
    }

    /// Every ticket (an administrator; the metrics).
    pub fn everything() -> Scope {
        Scope {
            units: None,
            not_accusing: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.units.as_ref().is_some_and(Vec::is_empty)
    }

    /// The scope as a condition on `tickets` (the SQL form of `domain::access`), for any
    /// backend: the hot lists run it on the backend's own connection (`db::on_backend!`).
    pub fn condition(&self) -> InScope {
        InScope(self.clone())
    }
}

/// [`Scope::condition`]: held by one of the scope's units (`=` for one unit, which a planner
/// matches to the partial `(unit_id, …)` indexes most readily; `IN (…)` for several), and never
/// naming the official's own unit as accused.
#[derive(Debug, Clone)]
pub struct InScope(Scope);

impl Expression for InScope {
    type SqlType = Bool;
}

impl<DB> QueryFragment<DB> for InScope
where
    DB: Backend + HasSqlType<BigInt>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Equal scopes of equal size give equal text, so the statement is kept prepared.
        out.push_sql("(");
        match &self.0.units {
            Some(units) if units.is_empty() => out.push_sql("1 = 0"),
            Some(units) if units.len() == 1 => {
                out.push_sql("tickets.unit_id = ");
                out.push_bind_param::<BigInt, i64>(&units[0])?;
            }
            Some(units) => {
                out.push_sql("tickets.unit_id IN (");
                for (i, unit) in units.iter().enumerate() {
                    if i > 0 {
                        out.push_sql(", ");
                    }
                    out.push_bind_param::<BigInt, i64>(unit)?;
                }
                out.push_sql(")");
            }
            None => out.push_sql("1 = 1"),
        }
        if let Some(unit) = &self.0.not_accusing {
            // Never NULL: when the column is NULL the first operand is true.
            out.push_sql(" AND (tickets.accused_unit_id IS NULL OR tickets.accused_unit_id <> ");
            out.push_bind_param::<BigInt, i64>(unit)?;
            out.push_sql(")");
        }
        out.push_sql(")");
        Ok(())
    }
}

impl QueryId for InScope {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl SelectableExpression<tickets::table> for InScope {}

impl AppearsOnTable<tickets::table> for InScope {}

impl<GB> ValidGrouping<GB> for InScope {
    type IsAggregate = is_aggregate::Never;
}

/// Where the unit tree is read: the database, or this process's reference data
/// (`reference::Snapshot`, no statement). [`of`] and [`handled_units`] take either.
pub trait UnitTree {
    /// Whether the unit's officials handle its subunits' tickets (`false`: no such unit).
    fn sees_subunits(&mut self, unit: i64) -> Result<bool, Error>;
    /// The unit and every unit below it (empty: no such unit).
    fn subtree(&mut self, root: i64) -> Result<Vec<i64>, Error>;
}

impl UnitTree for DbConn {
    fn sees_subunits(&mut self, unit: i64) -> Result<bool, Error> {
        Ok(units::table
            .find(unit)
            .select(units::sees_subunits)
            .first::<bool>(self)
            .optional()?
            .unwrap_or(false))
    }

    fn subtree(&mut self, root: i64) -> Result<Vec<i64>, Error> {
        super::units::subtree(self, root)
    }
}

impl UnitTree for &super::reference::Snapshot {
    fn sees_subunits(&mut self, unit: i64) -> Result<bool, Error> {
        Ok(self.unit(unit).is_some_and(|u| u.sees_subunits))
    }

    fn subtree(&mut self, root: i64) -> Result<Vec<i64>, Error> {
        Ok(super::reference::Snapshot::subtree(self, root))
    }
}

/// What `role` with `unit_id` lists: an official, the tickets its unit handles (its own, and
/// its subtree when it sees its subunits) except those accusing it; a supervisor, the subtree
/// it oversees; an administrator, everything.
pub fn of<T: UnitTree + ?Sized>(
    tree: &mut T,
    role: Role,
    unit_id: Option<i64>,
) -> Result<Scope, Error> {
    Ok(match (role, unit_id) {
        (Role::Admin, _) => Scope {
            units: None,
            not_accusing: None,
        },
        (Role::Supervisor, Some(unit)) => Scope {
            units: Some(tree.subtree(unit)?),
            not_accusing: None,
        },
        (Role::Official, Some(unit)) => Scope {
            units: Some(handled_units(tree, unit)?),
            not_accusing: Some(unit),
        },
        _ => Scope::nothing(),
    })
}

/// The units whose tickets an official of `unit_id` handles: its own, and its subtree when the
/// unit sees its subunits (the set form of `domain::access::handles`).
pub fn handled_units<T: UnitTree + ?Sized>(tree: &mut T, unit_id: i64) -> Result<Vec<i64>, Error> {
    if tree.sees_subunits(unit_id)? {
        tree.subtree(unit_id)
    } else {
        Ok(vec![unit_id])
    }
}

/// The unit and every unit above it, nearest first (empty for an unknown unit).
pub fn chain(conn: &mut DbConn, unit_id: i64) -> Result<Vec<UnitLink>, Error> {
    #[derive(QueryableByName)]
    struct Link {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Bool)]
        sees: bool,
    }
    // The walk up in one statement (both databases run this SQL as written). The id is a
    // number, written into the text; the depth bound ends a cycle (never written, but a tree
    // is data), and the first repeated unit ends the chain below.
    let sql = format!(
        "WITH RECURSIVE up (id, sees, parent, depth) AS ( \
             SELECT id, sees_subunits, parent_id, 0 FROM units WHERE id = {unit_id} \
             UNION ALL \
             SELECT u.id, u.sees_subunits, u.parent_id, up.depth + 1 \
             FROM units u JOIN up ON u.id = up.parent WHERE up.depth < 1000) \
         SELECT id, sees FROM up ORDER BY depth"
    );
    let links: Vec<Link> = super::on_backend!(conn, |c| diesel::sql_query(&sql).load(c))?;
    let mut out: Vec<UnitLink> = Vec::with_capacity(links.len());
    for l in links {
        if out.iter().any(|u| u.id == l.id) {
            break;
        }
        out.push(UnitLink {
            id: l.id,
            sees_subunits: l.sees,
        });
    }
    Ok(out)
}

/// Whether an official of `unit` may handle a ticket held by `holder` naming `accused`.
pub fn official_may_handle(
    conn: &mut DbConn,
    unit: i64,
    holder: i64,
    accused: Option<i64>,
) -> Result<bool, Error> {
    if accused == Some(unit) {
        return Ok(false);
    }
    // The holder's own officials (the first case of `access::handles`): nothing to walk up.
    if holder == unit {
        return Ok(true);
    }
    Ok(access::official_may_handle(
        unit,
        accused,
        &chain(conn, holder)?,
    ))
}

/// Whether a ticket naming `accused` may be held by `holder` (see `domain::access::may_hold`).
pub fn may_hold(conn: &mut DbConn, holder: i64, accused: Option<i64>) -> Result<bool, Error> {
    match accused {
        None => Ok(true),
        Some(_) => Ok(access::may_hold(accused, &chain(conn, holder)?)),
    }
}
