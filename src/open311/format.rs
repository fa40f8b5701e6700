//! The two formats of GeoReport v2, from one tree: every answer is built once as a [`Node`]
//! and written as JSON or as XML (the spec's element names: a list is an element holding one
//! element per item, named by the list). Errors are the spec's `{code, description}` list.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use serde_json::{Map, Value};

/// The path suffix: `.xml` (the spec's own) or `.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "xml" => Some(Format::Xml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// An answer before it has a format.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Number(f64),
    Int(i64),
    Bool(bool),
    Null,
    /// Named fields, in the spec's order.
    Obj(Vec<(&'static str, Node)>),
    /// Items, each written in XML as an element with this name.
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    /// Text, or null when absent.
    pub fn opt(s: Option<impl Into<String>>) -> Node {
        s.map_or(Node::Null, |s| Node::Text(s.into()))
    }

    pub fn to_json(&self) -> Value {
        match self {
            Node::Text(s) => Value::String(s.clone()),
            Node::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Node::Int(n) => Value::from(*n),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Null,
            Node::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect::<Map<_, _>>(),
            ),
            Node::List(_, items) => Value::Array(items.iter().map(Node::to_json).collect()),
        }
    }

    /// The whole document, with `root` as the outer element.
    pub fn to_xml(&self, root: &str) -> String {
        let mut w = Writer::new(Vec::new());
        // Writing to a Vec cannot fail.
        let _ = w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
        write_xml(&mut w, root, self);
        String::from_utf8(w.into_inner()).unwrap_or_default()
    }

    pub fn render(&self, format: Format, root: &str) -> String {
        match format {
            Format::Json => self.to_json().to_string(),
            Format::Xml => self.to_xml(root),
        }
    }
}

fn write_xml(w: &mut Writer<Vec<u8>>, name: &str, node: &Node) {
    let scalar = match node {
        Node::Text(s) => Some(s.clone()),
        Node::Number(n) => Some(n.to_string()),
        Node::Int(n) => Some(n.to_string()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Null => {
            let _ = w.write_event(Event::Empty(BytesStart::new(name)));
            return;
        }
        Node::Obj(_) | Node::List(..) => None,
    };
    let _ = w.write_event(Event::Start(BytesStart::new(name)));
    match (node, scalar) {
        (_, Some(s)) => {
            let _ = w.write_event(Event::Text(BytesText::new(&xml_safe(&s))));
        }
        (Node::Obj(fields), None) => {
            for (k, v) in fields {
                write_xml(w, k, v);
            }
        }
        (Node::List(item, items), None) => {
            for v in items {
                write_xml(w, item, v);
            }
        }
        _ => {}
    }
    let _ = w.write_event(Event::End(BytesEnd::new(name)));
}

/// Characters XML 1.0 cannot carry at all (escaping does not help) are left out.
fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r')
                || ('\u{20}'..='\u{D7FF}').contains(&c)
                || ('\u{E000}'..='\u{FFFD}').contains(&c)
                || c >= '\u{10000}'
        })
        .collect()
}

/// An answer in `format` with `status`.
pub fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .body(node.render(format, root))
}

/// A GeoReport error: its HTTP status is also its `code`.
#[derive(Debug, Clone, PartialEq)]
pub struct Open311Error {
    pub status: StatusCode,
    pub description: String,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

impl Open311Error {
    pub fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error {
            status,
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    pub fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    pub fn node(&self) -> Node {
        Node::List(
            "error",
            vec![Node::Obj(vec![
                ("code", Node::Int(i64::from(self.status.as_u16()))),
                ("description", Node::text(&self.description)),
            ])],
        )
    }

    pub fn respond(&self, format: Format) -> HttpResponse {
        let mut res = respond(format, self.status, "errors", &self.node());
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        res
    }
}

/// The spec knows 400, 403 and 404; a rate limit keeps its 429 (with `Retry-After`), every
/// other refusal is a 400 that names nghedan's code and fields.
impl From<crate::api::error::ApiError> for Open311Error {
    fn from(e: crate::api::error::ApiError) -> Self {
        let status = e.status();
        let problem = e.to_problem(crate::i18n::Lang::En, "");
        let mut description = problem.code.clone();
        for f in &problem.errors {
            let field = f.field.trim_start_matches('/');
            description.push_str(&format!("; {field}: {}", f.code));
        }
        let retry_after = match e.error() {
            crate::error::AppError::Refused(r) => r.retry_after,
            _ => None,
        };
        match status {
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Open311Error::new(status, description),
            StatusCode::TOO_MANY_REQUESTS => Open311Error {
                status,
                description,
                retry_after: retry_after.or(Some(60)),
            },
            s if s.is_server_error() => {
                if let crate::error::AppError::Internal(cause) = e.error() {
                    tracing::error!(error = format!("{cause:#}"), "internal error");
                }
                Open311Error::new(s, "internal_error")
            }
            _ => Open311Error::bad_request(description),
        }
    }
}

impl From<crate::error::AppError> for Open311Error {
    fn from(e: crate::error::AppError) -> Self {
        crate::api::error::ApiError::from(e).into()
    }
}

impl From<crate::db::Error> for Open311Error {
    fn from(e: crate::db::Error) -> Self {
        crate::api::error::ApiError::from(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_arrays_in_json_and_named_elements_in_xml() {
        let n = Node::List(
            "service",
            vec![Node::Obj(vec![
                ("service_code", Node::text("a.b")),
                ("metadata", Node::Bool(true)),
                ("group", Node::Null),
            ])],
        );
        assert_eq!(
            n.to_json(),
            serde_json::json!([{"service_code": "a.b", "metadata": true, "group": null}])
        );
        assert_eq!(
            n.to_xml("services"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>a.b</service_code><metadata>true</metadata><group/></service></services>"
        );
    }

    #[test]
    fn xml_escapes_text_and_drops_what_xml_cannot_hold() {
        let n = Node::Obj(vec![("description", Node::text("a < b & \"c\"\u{1}"))]);
        let xml = n.to_xml("x");
        assert!(
            xml.contains("<description>a &lt; b &amp; &quot;c&quot;</description>"),
            "{xml}"
        );
    }

    #[test]
    fn errors_carry_the_status_as_code() {
        let e = Open311Error::not_found("service_code not found");
        assert_eq!(
            e.node().to_json(),
            serde_json::json!([{"code": 404, "description": "service_code not found"}])
        );
        assert!(e.node().to_xml("errors").contains(
            "<errors><error><code>404</code><description>service_code not found</description></error></errors>"
        ));
    }
}
