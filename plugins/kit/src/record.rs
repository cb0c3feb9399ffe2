//! Builds one canonical record (`schemas/record.schema.json`) and collects what is wrong with the row it comes
//! from, so that a row gives either a valid record or diagnostics, never a record the host would refuse.

// Every function is `#[inline]` so that the serde_json code it uses is compiled in the plugin: see "Code size"
// in the crate documentation.

use cohort_plugin_sdk::Batch;
use serde_json::{Map, Value};

/// Longest identifier value, in characters (the record schema's `maxLength`; 320 is the longest email address
/// RFC 3696 allows).
pub const MAX_IDENTIFIER_CHARS: usize = 320;

/// Longest text attribute, in characters (the record schema's `maxLength`).
pub const MAX_TEXT_CHARS: usize = 1024;

/// Longest event id, in characters (the record schema's `maxLength`, after Segment's `messageId` limit).
pub const MAX_EVENT_ID_CHARS: usize = 100;

/// The record schema's pattern for `source`: `^[a-z][a-z0-9_.-]{0,63}$`.
#[inline]
pub fn valid_source(source: &str) -> bool {
    let mut chars = source.chars();
    matches!(chars.next(), Some('a'..='z'))
        && source.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | '.' | '-'))
}

/// The record schema's pattern for consent purposes and attribute names: `^[a-z][a-z0-9_]{0,63}$`.
#[inline]
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 64
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// What is wrong with one row: each problem names a field (a column or JSON path) and says what is wrong, never
/// the value.
#[derive(Debug, Default)]
pub struct Problems {
    list: Vec<(Option<String>, String)>,
}

impl Problems {
    /// Records a problem with `field` (or the row as a whole).
    #[inline]
    pub fn add(&mut self, field: Option<&str>, message: impl Into<String>) {
        self.list.push((field.map(str::to_owned), message.into()));
    }

    /// Whether nothing is wrong.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Writes every problem as a diagnostic of `row`.
    #[inline]
    pub fn report(self, row: u64, out: &mut Batch) {
        for (field, message) in self.list {
            out.diagnostic(row, field.as_deref(), message);
        }
    }
}

/// One event of a record.
#[derive(Debug)]
pub struct Event {
    /// Canonical type, such as `order_completed`.
    pub kind: &'static str,
    /// RFC 3339 UTC time.
    pub at: String,
    /// The source's event id, for dropping duplicates.
    pub id: Option<String>,
    /// Properties; may be empty.
    pub properties: Map<String, Value>,
}

/// One consent event of a record.
#[derive(Debug)]
pub struct Consent {
    /// Policy purpose, such as `email_marketing`.
    pub purpose: String,
    /// `granted`, `withdrawn` or `refused`.
    pub state: &'static str,
    /// RFC 3339 UTC time.
    pub at: String,
    /// Collection point.
    pub source: String,
    /// Reference of the privacy notice shown, when known.
    pub notice: Option<String>,
    /// How it was expressed, when known.
    pub method: Option<String>,
}

/// A record under construction.
#[derive(Debug)]
pub struct RecordBuilder {
    source: String,
    identifiers: Map<String, Value>,
    attributes: Map<String, Value>,
    events: Vec<Value>,
    consents: Vec<Value>,
}

impl RecordBuilder {
    /// An empty record from `source`.
    #[inline]
    pub fn new(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            identifiers: Map::new(),
            attributes: Map::new(),
            events: Vec::new(),
            consents: Vec::new(),
        }
    }

    /// Sets identifier `kind` from `value` (trimmed); an empty value is skipped, an overlong one is a problem of
    /// `field`. A kind already set keeps its first value.
    #[inline]
    pub fn identifier(&mut self, kind: &str, value: &str, field: &str, problems: &mut Problems) {
        let value = value.trim();
        if value.is_empty() || self.identifiers.contains_key(kind) {
            return;
        }
        if value.chars().count() > MAX_IDENTIFIER_CHARS {
            problems.add(
                Some(field),
                format!("is longer than {MAX_IDENTIFIER_CHARS} characters"),
            );
            return;
        }
        self.identifiers
            .insert(kind.to_owned(), Value::String(value.to_owned()));
    }

    /// Sets the `email` identifier when `value` has the shape of an address (one `@`, a local part, a dotted
    /// domain); anything else is a problem of `field`. An empty value is skipped.
    #[inline]
    pub fn email(&mut self, value: &str, field: &str, problems: &mut Problems) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let shaped = match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !value.contains(char::is_whitespace)
            }
            None => false,
        };
        if shaped {
            self.identifier("email", value, field, problems);
        } else {
            problems.add(Some(field), "is not an email address");
        }
    }

    /// Whether an identifier is set.
    #[inline]
    pub fn has_identifier(&self) -> bool {
        !self.identifiers.is_empty()
    }

    /// Sets text attribute `name` from `value` (trimmed); empty is skipped, overlong is a problem of `field`.
    #[inline]
    pub fn text(&mut self, name: &str, value: &str, field: &str, problems: &mut Problems) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        if value.chars().count() > MAX_TEXT_CHARS {
            problems.add(
                Some(field),
                format!("is longer than {MAX_TEXT_CHARS} characters"),
            );
            return;
        }
        self.attributes
            .insert(name.to_owned(), Value::String(value.to_owned()));
    }

    /// Sets attribute `name` to a JSON scalar.
    #[inline]
    pub fn attribute(&mut self, name: &str, value: Value) {
        self.attributes.insert(name.to_owned(), value);
    }

    /// Adds an event.
    #[inline]
    pub fn event(&mut self, event: Event) {
        let mut object = Map::new();
        object.insert("type".into(), Value::from(event.kind));
        object.insert("at".into(), Value::String(event.at));
        if let Some(id) = event.id {
            object.insert("id".into(), Value::String(id));
        }
        if !event.properties.is_empty() {
            object.insert("properties".into(), Value::Object(event.properties));
        }
        self.events.push(Value::Object(object));
    }

    /// Adds a consent event.
    #[inline]
    pub fn consent(&mut self, consent: Consent) {
        let mut object = Map::new();
        object.insert("purpose".into(), Value::String(consent.purpose));
        object.insert("state".into(), Value::from(consent.state));
        object.insert("at".into(), Value::String(consent.at));
        object.insert("source".into(), Value::String(consent.source));
        if let Some(notice) = consent.notice {
            object.insert("notice".into(), Value::String(notice));
        }
        if let Some(method) = consent.method {
            object.insert("method".into(), Value::String(method));
        }
        self.consents.push(Value::Object(object));
    }

    /// The record as JSON, empty sections left out.
    #[inline]
    pub fn build(self) -> Value {
        let mut record = Map::new();
        record.insert("source".into(), Value::String(self.source));
        record.insert("identifiers".into(), Value::Object(self.identifiers));
        if !self.attributes.is_empty() {
            record.insert("attributes".into(), Value::Object(self.attributes));
        }
        if !self.events.is_empty() {
            record.insert("events".into(), Value::Array(self.events));
        }
        if !self.consents.is_empty() {
            record.insert("consents".into(), Value::Array(self.consents));
        }
        Value::Object(record)
    }

    /// Ends a row: its diagnostics when anything is wrong, `missing` as a diagnostic when it has no identifier,
    /// else its record.
    #[inline]
    pub fn finish_row(self, row: u64, problems: Problems, missing: &str, out: &mut Batch) {
        if !problems.is_empty() {
            problems.report(row, out);
        } else if !self.has_identifier() {
            out.diagnostic(row, None, missing);
        } else {
            out.push_record(&self.build());
        }
    }
}

/// Largest integer an `f64` holds exactly (2^53); whole numbers up to it are written as JSON integers.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A number as JSON: whole numbers as integers (`3`, not `3.0`), others as decimals; `None` when not finite.
#[inline]
pub fn number(value: f64) -> Option<Value> {
    if value.fract() == 0.0 && value.abs() <= MAX_EXACT_INTEGER {
        // In range and whole, so the conversion is exact.
        #[allow(clippy::cast_possible_truncation)]
        return Some(Value::from(value as i64));
    }
    serde_json::Number::from_f64(value).map(Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_gives_a_record_or_diagnostics_never_both() {
        let mut problems = Problems::default();
        let mut record = RecordBuilder::new("crm");
        record.email(" Ana@Example.com ", "Email", &mut problems);
        record.identifier("crm_id", "  ", "Id", &mut problems);
        record.text("city", " Berlin ", "City", &mut problems);
        let mut out = Batch::default();
        record.finish_row(2, problems, "no identifier", &mut out);
        assert_eq!(
            out.records,
            [
                r#"{"attributes":{"city":"Berlin"},"identifiers":{"email":"Ana@Example.com"},"source":"crm"}"#
            ]
        );

        let mut problems = Problems::default();
        let mut record = RecordBuilder::new("crm");
        record.email("not-an-address", "Email", &mut problems);
        record.identifier("crm_id", &"x".repeat(321), "Id", &mut problems);
        let mut out = Batch::default();
        record.finish_row(3, problems, "no identifier", &mut out);
        assert!(out.records.is_empty());
        let messages: Vec<_> = out
            .diagnostics
            .iter()
            .map(|d| (d.row, d.field.as_deref(), d.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (3, Some("Email"), "is not an email address"),
                (3, Some("Id"), "is longer than 320 characters"),
            ]
        );
    }

    #[test]
    fn a_row_without_identifiers_is_reported() {
        let mut out = Batch::default();
        RecordBuilder::new("crm").finish_row(4, Problems::default(), "no id", &mut out);
        assert!(out.records.is_empty());
        assert_eq!(out.diagnostics[0].message, "no id");
    }

    #[test]
    fn whole_numbers_are_integers() {
        assert_eq!(number(3.0).map(|v| v.to_string()), Some("3".into()));
        assert_eq!(number(-45.0).map(|v| v.to_string()), Some("-45".into()));
        assert_eq!(number(54.9).map(|v| v.to_string()), Some("54.9".into()));
        assert_eq!(number(1e300).map(|v| v.to_string()), Some("1e+300".into()));
        assert_eq!(number(f64::NAN), None);
    }

    #[test]
    fn names_and_sources_follow_the_schema_patterns() {
        assert!(valid_source("hubspot-contacts"));
        assert!(valid_source("crm.eu_1"));
        assert!(!valid_source("CRM"));
        assert!(!valid_source(""));
        assert!(!valid_source(&"a".repeat(65)));
        assert!(valid_name("email_marketing"));
        assert!(!valid_name("email-marketing"));
    }
}
