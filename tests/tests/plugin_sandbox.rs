//! The sandbox against hostile plugins built from `plugins/fixtures`: each is stopped by a limit with a clear
//! error naming the plugin, and the same runtime then runs a good plugin correctly.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_plugin_package::{Manifest, PluginKind};
use cohort_plugins::{LoadedPlugin, PluginError, Profile, Runtime, Value};
use cohort_tests::plugin;
use std::time::{Duration, Instant};

fn load(rt: &Runtime, dir: &str) -> Result<LoadedPlugin, PluginError> {
    load_with(rt, dir, true)
}

fn load_with(rt: &Runtime, dir: &str, small_limits: bool) -> Result<LoadedPlugin, PluginError> {
    let (wasm, manifest_text) = plugin(dir);
    let manifest = Manifest::parse(&manifest_text).unwrap();
    let mut limits = manifest.effective_limits();
    if small_limits {
        // Small limits keep the hostile runs quick; the defaults are larger.
        limits.fuel_per_call = 200_000_000;
        limits.memory_bytes = 32 << 20;
        limits.output_bytes = 1 << 20;
        limits.wall_clock = Duration::from_secs(2);
    }
    rt.load_bytes(
        &format!("{}@{}", manifest.id(), manifest.version()),
        manifest.id(),
        manifest.kind(),
        limits,
        "test".into(),
        &wasm,
        manifest.segments().iter().map(|s| s.id.clone()).collect(),
    )
}

fn profiles(n: usize) -> Vec<Profile> {
    (0..n)
        .map(|i| Profile {
            token: i as u64,
            attributes: vec![cohort_plugins::Attribute {
                name: "country".into(),
                value: Value::Text("DE".into()),
            }],
            events: vec![],
        })
        .collect()
}

fn run_once(p: &LoadedPlugin, n: usize) -> Result<Vec<cohort_plugins::Assignment>, PluginError> {
    let mut run = p.start_segmenter("{}", "analytics", 1_790_000_000)?;
    let mut out = run.add(&profiles(n))?;
    run.finish_into(&mut out)?;
    Ok(out.to_vec())
}

fn good_still_works(rt: &Runtime) {
    let good = load(rt, "fixtures/good-segmenter").unwrap();
    let out = run_once(&good, 50).unwrap();
    assert_eq!(out.len(), 50);
    assert!(out.iter().all(|a| a.segment == "all"));
}

#[test]
fn an_endless_loop_is_stopped_by_fuel_or_deadline() {
    let rt = Runtime::new().unwrap();
    let p = load(&rt, "fixtures/hostile-loop").unwrap();
    let start = Instant::now();
    let err = run_once(&p, 3).unwrap_err();
    assert!(
        matches!(
            err,
            PluginError::FuelExhausted { .. } | PluginError::TimeLimit { .. }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("hostile-loop@0.1.0"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(10));
    good_still_works(&rt);
}

#[test]
fn a_memory_bomb_hits_the_memory_cap() {
    let rt = Runtime::new().unwrap();
    let p = load(&rt, "fixtures/hostile-memory").unwrap();
    let err = run_once(&p, 3).unwrap_err();
    assert!(
        matches!(err, PluginError::MemoryLimit { limit_mib: 32, .. }),
        "{err}"
    );
    good_still_works(&rt);
}

#[test]
fn unbounded_recursion_is_a_stack_overflow() {
    let rt = Runtime::new().unwrap();
    let p = load(&rt, "fixtures/hostile-recursion").unwrap();
    let err = run_once(&p, 3).unwrap_err();
    assert!(matches!(err, PluginError::StackOverflow { .. }), "{err}");
    good_still_works(&rt);
}

#[test]
fn huge_output_is_refused_in_every_form() {
    let rt = Runtime::new().unwrap();
    // The fixture's own manifest limits: 1 MiB of output per call, enough fuel and memory to produce more.
    let p = load_with(&rt, "fixtures/hostile-output", false).unwrap();
    for (mode, expect) in [
        ("many", "output"),
        ("huge", "output"),
        ("huge-drain", "output"),
        ("over-max", "protocol"),
        ("endless", "protocol"),
        // 4 MiB of log lines against a 1 MiB output limit: the log is output too.
        ("log-flood", "output"),
    ] {
        let config = match mode {
            "log-flood" => r#"{"mode": "log-flood", "count": 4096}"#.to_string(),
            _ => format!(r#"{{"mode": "{mode}"}}"#),
        };
        let mut run = p.start_segmenter(&config, "analytics", 0).unwrap();
        let err = run
            .add(&profiles(3))
            .and_then(|_| run.finish())
            .unwrap_err();
        assert_eq!(err.kind(), expect, "mode {mode}: {err}");
        assert!(err.to_string().contains("hostile-output@0.1.0"), "{err}");
    }
    good_still_works(&rt);
}

#[test]
fn a_panic_is_a_trap_with_a_clear_error() {
    let rt = Runtime::new().unwrap();
    let p = load(&rt, "fixtures/hostile-trap").unwrap();
    let err = run_once(&p, 3).unwrap_err();
    assert!(matches!(err, PluginError::Trap { .. }), "{err}");
    assert!(err.to_string().contains("crashed"), "{err}");
    good_still_works(&rt);
}

#[test]
fn a_forbidden_import_is_refused_at_load() {
    let rt = Runtime::new().unwrap();
    let err = load(&rt, "fixtures/hostile-import").unwrap_err();
    assert!(matches!(err, PluginError::ForbiddenImport { .. }), "{err}");
    assert!(err.to_string().contains("does not offer"), "{err}");
    good_still_works(&rt);
}

#[test]
fn a_connector_cannot_be_run_as_a_segmenter() {
    let rt = Runtime::new().unwrap();
    let p = load(&rt, "fixtures/hostile-connector").unwrap();
    assert_eq!(p.kind(), PluginKind::Connector);
    assert!(p.start_segmenter("{}", "analytics", 0).is_err());
}

#[test]
fn the_spy_sees_exactly_what_it_is_given() {
    let rt = Runtime::new().unwrap();
    let p = load(&rt, "fixtures/spy-segmenter").unwrap();
    let out = run_once(&p, 2).unwrap();
    assert_eq!(out.len(), 2);
    let reasons = out[0].reasons.join(" ");
    assert!(reasons.contains("country"), "{reasons}");
}
