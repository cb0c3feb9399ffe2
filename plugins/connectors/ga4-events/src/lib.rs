//! Cohort connector `ga4-events`: rows of a GA4 BigQuery export (`events_YYYYMMDD`, one row per event) in,
//! canonical records out.
//!
//! Accepted layouts: JSON Lines (one row per line, as `bq extract --destination_format NEWLINE_DELIMITED_JSON`
//! writes) or a JSON array of rows (`bq query --format=json`), minified or pretty-printed. `purchase` and
//! `page_view` become `order_completed` and `page_viewed` events; `device.category` and `geo` become attributes;
//! other events give a record only when they link a `user_id` to a `user_pseudo_id`. A row that cannot be
//! converted becomes diagnostics naming its line (or array position) and field and produces no record; the others
//! still convert. The field mapping and its reasons are in the crate's README.
//!
//! - `config`: the connector's settings and their defaults.
//! - `row`: one export row to one record.
//!
//! Shared building blocks (JSON splitting, dates, countries, records) come from `cohort_plugin_kit`.

mod config;
mod row;

use cohort_plugin_kit::input::json_stream::{JsonExport, JsonStream};
use cohort_plugin_kit::record::Problems;
use cohort_plugin_sdk::{Batch, Connector, LogLevel, log};
use serde_json::Value;

use config::Config;
use row::Outcome;

/// Largest row held at once, in bytes. A GA4 event row with its parameters, user properties and a few dozen items
/// is a few kilobytes; 1 MiB leaves a wide margin and still bounds memory when a file is not what it claims.
pub const MAX_ROW_BYTES: usize = 1024 * 1024;

/// The `ga4-events` connector: one conversion of one export.
pub struct Ga4Events(JsonStream<Rows>);

/// The conversion's state.
struct Rows {
    config: Config,
    /// Rows of event types with no canonical counterpart, reported in the log at the end.
    skipped: u64,
}

impl JsonExport for Rows {
    const MAX_ITEM_BYTES: usize = MAX_ROW_BYTES;
    const ITEMS_KEY: Option<&'static str> = None;
    const TOO_LARGE: &'static str = "far more than one GA4 event row";
    const TRUNCATED: &'static str = "the input ends inside this row: is the file cut short?";

    fn value(&mut self, row: u64, value: &Value, out: &mut Batch) {
        let mut problems = Problems::default();
        let outcome = row::convert(&self.config, value, &mut problems);
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

    fn finish(&mut self) {
        if self.skipped > 0 {
            log(
                LogLevel::Info,
                &format!(
                    "{} rows had an event type with no canonical counterpart and a single identifier: skipped",
                    self.skipped
                ),
            );
        }
    }
}

impl Connector for Ga4Events {
    fn start(config: &str) -> Result<Self, String> {
        Ok(Self(JsonStream::new(Rows {
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

cohort_plugin_sdk::export_connector!(Ga4Events);

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::run_connector;

    #[test]
    fn empty_inputs_give_nothing() {
        for input in [&b""[..], b"[]", b"\n"] {
            let (records, diagnostics) = run_connector::<Ga4Events>("{}", input, 1).unwrap();
            assert!(records.is_empty() && diagnostics.is_empty());
        }
    }
}
