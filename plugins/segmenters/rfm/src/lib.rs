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
//! token per customer, [`finish`](Segmenter::finish) computes the cut points, and [`drain`](Segmenter::drain)
//! scores the customers a page at a time as the host asks, reasons included: a run never holds more than one
//! page of assignments. The population step is the plain function [`logic::score_customers`] (cut points in
//! [`logic::RfmCuts`]); [`summary::summarise`] is the per-profile step and [`reasons::reasons`] the text. The host
//! benchmarks this crate natively ([`Rfm::finish_into`]) against its WebAssembly build.

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
    /// Tokens of the scored customers, index-aligned with `customers`. Each is taken (left empty) when its
    /// assignment leaves.
    tokens: Vec<String>,
    customers: Vec<OrderSummary>,
    finished: bool,
    /// The cut points, once `finish` has computed them (`None` before, or when nobody had an order).
    cuts: Option<logic::RfmCuts>,
    /// The next customer to score.
    next: usize,
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
            cuts: None,
            next: 0,
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

    /// Ends the input and computes the cut points; the assignments then leave through
    /// [`Rfm::drain_into`].
    pub fn finish_scoring(&mut self) {
        self.finished = true;
        self.cuts = logic::RfmCuts::of(self.now, &self.customers);
        self.next = 0;
    }

    /// Scores up to `max` more customers, in the order they were added, and appends their assignments to `out`;
    /// appends nothing once every customer has left (or before [`Rfm::finish_scoring`]).
    ///
    /// Scores are computed one customer at a time against the run's cut points, and reasons are written only
    /// here: with a million customers the run keeps a token and 24 bytes per customer, never a million
    /// assignments.
    pub fn drain_into(&mut self, max: usize, out: &mut Vec<Assignment>) {
        let Some(cuts) = self.cuts else {
            return;
        };
        let end = self.next.saturating_add(max).min(self.customers.len());
        out.reserve(end - self.next);
        for (token, customer) in self.tokens[self.next..end]
            .iter_mut()
            .zip(&self.customers[self.next..end])
        {
            let score = cuts.score(self.now, customer, &self.config);
            out.push(Assignment {
                token: std::mem::take(token),
                segment: score.segment.id().to_owned(),
                score: score.score,
                reasons: reasons::reasons(&score, customer, &self.config),
            });
        }
        self.next = end;
        if self.next == self.customers.len() {
            // Everyone has left: give the memory back for whatever the run does next.
            self.tokens = Vec::new();
            self.customers = Vec::new();
            self.cuts = None;
        }
    }

    /// Scores everyone added so far and appends all their assignments to `out` at once, in the order they were
    /// added: [`Rfm::finish_scoring`] then [`Rfm::drain_into`] without a page limit.
    pub fn finish_into(&mut self, out: &mut Vec<Assignment>) {
        self.finish_scoring();
        self.drain_into(usize::MAX, out);
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

    fn finish(&mut self, _out: &mut Vec<Assignment>) -> Result<(), String> {
        self.finish_scoring();
        Ok(())
    }

    fn drain(&mut self, max: usize, out: &mut Vec<Assignment>) {
        self.drain_into(max, out);
    }
}

cohort_plugin_sdk::export_segmenter!(Rfm);
