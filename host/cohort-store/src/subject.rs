//! What the store holds about one subject: a clear header (what processing needs without decrypting) and a sealed
//! body (everything personal), plus the on-disk encoding of both.
//!
//! **Invariant:** nothing in [`SubjectHeader`] is personal data about the subject beyond its random id and
//! day-granular timestamps; identifiers, attributes, events and consent evidence live only in the sealed body.

use crate::StoreError;
use crate::consent::ConsentLedger;
use cohort_crypto::{PSEUDONYM_LEN, Pseudonym, random_bytes};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A subject's random 128-bit id. Never derived from an identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId(pub(crate) [u8; 16]);

impl SubjectId {
    /// A fresh random id.
    pub fn random() -> Result<Self, StoreError> {
        let mut b = [0u8; 16];
        random_bytes(&mut b)?;
        Ok(Self(b))
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Lowercase hex, as shown to operators and written in audit entries.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the hex form.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s).ok()?;
        let b: [u8; 16] = v.try_into().ok()?;
        Some(Self(b))
    }
}

impl std::fmt::Debug for SubjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubjectId({})", self.to_hex())
    }
}

impl std::fmt::Display for SubjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Processing restrictions a subject asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectFlags {
    /// Art. 18: processing restricted (stored, not used).
    pub restricted: bool,
    /// Art. 21: objected to processing based on legitimate interest.
    pub objected: bool,
}

impl SubjectFlags {
    fn to_byte(self) -> u8 {
        u8::from(self.restricted) | (u8::from(self.objected) << 1)
    }
    fn from_byte(b: u8) -> Self {
        Self {
            restricted: b & 1 != 0,
            objected: b & 2 != 0,
        }
    }
}

/// The clear part of a stored subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubjectHeader {
    /// The key-vault slot holding this subject's wrapped data key.
    pub vault_slot: u64,
    /// Day (since 1970-01-01, UTC) the subject was first stored.
    pub created_day: u32,
    /// Day the subject was last seen in any source; drives inactive-profile retention.
    pub last_seen_day: u32,
    /// Art. 18 and 21 flags.
    pub flags: SubjectFlags,
    /// How many sealed event pages this subject has beyond the events inline in its body.
    pub event_pages: u32,
}

/// The on-disk format version of a subject value.
const SUBJECT_FORMAT: u8 = 1;
/// Header bytes: format (1), flags (1), slot (8), created (4), last seen (4), pages (4).
const HEADER_LEN: usize = 22;

impl SubjectHeader {
    /// Encodes the header followed by the sealed body.
    pub(crate) fn encode(&self, sealed_body: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + sealed_body.len());
        out.push(SUBJECT_FORMAT);
        out.push(self.flags.to_byte());
        out.extend_from_slice(&self.vault_slot.to_be_bytes());
        out.extend_from_slice(&self.created_day.to_be_bytes());
        out.extend_from_slice(&self.last_seen_day.to_be_bytes());
        out.extend_from_slice(&self.event_pages.to_be_bytes());
        out.extend_from_slice(sealed_body);
        out
    }

    /// Splits a stored value into header and sealed body.
    pub(crate) fn decode(value: &[u8]) -> Result<(Self, &[u8]), StoreError> {
        if value.len() < HEADER_LEN || value[0] != SUBJECT_FORMAT {
            return Err(StoreError::Corrupt(
                "subject value has an unknown format".into(),
            ));
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&value[i..i + 8]);
            u64::from_be_bytes(b)
        };
        let u32_at = |i: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&value[i..i + 4]);
            u32::from_be_bytes(b)
        };
        Ok((
            Self {
                flags: SubjectFlags::from_byte(value[1]),
                vault_slot: u64_at(2),
                created_day: u32_at(10),
                last_seen_day: u32_at(14),
                event_pages: u32_at(18),
            },
            &value[HEADER_LEN..],
        ))
    }
}

/// One identifier a subject is known by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredIdentifier {
    /// Identifier kind (email, phone, crm_id, ...).
    pub kind: String,
    /// The identity key id of `mac`.
    pub key_id: u32,
    /// The keyed hash, hex.
    pub mac: String,
    /// The normalised value, kept (encrypted, in this body) only for kinds that a per-subject purpose releases as
    /// a contact identifier; `None` otherwise (minimisation: matching needs only the keyed hash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The source that first supplied it.
    pub source: String,
    /// When it was first seen (RFC 3339).
    pub first_seen: String,
}

impl StoredIdentifier {
    /// The pseudonym this identifier is indexed under.
    pub fn pseudonym(&self) -> Option<Pseudonym> {
        let v = hex::decode(&self.mac).ok()?;
        let mac: [u8; PSEUDONYM_LEN] = v.try_into().ok()?;
        Some(Pseudonym::from_stored(self.key_id, mac))
    }
}

/// One attribute value with its provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeValue {
    /// The value (after any generalisation the policy asks for).
    pub value: serde_json::Value,
    /// The source that supplied it.
    pub source: String,
    /// When it was recorded (RFC 3339).
    pub updated_at: String,
}

/// One behavioural event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// The event type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// When it happened (RFC 3339, UTC).
    pub at: String,
    /// The source's event id, used to drop duplicates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The source.
    pub source: String,
    /// Properties the policy keeps for this event type.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// The sealed body of a subject.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubjectBody {
    /// Every identifier the subject is known by.
    pub identifiers: Vec<StoredIdentifier>,
    /// Current attribute values.
    pub attributes: BTreeMap<String, AttributeValue>,
    /// The newest events (older ones are in sealed event pages).
    pub events: Vec<StoredEvent>,
    /// Consent state and history per purpose.
    pub consents: ConsentLedger,
    /// Sources that contributed.
    pub sources: BTreeSet<String>,
    /// Subject ids merged into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
}

/// Associated data for a subject body: binds the ciphertext to the subject.
pub(crate) fn body_aad(id: &SubjectId) -> Vec<u8> {
    let mut aad = b"cohort-subject-body/v1".to_vec();
    aad.extend_from_slice(&id.0);
    aad
}

/// Associated data for an event page: binds it to the subject and page number.
pub(crate) fn page_aad(id: &SubjectId, page: u32) -> Vec<u8> {
    let mut aad = b"cohort-event-page/v1".to_vec();
    aad.extend_from_slice(&id.0);
    aad.extend_from_slice(&page.to_be_bytes());
    aad
}

/// Associated data for a wrapped data key: binds it to the subject and its vault slot.
pub(crate) fn wrap_context(id: &SubjectId, slot: u64) -> Vec<u8> {
    let mut c = id.0.to_vec();
    c.extend_from_slice(&slot.to_be_bytes());
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip() {
        let h = SubjectHeader {
            vault_slot: 77,
            created_day: 20_000,
            last_seen_day: 20_100,
            flags: SubjectFlags {
                restricted: true,
                objected: false,
            },
            event_pages: 3,
        };
        let enc = h.encode(b"sealed");
        let (back, body) = SubjectHeader::decode(&enc).unwrap();
        assert_eq!(back, h);
        assert_eq!(body, b"sealed");
        assert!(SubjectHeader::decode(&enc[..5]).is_err());
    }
}
