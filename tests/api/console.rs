//! The staff console in a real browser: Debian's headless Chromium driven over WebDriver
//! (chromium-driver) against the real application. Needs `chromium` and `chromium-driver`
//! (`.ci/run` installs them); without them these tests fail, saying so, rather than skip.
//!
//! With `NGHEDAN_SCREENSHOTS=<dir>` the journey also writes a screenshot of each page at
//! 1280 px and at 390 px wide (`docs/console/` holds a committed set).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use nghedan::domain::account::Role;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;

use crate::helpers::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";
const DEMO_OFFICIAL: &str = "canbo.ubnd-x31135@demo.nghedan.vn";
/// A browser window's height, the one every screenshot measures its page at.
const WINDOW_HEIGHT: u32 = 900;
const FORM: &str = "application/x-www-form-urlencoded";

/// A chromedriver process on a free loopback port, killed with the test.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    pub async fn start() -> Driver {
        for (path, package) in [(CHROMIUM, "chromium"), (DRIVER, "chromium-driver")] {
            assert!(
                std::path::Path::new(path).exists(),
                "{path} is missing: the console's browser tests need Debian's `{package}` \
                 (apt-get install chromium chromium-driver)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(DRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        // Owned at once, so a failure below still kills and reaps it.
        let driver = Driver { child, port };
        // Ready when it answers its status (no sleep for time to pass: a poll of a process).
        let url = format!("http://127.0.0.1:{port}/status");
        for _ in 0..200 {
            if reqwest::get(&url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start");
    }

    /// A fresh headless browser, `width` pixels wide.
    pub async fn browser(&self, width: u32) -> Browser {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--disable-quic",
                         format!("--window-size={width},{WINDOW_HEIGHT}")],
            }),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session");
        Browser { client, width }
    }
}

/// One browser session.
pub struct Browser {
    pub client: Client,
    pub width: u32,
}

impl Browser {
    pub async fn go(&self, app: &TestApp, path: &str) {
        self.client.goto(&app.url(path)).await.unwrap();
    }

    /// The page's visible text; empty while a navigation replaces the document.
    pub async fn text(&self) -> String {
        self.client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits (a poll of the page, at most 10 s) until the page shows `text`; its text.
    pub async fn expect(&self, text: &str) -> String {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = self.text().await;
            if seen.contains(text) {
                return seen;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {text:?}; it shows:\n{seen}");
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        // A field of an action's form sits in a closed <details>: open it first.
        self.client
            .execute(
                "const d = arguments[0].closest('details'); if (d) { d.open = true; }",
                vec![serde_json::to_value(&el).unwrap()],
            )
            .await
            .unwrap();
        el.clear().await.unwrap();
        el.send_keys(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Sets a select (or input) to `value`, opening the `<details>` that holds it; panics if
    /// the select has no such choice.
    pub async fn choose(&self, css: &str, value: &str) {
        let found = self
            .client
            .execute(
                "const s = document.querySelector(arguments[0]); if (!s) { return false; } \
                 const d = s.closest('details'); if (d) { d.open = true; } \
                 s.value = arguments[1]; return s.value === arguments[1];",
                vec![json!(css), json!(value)],
            )
            .await
            .unwrap();
        assert_eq!(found, json!(true), "{css} has no choice {value}");
    }

    /// A `data-*` value (`key` in camelCase) of the element `css`, or "".
    pub async fn data(&self, css: &str, key: &str) -> String {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); \
                 return e ? (e.dataset[arguments[1]] || '') : '';",
                vec![json!(css), json!(key)],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (a poll of the page, at most 10 s) until `data(css, key)` is `value`.
    pub async fn expect_data(&self, css: &str, key: &str, value: &str) {
        let mut seen = String::new();
        for _ in 0..100 {
            seen = self.data(css, key).await;
            if seen == value {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} data-{key} never became {value:?}; it is {seen:?}");
    }

    /// Opens an action's form and sends it (its fields already filled, or none).
    pub async fn act(&self, action: &str) {
        let summary = format!("form[data-action={action}]");
        let form = self.client.find(Locator::Css(&summary)).await.unwrap();
        // Open the details that hold the form.
        self.client
            .execute(
                "arguments[0].closest('details').open = true;",
                vec![serde_json::to_value(&form).unwrap()],
            )
            .await
            .unwrap();
        form.find(Locator::Css("button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub async fn sign_in(&self, app: &TestApp, email: &str, password: &str) {
        self.go(app, "/console/login").await;
        self.fill("input[name=email]", email).await;
        self.fill("input[name=password]", password).await;
        self.click("form button[type=submit]").await;
    }

    /// Writes a screenshot of the page as `<name>-<width>.png` under `NGHEDAN_SCREENSHOTS`;
    /// the window is back to its size after, so the next page's height is its own.
    pub async fn shot(&self, name: &str) {
        let Ok(dir) = std::env::var("NGHEDAN_SCREENSHOTS") else {
            return;
        };
        std::fs::create_dir_all(&dir).unwrap();
        // The whole page: as tall as its content, plus what the window's frame takes from
        // the viewport.
        let height = self
            .client
            .execute(
                "return document.documentElement.scrollHeight \
                 + Math.max(0, window.outerHeight - window.innerHeight);",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(WINDOW_HEIGHT.into())
            .clamp(600, 4200) as u32;
        self.client.set_window_size(self.width, height).await.ok();
        let png = self.client.screenshot().await.unwrap();
        // A page shorter than a tall window is as tall as the window: back to the usual size.
        self.client
            .set_window_size(self.width, WINDOW_HEIGHT)
            .await
            .expect("the window back to its size");
        std::fs::write(format!("{dir}/{name}-{}.png", self.width), png).unwrap();
    }
}

async fn app() -> TestApp {
    TestApp::builder().long_tokens().demo().await
}

/// The issue's journey: a citizen's pothole arrives through the API, the official finds it in
/// the inbox, accepts it, asks a question; the citizen answers through the API; the official
/// answers with "publish". The console refuses a forged form; the language switch is
/// remembered; the supervisor sees the dashboard's charts with the answer counted; the
/// administrator (in English) adds a routing rule and the preview shows it; a citizen is
/// refused.
#[tokio::test]
async fn an_official_works_a_ticket_from_arrival_to_published_answer() {
    let app = app().await;
    let driver = Driver::start().await;
    let b = driver.browser(1280).await;
    let citizen = app.citizen().await;

    // Signing in: a wrong password is said in the page.
    b.sign_in(&app, DEMO_OFFICIAL, "not-the-password").await;
    b.expect("Email hoặc mật khẩu không đúng").await;
    b.shot("login").await;
    b.sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD)
        .await;
    b.expect("Hộp việc").await;

    let code = app.submit_pothole(&citizen).await;
    b.go(&app, "/console/").await;
    b.shot("inbox").await;
    let row = format!("tr[data-code='{code}'] a");
    b.click(&row).await;
    b.expect(&code).await;
    b.expect("Chờ thụ lý").await;
    b.shot("ticket").await;

    b.act("accept").await;
    b.expect("Đang giải quyết").await;
    b.fill(
        "form[data-action=request_info] textarea[name=question]",
        "Bên trái hay bên phải?",
    )
    .await;
    b.act("request_info").await;
    b.expect("Chờ bổ sung thông tin").await;

    app.provide_info(&citizen, &code, "Bên phải, gần cột điện.")
        .await;
    b.go(&app, &format!("/console/tickets/{code}")).await;
    b.expect("Bên phải, gần cột điện.").await;
    b.fill(
        "form[data-action=resolve] textarea[name=answer]",
        "Đã vá ổ gà.",
    )
    .await;
    b.client
        .execute(
            "document.querySelector('form[data-action=resolve] input[name=publish]').checked = true;",
            vec![],
        )
        .await
        .unwrap();
    b.act("resolve").await;
    b.expect("Đã thực hiện").await;
    b.expect("Đã trả lời").await;

    // The API sees the same ticket, answered and published.
    let t = app.ticket(&citizen, &code).await;
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["answer_public"], true);
    let public = app.public_json("/api/v1/public/tickets").await;
    assert!(public.to_string().contains(&code));

    // A form sent without its anti-forgery token changes nothing.
    let other = app.submit_pothole(&citizen).await;
    b.go(&app, &format!("/console/tickets/{other}")).await;
    b.client
        .execute(
            "document.querySelector('form[data-action=accept] input[name=csrf]').remove();",
            vec![],
        )
        .await
        .unwrap();
    b.act("accept").await;
    b.expect("không hợp lệ; không có gì thay đổi").await;
    assert_eq!(app.ticket(&citizen, &other).await["status"], "submitted");

    // English by choice, remembered.
    b.go(&app, "/console/?lang=en").await;
    b.expect("Inbox").await;
    b.go(&app, "/console/").await;
    b.expect("Awaiting acceptance").await;
    b.client.close().await.unwrap();

    // The supervisor of the city sees the dashboard, its charts, and the answer counted at
    // Phường Ninh Kiều.
    let s = driver.browser(1280).await;
    s.sign_in(
        &app,
        "giamsat.tinh@demo.nghedan.vn",
        nghedan::seed::DEMO_PASSWORD,
    )
    .await;
    s.expect("Hộp việc").await;
    s.click("nav.side a[href='/console/reports']").await;
    s.expect("Tỷ lệ đúng hạn theo tháng").await;
    for id in ["chart-on-time", "chart-times", "chart-open", "chart-places"] {
        s.client
            .find(Locator::Css(&format!("figure.chart svg#{id}")))
            .await
            .unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    let ward = app.unit_id("UBND-X31135").await;
    let row = format!("table.groups tr[data-key='{ward}']");
    assert_eq!(s.data(&row, "resolved").await, "1");
    assert_eq!(s.data("section.totals", "resolved").await, "1");
    s.client.close().await.unwrap();

    // The administrator, in English, sends the ward's potholes to the city's construction
    // department, and the routing preview shows it.
    let a = driver.browser(1280).await;
    a.go(&app, "/console/login?lang=en").await;
    a.sign_in(&app, "admin@demo.nghedan.vn", nghedan::seed::DEMO_PASSWORD)
        .await;
    a.expect("Inbox").await;
    a.go(&app, "/console/admin/routing").await;
    try_pothole_routing(&a).await;
    a.expect_data("#preview", "unitCode", "UBND-X31135").await;
    let department = app.unit_id("SXD-92").await;
    a.choose("#r-category", "duong-hong").await;
    a.fill("#r-area", "31135").await;
    a.choose("#r-unit", &department.to_string()).await;
    a.fill("#r-priority", "1").await;
    a.click("#add-rule button[type=submit]").await;
    a.expect("Created.").await;
    try_pothole_routing(&a).await;
    a.expect_data("#preview", "unitCode", "SXD-92").await;
    assert_eq!(a.data("#preview", "reason").await, "rule");
    a.client.close().await.unwrap();

    // A citizen is told the console is for staff.
    let c = driver.browser(390).await;
    let user = app.create_user(Role::Citizen, None).await;
    c.sign_in(&app, &user.email, &user.password).await;
    c.expect("dành cho cán bộ").await;
    c.client.close().await.unwrap();
}

/// The routing preview's "try it" box, for a pothole in Phường Ninh Kiều.
async fn try_pothole_routing(a: &Browser) {
    a.choose("#t-kind", "feedback").await;
    a.choose("#t-category", "duong-hong").await;
    a.fill("#t-area", "31135").await;
    a.click("#try button[type=submit]").await;
}

/// The phone-width pages for the screenshots (and that they render there).
#[tokio::test]
async fn the_console_works_on_a_phone() {
    let app = app().await;
    let driver = Driver::start().await;
    let b = driver.browser(390).await;
    let citizen = app.citizen().await;
    let code = app.submit_pothole(&citizen).await;
    b.sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD)
        .await;
    b.expect(&code).await;
    b.shot("inbox").await;
    b.go(&app, &format!("/console/tickets/{code}")).await;
    b.expect("Thụ lý").await;
    b.shot("ticket").await;
    b.client.close().await.unwrap();
}

/// A console session over plain HTTP (no browser): the cookies by hand, redirects not
/// followed, the anti-forgery token read from the pages.
pub struct Session {
    http: reqwest::Client,
    base: String,
    /// The `Cookie` header: `nghedan_console=…`.
    cookie: String,
    pub csrf: String,
}

/// The `value` of the first `<input name="{name}" value="…">` of a page.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

/// The cookie `name` a response sets, as `name=value` (a cookie set empty, to clear it, is
/// none).
pub fn cookie_of(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(n, value)| n == name && !value.is_empty())
        })
        .map(str::to_string)
}

/// A form body, `application/x-www-form-urlencoded`.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The page's text as a reader sees it: the few entities askama writes, undone.
pub fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

impl Session {
    /// Signs in through the sign-in form; panics unless it lands in the console, whose inbox
    /// (200) gives the forms' token.
    pub async fn sign_in(app: &TestApp, email: &str, password: &str) -> Session {
        let res = Session::sign_in_response(app, email, password).await;
        assert_eq!(res.status(), 303, "sign-in of {email}");
        let cookie = cookie_of(&res, "nghedan_console").expect("the session cookie");
        Session::with_cookie(app, cookie).await
    }

    /// Sends the sign-in form as a browser does (the form's own cookie and token first): the
    /// response to it, whatever it is.
    pub async fn sign_in_response(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
        let page = app.get("/console/login").await;
        let login = cookie_of(&page, "nghedan_login").expect("the sign-in cookie");
        let html = page.text().await.unwrap();
        let token = input_value(&html, "token").expect("the sign-in token");
        app.client
            .post(app.url("/console/login"))
            .header(COOKIE, &login)
            .header(CONTENT_TYPE, FORM)
            .body(form_body(&[
                ("token", &token),
                ("next", "/console/"),
                ("email", email),
                ("password", password),
            ]))
            .send()
            .await
            .unwrap()
    }

    /// The session of the cookie header `cookie` (`nghedan_console=…`); its token read from the
    /// inbox, which must answer 200.
    pub async fn with_cookie(app: &TestApp, cookie: String) -> Session {
        Session::open(app.client.clone(), app.url(""), cookie).await
    }

    /// The new session a response starts (a password change does): its cookie in place of
    /// this one's. Panics unless the response sets one.
    pub async fn renewed(&self, res: &reqwest::Response) -> Session {
        let cookie = cookie_of(res, "nghedan_console").expect("a new session cookie");
        Session::open(self.http.clone(), self.base.clone(), cookie).await
    }

    async fn open(http: reqwest::Client, base: String, cookie: String) -> Session {
        let mut s = Session {
            http,
            base,
            cookie,
            csrf: String::new(),
        };
        let (status, html) = s.get("/console/").await;
        assert_eq!(status, 200, "the inbox: {html}");
        s.csrf = input_value(&html, "csrf").expect("the forms' token in the page");
        s
    }

    /// The `Cookie` header this session sends (`nghedan_console=…`).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// GET a console page: the response as it came.
    pub async fn response(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap()
    }

    /// GET a console page: its status and body.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let res = self.response(path).await;
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// GET a page with forms, which must answer 200: its HTML and the token its forms carry.
    pub async fn form_page(&self, path: &str) -> (String, String) {
        let (status, html) = self.get(path).await;
        assert_eq!(status, 200, "{path}");
        let csrf = input_value(&html, "csrf").unwrap_or_else(|| panic!("no csrf in {path}"));
        (html, csrf)
    }

    /// POST a form with exactly `pairs` (add `csrf` yourself, or leave it out to test the
    /// refusal): the response as it came.
    pub async fn send(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header(CONTENT_TYPE, FORM)
            .body(form_body(pairs))
            .send()
            .await
            .unwrap()
    }

    /// POST a form (the pairs as given: add `csrf` yourself, or leave it out to test the
    /// refusal): its status, `Location` and body.
    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> (u16, Option<String>, String) {
        parts(self.send(path, pairs).await).await
    }

    /// POST a form with this session's token first, then `pairs`: the response as it came.
    pub async fn submit(&self, path: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.send(path, &all).await
    }

    /// Submits a form (with its token) that must be taken (303): where it redirects to.
    pub async fn done(&self, path: &str, pairs: &[(&str, &str)]) -> String {
        let (status, location, body) = parts(self.submit(path, pairs).await).await;
        assert_eq!(status, 303, "{path}: {}", unescape(&body));
        location.expect("a redirect's Location")
    }

    /// Submits a form (with its token) that must be refused with `status`, the page saying
    /// so: the page, unescaped.
    pub async fn refused(&self, path: &str, pairs: &[(&str, &str)], status: u16) -> String {
        let res = self.submit(path, pairs).await;
        assert_eq!(res.status().as_u16(), status, "{path}");
        let page = unescape(&res.text().await.unwrap());
        assert!(page.contains(r#"class="notice error""#), "{page}");
        page
    }
}

/// A response's status, `Location` and body.
async fn parts(res: reqwest::Response) -> (u16, Option<String>, String) {
    let location = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (res.status().as_u16(), location, res.text().await.unwrap())
}

/// Forwarding finds the unit by its code (the search box): the neighbouring units are offered,
/// any unit may be typed, and an unknown code is said in the page with nothing changed.
#[tokio::test]
async fn an_official_forwards_by_the_units_code() {
    let app = app().await;
    let citizen = app.citizen().await;
    let code = app.submit_pothole(&citizen).await;
    let s = Session::sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD).await;
    let (status, page) = s.get(&format!("/console/tickets/{code}")).await;
    assert_eq!(status, 200);
    // The province's departments are offered; the whole country is not.
    assert!(page.contains("<option value=\"SXD-92\">"), "{page}");
    assert!(!page.contains("<option value=\"SXD-91\">"));

    let path = format!("/console/tickets/{code}/forward");
    let (status, _, page) = s
        .post(
            &path,
            &[
                ("csrf", &s.csrf),
                ("unit_code", "khong-co-don-vi"),
                ("reason", "Không thuộc thẩm quyền"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("role=\"alert\""));
    assert_eq!(
        app.ticket(&citizen, &code).await["unit"]["code"],
        "UBND-X31135"
    );

    let (status, location, _) = s
        .post(
            &path,
            &[
                ("csrf", &s.csrf),
                ("unit_code", " sxd-92 "),
                ("reason", "Thuộc thẩm quyền Sở Xây dựng"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().contains("done=forward"));
    assert_eq!(app.ticket(&citizen, &code).await["unit"]["code"], "SXD-92");
}

/// The inbox's header counts the open tickets as the API's summary does.
#[tokio::test]
async fn the_inbox_counts_what_the_api_counts() {
    let app = app().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let first = app.submit_pothole(&citizen).await;
    app.submit_pothole(&citizen).await;
    app.submit_pothole(&citizen).await;
    app.act_ok(&official, &first, "accept", serde_json::Value::Null)
        .await;
    let summary = app.get_json(&official, "/api/v1/inbox/summary").await;
    let s = Session::sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD).await;
    let (_, page) = s.get("/console/").await;
    for (status, word) in [("submitted", "Chờ thụ lý"), ("accepted", "Đang giải quyết")] {
        let n = summary["by_status"][status].as_i64().unwrap();
        assert!(n > 0, "{summary}");
        assert!(
            page.contains(&format!("<span class=\"n\">{n}</span> {word}")),
            "{status}: {n}\n{page}"
        );
    }
}

/// The header's counts are reused for a moment (counting reads every open ticket), but never
/// past a write made in this process, and never longer than `CountsCache::FRESH_FOR` after a
/// write made by another process.
#[tokio::test]
async fn the_inbox_counts_follow_writes() {
    use diesel::RunQueryDsl;
    let app = app().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let first = app.submit_pothole(&citizen).await;
    let s = Session::sign_in(&app, DEMO_OFFICIAL, nghedan::seed::DEMO_PASSWORD).await;
    let count = |page: &str, word: &str| -> i64 {
        let end = page
            .find(&format!("</span> {word}"))
            .unwrap_or_else(|| panic!("{word}\n{page}"));
        let start = page[..end].rfind('>').unwrap() + 1;
        page[start..end].parse().unwrap()
    };
    let (_, page) = s.get("/console/").await;
    let (submitted, accepted) = (count(&page, "Chờ thụ lý"), count(&page, "Đang giải quyết"));

    // Written here, through the API: counted on the next page at once.
    app.act_ok(&official, &first, "accept", serde_json::Value::Null)
        .await;
    let (_, page) = s.get("/console/").await;
    assert_eq!(count(&page, "Chờ thụ lý"), submitted - 1);
    assert_eq!(count(&page, "Đang giải quyết"), accepted + 1);

    // Written by another process (straight at the database): counted once the answer held
    // here is older than FRESH_FOR by the clock.
    let second = app.submit_pothole(&citizen).await;
    let (_, page) = s.get("/console/").await;
    assert_eq!(count(&page, "Chờ thụ lý"), submitted);
    {
        let mut conn = app.state.pool.get().unwrap();
        let sql = format!("UPDATE tickets SET status = 'accepted' WHERE code = '{second}'");
        assert_eq!(diesel::sql_query(sql).execute(&mut *conn).unwrap(), 1);
    }
    app.clock
        .advance(nghedan::db::inbox::CountsCache::FRESH_FOR + chrono::Duration::seconds(1));
    let (_, page) = s.get("/console/").await;
    assert_eq!(count(&page, "Chờ thụ lý"), submitted - 1);
    assert_eq!(count(&page, "Đang giải quyết"), accepted + 2);
}
