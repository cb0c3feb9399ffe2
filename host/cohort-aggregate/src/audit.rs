//! The exact audit of a two-dimensional suppression pattern, and the choice of what to suppress when it fails.
//!
//! Everything an observer knows about the suppressed numbers is linear: each released row margin, column margin and
//! the total is the sum of its cells, each suppressed cell is an integer of at least 1, absent cells are 0. Write the
//! table as a circulation `S -> row -> column -> T -> S`: a cell is an arc row -> column (lower bound 1), a row
//! margin an arc `S -> row`, a column margin `column -> T`, the total `T -> S`. A released number is an arc whose
//! flow is fixed; a suppressed one is free above its lower bound. The feasible values of the table are exactly the
//! feasible circulations, and the constraint matrix is a network matrix (totally unimodular), so integral bounds
//! are exact.
//!
//! The true table is one feasible circulation `f`. Another feasible circulation differs from `f` by a circulation in
//! the residual network of `f`, so a suppressed number on arc `u -> v` can rise by the max flow from `v` to `u`,
//! and fall by the max flow from `u` to `v`, in that residual network without the arc itself. On the residual
//! network a suppressed cell with count `x` is an arc row -> column of unbounded capacity and column -> row of
//! capacity `x - 1`; a suppressed margin or total with withheld part `w` is unbounded forward and `w` backward.
//!
//! A suppressed number with value `v` is **exposed** when its feasible maximum is under `k` (it can rise by less
//! than `k - v`), or when it can neither rise nor fall (it is determined). The repair suppresses the smallest
//! released number whose arcs would cross the minimum cut that limits the rise: that adds capacity where the flow is
//! stuck. Each repair suppresses one more number, and a table with everything suppressed has no exposed number
//! (every number is unbounded above), so repairs end.

use crate::pattern::{Item, Pattern};

/// Capacity that no flow can exhaust: a suppressed number has no upper bound.
const UNBOUNDED: u128 = u128::MAX;
/// Source node of the circulation.
const SOURCE: usize = 0;
/// Sink node of the circulation.
const SINK: usize = 1;

/// A suppressed number an observer could recover or show to be under `k`, with the minimum cut that holds it.
#[derive(Debug, Clone)]
pub(crate) struct Exposure {
    /// The exposed number.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "the release only needs the cut; the tests check which number was exposed"
        )
    )]
    pub(crate) item: Item,
    /// Nodes on the near side of the cut that limits its rise.
    cut: Vec<bool>,
}

/// The first exposed suppressed number, in [`Pattern::items`] order, or `None` when the pattern is safe.
pub(crate) fn find_exposed(p: &Pattern) -> Option<Exposure> {
    let network = Network::residual_of_truth(p);
    network.items.iter().enumerate().find_map(|(pair, item)| {
        network
            .exposure(p, *item, pair)
            .map(|cut| Exposure { item: *item, cut })
    })
}

/// The released number to suppress next for an exposure: the smallest (cells before margins before the total, then
/// first listed) whose arcs cross the exposure's cut; failing that, the smallest released number. `None` only when
/// nothing is released.
pub(crate) fn repair(p: &Pattern, exposure: &Exposure) -> Option<Item> {
    let rank = |item: &Item| {
        let kind = match item {
            Item::Cell(_) => 0,
            Item::Row(_) | Item::Column(_) => 1,
            Item::Total => 2,
        };
        (p.value(*item), kind, *item)
    };
    let released: Vec<Item> = p.items().filter(|i| !p.is_suppressed(*i)).collect();
    let cut = &exposure.cut;
    let crossing = released.iter().copied().filter(|item| {
        let (u, v) = endpoints(p, *item);
        let back = back_capacity(p, *item);
        (cut[u] && !cut[v]) || (cut[v] && !cut[u] && back > 0)
    });
    crossing
        .min_by_key(rank)
        .or_else(|| released.iter().copied().min_by_key(rank))
}

/// Node of a row.
fn row_node(r: usize) -> usize {
    2 + r
}

/// Node of a column.
fn column_node(p: &Pattern, c: usize) -> usize {
    2 + p.rows.len() + c
}

/// The arc `(from, to)` that carries a number in the circulation.
fn endpoints(p: &Pattern, item: Item) -> (usize, usize) {
    match item {
        Item::Cell(i) => (row_node(p.cells[i].row), column_node(p, p.cells[i].column)),
        Item::Row(r) => (SOURCE, row_node(r)),
        Item::Column(c) => (column_node(p, c), SINK),
        Item::Total => (SINK, SOURCE),
    }
}

/// How far a number's flow can fall before its lower bound: `count - 1` for a cell, the withheld part for a margin
/// or the total (the cells' own lower bounds keep those from falling further).
fn back_capacity(p: &Pattern, item: Item) -> u128 {
    match item {
        Item::Cell(i) => u128::from(p.cells[i].count - 1),
        _ => u128::from(p.withheld_part(item)),
    }
}

/// The residual network of the true table: one pair of opposite arcs per suppressed number.
struct Network {
    /// Head of each arc; arcs `2j` and `2j + 1` are the forward and backward arcs of pair `j`.
    head: Vec<usize>,
    /// Residual capacity of each arc.
    capacity: Vec<u128>,
    /// Arcs leaving each node.
    out: Vec<Vec<usize>>,
    /// The suppressed number of each arc pair, in [`Pattern::items`] order.
    items: Vec<Item>,
}

impl Network {
    fn residual_of_truth(p: &Pattern) -> Self {
        let nodes = 2 + p.rows.len() + p.columns.len();
        let mut network = Network {
            head: Vec::new(),
            capacity: Vec::new(),
            out: vec![Vec::new(); nodes],
            items: Vec::new(),
        };
        for item in p.items().filter(|i| p.is_suppressed(*i)) {
            let (u, v) = endpoints(p, item);
            network.out[u].push(network.head.len());
            network.head.push(v);
            network.capacity.push(UNBOUNDED);
            network.out[v].push(network.head.len());
            network.head.push(u);
            network.capacity.push(back_capacity(p, item));
            network.items.push(item);
        }
        network
    }

    /// `None` when the suppressed `item`, carried by arc pair `pair`, is safe; otherwise the near side of the cut
    /// that limits its rise.
    fn exposure(&self, p: &Pattern, item: Item, pair: usize) -> Option<Vec<bool>> {
        let (u, v) = endpoints(p, item);
        let value = p.value(item);
        if value < p.k {
            // It must be able to reach k, which also makes it undetermined.
            let need = u128::from(p.k - value);
            let (rise, residual) = self.max_flow(v, u, pair, need);
            (rise < need).then(|| self.reachable(&residual, v, pair))
        } else {
            // It is at least k already: it must only be undetermined.
            let (rise, residual) = self.max_flow(v, u, pair, 1);
            if rise >= 1 {
                return None;
            }
            if self.capacity[2 * pair + 1] > 0 && self.max_flow(u, v, pair, 1).0 >= 1 {
                return None;
            }
            Some(self.reachable(&residual, v, pair))
        }
    }

    /// Max flow from `from` to `to`, stopping once it reaches `target`, without the arc pair `skip`. Returns the
    /// flow and the residual capacities after it (shortest augmenting paths, so it ends in `O(V E^2)` steps).
    fn max_flow(&self, from: usize, to: usize, skip: usize, target: u128) -> (u128, Vec<u128>) {
        let mut capacity = self.capacity.clone();
        let mut flow = 0u128;
        while flow < target {
            let Some(parent) = self.search(&capacity, from, skip) else {
                break;
            };
            if parent[to].is_none() {
                break;
            }
            let mut path = Vec::new();
            let mut node = to;
            while let Some(arc) = parent[node] {
                path.push(arc);
                node = self.head[arc ^ 1];
            }
            let bottleneck = path
                .iter()
                .map(|a| capacity[*a])
                .min()
                .unwrap_or(0)
                .min(target - flow);
            for arc in path {
                capacity[arc] = capacity[arc].saturating_sub(bottleneck);
                capacity[arc ^ 1] = capacity[arc ^ 1].saturating_add(bottleneck);
            }
            flow += bottleneck;
        }
        (flow, capacity)
    }

    /// Breadth-first search over arcs with capacity left, skipping pair `skip`: the arc that reached each node.
    /// `None` only when `from` is out of range.
    fn search(&self, capacity: &[u128], from: usize, skip: usize) -> Option<Vec<Option<usize>>> {
        let mut parent: Vec<Option<usize>> = vec![None; self.out.len()];
        let mut seen = vec![false; self.out.len()];
        *seen.get_mut(from)? = true;
        let mut queue = std::collections::VecDeque::from([from]);
        while let Some(node) = queue.pop_front() {
            for &arc in &self.out[node] {
                let next = self.head[arc];
                if arc / 2 != skip && capacity[arc] > 0 && !seen[next] {
                    seen[next] = true;
                    parent[next] = Some(arc);
                    queue.push_back(next);
                }
            }
        }
        Some(parent)
    }

    /// Nodes reachable from `from` with capacity left, skipping pair `skip`.
    fn reachable(&self, capacity: &[u128], from: usize, skip: usize) -> Vec<bool> {
        match self.search(capacity, from, skip) {
            Some(parent) => (0..self.out.len())
                .map(|n| n == from || parent[n].is_some())
                .collect(),
            None => vec![false; self.out.len()],
        }
    }
}
