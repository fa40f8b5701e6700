//! The heads' reception days: publishing (the unit's officials only), the public list of a
//! commune's or province's upcoming days, bookings (one each, up to the slots, cancelled),
//! the host's list, the reminder the day before by push and email exactly once (driven by
//! the clock and the job passes), and the heads' duty days missed in the supervisor's report.

use chrono::{DateTime, Duration, Utc};
use nghedan::domain::account::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::notify_push::{FcmMock, service_account_json};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The demo organisation, long-lived tokens, and pushes to the FCM mock.
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

async fn send(app: &TestApp, method: Method, path: &str, token: &str, body: Value) -> Response {
    app.authed(method, path, token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ok(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Publishes a day of the unit `unit` hosted by `host`.
async fn publish(
    app: &TestApp,
    token: &str,
    unit: i64,
    host: i64,
    date: &str,
    slots: i32,
) -> Value {
    let r = send(
        app,
        Method::POST,
        &format!("/api/v1/units/{unit}/reception-days"),
        token,
        json!({"date": date, "start": "07:30", "end": "11:00",
            "place": "Trụ sở UBND Phường Ninh Kiều", "host": host, "slots": slots}),
    )
    .await;
    ok(r, 201).await
}

fn ids(list: &Value) -> Vec<Value> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].clone())
        .collect()
}

#[tokio::test]
async fn citizens_book_a_heads_day_and_are_reminded_once_the_day_before() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm).await;
    let unit = app.unit_id("UBND-X31135").await;
    let (host, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    // Thursday 26 November 2026, 07:30–11:00 local; two slots.
    let day = publish(&app, &official, unit, host.id, "2026-11-26", 2).await;
    assert_eq!(day["unit"]["code"], "UBND-X31135");
    assert_eq!(day["starts_at"], "2026-11-26T00:30:00Z");
    assert_eq!(
        (day["start"].as_str(), day["end"].as_str()),
        (Some("07:30"), Some("11:00"))
    );
    assert_eq!(day["host"]["id"], host.id);
    let day_id = day["id"].as_i64().unwrap();

    // Only the unit's officials publish, a date not past, hours in order, a host of the unit.
    let path = format!("/api/v1/units/{unit}/reception-days");
    let body = |date: &str, end: &str, h: i64| json!({"date": date, "start": "07:30", "end": end, "place": "Trụ sở", "host": h});
    let outsider = app.official_of("SXD-92").await;
    assert_problem(
        send(
            &app,
            Method::POST,
            &path,
            &outsider,
            body("2026-11-27", "11:00", host.id),
        )
        .await,
        403,
        "action_forbidden",
    )
    .await;
    let supervisor = app.supervisor_of("UBND-X31135").await;
    assert_problem(
        send(
            &app,
            Method::POST,
            &path,
            &supervisor,
            body("2026-11-27", "11:00", host.id),
        )
        .await,
        403,
        "action_forbidden",
    )
    .await;
    let p = assert_problem(
        send(
            &app,
            Method::POST,
            &path,
            &official,
            body("2026-11-20", "07:00", host.id),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/end");
    let p = assert_problem(
        send(
            &app,
            Method::POST,
            &path,
            &official,
            body("2026-11-20", "11:00", host.id),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/date");
    let (other, _) = app.staff_of(Role::Official, "SXD-92").await;
    let p = assert_problem(
        send(
            &app,
            Method::POST,
            &path,
            &official,
            body("2026-11-27", "11:00", other.id),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/host");

    // The public reads the commune's days, and the province's (its communes' included).
    let list = app
        .public_json("/api/v1/reception-days?area_code=31135")
        .await;
    assert_eq!(ids(&list), vec![json!(day_id)]);
    assert_eq!(list["items"][0]["slots_left"], 2);
    let list = app.public_json("/api/v1/reception-days?area_code=92").await;
    assert_eq!(ids(&list), vec![json!(day_id)]);
    let list = app
        .public_json("/api/v1/reception-days?area_code=31135&from=2026-11-27")
        .await;
    assert_eq!(ids(&list), Vec::<Value>::new());
    assert_problem(
        app.get("/api/v1/reception-days?area_code=00000").await,
        422,
        "validation_failed",
    )
    .await;

    // Bookings: one each, up to the slots; a cancelled one frees its slot.
    let (lan, lan_token) = app.token_for(Role::Citizen, None).await;
    app.add_fcm_device(&lan_token, "device-lan").await;
    let (_, binh) = app.token_for(Role::Citizen, None).await;
    let (_, chi) = app.token_for(Role::Citizen, None).await;
    let bookings = format!("/api/v1/reception-days/{day_id}/bookings");
    let topic = |t: &str| json!({"topic": t});
    let lans = ok(
        send(
            &app,
            Method::POST,
            &bookings,
            &lan_token,
            topic("Đèn đường tổ 5 hỏng"),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(lans["reception_day_id"], day_id);
    assert_problem(
        send(&app, Method::POST, &bookings, &lan_token, topic("Lần nữa")).await,
        409,
        "already_booked",
    )
    .await;
    let binhs = ok(
        send(&app, Method::POST, &bookings, &binh, topic("Cấp sổ đỏ")).await,
        201,
    )
    .await;
    assert_problem(
        send(&app, Method::POST, &bookings, &chi, topic("Tiếng ồn")).await,
        409,
        "reception_day_full",
    )
    .await;
    let binh_booking = format!("/api/v1/reception-bookings/{}", binhs["id"]);
    assert_problem(
        send(&app, Method::DELETE, &binh_booking, &lan_token, json!({})).await,
        404,
        "booking_not_found",
    )
    .await;
    let r = send(&app, Method::DELETE, &binh_booking, &binh, json!({})).await;
    assert_eq!(r.status(), 204);
    assert_problem(
        send(&app, Method::DELETE, &binh_booking, &binh, json!({})).await,
        409,
        "booking_cancelled",
    )
    .await;
    ok(
        send(
            &app,
            Method::POST,
            &bookings,
            &chi,
            topic("Tiếng ồn quán karaoke"),
        )
        .await,
        201,
    )
    .await;
    assert_problem(
        send(&app, Method::POST, &bookings, &official, topic("x")).await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        send(
            &app,
            Method::POST,
            "/api/v1/reception-days/999999/bookings",
            &chi,
            topic("x"),
        )
        .await,
        404,
        "reception_day_not_found",
    )
    .await;
    let list = app
        .public_json("/api/v1/reception-days?area_code=31135")
        .await;
    assert_eq!(list["items"][0]["slots_left"], 0);

    // The host's unit sees who comes about what; nobody else does.
    let seen = app.get_json(&official, &bookings).await;
    let topics: Vec<&str> = seen["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, vec!["Đèn đường tổ 5 hỏng", "Tiếng ồn quán karaoke"]);
    assert_eq!(seen["items"][0]["citizen"]["id"], lan.id);
    for token in [&supervisor, &outsider, &lan_token] {
        assert_problem(app.get_as(token, &bookings).await, 403, "action_forbidden").await;
    }

    // No reminder two days before; one the day before (push and email); never a second.
    let reminders = |app: &TestApp| {
        app.mails()
            .into_iter()
            .filter(|m| m.subject.contains("Nhắc lịch tiếp công dân"))
            .collect::<Vec<_>>()
    };
    app.run_jobs().await;
    assert!(reminders(&app).is_empty());
    app.clock.set(at("2026-11-25T01:00:00Z"));
    let pass = app.run_jobs().await;
    assert_eq!(pass.swept.reception_reminders, 2);
    app.run_jobs().await;
    let mails = reminders(&app);
    assert_eq!(mails.len(), 2, "Lan and Chi, not Bình who cancelled");
    assert!(
        mails[0].subject.contains("26/11/2026"),
        "{}",
        mails[0].subject
    );
    assert!(
        mails
            .iter()
            .any(|m| m.text.contains("Đèn đường tổ 5 hỏng") && m.text.contains("07:30"))
    );
    let pushes = crate::notifications::pushes(&fcm).await;
    let to_lan: Vec<&Value> = pushes
        .iter()
        .filter(|(token, _)| token == "device-lan")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(to_lan.len(), 1);
    assert_eq!(
        to_lan[0]["notification"]["body"],
        "Nhắc lịch tiếp công dân ngày 26/11/2026"
    );
    app.clock.advance(Duration::hours(20));
    let pass = app.run_jobs().await;
    assert_eq!(pass.swept.reception_reminders, 0);
    assert_eq!(reminders(&app).len(), 2);
    assert_eq!(crate::notifications::pushes(&fcm).await.len(), pushes.len());
    // Once it has started, it takes no more bookings.
    app.clock.set(at("2026-11-26T01:00:00Z"));
    let (_, late) = app.token_for(Role::Citizen, None).await;
    assert_problem(
        send(&app, Method::POST, &bookings, &late, topic("Muộn")).await,
        409,
        "reception_day_closed",
    )
    .await;
}

#[tokio::test]
async fn a_week_or_month_without_a_heads_day_is_overdue_in_the_supervisors_report() {
    let app = TestApp::builder().long_tokens().demo().await;
    let commune = app.unit_id("UBND-X31135").await;
    let province = app.unit_id("UBND-T92").await;
    let (host, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    // Monday 23 November: a day on Wednesday the 25th; none the week after.
    publish(&app, &official, commune, host.id, "2026-11-25", 20).await;
    // Four weeks on (Tuesday 22 December): a head's reception recorded on 8 December.
    app.clock.set(at("2026-12-22T02:00:00Z"));
    let r = send(
        &app,
        Method::POST,
        "/api/v1/receptions",
        &official,
        json!({"received_at": "2026-12-08T02:00:00Z", "place": "Trụ sở", "received_by": [host.id],
            "kind": "head_day", "visitors": [{"name": "Lê Thị Hoa"}],
            "summary": "Kiến nghị sửa đường.", "outcome": "guided"}),
    )
    .await;
    ok(r, 201).await;
    let board = app.supervisor_of("UBND-X31135").await;
    let report = app
        .get_json(
            &board,
            &format!("/api/v1/reports/receptions?from=2026-11-23&to=2026-12-21&unit_id={commune}"),
        )
        .await;
    // Weeks of 23 Nov (a day) and 7 Dec (a head's reception) held; 30 Nov and 14 Dec missed;
    // the week of 21 Dec has not ended.
    let missed: Vec<(Value, Value, Value, Value)> = report["missed_head_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["unit"]["code"].clone(),
                m["frequency"].clone(),
                m["period_start"].clone(),
                m["period_end"].clone(),
            )
        })
        .collect();
    assert_eq!(
        missed,
        vec![
            (
                json!("UBND-X31135"),
                json!("week"),
                json!("2026-11-30"),
                json!("2026-12-06")
            ),
            (
                json!("UBND-X31135"),
                json!("week"),
                json!("2026-12-14"),
                json!("2026-12-20")
            ),
        ]
    );
    assert_eq!(report["totals"]["head_days_held"], 2);
    // The province's chair owes a day a month: November had none.
    let board = app.supervisor_of("UBND-T92").await;
    let report = app
        .get_json(
            &board,
            &format!("/api/v1/reports/receptions?from=2026-11-01&to=2026-12-21&unit_id={province}"),
        )
        .await;
    assert_eq!(
        report["missed_head_days"],
        json!([{"unit": {"id": province, "code": "UBND-T92", "name": "Ủy ban nhân dân Thành phố Cần Thơ"},
            "frequency": "month", "period_start": "2026-11-01", "period_end": "2026-11-30"}])
    );
    // A department has no such duty.
    let department = app.unit_id("SXD-92").await;
    let report = app
        .get_json(
            &board,
            &format!(
                "/api/v1/reports/receptions?from=2026-11-01&to=2026-12-21&unit_id={department}"
            ),
        )
        .await;
    assert_eq!(report["missed_head_days"], json!([]));
}
