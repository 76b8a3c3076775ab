//! Item calibration by marginal maximum likelihood (Bock–Aitkin EM) on the engine's metric
//! (logistic, D = 1), for the 2PL and the 3PL, from incomplete designs (each person answers a
//! subset). Item estimates are posterior modes under normal priors on the working scale:
//! log a ~ N(μ_a, σ_a²), b ~ N(0, 2²) and, for the 3PL, logit c ~ N(μ_c, σ_c²). The priors on
//! log a and logit c are estimated from the bank itself (empirical Bayes, as in Mislevy 1986,
//! "Bayes modal estimation in item response models"): after each M-step their mean and variance
//! are re-estimated from every item's posterior mean and variance (adaptive Gauss–Hermite
//! quadrature, `item.rs`; anchors count as points), under a conjugate normal–inverse-gamma
//! hyperprior worth ten items at the defaults log a ~ N(0, 0.5²) and logit c ~ N(logit 0.2, 0.56²)
//! (matching the Beta(5, 17) penalty on c, mode 0.2, the module had before; `prior.rs`).
//! Borrowing strength this way keeps the weakly identified c of each item near what the bank's
//! other items show instead of near a fixed guess. Anchor items keep the parameters given
//! (fixed-parameter calibration), so new items land on the anchors' scale, and the bank's priors
//! there come mostly from the anchors rather than from the few new items. Pure: no I/O.

use serde::Serialize;
use std::collections::HashMap;

mod item;
mod prior;

use item::{derivatives, dims, inverse_diagonal, maximize, objective, posterior_moments};
use prior::{Prior, update_prior};
// The engine's own quadrature grid (61 nodes over [−6, 6], `posterior.rs`): calibration and the
// engine's EAP integrate ability over the same points.
use super::posterior::NODES;

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

/// An item's parameters on their natural scales: (a, b, c).
type Abc = (f64, f64, f64);

fn p3(a: f64, b: f64, c: f64, theta: f64) -> f64 {
    c + (1.0 - c) / (1.0 + (-a * (theta - b)).exp())
}

/// Free parameters in the unconstrained space: (log a, b, logit c).
fn to_natural(x: [f64; 3], model: Model) -> Abc {
    let c = match model {
        Model::TwoPl => 0.0,
        Model::ThreePl => 1.0 / (1.0 + (-x[2]).exp()),
    };
    (x[0].exp(), x[1], c)
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
) -> Result<(Vec<Abc>, Vec<bool>), CalibrationError> {
    let m = ix.item_ids.len();
    let mut params: Vec<Abc> = vec![(1.0, 0.0, 0.0); m];
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

/// The quadrature grid (the engine's) and its N(0, 1) weights.
fn quadrature() -> (Vec<f64>, Vec<f64>) {
    let grid: Vec<f64> = super::posterior::nodes().to_vec();
    let w: Vec<f64> = grid.iter().map(|t| (-t * t / 2.0).exp()).collect();
    let s: f64 = w.iter().sum();
    (grid, w.into_iter().map(|v| v / s).collect())
}

/// E-step: each person's posterior over the grid, summed per item into expected answers `n` and
/// expected right answers `r` at each node. Returns the marginal log-likelihood.
fn e_step(
    params: &[Abc],
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

/// One item's state at the end of the EM run: working-scale parameters, their natural values,
/// whether it was an anchor, and its expected counts (examinees and right answers) per node.
struct ItemFit<'a> {
    x: [f64; 3],
    params: Abc,
    fixed: bool,
    n: &'a [f64],
    r: &'a [f64],
}

/// One item's final estimate: standard errors from the observed information, RMSD fit.
fn estimate_of(
    ix: &Indexed,
    i: usize,
    fit: ItemFit<'_>,
    model: Model,
    prior: &Prior,
    grid: &[f64],
) -> ItemEstimate {
    let ItemFit {
        x,
        params,
        fixed,
        n,
        r,
    } = fit;
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
    progress: impl FnMut(usize, f64),
) -> Result<Calibration, CalibrationError> {
    calibrate_with_prior(responses, anchors, model, max_iterations, progress).map(|(cal, _)| cal)
}

/// [`calibrate`], also returning the bank's priors it ended with.
fn calibrate_with_prior(
    responses: &[Response],
    anchors: &[Anchor],
    model: Model,
    max_iterations: usize,
    mut progress: impl FnMut(usize, f64),
) -> Result<(Calibration, Prior), CalibrationError> {
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
    // Anchors are items of the same bank whose parameters are given: they count towards the
    // bank's priors as points, so a fixed-parameter (pretest) calibration of a few new items
    // borrows the priors the anchors show instead of estimating them from the new items alone.
    let anchor_points: Vec<([f64; 3], [f64; 3])> = (0..m)
        .filter(|&i| fixed[i])
        .map(|i| {
            let (a, b, c) = params[i];
            ([a.ln(), b, (c / (1.0 - c)).ln()], [0.0; 3])
        })
        .collect();
    let mut item_prior = update_prior(&anchor_points, model);
    for it in 1..=max_iterations {
        iterations = it;
        let ll = e_step(&params, &ix.by_person, &grid, &prior, &mut n, &mut r);
        // M-step: each free item's posterior mode, then the bank's priors from the posteriors.
        let mut change: f64 = 0.0;
        let mut moments = anchor_points.clone();
        for i in (0..m).filter(|&i| !fixed[i]) {
            let f = |xx: [f64; 3]| objective(xx, model, &item_prior, &grid, &n[i], &r[i]);
            let (xn, h) = maximize(x[i], k, &f);
            for d in 0..k {
                change = change.max((xn[d] - x[i][d]).abs());
            }
            x[i] = xn;
            params[i] = to_natural(xn, model);
            moments.extend(posterior_moments(xn, h, item_prior.sd, k, &f));
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
                ItemFit {
                    x: x[i],
                    params: params[i],
                    fixed: fixed[i],
                    n: &n[i],
                    r: &r[i],
                },
                model,
                &item_prior,
                &grid,
            )
        })
        .collect();
    let cal = Calibration {
        model,
        items,
        iterations,
        converged,
        log_likelihood: loglik,
    };
    Ok((cal, item_prior))
}

#[cfg(test)]
mod tests;
