//! The members of a segment that may be used now: memberships of the latest run, re-checked against each
//! subject's current lawful basis (a consent withdrawn, an objection or a restriction since the run takes the
//! subject out at once).

use crate::OutputError;
use crate::segment_ref::SegmentRef;
use cohort_policy::Purpose;
use cohort_segments::lawful::{Exclusion, lawful_basis};
use cohort_store::{Membership, Store, SubjectView};
use std::collections::BTreeMap;

/// A member of a segment with everything the store holds about it, decrypted (in memory only).
pub(crate) struct Member {
    /// The subject.
    pub view: SubjectView,
    /// Its membership of the segment (score, reasons).
    #[allow(dead_code)]
    pub membership: Membership,
}

/// Members of `segment` with a lawful basis for `purpose` now, and how many were left out and why.
pub(crate) fn lawful_members(
    store: &Store,
    purpose: &Purpose,
    segment: &SegmentRef,
) -> Result<(Vec<Member>, BTreeMap<Exclusion, u64>), OutputError> {
    let mut members = Vec::new();
    let mut excluded = BTreeMap::new();
    for (id, memberships) in store.scope_memberships(&segment.plugin, &purpose.id)? {
        let Some(membership) = memberships
            .segments
            .into_iter()
            .find(|m| m.segment == segment.segment)
        else {
            continue;
        };
        let Some(view) = store.subject(&id)? else {
            continue;
        };
        match lawful_basis(&view, purpose) {
            Ok(()) => members.push(Member { view, membership }),
            Err(why) => *excluded.entry(why).or_insert(0) += 1,
        }
    }
    Ok((members, excluded))
}
