//! Who may handle a ticket, as a pure rule over the unit tree. The database answers "which
//! units lie above this one"; this module decides, so that reads, lists, actions, uploads,
//! routing and forwarding all apply one rule.
//!
//! A denunciation may name the unit it accuses. The law protects the denouncer from the
//! accused: the accused unit's officials never handle, read or list it, and the ticket may
//! never be held where they could (the accused unit itself, or a unit below it when the
//! accused unit's officials see their subunits). The accused unit's *superiors* are not the
//! accused: the parent is the body the law sends such a denunciation to, and its officials
//! handle it even when they see the accused unit's subtree.
//!
//! [`Access`] then says which of a readable ticket's fields and files each viewer sees.

use super::ticket::Party;

/// One unit of a holder's chain, as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitLink {
    pub id: i64,
    /// Its officials handle the tickets of every unit below it too.
    pub sees_subunits: bool,
}

/// Whether the officials of `unit` handle tickets held by the unit whose chain (the holder
/// first, then its parent, up to the root) is `holder_chain`: the holder's own officials, and
/// those of any unit above it that sees its subunits.
pub fn handles(unit: i64, holder_chain: &[UnitLink]) -> bool {
    match holder_chain.split_first() {
        None => false,
        Some((holder, above)) => {
            holder.id == unit || above.iter().any(|u| u.id == unit && u.sees_subunits)
        }
    }
}

/// Whether an official of `unit` may handle (read as staff, list, act on) a ticket held at
/// `holder_chain` that names `accused` (if any).
pub fn official_may_handle(unit: i64, accused: Option<i64>, holder_chain: &[UnitLink]) -> bool {
    accused != Some(unit) && handles(unit, holder_chain)
}

/// Whether a ticket naming `accused` may be held by the unit whose chain is `holder_chain`:
/// not if the accused unit's officials would handle it there.
pub fn may_hold(accused: Option<i64>, holder_chain: &[UnitLink]) -> bool {
    accused.is_none_or(|a| !handles(a, holder_chain))
}

/// How a viewer stands to a ticket it may read (anyone else gets "not found").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Submitter,
    /// An official of the holding unit (or of a unit above it that sees its subunits), never
    /// of the unit a denunciation accuses.
    Handling,
    Supervisor,
    Admin,
    /// A public ticket, read by anyone else.
    Public,
    /// nghedan itself (the sweep).
    System,
}

impl Access {
    /// The viewer's part in the state machine.
    pub fn party(self) -> Party {
        match self {
            Access::Submitter => Party::Submitter,
            Access::Handling => Party::HandlingOfficial,
            Access::System => Party::System,
            _ => Party::Reader,
        }
    }

    /// Internal events, notes and the rating's comment are for staff (never the public).
    pub fn sees_internal(self) -> bool {
        matches!(
            self,
            Access::Handling | Access::Supervisor | Access::Admin | Access::System
        )
    }

    /// The submitter and the handling unit see who sent it; a denouncer's identity is the
    /// handling unit's only, and each look at it is recorded.
    pub fn sees_submitter(self) -> bool {
        matches!(self, Access::Submitter | Access::Handling)
    }

    /// Whether this look at the submitter is a look at a denouncer's identity (recorded).
    pub fn views_identity(self, confidential: bool) -> bool {
        confidential && self == Access::Handling
    }

    /// The exact location and address, what a complaint contests and the accused unit:
    /// staff and the submitter; the public sees a location rounded to about 110 m.
    pub fn sees_precisely(self) -> bool {
        !matches!(self, Access::Public)
    }

    /// The answer: always for the submitter and staff; for others once published.
    pub fn sees_answer(self, answer_public: bool) -> bool {
        self.sees_submitter() || self.sees_internal() || answer_public
    }

    /// Who did what on the timeline: staff always appear; the submitter appears to
    /// themselves, and to the handling unit unless the ticket is confidential.
    pub fn sees_actor(self, actor_is_staff: bool, confidential: bool) -> bool {
        actor_is_staff || self == Access::Submitter || (self == Access::Handling && !confidential)
    }

    /// Whether an attachment may be shown: the submitter's uploads are personal data —
    /// outside the handling unit and the submitter, only those marked publishable; a
    /// denouncer's, never beyond the handling unit.
    pub fn sees_attachment(
        self,
        confidential: bool,
        by_submitter: bool,
        publishable: bool,
    ) -> bool {
        match self {
            Access::Submitter | Access::Handling => true,
            Access::Supervisor | Access::Admin | Access::System => !(confidential && by_submitter),
            Access::Public => !by_submitter || (!confidential && publishable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(id: i64, sees_subunits: bool) -> UnitLink {
        UnitLink { id, sees_subunits }
    }

    // The shape of the reported case: a provincial committee (1, sees its subunits) with its
    // inspectorate (2) below it; a commune committee (3) below the province; a coordinator
    // (9) outside the tree.
    fn inspectorate() -> Vec<UnitLink> {
        vec![link(2, false), link(1, true)]
    }
    fn province() -> Vec<UnitLink> {
        vec![link(1, true)]
    }
    fn commune() -> Vec<UnitLink> {
        vec![link(3, false), link(1, true)]
    }

    #[test]
    fn officials_handle_their_unit_and_what_their_unit_sees_below_it() {
        assert!(handles(2, &inspectorate()));
        assert!(handles(1, &inspectorate()));
        assert!(!handles(3, &inspectorate()));
        assert!(!handles(2, &province()), "not upwards");
        let blind_parent = vec![link(2, false), link(1, false)];
        assert!(!handles(1, &blind_parent));
        assert!(!handles(1, &[]));
    }

    #[test]
    fn the_accused_unit_never_handles_what_names_it() {
        // Held by the inspectorate below the accused province: the province's officials see it
        // through sees_subunits, and are refused because they are the accused.
        assert!(!official_may_handle(1, Some(1), &inspectorate()));
        assert!(official_may_handle(2, Some(1), &inspectorate()));
        // Even held by the accused itself (a tree changed later), its officials stay out.
        assert!(!official_may_handle(1, Some(1), &province()));
        // Without an accused unit nothing changes.
        assert!(official_may_handle(1, None, &inspectorate()));
    }

    #[test]
    fn a_ticket_is_never_held_where_the_accused_would_handle_it() {
        assert!(!may_hold(Some(1), &province()), "the accused itself");
        assert!(
            !may_hold(Some(1), &inspectorate()),
            "below an accused that sees its subunits"
        );
        let blind = vec![link(2, false), link(1, false)];
        assert!(
            may_hold(Some(1), &blind),
            "below an accused that does not see its subunits"
        );
        assert!(may_hold(Some(9), &inspectorate()), "elsewhere");
        assert!(may_hold(None, &province()));
    }

    #[test]
    fn the_accused_units_superiors_handle_a_denunciation_against_it() {
        // A commune committee (3) accused: its parent, the province, holds and handles it.
        assert!(may_hold(Some(3), &province()));
        assert!(official_may_handle(1, Some(3), &province()));
        // The accused commune's officials never, wherever it sits.
        assert!(!official_may_handle(3, Some(3), &commune()));
        assert!(!may_hold(Some(3), &commune()));
    }

    #[test]
    fn a_denouncers_identity_and_files_stay_with_the_handling_unit() {
        for a in [Access::Supervisor, Access::Admin, Access::Public] {
            assert!(!a.sees_submitter(), "{a:?}");
            assert!(!a.sees_attachment(true, true, true), "{a:?}");
        }
        assert!(Access::Handling.sees_submitter());
        assert!(Access::Handling.views_identity(true));
        assert!(!Access::Submitter.views_identity(true));
        assert!(
            !Access::Handling.sees_actor(false, true),
            "the denouncer acting"
        );
        assert!(Access::Handling.sees_actor(false, false));
        assert!(
            Access::Public.sees_attachment(false, false, false),
            "staff files"
        );
        assert!(!Access::Public.sees_attachment(false, true, false));
        assert!(Access::Public.sees_attachment(false, true, true));
        assert!(!Access::Public.sees_answer(false));
        assert!(Access::Public.sees_answer(true));
        assert!(!Access::Public.sees_precisely());
    }
}
