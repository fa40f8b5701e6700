//! Failed sign-ins slow down the addresses that failed, never the account's owner signing in
//! from elsewhere (issue 13, item 3).

use chrono::Duration;
use nghedan::domain::account::Role;
use serde_json::json;

use crate::helpers::{TestApp, TestUser, assert_problem};

/// An app behind a proxy on loopback, so a test can sign in from several addresses.
async fn app_behind_proxy(f: impl FnOnce(&mut nghedan::config::Settings) + 'static) -> TestApp {
    TestApp::builder()
        .with_settings(|s| {
            s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            f(s);
        })
        .spawn()
        .await
}

async fn sign_in(app: &TestApp, from: &str, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Forwarded-For", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn official(app: &TestApp) -> TestUser {
    let unit = app.make_unit("UBND-X31135").await;
    app.create_user(Role::Official, Some(unit)).await
}

const ATTACKER: &str = "203.0.113.9";
const OWNER: &str = "198.51.100.7";
const WRONG: &str = "maybe canbo2026";

#[tokio::test]
async fn guessing_from_one_address_does_not_lock_the_owner_out() {
    let app = app_behind_proxy(|_| {}).await;
    let limits = app.state.settings.limits.clone();
    let user = official(&app).await;
    for _ in 0..limits.login_failures_per_account_and_address {
        let r = sign_in(&app, ATTACKER, &user.email, WRONG).await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    // The guessing address is held for the rest of the window, right password or not …
    for password in [WRONG, user.password.as_str()] {
        let r = sign_in(&app, ATTACKER, &user.email, password).await;
        let wait = retry_after(&r);
        assert!(
            wait > 0 && wait <= limits.login_window_secs as u64,
            "{wait}"
        );
        assert_problem(r, 429, "rate_limited").await;
    }
    // … while the owner, from another address, signs in at once.
    let r = sign_in(&app, OWNER, &user.email, &user.password).await;
    assert_eq!(r.status(), 200);
    // And so does a colleague behind the attacker's address, on another account.
    let colleague = app.create_user(Role::Citizen, None).await;
    let r = sign_in(&app, ATTACKER, &colleague.email, &colleague.password).await;
    assert_eq!(r.status(), 200);

    // The window ends: the address may try again.
    app.clock
        .advance(Duration::seconds(limits.login_window_secs));
    let r = sign_in(&app, ATTACKER, &user.email, &user.password).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn failures_from_many_addresses_slow_those_addresses_more_and_more() {
    let app = app_behind_proxy(|s| {
        s.limits.login_failures_per_account = 3;
        s.limits.login_failures_per_account_and_address = 10;
        s.limits.login_failures_per_ip = 100;
        s.limits.login_delay_base_secs = 2;
        s.limits.login_delay_max_secs = 900;
    })
    .await;
    let user = official(&app).await;
    // Three failures from three addresses: the account's threshold.
    for i in 1..=3 {
        let r = sign_in(&app, &format!("203.0.113.{i}"), &user.email, WRONG).await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    // Each address that failed waits 2 s after the last failure, even with the right password.
    let r = sign_in(&app, "203.0.113.1", &user.email, &user.password).await;
    assert_eq!(retry_after(&r), 2);
    assert_problem(r, 429, "rate_limited").await;

    // Every further failure doubles the wait: 4 s, then 8 s, then 16 s.
    for (i, wait) in [(4, 4), (5, 8), (6, 16)] {
        let r = sign_in(&app, &format!("203.0.113.{i}"), &user.email, WRONG).await;
        assert_problem(r, 401, "invalid_credentials").await;
        for failed in ["203.0.113.1", &format!("203.0.113.{i}")] {
            let r = sign_in(&app, failed, &user.email, WRONG).await;
            assert_eq!(retry_after(&r), wait, "after {i} failures, from {failed}");
            assert_problem(r, 429, "rate_limited").await;
        }
    }
    // Through all of it, an address that never failed signs in at once.
    let r = sign_in(&app, OWNER, &user.email, &user.password).await;
    assert_eq!(r.status(), 200);

    // Time passes on the injected clock: an address that failed gets in once its wait is over.
    app.clock.advance(Duration::seconds(15));
    let r = sign_in(&app, "203.0.113.2", &user.email, &user.password).await;
    assert_eq!(retry_after(&r), 1);
    assert_problem(r, 429, "rate_limited").await;
    app.clock.advance(Duration::seconds(1));
    let r = sign_in(&app, "203.0.113.2", &user.email, &user.password).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_held() {
    let app = app_behind_proxy(|s| s.limits.login_failures_per_ip = 4).await;
    for i in 0..4 {
        let r = sign_in(&app, ATTACKER, &format!("canbo.x{i}@example.vn"), WRONG).await;
        assert_problem(r, 401, "invalid_credentials").await;
    }
    let user = app.create_user(Role::Citizen, None).await;
    let r = sign_in(&app, ATTACKER, &user.email, &user.password).await;
    assert!(retry_after(&r) > 0);
    assert_problem(r, 429, "rate_limited").await;
    let r = sign_in(&app, OWNER, &user.email, &user.password).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn password_checks_wait_for_a_hashing_slot_and_give_up_with_503() {
    let app = app_behind_proxy(|s| {
        s.auth.hash_threads = 1;
        s.auth.hash_queue_timeout_ms = 50;
        s.limits.login_failures_per_account_and_address = 1;
    })
    .await;
    let user = app.create_user(Role::Citizen, None).await;
    // Every slot is busy (the test holds the only one) for longer than a request will wait.
    let held = app.state.auth.hashing.hold().await;
    let r = sign_in(&app, OWNER, &user.email, WRONG).await;
    assert!(retry_after(&r) > 0);
    assert_problem(r, 503, "service_unavailable").await;
    let r = app
        .register("moi@example.vn", "a long good password", "Mới")
        .await;
    assert_problem(r, 503, "service_unavailable").await;

    // Once a slot is free the same requests go through; the password never checked was not
    // counted as a failure.
    drop(held);
    let r = sign_in(&app, OWNER, &user.email, &user.password).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.state.auth.hashing.memory_kept(), 1);
}
