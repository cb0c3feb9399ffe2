//! The SDK for Cohort plugins: write a connector or a segmenter as one trait impl in plain Rust, test it with
//! `cargo test`, and build it into a sandboxed WebAssembly component.
//!
//! A plugin is a WebAssembly component that imports nothing but a log function ([`log`](fn@log)) and exports
//! either a connector (export files in, canonical records out) or a segmenter (profiles in, segment assignments
//! out). The SDK generates the WIT bindings on wasm32, converts between them and the plain types here, and keeps
//! the call protocol (a push after finish is refused, remaining assignments leave in pages); natively the glue is
//! absent, so the plugin logic is ordinary Rust.
//!
//! # Interface versions
//!
//! The WIT package a plugin implements is versioned, and its manifest names the version (`interface = ...`):
//!
//! | Plugin | Export macro | Interface |
//! |--------|--------------|-----------|
//! | Connector | [`export_connector!`] | `cohort:plugin@0.1.0` (`plugins/wit/since_v0.1.0/plugin.wit`) |
//! | Segmenter | [`export_segmenter!`] | `cohort:plugin@0.2.0` (`plugins/wit/since_v0.2.0/plugin.wit`) |
//! | Segmenter that stays on 0.1.0 | [`export_segmenter_v0_1!`] | `cohort:plugin@0.1.0` |
//!
//! 0.2.0 revises only the segmenter: a chunk of profiles and a page of assignments cross the boundary as a few
//! flat columns (64-bit tokens, a table of names, one text buffer) instead of one string per token, name and
//! reason, which over a million profiles cost more than the segmentation. The [`Segmenter`] trait and its types
//! are the same for both versions, and so is a profile's [`Profile::token`] as the plugin sees it: text, which on
//! 0.2.0 is the host's 64-bit token as 16 lowercase hex digits and must be handed back unchanged. The host runs
//! 0.1.0 and 0.2.0 segmenters side by side.
//!
//! # A connector
//!
//! Implement [`Connector`] and invoke [`export_connector!`] once. The host calls `start(config)`, then `push` with
//! each chunk of the input (chunks have any size, so keep an unfinished row in `self`), then `finish`. Records go
//! into the [`Batch`] as JSON objects valid against `schemas/record.schema.json`; a bad row becomes a
//! [`Diagnostic`] instead of failing the whole input.
//!
//! ```
//! use cohort_plugin_sdk::{Batch, Connector};
//!
//! /// One e-mail address per line.
//! struct Emails {
//!     partial: Vec<u8>,
//!     row: u64,
//! }
//!
//! impl Emails {
//!     fn line(&mut self, line: &[u8], out: &mut Batch) {
//!         self.row += 1;
//!         match std::str::from_utf8(line) {
//!             Ok(email) if email.contains('@') => out.push_record(&serde_json::json!({
//!                 "source": "emails",
//!                 "identifiers": { "email": email },
//!             })),
//!             _ => out.diagnostic(self.row, None, "not an e-mail address"),
//!         }
//!     }
//! }
//!
//! impl Connector for Emails {
//!     fn start(_config: &str) -> Result<Self, String> {
//!         Ok(Emails { partial: Vec::new(), row: 0 })
//!     }
//!
//!     fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
//!         self.partial.extend_from_slice(chunk);
//!         while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
//!             let line: Vec<u8> = self.partial.drain(..=end).take(end).collect();
//!             self.line(&line, out);
//!         }
//!         Ok(())
//!     }
//!
//!     fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
//!         let rest = std::mem::take(&mut self.partial);
//!         if !rest.is_empty() {
//!             self.line(&rest, out);
//!         }
//!         Ok(())
//!     }
//! }
//!
//! cohort_plugin_sdk::export_connector!(Emails);
//!
//! // The same input split into chunks of every size from 1 byte up gives the same records.
//! let input = "ann@example.com\nnot-an-address\nbo@example.com";
//! for chunk_size in 1..=input.len() {
//!     let (records, diagnostics) =
//!         cohort_plugin_sdk::run_connector::<Emails>("{}", input.as_bytes(), chunk_size).unwrap();
//!     assert_eq!(records.len(), 2);
//!     assert_eq!(records[1]["identifiers"]["email"], "bo@example.com");
//!     assert_eq!(diagnostics[0].row, 2);
//! }
//! ```
//!
//! # A segmenter
//!
//! Implement [`Segmenter`] and invoke [`export_segmenter!`] once (or [`export_segmenter_v0_1!`] to stay on 0.1.0).
//! The host calls `segments(config)` to learn the segment ids, `start(config, ctx)`, `add` with each chunk of
//! [`Profile`]s, then `finish`.
//!
//! This is where the SDK refines the WIT's `finish`/`drain` pair: a plugin writes assignments that are final as
//! soon as a profile is seen into `add`'s `out`, and everything else into `finish`'s `out` (for example after
//! computing quintiles over every profile). The SDK keeps `finish`'s assignments and answers the host's
//! `drain(max)` calls from them, at most `max` at a time, in the order the plugin wrote them. `finish` has a
//! default that writes nothing, for segmenters that assign everything in `add`.
//!
//! A segmenter over a large population should not hold every assignment at once: it implements
//! [`Segmenter::drain`] as well, keeps only compact per-profile state after `finish`, and builds each page of
//! assignments (reasons included) when the host asks for it. The SDK calls it once `finish`'s own assignments
//! have left and keeps any surplus for the next page, so the plugin still never counts pages.
//!
//! ```
//! use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter, Value};
//!
//! /// Puts French profiles in segment `fr`.
//! struct French;
//!
//! impl Segmenter for French {
//!     fn segments(_config: &str) -> Result<Vec<SegmentDef>, String> {
//!         Ok(vec![SegmentDef { id: "fr".into(), description: "Lives in France.".into() }])
//!     }
//!
//!     fn start(_config: &str, _ctx: RunContext) -> Result<Self, String> {
//!         Ok(French)
//!     }
//!
//!     fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String> {
//!         for profile in profiles {
//!             if profile.attr("country").and_then(Value::as_text) == Some("FR") {
//!                 out.push(Assignment {
//!                     token: profile.token,
//!                     segment: "fr".into(),
//!                     score: 1.0,
//!                     reasons: vec!["country is FR".into()],
//!                 });
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! cohort_plugin_sdk::export_segmenter!(French);
//!
//! let profile = |token: &str, country: &str| Profile {
//!     token: token.into(),
//!     attributes: vec![cohort_plugin_sdk::Attribute { name: "country".into(), value: country.into() }],
//!     events: Vec::new(),
//! };
//! let ctx = RunContext { purpose: "analytics".into(), now: 1_767_225_600 };
//! let assigned = cohort_plugin_sdk::run_segmenter::<French>(
//!     "{}", ctx, vec![profile("a", "FR"), profile("b", "DE")], 1,
//! ).unwrap();
//! assert_eq!(assigned.iter().map(|a| a.token.as_str()).collect::<Vec<_>>(), ["a"]);
//! ```
//!
//! # Building
//!
//! Plugin crates live in the `plugins/` cargo workspace with `crate-type = ["cdylib", "rlib"]`. From `plugins/`:
//! `cargo build --release --target wasm32-unknown-unknown` writes each plugin's component to
//! `target/wasm32-unknown-unknown/release/<crate_name>.wasm`. The workspace's `.cargo/config.toml` links with
//! `wasm-component-ld`, so the file is a component whose only imports are the `host` interface and the type-only
//! `types` instance of the version it exports (`cohort:plugin/host@0.2.0` and `cohort:plugin/types@0.2.0` for a
//! segmenter; `@0.1.0` for a connector or a segmenter exported with [`export_segmenter_v0_1!`]). A plugin must not
//! use files, sockets, clocks or randomness: those would need imports the host refuses.

#[cfg(any(target_arch = "wasm32", test))]
mod alloc;
mod connector;
mod driver;
mod export;
#[cfg(any(target_arch = "wasm32", test))]
mod guest;
mod log;
mod segmenter;
mod testing;
mod value;

pub use connector::{Batch, Connector, Diagnostic};
#[doc(hidden)]
pub use export::__private;
pub use log::{LogLevel, log};
pub use segmenter::{Assignment, Attribute, Event, Profile, RunContext, SegmentDef, Segmenter};
pub use testing::{TEST_DRAIN_PAGE, run_connector, run_connector_chunks, run_segmenter};
pub use value::Value;
