//! Everything that leaves a Cohort host about people, and the rules it leaves under.
//!
//! Two kinds of output exist, and this crate is the only path to either:
//! - **aggregates** ([`count`]): members of a segment counted, and measures summed, per group of up to two
//!   dimensions; released through the thresholds of `cohort-aggregate` (`min_group_size` with complementary
//!   suppression, `min_export_size` for the segment as a whole), then, where the policy enables differential
//!   privacy, noised ([`dp`]) and charged to the requester's and the host's privacy budgets in the store; every
//!   release and refusal is audited;
//! - **per-subject exports** ([`export`]): for `per_subject` purposes only, consenting members only, the purpose's
//!   contact identifiers only, and only at `min_export_size` or more.
//!
//! `segment list` ([`list`]) shows segments with their sizes through the same thresholds, and a run's report is
//! shown the same way ([`run_view`]).
//!
//! **Architecture invariant:** every number about people that this crate returns went through
//! `cohort_aggregate`'s thresholding first; every identifier it returns belongs to a subject whose consent for the
//! export's purpose is granted at the moment of the export.

pub mod count;
pub mod dp;
pub mod export;
pub mod list;
mod measure;
mod members;
pub mod run_view;
pub mod segment_ref;

pub use count::{CountReport, CountRequest, CountRow, MeasureValue, RowKind, count_segment};
pub use dp::{DpSummary, StatisticNoise};
pub use export::{Export, ExportRequest, export_segment};
pub use list::{ListedRun, ListedSegment, list_segments};
pub use measure::NOT_SET;
pub use run_view::RunView;
pub use segment_ref::{RunInfo, SegmentRef};

use cohort_policy::{Policy, Purpose};

/// Errors of an output.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The request is wrong (an attribute the purpose does not allow, too many dimensions, ...).
    #[error("{0}")]
    Invalid(String),
    /// The purpose is not in the policy.
    #[error("unknown purpose `{purpose}`; the policy declares: {declared}")]
    UnknownPurpose {
        /// As asked.
        purpose: String,
        /// The policy's purposes.
        declared: String,
    },
    /// No run of any plugin emitted the segment under the purpose.
    #[error(
        "no segment `{name}` under purpose `{purpose}`{}",
        if known.is_empty() {
            format!("; no segmenter has run for `{purpose}` yet (run `cohort segment run PLUGIN --purpose {purpose}`)")
        } else {
            format!("; known segments: {}", known.join(", "))
        }
    )]
    UnknownSegment {
        /// As asked.
        name: String,
        /// The purpose.
        purpose: String,
        /// Segments of the latest runs under the purpose, `plugin/segment`.
        known: Vec<String>,
    },
    /// Several plugins emit a segment of that name.
    #[error("segment `{name}` is emitted by several plugins; name one of: {}", candidates.join(", "))]
    AmbiguousSegment {
        /// As asked.
        name: String,
        /// `plugin/segment` candidates.
        candidates: Vec<String>,
    },
    /// Export asked for a purpose that releases aggregates only.
    #[error(
        "purpose `{purpose}` has `outputs: aggregate_only`: only thresholded statistics leave the host for it \
         (use `cohort segment count`); exports need a purpose marked `per_subject`"
    )]
    NotPerSubject {
        /// The purpose.
        purpose: String,
    },
    /// The export would hold fewer subjects than the policy allows.
    #[error(
        "export of `{segment}` refused: it would hold fewer than {min} subjects (`aggregates.min_export_size`)"
    )]
    ExportTooSmall {
        /// `plugin/segment`.
        segment: String,
        /// The policy's minimum.
        min: u64,
    },
    /// The query would overspend a privacy budget; nothing was released or charged.
    #[error(
        "privacy budget exceeded for {scope} ({period}): spent ε {spent} of {limit}, this query asks ε {asked}; \
         nothing was released or charged"
    )]
    BudgetExceeded {
        /// `requester:<name>` or `host`.
        scope: String,
        /// `day:...` or `month:...`.
        period: String,
        /// Spent so far.
        spent: f64,
        /// The limit.
        limit: f64,
        /// What the query asks.
        asked: f64,
    },
    /// Stored data does not have the expected shape.
    #[error("corrupt store data: {0}")]
    Corrupt(String),
    /// The thresholding refused the table.
    #[error(transparent)]
    Aggregate(#[from] cohort_aggregate::AggregateError),
    /// Noise could not be drawn.
    #[error(transparent)]
    Noise(#[from] cohort_noise::NoiseError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] cohort_store::StoreError),
}

/// The purpose `id` of the policy, or an error listing the declared ones.
pub(crate) fn purpose<'p>(policy: &'p Policy, id: &str) -> Result<&'p Purpose, OutputError> {
    policy
        .purpose(id)
        .ok_or_else(|| OutputError::UnknownPurpose {
            purpose: id.to_owned(),
            declared: policy
                .purposes()
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}
