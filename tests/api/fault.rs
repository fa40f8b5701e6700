//! Scale-out under faults, through the real binary: two API processes and two workers on one
//! PostgreSQL (through PgBouncer in CI's pooled run), a stream of 2,000 submissions, and midway
//! one API process and one worker killed with SIGKILL and started again. Every acknowledged
//! ticket exists once; every email is delivered, and one is sent twice only if its worker died
//! while sending it — with the same Message-ID, so a mail client shows it once.
//!
//! PostgreSQL through a pooler only (CI's third run): SQLite deployments are one process.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use serde_json::Value;

use crate::fixtures::{cli, demo_citizen_token, pothole};
use crate::helpers::{TestDb, pg_admin_url, pooler_url, record_in_ledger, test_settings};
use crate::smtp::{Behaviour, Security, SmtpServer};

const TICKETS: usize = 2_000;
const STREAMS: usize = 8;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `nghedan serve` (API only) or `nghedan worker`, mailing through the test's relay, once it
/// says it runs (its log line, a condition: the API's port is bound by then). The lease is the
/// shortest allowed (twice a push's longest send) and batches small, so that what a killed
/// worker held goes back to the queue within a minute.
async fn start(db_url: &str, smtp_port: u16, role: &str, port: u16) -> Child {
    let mut cmd = cli(db_url);
    let says = match role {
        "serve" => {
            cmd.args(["serve", "--no-jobs"]);
            "nghedan serving"
        }
        _ => {
            cmd.arg("worker");
            "nghedan worker running"
        }
    };
    let mut child = cmd
        .env("NGHEDAN__LOG__LEVEL", "error,nghedan::cli=info")
        .env("NGHEDAN__SERVER__PORT", port.to_string())
        .env("NGHEDAN__WORKER__PORT", "0")
        .env("NGHEDAN__DATABASE__MIGRATE_ON_START", "false")
        .env("NGHEDAN__JOBS__POLL_INTERVAL_MS", "100")
        .env("NGHEDAN__EMAIL__BACKEND", "smtp")
        .env("NGHEDAN__EMAIL__SMTP_HOST", "127.0.0.1")
        .env("NGHEDAN__EMAIL__SMTP_PORT", smtp_port.to_string())
        .env("NGHEDAN__EMAIL__SMTP_TLS", "plain")
        .env("NGHEDAN__EMAIL__SMTP_TIMEOUT_MS", "2000")
        .env("NGHEDAN__NOTIFICATIONS__LEASE_SECS", "60")
        .env("NGHEDAN__NOTIFICATIONS__BATCH_SIZE", "10")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nghedan");
    // Both pipes are read to their end, so the process never blocks on a full one.
    let (tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    for pipe in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    drop(tx);
    let said = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.recv().await {
            if line.contains(says) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(said, Ok(true), "`nghedan {role}` says it runs");
    child
}

fn kill(child: &mut Child) {
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_api_and_worker_lose_no_ticket_and_no_message() {
    // Run where it means the most and costs the least: CI's PgBouncer run, which checks the
    // ledger's `fault` line.
    if pg_admin_url().is_none() || pooler_url().is_none() {
        eprintln!(
            "fault test not run: it needs NGHEDAN_TEST_DATABASE_URL and NGHEDAN_TEST_POOLER_URL"
        );
        return;
    }
    nghedan::startup::install_crypto();
    let (_db, db_url) = TestDb::create();
    let smtp = SmtpServer::start(Security::Plain, Behaviour::Accept, false).await;
    let seeded = cli(&db_url).args(["seed", "demo"]).output().unwrap();
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );

    let ports = [free_port(), free_port()];
    let mut apis = vec![
        start(&db_url, smtp.port(), "serve", ports[0]).await,
        start(&db_url, smtp.port(), "serve", ports[1]).await,
    ];
    let mut workers = vec![
        start(&db_url, smtp.port(), "worker", 0).await,
        start(&db_url, smtp.port(), "worker", 0).await,
    ];
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let token = demo_citizen_token(&client, &format!("http://127.0.0.1:{}", ports[0])).await;

    // Each key is tried on one API process, then at once on the other (as a load balancer
    // would: one of them is always up) until one acknowledges it. The test waits on the number
    // acknowledged (a condition), not on time.
    let acknowledged = Arc::new(tokio::sync::watch::channel(HashMap::<String, String>::new()).0);
    let mut streams = Vec::new();
    for s in 0..STREAMS {
        let (client, token, acknowledged) = (client.clone(), token.clone(), acknowledged.clone());
        streams.push(tokio::spawn(async move {
            for i in (s..TICKETS).step_by(STREAMS) {
                let key = format!("fault-{i:05}");
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut attempt = i;
                loop {
                    let port = ports[attempt % 2];
                    attempt += 1;
                    let r = client
                        .post(format!("http://127.0.0.1:{port}/api/v1/tickets"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", &key)
                        .json(&pothole())
                        .send()
                        .await;
                    if let Ok(r) = r
                        && r.status() == 201
                    {
                        let v: Value = r.json().await.unwrap();
                        let code = v["code"].as_str().unwrap().to_string();
                        acknowledged.send_modify(|a| {
                            a.insert(key.clone(), code);
                        });
                        break;
                    }
                    assert!(Instant::now() < deadline, "{key} is acknowledged at last");
                }
            }
        }));
    }

    // Midway, SIGKILL the first API process and the first worker, and start them again.
    let mut seen = acknowledged.subscribe();
    tokio::time::timeout(
        Duration::from_secs(300),
        seen.wait_for(|a| a.len() >= TICKETS / 2),
    )
    .await
    .expect("half the stream is acknowledged")
    .unwrap();
    kill(&mut apis[0]);
    kill(&mut workers[0]);
    apis[0] = start(&db_url, smtp.port(), "serve", ports[0]).await;
    workers[0] = start(&db_url, smtp.port(), "worker", 0).await;

    for s in streams {
        s.await.unwrap();
    }
    let acknowledged = acknowledged.borrow().clone();
    assert_eq!(acknowledged.len(), TICKETS);

    // Every acknowledged ticket exists, once.
    let settings = test_settings(&db_url);
    let pool = nghedan::db::build_pool(&settings.database).unwrap();
    let mut conn = pool.get().unwrap();
    let codes: Vec<String> = {
        use nghedan::db::schema::tickets;
        tickets::table
            .select(tickets::code)
            .load(&mut conn)
            .unwrap()
    };
    let distinct: HashSet<&String> = codes.iter().collect();
    assert_eq!(codes.len(), TICKETS, "one ticket per key");
    assert_eq!(distinct.len(), TICKETS);
    for code in acknowledged.values() {
        assert!(distinct.contains(code), "{code} was acknowledged");
    }

    // The workers drain the outbox: nothing left queued, nothing given up on. Other processes
    // mark the rows, and a message the killed worker held waits out its lease (a minute, real
    // time in those processes): read until the condition holds, a bounded number of times.
    let wait = Instant::now() + Duration::from_secs(300);
    let (sent, pending) = loop {
        use nghedan::db::schema::outbox;
        let states: Vec<(String, i64)> = outbox::table
            .filter(outbox::channel.eq("email"))
            .group_by(outbox::state)
            .select((outbox::state, diesel::dsl::count_star()))
            .load(&mut conn)
            .unwrap();
        let count = |s: &str| states.iter().find(|(k, _)| k == s).map_or(0, |r| r.1);
        let pending = count("queued") + count("dead");
        if pending == 0 || Instant::now() > wait {
            break (count("sent"), states);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        pending.iter().all(|(s, _)| s == "sent"),
        "every email sent: {pending:?}"
    );
    // Each ticket told its submitter, and its unit's officials.
    assert!(
        sent >= TICKETS as i64,
        "{sent} emails for {TICKETS} tickets"
    );

    // What the relay got: every message, under as many Message-IDs as messages; a second copy
    // only of what the killed worker was sending (one at a time), with the same Message-ID.
    let received = smtp.received();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for mail in &received {
        let parsed = mail_parser::MessageParser::default()
            .parse(&mail.data)
            .expect("a whole message");
        *by_id
            .entry(parsed.message_id().expect("a Message-ID").to_string())
            .or_default() += 1;
    }
    assert_eq!(by_id.len() as i64, sent, "one Message-ID per message");
    let twice: Vec<_> = by_id.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.len() <= 1 && twice.iter().all(|(_, n)| **n == 2),
        "only the message in flight at the kill may arrive twice: {twice:?}"
    );
    eprintln!(
        "fault test: {TICKETS} tickets, {sent} emails, {} arrived twice",
        twice.len()
    );

    for mut child in apis.into_iter().chain(workers) {
        let _ = child.kill();
        let _ = child.wait();
    }
    record_in_ledger("fault");
}
