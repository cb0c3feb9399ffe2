//! Differential privacy of a count: which noise each released number gets, what the query costs, and which
//! budgets pay for it.
//!
//! A query costs the policy's `epsilon_per_query`, split evenly between its statistics (the count table and each
//! summed measure: sequential composition). Within one statistic, one person changes at most `levels` released
//! numbers (their cell, and the margins and total that contain it: 1 for a plain total, 2 for a one-dimensional
//! table, 4 for a two-dimensional table with margins), each by at most the statistic's per-person sensitivity (1
//! for a count, `max(|min|, |max|)` of the measure's `sum_bounds` for a sum). Noise is calibrated to that:
//! - **Laplace** (pure ε-DP): scale `levels × sensitivity / ε_share` on every released number (L1 sensitivity);
//! - **Gaussian** ((ε, δ)-DP): σ² for the share (ε_share, δ_share) at sensitivity 1, times `levels × sensitivity²`
//!   (L2 sensitivity squared).
//!
//! Noise is drawn by `cohort-noise` from the operating system's generator (`ring::rand::SystemRandom`), in exact
//! integer arithmetic.

use crate::OutputError;
use crate::count::CountRow;
use crate::measure::Measure;
use cohort_noise::{Mechanism, RandomSource, SystemRandomSource};
use cohort_policy::{Mechanism as PolicyMechanism, Policy};
use cohort_store::AuditRecord;
use cohort_store::budget::{BudgetLimit, micro_epsilon, micro_epsilon_limit};
use serde::Serialize;

/// Confidence of the noise bounds shown to analysts: 95 % of draws lie within them.
const BOUND_BETA: f64 = 0.05;

/// The noise of one statistic: a mechanism (with its share of ε, and δ) at a sensitivity.
#[derive(Debug, Clone, Copy)]
struct Noise {
    mechanism: Mechanism,
    sensitivity: u64,
}

impl Noise {
    fn draw(self, rng: &mut dyn RandomSource) -> Result<i128, OutputError> {
        Ok(i128::from(cohort_noise::sample_noise(
            &self.mechanism,
            self.sensitivity,
            rng,
        )?))
    }

    fn bound(self) -> Result<u64, OutputError> {
        Ok(cohort_noise::tail_bound(
            &self.mechanism,
            self.sensitivity,
            BOUND_BETA,
        )?)
    }

    fn describe(self) -> Result<(String, f64), OutputError> {
        Ok(match self.mechanism {
            Mechanism::Laplace { epsilon } => (
                "laplace_scale".into(),
                cohort_noise::laplace_scale(epsilon, self.sensitivity)?.to_f64(),
            ),
            Mechanism::Gaussian { epsilon, delta } => (
                "gaussian_sigma".into(),
                cohort_noise::gaussian_sigma2(epsilon, delta, self.sensitivity)?
                    .to_f64()
                    .sqrt(),
            ),
        })
    }
}

/// The noise of one statistic, as shown to the analyst.
#[derive(Debug, Clone, Serialize)]
pub struct StatisticNoise {
    /// `count`, or the measure's name.
    pub statistic: String,
    /// `laplace_scale` or `gaussian_sigma`.
    pub parameter: String,
    /// Its value.
    pub value: f64,
    /// 95 % of noise draws are within ± this.
    pub bound_95: u64,
}

/// Differential privacy of a released count, as shown to the analyst and written to the audit log.
#[derive(Debug, Clone, Serialize)]
pub struct DpSummary {
    /// `laplace` or `gaussian`.
    pub mechanism: &'static str,
    /// Epsilon charged for the query.
    pub epsilon: f64,
    /// Delta, for the Gaussian mechanism.
    pub delta: Option<f64>,
    /// Released numbers one person can change per statistic.
    pub levels: u64,
    /// The noise of each statistic.
    pub noise: Vec<StatisticNoise>,
}

/// The differential privacy of one query.
pub(crate) struct DpPlan {
    summary: DpSummary,
    count: Noise,
    measures: Vec<Noise>,
    cost_micro: u64,
}

impl DpPlan {
    /// The plan for a query grouping by `dimensions` and summing `measures`, or `None` when the policy has no
    /// differential privacy.
    pub fn from_policy(
        policy: &Policy,
        dimensions: usize,
        measures: &[Measure],
    ) -> Result<Option<Self>, OutputError> {
        let Some(dp) = &policy.aggregates().differential_privacy else {
            return Ok(None);
        };
        let levels: u64 = match dimensions {
            0 => 1,
            1 => 2,
            _ => 4,
        };
        let shares = 1 + measures.len() as u64;
        // Each statistic gets an even share of ε (and δ); `cohort-noise` rounds ε and δ down, so the noise is never
        // smaller than the policy asks for.
        let mechanism = match (dp.mechanism, dp.delta) {
            (PolicyMechanism::Gaussian, Some(delta)) => Mechanism::gaussian_from_f64(
                dp.epsilon_per_query / shares as f64,
                delta / shares as f64,
            )?,
            _ => Mechanism::laplace_from_f64(dp.epsilon_per_query / shares as f64)?,
        };
        let noise_for = |per_person: u64| -> Result<Noise, OutputError> {
            let sensitivity = match mechanism {
                // L1: one person moves `levels` numbers by up to `per_person` each.
                Mechanism::Laplace { .. } => levels * per_person,
                // L2: sqrt(levels) * per_person, rounded up to a whole number (2 for 2 or 4 levels).
                Mechanism::Gaussian { .. } => (levels as f64).sqrt().ceil() as u64 * per_person,
            };
            Ok(Noise {
                mechanism,
                sensitivity,
            })
        };
        let count = noise_for(1)?;
        let mut measure_noise = Vec::with_capacity(measures.len());
        for m in measures {
            let bounds = m.bounds.ok_or_else(|| {
                OutputError::Invalid(format!(
                    "`--sum {}`: the policy enables differential privacy, which needs bounds on what one person \
                     adds to a sum; declare `aggregates.sum_bounds.{}` with min and max in the policy",
                    m.name, m.name
                ))
            })?;
            measure_noise.push(noise_for(bounds.sensitivity().max(1))?);
        }
        let mut noise = vec![statistic("count", count)?];
        for (m, n) in measures.iter().zip(&measure_noise) {
            noise.push(statistic(&m.name, *n)?);
        }
        Ok(Some(DpPlan {
            summary: DpSummary {
                mechanism: dp.mechanism.as_str(),
                epsilon: dp.epsilon_per_query,
                delta: dp.delta,
                levels,
                noise,
            },
            count,
            measures: measure_noise,
            cost_micro: micro_epsilon(dp.epsilon_per_query),
        }))
    }

    /// What the analyst sees of the plan.
    pub fn summary(&self) -> DpSummary {
        self.summary.clone()
    }

    /// Epsilon charged, in millionths.
    pub fn cost_micro(&self) -> u64 {
        self.cost_micro
    }

    /// Adds the plan to an audit record.
    pub fn annotate(&self, record: AuditRecord) -> AuditRecord {
        let mut record = record
            .detail("mechanism", self.summary.mechanism)
            .detail("epsilon", self.summary.epsilon.to_string())
            .count("levels", self.summary.levels);
        if let Some(delta) = self.summary.delta {
            record = record.detail("delta", delta.to_string());
        }
        record
    }

    /// Adds noise to every released number of `rows`, from the system's generator.
    pub fn apply(&self, rows: &mut [CountRow], measures: &[Measure]) -> Result<(), OutputError> {
        let mut rng = SystemRandomSource::new();
        self.apply_with(rows, measures, &mut rng)
    }

    fn apply_with(
        &self,
        rows: &mut [CountRow],
        measures: &[Measure],
        rng: &mut dyn RandomSource,
    ) -> Result<(), OutputError> {
        debug_assert_eq!(measures.len(), self.measures.len());
        for row in rows {
            let Some(count) = row.count else {
                continue;
            };
            // A count below zero says nothing the analyst can use; clamping is post-processing and costs no
            // privacy.
            let noisy = (i128::from(count) + self.count.draw(rng)?).max(0);
            let noisy = u64::try_from(noisy).unwrap_or(u64::MAX);
            row.count = Some(noisy);
            for (value, noise) in row.measures.iter_mut().zip(&self.measures) {
                if let Some(sum) = value.sum {
                    let noisy_sum = sum + noise.draw(rng)?;
                    value.sum = Some(noisy_sum);
                    value.mean = (noisy > 0).then(|| noisy_sum as f64 / noisy as f64);
                }
            }
        }
        Ok(())
    }
}

fn statistic(name: &str, noise: Noise) -> Result<StatisticNoise, OutputError> {
    let (parameter, value) = noise.describe()?;
    Ok(StatisticNoise {
        statistic: name.to_owned(),
        parameter,
        value,
        bound_95: noise.bound()?,
    })
}

/// The budgets a query of `requester` is charged to now: the requester's day and month, and the host's.
pub(crate) fn budget_limits(
    policy: &Policy,
    requester: &str,
    now: time::OffsetDateTime,
) -> Vec<BudgetLimit> {
    let Some(dp) = &policy.aggregates().differential_privacy else {
        return Vec::new();
    };
    let day = format!(
        "day:{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    );
    let month = format!("month:{:04}-{:02}", now.year(), u8::from(now.month()));
    let requester_scope = format!("requester:{requester}");
    let mut limits = vec![BudgetLimit {
        scope: requester_scope.clone(),
        period: day.clone(),
        limit_micro: micro_epsilon_limit(dp.budget_per_day),
    }];
    if let Some(m) = dp.budget_per_month {
        limits.push(BudgetLimit {
            scope: requester_scope,
            period: month.clone(),
            limit_micro: micro_epsilon_limit(m),
        });
    }
    if let Some(d) = dp.host_budget_per_day {
        limits.push(BudgetLimit {
            scope: "host".into(),
            period: day,
            limit_micro: micro_epsilon_limit(d),
        });
    }
    if let Some(m) = dp.host_budget_per_month {
        limits.push(BudgetLimit {
            scope: "host".into(),
            period: month,
            limit_micro: micro_epsilon_limit(m),
        });
    }
    limits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::{MeasureValue, RowKind};

    const EXAMPLE: &str = include_str!("../../../policies/example-retail.yaml");

    fn policy(edit: impl Fn(&str) -> String) -> Policy {
        cohort_policy::parse_policy("example", &edit(EXAMPLE)).unwrap()
    }

    /// A deterministic source for tests (xorshift64*); production code only ever builds `SystemRandomSource`.
    struct Xorshift(u64);

    impl RandomSource for Xorshift {
        fn fill(&mut self, buf: &mut [u8]) -> Result<(), cohort_noise::NoiseError> {
            for b in buf {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                *b = (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8;
            }
            Ok(())
        }
    }

    #[test]
    fn laplace_scale_grows_with_levels_and_the_number_of_statistics() {
        let p = policy(|t| t.to_owned());
        let one_way = DpPlan::from_policy(&p, 1, &[]).unwrap().unwrap();
        let two_way = DpPlan::from_policy(&p, 2, &[]).unwrap().unwrap();
        // epsilon 0.5 for one statistic: scale = levels / 0.5.
        assert_eq!(one_way.summary.noise[0].value, 4.0);
        assert_eq!(two_way.summary.noise[0].value, 8.0);
        assert_eq!(one_way.cost_micro(), 500_000);
        assert!(one_way.summary.noise[0].bound_95 < two_way.summary.noise[0].bound_95);
    }

    #[test]
    fn gaussian_plans_use_delta_and_sums_need_bounds() {
        let p = policy(|t| {
            t.replace(
                "    epsilon_per_query: 0.5",
                "    mechanism: gaussian\n    delta: 1.0e-7\n    epsilon_per_query: 0.5",
            )
        });
        let plan = DpPlan::from_policy(&p, 0, &[]).unwrap().unwrap();
        assert_eq!(plan.summary.mechanism, "gaussian");
        assert_eq!(plan.summary.noise[0].parameter, "gaussian_sigma");
        assert!(plan.summary.noise[0].value > 1.0);
        let unbounded = Measure::for_tests("order_completed.revenue");
        let err = DpPlan::from_policy(&p, 0, &[unbounded]).err().unwrap();
        assert!(err.to_string().contains("sum_bounds"), "{err}");
    }

    #[test]
    fn noise_touches_released_rows_only_and_keeps_means_consistent() {
        let p = policy(|t| t.to_owned());
        let measure = Measure::for_tests("m");
        let mut bounded = measure.clone();
        bounded.bounds = Some(cohort_policy::SumBounds { min: 0, max: 10 });
        let plan = DpPlan::from_policy(&p, 1, std::slice::from_ref(&bounded))
            .unwrap()
            .unwrap();
        let row = |count: Option<u64>, sum: Option<i128>| CountRow {
            kind: RowKind::Cell,
            group: vec!["x".into()],
            count,
            measures: vec![MeasureValue {
                name: "m".into(),
                sum,
                mean: sum.zip(count).map(|(s, n)| s as f64 / n as f64),
            }],
        };
        let rows = vec![row(Some(1000), Some(5000)), row(None, None)];
        let mut rng = Xorshift(0x9e37_79b9_7f4a_7c15);
        let mut moved = 0;
        for _ in 0..20 {
            let mut noisy = rows.clone();
            plan.apply_with(&mut noisy, &[bounded.clone()], &mut rng)
                .unwrap();
            assert_eq!(noisy[1], rows[1], "a withheld row stays withheld");
            let n = noisy[0].count.unwrap();
            let s = noisy[0].measures[0].sum.unwrap();
            assert_eq!(noisy[0].measures[0].mean, Some(s as f64 / n as f64));
            // Count scale 2 / 0.25 = 8, sum scale 2 * 10 / 0.25 = 80: 40 scales is far beyond any draw here.
            assert!(
                n.abs_diff(1000) <= 320 && (s - 5000).abs() <= 3200,
                "{n} {s}"
            );
            if n != 1000 {
                moved += 1;
            }
        }
        assert!(
            moved > 10,
            "noise was added: {moved} of 20 draws moved the count"
        );
    }
}
