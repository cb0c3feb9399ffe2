//! Consent ledger and subject rights through the CLI: consent defaults to no, keeps full history, is refused for
//! non-consent purposes; restrict and object flags show in the export; retention drops what the policy no longer allows.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, stderr};
use serde_json::json;

fn ingest_one(env: &Env, email: &str) {
    let line = json!({"source": "crm", "identifiers": {"email": email}, "attributes": {"country": "DE"},
        "events": [{"type": "order_completed", "at": "2020-01-01T00:00:00Z", "properties": {"revenue": 1}},
                   {"type": "order_completed", "at": "2026-10-01T00:00:00Z", "properties": {"revenue": 2}}]})
    .to_string();
    let input = env.write_input("one.jsonl", &[line]);
    env.ok(&["ingest", &input]);
}

#[test]
fn consent_defaults_to_no_and_keeps_its_history() {
    let env = Env::new("example-retail.yaml");
    ingest_one(&env, "c@example.com");
    let show = env.json(&["consent", "show", "--email", "c@example.com"]);
    let marketing = show
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["purpose"] == "email_marketing")
        .unwrap();
    assert_eq!(marketing["state"], "none (not granted)");

    env.ok(&[
        "consent",
        "grant",
        "--email",
        "c@example.com",
        "--purpose",
        "email_marketing",
        "--notice",
        "pn-v3",
        "--at",
        "2026-01-01T00:00:00Z",
    ]);
    env.ok(&[
        "consent",
        "withdraw",
        "--email",
        "c@example.com",
        "--purpose",
        "email_marketing",
        "--at",
        "2026-02-01T00:00:00Z",
    ]);
    let show = env.json(&["consent", "show", "--email", "c@example.com"]);
    let marketing = show
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["purpose"] == "email_marketing")
        .unwrap();
    assert_eq!(marketing["state"], "withdrawn");
    assert_eq!(marketing["dpv:hasConsentStatus"], "dpv:ConsentWithdrawn");
    let history = marketing["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["notice"], "pn-v3");
    assert_eq!(history[0]["policy_id"], "example-retail");

    let out = env.run(&[
        "consent",
        "grant",
        "--email",
        "c@example.com",
        "--purpose",
        "analytics",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("legitimate_interest"),
        "{}",
        stderr(&out)
    );
    let out = env.run(&[
        "consent",
        "grant",
        "--email",
        "nobody@example.com",
        "--purpose",
        "email_marketing",
    ]);
    assert!(stderr(&out).contains("no subject"), "{}", stderr(&out));
}

#[test]
fn restrict_and_object_are_recorded_and_exported() {
    let env = Env::new("example-retail.yaml");
    ingest_one(&env, "r@example.com");
    env.ok(&["subject", "restrict", "--email", "r@example.com"]);
    env.ok(&["subject", "object", "--email", "r@example.com"]);
    let export = env.json(&["subject", "export", "--email", "r@example.com"]);
    assert_eq!(export["restrictions"]["restricted_art18"], true);
    assert_eq!(export["restrictions"]["objected_art21"], true);
    let analytics = export["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == "analytics")
        .unwrap();
    assert!(
        analytics["applies_to_you"]
            .as_str()
            .unwrap()
            .starts_with("no"),
        "{analytics}"
    );
    env.ok(&["subject", "restrict", "--lift", "--email", "r@example.com"]);
    let export = env.json(&["subject", "export", "--email", "r@example.com"]);
    assert_eq!(export["restrictions"]["restricted_art18"], false);
    let analytics = export["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"] == "analytics")
        .unwrap();
    assert!(
        analytics["applies_to_you"]
            .as_str()
            .unwrap()
            .contains("objection"),
        "{analytics}"
    );
}

#[test]
fn retention_sweep_drops_old_events_then_inactive_profiles() {
    let env = Env::new("example-retail.yaml");
    ingest_one(&env, "old@example.com");
    // As of 2026-11-24 with 395 days of event retention, the 2020 order goes and the 2026 one stays.
    let r = env.json(&["retention", "sweep", "--as-of", "2026-11-24"]);
    assert_eq!(r["events_dropped"], 1, "{r}");
    let export = env.json(&["subject", "export", "--email", "old@example.com"]);
    assert_eq!(export["events"].as_array().unwrap().len(), 1);
    // Far in the future the profile is inactive past 1095 days and is erased (without suppression).
    let r = env.json(&["retention", "sweep", "--as-of", "2040-01-01"]);
    assert_eq!(r["profiles_erased"], 1, "{r}");
    assert_eq!(env.stats()["subjects"], 0);
    assert_eq!(env.stats()["suppressed_identifiers"], 0);
    env.ok(&["audit", "verify"]);
}
