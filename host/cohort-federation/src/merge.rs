//! The coordinator's merge: the answers of the hosts that answered, combined into one table and released through
//! the most restrictive threshold among them.
//!
//! # The rule
//!
//! 1. **Union by group.** Rows of every answer are matched by kind and group labels (a host that does not list a
//!    group has no subject in it: answers list only non-empty groups).
//! 2. **Withheld anywhere, withheld merged.** A merged number is *known* when every host that lists it released it,
//!    and then it is the sum of their values; when any host withheld it, it hides an unknown number, and the merged
//!    number is withheld (reason [`Withheld::Host`]).
//! 3. **The largest k.** `K` is the largest `k` among the hosts that answered. The merged table goes through
//!    `cohort-aggregate`'s release at `K` (one or two dimensions, with complementary suppression), with each
//!    unknown cell entered as the least it can be (the parts other hosts released, plus 1 for each host that
//!    withheld its part, since a listed group has a subject), capped at `K - 1` so that the release withholds it
//!    too. A number is released when the release releases it, it is known, and it is at least `K`; everything
//!    else is withheld (reason [`Withheld::Threshold`] when known).
//!
//! **Why entering unknown cells so is safe.** The true merged table is the table the release saw plus a
//! non-negative amount `d` on each unknown cell, and every released margin or total shows its true value (it is
//! only released when known). Any table an observer finds consistent with what the release saw becomes, with `d`
//! added, a table consistent with what is published. So every withheld number's feasible range is at least as
//! wide as the release proved it (two values or more, reaching `K`), shifted up by its `d`; and a margin the
//! release would have published but which is unknown is withheld, which only widens ranges further (such a margin
//! always has an unknown cell: a host withholds a margin only with some of its cells). With exact answers the
//! guarantee of `cohort-aggregate` therefore holds for the merged table at `K`.
//!
//! **The price.** The release sees unknown cells at their least, so a margin whose true value is known and large
//! can look small to it and be withheld: a row whose cells one host withheld entirely loses its margin even when
//! that host released it. The merge errs on the side of withholding; an exact audit that takes the known margins
//! as given would release more, and needs `cohort-aggregate` to accept cells it must withhold (future work).
//!
//! **With noise.** Noisy answers' margins need not equal the sums of their cells, and a merged number is a sum of
//! independently noised numbers. Thresholding them is post-processing, which costs no privacy; the check "at
//! least `K`" is then made on the noisy value. The merged result carries, per statistic, the sum of the answering
//! hosts' 95 % noise bounds: the noise of a merged number is the sum of at most one draw per host, each within its
//! bound with probability 95 %. For Gaussian noise the sum of the bounds is at least the 95 % bound of the sum
//! (standard deviations add under a square root); for Laplace noise it is too (checked in this module's tests by
//! exact computation for two hosts, where it is exceeded about 1 % of the time); for any noise, a union bound
//! makes it hold with probability at least `1 - 5 % × hosts`.

use std::collections::{BTreeMap, HashMap, HashSet};

use cohort_aggregate::{Count, release_one_dimension, release_two_dimensions};
use serde::Serialize;

use crate::error::FederationError;
use crate::messages::{FederatedAnswer, FederatedQuery, NoiseBound, RowKind};

/// What became of one host's part of a federated count.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerOutcome {
    /// It answered (the answer is checked again by [`merge`]).
    Answered(FederatedAnswer),
    /// It refused or failed, with the reason (its error message, a transport error, an invalid answer).
    Failed(String),
    /// It did not answer within the coordinator's timeout.
    TimedOut,
}

/// One host's outcome, as the coordinator collected it.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerResult {
    /// The host.
    pub host: String,
    /// What became of its part.
    pub outcome: PeerOutcome,
}

/// How a host took part, as the merged result reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HostStatus {
    /// It answered.
    Answered {
        /// The `k` it applied.
        k: u64,
        /// Whether it added differential-privacy noise.
        noisy: bool,
    },
    /// It refused or failed.
    Failed {
        /// Why.
        reason: String,
    },
    /// It did not answer in time.
    TimedOut,
}

/// One host in the merged result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostReport {
    /// The host.
    pub host: String,
    /// How it took part.
    #[serde(flatten)]
    pub status: HostStatus,
}

/// Why a merged number is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// A host withheld it: the merged value is unknown.
    Host,
    /// Known, but under the merged threshold `K`, or withheld so that another withheld number cannot be recovered.
    Threshold,
}

/// A merged measure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedMeasure {
    /// The measure.
    pub name: String,
    /// The sum over the hosts, or `None` where withheld.
    pub sum: Option<i128>,
    /// The sum per member, or `None` where withheld.
    pub mean: Option<f64>,
}

/// A merged row: a cell, a margin or the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedRow {
    /// Cell, margin or total.
    pub kind: RowKind,
    /// One label per dimension; `*` where the row spans a dimension.
    pub group: Vec<String>,
    /// Members over every answering host, or `None` where withheld.
    pub count: Option<u64>,
    /// The measures.
    pub measures: Vec<MergedMeasure>,
    /// Why the count is withheld, when it is.
    pub withheld: Option<Withheld>,
}

/// The merged result of a federated count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MergedCount {
    /// The segment, as queried.
    pub segment: String,
    /// The purpose.
    pub purpose: String,
    /// Dimensions.
    pub by: Vec<String>,
    /// Measures.
    pub sums: Vec<String>,
    /// The threshold applied after merging: the largest `k` among the hosts that answered.
    pub k: u64,
    /// Cells (by group), then row margins, column margins and the total.
    pub rows: Vec<MergedRow>,
    /// Rows whose count is withheld.
    pub suppressed: u64,
    /// Every host asked, and how it took part.
    pub hosts: Vec<HostReport>,
    /// True when a host failed or timed out: the numbers cover the answering hosts only.
    pub partial: bool,
    /// Per statistic, the sum of the answering hosts' 95 % noise bounds (empty when no host added noise).
    pub noise: Vec<NoiseBound>,
}

/// A merged number before release: known (the sum) or unknown (a host withheld it), the least it can be, and the
/// measures' sums.
#[derive(Debug, Clone)]
struct Acc {
    count: Option<u64>,
    /// The released parts plus 1 for each host that withheld its part (a listed group has a subject): the true
    /// merged number is at least this.
    floor: u64,
    sums: Vec<Option<i128>>,
}

type Key = (RowKind, Vec<String>);

/// Merges the hosts' results for `query` (see the module documentation). Answers that do not fit the query are
/// reported as failed, not merged.
///
/// # Errors
///
/// [`FederationError::NoAnswers`] when no host answered validly; [`FederationError::Aggregate`] when the merged
/// table is larger than `cohort-aggregate` releases.
pub fn merge(
    query: &FederatedQuery,
    results: Vec<PeerResult>,
) -> Result<MergedCount, FederationError> {
    let mut hosts = Vec::with_capacity(results.len());
    let mut answers: Vec<FederatedAnswer> = Vec::new();
    let mut seen = HashSet::new();
    for result in results {
        let status = if !seen.insert(result.host.clone()) {
            HostStatus::Failed {
                reason: "more than one result for this host; only the first is used".into(),
            }
        } else {
            match result.outcome {
                PeerOutcome::Answered(answer) => match check_answer(&answer, &result.host, query) {
                    Ok(()) => {
                        let status = HostStatus::Answered {
                            k: answer.k,
                            noisy: answer.noise.is_some(),
                        };
                        answers.push(answer);
                        status
                    }
                    Err(e) => HostStatus::Failed {
                        reason: e.to_string(),
                    },
                },
                PeerOutcome::Failed(reason) => HostStatus::Failed { reason },
                PeerOutcome::TimedOut => HostStatus::TimedOut,
            }
        };
        hosts.push(HostReport {
            host: result.host,
            status,
        });
    }
    if answers.is_empty() {
        let why: Vec<String> = hosts
            .iter()
            .map(|h| match &h.status {
                HostStatus::Failed { reason } => format!("{}: {reason}", h.host),
                HostStatus::TimedOut => format!("{}: timed out", h.host),
                HostStatus::Answered { .. } => format!("{}: answered", h.host),
            })
            .collect();
        return Err(FederationError::NoAnswers(if why.is_empty() {
            "no host was asked".into()
        } else {
            why.join("; ")
        }));
    }
    let k = answers.iter().map(|a| a.k).max().unwrap_or(2).max(2);
    let merged = union(&answers, query.sums.len());
    let released = release(&merged, query.by.len(), k)?;

    let mut rows = Vec::with_capacity(merged.len());
    for ((kind, group), acc) in order(merged) {
        let released_here = released.get(&(kind, group.clone())).copied();
        let (count, withheld) = match acc.count {
            None => (None, Some(Withheld::Host)),
            Some(v) if v >= k && matches!(released_here, Some(Count::Value(_))) => (Some(v), None),
            Some(_) => (None, Some(Withheld::Threshold)),
        };
        let measures = query
            .sums
            .iter()
            .zip(&acc.sums)
            .map(|(name, sum)| {
                let sum = count.and(*sum);
                MergedMeasure {
                    name: name.clone(),
                    sum,
                    mean: match (sum, count) {
                        (Some(s), Some(n)) if n > 0 => Some(s as f64 / n as f64),
                        _ => None,
                    },
                }
            })
            .collect();
        rows.push(MergedRow {
            kind,
            group,
            count,
            measures,
            withheld,
        });
    }
    let suppressed = rows.iter().filter(|r| r.count.is_none()).count() as u64;
    let partial = hosts
        .iter()
        .any(|h| !matches!(h.status, HostStatus::Answered { .. }));
    Ok(MergedCount {
        segment: query.segment.clone(),
        purpose: query.purpose.clone(),
        by: query.by.clone(),
        sums: query.sums.clone(),
        k,
        rows,
        suppressed,
        hosts,
        partial,
        noise: combined_noise(&answers, &query.sums),
    })
}

fn check_answer(
    answer: &FederatedAnswer,
    host: &str,
    query: &FederatedQuery,
) -> Result<(), FederationError> {
    if answer.host != host {
        return Err(FederationError::InvalidMessage {
            what: "answer",
            reason: format!("it names host `{}`, but came from `{host}`", answer.host),
        });
    }
    if answer.purpose != query.purpose {
        return Err(FederationError::InvalidMessage {
            what: "answer",
            reason: format!(
                "it is for purpose `{}`, the query asked `{}`",
                answer.purpose, query.purpose
            ),
        });
    }
    answer.check(&query.by, &query.sums)
}

/// Step 1 and 2: the union of the answers' rows, known where every listing host released the number.
fn union(answers: &[FederatedAnswer], measures: usize) -> BTreeMap<Key, Acc> {
    let mut merged: BTreeMap<Key, Acc> = BTreeMap::new();
    for answer in answers {
        for row in &answer.rows {
            let acc = merged
                .entry((row.kind, row.group.clone()))
                .or_insert_with(|| Acc {
                    count: Some(0),
                    floor: 0,
                    sums: vec![Some(0); measures],
                });
            acc.floor = acc.floor.saturating_add(row.count.unwrap_or(1));
            acc.count = match (acc.count, row.count) {
                (Some(a), Some(b)) => a.checked_add(b),
                _ => None,
            };
            for (sum, m) in acc.sums.iter_mut().zip(&row.measures) {
                *sum = match (*sum, m.sum) {
                    (Some(a), Some(b)) => a.checked_add(b),
                    _ => None,
                };
            }
        }
    }
    merged
}

/// Cells first, then row margins, column margins, the total; each by group.
fn order(merged: BTreeMap<Key, Acc>) -> Vec<(Key, Acc)> {
    // `RowKind` orders Cell < RowMargin < ColumnMargin < Total, and the map is ordered by kind then group.
    merged.into_iter().collect()
}

/// Step 3: the release pattern at `k` of the merged table, each unknown cell entered as the least it can be, below
/// `k`; per (kind, group), what the release decided. Numbers the release does not list (a noisy cell summing to 0)
/// are absent: not released.
fn release(
    merged: &BTreeMap<Key, Acc>,
    dims: usize,
    k: u64,
) -> Result<HashMap<Key, Count>, FederationError> {
    let value = |acc: &Acc| acc.count.unwrap_or(acc.floor.clamp(1, k - 1));
    let mut decided = HashMap::new();
    match dims {
        0 => {
            let total = merged
                .get(&(RowKind::Total, Vec::new()))
                .map(value)
                .unwrap_or(0);
            let table = release_one_dimension(&[("*".to_owned(), total)], k);
            decided.insert((RowKind::Total, Vec::new()), table.total());
        }
        1 => {
            let cells: Vec<(String, u64)> = merged
                .iter()
                .filter(|((kind, _), _)| *kind == RowKind::Cell)
                .map(|((_, group), acc)| (group[0].clone(), value(acc)))
                .collect();
            let table = release_one_dimension(&cells, k);
            for (label, count) in table.cells() {
                decided.insert((RowKind::Cell, vec![label.clone()]), *count);
            }
            decided.insert((RowKind::Total, vec!["*".to_owned()]), table.total());
        }
        _ => {
            let cells: Vec<((String, String), u64)> = merged
                .iter()
                .filter(|((kind, _), _)| *kind == RowKind::Cell)
                .map(|((_, group), acc)| ((group[0].clone(), group[1].clone()), value(acc)))
                .collect();
            let table = release_two_dimensions(&cells, k)?;
            let all = || "*".to_owned();
            for cell in table.cells() {
                decided.insert(
                    (
                        RowKind::Cell,
                        vec![cell.row().to_owned(), cell.column().to_owned()],
                    ),
                    cell.value(),
                );
            }
            for (label, count) in table.rows() {
                decided.insert((RowKind::RowMargin, vec![label.clone(), all()]), *count);
            }
            for (label, count) in table.columns() {
                decided.insert((RowKind::ColumnMargin, vec![all(), label.clone()]), *count);
            }
            decided.insert((RowKind::Total, vec![all(), all()]), table.total());
        }
    }
    Ok(decided)
}

/// Per statistic, the sum of the noisy answers' bounds.
fn combined_noise(answers: &[FederatedAnswer], sums: &[String]) -> Vec<NoiseBound> {
    let noisy: Vec<_> = answers.iter().filter_map(|a| a.noise.as_ref()).collect();
    if noisy.is_empty() {
        return Vec::new();
    }
    std::iter::once("count")
        .chain(sums.iter().map(String::as_str))
        .map(|statistic| NoiseBound {
            statistic: statistic.to_owned(),
            bound_95: noisy
                .iter()
                .flat_map(|n| n.bounds.iter().filter(|b| b.statistic == statistic))
                .fold(0u64, |sum, b| sum.saturating_add(b.bound_95)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{AnswerMeasure, AnswerNoise, AnswerRow};
    use cohort_aggregate::{release_one_dimension, release_two_dimensions};
    use proptest::prelude::*;

    fn query(by: &[&str], sums: &[&str]) -> FederatedQuery {
        FederatedQuery {
            segment: "rfm/champions".into(),
            purpose: "analytics".into(),
            by: by.iter().map(|s| s.to_string()).collect(),
            sums: sums.iter().map(|s| s.to_string()).collect(),
            requester: "alice".into(),
            coordinator: "hq".into(),
        }
    }

    fn row(kind: RowKind, group: Vec<String>, count: Option<u64>, sums: &[i128]) -> AnswerRow {
        AnswerRow {
            kind,
            group,
            count,
            measures: sums
                .iter()
                .enumerate()
                .map(|(i, s)| AnswerMeasure {
                    name: format!("m{i}"),
                    sum: count.map(|_| *s),
                    mean: count.map(|c| *s as f64 / c as f64),
                })
                .collect(),
        }
    }

    /// What host `host` with threshold `k` answers for a one-dimensional table of true `cells` (label, count), as
    /// `count_segment` releases it; each subject adds 2 to measure `m0` when `with_sum`.
    fn answer_1d(host: &str, k: u64, cells: &[(&str, u64)], with_sum: bool) -> FederatedAnswer {
        let input: Vec<(String, u64)> = cells.iter().map(|(l, c)| (l.to_string(), *c)).collect();
        let table = release_one_dimension(&input, k);
        let sum = |c: u64| -> Vec<i128> {
            if with_sum {
                vec![2 * i128::from(c)]
            } else {
                vec![]
            }
        };
        let truth: HashMap<&str, u64> = cells.iter().copied().collect();
        let mut rows: Vec<AnswerRow> = table
            .cells()
            .iter()
            .map(|(label, count)| {
                row(
                    RowKind::Cell,
                    vec![label.clone()],
                    count.value(),
                    &sum(truth[label.as_str()]),
                )
            })
            .collect();
        let total: u64 = cells.iter().map(|(_, c)| c).sum();
        rows.push(row(
            RowKind::Total,
            vec!["*".into()],
            table.total().value(),
            &sum(total),
        ));
        FederatedAnswer {
            host: host.into(),
            segment: "rfm/champions".into(),
            purpose: "analytics".into(),
            by: vec!["country".into()],
            sums: if with_sum { vec!["m0".into()] } else { vec![] },
            k,
            rows,
            noise: None,
        }
    }

    /// As [`answer_1d`], for a two-dimensional table of true `cells` ((row, column), count), no measures.
    fn answer_2d(host: &str, k: u64, cells: &[((&str, &str), u64)]) -> FederatedAnswer {
        let input: Vec<((String, String), u64)> = cells
            .iter()
            .map(|((r, c), n)| ((r.to_string(), c.to_string()), *n))
            .collect();
        let table = release_two_dimensions(&input, k).unwrap();
        let all = || "*".to_string();
        let mut rows = Vec::new();
        for cell in table.cells() {
            rows.push(row(
                RowKind::Cell,
                vec![cell.row().into(), cell.column().into()],
                cell.value().value(),
                &[],
            ));
        }
        for (label, count) in table.rows() {
            rows.push(row(
                RowKind::RowMargin,
                vec![label.clone(), all()],
                count.value(),
                &[],
            ));
        }
        for (label, count) in table.columns() {
            rows.push(row(
                RowKind::ColumnMargin,
                vec![all(), label.clone()],
                count.value(),
                &[],
            ));
        }
        rows.push(row(
            RowKind::Total,
            vec![all(), all()],
            table.total().value(),
            &[],
        ));
        FederatedAnswer {
            host: host.into(),
            segment: "rfm/champions".into(),
            purpose: "analytics".into(),
            by: vec!["country".into(), "tier".into()],
            sums: vec![],
            k,
            rows,
            noise: None,
        }
    }

    fn answered(answer: FederatedAnswer) -> PeerResult {
        PeerResult {
            host: answer.host.clone(),
            outcome: PeerOutcome::Answered(answer),
        }
    }

    fn find<'a>(m: &'a MergedCount, kind: RowKind, group: &[&str]) -> &'a MergedRow {
        m.rows
            .iter()
            .find(|r| r.kind == kind && r.group == group)
            .unwrap_or_else(|| panic!("no {kind:?} row {group:?}"))
    }

    #[test]
    fn one_dimension_union_with_different_k_and_a_withheld_cell_propagating() {
        // eu (k = 5): FR 3 is under 5; IT 12, the next smallest, is its complement. Total 55 released.
        let eu = answer_1d("eu", 5, &[("DE", 40), ("FR", 3), ("IT", 12)], true);
        // us (k = 10): everything released.
        let us = answer_1d("us", 10, &[("DE", 30), ("FR", 20), ("ES", 15)], true);
        let m = merge(
            &query(&["country"], &["m0"]),
            vec![answered(eu), answered(us)],
        )
        .unwrap();
        assert_eq!(m.k, 10, "the largest k of the hosts that answered");
        assert!(!m.partial);
        // DE: 40 + 30. FR and IT: eu withheld them, so the merged values are unknown.
        let de = find(&m, RowKind::Cell, &["DE"]);
        assert_eq!((de.count, de.withheld), (Some(70), None));
        assert_eq!(de.measures[0].sum, Some(140));
        assert_eq!(de.measures[0].mean, Some(2.0));
        for label in ["FR", "IT"] {
            let r = find(&m, RowKind::Cell, &[label]);
            assert_eq!(
                (r.count, r.withheld),
                (None, Some(Withheld::Host)),
                "{label}"
            );
            assert_eq!(r.measures[0].sum, None);
        }
        // ES 15 is over 10, but with FR and IT withheld the total would pin their sum to 35 - 15 = 20... the line
        // rule needs two withheld cells whose upper bound reaches 10: FR and IT entered as 1 each give 2 - 1 = 1,
        // so ES, the smallest released cell, is withheld as their complement.
        let es = find(&m, RowKind::Cell, &["ES"]);
        assert_eq!((es.count, es.withheld), (None, Some(Withheld::Threshold)));
        let total = find(&m, RowKind::Total, &["*"]);
        assert_eq!(total.count, Some(120));
        assert_eq!(total.measures[0].sum, Some(240));
        assert_eq!(m.suppressed, 3);
        // The published line: 120 - 70 = 50 over three withheld cells, each in [1, 48]: none determined, none
        // shown to be under 10.
        assert_eq!(m.rows.len(), 5);
    }

    #[test]
    fn a_merged_cell_under_the_largest_k_is_withheld_though_each_host_released_its_part() {
        // Both hosts release IT (6 >= 4 and 7 >= 3), but the merged threshold is the largest k, 20: 13 < 20.
        let a = answer_1d("a", 4, &[("DE", 50), ("IT", 6)], false);
        let b = answer_1d("b", 20, &[("DE", 60)], false);
        let c = answer_1d("c", 3, &[("DE", 30), ("IT", 7), ("FR", 25)], false);
        let m = merge(
            &query(&["country"], &[]),
            vec![answered(a), answered(b), answered(c)],
        )
        .unwrap();
        assert_eq!(m.k, 20);
        assert_eq!(find(&m, RowKind::Cell, &["DE"]).count, Some(140));
        let it = find(&m, RowKind::Cell, &["IT"]);
        assert_eq!((it.count, it.withheld), (None, Some(Withheld::Threshold)));
        // IT alone would be total minus the rest: FR (25, the smallest released) goes with it.
        let fr = find(&m, RowKind::Cell, &["FR"]);
        assert_eq!((fr.count, fr.withheld), (None, Some(Withheld::Threshold)));
        assert_eq!(find(&m, RowKind::Total, &["*"]).count, Some(178));
    }

    #[test]
    fn two_dimensions_sum_cells_and_margins_host_by_host() {
        let a = answer_2d(
            "a",
            5,
            &[
                (("DE", "gold"), 10),
                (("DE", "silver"), 10),
                (("FR", "gold"), 10),
                (("FR", "silver"), 10),
            ],
        );
        let b = answer_2d(
            "b",
            20,
            &[
                (("DE", "gold"), 30),
                (("DE", "silver"), 25),
                (("FR", "gold"), 25),
                (("FR", "silver"), 30),
            ],
        );
        let m = merge(
            &query(&["country", "tier"], &[]),
            vec![answered(a), answered(b)],
        )
        .unwrap();
        assert_eq!(m.k, 20);
        let expect = [
            (RowKind::Cell, vec!["DE", "gold"], 40),
            (RowKind::Cell, vec!["DE", "silver"], 35),
            (RowKind::Cell, vec!["FR", "gold"], 35),
            (RowKind::Cell, vec!["FR", "silver"], 40),
            (RowKind::RowMargin, vec!["DE", "*"], 75),
            (RowKind::RowMargin, vec!["FR", "*"], 75),
            (RowKind::ColumnMargin, vec!["*", "gold"], 75),
            (RowKind::ColumnMargin, vec!["*", "silver"], 75),
            (RowKind::Total, vec!["*", "*"], 150),
        ];
        assert_eq!(m.rows.len(), expect.len());
        for (row, (kind, group, count)) in m.rows.iter().zip(expect) {
            assert_eq!(
                (row.kind, row.group.clone(), row.count),
                (
                    kind,
                    group.iter().map(|s| s.to_string()).collect(),
                    Some(count)
                )
            );
        }
        assert_eq!(m.suppressed, 0);
    }

    #[test]
    fn two_dimensions_with_a_small_merged_cell_keep_its_complements_and_margins() {
        // Every host released everything, but merged DE/silver is 3 < 15.
        let a = answer_2d(
            "a",
            2,
            &[
                (("DE", "gold"), 10),
                (("DE", "silver"), 3),
                (("FR", "gold"), 12),
                (("FR", "silver"), 9),
            ],
        );
        let b = answer_2d(
            "b",
            15,
            &[
                (("DE", "gold"), 20),
                (("FR", "gold"), 20),
                (("FR", "silver"), 20),
            ],
        );
        let m = merge(
            &query(&["country", "tier"], &[]),
            vec![answered(a), answered(b)],
        )
        .unwrap();
        assert_eq!(m.k, 15);
        // DE/silver (3) is withheld; its row needs DE/gold withheld too, its column FR/silver, and then FR/gold.
        for cell in [
            ["DE", "silver"],
            ["DE", "gold"],
            ["FR", "silver"],
            ["FR", "gold"],
        ] {
            let r = find(&m, RowKind::Cell, &cell);
            assert_eq!(
                (r.count, r.withheld),
                (None, Some(Withheld::Threshold)),
                "{cell:?}"
            );
        }
        // The margins stay: with them, DE/silver = x lies anywhere in [1, 31].
        assert_eq!(find(&m, RowKind::RowMargin, &["DE", "*"]).count, Some(33));
        assert_eq!(find(&m, RowKind::RowMargin, &["FR", "*"]).count, Some(61));
        assert_eq!(
            find(&m, RowKind::ColumnMargin, &["*", "gold"]).count,
            Some(62)
        );
        assert_eq!(
            find(&m, RowKind::ColumnMargin, &["*", "silver"]).count,
            Some(32)
        );
        assert_eq!(find(&m, RowKind::Total, &["*", "*"]).count, Some(94));
    }

    #[test]
    fn a_margin_withheld_by_a_host_is_withheld_merged_and_known_parts_raise_the_floor() {
        // a (k = 50): row IT holds 10 in all; its cells and its margin are under 50.
        let a = answer_2d(
            "a",
            50,
            &[
                (("DE", "gold"), 100),
                (("DE", "silver"), 100),
                (("IT", "gold"), 5),
                (("IT", "silver"), 5),
            ],
        );
        let it_margin = a
            .rows
            .iter()
            .find(|r| r.kind == RowKind::RowMargin && r.group[0] == "IT")
            .unwrap();
        assert_eq!(it_margin.count, None);
        let b = answer_2d("b", 2, &[(("IT", "gold"), 500), (("IT", "silver"), 500)]);
        let m = merge(
            &query(&["country", "tier"], &[]),
            vec![answered(a), answered(b)],
        )
        .unwrap();
        let it = find(&m, RowKind::RowMargin, &["IT", "*"]);
        assert_eq!((it.count, it.withheld), (None, Some(Withheld::Host)));
        for cell in [["IT", "gold"], ["IT", "silver"]] {
            assert_eq!(
                find(&m, RowKind::Cell, &cell).withheld,
                Some(Withheld::Host)
            );
        }
        // The IT cells are at least 501 each (b's 500 and a's withheld part); entered at k - 1 = 49 rather than 1,
        // the columns look large enough to the release, and the total, known, is released.
        assert_eq!(find(&m, RowKind::Total, &["*", "*"]).count, Some(1210));
    }

    #[test]
    fn failed_and_timed_out_hosts_make_the_result_partial() {
        let q = query(&["country"], &[]);
        let eu = answer_1d("eu", 10, &[("DE", 40), ("FR", 30)], false);
        let mut wrong = answer_1d("ap", 99, &[("JP", 400)], false);
        wrong.by = vec!["tier".into()];
        let results = vec![
            answered(eu),
            PeerResult {
                host: "us".into(),
                outcome: PeerOutcome::Failed(
                    "privacy budget exceeded for requester:peer:hq".into(),
                ),
            },
            PeerResult {
                host: "br".into(),
                outcome: PeerOutcome::TimedOut,
            },
            answered(wrong),
        ];
        let m = merge(&q, results).unwrap();
        assert!(m.partial);
        assert_eq!(
            m.k, 10,
            "only hosts that answered validly set the threshold"
        );
        assert_eq!(find(&m, RowKind::Cell, &["DE"]).count, Some(40));
        assert_eq!(find(&m, RowKind::Total, &["*"]).count, Some(70));
        assert!(m.rows.iter().all(|r| r.group[0] != "JP"));
        assert_eq!(
            m.hosts[0].status,
            HostStatus::Answered {
                k: 10,
                noisy: false
            }
        );
        assert!(
            matches!(&m.hosts[1].status, HostStatus::Failed { reason } if reason.contains("budget"))
        );
        assert_eq!(m.hosts[2].status, HostStatus::TimedOut);
        assert!(
            matches!(&m.hosts[3].status, HostStatus::Failed { reason } if reason.contains("invalid answer")),
            "{:?}",
            m.hosts[3]
        );
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["partial"], true);
        assert_eq!(json["hosts"][2]["status"], "timed_out");
    }

    #[test]
    fn nothing_answered_is_an_error_that_lists_every_host() {
        let err = merge(
            &query(&[], &[]),
            vec![
                PeerResult {
                    host: "us".into(),
                    outcome: PeerOutcome::Failed("connection refused".into()),
                },
                PeerResult {
                    host: "br".into(),
                    outcome: PeerOutcome::TimedOut,
                },
            ],
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("us: connection refused") && err.contains("br: timed out"),
            "{err}"
        );
    }

    #[test]
    fn an_answer_under_another_hosts_name_or_twice_is_refused() {
        let q = query(&["country"], &[]);
        let eu = answer_1d("eu", 10, &[("DE", 40)], false);
        let m = merge(
            &q,
            vec![
                PeerResult {
                    host: "us".into(),
                    outcome: PeerOutcome::Answered(eu.clone()),
                },
                answered(eu.clone()),
                answered(eu),
            ],
        )
        .unwrap();
        assert!(
            matches!(&m.hosts[0].status, HostStatus::Failed { reason } if reason.contains("came from `us`"))
        );
        assert_eq!(
            m.hosts[1].status,
            HostStatus::Answered {
                k: 10,
                noisy: false
            }
        );
        assert!(
            matches!(&m.hosts[2].status, HostStatus::Failed { reason } if reason.contains("more than one"))
        );
        assert_eq!(find(&m, RowKind::Total, &["*"]).count, Some(40));
    }

    #[test]
    fn noise_bounds_add_up_per_statistic() {
        let q = query(&[], &["m0"]);
        let noisy = |host: &str, count_bound: u64, sum_bound: u64, n: u64| FederatedAnswer {
            host: host.into(),
            segment: "s".into(),
            purpose: "analytics".into(),
            by: vec![],
            sums: vec!["m0".into()],
            k: 10,
            rows: vec![row(RowKind::Total, vec![], Some(n), &[7])],
            noise: Some(AnswerNoise {
                mechanism: "laplace".into(),
                epsilon: 0.5,
                bounds: vec![
                    NoiseBound {
                        statistic: "count".into(),
                        bound_95: count_bound,
                    },
                    NoiseBound {
                        statistic: "m0".into(),
                        bound_95: sum_bound,
                    },
                ],
            }),
        };
        let mut exact = noisy("c", 0, 0, 100);
        exact.noise = None;
        let m = merge(
            &q,
            vec![
                answered(noisy("a", 12, 300, 100)),
                answered(noisy("b", 9, 150, 50)),
                answered(exact),
            ],
        )
        .unwrap();
        assert_eq!(
            m.noise,
            vec![
                NoiseBound {
                    statistic: "count".into(),
                    bound_95: 21
                },
                NoiseBound {
                    statistic: "m0".into(),
                    bound_95: 450
                },
            ]
        );
        let total = find(&m, RowKind::Total, &[]);
        assert_eq!(total.count, Some(250));
        assert_eq!(total.measures[0].sum, Some(21));
        assert_eq!(
            m.hosts[0].status,
            HostStatus::Answered { k: 10, noisy: true }
        );
    }

    /// The module documentation's claim for Laplace noise: for two hosts, the sum of their 95 % bounds bounds the
    /// sum of their noise at least 95 % of the time, whatever the ratio of their scales. Computed by numerical
    /// integration of P(|X1 + X2| > b1 + b2) with X_i ~ Laplace(s_i) and b_i = s_i ln 20.
    #[test]
    fn summed_laplace_bounds_hold_for_two_hosts() {
        let tail = |s: f64, t: f64| 0.5 * (-t / s).exp(); // P(X > t) for t >= 0
        let cdf_above = |s: f64, t: f64| {
            if t >= 0.0 {
                tail(s, t)
            } else {
                1.0 - tail(s, -t)
            }
        };
        for ratio in [1.0, 1.5, 2.0, 5.0, 10.0, 100.0] {
            let (s1, s2) = (1.0, ratio);
            let t = (s1 + s2) * 20f64.ln();
            // P(|X1 + X2| > t) = 2 P(X1 + X2 > t) = 2 ∫ f1(x) P(X2 > t - x) dx.
            let (lo, hi, steps) = (-60.0 * s1, 60.0 * s1, 200_000);
            let h = (hi - lo) / steps as f64;
            let mut p = 0.0;
            for i in 0..steps {
                let x = lo + (i as f64 + 0.5) * h;
                let f1 = (-(x.abs()) / s1).exp() / (2.0 * s1);
                p += f1 * cdf_above(s2, t - x) * h;
            }
            let p = 2.0 * p;
            assert!(p < 0.05, "ratio {ratio}: {p}");
            if ratio == 1.0 {
                assert!((p - 0.01).abs() < 0.001, "{p}");
            }
        }
    }

    fn truth_1d(hosts: &[(u64, Vec<u64>)]) -> (BTreeMap<String, u64>, u64) {
        let mut union = BTreeMap::new();
        for (_, cells) in hosts {
            for (i, c) in cells.iter().enumerate() {
                if *c > 0 {
                    *union.entry(format!("g{i}")).or_insert(0) += c;
                }
            }
        }
        let total = union.values().sum();
        (union, total)
    }

    proptest! {
        /// Merged released cells, margins and totals are never under the largest k, are the exact union where
        /// released, every cell a host withheld stays withheld, and the published line protects its withheld cells
        /// at the largest k (each can reach k, none is determined).
        #[test]
        fn merged_one_dimension_is_never_under_the_largest_k(
            hosts in proptest::collection::vec((2u64..40, proptest::collection::vec(0u64..80, 0..7)), 1..4),
        ) {
            let answers: Vec<FederatedAnswer> = hosts
                .iter()
                .enumerate()
                .map(|(h, (k, cells))| {
                    let labels: Vec<String> = (0..cells.len()).map(|i| format!("g{i}")).collect();
                    let cells: Vec<(&str, u64)> = labels.iter().map(String::as_str).zip(cells.iter().copied()).collect();
                    answer_1d(&format!("h{h}"), *k, &cells, false)
                })
                .collect();
            let withheld_somewhere: HashSet<String> = answers
                .iter()
                .flat_map(|a| a.rows.iter().filter(|r| r.kind == RowKind::Cell && r.count.is_none()).map(|r| r.group[0].clone()))
                .collect();
            let big_k = hosts.iter().map(|(k, _)| *k).max().unwrap();
            let m = merge(&query(&["country"], &[]), answers.into_iter().map(answered).collect()).unwrap();
            prop_assert_eq!(m.k, big_k);
            let (union, total) = truth_1d(&hosts);
            for r in &m.rows {
                if let Some(v) = r.count {
                    prop_assert!(v >= big_k, "{:?} released {} under {}", r.group, v, big_k);
                    let expected = if r.kind == RowKind::Total { total } else { union[&r.group[0]] };
                    prop_assert_eq!(v, expected);
                } else if r.kind == RowKind::Cell && withheld_somewhere.contains(&r.group[0]) {
                    prop_assert_eq!(r.withheld, Some(Withheld::Host));
                }
            }
            let total_row = m.rows.iter().find(|r| r.kind == RowKind::Total).unwrap();
            if let Some(t) = total_row.count {
                let released: u64 = m.rows.iter().filter(|r| r.kind == RowKind::Cell).filter_map(|r| r.count).sum();
                let n = m.rows.iter().filter(|r| r.kind == RowKind::Cell && r.count.is_none()).count() as u64;
                if n > 0 {
                    prop_assert!(n >= 2, "a lone withheld cell is the total minus the rest");
                    let upper = t - released - (n - 1);
                    prop_assert!(upper >= big_k && upper > 1, "withheld cells are exposed: upper bound {}", upper);
                }
            }
        }

        /// The same for two dimensions: nothing released under the largest k, released numbers exact.
        #[test]
        fn merged_two_dimensions_are_never_under_the_largest_k(
            hosts in proptest::collection::vec((2u64..30, proptest::collection::vec(0u64..40, 9)), 1..4),
        ) {
            let rows = ["r0", "r1", "r2"];
            let cols = ["c0", "c1", "c2"];
            let mut truth: BTreeMap<(RowKind, Vec<String>), u64> = BTreeMap::new();
            let mut answers = Vec::new();
            for (h, (k, values)) in hosts.iter().enumerate() {
                let cells: Vec<((&str, &str), u64)> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| ((rows[i / 3], cols[i % 3]), *v))
                    .collect();
                for ((r, c), v) in &cells {
                    if *v == 0 {
                        continue;
                    }
                    for key in [
                        (RowKind::Cell, vec![r.to_string(), c.to_string()]),
                        (RowKind::RowMargin, vec![r.to_string(), "*".into()]),
                        (RowKind::ColumnMargin, vec!["*".into(), c.to_string()]),
                        (RowKind::Total, vec!["*".into(), "*".into()]),
                    ] {
                        *truth.entry(key).or_insert(0) += v;
                    }
                }
                answers.push(answer_2d(&format!("h{h}"), *k, &cells));
            }
            let big_k = hosts.iter().map(|(k, _)| *k).max().unwrap();
            let m = merge(&query(&["country", "tier"], &[]), answers.into_iter().map(answered).collect()).unwrap();
            for r in &m.rows {
                if let Some(v) = r.count {
                    prop_assert!(v >= big_k);
                    prop_assert_eq!(Some(&v), truth.get(&(r.kind, r.group.clone())));
                }
            }
        }
    }
}
