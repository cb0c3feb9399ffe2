//! Cohort's cryptography, in one place so that every other crate uses it the same way.
//!
//! This crate owns:
//! - the **key file** ([`keyfile`]): created once by `cohort init`, mode 0600, holding separate identity (HMAC) keys,
//!   master wrapping keys and audit signing keys, each with a numeric key id so that rotation never loses matches;
//! - **pseudonyms** ([`pseudonym`]): keyed hashes (HMAC-SHA256) of normalised identifiers, the only form in which an
//!   identifier is ever used for matching;
//! - **envelope encryption** ([`envelope`]): a random data key per subject (AES-256-GCM), wrapped by a master key,
//!   with associated data that binds every ciphertext to where it belongs;
//! - **named Ed25519 key files** ([`named_key`]): a plugin publisher's signing key and a host's federation
//!   identity, each a small 0600 file of its own, separate from the key file.
//!
//! **Invariant:** no secret is ever formatted by `Debug` or `Display`; secret bytes are zeroised on drop.

pub mod envelope;
pub mod keyfile;
pub mod named_key;
pub mod private_file;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_are_fresh_across_pool_refills() {
        let mut seen = std::collections::HashSet::new();
        // More draws than one pool holds, so refills are crossed.
        for _ in 0..(RANDOM_POOL_BYTES / 16) * 3 {
            let mut b = [0u8; 16];
            random_bytes(&mut b).unwrap();
            assert!(seen.insert(b), "a 128-bit random value repeated");
        }
        let mut big = vec![0u8; RANDOM_POOL_BYTES * 2];
        random_bytes(&mut big).unwrap();
        assert!(big.iter().any(|b| *b != 0));
    }
}

/// Bytes of OS randomness kept per thread. One `getrandom` call serves many keys and nonces: ingest makes three
/// random values per new subject, and a system call for each was a measurable share of the write path.
const RANDOM_POOL_BYTES: usize = 4096;

thread_local! {
    static POOL: std::cell::RefCell<RandomPool> = const { std::cell::RefCell::new(RandomPool { buf: [0; RANDOM_POOL_BYTES], pos: RANDOM_POOL_BYTES }) };
}

/// Output of the OS CSPRNG not handed out yet. Every byte is handed out once and zeroed as it leaves, so the pool
/// never holds a copy of a key or nonce already in use.
struct RandomPool {
    buf: [u8; RANDOM_POOL_BYTES],
    pos: usize,
}

/// Fills `buf` with bytes from the operating system's CSPRNG (ring's `SystemRandom`), drawn through a small
/// per-thread pool.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), CryptoError> {
    use ring::rand::SecureRandom;
    if buf.len() > RANDOM_POOL_BYTES / 4 {
        return ring::rand::SystemRandom::new()
            .fill(buf)
            .map_err(|_| CryptoError::Random);
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if RANDOM_POOL_BYTES - pool.pos < buf.len() {
            ring::rand::SystemRandom::new()
                .fill(&mut pool.buf)
                .map_err(|_| CryptoError::Random)?;
            pool.pos = 0;
        }
        let start = pool.pos;
        let end = start + buf.len();
        buf.copy_from_slice(&pool.buf[start..end]);
        zeroize::Zeroize::zeroize(&mut pool.buf[start..end]);
        pool.pos = end;
        Ok(())
    })
}

/// SHA-256 of `bytes`, as lowercase hex. Used for policy hashes and plugin package hashes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}
