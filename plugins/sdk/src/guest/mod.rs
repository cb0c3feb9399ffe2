//! The WebAssembly glue, compiled only for wasm32: wit-bindgen's bindings for each WIT version, and the adapters
//! that implement the generated `Guest` traits by converting to the SDK's plain types and calling the plugin's
//! trait impl through [`crate::driver`].
//!
//! Natively the module is compiled only for the SDK's own unit tests, which check the conversions.
//!
//! Generated bindings and the code the export macros expand to are unsafe code, wit-bindgen's, not ours; the only
//! other unsafe code in the plugins workspace is the SDK's allocator (`crate::alloc`).

mod connector;
mod segmenter;
pub mod v0_1_0;

#[cfg(target_arch = "wasm32")]
pub use connector::ConnectorExport;
#[cfg(target_arch = "wasm32")]
pub use segmenter::SegmenterExport;

#[cfg(target_arch = "wasm32")]
use crate::LogLevel;
#[cfg(target_arch = "wasm32")]
use v0_1_0::connector_world::cohort::plugin::{host, types};

/// Message returned when the host calls into a resource that is already in a call. A component instance runs one
/// call at a time, so this means a broken host rather than a broken plugin; it is reported, not panicked on.
const REENTERED: &str =
    "the plugin was called again while a call into the same resource was still running";

/// Sends a log line to the host (WIT `host.log`).
#[cfg(target_arch = "wasm32")]
pub(crate) fn log(level: LogLevel, message: &str) {
    let level = match level {
        LogLevel::Debug => types::LogLevel::Debug,
        LogLevel::Info => types::LogLevel::Info,
        LogLevel::Warn => types::LogLevel::Warn,
        LogLevel::Error => types::LogLevel::Error,
    };
    host::log(level, message);
}
