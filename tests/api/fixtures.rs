//! Fixtures: the steps many tests take to reach the point they test, each written once — an
//! app with the demo organisation, people signed in, the standard submissions, the workflow
//! steps that bring a ticket where a test needs it, reading lists and notifications, the
//! command line, and messages queued by hand.

use nghedan::domain::account::Role;
use nghedan::notify::outbox::NewMessage;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestAppBuilder, TestUser};

// The app and its organisation.

impl TestAppBuilder {
    /// Access tokens that outlive the clock moves of a long test (90 days).
    pub fn long_tokens(self) -> Self {
        self.with_settings(|s| s.auth.access_token_ttl_secs = 90 * 24 * 3600)
    }

    /// Spawns the app and loads the demo organisation.
    pub async fn demo(self) -> TestApp {
        let app = self.spawn().await;
        app.seed_demo().await;
        app
    }
}

impl TestApp {
    /// The app with the demo organisation loaded.
    pub async fn demo() -> TestApp {
        Self::builder().demo().await
    }

    /// Loads the demo organisation (as `nghedan seed demo` does).
    pub async fn seed_demo(&self) -> nghedan::seed::Report {
        let hash = self
            .state
            .auth
            .hasher
            .hash(nghedan::seed::DEMO_PASSWORD)
            .unwrap();
        let now = self.clock_now_naive();
        self.state
            .db(move |conn| nghedan::seed::demo(conn, &hash, now))
            .await
            .unwrap()
    }

    /// The id of the unit with `code`.
    pub async fn unit_id(&self, code: &str) -> i64 {
        let code = code.to_string();
        self.state
            .db(move |conn| {
                Ok::<_, nghedan::error::AppError>(
                    nghedan::db::units::find_by_code(conn, &code)?.unwrap().id,
                )
            })
            .await
            .unwrap()
    }

    /// A unit row for staff to belong to (without the demo).
    pub async fn make_unit(&self, code: &str) -> i64 {
        use diesel::prelude::*;
        use nghedan::db::schema::units;
        let now = self.clock_now_naive();
        let code = code.to_string();
        self.state
            .db(move |conn| -> Result<_, nghedan::error::AppError> {
                // Written past the repository: say so, as its write functions do.
                nghedan::db::reference::changed();
                Ok(diesel::insert_into(units::table)
                    .values((
                        units::code.eq(&code),
                        units::name_vi.eq(format!("Đơn vị {code}")),
                        units::name_en.eq(format!("Unit {code}")),
                        units::kind.eq("people_committee"),
                        units::created_at.eq(now),
                        units::updated_at.eq(now),
                    ))
                    .returning(units::id)
                    .get_result::<i64>(conn)?)
            })
            .await
            .unwrap()
    }

    /// An administrator sets whether the unit sees its subunits' tickets.
    pub async fn sees_subunits(&self, admin: &str, unit: i64, on: bool) {
        let r = self
            .authed(Method::PATCH, &format!("/api/v1/admin/units/{unit}"), admin)
            .json(&json!({"sees_subunits": on}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }

    /// An administrator merges the unit `unit` into `into`.
    pub async fn merge_units(&self, admin: &str, unit: i64, into: i64) -> Response {
        self.authed(
            Method::POST,
            &format!("/api/v1/admin/units/{unit}/merge"),
            admin,
        )
        .json(&json!({"into": into}))
        .send()
        .await
        .unwrap()
    }
}

// People: signed in, signing in, leaving.

impl TestApp {
    /// An access token of a fresh citizen.
    pub async fn citizen(&self) -> String {
        self.token_for(Role::Citizen, None).await.1
    }

    /// An access token of a fresh administrator.
    pub async fn admin(&self) -> String {
        self.token_for(Role::Admin, None).await.1
    }

    /// A fresh account with `role` in the unit with `unit_code`, and its access token.
    pub async fn staff_of(&self, role: Role, unit_code: &str) -> (TestUser, String) {
        let unit = self.unit_id(unit_code).await;
        self.token_for(role, Some(unit)).await
    }

    /// An access token of a fresh official of the unit with `unit_code`.
    pub async fn official_of(&self, unit_code: &str) -> String {
        self.staff_of(Role::Official, unit_code).await.1
    }

    /// An access token of a fresh supervisor of the unit with `unit_code`.
    pub async fn supervisor_of(&self, unit_code: &str) -> String {
        self.staff_of(Role::Supervisor, unit_code).await.1
    }

    /// `DELETE /me`: the person erases their account.
    pub async fn erase_account(&self, token: &str) -> Response {
        self.authed(Method::DELETE, "/api/v1/me", token)
            .send()
            .await
            .unwrap()
    }

    /// `POST /auth/login`, whatever the answer.
    pub async fn try_login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// `POST /auth/register`, whatever the answer.
    pub async fn register(&self, email: &str, password: &str, full_name: &str) -> Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": password, "full_name": full_name}),
        )
        .await
    }

    /// `POST /auth/refresh` with `refresh_token` (a string, or the pair's JSON value).
    pub async fn refresh(&self, refresh_token: impl serde::Serialize) -> Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
        )
        .await
    }
}

// The standard submissions.

/// A feedback about a pothole in Phường Ninh Kiều (routed to `UBND-X31135`).
pub fn pothole() -> Value {
    json!({
        "kind": "feedback",
        "category": "duong-hong",
        "title": "Đường hỏng ở ngõ 5",
        "description": "Ổ gà lớn trước số nhà 12, xe máy dễ ngã.",
        "area_code": "31135",
        "lat": 10.0332,
        "lon": 105.7771,
        "address": "Số 12 ngõ 5",
        "attributes": {"size": "large", "depth_cm": 15}
    })
}

/// The pothole sent without an account, with a contact address.
pub fn anonymous_pothole() -> Value {
    let mut body = pothole();
    body["anonymous"] = json!(true);
    body["contact_email"] = json!("nguoidan@example.vn");
    body
}

/// A petition for more classrooms in Phường Ninh Kiều.
pub fn petition() -> Value {
    json!({"kind": "petition", "category": "giao-duc", "title": "Xây thêm phòng học",
        "description": "Trường tiểu học quá tải.", "area_code": "31135"})
}

/// A petition an official records at the desk for Phạm Văn Đức, who left an email address.
pub fn at_the_desk() -> Value {
    json!({"kind": "petition", "category": "thu-tuc-hanh-chinh", "title": "Kéo dài giờ làm việc bộ phận một cửa",
        "description": "Đề nghị làm việc sáng thứ Bảy.", "area_code": "31135", "channel": "in_person",
        "submitter_name": "Phạm Văn Đức", "submitter_phone": "0912 000 111", "submitter_email": "duc@example.vn"})
}

/// A denunciation of bribery against the unit `accused_unit_id`.
pub fn bribery(accused_unit_id: i64) -> Value {
    json!({"kind": "denunciation", "category": "tham-nhung", "title": "Nhận hối lộ khi cấp phép",
        "description": "Cán bộ địa chính yêu cầu tiền để cấp giấy phép.", "area_code": "31135",
        "accused_unit_id": accused_unit_id})
}

/// A ticket's code.
pub fn code_of(ticket: &Value) -> String {
    ticket["code"].as_str().unwrap().to_string()
}

/// The clock `name` of a ticket (or of a deadline preview).
pub fn clock<'a>(t: &'a Value, name: &str) -> &'a Value {
    t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("clock {name} in {t}"))
}

/// The kinds of timeline events, in order.
pub fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

// Tickets and their workflow.

/// A fresh Idempotency-Key.
fn key() -> String {
    format!("key-{}", uuid::Uuid::new_v4().simple())
}

impl TestApp {
    /// POST /tickets with a fresh Idempotency-Key; returns the response.
    pub async fn submit(&self, token: Option<&str>, body: &Value) -> Response {
        let mut rb = self
            .client
            .post(self.url("/api/v1/tickets"))
            .header("Idempotency-Key", key())
            .json(body);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        rb.send().await.unwrap()
    }

    /// Submits and expects 201; returns the ticket.
    pub async fn submit_ok(&self, token: Option<&str>, body: &Value) -> Value {
        let r = self.submit(token, body).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{v}");
        v
    }

    /// Submits the standard pothole as `token`; returns its code.
    pub async fn submit_pothole(&self, token: &str) -> String {
        code_of(&self.submit_ok(Some(token), &pothole()).await)
    }

    /// POST /tickets/{code}/{action} with an optional body.
    pub async fn act(&self, token: &str, code: &str, action: &str, body: Value) -> Response {
        let mut rb = self.authed(
            Method::POST,
            &format!("/api/v1/tickets/{code}/{action}"),
            token,
        );
        if !body.is_null() {
            rb = rb.json(&body);
        }
        rb.send().await.unwrap()
    }

    /// Acts and expects 200; returns the ticket.
    pub async fn act_ok(&self, token: &str, code: &str, action: &str, body: Value) -> Value {
        let r = self.act(token, code, action, body).await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{action} {code}: {v}");
        v
    }

    /// The unit accepts the ticket.
    pub async fn accept(&self, official: &str, code: &str) -> Value {
        self.act_ok(official, code, "accept", json!({})).await
    }

    /// The unit answers the ticket (unpublished).
    pub async fn resolve(&self, official: &str, code: &str, answer: &str) -> Value {
        self.act_ok(official, code, "resolve", json!({"answer": answer}))
            .await
    }

    /// The unit asks the submitter a question (the clocks pause).
    pub async fn request_info(&self, official: &str, code: &str, question: &str) -> Value {
        self.act_ok(
            official,
            code,
            "request_info",
            json!({"question": question}),
        )
        .await
    }

    /// The submitter answers the unit's question.
    pub async fn provide_info(&self, submitter: &str, code: &str, answer: &str) -> Value {
        self.act_ok(submitter, code, "provide_info", json!({"answer": answer}))
            .await
    }

    /// A pothole of `citizen`'s, accepted and answered ("Đã sửa.") by `official`; its code.
    pub async fn answered_pothole(&self, citizen: &str, official: &str) -> String {
        let code = self.submit_pothole(citizen).await;
        self.accept(official, &code).await;
        self.resolve(official, &code, "Đã sửa.").await;
        code
    }

    /// How many tickets the database holds.
    pub async fn ticket_count(&self) -> i64 {
        self.state
            .db(|c| -> Result<_, nghedan::error::AppError> {
                use diesel::prelude::*;
                Ok(nghedan::db::schema::tickets::table
                    .count()
                    .get_result::<i64>(c)?)
            })
            .await
            .unwrap()
    }

    /// The ticket as `token` reads it (expects 200).
    pub async fn ticket(&self, token: &str, code: &str) -> Value {
        self.get_json(token, &format!("/api/v1/tickets/{code}"))
            .await
    }

    /// The ticket's timeline as `token` reads it.
    pub async fn timeline(&self, token: &str, code: &str) -> Vec<Value> {
        let r = self
            .get_json(token, &format!("/api/v1/tickets/{code}/events"))
            .await;
        r["items"].as_array().unwrap().clone()
    }

    /// The kinds of the ticket's timeline events as `token` reads them.
    pub async fn event_kinds(&self, token: &str, code: &str) -> Vec<String> {
        kinds(&self.timeline(token, code).await)
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// A request as the submitter without an account, by the ticket's tracking secret.
    pub fn with_secret(&self, method: Method, path: &str, secret: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("X-Tracking-Secret", secret)
    }
}

// Reading.

impl TestApp {
    /// GET `path` as `token`.
    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.authed(Method::GET, path, token).send().await.unwrap()
    }

    /// GET `path` as `token`, expecting 200; returns the body.
    pub async fn get_json(&self, token: &str, path: &str) -> Value {
        ok_json(path, self.get_as(token, path).await).await
    }

    /// GET `path` without signing in, expecting 200; returns the body.
    pub async fn public_json(&self, path: &str) -> Value {
        ok_json(path, self.get(path).await).await
    }

    /// The events of `token`'s in-app notifications about `code`.
    pub async fn told(&self, token: &str, code: &str) -> Vec<String> {
        let list = self
            .get_json(token, "/api/v1/me/notifications?limit=100")
            .await;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["ticket_code"] == code)
            .map(|i| i["event"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn ok_json(path: &str, r: Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "GET {path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// The codes of list items, in order.
pub fn codes(items: &[Value]) -> Vec<String> {
    items.iter().map(code_of).collect()
}

/// The codes of a list's items (`{"items": [...]}`), in order.
pub fn listed(list: &Value) -> Vec<String> {
    codes(list["items"].as_array().unwrap())
}

/// The access token of the demo citizen Lan, signing in on the server at `base` (a binary
/// the test started).
pub async fn demo_citizen_token(client: &reqwest::Client, base: &str) -> String {
    let login: Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "lan@demo.nghedan.vn", "password": nghedan::seed::DEMO_PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("signed in: {login}"))
        .to_string()
}

// The command line and the outbox.

/// The `nghedan` binary on the database `db_url`, with the tests' configuration.
pub fn cli(db_url: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_nghedan"));
    cmd.env_remove("NGHEDAN_ENV")
        .env("NGHEDAN_CONFIG_DIR", crate::helpers::config_dir())
        .env("NGHEDAN__DATABASE__URL", db_url)
        .env("NGHEDAN__LOG__LEVEL", "error");
    cmd
}

/// A "ticket closed" email to `address` about ticket `n` (`PAKN.20261123.{n:04}`), queued
/// once under `dedup_key`.
pub fn closed_mail(address: &str, n: usize, dedup_key: &str) -> NewMessage {
    NewMessage {
        channel: nghedan::notify::outbox::Channel::Email,
        user_id: None,
        address: Some(address.to_string()),
        device_id: None,
        template: nghedan::domain::message::Template::TicketClosed,
        locale: nghedan::i18n::Lang::Vi,
        data: json!({"ticket_code": format!("PAKN.20261123.{n:04}"), "ticket_id": n}),
        dedup_key: dedup_key.to_string(),
        not_before: None,
    }
}

impl TestApp {
    /// Queues `messages` straight into the outbox in one transaction, as events would.
    pub async fn enqueue(&self, messages: Vec<NewMessage>) {
        let now = self.clock_now_naive();
        self.state
            .db(move |c| {
                nghedan::db::write(c, |c| -> Result<_, nghedan::error::AppError> {
                    for m in &messages {
                        nghedan::notify::outbox::enqueue(c, m, now)?;
                    }
                    Ok(())
                })
            })
            .await
            .unwrap();
    }
}
