//! Cohort connector `survey-csv`: a CSV export of an NPS survey (any tool: the columns are recognised by their
//! headers) in, one canonical record per response out, with the `nps_score` attribute and a `survey_answered`
//! event `{survey, nps}`.
//!
//! A row that cannot be converted (wrong field count, an NPS answer outside 0–10, a malformed email or date, no
//! identifier) becomes diagnostics naming its row and column and produces no record; the other rows still convert.
//! The field mapping and its reasons are in the crate's README.
//!
//! - `config`: the connector's settings and their defaults.
//! - `columns`: the header row, and which column is the NPS question.
//! - `convert`: one data row to one record.
//!
//! Shared building blocks (CSV splitting, dates, records) come from `cohort_plugin_kit`.

mod columns;
mod config;
mod convert;

use cohort_plugin_kit::input::csv_table::{CsvExport, CsvTable};
use cohort_plugin_sdk::{Batch, Connector};

use columns::Columns;
use config::Config;

/// The `survey-csv` connector: one conversion of one export.
pub struct SurveyCsv(CsvTable<Config>);

impl CsvExport for Config {
    type Header = Columns;
    const HEADER_UNREADABLE: &'static str =
        "row 1: the header row is not UTF-8 text or is too long; is this a CSV export?";
    const ROW_NOT_UTF8: &'static str = "is not UTF-8 text: export the file as UTF-8";
    const EMPTY: &'static str = "the input is empty: a survey export has at least a header row";

    fn header(&self, fields: &[String]) -> Result<Columns, String> {
        Columns::from_header(fields, self.nps_column.as_deref())
    }

    fn column(header: &Columns, field: usize) -> &str {
        header.name(field)
    }

    fn row(&self, header: &Columns, row: u64, fields: &[String], out: &mut Batch) {
        convert::convert_row(self, header, row, fields, out);
    }
}

impl Connector for SurveyCsv {
    fn start(config: &str) -> Result<Self, String> {
        Ok(Self(CsvTable::new(Config::parse(config)?)))
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
        self.0.push(chunk, out)
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
        self.0.finish(out)
    }
}

cohort_plugin_sdk::export_connector!(SurveyCsv);

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::run_connector;

    #[test]
    fn a_file_without_an_nps_column_is_refused_with_a_way_out() {
        let input = b"email,Score\nana@example.com,9\n";
        let error = run_connector::<SurveyCsv>("{}", input, 3).unwrap_err();
        assert!(error.contains("nps_column"), "{error}");
        let (records, _) =
            run_connector::<SurveyCsv>(r#"{"nps_column": "score"}"#, input, 3).unwrap();
        assert_eq!(records[0]["attributes"]["nps_score"], 9);
        assert!(run_connector::<SurveyCsv>("{}", b"", 1).is_err());
    }
}
