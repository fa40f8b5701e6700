//! Open311 GeoReport v2 storage: the clients' keys (kept hashed), and the public reads of
//! tickets and their updates. What the public may read is decided here once: a public
//! feedback or petition that the unit has not refused (see `src/open311`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{open311_clients, open311_requests, ticket_clocks, ticket_events, tickets};
use crate::db::Error;
use crate::domain::ticket::{Kind, Status};

type Db = <DbConn as diesel::Connection>::Backend;

/// A client allowed to post service requests.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = open311_clients)]
pub struct Client {
    pub id: i64,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Stores a new client with its key's hash; `None` if the name is taken.
pub fn add_client(
    conn: &mut DbConn,
    name: &str,
    key_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<Client>, Error> {
    let taken = open311_clients::table
        .filter(open311_clients::name.eq(name))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Ok(None);
    }
    let id = diesel::insert_into(open311_clients::table)
        .values((
            open311_clients::name.eq(name),
            open311_clients::key_hash.eq(key_hash),
            open311_clients::created_at.eq(now),
        ))
        .returning(open311_clients::id)
        .get_result::<i64>(conn)?;
    Ok(Some(Client {
        id,
        name: name.to_string(),
        created_at: now,
        revoked_at: None,
    }))
}

/// Every client, by name.
pub fn clients(conn: &mut DbConn) -> Result<Vec<Client>, Error> {
    Ok(open311_clients::table
        .select(Client::as_select())
        .order(open311_clients::name.asc())
        .load(conn)?)
}

/// Revokes the client named `name`: `false` if there is none not yet revoked.
pub fn revoke_client(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> Result<bool, Error> {
    let n = diesel::update(
        open311_clients::table
            .filter(open311_clients::name.eq(name))
            .filter(open311_clients::revoked_at.is_null()),
    )
    .set(open311_clients::revoked_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n > 0)
}

/// The active client whose key hashes to `key_hash`.
pub fn client_by_key(conn: &mut DbConn, key_hash: &str) -> Result<Option<Client>, Error> {
    Ok(open311_clients::table
        .filter(open311_clients::key_hash.eq(key_hash))
        .filter(open311_clients::revoked_at.is_null())
        .select(Client::as_select())
        .first(conn)
        .optional()?)
}

/// Records that a ticket came through `client_id`, with what the client sent that the ticket
/// has no column for.
pub fn record_request(
    conn: &mut DbConn,
    ticket_id: i64,
    client_id: i64,
    media_url: Option<&str>,
    device_id: Option<&str>,
) -> Result<(), Error> {
    diesel::insert_into(open311_requests::table)
        .values((
            open311_requests::ticket_id.eq(ticket_id),
            open311_requests::client_id.eq(client_id),
            open311_requests::media_url.eq(media_url),
            open311_requests::device_id.eq(device_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which of these tickets came through Open311: ticket id → the media URL it was sent with.
pub fn posted_through(
    conn: &mut DbConn,
    ids: &[i64],
) -> Result<HashMap<i64, Option<String>>, Error> {
    Ok(open311_requests::table
        .filter(open311_requests::ticket_id.eq_any(ids))
        .select((open311_requests::ticket_id, open311_requests::media_url))
        .load::<(i64, Option<String>)>(conn)?
        .into_iter()
        .collect())
}

/// A ticket as the public reads it through Open311: no submitter, contact or address.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets)]
pub struct RequestRow {
    pub id: i64,
    pub code: String,
    pub category_code: String,
    pub description: String,
    pub status: String,
    pub area_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub unit_id: i64,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answer_public: bool,
    pub title: String,
}

impl RequestRow {
    /// The stored status (an unknown word is an error, never a default).
    pub fn status(&self) -> Result<Status, Error> {
        Status::parse(&self.status)
            .ok_or_else(|| Error::Corrupt(format!("ticket status {:?}", self.status)))
    }
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Ticket codes: overrides every other filter.
    pub codes: Option<Vec<String>>,
    pub categories: Option<Vec<String>>,
    pub statuses: Option<Vec<Status>>,
    /// `requested_datetime` from (inclusive) and to (inclusive).
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// What the public may read: a public feedback or petition (public from submission when sent
/// through Open311, else once accepted or its answer published) that was not refused.
macro_rules! readable {
    ($q:expr) => {
        $q.filter(tickets::public.eq(true))
            .filter(tickets::private.eq(false))
            .filter(tickets::confidential.eq(false))
            .filter(tickets::kind.eq_any([Kind::Feedback.as_str(), Kind::Petition.as_str()]))
            .filter(tickets::status.ne(Status::Refused.as_str()))
    };
}

/// The public requests matching `f`, newest first, `offset` rows skipped, at most `limit`.
pub fn requests(
    conn: &mut DbConn,
    f: &RequestFilter,
    offset: i64,
    limit: i64,
) -> Result<Vec<RequestRow>, Error> {
    let mut q = readable!(tickets::table.into_boxed::<Db>())
        .select(RequestRow::as_select())
        .order((tickets::received_at.desc(), tickets::id.desc()))
        .offset(offset)
        .limit(limit);
    if let Some(codes) = &f.codes {
        q = q.filter(tickets::code.eq_any(codes.clone()));
    } else {
        if let Some(c) = &f.categories {
            q = q.filter(tickets::category_code.eq_any(c.clone()));
        }
        if let Some(s) = &f.statuses {
            q = q.filter(tickets::status.eq_any(s.iter().map(|s| s.as_str()).collect::<Vec<_>>()));
        }
        if let Some(from) = f.from {
            q = q.filter(tickets::received_at.ge(from));
        }
        if let Some(to) = f.to {
            q = q.filter(tickets::received_at.le(to));
        }
    }
    Ok(q.load(conn)?)
}

/// A ticket's clocks and their due moments: [(clock name, due)].
pub type DueDates = Vec<(String, Option<NaiveDateTime>)>;

/// The clocks' due moments of these tickets, by ticket id.
pub fn due_dates(conn: &mut DbConn, ids: &[i64]) -> Result<HashMap<i64, DueDates>, Error> {
    let rows: Vec<(i64, String, Option<NaiveDateTime>)> = ticket_clocks::table
        .filter(ticket_clocks::ticket_id.eq_any(ids))
        .select((
            ticket_clocks::ticket_id,
            ticket_clocks::name,
            ticket_clocks::due_at,
        ))
        .order((ticket_clocks::ticket_id.asc(), ticket_clocks::name.asc()))
        .load(conn)?;
    let mut out: HashMap<i64, DueDates> = HashMap::new();
    for (t, name, due) in rows {
        out.entry(t).or_default().push((name, due));
    }
    Ok(out)
}

/// A public event of a readable ticket.
#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub event_id: i64,
    pub ticket_code: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answer_public: bool,
}

/// The public events of kinds `kinds` on readable tickets between `from` and `to`
/// (inclusive), oldest first, at most `limit`.
pub fn updates(
    conn: &mut DbConn,
    kinds: &[&str],
    from: NaiveDateTime,
    to: NaiveDateTime,
    limit: i64,
) -> Result<Vec<UpdateRow>, Error> {
    type Raw = (i64, String, String, NaiveDateTime, Option<String>, bool);
    let rows: Vec<Raw> = readable!(
        ticket_events::table
            .inner_join(tickets::table)
            .into_boxed::<Db>()
    )
    .filter(ticket_events::public.eq(true))
    .filter(ticket_events::kind.eq_any(kinds))
    .filter(ticket_events::created_at.ge(from))
    .filter(ticket_events::created_at.le(to))
    .order((ticket_events::created_at.asc(), ticket_events::id.asc()))
    .limit(limit)
    .select((
        ticket_events::id,
        tickets::code,
        ticket_events::kind,
        ticket_events::created_at,
        tickets::answer,
        tickets::answer_public,
    ))
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(event_id, ticket_code, kind, created_at, answer, answer_public)| UpdateRow {
                event_id,
                ticket_code,
                kind,
                created_at,
                answer,
                answer_public,
            },
        )
        .collect())
}

/// The area whose name an address names (folded, diacritics removed): a commune before a
/// province, the longest name first; `None` when it names none.
pub fn area_named_in(conn: &mut DbConn, folded_address: &str) -> Result<Option<String>, Error> {
    use super::schema::areas;
    let rows: Vec<(String, String, String)> = areas::table
        .select((areas::code, areas::name_folded, areas::level))
        .load(conn)?;
    let padded = format!(" {} ", words(folded_address));
    Ok(rows
        .into_iter()
        .filter(|(_, name, _)| !name.is_empty() && padded.contains(&format!(" {} ", words(name))))
        .max_by_key(|(_, name, level)| (level == "commune", name.len()))
        .map(|(code, _, _)| code))
}

/// Words separated by single spaces (punctuation as space), to match whole names only.
fn words(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Takes a ticket out of public view for good: private (so that no later acceptance or
/// answer publishes it again), not public, its answer unpublished. `false` when a concurrent
/// change came first.
pub fn hide(conn: &mut DbConn, id: i64, version: i32, now: NaiveDateTime) -> Result<bool, Error> {
    let n = diesel::update(
        tickets::table
            .filter(tickets::id.eq(id))
            .filter(tickets::version.eq(version)),
    )
    .set((
        tickets::private.eq(true),
        tickets::public.eq(false),
        tickets::answer_public.eq(false),
        tickets::version.eq(version + 1),
        tickets::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
