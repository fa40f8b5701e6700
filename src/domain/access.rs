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
}
