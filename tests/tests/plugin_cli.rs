//! The plugin workflow through the real `cohort` binary: keygen, build, sign, verify, install, ingest through a
//! connector (trusted and allowed only), untrusted connector output refused, segment runs whose memberships reach
//! the subject's Art. 15 export, and a scaffolded plugin that builds and passes its own tests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, built_plugins, env_trusting_new_publisher, repo_root, stderr};
use std::path::{Path, PathBuf};

/// A store whose policy trusts a fresh publisher key and allows the given plugins; returns the env and key file.
fn env_with(allow: &[(&str, &[&str])]) -> (Env, PathBuf) {
    env_trusting_new_publisher("cohort-test", allow)
}

/// Builds, signs and installs the plugin in `plugins/<dir>`. Only fixtures are used: their manifests name the
/// publisher `cohort-test`, which the test policy trusts.
fn install(env: &Env, key: &Path, dir: &str) -> PathBuf {
    built_plugins();
    let out_file = env
        .tmp
        .path()
        .join(format!("{}.cohort-plugin", dir.replace('/', "-")));
    env.ok(&[
        "plugin",
        "build",
        repo_root().join("plugins").join(dir).to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    env.ok(&[
        "plugin",
        "sign",
        out_file.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let verify = env.json(&["plugin", "verify", out_file.to_str().unwrap()]);
    assert_eq!(verify["signature"], "valid");
    env.ok(&["plugin", "install", out_file.to_str().unwrap()]);
    out_file
}

fn audit_actions(env: &Env) -> Vec<String> {
    env.json(&["audit", "log"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_connectors_output_outside_its_manifest_or_schema_is_refused() {
    let (env, key) = env_with(&[("hostile-connector", &["analytics"])]);
    install(&env, &key, "fixtures/hostile-connector");
    let input = env.write_input("any.txt", &["ignored".into()]);
    // All modes at once: nothing is stored, every bad record is named.
    let out = env.run(&["ingest", "--connector", "hostile-connector", &input]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    for expect in [
        "attributes.health_condition",
        "identifiers.national_id",
        "page_viewed",
        "not JSON",
    ] {
        assert!(err.contains(expect), "expected `{expect}` in:\n{err}");
    }
    assert_eq!(env.stats()["subjects"], 0);
    // With --skip-invalid the control record is stored and the schema-invalid one is skipped by ingest.
    let cfg = env.tmp.path().join("valid.json");
    std::fs::write(&cfg, r#"{"mode": "valid"}"#).unwrap();
    let s = env.json(&[
        "ingest",
        "--connector",
        "hostile-connector",
        "--plugin-config",
        cfg.to_str().unwrap(),
        &input,
    ]);
    assert_eq!(s["summary"]["stored"], 1, "{s}");
    assert!(audit_actions(&env).contains(&"connector.run".to_string()));
}

#[test]
fn a_trusted_connector_not_allowed_for_any_purpose_is_refused_and_audited() {
    let (env, key) = env_with(&[("good-segmenter", &["analytics"])]);
    // hostile-connector is signed by the trusted key, but plugins.allow does not list it.
    let pkg = install_unallowed(&env, &key);
    let input = env.write_input("any.txt", &["ignored".into()]);
    let out = env.run(&["ingest", "--connector", pkg.to_str().unwrap(), &input]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("allows it for no purpose"),
        "{}",
        stderr(&out)
    );
    assert!(audit_actions(&env).contains(&"plugin.refused".to_string()));
}

fn install_unallowed(env: &Env, key: &Path) -> PathBuf {
    built_plugins();
    let out_file = env.tmp.path().join("hc.cohort-plugin");
    env.ok(&[
        "plugin",
        "build",
        repo_root()
            .join("plugins/fixtures/hostile-connector")
            .to_str()
            .unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    env.ok(&[
        "plugin",
        "sign",
        out_file.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    out_file
}

#[test]
fn segment_run_memberships_reach_the_subjects_export() {
    let (env, key) = env_with(&[("spy-segmenter", &["analytics"])]);
    install(&env, &key, "fixtures/spy-segmenter");
    let line = serde_json::json!({"source": "crm", "identifiers": {"email": "seg@example.com"}, "attributes": {"country": "DE"}}).to_string();
    let input = env.write_input("one.jsonl", &[line]);
    env.ok(&["ingest", &input]);
    let report = env.json(&["segment", "run", "spy-segmenter", "--purpose", "analytics"]);
    // One person is under the policy's k: the run report withholds the figure; the subject's own export shows
    // the membership.
    assert_eq!(report["subjects_seen"], "suppressed", "{report}");
    let export = env.json(&["subject", "export", "--email", "seg@example.com"]);
    let segments = export["segments"].as_array().unwrap();
    assert_eq!(segments.len(), 1, "{export}");
    assert_eq!(segments[0]["plugin"], "spy-segmenter");
    assert_eq!(segments[0]["purpose"], "analytics");
    assert!(
        !segments[0]["segments"][0]["reasons"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(env.json(&["segment", "list"]).as_array().unwrap().len(), 1);
    // Not allowed for email_marketing: refused and audited.
    let out = env.run(&[
        "segment",
        "run",
        "spy-segmenter",
        "--purpose",
        "email_marketing",
    ]);
    assert!(!out.status.success());
    assert!(audit_actions(&env).contains(&"plugin.refused".to_string()));
    env.ok(&["audit", "verify"]);
}

#[test]
fn a_scaffolded_segmenter_builds_passes_its_tests_and_runs_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new("example-retail.yaml");
    env.ok(&[
        "plugin",
        "new",
        "my-seg",
        "--kind",
        "segmenter",
        "--dir",
        dir.path().to_str().unwrap(),
        "--sdk",
        repo_root().join("plugins/sdk").to_str().unwrap(),
    ]);
    let crate_dir = dir.path().join("my-seg");
    // Share the plugins workspace's target dir so dependencies are not compiled again.
    let target = repo_root().join("plugins/target");
    let status = std::process::Command::new(env!("CARGO"))
        .args(["test", "-q"])
        .current_dir(&crate_dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .unwrap();
    assert!(status.success(), "the scaffold's own tests failed");
    let pkg = dir.path().join("my-seg.cohort-plugin");
    let out = env
        .cmd()
        .env("CARGO_TARGET_DIR", &target)
        .args([
            "plugin",
            "build",
            crate_dir.to_str().unwrap(),
            "--out",
            pkg.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let profiles = dir.path().join("profiles.jsonl");
    std::fs::write(
        &profiles,
        r#"{"token": "a", "events": [{"type": "order_completed", "at": "2026-01-01T00:00:00Z"}, {"type": "order_completed", "at": "2026-02-01T00:00:00Z"}, {"type": "order_completed", "at": "2026-03-01T00:00:00Z"}]}
{"token": "b", "events": []}
"#,
    )
    .unwrap();
    let report = env.json(&[
        "plugin",
        "test",
        pkg.to_str().unwrap(),
        "--input",
        profiles.to_str().unwrap(),
    ]);
    assert_eq!(report["output"]["assignments"], 1, "{report}");
    assert!(report["fuel"].as_u64().unwrap() > 0);
}

#[test]
fn an_untrusted_package_is_refused_and_the_refusal_audited() {
    let (env, _trusted_key) = env_with(&[("spy-segmenter", &["analytics"])]);
    // Same publisher name, another key: the signature is valid, the key is not the one the policy trusts.
    let other = env.tmp.path().join("other.key");
    env.ok(&[
        "plugin",
        "keygen",
        "--name",
        "cohort-test",
        "--out",
        other.to_str().unwrap(),
    ]);
    built_plugins();
    let pkg = env.tmp.path().join("spy.cohort-plugin");
    env.ok(&[
        "plugin",
        "build",
        repo_root()
            .join("plugins/fixtures/spy-segmenter")
            .to_str()
            .unwrap(),
        "--out",
        pkg.to_str().unwrap(),
    ]);
    env.ok(&[
        "plugin",
        "sign",
        pkg.to_str().unwrap(),
        "--key",
        other.to_str().unwrap(),
    ]);
    let out = env.run(&[
        "segment",
        "run",
        pkg.to_str().unwrap(),
        "--purpose",
        "analytics",
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not trusted"), "{}", stderr(&out));
    let log = env.json(&["audit", "log"]);
    let refused: Vec<&serde_json::Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "plugin.refused")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["detail"]["reason"], "untrusted");
}
