//! Cycles in a `depends_on` graph: the one detector behind services' cycles
//! (E0220, `validate`) and configuration items' cycles (E0802, `cmdb`).
//! Callers turn each [`Cycle`] into their own finding.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// One cycle of a graph, as [`cycles`] met it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Node indices along the cycle in the walk's order; the last has the
    /// edge back to the first.
    pub nodes: Vec<usize>,
    /// The position, in the last node's list of edges, of the edge that
    /// closes the cycle: where a finding points.
    pub edge: usize,
}

/// Every cycle of the graph whose node `i` is `nodes[i] = (id, edges)`, each
/// reported once whatever node it is entered from, in the order a
/// depth-first walk from node 0, 1, … closes them. Edges to an id no node
/// has are skipped; when two nodes share an id, edges lead to the later one.
/// The walk is iterative, so a long chain cannot overflow the stack.
pub fn cycles<K: Hash + Eq + Ord>(nodes: &[(&K, &[K])]) -> Vec<Cycle> {
    let index: HashMap<&K, usize> = nodes.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut out = Vec::new();
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; nodes.len()];
    // A cycle entered from another node is the same cycle: keyed by its ids.
    let mut reported: HashSet<Vec<&K>> = HashSet::new();
    for start in 0..nodes.len() {
        if state[start] != 0 {
            continue;
        }
        // (node, position of its next edge to follow)
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some((node, next)) = stack.last().copied() {
            let edges = nodes[node].1;
            if next >= edges.len() {
                state[node] = 2;
                stack.pop();
                continue;
            }
            stack.last_mut().expect("non-empty").1 += 1;
            let Some(&child) = index.get(&edges[next]) else {
                continue;
            };
            match state[child] {
                0 => {
                    state[child] = 1;
                    stack.push((child, 0));
                }
                1 => {
                    let pos = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                    let on_cycle: Vec<usize> = stack[pos..].iter().map(|(n, _)| *n).collect();
                    let mut key: Vec<&K> = on_cycle.iter().map(|&n| nodes[n].0).collect();
                    key.sort();
                    if reported.insert(key) {
                        out.push(Cycle {
                            nodes: on_cycle,
                            edge: next,
                        });
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph<'a>(g: &'a [(&'a str, Vec<&'a str>)]) -> Vec<(&'a &'a str, &'a [&'a str])> {
        g.iter().map(|(id, e)| (id, e.as_slice())).collect()
    }

    #[test]
    fn each_cycle_once_in_walk_order_at_the_closing_edge() {
        let g = [
            ("a", vec!["x", "b"]),
            ("b", vec!["c"]),
            ("c", vec!["a", "d"]),
            ("d", vec!["d"]),
            ("e", vec!["b"]),
        ];
        let found = cycles(&graph(&g));
        assert_eq!(
            found,
            [
                Cycle {
                    nodes: vec![0, 1, 2],
                    edge: 0
                },
                Cycle {
                    nodes: vec![3],
                    edge: 0
                },
            ]
        );
    }

    #[test]
    fn no_cycle_in_a_dag() {
        let g = [("a", vec!["b", "c"]), ("b", vec!["c"]), ("c", vec![])];
        assert!(cycles(&graph(&g)).is_empty());
    }
}
