//! Stopping rules: SPRT around the cut, the NCLEX-style 95 % confidence-interval rule, and the
//! min / max / per-area-minimum guards that must hold before any early stop.

use serde::{Deserialize, Serialize};

use super::error::IrtError;
use super::model::ItemParams;

/// The early-stop rule applied once the minimums are met.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StopRule {
    /// No early stop: the test runs to `max_items` (fixed-length forms).
    None,
    /// Wald's sequential probability ratio test of θ = cut + δ against θ = cut − δ.
    Sprt {
        /// Half-width of the indifference region around the cut.
        delta: f64,
        /// Tolerated false-pass rate (type I error).
        alpha: f64,
        /// Tolerated false-fail rate (type II error).
        beta: f64,
    },
    /// Bayesian expected-loss stop: keep testing while some number k of further items is
    /// expected to lower the posterior probability of a wrong verdict by more than k · `cost`
    /// (look-ahead over k = 1, 2, 4, … up to the maximum length); then pass iff P(θ ≥ cut) ≥
    /// w / (1 + w), w = `false_pass_weight`. Unlike the SPRT it knows when more items are futile
    /// (a candidate sitting on the cut) and when a few more would settle the verdict.
    ExpectedLoss {
        /// Price of one item, in probability of a wrong verdict (e.g. 0.0002).
        cost: f64,
        /// Loss of a false pass relative to a false fail (1 = symmetric; 1.5 → pass at P ≥ 0.6).
        false_pass_weight: f64,
    },
    /// Stop once |θ̂ − cut| > z · PSD (z = 1.96 for 95 %).
    ConfidenceInterval {
        /// Normal quantile of the interval.
        z: f64,
    },
}

/// Test length limits and the early-stop rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoppingConfig {
    /// Minimum number of scored items before an early stop.
    pub min_items: u32,
    /// Maximum number of scored items (the test length when `min_items == max_items`).
    pub max_items: u32,
    /// Minimum scored items in every blueprint area before an early stop.
    pub min_per_area: u32,
    /// Early-stop rule.
    pub rule: StopRule,
    /// A decision by estimate (maximum length, curtailment, time-out) passes only if θ̂ ≥ cut
    /// and P(θ ≥ cut) is at least this; 0 means θ̂ ≥ cut alone (the real exam's rule). A
    /// readiness check uses 0.6: calling an unready student ready is the costlier mistake.
    #[serde(default)]
    pub min_pass_probability: f64,
    /// Stochastic curtailment: once the minimums are met, stop when the verdict at the maximum
    /// length is predicted to be the same as now with at least this probability.
    #[serde(default)]
    pub curtail: Option<f64>,
    /// With [`StopRule::Sprt`]: decide on the generalized likelihood ratio (θ maximised on each
    /// side of the indifference region, Thompson 2009) instead of Wald's fixed θ = cut ± δ.
    #[serde(default)]
    pub glr: bool,
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The SPRT reached a decision boundary.
    Sprt,
    /// The confidence interval excluded the cut.
    ConfidenceInterval,
    /// Maximum length reached (variable mode): pass iff θ̂ ≥ cut.
    MaxItems,
    /// Fixed-length form completed: pass iff θ̂ ≥ cut.
    FixedLength,
    /// Time ran out.
    TimeOut,
    /// The pool ran out of eligible items before the test could finish normally.
    PoolExhausted,
    /// Stochastic curtailment: more items were very unlikely to change the verdict (or, with
    /// the expected-loss rule, not likely enough to be worth their cost).
    Curtailed,
}

/// A pass/fail decision with its reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// Whether the examinee passed.
    pub passed: bool,
    /// Which rule ended the session.
    pub reason: StopReason,
}

impl StoppingConfig {
    /// A fixed-length form of `length` scored items: no early stop, pass iff θ̂ ≥ cut.
    pub fn fixed(length: u32) -> Self {
        StoppingConfig {
            min_items: length,
            max_items: length,
            min_per_area: 0,
            rule: StopRule::None,
            min_pass_probability: 0.0,
            curtail: None,
            glr: false,
        }
    }

    /// True for fixed-length forms (min = max, no early stop).
    pub fn is_fixed_length(&self) -> bool {
        self.min_items == self.max_items
    }

    /// The verdict by estimate: θ̂ ≥ cut and P(θ ≥ cut) ≥ `min_pass_probability`.
    pub fn pass_by_estimate(&self, theta: f64, p_pass: f64, cut: f64) -> bool {
        theta >= cut && p_pass >= self.min_pass_probability
    }

    /// How far above the cut θ̂ must lie, in posterior SDs, for the verdict by estimate to be a
    /// pass (normal approximation of the posterior).
    fn pass_margin_z(&self) -> f64 {
        if self.min_pass_probability > 0.5 {
            normal_quantile(self.min_pass_probability)
        } else {
            0.0
        }
    }

    /// Checks the limits and the rule's parameters.
    pub fn validate(&self) -> Result<(), IrtError> {
        if self.max_items == 0 || self.min_items > self.max_items {
            return Err(IrtError::InvalidConfig(format!(
                "need 0 < min_items ({}) <= max_items ({})",
                self.min_items, self.max_items
            )));
        }
        if !(0.0..1.0).contains(&self.min_pass_probability) {
            return Err(IrtError::InvalidConfig(format!(
                "min_pass_probability must be in [0, 1) (got {})",
                self.min_pass_probability
            )));
        }
        if let Some(g) = self.curtail
            && !(g > 0.5 && g < 1.0)
        {
            return Err(IrtError::InvalidConfig(format!(
                "curtail must be in (0.5, 1) (got {g})"
            )));
        }
        match self.rule {
            StopRule::None => Ok(()),
            StopRule::Sprt { delta, alpha, beta } => {
                let in01 = |x: f64| x.is_finite() && x > 0.0 && x < 1.0;
                let ok = delta.is_finite()
                    && delta > 0.0
                    && in01(alpha)
                    && in01(beta)
                    && alpha + beta < 1.0;
                if !ok {
                    return Err(IrtError::InvalidConfig(format!(
                        "SPRT needs delta > 0 and alpha, beta in (0,1) with alpha + beta < 1 (got {delta}, {alpha}, {beta})"
                    )));
                }
                Ok(())
            }
            StopRule::ExpectedLoss {
                cost,
                false_pass_weight,
            } => {
                let ok = cost.is_finite()
                    && cost > 0.0
                    && false_pass_weight.is_finite()
                    && false_pass_weight > 0.0;
                if !ok {
                    return Err(IrtError::InvalidConfig(format!(
                        "expected-loss rule needs cost > 0 and false_pass_weight > 0 (got {cost}, {false_pass_weight})"
                    )));
                }
                Ok(())
            }
            StopRule::ConfidenceInterval { z } => {
                if !(z.is_finite() && z > 0.0) {
                    return Err(IrtError::InvalidConfig(format!(
                        "CI rule needs z > 0 (got {z})"
                    )));
                }
                Ok(())
            }
        }
    }
}

/// Spacing of the θ grid on which [`Sprt`] also keeps the log-likelihood (for the GLR).
pub const GLR_STEP: f64 = 0.1;
/// Grid nodes on each side of the cut (the grid spans cut ± `GLR_HALF`·`GLR_STEP`).
pub const GLR_HALF: usize = 40;
const GLR_NODES: usize = 2 * GLR_HALF + 1;

/// θ of grid node `k` around `cut`.
fn grid_theta(cut: f64, k: usize) -> f64 {
    cut + (k as f64 - GLR_HALF as f64) * GLR_STEP
}

/// Running SPRT statistic: Σ ln L_i(cut + δ) − ln L_i(cut − δ) over the scored items, and the
/// log-likelihood on a grid around the cut for the generalized likelihood ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sprt {
    cut: f64,
    upper_theta: f64,
    lower_theta: f64,
    upper_ll: f64,
    lower_ll: f64,
    grid_ll: [f64; GLR_NODES],
}

impl Sprt {
    /// A fresh statistic for the hypotheses θ = cut ± δ.
    pub fn new(cut: f64, delta: f64) -> Self {
        Sprt {
            cut,
            upper_theta: cut + delta,
            lower_theta: cut - delta,
            upper_ll: 0.0,
            lower_ll: 0.0,
            grid_ll: [0.0; GLR_NODES],
        }
    }

    /// Adds one scored response (O(grid)).
    pub fn update(&mut self, item: &ItemParams, correct: bool) {
        self.upper_ll += item.log_likelihood(self.upper_theta, correct);
        self.lower_ll += item.log_likelihood(self.lower_theta, correct);
        let cut = self.cut;
        for (k, ll) in self.grid_ll.iter_mut().enumerate() {
            *ll += item.log_likelihood(grid_theta(cut, k), correct);
        }
    }

    /// The current log likelihood ratio.
    pub fn log_ratio(&self) -> f64 {
        self.upper_ll - self.lower_ll
    }

    /// The generalized log likelihood ratio (Thompson 2009): the log-likelihood maximised over
    /// θ ≥ cut + δ minus its maximum over θ ≤ cut − δ (on the grid, plus the two boundaries).
    /// With a unimodal likelihood it is never nearer zero than [`Sprt::log_ratio`] when that
    /// is past a decision boundary, so it stops no later and decides the same way.
    pub fn generalized_log_ratio(&self) -> f64 {
        let mut hi = self.upper_ll;
        let mut lo = self.lower_ll;
        for (k, &ll) in self.grid_ll.iter().enumerate() {
            let t = grid_theta(self.cut, k);
            if t > self.upper_theta {
                hi = hi.max(ll);
            } else if t < self.lower_theta {
                lo = lo.max(ll);
            }
        }
        hi - lo
    }

    /// `Some(true)` (pass) when llr ≥ ln((1 − β)/α), `Some(false)` (fail) when llr ≤ ln(β/(1 − α)).
    pub fn decision(&self, alpha: f64, beta: f64) -> Option<bool> {
        wald_decision(self.log_ratio(), alpha, beta)
    }

    /// As [`Sprt::decision`] on the generalized log likelihood ratio.
    pub fn generalized_decision(&self, alpha: f64, beta: f64) -> Option<bool> {
        wald_decision(self.generalized_log_ratio(), alpha, beta)
    }
}

/// Wald's boundaries: pass at llr ≥ ln((1 − β)/α), fail at llr ≤ ln(β/(1 − α)).
fn wald_decision(llr: f64, alpha: f64, beta: f64) -> Option<bool> {
    if llr >= ((1.0 - beta) / alpha).ln() {
        Some(true)
    } else if llr <= (beta / (1.0 - alpha)).ln() {
        Some(false)
    } else {
        None
    }
}

/// The 95 %-CI rule: `Some(pass)` when |θ̂ − cut| > z · PSD.
pub fn ci_decision(theta: f64, psd: f64, cut: f64, z: f64) -> Option<bool> {
    if (theta - cut).abs() > z * psd {
        Some(theta > cut)
    } else {
        None
    }
}

/// What the stopping check needs to know about a session after a scored answer.
#[derive(Debug, Clone, Copy)]
pub struct StopState<'a> {
    /// Scored items so far.
    pub n_scored: u32,
    /// Scored items per blueprint area.
    pub area_counts: &'a [u32],
    /// Current EAP.
    pub theta: f64,
    /// Current posterior SD.
    pub psd: f64,
    /// Posterior mass at or above the cut.
    pub p_pass: f64,
    /// SD of the ability prior (to tell how much information the answers have added).
    pub prior_sd: f64,
    /// SPRT statistic.
    pub sprt: &'a Sprt,
    /// Cut score on the θ scale.
    pub cut: f64,
}

/// Applies the stopping configuration; `None` means "keep testing".
///
/// Order: maximum length first (pass iff θ̂ ≥ cut), then — only once `min_items` and the
/// per-area minimum are met — the early-stop rule.
pub fn evaluate(cfg: &StoppingConfig, s: &StopState<'_>) -> Option<Outcome> {
    if s.n_scored >= cfg.max_items {
        let reason = if cfg.is_fixed_length() {
            StopReason::FixedLength
        } else {
            StopReason::MaxItems
        };
        return Some(Outcome {
            passed: cfg.pass_by_estimate(s.theta, s.p_pass, s.cut),
            reason,
        });
    }
    if s.n_scored < cfg.min_items || s.area_counts.iter().any(|&c| c < cfg.min_per_area) {
        return None;
    }
    let by_rule = match cfg.rule {
        StopRule::None => None,
        StopRule::Sprt { alpha, beta, .. } => {
            let d = if cfg.glr {
                s.sprt.generalized_decision(alpha, beta)
            } else {
                s.sprt.decision(alpha, beta)
            };
            d.map(|passed| Outcome {
                passed,
                reason: StopReason::Sprt,
            })
        }
        StopRule::ExpectedLoss {
            cost,
            false_pass_weight,
        } => expected_loss_decision(cfg, s, cost, false_pass_weight).map(|passed| Outcome {
            passed,
            reason: StopReason::Curtailed,
        }),
        StopRule::ConfidenceInterval { z } => {
            ci_decision(s.theta, s.psd, s.cut, z).map(|passed| Outcome {
                passed,
                reason: StopReason::ConfidenceInterval,
            })
        }
    };
    by_rule.or_else(|| {
        let gamma = cfg.curtail?;
        let p = predicted_final_pass(cfg, s);
        (p >= gamma || p <= 1.0 - gamma).then_some(Outcome {
            passed: p >= gamma,
            reason: StopReason::Curtailed,
        })
    })
}

/// Posterior loss of the better verdict at P(pass) = `p`: a false pass costs `w`, a false fail 1.
fn verdict_loss(p: f64, w: f64) -> f64 {
    (w * (1.0 - p)).min(p)
}

/// Expected loss of the verdict after `extra` more posterior precision, for a normal posterior
/// of SD `s` whose mean lies `z`·`s` above the cut. The posterior mean is a martingale: after the
/// items it is normal around today's with variance s² − s_k² (trapezoid rule on 25 nodes).
fn expected_loss_after(z: f64, s: f64, extra: f64, w: f64) -> f64 {
    let prec = 1.0 / (s * s);
    let s_k = 1.0 / (prec + extra).sqrt();
    let spread = (s * s - s_k * s_k).max(0.0).sqrt();
    let m = z * s;
    let (mut acc, mut wsum) = (0.0, 0.0);
    for j in 0..=24 {
        let x = -4.8 + 0.4 * f64::from(j);
        let wt = (-0.5 * x * x).exp();
        let p = normal_cdf((m + spread * x) / s_k);
        acc += wt * verdict_loss(p, w);
        wsum += wt;
    }
    acc / wsum
}

/// The expected-loss rule: `None` (keep testing) while some look-ahead of k more items, each
/// adding the average information the answered ones added, lowers the expected loss of the
/// verdict by more than k · `cost`; else `Some(pass)`. Horizons k = 1, 2, 4, … and the rest of
/// the test, so the rule sees both the next item and what a long test could still settle.
pub fn expected_loss_decision(
    cfg: &StoppingConfig,
    s: &StopState<'_>,
    cost: f64,
    false_pass_weight: f64,
) -> Option<bool> {
    let w = false_pass_weight;
    let p = s.p_pass.clamp(1e-12, 1.0 - 1e-12);
    let z = normal_quantile(p);
    let psd = s.psd.max(1e-6);
    let precision = 1.0 / (psd * psd);
    let prior_precision = 1.0 / (s.prior_sd * s.prior_sd);
    // As in the curtailment: a floor keeps a run of uninformative items from ending the test.
    let per_item = ((precision - prior_precision) / f64::from(s.n_scored.max(1))).max(0.05);
    let now = verdict_loss(p, w);
    let remaining = cfg.max_items.saturating_sub(s.n_scored);
    let mut k = 1u32;
    while k <= remaining {
        let after = expected_loss_after(z, psd, f64::from(k) * per_item, w);
        if now - after > cost * f64::from(k) {
            return None;
        }
        if k == remaining {
            break;
        }
        k = k.saturating_mul(2).min(remaining);
    }
    Some(p * (1.0 + w) >= w)
}

/// Probability that the verdict by estimate at the maximum length will be a pass, given the
/// answers so far (stochastic curtailment).
///
/// The remaining items are assumed to add as much information each as the answered ones did on
/// average (posterior precision gained per item). The EAP is a martingale: at the maximum length
/// it is approximately N(θ̂, PSD² − PSD_final²), and the verdict there is a pass iff it clears
/// cut + z·PSD_final, with z from `min_pass_probability`.
pub fn predicted_final_pass(cfg: &StoppingConfig, s: &StopState<'_>) -> f64 {
    let precision = 1.0 / (s.psd * s.psd);
    let prior_precision = 1.0 / (s.prior_sd * s.prior_sd);
    let n = f64::from(s.n_scored.max(1));
    // A floor keeps a run of uninformative items from predicting that nothing can change.
    let per_item = ((precision - prior_precision) / n).max(0.05);
    let remaining = f64::from(cfg.max_items.saturating_sub(s.n_scored));
    let final_precision = precision + remaining * per_item;
    let spread = (1.0 / precision - 1.0 / final_precision).max(0.0).sqrt();
    let threshold = s.cut + cfg.pass_margin_z() / final_precision.sqrt();
    if spread < 1e-12 {
        return if s.theta >= threshold { 1.0 } else { 0.0 };
    }
    normal_cdf((s.theta - threshold) / spread)
}

/// Standard normal CDF (erfc by the Numerical Recipes Chebyshev fit, |error| < 1.2e-7).
pub fn normal_cdf(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 {
        1.0 - 0.5 * erfc
    } else {
        0.5 * erfc
    }
}

/// Inverse of the standard normal CDF for p in (0, 1) (Acklam's rational approximation,
/// relative error < 1.2e-9).
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-300, 1.0 - 1e-16);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.024_25 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.024_25 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

#[cfg(test)]
mod tests;
