//! Deadlines: default policies, the public calendar and preview, and the administrators'
//! policies and calendar overrides.

use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::clock;
use crate::helpers::{TestApp, assert_problem};

const COMPLAINT_BEFORE_TET: &str = "2026-02-13T10:00:00%2B07:00";

fn due(preview: &Value, name: &str) -> String {
    clock(preview, name)["due_local_date"]
        .as_str()
        .unwrap_or_else(|| panic!("{name} has a due date in {preview}"))
        .to_string()
}

/// Loads the reference data again, as every start does; returns what it wrote.
async fn reload_reference(app: &TestApp) -> nghedan::db::reference::Loaded {
    let now = app.clock_now_naive();
    app.state
        .db(move |conn| nghedan::db::reference::load(conn, now))
        .await
        .unwrap()
}

async fn make_category(app: &TestApp, code: &str, parent: Option<&str>, urgent: bool) {
    use diesel::prelude::*;
    use nghedan::db::schema::categories;
    let now = app.clock_now_naive();
    let (code, parent) = (code.to_string(), parent.map(str::to_string));
    app.state
        .db(move |conn| -> Result<_, nghedan::error::AppError> {
            // Written past the repository: say so, as its write functions do.
            nghedan::db::reference::changed();
            diesel::insert_into(categories::table)
                .values((
                    categories::code.eq(&code),
                    categories::parent_code.eq(&parent),
                    categories::name_vi.eq(format!("Lĩnh vực {code}")),
                    categories::name_en.eq(format!("Category {code}")),
                    categories::default_kind.eq("feedback"),
                    categories::urgent.eq(urgent),
                    categories::created_at.eq(now),
                    categories::updated_at.eq(now),
                ))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn flag_remote(app: &TestApp, area: &str) {
    use diesel::prelude::*;
    use nghedan::db::schema::areas;
    let area = area.to_string();
    app.state
        .db(move |conn| -> Result<_, nghedan::error::AppError> {
            // Written past the repository: say so, as its write functions do.
            nghedan::db::reference::changed();
            diesel::update(areas::table.find(area))
                .set(areas::remote.eq(true))
                .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn the_default_policies_are_seeded_once_and_admins_changes_stay() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let list = app.get_json(&token, "/api/v1/admin/sla-policies").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 8, "{list}");
    assert_eq!(list["next_cursor"], Value::Null);
    let first_round = items
        .iter()
        .find(|p| p["kind"] == "complaint" && p["round"] == 1)
        .unwrap();
    assert_eq!(
        first_round["clocks"],
        json!([
            {"name": "accept", "starts_at": "receipt", "counting": "working_days",
             "lengths": {"normal": 10, "complex": null, "remote": null, "complex_remote": null},
             "extensions": {"allowed": 0, "max_days": 0}},
            {"name": "resolve", "starts_at": "acceptance", "counting": "calendar_days",
             "lengths": {"normal": 30, "complex": 45, "remote": 45, "complex_remote": 60},
             "extensions": {"allowed": 0, "max_days": 0}}
        ])
    );
    let denunciation = items.iter().find(|p| p["kind"] == "denunciation").unwrap();
    let resolve = &denunciation["clocks"][2];
    assert_eq!(resolve["extensions"], json!({"allowed": 2, "max_days": 30}));
    for (kind, urgent, channel) in [
        ("feedback", false, Value::Null),
        ("petition", false, Value::Null),
        ("feedback", true, Value::Null),
        ("feedback", false, json!("in_person")),
        ("petition", false, json!("in_person")),
    ] {
        assert!(
            items.iter().any(|p| p["kind"] == kind
                && p["urgent"] == urgent
                && p["channel"] == channel
                && p["category"].is_null()),
            "{kind} urgent={urgent} channel={channel}"
        );
    }

    // An administrator's change survives another load, and nothing is added twice.
    let id = first_round["id"].as_i64().unwrap();
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .json(&json!({"name": "Khiếu nại lần đầu (sửa)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let loaded = reload_reference(&app).await;
    assert_eq!(loaded, nghedan::db::reference::Loaded::default());
    let after = app.get_json(&token, "/api/v1/admin/sla-policies").await;
    assert_eq!(after["items"].as_array().unwrap().len(), 8);
    assert_eq!(after["items"][0]["name"], "Khiếu nại lần đầu (sửa)");
}

#[tokio::test]
async fn a_complaint_received_before_tet_is_accepted_after_it() {
    let app = TestApp::spawn().await;
    let p = app
        .public_json(&format!(
            "/api/v1/deadlines/preview?kind=complaint&received_at={COMPLAINT_BEFORE_TET}"
        ))
        .await;
    assert_eq!(p["kind"], "complaint");
    assert_eq!(p["round"], 1);
    assert_eq!(p["channel"], "app");
    assert_eq!(p["received_at"], "2026-02-13T03:00:00Z");
    assert!(
        p["policy"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Khiếu nại lần đầu")
    );
    assert!(p["policy"]["id"].as_i64().is_some());
    assert_eq!(
        clock(&p, "accept"),
        &json!({
            "name": "accept", "starts_at": "receipt", "counting": "working_days", "days": 10,
            "extensions": {"allowed": 0, "max_days": 0}, "state": "running",
            "due_at": "2026-03-06T16:59:59Z", "due_local_date": "2026-03-06"
        })
    );
    let resolve = clock(&p, "resolve");
    assert_eq!(resolve["state"], "pending");
    assert_eq!(resolve["due_at"], Value::Null);
    assert_eq!(resolve["due_local_date"], Value::Null);
    assert_eq!(resolve["days"], 30);
}

#[tokio::test]
async fn complexity_and_remote_areas_lengthen_the_resolve_clock() {
    let app = TestApp::spawn().await;
    // Lai Châu (12) is flagged remote: its communes (03390, Xã Bình Lư) get remote lengths.
    flag_remote(&app, "12").await;
    let base = format!(
        "/api/v1/deadlines/preview?kind=complaint&received_at={COMPLAINT_BEFORE_TET}\
         &accepted_at=2026-03-06T09:00:00%2B07:00"
    );
    // The hand-worked cases of src/domain/deadlines.rs: accepted Fri 6/3/2026.
    for (extra, days, expected) in [
        ("", 30, "2026-04-06"),
        ("&complex=true", 45, "2026-04-20"),
        ("&area_code=03390", 45, "2026-04-20"),
        ("&area_code=12", 45, "2026-04-20"),
        ("&area_code=03390&complex=true", 60, "2026-05-05"),
        ("&area_code=00004&complex=true", 45, "2026-04-20"),
        ("&area_code=00004", 30, "2026-04-06"),
    ] {
        let p = app.public_json(&format!("{base}{extra}")).await;
        let resolve = clock(&p, "resolve");
        assert_eq!(resolve["state"], "running", "{extra}");
        assert_eq!(resolve["days"], days, "{extra}");
        assert_eq!(due(&p, "resolve"), expected, "{extra}");
        assert_eq!(due(&p, "accept"), "2026-03-06", "{extra}");
    }
    let remote = app.public_json(&format!("{base}&area_code=03390")).await;
    assert_eq!(remote["remote"], true);

    // Second round: accepted Fri 3/7/2026.
    let second = "/api/v1/deadlines/preview?kind=complaint&round=2\
        &received_at=2026-07-01T09:00:00%2B07:00&accepted_at=2026-07-03T09:00:00%2B07:00";
    let p = app.public_json(second).await;
    assert!(
        p["policy"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Khiếu nại lần hai")
    );
    assert_eq!(due(&p, "resolve"), "2026-08-17");
    let p = app
        .public_json(&format!("{second}&complex=true&area_code=03390"))
        .await;
    assert_eq!(due(&p, "resolve"), "2026-09-11");
}

#[tokio::test]
async fn denunciations_and_feedback_get_their_clocks() {
    let app = TestApp::spawn().await;
    let p = app
        .public_json(
            "/api/v1/deadlines/preview?kind=denunciation&received_at=2026-04-24T10:00:00%2B07:00\
         &accepted_at=2026-05-08T10:00:00%2B07:00",
        )
        .await;
    assert_eq!(due(&p, "accept"), "2026-05-08");
    assert_eq!(due(&p, "forward"), "2026-05-06");
    assert_eq!(due(&p, "resolve"), "2026-06-08");
    assert_eq!(
        clock(&p, "resolve")["extensions"],
        json!({"allowed": 2, "max_days": 30})
    );
    let p = app
        .public_json(
            "/api/v1/deadlines/preview?kind=denunciation&complex=true\
         &received_at=2026-04-24T10:00:00%2B07:00",
        )
        .await;
    assert_eq!(due(&p, "accept"), "2026-05-13");

    let p = app
        .public_json(
            "/api/v1/deadlines/preview?kind=feedback&received_at=2026-01-29T10:00:00%2B07:00",
        )
        .await;
    assert_eq!(due(&p, "resolve"), "2026-02-23");
    assert_eq!(due(&p, "update"), "2026-02-05");
    assert!(
        p["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "accept")
    );

    // Received in person: an answer about acceptance within 10 working days.
    let p = app
        .public_json(
            "/api/v1/deadlines/preview?kind=petition&channel=in_person\
         &received_at=2026-08-25T10:00:00%2B07:00",
        )
        .await;
    assert_eq!(due(&p, "accept"), "2026-09-10");
    assert_eq!(due(&p, "resolve"), "2026-09-14");

    // Without received_at, the clock's now (2026-11-23 09:00 in Hanoi, a Monday).
    let p = app
        .public_json("/api/v1/deadlines/preview?kind=complaint")
        .await;
    assert_eq!(p["received_at"], "2026-11-23T02:00:00Z");
    assert_eq!(due(&p, "accept"), "2026-12-07");
}

#[tokio::test]
async fn an_override_changes_the_preview_both_ways_and_removing_it_restores_it() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    // Thu 19/3/2026: 10 working days end Thu 2/4.
    let preview =
        "/api/v1/deadlines/preview?kind=complaint&received_at=2026-03-19T10:00:00%2B07:00";
    assert_eq!(due(&app.public_json(preview).await, "accept"), "2026-04-02");

    let res = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-03-21", &token)
        .header("Accept-Language", "en")
        .json(&json!({"working": true, "note": "Làm bù cho ngày 2/1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let day: Value = res.json().await.unwrap();
    assert_eq!(
        day,
        json!({"date": "2026-03-21", "working": true, "note": "Làm bù cho ngày 2/1", "source": "override"})
    );
    // Saturday 21/3 worked: one day earlier.
    assert_eq!(due(&app.public_json(preview).await, "accept"), "2026-04-01");

    // The same date again replaces the override; a bridge day off moves it back out.
    let res = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-03-20", &token)
        .json(&json!({"working": false, "note": "Nghỉ bù"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(due(&app.public_json(preview).await, "accept"), "2026-04-02");
    let res = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-03-20", &token)
        .json(&json!({"working": false, "note": "Nghỉ bù (sửa)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let days = app
        .public_json("/api/v1/calendar?from=2026-03-20&to=2026-03-20")
        .await;
    assert_eq!(days["days"][0]["note"], "Nghỉ bù (sửa)");

    for date in ["2026-03-20", "2026-03-21"] {
        let res = app
            .authed(
                Method::DELETE,
                &format!("/api/v1/admin/calendar/{date}"),
                &token,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    assert_eq!(due(&app.public_json(preview).await, "accept"), "2026-04-02");
    let res = app
        .authed(Method::DELETE, "/api/v1/admin/calendar/2026-03-21", &token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "override_not_found").await;

    // A holiday worked, then back to the holiday it was.
    let res = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-04-27", &token)
        .json(&json!({"working": true, "note": "Làm việc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .authed(Method::DELETE, "/api/v1/admin/calendar/2026-04-27", &token)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let day: Value = res.json().await.unwrap();
    assert_eq!(
        day,
        json!({"date": "2026-04-27", "working": false,
               "note": "Hung Kings' Commemoration Day (observed)", "source": "holiday"})
    );
    // No shipped holiday is deleted by removing overrides: an unknown date is not an override.
    let res = app
        .authed(Method::DELETE, "/api/v1/admin/calendar/2026-04-30", &token)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "override_not_found").await;

    let bad = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-02-30", &token)
        .json(&json!({"working": true, "note": "x".repeat(201)}))
        .send()
        .await
        .unwrap();
    let body = assert_problem(bad, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["/date", "/note"]);
    // The note may be left out.
    let ok = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-03-07", &token)
        .json(&json!({"working": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let day: Value = ok.json().await.unwrap();
    assert_eq!(day["working"], true);
}

#[tokio::test]
async fn an_override_of_a_holiday_survives_a_reload() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let res = app
        .authed(Method::PUT, "/api/v1/admin/calendar/2026-02-20", &token)
        .json(&json!({"working": true, "note": "Làm việc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let loaded = reload_reference(&app).await;
    assert_eq!(loaded.holidays, 0);
    let days = app
        .public_json("/api/v1/calendar?from=2026-02-20&to=2026-02-20")
        .await;
    assert_eq!(
        days["days"][0],
        json!({"date": "2026-02-20", "working": true, "note": "Làm việc", "source": "override"})
    );
}

#[tokio::test]
async fn the_calendar_lists_every_day_with_weekends_and_tet() {
    let app = TestApp::spawn().await;
    let days = app
        .public_json("/api/v1/calendar?from=2026-02-13&to=2026-02-23")
        .await;
    let list = days["days"].as_array().unwrap();
    assert_eq!(list.len(), 11);
    assert_eq!(
        list[0],
        json!({"date": "2026-02-13", "working": true, "note": null, "source": null})
    );
    assert_eq!(
        list[1],
        json!({"date": "2026-02-14", "working": false, "note": "Thứ Bảy", "source": null})
    );
    assert_eq!(list[2]["note"], "Chủ Nhật");
    for (i, day) in list[3..8].iter().enumerate() {
        assert_eq!(day["working"], false, "{day}");
        assert_eq!(day["source"], "holiday", "{day}");
        assert_eq!(day["date"], format!("2026-02-{}", 16 + i));
    }
    assert_eq!(list[4]["note"], "Tết Nguyên đán (mùng 1)");
    assert_eq!(list[10]["working"], true);

    let res = app
        .client
        .get(app.url("/api/v1/calendar?from=2026-02-14&to=2026-02-17"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let en: Value = res.json().await.unwrap();
    let notes: Vec<&str> = en["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["note"].as_str().unwrap())
        .collect();
    assert_eq!(
        notes,
        vec![
            "Saturday",
            "Sunday",
            "Lunar New Year's Eve",
            "Lunar New Year"
        ]
    );

    // A leap year is 366 days, the most one request lists.
    let year = app
        .public_json("/api/v1/calendar?from=2028-01-01&to=2028-12-31")
        .await;
    assert_eq!(year["days"].as_array().unwrap().len(), 366);
    let res = app
        .get("/api/v1/calendar?from=2027-01-01&to=2028-01-02")
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/to");
    assert_eq!(body["errors"][0]["code"], "range_too_long");
    let res = app
        .get("/api/v1/calendar?from=2026-03-01&to=2026-02-01")
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "before_from");
    let res = app
        .get("/api/v1/calendar?from=2026-3-1x&to=2026-02-01")
        .await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/from");
    assert_eq!(body["errors"][0]["code"], "invalid_date");
    let res = app.get("/api/v1/calendar?from=2026-03-01").await;
    let body = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["field"], "/to");
}

/// The `(field, code)` pairs of a 422.
async fn violations(res: reqwest::Response) -> Vec<(String, String)> {
    let body = assert_problem(res, 422, "validation_failed").await;
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert!(!e["message"].as_str().unwrap().is_empty());
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(f, c)| (f.to_string(), c.to_string()))
        .collect()
}

#[tokio::test]
async fn the_preview_refuses_times_without_an_offset_and_unknown_codes() {
    let app = TestApp::spawn().await;
    let res = app
        .get("/api/v1/deadlines/preview?kind=complaint&received_at=2026-02-13T10:00:00")
        .await;
    assert_eq!(
        violations(res).await,
        pairs(&[("/received_at", "offset_required")])
    );
    let res = app
        .get(
            "/api/v1/deadlines/preview?kind=complaint&received_at=2026-02-13T10:00:00Z\
             &accepted_at=2026-02-12T10:00:00Z",
        )
        .await;
    assert_eq!(
        violations(res).await,
        pairs(&[("/accepted_at", "before_received")])
    );
    let res = app
        .get("/api/v1/deadlines/preview?kind=feedback&round=2&accepted_at=soon")
        .await;
    assert_eq!(
        violations(res).await,
        pairs(&[
            ("/round", "round_only_for_complaints"),
            ("/accepted_at", "invalid_datetime")
        ])
    );
    let res = app
        .get("/api/v1/deadlines/preview?kind=feedback&category=nope&area_code=99999")
        .await;
    assert_eq!(
        violations(res).await,
        pairs(&[
            ("/category", "unknown_category"),
            ("/area_code", "unknown_area")
        ])
    );
    let res = app.get("/api/v1/deadlines/preview?kind=gripe").await;
    assert_eq!(violations(res).await, pairs(&[("/kind", "invalid_value")]));
    let res = app
        .get("/api/v1/deadlines/preview?kind=complaint&round=3")
        .await;
    assert_eq!(violations(res).await, pairs(&[("/round", "out_of_range")]));
}

#[tokio::test]
async fn a_category_policy_beats_the_kinds_default_for_it_and_its_subcategories() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    make_category(&app, "roads", None, false).await;
    make_category(&app, "potholes", Some("roads"), false).await;
    make_category(&app, "lights", None, false).await;
    make_category(&app, "flood", None, true).await;

    let res = app
        .authed(Method::POST, "/api/v1/admin/sla-policies", &token)
        .json(&json!({
            "name": "Đường bộ: 5 ngày làm việc",
            "kind": "feedback",
            "category": "roads",
            "clocks": [{"name": "resolve", "starts_at": "receipt", "counting": "working_days",
                        "lengths": {"normal": 5}}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();

    let preview = |category: &str| {
        format!(
            "/api/v1/deadlines/preview?kind=feedback&category={category}\
             &received_at=2026-03-19T10:00:00%2B07:00"
        )
    };
    for category in ["roads", "potholes"] {
        let p = app.public_json(&preview(category)).await;
        assert_eq!(p["policy"]["id"], id, "{category}");
        assert_eq!(p["category"], category);
        assert_eq!(p["clocks"].as_array().unwrap().len(), 1);
        // Thu 19/3: 20, 23, 24, 25, 26/3.
        assert_eq!(due(&p, "resolve"), "2026-03-26", "{category}");
    }
    let p = app.public_json(&preview("lights")).await;
    assert_ne!(p["policy"]["id"], id);
    assert!(
        p["policy"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Phản ánh (")
    );
    assert_eq!(due(&p, "resolve"), "2026-04-08");
    let p = app.public_json(&preview("flood")).await;
    assert_eq!(p["urgent"], true);
    assert!(
        p["policy"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Phản ánh khẩn cấp")
    );
    assert_eq!(due(&p, "resolve"), "2026-03-20");

    // Deactivated, it is no longer chosen.
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let p = app.public_json(&preview("potholes")).await;
    assert_ne!(p["policy"]["id"], id);
}

fn valid_policy() -> Value {
    json!({
        "name": "Khiếu nại về đất đai",
        "kind": "complaint",
        "round": 1,
        "channel": "post",
        "clocks": [
            {"name": "accept", "starts_at": "receipt", "counting": "working_days",
             "lengths": {"normal": 7}},
            {"name": "resolve", "starts_at": "acceptance", "counting": "calendar_days",
             "lengths": {"normal": 30, "complex": 45, "remote": 45, "complex_remote": 60},
             "extensions": {"allowed": 1, "max_days": 15}}
        ]
    })
}

#[tokio::test]
async fn policies_are_created_read_listed_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let res = app
        .authed(Method::POST, "/api/v1/admin/sla-policies", &token)
        .header("Idempotency-Key", "create-policy-0001")
        .json(&valid_policy())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["name"], "Khiếu nại về đất đai");
    assert_eq!(created["round"], 1);
    assert_eq!(created["channel"], "post");
    assert_eq!(created["category"], Value::Null);
    assert_eq!(created["urgent"], false);
    assert_eq!(created["active"], true);
    assert_eq!(created["created_at"], "2026-11-23T02:00:00Z");
    assert_eq!(
        created["clocks"][0],
        json!({"name": "accept", "starts_at": "receipt", "counting": "working_days",
               "lengths": {"normal": 7, "complex": null, "remote": null, "complex_remote": null},
               "extensions": {"allowed": 0, "max_days": 0}})
    );
    assert_eq!(
        created["clocks"][1]["extensions"],
        json!({"allowed": 1, "max_days": 15})
    );
    // A retry with the same key gets the same policy, not a second one.
    let again = app
        .authed(Method::POST, "/api/v1/admin/sla-policies", &token)
        .header("Idempotency-Key", "create-policy-0001")
        .json(&valid_policy())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], id);

    let one = app
        .authed(
            Method::GET,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
    assert_eq!(one.json::<Value>().await.unwrap(), created);

    // It applies to complaints received by post.
    let p = app
        .public_json(
            "/api/v1/deadlines/preview?kind=complaint&channel=post\
         &received_at=2026-03-19T10:00:00%2B07:00",
        )
        .await;
    assert_eq!(p["policy"]["id"], id);
    assert_eq!(due(&p, "accept"), "2026-03-30");

    // Pages of 3 over the 8 defaults and the new one.
    let mut ids = Vec::new();
    let mut path = "/api/v1/admin/sla-policies?limit=3".to_string();
    loop {
        let page = app.get_json(&token, &path).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        ids.extend(items.iter().map(|p| p["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/admin/sla-policies?limit=3&after={c}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), 9);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ids.last(), Some(&id));
    let complaints = app
        .get_json(&token, "/api/v1/admin/sla-policies?kind=complaint")
        .await;
    assert_eq!(complaints["items"].as_array().unwrap().len(), 3);
    let res = app
        .authed(Method::GET, "/api/v1/admin/sla-policies?limit=0", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(violations(res).await, pairs(&[("/limit", "out_of_range")]));

    app.clock.advance(chrono::Duration::minutes(10));
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .json(&json!({"channel": null, "round": 2, "clocks": [
            {"name": "resolve", "starts_at": "acceptance", "counting": "calendar_days",
             "lengths": {"normal": 50}}
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["channel"], Value::Null);
    assert_eq!(changed["round"], 2);
    assert_eq!(changed["name"], "Khiếu nại về đất đai");
    assert_eq!(changed["clocks"].as_array().unwrap().len(), 1);
    assert_eq!(changed["created_at"], "2026-11-23T02:00:00Z");
    assert_eq!(changed["updated_at"], "2026-11-23T02:10:00Z");

    // The merged policy is checked as a whole.
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .json(&json!({"kind": "petition", "name": " "}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        violations(res).await,
        pairs(&[
            ("/name", "required"),
            ("/round", "round_only_for_complaints")
        ])
    );

    let res = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    for method in [Method::GET, Method::DELETE] {
        let res = app
            .authed(method, &format!("/api/v1/admin/sla-policies/{id}"), &token)
            .send()
            .await
            .unwrap();
        assert_problem(res, 404, "policy_not_found").await;
    }
    let res = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/sla-policies/{id}"),
            &token,
        )
        .json(&json!({"urgent": true}))
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "policy_not_found").await;
}

#[tokio::test]
async fn invalid_policies_are_refused_with_a_pointer_to_each_field() {
    let app = TestApp::spawn().await;
    let token = app.admin().await;
    let post = |body: Value| {
        app.authed(Method::POST, "/api/v1/admin/sla-policies", &token)
            .json(&body)
            .send()
    };

    let mut body = valid_policy();
    body["kind"] = json!("feedback");
    body["name"] = json!("");
    body["clocks"][1]["lengths"]["normal"] = json!(5000);
    body["clocks"][1]["lengths"]["complex_remote"] = json!(3661);
    body["clocks"][1]["extensions"] = json!({"allowed": 2, "max_days": 0});
    body["clocks"][0]["starts_at"] = json!("acceptance");
    body["clocks"].as_array_mut().unwrap().push(
        json!({"name": "resolve", "starts_at": "receipt", "counting": "calendar_days",
                     "lengths": {"normal": 20}}),
    );
    assert_eq!(
        violations(post(body).await.unwrap()).await,
        pairs(&[
            ("/name", "required"),
            ("/round", "round_only_for_complaints"),
            ("/clocks/0/starts_at", "must_start_at_receipt"),
            ("/clocks/1/lengths/normal", "out_of_range"),
            ("/clocks/1/lengths/complex_remote", "out_of_range"),
            ("/clocks/1/extensions/max_days", "out_of_range"),
            ("/clocks/2/name", "duplicate_clock"),
        ])
    );

    let mut body = valid_policy();
    body["clocks"] = json!([]);
    assert_eq!(
        violations(post(body).await.unwrap()).await,
        pairs(&[("/clocks", "required")])
    );

    // Shapes serde refuses: an unknown clock name, an unknown field, a negative length.
    let mut body = valid_policy();
    body["clocks"][1]["name"] = json!("appeal");
    assert_eq!(
        violations(post(body).await.unwrap()).await,
        pairs(&[("/clocks/1/name", "invalid_value")])
    );
    let mut body = valid_policy();
    body["clocks"][0]["lengths"]["normall"] = json!(3);
    assert_eq!(
        violations(post(body).await.unwrap()).await,
        pairs(&[("/clocks/0/lengths/normall", "unknown_field")])
    );
    let mut body = valid_policy();
    body["clocks"][0]["lengths"]["normal"] = json!(-1);
    assert_eq!(
        violations(post(body).await.unwrap()).await,
        pairs(&[("/clocks/0/lengths/normal", "invalid_value")])
    );
    let mut body = valid_policy();
    body["category"] = json!("no-such-category");
    assert_eq!(
        violations(post(body).await.unwrap()).await,
        pairs(&[("/category", "unknown_category")])
    );
    let res = app
        .authed(Method::POST, "/api/v1/admin/sla-policies", &token)
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, "malformed_json").await;

    let list = app.get_json(&token, "/api/v1/admin/sla-policies").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 8, "nothing stored");
}

#[tokio::test]
async fn every_admin_route_needs_an_admin() {
    let app = TestApp::spawn().await;
    let unit = app.make_unit("UBND-TEST").await;
    let mut tokens = Vec::new();
    for (role, unit) in [
        (Role::Citizen, None),
        (Role::Official, Some(unit)),
        (Role::Supervisor, Some(unit)),
    ] {
        tokens.push(app.token_for(role, unit).await.1);
    }
    let day = json!({"working": true, "note": "Làm bù"});
    let routes = [
        (
            Method::POST,
            "/api/v1/admin/sla-policies",
            Some(valid_policy()),
        ),
        (Method::GET, "/api/v1/admin/sla-policies", None),
        (Method::GET, "/api/v1/admin/sla-policies/1", None),
        (
            Method::PATCH,
            "/api/v1/admin/sla-policies/1",
            Some(json!({"active": false})),
        ),
        (Method::DELETE, "/api/v1/admin/sla-policies/1", None),
        (
            Method::PUT,
            "/api/v1/admin/calendar/2026-03-21",
            Some(day.clone()),
        ),
        (Method::DELETE, "/api/v1/admin/calendar/2026-03-21", None),
    ];
    for (method, path, body) in &routes {
        let mut anonymous = app.client.request(method.clone(), app.url(path));
        if let Some(body) = body {
            anonymous = anonymous.json(body);
        }
        let res = anonymous.send().await.unwrap();
        assert_problem(res, 401, "unauthenticated").await;
        for token in &tokens {
            let mut req = app.authed(method.clone(), path, token);
            if let Some(body) = body {
                req = req.json(body);
            }
            let res = req.send().await.unwrap();
            assert_problem(res, 403, "action_forbidden").await;
        }
    }
    // Nothing changed: the defaults are all there and 21/3 is still a Saturday off.
    let token = app.admin().await;
    let list = app.get_json(&token, "/api/v1/admin/sla-policies").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 8);
    assert_eq!(list["items"][0]["active"], true);
    let days = app
        .public_json("/api/v1/calendar?from=2026-03-21&to=2026-03-21")
        .await;
    assert_eq!(days["days"][0]["working"], false);
}

#[tokio::test]
async fn the_deadline_routes_are_documented() {
    let app = TestApp::spawn().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    let paths = doc["paths"].as_object().unwrap();
    for (path, method, tag) in [
        ("/api/v1/calendar", "get", "deadlines"),
        ("/api/v1/deadlines/preview", "get", "deadlines"),
        ("/api/v1/admin/sla-policies", "post", "admin"),
        ("/api/v1/admin/sla-policies", "get", "admin"),
        ("/api/v1/admin/sla-policies/{id}", "get", "admin"),
        ("/api/v1/admin/sla-policies/{id}", "patch", "admin"),
        ("/api/v1/admin/sla-policies/{id}", "delete", "admin"),
        ("/api/v1/admin/calendar/{date}", "put", "admin"),
        ("/api/v1/admin/calendar/{date}", "delete", "admin"),
    ] {
        let op = &paths[path][method];
        assert_eq!(op["tags"][0], tag, "{method} {path}");
    }
    for schema in [
        "PolicyView",
        "ClockBody",
        "Preview",
        "ClockPreview",
        "CalendarDays",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}
