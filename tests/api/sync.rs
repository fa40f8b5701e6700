//! Delta sync for phones: `/me/tickets` and `/me/notifications` with `updated_since`/`since`
//! or `sync_token` send only what changed, withdrawn and merged tickets as tombstones, and a
//! token that misses nothing changed in the same second (the test clock never moves here).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

const EPOCH: &str = "2000-01-01T00:00:00Z";

impl TestApp {
    async fn sync_get(&self, token: &str, path: &str) -> Value {
        let r = self.authed(Method::GET, path, token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Every page of a delta from `query`; returns the items and the token for next time.
    async fn delta(&self, token: &str, path: &str, query: &str) -> (Vec<Value>, String) {
        let mut items = Vec::new();
        let mut page = self.sync_get(token, &format!("{path}?{query}")).await;
        loop {
            assert!(page["next_cursor"].is_null(), "{page}");
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            let next = page["sync_token"].as_str().unwrap().to_string();
            if page["has_more"] == false {
                return (items, next);
            }
            let limit = query
                .split('&')
                .find(|p| p.starts_with("limit="))
                .unwrap_or("limit=100");
            page = self
                .sync_get(token, &format!("{path}?sync_token={next}&{limit}"))
                .await;
        }
    }
}

fn codes(items: &[Value]) -> BTreeSet<String> {
    items
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect()
}

fn item<'a>(items: &'a [Value], code: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("{code} in {items:?}"))
}

#[tokio::test]
async fn a_delta_brings_same_second_changes_and_tombstones_and_never_another_users_tickets() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let citizen = app.citizen().await;
    let neighbour = app.citizen().await;
    let mut mine = Vec::new();
    for _ in 0..4 {
        mine.push(app.submit_pothole(&citizen).await);
    }
    let (kept, withdrawn, copy, original) = (&mine[0], &mine[1], &mine[2], &mine[3]);
    let theirs = app.submit_pothole(&neighbour).await;

    // A first sync from an old time, two to a page: every ticket of mine, none of theirs.
    let (items, token) = app
        .delta(
            &citizen,
            "/api/v1/me/tickets",
            &format!("updated_since={EPOCH}&limit=2"),
        )
        .await;
    assert_eq!(codes(&items), mine.iter().cloned().collect());
    assert_eq!(items.len(), 4, "each once: {items:?}");
    let first = item(&items, kept);
    assert_eq!(first["deleted"], false);
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["unit"]["code"], "UBND-X31135");

    // In the same second (the clock stands still): the oldest ticket accepted, one withdrawn,
    // one merged into another, and the neighbour's changed too.
    app.accept(&official, kept).await;
    app.act_ok(&citizen, withdrawn, "withdraw", Value::Null)
        .await;
    app.accept(&official, copy).await;
    app.accept(&official, original).await;
    app.act_ok(&official, copy, "mark_duplicate", json!({"of": original}))
        .await;
    app.accept(&official, &theirs).await;

    let (items, token2) = app
        .delta(
            &citizen,
            "/api/v1/me/tickets",
            &format!("sync_token={token}"),
        )
        .await;
    let got = codes(&items);
    assert!(!got.contains(&theirs), "{items:?}");
    assert_eq!(item(&items, kept)["status"], "accepted");
    assert_eq!(item(&items, kept)["deleted"], false);
    assert_eq!(
        item(&items, withdrawn),
        &json!({"code": withdrawn, "deleted": true})
    );
    assert_eq!(item(&items, copy), &json!({"code": copy, "deleted": true}));
    assert_eq!(item(&items, original)["deleted"], false);

    // Nothing changed since: nothing comes (on PostgreSQL a change may come twice when other
    // transactions ran beside it, never less; other tests share the server).
    let (again, _) = app
        .delta(
            &citizen,
            "/api/v1/me/tickets",
            &format!("sync_token={token2}"),
        )
        .await;
    if app.db.backend() == "sqlite" {
        assert_eq!(again, Vec::<Value>::new());
    }
    assert!(codes(&again).is_subset(&mine.iter().cloned().collect()));

    // The neighbour's delta holds only theirs; the plain list is as before.
    let (items, _) = app
        .delta(
            &neighbour,
            "/api/v1/me/tickets",
            &format!("updated_since={EPOCH}"),
        )
        .await;
    assert_eq!(codes(&items), BTreeSet::from([theirs.clone()]));
    let list = app.sync_get(&citizen, "/api/v1/me/tickets").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
    assert!(list.get("sync_token").is_none(), "{list}");
}

#[tokio::test]
async fn a_notification_delta_brings_new_and_newly_read_notifications() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let citizen = app.citizen().await;
    let neighbour = app.citizen().await;
    let code = app.submit_pothole(&citizen).await;
    let path = "/api/v1/me/notifications";
    let (items, token) = app.delta(&citizen, path, &format!("since={EPOCH}")).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["event"], "ticket_received");
    let received = items[0]["id"].as_i64().unwrap();

    // Same second: accepted (a new one), and the first marked read.
    app.accept(&official, &code).await;
    app.submit_pothole(&neighbour).await;
    let r = app
        .authed(Method::POST, "/api/v1/me/notifications/read", &citizen)
        .json(&json!({"up_to": received}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let page = app
        .sync_get(&citizen, &format!("{path}?sync_token={token}"))
        .await;
    assert_eq!(page["unread"], 1);
    let items = page["items"].as_array().unwrap();
    let events: BTreeSet<&str> = items.iter().map(|i| i["event"].as_str().unwrap()).collect();
    assert_eq!(
        events,
        BTreeSet::from(["ticket_accepted", "ticket_received"])
    );
    let read = items.iter().find(|i| i["id"] == received).unwrap();
    assert_eq!(read["read"], true);
    assert!(items.iter().all(|i| i["ticket_code"] == code.as_str()));
}

#[tokio::test]
async fn a_bad_token_or_time_is_a_400_with_its_code() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let get = |path: &str| app.authed(Method::GET, path, &citizen).send();
    for (path, code) in [
        (
            "/api/v1/me/tickets?sync_token=not-a-token",
            "invalid_sync_token",
        ),
        (
            "/api/v1/me/tickets?sync_token=eyJwIjoxfQ",
            "invalid_sync_token",
        ),
        (
            "/api/v1/me/tickets?updated_since=yesterday",
            "invalid_timestamp",
        ),
        (
            "/api/v1/me/tickets?updated_since=2026-12-06",
            "invalid_timestamp",
        ),
        (
            "/api/v1/me/tickets?updated_since=2026-12-06T00:00:00Z&sync_token=x",
            "sync_params_conflict",
        ),
        (
            "/api/v1/me/tickets?updated_since=2026-12-06T00:00:00Z&after=x",
            "sync_params_conflict",
        ),
        ("/api/v1/me/notifications?since=12:00", "invalid_timestamp"),
        (
            "/api/v1/me/notifications?sync_token=%%",
            "invalid_sync_token",
        ),
    ] {
        let p = assert_problem(get(path).await.unwrap(), 400, code).await;
        assert!(!p["detail"].as_str().unwrap().is_empty(), "{path}");
    }
    let r = app
        .authed(
            Method::GET,
            "/api/v1/me/tickets?updated_since=2026-12-06T00:00:00Z&limit=0",
            &citizen,
        )
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// The SQLite trigger names the ticket columns whose change counts: a column added to
/// `tickets` later must be added there too, or changes to it would never sync.
#[tokio::test]
async fn the_sqlite_change_trigger_compares_every_ticket_column() {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn().await;
    if app.db.backend() != "sqlite" {
        return;
    }
    let (columns, trigger) = app
        .state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            let columns: Vec<Name> =
                diesel::sql_query("SELECT name FROM pragma_table_info('tickets')").load(c)?;
            let trigger: Vec<Name> = diesel::sql_query(
                "SELECT sql AS name FROM sqlite_master WHERE name = 'tickets_change_update'",
            )
            .load(c)?;
            Ok((columns, trigger))
        })
        .await
        .unwrap();
    let sql = &trigger[0].name;
    let missing: Vec<&str> = columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|c| !["id", "change_tx"].contains(c))
        .filter(|c| !sql.contains(&format!("OLD.{c} IS NOT NEW.{c}")))
        .collect();
    assert_eq!(missing, Vec::<&str>::new());
}
