//! The WebAssembly glue, compiled only for wasm32: wit-bindgen's bindings for each WIT version, and the adapters
//! that implement the generated `Guest` traits by converting to the SDK's plain types and calling the plugin's
//! trait impl through [`crate::driver`].
//!
//! - [`v0_1_0`], [`v0_2_0`]: the generated bindings of `cohort:plugin@0.1.0` and `@0.2.0`.
//! - `connector`: a [`crate::Connector`] as the 0.1.0 `connector` interface (connectors have no 0.2.0).
//! - `segmenter_v0_1`: a [`crate::Segmenter`] as the 0.1.0 `segmenter` interface (records of strings).
//! - `segmenter_v0_2`: a [`crate::Segmenter`] as the 0.2.0 `segmenter` interface (columns).
//! - `host_log`: each version's host log function, registered with [`log`](fn@crate::log) by that version's
//!   glue.
//!
//! Natively the module is compiled only for the SDK's own unit tests, which check the conversions.
//!
//! Generated bindings and the code the export macros expand to are unsafe code, wit-bindgen's, not ours; the only
//! other unsafe code in the plugins workspace is the SDK's allocator (`crate::alloc`).

mod connector;
mod host_log;
mod segmenter_v0_1;
mod segmenter_v0_2;
pub mod v0_1_0;
pub mod v0_2_0;

#[cfg(target_arch = "wasm32")]
pub use connector::ConnectorExport;
#[cfg(target_arch = "wasm32")]
pub use segmenter_v0_1::SegmenterExport as SegmenterV0_1Export;
#[cfg(target_arch = "wasm32")]
pub use segmenter_v0_2::SegmenterExport as SegmenterV0_2Export;

/// Message returned when the host calls into a resource that is already in a call. A component instance runs one
/// call at a time, so this means a broken host rather than a broken plugin; it is reported, not panicked on.
const REENTERED: &str =
    "the plugin was called again while a call into the same resource was still running";
