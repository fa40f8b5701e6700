//! Citizen reception: the register (every outcome; a visit received as an in-person ticket
//! through the desk's submission, linked both ways, with its receipt), identity numbers kept
//! out of every view, who reads and who writes the register, and its audit entries.

use nghedan::domain::account::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::fixtures::clock;
use crate::helpers::{TestApp, assert_problem};

/// A visitor's identity number (CCCD): it must never come back whole.
const ID_NUMBER: &str = "092085001234";

/// An official of `unit_code`: (user id, token).
async fn official(app: &TestApp, unit_code: &str) -> (i64, String) {
    let (u, t) = app.staff_of(Role::Official, unit_code).await;
    (u.id, t)
}

/// A guided visit of one person received by `host` at `at`.
fn guided(host: i64, at: &str) -> Value {
    json!({
        "received_at": at,
        "place": "Phòng tiếp công dân, UBND Phường Ninh Kiều",
        "received_by": [host],
        "kind": "regular",
        "visitors": [{"name": "Trần Văn Bình", "id_number": ID_NUMBER, "phone": "0912 345 678",
            "address": "Số 3 ngõ 7, Ninh Kiều"}],
        "summary": "Hỏi thủ tục cấp lại giấy chứng nhận quyền sử dụng đất.",
        "outcome": "guided",
        "outcome_note": "Hướng dẫn nộp hồ sơ tại bộ phận một cửa."
    })
}

/// The petition a visit is received as (the submitter comes from the visitor).
fn petition_ticket() -> Value {
    json!({"kind": "petition", "category": "thu-tuc-hanh-chinh",
        "title": "Kéo dài giờ làm việc bộ phận một cửa",
        "description": "Đề nghị làm việc sáng thứ Bảy.", "area_code": "31135"})
}

async fn post(app: &TestApp, token: &str, body: &Value, key: Option<&str>) -> Response {
    let mut r = app
        .authed(Method::POST, "/api/v1/receptions", token)
        .json(body);
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    r.send().await.unwrap()
}

async fn created(app: &TestApp, token: &str, body: &Value) -> Value {
    let r = post(app, token, body, None).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    assert!(
        !text.contains(ID_NUMBER),
        "the identity number came back: {text}"
    );
    serde_json::from_str(&text).unwrap()
}

/// The field pointers of a 422.
async fn invalid_fields(r: Response) -> Vec<(String, String)> {
    let p = assert_problem(r, 422, "validation_failed").await;
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

#[tokio::test]
async fn a_visit_received_as_a_ticket_is_an_in_person_ticket_linked_both_ways() {
    let app = TestApp::demo().await;
    let (host, token) = official(&app, "UBND-X31135").await;
    let tickets_before = app.ticket_count().await;
    let mut body = guided(host, "2026-11-23T01:30:00Z");
    body["outcome"] = json!("received_as_ticket");
    body["ticket"] = petition_ticket();
    let r = post(&app, &token, &body, Some("reception-key-0001")).await;
    assert_eq!(r.status(), 201);
    let text = r.text().await.unwrap();
    assert!(!text.contains(ID_NUMBER));
    let rec: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rec["outcome"], "received_as_ticket");
    assert_eq!(rec["unit"]["code"], "UBND-X31135");
    assert_eq!(rec["visitor_count"], 1);
    assert_eq!(rec["received_by"], json!([host]));
    assert_eq!(rec["visitors"][0]["id_number"], "•••••••••234");
    assert_eq!(rec["visitors"][0]["phone"], "+84912345678");
    let code = rec["ticket_code"].as_str().unwrap().to_string();
    let secret = rec["tracking_secret"].as_str().unwrap().to_string();
    assert_eq!(app.ticket_count().await, tickets_before + 1);

    // The desk's ticket: in person, from the visitor, with the in-person acceptance rule.
    let t = app.ticket(&token, &code).await;
    assert_eq!(t["channel"], "in_person");
    assert_eq!(t["kind"], "petition");
    assert_eq!(t["submitter"]["name"], "Trần Văn Bình");
    assert_eq!(t["submitter"]["phone"], "+84912345678");
    let accept = clock(&t, "accept");
    assert_eq!(accept["counting"], "working_days");
    assert_eq!(accept["days"], 10);
    // The ticket names the reception on its (internal) timeline.
    let events = app.timeline(&token, &code).await;
    let link = events
        .iter()
        .find(|e| e["kind"] == "received_at_reception")
        .unwrap_or_else(|| panic!("no link in {events:?}"));
    assert_eq!(link["data"]["reception_id"], rec["id"]);
    assert_eq!(link["public"], false);
    // The receipt's secret lets the visitor follow the ticket without an account.
    let r = app
        .with_secret(Method::GET, &format!("/api/v1/tickets/{code}"), &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let public_view = r.text().await.unwrap();
    assert!(!public_view.contains("received_at_reception"));

    // A retry: the same reception and ticket, a fresh secret that replaces the first.
    let again = post(&app, &token, &body, Some("reception-key-0001")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["Idempotent-Replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], rec["id"]);
    assert_eq!(again["ticket_code"], rec["ticket_code"]);
    let fresh = again["tracking_secret"].as_str().unwrap();
    assert_ne!(fresh, secret);
    assert_eq!(app.ticket_count().await, tickets_before + 1);
    let old = app
        .with_secret(Method::GET, &format!("/api/v1/tickets/{code}"), &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 404);
    // The reception reads back with the ticket; the trail has the entry (no personal data).
    let one = app
        .get_json(&token, &format!("/api/v1/receptions/{}", rec["id"]))
        .await;
    assert_eq!(one["ticket_code"], code.as_str());
    let entries = app
        .state
        .db(|c| nghedan::db::audit::admin_entries(c, None, 1000))
        .await
        .unwrap();
    let entry = entries
        .iter()
        .find(|e| e.target == format!("reception:{}", rec["id"]))
        .expect("audit entry");
    assert_eq!(entry.action, "reception.record");
    assert_eq!(entry.actor_id, Some(host));
    assert!(entry.data.contains("received_as_ticket"));
    assert!(!entry.data.contains("Bình") && !entry.data.contains("234"));
    let verify = app
        .get_json(&app.admin().await, "/api/v1/audit/verify")
        .await;
    assert_eq!(verify["ok"], true, "{verify}");
}

#[tokio::test]
async fn every_outcome_has_its_own_facts_and_refuses_the_others() {
    let app = TestApp::demo().await;
    let (host, token) = official(&app, "UBND-X31135").await;
    let at = "2026-11-23T01:30:00Z";
    let construction = app.unit_id("SXD-92").await;
    let own = app.unit_id("UBND-X31135").await;

    // Referred: names the competent unit, never the unit itself.
    let mut referred = guided(host, at);
    referred["outcome"] = json!("referred");
    assert_eq!(
        invalid_fields(post(&app, &token, &referred, None).await).await,
        vec![("/referred_unit_id".into(), "required".into())]
    );
    referred["referred_unit_id"] = json!(own);
    assert_eq!(
        invalid_fields(post(&app, &token, &referred, None).await).await,
        vec![("/referred_unit_id".into(), "own_unit".into())]
    );
    referred["referred_unit_id"] = json!(construction);
    let r = created(&app, &token, &referred).await;
    assert_eq!(r["referred_unit"]["code"], "SXD-92");
    assert!(r["ticket_code"].is_null());

    // Refused: a ground from the fixed list; `other_by_law` says which law.
    let mut refused = guided(host, at);
    refused["outcome"] = json!("refused");
    assert_eq!(
        invalid_fields(post(&app, &token, &refused, None).await).await,
        vec![("/refusal_ground".into(), "required".into())]
    );
    refused["refusal_ground"] = json!("drunk_and_loud");
    assert_problem(
        post(&app, &token, &refused, None).await,
        422,
        "validation_failed",
    )
    .await;
    refused["refusal_ground"] = json!("other_by_law");
    refused.as_object_mut().unwrap().remove("outcome_note");
    assert_eq!(
        invalid_fields(post(&app, &token, &refused, None).await).await,
        vec![("/outcome_note".into(), "required".into())]
    );
    refused["refusal_ground"] = json!("repeated_after_final_answer");
    let r = created(&app, &token, &refused).await;
    assert_eq!(r["refusal_ground"], "repeated_after_final_answer");

    // Guided: nothing of the other outcomes.
    let mut mixed = guided(host, at);
    mixed["ticket"] = petition_ticket();
    mixed["refusal_ground"] = json!("intoxicated");
    mixed["referred_unit_id"] = json!(construction);
    mixed["documents"] = json!(["some-upload"]);
    let mut got = invalid_fields(post(&app, &token, &mixed, None).await).await;
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/documents".into(), "received_as_ticket_only".into()),
            ("/referred_unit_id".into(), "referred_only".into()),
            ("/refusal_ground".into(), "refused_only".into()),
            ("/ticket".into(), "received_as_ticket_only".into()),
        ]
    );

    // Received as a ticket: the ticket is required and checked as a submission is, its
    // problems named under /ticket; a ticket of another channel is refused.
    let mut as_ticket = guided(host, at);
    as_ticket["outcome"] = json!("received_as_ticket");
    assert_eq!(
        invalid_fields(post(&app, &token, &as_ticket, None).await).await,
        vec![("/ticket".into(), "required".into())]
    );
    let mut t = petition_ticket();
    t["category"] = json!("no-such-category");
    as_ticket["ticket"] = t;
    assert_eq!(
        invalid_fields(post(&app, &token, &as_ticket, None).await).await,
        vec![("/ticket/category".into(), "unknown_category".into())]
    );
    let mut t = petition_ticket();
    t["channel"] = json!("post");
    as_ticket["ticket"] = t;
    assert_eq!(
        invalid_fields(post(&app, &token, &as_ticket, None).await).await,
        vec![("/ticket/channel".into(), "in_person_only".into())]
    );

    // The people: a valid identity number, a crowd of five or more with 1–5 representatives,
    // hosts of the unit, a visit not in the future.
    let mut bad = guided(host, "2026-11-24T01:30:00Z");
    bad["visitors"][0]["id_number"] = json!("12345");
    bad["group"] = json!({"size": 3, "representatives": 2});
    let (other_host, _) = official(&app, "SXD-92").await;
    bad["received_by"] = json!([host, other_host]);
    let mut got = invalid_fields(post(&app, &token, &bad, None).await).await;
    got.sort();
    assert_eq!(
        got,
        vec![
            ("/group/representatives".into(), "out_of_range".into()),
            ("/group/size".into(), "out_of_range".into()),
            ("/received_at".into(), "in_the_future".into()),
            ("/visitors/0/id_number".into(), "invalid_id_number".into()),
        ]
    );
    let mut hosts = guided(host, at);
    hosts["received_by"] = json!([host, other_host]);
    assert_eq!(
        invalid_fields(post(&app, &token, &hosts, None).await).await,
        vec![("/received_by/1".into(), "not_of_unit".into())]
    );
    let mut unknown = guided(host, at);
    unknown["visitors"][0]["passport"] = json!("B1234567");
    assert_problem(
        post(&app, &token, &unknown, None).await,
        422,
        "validation_failed",
    )
    .await;

    // A crowd counts its size.
    let mut crowd = guided(host, at);
    crowd["group"] = json!({"size": 23, "representatives": 1});
    let r = created(&app, &token, &crowd).await;
    assert_eq!(r["visitor_count"], 23);
    assert_eq!(r["group"], json!({"size": 23, "representatives": 1}));
    // Nothing refused was written: the referral, the refusal and the crowd only.
    let list = app.get_json(&token, "/api/v1/receptions").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn the_register_is_the_units_and_its_supervisors_never_the_public() {
    let app = TestApp::demo().await;
    let (host, token) = official(&app, "UBND-X31135").await;
    let a = created(&app, &token, &guided(host, "2026-11-20T02:00:00Z")).await;
    let mut head_day = guided(host, "2026-11-21T02:00:00Z");
    head_day["kind"] = json!("head_day");
    head_day["visitors"][0]["id_number"] = json!("079 190 000 555");
    let b = created(&app, &token, &head_day).await;

    // The unit: latest first, with the visitors, filtered and paged.
    let list = app.get_json(&token, "/api/v1/receptions").await;
    let ids: Vec<&Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(ids, vec![&b["id"], &a["id"]]);
    assert_eq!(list["items"][0]["visitors"][0]["id_number"], "•••••••••555");
    let page = app.get_json(&token, "/api/v1/receptions?limit=1").await;
    assert_eq!(page["items"][0]["id"], b["id"]);
    let next = page["next_cursor"].as_str().unwrap();
    let page2 = app
        .get_json(&token, &format!("/api/v1/receptions?limit=1&after={next}"))
        .await;
    assert_eq!(page2["items"][0]["id"], a["id"]);
    assert!(page2["next_cursor"].is_null());
    let only = |q: &str| {
        let app = &app;
        let token = &token;
        let q = q.to_string();
        async move {
            let l = app
                .get_json(token, &format!("/api/v1/receptions?{q}"))
                .await;
            l["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only("kind=head_day").await, vec![b["id"].clone()]);
    assert_eq!(
        only("outcome=guided&to=2026-11-20").await,
        vec![a["id"].clone()]
    );
    assert_eq!(only("from=2026-11-21").await, vec![b["id"].clone()]);
    assert_eq!(only("outcome=refused").await, Vec::<Value>::new());
    // A person's earlier visits, by the identity number (however typed).
    assert_eq!(
        only("id_number=092.085.001.234").await,
        vec![a["id"].clone()]
    );
    assert_problem(
        app.get_as(&token, "/api/v1/receptions?id_number=12").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as(&token, "/api/v1/receptions?from=2026-11-22&to=2026-11-21")
            .await,
        422,
        "validation_failed",
    )
    .await;

    // Its supervisors read the receptions without the people, and write nothing.
    let supervisor = app.supervisor_of("UBND-X31135").await;
    let seen = app.get_json(&supervisor, "/api/v1/receptions").await;
    let seen_text = seen.to_string();
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);
    assert!(seen["items"][0]["visitors"].is_null());
    assert!(!seen_text.contains("Bình") && !seen_text.contains("912345678"));
    assert_problem(
        app.get_as(&supervisor, "/api/v1/receptions?id_number=092085001234")
            .await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        post(
            &app,
            &supervisor,
            &guided(host, "2026-11-20T02:00:00Z"),
            None,
        )
        .await,
        403,
        "action_forbidden",
    )
    .await;
    let province_board = app.supervisor_of("UBND-T92").await;
    let seen = app.get_json(&province_board, "/api/v1/receptions").await;
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);

    // Another unit, its supervisor, a citizen, nobody: nothing.
    let (other_host, other) = official(&app, "SXD-92").await;
    let l = app.get_json(&other, "/api/v1/receptions").await;
    assert_eq!(l["items"], json!([]));
    assert_problem(
        app.get_as(&other, &format!("/api/v1/receptions/{}", a["id"]))
            .await,
        404,
        "reception_not_found",
    )
    .await;
    // Hosts of another unit cannot be named, and what they record is their unit's.
    let mine = created(&app, &other, &guided(other_host, "2026-11-20T03:00:00Z")).await;
    assert_eq!(mine["unit"]["code"], "SXD-92");
    assert_problem(
        app.get_as(&token, &format!("/api/v1/receptions/{}", mine["id"]))
            .await,
        404,
        "reception_not_found",
    )
    .await;
    let other_board = app.supervisor_of("SXD-92").await;
    let l = app.get_json(&other_board, "/api/v1/receptions").await;
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let citizen = app.citizen().await;
    assert_problem(
        app.get_as(&citizen, "/api/v1/receptions").await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        post(&app, &citizen, &guided(host, "2026-11-20T02:00:00Z"), None).await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(app.get("/api/v1/receptions").await, 401, "unauthenticated").await;
    let r = app
        .post_json("/api/v1/receptions", &guided(host, "2026-11-20T02:00:00Z"))
        .await;
    assert_eq!(r.status(), 401);
}
