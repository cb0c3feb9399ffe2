//! Erasure (GDPR Art. 17) by crypto-shredding, with a tombstone and suppression of the erased identifiers.
//!
//! Order matters: the subject's wrapped data key is overwritten in the vault and synced *first*; from then on every
//! ciphertext of the subject, including copies sled still keeps in old segments, is unreadable. Then one sled batch
//! removes the subject, its event pages and its identity entries, adds a tombstone (no personal data) and the
//! suppressed identifier hashes (so a re-import does not bring the person back), frees the slot, and records the
//! audit entry.

use crate::audit_log::{AuditRecord, append_to_batch};
use crate::keyspace::{self, pseudonym_key};
use crate::subject::{SubjectHeader, SubjectId};
use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// A suppressed identifier hash: value of an `X` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Suppression {
    pub(crate) tombstone: String,
    pub(crate) erased_at: String,
}

/// A tombstone: value of a `T` entry. No identifier, no attribute.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tombstone {
    erased_at: String,
    request_id: String,
    reason: String,
    identifiers_suppressed: u64,
}

/// An erasure request.
#[derive(Debug, Clone)]
pub struct ErasureRequest {
    /// The request id (ticket number), recorded in the tombstone and the audit log.
    pub request_id: String,
    /// The reason (Art. 17(1) ground, free text code).
    pub reason: String,
    /// Keep the identifier hashes so a re-import is refused (true for a person's request; false for retention).
    pub suppress: bool,
    /// The audit record to complete.
    pub audit: AuditRecord,
}

/// What an erasure did.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ErasureReport {
    /// The erased subject id.
    pub subject: String,
    /// The tombstone id.
    pub tombstone: String,
    /// Identifier hashes suppressed.
    pub identifiers_suppressed: u64,
    /// Event pages removed.
    pub event_pages_removed: u64,
    /// The audit entry.
    pub audit_seq: u64,
}

impl Store {
    /// Erases a subject. Safe to run again after an interruption: a subject whose key is already destroyed is
    /// cleaned up from its identity entries found by scanning the index.
    pub fn erase(
        &self,
        id: &SubjectId,
        request: ErasureRequest,
    ) -> Result<ErasureReport, StoreError> {
        let mut state = self.lock_settled()?;
        let value = self
            .tree
            .get(keyspace::subject_key(id))?
            .ok_or(StoreError::NoSuchSubject)?;
        let (header, _) = SubjectHeader::decode(&value)?;

        // The identity entries to remove: from the body while it can still be read, else by scanning the index.
        let pseudonym_keys: Vec<Vec<u8>> = match self.read_subject(id) {
            Ok(Some((_, body, _))) => body
                .identifiers
                .iter()
                .filter_map(|i| i.pseudonym())
                .map(|p| pseudonym_key(keyspace::IDENTITY, &p).to_vec())
                .collect(),
            Ok(None) => return Err(StoreError::NoSuchSubject),
            Err(StoreError::KeyDestroyed) => self.scan_identity_keys(id)?,
            Err(e) => return Err(e),
        };

        // 1. Crypto-shred: destroy the wrapped key and make it durable before anything else changes.
        self.vault.shred(header.vault_slot)?;
        self.vault.sync()?;

        // 2. Remove the rest in one batch.
        let now = time::OffsetDateTime::now_utc();
        let erased_at = crate::rfc3339(now);
        let tombstone_id = SubjectId::random()?.to_hex();
        let mut batch = sled::Batch::default();
        batch.remove(&keyspace::subject_key(id)[..]);
        for page in 0..header.event_pages {
            batch.remove(&keyspace::event_page_key(id, page)[..]);
        }
        for k in self.membership_keys(id)? {
            batch.remove(k);
        }
        let mut suppressed = 0u64;
        for k in &pseudonym_keys {
            batch.remove(&k[..]);
            if request.suppress {
                let mut x = k.clone();
                x[0] = keyspace::SUPPRESSED;
                let s = Suppression {
                    tombstone: tombstone_id.clone(),
                    erased_at: erased_at.clone(),
                };
                batch.insert(
                    x,
                    serde_json::to_vec(&s).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                );
                suppressed += 1;
            }
        }
        let tomb = Tombstone {
            erased_at,
            request_id: request.request_id.clone(),
            reason: request.reason.clone(),
            identifiers_suppressed: suppressed,
        };
        let mut tkey = vec![keyspace::TOMBSTONE];
        tkey.extend_from_slice(
            &hex::decode(&tombstone_id).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        batch.insert(
            tkey,
            serde_json::to_vec(&tomb).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        batch.insert(&keyspace::free_slot_key(header.vault_slot)[..], &[][..]);
        let record = request
            .audit
            .subject(*id)
            .count("identifiers_suppressed", suppressed)
            .count("event_pages_removed", u64::from(header.event_pages))
            .detail(crate::REQUEST_ID_DETAIL, request.request_id)
            .detail("reason", request.reason)
            .detail("tombstone", tombstone_id.clone());
        let mut frontier = state.frontier.clone();
        let seq = append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        state.free_slots.insert(header.vault_slot);
        state.has_suppressions |= suppressed > 0;
        tracing::info!(subject = %id, suppressed, audit_seq = seq, "erased subject (data key shredded)");
        Ok(ErasureReport {
            subject: id.to_hex(),
            tombstone: tombstone_id,
            identifiers_suppressed: suppressed,
            event_pages_removed: u64::from(header.event_pages),
            audit_seq: seq,
        })
    }

    fn scan_identity_keys(&self, id: &SubjectId) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut keys = Vec::new();
        for item in self.tree.scan_prefix([keyspace::IDENTITY]) {
            let (k, v) = item?;
            if &v[..] == id.bytes() {
                keys.push(k.to_vec());
            }
        }
        Ok(keys)
    }
}
