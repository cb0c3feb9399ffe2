//! Cohort connector `hubspot-contacts`: a HubSpot contacts CSV export (`hubspot-crm-exports-all-contacts-….csv`)
//! in, one canonical record per contact out.
//!
//! Columns are found by property label, ignoring case; a byte order mark is dropped; rows may span chunks and
//! contain quoted line breaks. A row that cannot be converted (wrong field count, a malformed email, date or
//! yes/no value, no identifier) becomes diagnostics naming its row and column and produces no record; the other
//! rows still convert. The field mapping and its reasons are in the crate's README.
//!
//! - `config`: the connector's settings and their defaults.
//! - `columns`: the header row, matched by label.
//! - `convert`: one data row to one record.
//!
//! Shared building blocks (CSV splitting, dates, countries, phones) come from `cohort_plugin_kit`.

mod columns;
mod config;
mod convert;

use cohort_plugin_kit::input::csv_table::{CsvExport, CsvTable};
use cohort_plugin_sdk::{Batch, Connector, LogLevel, log};

use columns::Columns;
use config::Config;

/// The `hubspot-contacts` connector: one conversion of one export.
pub struct HubspotContacts(CsvTable<Config>);

impl CsvExport for Config {
    type Header = Columns;
    const HEADER_UNREADABLE: &'static str =
        "row 1: the header row is not UTF-8 text or is too long; is this a CSV export?";
    const ROW_NOT_UTF8: &'static str = "is not UTF-8 text: export the file as UTF-8";
    const EMPTY: &'static str = "the input is empty: a HubSpot export has at least a header row";

    fn header(&self, fields: &[String]) -> Result<Columns, String> {
        let columns = Columns::from_header(fields)?;
        if columns.unread() > 0 {
            log(
                LogLevel::Info,
                &format!(
                    "{} of {} columns are not mapped and are ignored",
                    columns.unread(),
                    columns.count
                ),
            );
        }
        Ok(columns)
    }

    fn column(header: &Columns, field: usize) -> &str {
        header.label(field)
    }

    fn row(&self, header: &Columns, row: u64, fields: &[String], out: &mut Batch) {
        convert::convert_row(self, header, row, fields, out);
    }
}

impl Connector for HubspotContacts {
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

cohort_plugin_sdk::export_connector!(HubspotContacts);

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::run_connector;

    #[test]
    fn an_empty_file_or_one_without_identifying_columns_is_refused() {
        assert!(run_connector::<HubspotContacts>("{}", b"", 1).is_err());
        assert!(run_connector::<HubspotContacts>("{}", b"\xef\xbb\xbf", 1).is_err());
        let error = run_connector::<HubspotContacts>("{}", b"First Name,City\nAna,Berlin\n", 4)
            .unwrap_err();
        assert!(error.contains("row 1"), "{error}");
    }

    #[test]
    fn a_header_alone_gives_nothing_and_a_bad_configuration_is_refused() {
        let (records, diagnostics) =
            run_connector::<HubspotContacts>("{}", b"Record ID,Email\n", 3).unwrap();
        assert!(records.is_empty() && diagnostics.is_empty());
        assert!(
            run_connector::<HubspotContacts>(r#"{"record_id_as": "email"}"#, b"Email\n", 3)
                .is_err()
        );
    }
}
