//! Naming a segment: `plugin/segment`, or `segment` alone when one plugin emits it under the purpose; and the
//! latest run of each plugin under each purpose, which is what counts and exports read.

use crate::OutputError;
use cohort_store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The non-personal facts of a segmentation run, as its run record keeps them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Run id.
    pub run_id: String,
    /// `id@version` of the plugin.
    pub plugin: String,
    /// Plugin id (the membership scope).
    pub plugin_id: String,
    /// The purpose it ran under.
    pub purpose: String,
    /// When (RFC 3339).
    pub at: String,
    /// Subjects the plugin saw (exact: print only through a threshold).
    pub subjects_seen: u64,
    /// Members per segment at run time (exact: print only through a threshold).
    #[serde(default)]
    pub by_segment: BTreeMap<String, u64>,
}

/// A resolved segment: which plugin's memberships under which purpose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentRef {
    /// Plugin id.
    pub plugin: String,
    /// Segment id.
    pub segment: String,
    /// The run whose memberships are read.
    pub run: RunInfo,
}

impl SegmentRef {
    /// `plugin/segment`.
    pub fn qualified(&self) -> String {
        format!("{}/{}", self.plugin, self.segment)
    }
}

/// The latest run of every (plugin, purpose), ordered by plugin then purpose.
pub fn latest_runs(store: &Store) -> Result<Vec<RunInfo>, OutputError> {
    let mut latest: BTreeMap<(String, String), RunInfo> = BTreeMap::new();
    for record in store.runs()? {
        let run: RunInfo = serde_json::from_value(record)
            .map_err(|e| OutputError::Corrupt(format!("run record: {e}")))?;
        let key = (run.plugin_id.clone(), run.purpose.clone());
        match latest.get(&key) {
            Some(known) if known.at >= run.at => {}
            _ => {
                latest.insert(key, run);
            }
        }
    }
    Ok(latest.into_values().collect())
}

/// Resolves `name` under `purpose` against the latest runs.
pub fn resolve(store: &Store, purpose: &str, name: &str) -> Result<SegmentRef, OutputError> {
    let runs: Vec<RunInfo> = latest_runs(store)?
        .into_iter()
        .filter(|r| r.purpose == purpose)
        .collect();
    if runs.is_empty() {
        return Err(OutputError::UnknownSegment {
            name: name.to_owned(),
            purpose: purpose.to_owned(),
            known: Vec::new(),
        });
    }
    let known = || {
        runs.iter()
            .flat_map(|r| {
                r.by_segment
                    .keys()
                    .map(move |s| format!("{}/{s}", r.plugin_id))
            })
            .collect::<Vec<_>>()
    };
    if let Some((plugin, segment)) = name.split_once('/') {
        return match runs.iter().find(|r| r.plugin_id == plugin) {
            Some(run) => Ok(SegmentRef {
                plugin: plugin.to_owned(),
                segment: segment.to_owned(),
                run: run.clone(),
            }),
            None => Err(OutputError::UnknownSegment {
                name: name.to_owned(),
                purpose: purpose.to_owned(),
                known: known(),
            }),
        };
    }
    let matching: Vec<&RunInfo> = runs
        .iter()
        .filter(|r| r.by_segment.contains_key(name))
        .collect();
    match matching.as_slice() {
        [run] => Ok(SegmentRef {
            plugin: run.plugin_id.clone(),
            segment: name.to_owned(),
            run: (*run).clone(),
        }),
        [] => Err(OutputError::UnknownSegment {
            name: name.to_owned(),
            purpose: purpose.to_owned(),
            known: known(),
        }),
        several => Err(OutputError::AmbiguousSegment {
            name: name.to_owned(),
            candidates: several
                .iter()
                .map(|r| format!("{}/{name}", r.plugin_id))
                .collect(),
        }),
    }
}
