//! A direct write (flags, consent, erasure) after a background commit is not undone by the next batch: the settled
//! commit's overlay no longer shadows sled. (The HTTP server interleaves group commits with rights requests in one
//! process, which is how this was found.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_crypto::KeyRing;
use cohort_store::{AuditRecord, BatchOptions, Change, IdentifierInput, Store};

fn change(keys: &KeyRing, city: &str) -> Change {
    Change {
        source: "t".into(),
        received_at: "2026-01-01T00:00:00Z".into(),
        received_day: 20_454,
        identifiers: vec![IdentifierInput {
            kind: "crm_id".into(),
            pseudonyms: keys.pseudonymiser().pseudonymise_all("crm_id", "H-1"),
            contact_value: None,
        }],
        attributes: vec![("city".into(), serde_json::json!(city))],
        create_if_missing: true,
        ..Change::default()
    }
}

/// A new store in a temp dir (kept alive by the returned guard) and its key ring.
fn fresh_store() -> (tempfile::TempDir, Store, KeyRing) {
    let tmp = tempfile::tempdir().unwrap();
    let key_file = tmp.path().join("k.json");
    KeyRing::create(&key_file, "2026-01-01T00:00:00Z").unwrap();
    let store = Store::init(&tmp.path().join("data"), KeyRing::load(&key_file).unwrap()).unwrap();
    let keys = KeyRing::load(&key_file).unwrap();
    (tmp, store, keys)
}

#[test]
fn flags_set_after_a_background_commit_survive_the_next_batch() {
    let (_tmp, store, keys) = fresh_store();
    let mut batch = store.batch(BatchOptions::default());
    batch.apply(change(&keys, "Berlin")).unwrap();
    batch
        .commit_async(AuditRecord::new("t", "ingest.commit", None))
        .unwrap();
    store.flush().unwrap();
    let id = store
        .find_subject(&keys.pseudonymiser().pseudonymise_all("crm_id", "H-1"))
        .unwrap()
        .unwrap();
    store
        .set_flags(
            &id,
            |f| f.restricted = true,
            AuditRecord::new("t", "subject.restrict", None),
        )
        .unwrap();
    let mut batch = store.batch(BatchOptions::default());
    batch.apply(change(&keys, "Hamburg")).unwrap();
    batch
        .commit(AuditRecord::new("t", "ingest.commit", None))
        .unwrap();
    let view = store.subject(&id).unwrap().unwrap();
    assert!(
        view.header.flags.restricted,
        "the restriction was undone by the next batch"
    );
    assert_eq!(view.body.attributes["city"].value, "Hamburg");
}

#[test]
fn a_background_commit_reports_itself_settled_without_a_further_write() {
    let (_tmp, store, keys) = fresh_store();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut batch = store.batch(BatchOptions::default());
    batch.apply(change(&keys, "Berlin")).unwrap();
    batch
        .commit_async_then(
            AuditRecord::new("t", "ingest.commit", None),
            Box::new(move |outcome| tx.send(outcome.is_ok()).unwrap()),
        )
        .unwrap();
    // No flush and no other write: the background writer alone must say the commit is durable, exactly once.
    let settled = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the callback was not called");
    assert!(settled, "the commit failed");
    assert!(
        rx.recv_timeout(std::time::Duration::from_millis(200))
            .is_err(),
        "the callback was called twice"
    );
    let id = store
        .find_subject(&keys.pseudonymiser().pseudonymise_all("crm_id", "H-1"))
        .unwrap();
    assert!(id.is_some(), "the committed subject is not in the store");
    assert!(
        store.audit_entries().count() >= 1,
        "the commit's audit entry is not in the store"
    );
}
