//! Counters and the latency histogram, rendered in Prometheus' text exposition format (version 0.0.4) by
//! `/metrics`. Labels are route names and status codes only: never a path, key or identifier.
//!
//! `plugin_runs` counts runs started by `POST /v1/segments/run`; `cells_suppressed` and `budget_spent` count the
//! rows withheld and the epsilon charged by every count this host released (`POST /v1/segments/count`, its own
//! part of a federated count, its answers to peers), dry runs excepted.

use crate::routes::ROUTES;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: 1 ms to 10 s, dense where the 50 ms p99 target lies.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The server's metrics.
#[derive(Default)]
pub struct Metrics {
    /// (route name, status) → requests.
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    /// route name → latency histogram.
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    events_ingested: AtomicU64,
    messages_skipped: AtomicU64,
    group_commits: AtomicU64,
    cells_suppressed: AtomicU64,
    plugin_runs: AtomicU64,
    /// Privacy budget spent, in millionths of epsilon (an integer, so it can be atomic).
    budget_spent_micro: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl Metrics {
    /// Counts one answered request.
    pub fn observe(&self, route: &'static str, status: u16, elapsed: Duration) {
        *lock(&self.requests).entry((route, status)).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let mut latency = lock(&self.latency);
        let h = latency.entry(route).or_default();
        h.count += 1;
        h.sum += secs;
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.buckets[i] += 1;
            }
        }
    }

    /// Counts events made durable.
    pub fn add_events_ingested(&self, n: u64) {
        self.events_ingested.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts messages that had nothing to keep.
    pub fn add_messages_skipped(&self, n: u64) {
        self.messages_skipped.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts one group commit.
    pub fn add_group_commit(&self) {
        self.group_commits.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts cells suppressed by the aggregate release rule.
    pub fn add_cells_suppressed(&self, n: u64) {
        self.cells_suppressed.fetch_add(n, Ordering::Relaxed);
    }

    /// Counts plugin runs.
    pub fn add_plugin_runs(&self, n: u64) {
        self.plugin_runs.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds spent privacy budget (epsilon).
    pub fn add_budget_spent(&self, epsilon: f64) {
        if epsilon.is_finite() && epsilon > 0.0 {
            self.budget_spent_micro
                .fetch_add((epsilon * 1e6).round() as u64, Ordering::Relaxed);
        }
    }

    /// Events made durable so far.
    pub fn events_ingested(&self) -> u64 {
        self.events_ingested.load(Ordering::Relaxed)
    }

    /// The Prometheus text.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP cohort_http_requests_total HTTP requests answered, by route and status."
        );
        let _ = writeln!(s, "# TYPE cohort_http_requests_total counter");
        for ((route, status), n) in lock(&self.requests).iter() {
            let _ = writeln!(
                s,
                "cohort_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            s,
            "# HELP cohort_http_request_duration_seconds Time from request to answer, by route."
        );
        let _ = writeln!(s, "# TYPE cohort_http_request_duration_seconds histogram");
        let latency = lock(&self.latency);
        // Every route appears, so dashboards see a zero rather than nothing.
        for route in ROUTES.iter().map(|r| r.name).chain(["unmatched"]) {
            let empty = Histogram::default();
            let h = latency.get(route).unwrap_or(&empty);
            for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "cohort_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {}",
                    h.buckets[i]
                );
            }
            let _ = writeln!(
                s,
                "cohort_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                s,
                "cohort_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                s,
                "cohort_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        drop(latency);
        let counter = |s: &mut String, name: &str, help: &str, v: String| {
            let _ = writeln!(s, "# HELP {name} {help}");
            let _ = writeln!(s, "# TYPE {name} counter");
            let _ = writeln!(s, "{name} {v}");
        };
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed).to_string();
        counter(
            &mut s,
            "cohort_events_ingested_total",
            "Events stored durably through the HTTP API.",
            get(&self.events_ingested),
        );
        counter(
            &mut s,
            "cohort_messages_skipped_total",
            "Segment messages with nothing to keep (undeclared event type and a single identifier).",
            get(&self.messages_skipped),
        );
        counter(
            &mut s,
            "cohort_group_commits_total",
            "Store commits made by the group-commit writer.",
            get(&self.group_commits),
        );
        counter(
            &mut s,
            "cohort_cells_suppressed_total",
            "Count rows (cells, margins, totals) withheld by the release rule in released counts.",
            get(&self.cells_suppressed),
        );
        counter(
            &mut s,
            "cohort_plugin_runs_total",
            "Plugin runs started by the server.",
            get(&self.plugin_runs),
        );
        counter(
            &mut s,
            "cohort_privacy_budget_spent_total",
            "Differential-privacy budget spent (epsilon).",
            format!(
                "{}",
                self.budget_spent_micro.load(Ordering::Relaxed) as f64 / 1e6
            ),
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_text_is_well_formed() {
        let m = Metrics::default();
        m.observe("healthz", 200, Duration::from_millis(3));
        m.observe("healthz", 200, Duration::from_secs(20));
        m.add_budget_spent(0.5);
        let text = m.render();
        assert!(text.contains("cohort_http_requests_total{route=\"healthz\",status=\"200\"} 2"));
        assert!(text.contains(
            "cohort_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "cohort_http_request_duration_seconds_bucket{route=\"healthz\",le=\"10\"} 1"
        ));
        assert!(text.contains(
            "cohort_http_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("cohort_privacy_budget_spent_total 0.5"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            assert_eq!(
                line.rsplit_once(' ').map(|(_, v)| v.parse::<f64>().is_ok()),
                Some(true),
                "{line}"
            );
        }
    }
}
