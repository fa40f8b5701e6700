//! One-click unsubscribe (`GET`/`POST /api/v1/unsubscribe`) for each kind of recipient — a
//! citizen with an account, an anonymous submitter's contact, a contact recorded at the desk,
//! a unit's mailbox — and what delivery then skips: exactly what was stopped, recorded as
//! `suppressed`. Administrators list and lift a unit mailbox's suppression.

use reqwest::Method;
use serde_json::{Value, json};

use crate::fixtures::{anonymous_pothole, at_the_desk, cli, code_of};
use crate::helpers::{Mail, TestApp, assert_problem};
use nghedan::domain::account::Role;

const CONTACT: &str = "nguoidan@example.vn";
const DESK: &str = "duc@example.vn";
const MAILBOX: &str = "ubnd-x31135@demo.nghedan.vn";

impl TestApp {
    /// The unsubscribe token of the mail `to` got about ticket `code`.
    fn unsubscribe_token(&self, to: &str, code: &str) -> String {
        let mails: Vec<Mail> = self
            .mails()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .filter(|m| m.subject.contains(code) || m.text.contains(code))
            .collect();
        let mail = mails
            .first()
            .unwrap_or_else(|| panic!("no mail to {to} about {code}"));
        assert!(
            mail.raw
                .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{}",
            mail.raw
        );
        mail.link_param("token").expect("an unsubscribe link")
    }

    /// The page behind the link (what a person sees on clicking it).
    async fn unsubscribe_page(&self, token: &str, lang: &str) -> String {
        let r = self
            .client
            .get(self.url(&format!("/api/v1/unsubscribe?token={token}")))
            .header("Accept-Language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        r.text().await.unwrap()
    }

    /// The POST a mail client makes (RFC 8058), or the page's button with `scope`.
    async fn one_click(&self, token: &str, scope: Option<&str>, lang: &str) -> reqwest::Response {
        let query = match scope {
            Some(s) => format!("token={token}&scope={s}"),
            None => format!("token={token}"),
        };
        self.client
            .post(self.url(&format!("/api/v1/unsubscribe?{query}")))
            .header("Accept-Language", lang)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap()
    }

    async fn one_click_ok(&self, token: &str, scope: Option<&str>, lang: &str) -> String {
        let r = self.one_click(token, scope, lang).await;
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    }

    /// The mails that arrived after the first `before`, as (to, subject and text).
    fn mails_since(&self, before: usize) -> Vec<(String, String)> {
        self.mails()
            .into_iter()
            .skip(before)
            .flat_map(|m| {
                let body = format!("{}\n{}", m.subject, m.text);
                m.to.into_iter().map(move |t| (t, body.clone()))
            })
            .collect()
    }

    async fn suppressions(&self) -> Vec<(i64, String, Option<i64>, Option<i64>)> {
        self.state
            .db(|c| -> Result<_, nghedan::error::AppError> {
                use diesel::prelude::*;
                use nghedan::db::schema::email_suppressions as s;
                Ok(s::table
                    .order(s::id.asc())
                    .select((s::id, s::scope, s::ticket_id, s::unit_id))
                    .load(c)?)
            })
            .await
            .unwrap()
    }

    /// Outbox rows in `state`, as (address, template).
    async fn outbox_in(&self, state: &'static str) -> Vec<(Option<String>, String)> {
        self.state
            .db(move |c| -> Result<_, nghedan::error::AppError> {
                use diesel::prelude::*;
                use nghedan::db::schema::outbox;
                Ok(outbox::table
                    .filter(outbox::state.eq(state))
                    .order(outbox::id.asc())
                    .select((outbox::address, outbox::template))
                    .load(c)?)
            })
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn unsubscribing_stops_exactly_what_it_says_and_the_ticket_keeps_its_contact() {
    let app = TestApp::demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let (official_user, official) = app.token_for(Role::Official, Some(unit)).await;

    // A citizen's ticket, two anonymous ones with one contact address, one recorded at the desk.
    let named = app.submit_pothole(&citizen).await;
    let anon1 = code_of(&app.submit_ok(None, &anonymous_pothole()).await);
    let anon2 = code_of(&app.submit_ok(None, &anonymous_pothole()).await);
    let desk = code_of(&app.submit_ok(Some(&official), &at_the_desk()).await);
    app.run_jobs().await;
    let t_citizen = app.unsubscribe_token(&citizen_user.email, &named);
    let t_contact = app.unsubscribe_token(CONTACT, &anon1);
    let t_desk = app.unsubscribe_token(DESK, &desk);
    let t_mailbox = app.unsubscribe_token(MAILBOX, &named);

    // The pages say what each link would stop, in the reader's language; opening them changes
    // nothing.
    let page = app.unsubscribe_page(&t_citizen, "vi").await;
    assert!(page.contains("Ngừng nhận thư về phản ánh?"), "{page}");
    let page = app.unsubscribe_page(&t_citizen, "en").await;
    assert!(page.contains("Stop emails about your tickets?"), "{page}");
    assert!(page.contains("Account emails"), "{page}");
    let page = app.unsubscribe_page(&t_contact, "vi").await;
    assert!(
        page.contains(&format!(
            "Địa chỉ n***@example.vn nhận thư về phản ánh {anon1}."
        )),
        "{page}"
    );
    assert!(page.contains(&format!("Ngừng thư về {anon1}")), "{page}");
    assert!(
        page.contains("scope=all\"><button"),
        "a second choice: {page}"
    );
    assert!(
        !page.contains(CONTACT),
        "the page masks the address: {page}"
    );
    let page = app.unsubscribe_page(&t_desk, "en").await;
    assert!(
        page.contains(&format!(
            "The address d***@example.vn gets emails about ticket {desk}."
        )),
        "{page}"
    );
    let page = app.unsubscribe_page(&t_mailbox, "en").await;
    assert!(page.contains("This is the mailbox of"), "{page}");
    assert!(
        page.contains("an administrator can turn its mail back on"),
        "{page}"
    );
    // The mailbox's first choice is all its ticket mail.
    let all = page.find("Stop all ticket emails to this address").unwrap();
    let one = page.find(&format!("Stop emails about {named}")).unwrap();
    assert!(all < one, "{page}");
    assert!(app.suppressions().await.is_empty());

    // One click each, as a mail client makes it: each answer says what was stopped.
    let done = app.one_click_ok(&t_citizen, None, "en").await;
    assert!(
        done.contains("Your account will no longer get emails about tickets"),
        "{done}"
    );
    let done = app.one_click_ok(&t_contact, None, "vi").await;
    assert!(
        done.contains(&format!(
            "Sẽ không gửi thư về phản ánh {anon1} tới n***@example.vn nữa."
        )),
        "{done}"
    );
    assert!(done.contains("vẫn giữ địa chỉ liên hệ"), "{done}");
    let done = app.one_click_ok(&t_desk, None, "en").await;
    assert!(
        done.contains(&format!(
            "No more emails about ticket {desk} will be sent to d***@example.vn."
        )),
        "{done}"
    );
    let done = app.one_click_ok(&t_mailbox, None, "en").await;
    assert!(
        done.contains("No more emails about any ticket will be sent to u***@demo.nghedan.vn."),
        "{done}"
    );
    assert!(
        done.contains("an administrator can turn its mail back on"),
        "{done}"
    );
    // Again: the same answer, nothing more recorded.
    app.one_click_ok(&t_contact, None, "vi").await;
    let recorded = app.suppressions().await;
    let scopes: Vec<(&str, bool, bool)> = recorded
        .iter()
        .map(|(_, scope, ticket, unit)| (scope.as_str(), ticket.is_some(), unit.is_some()))
        .collect();
    assert_eq!(
        scopes,
        [
            ("ticket", true, false),
            ("ticket", true, false),
            ("all", false, true)
        ],
        "{recorded:?}"
    );

    // The citizen's preference is off (as before); the tickets keep their contacts.
    let me = app.get_json(&citizen, "/api/v1/me").await;
    assert_eq!(me["notification_preferences"]["email"], false, "{me}");
    assert_eq!(
        app.ticket(&official, &anon1).await["submitter"]["email"],
        CONTACT
    );
    assert_eq!(
        app.ticket(&official, &desk).await["submitter"]["email"],
        DESK
    );

    // What follows: each ticket is accepted, and a new one arrives.
    for code in [&named, &anon1, &anon2, &desk] {
        app.accept(&official, code).await;
    }
    let named2 = app.submit_pothole(&citizen).await;
    let before = app.mails().len();
    let pass = app.run_jobs().await.delivered;
    let arrived = app.mails_since(before);
    let to = |who: &str| -> Vec<&String> {
        arrived
            .iter()
            .filter(|(t, _)| t == who)
            .map(|(_, b)| b)
            .collect()
    };
    // The contact hears of its other ticket only; the desk contact, the mailbox and the
    // citizen hear nothing; the officials still hear of the new ticket.
    let contact = to(CONTACT);
    assert_eq!(contact.len(), 1, "{arrived:#?}");
    assert!(contact[0].contains(&anon2), "{contact:?}");
    assert!(to(DESK).is_empty(), "{arrived:#?}");
    assert!(to(MAILBOX).is_empty(), "{arrived:#?}");
    assert!(to(&citizen_user.email).is_empty(), "{arrived:#?}");
    assert!(
        to(&official_user.email).iter().any(|b| b.contains(&named2)),
        "{arrived:#?}"
    );
    assert_eq!(pass.suppressed, 3, "{pass:?}");
    let suppressed = app.outbox_in("suppressed").await;
    let mut addresses: Vec<&str> = suppressed
        .iter()
        .map(|(a, _)| a.as_deref().unwrap())
        .collect();
    addresses.sort_unstable();
    assert_eq!(addresses, [DESK, CONTACT, MAILBOX], "{suppressed:?}");

    // Counted apart, in /metrics and on the command line (which shows no address).
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("nghedan_outbox_messages{channel=\"email\",state=\"suppressed\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "nghedan_outbox_deliveries_total{channel=\"email\",outcome=\"suppressed\"} 3"
        ),
        "{metrics}"
    );
    let out = cli(&app.db_url)
        .args(["admin", "outbox", "list", "--state", "suppressed"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(listed.contains("email  suppressed 3"), "{listed}");
    assert_eq!(
        listed.matches(" suppressed attempts=").count(),
        3,
        "{listed}"
    );
    assert!(!listed.contains("@example.vn"), "{listed}");

    // The page's second choice: all ticket mail to the contact's address.
    let t_contact2 = app.unsubscribe_token(CONTACT, &anon2);
    let done = app.one_click_ok(&t_contact2, Some("all"), "en").await;
    assert!(
        done.contains("No more emails about any ticket will be sent to n***@example.vn."),
        "{done}"
    );
    app.resolve(&official, &anon2, "Đã vá.").await;
    let before = app.mails().len();
    assert_eq!(app.run_jobs().await.delivered.suppressed, 1);
    assert!(app.mails_since(before).iter().all(|(t, _)| t != CONTACT));
}

#[tokio::test]
async fn unsubscribe_links_are_checked() {
    let app = TestApp::demo().await;
    let (citizen_user, citizen) = app.token_for(Role::Citizen, None).await;
    let code = app.submit_pothole(&citizen).await;
    app.run_jobs().await;
    let token = app.unsubscribe_token(&citizen_user.email, &code);
    // Not signed here, or altered: 404, on the page and the POST alike.
    let forged = nghedan::notify::links::sign(
        "another-secret-another-secret-another-secret",
        &nghedan::notify::links::Subject::User { u: citizen_user.id },
    );
    for bad in ["garbage", forged.as_str(), &token.replacen('e', "f", 1)] {
        let r = app.get(&format!("/api/v1/unsubscribe?token={bad}")).await;
        assert_problem(r, 404, "unsubscribe_link_invalid").await;
        let r = app.one_click(bad, None, "en").await;
        assert_problem(r, 404, "unsubscribe_link_invalid").await;
    }
    // An account turns off all its ticket mail: one ticket's is not a choice it has.
    let r = app.one_click(&token, Some("ticket"), "en").await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["errors"][0]["field"], "/scope");
    let r = app.one_click(&token, Some("some"), "en").await;
    assert_problem(r, 422, "validation_failed").await;
    // Nothing changed.
    let me = app.get_json(&citizen, "/api/v1/me").await;
    assert_eq!(me["notification_preferences"]["email"], true);
}

#[tokio::test]
async fn administrators_list_and_lift_a_unit_mailbox_suppression() {
    let app = TestApp::demo().await;
    let unit = app.unit_id("UBND-X31135").await;
    let other_unit = app.unit_id("UBND-T92").await;
    let citizen = app.citizen().await;
    let (_, official) = app.token_for(Role::Official, Some(unit)).await;
    let (_, supervisor) = app.token_for(Role::Supervisor, Some(other_unit)).await;
    let admin = app.admin().await;
    let anon = code_of(&app.submit_ok(None, &anonymous_pothole()).await);
    app.run_jobs().await;
    // The unit's mailbox and an anonymous contact unsubscribe.
    app.one_click_ok(&app.unsubscribe_token(MAILBOX, &anon), None, "vi")
        .await;
    app.one_click_ok(&app.unsubscribe_token(CONTACT, &anon), None, "vi")
        .await;
    let recorded = app.suppressions().await;
    let mailbox_id = recorded.iter().find(|r| r.3 == Some(unit)).unwrap().0;
    let contact_id = recorded.iter().find(|r| r.3.is_none()).unwrap().0;

    let list = |token: String, query: String| {
        app.authed(
            Method::GET,
            &format!("/api/v1/admin/email-suppressions{query}"),
            &token,
        )
        .send()
    };
    let lift = |token: String, id: i64| {
        app.authed(
            Method::DELETE,
            &format!("/api/v1/admin/email-suppressions/{id}"),
            &token,
        )
        .send()
    };
    // Administrators only.
    for token in [&citizen, &official, &supervisor] {
        let r = list(token.clone(), String::new()).await.unwrap();
        assert_problem(r, 403, "action_forbidden").await;
        let r = lift(token.clone(), mailbox_id).await.unwrap();
        assert_problem(r, 403, "action_forbidden").await;
    }
    let r = app.get("/api/v1/admin/email-suppressions").await;
    assert_problem(r, 401, "unauthenticated").await;
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/admin/email-suppressions/{mailbox_id}")))
        .send()
        .await
        .unwrap();
    assert_problem(r, 401, "unauthenticated").await;

    // The unit's mailbox is listed; the contact's own choice is not.
    let expected = json!({"items": [{"id": mailbox_id, "unit_id": unit, "scope": "all",
        "ticket_code": null, "current_mailbox": true, "created_at": "2026-11-23T02:00:00Z"}],
        "next_cursor": null});
    for query in [String::new(), format!("?unit_id={unit}")] {
        let r = list(admin.clone(), query).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap(), expected);
    }
    let r = list(admin.clone(), "?unit_id=999999".into()).await.unwrap();
    assert_problem(r, 404, "unit_not_found").await;
    let r: Value = list(admin.clone(), format!("?unit_id={other_unit}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["items"], json!([]));

    // A contact's suppression is not the administrator's to lift.
    let r = lift(admin.clone(), contact_id).await.unwrap();
    assert_problem(r, 404, "email_suppression_not_found").await;
    // The mailbox's is: once, written to the admin audit log.
    let r = lift(admin.clone(), mailbox_id).await.unwrap();
    assert_eq!(r.status(), 204);
    let r = lift(admin.clone(), mailbox_id).await.unwrap();
    assert_problem(r, 404, "email_suppression_not_found").await;
    let log = app
        .get_json(&admin, "/api/v1/admin/audit-log?limit=100")
        .await;
    let entries: Vec<(&str, &str)> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    let target = format!("/api/v1/admin/email-suppressions/{mailbox_id}");
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.0 == "DELETE /api/v1/admin/email-suppressions/{id}")
            .map(|e| e.1)
            .collect::<Vec<_>>(),
        [target.as_str()],
        "{log}"
    );
    assert_eq!(app.suppressions().await.len(), 1, "the contact's stays");

    // The mailbox hears of the next ticket again; the contact still hears nothing of its own.
    let next = app.submit_pothole(&citizen).await;
    app.accept(&official, &anon).await;
    let before = app.mails().len();
    app.run_jobs().await;
    let arrived = app.mails_since(before);
    assert!(
        arrived
            .iter()
            .any(|(t, b)| t == MAILBOX && b.contains(&next)),
        "{arrived:#?}"
    );
    assert!(arrived.iter().all(|(t, _)| t != CONTACT), "{arrived:#?}");

    // The document describes both routes.
    let doc = app.public_json("/api/v1/openapi.json").await;
    let paths = &doc["paths"];
    assert!(paths["/api/v1/admin/email-suppressions"]["get"].is_object());
    assert!(paths["/api/v1/admin/email-suppressions/{id}"]["delete"].is_object());
}
