//! The rules configuration: named segments, each with a condition tree ([`crate::condition`]).
//!
//! ```json
//! {"segments": [
//!    {"id": "dach_customers", "description": "Customers in Germany, Austria or Switzerland.",
//!     "condition": {"attribute": "country", "in": ["DE", "AT", "CH"]}}
//!  ],
//!  "first_match": false}
//! ```
//!
//! Every segment is tested on its own, so a profile may join several; with `"first_match": true` it joins
//! only the first matching segment in the order listed, which makes the segments a partition of the
//! matched profiles.

use serde_json::Value as Json;

use crate::condition::{Condition, Parser};
use crate::error::RulesError;

/// The most segments one configuration may define.
pub const MAX_SEGMENTS: usize = 256;

/// The longest segment description.
pub const MAX_DESCRIPTION: usize = 500;

/// The longest segment id; ids are `[a-z][a-z0-9_-]*`, as the SDK's `SegmentDef` requires.
pub const MAX_ID: usize = 64;

/// One named segment.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSegment {
    /// The segment id.
    pub id: String,
    /// What membership means.
    pub description: String,
    /// Who is a member.
    pub condition: Condition,
}

/// A checked rules configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesConfig {
    /// The segments, in the order given.
    pub segments: Vec<RuleSegment>,
    /// Assign each profile to its first matching segment only.
    pub first_match: bool,
}

impl RulesConfig {
    /// Parses and checks the configuration text the host hands over.
    pub fn parse(text: &str) -> Result<Self, RulesError> {
        let json: Json = serde_json::from_str(text).map_err(RulesError::Json)?;
        let Json::Object(root) = &json else {
            return Err(RulesError::invalid(
                "$",
                "the configuration must be an object with `segments`",
            ));
        };
        for key in root.keys() {
            if key != "segments" && key != "first_match" {
                return Err(RulesError::invalid(
                    &format!("$.{key}"),
                    "unknown key; expected `segments` and optionally `first_match`",
                ));
            }
        }
        let first_match = match root.get("first_match") {
            None => false,
            Some(Json::Bool(flag)) => *flag,
            Some(_) => {
                return Err(RulesError::invalid(
                    "$.first_match",
                    "must be true or false",
                ));
            }
        };
        let Some(Json::Array(items)) = root.get("segments") else {
            return Err(RulesError::invalid(
                "$.segments",
                "a list of segments is required",
            ));
        };
        if items.is_empty() || items.len() > MAX_SEGMENTS {
            return Err(RulesError::invalid(
                "$.segments",
                format!("must list 1 to {MAX_SEGMENTS} segments"),
            ));
        }
        let mut parser = Parser::default();
        let mut segments: Vec<RuleSegment> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("$.segments[{i}]");
            let segment = segment(item, &path, &mut parser)?;
            if segments.iter().any(|s| s.id == segment.id) {
                return Err(RulesError::invalid(
                    &format!("{path}.id"),
                    format!("segment id `{}` is used twice", segment.id),
                ));
            }
            segments.push(segment);
        }
        Ok(Self {
            segments,
            first_match,
        })
    }
}

/// One segment object.
fn segment(json: &Json, path: &str, parser: &mut Parser) -> Result<RuleSegment, RulesError> {
    let Json::Object(object) = json else {
        return Err(RulesError::invalid(
            path,
            "a segment must be an object with id, description and condition",
        ));
    };
    for key in object.keys() {
        if !["id", "description", "condition"].contains(&key.as_str()) {
            return Err(RulesError::invalid(
                &format!("{path}.{key}"),
                "unknown key; a segment has id, description and condition",
            ));
        }
    }
    let id = match object.get("id") {
        Some(Json::String(id)) if valid_id(id) => id.clone(),
        Some(Json::String(id)) => {
            return Err(RulesError::invalid(
                &format!("{path}.id"),
                format!(
                    "`{id}` is not a segment id: lower-case letters, digits, `_` and `-`, starting with a letter, at most {MAX_ID} characters"
                ),
            ));
        }
        _ => {
            return Err(RulesError::invalid(
                &format!("{path}.id"),
                "a segment id (text) is required",
            ));
        }
    };
    let description = match object.get("description") {
        Some(Json::String(text)) if !text.trim().is_empty() && text.len() <= MAX_DESCRIPTION => {
            text.clone()
        }
        _ => {
            return Err(RulesError::invalid(
                &format!("{path}.description"),
                format!("a description of 1 to {MAX_DESCRIPTION} bytes is required"),
            ));
        }
    };
    let Some(condition) = object.get("condition") else {
        return Err(RulesError::invalid(
            &format!("{path}.condition"),
            "a condition is required",
        ));
    };
    let condition = parser.condition(condition, &format!("{path}.condition"))?;
    Ok(RuleSegment {
        id,
        description,
        condition,
    })
}

/// `[a-z][a-z0-9_-]*`, at most [`MAX_ID`] bytes.
fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    id.len() <= MAX_ID
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}
