//! The two-dimensional guarantee, checked exactly from the outside: for every suppressed number, its feasible
//! minimum and maximum given everything released, computed by a linear program (exact here, because the constraints
//! are row sums, column sums and a total: a totally unimodular system, so the LP optimum over integral bounds is
//! integral).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cohort_aggregate::{Count, Measure, ReleasedTable2, release_two_dimensions};
use microlp::{ComparisonOp, Error as LpError, OptimizationDirection, Problem};
use proptest::prelude::*;

/// A table as the caller knows it: ((row, column), true count).
type Input = Vec<((String, String), u64)>;

fn grid(counts: &[Vec<u64>]) -> Input {
    counts
        .iter()
        .enumerate()
        .flat_map(|(r, row)| {
            row.iter()
                .enumerate()
                .map(move |(c, n)| ((format!("r{r}"), format!("c{c}")), *n))
        })
        .collect()
}

/// A suppressed number of a released table: which cells it sums.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Cell(usize),
    Row(usize),
    Column(usize),
    Total,
}

/// What an observer can derive about a suppressed number from the released table alone: `(min, max)`, `max` being
/// `None` when unbounded.
fn feasible_range(t: &ReleasedTable2, target: Target) -> (u64, Option<u64>) {
    let cells = t.cells();
    let in_row = |i: usize, r: usize| cells[i].row() == t.rows()[r].0;
    let in_column = |i: usize, c: usize| cells[i].column() == t.columns()[c].0;
    let covers = |i: usize| match target {
        Target::Cell(j) => i == j,
        Target::Row(r) => in_row(i, r),
        Target::Column(c) => in_column(i, c),
        Target::Total => true,
    };
    // The released part of the target is a constant; its suppressed cells are the objective.
    let constant: u64 = (0..cells.len())
        .filter(|i| covers(*i))
        .filter_map(|i| cells[i].value().value())
        .sum();
    let objective: Vec<usize> = (0..cells.len())
        .filter(|i| covers(*i) && cells[*i].value().is_suppressed())
        .collect();
    if objective.is_empty() {
        return (constant, Some(constant));
    }
    let solve = |direction| {
        let mut lp = Problem::new(direction);
        // One variable per suppressed cell: an integer of at least 1 (absent cells are 0 and not listed).
        let vars: Vec<Option<microlp::Variable>> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                cell.value().is_suppressed().then(|| {
                    let weight = if objective.contains(&i) { 1.0 } else { 0.0 };
                    lp.add_var(weight, (1.0, f64::INFINITY))
                })
            })
            .collect();
        // Every released sum: its suppressed cells add up to the sum minus its released cells.
        let mut sums: Vec<(Vec<usize>, u64)> = Vec::new();
        for (r, (_, count)) in t.rows().iter().enumerate() {
            if let Count::Value(v) = count {
                sums.push(((0..cells.len()).filter(|i| in_row(*i, r)).collect(), *v));
            }
        }
        for (c, (_, count)) in t.columns().iter().enumerate() {
            if let Count::Value(v) = count {
                sums.push(((0..cells.len()).filter(|i| in_column(*i, c)).collect(), *v));
            }
        }
        if let Count::Value(v) = t.total() {
            sums.push(((0..cells.len()).collect(), v));
        }
        for (members, sum) in sums {
            let released: u64 = members
                .iter()
                .filter_map(|i| cells[*i].value().value())
                .sum();
            let terms: Vec<(microlp::Variable, f64)> = members
                .iter()
                .filter_map(|i| vars[*i])
                .map(|v| (v, 1.0))
                .collect();
            assert!(released <= sum, "released cells exceed their released sum");
            if terms.is_empty() {
                assert_eq!(
                    released, sum,
                    "a released sum disagrees with its released cells"
                );
            } else {
                lp.add_constraint(terms, ComparisonOp::Eq, (sum - released) as f64);
            }
        }
        match lp.solve() {
            Ok(outcome) => {
                let value = outcome.into_solution().unwrap().objective();
                assert!(
                    (value - value.round()).abs() < 1e-6,
                    "LP bound {value} is not integral"
                );
                Some(value.round() as u64)
            }
            Err(LpError::Unbounded) => None,
            Err(e) => panic!("LP failed: {e:?}"),
        }
    };
    let min =
        solve(OptimizationDirection::Minimize).expect("the minimum is bounded below by 1 per cell");
    let max = solve(OptimizationDirection::Maximize);
    (constant + min, max.map(|m| constant + m))
}

/// Every suppressed number of `t`, with its true value from `input`.
fn suppressed_numbers(t: &ReleasedTable2, input: &Input) -> Vec<(Target, u64)> {
    let truth = |cover: &dyn Fn(&str, &str) -> bool| -> u64 {
        input
            .iter()
            .filter(|((r, c), _)| cover(r, c))
            .map(|(_, n)| n)
            .sum()
    };
    let mut out = Vec::new();
    for (i, cell) in t.cells().iter().enumerate() {
        if cell.value().is_suppressed() {
            out.push((
                Target::Cell(i),
                truth(&|r, c| r == cell.row() && c == cell.column()),
            ));
        }
    }
    for (r, (label, count)) in t.rows().iter().enumerate() {
        if count.is_suppressed() {
            out.push((Target::Row(r), truth(&|row, _| row == label)));
        }
    }
    for (c, (label, count)) in t.columns().iter().enumerate() {
        if count.is_suppressed() {
            out.push((Target::Column(c), truth(&|_, column| column == label)));
        }
    }
    if t.total().is_suppressed() {
        out.push((Target::Total, truth(&|_, _| true)));
    }
    out
}

/// The guarantee: released numbers are true and at least k; every suppressed number is undetermined and can reach k.
fn check_guarantee(input: &Input, t: &ReleasedTable2, k: u64) -> Result<(), TestCaseError> {
    let truth = |cover: &dyn Fn(&str, &str) -> bool| -> u64 {
        input
            .iter()
            .filter(|((r, c), _)| cover(r, c))
            .map(|(_, n)| n)
            .sum()
    };
    prop_assert_eq!(t.k(), k.max(2));
    let k = t.k();
    if input.iter().all(|(_, n)| *n == 0) {
        // An empty table lists nothing; its total is 0, which everyone knows, and it is not released as a number.
        prop_assert!(t.cells().is_empty() && t.rows().is_empty() && t.columns().is_empty());
        prop_assert_eq!(t.total(), Count::Suppressed);
        return Ok(());
    }
    let listed = input.iter().filter(|(_, n)| *n > 0).count();
    prop_assert_eq!(
        t.cells().len(),
        listed,
        "every non-empty cell is listed, and no other"
    );
    for cell in t.cells() {
        let n = truth(&|r, c| r == cell.row() && c == cell.column());
        prop_assert!(n > 0);
        if let Count::Value(v) = cell.value() {
            prop_assert_eq!(v, n);
            prop_assert!(v >= k, "released cell {} under k", v);
        }
    }
    for (label, count) in t.rows() {
        if let Count::Value(v) = count {
            prop_assert_eq!(*v, truth(&|r, _| r == label));
            prop_assert!(*v >= k, "released row margin {} under k", v);
        }
    }
    for (label, count) in t.columns() {
        if let Count::Value(v) = count {
            prop_assert_eq!(*v, truth(&|_, c| c == label));
            prop_assert!(*v >= k, "released column margin {} under k", v);
        }
    }
    if let Count::Value(v) = t.total() {
        prop_assert_eq!(v, truth(&|_, _| true));
        prop_assert!(v >= k, "released total {} under k", v);
    }
    for (target, value) in suppressed_numbers(t, input) {
        let (min, max) = feasible_range(t, target);
        prop_assert!(
            min <= value,
            "{:?}: true value {} below feasible min {}",
            target,
            value,
            min
        );
        if let Some(max) = max {
            prop_assert!(
                value <= max,
                "{:?}: true value {} above feasible max {}",
                target,
                value,
                max
            );
            prop_assert!(min < max, "{:?} = {} is determined", target, value);
            prop_assert!(
                max >= k,
                "{:?} = {} can be shown under k = {} (max {})",
                target,
                value,
                k,
                max
            );
        }
    }
    Ok(())
}

/// Cells: mostly empty or small, so that suppression has work to do.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![3 => Just(0u64), 3 => 1u64..20, 4 => 0u64..120]
}

fn table() -> impl Strategy<Value = Vec<Vec<u64>>> {
    (1usize..=5, 1usize..=5).prop_flat_map(|(rows, columns)| {
        proptest::collection::vec(proptest::collection::vec(count(), columns), rows)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// No released number is under k, and every suppressed cell, margin and total has a feasible range, given all
    /// released numbers, that holds more than one value and reaches k.
    #[test]
    fn no_release_under_k_and_no_suppressed_number_exposed(counts in table(), k in 2u64..60) {
        let input = grid(&counts);
        let t = release_two_dimensions(&input, k).unwrap();
        check_guarantee(&input, &t, k)?;
    }

    /// A measure is released exactly where the count is, and its released margins and total are the true sums.
    #[test]
    fn a_measure_follows_the_count_mask(counts in table(), k in 2u64..60, seed in 0i128..1000) {
        let input = grid(&counts);
        let t = release_two_dimensions(&input, k).unwrap();
        // Any sum will do; a signed one tied to the cell checks that nothing is clamped or invented.
        let sum_of = |r: &str, c: &str, n: u64| (r.len() as i128 * 7 - c.len() as i128 * 3 + seed) * n as i128 - 500;
        let sums: Vec<((String, String), i128)> = input
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|((r, c), n)| ((r.clone(), c.clone()), sum_of(r, c, *n)))
            .collect();
        let m = t.release_measure(&sums).unwrap();
        prop_assert_eq!(m.k(), t.k());
        let check = |count: Count, measure: Measure, sum: i128| -> Result<(), TestCaseError> {
            match (count, measure) {
                (Count::Suppressed, Measure::Suppressed) => Ok(()),
                (Count::Value(n), Measure::Value { sum: s, mean }) => {
                    prop_assert_eq!(s, sum);
                    prop_assert!((mean - sum as f64 / n as f64).abs() < 1e-9);
                    Ok(())
                }
                (c, m) => Err(TestCaseError::fail(format!("count {c:?} but measure {m:?}"))),
            }
        };
        for (cell, measure) in t.cells().iter().zip(m.cells()) {
            prop_assert_eq!((cell.row(), cell.column()), (measure.row(), measure.column()));
            let sum = sums.iter().find(|((r, c), _)| r == cell.row() && c == cell.column()).unwrap().1;
            check(cell.value(), measure.value(), sum)?;
        }
        for ((label, count), (l2, measure)) in t.rows().iter().zip(m.rows()) {
            prop_assert_eq!(label, l2);
            check(*count, *measure, sums.iter().filter(|((r, _), _)| r == label).map(|(_, s)| s).sum())?;
        }
        for ((label, count), (l2, measure)) in t.columns().iter().zip(m.columns()) {
            prop_assert_eq!(label, l2);
            check(*count, *measure, sums.iter().filter(|((_, c), _)| c == label).map(|(_, s)| s).sum())?;
        }
        check(t.total(), m.total(), sums.iter().map(|(_, s)| s).sum())?;
    }
}

fn cells(list: &[(&str, &str, u64)]) -> Input {
    list.iter()
        .map(|(r, c, n)| ((r.to_string(), c.to_string()), *n))
        .collect()
}

/// Worked by hand, k = 10:
///
/// ```text
///         x    y    z  | row
///   a    20    3   30  |  53
///   b    25   40   35  | 100
///   c    15   12   50  |  77
///  col   60   55  115  | 230
/// ```
///
/// Primary: (a, y) = 3. Row a then has one suppressed cell, so its smallest other cell (a, x) = 20 goes: the two lie
/// in [1, 22]. Column y takes (c, y) = 12 ([1, 14]); column x, now holding (a, x), takes (c, x) = 15; row c then
/// holds (c, x) and (c, y), which is enough. Nothing else changes. With t = (a, y), the released sums give
/// (a, x) = 23 - t, (c, y) = 15 - t, (c, x) = 12 + t, all at least 1: t in [1, 14], so (a, y) in [1, 14],
/// (a, x) in [9, 22], (c, x) in [13, 26], (c, y) in [1, 14].
#[test]
fn hand_worked_table() {
    let input = hand_worked_input();
    let t = release_two_dimensions(&input, 10).unwrap();
    let withheld: Vec<(&str, &str)> = t
        .cells()
        .iter()
        .filter(|c| c.value().is_suppressed())
        .map(|c| (c.row(), c.column()))
        .collect();
    assert_eq!(
        withheld,
        vec![("a", "x"), ("a", "y"), ("c", "x"), ("c", "y")]
    );
    let margins: Vec<Option<u64>> = t
        .rows()
        .iter()
        .chain(t.columns())
        .map(|(_, c)| c.value())
        .collect();
    assert_eq!(
        margins,
        vec![Some(53), Some(100), Some(77), Some(60), Some(55), Some(115)]
    );
    assert_eq!(t.total(), Count::Value(230));
    let ranges: Vec<(u64, Option<u64>)> = [0, 1, 6, 7]
        .into_iter()
        .map(|i| feasible_range(&t, Target::Cell(i)))
        .collect();
    assert_eq!(
        ranges,
        vec![(9, Some(22)), (1, Some(14)), (13, Some(26)), (1, Some(14))]
    );
    check_guarantee(&input, &t, 10).unwrap();
}

/// The table the line rules alone leave exposed (see `two_dim.rs`): the release is checked from the outside.
#[test]
fn line_rules_are_not_enough_but_the_release_is_safe() {
    let input = cells(&[
        ("a", "x", 27),
        ("a", "y", 5),
        ("a", "z", 71),
        ("b", "z", 7),
        ("c", "y", 8),
        ("c", "z", 17),
    ]);
    let t = release_two_dimensions(&input, 6).unwrap();
    check_guarantee(&input, &t, 6).unwrap();
    // (c, y) = 8 is no longer pinned by total - row a - column z.
    let (min, max) = feasible_range(&t, Target::Cell(4));
    assert!(min < 8 || max.is_none_or(|m| m > 8));
}

fn hand_worked_input() -> Input {
    cells(&[
        ("a", "x", 20),
        ("a", "y", 3),
        ("a", "z", 30),
        ("b", "x", 25),
        ("b", "y", 40),
        ("b", "z", 35),
        ("c", "x", 15),
        ("c", "y", 12),
        ("c", "z", 50),
    ])
}

#[test]
fn json_shape() {
    let t = release_two_dimensions(&hand_worked_input(), 10).unwrap();
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(json["k"], 10);
    assert_eq!(json["cells"][1]["row"], "a");
    assert_eq!(json["cells"][1]["column"], "y");
    assert_eq!(json["cells"][1]["value"], "suppressed");
    assert_eq!(json["cells"][2]["value"]["value"], 30);
    assert_eq!(json["rows"][0][0], "a");
    assert_eq!(json["rows"][0][1]["value"], 53);
    assert_eq!(json["columns"][2][1]["value"], 115);
    assert_eq!(json["total"]["value"], 230);
    let sums: Vec<((String, String), i128)> = t
        .cells()
        .iter()
        .map(|c| ((c.row().to_string(), c.column().to_string()), 120))
        .collect();
    let m = serde_json::to_value(t.release_measure(&sums).unwrap()).unwrap();
    assert_eq!(m["cells"][1]["value"], "suppressed");
    assert_eq!(m["cells"][2]["value"]["value"]["sum"], 120);
    assert_eq!(m["cells"][2]["value"]["value"]["mean"], 4.0);
    assert_eq!(m["rows"][0][1]["value"]["sum"], 360);
    assert_eq!(m["total"]["value"]["sum"], 1080);
}
