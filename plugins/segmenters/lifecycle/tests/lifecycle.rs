//! Data-driven tests of the lifecycle stages through the SDK's `run_segmenter`, with every window boundary
//! on both sides.

#![allow(clippy::unwrap_used)] // Test code: a panic is how a test fails.

use cohort_plugin_sdk::{
    Assignment, Attribute, Event, Profile, RunContext, Segmenter, Value, run_segmenter,
};
use lifecycle::Lifecycle;
use proptest::prelude::*;

const DAY: i64 = 86_400;
/// 2026-03-01T12:00:00Z, the analysis time of every test.
const NOW: i64 = 1_772_366_400;

/// One case: a config, the profile's orders as whole days before `NOW`, the expected stage and a piece of
/// text one of the reasons must contain.
struct Case {
    name: &'static str,
    config: &'static str,
    orders_days_ago: &'static [i64],
    stage: &'static str,
    reason: &'static str,
}

const fn case(
    name: &'static str,
    config: &'static str,
    orders_days_ago: &'static [i64],
    stage: &'static str,
    reason: &'static str,
) -> Case {
    Case {
        name,
        config,
        orders_days_ago,
        stage,
        reason,
    }
}

/// Defaults: lapse after 90 days, churn after 180, loyal from 4 orders, personal window = median gap × 2
/// (at least 30 days) from 3 orders.
#[rustfmt::skip] // A table: one case per line.
const CASES: &[Case] = &[
    case("no orders", "{}", &[], "new_lead", "no completed order yet"),
    case("one order today", "{}", &[0], "first_time_buyer", "1 order, today"),
    case("one order 89 days ago", "{}", &[89], "first_time_buyer", "within the 90-day lapse window"),
    case("one order 90 days ago", "{}", &[90], "first_time_buyer", "1 order, 90 days ago"),
    case("one order 91 days ago", "{}", &[91], "lapsed", "91 days ago is more than the 90-day lapse window"),
    case("one order 179 days ago", "{}", &[179], "lapsed", "more than the 90-day lapse window"),
    case("one order 180 days ago", "{}", &[180], "lapsed", "180 days ago is more than the 90-day"),
    case("one order 181 days ago", "{}", &[181], "churned", "181 days ago is more than the 180-day churn window"),
    case("two orders", "{}", &[10, 40], "repeat", "2 orders, fewer than the 4 that make a customer loyal"),
    case("two orders, latest 90 days ago", "{}", &[90, 120], "repeat", "2 orders, the latest 90 days ago"),
    // Two orders give one gap, below the 3 orders the personal window needs: the fixed 90 days apply.
    case("two orders, latest 91 days ago", "{}", &[91, 92], "lapsed", "the 90-day lapse window"),
    case("two orders on one day", "{}", &[3, 3], "repeat", "2 orders, the latest 3 days ago"),
    case("three orders", "{}", &[10, 30, 50], "repeat", "3 orders"),
    case("four orders", "{}", &[10, 30, 50, 70], "loyal", "4 orders reach the loyal threshold of 4"),
    case("four orders, loyal from 5", r#"{"loyal_min_orders": 5}"#, &[10, 30, 50, 70], "repeat", "fewer than the 5"),
    // Gaps 20 and 20: median 20 × 2 = 40 days.
    case("personal window, day 40", "{}", &[40, 60, 80], "repeat", "the 40-day lapse window (median gap 20 days × 2)"),
    case("personal window, day 41", "{}", &[41, 61, 81], "lapsed", "41 days ago is more than the 40-day lapse window"),
    // Gaps 5 and 5: 5 × 2 = 10 days, raised to the 30-day minimum.
    case("personal floor, day 30", "{}", &[30, 35, 40], "repeat", "raised to the 30-day minimum"),
    case("personal floor, day 31", "{}", &[31, 36, 41], "lapsed", "the 30-day lapse window (median gap 5 days × 2, raised to the 30-day minimum)"),
    // Gaps 60 and 60: a 120-day window, longer than the default 90, for long-cycle goods.
    case("long cycle, day 100", "{}", &[100, 160, 220], "repeat", "the 120-day lapse window"),
    case("long cycle, day 120", "{}", &[120, 180, 240], "repeat", "the 120-day lapse window"),
    case("long cycle, day 121", "{}", &[121, 181, 241], "lapsed", "121 days ago is more than the 120-day"),
    // The churn window is absolute, whatever the rhythm: gaps of 100 days give a 200-day window.
    case("long cycle, churned", "{}", &[181, 281, 381], "churned", "the 180-day churn window"),
    case("personal window off", r#"{"lapsed_gap_factor": 0}"#, &[100, 160, 220], "lapsed", "the 90-day lapse window"),
    // Gaps 10, 30, 20, 5 → median (10 + 20) / 2 = 15 × 2 = 30.
    case("even number of gaps", r#"{"loyal_min_orders": 9}"#, &[31, 36, 56, 86, 96], "lapsed", "median gap 15 days × 2"),
    case("gap factor 1.5", r#"{"lapsed_gap_factor": 1.5}"#, &[46, 76, 106], "lapsed", "the 45-day lapse window (median gap 30 days × 1.5)"),
    case("win back after 181 days", "{}", &[10, 191], "win_back", "ordered again after a 181-day gap, more than the 180-day churn window"),
    case("gap of exactly 180 days", "{}", &[10, 190], "repeat", "2 orders"),
    case("win back beats loyal", "{}", &[10, 440, 460, 480, 500], "win_back", "430-day gap"),
    case("the next order ends win back", "{}", &[10, 30, 440, 460, 480, 500], "loyal", "6 orders reach the loyal threshold"),
    case("win back that lapsed again", "{}", &[100, 400], "lapsed", "100 days ago is more than the 90-day lapse window"),
    case("custom windows", r#"{"lapsed_after_days": 30, "churned_after_days": 60}"#, &[31], "lapsed", "the 30-day lapse window"),
    case("custom churn", r#"{"lapsed_after_days": 30, "churned_after_days": 60}"#, &[61], "churned", "the 60-day churn window"),
    case("custom win back", r#"{"lapsed_after_days": 30, "churned_after_days": 60}"#, &[5, 66], "win_back", "61-day gap"),
];

fn order(at: i64) -> Event {
    Event {
        event_type: "order_completed".to_owned(),
        at,
        properties: vec![("total".to_owned(), Value::Number(20.0))],
    }
}

/// Orders an hour into their day, so that "n days ago" is n whole days.
fn profile(token: &str, orders_days_ago: &[i64]) -> Profile {
    Profile {
        token: token.to_owned(),
        attributes: vec![],
        events: orders_days_ago
            .iter()
            .map(|days| order(NOW - days * DAY - 3_600))
            .collect(),
    }
}

fn context() -> RunContext {
    RunContext {
        purpose: "analytics".to_owned(),
        now: NOW,
    }
}

fn run(config: &str, profiles: Vec<Profile>) -> Vec<Assignment> {
    run_segmenter::<Lifecycle>(config, context(), profiles, 3).unwrap()
}

#[test]
fn every_case_gets_its_stage_and_reason() {
    let mut failures = Vec::new();
    for case in CASES {
        let out = run(case.config, vec![profile(case.name, case.orders_days_ago)]);
        assert_eq!(out.len(), 1, "{}", case.name);
        let got = &out[0];
        if got.segment != case.stage || !got.reasons.iter().any(|r| r.contains(case.reason)) {
            failures.push(format!(
                "{}: got {} {:?}, want {} with {:?}",
                case.name, got.segment, got.reasons, case.stage, case.reason
            ));
        }
        assert_eq!(got.score, 1.0);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn window_boundaries_are_whole_days_to_the_second() {
    // 90 days and 86,399 seconds is still 90 whole days: not lapsed. One second more is 91.
    let stage = |seconds_ago: i64| {
        let p = Profile {
            token: "p".to_owned(),
            attributes: vec![],
            events: vec![order(NOW - seconds_ago)],
        };
        run("{}", vec![p])[0].segment.clone()
    };
    assert_eq!(stage(90 * DAY), "first_time_buyer");
    assert_eq!(stage(91 * DAY - 1), "first_time_buyer");
    assert_eq!(stage(91 * DAY), "lapsed");
    assert_eq!(stage(181 * DAY - 1), "lapsed");
    assert_eq!(stage(181 * DAY), "churned");
}

#[test]
fn missing_data_makes_a_new_lead() {
    let only_views = Profile {
        token: "views".to_owned(),
        attributes: vec![],
        events: vec![Event {
            event_type: "page_viewed".to_owned(),
            at: NOW - DAY,
            properties: vec![],
        }],
    };
    let future_order = Profile {
        token: "future".to_owned(),
        attributes: vec![],
        events: vec![order(NOW + DAY)],
    };
    let empty = Profile {
        token: "empty".to_owned(),
        attributes: vec![],
        events: vec![],
    };
    for got in run("{}", vec![only_views, future_order, empty]) {
        assert_eq!(got.segment, "new_lead", "{}", got.token);
        assert_eq!(got.reasons, ["no completed order yet"], "{}", got.token);
    }
}

#[test]
fn an_order_without_amount_still_counts() {
    let p = Profile {
        token: "p".to_owned(),
        attributes: vec![],
        events: vec![Event {
            event_type: "order_completed".to_owned(),
            at: NOW - DAY,
            properties: vec![],
        }],
    };
    assert_eq!(run("{}", vec![p])[0].segment, "first_time_buyer");
}

#[test]
fn the_crm_stage_is_quoted_but_does_not_decide() {
    let mut lead = profile("lead", &[]);
    lead.attributes.push(Attribute {
        name: "lifecycle_stage".to_owned(),
        value: Value::Text("customer".to_owned()),
    });
    let mut blank = profile("blank", &[5]);
    blank.attributes.push(Attribute {
        name: "lifecycle_stage".to_owned(),
        value: Value::Text("  ".to_owned()),
    });
    let out = run("{}", vec![lead, blank]);
    assert_eq!(out[0].segment, "new_lead");
    assert_eq!(
        out[0].reasons,
        ["no completed order yet", "CRM lifecycle stage: customer"]
    );
    assert_eq!(out[1].segment, "first_time_buyer");
    assert!(out[1].reasons.iter().all(|r| !r.contains("CRM")));
}

#[test]
fn bad_configs_are_refused_by_segments_and_start() {
    for config in [
        r#"{"lapsed_after_days": 200}"#,
        r#"{"churn_days": 3}"#,
        "[]",
    ] {
        assert!(Lifecycle::segments(config).is_err(), "{config}");
        assert!(Lifecycle::start(config, context()).is_err(), "{config}");
    }
}

/// The example configuration in samples/ (long-cycle goods) is accepted and moves the windows.
#[test]
fn the_sample_config_is_accepted() {
    let sample = include_str!("../samples/config.json");
    assert_eq!(Lifecycle::segments(sample).unwrap().len(), 7);
    let stage = |days: &[i64]| run(sample, vec![profile("p", days)])[0].segment.clone();
    assert_eq!(stage(&[120]), "first_time_buyer");
    assert_eq!(stage(&[121]), "lapsed");
    assert_eq!(stage(&[366]), "churned");
    assert_eq!(stage(&[10, 30, 50, 70]), "repeat", "loyal from 5 orders");
}

/// Every id the plugin may emit must be declared in manifest.toml, with the same description.
#[test]
fn manifest_declares_every_segment() {
    let manifest = include_str!("../manifest.toml");
    let defs = Lifecycle::segments("{}").unwrap();
    assert_eq!(defs.len(), 7);
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

proptest! {
    /// Every profile gets exactly one stage, and the stage agrees with the facts it claims.
    #[test]
    fn one_stage_per_profile_consistent_with_the_orders(
        histories in proptest::collection::vec(proptest::collection::vec(0i64..400, 0..8), 1..30),
    ) {
        let profiles: Vec<Profile> = histories.iter().enumerate()
            .map(|(i, days)| profile(&format!("p{i}"), days))
            .collect();
        let out = run("{}", profiles);
        prop_assert_eq!(out.len(), histories.len());
        for (days, got) in histories.iter().zip(&out) {
            let latest = days.iter().min().copied();
            match got.segment.as_str() {
                "new_lead" => prop_assert!(days.is_empty()),
                "first_time_buyer" => prop_assert!(days.len() == 1 && latest <= Some(90)),
                "repeat" => prop_assert!((2..4).contains(&days.len())),
                "loyal" => prop_assert!(days.len() >= 4),
                "churned" => prop_assert!(latest > Some(180)),
                "lapsed" => prop_assert!(latest > Some(30) && latest <= Some(180)),
                "win_back" => prop_assert!(days.len() >= 2 && latest <= Some(180)),
                other => prop_assert!(false, "unknown stage {}", other),
            }
        }
    }
}
