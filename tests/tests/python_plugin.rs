//! A segmenter written in Python (`plugins/python/nps-segmenter`, built by `plugins/python/build.sh` with
//! componentize-py) through the real `cohort` binary: packaged with `plugin build --wasm`, signed, checked with
//! `plugin test`, then run over a real store with `segment run`. It shows that the WIT interface is not tied to
//! Rust: the same host, sandbox and checks run a component made from CPython.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, env_trusting_new_publisher, record, repo_root, stderr};
use serde_json::{Value, json};
use std::path::PathBuf;

/// The plugin's folder (manifest.toml and the Python sources).
fn plugin_dir() -> PathBuf {
    repo_root().join("plugins/python/nps-segmenter")
}

/// The component `plugins/python/build.sh` writes. The cargo test run does not build it (that needs Python and
/// PyPI), so a missing file fails the test with what to run rather than skipping it.
fn component() -> PathBuf {
    let wasm = repo_root().join("plugins/python/target/nps-segmenter.wasm");
    assert!(
        wasm.is_file(),
        "{} is missing: run `bash tests/run-all.sh`, which builds the Python plugins first \
         (or just `bash plugins/python/build.sh`)",
        wasm.display()
    );
    wasm
}

/// A store whose policy trusts a fresh `cohort-builtin` key (the plugin's publisher) and allows the plugin for
/// analytics; the signed package.
fn signed_package() -> (Env, PathBuf) {
    let wasm = component();
    let (env, key) =
        env_trusting_new_publisher("cohort-builtin", &[("nps-segmenter", &["analytics"])]);
    let pkg = env.tmp.path().join("nps-segmenter.cohort-plugin");
    env.ok(&[
        "plugin",
        "build",
        plugin_dir().to_str().unwrap(),
        "--wasm",
        wasm.to_str().unwrap(),
        "--out",
        pkg.to_str().unwrap(),
    ]);
    env.ok(&[
        "plugin",
        "sign",
        pkg.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let verify = env.json(&["plugin", "verify", pkg.to_str().unwrap()]);
    assert_eq!(verify["signature"], "valid", "{verify}");
    assert_eq!(
        verify["trust"]["purposes"],
        json!(["analytics"]),
        "{verify}"
    );
    (env, pkg)
}

/// (answer, expected segment, expected score); `None` answers have no nps_score.
const CASES: &[(Option<i64>, Option<&str>, f64)] = &[
    (Some(6), Some("detractor"), 1.0 / 7.0),
    (Some(7), Some("passive"), 1.0),
    (Some(8), Some("passive"), 1.0),
    (Some(9), Some("promoter"), 0.5),
    (Some(10), Some("promoter"), 1.0),
    (None, None, 0.0),
];

fn email(i: usize) -> String {
    format!("nps{i}@example.com")
}

#[test]
fn the_python_segmenter_passes_plugin_test() {
    let (env, pkg) = signed_package();
    let lines: Vec<String> = CASES
        .iter()
        .enumerate()
        .map(|(i, (answer, _, _))| {
            let attributes = match answer {
                Some(a) => json!({"nps_score": a, "country": "DE"}),
                None => json!({"country": "DE"}),
            };
            json!({"token": format!("t{i}"), "attributes": attributes}).to_string()
        })
        .collect();
    let input = env.write_input("profiles.jsonl", &lines);
    let report = env.json(&["plugin", "test", pkg.to_str().unwrap(), "--input", &input]);
    assert_eq!(report["plugin"], "nps-segmenter@0.1.0", "{report}");
    assert_eq!(report["output"]["profiles"], 6, "{report}");
    // As in production, the plugin sees manifest ∩ purpose only: `country` is not in its manifest.
    assert_eq!(
        report["output"]["projection"],
        json!({"from": "manifest and purpose", "withheld_attributes": ["country"],
               "withheld_event_types": []}),
        "{report}"
    );
    assert_eq!(report["output"]["assignments"], 5, "{report}");
    assert_eq!(
        report["output"]["by_segment"],
        json!({"detractor": 1, "passive": 2, "promoter": 2}),
        "{report}"
    );
    // Assignments come back in input order: the profile without an answer (t5) is in no segment.
    let first = report["output"]["first_assignments"].as_array().unwrap();
    for (i, a) in first.iter().enumerate() {
        let (answer, segment, score) = CASES[i];
        assert_eq!(a["token"], format!("t{i}"), "{a}");
        assert_eq!(a["segment"], segment.unwrap(), "{a}");
        assert!((a["score"].as_f64().unwrap() - score).abs() < 1e-12, "{a}");
        let said = format!("answered {} out of 10", answer.unwrap());
        assert!(a["reasons"][0].as_str().unwrap().contains(&said), "{a}");
    }
    assert!(report["fuel"].as_u64().unwrap() > 0, "{report}");
    assert!(
        report["peak_memory_bytes"].as_u64().unwrap()
            <= report["limits"]["memory_bytes"].as_u64().unwrap(),
        "{report}"
    );
}

#[test]
fn the_python_segmenter_records_memberships_in_a_segment_run() {
    let (env, pkg) = signed_package();
    env.ok(&["plugin", "install", pkg.to_str().unwrap()]);
    let lines: Vec<String> = CASES
        .iter()
        .enumerate()
        .map(|(i, (answer, _, _))| {
            let attributes = match answer {
                Some(a) => json!({"nps_score": a, "country": "DE"}),
                None => json!({"country": "DE"}),
            };
            record("survey", json!({"email": email(i)}), attributes)
        })
        .collect();
    let input = env.write_input("answers.jsonl", &lines);
    env.ok(&["ingest", &input]);

    let report = env.json(&["segment", "run", "nps-segmenter", "--purpose", "analytics"]);
    // Six people are under the policy's k = 50: the run report withholds every size; the memberships are checked
    // one person at a time below, through each subject's own access export.
    assert_eq!(report["subjects_seen"], "suppressed", "{report}");
    assert_eq!(
        report["segments"],
        json!([
            ["detractor", "suppressed"],
            ["passive", "suppressed"],
            ["promoter", "suppressed"]
        ]),
        "{report}"
    );
    // Data minimisation: the manifest asks for nps_score only, so country is not released.
    assert_eq!(
        report["attributes_released"],
        json!(["nps_score"]),
        "{report}"
    );

    for (i, (answer, segment, score)) in CASES.iter().enumerate() {
        let export = env.json(&["subject", "export", "--email", &email(i)]);
        let runs = export["segments"].as_array().unwrap();
        let Some(segment) = segment else {
            // No answer, no membership of any NPS group.
            let groups: Vec<&Value> = runs
                .iter()
                .flat_map(|r| r["segments"].as_array().unwrap())
                .collect();
            assert!(groups.is_empty(), "{export}");
            continue;
        };
        assert_eq!(runs.len(), 1, "{export}");
        assert_eq!(runs[0]["plugin"], "nps-segmenter");
        assert_eq!(runs[0]["purpose"], "analytics");
        let memberships = runs[0]["segments"].as_array().unwrap();
        assert_eq!(memberships.len(), 1, "{export}");
        assert_eq!(memberships[0]["segment"], *segment, "{export}");
        assert!(
            (memberships[0]["score"].as_f64().unwrap() - score).abs() < 1e-12,
            "{export}"
        );
        let reasons: Vec<&str> = memberships[0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        assert!(
            reasons[0].contains(&format!("answered {} out of 10", answer.unwrap())),
            "{reasons:?}"
        );
    }
    // Not allowed for email_marketing by the policy (nor designed for it): refused.
    let out = env.run(&[
        "segment",
        "run",
        "nps-segmenter",
        "--purpose",
        "email_marketing",
    ]);
    assert!(!out.status.success());
    env.ok(&["audit", "verify"]);
}

/// `plugin build --wasm` with a component path that does not exist names the file.
#[test]
fn plugin_build_with_a_missing_component_says_which_file() {
    let env = Env::new("example-retail.yaml");
    let missing = env.tmp.path().join("nothing.wasm");
    let out = env.run(&[
        "plugin",
        "build",
        plugin_dir().to_str().unwrap(),
        "--wasm",
        missing.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nothing.wasm"), "{}", stderr(&out));
}
