//! Two-dimensional tables with margins: primary suppression, the line rule applied to every row, column and margin
//! until nothing changes, then the exact audit and its repairs, until no suppressed number is exposed.

use serde::Serialize;

use crate::audit;
use crate::one_dim::protect_line;
use crate::pattern::{Item, Pattern};
use crate::{AggregateError, Count};

/// One cell of a released two-dimensional table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasedCell<T = Count> {
    pub(crate) row: String,
    pub(crate) column: String,
    pub(crate) value: T,
}

impl<T: Copy> ReleasedCell<T> {
    /// Row label.
    pub fn row(&self) -> &str {
        &self.row
    }

    /// Column label.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The released value, or suppressed.
    pub fn value(&self) -> T {
        self.value
    }
}

/// A two-dimensional table with row margins, column margins and the grand total, after thresholding: counts
/// ([`Count`], from [`release_two_dimensions`]), or a measure released through the counts' suppression
/// ([`crate::Measure`], from [`ReleasedTable2::release_measure`]). Only this crate builds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReleasedTable2<T = Count> {
    pub(crate) k: u64,
    pub(crate) cells: Vec<ReleasedCell<T>>,
    pub(crate) rows: Vec<(String, T)>,
    pub(crate) columns: Vec<(String, T)>,
    pub(crate) total: T,
}

impl<T: Copy> ReleasedTable2<T> {
    /// The threshold applied.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// The non-empty cells, in input order. A (row, column) pair not listed has no subjects.
    pub fn cells(&self) -> &[ReleasedCell<T>] {
        &self.cells
    }

    /// Row margins (row label, sum over the row), rows in order of first appearance among the cells.
    pub fn rows(&self) -> &[(String, T)] {
        &self.rows
    }

    /// Column margins (column label, sum over the column), columns in order of first appearance among the cells.
    pub fn columns(&self) -> &[(String, T)] {
        &self.columns
    }

    /// The grand total.
    pub fn total(&self) -> T {
        self.total
    }
}

/// Thresholds a two-dimensional table at `k >= 2` (smaller `k` is raised to 2).
///
/// `cells` are ((row label, column label), distinct subjects); cells of zero are dropped, and the rows and columns
/// are those with a non-empty cell. Every released number (cell, margin, total) is at least `k`, and every
/// suppressed one, given all released numbers, is undetermined and can be as large as `k` (see the crate doc).
///
/// # Errors
///
/// [`AggregateError::DuplicateCell`] when a (row, column) pair is listed twice, [`AggregateError::TooManyCells`]
/// beyond [`crate::MAX_CELLS_2D`] non-empty cells, [`AggregateError::CountOverflow`] when a sum leaves `u64`.
pub fn release_two_dimensions(
    cells: &[((String, String), u64)],
    k: u64,
) -> Result<ReleasedTable2, AggregateError> {
    let mut p = Pattern::new(cells, k.max(2))?;
    suppress_primary(&mut p);
    loop {
        apply_line_rules(&mut p);
        let Some(exposure) = audit::find_exposed(&p) else {
            break;
        };
        match audit::repair(&p, &exposure) {
            Some(item) => {
                p.suppress(item);
            }
            // Unreachable in practice: with nothing released every suppressed number is unbounded above, so nothing
            // is exposed.
            None => break,
        }
    }
    Ok(publish(&p))
}

/// Primary suppression: every number under `k`.
fn suppress_primary(p: &mut Pattern) {
    for item in p.items() {
        if p.value(item) < p.k {
            p.suppress(item);
        }
    }
}

/// Applies the line rule to every row and column against its margin, and to the row margins and the column margins
/// against the total, while any of them changes something. Each line with a released sum ends with no suppressed
/// cell, or at least two whose feasible maximum along the line reaches `k`; a line where that cannot be reached has
/// its sum suppressed.
pub(crate) fn apply_line_rules(p: &mut Pattern) {
    let row_lines: Vec<(Item, Vec<Item>)> = (0..p.rows.len())
        .map(|r| {
            (
                Item::Row(r),
                p.row_cells[r].iter().map(|i| Item::Cell(*i)).collect(),
            )
        })
        .collect();
    let column_lines: Vec<(Item, Vec<Item>)> = (0..p.columns.len())
        .map(|c| {
            (
                Item::Column(c),
                p.column_cells[c].iter().map(|i| Item::Cell(*i)).collect(),
            )
        })
        .collect();
    let margin_lines = [
        (
            Item::Total,
            (0..p.rows.len()).map(Item::Row).collect::<Vec<_>>(),
        ),
        (
            Item::Total,
            (0..p.columns.len()).map(Item::Column).collect(),
        ),
    ];
    let lines: Vec<(Item, Vec<Item>)> = row_lines
        .into_iter()
        .chain(column_lines)
        .chain(margin_lines)
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for (sum, parts) in &lines {
            if p.is_suppressed(*sum) {
                continue;
            }
            let counts: Vec<u64> = parts.iter().map(|i| p.value(*i)).collect();
            let mut suppressed: Vec<bool> = parts.iter().map(|i| p.is_suppressed(*i)).collect();
            let protected = protect_line(&counts, &mut suppressed, p.k);
            for (part, s) in parts.iter().zip(suppressed) {
                if s {
                    changed |= p.suppress(*part);
                }
            }
            if !protected {
                changed |= p.suppress(*sum);
            }
        }
    }
}

/// The released table: true values where released, [`Count::Suppressed`] elsewhere.
fn publish(p: &Pattern) -> ReleasedTable2 {
    let count = |item: Item| {
        if p.is_suppressed(item) {
            Count::Suppressed
        } else {
            Count::Value(p.value(item))
        }
    };
    ReleasedTable2 {
        k: p.k,
        cells: p
            .cells
            .iter()
            .enumerate()
            .map(|(i, cell)| ReleasedCell {
                row: p.rows[cell.row].clone(),
                column: p.columns[cell.column].clone(),
                value: count(Item::Cell(i)),
            })
            .collect(),
        rows: p
            .rows
            .iter()
            .enumerate()
            .map(|(r, label)| (label.clone(), count(Item::Row(r))))
            .collect(),
        columns: p
            .columns
            .iter()
            .enumerate()
            .map(|(c, label)| (label.clone(), count(Item::Column(c))))
            .collect(),
        total: count(Item::Total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(list: &[(&str, &str, u64)]) -> Vec<((String, String), u64)> {
        list.iter()
            .map(|(r, c, n)| ((r.to_string(), c.to_string()), *n))
            .collect()
    }

    /// Rows a, b, c; columns x, y, z; k = 6.
    ///
    /// ```text
    ///        x    y    z  | row
    ///   a   27    5   71  | 103
    ///   b    .    .    7  |   7
    ///   c    .    8   17  |  25
    ///  col  27   13   95  | 135
    /// ```
    ///
    /// Primary: (a, y) = 5. Line rules: row a takes (a, x) = 27; column y takes (c, y) = 8; column x has one cell,
    /// so its margin goes; row c takes (c, z) = 17; column z takes (b, z) = 7; row b has one cell, so its margin
    /// goes. Column margins against the total: x alone, so y (13) goes too; row margins: b alone, so c (25) goes.
    /// Every line now passes the line rule, yet row a, column z and the total stay released, and
    /// `135 - 71 - (103 - 71) - (95 - 71) = 8`: the total minus row a minus column z leaves exactly (c, y).
    fn line_rules_are_not_enough() -> Vec<((String, String), u64)> {
        cells(&[
            ("a", "x", 27),
            ("a", "y", 5),
            ("a", "z", 71),
            ("b", "z", 7),
            ("c", "y", 8),
            ("c", "z", 17),
        ])
    }

    #[test]
    fn the_audit_finds_what_the_line_rules_miss() {
        let mut p = Pattern::new(&line_rules_are_not_enough(), 6).unwrap();
        suppress_primary(&mut p);
        apply_line_rules(&mut p);
        let suppressed =
            |p: &Pattern| -> Vec<Item> { p.items().filter(|i| p.is_suppressed(*i)).collect() };
        assert_eq!(
            suppressed(&p),
            vec![
                Item::Cell(0),
                Item::Cell(1),
                Item::Cell(3),
                Item::Cell(4),
                Item::Cell(5),
                Item::Row(1),
                Item::Row(2),
                Item::Column(0),
                Item::Column(1),
            ]
        );
        let exposure = audit::find_exposed(&p).unwrap();
        assert_eq!(exposure.item, Item::Cell(4), "(c, y) is determined");
        // Its rise is held by row a, column z and the total; the smallest of them is the cell (a, z) = 71, whose
        // unbounded arc a -> z crosses the cut.
        assert_eq!(audit::repair(&p, &exposure), Some(Item::Cell(2)));
    }

    #[test]
    fn the_release_repairs_it() {
        let t = release_two_dimensions(&line_rules_are_not_enough(), 6).unwrap();
        // After (a, z) goes, row a and column z keep their margins and the total stays: every cell is withheld.
        assert!(t.cells().iter().all(|c| c.value().is_suppressed()));
        assert_eq!(t.rows()[0], ("a".to_string(), Count::Value(103)));
        assert_eq!(t.columns()[2], ("z".to_string(), Count::Value(95)));
        assert_eq!(t.total(), Count::Value(135));
    }

    #[test]
    fn input_errors_name_the_cell() {
        let twice = cells(&[("a", "x", 10), ("a", "x", 12)]);
        assert_eq!(
            release_two_dimensions(&twice, 5),
            Err(AggregateError::DuplicateCell {
                row: "a".to_string(),
                column: "x".to_string()
            })
        );
        let overflow = cells(&[("a", "x", u64::MAX), ("a", "y", 1)]);
        assert_eq!(
            release_two_dimensions(&overflow, 5),
            Err(AggregateError::CountOverflow {
                line: "row `a`".to_string()
            })
        );
        let too_many: Vec<((String, String), u64)> = (0..=crate::MAX_CELLS_2D)
            .map(|i| ((format!("r{}", i / 100), format!("c{}", i % 100)), 1))
            .collect();
        assert_eq!(
            release_two_dimensions(&too_many, 5),
            Err(AggregateError::TooManyCells {
                cells: crate::MAX_CELLS_2D + 1,
                limit: crate::MAX_CELLS_2D
            })
        );
    }

    #[test]
    fn zero_cells_are_dropped_and_k_is_at_least_two() {
        let t = release_two_dimensions(&cells(&[("a", "x", 0), ("b", "y", 1)]), 0).unwrap();
        assert_eq!(t.k(), 2);
        assert_eq!(t.cells().len(), 1);
        assert_eq!(t.rows().len(), 1);
        assert_eq!(t.columns().len(), 1);
        assert_eq!(t.total(), Count::Suppressed);
    }
}
