//! `segment count`: the members of a segment, grouped by up to two dimensions, counted and optionally summed,
//! released through the thresholds of `cohort-aggregate`, then (where the policy enables it) noised and charged to
//! the privacy budget, and audited.
//!
//! Order of work, and why:
//! 1. group the lawful members and release the exact table through the thresholds (cells under `min_group_size`
//!    and their complements withheld; everything withheld when the segment is under `min_export_size`);
//! 2. charge the budget and append the audit entry in one atomic write (a refusal writes an audit entry and
//!    releases nothing);
//! 3. add noise to every released number, independently, calibrated to how many released numbers one person can
//!    change (see [`crate::dp`]).

use crate::dp::{DpPlan, DpSummary};
use crate::measure::{Measure, check_dimension, dimension_label};
use crate::members::lawful_members;
use crate::segment_ref::{SegmentRef, resolve};
use crate::{OutputError, purpose};
use cohort_aggregate::{Count, Measure as Released, release_one_dimension, release_two_dimensions};
use cohort_policy::Policy;
use cohort_store::{AuditRecord, BudgetLine, ChargeOutcome, Store};
use serde::Serialize;
use std::collections::BTreeMap;

/// Dimensions one count may group by: a two-dimensional table with margins is what the thresholding proves safe.
pub const MAX_DIMENSIONS: usize = 2;

/// Measures one count may sum: each takes a share of the query's epsilon.
pub const MAX_MEASURES: usize = 4;

/// What to count.
pub struct CountRequest<'a> {
    /// The store.
    pub store: &'a Store,
    /// The policy in force.
    pub policy: &'a Policy,
    /// `plugin/segment` or `segment`.
    pub segment: &'a str,
    /// The purpose the count serves.
    pub purpose: &'a str,
    /// Dimensions to group by (at most [`MAX_DIMENSIONS`]).
    pub by: &'a [String],
    /// Measures to sum (attribute or `event_type.property`; at most [`MAX_MEASURES`]).
    pub sums: &'a [String],
    /// Who asks: the budget charged, and the audit log's actor.
    pub requester: &'a str,
    /// Show the cost and the budget without releasing or charging anything.
    pub dry_run: bool,
    /// Now (for the budget's day and month).
    pub now: time::OffsetDateTime,
}

/// What a released row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// A released measure of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureValue {
    /// The measure.
    pub name: String,
    /// Its sum over the row's members, or `None` where withheld.
    pub sum: Option<i128>,
    /// The sum per member, or `None` where withheld.
    pub mean: Option<f64>,
}

/// One released row: a cell, a margin or the total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountRow {
    /// Cell, margin or total.
    pub kind: RowKind,
    /// One label per dimension; `*` where the row spans every group of that dimension.
    pub group: Vec<String>,
    /// Members, or `None` where withheld.
    pub count: Option<u64>,
    /// The measures.
    pub measures: Vec<MeasureValue>,
}

/// A released count.
#[derive(Debug, Clone, Serialize)]
pub struct CountReport {
    /// `plugin/segment`.
    pub segment: String,
    /// The purpose.
    pub purpose: String,
    /// The run whose memberships were counted, and when it ran.
    pub run_id: String,
    /// When the run ran.
    pub run_at: String,
    /// Dimensions.
    pub by: Vec<String>,
    /// Measures.
    pub sums: Vec<String>,
    /// `min_group_size` applied.
    pub k: u64,
    /// `min_export_size` applied to the segment as a whole.
    pub min_export_size: u64,
    /// Rows: cells first, then margins, then the total. Empty on a dry run.
    pub rows: Vec<CountRow>,
    /// Rows withheld by the thresholds.
    pub suppressed: u64,
    /// Differential privacy applied, if the policy enables it.
    pub differential_privacy: Option<DpSummary>,
    /// The budget lines after the charge (or as they are, on a dry run).
    pub budget: Vec<BudgetLine>,
    /// True when nothing was released or charged.
    pub dry_run: bool,
    /// The audit entry of the release (`None` on a dry run).
    pub audit_seq: Option<u64>,
}

/// Exact per-group figures before release: members and measure sums.
#[derive(Default, Clone)]
struct Group {
    count: u64,
    sums: Vec<i128>,
}

/// Counts a segment under the thresholds, noise and budget of the policy.
pub fn count_segment(req: CountRequest<'_>) -> Result<CountReport, OutputError> {
    let purpose = purpose(req.policy, req.purpose)?;
    if req.by.len() > MAX_DIMENSIONS {
        return Err(OutputError::Invalid(format!(
            "{} `--by` given; a count groups by at most {MAX_DIMENSIONS} dimensions",
            req.by.len()
        )));
    }
    if req.sums.len() > MAX_MEASURES {
        return Err(OutputError::Invalid(format!(
            "{} `--sum` given; a count sums at most {MAX_MEASURES} measures",
            req.sums.len()
        )));
    }
    for dim in req.by {
        check_dimension(purpose, dim)?;
    }
    if req.by.len() == 2 && req.by[0] == req.by[1] {
        return Err(OutputError::Invalid(format!(
            "`--by {}` given twice",
            req.by[0]
        )));
    }
    let measures: Vec<Measure> = req
        .sums
        .iter()
        .map(|name| Measure::parse(req.policy, purpose, name))
        .collect::<Result<_, _>>()?;
    let segment: SegmentRef = resolve(req.store, req.purpose, req.segment)?;
    let dp = DpPlan::from_policy(req.policy, req.by.len(), &measures)?;
    let limits = dp
        .as_ref()
        .map(|_| crate::dp::budget_limits(req.policy, req.requester, req.now))
        .unwrap_or_default();

    let mut report = CountReport {
        segment: segment.qualified(),
        purpose: purpose.id.clone(),
        run_id: segment.run.run_id.clone(),
        run_at: segment.run.at.clone(),
        by: req.by.to_vec(),
        sums: req.sums.to_vec(),
        k: req.policy.aggregates().min_group_size.max(2),
        min_export_size: req.policy.aggregates().min_export_size,
        rows: Vec::new(),
        suppressed: 0,
        differential_privacy: dp.as_ref().map(DpPlan::summary),
        budget: Vec::new(),
        dry_run: req.dry_run,
        audit_seq: None,
    };
    if req.dry_run {
        report.budget = req.store.budget_lines(&limits)?;
        return Ok(report);
    }

    // 1. Group and release the exact figures.
    let (members, _excluded) = lawful_members(req.store, purpose, &segment)?;
    let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    for m in &members {
        let key = req
            .by
            .iter()
            .map(|d| dimension_label(&m.view, d))
            .collect::<Result<Vec<_>, _>>()?;
        let group = groups.entry(key).or_insert_with(|| Group {
            count: 0,
            sums: vec![0; measures.len()],
        });
        group.count += 1;
        for (sum, measure) in group.sums.iter_mut().zip(&measures) {
            *sum += i128::from(measure.value(&m.view)?);
        }
    }
    let whole_segment = members.len() as u64;
    let mut rows = release(&groups, req.by.len(), &measures, report.k)?;
    if whole_segment < report.min_export_size {
        // The segment itself is too small to report on: every number is withheld.
        for row in &mut rows {
            withhold(row);
        }
    }
    report.suppressed = rows.iter().filter(|r| r.count.is_none()).count() as u64;

    // 2. Charge and audit, atomically.
    let mut record = AuditRecord::new(
        req.requester,
        "aggregate.release",
        Some(req.policy.sha256_hex()),
    )
    .purpose(&purpose.id)
    .detail("segment", report.segment.clone())
    .detail("run_id", report.run_id.clone())
    .detail("by", req.by.join(","))
    .detail("sums", req.sums.join(","))
    .count("k", report.k)
    .count("rows_released", rows.len() as u64 - report.suppressed)
    .count("rows_suppressed", report.suppressed);
    if let Some(plan) = &dp {
        record = plan.annotate(record);
        match req
            .store
            .charge_budget(&limits, plan.cost_micro(), record)?
        {
            ChargeOutcome::Charged { lines, audit_seq } => {
                report.budget = lines;
                report.audit_seq = Some(audit_seq);
            }
            ChargeOutcome::Refused { line, asked_micro } => {
                let err = OutputError::BudgetExceeded {
                    scope: line.limit.scope.clone(),
                    period: line.limit.period.clone(),
                    spent: micro_to_epsilon(line.spent_micro),
                    limit: micro_to_epsilon(line.limit.limit_micro),
                    asked: micro_to_epsilon(asked_micro),
                };
                req.store.audit(
                    AuditRecord::new(
                        req.requester,
                        "aggregate.refused",
                        Some(req.policy.sha256_hex()),
                    )
                    .purpose(&purpose.id)
                    .detail("segment", report.segment.clone())
                    .detail("reason", err.to_string()),
                )?;
                return Err(err);
            }
        }
        // 3. Noise on every released number.
        plan.apply(&mut rows, &measures)?;
    } else {
        report.audit_seq = Some(req.store.audit(record)?);
    }
    report.rows = rows;
    Ok(report)
}

fn micro_to_epsilon(micro: u64) -> f64 {
    micro as f64 / cohort_store::budget::MICRO_PER_EPSILON as f64
}

fn withhold(row: &mut CountRow) {
    row.count = None;
    for m in &mut row.measures {
        m.sum = None;
        m.mean = None;
    }
}

const ALL: &str = "*";

/// Releases the exact grouped figures through the thresholds, as rows.
fn release(
    groups: &BTreeMap<Vec<String>, Group>,
    dims: usize,
    measures: &[Measure],
    k: u64,
) -> Result<Vec<CountRow>, OutputError> {
    let measure_rows = |values: &[Vec<Released>], i: usize| -> Vec<MeasureValue> {
        measures
            .iter()
            .zip(values)
            .map(|(m, v)| MeasureValue {
                name: m.name.clone(),
                sum: v[i].sum(),
                mean: v[i].mean(),
            })
            .collect()
    };
    match dims {
        0 | 1 => {
            let cells: Vec<(String, u64)> = groups
                .iter()
                .map(|(key, g)| (key.first().cloned().unwrap_or_else(|| ALL.into()), g.count))
                .collect();
            let table = release_one_dimension(&cells, k);
            let mut per_measure: Vec<Vec<Released>> = Vec::new();
            for (i, _) in measures.iter().enumerate() {
                let sums: Vec<(String, i128)> = groups
                    .iter()
                    .filter(|(_, g)| g.count > 0)
                    .map(|(key, g)| {
                        (
                            key.first().cloned().unwrap_or_else(|| ALL.into()),
                            g.sums[i],
                        )
                    })
                    .collect();
                let released = table.release_measure(&sums)?;
                let mut values: Vec<Released> = released.cells().iter().map(|(_, v)| *v).collect();
                values.push(released.total());
                per_measure.push(values);
            }
            let mut rows = Vec::new();
            if dims == 1 {
                for (i, (label, count)) in table.cells().iter().enumerate() {
                    rows.push(CountRow {
                        kind: RowKind::Cell,
                        group: vec![label.clone()],
                        count: count.value(),
                        measures: measure_rows(&per_measure, i),
                    });
                }
            }
            rows.push(CountRow {
                kind: RowKind::Total,
                group: vec![ALL.into(); dims],
                count: table.total().value(),
                measures: measure_rows(&per_measure, table.cells().len()),
            });
            Ok(rows)
        }
        _ => {
            let cells: Vec<((String, String), u64)> = groups
                .iter()
                .map(|(key, g)| ((key[0].clone(), key[1].clone()), g.count))
                .collect();
            let table = release_two_dimensions(&cells, k)?;
            let mut per_measure: Vec<Vec<Released>> = Vec::new();
            for (i, _) in measures.iter().enumerate() {
                let sums: Vec<((String, String), i128)> = groups
                    .iter()
                    .filter(|(_, g)| g.count > 0)
                    .map(|(key, g)| ((key[0].clone(), key[1].clone()), g.sums[i]))
                    .collect();
                let released = table.release_measure(&sums)?;
                let mut values: Vec<Released> =
                    released.cells().iter().map(|c| c.value()).collect();
                values.extend(released.rows().iter().map(|(_, v)| *v));
                values.extend(released.columns().iter().map(|(_, v)| *v));
                values.push(released.total());
                per_measure.push(values);
            }
            let mut rows = Vec::new();
            let mut i = 0;
            let mut push = |kind, group: Vec<String>, count: Count, rows: &mut Vec<CountRow>| {
                rows.push(CountRow {
                    kind,
                    group,
                    count: count.value(),
                    measures: measure_rows(&per_measure, i),
                });
                i += 1;
            };
            for cell in table.cells() {
                push(
                    RowKind::Cell,
                    vec![cell.row().to_owned(), cell.column().to_owned()],
                    cell.value(),
                    &mut rows,
                );
            }
            for (label, count) in table.rows() {
                push(
                    RowKind::RowMargin,
                    vec![label.clone(), ALL.into()],
                    *count,
                    &mut rows,
                );
            }
            for (label, count) in table.columns() {
                push(
                    RowKind::ColumnMargin,
                    vec![ALL.into(), label.clone()],
                    *count,
                    &mut rows,
                );
            }
            push(
                RowKind::Total,
                vec![ALL.into(), ALL.into()],
                table.total(),
                &mut rows,
            );
            Ok(rows)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn measure() -> Measure {
        Measure::for_tests("order_completed.revenue")
    }

    /// Random datasets: up to 300 people over up to 5 × 4 groups, each with a spend of 0..100.
    fn dataset() -> impl Strategy<Value = Vec<(u8, u8, i64)>> {
        proptest::collection::vec((0u8..5, 0u8..4, 0i64..100), 0..300)
    }

    fn grouped(people: &[(u8, u8, i64)], dims: usize) -> BTreeMap<Vec<String>, Group> {
        let mut groups: BTreeMap<Vec<String>, Group> = BTreeMap::new();
        for (a, b, spend) in people {
            let key: Vec<String> = [format!("a{a}"), format!("b{b}")]
                .into_iter()
                .take(dims)
                .collect();
            let g = groups.entry(key).or_insert_with(|| Group {
                count: 0,
                sums: vec![0],
            });
            g.count += 1;
            g.sums[0] += i128::from(*spend);
        }
        groups
    }

    /// The true (count, sum) of the people a row covers.
    fn truth(people: &[(u8, u8, i64)], row: &CountRow) -> (u64, i128) {
        let covers = |label: Option<&String>, value: String| match label {
            None => true,
            Some(l) => l == "*" || *l == value,
        };
        let mine: Vec<_> = people
            .iter()
            .filter(|(a, b, _)| {
                covers(row.group.first(), format!("a{a}"))
                    && covers(row.group.get(1), format!("b{b}"))
            })
            .collect();
        (
            mine.len() as u64,
            mine.iter().map(|(_, _, s)| i128::from(*s)).sum(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Over random datasets and group-bys, every released row is the truth about the people it covers, at least
        /// k of them, and its sum and mean are released exactly when its count is.
        #[test]
        fn released_rows_are_true_and_never_under_k(
            people in dataset(),
            dims in 0usize..=2,
            k in 2u64..40,
        ) {
            let groups = grouped(&people, dims);
            let rows = release(&groups, dims, &[measure()], k).unwrap();
            prop_assert!(rows.iter().any(|r| r.kind == RowKind::Total));
            for row in &rows {
                let (count, sum) = truth(&people, row);
                match row.count {
                    Some(n) => {
                        prop_assert_eq!(n, count, "row {:?}", row);
                        prop_assert!(n >= k, "released {} under k = {}", n, k);
                        prop_assert_eq!(row.measures[0].sum, Some(sum));
                        prop_assert_eq!(row.measures[0].mean, Some(sum as f64 / n as f64));
                    }
                    None => {
                        prop_assert_eq!(row.measures[0].sum, None);
                        prop_assert_eq!(row.measures[0].mean, None);
                    }
                }
            }
            // Every non-empty group appears as a cell (withheld or not) when grouping.
            if dims > 0 {
                let cells = rows.iter().filter(|r| r.kind == RowKind::Cell).count();
                prop_assert_eq!(cells, groups.len());
            }
        }
    }
}
