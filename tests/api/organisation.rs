//! Organisation: areas, units, categories, routing rules, the demo seed and CSV import.

use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::cli;
use crate::helpers::{TestApp, assert_problem};

async fn preview(app: &TestApp, body: Value) -> Value {
    let r = app.post_json("/api/v1/routing/preview", &body).await;
    assert_eq!(r.status(), 200, "{body}");
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_2025_areas_are_loaded_and_searchable() {
    let app = TestApp::spawn().await;
    // Provinces, paged through.
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(c) => format!("/api/v1/areas?level=province&limit=10&after={c}"),
            None => "/api/v1/areas?level=province&limit=10".into(),
        };
        let page = app.public_json(&path).await;
        for a in page["items"].as_array().unwrap() {
            codes.push(a["code"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(codes.len(), 34);
    let communes = app
        .state
        .db(|conn| -> Result<_, nghedan::error::AppError> {
            use diesel::prelude::*;
            use nghedan::db::schema::areas;
            Ok(areas::table
                .filter(areas::level.eq("commune"))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(communes, 3321);

    // Diacritics and case do not matter.
    for q in [
        "phuong%20ba%20dinh",
        "PHUONG%20BA%20%C4%90INH",
        "Ph%C6%B0%E1%BB%9Dng%20Ba%20%C4%90%C3%ACnh",
    ] {
        let r = app.public_json(&format!("/api/v1/areas?q={q}")).await;
        assert_eq!(r["items"][0]["code"], "00004", "{q}");
        assert_eq!(r["items"][0]["name"], "Phường Ba Đình");
    }
    let hcm = app.public_json("/api/v1/areas?parent=79&limit=100").await;
    assert_eq!(hcm["items"].as_array().unwrap().len(), 100);
    assert!(
        hcm["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["parent_code"] == "79")
    );
    let one = app.public_json("/api/v1/areas/92").await;
    assert_eq!(one["name"], "Thành phố Cần Thơ");
    assert_eq!(one["level"], "province");
    assert_problem(app.get("/api/v1/areas/99999").await, 404, "area_not_found").await;
    assert_problem(
        app.get("/api/v1/areas?limit=0").await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/areas?level=district").await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn locate_finds_the_nearest_commune() {
    let app = TestApp::spawn().await;
    // On Phường Ninh Kiều's centroid.
    let r = app
        .public_json("/api/v1/areas/locate?lat=10.0331&lon=105.777")
        .await;
    assert_eq!(r["commune"]["code"], "31135");
    assert_eq!(r["province"]["code"], "92");
    assert_eq!(r["distance_m"], 0.0);
    // Near Phường Ba Đình (Hà Nội), a few hundred metres off.
    let r = app
        .public_json("/api/v1/areas/locate?lat=21.036&lon=105.836")
        .await;
    assert_eq!(r["province"]["code"], "01");
    assert!(r["distance_m"].as_f64().unwrap() < 2_000.0);
    // Paris, and the open sea: too far from every commune.
    let p = assert_problem(
        app.get("/api/v1/areas/locate?lat=48.85&lon=2.35").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "outside_coverage");
    assert_problem(
        app.get("/api/v1/areas/locate?lat=5.0&lon=112.0").await,
        422,
        "validation_failed",
    )
    .await;
    // Out of range and not numbers.
    let p = assert_problem(
        app.get("/api/v1/areas/locate?lat=91&lon=105").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/lat");
    let p = assert_problem(
        app.get("/api/v1/areas/locate?lat=10&lon=181").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/lon");
    let p = assert_problem(
        app.get("/api/v1/areas/locate?lat=abc&lon=105").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "/lat");
    assert_problem(
        app.get("/api/v1/areas/locate?lat=10").await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn the_demo_routes_potholes_to_the_commune_and_land_to_the_department() {
    let app = TestApp::spawn().await;
    let first = app.seed_demo().await;
    assert!(first.units >= 5 * 11 && first.categories >= 20, "{first:?}");
    assert_eq!(
        app.seed_demo().await,
        nghedan::seed::Report::default(),
        "twice changes nothing"
    );

    let p = preview(
        &app,
        json!({"kind": "feedback", "category": "duong-hong", "area_code": "31135"}),
    )
    .await;
    assert_eq!(p["unit"]["code"], "UBND-X31135");
    assert_eq!(
        p["reason"],
        json!({"type": "people_committee", "area_code": "31135"})
    );
    // By GPS too.
    let p = preview(
        &app,
        json!({"kind": "feedback", "category": "duong-hong", "lat": 10.0331, "lon": 105.777}),
    )
    .await;
    assert_eq!(p["unit"]["code"], "UBND-X31135");
    let p = preview(
        &app,
        json!({"kind": "complaint", "category": "tranh-chap-dat", "area_code": "31135"}),
    )
    .await;
    assert_eq!(p["unit"]["code"], "SNNMT-92");
    assert_eq!(p["reason"]["type"], "rule");
    // A commune outside the demo: no rule, no committee → the coordinator.
    let p = preview(
        &app,
        json!({"kind": "feedback", "category": "duong-hong", "area_code": "00004"}),
    )
    .await;
    assert_eq!(p["unit"]["code"], "DIEU-PHOI");
    assert_eq!(p["reason"], json!({"type": "coordinator"}));
    // Bad input.
    let r = app
        .post_json(
            "/api/v1/routing/preview",
            &json!({"kind": "feedback", "category": "nope", "area_code": "31135"}),
        )
        .await;
    let e = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(e["errors"][0]["field"], "/category");
    let r = app
        .post_json(
            "/api/v1/routing/preview",
            &json!({"kind": "gossip", "category": "duong-hong", "area_code": "31135"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .post_json(
            "/api/v1/routing/preview",
            &json!({"kind": "feedback", "category": "duong-hong"}),
        )
        .await;
    let e = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(e["errors"][0]["field"], "/area_code");

    // The public category tree, in English.
    let tree: Value = app
        .client
        .get(app.url("/api/v1/categories"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let roads = &tree["items"][0];
    assert_eq!(roads["name"], "Roads and traffic");
    let pothole = &roads["children"][0];
    assert_eq!(pothole["code"], "duong-hong");
    assert_eq!(pothole["attributes"][0]["code"], "size");
    assert_eq!(
        pothole["attributes"][0]["values"][0]["name"],
        "Small (under 30 cm)"
    );
}

#[tokio::test]
async fn routing_follows_specificity_and_skips_inactive_units() {
    let app = TestApp::demo().await;
    let admin = app.admin().await;
    let post =
        |path: &'static str, body: Value| app.authed(Method::POST, path, &admin).json(&body).send();
    let commune_pc = app.unit_id("UBND-X31135").await;
    let construction = app.unit_id("SXD-92").await;
    let inspectorate = app.unit_id("TT-92").await;
    let ask = |category: &'static str, kind: &'static str| {
        let app = &app;
        async move {
            preview(
                app,
                json!({"kind": kind, "category": category, "area_code": "31135"}),
            )
            .await["unit"]["code"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    // Province rule for construction order exists in the demo.
    assert_eq!(ask("xay-dung-trai-phep", "feedback").await, "SXD-92");
    // A commune rule beats it.
    let r = post("/api/v1/admin/routing-rules", json!({"category_code": "xay-dung", "area_code": "31135", "unit_id": commune_pc, "priority": 500}))
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(ask("xay-dung-trai-phep", "feedback").await, "UBND-X31135");
    // A deeper category at the same (province) level does not beat a commune rule…
    post(
        "/api/v1/admin/routing-rules",
        json!({"category_code": "xay-dung-trai-phep", "area_code": "92", "unit_id": inspectorate}),
    )
    .await
    .unwrap();
    assert_eq!(ask("xay-dung-trai-phep", "feedback").await, "UBND-X31135");
    // …but a deeper category at the commune level does.
    post("/api/v1/admin/routing-rules", json!({"category_code": "xay-dung-trai-phep", "area_code": "31135", "unit_id": construction}))
        .await
        .unwrap();
    assert_eq!(ask("xay-dung-trai-phep", "feedback").await, "SXD-92");
    // Kind-specific beats any-kind at equal area and depth.
    post("/api/v1/admin/routing-rules", json!({"category_code": "xay-dung-trai-phep", "area_code": "31135", "kind": "denunciation", "unit_id": inspectorate, "priority": 900}))
        .await
        .unwrap();
    assert_eq!(ask("xay-dung-trai-phep", "denunciation").await, "TT-92");
    assert_eq!(ask("xay-dung-trai-phep", "feedback").await, "SXD-92");
    // Inactive units are skipped: the next rule takes over.
    let r = app
        .authed(
            Method::PATCH,
            &format!("/api/v1/admin/units/{inspectorate}"),
            &admin,
        )
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(ask("xay-dung-trai-phep", "denunciation").await, "SXD-92");
    // With the commune committee closed, a pothole falls back to the coordinator.
    app.authed(
        Method::PATCH,
        &format!("/api/v1/admin/units/{commune_pc}"),
        &admin,
    )
    .json(&json!({"active": false}))
    .send()
    .await
    .unwrap();
    assert_eq!(ask("duong-hong", "feedback").await, "UBND-T92");
}

#[tokio::test]
async fn units_form_a_tree_without_cycles() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let create = |body: Value| {
        app.authed(Method::POST, "/api/v1/admin/units", &admin)
            .json(&body)
            .send()
    };
    let a: Value = create(json!({"code": "A", "name_vi": "Đơn vị A", "name_en": "Unit A", "kind": "people_committee", "area_codes": ["92"]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let b: Value = create(json!({"code": "B", "name_vi": "B", "name_en": "B", "kind": "department", "parent_id": a["id"]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c: Value = create(
        json!({"code": "C", "name_vi": "C", "name_en": "C", "kind": "other", "parent_id": b["id"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(a["area_codes"], json!(["92"]));
    // A under C would be a cycle; A under itself too.
    for parent in [&c["id"], &a["id"]] {
        let r = app
            .authed(
                Method::PATCH,
                &format!("/api/v1/admin/units/{}", a["id"]),
                &admin,
            )
            .json(&json!({"parent_id": parent}))
            .send()
            .await
            .unwrap();
        assert_problem(r, 422, "unit_cycle").await;
    }
    // Duplicate code, bad kind, unknown parent, unknown area.
    let r = create(json!({"code": "A", "name_vi": "x", "name_en": "x", "kind": "other"}))
        .await
        .unwrap();
    assert_problem(r, 409, "unit_code_taken").await;
    let r = create(json!({"code": "D", "name_vi": "x", "name_en": "x", "kind": "ministry"}))
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    let r = create(
        json!({"code": "D", "name_vi": "x", "name_en": "x", "kind": "other", "parent_id": 999999}),
    )
    .await
    .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/parent_id");
    let r = create(json!({"code": "D", "name_vi": "x", "name_en": "x", "kind": "other", "area_codes": ["00000"]})).await.unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/area_codes");
    // B has a subunit: refused; C goes; public reads see the rest.
    let r = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/admin/units/{}", b["id"]),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "unit_has_subunits").await;
    let r = app
        .authed(
            Method::DELETE,
            &format!("/api/v1/admin/units/{}", c["id"]),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let list = app
        .public_json(&format!("/api/v1/units?parent_id={}", a["id"]))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let one: Value = app
        .client
        .get(app.url(&format!("/api/v1/units/{}", a["id"])))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["name"], "Unit A");
    assert_problem(
        app.get(&format!("/api/v1/units/{}", c["id"])).await,
        404,
        "unit_not_found",
    )
    .await;
}

#[tokio::test]
async fn merging_two_committees_moves_everything_to_the_survivor() {
    let app = TestApp::demo().await;
    let admin = app.admin().await;
    let old = app.unit_id("UBND-X31120").await;
    let new = app.unit_id("UBND-X31135").await;
    let board = app.unit_id("BTTND-31120").await;
    // A rule pointing at the old unit.
    app.authed(Method::POST, "/api/v1/admin/routing-rules", &admin)
        .json(&json!({"category_code": "rac-thai", "area_code": "31120", "unit_id": old}))
        .send()
        .await
        .unwrap();
    let r = app.merge_units(&admin, old, new).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["moved"]["staff"], 1);
    assert_eq!(body["moved"]["areas"], 1);
    assert_eq!(body["moved"]["rules"], 1);
    assert_eq!(body["moved"]["subunits"], 1);
    let areas: Vec<&str> = body["unit"]["area_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(areas, vec!["31120", "31135"]);
    let closed = app.public_json(&format!("/api/v1/units/{old}")).await;
    assert_eq!(closed["active"], false);
    assert_eq!(closed["merged_into_id"], new);
    assert!(closed["valid_to"].is_string());
    let board = app.public_json(&format!("/api/v1/units/{board}")).await;
    assert_eq!(board["parent_id"], new);
    // Routing now lands at the survivor, by rule and by committee.
    let p = preview(
        &app,
        json!({"kind": "feedback", "category": "rac-thai", "area_code": "31120"}),
    )
    .await;
    assert_eq!(p["unit"]["id"], new);
    let p = preview(
        &app,
        json!({"kind": "feedback", "category": "duong-hong", "area_code": "31120"}),
    )
    .await;
    assert_eq!(p["unit"]["id"], new);
    // A closed unit cannot be merged again; nor a unit into itself.
    let r = app.merge_units(&admin, old, new).await;
    assert_problem(r, 409, "unit_inactive").await;
    let r = app.merge_units(&admin, new, new).await;
    assert_problem(r, 422, "validation_failed").await;
}

#[tokio::test]
async fn categories_and_their_attributes_are_checked() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let post = |body: Value| {
        app.authed(Method::POST, "/api/v1/admin/categories", &admin)
            .json(&body)
            .send()
    };
    let r = post(json!({"code": "env", "name_vi": "Môi trường", "name_en": "Environment", "default_kind": "feedback"})).await.unwrap();
    assert_eq!(r.status(), 201);
    let r = post(
        json!({"code": "env-noise", "parent_code": "env", "name_vi": "Tiếng ồn", "name_en": "Noise",
        "default_kind": "feedback", "urgent": true,
        "attributes": [{"code": "when", "datatype": "singlevaluelist", "required": true,
            "description": {"vi": "Khi nào", "en": "When"},
            "values": [{"key": "night", "name": {"vi": "Đêm", "en": "Night"}}]}]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = post(json!({"code": "bad", "name_vi": "x", "name_en": "x", "default_kind": "feedback",
        "attributes": [{"code": "Bad Code", "datatype": "number", "description": {"vi": "x", "en": "x"},
            "values": [{"key": "a", "name": {"vi": "a", "en": "a"}}]}]}))
        .await
        .unwrap();
    let p = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["/attributes/0/code", "/attributes/0/values"]);
    let r = post(json!({"code": "x", "name_vi": "x", "name_en": "x", "default_kind": "gossip"}))
        .await
        .unwrap();
    assert_problem(r, 422, "validation_failed").await;
    // A cycle through the parent is refused; deleting a parent in use is refused.
    let r = app
        .authed(Method::PATCH, "/api/v1/admin/categories/env", &admin)
        .json(&json!({"parent_code": "env-noise"}))
        .send()
        .await
        .unwrap();
    assert_problem(r, 422, "category_cycle").await;
    let r = app
        .authed(Method::DELETE, "/api/v1/admin/categories/env", &admin)
        .send()
        .await
        .unwrap();
    assert_problem(r, 409, "category_in_use").await;
    let tree = app.public_json("/api/v1/categories").await;
    assert_eq!(tree["items"][0]["children"][0]["urgent"], true);
    assert_eq!(
        tree["items"][0]["children"][0]["attributes"][0]["description"],
        "Khi nào"
    );
    // Deactivated categories leave the public tree.
    app.authed(Method::PATCH, "/api/v1/admin/categories/env-noise", &admin)
        .json(&json!({"active": false}))
        .send()
        .await
        .unwrap();
    let tree = app.public_json("/api/v1/categories").await;
    assert_eq!(tree["items"][0]["children"], json!([]));
}

#[tokio::test]
async fn organisation_admin_routes_need_an_admin() {
    let app = TestApp::demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let citizen = app.citizen().await;
    let (_, official) = app.token_for(Role::Official, Some(unit)).await;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(unit)).await;
    let routes: Vec<(Method, String, Value)> = vec![
        (
            Method::PATCH,
            "/api/v1/admin/areas/31135".into(),
            json!({"remote": true}),
        ),
        (
            Method::POST,
            "/api/v1/admin/units".into(),
            json!({"code": "NEW", "name_vi": "x", "name_en": "x", "kind": "other"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/admin/units/{unit}"),
            json!({"sees_subunits": true}),
        ),
        (
            Method::POST,
            format!(
                "/api/v1/admin/units/{}/merge",
                app.unit_id("UBND-X31120").await
            ),
            json!({"into": unit}),
        ),
        (
            Method::DELETE,
            "/api/v1/admin/units/999999".into(),
            Value::Null,
        ),
        (Method::GET, "/api/v1/admin/categories".into(), Value::Null),
        (Method::GET, "/api/v1/admin/units".into(), Value::Null),
        (
            Method::GET,
            format!("/api/v1/admin/units/{unit}"),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/admin/categories".into(),
            json!({"code": "new", "name_vi": "x", "name_en": "x", "default_kind": "feedback"}),
        ),
        (
            Method::PATCH,
            "/api/v1/admin/categories/rac-thai".into(),
            json!({"urgent": true}),
        ),
        (
            Method::DELETE,
            "/api/v1/admin/categories/new".into(),
            Value::Null,
        ),
        (
            Method::GET,
            "/api/v1/admin/routing-rules".into(),
            Value::Null,
        ),
        (
            Method::POST,
            "/api/v1/admin/routing-rules".into(),
            json!({"category_code": "rac-thai", "unit_id": unit}),
        ),
        (
            Method::GET,
            "/api/v1/admin/routing-rules/1".into(),
            Value::Null,
        ),
        (
            Method::PATCH,
            "/api/v1/admin/routing-rules/1".into(),
            json!({"priority": 5}),
        ),
        (
            Method::DELETE,
            "/api/v1/admin/routing-rules/1".into(),
            Value::Null,
        ),
    ];
    let admin = app.admin().await;
    for (method, path, body) in &routes {
        let send = |token: Option<&str>| {
            let mut rb = app.client.request(method.clone(), app.url(path));
            if let Some(t) = token {
                rb = rb.bearer_auth(t);
            }
            if !body.is_null() {
                rb = rb.json(body);
            }
            rb.send()
        };
        assert_problem(send(None).await.unwrap(), 401, "unauthenticated").await;
        for t in [&citizen, &official, &supervisor] {
            assert_problem(send(Some(t)).await.unwrap(), 403, "action_forbidden").await;
        }
        let r = send(Some(&admin)).await.unwrap();
        assert!(
            r.status().is_success() || r.status() == 404,
            "{method} {path}: {}",
            r.status()
        );
    }
    let area = app.public_json("/api/v1/areas/31135").await;
    assert_eq!(area["remote"], true);
}

#[tokio::test]
async fn csv_import_reports_every_bad_row_and_writes_nothing() {
    let app = TestApp::demo().await;
    let now = app.clock_now_naive();
    let bad = "code,name_vi,name_en,kind,parent_code,email,area_codes,category_codes,sees_subunits\n\
               NEW-1,Đơn vị 1,Unit 1,department,UBND-T92,ok@example.vn,92,rac-thai,true\n\
               NEW-2,,Unit 2,ministry,NOPE,not-an-email,99999,nope,maybe\n\
               NEW-1,Dup,Dup,other,,,,,\n\
               NEW-3,Đơn vị 3,Unit 3,other,NEW-1,,,,\n";
    let result = app
        .state
        .db(move |conn| {
            Ok::<_, nghedan::error::AppError>(nghedan::import::units(
                conn,
                bad,
                now,
                &Default::default(),
            ))
        })
        .await
        .unwrap();
    let rows = match result {
        Err(nghedan::import::ImportError::Rows(rows)) => rows,
        other => panic!("expected bad rows, got {other:?}"),
    };
    let lines: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.column)).collect();
    assert_eq!(
        lines,
        vec![
            (3, "name_vi"),
            (3, "kind"),
            (3, "parent_code"),
            (3, "email"),
            (3, "area_codes"),
            (3, "category_codes"),
            (3, "sees_subunits"),
            (4, "code"),
        ]
    );
    assert!(
        app.state
            .db(|c| nghedan::db::units::find_by_code(c, "NEW-1"))
            .await
            .unwrap()
            .is_none()
    );

    let good = "code,name_vi,name_en,kind,parent_code,email,area_codes,category_codes,sees_subunits\n\
                NEW-1,Đơn vị 1,Unit 1,department,UBND-T92,ok@example.vn,92,rac-thai,true\n\
                NEW-3,Đơn vị 3,Unit 3,other,NEW-1,,,,\n";
    let n = app
        .state
        .db(move |conn| {
            Ok::<_, nghedan::error::AppError>(nghedan::import::units(
                conn,
                good,
                now,
                &Default::default(),
            ))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n, 2);
    let rules = "category_code,area_code,kind,unit_code,priority\n\
                 rac-thai,31135,,NEW-1,10\n\
                 nope,31135,feedback,NEW-1,x\n";
    let r = app
        .state
        .db(move |conn| {
            Ok::<_, nghedan::error::AppError>(nghedan::import::rules(
                conn,
                rules,
                now,
                &Default::default(),
            ))
        })
        .await
        .unwrap();
    match r {
        Err(nghedan::import::ImportError::Rows(rows)) => {
            assert_eq!(
                rows.iter().map(|r| (r.line, r.column)).collect::<Vec<_>>(),
                vec![(3, "category_code"), (3, "priority")]
            );
        }
        other => panic!("expected bad rows, got {other:?}"),
    }
    let p = preview(
        &app,
        json!({"kind": "feedback", "category": "rac-thai", "area_code": "31135"}),
    )
    .await;
    assert_eq!(
        p["unit"]["code"], "SNNMT-92",
        "the bad rules file wrote nothing"
    );
}

#[test]
fn the_cli_imports_and_refuses_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let run = |args: &[&str]| {
        let out = cli(&db)
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let file = dir.path().join("units.csv");
    std::fs::write(
        &file,
        "code,name_vi,name_en,kind\nU1,Một,One,other\nU2,Hai,Two,planet\n",
    )
    .unwrap();
    let (ok, out) = run(&["admin", "import", "units", file.to_str().unwrap()]);
    assert!(!ok);
    assert!(out.contains("line 3: kind"), "{out}");
    assert!(out.contains("nothing was written"), "{out}");
    std::fs::write(&file, "code,name_vi,name_en,kind\nU1,Một,One,other\n").unwrap();
    let (ok, out) = run(&["admin", "import", "units", file.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("imported 1 units"), "{out}");
    let (ok, out) = run(&["seed", "demo"]);
    assert!(ok, "{out}");
    assert!(out.contains("admin@demo.nghedan.vn"), "{out}");
    let (ok, out) = run(&["seed", "demo"]);
    assert!(ok && out.contains("nothing changed"), "{out}");
}
