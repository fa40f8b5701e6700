//! The actions around a ticket that had no HTTP test: duplicates (followers move to the
//! original), a denunciation's withdrawal granted or declined, support and follow taken back.

use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{code_of, petition};
use crate::helpers::{TestApp, assert_problem};

async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> Value {
    let r = app.authed(method, path, token).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_duplicate_closes_and_hands_its_followers_to_the_original() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let first_author = app.citizen().await;
    let second_author = app.citizen().await;
    let follower = app.citizen().await;
    let quitter = app.citizen().await;
    let original = app.submit_pothole(&first_author).await;
    let copy = app.submit_pothole(&second_author).await;
    for code in [&original, &copy] {
        app.accept(&official, code).await;
    }
    // Two readers follow the copy; one changes their mind.
    let follow = format!("/api/v1/tickets/{copy}/follow");
    for token in [&follower, &quitter] {
        let r = call(&app, Method::POST, &follow, token).await;
        assert_eq!(r, json!({"following": true}));
    }
    let r = call(&app, Method::DELETE, &follow, &quitter).await;
    assert_eq!(r, json!({"following": false}));
    let r = call(&app, Method::DELETE, &follow, &quitter).await;
    assert_eq!(r, json!({"following": false}), "idempotent");

    // Not a duplicate of itself, nor of a ticket the official cannot read.
    let p = assert_problem(
        app.act(&official, &copy, "mark_duplicate", json!({"of": copy}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "same_ticket");
    let p = assert_problem(
        app.act(
            &official,
            &copy,
            "mark_duplicate",
            json!({"of": "PAKN.20200101.9999"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "unknown_ticket");
    // The submitter may not mark duplicates.
    assert_problem(
        app.act(
            &second_author,
            &copy,
            "mark_duplicate",
            json!({"of": original}),
        )
        .await,
        403,
        "action_forbidden",
    )
    .await;
    let t = app
        .act_ok(
            &official,
            &copy,
            "mark_duplicate",
            json!({"of": original, "reason": "Cùng một ổ gà."}),
        )
        .await;
    assert_eq!(t["status"], "closed");
    let events = app.timeline(&second_author, &copy).await;
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "marked_duplicate");
    assert_eq!(last["data"]["of"], original.as_str());
    // Closed: nothing more happens to the copy.
    assert_problem(
        app.act(&official, &copy, "resolve", json!({"answer": "x"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;

    // The original's answer reaches the copy's follower, not the one who stopped following.
    app.act_ok(
        &official,
        &original,
        "resolve",
        json!({"answer": "Đã vá.", "publish": true}),
    )
    .await;
    app.run_jobs().await;
    assert_eq!(app.told(&follower, &original).await, ["ticket_answered"]);
    assert!(app.told(&quitter, &original).await.is_empty());
}

#[tokio::test]
async fn a_denunciations_withdrawal_is_granted_or_declined_by_the_unit() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let body = json!({"kind": "denunciation", "category": "tham-nhung",
        "title": "Thu tiền trái phép", "description": "Có biên lai.", "area_code": "31135"});
    let t = app.submit_ok(Some(&citizen), &body).await;
    let code = code_of(&t);
    let unit = t["unit"]["id"].as_i64().unwrap();
    let (_, official) = app.token_for(Role::Official, Some(unit)).await;
    app.accept(&official, &code).await;

    // Nothing to decide before the denouncer asks.
    assert_problem(
        app.act(&official, &code, "grant_withdrawal", json!({"reason": "x"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    // A withdrawal is a request: the state stays.
    let t = app
        .act_ok(
            &citizen,
            &code,
            "withdraw",
            json!({"reason": "Đã được giải quyết riêng."}),
        )
        .await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["withdrawal_requested"], true);
    // Only the unit decides it.
    assert_problem(
        app.act(&citizen, &code, "grant_withdrawal", json!({"reason": "x"}))
            .await,
        403,
        "action_forbidden",
    )
    .await;
    // Signs of a violation: declined, the handling goes on.
    let t = app
        .act_ok(
            &official,
            &code,
            "decline_withdrawal",
            json!({"reason": "Có dấu hiệu vi phạm, tiếp tục xác minh."}),
        )
        .await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["withdrawal_requested"], false);
    // Asked again, and granted this time.
    app.act_ok(&citizen, &code, "withdraw", json!({"reason": "Xin rút."}))
        .await;
    let t = app
        .act_ok(
            &official,
            &code,
            "grant_withdrawal",
            json!({"reason": "Không có dấu hiệu vi phạm."}),
        )
        .await;
    assert_eq!(t["status"], "withdrawn");
    let kinds = app.event_kinds(&citizen, &code).await;
    assert!(kinds.ends_with(&[
        "withdrawal_requested".to_string(),
        "withdrawal_declined".to_string(),
        "withdrawal_requested".to_string(),
        "withdrawn".to_string(),
    ]));
    app.run_jobs().await;
    let heard = app.told(&citizen, &code).await;
    assert!(
        heard.contains(&"ticket_withdrawal_declined".to_string()),
        "{heard:?}"
    );
    assert!(heard.contains(&"ticket_withdrawn".to_string()), "{heard:?}");
}

#[tokio::test]
async fn support_is_taken_back() {
    let app = TestApp::builder().long_tokens().demo().await;
    let author = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let supporter = app.citizen().await;
    let code = code_of(&app.submit_ok(Some(&author), &petition()).await);
    app.accept(&official, &code).await;
    let path = format!("/api/v1/tickets/{code}/support");
    let r = call(&app, Method::POST, &path, &supporter).await;
    assert_eq!(r, json!({"supporters": 1, "supported": true}));
    let r = call(&app, Method::DELETE, &path, &supporter).await;
    assert_eq!(r, json!({"supporters": 0, "supported": false}));
    let r = call(&app, Method::DELETE, &path, &supporter).await;
    assert_eq!(
        r,
        json!({"supporters": 0, "supported": false}),
        "idempotent"
    );
    assert_eq!(app.ticket(&official, &code).await["supporters"], 0);
    // Without an account, 401.
    let r = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_problem(r, 401, "unauthenticated").await;
}
