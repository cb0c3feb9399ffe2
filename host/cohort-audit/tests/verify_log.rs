//! End-to-end behaviour of `verify_log` on a 100-entry log with signed checkpoints, untouched and tampered with.

use cohort_audit::{
    AuditEntry, AuditError, Checkpoint, MerkleFrontier, inclusion_proof, leaf_hash, merkle_root,
    verify_inclusion, verify_log,
};
use proptest::prelude::*;
use ring::signature::{Ed25519KeyPair, KeyPair};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const ENTRIES: u64 = 100;

/// Sizes at which the test log is checkpointed; the last one covers the whole log.
const CHECKPOINT_SIZES: [u64; 4] = [10, 37, 64, 100];

const ACTIONS: [&str; 5] = [
    "ingest.commit",
    "consent.grant",
    "subject.erase",
    "subject.export",
    "policy.load",
];

fn key(seed: u8) -> Ed25519KeyPair {
    Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).expect("a 32-byte seed is a valid key")
}

fn start() -> OffsetDateTime {
    datetime!(2024-03-05 09:00 UTC)
}

fn entry(seq: u64) -> AuditEntry {
    let at = start() + Duration::minutes(seq as i64);
    let mut entry = AuditEntry::new(seq, at, "cohort", ACTIONS[(seq % 5) as usize])
        .with_policy_sha256(format!("{:064x}", 0xc0ffee_u64))
        .with_count("records", seq * 3);
    if seq.is_multiple_of(2) {
        entry = entry
            .with_purpose("email_marketing")
            .with_subject(format!("{:032x}", seq * 7919));
    }
    if seq.is_multiple_of(3) {
        entry = entry.with_detail("run_id", format!("run-{seq}"));
    }
    entry
}

/// A stored log: entries keyed by index, plus checkpoints in order of size.
struct Log {
    entries: Vec<(u64, Vec<u8>)>,
    checkpoints: Vec<Checkpoint>,
}

/// Builds the log the way the store appends: entry bytes, a frontier push, and a checkpoint at chosen sizes.
fn build_log(signer: &Ed25519KeyPair) -> Log {
    let mut frontier = MerkleFrontier::new();
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    for seq in 0..ENTRIES {
        let bytes = entry(seq).to_bytes().expect("test entries are valid");
        frontier
            .push(leaf_hash(&bytes))
            .expect("a small frontier grows");
        entries.push((seq, bytes));
        if CHECKPOINT_SIZES.contains(&frontier.size()) {
            let at = start() + Duration::hours(frontier.size() as i64);
            checkpoints.push(
                Checkpoint::sign(frontier.size(), &frontier.root(), at, "audit-1", signer)
                    .expect("test checkpoints sign"),
            );
        }
    }
    Log {
        entries,
        checkpoints,
    }
}

fn public(key: &Ed25519KeyPair) -> Vec<u8> {
    key.public_key().as_ref().to_vec()
}

fn verify(log: &Log, key: &Ed25519KeyPair) -> Result<cohort_audit::VerifyReport, AuditError> {
    verify_log(log.entries.clone(), &log.checkpoints, &public(key))
}

#[test]
fn untouched_log_verifies() {
    let signer = key(1);
    let log = build_log(&signer);
    let report = verify(&log, &signer).unwrap();
    assert_eq!(report.entries, ENTRIES);
    assert_eq!(report.checkpoints_checked, CHECKPOINT_SIZES.len());
    let leaves: Vec<_> = log.entries.iter().map(|(_, b)| leaf_hash(b)).collect();
    assert_eq!(report.root_hex, hex::encode(merkle_root(&leaves)));
    assert_eq!(report.root_hex, log.checkpoints[3].root_hex);
}

#[test]
fn every_entry_has_an_inclusion_proof_under_the_signed_root() {
    let signer = key(1);
    let log = build_log(&signer);
    let leaves: Vec<_> = log.entries.iter().map(|(_, b)| leaf_hash(b)).collect();
    for checkpoint in &log.checkpoints {
        checkpoint.verify(&public(&signer)).unwrap();
        let tree = &leaves[..checkpoint.size as usize];
        let root = checkpoint.root().unwrap();
        for (index, leaf) in tree.iter().enumerate() {
            let proof = inclusion_proof(tree, index as u64).unwrap();
            assert!(verify_inclusion(
                leaf,
                index as u64,
                checkpoint.size,
                &proof,
                &root
            ));
        }
    }
}

#[test]
fn empty_log_verifies_with_or_without_a_checkpoint() {
    let signer = key(1);
    let empty_root = merkle_root(&[]);
    let report = verify_log(Vec::new(), &[], &public(&signer)).unwrap();
    assert_eq!((report.entries, report.checkpoints_checked), (0, 0));
    assert_eq!(report.root_hex, hex::encode(empty_root));
    let at_zero = Checkpoint::sign(0, &empty_root, start(), "audit-1", &signer).unwrap();
    let report = verify_log(Vec::new(), &[at_zero], &public(&signer)).unwrap();
    assert_eq!(report.checkpoints_checked, 1);
}

#[test]
fn deleted_entries_are_named() {
    let signer = key(1);
    for (deleted, expected) in [
        (0, AuditError::MissingEntry { index: 0 }),
        (50, AuditError::MissingEntry { index: 50 }),
        // The last entry leaves no gap behind it: the checkpoint at 100 is what shows it is gone.
        (
            99,
            AuditError::Truncated {
                size: 100,
                entries: 99,
            },
        ),
    ] {
        let mut log = build_log(&signer);
        log.entries.remove(deleted);
        assert_eq!(verify(&log, &signer), Err(expected), "deleted {deleted}");
    }
}

#[test]
fn swapped_entries_are_named() {
    let signer = key(1);
    let mut log = build_log(&signer);
    // Swap the bytes but keep the stored indices, as a store re-keyed by an attacker would look.
    let (a, b) = (log.entries[20].1.clone(), log.entries[10].1.clone());
    log.entries[10].1 = a;
    log.entries[20].1 = b;
    let err = verify(&log, &signer).unwrap_err();
    assert_eq!(err, AuditError::SeqMismatch { index: 10, seq: 20 });
    assert_eq!(err.to_string(), "entry at index 10 says seq 20");
}

#[test]
fn swapped_entries_with_rewritten_seq_break_the_root() {
    let signer = key(1);
    let mut log = build_log(&signer);
    for (index, source) in [(10u64, 20u64), (20, 10)] {
        let mut moved = entry(source);
        moved.seq = index;
        log.entries[index as usize].1 = moved.to_bytes().unwrap();
    }
    assert!(matches!(
        verify(&log, &signer),
        Err(AuditError::RootMismatch { size: 37, .. })
    ));
}

#[test]
fn truncated_tail_is_detected() {
    let signer = key(1);
    let mut log = build_log(&signer);
    log.entries.truncate(70);
    let err = verify(&log, &signer).unwrap_err();
    assert_eq!(
        err,
        AuditError::Truncated {
            size: 100,
            entries: 70
        }
    );
    assert!(
        err.to_string().contains("entries 70..100 are missing"),
        "{err}"
    );
}

#[test]
fn truncating_entries_and_their_checkpoint_leaves_an_unsigned_tail() {
    let signer = key(1);
    let mut log = build_log(&signer);
    log.entries.truncate(70);
    log.checkpoints.pop();
    assert_eq!(
        verify(&log, &signer),
        Err(AuditError::UnsignedTail {
            signed: 64,
            entries: 70
        })
    );
}

#[test]
fn entries_after_the_newest_checkpoint_are_an_unsigned_tail() {
    let signer = key(1);
    let mut log = build_log(&signer);
    log.entries
        .push((ENTRIES, entry(ENTRIES).to_bytes().unwrap()));
    assert_eq!(
        verify(&log, &signer),
        Err(AuditError::UnsignedTail {
            signed: 100,
            entries: 101
        })
    );
    let no_checkpoints = Log {
        entries: log.entries,
        checkpoints: Vec::new(),
    };
    assert_eq!(
        verify(&no_checkpoints, &signer),
        Err(AuditError::UnsignedTail {
            signed: 0,
            entries: 101
        })
    );
}

#[test]
fn checkpoint_forged_with_another_key_is_refused() {
    let signer = key(1);
    let forger = key(2);
    let mut log = build_log(&signer);
    let genuine = log.checkpoints[1].clone();
    log.checkpoints[1] = Checkpoint::sign(
        genuine.size,
        &genuine.root().unwrap(),
        genuine.at,
        &genuine.key_id,
        &forger,
    )
    .unwrap();
    let err = verify(&log, &signer).unwrap_err();
    assert_eq!(err, AuditError::BadSignature { size: 37 });
    assert_eq!(err.to_string(), "checkpoint at size 37: bad signature");
}

#[test]
fn a_log_rewritten_and_resigned_with_another_key_is_refused() {
    let signer = key(1);
    let forger = key(2);
    let forged = build_log(&forger);
    assert_eq!(
        verify(&forged, &signer),
        Err(AuditError::BadSignature { size: 10 })
    );
}

#[test]
fn a_checkpoint_with_a_wrong_root_is_a_root_mismatch() {
    let signer = key(1);
    let mut log = build_log(&signer);
    let wrong = leaf_hash(b"not the root");
    log.checkpoints[2] = Checkpoint::sign(64, &wrong, start(), "audit-1", &signer).unwrap();
    let err = verify(&log, &signer).unwrap_err();
    let AuditError::RootMismatch {
        size,
        expected,
        computed,
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(
        (*size, expected.as_str()),
        (64, hex::encode(wrong).as_str())
    );
    let leaves: Vec<_> = log.entries[..64]
        .iter()
        .map(|(_, b)| leaf_hash(b))
        .collect();
    assert_eq!(computed, &hex::encode(merkle_root(&leaves)));
    assert_eq!(
        err.to_string(),
        format!("checkpoint at size 64: root mismatch (expected {expected}, computed {computed})")
    );
}

#[test]
fn duplicate_stored_index_is_refused() {
    let signer = key(1);
    let mut log = build_log(&signer);
    let again = log.entries[5].clone();
    log.entries.insert(6, again);
    assert_eq!(
        verify(&log, &signer),
        Err(AuditError::IndexOutOfOrder {
            index: 5,
            previous: 5
        })
    );
}

#[test]
fn checkpoints_out_of_order_are_refused() {
    let signer = key(1);
    let mut log = build_log(&signer);
    log.checkpoints.swap(1, 2);
    assert_eq!(
        verify(&log, &signer),
        Err(AuditError::CheckpointsOutOfOrder {
            position: 2,
            size: 37,
            previous_size: 64
        })
    );
}

#[test]
fn a_wrong_length_public_key_is_refused() {
    let signer = key(1);
    let log = build_log(&signer);
    assert_eq!(
        verify_log(log.entries, &log.checkpoints, &[0u8; 31]),
        Err(AuditError::BadPublicKey { len: 31 })
    );
}

#[test]
fn missing_entry_message_names_the_index() {
    assert_eq!(
        AuditError::MissingEntry { index: 17 }.to_string(),
        "entry 17 is missing"
    );
}

/// The first checkpoint that covers entry `index`.
fn covering_checkpoint(index: u64) -> u64 {
    CHECKPOINT_SIZES
        .into_iter()
        .find(|&size| size > index)
        .expect("the last checkpoint covers every entry")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn flipping_any_byte_of_any_entry_is_detected_at_that_entry(
        index in 0..ENTRIES,
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let signer = key(1);
        let mut log = build_log(&signer);
        let bytes = &mut log.entries[index as usize].1;
        let at = position.index(bytes.len());
        bytes[at] ^= mask;
        let err = verify(&log, &signer).unwrap_err();
        // The change shows either in the entry itself (it no longer decodes canonically, or its seq is off) or in
        // the root of the first checkpoint that covers it; never earlier and never later.
        let at_entry = match &err {
            AuditError::UnreadableEntry { index: i, .. } | AuditError::SeqMismatch { index: i, .. } => *i == index,
            AuditError::RootMismatch { size, .. } => *size == covering_checkpoint(index),
            _ => false,
        };
        prop_assert!(at_entry, "flip at entry {} byte {}: {}", index, at, err);
    }
}
