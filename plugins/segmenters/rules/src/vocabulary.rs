//! The attributes and event types this plugin declares in `manifest.toml`: the host projects nothing else,
//! so a rule on any other name could never match and is refused as a configuration error instead.
//!
//! The lists are the demo vocabulary of `policies/example-retail.yaml` (DESIGN.md's rules segmenter:
//! demographic, geographic, behavioural, technographic and psychographic criteria). A test checks that
//! they equal the manifest's `[data]` lists.

/// Attributes a rule may test.
pub const ATTRIBUTES: [&str; 9] = [
    "country",
    "city",
    "age_band",
    "lifecycle_stage",
    "device_type",
    "preferred_channel",
    "loyalty_tier",
    "interest",
    "nps_score",
];

/// Event types a rule may count.
pub const EVENT_TYPES: [&str; 4] = [
    "order_completed",
    "page_viewed",
    "email_opened",
    "survey_answered",
];
