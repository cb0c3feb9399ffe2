//! The spend rule of DOMAIN.md §1: what one `order_completed` event is worth.
//!
//! An order is worth its `total` (revenue after discounts), else its `revenue`, else the sum of
//! `price × quantity` over its line items. Real senders emit numbers and numeric strings (`"27.50"`),
//! so both are read. A field that is absent, not a finite number, or negative counts as absent and the
//! next field in the rule is tried: a refund is not an `order_completed`, and a garbled `total` should not
//! hide a good `revenue`.
//!
//! Event properties are scalars, so line items can only arrive as JSON text: the `items` (or, as Segment
//! calls them, `products`) property holding an array of objects with `price` and optional `quantity`
//! (default 1). An `items` property that is a number (an item count, as the demo data sends) is not an
//! amount and is ignored.
//!
//! Amounts of different currencies are added as they are: converting needs rates the sandbox cannot fetch.

// Every function is `#[inline]` so that the serde_json code it uses is compiled in the plugin: see "Code size"
// in the crate documentation.

use cohort_plugin_sdk::Value;

/// The property names tried, in order, before line items.
const AMOUNT_FIELDS: [&str; 2] = ["total", "revenue"];

/// The property names that may hold line items as JSON text.
const ITEM_FIELDS: [&str; 2] = ["items", "products"];

/// The longest line-item text that is parsed; the record schema caps an attribute at 1,024 characters and
/// events come from the same connectors, so 64 KiB leaves room for any real order while bounding the work
/// per event.
const MAX_ITEMS_TEXT: usize = 64 * 1024;

/// What an order with these properties is worth, or `None` when no field of the rule gives an amount.
#[inline]
pub fn order_amount(properties: &[(String, Value)]) -> Option<f64> {
    for field in AMOUNT_FIELDS {
        if let Some(amount) = property(properties, field).and_then(non_negative) {
            return Some(amount);
        }
    }
    ITEM_FIELDS
        .iter()
        .filter_map(|field| property(properties, field))
        .find_map(items_amount)
}

/// The value of the first property called `name`.
#[inline]
fn property<'a>(properties: &'a [(String, Value)], name: &str) -> Option<&'a Value> {
    properties
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// A finite, non-negative number, or a numeric string holding one.
#[inline]
pub fn non_negative(value: &Value) -> Option<f64> {
    match value {
        Value::Number(number) => checked(*number),
        Value::Text(text) => parse_amount(text),
        Value::Boolean(_) => None,
    }
}

/// A numeric string as a finite, non-negative amount (`"NaN"` and `"inf"` parse, and are refused here).
#[inline]
fn parse_amount(text: &str) -> Option<f64> {
    checked(text.trim().parse::<f64>().ok()?)
}

/// The number itself when it is finite and not negative.
#[inline]
fn checked(number: f64) -> Option<f64> {
    // Adding 0.0 turns -0.0 into 0.0, so that equal spends sort as equal.
    (number.is_finite() && number >= 0.0).then_some(number + 0.0)
}

/// The sum of `price × quantity` over line items given as JSON text.
#[inline]
fn items_amount(value: &Value) -> Option<f64> {
    let Value::Text(text) = value else {
        return None;
    };
    if text.len() > MAX_ITEMS_TEXT {
        return None;
    }
    let items: Vec<serde_json::Value> = serde_json::from_str(text).ok()?;
    let mut sum = 0.0;
    let mut priced = false;
    for item in &items {
        let Some(price) = item.get("price").and_then(json_amount) else {
            continue;
        };
        let quantity = match item.get("quantity") {
            Some(quantity) => match json_amount(quantity) {
                Some(quantity) => quantity,
                None => continue,
            },
            None => 1.0,
        };
        sum += price * quantity;
        priced = true;
    }
    (priced && sum.is_finite()).then_some(sum)
}

/// A JSON number or numeric string as a finite, non-negative amount.
#[inline]
fn json_amount(value: &serde_json::Value) -> Option<f64> {
    match value {
        serde_json::Value::Number(number) => number.as_f64().and_then(checked),
        serde_json::Value::String(text) => parse_amount(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect()
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    #[test]
    fn total_wins_over_revenue_and_items() {
        let p = props(&[
            ("revenue", Value::Number(45.0)),
            ("total", Value::Number(54.9)),
            ("items", text(r#"[{"price": 10, "quantity": 2}]"#)),
        ]);
        assert_eq!(order_amount(&p), Some(54.9));
    }

    #[test]
    fn revenue_is_used_when_total_is_absent_or_unusable() {
        assert_eq!(
            order_amount(&props(&[("revenue", Value::Number(45.0))])),
            Some(45.0)
        );
        for bad in [
            text("n/a"),
            Value::Number(-3.0),
            Value::Number(f64::NAN),
            Value::Boolean(true),
        ] {
            let p = props(&[("total", bad.clone()), ("revenue", text(" 45.50 "))]);
            assert_eq!(order_amount(&p), Some(45.5), "total = {bad:?}");
        }
    }

    #[test]
    fn line_items_are_summed_when_there_is_no_total_or_revenue() {
        let items = r#"[{"price": 10, "quantity": 2}, {"price": "2.5"}, {"price": 1, "quantity": "3"}, {"name": "gift"}]"#;
        assert_eq!(order_amount(&props(&[("items", text(items))])), Some(25.5));
        let products = r#"[{"price": 4, "quantity": 2}]"#;
        assert_eq!(
            order_amount(&props(&[("products", text(products))])),
            Some(8.0)
        );
    }

    #[test]
    fn an_item_count_or_garbled_items_give_no_amount() {
        assert_eq!(order_amount(&props(&[("items", Value::Number(3.0))])), None);
        assert_eq!(order_amount(&props(&[("items", text("[{"))])), None);
        assert_eq!(
            order_amount(&props(&[("items", text(r#"[{"quantity": 2}]"#))])),
            None
        );
        assert_eq!(order_amount(&[]), None);
    }

    #[test]
    fn negative_zero_becomes_zero() {
        let amount = order_amount(&props(&[("total", Value::Number(-0.0))])).unwrap();
        assert!(amount.is_sign_positive());
    }
}
