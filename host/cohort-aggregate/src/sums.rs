//! Measures (sums of a numeric attribute, and their means) released through a count table's suppression: a sum is
//! released exactly where the count of the same cell, margin or total is released.

use std::collections::HashMap;
use std::hash::Hash;

use serde::Serialize;

use crate::{AggregateError, Count, ReleasedCell, ReleasedTable, ReleasedTable2};

/// A released measure: the sum over the subjects of a cell (or margin, or total) and the mean per subject, or
/// suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Released: the count of the same cell is released and at least `k`.
    Value {
        /// Sum of the attribute over the cell's subjects.
        sum: i128,
        /// `sum` divided by the cell's released count.
        mean: f64,
    },
    /// Withheld, because the count of the same cell is withheld.
    Suppressed,
}

impl Measure {
    /// The sum, if released.
    pub fn sum(self) -> Option<i128> {
        match self {
            Measure::Value { sum, .. } => Some(sum),
            Measure::Suppressed => None,
        }
    }

    /// The mean, if released.
    pub fn mean(self) -> Option<f64> {
        match self {
            Measure::Value { mean, .. } => Some(mean),
            Measure::Suppressed => None,
        }
    }

    /// The measure of a number whose sum is `sum` and whose count was released as `count`.
    fn through(count: Count, sum: i128) -> Measure {
        match count {
            Count::Value(n) if n > 0 => Measure::Value {
                sum,
                mean: sum as f64 / n as f64,
            },
            _ => Measure::Suppressed,
        }
    }
}

impl ReleasedTable<Count> {
    /// Releases a measure through this table's suppression.
    ///
    /// `sums` gives, for every listed cell (suppressed or not), the sum of a numeric attribute over that cell's
    /// subjects. The total's sum is computed here. A sum is released where the count is released, with the mean
    /// `sum / count`, and suppressed where it is suppressed.
    ///
    /// # Errors
    ///
    /// A sum for a cell the table does not list, a listed cell without a sum, a cell given twice, or a total that
    /// leaves `i128`.
    pub fn release_measure(
        &self,
        sums: &[(String, i128)],
    ) -> Result<ReleasedTable<Measure>, AggregateError> {
        let given: Vec<(&str, i128)> = sums.iter().map(|(l, s)| (l.as_str(), *s)).collect();
        let listed: Vec<&str> = self.cells.iter().map(|(l, _)| l.as_str()).collect();
        let cell_sums = match_sums(&given, &listed, |label| format!("`{label}`"))?;
        let mut total = 0i128;
        for sum in &cell_sums {
            total = checked(total, *sum, "the table")?;
        }
        Ok(ReleasedTable {
            k: self.k,
            cells: self
                .cells
                .iter()
                .zip(cell_sums)
                .map(|((label, count), sum)| (label.clone(), Measure::through(*count, sum)))
                .collect(),
            total: Measure::through(self.total, total),
        })
    }
}

impl ReleasedTable2<Count> {
    /// Releases a measure through this table's suppression, for cells, margins and the total.
    ///
    /// `sums` gives, for every listed cell (suppressed or not), the sum of a numeric attribute over that cell's
    /// subjects. Margin and total sums are computed here from the cells. A sum is released exactly where the count
    /// of the same cell, margin or total is released, with the mean `sum / count`, and suppressed where it is
    /// suppressed.
    ///
    /// # Errors
    ///
    /// A sum for a cell the table does not list, a listed cell without a sum, a cell given twice, or a margin or
    /// total that leaves `i128`.
    pub fn release_measure(
        &self,
        sums: &[((String, String), i128)],
    ) -> Result<ReleasedTable2<Measure>, AggregateError> {
        let given: Vec<((&str, &str), i128)> = sums
            .iter()
            .map(|((r, c), s)| ((r.as_str(), c.as_str()), *s))
            .collect();
        let listed: Vec<(&str, &str)> = self
            .cells
            .iter()
            .map(|cell| (cell.row.as_str(), cell.column.as_str()))
            .collect();
        let cell_sums = match_sums(&given, &listed, |(row, column)| {
            format!("(`{row}`, `{column}`)")
        })?;
        let row_index: HashMap<&str, usize> = self
            .rows
            .iter()
            .enumerate()
            .map(|(i, (l, _))| (l.as_str(), i))
            .collect();
        let column_index: HashMap<&str, usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (l, _))| (l.as_str(), i))
            .collect();
        let mut row_sums: Vec<i128> = vec![0; self.rows.len()];
        let mut column_sums: Vec<i128> = vec![0; self.columns.len()];
        let mut total = 0i128;
        for ((row, column), sum) in listed.iter().zip(&cell_sums) {
            // The table's margins are built from its own cells, so every cell's row and column has an index.
            if let Some(r) = row_index.get(row) {
                row_sums[*r] = checked(row_sums[*r], *sum, &format!("row `{row}`"))?;
            }
            if let Some(c) = column_index.get(column) {
                column_sums[*c] = checked(column_sums[*c], *sum, &format!("column `{column}`"))?;
            }
            total = checked(total, *sum, "the table")?;
        }
        let margins = |margins: &[(String, Count)], sums: Vec<i128>| {
            margins
                .iter()
                .zip(sums)
                .map(|((label, count), sum)| (label.clone(), Measure::through(*count, sum)))
                .collect()
        };
        Ok(ReleasedTable2 {
            k: self.k,
            cells: self
                .cells
                .iter()
                .zip(cell_sums)
                .map(|(cell, sum)| ReleasedCell {
                    row: cell.row.clone(),
                    column: cell.column.clone(),
                    value: Measure::through(cell.value, sum),
                })
                .collect(),
            rows: margins(&self.rows, row_sums),
            columns: margins(&self.columns, column_sums),
            total: Measure::through(self.total, total),
        })
    }
}

/// The given sum of each listed cell, in the table's order. Refuses a cell given twice (or listed twice), a listed
/// cell not given, and a given cell not listed.
fn match_sums<K: Hash + Eq + Copy>(
    given: &[(K, i128)],
    listed: &[K],
    name: impl Fn(K) -> String,
) -> Result<Vec<i128>, AggregateError> {
    let mut by_key = HashMap::with_capacity(given.len());
    for (key, sum) in given {
        if by_key.insert(*key, *sum).is_some() {
            return Err(AggregateError::DuplicateMeasure { cell: name(*key) });
        }
    }
    let mut matched = Vec::with_capacity(listed.len());
    for key in listed {
        match by_key.remove(key) {
            Some(sum) => matched.push(sum),
            None if given.iter().any(|(k, _)| k == key) => {
                return Err(AggregateError::DuplicateMeasure { cell: name(*key) });
            }
            None => return Err(AggregateError::MissingMeasure { cell: name(*key) }),
        }
    }
    match given.iter().find(|(key, _)| by_key.contains_key(key)) {
        Some((key, _)) => Err(AggregateError::MeasureForUnknownCell { cell: name(*key) }),
        None => Ok(matched),
    }
}

fn checked(a: i128, b: i128, line: &str) -> Result<i128, AggregateError> {
    a.checked_add(b)
        .ok_or_else(|| AggregateError::MeasureOverflow {
            line: line.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{release_one_dimension, release_two_dimensions};

    fn labels(list: &[(&str, u64)]) -> Vec<(String, u64)> {
        list.iter().map(|(l, n)| (l.to_string(), *n)).collect()
    }

    #[test]
    fn a_one_dimensional_measure_follows_the_counts() {
        // k = 50: the same table as the 1-D count test; b (3) and d (75) are withheld.
        let t = release_one_dimension(&labels(&[("a", 400), ("b", 3), ("c", 120), ("d", 75)]), 50);
        let sums = vec![
            ("a".to_string(), 4_000),
            ("b".to_string(), -30),
            ("c".to_string(), 600),
            ("d".to_string(), 750),
        ];
        let m = t.release_measure(&sums).unwrap();
        let cells: Vec<(String, Option<i128>)> = m
            .cells()
            .iter()
            .map(|(l, v)| (l.clone(), v.sum()))
            .collect();
        assert_eq!(
            cells,
            vec![
                ("a".to_string(), Some(4_000)),
                ("b".to_string(), None),
                ("c".to_string(), Some(600)),
                ("d".to_string(), None),
            ]
        );
        assert_eq!(m.cells()[0].1.mean(), Some(10.0));
        assert_eq!(m.total().sum(), Some(4_000 - 30 + 600 + 750));
        assert_eq!(m.total().mean(), Some(5_320.0 / 598.0));
    }

    #[test]
    fn measure_inputs_must_match_the_listed_cells() {
        let t = release_one_dimension(&labels(&[("a", 60), ("b", 70), ("c", 0)]), 50);
        let given = |list: &[(&str, i128)]| -> Vec<(String, i128)> {
            list.iter().map(|(l, s)| (l.to_string(), *s)).collect()
        };
        assert_eq!(
            t.release_measure(&given(&[("a", 1)])),
            Err(AggregateError::MissingMeasure {
                cell: "`b`".to_string()
            })
        );
        assert_eq!(
            t.release_measure(&given(&[("a", 1), ("b", 2), ("a", 3)])),
            Err(AggregateError::DuplicateMeasure {
                cell: "`a`".to_string()
            })
        );
        // c has no subjects, so the table does not list it and it can have no sum.
        assert_eq!(
            t.release_measure(&given(&[("a", 1), ("b", 2), ("c", 0)])),
            Err(AggregateError::MeasureForUnknownCell {
                cell: "`c`".to_string()
            })
        );
        let t2 = release_two_dimensions(&[(("r".to_string(), "c".to_string()), 60)], 50).unwrap();
        assert_eq!(
            t2.release_measure(&[
                (("r".to_string(), "c".to_string()), i128::MAX),
                (("r".to_string(), "d".to_string()), 1)
            ]),
            Err(AggregateError::MeasureForUnknownCell {
                cell: "(`r`, `d`)".to_string()
            })
        );
        let t3 = release_two_dimensions(
            &[
                (("r".to_string(), "c".to_string()), 60),
                (("r".to_string(), "d".to_string()), 60),
            ],
            50,
        )
        .unwrap();
        assert_eq!(
            t3.release_measure(&[
                (("r".to_string(), "c".to_string()), i128::MAX),
                (("r".to_string(), "d".to_string()), 1)
            ]),
            Err(AggregateError::MeasureOverflow {
                line: "row `r`".to_string()
            })
        );
    }
}
