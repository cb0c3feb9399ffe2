//! A compiled, checked, pre-instantiated plugin, and the guarded call that every plugin invocation goes through.

use crate::PluginError;
use crate::bindings::{connector, segmenter, segmenter_v0_2};
use crate::engine::{EPOCH_TICK, MAX_MEMORY_BYTES, Runtime};
use crate::host::HostState;
use cohort_plugin_package::{Limits, PluginKind, TrustedPackage};
use std::time::Instant;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Store, Trap};

/// Backtrace depth from which an out-of-bounds trap may be a stack overflow (a shadow-stack frame of a few KiB
/// exhausts the usual 1 MiB shadow stack in a few hundred calls).
const DEEP_RECURSION_FRAMES: usize = 64;

/// A deep backtrace in which one function makes up most frames: recursion that ran off the stack.
fn looks_like_recursion(bt: &wasmtime::WasmBacktrace) -> bool {
    let frames = bt.frames();
    if frames.len() < DEEP_RECURSION_FRAMES {
        return false;
    }
    let mut counts = std::collections::HashMap::new();
    for f in frames {
        *counts.entry(f.func_index()).or_insert(0usize) += 1;
    }
    counts
        .values()
        .max()
        .is_some_and(|m| m * 5 >= frames.len() * 4)
}

/// The only interfaces a plugin may import (the `types` interfaces carry no functions).
pub(crate) const ALLOWED_IMPORTS: &[&str] = &[
    "cohort:plugin/host@0.1.0",
    "cohort:plugin/types@0.1.0",
    "cohort:plugin/host@0.2.0",
    "cohort:plugin/types@0.2.0",
];

/// What a segmenter of interface 0.2.0 exports; one that does not is taken for 0.1.0.
const SEGMENTER_V0_2_EXPORT: &str = "cohort:plugin/segmenter@0.2.0";

pub(crate) enum Pre {
    Connector(connector::ConnectorPluginPre<HostState>),
    /// A segmenter of interface 0.1.0.
    Segmenter(segmenter::SegmenterPluginPre<HostState>),
    /// A segmenter of interface 0.2.0.
    SegmenterV0_2(segmenter_v0_2::SegmenterPluginPre<HostState>),
}

/// A plugin ready to run: compiled once, instantiated cheaply per run.
pub struct LoadedPlugin {
    pub(crate) engine: wasmtime::Engine,
    pub(crate) name: String,
    pub(crate) id: String,
    pub(crate) kind: PluginKind,
    pub(crate) limits: Limits,
    pub(crate) sha256: String,
    pub(crate) pre: Pre,
    pub(crate) declared_segments: Vec<String>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoadedPlugin({})", self.name)
    }
}

/// What one call cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CallStats {
    /// Fuel consumed.
    pub fuel: u64,
    /// Peak linear memory in bytes.
    pub peak_memory: usize,
    /// Wall-clock time in microseconds.
    pub micros: u64,
}

impl Runtime {
    /// Compiles a trusted package's component, refuses forbidden imports, and pre-instantiates it.
    pub fn load(&self, package: &TrustedPackage) -> Result<LoadedPlugin, PluginError> {
        self.load_with_manifest(package.manifest(), package.sha256_hex(), package.wasm())
    }

    /// Loads component bytes under a manifest's id, kind, limits and segments, trusted or not (for
    /// `cohort plugin test` of an unsigned local build and for benchmarks; the store never runs these).
    pub fn load_with_manifest(
        &self,
        manifest: &cohort_plugin_package::Manifest,
        sha256: String,
        wasm: &[u8],
    ) -> Result<LoadedPlugin, PluginError> {
        let loaded = self.load_bytes(
            &format!("{}@{}", manifest.id(), manifest.version()),
            manifest.id(),
            manifest.kind(),
            manifest.effective_limits(),
            sha256,
            wasm,
            manifest.segments().iter().map(|s| s.id.clone()).collect(),
        )?;
        if loaded.interface() != manifest.interface() {
            return Err(PluginError::WrongInterface {
                kind: manifest.kind().as_str(),
                reason: format!(
                    "the manifest says `interface = \"{}\"`, but the component implements `{}`",
                    manifest.interface(),
                    loaded.interface()
                ),
                plugin: loaded.name,
            });
        }
        Ok(loaded)
    }

    /// Loads component bytes directly (for tests and `cohort plugin test` of an unsigned local build).
    #[allow(clippy::too_many_arguments)]
    pub fn load_bytes(
        &self,
        name: &str,
        id: &str,
        kind: PluginKind,
        limits: Limits,
        sha256: String,
        wasm: &[u8],
        declared_segments: Vec<String>,
    ) -> Result<LoadedPlugin, PluginError> {
        let component = Component::new(&self.engine, wasm).map_err(|e| PluginError::Invalid {
            plugin: name.to_string(),
            reason: format!("{e:#}"),
        })?;
        let ty = component.component_type();
        for (import, _) in ty.imports(&self.engine) {
            if !ALLOWED_IMPORTS.contains(&import) {
                return Err(PluginError::ForbiddenImport {
                    plugin: name.to_string(),
                    import: import.to_string(),
                });
            }
        }
        let wrong = |reason: String, kind| PluginError::WrongInterface {
            plugin: name.to_string(),
            kind,
            reason,
        };
        // Links the host's side of one world (its `log`) and pre-instantiates the component for that world.
        macro_rules! pre_for {
            ($world:ident :: $plugin:ident, $pre:ident, $kind:literal) => {{
                let mut linker = Linker::<HostState>::new(&self.engine);
                $world::$plugin::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
                    .map_err(|e| PluginError::Engine(format!("{e:#}")))?;
                let pre = linker
                    .instantiate_pre(&component)
                    .map_err(|e| wrong(format!("{e:#}"), $kind))?;
                $world::$pre::new(pre).map_err(|e| wrong(format!("{e:#}"), $kind))?
            }};
        }
        let pre = match kind {
            PluginKind::Connector => Pre::Connector(pre_for!(
                connector::ConnectorPlugin,
                ConnectorPluginPre,
                "connector"
            )),
            PluginKind::Segmenter
                if ty
                    .exports(&self.engine)
                    .any(|(export, _)| export == SEGMENTER_V0_2_EXPORT) =>
            {
                Pre::SegmenterV0_2(pre_for!(
                    segmenter_v0_2::SegmenterPlugin,
                    SegmenterPluginPre,
                    "segmenter"
                ))
            }
            PluginKind::Segmenter => Pre::Segmenter(pre_for!(
                segmenter::SegmenterPlugin,
                SegmenterPluginPre,
                "segmenter"
            )),
        };
        Ok(LoadedPlugin {
            engine: self.engine.clone(),
            name: name.to_string(),
            id: id.to_string(),
            kind,
            limits,
            sha256,
            pre,
            declared_segments,
        })
    }
}

impl LoadedPlugin {
    /// `id@version`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plugin id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Connector or segmenter.
    pub fn kind(&self) -> PluginKind {
        self.kind
    }

    /// The interface the component implements, as a manifest names it (`cohort:plugin@0.2.0`).
    pub fn interface(&self) -> &'static str {
        match self.pre {
            Pre::SegmenterV0_2(_) => "cohort:plugin@0.2.0",
            Pre::Connector(_) | Pre::Segmenter(_) => "cohort:plugin@0.1.0",
        }
    }

    /// The package hash (SHA-256 of manifest and wasm), for audit entries.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The limits every call runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Instantiates the plugin in a fresh store and drops it: what every run or session pays before its first
    /// call. For benchmarks.
    pub fn instantiate_only(&self) -> Result<CallStats, PluginError> {
        let mut store = self.new_store();
        let stats = match &self.pre {
            Pre::Connector(pre) => instantiate!(self, &mut store, pre)?.1,
            Pre::Segmenter(pre) => instantiate!(self, &mut store, pre)?.1,
            Pre::SegmenterV0_2(pre) => instantiate!(self, &mut store, pre)?.1,
        };
        Ok(stats)
    }

    /// A fresh store for one run or session.
    pub(crate) fn new_store(&self) -> Store<HostState> {
        let cap = self.limits.memory_bytes.min(MAX_MEMORY_BYTES);
        let mut store = Store::new(&self.engine, HostState::new(self.name.clone(), cap));
        store.limiter(|s| s);
        store
    }
}

/// Instantiates the pre-instantiated component `$pre` of `$plugin` in `$store`, under the plugin's limits and as
/// its `instantiate` call ([`guarded`]). A macro, not a function: each world's bindings have a pre-instance type of
/// their own, with no trait in common.
macro_rules! instantiate {
    ($plugin:expr, $store:expr, $pre:expr) => {
        $crate::loaded::guarded($store, &$plugin.limits, &$plugin.name, "instantiate", |s| {
            $pre.instantiate(s)
        })
    };
}
pub(crate) use instantiate;

/// Runs one guest call under the plugin's limits and turns every failure into a [`PluginError`].
pub(crate) fn guarded<R>(
    store: &mut Store<HostState>,
    limits: &Limits,
    plugin: &str,
    call: &'static str,
    f: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
) -> Result<(R, CallStats), PluginError> {
    store.data_mut().memory_denied = false;
    store.data_mut().log_lines = 0;
    store.data_mut().log_bytes = 0;
    if let Err(e) = store.set_fuel(limits.fuel_per_call) {
        return Err(PluginError::Engine(format!("{e:#}")));
    }
    let ticks = (limits.wall_clock.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
    store.set_epoch_deadline(ticks);
    let start = Instant::now();
    let result = f(store);
    let micros = start.elapsed().as_micros() as u64;
    let fuel = limits
        .fuel_per_call
        .saturating_sub(store.get_fuel().unwrap_or(0));
    let stats = CallStats {
        fuel,
        peak_memory: store.data().peak_memory,
        micros,
    };
    match result {
        // Log messages are output too: a plugin cannot move data out through the log past its output limit.
        Ok(_) if store.data().log_bytes > limits.output_bytes => Err(PluginError::OutputTooLarge {
            plugin: plugin.to_string(),
            call,
            bytes: store.data().log_bytes,
            limit: limits.output_bytes,
        }),
        Ok(r) => Ok((r, stats)),
        Err(e) => Err(classify(e, store.data(), limits, plugin, call, stats)),
    }
}

fn classify(
    e: wasmtime::Error,
    state: &HostState,
    limits: &Limits,
    plugin: &str,
    call: &'static str,
    stats: CallStats,
) -> PluginError {
    let plugin = plugin.to_string();
    if state.memory_denied {
        return PluginError::MemoryLimit {
            plugin,
            call,
            limit_mib: limits.memory_bytes >> 20,
        };
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PluginError::FuelExhausted {
            plugin,
            call,
            fuel: limits.fuel_per_call,
        },
        Some(Trap::Interrupt) => PluginError::TimeLimit {
            plugin,
            call,
            limit: limits.wall_clock,
        },
        Some(Trap::StackOverflow) => PluginError::StackOverflow { plugin, call },
        // Rust and C guests keep a shadow stack in linear memory; running off its end is an out-of-bounds access.
        // A backtrace thousands of frames deep tells that apart from an ordinary bad pointer.
        Some(Trap::MemoryOutOfBounds)
            if e.downcast_ref::<wasmtime::WasmBacktrace>()
                .is_some_and(looks_like_recursion) =>
        {
            PluginError::StackOverflow { plugin, call }
        }
        _ => {
            // The trap itself, then the top of the plugin's backtrace.
            let trap = e
                .downcast_ref::<Trap>()
                .map(|t| t.to_string())
                .unwrap_or_else(|| e.root_cause().to_string());
            let frames = e
                .downcast_ref::<wasmtime::WasmBacktrace>()
                .map(|bt| {
                    bt.frames()
                        .iter()
                        .take(4)
                        .map(|f| match f.func_name() {
                            Some(name) => name.to_string(),
                            None => format!("wasm function {}", f.func_index()),
                        })
                        .collect::<Vec<_>>()
                        .join(" <- ")
                })
                .unwrap_or_default();
            let reason = if frames.is_empty() {
                trap
            } else {
                format!("{trap} (in {frames})")
            };
            tracing::debug!(plugin, call, fuel = stats.fuel, "plugin trapped");
            PluginError::Trap {
                plugin,
                call,
                reason,
            }
        }
    }
}
