//! Interface versions side by side: one runtime runs a segmenter built for `cohort:plugin@0.1.0` and the same
//! logic built for `cohort:plugin@0.2.0`, and both give the same assignments; a manifest that names the other
//! version than its component implements is refused at load.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_plugin_package::Manifest;
use cohort_plugins::{Attribute, Event, LoadedPlugin, PluginError, Profile, Runtime, Value};
use cohort_tests::plugin;

const NOW: i64 = 1_790_000_000;

fn load(rt: &Runtime, dir: &str) -> LoadedPlugin {
    let (wasm, manifest) = plugin(dir);
    rt.load_with_manifest(&Manifest::parse(&manifest).unwrap(), "test".into(), &wasm)
        .unwrap()
}

/// Profiles with every kind of value, text that is not ASCII, and tokens across the whole `u64` range.
fn profiles(n: u64) -> Vec<Profile> {
    (0..n)
        .map(|i| Profile {
            token: i.wrapping_mul(0x9E37_79B9_7F4A_7C15),
            attributes: vec![
                Attribute {
                    name: "country".into(),
                    value: Value::Text(if i % 2 == 0 { "DE" } else { "Ísland" }.into()),
                },
                Attribute {
                    name: "vip".into(),
                    value: Value::Boolean(i % 3 == 0),
                },
            ],
            events: (0..i % 4)
                .map(|k| Event {
                    event_type: "order_completed".into(),
                    at: NOW - k as i64 * 86_400,
                    properties: vec![("total".into(), Value::Number(k as f64 * 1.5))],
                })
                .collect(),
        })
        .collect()
}

fn run(p: &LoadedPlugin, profiles: &[Profile]) -> Vec<cohort_plugins::Assignment> {
    let mut run = p.start_segmenter("{}", "analytics", NOW).unwrap();
    let mut out = cohort_plugins::Assignments::new();
    for chunk in profiles.chunks(97) {
        out.append(run.add(chunk).unwrap());
    }
    run.finish_into(&mut out).unwrap();
    out.to_vec()
}

#[test]
fn a_v0_1_and_a_v0_2_segmenter_run_side_by_side_and_agree() {
    let rt = Runtime::new().unwrap();
    let current = load(&rt, "fixtures/good-segmenter");
    let legacy = load(&rt, "fixtures/legacy-segmenter");
    assert_eq!(current.interface(), "cohort:plugin@0.2.0");
    assert_eq!(legacy.interface(), "cohort:plugin@0.1.0");
    let input = profiles(1_000);
    // Interleaved runs on the one runtime: each keeps its own instance and bindings.
    let mut a = current.start_segmenter("{}", "analytics", NOW).unwrap();
    let mut b = legacy.start_segmenter("{}", "analytics", NOW).unwrap();
    assert_eq!(a.interface_version(), "0.2.0");
    assert_eq!(b.interface_version(), "0.1.0");
    a.add(&input[..10]).unwrap();
    b.add(&input[..10]).unwrap();
    drop((a, b));

    let from_current = run(&current, &input);
    let from_legacy = run(&legacy, &input);
    assert_eq!(from_current.len(), input.len());
    assert_eq!(from_current, from_legacy);
    let tokens: Vec<u64> = from_current.iter().map(|a| a.token).collect();
    let given: Vec<u64> = input.iter().map(|p| p.token).collect();
    assert_eq!(tokens, given, "every token comes back, in input order");
    assert_eq!(
        current.segments("{}").unwrap(),
        legacy.segments("{}").unwrap()
    );
}

#[test]
fn a_manifest_naming_the_other_interface_is_refused() {
    let rt = Runtime::new().unwrap();
    let (wasm, manifest) = plugin("fixtures/legacy-segmenter");
    let claims_v0_2 = manifest.replace("cohort:plugin@0.1.0", "cohort:plugin@0.2.0");
    let err = rt
        .load_with_manifest(
            &Manifest::parse(&claims_v0_2).unwrap(),
            "test".into(),
            &wasm,
        )
        .unwrap_err();
    assert!(matches!(err, PluginError::WrongInterface { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("legacy-segmenter")
            && text.contains("cohort:plugin@0.2.0")
            && text.contains("cohort:plugin@0.1.0"),
        "{text}"
    );
}
