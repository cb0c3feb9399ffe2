//! Deterministic synthetic customer data for `cohort demo`, the benchmarks and the tests.
//!
//! [`generate`] invents customers of a European online shop and writes what three sources know
//! about each of them as canonical records (`schemas/record.schema.json`):
//!
//! - `crm`: email, phone (in the many ways people write numbers), CRM id, sometimes the site
//!   account id; attributes; consent history for `email_marketing` and `personalisation`.
//! - `analytics` (most people): device id, account id when logged in, for many the email in
//!   another spelling (` Ana.Keller42@Example.com `); page views, orders, newsletter opens. Some
//!   logged-in people have a second device record.
//! - `survey` (some): the email and an NPS answer.
//!
//! All `crm` records come first, then `analytics`, then `survey`, so identity resolution must
//! merge across the file. A minority of records carry data the example policy drops
//! ([`POLICY_DROPPED_ATTRIBUTES`], [`POLICY_DROPPED_EVENT_TYPES`]) so the demo can show
//! minimisation at work.
//!
//! [`source_exports`] renders the same people as the shop's systems would export them, in the formats the built-in
//! connectors read (a HubSpot contacts CSV, Typeform sign-up responses, Segment messages, an NPS survey CSV), so
//! `cohort demo` ingests them through the connector plugins like a real deployment.
//!
//! Everything is fictional: names from short lists, addresses only under the RFC 2606 domains
//! `example.com`, `example.org` and `example.net`, phone numbers only from ranges regulators
//! keep free for fiction (so people outside DE, GB and US have no phone number).
//!
//! **Determinism:** the same [`DemoSpec`] gives byte-identical output on any machine. Draws come
//! from ChaCha8 seeded with the spec's seed, use integer arithmetic only, never read a clock and
//! never iterate a hash map.
//!
//! ```
//! let spec = cohort_demo::DemoSpec { customers: 100, ..Default::default() };
//! let dataset = cohort_demo::generate(&spec);
//! assert_eq!(dataset.stats.customers, 100);
//! let mut jsonl = Vec::new();
//! cohort_demo::write_jsonl(&dataset.records, &mut jsonl)?;
//! assert_eq!(jsonl.iter().filter(|&&b| b == b'\n').count(), dataset.records.len());
//! # Ok::<(), std::io::Error>(())
//! ```

mod bench;
mod calendar;
mod contact;
mod draw;
mod error;
mod person;
mod render;
mod sources;
mod stats;
mod synth;
mod vocab;

use std::io::{BufWriter, Write};
use std::ops::RangeInclusive;

use serde_json::Value;
use time::Date;
use time::macros::date;

pub use bench::bench_records;
pub use error::DemoError;
pub use person::{
    ConsentEvent, ConsentState, NOTICE, Order, POLICY_DROPPED_ATTRIBUTES,
    POLICY_DROPPED_EVENT_TYPES, PURPOSES, Person,
};
pub use sources::{
    NEWSLETTER_OPT_IN_REF, PERSONALISATION_CATEGORY, SourceExport, SourceExports, source_exports,
};
pub use stats::{ConsentCounts, DatasetStats};

/// Most customers one spec may ask for. A dataset holds about 20 KB of JSON values per
/// customer in memory (measured: just under 1 GB for 50,000), so the limit keeps a demo run
/// under roughly 5 GB. Throughput benchmarks should use [`bench_records`] instead.
pub const MAX_CUSTOMERS: usize = 250_000;

/// Years `today` may fall in: people are up to 81 years old, so this keeps every generated
/// date at four digits as RFC 3339 timestamps need.
pub const TODAY_YEARS: RangeInclusive<i32> = 1100..=9999;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoSpec {
    /// Number of synthetic people.
    pub customers: usize,
    /// Seed of the random stream; the same seed gives the same people.
    pub seed: u64,
    /// The analysis date: every generated date is before it.
    pub today: Date,
}

impl Default for DemoSpec {
    /// 5,000 customers, seed 42, today 2026-11-01.
    fn default() -> Self {
        Self {
            customers: 5_000,
            seed: 42,
            today: date!(2026 - 11 - 01),
        }
    }
}

impl DemoSpec {
    /// Checks the spec against [`MAX_CUSTOMERS`] and [`TODAY_YEARS`]. [`generate`] does not
    /// call this (it never fails), so callers taking specs from users should.
    pub fn validate(&self) -> Result<(), DemoError> {
        if self.customers > MAX_CUSTOMERS {
            return Err(DemoError::TooManyCustomers {
                requested: self.customers,
                max: MAX_CUSTOMERS,
            });
        }
        if !TODAY_YEARS.contains(&self.today.year()) {
            return Err(DemoError::TodayOutOfRange {
                today: self.today,
                min: *TODAY_YEARS.start(),
                max: *TODAY_YEARS.end(),
            });
        }
        Ok(())
    }
}

/// A generated dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Canonical records in file order: all `crm`, then `analytics`, then `survey`.
    pub records: Vec<Value>,
    /// Counts over `records`.
    pub stats: DatasetStats,
    /// The people behind the records, in CRM order (`people[i].crm_id` is `H-{1001 + i}`).
    pub people: Vec<Person>,
}

/// Generates the dataset `spec` describes. Never fails; see [`DemoSpec::validate`].
pub fn generate(spec: &DemoSpec) -> Dataset {
    let mut synth = synth::Synth::new(spec.seed, spec.today);
    let mut crm = Vec::with_capacity(spec.customers);
    let mut analytics = Vec::new();
    let mut surveys = Vec::new();
    let mut people = Vec::with_capacity(spec.customers);
    for index in 0..spec.customers {
        let footprint = synth.person(index);
        crm.push(footprint.crm);
        analytics.extend(footprint.analytics);
        surveys.extend(footprint.survey);
        people.push(footprint.person);
    }
    let mut records = crm;
    records.append(&mut analytics);
    records.append(&mut surveys);
    let stats = DatasetStats::count(spec.customers, &records);
    Dataset {
        records,
        stats,
        people,
    }
}

/// The people of [`generate`]`(spec)`, for tests that only need the facts.
pub fn people(spec: &DemoSpec) -> Vec<Person> {
    generate(spec).people
}

/// Writes `records` as JSONL: one compact JSON object per line, each line ending in `\n`.
/// Buffers internally, so a raw file or socket is fine as `w`.
pub fn write_jsonl(records: &[Value], w: impl Write) -> std::io::Result<()> {
    let mut w = BufWriter::new(w);
    for record in records {
        serde_json::to_writer(&mut w, record)?;
        w.write_all(b"\n")?;
    }
    w.flush()
}
