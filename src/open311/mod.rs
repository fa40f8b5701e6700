//! Open311 GeoReport v2: a second door onto the same tickets. This module holds what does not
//! depend on HTTP: the formats ([`format`]), the status mapping ([`status`]), services and
//! their attributes as the spec shapes them, the answers of a POSTed form, and the clients'
//! keys. The handlers are `api::open311`.
//!
//! Services are the leaf categories that feedback and petitions use: complaints and
//! denunciations carry legal duties (a named complainant, a protected denouncer) that a
//! generic client cannot meet.

pub mod clients;
pub mod format;
pub mod moderation;
pub mod status;

use serde_json::{Map, Value};

use crate::db::categories::Category;
use crate::domain::attributes::{Attribute, Datatype};
use crate::domain::ticket::Kind;
use crate::i18n::Lang;
use format::Node;

/// The categories offered as services: active leaves whose default kind is feedback or a
/// petition, in display order.
pub fn services(all: &[Category]) -> Vec<&Category> {
    all.iter()
        .filter(|c| c.active && offered_kind(c).is_some())
        .filter(|c| {
            !all.iter()
                .any(|o| o.active && o.parent_code.as_deref() == Some(c.code.as_str()))
        })
        .collect()
}

/// The kind a service's requests are, if the category is offered at all.
pub fn offered_kind(c: &Category) -> Option<Kind> {
    match c.default_kind.as_str() {
        "feedback" => Some(Kind::Feedback),
        "petition" => Some(Kind::Petition),
        _ => None,
    }
}

/// The service named `code`, if offered.
pub fn service<'a>(all: &'a [Category], code: &str) -> Option<&'a Category> {
    services(all).into_iter().find(|c| c.code == code)
}

fn name(c: &Category, lang: Lang) -> &str {
    lang.pick(&c.name_vi, &c.name_en)
}

/// What the service list says about every service: what happens to a request and who reads it.
fn description(c: &Category, lang: Lang) -> String {
    let name = name(c, lang);
    match lang {
        Lang::En => format!(
            "{name}. A request sent here is public from submission (its service, description, status, dates and a location rounded to about 110 m; never the sender's name or contact) and goes to the responsible unit with its legal answer deadline; the unit may refuse or hide it."
        ),
        _ => format!(
            "{name}. Phản ánh gửi qua đây được công khai ngay khi gửi (loại, nội dung, trạng thái, thời gian và vị trí làm tròn khoảng 110 m; không bao giờ công khai tên hay liên lạc của người gửi) và được chuyển đến đơn vị có thẩm quyền kèm hạn trả lời theo luật; đơn vị có thể từ chối hoặc ẩn."
        ),
    }
}

/// One entry of `services.{fmt}`.
pub fn service_node(c: &Category, all: &[Category], lang: Lang) -> Node {
    let group = c
        .parent_code
        .as_deref()
        .and_then(|p| all.iter().find(|o| o.code == p))
        .map(|p| name(p, lang).to_string());
    Node::Obj(vec![
        ("service_code", Node::text(&c.code)),
        ("service_name", Node::text(name(c, lang))),
        ("description", Node::text(description(c, lang))),
        ("metadata", Node::Bool(!c.attributes().is_empty())),
        ("type", Node::text("realtime")),
        (
            "keywords",
            Node::text(format!("{}, {}, {}", c.code, c.name_vi, c.name_en)),
        ),
        ("group", Node::opt(group)),
    ])
}

fn datatype(d: Datatype) -> &'static str {
    match d {
        Datatype::String => "string",
        Datatype::Number => "number",
        Datatype::Datetime => "datetime",
        Datatype::Text => "text",
        Datatype::Singlevaluelist => "singlevaluelist",
        Datatype::Multivaluelist => "multivaluelist",
    }
}

fn datatype_description(d: Datatype, lang: Lang) -> Option<&'static str> {
    match (d, lang) {
        (Datatype::Number, Lang::En) => Some("A number, e.g. 15 or 2.5"),
        (Datatype::Number, _) => Some("Một số, ví dụ 15 hoặc 2.5"),
        (Datatype::Datetime, Lang::En) => Some("A W3C datetime, e.g. 2026-12-06T08:30:00+07:00"),
        (Datatype::Datetime, _) => Some("Thời điểm theo W3C, ví dụ 2026-12-06T08:30:00+07:00"),
        (Datatype::Multivaluelist, Lang::En) => {
            Some("One or more keys: repeat attribute[CODE][]=KEY")
        }
        (Datatype::Multivaluelist, _) => Some("Một hay nhiều khóa: lặp lại attribute[CODE][]=KEY"),
        _ => None,
    }
}

/// The category's form fields in the spec's order, numbered from 1.
fn ordered(c: &Category) -> Vec<Attribute> {
    let mut defs = c.attributes();
    defs.sort_by(|a, b| (a.order, &a.code).cmp(&(b.order, &b.code)));
    defs
}

/// `services/{code}.{fmt}`: the form fields as Open311 attributes.
pub fn definition_node(c: &Category, lang: Lang) -> Node {
    let attributes = ordered(c)
        .iter()
        .enumerate()
        .map(|(i, a)| {
            Node::Obj(vec![
                ("variable", Node::Bool(true)),
                ("code", Node::text(&a.code)),
                ("datatype", Node::text(datatype(a.datatype))),
                ("required", Node::Bool(a.required)),
                (
                    "datatype_description",
                    Node::opt(datatype_description(a.datatype, lang)),
                ),
                ("order", Node::Int(i as i64 + 1)),
                (
                    "description",
                    Node::text(lang.pick(&a.description.vi, &a.description.en)),
                ),
                (
                    "values",
                    Node::List(
                        "value",
                        a.values
                            .iter()
                            .map(|v| {
                                Node::Obj(vec![
                                    ("key", Node::text(&v.key)),
                                    ("name", Node::text(lang.pick(&v.name.vi, &v.name.en))),
                                ])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Node::Obj(vec![
        ("service_code", Node::text(&c.code)),
        ("attributes", Node::List("attribute", attributes)),
    ])
}

/// The answers of a form's `attribute[CODE]=v` and (multivaluelists) every repeated
/// `attribute[CODE][]=v`, as the app's `attributes` object, for the same check. A number is
/// sent as a number when it reads as one; an empty value is no answer.
pub fn answers(defs: &[Attribute], pairs: &[(String, String)]) -> Map<String, Value> {
    let mut singles: Vec<(String, String)> = Vec::new();
    let mut multi: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        let Some(inner) = k.strip_prefix("attribute[") else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        if let Some(code) = inner.strip_suffix("][]") {
            multi.push((code.to_string(), v.clone()));
        } else if let Some(code) = inner.strip_suffix(']') {
            singles.push((code.to_string(), v.clone()));
        }
    }
    let mut out = Map::new();
    let codes = singles.iter().chain(multi.iter()).map(|(c, _)| c.clone());
    for code in codes {
        if out.contains_key(&code) {
            continue;
        }
        let values: Vec<String> = multi
            .iter()
            .chain(singles.iter())
            .filter(|(c, _)| *c == code)
            .map(|(_, v)| v.clone())
            .collect();
        let def = defs.iter().find(|d| d.code == code);
        let value = match def.map(|d| d.datatype) {
            Some(Datatype::Multivaluelist) => {
                Value::Array(values.into_iter().map(Value::String).collect())
            }
            Some(Datatype::Number) => {
                let v = &values[0];
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(v.clone()), Value::Number)
            }
            // A single value sent twice is one answer too many: the check refuses a list.
            _ if values.len() > 1 => Value::Array(values.into_iter().map(Value::String).collect()),
            _ => Value::String(values[0].clone()),
        };
        out.insert(code, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Vec<Attribute> {
        serde_json::from_value(json!([
            {"code": "depth_cm", "datatype": "number", "required": true, "order": 1,
             "description": {"vi": "Mức nước", "en": "Depth"}},
            {"code": "blocked", "datatype": "multivaluelist", "order": 1,
             "description": {"vi": "Bị ảnh hưởng", "en": "Affected"},
             "values": [{"key": "road", "name": {"vi": "Đường", "en": "Road"}},
                        {"key": "homes", "name": {"vi": "Nhà", "en": "Homes"}}]}
        ]))
        .unwrap()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_repeated_multivalue_pair_is_read() {
        let a = answers(
            &defs(),
            &pairs(&[
                ("attribute[depth_cm]", "40"),
                ("attribute[blocked][]", "road"),
                ("attribute[blocked][]", "homes"),
                ("description", "x"),
            ]),
        );
        assert_eq!(a["depth_cm"], json!(40.0));
        assert_eq!(a["blocked"], json!(["road", "homes"]));
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn empty_values_are_missing_and_unknown_codes_reach_the_check() {
        let a = answers(
            &defs(),
            &pairs(&[("attribute[depth_cm]", ""), ("attribute[colour]", "red")]),
        );
        assert!(!a.contains_key("depth_cm"));
        assert_eq!(a["colour"], json!("red"));
        let checked = crate::domain::attributes::check_answers(&defs(), &a);
        assert!(checked.is_err());
    }

    #[test]
    fn a_number_that_is_not_one_stays_text_and_is_refused() {
        let a = answers(&defs(), &pairs(&[("attribute[depth_cm]", "deep")]));
        assert_eq!(a["depth_cm"], json!("deep"));
    }
}
