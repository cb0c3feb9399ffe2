//! Whole-log verification: replays the stored entries into a frontier and checks every signed checkpoint against it.
//!
//! It detects a missing entry (a gap in stored indices), reordered entries (`seq` differs from the stored index),
//! altered entries (they no longer decode canonically, or the recomputed root differs from a signed one), a
//! truncated log (a checkpoint covers more entries than are stored), an unsigned tail (entries after the newest
//! checkpoint) and forged checkpoints (bad signature). It cannot see entries dropped from the end together with
//! every checkpoint that covered them; keeping the newest checkpoint elsewhere (a witness, a printout) closes that.

use crate::merkle::leaf_hash;
use crate::{AuditEntry, AuditError, Checkpoint, ED25519_PUBLIC_KEY_LEN, MerkleFrontier};

/// What a successful verification covered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// How many entries were replayed.
    pub entries: u64,
    /// How many checkpoints were checked (signature and root).
    pub checkpoints_checked: usize,
    /// The root of the whole log, hex.
    pub root_hex: String,
}

/// Verifies a log given its entries as `(stored index, entry bytes)` in stored order and its checkpoints in order
/// of size, against the audit public key (raw 32-byte Ed25519).
pub fn verify_log(
    entries: impl IntoIterator<Item = (u64, Vec<u8>)>,
    checkpoints: &[Checkpoint],
    public_key: &[u8],
) -> Result<VerifyReport, AuditError> {
    if public_key.len() != ED25519_PUBLIC_KEY_LEN {
        return Err(AuditError::BadPublicKey {
            len: public_key.len(),
        });
    }
    for (position, pair) in checkpoints.windows(2).enumerate() {
        if pair[1].size < pair[0].size {
            return Err(AuditError::CheckpointsOutOfOrder {
                position: position + 1,
                size: pair[1].size,
                previous_size: pair[0].size,
            });
        }
    }
    for checkpoint in checkpoints {
        checkpoint.verify(public_key)?;
    }

    let mut frontier = MerkleFrontier::new();
    let mut pending = checkpoints.iter().peekable();
    // Checkpoints of the empty log are checked before any entry.
    while let Some(checkpoint) = pending.next_if(|c| c.size == 0) {
        check_root(checkpoint, &frontier)?;
    }
    for (index, bytes) in entries {
        let expected = frontier.size();
        if index > expected {
            return Err(AuditError::MissingEntry { index: expected });
        }
        if index < expected {
            return Err(AuditError::IndexOutOfOrder {
                index,
                previous: expected - 1,
            });
        }
        let entry = AuditEntry::from_bytes(&bytes).map_err(|e| AuditError::UnreadableEntry {
            index,
            source: Box::new(e),
        })?;
        if entry.seq != index {
            return Err(AuditError::SeqMismatch {
                index,
                seq: entry.seq,
            });
        }
        frontier.push(leaf_hash(&bytes))?;
        while let Some(checkpoint) = pending.next_if(|c| c.size == frontier.size()) {
            check_root(checkpoint, &frontier)?;
        }
    }

    let stored = frontier.size();
    let signed = checkpoints.last().map_or(0, |c| c.size);
    if signed > stored {
        return Err(AuditError::Truncated {
            size: signed,
            entries: stored,
        });
    }
    if signed < stored {
        return Err(AuditError::UnsignedTail {
            signed,
            entries: stored,
        });
    }
    Ok(VerifyReport {
        entries: stored,
        checkpoints_checked: checkpoints.len(),
        root_hex: hex::encode(frontier.root()),
    })
}

/// Compares a checkpoint's signed root with the frontier's root at the checkpoint's size.
fn check_root(checkpoint: &Checkpoint, frontier: &MerkleFrontier) -> Result<(), AuditError> {
    let computed = frontier.root();
    if checkpoint.root()? == computed {
        Ok(())
    } else {
        Err(AuditError::RootMismatch {
            size: checkpoint.size,
            expected: checkpoint.root_hex.clone(),
            computed: hex::encode(computed),
        })
    }
}
