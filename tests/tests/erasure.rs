//! Erasure (Art. 17) is crypto-shredding: after it, nothing of the subject comes back, the wrapped data key is gone
//! from every file, the old ciphertext cannot be opened, and a re-import is refused as suppressed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_tests::{Env, scan_files};
use serde_json::json;

fn person(email: &str, consent_at: Option<&str>) -> String {
    let mut r = json!({"source": "crm", "identifiers": {"email": email, "crm_id": "H-77"},
        "attributes": {"country": "DE", "city": "Erasedcityzq"},
        "events": [{"type": "order_completed", "at": "2026-10-01T12:00:00Z", "properties": {"revenue": 9.5}}]});
    if let Some(at) = consent_at {
        r["consents"] = json!([{"purpose": "email_marketing", "state": "granted", "at": at, "source": "web_form"}]);
    }
    r.to_string()
}

/// The key-vault slot bytes of the only subject in the store (the vault is a header plus fixed-size slots).
fn vault_slots(env: &Env) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(env.data_dir.join("keys.vault")).unwrap();
    bytes[64..].chunks(96).map(<[u8]>::to_vec).collect()
}

#[test]
fn erase_destroys_the_key_and_suppresses_reimport() {
    let env = Env::new("example-retail.yaml");
    let input = env.write_input("p.jsonl", &[person("erase.me@example.com", None)]);
    env.ok(&["ingest", &input]);
    let before = env.json(&["subject", "export", "--email", "erase.me@example.com"]);
    assert_eq!(before["attributes"]["country"]["value"], "DE");
    let slots = vault_slots(&env);
    let wrapped: Vec<u8> = slots[0][24..84].to_vec();
    assert_eq!(slots[0][0], 1, "slot 0 in use before erasure");

    let report = env.json(&[
        "subject",
        "erase",
        "--email",
        "erase.me@example.com",
        "--reason",
        "art17-1-a",
        "--request-id",
        "REQ-1",
    ]);
    assert_eq!(report["identifiers_suppressed"], 2);

    // Nothing of the subject comes back.
    let out = env.run(&["subject", "export", "--email", "erase.me@example.com"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("was erased"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = env.run(&["subject", "export", "--id", "crm_id=H-77"]);
    assert!(!out.status.success());

    // The wrapped key is overwritten in place, and its bytes exist in no file of the data directory.
    assert!(
        vault_slots(&env)[0].iter().all(|b| *b == 0),
        "slot not shredded"
    );
    let hits = scan_files(&env.data_dir, &[&wrapped]);
    assert!(hits.is_empty(), "wrapped key still on disk: {hits:?}");

    // A re-import of the same person is refused as suppressed; nothing is stored.
    let again = env.json(&["ingest", &input]);
    assert_eq!(again["stored"], 0);
    assert_eq!(again["refused_suppressed"], 1);
    assert_eq!(env.stats()["subjects"], 0);
    assert_eq!(env.stats()["tombstones"], 1);
}

#[test]
fn a_later_dated_consent_lets_the_person_back_when_the_policy_allows() {
    // example-retail has `erasure: { reimport: with_new_consent }`.
    let env = Env::new("example-retail.yaml");
    let input = env.write_input("p.jsonl", &[person("back.again@example.com", None)]);
    env.ok(&["ingest", &input]);
    env.ok(&[
        "subject",
        "erase",
        "--email",
        "back.again@example.com",
        "--reason",
        "art17-1-a",
    ]);
    let same = env.json(&["ingest", &input]);
    assert_eq!(same["refused_suppressed"], 1);
    // An old consent (before the erasure) does not lift it; a fresh one does.
    let old = env.write_input(
        "old.jsonl",
        &[person(
            "back.again@example.com",
            Some("2020-01-01T00:00:00Z"),
        )],
    );
    assert_eq!(env.json(&["ingest", &old])["refused_suppressed"], 1);
    let fresh = env.write_input(
        "new.jsonl",
        &[person(
            "back.again@example.com",
            Some("2099-01-01T00:00:00Z"),
        )],
    );
    let back = env.json(&["ingest", &fresh]);
    assert_eq!(back["stored"], 1, "{back}");
    let export = env.json(&["subject", "export", "--email", "back.again@example.com"]);
    assert_eq!(
        export["consents"]["email_marketing"]["history"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// The sealed body of every subject, read straight from the sled files while no process has them open.
fn sealed_subjects(env: &Env) -> Vec<([u8; 16], Vec<u8>)> {
    let db = sled::open(env.data_dir.join("db")).unwrap();
    let tree = db.open_tree("cohort").unwrap();
    tree.scan_prefix(b"S")
        .map(|item| {
            let (k, v) = item.unwrap();
            let id: [u8; 16] = k[1..17].try_into().unwrap();
            // The header is 22 bytes; the sealed body follows.
            (id, v[22..].to_vec())
        })
        .collect()
}

#[test]
fn no_remaining_key_opens_the_erased_subjects_old_ciphertext() {
    let env = Env::new("default.yaml");
    let input = env.write_input(
        "p.jsonl",
        &[
            person("gone@example.com", None),
            person("stays@example.com", None).replace("H-77", "H-78"),
        ],
    );
    env.ok(&["ingest", &input]);
    let gone_id = env.json(&["subject", "export", "--email", "gone@example.com"])["subject_id"]
        .as_str()
        .unwrap()
        .to_string();
    let before = sealed_subjects(&env);
    let (erased, old_ciphertext) = before
        .iter()
        .find(|(id, _)| hex::encode(id) == gone_id)
        .cloned()
        .unwrap();
    env.ok(&[
        "subject",
        "erase",
        "--email",
        "gone@example.com",
        "--reason",
        "art17-1-a",
    ]);

    let keys = cohort_crypto::KeyRing::load(&env.key_file).unwrap();
    let mut aad = b"cohort-subject-body/v1".to_vec();
    aad.extend_from_slice(&erased);
    let mut tried = 0;
    for (slot, bytes) in vault_slots(&env).iter().enumerate() {
        let mut wrapped = [0u8; cohort_crypto::WRAPPED_KEY_LEN];
        wrapped.copy_from_slice(&bytes[24..84]);
        let wk = cohort_crypto::WrappedKey {
            master_key_id: u32::from_be_bytes(bytes[4..8].try_into().unwrap()),
            bytes: wrapped,
        };
        // Unwrap each remaining key for the subject it belongs to, and for the erased subject.
        for owner in [bytes[8..24].to_vec(), erased.to_vec()] {
            let mut context = owner.clone();
            context.extend_from_slice(&(slot as u64).to_be_bytes());
            if let Ok(key) = keys.masters().unwrap(&wk, &context) {
                tried += 1;
                assert!(
                    key.open(&aad, &old_ciphertext).is_err(),
                    "a remaining key opened the erased body"
                );
            }
        }
    }
    assert_eq!(tried, 1, "exactly one key (the other subject's) remains");
}
