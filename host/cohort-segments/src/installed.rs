//! Installed plugin packages: the folder `cohort plugin install` fills, the newest version of a plugin in it, and
//! the path from a package file to a plugin loaded in the sandbox, with every refusal on the way audited
//! (`plugin.refused`, with the reason's kind) before it is returned.
//!
//! `cohort segment run` and `POST /v1/segments/run` both come through here, so a package refused by one is refused
//! by the other with the same audit entry.

use crate::SegmentError;
use cohort_plugin_package::{MAX_PACKAGE_BYTES, PACKAGE_EXTENSION, Package, PackageError};
use cohort_plugin_package::{TrustedPackage, authorise_load};
use cohort_plugins::{LoadedPlugin, Runtime};
use cohort_policy::Policy;
use cohort_store::{AuditRecord, Store};
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Package files (`*.cohort-plugin`) in `dir`, sorted by path; none when the folder does not exist.
pub fn installed_packages(dir: &Path) -> Result<Vec<PathBuf>, SegmentError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, &e))?.path();
        if path.extension().is_some_and(|x| x == PACKAGE_EXTENSION) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// Reads the package file at `path` (at most [`MAX_PACKAGE_BYTES`]).
pub fn read_package(path: &Path) -> Result<Package, SegmentError> {
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let mut bytes = Vec::new();
    file.take(MAX_PACKAGE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e))?;
    Ok(Package::from_bytes(&bytes)?)
}

/// The package file of the newest installed version of plugin `id` in `dir` (versions compared number by number).
pub fn find_installed(dir: &Path, id: &str) -> Result<PathBuf, SegmentError> {
    let mut best: Option<(Vec<u64>, PathBuf)> = None;
    for path in installed_packages(dir)? {
        let package = read_package(&path)?;
        if package.manifest().id() != id {
            continue;
        }
        let version: Vec<u64> = package
            .manifest()
            .version()
            .split(['.', '-', '+'])
            .map_while(|p| p.parse().ok())
            .collect();
        if best.as_ref().is_none_or(|(v, _)| version > *v) {
            best = Some((version, path));
        }
    }
    best.map(|(_, p)| p)
        .ok_or_else(|| SegmentError::NotInstalled {
            plugin: id.to_owned(),
            dir: dir.to_owned(),
        })
}

/// The installed plugin `id`, verified and trusted under `policy`; a refusal (not installed, unreadable, unsigned,
/// bad signature, untrusted publisher) is audited as `plugin.refused` by `actor` before it is returned.
pub fn trusted_installed(
    store: &Store,
    policy: &Policy,
    actor: &str,
    dir: &Path,
    id: &str,
) -> Result<TrustedPackage, SegmentError> {
    let trusted = find_installed(dir, id).and_then(|path| trusted_file(policy, &path));
    trusted.or_else(|e| {
        audit_refusal(store, policy, actor, id, None, refusal_reason(&e))?;
        Err(e)
    })
}

fn trusted_file(policy: &Policy, path: &Path) -> Result<TrustedPackage, SegmentError> {
    let verified = read_package(path)?.verify()?;
    Ok(authorise_load(&verified, policy)?)
}

/// Loads a trusted package into the sandbox; a refusal at load (not a component, a forbidden import) is audited
/// as `plugin.refused` by `actor` before it is returned.
pub fn load_audited(
    store: &Store,
    policy: &Policy,
    actor: &str,
    runtime: &Runtime,
    package: &TrustedPackage,
) -> Result<LoadedPlugin, SegmentError> {
    runtime.load(package).or_else(|e| {
        let plugin = format!(
            "{}@{}",
            package.manifest().id(),
            package.manifest().version()
        );
        audit_refusal(
            store,
            policy,
            actor,
            &plugin,
            Some(package.sha256_hex()),
            e.kind(),
        )?;
        Err(e.into())
    })
}

/// The kind of a refusal as the audit entry names it.
fn refusal_reason(e: &SegmentError) -> &'static str {
    match e {
        SegmentError::NotAllowed(
            PackageError::UntrustedPublisher { .. } | PackageError::UntrustedKey { .. },
        ) => "untrusted",
        SegmentError::NotAllowed(PackageError::Unsigned { .. }) => "unsigned",
        SegmentError::NotAllowed(PackageError::BadSignature { .. }) => "bad_signature",
        SegmentError::NotAllowed(_) => "invalid_package",
        _ => "not_found",
    }
}

fn audit_refusal(
    store: &Store,
    policy: &Policy,
    actor: &str,
    plugin: &str,
    package_sha256: Option<String>,
    reason: &str,
) -> Result<(), SegmentError> {
    let mut record = AuditRecord::new(actor, "plugin.refused", Some(policy.sha256_hex()))
        .detail("plugin", plugin.to_owned());
    if let Some(sha) = package_sha256 {
        record = record.detail("package_sha256", sha);
    }
    store.audit(record.detail("reason", reason.to_owned()))?;
    Ok(())
}

fn io_error(path: &Path, e: &std::io::Error) -> SegmentError {
    SegmentError::Invalid(format!("{}: {e}", path.display()))
}
