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

use cohort_crypto::named_key::{KeyFileKind, NamedKey, NamedKeyError};
use zeroize::Zeroizing;

use crate::error::PackageError;
use crate::names;
use crate::signature::Signature;

/// The format tag written into every publisher key file.
pub const PUBLISHER_KEY_FORMAT: &str = "cohort-publisher-key/v1";

/// Publisher key files: the shared named-key file format (`cohort_crypto::named_key`) with this tag and the plugin
/// name rules for publisher names.
const PUBLISHER_KEY: KeyFileKind = KeyFileKind {
    format: PUBLISHER_KEY_FORMAT,
    holder: "publisher",
    valid_name: |name| names::check_plugin_name(name).is_ok(),
};

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
    key: NamedKey,
}

impl std::fmt::Debug for PublisherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublisherKey({}, {})", self.name(), self.public_key())
    }
}

impl PublisherKey {
    /// Generates a key pair for publisher `name` and returns the key file contents and the public key.
    pub fn generate(name: &str) -> Result<NewPublisherKey, PackageError> {
        let new = NamedKey::generate(&PUBLISHER_KEY, name).map_err(package_error)?;
        Ok(NewPublisherKey {
            file_contents: new.file_contents,
            public_key: new.public_key,
        })
    }

    /// Generates a key for publisher `name`, writes it to a new file at `path` (mode 0600) and returns the public
    /// key. Refuses to overwrite an existing file.
    pub fn create_file(path: &Path, name: &str) -> Result<String, PackageError> {
        NamedKey::create_file(&PUBLISHER_KEY, path, name).map_err(package_error)
    }

    /// Loads the key file at `path`, refusing one that group or others can access.
    pub fn load(path: &Path) -> Result<Self, PackageError> {
        Ok(Self {
            key: NamedKey::load(&PUBLISHER_KEY, path).map_err(package_error)?,
        })
    }

    /// Reads key file contents; `source_name` names them in errors.
    pub fn from_file_contents(source_name: &str, contents: &[u8]) -> Result<Self, PackageError> {
        Ok(Self {
            key: NamedKey::from_file_contents(&PUBLISHER_KEY, source_name, contents)
                .map_err(package_error)?,
        })
    }

    /// The publisher name the key signs for.
    pub fn name(&self) -> &str {
        self.key.name()
    }

    /// The public key as a policy lists it, `ed25519:<base64>`.
    pub fn public_key(&self) -> String {
        self.key.public_key()
    }

    /// The raw 32-byte public key.
    pub fn public_key_bytes(&self) -> [u8; 32] {
        self.key.public_key_bytes()
    }

    /// Signs `message` (built by [`crate::signature::signed_message`]) as this publisher.
    pub(crate) fn sign_message(&self, message: &[u8]) -> Signature {
        Signature {
            publisher: self.name().to_owned(),
            public_key: self.public_key_bytes(),
            signature: self.key.sign(message),
        }
    }
}

/// The shared key file's error, in this crate's words (the messages say "publisher key").
fn package_error(e: NamedKeyError) -> PackageError {
    match e {
        NamedKeyError::Io { path, source } => PackageError::KeyFileIo { path, source },
        NamedKeyError::Exists(path) => PackageError::KeyFileExists(path),
        NamedKeyError::TooOpen { path, mode } => PackageError::KeyFileTooOpen { path, mode },
        NamedKeyError::Invalid {
            source_name,
            reason,
        } => PackageError::KeyFileInvalid {
            source_name,
            reason,
        },
        NamedKeyError::InvalidName(name) => PackageError::InvalidPublisherName(name),
        NamedKeyError::Random => PackageError::Random,
    }
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
