//! The connector side: the [`Connector`] trait a connector plugin implements, and the [`Batch`] it fills.

/// A problem with one row of the input that produced no record (WIT `types.diagnostic`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The row as the author of the export would count it, from 1 (for a CSV with a header, the first data row is
    /// row 2).
    pub row: u64,
    /// The field at fault, when one is.
    pub field: Option<String>,
    /// What is wrong, for a person to act on. Never include the row's values: they are personal data.
    pub message: String,
}

/// What one step of a connector produced: canonical records as JSON text and problems with rows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Batch {
    /// Canonical records, each a JSON object valid against `schemas/record.schema.json`.
    pub records: Vec<String>,
    /// Problems with rows that produced no record.
    pub diagnostics: Vec<Diagnostic>,
}

impl Batch {
    /// Adds one canonical record, written as compact JSON.
    pub fn push_record(&mut self, record: &serde_json::Value) {
        self.records.push(record.to_string());
    }

    /// Adds a problem with row `row` (and `field`, when one field is at fault).
    pub fn diagnostic(&mut self, row: u64, field: Option<&str>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic {
            row,
            field: field.map(str::to_owned),
            message: message.into(),
        });
    }

    /// Whether the batch holds neither records nor diagnostics.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.diagnostics.is_empty()
    }
}

/// A connector: turns an export file into canonical records, streaming.
///
/// The host calls [`Connector::start`] once per input, [`Connector::push`] with each chunk of the input in order,
/// then [`Connector::finish`] once. Chunks have any size, down to one byte, so a row (and a UTF-8 character) may be
/// split across chunks: keep the unfinished tail in `self` and complete it on the next push or in `finish`.
/// An `Err` ends the conversion; a bad row should instead become a [`Diagnostic`] so the rest still converts.
pub trait Connector: Sized + 'static {
    /// Starts a conversion. `config` is the plugin's configuration as JSON text (`"{}"` when there is none),
    /// already validated by the host against the config schema of the plugin's manifest.
    fn start(config: &str) -> Result<Self, String>;

    /// Consumes the next chunk of input, adding the records of the rows it completes to `out`.
    fn push(&mut self, chunk: &[u8], out: &mut Batch) -> Result<(), String>;

    /// Ends the input: converts what remains (the last row without a line break) and adds it to `out`.
    fn finish(&mut self, out: &mut Batch) -> Result<(), String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_writes_records_as_compact_json_and_keeps_diagnostics_in_order() {
        let mut batch = Batch::default();
        assert!(batch.is_empty());
        batch.push_record(
            &serde_json::json!({"source": "crm", "identifiers": {"email": "a@example.com"}}),
        );
        batch.diagnostic(2, Some("email"), "not an email address");
        batch.diagnostic(7, None, String::from("row has 3 fields, the header 4"));
        assert!(!batch.is_empty());
        assert_eq!(
            batch.records,
            [r#"{"identifiers":{"email":"a@example.com"},"source":"crm"}"#]
        );
        assert_eq!(
            batch.diagnostics,
            [
                Diagnostic {
                    row: 2,
                    field: Some("email".into()),
                    message: "not an email address".into()
                },
                Diagnostic {
                    row: 7,
                    field: None,
                    message: "row has 3 fields, the header 4".into()
                },
            ]
        );
    }
}
