//! Ed25519 key files that name their holder: a plugin publisher's signing key (`cohort-plugin-package`) and a
//! host's federation identity (`cohort-federation`) are both one of these, each with its own format tag.
//!
//! The file is small JSON,
//!
//! ```json
//! { "format": "<the kind's tag>", "name": "<holder>",
//!   "public_key": "ed25519:<base64>", "pkcs8": "<base64 of the PKCS#8 v2 document>" }
//! ```
//!
//! created with mode 0600 and never overwritten. Loading refuses a file that group or others can access, a file of
//! another kind (its format tag), an invalid holder name, and a public key that does not belong to the secret. The
//! `ed25519:<base64>` line is what other parties list to trust the key.
//!
//! These keys are separate from the host's key file ([`crate::keyfile`]): a publisher key belongs to whoever
//! publishes plugins, and a federation key is shown to other hosts, so neither may share a secret with the keys
//! that protect stored data or sign the audit log.
//!
//! **Invariant:** the secret is never formatted by `Debug` or `Display`; secret text is zeroised on drop; errors
//! never quote the file's contents.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Prefix of a public key written as text, as policy and configuration files list it.
pub const ED25519_KEY_PREFIX: &str = "ed25519:";
/// Length of an Ed25519 public key.
pub const ED25519_PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const ED25519_SIGNATURE_LEN: usize = 64;
/// Largest key file read, in bytes. A key file is about 200 bytes; the bound stops a wrong path (a disk image, a
/// log) from being read whole.
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

/// One kind of named key file: its format tag, what its holder is called in messages, and which names it accepts.
#[derive(Debug, Clone, Copy)]
pub struct KeyFileKind {
    /// The `format` written into every file of this kind, and required when reading one.
    pub format: &'static str,
    /// What the holder is, for messages: "publisher", "host".
    pub holder: &'static str,
    /// Whether a holder name is acceptable.
    pub valid_name: fn(&str) -> bool,
}

/// Why a named key file could not be made, written or read. Callers map it onto their own error type, whose
/// messages say what kind of key it is.
#[derive(Debug, thiserror::Error)]
pub enum NamedKeyError {
    /// The file could not be read or written.
    #[error("key file {path}: {source}")]
    Io {
        /// The key file's path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Creating the file would replace an existing one.
    #[error("key file {0} already exists; refusing to overwrite it")]
    Exists(PathBuf),
    /// Group or others can access the file.
    #[error(
        "key file {path} has mode {mode:o}: group or others can access it; run `chmod 600 {path}`"
    )]
    TooOpen {
        /// The key file's path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The content is not a valid key file of the kind.
    #[error("key {source_name}: {reason}")]
    Invalid {
        /// The key file's path, or a description of where the text came from.
        source_name: String,
        /// What is wrong with it (never the secret itself).
        reason: String,
    },
    /// The holder name for a new key is not valid for the kind.
    #[error("`{0}` is not a valid name for this key")]
    InvalidName(String),
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    format: String,
    name: String,
    public_key: String,
    pkcs8: String,
}

impl Drop for KeyFileJson {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pkcs8);
    }
}

/// A newly generated key, not yet written anywhere.
pub struct NewNamedKey {
    /// The key file's contents (JSON with the secret); write it with mode 0600, or use [`NamedKey::create_file`],
    /// which does.
    pub file_contents: Zeroizing<String>,
    /// The public key, `ed25519:<base64>`.
    pub public_key: String,
}

impl std::fmt::Debug for NewNamedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewNamedKey({})", self.public_key)
    }
}

/// An Ed25519 key pair with the name of its holder, loaded and checked.
pub struct NamedKey {
    name: String,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for NamedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NamedKey({}, {})", self.name, self.public_key())
    }
}

impl NamedKey {
    /// Generates a key pair for holder `name` and returns the key file contents and the public key.
    pub fn generate(kind: &KeyFileKind, name: &str) -> Result<NewNamedKey, NamedKeyError> {
        if !(kind.valid_name)(name) {
            return Err(NamedKeyError::InvalidName(name.to_owned()));
        }
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| NamedKeyError::Random)?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| NamedKeyError::Random)?;
        let public_key = public_key_text(&public_bytes(&pair));
        let file = KeyFileJson {
            format: kind.format.to_owned(),
            name: name.to_owned(),
            public_key: public_key.clone(),
            pkcs8: B64.encode(pkcs8.as_ref()),
        };
        let text = serde_json::to_string_pretty(&file).map_err(|e| NamedKeyError::Invalid {
            source_name: "new key".to_owned(),
            reason: e.to_string(),
        })?;
        Ok(NewNamedKey {
            file_contents: Zeroizing::new(text + "\n"),
            public_key,
        })
    }

    /// Generates a key for holder `name`, writes it to a new file at `path` (mode 0600) and returns the public
    /// key. Refuses to overwrite an existing file.
    pub fn create_file(
        kind: &KeyFileKind,
        path: &Path,
        name: &str,
    ) -> Result<String, NamedKeyError> {
        let new = Self::generate(kind, name)?;
        crate::private_file::create_new(path, new.file_contents.as_bytes()).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                NamedKeyError::Exists(path.to_owned())
            } else {
                NamedKeyError::Io {
                    path: path.to_owned(),
                    source: e,
                }
            }
        })?;
        Ok(new.public_key)
    }

    /// Loads the key file at `path`, refusing one that group or others can access.
    pub fn load(kind: &KeyFileKind, path: &Path) -> Result<Self, NamedKeyError> {
        let io = |source| NamedKeyError::Io {
            path: path.to_owned(),
            source,
        };
        match crate::private_file::too_open_mode(path) {
            Ok(None) => {}
            Ok(Some(mode)) => {
                return Err(NamedKeyError::TooOpen {
                    path: path.to_owned(),
                    mode,
                });
            }
            Err(source) => return Err(io(source)),
        }
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_KEY_FILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(io)?;
        let source_name = path.display().to_string();
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(NamedKeyError::Invalid {
                source_name,
                reason: format!(
                    "larger than {MAX_KEY_FILE_BYTES} bytes; this is not a {} key file",
                    kind.holder
                ),
            });
        }
        Self::from_file_contents(kind, &source_name, &bytes)
    }

    /// Reads key file contents; `source_name` names them in errors.
    pub fn from_file_contents(
        kind: &KeyFileKind,
        source_name: &str,
        contents: &[u8],
    ) -> Result<Self, NamedKeyError> {
        let invalid = |reason: String| NamedKeyError::Invalid {
            source_name: source_name.to_owned(),
            reason,
        };
        let file: KeyFileJson = serde_json::from_slice(contents).map_err(|e| {
            // serde_json's category and line say where the problem is without quoting the secret.
            invalid(format!(
                "not a {} key file ({:?} error at line {})",
                kind.holder,
                e.classify(),
                e.line()
            ))
        })?;
        if file.format != kind.format {
            return Err(invalid(format!(
                "format `{}` is not `{}`",
                file.format, kind.format
            )));
        }
        if !(kind.valid_name)(&file.name) {
            return Err(invalid(format!(
                "`{}` is not a valid {} name",
                file.name, kind.holder
            )));
        }
        let pkcs8 = Zeroizing::new(
            B64.decode(file.pkcs8.as_bytes())
                .map_err(|_| invalid("`pkcs8` is not base64".to_owned()))?,
        );
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|_| invalid("`pkcs8` is not an Ed25519 PKCS#8 key".to_owned()))?;
        let stated = parse_public_key(&file.public_key).map_err(invalid)?;
        if stated != public_bytes(&pair) {
            return Err(invalid(
                "`public_key` does not belong to the secret key in `pkcs8`; the file was edited or mixed up"
                    .to_owned(),
            ));
        }
        Ok(Self {
            name: file.name.clone(),
            pair,
        })
    }

    /// The holder's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key as others list it, `ed25519:<base64>`.
    pub fn public_key(&self) -> String {
        public_key_text(&self.public_key_bytes())
    }

    /// The raw 32-byte public key.
    pub fn public_key_bytes(&self) -> [u8; ED25519_PUBLIC_KEY_LEN] {
        public_bytes(&self.pair)
    }

    /// Signs `message`. The caller builds a message that starts with its own domain tag, so that a signature made
    /// for one use never verifies for another.
    pub fn sign(&self, message: &[u8]) -> [u8; ED25519_SIGNATURE_LEN] {
        let mut signature = [0u8; ED25519_SIGNATURE_LEN];
        signature.copy_from_slice(self.pair.sign(message).as_ref());
        signature
    }
}

/// True when `signature` is a valid Ed25519 signature of `message` under `public_key`.
pub fn verify_signature(
    public_key: &[u8; ED25519_PUBLIC_KEY_LEN],
    message: &[u8],
    signature: &[u8],
) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(message, signature)
        .is_ok()
}

/// Writes a public key as `ed25519:<standard base64>`, the form policy and configuration files use.
pub fn public_key_text(key: &[u8; ED25519_PUBLIC_KEY_LEN]) -> String {
    format!("{ED25519_KEY_PREFIX}{}", B64.encode(key))
}

/// Reads `ed25519:<standard base64 of 32 bytes>`; the error says what is wrong.
pub fn parse_public_key(text: &str) -> Result<[u8; ED25519_PUBLIC_KEY_LEN], String> {
    let encoded = text
        .strip_prefix(ED25519_KEY_PREFIX)
        .ok_or_else(|| format!("the public key does not start with `{ED25519_KEY_PREFIX}`"))?;
    let bytes = B64
        .decode(encoded)
        .map_err(|_| "the public key is not standard base64".to_owned())?;
    <[u8; ED25519_PUBLIC_KEY_LEN]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "the public key is {} bytes, not the {ED25519_PUBLIC_KEY_LEN} of an Ed25519 key",
            bytes.len()
        )
    })
}

fn public_bytes(pair: &Ed25519KeyPair) -> [u8; ED25519_PUBLIC_KEY_LEN] {
    let mut key = [0u8; ED25519_PUBLIC_KEY_LEN];
    key.copy_from_slice(pair.public_key().as_ref());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_KIND: KeyFileKind = KeyFileKind {
        format: "cohort-test-key/v1",
        holder: "test",
        valid_name: |name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase()),
    };
    const OTHER_KIND: KeyFileKind = KeyFileKind {
        format: "cohort-other-key/v1",
        ..TEST_KIND
    };

    #[test]
    fn create_load_sign_and_refuse_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let public = NamedKey::create_file(&TEST_KIND, &path, "acme").unwrap();
        assert_eq!(crate::private_file::too_open_mode(&path).unwrap(), None);
        let key = NamedKey::load(&TEST_KIND, &path).unwrap();
        assert_eq!(key.name(), "acme");
        assert_eq!(key.public_key(), public);
        let signature = key.sign(b"message");
        let bytes = parse_public_key(&public).unwrap();
        assert!(verify_signature(&bytes, b"message", &signature));
        assert!(!verify_signature(&bytes, b"messagf", &signature));
        assert!(matches!(
            NamedKey::create_file(&TEST_KIND, &path, "acme"),
            Err(NamedKeyError::Exists(_))
        ));
        assert_eq!(
            NamedKey::load(&TEST_KIND, &path).unwrap().public_key(),
            public
        );
    }

    #[test]
    fn a_key_of_another_kind_or_name_rule_is_refused() {
        let new = NamedKey::generate(&TEST_KIND, "acme").unwrap();
        let err = NamedKey::from_file_contents(&OTHER_KIND, "k", new.file_contents.as_bytes())
            .unwrap_err();
        assert!(err.to_string().contains("cohort-other-key/v1"), "{err}");
        assert!(matches!(
            NamedKey::generate(&TEST_KIND, "Acme"),
            Err(NamedKeyError::InvalidName(_))
        ));
        let renamed = new.file_contents.replace("\"acme\"", "\"Acme\"");
        let err = NamedKey::from_file_contents(&TEST_KIND, "k", renamed.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("not a valid test name"), "{err}");
    }

    #[test]
    fn errors_and_debug_never_show_the_secret() {
        let new = NamedKey::generate(&TEST_KIND, "acme").unwrap();
        let json: serde_json::Value = serde_json::from_str(&new.file_contents).unwrap();
        let secret = json["pkcs8"].as_str().unwrap().to_owned();
        let key =
            NamedKey::from_file_contents(&TEST_KIND, "k", new.file_contents.as_bytes()).unwrap();
        assert!(!format!("{key:?}").contains(&secret));
        assert!(!format!("{new:?}").contains(&secret));
        let broken = new.file_contents.replace("\"format\"", "\"formt\"");
        let err = NamedKey::from_file_contents(&TEST_KIND, "k", broken.as_bytes()).unwrap_err();
        assert!(!err.to_string().contains(&secret), "{err}");
    }

    #[test]
    fn public_keys_round_trip_and_bad_ones_are_named() {
        let key = [9u8; 32];
        assert_eq!(parse_public_key(&public_key_text(&key)), Ok(key));
        assert!(
            parse_public_key("rsa:AAAA")
                .unwrap_err()
                .contains("ed25519:")
        );
        assert!(
            parse_public_key("ed25519:!!")
                .unwrap_err()
                .contains("base64")
        );
        let short = format!("ed25519:{}", B64.encode([1u8; 31]));
        assert!(parse_public_key(&short).unwrap_err().contains("31 bytes"));
    }
}
