//! Data scope of segmentation runs, through real signed packages and real Wasm plugins: a segmenter sees only
//! subjects with a lawful basis for the purpose and only manifest ∩ purpose attributes; after a consent withdrawal
//! the next run excludes the subject; untrusted, altered or disallowed packages are refused; every run and every
//! plugin failure is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_ingest::{IngestOptions, NoProgress};
use cohort_plugin_package::{Package, PublisherKey, TrustedPackage, authorise_load};
use cohort_plugins::Runtime;
use cohort_segments::{RunRequest, SegmentError, run_segmenter};
use cohort_store::Store;
use cohort_tests::{plugin, policy_trusting, test_publisher};
use serde_json::json;

struct World {
    _tmp: tempfile::TempDir,
    store: Store,
    policy: cohort_policy::Policy,
    key: PublisherKey,
    runtime: Runtime,
}

fn people() -> Vec<serde_json::Value> {
    let person = |email: &str, consents: serde_json::Value| {
        json!({"source": "crm",
            "identifiers": {"email": email},
            "attributes": {"country": "DE", "city": "Cityzq", "first_name": "Firstzq", "birth_date": "1990-01-01"},
            "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z", "properties": {"revenue": 10, "order_id": "o1"}},
                       {"type": "survey_answered", "at": "2026-10-02T12:00:00Z", "properties": {"nps": 9}},
                       {"type": "page_viewed", "at": "2026-10-03T12:00:00Z", "properties": {"path": "/a"}}],
            "consents": consents})
    };
    vec![
        person(
            "granted@example.com",
            json!([{"purpose": "email_marketing", "state": "granted", "at": "2026-01-01T00:00:00Z", "source": "web_form"}]),
        ),
        person(
            "withdrawn@example.com",
            json!([
            {"purpose": "email_marketing", "state": "granted", "at": "2026-01-01T00:00:00Z", "source": "web_form"},
            {"purpose": "email_marketing", "state": "withdrawn", "at": "2026-02-01T00:00:00Z", "source": "web_form"}]),
        ),
        person("none@example.com", json!([])),
    ]
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let (key, public) = test_publisher(tmp.path());
    let policy_path = policy_trusting(
        tmp.path(),
        "cohort-test",
        &public,
        &[
            ("spy-segmenter", &["analytics", "email_marketing"]),
            ("good-segmenter", &["analytics"]),
            ("hostile-loop", &["analytics"]),
        ],
    );
    let policy = cohort_policy::load_policy(&policy_path).unwrap();
    let keys_path = tmp.path().join("k.json");
    cohort_crypto::KeyRing::create(&keys_path, "t").unwrap();
    let store = Store::init(
        &tmp.path().join("data"),
        cohort_crypto::KeyRing::load(&keys_path).unwrap(),
    )
    .unwrap();
    cohort_ingest::ingest_values(
        &store,
        &policy,
        &people(),
        "test",
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .unwrap();
    World {
        _tmp: tmp,
        store,
        policy,
        key,
        runtime: Runtime::new().unwrap(),
    }
}

fn package(w: &World, dir: &str) -> TrustedPackage {
    let (wasm, manifest) = plugin(dir);
    let mut pkg = Package::build(&manifest, wasm).unwrap();
    pkg.sign(&w.key).unwrap();
    let bytes = pkg.to_bytes();
    let verified = Package::from_bytes(&bytes).unwrap().verify().unwrap();
    authorise_load(&verified, &w.policy).unwrap()
}

fn run(
    w: &World,
    pkg: &TrustedPackage,
    purpose: &str,
) -> Result<(cohort_segments::RunReport, Vec<String>), SegmentError> {
    let loaded = w.runtime.load(pkg)?;
    let report = run_segmenter(RunRequest {
        store: &w.store,
        policy: &w.policy,
        package: pkg,
        plugin: &loaded,
        purpose,
        config: &json!({}),
        actor: "test",
        now: time::OffsetDateTime::now_utc(),
        chunk: 2,
    })?;
    // Everything the spy received, across subjects, from the stored (decrypted) memberships.
    let mut seen = Vec::new();
    for id in w.store.subject_ids() {
        for m in w.store.memberships(&id.unwrap()).unwrap() {
            if m.purpose == purpose && m.plugin == loaded.id() {
                for s in m.segments {
                    seen.extend(s.reasons);
                }
            }
        }
    }
    Ok((report, seen))
}

#[test]
fn a_segmenter_sees_only_lawful_subjects_and_manifest_and_purpose_attributes() {
    let w = world();
    let spy = package(&w, "fixtures/spy-segmenter");

    // Analytics (legitimate interest): everyone, but not first_name (not allowed for analytics) nor city
    // (not in the spy's manifest), and not survey_answered (not in the manifest).
    let (report, seen) = run(&w, &spy, "analytics").unwrap();
    assert_eq!(report.subjects_seen, 3);
    assert!(report.attributes_released.contains(&"country".to_string()));
    assert!(
        !report
            .attributes_released
            .contains(&"first_name".to_string())
    );
    assert!(!report.attributes_released.contains(&"city".to_string()));
    let all = seen.join("\n");
    assert!(all.contains("attribute:country"), "{all}");
    assert!(all.contains("attribute:age_band"), "{all}");
    assert!(
        !all.contains("first_name") && !all.contains("Firstzq"),
        "{all}"
    );
    assert!(!all.contains("city") && !all.contains("Cityzq"), "{all}");
    assert!(
        all.contains("event:order_completed") && all.contains("event:page_viewed"),
        "{all}"
    );
    assert!(!all.contains("survey_answered"), "{all}");
    // No identifier ever reaches a plugin.
    assert!(!all.contains("@example.com"), "{all}");

    // Email marketing (consent): only the subject whose consent is granted now; first_name is allowed there.
    let (report, seen) = run(&w, &spy, "email_marketing").unwrap();
    assert_eq!(report.subjects_seen, 1, "{report:?}");
    assert_eq!(report.excluded.values().sum::<u64>(), 2);
    let all = seen.join("\n");
    assert!(all.contains("attribute:first_name"), "{all}");
    assert!(
        !all.contains("page_viewed"),
        "email_marketing does not allow page_viewed: {all}"
    );

    // The granted subject withdraws; the next run excludes them and their memberships are gone.
    let withdraw = json!({"source": "crm", "identifiers": {"email": "granted@example.com"},
        "consents": [{"purpose": "email_marketing", "state": "withdrawn", "at": "2026-03-01T00:00:00Z", "source": "web_form"}]});
    cohort_ingest::ingest_values(
        &w.store,
        &w.policy,
        &[withdraw],
        "test",
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .unwrap();
    let (report, seen) = run(&w, &spy, "email_marketing").unwrap();
    assert_eq!(report.subjects_seen, 0);
    assert!(seen.is_empty(), "{seen:?}");

    // Every run is audited with the package hash, the purpose and the attributes released.
    let runs: Vec<serde_json::Value> = w
        .store
        .audit_entries()
        .map(|e| serde_json::from_slice(&e.unwrap().1).unwrap())
        .filter(|e: &serde_json::Value| e["action"] == "segment.run")
        .collect();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0]["detail"]["package_sha256"], spy.sha256_hex());
    assert_eq!(runs[0]["purpose"], "analytics");
    assert!(
        runs[0]["detail"]["attributes_released"]
            .as_str()
            .unwrap()
            .contains("country")
    );
    w.store.verify_audit().unwrap();
}

#[test]
fn untrusted_altered_and_disallowed_packages_are_refused() {
    let w = world();
    let (wasm, manifest) = plugin("fixtures/good-segmenter");

    // Signed by a key the policy does not trust.
    let other_dir = tempfile::tempdir().unwrap();
    PublisherKey::create_file(&other_dir.path().join("k"), "cohort-test").unwrap();
    let other = PublisherKey::load(&other_dir.path().join("k")).unwrap();
    let mut pkg = Package::build(&manifest, wasm.clone()).unwrap();
    pkg.sign(&other).unwrap();
    let verified = Package::from_bytes(&pkg.to_bytes())
        .unwrap()
        .verify()
        .unwrap();
    let err = authorise_load(&verified, &w.policy).unwrap_err();
    assert!(err.to_string().contains("not trusted"), "{err}");

    // Altered after signing: one byte of the wasm.
    let mut pkg = Package::build(&manifest, wasm).unwrap();
    pkg.sign(&w.key).unwrap();
    let mut bytes = pkg.to_bytes();
    let at = bytes.len() - 300;
    bytes[at] ^= 1;
    assert!(
        Package::from_bytes(&bytes)
            .and_then(Package::verify)
            .is_err()
    );

    // Not allowed for the purpose: good-segmenter is allowed for analytics only.
    let good = package(&w, "fixtures/good-segmenter");
    let err = run(&w, &good, "email_marketing").unwrap_err();
    assert!(matches!(err, SegmentError::NotAllowed(_)), "{err}");
    assert!(run(&w, &good, "analytics").is_ok());
}

#[test]
fn a_hostile_plugin_failure_is_audited_and_the_host_goes_on() {
    let w = world();
    let hostile = package(&w, "fixtures/hostile-loop");
    let err = run(&w, &hostile, "analytics").unwrap_err();
    assert!(matches!(err, SegmentError::Plugin(_)), "{err}");
    let failures: Vec<serde_json::Value> = w
        .store
        .audit_entries()
        .map(|e| serde_json::from_slice(&e.unwrap().1).unwrap())
        .filter(|e: &serde_json::Value| e["action"] == "plugin.failed")
        .collect();
    assert_eq!(failures.len(), 1);
    assert!(["fuel", "time"].contains(&failures[0]["detail"]["error_kind"].as_str().unwrap()));
    let good = package(&w, "fixtures/good-segmenter");
    let (report, _) = run(&w, &good, "analytics").unwrap();
    assert_eq!(report.assignments, 3);
}

#[test]
fn a_merge_drops_the_merged_away_subjects_memberships() {
    let w = world();
    let spy = package(&w, "fixtures/spy-segmenter");
    run(&w, &spy, "analytics").unwrap();
    assert_eq!(w.store.stats().unwrap().memberships, 3);
    // One record links two of the three people: they become one subject.
    let link =
        json!({"source": "crm", "identifiers": {"email": "none@example.com", "crm_id": "L-1"}});
    let link2 = json!({"source": "crm", "identifiers": {"email": "withdrawn@example.com", "crm_id": "L-1"}});
    cohort_ingest::ingest_values(
        &w.store,
        &w.policy,
        &[link, link2],
        "test",
        &IngestOptions::default(),
        &mut NoProgress,
    )
    .unwrap();
    assert_eq!(w.store.stats().unwrap().subjects, 2);
    assert_eq!(w.store.stats().unwrap().memberships, 2);
    let check = w.store.check_integrity().unwrap();
    assert!(check.is_ok(), "{check:?}");
}
