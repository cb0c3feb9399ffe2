//! Publisher signing keys: Ed25519 key pairs kept in a small JSON key file of their own.
//!
//! These keys belong to whoever publishes plugins (the Cohort project for `cohort-builtin`, a vendor, an in-house
//! team), not to a Cohort host: they are separate from the host's key file (`cohort-crypto`), which a host never
//! shares. The file, format `cohort-publisher-key/v1`, is
//!
//! ```json
//! { "format": "cohort-publisher-key/v1", "name": "cohort-builtin",
//!   "public_key": "ed25519:<base64>", "pkcs8": "<base64 of the PKCS#8 v2 document>" }
//! ```
//!
//! It is created with mode 0600 and never overwritten, and loading refuses a file that others can read or whose
//! public key does not belong to its secret. The public key line is what goes into a policy's
//! `plugins.trusted_publishers`.
//!
//! **Invariant:** the secret is never formatted by `Debug` or `Display`; secret text is zeroised on drop.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::PackageError;
use crate::names;
use crate::signature::{Signature, parse_public_key, public_key_text};

/// The format tag written into every publisher key file.
pub const PUBLISHER_KEY_FORMAT: &str = "cohort-publisher-key/v1";
/// Largest key file read, in bytes. A key file is about 200 bytes; the bound stops a wrong path (a disk image, a
/// log) from being read whole.
const MAX_KEY_FILE_BYTES: u64 = 16 * 1024;

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

/// A newly generated publisher key, not yet written anywhere.
pub struct NewPublisherKey {
    /// The key file's contents (JSON with the secret); write it with mode 0600, or use
    /// [`PublisherKey::create_file`] which does.
    pub file_contents: Zeroizing<String>,
    /// The public key, `ed25519:<base64>`, as a policy lists it under `plugins.trusted_publishers`.
    pub public_key: String,
}

impl std::fmt::Debug for NewPublisherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NewPublisherKey({})", self.public_key)
    }
}

/// A publisher's signing key, loaded and checked.
pub struct PublisherKey {
    name: String,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for PublisherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublisherKey({}, {})", self.name, self.public_key())
    }
}

impl PublisherKey {
    /// Generates a key pair for publisher `name` and returns the key file contents and the public key.
    pub fn generate(name: &str) -> Result<NewPublisherKey, PackageError> {
        if names::check_plugin_name(name).is_err() {
            return Err(PackageError::InvalidPublisherName(name.to_owned()));
        }
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| PackageError::Random)?;
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| PackageError::Random)?;
        let public_key = public_key_text(&public_bytes(&pair));
        let file = KeyFileJson {
            format: PUBLISHER_KEY_FORMAT.to_owned(),
            name: name.to_owned(),
            public_key: public_key.clone(),
            pkcs8: B64.encode(pkcs8.as_ref()),
        };
        let text =
            serde_json::to_string_pretty(&file).map_err(|e| PackageError::KeyFileInvalid {
                source_name: "new key".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(NewPublisherKey {
            file_contents: Zeroizing::new(text + "\n"),
            public_key,
        })
    }

    /// Generates a key for publisher `name`, writes it to a new file at `path` (mode 0600) and returns the public
    /// key. Refuses to overwrite an existing file.
    pub fn create_file(path: &Path, name: &str) -> Result<String, PackageError> {
        let new = Self::generate(name)?;
        write_new(path, new.file_contents.as_bytes())?;
        Ok(new.public_key)
    }

    /// Loads the key file at `path`, refusing one that group or others can access.
    pub fn load(path: &Path) -> Result<Self, PackageError> {
        let io = |source| PackageError::KeyFileIo {
            path: path.to_owned(),
            source,
        };
        check_permissions(path)?;
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_KEY_FILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(io)?;
        let source_name = path.display().to_string();
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(PackageError::KeyFileInvalid {
                source_name,
                reason: format!(
                    "larger than {MAX_KEY_FILE_BYTES} bytes; this is not a publisher key file"
                ),
            });
        }
        Self::from_file_contents(&source_name, &bytes)
    }

    /// Reads key file contents; `source_name` names them in errors.
    pub fn from_file_contents(source_name: &str, contents: &[u8]) -> Result<Self, PackageError> {
        let invalid = |reason: String| PackageError::KeyFileInvalid {
            source_name: source_name.to_owned(),
            reason,
        };
        let file: KeyFileJson = serde_json::from_slice(contents).map_err(|e| {
            // serde_json's category and line say where the problem is without quoting the secret.
            invalid(format!(
                "not a publisher key file ({:?} error at line {})",
                e.classify(),
                e.line()
            ))
        })?;
        if file.format != PUBLISHER_KEY_FORMAT {
            return Err(invalid(format!(
                "format `{}` is not `{PUBLISHER_KEY_FORMAT}`",
                file.format
            )));
        }
        if names::check_plugin_name(&file.name).is_err() {
            return Err(invalid(format!(
                "`{}` is not a valid publisher name",
                file.name
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

    /// The publisher name the key signs for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The public key as a policy lists it, `ed25519:<base64>`.
    pub fn public_key(&self) -> String {
        public_key_text(&self.public_key_bytes())
    }

    /// The raw 32-byte public key.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        public_bytes(&self.pair)
    }

    /// Signs `message` (built by [`crate::signature::signed_message`]) as this publisher.
    pub(crate) fn sign_message(&self, message: &[u8]) -> Signature {
        let mut signature = [0u8; 64];
        signature.copy_from_slice(self.pair.sign(message).as_ref());
        Signature {
            publisher: self.name.clone(),
            public_key: self.public_key_bytes(),
            signature,
        }
    }
}

fn public_bytes(pair: &Ed25519KeyPair) -> [u8; 32] {
    let mut key = [0u8; 32];
    key.copy_from_slice(pair.public_key().as_ref());
    key
}

fn check_permissions(path: &Path) -> Result<(), PackageError> {
    match cohort_crypto::private_file::too_open_mode(path) {
        Ok(None) => Ok(()),
        Ok(Some(mode)) => Err(PackageError::KeyFileTooOpen {
            path: path.to_owned(),
            mode,
        }),
        Err(source) => Err(PackageError::KeyFileIo {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `contents` to a file that must not exist yet, readable by its owner only.
fn write_new(path: &Path, contents: &[u8]) -> Result<(), PackageError> {
    cohort_crypto::private_file::create_new(path, contents).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            PackageError::KeyFileExists(path.to_owned())
        } else {
            PackageError::KeyFileIo {
                path: path.to_owned(),
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
        let path = dir.path().join("publisher.json");
        let public = PublisherKey::create_file(&path, "acme-plugins").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let key = PublisherKey::load(&path).unwrap();
        assert_eq!(key.name(), "acme-plugins");
        assert_eq!(key.public_key(), public);
        assert!(matches!(
            PublisherKey::create_file(&path, "acme-plugins"),
            Err(PackageError::KeyFileExists(_))
        ));
        // Nothing was overwritten: the same key loads again.
        assert_eq!(PublisherKey::load(&path).unwrap().public_key(), public);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_key_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("publisher.json");
        PublisherKey::create_file(&path, "acme").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = PublisherKey::load(&path).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn refuses_a_public_key_that_does_not_match_the_secret() {
        let a = PublisherKey::generate("acme").unwrap();
        let b = PublisherKey::generate("acme").unwrap();
        let mixed = a.file_contents.replace(&a.public_key, &b.public_key);
        let err = PublisherKey::from_file_contents("mixed", mixed.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("does not belong"), "{err}");
        assert!(PublisherKey::from_file_contents("a", a.file_contents.as_bytes()).is_ok());
    }

    #[test]
    fn errors_and_debug_never_show_the_secret() {
        let new = PublisherKey::generate("acme").unwrap();
        let json: serde_json::Value = serde_json::from_str(&new.file_contents).unwrap();
        let secret = json["pkcs8"].as_str().unwrap().to_owned();
        let key = PublisherKey::from_file_contents("k", new.file_contents.as_bytes()).unwrap();
        assert!(!format!("{key:?}").contains(&secret));
        assert!(!format!("{new:?}").contains(&secret));
        let broken = new.file_contents.replace("\"format\"", "\"formt\"");
        let err = PublisherKey::from_file_contents("k", broken.as_bytes()).unwrap_err();
        assert!(!err.to_string().contains(&secret), "{err}");
    }

    #[test]
    fn refuses_invalid_publisher_names() {
        assert!(matches!(
            PublisherKey::generate("Acme Plugins"),
            Err(PackageError::InvalidPublisherName(_))
        ));
    }
}
