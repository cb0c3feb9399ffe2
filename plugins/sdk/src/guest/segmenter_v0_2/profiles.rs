//! Profiles in: a 0.2.0 `profiles` chunk, columns as the host sends them, decoded into the SDK's [`Profile`]s.
//!
//! The shape of the chunk (column lengths, and every `ends` column against the column it divides) is checked
//! before anything is decoded; the content (name indices, text spans) is checked as each item is read. Either way
//! a malformed chunk is an error naming the column, never a panic: the host is trusted to be correct, not to be
//! unable to err.

use std::ops::Range;

use super::token;
use super::wit;
use crate::guest::v0_2_0::segmenter_world::cohort::plugin::types::{ValueKind, Values};
use crate::{Attribute, Event, Profile, Value};

/// Decodes one chunk of profiles, in the host's order, each with its attributes, events and their properties in
/// the host's order. The columns are consumed, so their memory is free before the plugin sees the profiles.
pub(super) fn from_columns(columns: wit::Profiles) -> Result<Vec<Profile>, String> {
    decode(&columns).map_err(|problem| format!("malformed profiles from the host: {problem}"))
}

fn decode(columns: &wit::Profiles) -> Result<Vec<Profile>, String> {
    let mut reader = ChunkReader::new(columns)?;
    let mut profiles = Vec::with_capacity(columns.tokens.len());
    let ends = columns.attribute_ends.iter().zip(&columns.event_ends);
    for (&token, (&attributes_end, &events_end)) in columns.tokens.iter().zip(ends) {
        profiles.push(Profile {
            token: token::to_text(token),
            attributes: reader.attributes(attributes_end)?,
            events: reader.events(events_end)?,
        });
    }
    Ok(profiles)
}

/// Reads a chunk whose shape has been checked, profile after profile: each call takes the items up to the `ends`
/// entry it is given, from where the previous call of its kind stopped.
struct ChunkReader<'a> {
    columns: &'a wit::Profiles,
    names: Names<'a>,
    attribute_values: ValueColumn<'a>,
    property_values: ValueColumn<'a>,
    /// The first attribute, event and property not read yet.
    next_attribute: usize,
    next_event: usize,
    next_property: usize,
}

impl<'a> ChunkReader<'a> {
    /// Checks the shape of the chunk and starts at its first profile.
    fn new(columns: &'a wit::Profiles) -> Result<Self, String> {
        let profile_count = columns.tokens.len();
        let event_count = columns.event_types.len();
        check_ends(
            ("attribute-ends", &columns.attribute_ends),
            ("tokens", profile_count),
            ("attribute-names", columns.attribute_names.len()),
        )?;
        check_ends(
            ("event-ends", &columns.event_ends),
            ("tokens", profile_count),
            ("event-types", event_count),
        )?;
        check_same_length(
            ("event-times", columns.event_times.len()),
            ("event-types", event_count),
        )?;
        check_ends(
            ("property-ends", &columns.property_ends),
            ("event-types", event_count),
            ("property-keys", columns.property_keys.len()),
        )?;
        Ok(Self {
            columns,
            names: Names(&columns.names),
            attribute_values: ValueColumn::new(
                &ATTRIBUTE_VALUES,
                &columns.attribute_values,
                ("attribute-names", columns.attribute_names.len()),
            )?,
            property_values: ValueColumn::new(
                &PROPERTY_VALUES,
                &columns.property_values,
                ("property-keys", columns.property_keys.len()),
            )?,
            next_attribute: 0,
            next_event: 0,
            next_property: 0,
        })
    }

    /// The attributes up to `end`.
    fn attributes(&mut self, end: u32) -> Result<Vec<Attribute>, String> {
        let span = advance(&mut self.next_attribute, end);
        let mut attributes = Vec::with_capacity(span.len());
        for at in span {
            let name = entry(&self.columns.attribute_names, "attribute-names", at)?;
            attributes.push(Attribute {
                name: self.names.get("attribute-names", at, name)?,
                value: self.attribute_values.value(at)?,
            });
        }
        Ok(attributes)
    }

    /// The events up to `end`, each with its properties.
    fn events(&mut self, end: u32) -> Result<Vec<Event>, String> {
        let span = advance(&mut self.next_event, end);
        let mut events = Vec::with_capacity(span.len());
        for at in span {
            let event_type = entry(&self.columns.event_types, "event-types", at)?;
            let time = entry(&self.columns.event_times, "event-times", at)?;
            let properties_end = entry(&self.columns.property_ends, "property-ends", at)?;
            events.push(Event {
                event_type: self.names.get("event-types", at, event_type)?,
                at: time,
                properties: self.properties(properties_end)?,
            });
        }
        Ok(events)
    }

    /// The properties up to `end`.
    fn properties(&mut self, end: u32) -> Result<Vec<(String, Value)>, String> {
        let span = advance(&mut self.next_property, end);
        let mut properties = Vec::with_capacity(span.len());
        for at in span {
            let key = entry(&self.columns.property_keys, "property-keys", at)?;
            properties.push((
                self.names.get("property-keys", at, key)?,
                self.property_values.value(at)?,
            ));
        }
        Ok(properties)
    }
}

/// The items from `*next` up to the `ends` entry `end`, and `*next` moved past them. Empty if `end` is behind,
/// which the shape checks rule out.
fn advance(next: &mut usize, end: u32) -> Range<usize> {
    let span = *next..to_usize(end).max(*next);
    *next = span.end;
    span
}

/// Entry `at` of column `name`. The shape checks make a missing entry impossible; the error stands in for a
/// panic.
fn entry<T: Copy>(column: &[T], name: &str, at: usize) -> Result<T, String> {
    column
        .get(at)
        .copied()
        .ok_or_else(|| format!("`{name}` has no entry {at}"))
}

/// An `ends` entry or a name index as an index: lossless, since `usize` has at least 32 bits on every target the
/// plugins build for.
fn to_usize(index: u32) -> usize {
    index as usize
}

/// A column's name and its length.
type Column<'a> = (&'a str, usize);

/// Checks that `column` has one entry per entry of `items`.
fn check_same_length(column: Column<'_>, items: Column<'_>) -> Result<(), String> {
    let ((name, length), (items_name, items_length)) = (column, items);
    if length == items_length {
        Ok(())
    } else {
        Err(format!(
            "`{name}` has {length} entries, but `{items_name}` has {items_length}: they must have one each"
        ))
    }
}

/// Checks an `ends` column: one entry per item, never decreasing, and ending at the number of sub-items (the
/// length of the column it divides, or of a text in bytes), so that every sub-item belongs to exactly one item.
fn check_ends(
    ends: (&str, &[u32]),
    items: Column<'_>,
    sub_items: Column<'_>,
) -> Result<(), String> {
    let (name, entries) = ends;
    check_same_length((name, entries.len()), items)?;
    let mut previous = 0;
    for (at, &end) in entries.iter().enumerate() {
        if end < previous {
            return Err(format!(
                "`{name}` decreases at entry {at}: {end} after {previous}"
            ));
        }
        previous = end;
    }
    let (sub_name, sub_length) = sub_items;
    let last = to_usize(previous);
    if last > sub_length {
        Err(format!(
            "`{name}` runs past the end of `{sub_name}`: it reaches {last}, but `{sub_name}` has {sub_length}"
        ))
    } else if last < sub_length {
        Err(format!(
            "`{name}` ends at {last}, but `{sub_name}` has {sub_length}: the rest belongs to nothing"
        ))
    } else {
        Ok(())
    }
}

/// The chunk's table of names, which attribute names, event types and property keys index.
struct Names<'a>(&'a [String]);

impl Names<'_> {
    /// The name that entry `at` of column `name` gives as `index`.
    fn get(&self, name: &str, at: usize, index: u32) -> Result<String, String> {
        self.0.get(to_usize(index)).cloned().ok_or_else(|| {
            format!(
                "`{name}` entry {at} is {index}, past the end of `names` ({} entries)",
                self.0.len()
            )
        })
    }
}

/// The names of one `values` record's columns, for messages.
struct ValueColumnNames {
    kinds: &'static str,
    numbers: &'static str,
    text: &'static str,
    text_ends: &'static str,
}

const ATTRIBUTE_VALUES: ValueColumnNames = ValueColumnNames {
    kinds: "attribute-values.kinds",
    numbers: "attribute-values.numbers",
    text: "attribute-values.text",
    text_ends: "attribute-values.text-ends",
};

const PROPERTY_VALUES: ValueColumnNames = ValueColumnNames {
    kinds: "property-values.kinds",
    numbers: "property-values.numbers",
    text: "property-values.text",
    text_ends: "property-values.text-ends",
};

/// A `values` record whose shape has been checked.
struct ValueColumn<'a> {
    names: &'static ValueColumnNames,
    values: &'a Values,
}

impl<'a> ValueColumn<'a> {
    /// Checks that `values` holds one value per entry of `owners` (the column they belong to), with a text span
    /// each.
    fn new(
        names: &'static ValueColumnNames,
        values: &'a Values,
        owners: Column<'_>,
    ) -> Result<Self, String> {
        let count = values.kinds.len();
        check_same_length((names.kinds, count), owners)?;
        check_same_length((names.numbers, values.numbers.len()), (names.kinds, count))?;
        check_ends(
            (names.text_ends, &values.text_ends),
            (names.kinds, count),
            (names.text, values.text.len()),
        )?;
        Ok(Self { names, values })
    }

    /// Value `at`. Its text span must fall on character boundaries, and be empty unless it is text.
    fn value(&self, at: usize) -> Result<Value, String> {
        let names = self.names;
        let kind = entry(&self.values.kinds, names.kinds, at)?;
        let number = entry(&self.values.numbers, names.numbers, at)?;
        let end = to_usize(entry(&self.values.text_ends, names.text_ends, at)?);
        let start = match at.checked_sub(1) {
            Some(previous) => to_usize(entry(&self.values.text_ends, names.text_ends, previous)?),
            None => 0,
        };
        match kind {
            ValueKind::Text => match self.values.text.get(start..end) {
                Some(text) => Ok(Value::Text(text.to_owned())),
                None => Err(format!(
                    "`{}` entry {at} splits a character: bytes {start}..{end} of `{}` are not whole characters",
                    names.text_ends, names.text
                )),
            },
            ValueKind::Number | ValueKind::Boolean if start != end => Err(format!(
                "`{}` entry {at} gives a {} value the text bytes {start}..{end}; only text values own text",
                names.text_ends,
                if kind == ValueKind::Number {
                    "number"
                } else {
                    "boolean"
                },
            )),
            ValueKind::Number => Ok(Value::Number(number)),
            ValueKind::Boolean => Ok(Value::Boolean(number != 0.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The host's side, which the glue never needs: encodes profiles (whose tokens must be 16 lowercase hex
    /// digits) into columns, with each name once in the table, in first-use order.
    fn encode(profiles: &[Profile]) -> wit::Profiles {
        fn name_index(names: &mut Vec<String>, name: &str) -> u32 {
            let index = names
                .iter()
                .position(|known| known == name)
                .unwrap_or_else(|| {
                    names.push(name.to_owned());
                    names.len() - 1
                });
            u32::try_from(index).unwrap()
        }
        fn end(length: usize) -> u32 {
            u32::try_from(length).unwrap()
        }
        fn push_value(values: &mut Values, value: &Value) {
            let (kind, number) = match value {
                Value::Text(text) => {
                    values.text.push_str(text);
                    (ValueKind::Text, 0.0)
                }
                Value::Number(number) => (ValueKind::Number, *number),
                Value::Boolean(flag) => (ValueKind::Boolean, if *flag { 1.0 } else { 0.0 }),
            };
            values.kinds.push(kind);
            values.numbers.push(number);
            values.text_ends.push(end(values.text.len()));
        }

        let mut columns = empty();
        for profile in profiles {
            columns
                .tokens
                .push(u64::from_str_radix(&profile.token, 16).unwrap());
            for attribute in &profile.attributes {
                let index = name_index(&mut columns.names, &attribute.name);
                columns.attribute_names.push(index);
                push_value(&mut columns.attribute_values, &attribute.value);
            }
            columns
                .attribute_ends
                .push(end(columns.attribute_names.len()));
            for event in &profile.events {
                let index = name_index(&mut columns.names, &event.event_type);
                columns.event_types.push(index);
                columns.event_times.push(event.at);
                for (key, value) in &event.properties {
                    let index = name_index(&mut columns.names, key);
                    columns.property_keys.push(index);
                    push_value(&mut columns.property_values, value);
                }
                columns.property_ends.push(end(columns.property_keys.len()));
            }
            columns.event_ends.push(end(columns.event_types.len()));
        }
        columns
    }

    fn empty_values() -> Values {
        Values {
            kinds: Vec::new(),
            numbers: Vec::new(),
            text: String::new(),
            text_ends: Vec::new(),
        }
    }

    fn empty() -> wit::Profiles {
        wit::Profiles {
            names: Vec::new(),
            tokens: Vec::new(),
            attribute_ends: Vec::new(),
            attribute_names: Vec::new(),
            attribute_values: empty_values(),
            event_ends: Vec::new(),
            event_types: Vec::new(),
            event_times: Vec::new(),
            property_ends: Vec::new(),
            property_keys: Vec::new(),
            property_values: empty_values(),
        }
    }

    /// Two profiles with something in every column, including a multi-byte character and repeated names.
    fn sample() -> Vec<Profile> {
        vec![
            Profile {
                token: "00000000000000a1".into(),
                attributes: vec![
                    Attribute {
                        name: "country".into(),
                        value: "FR".into(),
                    },
                    Attribute {
                        name: "nps_score".into(),
                        value: 9.0.into(),
                    },
                    Attribute {
                        name: "vip".into(),
                        value: true.into(),
                    },
                ],
                events: vec![
                    Event {
                        event_type: "order_completed".into(),
                        at: 1_700_000_000,
                        properties: vec![
                            ("revenue".into(), 12.5.into()),
                            ("city".into(), "Zürich".into()),
                        ],
                    },
                    Event {
                        event_type: "page_viewed".into(),
                        at: -5,
                        properties: Vec::new(),
                    },
                ],
            },
            Profile {
                token: "ffffffffffffffff".into(),
                attributes: vec![Attribute {
                    name: "country".into(),
                    value: "DE".into(),
                }],
                events: vec![Event {
                    event_type: "order_completed".into(),
                    at: 0,
                    properties: vec![("revenue".into(), false.into())],
                }],
            },
        ]
    }

    #[test]
    fn a_chunk_arrives_with_every_attribute_event_and_property_in_order() {
        let columns = encode(&sample());
        assert_eq!(
            columns.names,
            [
                "country",
                "nps_score",
                "vip",
                "order_completed",
                "revenue",
                "city",
                "page_viewed"
            ]
        );
        assert_eq!(columns.property_values.text, "Zürich");
        assert_eq!(from_columns(columns), Ok(sample()));
    }

    #[test]
    fn an_empty_chunk_is_no_profiles_and_a_bare_profile_has_nothing() {
        assert_eq!(from_columns(empty()), Ok(Vec::new()));
        let bare = Profile {
            token: "0000000000000000".into(),
            attributes: Vec::new(),
            events: Vec::new(),
        };
        assert_eq!(
            from_columns(encode(std::slice::from_ref(&bare))),
            Ok(vec![bare])
        );
    }

    #[test]
    fn a_boolean_is_any_number_but_zero() {
        let mut columns = encode(&sample());
        // The `vip` attribute: true as 1, but anything but 0 is true.
        columns.attribute_values.numbers[2] = -0.5;
        let profiles = from_columns(columns).unwrap();
        assert_eq!(profiles[0].attributes[2].value, Value::Boolean(true));
        let mut columns = encode(&sample());
        columns.attribute_values.numbers[2] = -0.0;
        let profiles = from_columns(columns).unwrap();
        assert_eq!(profiles[0].attributes[2].value, Value::Boolean(false));
    }

    /// The error for `sample()` encoded and then broken by `corrupt`.
    fn refusal(corrupt: impl FnOnce(&mut wit::Profiles)) -> String {
        let mut columns = encode(&sample());
        corrupt(&mut columns);
        match from_columns(columns) {
            Ok(profiles) => panic!("a corrupt chunk was accepted: {profiles:?}"),
            Err(message) => {
                assert!(
                    message.starts_with("malformed profiles from the host: "),
                    "{message}"
                );
                message
            }
        }
    }

    /// Asserts that `message` names `column` (in backquotes) and says `what`.
    #[track_caller]
    fn assert_names(message: &str, column: &str, what: &str) {
        assert!(
            message.contains(&format!("`{column}`")) && message.contains(what),
            "expected `{column}` and {what:?} in: {message}"
        );
    }

    #[test]
    fn column_lengths_that_disagree_are_refused() {
        let message = refusal(|c| c.attribute_ends.push(4));
        assert_names(
            &message,
            "attribute-ends",
            "has 3 entries, but `tokens` has 2",
        );
        let message = refusal(|c| {
            c.event_ends.pop();
        });
        assert_names(&message, "event-ends", "has 1 entries, but `tokens` has 2");
        let message = refusal(|c| c.event_times.push(7));
        assert_names(
            &message,
            "event-times",
            "has 4 entries, but `event-types` has 3",
        );
        let message = refusal(|c| {
            c.property_ends.pop();
        });
        assert_names(&message, "property-ends", "but `event-types` has 3");
        let message = refusal(|c| c.attribute_values.kinds.push(ValueKind::Number));
        assert_names(
            &message,
            "attribute-values.kinds",
            "but `attribute-names` has 4",
        );
        let message = refusal(|c| {
            c.property_values.numbers.pop();
        });
        assert_names(
            &message,
            "property-values.numbers",
            "but `property-values.kinds` has 3",
        );
        let message = refusal(|c| {
            c.attribute_values.text_ends.pop();
        });
        assert_names(
            &message,
            "attribute-values.text-ends",
            "but `attribute-values.kinds` has 4",
        );
    }

    #[test]
    fn ends_that_decrease_are_refused() {
        let message = refusal(|c| c.attribute_ends[0] = 5);
        assert_names(
            &message,
            "attribute-ends",
            "decreases at entry 1: 4 after 5",
        );
        let message = refusal(|c| c.event_ends[0] = 4);
        assert_names(&message, "event-ends", "decreases at entry 1: 3 after 4");
        let message = refusal(|c| c.property_ends = vec![2, 1, 3]);
        assert_names(&message, "property-ends", "decreases at entry 1: 1 after 2");
        let message = refusal(|c| c.property_values.text_ends = vec![0, 7, 6]);
        assert_names(
            &message,
            "property-values.text-ends",
            "decreases at entry 2",
        );
    }

    #[test]
    fn ends_that_run_past_the_end_or_stop_short_are_refused() {
        let message = refusal(|c| c.attribute_ends[1] = 9);
        assert_names(
            &message,
            "attribute-ends",
            "runs past the end of `attribute-names`",
        );
        let message = refusal(|c| c.event_ends[1] = 2);
        assert_names(&message, "event-ends", "ends at 2, but `event-types` has 3");
        let message = refusal(|c| c.property_ends[2] = 4);
        assert_names(
            &message,
            "property-ends",
            "runs past the end of `property-keys`",
        );
        let message = refusal(|c| c.attribute_values.text_ends[3] = 5);
        assert_names(
            &message,
            "attribute-values.text-ends",
            "runs past the end of `attribute-values.text`",
        );
        let message = refusal(|c| c.property_values.text.push('!'));
        assert_names(
            &message,
            "property-values.text-ends",
            "the rest belongs to nothing",
        );
    }

    #[test]
    fn name_indices_out_of_range_are_refused() {
        let message = refusal(|c| c.attribute_names[3] = 7);
        assert_names(
            &message,
            "attribute-names",
            "entry 3 is 7, past the end of `names` (7 entries)",
        );
        let message = refusal(|c| c.event_types[1] = u32::MAX);
        assert_names(&message, "event-types", "entry 1 is 4294967295");
        let message = refusal(|c| c.property_keys[2] = 7);
        assert_names(&message, "property-keys", "entry 2 is 7");
    }

    #[test]
    fn text_spans_off_character_boundaries_or_on_non_text_are_refused() {
        // "Zürich": `ü` is bytes 1..3, so an end at 2 splits it.
        let message = refusal(|c| c.property_values.text_ends[1] = 2);
        assert_names(
            &message,
            "property-values.text-ends",
            "entry 1 splits a character",
        );
        // The number 9 (attribute 1) given the bytes of "FR", and "FR" none.
        let message = refusal(|c| c.attribute_values.text_ends[0] = 0);
        assert_names(
            &message,
            "attribute-values.text-ends",
            "entry 1 gives a number value the text bytes 0..2",
        );
        let message = refusal(|c| {
            c.property_values.kinds[0] = ValueKind::Boolean;
            c.property_values.text_ends[0] = 3;
        });
        assert_names(
            &message,
            "property-values.text-ends",
            "entry 0 gives a boolean value",
        );
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            any::<String>().prop_map(Value::Text),
            any::<f64>().prop_map(Value::Number),
            any::<bool>().prop_map(Value::Boolean),
        ]
    }

    /// Names from a small pool (so that the table has repeats) or any text.
    fn any_name() -> impl Strategy<Value = String> {
        prop_oneof!["[a-c]{0,2}", any::<String>()]
    }

    fn any_profile() -> impl Strategy<Value = Profile> {
        let attribute =
            (any_name(), any_value()).prop_map(|(name, value)| Attribute { name, value });
        let event = (
            any_name(),
            any::<i64>(),
            prop::collection::vec((any_name(), any_value()), 0..4),
        )
            .prop_map(|(event_type, at, properties)| Event {
                event_type,
                at,
                properties,
            });
        (
            any::<u64>(),
            prop::collection::vec(attribute, 0..4),
            prop::collection::vec(event, 0..4),
        )
            .prop_map(|(token, attributes, events)| Profile {
                token: format!("{token:016x}"),
                attributes,
                events,
            })
    }

    /// Compares numbers by their bits, so that NaN payloads and the sign of zero count too.
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(a), Value::Number(b)) => a.to_bits() == b.to_bits(),
            _ => a == b,
        }
    }

    fn same_profile(a: &Profile, b: &Profile) -> bool {
        a.token == b.token
            && a.attributes.len() == b.attributes.len()
            && a.attributes
                .iter()
                .zip(&b.attributes)
                .all(|(a, b)| a.name == b.name && same(&a.value, &b.value))
            && a.events.len() == b.events.len()
            && a.events.iter().zip(&b.events).all(|(a, b)| {
                a.event_type == b.event_type
                    && a.at == b.at
                    && a.properties.len() == b.properties.len()
                    && a.properties
                        .iter()
                        .zip(&b.properties)
                        .all(|((ka, va), (kb, vb))| ka == kb && same(va, vb))
            })
    }

    /// A column to corrupt and how, for the no-panic property.
    #[derive(Clone, Debug)]
    enum Corruption {
        /// Sets entry `at` (modulo the length) of u32 column `column` to `value`.
        Set {
            column: usize,
            at: usize,
            value: u32,
        },
        /// Drops the last entry of u32 column `column`.
        Pop { column: usize },
        /// Appends `value` to u32 column `column`.
        Push { column: usize, value: u32 },
    }

    /// Every u32 column of a chunk, by number.
    fn u32_column(columns: &mut wit::Profiles, column: usize) -> &mut Vec<u32> {
        match column % 7 {
            0 => &mut columns.attribute_ends,
            1 => &mut columns.attribute_names,
            2 => &mut columns.event_ends,
            3 => &mut columns.event_types,
            4 => &mut columns.property_ends,
            5 => &mut columns.property_keys,
            _ => &mut columns.property_values.text_ends,
        }
    }

    fn any_corruption() -> impl Strategy<Value = Corruption> {
        let value = prop_oneof![0..12_u32, any::<u32>()];
        prop_oneof![
            (any::<usize>(), any::<usize>(), value.clone())
                .prop_map(|(column, at, value)| Corruption::Set { column, at, value }),
            any::<usize>().prop_map(|column| Corruption::Pop { column }),
            (any::<usize>(), value).prop_map(|(column, value)| Corruption::Push { column, value }),
        ]
    }

    proptest! {
        #[test]
        fn every_chunk_decodes_to_the_profiles_it_encodes(
            profiles in prop::collection::vec(any_profile(), 0..6)
        ) {
            let decoded = from_columns(encode(&profiles)).unwrap();
            prop_assert_eq!(decoded.len(), profiles.len());
            for (decoded, original) in decoded.iter().zip(&profiles) {
                prop_assert!(same_profile(decoded, original), "{:?} != {:?}", decoded, original);
            }
        }

        #[test]
        fn a_corrupt_chunk_is_refused_or_decoded_but_never_panics(
            profiles in prop::collection::vec(any_profile(), 0..4),
            corruptions in prop::collection::vec(any_corruption(), 1..4),
        ) {
            let mut columns = encode(&profiles);
            for corruption in corruptions {
                match corruption {
                    Corruption::Set { column, at, value } => {
                        let column = u32_column(&mut columns, column);
                        if !column.is_empty() {
                            let at = at % column.len();
                            column[at] = value;
                        }
                    }
                    Corruption::Pop { column } => {
                        u32_column(&mut columns, column).pop();
                    }
                    Corruption::Push { column, value } => u32_column(&mut columns, column).push(value),
                }
            }
            if let Err(message) = from_columns(columns) {
                prop_assert!(message.starts_with("malformed profiles from the host: "));
            }
        }
    }
}
