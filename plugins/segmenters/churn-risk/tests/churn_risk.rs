//! Tests of the churn-risk segmenter through the SDK's `run_segmenter`: each component moves the score the
//! right way, reasons name the components with their numbers, bands switch exactly at their thresholds,
//! and profiles without data score 0.

#![allow(clippy::unwrap_used)] // Test code: a panic is how a test fails.

use churn_risk::ChurnRisk;
use cohort_plugin_sdk::{
    Assignment, Attribute, Event, Profile, RunContext, Segmenter, Value, run_segmenter,
};
use proptest::prelude::*;

const DAY: i64 = 86_400;
/// 2026-03-01T12:00:00Z, the analysis time of every test.
const NOW: i64 = 1_772_366_400;

/// A profile built up in the test: events are placed an hour into their day, so "n days ago" is n whole
/// days and falls in the window that n days says.
#[derive(Clone, Debug)]
struct Builder {
    events: Vec<Event>,
    nps: Option<Value>,
}

impl Builder {
    fn new() -> Self {
        Self {
            events: vec![],
            nps: None,
        }
    }

    fn order(mut self, days_ago: i64, total: f64) -> Self {
        self.events.push(Event {
            event_type: "order_completed".to_owned(),
            at: NOW - days_ago * DAY - 3_600,
            properties: vec![("total".to_owned(), Value::Number(total))],
        });
        self
    }

    fn orders(self, days_ago: &[i64], total: f64) -> Self {
        days_ago.iter().fold(self, |b, d| b.order(*d, total))
    }

    fn views(mut self, days_ago: &[i64]) -> Self {
        for (i, days) in days_ago.iter().enumerate() {
            let kind = if i % 2 == 0 {
                "page_viewed"
            } else {
                "email_opened"
            };
            self.events.push(Event {
                event_type: kind.to_owned(),
                at: NOW - days * DAY - 3_600,
                properties: vec![],
            });
        }
        self
    }

    fn nps(mut self, nps: f64) -> Self {
        self.nps = Some(Value::Number(nps));
        self
    }

    fn build(self, token: &str) -> Profile {
        Profile {
            token: token.to_owned(),
            attributes: self
                .nps
                .map(|value| {
                    vec![Attribute {
                        name: "nps_score".to_owned(),
                        value,
                    }]
                })
                .unwrap_or_default(),
            events: self.events,
        }
    }
}

fn context() -> RunContext {
    RunContext {
        purpose: "analytics".to_owned(),
        now: NOW,
    }
}

fn assess(config: &str, builder: Builder) -> Assignment {
    let out = run_segmenter::<ChurnRisk>(config, context(), vec![builder.build("p")], 1).unwrap();
    assert_eq!(out.len(), 1);
    out.into_iter().next().unwrap()
}

/// A steady customer: an order every 30 days, the latest 10 days ago, the same spend in both windows,
/// steady engagement and a promoter's NPS.
fn steady() -> Builder {
    Builder::new()
        .orders(&[10, 40, 70, 100, 130, 160], 50.0)
        .views(&[5, 20, 50, 95, 110, 140])
        .nps(9.0)
}

#[test]
fn a_steady_customer_is_low_risk_and_says_why() {
    let got = assess("{}", steady());
    assert_eq!(got.segment, "low_churn_risk");
    assert_eq!(got.score, 0.0);
    assert_eq!(got.reasons[0], "no component signals a risk");
    assert_eq!(
        got.reasons[1],
        "recency: last order 10 days ago, 0.3× the expected 30-day gap (the customer's median gap between orders)"
    );
    assert!(
        got.reasons[2].starts_with("frequency_trend: 3 orders in the last 90 days against 3"),
        "{:?}",
        got.reasons
    );
}

#[test]
fn a_worked_example_scores_as_computed_by_hand() {
    // Orders 100, 130, 160, 190 days ago: median gap 30, 100 days of silence = 3.3 gaps → recency risk
    // clamp((3.33 − 1) / (3 − 1)) = 1. No order in the last 90 days against 3 in the 90 before (the one
    // 190 days ago is outside both): frequency and spend trends 1. Engagement 2 against 8: (8 − 2) / 8 =
    // 0.75. NPS 9: not a detractor, 0.
    // Score = 0.35 × 1 + 0.2 × 1 + 0.15 × 1 + 0.15 × 0.75 + 0.15 × 0 = 0.8125.
    let profile = Builder::new()
        .orders(&[100, 130, 160, 190], 50.0)
        .views(&[5, 10, 95, 100, 110, 120, 130, 140, 150, 160])
        .nps(9.0);
    let got = assess("{}", profile);
    assert!((got.score - 0.8125).abs() < 1e-12, "{}", got.score);
    assert_eq!(got.segment, "high_churn_risk");
    assert_eq!(
        got.reasons,
        [
            "recency (+0.35): last order 100 days ago, 3.3× the expected 30-day gap (the customer's median gap between orders)",
            "frequency_trend (+0.20): 0 orders in the last 90 days against 3 in the 90 days before, down 100%",
            "spend_trend (+0.15): 0.00 spent in the last 90 days against 150.00 in the 90 days before, down 100%",
        ]
    );
    let all = assess(
        r#"{"max_reasons": 5}"#,
        Builder::new()
            .orders(&[100, 130, 160, 190], 50.0)
            .views(&[5, 10, 95, 100, 110, 120, 130, 140, 150, 160])
            .nps(9.0),
    );
    assert_eq!(
        all.reasons.len(),
        4,
        "nps_detractor adds nothing and is left out: {:?}",
        all.reasons
    );
    assert_eq!(
        all.reasons[3],
        "engagement_trend (+0.11): 2 e-mail opens and page views in the last 90 days against 8 in the 90 days before, down 75%"
    );
}

/// Runs `worse` and `better` and checks the score rises and the component is named first.
fn check_component_moves(name: &str, better: Builder, worse: Builder) {
    let low = assess("{}", better);
    let high = assess("{}", worse);
    assert!(
        high.score > low.score,
        "{name}: {} !> {}",
        high.score,
        low.score
    );
    assert!(
        high.reasons
            .iter()
            .any(|r| r.starts_with(&format!("{name} (+"))),
        "{name} not named: {:?}",
        high.reasons
    );
}

#[test]
fn recency_raises_the_risk_the_longer_the_silence() {
    let orders = |latest: i64| Builder::new().orders(&[latest, latest + 30, latest + 60], 50.0);
    check_component_moves("recency", orders(30), orders(50));
    check_component_moves("recency", orders(50), orders(89));
    // Beyond the full-risk ratio (3 gaps = 90 days) the component is saturated.
    let saturated = assess(
        r#"{"weights": {"recency": 1, "frequency_trend": 0, "spend_trend": 0, "engagement_trend": 0, "nps_detractor": 0}}"#,
        orders(95),
    );
    assert_eq!(saturated.score, 1.0);
    // Up to one expected gap, no risk: 30 days after a 30-day rhythm.
    let on_time = assess(
        r#"{"weights": {"recency": 1, "frequency_trend": 0, "spend_trend": 0, "engagement_trend": 0, "nps_detractor": 0}}"#,
        orders(30),
    );
    assert_eq!(on_time.score, 0.0);
}

#[test]
fn few_orders_use_the_default_expected_gap() {
    // Two orders: below gap_min_orders (3), so the 60-day default applies: 90 days is 1.5 gaps →
    // (1.5 − 1) / 2 = 0.25.
    let recency_only = r#"{"weights": {"recency": 1, "frequency_trend": 0, "spend_trend": 0, "engagement_trend": 0, "nps_detractor": 0}}"#;
    let got = assess(recency_only, Builder::new().orders(&[90, 95], 10.0));
    assert!((got.score - 0.25).abs() < 1e-12, "{}", got.score);
    assert!(
        got.reasons[0]
            .contains("the expected 60-day gap (the default for customers with few orders)"),
        "{:?}",
        got.reasons
    );
    // A burst of orders a day apart: the median gap of 1 day is raised to the 14-day minimum.
    let got = assess(recency_only, Builder::new().orders(&[28, 29, 30], 10.0));
    assert!(
        (got.score - 0.5).abs() < 1e-12,
        "28 days = 2 gaps of 14 → 0.5, got {}",
        got.score
    );
}

#[test]
fn fewer_recent_orders_raise_the_risk() {
    let history = |recent: &[i64]| {
        Builder::new()
            .orders(&[100, 120, 140, 160], 50.0)
            .orders(recent, 50.0)
    };
    check_component_moves("frequency_trend", history(&[5, 20, 40, 60]), history(&[5]));
}

#[test]
fn falling_spend_raises_the_risk() {
    let history = |recent_total: f64| {
        Builder::new()
            .orders(&[100, 130], 80.0)
            .orders(&[10, 40], recent_total)
    };
    check_component_moves("spend_trend", history(80.0), history(20.0));
}

#[test]
fn falling_engagement_raises_the_risk() {
    let history = |recent: &[i64]| Builder::new().views(&[100, 110, 120, 130]).views(recent);
    check_component_moves("engagement_trend", history(&[1, 2, 3, 4]), history(&[1]));
}

#[test]
fn a_detractor_raises_the_risk_and_six_is_the_last_detractor() {
    check_component_moves("nps_detractor", steady().nps(7.0), steady().nps(6.0));
    let detractor = assess("{}", steady().nps(0.0));
    assert!((detractor.score - 0.15).abs() < 1e-12);
    assert!(
        detractor
            .reasons
            .contains(&"nps_detractor (+0.15): NPS answer 0, a detractor (0–6)".to_owned()),
        "{:?}",
        detractor.reasons
    );
    // A numeric string counts; an answer outside 0–10 does not.
    let mut text = steady();
    text.nps = Some(Value::Text("3".to_owned()));
    assert!(assess("{}", text).score > 0.0);
    assert_eq!(assess("{}", steady().nps(42.0)).score, 0.0);
}

#[test]
fn bands_switch_exactly_at_the_thresholds() {
    // Weights 1 and 1 on recency and NPS: a detractor whose last order is on time scores exactly 0.5.
    let half = || Builder::new().orders(&[10, 40, 70], 10.0).nps(2.0);
    let config = |high: f64, medium: f64| {
        format!(
            r#"{{"weights": {{"recency": 1, "frequency_trend": 0, "spend_trend": 0, "engagement_trend": 0, "nps_detractor": 1}}, "thresholds": {{"high": {high}, "medium": {medium}}}}}"#
        )
    };
    let band = |high, medium| {
        let got = assess(&config(high, medium), half());
        assert_eq!(got.score, 0.5);
        got.segment
    };
    assert_eq!(band(0.5, 0.2), "high_churn_risk");
    assert_eq!(band(0.500_001, 0.2), "medium_churn_risk");
    assert_eq!(band(0.9, 0.5), "medium_churn_risk");
    assert_eq!(band(0.9, 0.500_001), "low_churn_risk");
    assert_eq!(band(0.5, 0.5), "high_churn_risk");
}

#[test]
fn profiles_without_data_score_zero() {
    let empty = assess("{}", Builder::new());
    assert_eq!(
        (empty.segment.as_str(), empty.score),
        ("low_churn_risk", 0.0)
    );
    assert_eq!(
        empty.reasons,
        ["no order, engagement or NPS data, so nothing signals a risk"]
    );
    // Events of other types, and orders after the analysis time, are no data either.
    let mut other = Builder::new();
    other.events.push(Event {
        event_type: "survey_answered".to_owned(),
        at: NOW - DAY,
        properties: vec![],
    });
    other.events.push(Event {
        event_type: "order_completed".to_owned(),
        at: NOW + DAY,
        properties: vec![],
    });
    assert_eq!(assess("{}", other).reasons, empty.reasons);
    // Activity long ago only (outside both windows) still gives recency data.
    let old = assess("{}", Builder::new().order(400, 10.0));
    assert_eq!(old.segment, "medium_churn_risk");
    assert!((old.score - 0.35).abs() < 1e-12, "{}", old.score);
}

#[test]
fn bad_configs_are_refused() {
    for config in [
        r#"{"weights": {"recency": -1}}"#,
        r#"{"thresholds": {"high": 0.1, "medium": 0.2}}"#,
        r#"{"window": 30}"#,
    ] {
        assert!(ChurnRisk::segments(config).is_err(), "{config}");
        assert!(ChurnRisk::start(config, context()).is_err(), "{config}");
    }
}

/// The example configuration in samples/ is accepted and its settings apply.
#[test]
fn the_sample_config_is_accepted() {
    let sample = include_str!("../samples/config.json");
    assert_eq!(ChurnRisk::segments(sample).unwrap().len(), 3);
    // One order 400 days ago: recency saturates, weight 0.4 → 0.4, medium from 0.25.
    let got = assess(sample, Builder::new().order(400, 10.0));
    assert!((got.score - 0.4).abs() < 1e-12, "{}", got.score);
    assert_eq!(got.segment, "medium_churn_risk");
    assert!(got.reasons.len() <= 2);
}

/// Every id the plugin may emit must be declared in manifest.toml, with the same description.
#[test]
fn manifest_declares_every_segment() {
    let manifest = include_str!("../manifest.toml");
    let defs = ChurnRisk::segments("{}").unwrap();
    assert_eq!(defs.len(), 3);
    for def in defs {
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
}

fn arbitrary_builder() -> impl Strategy<Value = Builder> {
    (
        proptest::collection::vec((0i64..400, 0u32..200), 0..8),
        proptest::collection::vec(0i64..250, 0..12),
        proptest::option::of(0u8..=10),
    )
        .prop_map(|(orders, views, nps)| {
            let mut b = Builder::new();
            for (days, total) in orders {
                b = b.order(days, f64::from(total));
            }
            b = b.views(&views);
            if let Some(nps) = nps {
                b = b.nps(f64::from(nps));
            }
            b
        })
}

proptest! {
    /// The score stays in [0, 1], the band matches the thresholds, and a detractor answer never lowers it.
    #[test]
    fn scores_are_bounded_banded_and_monotone_in_nps(builder in arbitrary_builder()) {
        let got = assess("{}", builder.clone());
        prop_assert!((0.0..=1.0).contains(&got.score));
        let expected = if got.score >= 0.6 { "high_churn_risk" } else if got.score >= 0.3 { "medium_churn_risk" } else { "low_churn_risk" };
        prop_assert_eq!(got.segment.as_str(), expected);
        prop_assert!(!got.reasons.is_empty() && got.reasons.len() <= 4);
        let detractor = assess("{}", builder.nps(1.0));
        prop_assert!(detractor.score >= got.score);
    }
}
