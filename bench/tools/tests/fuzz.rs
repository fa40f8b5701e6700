//! Bounded fuzzing of the parsers that take user input, with proptest (stable Rust: no
//! libFuzzer, see bench/README.md): category attribute definitions and answers, Web Push
//! subscriptions (and the device JSON around them), and CSV import rows. Each target asserts
//! that nothing panics and that every refusal is the typed error with a field the client can
//! act on.
//!
//! By default each target runs 256 cases (capped at 2 s), so `cargo test --workspace` stays
//! quick. `bench/fuzz` runs them long: `FUZZ_CASES` cases per target, stopping after
//! `FUZZ_SECONDS` seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use serde_json::{Map, Value};

use nghedan::domain::attributes::{self, Attribute};
use nghedan::domain::device::{self, PushTarget};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `test` on values of `strategy` in batches until `FUZZ_CASES` cases or `FUZZ_SECONDS`
/// have passed; a failure is shrunk and reported by proptest.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let cases = env_u64("FUZZ_CASES", 256);
    let budget = Duration::from_secs(env_u64("FUZZ_SECONDS", 2));
    let batch = cases.clamp(1, 1000) as u32;
    let start = Instant::now();
    let epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let ran = AtomicU64::new(0);
    let mut round = 0u128;
    while ran.load(Ordering::Relaxed) < cases && start.elapsed() < budget {
        // A fresh runner (and seed) per batch: a runner counts its cases once.
        let mut seed = [0u8; 32];
        seed[..16].copy_from_slice(&epoch.to_le_bytes());
        seed[16..].copy_from_slice(&round.to_le_bytes());
        round += 1;
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: batch,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed),
        );
        let result = runner.run(&strategy, |v| {
            ran.fetch_add(1, Ordering::Relaxed);
            test(v)
        });
        if let Err(e) = result {
            panic!("{name}: {e}");
        }
    }
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s, no failure",
        ran.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
}

/// Any JSON value, up to a few levels deep, with strings that mix ASCII, Vietnamese,
/// control characters and the odd astral-plane character.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_0-9]{0,12}",
        "\\PC{0,40}",
        ".{0,20}",
        "[ \t\r\n\u{0}\u{feff}\u{202e}ĐđỔổàáạ😀]{0,10}",
        Just(String::new()),
        Just("2026-12-03T10:00:00+07:00".to_string()),
    ]
}

/// Definitions that are mostly well formed, so the answers checker gets real work.
fn definitions() -> impl Strategy<Value = Vec<Attribute>> {
    let datatype = prop_oneof![
        Just("string"),
        Just("number"),
        Just("datetime"),
        Just("text"),
        Just("singlevaluelist"),
        Just("multivaluelist"),
    ];
    let one = (
        "[a-z_]{1,6}",
        datatype,
        any::<bool>(),
        prop::collection::vec("[a-z]{0,3}", 0..4),
    )
        .prop_map(|(code, dt, required, keys)| {
            serde_json::json!({
                "code": code, "datatype": dt, "required": required,
                "description": {"vi": "Mô tả", "en": "Description"},
                "values": keys.iter().map(|k| serde_json::json!({"key": k, "name": {"vi": k, "en": k}})).collect::<Vec<_>>(),
            })
        });
    prop::collection::vec(one, 0..6).prop_map(|defs| {
        serde_json::from_value::<Vec<Attribute>>(Value::Array(defs)).unwrap_or_default()
    })
}

fn answers_for(defs: &[Attribute]) -> impl Strategy<Value = Map<String, Value>> + use<> {
    let mut keys: Vec<String> = defs.iter().map(|d| d.code.clone()).collect();
    keys.push("unknown".into());
    let values: Vec<Value> = defs
        .iter()
        .flat_map(|d| d.values.iter().map(|v| Value::String(v.key.clone())))
        .collect();
    let value = prop_oneof![
        json(),
        prop::sample::select(if values.is_empty() {
            vec![Value::Null]
        } else {
            values.clone()
        }),
        prop::collection::vec(
            prop::sample::select(if values.is_empty() {
                vec![Value::Null]
            } else {
                values
            }),
            0..5
        )
        .prop_map(Value::Array),
    ];
    prop::collection::btree_map(prop::sample::select(keys), value, 0..6)
        .prop_map(|m| m.into_iter().collect())
}

#[test]
fn attribute_definitions_from_any_json() {
    fuzz("attribute definitions", json(), |v| {
        if let Ok(defs) = serde_json::from_value::<Vec<Attribute>>(v)
            && let Err(errors) = attributes::check_definitions(&defs)
        {
            prop_assert!(!errors.is_empty());
            for (pointer, code) in errors {
                prop_assert!(pointer.is_empty() || pointer.starts_with('/'));
                prop_assert!(!code.is_empty());
            }
        }
        Ok(())
    });
}

#[test]
fn attribute_answers_against_any_definitions() {
    let strategy = definitions().prop_flat_map(|defs| {
        let answers = prop_oneof![
            answers_for(&defs),
            json().prop_map(|v| match v {
                Value::Object(m) => m,
                other => Map::from_iter([("x".to_string(), other)]),
            }),
        ];
        (Just(defs), answers)
    });
    fuzz("attribute answers", strategy, |(defs, answers)| {
        match attributes::check_answers(&defs, &answers) {
            Ok(kept) => {
                for key in kept.keys() {
                    prop_assert!(defs.iter().any(|d| &d.code == key), "kept unknown {key}");
                }
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for (pointer, code) in errors {
                    prop_assert!(pointer.starts_with('/'));
                    // The last two: a free-text answer that breaks the text rule
                    // (`domain::text::check_free_text`).
                    prop_assert!(
                        [
                            "unknown_field",
                            "required",
                            "invalid_value",
                            "control_character",
                            "invisible_text"
                        ]
                        .contains(&code),
                        "unexpected code {code}"
                    );
                }
            }
        }
        Ok(())
    });
}

/// Endpoints: arbitrary text, and URLs close to real ones (schemes, hosts, ports, odd bytes).
fn endpoint() -> impl Strategy<Value = String> {
    prop_oneof![
        text(),
        (
            prop_oneof![
                Just("https".to_string()),
                Just("http".to_string()),
                Just("ftp".to_string()),
                Just("HTTPS".to_string()),
                "[a-z]{1,5}"
            ],
            prop_oneof![
                Just("fcm.googleapis.com".to_string()),
                Just("127.0.0.1".to_string()),
                Just("[::1]".to_string()),
                Just("localhost".to_string()),
                Just("xn--bcher-kva.example".to_string()),
                "\\PC{0,12}",
            ],
            prop::option::of(any::<u16>()),
            "\\PC{0,30}",
        )
            .prop_map(|(s, h, port, path)| match port {
                Some(p) => format!("{s}://{h}:{p}/{path}"),
                None => format!("{s}://{h}/{path}"),
            }),
    ]
}

/// base64url of random bytes around the valid lengths, sometimes padded or mangled.
fn key(len: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    use base64_like::encode;
    prop_oneof![
        text(),
        (
            prop::collection::vec(any::<u8>(), len),
            0..4usize,
            any::<bool>()
        )
            .prop_map(|(mut bytes, pad, first_is_4)| {
                if first_is_4 && !bytes.is_empty() {
                    bytes[0] = 4;
                }
                format!("{}{}", encode(&bytes), "=".repeat(pad))
            }),
    ]
}

/// A base64url encoder without padding (the test does not need another dependency).
mod base64_like {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }
}

#[test]
fn web_push_subscriptions() {
    let strategy = (endpoint(), key(60..70), key(12..20), any::<bool>());
    fuzz(
        "web push subscription",
        strategy,
        |(endpoint, p256dh, auth, loopback)| {
            match device::web_push(&endpoint, &p256dh, &auth, loopback) {
                Ok(PushTarget::WebPush {
                    endpoint: e,
                    p256dh,
                    auth,
                }) => {
                    let url =
                        url::Url::parse(&e).map_err(|x| TestCaseError::fail(x.to_string()))?;
                    prop_assert!(url.scheme() == "https" || (loopback && url.scheme() == "http"));
                    prop_assert_eq!(p256dh.len(), 87); // 65 bytes, base64url unpadded
                    prop_assert_eq!(auth.len(), 22); // 16 bytes
                }
                Ok(other) => prop_assert!(false, "not a Web Push target: {other:?}"),
                Err((field, code)) => {
                    prop_assert!(field.starts_with("/subscription/"));
                    prop_assert!(["invalid_url", "https_required", "invalid_key"].contains(&code));
                }
            }
            Ok(())
        },
    );
}

#[test]
fn device_requests_from_any_json() {
    let strategy = prop_oneof![
        json(),
        (endpoint(), key(60..70), key(12..20), json()).prop_map(|(e, p, a, extra)| {
            serde_json::json!({"platform": "webpush",
                "subscription": {"endpoint": e, "keys": {"p256dh": p, "auth": a}, "expirationTime": extra}})
        }),
    ];
    fuzz("device request JSON", strategy, |v| {
        let raw = v.to_string();
        if let Ok(req) = serde_json::from_str::<nghedan::api::me::DeviceRequest>(&raw)
            && let Some(s) = req.subscription
        {
            let _ = device::web_push(&s.endpoint, &s.keys.p256dh, &s.keys.auth, false);
        }
        if let Some(token) = v.get("token").and_then(Value::as_str) {
            let _ = device::fcm(token);
            let _ = device::apns(token, v.get("environment").and_then(Value::as_str));
        }
        Ok(())
    });
}

mod csv_import {
    use super::*;
    use nghedan::db::{DbConn, Pool};
    use nghedan::import::{self, ImportError};

    const UNIT_HEADER: &str =
        "code,name_vi,name_en,kind,parent_code,email,area_codes,category_codes,sees_subunits";
    const RULE_HEADER: &str = "category_code,area_code,kind,unit_code,priority";

    /// A migrated SQLite database with the reference data and the demo organisation, so that
    /// rows can name real areas, categories and units.
    fn database(dir: &std::path::Path) -> Pool {
        nghedan::startup::install_crypto();
        let settings = nghedan::config::DatabaseSettings {
            url: format!("sqlite://{}", dir.join("fuzz.db").display()),
            pool_size: 1,
            acquire_timeout_ms: 5000,
            busy_timeout_ms: 5000,
            migrate_on_start: true,
            allow_sqlite_in_production: false,
            prepared_statements: true,
            sqlite_mmap_mb: 0,
            replica_url: String::new(),
            replica_fallback: nghedan::config::ReplicaFallback::Primary,
        };
        let pool = nghedan::db::build_pool(&settings).expect("pool");
        let mut conn = pool.get().expect("connection");
        let now = chrono::Utc::now().naive_utc();
        nghedan::db::migrate::run_pending(&mut conn).expect("migrations");
        nghedan::db::reference::load(&mut conn, now).expect("reference data");
        nghedan::seed::demo(&mut conn, "not-a-real-hash", now).expect("demo data");
        drop(conn);
        pool
    }

    /// A cell: arbitrary text, or a value the database knows (so some rows pass).
    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            3 => text(),
            1 => prop::sample::select(vec![
                "31135", "92", "duong-hong", "UBND-X31135", "UBND-T92", "people_committee",
                "department", "feedback", "complaint", "true", "0", "100", "-1", "1000001",
                "a@b.vn", "x@", "31135;31138", "duong-hong | rac-thai", "31135 31135",
                "duong-hong;duong-hong", "UBND-X31135;", "\u{0}",
            ])
            .prop_map(String::from),
            1 => "\"[^\"]{0,10}\"",
        ]
    }

    /// Text without the CSV separators, so a generated row keeps its columns.
    fn plain() -> impl Strategy<Value = String> {
        prop_oneof!["[^,\"\r\n]{1,20}", "[A-Z0-9-]{1,12}", Just(String::new())]
    }

    fn pick(values: &'static [&'static str]) -> impl Strategy<Value = String> {
        prop_oneof![
            3 => prop::sample::select(values).prop_map(String::from),
            1 => plain(),
        ]
    }

    /// A units row that often passes every check.
    fn unit_row() -> impl Strategy<Value = String> {
        (
            "[A-Z]{2,6}-[0-9]{1,6}",
            plain(),
            plain(),
            pick(&[
                "people_committee",
                "department",
                "inspection_board",
                "other",
            ]),
            pick(&["", "", "UBND-T92", "UBND-X31135"]),
            pick(&["", "hop-thu@ubnd.gov.vn", "Hop.Thu@UBND.gov.vn"]),
            pick(&["", "31135", "31135 31135", "92;31135", "31138|31135"]),
            pick(&[
                "",
                "duong-hong",
                "duong-hong;duong-hong",
                "rac-thai duong-hong",
            ]),
            pick(&["", "true", "false", "1", "0"]),
        )
            .prop_map(|(code, vi, en, kind, parent, email, areas, cats, sees)| {
                [code, vi, en, kind, parent, email, areas, cats, sees].join(",")
            })
    }

    /// A rules row that often passes every check.
    fn rule_row() -> impl Strategy<Value = String> {
        (
            pick(&["duong-hong", "rac-thai", "tham-nhung"]),
            pick(&["", "31135", "92"]),
            pick(&["", "feedback", "complaint", "denunciation", "petition"]),
            pick(&["UBND-X31135", "UBND-T92", "DIEU-PHOI"]),
            pick(&["", "0", "100", "1000000", "1000001", "-1", "+5", " 7"]),
        )
            .prop_map(|(c, a, k, u, p)| [c, a, k, u, p].join(","))
    }

    /// A CSV text: the right header (or a mangled one), then rows — generated to pass, or of
    /// arbitrary cells — with stray quotes, BOMs, CRLF and ragged rows.
    fn file(header: &'static str) -> impl Strategy<Value = String> {
        let good = if header == UNIT_HEADER {
            unit_row().boxed()
        } else {
            rule_row().boxed()
        };
        let row = prop_oneof![
            3 => good,
            1 => prop::collection::vec(cell(), 0..11).prop_map(|c| c.join(",")),
        ];
        (
            prop_oneof![
                4 => Just(header.to_string()),
                1 => text(),
                1 => Just(format!("\u{feff}{header}")),
            ],
            prop::collection::vec(row, 0..6),
            prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        )
            .prop_map(|(h, rows, nl)| {
                let mut s = h;
                for r in rows {
                    s.push_str(nl);
                    s.push_str(&r);
                }
                s
            })
    }

    /// Files that wrote at least one row (to show the write path is reached).
    static WROTE: AtomicU64 = AtomicU64::new(0);

    fn check(result: Result<usize, ImportError>) -> Result<(), TestCaseError> {
        match result {
            Ok(n) => {
                if n > 0 {
                    WROTE.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
            Err(ImportError::Rows(rows)) => {
                prop_assert!(!rows.is_empty());
                for r in &rows {
                    prop_assert!(!r.problem.is_empty());
                    let _ = r.to_string();
                }
                Ok(())
            }
            // A file every check passed must not fail in the database.
            Err(ImportError::Db(e)) => Err(TestCaseError::fail(format!(
                "checked rows failed to write: {e}"
            ))),
        }
    }

    fn run(header: &'static str, import: fn(&mut DbConn, &str) -> Result<usize, ImportError>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let pool = database(dir.path());
        let name = if header == UNIT_HEADER {
            "CSV units"
        } else {
            "CSV rules"
        };
        fuzz(name, file(header), |text| {
            let mut conn = pool.get().map_err(|e| TestCaseError::fail(e.to_string()))?;
            check(import(&mut conn, &text))
        });
        eprintln!(
            "fuzz {name}: {} files imported at least one row",
            WROTE.load(Ordering::Relaxed)
        );
    }

    #[test]
    fn unit_rows() {
        run(UNIT_HEADER, |c, t| {
            import::units(c, t, chrono::Utc::now().naive_utc(), &Default::default())
        });
    }

    #[test]
    fn rule_rows() {
        run(RULE_HEADER, |c, t| {
            import::rules(c, t, chrono::Utc::now().naive_utc(), &Default::default())
        });
    }
}
