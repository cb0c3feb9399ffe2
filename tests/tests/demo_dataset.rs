//! The demo's synthetic dataset through the real ingest path: identity resolution ends in exactly the number of
//! profiles the generator knows to be right, every declared event is stored once, and the policy drops exactly the
//! attributes and event types it does not allow. The same people exported as the source systems would export them,
//! through the real built-in connectors, resolve to the same profiles with every newsletter consent where the
//! generator put it; and `cohort demo` itself runs the whole story (ingest, segments, counts, a consented export,
//! an erasure, audit verification) with facts checked against the generator's ground truth.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_ingest::{IngestOptions, NoProgress};
use cohort_tests::{Env, cohort_bin, policy_trusting, repo_root, stderr, stdout};

#[test]
fn demo_data_resolves_to_the_expected_profiles_and_drops_what_the_policy_forbids() {
    let spec = cohort_demo::DemoSpec {
        customers: 800,
        ..cohort_demo::DemoSpec::default()
    };
    let data = cohort_demo::generate(&spec);
    let tmp = tempfile::tempdir().unwrap();
    let key_file = tmp.path().join("k.json");
    cohort_crypto::KeyRing::create(&key_file, "t").unwrap();
    let keys = cohort_crypto::KeyRing::load(&key_file).unwrap();
    let dir = tmp.path().join("data");
    let store = cohort_store::Store::init(&dir, keys).unwrap();
    let policy =
        cohort_policy::load_policy(&repo_root().join("policies/example-retail.yaml")).unwrap();

    let s = cohort_ingest::ingest_values(
        &store,
        &policy,
        &data.records,
        "demo",
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(s.stored as usize, data.records.len());
    assert_eq!(
        store.stats().unwrap().subjects as usize,
        data.stats.expected_profiles,
        "{s:?}"
    );

    let dropped_events: usize = data.stats.dropped_events.values().sum();
    assert_eq!(s.dropped.events_not_declared as usize, dropped_events);
    assert_eq!(s.events_stored as usize, data.stats.events - dropped_events);
    let dropped_attrs: usize = data.stats.dropped_attributes.values().sum();
    assert_eq!(
        (s.dropped.attributes_not_listed + s.dropped.attributes_not_allowed) as usize,
        dropped_attrs
    );

    // Every stored event is there once: the sum over subjects equals what was stored.
    let mut events = 0;
    for id in store.subject_ids() {
        events += store
            .subject(&id.unwrap())
            .unwrap()
            .unwrap()
            .body
            .events
            .len();
    }
    assert_eq!(events, s.events_stored as usize);
}

/// A fresh publisher key named like the built-in manifests' publisher, and a store whose policy trusts it and
/// allows `connectors` for every purpose. The first value keeps the policy's folder alive.
fn env_trusting_builtins(
    connectors: &[&str],
) -> (tempfile::TempDir, Env, cohort_plugin_package::PublisherKey) {
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("publisher.key");
    let public =
        cohort_plugin_package::PublisherKey::create_file(&key_file, "cohort-builtin").unwrap();
    let purposes: &[&str] = &["analytics", "email_marketing", "personalisation"];
    let allow: Vec<(&str, &[&str])> = connectors.iter().map(|c| (*c, purposes)).collect();
    let policy = policy_trusting(keys.path(), "cohort-builtin", &public, &allow);
    let key = cohort_plugin_package::PublisherKey::load(&key_file).unwrap();
    (keys, Env::with_policy_file(policy), key)
}

#[test]
fn the_demo_exports_through_the_real_connectors_give_the_expected_profiles_and_consents() {
    let spec = cohort_demo::DemoSpec {
        customers: 800,
        ..cohort_demo::DemoSpec::default()
    };
    let data = cohort_demo::generate(&spec);
    let exports = cohort_demo::source_exports(&spec, &data);
    assert_eq!(exports.expected_profiles, data.stats.expected_profiles);
    let connectors: Vec<&str> = exports.exports.iter().map(|e| e.connector).collect();
    let (_keys, env, key) = env_trusting_builtins(&connectors);

    for export in &exports.exports {
        let builtin = cohort_builtin_plugins::find(export.connector).unwrap();
        let mut package =
            cohort_plugin_package::Package::build(builtin.manifest, builtin.wasm.to_vec()).unwrap();
        package.sign(&key).unwrap();
        let dir = env.tmp.path();
        let package_file = dir.join(format!("{}.cohort-plugin", export.connector));
        std::fs::write(&package_file, package.to_bytes()).unwrap();
        let config_file = dir.join(format!("{}.config.json", export.connector));
        std::fs::write(&config_file, export.config.to_string()).unwrap();
        let input = dir.join(&export.file_name);
        std::fs::write(&input, &export.bytes).unwrap();
        let out = env.json(&[
            "ingest",
            "--connector",
            package_file.to_str().unwrap(),
            "--plugin-config",
            config_file.to_str().unwrap(),
            input.to_str().unwrap(),
        ]);
        assert_eq!(out["rows_skipped"], serde_json::json!([]), "{out}");
        let summary = &out["summary"];
        assert_eq!(summary["refused_other"], 0, "{out}");
        assert!(summary["stored"].as_u64().unwrap() > 0, "{out}");
        if export.connector == "hubspot-contacts" {
            assert_eq!(summary["stored"], spec.customers as u64, "{out}");
        }
    }
    assert_eq!(
        env.stats()["subjects"].as_u64().unwrap() as usize,
        data.stats.expected_profiles
    );

    // Every customer's newsletter consent reached their profile exactly as the generator decided it, and every
    // personalisation choice reached exactly one profile.
    let keys = cohort_crypto::KeyRing::load(&env.key_file).unwrap();
    let store = cohort_store::Store::open(&env.data_dir, keys).unwrap();
    let mut newsletter = std::collections::BTreeMap::new();
    let mut personalisation = 0;
    for id in store.subject_ids() {
        let view = store.subject(&id.unwrap()).unwrap().unwrap();
        personalisation += usize::from(view.body.consents.is_granted("personalisation"));
        for identifier in &view.body.identifiers {
            if identifier.kind == "email"
                && let Some(email) = &identifier.value
            {
                let granted = view.body.consents.is_granted("email_marketing");
                assert!(
                    newsletter
                        .insert(email.trim().to_lowercase(), granted)
                        .is_none(),
                    "one email, two profiles"
                );
            }
        }
    }
    for person in &data.people {
        let expected =
            person.consent_state("email_marketing") == Some(cohort_demo::ConsentState::Granted);
        assert_eq!(
            newsletter.get(&person.email),
            Some(&expected),
            "{}",
            person.crm_id
        );
    }
    let granted_personalisation = data
        .people
        .iter()
        .filter(|p| p.consent_state("personalisation") == Some(cohort_demo::ConsentState::Granted))
        .count();
    assert_eq!(personalisation, granted_personalisation);
}

#[test]
fn cohort_demo_tells_the_whole_story_and_exports_only_consenting_customers() {
    let tmp = tempfile::tempdir().unwrap();
    let kept = tmp.path().join("demo");
    let out = std::process::Command::new(cohort_bin())
        .args([
            "--json",
            "demo",
            "--customers",
            "3000",
            "--today",
            "2026-11-01",
            "--keep",
        ])
        .arg(&kept)
        .env_remove("COHORT_CONFIG")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "demo failed:\n{}", stderr(&out));
    let facts: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();

    let spec = cohort_demo::DemoSpec {
        customers: 3_000,
        seed: 42,
        today: time::macros::date!(2026 - 11 - 01),
    };
    let data = cohort_demo::generate(&spec);
    assert_eq!(facts["customers"], 3000);
    assert_eq!(facts["exports"].as_array().unwrap().len(), 4);
    assert_eq!(
        facts["profiles"]["stored"].as_u64().unwrap() as usize,
        data.stats.expected_profiles
    );
    assert_eq!(facts["profiles"]["expected"], facts["profiles"]["stored"]);
    for run in facts["ingest"].as_array().unwrap() {
        assert_eq!(run["summary"]["refused_other"], 0, "{run}");
        assert_eq!(run["summary"]["invalid_skipped"], 0, "{run}");
    }
    assert_eq!(facts["scan"]["found"], 0);
    assert!(facts["scan"]["files"].as_u64().unwrap() > 0);

    // Aggregates: three releases, noised under the example policy's DP, with withheld cells shown as such.
    let counts = facts["counts"].as_array().unwrap();
    assert_eq!(counts.len(), 3);
    for count in counts {
        assert!(count["differential_privacy"].is_object(), "{count}");
        assert!(count["audit_seq"].is_u64(), "{count}");
    }
    let withheld = counts[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["count"].is_null())
        .count();
    assert!(
        withheld > 0,
        "the count by country withholds small countries"
    );
    assert_eq!(counts[1]["by"].as_array().unwrap().len(), 2);
    assert_eq!(counts[2]["sums"][0], "order_completed.revenue");

    // The export: only customers whose latest newsletter choice is a grant, by the generator's ground truth.
    let export = &facts["export"];
    assert_eq!(export["purpose"], "email_marketing");
    assert_eq!(export["all_consenting"], true);
    assert_eq!(export["columns"], serde_json::json!(["email"]));
    let file = std::fs::read_to_string(export["file"].as_str().unwrap()).unwrap();
    let mut lines = file.lines();
    assert_eq!(lines.next(), Some("email"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len() as u64, export["rows"].as_u64().unwrap());
    assert!(rows.len() >= 100, "the export meets min_export_size");
    for row in &rows {
        let email = row.trim().to_lowercase();
        let person = data
            .people
            .iter()
            .find(|p| p.email == email)
            .unwrap_or_else(|| panic!("exported address of nobody generated"));
        assert_eq!(
            person.consent_state("email_marketing"),
            Some(cohort_demo::ConsentState::Granted),
            "{}",
            person.crm_id
        );
    }

    // The erasure holds: re-sending the person's rows stores nothing.
    let erasure = &facts["erasure"];
    assert!(erasure["identifiers_suppressed"].as_u64().unwrap() >= 1);
    assert!(erasure["reimported_records"].as_u64().unwrap() >= 1);
    assert_eq!(erasure["reimport_stored"], 0);
    assert_eq!(
        erasure["reimport_refused"], erasure["reimported_records"],
        "{erasure}"
    );

    assert_eq!(facts["audit"]["verified"], true);
    assert!(facts["audit"]["entries"].as_u64().unwrap() > 10);
    assert_eq!(facts["steps"].as_array().unwrap().len(), 10);
}
