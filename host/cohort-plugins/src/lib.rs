//! The plugin sandbox: runs third-party WebAssembly components (connectors and segmenters) under hard limits.
//!
//! This crate owns the wasmtime engine and everything a plugin can touch: it compiles a trusted package's component,
//! refuses any component that imports more than the `cohort:plugin/host` log function, pre-instantiates it with the
//! pooling allocator, and runs each call with a fuel budget, a wall-clock deadline (epoch interruption), a memory
//! cap and an output cap. A plugin that breaks a limit, traps or panics gets a [`PluginError`] naming the plugin
//! and the limit; the engine and every other plugin keep working.
//!
//! **API boundary:** plugins see only what callers hand them (profiles projected by the caller, input bytes);
//! this crate never reads the store. **Invariant:** a plugin has no clock, no randomness, no files and no network.

mod assignments;
mod bindings;
mod connector;
mod engine;
mod host;
mod loaded;
mod profile;
mod segmenter;

pub use assignments::{Assignment, AssignmentRef, Assignments};
pub use connector::{ConnectorOutput, ConnectorSession};
pub use engine::Runtime;
pub use loaded::{CallStats, LoadedPlugin};
pub use profile::{Attribute, Event, Profile, Value, token_from_text, token_text};
pub use segmenter::{SegmentDef, SegmenterRun};

use std::time::Duration;

/// Why a plugin call failed. Every variant names the plugin.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The component could not be compiled.
    #[error("plugin `{plugin}`: not a valid WebAssembly component: {reason}")]
    Invalid {
        /// Plugin id and version.
        plugin: String,
        /// Why.
        reason: String,
    },
    /// The component imports something the host does not offer.
    #[error(
        "plugin `{plugin}` imports `{import}`, which the host does not offer; plugins may import only \
         `cohort:plugin/host` (no files, network, clocks, environment or randomness)"
    )]
    ForbiddenImport {
        /// Plugin id and version.
        plugin: String,
        /// The import.
        import: String,
    },
    /// The component does not export what its manifest's kind requires.
    #[error("plugin `{plugin}` does not implement the {kind} interface: {reason}")]
    WrongInterface {
        /// Plugin id and version.
        plugin: String,
        /// connector or segmenter.
        kind: &'static str,
        /// Why.
        reason: String,
    },
    /// The call used up its fuel (instruction budget).
    #[error(
        "plugin `{plugin}` exceeded its fuel limit of {fuel} units in `{call}` (an endless loop, or too much work per call)"
    )]
    FuelExhausted {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
        /// The budget.
        fuel: u64,
    },
    /// The call ran past its wall-clock deadline.
    #[error("plugin `{plugin}` exceeded its time limit of {limit:?} in `{call}`")]
    TimeLimit {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
        /// The limit.
        limit: Duration,
    },
    /// The plugin tried to grow its memory past the cap.
    #[error("plugin `{plugin}` exceeded its memory limit of {limit_mib} MiB in `{call}`")]
    MemoryLimit {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
        /// The limit in MiB.
        limit_mib: usize,
    },
    /// The plugin overflowed its stack (unbounded recursion).
    #[error("plugin `{plugin}` overflowed its stack in `{call}` (unbounded recursion?)")]
    StackOverflow {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
    },
    /// The plugin returned more than its output limit.
    #[error(
        "plugin `{plugin}` returned {bytes} bytes from `{call}`, over its output limit of {limit} bytes"
    )]
    OutputTooLarge {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
        /// Bytes returned.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The plugin trapped (a panic, `unreachable`, an out-of-bounds access).
    #[error("plugin `{plugin}` crashed in `{call}`: {reason}")]
    Trap {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
        /// The trap, with the plugin's backtrace when there is one.
        reason: String,
    },
    /// The plugin reported an error of its own (a bad config, input it cannot read).
    #[error("plugin `{plugin}` reported an error in `{call}`: {message}")]
    Reported {
        /// Plugin id and version.
        plugin: String,
        /// The call.
        call: &'static str,
        /// Its message (truncated).
        message: String,
    },
    /// The plugin broke the protocol (used a run after a failure, emitted an undeclared segment, ...).
    #[error("plugin `{plugin}`: {message}")]
    Protocol {
        /// Plugin id and version.
        plugin: String,
        /// What happened.
        message: String,
    },
    /// The engine itself failed (not the plugin's fault).
    #[error("plugin runtime: {0}")]
    Engine(String),
}

impl PluginError {
    /// A short machine-readable kind for audit entries and metrics (`fuel`, `time`, `memory`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid",
            Self::ForbiddenImport { .. } => "forbidden_import",
            Self::WrongInterface { .. } => "wrong_interface",
            Self::FuelExhausted { .. } => "fuel",
            Self::TimeLimit { .. } => "time",
            Self::MemoryLimit { .. } => "memory",
            Self::StackOverflow { .. } => "stack",
            Self::OutputTooLarge { .. } => "output",
            Self::Trap { .. } => "trap",
            Self::Reported { .. } => "reported",
            Self::Protocol { .. } => "protocol",
            Self::Engine(_) => "engine",
        }
    }
}
