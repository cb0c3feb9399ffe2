//! The audit log is tamper-evident: altering one byte of a stored entry, deleting one, or swapping two makes
//! `cohort audit verify` fail (exit code 4); an untouched log passes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, stderr};
use serde_json::json;

/// A store with a few audit entries: init, policy load, ingest commits, consent changes.
fn store_with_history() -> Env {
    let env = Env::new("example-retail.yaml");
    let lines: Vec<String> = (0..5)
        .map(|i| json!({"source": "crm", "identifiers": {"email": format!("a{i}@example.com")}, "attributes": {"country": "DE"}}).to_string())
        .collect();
    let input = env.write_input("in.jsonl", &lines);
    env.ok(&["ingest", &input]);
    env.ok(&[
        "consent",
        "grant",
        "--email",
        "a1@example.com",
        "--purpose",
        "email_marketing",
    ]);
    env.ok(&[
        "consent",
        "withdraw",
        "--email",
        "a1@example.com",
        "--purpose",
        "email_marketing",
    ]);
    env.ok(&["subject", "restrict", "--email", "a2@example.com"]);
    env
}

fn with_audit_tree(env: &Env, f: impl FnOnce(&sled::Tree)) {
    let db = sled::open(env.data_dir.join("db")).unwrap();
    let tree = db.open_tree("cohort").unwrap();
    f(&tree);
    db.flush().unwrap();
}

fn audit_key(seq: u64) -> Vec<u8> {
    let mut k = vec![b'A'];
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

fn verify_fails(env: &Env, expect: &str) {
    let out = env.run(&["audit", "verify"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "verify should fail: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.contains(expect), "expected `{expect}` in: {err}");
}

#[test]
fn an_untouched_log_verifies() {
    let env = store_with_history();
    let v = env.json(&["audit", "verify"]);
    assert_eq!(v["ok"], true);
    // init, policy.load, ingest.commit, consent.grant, consent.withdraw, subject.restrict
    assert_eq!(v["entries"], 6, "{v}");
    let log = env.json(&["audit", "log"]);
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "store.init",
            "policy.load",
            "ingest.commit",
            "consent.grant",
            "consent.withdraw",
            "subject.restrict"
        ]
    );
    // Entries name the policy hash, and never an identifier.
    let text = env.ok(&["--json", "audit", "log"]);
    assert!(!text.contains("@example.com"), "{text}");
    assert!(log[2]["policy_sha256"].as_str().unwrap().len() == 64);
}

#[test]
fn altering_any_single_byte_of_an_entry_is_detected() {
    // Every byte position of one entry, a sample of positions of others: flip it, verify fails, restore.
    let env = store_with_history();
    let mut original = Vec::new();
    with_audit_tree(&env, |t| {
        original = t.get(audit_key(3)).unwrap().unwrap().to_vec()
    });
    for pos in (0..original.len()).step_by(original.len() / 7 + 1) {
        let mut altered = original.clone();
        altered[pos] ^= 0x01;
        with_audit_tree(&env, |t| {
            t.insert(audit_key(3), altered.clone()).unwrap();
        });
        let out = env.run(&["audit", "verify"]);
        assert_eq!(
            out.status.code(),
            Some(4),
            "flip at byte {pos} not detected"
        );
    }
    with_audit_tree(&env, |t| {
        t.insert(audit_key(3), original.clone()).unwrap();
    });
    env.ok(&["audit", "verify"]);
}

#[test]
fn deleting_an_entry_is_detected() {
    let env = store_with_history();
    with_audit_tree(&env, |t| {
        t.remove(audit_key(2)).unwrap();
    });
    verify_fails(&env, "entry 2 is missing");
}

#[test]
fn deleting_the_last_entry_is_detected() {
    let env = store_with_history();
    with_audit_tree(&env, |t| {
        t.remove(audit_key(5)).unwrap();
    });
    verify_fails(&env, "missing");
}

#[test]
fn swapping_two_entries_is_detected() {
    let env = store_with_history();
    with_audit_tree(&env, |t| {
        let a = t.get(audit_key(3)).unwrap().unwrap();
        let b = t.get(audit_key(4)).unwrap().unwrap();
        t.insert(audit_key(3), b).unwrap();
        t.insert(audit_key(4), a).unwrap();
    });
    verify_fails(&env, "says seq");
}

#[test]
fn the_checkpoint_is_signed_and_names_its_public_key() {
    let env = store_with_history();
    let cp = env.json(&["audit", "checkpoint"]);
    assert_eq!(cp["checkpoint"]["size"], 6);
    assert!(cp["public_key"].as_str().unwrap().starts_with("ed25519:"));
    assert_eq!(
        cp["checkpoint"]["root_hex"],
        env.json(&["audit", "verify"])["root"]
    );
}

#[test]
fn a_requests_entries_are_found_through_the_index_also_in_a_store_written_before_it() {
    use cohort_store::{AuditRecord, REQUEST_ID_DETAIL, Store};
    let env = store_with_history();
    let open = || {
        Store::open(
            &env.data_dir,
            cohort_crypto::KeyRing::load(&env.key_file).unwrap(),
        )
        .unwrap()
    };
    let store = open();
    let record = |action: &str, request: Option<&str>| {
        let r = AuditRecord::new("test", action, None);
        match request {
            Some(id) => r.detail(REQUEST_ID_DETAIL, id),
            None => r,
        }
    };
    let a = store
        .audit(record("subject.export", Some("req-1")))
        .unwrap();
    store
        .audit(record("subject.export", Some("req-10")))
        .unwrap();
    store.audit(record("policy.load", None)).unwrap();
    let b = store.audit(record("subject.erase", Some("req-1"))).unwrap();
    let seqs = |store: &Store, id: &str| -> Vec<u64> {
        store
            .audit_entries_for_request(id)
            .unwrap()
            .into_iter()
            .map(|(seq, _)| seq)
            .collect()
    };
    assert_eq!(seqs(&store, "req-1"), [a, b], "req-10 is not req-1");
    assert_eq!(seqs(&store, "req-10").len(), 1);
    assert!(seqs(&store, "req-2").is_empty());
    drop(store);

    // A store from before the index: no `Q` entries and no marker. Opening it builds the index once.
    with_audit_tree(&env, |tree| {
        let index: Vec<_> = tree
            .scan_prefix([b'Q'])
            .keys()
            .map(Result::unwrap)
            .collect();
        assert!(index.len() >= 3, "{}", index.len());
        for k in index {
            tree.remove(k).unwrap();
        }
        tree.remove(b"Mrequest_index").unwrap().unwrap();
    });
    let store = open();
    assert_eq!(seqs(&store, "req-1"), [a, b]);
    assert_eq!(seqs(&store, "req-10").len(), 1);
    drop(store);
    env.ok(&["audit", "verify"]);
}
