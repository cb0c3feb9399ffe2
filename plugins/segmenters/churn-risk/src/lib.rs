//! Cohort's churn-risk segmenter: a transparent score in [0, 1] from named, weighted components —
//! `recency` against the expected gap between orders, `frequency_trend`, `spend_trend`,
//! `engagement_trend` (the last window against the one before) and `nps_detractor` — and the segments
//! `high_churn_risk`, `medium_churn_risk` and `low_churn_risk` by configurable thresholds (DOMAIN.md §7).
//!
//! [`logic`] defines every component and the score exactly; [`reasons`] names the components that add the
//! most, with their numbers. The assignment's score is the churn-risk score itself, in every band. A
//! profile's risk depends on that profile alone, so assignments are returned from `add` at once.

pub mod config;
pub mod error;
pub mod logic;
pub mod reasons;
pub mod signals;

use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter};

use crate::config::ChurnConfig;
use crate::error::ChurnError;
use crate::logic::Band;
use crate::signals::Signals;

/// One churn-risk run.
#[derive(Debug)]
pub struct ChurnRisk {
    config: ChurnConfig,
    now: i64,
    /// Order times of the profile being scored, reused between profiles.
    times: Vec<i64>,
}

impl ChurnRisk {
    /// Starts a run; the same as [`Segmenter::start`] but with the typed error.
    pub fn new(config: &str, ctx: &RunContext) -> Result<Self, ChurnError> {
        Ok(Self {
            config: ChurnConfig::parse(config)?,
            now: ctx.now,
            times: Vec::new(),
        })
    }

    /// Scores one profile.
    pub fn assign(&mut self, profile: Profile) -> Assignment {
        let signals = Signals::of(&profile, self.now, self.config.window_days, &mut self.times);
        let assessment = logic::assess(&signals, &self.config);
        Assignment {
            token: profile.token,
            segment: assessment.band.id().to_owned(),
            score: assessment.score,
            reasons: reasons::reasons(&assessment, &signals, &self.config),
        }
    }
}

/// The segments this plugin emits: the three bands, whatever the configuration.
pub fn segment_defs() -> Vec<SegmentDef> {
    Band::ALL
        .iter()
        .map(|band| SegmentDef {
            id: band.id().to_owned(),
            description: band.description().to_owned(),
        })
        .collect()
}

impl Segmenter for ChurnRisk {
    fn segments(config: &str) -> Result<Vec<SegmentDef>, String> {
        ChurnConfig::parse(config).map_err(|e| e.to_string())?;
        Ok(segment_defs())
    }

    fn start(config: &str, ctx: RunContext) -> Result<Self, String> {
        Self::new(config, &ctx).map_err(|e| e.to_string())
    }

    fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String> {
        out.reserve(profiles.len());
        for profile in profiles {
            let assignment = self.assign(profile);
            out.push(assignment);
        }
        Ok(())
    }
}

cohort_plugin_sdk::export_segmenter!(ChurnRisk);
