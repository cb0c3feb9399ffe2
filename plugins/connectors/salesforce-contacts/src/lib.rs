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

use cohort_plugin_kit::input::csv::{CsvRow, CsvRows, MAX_FIELDS, MAX_ROW_BYTES};
use cohort_plugin_sdk::{Batch, Connector, LogLevel, log};

use columns::{Columns, Object};
use config::Config;

/// The `salesforce-contacts` connector: one conversion of one extract.
pub struct SalesforceContacts {
    config: Config,
    csv: CsvRows,
    /// The header, once row 1 has been read.
    columns: Option<Columns>,
    /// Rows finished by the current chunk, reused between chunks.
    rows: Vec<CsvRow>,
}

impl SalesforceContacts {
    /// Converts the rows read so far.
    fn convert(&mut self, out: &mut Batch) -> Result<(), String> {
        for row in self.rows.drain(..) {
            match (row, &self.columns) {
                (CsvRow::Fields { fields, .. }, None) => {
                    let columns = Columns::from_header(&fields, self.config.object)?;
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
                    self.columns = Some(columns);
                }
                (CsvRow::Fields { row, fields }, Some(columns)) => {
                    convert::convert_row(&self.config, columns, row, &fields, out);
                }
                (CsvRow::NotUtf8 { .. } | CsvRow::TooLong { .. }, None) => {
                    return Err("row 1: the header row is not UTF-8 text or is too long; is this a CSV extract?".into());
                }
                (CsvRow::NotUtf8 { row, field }, Some(columns)) => {
                    out.diagnostic(
                        row,
                        Some(columns.name(field)),
                        "is not UTF-8 text: extract the file as UTF-8 (Data Loader: Settings, Read/Write all CSVs with UTF-8)",
                    );
                }
                (CsvRow::TooLong { row }, Some(_)) => {
                    out.diagnostic(
                        row,
                        None,
                        format!(
                            "is longer than {MAX_ROW_BYTES} bytes or has more than {MAX_FIELDS} fields (an unbalanced quote?)"
                        ),
                    );
                }
            }
        }
        Ok(())
    }
}

impl Connector for SalesforceContacts {
    fn start(config: &str) -> Result<Self, String> {
        Ok(Self {
            config: Config::parse(config)?,
            csv: CsvRows::default(),
            columns: None,
            rows: Vec::new(),
        })
    }

    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
        self.csv.push(chunk, &mut self.rows);
        self.convert(out)
    }

    fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
        self.csv.finish(&mut self.rows);
        self.convert(out)?;
        if self.columns.is_none() {
            return Err(
                "the input is empty: a Salesforce extract has at least a header row".into(),
            );
        }
        Ok(())
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
