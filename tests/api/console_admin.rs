//! The console's administration pages (`/console/admin/…`): over HTTP, an administrator keeps
//! units, categories, routing rules, deadline policies, the calendar and accounts, each change
//! seen through the API and written to the admin audit log as the API writes it; a refused
//! change says why with the form kept; officials and supervisors are refused, as is a form
//! without its token, and nothing changes. In headless Chromium, the demo administrator adds a
//! routing rule and the "try it" box shows that rule's unit.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::console::{Driver, Session};
use crate::helpers::TestApp;
use nghedan::api::error::ApiError;
use nghedan::i18n::Lang;

const ADMIN: &str = "admin@demo.nghedan.vn";
const OFFICIAL: &str = "canbo.ubnd-x31135@demo.nghedan.vn";
const SUPERVISOR: &str = "giamsat.tinh@demo.nghedan.vn";
const PASSWORD: &str = nghedan::seed::DEMO_PASSWORD;

async fn app() -> TestApp {
    TestApp::builder().long_tokens().demo().await
}

/// The problem's detail as the page says it in Vietnamese.
fn detail(e: ApiError) -> String {
    e.to_problem(Lang::Vi, "").detail
}

/// An access token of the demo administrator (the same account as the console session).
async fn admin_token(app: &TestApp) -> String {
    app.login(ADMIN, PASSWORD).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The admin audit log's entries, oldest first.
async fn audit_log(app: &TestApp, token: &str) -> Vec<Value> {
    let log = app
        .get_json(token, "/api/v1/admin/audit-log?limit=100")
        .await;
    log["items"].as_array().unwrap().clone()
}

/// The id in a `…/units/{id}?…` or `…#rule-{id}` location.
fn id_in(location: &str, after: &str) -> i64 {
    let rest = &location[location.find(after).unwrap() + after.len()..];
    rest.chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn an_administrator_keeps_units_from_the_console() {
    let app = app().await;
    let admin = Session::sign_in(&app, ADMIN, PASSWORD).await;
    let token = admin_token(&app).await;

    let (status, page) = admin.get("/console/admin").await;
    assert_eq!(status, StatusCode::OK);
    for section in [
        "units",
        "categories",
        "routing",
        "policies",
        "calendar",
        "users",
    ] {
        assert!(
            page.contains(&format!("/console/admin/{section}")),
            "{section}"
        );
    }
    let (status, page) = admin.get("/console/admin/units").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-unit-code="UBND-X31135""#));

    // Made, renamed and moved, merged into another, deactivated.
    let province = app.unit_id("UBND-T92").await;
    let province_s = province.to_string();
    let to = admin
        .done(
            "/console/admin/units",
            &[
                ("code", "PHONG-TN"),
                ("name_vi", "Phòng Tài nguyên"),
                ("name_en", "Resources Office"),
                ("kind", "department"),
                ("parent_id", &province_s),
                ("email", ""),
            ],
        )
        .await;
    let kept = id_in(&to, "/console/admin/units/");
    let unit = app
        .get_json(&token, &format!("/api/v1/admin/units/{kept}"))
        .await;
    assert_eq!(unit["code"], "PHONG-TN");
    assert_eq!(unit["kind"], "department");
    assert_eq!(unit["parent_id"], province);
    let (status, page) = admin.get(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Đã tạo."), "{page}");

    // A code already taken: 409, said in the page, the form as it was sent.
    let page = admin
        .refused(
            "/console/admin/units",
            &[
                ("code", "PHONG-TN"),
                ("name_vi", "Phòng trùng mã"),
                ("name_en", "Duplicate"),
                ("kind", "department"),
                ("parent_id", ""),
            ],
            409,
        )
        .await;
    assert!(
        page.contains(&detail(ApiError::conflict("unit_code_taken"))),
        "{page}"
    );
    assert!(page.contains(r#"value="Phòng trùng mã""#), "{page}");

    admin
        .done(
            &format!("/console/admin/units/{kept}"),
            &[
                ("name_vi", "Phòng Tài nguyên và Môi trường"),
                ("name_en", "Resources and Environment Office"),
                ("parent_id", ""),
            ],
        )
        .await;
    let unit = app
        .get_json(&token, &format!("/api/v1/admin/units/{kept}"))
        .await;
    assert_eq!(unit["name_vi"], "Phòng Tài nguyên và Môi trường");
    assert_eq!(unit["parent_id"], Value::Null);

    // A parent below the unit itself: the API's refusal, nothing changed.
    let child = app.unit_id("SXD-92").await;
    let page = admin
        .refused(
            &format!("/console/admin/units/{province}"),
            &[
                ("name_vi", "Tên mới"),
                ("name_en", "New name"),
                ("parent_id", &child.to_string()),
            ],
            422,
        )
        .await;
    assert!(
        page.contains(&detail(ApiError::unprocessable("unit_cycle"))),
        "{page}"
    );
    assert!(page.contains(r#"value="Tên mới""#), "{page}");
    let p = app
        .get_json(&token, &format!("/api/v1/admin/units/{province}"))
        .await;
    assert_eq!(p["parent_id"], Value::Null);
    assert_ne!(p["name_vi"], "Tên mới");

    let to = admin
        .done(
            "/console/admin/units",
            &[
                ("code", "PHONG-CU"),
                ("name_vi", "Phòng cũ"),
                ("name_en", "Old office"),
                ("kind", "other"),
                ("parent_id", ""),
            ],
        )
        .await;
    let gone = id_in(&to, "/console/admin/units/");
    let to = admin
        .done(
            &format!("/console/admin/units/{gone}/merge"),
            &[("into", &kept.to_string())],
        )
        .await;
    assert!(
        to.starts_with(&format!("/console/admin/units/{kept}")),
        "{to}"
    );
    let old = app
        .get_json(&token, &format!("/api/v1/admin/units/{gone}"))
        .await;
    assert_eq!(old["active"], false);
    assert_eq!(old["merged_into_id"], kept);
    // Merging a closed unit again: 409, said in the page.
    let page = admin
        .refused(
            &format!("/console/admin/units/{gone}/merge"),
            &[("into", &kept.to_string())],
            409,
        )
        .await;
    assert!(
        page.contains(&detail(ApiError::conflict("unit_inactive"))),
        "{page}"
    );

    admin
        .done(
            &format!("/console/admin/units/{kept}/active"),
            &[("active", "0")],
        )
        .await;
    let unit = app
        .get_json(&token, &format!("/api/v1/admin/units/{kept}"))
        .await;
    assert_eq!(unit["active"], false);

    // The audit log reads as if the API had been used, by the same administrator.
    let admin_id = app.get_json(&token, "/api/v1/me").await["id"].clone();
    let log = audit_log(&app, &token).await;
    let made: Vec<(String, String, Value)> = log
        .iter()
        .map(|e| {
            assert_eq!(e["actor_id"], admin_id, "{e}");
            (
                e["action"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
                serde_json::from_str::<Value>(e["data"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    let expected = vec![
        (
            "POST /api/v1/admin/units".to_string(),
            "/api/v1/admin/units".to_string(),
            json!({"status": 201}),
        ),
        (
            "PATCH /api/v1/admin/units/{id}".into(),
            format!("/api/v1/admin/units/{kept}"),
            json!({"status": 200}),
        ),
        (
            "POST /api/v1/admin/units".into(),
            "/api/v1/admin/units".into(),
            json!({"status": 201}),
        ),
        (
            "POST /api/v1/admin/units/{id}/merge".into(),
            format!("/api/v1/admin/units/{gone}/merge"),
            json!({"status": 200}),
        ),
        (
            "PATCH /api/v1/admin/units/{id}".into(),
            format!("/api/v1/admin/units/{kept}"),
            json!({"status": 200}),
        ),
    ];
    assert_eq!(made, expected);
    // The same change through the API is written the same way.
    let res = app
        .authed(
            reqwest::Method::PATCH,
            &format!("/api/v1/admin/units/{kept}"),
            &token,
        )
        .json(&json!({"active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let log = audit_log(&app, &token).await;
    let last = log.last().unwrap();
    assert_eq!(last["action"], "PATCH /api/v1/admin/units/{id}");
    assert_eq!(last["target"], format!("/api/v1/admin/units/{kept}"));
    assert_eq!(last["data"], log[1]["data"]);
    let verified = app.get_json(&token, "/api/v1/audit/verify").await;
    assert_eq!(verified["ok"], true, "{verified}");
}

#[tokio::test]
async fn an_administrator_keeps_categories_and_routing_from_the_console() {
    let app = app().await;
    let admin = Session::sign_in(&app, ADMIN, PASSWORD).await;
    let token = admin_token(&app).await;

    // A category with a form field, made and changed.
    let fields = r#"[{"code": "depth_cm", "datatype": "number", "required": true, "order": 1,
        "description": {"vi": "Độ sâu (cm)", "en": "Depth (cm)"}}]"#;
    let to = admin
        .done(
            "/console/admin/categories",
            &[
                ("code", "cay-do"),
                ("name_vi", "Cây đổ"),
                ("name_en", "Fallen tree"),
                ("parent_code", ""),
                ("default_kind", "feedback"),
                ("active", "1"),
                ("sort_order", "7"),
                ("attributes", fields),
            ],
        )
        .await;
    assert!(to.starts_with("/console/admin/categories/cay-do"), "{to}");
    let find = |list: &Value, code: &str| -> Value {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["code"] == code)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let list = app.get_json(&token, "/api/v1/admin/categories").await;
    let c = find(&list, "cay-do");
    assert_eq!(c["name_vi"], "Cây đổ");
    assert_eq!(c["sort_order"], 7);
    assert_eq!(c["attributes"][0]["code"], "depth_cm");
    assert_eq!(c["attributes"][0]["required"], true);
    let (status, page) = admin.get("/console/admin/categories").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-category="cay-do""#));

    admin
        .done(
            "/console/admin/categories/cay-do",
            &[
                ("name_vi", "Cây xanh gãy đổ"),
                ("name_en", "Fallen tree"),
                ("parent_code", "duong-hong"),
                ("default_kind", "petition"),
                ("urgent", "1"),
                ("active", "1"),
                ("sort_order", "7"),
                ("attributes", "[]"),
            ],
        )
        .await;
    let c = find(
        &app.get_json(&token, "/api/v1/admin/categories").await,
        "cay-do",
    );
    assert_eq!(c["name_vi"], "Cây xanh gãy đổ");
    assert_eq!(c["parent_code"], "duong-hong");
    assert_eq!(c["default_kind"], "petition");
    assert_eq!(c["urgent"], true);
    assert_eq!(c["attributes"], json!([]));

    // Fields that are not JSON, or that the API's check refuses: said, the text kept, nothing
    // changed.
    let page = admin
        .refused(
            "/console/admin/categories/cay-do",
            &[
                ("name_vi", "Tên khác"),
                ("name_en", "Other"),
                ("default_kind", "feedback"),
                ("active", "1"),
                ("attributes", "[{not json"),
            ],
            422,
        )
        .await;
    assert!(page.contains("attributes: Sai kiểu dữ liệu"), "{page}");
    assert!(page.contains("[{not json</textarea>"), "{page}");
    let bad =
        r#"[{"code": "Độ sâu", "datatype": "number", "description": {"vi": "x", "en": "x"}}]"#;
    let page = admin
        .refused(
            "/console/admin/categories/cay-do",
            &[
                ("name_vi", "Tên khác"),
                ("name_en", "Other"),
                ("default_kind", "feedback"),
                ("active", "1"),
                ("attributes", bad),
            ],
            422,
        )
        .await;
    assert!(page.contains("attributes › 0 › code"), "{page}");
    assert!(page.contains(r#"value="Tên khác""#), "{page}");
    let c = find(
        &app.get_json(&token, "/api/v1/admin/categories").await,
        "cay-do",
    );
    assert_eq!(c["name_vi"], "Cây xanh gãy đổ");

    // Routing: with no rule, a pothole in Ninh Kiều goes to its ward's committee.
    let (status, page) = admin
        .get("/console/admin/routing?try=1&kind=feedback&category=duong-hong&area_code=31135")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-unit-code="UBND-X31135""#), "{page}");
    assert!(page.contains(r#"data-reason="people_committee""#), "{page}");

    // A rule for the ward sends it to the city's construction department; the box says so,
    // as the API's preview does.
    let department = app.unit_id("SXD-92").await.to_string();
    let to = admin
        .done(
            "/console/admin/routing/rules",
            &[
                ("category_code", "duong-hong"),
                ("area_code", "31135"),
                ("kind", ""),
                ("unit_id", &department),
                ("priority", "5"),
            ],
        )
        .await;
    let rule = id_in(&to, "#rule-");
    let stored = app
        .get_json(&token, &format!("/api/v1/admin/routing-rules/{rule}"))
        .await;
    assert_eq!(stored["area_code"], "31135");
    assert_eq!(stored["priority"], 5);
    assert_eq!(stored["kind"], Value::Null);
    let (_, page) = admin.get(&to).await;
    assert!(page.contains(&format!(r#"id="rule-{rule}""#)), "{page}");
    let (status, page) = admin
        .get("/console/admin/routing?try=1&kind=feedback&category=duong-hong&area_code=31135")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"data-unit-code="SXD-92""#), "{page}");
    assert!(
        page.contains(&format!(r#"data-rule-id="{rule}""#)),
        "{page}"
    );
    let api = app
        .post_json(
            "/api/v1/routing/preview",
            &json!({"kind": "feedback", "category": "duong-hong", "area_code": "31135"}),
        )
        .await;
    let api: Value = api.json().await.unwrap();
    assert_eq!(api["unit"]["code"], "SXD-92");
    assert_eq!(api["reason"]["rule_id"], rule);
    // By position too: the ward's centroid.
    let (_, page) = admin
        .get("/console/admin/routing?try=1&kind=feedback&category=duong-hong&lat=10.0331&lon=105.777")
        .await;
    assert!(page.contains(r#"data-unit-code="SXD-92""#), "{page}");

    // An area that does not exist: refused, said, the form kept; the box says it too.
    let page = admin
        .refused(
            "/console/admin/routing/rules",
            &[
                ("category_code", "duong-hong"),
                ("area_code", "99999"),
                ("unit_id", &department),
                ("priority", "7"),
            ],
            422,
        )
        .await;
    assert!(page.contains("area_code: "), "{page}");
    assert!(page.contains(r#"value="99999""#), "{page}");
    let (status, page) = admin
        .get("/console/admin/routing?try=1&kind=feedback&category=duong-hong&area_code=99999")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains(r#"data-reason="refused""#), "{page}");
    let rules = app
        .get_json(&token, "/api/v1/admin/routing-rules?limit=100")
        .await;
    assert!(
        !rules.to_string().contains("99999"),
        "no rule was made: {rules}"
    );

    // Deleted: the ward's committee again.
    admin
        .done(&format!("/console/admin/routing/rules/{rule}/delete"), &[])
        .await;
    let res = app
        .get_as(&token, &format!("/api/v1/admin/routing-rules/{rule}"))
        .await;
    assert_eq!(res.status(), 404);

    let actions: Vec<String> = audit_log(&app, &token)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "POST /api/v1/admin/categories",
            "PATCH /api/v1/admin/categories/{code}",
            "POST /api/v1/admin/routing-rules",
            "DELETE /api/v1/admin/routing-rules/{id}",
        ]
    );
}

/// A policy's form from the API's view of it.
fn policy_form(p: &Value) -> Vec<(String, String)> {
    let s = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut f = vec![
        ("name".to_string(), s(&p["name"])),
        ("kind".into(), s(&p["kind"])),
        ("round".into(), s(&p["round"])),
        ("category".into(), s(&p["category"])),
        ("channel".into(), s(&p["channel"])),
    ];
    if p["urgent"] == true {
        f.push(("urgent".into(), "1".into()));
    }
    if p["active"] == true {
        f.push(("active".into(), "1".into()));
    }
    for (i, c) in p["clocks"].as_array().unwrap().iter().enumerate() {
        let mut add = |field: &str, v: &Value| f.push((format!("clock{i}_{field}"), s(v)));
        add("name", &c["name"]);
        add("starts_at", &c["starts_at"]);
        add("counting", &c["counting"]);
        add("normal", &c["lengths"]["normal"]);
        add("complex", &c["lengths"]["complex"]);
        add("remote", &c["lengths"]["remote"]);
        add("complex_remote", &c["lengths"]["complex_remote"]);
        add("ext_allowed", &c["extensions"]["allowed"]);
        add("ext_max_days", &c["extensions"]["max_days"]);
    }
    f
}

fn pairs(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn an_administrator_keeps_policies_the_calendar_and_accounts_from_the_console() {
    let app = app().await;
    let admin = Session::sign_in(&app, ADMIN, PASSWORD).await;
    let token = admin_token(&app).await;

    // A deadline policy: read, changed as a whole, and refused as the API refuses.
    let list = app
        .get_json(&token, "/api/v1/admin/sla-policies?kind=complaint")
        .await;
    let before = list["items"][0].clone();
    let id = before["id"].as_i64().unwrap();
    let (status, page) = admin.get("/console/admin/policies").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!(r#"data-policy-id="{id}""#)));
    let (status, page) = admin.get(&format!("/console/admin/policies/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!(
            r#"name="clock0_normal" type="number" min="0" step="1" value="{}""#,
            before["clocks"][0]["lengths"]["normal"]
        )),
        "{page}"
    );

    let mut form = policy_form(&before);
    form[0].1 = "Khiếu nại lần đầu (đã sửa)".into();
    let normal = form.iter_mut().find(|(k, _)| k == "clock0_normal").unwrap();
    normal.1 = "12".into();
    admin
        .done(&format!("/console/admin/policies/{id}"), &pairs(&form))
        .await;
    let after = app
        .get_json(&token, &format!("/api/v1/admin/sla-policies/{id}"))
        .await;
    assert_eq!(after["name"], "Khiếu nại lần đầu (đã sửa)");
    assert_eq!(after["clocks"][0]["lengths"]["normal"], 12);
    assert_eq!(
        after["clocks"].as_array().unwrap().len(),
        before["clocks"].as_array().unwrap().len()
    );
    assert_eq!(after["clocks"][1], before["clocks"][1]);

    let mut bad = policy_form(&after);
    bad[0].1 = "Không lưu".into();
    bad.iter_mut()
        .find(|(k, _)| k == "clock0_normal")
        .unwrap()
        .1 = "99999".into();
    let page = admin
        .refused(&format!("/console/admin/policies/{id}"), &pairs(&bad), 422)
        .await;
    assert!(page.contains("clocks › 0 › lengths › normal"), "{page}");
    assert!(page.contains(r#"value="99999""#), "{page}");
    assert!(page.contains(r#"value="Không lưu""#), "{page}");
    let unchanged = app
        .get_json(&token, &format!("/api/v1/admin/sla-policies/{id}"))
        .await;
    assert_eq!(unchanged["name"], "Khiếu nại lần đầu (đã sửa)");

    // The calendar: a Saturday worked in exchange, a bridge day off typed as dd/mm/yyyy.
    admin
        .done(
            "/console/admin/calendar",
            &[("date", "2026-12-26"), ("working", "1"), ("note", "Làm bù")],
        )
        .await;
    admin
        .done(
            "/console/admin/calendar",
            &[
                ("date", "02/01/2027"),
                ("working", "0"),
                ("note", "Nghỉ bù"),
            ],
        )
        .await;
    let day = |from: &'static str| {
        let app = &app;
        async move {
            app.public_json(&format!("/api/v1/calendar?from={from}&to={from}"))
                .await["days"][0]
                .clone()
        }
    };
    let sat = day("2026-12-26").await;
    assert_eq!(sat["working"], true);
    assert_eq!(sat["source"], "override");
    let fri = day("2027-01-02").await;
    assert_eq!(fri["working"], false);
    let (_, page) = admin.get("/console/admin/calendar?year=2026").await;
    assert!(page.contains(r#"data-date="2026-12-26""#), "{page}");
    assert!(page.contains("26/12/2026"), "{page}");
    let page = admin
        .refused(
            "/console/admin/calendar",
            &[
                ("date", "31/02/2026"),
                ("working", "1"),
                ("note", "Sai ngày"),
            ],
            422,
        )
        .await;
    assert!(page.contains(r#"value="Sai ngày""#), "{page}");
    admin
        .done("/console/admin/calendar/2026-12-26/delete", &[])
        .await;
    let sat = day("2026-12-26").await;
    assert_eq!(sat["working"], false);
    assert_eq!(sat["source"], Value::Null);

    // Accounts: an official of a ward, invited by email.
    let ward = app.unit_id("UBND-X31135").await.to_string();
    let page = admin
        .refused(
            "/console/admin/users",
            &[
                ("email", "an.nguyen@example.vn"),
                ("full_name", "Nguyễn Văn An"),
                ("role", "official"),
                ("unit_id", ""),
                ("locale", "vi"),
            ],
            422,
        )
        .await;
    assert!(page.contains("unit_id: Trường này là bắt buộc."), "{page}");
    assert!(page.contains(r#"value="an.nguyen@example.vn""#), "{page}");
    let to = admin
        .done(
            "/console/admin/users",
            &[
                ("email", "an.nguyen@example.vn"),
                ("full_name", "Nguyễn Văn An"),
                ("role", "official"),
                ("unit_id", &ward),
                ("phone", ""),
                ("locale", "vi"),
            ],
        )
        .await;
    let (_, page) = admin.get(&to).await;
    assert!(page.contains("an.nguyen@example.vn"), "{page}");
    let found = app
        .get_json(&token, "/api/v1/admin/users?q=an.nguyen")
        .await;
    let user = found["items"][0].clone();
    assert_eq!(user["role"], "official");
    assert_eq!(user["unit_id"].to_string(), ward);
    let uid = user["id"].as_i64().unwrap();
    assert_eq!(app.mails_to("an.nguyen@example.vn").await.len(), 1);
    let page = admin
        .refused(
            "/console/admin/users",
            &[
                ("email", "an.nguyen@example.vn"),
                ("full_name", "Lại là An"),
                ("role", "supervisor"),
                ("unit_id", &ward),
                ("locale", "vi"),
            ],
            409,
        )
        .await;
    assert!(
        page.contains(&detail(ApiError::conflict("email_taken"))),
        "{page}"
    );

    // Disabled: its sessions end, a reset is refused; enabled again, a reset goes out.
    admin
        .done(
            &format!("/console/admin/users/{uid}/disable"),
            &[("disabled", "1"), ("q", "an.nguyen"), ("role", "")],
        )
        .await;
    let user = app
        .get_json(&token, &format!("/api/v1/admin/users/{uid}"))
        .await;
    assert_eq!(user["disabled"], true);
    let page = admin
        .refused(
            &format!("/console/admin/users/{uid}/password-reset"),
            &[("q", "an.nguyen")],
            409,
        )
        .await;
    assert!(
        page.contains(&detail(ApiError::conflict("account_disabled"))),
        "{page}"
    );
    admin
        .done(
            &format!("/console/admin/users/{uid}/disable"),
            &[("disabled", "0")],
        )
        .await;
    admin
        .done(&format!("/console/admin/users/{uid}/password-reset"), &[])
        .await;
    assert_eq!(app.mails_to("an.nguyen@example.vn").await.len(), 2);
    // An administrator cannot disable themself.
    let me = app.get_json(&token, "/api/v1/me").await["id"].clone();
    let page = admin
        .refused(
            &format!("/console/admin/users/{me}/disable"),
            &[("disabled", "1")],
            422,
        )
        .await;
    assert!(page.contains("disabled: "), "{page}");

    let actions: Vec<String> = audit_log(&app, &token)
        .await
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "PATCH /api/v1/admin/sla-policies/{id}",
            "PUT /api/v1/admin/calendar/{date}",
            "PUT /api/v1/admin/calendar/{date}",
            "DELETE /api/v1/admin/calendar/{date}",
            "POST /api/v1/admin/users",
            "PATCH /api/v1/admin/users/{id}",
            "PATCH /api/v1/admin/users/{id}",
            "POST /api/v1/admin/users/{id}/password-reset",
        ]
    );
}

/// What the refusal tests check has not changed: the units' codes, rules, categories,
/// accounts, overrides and one policy.
async fn snapshot(app: &TestApp, token: &str) -> Value {
    json!({
        "units": app.get_json(token, "/api/v1/admin/units?limit=100").await["items"].as_array().unwrap().len(),
        "rules": app.get_json(token, "/api/v1/admin/routing-rules?limit=100").await,
        "categories": app.get_json(token, "/api/v1/admin/categories").await,
        "users": app.get_json(token, "/api/v1/admin/users?limit=100").await,
        "calendar": app.public_json("/api/v1/calendar?from=2026-12-01&to=2026-12-31").await,
        "policy": app.get_json(token, "/api/v1/admin/sla-policies?limit=1").await,
        "log": app.get_json(token, "/api/v1/admin/audit-log?limit=100").await,
    })
}

/// Every change the pages offer, as a well-formed form.
fn changes(department: &str, policy: &[(String, String)]) -> Vec<(String, Vec<(String, String)>)> {
    let own = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    vec![
        (
            "/console/admin/units".into(),
            own(&[
                ("code", "GIA-MAO"),
                ("name_vi", "Giả mạo"),
                ("name_en", "Forged"),
                ("kind", "other"),
            ]),
        ),
        (
            format!("/console/admin/units/{department}"),
            own(&[
                ("name_vi", "Giả mạo"),
                ("name_en", "Forged"),
                ("parent_id", ""),
            ]),
        ),
        (
            format!("/console/admin/units/{department}/active"),
            own(&[("active", "0")]),
        ),
        (
            "/console/admin/categories".into(),
            own(&[
                ("code", "gia-mao"),
                ("name_vi", "Giả mạo"),
                ("name_en", "Forged"),
                ("active", "1"),
                ("attributes", "[]"),
            ]),
        ),
        (
            "/console/admin/routing/rules".into(),
            own(&[
                ("category_code", "duong-hong"),
                ("area_code", "31135"),
                ("unit_id", department),
                ("priority", "1"),
            ]),
        ),
        (
            format!(
                "/console/admin/policies/{}",
                policy.iter().find(|(k, _)| k == "id").unwrap().1
            ),
            policy
                .iter()
                .filter(|(k, _)| k != "id")
                .map(|(k, v)| {
                    if k == "name" {
                        (k.clone(), "Giả mạo".to_string())
                    } else {
                        (k.clone(), v.clone())
                    }
                })
                .collect(),
        ),
        (
            "/console/admin/calendar".into(),
            own(&[
                ("date", "2026-12-26"),
                ("working", "1"),
                ("note", "Giả mạo"),
            ]),
        ),
        (
            "/console/admin/users".into(),
            own(&[
                ("email", "gia.mao@example.vn"),
                ("full_name", "Giả Mạo"),
                ("role", "admin"),
            ]),
        ),
    ]
}

#[tokio::test]
async fn officials_supervisors_and_forged_forms_are_refused_and_nothing_changes() {
    let app = app().await;
    let token = admin_token(&app).await;
    let department = app.unit_id("SXD-92").await.to_string();
    let policy = app
        .get_json(&token, "/api/v1/admin/sla-policies?limit=1")
        .await["items"][0]
        .clone();
    let mut policy_fields = policy_form(&policy);
    policy_fields.push(("id".into(), policy["id"].to_string()));
    let official = Session::sign_in(&app, OFFICIAL, PASSWORD).await;
    let supervisor = Session::sign_in(&app, SUPERVISOR, PASSWORD).await;
    let admin = Session::sign_in(&app, ADMIN, PASSWORD).await;
    let before = snapshot(&app, &token).await;

    // Officials and supervisors: the 403 page on every page and form.
    for (email, s) in [(OFFICIAL, &official), (SUPERVISOR, &supervisor)] {
        for path in [
            "/console/admin",
            "/console/admin/units",
            &format!("/console/admin/units/{department}"),
            "/console/admin/categories",
            "/console/admin/categories/duong-hong",
            "/console/admin/routing",
            "/console/admin/routing?try=1&kind=feedback&category=duong-hong&area_code=31135",
            "/console/admin/policies",
            &format!("/console/admin/policies/{}", policy["id"]),
            "/console/admin/calendar",
            "/console/admin/users",
        ] {
            let (status, page) = s.get(path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email} {path}");
            assert!(page.contains("Không có quyền"), "{page}");
        }
        let (_, page) = s.get("/console/").await;
        assert!(
            !page.contains(r#"href="/console/admin""#),
            "no menu item for {email}"
        );
        for (path, fields) in changes(&department, &policy_fields) {
            let res = s.submit(&path, &pairs(&fields)).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email} {path}");
        }
        for path in [
            "/console/admin/routing/rules/1/delete".to_string(),
            "/console/admin/calendar/2026-01-01/delete".into(),
            format!("/console/admin/units/{department}/merge"),
            "/console/admin/users/1/disable".into(),
            "/console/admin/users/1/password-reset".into(),
        ] {
            let res = s.submit(&path, &[("into", "1"), ("disabled", "1")]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email} {path}");
        }
    }

    // The administrator's own forms without their token (or with another's).
    for (path, fields) in changes(&department, &policy_fields) {
        let res = admin.send(&path, &pairs(&fields)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let page = res.text().await.unwrap();
        assert!(
            page.contains("không hợp lệ; không có gì thay đổi"),
            "{page}"
        );
        let mut forged = vec![("csrf", official.csrf.as_str())];
        forged.extend(pairs(&fields));
        let res = admin.send(&path, &forged).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let rules = app
        .get_json(&token, "/api/v1/admin/routing-rules?limit=1")
        .await;
    let rule = rules["items"][0]["id"].clone();
    for path in [
        format!("/console/admin/routing/rules/{rule}/delete"),
        format!("/console/admin/units/{department}/merge"),
        "/console/admin/users/1/disable".into(),
        "/console/admin/users/1/password-reset".into(),
    ] {
        let res = admin.send(&path, &[("into", "1"), ("disabled", "1")]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
    }

    assert_eq!(snapshot(&app, &token).await, before);
    // And no email went out.
    assert!(app.mails_to("gia.mao@example.vn").await.is_empty());
}

/// The acceptance journey's administrator: the demo administrator signs in, adds a routing
/// rule, and the "try it" box shows that rule's unit. Screenshots of the pages at 1280 px.
#[tokio::test]
async fn an_administrator_adds_a_routing_rule_and_the_preview_shows_it() {
    let app = app().await;
    let token = admin_token(&app).await;
    let driver = Driver::start().await;
    let b = driver.browser(1280).await;
    b.sign_in(&app, ADMIN, PASSWORD).await;
    b.expect("Hộp việc").await;
    b.click("nav.side a[href='/console/admin']").await;
    b.expect("Phân luồng").await;
    b.shot("admin").await;

    b.click("a[href='/console/admin/routing']").await;
    b.expect("Thử phân luồng").await;
    // Before: a pothole in Phường Ninh Kiều goes to its ward's committee.
    b.choose("#t-kind", "feedback").await;
    b.choose("#t-category", "duong-hong").await;
    b.fill("#t-area", "31135").await;
    b.click("#try button[type=submit]").await;
    b.expect("Đơn vị nhận:").await;
    b.expect_data("#preview", "unitCode", "UBND-X31135").await;

    // The rule: potholes in the ward go to the city's construction department.
    let department = app.unit_id("SXD-92").await;
    b.choose("#r-category", "duong-hong").await;
    b.fill("#r-area", "31135").await;
    b.choose("#r-unit", &department.to_string()).await;
    b.fill("#r-priority", "1").await;
    b.click("#add-rule button[type=submit]").await;
    b.expect("Đã tạo.").await;
    let rules = app
        .get_json(&token, "/api/v1/admin/routing-rules?category=duong-hong")
        .await;
    let rule = rules["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["area_code"] == "31135")
        .expect("the rule is stored")["id"]
        .as_i64()
        .unwrap();
    assert_eq!(rules["items"].as_array().unwrap().len(), 1);

    // The box, as the journey asks: the rule's unit, and the rule.
    b.choose("#t-kind", "feedback").await;
    b.choose("#t-category", "duong-hong").await;
    b.fill("#t-area", "31135").await;
    b.click("#try button[type=submit]").await;
    b.expect("Sở Xây dựng Cần Thơ").await;
    b.expect_data("#preview", "unitCode", "SXD-92").await;
    assert_eq!(b.data("#preview", "reason").await, "rule");
    assert_eq!(b.data("#preview", "ruleId").await, rule.to_string());
    b.expect(&format!("#{rule}")).await;
    b.shot("admin-routing").await;

    other_pages(&app, &b).await;
    b.client.close().await.unwrap();
}

/// The administration's other pages render; a screenshot of each.
async fn other_pages(app: &TestApp, b: &crate::console::Browser) {
    let unit = format!("/console/admin/units/{}", app.unit_id("SXD-92").await);
    let policy = format!(
        "/console/admin/policies/{}",
        app.state
            .db(|c| nghedan::db::policies::list(c, None, None, 1))
            .await
            .map_err(nghedan::error::AppError::from)
            .unwrap()[0]
            .policy
            .id
    );
    for (path, name, shows) in [
        ("/console/admin/units", "admin-units", "Cây đơn vị"),
        (unit.as_str(), "admin-unit", "Sáp nhập vào đơn vị"),
        (policy.as_str(), "admin-policy", "Bắt đầu tính"),
        (
            "/console/admin/categories/duong-hong",
            "admin-category",
            "Trường thông tin",
        ),
        (
            "/console/admin/policies",
            "admin-policies",
            "Thời hạn giải quyết",
        ),
        (
            "/console/admin/calendar?year=2026",
            "admin-calendar",
            "Ngày lễ, Tết",
        ),
        (
            "/console/admin/users",
            "admin-users",
            "Tạo tài khoản cán bộ",
        ),
    ] {
        b.go(app, path).await;
        b.expect(shows).await;
        b.shot(name).await;
    }
}

/// The administration at phone width (and its screenshots at 390 px).
#[tokio::test]
async fn the_administration_works_on_a_phone() {
    let app = app().await;
    let driver = Driver::start().await;
    let b = driver.browser(390).await;
    b.sign_in(&app, ADMIN, PASSWORD).await;
    b.expect("Hộp việc").await;
    b.go(&app, "/console/admin").await;
    b.expect("Phân luồng").await;
    b.shot("admin").await;
    b.go(
        &app,
        "/console/admin/routing?try=1&kind=feedback&category=duong-hong&area_code=31135",
    )
    .await;
    b.expect("Đơn vị nhận:").await;
    b.expect_data("#preview", "unitCode", "UBND-X31135").await;
    b.shot("admin-routing").await;
    other_pages(&app, &b).await;
    // English by choice.
    b.go(&app, "/console/admin?lang=en").await;
    b.expect("Deadline policies").await;
    b.client.close().await.unwrap();
}
