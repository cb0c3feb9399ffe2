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

use cohort_plugin_kit::input::csv::{CsvRow, CsvRows, MAX_FIELDS, MAX_ROW_BYTES};
use cohort_plugin_sdk::{Batch, Connector, LogLevel, log};

use columns::Columns;
use config::Config;

/// The `hubspot-contacts` connector: one conversion of one export.
pub struct HubspotContacts {
    config: Config,
    csv: CsvRows,
    /// The header, once row 1 has been read.
    columns: Option<Columns>,
    /// Rows finished by the current chunk, reused between chunks.
    rows: Vec<CsvRow>,
}

impl HubspotContacts {
    /// Converts the rows read so far.
    fn convert(&mut self, out: &mut Batch) -> Result<(), String> {
        for row in self.rows.drain(..) {
            match (row, &self.columns) {
                (CsvRow::Fields { fields, .. }, None) => {
                    let columns = Columns::from_header(&fields)?;
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
                    self.columns = Some(columns);
                }
                (CsvRow::Fields { row, fields }, Some(columns)) => {
                    convert::convert_row(&self.config, columns, row, &fields, out);
                }
                (CsvRow::NotUtf8 { .. } | CsvRow::TooLong { .. }, None) => {
                    return Err("row 1: the header row is not UTF-8 text or is too long; is this a CSV export?".into());
                }
                (CsvRow::NotUtf8 { row, field }, Some(columns)) => {
                    out.diagnostic(
                        row,
                        Some(columns.label(field)),
                        "is not UTF-8 text: export the file as UTF-8",
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

impl Connector for HubspotContacts {
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
            return Err("the input is empty: a HubSpot export has at least a header row".into());
        }
        Ok(())
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
