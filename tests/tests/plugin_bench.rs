//! `cohort bench plugins` on a small population: the command runs every measurement, checks that Wasm and native
//! RFM agree (it fails otherwise), and reports each round of each side (Wasm, native in process, and the native
//! plugin alone). A behaviour test, not a timing: no figure is compared
//! with a bound.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{cohort_bin, stderr, stdout};
use std::process::Command;

#[test]
fn the_plugin_bench_reports_every_round_and_both_interfaces() {
    let child = Command::new(cohort_bin())
        .args(["--json", "bench", "plugins", "--profiles", "3000"])
        .args(["--iterations", "20", "--rounds", "2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run cohort bench plugins");
    let pid = child.id();
    let out = child
        .wait_with_output()
        .expect("wait for cohort bench plugins");
    assert!(out.status.success(), "{}", stderr(&out));
    // The runtime writes nothing beside the store: no profiler's symbol map of the compiled plugins (which a
    // profiling session once left switched on; wasmtime writes it to /tmp whatever TMPDIR says).
    let perf_map = std::path::PathBuf::from(format!("/tmp/perf-{pid}.map"));
    assert!(!perf_map.exists(), "{} was written", perf_map.display());
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON report");
    let rfm = &report["rfm"];
    assert_eq!(rfm["profiles"], 3000, "{report}");
    assert_eq!(rfm["rounds"], 2, "{report}");
    for side in ["native_rounds_s", "wasm_rounds_s", "plugin_only_rounds_s"] {
        let rounds = rfm[side].as_array().expect(side);
        assert_eq!(rounds.len(), 2, "{report}");
        assert!(
            rounds.iter().all(|r| r.as_f64().is_some_and(|s| s > 0.0)),
            "{report}"
        );
    }
    // The best round is the one reported.
    let best = |side: &str| {
        rfm[side]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .fold(f64::INFINITY, f64::min)
    };
    assert_eq!(rfm["native_s"].as_f64(), Some(best("native_rounds_s")));
    assert_eq!(rfm["wasm_s"].as_f64(), Some(best("wasm_rounds_s")));
    assert_eq!(
        rfm["plugin_only_s"].as_f64(),
        Some(best("plugin_only_rounds_s"))
    );
    // Each ratio is the native side's time over Wasm's.
    for (ratio, native) in [
        ("wasm_vs_native", "native_s"),
        ("wasm_vs_plugin_only", "plugin_only_s"),
    ] {
        let expected = rfm[native].as_f64().unwrap() / rfm["wasm_s"].as_f64().unwrap();
        assert_eq!(rfm[ratio].as_f64(), Some(expected), "{ratio}: {report}");
    }
    for figure in [
        "instantiate_us",
        "trivial_call_us",
        "empty_add_us",
        "empty_add_v0_1_us",
    ] {
        assert!(
            report[figure].as_f64().is_some_and(|us| us > 0.0),
            "{figure}: {report}"
        );
    }
    assert!(rfm["wasm_fuel"].as_u64().is_some_and(|f| f > 0), "{report}");
}

#[test]
fn zero_rounds_is_refused() {
    let out = Command::new(cohort_bin())
        .args(["bench", "plugins", "--rounds", "0"])
        .output()
        .expect("run cohort bench plugins");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--rounds"), "{}", stderr(&out));
}
