//! Conditions written as SQL text that diesel may keep prepared.
//!
//! Diesel cannot know whether the text of `dsl::sql` comes from a request, so a query holding
//! one is parsed and planned anew each time it runs (on PostgreSQL about 0.2 ms, more than the
//! inbox page's own index read). The text of a [`Condition`] is fixed by the program, so a
//! query holding one is cached by its SQL text, like any other diesel query: prepared once per
//! connection. Only text that the program writes itself may go in here, never a value from a
//! request; values go in as binds (`{}` in the text).

use std::borrow::Cow;

use diesel::QueryResult;
use diesel::backend::Backend;
use diesel::expression::is_aggregate;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType};

/// A boolean condition of fixed text; each `{}` in it takes the next of `binds`.
#[derive(Debug, Clone)]
pub struct Condition<B = ()> {
    sql: Cow<'static, str>,
    binds: B,
}

/// `sql` as a condition with no value bound (`sql` must hold no `{}`).
pub fn condition(sql: impl Into<Cow<'static, str>>) -> Condition {
    Condition {
        sql: sql.into(),
        binds: (),
    }
}

/// `sql` as a condition with one value bound, of SQL type `T`, at its `{}`.
pub fn condition_with<T, V>(sql: &'static str, value: V) -> Condition<(Bind<T, V>,)> {
    Condition {
        sql: sql.into(),
        binds: (Bind::new(value),),
    }
}

/// `sql` as a condition with two values bound, at its two `{}`.
pub fn condition_with2<T, V, U, W>(
    sql: &'static str,
    first: V,
    second: W,
) -> Condition<(Bind<T, V>, Bind<U, W>)> {
    Condition {
        sql: sql.into(),
        binds: (Bind::new(first), Bind::new(second)),
    }
}

/// A value and the SQL type it is bound as.
#[derive(Debug, Clone)]
pub struct Bind<T, V> {
    value: V,
    sql_type: std::marker::PhantomData<fn() -> T>,
}

impl<T, V> Bind<T, V> {
    fn new(value: V) -> Self {
        Bind {
            value,
            sql_type: std::marker::PhantomData,
        }
    }
}

/// The values of a condition, pushed in order at its `{}`.
pub trait Binds<DB: Backend> {
    const COUNT: usize;
    fn push<'b>(&'b self, i: usize, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>;
}

impl<DB: Backend> Binds<DB> for () {
    const COUNT: usize = 0;
    fn push<'b>(&'b self, _: usize, _: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        Ok(())
    }
}

impl<DB, T, V> Binds<DB> for (Bind<T, V>,)
where
    DB: Backend + HasSqlType<T>,
    V: ToSql<T, DB>,
{
    const COUNT: usize = 1;
    fn push<'b>(&'b self, _: usize, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_bind_param::<T, V>(&self.0.value)
    }
}

impl<DB, T, V, U, W> Binds<DB> for (Bind<T, V>, Bind<U, W>)
where
    DB: Backend + HasSqlType<T> + HasSqlType<U>,
    V: ToSql<T, DB>,
    W: ToSql<U, DB>,
{
    const COUNT: usize = 2;
    fn push<'b>(&'b self, i: usize, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        match i {
            0 => out.push_bind_param::<T, V>(&self.0.value),
            _ => out.push_bind_param::<U, W>(&self.1.value),
        }
    }
}

impl<B> Expression for Condition<B> {
    type SqlType = Bool;
}

impl<DB: Backend, B: Binds<DB>> QueryFragment<DB> for Condition<B> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // No `unsafe_to_cache_prepared`: the text is the program's, so equal text is an equal
        // statement, and diesel's cache keys a query without a static id by its text.
        let mut pieces = self.sql.split("{}");
        if let Some(first) = pieces.next() {
            out.push_sql(first);
        }
        for (i, piece) in pieces.enumerate() {
            debug_assert!(i < B::COUNT, "more {{}} than values in {:?}", self.sql);
            self.binds.push(i, &mut out)?;
            out.push_sql(piece);
        }
        Ok(())
    }
}

impl<B> QueryId for Condition<B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<QS, B> SelectableExpression<QS> for Condition<B> where Self: AppearsOnTable<QS> {}

impl<QS, B> AppearsOnTable<QS> for Condition<B> where Self: Expression {}

impl<GB, B> ValidGrouping<GB> for Condition<B> {
    type IsAggregate = is_aggregate::Never;
}
