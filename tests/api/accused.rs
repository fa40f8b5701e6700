//! A denunciation and the unit it accuses: the accused unit's officials never handle, read,
//! list or hear of it, wherever the tree puts it (issue: the accused committee read its
//! denouncer through `sees_subunits`).

use chrono::Duration;
use nghedan::domain::account::Role;
use serde_json::json;

use crate::fixtures::{code_of, listed};
use crate::helpers::{TestApp, assert_problem};

fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(64, 48, image::Rgb([200, 120, 40]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

#[tokio::test]
async fn the_accused_unit_never_handles_reads_lists_or_hears_of_its_denunciation() {
    let app = TestApp::builder().long_tokens().demo().await;
    let province = app.unit_id("UBND-T92").await;
    let inspectorate = app.unit_id("TT-92").await;
    let (denouncer, citizen) = app.token_for(Role::Citizen, None).await;
    let (accused, accused_token) = app.token_for(Role::Official, Some(province)).await;
    let coordinator = app.official_of("DIEU-PHOI").await;
    let (_, inspector) = app.token_for(Role::Official, Some(inspectorate)).await;
    let admin = app.admin().await;

    // A denunciation against the provincial committee, which has no parent: the coordinator.
    let photo = app.uploaded(Some(&citizen), &jpeg()).await;
    let body = json!({"kind": "denunciation", "category": "tham-nhung",
        "title": "Lãnh đạo tỉnh nhận quà", "description": "Có người chứng kiến.",
        "area_code": "31135", "accused_unit_id": province, "attachments": [photo]});
    let t = app.submit_ok(Some(&citizen), &body).await;
    let code = code_of(&t);
    assert_eq!(t["unit"]["code"], "DIEU-PHOI");

    // Forwarding it where the accused committee's officials would handle it is refused: the
    // committee itself, or its inspectorate while the committee sees its subunits.
    for unit in [province, inspectorate] {
        let r = app
            .act(
                &coordinator,
                &code,
                "forward",
                json!({"unit_id": unit, "reason": "Thẩm quyền"}),
            )
            .await;
        let p = assert_problem(r, 422, "accused_unit").await;
        assert_eq!(p["errors"][0]["field"], "/unit_id", "{p}");
    }

    // The tree changes under a ticket: the committee stops seeing its subunits, the ticket goes
    // to the inspectorate, and then the committee sees its subunits again.
    app.sees_subunits(&admin, province, false).await;
    app.act_ok(
        &coordinator,
        &code,
        "forward",
        json!({"unit_id": inspectorate, "reason": "Thanh tra tỉnh"}),
    )
    .await;
    app.sees_subunits(&admin, province, true).await;

    // The accused committee's officials: not found, not listed, not counted, cannot act.
    for path in [
        format!("/api/v1/tickets/{code}"),
        format!("/api/v1/tickets/{code}/events"),
        format!("/api/v1/attachments/{photo}"),
        format!("/api/v1/attachments/{photo}/thumbnail"),
    ] {
        let r = app.get_as(&accused_token, &path).await;
        assert_eq!(r.status(), 404, "{path}");
    }
    for action in ["refuse", "accept", "request_info"] {
        let r = app
            .act(
                &accused_token,
                &code,
                action,
                json!({"reason": "x", "question": "x"}),
            )
            .await;
        assert_problem(r, 404, "ticket_not_found").await;
    }
    let inbox = app
        .get_json(&accused_token, "/api/v1/inbox?status=open&limit=100")
        .await;
    assert!(!listed(&inbox).contains(&code), "{inbox}");
    let summary = app.get_json(&accused_token, "/api/v1/inbox/summary").await;
    assert_eq!(summary["open"], 0, "{summary}");

    // The inspectorate handles it, sees the denouncer and the photo.
    let seen = app.ticket(&inspector, &code).await;
    assert_eq!(seen["submitter"]["email"], denouncer.email.as_str());
    let inbox = app.get_json(&inspector, "/api/v1/inbox?status=open").await;
    assert!(listed(&inbox).contains(&code));
    assert_eq!(
        app.get_as(&inspector, &format!("/api/v1/attachments/{photo}"))
            .await
            .status(),
        200
    );

    // Its deadline passes: the escalation to the inspectorate's parent skips the accused
    // committee (its officials and its mailbox), by mail, push and in the app.
    app.clock.advance(Duration::days(30));
    app.run_jobs().await;
    let inspector_list = app.get_json(&inspector, "/api/v1/me/notifications").await;
    assert!(
        inspector_list.to_string().contains(&code),
        "the handling unit is reminded: {inspector_list}"
    );
    let accused_list = app
        .get_json(&accused_token, "/api/v1/me/notifications")
        .await;
    assert!(!accused_list.to_string().contains(&code), "{accused_list}");
    let mailbox = app
        .state
        .db(move |c| nghedan::db::units::find(c, province))
        .await
        .unwrap()
        .expect("the province's unit")
        .email;
    for m in app.mails() {
        assert!(!m.to.contains(&accused.email), "{}", m.subject);
        if let Some(b) = &mailbox {
            assert!(!m.to.contains(b), "{}", m.subject);
        }
    }
}

#[tokio::test]
async fn a_denunciation_against_a_commune_goes_to_and_is_handled_by_its_superior() {
    let app = TestApp::builder().long_tokens().demo().await;
    let commune = app.unit_id("UBND-X31135").await;
    let citizen = app.citizen().await;
    let superior = app.official_of("UBND-T92").await;
    let (_, accused) = app.token_for(Role::Official, Some(commune)).await;
    let body = json!({"kind": "denunciation", "category": "tham-nhung",
        "title": "Cán bộ xã nhận tiền", "description": "Có biên nhận.",
        "area_code": "31135", "accused_unit_id": commune});
    let t = app.submit_ok(Some(&citizen), &body).await;
    let code = code_of(&t);
    // The province sees its subunits and is the accused commune's superior: it handles it.
    assert_eq!(t["unit"]["code"], "UBND-T92");
    app.accept(&superior, &code).await;
    let inbox = app.get_json(&accused, "/api/v1/inbox?limit=100").await;
    assert!(!listed(&inbox).contains(&code));
    assert_eq!(
        app.get_as(&accused, &format!("/api/v1/tickets/{code}"))
            .await
            .status(),
        404
    );
}
