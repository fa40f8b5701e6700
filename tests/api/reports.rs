//! Reports and public transparency: response-time figures checked against a hand computation,
//! the CSV, the overdue list, a unit's record, who may read them, and the public views
//! (published answers, GeoJSON, scorecards) that must carry no personal data.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{code_of, listed, pothole};
use crate::helpers::{TestApp, TestUser, assert_problem};

/// Local time (UTC+7) as an instant.
fn local(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{s}+07:00"))
        .unwrap()
        .to_utc()
}

/// The standard pothole, in the commune with `area`.
fn feedback(area: &str) -> Value {
    let mut body = pothole();
    body["area_code"] = json!(area);
    body
}

struct World {
    app: TestApp,
    unit: i64,
    other_unit: i64,
    citizen: String,
    official: String,
    denouncer: TestUser,
    codes: Vec<String>,
}

async fn at(app: &TestApp, s: &str) {
    app.clock.set(local(s));
}

async fn rate(app: &TestApp, token: &str, code: &str, score: i32) {
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/rating"),
            token,
        )
        .json(&json!({"score": score}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// The fixed data set of the hand computation (local times, UTC+7; 1 and 2 September 2026
/// are public holidays, a Tuesday and a Wednesday), all at the People's Committee of Phường
/// Ninh Kiều (`UBND-X31135`) unless said:
///
/// - A feedback: received Mon 31/8 09:00, accepted Thu 3/9 09:00, resolved (published) Fri
///   4/9 15:00, rated 5.
/// - B feedback: received Mon 31/8 10:00, information asked 11:00 and given Mon 7/9 11:00
///   (a 168 h pause), accepted Tue 8/9 10:00, resolved Thu 10/9 16:00 (published), reopened
///   by the citizen Fri 11/9 09:00, resolved again Mon 14/9 09:00 (not published), rated 2.
/// - C feedback: received Tue 1/9 09:00 (a holiday), never handled: its `resolve` clock (20
///   calendar days) fell due at the end of Mon 21/9.
/// - D denunciation: received Wed 2/9 09:00 (a holiday), accepted Fri 4/9 09:00, suspended
///   Mon 7/9 09:00, resumed Tue 8/9 09:00 (a 24 h pause), extended by 10 days Tue 8/9 10:00,
///   resolved Tue 8/9 15:00, rated 4.
/// - E complaint: received Thu 3/9 09:00; its `accept` clock (10 working days) fell due at the
///   end of Thu 17/9; accepted late Mon 21/9 09:00; still open.
/// - F feedback: received Fri 4/9 09:00, refused 10:00.
/// - G feedback: received Fri 4/9 11:00, withdrawn 12:00.
/// - H feedback: received Mon 7/9 09:00, after the period; never handled.
/// - Y feedback at Phường (31120), another commune: received Fri 4/9 13:00, accepted 14:00,
///   resolved 15:00 (published).
///
/// The report is read on Thu 1/10 09:00.
async fn world() -> World {
    let app = TestApp::builder()
        .with_settings(|s| s.auth.access_token_ttl_secs = 120 * 24 * 3600)
        .spawn()
        .await;
    at(&app, "2026-08-31T08:00:00").await;
    app.seed_demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let other_unit = app.unit_id("UBND-X31120").await;
    let citizen = app.citizen().await;
    let (denouncer, denouncer_token) = app.token_for(Role::Citizen, None).await;
    let (_, official) = app.token_for(Role::Official, Some(unit)).await;
    let (_, other_official) = app.token_for(Role::Official, Some(other_unit)).await;
    let submit = |token: String, body: Value| {
        let app = &app;
        async move { code_of(&app.submit_ok(Some(&token), &body).await) }
    };
    let c = citizen.clone();
    let o = official.clone();

    // A
    at(&app, "2026-08-31T09:00:00").await;
    let a = submit(c.clone(), feedback("31135")).await;
    // B
    at(&app, "2026-08-31T10:00:00").await;
    let b = submit(c.clone(), feedback("31135")).await;
    at(&app, "2026-08-31T11:00:00").await;
    app.request_info(&o, &b, "Ở đâu?").await;
    // C
    at(&app, "2026-09-01T09:00:00").await;
    let c_code = submit(c.clone(), feedback("31135")).await;
    // D
    at(&app, "2026-09-02T09:00:00").await;
    let d = submit(
        denouncer_token.clone(),
        json!({"kind": "denunciation", "category": "thai-do-phuc-vu", "title": "Cán bộ nhận tiền",
            "description": "Cán bộ phường nhận tiền để bỏ qua vi phạm.", "area_code": "31135"}),
    )
    .await;
    // A accepted
    at(&app, "2026-09-03T09:00:00").await;
    app.accept(&o, &a).await;
    // E
    let e = submit(
        c.clone(),
        json!({"kind": "complaint", "category": "thu-tuc-hanh-chinh", "title": "Khiếu nại quyết định",
            "description": "Tôi không đồng ý với việc thu phí.", "area_code": "31135",
            "contested": {"type": "act", "learned_on": "2026-08-20"}}),
    )
    .await;
    // D accepted, F, G, A resolved, Y
    at(&app, "2026-09-04T09:00:00").await;
    app.accept(&o, &d).await;
    let f = submit(c.clone(), feedback("31135")).await;
    at(&app, "2026-09-04T10:00:00").await;
    app.act_ok(
        &o,
        &f,
        "refuse",
        json!({"reason": "Không thuộc thẩm quyền."}),
    )
    .await;
    at(&app, "2026-09-04T11:00:00").await;
    let g = submit(c.clone(), feedback("31135")).await;
    at(&app, "2026-09-04T12:00:00").await;
    app.act_ok(&c, &g, "withdraw", json!({})).await;
    at(&app, "2026-09-04T13:00:00").await;
    let y = submit(c.clone(), feedback("31120")).await;
    at(&app, "2026-09-04T14:00:00").await;
    app.accept(&other_official, &y).await;
    at(&app, "2026-09-04T15:00:00").await;
    app.act_ok(
        &o,
        &a,
        "resolve",
        json!({"answer": "Đã vá ổ gà.", "publish": true}),
    )
    .await;
    app.act_ok(
        &other_official,
        &y,
        "resolve",
        json!({"answer": "Đã sửa xong.", "publish": true}),
    )
    .await;
    rate(&app, &c, &a, 5).await;
    // D suspended; B's information; H
    at(&app, "2026-09-07T09:00:00").await;
    app.act_ok(
        &o,
        &d,
        "suspend",
        json!({"reason": "Chờ kết quả giám định."}),
    )
    .await;
    let h = submit(c.clone(), feedback("31135")).await;
    at(&app, "2026-09-07T11:00:00").await;
    app.provide_info(&c, &b, "Trước số 12.").await;
    // D resumed, extended, resolved; B accepted
    at(&app, "2026-09-08T09:00:00").await;
    app.act_ok(&o, &d, "resume", json!({"reason": "Đã có kết quả."}))
        .await;
    at(&app, "2026-09-08T10:00:00").await;
    app.act_ok(&o, &d, "extend", json!({"days": 10, "reason": "Phức tạp."}))
        .await;
    app.accept(&o, &b).await;
    at(&app, "2026-09-08T15:00:00").await;
    app.resolve(&o, &d, "Đã xử lý kỷ luật.").await;
    rate(&app, &denouncer_token, &d, 4).await;
    // B resolved, reopened, resolved again
    at(&app, "2026-09-10T16:00:00").await;
    app.act_ok(
        &o,
        &b,
        "resolve",
        json!({"answer": "Đã sửa.", "publish": true}),
    )
    .await;
    at(&app, "2026-09-11T09:00:00").await;
    app.act_ok(&c, &b, "reopen", json!({"reason": "Chưa sửa xong."}))
        .await;
    at(&app, "2026-09-14T09:00:00").await;
    app.resolve(&o, &b, "Đã sửa lại.").await;
    rate(&app, &c, &b, 2).await;
    // E accepted late
    at(&app, "2026-09-21T09:00:00").await;
    app.accept(&o, &e).await;
    at(&app, "2026-10-01T09:00:00").await;
    World {
        app,
        unit,
        other_unit,
        citizen,
        official,
        denouncer,
        codes: vec![a, b, c_code, d, e, f, g, h, y],
    }
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn set(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The personal data of the denouncer (and of every test citizen: same name and phone).
fn assert_no_identity(text: &str, denouncer: &TestUser) {
    assert!(!text.contains(&denouncer.email), "email leaked: {text}");
    assert!(!text.contains("Kiểm Thử"), "name leaked: {text}");
    assert!(!text.contains("912345678"), "phone leaked: {text}");
}

#[tokio::test]
async fn response_times_match_the_hand_computation() {
    let w = world().await;
    let app = &w.app;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(w.unit)).await;
    let path = format!(
        "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-04&unit_id={}",
        w.unit
    );
    let r = app.get_json(&supervisor, &path).await;
    assert_eq!(
        r["period"],
        json!({"from": "2026-08-31", "to": "2026-09-04"})
    );
    assert_eq!(r["group_by"], "unit");
    let groups = r["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["key"], w.unit.to_string());
    let g = &groups[0];
    // Received in the period: A B C D E F G (H came after it; Y is another unit).
    // Accepted: A B D E. Resolved: A B D. Refused: F. Withdrawn: G. Open: C E.
    // Open and overdue: C (its resolve clock fell due on 21/9); E's resolve clock runs to 21/10.
    for (k, v) in [
        ("received", 7),
        ("accepted", 4),
        ("resolved", 3),
        ("refused", 1),
        ("withdrawn", 1),
        ("closed_as_duplicate", 0),
        ("open", 2),
        ("open_overdue", 1),
        ("extensions_used", 1),
        ("tickets_extended", 1),
        ("reopened", 1),
        ("ratings", 3),
    ] {
        assert_eq!(g[k], v, "{k}: {g}");
    }
    // Time to accept (receipt → acceptance, pauses out):
    //   A: Mon 31/8 09:00 → Thu 3/9 09:00 = 72 h; working days after Mon up to Thu: Tue and
    //      Wed are holidays, so Thu = 1.
    //   B: Mon 31/8 10:00 → Tue 8/9 10:00 = 192 h − 168 h paused = 24 h; working days in
    //      (31/8, 8/9] = Thu 3, Fri 4, Mon 7, Tue 8 = 4, less the pause's (31/8, 7/9] =
    //      Thu 3, Fri 4, Mon 7 = 3 → 1.
    //   D: Wed 2/9 09:00 → Fri 4/9 09:00 = 48 h; (2/9, 4/9] = Thu, Fri = 2.
    //   E: Thu 3/9 09:00 → Mon 21/9 09:00 = 432 h; (3/9, 21/9] = Fri 4, 7–11 (5), 14–18 (5),
    //      Mon 21 = 12.
    //   Hours sorted 24, 48, 72, 432: lower median = 2nd = 48; p90 = ⌈3.6⌉ = 4th = 432.
    //   Days sorted 1, 1, 2, 12: median 1; p90 12; max 12.
    assert_eq!(
        g["time_to_accept"],
        json!({"count": 4, "hours": {"median": 48.0, "p90": 432.0, "max": 432.0},
            "working_days": {"median": 1, "p90": 12, "max": 12}})
    );
    // Time to resolve (receipt → the answer in force, pauses out):
    //   A: Mon 31/8 09:00 → Fri 4/9 15:00 = 102 h; (31/8, 4/9] = Thu, Fri = 2.
    //   B: Mon 31/8 10:00 → Mon 14/9 09:00 = 335 h − 168 h = 167 h; (31/8, 14/9] = 3, 4, 7,
    //      8, 9, 10, 11, 14 = 8, less 3 for the pause = 5.
    //   D: Wed 2/9 09:00 → Tue 8/9 15:00 = 150 h − 24 h (suspended) = 126 h; (2/9, 8/9] =
    //      Thu 3, Fri 4, Mon 7, Tue 8 = 4, less the suspension's (7/9, 8/9] = 1 → 3.
    //   Hours 102, 126, 167: median 126, p90 = ⌈2.7⌉ = 3rd = 167. Days 2, 3, 5.
    assert_eq!(
        g["time_to_resolve"],
        json!({"count": 3, "hours": {"median": 126.0, "p90": 167.0, "max": 167.0},
            "working_days": {"median": 3, "p90": 5, "max": 5}})
    );
    // On time. accept clocks (feedback has none): D met (due 11/9), E missed (due 17/9,
    // accepted 21/9) → 1/2. resolve clocks: A met, B met (the round after the reopen), C
    // missed (running past 21/9), D met (30 + 10 days), E running in time (not decided),
    // F met (the refusal stopped it), G withdrawn (not decided) → 4/5. Together 5/7.
    assert_eq!(
        g["on_time"],
        json!({"accept": {"met": 1, "decided": 2, "on_time_rate": 0.5},
            "resolve": {"met": 4, "decided": 5, "on_time_rate": 0.8}})
    );
    assert_eq!(g["on_time_rate"], 0.7143);
    // Reopened: B, of the 3 answered at least once → 0.3333.
    assert_eq!(g["reopen_rate"], 0.3333);
    // Ratings 5, 2, 4: mean 11/3 = 3.67; 4–5: 2 of 3.
    assert_eq!(g["mean_rating"], 3.67);
    assert_eq!(g["satisfied_share"], 0.6667);
    // The totals of a one-group report are the group.
    let mut group = g.clone();
    let group = group.as_object_mut().unwrap();
    group.remove("key");
    group.remove("label");
    assert_eq!(r["totals"], Value::Object(group.clone()));

    // By kind: feedback A B C F G; complaint E; denunciation D.
    let r = app
        .get_json(&supervisor, &format!("{path}&group_by=kind"))
        .await;
    let by: Vec<(String, Value)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["key"].as_str().unwrap().to_string(), g.clone()))
        .collect();
    let keys_seen: Vec<&str> = by.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys_seen, vec!["complaint", "denunciation", "feedback"]);
    let fb = &by[2].1;
    assert_eq!(
        (
            &fb["received"],
            &fb["resolved"],
            &fb["open"],
            &fb["open_overdue"]
        ),
        (&json!(5), &json!(2), &json!(1), &json!(1))
    );
    assert_eq!(fb["on_time"]["resolve"]["decided"], 4);
    assert_eq!(by[0].1["on_time"]["accept"]["on_time_rate"], 0.0);
    // By month (of receipt, local): A B in August, C–G in September.
    let r = app
        .get_json(&supervisor, &format!("{path}&group_by=month"))
        .await;
    let months: Vec<(String, i64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["received"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![("2026-08".to_string(), 2), ("2026-09".to_string(), 5)]
    );
    // Filters: a kind, a category, an area (the province and its communes).
    let r = app
        .get_json(&supervisor, &format!("{path}&kind=complaint"))
        .await;
    assert_eq!(r["totals"]["received"], 1);
    let r = app
        .get_json(&supervisor, &format!("{path}&category=giao-thong"))
        .await;
    assert_eq!(r["totals"]["received"], 5);
    let r = app
        .get_json(&supervisor, &format!("{path}&category=can-bo"))
        .await;
    assert_eq!(r["totals"]["received"], 1);
    let r = app
        .get_json(&supervisor, &format!("{path}&area_code=92"))
        .await;
    assert_eq!(r["totals"]["received"], 7);

    // The province's supervisor sees both communes; an administrator every unit.
    let province = app.unit_id("UBND-T92").await;
    let (_, prov) = app.token_for(Role::Supervisor, Some(province)).await;
    let r = app
        .get_json(
            &prov,
            "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-04",
        )
        .await;
    assert_eq!(r["totals"]["received"], 8);
    assert_eq!(r["groups"].as_array().unwrap().len(), 2);
    let r = app.get_json(&prov, &format!(
            "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-04&unit_id={province}&include_subunits=true"
        ),
    )
    .await;
    assert_eq!(r["totals"]["received"], 8);
    let r = app
        .get_json(
            &prov,
            &format!(
                "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-04&unit_id={province}"
            ),
        )
        .await;
    assert_eq!(r["totals"]["received"], 0);
    let admin = app.admin().await;
    let r = app
        .get_json(
            &admin,
            "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-30",
        )
        .await;
    assert_eq!(r["totals"]["received"], 9);
    let _ = (&w.citizen, &w.official, &w.codes, w.other_unit);
}

/// Parses the simple CSV the report writes (no field of this data set is quoted).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[tokio::test]
async fn the_csv_has_a_bom_and_the_same_numbers() {
    let w = world().await;
    let app = &w.app;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let base = "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-04&group_by=kind";
    let json_report = app.get_json(&supervisor, base).await;
    let r = app.get_as(&supervisor, &format!("{base}&format=csv")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    let bytes = r.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert_no_identity(text, &w.denouncer);
    let rows = parse_csv(text);
    let header = &rows[0];
    let groups = json_report["groups"].as_array().unwrap();
    assert_eq!(rows.len() - 1, groups.len());
    for (row, g) in rows[1..].iter().zip(groups) {
        assert_eq!(row.len(), header.len());
        let col = |name: &str| {
            let i = header.iter().position(|h| h == name).unwrap();
            row[i].clone()
        };
        let num = |v: &Value| match v {
            Value::Null => String::new(),
            v => v.to_string(),
        };
        assert_eq!(col("group_by"), "kind");
        assert_eq!(col("key"), g["key"].as_str().unwrap());
        for name in [
            "received",
            "accepted",
            "resolved",
            "refused",
            "withdrawn",
            "closed_as_duplicate",
            "open",
            "open_overdue",
            "on_time_rate",
            "extensions_used",
            "tickets_extended",
            "reopened",
            "reopen_rate",
            "ratings",
            "mean_rating",
            "satisfied_share",
        ] {
            assert_eq!(col(name), num(&g[name]), "{name}");
        }
        for (prefix, t) in [("accept", "time_to_accept"), ("resolve", "time_to_resolve")] {
            assert_eq!(col(&format!("{prefix}_count")), num(&g[t]["count"]));
            for s in ["median", "p90", "max"] {
                assert_eq!(
                    col(&format!("{prefix}_hours_{s}")),
                    num(&g[t]["hours"][s]),
                    "{prefix} {s}"
                );
                assert_eq!(
                    col(&format!("{prefix}_working_days_{s}")),
                    num(&g[t]["working_days"][s])
                );
            }
            for s in ["met", "decided", "on_time_rate"] {
                assert_eq!(
                    col(&format!("{prefix}_{s}")),
                    num(&g["on_time"][prefix][s]),
                    "{prefix}_{s}"
                );
            }
        }
    }
    // The denunciation's figures are in the report, its denouncer is not.
    assert_no_identity(&json_report.to_string(), &w.denouncer);
}

#[tokio::test]
async fn overdue_lists_the_late_tickets_most_late_first() {
    let w = world().await;
    let app = &w.app;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(w.unit)).await;
    // Open at Thu 1/10: C (update clock due 8/9, resolve 21/9), E (resolve runs to 21/10),
    // H (received 7/9: update due 14/9, resolve 28/9).
    let r = app.get_json(&supervisor, "/api/v1/reports/overdue").await;
    let items = r["items"].as_array().unwrap();
    let codes: Vec<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec![w.codes[2].as_str(), w.codes[7].as_str()]);
    let c = &items[0];
    assert_eq!(c["unit"]["id"], w.unit);
    assert_eq!(c["unit"]["code"], "UBND-X31135");
    // The update clock of C: 7 days after Tue 1/9 → Tue 8/9, ends 23:59:59 local (16:59:59Z).
    assert_eq!(c["due_at"], "2026-09-08T16:59:59Z");
    // Thu 1/10 02:00Z − Tue 8/9 16:59:59Z = 22 days 9 h 0 min 1 s.
    assert_eq!(c["late_seconds"], 22 * 86_400 + 9 * 3600 + 1);
    assert_eq!(c["late_days"], 22);
    let clocks: Vec<&str> = c["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(clocks, vec!["update", "resolve"]);
    assert_eq!(
        keys(c),
        set(&[
            "code",
            "kind",
            "status",
            "category",
            "area_code",
            "unit",
            "received_at",
            "due_at",
            "late_seconds",
            "late_days",
            "clocks"
        ])
    );
    // Pages follow the same order.
    let first = app
        .get_json(&supervisor, "/api/v1/reports/overdue?limit=1")
        .await;
    assert_eq!(first["items"][0]["code"], w.codes[2].as_str());
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &supervisor,
            &format!("/api/v1/reports/overdue?limit=1&after={cursor}"),
        )
        .await;
    assert_eq!(second["items"][0]["code"], w.codes[7].as_str());
    assert!(second["next_cursor"].is_null());
    // Another commune's unit has none.
    let (_, other) = app.token_for(Role::Supervisor, Some(w.other_unit)).await;
    let r = app.get_json(&other, "/api/v1/reports/overdue").await;
    assert_eq!(r["items"], json!([]));
}

#[tokio::test]
async fn a_units_record_has_its_trend_by_month() {
    let w = world().await;
    let app = &w.app;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(w.unit)).await;
    let r = app
        .get_json(
            &supervisor,
            &format!(
                "/api/v1/reports/units/{}?from=2026-08-01&to=2026-10-31",
                w.unit
            ),
        )
        .await;
    assert_eq!(r["unit"]["code"], "UBND-X31135");
    // A–H: 8 tickets; August A B, September C–H, October none.
    assert_eq!(r["totals"]["received"], 8);
    let months: Vec<(String, i64)> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap().to_string(),
                m["received"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        months,
        vec![
            ("2026-08".to_string(), 2),
            ("2026-09".to_string(), 6),
            ("2026-10".to_string(), 0)
        ]
    );
    assert_eq!(r["months"][2]["on_time_rate"], Value::Null);
    assert_no_identity(&r.to_string(), &w.denouncer);
}

#[tokio::test]
async fn reports_are_for_supervisors_over_their_subtree() {
    let w = world().await;
    let app = &w.app;
    let (_, outsider) = app.token_for(Role::Supervisor, Some(w.other_unit)).await;
    // Its tickets (but the public ones, which anybody may read): 404. Its reports: 403.
    for code in [&w.codes[3], &w.codes[4]] {
        let r = app
            .get_as(&outsider, &format!("/api/v1/tickets/{code}"))
            .await;
        assert_problem(r, 404, "ticket_not_found").await;
    }
    let r = app
        .get_as(&outsider, "/api/v1/supervision/tickets?limit=100")
        .await;
    assert_eq!(
        listed(&r.json::<Value>().await.unwrap()),
        vec![w.codes[8].clone()]
    );
    for path in [
        format!("/api/v1/reports/response-times?unit_id={}", w.unit),
        format!("/api/v1/reports/overdue?unit_id={}", w.unit),
        format!("/api/v1/reports/units/{}", w.unit),
    ] {
        let r = app.get_as(&outsider, &path).await;
        assert_problem(r, 403, "report_scope_forbidden").await;
    }
    // Citizens and officials: 403; nobody signed in: 401.
    for token in [&w.citizen, &w.official] {
        for path in [
            "/api/v1/reports/response-times".to_string(),
            "/api/v1/reports/overdue".to_string(),
            format!("/api/v1/reports/units/{}", w.unit),
        ] {
            let r = app.get_as(token, &path).await;
            assert_problem(r, 403, "action_forbidden").await;
        }
    }
    let r = app.get("/api/v1/reports/response-times").await;
    assert_eq!(r.status(), 401);
    // Bad parameters.
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(w.unit)).await;
    for (query, field) in [
        ("from=2026-09-05&to=2026-09-04", Some("/to")),
        ("group_by=week", None),
        ("format=xml", None),
        ("from=yesterday", None),
        ("colour=red", None),
        ("unit_id=999999", Some("/unit_id")),
        ("category=nope", Some("/category")),
        ("area_code=00", Some("/area_code")),
        ("from=2000-01-01&to=2026-01-01", Some("/to")),
        ("from=-262143-01-01&to=-262143-01-01", Some("/from")),
        ("to=+262142-12-31", Some("/to")),
    ] {
        let r = app
            .get_as(
                &supervisor,
                &format!("/api/v1/reports/response-times?{query}"),
            )
            .await;
        let p = assert_problem(r, 422, "validation_failed").await;
        assert!(p["errors"][0]["code"].is_string(), "{query}: {p}");
        if let Some(field) = field {
            assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
        }
    }
    let r = app
        .get_as(
            &supervisor,
            "/api/v1/reports/response-times?from=2026-09-05&to=2026-09-04",
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["code"], "period_reversed");
    let r = app
        .get_as(&supervisor, "/api/v1/reports/overdue?limit=0")
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .get_as(&supervisor, "/api/v1/reports/units/999999")
        .await;
    assert_problem(r, 404, "unit_not_found").await;
}

const PUBLIC_ITEM_KEYS: &[&str] = &[
    "code",
    "kind",
    "status",
    "category",
    "category_name",
    "title",
    "commune",
    "location",
    "unit",
    "received_at",
    "answered_at",
    "answer",
    "supporters",
    "attachments",
];

#[tokio::test]
async fn public_views_show_published_answers_without_personal_data() {
    let w = world().await;
    let app = &w.app;
    // A private feedback answered with publish: true is not published.
    let private = {
        let mut body = feedback("31135");
        body["private"] = json!(true);
        code_of(&app.submit_ok(Some(&w.citizen), &body).await)
    };
    app.accept(&w.official, &private).await;
    app.act_ok(
        &w.official,
        &private,
        "resolve",
        json!({"answer": "Xong.", "publish": true}),
    )
    .await;

    // Published: A and Y (B's answer in force is not published; D is a denunciation; E a
    // complaint), newest answer first: both at Fri 4/9 15:00, so by id, descending.
    let r = app.public_json("/api/v1/public/tickets").await;
    let items = r["items"].as_array().unwrap();
    let codes: Vec<&str> = items.iter().map(|i| i["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec![w.codes[8].as_str(), w.codes[0].as_str()]);
    for item in items {
        assert_eq!(keys(item), set(PUBLIC_ITEM_KEYS), "{item}");
        assert_eq!(keys(&item["commune"]), set(&["code", "name"]));
        assert_eq!(keys(&item["location"]), set(&["lat", "lon"]));
        assert_eq!(keys(&item["unit"]), set(&["id", "code", "name"]));
        assert_eq!(item["location"], json!({"lat": 10.033, "lon": 105.777}));
        assert_eq!(item["attachments"], json!([]));
        let text = item.to_string();
        assert!(!text.contains("Số 12"), "address leaked: {text}");
        assert!(!text.contains("Ổ gà lớn"), "description leaked: {text}");
    }
    let a = &items[1];
    assert_eq!(a["answer"], "Đã vá ổ gà.");
    assert_eq!(a["commune"]["code"], "31135");
    assert_eq!(a["answered_at"], "2026-09-04T08:00:00Z");
    assert_no_identity(&r.to_string(), &w.denouncer);
    // Filters and pages.
    let r = app
        .public_json(&format!("/api/v1/public/tickets?unit_id={}", w.unit))
        .await;
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let r = app
        .public_json("/api/v1/public/tickets?kind=denunciation")
        .await;
    assert_eq!(r["items"], json!([]));
    let first = app.public_json("/api/v1/public/tickets?limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .public_json(&format!("/api/v1/public/tickets?limit=1&after={cursor}"))
        .await;
    assert_eq!(second["items"][0]["code"], w.codes[0].as_str());
    let r = app.get("/api/v1/public/tickets?limit=500").await;
    assert_problem(r, 422, "validation_failed").await;

    // GeoJSON.
    let r = app.get("/api/v1/public/tickets.geojson").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/geo+json"
    );
    let g: Value = r.json().await.unwrap();
    assert_eq!(keys(&g), set(&["type", "features"]));
    assert_eq!(g["type"], "FeatureCollection");
    let features = g["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    for f in features {
        assert_eq!(keys(f), set(&["type", "id", "geometry", "properties"]));
        assert_eq!(
            f["geometry"],
            json!({"type": "Point", "coordinates": [105.777, 10.033]})
        );
        let mut expected = set(PUBLIC_ITEM_KEYS);
        expected.remove("location");
        assert_eq!(keys(&f["properties"]), expected);
    }
    assert_no_identity(&g.to_string(), &w.denouncer);

    // A unit's scorecard: the figures of the report, for its own tickets.
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(w.unit)).await;
    let card = app
        .public_json(&format!(
            "/api/v1/public/units/{}/scorecard?from=2026-08-31&to=2026-09-04",
            w.unit
        ))
        .await;
    assert_eq!(
        keys(&card),
        set(&[
            "unit",
            "include_subunits",
            "period",
            "generated_at",
            "totals",
            "months"
        ])
    );
    let report = app
        .get_json(
            &supervisor,
            &format!(
                "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-04&unit_id={}",
                w.unit
            ),
        )
        .await;
    assert_eq!(card["totals"], report["totals"]);
    assert_no_identity(&card.to_string(), &w.denouncer);
    let r = app.get("/api/v1/public/units/999999/scorecard").await;
    assert_problem(r, 404, "unit_not_found").await;

    // Ranking: Y answered its only ticket on time (1.0); X 5 of 7 (0.7143).
    let r = app
        .public_json("/api/v1/public/scorecards?from=2026-08-31&to=2026-09-04")
        .await;
    let items = r["items"].as_array().unwrap();
    let ranked: Vec<(i64, i64)> = items
        .iter()
        .map(|i| {
            (
                i["rank"].as_i64().unwrap(),
                i["unit"]["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ranked, vec![(1, w.other_unit), (2, w.unit)]);
    assert_eq!(items[0]["on_time_rate"], 1.0);
    assert_eq!(items[1]["on_time_rate"], 0.7143);
    let figure_keys = keys(&report["totals"]);
    for i in items {
        let mut expected = figure_keys.clone();
        expected.extend(set(&["rank", "unit", "period"]));
        assert_eq!(keys(i), expected);
    }
    assert_no_identity(&r.to_string(), &w.denouncer);
    let first = app
        .public_json("/api/v1/public/scorecards?from=2026-08-31&to=2026-09-04&limit=1")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .public_json(&format!(
            "/api/v1/public/scorecards?from=2026-08-31&to=2026-09-04&limit=1&after={cursor}"
        ))
        .await;
    assert_eq!(second["items"][0]["unit"]["id"], w.unit);
    assert_eq!(second["items"][0]["rank"], 2);
}

#[tokio::test]
async fn every_report_route_is_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/reports/response-times",
        "/api/v1/reports/overdue",
        "/api/v1/reports/units/{id}",
        "/api/v1/public/tickets",
        "/api/v1/public/tickets.geojson",
        "/api/v1/public/units/{id}/scorecard",
        "/api/v1/public/scorecards",
    ] {
        assert!(doc["paths"][path]["get"].is_object(), "{path}");
    }
    let description = doc["paths"]["/api/v1/reports/response-times"]["get"]["description"]
        .as_str()
        .unwrap();
    assert!(description.contains("lower median"));
    assert!(description.contains("decided"));
}

#[tokio::test]
async fn a_generated_history_reports_consistently_and_verifies() {
    let app = TestApp::demo().await;
    let state = app.state.clone();
    let made = app
        .state
        .db(move |conn| {
            let ctx = state.ticket_ctx(conn)?;
            nghedan::seed::history(conn, 150, 6, &ctx, &nghedan::progress::Progress::none())
        })
        .await
        .unwrap();
    assert_eq!(made.tickets, 150);
    assert_eq!(
        made.resolved + made.refused + made.withdrawn + made.open,
        150
    );
    assert!(made.resolved > 50 && made.rated > 20, "{made:?}");
    // No message about the past is waiting to go out.
    let queued: i64 = app
        .state
        .db(|conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            Ok(nghedan::db::schema::outbox::table
                .count()
                .get_result(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(queued, 0);
    // The jobs seal the past days into the audit roots; the chains verify.
    assert!(app.run_jobs().await.days_sealed > 100);

    let admin = app.admin().await;
    let v = app
        .get_json(&admin, "/api/v1/audit/verify?from=2025-01-01&to=2027-12-31")
        .await;
    assert_eq!(v["ok"], true, "{v}");

    let r = app
        .get_json(
            &admin,
            "/api/v1/reports/response-times?from=2025-01-01&to=2026-11-23&group_by=month",
        )
        .await;
    let t = &r["totals"];
    assert_eq!(t["received"], 150);
    let sum: i64 = [
        "resolved",
        "refused",
        "withdrawn",
        "closed_as_duplicate",
        "open",
    ]
    .iter()
    .map(|k| t[k].as_i64().unwrap())
    .sum();
    assert_eq!(sum, 150);
    assert_eq!(t["resolved"], made.resolved);
    assert_eq!(t["ratings"], made.rated);
    let months: i64 = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["received"].as_i64().unwrap())
        .sum();
    assert_eq!(months, 150);
    assert!(t["on_time"]["resolve"]["decided"].as_i64().unwrap() > 0);
    let p = &t["time_to_resolve"]["hours"];
    assert!(p["median"].as_f64() <= p["p90"].as_f64() && p["p90"].as_f64() <= p["max"].as_f64());
    // The public ranking lists the units that received tickets.
    let s = app
        .public_json("/api/v1/public/scorecards?from=2025-01-01&to=2026-11-23&limit=100")
        .await;
    assert!(!s["items"].as_array().unwrap().is_empty());
    assert_eq!(s["items"][0]["rank"], 1);
}

/// The clock summaries kept on the tickets give the same report as the clocks themselves:
/// tickets without one (written before summaries existed) are read from their clocks, and
/// `summarise_missing` (run by `nghedan migrate`) fills them in to the same figures.
#[tokio::test]
async fn clock_summaries_give_the_same_report_as_the_clocks() {
    use diesel::prelude::*;
    use nghedan::db::schema::tickets;

    let w = world().await;
    let app = &w.app;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(w.unit)).await;
    let paths: Vec<String> = ["unit", "month", "kind"]
        .iter()
        .map(|g| {
            format!(
                "/api/v1/reports/response-times?from=2026-08-31&to=2026-09-30&unit_id={}&group_by={g}",
                w.unit
            )
        })
        .collect();
    let mut reports = Vec::new();
    for p in &paths {
        let mut r = app.get_json(&supervisor, p).await;
        r.as_object_mut().unwrap().remove("generated_at");
        reports.push(r);
    }
    assert!(reports[0]["totals"]["on_time"]["resolve"]["decided"].as_i64() > Some(0));
    let same = |reports: Vec<Value>| {
        let paths = paths.clone();
        let supervisor = supervisor.clone();
        async move {
            for (p, before) in paths.iter().zip(&reports) {
                let mut r = app.get_json(&supervisor, p).await;
                r.as_object_mut().unwrap().remove("generated_at");
                assert_eq!(&r, before, "{p}");
            }
        }
    };

    // As if written before summaries existed (the migration sets `paused_once` from the
    // timeline; the rest is left to be filled in).
    let forgotten = app
        .state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            Ok(diesel::update(tickets::table)
                .set((
                    tickets::summarised.eq(false),
                    tickets::accept_standing.eq(None::<String>),
                    tickets::accept_due_at.eq(None::<chrono::NaiveDateTime>),
                    tickets::resolve_standing.eq(None::<String>),
                    tickets::resolve_due_at.eq(None::<chrono::NaiveDateTime>),
                    tickets::extensions_used.eq(0),
                ))
                .execute(c)?)
        })
        .await
        .unwrap();
    assert!(forgotten >= 9);
    same(reports.clone()).await;

    let state = app.state.clone();
    let filled = app
        .state
        .db(move |c| {
            let cal = nghedan::db::calendar::load(c)?;
            let day_end = state.settings.deadlines.day_end();
            nghedan::db::clocks::summarise_missing(
                c,
                &cal,
                &day_end,
                state.clock.now(),
                &nghedan::progress::Progress::none(),
            )
        })
        .await
        .unwrap();
    assert_eq!(filled, forgotten);
    same(reports).await;
}

/// CSV injection: a text cell that a spreadsheet would run as a formula (here names an
/// administrator chose) gets a leading `'`; the figures stay plain numbers.
#[tokio::test]
async fn csv_text_cells_that_look_like_formulas_are_neutralised() {
    let app = TestApp::demo().await;
    let admin = app.admin().await;
    let citizen = app.citizen().await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"Bấm vào đây\")";
    let r = app
        .authed(Method::PATCH, "/api/v1/admin/categories/duong-hong", &admin)
        .json(&json!({"name_vi": formula, "name_en": "@SUM(1+1)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let unit = app.unit_id("UBND-X31135").await;
    let r = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/units/{unit}"),
            &admin,
        )
        .json(&json!({"name_vi": "-2+3 Ủy ban"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = app
        .authed(Method::POST, "/api/v1/tickets", &citizen)
        .header("Idempotency-Key", "csv-injection-1")
        .json(&feedback("31135"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    let rows = |group_by: &'static str, lang: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let r = app
                .authed(
                    Method::GET,
                    &format!("/api/v1/reports/response-times?group_by={group_by}&format=csv"),
                    &admin,
                )
                .header("Accept-Language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let text = r.text().await.unwrap();
            let mut reader =
                csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
            let header: Vec<String> = reader
                .headers()
                .unwrap()
                .iter()
                .map(str::to_string)
                .collect();
            reader
                .records()
                .map(|r| {
                    header
                        .iter()
                        .cloned()
                        .zip(r.unwrap().iter().map(str::to_string))
                        .collect::<std::collections::BTreeMap<String, String>>()
                })
                .collect::<Vec<_>>()
        }
    };
    let by_category = rows("category", "vi").await;
    let row = by_category
        .iter()
        .find(|r| r["key"] == "duong-hong")
        .unwrap();
    assert_eq!(row["label"], format!("'{formula}"));
    assert_eq!(row["received"], "1");
    let by_category = rows("category", "en").await;
    let row = by_category
        .iter()
        .find(|r| r["key"] == "duong-hong")
        .unwrap();
    assert_eq!(row["label"], "'@SUM(1+1)");
    let by_unit = rows("unit", "vi").await;
    let row = by_unit
        .iter()
        .find(|r| r["key"] == unit.to_string())
        .unwrap();
    assert_eq!(row["label"], "'-2+3 Ủy ban");
    assert_eq!(row["open"], "1");
}

/// Grouped by channel: what came through the app and what was brought in person (the desk, a
/// reception) are told apart, in the API and in the console's choice.
#[tokio::test]
async fn the_response_times_report_groups_by_channel() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    app.submit_ok(Some(&citizen), &pothole()).await;
    app.submit_ok(Some(&citizen), &pothole()).await;
    let r = app
        .authed(Method::POST, "/api/v1/tickets", &official)
        .header("Idempotency-Key", "desk-channel-0001")
        .json(&crate::fixtures::at_the_desk())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = app
        .get_json(
            &supervisor,
            "/api/v1/reports/response-times?from=2026-11-01&to=2026-11-30&group_by=channel",
        )
        .await;
    let by: Vec<(String, i64)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["received"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by,
        vec![("app".to_string(), 2), ("in_person".to_string(), 1)]
    );
    assert_eq!(r["totals"]["received"], 3);
    let r = app
        .get_as(
            &supervisor,
            "/api/v1/reports/response-times?from=2026-11-01&to=2026-11-30&group_by=channels",
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
}
