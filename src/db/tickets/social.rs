//! Who follows and who supports a ticket.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::schema::{ticket_followers, ticket_supports, tickets};
use super::super::{DbConn, is_unique_violation};
use crate::db::Error;

/// Follows a ticket (idempotent).
pub fn follow(
    conn: &mut DbConn,
    ticket_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    // A savepoint: on PostgreSQL a caught unique violation aborts the transaction.
    let r = conn.transaction(|c| {
        diesel::insert_into(ticket_followers::table)
            .values((
                ticket_followers::ticket_id.eq(ticket_id),
                ticket_followers::user_id.eq(user_id),
                ticket_followers::created_at.eq(now),
            ))
            .execute(c)
    });
    match r {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

pub fn unfollow(conn: &mut DbConn, ticket_id: i64, user_id: i64) -> Result<(), Error> {
    diesel::delete(
        ticket_followers::table
            .filter(ticket_followers::ticket_id.eq(ticket_id))
            .filter(ticket_followers::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Moves a ticket's followers to another (a duplicate's, to its original).
pub fn move_followers(
    conn: &mut DbConn,
    from: i64,
    into: i64,
    now: NaiveDateTime,
) -> Result<(), Error> {
    let ids: Vec<i64> = ticket_followers::table
        .filter(ticket_followers::ticket_id.eq(from))
        .select(ticket_followers::user_id)
        .load(conn)?;
    for uid in ids {
        follow(conn, into, uid, now)?;
    }
    diesel::delete(ticket_followers::table.filter(ticket_followers::ticket_id.eq(from)))
        .execute(conn)?;
    Ok(())
}

/// Those who follow or support a ticket, once each.
pub fn followers_and_supporters(conn: &mut DbConn, ticket_id: i64) -> Result<Vec<i64>, Error> {
    let mut ids: Vec<i64> = ticket_followers::table
        .filter(ticket_followers::ticket_id.eq(ticket_id))
        .select(ticket_followers::user_id)
        .load(conn)?;
    ids.extend(
        ticket_supports::table
            .filter(ticket_supports::ticket_id.eq(ticket_id))
            .select(ticket_supports::user_id)
            .load::<i64>(conn)?,
    );
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Records a citizen's support: `false` if they supported it already.
pub fn add_support(
    conn: &mut DbConn,
    ticket_id: i64,
    user_id: i64,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let r = conn.transaction(|c| {
        diesel::insert_into(ticket_supports::table)
            .values((
                ticket_supports::ticket_id.eq(ticket_id),
                ticket_supports::user_id.eq(user_id),
                ticket_supports::created_at.eq(now),
            ))
            .execute(c)
    });
    match r {
        Ok(_) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub fn remove_support(conn: &mut DbConn, ticket_id: i64, user_id: i64) -> Result<(), Error> {
    diesel::delete(
        ticket_supports::table
            .filter(ticket_supports::ticket_id.eq(ticket_id))
            .filter(ticket_supports::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Counts the supporters again and keeps the count on the ticket; returns it.
pub fn recount_supporters(conn: &mut DbConn, ticket_id: i64) -> Result<i32, Error> {
    let count = ticket_supports::table
        .filter(ticket_supports::ticket_id.eq(ticket_id))
        .count()
        .get_result::<i64>(conn)? as i32;
    diesel::update(tickets::table.find(ticket_id))
        .set(tickets::supporters.eq(count))
        .execute(conn)?;
    Ok(count)
}

/// Raises a ticket's priority (a petition reaching its supporters' threshold).
pub fn raise_priority(conn: &mut DbConn, ticket_id: i64) -> Result<(), Error> {
    diesel::update(tickets::table.find(ticket_id))
        .set(tickets::priority.eq(1))
        .execute(conn)?;
    Ok(())
}
