//! The deadline sweep: reminders, the miss and its escalation, exactly once; auto-close.

use chrono::Duration;
use nghedan::domain::account::Role;
use serde_json::json;

use crate::helpers::TestApp;
use crate::tickets::pothole;

async fn kinds(app: &TestApp, token: &str, code: &str) -> Vec<String> {
    app.timeline(token, code)
        .await
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

fn count(all: &[String], kind: &str) -> usize {
    all.iter().filter(|k| *k == kind).count()
}

#[tokio::test]
async fn reminders_and_escalation_happen_once() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let province = app.unit_id("UBND-T92").await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (official_user, _) = app.token_for(Role::Official, Some(unit)).await;
    let (parent_user, _) = app.token_for(Role::Official, Some(province)).await;
    let (supervisor_user, _) = app.token_for(Role::Supervisor, Some(province)).await;
    let t = app.submit_ok(Some(&citizen), &pothole()).await;
    let code = t["code"].as_str().unwrap().to_string();
    app.run_jobs().await;
    let before = app.mails().len();

    // Nothing is due the next day.
    app.clock.advance(Duration::days(1));
    assert!(app.run_jobs().await.swept.is_empty());

    // A week on, the `update` clock ran out: the unit is reminded that a note is owed.
    app.clock.advance(Duration::days(7));
    let pass = app.run_jobs().await;
    assert_eq!(pass.swept.reminders, 1, "{pass:?}");
    // 75 % of the resolve clock (20 days from 23/11, due 14/12): around 9/12.
    app.clock.advance(Duration::days(9));
    let pass = app.run_jobs().await;
    assert_eq!(pass.swept.reminders, 1, "{pass:?}");
    // Twice at once: still once.
    let (a, b) = tokio::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(a.swept.reminders + b.swept.reminders, 0);
    // The last day (14/12 local).
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-14T01:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let pass = app.run_jobs().await;
    assert_eq!(pass.swept.reminders, 1, "{pass:?}");
    // Missed: after 23:59:59 local on 14/12.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-14T17:00:30Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    let (a, b) = tokio::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(a.swept.overdue + b.swept.overdue, 1, "{a:?} {b:?}");
    assert!(app.run_jobs().await.swept.is_empty());

    let official = app.relogin(&official_user).await;
    let all = kinds(&app, &official, &code).await;
    assert_eq!(count(&all, "reminder"), 2, "{all:?}");
    assert_eq!(count(&all, "update_due"), 1, "{all:?}");
    assert_eq!(count(&all, "overdue"), 1, "{all:?}");
    let v = app.ticket(&official, &code).await;
    assert_eq!(v["overdue"], true);
    let resolve = v["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "resolve")
        .unwrap();
    assert_eq!(resolve["state"], "missed");
    assert!(resolve["left_seconds"].as_i64().unwrap() < 0);
    // The citizen sees none of these internal events.
    let citizen = app.relogin(&citizen_user).await;
    let theirs = kinds(&app, &citizen, &code).await;
    assert_eq!(theirs, vec!["submitted"], "{theirs:?}");

    // Escalation reached the parent unit's official and the supervisor, once each.
    let mails = app.mails();
    let escalations = |email: &str| {
        mails
            .iter()
            .filter(|m| m.to.iter().any(|t| t == email) && m.subject.contains("Quá hạn"))
            .count()
    };
    assert_eq!(escalations(&parent_user.email), 1);
    assert_eq!(escalations(&supervisor_user.email), 1);
    assert_eq!(escalations(&official_user.email), 1);
    let reminders = mails
        .iter()
        .filter(|m| m.to.contains(&official_user.email) && m.subject.contains("Nhắc hạn"))
        .count();
    assert_eq!(reminders, 2);
    assert!(mails.len() > before);
}

#[tokio::test]
async fn answered_tickets_close_after_fourteen_days() {
    let app = TestApp::spawn().await;
    app.seed_demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (official_user, official) = app.token_for(Role::Official, Some(unit)).await;
    let code = app.submit_ok(Some(&citizen), &pothole()).await["code"]
        .as_str()
        .unwrap()
        .to_string();
    app.act_ok(&official, &code, "accept", json!({})).await;
    app.act_ok(&official, &code, "resolve", json!({"answer": "Đã sửa."}))
        .await;
    app.clock.advance(Duration::days(13));
    assert_eq!(app.run_jobs().await.swept.closed, 0);
    app.clock.advance(Duration::days(2));
    assert_eq!(app.run_jobs().await.swept.closed, 1);
    assert_eq!(app.run_jobs().await.swept.closed, 0);
    let citizen = app.relogin(&citizen_user).await;
    let t = app.ticket(&citizen, &code).await;
    assert_eq!(t["status"], "closed");
    let events = kinds(&app, &citizen, &code).await;
    assert_eq!(events.last().unwrap(), "closed");
    let _ = official_user;
}
