//! The read path: opening a subject (unwrap its key from the vault, open its sealed body and pages), iterating
//! subjects, and store-wide counts.

use crate::keyspace;
use crate::subject::{
    StoredEvent, SubjectBody, SubjectHeader, SubjectId, body_aad, page_aad, wrap_context,
};
use crate::{Store, StoreError};
use cohort_crypto::DataKey;
use serde::Serialize;

/// Everything the store holds about one subject, decrypted.
#[derive(Debug, Clone, Serialize)]
pub struct SubjectView {
    /// The subject id (hex when serialised).
    #[serde(serialize_with = "ser_id")]
    pub id: SubjectId,
    /// The clear header.
    #[serde(skip)]
    pub header: SubjectHeader,
    /// The decrypted body; `events` holds every event, from the sealed pages too, oldest first.
    pub body: SubjectBody,
}

fn ser_id<S: serde::Serializer>(id: &SubjectId, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&id.to_hex())
}

/// Store-wide counts, safe to print (no personal data).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct StoreStats {
    /// Subjects stored.
    pub subjects: u64,
    /// Identity index entries.
    pub identities: u64,
    /// Sealed event pages.
    pub event_pages: u64,
    /// Suppressed identifier hashes.
    pub suppressed_identifiers: u64,
    /// Erasure tombstones.
    pub tombstones: u64,
    /// Audit entries.
    pub audit_entries: u64,
    /// Sealed segment-membership values (one per subject, purpose and plugin).
    pub memberships: u64,
}

impl Store {
    /// Reads and decrypts a subject's header, body and data key. `None` if the subject does not exist.
    pub(crate) fn read_subject(
        &self,
        id: &SubjectId,
    ) -> Result<Option<(SubjectHeader, SubjectBody, DataKey)>, StoreError> {
        self.read_subject_with(None, id)
    }

    /// Reads `key` from `overlay` (a commit still being written) if it is there, else from sled.
    pub(crate) fn get_through(
        &self,
        overlay: Option<&crate::writer::Overlay>,
        key: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(hit) = overlay.and_then(|o| o.get(key)) {
            return Ok(hit.clone());
        }
        Ok(self.tree.get(key)?.map(|v| v.to_vec()))
    }

    /// [`Store::read_subject`], seeing the writes of a commit still in flight.
    pub(crate) fn read_subject_with(
        &self,
        overlay: Option<&crate::writer::Overlay>,
        id: &SubjectId,
    ) -> Result<Option<(SubjectHeader, SubjectBody, DataKey)>, StoreError> {
        let Some(value) = self.get_through(overlay, &keyspace::subject_key(id))? else {
            return Ok(None);
        };
        let (header, sealed) = SubjectHeader::decode(&value)?;
        let key = self.data_key(id, &header)?;
        let plain = key.open(&body_aad(id), sealed)?;
        let body: SubjectBody = serde_json::from_slice(&plain)
            .map_err(|e| StoreError::Corrupt(format!("subject {id} body: {e}")))?;
        Ok(Some((header, body, key)))
    }

    pub(crate) fn data_key(
        &self,
        id: &SubjectId,
        header: &SubjectHeader,
    ) -> Result<DataKey, StoreError> {
        let wrapped = self.vault.read(header.vault_slot, id.bytes())?;
        Ok(self
            .keys
            .masters()
            .unwrap(&wrapped, &wrap_context(id, header.vault_slot))?)
    }

    /// Reads and decrypts the sealed event pages of a subject, oldest first.
    pub(crate) fn read_pages(
        &self,
        id: &SubjectId,
        header: &SubjectHeader,
        key: &DataKey,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.read_pages_with(None, id, header, key)
    }

    /// [`Store::read_pages`], seeing the writes of a commit still in flight.
    pub(crate) fn read_pages_with(
        &self,
        overlay: Option<&crate::writer::Overlay>,
        id: &SubjectId,
        header: &SubjectHeader,
        key: &DataKey,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut events = Vec::new();
        for page in 0..header.event_pages {
            let sealed = self
                .get_through(overlay, &keyspace::event_page_key(id, page))?
                .ok_or_else(|| {
                    StoreError::Corrupt(format!("subject {id}: event page {page} missing"))
                })?;
            let plain = key.open(&page_aad(id, page), &sealed)?;
            let mut page_events: Vec<StoredEvent> = serde_json::from_slice(&plain)
                .map_err(|e| StoreError::Corrupt(format!("subject {id} page {page}: {e}")))?;
            events.append(&mut page_events);
        }
        Ok(events)
    }

    /// Everything held about one subject, decrypted, with all events (pages and inline) oldest first.
    pub fn subject(&self, id: &SubjectId) -> Result<Option<SubjectView>, StoreError> {
        let Some((header, mut body, key)) = self.read_subject(id)? else {
            return Ok(None);
        };
        let mut events = self.read_pages(id, &header, &key)?;
        events.append(&mut body.events);
        events.sort_by(|a, b| a.at.cmp(&b.at));
        body.events = events;
        Ok(Some(SubjectView {
            id: *id,
            header,
            body,
        }))
    }

    /// Every subject id, in key order.
    pub fn subject_ids(&self) -> impl Iterator<Item = Result<SubjectId, StoreError>> + '_ {
        self.tree.scan_prefix([keyspace::SUBJECT]).keys().map(|k| {
            let k = k?;
            keyspace::subject_id_at(&k, 1).ok_or_else(|| StoreError::Corrupt("subject key".into()))
        })
    }

    /// Every subject's clear header, without decrypting anything.
    pub fn subject_headers(
        &self,
    ) -> impl Iterator<Item = Result<(SubjectId, SubjectHeader), StoreError>> + '_ {
        self.tree.scan_prefix([keyspace::SUBJECT]).map(|item| {
            let (k, v) = item?;
            let id = keyspace::subject_id_at(&k, 1)
                .ok_or_else(|| StoreError::Corrupt("subject key".into()))?;
            let (h, _) = SubjectHeader::decode(&v)?;
            Ok((id, h))
        })
    }

    /// Counts of what the store holds.
    pub fn stats(&self) -> Result<StoreStats, StoreError> {
        let count = |p: u8| -> Result<u64, StoreError> {
            let mut n = 0;
            for k in self.tree.scan_prefix([p]).keys() {
                k?;
                n += 1;
            }
            Ok(n)
        };
        Ok(StoreStats {
            subjects: count(keyspace::SUBJECT)?,
            identities: count(keyspace::IDENTITY)?,
            event_pages: count(keyspace::EVENT_PAGE)?,
            suppressed_identifiers: count(keyspace::SUPPRESSED)?,
            tombstones: count(keyspace::TOMBSTONE)?,
            audit_entries: count(keyspace::AUDIT)?,
            memberships: count(keyspace::MEMBERSHIP)?,
        })
    }

    /// Sets a subject's Art. 18 / 21 flags, audited.
    pub fn set_flags(
        &self,
        id: &SubjectId,
        update: impl FnOnce(&mut crate::SubjectFlags),
        record: crate::AuditRecord,
    ) -> Result<crate::SubjectFlags, StoreError> {
        let mut state = self.lock_settled()?;
        let value = self
            .tree
            .get(keyspace::subject_key(id))?
            .ok_or(StoreError::NoSuchSubject)?;
        let (mut header, sealed) = SubjectHeader::decode(&value)?;
        update(&mut header.flags);
        let mut batch = sled::Batch::default();
        batch.insert(&keyspace::subject_key(id)[..], header.encode(sealed));
        let mut frontier = state.frontier.clone();
        crate::audit_log::append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        Ok(header.flags)
    }
}
