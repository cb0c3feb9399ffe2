//! End-to-end tests of the RFM segmenter through the SDK's `run_segmenter`, over a hand-computed fixture.

#![allow(clippy::unwrap_used)] // Test code: a panic is how a test fails.

use cohort_plugin_sdk::{Assignment, Event, Profile, RunContext, Segmenter, Value, run_segmenter};
use proptest::prelude::*;
use rfm::Rfm;

const DAY: i64 = 86_400;
/// 2026-03-01T12:00:00Z, the analysis time of every test.
const NOW: i64 = 1_772_366_400;

/// Twenty customers, n = 20, so every cut `b_k = ⌈k·20/5⌉` is 4, 8, 12, 16 and a score is
/// `1 + ⌊w / 4⌋`, where `w` is the number of customers strictly worse on that dimension:
/// w 0–3 → 1, 4–7 → 2, 8–11 → 3, 12–15 → 4, 16–19 → 5.
///
/// Recency, sorted worst first (most days): 700, 400, 365, 300 (w 0–3, R1); 260, 200, 150, 120 (w 4–7,
/// R2); 90, 75, 60 (w 8–10, R3); 45 ×2 (c08, c09: w = 11, both R3 — a row-order split would have put one in
/// R4); 30, 20, 14 (w 13–15, R4); 9 (w 16, R5); 5 ×2 (c02, c03: w = 17, R5); 2 (w 19, R5).
///
/// Frequency: nine customers have 1 order (w = 0, F1); 2 orders ×3 (w = 9, F3 — F2 stays empty, the
/// uneven bucket of the tie rule); 3 ×2 (w = 12, F4); 4 (w 14, F4); 6 (w 15, F4); 7 (w 16, F5); 8 (w 17,
/// F5); 10 (w 18, F5); 12 (w 19, F5).
///
/// Monetary, ascending: 10, 15, 19.99, 25 (w 0–3, M1); 35 (w 4, M2); 40 ×3 (c03, c10, c19: w = 5, M2); 60, 80,
/// 120, 150 (w 8–11, M3); 220, 300, 410, 500 (w 12–15, M4); 640, 900, 1100, 1500 (w 16–19, M5).
///
/// `rf` is the R × F cell with `lost` carved out of R1 F1; `rfm` is the R × FM cell, FM = ⌈(F + M) / 2⌉.
/// Score = (R + F + M − 3) / 12.
#[rustfmt::skip] // A table: one customer per line.
const FIXTURE: [Row; 20] = [
    //  token  days orders  spend   R  F  M  rf                    rfm
    row("c01",   2,  12,  1500.0,   5, 5, 5, "champions",          "champions"),
    row("c02",   5,   8,   900.0,   5, 5, 5, "champions",          "champions"),
    row("c03",   5,   1,    40.0,   5, 1, 2, "new_customers",      "potential_loyalist"),
    row("c04",   9,   3,   300.0,   5, 4, 4, "champions",          "champions"),
    row("c05",  14,   1,    25.0,   4, 1, 1, "promising",          "promising"),
    row("c06",  20,   6,   640.0,   4, 4, 5, "loyal_customers",    "loyal_customers"),
    row("c07",  30,   2,   120.0,   4, 3, 3, "potential_loyalist", "potential_loyalist"),
    row("c08",  45,   1,    60.0,   3, 1, 3, "about_to_sleep",     "about_to_sleep"),
    row("c09",  45,   4,   410.0,   3, 4, 4, "loyal_customers",    "loyal_customers"),
    row("c10",  60,   1,    40.0,   3, 1, 2, "about_to_sleep",     "about_to_sleep"),
    row("c11",  75,   2,   150.0,   3, 3, 3, "need_attention",     "need_attention"),
    row("c12",  90,  10,  1100.0,   3, 5, 5, "loyal_customers",    "loyal_customers"),
    row("c13", 120,   1,   19.99,   2, 1, 1, "hibernating",        "hibernating"),
    row("c14", 150,   3,   220.0,   2, 4, 4, "at_risk",            "at_risk"),
    row("c15", 200,   7,   500.0,   2, 5, 4, "cant_lose_them",     "cant_lose_them"),
    row("c16", 260,   1,    35.0,   2, 1, 2, "hibernating",        "hibernating"),
    row("c17", 300,   2,    80.0,   1, 3, 3, "at_risk",            "at_risk"),
    row("c18", 365,   1,    15.0,   1, 1, 1, "lost",               "lost"),
    row("c19", 400,   1,    40.0,   1, 1, 2, "lost",               "hibernating"),
    row("c20", 700,   1,    10.0,   1, 1, 1, "lost",               "lost"),
];

struct Row {
    token: &'static str,
    days: i64,
    orders: u32,
    spend: f64,
    r: u8,
    f: u8,
    m: u8,
    rf: &'static str,
    rfm: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn row(
    token: &'static str,
    days: i64,
    orders: u32,
    spend: f64,
    r: u8,
    f: u8,
    m: u8,
    rf: &'static str,
    rfm: &'static str,
) -> Row {
    Row {
        token,
        days,
        orders,
        spend,
        r,
        f,
        m,
        rf,
        rfm,
    }
}

fn order(at: i64, properties: Vec<(&str, Value)>) -> Event {
    Event {
        event_type: "order_completed".to_owned(),
        at,
        properties: properties
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    }
}

/// A profile whose orders add up to the row: the latest order `days` whole days (plus an hour) before
/// `NOW`, the others 10 days apart before it. Every order but the last is worth 1; the spend is written
/// in turn as `total`, as a `revenue` string and as line items, so the spend rule is exercised too.
fn profile(row: &Row) -> Profile {
    let mut events = Vec::new();
    let last = NOW - row.days * DAY - 3_600;
    for i in 0..row.orders {
        let at = last - i64::from(i) * 10 * DAY;
        let amount = if i == 0 {
            row.spend - f64::from(row.orders - 1)
        } else {
            1.0
        };
        let properties = match i % 3 {
            0 => vec![
                ("total", Value::Number(amount)),
                ("revenue", Value::Number(amount / 2.0)),
            ],
            1 => vec![("revenue", Value::Text(format!("{amount}")))],
            _ => vec![(
                "items",
                Value::Text(format!(r#"[{{"price": {amount}, "quantity": 1}}]"#)),
            )],
        };
        events.push(order(at, properties));
    }
    events.push(Event {
        event_type: "page_viewed".to_owned(),
        at: NOW - DAY,
        properties: vec![("path".to_owned(), Value::Text("/".to_owned()))],
    });
    Profile {
        token: row.token.to_owned(),
        attributes: vec![],
        events,
    }
}

fn context() -> RunContext {
    RunContext {
        purpose: "analytics".to_owned(),
        now: NOW,
    }
}

fn run(config: &str, profiles: Vec<Profile>, chunk: usize) -> Vec<Assignment> {
    let mut out = run_segmenter::<Rfm>(config, context(), profiles, chunk).unwrap();
    out.sort_by(|a, b| a.token.cmp(&b.token));
    out
}

fn fixture_profiles() -> Vec<Profile> {
    FIXTURE.iter().map(profile).collect()
}

/// Reads "… (recency score 5 of 5)" back out of a reason.
fn score_in(reason: &str) -> u8 {
    let start = reason.rfind("score ").unwrap() + "score ".len();
    reason[start..start + 1].parse().unwrap()
}

#[test]
fn fixture_scores_and_segments_match_the_hand_computed_table() {
    let out = run("{}", fixture_profiles(), 7);
    assert_eq!(out.len(), FIXTURE.len());
    for (row, got) in FIXTURE.iter().zip(&out) {
        assert_eq!(got.token, row.token);
        let scores = (
            score_in(&got.reasons[0]),
            score_in(&got.reasons[1]),
            score_in(&got.reasons[2]),
        );
        assert_eq!(scores, (row.r, row.f, row.m), "{}: R F M", row.token);
        assert_eq!(got.segment, row.rf, "{}", row.token);
        let expected_score = f64::from(row.r + row.f + row.m - 3) / 12.0;
        assert!(
            (got.score - expected_score).abs() < 1e-12,
            "{}: score {}",
            row.token,
            got.score
        );
        assert!(
            got.reasons[0].contains(&format!("{} days ago", row.days)),
            "{:?}",
            got.reasons
        );
        assert!(
            got.reasons[1].starts_with(&format!("{} order", row.orders)),
            "{:?}",
            got.reasons
        );
        assert!(
            got.reasons[2].contains(&format!("spent {:.2}", row.spend)),
            "{:?}",
            got.reasons
        );
    }
}

#[test]
fn fixture_on_the_frequency_monetary_axis() {
    let out = run(
        r#"{"grid_axis": "frequency_monetary"}"#,
        fixture_profiles(),
        20,
    );
    for (row, got) in FIXTURE.iter().zip(&out) {
        assert_eq!(got.segment, row.rfm, "{}", row.token);
    }
}

#[test]
fn without_carving_lost_the_corner_is_hibernating() {
    let out = run(r#"{"lost_from_r1f1": false}"#, fixture_profiles(), 20);
    for (row, got) in FIXTURE.iter().zip(&out) {
        let expected = if row.rf == "lost" {
            "hibernating"
        } else {
            row.rf
        };
        assert_eq!(got.segment, expected, "{}", row.token);
    }
}

#[test]
fn one_customer_reads_in_full() {
    let out = run("{}", fixture_profiles(), 20);
    let c09 = out.iter().find(|a| a.token == "c09").unwrap();
    assert_eq!(
        c09.reasons,
        [
            "last order 45 days ago (recency score 3 of 5)",
            "4 orders (frequency score 4 of 5)",
            "spent 410.00 in total (monetary score 4 of 5)",
            "R3 × F4 is loyal_customers",
        ]
    );
}

#[test]
fn the_result_does_not_depend_on_chunk_size_or_order() {
    let all = run("{}", fixture_profiles(), FIXTURE.len());
    assert_eq!(run("{}", fixture_profiles(), 1), all);
    assert_eq!(run("{}", fixture_profiles(), 3), all);
    let mut reversed = fixture_profiles();
    reversed.reverse();
    assert_eq!(run("{}", reversed, 3), all);
}

#[test]
fn profiles_without_orders_are_not_scored_and_do_not_move_the_cuts() {
    let mut profiles = fixture_profiles();
    profiles.push(Profile {
        token: "lead".to_owned(),
        attributes: vec![],
        events: vec![Event {
            event_type: "page_viewed".to_owned(),
            at: NOW - DAY,
            properties: vec![],
        }],
    });
    // An order after the analysis time is not seen either.
    profiles.push(Profile {
        token: "future".to_owned(),
        attributes: vec![],
        events: vec![order(NOW + DAY, vec![("total", Value::Number(5.0))])],
    });
    let with_leads = run("{}", profiles.clone(), 4);
    let lead = with_leads.iter().find(|a| a.token == "lead").unwrap();
    assert_eq!((lead.segment.as_str(), lead.score), ("no_orders", 0.0));
    assert!(lead.reasons[0].contains("no completed order"));
    let future = with_leads.iter().find(|a| a.token == "future").unwrap();
    assert_eq!(future.segment, "no_orders");
    let scored: Vec<&Assignment> = with_leads
        .iter()
        .filter(|a| a.segment != "no_orders")
        .collect();
    let plain = run("{}", fixture_profiles(), 4);
    assert_eq!(scored.len(), plain.len());
    for (a, b) in scored.iter().zip(&plain) {
        assert_eq!(*a, b);
    }

    let silent = run(r#"{"no_orders_segment": false}"#, profiles, 4);
    assert_eq!(silent.len(), FIXTURE.len());
}

#[test]
fn all_equal_customers_score_one_everywhere() {
    let rows: Vec<Profile> = (0..6)
        .map(|i| {
            let mut p = profile(&FIXTURE[0]);
            p.token = format!("same{i}");
            p
        })
        .collect();
    for got in run("{}", rows, 2) {
        let scores = (
            score_in(&got.reasons[0]),
            score_in(&got.reasons[1]),
            score_in(&got.reasons[2]),
        );
        assert_eq!(scores, (1, 1, 1));
        assert_eq!((got.segment.as_str(), got.score), ("lost", 0.0));
    }
}

#[test]
fn a_single_customer_is_scored_alone() {
    let out = run("{}", vec![profile(&FIXTURE[0])], 1);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].segment, "lost");
    assert_eq!(
        out[0].reasons[0],
        "last order 2 days ago (recency score 1 of 5)"
    );
}

#[test]
fn no_profiles_no_assignments() {
    assert!(run("{}", vec![], 5).is_empty());
}

#[test]
fn segments_follow_the_config_and_bad_config_is_refused() {
    let ids = |config: &str| -> Vec<String> {
        Rfm::segments(config)
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    let all = ids("{}");
    assert_eq!(all.len(), 12);
    assert!(all.contains(&"lost".to_owned()) && all.contains(&"no_orders".to_owned()));
    let trimmed = ids(r#"{"lost_from_r1f1": false, "no_orders_segment": false}"#);
    assert_eq!(trimmed.len(), 10);
    assert!(!trimmed.contains(&"lost".to_owned()));
    let error = Rfm::segments(r#"{"grid": "rf"}"#).unwrap_err();
    assert!(error.contains("grid"), "{error}");
    assert!(Rfm::start("not json", context()).is_err());
}

/// The example configuration in samples/ is accepted, and changes what it says it changes.
#[test]
fn the_sample_config_is_accepted() {
    let sample = include_str!("../samples/config.json");
    let ids: Vec<String> = Rfm::segments(sample)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert!(!ids.contains(&"no_orders".to_owned()));
    let out = run(sample, fixture_profiles(), 5);
    for (row, got) in FIXTURE.iter().zip(&out) {
        assert_eq!(got.segment, row.rfm, "{}", row.token);
    }
}

/// Every id the plugin may emit must be declared in manifest.toml, with the same description.
#[test]
fn manifest_declares_every_segment() {
    let manifest = include_str!("../manifest.toml");
    for def in Rfm::segments("{}").unwrap() {
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

fn arbitrary_profile() -> impl Strategy<Value = Option<(i64, u32, u32)>> {
    // (days ago, orders, spend in whole units); None = no orders.
    proptest::option::weighted(0.9, (0i64..800, 1u32..6, 0u32..400))
}

proptest! {
    /// Every profile with an order gets exactly one assignment, in exactly one grid segment, and the score
    /// agrees with the grid cell named in the reasons.
    #[test]
    fn every_scored_profile_gets_exactly_one_grid_segment(
        rows in proptest::collection::vec(arbitrary_profile(), 0..60),
        chunk in 1usize..10,
        axis in prop_oneof![Just("frequency"), Just("frequency_monetary")],
    ) {
        let grid = [
            "champions", "loyal_customers", "potential_loyalist", "new_customers", "promising",
            "need_attention", "about_to_sleep", "at_risk", "cant_lose_them", "hibernating", "lost",
        ];
        let profiles: Vec<Profile> = rows.iter().enumerate().map(|(i, row)| Profile {
            token: format!("p{i:03}"),
            attributes: vec![],
            events: match row {
                Some((days, orders, spend)) => (0..*orders)
                    .map(|k| order(
                        NOW - (days + i64::from(k)) * DAY,
                        vec![("total", Value::Number(f64::from(*spend) / f64::from(*orders)))],
                    ))
                    .collect(),
                None => vec![],
            },
        }).collect();
        let config = format!(r#"{{"grid_axis": "{axis}"}}"#);
        let out = run(&config, profiles, chunk);
        prop_assert_eq!(out.len(), rows.len());
        for (i, (row, got)) in rows.iter().zip(&out).enumerate() {
            prop_assert_eq!(&got.token, &format!("p{i:03}"));
            match row {
                Some(_) => {
                    prop_assert!(grid.contains(&got.segment.as_str()), "{}", got.segment);
                    prop_assert!((0.0..=1.0).contains(&got.score));
                    let r = score_in(&got.reasons[0]);
                    prop_assert_eq!(got.segment == "lost", got.reasons[3].starts_with("R1 × F1 ") || got.reasons[3].starts_with("R1 × FM1 "));
                    prop_assert!((1..=5).contains(&r));
                }
                None => prop_assert_eq!(got.segment.as_str(), "no_orders"),
            }
        }
    }
}

proptest! {
    /// Draining a run page by page gives exactly what scoring everyone at once gives: the same assignments,
    /// reasons included, in the same order; and nothing more once the last page has left.
    #[test]
    fn pages_of_any_size_add_up_to_the_whole_run(
        rows in proptest::collection::vec(arbitrary_profile(), 0..80),
        page in 1usize..30,
    ) {
        let profiles: Vec<Profile> = rows.iter().enumerate().map(|(i, row)| Profile {
            token: format!("p{i:03}"),
            attributes: vec![],
            events: match row {
                Some((days, orders, spend)) => (0..*orders)
                    .map(|k| order(
                        NOW - (days + i64::from(k)) * DAY,
                        vec![("total", Value::Number(f64::from(*spend) / f64::from(*orders)))],
                    ))
                    .collect(),
                None => vec![],
            },
        }).collect();

        let mut whole = Rfm::new("{}", &context()).unwrap();
        let mut at_once = Vec::new();
        whole.add_profiles(profiles.clone(), &mut at_once).unwrap();
        whole.finish_into(&mut at_once);

        let mut paged = Rfm::new("{}", &context()).unwrap();
        let mut in_pages = Vec::new();
        paged.add_profiles(profiles, &mut in_pages).unwrap();
        let mut before_finish = Vec::new();
        paged.drain_into(page, &mut before_finish);
        prop_assert!(before_finish.is_empty(), "nothing leaves before finish");
        paged.finish_scoring();
        loop {
            let mut next = Vec::new();
            paged.drain_into(page, &mut next);
            prop_assert!(next.len() <= page);
            if next.is_empty() {
                break;
            }
            in_pages.extend(next);
        }
        prop_assert_eq!(in_pages, at_once);
        let mut after = Vec::new();
        paged.drain_into(page, &mut after);
        prop_assert!(after.is_empty());
    }
}
