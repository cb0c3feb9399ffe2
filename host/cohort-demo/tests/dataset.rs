//! Properties of generated datasets: determinism, schema validity, realistic rates, and that the
//! people match what their records say.

// Clippy allows `unwrap` inside `#[test]` functions but not in the helpers they share here.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cohort_demo::{
    ConsentState, Dataset, DemoError, DemoSpec, MAX_CUSTOMERS, Person, bench_records, generate,
};
use serde_json::Value;
use time::macros::date;

/// The default dataset (5,000 customers), generated once for all tests that only read it.
fn default_dataset() -> &'static Dataset {
    static DATASET: OnceLock<Dataset> = OnceLock::new();
    DATASET.get_or_init(|| generate(&DemoSpec::default()))
}

fn jsonl(records: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    cohort_demo::write_jsonl(records, &mut out).unwrap();
    out
}

fn schema_validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/record.schema.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // `validator_for` leaves `format` unchecked under draft 2020-12; checking it as well makes
    // sure every timestamp is a real RFC 3339 date-time.
    jsonschema::validator_for(&schema).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn share(part: usize, whole: usize) -> f64 {
    part as f64 / whole as f64
}

fn assert_band(name: &str, value: f64, lo: f64, hi: f64) {
    assert!(
        (lo..=hi).contains(&value),
        "{name} = {value:.3}, expected {lo}..={hi}"
    );
}

#[test]
fn same_spec_gives_identical_bytes_and_another_seed_differs() {
    let spec = DemoSpec {
        customers: 1_000,
        ..DemoSpec::default()
    };
    let a = generate(&spec);
    let b = generate(&spec);
    assert_eq!(jsonl(&a.records), jsonl(&b.records));
    assert_eq!(a.people, b.people);
    assert_eq!(a.stats, b.stats);

    let other = generate(&DemoSpec { seed: 43, ..spec });
    assert_ne!(jsonl(&a.records), jsonl(&other.records));
    let shifted = generate(&DemoSpec {
        today: date!(2026 - 06 - 01),
        ..spec
    });
    assert_ne!(jsonl(&a.records), jsonl(&shifted.records));
}

#[test]
fn a_smaller_dataset_is_a_prefix_of_a_larger_one() {
    let small = generate(&DemoSpec {
        customers: 200,
        ..DemoSpec::default()
    });
    let large = generate(&DemoSpec {
        customers: 600,
        ..DemoSpec::default()
    });
    assert_eq!(small.people[..], large.people[..200]);
}

#[test]
fn every_record_is_valid_against_the_record_schema() {
    let validator = schema_validator();
    for (line, record) in default_dataset().records.iter().enumerate() {
        let errors: Vec<String> = validator
            .iter_errors(record)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "record {line}: {errors:?}\n{record}");
    }
    for record in bench_records(500, 7) {
        assert!(validator.is_valid(&record), "bench record {record}");
    }
}

#[test]
fn jsonl_is_one_record_per_line_and_parses_back() {
    let records = &default_dataset().records[..300];
    let text = String::from_utf8(jsonl(records)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), records.len());
    assert!(text.ends_with('\n'));
    for (line, record) in lines.iter().zip(records) {
        assert_eq!(&serde_json::from_str::<Value>(line).unwrap(), record);
    }
}

#[test]
fn records_come_in_source_order_with_one_crm_record_per_person() {
    let data = default_dataset();
    let sources: Vec<&str> = data
        .records
        .iter()
        .map(|r| r["source"].as_str().unwrap())
        .collect();
    let rank = |s: &str| {
        ["crm", "analytics", "survey"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    assert!(
        sources.windows(2).all(|w| rank(w[0]) <= rank(w[1])),
        "crm, then analytics, then survey"
    );
    assert_eq!(data.stats.records_by_source["crm"], data.people.len());
    for (person, record) in data.people.iter().zip(&data.records) {
        assert_eq!(record["identifiers"]["crm_id"], person.crm_id.as_str());
    }
}

/// Maps every identifier a person holds (by match key) to the person's index.
fn identifier_owners(people: &[Person]) -> BTreeMap<String, usize> {
    let mut owners = BTreeMap::new();
    for (i, p) in people.iter().enumerate() {
        let mut keys = vec![format!("email:{}", p.email), format!("crm_id:{}", p.crm_id)];
        keys.extend(p.user_id.iter().map(|u| format!("user_id:{u}")));
        keys.extend(p.anonymous_ids.iter().map(|a| format!("anonymous_id:{a}")));
        keys.extend(p.phone.iter().map(|ph| format!("phone:{ph}")));
        for key in keys {
            assert_eq!(
                owners.insert(key.clone(), i),
                None,
                "{key} belongs to two people"
            );
        }
    }
    owners
}

fn record_keys(record: &Value) -> Vec<String> {
    record["identifiers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(kind, v)| {
            let v = v.as_str().unwrap();
            if kind == "email" {
                format!("email:{}", v.trim().to_lowercase())
            } else {
                format!("{kind}:{v}")
            }
        })
        .collect()
}

#[test]
fn people_match_what_their_records_say() {
    let data = default_dataset();
    let owners = identifier_owners(&data.people);
    let mut attributes: Vec<serde_json::Map<String, Value>> =
        vec![serde_json::Map::new(); data.people.len()];
    let mut orders: Vec<Vec<(String, String)>> = vec![Vec::new(); data.people.len()];
    for record in &data.records {
        let owners_of_record: BTreeSet<usize> =
            record_keys(record).iter().map(|k| owners[k]).collect();
        assert_eq!(
            owners_of_record.len(),
            1,
            "a record's identifiers all belong to one person: {record}"
        );
        let who = *owners_of_record.first().unwrap();
        if let Some(attrs) = record.get("attributes").and_then(Value::as_object) {
            for (name, value) in attrs {
                let previous = attributes[who].insert(name.clone(), value.clone());
                assert!(
                    previous.is_none() || previous.as_ref() == Some(value),
                    "{name} disagrees for {who}"
                );
            }
        }
        for event in record
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if event["type"] == "order_completed" {
                orders[who].push((
                    event["id"].as_str().unwrap().to_owned(),
                    event["at"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    for (i, person) in data.people.iter().enumerate() {
        assert_eq!(
            attributes[i], person.attributes,
            "attributes of {}",
            person.crm_id
        );
        let expected: Vec<(String, String)> = person
            .orders
            .iter()
            .map(|o| {
                (
                    o.id.clone(),
                    o.at.format(&time::format_description::well_known::Rfc3339)
                        .unwrap(),
                )
            })
            .collect();
        assert_eq!(orders[i], expected, "orders of {}", person.crm_id);
    }
}

#[test]
fn identifiers_are_fictional_and_written_in_varied_ways() {
    let data = default_dataset();
    for p in &data.people {
        let (local, domain) = p.email.split_once('@').unwrap();
        assert!(
            ["example.com", "example.org", "example.net"].contains(&domain),
            "{}",
            p.email
        );
        assert!(local.bytes().any(|b| b.is_ascii_digit()), "{}", p.email);
        assert!(p.email.is_ascii() && p.email == p.email.to_lowercase());
        if let Some(e164) = &p.phone_e164 {
            let fictional = [
                "+121255501",
                "+141555501",
                "+131255501",
                "+151255501",
                "+120655501",
                "+161755501",
            ]
            .iter()
            .any(|prefix| e164.starts_with(prefix) && e164.len() == 12)
                || [
                    "+442079460",
                    "+441614960",
                    "+441214960",
                    "+441134960",
                    "+441174960",
                    "+441314960",
                    "+447700900",
                ]
                .iter()
                .any(|prefix| e164.starts_with(prefix))
                || [
                    "+493023125",
                    "+494066969",
                    "+498999998",
                    "+492214710",
                    "+496990009",
                ]
                .iter()
                .any(|prefix| e164.starts_with(prefix));
            assert!(fictional, "{e164} is not in a fiction range");
            let digits: String = p
                .phone
                .as_ref()
                .unwrap()
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            let national = &e164[e164.len() - 7..];
            assert!(digits.ends_with(national), "{:?} writes {e164}", p.phone);
        }
    }
    let phones: BTreeSet<&str> = data
        .people
        .iter()
        .filter_map(|p| p.phone_e164.as_deref())
        .collect();
    assert_eq!(
        phones.len(),
        data.people.iter().filter(|p| p.phone.is_some()).count(),
        "phones are unique"
    );
    let styles: BTreeSet<char> = data
        .people
        .iter()
        .filter_map(|p| p.phone.as_ref()?.chars().next())
        .collect();
    assert!(
        styles.contains(&'+') && styles.contains(&'0') && styles.contains(&'('),
        "{styles:?}"
    );

    let written: Vec<&str> = data
        .records
        .iter()
        .filter(|r| r["source"] != "crm")
        .filter_map(|r| r["identifiers"]["email"].as_str())
        .collect();
    assert!(
        written
            .iter()
            .any(|e| e.starts_with(' ') && e.ends_with(' ')),
        "some emails carry spaces"
    );
    assert!(
        written.iter().any(|e| e.chars().any(char::is_uppercase)),
        "some emails carry capitals"
    );
}

#[test]
fn rates_are_plausible_for_five_thousand_customers() {
    let data = default_dataset();
    let n = data.people.len();
    assert_eq!(n, 5_000);
    let stats = &data.stats;

    let with_analytics = data
        .people
        .iter()
        .filter(|p| !p.anonymous_ids.is_empty())
        .count();
    assert_band("analytics share", share(with_analytics, n), 0.80, 0.90);
    assert_band(
        "survey share",
        share(stats.records_by_source["survey"], n),
        0.21,
        0.29,
    );

    let email = stats.consents["email_marketing"];
    let personalisation = stats.consents["personalisation"];
    assert_band(
        "email_marketing granted",
        share(email.granted, n),
        0.41,
        0.49,
    );
    assert_band(
        "email_marketing withdrawn of granted",
        share(email.withdrawn, email.granted),
        0.05,
        0.12,
    );
    assert_band(
        "email_marketing refused",
        share(email.refused, n),
        0.16,
        0.24,
    );
    assert_band(
        "personalisation granted",
        share(personalisation.granted, n),
        0.26,
        0.34,
    );
    let holding_now = data
        .people
        .iter()
        .filter(|p| p.consent_state("email_marketing") == Some(ConsentState::Granted))
        .count();
    assert_eq!(holding_now, email.granted - email.withdrawn);

    assert_band(
        "favourite_colour",
        share(stats.dropped_attributes["favourite_colour"], n),
        0.035,
        0.085,
    );
    assert_band(
        "health_allergies",
        share(stats.dropped_attributes["health_allergies"], n),
        0.008,
        0.035,
    );
    assert!(stats.dropped_events["app_crashed"] > 0);

    let phones = data.people.iter().filter(|p| p.phone.is_some()).count();
    assert_band("phone share", share(phones, n), 0.25, 0.45);

    let mut countries: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &data.people {
        *countries
            .entry(p.attributes["country"].as_str().unwrap())
            .or_default() += 1;
    }
    let (top, _) = countries.iter().max_by_key(|(_, c)| **c).unwrap();
    assert_eq!(*top, "DE");
    for rare in ["IS", "LU", "MT"] {
        let count = countries.get(rare).copied().unwrap_or(0);
        assert!(
            (1..50).contains(&count),
            "{rare}: {count} customers, want a small non-empty cell"
        );
    }

    assert!(
        stats.expected_profiles >= n,
        "every person has a CRM profile"
    );
    assert!(
        stats.expected_profiles < n + stats.records_by_source["analytics"] / 3,
        "most records merge"
    );
}

#[test]
fn orders_are_rfm_shaped_and_dates_are_in_range() {
    let data = default_dataset();
    let today = DemoSpec::default().today;
    let mut by_count: BTreeMap<usize, usize> = BTreeMap::new();
    for p in &data.people {
        *by_count.entry(p.orders.len()).or_default() += 1;
        for o in &p.orders {
            let days = (today - o.at.date()).whole_days();
            assert!((1..=730).contains(&days), "order {} {days} days back", o.id);
            assert!(o.revenue > 0.0 && o.items >= 1);
        }
        assert!(
            p.orders.windows(2).all(|w| w[0].at <= w[1].at),
            "orders in time order"
        );
        assert!(
            p.consents.windows(2).all(|w| w[0].at <= w[1].at),
            "consents in time order"
        );
        let birth = p.attributes["birth_date"].as_str().unwrap();
        assert!(
            ("1945-01-01"..="2008-12-31").contains(&birth),
            "born {birth}"
        );
        let stage = p.attributes["lifecycle_stage"].as_str().unwrap();
        assert_eq!(
            p.orders.is_empty(),
            ["lead", "subscriber"].contains(&stage),
            "{stage} with {} orders",
            p.orders.len()
        );
    }
    let count = |k: usize| by_count.get(&k).copied().unwrap_or(0);
    assert!(
        count(1) > count(2) && count(2) > count(3) && count(3) > count(4),
        "{by_count:?}"
    );
    assert!(
        by_count.keys().max().copied().unwrap_or(0) >= 10,
        "a long tail: {by_count:?}"
    );
    for record in &data.records {
        for stamp in record
            .get("events")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| e["at"].as_str().unwrap())
        {
            assert!(stamp < "2026-11-01", "event at {stamp} is not before today");
        }
    }
}

#[test]
fn bench_records_are_uniform_with_unique_emails() {
    let records = bench_records(2_000, 1);
    assert_eq!(records.len(), 2_000);
    let mut emails = BTreeSet::new();
    for r in &records {
        let identifiers = r["identifiers"].as_object().unwrap();
        assert_eq!(identifiers.len(), 1);
        assert!(emails.insert(identifiers["email"].as_str().unwrap().to_owned()));
        assert_eq!(r["attributes"].as_object().unwrap().len(), 5);
        assert_eq!(r["events"].as_array().unwrap().len(), 1);
    }
    assert_eq!(bench_records(50, 1), records[..50]);
    assert_ne!(bench_records(50, 2), records[..50]);
}

#[test]
fn fifty_thousand_customers_generate_quickly() {
    let started = Instant::now();
    let data = generate(&DemoSpec {
        customers: 50_000,
        ..DemoSpec::default()
    });
    let elapsed = started.elapsed();
    assert_eq!(data.people.len(), 50_000);
    assert_eq!(data.stats.records_by_source["crm"], 50_000);
    // Generous for an unoptimised build on a shared two-core machine; typical runs are far lower.
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
}

#[test]
fn specs_out_of_bounds_are_refused() {
    assert_eq!(DemoSpec::default().validate(), Ok(()));
    let huge = DemoSpec {
        customers: MAX_CUSTOMERS + 1,
        ..DemoSpec::default()
    };
    assert!(matches!(
        huge.validate(),
        Err(DemoError::TooManyCustomers { .. })
    ));
    let ancient = DemoSpec {
        today: date!(1000 - 01 - 01),
        ..DemoSpec::default()
    };
    assert!(matches!(
        ancient.validate(),
        Err(DemoError::TodayOutOfRange { .. })
    ));
}
