//! `nghedan backup` and `nghedan restore` (SQLite), through the real binary.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use diesel::prelude::*;

use crate::fixtures::{cli, code_of, pothole};
use crate::helpers::TestApp;

fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap()
}

/// Runs the binary on `db_url` with `args`: success, stdout, stderr.
fn run(db_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = cli(db_url).args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ticket_codes(db_url: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Code {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    let mut conn = SqliteConnection::establish(sqlite_path(db_url)).unwrap();
    diesel::sql_query("SELECT code FROM tickets")
        .load::<Code>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|c| c.code)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_a_submit_stream_restores_every_acknowledged_ticket() {
    let app = Arc::new(TestApp::builder().spawn_sqlite_file().await);
    app.seed_demo().await;
    let live_url = app.sqlite_url();
    let citizen = app.citizen().await;

    // Citizens keep submitting while the backup runs; each acknowledged code is kept, and the
    // test waits on their number (a condition), not on time.
    let acknowledged = Arc::new(tokio::sync::watch::channel(Vec::<String>::new()).0);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut stream = Vec::new();
    for _ in 0..2 {
        let (app, citizen, acknowledged, stop) = (
            app.clone(),
            citizen.clone(),
            acknowledged.clone(),
            stop.clone(),
        );
        stream.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let ticket = app.submit_ok(Some(&citizen), &pothole()).await;
                acknowledged.send_modify(|codes| codes.push(code_of(&ticket)));
            }
        }));
    }
    let at_least = |n: usize| {
        let mut seen = acknowledged.subscribe();
        async move {
            tokio::time::timeout(Duration::from_secs(60), seen.wait_for(|c| c.len() >= n))
                .await
                .expect("the submit stream goes on")
                .map(|_| ())
                .expect("the stream is open");
        }
    };
    at_least(20).await;

    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("nghedan-backup.db");
    let backup_arg = backup.display().to_string();
    let before: Vec<String> = acknowledged.borrow().clone();
    let (ok, out, err) = {
        let (url, arg) = (live_url.clone(), backup_arg.clone());
        tokio::task::spawn_blocking(move || run(&url, &["backup", &arg]))
            .await
            .unwrap()
    };
    let during = acknowledged.borrow().len();
    assert!(ok, "{err}");
    assert!(out.starts_with("backed up "), "{out}");
    // The stream went on after the backup; then it stops.
    at_least(during + 5).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for task in stream {
        task.await.unwrap();
    }
    assert!(!backup.with_extension("db.partial").exists());

    // A backup never replaces a file.
    let (ok, _, err) = run(&live_url, &["backup", &backup_arg]);
    assert!(!ok);
    assert!(err.contains("exists already"), "{err}");

    // Restore never overwrites the live database, and leaves it as it was.
    let live_count = ticket_codes(&live_url).len();
    let (ok, _, err) = run(&live_url, &["restore", &backup_arg]);
    assert!(!ok);
    assert!(err.contains("restore never overwrites a database"), "{err}");
    assert_eq!(ticket_codes(&live_url).len(), live_count);

    // Restored elsewhere: every ticket acknowledged before the backup began is there, once.
    let restored_url = format!(
        "sqlite://{}",
        dir.path().join("restored/nghedan.db").display()
    );
    let (ok, out, err) = run(&restored_url, &["restore", &backup_arg]);
    assert!(ok, "{err}");
    assert!(out.starts_with("restored "), "{out}");
    let restored = ticket_codes(&restored_url);
    let unique: HashSet<&String> = restored.iter().collect();
    assert_eq!(unique.len(), restored.len(), "no ticket twice");
    for code in &before {
        assert!(
            unique.contains(code),
            "{code} acknowledged before the backup"
        );
    }
    // Nothing in the backup that the live database does not have.
    let live: HashSet<String> = ticket_codes(&live_url).into_iter().collect();
    assert!(restored.iter().all(|c| live.contains(c)));
    assert!(
        out.contains(&format!("restored {} tickets", restored.len())),
        "{out}"
    );

    // The restored database serves: a citizen's ticket reads back.
    let again = TestApp::builder()
        .with_db_url(restored_url.clone())
        .spawn_sqlite_file()
        .await;
    let code = &before[0];
    let staff = again.official_of("UBND-X31135").await;
    let read = again
        .authed(
            reqwest::Method::GET,
            &format!("/api/v1/tickets/{code}"),
            &staff,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
}

#[test]
fn restore_refuses_what_is_not_a_backup_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("photo.jpg");
    std::fs::write(&junk, b"not a database at all, just some bytes").unwrap();
    let target = dir.path().join("data/nghedan.db");
    let url = format!("sqlite://{}", target.display());
    let (ok, _, err) = run(&url, &["restore", &junk.display().to_string()]);
    assert!(!ok);
    assert!(err.contains("is not a nghedan database"), "{err}");
    assert!(!target.exists());

    let missing = dir.path().join("nowhere.db");
    let (ok, _, err) = run(&url, &["backup", &missing.display().to_string()]);
    assert!(!ok);
    assert!(err.contains("nothing to back up"), "{err}");
    assert!(
        !target.exists(),
        "a backup never creates the database it copies"
    );
}

#[test]
fn postgresql_is_backed_up_with_its_own_tools() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("b.db").display().to_string();
    for command in ["backup", "restore"] {
        let (ok, _, err) = run(
            "postgres://postgres@127.0.0.1:5432/nghedan",
            &[command, &dest],
        );
        assert!(!ok);
        assert!(err.contains("pg_dump"), "{command}: {err}");
    }
}
