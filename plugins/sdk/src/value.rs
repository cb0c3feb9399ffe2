//! The scalar [`Value`] of attributes and event properties, mirroring the WIT `types.value` variant.

use std::fmt;

/// A scalar: every attribute value and event property is one of these (WIT `types.value`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A number; integers arrive as whole numbers.
    Number(f64),
    /// True or false.
    Boolean(bool),
}

impl Value {
    /// The text, when the value is text.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(text) => Some(text),
            Value::Number(_) | Value::Boolean(_) => None,
        }
    }

    /// The number, when the value is a number.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Number(number) => Some(*number),
            Value::Text(_) | Value::Boolean(_) => None,
        }
    }

    /// The boolean, when the value is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(flag) => Some(*flag),
            Value::Text(_) | Value::Number(_) => None,
        }
    }

    /// The value as JSON. A number JSON cannot hold (NaN or an infinity) becomes `null`, as `serde_json` writes it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Text(text) => serde_json::Value::String(text.clone()),
            Value::Number(number) => serde_json::Number::from_f64(*number)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Boolean(flag) => serde_json::Value::Bool(*flag),
        }
    }
}

/// Writes text as it is, numbers in Rust's shortest round-trip form (`3`, `2.5`) and booleans as `true`/`false`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Text(text) => f.write_str(text),
            Value::Number(number) => write!(f, "{number}"),
            Value::Boolean(flag) => write!(f, "{flag}"),
        }
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Self {
        Value::Number(number)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Value::Boolean(flag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_answer_only_for_their_own_variant() {
        let cases = [Value::from("gold"), Value::from(2.5), Value::from(true)];
        let answers: Vec<_> = cases
            .iter()
            .map(|value| (value.as_text(), value.as_number(), value.as_bool()))
            .collect();
        assert_eq!(
            answers,
            vec![
                (Some("gold"), None, None),
                (None, Some(2.5), None),
                (None, None, Some(true)),
            ]
        );
    }

    #[test]
    fn json_keeps_the_kind_and_turns_non_finite_numbers_into_null() {
        assert_eq!(Value::from("FR").to_json(), serde_json::json!("FR"));
        assert_eq!(Value::from(42.0).to_json(), serde_json::json!(42.0));
        assert_eq!(Value::from(false).to_json(), serde_json::json!(false));
        assert_eq!(Value::Number(f64::NAN).to_json(), serde_json::Value::Null);
        assert_eq!(
            Value::Number(f64::INFINITY).to_json(),
            serde_json::Value::Null
        );
    }

    #[test]
    fn display_writes_numbers_in_shortest_form() {
        let shown: Vec<String> = [
            Value::from(3.0),
            Value::from(2.5),
            Value::from("a b"),
            Value::from(true),
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        assert_eq!(shown, ["3", "2.5", "a b", "true"]);
    }
}
