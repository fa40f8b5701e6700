//! Ending sessions: a password reset or change, a reused refresh token and disabling an
//! account end access tokens too, not only refresh tokens (issue 13, item 2).

use chrono::Duration;
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};

async fn me(app: &TestApp, token: &Value) -> reqwest::Response {
    app.get_as(token.as_str().unwrap(), "/api/v1/me").await
}

/// Resets `user`'s password through the emailed link.
async fn reset_password(app: &TestApp, user: &TestUser, new: &str) {
    let r = app
        .post_json("/api/v1/auth/password-reset", &json!({"email": user.email}))
        .await;
    assert_eq!(r.status(), 202);
    let token = app
        .mails_to(&user.email)
        .await
        .pop()
        .expect("reset mail")
        .link_param("token")
        .unwrap();
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": new}),
        )
        .await;
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn a_password_reset_ends_every_access_token_at_once() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let phone = app.login(&user.email, &user.password).await;
    let laptop = app.login(&user.email, &user.password).await;
    assert_eq!(me(&app, &phone["access_token"]).await.status(), 200);

    reset_password(&app, &user, "a brand new password").await;
    // No time passes: both access tokens are refused now, not when they expire.
    for pair in [&phone, &laptop] {
        assert_problem(me(&app, &pair["access_token"]).await, 401, "session_ended").await;
        assert_problem(
            app.refresh(&pair["refresh_token"]).await,
            401,
            "invalid_token",
        )
        .await;
    }
    // A new sign-in works.
    let fresh = app.login(&user.email, "a brand new password").await;
    assert_eq!(me(&app, &fresh["access_token"]).await.status(), 200);
}

#[tokio::test]
async fn a_password_change_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let here = app.login(&user.email, &user.password).await;
    let elsewhere = app.login(&user.email, &user.password).await;

    let change = |current: &str, new: &str| {
        app.authed(
            Method::POST,
            "/api/v1/me/password",
            here["access_token"].as_str().unwrap(),
        )
        .json(&json!({"current_password": current, "new_password": new}))
        .send()
    };
    let r = change("not the password", "another good password")
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/current_password");

    let r = change(&user.password, "another good password")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let fresh: Value = r.json().await.unwrap();
    assert_eq!(fresh["token_type"], "Bearer");

    // This session goes on with the new pair …
    assert_eq!(me(&app, &fresh["access_token"]).await.status(), 200);
    assert_eq!(app.refresh(&fresh["refresh_token"]).await.status(), 200);
    // … which replaced the old one; the other sign-in is over at once.
    for pair in [&here, &elsewhere] {
        assert_problem(me(&app, &pair["access_token"]).await, 401, "session_ended").await;
        assert_eq!(app.refresh(&pair["refresh_token"]).await.status(), 401);
    }
    app.login(&user.email, "another good password").await;
}

#[tokio::test]
async fn a_reused_refresh_token_ends_every_access_token() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let stolen = app.login(&user.email, &user.password).await;
    let other = app.login(&user.email, &user.password).await;
    let rotated: Value = app
        .refresh(&stolen["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me(&app, &rotated["access_token"]).await.status(), 200);

    // The old refresh token comes back: someone copied it.
    assert_problem(
        app.refresh(&stolen["refresh_token"]).await,
        401,
        "refresh_token_reused",
    )
    .await;
    for token in [&rotated["access_token"], &other["access_token"]] {
        assert_problem(me(&app, token).await, 401, "session_ended").await;
    }
    assert_eq!(app.refresh(&rotated["refresh_token"]).await.status(), 401);
    // The other sign-in's refresh token still works and gets it a working access token.
    let renewed: Value = app
        .refresh(&other["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me(&app, &renewed["access_token"]).await.status(), 200);
}

#[tokio::test]
async fn disabling_ends_access_at_once_and_enabling_does_not_revive_old_tokens() {
    let app = TestApp::spawn().await;
    let unit = app.make_unit("UBND-S").await;
    let admin = app.admin().await;
    let official = app.create_user(Role::Official, Some(unit)).await;
    let pair = app.login(&official.email, &official.password).await;
    assert_eq!(me(&app, &pair["access_token"]).await.status(), 200);

    let set_disabled = |disabled: bool| {
        app.authed(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", official.id),
            &admin,
        )
        .json(&json!({ "disabled": disabled }))
        .send()
    };
    assert_eq!(set_disabled(true).await.unwrap().status(), 200);
    assert_problem(
        me(&app, &pair["access_token"]).await,
        401,
        "account_disabled",
    )
    .await;
    // Enabled again a minute later, within the old token's 15 minutes: it stays dead.
    app.clock.advance(Duration::minutes(1));
    assert_eq!(set_disabled(false).await.unwrap().status(), 200);
    assert_problem(me(&app, &pair["access_token"]).await, 401, "session_ended").await;
    assert_eq!(app.refresh(&pair["refresh_token"]).await.status(), 401);
    let fresh = app.login(&official.email, &official.password).await;
    assert_eq!(me(&app, &fresh["access_token"]).await.status(), 200);
}

#[tokio::test]
async fn other_processes_end_sessions_within_the_status_cache_lifetime() {
    let a = TestApp::spawn().await;
    // A second API process on the same database, with its own status cache and clock.
    let b = TestApp::builder()
        .with_db_url(a.db_url.clone())
        .spawn()
        .await;
    let user = a.create_user(Role::Citizen, None).await;
    let old = a.login(&user.email, &user.password).await;
    assert_eq!(me(&b, &old["access_token"]).await.status(), 200);

    reset_password(&a, &user, "a brand new password").await;
    assert_problem(me(&a, &old["access_token"]).await, 401, "session_ended").await;
    // B still holds the account's status it read before the reset …
    assert_eq!(me(&b, &old["access_token"]).await.status(), 200);
    // … but a token issued after the reset makes it read the status again,
    let fresh = a.login(&user.email, "a brand new password").await;
    assert_eq!(me(&b, &fresh["access_token"]).await.status(), 200);
    assert_problem(me(&b, &old["access_token"]).await, 401, "session_ended").await;

    // and without one, the cached status lives at most `auth.account_status_cache_secs`.
    let c = TestApp::builder()
        .with_db_url(a.db_url.clone())
        .spawn()
        .await;
    let other = a.create_user(Role::Citizen, None).await;
    let pair = a.login(&other.email, &other.password).await;
    assert_eq!(me(&c, &pair["access_token"]).await.status(), 200);
    reset_password(&a, &other, "yet another password").await;
    assert_eq!(me(&c, &pair["access_token"]).await.status(), 200);
    c.clock.advance(Duration::seconds(
        c.state.settings.auth.account_status_cache_secs as i64,
    ));
    assert_problem(me(&c, &pair["access_token"]).await, 401, "session_ended").await;
}
