//! What crosses hosts: the query a coordinator sends, and the answer a peer returns.
//!
//! An answer holds exactly the rows the peer's own `segment count` released (`cohort_outputs::count_segment`):
//! every number already through the peer's thresholds (its `min_group_size` with complementary suppression, its
//! `min_export_size`), already noised where the peer's policy enables differential privacy, and already charged
//! to its budget, under the requester `peer:<coordinator>`. Beside the rows come the peer's `k` and, per
//! statistic, the 95 % bound of its noise. Nothing else of the report crosses: no run id, no budget state, no
//! audit sequence number; and nothing per subject exists in a report to begin with (no pseudonym, no subject id,
//! no individual value).
//!
//! A withheld row still carries its group labels, as the peer's own count shows them: that a group exists says at
//! least one subject has that value. This is what the peer's policy already releases to its own analysts; choose
//! dimensions whose values are not rare (see `docs/federation.md`).

use std::collections::HashSet;

use cohort_outputs::count::{MAX_DIMENSIONS, MAX_MEASURES};
use cohort_outputs::{CountReport, CountRequest, OutputError, RowKind as OutputRowKind};
use serde::{Deserialize, Serialize};

use crate::error::FederationError;
use crate::peer::{Peers, is_host_name};

/// Largest query body, in bytes. A query is a few names; 16 KiB is generous.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Most rows one answer may hold: the cells, row margins and column margins of the largest two-dimensional table
/// a host releases (`cohort_aggregate::MAX_CELLS_2D`, which allows at most that many rows and columns too), plus
/// the total.
pub const MAX_ANSWER_ROWS: usize = 3 * cohort_aggregate::MAX_CELLS_2D + 1;
/// Largest answer body, in bytes: [`MAX_ANSWER_ROWS`] rows of about 500 bytes each (two labels, four measures).
pub const MAX_ANSWER_BYTES: usize = MAX_ANSWER_ROWS * 512;
/// Longest segment, dimension, measure or requester name in a query.
pub const MAX_NAME_CHARS: usize = 200;

/// A federated count, as the coordinator sends it to every peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedQuery {
    /// `plugin/segment` or `segment`, resolved by each peer in its own store.
    pub segment: String,
    /// The purpose, which each peer's own policy must declare and allow.
    pub purpose: String,
    /// Dimensions to group by (at most two).
    pub by: Vec<String>,
    /// Measures to sum (at most four).
    pub sums: Vec<String>,
    /// Who asked at the coordinator (for the peers' logs; their budgets are charged to `peer:<coordinator>`).
    pub requester: String,
    /// The coordinating host's name; must be the envelope's sender.
    pub coordinator: String,
}

impl FederatedQuery {
    /// Checks names and sizes; the peer's count checks the rest against its own policy.
    pub fn check(&self) -> Result<(), FederationError> {
        let invalid = |reason: String| FederationError::InvalidMessage {
            what: "query",
            reason,
        };
        check_name("segment", &self.segment).map_err(invalid)?;
        check_name("purpose", &self.purpose).map_err(invalid)?;
        check_name("requester", &self.requester).map_err(invalid)?;
        if self.by.len() > MAX_DIMENSIONS {
            return Err(invalid(format!(
                "{} dimensions; at most {MAX_DIMENSIONS}",
                self.by.len()
            )));
        }
        if self.sums.len() > MAX_MEASURES {
            return Err(invalid(format!(
                "{} measures; at most {MAX_MEASURES}",
                self.sums.len()
            )));
        }
        for name in &self.by {
            check_name("by", name).map_err(invalid)?;
        }
        for name in &self.sums {
            check_name("sums", name).map_err(invalid)?;
        }
        if !is_host_name(&self.coordinator) {
            return Err(invalid(format!(
                "`coordinator` {:?} is not a host name",
                self.coordinator
            )));
        }
        Ok(())
    }

    /// The budget and audit requester a peer charges this query to: `peer:<coordinator>`. One budget per
    /// coordinating host, whoever asked there: a coordinator cannot spend more by naming more analysts.
    pub fn peer_requester(&self) -> String {
        format!("peer:{}", self.coordinator)
    }
}

fn check_name(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("`{field}` is empty"));
    }
    if value.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "`{field}` is longer than {MAX_NAME_CHARS} characters"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("`{field}` contains a control character"));
    }
    Ok(())
}

/// What a released row is (as in `cohort_outputs::RowKind`, which does not travel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// A cell: one group per dimension.
    Cell,
    /// A margin over the second dimension (one group of the first).
    RowMargin,
    /// A margin over the first dimension (one group of the second).
    ColumnMargin,
    /// Every member.
    Total,
}

impl From<OutputRowKind> for RowKind {
    fn from(kind: OutputRowKind) -> Self {
        match kind {
            OutputRowKind::Cell => RowKind::Cell,
            OutputRowKind::RowMargin => RowKind::RowMargin,
            OutputRowKind::ColumnMargin => RowKind::ColumnMargin,
            OutputRowKind::Total => RowKind::Total,
        }
    }
}

/// One measure of an answer's row, as the peer released it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerMeasure {
    /// The measure.
    pub name: String,
    /// Its (possibly noisy) sum, or `None` where withheld.
    pub sum: Option<i128>,
    /// The sum per member, or `None` where withheld.
    pub mean: Option<f64>,
}

/// One row of an answer, as the peer released it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRow {
    /// Cell, margin or total.
    pub kind: RowKind,
    /// One label per dimension; `*` where the row spans a dimension.
    pub group: Vec<String>,
    /// Members (possibly noisy), or `None` where withheld.
    pub count: Option<u64>,
    /// The measures, in the query's order.
    pub measures: Vec<AnswerMeasure>,
}

/// The bound of one statistic's noise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoiseBound {
    /// `count`, or the measure's name.
    pub statistic: String,
    /// 95 % of the noise added to each released number of this statistic is within ± this.
    pub bound_95: u64,
}

/// The differential privacy a peer applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerNoise {
    /// `laplace` or `gaussian`.
    pub mechanism: String,
    /// Epsilon the peer charged.
    pub epsilon: f64,
    /// The noise bound of each statistic.
    pub bounds: Vec<NoiseBound>,
}

/// A peer's answer to a federated count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederatedAnswer {
    /// The answering host.
    pub host: String,
    /// `plugin/segment` as the peer resolved it.
    pub segment: String,
    /// The purpose.
    pub purpose: String,
    /// Dimensions, as asked.
    pub by: Vec<String>,
    /// Measures, as asked.
    pub sums: Vec<String>,
    /// The `min_group_size` the peer applied (at least 2).
    pub k: u64,
    /// The peer's released rows: cells, then margins, then the total.
    pub rows: Vec<AnswerRow>,
    /// The noise the peer added, if its policy enables differential privacy.
    pub noise: Option<AnswerNoise>,
}

impl FederatedAnswer {
    /// The answer of host `host` made of its count report: the released rows, `k` and the noise bounds only.
    pub fn from_report(host: &str, report: &CountReport) -> Self {
        FederatedAnswer {
            host: host.to_owned(),
            segment: report.segment.clone(),
            purpose: report.purpose.clone(),
            by: report.by.clone(),
            sums: report.sums.clone(),
            k: report.k,
            rows: report
                .rows
                .iter()
                .map(|r| AnswerRow {
                    kind: r.kind.into(),
                    group: r.group.clone(),
                    count: r.count,
                    measures: r
                        .measures
                        .iter()
                        .map(|m| AnswerMeasure {
                            name: m.name.clone(),
                            sum: m.sum,
                            mean: m.mean,
                        })
                        .collect(),
                })
                .collect(),
            noise: report.differential_privacy.as_ref().map(|dp| AnswerNoise {
                mechanism: dp.mechanism.to_owned(),
                epsilon: dp.epsilon,
                bounds: dp
                    .noise
                    .iter()
                    .map(|n| NoiseBound {
                        statistic: n.statistic.clone(),
                        bound_95: n.bound_95,
                    })
                    .collect(),
            }),
        }
    }

    /// Checks that the answer has the shape of a released count for `query`: the same dimensions and measures,
    /// rows of the right kinds with one label per dimension, each (kind, group) once, exactly one total, margins
    /// exactly those of the rows and columns its cells occupy, measures in the query's order and withheld with
    /// their count, `k` of at least 2, and, when noisy, one noise bound per statistic. The merge relies on every one
    /// of these.
    pub fn check(&self, by: &[String], sums: &[String]) -> Result<(), FederationError> {
        let invalid = |reason: String| FederationError::InvalidMessage {
            what: "answer",
            reason,
        };
        if !is_host_name(&self.host) {
            return Err(invalid(format!(
                "`host` {:?} is not a host name",
                self.host
            )));
        }
        if self.by != by || self.sums != sums {
            return Err(invalid(format!(
                "it is for --by {:?} --sum {:?}, the query asked --by {by:?} --sum {sums:?}",
                self.by, self.sums
            )));
        }
        if self.k < 2 {
            return Err(invalid(format!(
                "`k` is {}; every host applies at least 2",
                self.k
            )));
        }
        if self.rows.len() > MAX_ANSWER_ROWS {
            return Err(invalid(format!(
                "{} rows; at most {MAX_ANSWER_ROWS}",
                self.rows.len()
            )));
        }
        let dims = by.len();
        let allowed: &[RowKind] = match dims {
            0 => &[RowKind::Total],
            1 => &[RowKind::Cell, RowKind::Total],
            _ => &[
                RowKind::Cell,
                RowKind::RowMargin,
                RowKind::ColumnMargin,
                RowKind::Total,
            ],
        };
        let mut seen = HashSet::new();
        let mut totals = 0;
        for row in &self.rows {
            if !allowed.contains(&row.kind) {
                return Err(invalid(format!(
                    "a {:?} row in a table of {dims} dimensions",
                    row.kind
                )));
            }
            if row.group.len() != dims {
                return Err(invalid(format!(
                    "a row with {} labels in a table of {dims} dimensions",
                    row.group.len()
                )));
            }
            let spans: Vec<bool> = row.group.iter().map(|g| g == "*").collect();
            let expected: Vec<bool> = match row.kind {
                RowKind::Cell => vec![false; dims],
                RowKind::RowMargin => vec![false, true],
                RowKind::ColumnMargin => vec![true, false],
                RowKind::Total => vec![true; dims],
            };
            // A cell's label may itself be `*` (a value is a value); margins and totals must span with `*`.
            if row.kind != RowKind::Cell && spans != expected {
                return Err(invalid(format!(
                    "a {:?} row with group {:?}",
                    row.kind, row.group
                )));
            }
            if row.group.iter().any(|g| g.chars().count() > MAX_NAME_CHARS) {
                return Err(invalid(format!(
                    "a label longer than {MAX_NAME_CHARS} characters"
                )));
            }
            if !seen.insert((row.kind, row.group.clone())) {
                return Err(invalid(format!(
                    "the {:?} row {:?} is listed twice",
                    row.kind, row.group
                )));
            }
            if row.kind == RowKind::Total {
                totals += 1;
            }
            let names: Vec<&str> = row.measures.iter().map(|m| m.name.as_str()).collect();
            if names != sums.iter().map(String::as_str).collect::<Vec<_>>() {
                return Err(invalid(format!(
                    "row {:?} has measures {names:?}, the query asked {sums:?}",
                    row.group
                )));
            }
            if row.count.is_none() && row.measures.iter().any(|m| m.sum.is_some()) {
                return Err(invalid(format!(
                    "row {:?} releases a sum where its count is withheld",
                    row.group
                )));
            }
        }
        if totals != 1 {
            return Err(invalid(format!(
                "{totals} total rows; a count has exactly one"
            )));
        }
        if dims == 2 {
            // Margins are those of the rows and columns that have cells, exactly: the merge adds margins host by
            // host, so a host's margin missing where it has cells would undercount.
            let labels = |kind: RowKind, i: usize| -> HashSet<&str> {
                self.rows
                    .iter()
                    .filter(|r| r.kind == kind)
                    .map(|r| r.group[i].as_str())
                    .collect()
            };
            if labels(RowKind::Cell, 0) != labels(RowKind::RowMargin, 0)
                || labels(RowKind::Cell, 1) != labels(RowKind::ColumnMargin, 1)
            {
                return Err(invalid(
                    "its margins are not exactly those of the rows and columns its cells occupy"
                        .into(),
                ));
            }
        }
        if let Some(noise) = &self.noise {
            let mut statistics: Vec<&str> =
                noise.bounds.iter().map(|b| b.statistic.as_str()).collect();
            let mut expected: Vec<&str> = std::iter::once("count")
                .chain(sums.iter().map(String::as_str))
                .collect();
            statistics.sort_unstable();
            expected.sort_unstable();
            if statistics != expected {
                return Err(invalid(format!(
                    "noise bounds for {statistics:?}; a noisy answer gives one for each of {expected:?}"
                )));
            }
        }
        Ok(())
    }
}

/// The local count a query asks of this host: the query's segment, purpose, dimensions and measures, charged to
/// `peer:<coordinator>`.
#[derive(Debug, Clone, Copy)]
pub struct LocalCount<'a> {
    /// Segment.
    pub segment: &'a str,
    /// Purpose.
    pub purpose: &'a str,
    /// Dimensions.
    pub by: &'a [String],
    /// Measures.
    pub sums: &'a [String],
    /// `peer:<coordinator>`: the budget charged and the audit log's actor.
    pub requester: &'a str,
}

impl<'a> LocalCount<'a> {
    /// The `count_segment` request for this count on `store` under `policy`, now.
    pub fn request(
        &self,
        store: &'a cohort_store::Store,
        policy: &'a cohort_policy::Policy,
        now: time::OffsetDateTime,
    ) -> CountRequest<'a> {
        CountRequest {
            store,
            policy,
            segment: self.segment,
            purpose: self.purpose,
            by: self.by,
            sums: self.sums,
            requester: self.requester,
            dry_run: false,
            now,
        }
    }
}

/// Answers `query` from host `this_host` to peer `from`: refuses a peer that `peers` does not list, or whose name
/// is not the query's coordinator; checks the query; runs `count` (the host's own `count_segment`, under its own
/// policy, thresholds, noise and budget, charged to `peer:<from>`); and returns the released rows as an answer.
pub fn answer<F>(
    this_host: &str,
    query: &FederatedQuery,
    from: &str,
    peers: &Peers,
    count: F,
) -> Result<FederatedAnswer, FederationError>
where
    F: FnOnce(LocalCount<'_>) -> Result<CountReport, OutputError>,
{
    if peers.get(from).is_none() {
        return Err(FederationError::NotAPeer(from.to_owned()));
    }
    if query.coordinator != from {
        return Err(FederationError::InvalidMessage {
            what: "query",
            reason: format!(
                "`coordinator` is `{}` but the query was signed by `{from}`",
                query.coordinator
            ),
        });
    }
    query.check()?;
    let requester = query.peer_requester();
    let report = count(LocalCount {
        segment: &query.segment,
        purpose: &query.purpose,
        by: &query.by,
        sums: &query.sums,
        requester: &requester,
    })?;
    if report.dry_run {
        return Err(FederationError::InvalidMessage {
            what: "answer",
            reason: "the local count was a dry run; a federated answer releases a count".into(),
        });
    }
    let answer = FederatedAnswer::from_report(this_host, &report);
    answer.check(&query.by, &query.sums)?;
    Ok(answer)
}
