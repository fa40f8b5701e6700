//! A category's form fields, in the shape of Open311 `attributes`, and the check of a
//! submission's answers against them.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::text::{Layout, check_free_text};

pub const MAX_ATTRIBUTES: usize = 50;
pub const MAX_STRING: usize = 500;
pub const MAX_TEXT: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Localized {
    pub vi: String,
    pub en: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListValue {
    pub key: String,
    pub name: Localized,
}

/// One form field, as stored and as administrators write it (names in both languages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attribute {
    pub code: String,
    pub datatype: Datatype,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub order: i32,
    pub description: Localized,
    #[serde(default)]
    pub values: Vec<ListValue>,
}

/// Checks a category's definitions: codes are short identifiers, unique; list types have
/// values with unique keys; other types have none. Errors are (JSON Pointer, code).
pub fn check_definitions(defs: &[Attribute]) -> Result<(), Vec<(String, &'static str)>> {
    let mut errors = Vec::new();
    if defs.len() > MAX_ATTRIBUTES {
        errors.push((String::new(), "too_many"));
    }
    let mut codes = HashSet::new();
    for (i, a) in defs.iter().enumerate() {
        let at = |f: &str| format!("/{i}/{f}");
        let code_ok = (1..=64).contains(&a.code.len())
            && a.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !code_ok {
            errors.push((at("code"), "invalid_code"));
        } else if !codes.insert(a.code.as_str()) {
            errors.push((at("code"), "duplicate"));
        }
        if a.description.vi.trim().is_empty() || a.description.en.trim().is_empty() {
            errors.push((at("description"), "required"));
        }
        for (lang, text) in [("vi", &a.description.vi), ("en", &a.description.en)] {
            if let Err(e) = check_free_text(text, Layout::OneLine) {
                errors.push((at(&format!("description/{lang}")), e.code()));
            }
        }
        let is_list = matches!(
            a.datatype,
            Datatype::Singlevaluelist | Datatype::Multivaluelist
        );
        if is_list && a.values.is_empty() {
            errors.push((at("values"), "required"));
        }
        if !is_list && !a.values.is_empty() {
            errors.push((at("values"), "not_allowed"));
        }
        let mut keys = HashSet::new();
        for (j, v) in a.values.iter().enumerate() {
            if v.key.is_empty() || v.key.len() > 64 || !keys.insert(v.key.as_str()) {
                errors.push((format!("/{i}/values/{j}/key"), "invalid_value"));
            }
            for (lang, text) in [("vi", &v.name.vi), ("en", &v.name.en)] {
                if let Err(e) = check_free_text(text, Layout::OneLine) {
                    errors.push((format!("/{i}/values/{j}/name/{lang}"), e.code()));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Checks a submission's `attributes` object against the definitions and returns the answers
/// to store (only known codes). Errors are (JSON Pointer below `/attributes`, code).
pub fn check_answers(
    defs: &[Attribute],
    answers: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<(String, &'static str)>> {
    let mut errors = Vec::new();
    let mut out = Map::new();
    for key in answers.keys() {
        if !defs.iter().any(|d| &d.code == key) {
            errors.push((format!("/{key}"), "unknown_field"));
        }
    }
    for d in defs {
        let at = format!("/{}", d.code);
        let value = answers.get(&d.code).filter(|v| !v.is_null());
        let Some(value) = value else {
            if d.required {
                errors.push((at, "required"));
            }
            continue;
        };
        // A free-text answer follows the text rule (visible, no control characters).
        let layout = match d.datatype {
            Datatype::String => Some(Layout::OneLine),
            Datatype::Text => Some(Layout::Paragraphs),
            _ => None,
        };
        if let (Some(layout), Some(s)) = (layout, value.as_str())
            && let Err(e) = check_free_text(s, layout)
        {
            errors.push((at, e.code()));
            continue;
        }
        let ok = match d.datatype {
            Datatype::String => value
                .as_str()
                .is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= MAX_STRING),
            Datatype::Text => value
                .as_str()
                .is_some_and(|s| !s.trim().is_empty() && s.chars().count() <= MAX_TEXT),
            Datatype::Number => value.as_f64().is_some_and(f64::is_finite),
            Datatype::Datetime => value
                .as_str()
                .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
            Datatype::Singlevaluelist => value
                .as_str()
                .is_some_and(|s| d.values.iter().any(|v| v.key == s)),
            Datatype::Multivaluelist => value.as_array().is_some_and(|items| {
                let mut seen = HashSet::new();
                !items.is_empty()
                    && items.len() <= d.values.len()
                    && items.iter().all(|i| {
                        i.as_str().is_some_and(|s| {
                            d.values.iter().any(|v| v.key == s) && seen.insert(s.to_string())
                        })
                    })
            }),
        };
        if ok {
            out.insert(d.code.clone(), value.clone());
        } else {
            errors.push((at, "invalid_value"));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Vec<Attribute> {
        serde_json::from_value(json!([
            {"code": "size", "datatype": "singlevaluelist", "required": true, "order": 1,
             "description": {"vi": "Kích thước", "en": "Size"},
             "values": [{"key": "small", "name": {"vi": "Nhỏ", "en": "Small"}},
                        {"key": "large", "name": {"vi": "Lớn", "en": "Large"}}]},
            {"code": "depth_cm", "datatype": "number", "description": {"vi": "Độ sâu", "en": "Depth"}},
            {"code": "seen_at", "datatype": "datetime", "description": {"vi": "Lúc", "en": "When"}},
            {"code": "hazards", "datatype": "multivaluelist", "description": {"vi": "Nguy cơ", "en": "Hazards"},
             "values": [{"key": "traffic", "name": {"vi": "Giao thông", "en": "Traffic"}},
                        {"key": "water", "name": {"vi": "Nước", "en": "Water"}}]}
        ]))
        .unwrap()
    }

    #[test]
    fn good_answers_pass_and_unknown_codes_are_dropped_with_an_error() {
        let ok = check_answers(
            &defs(),
            json!({"size": "small", "depth_cm": 12.5, "seen_at": "2026-11-23T08:00:00+07:00",
                   "hazards": ["traffic", "water"]})
            .as_object()
            .unwrap(),
        )
        .unwrap();
        assert_eq!(ok.len(), 4);
        let err = check_answers(
            &defs(),
            json!({"size": "huge", "depth_cm": "deep", "hazards": ["traffic", "traffic"], "colour": "red"})
                .as_object()
                .unwrap(),
        )
        .unwrap_err();
        assert_eq!(
            err,
            vec![
                ("/colour".into(), "unknown_field"),
                ("/size".into(), "invalid_value"),
                ("/depth_cm".into(), "invalid_value"),
                ("/hazards".into(), "invalid_value"),
            ]
        );
        let err = check_answers(&defs(), &Map::new()).unwrap_err();
        assert_eq!(err, vec![("/size".into(), "required")]);
    }

    #[test]
    fn definitions_are_checked() {
        assert!(check_definitions(&defs()).is_ok());
        let mut bad = defs();
        bad[1].code = "size".into();
        bad[2].code = "Bad Code".into();
        bad[2].values = bad[0].values.clone();
        bad[3].values.clear();
        let err = check_definitions(&bad).unwrap_err();
        assert_eq!(
            err,
            vec![
                ("/1/code".to_string(), "duplicate"),
                ("/2/code".to_string(), "invalid_code"),
                ("/2/values".to_string(), "not_allowed"),
                ("/3/values".to_string(), "required"),
            ]
        );
    }

    #[test]
    fn free_text_answers_and_names_follow_the_text_rule() {
        let mut d = defs();
        d.push(
            serde_json::from_value(json!({"code": "landmark", "datatype": "string",
                "description": {"vi": "Mốc", "en": "Landmark"}}))
            .unwrap(),
        );
        d.push(
            serde_json::from_value(json!({"code": "notes", "datatype": "text",
                "description": {"vi": "Ghi chú", "en": "Notes"}}))
            .unwrap(),
        );
        let ok = json!({"size": "small", "landmark": "Cột điện", "notes": "Dòng 1\nDòng 2"});
        assert!(check_answers(&d, ok.as_object().unwrap()).is_ok());
        let bad = json!({"size": "small", "landmark": "Cột\u{202E}", "notes": "\u{200B}"});
        assert_eq!(
            check_answers(&d, bad.as_object().unwrap()).unwrap_err(),
            vec![
                ("/landmark".into(), "control_character"),
                ("/notes".into(), "invisible_text"),
            ]
        );
        d[0].values[1].name.en = "\u{200B}".into();
        d[1].description.vi = "Độ\nsâu".into();
        assert_eq!(
            check_definitions(&d).unwrap_err(),
            vec![
                ("/0/values/1/name/en".to_string(), "invisible_text"),
                ("/1/description/vi".to_string(), "control_character"),
            ]
        );
    }
}
