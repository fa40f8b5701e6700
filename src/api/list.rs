//! The list envelope every list uses: `{items, next_cursor}`, `?after=<cursor>&limit=`.
//!
//! Cursors are keyset positions (the sort key of the last item sent), opaque to clients, so a
//! page stays stable while new rows arrive.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::error::ApiError;
use crate::error::FieldError;

pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 100;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct List<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct Page<K> {
    pub after: Option<K>,
    pub limit: i64,
}

impl<K: DeserializeOwned> Page<K> {
    /// Checks `limit` (1–100, default 20) and decodes `after`.
    pub fn new(after: Option<&str>, limit: Option<i64>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::validation(vec![
                FieldError::new("/limit", "out_of_range")
                    .arg("min", 1)
                    .arg("max", MAX_LIMIT),
            ]));
        }
        let after = match after {
            None | Some("") => None,
            Some(c) => Some(decode_cursor(c)?),
        };
        Ok(Page { after, limit })
    }

    /// How many rows to fetch: one more than the page, to learn whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

/// Builds the envelope from up to `limit + 1` rows fetched in order.
pub fn paginate<R, T, K: Serialize>(
    mut rows: Vec<R>,
    limit: i64,
    key: impl Fn(&R) -> K,
    item: impl FnMut(R) -> T,
) -> List<T> {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode_cursor(&key(r)))
    } else {
        None
    };
    List {
        items: rows.into_iter().map(item).collect(),
        next_cursor,
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

pub fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> Result<K, ApiError> {
    let bad = || ApiError::validation(vec![FieldError::new("/after", "invalid_cursor")]);
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    // A forged cursor must not carry U+0000 into a query (PostgreSQL refuses it in text).
    let mut nul = Vec::new();
    crate::api::extract::nul_pointers(&value, String::new(), &mut nul);
    if !nul.is_empty() {
        return Err(bad());
    }
    serde_json::from_value(value).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_1_to_100_are_refused() {
        assert!(Page::<i64>::new(None, Some(0)).is_err());
        assert!(Page::<i64>::new(None, Some(101)).is_err());
        assert_eq!(Page::<i64>::new(None, None).unwrap().limit, 20);
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = encode_cursor(&("2026-01-01", 42_i64));
        let p = Page::<(String, i64)>::new(Some(&c), Some(5)).unwrap();
        assert_eq!(p.after, Some(("2026-01-01".to_string(), 42)));
        assert!(Page::<(String, i64)>::new(Some("!!"), None).is_err());
        assert!(Page::<(String, i64)>::new(Some(&encode_cursor(&7)), None).is_err());
        assert!(Page::<(String, i64)>::new(Some(&encode_cursor(&("a\0", 1))), None).is_err());
    }

    #[test]
    fn paginate_sets_the_cursor_only_when_more_rows_exist() {
        let l = paginate(vec![1, 2, 3], 2, |r| *r, |r| r * 10);
        assert_eq!(l.items, vec![10, 20]);
        assert_eq!(
            decode_cursor::<i32>(l.next_cursor.as_deref().unwrap()).unwrap(),
            2
        );
        let l = paginate(vec![1, 2], 2, |r| *r, |r| r);
        assert!(l.next_cursor.is_none());
    }
}
