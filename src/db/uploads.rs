//! Uploads: files sent before the ticket (or the answer) they belong to. An upload belongs to
//! whoever sent it (`scope`: `user:{id}`, or `client:{address}` without an account) until
//! `workflow::tickets` files it on a ticket; one never filed is purged after a day.
//!
//! The rows hold where the bytes are (`storage_key`, `thumbnail_key` in the `MediaStore`), never
//! the bytes themselves.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::uploads;
use crate::db::Error;
use crate::media::MediaKind;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = uploads)]
pub struct Upload {
    pub id: String,
    pub uploader_id: Option<i64>,
    pub scope: String,
    pub media_kind: String,
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
    pub original_name: Option<String>,
    pub ticket_id: Option<i64>,
    pub event_id: Option<i64>,
    pub by_submitter: bool,
    pub publishable: bool,
    pub created_at: NaiveDateTime,
    pub attached_at: Option<NaiveDateTime>,
}

impl Upload {
    /// What the file is; `None` only for a row written by something other than this module.
    pub fn kind(&self) -> Option<MediaKind> {
        kind_of(&self.media_kind)
    }
}

/// The stored name of a kind (`jpeg`, `png`, `webp`, `pdf`), as the API shows it.
pub fn kind_name(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Jpeg => "jpeg",
        MediaKind::Png => "png",
        MediaKind::Webp => "webp",
        MediaKind::Pdf => "pdf",
    }
}

fn kind_of(name: &str) -> Option<MediaKind> {
    [
        MediaKind::Jpeg,
        MediaKind::Png,
        MediaKind::Webp,
        MediaKind::Pdf,
    ]
    .into_iter()
    .find(|k| kind_name(*k) == name)
}

/// A sanitised file whose bytes are already in the store.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub id: String,
    pub uploader_id: Option<i64>,
    pub scope: String,
    pub kind: MediaKind,
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
}

pub fn create(conn: &mut DbConn, u: &NewUpload, now: NaiveDateTime) -> Result<Upload, Error> {
    diesel::insert_into(uploads::table)
        .values((
            uploads::id.eq(&u.id),
            uploads::uploader_id.eq(u.uploader_id),
            uploads::scope.eq(&u.scope),
            uploads::media_kind.eq(kind_name(u.kind)),
            uploads::size_bytes.eq(u.size_bytes),
            uploads::width.eq(u.width),
            uploads::height.eq(u.height),
            uploads::storage_key.eq(&u.storage_key),
            uploads::thumbnail_key.eq(&u.thumbnail_key),
            // The client's file name is not kept: downloads are named `<id>.<ext>`, and a name
            // like "don-to-cao-cua-Lan.pdf" could identify a denouncer.
            uploads::original_name.eq(None::<String>),
            uploads::by_submitter.eq(false),
            uploads::publishable.eq(false),
            uploads::created_at.eq(now),
        ))
        .execute(conn)?;
    find(conn, &u.id)?.ok_or_else(|| Error::corrupt("upload vanished"))
}

pub fn find(conn: &mut DbConn, id: &str) -> Result<Option<Upload>, Error> {
    Ok(uploads::table
        .find(id)
        .select(Upload::as_select())
        .first(conn)
        .optional()?)
}

/// The files on a ticket, in the order they were attached: a ticket read's second statement,
/// run on the backend's own connection (see `on_backend!`).
pub fn of_ticket(conn: &mut DbConn, ticket_id: i64) -> Result<Vec<Upload>, Error> {
    Ok(on_backend!(conn, |c| uploads::table
        .filter(uploads::ticket_id.eq(ticket_id))
        .order(uploads::attached_at.asc())
        .select(Upload::as_select())
        .load(c))?)
}

/// How many uploads a ticket carries.
pub fn count_on(conn: &mut DbConn, ticket_id: i64) -> Result<i64, Error> {
    Ok(uploads::table
        .filter(uploads::ticket_id.eq(ticket_id))
        .count()
        .get_result(conn)?)
}

/// Files an upload of `owner` (or, with `anonymous_scope`, one sent without an account) that
/// is not on a ticket yet on `(ticket, event)`: `false` when there is no such upload.
pub fn attach(
    conn: &mut DbConn,
    id: &str,
    owner: Option<i64>,
    anonymous_scope: Option<&str>,
    (ticket_id, event_id): (i64, i64),
    by_submitter: bool,
    now: NaiveDateTime,
) -> Result<bool, Error> {
    let mut q = diesel::update(uploads::table)
        .filter(uploads::id.eq(id))
        .filter(uploads::ticket_id.is_null())
        .into_boxed();
    q = match (owner, anonymous_scope) {
        (Some(o), _) => q.filter(uploads::uploader_id.eq(o)),
        (None, Some(prefix)) => q
            .filter(uploads::uploader_id.is_null())
            .filter(uploads::scope.like(format!("{prefix}%"))),
        (None, None) => return Ok(false),
    };
    let n = q
        .set((
            uploads::ticket_id.eq(Some(ticket_id)),
            uploads::event_id.eq(Some(event_id)),
            uploads::by_submitter.eq(by_submitter),
            uploads::attached_at.eq(Some(now)),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Marks a filed upload publishable or not.
pub fn set_publishable(conn: &mut DbConn, id: &str, on: bool) -> Result<(), Error> {
    diesel::update(uploads::table.filter(uploads::id.eq(id)))
        .set(uploads::publishable.eq(on))
        .execute(conn)?;
    Ok(())
}

/// Where an upload's bytes are, for deleting them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeys {
    pub storage_key: String,
    pub thumbnail_key: Option<String>,
}

/// Deletes up to `limit` uploads created before `created_before` and never attached, and
/// returns the store keys of exactly the rows deleted (the caller removes the bytes). An upload
/// attached while this runs is not deleted: the delete re-checks `ticket_id IS NULL` row by row.
pub fn purge_orphans(
    conn: &mut DbConn,
    created_before: NaiveDateTime,
    limit: i64,
) -> Result<Vec<StoredKeys>, Error> {
    super::write(conn, |conn| {
        // An announcement's and a consultation's files are on no ticket, and kept.
        let on_announcements = super::schema::announcement_attachments::table
            .select(super::schema::announcement_attachments::upload_id);
        let on_consultations = super::schema::consultation_documents::table
            .select(super::schema::consultation_documents::upload_id);
        let candidates: Vec<String> = uploads::table
            .filter(uploads::ticket_id.is_null())
            .filter(diesel::dsl::not(uploads::id.eq_any(on_announcements)))
            .filter(diesel::dsl::not(uploads::id.eq_any(on_consultations)))
            .filter(uploads::created_at.lt(created_before))
            .order(uploads::created_at.asc())
            .limit(limit)
            .select(uploads::id)
            .load(conn)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let deleted: Vec<(String, Option<String>)> = diesel::delete(
            uploads::table
                .filter(uploads::id.eq_any(&candidates))
                .filter(uploads::ticket_id.is_null()),
        )
        .returning((uploads::storage_key, uploads::thumbnail_key))
        .get_results(conn)?;
        Ok(deleted
            .into_iter()
            .map(|(storage_key, thumbnail_key)| StoredKeys {
                storage_key,
                thumbnail_key,
            })
            .collect())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_and_match_the_api() {
        for kind in [
            MediaKind::Jpeg,
            MediaKind::Png,
            MediaKind::Webp,
            MediaKind::Pdf,
        ] {
            assert_eq!(kind_of(kind_name(kind)), Some(kind));
            // The same words serde uses for MediaKind.
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind_name(kind).into())
            );
        }
        assert_eq!(kind_of("jpg"), None);
    }
}
