//! Loads, validates, checks, explains and diffs GDPR policy files.
//!
//! A policy file (YAML, read by compliance auditors) says which personal data Cohort may store, for which
//! purposes, on which legal basis, for how long and what it may release. Loading runs four stages, each reporting
//! every problem with the file name, a JSON-pointer-like path and the line:
//!
//! 1. YAML (`yaml`): YAML to JSON, recording the line of every path; duplicate keys, anchors and aliases are
//!    refused.
//! 2. Schema (`schema`): validation against `schemas/policy.schema.json` (embedded, compiled once).
//! 3. Types (`document`): typed deserialisation with unknown fields denied.
//! 4. Semantics (`checks`): per-subject release needs consent, special categories need explicit consent,
//!    references resolve, thresholds are coherent, and the other rules in `docs/policy-reference.md`.
//!
//! The result is a [`Policy`], which answers ingest's questions ([`Policy::attribute_disposition`], ...),
//! renders an Art. 30 record ([`explain_markdown`]) and compares with another version ([`diff()`]).
//!
//! **Invariant:** a [`Policy`] or [`Purpose`] exists only after every check passed.

mod checks;
mod declared;
mod diff;
mod document;
mod error;
mod explain;
mod generalise;
mod location;
mod model;
mod policy;
mod schema;
mod vocabulary;
mod yaml;

use std::io::Read as _;
use std::path::Path;

pub use diff::{Change, Effect, PolicyDiff, PolicyVersion, diff};
pub use error::{Diagnostic, PolicyError};
pub use explain::explain_markdown;
pub use generalise::{Generalisation, GeneraliseError, MAX_PLAUSIBLE_AGE, POSTCODE_PREFIX_CHARS};
pub use model::{
    Aggregates, AttributeDisposition, AttributeRule, Controller, DifferentialPrivacy, ErasureRules,
    EventRule, IdentityRules, Mechanism, PluginAllow, PluginRules, Purpose, Retention, SumBounds,
    TrustedPublisher,
};
pub use policy::Policy;
pub use schema::POLICY_SCHEMA;
pub use vocabulary::{Category, EmailFolding, LegalBasis, Outputs, Reimport};
pub use yaml::MAX_NESTING_DEPTH;

/// Largest policy file accepted, in bytes. A real policy is a few kilobytes; 1 MiB bounds memory and parse time
/// before anything else looks at the file.
pub const MAX_POLICY_BYTES: usize = 1024 * 1024;

/// Reads, validates and checks the policy file at `path`. Diagnostics name the file by `path` as given.
pub fn load_policy(path: &Path) -> Result<Policy, PolicyError> {
    let io_error = |source| PolicyError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_error)?;
    let mut bytes = Vec::new();
    // Reading one byte past the limit tells a file at the limit from a larger one without trusting metadata.
    let limit = u64::try_from(MAX_POLICY_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    file.take(limit).read_to_end(&mut bytes).map_err(io_error)?;
    let source_name = path.display().to_string();
    check_size(&source_name, bytes.len())?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        invalid(
            &source_name,
            vec![Diagnostic::on_line("", line, "the file is not valid UTF-8")],
        )
    })?;
    parse_policy(&source_name, text)
}

/// Validates and checks policy text; `source_name` names it in diagnostics and in [`Policy::source_name`].
pub fn parse_policy(source_name: &str, text: &str) -> Result<Policy, PolicyError> {
    check_size(source_name, text.len())?;
    let sha256_hex = hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()));

    let parsed = yaml::read(text).map_err(|diagnostics| invalid(source_name, diagnostics))?;
    let lines = parsed.lines;
    let place = |mut diagnostics: Vec<Diagnostic>| {
        for diagnostic in &mut diagnostics {
            if diagnostic.line.is_none() {
                diagnostic.line = lines.line_of(&diagnostic.path);
            }
        }
        error::sort_by_line(&mut diagnostics);
        invalid(source_name, diagnostics)
    };

    let schema_errors = schema::validate(&parsed.value);
    if !schema_errors.is_empty() {
        return Err(place(schema_errors));
    }
    let doc: document::Document = serde_json::from_value(parsed.value).map_err(|e| {
        place(vec![Diagnostic::at(
            "",
            format!("the policy does not have the expected shape: {e}"),
        )])
    })?;
    let problems = checks::check(&doc);
    if !problems.is_empty() {
        return Err(place(problems));
    }
    Policy::build(doc, source_name, sha256_hex).map_err(place)
}

fn check_size(source_name: &str, len: usize) -> Result<(), PolicyError> {
    if len > MAX_POLICY_BYTES {
        return Err(invalid(
            source_name,
            vec![Diagnostic::at(
                "",
                format!(
                    "the file is larger than {MAX_POLICY_BYTES} bytes, the most a policy file may be"
                ),
            )],
        ));
    }
    Ok(())
}

fn invalid(source_name: &str, diagnostics: Vec<Diagnostic>) -> PolicyError {
    PolicyError::Invalid {
        source_name: source_name.to_owned(),
        diagnostics,
    }
}
