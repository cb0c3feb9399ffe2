//! Segmentation runs: the only path by which profiles reach a segmenter plugin.
//!
//! This crate owns the data scope of a run (**API boundary:** plugins see only what [`projection`] hands them):
//! - only subjects with a lawful basis for the run's purpose: consent granted for consent purposes, no objection
//!   for legitimate-interest purposes, never a restricted subject;
//! - only the attributes and event types that both the plugin's manifest and the purpose allow;
//! - identities as run-scoped pseudonymous tokens (HMAC of the subject id under a key that lives only for the run),
//!   never an identifier, never the stored subject id.
//!
//! [`installed`] finds installed packages and loads them, auditing every refusal.
//!
//! It then records the memberships (sealed per subject), a run record, and an audit entry naming the package
//! hash, the purpose, the subjects seen and the attributes released. A plugin failure is audited too.

pub mod installed;
pub mod lawful;
pub mod projection;
mod run;

pub use run::{DEFAULT_CHUNK, RunReport, RunRequest, run_segmenter};

/// Errors of a segmentation run.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The plugin failed (limit, trap, protocol); the failure was audited.
    #[error(transparent)]
    Plugin(#[from] cohort_plugins::PluginError),
    /// The package is not allowed for the purpose.
    #[error(transparent)]
    NotAllowed(#[from] cohort_plugin_package::PackageError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] cohort_store::StoreError),
    /// The request is wrong (unknown purpose, bad config).
    #[error("{0}")]
    Invalid(String),
    /// No package of the plugin is installed.
    #[error(
        "no plugin `{plugin}` is installed in {} (install one with `cohort plugin install FILE`)",
        dir.display()
    )]
    NotInstalled {
        /// The plugin id asked for.
        plugin: String,
        /// The folder of installed packages.
        dir: std::path::PathBuf,
    },
}
