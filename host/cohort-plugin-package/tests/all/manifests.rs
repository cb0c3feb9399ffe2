//! Data-driven manifest fixtures.
//!
//! `tests/fixtures/manifests/invalid/<name>.toml` must be refused with exactly the message in the sibling
//! `<name>.expected`: the plugin, then one line per problem with its TOML key path and line. Adding a case is adding
//! those two files. Every manifest under `valid/` must be accepted.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use cohort_plugin_package::limits::{
    DEFAULT_FUEL_PER_CALL, DEFAULT_MEMORY_MB, DEFAULT_OUTPUT_BYTES, DEFAULT_WALL_CLOCK_MS,
};
use cohort_plugin_package::{Manifest, PackageError, PluginKind};
use serde_json::json;

use crate::common::{fixtures, valid_manifest};

fn cases(folder: &str) -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(fixtures().join("manifests").join(folder))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    cases
}

#[test]
fn every_invalid_manifest_is_refused_with_exactly_its_expected_problems() {
    let cases = cases("invalid");
    assert!(
        cases.len() >= 15,
        "expected at least 15 invalid manifests, found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let expected = fs::read_to_string(case.with_extension("expected"))
            .unwrap_or_else(|e| panic!("{name} has no readable .expected file: {e}"));
        let text = fs::read_to_string(case).unwrap();
        let actual = match Manifest::parse(&text) {
            Ok(_) => "(accepted without problems)".to_owned(),
            Err(error @ PackageError::InvalidManifest { .. }) => error.to_string(),
            Err(other) => format!("(unexpected error kind) {other}"),
        };
        if actual.trim_end() != expected.trim_end() {
            failures.push(format!(
                "{name}\n  expected:\n    {}\n  actual:\n    {}",
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
fn every_expected_file_has_its_manifest() {
    for entry in fs::read_dir(fixtures().join("manifests/invalid")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "expected") {
            assert!(
                path.with_extension("toml").exists(),
                "{} has no .toml",
                path.display()
            );
        }
    }
}

#[test]
fn every_valid_manifest_is_accepted() {
    let cases = cases("valid");
    assert!(cases.len() >= 3);
    for case in cases {
        let text = fs::read_to_string(&case).unwrap();
        if let Err(error) = Manifest::parse(&text) {
            panic!("{} is refused:\n{error}", case.display());
        }
    }
}

#[test]
fn a_segmenter_manifest_reads_back_as_written() {
    let manifest = Manifest::parse(&valid_manifest("rfm")).unwrap();
    assert_eq!(manifest.id(), "rfm");
    assert_eq!(manifest.version(), "0.1.0");
    assert_eq!(manifest.kind(), PluginKind::Segmenter);
    assert_eq!(manifest.interface(), "cohort:plugin@0.1.0");
    assert_eq!(manifest.publisher(), "cohort-builtin");
    let data = manifest.data().unwrap();
    assert_eq!(data.purposes, ["analytics", "email_marketing"]);
    assert_eq!(data.event_types, ["order_completed"]);
    assert!(manifest.output().is_none());
    let segments: Vec<&str> = manifest.segments().iter().map(|s| s.id.as_str()).collect();
    assert_eq!(segments, ["champions", "at_risk"]);
    assert!(manifest.declares_segment("at_risk"));
    assert!(!manifest.declares_segment("lost"));

    let limits = manifest.effective_limits();
    assert_eq!(limits.fuel_per_call, 2_000_000_000);
    assert_eq!(limits.memory_bytes, 128 * 1024 * 1024);
    assert_eq!(limits.output_bytes, 16_777_216);
    assert_eq!(limits.wall_clock, Duration::from_secs(10));
}

#[test]
fn a_connector_manifest_reads_back_as_written() {
    let manifest = Manifest::parse(&valid_manifest("survey-csv")).unwrap();
    assert_eq!(manifest.kind(), PluginKind::Connector);
    assert_eq!(manifest.version(), "1.2.0-rc.1+build.7");
    let output = manifest.output().unwrap();
    assert_eq!(output.identifiers, ["email", "crm_id"]);
    assert!(manifest.data().is_none());
    assert!(manifest.segments().is_empty());
}

#[test]
fn absent_limits_take_the_host_defaults() {
    let manifest = Manifest::parse(&valid_manifest("minimal-segmenter")).unwrap();
    let limits = manifest.effective_limits();
    assert_eq!(limits.fuel_per_call, DEFAULT_FUEL_PER_CALL);
    assert_eq!(limits.memory_bytes as u64, DEFAULT_MEMORY_MB * 1024 * 1024);
    assert_eq!(limits.output_bytes as u64, DEFAULT_OUTPUT_BYTES);
    assert_eq!(
        limits.wall_clock,
        Duration::from_millis(DEFAULT_WALL_CLOCK_MS)
    );
}

#[test]
fn configurations_are_checked_against_the_manifest_schema() {
    let manifest = Manifest::parse(&valid_manifest("rfm")).unwrap();
    assert_eq!(manifest.validate_config(&json!({})), Ok(()));
    assert_eq!(manifest.validate_config(&json!({"quintiles": 5})), Ok(()));

    let errors = manifest
        .validate_config(&json!({"quintiles": 1}))
        .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("plugin `rfm`"), "{}", errors[0]);
    assert!(errors[0].contains("`/quintiles`"), "{}", errors[0]);

    let errors = manifest
        .validate_config(&json!({"quintiles": "five", "colour": "red"}))
        .unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("`/quintiles`")),
        "{errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("colour")), "{errors:?}");
}

#[test]
fn a_manifest_without_config_accepts_only_an_empty_object() {
    let manifest = Manifest::parse(&valid_manifest("minimal-segmenter")).unwrap();
    assert_eq!(manifest.validate_config(&json!({})), Ok(()));
    assert!(manifest.validate_config(&json!({"anything": 1})).is_err());
    assert!(manifest.validate_config(&json!([])).is_err());
}

#[test]
fn an_oversized_manifest_is_refused_before_parsing() {
    let text = format!(
        "{}\n# {}\n",
        valid_manifest("rfm"),
        "x".repeat(cohort_plugin_package::manifest::MAX_MANIFEST_BYTES)
    );
    assert!(matches!(
        Manifest::parse(&text),
        Err(PackageError::TooLarge {
            what: "manifest",
            ..
        })
    ));
}
