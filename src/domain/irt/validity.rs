//! How well predicted pass probabilities match real exam outcomes: the Brier score, a reliability
//! table (predictions in bins against the share that passed), and the cut θ the outcomes imply, by a
//! logistic regression of passing on the ability estimate. Pure.

use serde::Serialize;

/// One student's last prediction before the real exam, and what happened.
#[derive(Debug, Clone, Copy)]
pub struct Prediction {
    /// P(pass) of the last readiness check or simulation before the exam.
    pub p_pass: f64,
    /// θ̂ of that attempt.
    pub theta: f64,
    pub passed: bool,
}

/// One bin of the reliability diagram.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bin {
    /// The bin covers predictions in [lower, upper).
    pub lower: f64,
    pub upper: f64,
    pub count: usize,
    /// Mean prediction in the bin.
    pub predicted: f64,
    /// Share that passed.
    pub observed: f64,
}

/// Mean squared difference between prediction and outcome (0 is perfect; always saying 50 % scores
/// 0.25).
pub fn brier(ps: &[Prediction]) -> Option<f64> {
    if ps.is_empty() {
        return None;
    }
    let s: f64 = ps
        .iter()
        .map(|p| (p.p_pass - f64::from(u8::from(p.passed))).powi(2))
        .sum();
    Some(s / ps.len() as f64)
}

/// Predictions in `bins` equal-width bins over [0, 1]; empty bins are left out.
pub fn reliability(ps: &[Prediction], bins: usize) -> Vec<Bin> {
    let bins = bins.max(1);
    let mut out = vec![];
    for k in 0..bins {
        let lower = k as f64 / bins as f64;
        let upper = (k + 1) as f64 / bins as f64;
        let inside: Vec<&Prediction> = ps
            .iter()
            .filter(|p| {
                p.p_pass >= lower && (p.p_pass < upper || (k + 1 == bins && p.p_pass <= 1.0))
            })
            .collect();
        if inside.is_empty() {
            continue;
        }
        let n = inside.len() as f64;
        out.push(Bin {
            lower,
            upper,
            count: inside.len(),
            predicted: inside.iter().map(|p| p.p_pass).sum::<f64>() / n,
            observed: inside.iter().filter(|p| p.passed).count() as f64 / n,
        });
    }
    out
}

/// The cut θ the outcomes imply: where the fitted chance of passing is one half.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CutEstimate {
    pub cut: f64,
    /// 95 % confidence interval (delta method).
    pub lower: f64,
    pub upper: f64,
    /// Logistic slope on θ̂.
    pub slope: f64,
    pub n: usize,
}

/// Fewest reported outcomes before a cut is re-estimated.
pub const MIN_OUTCOMES_FOR_CUT: usize = 100;

/// Logistic regression P(pass) = 1 / (1 + exp(−(β0 + β1 θ̂))) by Newton–Raphson; the cut is
/// −β0/β1. `None` with fewer than [`MIN_OUTCOMES_FOR_CUT`] outcomes, when everyone passed or
/// failed, or when the slope is not positive (the outcomes do not rise with ability).
pub fn estimate_cut(ps: &[Prediction]) -> Option<CutEstimate> {
    if ps.len() < MIN_OUTCOMES_FOR_CUT {
        return None;
    }
    let passed = ps.iter().filter(|p| p.passed).count();
    if passed == 0 || passed == ps.len() {
        return None;
    }
    let mut beta = [0.0f64, 1.0f64];
    let mut info = [[0.0f64; 2]; 2];
    for _ in 0..100 {
        let mut grad = [0.0; 2];
        info = [[0.0; 2]; 2];
        for p in ps {
            let x = [1.0, p.theta];
            let eta = beta[0] + beta[1] * p.theta;
            let mu = 1.0 / (1.0 + (-eta).exp());
            let y = f64::from(u8::from(p.passed));
            let w = (mu * (1.0 - mu)).max(1e-12);
            for i in 0..2 {
                grad[i] += (y - mu) * x[i];
                for j in 0..2 {
                    info[i][j] += w * x[i] * x[j];
                }
            }
        }
        let det = info[0][0] * info[1][1] - info[0][1] * info[1][0];
        if det.abs() < 1e-12 {
            return None;
        }
        let step = [
            (info[1][1] * grad[0] - info[0][1] * grad[1]) / det,
            (info[0][0] * grad[1] - info[1][0] * grad[0]) / det,
        ];
        beta[0] += step[0].clamp(-5.0, 5.0);
        beta[1] += step[1].clamp(-5.0, 5.0);
        if step[0].abs() < 1e-9 && step[1].abs() < 1e-9 {
            break;
        }
    }
    let (b0, b1) = (beta[0], beta[1]);
    if !(b1 > 1e-6 && b0.is_finite() && b1.is_finite()) {
        return None;
    }
    // Covariance = inverse information; delta method for g = −b0/b1.
    let det = info[0][0] * info[1][1] - info[0][1] * info[1][0];
    let cov = [
        [info[1][1] / det, -info[0][1] / det],
        [-info[1][0] / det, info[0][0] / det],
    ];
    let cut = -b0 / b1;
    let g = [-1.0 / b1, b0 / (b1 * b1)];
    let var = g[0] * g[0] * cov[0][0] + 2.0 * g[0] * g[1] * cov[0][1] + g[1] * g[1] * cov[1][1];
    let se = var.max(0.0).sqrt();
    Some(CutEstimate {
        cut,
        lower: cut - 1.96 * se,
        upper: cut + 1.96 * se,
        slope: b1,
        n: ps.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    #[test]
    fn brier_and_bins_of_a_few_predictions() {
        let ps = [
            Prediction {
                p_pass: 0.9,
                theta: 1.0,
                passed: true,
            },
            Prediction {
                p_pass: 0.8,
                theta: 0.8,
                passed: false,
            },
            Prediction {
                p_pass: 0.1,
                theta: -1.0,
                passed: false,
            },
        ];
        let b = brier(&ps).unwrap();
        assert!((b - (0.01 + 0.64 + 0.01) / 3.0).abs() < 1e-12);
        let bins = reliability(&ps, 5);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[0].count, 1);
        assert_eq!(bins[1].count, 2, "0.8 and 0.9 share the top bin: {bins:?}");
        assert!((bins[1].observed - 0.5).abs() < 1e-12);
        assert!(brier(&[]).is_none());
    }

    #[test]
    fn the_cut_implied_by_outcomes_is_recovered_with_an_interval_around_it() {
        // Real exam cut at θ = 0.4: passing follows a logistic curve around it.
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        let ps: Vec<Prediction> = (0..800)
            .map(|_| {
                let theta: f64 = rng.random::<f64>() * 4.0 - 2.0;
                let p = 1.0 / (1.0 + (-(2.5 * (theta - 0.4))).exp());
                Prediction {
                    p_pass: p,
                    theta,
                    passed: rng.random::<f64>() < p,
                }
            })
            .collect();
        let c = estimate_cut(&ps).unwrap();
        assert!((c.cut - 0.4).abs() < 0.15, "{c:?}");
        assert!(c.lower < 0.4 && 0.4 < c.upper, "{c:?}");
        assert!(c.slope > 1.5);
        assert!(estimate_cut(&ps[..99]).is_none(), "fewer than 100 outcomes");
    }
}
