//! Exports a [`Segmenter`] as the WIT `segmenter` interface of `cohort:plugin@0.2.0`, where a chunk of profiles
//! and a page of assignments each travel as a handful of flat columns (`export_segmenter!`).
//!
//! This module owns the protocol side (the `Guest` and `GuestRun` impls, driven through [`SegmenterRun`] exactly
//! as in 0.1.0); the conversions are its submodules, plain functions the unit tests run natively:
//! [`profiles`] decodes the host's columns, [`assignments`] encodes the plugin's, and [`token`] turns the 64-bit
//! tokens into the SDK's text tokens and back.

mod assignments;
mod profiles;
mod token;

use std::cell::RefCell;
use std::marker::PhantomData;

use super::v0_2_0::segmenter_world::exports::cohort::plugin::segmenter as wit;
use super::{REENTERED, host_log};
use crate::driver::SegmenterRun;
use crate::{LogLevel, RunContext, SegmentDef, Segmenter};

/// Implements the generated 0.2.0 `Guest` trait for segmenter `S`; `export_segmenter!` exports it.
pub struct SegmenterExport<S>(PhantomData<S>);

/// The `run` resource: one segmentation run of segmenter `S`.
pub struct RunResource<S>(RefCell<SegmenterRun<S>>);

impl<S: Segmenter> wit::Guest for SegmenterExport<S> {
    type Run = RunResource<S>;

    fn segments(config: String) -> Result<Vec<wit::SegmentDef>, String> {
        host_log::use_v0_2_0();
        Ok(S::segments(&config)?
            .into_iter()
            .map(to_wit_segment_def)
            .collect())
    }

    fn start(config: String, context: wit::RunContext) -> Result<wit::Run, String> {
        host_log::use_v0_2_0();
        let ctx = RunContext {
            purpose: context.purpose,
            now: context.now,
        };
        let run = SegmenterRun::<S>::start(&config, ctx)?;
        Ok(wit::Run::new(RunResource(RefCell::new(run))))
    }
}

impl<S: Segmenter> wit::GuestRun for RunResource<S> {
    fn add(&self, profiles: wit::Profiles) -> Result<wit::Assignments, String> {
        host_log::use_v0_2_0();
        let mut run = self.0.try_borrow_mut().map_err(|_| REENTERED.to_owned())?;
        let profiles = profiles::from_columns(profiles)?;
        assignments::to_columns(run.add(profiles)?)
    }

    fn finish(&self) -> Result<(), String> {
        host_log::use_v0_2_0();
        let mut run = self.0.try_borrow_mut().map_err(|_| REENTERED.to_owned())?;
        run.finish()
    }

    fn drain(&self, max: u32) -> wit::Assignments {
        host_log::use_v0_2_0();
        // `drain` has no error result; a re-entered resource (a broken host) gets "no more assignments".
        let Ok(mut run) = self.0.try_borrow_mut() else {
            return assignments::none();
        };
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        match assignments::to_columns(run.drain(max)) {
            Ok(columns) => columns,
            // Nor can a page be refused: the plugin broke the contract, so it traps (the host reports the trap),
            // after saying why in the one place a wasm32 panic message can reach.
            Err(message) => {
                crate::log(LogLevel::Error, &message);
                panic!("{message}");
            }
        }
    }
}

fn to_wit_segment_def(def: SegmentDef) -> wit::SegmentDef {
    wit::SegmentDef {
        id: def.id,
        description: def.description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_defs_leave_unchanged() {
        let def = to_wit_segment_def(SegmentDef {
            id: "all".into(),
            description: "Everyone.".into(),
        });
        assert_eq!(
            (def.id.as_str(), def.description.as_str()),
            ("all", "Everyone.")
        );
    }
}
