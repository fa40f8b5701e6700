//! What `production` refuses to start with: settings that are fine on a laptop and dangerous on
//! a server. Every problem is reported at once, each naming its key and the way out.

use std::net::IpAddr;

use super::{DEFAULT_SECRET_PREFIX, JwtAlgorithm, Settings};

/// Secrets we ask operators to generate (not credentials a provider hands out): at least this
/// long in production.
pub const MIN_SECRET_BYTES: usize = 32;

/// One setting that must change, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub message: String,
}

impl Problem {
    pub fn new(key: &str, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The text of several problems, one a line.
pub(super) fn list(problems: &[Problem]) -> String {
    let mut out = format!("{} settings must change:", problems.len());
    for p in problems {
        out.push_str(&format!("\n  - `{}`: {}", p.key, p.message));
    }
    out
}

/// The environment variable that sets `key` (`auth.jwt_secret` → `NGHEDAN__AUTH__JWT_SECRET`).
pub fn env_var(key: &str) -> String {
    format!("NGHEDAN__{}", key.replace('.', "__").to_ascii_uppercase())
}

/// Everything production refuses in `s`, in the order of the settings file.
pub(super) fn problems(s: &Settings) -> Vec<Problem> {
    let mut out = Vec::new();
    public_url(s, &mut out);
    database(s, &mut out);
    email(s, &mut out);
    tls(s, &mut out);
    secrets(s, &mut out);
    out
}

fn public_url(s: &Settings, out: &mut Vec<Problem>) {
    const KEY: &str = "server.public_url";
    let Ok(url) = url::Url::parse(&s.server.public_url) else {
        return; // Reported by the general checks.
    };
    let how = format!(
        "set {}=https://<the address citizens use> (behind your TLS proxy)",
        env_var(KEY)
    );
    let mut wrong = Vec::new();
    if url.scheme() != "https" {
        wrong.push(
            "is not https (links in emails would travel in clear, and the console's cookie \
             would not be Secure)",
        );
    }
    if url.host().is_some_and(|h| names_this_machine(&h)) {
        wrong.push("names this machine (links in emails would lead nowhere)");
    }
    if !wrong.is_empty() {
        out.push(Problem::new(
            KEY,
            format!("`{url}` {}; {how}", wrong.join(" and ")),
        ));
    }
}

/// `localhost`, a loopback or an unspecified address.
fn names_this_machine(host: &url::Host<&str>) -> bool {
    let ip = |ip: IpAddr| ip.is_loopback() || ip.is_unspecified();
    match host {
        url::Host::Domain(d) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        url::Host::Ipv4(a) => ip(IpAddr::V4(*a)),
        url::Host::Ipv6(a) => ip(IpAddr::V6(*a).to_canonical()),
    }
}

fn database(s: &Settings, out: &mut Vec<Problem>) {
    if s.is_sqlite() && !s.database.allow_sqlite_in_production {
        out.push(Problem::new(
            "database.url",
            format!(
                "is SQLite: production runs on PostgreSQL ({}=postgres://user@host:5432/db); for \
                 one small commune on one machine, set database.allow_sqlite_in_production = true \
                 ({}=true)",
                env_var("database.url"),
                env_var("database.allow_sqlite_in_production")
            ),
        ));
    }
}

fn email(s: &Settings, out: &mut Vec<Problem>) {
    const KEY: &str = "email.backend";
    if matches!(s.email.backend.as_str(), "file" | "memory") {
        out.push(Problem::new(
            KEY,
            format!(
                "is `{}`: production must really send its mail; set {}=smtp and \
                 email.smtp_host ({})",
                s.email.backend,
                env_var(KEY),
                env_var("email.smtp_host")
            ),
        ));
    }
}

/// Every setting that turns a TLS check off or TLS itself.
fn tls(s: &Settings, out: &mut Vec<Problem>) {
    if s.email.backend == "smtp" && s.email.smtp_accept_invalid_certs {
        out.push(Problem::new(
            "email.smtp_accept_invalid_certs",
            "is true: the relay's certificate is not checked, so anyone on the path can read \
             the mail; set it to false (a relay with a private CA: name its root in \
             email.smtp_ca_file)",
        ));
    }
    if s.media.store == "s3"
        && let Some(s3) = &s.media.s3
    {
        if s3.allow_http {
            out.push(Problem::new(
                "media.s3.allow_http",
                "is true: photos and the store's credentials may travel without TLS; set it to \
                 false and give media.s3.endpoint as https://",
            ));
        }
        if let Some(endpoint) = &s3.endpoint
            && !endpoint.trim().to_ascii_lowercase().starts_with("https://")
        {
            out.push(Problem::new(
                "media.s3.endpoint",
                format!("`{endpoint}` is not https://; give the store's https:// address"),
            ));
        }
    }
    let p = &s.push;
    for (key, base) in [
        ("push.fcm_api_base", &p.fcm_api_base),
        ("push.apns_sandbox_base", &p.apns_sandbox_base),
        ("push.apns_production_base", &p.apns_production_base),
    ] {
        if let Some(base) = base.as_deref().map(str::trim).filter(|b| !b.is_empty())
            && !base.to_ascii_lowercase().starts_with("https://")
        {
            out.push(Problem::new(
                key,
                format!(
                    "`{base}` is not https://: push credentials would travel in clear; leave it \
                     unset (the provider's own address)"
                ),
            ));
        }
    }
}

/// Shipped defaults anywhere, and generated secrets that are short (or, for the metrics
/// token, missing: an open `/metrics`).
fn secrets(s: &Settings, out: &mut Vec<Problem>) {
    let how = |key: &str| {
        format!(
            "set {} (or {}_FILE, a file holding it) to a random value of {MIN_SECRET_BYTES} \
             bytes or more, e.g. `openssl rand -base64 48`",
            env_var(key),
            env_var(key)
        )
    };
    for (key, value) in s.secrets() {
        if value.starts_with(DEFAULT_SECRET_PREFIX) {
            out.push(Problem::new(
                key,
                format!("still has its shipped default value; {}", how(key)),
            ));
        }
    }
    for (key, value) in s.generated_secrets() {
        if value.is_empty() && key == "metrics.bearer_token" {
            out.push(Problem::new(
                key,
                format!(
                    "is empty, which leaves /metrics open to anyone; {}",
                    how(key)
                ),
            ));
        } else if !value.starts_with(DEFAULT_SECRET_PREFIX) && value.len() < MIN_SECRET_BYTES {
            out.push(Problem::new(
                key,
                format!("is {} bytes; {}", value.len(), how(key)),
            ));
        }
    }
}

impl Settings {
    /// Every secret in the settings that has a value, by key.
    pub(super) fn secrets(&self) -> Vec<(&'static str, &str)> {
        let mut all = self.generated_secrets();
        all.push(("email.smtp_password", self.email.smtp_password.as_str()));
        if let Some(s3) = &self.media.s3
            && let Some(secret) = &s3.secret_access_key
        {
            all.push(("media.s3.secret_access_key", secret.as_str()));
        }
        if let Some(key) = &self.push.webpush_vapid_private_key {
            all.push(("push.webpush_vapid_private_key", key.as_str()));
        }
        all.retain(|(_, v)| !v.is_empty());
        all
    }

    /// The secrets an operator makes up (as opposed to credentials a provider hands out).
    fn generated_secrets(&self) -> Vec<(&'static str, &str)> {
        let mut all = vec![
            (
                "notifications.link_secret",
                self.notifications.link_secret.as_str(),
            ),
            ("metrics.bearer_token", self.metrics.bearer_token.as_str()),
        ];
        if self.auth.jwt_algorithm == JwtAlgorithm::HS256 {
            all.push(("auth.jwt_secret", self.auth.jwt_secret.as_str()));
            if !self.auth.jwt_previous_secret.is_empty() {
                all.push((
                    "auth.jwt_previous_secret",
                    self.auth.jwt_previous_secret.as_str(),
                ));
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Environment;

    /// The shipped production settings with every problem fixed.
    fn good() -> Settings {
        let mut s = Settings::assemble(Environment::Production, None, None).unwrap();
        s.server.public_url = "https://gopy.example.gov.vn".into();
        s.database.url = "postgres://nghedan@db.internal:5432/nghedan".into();
        s.auth.jwt_secret = "j".repeat(32);
        s.notifications.link_secret = "l".repeat(32);
        s.metrics.bearer_token = "m".repeat(32);
        s
    }

    fn keys(s: &Settings) -> Vec<String> {
        problems(s).into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn a_good_production_configuration_has_no_problems() {
        let s = good();
        assert_eq!(problems(&s), vec![]);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn the_shipped_production_settings_name_everything_to_set() {
        let s = Settings::assemble(Environment::Production, None, None).unwrap();
        assert_eq!(
            keys(&s),
            [
                "server.public_url",
                "database.url",
                "notifications.link_secret",
                "auth.jwt_secret",
                "metrics.bearer_token",
            ]
        );
        // All reported together, each with its way out.
        let err = s.validate().unwrap_err().to_string();
        assert!(err.starts_with("5 settings must change"), "{err}");
        assert!(err.contains("NGHEDAN__AUTH__JWT_SECRET_FILE"), "{err}");
        assert!(err.contains("allow_sqlite_in_production"), "{err}");
    }

    #[test]
    fn public_url_must_be_https_and_not_this_machine() {
        for (url, https, here) in [
            ("http://gopy.example.gov.vn", false, false),
            ("https://localhost:8443", true, true),
            ("https://app.localhost", true, true),
            ("https://127.0.0.2", true, true),
            ("https://[::1]", true, true),
            ("https://[::ffff:127.0.0.1]", true, true),
            ("https://0.0.0.0", true, true),
            ("http://127.0.0.1:8080", false, true),
            ("https://203.0.113.5", true, false),
        ] {
            let mut s = good();
            s.server.public_url = url.into();
            let found = problems(&s);
            assert_eq!(found.len(), usize::from(!https || here), "{url}");
            let message = found.first().map(|p| p.message.as_str()).unwrap_or("");
            assert_eq!(message.contains("not https"), !https, "{url}");
            assert_eq!(message.contains("names this machine"), here, "{url}");
        }
    }

    #[test]
    fn sqlite_only_when_allowed() {
        let mut s = good();
        s.database.url = "sqlite:///var/lib/nghedan/nghedan.db".into();
        assert_eq!(keys(&s), ["database.url"]);
        s.database.allow_sqlite_in_production = true;
        assert_eq!(keys(&s), Vec::<String>::new());
    }

    #[test]
    fn mail_must_really_be_sent_over_checked_tls() {
        let mut s = good();
        for backend in ["file", "memory"] {
            s.email.backend = backend.into();
            assert_eq!(keys(&s), ["email.backend"]);
        }
        s.email.backend = "smtp".into();
        s.email.smtp_accept_invalid_certs = true;
        assert_eq!(keys(&s), ["email.smtp_accept_invalid_certs"]);
    }

    #[test]
    fn stores_and_push_services_need_tls() {
        let mut s = good();
        s.media.store = "s3".into();
        s.media.s3 = Some(crate::media::S3Settings {
            bucket: "b".into(),
            region: "r".into(),
            endpoint: Some("http://minio:9000".into()),
            access_key_id: None,
            secret_access_key: None,
            allow_http: true,
        });
        s.push.apns_sandbox_base = Some("http://127.0.0.1:9".into());
        s.push.fcm_api_base = Some("https://fcm.example".into());
        assert_eq!(
            keys(&s),
            [
                "media.s3.allow_http",
                "media.s3.endpoint",
                "push.apns_sandbox_base"
            ]
        );
    }

    #[test]
    fn secrets_must_not_be_defaults_or_short() {
        let mut s = good();
        s.auth.jwt_previous_secret = "short".into();
        s.email.smtp_password = format!("{DEFAULT_SECRET_PREFIX}-smtp");
        s.notifications.link_secret = "l".repeat(31);
        s.metrics.bearer_token = String::new();
        assert_eq!(
            keys(&s),
            [
                "email.smtp_password",
                "notifications.link_secret",
                "metrics.bearer_token",
                "auth.jwt_previous_secret",
            ]
        );
        // A provider's credential may be short; only the secrets we make up are held to 32.
        s = good();
        s.email.smtp_password = "hunter2".into();
        assert_eq!(keys(&s), Vec::<String>::new());
    }
}
