//! Deficits of the main allocation: what is still missing, said per requirement.

use super::*;

// Deficits of the main allocation

pub(super) struct HourDeficits {
    pub(super) list: Vec<DeficitReport>,
    pub(super) needed: Hours,
}

pub(super) fn partition_deficits(
    active: &Active<'_>,
    alloc: &Allocation,
    rule: &Rule,
    by: &str,
) -> HourDeficits {
    let mut list = Vec::new();
    let mut needed = Hours::ZERO;
    for (b, req) in active.buckets.iter().enumerate() {
        let filled = alloc.bucket_filled.get(b).copied().unwrap_or_default();
        let d = req.hours.saturating_sub(filled);
        if d > Hours::ZERO {
            needed += d;
            list.push(DeficitReport {
                requirement: req.id.clone(),
                hours: d,
                detail: format!(
                    "{} by {by}",
                    describe(d, req.label.as_deref(), &req.select, rule)
                ),
            });
        }
    }
    HourDeficits { list, needed }
}

/// 2-colours the minimums by symbolic crossing (validated rules are bipartite).
pub(super) fn min_families(mins: &[Req]) -> Vec<u8> {
    let n = mins.len();
    let mut colour = vec![u8::MAX; n];
    for s in 0..n {
        if colour[s] != u8::MAX {
            continue;
        }
        colour[s] = 0;
        let mut q = VecDeque::from([s]);
        while let Some(u) = q.pop_front() {
            for v in 0..n {
                if v != u
                    && colour[v] == u8::MAX
                    && mins[u].select.relation(&mins[v].select) == Relation::Crossing
                {
                    colour[v] = 1 - colour[u];
                    q.push_back(v);
                }
            }
        }
    }
    colour
}

pub(super) fn subset_deficits(
    active: &Active<'_>,
    alloc: &Allocation,
    rule: &Rule,
    by: &str,
) -> HourDeficits {
    let mins = &active.mins;
    let n = mins.len();
    let deficit: Vec<Hours> = (0..n)
        .map(|k| {
            mins[k]
                .hours
                .saturating_sub(alloc.min_counted.get(k).copied().unwrap_or_default())
        })
        .collect();
    let colour = min_families(mins);
    let parent = min_parents(mins, &colour);
    let (need, child_need) = nested_needs(&deficit, &parent);
    let own: Vec<Hours> = (0..n).map(|k| need[k] - child_need[k]).collect();
    let family_need = |c: u8| -> Hours {
        (0..n)
            .filter(|&k| colour[k] == c && parent[k].is_none())
            .map(|k| need[k])
            .sum()
    };
    let (paired, shared) = pair_families(mins, &colour, &own);
    let mins_need = family_need(0) + family_need(1) - paired;
    let gap = active.total.saturating_sub(alloc.total);
    let needed = mins_need.max(gap);

    let mut list = Vec::new();
    for k in 0..n {
        if own[k].is_zero() {
            continue;
        }
        let detail = min_deficit_words(k, mins, &own, &parent, &need, &shared, rule);
        list.push(DeficitReport {
            requirement: mins[k].id.clone(),
            hours: own[k],
            detail: format!("{detail} by {by}"),
        });
    }
    let residual = gap.saturating_sub(mins_need);
    if residual > Hours::ZERO {
        let mut detail = describe(residual, None, &Selector::any(), rule);
        if !list.is_empty() {
            detail = detail.replacen(" h of CE", " h more of CE", 1);
        }
        list.push(DeficitReport {
            requirement: "total".into(),
            hours: residual,
            detail: format!("{detail} by {by}"),
        });
    }
    HourDeficits { list, needed }
}

/// Each minimum's parent: the innermost other minimum of the same family containing it.
fn min_parents(mins: &[Req], colour: &[u8]) -> Vec<Option<usize>> {
    let n = mins.len();
    let properly_in = |a: usize, b: usize| {
        let (sa, sb) = (&mins[a].select, &mins[b].select);
        a != b && sa.is_within(sb) && (!sb.is_within(sa) || b < a)
    };
    (0..n)
        .map(|k| {
            let cands: Vec<usize> = (0..n)
                .filter(|&j| colour[j] == colour[k] && properly_in(k, j))
                .collect();
            cands
                .iter()
                .copied()
                .find(|&c| !cands.iter().any(|&c2| c2 != c && properly_in(c2, c)))
        })
        .collect()
}

/// need(k) = max(deficit k, Σ need(children)), computed bottom-up; returns need and Σ need(children).
fn nested_needs(deficit: &[Hours], parent: &[Option<usize>]) -> (Vec<Hours>, Vec<Hours>) {
    let n = deficit.len();
    let mut depth = vec![0usize; n];
    for k in 0..n {
        let mut p = parent[k];
        let mut guard = 0;
        while let Some(x) = p {
            depth[k] += 1;
            p = parent[x];
            guard += 1;
            if guard > n {
                break;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(depth[k]));
    let mut need = vec![Hours::ZERO; n];
    let mut child_need = vec![Hours::ZERO; n];
    for &k in &order {
        need[k] = deficit[k].max(child_need[k]);
        if let Some(p) = parent[k] {
            child_need[p] += need[k];
        }
    }
    (need, child_need)
}

/// Pairs own needs across the two families where one hour can serve both: hours paired, pairs used.
fn pair_families(mins: &[Req], colour: &[u8], own: &[Hours]) -> (Hours, Vec<(usize, usize)>) {
    let n = mins.len();
    let left: Vec<usize> = (0..n)
        .filter(|&k| colour[k] == 0 && own[k] > Hours::ZERO)
        .collect();
    let right: Vec<usize> = (0..n)
        .filter(|&k| colour[k] == 1 && own[k] > Hours::ZERO)
        .collect();
    let mut g = Network::new(2 + left.len() + right.len());
    let mut pair_edges = Vec::new();
    for (li, &k) in left.iter().enumerate() {
        g.add_edge(0, 2 + li, own[k].centi(), 0);
        for (ri, &j) in right.iter().enumerate() {
            if !mins[k].select.is_disjoint(&mins[j].select) {
                pair_edges.push((
                    k,
                    j,
                    g.add_edge(2 + li, 2 + left.len() + ri, own[k].centi(), -1),
                ));
            }
        }
    }
    for (ri, &j) in right.iter().enumerate() {
        g.add_edge(2 + left.len() + ri, 1, own[j].centi(), 0);
    }
    let paired = Hours::from_centi(g.min_cost_flow(0, 1));
    let shared = pair_edges
        .iter()
        .filter(|(_, _, e)| g.flow(*e) > 0)
        .map(|(a, b, _)| (*a, *b))
        .collect();
    (paired, shared)
}

/// Minimum `k`'s own deficit in words, naming the nested minimums besides it and the shared hours.
fn min_deficit_words(
    k: usize,
    mins: &[Req],
    own: &[Hours],
    parent: &[Option<usize>],
    need: &[Hours],
    shared: &[(usize, usize)],
    rule: &Rule,
) -> String {
    let mut detail = describe(own[k], mins[k].label.as_deref(), &mins[k].select, rule);
    let kids: Vec<String> = (0..mins.len())
        .filter(|&c| parent[c] == Some(k) && need[c] > Hours::ZERO)
        .map(|c| req_words(&mins[c]))
        .collect();
    if !kids.is_empty() {
        detail = format!(
            "{detail} (besides the hours listed for {})",
            kids.join(", ")
        );
    }
    let shared: Vec<String> = shared
        .iter()
        .filter(|(a, b)| *a == k || *b == k)
        .map(|(a, b)| {
            if *a == k {
                req_words(&mins[*b])
            } else {
                req_words(&mins[*a])
            }
        })
        .collect();
    if !shared.is_empty() {
        detail = format!(
            "{detail}; the same hours can also count toward {}",
            shared.join(", ")
        );
    }
    detail
}
