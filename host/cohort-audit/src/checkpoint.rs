//! Signed checkpoints: an Ed25519 signature over the log's size and root at a point in time.
//!
//! The signed message is UTF-8 text, one field per line, with no trailing newline:
//!
//! ```text
//! cohort-audit-checkpoint/v1
//! <size in decimal>
//! <root, 64 lowercase hex digits>
//! <time, RFC 3339 in UTC>
//! <key id>
//! ```
//!
//! The first line separates these signatures from anything else the same key might sign. The key id is signed too,
//! so a checkpoint cannot be relabelled as made by another key after key rotation.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use crate::AuditError;
use crate::frontier::decode_hash;
use crate::merkle::Hash;

/// First line of every signed checkpoint message.
pub const CHECKPOINT_DOMAIN: &str = "cohort-audit-checkpoint/v1";

/// Longest key id in characters; key ids are short labels such as `audit-3`.
pub const MAX_KEY_ID_CHARS: usize = 64;

/// Length of an Ed25519 public key in bytes (RFC 8032 §5.1.5).
pub const ED25519_PUBLIC_KEY_LEN: usize = 32;

/// Length of an Ed25519 signature in bytes (RFC 8032 §5.1.6).
const ED25519_SIGNATURE_LEN: usize = 64;

/// A signed statement that the log had `size` entries with root `root_hex` at time `at`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// How many entries the checkpoint covers.
    pub size: u64,
    /// The RFC 6962 root of those entries, 64 lowercase hex digits.
    pub root_hex: String,
    /// When it was signed, in UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Which audit signing key made the signature.
    pub key_id: String,
    /// The Ed25519 signature over the message described in the module documentation, standard base64.
    pub signature_b64: String,
}

impl Checkpoint {
    /// Signs the log's `size` and `root` at time `at` with `key`, labelled `key_id`.
    pub fn sign(
        size: u64,
        root: &Hash,
        at: OffsetDateTime,
        key_id: &str,
        key: &Ed25519KeyPair,
    ) -> Result<Self, AuditError> {
        let mut checkpoint = Self {
            size,
            root_hex: hex::encode(root),
            at: at.to_offset(UtcOffset::UTC),
            key_id: key_id.to_owned(),
            signature_b64: String::new(),
        };
        let message = checkpoint.message()?;
        checkpoint.signature_b64 = BASE64.encode(key.sign(&message));
        Ok(checkpoint)
    }

    /// The bytes the signature covers, built from this checkpoint's fields.
    pub fn message(&self) -> Result<Vec<u8>, AuditError> {
        self.check_key_id()?;
        let at = self
            .at
            .to_offset(UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|e| AuditError::CheckpointTimestamp {
                size: self.size,
                reason: e.to_string(),
            })?;
        let root = hex::encode(self.root()?);
        Ok(format!(
            "{CHECKPOINT_DOMAIN}\n{}\n{root}\n{at}\n{}",
            self.size, self.key_id
        )
        .into_bytes())
    }

    /// The root this checkpoint signs.
    pub fn root(&self) -> Result<Hash, AuditError> {
        decode_hash(&self.root_hex).ok_or(AuditError::MalformedCheckpoint {
            size: self.size,
            field: "root_hex",
            problem: "is not 64 lowercase hex digits",
        })
    }

    /// Checks the signature with a raw 32-byte Ed25519 public key.
    pub fn verify(&self, public_key: &[u8]) -> Result<(), AuditError> {
        if public_key.len() != ED25519_PUBLIC_KEY_LEN {
            return Err(AuditError::BadPublicKey {
                len: public_key.len(),
            });
        }
        let message = self.message()?;
        let malformed = |problem| AuditError::MalformedCheckpoint {
            size: self.size,
            field: "signature_b64",
            problem,
        };
        let signature = BASE64
            .decode(&self.signature_b64)
            .map_err(|_| malformed("is not standard base64"))?;
        if signature.len() != ED25519_SIGNATURE_LEN {
            return Err(malformed("does not hold 64 bytes"));
        }
        UnparsedPublicKey::new(&ED25519, public_key)
            .verify(&message, &signature)
            .map_err(|_| AuditError::BadSignature { size: self.size })
    }

    /// Key ids go into a line of the signed message, so they must be short and free of line breaks.
    fn check_key_id(&self) -> Result<(), AuditError> {
        let problem = if self.key_id.is_empty() {
            Some("it is empty")
        } else if self.key_id.len() > MAX_KEY_ID_CHARS {
            Some("it is longer than 64 characters")
        } else if !self
            .key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
        {
            Some("it may only contain ASCII letters, digits, `.`, `_`, `:` and `-`")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(AuditError::InvalidKeyId {
                size: self.size,
                problem,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;
    use ring::signature::KeyPair;
    use time::macros::datetime;

    fn key(seed: u8) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
    }

    fn signed() -> (Checkpoint, Ed25519KeyPair) {
        let key = key(1);
        let at = datetime!(2024-03-05 10:41:07 +01:00);
        (
            Checkpoint::sign(120, &leaf_hash(b"x"), at, "audit-1", &key).unwrap(),
            key,
        )
    }

    #[test]
    fn message_is_the_documented_text() {
        let (checkpoint, _) = signed();
        let expected = format!(
            "cohort-audit-checkpoint/v1\n120\n{}\n2024-03-05T09:41:07Z\naudit-1",
            hex::encode(leaf_hash(b"x"))
        );
        assert_eq!(checkpoint.message().unwrap(), expected.into_bytes());
    }

    #[test]
    fn verifies_with_its_key_only() {
        let (checkpoint, key1) = signed();
        checkpoint.verify(key1.public_key().as_ref()).unwrap();
        assert_eq!(
            checkpoint.verify(key(2).public_key().as_ref()),
            Err(AuditError::BadSignature { size: 120 })
        );
    }

    #[test]
    fn any_changed_field_breaks_the_signature() {
        let (checkpoint, key) = signed();
        let public = key.public_key().as_ref().to_vec();
        let changes: Vec<Checkpoint> = vec![
            Checkpoint {
                size: 121,
                ..checkpoint.clone()
            },
            Checkpoint {
                root_hex: hex::encode(leaf_hash(b"y")),
                ..checkpoint.clone()
            },
            Checkpoint {
                at: checkpoint.at + time::Duration::SECOND,
                ..checkpoint.clone()
            },
            Checkpoint {
                key_id: "audit-2".into(),
                ..checkpoint.clone()
            },
        ];
        for changed in changes {
            assert_eq!(
                changed.verify(&public),
                Err(AuditError::BadSignature { size: changed.size }),
                "{changed:?}"
            );
        }
    }

    #[test]
    fn malformed_fields_are_named() {
        let (checkpoint, key) = signed();
        let public = key.public_key().as_ref().to_vec();
        let cases = [
            (
                Checkpoint {
                    root_hex: "zz".into(),
                    ..checkpoint.clone()
                },
                "root_hex",
            ),
            (
                Checkpoint {
                    root_hex: checkpoint.root_hex.to_uppercase(),
                    ..checkpoint.clone()
                },
                "root_hex",
            ),
            (
                Checkpoint {
                    signature_b64: "***".into(),
                    ..checkpoint.clone()
                },
                "signature_b64",
            ),
            (
                Checkpoint {
                    signature_b64: BASE64.encode([0u8; 10]),
                    ..checkpoint.clone()
                },
                "signature_b64",
            ),
        ];
        for (bad, field) in cases {
            match bad.verify(&public) {
                Err(AuditError::MalformedCheckpoint {
                    field: f,
                    size: 120,
                    ..
                }) => assert_eq!(f, field),
                other => panic!("{field}: {other:?}"),
            }
        }
        assert_eq!(
            checkpoint.verify(&public[..31]),
            Err(AuditError::BadPublicKey { len: 31 })
        );
    }

    #[test]
    fn key_ids_cannot_smuggle_lines() {
        let key = key(1);
        let at = datetime!(2024-03-05 10:41:07 UTC);
        for bad in ["", "audit\n1", "a b", &"k".repeat(65)] {
            assert!(
                matches!(
                    Checkpoint::sign(1, &leaf_hash(b"x"), at, bad, &key),
                    Err(AuditError::InvalidKeyId { size: 1, .. })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn serde_round_trip_still_verifies() {
        let (checkpoint, key) = signed();
        let json = serde_json::to_string(&checkpoint).unwrap();
        let back: Checkpoint = serde_json::from_str(&json).unwrap();
        assert_eq!(back, checkpoint);
        back.verify(key.public_key().as_ref()).unwrap();
    }
}
