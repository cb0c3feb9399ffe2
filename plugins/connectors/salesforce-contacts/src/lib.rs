//! Cohort connector `salesforce-contacts`: a Salesforce Contact or Lead extract (Data Loader, API or report CSV)
//! in, one canonical record per person out.
//!
//! Columns are found by API name or field label; Contacts and Leads are told apart by their header (or by
//! configuration); ids become the 18-character form; dates and yes/no values are read in the variants Data Loader
//! and reports write. A row that cannot be converted (wrong field count, a malformed id, email, date or yes/no
//! value, no identifier, a deleted record) becomes diagnostics naming its row and column and produces no record;
//! the other rows still convert. The field mapping and its reasons are in the crate's README.
//!
//! - `config`: the connector's settings and their defaults.
//! - `columns`: the header row, matched by API name or label, and the object type.
//! - `ids`: 15- and 18-character record ids.
//! - `convert`: one data row to one record.
//!
//! Shared building blocks (CSV splitting, dates, countries, phones) come from `cohort_plugin_kit`.

mod columns;
mod config;
mod convert;
mod ids;

use cohort_plugin_kit::input::csv_table::{CsvExport, CsvTable};
use cohort_plugin_sdk::{Batch, Connector, LogLevel, log};

use columns::{Columns, Object};
use config::Config;

/// The `salesforce-contacts` connector: one conversion of one extract.
pub struct SalesforceContacts(CsvTable<Config>);

impl CsvExport for Config {
    type Header = Columns;
    const HEADER_UNREADABLE: &'static str =
        "row 1: the header row is not UTF-8 text or is too long; is this a CSV extract?";
    const ROW_NOT_UTF8: &'static str = "is not UTF-8 text: extract the file as UTF-8 (Data Loader: Settings, Read/Write all CSVs with UTF-8)";
    const EMPTY: &'static str =
        "the input is empty: a Salesforce extract has at least a header row";

    fn header(&self, fields: &[String]) -> Result<Columns, String> {
        let columns = Columns::from_header(fields, self.object)?;
        let object = match columns.object {
            Object::Contact => "Contacts",
            Object::Lead => "Leads",
        };
        log(
            LogLevel::Info,
            &format!(
                "reading {object}; {} of {} columns are not mapped and are ignored",
                columns.unread(),
                columns.count
            ),
        );
        Ok(columns)
    }

    fn column(header: &Columns, field: usize) -> &str {
        header.name(field)
    }

    fn row(&self, header: &Columns, row: u64, fields: &[String], out: &mut Batch) {
        convert::convert_row(self, header, row, fields, out);
    }
}

impl Connector for SalesforceContacts {
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

cohort_plugin_sdk::export_connector!(SalesforceContacts);

#[cfg(test)]
mod tests {
    use super::*;
    use cohort_plugin_sdk::run_connector;

    #[test]
    fn an_empty_file_or_one_without_identifying_columns_is_refused() {
        assert!(run_connector::<SalesforceContacts>("{}", b"", 1).is_err());
        assert!(
            run_connector::<SalesforceContacts>("{}", b"FirstName,LastName\nAda,Lovelace\n", 5)
                .is_err()
        );
    }

    #[test]
    fn a_configured_object_overrides_the_header() {
        // `Company` alone would make these Leads; configured as Contacts they get no lead stage.
        let input = b"Id,Company,Email\n003Qe00000AbCdE,Acme,ada@example.com\n";
        let (records, _) = run_connector::<SalesforceContacts>("{}", input, 7).unwrap();
        assert_eq!(records[0]["attributes"]["lifecycle_stage"], "lead");
        let (records, _) =
            run_connector::<SalesforceContacts>(r#"{"object": "contact"}"#, input, 7).unwrap();
        assert!(records[0]["attributes"].get("lifecycle_stage").is_none());
        assert_eq!(
            records[0]["identifiers"]["salesforce_id"],
            "003Qe00000AbCdEIAV"
        );
    }
}
