//! nghedan's states in GeoReport's words: a request is only `open` or `closed`, and
//! FixMyStreet's update feed names what happened with its extended statuses.

use crate::domain::ticket::Status;

/// `open` while the unit owes an answer, else `closed`.
pub fn open_or_closed(s: Status) -> &'static str {
    if s.is_open() { "open" } else { "closed" }
}

/// The nghedan states a GeoReport `status` filter word stands for.
pub fn states_of(word: &str) -> Option<Vec<Status>> {
    match word {
        "open" => Some(Status::ALL.into_iter().filter(|s| s.is_open()).collect()),
        "closed" => Some(Status::ALL.into_iter().filter(|s| !s.is_open()).collect()),
        _ => None,
    }
}

/// The timeline events that are updates in FixMyStreet's feed, with their extended status.
pub const UPDATES: [(&str, &str); 12] = [
    ("accepted", "IN_PROGRESS"),
    ("info_requested", "IN_PROGRESS"),
    ("resumed", "IN_PROGRESS"),
    ("progress_note", "IN_PROGRESS"),
    ("reopened", "IN_PROGRESS"),
    ("extended", "ACTION_SCHEDULED"),
    ("forwarded", "INTERNAL_REFERRAL"),
    ("resolved", "FIXED"),
    ("marked_duplicate", "DUPLICATE"),
    ("refused", "NOT_COUNCILS_RESPONSIBILITY"),
    ("withdrawn", "NO_FURTHER_ACTION"),
    ("closed", "CLOSED"),
];

/// The extended status of a timeline event, if it is an update.
pub fn extended_status(event_kind: &str) -> Option<&'static str> {
    UPDATES
        .iter()
        .find(|(k, _)| *k == event_kind)
        .map(|(_, s)| *s)
}

/// The event kinds [`UPDATES`] lists.
pub fn update_kinds() -> Vec<&'static str> {
    UPDATES.iter().map(|(k, _)| *k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_and_closed() {
        assert_eq!(open_or_closed(Status::Submitted), "open");
        assert_eq!(open_or_closed(Status::AwaitingInfo), "open");
        assert_eq!(open_or_closed(Status::Suspended), "open");
        assert_eq!(open_or_closed(Status::Resolved), "closed");
        assert_eq!(open_or_closed(Status::Withdrawn), "closed");
        let open = states_of("open").unwrap();
        let closed = states_of("closed").unwrap();
        assert_eq!(open.len() + closed.len(), Status::ALL.len());
        assert!(open.iter().all(|s| !closed.contains(s)));
        assert_eq!(states_of("pending"), None);
    }

    #[test]
    fn events_map_to_fixmystreet_statuses() {
        assert_eq!(extended_status("resolved"), Some("FIXED"));
        assert_eq!(extended_status("forwarded"), Some("INTERNAL_REFERRAL"));
        assert_eq!(extended_status("marked_duplicate"), Some("DUPLICATE"));
        assert_eq!(extended_status("extended"), Some("ACTION_SCHEDULED"));
        assert_eq!(extended_status("withdrawn"), Some("NO_FURTHER_ACTION"));
        assert_eq!(extended_status("closed"), Some("CLOSED"));
        // Internal steps are no updates.
        assert_eq!(extended_status("assigned"), None);
        assert_eq!(extended_status("submitted"), None);
    }
}
