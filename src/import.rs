//! Bulk import of units and routing rules from CSV (`nghedan admin import units|rules FILE`).
//! Every row is checked first and every bad row is reported by line number; nothing is written
//! unless the whole file is good.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::db::{self, DbConn, areas, categories, routing_rules, units};
use crate::domain::contact::Email;
use crate::error::AppError;

/// One problem in the file, by (1-based) line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub column: &'static str,
    pub problem: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.column, self.problem)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} bad rows; nothing was written", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Db(#[from] AppError),
}

impl From<crate::db::Error> for ImportError {
    fn from(e: crate::db::Error) -> Self {
        ImportError::Db(e.into())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitRow {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    #[serde(default)]
    parent_code: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    area_codes: String,
    #[serde(default)]
    category_codes: String,
    #[serde(default)]
    sees_subunits: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleRow {
    category_code: String,
    #[serde(default)]
    area_code: String,
    #[serde(default)]
    kind: String,
    unit_code: String,
    #[serde(default)]
    priority: String,
}

fn list_of(s: &str) -> Vec<String> {
    s.split([' ', ';', '|'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn rows<T: for<'de> Deserialize<'de>>(text: &str) -> (Vec<(u64, T)>, Vec<RowError>) {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            bad.push(RowError {
                line: 1,
                column: "-",
                problem: e.to_string(),
            });
            return (ok, bad);
        }
    };
    for record in reader.records() {
        match record {
            Err(e) => bad.push(RowError {
                line: e.position().map_or(0, |p| p.line()),
                column: "-",
                problem: e.to_string(),
            }),
            Ok(r) => {
                let line = r.position().map_or(0, |p| p.line());
                match r.deserialize::<T>(Some(&headers)) {
                    Ok(row) => ok.push((line, row)),
                    Err(e) => bad.push(RowError {
                        line,
                        column: "-",
                        problem: e.to_string(),
                    }),
                }
            }
        }
    }
    (ok, bad)
}

/// Imports units; returns how many were created.
pub fn units(
    conn: &mut DbConn,
    text: &str,
    now: NaiveDateTime,
    progress: &crate::progress::Progress,
) -> Result<usize, ImportError> {
    let (parsed, mut bad) = rows::<UnitRow>(text);
    let mut seen: HashSet<String> = HashSet::new();
    for (line, r) in &parsed {
        let mut err = |column: &'static str, problem: String| {
            bad.push(RowError {
                line: *line,
                column,
                problem,
            })
        };
        if r.code.is_empty() || r.code.len() > 50 {
            err("code", "required, at most 50 characters".into());
        } else if !seen.insert(r.code.clone()) {
            err("code", format!("`{}` appears twice in the file", r.code));
        } else if units::find_by_code(conn, &r.code)?.is_some() {
            err("code", format!("a unit `{}` exists already", r.code));
        }
        if r.name_vi.is_empty() {
            err("name_vi", "required".into());
        }
        if r.name_en.is_empty() {
            err("name_en", "required".into());
        }
        for (column, name) in [("name_vi", &r.name_vi), ("name_en", &r.name_en)] {
            use crate::domain::text::{Layout, TextError, check_free_text};
            match check_free_text(name, Layout::OneLine) {
                Ok(()) => {}
                Err(TextError::Invisible) => err(column, "has no visible character".into()),
                Err(e) => err(
                    column,
                    format!(
                        "holds a control or text-direction character ({})",
                        e.character().unwrap_or_default()
                    ),
                ),
            }
        }
        if !units::KINDS.contains(&r.kind.as_str()) {
            err(
                "kind",
                format!("`{}` is not one of {}", r.kind, units::KINDS.join(", ")),
            );
        }
        if !r.parent_code.is_empty()
            && !seen.contains(&r.parent_code)
            && units::find_by_code(conn, &r.parent_code)?.is_none()
        {
            err(
                "parent_code",
                format!(
                    "no unit `{}` (in the database or earlier in the file)",
                    r.parent_code
                ),
            );
        }
        if !r.email.is_empty() && Email::parse(&r.email).is_err() {
            err("email", format!("`{}` is not an email address", r.email));
        }
        for a in list_of(&r.area_codes) {
            if areas::find(conn, &a)?.is_none() {
                err("area_codes", format!("no area `{a}`"));
            }
        }
        for c in list_of(&r.category_codes) {
            if categories::find(conn, &c)?.is_none() {
                err("category_codes", format!("no category `{c}`"));
            }
        }
        if !["", "true", "false", "1", "0"].contains(&r.sees_subunits.as_str()) {
            err("sees_subunits", "true or false".into());
        }
    }
    if !bad.is_empty() {
        bad.sort_by_key(|e| e.line);
        return Err(ImportError::Rows(bad));
    }
    let count = parsed.len();
    db::write(conn, |conn| {
        for (_, r) in parsed {
            let parent = match r.parent_code.as_str() {
                "" => None,
                code => units::find_by_code(conn, code)?.map(|u| u.id),
            };
            crate::workflow::units::create(
                conn,
                units::Fields {
                    code: Some(r.code),
                    name_vi: Some(r.name_vi),
                    name_en: Some(r.name_en),
                    kind: Some(r.kind),
                    parent_id: Some(parent),
                    email: Some((!r.email.is_empty()).then(|| r.email.to_lowercase())),
                    sees_subunits: Some(matches!(r.sees_subunits.as_str(), "true" | "1")),
                    area_codes: Some(list_of(&r.area_codes)),
                    category_codes: Some(list_of(&r.category_codes)),
                    ..Default::default()
                },
                now,
            )?;
            progress.inc(1);
        }
        Ok::<_, AppError>(())
    })?;
    Ok(count)
}

/// Imports routing rules; returns how many were created.
pub fn rules(
    conn: &mut DbConn,
    text: &str,
    now: NaiveDateTime,
    progress: &crate::progress::Progress,
) -> Result<usize, ImportError> {
    let (parsed, mut bad) = rows::<RuleRow>(text);
    let mut ready = Vec::new();
    for (line, r) in parsed {
        let mut err = |column: &'static str, problem: String| {
            bad.push(RowError {
                line,
                column,
                problem,
            })
        };
        if categories::find(conn, &r.category_code)?.is_none() {
            err(
                "category_code",
                format!("no category `{}`", r.category_code),
            );
        }
        if !r.area_code.is_empty() && areas::find(conn, &r.area_code)?.is_none() {
            err("area_code", format!("no area `{}`", r.area_code));
        }
        if !r.kind.is_empty() && !categories::KINDS.contains(&r.kind.as_str()) {
            err(
                "kind",
                format!(
                    "`{}` is not one of {}",
                    r.kind,
                    categories::KINDS.join(", ")
                ),
            );
        }
        let unit = units::find_by_code(conn, &r.unit_code)?;
        if unit.is_none() {
            err("unit_code", format!("no unit `{}`", r.unit_code));
        }
        let priority = match r.priority.as_str() {
            "" => Some(100),
            p => p
                .parse::<i32>()
                .ok()
                .filter(|p| (0..=1_000_000).contains(p)),
        };
        if priority.is_none() {
            err(
                "priority",
                format!("`{}` is not a whole number 0–1000000", r.priority),
            );
        }
        if let (Some(u), Some(p)) = (unit, priority) {
            ready.push(routing_rules::Fields {
                category_code: Some(r.category_code),
                area_code: Some((!r.area_code.is_empty()).then_some(r.area_code)),
                kind: Some((!r.kind.is_empty()).then_some(r.kind)),
                unit_id: Some(u.id),
                priority: Some(p),
            });
        }
    }
    if !bad.is_empty() {
        bad.sort_by_key(|e| e.line);
        return Err(ImportError::Rows(bad));
    }
    let count = ready.len();
    db::write(conn, |conn| {
        for f in ready {
            crate::workflow::routing_rules::create(conn, f, now)?;
            progress.inc(1);
        }
        Ok::<_, AppError>(())
    })?;
    Ok(count)
}
