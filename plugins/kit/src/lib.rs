//! Shared building blocks for Cohort's built-in plugins, so that every connector reads an export and builds a
//! record the same way, and every segmenter values an order the same way.
//!
//! The connectors and segmenters under `plugins/` used to keep identical copies of these modules; each now has
//! one home here, and a fix reaches every plugin that uses it. The kit is plain Rust on top of the SDK's types: it
//! adds no imports to a component, and what a plugin does not call is left out of its WebAssembly by the linker.
//!
//! - [`config`]: the configuration options several connectors share, checked and refused the same way.
//! - [`input`]: streaming splitters for CSV and JSON input pushed in chunks, byte order marks, and the chunk
//!   loops the CSV and JSON connectors share.
//! - [`dates`]: dates and date-times as exports write them, written back as RFC 3339 UTC.
//! - [`countries`]: country names and codes to ISO 3166-1 alpha-2.
//! - [`phones`]: national phone numbers to international form when the country is known.
//! - [`record`]: building one canonical record, or the diagnostics of the row it came from.
//! - [`json_value`]: reading fields of parsed JSON as senders write them.
//! - [`text`]: header keys, snake_case names and yes/no values.
//! - [`web`]: page paths and referrers without query strings.
//! - [`commerce`]: the spend rule of an order and whole-day arithmetic on order times.
//! - `testing` (feature `testing`, for the connectors' tests only): the data-driven sample harness.
//!
//! # Code size
//!
//! The functions of [`record`], [`json_value`] and [`commerce::spend`] are `#[inline]`. They use serde_json's
//! generic code (`Value`, `Map`, deserialising), which rustc compiles separately for every crate that uses it
//! (sharing it across crates needs a nightly option), and even whole-program LTO does not merge the copies. Inline,
//! these functions are compiled in the plugin, next to the plugin's own uses of serde_json, and the component
//! carries one copy. (Measured when the kit was made: without it the RFM and churn-risk components were 8%
//! larger, and four of the six connectors 3 to 4.5% larger.)

pub mod commerce;
pub mod config;
pub mod countries;
pub mod dates;
pub mod input;
pub mod json_value;
pub mod phones;
pub mod record;
pub mod text;
pub mod web;

#[cfg(feature = "testing")]
pub mod testing;
