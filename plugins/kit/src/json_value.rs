//! Reading fields of parsed JSON the way senders really write them: ids as strings or numbers, amounts as numbers
//! or numeric strings, and parse errors described without repeating the input.

// Every function is `#[inline]` so that the serde_json code it uses is compiled in the plugin: see "Code size"
// in the crate documentation.

use serde_json::Value;

/// The value at `path` (object keys) under `value`.
#[inline]
pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

/// Text from a string (trimmed, non-empty) or a number (`42` → `"42"`). Booleans, arrays and objects are not text.
#[inline]
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => {
            let trimmed = s.trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A number that may be written as a JSON number or a numeric string (`27.5`, `"27.50"`). `Ok(None)` when the
/// value is absent, null or an empty string; `Err(())` when it is something else.
#[allow(clippy::result_unit_err)] // The caller knows the field and writes the message.
#[inline]
pub fn number(value: Option<&Value>) -> Result<Option<f64>, ()> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_f64().map(Some).ok_or(()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let trimmed = s.trim();
            // Only plain decimal notation: Rust's parser also takes `inf`, `NaN` and `1e5`, which no sender means.
            let plain = trimmed
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'+');
            match trimmed.parse::<f64>() {
                Ok(n) if plain && n.is_finite() => Ok(Some(n)),
                _ => Err(()),
            }
        }
        Some(_) => Err(()),
    }
}

/// Rounds an amount computed from parts (price × quantity) to 6 decimal places, so float noise such as
/// `54.900000000000006` does not reach a record. No currency has more than 4 minor-unit digits.
#[inline]
pub fn round_amount(amount: f64) -> f64 {
    const SCALE: f64 = 1e6;
    (amount * SCALE).round() / SCALE
}

/// A diagnostic sentence for a JSON parse error: where, and what kind of problem, never the text itself.
#[inline]
pub fn parse_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match error.classify() {
        Category::Eof => "ends before the value is complete".to_owned(),
        Category::Syntax | Category::Data => format!(
            "is not valid JSON (syntax error at column {}{})",
            error.column(),
            if error.line() > 1 {
                format!(" of its line {}", error.line())
            } else {
                String::new()
            }
        ),
        Category::Io => "could not be read".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_and_amounts_as_senders_write_them() {
        assert_eq!(text(&json!(" u-42 ")), Some("u-42".into()));
        assert_eq!(text(&json!(42)), Some("42".into()));
        assert_eq!(text(&json!("")), None);
        assert_eq!(text(&json!(true)), None);
        assert_eq!(number(Some(&json!(27.5))), Ok(Some(27.5)));
        assert_eq!(number(Some(&json!(" 27.50 "))), Ok(Some(27.5)));
        assert_eq!(number(Some(&json!(""))), Ok(None));
        assert_eq!(number(None), Ok(None));
        for bad in [
            json!("27,50"),
            json!("NaN"),
            json!("inf"),
            json!("1e5"),
            json!([1]),
        ] {
            assert_eq!(number(Some(&bad)), Err(()), "{bad}");
        }
        assert_eq!(round_amount(19.9 * 2.0 + 15.1), 54.9);
    }

    #[test]
    fn paths_and_parse_errors() {
        let value = json!({"context": {"page": {"path": "/cart"}}});
        assert_eq!(
            at(&value, &["context", "page", "path"]),
            Some(&json!("/cart"))
        );
        assert_eq!(at(&value, &["context", "traits"]), None);
        let error = serde_json::from_str::<Value>("{\"a\": tru}").unwrap_err();
        assert_eq!(
            parse_error(&error),
            "is not valid JSON (syntax error at column 10)"
        );
        let error = serde_json::from_str::<Value>("[1,").unwrap_err();
        assert_eq!(parse_error(&error), "ends before the value is complete");
    }
}
