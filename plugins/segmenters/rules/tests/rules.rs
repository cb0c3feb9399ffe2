//! Tests of the rules segmenter through the SDK's `run_segmenter`: the sample configuration over a table of
//! profiles, operator boundaries, time windows, missing data, nesting, and configuration errors.

#![allow(clippy::unwrap_used)] // Test code: a panic is how a test fails.

use cohort_plugin_sdk::{
    Assignment, Attribute, Event, Profile, RunContext, Segmenter, Value, run_segmenter,
};
use proptest::prelude::*;
use rules::Rules;

const DAY: i64 = 86_400;
/// 2026-03-01T12:00:00Z, the analysis time of every test.
const NOW: i64 = 1_772_366_400;

const SAMPLE: &str = include_str!("../samples/segments.json");

/// A profile built up in the test.
#[derive(Clone, Debug)]
struct P(Profile);

impl P {
    fn new(token: &str) -> Self {
        Self(Profile {
            token: token.to_owned(),
            attributes: vec![],
            events: vec![],
        })
    }

    fn attr(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.attributes.push(Attribute {
            name: name.to_owned(),
            value: value.into(),
        });
        self
    }

    /// An event `seconds_ago` before `NOW`.
    fn event_at(mut self, kind: &str, seconds_ago: i64, properties: &[(&str, Value)]) -> Self {
        self.0.events.push(Event {
            event_type: kind.to_owned(),
            at: NOW - seconds_ago,
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        });
        self
    }

    /// An event an hour into the day `days_ago` whole days before `NOW`.
    fn event(self, kind: &str, days_ago: i64, properties: &[(&str, Value)]) -> Self {
        self.event_at(kind, days_ago * DAY + 3_600, properties)
    }

    fn view(self, days_ago: i64, path: &str) -> Self {
        self.event("page_viewed", days_ago, &[("path", Value::from(path))])
    }

    fn order(self, days_ago: i64) -> Self {
        self.event(
            "order_completed",
            days_ago,
            &[("revenue", Value::from(20.0))],
        )
    }
}

fn context() -> RunContext {
    RunContext {
        purpose: "analytics".to_owned(),
        now: NOW,
    }
}

fn run(config: &str, profiles: Vec<P>) -> Vec<Assignment> {
    run_segmenter::<Rules>(
        config,
        context(),
        profiles.into_iter().map(|p| p.0).collect(),
        2,
    )
    .unwrap()
}

/// The segments `profile` joins under `config`.
fn segments_of(config: &str, profile: P) -> Vec<String> {
    run(config, vec![profile])
        .into_iter()
        .map(|a| a.segment)
        .collect()
}

/// Whether `profile` matches a single-segment config with `condition`.
fn holds(condition: &str, profile: P) -> bool {
    let config = format!(
        r#"{{"segments": [{{"id": "s", "description": "test", "condition": {condition}}}]}}"#
    );
    !segments_of(&config, profile).is_empty()
}

/// The reasons of the single test segment, which must match.
fn reasons(condition: &str, profile: P) -> Vec<String> {
    let config = format!(
        r#"{{"segments": [{{"id": "s", "description": "test", "condition": {condition}}}]}}"#
    );
    let out = run(&config, vec![profile]);
    assert_eq!(out.len(), 1, "{condition} did not match");
    out.into_iter().next().unwrap().reasons
}

#[test]
fn the_sample_config_over_a_table_of_profiles() {
    let cases: Vec<(P, &[&str])> = vec![
        // Geographic + psychographic: DACH and a stated interest in outdoor.
        (
            P::new("anna")
                .attr("country", "DE")
                .attr("interest", "outdoor"),
            &["dach_outdoor_fans"],
        ),
        // Behavioural instead of the interest: two outdoor category views within 30 days.
        (
            P::new("ben")
                .attr("country", "AT")
                .attr("interest", "home")
                .view(3, "/category/outdoor")
                .view(30, "/category/outdoor/tents"),
            &["dach_outdoor_fans"],
        ),
        // One of the two views is 31 days old: not enough.
        (
            P::new("carl")
                .attr("country", "CH")
                .view(3, "/category/outdoor")
                .view(31, "/category/outdoor"),
            &[],
        ),
        // Demographic + technographic + behavioural; three orders in 90 days also make a frequent buyer.
        (
            P::new("dana")
                .attr("age_band", "25-34")
                .attr("device_type", "mobile")
                .order(10)
                .order(50)
                .order(89),
            &["young_mobile_buyers", "frequent_buyers"],
        ),
        (
            P::new("dora")
                .attr("age_band", "35-44")
                .attr("device_type", "mobile")
                .order(10),
            &[],
        ),
        // A promoter whose last order is 61 days old; the NPS may arrive as text.
        (
            P::new("emil").attr("nps_score", 10.0).order(61),
            &["quiet_promoters"],
        ),
        (P::new("fay").attr("nps_score", "9").order(60), &[]),
        (P::new("finn").attr("nps_score", "9"), &["quiet_promoters"]),
        // Country unknown: "not in DACH" holds.
        (
            P::new("gus")
                .attr("preferred_channel", "email")
                .event("email_opened", 5, &[]),
            &["email_reachable_outside_dach"],
        ),
        (
            P::new("hana")
                .attr("country", "FR")
                .attr("preferred_channel", "email")
                .event("email_opened", 31, &[]),
            &[],
        ),
        (P::new("ivan"), &[]),
    ];
    for (profile, expected) in cases {
        let token = profile.0.token.clone();
        assert_eq!(segments_of(SAMPLE, profile), expected, "{token}");
    }
}

#[test]
fn reasons_say_which_leaves_made_the_match() {
    let config_reasons = |profile: P| {
        run(SAMPLE, vec![profile])
            .into_iter()
            .next()
            .unwrap()
            .reasons
    };
    assert_eq!(
        config_reasons(
            P::new("ben")
                .attr("country", "AT")
                .view(3, "/category/outdoor")
                .view(30, "/category/outdoor")
        ),
        [
            "country is one of DE, AT, CH",
            "at least 2 page_viewed events with path starting with /category/outdoor in the last 30 days (found 2)",
        ]
    );
    assert_eq!(
        config_reasons(P::new("gus").attr("preferred_channel", "email").event(
            "email_opened",
            5,
            &[]
        )),
        [
            "not (country is one of DE, AT, CH): country is missing",
            "preferred_channel is email",
            "at least 1 email_opened event in the last 30 days (found 1)",
        ]
    );
    assert_eq!(
        config_reasons(P::new("finn").attr("nps_score", 9.0)),
        [
            "nps_score ≥ 9",
            "no order_completed events in the last 60 days (found 0)"
        ]
    );
}

#[test]
fn numeric_operators_at_their_thresholds() {
    let nps = |v: f64| P::new("p").attr("nps_score", v);
    assert!(holds(r#"{"attribute": "nps_score", "gte": 9}"#, nps(9.0)));
    assert!(!holds(
        r#"{"attribute": "nps_score", "gte": 9}"#,
        nps(8.999)
    ));
    assert!(!holds(r#"{"attribute": "nps_score", "gt": 9}"#, nps(9.0)));
    assert!(holds(r#"{"attribute": "nps_score", "gt": 9}"#, nps(9.001)));
    assert!(holds(r#"{"attribute": "nps_score", "lte": 6}"#, nps(6.0)));
    assert!(!holds(r#"{"attribute": "nps_score", "lte": 6}"#, nps(6.5)));
    assert!(!holds(r#"{"attribute": "nps_score", "lt": 6}"#, nps(6.0)));
    assert!(holds(r#"{"attribute": "nps_score", "lt": 6}"#, nps(5.0)));
    // Several operators in one leaf must all hold: a range.
    let passive = r#"{"attribute": "nps_score", "gte": 7, "lte": 8}"#;
    assert_eq!(
        [6.0, 7.0, 8.0, 9.0].map(|v| holds(passive, nps(v))),
        [false, true, true, false]
    );
    // Numeric text is read as a number; other text and booleans are not numbers.
    assert!(holds(
        r#"{"attribute": "nps_score", "gte": 9}"#,
        P::new("p").attr("nps_score", " 10 ")
    ));
    assert!(!holds(
        r#"{"attribute": "nps_score", "gte": 9}"#,
        P::new("p").attr("nps_score", "ten")
    ));
    assert!(!holds(
        r#"{"attribute": "nps_score", "gte": 0}"#,
        P::new("p").attr("nps_score", true)
    ));
}

#[test]
fn event_counts_at_their_bounds() {
    let orders = |n: i64| (0..n).fold(P::new("p"), |p, i| p.order(i));
    let at_least_3 = r#"{"event": "order_completed", "count_gte": 3}"#;
    assert_eq!(
        [2, 3, 4].map(|n| holds(at_least_3, orders(n))),
        [false, true, true]
    );
    let at_most_2 = r#"{"event": "order_completed", "count_lte": 2}"#;
    assert_eq!(
        [0, 2, 3].map(|n| holds(at_most_2, orders(n))),
        [true, true, false]
    );
    let between = r#"{"event": "order_completed", "count_gte": 2, "count_lte": 3}"#;
    assert_eq!(
        [1, 2, 3, 4].map(|n| holds(between, orders(n))),
        [false, true, true, false]
    );
    let none = r#"{"event": "order_completed", "count_lte": 0}"#;
    assert_eq!([0, 1].map(|n| holds(none, orders(n))), [true, false]);
    assert_eq!(
        reasons(between, orders(3)),
        ["2 to 3 order_completed events (found 3)"]
    );
}

#[test]
fn within_days_counts_whole_days_and_ignores_the_future() {
    let rule = r#"{"event": "email_opened", "within_days": 30}"#;
    let opened = |seconds_ago: i64| P::new("p").event_at("email_opened", seconds_ago, &[]);
    assert!(holds(rule, opened(0)));
    assert!(holds(rule, opened(30 * DAY)));
    assert!(
        holds(rule, opened(31 * DAY - 1)),
        "30 days and 23:59:59 is 30 whole days"
    );
    assert!(!holds(rule, opened(31 * DAY)));
    assert!(
        !holds(rule, opened(-1)),
        "an event after now does not count"
    );
    assert!(!holds(r#"{"event": "email_opened"}"#, opened(-1)));
    assert!(
        holds(r#"{"event": "email_opened"}"#, opened(3_000 * DAY)),
        "no window: any time"
    );
}

#[test]
fn event_properties_filter_what_counts() {
    let p = P::new("p")
        .view(1, "/category/outdoor")
        .view(2, "/products/tent")
        .event("page_viewed", 3, &[])
        .event("order_completed", 4, &[("revenue", Value::from("120.50"))])
        .event("order_completed", 5, &[("revenue", Value::from(20.0))]);
    assert!(holds(
        r#"{"event": "page_viewed", "property": "path", "prefix": "/category/"}"#,
        p.clone()
    ));
    assert!(!holds(
        r#"{"event": "page_viewed", "property": "path", "prefix": "/category/", "count_gte": 2}"#,
        p.clone()
    ));
    // Without operators the property must be present: 2 of the 3 views have a path.
    assert!(holds(
        r#"{"event": "page_viewed", "property": "path", "count_gte": 2, "count_lte": 2}"#,
        p.clone()
    ));
    assert!(holds(
        r#"{"event": "page_viewed", "property": "path", "in": ["/", "/products/tent"]}"#,
        p.clone()
    ));
    assert!(holds(
        r#"{"event": "order_completed", "property": "revenue", "gte": 100}"#,
        p.clone()
    ));
    assert!(!holds(
        r#"{"event": "order_completed", "property": "revenue", "gte": 100, "count_gte": 2}"#,
        p.clone()
    ));
    assert!(!holds(
        r#"{"event": "order_completed", "property": "currency", "eq": "EUR"}"#,
        p
    ));
}

#[test]
fn a_leaf_on_a_missing_attribute_is_false_and_its_not_is_true() {
    let nobody = || P::new("p").attr("city", "Berlin");
    for leaf in [
        r#"{"attribute": "country", "eq": "DE"}"#,
        r#"{"attribute": "country", "in": ["DE"]}"#,
        r#"{"attribute": "nps_score", "lte": 10}"#,
        r#"{"attribute": "country", "prefix": "D"}"#,
        r#"{"attribute": "country", "exists": true}"#,
    ] {
        assert!(!holds(leaf, nobody()), "{leaf}");
        assert!(
            holds(&format!(r#"{{"not": {leaf}}}"#), nobody()),
            "not {leaf}"
        );
    }
    assert!(holds(
        r#"{"attribute": "country", "missing": true}"#,
        nobody()
    ));
    assert!(holds(
        r#"{"attribute": "country", "exists": false}"#,
        nobody()
    ));
    assert!(!holds(
        r#"{"attribute": "city", "missing": true}"#,
        nobody()
    ));
    // To leave unknown countries out of "not in DE", require the attribute too.
    let known_not_de = r#"{"all": [{"attribute": "country", "exists": true}, {"not": {"attribute": "country", "eq": "DE"}}]}"#;
    assert!(!holds(known_not_de, nobody()));
    assert!(holds(known_not_de, nobody().attr("country", "FR")));
    assert_eq!(
        reasons(known_not_de, nobody().attr("country", "FR")),
        ["country is present", "not (country is DE)"]
    );
}

#[test]
fn values_compare_by_the_operand_kind() {
    let p = || {
        P::new("p")
            .attr("nps_score", 9.0)
            .attr("interest", "Outdoor")
            .attr("loyalty_tier", "true")
    };
    assert!(holds(r#"{"attribute": "nps_score", "eq": 9}"#, p()));
    assert!(
        holds(r#"{"attribute": "nps_score", "eq": "9"}"#, p()),
        "text operand: the number's shortest text"
    );
    assert!(!holds(r#"{"attribute": "nps_score", "eq": "9.0"}"#, p()));
    assert!(
        !holds(r#"{"attribute": "interest", "eq": "outdoor"}"#, p()),
        "text is case-sensitive"
    );
    assert!(
        holds(r#"{"attribute": "loyalty_tier", "eq": true}"#, p()),
        "boolean operand matches the text true"
    );
    assert!(holds(
        r#"{"attribute": "interest", "in": ["home", "Outdoor"]}"#,
        p()
    ));
}

#[test]
fn all_any_not_nest() {
    let p = || {
        P::new("p")
            .attr("country", "DE")
            .attr("device_type", "mobile")
    };
    let de = r#"{"attribute": "country", "eq": "DE"}"#;
    let fr = r#"{"attribute": "country", "eq": "FR"}"#;
    let mobile = r#"{"attribute": "device_type", "eq": "mobile"}"#;
    let cases = [
        (format!(r#"{{"all": [{de}, {mobile}]}}"#), true),
        (format!(r#"{{"all": [{de}, {fr}]}}"#), false),
        (format!(r#"{{"any": [{fr}, {mobile}]}}"#), true),
        (format!(r#"{{"any": [{fr}, {{"not": {mobile}}}]}}"#), false),
        (format!(r#"{{"not": {{"all": [{de}, {fr}]}}}}"#), true),
        (format!(r#"{{"not": {{"any": [{de}, {fr}]}}}}"#), false),
        (format!(r#"{{"not": {{"not": {de}}}}}"#), true),
        (
            format!(
                r#"{{"all": [{{"any": [{fr}, {{"all": [{de}, {mobile}]}}]}}, {{"not": {fr}}}]}}"#
            ),
            true,
        ),
    ];
    for (condition, expected) in cases {
        assert_eq!(holds(&condition, p()), expected, "{condition}");
    }
    // A `not` over `any` explains every alternative that failed; over `all`, the first that failed.
    assert_eq!(
        reasons(
            &format!(r#"{{"not": {{"any": [{fr}, {{"attribute": "city", "eq": "Paris"}}]}}}}"#),
            p()
        ),
        [
            "not (country is FR)",
            "not (city is Paris): city is missing"
        ]
    );
    assert_eq!(
        reasons(
            &format!(
                r#"{{"not": {{"all": [{de}, {fr}, {{"attribute": "city", "eq": "Paris"}}]}}}}"#
            ),
            p()
        ),
        ["not (country is FR)"]
    );
}

#[test]
fn first_match_keeps_only_the_first_segment() {
    let config = |first_match: bool| {
        format!(
            r#"{{"first_match": {first_match}, "segments": [
                {{"id": "german", "description": "d", "condition": {{"attribute": "country", "eq": "DE"}}}},
                {{"id": "mobile", "description": "d", "condition": {{"attribute": "device_type", "eq": "mobile"}}}}
            ]}}"#
        )
    };
    let p = || {
        P::new("p")
            .attr("country", "DE")
            .attr("device_type", "mobile")
    };
    assert_eq!(segments_of(&config(false), p()), ["german", "mobile"]);
    assert_eq!(segments_of(&config(true), p()), ["german"]);
    assert_eq!(
        segments_of(&config(true), P::new("q").attr("device_type", "mobile")),
        ["mobile"]
    );
}

#[test]
fn configuration_errors_name_the_path_and_the_problem() {
    let one = |condition: &str| {
        format!(r#"{{"segments": [{{"id": "s", "description": "d", "condition": {condition}}}]}}"#)
    };
    let deep = (0..40).fold(
        r#"{"attribute": "country", "eq": "DE"}"#.to_owned(),
        |c, _| format!(r#"{{"not": {c}}}"#),
    );
    let cases: Vec<(String, &str)> = vec![
        (one(r#"{"attribute": "country", "equals": "DE"}"#), "$.segments[0].condition.equals: unknown operator `equals`"),
        (one(r#"{"all": []}"#), "$.segments[0].condition.all: `all` needs at least one condition"),
        (one(r#"{"any": {"attribute": "country", "eq": "DE"}}"#), "`any` takes a list of conditions, not an object"),
        (one(r#"{"all": [{"attribute": "country", "eq": "DE"}], "attribute": "city"}"#), "has both `all` and `attribute`"),
        (one(r#"{"country": "DE"}"#), "a condition needs one of all, any, not, attribute, event"),
        (one(r#"{"attribute": "favourite_colour", "eq": "blue"}"#), "attribute `favourite_colour` is not one this plugin declares"),
        (one(r#"{"event": "app_crashed"}"#), "event type `app_crashed` is not one this plugin declares"),
        (one(r#"{"attribute": "country"}"#), "has no operator"),
        (one(r#"{"attribute": "country", "exists": true, "eq": "DE"}"#), "cannot be combined"),
        (one(r#"{"attribute": "country", "in": []}"#), "`in` takes 1 to"),
        (one(r#"{"attribute": "nps_score", "gte": "9"}"#), "`gte` takes a number, not a string"),
        (one(r#"{"attribute": "nps_score", "gte": 9, "lte": 6}"#), "could never match"),
        (one(r#"{"attribute": "nps_score", "gt": 6, "lt": 6}"#), "could never match"),
        (one(r#"{"event": "page_viewed", "prefix": "/x"}"#), "name it with `property`"),
        (one(r#"{"event": "page_viewed", "count_gte": 3, "count_lte": 2}"#), "count_lte 2 is below count_gte 3"),
        (one(r#"{"event": "page_viewed", "count_gte": -1}"#), "count_gte: must be a whole number"),
        (one(r#"{"event": "page_viewed", "within_days": 0}"#), "within_days: must be 1 to"),
        (one(r#"{"event": "page_viewed", "missing": true}"#), "count_lte\": 0"),
        (one(r#"[]"#), "a condition must be an object, not a list"),
        (one(&deep), "nest more than 32 deep"),
        (r#"{"segments": []}"#.to_owned(), "$.segments: must list 1 to"),
        (r#"{"segment": []}"#.to_owned(), "$.segment: unknown key"),
        (r#"[1]"#.to_owned(), "must be an object with `segments`"),
        (r#"{"segments": [{"id": "Big", "description": "d", "condition": {"event": "page_viewed"}}]}"#.to_owned(), "`Big` is not a segment id"),
        (r#"{"segments": [{"id": "s", "condition": {"event": "page_viewed"}}]}"#.to_owned(), "$.segments[0].description"),
        (
            r#"{"segments": [{"id": "s", "description": "d", "condition": {"event": "page_viewed"}}, {"id": "s", "description": "d", "condition": {"event": "page_viewed"}}]}"#.to_owned(),
            "segment id `s` is used twice",
        ),
        ("{".to_owned(), "not valid JSON"),
    ];
    for (config, expected) in cases {
        let from_segments = Rules::segments(&config).unwrap_err();
        assert!(
            from_segments.contains(expected),
            "{config}\n  got: {from_segments}\n  want: {expected}"
        );
        let from_start = Rules::start(&config, context()).unwrap_err();
        assert_eq!(from_start, from_segments);
    }
}

/// The manifest declares the sample's segments with the same descriptions, the vocabulary the plugin
/// checks rules against, and a config schema that is JSON.
#[test]
fn manifest_matches_the_sample_and_the_vocabulary() {
    let manifest = include_str!("../manifest.toml");
    for def in Rules::segments(SAMPLE).unwrap() {
        assert!(
            manifest.contains(&format!("id = \"{}\"", def.id)),
            "{} missing",
            def.id
        );
        assert!(
            manifest.contains(&format!("description = \"{}\"", def.description)),
            "{}",
            def.id
        );
    }
    let list = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(manifest.contains(&format!(
        "attributes = [{}]",
        list(&rules::vocabulary::ATTRIBUTES)
    )));
    assert!(manifest.contains(&format!(
        "event_types = [{}]",
        list(&rules::vocabulary::EVENT_TYPES)
    )));
    let schema = manifest.split("'''").nth(1).unwrap();
    let schema: serde_json::Value = serde_json::from_str(schema).unwrap();
    let attributes: Vec<&str> = schema["$defs"]["attribute"]["properties"]["attribute"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(attributes, rules::vocabulary::ATTRIBUTES);
}

/// A random leaf over a small vocabulary, as JSON.
fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["DE", "AT", "FR"])
            .prop_map(|c| format!(r#"{{"attribute": "country", "eq": "{c}"}}"#)),
        (0u8..=10).prop_map(|n| format!(r#"{{"attribute": "nps_score", "gte": {n}}}"#)),
        Just(r#"{"attribute": "device_type", "exists": true}"#.to_owned()),
        (0u64..4, 1u64..60).prop_map(|(n, d)| format!(
            r#"{{"event": "order_completed", "count_gte": {n}, "within_days": {d}}}"#
        )),
    ]
}

/// A random condition tree of depth at most 4, as JSON.
fn tree() -> impl Strategy<Value = String> {
    leaf().prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|cs| format!(r#"{{"all": [{}]}}"#, cs.join(", "))),
            prop::collection::vec(inner.clone(), 1..4)
                .prop_map(|cs| format!(r#"{{"any": [{}]}}"#, cs.join(", "))),
            inner.prop_map(|c| format!(r#"{{"not": {c}}}"#)),
        ]
    })
}

fn random_profile() -> impl Strategy<Value = P> {
    (
        prop::option::of(prop::sample::select(vec!["DE", "AT", "FR"])),
        prop::option::of(0u8..=10),
        any::<bool>(),
        prop::collection::vec(0i64..90, 0..5),
    )
        .prop_map(|(country, nps, device, orders)| {
            let mut p = P::new("p");
            if let Some(c) = country {
                p = p.attr("country", c);
            }
            if let Some(n) = nps {
                p = p.attr("nps_score", f64::from(n));
            }
            if device {
                p = p.attr("device_type", "desktop");
            }
            orders.into_iter().fold(p, |p, d| p.order(d))
        })
}

proptest! {
    /// `not` negates, De Morgan's laws hold, and every match comes with at least one reason.
    #[test]
    fn logic_laws_hold_and_matches_are_explained(a in tree(), b in tree(), p in random_profile()) {
        let both = holds(&format!(r#"{{"all": [{a}, {b}]}}"#), p.clone());
        prop_assert_eq!(both, holds(&a, p.clone()) && holds(&b, p.clone()));
        prop_assert_eq!(holds(&format!(r#"{{"not": {a}}}"#), p.clone()), !holds(&a, p.clone()));
        prop_assert_eq!(
            holds(&format!(r#"{{"not": {{"all": [{a}, {b}]}}}}"#), p.clone()),
            holds(&format!(r#"{{"any": [{{"not": {a}}}, {{"not": {b}}}]}}"#), p.clone())
        );
        if holds(&a, p.clone()) {
            let why = reasons(&a, p);
            prop_assert!(!why.is_empty() && why.len() <= rules::eval::MAX_REASONS);
        }
    }
}
