//! Invariants that hold for any seed, size and date, checked on many small datasets.

// Clippy allows `unwrap` inside `#[test]` functions but not in the helpers they share here.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::sync::OnceLock;

use cohort_demo::{DemoSpec, generate};
use proptest::prelude::*;
use serde_json::Value;
use time::macros::date;
use time::{Date, Duration};

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../schemas/record.schema.json"
        );
        let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    })
}

fn timestamps(record: &Value) -> Vec<String> {
    ["events", "consents"]
        .iter()
        .flat_map(|key| {
            record
                .get(*key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .map(|item| item["at"].as_str().unwrap().to_owned())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn any_spec_gives_valid_records_before_today_with_unique_people(
        seed in any::<u64>(),
        customers in 0usize..40,
        offset in 0i64..20_000,
    ) {
        let today: Date = date!(2000 - 01 - 01) + Duration::days(offset);
        let spec = DemoSpec { customers, seed, today };
        prop_assert_eq!(spec.validate(), Ok(()));
        let data = generate(&spec);
        prop_assert_eq!(data.people.len(), customers);
        prop_assert_eq!(data.stats.records_by_source.get("crm").copied().unwrap_or(0), customers);
        let midnight = format!("{today}T00:00:00Z");
        for record in &data.records {
            prop_assert!(validator().is_valid(record), "invalid record {}", record);
            for at in timestamps(record) {
                prop_assert!(at < midnight, "{} is not before {}", at, midnight);
            }
        }
        let emails: BTreeSet<&str> = data.people.iter().map(|p| p.email.as_str()).collect();
        prop_assert_eq!(emails.len(), customers);
        prop_assert!(data.stats.expected_profiles >= customers);
        prop_assert!(data.stats.expected_profiles <= data.records.len());
    }
}
