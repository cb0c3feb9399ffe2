//! Profiles as the host hands them to a segmenter: the host's own types, and their encodings for each interface
//! version (columns for 0.2.0, records of strings for 0.1.0).
//!
//! A token is a `u64` chosen by the caller per run (never an identifier). Interface 0.1.0 carries tokens as text:
//! there a token is written as 16 lowercase hex digits, and [`token_from_text`] reads it back.

use crate::bindings::segmenter as v0_1;
use crate::bindings::segmenter_v0_2 as v0_2;
use v0_2::cohort::plugin::types::{ValueKind, Values};
use v0_2::exports::cohort::plugin::segmenter::Profiles;

/// A scalar: an attribute value or an event property.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean.
    Boolean(bool),
}

/// One attribute of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The attribute's name, as the policy names it.
    pub name: String,
    /// Its value.
    pub value: Value,
}

/// One event of a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The event type, as the policy names it.
    pub event_type: String,
    /// Seconds since 1970-01-01T00:00:00Z.
    pub at: i64,
    /// Its properties, in order.
    pub properties: Vec<(String, Value)>,
}

/// A profile as the caller projected it for one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The run-scoped token assignments refer back to.
    pub token: u64,
    /// The attributes the projection kept.
    pub attributes: Vec<Attribute>,
    /// The events the projection kept.
    pub events: Vec<Event>,
}

/// Names at most this many are found by a linear scan; a chunk rarely uses more than a dozen.
const SCAN_NAMES: usize = 16;

/// The names table of one chunk: each name once, looked up by a scan while the table is small.
#[derive(Default)]
struct Names<'a> {
    list: Vec<&'a str>,
    index: std::collections::HashMap<&'a str, u32>,
}

impl<'a> Names<'a> {
    fn index_of(&mut self, name: &'a str) -> u32 {
        if self.list.len() <= SCAN_NAMES {
            if let Some(i) = self.list.iter().position(|n| *n == name) {
                return i as u32;
            }
        } else if let Some(i) = self.index.get(name) {
            return *i;
        }
        let i = self.list.len() as u32;
        self.list.push(name);
        if self.list.len() > SCAN_NAMES {
            if self.index.is_empty() {
                self.index
                    .extend(self.list.iter().enumerate().map(|(i, n)| (*n, i as u32)));
            } else {
                self.index.insert(name, i);
            }
        }
        i
    }
}

fn clear_values(values: &mut Values) {
    values.kinds.clear();
    values.numbers.clear();
    values.text.clear();
    values.text_ends.clear();
}

fn push_value(values: &mut Values, value: &Value) {
    let (kind, number) = match value {
        Value::Text(text) => {
            values.text.push_str(text);
            (ValueKind::Text, 0.0)
        }
        Value::Number(n) => (ValueKind::Number, *n),
        Value::Boolean(b) => (ValueKind::Boolean, if *b { 1.0 } else { 0.0 }),
    };
    values.kinds.push(kind);
    values.numbers.push(number);
    values.text_ends.push(end(values.text.len()));
}

/// An end offset as the interface carries it. The host never builds a chunk of 4 GiB: the caller's chunks are a
/// few thousand profiles, so this cannot saturate in practice, and if it did the plugin would see a malformed chunk.
fn end(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// An empty chunk, ready for [`encode_v0_2`].
pub(crate) fn empty_chunk() -> Profiles {
    let values = || Values {
        kinds: Vec::new(),
        numbers: Vec::new(),
        text: String::new(),
        text_ends: Vec::new(),
    };
    Profiles {
        names: Vec::new(),
        tokens: Vec::new(),
        attribute_ends: Vec::new(),
        attribute_names: Vec::new(),
        attribute_values: values(),
        event_ends: Vec::new(),
        event_types: Vec::new(),
        event_times: Vec::new(),
        property_ends: Vec::new(),
        property_keys: Vec::new(),
        property_values: values(),
    }
}

/// Writes `profiles` into `chunk` in the columns of interface 0.2.0, reusing its buffers.
pub(crate) fn encode_v0_2(profiles: &[Profile], chunk: &mut Profiles) {
    let mut names = Names::default();
    chunk.tokens.clear();
    chunk.attribute_ends.clear();
    chunk.attribute_names.clear();
    clear_values(&mut chunk.attribute_values);
    chunk.event_ends.clear();
    chunk.event_types.clear();
    chunk.event_times.clear();
    chunk.property_ends.clear();
    chunk.property_keys.clear();
    clear_values(&mut chunk.property_values);
    for profile in profiles {
        chunk.tokens.push(profile.token);
        for attribute in &profile.attributes {
            chunk.attribute_names.push(names.index_of(&attribute.name));
            push_value(&mut chunk.attribute_values, &attribute.value);
        }
        chunk.attribute_ends.push(end(chunk.attribute_names.len()));
        for event in &profile.events {
            chunk.event_types.push(names.index_of(&event.event_type));
            chunk.event_times.push(event.at);
            for (key, value) in &event.properties {
                chunk.property_keys.push(names.index_of(key));
                push_value(&mut chunk.property_values, value);
            }
            chunk.property_ends.push(end(chunk.property_keys.len()));
        }
        chunk.event_ends.push(end(chunk.event_types.len()));
    }
    chunk.names.clear();
    chunk
        .names
        .extend(names.list.iter().map(|name| (*name).to_owned()));
}

/// A token as text: 16 lowercase hex digits. Interface 0.1.0 carries tokens this way, and the SDK shows them so to
/// a plugin on either interface; a host that runs an SDK plugin in process (the native side of `cohort bench
/// plugins`) converts with this and [`token_from_text`].
pub fn token_text(token: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Written into a fixed array, then one copy: it runs once per profile, so not through `format!`.
    let mut digits = [0u8; 16];
    for (at, digit) in digits.iter_mut().enumerate() {
        *digit = HEX[((token >> ((15 - at) * 4)) & 0xf) as usize];
    }
    // Hex digits are ASCII, so this is never the empty default.
    std::str::from_utf8(&digits)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// The token whose text is `text`, if it is one the host could have given: exactly 16 lowercase hex digits, as
/// [`token_text`] writes them.
pub fn token_from_text(text: &str) -> Option<u64> {
    if text.len() != 16 {
        return None;
    }
    text.bytes().try_fold(0_u64, |token, byte| {
        let nibble = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            _ => return None,
        };
        Some(token << 4 | u64::from(nibble))
    })
}

fn to_v0_1_value(value: &Value) -> v0_1::cohort::plugin::types::Value {
    use v0_1::cohort::plugin::types::Value as V;
    match value {
        Value::Text(text) => V::Text(text.clone()),
        Value::Number(n) => V::Number(*n),
        Value::Boolean(b) => V::Boolean(*b),
    }
}

/// `profile` as interface 0.1.0's record.
pub(crate) fn to_v0_1(profile: &Profile) -> v0_1::exports::cohort::plugin::segmenter::Profile {
    use v0_1::exports::cohort::plugin::segmenter as wit;
    wit::Profile {
        token: token_text(profile.token),
        attributes: profile
            .attributes
            .iter()
            .map(|a| wit::Attribute {
                name: a.name.clone(),
                value: to_v0_1_value(&a.value),
            })
            .collect(),
        events: profile
            .events
            .iter()
            .map(|e| wit::Event {
                event_type: e.event_type.clone(),
                at: e.at,
                properties: e
                    .properties
                    .iter()
                    .map(|(k, v)| (k.clone(), to_v0_1_value(v)))
                    .collect(),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reads a chunk back, as a plugin's SDK would: the inverse of `encode_v0_2`.
    fn decode(chunk: &Profiles) -> Vec<Profile> {
        let value = |values: &Values, i: usize| {
            let start = if i == 0 {
                0
            } else {
                values.text_ends[i - 1] as usize
            };
            match values.kinds[i] {
                ValueKind::Text => {
                    Value::Text(values.text[start..values.text_ends[i] as usize].to_owned())
                }
                ValueKind::Number => Value::Number(values.numbers[i]),
                ValueKind::Boolean => Value::Boolean(values.numbers[i] != 0.0),
            }
        };
        let span = |ends: &[u32], i: usize| {
            (if i == 0 { 0 } else { ends[i - 1] as usize })..ends[i] as usize
        };
        (0..chunk.tokens.len())
            .map(|p| Profile {
                token: chunk.tokens[p],
                attributes: span(&chunk.attribute_ends, p)
                    .map(|a| Attribute {
                        name: chunk.names[chunk.attribute_names[a] as usize].clone(),
                        value: value(&chunk.attribute_values, a),
                    })
                    .collect(),
                events: span(&chunk.event_ends, p)
                    .map(|e| Event {
                        event_type: chunk.names[chunk.event_types[e] as usize].clone(),
                        at: chunk.event_times[e],
                        properties: span(&chunk.property_ends, e)
                            .map(|k| {
                                (
                                    chunk.names[chunk.property_keys[k] as usize].clone(),
                                    value(&chunk.property_values, k),
                                )
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect()
    }

    fn any_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            ".{0,12}".prop_map(Value::Text),
            // Finite numbers: NaN would not equal itself in the comparison below.
            (-1e12f64..1e12).prop_map(Value::Number),
            any::<bool>().prop_map(Value::Boolean),
        ]
    }

    fn any_name() -> impl Strategy<Value = String> {
        // Few distinct names, as in real chunks, plus the odd long tail so the table outgrows the scan.
        prop_oneof![
            4 => "[a-c]{1,2}",
            1 => "[a-z_]{1,12}",
        ]
    }

    fn any_profile() -> impl Strategy<Value = Profile> {
        (
            any::<u64>(),
            proptest::collection::vec(
                (any_name(), any_value()).prop_map(|(name, value)| Attribute { name, value }),
                0..5,
            ),
            proptest::collection::vec(
                (
                    any_name(),
                    any::<i64>(),
                    proptest::collection::vec((any_name(), any_value()), 0..4),
                )
                    .prop_map(|(event_type, at, properties)| Event {
                        event_type,
                        at,
                        properties,
                    }),
                0..5,
            ),
        )
            .prop_map(|(token, attributes, events)| Profile {
                token,
                attributes,
                events,
            })
    }

    proptest! {
        #[test]
        fn a_chunk_decodes_to_the_profiles_encoded(
            first in proptest::collection::vec(any_profile(), 0..20),
            second in proptest::collection::vec(any_profile(), 0..20),
        ) {
            // The buffer is reused: the second chunk must not carry anything of the first.
            let mut chunk = empty_chunk();
            encode_v0_2(&first, &mut chunk);
            prop_assert_eq!(decode(&chunk), first);
            encode_v0_2(&second, &mut chunk);
            prop_assert_eq!(decode(&chunk), second);
            let mut names = chunk.names.clone();
            names.sort();
            names.dedup();
            prop_assert_eq!(names.len(), chunk.names.len(), "each name once");
        }

        #[test]
        fn a_v0_1_token_reads_back(token in any::<u64>()) {
            prop_assert_eq!(token_from_text(&token_text(token)), Some(token));
        }
    }

    #[test]
    fn only_sixteen_lowercase_hex_digits_are_a_token_text() {
        for bad in [
            "",
            "0",
            "000000000000000G",
            "000000000000000A",
            "+00000000000000a",
            "00000000000000000",
        ] {
            assert_eq!(token_from_text(bad), None, "{bad}");
        }
        assert_eq!(token_from_text("00000000000000ff"), Some(255));
    }
}
