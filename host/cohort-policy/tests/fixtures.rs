//! Data-driven policy fixtures.
//!
//! `tests/fixtures/policies/invalid/<name>.yaml` must fail to load with exactly the diagnostic lines in the
//! sibling `<name>.expected` (one per line, file named `<name>.yaml`), which proves both path and line. Adding a
//! case is adding those two files. The shipped policies under `policies/` must load cleanly.

use std::fs;
use std::path::{Path, PathBuf};

use cohort_policy::{PolicyError, load_policy, parse_policy};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn invalid_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/policies/invalid")
}

#[test]
fn every_invalid_fixture_fails_with_exactly_its_expected_diagnostics() {
    let mut cases: Vec<PathBuf> = fs::read_dir(invalid_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 12,
        "expected at least 12 invalid fixtures, found {}",
        cases.len()
    );

    let mut failures = Vec::new();
    for case in &cases {
        let file_name = case.file_name().unwrap().to_str().unwrap();
        let expected_path = case.with_extension("expected");
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{} has no readable .expected file: {e}", case.display()));
        let text = fs::read_to_string(case).unwrap();
        let actual = match parse_policy(file_name, &text) {
            Ok(_) => "(loaded without errors)".to_owned(),
            Err(error @ PolicyError::Invalid { .. }) => error.to_string(),
            Err(other) => format!("(unexpected error kind) {other}"),
        };
        if actual.trim_end() != expected.trim_end() {
            failures.push(format!(
                "{file_name}\n  expected:\n    {}\n  actual:\n    {}",
                expected.trim_end().replace('\n', "\n    "),
                actual.replace('\n', "\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_expected_file_has_its_yaml() {
    for entry in fs::read_dir(invalid_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("yaml").exists(),
                "{} has no .yaml",
                path.display()
            );
        }
    }
}

#[test]
fn shipped_policies_load() {
    for name in ["default.yaml", "example-retail.yaml"] {
        let path = workspace_root().join("policies").join(name);
        if let Err(error) = load_policy(&path) {
            panic!("{name} does not load:\n{error}");
        }
    }
}

#[test]
fn shipped_default_is_the_strictest_starting_point() {
    let policy = load_policy(&workspace_root().join("policies/default.yaml")).unwrap();
    assert_eq!(policy.id(), "default");
    assert_eq!(policy.purposes().len(), 1);
    let analytics = policy.purpose("analytics").unwrap();
    assert_eq!(analytics.outputs, cohort_policy::Outputs::AggregateOnly);
    assert!(policy.contact_identifier_kinds().is_empty());
    assert!(policy.plugins().trusted_publishers.is_empty());
    assert!(policy.plugins().allow.is_empty());
    assert!(policy.aggregates().differential_privacy.is_some());
    assert_eq!(policy.erasure().reimport, cohort_policy::Reimport::Never);
}

#[test]
fn the_reference_documents_a_valid_complete_example() {
    let reference = fs::read_to_string(workspace_root().join("docs/policy-reference.md")).unwrap();
    let start = reference
        .find("```yaml\npolicy: acme-eu")
        .expect("the complete example")
        + "```yaml\n".len();
    let end = start + reference[start..].find("```").unwrap();
    let policy = parse_policy("policy-reference.md", &reference[start..end])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.id(), "acme-eu");
    assert_eq!(policy.plugins().trusted_publishers.len(), 1);
}
