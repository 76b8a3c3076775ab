//! One item's M-step: the log posterior on the working scale, its maximum and its posterior
//! moments.

use super::prior::Prior;
use super::{Model, p3, to_natural};

/// The expected complete-data log-likelihood of one item plus its log prior.
pub(super) fn objective(
    x: [f64; 3],
    model: Model,
    prior: &Prior,
    grid: &[f64],
    n: &[f64],
    r: &[f64],
) -> f64 {
    let (a, b, c) = to_natural(x, model);
    let mut f = 0.0;
    for q in 0..grid.len() {
        let p = p3(a, b, c, grid[q]).clamp(1e-9, 1.0 - 1e-9);
        f += r[q] * p.ln() + (n[q] - r[q]) * (1.0 - p).ln();
    }
    for (d, xd) in x.iter().enumerate().take(dims(model)) {
        f -= (xd - prior.mean[d]).powi(2) / (2.0 * prior.sd[d] * prior.sd[d]);
    }
    f
}

pub(super) fn dims(model: Model) -> usize {
    match model {
        Model::TwoPl => 2,
        Model::ThreePl => 3,
    }
}

/// Gradient and Hessian by central differences.
pub(super) fn derivatives(
    x: [f64; 3],
    k: usize,
    f: &dyn Fn([f64; 3]) -> f64,
) -> ([f64; 3], [[f64; 3]; 3]) {
    let h = 1e-4;
    let mut g = [0.0; 3];
    let mut hs = [[0.0; 3]; 3];
    let f0 = f(x);
    for i in 0..k {
        let (mut xp, mut xm) = (x, x);
        xp[i] += h;
        xm[i] -= h;
        let (fp, fm) = (f(xp), f(xm));
        g[i] = (fp - fm) / (2.0 * h);
        hs[i][i] = (fp - 2.0 * f0 + fm) / (h * h);
        for j in 0..i {
            let mut xpp = x;
            xpp[i] += h;
            xpp[j] += h;
            let mut xpm = x;
            xpm[i] += h;
            xpm[j] -= h;
            let mut xmp = x;
            xmp[i] -= h;
            xmp[j] += h;
            let mut xmm = x;
            xmm[i] -= h;
            xmm[j] -= h;
            let v = (f(xpp) - f(xpm) - f(xmp) + f(xmm)) / (4.0 * h * h);
            hs[i][j] = v;
            hs[j][i] = v;
        }
    }
    (g, hs)
}

/// Solves H d = g for a k×k (k ≤ 3) system; `None` when singular.
fn solve(h: [[f64; 3]; 3], g: [f64; 3], k: usize) -> Option<[f64; 3]> {
    let mut m = [[0.0; 4]; 3];
    for i in 0..k {
        for j in 0..k {
            m[i][j] = h[i][j];
        }
        m[i][3] = g[i];
    }
    for col in 0..k {
        let piv = (col..k).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        if m[piv][col].abs() < 1e-12 {
            return None;
        }
        m.swap(col, piv);
        for row in 0..k {
            if row != col {
                let f = m[row][col] / m[col][col];
                let pivot_row = m[col];
                for (v, p) in m[row].iter_mut().zip(pivot_row).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let mut d = [0.0; 3];
    for i in 0..k {
        d[i] = m[i][3] / m[i][i];
    }
    Some(d)
}

/// The inverse's diagonal of a k×k matrix (for standard errors).
pub(super) fn inverse_diagonal(h: [[f64; 3]; 3], k: usize) -> Option<[f64; 3]> {
    let mut out = [0.0; 3];
    for i in 0..k {
        let mut e = [0.0; 3];
        e[i] = 1.0;
        out[i] = solve(h, e, k)?[i];
    }
    Some(out)
}

/// Damped Newton (Levenberg–Marquardt) on one item's objective: each step solves
/// (−H + λI) d = g, starting from the pure Newton step and raising λ until the objective improves,
/// so a Hessian that is not negative definite (a flat c, say) turns the step towards the gradient
/// instead of stalling at the start value. Returns the maximum and the Hessian last computed
/// (at the maximum, or within the last, negligible step of it).
pub(super) fn maximize(
    x0: [f64; 3],
    k: usize,
    f: &dyn Fn([f64; 3]) -> f64,
) -> ([f64; 3], [[f64; 3]; 3]) {
    let mut x = x0;
    let mut fx = f(x);
    let mut lambda: f64 = 0.0;
    let mut hessian = [[0.0; 3]; 3];
    for _ in 0..50 {
        let (g, h) = derivatives(x, k, f);
        hessian = h;
        let mut improved = false;
        for _ in 0..30 {
            let mut neg: [[f64; 3]; 3] = h.map(|row| row.map(|v| -v));
            for (i, row) in neg.iter_mut().enumerate().take(k) {
                row[i] += lambda;
            }
            let step = solve(neg, g, k).filter(|d| {
                d.iter().all(|v| v.is_finite()) && (0..k).map(|i| d[i] * g[i]).sum::<f64>() > 0.0
            });
            if let Some(d) = step {
                let mut xn = x;
                for i in 0..k {
                    xn[i] += d[i].clamp(-1.0, 1.0);
                }
                let fxn = f(xn);
                if fxn.is_finite() && fxn > fx {
                    improved = (fxn - fx) > 1e-10;
                    x = xn;
                    fx = fxn;
                    lambda *= 0.1;
                    break;
                }
            }
            lambda = (lambda * 10.0).max(1e-3);
            if lambda > 1e8 {
                break;
            }
        }
        if !improved {
            break;
        }
    }
    (x, hessian)
}

/// The Cholesky factor L of a k×k symmetric matrix, A = L Lᵀ; `None` unless A is positive
/// definite.
fn cholesky(a: [[f64; 3]; 3], k: usize) -> Option<[[f64; 3]; 3]> {
    let mut l = [[0.0; 3]; 3];
    for i in 0..k {
        for j in 0..=i {
            let s = a[i][j] - (0..j).map(|t| l[i][t] * l[j][t]).sum::<f64>();
            if i == j {
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    Some(l)
}

/// The scale of the quadrature around the mode `x`: the Cholesky factor of the negative Hessian
/// `h` when that is positive definite. Otherwise (a likelihood flat or bending the wrong way in
/// some direction at the mode) each diagonal entry is raised to at least the secant curvature of
/// `f` over one prior SD (`width`) either side, and the off-diagonal entries are dropped if that is
/// still not enough. Any positive definite scale gives a valid adaptive rule (the weights correct
/// for the difference from the true posterior); this one keeps the nodes within the posterior's
/// width, so such an item's posterior still counts towards the bank's priors instead of being
/// left out (which biased the priors towards the well-determined items).
fn quadrature_scale(
    x: [f64; 3],
    h: [[f64; 3]; 3],
    width: [f64; 3],
    k: usize,
    f: &dyn Fn([f64; 3]) -> f64,
) -> Option<[[f64; 3]; 3]> {
    let mut a = h.map(|row| row.map(|v| -v));
    if let Some(l) = cholesky(a, k) {
        return Some(l);
    }
    let f0 = f(x);
    for d in 0..k {
        let s = width[d];
        let (mut xp, mut xm) = (x, x);
        xp[d] += s;
        xm[d] -= s;
        let secant = -(f(xp) + f(xm) - 2.0 * f0) / (s * s);
        let floor = if secant.is_finite() && secant > 0.0 {
            secant
        } else {
            1.0 / (s * s)
        };
        a[d][d] = a[d][d].max(floor);
    }
    cholesky(a, k).or_else(|| {
        let mut diagonal = [[0.0; 3]; 3];
        for d in 0..k {
            diagonal[d][d] = a[d][d];
        }
        cholesky(diagonal, k)
    })
}

/// The posterior mean and variance of each working parameter of one item, by adaptive
/// Gauss–Hermite quadrature around the mode `x` (the 5-point product rule, 5ᵏ nodes, exact for
/// the moments of a Gaussian posterior), scaled by [`quadrature_scale`] from the Hessian `h` of
/// `f` (the log posterior) and, where that fails, the prior SDs `width`. `None` only when no
/// scale or no finite weight can be found.
pub(super) fn posterior_moments(
    x: [f64; 3],
    h: [[f64; 3]; 3],
    width: [f64; 3],
    k: usize,
    f: &dyn Fn([f64; 3]) -> f64,
) -> Option<([f64; 3], [f64; 3])> {
    const Z: [f64; 5] = [
        -2.856970013872806,
        -1.355626179974266,
        0.0,
        1.355626179974266,
        2.856970013872806,
    ];
    const W: [f64; 5] = [
        0.011257411327721,
        0.222075922005613,
        0.533333333333333,
        0.222075922005613,
        0.011257411327721,
    ];
    // The nodes are x + L⁻ᵀ z.
    let l = quadrature_scale(x, h, width, k, f)?;
    let f0 = f(x);
    let (mut total, mut m1, mut m2) = (0.0, [0.0; 3], [0.0; 3]);
    for node in 0..5usize.pow(k as u32) {
        let (mut z, mut w, mut rest) = ([0.0; 3], 1.0, node);
        for zd in z.iter_mut().take(k) {
            *zd = Z[rest % 5];
            w *= W[rest % 5];
            rest /= 5;
        }
        let mut xp = x;
        let mut y = [0.0; 3];
        for i in (0..k).rev() {
            y[i] = (z[i] - (i + 1..k).map(|t| l[t][i] * y[t]).sum::<f64>()) / l[i][i];
            xp[i] += y[i];
        }
        let zz: f64 = z.iter().map(|v| v * v).sum();
        let fx = f(xp);
        if !fx.is_finite() {
            continue;
        }
        let wt = w * (fx - f0 + zz / 2.0).min(30.0).exp();
        if !wt.is_finite() {
            continue;
        }
        total += wt;
        for d in 0..k {
            m1[d] += wt * xp[d];
            m2[d] += wt * xp[d] * xp[d];
        }
    }
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    let mean = m1.map(|v| v / total);
    let mut var = [0.0; 3];
    for d in 0..k {
        var[d] = (m2[d] / total - mean[d] * mean[d]).max(0.0);
    }
    (mean.iter().chain(&var).all(|v| v.is_finite())).then_some((mean, var))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posterior_moments_of_a_gaussian_posterior_are_exact() {
        // log posterior −½ (x − μ)ᵀ P (x − μ) with correlated P: the rule must return μ and the
        // diagonal of P⁻¹ (the product rule without its corner nodes understated the variances).
        let mu = [0.3, -1.2, -1.5];
        let p = [[6.0, 2.0, 1.0], [2.0, 5.0, -1.5], [1.0, -1.5, 4.0]];
        let f = |x: [f64; 3]| {
            let d = [x[0] - mu[0], x[1] - mu[1], x[2] - mu[2]];
            let mut q = 0.0;
            for i in 0..3 {
                for j in 0..3 {
                    q += d[i] * p[i][j] * d[j];
                }
            }
            -0.5 * q
        };
        let (_, h) = derivatives(mu, 3, &f);
        let (mean, var) = posterior_moments(mu, h, [1.0; 3], 3, &f).unwrap();
        let cov = inverse_diagonal(p, 3).unwrap();
        for d in 0..3 {
            assert!((mean[d] - mu[d]).abs() < 1e-9, "mean {d}: {}", mean[d]);
            assert!(
                (var[d] / cov[d] - 1.0).abs() < 1e-6,
                "variance {d}: {} against {}",
                var[d],
                cov[d]
            );
        }
    }

    #[test]
    fn an_item_whose_hessian_is_not_negative_definite_still_has_posterior_moments() {
        // Flat to second order in x₁ at the mode (−x₁⁴): the Hessian is singular there, yet the
        // posterior is proper; the secant curvature over one prior SD (2) sets the rule's scale.
        let f = |x: [f64; 3]| -0.5 * x[0] * x[0] - x[1].powi(4) - 0.5 * x[1] * x[1] / 4.0;
        let (_, mut h) = derivatives([0.0; 3], 2, &f);
        h[1][1] = 0.0;
        let (mean, var) = posterior_moments([0.0; 3], h, [1.0, 2.0, 1.0], 2, &f)
            .expect("moments from the prior's curvature");
        // The exact variance of x₁ under e^(−x⁴ − x²/8), by a fine Riemann sum.
        let (mut z, mut m2) = (0.0, 0.0);
        for s in -4000..=4000 {
            let t = s as f64 / 1000.0;
            let w = (-t.powi(4) - t * t / 8.0).exp();
            z += w;
            m2 += w * t * t;
        }
        assert!(mean[0].abs() < 1e-9 && mean[1].abs() < 1e-9);
        assert!((var[0] - 1.0).abs() < 1e-6, "Var x₀ {}", var[0]);
        assert!(
            (var[1] / (m2 / z) - 1.0).abs() < 0.1,
            "Var x₁ {} against {}",
            var[1],
            m2 / z
        );
    }
}
