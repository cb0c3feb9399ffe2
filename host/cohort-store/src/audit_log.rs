//! Persistence of the audit log: entries and signed checkpoints appended inside the same sled batch as the change
//! they record, and read back for verification.
//!
//! The hashing, entry format and verification rules belong to `cohort-audit`; this module only decides where the
//! bytes live (`A` and `C` keyspaces) and keeps the Merkle frontier in step with them.

use crate::keyspace;
use crate::subject::SubjectId;
use crate::{Store, StoreError, meta};
use cohort_audit::{AuditEntry, Checkpoint, MerkleFrontier};
use std::collections::BTreeMap;

/// What an operation wants recorded. Never put a raw identifier here: `subject` is the random subject id.
#[derive(Debug, Clone, Default)]
pub struct AuditRecord {
    /// Who did it: `cli:<user>`, `api:<key id>`, `system:retention`.
    pub actor: String,
    /// What: `ingest.commit`, `consent.grant`, `subject.erase`, ...
    pub action: String,
    /// The purpose it served, if any.
    pub purpose: Option<String>,
    /// The subject it concerned, if one.
    pub subject: Option<SubjectId>,
    /// Counts (records stored, attributes dropped, ...).
    pub counts: BTreeMap<String, u64>,
    /// SHA-256 of the policy in force.
    pub policy_sha256: Option<String>,
    /// Other non-personal detail (file name, request id, reason code).
    pub detail: BTreeMap<String, String>,
}

impl AuditRecord {
    /// A record for `action` by `actor` under the policy with hash `policy_sha256`.
    pub fn new(actor: &str, action: &str, policy_sha256: Option<&str>) -> Self {
        Self {
            actor: actor.to_string(),
            action: action.to_string(),
            policy_sha256: policy_sha256.map(str::to_string),
            ..Self::default()
        }
    }

    /// Adds a count.
    pub fn count(mut self, name: &str, n: u64) -> Self {
        self.counts.insert(name.to_string(), n);
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, name: &str, value: impl Into<String>) -> Self {
        self.detail.insert(name.to_string(), value.into());
        self
    }

    /// Sets the purpose.
    pub fn purpose(mut self, purpose: &str) -> Self {
        self.purpose = Some(purpose.to_string());
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, id: SubjectId) -> Self {
        self.subject = Some(id);
        self
    }
}

/// Adds the entry for `record`, its checkpoint and the new frontier to `batch`; returns the entry's sequence number.
/// `frontier` is advanced; the caller keeps it only if the batch commits.
/// Where audit writes go: a sled batch, or a commit's recorded writes.
pub(crate) trait Sink {
    /// Adds a write.
    fn put(&mut self, key: &[u8], value: Vec<u8>);
}

impl Sink for sled::Batch {
    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        self.insert(key, value);
    }
}

pub(crate) fn append_to_batch(
    store: &Store,
    batch: &mut impl Sink,
    frontier: &mut MerkleFrontier,
    record: &AuditRecord,
) -> Result<u64, StoreError> {
    let seq = frontier.size();
    let now = time::OffsetDateTime::now_utc();
    let entry = AuditEntry {
        seq,
        at: now,
        actor: record.actor.clone(),
        action: record.action.clone(),
        purpose: record.purpose.clone(),
        subject: record.subject.map(|s| s.to_hex()),
        counts: record.counts.clone(),
        policy_sha256: record.policy_sha256.clone(),
        detail: record.detail.clone(),
    };
    let bytes = entry.to_bytes()?;
    frontier.push(cohort_audit::leaf_hash(&bytes))?;
    let signing = store.keys.signing_key();
    let checkpoint = Checkpoint::sign(
        frontier.size(),
        &frontier.root(),
        now,
        &signing.id.to_string(),
        &signing.pair,
    )?;
    let checkpoint_json = serde_json::to_vec(&checkpoint)
        .map_err(|e| StoreError::Corrupt(format!("encoding checkpoint: {e}")))?;
    let frontier_json = serde_json::to_vec(frontier)
        .map_err(|e| StoreError::Corrupt(format!("encoding frontier: {e}")))?;
    batch.put(&keyspace::audit_key(seq)[..], bytes);
    if let Some(request_id) = record.detail.get(REQUEST_ID_DETAIL) {
        batch.put(&keyspace::request_key(request_id, seq), Vec::new());
    }
    batch.put(
        &keyspace::checkpoint_key(frontier.size())[..],
        checkpoint_json,
    );
    batch.put(&keyspace::meta_key(meta::FRONTIER), frontier_json);
    Ok(seq)
}

/// The detail that names a data-subject request; entries carrying it are indexed by it (`Q` keyspace), so a
/// request's status is found without reading the whole log.
pub const REQUEST_ID_DETAIL: &str = "request_id";

/// Adds the index entries of every stored audit entry that names a request to `batch` (stores written before the
/// index existed); returns how many.
pub(crate) fn index_requests(
    tree: &sled::Tree,
    batch: &mut sled::Batch,
) -> Result<u64, StoreError> {
    let mut n = 0;
    for item in tree.scan_prefix([keyspace::AUDIT]) {
        let (k, v) = item?;
        let seq =
            keyspace::u64_suffix(&k).ok_or_else(|| StoreError::Corrupt("audit key".into()))?;
        let entry = AuditEntry::from_bytes(&v)
            .map_err(|e| StoreError::Corrupt(format!("audit entry {seq}: {e}")))?;
        if let Some(request_id) = entry.detail.get(REQUEST_ID_DETAIL) {
            batch.insert(keyspace::request_key(request_id, seq), Vec::<u8>::new());
            n += 1;
        }
    }
    Ok(n)
}

/// The result of `audit verify`.
pub type AuditVerification = cohort_audit::VerifyReport;

impl Store {
    /// Appends one audit entry on its own (for operations with no other write, such as an export or a policy load).
    pub fn audit(&self, record: AuditRecord) -> Result<u64, StoreError> {
        let mut state = self.lock_settled()?;
        let mut batch = sled::Batch::default();
        let mut frontier = state.frontier.clone();
        let seq = append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        Ok(seq)
    }

    /// Every audit entry as stored: (index, bytes).
    pub fn audit_entries(&self) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        self.tree.scan_prefix([keyspace::AUDIT]).map(|item| {
            let (k, v) = item?;
            let seq =
                keyspace::u64_suffix(&k).ok_or_else(|| StoreError::Corrupt("audit key".into()))?;
            Ok((seq, v.to_vec()))
        })
    }

    /// The audit entries recorded under data-subject request `request_id`, in order: (index, bytes). Reads the
    /// request index, not the whole log.
    pub fn audit_entries_for_request(
        &self,
        request_id: &str,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let prefix = keyspace::request_prefix(request_id);
        let mut out = Vec::new();
        for item in self.tree.scan_prefix(&prefix) {
            let (k, _) = item?;
            let seq = k
                .get(prefix.len()..)
                .and_then(|b| <[u8; 8]>::try_from(b).ok())
                .map(u64::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt("request index key".into()))?;
            let bytes = self.tree.get(keyspace::audit_key(seq))?.ok_or_else(|| {
                StoreError::Corrupt(format!("request index names missing audit entry {seq}"))
            })?;
            out.push((seq, bytes.to_vec()));
        }
        Ok(out)
    }

    /// Every stored checkpoint, by size.
    pub fn audit_checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let mut out = Vec::new();
        for item in self.tree.scan_prefix([keyspace::CHECKPOINT]) {
            let (_, v) = item?;
            out.push(
                serde_json::from_slice(&v)
                    .map_err(|e| StoreError::Corrupt(format!("audit checkpoint: {e}")))?,
            );
        }
        Ok(out)
    }

    /// The newest signed checkpoint.
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, StoreError> {
        match self.tree.scan_prefix([keyspace::CHECKPOINT]).next_back() {
            Some(item) => {
                let (_, v) = item?;
                Ok(Some(serde_json::from_slice(&v).map_err(|e| {
                    StoreError::Corrupt(format!("audit checkpoint: {e}"))
                })?))
            }
            None => Ok(None),
        }
    }

    /// Recomputes the whole log and checks it against every signed checkpoint.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let entries: Vec<(u64, Vec<u8>)> = self.audit_entries().collect::<Result<_, _>>()?;
        let checkpoints = self.audit_checkpoints()?;
        let public = self.keys.signing_key().public_key().to_vec();
        Ok(cohort_audit::verify_log(entries, &checkpoints, &public)?)
    }
}

impl Store {
    /// Records a `policy.load` audit entry when `sha256` differs from the last policy this store ran under.
    /// Returns whether it was new.
    pub fn note_policy(
        &self,
        sha256: &str,
        id: &str,
        version: u32,
        actor: &str,
    ) -> Result<bool, StoreError> {
        let key = keyspace::meta_key(meta::POLICY);
        let previous = self.tree.get(&key)?;
        if previous.as_deref() == Some(sha256.as_bytes()) {
            return Ok(false);
        }
        let mut state = self.lock_settled()?;
        let record = AuditRecord::new(actor, "policy.load", Some(sha256))
            .detail("policy", id.to_string())
            .detail("version", version.to_string())
            .detail(
                "previous_sha256",
                previous
                    .map(|p| String::from_utf8_lossy(&p).into_owned())
                    .unwrap_or_else(|| "none".into()),
            );
        let mut batch = sled::Batch::default();
        batch.insert(key, sha256.as_bytes());
        let mut frontier = state.frontier.clone();
        append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        Ok(true)
    }
}
