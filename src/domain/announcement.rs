//! "Dân biết": what a unit makes known to the residents of its areas, and who may follow
//! which areas. Pure rules: the topics, the states of an announcement, which areas a unit may
//! address, and which areas a resident's feed covers.

use chrono::NaiveDateTime;

/// How many areas a citizen (or an anonymous install) may follow.
pub const MAX_FOLLOWED_AREAS: usize = 5;
/// How many areas one announcement may name.
pub const MAX_TARGET_AREAS: usize = 50;

/// What an announcement is about (the Law on Grassroots Democracy's list of what is made known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    Planning,
    LandUse,
    CompensationResettlement,
    Budget,
    PublicWorks,
    Contributions,
    Election,
    Emergency,
    Other,
}

impl Topic {
    pub const ALL: [Topic; 9] = [
        Topic::Planning,
        Topic::LandUse,
        Topic::CompensationResettlement,
        Topic::Budget,
        Topic::PublicWorks,
        Topic::Contributions,
        Topic::Election,
        Topic::Emergency,
        Topic::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Planning => "planning",
            Topic::LandUse => "land_use",
            Topic::CompensationResettlement => "compensation_resettlement",
            Topic::Budget => "budget",
            Topic::PublicWorks => "public_works",
            Topic::Contributions => "contributions",
            Topic::Election => "election",
            Topic::Emergency => "emergency",
            Topic::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Pushes about an emergency go at once, even in quiet hours.
    pub fn ignores_quiet_hours(self) -> bool {
        self == Topic::Emergency
    }
}

/// Where an announcement stands. A published one whose `publish_at` is still ahead is
/// scheduled: not public yet, and still editable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Draft,
    Published,
    Withdrawn,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Published => "published",
            State::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        [State::Draft, State::Published, State::Withdrawn]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// What may be done to an announcement as it stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub state: State,
    pub publish_at: Option<NaiveDateTime>,
}

impl Standing {
    /// Public (and told to residents) from `publish_at` on.
    pub fn is_public(&self, now: NaiveDateTime) -> bool {
        self.state != State::Draft && self.publish_at.is_some_and(|p| p <= now)
    }

    /// Edits are allowed before publication: a draft, or a scheduled one not yet public.
    pub fn may_edit(&self, now: NaiveDateTime) -> bool {
        match self.state {
            State::Draft => true,
            State::Published => !self.is_public(now),
            State::Withdrawn => false,
        }
    }

    pub fn may_publish(&self) -> bool {
        self.state == State::Draft
    }

    /// Only what was published can be withdrawn (a draft is simply left unpublished).
    pub fn may_withdraw(&self) -> bool {
        self.state == State::Published
    }
}

/// An area as the rules need it: its code and, for a commune, its province.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub code: String,
    pub province: Option<String>,
}

/// The targets that lie outside what a unit serves: a unit may address its own areas and,
/// where it serves a province, that province's communes.
pub fn outside_unit<'a>(targets: &'a [Place], unit_areas: &[String]) -> Vec<&'a str> {
    targets
        .iter()
        .filter(|t| {
            !unit_areas.contains(&t.code)
                && !t.province.as_ref().is_some_and(|p| unit_areas.contains(p))
        })
        .map(|t| t.code.as_str())
        .collect()
}

/// The area codes whose notices a follower of `place` sees: its own, and for a commune its
/// province's.
pub fn feed_codes(place: &Place) -> Vec<String> {
    let mut out = vec![place.code.clone()];
    if let Some(p) = &place.province {
        out.push(p.clone());
    }
    out
}

/// Between `now` and `expires_at`: still listed.
pub fn is_current(expires_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    expires_at.is_none_or(|e| e > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn commune(code: &str, province: &str) -> Place {
        Place {
            code: code.into(),
            province: Some(province.into()),
        }
    }

    fn province(code: &str) -> Place {
        Place {
            code: code.into(),
            province: None,
        }
    }

    #[test]
    fn topics_round_trip() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("weather"), None);
        assert!(Topic::Emergency.ignores_quiet_hours());
        assert!(!Topic::Budget.ignores_quiet_hours());
    }

    #[test]
    fn a_unit_addresses_its_areas_and_its_provinces_communes() {
        let commune_unit = vec!["31135".to_string()];
        let targets = [
            commune("31135", "92"),
            commune("31136", "92"),
            province("92"),
        ];
        assert_eq!(outside_unit(&targets, &commune_unit), vec!["31136", "92"]);
        let province_unit = vec!["92".to_string()];
        assert!(outside_unit(&targets, &province_unit).is_empty());
        assert_eq!(
            outside_unit(&[commune("00004", "01")], &province_unit),
            vec!["00004"]
        );
    }

    #[test]
    fn a_commune_follower_sees_its_provinces_notices_too() {
        assert_eq!(feed_codes(&commune("31135", "92")), vec!["31135", "92"]);
        assert_eq!(feed_codes(&province("92")), vec!["92"]);
    }

    #[test]
    fn edits_before_publication_only() {
        let now = at("2026-12-06 08:00");
        let draft = Standing {
            state: State::Draft,
            publish_at: None,
        };
        assert!(draft.may_edit(now) && draft.may_publish() && !draft.may_withdraw());
        assert!(!draft.is_public(now));
        let scheduled = Standing {
            state: State::Published,
            publish_at: Some(at("2026-12-07 08:00")),
        };
        assert!(scheduled.may_edit(now) && !scheduled.is_public(now));
        assert!(scheduled.may_withdraw() && !scheduled.may_publish());
        let public = Standing {
            state: State::Published,
            publish_at: Some(at("2026-12-06 07:00")),
        };
        assert!(!public.may_edit(now) && public.is_public(now));
        let withdrawn = Standing {
            state: State::Withdrawn,
            publish_at: Some(at("2026-12-06 07:00")),
        };
        assert!(!withdrawn.may_edit(now) && !withdrawn.may_withdraw());
        assert!(withdrawn.is_public(now), "withdrawn stays readable, marked");
        assert!(is_current(None, now) && !is_current(Some(now), now));
    }
}
