//! Properties of `diff` over generated policies: comparing a policy with itself finds nothing, comparing the other
//! way round swaps widens and narrows, and the numeric thresholds move in the documented direction.

use std::collections::BTreeMap;

use cohort_policy::{Effect, Policy, diff, parse_policy};
use proptest::prelude::*;

const ATTRIBUTES: [&str; 5] = ["country", "city", "age_band", "loyalty_tier", "interest"];
const EVENTS: [&str; 3] = ["order_completed", "page_viewed", "email_opened"];

/// The knobs a generated policy varies.
#[derive(Clone, Debug)]
struct Knobs {
    min_group: u64,
    export_extra: u64,
    dp: Option<(u32, u32, Option<u32>)>,
    events_days: u32,
    profile_days: u32,
    analytics_attributes: Vec<bool>,
    analytics_events: Vec<bool>,
    marketing: Option<(bool, Vec<bool>)>,
    reimport_with_consent: bool,
    gmail: bool,
    allow_rfm: Option<bool>,
}

fn knobs() -> impl Strategy<Value = Knobs> {
    (
        (2u64..200, 0u64..200),
        proptest::option::of((1u32..10, 0u32..10, proptest::option::of(0u32..10))),
        (1u32..2000, 1u32..2000),
        (
            proptest::collection::vec(any::<bool>(), ATTRIBUTES.len()),
            proptest::collection::vec(any::<bool>(), EVENTS.len()),
        ),
        proptest::option::of((
            any::<bool>(),
            proptest::collection::vec(any::<bool>(), ATTRIBUTES.len()),
        )),
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (min_group, export_extra),
                dp,
                (events_days, profile_days),
                (aa, ae),
                marketing,
                (re, gm, rfm),
            )| {
                Knobs {
                    min_group,
                    export_extra,
                    dp,
                    events_days,
                    profile_days,
                    analytics_attributes: aa,
                    analytics_events: ae,
                    marketing,
                    reimport_with_consent: re,
                    gmail: gm,
                    allow_rfm: rfm,
                }
            },
        )
}

fn pick<'a>(names: &[&'a str], chosen: &[bool]) -> Vec<&'a str> {
    names
        .iter()
        .zip(chosen)
        .filter(|(_, c)| **c)
        .map(|(n, _)| *n)
        .collect()
}

/// Renders the knobs as a policy file; every generated file is valid.
fn render(k: &Knobs) -> String {
    let mut analytics_attributes = pick(&ATTRIBUTES, &k.analytics_attributes);
    if analytics_attributes.is_empty() {
        analytics_attributes.push("country");
    }
    let analytics_events = pick(&EVENTS, &k.analytics_events);
    let mut text = format!(
        "policy: generated\nversion: 1\ncontroller: {{ name: Generated GmbH }}\nidentity: {{ email_folding: {} }}\n\
         purposes:\n  - id: analytics\n    description: stats\n    legal_basis: legitimate_interest\n    \
         legitimate_interest_assessment: LIA-1\n    attributes: [{}]\n    event_types: [{}]\n    outputs: aggregate_only\n",
        if k.gmail { "gmail" } else { "none" },
        analytics_attributes.join(", "),
        analytics_events.join(", "),
    );
    if let Some((per_subject, attributes)) = &k.marketing {
        let mut attributes = pick(&ATTRIBUTES, attributes);
        if attributes.is_empty() {
            attributes.push("city");
        }
        text += &format!(
            "  - id: marketing\n    description: offers\n    legal_basis: consent\n    attributes: [{}]\n    \
             outputs: {}\n",
            attributes.join(", "),
            if *per_subject {
                "per_subject\n    contact_identifiers: [email]"
            } else {
                "aggregate_only"
            },
        );
    }
    text += "attributes:\n  email: { category: identifier }\n  birth_date: { category: personal, store_as: age_band }\n";
    for name in ATTRIBUTES.iter().filter(|n| **n != "age_band") {
        text += &format!("  {name}: {{ category: personal }}\n");
    }
    text += "events:\n";
    for name in EVENTS {
        text += &format!("  {name}: {{ properties: [id] }}\n");
    }
    text += &format!(
        "aggregates:\n  min_group_size: {}\n  min_export_size: {}\n",
        k.min_group,
        k.min_group + k.export_extra
    );
    if let Some((epsilon_tenths, day_extra, month_extra)) = k.dp {
        let epsilon = f64::from(epsilon_tenths) / 10.0;
        let day = epsilon + f64::from(day_extra) / 10.0;
        text += &format!(
            "  differential_privacy:\n    epsilon_per_query: {epsilon}\n    budget_per_day: {day}\n"
        );
        if let Some(month_extra) = month_extra {
            text += &format!("    budget_per_month: {}\n", day + f64::from(month_extra));
        }
    }
    text += &format!(
        "retention: {{ events_days: {}, inactive_profile_days: {} }}\nerasure: {{ reimport: {} }}\n",
        k.events_days,
        k.profile_days,
        if k.reimport_with_consent {
            "with_new_consent"
        } else {
            "never"
        }
    );
    if let Some(with_marketing) = k.allow_rfm {
        let purposes = if with_marketing && k.marketing.is_some() {
            "analytics, marketing"
        } else {
            "analytics"
        };
        text += &format!("plugins:\n  allow: [ {{ plugin: rfm, purposes: [{purposes}] }} ]\n");
    }
    text
}

fn build(k: &Knobs) -> Policy {
    let text = render(k);
    parse_policy("generated.yaml", &text).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

/// Effects per path, as a sorted multiset.
fn effects(old: &Policy, new: &Policy) -> BTreeMap<String, Vec<Effect>> {
    let mut out: BTreeMap<String, Vec<Effect>> = BTreeMap::new();
    for change in diff(old, new).changes {
        out.entry(change.path).or_default().push(change.effect);
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_policy_does_not_differ_from_itself(k in knobs()) {
        let policy = build(&k);
        prop_assert!(diff(&policy, &policy).is_empty());
    }

    #[test]
    fn reversing_a_diff_swaps_widens_and_narrows(a in knobs(), b in knobs()) {
        let (a, b) = (build(&a), build(&b));
        let forward = effects(&a, &b);
        let mut backward = effects(&b, &a);
        for list in backward.values_mut() {
            for effect in list.iter_mut() {
                *effect = effect.reversed();
            }
            list.sort();
        }
        prop_assert_eq!(forward, backward);
    }

    #[test]
    fn thresholds_and_retention_move_in_the_documented_direction(a in knobs(), b in knobs()) {
        let (pa, pb) = (build(&a), build(&b));
        let changes = effects(&pa, &pb);
        let effect_at = |path: &str| changes.get(path).cloned().unwrap_or_default();
        let expect = |old: u64, new: u64, when_larger: Effect| -> Vec<Effect> {
            match new.cmp(&old) {
                std::cmp::Ordering::Greater => vec![when_larger],
                std::cmp::Ordering::Less => vec![when_larger.reversed()],
                std::cmp::Ordering::Equal => vec![],
            }
        };
        prop_assert_eq!(
            effect_at("/aggregates/min_group_size"),
            expect(a.min_group, b.min_group, Effect::Narrows)
        );
        prop_assert_eq!(
            effect_at("/retention/events_days"),
            expect(u64::from(a.events_days), u64::from(b.events_days), Effect::Widens)
        );
        let dp_effect = effect_at("/aggregates/differential_privacy");
        match (a.dp.is_some(), b.dp.is_some()) {
            (true, false) => prop_assert_eq!(dp_effect, vec![Effect::Widens]),
            (false, true) => prop_assert_eq!(dp_effect, vec![Effect::Narrows]),
            _ => prop_assert!(dp_effect.is_empty()),
        }
        // Whether the new version widens is exactly whether some change widens.
        prop_assert_eq!(diff(&pa, &pb).widens(), changes.values().flatten().any(|e| *e == Effect::Widens));
    }
}
