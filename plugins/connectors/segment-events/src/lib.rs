//! Cohort connector `segment-events`: Segment-spec messages (identify, track, page, …) in, canonical records out.
//!
//! Accepted layouts: JSON Lines (one message or one `{"batch": […]}` per line), a JSON array of messages, a single
//! batch object or a single message, minified or pretty-printed. A batch's top-level `context` is merged into each
//! of its messages (the message's own keys win), as Segment does. Order Completed, Page Viewed (and `page` calls)
//! and Email Opened become `order_completed`, `page_viewed` and `email_opened` events; identify traits become
//! attributes; other messages give a record only when they link two identifiers. A message that cannot be
//! converted becomes diagnostics naming its line (or array position) and field and produces no record; the others
//! still convert. The field mapping and its reasons are in the crate's README.
//!
//! - `config`: the connector's settings and their defaults.
//! - `message`: one message to one record.
//!
//! Shared building blocks (JSON splitting, dates, countries, records) come from `cohort_plugin_kit`.

mod config;
mod message;

use cohort_plugin_kit::input::json_stream::{JsonExport, JsonStream};
use cohort_plugin_kit::record::Problems;
use cohort_plugin_sdk::{Batch, Connector, LogLevel, log};
use serde_json::Value;

use config::Config;
use message::Outcome;

/// Largest line, array element or document held at once, in bytes: twice Segment's 500 KB limit on a batch
/// request (DOMAIN.md §1), so a batch Segment accepts still fits when pretty-printed.
pub const MAX_ITEM_BYTES: usize = 1024 * 1024;

/// The `segment-events` connector: one conversion of one input.
pub struct SegmentEvents(JsonStream<Messages>);

/// The conversion's state.
struct Messages {
    config: Config,
    /// Messages with nothing canonical in them, reported in the log at the end.
    skipped: u64,
}

impl JsonExport for Messages {
    const MAX_ITEM_BYTES: usize = MAX_ITEM_BYTES;
    const ITEMS_KEY: Option<&'static str> = None;
    const TOO_LARGE: &'static str = "more than a Segment batch may hold";
    const TRUNCATED: &'static str = "the input ends inside this value: is the file cut short?";

    /// Converts one parsed value: a batch, an array of messages or one message.
    fn value(&mut self, row: u64, value: &Value, out: &mut Batch) {
        if let Some(batch) = value.get("batch") {
            let Some(messages) = batch.as_array() else {
                out.diagnostic(row, Some("batch"), "is not an array of messages");
                return;
            };
            let context = value.get("context").and_then(Value::as_object);
            for (i, message) in messages.iter().enumerate() {
                let merged = match context {
                    Some(context) => with_context(message, context),
                    None => message.clone(),
                };
                self.message(row, &merged, &format!("batch[{i}]."), out);
            }
        } else if let Some(messages) = value.as_array() {
            for (i, message) in messages.iter().enumerate() {
                self.message(row, message, &format!("[{i}]."), out);
            }
        } else {
            self.message(row, value, "", out);
        }
    }

    fn finish(&mut self) {
        if self.skipped > 0 {
            log(
                LogLevel::Info,
                &format!(
                    "{} messages had no canonical event type and a single identifier: skipped",
                    self.skipped
                ),
            );
        }
    }
}

impl Messages {
    fn message(&mut self, row: u64, message: &Value, prefix: &str, out: &mut Batch) {
        let mut problems = Problems::default();
        let outcome = message::convert(&self.config, message, prefix, &mut problems);
        if !problems.is_empty() {
            problems.report(row, out);
            return;
        }
        match outcome {
            Outcome::Record(record) => record.finish_row(row, problems, "has no identifier", out),
            Outcome::Skipped => self.skipped += 1,
            Outcome::Rejected => {}
        }
    }
}

/// A batch message with the batch's `context` keys it does not set itself.
fn with_context(message: &Value, context: &serde_json::Map<String, Value>) -> Value {
    let mut message = message.clone();
    if let Some(object) = message.as_object_mut() {
        let entry = object
            .entry("context")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Some(own) = entry.as_object_mut() {
            for (key, value) in context {
                own.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    message
}

impl Connector for SegmentEvents {
    fn start(config: &str) -> Result<Self, String> {
        Ok(Self(JsonStream::new(Messages {
            config: Config::parse(config)?,
            skipped: 0,
        })))
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
        self.0.push(chunk, out);
        Ok(())
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
        self.0.finish(out);
        Ok(())
    }
}

cohort_plugin_sdk::export_connector!(SegmentEvents);

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::run_connector;

    #[test]
    fn empty_inputs_give_nothing() {
        for input in [&b""[..], b"\n\n", b"[]", b"{\"batch\": []}"] {
            let (records, diagnostics) = run_connector::<SegmentEvents>("{}", input, 2).unwrap();
            assert!(records.is_empty() && diagnostics.is_empty());
        }
    }

    #[test]
    fn an_oversized_value_is_reported_and_the_next_line_still_converts() {
        let big = format!(
            "{{\"type\":\"identify\",\"userId\":\"u-1\",\"traits\":{{\"x\":\"{}\"}}}}\n",
            "y".repeat(MAX_ITEM_BYTES)
        );
        let input = format!("{big}{{\"type\":\"identify\",\"userId\":\"u-2\"}}\n");
        let (records, diagnostics) =
            run_connector::<SegmentEvents>("{}", input.as_bytes(), 4096).unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(
            (
                diagnostics[0].row,
                records[0]["identifiers"]["user_id"].as_str()
            ),
            (1, Some("u-2"))
        );
    }
}
