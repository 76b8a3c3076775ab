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
    /// True for fixed-length forms (min = max, no early stop).
    pub fn is_fixed_length(&self) -> bool {
        self.min_items == self.max_items
    }

    /// Checks the limits and the rule's parameters.
    pub fn validate(&self) -> Result<(), IrtError> {
        if self.max_items == 0 || self.min_items > self.max_items {
            return Err(IrtError::InvalidConfig(format!(
                "need 0 < min_items ({}) <= max_items ({})",
                self.min_items, self.max_items
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
            passed: s.theta >= s.cut,
            reason,
        });
    }
    if s.n_scored < cfg.min_items || s.area_counts.iter().any(|&c| c < cfg.min_per_area) {
        return None;
    }
    match cfg.rule {
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
            max_items: 10,
            min_per_area: 0,
            rule: StopRule::None,
        };
        assert!(bad.validate().is_err());
    }
}
