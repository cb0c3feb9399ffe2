//! Validation of a canonical record against `schemas/record.schema.json`, with messages that name the field and
//! never repeat the value (it may be personal data, and messages reach logs).

use jsonschema::error::{TypeKind, ValidationErrorKind};
use std::sync::OnceLock;

/// The record schema, embedded at build time so the host never reads or fetches schemas at run time.
pub const RECORD_SCHEMA: &str = include_str!("../../../schemas/record.schema.json");

fn validator() -> &'static jsonschema::Validator {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value = match serde_json::from_str(RECORD_SCHEMA) {
            Ok(s) => s,
            Err(e) => panic!("the embedded record schema is not JSON: {e}"),
        };
        match jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
        {
            Ok(v) => v,
            Err(e) => panic!("the embedded record schema does not compile: {e}"),
        }
    })
}

/// One schema violation: a dotted field path (`events[0].at`) and a value-free message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, dotted (`attributes.country`), or empty for the record itself.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// Validates `record`; returns every violation.
pub fn validate(record: &serde_json::Value) -> Vec<FieldError> {
    let v = validator();
    if v.is_valid(record) {
        return Vec::new();
    }
    v.iter_errors(record)
        .map(|e| FieldError {
            field: dotted(e.instance_path().as_str()),
            message: describe(e.kind()),
        })
        .collect()
}

/// Turns a JSON pointer (`/events/0/at`) into a dotted path (`events[0].at`).
pub fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&seg);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

fn describe(kind: &ValidationErrorKind) -> String {
    use ValidationErrorKind as K;
    match kind {
        K::AdditionalProperties { unexpected } => {
            format!("unknown field(s): {}", unexpected.join(", "))
        }
        K::Required { property } => format!("missing required field {property}"),
        K::Type { kind } => format!("must be {}", type_name(kind)),
        K::Format { format } => format!("must be a valid {format}"),
        K::MaxLength { limit } => format!("is longer than {limit} characters"),
        K::MinLength { limit } => format!("is shorter than {limit} characters"),
        K::MaxItems { limit } => format!("has more than {limit} items"),
        K::MaxProperties { limit } => format!("has more than {limit} fields"),
        K::MinProperties { limit } => format!("needs at least {limit} field(s)"),
        K::Pattern { pattern } => format!("does not match {pattern}"),
        K::Enum { options } => format!("must be one of {options}"),
        K::PropertyNames { .. } => {
            "has a field name that is not allowed (lowercase, digits and _ only)".into()
        }
        K::AnyOf { .. } => "must be a string, number, boolean or null".into(),
        other => format!("is not valid ({})", keyword_of(other)),
    }
}

fn keyword_of(kind: &ValidationErrorKind) -> String {
    let dbg = format!("{kind:?}");
    dbg.split([' ', '{', '('])
        .next()
        .unwrap_or("schema")
        .to_string()
}

fn type_name(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(t) => format!("a {t:?}").to_lowercase(),
        TypeKind::Multiple(ts) => format!("one of {ts:?}").to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_issue_example_is_valid() {
        let r = json!({"source": "crm",
            "identifiers": {"email": "ana@example.com", "phone": "+49 151 1234 5678", "crm_id": "H-1001"},
            "attributes": {"country": "DE", "city": "Berlin", "birth_date": "1990-04-01", "lifecycle_stage": "customer"},
            "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z",
                        "properties": {"revenue": 120.5, "currency": "EUR"}}],
            "consents": [{"purpose": "email_marketing", "state": "granted", "at": "2026-09-30T08:00:00Z",
                          "source": "web_form"}]});
        assert_eq!(validate(&r), vec![]);
    }

    #[test]
    fn errors_name_the_field_and_hide_the_value() {
        let r = json!({"source": "crm", "identifiers": {"email": "secret@example.com"},
            "attributes": {"country": ["secret-list"]},
            "events": [{"type": "x", "at": "not-a-date-secret"}]});
        let errs = validate(&r);
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"attributes.country"), "{errs:?}");
        assert!(fields.contains(&"events[0].at"), "{errs:?}");
        for e in &errs {
            assert!(!e.message.contains("secret"), "{e:?}");
        }
    }

    #[test]
    fn dotted_paths() {
        assert_eq!(dotted(""), "");
        assert_eq!(
            dotted("/events/12/properties/a~1b"),
            "events[12].properties.a/b"
        );
    }
}
