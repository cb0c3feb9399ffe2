//! Trust decisions against the policy: which verified packages the host may load, and for which purposes a loaded
//! plugin may run.
//!
//! - [`authorise_load`]: the package's signer must be listed under `plugins.trusted_publishers` with exactly the
//!   key that signed it (Art. 32(1): only code from a publisher the controller chose runs on personal data).
//! - [`authorise_purpose`]: the purpose must exist in the policy, `plugins.allow` must list the plugin for it
//!   (Art. 5(1)(b) purpose limitation), and a segmenter's manifest must list it in `data.purposes` (what the
//!   plugin was designed for). The publisher's trust is checked again against the policy given, so a package
//!   loaded under one policy is not run under a later one that no longer trusts its publisher.
//!
//! **Invariant:** a [`TrustedPackage`] exists only after [`authorise_load`] accepted it.

use cohort_policy::Policy;

use crate::error::PackageError;
use crate::manifest::{Manifest, PluginKind};
use crate::package::{Package, VerifiedPackage};
use crate::signature::public_key_text;

/// A verified package whose signer the policy trusts.
#[derive(Clone, Debug)]
pub struct TrustedPackage {
    verified: VerifiedPackage,
    policy_id: String,
    policy_sha256_hex: String,
}

impl TrustedPackage {
    /// The verified package.
    pub fn verified(&self) -> &VerifiedPackage {
        &self.verified
    }

    /// The package.
    pub fn package(&self) -> &Package {
        self.verified.package()
    }

    /// The checked manifest.
    pub fn manifest(&self) -> &Manifest {
        self.verified.manifest()
    }

    /// The WebAssembly component.
    pub fn wasm(&self) -> &[u8] {
        self.verified.package().wasm()
    }

    /// The package hash that audit entries record (see [`Package::sha256_hex`]).
    pub fn sha256_hex(&self) -> String {
        self.verified.package().sha256_hex()
    }

    /// The trusted publisher that signed it.
    pub fn publisher(&self) -> &str {
        self.verified.publisher()
    }

    /// The id of the policy that authorised loading it.
    pub fn policy_id(&self) -> &str {
        &self.policy_id
    }

    /// The SHA-256 (hex) of the policy file that authorised loading it.
    pub fn policy_sha256_hex(&self) -> &str {
        &self.policy_sha256_hex
    }
}

/// Accepts a verified package for loading when `policy` trusts its signer's key under the signer's name.
pub fn authorise_load(
    pkg: &VerifiedPackage,
    policy: &Policy,
) -> Result<TrustedPackage, PackageError> {
    check_publisher(pkg, policy)?;
    Ok(TrustedPackage {
        verified: pkg.clone(),
        policy_id: policy.id().to_owned(),
        policy_sha256_hex: policy.sha256_hex().to_owned(),
    })
}

/// Accepts running a trusted plugin for `purpose` under `policy`.
pub fn authorise_purpose(
    pkg: &TrustedPackage,
    policy: &Policy,
    purpose: &str,
) -> Result<(), PackageError> {
    let verified = pkg.verified();
    check_publisher(verified, policy)?;
    let manifest = verified.manifest();
    let plugin = manifest.plugin_ref();
    let publisher = verified.publisher().to_owned();
    if policy.purpose(purpose).is_none() {
        return Err(PackageError::UnknownPurpose {
            plugin,
            publisher,
            purpose: purpose.to_owned(),
            policy: policy.id().to_owned(),
        });
    }
    let rules = policy.plugins();
    if !rules.is_allowed(manifest.id(), purpose) {
        return Err(PackageError::NotAllowedForPurpose {
            plugin,
            publisher,
            purpose: purpose.to_owned(),
            policy: policy.id().to_owned(),
            allowed: rules.purposes_of(manifest.id()).to_vec(),
        });
    }
    // Connectors have no `[data]` section: what they may emit is checked record by record on ingest.
    if manifest.kind() == PluginKind::Segmenter {
        let declared = manifest
            .data()
            .map(|d| d.purposes.as_slice())
            .unwrap_or_default();
        if !declared.iter().any(|p| p == purpose) {
            return Err(PackageError::NotDesignedForPurpose {
                plugin,
                publisher,
                purpose: purpose.to_owned(),
                declared: declared.to_vec(),
            });
        }
    }
    Ok(())
}

/// The signer must be listed by name, with the very key that signed.
fn check_publisher(pkg: &VerifiedPackage, policy: &Policy) -> Result<(), PackageError> {
    let manifest = pkg.manifest();
    match policy.plugins().publisher_key(pkg.publisher()) {
        Some(trusted) if trusted == pkg.public_key() => Ok(()),
        Some(trusted) => Err(PackageError::UntrustedKey {
            plugin: manifest.plugin_ref(),
            publisher: pkg.publisher().to_owned(),
            key: pkg.public_key_text(),
            trusted_key: public_key_text(trusted),
            policy: policy.id().to_owned(),
        }),
        None => Err(PackageError::UntrustedPublisher {
            plugin: manifest.plugin_ref(),
            publisher: pkg.publisher().to_owned(),
            policy: policy.id().to_owned(),
        }),
    }
}
