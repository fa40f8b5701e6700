//! "Dân bàn": consultations — once-only answers changeable until the close, residents only,
//! comments signed for the unit alone, supported and hidden with a reason, results per
//! `results_visibility` with the free text for the unit, the CSV, the close that owes a
//! synthesis (a follow-up), the synthesis that tells the participants, the supervisors' view.

use chrono::Duration;
use diesel::prelude::*;
use nghedan::db::schema::{notifications, users};
use nghedan::domain::account::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_problem};

fn consultation(app: &TestApp, visibility: &str, days: i64) -> Value {
    json!({
        "title": "Lấy ý kiến phương án bồi thường, tái định cư đường Nguyễn Văn Cừ",
        "summary": "Dự thảo phương án bồi thường cho 42 hộ.",
        "body": "Toàn văn dự thảo phương án.",
        "area_codes": ["31135"],
        "closes_at": (app.clock_now_naive() + Duration::days(days)).and_utc(),
        "results_visibility": visibility,
        "questions": [
            {"code": "agree", "text": "Bạn đồng ý với phương án?", "type": "single", "options": ["yes", "no"], "required": true},
            {"code": "works", "text": "Hạng mục ưu tiên", "type": "multiple", "options": ["road", "drain", "light"]},
            {"code": "fair", "text": "Mức bồi thường hợp lý?", "type": "scale"},
            {"code": "idea", "text": "Ý kiến khác", "type": "text"}
        ]
    })
}

impl TestApp {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut r = self.authed(method, path, token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send().await.unwrap()
    }

    async fn open_consultation(&self, official: &str, body: &Value) -> i64 {
        let r = self
            .call(
                Method::POST,
                "/api/v1/consultations",
                official,
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    /// A verified citizen following `areas`.
    async fn resident(&self, areas: &[&str]) -> (TestUser, String) {
        let (user, token) = self.token_for(Role::Citizen, None).await;
        let r = self
            .call(
                Method::PUT,
                "/api/v1/me/areas",
                &token,
                Some(json!({"area_codes": areas})),
            )
            .await;
        assert_eq!(r.status(), 200);
        (user, token)
    }

    async fn answer(&self, token: &str, id: i64, answers: Value) -> reqwest::Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/consultations/{id}/response"),
            token,
            Some(json!({"answers": answers})),
        )
        .await
    }
}

#[tokio::test]
async fn residents_answer_once_and_may_change_it_until_the_close() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let id = app
        .open_consultation(&official, &consultation(&app, "after_close", 7))
        .await;
    let (_, resident) = app.resident(&["31135"]).await;

    let r = app
        .answer(&resident, id, json!({"agree": "yes", "fair": 4}))
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .answer(
            &resident,
            id,
            json!({"agree": "no", "works": ["road"], "idea": "Thêm cây xanh"}),
        )
        .await;
    assert_eq!(r.status(), 200, "a change, not a second response");
    let mine = app
        .get_json(&resident, &format!("/api/v1/consultations/{id}/response"))
        .await;
    assert_eq!(
        mine["answers"],
        json!({"agree": "no", "works": ["road"], "idea": "Thêm cây xanh"})
    );
    let c = app
        .public_json(&format!("/api/v1/consultations/{id}"))
        .await;
    assert_eq!(
        (c["participants"].as_i64(), c["status"].as_str()),
        (Some(1), Some("open"))
    );

    // Answers must fit the questions.
    let r = app
        .answer(
            &resident,
            id,
            json!({"works": ["roof"], "fair": 9, "other": 1}),
        )
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for f in [
        "/answers/agree",
        "/answers/works",
        "/answers/fair",
        "/answers/other",
    ] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Only verified residents of its areas; never staff.
    let (_, outsider) = app.resident(&["01"]).await;
    assert_problem(
        app.answer(&outsider, id, json!({"agree": "yes"})).await,
        403,
        "not_a_resident",
    )
    .await;
    let (unverified_user, unverified) = app.resident(&["31135"]).await;
    let uid = unverified_user.id;
    app.state
        .db(move |c| -> Result<_, nghedan::error::AppError> {
            diesel::update(users::table.find(uid))
                .set(users::verified.eq(false))
                .execute(c)?;
            Ok(())
        })
        .await
        .unwrap();
    // Account states are cached for a moment: forget it, as a change through the API does.
    app.state.auth.forget(uid);
    assert_problem(
        app.answer(&unverified, id, json!({"agree": "yes"})).await,
        403,
        "verification_required",
    )
    .await;
    assert_problem(
        app.answer(&official, id, json!({"agree": "yes"})).await,
        403,
        "action_forbidden",
    )
    .await;
    // A province's follower answers a province-wide consultation, not a commune's.
    let (_, province_follower) = app.resident(&["92"]).await;
    assert_problem(
        app.answer(&province_follower, id, json!({"agree": "yes"}))
            .await,
        403,
        "not_a_resident",
    )
    .await;
    let province = app.official_of("UBND-T92").await;
    let mut wide = consultation(&app, "live", 7);
    wide["area_codes"] = json!(["92"]);
    let wide_id = app.open_consultation(&province, &wide).await;
    assert_eq!(
        app.answer(&province_follower, wide_id, json!({"agree": "yes"}))
            .await
            .status(),
        201
    );
    assert_eq!(
        app.answer(&resident, wide_id, json!({"agree": "yes"}))
            .await
            .status(),
        201
    );

    // Not before it opens, not after it closes.
    let mut later = consultation(&app, "live", 9);
    later["opens_at"] = json!((app.clock_now_naive() + Duration::days(2)).and_utc());
    let later_id = app.open_consultation(&official, &later).await;
    assert_problem(
        app.answer(&resident, later_id, json!({"agree": "yes"}))
            .await,
        409,
        "consultation_not_open",
    )
    .await;
    app.clock.advance(Duration::days(7) + Duration::seconds(1));
    assert_problem(
        app.answer(&resident, id, json!({"agree": "yes"})).await,
        409,
        "consultation_closed",
    )
    .await;
    let mine = app
        .get_json(&resident, &format!("/api/v1/consultations/{id}/response"))
        .await;
    assert_eq!(
        mine["answers"]["agree"], "no",
        "unchanged by the refused change"
    );
    assert_problem(
        app.get_as(&outsider, &format!("/api/v1/consultations/{id}/response"))
            .await,
        404,
        "response_not_found",
    )
    .await;

    // Opening is checked too.
    let mut bad = consultation(&app, "sometimes", 7);
    bad["area_codes"] = json!(["01"]);
    bad["questions"][0]["options"] = json!(["only"]);
    let r = app
        .call(Method::POST, "/api/v1/consultations", &official, Some(bad))
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"/results_visibility") && fields.contains(&"/questions/0/options"),
        "{fields:?}"
    );
    let r = app
        .call(
            Method::POST,
            "/api/v1/consultations",
            &official,
            Some({
                let mut c = consultation(&app, "live", 7);
                c["area_codes"] = json!(["01"]);
                c
            }),
        )
        .await;
    assert_problem(r, 422, "area_outside_unit").await;
}

#[tokio::test]
async fn results_follow_their_visibility_and_the_free_text_stays_with_the_unit() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let id = app
        .open_consultation(&official, &consultation(&app, "after_close", 7))
        .await;
    let live = app
        .open_consultation(&official, &consultation(&app, "live", 7))
        .await;
    let answers = [
        json!({"agree": "yes", "works": ["road", "light"], "fair": 5, "idea": "Làm đường trước"}),
        json!({"agree": "yes", "fair": 2}),
        json!({"agree": "no", "works": ["road"], "idea": "Đền bù chưa thoả đáng"}),
    ];
    for a in &answers {
        let (_, r) = app.resident(&["31135"]).await;
        assert_eq!(app.answer(&r, id, a.clone()).await.status(), 201);
        assert_eq!(app.answer(&r, live, a.clone()).await.status(), 201);
    }
    let path = format!("/api/v1/consultations/{id}/results");
    assert_problem(app.get(&path).await, 403, "results_not_public").await;
    let citizen = app.citizen().await;
    assert_problem(app.get_as(&citizen, &path).await, 403, "results_not_public").await;

    for token in [&official, &supervisor] {
        let r = app.get_json(token, &path).await;
        assert_eq!(r["participants"], 3);
        assert_eq!(r["by_area"], json!({"31135": 3}));
        assert_eq!(r["questions"][0]["counts"], json!([["yes", 2], ["no", 1]]));
        assert_eq!(
            r["questions"][1]["counts"],
            json!([["road", 2], ["drain", 0], ["light", 1]])
        );
        assert_eq!(r["questions"][2]["mean"], 3.5);
        assert_eq!(r["questions"][2]["distribution"], json!([0, 1, 0, 0, 1]));
        assert_eq!(
            r["text_answers"]["idea"],
            json!(["Làm đường trước", "Đền bù chưa thoả đáng"])
        );
    }
    // Live results are public at once, without the words of the free text.
    let public = app
        .public_json(&format!("/api/v1/consultations/{live}/results"))
        .await;
    assert_eq!(public["participants"], 3);
    assert_eq!(public["questions"][3]["answered"], 2);
    assert!(public.get("text_answers").is_none(), "{public}");
    // After the close, everyone.
    app.clock.advance(Duration::days(8));
    let public = app.public_json(&path).await;
    assert_eq!(
        public["questions"][0]["counts"],
        json!([["yes", 2], ["no", 1]])
    );
    assert!(public.get("text_answers").is_none());

    // The CSV for the unit: a byte-order mark, a row a participant, nobody named.
    let csv_path = format!("/api/v1/consultations/{id}/results.csv");
    let r = app.get_as(&official, &csv_path).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'));
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "participant,area_code,answered_at,agree,works,fair,idea"
    );
    assert_eq!(lines.len(), 4);
    assert!(lines[1].starts_with("1,31135,"));
    assert!(!text.contains("@example.vn") && !text.contains("Kiểm Thử"));
    assert_problem(
        app.get_as(&citizen, &csv_path).await,
        403,
        "action_forbidden",
    )
    .await;
    let stranger = app.official_of("UBND-T91").await;
    assert_problem(
        app.get_as(&stranger, &csv_path).await,
        403,
        "action_forbidden",
    )
    .await;
}

#[tokio::test]
async fn comments_are_signed_for_the_unit_only_supported_once_and_hidden_with_a_reason() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let id = app
        .open_consultation(&official, &consultation(&app, "live", 7))
        .await;
    let (_, author) = app.resident(&["31135"]).await;
    let (_, neighbour) = app.resident(&["31135"]).await;
    let path = format!("/api/v1/consultations/{id}/comments");

    let long = "ý".repeat(5_001);
    let r = app
        .call(Method::POST, &path, &author, Some(json!({"body": long})))
        .await;
    let body = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["code"], "too_long");
    let r = app
        .call(
            Method::POST,
            &path,
            &author,
            Some(json!({"body": "Đề nghị giữ lại hàng cây.", "signed": true})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let signed = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .call(
            Method::POST,
            &path,
            &neighbour,
            Some(json!({"body": "Nội dung không phù hợp."})),
        )
        .await;
    let unsigned = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (_, outsider) = app.resident(&["01"]).await;
    let r = app
        .call(Method::POST, &path, &outsider, Some(json!({"body": "x"})))
        .await;
    assert_problem(r, 403, "not_a_resident").await;

    // The public never sees a name; the unit sees the signed one's.
    let public = app.public_json(&path).await;
    let items = public["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items.iter().all(|c| c["author_name"].is_null()));
    assert!(!public.to_string().contains("Kiểm Thử"));
    let unit = app.get_json(&official, &path).await;
    assert_eq!(unit["items"][0]["author_name"], "Nguyễn Thị Kiểm Thử");
    assert!(unit["items"][1]["author_name"].is_null());

    let app = &app;
    let support = |who: &str, comment: i64| {
        let (who, to) = (who.to_string(), format!("{path}/{comment}/support"));
        async move { app.call(Method::POST, &to, &who, None).await }
    };
    let r = support(&neighbour, signed).await;
    assert_eq!(r.json::<Value>().await.unwrap()["supporters"], 1);
    let r = support(&neighbour, signed).await;
    assert_eq!(r.json::<Value>().await.unwrap()["supporters"], 1, "once");
    assert_problem(support(&author, signed).await, 409, "own_comment").await;
    assert_problem(support(&author, 999_999).await, 404, "comment_not_found").await;

    let hide = |who: &str, comment: i64, reason: &str| {
        let (who, to) = (who.to_string(), format!("{path}/{comment}/hide"));
        let body = json!({"reason": reason});
        async move { app.call(Method::POST, &to, &who, Some(body)).await }
    };
    let other_unit = app.official_of("UBND-T92").await;
    assert_problem(
        hide(&other_unit, unsigned, "Không.").await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        hide(&author, unsigned, "Không.").await,
        403,
        "action_forbidden",
    )
    .await;
    assert_problem(
        hide(&official, unsigned, " ").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        hide(&official, unsigned, "Lời lẽ xúc phạm.").await.status(),
        204
    );
    assert_problem(
        hide(&official, unsigned, "Lại.").await,
        409,
        "invalid_transition",
    )
    .await;
    let public = app.public_json(&path).await;
    let hidden = &public["items"][1];
    assert_eq!(hidden["hidden"], true);
    assert!(hidden["body"].is_null());
    assert_eq!(hidden["hidden_reason"], "Lời lẽ xúc phạm.");
    assert_problem(support(&author, unsigned).await, 409, "invalid_transition").await;

    let admin = app.admin().await;
    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?limit=100")
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == format!("consultation:{id}"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["consultation.open", "consultation.hide_comment"]);

    // Closed: no more comments.
    app.clock.advance(Duration::days(8));
    let r = app
        .call(Method::POST, &path, &author, Some(json!({"body": "Muộn."})))
        .await;
    assert_problem(r, 409, "consultation_closed").await;
}

#[tokio::test]
async fn the_close_owes_a_synthesis_that_tells_the_participants_and_supervisors_see_if_it_was_on_time()
 {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let supervisor = app.supervisor_of("UBND-T92").await;
    let id = app
        .open_consultation(&official, &consultation(&app, "after_close", 7))
        .await;
    let late = app
        .open_consultation(&official, &consultation(&app, "after_close", 7))
        .await;
    let mut participants = Vec::new();
    for _ in 0..2 {
        let (user, token) = app.resident(&["31135"]).await;
        assert_eq!(
            app.answer(&token, id, json!({"agree": "yes"}))
                .await
                .status(),
            201
        );
        participants.push(user.id);
    }
    let synthesis = json!({
        "items": [
            {"about": "agree", "taken_up": true, "explanation": "Đa số đồng ý; giữ phương án."},
            {"about": "Ý kiến về hàng cây", "taken_up": false, "explanation": "Hàng cây nằm trong chỉ giới; trồng bù ở công viên."}
        ],
        "decision": "Quyết định số 123/QĐ-UBND phê duyệt phương án."
    });
    let synth_path = format!("/api/v1/consultations/{id}/synthesis");
    let r = app
        .call(
            Method::POST,
            &synth_path,
            &official,
            Some(synthesis.clone()),
        )
        .await;
    assert_problem(r, 409, "consultation_open").await;

    // The jobs record the close: audited, and the synthesis is owed within 15 working days.
    app.clock.advance(Duration::days(7) + Duration::minutes(1));
    let pass = app.run_jobs().await;
    assert_eq!(pass.consultations_closed, 2);
    assert_eq!(app.run_jobs().await.consultations_closed, 0, "once");
    let owed = app
        .get_json(
            &official,
            "/api/v1/follow-ups?subject=consultation_synthesis",
        )
        .await;
    let owed = owed["items"].as_array().unwrap();
    assert_eq!(owed.len(), 2);
    let first = owed.iter().find(|f| f["subject_id"] == id).unwrap();
    // Closed Monday 30/11 09:01 local: 15 working days later is Monday 21/12, end of day.
    assert_eq!(first["due_at"], "2026-12-21T16:59:59Z");

    let r = app
        .call(
            Method::POST,
            &synth_path,
            &supervisor,
            Some(synthesis.clone()),
        )
        .await;
    assert_problem(r, 403, "action_forbidden").await;
    let r = app
        .call(
            Method::POST,
            &synth_path,
            &official,
            Some(json!({"items": [], "decision": ""})),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .call(
            Method::POST,
            &synth_path,
            &official,
            Some(synthesis.clone()),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let c = app
        .public_json(&format!("/api/v1/consultations/{id}"))
        .await;
    assert_eq!(c["synthesis"][1]["taken_up"], false);
    assert_eq!(
        c["decision"],
        "Quyết định số 123/QĐ-UBND phê duyệt phương án."
    );
    let r = app
        .call(
            Method::POST,
            &synth_path,
            &official,
            Some(synthesis.clone()),
        )
        .await;
    assert_problem(r, 409, "synthesis_published").await;

    // Each participant is told, once.
    let key = format!("consultation:{id}:synthesis:consultation_synthesis");
    let told: Vec<i64> = app
        .state
        .db(move |c| -> Result<_, nghedan::error::AppError> {
            Ok(notifications::table
                .filter(notifications::dedup_key.eq(key))
                .order(notifications::user_id.asc())
                .select(notifications::user_id)
                .load::<i64>(c)?)
        })
        .await
        .unwrap();
    participants.sort();
    assert_eq!(told, participants);

    // The other runs past its date: supervisors see which was on time.
    app.clock.advance(Duration::days(30));
    app.run_jobs().await;
    let view = app
        .get_json(&supervisor, "/api/v1/supervision/consultations")
        .await;
    let standing = |cid: i64| {
        view["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == cid)
            .map(|c| c["synthesis_standing"].as_str().unwrap().to_string())
    };
    assert_eq!(standing(id).as_deref(), Some("on_time"));
    assert_eq!(standing(late).as_deref(), Some("overdue"));
    let item = view["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap();
    assert_eq!(item["participants"], 2);
    let citizen = app.citizen().await;
    assert_problem(
        app.get_as(&citizen, "/api/v1/supervision/consultations")
            .await,
        403,
        "action_forbidden",
    )
    .await;
    let elsewhere = app.supervisor_of("UBND-T91").await;
    let theirs = app
        .get_json(&elsewhere, "/api/v1/supervision/consultations")
        .await;
    assert_eq!(theirs["items"], json!([]));
    let missed = app
        .get_json(
            &official,
            "/api/v1/follow-ups?subject=consultation_synthesis&standing=overdue",
        )
        .await;
    assert_eq!(missed["items"].as_array().unwrap().len(), 1);

    let admin = app.admin().await;
    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?limit=100")
        .await;
    let actions: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == format!("consultation:{id}"))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "consultation.open",
            "consultation.close",
            "consultation.synthesis"
        ]
    );
}

#[tokio::test]
async fn a_consultations_documents_are_public_with_it_and_kept_from_the_purge() {
    let app = TestApp::builder().long_tokens().demo().await;
    let official = app.official_of("UBND-X31135").await;
    let bytes = crate::uploads::phone_jpeg(40, 30, crate::uploads::exif(1));
    let draft = app.uploaded(Some(&official), &bytes).await;
    let citizen = app.citizen().await;
    let theirs = app.uploaded(Some(&citizen), &bytes).await;
    let mut body = consultation(&app, "live", 7);
    body["documents"] = json!([theirs]);
    let r = app
        .call(
            Method::POST,
            "/api/v1/consultations",
            &official,
            Some(body.clone()),
        )
        .await;
    let problem = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "/documents/0");
    body["documents"] = json!([draft]);
    let id = app.open_consultation(&official, &body).await;
    // Used once: not a second consultation's, nor an announcement's.
    let r = app
        .call(
            Method::POST,
            "/api/v1/consultations",
            &official,
            Some(body.clone()),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;

    app.clock.advance(Duration::days(2));
    app.run_jobs().await;
    let r = app
        .get(&format!("/api/v1/consultations/{id}/documents/{draft}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let r = app
        .get(&format!("/api/v1/consultations/{id}/documents/{theirs}"))
        .await;
    assert_problem(r, 404, "attachment_not_found").await;
    let c = app
        .public_json(&format!("/api/v1/consultations/{id}"))
        .await;
    assert_eq!(c["documents"], json!([draft]));
}
