//! The console's supervision page (`/console/reports`): the figures are the JSON API's for the
//! same period, the CSV is the API's CSV, who may read it is who may read the API's reports,
//! a denouncer never appears on it, and the demo supervisor sees its charts in a real browser.

use chrono::Duration;
use fantoccini::Locator;
use nghedan::domain::account::Role;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::console::{Driver, Session, cookie_of, input_value};
use crate::fixtures::{bribery, code_of};
use crate::helpers::TestApp;

const DEMO_SUPERVISOR: &str = "giamsat.tinh@demo.nghedan.vn";
const FROM: &str = "2026-11-01";
const TO: &str = "2026-12-31";

/// Sends the page's supervision form with `csrf`: a note or a reopen request on `code`.
async fn supervise(
    console: &Session,
    csrf: &str,
    code: &str,
    kind: &str,
    text: &str,
) -> reqwest::Response {
    console
        .send(
            "/console/reports/supervision",
            &[
                ("csrf", csrf),
                ("code", code),
                ("kind", kind),
                ("text", text),
            ],
        )
        .await
}

/// How a page's table row says a group's figures (the attributes the page writes).
fn figures_attrs(key: &str, f: &Value) -> String {
    format!(
        r#"data-key="{key}" data-received="{}" data-resolved="{}" data-open="{}" data-open-overdue="{}" data-on-time-rate="{}""#,
        f["received"], f["resolved"], f["open"], f["open_overdue"], f["on_time_rate"]
    )
}

/// The events of kind `kind` on a ticket, read as the supervisor through the API.
async fn events_of(app: &TestApp, token: &str, code: &str, kind: &str) -> Vec<Value> {
    app.timeline(token, code)
        .await
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

/// A Cần Thơ world: a pothole answered, a pothole and a denunciation left to run late, forty
/// days on, the sweep run.
struct World {
    app: TestApp,
    answered: String,
    late: String,
    denounced: String,
    denouncer_email: String,
}

async fn world() -> World {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let answered = app.answered_pothole(&citizen, &official).await;
    let late = app.submit_pothole(&citizen).await;
    let (denouncer, token) = app.token_for(Role::Citizen, None).await;
    let accused = app.unit_id("UBND-X31135").await;
    let denounced = code_of(&app.submit_ok(Some(&token), &bribery(accused)).await);
    app.clock.advance(Duration::days(40));
    app.run_jobs().await;
    World {
        app,
        answered,
        late,
        denounced,
        denouncer_email: denouncer.email,
    }
}

/// The supervisor's page shows the API's figures for the same period, the API's overdue list
/// in its order, the API's CSV byte for byte, its four charts and the audit chain verified —
/// and never the denouncer.
#[tokio::test]
async fn the_supervision_page_shows_the_apis_figures_and_never_a_denouncer() {
    let w = world().await;
    let app = &w.app;
    let api = app
        .login(DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let console = Session::sign_in(app, DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD).await;

    for group_by in ["unit", "category", "kind", "month"] {
        let query = format!("from={FROM}&to={TO}&group_by={group_by}");
        let json = app
            .get_json(&api, &format!("/api/v1/reports/response-times?{query}"))
            .await;
        let (status, html) = console.get(&format!("/console/reports?{query}")).await;
        assert_eq!(status, 200, "{html}");
        let groups = json["groups"].as_array().unwrap();
        assert!(!groups.is_empty(), "{json}");
        for g in groups {
            let attrs = figures_attrs(g["key"].as_str().unwrap(), g);
            assert!(html.contains(&attrs), "{group_by}: {attrs} not in the page");
        }
        let t = &json["totals"];
        assert!(html.contains(&format!(
            r#"data-received="{}" data-resolved="{}" data-open="{}" data-open-overdue="{}" data-on-time-rate="{}""#,
            t["received"], t["resolved"], t["open"], t["open_overdue"], t["on_time_rate"]
        )));
        assert_eq!(t["received"], 3, "{json}");
        assert_eq!(t["resolved"], 1, "{json}");
        assert_eq!(t["open_overdue"], 2, "{json}");
    }
    // The dates as officials write them.
    let (_, html) = console
        .get(&format!("/console/reports?from={FROM}&to={TO}"))
        .await;
    assert!(
        html.contains("Từ ngày 01/11/2026 đến ngày 31/12/2026"),
        "{html}"
    );
    // dd/mm/yyyy typed by hand reads the same.
    let (status, typed) = console
        .get("/console/reports?from=01%2F11%2F2026&to=31%2F12%2F2026")
        .await;
    assert_eq!(status, 200);
    assert!(typed.contains("Từ ngày 01/11/2026 đến ngày 31/12/2026"));

    // The charts: drawn in the page, each with its title.
    for id in ["chart-on-time", "chart-times", "chart-open", "chart-places"] {
        assert!(
            html.contains(&format!(r#"id="{id}" viewBox="#)),
            "{id} missing"
        );
        assert!(html.contains(&format!(r#"<title id="{id}-title">"#)));
    }
    // Where the open tickets are: Phường Ninh Kiều, two open, both overdue.
    assert!(html.contains(r#"<tr data-area="31135">"#), "{html}");
    assert!(html.contains("Phường Ninh Kiều: 2 đang mở, 2 quá hạn"));

    // The overdue list: the API's, most late first, each linking to its ticket.
    let overdue = app.get_json(&api, "/api/v1/reports/overdue").await;
    let codes: Vec<String> = overdue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 2, "{overdue}");
    assert!(codes.contains(&w.late) && codes.contains(&w.denounced));
    let at: Vec<usize> = codes
        .iter()
        .map(|c| html.find(&format!(r#"<tr data-code="{c}">"#)).unwrap())
        .collect();
    assert!(at[0] < at[1], "the page keeps the API's order");
    assert!(html.contains(&format!(r#"href="/console/tickets/{}""#, w.late)));
    assert!(!html.contains(&format!(r#"<tr data-code="{}">"#, w.answered)));

    // The CSV: the page's link gives the API's CSV, through the same function, for the
    // console's session.
    let link = {
        let at = html.find(r#"class="csv" href=""#).expect("a CSV link") + 18;
        let raw = &html[at..at + html[at..].find('"').unwrap()];
        raw.replace("&#38;", "&").replace("&amp;", "&")
    };
    assert_eq!(
        link,
        format!("/console/reports/response-times.csv?from={FROM}&to={TO}&group_by=unit")
    );
    let csv = console.response(&link).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(csv.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let api_csv = app
        .get_as(
            &api,
            &format!("/api/v1/reports/response-times?from={FROM}&to={TO}&group_by=unit&format=csv"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(csv, api_csv);
    assert!(csv.starts_with('\u{feff}') && csv.lines().count() > 1);

    // The audit chain: the days sealed, verified intact.
    assert!(html.contains("Nhật ký kiểm toán"));
    assert!(html.contains(r#"data-ok="true""#));
    assert!(html.contains("Toàn vẹn"));
    // Forty days on, yesterday (UTC) is 01/01/2027: its root is the API's.
    let roots = app
        .public_json("/api/v1/public/audit/roots?from=2027-01-01&to=2027-01-01")
        .await;
    let root = roots["days"][0]["root"].as_str().unwrap();
    assert!(
        html.contains(root),
        "the daily root of 01/01/2027 in the page"
    );

    // A longer verification, asked for in the page: the API's verification of those days.
    let (_, verified) = console.get("/console/reports?verify_days=60").await;
    let api_check = app
        .get_json(&api, "/api/v1/audit/verify?from=2026-11-04&to=2027-01-02")
        .await;
    assert_eq!(api_check["ok"], true);
    assert!(
        api_check["days_checked"].as_i64().unwrap() >= 40,
        "{api_check}"
    );
    assert!(
        verified.contains(&format!(
            r#"data-ok="true" data-events-checked="{}" data-days-checked="{}""#,
            api_check["events_checked"], api_check["days_checked"]
        )),
        "{api_check} vs the page"
    );
    assert!(verified.contains("04/11/2026 – 02/01/2027"));

    // A supervision note on the denunciation and a reopen request on the answer, written in
    // the page: on the tickets' timelines as the API writes them.
    let csrf = input_value(&html, "csrf").expect("no csrf field in the page");
    let r = supervise(
        &console,
        &csrf,
        &w.denounced,
        "note",
        "Đề nghị xác minh trong tuần.",
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[LOCATION],
        "/console/reports?done=note#supervision"
    );
    let r = supervise(
        &console,
        &csrf,
        &w.answered,
        "reopen_request",
        "Câu trả lời chưa nêu thời hạn sửa.",
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let notes = events_of(app, &api, &w.denounced, "supervision_note").await;
    assert_eq!(notes.len(), 1);
    assert_eq!(
        events_of(app, &api, &w.answered, "reopen_requested")
            .await
            .len(),
        1
    );
    let (_, html) = console.get("/console/reports?done=note").await;
    assert!(html.contains("Đã ghi ý kiến giám sát."));
    assert!(html.contains("Đề nghị xác minh trong tuần."));
    assert!(html.contains("Câu trả lời chưa nêu thời hạn sửa."));
    assert!(html.contains("Yêu cầu mở lại"));
    // A ticket outside the subtree is refused in the page; nothing is written.
    let r = supervise(&console, &csrf, "PA-0000-000000", "note", "?").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains(r#"class="notice error""#));

    // Never the denouncer: not their name, address, phone, nor the denunciation's words.
    for page_html in [&html, &typed] {
        for secret in [
            "Kiểm Thử",
            w.denouncer_email.as_str(),
            "+84912345678",
            "Nhận hối lộ khi cấp phép",
            "Cán bộ địa chính yêu cầu tiền",
        ] {
            assert!(!page_html.contains(secret), "{secret} in the page");
        }
    }

    // In English by choice.
    let (_, en) = console.get("/console/reports?lang=en").await;
    assert!(en.contains("Supervision of response times"));
    assert!(en.contains("Audit trail"));
}

/// Who may read it is who may read the API's reports: supervisors and administrators. An
/// official gets the 403 page (and may not write a supervision note), a citizen the staff-only
/// page, someone signed out the sign-in page; a form without its token changes nothing.
#[tokio::test]
async fn only_supervisors_and_administrators_read_the_supervision_page() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen_token = app.citizen().await;
    let code = app.submit_pothole(&citizen_token).await;
    let api = app
        .login(DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Signed out: to the sign-in page, back here after.
    let r = app.get("/console/reports").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[LOCATION],
        "/console/login?next=%2Fconsole%2Freports"
    );
    let r = app.get("/console/reports/response-times.csv").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // An official, even of a unit that sees its subunits: the API refuses the reports, so
    // does the console.
    let unit = app.unit_id("UBND-X31135").await;
    let official = app.create_user(Role::Official, Some(unit)).await;
    let console = Session::sign_in(&app, &official.email, &official.password).await;
    let (status, html) = console.get("/console/reports").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("Không có quyền"), "{html}");
    assert!(!html.contains("chart-on-time"));
    let (status, _) = console.get("/console/reports/response-times.csv").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, inbox) = console.get("/console/").await;
    assert!(
        !inbox.contains(r#"href="/console/reports""#),
        "no menu item"
    );
    let csrf = input_value(&inbox, "csrf").expect("no csrf field in the page");
    let r = supervise(&console, &csrf, &code, "note", "Không được ghi.").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        events_of(&app, &api, &code, "supervision_note")
            .await
            .is_empty()
    );

    // A citizen: the console is for staff.
    let citizen = app.create_user(Role::Citizen, None).await;
    let r = Session::sign_in_response(&app, &citizen.email, &citizen.password).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(cookie_of(&r, "nghedan_console").is_none());
    assert!(r.text().await.unwrap().contains("dành cho cán bộ"));

    // The supervisor: a form without its token is refused and writes nothing.
    let console = Session::sign_in(&app, DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD).await;
    let r = console
        .send(
            "/console/reports/supervision",
            &[("code", &code), ("kind", "note"), ("text", "Không có mã.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("không có gì thay đổi"));
    assert!(
        events_of(&app, &api, &code, "supervision_note")
            .await
            .is_empty()
    );
    // A reversed period is said in the page, which shows the default period.
    let (status, html) = console
        .get("/console/reports?from=2026-11-20&to=2026-11-01")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"class="notice error""#));
    assert!(html.contains("chart-on-time"));

    // An administrator reads every unit's figures, and writes no supervision note (the API
    // gives supervisors alone that).
    let admin = app.create_user(Role::Admin, None).await;
    let console = Session::sign_in(&app, &admin.email, &admin.password).await;
    let (status, html) = console.get("/console/reports").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"data-received="1""#), "{html}");
    assert!(!html.contains(r#"action="/console/reports/supervision""#));
    let admin_api = app.relogin(&admin).await;
    let r = app
        .authed(Method::GET, "/api/v1/reports/response-times", &admin_api)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// In a real browser: the demo supervisor signs in and sees the dashboard with its charts and
/// a ticket a citizen submitted and an official answered counted; writes a supervision note
/// with the page's form. Screenshots at 1280 and 390 px.
#[tokio::test]
async fn the_demo_supervisor_reads_the_dashboard_in_a_browser() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let official = app.official_of("UBND-X31135").await;
    let answered = app.answered_pothole(&citizen, &official).await;
    let open = app.submit_pothole(&citizen).await;
    let driver = Driver::start().await;

    for width in [1280, 390] {
        let b = driver.browser(width).await;
        b.sign_in(&app, DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD)
            .await;
        b.expect("Hộp việc").await;
        b.go(&app, "/console/reports").await;
        b.expect("Tỷ lệ đúng hạn theo tháng").await;
        for id in ["chart-on-time", "chart-times", "chart-open", "chart-places"] {
            let svg = b
                .client
                .find(Locator::Css(&format!("figure.chart svg#{id}")))
                .await
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(svg.is_displayed().await.unwrap(), "{id} shown");
        }
        // The answered ticket is counted: one received and answered at Phường Ninh Kiều,
        // plus the open one; the open one is on the plot.
        let counted = b
            .client
            .execute(
                "const s = document.querySelector('section.totals').dataset; \
                 return [s.received, s.resolved, s.open];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(counted, serde_json::json!(["2", "1", "1"]));
        let unit = app.unit_id("UBND-X31135").await;
        let row = b
            .client
            .find(Locator::Css(&format!("table.groups tr[data-key='{unit}']")))
            .await
            .unwrap();
        assert_eq!(
            row.attr("data-resolved").await.unwrap().as_deref(),
            Some("1")
        );
        b.client
            .find(Locator::Css("svg#chart-places circle.place title"))
            .await
            .unwrap();
        b.shot("reports").await;
        b.client.close().await.unwrap();
    }

    // A supervision note written in the page reaches the ticket's timeline.
    let b = driver.browser(1280).await;
    b.sign_in(&app, DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD)
        .await;
    b.expect("Hộp việc").await;
    b.go(&app, "/console/reports").await;
    b.fill("#s-code", &open).await;
    b.fill("#s-text", "Đề nghị phường trả lời trong tuần.")
        .await;
    b.click("form.supervision-form button[type=submit]").await;
    b.expect("Đã ghi ý kiến giám sát.").await;
    b.expect("Đề nghị phường trả lời trong tuần.").await;
    b.client.close().await.unwrap();
    let api = app
        .login(DEMO_SUPERVISOR, nghedan::seed::DEMO_PASSWORD)
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        events_of(&app, &api, &open, "supervision_note").await.len(),
        1
    );
    assert!(
        events_of(&app, &api, &answered, "supervision_note")
            .await
            .is_empty()
    );
}
