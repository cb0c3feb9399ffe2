//! Running a segmenter: host-side profile and assignment types, conversion to the WIT types, and a run that feeds
//! profiles in chunks and pages assignments out, every call guarded by the plugin's limits.

use crate::PluginError;
use crate::bindings::segmenter as wit;
use crate::host::HostState;
use crate::loaded::{CallStats, LoadedPlugin, Pre, guarded};
use wasmtime::Store;
use wasmtime::component::ResourceAny;

/// Assignments asked for per `drain` call. Small pages keep what the plugin writes and the host reads in the
/// processor's cache: draining a million RFM assignments took 0.86 to 0.90 s of CPU in pages of 256, and 0.91 to
/// 2.2 s in pages of 10,000. A call costs about a microsecond, so the extra calls are noise.
const DRAIN_PAGE: u32 = 256;

// The profile types are the WIT bindings' own, so a chunk of profiles is lowered into the plugin without a copy
// on the host side.
pub use wit::cohort::plugin::types::Value;
pub use wit::exports::cohort::plugin::segmenter::{Attribute, Event, Profile};

/// One membership a segmenter assigned.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Assignment {
    /// The profile's token.
    pub token: String,
    /// The segment id (declared in the manifest).
    pub segment: String,
    /// Score in [0, 1].
    pub score: f64,
    /// Reasons a person can read.
    pub reasons: Vec<String>,
}

/// A segment a plugin declares.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentDef {
    /// Segment id.
    pub id: String,
    /// Description.
    pub description: String,
}

/// A segmentation run inside one plugin instance.
pub struct SegmenterRun<'p> {
    plugin: &'p LoadedPlugin,
    store: Store<HostState>,
    bindings: wit::SegmenterPlugin,
    run: ResourceAny,
    /// Profiles given so far: a plugin cannot be a member of more segments than this times the declared ones.
    profiles_given: usize,
    failed: bool,
    /// Cost of every call so far, summed (peak memory: the maximum).
    pub stats: CallStats,
}

impl LoadedPlugin {
    fn segmenter_instance(
        &self,
    ) -> Result<(Store<HostState>, wit::SegmenterPlugin, CallStats), PluginError> {
        let Pre::Segmenter(pre) = &self.pre else {
            return Err(PluginError::Protocol {
                plugin: self.name.clone(),
                message: "is a connector, not a segmenter".into(),
            });
        };
        let mut store = self.new_store();
        let (bindings, stats) =
            guarded(&mut store, &self.limits, &self.name, "instantiate", |s| {
                pre.instantiate(s)
            })?;
        Ok((store, bindings, stats))
    }

    /// The segments the plugin emits under `config`; each must be declared in its manifest.
    pub fn segments(&self, config: &str) -> Result<Vec<SegmentDef>, PluginError> {
        let (mut store, bindings, _) = self.segmenter_instance()?;
        let (result, _) = guarded(&mut store, &self.limits, &self.name, "segments", |s| {
            bindings.cohort_plugin_segmenter().call_segments(s, config)
        })?;
        let defs = result.map_err(|m| self.reported("segments", m))?;
        let out: Vec<SegmentDef> = defs
            .into_iter()
            .map(|d| SegmentDef {
                id: d.id,
                description: d.description,
            })
            .collect();
        for d in &out {
            if !self.declared_segments.contains(&d.id) {
                return Err(PluginError::Protocol {
                    plugin: self.name.clone(),
                    message: format!(
                        "emits segment `{}`, which its manifest does not declare",
                        d.id
                    ),
                });
            }
        }
        Ok(out)
    }

    /// Starts a run for `purpose` with analysis time `now` (seconds since the epoch).
    pub fn start_segmenter(
        &self,
        config: &str,
        purpose: &str,
        now: i64,
    ) -> Result<SegmenterRun<'_>, PluginError> {
        let (mut store, bindings, mut stats) = self.segmenter_instance()?;
        let context = wit::exports::cohort::plugin::segmenter::RunContext {
            purpose: purpose.to_string(),
            now,
        };
        let (result, s) = guarded(&mut store, &self.limits, &self.name, "start", |st| {
            bindings
                .cohort_plugin_segmenter()
                .call_start(st, config, &context)
        })?;
        add_stats(&mut stats, s);
        let run = result.map_err(|m| self.reported("start", m))?;
        Ok(SegmenterRun {
            plugin: self,
            store,
            bindings,
            run,
            profiles_given: 0,
            failed: false,
            stats,
        })
    }

    pub(crate) fn reported(&self, call: &'static str, message: String) -> PluginError {
        let mut message = message;
        message.truncate(2_000);
        PluginError::Reported {
            plugin: self.name.clone(),
            call,
            message,
        }
    }
}

fn add_stats(total: &mut CallStats, s: CallStats) {
    total.fuel += s.fuel;
    total.micros += s.micros;
    total.peak_memory = total.peak_memory.max(s.peak_memory);
}

impl SegmenterRun<'_> {
    fn check_usable(&self) -> Result<(), PluginError> {
        if self.failed {
            return Err(PluginError::Protocol {
                plugin: self.plugin.name.clone(),
                message: "the run already failed; start a new one".into(),
            });
        }
        Ok(())
    }

    fn checked(
        &mut self,
        call: &'static str,
        assignments: Vec<wit::exports::cohort::plugin::segmenter::Assignment>,
    ) -> Result<Vec<Assignment>, PluginError> {
        let mut out = Vec::with_capacity(assignments.len());
        self.checked_into(call, assignments, &mut out)?;
        Ok(out)
    }

    /// Checks one call's assignments (output limit, declared segments) and appends them to `out`, scores clamped.
    fn checked_into(
        &mut self,
        call: &'static str,
        assignments: Vec<wit::exports::cohort::plugin::segmenter::Assignment>,
        out: &mut Vec<Assignment>,
    ) -> Result<(), PluginError> {
        let bytes: usize = assignments
            .iter()
            .map(|a| {
                16 + a.token.len()
                    + a.segment.len()
                    + a.reasons.iter().map(String::len).sum::<usize>()
            })
            .sum();
        let plugin = &self.plugin.name;
        if bytes > self.plugin.limits.output_bytes {
            self.failed = true;
            return Err(PluginError::OutputTooLarge {
                plugin: plugin.clone(),
                call,
                bytes,
                limit: self.plugin.limits.output_bytes,
            });
        }
        out.reserve(assignments.len());
        for a in assignments {
            if !self.plugin.declared_segments.contains(&a.segment) {
                self.failed = true;
                return Err(PluginError::Protocol {
                    plugin: plugin.clone(),
                    message: format!(
                        "assigned segment `{}`, which its manifest does not declare",
                        a.segment
                    ),
                });
            }
            let score = if a.score.is_finite() {
                a.score.clamp(0.0, 1.0)
            } else {
                0.0
            };
            out.push(Assignment {
                token: a.token,
                segment: a.segment,
                score,
                reasons: a.reasons,
            });
        }
        Ok(())
    }

    /// Feeds a chunk of profiles; returns the assignments the plugin already made. Tokens in the assignments are
    /// not checked against the profiles given: the caller, which owns the token map, must refuse unknown ones.
    pub fn add(&mut self, profiles: &[Profile]) -> Result<Vec<Assignment>, PluginError> {
        self.check_usable()?;
        self.profiles_given += profiles.len();
        let (bindings, run) = (&self.bindings, self.run);
        let result = guarded(
            &mut self.store,
            &self.plugin.limits,
            &self.plugin.name,
            "add",
            |s| {
                bindings
                    .cohort_plugin_segmenter()
                    .run()
                    .call_add(s, run, profiles)
            },
        );
        let (result, stats) = result.inspect_err(|_| self.failed = true)?;
        add_stats(&mut self.stats, stats);
        let assignments = result.map_err(|m| {
            self.failed = true;
            self.plugin.reported("add", m)
        })?;
        self.checked("add", assignments)
    }

    /// Ends the input and collects every remaining assignment.
    pub fn finish(&mut self) -> Result<Vec<Assignment>, PluginError> {
        let mut all = Vec::new();
        self.finish_into(&mut all)?;
        Ok(all)
    }

    /// Ends the input and appends every remaining assignment to `out`, page by page, without an intermediate
    /// list (a million assignments are 80 MB to move). On an error, `out` may hold some of the run's assignments.
    pub fn finish_into(&mut self, out: &mut Vec<Assignment>) -> Result<(), PluginError> {
        self.check_usable()?;
        let (bindings, run) = (&self.bindings, self.run);
        let (result, stats) = guarded(
            &mut self.store,
            &self.plugin.limits,
            &self.plugin.name,
            "finish",
            |s| bindings.cohort_plugin_segmenter().run().call_finish(s, run),
        )
        .inspect_err(|_| self.failed = true)?;
        add_stats(&mut self.stats, stats);
        result.map_err(|m| {
            self.failed = true;
            self.plugin.reported("finish", m)
        })?;
        let mut drained = 0usize;
        loop {
            let (bindings, run) = (&self.bindings, self.run);
            let (page, stats) = guarded(
                &mut self.store,
                &self.plugin.limits,
                &self.plugin.name,
                "drain",
                |s| {
                    bindings
                        .cohort_plugin_segmenter()
                        .run()
                        .call_drain(s, run, DRAIN_PAGE)
                },
            )
            .inspect_err(|_| self.failed = true)?;
            add_stats(&mut self.stats, stats);
            if page.is_empty() {
                break;
            }
            if page.len() > DRAIN_PAGE as usize {
                self.failed = true;
                return Err(PluginError::Protocol {
                    plugin: self.plugin.name.clone(),
                    message: format!(
                        "returned {} assignments from drain({DRAIN_PAGE})",
                        page.len()
                    ),
                });
            }
            drained += page.len();
            self.checked_into("drain", page, out)?;
            // A profile can be in each declared segment at most once: anything beyond is a plugin that never stops.
            let most = self
                .profiles_given
                .saturating_mul(self.plugin.declared_segments.len().max(1));
            if drained > most {
                self.failed = true;
                return Err(PluginError::Protocol {
                    plugin: self.plugin.name.clone(),
                    message: format!(
                        "returned more than {most} assignments for {} profiles",
                        self.profiles_given
                    ),
                });
            }
        }
        Ok(())
    }
}
