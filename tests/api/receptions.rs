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

/// A reception of `unit`'s official `host` at `at` (UTC), of `kind`, `visitors` people (a
/// crowd when more than 4), ending `outcome`.
fn visit(host: i64, at: &str, kind: &str, visitors: i32, outcome: &str, other: i64) -> Value {
    let mut b = guided(host, at);
    b["kind"] = json!(kind);
    if visitors > 4 {
        b["group"] = json!({"size": visitors, "representatives": 1});
    } else {
        let people: Vec<Value> = (0..visitors)
            .map(|i| json!({"name": format!("Người dân {i}")}))
            .collect();
        b["visitors"] = json!(people);
    }
    b["outcome"] = json!(outcome);
    match outcome {
        "referred" => b["referred_unit_id"] = json!(other),
        "refused" => b["refusal_ground"] = json!("disorderly"),
        "received_as_ticket" => b["ticket"] = petition_ticket(),
        _ => {}
    }
    b
}

#[tokio::test]
async fn the_report_counts_a_hand_computed_register_against_the_year_before() {
    let app = TestApp::demo().await;
    let (a_host, a) = official(&app, "UBND-X31135").await;
    let (b_host, b) = official(&app, "SXD-92").await;
    let (a_id, b_id) = (
        app.unit_id("UBND-X31135").await,
        app.unit_id("SXD-92").await,
    );
    // The period 1 October – 22 November 2026 (local), and a year before.
    let register = [
        // Unit A, this period.
        (&a, a_host, "2026-10-05T02:00:00Z", "head_day", 1, "guided"),
        (
            &a,
            a_host,
            "2026-10-05T03:00:00Z",
            "head_day",
            1,
            "referred",
        ),
        (&a, a_host, "2026-11-02T02:00:00Z", "regular", 12, "refused"),
        (&a, a_host, "2026-11-10T02:00:00Z", "head_day", 2, "guided"),
        // 00:00 on 1 October, local: in; a second earlier: out.
        (&a, a_host, "2026-09-30T17:00:00Z", "regular", 1, "guided"),
        (&a, a_host, "2026-09-30T16:59:59Z", "regular", 1, "guided"),
        // Unit B, this period.
        (
            &b,
            b_host,
            "2026-11-15T02:00:00Z",
            "unscheduled",
            1,
            "received_as_ticket",
        ),
        // Unit A, a year before.
        (&a, a_host, "2025-10-20T02:00:00Z", "regular", 1, "guided"),
        (&a, a_host, "2025-11-03T02:00:00Z", "head_day", 1, "guided"),
        (&a, a_host, "2025-11-03T04:00:00Z", "regular", 3, "guided"),
        // After the previous period (23 November 2025): out.
        (&a, a_host, "2025-11-23T02:00:00Z", "head_day", 1, "guided"),
    ];
    for (token, host, at, kind, people, outcome) in register {
        created(&app, token, &visit(host, at, kind, people, outcome, b_id)).await;
    }
    let board = app.supervisor_of("UBND-T92").await;
    let path = "/api/v1/reports/receptions?from=2026-10-01&to=2026-11-22";
    let r = app.get_json(&board, path).await;
    assert_eq!(
        r["period"],
        json!({"from": "2026-10-01", "to": "2026-11-22"})
    );
    assert_eq!(
        r["previous_period"],
        json!({"from": "2025-10-01", "to": "2025-11-22"})
    );
    // By hand: A has 5 visits (17 people: 1+1+12+2+1), one crowd, heads' days on 5 Oct and
    // 10 Nov; a year before 3 visits (5 people), one head's day. B: 1 visit, none before.
    let t = &r["totals"];
    assert_eq!(t["visits"], 6);
    assert_eq!(t["visitors"], 18);
    assert_eq!(t["crowd_receptions"], 1);
    assert_eq!(t["head_days_held"], 2);
    assert_eq!(
        t["outcomes"],
        json!({"guided": 3, "received_as_ticket": 1, "referred": 1, "refused": 1})
    );
    assert_eq!(t["previous"]["visits"], 3);
    assert_eq!(t["previous"]["visitors"], 5);
    assert_eq!(t["previous"]["head_days_held"], 1);
    assert_eq!(
        t["change_pct"],
        json!({"visits": 100.0, "visitors": 260.0, "crowd_receptions": null, "head_days_held": 100.0})
    );
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    let ga = groups
        .iter()
        .find(|g| g["key"] == json!(a_id.to_string()))
        .unwrap();
    assert_eq!(ga["label"], "Ủy ban nhân dân Phường Ninh Kiều");
    assert_eq!(
        (ga["visits"].as_i64(), ga["visitors"].as_i64()),
        (Some(5), Some(17))
    );
    assert_eq!(
        ga["change_pct"],
        json!({"visits": 66.7, "visitors": 240.0, "crowd_receptions": null, "head_days_held": 100.0})
    );
    let gb = groups
        .iter()
        .find(|g| g["key"] == json!(b_id.to_string()))
        .unwrap();
    assert_eq!(gb["visits"], 1);
    assert_eq!(gb["previous"]["visits"], 0);
    assert!(gb["change_pct"]["visits"].is_null());

    // By month: October 3 visits (3 people, a head's day) against October 2025's 1; November
    // 3 visits (15 people) against 2 (4 people).
    let m = app
        .get_json(&board, &format!("{path}&group_by=month"))
        .await;
    let months: Vec<(&str, i64, i64, i64, i64)> = m["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap(),
                g["visits"].as_i64().unwrap(),
                g["visitors"].as_i64().unwrap(),
                g["previous"]["visits"].as_i64().unwrap(),
                g["previous"]["visitors"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![("2026-10", 3, 3, 1, 1), ("2026-11", 3, 15, 2, 4)]
    );
    assert_eq!(m["groups"][1]["change_pct"]["visitors"], 275.0);
    assert_eq!(m["groups"][1]["change_pct"]["head_days_held"], 0.0);

    // CSV: a byte-order mark, the header, a row per group and the totals.
    let res = app.get_as(&board, &format!("{path}&format=csv")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "BOM");
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[0].starts_with("group_by,key,label,visits,visitors,crowd_receptions,head_days_held,")
    );
    assert_eq!(
        lines[3],
        "total,total,Tổng cộng,6,18,1,2,3,1,1,1,3,5,0,1,100.0,260.0,,100.0"
    );

    // The unit reads its own; its supervisor too; not a unit outside; citizens nothing.
    let own = app.get_json(&a, path).await;
    assert_eq!(own["totals"]["visits"], 5);
    let commune_board = app.supervisor_of("UBND-X31135").await;
    let own = app.get_json(&commune_board, path).await;
    assert_eq!(own["totals"]["visits"], 5);
    assert_problem(
        app.get_as(&commune_board, &format!("{path}&unit_id={b_id}"))
            .await,
        403,
        "report_scope_forbidden",
    )
    .await;
    let only_b = app
        .get_json(&board, &format!("{path}&unit_id={b_id}"))
        .await;
    assert_eq!(only_b["totals"]["visits"], 1);
    let citizen = app.citizen().await;
    assert_problem(app.get_as(&citizen, path).await, 403, "action_forbidden").await;
    assert_problem(
        app.get_as(&board, "/api/v1/reports/receptions?group_by=kind")
            .await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_inbox_and_the_ticket_reports_filter_by_channel() {
    let app = TestApp::builder().long_tokens().demo().await;
    let (host, token) = official(&app, "UBND-X31135").await;
    let citizen = app.citizen().await;
    let from_app = app
        .submit_ok(Some(&citizen), &crate::fixtures::petition())
        .await;
    let mut body = guided(host, "2026-11-23T01:30:00Z");
    body["outcome"] = json!("received_as_ticket");
    body["ticket"] = petition_ticket();
    let in_person = created(&app, &token, &body).await["ticket_code"].clone();
    let codes = |list: &Value| -> Vec<Value> {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["code"].clone())
            .collect()
    };
    let all = app.get_json(&token, "/api/v1/inbox").await;
    assert_eq!(codes(&all).len(), 2);
    let only = app
        .get_json(&token, "/api/v1/inbox?channel=in_person")
        .await;
    assert_eq!(codes(&only), vec![in_person.clone()]);
    let only = app.get_json(&token, "/api/v1/inbox?channel=app").await;
    assert_eq!(codes(&only), vec![from_app["code"].clone()]);
    assert_problem(
        app.get_as(&token, "/api/v1/inbox?channel=pigeon").await,
        422,
        "validation_failed",
    )
    .await;
    let board = app.supervisor_of("UBND-X31135").await;
    let path = "/api/v1/reports/response-times?from=2026-11-01&to=2026-11-30";
    let r = app.get_json(&board, path).await;
    assert_eq!(r["totals"]["received"], 2);
    let r = app
        .get_json(&board, &format!("{path}&channel=in_person"))
        .await;
    assert_eq!(r["totals"]["received"], 1);
    let r = app.get_json(&board, &format!("{path}&channel=post")).await;
    assert_eq!(r["totals"]["received"], 0);
    // Forty days on, both are late; the overdue list filters too.
    app.clock.advance(chrono::Duration::days(40));
    let late = app.get_json(&board, "/api/v1/reports/overdue").await;
    assert_eq!(codes(&late).len(), 2);
    let late = app
        .get_json(&board, "/api/v1/reports/overdue?channel=in_person")
        .await;
    assert_eq!(codes(&late), vec![in_person]);
}

#[tokio::test]
async fn every_reception_and_dialogue_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    for (path, method, tag) in [
        ("/api/v1/receptions", "post", "receptions"),
        ("/api/v1/receptions", "get", "receptions"),
        ("/api/v1/receptions/{id}", "get", "receptions"),
        ("/api/v1/reports/receptions", "get", "receptions"),
        ("/api/v1/units/{id}/reception-days", "post", "receptions"),
        ("/api/v1/reception-days", "get", "receptions"),
        ("/api/v1/reception-days/{id}/bookings", "post", "receptions"),
        ("/api/v1/reception-days/{id}/bookings", "get", "receptions"),
        ("/api/v1/reception-bookings/{id}", "delete", "receptions"),
        ("/api/v1/dialogues", "post", "dialogues"),
        ("/api/v1/dialogues", "get", "dialogues"),
        ("/api/v1/dialogues/{id}", "get", "dialogues"),
        ("/api/v1/dialogues/{id}/questions", "post", "dialogues"),
        ("/api/v1/dialogues/{id}/questions", "get", "dialogues"),
        (
            "/api/v1/dialogues/{id}/questions/{qid}/support",
            "post",
            "dialogues",
        ),
        (
            "/api/v1/dialogues/{id}/questions/{qid}/answer",
            "post",
            "dialogues",
        ),
        ("/api/v1/dialogues/{id}/minutes", "post", "dialogues"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["tags"][0], tag, "{method} {path}");
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/reports/receptions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        params,
        vec![
            "from",
            "to",
            "unit_id",
            "include_subunits",
            "group_by",
            "format"
        ]
    );
    for schema in [
        "ReceptionView",
        "ReceptionReport",
        "DayView",
        "DialogueView",
        "QuestionView",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}
