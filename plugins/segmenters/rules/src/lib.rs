//! Cohort's rules segmenter: named segments defined in the configuration, each a condition tree over the
//! profile's attributes (demographic `age_band`, geographic `country`/`city`, technographic `device_type`,
//! psychographic `interest`, ...) and events (behavioural: counts of `order_completed`, `page_viewed`, ...
//! in a time window, filtered by a property).
//!
//! - [`config`]: the configuration — segments with id, description and condition; `first_match`.
//! - [`condition`]: the condition language and its parser, whose errors name the JSON path at fault.
//! - [`eval`]: how values compare, how missing data behaves, and the reasons given for a match.
//!
//! A profile's memberships depend on that profile alone, so assignments are returned from `add` at once.
//! Rules are crisp: every member scores 1. A profile that matches no segment gets no assignment.

pub mod condition;
pub mod config;
pub mod error;
pub mod eval;
pub mod vocabulary;

use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter};

use crate::config::RulesConfig;
use crate::error::RulesError;

/// Every member of a rule segment scores 1.
const MEMBER_SCORE: f64 = 1.0;

/// One rules run.
#[derive(Debug)]
pub struct Rules {
    config: RulesConfig,
    now: i64,
}

impl Rules {
    /// Starts a run; the same as [`Segmenter::start`] but with the typed error.
    pub fn new(config: &str, ctx: &RunContext) -> Result<Self, RulesError> {
        Ok(Self {
            config: RulesConfig::parse(config)?,
            now: ctx.now,
        })
    }

    /// Adds the memberships of one profile to `out`.
    pub fn assign(&self, profile: &Profile, out: &mut Vec<Assignment>) {
        for segment in &self.config.segments {
            if segment.condition.matches(profile, self.now) {
                out.push(Assignment {
                    token: profile.token.clone(),
                    segment: segment.id.clone(),
                    score: MEMBER_SCORE,
                    reasons: segment.condition.explain(profile, self.now),
                });
                if self.config.first_match {
                    return;
                }
            }
        }
    }
}

/// The segments a configuration defines.
pub fn segment_defs(config: &RulesConfig) -> Vec<SegmentDef> {
    config
        .segments
        .iter()
        .map(|s| SegmentDef {
            id: s.id.clone(),
            description: s.description.clone(),
        })
        .collect()
}

impl Segmenter for Rules {
    fn segments(config: &str) -> Result<Vec<SegmentDef>, String> {
        let config = RulesConfig::parse(config).map_err(|e| e.to_string())?;
        Ok(segment_defs(&config))
    }

    fn start(config: &str, ctx: RunContext) -> Result<Self, String> {
        Self::new(config, &ctx).map_err(|e| e.to_string())
    }

    fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String> {
        for profile in &profiles {
            self.assign(profile, out);
        }
        Ok(())
    }
}

cohort_plugin_sdk::export_segmenter!(Rules);
