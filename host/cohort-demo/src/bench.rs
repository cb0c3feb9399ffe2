//! The benchmark workload: many small, uniform records, so ingest throughput can be measured
//! per record without the demo's varied shapes getting in the way.

use rand::SeedableRng;
use serde_json::Value;
use time::Date;
use time::macros::date;

use crate::calendar::{at, days_before, format_date, format_stamp, time_of_day};
use crate::contact::ascii_slug;
use crate::draw::{DemoRng, OneOf, between};
use crate::render::object;
use crate::synth::price_minor;
use crate::vocab::{COUNTRIES, EMAIL_DOMAINS, Gender};

/// The fixed "today" of benchmark records, so a seed alone fixes the workload.
const BENCH_TODAY: Date = date!(2026 - 11 - 01);
/// Benchmark orders fall in the year before [`BENCH_TODAY`].
const BENCH_ORDER_WINDOW_DAYS: u32 = 365;
/// Ages as in the demo: 18 to 81 years, in days.
const BENCH_AGE_DAYS: (u32, u32) = (18 * 365 + 5, 81 * 365 + 20);

const STAGES: OneOf<&str> =
    OneOf::new(&["lead", "subscriber", "customer", "customer", "evangelist"]);
const TIERS: OneOf<&str> = OneOf::new(&["none", "bronze", "silver", "gold"]);

/// `n` CRM records, each with exactly one identifier (a unique email), five attributes
/// (`country`, `city`, `birth_date`, `lifecycle_stage`, `loyalty_tier`) and one
/// `order_completed` event. The same `n` and `seed` always give the same records.
pub fn bench_records(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = DemoRng::seed_from_u64(seed);
    (0..n).map(|i| bench_record(&mut rng, i)).collect()
}

fn bench_record(rng: &mut DemoRng, i: usize) -> Value {
    let country = COUNTRIES.draw(rng);
    let city = country.cities.draw(rng);
    let (first, gender) = *city.names.first.draw(rng);
    let (masculine, feminine) = *city.names.last.draw(rng);
    let last = if gender == Gender::F {
        feminine
    } else {
        masculine
    };
    // Names hold no digits, so the trailing number alone makes every address unique.
    let email = format!(
        "{}.{}{i}@{}",
        ascii_slug(first),
        ascii_slug(last),
        EMAIL_DOMAINS.draw(rng)
    );
    let birth = days_before(
        BENCH_TODAY,
        between(rng, BENCH_AGE_DAYS.0, BENCH_AGE_DAYS.1),
    );
    let ordered = at(
        days_before(BENCH_TODAY, between(rng, 1, BENCH_ORDER_WINDOW_DAYS)),
        time_of_day(rng, 7, 22),
    );
    let items = between(rng, 1, 3);
    let minor: u64 = (0..items).map(|_| price_minor(rng, country.currency)).sum();
    let revenue = match country.currency.decimals() {
        0 => minor as f64,
        _ => minor as f64 / 100.0,
    };
    let order_id = format!("o-b{i}");
    let properties = object([
        ("order_id", Value::from(order_id.clone())),
        ("revenue", Value::from(revenue)),
        ("currency", Value::from(country.currency.code())),
        ("items", Value::from(items)),
    ]);
    let event = object([
        ("type", Value::from("order_completed")),
        ("at", Value::from(format_stamp(ordered))),
        ("id", Value::from(order_id)),
        ("properties", Value::Object(properties)),
    ]);
    let attributes = object([
        ("country", Value::from(country.code)),
        ("city", Value::from(city.name)),
        ("birth_date", Value::from(format_date(birth))),
        ("lifecycle_stage", Value::from(*STAGES.draw(rng))),
        ("loyalty_tier", Value::from(*TIERS.draw(rng))),
    ]);
    Value::Object(object([
        ("source", Value::from("crm")),
        (
            "identifiers",
            Value::Object(object([("email", Value::from(email))])),
        ),
        ("attributes", Value::Object(attributes)),
        ("events", Value::Array(vec![Value::Object(event)])),
    ]))
}
