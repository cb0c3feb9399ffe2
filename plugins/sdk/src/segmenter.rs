//! The segmenter side: the [`Segmenter`] trait a segmenter plugin implements, and the profiles and assignments it
//! reads and writes.

use crate::Value;

/// A segment the plugin emits (WIT `segmenter.segment-def`); each must also be declared in the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentDef {
    /// The segment id, `[a-z][a-z0-9_-]*`.
    pub id: String,
    /// What membership means, for a person reading a segment list.
    pub description: String,
}

/// One attribute of a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// The attribute name, as the policy names it (`country`, `loyalty_tier`, ...).
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// One event of a profile.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event type, as the policy names it (`order_completed`, ...).
    pub event_type: String,
    /// When it happened, in seconds since 1970-01-01T00:00:00Z.
    pub at: i64,
    /// The event's properties, in the order the host sent them.
    pub properties: Vec<(String, Value)>,
}

impl Event {
    /// The first property named `name`.
    pub fn property(&self, name: &str) -> Option<&Value> {
        self.properties
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value)
    }
}

/// A profile as the host projects it for one run: a pseudonymous token, valid for this run only and never an
/// identifier, with only the attributes and event types that both the manifest and the run's purpose allow.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// The run-scoped token that assignments refer back to. Opaque: hand it back unchanged (on the 0.2.0 interface
    /// it is the host's 64-bit token as 16 lowercase hex digits, and nothing else can leave).
    pub token: String,
    /// The attributes the projection kept.
    pub attributes: Vec<Attribute>,
    /// The events the projection kept.
    pub events: Vec<Event>,
}

impl Profile {
    /// The value of the first attribute named `name`.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|attribute| attribute.name == name)
            .map(|attribute| &attribute.value)
    }

    /// The events of type `event_type`, in the order the host sent them.
    pub fn events_of<'a>(&'a self, event_type: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events
            .iter()
            .filter(move |event| event.event_type == event_type)
    }
}

/// One profile's membership of one segment.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    /// The profile's token, exactly as received.
    pub token: String,
    /// The segment id, one of those [`Segmenter::segments`] returned.
    pub segment: String,
    /// How strongly the profile belongs, in [0, 1].
    pub score: f64,
    /// Why, in words a person can read. Never copy personal data into a reason.
    pub reasons: Vec<String>,
}

/// What a run is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunContext {
    /// The policy purpose the run serves.
    pub purpose: String,
    /// The analysis time, in seconds since the epoch: the host's clock, since a plugin has none.
    pub now: i64,
}

/// A segmenter: assigns profiles to segments.
///
/// The host calls [`Segmenter::start`] once per run, [`Segmenter::add`] with each chunk of profiles, then
/// [`Segmenter::finish`] once. Assignments that are final as soon as a profile is seen go into `add`'s `out`;
/// segmenters that need every profile first (quintiles, percentiles) keep what they need in `self` and write their
/// assignments after the input has ended, in one of two ways:
///
/// - all at once into `finish`'s `out`. The SDK keeps them and hands them to the host page by page (the WIT
///   `drain` function), so the plugin never deals with paging; but every assignment, with its reasons, is in the
///   plugin's memory at the same time.
/// - page by page in [`Segmenter::drain`], which the SDK calls once `finish`'s own assignments are gone, each time
///   the host asks for more. The plugin keeps only its compact per-profile state (a token and a few numbers) and
///   builds each assignment, reasons included, just before it leaves. Large populations should use this.
pub trait Segmenter: Sized + 'static {
    /// The segments this plugin emits under `config`; each must be declared in the manifest.
    fn segments(config: &str) -> Result<Vec<SegmentDef>, String>;

    /// Starts a run. `config` is JSON text already validated by the host against the manifest's config schema.
    fn start(config: &str, ctx: RunContext) -> Result<Self, String>;

    /// Consumes the next chunk of profiles, adding the assignments that are already final to `out`.
    fn add(&mut self, profiles: Vec<Profile>, out: &mut Vec<Assignment>) -> Result<(), String>;

    /// Ends the input, adding every remaining assignment to `out`. The default adds none, which suits a
    /// segmenter that assigns everything in `add`.
    fn finish(&mut self, out: &mut Vec<Assignment>) -> Result<(), String> {
        let _ = out;
        Ok(())
    }

    /// After [`Segmenter::finish`], adds up to `max` of the remaining assignments to `out`; adding none means there
    /// are no more, and the SDK does not call it again. `max` is at least 1. The default adds none, which suits a
    /// segmenter that writes everything in `add` or `finish`.
    ///
    /// The SDK calls it only when the assignments `finish` wrote have all left, so the two can be combined. Adding
    /// more than `max` is not an error: the SDK keeps the surplus for the host's next page. There is no error
    /// result (the WIT `drain` has none): a segmenter that can fail should do so in `finish`.
    fn drain(&mut self, max: usize, out: &mut Vec<Assignment>) {
        let _ = (max, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event_type: &str, at: i64, properties: &[(&str, Value)]) -> Event {
        Event {
            event_type: event_type.into(),
            at,
            properties: properties
                .iter()
                .map(|(name, value)| ((*name).to_owned(), value.clone()))
                .collect(),
        }
    }

    #[test]
    fn lookups_find_the_first_match_by_name() {
        let profile = Profile {
            token: "t1".into(),
            attributes: vec![
                Attribute {
                    name: "country".into(),
                    value: "FR".into(),
                },
                Attribute {
                    name: "country".into(),
                    value: "DE".into(),
                },
            ],
            events: vec![
                event(
                    "order_completed",
                    10,
                    &[("revenue", 12.5.into()), ("revenue", 1.0.into())],
                ),
                event("page_viewed", 11, &[]),
                event("order_completed", 12, &[]),
            ],
        };
        assert_eq!(profile.attr("country"), Some(&Value::from("FR")));
        assert_eq!(profile.attr("city"), None);
        let orders: Vec<i64> = profile.events_of("order_completed").map(|e| e.at).collect();
        assert_eq!(orders, [10, 12]);
        assert_eq!(
            profile.events[0].property("revenue"),
            Some(&Value::from(12.5))
        );
        assert_eq!(profile.events[0].property("currency"), None);
    }
}
