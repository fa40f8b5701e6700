//! Working lists: the officials' inbox and its counts, one's own tickets, and similar public
//! tickets near a point.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use nghedan::clock::Clock;
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{code_of, codes};
use crate::helpers::{TestApp, assert_problem};

/// Ninh Kiều (Cần Thơ), where the demo's `UBND-X31135` works.
const NINH_KIEU: (f64, f64) = (10.0331, 105.777);

/// Submits a feedback about a pothole in Ninh Kiều as `token`; `extra` overrides fields.
async fn submit(app: &TestApp, token: &str, extra: Value) -> String {
    let mut body = json!({
        "kind": "feedback",
        "category": "duong-hong",
        "title": "Ổ gà trước chợ",
        "description": "Một ổ gà sâu giữa làn xe máy.",
        "area_code": "31135",
        "attributes": {"size": "small"},
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    code_of(&app.submit_ok(Some(token), &body).await)
}

/// Every item of a list, following `next_cursor` (`path` has a query already).
async fn all_items(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = match &after {
            Some(c) => format!("{path}&limit=100&after={c}"),
            None => format!("{path}&limit=100"),
        };
        let page = app.get_json(token, &p).await;
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => return out,
        }
    }
}

/// The codes of the inbox under `query` (e.g. `status=open`), in list order.
async fn inbox(app: &TestApp, token: &str, query: &str) -> Vec<String> {
    codes(&all_items(app, token, &format!("/api/v1/inbox?{query}")).await)
}

fn set(codes: &[&String]) -> HashSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

fn as_set(v: Vec<String>) -> HashSet<String> {
    v.into_iter().collect()
}

/// An object's keys, sorted.
fn sorted_keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort_unstable();
    keys
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().to_utc())
}

#[tokio::test]
async fn officials_see_exactly_the_tickets_of_the_units_they_work() {
    let app = TestApp::builder().long_tokens().demo().await;
    let x = app.unit_id("UBND-X31135").await;
    let board = app.unit_id("BTTND-31135").await;
    let citizen = app.citizen().await;
    let (_, off_x) = app.token_for(Role::Official, Some(x)).await;
    let off_y = app.official_of("UBND-X31120").await;
    let (_, off_board) = app.token_for(Role::Official, Some(board)).await;
    let province = app.official_of("UBND-T92").await;

    let a = submit(&app, &citizen, json!({})).await;
    let b = submit(&app, &citizen, json!({"title": "Nắp cống vỡ"})).await;
    let c = submit(&app, &citizen, json!({"area_code": "31120"})).await;

    assert_eq!(as_set(inbox(&app, &off_x, "").await), set(&[&a, &b]));
    assert_eq!(inbox(&app, &off_y, "").await, vec![c.clone()]);
    // Unit Y's ticket does not exist for unit X.
    assert_problem(
        app.get_as(&off_x, &format!("/api/v1/tickets/{c}")).await,
        404,
        "ticket_not_found",
    )
    .await;
    // The province's committee sees its subunits (the demo says so).
    assert_eq!(as_set(inbox(&app, &province, "").await), set(&[&a, &b, &c]));

    // Forwarded down to the commune's inspection board, `b` leaves X's inbox…
    app.act_ok(
        &off_x,
        &b,
        "forward",
        json!({"unit_id": board, "reason": "Ban thanh tra xử lý."}),
    )
    .await;
    assert_eq!(inbox(&app, &off_x, "").await, vec![a.clone()]);
    assert_eq!(inbox(&app, &off_board, "").await, vec![b.clone()]);
    assert_problem(
        app.get_as(&off_x, &format!("/api/v1/tickets/{b}")).await,
        404,
        "ticket_not_found",
    )
    .await;
    // …until X's unit is set to see its subunits.
    let admin = app.admin().await;
    app.sees_subunits(&admin, x, true).await;
    let items = all_items(&app, &off_x, "/api/v1/inbox?sort=age").await;
    assert_eq!(codes(&items), vec![a.clone(), b.clone()]);
    assert_eq!(items[1]["unit_id"], board);
    assert_eq!(items[0]["unit_id"], x);
    assert_eq!(
        app.get_as(&off_x, &format!("/api/v1/tickets/{b}"))
            .await
            .status(),
        200
    );
    // A unit that does not see its subunits still does not see Y's.
    assert_eq!(inbox(&app, &off_y, "").await, vec![c.clone()]);

    // The compact item: what a list needs, never who sent it.
    let item = &items[0];
    assert_eq!(
        sorted_keys(item),
        vec![
            "area_code",
            "assignee_id",
            "category",
            "code",
            "created_at",
            "kind",
            "next_due_at",
            "overdue",
            "priority",
            "status",
            "supporters",
            "title",
            "unit_id",
        ]
    );
    assert_eq!(item["kind"], "feedback");
    assert_eq!(item["status"], "submitted");
    assert_eq!(item["category"], "duong-hong");
    assert_eq!(item["area_code"], "31135");
    assert_eq!(item["created_at"], "2026-11-23T02:00:00Z");
    assert!(time(&item["next_due_at"]).is_some(), "{item}");

    // Only officials have an inbox.
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(x)).await;
    for path in ["/api/v1/inbox", "/api/v1/inbox/summary"] {
        for token in [&citizen, &supervisor, &admin] {
            assert_problem(app.get_as(token, path).await, 403, "action_forbidden").await;
        }
        assert_problem(app.get(path).await, 401, "unauthenticated").await;
    }
}

#[tokio::test]
async fn each_filter_narrows_the_inbox() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let (me, off_x) = app.staff_of(Role::Official, "UBND-X31135").await;
    let (colleague, _) = app.staff_of(Role::Official, "UBND-X31135").await;
    // The province's committee sees every commune of Cần Thơ.
    let off = app.official_of("UBND-T92").await;

    let road = submit(
        &app,
        &citizen,
        json!({"title": "Đường hỏng ở ngõ 5", "description": "Mặt đường bong tróc."}),
    )
    .await;
    // A day apart: each ticket's next deadline (the 7-day progress note) differs.
    app.clock.advance(Duration::days(1));
    let light = submit(
        &app,
        &citizen,
        json!({"category": "den-duong", "title": "Đèn tắt cả tuần", "description": "Tối om.", "attributes": null}),
    )
    .await;
    app.clock.advance(Duration::days(1));
    let water = submit(
        &app,
        &citizen,
        json!({"kind": "petition", "category": "cap-nuoc", "title": "Mất nước", "description": "Ba ngày không có nước.", "area_code": "31120", "attributes": null}),
    )
    .await;
    app.clock.advance(Duration::days(1));
    let accepted = submit(&app, &citizen, json!({})).await;
    app.accept(&off_x, &accepted).await;
    let resolved = submit(&app, &citizen, json!({})).await;
    app.accept(&off_x, &resolved).await;
    app.resolve(&off_x, &resolved, "Đã vá.").await;
    app.act_ok(&off_x, &light, "assign", json!({"user_id": me.id}))
        .await;
    app.act_ok(
        &off_x,
        &accepted,
        "assign",
        json!({"user_id": colleague.id}),
    )
    .await;

    let everything = all_items(&app, &off, "/api/v1/inbox?sort=age").await;
    assert_eq!(
        codes(&everything),
        vec![
            road.clone(),
            light.clone(),
            water.clone(),
            accepted.clone(),
            resolved.clone()
        ]
    );
    // Each filter returns exactly the items that match it, in the same order.
    let check = |query: &'static str, keep: Box<dyn Fn(&Value) -> bool>| {
        let expected: Vec<String> = codes(
            &everything
                .iter()
                .filter(|i| keep(i))
                .cloned()
                .collect::<Vec<_>>(),
        );
        (query, expected)
    };
    let open = ["submitted", "accepted", "awaiting_info", "suspended"];
    let cases = vec![
        check("status=submitted", Box::new(|i| i["status"] == "submitted")),
        check("status=accepted", Box::new(|i| i["status"] == "accepted")),
        check("status=resolved", Box::new(|i| i["status"] == "resolved")),
        check("status=closed", Box::new(|_| false)),
        check(
            "status=open",
            Box::new(move |i| open.contains(&i["status"].as_str().unwrap())),
        ),
        check("kind=petition", Box::new(|i| i["kind"] == "petition")),
        check("kind=complaint", Box::new(|_| false)),
        check(
            "category=giao-thong",
            Box::new(|i| i["category"] == "duong-hong" || i["category"] == "den-duong"),
        ),
        check(
            "category=den-duong",
            Box::new(|i| i["category"] == "den-duong"),
        ),
        check(
            "category=ha-tang",
            Box::new(|i| i["category"] == "cap-nuoc"),
        ),
        check("area=31120", Box::new(|i| i["area_code"] == "31120")),
        check("area=31135", Box::new(|i| i["area_code"] == "31135")),
        check("area=92", Box::new(|_| true)),
        check("area=91", Box::new(|_| false)),
        check("assignee=none", Box::new(|i| i["assignee_id"].is_null())),
        check("overdue=false", Box::new(|_| true)),
        check("overdue=true", Box::new(|_| false)),
        check(
            "status=open&kind=feedback&area=31135",
            Box::new(move |i| {
                open.contains(&i["status"].as_str().unwrap())
                    && i["kind"] == "feedback"
                    && i["area_code"] == "31135"
            }),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(
            inbox(&app, &off, &format!("{query}&sort=age")).await,
            expected,
            "{query}"
        );
    }
    assert_eq!(
        inbox(&app, &off, &format!("assignee={}", me.id)).await,
        vec![light.clone()]
    );
    assert_eq!(
        inbox(&app, &off, &format!("assignee={}", colleague.id)).await,
        vec![accepted.clone()]
    );
    assert_eq!(
        inbox(&app, &off_x, "assignee=me").await,
        vec![light.clone()]
    );
    assert!(inbox(&app, &off, "assignee=me").await.is_empty());

    // Full text ignores diacritics and case, in the title and the description.
    for q in [
        "duong%20hong",
        "%C4%90%C6%AF%E1%BB%9CNG%20H%E1%BB%8ENG",
        "NGO%205",
        "bong%20troc",
    ] {
        assert_eq!(
            inbox(&app, &off, &format!("q={q}")).await,
            vec![road.clone()],
            "{q}"
        );
    }
    assert_eq!(
        as_set(inbox(&app, &off, "q=o%20ga").await),
        set(&[&accepted, &resolved])
    );
    assert!(inbox(&app, &off, "q=100%25").await.is_empty());

    // Deadlines: strictly before `due_before`; no running clock never matches.
    let dated: Vec<&Value> = everything
        .iter()
        .filter(|i| !i["next_due_at"].is_null())
        .collect();
    assert_eq!(dated.len(), 4, "the resolved ticket runs no clock");
    let soonest = dated
        .iter()
        .filter_map(|i| time(&i["next_due_at"]))
        .min()
        .unwrap();
    let latest = dated
        .iter()
        .filter_map(|i| time(&i["next_due_at"]))
        .max()
        .unwrap();
    assert!(soonest < latest);
    for cut in [
        soonest,
        soonest + Duration::seconds(1),
        latest + Duration::seconds(1),
    ] {
        let expected: Vec<String> = codes(
            &everything
                .iter()
                .filter(|i| time(&i["next_due_at"]).is_some_and(|d| d < cut))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let raw = cut.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
        assert_eq!(
            inbox(&app, &off, &format!("due_before={raw}&sort=age")).await,
            expected,
            "{raw}"
        );
    }
    // The same moment with an offset.
    let local = (soonest + Duration::seconds(1))
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).unwrap())
        .to_rfc3339();
    assert_eq!(
        inbox(
            &app,
            &off,
            &format!("due_before={}", local.replace('+', "%2B"))
        )
        .await
        .len(),
        everything
            .iter()
            .filter(|i| time(&i["next_due_at"]) == Some(soonest))
            .count()
    );

    // Sorts: soonest due first with undated last; oldest; newest.
    let due = all_items(&app, &off, "/api/v1/inbox?").await;
    let dues: Vec<Option<DateTime<Utc>>> = due.iter().map(|i| time(&i["next_due_at"])).collect();
    let mut sorted = dues.clone();
    sorted.sort_by_key(|d| (d.is_none(), *d));
    assert_eq!(dues, sorted);
    assert_eq!(codes(&due).last(), Some(&resolved));
    let mut newest = codes(&everything);
    newest.reverse();
    assert_eq!(inbox(&app, &off, "sort=newest").await, newest);

    // A missed deadline: a month on, the next change of `road` marks it overdue.
    app.clock.advance(Duration::days(30));
    app.act_ok(&off_x, &road, "assign", json!({"user_id": me.id}))
        .await;
    assert_eq!(inbox(&app, &off, "overdue=true").await, vec![road.clone()]);
    // The latest change first: `road` was just assigned.
    assert_eq!(
        inbox(&app, &off, "sort=activity").await.first(),
        Some(&road)
    );
    assert!(!inbox(&app, &off, "overdue=false").await.contains(&road));

    // Bad filters are 422 with the parameter's pointer.
    for (query, field) in [
        ("status=lost", "/status"),
        ("kind=rumour", "/kind"),
        ("category=no-such", "/category"),
        ("area=99999", "/area"),
        ("assignee=someone", "/assignee"),
        ("overdue=maybe", "/overdue"),
        ("due_before=2026-12-01T00:00:00", "/due_before"),
        ("due_before=tomorrow", "/due_before"),
        ("sort=random", "/sort"),
        ("colour=red", "/colour"),
    ] {
        let body = assert_problem(
            app.get_as(&off, &format!("/api/v1/inbox?{query}")).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    let long = "a".repeat(201);
    let body = assert_problem(
        app.get_as(&off, &format!("/api/v1/inbox?q={long}")).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["code"], "too_long");
    let ok_len = "a".repeat(200);
    assert!(inbox(&app, &off, &format!("q={ok_len}")).await.is_empty());
}

#[tokio::test]
async fn paging_returns_every_ticket_once_while_new_ones_arrive() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let off = app.official_of("UBND-X31135").await;

    let mut at_start = Vec::new();
    for i in 0..25 {
        let code = submit(&app, &citizen, json!({"title": format!("Ổ gà số {i}")})).await;
        // A few accepted and a few answered (no deadline); with the clock moving 7 hours
        // between submissions, the `due` order has ties, different days and undated tickets.
        if i % 8 == 3 {
            app.accept(&off, &code).await;
            app.resolve(&off, &code, "Xong.").await;
        } else if i % 5 == 1 {
            app.accept(&off, &code).await;
        }
        at_start.push(code);
        // Different submission times: different deadlines.
        app.clock.advance(Duration::hours(7));
    }

    for sort in ["due", "age", "newest", "activity"] {
        let mut seen: Vec<String> = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let path = match &after {
                Some(c) => format!("/api/v1/inbox?sort={sort}&limit=7&after={c}"),
                None => format!("/api/v1/inbox?sort={sort}&limit=7"),
            };
            let page = app.get_json(&off, &path).await;
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 7);
            seen.extend(codes(items));
            pages += 1;
            // Someone submits while the official reads.
            submit(
                &app,
                &citizen,
                json!({"title": format!("Mới {sort} {pages}")}),
            )
            .await;
            match page["next_cursor"].as_str() {
                Some(c) => after = Some(c.to_string()),
                None => break,
            }
        }
        assert!(pages >= 4, "{sort}: {pages} pages");
        let mut counts: HashMap<&String, usize> = HashMap::new();
        for c in &seen {
            *counts.entry(c).or_default() += 1;
        }
        assert!(counts.values().all(|n| *n == 1), "{sort}: a ticket twice");
        for code in &at_start {
            assert_eq!(counts.get(code), Some(&1), "{sort}: {code}");
        }
    }

    // The order `due` promises, over the whole list.
    let all = all_items(&app, &off, "/api/v1/inbox?sort=due").await;
    let dues: Vec<Option<DateTime<Utc>>> = all.iter().map(|i| time(&i["next_due_at"])).collect();
    let mut sorted = dues.clone();
    sorted.sort_by_key(|d| (d.is_none(), *d));
    assert_eq!(dues, sorted);
    assert!(dues.iter().any(Option::is_none) && dues.iter().any(Option::is_some));

    for query in [
        "limit=0",
        "limit=101",
        "limit=x",
        "after=garbage!",
        "after=e30",
    ] {
        assert_problem(
            app.get_as(&off, &format!("/api/v1/inbox?{query}")).await,
            422,
            "validation_failed",
        )
        .await;
    }
    // A cursor belongs to its sort.
    let page = app.get_json(&off, "/api/v1/inbox?sort=due&limit=2").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let body = assert_problem(
        app.get_as(&off, &format!("/api/v1/inbox?sort=newest&after={cursor}"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "/after");
    assert_eq!(body["errors"][0]["code"], "invalid_cursor");
}

#[tokio::test]
async fn the_summary_counts_what_the_inbox_lists() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let (me, off) = app.staff_of(Role::Official, "UBND-X31135").await;
    let off_y = app.official_of("UBND-X31120").await;

    let empty = app.get_json(&off, "/api/v1/inbox/summary").await;
    assert_eq!(
        empty,
        json!({
            "by_status": {"submitted": 0, "accepted": 0, "awaiting_info": 0, "suspended": 0,
                          "resolved": 0, "closed": 0, "refused": 0, "withdrawn": 0},
            "open": 0, "overdue": 0, "unassigned_open": 0, "due_within_24h": 0
        })
    );

    let waiting = submit(&app, &citizen, json!({})).await;
    let working = submit(&app, &citizen, json!({})).await;
    app.accept(&off, &working).await;
    app.act_ok(&off, &working, "assign", json!({"user_id": me.id}))
        .await;
    let asking = submit(&app, &citizen, json!({})).await;
    app.request_info(&off, &asking, "Số nhà?").await;
    let answered = submit(&app, &citizen, json!({})).await;
    app.accept(&off, &answered).await;
    app.resolve(&off, &answered, "Đã vá.").await;
    let refused = submit(&app, &citizen, json!({})).await;
    app.act_ok(
        &off,
        &refused,
        "refuse",
        json!({"reason": "Không thuộc thẩm quyền."}),
    )
    .await;
    // Another unit's ticket counts for that unit only.
    submit(&app, &citizen, json!({"area_code": "31120"})).await;

    // What the summary should say, worked out from the list and the clock.
    let expected = |items: &[Value], now: DateTime<Utc>| {
        let open = ["submitted", "accepted", "awaiting_info", "suspended"];
        let is_open = |i: &&Value| open.contains(&i["status"].as_str().unwrap());
        let mut by_status = json!({"submitted": 0, "accepted": 0, "awaiting_info": 0, "suspended": 0,
            "resolved": 0, "closed": 0, "refused": 0, "withdrawn": 0});
        for i in items {
            let s = i["status"].as_str().unwrap();
            by_status[s] = json!(by_status[s].as_i64().unwrap() + 1);
        }
        json!({
            "by_status": by_status,
            "open": items.iter().filter(is_open).count(),
            "overdue": items.iter().filter(is_open).filter(|i| i["overdue"] == true).count(),
            "unassigned_open": items.iter().filter(is_open).filter(|i| i["assignee_id"].is_null()).count(),
            "due_within_24h": items.iter().filter(is_open)
                .filter_map(|i| time(&i["next_due_at"]))
                .filter(|d| *d >= now && *d < now + Duration::hours(24)).count(),
        })
    };

    let items = all_items(&app, &off, "/api/v1/inbox?").await;
    let summary = app.get_json(&off, "/api/v1/inbox/summary").await;
    assert_eq!(summary, expected(&items, app.clock.now()));
    assert_eq!(summary["by_status"]["submitted"], 1, "{summary}");
    assert_eq!(summary["by_status"]["accepted"], 1);
    assert_eq!(summary["by_status"]["awaiting_info"], 1);
    assert_eq!(summary["by_status"]["resolved"], 1);
    assert_eq!(summary["by_status"]["refused"], 1);
    assert_eq!(summary["open"], 3);
    assert_eq!(summary["unassigned_open"], 2);
    assert_eq!(summary["overdue"], 0);
    let y = app.get_json(&off_y, "/api/v1/inbox/summary").await;
    assert_eq!(y["open"], 1);
    assert_eq!(y["by_status"]["submitted"], 1);

    // Step through time: deadlines come within a day, then pass.
    let mut saw_due_soon = false;
    for _ in 0..40 {
        app.clock.advance(Duration::hours(12));
        // An action refreshes the ticket's deadline state, as the sweep would.
        app.act_ok(&off, &waiting, "assign", json!({"user_id": me.id}))
            .await;
        app.act_ok(&off, &waiting, "assign", json!({"user_id": null}))
            .await;
        let items = all_items(&app, &off, "/api/v1/inbox?").await;
        let summary = app.get_json(&off, "/api/v1/inbox/summary").await;
        assert_eq!(summary, expected(&items, app.clock.now()));
        saw_due_soon |= summary["due_within_24h"].as_i64().unwrap() > 0;
        if summary["overdue"].as_i64().unwrap() > 0 {
            assert!(saw_due_soon, "a deadline came within 24 h before it passed");
            assert_eq!(inbox(&app, &off, "overdue=true").await, vec![waiting]);
            return;
        }
    }
    panic!("the acceptance deadline never passed");
}

#[tokio::test]
async fn my_tickets_are_mine_only() {
    let app = TestApp::builder().long_tokens().demo().await;
    let x = app.unit_id("UBND-X31135").await;
    let lan = app.citizen().await;
    let minh = app.citizen().await;
    let (_, off) = app.token_for(Role::Official, Some(x)).await;

    let first = submit(&app, &lan, json!({})).await;
    let theirs = submit(&app, &minh, json!({})).await;
    let second = submit(&app, &lan, json!({"area_code": "31120"})).await;
    let third = submit(&app, &lan, json!({})).await;
    app.accept(&off, &third).await;

    let page = app.get_json(&lan, "/api/v1/me/tickets?limit=2").await;
    assert_eq!(
        codes(page["items"].as_array().unwrap()),
        vec![third.clone(), second.clone()]
    );
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = app
        .get_json(&lan, &format!("/api/v1/me/tickets?limit=2&after={cursor}"))
        .await;
    assert_eq!(
        codes(rest["items"].as_array().unwrap()),
        vec![first.clone()]
    );
    assert!(rest["next_cursor"].is_null());

    let item = &page["items"][0];
    assert_eq!(item["status"], "accepted");
    assert_eq!(item["unit"]["id"], x);
    assert_eq!(item["unit"]["code"], "UBND-X31135");
    assert_eq!(item["unit"]["name"], "Ủy ban nhân dân Phường Ninh Kiều");
    assert_eq!(page["items"][1]["unit"]["code"], "UBND-X31120");
    for key in ["submitter", "submitter_id", "description", "lat"] {
        assert!(item.get(key).is_none(), "{key} in {item}");
    }
    let en = app
        .authed(Method::GET, "/api/v1/me/tickets", &lan)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        en["items"][0]["unit"]["name"],
        "People's Committee of Ninh Kieu Ward"
    );

    assert_eq!(
        codes(&all_items(&app, &lan, "/api/v1/me/tickets?status=submitted").await),
        vec![second.clone(), first.clone()]
    );
    assert_eq!(
        codes(&all_items(&app, &lan, "/api/v1/me/tickets?status=accepted").await),
        vec![third.clone()]
    );
    assert_eq!(
        codes(&all_items(&app, &minh, "/api/v1/me/tickets?status=open").await),
        vec![theirs]
    );
    // An official submitted nothing.
    assert!(
        all_items(&app, &off, "/api/v1/me/tickets?")
            .await
            .is_empty()
    );

    assert_problem(app.get("/api/v1/me/tickets").await, 401, "unauthenticated").await;
    for query in ["limit=0", "after=nonsense!", "status=lost", "sort=due"] {
        assert_problem(
            app.get_as(&lan, &format!("/api/v1/me/tickets?{query}"))
                .await,
            422,
            "validation_failed",
        )
        .await;
    }
}

#[tokio::test]
async fn similar_tickets_are_open_public_nearby_and_recent() {
    let app = TestApp::builder().long_tokens().demo().await;
    let citizen = app.citizen().await;
    let off = app.official_of("UBND-X31135").await;
    let (lat, lon) = NINH_KIEU;
    let at = |dlat: f64, dlon: f64| json!({"lat": lat + dlat, "lon": lon + dlon});
    let with = |place: Value, extra: Value| {
        let mut v = place;
        for (k, val) in extra.as_object().unwrap() {
            v[k] = val.clone();
        }
        v
    };

    // Reported 31 days ago: too old.
    let old = submit(&app, &citizen, at(0.0002, 0.0)).await;
    app.accept(&off, &old).await;
    app.clock.advance(Duration::days(31));

    // About 55 m north: accepted feedback is public.
    let near = submit(&app, &citizen, at(0.0005, 0.0)).await;
    app.accept(&off, &near).await;
    // About 165 m east.
    let nearish = submit(&app, &citizen, at(0.0, 0.0015)).await;
    app.accept(&off, &nearish).await;
    // About 770 m away.
    let far = submit(&app, &citizen, at(0.007, 0.0)).await;
    app.accept(&off, &far).await;
    // Close, but kept private by its sender.
    let private = submit(
        &app,
        &citizen,
        with(at(0.0001, 0.0), json!({"private": true})),
    )
    .await;
    app.accept(&off, &private).await;
    // Close, but not yet accepted: not public.
    submit(&app, &citizen, at(-0.0001, 0.0)).await;
    // Close and public, but answered: no longer open.
    let done = submit(&app, &citizen, at(0.0, -0.0001)).await;
    app.accept(&off, &done).await;
    app.act_ok(
        &off,
        &done,
        "resolve",
        json!({"answer": "Đã vá.", "publish": true}),
    )
    .await;
    // Close and public, another category of the same parent.
    let light = submit(
        &app,
        &citizen,
        with(
            at(0.0003, 0.0),
            json!({"category": "den-duong", "title": "Đèn tắt", "attributes": null}),
        ),
    )
    .await;
    app.accept(&off, &light).await;
    // No location at all.
    let nowhere = submit(&app, &citizen, json!({})).await;
    app.accept(&off, &nowhere).await;

    let path = format!("/api/v1/tickets/similar?category=duong-hong&lat={lat}&lon={lon}");
    let found = app.public_json(&path).await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(codes(items), vec![near.clone(), nearish.clone()], "{found}");
    assert!(found["next_cursor"].is_null());
    let first = &items[0];
    assert_eq!(
        sorted_keys(first),
        vec![
            "code",
            "created_at",
            "distance_m",
            "lat",
            "lon",
            "status",
            "supporters",
            "title"
        ]
    );
    assert_eq!(first["status"], "accepted");
    assert_eq!(first["title"], "Ổ gà trước chợ");
    // Rounded to 0.001°, as every public view shows a location.
    assert_eq!(first["lat"], 10.034);
    assert_eq!(first["lon"], 105.777);
    let d = first["distance_m"].as_u64().unwrap();
    assert!((50..=150).contains(&d), "{d}");
    assert!(items[1]["distance_m"].as_u64().unwrap() >= d);

    // The parent category takes in its subcategories.
    let parent = app
        .public_json(&format!(
            "/api/v1/tickets/similar?category=giao-thong&lat={lat}&lon={lon}"
        ))
        .await;
    assert_eq!(
        as_set(codes(parent["items"].as_array().unwrap())),
        set(&[&near, &nearish, &light])
    );
    // Far from everything: nothing.
    let empty = app
        .public_json("/api/v1/tickets/similar?category=duong-hong&lat=21.0285&lon=105.8542")
        .await;
    assert_eq!(empty["items"], json!([]));

    for (query, field) in [
        ("category=duong-hong&lat=91&lon=105.7", "/lat"),
        ("category=duong-hong&lat=10&lon=181", "/lon"),
        ("category=duong-hong&lat=NaN&lon=105.7", "/lat"),
        ("category=duong-hong&lat=abc&lon=105.7", "/lat"),
        ("category=duong-hong&lat=10", "/lon"),
        ("lat=10&lon=105.7", "/category"),
        ("category=no-such&lat=10&lon=105.7", "/category"),
        (
            "category=duong-hong&lat=10&lon=105.7&radius=5000",
            "/radius",
        ),
    ] {
        let body = assert_problem(
            app.get(&format!("/api/v1/tickets/similar?{query}")).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
}

#[tokio::test]
async fn the_working_lists_are_documented() {
    let app = TestApp::spawn().await;
    let doc = app.public_json("/api/v1/openapi.json").await;
    for (path, params) in [
        (
            "/api/v1/inbox",
            vec![
                "status",
                "kind",
                "channel",
                "category",
                "area",
                "assignee",
                "overdue",
                "due_before",
                "q",
                "sort",
                "after",
                "limit",
            ],
        ),
        ("/api/v1/inbox/summary", vec![]),
        (
            "/api/v1/me/tickets",
            vec!["status", "after", "limit", "updated_since", "sync_token"],
        ),
        ("/api/v1/tickets/similar", vec!["category", "lat", "lon"]),
    ] {
        let op = &doc["paths"][path]["get"];
        assert_eq!(op["tags"][0], "inbox", "{path}");
        let names: Vec<&str> = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().map(|p| p["name"].as_str().unwrap()).collect())
            .unwrap_or_default();
        assert_eq!(names, params, "{path}");
    }
    for schema in [
        "InboxItem",
        "InboxSummary",
        "StatusCounts",
        "MyTicket",
        "MyTickets",
        "SimilarTicket",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}
