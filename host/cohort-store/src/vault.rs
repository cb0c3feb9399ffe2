//! The key vault: a file of fixed-size slots, one per subject, each holding that subject's wrapped data key.
//!
//! Why not a sled tree: sled is log-structured, so a deleted value stays in its segment files until they are
//! rewritten, and a wrapped key left there could still be unwrapped with the master key. Crypto-shredding needs the
//! wrapped key to be *gone*, so erasure overwrites the slot in place with zeros and syncs the file. Slots are
//! allocated by the writer; which slots are in use or free is recorded in sled, in the same atomic batch as the
//! subjects that use them (see `writer`).
//!
//! **Invariant:** a slot in use holds exactly one subject's wrapped key, bound to that subject id and slot number.

use crate::StoreError;
use cohort_crypto::{WRAPPED_KEY_LEN, WrappedKey};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt as _;
use std::path::{Path, PathBuf};

/// Magic bytes at the start of the vault file.
const MAGIC: &[u8; 16] = b"COHORT-VAULT-v1\0";
/// Bytes before the first slot.
const HEADER_LEN: u64 = 64;
/// Bytes per slot: state (1), padding (3), master key id (4), subject id (16), wrapped key (60), padding to 96.
pub const SLOT_LEN: u64 = 96;
const STATE_IN_USE: u8 = 1;

/// The vault file.
pub struct KeyVault {
    file: File,
    path: PathBuf,
}

impl KeyVault {
    /// Opens the vault at `path`, creating it (mode 0600) if it does not exist.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let file = options.open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            let mut header = [0u8; HEADER_LEN as usize];
            header[..MAGIC.len()].copy_from_slice(MAGIC);
            header[16..24].copy_from_slice(&SLOT_LEN.to_be_bytes());
            file.write_all_at(&header, 0).map_err(io)?;
            file.sync_all().map_err(io)?;
        } else {
            let mut header = [0u8; HEADER_LEN as usize];
            file.read_exact_at(&mut header, 0).map_err(io)?;
            if &header[..MAGIC.len()] != MAGIC {
                return Err(StoreError::Corrupt(format!(
                    "{} is not a Cohort key vault",
                    path.display()
                )));
            }
        }
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    fn offset(slot: u64) -> u64 {
        HEADER_LEN + slot * SLOT_LEN
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes many wrapped keys, coalescing runs of consecutive slots into one write each (a batch of new subjects
    /// takes consecutive slots, so a whole commit is usually one write). Not durable until [`KeyVault::sync`].
    pub fn write_many(
        &self,
        keys: &mut [(u64, crate::SubjectId, WrappedKey)],
    ) -> Result<(), StoreError> {
        keys.sort_by_key(|(slot, _, _)| *slot);
        let mut run: Vec<u8> = Vec::new();
        let mut run_start = 0u64;
        let mut next = None;
        for (slot, id, wrapped) in keys.iter() {
            if next != Some(*slot) {
                if !run.is_empty() {
                    self.file
                        .write_all_at(&run, Self::offset(run_start))
                        .map_err(|e| self.io(e))?;
                    run.clear();
                }
                run_start = *slot;
            }
            run.extend_from_slice(&Self::encode_slot(id.bytes(), wrapped));
            next = Some(slot + 1);
        }
        if !run.is_empty() {
            self.file
                .write_all_at(&run, Self::offset(run_start))
                .map_err(|e| self.io(e))?;
        }
        Ok(())
    }

    fn encode_slot(subject: &[u8; 16], wrapped: &WrappedKey) -> [u8; SLOT_LEN as usize] {
        let mut buf = [0u8; SLOT_LEN as usize];
        buf[0] = STATE_IN_USE;
        buf[4..8].copy_from_slice(&wrapped.master_key_id.to_be_bytes());
        buf[8..24].copy_from_slice(subject);
        buf[24..24 + WRAPPED_KEY_LEN].copy_from_slice(&wrapped.bytes);
        buf
    }

    /// Reads the wrapped key in `slot`, checking that it belongs to `subject`.
    pub fn read(&self, slot: u64, subject: &[u8; 16]) -> Result<WrappedKey, StoreError> {
        let mut buf = [0u8; SLOT_LEN as usize];
        self.file
            .read_exact_at(&mut buf, Self::offset(slot))
            .map_err(|e| self.io(e))?;
        if buf[0] != STATE_IN_USE {
            return Err(StoreError::KeyDestroyed);
        }
        if &buf[8..24] != subject {
            return Err(StoreError::Corrupt(format!(
                "vault slot {slot} belongs to another subject"
            )));
        }
        let mut id = [0u8; 4];
        id.copy_from_slice(&buf[4..8]);
        let mut bytes = [0u8; WRAPPED_KEY_LEN];
        bytes.copy_from_slice(&buf[24..24 + WRAPPED_KEY_LEN]);
        Ok(WrappedKey {
            master_key_id: u32::from_be_bytes(id),
            bytes,
        })
    }

    /// Overwrites `slot` with zeros: the wrapped key is destroyed. Not durable until [`KeyVault::sync`].
    pub fn shred(&self, slot: u64) -> Result<(), StoreError> {
        self.file
            .write_all_at(&[0u8; SLOT_LEN as usize], Self::offset(slot))
            .map_err(|e| self.io(e))
    }

    /// Whether `slot` currently holds a key.
    pub fn in_use(&self, slot: u64) -> Result<bool, StoreError> {
        let mut state = [0u8; 1];
        match self.file.read_exact_at(&mut state, Self::offset(slot)) {
            Ok(()) => Ok(state[0] == STATE_IN_USE),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
            Err(e) => Err(self.io(e)),
        }
    }

    /// Makes every write so far durable.
    pub fn sync(&self) -> Result<(), StoreError> {
        self.file.sync_data().map_err(|e| self.io(e))
    }
}
