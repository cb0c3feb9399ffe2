//! Cohort connector `typeform-responses`: Typeform responses in, one canonical record per response out, with the
//! NPS answer as the `nps_score` attribute and a `survey_answered` event `{survey, nps}`.
//!
//! Accepted layouts: pages of the Responses API (`{"total_items": …, "page_count": …, "items": […]}`; several
//! pages may follow each other, one per line), one response per line (JSON Lines), or a JSON array of responses.
//! The `items` array is read one response at a time, so a page of any size streams. A response that cannot be
//! converted becomes diagnostics naming its position (or line) and field and produces no record; the others still
//! convert. The field mapping and its reasons are in the crate's README.
//!
//! - `config`: the connector's settings and their defaults.
//! - `response`: one response to one record.
//!
//! Shared building blocks (JSON splitting, dates, records) come from `cohort_plugin_kit`.

mod config;
mod response;

use cohort_plugin_kit::input::json_stream::{JsonExport, JsonStream};
use cohort_plugin_kit::record::Problems;
use cohort_plugin_sdk::{Batch, Connector};
use serde_json::Value;

use config::Config;

/// Largest response held at once, in bytes. A response of a long form with text answers is a few kilobytes;
/// 1 MiB leaves a wide margin and still bounds memory when a file is not what it claims.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The member of a Responses API page that holds the responses.
const ITEMS_KEY: &str = "items";

/// The `typeform-responses` connector: one conversion of one input.
pub struct TypeformResponses(JsonStream<Config>);

impl JsonExport for Config {
    const MAX_ITEM_BYTES: usize = MAX_RESPONSE_BYTES;
    const ITEMS_KEY: Option<&'static str> = Some(ITEMS_KEY);
    const TOO_LARGE: &'static str = "far more than one response";
    const TRUNCATED: &'static str = "the input ends inside this response: is the file cut short?";

    fn value(&mut self, row: u64, value: &Value, out: &mut Batch) {
        let mut problems = Problems::default();
        match response::convert(self, value, &mut problems) {
            Some(record) if problems.is_empty() => record.finish_row(row, problems, "", out),
            _ => problems.report(row, out),
        }
    }
}

impl Connector for TypeformResponses {
    fn start(config: &str) -> Result<Self, String> {
        Ok(Self(JsonStream::new(Config::parse(config)?)))
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

cohort_plugin_sdk::export_connector!(TypeformResponses);

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::run_connector;

    #[test]
    fn empty_pages_give_nothing() {
        for input in [
            &b""[..],
            b"{\"total_items\": 0, \"page_count\": 0, \"items\": []}",
            b"[]",
        ] {
            let (records, diagnostics) =
                run_connector::<TypeformResponses>("{}", input, 3).unwrap();
            assert!(records.is_empty() && diagnostics.is_empty());
        }
    }

    #[test]
    fn without_an_opt_in_setting_a_yes_answer_records_no_consent() {
        let response = br#"{"response_id": "r1", "submitted_at": "2024-05-02T10:01:40Z", "hidden": {"customer_id": "c-1"},
            "answers": [{"field": {"ref": "optin", "type": "yes_no"}, "type": "boolean", "boolean": true}]}"#;
        let (records, _) = run_connector::<TypeformResponses>("{}", response, 5).unwrap();
        assert!(records[0].get("consents").is_none());
        let config = r#"{"opt_in": {"ref": "optin", "purpose": "email_marketing"}}"#;
        let (records, _) = run_connector::<TypeformResponses>(config, response, 5).unwrap();
        assert_eq!(records[0]["consents"][0]["state"], "granted");
    }
}
