//! Cohort's lifecycle segmenter: puts every profile in one B2C lifecycle stage from its order history
//! (DOMAIN.md §7): `new_lead`, `first_time_buyer`, `repeat`, `loyal`, `lapsed`, `churned`, `win_back`.
//!
//! The rules and their precedence are in [`logic`]; the windows are settings ([`config`]). Stages are
//! rules, not estimates, so every assignment scores 1. A profile's stage depends on that profile alone,
//! so assignments are returned from `add` as soon as each chunk arrives. The CRM's own `lifecycle_stage`
//! attribute, when the purpose lets the plugin see it, is quoted in the reasons but never overrides the
//! order history.

pub mod config;
pub mod error;
pub mod history;
pub mod logic;
pub mod reasons;

use cohort_plugin_sdk::{Assignment, Profile, RunContext, SegmentDef, Segmenter, Value};

use crate::config::LifecycleConfig;
use crate::error::LifecycleError;
use crate::logic::Stage;

/// Every stage is a crisp rule: members score 1.
const MEMBER_SCORE: f64 = 1.0;

/// One lifecycle run.
#[derive(Debug)]
pub struct Lifecycle {
    config: LifecycleConfig,
    now: i64,
    /// Order times of the profile being classified, reused between profiles.
    times: Vec<i64>,
}

impl Lifecycle {
    /// Starts a run; the same as [`Segmenter::start`] but with the typed error.
    pub fn new(config: &str, ctx: &RunContext) -> Result<Self, LifecycleError> {
        Ok(Self {
            config: LifecycleConfig::parse(config)?,
            now: ctx.now,
            times: Vec::new(),
        })
    }

    /// Classifies one profile.
    pub fn assign(&mut self, profile: Profile) -> Assignment {
        history::order_times(&profile.events, self.now, &mut self.times);
        let class = logic::classify(self.now, &self.times, &self.config);
        let crm_stage = match profile.attr(reasons::CRM_STAGE_ATTRIBUTE) {
            Some(Value::Text(stage)) if !stage.trim().is_empty() => Some(stage.trim()),
            _ => None,
        };
        let reasons = reasons::reasons(&class, &self.config, crm_stage);
        Assignment {
            token: profile.token,
            segment: class.stage.id().to_owned(),
            score: MEMBER_SCORE,
            reasons,
        }
    }
}

/// The segments this plugin emits: all seven stages, whatever the configuration.
pub fn segment_defs() -> Vec<SegmentDef> {
    Stage::ALL
        .iter()
        .map(|stage| SegmentDef {
            id: stage.id().to_owned(),
            description: stage.description().to_owned(),
        })
        .collect()
}

impl Segmenter for Lifecycle {
    fn segments(config: &str) -> Result<Vec<SegmentDef>, String> {
        LifecycleConfig::parse(config).map_err(|e| e.to_string())?;
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

    fn finish(&mut self, _out: &mut Vec<Assignment>) -> Result<(), String> {
        Ok(())
    }
}

cohort_plugin_sdk::export_segmenter!(Lifecycle);
