//! Running a segmenter: a run that feeds profiles in chunks and pages assignments out, every call guarded by the
//! plugin's limits, for either interface version (0.2.0 in columns, 0.1.0 in records of strings).

use crate::PluginError;
use crate::assignments::Assignments;
use crate::bindings::segmenter as v0_1;
use crate::bindings::segmenter_v0_2 as v0_2;
use crate::host::HostState;
use crate::loaded::{CallStats, LoadedPlugin, Pre, guarded, instantiate};
use crate::profile::{self, Profile};
use wasmtime::Store;
use wasmtime::component::ResourceAny;

/// Assignments asked for per `drain` call. Small pages keep what the plugin writes and the host reads in the
/// processor's cache: draining a million RFM assignments took 0.86 to 0.90 s of CPU in pages of 256, and 0.91 to
/// 2.2 s in pages of 10,000 (interface 0.1.0). A call costs about a microsecond, so the extra calls are noise.
const DRAIN_PAGE: u32 = 256;

/// A segment a plugin declares.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SegmentDef {
    /// Segment id.
    pub id: String,
    /// Description.
    pub description: String,
}

/// One instance of a segmenter, with the bindings of the interface version it exports.
enum Instance {
    V0_1(v0_1::SegmenterPlugin),
    V0_2 {
        bindings: v0_2::SegmenterPlugin,
        /// The chunk buffer, reused from one `add` to the next (boxed: it is most of the variant's size).
        chunk: Box<v0_2::exports::cohort::plugin::segmenter::Profiles>,
    },
}

/// A segmentation run inside one plugin instance.
pub struct SegmenterRun<'p> {
    plugin: &'p LoadedPlugin,
    store: Store<HostState>,
    instance: Instance,
    run: ResourceAny,
    /// Profiles given so far: a plugin cannot be a member of more segments than this times the declared ones.
    profiles_given: usize,
    /// Assignments drained so far.
    drained: usize,
    failed: bool,
    /// Cost of every call so far, summed (peak memory: the maximum).
    pub stats: CallStats,
}

impl LoadedPlugin {
    fn segmenter_instance(&self) -> Result<(Store<HostState>, Instance, CallStats), PluginError> {
        let mut store = self.new_store();
        let (instance, stats) = match &self.pre {
            Pre::Segmenter(pre) => {
                let (b, stats) = instantiate!(self, &mut store, pre)?;
                (Instance::V0_1(b), stats)
            }
            Pre::SegmenterV0_2(pre) => {
                let (bindings, stats) = instantiate!(self, &mut store, pre)?;
                let chunk = Box::new(profile::empty_chunk());
                (Instance::V0_2 { bindings, chunk }, stats)
            }
            Pre::Connector(_) => {
                return Err(PluginError::Protocol {
                    plugin: self.name.clone(),
                    message: "is a connector, not a segmenter".into(),
                });
            }
        };
        Ok((store, instance, stats))
    }

    /// The segments the plugin emits under `config`; each must be declared in its manifest.
    pub fn segments(&self, config: &str) -> Result<Vec<SegmentDef>, PluginError> {
        let (mut store, instance, _) = self.segmenter_instance()?;
        let call = |s: &mut Store<HostState>| match &instance {
            Instance::V0_1(b) => b
                .cohort_plugin_segmenter()
                .call_segments(s, config)
                .map(|r| r.map(|defs| defs.into_iter().map(|d| (d.id, d.description)).collect())),
            Instance::V0_2 { bindings, .. } => bindings
                .cohort_plugin_segmenter()
                .call_segments(s, config)
                .map(|r| r.map(|defs| defs.into_iter().map(|d| (d.id, d.description)).collect())),
        };
        let (result, _) = guarded(&mut store, &self.limits, &self.name, "segments", call)?;
        let defs: Vec<(String, String)> = result.map_err(|m| self.reported("segments", m))?;
        let out: Vec<SegmentDef> = defs
            .into_iter()
            .map(|(id, description)| SegmentDef { id, description })
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
        let (mut store, instance, mut stats) = self.segmenter_instance()?;
        let (result, s) =
            guarded(
                &mut store,
                &self.limits,
                &self.name,
                "start",
                |st| match &instance {
                    Instance::V0_1(b) => {
                        let context = v0_1::exports::cohort::plugin::segmenter::RunContext {
                            purpose: purpose.to_string(),
                            now,
                        };
                        b.cohort_plugin_segmenter().call_start(st, config, &context)
                    }
                    Instance::V0_2 { bindings, .. } => {
                        let context = v0_2::exports::cohort::plugin::segmenter::RunContext {
                            purpose: purpose.to_string(),
                            now,
                        };
                        bindings
                            .cohort_plugin_segmenter()
                            .call_start(st, config, &context)
                    }
                },
            )?;
        add_stats(&mut stats, s);
        let run = result.map_err(|m| self.reported("start", m))?;
        Ok(SegmenterRun {
            plugin: self,
            store,
            instance,
            run,
            profiles_given: 0,
            drained: 0,
            failed: false,
            stats,
        })
    }

    pub(crate) fn reported(&self, call: &'static str, message: String) -> PluginError {
        let mut message = message;
        let mut end = message.len().min(2_000);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
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

/// What one call into the run returned, before it is checked.
enum Page {
    V0_1(Vec<v0_1::exports::cohort::plugin::segmenter::Assignment>),
    V0_2(v0_2::exports::cohort::plugin::segmenter::Assignments),
}

impl SegmenterRun<'_> {
    /// The interface version the plugin implements (`0.1.0` or `0.2.0`).
    pub fn interface_version(&self) -> &'static str {
        match self.instance {
            Instance::V0_1(_) => "0.1.0",
            Instance::V0_2 { .. } => "0.2.0",
        }
    }

    fn check_usable(&self) -> Result<(), PluginError> {
        if self.failed {
            return Err(PluginError::Protocol {
                plugin: self.plugin.name.clone(),
                message: "the run already failed; start a new one".into(),
            });
        }
        Ok(())
    }

    fn protocol(&mut self, message: String) -> PluginError {
        self.failed = true;
        PluginError::Protocol {
            plugin: self.plugin.name.clone(),
            message,
        }
    }

    /// Checks one call's assignments (form, output limit, declared segments) and returns them, scores clamped.
    fn checked(&mut self, call: &'static str, page: Page) -> Result<Assignments, PluginError> {
        let bytes = match &page {
            Page::V0_1(list) => list
                .iter()
                .map(|a| {
                    16 + a.token.len()
                        + a.segment.len()
                        + a.reasons.iter().map(String::len).sum::<usize>()
                })
                .sum(),
            Page::V0_2(p) => {
                16 * p.tokens.len()
                    + p.reason_text.len()
                    + 4 * p.reason_text_ends.len()
                    + p.segments.iter().map(String::len).sum::<usize>()
            }
        };
        if bytes > self.plugin.limits.output_bytes {
            self.failed = true;
            return Err(PluginError::OutputTooLarge {
                plugin: self.plugin.name.clone(),
                call,
                bytes,
                limit: self.plugin.limits.output_bytes,
            });
        }
        let page = match page {
            Page::V0_1(list) => Assignments::from_v0_1(list),
            Page::V0_2(p) => Assignments::from_v0_2(p),
        };
        let page = page.map_err(|m| self.protocol(m))?;
        if let Some(s) = page
            .segments()
            .find(|s| !self.plugin.declared_segments.iter().any(|d| d == s))
        {
            let message = format!("assigned segment `{s}`, which its manifest does not declare");
            return Err(self.protocol(message));
        }
        Ok(page)
    }

    /// Feeds a chunk of profiles; returns the assignments the plugin already made. Tokens in the assignments are
    /// not checked against the profiles given: the caller, which owns the token map, must refuse unknown ones.
    pub fn add(&mut self, profiles: &[Profile]) -> Result<Assignments, PluginError> {
        self.check_usable()?;
        self.profiles_given += profiles.len();
        let run = self.run;
        let result = match &mut self.instance {
            Instance::V0_1(b) => {
                let chunk: Vec<_> = profiles.iter().map(profile::to_v0_1).collect();
                guarded(
                    &mut self.store,
                    &self.plugin.limits,
                    &self.plugin.name,
                    "add",
                    |s| b.cohort_plugin_segmenter().run().call_add(s, run, &chunk),
                )
                .map(|(r, stats)| (r.map(Page::V0_1), stats))
            }
            Instance::V0_2 { bindings, chunk } => {
                profile::encode_v0_2(profiles, chunk);
                let chunk = &**chunk;
                guarded(
                    &mut self.store,
                    &self.plugin.limits,
                    &self.plugin.name,
                    "add",
                    |s| {
                        bindings
                            .cohort_plugin_segmenter()
                            .run()
                            .call_add(s, run, chunk)
                    },
                )
                .map(|(r, stats)| (r.map(Page::V0_2), stats))
            }
        };
        let (result, stats) = result.inspect_err(|_| self.failed = true)?;
        add_stats(&mut self.stats, stats);
        let page = result.map_err(|m| {
            self.failed = true;
            self.plugin.reported("add", m)
        })?;
        self.checked("add", page)
    }

    /// Ends the input and collects every remaining assignment.
    pub fn finish(&mut self) -> Result<Assignments, PluginError> {
        let mut all = Assignments::new();
        self.finish_into(&mut all)?;
        Ok(all)
    }

    /// Ends the input and appends every remaining assignment to `out`, page by page. On an error, `out` may hold
    /// some of the run's assignments.
    pub fn finish_into(&mut self, out: &mut Assignments) -> Result<(), PluginError> {
        self.end_input()?;
        loop {
            let page = self.drain_page()?;
            if page.is_empty() {
                return Ok(());
            }
            out.append(page);
        }
    }

    /// Ends the input (the plugin's `finish`): segmenters that need every profile first compute here. The
    /// remaining assignments then come out through [`SegmenterRun::drain_page`].
    pub fn end_input(&mut self) -> Result<(), PluginError> {
        self.check_usable()?;
        let run = self.run;
        let instance = &self.instance;
        let (result, stats) = guarded(
            &mut self.store,
            &self.plugin.limits,
            &self.plugin.name,
            "finish",
            |s| match instance {
                Instance::V0_1(b) => b.cohort_plugin_segmenter().run().call_finish(s, run),
                Instance::V0_2 { bindings, .. } => {
                    bindings.cohort_plugin_segmenter().run().call_finish(s, run)
                }
            },
        )
        .inspect_err(|_| self.failed = true)?;
        add_stats(&mut self.stats, stats);
        result.map_err(|m| {
            self.failed = true;
            self.plugin.reported("finish", m)
        })
    }

    /// The next page of remaining assignments after [`SegmenterRun::end_input`], checked; an empty page means
    /// there are no more. For a caller that streams assignments instead of collecting them all.
    pub fn drain_page(&mut self) -> Result<Assignments, PluginError> {
        self.check_usable()?;
        let run = self.run;
        let instance = &self.instance;
        let (page, stats) = guarded(
            &mut self.store,
            &self.plugin.limits,
            &self.plugin.name,
            "drain",
            |s| match instance {
                Instance::V0_1(b) => b
                    .cohort_plugin_segmenter()
                    .run()
                    .call_drain(s, run, DRAIN_PAGE)
                    .map(Page::V0_1),
                Instance::V0_2 { bindings, .. } => bindings
                    .cohort_plugin_segmenter()
                    .run()
                    .call_drain(s, run, DRAIN_PAGE)
                    .map(Page::V0_2),
            },
        )
        .inspect_err(|_| self.failed = true)?;
        add_stats(&mut self.stats, stats);
        let page = self.checked("drain", page)?;
        if page.len() > DRAIN_PAGE as usize {
            let message = format!(
                "returned {} assignments from drain({DRAIN_PAGE})",
                page.len()
            );
            return Err(self.protocol(message));
        }
        self.drained += page.len();
        // A profile can be in each declared segment at most once: anything beyond is a plugin that never stops.
        let most = self
            .profiles_given
            .saturating_mul(self.plugin.declared_segments.len().max(1));
        if self.drained > most {
            let message = format!(
                "returned more than {most} assignments for {} profiles",
                self.profiles_given
            );
            return Err(self.protocol(message));
        }
        Ok(page)
    }
}
