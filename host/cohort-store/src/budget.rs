//! The privacy-budget ledger: epsilon spent per requester and per host, per day and per month.
//!
//! Spending is kept in millionths of epsilon (`u64`), so that sums are exact and the comparison with a limit is
//! the same on every machine. One ledger line is one key in the `B` keyspace: scope ‖ 0 ‖ period
//! (`requester:cli:alice` ‖ 0 ‖ `day:2026-11-24`), value the spent amount (big-endian u64). No personal data:
//! requesters are the host's own users and API keys.
//!
//! [`Store::charge_budget`] checks every line and charges them together with the audit entry of the release, in one
//! sled batch under the store's writer lock: two concurrent queries cannot both pass a check that only one of them
//! fits under, and a charge is never recorded without its audit entry (or the reverse).

use crate::audit_log::{AuditRecord, append_to_batch};
use crate::keyspace;
use crate::{Store, StoreError};
use serde::Serialize;

/// Millionths of epsilon per epsilon.
pub const MICRO_PER_EPSILON: u64 = 1_000_000;

/// Converts an epsilon from the policy to millionths, rounding up (a charge is never smaller than asked).
pub fn micro_epsilon(epsilon: f64) -> u64 {
    if epsilon.is_finite() && epsilon > 0.0 {
        // The policy's numbers are a few decimals; the product is far below 2^53, so this is exact up to rounding.
        (epsilon * MICRO_PER_EPSILON as f64).ceil() as u64
    } else {
        0
    }
}

/// Converts an epsilon from the policy to millionths, rounding down (a limit is never larger than written).
pub fn micro_epsilon_limit(epsilon: f64) -> u64 {
    if epsilon.is_finite() && epsilon > 0.0 {
        (epsilon * MICRO_PER_EPSILON as f64).floor() as u64
    } else {
        0
    }
}

/// One budget that a release is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetLimit {
    /// Whose budget: `requester:<name>` or `host`.
    pub scope: String,
    /// Which period: `day:YYYY-MM-DD` or `month:YYYY-MM`.
    pub period: String,
    /// The most that may be spent in the period, in millionths of epsilon.
    pub limit_micro: u64,
}

/// A budget line with what has been spent on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BudgetLine {
    /// The budget.
    #[serde(flatten)]
    pub limit: BudgetLimit,
    /// Spent so far in the period, in millionths of epsilon.
    pub spent_micro: u64,
}

impl BudgetLine {
    /// What is left in the period.
    pub fn remaining_micro(&self) -> u64 {
        self.limit.limit_micro.saturating_sub(self.spent_micro)
    }
}

/// What a charge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChargeOutcome {
    /// Charged on every line; the lines as they are now, and the audit entry written with the charge.
    Charged {
        /// Every line after the charge.
        lines: Vec<BudgetLine>,
        /// Index of the audit entry.
        audit_seq: u64,
    },
    /// Nothing charged and nothing written: this line has too little left.
    Refused {
        /// The first line that cannot pay, before the charge.
        line: BudgetLine,
        /// What the release asked for, in millionths of epsilon.
        asked_micro: u64,
    },
}

fn ledger_key(scope: &str, period: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(2 + scope.len() + period.len());
    k.push(keyspace::BUDGET);
    k.extend_from_slice(scope.as_bytes());
    k.push(0);
    k.extend_from_slice(period.as_bytes());
    k
}

impl Store {
    /// The lines of `limits` with what has been spent on each (a dry run: nothing is written).
    pub fn budget_lines(&self, limits: &[BudgetLimit]) -> Result<Vec<BudgetLine>, StoreError> {
        limits
            .iter()
            .map(|limit| {
                let spent = self
                    .tree
                    .get(ledger_key(&limit.scope, &limit.period))?
                    .and_then(|v| keyspace::u64_value(&v))
                    .unwrap_or(0);
                Ok(BudgetLine {
                    limit: limit.clone(),
                    spent_micro: spent,
                })
            })
            .collect()
    }

    /// Charges `cost_micro` to every line of `limits` and appends `record` (completed with the cost), atomically,
    /// if every line can pay; otherwise writes nothing and says which line cannot.
    pub fn charge_budget(
        &self,
        limits: &[BudgetLimit],
        cost_micro: u64,
        record: AuditRecord,
    ) -> Result<ChargeOutcome, StoreError> {
        // The writer lock serialises every write of this process, and sled lets one process open the store: the
        // check below and the write after it cannot interleave with another charge.
        let mut state = self.lock_settled()?;
        let lines = self.budget_lines(limits)?;
        if let Some(line) = lines
            .iter()
            .find(|l| l.spent_micro.saturating_add(cost_micro) > l.limit.limit_micro)
        {
            return Ok(ChargeOutcome::Refused {
                line: line.clone(),
                asked_micro: cost_micro,
            });
        }
        let mut batch = sled::Batch::default();
        let charged: Vec<BudgetLine> = lines
            .into_iter()
            .map(|mut l| {
                l.spent_micro += cost_micro;
                batch.insert(
                    ledger_key(&l.limit.scope, &l.limit.period),
                    &l.spent_micro.to_be_bytes()[..],
                );
                l
            })
            .collect();
        let record = record.count("epsilon_micro", cost_micro);
        let mut frontier = state.frontier.clone();
        let seq = append_to_batch(self, &mut batch, &mut frontier, &record)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        state.frontier = frontier;
        Ok(ChargeOutcome::Charged {
            lines: charged,
            audit_seq: seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_epsilons_round_against_the_requester() {
        assert_eq!(micro_epsilon(0.5), 500_000);
        assert_eq!(micro_epsilon(0.1), 100_000);
        assert_eq!(micro_epsilon(1e-7), 1);
        assert_eq!(micro_epsilon_limit(1e-7), 0);
        assert_eq!(micro_epsilon(0.0), 0);
        assert_eq!(micro_epsilon(f64::NAN), 0);
    }
}
