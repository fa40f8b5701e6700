//! Email delivery against a real SMTP server on loopback: the `mailin` SMTP state machine
//! behind a tokio listener that can speak plain SMTP, STARTTLS or implicit TLS (rustls, with a
//! CA and server certificate made by rcgen for each test). The server records each envelope
//! and the raw message, which the tests parse back with mail-parser.

use std::path::Path;
use std::sync::atomic::Ordering;

use mail_parser::{MessageParser, MimeHeaders};
use nghedan::notify::{DeliveryError, EmailMessage, EmailSettings, Mailer};

use crate::smtp::*;
use tokio::net::TcpListener;

const SUBJECT: &str = "Phản ánh của bạn đã được tiếp nhận";
const TEXT: &str = "Kính gửi ông Nguyễn Văn An,\nMã phản ánh: HN-2025-000123.\nCảm ơn bạn.";
const HTML: &str = "<p>Kính gửi ông Nguyễn Văn An,</p><p>Mã phản ánh: <b>HN-2025-000123</b>.</p>";
const UNSUBSCRIBE: &str = "https://nghedan.test/api/v1/unsubscribe?token=abc123";

fn message() -> EmailMessage {
    EmailMessage {
        to: "an.nguyen@example.vn".into(),
        to_name: Some("Nguyễn Văn An".into()),
        subject: SUBJECT.into(),
        text: TEXT.into(),
        html: HTML.into(),
        list_unsubscribe: Some(UNSUBSCRIBE.into()),
        language: "vi".into(),
        message_key: None,
    }
}

fn settings(port: u16, tls: &str) -> EmailSettings {
    EmailSettings {
        backend: "smtp".into(),
        from: "Nghe dân <no-reply@nghedan.test>".into(),
        file_dir: String::new(),
        smtp_host: "127.0.0.1".into(),
        smtp_port: port,
        smtp_tls: tls.into(),
        smtp_username: String::new(),
        smtp_password: String::new(),
        smtp_timeout_ms: 5_000,
        smtp_accept_invalid_certs: false,
        smtp_pool_size: 2,
        smtp_ca_file: String::new(),
    }
}

// ---- assertions on what arrived ----------------------------------------------------------

/// Checks every header and part a recipient's mail client relies on.
fn assert_complete_message(raw: &[u8], message_id: &str) {
    let text = String::from_utf8_lossy(raw);
    let parsed = MessageParser::default()
        .parse(raw)
        .expect("a parseable RFC 5322 message");

    assert_eq!(parsed.subject(), Some(SUBJECT), "UTF-8 subject survives");
    let to = parsed.to().and_then(|a| a.first()).expect("a To header");
    assert_eq!(to.address(), Some("an.nguyen@example.vn"));
    assert_eq!(to.name(), Some("Nguyễn Văn An"));
    let from = parsed
        .from()
        .and_then(|a| a.first())
        .expect("a From header");
    assert_eq!(from.address(), Some("no-reply@nghedan.test"));
    assert_eq!(from.name(), Some("Nghe dân"));

    let content_type = parsed.root_part().content_type().expect("a Content-Type");
    assert_eq!(content_type.ctype(), "multipart");
    assert_eq!(content_type.subtype(), Some("alternative"));
    assert_eq!(parsed.text_body_count(), 1);
    assert_eq!(parsed.html_body_count(), 1);
    // Text travels in canonical form: CRLF line ends.
    assert_eq!(
        parsed
            .body_text(0)
            .unwrap()
            .trim_end()
            .replace("\r\n", "\n"),
        TEXT
    );
    assert_eq!(parsed.body_html(0).unwrap().trim_end(), HTML);

    let bare_id = message_id.trim_start_matches('<').trim_end_matches('>');
    assert_eq!(parsed.message_id(), Some(bare_id));
    assert!(
        bare_id.ends_with("@nghedan.test"),
        "Message-ID names the sender's domain: {bare_id}"
    );
    assert!(parsed.date().is_some(), "a Date header");
    let header = |name: &'static str| parsed.header_raw(name).map(str::trim);
    assert_eq!(header("Auto-Submitted"), Some("auto-generated"));
    assert_eq!(header("Content-Language"), Some("vi"));
    assert_eq!(
        header("List-Unsubscribe"),
        Some(format!("<{UNSUBSCRIBE}>").as_str())
    );
    assert_eq!(
        header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(text.contains("\r\n"), "lines end in CRLF");
}

/// Returns the reason, for the caller to check it names the cause.
fn assert_temporary(result: Result<String, DeliveryError>) -> String {
    match result {
        Err(DeliveryError::Temporary { reason, .. }) => reason,
        other => panic!("expected a temporary failure, got {other:?}"),
    }
}

// ---- the tests -------------------------------------------------------------------------------

#[tokio::test]
async fn notify_email_plain_smtp_delivers_a_complete_message() {
    let server = SmtpServer::start(Security::Plain, Behaviour::Accept, false).await;
    let mailer = Mailer::from_settings(&settings(server.port(), "plain")).unwrap();

    let message_id = mailer.send(&message()).await.expect("delivered");

    let received = server.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert_eq!(mail.from, "no-reply@nghedan.test");
    assert_eq!(mail.to, vec!["an.nguyen@example.vn".to_owned()]);
    assert_complete_message(&mail.data, &message_id);
    assert!(
        mailer.sent().is_empty(),
        "only the memory backend keeps mail"
    );
}

#[tokio::test]
async fn notify_email_starttls_trusts_the_relay_through_a_configured_root() {
    let pki = test_pki();
    let server = SmtpServer::start(
        Security::StartTls(pki.server.clone()),
        Behaviour::Accept,
        true,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("relay-ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let mut s = settings(server.port(), "starttls");
    s.smtp_ca_file = ca_file.display().to_string();
    s.smtp_username = "nghedan".into();
    s.smtp_password = "mật-khẩu".into();
    let mailer = Mailer::from_settings(&s).unwrap();

    let message_id = mailer
        .send(&message())
        .await
        .expect("delivered over STARTTLS");

    let received = server.received();
    assert_eq!(received.len(), 1);
    // The server only offers AUTH once the channel is encrypted, so a login proves STARTTLS.
    assert_eq!(
        received[0].login,
        Some(("nghedan".to_owned(), "mật-khẩu".to_owned()))
    );
    assert_complete_message(&received[0].data, &message_id);

    // The next message goes out too, whether on the pooled connection or a new one (lettre
    // parks a connection in a background task, so which is not for a test to rely on).
    mailer.send(&message()).await.expect("second delivery");
    assert_eq!(server.received().len(), 2);
    assert!(server.connections.load(Ordering::SeqCst) <= 2);
}

#[tokio::test]
async fn notify_email_starttls_refuses_a_relay_it_cannot_verify() {
    let pki = test_pki();
    let server = SmtpServer::start(Security::StartTls(pki.server), Behaviour::Accept, false).await;
    // No root for the test CA: the certificate must be rejected and nothing sent in clear.
    let mailer = Mailer::from_settings(&settings(server.port(), "starttls")).unwrap();

    let reason = assert_temporary(mailer.send(&message()).await);
    assert!(reason.contains("certificate"), "{reason}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn notify_email_implicit_tls_with_invalid_certs_accepted_for_tests() {
    let pki = test_pki();
    let server = SmtpServer::start(Security::Implicit(pki.server), Behaviour::Accept, false).await;
    let mut s = settings(server.port(), "tls");
    s.smtp_accept_invalid_certs = true;
    let mailer = Mailer::from_settings(&s).unwrap();

    let message_id = mailer.send(&message()).await.expect("delivered over TLS");

    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_complete_message(&received[0].data, &message_id);
}

#[tokio::test]
async fn notify_email_a_550_reply_is_permanent() {
    let server = SmtpServer::start(Security::Plain, Behaviour::RejectRecipient(550), false).await;
    let mailer = Mailer::from_settings(&settings(server.port(), "plain")).unwrap();

    match mailer.send(&message()).await {
        Err(DeliveryError::Permanent { reason }) => assert!(reason.contains("550"), "{reason}"),
        other => panic!("expected a permanent failure, got {other:?}"),
    }
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn notify_email_4xx_replies_are_temporary() {
    let server = SmtpServer::start(Security::Plain, Behaviour::RejectData(451), false).await;
    let mailer = Mailer::from_settings(&settings(server.port(), "plain")).unwrap();
    match mailer.send(&message()).await {
        Err(DeliveryError::Temporary {
            reason,
            retry_after,
        }) => {
            assert!(reason.contains("451"), "{reason}");
            assert_eq!(retry_after, None);
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }

    let server = SmtpServer::start(Security::Plain, Behaviour::ShutDown, false).await;
    let mailer = Mailer::from_settings(&settings(server.port(), "plain")).unwrap();
    let reason = assert_temporary(mailer.send(&message()).await);
    assert!(reason.contains("421"), "{reason}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn notify_email_an_absent_server_is_temporary_until_it_starts() {
    // Reserve a port, then free it: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mailer = Mailer::from_settings(&settings(port, "plain")).unwrap();

    let reason = assert_temporary(mailer.send(&message()).await);
    assert!(reason.contains("refused"), "{reason}");

    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let server = SmtpServer::serve(listener, Security::Plain, Behaviour::Accept, false);
    let message_id = mailer
        .send(&message())
        .await
        .expect("delivered once the server is up");
    assert_complete_message(&server.received()[0].data, &message_id);
}

#[tokio::test]
async fn notify_email_a_silent_server_is_temporary_after_the_timeout() {
    // Accepts connections and never says a word, not even the greeting.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    let mut s = settings(port, "plain");
    s.smtp_timeout_ms = 300;
    let mailer = Mailer::from_settings(&s).unwrap();

    match mailer.send(&message()).await {
        Err(DeliveryError::Temporary { reason, .. }) => {
            assert!(reason.contains("no answer"), "{reason}")
        }
        other => panic!("expected a temporary failure, got {other:?}"),
    }
    silent.abort();
}

#[tokio::test]
async fn notify_email_file_backend_writes_sortable_eml_files() {
    let dir = tempfile::tempdir().unwrap();
    let mail_dir = dir.path().join("data").join("mail");
    let mut s = settings(0, "plain");
    s.backend = "file".into();
    s.file_dir = mail_dir.display().to_string();
    let mailer = Mailer::from_settings(&s).unwrap();

    let first = mailer.send(&message()).await.unwrap();
    let second = mailer.send(&message()).await.unwrap();

    let mut names = eml_files(&mail_dir);
    assert_eq!(names.len(), 2, "{names:?}");
    let sorted = {
        names.sort();
        names.clone()
    };
    for (name, id) in sorted.iter().zip([&first, &second]) {
        let local = id.trim_start_matches('<').split('@').next().unwrap();
        assert!(
            name.ends_with(&format!("-{local}.eml")),
            "{name} names {id}"
        );
        let raw = std::fs::read(mail_dir.join(name)).unwrap();
        assert_complete_message(&raw, id);
    }
    assert!(mailer.sent().is_empty());
}

fn eml_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[tokio::test]
async fn notify_email_memory_backend_keeps_what_it_sends() {
    let mut s = settings(0, "plain");
    s.backend = "memory".into();
    let mailer = Mailer::from_settings(&s).unwrap();
    let mut without_unsubscribe = message();
    without_unsubscribe.list_unsubscribe = None;
    without_unsubscribe.language = "en".into();

    let first = mailer.send(&message()).await.unwrap();
    let second = mailer.send(&without_unsubscribe).await.unwrap();

    let sent = mailer.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].message_id, first);
    assert_eq!(sent[0].message, message());
    assert_complete_message(sent[0].raw.as_bytes(), &first);
    assert_eq!(sent[1].message_id, second);
    let parsed = MessageParser::default()
        .parse(sent[1].raw.as_bytes())
        .unwrap();
    assert_eq!(parsed.header_raw("List-Unsubscribe"), None);
    assert_eq!(parsed.header_raw("List-Unsubscribe-Post"), None);
    assert_eq!(
        parsed.header_raw("Content-Language").map(str::trim),
        Some("en")
    );
}

#[tokio::test]
async fn notify_email_an_unusable_message_is_permanent() {
    let mut s = settings(0, "plain");
    s.backend = "memory".into();
    let mailer = Mailer::from_settings(&s).unwrap();

    let mut bad_address = message();
    bad_address.to = "not an address".into();
    let mut header_injection = message();
    header_injection.language = "vi\r\nBcc: someone@example.com".into();
    let mut bad_link = message();
    bad_link.list_unsubscribe = Some("javascript:alert(1)".into());
    for m in [bad_address, header_injection, bad_link] {
        assert!(
            matches!(mailer.send(&m).await, Err(DeliveryError::Permanent { .. })),
            "{m:?}"
        );
    }
    assert!(mailer.sent().is_empty());
}

#[test]
fn notify_email_settings_are_checked() {
    let mut s = settings(25, "plain");
    s.backend = "carrier-pigeon".into();
    assert!(Mailer::from_settings(&s).is_err());
    let mut s = settings(25, "ssl");
    assert!(Mailer::from_settings(&s).is_err());
    s.smtp_tls = "plain".into();
    s.from = "not a mailbox".into();
    assert!(Mailer::from_settings(&s).is_err());
}
