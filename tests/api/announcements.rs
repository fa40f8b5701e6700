//! "Dân biết": residents' areas, anonymous installs that follow areas, announcements (drafts,
//! publication, withdrawal, area scope, public lists and search, the feed) and their fan-out
//! to residents through the jobs — once each, resumable, quiet hours except emergencies.

use std::collections::HashMap;

use chrono::Duration;
use diesel::prelude::*;
use nghedan::db::schema::{announcement_fanouts, notifications, outbox};
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::notify_push::{FcmMock, SEND_PATH, service_account_json};

/// A commune of province 92 with a demo committee, other than Ninh Kiều (31135).
async fn other_commune(app: &TestApp) -> String {
    app.state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            use nghedan::db::schema::{areas, unit_areas, units};
            Ok(unit_areas::table
                .inner_join(units::table)
                .inner_join(areas::table)
                .filter(areas::parent_code.eq("92"))
                .filter(areas::code.ne("31135"))
                .filter(units::code.like("UBND-X%"))
                .order(areas::code.asc())
                .select(areas::code)
                .first::<String>(c)?)
        })
        .await
        .unwrap()
}

fn notice(title: &str, areas: &[&str]) -> Value {
    json!({"title": title, "body": "Phương án bồi thường, hỗ trợ và tái định cư dự án mở rộng đường.",
        "topic": "compensation_resettlement", "area_codes": areas})
}

impl TestApp {
    async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.authed(method, path, token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn draft_notice(&self, official: &str, body: &Value) -> Value {
        let r = self
            .send_json(Method::POST, "/api/v1/announcements", official, body)
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    async fn publish_notice(&self, official: &str, id: i64) -> Value {
        let r = self
            .authed(
                Method::POST,
                &format!("/api/v1/announcements/{id}/publish"),
                official,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    async fn published_notice(&self, official: &str, body: &Value) -> i64 {
        let id = self.draft_notice(official, body).await["id"]
            .as_i64()
            .unwrap();
        self.publish_notice(official, id).await;
        id
    }

    async fn follow_areas(&self, token: &str, areas: &[&str], email: bool) {
        let r = self
            .send_json(
                Method::PUT,
                "/api/v1/me/areas",
                token,
                &json!({"area_codes": areas, "email": email}),
            )
            .await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    async fn listed_ids(&self, query: &str) -> Vec<i64> {
        let v = self
            .public_json(&format!("/api/v1/announcements{query}"))
            .await;
        v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    }

    /// The people told of announcement `id` in the app, by id.
    async fn told_in_app(&self, id: i64) -> Vec<i64> {
        let key = format!("announcement:{id}:announcement_published");
        self.state
            .db(move |c| -> Result<_, nghedan::error::AppError> {
                Ok(notifications::table
                    .filter(notifications::dedup_key.eq(key))
                    .order(notifications::user_id.asc())
                    .select(notifications::user_id)
                    .load::<i64>(c)?)
            })
            .await
            .unwrap()
    }

    /// The outbox rows about announcement `id`: (channel, user, next_attempt_at, data).
    async fn queued_about(
        &self,
        id: i64,
    ) -> Vec<(String, Option<i64>, chrono::NaiveDateTime, String)> {
        let prefix = format!("announcement:{id}:%");
        self.state
            .db(move |c| -> Result<_, nghedan::error::AppError> {
                Ok(outbox::table
                    .filter(outbox::dedup_key.like(prefix))
                    .order(outbox::id.asc())
                    .select((
                        outbox::channel,
                        outbox::user_id,
                        outbox::next_attempt_at,
                        outbox::data,
                    ))
                    .load(c)?)
            })
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_citizen_follows_at_most_five_known_areas() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    assert_problem(app.get("/api/v1/me/areas").await, 401, "unauthenticated").await;
    let mine = app.get_json(&citizen, "/api/v1/me/areas").await;
    assert_eq!(mine, json!({"area_codes": [], "email": false}));

    let six = json!({"area_codes": ["31135", "92", "01", "79", "48", "31"]});
    let r = app
        .send_json(Method::PUT, "/api/v1/me/areas", &citizen, &six)
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/area_codes");
    assert_eq!(body["errors"][0]["code"], "too_many");

    let unknown = json!({"area_codes": ["31135", "99999"]});
    let r = app
        .send_json(Method::PUT, "/api/v1/me/areas", &citizen, &unknown)
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/area_codes/1");
    assert_eq!(body["errors"][0]["code"], "unknown_area");
    assert_eq!(
        app.get_json(&citizen, "/api/v1/me/areas").await["area_codes"],
        json!([])
    );

    // Duplicates count once; the email choice is kept when left out.
    app.follow_areas(&citizen, &["31135", "92", "31135"], true)
        .await;
    let r = app
        .send_json(
            Method::PUT,
            "/api/v1/me/areas",
            &citizen,
            &json!({"area_codes": ["92", "31135"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"area_codes": ["31135", "92"], "email": true})
    );
    // Another citizen's list is their own.
    let other = app.citizen().await;
    // Erasing the account forgets the areas.
    let (erased_user, erased) = app.token_for(Role::Citizen, None).await;
    app.follow_areas(&erased, &["31135"], true).await;
    assert_eq!(app.erase_account(&erased).await.status(), 204);
    let uid = erased_user.id;
    let left: i64 = app
        .state
        .db(move |c| -> Result<_, nghedan::error::AppError> {
            use nghedan::db::schema::{resident_areas, residents};
            Ok(resident_areas::table
                .filter(resident_areas::user_id.eq(uid))
                .count()
                .get_result::<i64>(c)?
                + residents::table
                    .filter(residents::user_id.eq(uid))
                    .count()
                    .get_result::<i64>(c)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(
        app.get_json(&other, "/api/v1/me/areas").await["area_codes"],
        json!([])
    );
}

#[tokio::test]
async fn an_anonymous_install_follows_areas_and_is_revoked_by_its_token() {
    let app = TestApp::demo().await;
    let register = |token: String, areas: Value| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/anonymous-devices",
                &json!({"platform": "fcm", "token": token, "area_codes": areas}),
            )
            .await
        }
    };
    let r = register("fcm-anon-1".into(), json!([])).await;
    let body = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/area_codes");
    let r = register("fcm-anon-1".into(), json!(["31135"])).await;
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    assert_eq!(made["area_codes"], json!(["31135"]));
    assert_eq!(made["locale"], "vi");
    let token = made["device_token"].as_str().unwrap().to_string();

    let current = |t: &str| {
        app.client
            .get(app.url("/api/v1/anonymous-devices/current"))
            .header("X-Device-Token", t)
            .send()
    };
    let r = current(&token).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["area_codes"],
        json!(["31135"])
    );
    assert_problem(
        current("not-a-token").await.unwrap(),
        404,
        "device_not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/anonymous-devices/current").await,
        401,
        "unauthenticated",
    )
    .await;

    let r = app
        .client
        .put(app.url("/api/v1/anonymous-devices/current"))
        .header("X-Device-Token", &token)
        .json(&json!({"area_codes": ["92", "31135"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["area_codes"],
        json!(["31135", "92"])
    );

    // The same push token registered again gets a new device token; the old one stops.
    let r = register("fcm-anon-1".into(), json!(["92"])).await;
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["id"], made["id"]);
    assert_problem(current(&token).await.unwrap(), 404, "device_not_found").await;
    let token = again["device_token"].as_str().unwrap().to_string();

    let revoke = |t: String| {
        app.client
            .delete(app.url("/api/v1/anonymous-devices/current"))
            .header("X-Device-Token", t)
            .send()
    };
    assert_eq!(revoke(token.clone()).await.unwrap().status(), 204);
    assert_problem(current(&token).await.unwrap(), 404, "device_not_found").await;
    assert_problem(revoke(token).await.unwrap(), 404, "device_not_found").await;

    // Rate limited per client address: 10 an hour (two made above).
    for i in 0..8 {
        let r = register(format!("fcm-anon-extra-{i}"), json!(["31135"])).await;
        assert_eq!(r.status(), 201, "registration {i}");
    }
    let r = register("fcm-anon-over".into(), json!(["31135"])).await;
    assert!(r.headers().get("retry-after").is_some());
    assert_problem(r, 429, "rate_limited").await;
    app.clock.advance(Duration::hours(1) + Duration::seconds(1));
    assert_eq!(
        register("fcm-anon-over".into(), json!(["31135"]))
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn drafts_are_edited_published_and_withdrawn_with_a_reason_in_the_history_and_audit() {
    let app = TestApp::demo().await;
    let official = app.official_of("UBND-X31135").await;
    let draft = app
        .draft_notice(&official, &notice("Phương án đền bù", &["31135"]))
        .await;
    let id = draft["id"].as_i64().unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["version"], 1);
    let path = format!("/api/v1/announcements/{id}");
    assert_problem(app.get(&path).await, 404, "announcement_not_found").await;
    assert!(app.listed_ids("").await.is_empty());

    let mut edited = notice("Phương án bồi thường (sửa)", &["31135"]);
    edited["pinned"] = json!(true);
    let r = app.send_json(Method::PUT, &path, &official, &edited).await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["version"].as_i64(), v["pinned"].as_bool()),
        (Some(2), Some(true))
    );

    let published = app.publish_notice(&official, id).await;
    assert_eq!(published["status"], "published");
    let public = app.public_json(&path).await;
    assert_eq!(public["title"], "Phương án bồi thường (sửa)");
    assert_eq!(app.listed_ids("").await, vec![id]);

    // Public now: no more edits, no second publication.
    let r = app.send_json(Method::PUT, &path, &official, &edited).await;
    assert_problem(r, 409, "invalid_transition").await;
    let r = app
        .authed(Method::POST, &format!("{path}/publish"), &official)
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "invalid_transition").await;

    let withdraw = format!("{path}/withdraw");
    let r = app
        .send_json(Method::POST, &withdraw, &official, &json!({"reason": "  "}))
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/reason");
    let r = app
        .send_json(
            Method::POST,
            &withdraw,
            &official,
            &json!({"reason": "Sai số liệu diện tích."}),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Out of the lists, still readable by its id with the reason.
    assert!(app.listed_ids("").await.is_empty());
    let public = app.public_json(&path).await;
    assert_eq!(public["status"], "withdrawn");
    assert_eq!(public["withdrawal_reason"], "Sai số liệu diện tích.");
    assert_eq!(public["body"], edited["body"]);
    let r = app
        .send_json(
            Method::POST,
            &withdraw,
            &official,
            &json!({"reason": "Lại."}),
        )
        .await;
    assert_problem(r, 409, "invalid_transition").await;

    let history = app.get_json(&official, &format!("{path}/history")).await;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "edited", "published", "withdrawn"]);
    assert_eq!(history["items"][0]["snapshot"]["title"], "Phương án đền bù");
    assert_eq!(history["items"][3]["reason"], "Sai số liệu diện tích.");
    let citizen = app.citizen().await;
    let r = app.get_as(&citizen, &format!("{path}/history")).await;
    assert_problem(r, 403, "action_forbidden").await;

    // Each step is in the hash-chained audit trail, and the chain verifies.
    let admin = app.admin().await;
    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?limit=100")
        .await;
    let target = format!("announcement:{id}");
    let logged: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == target.as_str())
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        logged,
        [
            "announcement.create",
            "announcement.edit",
            "announcement.publish",
            "announcement.withdraw"
        ]
    );
    let verified = app.get_json(&admin, "/api/v1/audit/verify").await;
    assert_eq!(verified["ok"], true, "{verified}");
}

#[tokio::test]
async fn a_unit_announces_only_to_its_own_areas() {
    let app = TestApp::demo().await;
    let commune = app.official_of("UBND-X31135").await;
    let province = app.official_of("UBND-T92").await;
    let neighbour = other_commune(&app).await;

    let r = app
        .send_json(
            Method::POST,
            "/api/v1/announcements",
            &commune,
            &notice("Ngoài địa bàn", &["31135", &neighbour, "01"]),
        )
        .await;
    let body = assert_problem(r, 422, "area_outside_unit").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/area_codes/1", "/area_codes/2"]);
    // The province's committee may address its communes, not another province.
    app.draft_notice(&province, &notice("Toàn tỉnh", &["92", "31135"]))
        .await;
    let r = app
        .send_json(
            Method::POST,
            "/api/v1/announcements",
            &province,
            &notice("Hà Nội", &["01"]),
        )
        .await;
    assert_problem(r, 422, "area_outside_unit").await;

    // Only officials write; another unit's draft does not exist for them, its public one is
    // not theirs to change.
    let citizen = app.citizen().await;
    let r = app
        .send_json(
            Method::POST,
            "/api/v1/announcements",
            &citizen,
            &notice("x", &["31135"]),
        )
        .await;
    assert_problem(r, 403, "action_forbidden").await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let r = app
        .send_json(
            Method::POST,
            "/api/v1/announcements",
            &supervisor,
            &notice("x", &["92"]),
        )
        .await;
    assert_problem(r, 403, "action_forbidden").await;
    let id = app
        .draft_notice(&commune, &notice("Nháp", &["31135"]))
        .await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/announcements/{id}");
    assert_problem(
        app.get_as(&province, &path).await,
        404,
        "announcement_not_found",
    )
    .await;
    let r = app
        .authed(Method::POST, &format!("{path}/publish"), &province)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "announcement_not_found").await;
    app.publish_notice(&commune, id).await;
    let r = app
        .send_json(
            Method::POST,
            &format!("{path}/withdraw"),
            &province,
            &json!({"reason": "Không."}),
        )
        .await;
    assert_problem(r, 403, "action_forbidden").await;

    // Bad input: unknown topic, area, upload; expiry before publication.
    let mut bad = notice("x", &["31135", "99999"]);
    bad["topic"] = json!("weather");
    bad["attachments"] = json!(["no-such-upload"]);
    bad["publish_at"] = json!("2026-12-01T00:00:00Z");
    bad["expires_at"] = json!("2026-11-30T00:00:00Z");
    let r = app
        .send_json(Method::POST, "/api/v1/announcements", &commune, &bad)
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    let codes: HashMap<String, String> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().into(),
                e["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(codes["/topic"], "invalid_value");
    assert_eq!(codes["/area_codes/1"], "unknown_area");
    assert_eq!(codes["/attachments/0"], "unknown_upload");
    assert_eq!(codes["/expires_at"], "before_publish_at");
    let r = app
        .authed(Method::POST, "/api/v1/announcements", &commune)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "malformed_json").await;
}

#[tokio::test]
async fn the_public_lists_by_area_topic_and_words_without_diacritics() {
    let app = TestApp::demo().await;
    let commune = app.official_of("UBND-X31135").await;
    let province = app.official_of("UBND-T92").await;
    let neighbour = other_commune(&app).await;
    let neighbour_official = app.official_of(&format!("UBND-X{neighbour}")).await;

    let mut budget = notice("Dự toán ngân sách 2027", &["92"]);
    budget["topic"] = json!("budget");
    budget["body"] = json!("Công khai dự toán ngân sách tỉnh.");
    let province_id = app.published_notice(&province, &budget).await;
    let commune_id = app
        .published_notice(&commune, &notice("Phương án đền bù đường 30/4", &["31135"]))
        .await;
    let neighbour_id = app
        .published_notice(
            &neighbour_official,
            &notice("Đền bù ở xã bên", &[neighbour.as_str()]),
        )
        .await;
    app.draft_notice(&commune, &notice("Nháp không công khai", &["31135"]))
        .await;
    // Scheduled for tomorrow: not public yet, still editable.
    let mut later = notice("Thông báo ngày mai", &["31135"]);
    later["publish_at"] = json!((app.clock_now_naive() + Duration::days(1)).and_utc());
    let later_id = app.published_notice(&commune, &later).await;
    let v = app
        .get_json(&commune, &format!("/api/v1/announcements/{later_id}"))
        .await;
    assert_eq!(v["status"], "scheduled");
    let r = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/announcements/{later_id}"),
            &commune,
            &later,
        )
        .await;
    assert_eq!(r.status(), 200);

    let mut all = app.listed_ids("").await;
    all.sort();
    assert_eq!(all, vec![province_id, commune_id, neighbour_id]);
    let mut ninh_kieu = app.listed_ids("?area_code=31135").await;
    ninh_kieu.sort();
    assert_eq!(ninh_kieu, vec![province_id, commune_id]);
    assert_eq!(app.listed_ids("?area_code=92").await, vec![province_id]);
    assert_eq!(app.listed_ids("?topic=budget").await, vec![province_id]);
    let mut den_bu = app.listed_ids("?q=DEN%20BU").await;
    den_bu.sort();
    assert_eq!(den_bu, vec![commune_id, neighbour_id]);
    assert_eq!(
        app.listed_ids("?q=ng%C3%A2n%20s%C3%A1ch").await,
        vec![province_id]
    );
    assert_problem(
        app.get("/api/v1/announcements?topic=weather").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/announcements?area_code=99999").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/announcements?limit=0").await,
        422,
        "validation_failed",
    )
    .await;

    // Pages follow each other without repeats.
    let first = app.public_json("/api/v1/announcements?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = app
        .public_json(&format!("/api/v1/announcements?limit=2&after={cursor}"))
        .await;
    assert_eq!(
        first["items"].as_array().unwrap().len() + second["items"].as_array().unwrap().len(),
        3
    );
    assert!(second["next_cursor"].is_null());

    // The unit's own list has every state; only for its officials.
    let own = app
        .get_json(&commune, "/api/v1/announcements?scope=unit")
        .await;
    assert_eq!(own["items"].as_array().unwrap().len(), 3);
    let citizen = app.citizen().await;
    assert_problem(
        app.get_as(&citizen, "/api/v1/announcements?scope=unit")
            .await,
        403,
        "action_forbidden",
    )
    .await;

    // Tomorrow it is public.
    app.clock.advance(Duration::days(1) + Duration::minutes(1));
    assert!(app.listed_ids("?area_code=31135").await.contains(&later_id));
}

#[tokio::test]
async fn the_feed_shows_the_followed_areas_newest_first_with_read_state() {
    let app = TestApp::demo().await;
    let commune = app.official_of("UBND-X31135").await;
    let province = app.official_of("UBND-T92").await;
    let neighbour = other_commune(&app).await;
    let neighbour_official = app.official_of(&format!("UBND-X{neighbour}")).await;
    let citizen = app.citizen().await;
    assert_problem(app.get("/api/v1/me/feed").await, 401, "unauthenticated").await;
    assert_eq!(
        app.get_json(&citizen, "/api/v1/me/feed").await["items"],
        json!([])
    );
    app.follow_areas(&citizen, &["31135"], false).await;

    let first = app
        .published_notice(&province, &notice("Tỉnh", &["92"]))
        .await;
    app.clock.advance(Duration::minutes(2));
    // A consultation of the commune joins the feed between them.
    let asked = app
        .send_json(
            Method::POST,
            "/api/v1/consultations",
            &commune,
            &json!({"title": "Lấy ý kiến", "summary": "Tóm tắt", "body": "Dự thảo",
                "area_codes": ["31135"], "results_visibility": "live",
                "closes_at": (app.clock_now_naive() + Duration::days(5)).and_utc(),
                "questions": [{"code": "agree", "text": "Đồng ý?", "type": "single", "options": ["yes", "no"]}]}),
        )
        .await;
    assert_eq!(asked.status(), 201);
    let asked = asked.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.clock.advance(Duration::minutes(3));
    let second = app
        .published_notice(&commune, &notice("Phường", &["31135"]))
        .await;
    app.published_notice(
        &neighbour_official,
        &notice("Xã bên", &[neighbour.as_str()]),
    )
    .await;
    let feed = app.get_json(&citizen, "/api/v1/me/feed").await;
    let items = feed["items"].as_array().unwrap();
    let entries: Vec<(String, i64)> = items
        .iter()
        .map(|i| {
            let kind = i["kind"].as_str().unwrap().to_string();
            (kind.clone(), i[kind.as_str()]["id"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(
        entries,
        vec![
            ("announcement".to_string(), second),
            ("consultation".to_string(), asked),
            ("announcement".to_string(), first)
        ]
    );
    assert!(items.iter().all(|i| i["read"] == false));
    // Pages follow each other in the same order.
    let page = app.get_json(&citizen, "/api/v1/me/feed?limit=2").await;
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .get_json(&citizen, &format!("/api/v1/me/feed?limit=2&after={cursor}"))
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["announcement"]["id"], first);
    // Answering a consultation marks it read.
    let r = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/consultations/{asked}/response"),
            &citizen,
            &json!({"answers": {"agree": "yes"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(
        app.get_json(&citizen, "/api/v1/me/feed").await["items"][1]["read"],
        true
    );

    let r = app
        .authed(
            Method::PUT,
            &format!("/api/v1/announcements/{second}/read"),
            &citizen,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let feed = app.get_json(&citizen, "/api/v1/me/feed").await;
    assert_eq!(feed["items"][0]["read"], true);
    assert_eq!(feed["items"][2]["read"], false);
    // Reading is personal.
    let other = app.citizen().await;
    app.follow_areas(&other, &["31135"], false).await;
    assert_eq!(
        app.get_json(&other, "/api/v1/me/feed").await["items"][0]["read"],
        false
    );
    let r = app
        .authed(Method::PUT, "/api/v1/announcements/999999/read", &citizen)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "announcement_not_found").await;
}

#[tokio::test]
async fn an_announcements_files_are_public_with_it_and_kept_from_the_purge() {
    let app = TestApp::demo().await;
    let (official_user, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    let _ = official_user;
    let bytes = crate::uploads::phone_jpeg(40, 30, crate::uploads::exif(1));
    let upload = app.uploaded(Some(&official), &bytes).await;
    let mut body = notice("Bản đồ quy hoạch", &["31135"]);
    body["attachments"] = json!([upload]);
    let id = app.draft_notice(&official, &body).await["id"]
        .as_i64()
        .unwrap();
    let file = format!("/api/v1/announcements/{id}/attachments/{upload}");
    assert_problem(app.get(&file).await, 404, "announcement_not_found").await;
    // A citizen's upload is not the official's to attach.
    let citizen = app.citizen().await;
    let theirs = app.uploaded(Some(&citizen), &bytes).await;
    let mut other = notice("x", &["31135"]);
    other["attachments"] = json!([theirs]);
    let r = app
        .send_json(Method::POST, "/api/v1/announcements", &official, &other)
        .await;
    assert_problem(r, 422, "validation_failed").await;

    app.publish_notice(&official, id).await;
    app.clock.advance(Duration::days(2));
    app.run_jobs().await;
    let r = app.get(&file).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(!r.bytes().await.unwrap().is_empty());
    let r = app
        .get(&format!("/api/v1/announcements/{id}/attachments/{theirs}"))
        .await;
    assert_problem(r, 404, "attachment_not_found").await;
}

/// An app whose pushes go to the FCM mock, with `quiet` hours if given.
async fn app_with_fcm(
    fcm: &FcmMock,
    quiet: Option<(&str, &str)>,
) -> (TestApp, tempfile::NamedTempFile) {
    use std::io::Write;
    let mut key = tempfile::NamedTempFile::new().unwrap();
    key.write_all(service_account_json(&fcm.token_uri()).as_bytes())
        .unwrap();
    let (path, base) = (key.path().to_string_lossy().into_owned(), fcm.server.uri());
    let quiet = quiet.map(|(a, b)| (a.to_string(), b.to_string()));
    let app = TestApp::builder()
        .long_tokens()
        .with_settings(move |s| {
            s.push.fcm_service_account_file = Some(path);
            s.push.fcm_api_base = Some(base);
            if let Some((a, b)) = quiet {
                s.notifications.quiet_hours_start = a;
                s.notifications.quiet_hours_end = b;
            }
        })
        .spawn()
        .await;
    app.seed_demo().await;
    (app, key)
}

async fn add_fcm_device(app: &TestApp, token: &str, device: &str) {
    let r = app
        .send_json(
            Method::POST,
            "/api/v1/me/devices",
            token,
            &json!({"platform": "fcm", "token": device}),
        )
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn publication_tells_each_follower_once_by_push_in_app_and_email_if_chosen_in_their_language()
{
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm, None).await;
    let official = app.official_of("UBND-X31135").await;
    let province = app.official_of("UBND-T92").await;
    let (near_user, near) = app.token_for(Role::Citizen, None).await;
    let (english_user, english) = app.token_for(Role::Citizen, None).await;
    let (_, elsewhere) = app.token_for(Role::Citizen, None).await;
    app.follow_areas(&near, &["31135", "92"], true).await;
    app.follow_areas(&english, &["92"], false).await;
    app.follow_areas(&elsewhere, &["01"], true).await;
    let r = app
        .send_json(
            Method::PATCH,
            "/api/v1/me",
            &english,
            &json!({"locale": "en"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    add_fcm_device(&app, &near, "fcm-near").await;
    add_fcm_device(&app, &english, "fcm-english").await;
    add_fcm_device(&app, &elsewhere, "fcm-elsewhere").await;
    let anon = app
        .post_json(
            "/api/v1/anonymous-devices",
            &json!({"platform": "fcm", "token": "fcm-anon", "area_codes": ["31135"], "locale": "en"}),
        )
        .await;
    assert_eq!(anon.status(), 201);

    // Publishing answers at once; nobody is told inside the request.
    let id = app
        .published_notice(&official, &notice("Phương án đền bù", &["31135"]))
        .await;
    assert!(app.told_in_app(id).await.is_empty());
    let pass = app.run_jobs().await;
    assert_eq!((pass.announced.people, pass.announced.devices), (1, 1));
    app.run_jobs().await;
    assert_eq!(app.told_in_app(id).await, vec![near_user.id]);
    let mails = app.mails_to(&near_user.email).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("Phương án đền bù"),
        "{}",
        mails[0].subject
    );
    let sent = fcm.requests(SEND_PATH).await;
    let to: Vec<String> = sent
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["message"]["token"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(to.len(), 2, "{to:?}");
    assert!(to.contains(&"fcm-near".to_string()) && to.contains(&"fcm-anon".to_string()));

    // A province-wide notice reaches the province's followers and its communes' followers,
    // each once, in their language; email only to who chose it.
    let whole = app
        .published_notice(&province, &notice("Thông báo toàn tỉnh", &["92", "31135"]))
        .await;
    app.run_jobs().await;
    app.run_jobs().await;
    let mut told = app.told_in_app(whole).await;
    told.sort();
    let mut expected = vec![near_user.id, english_user.id];
    expected.sort();
    assert_eq!(told, expected);
    assert!(app.mails_to(&english_user.email).await.is_empty());
    let english_notes = app.get_json(&english, "/api/v1/me/notifications").await;
    assert_eq!(english_notes["items"][0]["event"], "announcement_published");
    let pushes: Vec<Value> = fcm
        .requests(SEND_PATH)
        .await
        .iter()
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap()["message"].clone())
        .collect();
    assert_eq!(
        pushes.len(),
        5,
        "2 then near, english and the anonymous install"
    );
    let english_push = pushes.iter().find(|p| p["token"] == "fcm-english").unwrap();
    assert!(
        english_push.to_string().contains("Notice from"),
        "{english_push}"
    );
    assert!(!pushes.iter().any(|p| p["token"] == "fcm-elsewhere"));
}

#[tokio::test]
async fn the_fan_out_resumes_after_a_stop_and_tells_each_person_exactly_once() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm, None).await;
    let official = app.official_of("UBND-X31135").await;
    let mut people = Vec::new();
    for i in 0..11 {
        let (user, token) = app.token_for(Role::Citizen, None).await;
        app.follow_areas(&token, &["31135"], false).await;
        add_fcm_device(&app, &token, &format!("fcm-resident-{i}")).await;
        people.push(user.id);
    }
    let id = app
        .published_notice(&official, &notice("Khẩn: cắt điện", &["31135"]))
        .await;

    // A worker tells two batches of three, then stops (the process dies).
    let now = app.clock_now_naive();
    let delivery = app.state.delivery(nghedan::clock::Clock::now(&*app.clock));
    let done = app
        .state
        .db(move |c| nghedan::workflow::announcements::fan_out(c, &delivery, 3, 2, now))
        .await
        .unwrap();
    assert_eq!((done.people, done.finished), (6, 0));
    assert_eq!(app.told_in_app(id).await.len(), 6);

    // A crash between a batch's messages and its position cannot happen (one transaction);
    // the worst case, a position lost so the batch is redone, writes nothing twice.
    app.state
        .db(move |c| -> Result<_, nghedan::error::AppError> {
            diesel::update(announcement_fanouts::table.find(id))
                .set(announcement_fanouts::after_user_id.eq(people_before(c, id)?))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();

    // The next passes resume and finish.
    app.run_jobs().await;
    app.run_jobs().await;
    let mut told = app.told_in_app(id).await;
    told.sort();
    assert_eq!(told, people);
    let queued = app.queued_about(id).await;
    let pushes = queued.iter().filter(|q| q.0 == "push").count();
    assert_eq!(pushes, 11);
    let sent = fcm.requests(SEND_PATH).await;
    assert_eq!(sent.len(), 11);
    let mut tokens: Vec<String> = sent
        .iter()
        .map(|r| {
            serde_json::from_slice::<Value>(&r.body).unwrap()["message"]["token"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 11, "each device once");
    let f = app
        .state
        .db(move |c| nghedan::db::announcements::fanout(c, id))
        .await
        .unwrap()
        .unwrap();
    assert!(f.finished_at.is_some());
    assert_eq!(
        f.users_told,
        11 + 3,
        "the redone batch is counted, not re-sent"
    );
}

/// Rewinds a fan-out's position by one batch of three, as if its last commit were lost.
fn people_before(c: &mut nghedan::db::DbConn, id: i64) -> Result<i64, nghedan::error::AppError> {
    let f = nghedan::db::announcements::fanout(c, id)?.unwrap();
    let earlier = nghedan::db::announcements::followers(c, id, 0, 3)?;
    assert!(f.after_user_id > *earlier.last().unwrap());
    Ok(*earlier.last().unwrap())
}

#[tokio::test]
async fn quiet_hours_hold_announcement_pushes_except_emergencies() {
    let fcm = FcmMock::start().await;
    // The test clock starts at 09:00 in Vietnam: quiet the whole morning.
    let (app, _key) = app_with_fcm(&fcm, Some(("08:00", "12:00"))).await;
    let official = app.official_of("UBND-X31135").await;
    let (_, citizen) = app.token_for(Role::Citizen, None).await;
    app.follow_areas(&citizen, &["31135"], false).await;
    add_fcm_device(&app, &citizen, "fcm-sleeper").await;

    let ordinary = app
        .published_notice(&official, &notice("Lịch họp dân", &["31135"]))
        .await;
    let mut urgent = notice("Sạt lở bờ sông: sơ tán ngay", &["31135"]);
    urgent["topic"] = json!("emergency");
    let emergency = app.published_notice(&official, &urgent).await;
    app.run_jobs().await;

    let now = app.clock_now_naive();
    let held = app.queued_about(ordinary).await;
    assert_eq!(held.len(), 1);
    assert!(held[0].2 > now, "held until the end of quiet hours");
    let at_once = app.queued_about(emergency).await;
    assert_eq!(at_once.len(), 1);
    assert!(at_once[0].2 <= now);
    let sent = fcm.requests(SEND_PATH).await;
    assert_eq!(sent.len(), 1, "only the emergency went");
    assert!(String::from_utf8_lossy(&sent[0].body).contains("KHẨN CẤP"));
    // Both are in the app at once.
    assert_eq!(app.told_in_app(ordinary).await.len(), 1);
    assert_eq!(app.told_in_app(emergency).await.len(), 1);

    // After quiet hours the held push goes.
    app.clock.advance(Duration::hours(4));
    app.run_jobs().await;
    assert_eq!(fcm.requests(SEND_PATH).await.len(), 2);
}

#[tokio::test]
async fn an_anonymous_install_the_push_service_calls_gone_is_forgotten() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm, None).await;
    let official = app.official_of("UBND-X31135").await;
    let r = app
        .post_json(
            "/api/v1/anonymous-devices",
            &json!({"platform": "fcm", "token": "uninstalled", "area_codes": ["31135"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let token = r.json::<Value>().await.unwrap()["device_token"]
        .as_str()
        .unwrap()
        .to_string();
    let id = app
        .published_notice(&official, &notice("Lịch tiêm chủng", &["31135"]))
        .await;
    let pass = app.run_jobs().await;
    assert_eq!(pass.announced.devices, 1);
    assert_eq!(pass.delivered.dead, 1);
    assert_eq!(app.queued_about(id).await.len(), 1);
    let r = app
        .client
        .get(app.url("/api/v1/anonymous-devices/current"))
        .header("X-Device-Token", &token)
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "device_not_found").await;
}

#[tokio::test]
async fn two_workers_fanning_out_at_once_tell_each_person_once() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let mut people = Vec::new();
    for _ in 0..9 {
        let (user, token) = app.token_for(Role::Citizen, None).await;
        app.follow_areas(&token, &["31135"], false).await;
        people.push(user.id);
    }
    let id = app
        .published_notice(&official, &notice("Họp tổ dân phố", &["31135"]))
        .await;
    let now = app.clock_now_naive();
    let delivery = app.state.delivery(nghedan::clock::Clock::now(&*app.clock));
    let worker = |delivery: nghedan::notify::recipients::Delivery| {
        let state = app.state.clone();
        tokio::spawn(async move {
            state
                .db(move |c| nghedan::workflow::announcements::fan_out(c, &delivery, 2, 100, now))
                .await
                .unwrap()
        })
    };
    let (a, b) = (worker(delivery.clone()), worker(delivery));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert_eq!(a.people + b.people, 9, "{a:?} {b:?}");
    assert_eq!(a.finished + b.finished, 1);
    let mut told = app.told_in_app(id).await;
    told.sort();
    assert_eq!(told, people);
    let f = app
        .state
        .db(move |c| nghedan::db::announcements::fanout(c, id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.users_told, 9);
}
