//! Who federates with whom: this host's identity key, and the peers it lists.
//!
//! A host's identity is an Ed25519 key pair in a key file of its own (format `cohort-federation-key/v1`, the
//! shared named-key file of `cohort_crypto::named_key`: mode 0600, never overwritten, refused when others can read
//! it). The name inside the file is the host's name in federation. It is separate from the host's key file: the
//! keys that pseudonymise, encrypt and sign the audit log never leave the host, while this one's public half is
//! given to every peer.
//!
//! Peers come from the `[[peers]]` array of `cohort.toml`:
//!
//! ```toml
//! [[peers]]
//! name = "eu-west"
//! url = "https://cohort-eu-west.example.internal:8443"
//! public_key = "ed25519:<base64 of 32 bytes>"
//! ```
//!
//! A host answers only the peers it lists, and trusts an answer only from a peer it lists: trust is the list, in
//! both directions, so two hosts federate when each lists the other.

use std::collections::BTreeMap;
use std::path::Path;

use cohort_crypto::named_key::{self, KeyFileKind, NamedKey, NamedKeyError};
use serde::Deserialize;

use crate::error::FederationError;

/// The format tag of a host identity key file.
pub const HOST_KEY_FORMAT: &str = "cohort-federation-key/v1";
/// Longest host name: a DNS label's length, so a name can also be a host name.
pub const MAX_HOST_NAME_CHARS: usize = 63;
/// Longest peer base URL accepted.
pub const MAX_URL_CHARS: usize = 2_048;
/// Most peers one host lists. Each federated count asks every peer, so the list is bounded like any fan-out; 64
/// regions or subsidiaries is far beyond the deployments federation is for.
pub const MAX_PEERS: usize = 64;

const HOST_KEY: KeyFileKind = KeyFileKind {
    format: HOST_KEY_FORMAT,
    holder: "host",
    valid_name: is_host_name,
};

/// Whether `name` is a valid host name: 1 to 63 lower-case letters, digits and `-`, starting with a letter and
/// not ending with `-`. Names appear in signed messages separated by newlines, so the rule also keeps them
/// unambiguous there.
pub fn is_host_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_HOST_NAME_CHARS
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// This host's federation identity: its name and its Ed25519 key pair.
#[derive(Debug)]
pub struct HostIdentity {
    key: NamedKey,
}

impl HostIdentity {
    /// Generates an identity for host `name`, writes it to a new file at `path` (mode 0600, never overwriting) and
    /// returns the public key, `ed25519:<base64>`.
    pub fn create_file(path: &Path, name: &str) -> Result<String, FederationError> {
        NamedKey::create_file(&HOST_KEY, path, name).map_err(key_error)
    }

    /// Loads the identity key file at `path`.
    pub fn load(path: &Path) -> Result<Self, FederationError> {
        Ok(Self {
            key: NamedKey::load(&HOST_KEY, path).map_err(key_error)?,
        })
    }

    /// Reads identity key file contents; `source_name` names them in errors.
    pub fn from_file_contents(source_name: &str, contents: &[u8]) -> Result<Self, FederationError> {
        Ok(Self {
            key: NamedKey::from_file_contents(&HOST_KEY, source_name, contents)
                .map_err(key_error)?,
        })
    }

    /// Generates an identity in memory only, never written (tests, and tools that keep the key elsewhere).
    pub fn generate(name: &str) -> Result<Self, FederationError> {
        let new = NamedKey::generate(&HOST_KEY, name).map_err(key_error)?;
        Self::from_file_contents("new key", new.file_contents.as_bytes())
    }

    /// The host's name in federation.
    pub fn name(&self) -> &str {
        self.key.name()
    }

    /// The public key as peers list it, `ed25519:<base64>`.
    pub fn public_key(&self) -> String {
        self.key.public_key()
    }

    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message)
    }
}

fn key_error(e: NamedKeyError) -> FederationError {
    match e {
        NamedKeyError::Io { path, source } => FederationError::KeyFileIo { path, source },
        NamedKeyError::Exists(path) => FederationError::KeyFileExists(path),
        NamedKeyError::TooOpen { path, mode } => FederationError::KeyFileTooOpen { path, mode },
        NamedKeyError::Invalid {
            source_name,
            reason,
        } => FederationError::KeyFileInvalid {
            source_name,
            reason,
        },
        NamedKeyError::InvalidName(name) => FederationError::InvalidHostName(name),
        NamedKeyError::Random => FederationError::Random,
    }
}

/// One `[[peers]]` entry as written in `cohort.toml`, before any check. Every field is optional here so that a
/// missing one is reported with the entry's name and position ([`Peers::from_config`]) rather than as a bare
/// parse error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerConfig {
    /// The peer's host name (as in its identity key file).
    pub name: Option<String>,
    /// Its base URL, `http://` or `https://`, host and optional port and path.
    pub url: Option<String>,
    /// Its public key, `ed25519:<base64>`.
    pub public_key: Option<String>,
}

/// A checked peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    name: String,
    url: String,
    public_key: [u8; 32],
}

impl Peer {
    /// The peer's host name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its base URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its public key as configured, `ed25519:<base64>`.
    pub fn public_key(&self) -> String {
        named_key::public_key_text(&self.public_key)
    }

    pub(crate) fn key_bytes(&self) -> &[u8; 32] {
        &self.public_key
    }
}

/// The peers a host lists, checked: valid and unique names, valid URLs, valid and unique keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peers {
    by_name: BTreeMap<String, Peer>,
}

impl Peers {
    /// Checks the `[[peers]]` entries of the configuration. Errors name the entry (position and name) and field.
    pub fn from_config(entries: &[PeerConfig]) -> Result<Self, FederationError> {
        if entries.len() > MAX_PEERS {
            return Err(FederationError::PeerConfig {
                index: MAX_PEERS,
                peer: None,
                field: "name",
                reason: format!("is one peer too many: at most {MAX_PEERS} peers can be listed"),
            });
        }
        let mut by_name: BTreeMap<String, Peer> = BTreeMap::new();
        let mut positions: BTreeMap<String, usize> = BTreeMap::new();
        for (index, entry) in entries.iter().enumerate() {
            let peer = check_entry(index, entry)?;
            if let Some(first) = positions.get(&peer.name) {
                return Err(FederationError::DuplicatePeerName {
                    name: peer.name,
                    first: *first,
                    second: index,
                });
            }
            if let Some(other) = by_name.values().find(|p| p.public_key == peer.public_key) {
                return Err(FederationError::DuplicatePeerKey {
                    name: peer.name,
                    other: other.name.clone(),
                    second: index,
                });
            }
            positions.insert(peer.name.clone(), index);
            by_name.insert(peer.name.clone(), peer);
        }
        Ok(Self { by_name })
    }

    /// The peer named `name`, if listed.
    pub fn get(&self, name: &str) -> Option<&Peer> {
        self.by_name.get(name)
    }

    /// Every peer, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Peer> {
        self.by_name.values()
    }

    /// How many peers are listed.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no peer is listed.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

fn check_entry(index: usize, entry: &PeerConfig) -> Result<Peer, FederationError> {
    let usable_name = entry.name.as_deref().filter(|n| is_host_name(n));
    let fail = |field: &'static str, reason: String| FederationError::PeerConfig {
        index,
        peer: usable_name.map(str::to_owned),
        field,
        reason,
    };
    let name = match entry.name.as_deref() {
        None => return Err(fail("name", "is missing".into())),
        Some(n) if !is_host_name(n) => {
            return Err(fail(
                "name",
                format!(
                    "`{n}` is not a valid host name: {}",
                    crate::error::HOST_NAME_RULE
                ),
            ));
        }
        Some(n) => n.to_owned(),
    };
    let url = match entry.url.as_deref() {
        None => return Err(fail("url", "is missing".into())),
        Some(u) => check_url(u).map_err(|why| fail("url", why))?,
    };
    let public_key = match entry.public_key.as_deref() {
        None => {
            return Err(fail(
                "public_key",
                "is missing (the peer's `cohort peer keygen` prints it)".into(),
            ));
        }
        Some(k) => named_key::parse_public_key(k)
            .map_err(|why| fail("public_key", format!("is wrong: {why}")))?,
    };
    Ok(Peer {
        name,
        url,
        public_key,
    })
}

/// Checks a base URL: `http://` or `https://`, a host, no user info, query or fragment, no spaces or control
/// characters. Returns it without a trailing `/`. (No URL parser: the HTTP client that uses it parses it again;
/// this check is for early, clear configuration errors.)
fn check_url(url: &str) -> Result<String, String> {
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("is longer than {MAX_URL_CHARS} characters"));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("`{url}` does not start with `https://` or `http://`"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{url}` contains a space or control character"));
    }
    if url.contains(['?', '#']) {
        return Err(format!(
            "`{url}` has a query or fragment; give the base URL only"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(format!(
            "`{url}` has user info; peers authenticate by signature, not by URL credentials"
        ));
    }
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    if host.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The `[[peers]]` entry that other hosts add to list this one (what `cohort peer keygen` prints).
pub fn peers_entry(name: &str, url: &str, public_key: &str) -> String {
    format!("[[peers]]\nname = \"{name}\"\nurl = \"{url}\"\npublic_key = \"{public_key}\"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, url: &str, key: &str) -> PeerConfig {
        PeerConfig {
            name: Some(name.into()),
            url: Some(url.into()),
            public_key: Some(key.into()),
        }
    }

    fn key(byte: u8) -> String {
        named_key::public_key_text(&[byte; 32])
    }

    #[test]
    fn host_names() {
        for good in ["eu-west", "a", "us1", &"a".repeat(63)] {
            assert!(is_host_name(good), "{good}");
        }
        for bad in [
            "",
            "1eu",
            "EU",
            "eu_west",
            "eu-",
            "-eu",
            "eu west",
            "eu\nwest",
            &"a".repeat(64),
        ] {
            assert!(!is_host_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_keygen_entry_parses_back_from_toml() {
        #[derive(Deserialize)]
        struct File {
            peers: Vec<PeerConfig>,
        }
        let text = peers_entry("eu-west", "https://eu.example:8443/", &key(1));
        let file: File = toml::from_str(&text).unwrap();
        let peers = Peers::from_config(&file.peers).unwrap();
        let peer = peers.get("eu-west").unwrap();
        assert_eq!(peer.url(), "https://eu.example:8443");
        assert_eq!(peer.public_key(), key(1));
        assert_eq!(peers.len(), 1);
    }

    #[test]
    fn errors_name_the_entry_and_the_field() {
        let cases: Vec<(Vec<PeerConfig>, &[&str])> = vec![
            (
                vec![PeerConfig {
                    url: Some("https://a".into()),
                    public_key: Some(key(1)),
                    ..Default::default()
                }],
                &["peers[0]", "`name` is missing"],
            ),
            (
                vec![entry("EU", "https://a", &key(1))],
                &["peers[0]", "`name`", "`EU` is not a valid host name"],
            ),
            (
                vec![entry("eu", "ftp://a", &key(1))],
                &["peers[0] (`eu`)", "`url`", "https://"],
            ),
            (
                vec![entry("eu", "https://user:pw@a", &key(1))],
                &["(`eu`)", "`url`", "user info"],
            ),
            (
                vec![entry("eu", "https://a?x=1", &key(1))],
                &["(`eu`)", "`url`", "query"],
            ),
            (
                vec![entry("eu", "https://:80", &key(1))],
                &["(`eu`)", "`url`", "no host"],
            ),
            (
                vec![entry("eu", "https://a", "rsa:AAAA")],
                &["(`eu`)", "`public_key`", "ed25519:"],
            ),
            (
                vec![PeerConfig {
                    name: Some("eu".into()),
                    url: Some("https://a".into()),
                    public_key: None,
                }],
                &["(`eu`)", "`public_key` is missing"],
            ),
            (
                vec![
                    entry("eu", "https://a", &key(1)),
                    entry("us", "https://b", &key(2)),
                    entry("eu", "https://c", &key(3)),
                ],
                &["peers[2] (`eu`)", "already used by peers[0]"],
            ),
            (
                vec![
                    entry("eu", "https://a", &key(1)),
                    entry("us", "https://b", &key(1)),
                ],
                &["peers[1] (`us`)", "same as that of peer `eu`"],
            ),
        ];
        for (entries, expected) in cases {
            let err = Peers::from_config(&entries).unwrap_err().to_string();
            for part in expected {
                assert!(err.contains(part), "{err:?} lacks {part:?}");
            }
        }
    }

    #[test]
    fn identity_keys_are_private_files_that_name_their_host() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("eu.federation-key.json");
        let public = HostIdentity::create_file(&path, "eu-west").unwrap();
        let identity = HostIdentity::load(&path).unwrap();
        assert_eq!(identity.name(), "eu-west");
        assert_eq!(identity.public_key(), public);
        assert!(matches!(
            HostIdentity::create_file(&path, "eu-west"),
            Err(FederationError::KeyFileExists(_))
        ));
        assert!(matches!(
            HostIdentity::create_file(&dir.path().join("x"), "EU West"),
            Err(FederationError::InvalidHostName(_))
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = HostIdentity::load(&path).unwrap_err().to_string();
            assert!(
                err.contains("host identity key file") && err.contains("chmod 600"),
                "{err}"
            );
        }
        // A publisher key is not a host identity, though the file shape is shared.
        let publisher = r#"{"format":"cohort-publisher-key/v1","name":"acme","public_key":"ed25519:AA==","pkcs8":""}"#;
        let err = HostIdentity::from_file_contents("p", publisher.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains(HOST_KEY_FORMAT), "{err}");
    }
}
