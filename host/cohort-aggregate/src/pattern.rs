//! The working state of a two-dimensional release: the true counts of every cell, row, column and the total, and
//! which of those numbers are suppressed so far. Suppression only ever grows.

use std::collections::HashSet;

use crate::AggregateError;

/// The most non-empty cells one two-dimensional table may have.
///
/// The exact audit runs a max-flow per suppressed number and repeats after each repair, so its cost grows faster
/// than the square of the number of cells. 2,500 cells (a 50 × 50 table) is far beyond what a report reads, and
/// measured at about 0.2 s in a debug build on the 2-core development machine (random 50 × 50 tables, k = 50).
pub const MAX_CELLS_2D: usize = 2_500;

/// One number of a two-dimensional table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Item {
    /// A cell, by its index in [`Pattern::cells`].
    Cell(usize),
    /// A row margin, by row index.
    Row(usize),
    /// A column margin, by column index.
    Column(usize),
    /// The grand total.
    Total,
}

/// One non-empty cell.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub(crate) row: usize,
    pub(crate) column: usize,
    pub(crate) count: u64,
}

/// True counts and the suppression mask.
#[derive(Debug, Clone)]
pub(crate) struct Pattern {
    pub(crate) k: u64,
    /// Row labels, in order of first appearance among the non-empty cells.
    pub(crate) rows: Vec<String>,
    /// Column labels, in order of first appearance among the non-empty cells.
    pub(crate) columns: Vec<String>,
    /// Non-empty cells, in input order.
    pub(crate) cells: Vec<Cell>,
    /// Cell indices of each row, in input order.
    pub(crate) row_cells: Vec<Vec<usize>>,
    /// Cell indices of each column, in input order.
    pub(crate) column_cells: Vec<Vec<usize>>,
    pub(crate) row_counts: Vec<u64>,
    pub(crate) column_counts: Vec<u64>,
    pub(crate) total: u64,
    cell_suppressed: Vec<bool>,
    row_suppressed: Vec<bool>,
    column_suppressed: Vec<bool>,
    total_suppressed: bool,
}

impl Pattern {
    /// Reads the input: drops empty cells, refuses duplicates, oversized tables and overflowing sums. Nothing is
    /// suppressed yet.
    pub(crate) fn new(input: &[((String, String), u64)], k: u64) -> Result<Self, AggregateError> {
        let non_empty = input.iter().filter(|(_, c)| *c > 0).count();
        if non_empty > MAX_CELLS_2D {
            return Err(AggregateError::TooManyCells {
                cells: non_empty,
                limit: MAX_CELLS_2D,
            });
        }
        let mut seen = HashSet::new();
        let mut p = Pattern {
            k,
            rows: Vec::new(),
            columns: Vec::new(),
            cells: Vec::with_capacity(non_empty),
            row_cells: Vec::new(),
            column_cells: Vec::new(),
            row_counts: Vec::new(),
            column_counts: Vec::new(),
            total: 0,
            cell_suppressed: vec![false; non_empty],
            row_suppressed: Vec::new(),
            column_suppressed: Vec::new(),
            total_suppressed: false,
        };
        for ((row, column), count) in input.iter().filter(|(_, c)| *c > 0) {
            if !seen.insert((row.as_str(), column.as_str())) {
                return Err(AggregateError::DuplicateCell {
                    row: row.clone(),
                    column: column.clone(),
                });
            }
            let r = index_of(&mut p.rows, row);
            let c = index_of(&mut p.columns, column);
            if r == p.row_cells.len() {
                p.row_cells.push(Vec::new());
                p.row_counts.push(0);
            }
            if c == p.column_cells.len() {
                p.column_cells.push(Vec::new());
                p.column_counts.push(0);
            }
            p.row_cells[r].push(p.cells.len());
            p.column_cells[c].push(p.cells.len());
            p.row_counts[r] = add(p.row_counts[r], *count, || format!("row `{row}`"))?;
            p.column_counts[c] = add(p.column_counts[c], *count, || format!("column `{column}`"))?;
            p.total = add(p.total, *count, || "the table".to_string())?;
            p.cells.push(Cell {
                row: r,
                column: c,
                count: *count,
            });
        }
        p.row_suppressed = vec![false; p.rows.len()];
        p.column_suppressed = vec![false; p.columns.len()];
        Ok(p)
    }

    /// Every number of the table: cells, row margins, column margins, total.
    pub(crate) fn items(&self) -> impl Iterator<Item = Item> + use<> {
        (0..self.cells.len())
            .map(Item::Cell)
            .chain((0..self.rows.len()).map(Item::Row))
            .chain((0..self.columns.len()).map(Item::Column))
            .chain(std::iter::once(Item::Total))
    }

    /// The true value of a number.
    pub(crate) fn value(&self, item: Item) -> u64 {
        match item {
            Item::Cell(i) => self.cells[i].count,
            Item::Row(r) => self.row_counts[r],
            Item::Column(c) => self.column_counts[c],
            Item::Total => self.total,
        }
    }

    /// Whether a number is withheld.
    pub(crate) fn is_suppressed(&self, item: Item) -> bool {
        match item {
            Item::Cell(i) => self.cell_suppressed[i],
            Item::Row(r) => self.row_suppressed[r],
            Item::Column(c) => self.column_suppressed[c],
            Item::Total => self.total_suppressed,
        }
    }

    /// Withholds a number; returns whether it was released before.
    pub(crate) fn suppress(&mut self, item: Item) -> bool {
        let flag = match item {
            Item::Cell(i) => &mut self.cell_suppressed[i],
            Item::Row(r) => &mut self.row_suppressed[r],
            Item::Column(c) => &mut self.column_suppressed[c],
            Item::Total => &mut self.total_suppressed,
        };
        !std::mem::replace(flag, true)
    }

    /// The part of a number that the released cells do not account for: the sum of the suppressed cells it covers.
    pub(crate) fn withheld_part(&self, item: Item) -> u64 {
        let sum = |cells: &mut dyn Iterator<Item = usize>| {
            cells
                .filter(|i| self.cell_suppressed[*i])
                .map(|i| self.cells[i].count)
                .sum::<u64>()
        };
        match item {
            Item::Cell(i) => self.cells[i].count,
            Item::Row(r) => sum(&mut self.row_cells[r].iter().copied()),
            Item::Column(c) => sum(&mut self.column_cells[c].iter().copied()),
            Item::Total => sum(&mut (0..self.cells.len())),
        }
    }
}

fn index_of(labels: &mut Vec<String>, label: &str) -> usize {
    match labels.iter().position(|l| l == label) {
        Some(i) => i,
        None => {
            labels.push(label.to_string());
            labels.len() - 1
        }
    }
}

fn add(a: u64, b: u64, line: impl FnOnce() -> String) -> Result<u64, AggregateError> {
    a.checked_add(b)
        .ok_or_else(|| AggregateError::CountOverflow { line: line() })
}
