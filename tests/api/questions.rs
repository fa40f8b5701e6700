//! Questions to the submitter that never get an answer, and submitters without an account:
//! an official withdraws the question, the sweep withdraws one left too long, a late answer is
//! kept; a desk ticket's receipt secret opens every submitter action.

use chrono::{DateTime, Utc};
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{at_the_desk, clock, code_of, kinds};
use crate::helpers::{TestApp, assert_problem};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// A ticket accepted by the commune and waiting for its citizen's answer.
async fn waiting(app: &TestApp) -> (String, String, String, crate::helpers::TestUser) {
    let (official_user, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    let citizen = app.citizen().await;
    let code = app.submit_pothole(&citizen).await;
    app.accept(&official, &code).await;
    let t = app
        .request_info(&official, &code, "Bên trái hay bên phải?")
        .await;
    assert_eq!(t["status"], "awaiting_info");
    assert_eq!(clock(&t, "resolve")["state"], "paused");
    (code, official, citizen, official_user)
}

#[tokio::test]
async fn an_official_withdraws_a_question_and_a_late_answer_is_kept() {
    let app = TestApp::builder().long_tokens().demo().await;
    let (code, official, citizen, _) = waiting(&app).await;
    // Only the unit withdraws its question.
    assert_problem(
        app.act(&citizen, &code, "resume", json!({"reason": "x"}))
            .await,
        403,
        "action_forbidden",
    )
    .await;
    let t = app
        .act_ok(
            &official,
            &code,
            "resume",
            json!({"reason": "Đã xác minh tại chỗ."}),
        )
        .await;
    assert_eq!(t["status"], "accepted", "back to the state before");
    assert_eq!(clock(&t, "resolve")["state"], "running");
    let events = app.timeline(&citizen, &code).await;
    assert_eq!(kinds(&events).last(), Some(&"info_request_withdrawn"));
    // The citizen hears of it (in the app; the mail is checked in the sweep's test).
    let list = app.get_json(&citizen, "/api/v1/me/notifications").await;
    assert_eq!(
        list["items"][0]["event"], "ticket_question_withdrawn",
        "{list}"
    );
    // A late answer is still taken, as a comment: the state and the clocks stay.
    let t = app
        .provide_info(&citizen, &code, "Bên phải, gần cột điện.")
        .await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(clock(&t, "resolve")["state"], "running");
    let events = app.timeline(&official, &code).await;
    let late = events.last().unwrap();
    assert_eq!(late["kind"], "info_provided_late");
    assert_eq!(late["text"], "Bên phải, gần cột điện.");
    assert_eq!(late["public"], true);
    // Once: a second answer has no question left.
    assert_problem(
        app.act(&citizen, &code, "provide_info", json!({"answer": "Nữa."}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn a_question_left_unanswered_fifteen_working_days_is_withdrawn_by_the_sweep() {
    let app = TestApp::builder().long_tokens().demo().await;
    // Asked on Monday 23/11/2026 (09:00 local): fifteen working days end with Monday 14/12.
    let (code, official, citizen, official_user) = waiting(&app).await;
    app.clock.set(at("2026-12-14T16:59:00Z"));
    app.run_jobs().await;
    assert_eq!(app.ticket(&citizen, &code).await["status"], "awaiting_info");
    app.clock.set(at("2026-12-14T17:00:01Z"));
    app.run_jobs().await;
    let t = app.ticket(&citizen, &code).await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(clock(&t, "resolve")["state"], "running");
    let events = app.timeline(&official, &code).await;
    let expired = events.last().unwrap();
    assert_eq!(expired["kind"], "info_wait_expired");
    assert!(expired["actor_id"].is_null(), "nghedan did it: {expired}");
    // Both sides are told, by mail.
    let to_unit = app.mails_to(&official_user.email).await;
    assert!(
        to_unit.iter().any(|m| m.subject.contains(&code)
            && m.subject.contains("hết thời gian chờ người gửi")),
        "{:?}",
        to_unit.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    let citizen_mail: Vec<String> = app
        .mails()
        .into_iter()
        .filter(|m| !m.to.contains(&official_user.email))
        .map(|m| m.subject)
        .collect();
    assert!(
        citizen_mail
            .iter()
            .any(|s| s.contains("hết thời gian chờ bổ sung thông tin")),
        "{citizen_mail:?}"
    );
    // The next pass does nothing more.
    let pass = app.run_jobs().await;
    assert_eq!(pass.swept.questions_expired, 0);
}

#[tokio::test]
async fn a_desk_tickets_receipt_secret_opens_every_submitter_action() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    // The desk petition, without an email address.
    let mut body = at_the_desk();
    body.as_object_mut().unwrap().remove("submitter_email");
    let send = || {
        app.authed(Method::POST, "/api/v1/tickets", &official)
            .header("Idempotency-Key", "desk-receipt-0001")
            .json(&body)
            .send()
    };
    let t: Value = send().await.unwrap().json().await.unwrap();
    let code = code_of(&t);
    let first = t["tracking_secret"].as_str().unwrap().to_string();
    // A retried desk submission prints a fresh secret for the same ticket, replacing the old.
    let again: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(again["code"], code.as_str());
    let secret = again["tracking_secret"].as_str().unwrap().to_string();
    assert_ne!(secret, first);
    let as_submitter = |method: Method, path: String| app.with_secret(method, &path, &secret);
    let r = as_submitter(Method::GET, format!("/api/v1/tickets/{code}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let old = app
        .with_secret(Method::GET, &format!("/api/v1/tickets/{code}"), &first)
        .send()
        .await
        .unwrap();
    assert_problem(old, 404, "ticket_not_found").await;
    let act = |action: &str, body: Value| {
        as_submitter(Method::POST, format!("/api/v1/tickets/{code}/{action}"))
            .json(&body)
            .send()
    };

    app.accept(&official, &code).await;
    app.request_info(&official, &code, "Số điện thoại khác?")
        .await;
    // The submitter answers with the receipt's secret.
    let r = act("provide_info", json!({"answer": "Không có số khác."}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let back: Value = r.json().await.unwrap();
    assert_eq!(back["status"], "accepted");
    // Or comes back in person, and the official records the answer on their behalf.
    app.request_info(&official, &code, "Địa chỉ?").await;
    let t = app
        .act_ok(
            &official,
            &code,
            "provide_info",
            json!({"answer": "Số 3 đường Hoà Bình.", "on_behalf": true}),
        )
        .await;
    assert_eq!(t["status"], "accepted");
    let events = app.timeline(&official, &code).await;
    let recorded = events.last().unwrap();
    assert_eq!(recorded["kind"], "info_provided");
    assert_eq!(recorded["data"]["on_behalf"], true);
    assert_eq!(recorded["actor_role"], "official");
    app.act_ok(
        &official,
        &code,
        "resolve",
        json!({"answer": "Đồng ý thử nghiệm.", "publish": true}),
    )
    .await;
    // Rate, reopen and withdraw with the secret.
    let r = as_submitter(Method::POST, format!("/api/v1/tickets/{code}/rating"))
        .json(&json!({"score": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = act("reopen", json!({"reason": "Chưa thực hiện."}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = act("withdraw", json!({"reason": "Không cần nữa."}))
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "withdrawn", "{v}");

    // A citizen cannot claim to answer on someone's behalf.
    let citizen = app.citizen().await;
    let own = app.submit_pothole(&citizen).await;
    app.request_info(&official, &own, "?").await;
    assert_problem(
        app.act(
            &citizen,
            &own,
            "provide_info",
            json!({"answer": "a", "on_behalf": true}),
        )
        .await,
        403,
        "action_forbidden",
    )
    .await;
}

#[tokio::test]
async fn a_desk_complaint_appeals_with_its_receipt_and_the_secret_follows() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("SNNMT-92").await;
    let body = json!({"kind": "complaint", "category": "thu-hoi-boi-thuong",
        "title": "Bồi thường không đúng", "description": "Tính sai diện tích.",
        "area_code": "31135", "channel": "post", "submitter_name": "Lê Văn Tám",
        "contested": {"type": "decision", "number": "9/QĐ-UBND", "date": "2026-10-01",
            "issuer": "UBND Phường Ninh Kiều", "learned_on": "2026-10-05"}});
    let t: Value = app
        .authed(Method::POST, "/api/v1/tickets", &official)
        .header("Idempotency-Key", "desk-complaint-0001")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = code_of(&t);
    let secret = t["tracking_secret"].as_str().unwrap().to_string();
    app.accept(&official, &code).await;
    app.resolve(&official, &code, "Giữ nguyên.").await;
    let r = app
        .with_secret(
            Method::POST,
            &format!("/api/v1/tickets/{code}/appeal"),
            &secret,
        )
        .json(&json!({"reason": "Không đồng ý."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let second: Value = r.json().await.unwrap();
    let second_code = second["code"].as_str().unwrap();
    assert_eq!(second["round"], 2);
    let r = app
        .with_secret(
            Method::GET,
            &format!("/api/v1/tickets/{second_code}"),
            &secret,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the receipt follows its second round");
}

#[tokio::test]
async fn a_withdrawn_question_ends_the_pause_that_reports_leave_out() {
    use chrono::Duration;
    let app = TestApp::builder().long_tokens().demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    // Received and asked on Monday 23/11 at 09:00 local, withdrawn at 12:00, answered at
    // 14:00: 5 h from receipt to answer, 3 h of them paused.
    let (code, official, _, _) = waiting(&app).await;
    app.clock.advance(Duration::hours(3));
    app.act_ok(&official, &code, "resume", json!({"reason": "Đã rõ."}))
        .await;
    app.clock.advance(Duration::hours(2));
    app.resolve(&official, &code, "Đã vá.").await;
    let admin = app.admin().await;
    let r = app
        .get_json(
            &admin,
            &format!("/api/v1/reports/response-times?from=2026-11-23&to=2026-11-23&unit_id={unit}"),
        )
        .await;
    assert_eq!(
        r["totals"]["time_to_resolve"]["hours"]["max"], 2.0,
        "received 02:00Z, answered 07:00Z, paused 02:00Z to 05:00Z: {r}"
    );
}
