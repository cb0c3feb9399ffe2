//! Cohort's RFM segmenter: recency, frequency and monetary quintile scores and the classic RFM segments
//! (DOMAIN.md §6).
//!
//! - **R** is the number of whole days from the run's `now` to the customer's latest `order_completed`
//!   (fewer is better), **F** the number of orders, **M** the total spend under the spend rule of
//!   [`cohort_plugin_kit::commerce::spend`]. Events after `now` are ignored.
//! - Each dimension is scored 1–5 by quintile with equal values getting equal scores; [`quintile`] says
//!   exactly how the cut points are computed.
//! - The segment is the cell of the R × F grid (or R × mean(F, M), config `grid_axis`) in [`grid`], with
//!   `lost` carved out of R1 F1 unless `lost_from_r1f1` is false. Profiles without an order are not scored
//!   and go to `no_orders` (unless `no_orders_segment` is false).
//! - The assignment score is `(R + F + M − 3) / 12`.
//!
//! Quintiles need the whole population, so [`add`](Segmenter::add) keeps a 24-byte [`OrderSummary`] and the
//! token per customer and [`finish`](Segmenter::finish) scores them all. The population step is the plain
//! function [`logic::score_customers`] (cut points in [`logic::RfmCuts`]), which the host benchmarks natively;
//! [`summary::summarise`] is the per-profile step and [`reasons::reasons`] the text.

pub mod config;
pub mod error;
pub mod grid;
pub mod logic;
pub mod quintile;
pub mod reasons;
pub mod summary;

use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter};

use crate::config::RfmConfig;
use crate::error::RfmError;
use crate::grid::RfmSegment;
use crate::summary::OrderSummary;

/// The most customers one run may hold. At about 80 bytes per customer natively (token and summary) this
/// is 1.6 GB, far beyond the memory the host grants a plugin; it exists so that a runaway input fails with
/// a clear error rather than an allocation failure, which aborts a Wasm plugin.
pub const MAX_CUSTOMERS: usize = 20_000_000;

/// One RFM run.
#[derive(Debug)]
pub struct Rfm {
    config: RfmConfig,
    now: i64,
    /// Tokens of the scored customers, index-aligned with `customers`.
    tokens: Vec<String>,
    customers: Vec<OrderSummary>,
    finished: bool,
}

impl Rfm {
    /// Starts a run; the same as [`Segmenter::start`] but with the typed error.
    pub fn new(config: &str, ctx: &RunContext) -> Result<Self, RfmError> {
        Ok(Self {
            config: RfmConfig::parse(config)?,
            now: ctx.now,
            tokens: Vec::new(),
            customers: Vec::new(),
            finished: false,
        })
    }

    /// Takes in one chunk; profiles without orders are final at once and go to `out`.
    pub fn add_profiles(
        &mut self,
        profiles: Vec<Profile>,
        out: &mut Vec<Assignment>,
    ) -> Result<(), RfmError> {
        if self.finished {
            return Err(RfmError::AddAfterFinish);
        }
        for profile in profiles {
            match summary::summarise(&profile.events, self.now) {
                Some(customer) => {
                    if self.customers.len() >= MAX_CUSTOMERS {
                        return Err(RfmError::TooManyCustomers {
                            limit: MAX_CUSTOMERS,
                        });
                    }
                    self.tokens.push(profile.token);
                    self.customers.push(customer);
                }
                None if self.config.no_orders_segment => out.push(Assignment {
                    token: profile.token,
                    segment: RfmSegment::NoOrders.id().to_owned(),
                    score: 0.0,
                    reasons: vec![reasons::NO_ORDERS_REASON.to_owned()],
                }),
                None => {}
            }
        }
        Ok(())
    }

    /// Scores everyone added so far and appends their assignments to `out`, in the order they were added.
    ///
    /// Scores are computed one customer at a time against the run's cut points rather than collected
    /// first: with a million customers every byte per customer counts against the plugin's memory, which
    /// also holds every assignment until the host drains them.
    pub fn finish_into(&mut self, out: &mut Vec<Assignment>) {
        self.finished = true;
        let tokens = std::mem::take(&mut self.tokens);
        let customers = std::mem::take(&mut self.customers);
        let Some(cuts) = logic::RfmCuts::of(self.now, &customers) else {
            return;
        };
        out.reserve(customers.len());
        for (token, customer) in tokens.into_iter().zip(&customers) {
            let score = cuts.score(self.now, customer, &self.config);
            out.push(Assignment {
                token,
                segment: score.segment.id().to_owned(),
                score: score.score,
                reasons: reasons::reasons(&score, customer, &self.config),
            });
        }
    }
}

/// The segments emitted under `config`: the ten grid segments, plus `lost` and `no_orders` when enabled.
pub fn segment_defs(config: &RfmConfig) -> Vec<SegmentDef> {
    RfmSegment::ALL
        .iter()
        .filter(|segment| match segment {
            RfmSegment::Lost => config.lost_from_r1f1,
            RfmSegment::NoOrders => config.no_orders_segment,
            _ => true,
        })
        .map(|segment| SegmentDef {
            id: segment.id().to_owned(),
            description: segment.description().to_owned(),
        })
        .collect()
}

impl Segmenter for Rfm {
    fn segments(config: &str) -> Result<Vec<SegmentDef>, String> {
        let config = RfmConfig::parse(config).map_err(|e| e.to_string())?;
        Ok(segment_defs(&config))
    }

    fn start(config: &str, ctx: RunContext) -> Result<Self, String> {
        Self::new(config, &ctx).map_err(|e| e.to_string())
    }

    fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String> {
        self.add_profiles(profiles, out).map_err(|e| e.to_string())
    }

    fn finish(&mut self, out: &mut Vec<Assignment>) -> Result<(), String> {
        self.finish_into(out);
        Ok(())
    }
}

cohort_plugin_sdk::export_segmenter!(Rfm);
