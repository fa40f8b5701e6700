//! Extractors that turn every kind of bad input into the problem the conventions name:
//! 415 for a wrong content type, 413 over the limit, 400 `malformed_json` for bad syntax, and
//! 422 `validation_failed` with a JSON Pointer for unknown fields, wrong types and bad values.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;

use crate::api::error::ApiError;
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::state::AppState;

/// Per-request facts every handler may need: the request id and the caller's language.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub lang: Lang,
}

impl FromRequest for RequestContext {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(req
            .extensions()
            .get::<RequestContext>()
            .cloned()
            .unwrap_or(RequestContext {
                request_id: String::new(),
                lang: Lang::Vi,
            })))
    }
}

/// A JSON body, parsed with the conventions' error rules.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = read_json_body(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(ApiJson) })
    }
}

/// A JSON body that may be left out entirely (no body, no content type): then the default.
/// A body that is sent follows [`ApiJson`]'s rules.
#[derive(Debug)]
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let length = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let typed = req
            .headers()
            .contains_key(actix_web::http::header::CONTENT_TYPE);
        let chunked = req
            .headers()
            .contains_key(actix_web::http::header::TRANSFER_ENCODING);
        if !typed && !chunked && length.unwrap_or(0) == 0 {
            return Box::pin(ready(Ok(OptionalJson(T::default()))));
        }
        let body = read_json_body(req, payload);
        Box::pin(async move { parse_json(&body.await?).map(OptionalJson) })
    }
}

/// Reads a JSON request body: 415 unless the content type is JSON, 413 over
/// `server.json_limit_bytes` (checked against `Content-Length` first, then while reading).
pub fn read_json_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> LocalBoxFuture<'static, Result<web::Bytes, ApiError>> {
    let (limit, max_depth) = req
        .app_data::<web::Data<AppState>>()
        .map(|s| {
            (
                s.settings.server.json_limit_bytes,
                s.settings.server.json_max_depth,
            )
        })
        .unwrap_or((1 << 20, 32));
    let is_json = matches!(req.mime_type(), Ok(Some(m))
        if m.essence_str() == "application/json" || m.suffix().is_some_and(|s| s == "json"));
    if !is_json {
        return Box::pin(ready(Err(unsupported_media_type("application/json"))));
    }
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Box::pin(ready(Err(payload_too_large(limit))));
    }
    let mut payload = payload.take();
    Box::pin(async move {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| {
                ApiError::bad_request("malformed_json").arg("reason", e.to_string())
            })?;
            if body.len() + chunk.len() > limit {
                return Err(payload_too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        if json_depth(&body) > max_depth {
            return Err(ApiError::bad_request("malformed_json")
                .arg("reason", format!("nested deeper than {max_depth} levels")));
        }
        Ok(body.freeze())
    })
}

/// The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not
/// count); cheap, so the parser never recurses on a hostile body.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

pub fn unsupported_media_type(expected: &str) -> ApiError {
    ApiError::client(
        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .arg("expected", expected)
}

pub fn payload_too_large(limit: usize) -> ApiError {
    ApiError::client(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .arg("limit", limit)
}

/// Parses JSON: syntax errors are 400 `malformed_json`, data errors 422 with the field's
/// JSON Pointer.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first, over the whole body: the typed pass stops at its first data error, so a
    // truncated `{"unknown": ` would otherwise be reported as an unknown field.
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes)
        .map_err(|e| ApiError::bad_request("malformed_json").arg("reason", e.to_string()))?;
    refuse_nul_in_json(bytes)?;
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, T>(&mut *de).map_err(|err| {
        let pointer = pointer_of(err.path());
        let inner = err.into_inner();
        if inner.is_data() {
            ApiError::validation(vec![field_error(pointer, &strip_position(&inner))])
        } else {
            ApiError::bad_request("malformed_json").arg("reason", inner.to_string())
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request("malformed_json").arg("reason", e.to_string()))?;
    Ok(value)
}

/// Refuses a JSON body with U+0000 in any string or key (PostgreSQL cannot store it in text;
/// no field of ours has a use for it): 422 `nul_character` at each such place. Decided here,
/// where every body is parsed, so no route can pass one on.
fn refuse_nul_in_json(bytes: &[u8]) -> Result<(), ApiError> {
    // Valid JSON can carry U+0000 only as the escape `\u0000`.
    if !bytes.windows(6).any(|w| w == br"\u0000") {
        return Ok(());
    }
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request("malformed_json").arg("reason", e.to_string()))?;
    let mut found = Vec::new();
    nul_pointers(&value, String::new(), &mut found);
    if found.is_empty() {
        return Ok(());
    }
    Err(ApiError::validation(
        found
            .into_iter()
            .map(|pointer| FieldError::new(pointer, "nul_character"))
            .collect(),
    ))
}

/// JSON Pointers of the strings (and of the members whose keys) holding U+0000.
pub fn nul_pointers(value: &serde_json::Value, at: String, found: &mut Vec<String>) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => found.push(at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_pointers(item, format!("{at}/{i}"), found);
            }
        }
        Value::Object(members) => {
            for (key, item) in members {
                let here = format!("{at}/{}", escape_pointer(key));
                if key.contains('\0') {
                    found.push(here);
                } else {
                    nul_pointers(item, here, found);
                }
            }
        }
        _ => {}
    }
}

/// For `Option<Option<T>>` fields of a PATCH: `Some(None)` when the field is `null`, `None`
/// when it is absent (use with `#[serde(default, deserialize_with = "nullable")]`).
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Query parameters, with the same error rules (the pointer names the parameter).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(ApiQuery))
    }
}

pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    // As in bodies: U+0000 (`%00`) in a parameter's name or value is refused here, for every
    // route.
    let nul: Vec<FieldError> = url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| FieldError::new(format!("/{}", escape_pointer(&k)), "nul_character"))
        .collect();
    if !nul.is_empty() {
        return Err(ApiError::validation(nul));
    }
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize::<_, T>(de).map_err(|err| {
        let pointer = pointer_of(err.path());
        let message = err.into_inner().to_string();
        ApiError::validation(vec![field_error(pointer, &message)])
    })
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", escape_pointer(key))),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// serde's messages name the field in backticks. The path of an unknown field already ends
/// with it; a missing field is reported at its parent, so it is appended.
fn field_error(pointer: String, message: &str) -> FieldError {
    if message.starts_with("unknown field") {
        FieldError::new(pointer, "unknown_field")
    } else if message.starts_with("missing field") {
        let field = message
            .split('`')
            .nth(1)
            .map(|f| format!("{pointer}/{}", escape_pointer(f)))
            .unwrap_or(pointer);
        FieldError::new(field, "missing_field")
    } else if message.starts_with("invalid type") {
        FieldError::new(pointer, "invalid_type").arg("reason", message)
    } else {
        FieldError::new(pointer, "invalid_value").arg("reason", message)
    }
}

fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        items: Vec<Inner>,
    }

    fn problem(r: Result<Body, ApiError>) -> (u16, String, Vec<(String, String)>) {
        let p = r.unwrap_err().to_problem(Lang::En, "t");
        (
            p.status,
            p.code,
            p.errors.into_iter().map(|e| (e.field, e.code)).collect(),
        )
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a": [1, {"b": "[[[{"}]}"#), 3);
        assert_eq!(json_depth(br#""\"[[""#), 0);
        assert_eq!(json_depth(&[b'['; 100]), 100);
    }

    #[test]
    fn syntax_errors_are_400() {
        let (s, c, _) = problem(parse_json(br#"{"name": "#));
        assert_eq!((s, c.as_str()), (400, "malformed_json"));
        let (s, _, _) = problem(parse_json(br#"{"name":"a","items":[]} x"#));
        assert_eq!(s, 400);
    }

    #[test]
    fn an_incomplete_body_is_a_syntax_error_whatever_its_fields() {
        for body in [
            &br#"{"broken": "#[..],
            br#"{"name": "a", "extra": 1"#,
            br#"{"items": [{"n": "x"}"#,
            br#"{"name": "a", "items": []"#,
            br#"{"name": "a", "items": []}}"#,
        ] {
            let (s, c, e) = problem(parse_json(body));
            assert_eq!((s, c.as_str()), (400, "malformed_json"), "{body:?}");
            assert!(e.is_empty());
        }
    }

    #[test]
    fn data_errors_are_422_with_a_pointer() {
        let (s, c, e) = problem(parse_json(br#"{"name":"a","items":[{"n":"x"}]}"#));
        assert_eq!((s, c.as_str()), (422, "validation_failed"));
        assert_eq!(e, vec![("/items/0/n".into(), "invalid_type".into())]);

        let (_, _, e) = problem(parse_json(br#"{"name":"a","items":[],"extra":1}"#));
        assert_eq!(e, vec![("/extra".into(), "unknown_field".into())]);

        let (_, _, e) = problem(parse_json(br#"{"items":[]}"#));
        assert_eq!(e, vec![("/name".into(), "missing_field".into())]);
    }

    #[test]
    fn nul_anywhere_in_a_body_is_refused_at_its_pointer() {
        let (s, c, e) = problem(parse_json(
            br#"{"name": "a\u0000b", "items": [{"n": 1}, {"n": 2, "x\u0000": 1}]}"#,
        ));
        assert_eq!((s, c.as_str()), (422, "validation_failed"));
        assert_eq!(
            e,
            vec![
                ("/items/1/x\0".to_string(), "nul_character".to_string()),
                ("/name".to_string(), "nul_character".to_string()),
            ]
        );
        // An escaped backslash before `u0000` is text, not U+0000.
        let body: Body = parse_json(br#"{"name": "a\\u0000", "items": []}"#).unwrap();
        assert_eq!(body.name, "a\\u0000");
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Q {
            limit: Option<u32>,
        }
        let q: Q = parse_query("limit=5").unwrap();
        assert_eq!(q.limit, Some(5));
        let p = parse_query::<Q>("limit=abc")
            .unwrap_err()
            .to_problem(Lang::En, "");
        assert_eq!(p.errors[0].field, "/limit");
        let p = parse_query::<Q>("limt=1")
            .unwrap_err()
            .to_problem(Lang::En, "");
        assert_eq!(p.errors[0].field, "/limt");
        assert_eq!(p.errors[0].code, "unknown_field");
        let p = parse_query::<Q>("limit=1%00")
            .unwrap_err()
            .to_problem(Lang::En, "");
        assert_eq!(
            (p.errors[0].field.as_str(), p.errors[0].code.as_str()),
            ("/limit", "nul_character")
        );
    }
}
