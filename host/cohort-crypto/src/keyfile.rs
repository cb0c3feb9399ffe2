//! The key file: Cohort's secrets, kept outside the data directory by default.
//!
//! JSON with three key lists, each entry carrying a numeric id that is stored with everything it protects:
//! identity keys (HMAC-SHA256, for pseudonyms), master keys (AES-256-GCM, wrap subject data keys) and signing keys
//! (Ed25519, sign audit checkpoints). Rotation appends a key with the next id; older keys stay for reading.
//! The file is created with mode 0600 and never overwritten; loading refuses a file that others can read.

use crate::envelope::{MasterKeys, master_key};
use crate::pseudonym::Pseudonymiser;
use crate::{CryptoError, random_bytes};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::hmac;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// The format tag written into every key file.
const FORMAT: &str = "cohort-keys/v1";
/// Secret key length for HMAC and AES keys (256 bits).
const SECRET_LEN: usize = 32;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    format: String,
    created: String,
    identity_keys: Vec<SecretEntry>,
    master_keys: Vec<SecretEntry>,
    signing_keys: Vec<SecretEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretEntry {
    id: u32,
    created: String,
    /// Base64 of the secret (raw key bytes, or PKCS#8 for signing keys).
    secret: String,
}

impl Drop for SecretEntry {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

/// An Ed25519 signing key with its id.
pub struct SigningKey {
    /// The key id.
    pub id: u32,
    /// The key pair.
    pub pair: Ed25519KeyPair,
}

impl SigningKey {
    /// The 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }
}

/// The loaded key file: every key the host needs, never printable.
pub struct KeyRing {
    path: PathBuf,
    pseudonymiser: Pseudonymiser,
    masters: MasterKeys,
    signing: Vec<SigningKey>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyRing({})", self.path.display())
    }
}

impl KeyRing {
    /// Creates a new key file at `path` with one key of each kind. Refuses to overwrite an existing file.
    pub fn create(path: &Path, created: &str) -> Result<(), CryptoError> {
        let file = KeyFileJson {
            format: FORMAT.to_string(),
            created: created.to_string(),
            identity_keys: vec![new_secret(1, created)?],
            master_keys: vec![new_secret(1, created)?],
            signing_keys: vec![new_signing_secret(1, created)?],
        };
        write_new(path, &file)
    }

    /// Adds a new key of the given kind with the next id (rotation). New data uses it; old keys stay for reading.
    pub fn rotate(path: &Path, kind: KeyKind, created: &str) -> Result<u32, CryptoError> {
        let mut file = read_json(path)?;
        let list = match kind {
            KeyKind::Identity => &mut file.identity_keys,
            KeyKind::Master => &mut file.master_keys,
            KeyKind::Signing => &mut file.signing_keys,
        };
        let next = list.iter().map(|e| e.id).max().unwrap_or(0) + 1;
        list.push(match kind {
            KeyKind::Signing => new_signing_secret(next, created)?,
            _ => new_secret(next, created)?,
        });
        // Write next to the old file, then rename over it, so a crash never leaves a half-written key file.
        let tmp = path.with_extension("rotate.tmp");
        let _ = std::fs::remove_file(&tmp);
        write_new(&tmp, &file)?;
        std::fs::rename(&tmp, path).map_err(|source| CryptoError::KeyFileIo {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(next)
    }

    /// Loads and checks the key file at `path`.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        check_permissions(path)?;
        let file = read_json(path)?;
        let invalid = |reason: String| CryptoError::KeyFileInvalid {
            path: path.to_path_buf(),
            reason,
        };
        if file.format != FORMAT {
            return Err(invalid(format!(
                "format `{}` is not `{FORMAT}`",
                file.format
            )));
        }
        let mut identity = Vec::new();
        for e in &file.identity_keys {
            let bytes = decode_secret(e, SECRET_LEN)
                .map_err(|r| invalid(format!("identity key {}: {r}", e.id)))?;
            identity.push((e.id, hmac::Key::new(hmac::HMAC_SHA256, &bytes)));
        }
        let mut masters = Vec::new();
        for e in &file.master_keys {
            let bytes = decode_secret(e, SECRET_LEN)
                .map_err(|r| invalid(format!("master key {}: {r}", e.id)))?;
            let key = master_key(&bytes)
                .ok_or_else(|| invalid(format!("master key {}: not an AES-256 key", e.id)))?;
            masters.push((e.id, key));
        }
        let mut signing = Vec::new();
        for e in &file.signing_keys {
            let bytes =
                decode_secret(e, 0).map_err(|r| invalid(format!("signing key {}: {r}", e.id)))?;
            let pair = Ed25519KeyPair::from_pkcs8(&bytes)
                .map_err(|_| invalid(format!("signing key {}: not an Ed25519 PKCS#8 key", e.id)))?;
            signing.push(SigningKey { id: e.id, pair });
        }
        for (name, empty) in [
            ("identity_keys", identity.is_empty()),
            ("master_keys", masters.is_empty()),
            ("signing_keys", signing.is_empty()),
        ] {
            if empty {
                return Err(invalid(format!("`{name}` holds no key")));
            }
        }
        signing.sort_by_key(|k| std::cmp::Reverse(k.id));
        Ok(Self {
            path: path.to_path_buf(),
            pseudonymiser: Pseudonymiser::new(identity),
            masters: MasterKeys::new(masters),
            signing,
        })
    }

    /// The pseudonymiser over the identity keys.
    pub fn pseudonymiser(&self) -> &Pseudonymiser {
        &self.pseudonymiser
    }

    /// The master wrapping keys.
    pub fn masters(&self) -> &MasterKeys {
        &self.masters
    }

    /// The newest signing key.
    pub fn signing_key(&self) -> &SigningKey {
        &self.signing[0]
    }

    /// Every signing key, newest first (older ones verify older checkpoints).
    pub fn signing_keys(&self) -> &[SigningKey] {
        &self.signing
    }

    /// Where the key file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Which kind of key to rotate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The HMAC key for pseudonyms.
    Identity,
    /// The master wrapping key.
    Master,
    /// The audit signing key.
    Signing,
}

fn new_secret(id: u32, created: &str) -> Result<SecretEntry, CryptoError> {
    let mut bytes = Zeroizing::new([0u8; SECRET_LEN]);
    random_bytes(bytes.as_mut())?;
    Ok(SecretEntry {
        id,
        created: created.to_string(),
        secret: B64.encode(bytes.as_ref()),
    })
}

fn new_signing_secret(id: u32, created: &str) -> Result<SecretEntry, CryptoError> {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| CryptoError::Random)?;
    Ok(SecretEntry {
        id,
        created: created.to_string(),
        secret: B64.encode(pkcs8.as_ref()),
    })
}

fn decode_secret(e: &SecretEntry, expected_len: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    let bytes = Zeroizing::new(
        B64.decode(e.secret.as_bytes())
            .map_err(|_| "secret is not base64".to_string())?,
    );
    if expected_len != 0 && bytes.len() != expected_len {
        return Err(format!(
            "secret has {} bytes, expected {expected_len}",
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn read_json(path: &Path) -> Result<KeyFileJson, CryptoError> {
    let text = Zeroizing::new(
        std::fs::read(path).map_err(|source| CryptoError::KeyFileIo {
            path: path.to_path_buf(),
            source,
        })?,
    );
    serde_json::from_slice(&text).map_err(|e| CryptoError::KeyFileInvalid {
        path: path.to_path_buf(),
        // serde_json's message names the line and column, never the secret itself.
        reason: format!("not a Cohort key file ({})", e.classify_name()),
    })
}

trait ClassifyName {
    fn classify_name(&self) -> String;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> String {
        format!("{:?} error at line {}", self.classify(), self.line())
    }
}

fn check_permissions(path: &Path) -> Result<(), CryptoError> {
    match crate::private_file::too_open_mode(path) {
        Ok(None) => Ok(()),
        Ok(Some(mode)) => Err(CryptoError::KeyFileTooOpen {
            path: path.to_path_buf(),
            mode,
        }),
        Err(source) => Err(CryptoError::KeyFileIo {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_new(path: &Path, file: &KeyFileJson) -> Result<(), CryptoError> {
    let text = Zeroizing::new(serde_json::to_vec_pretty(file).map_err(|e| {
        CryptoError::KeyFileInvalid {
            path: path.to_path_buf(),
            reason: e.to_string(),
        }
    })?);
    crate::private_file::create_new(path, &text).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CryptoError::KeyFileExists(path.to_path_buf())
        } else {
            CryptoError::KeyFileIo {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_load_and_refuse_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        KeyRing::create(&path, "2026-11-24T00:00:00Z").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let ring = KeyRing::load(&path).unwrap();
        assert_eq!(ring.masters().current_id(), 1);
        assert!(matches!(
            KeyRing::create(&path, "x"),
            Err(CryptoError::KeyFileExists(_))
        ));
        // The first key ring is still loadable: nothing was overwritten.
        let again = KeyRing::load(&path).unwrap();
        assert_eq!(
            ring.pseudonymiser().pseudonymise("email", "a@example.com"),
            again.pseudonymiser().pseudonymise("email", "a@example.com")
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_world_readable_key_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        KeyRing::create(&path, "t").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = KeyRing::load(&path).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn rotation_keeps_old_keys_and_uses_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        KeyRing::create(&path, "t").unwrap();
        let before = KeyRing::load(&path).unwrap();
        let old = before
            .pseudonymiser()
            .pseudonymise("email", "a@example.com");
        assert_eq!(KeyRing::rotate(&path, KeyKind::Identity, "t2").unwrap(), 2);
        assert_eq!(KeyRing::rotate(&path, KeyKind::Master, "t2").unwrap(), 2);
        let after = KeyRing::load(&path).unwrap();
        let all = after
            .pseudonymiser()
            .pseudonymise_all("email", "a@example.com");
        assert_eq!(all[0].key_id(), 2);
        assert_eq!(all[1], old);
        assert_eq!(after.masters().current_id(), 2);
    }

    #[test]
    fn garbage_is_a_clear_error_without_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, "{\"format\": \"nope\"").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let err = KeyRing::load(&path).unwrap_err().to_string();
        assert!(err.contains("not a Cohort key file"), "{err}");
    }
}
