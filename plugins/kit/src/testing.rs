//! The connectors' data-driven tests over their `samples/` folders, in one place (feature `testing`, enabled
//! only by the connectors' dev-dependencies, so none of it reaches a component).
//!
//! Every sample export runs through the connector whole and cut into chunks of 1, 7 and 64 bytes, and must give
//! exactly `<name>.expected.jsonl` (records, compared as JSON) and `<name>.expected-diagnostics.txt` (one
//! `row N[, field F]: message` per line). An optional `<name>.config.json` is the connector configuration (else
//! `{}`); it must be valid against the manifest's config schema. Every record must be valid against
//! `schemas/record.schema.json` and inside the manifest's `[output]` lists, and together the samples must emit
//! every name those lists declare, so the manifest says exactly what the connector emits.
//!
//! A property test also cuts every sample at random points and checks the output does not change.
//!
//! A connector's `tests/samples.rs` invokes [`sample_tests!`](crate::sample_tests) once. Adding a case is adding
//! files. After a deliberate change, `COHORT_BLESS=1 cargo test` rewrites the expected files from the
//! whole-input run; review the diff before committing it.

// These are test assertions: a helper that cannot read a sample or finds a wrong output must fail the test, so
// `unwrap` and panics are what they are for here.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use cohort_plugin_sdk::{Connector, Diagnostic, run_connector, run_connector_chunks};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::Value;

/// Chunk sizes besides the whole input: one byte splits every row and every multi-byte character.
const CHUNK_SIZES: [usize; 3] = [1, 7, 64];

/// Suffixes of the files that describe a sample rather than being one.
const SIDE_FILES: [&str; 3] = [
    ".expected.jsonl",
    ".expected-diagnostics.txt",
    ".config.json",
];

/// Random cuttings tried per run of [`check_cut_samples`]: enough to cut inside quoted fields, multi-byte
/// characters and byte order marks of every sample, few enough to keep `cargo test` quick.
const CUT_CASES: u32 = 48;

/// Most cut points in one cutting.
const MAX_CUTS: usize = 16;

/// Defines the two sample tests of a connector crate over the `samples/` folder of the crate that invokes it:
/// `every_sample_converts_to_its_expected_output_at_every_chunk_size` runs
/// [`check_samples`](crate::testing::check_samples) and `samples_cut_anywhere_convert_the_same` runs
/// [`check_cut_samples`](crate::testing::check_cut_samples). Invoke it once, in `tests/samples.rs`:
/// `cohort_plugin_kit::sample_tests!(my_connector::MyConnector);`.
#[macro_export]
macro_rules! sample_tests {
    ($plugin:ty) => {
        #[test]
        fn every_sample_converts_to_its_expected_output_at_every_chunk_size() {
            $crate::testing::check_samples::<$plugin>(::std::path::Path::new(env!(
                "CARGO_MANIFEST_DIR"
            )));
        }

        #[test]
        fn samples_cut_anywhere_convert_the_same() {
            $crate::testing::check_cut_samples::<$plugin>(::std::path::Path::new(env!(
                "CARGO_MANIFEST_DIR"
            )));
        }
    };
}

/// The `[output]` lists and the compiled config schema of the manifest.
struct Manifest {
    identifiers: BTreeSet<String>,
    attributes: BTreeSet<String>,
    event_types: BTreeSet<String>,
    config: jsonschema::Validator,
}

fn manifest(crate_dir: &Path) -> Manifest {
    let text = fs::read_to_string(crate_dir.join("manifest.toml")).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let list = |key: &str| -> BTreeSet<String> {
        doc["output"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let schema: Value = serde_json::from_str(doc["config"]["schema"].as_str().unwrap()).unwrap();
    Manifest {
        identifiers: list("identifiers"),
        attributes: list("attributes"),
        event_types: list("event_types"),
        config: jsonschema::validator_for(&schema).unwrap(),
    }
}

/// The canonical record schema, `schemas/record.schema.json` at the repository root (two levels above this crate).
fn record_schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/record.schema.json");
    let schema: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn samples(crate_dir: &Path) -> Vec<PathBuf> {
    let mut inputs: Vec<PathBuf> = fs::read_dir(crate_dir.join("samples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_str().unwrap();
            !SIDE_FILES.iter().any(|suffix| name.ends_with(suffix))
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no samples");
    inputs
}

/// `samples/<stem>.<suffix>` for input `samples/<stem>.<ext>`.
fn side_file(input: &Path, suffix: &str) -> PathBuf {
    let stem = input.file_stem().unwrap().to_str().unwrap();
    input.with_file_name(format!("{stem}{suffix}"))
}

fn diagnostic_line(d: &Diagnostic) -> String {
    match &d.field {
        Some(field) => format!("row {}, field {field}: {}", d.row, d.message),
        None => format!("row {}: {}", d.row, d.message),
    }
}

/// The configuration of sample `input`: its `.config.json`, else `{}`.
fn config_of(input: &Path) -> String {
    fs::read_to_string(side_file(input, ".config.json")).unwrap_or_else(|_| "{}".into())
}

/// Runs connector `C` over every sample in `crate_dir/samples`, whole and in chunks of 1, 7 and 64 bytes, and
/// checks the output against the expected files, the record schema and the manifest in `crate_dir` (see the
/// module documentation). Panics, as a test does, at the first difference.
pub fn check_samples<C: Connector>(crate_dir: &Path) {
    let manifest = manifest(crate_dir);
    let schema = record_schema();
    let bless = std::env::var_os("COHORT_BLESS").is_some();
    let mut emitted = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());

    for input_path in samples(crate_dir) {
        let name = input_path.display().to_string();
        let input = fs::read(&input_path).unwrap();
        let config = config_of(&input_path);
        let config_value: Value = serde_json::from_str(&config).unwrap();
        assert!(
            manifest.config.is_valid(&config_value),
            "{name}: config is not valid against the manifest's schema"
        );

        let (records, diagnostics) =
            run_connector::<C>(&config, &input, input.len().max(1)).unwrap();
        let diagnostics: Vec<String> = diagnostics.iter().map(diagnostic_line).collect();
        let records_path = side_file(&input_path, ".expected.jsonl");
        let diagnostics_path = side_file(&input_path, ".expected-diagnostics.txt");
        if bless {
            let lines: Vec<String> = records.iter().map(Value::to_string).collect();
            fs::write(&records_path, lines.join("\n") + "\n").unwrap();
            let text = if diagnostics.is_empty() {
                String::new()
            } else {
                diagnostics.join("\n") + "\n"
            };
            fs::write(&diagnostics_path, text).unwrap();
        }

        let expected_records: Vec<Value> = fs::read_to_string(&records_path)
            .unwrap()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        let expected_diagnostics: Vec<String> = fs::read_to_string(&diagnostics_path)
            .unwrap()
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(records, expected_records, "{name}: records");
        assert_eq!(diagnostics, expected_diagnostics, "{name}: diagnostics");

        for chunk in CHUNK_SIZES {
            let (chunked_records, chunked_diagnostics) =
                run_connector::<C>(&config, &input, chunk).unwrap();
            assert_eq!(
                chunked_records, records,
                "{name}: records with {chunk}-byte chunks"
            );
            let chunked: Vec<String> = chunked_diagnostics.iter().map(diagnostic_line).collect();
            assert_eq!(
                chunked, diagnostics,
                "{name}: diagnostics with {chunk}-byte chunks"
            );
        }

        for (index, record) in records.iter().enumerate() {
            let errors: Vec<String> = schema.iter_errors(record).map(|e| e.to_string()).collect();
            assert!(
                errors.is_empty(),
                "{name}: record {index} breaks the record schema: {errors:?}"
            );
            let keys = |section: &str| -> Vec<String> {
                record
                    .get(section)
                    .and_then(Value::as_object)
                    .map(|map| map.keys().cloned().collect())
                    .unwrap_or_default()
            };
            for kind in keys("identifiers") {
                assert!(
                    manifest.identifiers.contains(&kind),
                    "{name}: identifier `{kind}` is not in [output]"
                );
                emitted.0.insert(kind);
            }
            for attribute in keys("attributes") {
                assert!(
                    manifest.attributes.contains(&attribute),
                    "{name}: attribute `{attribute}` is not in [output]"
                );
                emitted.1.insert(attribute);
            }
            for event in record
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let kind = event["type"].as_str().unwrap().to_owned();
                assert!(
                    manifest.event_types.contains(&kind),
                    "{name}: event type `{kind}` is not in [output]"
                );
                emitted.2.insert(kind);
            }
        }
    }

    assert_eq!(
        emitted.0, manifest.identifiers,
        "identifier kinds the samples emit vs [output]"
    );
    assert_eq!(
        emitted.1, manifest.attributes,
        "attributes the samples emit vs [output]"
    );
    assert_eq!(
        emitted.2, manifest.event_types,
        "event types the samples emit vs [output]"
    );
}

/// Property test: wherever a sample of `crate_dir/samples` is cut (inside a quoted field, a multi-byte character
/// or a byte order mark), connector `C` gives the records and diagnostics of the whole input. Tries 48 random
/// cuttings and panics, with the shrunk case, when one differs.
pub fn check_cut_samples<C: Connector>(crate_dir: &Path) {
    let inputs = samples(crate_dir);
    let strategy = (
        any::<prop::sample::Index>(),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..MAX_CUTS),
    );
    let mut runner = TestRunner::new(ProptestConfig::with_cases(CUT_CASES));
    let result = runner.run(&strategy, |(pick, cuts)| {
        let input_path = &inputs[pick.index(inputs.len())];
        let input = fs::read(input_path).unwrap();
        let config = config_of(input_path);
        let whole = run_connector::<C>(&config, &input, input.len().max(1)).unwrap();
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(input.len() + 1)).collect();
        points.sort_unstable();
        let mut chunks = Vec::with_capacity(points.len() + 1);
        let mut start = 0;
        for point in points {
            chunks.push(&input[start..point]);
            start = point;
        }
        chunks.push(&input[start..]);
        let cut = run_connector_chunks::<C, _>(&config, chunks).unwrap();
        prop_assert_eq!(cut, whole, "{}", input_path.display());
        Ok(())
    });
    if let Err(error) = result {
        panic!("samples_cut_anywhere_convert_the_same: {error}");
    }
}
