//! What a count groups by (dimensions) and what it sums (measures), read from a decrypted subject.
//!
//! A dimension is a stored attribute the purpose allows, with one value per subject; a subject without it falls
//! in the `(not set)` group. A measure is a numeric attribute the purpose allows, or `event_type.property`
//! totalled over the subject's events of an event type the purpose allows. Each subject contributes one whole
//! number to a sum: its value clamped to the policy's `sum_bounds` (when declared) and rounded; a subject without a
//! value contributes 0, so a mean is per member of the group.

use crate::OutputError;
use cohort_policy::{Policy, Purpose, SumBounds};
use cohort_store::SubjectView;
use serde_json::Value;

/// The group of subjects without a value of a dimension.
pub const NOT_SET: &str = "(not set)";

/// Checks that `name` is a dimension the purpose allows.
pub(crate) fn check_dimension(purpose: &Purpose, name: &str) -> Result<(), OutputError> {
    if purpose.attributes.iter().any(|a| a == name) {
        Ok(())
    } else {
        Err(OutputError::Invalid(format!(
            "`--by {name}`: purpose `{}` does not allow attribute `{name}` (it allows: {})",
            purpose.id,
            purpose.attributes.join(", ")
        )))
    }
}

/// The group label of `view` on dimension `name`.
pub(crate) fn dimension_label(view: &SubjectView, name: &str) -> Result<String, OutputError> {
    match view.body.attributes.get(name).map(|a| &a.value) {
        None | Some(Value::Null) => Ok(NOT_SET.to_owned()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Array(_) | Value::Object(_)) => Err(OutputError::Invalid(format!(
            "`--by {name}`: attribute `{name}` holds several values per subject, so its groups would overlap and \
             their counts could not be thresholded together; group by a single-valued attribute"
        ))),
    }
}

/// A summed measure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measure {
    /// As named on the command line.
    pub name: String,
    what: Source,
    /// Clamping bounds from the policy, if declared.
    pub bounds: Option<SumBounds>,
}

#[derive(Debug, Clone, PartialEq)]
enum Source {
    Attribute(String),
    EventTotal {
        event_type: String,
        property: String,
    },
}

impl Measure {
    /// Parses `name` (an attribute, or `event_type.property`) against what the purpose and policy allow.
    pub fn parse(policy: &Policy, purpose: &Purpose, name: &str) -> Result<Self, OutputError> {
        let what = match name.split_once('.') {
            Some((event_type, property)) => {
                if !purpose.event_types.iter().any(|e| e == event_type)
                    || !policy.event_property_allowed(event_type, property)
                {
                    return Err(OutputError::Invalid(format!(
                        "`--sum {name}`: purpose `{}` does not allow property `{property}` of event type \
                         `{event_type}` (event types: {})",
                        purpose.id,
                        purpose.event_types.join(", ")
                    )));
                }
                Source::EventTotal {
                    event_type: event_type.to_owned(),
                    property: property.to_owned(),
                }
            }
            None => {
                if !purpose.attributes.iter().any(|a| a == name) {
                    return Err(OutputError::Invalid(format!(
                        "`--sum {name}`: purpose `{}` does not allow attribute `{name}` (it allows: {})",
                        purpose.id,
                        purpose.attributes.join(", ")
                    )));
                }
                Source::Attribute(name.to_owned())
            }
        };
        Ok(Measure {
            name: name.to_owned(),
            what,
            bounds: policy.aggregates().sum_bounds.get(name).copied(),
        })
    }

    /// A measure of an event property with no bounds, for tests of the release path.
    #[cfg(test)]
    pub fn for_tests(name: &str) -> Self {
        let (event_type, property) = name.split_once('.').unwrap_or((name, ""));
        Measure {
            name: name.to_owned(),
            what: Source::EventTotal {
                event_type: event_type.to_owned(),
                property: property.to_owned(),
            },
            bounds: None,
        }
    }

    /// This subject's contribution: clamped, rounded, 0 without a value. A non-numeric value is an error naming
    /// the measure (it says the data does not match what the query assumes), not a silent 0.
    pub fn value(&self, view: &SubjectView) -> Result<i64, OutputError> {
        let raw = match &self.what {
            Source::Attribute(name) => match view.body.attributes.get(name).map(|a| &a.value) {
                None | Some(Value::Null) => 0.0,
                Some(v) => numeric(v).ok_or_else(|| {
                    OutputError::Invalid(format!(
                        "`--sum {}`: attribute `{name}` is not numeric in the store",
                        self.name
                    ))
                })?,
            },
            Source::EventTotal {
                event_type,
                property,
            } => view
                .body
                .events
                .iter()
                .filter(|e| &e.event_type == event_type)
                .filter_map(|e| e.properties.get(property).and_then(numeric))
                .sum(),
        };
        let rounded = if raw.is_finite() {
            raw.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
        } else {
            0
        };
        Ok(match self.bounds {
            Some(b) => rounded.clamp(b.min, b.max),
            None => rounded,
        })
    }
}

fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
