//! The audit trail: append-only events, verification that names a tampered row, daily roots,
//! the administrators' log, and supervisors' notes and reopen requests.

use chrono::Duration;
use diesel::connection::SimpleConnection;
use nghedan::db::DbConn;
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{cli, pothole};
use crate::helpers::{TestApp, assert_problem};

/// Runs raw SQL on the test database.
async fn sql(app: &TestApp, statement: String) -> Result<(), String> {
    app.state
        .db(move |conn| -> Result<_, nghedan::error::AppError> {
            let r = match conn {
                DbConn::Sqlite(c) => c.batch_execute(&statement),
                DbConn::Postgres(c) => c.batch_execute(&statement),
            };
            Ok(r.map_err(|e| e.to_string()))
        })
        .await
        .unwrap()
}

async fn verify(app: &TestApp, token: &str) -> Value {
    app.get_json(token, "/api/v1/audit/verify?from=2026-01-01&to=2027-12-31")
        .await
}

#[tokio::test]
async fn tampering_is_named_and_updates_are_refused() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let admin = app.admin().await;
    let code = app.submit_pothole(&citizen).await;
    app.accept(&official, &code).await;
    app.act_ok(
        &official,
        &code,
        "progress_note",
        json!({"note": "Đã lên lịch sửa."}),
    )
    .await;
    app.resolve(&official, &code, "Đã sửa.").await;

    let v = verify(&app, &admin).await;
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["events_checked"], 4);

    // The database refuses to rewrite history.
    let err = sql(
        &app,
        "UPDATE ticket_events SET public = FALSE WHERE seq = 2".into(),
    )
    .await;
    assert!(err.unwrap_err().contains("append-only"));
    let err = sql(&app, "DELETE FROM ticket_events".into()).await;
    assert!(err.unwrap_err().contains("append-only"));

    // Someone with the keys to the database disables that and edits an event.
    let disable = match app.db.backend() {
        "postgres" => "ALTER TABLE ticket_events DISABLE TRIGGER ticket_events_append_only",
        _ => "DROP TRIGGER ticket_events_no_update",
    };
    sql(&app, disable.into()).await.unwrap();
    sql(
        &app,
        "UPDATE ticket_events SET to_status = 'refused' WHERE seq = 2".into(),
    )
    .await
    .unwrap();
    let v = verify(&app, &admin).await;
    assert_eq!(v["ok"], false);
    assert_eq!(v["first_broken"]["record"], "ticket_event");
    assert_eq!(v["first_broken"]["ticket_code"], code.as_str());
    assert_eq!(v["first_broken"]["seq"], 2);

    // Changing a text is caught through the hash its event keeps.
    sql(
        &app,
        "UPDATE ticket_events SET to_status = 'accepted' WHERE seq = 2".into(),
    )
    .await
    .unwrap();
    assert_eq!(verify(&app, &admin).await["ok"], true);
    sql(&app, "UPDATE event_texts SET body = 'Không làm gì.'".into())
        .await
        .unwrap();
    let v = verify(&app, &admin).await;
    assert_eq!(v["first_broken"]["record"], "event_text");
}

#[tokio::test]
async fn daily_roots_are_published_and_checked() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let (supervisor_user, _) = app.staff_of(Role::Supervisor, "UBND-T92").await;
    app.submit_ok(Some(&citizen), &pothole()).await;
    app.submit_ok(Some(&citizen), &pothole()).await;
    app.clock.advance(Duration::days(1));
    let citizen = app.citizen().await;
    app.submit_ok(Some(&citizen), &pothole()).await;
    app.clock.advance(Duration::days(1));
    assert_eq!(app.run_jobs().await.days_sealed, 2);
    assert_eq!(app.run_jobs().await.days_sealed, 0);
    let roots = app
        .public_json("/api/v1/public/audit/roots?from=2026-11-01&to=2026-12-31")
        .await;
    let days = roots["days"].as_array().unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0]["day"], "2026-11-23");
    assert_eq!(days[0]["events"], 2);
    assert_eq!(days[1]["prev_root"], days[0]["root"]);
    // Anyone can recompute a root from the event hashes of the day.
    let supervisor = app.relogin(&supervisor_user).await;
    let supervisor_verify = verify(&app, &supervisor).await;
    assert_eq!(supervisor_verify["ok"], true);
    assert_eq!(supervisor_verify["days_checked"], 2);
    // Only supervisors and admins verify.
    let citizen = app.citizen().await;
    let r = app.get_as(&citizen, "/api/v1/audit/verify").await;
    assert_problem(r, 403, "action_forbidden").await;
    // A root that no longer matches its day is named.
    sql(
        &app,
        "UPDATE audit_roots SET root = 'x' WHERE day = '2026-11-23'".into(),
    )
    .await
    .unwrap();
    let v = verify(&app, &supervisor).await;
    assert_eq!(v["first_broken"]["record"], "daily_root");
}

#[tokio::test]
async fn the_admin_log_chains_every_configuration_change() {
    let app = TestApp::spawn().await;
    let (admin_user, admin) = app.token_for(Role::Admin, None).await;
    let r = app
        .authed(Method::POST, "/api/v1/admin/units", &admin)
        .json(&json!({"code": "U1", "name_vi": "Một", "name_en": "One", "kind": "other"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].clone();
    app.authed(Method::PATCH, &format!("/api/v1/admin/units/{id}"), &admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    // A refused change is not logged.
    app.authed(Method::PATCH, "/api/v1/admin/units/999999", &admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    let log = app.get_json(&admin, "/api/v1/admin/audit-log").await;
    let items = log["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{log}");
    assert_eq!(items[0]["action"], "POST /api/v1/admin/units");
    assert_eq!(items[1]["action"], "PATCH /api/v1/admin/units/{id}");
    assert_eq!(items[1]["target"], format!("/api/v1/admin/units/{id}"));
    assert_eq!(items[0]["actor_id"], admin_user.id);
    assert_eq!(items[1]["prev_hash"], items[0]["hash"]);
    assert_eq!(verify(&app, &admin).await["ok"], true);
    let citizen = app.citizen().await;
    let r = app.get_as(&citizen, "/api/v1/admin/audit-log").await;
    assert_problem(r, 403, "action_forbidden").await;
}

#[tokio::test]
async fn supervisors_note_and_ask_to_reopen_but_change_nothing() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let (official_user, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let elsewhere = app.supervisor_of("UBND-T91").await;
    let code = app.answered_pothole(&citizen, &official).await;
    let post = |token: &str, what: &str, body: Value| {
        app.authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/{what}"),
            token,
        )
        .json(&body)
        .send()
    };
    let r = post(
        &supervisor,
        "supervision-notes",
        json!({"body": "Kiểm tra lại chất lượng vá."}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let ev: Value = r.json().await.unwrap();
    assert_eq!(ev["kind"], "supervision_note");
    assert_eq!(ev["public"], false);
    let r = post(
        &supervisor,
        "reopen-requests",
        json!({"reason": "Người dân báo vẫn còn ổ gà."}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    // Nothing else changed; the unit was told.
    let t = app.ticket(&official, &code).await;
    assert_eq!(t["status"], "resolved");
    let mails = app.mails_to(&official_user.email).await;
    assert!(
        mails
            .iter()
            .any(|m| m.text.contains("Người dân báo vẫn còn ổ gà"))
    );
    // The citizen does not see the internal events; another province's supervisor gets 404,
    // and others may not write these at all.
    let theirs = app.timeline(&citizen, &code).await;
    assert!(theirs.iter().all(|e| e["public"] == true));
    assert_problem(
        post(&elsewhere, "supervision-notes", json!({"body": "x"}))
            .await
            .unwrap(),
        404,
        "ticket_not_found",
    )
    .await;
    assert_problem(
        post(&citizen, "supervision-notes", json!({"body": "x"}))
            .await
            .unwrap(),
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        post(&official, "reopen-requests", json!({"reason": "x"}))
            .await
            .unwrap(),
        403,
        "action_forbidden",
    )
    .await;
}

#[tokio::test]
async fn the_cli_verifies_and_names_the_altered_row() {
    // The app's own SQLite file, then the binary pointed at it.
    let app = TestApp::builder().spawn_sqlite_file().await;
    app.seed_demo().await;
    let citizen = app.citizen().await;
    let code = app.submit_pothole(&citizen).await;
    let db_url = app.sqlite_url();
    let run = || {
        let out = cli(&db_url).args(["audit", "verify"]).output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (ok, out) = run();
    assert!(ok, "{out}");
    assert!(out.contains("ok: the audit trail verifies"), "{out}");
    sql(
        &app,
        "DROP TRIGGER ticket_events_no_update; UPDATE ticket_events SET public = 0 WHERE seq = 1"
            .into(),
    )
    .await
    .unwrap();
    let (ok, out) = run();
    assert!(!ok);
    assert!(out.contains("BROKEN: ticket_event"), "{out}");
    assert!(out.contains(&code), "{out}");
}

#[tokio::test]
async fn supervisors_list_the_tickets_of_the_subtree_they_oversee() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let province = app.supervisor_of("UBND-T92").await;
    let commune = app.supervisor_of("UBND-X31120").await;
    let official = app.official_of("UBND-X31135").await;
    let code = app.submit_pothole(&citizen).await;
    let list = |token: &str| {
        app.authed(
            Method::GET,
            "/api/v1/supervision/tickets?status=open",
            token,
        )
        .send()
    };
    let seen: Value = list(&province).await.unwrap().json().await.unwrap();
    assert_eq!(seen["items"][0]["code"], code.as_str());
    assert!(seen["items"][0].get("submitter").is_none());
    let other: Value = list(&commune).await.unwrap().json().await.unwrap();
    assert_eq!(other["items"], json!([]));
    assert_problem(list(&citizen).await.unwrap(), 403, "action_forbidden").await;
    assert_problem(list(&official).await.unwrap(), 403, "action_forbidden").await;
    // The supervisor reads the full timeline, internal notes included.
    app.act_ok(&official, &code, "assign", json!({"user_id": null}))
        .await;
    let events = app.timeline(&province, &code).await;
    assert!(
        events
            .iter()
            .any(|e| e["kind"] == "assigned" && e["public"] == false)
    );
}
