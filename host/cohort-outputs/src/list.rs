//! `segment list`: every segment of the latest run of each plugin under each purpose, with its size as of that
//! run, released through the same threshold as any count (sizes under `min_group_size` are withheld, with
//! complementary suppression across the run's segments, which may partition its subjects).

use crate::OutputError;
use crate::run_view::released_sizes;
use crate::segment_ref::latest_runs;
use cohort_aggregate::Count;
use cohort_policy::Policy;
use cohort_store::Store;
use serde::Serialize;

/// One segment as listed.
#[derive(Debug, Clone, Serialize)]
pub struct ListedSegment {
    /// `plugin/segment`.
    pub segment: String,
    /// `id@version` of the plugin.
    pub plugin: String,
    /// The purpose.
    pub purpose: String,
    /// The latest run.
    pub run_id: String,
    /// When it ran (RFC 3339).
    pub last_run: String,
    /// Members at that run, or suppressed.
    pub size: Count,
}

/// One run as listed: how many subjects it saw (thresholded) and its segments.
#[derive(Debug, Clone, Serialize)]
pub struct ListedRun {
    /// `id@version` of the plugin.
    pub plugin: String,
    /// The purpose.
    pub purpose: String,
    /// The run id.
    pub run_id: String,
    /// When it ran.
    pub at: String,
    /// Subjects the plugin saw, or suppressed under the threshold.
    pub subjects_seen: Count,
    /// Its segments.
    pub segments: Vec<ListedSegment>,
}

/// Lists the latest run of every plugin and purpose with thresholded sizes.
pub fn list_segments(store: &Store, policy: &Policy) -> Result<Vec<ListedRun>, OutputError> {
    let k = policy.aggregates().min_group_size;
    let mut out = Vec::new();
    for run in latest_runs(store)? {
        let (subjects_seen, sizes) = released_sizes(&run.by_segment, run.subjects_seen, k);
        let segments = sizes
            .into_iter()
            .map(|(segment, size)| ListedSegment {
                segment: format!("{}/{segment}", run.plugin_id),
                plugin: run.plugin.clone(),
                purpose: run.purpose.clone(),
                run_id: run.run_id.clone(),
                last_run: run.at.clone(),
                size,
            })
            .collect();
        out.push(ListedRun {
            plugin: run.plugin.clone(),
            purpose: run.purpose.clone(),
            run_id: run.run_id.clone(),
            at: run.at.clone(),
            subjects_seen,
            segments,
        });
    }
    Ok(out)
}
