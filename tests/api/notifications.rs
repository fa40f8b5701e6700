//! Who is told what, end to end: a ticket walked through its workflow sends exactly the
//! expected emails (real SMTP) and pushes (FCM HTTP v1 mock) to exactly the expected people,
//! in their language; the in-app list; the outbox under two workers; the admin CLI; metrics.

use std::collections::{BTreeMap, HashSet};

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{bribery, cli, closed_mail, code_of, pothole};
use crate::helpers::{TestApp, assert_problem};
use crate::notify_push::{FcmMock, SEND_PATH, service_account_json};
use nghedan::clock::Clock;
use nghedan::domain::account::Role;

/// An app whose pushes go to the FCM mock.
async fn app_with_fcm(fcm: &FcmMock) -> (TestApp, tempfile::NamedTempFile) {
    use std::io::Write;
    let mut key = tempfile::NamedTempFile::new().unwrap();
    key.write_all(service_account_json(&fcm.token_uri()).as_bytes())
        .unwrap();
    let (path, base) = (key.path().to_string_lossy().into_owned(), fcm.server.uri());
    let app = TestApp::builder()
        .with_settings(move |s| {
            s.push.fcm_service_account_file = Some(path);
            s.push.fcm_api_base = Some(base);
        })
        .spawn()
        .await;
    (app, key)
}

impl TestApp {
    pub(crate) async fn add_fcm_device(&self, token: &str, device_token: &str) {
        let r = self
            .authed(Method::POST, "/api/v1/me/devices", token)
            .json(&json!({"platform": "fcm", "token": device_token}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }

    async fn notifications(&self, token: &str, query: &str) -> Value {
        let r = self
            .authed(
                Method::GET,
                &format!("/api/v1/me/notifications{query}"),
                token,
            )
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Subjects of the mails each address received, in order.
    fn subjects_by_address(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for m in self.mails() {
            for to in &m.to {
                out.entry(to.clone()).or_default().push(m.subject.clone());
            }
        }
        out
    }
}

/// The FCM messages sent, as (device token, data) in order.
pub(crate) async fn pushes(fcm: &FcmMock) -> Vec<(String, Value)> {
    fcm.requests(SEND_PATH)
        .await
        .into_iter()
        .map(|r| {
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            (
                v["message"]["token"].as_str().unwrap().to_string(),
                v["message"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_ticket_workflow_tells_exactly_the_right_people_in_their_language() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm).await;
    app.seed_demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (follower_user, follower) = app.token_for(Role::Citizen, None).await;
    let (official_user, official) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (outsider_user, outsider) = app.staff_of(Role::Official, "UBND-T92").await;
    let (supervisor_user, _) = app.staff_of(Role::Supervisor, "UBND-T92").await;
    app.add_fcm_device(&citizen, "fcm-citizen").await;
    app.add_fcm_device(&official, "fcm-official").await;
    app.add_fcm_device(&outsider, "fcm-outsider").await;
    // The follower reads English and wants no push.
    let r = app
        .authed(Method::PATCH, "/api/v1/me", &follower)
        .json(&json!({"locale": "en", "notification_preferences": {"push": false}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mailbox = "ubnd-x31135@demo.nghedan.vn".to_string();
    let demo_official = "canbo.ubnd-x31135@demo.nghedan.vn".to_string();

    let code = app.submit_pothole(&citizen).await;
    app.accept(&official, &code).await;
    let r = app
        .authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/follow"),
            &follower,
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    app.request_info(&official, &code, "Ổ gà bên trái hay phải?")
        .await;
    app.provide_info(&citizen, &code, "Bên phải.").await;
    app.act_ok(
        &official,
        &code,
        "resolve",
        json!({"answer": "Đã vá.", "publish": true}),
    )
    .await;
    // Delivering twice sends nothing more.
    app.run_jobs().await;
    app.run_jobs().await;

    // Emails: exactly these, to exactly these people.
    let by = app.subjects_by_address();
    let addresses: HashSet<&String> = by.keys().collect();
    let expected: HashSet<&String> = [
        &citizen_user.email,
        &follower_user.email,
        &official_user.email,
        &demo_official,
        &mailbox,
    ]
    .into_iter()
    .collect();
    assert_eq!(addresses, expected, "{by:#?}");
    let citizen_mail = &by[&citizen_user.email];
    assert_eq!(
        citizen_mail.len(),
        4,
        "received, accepted, question, answered: {citizen_mail:?}"
    );
    assert!(citizen_mail.iter().all(|s| s.contains(&code)));
    assert!(
        citizen_mail[3].contains("đã có kết quả"),
        "{citizen_mail:?}"
    );
    // The follower is told only of the answer, in English.
    let follower_mail = &by[&follower_user.email];
    assert_eq!(follower_mail.len(), 1, "{follower_mail:?}");
    assert!(follower_mail[0].contains(&code));
    assert!(
        follower_mail[0].is_ascii() || follower_mail[0].contains("answer"),
        "English subject: {}",
        follower_mail[0]
    );
    // The unit's officials and its mailbox: the new ticket and the citizen's answer (nobody
    // was assigned, so the whole unit hears it).
    for staff in [&official_user.email, &demo_official, &mailbox] {
        let got = &by[staff];
        assert_eq!(got.len(), 2, "{staff}: {got:?}");
        assert!(got[0].starts_with("Phiếu mới"), "{got:?}");
        assert!(got[1].contains("bổ sung thông tin"), "{got:?}");
    }
    assert!(!by.contains_key(&outsider_user.email));
    assert!(!by.contains_key(&supervisor_user.email));

    // Pushes: the citizen's phone for each of their four events, the official's for two; none
    // to the outsider, none to the follower (push off), each naming its in-app row.
    let sent = pushes(&fcm).await;
    let to_citizen: Vec<&Value> = sent
        .iter()
        .filter(|(t, _)| t == "fcm-citizen")
        .map(|(_, m)| m)
        .collect();
    let to_official = sent.iter().filter(|(t, _)| t == "fcm-official").count();
    assert_eq!(to_citizen.len(), 4, "{sent:#?}");
    assert_eq!(to_official, 2, "{sent:#?}");
    assert_eq!(sent.len(), 6, "{sent:#?}");
    let listed = app.notifications(&citizen, "").await;
    let ids: Vec<i64> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    for m in &to_citizen {
        assert_eq!(m["data"]["ticket_code"], code.as_str(), "{m}");
        let id: i64 = m["data"]["notification_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(ids.contains(&id), "push names an in-app row: {m}");
        // Vietnamese text for a Vietnamese reader.
        let body = m["notification"]["body"].as_str().unwrap();
        assert!(!body.is_ascii(), "{body}");
    }

    // The in-app list: newest first, in the request's language, with the unread count.
    assert_eq!(listed["unread"], 4);
    let events: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "ticket_answered",
            "ticket_question",
            "ticket_accepted",
            "ticket_received"
        ]
    );
    let first = &listed["items"][0];
    assert_eq!(first["ticket_code"], code.as_str());
    assert_eq!(first["read"], false);
    assert!(first["body"].as_str().unwrap().is_ascii(), "{first}");
    // The follower's list holds the answer though they get no push; the outsider's is empty.
    let f = app.notifications(&follower, "").await;
    assert_eq!(f["items"].as_array().unwrap().len(), 1);
    assert_eq!(f["items"][0]["event"], "ticket_answered");
    let o = app.notifications(&outsider, "").await;
    assert_eq!(o["items"], json!([]));
    assert_eq!(o["unread"], 0);
}

#[tokio::test]
async fn the_in_app_list_pages_and_is_marked_read() {
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let citizen_id = citizen_user.id;
    let other = app.citizen().await;
    for _ in 0..3 {
        app.submit_ok(Some(&citizen), &pothole()).await;
    }
    // Pages of two, newest first, by cursor.
    let p1 = app.notifications(&citizen, "?limit=2").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 2);
    assert_eq!(p1["unread"], 3);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let p2 = app
        .notifications(&citizen, &format!("?limit=2&after={cursor}"))
        .await;
    assert_eq!(p2["items"].as_array().unwrap().len(), 1);
    assert!(p2["next_cursor"].is_null());
    let id = |v: &Value, i: usize| v["items"][i]["id"].as_i64().unwrap();
    assert!(id(&p1, 0) > id(&p1, 1) && id(&p1, 1) > id(&p2, 0));

    // Marking read up to the middle one leaves the newest unread; a replay changes nothing.
    let read = |token: &str, body: Value| {
        app.authed(Method::POST, "/api/v1/me/notifications/read", token)
            .json(&body)
            .send()
    };
    let r = read(&citizen, json!({"up_to": id(&p1, 1)})).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"marked": 2, "unread": 1})
    );
    let r = read(&citizen, json!({"up_to": id(&p1, 1)})).await.unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"marked": 0, "unread": 1})
    );
    let now = app.notifications(&citizen, "").await;
    assert_eq!(now["items"][0]["read"], false);
    assert_eq!(now["items"][1]["read"], true);
    // Another person's "read" touches only their own list.
    let r = read(&other, json!({"up_to": id(&p1, 0)})).await.unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"marked": 0, "unread": 0})
    );
    assert_eq!(app.notifications(&citizen, "").await["unread"], 1);

    // Bad input and no sign-in.
    assert_problem(
        read(&citizen, json!({"up_to": 0})).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        read(&citizen, json!({"up_to": "x"})).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        read(&citizen, json!({})).await.unwrap(),
        422,
        "validation_failed",
    )
    .await;
    let r = app
        .authed(Method::GET, "/api/v1/me/notifications?after=%%%", &citizen)
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    let r = app.get("/api/v1/me/notifications").await;
    assert_eq!(r.status(), 401);

    // Erasing the account erases the list.
    let r = app.erase_account(&citizen).await;
    assert_eq!(r.status(), 204);
    let left: i64 = app
        .state
        .db(move |c| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::notifications;
            Ok(notifications::table
                .filter(notifications::user_id.eq(citizen_id))
                .count()
                .get_result(c)?)
        })
        .await
        .unwrap();
    assert_eq!(left, 0);
    // (The unit's officials keep theirs.)
}

#[tokio::test]
async fn a_denouncer_is_named_in_no_notification() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm).await;
    app.seed_demo().await;
    let commune = app.unit_id("UBND-X31135").await;
    let (denouncer, citizen) = app.token_for(Role::Citizen, None).await;
    let official = app.official_of("UBND-T92").await;
    app.add_fcm_device(&official, "fcm-province").await;
    let code = code_of(&app.submit_ok(Some(&citizen), &bribery(commune)).await);
    app.accept(&official, &code).await;
    app.run_jobs().await;

    let secret = [
        denouncer.email.as_str(),
        "Nguyễn Thị Kiểm Thử",
        "+84912345678",
        "912345678",
        "Nhận hối lộ",
    ];
    let mut to_others = 0;
    for m in app.mails() {
        if m.to.contains(&denouncer.email) {
            continue;
        }
        to_others += 1;
        for s in secret {
            assert!(!m.raw.contains(s), "{s} in a mail to {:?}", m.to);
            assert!(!m.text.contains(s) && !m.html.contains(s), "{s}");
        }
    }
    assert!(to_others >= 1, "the province's staff were told");
    let sent = pushes(&fcm).await;
    assert!(!sent.is_empty());
    for (_, m) in &sent {
        for s in secret {
            assert!(!m.to_string().contains(s), "{s} in push {m}");
        }
    }
    let listed = app.notifications(&official, "").await;
    assert_eq!(listed["items"][0]["ticket_code"], code.as_str());
    for s in secret {
        assert!(!listed.to_string().contains(s), "{s} in {listed}");
    }
}

/// Queues `n` emails straight into the outbox, as a burst of events would.
async fn queue_emails(app: &TestApp, n: usize) {
    app.enqueue(
        (0..n)
            .map(|i| closed_mail(&format!("r{i}@example.vn"), i, &format!("bulk:{i}")))
            .collect(),
    )
    .await;
}

#[tokio::test]
async fn two_workers_deliver_a_thousand_messages_once_each_and_a_dead_worker_loses_none() {
    let a = TestApp::spawn().await;
    let b = TestApp::builder()
        .with_db_url(a.db_url.clone())
        .spawn()
        .await;
    queue_emails(&a, 1000).await;
    // A worker claims a batch and dies before sending: its lease runs out and the others
    // deliver those messages too.
    let now = a.clock_now_naive();
    let abandoned = a
        .state
        .db(move |c| nghedan::notify::outbox::claim(c, now, chrono::Duration::seconds(60), 50))
        .await
        .unwrap();
    assert_eq!(abandoned.len(), 50);
    loop {
        let (x, y) = tokio::join!(a.run_jobs(), b.run_jobs());
        if x.delivered.is_empty() && y.delivered.is_empty() {
            break;
        }
    }
    let before_lease = a.mails().len() + b.mails().len();
    assert_eq!(before_lease, 950, "the claimed 50 wait for their lease");
    a.clock.advance(chrono::Duration::seconds(61));
    b.clock.advance(chrono::Duration::seconds(61));
    loop {
        let (x, y) = tokio::join!(a.run_jobs(), b.run_jobs());
        if x.delivered.is_empty() && y.delivered.is_empty() {
            break;
        }
    }
    let mut to: Vec<String> = a
        .mails()
        .into_iter()
        .chain(b.mails())
        .flat_map(|m| m.to)
        .collect();
    assert_eq!(to.len(), 1000, "none lost");
    to.sort();
    to.dedup();
    assert_eq!(to.len(), 1000, "none twice");
    // Both workers took part (on PostgreSQL they claim side by side; SQLite serialises them).
    assert!(!a.mails().is_empty() && !b.mails().is_empty());

    // /metrics counts the outbox by channel and state.
    let metrics = a.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("nghedan_outbox_messages{channel=\"email\",state=\"sent\"} 1000"),
        "{metrics}"
    );
    assert!(metrics.contains("nghedan_outbox_messages{channel=\"email\",state=\"queued\"} 0"));
    assert!(
        metrics.contains("nghedan_outbox_deliveries_total{channel=\"email\",outcome=\"sent\"}")
    );
}

/// Every outbox row, as (channel, state, attempts, next_attempt_at, last_error).
async fn outbox_rows(
    app: &TestApp,
) -> Vec<(String, String, i32, chrono::NaiveDateTime, Option<String>)> {
    app.state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::outbox;
            Ok(outbox::table
                .order(outbox::id.asc())
                .select((
                    outbox::channel,
                    outbox::state,
                    outbox::attempts,
                    outbox::next_attempt_at,
                    outbox::last_error,
                ))
                .load(c)?)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn an_smtp_outage_holds_mail_until_it_ends_and_a_550_dead_letters_until_retried() {
    use crate::smtp::{Behaviour, Security, SmtpServer};
    // A port with no server behind it yet: connections are refused.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let app = TestApp::builder()
        .with_settings(move |s| s.email.smtp_port = port)
        .spawn()
        .await;
    queue_emails(&app, 3).await;
    let pass = app.run_jobs().await;
    assert_eq!(pass.delivered.retried, 3);
    // Waiting with backoff: not due again at once, kept with the error.
    assert!(app.run_jobs().await.delivered.is_empty());
    let rows = outbox_rows(&app).await;
    assert!(
        rows.iter()
            .all(|r| r.1 == "queued" && r.2 == 1 && r.4.is_some()),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| r.3 > app.clock_now_naive()));
    // The server comes back: everything arrives, once.
    let server = SmtpServer::serve(
        tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap(),
        Security::Plain,
        Behaviour::Accept,
        false,
    );
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(app.run_jobs().await.delivered.sent, 3);
    assert_eq!(server.received().len(), 3);

    // A relay that answers 550 (here, a second process on the same database): dead at once.
    let rejecting =
        SmtpServer::start(Security::Plain, Behaviour::RejectRecipient(550), false).await;
    let rejecting_port = rejecting.port();
    let other = TestApp::builder()
        .with_db_url(app.db_url.clone())
        .with_settings(move |s| s.email.smtp_port = rejecting_port)
        .spawn()
        .await;
    app.enqueue(vec![closed_mail("refused@example.vn", 999, "refused")])
        .await;
    other.clock.set(app.clock.now());
    assert_eq!(other.run_jobs().await.delivered.dead, 1);

    // The admin CLI lists it with its error (never its content), puts it back, purges.
    let cli = |args: &[&str]| {
        let out = cli(&app.db_url)
            .args(["admin", "outbox"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = cli(&["list", "--state", "dead"]);
    assert!(listed.contains("email  dead    1"), "{listed}");
    assert!(listed.contains("email  sent    3"), "{listed}");
    assert!(listed.contains("ticket_closed"), "{listed}");
    assert!(listed.contains("550"), "the last error: {listed}");
    assert!(
        !listed.contains("refused@example.vn"),
        "no address: {listed}"
    );
    assert_eq!(cli(&["retry"]).trim(), "requeued: 1");
    assert_eq!(cli(&["retry"]).trim(), "requeued: 0");
    // Retried through the relay that accepts (the CLI runs on the real clock: catch up).
    app.clock
        .set(chrono::Utc::now() + chrono::Duration::minutes(1));
    assert_eq!(app.run_jobs().await.delivered.sent, 1);
    assert!(
        server
            .received()
            .iter()
            .any(|r| r.to.iter().any(|t| t == "refused@example.vn"))
    );
    // Sent messages older than the cut are deleted; none is left to list.
    assert_eq!(
        cli(&["purge", "--older-than-days", "0"]).trim(),
        "purged: 4"
    );
    let listed = cli(&["list", "--state", "sent"]);
    assert!(!listed.contains("sent"), "{listed}");
}

#[tokio::test]
async fn push_services_retry_after_is_honoured_and_a_gone_device_is_switched_off() {
    let fcm = FcmMock::start().await;
    let (app, _key) = app_with_fcm(&fcm).await;
    app.seed_demo().await;
    let citizen = app.citizen().await;
    app.add_fcm_device(&citizen, "throttled").await;
    app.add_fcm_device(&citizen, "uninstalled").await;
    app.submit_ok(Some(&citizen), &pothole()).await;
    let before = app.clock_now_naive();
    app.run_jobs().await;
    let pushes: Vec<_> = outbox_rows(&app)
        .await
        .into_iter()
        .filter(|r| r.0 == "push")
        .collect();
    assert_eq!(pushes.len(), 2, "{pushes:?}");
    // 429 with Retry-After: 7 → tried again 7 seconds later, not by the backoff.
    let throttled = pushes.iter().find(|r| r.1 == "queued").expect("retried");
    assert_eq!(throttled.2, 1);
    assert_eq!(throttled.3, before + chrono::Duration::seconds(7));
    // 404 UNREGISTERED → dead, and the device is switched off.
    assert!(pushes.iter().any(|r| r.1 == "dead"));
    let devices = app.get_json(&citizen, "/api/v1/me/devices").await;
    let active: Vec<bool> = devices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["active"].as_bool().unwrap())
        .collect();
    assert_eq!(active.iter().filter(|a| **a).count(), 1, "{devices}");
    app.clock.advance(chrono::Duration::seconds(7));
    let pass = app.run_jobs().await;
    assert_eq!(
        pass.delivered.retried, 1,
        "tried again when the service said"
    );
}

/// An outbox row as (channel, user, address, locale, data).
type OutboxRow = (String, Option<i64>, Option<String>, String, String);

/// Telling many people at once (a petition's answer to all its supporters, a sweep's
/// escalations) writes, for each person, one in-app row, one email and one push per device, in
/// statements split below the databases' parameter limits; telling them again writes nothing.
#[tokio::test]
async fn telling_a_crowd_writes_each_person_their_rows_once() {
    use diesel::prelude::*;
    use nghedan::db::schema::{devices, notifications, outbox, users};
    use nghedan::notify::recipients::{self, Delivery, PushChannels, To};

    let app = TestApp::spawn().await;
    let now = app.clock_now_naive();
    const PEOPLE: i64 = 1_200;
    let ids: Vec<i64> = app
        .state
        .db(move |c| {
            nghedan::db::write(c, |c| {
                let mut ids = Vec::new();
                for i in 0..PEOPLE {
                    let id: i64 = diesel::insert_into(users::table)
                        .values((
                            users::email.eq(format!("crowd{i}@example.vn")),
                            users::full_name.eq(format!("Người {i}")),
                            users::password_hash.eq("!"),
                            users::role.eq("citizen"),
                            users::locale.eq(if i % 2 == 0 { "vi" } else { "en" }),
                            users::verified.eq(true),
                            users::disabled.eq(i % 4 == 3),
                            users::notify_email.eq(i % 3 != 0),
                            users::notify_push.eq(true),
                            users::created_at.eq(now),
                            users::updated_at.eq(now),
                        ))
                        .returning(users::id)
                        .get_result(c)?;
                    // Every other person has a phone; every fifth also an iPhone, and APNs is
                    // not configured here.
                    let platforms: &[&str] = match (i % 2, i % 5) {
                        (0, 0) => &["fcm", "apns"],
                        (0, _) => &["fcm"],
                        _ => &[],
                    };
                    for p in platforms {
                        diesel::insert_into(devices::table)
                            .values((
                                devices::user_id.eq(id),
                                devices::platform.eq(*p),
                                devices::address.eq(format!("{p}-token-{i}")),
                                devices::active.eq(true),
                                devices::created_at.eq(now),
                                devices::updated_at.eq(now),
                            ))
                            .execute(c)?;
                    }
                    ids.push(id);
                }
                Ok::<_, nghedan::error::AppError>(ids)
            })
        })
        .await
        .unwrap();

    let enabled = |i: i64| i % 4 != 3;
    let expect_in_app = (0..PEOPLE).filter(|&i| enabled(i)).count();
    let expect_email = (0..PEOPLE).filter(|&i| enabled(i) && i % 3 != 0).count() + 1;
    let expect_push = (0..PEOPLE).filter(|&i| enabled(i) && i % 2 == 0).count();
    let mut to: Vec<To> = ids.iter().map(|id| To::User(*id)).collect();
    to.extend(ids[..3].iter().map(|id| To::User(*id)));
    to.push(To::Address(
        "hopthu@ubnd.example.vn".into(),
        nghedan::i18n::Lang::Vi,
    ));
    to.push(To::User(i64::MAX));
    let delivery = Delivery {
        push: PushChannels {
            fcm: true,
            apns: false,
            webpush: false,
        },
        push_not_before: None,
    };
    let tell = |to: Vec<To>, delivery: Delivery| {
        app.state.db(move |c| {
            nghedan::db::write(c, |c| {
                recipients::tell(
                    c,
                    &to,
                    nghedan::domain::message::Template::TicketAnswered,
                    &json!({"ticket_code": "PAKN.20261123.0001", "ticket_id": 1}),
                    "event:1",
                    &delivery,
                    now,
                )
            })
        })
    };
    let written = tell(to.clone(), delivery.clone()).await.unwrap();
    assert_eq!(written, expect_email + expect_push);
    assert_eq!(
        tell(to, delivery).await.unwrap(),
        0,
        "told again: nothing new"
    );

    let (listed, sent) = app
        .state
        .db(|c| -> Result<_, nghedan::error::AppError> {
            let listed: Vec<(i64, i64)> = notifications::table
                .select((notifications::user_id, notifications::id))
                .load(c)?;
            let sent: Vec<OutboxRow> = outbox::table
                .select((
                    outbox::channel,
                    outbox::user_id,
                    outbox::address,
                    outbox::locale,
                    outbox::data,
                ))
                .load(c)?;
            Ok((listed, sent))
        })
        .await
        .unwrap();
    assert_eq!(listed.len(), expect_in_app);
    let listed: std::collections::HashMap<i64, i64> = listed.into_iter().collect();
    let emails: Vec<_> = sent.iter().filter(|m| m.0 == "email").collect();
    let pushes: Vec<_> = sent.iter().filter(|m| m.0 == "push").collect();
    assert_eq!(emails.len(), expect_email);
    assert_eq!(pushes.len(), expect_push);
    assert!(
        emails
            .iter()
            .any(|m| m.2.as_deref() == Some("hopthu@ubnd.example.vn"))
    );
    for (_, user, _, locale, data) in pushes {
        let user = user.expect("a push has its person");
        let index = ids.iter().position(|id| *id == user).unwrap() as i64;
        assert_eq!(locale, if index % 2 == 0 { "vi" } else { "en" });
        let data: Value = serde_json::from_str(data).unwrap();
        assert_eq!(data["notification_id"], json!(listed[&user]), "{data}");
    }
}

/// A message whose stored template this build does not know is dead-lettered with a reason,
/// never sent with other words.
#[tokio::test]
async fn an_unknown_stored_template_is_dead_lettered_not_sent() {
    use diesel::prelude::*;
    use nghedan::db::schema::outbox;
    let app = TestApp::spawn().await;
    app.enqueue(vec![closed_mail("someone@example.vn", 1, "renamed")])
        .await;
    app.state
        .db(|c| {
            // As if written by a build whose templates had another name.
            diesel::update(outbox::table)
                .set(outbox::template.eq("ticket_closed_v0"))
                .execute(c)?;
            Ok::<_, nghedan::error::AppError>(())
        })
        .await
        .unwrap();
    let pass = app.run_jobs().await;
    assert_eq!(pass.delivered.dead, 1);
    assert_eq!(pass.delivered.sent, 0);
    assert!(app.mails().is_empty());
    let error: Option<String> = app
        .state
        .db(|c| {
            Ok::<_, nghedan::error::AppError>(
                outbox::table
                    .select(outbox::last_error)
                    .first::<Option<String>>(c)?,
            )
        })
        .await
        .unwrap();
    assert!(
        error.is_some_and(|e| e.contains("unknown message template")),
        "the reason is kept"
    );
}
