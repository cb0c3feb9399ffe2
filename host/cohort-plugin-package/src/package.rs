//! The package file: one plugin's manifest, WebAssembly component and signature in one file, and its reading,
//! writing, hashing, signing and signature verification.
//!
//! A package is named `<id>-<version>.cohort-plugin` ([`Package::file_name`]). Its bytes are:
//!
//! ```text
//! magic      17 bytes  "COHORT-PLUGIN\0v1\n"
//! manifest   u32 big-endian length, then the manifest TOML (UTF-8), at most 64 KiB
//! wasm       u32 big-endian length, then the WebAssembly component, at most 32 MiB
//! signature  u32 big-endian length, then the signature JSON, at most 4 KiB; length 0 means unsigned
//! ```
//!
//! Nothing may follow the signature section. The sections always come in this order, each exactly once. The
//! manifest is stored as its exact text, because that text is what is hashed and signed; the NUL byte in the magic
//! makes tools treat the file as binary, and `v1` is the format version.
//!
//! Reading ([`Package::from_bytes`]) checks the layout, the limits, the manifest (every rule of
//! [`crate::manifest`]), the WebAssembly magic number and the signature section's shape. Whether the signature is
//! valid is checked only by [`Package::verify`], which returns a [`VerifiedPackage`]; whether its publisher is
//! trusted is decided by [`crate::authorise_load`].

use ring::digest::{SHA256, digest};

use crate::error::PackageError;
use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};
use crate::publisher_key::PublisherKey;
use crate::signature::{Signature, public_key_text, signed_message};

/// The first bytes of every package file: the name, a NUL so that tools treat it as binary, the format version.
pub const PACKAGE_MAGIC: &[u8] = b"COHORT-PLUGIN\0v1\n";
/// The file name extension of package files.
pub const PACKAGE_EXTENSION: &str = "cohort-plugin";
/// Largest WebAssembly component in a package. The built-in Rust plugins are 15 KB to 1 MB and the Python one (a
/// whole CPython interpreter, componentize-py) about 18 MB; 32 MiB leaves room for that while bounding what the host
/// reads before the signature is checked.
pub const MAX_WASM_BYTES: usize = 32 * 1024 * 1024;
/// Largest signature section. The JSON of one Ed25519 signature is under 300 bytes.
pub const MAX_SIGNATURE_BYTES: usize = 4 * 1024;
/// Largest package file: the magic, three length fields and the largest sections.
pub const MAX_PACKAGE_BYTES: usize = PACKAGE_MAGIC.len()
    + 3 * LENGTH_BYTES
    + MAX_MANIFEST_BYTES
    + MAX_WASM_BYTES
    + MAX_SIGNATURE_BYTES;

/// Size of a section length field (u32, big-endian).
const LENGTH_BYTES: usize = 4;
/// The start of every WebAssembly binary, module or component.
const WASM_MAGIC: &[u8] = b"\0asm";
/// The magic up to the version, to tell "another format version" from "not a package".
const MAGIC_NAME: &[u8] = b"COHORT-PLUGIN\0";

/// A plugin package: a checked manifest, its exact text, the component bytes and, once signed, a signature whose
/// validity is not yet known.
#[derive(Clone)]
pub struct Package {
    manifest_text: String,
    manifest: Manifest,
    wasm: Vec<u8>,
    signature: Option<Signature>,
}

impl std::fmt::Debug for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package")
            .field("id", &self.manifest.id())
            .field("version", &self.manifest.version())
            .field("wasm_bytes", &self.wasm.len())
            .field("signed_by", &self.signature.as_ref().map(|s| &s.publisher))
            .finish()
    }
}

impl Package {
    /// Builds an unsigned package from manifest text and component bytes, checking both.
    pub fn build(manifest_text: &str, wasm: Vec<u8>) -> Result<Self, PackageError> {
        let manifest = Manifest::parse(manifest_text)?;
        check_wasm(&manifest, &wasm)?;
        Ok(Self {
            manifest_text: manifest_text.to_owned(),
            manifest,
            wasm,
            signature: None,
        })
    }

    /// Reads a package file's bytes, checking the layout, the limits, the manifest and the signature's shape.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PackageError> {
        if bytes.len() > MAX_PACKAGE_BYTES {
            return Err(PackageError::TooLarge {
                what: "package",
                len: bytes.len(),
                max: MAX_PACKAGE_BYTES,
            });
        }
        let Some(rest) = bytes.strip_prefix(PACKAGE_MAGIC) else {
            return Err(malformed(if bytes.starts_with(MAGIC_NAME) {
                "the package format version is not `v1`, the only one this host reads".to_owned()
            } else if bytes.starts_with(WASM_MAGIC) {
                "this is a bare WebAssembly file; package it with its manifest and sign it first"
                    .to_owned()
            } else {
                "the file does not start with the package magic `COHORT-PLUGIN\\0v1\\n`".to_owned()
            }));
        };
        let mut reader = Reader {
            bytes: rest,
            offset: PACKAGE_MAGIC.len(),
        };
        let manifest_bytes = reader.section("manifest", MAX_MANIFEST_BYTES)?;
        let wasm = reader.section("WebAssembly component", MAX_WASM_BYTES)?;
        let signature_bytes = reader.section("signature", MAX_SIGNATURE_BYTES)?;
        if !reader.bytes.is_empty() {
            return Err(malformed(format!(
                "{} unexpected bytes follow the signature section at byte {}",
                reader.bytes.len(),
                reader.offset
            )));
        }
        let manifest_text = std::str::from_utf8(manifest_bytes).map_err(|e| {
            malformed(format!(
                "the manifest section is not UTF-8 (from byte {} of the manifest)",
                e.valid_up_to()
            ))
        })?;
        let mut package = Self::build(manifest_text, wasm.to_vec())?;
        if !signature_bytes.is_empty() {
            let signature = Signature::from_bytes(signature_bytes).map_err(|reason| {
                PackageError::MalformedSignature {
                    plugin: package.manifest.plugin_ref(),
                    reason,
                }
            })?;
            package.signature = Some(signature);
        }
        Ok(package)
    }

    /// The package file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let signature = self
            .signature
            .as_ref()
            .map(Signature::to_bytes)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(
            PACKAGE_MAGIC.len()
                + 3 * LENGTH_BYTES
                + self.manifest_text.len()
                + self.wasm.len()
                + signature.len(),
        );
        out.extend_from_slice(PACKAGE_MAGIC);
        for section in [self.manifest_text.as_bytes(), &self.wasm, &signature] {
            // Every section was checked against a limit far below 4 GiB, so its length fits the u32 field.
            let len = u32::try_from(section.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(section);
        }
        out
    }

    /// The file name the package is stored under: `<id>-<version>.cohort-plugin`.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.{PACKAGE_EXTENSION}",
            self.manifest.id(),
            self.manifest.version()
        )
    }

    /// Lower-case hex of SHA-256(SHA-256(manifest text) ‖ SHA-256(wasm)): the identity of the code and manifest
    /// that audit entries record. It does not cover the signature, so re-signing keeps the same hash.
    pub fn sha256_hex(&self) -> String {
        let mut both = Vec::with_capacity(64);
        both.extend_from_slice(digest(&SHA256, self.manifest_text.as_bytes()).as_ref());
        both.extend_from_slice(digest(&SHA256, &self.wasm).as_ref());
        hex::encode(digest(&SHA256, &both))
    }

    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's exact text, as hashed and signed.
    pub fn manifest_text(&self) -> &str {
        &self.manifest_text
    }

    /// The WebAssembly component.
    pub fn wasm(&self) -> &[u8] {
        &self.wasm
    }

    /// The publisher the signature claims, before it is verified; `None` when unsigned.
    pub fn claimed_signer(&self) -> Option<&str> {
        self.signature.as_ref().map(|s| s.publisher.as_str())
    }

    /// Signs the package as `key`'s publisher, replacing any earlier signature. The key's publisher must be the
    /// one the manifest names: a package signed by anyone else would never verify.
    pub fn sign(&mut self, key: &PublisherKey) -> Result<(), PackageError> {
        if key.name() != self.manifest.publisher() {
            return Err(self.publisher_mismatch(key.name()));
        }
        let message = signed_message(self.manifest_text.as_bytes(), &self.wasm, key.name());
        self.signature = Some(key.sign_message(&message));
        Ok(())
    }

    /// Checks that the package is signed, that the signature is valid for its embedded public key over this
    /// manifest and code, and that the signer is the publisher the manifest names. Trust in that key is
    /// [`crate::authorise_load`]'s decision.
    pub fn verify(self) -> Result<VerifiedPackage, PackageError> {
        let Some(signature) = &self.signature else {
            return Err(PackageError::Unsigned {
                plugin: self.manifest.plugin_ref(),
            });
        };
        let message = signed_message(
            self.manifest_text.as_bytes(),
            &self.wasm,
            &signature.publisher,
        );
        if !signature.verifies(&message) {
            return Err(PackageError::BadSignature {
                plugin: self.manifest.plugin_ref(),
                publisher: signature.publisher.clone(),
            });
        }
        if signature.publisher != self.manifest.publisher() {
            return Err(self.publisher_mismatch(&signature.publisher));
        }
        let publisher = signature.publisher.clone();
        let public_key = signature.public_key;
        Ok(VerifiedPackage {
            package: self,
            publisher,
            public_key,
        })
    }

    fn publisher_mismatch(&self, signer: &str) -> PackageError {
        PackageError::PublisherMismatch {
            plugin: self.manifest.plugin_ref(),
            manifest_publisher: self.manifest.publisher().to_owned(),
            signature_publisher: signer.to_owned(),
        }
    }
}

/// A package whose signature is valid and whose signer is the publisher its manifest names. Whether the policy
/// trusts that publisher's key is not yet decided.
#[derive(Clone, Debug)]
pub struct VerifiedPackage {
    package: Package,
    publisher: String,
    public_key: [u8; 32],
}

impl VerifiedPackage {
    /// The package.
    pub fn package(&self) -> &Package {
        &self.package
    }

    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        self.package.manifest()
    }

    /// The publisher that signed it (equal to the manifest's publisher).
    pub fn publisher(&self) -> &str {
        &self.publisher
    }

    /// The signer's raw Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The signer's public key as a policy writes it, `ed25519:<base64>`.
    pub fn public_key_text(&self) -> String {
        public_key_text(&self.public_key)
    }

    /// Gives the package back, forgetting that it was verified.
    pub fn into_package(self) -> Package {
        self.package
    }
}

/// Walks the length-prefixed sections.
struct Reader<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes` in the whole file, for messages.
    offset: usize,
}

impl<'a> Reader<'a> {
    fn section(&mut self, name: &'static str, max: usize) -> Result<&'a [u8], PackageError> {
        let Some((length, rest)) = self.bytes.split_first_chunk::<LENGTH_BYTES>() else {
            return Err(malformed(format!(
                "the file ends at byte {} where the length of the {name} section should be",
                self.offset + self.bytes.len()
            )));
        };
        let len = usize::try_from(u32::from_be_bytes(*length)).unwrap_or(usize::MAX);
        if len > max {
            return Err(PackageError::TooLarge {
                what: name,
                len,
                max,
            });
        }
        let start = self.offset + LENGTH_BYTES;
        let Some((section, rest)) = rest.split_at_checked(len) else {
            return Err(malformed(format!(
                "the {name} section at byte {start} declares {len} bytes but only {} remain",
                rest.len()
            )));
        };
        self.bytes = rest;
        self.offset = start + len;
        Ok(section)
    }
}

fn check_wasm(manifest: &Manifest, wasm: &[u8]) -> Result<(), PackageError> {
    if wasm.len() > MAX_WASM_BYTES {
        return Err(PackageError::TooLarge {
            what: "WebAssembly component",
            len: wasm.len(),
            max: MAX_WASM_BYTES,
        });
    }
    if !wasm.starts_with(WASM_MAGIC) {
        return Err(PackageError::NotWasm {
            plugin: manifest.plugin_ref(),
        });
    }
    Ok(())
}

fn malformed(reason: String) -> PackageError {
    PackageError::Malformed { reason }
}
