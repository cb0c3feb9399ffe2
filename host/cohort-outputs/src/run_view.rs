//! A segmentation run's report as it may be shown to whoever started the run: the segment sizes and the number of
//! subjects seen released through the same threshold as `segment list` (sizes under `min_group_size` withheld,
//! with complementary suppression across the run's segments, which may partition its subjects), and the run's
//! non-personal facts (plugin, package hash, data released to the plugin, resources used, audit entry).
//!
//! `cohort segment run` prints it and `POST /v1/segments/run` answers it, so both show exactly the same numbers.
//! The exact figures of [`cohort_segments::RunReport`] (`by_segment`, `subjects_seen`, `excluded`) never appear in
//! it under any name.

use cohort_aggregate::{Count, release_one_dimension};
use cohort_policy::Policy;
use cohort_segments::RunReport;
use serde::Serialize;
use std::collections::BTreeMap;

/// A run report with every number about people released through the threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunView {
    /// The run id.
    pub run_id: String,
    /// `id@version` of the plugin.
    pub plugin: String,
    /// SHA-256 of the package that ran.
    pub package_sha256: String,
    /// The purpose it ran for.
    pub purpose: String,
    /// Subjects the plugin saw, or withheld.
    pub subjects_seen: Count,
    /// Members per segment, each released or withheld, in segment order.
    pub segments: Vec<(String, Count)>,
    /// Attributes released to the plugin (manifest ∩ purpose).
    pub attributes_released: Vec<String>,
    /// Event types released to the plugin.
    pub event_types_released: Vec<String>,
    /// Fuel the plugin used.
    pub fuel: u64,
    /// Its peak memory in bytes.
    pub peak_memory: usize,
    /// Time inside the plugin, in milliseconds.
    pub plugin_ms: u64,
    /// The audit entry of the run.
    pub audit_seq: u64,
}

impl RunView {
    /// The view of `report` under the thresholds of `policy`.
    pub fn new(report: &RunReport, policy: &Policy) -> Self {
        let (subjects_seen, segments) = released_sizes(
            &report.by_segment,
            report.subjects_seen,
            policy.aggregates().min_group_size,
        );
        RunView {
            run_id: report.run_id.clone(),
            plugin: report.plugin.clone(),
            package_sha256: report.package_sha256.clone(),
            purpose: report.purpose.clone(),
            subjects_seen,
            segments,
            attributes_released: report.attributes_released.clone(),
            event_types_released: report.event_types_released.clone(),
            fuel: report.fuel,
            peak_memory: report.peak_memory,
            plugin_ms: report.plugin_ms,
            audit_seq: report.audit_seq,
        }
    }
}

/// A run's subjects seen and segment sizes, released at threshold `k`. When the segments' total had to be
/// withheld, the number of subjects seen is withheld too: if the segments partition them, it is that total.
pub(crate) fn released_sizes(
    by_segment: &BTreeMap<String, u64>,
    subjects_seen: u64,
    k: u64,
) -> (Count, Vec<(String, Count)>) {
    let cells: Vec<(String, u64)> = by_segment.iter().map(|(s, n)| (s.clone(), *n)).collect();
    let released = release_one_dimension(&cells, k);
    let seen = if subjects_seen >= k.max(2) && released.total().value().is_some() {
        Count::Value(subjects_seen)
    } else {
        Count::Suppressed
    };
    (seen, released.cells().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the run's figures, no released size is under k, every released size is exact, and the
        /// number of subjects seen is released only when the segments' total is.
        #[test]
        fn released_sizes_are_exact_and_never_under_k(
            sizes in proptest::collection::btree_map("[a-e]", 0u64..80, 0..5),
            extra in 0u64..40,
            k in 2u64..60,
        ) {
            let seen_exact = sizes.values().sum::<u64>() + extra;
            let (seen, segments) = released_sizes(&sizes, seen_exact, k);
            for (name, size) in &segments {
                if let Count::Value(v) = size {
                    prop_assert!(*v >= k);
                    prop_assert_eq!(Some(v), sizes.get(name));
                }
            }
            if let Count::Value(v) = seen {
                prop_assert_eq!(v, seen_exact);
                prop_assert!(v >= k);
                prop_assert!(release_one_dimension(
                    &sizes.iter().map(|(s, n)| (s.clone(), *n)).collect::<Vec<_>>(), k
                ).total().value().is_some());
            }
        }
    }
}
