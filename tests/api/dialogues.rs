//! Dialogues and voter meetings: scheduled by a unit (residents told), questions before it
//! supported once each and listed most supported first without their authors, answers with a
//! commitment on the follow-up engine (reminded, escalated; its miss and its keeping told to
//! those who took part) and a voter's petition routed as a ticket, the minutes published once,
//! and everyone who took part told.

use chrono::{DateTime, Utc};
use nghedan::domain::account::Role;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn send(app: &TestApp, path: &str, token: &str, body: Value) -> Response {
    app.authed(Method::POST, path, token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn ok(r: Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

fn session(starts_at: &str, area: &str) -> Value {
    json!({"kind": "dialogue", "title": "Đối thoại về chiếu sáng và đường ngõ",
        "topic": "Chiếu sáng công cộng, sửa đường ngõ 5.", "area_codes": [area],
        "starts_at": starts_at, "place": "Nhà văn hóa khu vực 3",
        "hosts": ["Chủ tịch UBND phường Ninh Kiều"]})
}

/// The subjects of the mails `email` received so far (no job pass).
fn subjects(app: &TestApp, email: &str) -> Vec<String> {
    app.mails()
        .into_iter()
        .filter(|m| m.to.iter().any(|t| t == email))
        .map(|m| m.subject)
        .collect()
}

#[tokio::test]
async fn a_dialogue_from_its_schedule_to_its_minutes_and_commitments() {
    let app = TestApp::builder().long_tokens().demo().await;
    let (_, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (resident, resident_token) = app.token_for(Role::Citizen, None).await;
    app.submit_pothole(&resident_token).await;
    let (stranger, _) = app.token_for(Role::Citizen, None).await;

    // Scheduling: the unit's officials, a future start, known areas.
    let citizen = app.citizen().await;
    let supervisor = app.supervisor_of("UBND-X31135").await;
    for token in [&citizen, &supervisor] {
        assert_problem(
            send(
                &app,
                "/api/v1/dialogues",
                token,
                session("2026-11-30T01:00:00Z", "31135"),
            )
            .await,
            403,
            "action_forbidden",
        )
        .await;
    }
    let p = assert_problem(
        send(
            &app,
            "/api/v1/dialogues",
            &official,
            session("2026-11-20T01:00:00Z", "31135"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/starts_at");
    let p = assert_problem(
        send(
            &app,
            "/api/v1/dialogues",
            &official,
            session("2026-11-30T01:00:00Z", "99999"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/area_codes/0");
    let d = ok(
        send(
            &app,
            "/api/v1/dialogues",
            &official,
            session("2026-11-30T01:00:00Z", "31135"),
        )
        .await,
        201,
    )
    .await;
    let id = d["id"].as_i64().unwrap();
    assert_eq!(d["unit"]["code"], "UBND-X31135");
    assert!(d["minutes"].is_null());
    // The residents of the area are told; others are not.
    app.run_jobs().await;
    let told = subjects(&app, &resident.email);
    assert!(
        told.contains(&"Đối thoại với người dân: Đối thoại về chiếu sáng và đường ngõ".to_string()),
        "{told:?}"
    );
    assert!(subjects(&app, &stranger.email).is_empty());
    // Public lists: the commune, its province.
    for area in ["31135", "92"] {
        let l = app
            .public_json(&format!("/api/v1/dialogues?area_code={area}"))
            .await;
        assert_eq!(l["items"][0]["id"], id, "{area}");
    }

    // Questions before it; each supported once; most supported first; never who asked.
    let (a, a_token) = app.token_for(Role::Citizen, None).await;
    let (b, b_token) = app.token_for(Role::Citizen, None).await;
    let (c, c_token) = app.token_for(Role::Citizen, None).await;
    let questions = format!("/api/v1/dialogues/{id}/questions");
    let q1 = ok(
        send(
            &app,
            &questions,
            &a_token,
            json!({"body": "Khi nào làm đường ngõ 7?"}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let q2 = ok(
        send(
            &app,
            &questions,
            &b_token,
            json!({"body": "Đèn đường tổ 5 hỏng ba tháng nay."}),
        )
        .await,
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    assert_problem(
        send(&app, &questions, &official, json!({"body": "x"})).await,
        403,
        "action_forbidden",
    )
    .await;
    let support = |q: i64| format!("/api/v1/dialogues/{id}/questions/{q}/support");
    for (token, q) in [(&c_token, q2), (&a_token, q2), (&b_token, q1)] {
        ok(send(&app, &support(q), token, json!({})).await, 200).await;
    }
    assert_problem(
        send(&app, &support(q2), &a_token, json!({})).await,
        409,
        "already_supported",
    )
    .await;
    assert_problem(
        send(
            &app,
            &format!("/api/v1/dialogues/{id}/questions/999999/support"),
            &a_token,
            json!({}),
        )
        .await,
        404,
        "question_not_found",
    )
    .await;
    let listed = app.public_json(&questions).await;
    let order: Vec<(i64, i64)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["id"].as_i64().unwrap(), q["supporters"].as_i64().unwrap()))
        .collect();
    assert_eq!(order, vec![(q2, 2), (q1, 1)]);
    let text = listed.to_string();
    assert!(!text.contains("user_id") && !text.contains(&a.email));

    // Answers: a commitment on the follow-up engine; a petition for another unit as a ticket.
    let answer = |q: i64| format!("/api/v1/dialogues/{id}/questions/{q}/answer");
    let outsider = app.official_of("SXD-92").await;
    assert_problem(
        send(&app, &answer(q2), &outsider, json!({"answer": "x"})).await,
        403,
        "action_forbidden",
    )
    .await;
    let answered = ok(
        send(
            &app,
            &answer(q2),
            &official,
            json!({"answer": "Phường sẽ thay đèn.",
                "commitment": {"title": "Sửa đèn đường tổ 5", "due_date": "2026-12-31"}}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(answered["commitment"]["title"], "Sửa đèn đường tổ 5");
    assert_eq!(answered["commitment"]["due_at"], "2026-12-31T16:59:59Z");
    let follow_up = answered["commitment"]["follow_up_id"].as_i64().unwrap();
    assert_problem(
        send(&app, &answer(q2), &official, json!({"answer": "Lần nữa"})).await,
        409,
        "already_answered",
    )
    .await;
    let petition = ok(
        send(
            &app,
            &answer(q1),
            &official,
            json!({"answer": "Đường ngõ 7 do Sở Xây dựng quản lý; kiến nghị được chuyển đi.",
                "petition": {"category": "xay-dung", "title": "Làm đường ngõ 7",
                    "description": "Cử tri kiến nghị làm lại đường ngõ 7.", "area_code": "31135"}}),
        )
        .await,
        200,
    )
    .await;
    let code = petition["ticket_code"].as_str().unwrap().to_string();
    let t = app.ticket(&a_token, &code).await;
    assert_eq!(t["kind"], "petition");
    assert_eq!(t["channel"], "in_person");
    assert_eq!(t["unit"]["code"], "SXD-92", "routed as usual");
    // Those who asked and supported hear the answer, once each.
    app.run_jobs().await;
    for user in [&a, &b, &c] {
        let s = subjects(&app, &user.email);
        let n = s
            .iter()
            .filter(|s| s.starts_with("Đã trả lời câu hỏi"))
            .count();
        assert_eq!(n, if user.email == c.email { 1 } else { 2 }, "{s:?}");
    }

    // The commitment is the unit's follow-up: listed, reminded at 75 %, escalated on a miss.
    let (board, _) = app.staff_of(Role::Supervisor, "UBND-T92").await;
    let mine = app.get_json(&official, "/api/v1/follow-ups").await;
    assert_eq!(mine["items"][0]["id"], follow_up);
    assert_eq!(mine["items"][0]["subject"], "dialogue_commitment");
    assert_eq!(mine["items"][0]["title"], "Sửa đèn đường tổ 5");
    app.clock.set(at("2026-12-23T03:00:00Z"));
    assert_eq!(app.run_jobs().await.swept.follow_ups.reminders, 1);
    app.clock.set(at("2027-01-01T00:00:00Z"));
    assert_eq!(app.run_jobs().await.swept.follow_ups.overdue, 1);
    app.run_jobs().await;
    let s = subjects(&app, &board.email);
    assert!(
        s.iter().any(|s| s == "Quá hạn: Sửa đèn đường tổ 5"),
        "{s:?}"
    );
    // Those who asked and supported hear of the miss, then of the commitment kept, once each.
    let heard = |app: &TestApp, prefix: &str| -> Vec<usize> {
        [&a, &b, &c]
            .iter()
            .map(|u| {
                subjects(app, &u.email)
                    .iter()
                    .filter(|s| s.starts_with(prefix))
                    .count()
            })
            .collect()
    };
    assert_eq!(
        heard(&app, "Quá hạn cam kết: Sửa đèn đường tổ 5"),
        vec![1, 1, 1]
    );
    ok(
        send(
            &app,
            &format!("/api/v1/follow-ups/{follow_up}/done"),
            &official,
            json!({"note": "Đã thay 4 bóng đèn ngày 2/1."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(app.run_jobs().await.swept.commitment_outcomes, 1);
    assert_eq!(app.run_jobs().await.swept.commitment_outcomes, 0);
    assert_eq!(
        heard(&app, "Đã thực hiện cam kết: Sửa đèn đường tổ 5"),
        vec![1, 1, 1]
    );
    assert_eq!(heard(&app, "Quá hạn cam kết"), vec![1, 1, 1]);

    // After the start: no more questions or support. The minutes, once; all told.
    assert_problem(
        send(&app, &questions, &c_token, json!({"body": "Muộn"})).await,
        409,
        "dialogue_started",
    )
    .await;
    assert_problem(
        send(&app, &support(q1), &c_token, json!({})).await,
        409,
        "dialogue_started",
    )
    .await;
    let minutes = format!("/api/v1/dialogues/{id}/minutes");
    assert_problem(
        send(&app, &minutes, &outsider, json!({"minutes": "x"})).await,
        403,
        "action_forbidden",
    )
    .await;
    let d = ok(
        send(
            &app,
            &minutes,
            &official,
            json!({"minutes": "Biên bản: 2 câu hỏi, 1 cam kết."}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(d["minutes"], "Biên bản: 2 câu hỏi, 1 cam kết.");
    assert_problem(
        send(&app, &minutes, &official, json!({"minutes": "Sửa lại"})).await,
        409,
        "minutes_published",
    )
    .await;
    let public = app.public_json(&format!("/api/v1/dialogues/{id}")).await;
    assert_eq!(public["minutes"], "Biên bản: 2 câu hỏi, 1 cam kết.");
    app.run_jobs().await;
    for user in [&a, &b, &c] {
        let s = subjects(&app, &user.email);
        assert_eq!(
            s.iter().filter(|s| s.starts_with("Biên bản:")).count(),
            1,
            "{s:?}"
        );
    }
    assert!(
        !subjects(&app, &resident.email)
            .iter()
            .any(|s| s.starts_with("Biên bản:"))
    );
}
