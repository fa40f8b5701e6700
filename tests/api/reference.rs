//! Reference data (categories, areas, the calendar) is kept in each process: a change made
//! through one process is seen by that process's next request at once, and by every other
//! process on the same database within a second (each reads the version every 250 ms).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;

use crate::fixtures::pothole;
use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn a_category_changed_in_one_process_is_seen_there_at_once_and_by_another_within_a_second() {
    let a = TestApp::demo().await;
    let b = TestApp::builder()
        .with_db_url(a.db_url.clone())
        .spawn()
        .await;
    let citizen = b.citizen().await;
    let admin = a.admin().await;

    // B holds the categories once it has served a submission.
    let first = b.submit_ok(Some(&citizen), &pothole()).await;
    let name = first["category"]["name"].as_str().unwrap().to_string();
    assert!(!name.is_empty());

    let renamed = a
        .authed(Method::PATCH, "/api/v1/admin/categories/duong-hong", &admin)
        .json(&json!({"name_vi": "Mặt đường hư hỏng"}))
        .send()
        .await
        .unwrap();
    assert_eq!(renamed.status(), 200);
    // A, which made the change, serves it on its very next request.
    let on_a = a.submit_ok(Some(&a.citizen().await), &pothole()).await;
    assert_eq!(on_a["category"]["name"], "Mặt đường hư hỏng");
    // B notices within a second (its watcher's tick); measured, not slept.
    let changed_at = Instant::now();
    seen_within(Duration::from_secs(1), || async {
        let r = b.submit_ok(Some(&citizen), &pothole()).await;
        r["category"]["name"] == "Mặt đường hư hỏng"
    })
    .await;
    println!("B saw the change after {:?}", changed_at.elapsed());

    let closed = a
        .authed(Method::PATCH, "/api/v1/admin/categories/duong-hong", &admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
    seen_within(Duration::from_secs(1), || async {
        b.submit(Some(&citizen), &pothole()).await.status() == 422
    })
    .await;
    let refused = assert_problem(
        b.submit(Some(&citizen), &pothole()).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        refused.to_string().contains("unknown_category"),
        "{refused}"
    );

    // And back: B takes the category again on its next request.
    let reopened = a
        .authed(Method::PATCH, "/api/v1/admin/categories/duong-hong", &admin)
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(reopened.status(), 200);
    seen_within(Duration::from_secs(1), || async {
        b.submit(Some(&citizen), &pothole()).await.status() == 201
    })
    .await;
}

/// Asks `check` until it holds; fails if it does not within `limit` (plus the slack a loaded
/// test machine needs to run the requests themselves).
async fn seen_within<F, Fut>(limit: Duration, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < limit * 3,
            "not seen after {:?} (the promise is {limit:?})",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The unit tree held in memory answers as the database does: every demo unit's scope, for
/// an official and a supervisor of it, is the same read either way.
#[tokio::test]
async fn scopes_from_the_reference_data_match_the_database() {
    use nghedan::db::scope;
    use nghedan::domain::account::Role;
    let app = TestApp::demo().await;
    let refs = app.state.refs.clone();
    let compared = app
        .state
        .db(move |c| -> Result<usize, nghedan::error::AppError> {
            use diesel::prelude::*;
            let held = refs.current(c)?;
            let ids: Vec<i64> = nghedan::db::schema::units::table
                .select(nghedan::db::schema::units::id)
                .load(c)
                .map_err(nghedan::db::Error::from)?;
            for id in &ids {
                for role in [Role::Official, Role::Supervisor] {
                    let mut from_db = scope::of(c, role, Some(*id))?;
                    let mut from_memory = scope::of(&mut &*held, role, Some(*id))?;
                    for s in [&mut from_db, &mut from_memory] {
                        if let Some(u) = s.units.as_mut() {
                            u.sort_unstable();
                        }
                    }
                    assert_eq!(from_db, from_memory, "unit {id}, {role:?}");
                }
            }
            Ok(ids.len())
        })
        .await
        .unwrap();
    assert!(compared > 10, "{compared} units");
}
