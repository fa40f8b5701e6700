//! "Dân bàn": a unit asks the residents of its areas about a draft before it decides. Pure
//! rules: the questions and what answers them, where a consultation stands in time, and the
//! results (counts per option, scale means and distributions).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Working days after closing by which the unit publishes its synthesis (by default).
pub const SYNTHESIS_WORKING_DAYS: u32 = 15;
/// Characters a comment may hold.
pub const COMMENT_MAX_CHARS: usize = 5_000;
/// Characters a free-text answer may hold.
pub const TEXT_ANSWER_MAX_CHARS: usize = 5_000;
/// The points of a scale question without labels: 1–5.
pub const DEFAULT_SCALE_POINTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Single,
    Multiple,
    Scale,
    Text,
}

/// One question: `options` are the choices of `single` and `multiple`, and the labels of a
/// scale's points (1 … n; none: 1–5); a `text` question has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub code: String,
    pub text: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub required: bool,
}

impl Question {
    pub fn scale_points(&self) -> usize {
        if self.options.is_empty() {
            DEFAULT_SCALE_POINTS
        } else {
            self.options.len()
        }
    }
}

/// What is wrong with the questions: (JSON Pointer, code).
pub type Invalid = (String, &'static str);

/// Checks a consultation's questions: 1–50, codes 1–32 of `a-z0-9_-` and distinct, text
/// 1–500 characters; choices 2–20 distinct non-empty options, a scale 2–10 labelled points
/// or none, a text question none.
pub fn check_questions(qs: &[Question]) -> Vec<Invalid> {
    let mut out = Vec::new();
    if qs.is_empty() || qs.len() > 50 {
        out.push(("/questions".to_string(), "out_of_range"));
    }
    let mut seen = Vec::new();
    for (i, q) in qs.iter().enumerate() {
        let at = |f: &str| format!("/questions/{i}/{f}");
        let code_ok = (1..=32).contains(&q.code.len())
            && q.code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !code_ok {
            out.push((at("code"), "invalid_code"));
        } else if seen.contains(&&q.code) {
            out.push((at("code"), "duplicate"));
        }
        seen.push(&q.code);
        let n = q.text.trim().chars().count();
        if n == 0 || n > 500 {
            out.push((at("text"), "out_of_range"));
        }
        let distinct = {
            let mut o: Vec<&str> = q.options.iter().map(|s| s.trim()).collect();
            o.sort_unstable();
            o.dedup();
            o.len() == q.options.len()
                && o.iter().all(|s| !s.is_empty() && s.chars().count() <= 200)
        };
        let ok = match q.kind {
            Kind::Single | Kind::Multiple => (2..=20).contains(&q.options.len()) && distinct,
            Kind::Scale => {
                q.options.is_empty() || ((2..=10).contains(&q.options.len()) && distinct)
            }
            Kind::Text => q.options.is_empty(),
        };
        if !ok {
            out.push((at("options"), "invalid_value"));
        }
    }
    out
}

/// One answer, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    /// A scale's point.
    Point(i64),
    /// A single choice, or a text.
    One(String),
    /// Multiple choices.
    Many(Vec<String>),
}

/// Checks answers against the questions: each known, of the right shape, every required one
/// given. Returns the answers to store (keyed by question code) or what is wrong.
pub fn check_answers(
    qs: &[Question],
    given: &serde_json::Map<String, Value>,
) -> Result<BTreeMap<String, Answer>, Vec<Invalid>> {
    let mut errors = Vec::new();
    let mut out = BTreeMap::new();
    for code in given.keys() {
        if !qs.iter().any(|q| &q.code == code) {
            errors.push((format!("/answers/{code}"), "unknown_question"));
        }
    }
    for q in qs {
        let at = format!("/answers/{}", q.code);
        let v = match given.get(&q.code) {
            None | Some(Value::Null) => {
                if q.required {
                    errors.push((at, "required"));
                }
                continue;
            }
            Some(v) => v,
        };
        let answer = match (q.kind, v) {
            (Kind::Single, Value::String(s)) if q.options.contains(s) => {
                Some(Answer::One(s.clone()))
            }
            (Kind::Multiple, Value::Array(items)) => {
                let mut chosen: Vec<String> = Vec::new();
                let mut ok = !items.is_empty();
                for item in items {
                    match item.as_str() {
                        Some(s) if q.options.iter().any(|o| o == s) => {
                            if !chosen.iter().any(|c| c == s) {
                                chosen.push(s.to_string());
                            }
                        }
                        _ => ok = false,
                    }
                }
                ok.then_some(Answer::Many(chosen))
            }
            (Kind::Scale, Value::Number(n)) => n
                .as_i64()
                .filter(|p| (1..=q.scale_points() as i64).contains(p))
                .map(Answer::Point),
            (Kind::Text, Value::String(s)) => {
                let t = s.trim();
                let n = t.chars().count();
                (n > 0 && n <= TEXT_ANSWER_MAX_CHARS).then(|| Answer::One(t.to_string()))
            }
            _ => None,
        };
        match answer {
            Some(a) => {
                out.insert(q.code.clone(), a);
            }
            None => errors.push((at, "invalid_answer")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Where a consultation stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Upcoming,
    Open,
    Closed,
}

impl Phase {
    pub fn at(opens_at: NaiveDateTime, closes_at: NaiveDateTime, now: NaiveDateTime) -> Phase {
        if now < opens_at {
            Phase::Upcoming
        } else if now < closes_at {
            Phase::Open
        } else {
            Phase::Closed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Upcoming => "upcoming",
            Phase::Open => "open",
            Phase::Closed => "closed",
        }
    }
}

/// Who may see the results: `live` (anyone, from the start) or `after_close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Live,
    AfterClose,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Live => "live",
            Visibility::AfterClose => "after_close",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "live" => Some(Visibility::Live),
            "after_close" => Some(Visibility::AfterClose),
            _ => None,
        }
    }

    /// Whether the public may read the results in `phase`.
    pub fn public_in(self, phase: Phase) -> bool {
        self == Visibility::Live || phase == Phase::Closed
    }
}

/// The results of one question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionResult {
    pub code: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    /// How many answered it.
    pub answered: usize,
    /// `single` and `multiple`: the count of each option, in the order asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Vec<(String, usize)>>,
    /// `scale`: the mean point, and how many chose each point 1 … n.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution: Option<Vec<usize>>,
}

/// Tallies the answers (one map per participant) question by question. Text answers are
/// counted here; their words are the unit's to read, not part of the tally.
pub fn tally(qs: &[Question], responses: &[BTreeMap<String, Answer>]) -> Vec<QuestionResult> {
    qs.iter()
        .map(|q| {
            let answers: Vec<&Answer> = responses.iter().filter_map(|r| r.get(&q.code)).collect();
            let mut result = QuestionResult {
                code: q.code.clone(),
                kind: q.kind,
                answered: answers.len(),
                counts: None,
                mean: None,
                distribution: None,
            };
            match q.kind {
                Kind::Single | Kind::Multiple => {
                    let mut counts: HashMap<&str, usize> = HashMap::new();
                    for a in &answers {
                        match a {
                            Answer::One(s) => *counts.entry(s.as_str()).or_default() += 1,
                            Answer::Many(v) => {
                                for s in v {
                                    *counts.entry(s.as_str()).or_default() += 1;
                                }
                            }
                            Answer::Point(_) => {}
                        }
                    }
                    result.counts = Some(
                        q.options
                            .iter()
                            .map(|o| (o.clone(), counts.get(o.as_str()).copied().unwrap_or(0)))
                            .collect(),
                    );
                }
                Kind::Scale => {
                    let mut dist = vec![0usize; q.scale_points()];
                    let mut sum = 0i64;
                    for a in &answers {
                        if let Answer::Point(p) = a
                            && let Some(slot) = dist.get_mut((*p - 1) as usize)
                        {
                            *slot += 1;
                            sum += p;
                        }
                    }
                    let n: usize = dist.iter().sum();
                    result.mean =
                        (n > 0).then(|| ((sum as f64 / n as f64) * 100.0).round() / 100.0);
                    result.distribution = Some(dist);
                }
                Kind::Text => {}
            }
            result
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn questions() -> Vec<Question> {
        serde_json::from_value(json!([
            {"code": "agree", "text": "Đồng ý phương án?", "type": "single", "options": ["yes", "no"], "required": true},
            {"code": "works", "text": "Hạng mục ưu tiên", "type": "multiple", "options": ["road", "light", "drain"]},
            {"code": "score", "text": "Mức hài lòng", "type": "scale"},
            {"code": "idea", "text": "Ý kiến khác", "type": "text"}
        ]))
        .unwrap()
    }

    fn answers(v: Value) -> Result<BTreeMap<String, Answer>, Vec<Invalid>> {
        check_answers(&questions(), v.as_object().unwrap())
    }

    #[test]
    fn questions_are_checked() {
        assert!(check_questions(&questions()).is_empty());
        let bad: Vec<Question> = serde_json::from_value(json!([
            {"code": "A b", "text": "x", "type": "single", "options": ["a"]},
            {"code": "t", "text": "", "type": "text", "options": ["no"]},
            {"code": "t", "text": "x", "type": "scale", "options": ["one"]}
        ]))
        .unwrap();
        let found = check_questions(&bad);
        for (field, code) in [
            ("/questions/0/code", "invalid_code"),
            ("/questions/0/options", "invalid_value"),
            ("/questions/1/text", "out_of_range"),
            ("/questions/1/options", "invalid_value"),
            ("/questions/2/code", "duplicate"),
            ("/questions/2/options", "invalid_value"),
        ] {
            assert!(
                found.contains(&(field.to_string(), code)),
                "{field} {code}: {found:?}"
            );
        }
        assert_eq!(
            check_questions(&[]),
            vec![("/questions".to_string(), "out_of_range")]
        );
    }

    #[test]
    fn answers_must_fit_their_questions() {
        let ok = answers(json!({"agree": "yes", "works": ["road", "road", "light"], "score": 4, "idea": " Thêm cây "}))
            .unwrap();
        assert_eq!(
            ok["works"],
            Answer::Many(vec!["road".into(), "light".into()])
        );
        assert_eq!(ok["idea"], Answer::One("Thêm cây".into()));
        let errors = answers(json!({"works": [], "score": 6, "idea": 3, "other": 1})).unwrap_err();
        for (field, code) in [
            ("/answers/agree", "required"),
            ("/answers/works", "invalid_answer"),
            ("/answers/score", "invalid_answer"),
            ("/answers/idea", "invalid_answer"),
            ("/answers/other", "unknown_question"),
        ] {
            assert!(
                errors.contains(&(field.to_string(), code)),
                "{field}: {errors:?}"
            );
        }
        assert!(answers(json!({"agree": "maybe"})).is_err());
    }

    #[test]
    fn results_count_options_and_average_scales() {
        let rs: Vec<_> = [
            json!({"agree": "yes", "works": ["road", "light"], "score": 5}),
            json!({"agree": "yes", "score": 2}),
            json!({"agree": "no", "works": ["road"], "idea": "Không"}),
        ]
        .into_iter()
        .map(|v| answers(v).unwrap())
        .collect();
        let t = tally(&questions(), &rs);
        assert_eq!(t[0].counts, Some(vec![("yes".into(), 2), ("no".into(), 1)]));
        assert_eq!(
            t[1].counts,
            Some(vec![
                ("road".into(), 2),
                ("light".into(), 1),
                ("drain".into(), 0)
            ])
        );
        assert_eq!(t[2].mean, Some(3.5));
        assert_eq!(t[2].distribution, Some(vec![0, 1, 0, 0, 1]));
        assert_eq!((t[3].answered, t[3].counts.is_none()), (1, true));
    }

    #[test]
    fn phases_and_visibility() {
        let at = |h: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 12, 6)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        assert_eq!(Phase::at(at(8), at(10), at(7)), Phase::Upcoming);
        assert_eq!(Phase::at(at(8), at(10), at(8)), Phase::Open);
        assert_eq!(Phase::at(at(8), at(10), at(10)), Phase::Closed);
        assert!(Visibility::Live.public_in(Phase::Open));
        assert!(!Visibility::AfterClose.public_in(Phase::Open));
        assert!(Visibility::AfterClose.public_in(Phase::Closed));
    }
}
