//! The layout of the store's one sled tree: a one-byte keyspace prefix, then a big-endian key.
//!
//! One tree rather than one per concern because sled's `apply_batch` is atomic only within a tree: with every
//! keyspace in one tree, a chunk of subjects, their identity index entries and the audit entry that records them
//! commit together or not at all, with no multi-tree transaction on the hot path.
//!
//! | prefix | key | value |
//! |---|---|---|
//! | `I` | identity key id (u32) ‖ HMAC (32) | subject id (16) |
//! | `S` | subject id (16) | header ‖ sealed body (see `subject`) |
//! | `E` | subject id (16) ‖ page (u32) | sealed event page |
//! | `X` | identity key id (u32) ‖ HMAC (32) | suppression: tombstone id ‖ erased-at (JSON) |
//! | `T` | tombstone id (16) | tombstone (JSON: when, request id, reason; no identifier) |
//! | `F` | vault slot (u64) | empty: a free key-vault slot |
//! | `A` | sequence (u64) | audit entry bytes |
//! | `C` | log size (u64) | signed checkpoint (JSON) |
//! | `G` | subject id (16) ‖ purpose ‖ 0 ‖ plugin id | sealed memberships of the subject from that run scope |
//! | `R` | run id | segmentation run record (JSON, no personal data) |
//! | `B` | budget scope ‖ 0 ‖ period | epsilon spent, in millionths (u64) |
//! | `M` | name | store metadata |
//! | `K` | API key id (16 hex digits) | API key record (JSON: name, role, dates, tag of the secret; see `api_keys`) |
//! | `Q` | request id ‖ 0 ‖ audit sequence (u64) | empty: the audit entries of one data-subject request |

use crate::subject::SubjectId;
use cohort_crypto::Pseudonym;

/// Identity index.
pub const IDENTITY: u8 = b'I';
/// Subjects.
pub const SUBJECT: u8 = b'S';
/// Sealed event pages.
pub const EVENT_PAGE: u8 = b'E';
/// Suppressed identifier hashes of erased subjects.
pub const SUPPRESSED: u8 = b'X';
/// Erasure tombstones.
pub const TOMBSTONE: u8 = b'T';
/// Free key-vault slots.
pub const FREE_SLOT: u8 = b'F';
/// Audit entries.
pub const AUDIT: u8 = b'A';
/// Audit checkpoints.
pub const CHECKPOINT: u8 = b'C';
/// Metadata.
pub const META: u8 = b'M';
/// Segment memberships.
pub const MEMBERSHIP: u8 = b'G';
/// Segmentation run records.
pub const RUN: u8 = b'R';
/// Privacy-budget ledger lines.
pub const BUDGET: u8 = b'B';
/// API keys of the HTTP API.
pub const API_KEY: u8 = b'K';
/// Index of audit entries by data-subject request id.
pub const REQUEST: u8 = b'Q';

/// Key of a pseudonym in the identity index (`I`) or the suppression list (`X`).
pub fn pseudonym_key(prefix: u8, p: &Pseudonym) -> [u8; 37] {
    let mut k = [0u8; 37];
    k[0] = prefix;
    k[1..5].copy_from_slice(&p.key_id().to_be_bytes());
    k[5..].copy_from_slice(p.mac());
    k
}

/// Key of a subject.
pub fn subject_key(id: &SubjectId) -> [u8; 17] {
    let mut k = [0u8; 17];
    k[0] = SUBJECT;
    k[1..].copy_from_slice(id.bytes());
    k
}

/// Key of one event page of a subject.
pub fn event_page_key(id: &SubjectId, page: u32) -> [u8; 21] {
    let mut k = [0u8; 21];
    k[0] = EVENT_PAGE;
    k[1..17].copy_from_slice(id.bytes());
    k[17..].copy_from_slice(&page.to_be_bytes());
    k
}

/// Key of a free vault slot.
pub fn free_slot_key(slot: u64) -> [u8; 9] {
    with_u64(FREE_SLOT, slot)
}

/// Key of an audit entry.
pub fn audit_key(seq: u64) -> [u8; 9] {
    with_u64(AUDIT, seq)
}

/// Key of an audit checkpoint.
pub fn checkpoint_key(size: u64) -> [u8; 9] {
    with_u64(CHECKPOINT, size)
}

/// The prefix of every index entry of request `id` (the 0 byte ends the id: `req-1` is not a prefix of `req-10`).
pub fn request_prefix(id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(id.len() + 2);
    k.push(REQUEST);
    k.extend_from_slice(id.as_bytes());
    k.push(0);
    k
}

/// Key of the index entry of request `id` for the audit entry `seq`.
pub fn request_key(id: &str, seq: u64) -> Vec<u8> {
    let mut k = request_prefix(id);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Key of a metadata value.
pub fn meta_key(name: &str) -> Vec<u8> {
    let mut k = vec![META];
    k.extend_from_slice(name.as_bytes());
    k
}

fn with_u64(prefix: u8, n: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = prefix;
    k[1..].copy_from_slice(&n.to_be_bytes());
    k
}

/// Reads the u64 after a one-byte prefix.
pub fn u64_suffix(key: &[u8]) -> Option<u64> {
    let b: [u8; 8] = key.get(1..9)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// Reads a subject id stored as a value or after a prefix.
pub fn subject_id_at(bytes: &[u8], offset: usize) -> Option<SubjectId> {
    let b: [u8; 16] = bytes.get(offset..offset + 16)?.try_into().ok()?;
    Some(SubjectId(b))
}

/// Reads a big-endian u64 value.
pub fn u64_value(v: &[u8]) -> Option<u64> {
    let b: [u8; 8] = v.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}
