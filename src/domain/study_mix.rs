//! Which content areas a study day's new questions come from: in proportion to each area's weight
//! on the target exam's blueprint times the student's need there. The need is read from the
//! adaptive engine's latest per-area estimate θ: twice the chance of missing a question of average
//! difficulty (b = 0) under the engine's logistic model, 2 / (1 + e^θ). An area at θ = 0 has need
//! 1, a weak area more (θ = −1: 1.46), a strong one less (θ = +1: 0.54); an area without an
//! estimate yet counts as 1. Areas whose questions are all seen get none; their share goes to the
//! others.

/// One content area as the split sees it.
#[derive(Debug, Clone)]
pub struct AreaNeed {
    /// The area's share of the target exam's blueprint.
    pub weight: f64,
    /// The engine's latest estimate of the student's ability in the area, if any.
    pub theta: Option<f64>,
    /// Questions of the area the student has never answered.
    pub unseen: usize,
}

/// The need factor of an area (see the module documentation).
pub fn need(theta: Option<f64>) -> f64 {
    match theta {
        Some(t) if t.is_finite() => 2.0 / (1.0 + t.exp()),
        _ => 1.0,
    }
}

/// How many of `n` new questions come from each area (same order as `areas`). The counts add up
/// to `n`, or to every unseen question when there are fewer; no area gives more than it has
/// unseen; otherwise each area gets its share of weight × need, rounded by largest remainder.
pub fn split_new(n: usize, areas: &[AreaNeed]) -> Vec<usize> {
    let mut out = vec![0usize; areas.len()];
    let total_unseen: usize = areas.iter().map(|a| a.unseen).sum();
    let target = n.min(total_unseen);
    let priority: Vec<f64> = areas
        .iter()
        .map(|a| {
            let p = a.weight.max(0.0) * need(a.theta);
            if p.is_finite() { p } else { 0.0 }
        })
        .collect();
    loop {
        let left = target - out.iter().sum::<usize>();
        let open: Vec<usize> = (0..areas.len())
            .filter(|&i| out[i] < areas[i].unseen)
            .collect();
        if left == 0 || open.is_empty() {
            break;
        }
        let sum: f64 = open.iter().map(|&i| priority[i]).sum();
        // Areas without weight (not on the blueprint) share equally only when no area has one.
        let exact = |i: usize| {
            left as f64
                * if sum > 0.0 {
                    priority[i] / sum
                } else {
                    1.0 / open.len() as f64
                }
        };
        // An area whose share is at least what it has left gives all of it; the rest is split
        // again among the others.
        let full: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&i| exact(i) >= (areas[i].unseen - out[i]) as f64)
            .collect();
        if !full.is_empty() {
            for i in full {
                out[i] = areas[i].unseen;
            }
            continue;
        }
        // Largest remainder: floors first, then one more to the largest remainders.
        let mut rest: Vec<(f64, usize)> = Vec::with_capacity(open.len());
        let mut given = 0;
        for &i in &open {
            let e = exact(i);
            out[i] += e.floor() as usize;
            given += e.floor() as usize;
            rest.push((e - e.floor(), i));
        }
        rest.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, i) in rest.iter().take(left.saturating_sub(given)) {
            out[i] += 1;
        }
        break;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn area(weight: f64, theta: Option<f64>, unseen: usize) -> AreaNeed {
        AreaNeed {
            weight,
            theta,
            unseen,
        }
    }

    #[test]
    fn need_rises_as_the_estimate_falls() {
        assert!((need(Some(0.0)) - 1.0).abs() < 1e-12);
        assert!(need(Some(-1.0)) > 1.4 && need(Some(1.0)) < 0.6);
        assert_eq!(need(None), 1.0);
        assert_eq!(need(Some(f64::NAN)), 1.0);
    }

    #[test]
    fn shares_follow_the_blueprint_when_nothing_is_known() {
        // MBLEx-like weights over 7 areas, 20 new questions.
        let w = [0.11, 0.12, 0.14, 0.15, 0.17, 0.16, 0.15];
        let areas: Vec<AreaNeed> = w.iter().map(|&x| area(x, None, 500)).collect();
        let got = split_new(20, &areas);
        assert_eq!(got.iter().sum::<usize>(), 20);
        for (g, x) in got.iter().zip(w) {
            assert!((*g as f64 - 20.0 * x).abs() <= 1.0, "{got:?}");
        }
    }

    #[test]
    fn a_weak_area_gets_more_and_a_strong_one_less() {
        let areas = vec![area(0.5, Some(-1.5), 100), area(0.5, Some(1.5), 100)];
        let got = split_new(20, &areas);
        assert_eq!(got.iter().sum::<usize>(), 20);
        assert!(got[0] >= 16, "{got:?}");
    }

    #[test]
    fn an_exhausted_area_passes_its_share_on() {
        let areas = vec![area(0.9, None, 2), area(0.1, None, 100)];
        assert_eq!(split_new(20, &areas), vec![2, 18]);
        let areas = vec![area(0.5, None, 3), area(0.5, None, 4)];
        assert_eq!(split_new(20, &areas), vec![3, 4], "all there is");
        assert_eq!(split_new(0, &areas), vec![0, 0]);
        assert_eq!(split_new(5, &[]), Vec::<usize>::new());
    }

    proptest! {
        #[test]
        fn the_split_adds_up_and_stays_within_what_is_unseen(
            n in 0usize..200,
            spec in prop::collection::vec((0.0f64..1.0, prop::option::of(-3.0f64..3.0), 0usize..60), 0..8),
        ) {
            let areas: Vec<AreaNeed> = spec.iter().map(|&(w, t, u)| area(w, t, u)).collect();
            let got = split_new(n, &areas);
            let unseen: usize = areas.iter().map(|a| a.unseen).sum();
            prop_assert_eq!(got.iter().sum::<usize>(), n.min(unseen));
            for (g, a) in got.iter().zip(&areas) {
                prop_assert!(*g <= a.unseen);
            }
            // Where no area runs out, every area is within one question of its exact share.
            let p: Vec<f64> = areas.iter().map(|a| a.weight * need(a.theta)).collect();
            let sum: f64 = p.iter().sum();
            if sum > 0.0 && got.iter().zip(&areas).all(|(g, a)| *g < a.unseen) {
                for (g, pi) in got.iter().zip(&p) {
                    prop_assert!((*g as f64 - n as f64 * pi / sum).abs() <= 1.0 + 1e-9, "{:?}", got);
                }
            }
        }
    }
}
