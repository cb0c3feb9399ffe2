//! Evaluates condition trees on profiles, and explains a match in words.
//!
//! # How values compare
//!
//! - `eq`/`in` with a **text** operand compare with the value's text: text as it is (case-sensitive, not
//!   trimmed), a number in its shortest form (`9`, `2.5`), a boolean as `true`/`false`.
//! - `eq`/`in` with a **number** compare numerically with a number, or with text that parses as one
//!   (`"9"`, as real senders write numbers).
//! - `eq`/`in` with a **boolean** match a boolean, or the text `true`/`false`.
//! - `gt`, `gte`, `lt`, `lte` compare numerically, with the same reading of text; anything else is false.
//! - `prefix` matches text that starts with the operand (case-sensitive).
//!
//! # Missing data
//!
//! A leaf on a **missing attribute** is false, whatever its operators (only `missing` is true), so
//! `{"not": leaf}` on a missing attribute is **true**: "not in Germany" includes profiles whose country is
//! unknown. To exclude those, add `{"attribute": ..., "exists": true}` next to the `not`. An event property
//! that is missing fails its operators the same way, so that event does not count.
//!
//! # Time
//!
//! Events after the run's `now` are ignored. Ages are counted in whole days, as in the other built-in
//! segmenters: `within_days: d` keeps events at most `d` whole days old, that is with
//! `now − at < (d + 1) × 86,400`. With `d = 30` an event 30 days and 23 hours old counts; one 31 days old
//! does not.

use std::fmt::Write;

use cohort_plugin_sdk::{Profile, Value};

use crate::condition::{AttributeLeaf, AttributeTest, Condition, EventLeaf, Scalar, ValueTest};

/// Seconds in a day.
const SECONDS_PER_DAY: i64 = 86_400;

/// The most reasons one assignment carries; the rest of a long rule is left out.
pub const MAX_REASONS: usize = 8;

impl Condition {
    /// Whether the condition holds for `profile` as of `now`.
    pub fn matches(&self, profile: &Profile, now: i64) -> bool {
        match self {
            Self::All(children) => children.iter().all(|c| c.matches(profile, now)),
            Self::Any(children) => children.iter().any(|c| c.matches(profile, now)),
            Self::Not(child) => !child.matches(profile, now),
            Self::Attribute(leaf) => leaf.matches(profile),
            Self::Event(leaf) => leaf.matches(profile, now),
        }
    }

    /// Why the condition holds (call only when [`Condition::matches`] is true): the leaves that made it
    /// true, each as a line, at most [`MAX_REASONS`].
    pub fn explain(&self, profile: &Profile, now: i64) -> Vec<String> {
        let mut out = Vec::new();
        self.why(true, profile, now, &mut out);
        out
    }

    /// Adds the leaves that make the condition evaluate to `holds`.
    fn why(&self, holds: bool, profile: &Profile, now: i64, out: &mut Vec<String>) {
        if out.len() >= MAX_REASONS {
            return;
        }
        match (self, holds) {
            // Every child holds / the first that fails.
            (Self::All(children), true) | (Self::Any(children), false) => {
                for child in children {
                    child.why(holds, profile, now, out);
                }
            }
            (Self::All(children), false) | (Self::Any(children), true) => {
                if let Some(child) = children.iter().find(|c| c.matches(profile, now) == holds) {
                    child.why(holds, profile, now, out);
                }
            }
            (Self::Not(child), _) => child.why(!holds, profile, now, out),
            (Self::Attribute(leaf), _) => out.push(leaf.describe(holds, profile)),
            (Self::Event(leaf), _) => out.push(leaf.describe(holds, profile, now)),
        }
    }
}

impl AttributeLeaf {
    /// Whether the attribute passes.
    pub fn matches(&self, profile: &Profile) -> bool {
        let value = profile.attr(&self.name);
        match &self.test {
            AttributeTest::Exists => value.is_some(),
            AttributeTest::Missing => value.is_none(),
            AttributeTest::Values(tests) => {
                value.is_some_and(|v| tests.iter().all(|t| t.passes(v)))
            }
        }
    }

    /// The rule as a line, prefixed with "not" when it is the rule's failing that counts. Only operands
    /// from the configuration are quoted, never the profile's own value.
    fn describe(&self, holds: bool, profile: &Profile) -> String {
        let rule = match &self.test {
            AttributeTest::Exists => format!("{} is present", self.name),
            AttributeTest::Missing => format!("{} is missing", self.name),
            AttributeTest::Values(tests) => describe_tests(&self.name, tests),
        };
        match (holds, &self.test, profile.attr(&self.name)) {
            (true, _, _) => rule,
            (false, AttributeTest::Values(_), None) => {
                format!("not ({rule}): {} is missing", self.name)
            }
            (false, _, _) => format!("not ({rule})"),
        }
    }
}

impl EventLeaf {
    /// How many of the profile's events count, stopping at `limit`.
    pub fn count(&self, profile: &Profile, now: i64, limit: u64) -> u64 {
        // The oldest time that is still at most `days` whole days before `now`.
        let oldest = self.within_days.map(|days| {
            let span = i64::try_from(days)
                .unwrap_or(i64::MAX)
                .saturating_add(1)
                .saturating_mul(SECONDS_PER_DAY);
            now.saturating_sub(span).saturating_add(1)
        });
        let mut count = 0;
        for event in &profile.events {
            if event.event_type != self.event_type
                || event.at > now
                || oldest.is_some_and(|o| event.at < o)
            {
                continue;
            }
            if let Some(filter) = &self.property {
                let Some(value) = event.property(&filter.name) else {
                    continue;
                };
                if !filter.tests.iter().all(|t| t.passes(value)) {
                    continue;
                }
            }
            count += 1;
            if count >= limit {
                break;
            }
        }
        count
    }

    /// Whether the count is within the bounds.
    pub fn matches(&self, profile: &Profile, now: i64) -> bool {
        // Past this count the answer cannot change, so counting stops there.
        let enough = self
            .count_lte
            .map_or(self.count_gte, |lte| lte.saturating_add(1));
        let count = self.count(profile, now, enough);
        count >= self.count_gte && self.count_lte.is_none_or(|lte| count <= lte)
    }

    /// "at least 3 order_completed events in the last 90 days (found 4)".
    fn describe(&self, holds: bool, profile: &Profile, now: i64) -> String {
        let mut rule = match (self.count_gte, self.count_lte) {
            (0, Some(0)) => "no".to_owned(),
            (low, Some(high)) if low == high => format!("exactly {low}"),
            (0, Some(high)) => format!("at most {high}"),
            (low, Some(high)) => format!("{low} to {high}"),
            (low, None) => format!("at least {low}"),
        };
        let _ = write!(rule, " {} event", self.event_type);
        if !matches!(
            (self.count_gte, self.count_lte),
            (1, None | Some(1)) | (0, Some(1))
        ) {
            rule.push('s');
        }
        if let Some(filter) = &self.property {
            if filter.tests.is_empty() {
                let _ = write!(rule, " with a {}", filter.name);
            } else {
                let _ = write!(
                    rule,
                    " with {}",
                    describe_tests(&filter.name, &filter.tests)
                );
            }
        }
        if let Some(days) = self.within_days {
            let _ = write!(rule, " in the last {days} days");
        }
        let found = self.count(profile, now, u64::MAX);
        if holds {
            format!("{rule} (found {found})")
        } else {
            format!("not ({rule}): found {found}")
        }
    }
}

impl ValueTest {
    /// Whether `value` passes the operator (see the module docs for how values compare).
    pub fn passes(&self, value: &Value) -> bool {
        match self {
            Self::Eq(operand) => equals(value, operand),
            Self::In(operands) => operands.iter().any(|o| equals(value, o)),
            Self::Gt(n) => number(value).is_some_and(|v| v > *n),
            Self::Gte(n) => number(value).is_some_and(|v| v >= *n),
            Self::Lt(n) => number(value).is_some_and(|v| v < *n),
            Self::Lte(n) => number(value).is_some_and(|v| v <= *n),
            Self::Prefix(prefix) => {
                matches!(value, Value::Text(text) if text.starts_with(prefix.as_str()))
            }
        }
    }
}

/// A value read as a number: a number, or text that parses as a finite one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => Some(*n),
        Value::Text(text) => text.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
        Value::Boolean(_) => None,
    }
}

/// Equality of a value with an `eq`/`in` operand.
fn equals(value: &Value, operand: &Scalar) -> bool {
    match (operand, value) {
        (Scalar::Text(text), Value::Text(v)) => v == text,
        (Scalar::Text(text), Value::Number(_) | Value::Boolean(_)) => value.to_string() == *text,
        (Scalar::Number(n), _) => number(value) == Some(*n),
        (Scalar::Boolean(b), Value::Boolean(v)) => v == b,
        (Scalar::Boolean(b), Value::Text(v)) => v == if *b { "true" } else { "false" },
        (Scalar::Boolean(_), Value::Number(_)) => false,
    }
}

/// "country is one of DE, AT and nps_score ≥ 9".
fn describe_tests(subject: &str, tests: &[ValueTest]) -> String {
    let parts: Vec<String> = tests
        .iter()
        .map(|test| match test {
            ValueTest::Eq(operand) => format!("{subject} is {}", scalar_text(operand)),
            ValueTest::In(operands) => {
                let list: Vec<String> = operands.iter().map(scalar_text).collect();
                format!("{subject} is one of {}", list.join(", "))
            }
            ValueTest::Gt(n) => format!("{subject} > {n}"),
            ValueTest::Gte(n) => format!("{subject} ≥ {n}"),
            ValueTest::Lt(n) => format!("{subject} < {n}"),
            ValueTest::Lte(n) => format!("{subject} ≤ {n}"),
            ValueTest::Prefix(prefix) => format!("{subject} starting with {prefix}"),
        })
        .collect();
    parts.join(" and ")
}

/// An operand as written in a reason.
fn scalar_text(operand: &Scalar) -> String {
    match operand {
        Scalar::Text(text) => text.clone(),
        Scalar::Number(n) => n.to_string(),
        Scalar::Boolean(b) => b.to_string(),
    }
}
