//! Structural validation against `schemas/policy.schema.json`, compiled once, with errors turned into diagnostics.
//!
//! The schema is embedded at build time, so the host never reads it from disk and never fetches anything: the
//! workspace builds jsonschema without its HTTP retriever, and the schema has no remote references.

use std::sync::LazyLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::error::Diagnostic;
use crate::location;

/// The policy JSON Schema (draft 2020-12), as shipped in `schemas/policy.schema.json`.
pub const POLICY_SCHEMA: &str = include_str!("../../../schemas/policy.schema.json");

/// Most schema errors reported for one file. A file that is not a policy at all (say, a plugin manifest) would
/// otherwise produce one error per field; the first fifty say enough.
pub(crate) const MAX_SCHEMA_ERRORS: usize = 50;

static VALIDATOR: LazyLock<Result<Validator, String>> = LazyLock::new(|| {
    let schema: Value = serde_json::from_str(POLICY_SCHEMA)
        .map_err(|e| format!("the embedded policy schema is not JSON: {e}"))?;
    jsonschema::draft202012::new(&schema)
        .map_err(|e| format!("the embedded policy schema does not compile: {e}"))
});

/// Validates a document; every error becomes a diagnostic without a line (the caller places it).
pub(crate) fn validate(document: &Value) -> Vec<Diagnostic> {
    let validator = match &*VALIDATOR {
        Ok(validator) => validator,
        Err(message) => return vec![Diagnostic::at("", message.clone())],
    };
    let mut diagnostics = Vec::new();
    for error in validator.iter_errors(document).take(MAX_SCHEMA_ERRORS) {
        describe(&error, &mut diagnostics);
    }
    diagnostics
}

/// Turns one schema error into diagnostics worded for a policy author.
fn describe(error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
    let path = error.instance_path().as_str().to_owned();
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            for field in unexpected {
                out.push(Diagnostic::at(
                    location::child(&path, field),
                    format!("unknown field `{field}`"),
                ));
            }
            return;
        }
        ValidationErrorKind::Required { property } => {
            let field = property.as_str().unwrap_or_default();
            out.push(Diagnostic::at(
                location::child(&path, field),
                format!("required field `{field}` is missing"),
            ));
            return;
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let name = inner.instance().as_str().unwrap_or_default();
            out.push(Diagnostic::at(
                location::child(&path, name),
                format!("`{name}` is not a valid name here: {}", inner),
            ));
            return;
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!(
                "expected {} {expected}, found {}",
                article_for(&expected),
                kind_of(error.instance())
            )
        }
        ValidationErrorKind::Enum { options } => {
            let choices = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|o| format!("`{}`", o.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("{} is not one of {choices}", shown(error.instance()))
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!(
                "{} does not match the pattern `{pattern}`",
                shown(error.instance())
            )
        }
        ValidationErrorKind::UniqueItems => "the list names an entry more than once".to_owned(),
        ValidationErrorKind::MinItems { limit } => {
            format!(
                "the list needs at least {limit} entr{}",
                if *limit == 1 { "y" } else { "ies" }
            )
        }
        ValidationErrorKind::MinLength { .. } => "must not be empty".to_owned(),
        _ => error.to_string(),
    };
    out.push(Diagnostic::at(path, message));
}

/// A value as shown in a message: text in backticks, anything else as JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

fn kind_of(value: &Value) -> String {
    match value {
        Value::Null => "nothing (null)".to_owned(),
        Value::Bool(b) => format!("the boolean `{b}`"),
        Value::Number(n) => format!("the number `{n}`"),
        Value::String(s) => format!("the text `{s}`"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

fn article_for(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn embedded_schema_compiles() {
        assert!(VALIDATOR.is_ok(), "{:?}", VALIDATOR.as_ref().err());
    }

    /// Walks every subschema (the keywords this schema uses that hold schemas), calling `visit` with its pointer.
    fn walk(schema: &Value, path: &str, visit: &mut dyn FnMut(&str, &Value)) {
        visit(path, schema);
        for keyword in ["properties", "$defs"] {
            if let Some(map) = schema.get(keyword).and_then(Value::as_object) {
                for (name, child) in map {
                    walk(child, &format!("{path}/{keyword}/{name}"), visit);
                }
            }
        }
        for keyword in ["items", "additionalProperties", "propertyNames"] {
            if let Some(child) = schema.get(keyword).filter(|c| c.is_object()) {
                walk(child, &format!("{path}/{keyword}"), visit);
            }
        }
    }

    #[test]
    fn every_object_is_closed_and_every_property_cites_an_article() {
        let schema: Value = serde_json::from_str(POLICY_SCHEMA).unwrap();
        let mut problems = Vec::new();
        let mut checked = 0;
        walk(&schema, "", &mut |path, node| {
            let Some(properties) = node.get("properties").and_then(Value::as_object) else {
                return;
            };
            if node.get("additionalProperties") != Some(&Value::Bool(false)) {
                problems.push(format!("{path}: additionalProperties is not false"));
            }
            for (name, property) in properties {
                checked += 1;
                let description = property
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                if !description.contains("Art. ") {
                    problems.push(format!(
                        "{path}/properties/{name}: description cites no article"
                    ));
                }
            }
        });
        assert!(problems.is_empty(), "{problems:#?}");
        // The format has some forty fields; far fewer means the walk missed part of the schema.
        assert!(checked >= 40, "only {checked} properties checked");
    }

    #[test]
    fn errors_point_at_the_offending_field() {
        let diagnostics = validate(&json!({
            "policy": "Bad Id",
            "version": "three",
            "controller": {"name": "A", "extra": 1},
            "purposes": [],
            "aggregates": {"min_group_size": 50, "min_export_size": 100},
        }));
        let mut found: Vec<_> = diagnostics
            .iter()
            .map(|d| (d.path.as_str(), d.message.as_str()))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                ("/controller/extra", "unknown field `extra`"),
                (
                    "/policy",
                    "`Bad Id` does not match the pattern `^[a-z0-9][a-z0-9-]*$`"
                ),
                ("/purposes", "the list needs at least 1 entry"),
                ("/retention", "required field `retention` is missing"),
                ("/version", "expected an integer, found the text `three`"),
            ]
        );
    }
}
