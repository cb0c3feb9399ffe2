//! Exports a [`Segmenter`] as the WIT `segmenter` interface of `cohort:plugin@0.1.0`, where profiles and
//! assignments are records of strings and lists (`export_segmenter_v0_1!`).

use std::cell::RefCell;
use std::marker::PhantomData;

use super::v0_1_0::segmenter_world::cohort::plugin::types as wit_types;
use super::v0_1_0::segmenter_world::exports::cohort::plugin::segmenter as wit;
use super::{REENTERED, host_log};
use crate::driver::SegmenterRun;
use crate::{Assignment, Attribute, Event, Profile, RunContext, SegmentDef, Segmenter, Value};

/// Implements the generated 0.1.0 `Guest` trait for segmenter `S`; `export_segmenter_v0_1!` exports it.
pub struct SegmenterExport<S>(PhantomData<S>);

/// The `run` resource: one segmentation run of segmenter `S`.
pub struct RunResource<S>(RefCell<SegmenterRun<S>>);

impl<S: Segmenter> wit::Guest for SegmenterExport<S> {
    type Run = RunResource<S>;

    fn segments(config: String) -> Result<Vec<wit::SegmentDef>, String> {
        host_log::use_v0_1_0();
        Ok(S::segments(&config)?
            .into_iter()
            .map(to_wit_segment_def)
            .collect())
    }

    fn start(config: String, context: wit::RunContext) -> Result<wit::Run, String> {
        host_log::use_v0_1_0();
        let ctx = RunContext {
            purpose: context.purpose,
            now: context.now,
        };
        let run = SegmenterRun::<S>::start(&config, ctx)?;
        Ok(wit::Run::new(RunResource(RefCell::new(run))))
    }
}

impl<S: Segmenter> wit::GuestRun for RunResource<S> {
    fn add(&self, profiles: Vec<wit::Profile>) -> Result<Vec<wit::Assignment>, String> {
        host_log::use_v0_1_0();
        let mut run = self.0.try_borrow_mut().map_err(|_| REENTERED.to_owned())?;
        let profiles = profiles.into_iter().map(from_wit_profile).collect();
        Ok(run
            .add(profiles)?
            .into_iter()
            .map(to_wit_assignment)
            .collect())
    }

    fn finish(&self) -> Result<(), String> {
        host_log::use_v0_1_0();
        let mut run = self.0.try_borrow_mut().map_err(|_| REENTERED.to_owned())?;
        run.finish()
    }

    fn drain(&self, max: u32) -> Vec<wit::Assignment> {
        host_log::use_v0_1_0();
        // `drain` has no error result; a re-entered resource (a broken host) gets "no more assignments".
        let Ok(mut run) = self.0.try_borrow_mut() else {
            return Vec::new();
        };
        let max = usize::try_from(max).unwrap_or(usize::MAX);
        run.drain(max).into_iter().map(to_wit_assignment).collect()
    }
}

fn from_wit_value(value: wit_types::Value) -> Value {
    match value {
        wit_types::Value::Text(text) => Value::Text(text),
        wit_types::Value::Number(number) => Value::Number(number),
        wit_types::Value::Boolean(flag) => Value::Boolean(flag),
    }
}

fn from_wit_profile(profile: wit::Profile) -> Profile {
    Profile {
        token: profile.token,
        attributes: profile
            .attributes
            .into_iter()
            .map(|attribute| Attribute {
                name: attribute.name,
                value: from_wit_value(attribute.value),
            })
            .collect(),
        events: profile
            .events
            .into_iter()
            .map(|event| Event {
                event_type: event.event_type,
                at: event.at,
                properties: event
                    .properties
                    .into_iter()
                    .map(|(name, value)| (name, from_wit_value(value)))
                    .collect(),
            })
            .collect(),
    }
}

fn to_wit_assignment(assignment: Assignment) -> wit::Assignment {
    wit::Assignment {
        token: assignment.token,
        segment: assignment.segment,
        score: assignment.score,
        reasons: assignment.reasons,
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
    use proptest::prelude::*;

    use super::*;

    /// The inverse of `from_wit_value`, which the glue never needs (values only flow into a segmenter).
    fn to_wit_value(value: &Value) -> wit_types::Value {
        match value {
            Value::Text(text) => wit_types::Value::Text(text.clone()),
            Value::Number(number) => wit_types::Value::Number(*number),
            Value::Boolean(flag) => wit_types::Value::Boolean(*flag),
        }
    }

    /// Named values: attributes, or an event's properties.
    type Named<'a> = &'a [(&'a str, Value)];

    fn wit_profile(
        token: &str,
        attributes: Named<'_>,
        events: &[(&str, i64, Named<'_>)],
    ) -> wit::Profile {
        wit::Profile {
            token: token.into(),
            attributes: attributes
                .iter()
                .map(|(name, value)| wit::Attribute {
                    name: (*name).into(),
                    value: to_wit_value(value),
                })
                .collect(),
            events: events
                .iter()
                .map(|(event_type, at, properties)| wit::Event {
                    event_type: (*event_type).into(),
                    at: *at,
                    properties: properties
                        .iter()
                        .map(|(name, value)| ((*name).to_owned(), to_wit_value(value)))
                        .collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_profile_arrives_with_every_attribute_event_and_property_in_order() {
        let wit = wit_profile(
            "tok-1",
            &[
                ("country", "FR".into()),
                ("nps_score", 9.0.into()),
                ("vip", true.into()),
            ],
            &[
                (
                    "order_completed",
                    1_700_000_000,
                    &[("revenue", 12.5.into()), ("currency", "EUR".into())],
                ),
                ("page_viewed", -5, &[]),
            ],
        );
        let profile = from_wit_profile(wit);
        assert_eq!(
            profile,
            Profile {
                token: "tok-1".into(),
                attributes: vec![
                    Attribute {
                        name: "country".into(),
                        value: Value::Text("FR".into())
                    },
                    Attribute {
                        name: "nps_score".into(),
                        value: Value::Number(9.0)
                    },
                    Attribute {
                        name: "vip".into(),
                        value: Value::Boolean(true)
                    },
                ],
                events: vec![
                    Event {
                        event_type: "order_completed".into(),
                        at: 1_700_000_000,
                        properties: vec![
                            ("revenue".into(), Value::Number(12.5)),
                            ("currency".into(), Value::Text("EUR".into())),
                        ],
                    },
                    Event {
                        event_type: "page_viewed".into(),
                        at: -5,
                        properties: Vec::new()
                    },
                ],
            }
        );
    }

    #[test]
    fn assignments_and_segment_defs_leave_unchanged() {
        let wit = to_wit_assignment(Assignment {
            token: "tok-1".into(),
            segment: "champions".into(),
            score: 0.75,
            reasons: vec!["bought 5 times".into(), "spent the most".into()],
        });
        assert_eq!(
            (
                wit.token.as_str(),
                wit.segment.as_str(),
                wit.score,
                wit.reasons
            ),
            (
                "tok-1",
                "champions",
                0.75,
                vec!["bought 5 times".to_owned(), "spent the most".to_owned()]
            )
        );
        let def = to_wit_segment_def(SegmentDef {
            id: "all".into(),
            description: "Everyone.".into(),
        });
        assert_eq!(
            (def.id.as_str(), def.description.as_str()),
            ("all", "Everyone.")
        );
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::Text),
            any::<f64>().prop_map(Value::Number),
            any::<bool>().prop_map(Value::Boolean),
        ]
    }

    proptest! {
        #[test]
        fn every_value_converts_bit_for_bit(value in any_value()) {
            let back = from_wit_value(to_wit_value(&value));
            match (&value, &back) {
                // Compare bits, so that NaN payloads and the sign of zero count too.
                (Value::Number(a), Value::Number(b)) => prop_assert_eq!(a.to_bits(), b.to_bits()),
                _ => prop_assert_eq!(&value, &back),
            }
        }
    }
}
