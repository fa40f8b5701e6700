//! Open311 GeoReport v2 under `/open311/v2/`: every endpoint in both formats (the XML read
//! back as the spec's element paths), the error shapes and statuses, posting through the
//! app's own submission (the unit's inbox, the deadline, idempotency, the rate limit),
//! repeated multivaluelist attributes, and what the public reads never shows.

use quick_xml::Reader;
use quick_xml::events::Event;
use reqwest::{Method, Response};
use serde_json::{Value, json};

use crate::fixtures::cli;
use crate::helpers::TestApp;

/// Ninh Kiều, Cần Thơ: routed to `UBND-X31135`.
const LAT: &str = "10.0332";
const LONG: &str = "105.7771";

/// (element path, text) of every element with text, in document order; empty elements
/// appear with an empty text.
fn xml_paths(xml: &str) -> Vec<(String, String)> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut out: Vec<(String, String)> = Vec::new();
    // Text arrives in pieces around `&amp;`-like references: pieces in a row are one text.
    let mut in_text = false;
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let piece = match &event {
            Event::Text(t) => Some(t.decode().unwrap().into_owned()),
            Event::GeneralRef(r) => {
                let name = String::from_utf8(r.to_vec()).unwrap();
                Some(
                    quick_xml::escape::unescape(&format!("&{name};"))
                        .unwrap()
                        .into_owned(),
                )
            }
            _ => None,
        };
        if let Some(piece) = piece {
            match out.last_mut() {
                Some((_, t)) if in_text => t.push_str(&piece),
                _ => out.push((stack.join("/"), piece)),
            }
            in_text = true;
            continue;
        }
        in_text = false;
        match event {
            Event::Start(e) => {
                stack.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
            }
            Event::Empty(e) => {
                let mut path = stack.clone();
                path.push(String::from_utf8(e.name().as_ref().to_vec()).unwrap());
                out.push((path.join("/"), String::new()));
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

/// The texts at `path`.
fn at<'a>(paths: &'a [(String, String)], path: &str) -> Vec<&'a str> {
    paths
        .iter()
        .filter(|(p, _)| p == path)
        .map(|(_, t)| t.as_str())
        .collect()
}

async fn body(r: Response, status: u16, content_type: &str) -> String {
    let got = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = r.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    assert!(ct.starts_with(content_type), "{ct}: {text}");
    text
}

async fn get_json(app: &TestApp, path: &str, status: u16) -> Value {
    let r = app.get(&format!("/open311/v2/{path}")).await;
    serde_json::from_str(&body(r, status, "application/json; charset=utf-8").await).unwrap()
}

async fn get_xml(app: &TestApp, path: &str, status: u16) -> Vec<(String, String)> {
    let r = app.get(&format!("/open311/v2/{path}")).await;
    let text = body(r, status, "text/xml; charset=utf-8").await;
    assert!(text.starts_with("<?xml"), "{text}");
    xml_paths(&text)
}

/// A client made through the admin API; its key.
async fn client_key(app: &TestApp, name: &str) -> String {
    let admin = app.admin().await;
    let r = app
        .authed(Method::POST, "/api/v1/admin/open311-clients", &admin)
        .json(&json!({"name": name}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["api_key"].as_str().unwrap().to_string()
}

/// A form POST to `requests.{format}` with these pairs (repeated keys kept).
async fn post(app: &TestApp, format: &str, pairs: &[(&str, &str)], key: Option<&str>) -> Response {
    let mut rb = app
        .client
        .post(app.url(&format!("/open311/v2/requests.{format}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(pairs).unwrap());
    if let Some(k) = key {
        rb = rb.header("Idempotency-Key", k);
    }
    rb.send().await.unwrap()
}

/// A pothole in Ninh Kiều with the sender's contact.
fn pothole(api_key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", api_key),
        ("service_code", "duong-hong"),
        ("lat", LAT),
        ("long", LONG),
        ("description", "Ổ gà lớn trước chợ, xe máy dễ ngã."),
        ("attribute[size]", "large"),
        ("attribute[depth_cm]", "15"),
        ("email", "nguoigui@example.vn"),
        ("first_name", "Trần"),
        ("last_name", "Thị Mận"),
        ("phone", "0912345678"),
        ("device_id", "dev-1"),
    ]
}

/// Posts the pothole in JSON; its service_request_id.
async fn post_pothole(app: &TestApp, api_key: &str) -> String {
    let text = body(
        post(app, "json", &pothole(api_key), None).await,
        200,
        "application/json",
    )
    .await;
    let v: Value = serde_json::from_str(&text).unwrap();
    v[0]["service_request_id"].as_str().unwrap().to_string()
}

#[actix_web::test]
async fn discovery_services_and_definitions_in_both_formats() {
    let app = TestApp::demo().await;

    let d = get_json(&app, "discovery.json", 200).await;
    for field in ["changeset", "contact", "key_service"] {
        assert!(d[field].as_str().is_some_and(|s| !s.is_empty()), "{d}");
    }
    let e = &d["endpoints"][0];
    assert_eq!(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(e["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(e["type"], "production");
    assert_eq!(e["formats"], json!(["text/xml", "application/json"]));
    let x = get_xml(&app, "discovery.xml", 200).await;
    assert_eq!(
        at(&x, "discovery/endpoints/endpoint/formats/format"),
        vec!["text/xml", "application/json"]
    );
    assert_eq!(
        at(&x, "discovery/endpoints/endpoint/type"),
        vec!["production"]
    );

    // Services: the leaf categories of feedback and petitions only.
    let services = get_json(&app, "services.json", 200).await;
    let list = services.as_array().unwrap();
    let codes: Vec<&str> = list
        .iter()
        .map(|s| s["service_code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"duong-hong") && codes.contains(&"ngap-ung"),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"tham-nhung"),
        "denunciations are never offered"
    );
    assert!(!codes.contains(&"giao-thong"), "a parent is no service");
    let pothole = list
        .iter()
        .find(|s| s["service_code"] == "duong-hong")
        .unwrap();
    assert_eq!(pothole["service_name"], "Đường hư hỏng, ổ gà");
    assert_eq!(pothole["metadata"], true);
    assert_eq!(pothole["type"], "realtime");
    assert_eq!(pothole["group"], "Giao thông");
    assert!(pothole["keywords"].as_str().unwrap().contains(", "));
    assert!(
        pothole["description"]
            .as_str()
            .unwrap()
            .contains("công khai")
    );
    let en = get_json(&app, "services.json?locale=en", 200).await;
    let pothole_en = en
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "duong-hong")
        .unwrap();
    assert_eq!(pothole_en["service_name"], "Damaged road, potholes");
    assert!(
        pothole_en["description"]
            .as_str()
            .unwrap()
            .contains("public from submission")
    );
    let by_header = app
        .client
        .get(app.url("/open311/v2/services.json"))
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    let by_header: Value = by_header.json().await.unwrap();
    assert_eq!(by_header, en);
    let x = get_xml(&app, "services.xml", 200).await;
    assert_eq!(at(&x, "services/service/service_code").len(), list.len());
    assert!(at(&x, "services/service/service_code").contains(&"duong-hong"));
    assert!(
        at(&x, "services/service/type")
            .iter()
            .all(|t| *t == "realtime")
    );

    // A definition: attributes numbered from 1, list values, multivaluelists.
    let def = get_json(&app, "services/ngap-ung.json", 200).await;
    assert_eq!(def["service_code"], "ngap-ung");
    let attrs = def["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), 2);
    assert_eq!(attrs[0]["code"], "depth_cm");
    assert_eq!(attrs[0]["datatype"], "number");
    assert_eq!(attrs[0]["required"], true);
    assert_eq!(attrs[0]["order"], 1);
    assert_eq!(attrs[0]["variable"], true);
    assert_eq!(attrs[1]["datatype"], "multivaluelist");
    assert_eq!(attrs[1]["order"], 2);
    assert_eq!(
        attrs[1]["values"][0],
        json!({"key": "road", "name": "Đường đi"})
    );
    let x = get_xml(&app, "services/ngap-ung.xml", 200).await;
    assert_eq!(at(&x, "service_definition/service_code"), vec!["ngap-ung"]);
    assert_eq!(
        at(&x, "service_definition/attributes/attribute/code"),
        vec!["depth_cm", "blocked"]
    );
    assert_eq!(
        at(
            &x,
            "service_definition/attributes/attribute/values/value/key"
        ),
        vec!["road", "homes", "school"]
    );
    assert_eq!(
        at(&x, "service_definition/attributes/attribute/order"),
        vec!["1", "2"]
    );

    // The last dot starts the suffix: `duong-hong.xml.json` asks for code `duong-hong.xml`.
    let e = get_json(&app, "services/duong-hong.xml.json", 404).await;
    assert_eq!(
        e,
        json!([{"code": 404, "description": "service_code not found"}])
    );
    let x = get_xml(&app, "services/tham-nhung.xml", 404).await;
    assert_eq!(at(&x, "errors/error/code"), vec!["404"]);
    // Jurisdictions: the configured one or none.
    get_json(&app, "services.json?jurisdiction_id=vn", 200).await;
    get_json(&app, "services.json?jurisdiction_id=", 200).await;
    let e = get_json(&app, "services.json?jurisdiction_id=chicago", 404).await;
    assert_eq!(e[0]["description"], "jurisdiction_id not found");
    // Tokens: realtime, so none.
    let e = get_json(&app, "tokens/abc.json", 404).await;
    assert_eq!(e[0]["code"], 404);
    let x = get_xml(&app, "tokens/abc.xml", 404).await;
    assert_eq!(at(&x, "errors/error/code"), vec!["404"]);
    // An unknown format, an unknown path.
    let e = get_json(&app, "services.csv", 404).await;
    assert_eq!(e[0]["code"], 404);
    let e = get_json(&app, "requests/no-suffix", 404).await;
    assert_eq!(e[0]["code"], 404);
    let x = get_xml(&app, "nothing/here.xml", 404).await;
    assert_eq!(at(&x, "errors/error/code"), vec!["404"]);
}

#[actix_web::test]
async fn a_posted_request_lands_in_the_units_inbox_with_its_deadline() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "FixMyStreet VN").await;
    let (official_user, official) = app
        .staff_of(nghedan::domain::account::Role::Official, "UBND-X31135")
        .await;
    let before = app.ticket_count().await;

    let text = body(
        post(&app, "json", &pothole(&key), None).await,
        200,
        "application/json",
    )
    .await;
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "an array of one: {v}");
    let id = v[0]["service_request_id"].as_str().unwrap().to_string();
    let notice = v[0]["service_notice"].as_str().unwrap();
    assert!(
        notice.contains("Phường Ninh Kiều") || notice.contains("Ninh Kiều"),
        "{notice}"
    );
    assert!(notice.contains("Hạn trả lời"), "{notice}");
    assert_eq!(v[0]["account_id"], Value::Null);
    assert!(!text.contains("tracking_secret"));
    assert_eq!(app.ticket_count().await, before + 1);

    // The unit sees it in its inbox with its deadline, and who sent it.
    let inbox = app.get_json(&official, "/api/v1/inbox?limit=100").await;
    let item = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} in {inbox}"));
    assert_eq!(item["kind"], "feedback");
    assert_eq!(item["status"], "submitted");
    assert!(item["next_due_at"].is_string(), "{item}");
    let t = app.ticket(&official, &id).await;
    assert_eq!(t["attributes"], json!({"size": "large", "depth_cm": 15.0}));
    let resolve = crate::fixtures::clock(&t, "resolve");
    let due = resolve["due_local_date"].as_str().unwrap();
    let (y, m, d) = (&due[0..4], &due[5..7], &due[8..10]);
    assert!(
        notice.contains(&format!("{d}/{m}/{y}")),
        "{notice} vs {due}"
    );
    let shown = t.to_string();
    assert!(
        shown.contains("nguoigui@example.vn"),
        "the unit sees the contact: {t}"
    );
    // The same notifications as the app's: the contact and the unit's officials hear of it.
    let to_contact = app.mails_to("nguoigui@example.vn").await;
    assert_eq!(to_contact.len(), 1);
    assert!(
        to_contact[0].subject.contains(&id),
        "{}",
        to_contact[0].subject
    );
    let to_unit = app.mails_to(&official_user.email).await;
    assert!(
        to_unit.iter().any(|m| m.subject.contains(&id)),
        "{to_unit:?}"
    );
    let events = app.timeline(&official, &id).await;
    assert_eq!(events[0]["kind"], "submitted");
    assert!(
        events[0].to_string().contains("FixMyStreet VN"),
        "{}",
        events[0]
    );

    // In XML, with an English notice.
    let mut pairs = pothole(&key);
    pairs.push(("locale", "en"));
    let x = xml_paths(&body(post(&app, "xml", &pairs, None).await, 200, "text/xml").await);
    let ids = at(&x, "service_requests/request/service_request_id");
    assert_eq!(ids.len(), 1);
    assert!(ids[0].starts_with("PAKN."));
    let notice = at(&x, "service_requests/request/service_notice");
    assert!(notice[0].contains("Legal answer deadline"), "{notice:?}");
    assert_eq!(at(&x, "service_requests/request/account_id"), vec![""]);
}

#[actix_web::test]
async fn every_repeated_multivalue_attribute_is_kept() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "civic").await;
    let pairs = [
        ("api_key", key.as_str()),
        ("service_code", "ngap-ung"),
        ("address_id", "31135"),
        ("attribute[depth_cm]", "30"),
        ("attribute[blocked][]", "road"),
        ("attribute[blocked][]", "school"),
        ("description", ""),
    ];
    let v: Value = post(&app, "json", &pairs, None).await.json().await.unwrap();
    let id = v[0]["service_request_id"].as_str().unwrap();
    let official = app.official_of("UBND-X31135").await;
    let t = app.ticket(&official, id).await;
    assert_eq!(t["attributes"]["blocked"], json!(["road", "school"]));
    assert_eq!(t["area"]["code"], "31135");
    // No description: the service's name stands in.
    assert_eq!(t["description"], "Ngập úng, thoát nước");

    // A key that is no list value, and a missing required answer.
    let bad = [
        ("api_key", key.as_str()),
        ("service_code", "ngap-ung"),
        ("address_id", "31135"),
        ("attribute[blocked][]", "river"),
    ];
    let e: Value = serde_json::from_str(
        &body(
            post(&app, "json", &bad, None).await,
            400,
            "application/json",
        )
        .await,
    )
    .unwrap();
    let d = e[0]["description"].as_str().unwrap();
    assert!(
        d.contains("attribute[blocked]") && d.contains("attribute[depth_cm]"),
        "{d}"
    );

    // An address naming the commune places it there.
    let by_address = [
        ("api_key", key.as_str()),
        ("service_code", "den-duong"),
        (
            "address_string",
            "Số 3 đường 30/4, Phường Ninh Kiều, TP Cần Thơ",
        ),
    ];
    let v: Value = post(&app, "json", &by_address, None)
        .await
        .json()
        .await
        .unwrap();
    let t = app
        .ticket(&official, v[0]["service_request_id"].as_str().unwrap())
        .await;
    assert_eq!(t["area"]["code"], "31135");
}

#[actix_web::test]
async fn reads_show_public_requests_and_no_personal_data() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "reader-test").await;
    let id = post_pothole(&app, &key).await;
    // An app ticket nobody accepted yet is not public.
    let citizen = app.citizen().await;
    let private = app.submit_pothole(&citizen).await;

    for path in [
        "requests.json".to_string(),
        format!("requests/{id}.json"),
        format!("requests/{id}.json?extensions=true"),
        "requests.xml".to_string(),
        format!("requests/{id}.xml"),
        "servicerequestupdates.json".to_string(),
    ] {
        let r = app.get(&format!("/open311/v2/{path}")).await;
        assert_eq!(r.status(), 200, "{path}");
        let text = r.text().await.unwrap();
        for personal in ["nguoigui", "example.vn", "Mận", "0912345678", "dev-1"] {
            assert!(!text.contains(personal), "{path} shows {personal}: {text}");
        }
        assert!(!text.contains(&private), "{path} lists a ticket not public");
    }

    let list = get_json(&app, "requests.json", 200).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let r = &list[0];
    assert_eq!(r["service_request_id"], id.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "duong-hong");
    assert_eq!(r["service_name"], "Đường hư hỏng, ổ gà");
    assert_eq!(r["description"], "Ổ gà lớn trước chợ, xe máy dễ ngã.");
    assert_eq!(r["lat"], json!(10.033));
    assert_eq!(r["long"], json!(105.777));
    assert_eq!(r["address_id"], "31135");
    assert!(
        r["agency_responsible"]
            .as_str()
            .unwrap()
            .contains("Ninh Kiều"),
        "{r}"
    );
    assert!(
        r["expected_datetime"].as_str().unwrap().ends_with('Z'),
        "{r}"
    );
    assert!(r["requested_datetime"].is_string() && r["updated_datetime"].is_string());
    assert_eq!(r["status_notes"], Value::Null);
    assert!(r.get("extended_attributes").is_none());

    let one = get_json(&app, &format!("requests/{id}.json?extensions=true"), 200).await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    let ext = &one[0]["extended_attributes"];
    assert_eq!(ext["nghedan_status"], "submitted");
    assert_eq!(ext["unit_code"], "UBND-X31135");
    assert!(
        ext["due_dates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["clock"] == "resolve")
    );
    let x = get_xml(&app, &format!("requests/{id}.xml"), 200).await;
    assert_eq!(
        at(&x, "service_requests/request/service_request_id"),
        vec![id.as_str()]
    );
    assert_eq!(at(&x, "service_requests/request/status"), vec!["open"]);
    assert_eq!(at(&x, "service_requests/request/lat"), vec!["10.033"]);
    assert_eq!(at(&x, "service_requests/request/long"), vec!["105.777"]);
    let x = get_xml(&app, "requests.xml", 200).await;
    assert_eq!(
        at(&x, "service_requests/request/service_request_id"),
        vec![id.as_str()]
    );

    // Filters: ids, services, statuses, dates with offsets and fractions, paging.
    let ids = |v: Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_string())
            .collect()
    };
    let second = post_pothole(&app, &key).await;
    assert_eq!(
        ids(get_json(&app, "requests.json", 200).await),
        vec![second.clone(), id.clone()]
    );
    assert_eq!(
        ids(get_json(
            &app,
            &format!("requests.json?service_request_id={id}&status=closed"),
            200
        )
        .await),
        vec![id.clone()]
    );
    assert!(ids(get_json(&app, "requests.json?status=closed", 200).await).is_empty());
    assert_eq!(
        ids(get_json(&app, "requests.json?status=open,closed", 200).await).len(),
        2
    );
    assert!(ids(get_json(&app, "requests.json?service_code=den-duong", 200).await).is_empty());
    assert_eq!(
        ids(get_json(&app, "requests.json?service_code=den-duong,duong-hong", 200).await).len(),
        2
    );
    // The test clock stands at 2026-11-23T02:00Z (09:00 in Hà Nội).
    let window =
        "start_date=2026-11-23T08:59:59.5%2B07:00&end_date=2026-11-23T09:00:00.000%2B07:00";
    assert_eq!(
        ids(get_json(&app, &format!("requests.json?{window}"), 200).await).len(),
        2
    );
    // A `+` left unescaped by a client reads as the offset it meant.
    let unescaped = "start_date=2026-11-23T08:59:59+07:00&end_date=2026-11-23T09:00:00+07:00";
    assert_eq!(
        ids(get_json(&app, &format!("requests.json?{unescaped}"), 200).await).len(),
        2
    );
    let before = "start_date=2026-08-30T00:00:00Z&end_date=2026-11-23T01:59:59Z";
    assert!(ids(get_json(&app, &format!("requests.json?{before}"), 200).await).is_empty());
    assert_eq!(
        ids(get_json(&app, "requests.json?page_size=1", 200).await),
        vec![second.clone()]
    );
    assert_eq!(
        ids(get_json(&app, "requests.json?page_size=1&page=2", 200).await),
        vec![id.clone()]
    );
    assert!(ids(get_json(&app, "requests.json?page_size=1&page=3", 200).await).is_empty());
    for bad in [
        "start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z",
        "start_date=yesterday",
        "start_date=2026-11-20T00:00:00Z&end_date=2026-11-10T00:00:00Z",
        "status=pending",
        "page=0",
        "page_size=5000",
    ] {
        let e = get_json(&app, &format!("requests.json?{bad}"), 400).await;
        assert_eq!(e[0]["code"], 400, "{bad}");
    }
    let e = get_json(&app, "requests.json?service_code=tham-nhung", 404).await;
    assert_eq!(e[0]["code"], 404);
    get_json(&app, "requests/PAKN.20261123.9999.json", 404).await;
    get_json(&app, &format!("requests/{private}.json"), 404).await;
}

#[actix_web::test]
async fn a_refused_request_leaves_the_public_reads() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "refusal-test").await;
    let id = post_pothole(&app, &key).await;
    get_json(&app, &format!("requests/{id}.json"), 200).await;
    let official = app.official_of("UBND-X31135").await;
    app.act_ok(
        &official,
        &id,
        "refuse",
        json!({"reason": "Không thuộc thẩm quyền."}),
    )
    .await;
    get_json(&app, &format!("requests/{id}.json"), 404).await;
    let x = get_xml(&app, &format!("requests/{id}.xml"), 404).await;
    assert_eq!(at(&x, "errors/error/code"), vec!["404"]);
    assert!(
        get_json(&app, "requests.json", 200)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    let updates = get_json(&app, "servicerequestupdates.json", 200).await;
    assert!(!updates.to_string().contains(&id), "{updates}");
}

#[actix_web::test]
async fn updates_carry_fixmystreets_statuses_and_the_published_answer() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "updates-test").await;
    let id = post_pothole(&app, &key).await;
    let official = app.official_of("UBND-X31135").await;
    app.accept(&official, &id).await;
    app.act_ok(
        &official,
        &id,
        "resolve",
        json!({"answer": "Đã vá ổ gà.", "publish": true}),
    )
    .await;

    let updates = get_json(&app, "servicerequestupdates.json", 200).await;
    let mine: Vec<&Value> = updates
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["service_request_id"] == id.as_str())
        .collect();
    let statuses: Vec<&str> = mine.iter().map(|u| u["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["IN_PROGRESS", "FIXED"], "{updates}");
    assert_eq!(mine[1]["description"], "Đã vá ổ gà.");
    assert!(mine[0]["update_id"].is_string() && mine[0]["updated_datetime"].is_string());
    let x = get_xml(&app, "servicerequestupdates.xml", 200).await;
    assert_eq!(
        at(&x, "service_request_updates/request_update/status"),
        vec!["IN_PROGRESS", "FIXED"]
    );
    let e = get_json(
        &app,
        "servicerequestupdates.json?start_date=2026-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
        400,
    )
    .await;
    assert_eq!(e[0]["code"], 400);

    let r = get_json(&app, &format!("requests/{id}.json"), 200).await;
    assert_eq!(r[0]["status"], "closed");
    assert_eq!(r[0]["status_notes"], "Đã vá ổ gà.");
    let closed = get_json(&app, "requests.json?status=closed", 200).await;
    assert_eq!(closed.as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn errors_have_the_specs_shape_and_status() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "errors-test").await;
    let json_error = |text: String| -> Value {
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(
            v[0]["code"].is_number() && v[0]["description"].is_string(),
            "{v}"
        );
        v
    };

    // No key, a wrong key: 403 in the suffix's format.
    let mut no_key = pothole(&key);
    no_key.remove(0);
    let e = json_error(
        body(
            post(&app, "json", &no_key, None).await,
            403,
            "application/json",
        )
        .await,
    );
    assert_eq!(e[0]["description"], "api_key missing");
    let x = xml_paths(&body(post(&app, "xml", &no_key, None).await, 403, "text/xml").await);
    assert_eq!(at(&x, "errors/error/code"), vec!["403"]);
    let e = json_error(
        body(
            post(&app, "json", &pothole("wrong"), None).await,
            403,
            "application/json",
        )
        .await,
    );
    assert_eq!(e[0]["description"], "api_key invalid");

    // Unknown services: 404; complaints and denunciations are no services.
    for code in ["khong-co", "tham-nhung", "giao-thong"] {
        let mut p = pothole(&key);
        p[1] = ("service_code", code);
        let e = json_error(body(post(&app, "json", &p, None).await, 404, "application/json").await);
        assert_eq!(e[0]["code"], 404, "{code}");
    }
    let mut p = pothole(&key);
    p.push(("jurisdiction_id", "boston"));
    json_error(body(post(&app, "json", &p, None).await, 404, "application/json").await);

    // Everything else: 400.
    let long = "x".repeat(4_001);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("api_key", &key), ("lat", LAT), ("long", LONG)],
            "service_code missing",
        ),
        (
            vec![("api_key", &key), ("service_code", "den-duong")],
            "a location is required",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("lat", LAT),
            ],
            "together",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("lat", "north"),
                ("long", LONG),
            ],
            "lat is not a number",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("address_id", "99999"),
            ],
            "address_id",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("address_string", "Atlantis"),
            ],
            "address_string",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("address_id", "31135"),
                ("description", &long),
            ],
            "4000",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("address_id", "31135"),
                ("email", "not-an-email"),
            ],
            "email",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "den-duong"),
                ("address_id", "31135"),
                ("media_url", "ftp://x/y.jpg"),
            ],
            "media_url",
        ),
        (
            vec![
                ("api_key", &key),
                ("service_code", "duong-hong"),
                ("address_id", "31135"),
            ],
            "attribute[size]: required",
        ),
    ];
    for (pairs, says) in cases {
        let e = json_error(
            body(
                post(&app, "json", &pairs, None).await,
                400,
                "application/json",
            )
            .await,
        );
        let d = e[0]["description"].as_str().unwrap();
        assert!(d.contains(says), "{pairs:?}: {d}");
    }
    let x = xml_paths(
        &body(
            post(
                &app,
                "xml",
                &[("api_key", &key), ("service_code", "den-duong")],
                None,
            )
            .await,
            400,
            "text/xml",
        )
        .await,
    );
    assert_eq!(at(&x, "errors/error/code"), vec!["400"]);
    assert!(at(&x, "errors/error/description")[0].contains("location"));
    // The key in the query string works as well as in the body.
    let r = app
        .client
        .post(app.url(&format!("/open311/v2/requests.json?api_key={key}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("service_code=den-duong&address_id=31135")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[actix_web::test]
async fn a_retry_with_the_same_idempotency_key_makes_one_ticket() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "retry-test").await;
    let before = app.ticket_count().await;
    let first = post(&app, "json", &pothole(&key), Some("open311-retry-0001")).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let again = post(&app, "xml", &pothole(&key), Some("open311-retry-0001")).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let x = xml_paths(&again.text().await.unwrap());
    assert_eq!(
        at(&x, "service_requests/request/service_request_id"),
        vec![first[0]["service_request_id"].as_str().unwrap()]
    );
    assert_eq!(app.ticket_count().await, before + 1);
    // The same key with another body is refused.
    let mut other = pothole(&key);
    other[4] = ("description", "Khác.");
    let r = post(&app, "json", &other, Some("open311-retry-0001")).await;
    assert_eq!(r.status(), 400);
    assert_eq!(app.ticket_count().await, before + 1);
}

#[actix_web::test]
async fn posts_are_rate_limited_per_key() {
    let app = TestApp::builder()
        .with_settings(|s| s.open311.posts_per_hour = 1)
        .demo()
        .await;
    let a = client_key(&app, "limited-a").await;
    let b = client_key(&app, "limited-b").await;
    post_pothole(&app, &a).await;
    let r = post(&app, "json", &pothole(&a), None).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let e: Value = r.json().await.unwrap();
    assert_eq!(e[0]["code"], 429);
    // Another key has its own allowance.
    post_pothole(&app, &b).await;
}

#[actix_web::test]
async fn client_keys_through_the_admin_api_and_the_command_line() {
    let app = TestApp::demo().await;
    let admin = app.admin().await;
    let path = "/api/v1/admin/open311-clients";
    let r = app
        .authed(Method::POST, path, &admin)
        .json(&json!({"name": "SeeClickFix"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let made: Value = r.json().await.unwrap();
    let key = made["api_key"].as_str().unwrap().to_string();
    assert!(key.len() >= 40);
    assert_eq!(made["name"], "SeeClickFix");
    let again = app
        .authed(Method::POST, path, &admin)
        .json(&json!({"name": "SeeClickFix"}))
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(again, 409, "open311_client_exists").await;
    let citizen = app.citizen().await;
    let r = app
        .authed(Method::POST, path, &citizen)
        .json(&json!({"name": "Mine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let official = app.official_of("UBND-X31135").await;
    assert_eq!(app.get_as(&official, path).await.status(), 403);
    let list = app.get_json(&admin, path).await;
    assert_eq!(list["items"][0]["name"], "SeeClickFix");
    assert!(!list.to_string().contains(&key), "keys are never listed");
    // Stored hashed: the key itself is nowhere in the table.
    let stored: Vec<String> = app
        .state
        .db(|c| {
            use diesel::prelude::*;
            nghedan::db::schema::open311_clients::table
                .select(nghedan::db::schema::open311_clients::key_hash)
                .load::<String>(c)
                .map_err(nghedan::db::Error::from)
        })
        .await
        .unwrap();
    assert_eq!(stored, vec![nghedan::secrets::hash_token(&key)]);

    post_pothole(&app, &key).await;
    let r = app
        .authed(Method::DELETE, &format!("{path}/SeeClickFix"), &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = post(&app, "json", &pothole(&key), None).await;
    assert_eq!(r.status(), 403, "a revoked key no longer works");
    let r = app
        .authed(Method::DELETE, &format!("{path}/SeeClickFix"), &admin)
        .send()
        .await
        .unwrap();
    crate::helpers::assert_problem(r, 404, "open311_client_not_found").await;

    // The command line: the key printed once works; listing shows no key; revoking stops it.
    let out = cli(&app.db_url)
        .args(["open311", "add-client", "Hue-S"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let cli_key = printed
        .lines()
        .find_map(|l| l.strip_prefix("api_key: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    post_pothole(&app, &cli_key).await;
    let out = cli(&app.db_url)
        .args(["open311", "list-clients"])
        .output()
        .unwrap();
    let listed = String::from_utf8(out.stdout).unwrap();
    assert!(
        listed.contains("Hue-S") && listed.contains("SeeClickFix"),
        "{listed}"
    );
    assert!(
        listed.contains("revoked") && !listed.contains(&cli_key),
        "{listed}"
    );
    let out = cli(&app.db_url)
        .args(["open311", "revoke-client", "Hue-S"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        post(&app, "json", &pothole(&cli_key), None).await.status(),
        403
    );
    let out = cli(&app.db_url)
        .args(["open311", "revoke-client", "Hue-S"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[actix_web::test]
async fn a_signed_in_citizen_posts_as_themself_and_petitions_stay_petitions() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "with-accounts").await;
    let citizen = app.citizen().await;
    let me = app.get_json(&citizen, "/api/v1/me").await;
    let r = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .bearer_auth(&citizen)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            serde_urlencoded::to_string([
                ("api_key", key.as_str()),
                ("service_code", "giao-duc"),
                ("address_id", "31135"),
                ("description", "Xây thêm phòng học cho trường tiểu học."),
            ])
            .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let v: Value = serde_json::from_str(&body(r, 200, "application/json").await).unwrap();
    assert_eq!(v[0]["account_id"], me["id"].to_string().as_str());
    let id = v[0]["service_request_id"].as_str().unwrap();
    let t = app.ticket(&citizen, id).await;
    assert_eq!(t["kind"], "petition");
    let mine = app.get_json(&citizen, "/api/v1/me/tickets?limit=100").await;
    assert!(mine.to_string().contains(id), "{mine}");

    // Without an account the same service takes anonymous feedback.
    let v: Value = post(
        &app,
        "json",
        &[
            ("api_key", &key),
            ("service_code", "giao-duc"),
            ("address_id", "31135"),
        ],
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let official = app.official_of("UBND-X31135").await;
    let t = app
        .ticket(&official, v[0]["service_request_id"].as_str().unwrap())
        .await;
    assert_eq!(t["kind"], "feedback");
}

#[actix_web::test]
async fn a_hidden_request_leaves_the_public_reads_for_good() {
    let app = TestApp::demo().await;
    let key = client_key(&app, "hiding-test").await;
    let id = post_pothole(&app, &key).await;
    let hide = |token: String| {
        let rb = app.authed(Method::POST, &format!("/api/v1/tickets/{id}/hide"), &token);
        async move { rb.send().await.unwrap() }
    };
    // The public could read it (the app's ticket view too), until the unit hides it.
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}")).await.status(),
        200
    );
    // Only the handling unit: a citizen or another unit's official reads it, but may not.
    let citizen = app.citizen().await;
    assert_eq!(hide(citizen).await.status(), 403);
    let elsewhere = app.official_of("UBND-X31120").await;
    assert_eq!(hide(elsewhere).await.status(), 403);
    let official = app.official_of("UBND-X31135").await;
    assert_eq!(hide(official.clone()).await.status(), 204);
    assert_eq!(
        hide(official.clone()).await.status(),
        204,
        "hiding twice is no error"
    );
    get_json(&app, &format!("requests/{id}.json"), 404).await;
    assert!(
        get_json(&app, "requests.json", 200)
            .await
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{id}")).await.status(),
        404
    );
    // Accepted and answered with `publish`, it stays hidden.
    app.accept(&official, &id).await;
    app.act_ok(
        &official,
        &id,
        "resolve",
        json!({"answer": "Đã vá.", "publish": true}),
    )
    .await;
    get_json(&app, &format!("requests/{id}.json"), 404).await;
    assert!(
        !get_json(&app, "servicerequestupdates.json", 200)
            .await
            .to_string()
            .contains(&id)
    );
    assert!(
        app.timeline(&official, &id)
            .await
            .iter()
            .any(|e| e["kind"] == "hidden_from_public")
    );
}
