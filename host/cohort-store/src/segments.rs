//! Segment memberships and segmentation run records.
//!
//! A subject's memberships from one plugin under one purpose are one sealed value under the subject's data key
//! (`G` keyspace: subject id ‖ purpose ‖ 0 ‖ plugin id), replaced by each run of that plugin for that purpose; a subject the run excluded (no lawful basis any
//! more) loses its value in the same batch. Run records (`R` keyspace) hold only non-personal facts about a run.
//! Erasure removes a subject's memberships with the rest of the subject.

use crate::audit_log::{AuditRecord, append_to_batch};
use crate::keyspace;
use crate::subject::SubjectId;
use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// One segment a subject belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// Segment id (declared in the plugin's manifest).
    pub segment: String,
    /// Score in [0, 1].
    pub score: f64,
    /// Reasons a person can read (Art. 15(1)(h), Art. 22 transparency).
    pub reasons: Vec<String>,
}

/// A subject's memberships from one plugin run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginMemberships {
    /// The plugin id.
    pub plugin: String,
    /// The run that assigned them.
    pub run_id: String,
    /// The purpose the run served.
    pub purpose: String,
    /// When (RFC 3339).
    pub at: String,
    /// The memberships.
    pub segments: Vec<Membership>,
}

/// The part of a membership key after the subject id: purpose, a zero byte, plugin id.
fn scope_suffix(plugin: &str, purpose: &str) -> Vec<u8> {
    let mut k = purpose.as_bytes().to_vec();
    k.push(0);
    k.extend_from_slice(plugin.as_bytes());
    k
}

/// Key of a subject's memberships from one plugin run under one purpose.
fn membership_key(id: &SubjectId, suffix: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(17 + suffix.len());
    k.push(keyspace::MEMBERSHIP);
    k.extend_from_slice(id.bytes());
    k.extend_from_slice(suffix);
    k
}

fn membership_aad(id: &SubjectId, suffix: &[u8]) -> Vec<u8> {
    let mut aad = b"cohort-memberships/v1".to_vec();
    aad.extend_from_slice(id.bytes());
    aad.extend_from_slice(suffix);
    aad
}

/// Key of a run record.
fn run_key(run_id: &str) -> Vec<u8> {
    let mut k = vec![keyspace::RUN];
    k.extend_from_slice(run_id.as_bytes());
    k
}

/// A membership change for one subject: `Some` replaces, `None` removes.
pub type MembershipChange = (SubjectId, Option<PluginMemberships>);

impl Store {
    /// Writes the memberships of one run (and removals for excluded subjects), the run record and the audit entry
    /// in one batch. Subjects erased meanwhile are skipped.
    pub fn write_memberships(
        &self,
        plugin: &str,
        purpose: &str,
        changes: &[MembershipChange],
        run_id: &str,
        run_record: &serde_json::Value,
        record: AuditRecord,
    ) -> Result<u64, StoreError> {
        let mut state = self.lock_settled()?;
        let suffix = scope_suffix(plugin, purpose);
        let mut batch = sled::Batch::default();
        for (id, memberships) in changes {
            let key = membership_key(id, &suffix);
            match memberships {
                None => batch.remove(key),
                Some(m) => {
                    let Some(value) = self.tree.get(keyspace::subject_key(id))? else {
                        continue;
                    };
                    let (header, _) = crate::subject::SubjectHeader::decode(&value)?;
                    let data_key = match self.data_key(id, &header) {
                        Ok(k) => k,
                        Err(StoreError::KeyDestroyed) => continue,
                        Err(e) => return Err(e),
                    };
                    let plain =
                        serde_json::to_vec(m).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    batch.insert(key, data_key.seal(&membership_aad(id, &suffix), &plain)?);
                }
            }
        }
        batch.insert(
            run_key(run_id),
            serde_json::to_vec(run_record).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        );
        let mut frontier = state.frontier.clone();
        let seq = append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        Ok(seq)
    }

    /// A subject's memberships from every plugin, decrypted.
    pub fn memberships(&self, id: &SubjectId) -> Result<Vec<PluginMemberships>, StoreError> {
        let Some(value) = self.tree.get(keyspace::subject_key(id))? else {
            return Ok(Vec::new());
        };
        let (header, _) = crate::subject::SubjectHeader::decode(&value)?;
        let data_key = self.data_key(id, &header)?;
        let mut prefix = vec![keyspace::MEMBERSHIP];
        prefix.extend_from_slice(id.bytes());
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(&prefix) {
            let (k, v) = item?;
            let plain = data_key.open(&membership_aad(id, &k[17..]), &v)?;
            out.push(
                serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
        Ok(out)
    }

    /// Every subject's memberships from `plugin` under `purpose`, decrypted, in subject-id order. Subjects whose key
    /// was destroyed (erased meanwhile) are skipped.
    pub fn scope_memberships(
        &self,
        plugin: &str,
        purpose: &str,
    ) -> Result<Vec<(SubjectId, PluginMemberships)>, StoreError> {
        let suffix = scope_suffix(plugin, purpose);
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([keyspace::MEMBERSHIP]) {
            let (k, v) = item?;
            if k.get(17..) != Some(&suffix[..]) {
                continue;
            }
            let Some(id) = keyspace::subject_id_at(&k, 1) else {
                continue;
            };
            let Some(value) = self.tree.get(keyspace::subject_key(&id))? else {
                continue;
            };
            let (header, _) = crate::subject::SubjectHeader::decode(&value)?;
            let data_key = match self.data_key(&id, &header) {
                Ok(key) => key,
                Err(StoreError::KeyDestroyed) => continue,
                Err(e) => return Err(e),
            };
            let plain = data_key.open(&membership_aad(&id, &suffix), &v)?;
            out.push((
                id,
                serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ));
        }
        Ok(out)
    }

    /// Every run record, oldest first by run id order.
    pub fn runs(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([keyspace::RUN]) {
            let (_, v) = item?;
            out.push(serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))?);
        }
        Ok(out)
    }

    /// Keys of a subject's memberships under one purpose, from every plugin.
    pub(crate) fn membership_keys_for_purpose(
        &self,
        id: &SubjectId,
        purpose: &str,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut prefix = vec![keyspace::MEMBERSHIP];
        prefix.extend_from_slice(id.bytes());
        prefix.extend_from_slice(purpose.as_bytes());
        prefix.push(0);
        let mut keys = Vec::new();
        for k in self.tree.scan_prefix(&prefix).keys() {
            keys.push(k?.to_vec());
        }
        Ok(keys)
    }

    /// Keys of a subject's memberships (for erasure).
    pub(crate) fn membership_keys(&self, id: &SubjectId) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut prefix = vec![keyspace::MEMBERSHIP];
        prefix.extend_from_slice(id.bytes());
        let mut keys = Vec::new();
        for k in self.tree.scan_prefix(&prefix).keys() {
            keys.push(k?.to_vec());
        }
        Ok(keys)
    }
}
