//! Tamper-evident audit log: RFC 6962 Merkle hashing, entries, signed checkpoints and verification.
//!
//! This crate owns the math and the byte formats of the audit log and nothing else: the store persists the bytes
//! it produces (entries, the frontier, checkpoints), and this crate never touches disk or the network.
//!
//! - [`merkle`]: leaf and node hashes, the tree root, inclusion proofs (RFC 6962 / RFC 9162).
//! - [`frontier`]: the O(log n) running root the store keeps between appends.
//! - [`entry`]: what an audit entry holds and its canonical bytes.
//! - [`checkpoint`]: Ed25519-signed statements of size and root.
//! - [`verify`]: replaying a stored log against its checkpoints.
//!
//! Appending, as the store does it: `seq = frontier.size()`, `bytes = entry.to_bytes()?`, store `bytes` at index
//! `seq`, `frontier.push(leaf_hash(&bytes))?`, and from time to time store
//! `Checkpoint::sign(frontier.size(), &frontier.root(), now, key_id, key)?`.

pub mod checkpoint;
pub mod entry;
mod error;
pub mod frontier;
pub mod merkle;
pub mod verify;

pub use checkpoint::{CHECKPOINT_DOMAIN, Checkpoint, ED25519_PUBLIC_KEY_LEN};
pub use entry::{AuditEntry, MAX_ENTRY_BYTES};
pub use error::AuditError;
pub use frontier::MerkleFrontier;
pub use merkle::{
    Hash, empty_root, inclusion_proof, leaf_hash, merkle_root, node_hash, verify_inclusion,
};
pub use verify::{VerifyReport, verify_log};
