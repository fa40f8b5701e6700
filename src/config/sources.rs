//! The settings that come from the environment: `NGHEDAN__SECTION__KEY` variables, and for each
//! secret `NGHEDAN__SECTION__KEY_FILE`, the path of a file holding it (Docker secrets, systemd
//! credentials).

use std::collections::BTreeMap;

use super::production::env_var;
use super::{Problem, SettingsError};

/// The secrets that may be read from a file, by key.
pub const FILE_SECRETS: &[&str] = &[
    "auth.jwt_secret",
    "auth.jwt_previous_secret",
    "notifications.link_secret",
    "metrics.bearer_token",
    "email.smtp_password",
    "media.s3.secret_access_key",
    "push.webpush_vapid_private_key",
    // They hold the database password.
    "database.url",
    "database.replica_url",
];

const PREFIX: &str = "NGHEDAN__";

/// The process's `NGHEDAN__…` variables, names in capitals.
pub fn process_vars() -> Result<BTreeMap<String, String>, SettingsError> {
    let mut vars = BTreeMap::new();
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().map(str::to_ascii_uppercase) else {
            continue;
        };
        if !name.starts_with(PREFIX) {
            continue;
        }
        let value = value.into_string().map_err(|_| SettingsError::Invalid {
            key: name.clone(),
            message: "is not valid UTF-8".into(),
        })?;
        vars.insert(name, value);
    }
    Ok(vars)
}

/// `vars` with each secret's `…_FILE` replaced by the file's content (one trailing newline
/// trimmed, as `echo` and editors add it). A secret set both ways is an error.
pub fn read_secret_files(
    mut vars: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut problems = Vec::new();
    for key in FILE_SECRETS {
        let name = env_var(key);
        let file_var = format!("{name}_FILE");
        let Some(path) = vars.remove(&file_var) else {
            continue;
        };
        if vars.contains_key(&name) {
            problems.push(Problem::new(
                key,
                format!("is set by both {name} and {file_var}; set only one"),
            ));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let text = text.strip_suffix('\n').unwrap_or(&text);
                let text = text.strip_suffix('\r').unwrap_or(text);
                vars.insert(name, text.to_string());
            }
            Err(e) => problems.push(Problem::new(
                key,
                format!("{file_var}: cannot read `{path}`: {e}"),
            )),
        }
    }
    SettingsError::from_problems(problems).map(|()| vars)
}

/// The configuration source over `vars`. Values are never guessed into numbers or booleans
/// here (`0123456` stays a string): each is converted to the type its setting asks for.
pub fn environment(vars: BTreeMap<String, String>) -> config::Environment {
    config::Environment::with_prefix("NGHEDAN")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(false)
        .source(Some(vars.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    #[test]
    fn a_secret_file_is_read_without_its_trailing_newline() {
        let secret = file("s3cr3t-from-a-file\n");
        let crlf = file("line\r\n");
        let kept = file("two newlines\n\n");
        let read = read_secret_files(vars(&[
            (
                "NGHEDAN__AUTH__JWT_SECRET_FILE",
                secret.path().to_str().unwrap(),
            ),
            (
                "NGHEDAN__EMAIL__SMTP_PASSWORD_FILE",
                crlf.path().to_str().unwrap(),
            ),
            (
                "NGHEDAN__NOTIFICATIONS__LINK_SECRET_FILE",
                kept.path().to_str().unwrap(),
            ),
            // Not a secret: a real setting whose name ends in _FILE, left alone.
            (
                "NGHEDAN__AUTH__JWT_PRIVATE_KEY_FILE",
                "/etc/nghedan/ed25519.pem",
            ),
        ]))
        .unwrap();
        assert_eq!(
            read,
            vars(&[
                ("NGHEDAN__AUTH__JWT_SECRET", "s3cr3t-from-a-file"),
                ("NGHEDAN__EMAIL__SMTP_PASSWORD", "line"),
                ("NGHEDAN__NOTIFICATIONS__LINK_SECRET", "two newlines\n"),
                (
                    "NGHEDAN__AUTH__JWT_PRIVATE_KEY_FILE",
                    "/etc/nghedan/ed25519.pem"
                ),
            ])
        );
    }

    #[test]
    fn a_secret_set_both_ways_or_in_a_missing_file_is_an_error() {
        let secret = file("x");
        let err = read_secret_files(vars(&[
            ("NGHEDAN__AUTH__JWT_SECRET", "direct"),
            (
                "NGHEDAN__AUTH__JWT_SECRET_FILE",
                secret.path().to_str().unwrap(),
            ),
            ("NGHEDAN__DATABASE__URL_FILE", "/nonexistent/nghedan-db-url"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("2 settings must change"), "{err}");
        assert!(
            err.contains(
                "`auth.jwt_secret`: is set by both NGHEDAN__AUTH__JWT_SECRET and \
                 NGHEDAN__AUTH__JWT_SECRET_FILE"
            ),
            "{err}"
        );
        assert!(
            err.contains("`database.url`: NGHEDAN__DATABASE__URL_FILE: cannot read `/nonexistent"),
            "{err}"
        );
    }

    #[test]
    fn every_secret_can_come_from_a_file() {
        let mut settings =
            crate::config::Settings::assemble(crate::config::Environment::Test, None, None)
                .unwrap();
        settings.email.smtp_password = "p".into();
        settings.metrics.bearer_token = "m".into();
        settings.auth.jwt_previous_secret = "q".into();
        settings.push.webpush_vapid_private_key = Some("k".into());
        settings.media.s3 = Some(crate::media::S3Settings {
            bucket: "b".into(),
            region: "r".into(),
            endpoint: None,
            access_key_id: None,
            secret_access_key: Some("s".into()),
            allow_http: false,
        });
        assert_eq!(settings.secrets().len(), 7);
        for (key, _) in settings.secrets() {
            assert!(FILE_SECRETS.contains(&key), "{key}");
        }
    }
}
