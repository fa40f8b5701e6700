//! The desk intake `/console/tickets/new`: an official records what a citizen brought in
//! person, by post or by phone, through the API's own submission, and prints a receipt with
//! the code and the tracking secret.

use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::Value;

use crate::console::{Driver, Session, input_value};
use crate::helpers::TestApp;

const DEMO_OFFICIAL: &str = "canbo.ubnd-x31135@demo.nghedan.vn";

async fn app() -> TestApp {
    TestApp::builder().long_tokens().demo().await
}

/// The code and the secret a receipt shows.
fn receipt_of(html: &str) -> (String, String) {
    let grab = |what: &str| {
        let at = html
            .find(&format!("data-receipt=\"{what}\">"))
            .unwrap_or_else(|| panic!("no {what} on the receipt:\n{html}"));
        let rest = &html[at + what.len() + 16..];
        rest[..rest.find('<').unwrap()].to_string()
    };
    (grab("code"), grab("secret"))
}

/// A desk form for a pothole reported in person, with the form's key.
fn pothole_form<'a>(csrf: &'a str, key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("key", key),
        ("kind", "feedback"),
        ("category", "duong-hong"),
        ("channel", "in_person"),
        ("submitter_name", "Trần Văn Bình"),
        ("submitter_phone", "0912345678"),
        ("title", "Ổ gà trước chợ"),
        (
            "description",
            "Ông Bình đến trụ sở báo ổ gà lớn trước cổng chợ.",
        ),
        ("area_code", "31135"),
        ("attr_size", "large"),
        ("attr_depth_cm", "12,5"),
    ]
}

/// Over HTTP: the receipt's secret opens the ticket as the API shows it to its submitter; a
/// resent form records one ticket; a refused one shows the form again with what was typed;
/// a form without its token, a supervisor and a citizen change nothing.
#[tokio::test]
async fn a_desk_submission_is_recorded_once_with_a_receipt_that_opens_it() {
    let app = app().await;
    let s = Session::sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD).await;

    // Choosing the category shows its own fields.
    let (status, form) = s
        .get("/console/tickets/new?kind=feedback&category=duong-hong")
        .await;
    assert_eq!(status, 200);
    assert!(form.contains("name=\"attr_size\""), "{form}");
    let key = input_value(&form, "key").expect("a fresh key in the form");

    let (status, _, html) = s
        .post("/console/tickets/new", &pothole_form(&s.csrf, &key))
        .await;
    assert_eq!(status, 201, "{html}");
    let (code, secret) = receipt_of(&html);
    assert!(html.contains("Trần Văn Bình"));

    // The secret on the receipt opens the ticket: recorded in person, with its answers.
    let t: Value = app
        .with_secret(Method::GET, &format!("/api/v1/tickets/{code}"), &secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(t["code"], code.as_str(), "{t}");
    assert_eq!(t["channel"], "in_person");
    assert_eq!(t["attributes"]["size"], "large");
    assert_eq!(t["attributes"]["depth_cm"], 12.5);

    // The same form sent again (a double click, a reload) records nothing new.
    let (status, _, again) = s
        .post("/console/tickets/new", &pothole_form(&s.csrf, &key))
        .await;
    assert_eq!(status, 201);
    let (same, new_secret) = receipt_of(&again);
    assert_eq!(same, code);
    // The new secret replaces the first, as the API's retry does.
    let old = app
        .with_secret(Method::GET, &format!("/api/v1/tickets/{code}"), &secret)
        .send()
        .await
        .unwrap();
    assert!(old.status().is_client_error());
    let new = app
        .with_secret(Method::GET, &format!("/api/v1/tickets/{code}"), &new_secret)
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);

    // A refused submission: the form again, the problem said, what was typed kept.
    let other = format!("{key}-2");
    let mut bad = pothole_form(&s.csrf, &other);
    bad.retain(|(k, _)| *k != "submitter_name" && *k != "attr_size");
    let (status, _, html) = s.post("/console/tickets/new", &bad).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("Ổ gà trước chợ"), "typed text kept");
    assert!(html.contains("role=\"alert\""));

    // Without the token: refused, nothing recorded.
    let before = app.ticket_count().await;
    let third = format!("{key}-3");
    let mut forged = pothole_form("", &third);
    forged.retain(|(k, _)| *k != "csrf");
    let (status, _, _) = s.post("/console/tickets/new", &forged).await;
    assert_eq!(status, 403);
    assert_eq!(app.ticket_count().await, before);

    // A supervisor does not record at a desk; a citizen is told the console is for staff.
    let sup = app.create_user(Role::Supervisor, None).await;
    let s = Session::sign_in(&app, &sup.email, &sup.password).await;
    let (status, _) = s.get("/console/tickets/new").await;
    assert_eq!(status, 403);
    let (status, _, _) = s
        .post(
            "/console/tickets/new",
            &pothole_form(&s.csrf, "abcdefgh-sup"),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(app.ticket_count().await, before);
}

/// In the browser: the official chooses the category, fills the form, and gets the receipt
/// to print; the ticket is in the unit's inbox.
#[tokio::test]
async fn an_official_records_a_visit_and_prints_the_receipt() {
    let app = app().await;
    let driver = Driver::start().await;
    for width in [1280, 390] {
        let b = driver.browser(width).await;
        b.sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD)
            .await;
        b.expect("Hộp việc").await;
        b.go(&app, "/console/tickets/new").await;
        b.expect("Loại đơn và lĩnh vực").await;
        b.client
            .execute(
                "document.getElementById('d-category').value = 'duong-hong';",
                vec![],
            )
            .await
            .unwrap();
        b.click("form.desk-choose button[type=submit]").await;
        b.expect("Kích thước hư hỏng").await;
        b.fill("#d-name", "Trần Văn Bình").await;
        b.fill("#d-phone", "0912345678").await;
        b.fill("#d-title", "Ổ gà trước chợ").await;
        b.fill(
            "#d-description",
            "Ông Bình đến trụ sở báo ổ gà trước cổng chợ.",
        )
        .await;
        b.fill("#d-area", "31135").await;
        b.client
            .execute(
                "document.getElementById('attr_size').value = 'medium';",
                vec![],
            )
            .await
            .unwrap();
        b.shot("desk").await;
        b.click("form.desk button[type=submit]").await;
        let page = b.expect("PHIẾU TIẾP NHẬN ĐƠN").await;
        assert!(page.contains("Mã tra cứu"), "{page}");
        b.shot("receipt").await;
        let code = b
            .client
            .execute(
                "return document.querySelector('[data-receipt=code]').textContent;",
                vec![],
            )
            .await
            .unwrap();
        let code = code.as_str().unwrap().to_string();
        b.go(&app, "/console/").await;
        b.expect(&code).await;
        b.client.close().await.unwrap();
    }
}
