//! The crate's error type and the manifest problems it carries.
//!
//! Every message names what it is about (plugin id and version, publisher, purpose, policy, file) and, where there
//! is one, what to do about it.

use std::fmt;
use std::path::PathBuf;

/// One problem with a plugin manifest, located by its TOML key path (`plugin.id`, `segments[1].id`) and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestProblem {
    /// Dotted TOML key path, with `[i]` for array items; empty for the document as a whole.
    pub path: String,
    /// 1-based line in the manifest text, when the key is present in it.
    pub line: Option<usize>,
    /// What is wrong, as a sentence about the value at `path`.
    pub message: String,
}

impl fmt::Display for ManifestProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.path.is_empty(), self.line) {
            (true, Some(line)) => write!(f, "line {line}: {}", self.message),
            (true, None) => write!(f, "{}", self.message),
            (false, Some(line)) => write!(f, "`{}` (line {line}): {}", self.path, self.message),
            (false, None) => write!(f, "`{}`: {}", self.path, self.message),
        }
    }
}

/// Which plugin an error is about: its id and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginRef {
    /// The plugin id.
    pub id: String,
    /// The plugin version.
    pub version: String,
}

impl fmt::Display for PluginRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.id, self.version)
    }
}

/// The problems of one manifest, one per line, for [`PackageError::InvalidManifest`].
fn list(problems: &[ManifestProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("\n  - {p}"))
        .collect::<String>()
}

/// Everything that can go wrong reading, signing, verifying or authorising a plugin package.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The manifest does not parse or breaks a rule; every problem found is listed.
    #[error("the manifest of plugin `{plugin}` is invalid:{}", list(.problems))]
    InvalidManifest {
        /// The plugin id when it could be read, else `(unknown)`.
        plugin: String,
        /// Every problem, in the order of the manifest's keys where possible.
        problems: Vec<ManifestProblem>,
    },
    /// One part of a package, or the package as a whole, is larger than this host accepts.
    #[error("the {what} is {len} bytes, more than the {max} bytes a plugin package may hold")]
    TooLarge {
        /// Which part: `package`, `manifest`, `WebAssembly component` or `signature`.
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The largest accepted.
        max: usize,
    },
    /// The bytes are not a well-formed package file.
    #[error("not a valid Cohort plugin package: {reason}")]
    Malformed {
        /// What is wrong and at which byte offset.
        reason: String,
    },
    /// The code section does not start with the WebAssembly magic number.
    #[error(
        "the code of plugin {plugin} is not WebAssembly (it does not start with `\\0asm`); package the \
         `.wasm` file that `cargo build --target wasm32-unknown-unknown` produced"
    )]
    NotWasm {
        /// The plugin.
        plugin: Box<PluginRef>,
    },
    /// The package carries no signature.
    #[error(
        "plugin {plugin} is not signed; sign it with its publisher's key (`cohort plugin sign`)"
    )]
    Unsigned {
        /// The plugin.
        plugin: Box<PluginRef>,
    },
    /// The signature section is present but cannot be read.
    #[error("the signature of plugin {plugin} is malformed: {reason}")]
    MalformedSignature {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature does not verify: the content changed after signing, or the signature is not from that key.
    #[error(
        "the signature of plugin {plugin} by publisher `{publisher}` does not match the package: its \
         manifest or code was changed after signing, or it was not signed with the key it names"
    )]
    BadSignature {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// The publisher named in the signature.
        publisher: String,
    },
    /// The manifest names one publisher and the signature another.
    #[error(
        "plugin {plugin} declares publisher `{manifest_publisher}` in its manifest but is signed by \
         `{signature_publisher}`; a package must be signed by the publisher its manifest names"
    )]
    PublisherMismatch {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// `plugin.publisher` in the manifest.
        manifest_publisher: String,
        /// The publisher in the signature (or on the signing key).
        signature_publisher: String,
    },
    /// The policy does not list the publisher at all.
    #[error(
        "plugin {plugin} is signed by `{publisher}`, whose key is not trusted by policy `{policy}`: \
         the policy lists no publisher of that name under `plugins.trusted_publishers`"
    )]
    UntrustedPublisher {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// The signing publisher.
        publisher: String,
        /// The policy id.
        policy: String,
    },
    /// The policy lists the publisher with a different key.
    #[error(
        "plugin {plugin} is signed by `{publisher}` with key {key}, whose key is not trusted by policy \
         `{policy}`: the policy trusts `{publisher}` only with key {trusted_key}"
    )]
    UntrustedKey {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// The signing publisher.
        publisher: String,
        /// The key that signed, `ed25519:<base64>`.
        key: String,
        /// The key the policy lists for that publisher.
        trusted_key: String,
        /// The policy id.
        policy: String,
    },
    /// The purpose is not defined by the policy.
    #[error(
        "plugin {plugin} (publisher `{publisher}`) cannot run for purpose `{purpose}`: policy `{policy}` \
         defines no such purpose"
    )]
    UnknownPurpose {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// The publisher.
        publisher: String,
        /// The purpose asked for.
        purpose: String,
        /// The policy id.
        policy: String,
    },
    /// The policy does not allow the plugin for the purpose.
    #[error(
        "plugin {plugin} (publisher `{publisher}`) is not allowed for purpose `{purpose}` by policy \
         `{policy}`; it is allowed for: {}", names_or_none(.allowed)
    )]
    NotAllowedForPurpose {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// The publisher.
        publisher: String,
        /// The purpose asked for.
        purpose: String,
        /// The policy id.
        policy: String,
        /// The purposes the policy does allow it for.
        allowed: Vec<String>,
    },
    /// The plugin's manifest does not declare the purpose among those it is designed for.
    #[error(
        "plugin {plugin} (publisher `{publisher}`) is not designed for purpose `{purpose}`: its manifest \
         lists `data.purposes` {}", names_or_none(.declared)
    )]
    NotDesignedForPurpose {
        /// The plugin.
        plugin: Box<PluginRef>,
        /// The publisher.
        publisher: String,
        /// The purpose asked for.
        purpose: String,
        /// The purposes in the manifest's `[data]` section.
        declared: Vec<String>,
    },
    /// A publisher key file could not be read or written.
    #[error("publisher key file {path}: {source}")]
    KeyFileIo {
        /// The key file's path.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Creating a publisher key file would replace an existing one.
    #[error(
        "publisher key file {0} already exists; refusing to overwrite it (packages signed with it would no longer \
         match a new key)"
    )]
    KeyFileExists(PathBuf),
    /// The publisher key file is readable by other users.
    #[error(
        "publisher key file {path} has mode {mode:o}: group or others can access it; run `chmod 600 {path}`"
    )]
    KeyFileTooOpen {
        /// The key file's path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The publisher key file's content is not a valid publisher key.
    #[error("publisher key {source_name}: {reason}")]
    KeyFileInvalid {
        /// The key file's path, or a description of where the text came from.
        source_name: String,
        /// What is wrong with it (never the secret itself).
        reason: String,
    },
    /// The publisher name for a new key is not a valid name.
    #[error(
        "`{0}` is not a valid publisher name: use lower-case letters, digits and `-`, starting with a letter"
    )]
    InvalidPublisherName(String),
    /// The operating system's random generator failed.
    #[error("the system random generator failed")]
    Random,
}

fn names_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
