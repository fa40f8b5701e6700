//! Where a submission goes: the most specific routing rule, else the people's committee that
//! covers the area, else the coordinating unit that triages by hand.

use serde::Serialize;

/// How a rule's area matched the submission's commune.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AreaMatch {
    /// The rule names the commune itself (most specific).
    Commune,
    /// The rule names the commune's province.
    Province,
    /// The rule names no area.
    Anywhere,
}

/// A routing rule that matched the category chain and the area, with what the choice needs.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub rule_id: i64,
    pub unit_id: i64,
    pub unit_active: bool,
    pub area: AreaMatch,
    /// 0 when the rule names the submission's own category, 1 for its parent, …
    pub category_distance: u32,
    /// The rule names the submission's kind (rather than any kind).
    pub kind_specific: bool,
    pub priority: i32,
}

/// Why a unit was chosen — shown to the citizen in the preview, and kept on the ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reason {
    Rule {
        rule_id: i64,
    },
    /// Named like the unit kind `people_committee`.
    #[serde(rename = "people_committee")]
    PeoplesCommittee {
        area_code: String,
    },
    Coordinator,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub unit_id: i64,
    pub reason: Reason,
}

/// A people's committee that covers the commune (or its province), active or not.
#[derive(Debug, Clone)]
pub struct Committee {
    pub unit_id: i64,
    pub active: bool,
    pub area_code: String,
    /// Covers the commune itself rather than only its province.
    pub covers_commune: bool,
}

/// The order: commune rule over province rule over an area-less rule; then the rule for the
/// deeper (nearer) category; then a kind-specific rule; then lower `priority`; then lower id.
/// Rules whose unit is inactive are skipped. With no rule: the people's committee of the
/// commune, else of the province; else the coordinating unit.
pub fn choose(
    candidates: &[Candidate],
    committees: &[Committee],
    coordinator: Option<i64>,
) -> Option<Choice> {
    let best = candidates.iter().filter(|c| c.unit_active).min_by_key(|c| {
        (
            c.area,
            c.category_distance,
            !c.kind_specific,
            c.priority,
            c.rule_id,
        )
    });
    if let Some(rule) = best {
        return Some(Choice {
            unit_id: rule.unit_id,
            reason: Reason::Rule {
                rule_id: rule.rule_id,
            },
        });
    }
    let committee = committees
        .iter()
        .filter(|c| c.active)
        .min_by_key(|c| (!c.covers_commune, c.unit_id));
    if let Some(c) = committee {
        return Some(Choice {
            unit_id: c.unit_id,
            reason: Reason::PeoplesCommittee {
                area_code: c.area_code.clone(),
            },
        });
    }
    coordinator.map(|unit_id| Choice {
        unit_id,
        reason: Reason::Coordinator,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, unit: i64, area: AreaMatch, dist: u32, kind: bool, prio: i32) -> Candidate {
        Candidate {
            rule_id: id,
            unit_id: unit,
            unit_active: true,
            area,
            category_distance: dist,
            kind_specific: kind,
            priority: prio,
        }
    }

    fn pc(unit: i64, commune: bool) -> Committee {
        Committee {
            unit_id: unit,
            active: true,
            area_code: if commune { "00004" } else { "01" }.into(),
            covers_commune: commune,
        }
    }

    fn unit_of(c: &[Candidate]) -> Option<i64> {
        choose(c, &[], None).map(|c| c.unit_id)
    }

    #[test]
    fn the_most_specific_rule_wins() {
        use AreaMatch::*;
        // (candidates, expected unit)
        let table: Vec<(Vec<Candidate>, i64)> = vec![
            // Commune rule beats province rule, whatever the rest.
            (
                vec![
                    rule(1, 10, Province, 0, true, 1),
                    rule(2, 20, Commune, 2, false, 999),
                ],
                20,
            ),
            // Province beats area-less.
            (
                vec![
                    rule(1, 10, Anywhere, 0, true, 1),
                    rule(2, 20, Province, 1, false, 5),
                ],
                20,
            ),
            // Same area: the deeper category wins.
            (
                vec![
                    rule(1, 10, Province, 1, true, 1),
                    rule(2, 20, Province, 0, false, 50),
                ],
                20,
            ),
            // Same area and category: kind-specific wins.
            (
                vec![
                    rule(1, 10, Province, 0, false, 1),
                    rule(2, 20, Province, 0, true, 50),
                ],
                20,
            ),
            // Then the lower priority number.
            (
                vec![
                    rule(1, 10, Province, 0, true, 50),
                    rule(2, 20, Province, 0, true, 10),
                ],
                20,
            ),
            // Then the lower id.
            (
                vec![
                    rule(7, 10, Province, 0, true, 10),
                    rule(3, 20, Province, 0, true, 10),
                ],
                20,
            ),
        ];
        for (i, (candidates, expected)) in table.iter().enumerate() {
            assert_eq!(unit_of(candidates), Some(*expected), "case {i}");
        }
    }

    #[test]
    fn inactive_units_are_skipped() {
        let mut commune = rule(1, 10, AreaMatch::Commune, 0, true, 1);
        commune.unit_active = false;
        let province = rule(2, 20, AreaMatch::Province, 0, true, 1);
        assert_eq!(unit_of(&[commune.clone(), province]), Some(20));
        // Every rule inactive: fall back to the committee.
        let choice = choose(&[commune], &[pc(30, true)], Some(99)).unwrap();
        assert_eq!(choice.unit_id, 30);
    }

    #[test]
    fn fallbacks_commune_committee_then_province_then_coordinator() {
        let c = choose(&[], &[pc(5, false), pc(6, true)], Some(99)).unwrap();
        assert_eq!(
            c,
            Choice {
                unit_id: 6,
                reason: Reason::PeoplesCommittee {
                    area_code: "00004".into()
                }
            }
        );
        let c = choose(&[], &[pc(5, false)], Some(99)).unwrap();
        assert_eq!(c.unit_id, 5);
        let mut closed = pc(6, true);
        closed.active = false;
        let c = choose(&[], &[closed], Some(99)).unwrap();
        assert_eq!(
            c,
            Choice {
                unit_id: 99,
                reason: Reason::Coordinator
            }
        );
        assert_eq!(choose(&[], &[], None), None);
    }
}
