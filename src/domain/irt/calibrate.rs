//! Item calibration by marginal maximum likelihood (Bock–Aitkin EM) on the engine's metric
//! (logistic, D = 1), for the 2PL and the 3PL, from incomplete designs (each person answers a
//! subset). Item estimates are posterior modes under normal priors on the working scale:
//! log a ~ N(μ_a, σ_a²), b ~ N(0, 2²) and, for the 3PL, logit c ~ N(μ_c, σ_c²). The priors on
//! log a and logit c are estimated from the bank itself (empirical Bayes, as in Mislevy 1986,
//! "Bayes modal estimation in item response models"): after each M-step their mean and variance
//! are set to the mean of the free items' posterior means and posterior second moments, with a
//! conjugate hyperprior worth [`HYPER_WEIGHT`] items at the defaults log a ~ N(0, 0.5²) and
//! logit c ~ N(logit 0.2, 0.56²) (matching the Beta(5, 17) penalty on c, mode 0.2, the module
//! had before).
//! Borrowing strength this way keeps the weakly identified c of each item near what the bank's
//! other items show instead of near a fixed guess. Anchor items keep the parameters given
//! (fixed-parameter calibration), so new items land on the anchors' scale. Pure: no I/O.

use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Model {
    #[serde(rename = "2pl")]
    TwoPl,
    #[serde(rename = "3pl")]
    ThreePl,
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub person: String,
    pub item: String,
    pub correct: bool,
}

/// Parameters held fixed.
#[derive(Debug, Clone)]
pub struct Anchor {
    pub id: String,
    pub a: f64,
    pub b: f64,
    pub c: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemEstimate {
    pub id: String,
    pub a: f64,
    pub b: f64,
    pub c: f64,
    pub se_a: Option<f64>,
    pub se_b: Option<f64>,
    pub se_c: Option<f64>,
    /// Responses to the item.
    pub n: usize,
    /// Root mean squared difference between the observed and the model's proportion correct
    /// over the ability grid, weighted by the posterior mass there (RMSD item fit; above about
    /// 0.1 the model fits the item poorly).
    pub fit: f64,
    pub anchored: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    pub model: Model,
    pub items: Vec<ItemEstimate>,
    pub iterations: usize,
    pub converged: bool,
    pub log_likelihood: f64,
}

/// What makes a calibration impossible, in words a person can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum CalibrationError {
    NoResponses,
    UnknownAnchor(String),
    NoVariance { item: String, all_correct: bool },
    BadAnchor(String),
}

impl std::fmt::Display for CalibrationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CalibrationError::NoResponses => write!(f, "there are no responses to calibrate"),
            CalibrationError::UnknownAnchor(id) => write!(
                f,
                "anchor item {id:?} has no responses: every anchor must appear in the responses"
            ),
            CalibrationError::NoVariance { item, all_correct } => write!(
                f,
                "everyone answered item {item:?} {}: it carries no information and cannot be calibrated; leave it out",
                if *all_correct { "correctly" } else { "wrongly" }
            ),
            CalibrationError::BadAnchor(id) => write!(
                f,
                "anchor item {id:?} needs a > 0, a finite b and 0 <= c < 1"
            ),
        }
    }
}

const NODES: usize = 41;

/// Working-scale priors: means and SDs of (log a, b, logit c).
#[derive(Debug, Clone, Copy)]
struct Prior {
    mean: [f64; 3],
    sd: [f64; 3],
}

/// The default priors (before the bank's own are estimated): log a ~ N(0, 0.5²), b ~ N(0, 2²),
/// logit c ~ N(logit 0.2, 0.559²): the mode and curvature, as a function of logit c, of the
/// penalty 4 ln c + 16 ln(1 − c) (a Beta(5, 17) density on c, without the logit Jacobian) that
/// this module used before the priors were estimated.
const DEFAULT_PRIOR: Prior = Prior {
    mean: [0.0, 0.0, -1.386],
    sd: [0.5, 2.0, 0.559],
};

/// How many items' worth of weight the default priors keep when the bank's priors are estimated,
/// so a handful of free items cannot pull the priors far.
const HYPER_WEIGHT: f64 = 10.0;

fn p3(a: f64, b: f64, c: f64, theta: f64) -> f64 {
    c + (1.0 - c) / (1.0 + (-a * (theta - b)).exp())
}

/// Free parameters in the unconstrained space: (log a, b, logit c).
fn to_natural(x: [f64; 3], model: Model) -> (f64, f64, f64) {
    let c = match model {
        Model::TwoPl => 0.0,
        Model::ThreePl => 1.0 / (1.0 + (-x[2]).exp()),
    };
    (x[0].exp(), x[1], c)
}

/// The expected complete-data log-likelihood of one item plus its log prior.
fn objective(x: [f64; 3], model: Model, prior: &Prior, grid: &[f64], n: &[f64], r: &[f64]) -> f64 {
    let (a, b, c) = to_natural(x, model);
    let mut f = 0.0;
    for q in 0..grid.len() {
        let p = p3(a, b, c, grid[q]).clamp(1e-9, 1.0 - 1e-9);
        f += r[q] * p.ln() + (n[q] - r[q]) * (1.0 - p).ln();
    }
    for d in 0..dims(model) {
        f -= (x[d] - prior.mean[d]).powi(2) / (2.0 * prior.sd[d] * prior.sd[d]);
    }
    f
}

fn dims(model: Model) -> usize {
    match model {
        Model::TwoPl => 2,
        Model::ThreePl => 3,
    }
}

/// Gradient and Hessian by central differences.
fn derivatives(x: [f64; 3], k: usize, f: &dyn Fn([f64; 3]) -> f64) -> ([f64; 3], [[f64; 3]; 3]) {
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
                for j in col..4 {
                    m[row][j] -= f * m[col][j];
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
fn inverse_diagonal(h: [[f64; 3]; 3], k: usize) -> Option<[f64; 3]> {
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
fn maximize(x0: [f64; 3], k: usize, f: &dyn Fn([f64; 3]) -> f64) -> ([f64; 3], [[f64; 3]; 3]) {
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

/// The posterior mean and variance of each working parameter of one item, by adaptive
/// Gauss–Hermite quadrature around the mode `x`, where the Hessian `h` of `f` (the log posterior)
/// sets the scale; `None` when `h` is not negative definite. The rule is the 5-point product rule
/// without the nodes that have two or more coordinates at ±2.857 (weights below 1e-4 of the
/// total, 0.15 % together for three parameters), which saves a third of the evaluations for the
/// 3PL (a sixth for the 2PL).
fn posterior_moments(
    x: [f64; 3],
    h: [[f64; 3]; 3],
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
    // Cholesky factor of the negative Hessian, −H = L Lᵀ; the nodes are x + L⁻ᵀ z.
    let mut l = [[0.0; 3]; 3];
    for i in 0..k {
        for j in 0..=i {
            let s = -h[i][j] - (0..j).map(|t| l[i][t] * l[j][t]).sum::<f64>();
            if i == j {
                // Not positive (or NaN): no Gaussian approximation to integrate around.
                if s.is_nan() || s <= 0.0 {
                    return None;
                }
                l[i][i] = s.sqrt();
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    let f0 = f(x);
    let (mut total, mut m1, mut m2) = (0.0, [0.0; 3], [0.0; 3]);
    for node in 0..5usize.pow(k as u32) {
        let (mut z, mut w, mut rest) = ([0.0; 3], 1.0, node);
        let mut outer = 0;
        for zd in z.iter_mut().take(k) {
            *zd = Z[rest % 5];
            w *= W[rest % 5];
            outer += usize::from(rest % 5 == 0 || rest % 5 == 4);
            rest /= 5;
        }
        if outer > 1 {
            continue;
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

/// Re-estimates the priors on log a and logit c from the free items' posterior moments (the
/// M-step for the hyperparameters of a normal hierarchical model), shrunk towards the defaults by
/// a conjugate hyperprior worth [`HYPER_WEIGHT`] items. The prior on b stays as it is.
fn update_prior(moments: &[([f64; 3], [f64; 3])], model: Model) -> Prior {
    let mut prior = DEFAULT_PRIOR;
    if moments.is_empty() {
        return prior;
    }
    let m = moments.len() as f64;
    let dims: &[usize] = match model {
        Model::TwoPl => &[0],
        Model::ThreePl => &[0, 2],
    };
    for &d in dims {
        let (m0, s0) = (DEFAULT_PRIOR.mean[d], DEFAULT_PRIOR.sd[d]);
        let mean = (HYPER_WEIGHT * m0 + moments.iter().map(|(e, _)| e[d]).sum::<f64>())
            / (HYPER_WEIGHT + m);
        let ss: f64 = moments
            .iter()
            .map(|(e, v)| (e[d] - mean).powi(2) + v[d])
            .sum();
        prior.mean[d] = mean;
        prior.sd[d] = ((HYPER_WEIGHT * s0 * s0 + ss) / (HYPER_WEIGHT + m))
            .sqrt()
            .max(0.02);
    }
    prior
}

/// Responses indexed: item ids in order of first appearance, each person's answers as
/// (item index, correct), and per item the number of answers and of right ones.
struct Indexed {
    item_ids: Vec<String>,
    item_index: HashMap<String, usize>,
    by_person: Vec<Vec<(usize, bool)>>,
    n_item: Vec<usize>,
    right: Vec<usize>,
}

fn index(responses: &[Response]) -> Indexed {
    let mut item_index: HashMap<String, usize> = HashMap::new();
    let mut person_index: HashMap<&str, usize> = HashMap::new();
    let mut item_ids: Vec<String> = vec![];
    let mut by_person: Vec<Vec<(usize, bool)>> = vec![];
    for r in responses {
        let i = *item_index.entry(r.item.clone()).or_insert_with(|| {
            item_ids.push(r.item.clone());
            item_ids.len() - 1
        });
        let p = *person_index.entry(&r.person).or_insert_with(|| {
            by_person.push(vec![]);
            by_person.len() - 1
        });
        by_person[p].push((i, r.correct));
    }
    let m = item_ids.len();
    let mut n_item = vec![0usize; m];
    let mut right = vec![0usize; m];
    for answers in &by_person {
        for &(i, u) in answers {
            n_item[i] += 1;
            right[i] += usize::from(u);
        }
    }
    Indexed {
        item_ids,
        item_index,
        by_person,
        n_item,
        right,
    }
}

/// Start values: anchors at their parameters (fixed), the rest from their proportion correct.
fn start_values(
    ix: &Indexed,
    anchors: &[Anchor],
    model: Model,
) -> Result<(Vec<(f64, f64, f64)>, Vec<bool>), CalibrationError> {
    let m = ix.item_ids.len();
    let mut params: Vec<(f64, f64, f64)> = vec![(1.0, 0.0, 0.0); m];
    let mut fixed = vec![false; m];
    for a in anchors {
        let Some(&i) = ix.item_index.get(&a.id) else {
            return Err(CalibrationError::UnknownAnchor(a.id.clone()));
        };
        if !(a.a > 0.0 && a.a.is_finite() && a.b.is_finite() && (0.0..1.0).contains(&a.c)) {
            return Err(CalibrationError::BadAnchor(a.id.clone()));
        }
        params[i] = (a.a, a.b, a.c);
        fixed[i] = true;
    }
    for i in 0..m {
        if fixed[i] {
            continue;
        }
        let (n, right) = (ix.n_item[i], ix.right[i]);
        if right == 0 || right == n {
            return Err(CalibrationError::NoVariance {
                item: ix.item_ids[i].clone(),
                all_correct: right == n,
            });
        }
        let pc = right as f64 / n as f64;
        let c0 = if model == Model::ThreePl { 0.2 } else { 0.0 };
        let adj = ((pc - c0) / (1.0 - c0)).clamp(0.02, 0.98);
        params[i] = (1.0, -(adj / (1.0 - adj)).ln(), c0);
    }
    Ok((params, fixed))
}

/// The quadrature grid and its N(0, 1) weights.
fn quadrature() -> (Vec<f64>, Vec<f64>) {
    let grid: Vec<f64> = (0..NODES)
        .map(|q| -4.0 + 8.0 * q as f64 / (NODES - 1) as f64)
        .collect();
    let w: Vec<f64> = grid.iter().map(|t| (-t * t / 2.0).exp()).collect();
    let s: f64 = w.iter().sum();
    (grid, w.into_iter().map(|v| v / s).collect())
}

/// E-step: each person's posterior over the grid, summed per item into expected answers `n` and
/// expected right answers `r` at each node. Returns the marginal log-likelihood.
fn e_step(
    params: &[(f64, f64, f64)],
    by_person: &[Vec<(usize, bool)>],
    grid: &[f64],
    prior: &[f64],
    n: &mut [Vec<f64>],
    r: &mut [Vec<f64>],
) -> f64 {
    let table: Vec<Vec<(f64, f64)>> = params
        .iter()
        .map(|&(a, b, c)| {
            grid.iter()
                .map(|&t| {
                    let p = p3(a, b, c, t).clamp(1e-12, 1.0 - 1e-12);
                    (p.ln(), (1.0 - p).ln())
                })
                .collect()
        })
        .collect();
    for row in n.iter_mut().chain(r.iter_mut()) {
        row.iter_mut().for_each(|v| *v = 0.0);
    }
    let mut ll = 0.0;
    let mut post = vec![0.0; NODES];
    for answers in by_person {
        let mut max = f64::NEG_INFINITY;
        for q in 0..NODES {
            let mut l = prior[q].ln();
            for &(i, u) in answers {
                l += if u { table[i][q].0 } else { table[i][q].1 };
            }
            post[q] = l;
            max = max.max(l);
        }
        let mut sum = 0.0;
        for v in post.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        ll += max + sum.ln();
        for v in post.iter_mut() {
            *v /= sum;
        }
        for &(i, u) in answers {
            for q in 0..NODES {
                n[i][q] += post[q];
                if u {
                    r[i][q] += post[q];
                }
            }
        }
    }
    ll
}

/// One item's final estimate: standard errors from the observed information, RMSD fit.
fn estimate_of(
    ix: &Indexed,
    i: usize,
    x: [f64; 3],
    params: (f64, f64, f64),
    fixed: bool,
    model: Model,
    prior: &Prior,
    grid: &[f64],
    n: &[f64],
    r: &[f64],
) -> ItemEstimate {
    let (a, b, c) = params;
    let k = dims(model);
    let (mut se_a, mut se_b, mut se_c) = (None, None, None);
    if !fixed {
        let f = |xx: [f64; 3]| objective(xx, model, prior, grid, n, r);
        let (_, h) = derivatives(x, k, &f);
        let neg = h.map(|row| row.map(|v| -v));
        if let Some(var) = inverse_diagonal(neg, k) {
            let sd = |v: f64| (v > 0.0).then(|| v.sqrt());
            se_a = sd(var[0]).map(|s| s * a);
            se_b = sd(var[1]);
            if model == Model::ThreePl {
                se_c = sd(var[2]).map(|s| s * c * (1.0 - c));
            }
        }
    }
    let total: f64 = n.iter().sum();
    let fit = if total > 0.0 {
        let s: f64 = (0..NODES)
            .filter(|&q| n[q] > 1e-9)
            .map(|q| {
                let d = r[q] / n[q] - p3(a, b, c, grid[q]);
                n[q] * d * d
            })
            .sum();
        (s / total).sqrt()
    } else {
        0.0
    };
    ItemEstimate {
        id: ix.item_ids[i].clone(),
        a,
        b,
        c,
        se_a,
        se_b,
        se_c,
        n: ix.n_item[i],
        fit,
        anchored: fixed,
    }
}

/// Calibrates every item in `responses` not in `anchors`.
pub fn calibrate(
    responses: &[Response],
    anchors: &[Anchor],
    model: Model,
    max_iterations: usize,
    mut progress: impl FnMut(usize, f64),
) -> Result<Calibration, CalibrationError> {
    if responses.is_empty() {
        return Err(CalibrationError::NoResponses);
    }
    let ix = index(responses);
    let (mut params, fixed) = start_values(&ix, anchors, model)?;
    let m = ix.item_ids.len();
    let (grid, prior) = quadrature();
    let k = dims(model);
    let mut x: Vec<[f64; 3]> = params
        .iter()
        .map(|&(a, b, c)| {
            let lc = if model == Model::ThreePl {
                (c.max(1e-3) / (1.0 - c.max(1e-3))).ln()
            } else {
                0.0
            };
            [a.ln(), b, lc]
        })
        .collect();
    let mut loglik = f64::NEG_INFINITY;
    let mut converged = false;
    let mut iterations = 0;
    let mut n = vec![vec![0.0; NODES]; m];
    let mut r = vec![vec![0.0; NODES]; m];
    let mut item_prior = DEFAULT_PRIOR;
    for it in 1..=max_iterations {
        iterations = it;
        let ll = e_step(&params, &ix.by_person, &grid, &prior, &mut n, &mut r);
        // M-step: each free item's posterior mode, then the bank's priors from the posteriors.
        let mut change: f64 = 0.0;
        let mut moments = vec![];
        for i in (0..m).filter(|&i| !fixed[i]) {
            let f = |xx: [f64; 3]| objective(xx, model, &item_prior, &grid, &n[i], &r[i]);
            let (xn, h) = maximize(x[i], k, &f);
            for d in 0..k {
                change = change.max((xn[d] - x[i][d]).abs());
            }
            x[i] = xn;
            params[i] = to_natural(xn, model);
            moments.extend(posterior_moments(xn, h, k, &f));
        }
        let next_prior = update_prior(&moments, model);
        for d in 0..3 {
            change = change
                .max((next_prior.mean[d] - item_prior.mean[d]).abs())
                .max((next_prior.sd[d] - item_prior.sd[d]).abs());
        }
        progress(it, ll);
        loglik = ll;
        // Converged when no free parameter and no prior moved by more than 0.001 on its working
        // scale; the standard errors then use the priors of this last M-step.
        if change < 1e-3 {
            converged = true;
            break;
        }
        item_prior = next_prior;
    }
    let items = (0..m)
        .map(|i| {
            estimate_of(
                &ix,
                i,
                x[i],
                params[i],
                fixed[i],
                model,
                &item_prior,
                &grid,
                &n[i],
                &r[i],
            )
        })
        .collect();
    Ok(Calibration {
        model,
        items,
        iterations,
        converged,
        log_likelihood: loglik,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// Simulated answers from known 2PL parameters, with each person seeing a random 60 %.
    fn simulate(items: &[(f64, f64)], persons: usize, seed: u64) -> Vec<Response> {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
        let mut out = vec![];
        for p in 0..persons {
            // Box–Muller normal ability.
            let (u1, u2): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random_range(0.0..1.0));
            let theta = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            for (i, &(a, b)) in items.iter().enumerate() {
                if rng.random_range(0.0..1.0) > 0.6 {
                    continue;
                }
                let pr = p3(a, b, 0.0, theta);
                out.push(Response {
                    person: format!("p{p}"),
                    item: format!("i{i}"),
                    correct: rng.random_range(0.0..1.0) < pr,
                });
            }
        }
        out
    }

    #[test]
    fn recovers_2pl_parameters_from_an_incomplete_design() {
        let truth: Vec<(f64, f64)> = (0..20)
            .map(|i| (0.7 + 0.06 * i as f64, -1.8 + 0.19 * i as f64))
            .collect();
        let data = simulate(&truth, 3000, 7);
        let cal = calibrate(&data, &[], Model::TwoPl, 200, |_, _| {}).unwrap();
        assert!(cal.converged);
        let (mut ea, mut eb) = (0.0, 0.0);
        for est in &cal.items {
            let i: usize = est.id[1..].parse().unwrap();
            ea += (est.a - truth[i].0).powi(2);
            eb += (est.b - truth[i].1).powi(2);
            assert!(est.se_b.unwrap() > 0.0 && est.se_b.unwrap() < 0.3);
        }
        let (rmse_a, rmse_b) = ((ea / 20.0).sqrt(), (eb / 20.0).sqrt());
        assert!(
            rmse_a < 0.15 && rmse_b < 0.15,
            "RMSE a {rmse_a:.3}, b {rmse_b:.3}"
        );
    }

    #[test]
    fn anchors_stay_fixed_and_unknown_or_silent_items_are_refused() {
        let truth = [(1.0, -0.5), (1.2, 0.5), (0.9, 0.0)];
        let data = simulate(&truth, 800, 3);
        let anchors = [Anchor {
            id: "i0".into(),
            a: 1.0,
            b: -0.5,
            c: 0.0,
        }];
        let cal = calibrate(&data, &anchors, Model::TwoPl, 100, |_, _| {}).unwrap();
        let i0 = cal.items.iter().find(|e| e.id == "i0").unwrap();
        assert!(i0.anchored && i0.b == -0.5 && i0.se_b.is_none());
        let ghost = [Anchor {
            id: "nope".into(),
            a: 1.0,
            b: 0.0,
            c: 0.0,
        }];
        assert_eq!(
            calibrate(&data, &ghost, Model::TwoPl, 10, |_, _| {}).unwrap_err(),
            CalibrationError::UnknownAnchor("nope".into())
        );
        let mut easy = data.clone();
        for p in 0..5 {
            easy.push(Response {
                person: format!("p{p}"),
                item: "free".into(),
                correct: true,
            });
        }
        let err = calibrate(&easy, &[], Model::TwoPl, 10, |_, _| {}).unwrap_err();
        assert!(
            err.to_string()
                .contains("everyone answered item \"free\" correctly")
        );
    }
}
