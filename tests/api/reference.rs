//! Reference data (categories, areas, the calendar) is kept in each process and checked
//! against its version on every use: a change made through one process is seen by the next
//! request to any other process on the same database, at once.

use reqwest::Method;
use serde_json::json;

use crate::fixtures::pothole;
use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn a_category_changed_in_one_process_is_seen_at_once_by_another() {
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
    let second = b.submit_ok(Some(&citizen), &pothole()).await;
    assert_eq!(second["category"]["name"], "Mặt đường hư hỏng");

    let closed = a
        .authed(Method::PATCH, "/api/v1/admin/categories/duong-hong", &admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), 200);
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
    b.submit_ok(Some(&citizen), &pothole()).await;
}
