//! Follow-ups: what a unit owes by a date besides a ticket. Opened by the features that owe
//! (here straight through the workflow, as a dialogue or a consultation does), watched by the
//! sweep (reminders, the miss and its escalation, each once), read in the unit's and the
//! supervisors' scope, and done with a note where the subject allows it.

use chrono::{DateTime, Duration, Utc};
use nghedan::domain::account::Role;
use nghedan::domain::follow_up::{Subject, due_after_working_days};
use nghedan::workflow::follow_ups::{self, Opening};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};

/// Opens a follow-up of `subject` owed by `unit`, due `days` working days from now.
async fn open(app: &TestApp, subject: Subject, subject_id: i64, unit: i64, days: u32) -> i64 {
    let st = app.state.clone();
    app.state
        .db(move |conn| {
            nghedan::db::write(conn, |c| {
                let ctx = st.ticket_ctx(c)?;
                let due = due_after_working_days(&ctx.cal, &ctx.day_end, ctx.now, days);
                follow_ups::open(
                    c,
                    &Opening {
                        subject,
                        subject_id,
                        unit_id: unit,
                        title: "Sửa đèn chiếu sáng tổ dân phố 5",
                        due_at: due,
                    },
                    None,
                    &ctx,
                )
            })
        })
        .await
        .unwrap()
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app
        .get_json(token, &format!("/api/v1/follow-ups{query}"))
        .await;
    r["items"].as_array().unwrap().clone()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn a_commitment_is_reminded_escalated_and_kept_once_each() {
    let app = TestApp::builder().long_tokens().demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let (official_user, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (parent_user, _) = app.staff_of(Role::Official, "UBND-T92").await;
    let (supervisor_user, supervisor) = app.staff_of(Role::Supervisor, "UBND-T92").await;
    let stranger = app.official_of("UBND-X31120").await;
    // Opened on Monday 23/11/2026 (09:00 local); 10 working days: due Monday 7/12, 23:59:59.
    let id = open(&app, Subject::DialogueCommitment, 41, unit, 10).await;
    assert_eq!(
        open(&app, Subject::DialogueCommitment, 41, unit, 3).await,
        id,
        "a subject has one follow-up"
    );

    let mine = list(&app, &official, "").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["standing"], "open");
    assert_eq!(mine[0]["subject"], "dialogue_commitment");
    assert_eq!(mine[0]["due_at"], "2026-12-07T16:59:59Z");
    assert_eq!(list(&app, &supervisor, "?standing=open").await.len(), 1);
    assert!(list(&app, &stranger, "").await.is_empty());
    let r = app
        .get_as(&stranger, &format!("/api/v1/follow-ups/{id}"))
        .await;
    assert_problem(r, 404, "follow_up_not_found").await;
    let citizen = app.citizen().await;
    let r = app.get_as(&citizen, "/api/v1/follow-ups").await;
    assert_problem(r, 403, "action_forbidden").await;
    let r = app
        .get_as(&official, "/api/v1/follow-ups?standing=late")
        .await;
    assert_problem(r, 422, "validation_failed").await;

    // Nothing is due the next day.
    app.run_jobs().await;
    app.clock.advance(Duration::days(1));
    assert_eq!(app.run_jobs().await.swept.follow_ups, Default::default());
    // 75 % of the time (about 11 of its 14.6 days): Friday 4/12. Two sweeps at
    // once remind once.
    app.clock.set(at("2026-12-04T10:00:00Z"));
    let (a, b) = tokio::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(
        a.swept.follow_ups.reminders + b.swept.follow_ups.reminders,
        1,
        "{a:?} {b:?}"
    );
    // The last day, then the miss: escalated once, to the parent unit and the supervisors.
    app.clock.set(at("2026-12-07T01:00:00Z"));
    assert_eq!(app.run_jobs().await.swept.follow_ups.reminders, 1);
    app.clock.set(at("2026-12-07T17:00:30Z"));
    let (a, b) = tokio::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(a.swept.follow_ups.overdue + b.swept.follow_ups.overdue, 1);
    assert_eq!(app.run_jobs().await.swept.follow_ups, Default::default());

    let to_unit = app.mails_to(&official_user.email).await;
    let subjects: Vec<&str> = to_unit.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.starts_with("Nhắc hạn: Sửa đèn"))
            .count(),
        2,
        "{subjects:?}"
    );
    assert_eq!(
        subjects.iter().filter(|s| s.starts_with("Quá hạn")).count(),
        1
    );
    for person in [&parent_user, &supervisor_user] {
        let mails = app.mails_to(&person.email).await;
        let overdue: Vec<_> = mails
            .iter()
            .filter(|m| m.subject == "Quá hạn: Sửa đèn chiếu sáng tổ dân phố 5")
            .collect();
        assert_eq!(overdue.len(), 1, "{:?}", person.email);
        assert!(
            overdue[0].text.contains("07/12/2026"),
            "{}",
            overdue[0].text
        );
        assert!(
            !mails.iter().any(|m| m.subject.starts_with("Nhắc hạn")),
            "reminders go to the unit only"
        );
    }
    let overdue = list(&app, &supervisor, "?standing=overdue").await;
    assert_eq!(overdue.len(), 1);
    assert!(overdue[0]["missed_at"].is_string());

    // A supervisor reads but does not write; the unit records that the commitment was kept.
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/follow-ups/{id}/done"),
            &supervisor,
        )
        .json(&json!({"note": "Đã sửa"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 403, "action_forbidden").await;
    let official = app.relogin(&official_user).await;
    let done = |token: String| {
        let app = &app;
        async move {
            app.authed(
                Method::POST,
                &format!("/api/v1/follow-ups/{id}/done"),
                &token,
            )
            .json(&json!({"note": "Đã thay 4 bóng đèn ngày 8/12."}))
            .send()
            .await
            .unwrap()
        }
    };
    let r = done(official.clone()).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["standing"], "done_late", "{body}");
    assert_eq!(body["done_note"], "Đã thay 4 bóng đèn ngày 8/12.");
    assert_problem(done(official.clone()).await, 409, "follow_up_done").await;
    assert_eq!(
        list(&app, &supervisor, "?standing=done_late").await.len(),
        1
    );

    // Opening, the miss and the completion are in the chained admin log.
    let admin = app.admin().await;
    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?limit=100")
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == format!("follow_up:{id}"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["follow_up.open", "follow_up.missed", "follow_up.done"]
    );
    let v = app.get_json(&admin, "/api/v1/audit/verify").await;
    assert_eq!(v["ok"], true, "{v}");
}

#[tokio::test]
async fn a_synthesis_is_done_by_publishing_it_not_by_a_note() {
    let app = TestApp::demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let official = app.official_of("UBND-X31135").await;
    let id = open(&app, Subject::ConsultationSynthesis, 7, unit, 15).await;
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/follow-ups/{id}/done"),
            &official,
        )
        .json(&json!({"note": "Xong"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "follow_up_not_completable").await;
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/follow-ups/{id}/done"),
            &official,
        )
        .json(&json!({"note": ""}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    // Publishing (the consultation's own route) completes it through the workflow.
    let st = app.state.clone();
    let completed = app
        .state
        .db(move |conn| {
            nghedan::db::write(conn, |c| {
                let ctx = st.ticket_ctx(c)?;
                follow_ups::complete_subject(c, Subject::ConsultationSynthesis, 7, None, &ctx)
            })
        })
        .await
        .unwrap();
    assert!(completed);
    let one = app
        .get_json(&official, &format!("/api/v1/follow-ups/{id}"))
        .await;
    assert_eq!(one["standing"], "done_on_time", "{one}");
    let r = app
        .get_as(&official, &format!("/api/v1/follow-ups/{}", id + 1000))
        .await;
    assert_problem(r, 404, "follow_up_not_found").await;
}
