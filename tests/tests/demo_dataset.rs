//! The demo's synthetic dataset through the real ingest path: identity resolution ends in exactly the number of
//! profiles the generator knows to be right, every declared event is stored once, and the policy drops exactly the
//! attributes and event types it does not allow.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_ingest::{IngestOptions, NoProgress};
use cohort_tests::repo_root;

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
