//! Tickets end to end: submit, read, the workflow, privacy and concurrency.

use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{
    anonymous_pothole, at_the_desk, bribery, clock, code_of, kinds, petition, pothole,
};
use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn a_pothole_from_report_to_rating() {
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (official_user, official) = app.staff_of(Role::Official, "UBND-X31135").await;

    let t = app.submit_ok(Some(&citizen), &pothole()).await;
    let code = code_of(&t);
    assert!(code.starts_with("PAKN.20261123."), "{code}");
    assert_eq!(code.len(), "PAKN.20261123.0001".len());
    assert_eq!(t["status"], "submitted");
    assert_eq!(t["kind"], "feedback");
    assert_eq!(t["unit"]["code"], "UBND-X31135");
    assert_eq!(t["round"], 1);
    assert_eq!(t["overdue"], false);
    assert_eq!(t["visibility"], "private");
    assert_eq!(t["channel"], "app");
    assert!(t["assignee_id"].is_null());
    assert!(t["created_at"].is_string());
    // Feedback: answered 20 days from receipt (2026-12-13, a Sunday → Monday 14th).
    let resolve = clock(&t, "resolve");
    assert_eq!(resolve["state"], "running");
    assert_eq!(resolve["due_local_date"], "2026-12-14");
    assert_eq!(resolve["due_at"], "2026-12-14T16:59:59Z");
    assert_eq!(clock(&t, "update")["state"], "running");
    assert_eq!(t["submitter"]["user_id"], citizen_user.id);

    // The citizen is told, with the code and the due date; the unit's officials too.
    let to_citizen = app.mails_to(&citizen_user.email).await;
    assert_eq!(to_citizen.len(), 1);
    assert!(to_citizen[0].subject.contains(&code));
    assert!(
        to_citizen[0].text.contains("14/12/2026"),
        "{}",
        to_citizen[0].text
    );
    let to_official = app.mails_to(&official_user.email).await;
    assert_eq!(to_official.len(), 1);
    assert!(to_official[0].subject.contains(&code));

    // Accept → public (feedback, not private).
    let t = app.accept(&official, &code).await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["visibility"], "public");
    // Ask for more; the clocks pause.
    app.clock.advance(chrono::Duration::days(2));
    let official = app.relogin(&official_user).await;
    let t = app
        .request_info(&official, &code, "Ổ gà ở bên trái hay phải đường?")
        .await;
    assert_eq!(t["status"], "awaiting_info");
    assert_eq!(clock(&t, "resolve")["state"], "paused");
    let question = app.mails_to(&citizen_user.email).await;
    assert!(question.last().unwrap().text.contains("bên trái hay phải"));
    // The citizen answers five days later: the clock resumes with the remaining time.
    app.clock.advance(chrono::Duration::days(5));
    let official = app.relogin(&official_user).await;
    let citizen = app.relogin(&citizen_user).await;
    let t = app
        .provide_info(&citizen, &code, "Bên phải, gần cột điện.")
        .await;
    assert_eq!(t["status"], "accepted");
    let resolve = clock(&t, "resolve");
    assert_eq!(resolve["state"], "running");
    // Received 23/11, paused 25/11 (2 days used), resumed 30/11: 18 days left → 18/12.
    assert_eq!(resolve["due_local_date"], "2026-12-18");
    // Resolve, publishing the answer.
    let t = app
        .act_ok(
            &official,
            &code,
            "resolve",
            json!({"answer": "Đã vá ổ gà ngày 30/11.", "publish": true}),
        )
        .await;
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["answer"], "Đã vá ổ gà ngày 30/11.");
    assert_eq!(t["answer_public"], true);
    assert_eq!(clock(&t, "resolve")["state"], "met");
    // The citizen rates it, once.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/rating"),
            &citizen,
        )
        .json(&json!({"score": 5, "comment": "Nhanh, cảm ơn."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["rating"], 5);
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/rating"),
            &citizen,
        )
        .json(&json!({"score": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "already_rated").await;
    // The timeline: public events for the citizen, internal ones too for staff.
    assert_eq!(
        app.event_kinds(&citizen, &code).await,
        vec![
            "submitted",
            "accepted",
            "info_requested",
            "info_provided",
            "resolved",
            "rated"
        ]
    );
    let answered = app.mails_to(&citizen_user.email).await;
    assert!(answered.iter().any(|m| m.subject.contains("đã có kết quả")));
    // Every email to the citizen can be unsubscribed in one click.
    assert!(answered.iter().all(|m| {
        m.raw
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    }));
}

#[tokio::test]
async fn submissions_check_their_input() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    // No Idempotency-Key.
    let r = app
        .authed(Method::POST, "/api/v1/tickets", &citizen)
        .json(&pothole())
        .send()
        .await
        .unwrap();
    assert_problem(r, 400, "idempotency_key_missing").await;
    // Bad fields, all reported.
    let mut bad = pothole();
    bad["title"] = json!("");
    bad["description"] = json!("x".repeat(10_001));
    bad["attributes"] = json!({"size": "enormous", "colour": "red"});
    let r = app.submit(Some(&citizen), &bad).await;
    let p = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        vec![
            "/title",
            "/description",
            "/attributes/colour",
            "/attributes/size"
        ]
    );
    // Unknown category and area; a location far from Vietnam.
    let mut bad = pothole();
    bad["category"] = json!("nope");
    assert_problem(
        app.submit(Some(&citizen), &bad).await,
        422,
        "validation_failed",
    )
    .await;
    let mut bad = pothole();
    bad["area_code"] = json!("99999");
    assert_problem(
        app.submit(Some(&citizen), &bad).await,
        422,
        "validation_failed",
    )
    .await;
    let mut bad = pothole();
    bad.as_object_mut().unwrap().remove("area_code");
    bad["lat"] = json!(48.85);
    bad["lon"] = json!(2.35);
    assert_problem(
        app.submit(Some(&citizen), &bad).await,
        422,
        "validation_failed",
    )
    .await;
    // Only feedback may be anonymous; a complaint must say what it contests.
    let mut bad = pothole();
    bad["kind"] = json!("petition");
    bad["anonymous"] = json!(true);
    assert_problem(app.submit(None, &bad).await, 422, "validation_failed").await;
    let complaint = json!({"kind": "complaint", "category": "thu-hoi-boi-thuong", "title": "Bồi thường thấp",
        "description": "Giá bồi thường thấp hơn thị trường.", "area_code": "31135"});
    let p = assert_problem(
        app.submit(Some(&citizen), &complaint).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/contested");
    // Signed out, a named submission is 401; unverified citizens are 403.
    assert_problem(app.submit(None, &pothole()).await, 401, "unauthenticated").await;
    let r = app
        .register("new@example.vn", "a long good password", "Mới")
        .await;
    assert_eq!(r.status(), 201);
    let pair = app.login("new@example.vn", "a long good password").await;
    let r = app.submit(pair["access_token"].as_str(), &pothole()).await;
    assert_problem(r, 403, "email_not_verified").await;
    // Nothing was written by any of these.
    assert_eq!(app.ticket_count().await, 0);
}

#[tokio::test]
async fn a_retried_submission_never_creates_a_second_ticket() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let send = |k: String| {
        app.client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&citizen)
            .header("Idempotency-Key", k)
            .json(&pothole())
            .send()
    };
    let first: Value = send("same-key-0001".into())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = send("same-key-0001".into()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap()["code"], first["code"]);
    // Four identical requests at the same moment: one ticket.
    let k = "same-key-0002".to_string();
    let results = futures_util::future::join_all((0..4).map(|_| send(k.clone()))).await;
    let mut codes = Vec::new();
    for r in results {
        let r = r.unwrap();
        match r.status().as_u16() {
            201 => codes.push(
                r.json::<Value>().await.unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            ),
            409 => {
                assert!(r.headers().contains_key("retry-after"));
                assert_problem(r, 409, "idempotency_in_progress").await;
            }
            s => panic!("unexpected {s}"),
        }
    }
    codes.dedup();
    assert_eq!(codes.len(), 1, "{codes:?}");
    assert_eq!(app.ticket_count().await, 2);
    // The same key with another body is refused.
    let mut other = pothole();
    other["title"] = json!("Khác");
    let r = app
        .client
        .post(app.url("/api/v1/tickets"))
        .bearer_auth(&citizen)
        .header("Idempotency-Key", "same-key-0001")
        .json(&other)
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "idempotency_key_reused").await;
}

#[tokio::test]
async fn anonymous_feedback_is_followed_with_its_secret() {
    let app = TestApp::demo().await;
    let official = app.official_of("UBND-X31135").await;
    let body = anonymous_pothole();
    let send = |k: &'static str| {
        app.client
            .post(app.url("/api/v1/tickets"))
            .header("Idempotency-Key", k)
            .json(&body)
            .send()
    };
    let t: Value = send("anon-key-0001").await.unwrap().json().await.unwrap();
    let code = code_of(&t);
    let secret = t["tracking_secret"].as_str().unwrap().to_string();
    assert!(t["submitter"]["anonymous"].as_bool().unwrap());
    let path = format!("/api/v1/tickets/{code}");
    let get = |s: &str| app.with_secret(Method::GET, &path, s).send();
    assert_eq!(get(&secret).await.unwrap().status(), 200);
    assert_problem(get("wrong-secret").await.unwrap(), 404, "ticket_not_found").await;
    assert_problem(app.get(&path).await, 404, "ticket_not_found").await;
    // A replay returns the same ticket with a fresh secret that replaces the old.
    let again: Value = send("anon-key-0001").await.unwrap().json().await.unwrap();
    assert_eq!(again["code"], code.as_str());
    let fresh = again["tracking_secret"].as_str().unwrap().to_string();
    assert_ne!(fresh, secret);
    assert_problem(get(&secret).await.unwrap(), 404, "ticket_not_found").await;
    assert_eq!(get(&fresh).await.unwrap().status(), 200);
    // The contact address hears about it.
    assert_eq!(app.mails_to("nguoidan@example.vn").await.len(), 1);
    // Provide info and rate with the secret.
    app.request_info(&official, &code, "Gần số nhà nào?").await;
    let r = app
        .with_secret(
            Method::POST,
            &format!("/api/v1/tickets/{code}/provide_info"),
            &fresh,
        )
        .json(&json!({"answer": "Số 14."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.accept(&official, &code).await;
    app.resolve(&official, &code, "Đã sửa.").await;
    let r = app
        .with_secret(
            Method::POST,
            &format!("/api/v1/tickets/{code}/rating"),
            &fresh,
        )
        .json(&json!({"score": 4}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Without a secret nobody can act for the submitter.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/tickets/{code}/close")))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "unauthenticated").await;
}

#[tokio::test]
async fn who_may_do_what() {
    let app = TestApp::demo().await;
    let a = app.citizen().await;
    let b = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let stranger = app.official_of("UBND-X31120").await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let mut private = pothole();
    private["private"] = json!(true);
    let t = app.submit_ok(Some(&a), &private).await;
    let code = t["code"].as_str().unwrap();
    let path = format!("/api/v1/tickets/{code}");
    // Citizen B and an official of another unit cannot read it, nor act.
    for t in [&b, &stranger] {
        assert_problem(app.get_as(t, &path).await, 404, "ticket_not_found").await;
        assert_problem(
            app.act(t, code, "accept", json!({})).await,
            404,
            "ticket_not_found",
        )
        .await;
    }
    // The supervisor of the province reads it but can act on nothing.
    assert_eq!(app.get_as(&supervisor, &path).await.status(), 200);
    for action in ["accept", "refuse", "close", "resolve"] {
        let body = match action {
            "refuse" => json!({"reason": "x"}),
            "resolve" => json!({"answer": "x"}),
            _ => json!({}),
        };
        assert_problem(
            app.act(&supervisor, code, action, body).await,
            403,
            "action_forbidden",
        )
        .await;
    }
    // The submitter cannot take the unit's actions, nor the unit the submitter's.
    assert_problem(
        app.act(&a, code, "accept", json!({})).await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        app.act(&official, code, "close", Value::Null).await,
        403,
        "action_forbidden",
    )
    .await;
    // Not from this state.
    let p = assert_problem(
        app.act(&official, code, "resolve", json!({"answer": "x"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("submitted"));
    app.accept(&official, code).await;
    assert_problem(
        app.act(&official, code, "accept", json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    // Body fields each action takes (checked once the action is allowed at all: the state
    // answers first).
    assert_problem(
        app.act(&official, code, "refuse", json!({})).await,
        409,
        "invalid_transition",
    )
    .await;
    let p = assert_problem(
        app.act(&official, code, "request_info", json!({})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/question");
    let p = assert_problem(
        app.act(&official, code, "progress_note", json!({"days": 3}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(p["errors"].to_string().contains("/days"), "{p}");
    // Unknown actions are unknown routes.
    assert_problem(
        app.act(&official, code, "explode", json!({})).await,
        404,
        "route_not_found",
    )
    .await;
    // A private ticket stays out of public view even once accepted.
    assert_problem(app.get(&path).await, 404, "ticket_not_found").await;
}

#[tokio::test]
async fn concurrent_accept_and_refuse_one_wins() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let o1 = app.official_of("UBND-X31135").await;
    let o2 = app.official_of("UBND-X31135").await;
    for _ in 0..3 {
        let t = app.submit_ok(Some(&citizen), &pothole()).await;
        let code = t["code"].as_str().unwrap();
        let (x, y) = tokio::join!(
            app.act(&o1, code, "accept", json!({})),
            app.act(
                &o2,
                code,
                "refuse",
                json!({"reason": "Không thuộc thẩm quyền"})
            )
        );
        let statuses = [x.status().as_u16(), y.status().as_u16()];
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "{statuses:?}"
        );
        assert_eq!(
            statuses.iter().filter(|s| **s == 409).count(),
            1,
            "{statuses:?}"
        );
        let t = app.ticket(&o1, code).await;
        let events = app.event_kinds(&o1, code).await;
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            (t["status"] == "accepted" && events[1] == "accepted")
                || (t["status"] == "refused" && events[1] == "refused")
        );
    }
}

#[tokio::test]
async fn a_denouncers_identity_is_for_the_handling_unit_only() {
    let app = TestApp::demo().await;
    let inspectorate = app.unit_id("TT-92").await;
    let commune = app.unit_id("UBND-X31135").await;
    let (denouncer, citizen) = app.token_for(Role::Citizen, None).await;
    let (_, handler) = app.token_for(Role::Official, Some(inspectorate)).await;
    let (_, accused_official) = app.token_for(Role::Official, Some(commune)).await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let admin = app.admin().await;
    // A denunciation against the commune's committee goes to its parent, the province.
    let t = app.submit_ok(Some(&citizen), &bribery(commune)).await;
    let code = t["code"].as_str().unwrap();
    assert_eq!(t["unit"]["code"], "UBND-T92");
    assert_eq!(t["visibility"], "confidential");
    // The accused unit never sees it.
    let r = app
        .get_as(&accused_official, &format!("/api/v1/tickets/{code}"))
        .await;
    assert_problem(r, 404, "ticket_not_found").await;
    // The province forwards it to the inspectorate (not to the accused).
    let province_official = app.official_of("UBND-T92").await;
    let r = app
        .act(
            &province_official,
            code,
            "forward",
            json!({"unit_id": commune, "reason": "x"}),
        )
        .await;
    assert_problem(r, 422, "accused_unit").await;
    app.act_ok(
        &province_official,
        code,
        "forward",
        json!({"unit_id": inspectorate, "reason": "Thẩm quyền của Thanh tra"}),
    )
    .await;
    // The handling unit sees who sent it; reading it is recorded.
    let seen = app.ticket(&handler, code).await;
    assert_eq!(seen["submitter"]["user_id"], denouncer.id);
    assert_eq!(seen["submitter"]["email"], denouncer.email.as_str());
    let internal = app.timeline(&handler, code).await;
    assert!(internal.iter().any(|e| e["kind"] == "identity_viewed"));
    // Supervisors and administrators do not.
    for token in [&supervisor, &admin] {
        let v = app.ticket(token, code).await;
        assert!(v["submitter"].is_null(), "{v}");
        let text = v.to_string();
        assert!(!text.contains(&denouncer.email));
        assert!(!text.contains("Nguyễn Thị Kiểm Thử"));
        let events = app.timeline(token, code).await;
        let submitted = events.iter().find(|e| e["kind"] == "submitted").unwrap();
        assert!(submitted["actor_id"].is_null(), "{submitted}");
    }
    // Not in any message to others.
    app.run_jobs().await;
    let mails = app.mails();
    for m in mails.iter().filter(|m| !m.to.contains(&denouncer.email)) {
        assert!(!m.raw.contains(&denouncer.email), "{}", m.raw);
        assert!(
            !m.raw.contains("Nhận hối lộ"),
            "the title stays out: {}",
            m.subject
        );
    }
    // And never public, even when answered with publish.
    app.accept(&handler, code).await;
    app.act_ok(
        &handler,
        code,
        "resolve",
        json!({"answer": "Đã xử lý kỷ luật.", "publish": true}),
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/tickets/{code}")).await,
        404,
        "ticket_not_found",
    )
    .await;
}

#[tokio::test]
async fn officials_record_submissions_at_the_desk() {
    let app = TestApp::demo().await;
    let official = app.official_of("UBND-X31135").await;
    let citizen = app.citizen().await;
    let body = at_the_desk();
    let t = app.submit_ok(Some(&official), &body).await;
    assert_eq!(t["channel"], "in_person");
    assert_eq!(t["submitter"]["name"], "Phạm Văn Đức");
    assert_eq!(t["submitter"]["phone"], "+84912000111");
    // Received in person: an answer about acceptance within 10 working days.
    let accept = clock(&t, "accept");
    assert_eq!(accept["counting"], "working_days");
    assert_eq!(accept["days"], 10);
    assert_eq!(accept["due_local_date"], "2026-12-07");
    // Citizens cannot use desk channels; a desk submission needs the name.
    let r = app.submit(Some(&citizen), &body).await;
    assert_problem(r, 403, "action_forbidden").await;
    let mut nameless = body.clone();
    nameless.as_object_mut().unwrap().remove("submitter_name");
    let p = assert_problem(
        app.submit(Some(&official), &nameless).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/submitter_name");
    assert_eq!(app.mails_to("duc@example.vn").await.len(), 1);
}

#[tokio::test]
async fn complaints_are_flagged_late_and_appeal_to_the_second_round() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("SNNMT-92").await;
    let body = json!({"kind": "complaint", "category": "thu-hoi-boi-thuong", "title": "Bồi thường không đúng",
        "description": "Quyết định bồi thường tính sai diện tích.", "area_code": "31135",
        "contested": {"type": "decision", "number": "123/QĐ-UBND", "date": "2026-06-01",
            "issuer": "UBND Phường Ninh Kiều", "learned_on": "2026-07-01"}});
    let t = app.submit_ok(Some(&citizen), &body).await;
    assert_eq!(t["unit"]["code"], "SNNMT-92");
    assert_eq!(
        t["filing_late"], true,
        "more than 90 days after learning of it"
    );
    assert_eq!(t["contested"]["number"], "123/QĐ-UBND");
    let code = t["code"].as_str().unwrap();
    assert_eq!(clock(&t, "accept")["due_local_date"], "2026-12-07");
    assert_eq!(clock(&t, "resolve")["state"], "pending");
    let t = app
        .act_ok(&official, code, "accept", json!({"complex": true}))
        .await;
    // Complex: 45 days from acceptance (23/11 → 7/1/2027).
    assert_eq!(clock(&t, "resolve")["due_local_date"], "2027-01-07");
    assert_eq!(t["complex"], true);
    // Only complaints have a round; appeal is refused before the answer.
    assert_problem(
        app.act(&citizen, code, "appeal", json!({"reason": "x"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    app.resolve(&official, code, "Giữ nguyên quyết định.").await;
    let r = app
        .act(
            &citizen,
            code,
            "appeal",
            json!({"reason": "Không đồng ý với kết quả lần đầu."}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let second: Value = r.json().await.unwrap();
    assert_eq!(second["round"], 2);
    assert_eq!(second["kind"], "complaint");
    assert_eq!(second["appeal_of"], code);
    assert_eq!(
        second["unit"]["code"], "UBND-T92",
        "the provincial committee by default"
    );
    let first = app.ticket(&citizen, code).await;
    assert_eq!(first["status"], "resolved");
    let events = app.timeline(&citizen, code).await;
    assert_eq!(events.last().unwrap()["kind"], "appealed");
    assert_eq!(events.last().unwrap()["data"]["appeal"], second["code"]);
    // A retried or repeated appeal makes no second round-2 case.
    let r = app
        .act(&citizen, code, "appeal", json!({"reason": "Gửi lại."}))
        .await;
    assert_problem(r, 409, "already_appealed").await;
    // Someone who may not act hears that first, whatever the body: another citizen gets 404
    // for an unreadable ticket even with a body that would not do.
    let stranger = app.citizen().await;
    let r = app.act(&stranger, code, "refuse", json!({})).await;
    assert_problem(r, 404, "ticket_not_found").await;
}

#[tokio::test]
async fn petitions_gather_support_and_rise_in_priority() {
    let app = TestApp::builder()
        .with_settings(|s| s.tickets.support_threshold = 2)
        .demo()
        .await;
    let author = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let code = code_of(&app.submit_ok(Some(&author), &petition()).await);
    let support = |token: String| {
        let path = format!("/api/v1/tickets/{code}/support");
        let app = &app;
        async move {
            app.authed(Method::POST, &path, &token)
                .send()
                .await
                .unwrap()
        }
    };
    let s1 = app.citizen().await;
    // Not yet public: supporters cannot even see it.
    assert_problem(support(s1.clone()).await, 404, "ticket_not_found").await;
    app.accept(&official, &code).await;
    let r: Value = support(s1.clone()).await.json().await.unwrap();
    assert_eq!(r["supporters"], 1);
    let r: Value = support(s1.clone()).await.json().await.unwrap();
    assert_eq!(r["supporters"], 1, "once each");
    assert_problem(support(author.clone()).await, 403, "action_forbidden").await;
    let s2 = app.citizen().await;
    let r: Value = support(s2).await.json().await.unwrap();
    assert_eq!(r["supporters"], 2);
    let t = app.ticket(&official, &code).await;
    assert_eq!(t["priority"], 1);
    assert!(
        app.timeline(&official, &code)
            .await
            .iter()
            .any(|e| e["kind"] == "priority_raised")
    );
    // Supporters are told when it is answered.
    app.resolve(&official, &code, "Sẽ xây 4 phòng học năm 2027.")
        .await;
    app.run_jobs().await;
    let all = app.mails();
    assert!(
        all.iter()
            .filter(|m| m.subject.contains("đã có kết quả"))
            .count()
            >= 3
    );
}

#[tokio::test]
async fn reopen_within_thirty_days_and_close() {
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let official = app.official_of("UBND-X31135").await;
    let code = app.answered_pothole(&citizen, &official).await;
    let t = app
        .act_ok(
            &citizen,
            &code,
            "reopen",
            json!({"reason": "Vẫn còn ổ gà."}),
        )
        .await;
    assert_eq!(t["status"], "accepted");
    assert_eq!(t["reopen_count"], 1);
    assert!(t["rating"].is_null());
    app.resolve(&official, &code, "Đã sửa lại.").await;
    app.clock.advance(chrono::Duration::days(31));
    let citizen = app.relogin(&citizen_user).await;
    assert_problem(
        app.act(&citizen, &code, "reopen", json!({"reason": "x"}))
            .await,
        409,
        "invalid_transition",
    )
    .await;
    let t = app.act_ok(&citizen, &code, "close", Value::Null).await;
    assert_eq!(t["status"], "closed");
    assert_problem(
        app.act(&citizen, &code, "withdraw", Value::Null).await,
        409,
        "invalid_transition",
    )
    .await;
}

#[tokio::test]
async fn export_and_erasure_cover_tickets() {
    let app = TestApp::demo().await;
    let (user, citizen) = app.token_for(Role::Citizen, None).await;
    let official = app.official_of("UBND-X31135").await;
    let dept = app.official_of("SNNMT-92").await;
    let pothole_code = app.submit_pothole(&citizen).await;
    app.request_info(&official, &pothole_code, "Số nhà?").await;
    app.provide_info(&citizen, &pothole_code, "Nhà tôi số 12, tên Lan.")
        .await;
    let complaint = json!({"kind": "complaint", "category": "tranh-chap-dat", "title": "Tranh chấp ranh giới",
        "description": "Hàng xóm lấn đất.", "area_code": "31135",
        "contested": {"type": "act", "learned_on": "2026-11-01"}});
    let c = app.submit_ok(Some(&citizen), &complaint).await;
    let c_code = code_of(&c);
    assert_eq!(c["filing_late"], false);

    let export = app.get_json(&citizen, "/api/v1/me/export").await;
    let tickets = export["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 2);
    assert_eq!(tickets[0]["code"], pothole_code.as_str());
    assert!(tickets[0]["events"].to_string().contains("Nhà tôi số 12"));

    // An open complaint keeps its author.
    let r = app.erase_account(&citizen).await;
    assert_problem(r, 409, "open_cases").await;
    app.act_ok(
        &dept,
        &c_code,
        "refuse",
        json!({"reason": "Thuộc thẩm quyền Toà án."}),
    )
    .await;
    let r = app.erase_account(&citizen).await;
    assert_eq!(r.status(), 204);
    // The tickets stay; what the person wrote on the timeline is blank; the address is gone.
    let t = app.ticket(&official, &pothole_code).await;
    assert!(t["address"].is_null());
    assert_eq!(t["title"], "Đường hỏng ở ngõ 5");
    let events = app.timeline(&official, &pothole_code).await;
    let answer = events
        .iter()
        .find(|e| e["kind"] == "info_provided")
        .unwrap();
    assert!(answer["text"].is_null(), "{answer}");
    assert!(!serde_json::to_string(&events).unwrap().contains("tên Lan"));
    let _ = user;
}

#[tokio::test]
async fn a_merge_moves_open_tickets_and_the_timeline_shows_who_held_them() {
    let app = TestApp::demo().await;
    let old = app.unit_id("UBND-X31120").await;
    let new = app.unit_id("UBND-X31135").await;
    let admin = app.admin().await;
    let citizen = app.citizen().await;
    let (_, old_official) = app.token_for(Role::Official, Some(old)).await;
    let mut body = pothole();
    body["area_code"] = json!("31120");
    body.as_object_mut().unwrap().remove("lat");
    body.as_object_mut().unwrap().remove("lon");
    let open = app.submit_ok(Some(&citizen), &body).await;
    let open_code = code_of(&open);
    assert_eq!(open["unit"]["id"], old);
    let done = app.submit_ok(Some(&citizen), &body).await;
    let done_code = code_of(&done);
    app.accept(&old_official, &done_code).await;
    app.resolve(&old_official, &done_code, "Đã xử lý.").await;

    let r = app.merge_units(&admin, old, new).await;
    assert_eq!(r.status(), 200);
    let merged: Value = r.json().await.unwrap();
    assert_eq!(merged["moved"]["tickets"], 1, "only the open one: {merged}");

    // The open ticket is the survivor's now; the answered one stays with the unit that
    // answered it.
    let (_, new_official) = app.token_for(Role::Official, Some(new)).await;
    let t = app.ticket(&new_official, &open_code).await;
    assert_eq!(t["unit"]["id"], new);
    assert!(t["assignee_id"].is_null());
    let d = app.ticket(&admin, &done_code).await;
    assert_eq!(d["unit"]["id"], old);
    // The timeline says when it changed hands, and from whom to whom.
    let timeline = app.timeline(&citizen, &open_code).await;
    assert_eq!(kinds(&timeline), ["submitted", "unit_merged"]);
    assert_eq!(timeline[0]["unit_id"], old);
    assert_eq!(timeline[1]["unit_id"], new);
    // The chain still verifies.
    let v = app.get_json(&admin, "/api/v1/audit/verify").await;
    assert_eq!(v["ok"], true, "{v}");
}

#[tokio::test]
async fn retried_comments_and_supervision_notes_are_written_once() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let supervisor = app.supervisor_of("UBND-X31135").await;
    let code = app.submit_pothole(&citizen).await;
    let post = |path: String, token: String, key: &'static str, body: Value| {
        app.authed(Method::POST, &path, &token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let comments = format!("/api/v1/tickets/{code}/comments");
    let notes = format!("/api/v1/tickets/{code}/supervision-notes");
    for (path, token, body) in [
        (
            comments.clone(),
            citizen.clone(),
            json!({"body": "Còn nguy hiểm."}),
        ),
        (
            notes.clone(),
            supervisor.clone(),
            json!({"body": "Theo dõi tiến độ."}),
        ),
    ] {
        let first = post(path.clone(), token.clone(), "retry-key-0001", body.clone())
            .await
            .unwrap();
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let again = post(path.clone(), token.clone(), "retry-key-0001", body.clone())
            .await
            .unwrap();
        assert_eq!(again.status(), 201);
        assert_eq!(again.headers()["idempotent-replayed"], "true");
        assert_eq!(again.json::<Value>().await.unwrap(), first);
        // The same key with another body is a mistake.
        let other = post(path, token, "retry-key-0001", json!({"body": "Khác."}))
            .await
            .unwrap();
        assert_problem(other, 422, "idempotency_key_reused").await;
    }
    let official = app.official_of("UBND-X31135").await;
    assert_eq!(
        app.event_kinds(&official, &code).await,
        ["submitted", "comment", "supervision_note"]
    );
    // The timeline pages like every list.
    let page = |query: String| {
        app.authed(
            Method::GET,
            &format!("/api/v1/tickets/{code}/events{query}"),
            &official,
        )
        .send()
    };
    let p1: Value = page("?limit=2".into()).await.unwrap().json().await.unwrap();
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    let cursor = p1["next_cursor"].as_str().unwrap().to_string();
    let p2: Value = page(format!("?limit=2&after={cursor}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p2["items"][0]["kind"], "supervision_note");
    assert!(p2["next_cursor"].is_null());
    assert_problem(
        page("?limit=0".into()).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
}

/// A key is remembered for 24 hours: used again after that, even with another body, it
/// makes a new ticket (the expired row is taken over in the same statement that saves the
/// answer), and a retry of that one is its replay.
#[tokio::test]
async fn an_idempotency_key_is_forgotten_after_a_day() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let send = |body: Value| {
        app.client
            .post(app.url("/api/v1/tickets"))
            .bearer_auth(&citizen)
            .header("Idempotency-Key", "kept-a-day-0001")
            .json(&body)
            .send()
    };
    let first: Value = send(pothole()).await.unwrap().json().await.unwrap();
    app.clock.advance(chrono::Duration::hours(25));
    let mut other = pothole();
    other["title"] = json!("Ổ gà mới");
    let again = send(other.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert!(again.headers().get("idempotent-replayed").is_none());
    let second: Value = again.json().await.unwrap();
    assert_ne!(second["code"], first["code"]);
    assert_eq!(second["title"], "Ổ gà mới");
    let replay = send(other).await.unwrap();
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(
        replay.json::<Value>().await.unwrap()["code"],
        second["code"]
    );
    assert_eq!(app.ticket_count().await, 2);
}
