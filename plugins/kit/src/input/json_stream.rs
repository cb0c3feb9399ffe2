//! The chunk loop of a connector whose input is a stream of JSON values (lines, array elements or one member's
//! array): each value is parsed and handed to the connector, and what cannot be parsed becomes a diagnostic.
//!
//! The JSON connectors share this loop; each supplies what differs through [`JsonExport`]: its size limit, the
//! member its items may sit under, what a value becomes, and the wording of the diagnostics that name its items.

use cohort_plugin_sdk::Batch;
use serde_json::Value;

use super::json::{JsonItem, JsonItems};
use crate::json_value::parse_error;

/// What one JSON connector does with each value.
pub trait JsonExport {
    /// Largest value held at once, in bytes.
    const MAX_ITEM_BYTES: usize;

    /// The member of a top-level object whose array holds the items, when the input may be such an object.
    const ITEMS_KEY: Option<&'static str>;

    /// Why a value over [`Self::MAX_ITEM_BYTES`] is refused, as the diagnostic writes it after the size, e.g.
    /// "far more than one response".
    const TOO_LARGE: &'static str;

    /// The diagnostic of a value the input ends inside of.
    const TRUNCATED: &'static str;

    /// Converts the parsed value found at `row`.
    fn value(&mut self, row: u64, value: &Value, out: &mut Batch);

    /// Called once after the last value, for what the connector reports at the end.
    fn finish(&mut self) {}
}

/// One conversion of one JSON input by the connector `E`.
pub struct JsonStream<E: JsonExport> {
    export: E,
    json: JsonItems,
    /// Items finished by the current chunk, reused between chunks.
    items: Vec<JsonItem>,
}

impl<E: JsonExport> JsonStream<E> {
    /// Starts a conversion with the connector's state.
    pub fn new(export: E) -> Self {
        Self {
            export,
            json: JsonItems::new(E::MAX_ITEM_BYTES, E::ITEMS_KEY),
            items: Vec::new(),
        }
    }

    /// Converts the values that `chunk` finishes.
    pub fn push(&mut self, chunk: &[u8], out: &mut Batch) {
        self.json.push(chunk, &mut self.items);
        self.convert(out);
    }

    /// Converts the last value and lets the connector report what it counted.
    pub fn finish(&mut self, out: &mut Batch) {
        self.json.finish(&mut self.items);
        self.convert(out);
        self.export.finish();
    }

    /// Converts the values read so far.
    fn convert(&mut self, out: &mut Batch) {
        let items = std::mem::take(&mut self.items);
        for item in items {
            match item {
                JsonItem::Value { row, bytes, .. } => match serde_json::from_slice::<Value>(&bytes)
                {
                    Ok(value) => self.export.value(row, &value, out),
                    Err(e) => out.diagnostic(row, None, parse_error(&e)),
                },
                JsonItem::TooLarge { row, .. } => out.diagnostic(
                    row,
                    None,
                    format!(
                        "is larger than {} bytes, {}: skipped",
                        E::MAX_ITEM_BYTES,
                        E::TOO_LARGE
                    ),
                ),
                JsonItem::Truncated { row, .. } => out.diagnostic(row, None, E::TRUNCATED),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connector that turns each value into a diagnostic holding its JSON text, and counts `finish` calls.
    #[derive(Default)]
    struct Echo {
        finished: u32,
    }

    impl JsonExport for Echo {
        const MAX_ITEM_BYTES: usize = 16;
        const ITEMS_KEY: Option<&'static str> = Some("items");
        const TOO_LARGE: &'static str = "too big for a test";
        const TRUNCATED: &'static str = "cut short";

        fn value(&mut self, row: u64, value: &Value, out: &mut Batch) {
            out.diagnostic(row, None, value.to_string());
        }

        fn finish(&mut self) {
            self.finished += 1;
        }
    }

    fn run(input: &[u8], chunk: usize) -> (Vec<String>, u32) {
        let mut stream = JsonStream::new(Echo::default());
        let mut out = Batch::default();
        for part in input.chunks(chunk) {
            stream.push(part, &mut out);
        }
        stream.finish(&mut out);
        let messages = out.diagnostics.into_iter().map(|d| d.message).collect();
        (messages, stream.export.finished)
    }

    #[test]
    fn each_value_is_handed_over_parsed_whatever_the_chunks() {
        let input = br#"{"items": [{"a": 1}, [2, 3]]}"#;
        for chunk in 1..=input.len() {
            assert_eq!(
                run(input, chunk),
                (vec![r#"{"a":1}"#.to_owned(), "[2,3]".to_owned()], 1),
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn what_cannot_be_handed_over_becomes_a_diagnostic() {
        let (messages, finished) = run(b"{\"a\": \"0123456789abcdef\"}\n", 5);
        assert_eq!(
            (messages, finished),
            (
                vec!["is larger than 16 bytes, too big for a test: skipped".to_owned()],
                1
            )
        );
        let (messages, _) = run(b"[{\"a\": ", 3);
        assert_eq!(messages, ["cut short"]);
        let (messages, _) = run(b"{\"a\" 1}\n", 3);
        assert_eq!(messages.len(), 1);
        assert_ne!(messages[0], "cut short");
    }
}
