//! A small min-cost flow solver (successive shortest paths with
//! Bellman-Ford/SPFA), used by the allocator. Graphs here have at most a few
//! hundred nodes, so simplicity beats speed.

use std::collections::VecDeque;

#[derive(Clone, Debug)]
struct Edge {
    to: usize,
    cap: i64,
    cost: i128,
}

/// A flow network. Edges are stored in pairs (forward, reverse).
#[derive(Clone, Debug, Default)]
pub struct Network {
    edges: Vec<Edge>,
    original_cap: Vec<i64>,
    adj: Vec<Vec<usize>>,
}

/// Handle to an edge added with [`Network::add_edge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeId(usize);

impl Network {
    /// A network with `nodes` nodes and no edges.
    pub fn new(nodes: usize) -> Network {
        Network {
            edges: Vec::new(),
            original_cap: Vec::new(),
            adj: vec![Vec::new(); nodes],
        }
    }

    /// Adds a node and returns its index.
    pub fn add_node(&mut self) -> usize {
        self.adj.push(Vec::new());
        self.adj.len() - 1
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.adj.len()
    }

    /// Adds a directed edge with capacity and per-unit cost.
    pub fn add_edge(&mut self, from: usize, to: usize, cap: i64, cost: i128) -> EdgeId {
        let id = self.edges.len();
        self.edges.push(Edge {
            to,
            cap: cap.max(0),
            cost,
        });
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: -cost,
        });
        self.original_cap.push(cap.max(0));
        self.original_cap.push(0);
        self.adj[from].push(id);
        self.adj[to].push(id + 1);
        EdgeId(id)
    }

    /// Flow currently on an edge.
    pub fn flow(&self, e: EdgeId) -> i64 {
        self.original_cap[e.0] - self.edges[e.0].cap
    }

    /// Capacity of an edge as added.
    pub fn capacity(&self, e: EdgeId) -> i64 {
        self.original_cap[e.0]
    }

    /// Sends flow from `s` to `t` along cheapest paths while they have
    /// negative cost, which yields a minimum-cost flow (of any value). The
    /// starting graph must have no negative cycle (true for the DAGs the
    /// allocator builds). Returns the flow value.
    pub fn min_cost_flow(&mut self, s: usize, t: usize) -> i64 {
        let n = self.adj.len();
        let mut total = 0i64;
        // Every augmentation saturates an edge; this bound only guards
        // against bugs, it is never reached on valid input.
        let max_rounds = 4 * self.edges.len() * n.max(1) + 16;
        for _ in 0..max_rounds {
            let Some((dist_t, prev)) = self.shortest_path(s, t) else {
                break;
            };
            if dist_t >= 0 {
                break;
            }
            // Bottleneck along the path.
            let mut push = i64::MAX;
            let mut v = t;
            while v != s {
                let e = prev[v];
                push = push.min(self.edges[e].cap);
                v = self.edges[e ^ 1].to;
            }
            if push <= 0 {
                break;
            }
            let mut v = t;
            while v != s {
                let e = prev[v];
                self.edges[e].cap -= push;
                self.edges[e ^ 1].cap += push;
                v = self.edges[e ^ 1].to;
            }
            total += push;
        }
        total
    }

    /// SPFA from `s`; returns the distance to `t` and the predecessor edges.
    fn shortest_path(&self, s: usize, t: usize) -> Option<(i128, Vec<usize>)> {
        let n = self.adj.len();
        let mut dist = vec![i128::MAX; n];
        let mut prev = vec![usize::MAX; n];
        let mut in_queue = vec![false; n];
        let mut relax_count = vec![0usize; n];
        let mut queue = VecDeque::new();
        dist[s] = 0;
        queue.push_back(s);
        in_queue[s] = true;
        while let Some(u) = queue.pop_front() {
            in_queue[u] = false;
            for &e in &self.adj[u] {
                let edge = &self.edges[e];
                if edge.cap <= 0 {
                    continue;
                }
                let nd = dist[u].saturating_add(edge.cost);
                if nd < dist[edge.to] {
                    dist[edge.to] = nd;
                    prev[edge.to] = e;
                    if !in_queue[edge.to] {
                        relax_count[edge.to] += 1;
                        if relax_count[edge.to] > n + 1 {
                            // Negative cycle: cannot happen with an optimal
                            // residual graph; stop rather than loop.
                            return None;
                        }
                        in_queue[edge.to] = true;
                        queue.push_back(edge.to);
                    }
                }
            }
        }
        if dist[t] == i128::MAX {
            None
        } else {
            Some((dist[t], prev))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Network;

    #[test]
    fn max_flow_with_costs() {
        // s -> a (3), s -> b (2), a -> t (2), b -> t (3), a -> b (1)
        let mut g = Network::new(4);
        let (s, a, b, t) = (0, 1, 2, 3);
        g.add_edge(s, a, 3, -1);
        g.add_edge(s, b, 2, -1);
        let at = g.add_edge(a, t, 2, 0);
        g.add_edge(b, t, 3, 0);
        g.add_edge(a, b, 1, 0);
        assert_eq!(g.min_cost_flow(s, t), 5);
        assert_eq!(g.flow(at), 2);
    }

    #[test]
    fn stops_at_non_negative_paths() {
        let mut g = Network::new(3);
        g.add_edge(0, 1, 5, -2);
        g.add_edge(1, 2, 3, 1);
        let e = g.add_edge(1, 2, 10, 3);
        assert_eq!(g.min_cost_flow(0, 2), 3);
        assert_eq!(g.flow(e), 0);
    }
}
