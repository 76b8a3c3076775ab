//! Exhaustive reference allocators for property tests (whole hours only:
//! every slice and group must be a multiple of one hour).

use super::{Group, Problem};

fn in_set(g: &Group, i: usize) -> bool {
    g.members.contains(&i)
}

/// Number of allocations [`best_subset`] would enumerate (also bounds
/// the work of [`best_partition`] when buckets are few).
pub fn subset_size(p: &Problem) -> u64 {
    p.slices
        .iter()
        .map(|h| (h.centi() / 100 + 1) as u64)
        .fold(1u64, |a, b| a.saturating_mul(b))
}

/// The lexicographic optimum (minimum fill, total), in hundredths of an
/// hour, for a subset-mode problem, by trying every allocation.
pub fn best_subset(p: &Problem) -> (i64, i64) {
    let units: Vec<i64> = p.slices.iter().map(|x| x.centi() / 100).collect();
    let mut x = vec![0i64; units.len()];
    let mut best = (-1, -1);
    loop {
        let ok = p.caps.iter().all(|c| {
            let s: i64 = (0..x.len()).filter(|&i| in_set(c, i)).map(|i| x[i]).sum();
            s * 100 <= c.hours.centi()
        });
        if ok {
            let fill: i64 = p
                .mins
                .iter()
                .map(|m| {
                    let s: i64 = (0..x.len()).filter(|&i| in_set(m, i)).map(|i| x[i]).sum();
                    (s * 100).min(m.hours.centi())
                })
                .sum();
            let total: i64 = x.iter().sum::<i64>() * 100;
            best = best.max((fill, total));
        }
        let mut k = 0;
        loop {
            if k == x.len() {
                return best;
            }
            if x[k] < units[k] {
                x[k] += 1;
                break;
            }
            x[k] = 0;
            k += 1;
        }
    }
}

/// The best total (hundredths) for a partition-mode problem: every way of
/// spreading each slice's whole hours over the buckets it matches.
pub fn best_partition(p: &Problem) -> i64 {
    let mut best = 0;
    let mut fill = vec![0i64; p.buckets.len()];
    let mut caps_used = vec![0i64; p.caps.len()];
    slice(p, 0, &mut fill, &mut caps_used, &mut best);
    best
}

fn slice(p: &Problem, i: usize, fill: &mut Vec<i64>, caps_used: &mut Vec<i64>, best: &mut i64) {
    if i == p.slices.len() {
        *best = (*best).max(fill.iter().sum::<i64>() * 100);
        return;
    }
    let mine: Vec<usize> = (0..p.buckets.len())
        .filter(|&b| in_set(&p.buckets[b], i))
        .collect();
    let units = p.slices[i].centi() / 100;
    spread(p, i, &mine, 0, units, 0, fill, caps_used, best);
}

#[allow(clippy::too_many_arguments)]
fn spread(
    p: &Problem,
    i: usize,
    mine: &[usize],
    k: usize,
    left: i64,
    used: i64,
    fill: &mut Vec<i64>,
    caps_used: &mut Vec<i64>,
    best: &mut i64,
) {
    if k == mine.len() {
        let ok =
            p.caps.iter().enumerate().all(|(c, cap)| {
                !in_set(cap, i) || (caps_used[c] + used) * 100 <= cap.hours.centi()
            });
        if !ok {
            return;
        }
        for (c, cap) in p.caps.iter().enumerate() {
            if in_set(cap, i) {
                caps_used[c] += used;
            }
        }
        slice(p, i + 1, fill, caps_used, best);
        for (c, cap) in p.caps.iter().enumerate() {
            if in_set(cap, i) {
                caps_used[c] -= used;
            }
        }
        return;
    }
    let b = mine[k];
    for amount in 0..=left {
        if (fill[b] + amount) * 100 > p.buckets[b].hours.centi() {
            break;
        }
        fill[b] += amount;
        spread(
            p,
            i,
            mine,
            k + 1,
            left - amount,
            used + amount,
            fill,
            caps_used,
            best,
        );
        fill[b] -= amount;
    }
}
