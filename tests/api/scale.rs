//! Scale-out: two API processes and two workers on one database, under submissions and
//! workflow actions at once — no ticket, event or message lost or duplicated.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::fixtures::{code_of, pothole};
use crate::helpers::TestApp;

#[tokio::test]
async fn two_servers_and_two_workers_lose_and_duplicate_nothing() {
    let a = TestApp::demo().await;
    // A second server on the same database.
    let b = TestApp::builder()
        .with_db_url(a.db_url.clone())
        .spawn()
        .await;
    let citizen = a.citizen().await;
    let official = a.official_of("UBND-X31135").await;

    // 40 submissions, alternating servers, four at a time.
    let body = pothole();
    let mut codes = Vec::new();
    for round in 0..10 {
        let batch = (0..4).map(|i| {
            let app = if (round + i) % 2 == 0 { &a } else { &b };
            app.submit(Some(&citizen), &body)
        });
        for r in futures_util::future::join_all(batch).await {
            assert_eq!(r.status(), 201);
            let v: Value = r.json().await.unwrap();
            codes.push(code_of(&v));
        }
        // Meanwhile, the official works the earlier tickets on the other server, and both
        // workers deliver.
        if round > 0 {
            let code = codes[(round - 1) * 4].clone();
            let (x, y, _, _) = tokio::join!(
                a.act(&official, &code, "accept", json!({})),
                b.act(&official, &code, "accept", json!({})),
                a.run_jobs(),
                b.run_jobs()
            );
            let ok = [x.status().as_u16(), y.status().as_u16()];
            assert_eq!(ok.iter().filter(|s| **s == 200).count(), 1, "{ok:?}");
        }
    }
    let unique: HashSet<&String> = codes.iter().collect();
    assert_eq!(unique.len(), 40, "no duplicate codes");
    // Drain the outbox with both workers at once.
    loop {
        let (x, y) = tokio::join!(a.run_jobs(), b.run_jobs());
        if x.delivered.is_empty() && y.delivered.is_empty() {
            break;
        }
    }
    let (tickets, submitted, accepted, queued, sent_email) = a
        .state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::{outbox, ticket_events, tickets};
            Ok((
                tickets::table.count().get_result::<i64>(c)?,
                ticket_events::table
                    .filter(ticket_events::kind.eq("submitted"))
                    .count()
                    .get_result::<i64>(c)?,
                ticket_events::table
                    .filter(ticket_events::kind.eq("accepted"))
                    .count()
                    .get_result::<i64>(c)?,
                outbox::table
                    .filter(outbox::state.ne("sent"))
                    .count()
                    .get_result::<i64>(c)?,
                outbox::table
                    .filter(outbox::channel.eq("email"))
                    .count()
                    .get_result::<i64>(c)?,
            ))
        })
        .await
        .unwrap();
    assert_eq!((tickets, submitted, accepted), (40, 40, 9));
    assert_eq!(queued, 0, "everything delivered");
    // Every email went out exactly once, through one of the two workers.
    let mut mails: Vec<String> = a
        .mails()
        .into_iter()
        .chain(b.mails())
        .map(|m| m.raw)
        .collect();
    let total = mails.len();
    let bodies: HashSet<String> = mails
        .drain(..)
        .map(|raw| {
            // Identify a message by its recipient, subject and body (Message-IDs differ).
            raw.lines()
                .filter(|l| !l.starts_with("Message-ID") && !l.starts_with("Date"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect();
    assert_eq!(total as i64, sent_email);
    assert_eq!(bodies.len(), total, "no message twice");
}
