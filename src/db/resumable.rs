//! Resumable uploads in progress (tus): how long each is, how much has arrived, and which
//! media-store objects hold the stretches received so far.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::resumable_uploads;
use super::{DbConn, Error};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = resumable_uploads)]
pub struct Resumable {
    pub id: String,
    pub uploader_id: Option<i64>,
    pub scope: String,
    pub length: i64,
    pub received: i64,
    /// The media-store keys of the stored stretches, comma-separated, in order.
    pub parts: String,
    /// `Upload-Metadata` as the client sent it.
    pub metadata: Option<String>,
    /// The upload made once every byte was in.
    pub upload_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl Resumable {
    /// The media-store keys of the stored stretches, in order.
    pub fn part_keys(&self) -> Vec<String> {
        self.parts
            .split(',')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    }
}

pub fn create(conn: &mut DbConn, r: &Resumable) -> Result<(), Error> {
    diesel::insert_into(resumable_uploads::table)
        .values(r)
        .execute(conn)?;
    Ok(())
}

/// The upload `id`, unless it expired by `now`.
pub fn find(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> Result<Option<Resumable>, Error> {
    Ok(resumable_uploads::table
        .find(id)
        .filter(resumable_uploads::expires_at.gt(now))
        .select(Resumable::as_select())
        .first(conn)
        .optional()?)
}

/// Records a stretch stored under `key` from `from` to `to`, if the upload still stood at
/// `from` (a concurrent PATCH at the same offset loses); whether it did.
pub fn advance(conn: &mut DbConn, id: &str, from: i64, to: i64, key: &str) -> Result<bool, Error> {
    super::write(conn, |c| {
        let Some(parts) = resumable_uploads::table
            .find(id)
            .filter(resumable_uploads::received.eq(from))
            .select(resumable_uploads::parts)
            .first::<String>(c)
            .optional()?
        else {
            return Ok(false);
        };
        let parts = if parts.is_empty() {
            key.to_string()
        } else {
            format!("{parts},{key}")
        };
        let n = diesel::update(
            resumable_uploads::table
                .find(id)
                .filter(resumable_uploads::received.eq(from)),
        )
        .set((
            resumable_uploads::received.eq(to),
            resumable_uploads::parts.eq(parts),
        ))
        .execute(c)?;
        Ok(n == 1)
    })
}

/// Names the upload made from the finished bytes.
pub fn finish(conn: &mut DbConn, id: &str, upload_id: &str) -> Result<(), Error> {
    diesel::update(resumable_uploads::table.find(id))
        .set(resumable_uploads::upload_id.eq(Some(upload_id)))
        .execute(conn)?;
    Ok(())
}

/// Deletes the row; whether there was one.
pub fn delete(conn: &mut DbConn, id: &str) -> Result<bool, Error> {
    Ok(diesel::delete(resumable_uploads::table.find(id)).execute(conn)? == 1)
}

/// Deletes up to `limit` uploads expired by `now` and returns them (the caller removes their
/// stored stretches).
pub fn purge_expired(
    conn: &mut DbConn,
    now: NaiveDateTime,
    limit: i64,
) -> Result<Vec<Resumable>, Error> {
    super::write(conn, |c| {
        let gone: Vec<Resumable> = resumable_uploads::table
            .filter(resumable_uploads::expires_at.le(now))
            .order(resumable_uploads::expires_at.asc())
            .limit(limit)
            .select(Resumable::as_select())
            .load(c)?;
        let ids: Vec<&str> = gone.iter().map(|r| r.id.as_str()).collect();
        diesel::delete(resumable_uploads::table.filter(resumable_uploads::id.eq_any(ids)))
            .execute(c)?;
        Ok(gone)
    })
}
