//! The outbox's leases, with two workers on one database and a relay that stops greeting: a
//! message is sent at most once while its lease is held. A worker renews each message's lease
//! just before sending it, records the outcome only while the row still carries its claim,
//! and gives back what a batch could not reach within its lease.

use std::collections::BTreeMap;

use chrono::Duration;

use crate::fixtures::closed_mail;
use crate::helpers::TestApp;
use crate::smtp::SmtpServer;

/// Queues one email to each address, oldest first.
async fn queue(app: &TestApp, addresses: &[&str]) {
    app.enqueue(
        addresses
            .iter()
            .enumerate()
            .map(|(i, a)| closed_mail(a, i + 1, &format!("lease:{a}")))
            .collect(),
    )
    .await;
}

/// How many times each address received mail, over all `relays`.
fn arrivals(relays: &[&SmtpServer]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for relay in relays {
        for r in relay.received() {
            for to in r.to {
                *out.entry(to).or_default() += 1;
            }
        }
    }
    out
}

/// Every outbox row as (address, state, attempts, last_error).
async fn rows(app: &TestApp) -> Vec<(Option<String>, String, i32, Option<String>)> {
    app.state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::outbox;
            Ok(outbox::table
                .order(outbox::id.asc())
                .select((
                    outbox::address,
                    outbox::state,
                    outbox::attempts,
                    outbox::last_error,
                ))
                .load(c)?)
        })
        .await
        .unwrap()
}

/// Worker A, sending through a relay that stalls; worker B on the same database, with a relay
/// that answers. The shipped lease and SMTP timeout (120 s, 30 s).
async fn two_workers() -> (SmtpServer, TestApp, TestApp) {
    let relay = SmtpServer::stalling().await;
    let port = relay.port();
    let a = TestApp::builder()
        .with_settings(move |s| {
            s.email.smtp_port = port;
            s.email.smtp_timeout_ms = 30_000;
            s.notifications.lease_secs = 120;
        })
        .spawn()
        .await;
    let b = TestApp::builder()
        .with_db_url(a.db_url.clone())
        .with_settings(|s| {
            s.email.smtp_timeout_ms = 30_000;
            s.notifications.lease_secs = 120;
        })
        .spawn()
        .await;
    (relay, a, b)
}

fn advance(apps: [&TestApp; 2], by: Duration) {
    for app in apps {
        app.clock.advance(by);
    }
}

#[tokio::test]
async fn a_stalling_relay_makes_no_message_go_twice_between_two_workers() {
    let (relay, a, b) = two_workers().await;
    let stall = relay.stall.clone().unwrap();
    queue(&a, &["m1@example.vn", "m2@example.vn", "m3@example.vn"]).await;

    // A claims all three (its lease: until T+120 s) and waits for the relay's greeting.
    let worker = {
        let state = a.state.clone();
        tokio::spawn(async move { nghedan::jobs::run_once(&state).await })
    };
    stall.arrivals(1).await;
    // 50 s of silence; then the relay greets and m1 goes. A renews m2's lease (until T+170 s)
    // and meets the silent relay again.
    advance([&a, &b], Duration::seconds(50));
    stall.release();
    stall.arrivals(2).await;
    // 80 s more: the batch's lease has run out (T+130 s), m2's renewed one has not. B takes
    // what A has not reached — m3 — and nothing A is sending.
    advance([&a, &b], Duration::seconds(80));
    let taken_over = b.run_jobs().await.delivered;
    assert_eq!(
        (taken_over.sent, taken_over.lease_lost),
        (1, 0),
        "{taken_over:?}"
    );
    // The relay comes back: A sends m2 and leaves m3 to B.
    stall.open();
    let first = worker.await.unwrap().unwrap().delivered;
    assert_eq!(
        (first.sent, first.retried, first.dead),
        (2, 0, 0),
        "{first:?}"
    );
    assert_eq!(stall.arrived(), 2, "A never tried m3");

    let expected: BTreeMap<String, usize> = ["m1@example.vn", "m2@example.vn", "m3@example.vn"]
        .into_iter()
        .map(|a| (a.to_string(), 1))
        .collect();
    assert_eq!(arrivals(&[&relay, &b.smtp]), expected, "each message once");
    assert_eq!(
        arrivals(&[&b.smtp]).keys().collect::<Vec<_>>(),
        ["m3@example.vn"]
    );
    assert!(
        rows(&a)
            .await
            .iter()
            .all(|r| r.1 == "sent" && r.2 == 1 && r.3.is_none()),
        "{:?}",
        rows(&a).await
    );
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_overwrites_nothing_the_new_holder_recorded() {
    let (relay, a, b) = two_workers().await;
    let stall = relay.stall.clone().unwrap();
    queue(&a, &["late@example.vn"]).await;
    let worker = {
        let state = a.state.clone();
        tokio::spawn(async move { nghedan::jobs::run_once(&state).await })
    };
    stall.arrivals(1).await;
    // A stays stuck past its lease (as a frozen process would): B takes the message and sends it.
    advance([&a, &b], Duration::seconds(121));
    assert_eq!(b.run_jobs().await.delivered.sent, 1);
    // Then A's relay refuses for good. A no longer holds the message: it records no failure.
    stall.refuse(554);
    let first = worker.await.unwrap().unwrap().delivered;
    assert_eq!(
        (first.sent, first.dead, first.lease_lost),
        (0, 0, 1),
        "{first:?}"
    );
    assert_eq!(
        rows(&a).await,
        vec![(
            Some("late@example.vn".to_string()),
            "sent".to_string(),
            1,
            None
        )]
    );
    assert_eq!(
        arrivals(&[&relay, &b.smtp]),
        BTreeMap::from([("late@example.vn".to_string(), 1)])
    );
    let metrics = a.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(
            "nghedan_outbox_deliveries_total{channel=\"email\",outcome=\"lease_lost\"} 1"
        ),
        "{metrics}"
    );
}

#[test]
fn a_lease_shorter_than_twice_the_send_timeout_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nghedan"));
    cmd.arg("migrate").current_dir(dir.path());
    for (k, _) in std::env::vars() {
        if k.starts_with("NGHEDAN") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .env("NGHEDAN_CONFIG_DIR", crate::helpers::config_dir())
        .env("NGHEDAN__LOG__LEVEL", "error")
        .env("NGHEDAN__NOTIFICATIONS__LEASE_SECS", "50")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("notifications.lease_secs"), "{err}");
    assert!(err.contains("email.smtp_timeout_ms"), "{err}");
    // Nothing was created on the way.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
