//! Staff notification preferences: the API (`/api/v1/me/notification-preferences`), and the
//! outbox honouring them — `off` sends nothing on that channel, `digest` gathers the day's
//! events into one message at the chosen hour, sent once even by two workers at once.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};
use crate::notify_push::{FcmMock, SEND_PATH, service_account_json};
use nghedan::domain::account::Role;

const PATH: &str = "/api/v1/me/notification-preferences";

impl TestApp {
    async fn preferences(&self, token: &str) -> Value {
        self.get_json(token, PATH).await
    }

    async fn put_preferences(&self, token: &str, body: Value) -> reqwest::Response {
        self.authed(Method::PUT, PATH, token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn set_preferences(&self, token: &str, body: Value) -> Value {
        let r = self.put_preferences(token, body).await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Mails to `user` whose subject contains `part`.
    fn mails_of(&self, user: &TestUser, part: &str) -> Vec<crate::helpers::Mail> {
        self.mails()
            .into_iter()
            .filter(|m| m.to.contains(&user.email) && m.subject.contains(part))
            .collect()
    }
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test]
async fn preferences_default_to_what_was_sent_and_change_through_put() {
    let app = TestApp::demo().await;
    let (_, official) = app.staff_of(Role::Official, "UBND-X31135").await;

    // Not signed in: 401.
    let r = app.get(PATH).await;
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .put(app.url(PATH))
        .json(&json!({"digest_hour": 8}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // The defaults: immediately on both channels, except assignments (never sent before).
    let defaults = app.preferences(&official).await;
    let both = |c: &str| json!({"email": c, "push": c});
    assert_eq!(
        defaults,
        json!({
            "events": {
                "new_ticket": both("immediate"),
                "assigned": both("off"),
                "due_soon": both("immediate"),
                "overdue": both("immediate"),
                "citizen_reply": both("immediate"),
            },
            "digest_hour": 7,
        })
    );

    // A partial PUT changes what it names and keeps the rest; GET shows the same.
    let changed = app
        .set_preferences(
            &official,
            json!({"events": {"new_ticket": {"email": "digest"}, "overdue": {"push": "off"}},
                   "digest_hour": 18}),
        )
        .await;
    assert_eq!(
        changed["events"]["new_ticket"],
        json!({"email": "digest", "push": "immediate"})
    );
    assert_eq!(
        changed["events"]["overdue"],
        json!({"email": "immediate", "push": "off"})
    );
    assert_eq!(changed["events"]["assigned"], both("off"));
    assert_eq!(changed["digest_hour"], 18);
    assert_eq!(app.preferences(&official).await, changed);
    // The whole document back again is accepted as it is.
    assert_eq!(
        app.set_preferences(&official, changed.clone()).await,
        changed
    );

    // Bad values are 422 with the field, and change nothing.
    let bad = [
        (
            json!({"events": {"overdue": {"email": "sometimes"}}}),
            "/events/overdue/email",
            "invalid_value",
        ),
        (json!({"digest_hour": 24}), "/digest_hour", "out_of_range"),
        (json!({"digest_hour": -1}), "/digest_hour", "out_of_range"),
        (
            json!({"events": {"weekly": {}}}),
            "/events/weekly",
            "unknown_field",
        ),
        (
            json!({"events": {"assigned": {"sms": "immediate"}}}),
            "/events/assigned/sms",
            "unknown_field",
        ),
        (json!({"digest_hour": "7"}), "/digest_hour", "invalid_type"),
    ];
    for (body, field, code) in bad {
        let r = app.put_preferences(&official, body.clone()).await;
        let p = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(p["errors"][0]["field"], field, "{body}: {p}");
        assert_eq!(p["errors"][0]["code"], code, "{body}: {p}");
    }
    assert_eq!(app.preferences(&official).await, changed);

    // Citizens have no staff events.
    let citizen = app.citizen().await;
    assert_problem(app.get_as(&citizen, PATH).await, 403, "action_forbidden").await;
    let r = app
        .put_preferences(&citizen, json!({"digest_hour": 8}))
        .await;
    assert_problem(r, 403, "action_forbidden").await;

    // The OpenAPI document has both operations.
    let doc = app.public_json("/api/v1/openapi.json").await;
    let item = &doc["paths"][PATH];
    assert!(item["get"].is_object() && item["put"].is_object(), "{item}");
    assert!(doc["components"]["schemas"]["NotificationSettings"].is_object());
}

/// An app whose pushes go to the FCM mock, with the demo organisation.
async fn app_with_fcm(fcm: &FcmMock) -> (TestApp, tempfile::NamedTempFile) {
    use std::io::Write;
    let mut key = tempfile::NamedTempFile::new().unwrap();
    key.write_all(service_account_json(&fcm.token_uri()).as_bytes())
        .unwrap();
    let (path, base) = (key.path().to_string_lossy().into_owned(), fcm.server.uri());
    let app = TestApp::builder()
        .long_tokens()
        .with_settings(move |s| {
            s.push.fcm_service_account_file = Some(path);
            s.push.fcm_api_base = Some(base);
        })
        .demo()
        .await;
    (app, key)
}

async fn add_fcm_device(app: &TestApp, token: &str, device_token: &str) {
    let r = app
        .authed(Method::POST, "/api/v1/me/devices", token)
        .json(&json!({"platform": "fcm", "token": device_token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// The FCM messages sent to `device` that mention `part`, as JSON text.
async fn pushes_to(fcm: &FcmMock, device: &str, part: &str) -> Vec<String> {
    fcm.requests(SEND_PATH)
        .await
        .into_iter()
        .filter_map(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            let text = v["message"].to_string();
            (v["message"]["token"] == device && text.contains(part)).then_some(text)
        })
        .collect()
}

#[tokio::test]
async fn off_sends_nothing_on_that_channel_and_digest_waits_for_the_hour() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm).await;
    let citizen = app.citizen().await;
    // Three officials of the unit: defaults; email off and push in the digest; email in the
    // digest and push off. (Deadline reminders keep their defaults: the checks below look at
    // new tickets and digests.)
    let (plain_user, plain) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (quiet_user, quiet) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (digest_user, digest) = app.staff_of(Role::Official, "UBND-X31135").await;
    for (token, device) in [
        (&plain, "d-plain"),
        (&quiet, "d-quiet"),
        (&digest, "d-digest"),
    ] {
        add_fcm_device(&app, token, device).await;
    }
    app.set_preferences(
        &quiet,
        json!({"events": {"new_ticket": {"email": "off", "push": "digest"}}}),
    )
    .await;
    app.set_preferences(
        &digest,
        json!({"events": {"new_ticket": {"email": "digest", "push": "off"}}}),
    )
    .await;

    // Monday 23/11 09:00 local: two tickets arrive.
    let first = app.submit_pothole(&citizen).await;
    let second = app.submit_pothole(&citizen).await;
    let pass = app.run_jobs().await;
    assert_eq!(pass.digests, 0, "{pass:?}");

    // Defaults: a mail and a push per ticket, as before.
    assert_eq!(app.mails_of(&plain_user, "Phiếu mới").len(), 2);
    assert_eq!(pushes_to(&fcm, "d-plain", "Phiếu mới").await.len(), 2);
    // `off` and `digest`: nothing at once on those channels.
    assert!(app.mails_of(&quiet_user, "Phiếu mới").is_empty());
    assert!(pushes_to(&fcm, "d-quiet", "Phiếu mới").await.is_empty());
    assert!(app.mails_of(&digest_user, "Phiếu mới").is_empty());
    assert!(pushes_to(&fcm, "d-digest", "Phiếu mới").await.is_empty());
    // The in-app list still has both, whatever the choice.
    assert_eq!(app.told(&quiet, &first).await, ["unit_new_ticket"]);
    assert_eq!(app.told(&digest, &second).await, ["unit_new_ticket"]);

    // 06:59 the next morning: not yet.
    app.clock.set(at("2026-11-23T23:59:00Z"));
    assert_eq!(app.run_jobs().await.digests, 0);
    assert!(app.mails_of(&digest_user, "Phiếu mới").is_empty());

    // 07:00 local, two workers at once: one digest each, once.
    app.clock.set(at("2026-11-24T00:00:00Z"));
    let (a, b) = tokio::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(a.digests + b.digests, 2, "{a:?} {b:?}");
    assert_eq!(app.run_jobs().await.digests, 0);
    app.clock.set(at("2026-11-24T05:00:00Z"));
    assert_eq!(app.run_jobs().await.digests, 0);

    let mails = app.mails_of(&digest_user, "Bản tin");
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert!(
        m.subject.contains("Bản tin") && m.subject.contains("24/11/2026"),
        "{}",
        m.subject
    );
    assert!(m.subject.contains("2 việc"), "{}", m.subject);
    for code in [&first, &second] {
        assert!(m.text.contains(&format!("Phiếu mới {code}")), "{}", m.text);
    }
    assert!(m.text.contains("/console/"), "{}", m.text);
    // Its push is off: none. The other official's email is off: none; their pushes went as
    // one digest push.
    assert!(pushes_to(&fcm, "d-digest", "Bản tin").await.is_empty());
    assert!(app.mails_of(&quiet_user, "Bản tin").is_empty());
    let quiet_pushes = pushes_to(&fcm, "d-quiet", "Bản tin").await;
    assert_eq!(quiet_pushes.len(), 1, "{quiet_pushes:?}");
    assert!(quiet_pushes[0].contains("Bản tin"), "{}", quiet_pushes[0]);
    // The defaults got no digest.
    assert!(app.mails_of(&plain_user, "Bản tin").is_empty());
    assert_eq!(pushes_to(&fcm, "d-plain", "Phiếu mới").await.len(), 2);

    // A ticket after today's digest waits for tomorrow's.
    let third = app.submit_pothole(&citizen).await;
    app.run_jobs().await;
    app.clock.set(at("2026-11-24T23:30:00Z"));
    assert_eq!(app.run_jobs().await.digests, 0);
    app.clock.set(at("2026-11-25T00:01:00Z"));
    assert_eq!(app.run_jobs().await.digests, 2);
    let mails = app.mails_of(&digest_user, "Bản tin");
    assert_eq!(mails.len(), 2);
    assert!(mails[1].text.contains(&third) && !mails[1].text.contains(&first));
}

#[tokio::test]
async fn assignments_and_comments_reach_staff_as_they_chose() {
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (head_user, head) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (keen_user, keen) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (plain_user, _) = app.staff_of(Role::Official, "UBND-X31135").await;
    app.set_preferences(
        &keen,
        json!({"events": {"assigned": {"email": "immediate"}, "citizen_reply": {"email": "off"}}}),
    )
    .await;
    let code = app.submit_pothole(&citizen).await;
    app.accept(&head, &code).await;

    // Assigned to someone who left the default: nothing; to someone who chose it: a mail.
    app.act_ok(&head, &code, "assign", json!({"user_id": plain_user.id}))
        .await;
    app.run_jobs().await;
    assert!(app.mails_of(&plain_user, "phân công").is_empty());
    app.act_ok(&head, &code, "assign", json!({"user_id": keen_user.id}))
        .await;
    app.run_jobs().await;
    let assigned = app.mails_of(&keen_user, "phân công");
    assert_eq!(assigned.len(), 1, "{assigned:?}");
    assert!(assigned[0].subject.contains(&code));

    // A citizen's comment reaches the assignee's channels as chosen (email off here)...
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/comments"),
            &citizen,
        )
        .header("Idempotency-Key", "comment-1")
        .json(&json!({"body": "Ổ gà rộng thêm."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    app.run_jobs().await;
    assert!(app.mails_of(&keen_user, "ý kiến").is_empty());
    let mut told = app.told(&keen, &code).await;
    told.sort();
    assert_eq!(
        told,
        ["unit_assigned", "unit_citizen_comment", "unit_new_ticket"]
    );
    // ... and, with nobody assigned, the unit's officials by default.
    app.act_ok(&head, &code, "assign", json!({"user_id": null}))
        .await;
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/comments"),
            &citizen,
        )
        .header("Idempotency-Key", "comment-2")
        .json(&json!({"body": "Thêm một ổ gà nữa."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    app.run_jobs().await;
    assert_eq!(app.mails_of(&plain_user, "ý kiến").len(), 1);
    assert_eq!(app.mails_of(&head_user, "ý kiến").len(), 1);
    // The citizen is not told of their own comment.
    assert!(app.mails_of(&citizen_user, "ý kiến").is_empty());
}
