//! Plugin manifests, package files, publisher signatures and the policy's trust decisions.
//!
//! A plugin travels as one signed file, `<id>-<version>.cohort-plugin`, holding its manifest, its WebAssembly
//! component and an Ed25519 signature by its publisher (layout in [`package`], signed message in [`signature`];
//! also `docs/plugin-package-format.md`). Loading goes through four types, each of which can only be obtained
//! from the one before it:
//!
//! 1. [`Manifest`]: the manifest parsed and every rule checked ([`manifest`]);
//! 2. [`Package`]: a well-formed package file with a checked manifest ([`Package::from_bytes`], [`Package::build`]);
//! 3. [`VerifiedPackage`]: the signature is valid and its signer is the manifest's publisher ([`Package::verify`]);
//! 4. [`TrustedPackage`]: the policy trusts that publisher's key ([`authorise_load`]); then [`authorise_purpose`]
//!    decides, per run, whether the plugin may serve a purpose.
//!
//! Publishers keep their signing keys in their own key files ([`PublisherKey`]), separate from a host's keys.
//!
//! This crate deals in bytes, text and decisions only: it never runs plugin code (that is the sandbox's job) and
//! never reaches the network.

mod error;
pub mod limits;
mod locate;
pub mod manifest;
mod names;
pub mod package;
mod publisher_key;
pub mod signature;
mod trust;

pub use error::{ManifestProblem, PackageError, PluginRef};
pub use limits::{LimitRequests, Limits};
pub use manifest::{
    DataNeeds, Manifest, OutputDecl, PluginKind, SUPPORTED_INTERFACES, SegmentDecl,
};
pub use package::{MAX_PACKAGE_BYTES, PACKAGE_EXTENSION, Package, VerifiedPackage};
pub use publisher_key::{NewPublisherKey, PUBLISHER_KEY_FORMAT, PublisherKey};
pub use trust::{TrustedPackage, authorise_load, authorise_purpose};
