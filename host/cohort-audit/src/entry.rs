//! One audit log entry and its byte form, which is what the Merkle tree hashes and the store keeps.
//!
//! The bytes are deterministic JSON: fields in declaration order, maps sorted (`BTreeMap`), the timestamp in UTC as
//! RFC 3339, every field always present. [`AuditEntry::from_bytes`] accepts only bytes that
//! [`AuditEntry::to_bytes`] would write, so each entry has exactly one stored form.
//!
//! **Invariant:** an entry never holds a raw identifier. `subject` accepts only a hex pseudonymous subject id;
//! the free-text fields (`actor`, `detail`) are for operators, counts and references, never for personal data.

use std::collections::BTreeMap;

use time::{OffsetDateTime, UtcOffset};

use crate::AuditError;

/// Largest entry in bytes. A project limit: entries carry names, counts and short references, so 16 KiB is far
/// above any honest entry and stops a caller from logging payloads.
pub const MAX_ENTRY_BYTES: usize = 16 * 1024;

/// Longest `action`, `purpose`, count name or detail key, in characters. Matches the 64-character names of
/// `schemas/record.schema.json`.
pub const MAX_NAME_CHARS: usize = 64;

/// Longest `actor` in characters: room for a user name, a service name or a plugin id with its version.
pub const MAX_ACTOR_CHARS: usize = 128;

/// Longest `subject` in hex digits: a 256-bit pseudonym. Subject ids are random 128-bit values (32 digits).
pub const MAX_SUBJECT_HEX: usize = 64;

/// Length of a SHA-256 digest in hex digits.
const SHA256_HEX_LEN: usize = 64;

/// One event in the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Position in the log, from 0; must equal the index the store keeps the entry under.
    pub seq: u64,
    /// When it happened; written in UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it: an operator, the host itself (`cohort`) or a plugin id.
    pub actor: String,
    /// What was done, as dotted lowercase names: `ingest.commit`, `consent.grant`, `subject.erase`,
    /// `subject.export`, `policy.load`, ...
    pub action: String,
    /// The policy purpose it was done for, if any (`[a-z][a-z0-9_]{0,63}`).
    pub purpose: Option<String>,
    /// The pseudonymous subject id it concerns, in lowercase hex; never a raw identifier.
    pub subject: Option<String>,
    /// Named counts (records read, subjects merged, cells suppressed, ...).
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 of the policy file in force, lowercase hex.
    pub policy_sha256: Option<String>,
    /// Short named references (run id, plugin id, request id, ...).
    pub detail: BTreeMap<String, String>,
}

impl AuditEntry {
    /// Starts an entry with its position, time, actor and action; add the rest with the `with_*` methods.
    pub fn new(
        seq: u64,
        at: OffsetDateTime,
        actor: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        Self {
            seq,
            at: at.to_offset(UtcOffset::UTC),
            actor: actor.into(),
            action: action.into(),
            purpose: None,
            subject: None,
            counts: BTreeMap::new(),
            policy_sha256: None,
            detail: BTreeMap::new(),
        }
    }

    /// Sets the purpose.
    pub fn with_purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }

    /// Sets the pseudonymous subject id (lowercase hex).
    pub fn with_subject(mut self, subject_hex: impl Into<String>) -> Self {
        self.subject = Some(subject_hex.into());
        self
    }

    /// Sets one named count.
    pub fn with_count(mut self, name: impl Into<String>, value: u64) -> Self {
        self.counts.insert(name.into(), value);
        self
    }

    /// Sets the policy's SHA-256 (lowercase hex).
    pub fn with_policy_sha256(mut self, sha256_hex: impl Into<String>) -> Self {
        self.policy_sha256 = Some(sha256_hex.into());
        self
    }

    /// Sets one named detail.
    pub fn with_detail(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.detail.insert(name.into(), value.into());
        self
    }

    /// Checks every field rule; [`to_bytes`](Self::to_bytes) and [`from_bytes`](Self::from_bytes) both call it.
    pub fn validate(&self) -> Result<(), AuditError> {
        let bad = |field, problem| Err(AuditError::InvalidEntryField { field, problem });
        if self.actor.is_empty() {
            return bad("actor", "is empty");
        }
        if self.actor.chars().count() > MAX_ACTOR_CHARS {
            return bad("actor", "is longer than 128 characters");
        }
        if self.actor.chars().any(char::is_control) {
            return bad("actor", "contains a control character");
        }
        if !is_dotted_name(&self.action) {
            return bad(
                "action",
                "must be dotted lowercase names like `ingest.commit`, at most 64 characters",
            );
        }
        if self.purpose.as_deref().is_some_and(|p| !is_name(p)) {
            return bad("purpose", "must match [a-z][a-z0-9_]{0,63}");
        }
        if let Some(subject) = &self.subject {
            let shape_ok =
                !subject.is_empty() && subject.len() <= MAX_SUBJECT_HEX && subject.len() % 2 == 0;
            if !(shape_ok && is_lower_hex(subject)) {
                return bad(
                    "subject",
                    "must be a pseudonymous subject id: an even number of lowercase hex digits, at most 64",
                );
            }
        }
        let sha256_ok = |sha: &str| sha.len() == SHA256_HEX_LEN && is_lower_hex(sha);
        if self
            .policy_sha256
            .as_deref()
            .is_some_and(|sha| !sha256_ok(sha))
        {
            return bad("policy_sha256", "must be 64 lowercase hex digits");
        }
        if !self.counts.keys().all(|k| is_name(k)) {
            return bad(
                "counts",
                "has a name that does not match [a-z][a-z0-9_]{0,63}",
            );
        }
        if !self.detail.keys().all(|k| is_name(k)) {
            return bad(
                "detail",
                "has a name that does not match [a-z][a-z0-9_]{0,63}",
            );
        }
        if self
            .detail
            .values()
            .any(|v| v.chars().any(char::is_control))
        {
            return bad("detail", "has a value with a control character");
        }
        Ok(())
    }

    /// The entry's canonical bytes, the input of its leaf hash.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AuditError> {
        self.validate()?;
        let utc = Self {
            at: self.at.to_offset(UtcOffset::UTC),
            ..self.clone()
        };
        let bytes = serde_json::to_vec(&utc).map_err(|e| AuditError::EntryEncoding {
            reason: e.to_string(),
        })?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(AuditError::EntryTooLarge {
                len: bytes.len(),
                max: MAX_ENTRY_BYTES,
            });
        }
        Ok(bytes)
    }

    /// Reads an entry back from its canonical bytes; refuses anything else.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuditError> {
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(AuditError::EntryTooLarge {
                len: bytes.len(),
                max: MAX_ENTRY_BYTES,
            });
        }
        let entry: Self = serde_json::from_slice(bytes).map_err(|e| AuditError::EntryDecoding {
            reason: e.to_string(),
        })?;
        // Re-encoding also validates, so a decoded entry that breaks a field rule is refused here.
        if entry.to_bytes()? != bytes {
            return Err(AuditError::NonCanonicalEntry);
        }
        Ok(entry)
    }
}

/// `[a-z][a-z0-9_]{0,63}`.
fn is_name(name: &str) -> bool {
    name.len() <= MAX_NAME_CHARS
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// One or more names joined by dots, at most [`MAX_NAME_CHARS`] in all.
fn is_dotted_name(name: &str) -> bool {
    name.len() <= MAX_NAME_CHARS && name.split('.').all(is_name)
}

/// Lowercase hex digits only.
fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sample() -> AuditEntry {
        AuditEntry::new(
            7,
            datetime!(2024-03-05 10:41:07.25 +01:00),
            "operator:ana",
            "ingest.commit",
        )
        .with_purpose("analytics")
        .with_subject("00112233445566778899aabbccddeeff")
        .with_count("records", 120)
        .with_count("merged", 3)
        .with_policy_sha256("ab".repeat(32))
        .with_detail("run_id", "r-2024-03-05-1")
    }

    #[test]
    fn bytes_are_deterministic_utc_json_with_sorted_maps() {
        let bytes = sample().to_bytes().unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"seq":7,"at":"2024-03-05T09:41:07.25Z","actor":"operator:ana""#),
            "{text}"
        );
        assert!(
            text.contains(r#""counts":{"merged":3,"records":120}"#),
            "{text}"
        );
        // Building the same entry again, with the maps filled in another order, gives the same bytes.
        let again = AuditEntry::new(
            7,
            datetime!(2024-03-05 09:41:07.25 UTC),
            "operator:ana",
            "ingest.commit",
        )
        .with_detail("run_id", "r-2024-03-05-1")
        .with_policy_sha256("ab".repeat(32))
        .with_count("records", 120)
        .with_count("merged", 3)
        .with_subject("00112233445566778899aabbccddeeff")
        .with_purpose("analytics");
        assert_eq!(again.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn round_trips() {
        let entry = sample();
        let bytes = entry.to_bytes().unwrap();
        let back = AuditEntry::from_bytes(&bytes).unwrap();
        assert_eq!(back, entry);
        assert_eq!(back.at.offset(), UtcOffset::UTC);
        assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn a_minimal_entry_writes_every_field() {
        let entry = AuditEntry::new(0, datetime!(2024-01-01 00:00 UTC), "cohort", "policy.load");
        let text = String::from_utf8(entry.to_bytes().unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"seq":0,"at":"2024-01-01T00:00:00Z","actor":"cohort","action":"policy.load","purpose":null,"subject":null,"counts":{},"policy_sha256":null,"detail":{}}"#
        );
    }

    #[test]
    fn refuses_non_canonical_bytes() {
        let bytes = sample().to_bytes().unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let variants = [
            text.replace(r#""seq":7"#, r#""seq": 7"#),
            text.replace("09:41:07.25Z", "10:41:07.25+01:00"),
            text.replace("09:41:07.25Z", "09:41:07.250Z"),
            format!("{text}\n"),
        ];
        for variant in variants {
            assert_eq!(
                AuditEntry::from_bytes(variant.as_bytes()),
                Err(AuditError::NonCanonicalEntry),
                "{variant}"
            );
        }
    }

    #[test]
    fn refuses_unknown_fields_and_garbage() {
        let text = String::from_utf8(sample().to_bytes().unwrap()).unwrap();
        let extra = text.replacen('{', r#"{"email":"jane@example.com","#, 1);
        for bad in [extra.as_str(), "", "{}", "[1,2]", "not json"] {
            assert!(
                matches!(
                    AuditEntry::from_bytes(bad.as_bytes()),
                    Err(AuditError::EntryDecoding { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn enforces_field_rules() {
        let base = || {
            AuditEntry::new(
                1,
                datetime!(2024-01-01 00:00 UTC),
                "cohort",
                "subject.erase",
            )
        };
        let cases: Vec<(AuditEntry, &str)> = vec![
            (
                AuditEntry::new(1, datetime!(2024-01-01 00:00 UTC), "", "subject.erase"),
                "actor",
            ),
            (
                AuditEntry::new(1, datetime!(2024-01-01 00:00 UTC), "a\nb", "subject.erase"),
                "actor",
            ),
            (
                AuditEntry::new(
                    1,
                    datetime!(2024-01-01 00:00 UTC),
                    "x".repeat(129),
                    "subject.erase",
                ),
                "actor",
            ),
            (
                AuditEntry::new(
                    1,
                    datetime!(2024-01-01 00:00 UTC),
                    "cohort",
                    "Subject.Erase",
                ),
                "action",
            ),
            (
                AuditEntry::new(
                    1,
                    datetime!(2024-01-01 00:00 UTC),
                    "cohort",
                    "subject..erase",
                ),
                "action",
            ),
            (
                AuditEntry::new(1, datetime!(2024-01-01 00:00 UTC), "cohort", ""),
                "action",
            ),
            (base().with_purpose("Email Marketing"), "purpose"),
            // A raw identifier where a pseudonymous subject id belongs.
            (base().with_subject("jane@example.com"), "subject"),
            (base().with_subject("+14155550132"), "subject"),
            (base().with_subject("ABCDEF"), "subject"),
            (base().with_subject("abc"), "subject"),
            (base().with_subject("ab".repeat(33)), "subject"),
            (base().with_policy_sha256("abcd"), "policy_sha256"),
            (base().with_count("Records", 1), "counts"),
            (base().with_detail("run id", "x"), "detail"),
            (base().with_detail("run_id", "a\u{0}b"), "detail"),
        ];
        for (entry, field) in cases {
            match entry.to_bytes() {
                Err(AuditError::InvalidEntryField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected `{field}` to be refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn decoding_enforces_field_rules_too() {
        let text = String::from_utf8(sample().to_bytes().unwrap()).unwrap();
        let raw_subject = text.replace("00112233445566778899aabbccddeeff", "jane.doe@example.com");
        assert!(matches!(
            AuditEntry::from_bytes(raw_subject.as_bytes()),
            Err(AuditError::InvalidEntryField {
                field: "subject",
                ..
            })
        ));
    }

    #[test]
    fn size_limit_applies_both_ways() {
        let big = AuditEntry::new(
            1,
            datetime!(2024-01-01 00:00 UTC),
            "cohort",
            "ingest.commit",
        )
        .with_detail("note", "x".repeat(MAX_ENTRY_BYTES));
        assert!(matches!(
            big.to_bytes(),
            Err(AuditError::EntryTooLarge {
                max: MAX_ENTRY_BYTES,
                ..
            })
        ));
        let huge = vec![b' '; MAX_ENTRY_BYTES + 1];
        assert!(matches!(
            AuditEntry::from_bytes(&huge),
            Err(AuditError::EntryTooLarge { .. })
        ));
    }

    #[test]
    fn timestamps_rfc3339_cannot_write_are_an_encoding_error() {
        let far = AuditEntry::new(
            1,
            datetime!(2024-01-01 00:00 UTC),
            "cohort",
            "ingest.commit",
        );
        let far = AuditEntry {
            at: far.at.replace_year(-5).unwrap(),
            ..far
        };
        assert!(matches!(
            far.to_bytes(),
            Err(AuditError::EntryEncoding { .. })
        ));
    }
}
