//! "My settings" in the console: the notification preferences form (CSRF-checked, the same
//! preferences the API shows) and the password change (the API's: other sessions end, this
//! browser goes on with a new one) — over HTTP, and in headless Chromium with screenshots.

use reqwest::header::LOCATION;
use serde_json::json;

use crate::console::{Driver, Session};
use crate::helpers::{TEST_PASSWORD, TestApp, TestUser};
use nghedan::domain::account::Role;

const DEMO_OFFICIAL: &str = "canbo.ubnd-x31135@demo.nghedan.vn";
const PREFS: &str = "/api/v1/me/notification-preferences";

async fn official(app: &TestApp) -> TestUser {
    let unit = app.unit_id("UBND-X31135").await;
    app.create_user(Role::Official, Some(unit)).await
}

#[tokio::test]
async fn the_settings_form_saves_with_its_token_and_changes_nothing_without() {
    let app = TestApp::builder().long_tokens().demo().await;
    let user = official(&app).await;
    let token = app.login(&user.email, &user.password).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let console = Session::sign_in(&app, &user.email, &user.password).await;
    let (html, csrf) = console.form_page("/console/settings").await;
    // Every event × channel is a labelled select showing the stored choice.
    for event in [
        "new_ticket",
        "assigned",
        "due_soon",
        "overdue",
        "citizen_reply",
    ] {
        for channel in ["email", "push"] {
            let id = format!("{event}_{channel}");
            assert!(
                html.contains(&format!("<label class=\"visually-hidden\" for=\"{id}\">")),
                "{id}"
            );
            assert!(
                html.contains(&format!("<select id=\"{id}\" name=\"{id}\">")),
                "{id}"
            );
        }
    }
    assert!(html.contains("<option value=\"7\" selected>07:00</option>"));
    let before = app.get_json(&token, PREFS).await;

    // Without the token: 403, nothing changed.
    let res = console
        .send(
            "/console/settings",
            &[("new_ticket_email", "digest"), ("digest_hour", "18")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("không có gì thay đổi"));
    let res = console
        .send(
            "/console/settings",
            &[("csrf", "forged"), ("new_ticket_email", "digest")],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(app.get_json(&token, PREFS).await, before);

    // A bad value: the page says so (422), nothing changed.
    let res = console
        .send(
            "/console/settings",
            &[
                ("csrf", &csrf),
                ("new_ticket_email", "digest"),
                ("digest_hour", "25"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("0–23"));
    assert_eq!(app.get_json(&token, PREFS).await, before);

    // With it: saved, and the API shows the same.
    let res = console
        .send(
            "/console/settings",
            &[
                ("csrf", &csrf),
                ("new_ticket_email", "digest"),
                ("new_ticket_push", "off"),
                ("assigned_email", "immediate"),
                ("digest_hour", "18"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()[LOCATION],
        "/console/settings?done=preferences"
    );
    let after = app.get_json(&token, PREFS).await;
    assert_eq!(
        after["events"]["new_ticket"],
        json!({"email": "digest", "push": "off"})
    );
    assert_eq!(
        after["events"]["assigned"],
        json!({"email": "immediate", "push": "off"})
    );
    assert_eq!(after["events"]["overdue"], before["events"]["overdue"]);
    assert_eq!(after["digest_hour"], 18);
    let (html, _) = console
        .form_page("/console/settings?done=preferences")
        .await;
    assert!(html.contains("Đã lưu cài đặt"));
    assert!(html.contains("<option value=\"18\" selected>18:00</option>"));
}

#[tokio::test]
async fn a_password_change_in_the_console_ends_every_other_session() {
    let app = TestApp::builder().long_tokens().demo().await;
    let user = official(&app).await;
    let api = app.login(&user.email, &user.password).await;
    let console = Session::sign_in(&app, &user.email, &user.password).await;
    let (_, csrf) = console.form_page("/console/settings").await;
    let new_password = "một mật khẩu mới đủ dài";

    // Without the token: refused, the password unchanged.
    let res = console
        .send(
            "/console/settings/password",
            &[
                ("current_password", TEST_PASSWORD),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    // A wrong current password: said in the page.
    let res = console
        .send(
            "/console/settings/password",
            &[
                ("csrf", &csrf),
                ("current_password", "not the password"),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("Mật khẩu hiện tại không đúng")
    );
    assert_eq!(
        app.try_login(&user.email, TEST_PASSWORD).await.status(),
        200
    );

    // Changed: this browser gets a new session; the old cookie and the app's tokens end.
    let res = console
        .send(
            "/console/settings/password",
            &[
                ("csrf", &csrf),
                ("current_password", TEST_PASSWORD),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()[LOCATION], "/console/settings?done=password");
    let fresh = console.renewed(&res).await;
    assert_ne!(fresh.cookie(), console.cookie());
    let (html, _) = fresh.form_page("/console/settings?done=password").await;
    assert!(html.contains("Đã đổi mật khẩu"));
    let old = console.response("/console/settings").await;
    assert_eq!(old.status(), 303, "the old session ended");
    assert!(
        old.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/console/login")
    );
    assert_eq!(app.refresh(&api["refresh_token"]).await.status(), 401);
    let r = app
        .get_as(api["access_token"].as_str().unwrap(), "/api/v1/me")
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(
        app.try_login(&user.email, TEST_PASSWORD).await.status(),
        401
    );
    assert_eq!(app.try_login(&user.email, new_password).await.status(), 200);
}

/// The demo official changes a preference in the page and the API sees it; screenshots at
/// 1280 and 390 px.
#[tokio::test]
async fn an_official_changes_a_preference_in_the_browser() {
    let app = TestApp::builder().long_tokens().demo().await;
    let driver = Driver::start().await;
    let b = driver.browser(1280).await;
    b.sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD)
        .await;
    b.expect("Hộp việc").await;
    b.click("nav.side a[href='/console/settings']").await;
    b.expect("Nhận thông báo").await;
    b.expect("Đơn vị có phiếu mới").await;
    b.shot("settings").await;
    b.client
        .execute(
            "document.querySelector('#new_ticket_email').value = 'digest';
             document.querySelector('#digest_hour').value = '17';",
            vec![],
        )
        .await
        .unwrap();
    b.click("form[data-form=preferences] button[type=submit]")
        .await;
    b.expect("Đã lưu cài đặt").await;

    let token = app.login(DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let p = app.get_json(&token, PREFS).await;
    assert_eq!(p["events"]["new_ticket"]["email"], "digest");
    assert_eq!(p["events"]["new_ticket"]["push"], "immediate");
    assert_eq!(p["digest_hour"], 17);
    b.client.close().await.unwrap();

    // At phone width, in English.
    let phone = driver.browser(390).await;
    phone
        .sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD)
        .await;
    phone.expect("Hộp việc").await;
    phone.go(&app, "/console/settings?lang=en").await;
    phone.expect("A new ticket in my unit").await;
    phone.expect("In the daily digest").await;
    phone.shot("settings").await;
    phone.client.close().await.unwrap();
}
