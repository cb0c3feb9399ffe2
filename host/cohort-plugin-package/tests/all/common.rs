//! Helpers shared by the integration tests: fixture manifests, fake component bytes, publisher keys, signed
//! packages and policy files that trust a key generated at run time.

use std::path::{Path, PathBuf};

use cohort_plugin_package::{Package, PublisherKey};
use cohort_policy::Policy;

/// The placeholder in `tests/fixtures/policies/with-plugins.yaml` that [`write_policy_trusting`] replaces.
pub const KEY_PLACEHOLDER: &str = "ed25519:PLACEHOLDER";

/// The crate's own fixture folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A valid manifest from `tests/fixtures/manifests/valid/<name>.toml`.
pub fn valid_manifest(name: &str) -> String {
    let path = fixtures()
        .join("manifests/valid")
        .join(format!("{name}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Small fake component bytes: the WebAssembly component preamble and a recognisable body. Nothing here runs
/// them; the sandbox's tests use real components built from `plugins/`.
pub fn fake_wasm() -> Vec<u8> {
    let mut wasm = b"\0asm\x0d\x00\x01\x00".to_vec();
    wasm.extend_from_slice(b"fake component body for package tests");
    wasm
}

/// A fresh publisher key, kept in memory.
pub fn new_key(name: &str) -> PublisherKey {
    let new = PublisherKey::generate(name).unwrap();
    PublisherKey::from_file_contents("test key", new.file_contents.as_bytes()).unwrap()
}

/// A package of `manifest` and [`fake_wasm`], signed by `key`.
pub fn signed(manifest: &str, key: &PublisherKey) -> Package {
    let mut package = Package::build(manifest, fake_wasm()).unwrap();
    package.sign(key).unwrap();
    package
}

/// Writes `tests/fixtures/policies/with-plugins.yaml` into `dir` with its placeholder publisher key replaced by
/// `public_key` (`ed25519:<base64>`), and returns the file's path.
pub fn write_policy_trusting(dir: &Path, public_key: &str) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/policies/with-plugins.yaml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    assert_eq!(
        text.matches(KEY_PLACEHOLDER).count(),
        1,
        "the fixture must hold the placeholder exactly once"
    );
    let path = dir.join("with-plugins.yaml");
    std::fs::write(&path, text.replace(KEY_PLACEHOLDER, public_key)).unwrap();
    path
}

/// The fixture policy, trusting `cohort-builtin` with `public_key`.
pub fn policy_trusting(public_key: &str) -> Policy {
    let dir = tempfile::tempdir().unwrap();
    let path = write_policy_trusting(dir.path(), public_key);
    cohort_policy::load_policy(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// Replaces the signature section of package bytes (the last section) with `section`.
pub fn with_signature_section(package: &[u8], section: &[u8]) -> Vec<u8> {
    let (without, old_len) = split_last_section(package);
    assert!(old_len <= package.len());
    let mut out = without.to_vec();
    out.extend_from_slice(&u32::try_from(section.len()).unwrap().to_be_bytes());
    out.extend_from_slice(section);
    out
}

/// The package bytes up to the signature section's length field, and that section's length.
fn split_last_section(package: &[u8]) -> (&[u8], usize) {
    // Walk the documented layout: magic, then three (u32 big-endian length, bytes) sections.
    let mut at = cohort_plugin_package::package::PACKAGE_MAGIC.len();
    for _ in 0..2 {
        let len = u32::from_be_bytes(package[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + len;
    }
    let len = u32::from_be_bytes(package[at..at + 4].try_into().unwrap()) as usize;
    assert_eq!(
        at + 4 + len,
        package.len(),
        "the signature section ends the file"
    );
    (&package[..at], len)
}

/// The byte range of the WebAssembly section's content in package bytes.
pub fn wasm_range(package: &[u8]) -> std::ops::Range<usize> {
    let mut at = cohort_plugin_package::package::PACKAGE_MAGIC.len();
    let manifest_len = u32::from_be_bytes(package[at..at + 4].try_into().unwrap()) as usize;
    at += 4 + manifest_len;
    let wasm_len = u32::from_be_bytes(package[at..at + 4].try_into().unwrap()) as usize;
    at + 4..at + 4 + wasm_len
}
