//! Accounts, sign-in and devices.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::cli;
use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let wrong = app.try_login(&user.email, "not the password at all").await;
    let a = assert_problem(wrong, 401, "invalid_credentials").await;
    let unknown = app
        .try_login("nobody@example.vn", "not the password at all")
        .await;
    let b = assert_problem(unknown, 401, "invalid_credentials").await;
    assert_eq!(a["detail"], b["detail"]);
    assert_eq!(a["title"], b["title"]);
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_account_and_per_address() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.limits.login_failures_per_account = 3;
            s.limits.login_failures_per_ip = 5;
        })
        .spawn()
        .await;
    let user = app.create_user(Role::Citizen, None).await;
    let bad = json!({"email": user.email, "password": "wrong password 123"});
    for _ in 0..3 {
        let r = app.post_json("/api/v1/auth/login", &bad).await;
        assert_eq!(r.status(), 401);
    }
    // The address that failed waits now, even with the right password (the account's delay).
    let r = app.try_login(&user.email, &user.password).await;
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    assert_problem(r, 429, "rate_limited").await;

    // Unknown accounts are limited the same way (no enumeration), and the address limit
    // catches spraying over many accounts.
    for i in 0..2 {
        let r = app
            .try_login(&format!("x{i}@example.vn"), "wrong password 123")
            .await;
        assert_eq!(r.status(), 401);
    }
    let other = app.create_user(Role::Citizen, None).await;
    let r = app.try_login(&other.email, &other.password).await;
    assert_problem(r, 429, "rate_limited").await;

    // The window ends.
    app.clock.advance(Duration::minutes(16));
    app.login(&user.email, &user.password).await;
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let first = app.login(&user.email, &user.password).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    let r1 = first["refresh_token"].as_str().unwrap();

    let second: Value = app.refresh(&r1).await.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, r2);
    let me = app
        .authed(
            Method::GET,
            "/api/v1/me",
            second["access_token"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Someone replays the old token: the whole family dies, including r2.
    let replay = app.refresh(&r1).await;
    assert_problem(replay, 401, "refresh_token_reused").await;
    let after = app.refresh(&r2).await;
    assert_problem(after, 401, "invalid_token").await;

    // Another sign-in is its own family.
    let other = app.login(&user.email, &user.password).await;
    let ok = app.refresh(&other["refresh_token"]).await;
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn logout_revokes_the_session_and_refresh_tokens_expire() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let pair = app.login(&user.email, &user.password).await;
    let r = app
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": pair["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let again = app.refresh(&pair["refresh_token"]).await;
    assert_problem(again, 401, "invalid_token").await;

    let pair = app.login(&user.email, &user.password).await;
    app.clock.advance(Duration::days(31));
    let expired = app.refresh(&pair["refresh_token"]).await;
    assert_problem(expired, 401, "token_expired").await;
}

#[tokio::test]
async fn jwt_attacks_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let me = |t: String| {
        let app = &app;
        async move {
            app.authed(Method::GET, "/api/v1/me", &t)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(me(token.clone()).await.status(), 200);

    // alg: none with the same claims.
    let parts: Vec<&str> = token.split('.').collect();
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
    assert_problem(
        me(format!("{none_header}.{}.", parts[1])).await,
        401,
        "invalid_token",
    )
    .await;
    // Claims changed (role), signature kept.
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("999");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    assert_problem(me(forged).await, 401, "invalid_token").await;
    // Signed with another key.
    let mut other = app.state.settings.auth.clone();
    other.jwt_secret = "a-completely-different-secret-0000000".into();
    let keys = nghedan::auth::JwtKeys::from_settings(&other).unwrap();
    let foreign = keys
        .issue(1, Role::Admin, 0, nghedan::clock::Clock::now(&*app.clock))
        .unwrap();
    assert_problem(me(foreign).await, 401, "invalid_token").await;
    // Garbage and a wrong scheme.
    assert_problem(me("abc.def.ghi".into()).await, 401, "invalid_token").await;
    let basic = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_problem(basic, 401, "invalid_token").await;
    // No token at all.
    assert_problem(app.get("/api/v1/me").await, 401, "unauthenticated").await;

    // Expired: 15 minutes later.
    app.clock.advance(Duration::minutes(16));
    assert_problem(me(token.clone()).await, 401, "token_expired").await;
    // From the future: issued after "now".
    app.clock.advance(Duration::minutes(-30));
    assert_problem(me(token).await, 401, "invalid_token").await;
}

#[tokio::test]
async fn bad_inputs_are_problems() {
    let app = TestApp::spawn().await;
    let url = app.url("/api/v1/auth/register");
    // Malformed JSON.
    let r = app
        .client
        .post(&url)
        .header("Content-Type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "malformed_json").await;
    // Syntax before fields: a truncated body is malformed even when it starts with a field
    // that does not exist.
    for body in [
        "{\"broken\": ",
        "{\"email\": \"a@b.vn\", \"admin\": true",
        "{\"email\": 42",
    ] {
        let r = app
            .client
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(r, 400, "malformed_json").await;
    }
    // Wrong content type.
    let r = app
        .client
        .post(&url)
        .header("Content-Type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(r, 415, "unsupported_media_type").await;
    // Too large.
    let big = json!({"email": "a@b.vn", "password": "x".repeat(2 << 20), "full_name": "x"});
    let r = app.post_json("/api/v1/auth/register", &big).await;
    assert_problem(r, 413, "payload_too_large").await;
    // Unknown field and wrong type.
    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "a@b.vn", "password": "long enough pw", "full_name": "A", "admin": true}),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/admin");
    assert_eq!(p["errors"][0]["code"], "unknown_field");
    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": 42, "password": "long enough pw", "full_name": "A"}),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/email");
    assert_eq!(p["errors"][0]["code"], "invalid_type");
    // Every bad field at once, in English when asked.
    let r = app
        .client
        .post(&url)
        .header("Accept-Language", "en")
        .json(
            &json!({"email": "not-an-email", "password": "short", "full_name": "", "phone": "12"}),
        )
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<(&str, &str)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("/email", "invalid_email"),
            ("/password", "too_short"),
            ("/full_name", "required"),
            ("/phone", "invalid_phone")
        ]
    );
    assert_eq!(
        p["errors"][1]["message"],
        "At least 10 characters are needed."
    );
    // A common password.
    let r = app.register("ok@example.vn", "matkhau123", "A").await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "password_too_common");
    // Nothing was created by any of these.
    let count = app
        .state
        .db(|conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            Ok(nghedan::db::schema::users::table
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn admin_routes_need_an_admin() {
    let app = TestApp::spawn().await;
    let unit = app.make_unit("UBND-X").await;
    let citizen = app.citizen().await;
    let (_, official) = app.token_for(Role::Official, Some(unit)).await;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(unit)).await;
    let (admin_user, admin) = app.token_for(Role::Admin, None).await;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/v1/admin/users".into(),
            Some(
                json!({"email": "new.official@example.vn", "full_name": "Cán bộ", "role": "official", "unit_id": unit}),
            ),
        ),
        (Method::GET, "/api/v1/admin/users".into(), None),
        (
            Method::GET,
            format!("/api/v1/admin/users/{}", admin_user.id),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/users/{}", admin_user.id),
            Some(json!({"full_name": "Admin"})),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/users/{}/password-reset", admin_user.id),
            None,
        ),
    ];
    for (method, path, body) in &routes {
        let send = |token: Option<&str>| {
            let mut rb = app.client.request(method.clone(), app.url(path));
            if let Some(t) = token {
                rb = rb.bearer_auth(t);
            }
            if let Some(b) = body {
                rb = rb.json(b);
            }
            rb.send()
        };
        assert_problem(send(None).await.unwrap(), 401, "unauthenticated").await;
        for t in [&citizen, &official, &supervisor] {
            assert_problem(send(Some(t)).await.unwrap(), 403, "action_forbidden").await;
        }
        let ok = send(Some(&admin)).await.unwrap();
        assert!(ok.status().is_success(), "{method} {path}: {}", ok.status());
    }
}

#[tokio::test]
async fn admins_create_staff_and_disabling_ends_access() {
    let app = TestApp::spawn().await;
    let unit = app.make_unit("UBND-Y").await;
    let admin = app.admin().await;
    // Staff need a unit; citizens are not made here.
    let r = app
        .authed(Method::POST, "/api/v1/admin/users", &admin)
        .json(&json!({"email": "a@example.vn", "full_name": "A", "role": "official"}))
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/unit_id");
    let r = app
        .authed(Method::POST, "/api/v1/admin/users", &admin)
        .json(&json!({"email": "a@example.vn", "full_name": "A", "role": "official", "unit_id": 999999}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;

    let official = app.create_user(Role::Official, Some(unit)).await;
    let pair = app.login(&official.email, &official.password).await;
    let access = pair["access_token"].as_str().unwrap();
    let me = |t: &str| app.authed(Method::GET, "/api/v1/me", t).send();
    assert_eq!(me(access).await.unwrap().status(), 200);

    let r = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/users/{}", official.id),
            &admin,
        )
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["disabled"], true);
    // Refresh tokens die at once; sign-in is refused.
    let r = app.refresh(&pair["refresh_token"]).await;
    assert_eq!(r.status(), 401);
    let r = app.try_login(&official.email, &official.password).await;
    assert_problem(r, 401, "account_disabled").await;
    // The access token is refused within 60 s (this process forgot its cache at once).
    app.clock.advance(Duration::seconds(61));
    assert_problem(me(access).await.unwrap(), 401, "account_disabled").await;
}

#[tokio::test]
async fn devices_register_move_and_delete() {
    let app = TestApp::spawn().await;
    let a = app.citizen().await;
    let b = app.citizen().await;
    let fcm = json!({"platform": "fcm", "token": "fcm-token:abc_123"});
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", &a)
        .json(&fcm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["platform"], "fcm");
    let apns = json!({"platform": "apns", "token": "ab".repeat(32), "environment": "sandbox"});
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", &a)
        .json(&apns)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut key = vec![4u8];
    key.extend([9u8; 64]);
    let web = json!({"platform": "webpush", "subscription": {
        "endpoint": "https://push.example.org/send/abc",
        "expirationTime": null,
        "keys": {"p256dh": URL_SAFE_NO_PAD.encode(&key), "auth": URL_SAFE_NO_PAD.encode([5u8; 16])}}});
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", &a)
        .json(&web)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let list = app.get_json(&a, "/api/v1/me/devices").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert!(list["next_cursor"].is_null());

    // Bad subscriptions.
    let mut bad = web.clone();
    bad["subscription"]["endpoint"] = json!("http://push.example.org/x");
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", &a)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/subscription/endpoint");
    let mut bad = web.clone();
    bad["subscription"]["keys"]["auth"] = json!("AAAA");
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", &a)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/subscription/keys/auth");

    // The same phone signs in as B: the token moves, no duplicate.
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", &b)
        .json(&fcm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let moved: Value = r.json().await.unwrap();
    assert_eq!(moved["id"], created["id"]);
    let list_a = app.get_json(&a, "/api/v1/me/devices").await;
    assert_eq!(list_a["items"].as_array().unwrap().len(), 2);

    // A cannot delete B's device; B can.
    let path = format!("/api/v1/me/devices/{}", moved["id"]);
    let r = app.authed(Method::DELETE, &path, &a).send().await.unwrap();
    assert_problem(r, 404, "device_not_found").await;
    let r = app.authed(Method::DELETE, &path, &b).send().await.unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn creating_posts_honour_idempotency_keys() {
    let app = TestApp::spawn().await;
    let a = app.citizen().await;
    let body = json!({"platform": "fcm", "token": "tok-1"});
    let send = |b: &Value, key: &str| {
        app.authed(Method::POST, "/api/v1/me/devices", &a)
            .header("Idempotency-Key", key)
            .json(b)
            .send()
    };
    let first = send(&body, "key-00000001").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(&body, "key-00000001").await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = send(
        &json!({"platform": "fcm", "token": "tok-2"}),
        "key-00000001",
    )
    .await
    .unwrap();
    assert_problem(other, 422, "idempotency_key_reused").await;
    let short = send(&body, "k").await.unwrap();
    assert_problem(short, 400, "idempotency_key_invalid").await;
}

#[tokio::test]
async fn profile_export_and_erasure() {
    let app = TestApp::spawn().await;
    let (user, t) = app.token_for(Role::Citizen, None).await;
    let r = app
        .authed(Method::PATCH, "/api/v1/me", &t)
        .json(
            &json!({"full_name": "Trần Văn B", "locale": "en", "phone": "0987 654 321",
            "notification_preferences": {"push": false}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["full_name"], "Trần Văn B");
    assert_eq!(me["phone"], "+84987654321");
    assert_eq!(me["locale"], "en");
    assert_eq!(
        me["notification_preferences"],
        json!({"email": true, "push": false})
    );
    let r = app
        .authed(Method::PATCH, "/api/v1/me", &t)
        .json(&json!({"phone": null}))
        .send()
        .await
        .unwrap();
    assert!(r.json::<Value>().await.unwrap()["phone"].is_null());

    app.authed(Method::POST, "/api/v1/me/devices", &t)
        .json(&json!({"platform": "fcm", "token": "export-me"}))
        .send()
        .await
        .unwrap();
    let export = app.get_json(&t, "/api/v1/me/export").await;
    assert_eq!(export["account"]["email"], user.email.as_str());
    assert_eq!(export["account"]["full_name"], "Trần Văn B");
    assert_eq!(export["devices"][0]["platform"], "fcm");
    assert!(!export["sessions"].as_array().unwrap().is_empty());
    assert!(!export.to_string().contains("password"));

    let r = app.erase_account(&t).await;
    assert_eq!(r.status(), 204);
    // The row stays, with nothing personal left in it or its neighbours.
    let id = user.id;
    let (email, phone, name, hash, devices, sessions) = app
        .state
        .db(move |conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::{devices, refresh_tokens, users};
            let (e, p, n, h) = users::table
                .find(id)
                .select((
                    users::email,
                    users::phone,
                    users::full_name,
                    users::password_hash,
                ))
                .first::<(Option<String>, Option<String>, String, String)>(conn)?;
            let d = devices::table
                .filter(devices::user_id.eq(id))
                .count()
                .get_result::<i64>(conn)?;
            let s = refresh_tokens::table
                .filter(refresh_tokens::user_id.eq(id))
                .count()
                .get_result::<i64>(conn)?;
            Ok((e, p, n, h, d, s))
        })
        .await
        .unwrap();
    assert_eq!((email, phone, name.as_str()), (None, None, ""));
    assert!(!hash.starts_with("$argon2"));
    assert_eq!((devices, sessions), (0, 0));
    let r = app.try_login(&user.email, &user.password).await;
    assert_problem(r, 401, "invalid_credentials").await;
    let r = app
        .authed(Method::GET, "/api/v1/me", &t)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "account_disabled").await;
}

#[tokio::test]
async fn hashes_are_upgraded_at_sign_in_when_the_cost_changes() {
    let app = TestApp::builder()
        .with_settings(|s| s.auth.argon2_iterations = 3)
        .spawn()
        .await;
    let user = app.create_user(Role::Citizen, None).await;
    // Made with the old cost (t=2).
    let old = nghedan::auth::Hasher::from_settings(&{
        let mut a = app.state.settings.auth.clone();
        a.argon2_iterations = 2;
        a
    })
    .unwrap()
    .hash(&user.password)
    .unwrap();
    let id = user.id;
    let stored = app
        .state
        .db(move |conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::users;
            diesel::update(users::table.find(id))
                .set(users::password_hash.eq(&old))
                .execute(conn)?;
            Ok(())
        })
        .await;
    stored.unwrap();
    app.login(&user.email, &user.password).await;
    let hash = app
        .state
        .db(move |conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::users;
            Ok(users::table
                .find(id)
                .select(users::password_hash)
                .first::<String>(conn)?)
        })
        .await
        .unwrap();
    assert!(hash.contains("m=19456,t=3,p=1"), "{hash}");
    app.login(&user.email, &user.password).await;
}

#[tokio::test]
async fn sign_up_verify_by_link_sign_in_and_register_a_phone() {
    let app = TestApp::spawn().await;
    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "Lan.Nguyen@Example.VN", "password": "ngõ 7 có ổ gà to", "full_name": "Nguyễn Thị Lan", "locale": "vi"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["email"], "lan.nguyen@example.vn");
    assert_eq!(me["verified"], false);
    assert_eq!(me["role"], "citizen");

    let mails = app.mails_to("lan.nguyen@example.vn").await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.subject, "Xác nhận địa chỉ email của bạn");
    assert!(mail.text.contains("Nguyễn Thị Lan"));
    assert!(!mail.html.is_empty());
    assert!(mail.raw.contains("Auto-Submitted: auto-generated"));
    assert!(mail.code().is_some());
    // Account mail cannot be unsubscribed from.
    assert!(!mail.raw.contains("List-Unsubscribe"));
    let token = mail.link_param("token").unwrap();
    // The outbox keeps no secret once it is sent.
    let leftover = app
        .state
        .db(|conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::outbox;
            Ok(outbox::table.select(outbox::data).load::<String>(conn)?)
        })
        .await
        .unwrap();
    assert!(leftover.iter().all(|d| !d.contains(&token)), "{leftover:?}");

    // Signed in but unverified; the link verifies.
    let pair = app.login("lan.nguyen@example.vn", "ngõ 7 có ổ gà to").await;
    let access = pair["access_token"].as_str().unwrap();
    let r = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!(r.status(), 200);
    let me = app.get_json(access, "/api/v1/me").await;
    assert_eq!(me["verified"], true);
    // A used link is void.
    let r = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_problem(r, 422, "verification_failed").await;

    // Register a phone for push.
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", access)
        .json(&json!({"platform": "fcm", "token": "phone-of-lan"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // The same email again.
    let r = app
        .register("lan.nguyen@example.vn", "another good pw 1", "X")
        .await;
    assert_problem(r, 409, "email_taken").await;
}

#[tokio::test]
async fn verification_codes_void_after_five_wrong_tries() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "minh@example.vn", "password": "a long good password", "full_name": "Trần Văn Minh", "locale": "en"});
    assert_eq!(
        app.post_json("/api/v1/auth/register", &body).await.status(),
        201
    );
    let mail = app.mails_to("minh@example.vn").await.remove(0);
    assert_eq!(mail.subject, "Confirm your email address");
    let code = mail.code().unwrap();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = app
            .post_json(
                "/api/v1/auth/verify-email",
                &json!({"email": "minh@example.vn", "code": wrong}),
            )
            .await;
        assert_problem(r, 422, "verification_failed").await;
    }
    // Even the right code is void now.
    let r = app
        .post_json(
            "/api/v1/auth/verify-email",
            &json!({"email": "minh@example.vn", "code": code}),
        )
        .await;
    assert_problem(r, 422, "verification_failed").await;

    // A fresh sign-up elsewhere verifies with its code at once.
    let body =
        json!({"email": "an@example.vn", "password": "a long good password", "full_name": "An"});
    app.post_json("/api/v1/auth/register", &body).await;
    let code = app
        .mails_to("an@example.vn")
        .await
        .remove(0)
        .code()
        .unwrap();
    let r = app
        .post_json(
            "/api/v1/auth/verify-email",
            &json!({"email": "AN@example.vn", "code": code}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_json(
            "/api/v1/auth/verify-email",
            &json!({"email": "an@example.vn"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
}

#[tokio::test]
async fn password_reset_end_to_end() {
    let app = TestApp::spawn().await;
    let user = app.create_user(Role::Citizen, None).await;
    let old = app.login(&user.email, &user.password).await;
    // Unknown and known addresses get the same answer.
    for email in ["nobody@example.vn", user.email.as_str()] {
        let r = app
            .post_json("/api/v1/auth/password-reset", &json!({"email": email}))
            .await;
        assert_eq!(r.status(), 202);
    }
    assert!(app.mails_to("nobody@example.vn").await.is_empty());
    let mails = app.mails_to(&user.email).await;
    assert_eq!(mails.len(), 1);
    let token = mails[0].link_param("token").unwrap();
    assert!(mails[0].text.contains("/reset-password?token="));

    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "short"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "a brand new password"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    // Single use.
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "yet another password"}),
        )
        .await;
    assert_problem(r, 422, "reset_token_invalid").await;
    // Every old session ended; the new password works, the old one does not.
    let r = app.refresh(&old["refresh_token"]).await;
    assert_eq!(r.status(), 401);
    let r = app.try_login(&user.email, &user.password).await;
    assert_eq!(r.status(), 401);
    app.login(&user.email, "a brand new password").await;

    // A token expires after an hour.
    app.post_json("/api/v1/auth/password-reset", &json!({"email": user.email}))
        .await;
    let token = app
        .mails_to(&user.email)
        .await
        .pop()
        .unwrap()
        .link_param("token")
        .unwrap();
    app.clock.advance(Duration::minutes(61));
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "too late password"}),
        )
        .await;
    assert_problem(r, 422, "reset_token_invalid").await;
}

#[tokio::test]
async fn an_admin_creates_an_official_who_sets_a_password_by_email() {
    let app = TestApp::spawn().await;
    let unit = app.make_unit("UBND-Z").await;
    let admin = app.admin().await;
    let r = app
        .authed(Method::POST, "/api/v1/admin/users", &admin)
        .json(&json!({"email": "can.bo@example.vn", "full_name": "Lê Văn Cán", "role": "official", "unit_id": unit, "locale": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let staff: Value = r.json().await.unwrap();
    assert_eq!(staff["role"], "official");
    assert_eq!(staff["unit_id"], unit);
    let mail = app.mails_to("can.bo@example.vn").await.remove(0);
    assert_eq!(mail.subject, "Your Nghe dân account is ready");
    assert!(mail.text.contains("Unit UBND-Z"));
    let token = mail.link_param("token").unwrap();
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "official's own password"}),
        )
        .await;
    assert_eq!(r.status(), 204);
    let pair = app
        .login("can.bo@example.vn", "official's own password")
        .await;
    let me = app
        .get_json(pair["access_token"].as_str().unwrap(), "/api/v1/me")
        .await;
    assert_eq!(me["role"], "official");
    let list = app
        .get_json(&admin, "/api/v1/admin/users?role=official")
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[test]
fn the_cli_creates_the_first_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = cli(&db)
        .args([
            "admin",
            "create-user",
            "--email",
            "Root@Example.VN",
            "--role",
            "admin",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("created admin"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert!(password.len() >= 10);
    // The password verifies against what was stored.
    use diesel::prelude::*;
    let mut conn =
        diesel::SqliteConnection::establish(dir.path().join("x.db").to_str().unwrap()).unwrap();
    let (hash, role): (String, String) = nghedan::db::schema::users::table
        .filter(nghedan::db::schema::users::email.eq("root@example.vn"))
        .select((
            nghedan::db::schema::users::password_hash,
            nghedan::db::schema::users::role,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(role, "admin");
    let settings = crate::helpers::test_settings(&db);
    let hasher = nghedan::auth::Hasher::from_settings(&settings.auth).unwrap();
    assert!(hasher.verify(&password, &hash));
}

#[tokio::test]
async fn sign_ups_and_reset_requests_are_limited_per_address() {
    let app = TestApp::builder()
        .with_settings(|s| {
            s.limits.signups_per_ip_per_hour = 2;
            s.limits.password_resets_per_ip_per_hour = 2;
        })
        .spawn()
        .await;
    for i in 0..2 {
        let r = app
            .register(&format!("u{i}@example.vn"), "a long good password", "U")
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .register("u9@example.vn", "a long good password", "U")
        .await;
    assert!(r.headers().contains_key("retry-after"));
    assert_problem(r, 429, "rate_limited").await;
    for _ in 0..2 {
        let r = app
            .post_json(
                "/api/v1/auth/password-reset",
                &json!({"email": "u0@example.vn"}),
            )
            .await;
        assert_eq!(r.status(), 202);
    }
    let r = app
        .post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "u0@example.vn"}),
        )
        .await;
    assert_problem(r, 429, "rate_limited").await;
    app.clock.advance(Duration::minutes(61));
    let r = app
        .post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "u0@example.vn"}),
        )
        .await;
    assert_eq!(r.status(), 202);
}

/// An Ed25519 key pair as PEM files: (private PKCS#8, public SPKI).
fn ed25519_pem_files(dir: &std::path::Path, name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let private = dir.join(format!("{name}.key.pem"));
    let public = dir.join(format!("{name}.pub.pem"));
    std::fs::write(&private, key.serialize_pem()).unwrap();
    std::fs::write(&public, key.public_key_pem()).unwrap();
    (
        private.to_string_lossy().into_owned(),
        public.to_string_lossy().into_owned(),
    )
}

fn jwt_header(token: &str) -> Value {
    let head = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).unwrap()).unwrap()
}

#[tokio::test]
async fn eddsa_tokens_are_signed_checked_and_rotated_by_key_id() {
    use nghedan::config::JwtAlgorithm;
    let keys = tempfile::tempdir().unwrap();
    let (old_private, old_public) = ed25519_pem_files(keys.path(), "ed1");
    let (new_private, new_public) = ed25519_pem_files(keys.path(), "ed2");
    let (p, q) = (old_private.clone(), old_public.clone());
    let app = TestApp::builder()
        .with_settings(move |s| {
            s.auth.jwt_algorithm = JwtAlgorithm::EdDSA;
            s.auth.jwt_key_id = "ed1".into();
            s.auth.jwt_private_key_file = p;
            s.auth.jwt_public_key_file = q;
        })
        .spawn()
        .await;
    let token = app.citizen().await;
    let header = jwt_header(&token);
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "ed1");
    let me = app
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // The algorithm is pinned: an HS256 token with the same kid (signed with the public key
    // as the secret, the classic confusion attack) is refused.
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let mut hs = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    hs.kid = Some("ed1".into());
    let forged = jsonwebtoken::encode(
        &hs,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&std::fs::read(&old_public).unwrap()),
    )
    .unwrap();
    let r = app
        .authed(Method::GET, "/api/v1/me", &forged)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "invalid_token").await;

    // Rotation: a server with the new key still accepts the old key's tokens by their kid…
    let (p, q, prev) = (new_private.clone(), new_public.clone(), old_public.clone());
    let rotated = TestApp::builder()
        .with_db_url(app.db_url.clone())
        .with_settings(move |s| {
            s.auth.jwt_algorithm = JwtAlgorithm::EdDSA;
            s.auth.jwt_key_id = "ed2".into();
            s.auth.jwt_private_key_file = p;
            s.auth.jwt_public_key_file = q;
            s.auth.jwt_previous_key_id = "ed1".into();
            s.auth.jwt_previous_public_key_file = prev;
        })
        .spawn()
        .await;
    let r = rotated
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh = rotated.citizen().await;
    assert_eq!(jwt_header(&fresh)["kid"], "ed2");
    // …and once the old key is retired, they are refused.
    let retired = TestApp::builder()
        .with_db_url(app.db_url.clone())
        .with_settings(move |s| {
            s.auth.jwt_algorithm = JwtAlgorithm::EdDSA;
            s.auth.jwt_key_id = "ed2".into();
            s.auth.jwt_private_key_file = new_private;
            s.auth.jwt_public_key_file = new_public;
        })
        .spawn()
        .await;
    let r = retired
        .authed(Method::GET, "/api/v1/me", &token)
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "invalid_token").await;
    let r = retired
        .authed(Method::GET, "/api/v1/me", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
