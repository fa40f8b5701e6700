//! Housekeeping: the jobs pass deletes what is past its time, once per interval on the test
//! clock, and counts each kind in `/metrics`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use nghedan::db::schema::{email_tokens, notifications, outbox, rate_limits, refresh_tokens};
use nghedan::domain::account::Role;
use nghedan::error::AppError;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// Rows in each table the housekeeping cleans, as of `now`, with the settings' ages.
#[derive(Debug, Default, PartialEq, Eq)]
struct Rows {
    rate_limits: i64,
    refresh_tokens: i64,
    email_tokens: i64,
    /// Sent or suppressed messages queued more than 30 days before `now`.
    old_delivered: i64,
    /// Dead-lettered messages (an operator looks at them).
    dead: i64,
    read_notifications: i64,
    unread_notifications: i64,
}

async fn rows(app: &TestApp) -> Rows {
    let now = app.clock_now_naive();
    app.state
        .db(move |c| -> Result<Rows, AppError> {
            let delivered = outbox::state.eq_any(["sent", "suppressed"]);
            let month_ago: NaiveDateTime = now - Duration::days(30);
            Ok(Rows {
                rate_limits: rate_limits::table.count().get_result(c)?,
                refresh_tokens: refresh_tokens::table.count().get_result(c)?,
                email_tokens: email_tokens::table.count().get_result(c)?,
                old_delivered: outbox::table
                    .filter(delivered)
                    .filter(outbox::created_at.lt(month_ago))
                    .count()
                    .get_result(c)?,
                dead: outbox::table
                    .filter(outbox::state.eq("dead"))
                    .count()
                    .get_result(c)?,
                read_notifications: notifications::table
                    .filter(notifications::read_at.is_not_null())
                    .count()
                    .get_result(c)?,
                unread_notifications: notifications::table
                    .filter(notifications::read_at.is_null())
                    .count()
                    .get_result(c)?,
            })
        })
        .await
        .unwrap()
}

fn removed(metrics: &str, what: &str) -> u64 {
    let prefix = format!("nghedan_housekeeping_removed_total{{what=\"{what}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{prefix} in {metrics}"))
        .parse()
        .unwrap()
}

async fn metrics(app: &TestApp) -> String {
    app.get("/metrics").await.text().await.unwrap()
}

#[tokio::test]
async fn housekeeping_deletes_what_is_past_its_time_and_counts_it() {
    let app = TestApp::demo().await;
    let (_, citizen) = app.token_for(Role::Citizen, None).await;
    let official = app.official_of("UBND-X31135").await;
    // A sign-up (a verification token, a rate-limit counter, a mail) and a reset request (a
    // reset token, a counter, a mail).
    let r = app
        .register("moi@example.vn", "a long good password", "Người Mới")
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": "moi@example.vn"}),
        )
        .await;
    assert_eq!(r.status(), 202);
    // In-app notifications for the citizen: the first ones read, the last one not.
    let code = app.submit_pothole(&citizen).await;
    app.accept(&official, &code).await;
    let list: Value = app
        .get_json(&citizen, "/api/v1/me/notifications?limit=100")
        .await;
    let newest = list["items"][0]["id"].as_i64().unwrap();
    let r = app
        .authed(Method::POST, "/api/v1/me/notifications/read", &citizen)
        .json(&json!({"up_to": newest}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.resolve(&official, &code, "Đã vá xong.").await;
    // A message that could not be delivered.
    app.enqueue(vec![crate::fixtures::closed_mail(
        "x@example.vn",
        1,
        "dead-1",
    )])
    .await;
    app.state
        .db(|c| -> Result<usize, AppError> {
            Ok(
                diesel::update(outbox::table.filter(outbox::dedup_key.eq("dead-1")))
                    .set(outbox::state.eq("dead"))
                    .execute(c)?,
            )
        })
        .await
        .unwrap();

    // The first pass of a process does the housekeeping; nothing is old yet.
    let pass = app.run_jobs().await;
    assert_eq!(pass.housekept, Default::default());
    let start = rows(&app).await;
    assert_eq!(start.rate_limits, 2, "{start:?}");
    assert_eq!(start.email_tokens, 2, "{start:?}");
    // The citizen's and the official's sign-ins.
    assert_eq!(start.refresh_tokens, 2, "{start:?}");
    assert!(start.read_notifications >= 1, "{start:?}");
    assert!(start.unread_notifications >= 1, "{start:?}");

    // Within the interval, no housekeeping: the counters stay though their window is over…
    app.clock.advance(Duration::minutes(59));
    assert_eq!(app.run_jobs().await.housekept, Default::default());
    assert_eq!(rows(&app).await.rate_limits, 2);

    // … and past it, the counters whose window ended go (they hold client addresses).
    app.clock.advance(Duration::hours(1));
    let pass = app.run_jobs().await;
    assert_eq!(pass.housekept.rate_limits, 2, "{pass:?}");
    assert_eq!(pass.housekept.refresh_tokens, 0, "{pass:?}");
    assert_eq!(rows(&app).await.rate_limits, 0);

    // Ten days on: the verification (48 h) and reset (1 h) tokens expired more than the
    // 7 days kept; the refresh tokens (30 days) live on.
    app.clock.advance(Duration::days(10));
    let pass = app.run_jobs().await;
    assert_eq!(
        (
            pass.housekept.verification_tokens,
            pass.housekept.reset_tokens,
            pass.housekept.refresh_tokens
        ),
        (1, 1, 0),
        "{pass:?}"
    );
    assert_eq!(rows(&app).await.email_tokens, 0);

    // 38 days on: refresh tokens expired 8 days ago go, and so do the messages delivered more
    // than 30 days ago; newer and dead ones stay.
    app.clock.advance(Duration::days(28));
    let before = rows(&app).await;
    assert!(before.old_delivered >= 4, "{before:?}");
    let pass = app.run_jobs().await;
    assert_eq!(
        pass.housekept.refresh_tokens as i64, start.refresh_tokens,
        "{pass:?}"
    );
    assert_eq!(
        pass.housekept.outbox_messages as i64, before.old_delivered,
        "{pass:?}"
    );
    assert_eq!(pass.housekept.notifications, 0, "{pass:?}");
    let after = rows(&app).await;
    assert_eq!((after.refresh_tokens, after.old_delivered), (0, 0));
    assert_eq!(after.dead, 1);
    assert_eq!(after.read_notifications, before.read_notifications);

    // 91 days on: read notifications made more than 90 days ago go; unread ones stay.
    app.clock.advance(Duration::days(53));
    let before = rows(&app).await;
    let pass = app.run_jobs().await;
    assert_eq!(
        pass.housekept.notifications as i64, start.read_notifications,
        "{pass:?}"
    );
    let after = rows(&app).await;
    assert_eq!(
        after.read_notifications,
        before.read_notifications - start.read_notifications
    );
    assert!(after.unread_notifications >= start.unread_notifications);

    // Each kind is counted in /metrics.
    let text = metrics(&app).await;
    assert_eq!(removed(&text, "rate_limits"), 2);
    assert_eq!(removed(&text, "verification_tokens"), 1);
    assert_eq!(removed(&text, "reset_tokens"), 1);
    assert_eq!(
        removed(&text, "refresh_tokens"),
        start.refresh_tokens as u64
    );
    assert!(removed(&text, "outbox_messages") >= 4);
    assert_eq!(
        removed(&text, "notifications"),
        start.read_notifications as u64
    );
    assert_eq!(removed(&text, "orphan_uploads"), 0);
}
