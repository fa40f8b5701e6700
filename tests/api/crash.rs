//! Crash safety: the server killed (SIGKILL) in the middle of a stream of submissions loses no
//! ticket that got a 201, and a retry with the same Idempotency-Key never makes a second one.

use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::fixtures::{cli, demo_citizen_token, pothole};
use crate::helpers::{TestDb, pg_admin_url};

fn start(dir: &std::path::Path, db_url: &str, port: u16) -> Child {
    cli(db_url)
        .args(["serve", "--demo"])
        .current_dir(dir)
        .env("NGHEDAN__SERVER__PORT", port.to_string())
        .env("NGHEDAN__JOBS__RUN_IN_SERVE", "false")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nghedan")
}

async fn ready(client: &reqwest::Client, base: &str) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(30) {
        if let Ok(r) = client.get(format!("{base}/health/ready")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

#[tokio::test]
async fn a_killed_server_loses_no_acknowledged_ticket_and_makes_no_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let (db_url, _db) = match pg_admin_url() {
        Some(_) => {
            let (db, url) = TestDb::create();
            (url, Some(db))
        }
        None => (
            format!("sqlite://{}", dir.path().join("crash.db").display()),
            None,
        ),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    nghedan::startup::install_crypto();
    let client = reqwest::Client::new();
    let mut child = start(dir.path(), &db_url, port);
    ready(&client, &base).await;
    let token = demo_citizen_token(&client, &base).await;

    // Four streams of submissions; the server dies after the first ten acknowledgements.
    let keys: Vec<String> = (0..60).map(|i| format!("crash-key-{i:04}")).collect();
    let submit = {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        move |key: String| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            async move {
                let r = client
                    .post(format!("{base}/api/v1/tickets"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", &key)
                    .json(&pothole())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap_or_default();
                        Some(v["code"].as_str().unwrap_or_default().to_string())
                    }
                    _ => None,
                }
            }
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Option<String>)>();
    let mut streams = Vec::new();
    for chunk in keys.chunks(15) {
        let chunk = chunk.to_vec();
        let tx = tx.clone();
        let submit = submit.clone();
        streams.push(tokio::spawn(async move {
            for k in chunk {
                let r = submit(k.clone()).await;
                if tx.send((k, r)).is_err() {
                    return;
                }
            }
        }));
    }
    drop(tx);
    let mut acknowledged: HashMap<String, String> = HashMap::new();
    while let Some((key, code)) = rx.recv().await {
        if let Some(code) = code {
            acknowledged.insert(key, code);
            if acknowledged.len() == 10 {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
            }
        }
    }
    for s in streams {
        s.await.unwrap();
    }
    // Dead already (or, had fewer than ten been acknowledged, now).
    let _ = child.kill();
    let _ = child.wait();
    assert!(acknowledged.len() >= 10);

    // Restart; every acknowledged ticket is there, and retries make no second one.
    let mut child = start(dir.path(), &db_url, port);
    ready(&client, &base).await;
    let mut created: HashMap<String, String> = HashMap::new();
    for key in &keys {
        let code = submit(key.clone()).await.expect("retry succeeds");
        if let Some(first) = acknowledged.get(key) {
            assert_eq!(&code, first, "a retry returns the acknowledged ticket");
        }
        created.insert(key.clone(), code);
    }
    for code in acknowledged.values() {
        let r = client
            .get(format!("{base}/api/v1/tickets/{code}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{code}");
        let events: Value = client
            .get(format!("{base}/api/v1/tickets/{code}/events"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(events["items"][0]["kind"], "submitted");
    }
    let mut codes: Vec<&String> = created.values().collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), keys.len(), "one ticket per key");
    // In the database: exactly one ticket per key, each with its event and its messages.
    let counts = {
        use diesel::prelude::*;
        use nghedan::db::schema::{outbox, ticket_events, tickets};
        let settings = crate::helpers::test_settings(&db_url);
        let pool = nghedan::db::build_pool(&settings.database).unwrap();
        let mut conn = pool.get().unwrap();
        let t: i64 = tickets::table.count().get_result(&mut conn).unwrap();
        let submitted: i64 = ticket_events::table
            .filter(ticket_events::kind.eq("submitted"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        let received: i64 = outbox::table
            .filter(outbox::template.eq("ticket_received"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        (t, submitted, received)
    };
    assert_eq!(
        counts,
        (keys.len() as i64, keys.len() as i64, keys.len() as i64)
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
