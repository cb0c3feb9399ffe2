//! The pseudonymised, encrypted subject store on sled.
//!
//! This crate owns everything Cohort writes to disk about people: the identity index (keyed hashes only), one
//! sealed value per subject, sealed event pages, the key vault (wrapped data keys), erasure tombstones and the
//! suppression list, and the audit log's persistence. It never sees a raw identifier: callers hand it
//! [`Pseudonym`]s and values already minimised by the policy.
//!
//! **Architecture invariants**
//! - No raw identifier and no plaintext attribute, event or consent value is written to disk: bodies are sealed
//!   under the subject's data key before they reach sled.
//! - A commit is one sled batch: subjects, identity entries and the audit entry that records them land together.
//! - Erasure destroys the subject's wrapped key in the vault (overwritten in place, synced) before anything else.
//! - The store does no network I/O.

pub mod api_keys;
mod audit_log;
pub mod budget;
pub mod consent;
mod erase;
mod filter;
mod integrity;
pub mod keyspace;
mod read;
mod retention;
mod segments;
pub mod subject;
mod vault;
mod writer;

pub use api_keys::{ApiKeyError, ApiKeyInfo, NewApiKey, Role};
pub use audit_log::{AuditRecord, AuditVerification, REQUEST_ID_DETAIL};
pub use budget::{BudgetLimit, BudgetLine, ChargeOutcome};
pub use consent::{ConsentEvent, ConsentLedger, ConsentState, PurposeConsent};
pub use erase::{ErasureReport, ErasureRequest};
pub use integrity::IntegrityReport;
pub use read::{StoreStats, SubjectView};
pub use retention::{RetentionCutoffs, SweepReport};
pub use segments::{Membership, MembershipChange, PluginMemberships};
pub use subject::{
    AttributeValue, StoredEvent, StoredIdentifier, SubjectBody, SubjectFlags, SubjectHeader,
    SubjectId,
};
pub use writer::{
    ApplyError, BatchOptions, Change, ChangeOutcome, CommitReport, ConsentInput, IdentifierInput,
    OnSettled, WriteBatch,
};

use cohort_audit::MerkleFrontier;
use cohort_crypto::{CryptoError, KeyRing, Pseudonym};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed.
    #[error("database error: {0}")]
    Db(#[from] sled::Error),
    /// A file of the data directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// A cryptographic operation failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The data directory does not exist or is not a Cohort data directory.
    #[error("{0}")]
    NotADataDir(String),
    /// The data directory was initialised with another key file.
    #[error(
        "the data directory {dir} was initialised with a different key file (identity key check failed); \
         pass the key file created with it (--key-file)"
    )]
    WrongKeyFile {
        /// The data directory.
        dir: PathBuf,
    },
    /// Another process holds the data directory.
    #[error(
        "the data directory {dir} is in use by another process (another `cohort` command or `cohort serve`); \
         wait for it to finish"
    )]
    Locked {
        /// The data directory.
        dir: PathBuf,
    },
    /// Stored bytes do not have the expected shape.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// The subject's data key was destroyed (it was erased, or an erasure was interrupted).
    #[error("the subject's data key has been destroyed (erased)")]
    KeyDestroyed,
    /// No subject matches the given identifiers.
    #[error("no subject matches the given identifier")]
    NoSuchSubject,
    /// The audit log failed verification or could not be written.
    #[error("audit log: {0}")]
    Audit(#[from] cohort_audit::AuditError),
}

/// Names of the files and folders inside a data directory.
pub mod layout {
    /// The sled database folder.
    pub const DB_DIR: &str = "db";
    /// The key vault file.
    pub const VAULT_FILE: &str = "keys.vault";
    /// Marker file written by `cohort init`.
    pub const MARKER_FILE: &str = "COHORT_DATA_DIR";
}

/// State owned by the single writer: slot allocation and the audit frontier.
pub(crate) struct WriterState {
    /// Whether any identifier is suppressed; while none is, the write path skips the suppression lookups.
    pub(crate) has_suppressions: bool,
    pub(crate) vault_next: u64,
    pub(crate) free_slots: BTreeSet<u64>,
    pub(crate) frontier: MerkleFrontier,
    /// The commit being written in the background, if any (see `writer::PendingCommit`).
    pub(crate) inflight: Option<writer::Inflight>,
    /// A background write failed: the in-memory state is ahead of the disk; nothing more may be written.
    pub(crate) poisoned: bool,
    /// Bloom filter over the identity index, built by the first bulk batch and kept current by every commit.
    pub(crate) identity_filter: Option<filter::IdentityFilter>,
}

impl WriterState {
    /// Waits for the background write, if one is in flight, and fails if any background write failed.
    pub(crate) fn settle(&mut self) -> Result<(), StoreError> {
        if let Some(inflight) = self.inflight.as_mut()
            && let Err(e) = inflight.wait()
        {
            self.poisoned = true;
            return Err(e);
        }
        if self.poisoned {
            return Err(StoreError::Corrupt(
                "an earlier background write failed; reopen the store".into(),
            ));
        }
        // The commit is durable and in sled. Its overlay must go: a direct write after this point (flags, consent,
        // erasure) changes sled, and a later batch reading the old overlay first would undo it.
        self.inflight = None;
        Ok(())
    }
}

/// An open store.
pub struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) db: sled::Db,
    pub(crate) tree: sled::Tree,
    pub(crate) vault: std::sync::Arc<vault::KeyVault>,
    pub(crate) keys: KeyRing,
    pub(crate) writer: Mutex<WriterState>,
}

impl Drop for Store {
    fn drop(&mut self) {
        // A commit written in the background must reach the disk before the store goes away.
        if let Ok(mut state) = self.writer.lock()
            && let Err(e) = state.settle()
        {
            tracing::error!("a background commit failed while closing the store: {e}");
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.dir.display())
    }
}

/// Metadata names.
pub(crate) mod meta {
    pub const VAULT_NEXT: &str = "vault_next";
    pub const FRONTIER: &str = "audit_frontier";
    pub const KEY_CHECK: &str = "key_check";
    pub const FORMAT: &str = "format";
    pub const POLICY: &str = "policy_sha256";
    /// Present once every audit entry naming a request is in the `Q` index.
    pub const REQUEST_INDEX: &str = "request_index";
}

/// How long opening waits for the database lock. sled releases it when its background flusher (every 500 ms by
/// default) lets go of a closed handle, so a few seconds cover a process that just exited or closed.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The store format this build writes.
const STORE_FORMAT: &str = "cohort-store/v1";
/// The constant whose pseudonym proves the key file matches the data directory.
const KEY_CHECK_INPUT: (&str, &str) = ("cohort-key-check", "v1");

impl Store {
    /// Prepares `dir` as a new data directory (called by `cohort init`) and opens it. The directory may exist but
    /// must be empty.
    pub fn init(dir: &Path, keys: KeyRing) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: dir.to_path_buf(),
            source,
        };
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(io)?;
            if entries.next().is_some() {
                return Err(StoreError::NotADataDir(format!(
                    "{} is not empty; `cohort init` needs a new or empty directory",
                    dir.display()
                )));
            }
        } else {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        let db = Self::open_db(dir)?;
        let tree = db.open_tree("cohort")?;
        let check = keys
            .pseudonymiser()
            .pseudonymise(KEY_CHECK_INPUT.0, KEY_CHECK_INPUT.1);
        tree.insert(
            keyspace::meta_key(meta::KEY_CHECK),
            keyspace::pseudonym_key(0, &check).to_vec(),
        )?;
        tree.insert(keyspace::meta_key(meta::FORMAT), STORE_FORMAT.as_bytes())?;
        tree.insert(keyspace::meta_key(meta::REQUEST_INDEX), &b"1"[..])?;
        db.flush()?;
        // The marker goes last: a directory without it is not a store, so an interrupted init is visible as such.
        std::fs::write(
            dir.join(layout::MARKER_FILE),
            format!("{STORE_FORMAT}\nThis folder holds a Cohort store. Its keys are in a separate key file.\n"),
        )
        .map_err(io)?;
        Self::with_db(dir, db, keys)
    }

    /// Opens the sled database, waiting a little while another process (or a just-closed handle whose background
    /// flusher has not exited yet) holds its lock.
    fn open_db(dir: &Path) -> Result<sled::Db, StoreError> {
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            let result = sled::Config::new()
                .path(dir.join(layout::DB_DIR))
                .mode(sled::Mode::HighThroughput)
                .open();
            match result {
                Err(sled::Error::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if std::time::Instant::now() >= deadline {
                        return Err(StoreError::Locked {
                            dir: dir.to_path_buf(),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return Ok(other?),
            }
        }
    }

    /// Opens the data directory `dir` with the key ring `keys`.
    pub fn open(dir: &Path, keys: KeyRing) -> Result<Self, StoreError> {
        if !dir.join(layout::MARKER_FILE).is_file() {
            return Err(StoreError::NotADataDir(format!(
                "{} is not a Cohort data directory (no {} file); create one with `cohort init`",
                dir.display(),
                layout::MARKER_FILE
            )));
        }
        let db = Self::open_db(dir)?;
        Self::with_db(dir, db, keys)
    }

    fn with_db(dir: &Path, db: sled::Db, keys: KeyRing) -> Result<Self, StoreError> {
        let tree = db.open_tree("cohort")?;
        Self::check_key(&tree, &keys, dir)?;
        let vault = std::sync::Arc::new(vault::KeyVault::open(&dir.join(layout::VAULT_FILE))?);

        let vault_next = match tree.get(keyspace::meta_key(meta::VAULT_NEXT))? {
            Some(v) => {
                keyspace::u64_value(&v).ok_or_else(|| StoreError::Corrupt("vault_next".into()))?
            }
            None => 0,
        };
        let mut free_slots = BTreeSet::new();
        for item in tree.scan_prefix([keyspace::FREE_SLOT]) {
            let (k, _) = item?;
            let slot = keyspace::u64_suffix(&k)
                .ok_or_else(|| StoreError::Corrupt("free slot key".into()))?;
            // A slot freed by a merge is shredded right after its commit; a crash in between leaves a key there.
            // Shred again: it is idempotent.
            if vault.in_use(slot)? {
                vault.shred(slot)?;
            }
            free_slots.insert(slot);
        }
        vault.sync()?;
        let frontier = match tree.get(keyspace::meta_key(meta::FRONTIER))? {
            Some(v) => serde_json::from_slice(&v)
                .map_err(|e| StoreError::Corrupt(format!("audit frontier: {e}")))?,
            None => MerkleFrontier::default(),
        };
        if tree.get(keyspace::meta_key(meta::REQUEST_INDEX))?.is_none() {
            // A store from before the request index: build it once, atomically with its marker.
            let mut batch = sled::Batch::default();
            let indexed = audit_log::index_requests(&tree, &mut batch)?;
            batch.insert(keyspace::meta_key(meta::REQUEST_INDEX), &b"1"[..]);
            tree.apply_batch(batch)?;
            db.flush()?;
            tracing::info!(entries = indexed, "indexed the audit log by request id");
        }
        let has_suppressions = tree.scan_prefix([keyspace::SUPPRESSED]).next().is_some();
        Ok(Self {
            dir: dir.to_path_buf(),
            db,
            tree,
            vault,
            keys,
            writer: Mutex::new(WriterState {
                has_suppressions,
                inflight: None,
                poisoned: false,
                identity_filter: None,
                vault_next,
                free_slots,
                frontier,
            }),
        })
    }

    fn check_key(tree: &sled::Tree, keys: &KeyRing, dir: &Path) -> Result<(), StoreError> {
        let stored = tree
            .get(keyspace::meta_key(meta::KEY_CHECK))?
            .ok_or_else(|| {
                StoreError::NotADataDir(format!("{} has no key check", dir.display()))
            })?;
        let matches = keys
            .pseudonymiser()
            .pseudonymise_all(KEY_CHECK_INPUT.0, KEY_CHECK_INPUT.1)
            .iter()
            .any(|p| keyspace::pseudonym_key(0, p)[..] == stored[..]);
        if matches {
            Ok(())
        } else {
            Err(StoreError::WrongKeyFile {
                dir: dir.to_path_buf(),
            })
        }
    }

    /// The key ring the store was opened with.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes every write so far durable, including a commit still being written in the background.
    pub fn flush(&self) -> Result<(), StoreError> {
        drop(self.lock_settled()?);
        self.db.flush()?;
        Ok(())
    }

    /// The writer lock, after any background commit has finished: every direct write goes through here, so it
    /// lands after the commits before it and sees their data in sled.
    pub(crate) fn lock_settled(
        &self,
    ) -> Result<std::sync::MutexGuard<'_, WriterState>, StoreError> {
        let mut state = match self.writer.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        state.settle()?;
        Ok(state)
    }

    /// Finds the subject that any of `pseudonyms` (all key ids of any identifiers) points to.
    pub fn find_subject(&self, pseudonyms: &[Pseudonym]) -> Result<Option<SubjectId>, StoreError> {
        for p in pseudonyms {
            if let Some(v) = self
                .tree
                .get(keyspace::pseudonym_key(keyspace::IDENTITY, p))?
            {
                return keyspace::subject_id_at(&v, 0)
                    .map(Some)
                    .ok_or_else(|| StoreError::Corrupt("identity entry".into()));
            }
        }
        Ok(None)
    }

    /// Whether any of `pseudonyms` is suppressed by an erasure.
    pub fn is_suppressed(&self, pseudonyms: &[Pseudonym]) -> Result<bool, StoreError> {
        for p in pseudonyms {
            if self
                .tree
                .contains_key(keyspace::pseudonym_key(keyspace::SUPPRESSED, p))?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// Formats an instant as RFC 3339 in UTC with second precision, the one form timestamps are stored in, so that
/// they compare correctly as strings.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    let t = t
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Day number (days since 1970-01-01, UTC) of an instant.
pub fn day_number(t: time::OffsetDateTime) -> u32 {
    u32::try_from(t.unix_timestamp().div_euclid(86_400)).unwrap_or(0)
}
