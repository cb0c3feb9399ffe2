//! The chunk loop of a connector whose input is one CSV table: the first row is the header, every later row is
//! one data row read against it.
//!
//! The CSV connectors share this loop; each supplies what differs through [`CsvExport`]: how the header is read,
//! how a data row becomes a record, and the wording of the refusals that name its kind of file.

use cohort_plugin_sdk::Batch;

use super::csv::{CsvRow, CsvRows, MAX_FIELDS, MAX_ROW_BYTES};

/// What one CSV connector does with the header and with each data row.
pub trait CsvExport {
    /// The header as read: what the data rows are read against.
    type Header;

    /// The error when the header row is not UTF-8 text or is too long (it names the kind of file).
    const HEADER_UNREADABLE: &'static str;

    /// The diagnostic of a data row with a field that is not UTF-8 text (it says how to export as UTF-8).
    const ROW_NOT_UTF8: &'static str;

    /// The error when the input has no header row (it names the kind of file).
    const EMPTY: &'static str;

    /// Reads the header row, or the error that stops the conversion.
    fn header(&self, fields: &[String]) -> Result<Self::Header, String>;

    /// The name of column `field` (from 0) as diagnostics write it.
    fn column(header: &Self::Header, field: usize) -> &str;

    /// Converts data row `row` to a record, or to diagnostics.
    fn row(&self, header: &Self::Header, row: u64, fields: &[String], out: &mut Batch);
}

/// One conversion of one CSV table by the connector `E`.
pub struct CsvTable<E: CsvExport> {
    export: E,
    csv: CsvRows,
    /// The header, once row 1 has been read.
    header: Option<E::Header>,
    /// Rows finished by the current chunk, reused between chunks.
    rows: Vec<CsvRow>,
}

impl<E: CsvExport> CsvTable<E> {
    /// Starts a conversion with the connector's checked configuration.
    pub fn new(export: E) -> Self {
        Self {
            export,
            csv: CsvRows::default(),
            header: None,
            rows: Vec::new(),
        }
    }

    /// Converts the rows that `chunk` finishes.
    pub fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String> {
        self.csv.push(chunk, &mut self.rows);
        self.convert(out)
    }

    /// Converts the last row, and refuses an input without a header row.
    pub fn finish(&mut self, out: &mut Batch) -> Result<(), String> {
        self.csv.finish(&mut self.rows);
        self.convert(out)?;
        if self.header.is_none() {
            return Err(E::EMPTY.into());
        }
        Ok(())
    }

    /// Converts the rows read so far.
    fn convert(&mut self, out: &mut Batch) -> Result<(), String> {
        for row in self.rows.drain(..) {
            match (row, &self.header) {
                (CsvRow::Fields { fields, .. }, None) => {
                    self.header = Some(self.export.header(&fields)?);
                }
                (CsvRow::Fields { row, fields }, Some(header)) => {
                    self.export.row(header, row, &fields, out);
                }
                (CsvRow::NotUtf8 { .. } | CsvRow::TooLong { .. }, None) => {
                    return Err(E::HEADER_UNREADABLE.into());
                }
                (CsvRow::NotUtf8 { row, field }, Some(header)) => {
                    out.diagnostic(row, Some(E::column(header, field)), E::ROW_NOT_UTF8);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A connector that keeps the header's names and turns each data row into a diagnostic listing its fields.
    struct Echo;

    impl CsvExport for Echo {
        type Header = Vec<String>;
        const HEADER_UNREADABLE: &'static str = "header unreadable";
        const ROW_NOT_UTF8: &'static str = "not UTF-8";
        const EMPTY: &'static str = "empty";

        fn header(&self, fields: &[String]) -> Result<Vec<String>, String> {
            if fields.iter().any(String::is_empty) {
                return Err("a header name is empty".into());
            }
            Ok(fields.to_vec())
        }

        fn column(header: &Vec<String>, field: usize) -> &str {
            header.get(field).map_or("", String::as_str)
        }

        fn row(&self, _: &Vec<String>, row: u64, fields: &[String], out: &mut Batch) {
            out.diagnostic(row, None, fields.join("|"));
        }
    }

    fn run(input: &[u8], chunk: usize) -> Result<Batch, String> {
        let mut table = CsvTable::new(Echo);
        let mut out = Batch::default();
        for part in input.chunks(chunk) {
            table.push(part, &mut out)?;
        }
        table.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn the_header_is_read_once_and_every_later_row_against_it_whatever_the_chunks() {
        let input = b"a,b\n1,2\n\"x\ny\",3";
        for chunk in 1..=input.len() {
            let out = run(input, chunk).unwrap();
            let rows: Vec<(u64, &str)> = out
                .diagnostics
                .iter()
                .map(|d| (d.row, d.message.as_str()))
                .collect();
            assert_eq!(rows, [(2, "1|2"), (3, "x\ny|3")], "chunk {chunk}");
        }
    }

    #[test]
    fn refusals_use_the_connectors_wording() {
        assert_eq!(run(b"", 4).unwrap_err(), "empty");
        assert_eq!(run(b"\xef\xbb\xbf", 1).unwrap_err(), "empty");
        assert_eq!(run(b"a,\xff\n", 4).unwrap_err(), "header unreadable");
        assert_eq!(run(b"a,\n", 4).unwrap_err(), "a header name is empty");
        let out = run(b"a,b\n1,\xff\n", 3).unwrap();
        assert_eq!(out.diagnostics.len(), 1);
        let diagnostic = &out.diagnostics[0];
        assert_eq!(
            (
                diagnostic.row,
                diagnostic.field.as_deref(),
                diagnostic.message.as_str()
            ),
            (2, Some("b"), "not UTF-8")
        );
    }
}
