//! Cohort's cryptography, in one place so that every other crate uses it the same way.
//!
//! This crate owns:
//! - the **key file** ([`keyfile`]): created once by `cohort init`, mode 0600, holding separate identity (HMAC) keys,
//!   master wrapping keys and audit signing keys, each with a numeric key id so that rotation never loses matches;
//! - **pseudonyms** ([`pseudonym`]): keyed hashes (HMAC-SHA256) of normalised identifiers, the only form in which an
//!   identifier is ever used for matching;
//! - **envelope encryption** ([`envelope`]): a random data key per subject (AES-256-GCM), wrapped by a master key,
//!   with associated data that binds every ciphertext to where it belongs.
//!
//! **Invariant:** no secret is ever formatted by `Debug` or `Display`; secret bytes are zeroised on drop.

pub mod envelope;
pub mod keyfile;
pub mod pseudonym;

pub use envelope::{DataKey, MasterKeys, WRAPPED_KEY_LEN, WrappedKey};
pub use keyfile::{KeyKind, KeyRing, SigningKey};
pub use pseudonym::{PSEUDONYM_LEN, Pseudonym, Pseudonymiser};

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key file could not be read or written.
    #[error("key file {path}: {source}")]
    KeyFileIo {
        /// The key file's path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `cohort init` refuses to replace an existing key file: that would orphan every stored subject.
    #[error(
        "key file {0} already exists; refusing to overwrite it (every stored subject depends on it)"
    )]
    KeyFileExists(PathBuf),
    /// The key file is readable by other users.
    #[error(
        "key file {path} has mode {mode:o}: group or others can access it; run `chmod 600 {path}`"
    )]
    KeyFileTooOpen {
        /// The key file's path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file's content is not a valid Cohort key file.
    #[error("key file {path}: {reason}")]
    KeyFileInvalid {
        /// The key file's path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A ciphertext names a master key id that the key file does not hold.
    #[error("master key {0} is not in the key file (was it removed after a rotation?)")]
    UnknownMasterKey(u32),
    /// Decryption failed: wrong key, altered ciphertext or ciphertext moved to another place.
    #[error("decryption failed: the data was altered, moved, or its key is gone")]
    Decrypt,
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,
}

/// Fills `buf` from the operating system's CSPRNG (ring's `SystemRandom`).
pub fn random_bytes(buf: &mut [u8]) -> Result<(), CryptoError> {
    use ring::rand::SecureRandom;
    ring::rand::SystemRandom::new()
        .fill(buf)
        .map_err(|_| CryptoError::Random)
}

/// SHA-256 of `bytes`, as lowercase hex. Used for policy hashes and plugin package hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}
