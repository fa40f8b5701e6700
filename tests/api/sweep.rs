//! The deadline sweep: reminders, the miss and its escalation, exactly once; auto-close.

use chrono::Duration;
use nghedan::domain::account::Role;
use serde_json::json;

use crate::fixtures::{clock, pothole};
use crate::helpers::TestApp;

fn count(all: &[String], kind: &str) -> usize {
    all.iter().filter(|k| *k == kind).count()
}

#[tokio::test]
async fn reminders_and_escalation_happen_once() {
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (official_user, _) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (parent_user, _) = app.staff_of(Role::Official, "UBND-T92").await;
    let (supervisor_user, _) = app.staff_of(Role::Supervisor, "UBND-T92").await;
    let code = app.submit_pothole(&citizen).await;
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
    let all = app.event_kinds(&official, &code).await;
    assert_eq!(count(&all, "reminder"), 2, "{all:?}");
    assert_eq!(count(&all, "update_due"), 1, "{all:?}");
    assert_eq!(count(&all, "overdue"), 1, "{all:?}");
    let v = app.ticket(&official, &code).await;
    assert_eq!(v["overdue"], true);
    let resolve = clock(&v, "resolve");
    assert_eq!(resolve["state"], "missed");
    assert!(resolve["left_seconds"].as_i64().unwrap() < 0);
    // The citizen sees none of these internal events.
    let citizen = app.relogin(&citizen_user).await;
    let theirs = app.event_kinds(&citizen, &code).await;
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
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let official = app.official_of("UBND-X31135").await;
    let code = app.answered_pothole(&citizen, &official).await;
    app.clock.advance(Duration::days(13));
    assert_eq!(app.run_jobs().await.swept.closed, 0);
    app.clock.advance(Duration::days(2));
    assert_eq!(app.run_jobs().await.swept.closed, 1);
    assert_eq!(app.run_jobs().await.swept.closed, 0);
    let citizen = app.relogin(&citizen_user).await;
    let t = app.ticket(&citizen, &code).await;
    assert_eq!(t["status"], "closed");
    let events = app.event_kinds(&citizen, &code).await;
    assert_eq!(events.last().unwrap(), "closed");
}

#[tokio::test]
async fn calendar_changes_move_running_dates_only_on_recomputation() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let admin = app.admin().await;
    let code = app.submit_pothole(&citizen).await;
    let due = |t: &serde_json::Value| {
        clock(t, "resolve")["due_local_date"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(due(&app.ticket(&citizen, &code).await), "2026-12-14");
    // The government gives 14/12 off.
    let r = app
        .authed(
            reqwest::Method::PUT,
            "/api/v1/admin/calendar/2026-12-14",
            &admin,
        )
        .json(&json!({"working": false, "note": "Nghỉ bù"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    // A running ticket keeps its date…
    assert_eq!(due(&app.ticket(&citizen, &code).await), "2026-12-14");
    // …until an administrator recomputes, which records why the date moved.
    let st = app.state.clone();
    let changed = app
        .state
        .db(move |conn| {
            let cal = nghedan::db::calendar::load(conn)?;
            nghedan::db::clocks::recompute_open(
                conn,
                &cal,
                &st.settings.deadlines.day_end(),
                nghedan::clock::Clock::now(&*st.clock),
            )
        })
        .await
        .unwrap();
    assert_eq!(changed, 1);
    let t = app.ticket(&citizen, &code).await;
    assert_eq!(due(&t), "2026-12-15");
    let events = app.timeline(&citizen, &code).await;
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "deadlines_recomputed");
    assert_eq!(last["data"]["clocks"][0]["clock"], "resolve");
    // New tickets use the calendar in force.
    let fresh = app.submit_ok(Some(&citizen), &pothole()).await;
    assert_eq!(due(&fresh), "2026-12-15");
}

#[tokio::test]
async fn a_denunciations_clocks() {
    let app = TestApp::demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("TT-92").await;
    let body = json!({"kind": "denunciation", "category": "tham-nhung", "title": "Vi phạm",
        "description": "Mô tả.", "area_code": "31135"});
    let t = app.submit_ok(Some(&citizen), &body).await;
    assert_eq!(t["unit"]["code"], "TT-92");
    // Received Monday 23/11: 7 working days to accept → Wednesday 2/12; forward within 5 → 30/11.
    assert_eq!(clock(&t, "accept")["due_local_date"], "2026-12-02");
    assert_eq!(clock(&t, "forward")["due_local_date"], "2026-11-30");
    assert_eq!(clock(&t, "resolve")["state"], "pending");
    let code = t["code"].as_str().unwrap();
    let t = app
        .act_ok(&official, code, "accept", json!({"complex": true}))
        .await;
    assert_eq!(clock(&t, "accept")["state"], "met");
    // Accepted as its own: the forward clock is done too, so it never shows as late.
    assert_eq!(clock(&t, "forward")["state"], "met");
    // Resolve: 30 days from acceptance (23/11 → 23/12), then two extensions of ≤ 30 days.
    assert_eq!(clock(&t, "resolve")["due_local_date"], "2026-12-23");
    let t = app
        .act_ok(
            &official,
            code,
            "extend",
            json!({"days": 30, "reason": "Phức tạp"}),
        )
        .await;
    assert_eq!(clock(&t, "resolve")["due_local_date"], "2027-01-22");
    assert_eq!(clock(&t, "resolve")["extensions_used"], 1);
    let r = app
        .act(
            &official,
            code,
            "extend",
            json!({"days": 31, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    app.act_ok(
        &official,
        code,
        "extend",
        json!({"days": 30, "reason": "Đặc biệt phức tạp"}),
    )
    .await;
    let r = app
        .act(&official, code, "extend", json!({"days": 1, "reason": "x"}))
        .await;
    crate::helpers::assert_problem(r, 409, "extensions_exhausted").await;
    // Suspension pauses the clock.
    let t = app
        .act_ok(
            &official,
            code,
            "suspend",
            json!({"reason": "Chờ kết quả giám định"}),
        )
        .await;
    assert_eq!(t["status"], "suspended");
    assert_eq!(clock(&t, "resolve")["state"], "paused");
}

/// On PostgreSQL a pass shares its due clocks among several connections (a ticket's clocks
/// on one of them); two passes at once still act on each clock once.
#[tokio::test]
async fn many_due_clocks_are_swept_once_by_several_writers() {
    let app = TestApp::builder()
        .with_settings(|s| s.database.pool_size = 12)
        .demo()
        .await;
    let citizen = app.citizen().await;
    let (official_user, _) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (parent_user, _) = app.staff_of(Role::Official, "UBND-T92").await;
    let mut codes = Vec::new();
    for _ in 0..24 {
        codes.push(app.submit_pothole(&citizen).await);
    }
    app.run_jobs().await;
    // Long past every deadline: each ticket's resolve clock is missed, its update clock due.
    app.clock.advance(Duration::days(60));
    let (a, b) = tokio::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(a.swept.overdue + b.swept.overdue, 24, "{a:?} {b:?}");
    assert_eq!(a.swept.reminders + b.swept.reminders, 24, "{a:?} {b:?}");
    assert!(app.run_jobs().await.swept.is_empty());

    let official = app.relogin(&official_user).await;
    for code in &codes {
        let all = app.event_kinds(&official, code).await;
        assert_eq!(count(&all, "overdue"), 1, "{code}: {all:?}");
        assert_eq!(count(&all, "update_due"), 1, "{code}: {all:?}");
        assert_eq!(app.ticket(&official, code).await["overdue"], true);
    }
    // Each escalation reached the parent unit's official once.
    let escalations = app
        .mails()
        .iter()
        .filter(|m| m.to.contains(&parent_user.email) && m.subject.contains("Quá hạn"))
        .count();
    assert_eq!(escalations, 24);
}
