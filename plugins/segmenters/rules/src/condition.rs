//! The condition tree of a rule segment, and its parser from JSON with errors that point at the offending
//! value.
//!
//! ```json
//! {"all": [
//!   {"attribute": "country", "in": ["DE", "AT", "CH"]},
//!   {"any": [
//!     {"attribute": "interest", "eq": "outdoor"},
//!     {"event": "page_viewed", "property": "path", "prefix": "/category/outdoor", "count_gte": 2, "within_days": 30}
//!   ]},
//!   {"not": {"attribute": "nps_score", "lte": 6}}
//! ]}
//! ```
//!
//! A condition is exactly one of:
//!
//! - `{"all": [c, ...]}` — every condition holds (at least one condition).
//! - `{"any": [c, ...]}` — at least one holds (at least one condition).
//! - `{"not": c}` — `c` does not hold.
//! - an attribute leaf `{"attribute": name, op: operand, ...}` with one or more value operators, all of which
//!   must hold, or `"exists": true` / `"missing": true` alone. Value operators: `eq` (text, number or
//!   boolean), `in` (a list of those), `gt`, `gte`, `lt`, `lte` (numbers), `prefix` (text).
//! - an event leaf `{"event": type, ...}` counting the profile's events of that type, optionally only those
//!   of the last `within_days` days and only those whose `property` passes the value operators given beside
//!   it (without operators the property must merely be present; ages are whole days, see [`crate::eval`]). The count must be at least `count_gte`
//!   (default 1) and, if given, at most `count_lte`: `"count_lte": 0` means "no such event".
//!
//! How values compare is in [`crate::eval`].

use serde_json::{Map, Value as Json};

use crate::error::RulesError;
use crate::vocabulary;

/// The deepest nesting accepted. Evaluation recurses once per level, and the Wasm stack is small; no
/// hand-written rule comes near 32 levels.
pub const MAX_DEPTH: usize = 32;

/// The most conditions (nodes) in one configuration: bounds the work per profile.
pub const MAX_NODES: usize = 10_000;

/// The most values in one `in` list.
pub const MAX_IN_VALUES: usize = 1_000;

/// The longest text operand, as long as the longest attribute value the record schema allows.
pub const MAX_TEXT: usize = 1_024;

/// The longest `within_days`, about 27 years: beyond any retention period.
pub const MAX_WITHIN_DAYS: u64 = 10_000;

/// An operand of `eq` or `in`.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// Text, compared with the value's text.
    Text(String),
    /// A number, compared with the value's number.
    Number(f64),
    /// A boolean.
    Boolean(bool),
}

/// One value operator with its operand.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueTest {
    /// Equal to.
    Eq(Scalar),
    /// Equal to one of.
    In(Vec<Scalar>),
    /// Greater than.
    Gt(f64),
    /// Greater than or equal to.
    Gte(f64),
    /// Less than.
    Lt(f64),
    /// Less than or equal to.
    Lte(f64),
    /// Text starting with.
    Prefix(String),
}

/// What an attribute leaf checks.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeTest {
    /// The attribute is present.
    Exists,
    /// The attribute is absent.
    Missing,
    /// The attribute is present and passes every operator.
    Values(Vec<ValueTest>),
}

/// A leaf on an attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeLeaf {
    /// The attribute name.
    pub name: String,
    /// The check.
    pub test: AttributeTest,
}

/// Which events of a type count, by one of their properties.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyFilter {
    /// The property name.
    pub name: String,
    /// Operators the property must pass; empty means it must merely be present.
    pub tests: Vec<ValueTest>,
}

/// A leaf counting events.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLeaf {
    /// The event type.
    pub event_type: String,
    /// Only events at most this many whole days old count, when given.
    pub within_days: Option<u64>,
    /// Only events whose property passes, when given.
    pub property: Option<PropertyFilter>,
    /// The least count that matches.
    pub count_gte: u64,
    /// The greatest count that matches, when given.
    pub count_lte: Option<u64>,
}

/// A condition tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every child holds.
    All(Vec<Condition>),
    /// At least one child holds.
    Any(Vec<Condition>),
    /// The child does not hold.
    Not(Box<Condition>),
    /// An attribute leaf.
    Attribute(AttributeLeaf),
    /// An event leaf.
    Event(EventLeaf),
}

/// The keys that say what kind of condition an object is.
const KINDS: [&str; 5] = ["all", "any", "not", "attribute", "event"];

/// The value operators, in the order error messages list them.
const VALUE_OPS: [&str; 7] = ["eq", "in", "gt", "gte", "lt", "lte", "prefix"];

/// The keys of an event leaf besides the value operators.
const EVENT_KEYS: [&str; 5] = ["event", "within_days", "property", "count_gte", "count_lte"];

/// Parses condition trees, counting nodes across a whole configuration.
#[derive(Debug, Default)]
pub struct Parser {
    nodes: usize,
}

impl Parser {
    /// Parses the condition at `path`.
    pub fn condition(&mut self, json: &Json, path: &str) -> Result<Condition, RulesError> {
        self.parse(json, path, 1)
    }

    fn parse(&mut self, json: &Json, path: &str, depth: usize) -> Result<Condition, RulesError> {
        if depth > MAX_DEPTH {
            return Err(RulesError::invalid(
                path,
                format!("conditions nest more than {MAX_DEPTH} deep"),
            ));
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(RulesError::invalid(
                path,
                format!("the configuration has more than {MAX_NODES} conditions"),
            ));
        }
        let Json::Object(object) = json else {
            return Err(RulesError::invalid(
                path,
                format!("a condition must be an object, not {}", kind_of(json)),
            ));
        };
        let kinds: Vec<&str> = KINDS
            .into_iter()
            .filter(|k| object.contains_key(*k))
            .collect();
        let kind = match kinds.as_slice() {
            [kind] => *kind,
            [] => {
                return Err(RulesError::invalid(
                    path,
                    format!(
                        "a condition needs one of {}; found keys {}",
                        KINDS.join(", "),
                        keys(object)
                    ),
                ));
            }
            [first, second, ..] => {
                return Err(RulesError::invalid(
                    path,
                    format!(
                        "a condition has one kind, but this has both `{first}` and `{second}`; combine them with `all`"
                    ),
                ));
            }
        };
        match kind {
            "all" | "any" | "not" => {
                if object.len() > 1 {
                    return Err(RulesError::invalid(
                        path,
                        format!(
                            "`{kind}` stands alone in its object; found keys {}",
                            keys(object)
                        ),
                    ));
                }
                let inner = &object[kind];
                let inner_path = format!("{path}.{kind}");
                if kind == "not" {
                    return Ok(Condition::Not(Box::new(self.parse(
                        inner,
                        &inner_path,
                        depth + 1,
                    )?)));
                }
                let Json::Array(items) = inner else {
                    return Err(RulesError::invalid(
                        &inner_path,
                        format!(
                            "`{kind}` takes a list of conditions, not {}",
                            kind_of(inner)
                        ),
                    ));
                };
                if items.is_empty() {
                    return Err(RulesError::invalid(
                        &inner_path,
                        format!("`{kind}` needs at least one condition"),
                    ));
                }
                let children = items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| self.parse(item, &format!("{inner_path}[{i}]"), depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if kind == "all" {
                    Condition::All(children)
                } else {
                    Condition::Any(children)
                })
            }
            "attribute" => attribute_leaf(object, path).map(Condition::Attribute),
            _ => event_leaf(object, path).map(Condition::Event),
        }
    }
}

/// "a string", "a list", ... for error messages.
fn kind_of(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// The keys of an object as "`a`, `b`".
fn keys(object: &Map<String, Json>) -> String {
    let keys: Vec<String> = object.keys().map(|k| format!("`{k}`")).collect();
    if keys.is_empty() {
        "none".to_owned()
    } else {
        keys.join(", ")
    }
}

/// A name operand: non-empty text.
fn name<'a>(object: &'a Map<String, Json>, key: &str, path: &str) -> Result<&'a str, RulesError> {
    match &object[key] {
        Json::String(text) if !text.is_empty() => Ok(text),
        other => Err(RulesError::invalid(
            &format!("{path}.{key}"),
            format!("must be a name, not {}", kind_of(other)),
        )),
    }
}

fn attribute_leaf(object: &Map<String, Json>, path: &str) -> Result<AttributeLeaf, RulesError> {
    let name = name(object, "attribute", path)?;
    if !vocabulary::ATTRIBUTES.contains(&name) {
        return Err(RulesError::invalid(
            &format!("{path}.attribute"),
            format!(
                "attribute `{name}` is not one this plugin declares, so the host would never send it; declared: {}",
                vocabulary::ATTRIBUTES.join(", ")
            ),
        ));
    }
    let mut presence = None;
    let mut tests = Vec::new();
    for (key, operand) in object {
        let at = format!("{path}.{key}");
        match key.as_str() {
            "attribute" => {}
            "exists" | "missing" => {
                let Json::Bool(flag) = operand else {
                    return Err(RulesError::invalid(
                        &at,
                        format!("`{key}` takes true or false, not {}", kind_of(operand)),
                    ));
                };
                let wanted = if (key == "exists") == *flag {
                    AttributeTest::Exists
                } else {
                    AttributeTest::Missing
                };
                if presence.replace(wanted).is_some() {
                    return Err(RulesError::invalid(
                        &at,
                        "use only one of `exists` and `missing`",
                    ));
                }
            }
            op if VALUE_OPS.contains(&op) => tests.push(value_test(op, operand, &at)?),
            unknown => {
                return Err(RulesError::invalid(
                    &at,
                    format!(
                        "unknown operator `{unknown}` on an attribute; expected one of {}, exists, missing",
                        VALUE_OPS.join(", ")
                    ),
                ));
            }
        }
    }
    let test = match (presence, tests.is_empty()) {
        (Some(presence), true) => presence,
        (None, false) => {
            check_range(&tests, path)?;
            AttributeTest::Values(tests)
        }
        (Some(_), false) => {
            return Err(RulesError::invalid(
                path,
                "`exists`/`missing` cannot be combined with value operators (a value operator already requires the attribute)",
            ));
        }
        (None, true) => {
            return Err(RulesError::invalid(
                path,
                format!(
                    "attribute `{name}` has no operator; add one of {}, exists, missing",
                    VALUE_OPS.join(", ")
                ),
            ));
        }
    };
    Ok(AttributeLeaf {
        name: name.to_owned(),
        test,
    })
}

fn event_leaf(object: &Map<String, Json>, path: &str) -> Result<EventLeaf, RulesError> {
    let event_type = name(object, "event", path)?;
    if !vocabulary::EVENT_TYPES.contains(&event_type) {
        return Err(RulesError::invalid(
            &format!("{path}.event"),
            format!(
                "event type `{event_type}` is not one this plugin declares, so the host would never send it; declared: {}",
                vocabulary::EVENT_TYPES.join(", ")
            ),
        ));
    }
    let mut leaf = EventLeaf {
        event_type: event_type.to_owned(),
        within_days: None,
        property: None,
        count_gte: 1,
        count_lte: None,
    };
    let mut tests = Vec::new();
    let mut property = None;
    for (key, operand) in object {
        let at = format!("{path}.{key}");
        match key.as_str() {
            "event" => {}
            "within_days" => {
                let days = count(operand, &at)?;
                if !(1..=MAX_WITHIN_DAYS).contains(&days) {
                    return Err(RulesError::invalid(
                        &at,
                        format!("must be 1 to {MAX_WITHIN_DAYS} days"),
                    ));
                }
                leaf.within_days = Some(days);
            }
            "count_gte" => leaf.count_gte = count(operand, &at)?,
            "count_lte" => leaf.count_lte = Some(count(operand, &at)?),
            "property" => property = Some(name(object, "property", path)?.to_owned()),
            op if VALUE_OPS.contains(&op) => tests.push(value_test(op, operand, &at)?),
            unknown => {
                return Err(RulesError::invalid(
                    &at,
                    format!(
                        "unknown key `{unknown}` on an event leaf; expected {} or, with `property`, one of {}{}",
                        EVENT_KEYS.join(", "),
                        VALUE_OPS.join(", "),
                        if unknown == "missing" || unknown == "exists" {
                            " (for \"no such event\" use \"count_lte\": 0)"
                        } else {
                            ""
                        }
                    ),
                ));
            }
        }
    }
    if leaf.count_lte.is_some() && !object.contains_key("count_gte") {
        // `count_lte` alone means "at most": the default lower bound of 1 gives way to 0.
        leaf.count_gte = 0;
    }
    if let Some(lte) = leaf.count_lte
        && lte < leaf.count_gte
    {
        return Err(RulesError::invalid(
            &format!("{path}.count_lte"),
            format!(
                "count_lte {lte} is below count_gte {}: the leaf could never match",
                leaf.count_gte
            ),
        ));
    }
    match property {
        Some(name) => {
            check_range(&tests, path)?;
            leaf.property = Some(PropertyFilter { name, tests });
        }
        None if !tests.is_empty() => {
            return Err(RulesError::invalid(
                path,
                "value operators on an event leaf test a property: name it with `property`",
            ));
        }
        None => {}
    }
    Ok(leaf)
}

/// A non-negative whole number.
fn count(operand: &Json, path: &str) -> Result<u64, RulesError> {
    operand.as_u64().ok_or_else(|| {
        RulesError::invalid(
            path,
            format!("must be a whole number of 0 or more, not {operand}"),
        )
    })
}

/// One value operator and its operand.
fn value_test(op: &str, operand: &Json, path: &str) -> Result<ValueTest, RulesError> {
    Ok(match op {
        "eq" => ValueTest::Eq(scalar(operand, path)?),
        "in" => {
            let Json::Array(items) = operand else {
                return Err(RulesError::invalid(
                    path,
                    format!("`in` takes a list, not {}", kind_of(operand)),
                ));
            };
            if items.is_empty() || items.len() > MAX_IN_VALUES {
                return Err(RulesError::invalid(
                    path,
                    format!("`in` takes 1 to {MAX_IN_VALUES} values"),
                ));
            }
            ValueTest::In(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| scalar(item, &format!("{path}[{i}]")))
                    .collect::<Result<_, _>>()?,
            )
        }
        "prefix" => match operand {
            Json::String(text) if !text.is_empty() && text.len() <= MAX_TEXT => {
                ValueTest::Prefix(text.clone())
            }
            _ => {
                return Err(RulesError::invalid(
                    path,
                    format!("`prefix` takes text of 1 to {MAX_TEXT} bytes"),
                ));
            }
        },
        _ => {
            let Some(number) = operand.as_f64() else {
                return Err(RulesError::invalid(
                    path,
                    format!("`{op}` takes a number, not {}", kind_of(operand)),
                ));
            };
            match op {
                "gt" => ValueTest::Gt(number),
                "gte" => ValueTest::Gte(number),
                "lt" => ValueTest::Lt(number),
                _ => ValueTest::Lte(number),
            }
        }
    })
}

/// An `eq` or `in` operand.
fn scalar(operand: &Json, path: &str) -> Result<Scalar, RulesError> {
    match operand {
        Json::String(text) if text.len() <= MAX_TEXT => Ok(Scalar::Text(text.clone())),
        Json::Number(number) => number
            .as_f64()
            .map(Scalar::Number)
            .ok_or_else(|| RulesError::invalid(path, "number out of range")),
        Json::Bool(flag) => Ok(Scalar::Boolean(*flag)),
        other => Err(RulesError::invalid(
            path,
            format!(
                "expected text (at most {MAX_TEXT} bytes), a number or a boolean, not {}",
                kind_of(other)
            ),
        )),
    }
}

/// Refuses numeric bounds that no value can meet together (`gte 9` with `lte 5`).
fn check_range(tests: &[ValueTest], path: &str) -> Result<(), RulesError> {
    // (bound, inclusive)
    let mut lower: Option<(f64, bool)> = None;
    let mut upper: Option<(f64, bool)> = None;
    for test in tests {
        match *test {
            ValueTest::Gt(n) => lower = tighter(lower, (n, false), |a, b| a > b),
            ValueTest::Gte(n) => lower = tighter(lower, (n, true), |a, b| a > b),
            ValueTest::Lt(n) => upper = tighter(upper, (n, false), |a, b| a < b),
            ValueTest::Lte(n) => upper = tighter(upper, (n, true), |a, b| a < b),
            _ => {}
        }
    }
    if let (Some((low, low_inclusive)), Some((high, high_inclusive))) = (lower, upper)
        && (low > high || (low == high && !(low_inclusive && high_inclusive)))
    {
        return Err(RulesError::invalid(
            path,
            format!(
                "the lower bound {low} and the upper bound {high} leave no value: the leaf could never match"
            ),
        ));
    }
    Ok(())
}

/// The tighter of two bounds; at equal values the exclusive one.
fn tighter(
    current: Option<(f64, bool)>,
    new: (f64, bool),
    beyond: fn(f64, f64) -> bool,
) -> Option<(f64, bool)> {
    match current {
        None => Some(new),
        Some(old) if beyond(new.0, old.0) || (new.0 == old.0 && !new.1) => Some(new),
        Some(old) => Some(old),
    }
}
