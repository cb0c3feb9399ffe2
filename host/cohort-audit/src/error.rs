//! The crate's error type: each variant says what is wrong and at which entry index or checkpoint size, so that an
//! auditor reading `cohort audit verify` output knows exactly where to look.

/// Everything that can go wrong while building, reading or verifying the audit log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// An inclusion proof was asked for a leaf the tree does not have.
    #[error("no leaf {index} in a tree of {size} leaves")]
    ProofIndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The number of leaves.
        size: u64,
    },
    /// The frontier already holds the largest number of leaves a `u64` can count.
    #[error("the Merkle frontier is full: it cannot count more than u64::MAX leaves")]
    FrontierFull,
    /// A stored frontier is not a valid frontier.
    #[error("stored Merkle frontier is invalid: {reason}")]
    InvalidFrontier {
        /// What is wrong with it.
        reason: String,
    },
    /// An entry field breaks one of the entry's rules.
    #[error("audit entry field `{field}` {problem}")]
    InvalidEntryField {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An entry is larger than an audit entry may be.
    #[error("audit entry is {len} bytes; the limit is {max}")]
    EntryTooLarge {
        /// Its size in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An entry could not be encoded (for example, a timestamp outside the years RFC 3339 can write).
    #[error("audit entry cannot be encoded: {reason}")]
    EntryEncoding {
        /// The encoder's explanation.
        reason: String,
    },
    /// Bytes that do not decode as an entry.
    #[error("audit entry does not decode: {reason}")]
    EntryDecoding {
        /// The decoder's explanation.
        reason: String,
    },
    /// Bytes that decode as an entry but are not the bytes [`AuditEntry::to_bytes`](crate::AuditEntry::to_bytes)
    /// writes for it, so the same entry could have been stored in more than one way.
    #[error("audit entry is not in canonical form")]
    NonCanonicalEntry,
    /// A checkpoint timestamp that RFC 3339 cannot write.
    #[error("checkpoint at size {size}: timestamp cannot be written as RFC 3339: {reason}")]
    CheckpointTimestamp {
        /// The checkpoint's size.
        size: u64,
        /// The formatter's explanation.
        reason: String,
    },
    /// A checkpoint key id that is empty, too long or contains characters other than `[A-Za-z0-9._:-]`.
    #[error("checkpoint at size {size}: key id is invalid: {problem}")]
    InvalidKeyId {
        /// The checkpoint's size.
        size: u64,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A checkpoint whose root or signature field is not well-formed.
    #[error("checkpoint at size {size}: {field} is malformed: {problem}")]
    MalformedCheckpoint {
        /// The checkpoint's size.
        size: u64,
        /// The malformed field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The public key is not a 32-byte Ed25519 key.
    #[error("audit public key has {len} bytes; an Ed25519 public key has 32")]
    BadPublicKey {
        /// Its length in bytes.
        len: usize,
    },
    /// A checkpoint's signature does not verify under the given public key.
    #[error("checkpoint at size {size}: bad signature")]
    BadSignature {
        /// The checkpoint's size.
        size: u64,
    },
    /// A checkpoint's root differs from the root recomputed from the entries.
    #[error("checkpoint at size {size}: root mismatch (expected {expected}, computed {computed})")]
    RootMismatch {
        /// The checkpoint's size.
        size: u64,
        /// The signed root, hex.
        expected: String,
        /// The recomputed root, hex.
        computed: String,
    },
    /// Checkpoints are not in order of size.
    #[error(
        "checkpoint {position} (size {size}) comes after a checkpoint at size {previous_size}: checkpoints are out of order"
    )]
    CheckpointsOutOfOrder {
        /// Its zero-based position in the list.
        position: usize,
        /// Its size.
        size: u64,
        /// The size of the checkpoint before it.
        previous_size: u64,
    },
    /// An index in `0..entries` has no stored entry.
    #[error("entry {index} is missing")]
    MissingEntry {
        /// The missing index.
        index: u64,
    },
    /// Stored indices do not increase (a duplicate, or the store returned them out of order).
    #[error(
        "entry stored at index {index} comes after index {previous}: stored indices must increase by one"
    )]
    IndexOutOfOrder {
        /// The offending stored index.
        index: u64,
        /// The stored index before it.
        previous: u64,
    },
    /// A stored entry does not decode.
    #[error("entry at index {index} is unreadable: {source}")]
    UnreadableEntry {
        /// The entry's stored index.
        index: u64,
        /// Why it does not decode.
        #[source]
        source: Box<AuditError>,
    },
    /// An entry's `seq` is not its stored index: entries were reordered or re-keyed.
    #[error("entry at index {index} says seq {seq}")]
    SeqMismatch {
        /// The stored index.
        index: u64,
        /// The `seq` the entry carries.
        seq: u64,
    },
    /// The newest checkpoint covers more entries than the log holds.
    #[error(
        "checkpoint at size {size}: the log holds only {entries} entries, so entries {entries}..{size} are missing \
         (the log was truncated)"
    )]
    Truncated {
        /// The checkpoint's size.
        size: u64,
        /// How many entries the log holds.
        entries: u64,
    },
    /// Entries after the newest checkpoint: they are not covered by any signature.
    #[error(
        "entries {signed}..{entries} are not covered by a checkpoint (the newest signed size is {signed}): unsigned tail"
    )]
    UnsignedTail {
        /// The newest checkpoint's size (0 when there is none).
        signed: u64,
        /// How many entries the log holds.
        entries: u64,
    },
}
