//! Hostile text in input: U+0000 anywhere (PostgreSQL cannot store it), and invisible or
//! control characters in free text. The same answers on both backends.

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::pothole;
use crate::helpers::{TestApp, assert_problem};

/// The `(field, code)` pairs of a 422.
async fn field_errors(res: reqwest::Response) -> Vec<(String, String)> {
    let p = assert_problem(res, 422, "validation_failed").await;
    p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn nul_at(field: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), "nul_character".to_string())]
}

#[tokio::test]
async fn nul_in_any_input_is_a_422_or_404_never_a_500() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let admin = app.admin().await;
    let code = app.submit_pothole(&citizen).await;

    // Query parameters, on public routes.
    for (path, field) in [
        ("/api/v1/public/tickets?category=duong%00hong", "/category"),
        ("/api/v1/public/tickets?area_code=%00", "/area_code"),
        ("/api/v1/units?q=ubnd%00", "/q"),
        ("/api/v1/areas?q=ninh%00kieu", "/q"),
        ("/api/v1/public/tickets.geojson?category=%00", "/category"),
    ] {
        assert_eq!(
            field_errors(app.get(path).await).await,
            nul_at(field),
            "{path}"
        );
    }
    let official = app
        .login("canbo.ubnd-x31135@demo.nghedan.vn", "nghe-dan-demo-2026")
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let res = app
        .authed(Method::GET, "/api/v1/inbox?category=%00", &official)
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(res).await, nul_at("/category"));

    // A forged cursor carrying U+0000.
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"\"31\\u0000\"");
    let errors = field_errors(app.get(&format!("/api/v1/areas?after={cursor}")).await).await;
    assert_eq!(
        errors,
        vec![("/after".to_string(), "invalid_cursor".to_string())]
    );

    // Path ids.
    for path in [
        format!("/api/v1/tickets/{code}%00"),
        "/api/v1/tickets/%00/events".to_string(),
        "/api/v1/areas/31135%00".to_string(),
        "/api/v1/public/units/1%00/scorecard".to_string(),
    ] {
        assert_problem(app.get(&path).await, 404, "resource_not_found").await;
    }
    let res = app
        .authed(
            Method::PATCH,
            "/api/v1/admin/categories/duong-hong%00",
            &admin,
        )
        .json(&json!({"name_vi": "Đường"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "resource_not_found").await;
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}%00/comments"),
            &citizen,
        )
        .header("Idempotency-Key", "nul-comment-1")
        .json(&json!({"body": "ok"}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "resource_not_found").await;

    // JSON fields: the sign-in email, a ticket's title, an attribute, a key, a category code.
    let res = app
        .try_login("lan\u{0}@demo.nghedan.vn", "nghe-dan-demo-2026")
        .await;
    assert_eq!(field_errors(res).await, nul_at("/email"));
    let mut body = pothole();
    body["title"] = json!("Ổ gà\u{0}");
    assert_eq!(
        field_errors(app.submit(Some(&citizen), &body).await).await,
        nul_at("/title")
    );
    let mut body = pothole();
    body["attributes"] = json!({"size": "large\u{0}", "depth_cm": 15});
    assert_eq!(
        field_errors(app.submit(Some(&citizen), &body).await).await,
        nul_at("/attributes/size")
    );
    let mut body = pothole();
    body["attributes"] = json!({"si\u{0}ze": "large"});
    assert_eq!(
        field_errors(app.submit(None, &body).await).await,
        nul_at("/attributes/si\u{0}ze")
    );
    let res = app
        .post_json(
            "/api/v1/routing/preview",
            &json!({"kind": "feedback", "category": "duong-hong\u{0}", "area_code": "31135"}),
        )
        .await;
    assert_eq!(field_errors(res).await, nul_at("/category"));
    let res = app
        .act(&citizen, &code, "withdraw", json!({"reason": "\u{0}"}))
        .await;
    assert_eq!(field_errors(res).await, nul_at("/reason"));
    let res = app
        .authed(Method::PATCH, "/api/v1/me", &citizen)
        .json(&json!({"full_name": "Lan\u{0}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(res).await, nul_at("/full_name"));

    // Nothing of it reached the database: the ticket is as submitted.
    let t = app.ticket(&citizen, &code).await;
    assert_eq!(t["status"], "submitted");
}

/// The `(field, code)` pairs of a 422, with the English message of the first.
async fn field_errors_en(res: reqwest::Response) -> (Vec<(String, String)>, String) {
    let p = assert_problem(res, 422, "validation_failed").await;
    let errors = p["errors"].as_array().unwrap();
    (
        errors
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
        errors[0]["message"].as_str().unwrap().to_string(),
    )
}

fn one(field: &str, code: &str) -> Vec<(String, String)> {
    vec![(field.to_string(), code.to_string())]
}

#[tokio::test]
async fn free_text_must_be_visible_and_free_of_control_characters() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let admin = app.admin().await;
    let submit = |title: &str, description: &str| {
        let mut body = pothole();
        body["title"] = json!(title);
        body["description"] = json!(description);
        app.client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&citizen)
            .header("Accept-Language", "en")
            .header("Idempotency-Key", uuid::Uuid::new_v4().simple().to_string())
            .json(&body)
            .send()
    };
    let ok = "Ổ gà lớn trước số 12";
    // Titles of zero-width characters only, or with a right-to-left override, an escape.
    let (errors, _) = field_errors_en(submit("\u{200B}\u{200B}\u{FEFF}", ok).await.unwrap()).await;
    assert_eq!(errors, one("/title", "invisible_text"));
    let (errors, message) = field_errors_en(submit("Đường \u{202E}gnóh", ok).await.unwrap()).await;
    assert_eq!(errors, one("/title", "control_character"));
    assert!(message.contains("U+202E"), "{message}");
    let (errors, _) = field_errors_en(submit("\u{1b}[31mĐỏ", ok).await.unwrap()).await;
    assert_eq!(errors, one("/title", "control_character"));
    let (errors, _) = field_errors_en(submit("Hai\ndòng", ok).await.unwrap()).await;
    assert_eq!(errors, one("/title", "control_character"));
    // A description keeps its paragraphs and tabs, but not an override.
    let (errors, _) = field_errors_en(submit(ok, "a\u{2066}b").await.unwrap()).await;
    assert_eq!(errors, one("/description", "control_character"));
    let created = submit(
        "Ổ gà 👨\u{200D}👩\u{200D}👧",
        "Dòng một.\r\nDòng hai:\tổ gà.",
    )
    .await
    .unwrap();
    assert_eq!(created.status(), 201);
    let code = created.json::<Value>().await.unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();

    // Comments, an action's reason, a profile name, a category's name.
    let res = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/comments"),
            &citizen,
        )
        .header("Idempotency-Key", "invisible-comment-1")
        .json(&json!({"body": " \u{200B} "}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(res).await, one("/body", "invisible_text"));
    let res = app
        .act(
            &citizen,
            &code,
            "withdraw",
            json!({"reason": "lý do\u{202E}"}),
        )
        .await;
    assert_eq!(field_errors(res).await, one("/reason", "control_character"));
    let res = app
        .authed(Method::PATCH, "/api/v1/me", &citizen)
        .json(&json!({"full_name": "\u{3164}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(res).await, one("/full_name", "invisible_text"));
    let res = app
        .authed(Method::PATCH, "/api/v1/admin/categories/duong-hong", &admin)
        .json(&json!({"name_vi": "Đường\u{7}"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        field_errors(res).await,
        one("/name_vi", "control_character")
    );
    let res = app
        .register("moi@example.vn", "mot-mat-khau-dai", "\u{200F}\u{200B}")
        .await;
    assert_eq!(
        field_errors(res).await,
        one("/full_name", "control_character")
    );
}
