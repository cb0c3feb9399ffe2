//! The RFM segmenter built to WebAssembly, run through the sandbox over more profiles than one drain page holds:
//! the plugin builds its assignments page by page as the host drains them, and what comes out must not depend on
//! how the profiles were chunked or on the pages.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is how a test fails.

use cohort_plugin_package::Manifest;
use cohort_plugins::{Assignment, Event, LoadedPlugin, Profile, Runtime, Value};
use cohort_tests::plugin;
use proptest::prelude::*;

/// The analysis time of every run.
const NOW: i64 = 1_790_000_000;
const DAY: i64 = 86_400;

fn load_rfm(rt: &Runtime) -> LoadedPlugin {
    let (wasm, manifest_text) = plugin("segmenters/rfm");
    let manifest = Manifest::parse(&manifest_text).unwrap();
    rt.load_with_manifest(&manifest, "test".into(), &wasm)
        .unwrap()
}

/// Profile `i` of a population: `orders[i]` orders (none for 0) at different ages and amounts.
fn population(orders: &[u8]) -> Vec<Profile> {
    orders
        .iter()
        .enumerate()
        .map(|(i, &n)| Profile {
            token: i as u64,
            attributes: vec![],
            events: (0..i64::from(n))
                .map(|k| Event {
                    event_type: "order_completed".into(),
                    at: NOW - ((i as i64 * 7 + k * 31) % 700) * DAY,
                    properties: vec![(
                        "total".into(),
                        Value::Number(((i * 13 + k as usize * 5) % 300) as f64),
                    )],
                })
                .collect(),
        })
        .collect()
}

/// Adds `profiles` `chunk` at a time, then finishes, collecting every assignment in the order it arrived.
fn run(rfm: &LoadedPlugin, profiles: &[Profile], chunk: usize) -> Vec<Assignment> {
    let mut run = rfm.start_segmenter("{}", "analytics", NOW).unwrap();
    let mut out = cohort_plugins::Assignments::new();
    for part in profiles.chunks(chunk) {
        out.append(run.add(part).unwrap());
    }
    run.finish_into(&mut out).unwrap();
    out.to_vec()
}

#[test]
fn thousands_of_customers_leave_in_pages_each_exactly_once_in_order() {
    let rt = Runtime::new().unwrap();
    let rfm = load_rfm(&rt);
    // 2,000 customers with orders (several drain pages) and every fifth profile without any.
    let orders: Vec<u8> = (0..2_500)
        .map(|i| if i % 5 == 4 { 0 } else { 1 + (i % 6) as u8 })
        .collect();
    let profiles = population(&orders);
    let out = run(&rfm, &profiles, 2_000);

    // Profiles without orders are final in `add`; the scored ones follow from `drain`, in input order.
    let (no_orders, scored): (Vec<&Assignment>, Vec<&Assignment>) =
        out.iter().partition(|a| a.segment == "no_orders");
    assert_eq!(no_orders.len(), 500);
    assert_eq!(scored.len(), 2_000);
    let expected: Vec<u64> = profiles
        .iter()
        .zip(&orders)
        .filter(|(_, n)| **n > 0)
        .map(|(p, _)| p.token)
        .collect();
    let got: Vec<u64> = scored.iter().map(|a| a.token).collect();
    assert_eq!(got, expected);
    for a in scored {
        assert_eq!(a.reasons.len(), 4, "{a:?}");
        assert!((0.0..=1.0).contains(&a.score), "{a:?}");
        assert!(
            a.reasons[3].ends_with(&a.segment) || a.segment == "lost",
            "{a:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// The same population gives the same assignments whatever the chunk size.
    #[test]
    fn chunking_changes_nothing(
        orders in proptest::collection::vec(0u8..5, 300..700),
        chunk in 1usize..400,
    ) {
        let rt = Runtime::new().unwrap();
        let rfm = load_rfm(&rt);
        let profiles = population(&orders);
        let mut whole = run(&rfm, &profiles, profiles.len());
        let mut chunked = run(&rfm, &profiles, chunk);
        // Order differs only in where `add`'s no-order assignments fall among the chunks.
        whole.sort_by_key(|a| a.token);
        chunked.sort_by_key(|a| a.token);
        prop_assert_eq!(whole, chunked);
    }
}
