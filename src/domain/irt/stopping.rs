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
    /// Stochastic curtailment: more items were very unlikely to change the verdict.
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

/// Running SPRT statistic: Σ ln L_i(cut + δ) − ln L_i(cut − δ) over the scored items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sprt {
    upper_theta: f64,
    lower_theta: f64,
    llr: f64,
}

impl Sprt {
    /// A fresh statistic for the hypotheses θ = cut ± δ.
    pub fn new(cut: f64, delta: f64) -> Self {
        Sprt {
            upper_theta: cut + delta,
            lower_theta: cut - delta,
            llr: 0.0,
        }
    }

    /// Adds one scored response (O(1)).
    pub fn update(&mut self, item: &ItemParams, correct: bool) {
        self.llr += item.log_likelihood(self.upper_theta, correct)
            - item.log_likelihood(self.lower_theta, correct);
    }

    /// The current log likelihood ratio.
    pub fn log_ratio(&self) -> f64 {
        self.llr
    }

    /// `Some(true)` (pass) when llr ≥ ln((1 − β)/α), `Some(false)` (fail) when llr ≤ ln(β/(1 − α)).
    pub fn decision(&self, alpha: f64, beta: f64) -> Option<bool> {
        if self.llr >= ((1.0 - beta) / alpha).ln() {
            Some(true)
        } else if self.llr <= (beta / (1.0 - alpha)).ln() {
            Some(false)
        } else {
            None
        }
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
        StopRule::Sprt { alpha, beta, .. } => s.sprt.decision(alpha, beta).map(|passed| Outcome {
            passed,
            reason: StopReason::Sprt,
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
mod tests {
    use super::*;

    fn cfg(rule: StopRule) -> StoppingConfig {
        StoppingConfig {
            min_items: 5,
            max_items: 10,
            min_per_area: 2,
            rule,
            min_pass_probability: 0.0,
            curtail: None,
        }
    }

    #[test]
    fn sprt_boundaries() {
        let item = ItemParams {
            a: 2.0,
            b: 0.0,
            c: 0.0,
        };
        let mut s = Sprt::new(0.0, 0.3);
        for _ in 0..20 {
            s.update(&item, true);
        }
        assert_eq!(s.decision(0.05, 0.05), Some(true));
        let mut f = Sprt::new(0.0, 0.3);
        for _ in 0..20 {
            f.update(&item, false);
        }
        assert_eq!(f.decision(0.05, 0.05), Some(false));
        assert_eq!(Sprt::new(0.0, 0.3).decision(0.05, 0.05), None);
    }

    #[test]
    fn guards_hold_before_early_stop() {
        let mut sprt = Sprt::new(0.0, 0.3);
        let item = ItemParams {
            a: 2.0,
            b: 0.0,
            c: 0.0,
        };
        for _ in 0..30 {
            sprt.update(&item, true);
        }
        let c = cfg(StopRule::Sprt {
            delta: 0.3,
            alpha: 0.05,
            beta: 0.05,
        });
        let mk = |n, counts: &'static [u32]| StopState {
            n_scored: n,
            area_counts: counts,
            theta: 1.0,
            psd: 0.3,
            p_pass: 1.0,
            prior_sd: 1.0,
            sprt: &sprt,
            cut: 0.0,
        };
        assert_eq!(evaluate(&c, &mk(4, &[2, 2])), None, "below min");
        assert_eq!(evaluate(&c, &mk(6, &[5, 1])), None, "area minimum");
        assert_eq!(
            evaluate(&c, &mk(6, &[3, 3])).map(|o| o.reason),
            Some(StopReason::Sprt)
        );
        assert_eq!(
            evaluate(&c, &mk(10, &[9, 1])).map(|o| o.reason),
            Some(StopReason::MaxItems)
        );
    }

    #[test]
    fn normal_helpers() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655_25).abs() < 1e-6);
        for p in [0.001, 0.02, 0.3, 0.5, 0.6, 0.975, 0.999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-6, "p = {p}");
        }
    }

    fn state<'a>(sprt: &'a Sprt, n: u32, theta: f64, psd: f64, p_pass: f64) -> StopState<'a> {
        StopState {
            n_scored: n,
            area_counts: &[20, 20],
            theta,
            psd,
            p_pass,
            prior_sd: 1.0,
            sprt,
            cut: 0.0,
        }
    }

    #[test]
    fn verdict_by_estimate_can_demand_a_pass_probability() {
        let mut c = StoppingConfig::fixed(10);
        let sprt = Sprt::new(0.0, 0.3);
        let o = evaluate(&c, &state(&sprt, 10, 0.05, 0.25, 0.58)).unwrap();
        assert!(o.passed, "θ̂ ≥ cut is a pass on a plain fixed form");
        c.min_pass_probability = 0.6;
        let o = evaluate(&c, &state(&sprt, 10, 0.05, 0.25, 0.58)).unwrap();
        assert!(!o.passed, "58 % is not enough when 60 % is required");
        assert!(
            evaluate(&c, &state(&sprt, 10, 0.1, 0.2, 0.69))
                .unwrap()
                .passed
        );
        assert!(
            !c.pass_by_estimate(-0.01, 0.9, 0.0),
            "θ̂ below the cut never passes"
        );
    }

    #[test]
    fn curtailment_stops_only_when_the_verdict_is_settled() {
        let mut c = cfg(StopRule::Sprt {
            delta: 0.3,
            alpha: 0.05,
            beta: 0.05,
        });
        c.min_items = 25;
        c.max_items = 100;
        c.curtail = Some(0.99);
        let sprt = Sprt::new(0.0, 0.3); // undecided
        // 60 items in, θ̂ 0.9 with PSD 0.25: 40 more items cannot plausibly pull it under the cut.
        let far = evaluate(&c, &state(&sprt, 60, 0.9, 0.25, 0.9999)).unwrap();
        assert_eq!(far.reason, StopReason::Curtailed);
        assert!(far.passed);
        let low = evaluate(&c, &state(&sprt, 60, -0.9, 0.25, 0.0001)).unwrap();
        assert!(!low.passed);
        // Near the cut the verdict is open: keep testing.
        assert_eq!(evaluate(&c, &state(&sprt, 60, 0.1, 0.25, 0.65)), None);
        let p_near = predicted_final_pass(&c, &state(&sprt, 60, 0.1, 0.25, 0.65));
        assert!(p_near > 0.3 && p_near < 0.9, "{p_near}");
        // The prediction rises with θ̂ and is ½ when θ̂ sits on the pass threshold.
        let mut last = 0.0;
        for t in [-0.5, -0.2, 0.0, 0.2, 0.5] {
            let p = predicted_final_pass(&c, &state(&sprt, 60, t, 0.25, 0.5));
            assert!(p > last);
            last = p;
        }
        // Off unless configured.
        c.curtail = None;
        assert_eq!(evaluate(&c, &state(&sprt, 60, 0.9, 0.25, 0.9999)), None);
        c.curtail = Some(0.4);
        assert!(c.validate().is_err());
    }

    #[test]
    fn ci_rule() {
        assert_eq!(ci_decision(0.7, 0.3, 0.0, 1.96), Some(true));
        assert_eq!(ci_decision(-0.7, 0.3, 0.0, 1.96), Some(false));
        assert_eq!(ci_decision(0.5, 0.3, 0.0, 1.96), None);
    }

    #[test]
    fn validation() {
        assert!(
            cfg(StopRule::Sprt {
                delta: 0.3,
                alpha: 0.05,
                beta: 0.05
            })
            .validate()
            .is_ok()
        );
        assert!(
            cfg(StopRule::Sprt {
                delta: 0.0,
                alpha: 0.05,
                beta: 0.05
            })
            .validate()
            .is_err()
        );
        assert!(
            cfg(StopRule::ConfidenceInterval { z: -1.0 })
                .validate()
                .is_err()
        );
        let bad = StoppingConfig {
            min_items: 11,
            ..StoppingConfig::fixed(10)
        };
        assert!(bad.validate().is_err());
    }
}
