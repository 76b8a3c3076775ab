//! The item response model: three-parameter logistic (3PL) on the logistic metric (D = 1).
//!
//! P(θ) = c + (1 − c) / (1 + exp(−a(θ − b))).

use serde::{Deserialize, Serialize};

use super::error::IrtError;

/// Default discrimination for an uncalibrated item.
pub const PRIOR_A: f64 = 1.0;
/// Default guessing parameter for an uncalibrated four-option item.
pub const PRIOR_C: f64 = 0.20;
/// Sanity bound on the discrimination (keeps every log-likelihood on the grid finite).
pub const MAX_A: f64 = 50.0;
/// Sanity bound on |b|.
pub const MAX_ABS_B: f64 = 50.0;

/// 3PL item parameters: discrimination `a`, difficulty `b`, lower asymptote (guessing) `c`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ItemParams {
    /// Discrimination (slope), > 0.
    pub a: f64,
    /// Difficulty (location), finite.
    pub b: f64,
    /// Lower asymptote (pseudo-guessing), in [0, 1).
    pub c: f64,
}

/// A subject-matter expert's difficulty rating for a new, uncalibrated item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DifficultyRating {
    /// b = −1.
    Easy,
    /// b = 0.
    Medium,
    /// b = +1.
    Hard,
}

impl ItemParams {
    /// Checked constructor: 0 < `a` ≤ 50, |`b`| ≤ 50, `c` in [0, 1).
    pub fn new(a: f64, b: f64, c: f64) -> Result<Self, IrtError> {
        let p = ItemParams { a, b, c };
        p.validate()?;
        Ok(p)
    }

    /// Starting parameters for a new item from its difficulty rating (a = 1, c = 0.2).
    pub fn from_rating(rating: DifficultyRating) -> Self {
        let b = match rating {
            DifficultyRating::Easy => -1.0,
            DifficultyRating::Medium => 0.0,
            DifficultyRating::Hard => 1.0,
        };
        ItemParams {
            a: PRIOR_A,
            b,
            c: PRIOR_C,
        }
    }

    /// Returns an error if the parameters are outside the model's domain.
    pub fn validate(&self) -> Result<(), IrtError> {
        if !(self.a.is_finite() && self.a > 0.0 && self.a <= MAX_A) {
            return Err(IrtError::InvalidItemParams(format!(
                "a = {} must be in (0, {MAX_A}]",
                self.a
            )));
        }
        if !(self.b.is_finite() && self.b.abs() <= MAX_ABS_B) {
            return Err(IrtError::InvalidItemParams(format!(
                "b = {} must be in [-{MAX_ABS_B}, {MAX_ABS_B}]",
                self.b
            )));
        }
        if !(self.c.is_finite() && (0.0..1.0).contains(&self.c)) {
            return Err(IrtError::InvalidItemParams(format!(
                "c = {} must be in [0, 1)",
                self.c
            )));
        }
        Ok(())
    }

    /// Probability of a correct answer at ability `theta`.
    #[inline]
    pub fn prob(&self, theta: f64) -> f64 {
        self.c + (1.0 - self.c) / (1.0 + (-self.a * (theta - self.b)).exp())
    }

    /// Fisher information at `theta`: a²(P − c)²(1 − P) / ((1 − c)² P).
    ///
    /// Computed in the algebraically equivalent form a²(1 − c)·e·s³ / P with
    /// e = exp(−a(θ − b)), s = 1/(1 + e), which needs a single `exp`.
    #[inline]
    pub fn information(&self, theta: f64) -> f64 {
        let e = (-self.a * (theta - self.b)).exp();
        let s = 1.0 / (1.0 + e);
        let p = self.c + (1.0 - self.c) * s;
        let v = self.a * self.a * (1.0 - self.c) * e * s * s * s / p;
        if v.is_finite() { v } else { 0.0 }
    }

    /// Log-likelihood of one response: ln P(θ) if `correct`, else ln(1 − P(θ)).
    ///
    /// Uses numerically stable forms so that extreme θ never yields `-inf` for c = 0.
    #[inline]
    pub fn log_likelihood(&self, theta: f64, correct: bool) -> f64 {
        let z = self.a * (theta - self.b);
        if correct {
            if self.c == 0.0 {
                -softplus(-z)
            } else {
                self.prob(theta).ln()
            }
        } else {
            // 1 − P = (1 − c) / (1 + e^z)
            (1.0 - self.c).ln() - softplus(z)
        }
    }
}

/// ln(1 + e^x), stable for large |x|.
#[inline]
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prob_and_information_match_textbook_form() {
        let p = ItemParams::new(1.3, 0.4, 0.2).unwrap();
        for &t in &[-5.0, -1.0, 0.0, 0.4, 2.0, 5.0] {
            let pr = p.prob(t);
            let textbook = p.a * p.a * (pr - p.c).powi(2) * (1.0 - pr) / ((1.0 - p.c).powi(2) * pr);
            assert!((p.information(t) - textbook).abs() < 1e-12);
            assert!((p.log_likelihood(t, true) - pr.ln()).abs() < 1e-12);
            assert!((p.log_likelihood(t, false) - (1.0 - pr).ln()).abs() < 1e-12);
        }
    }

    #[test]
    fn rating_priors() {
        assert_eq!(
            ItemParams::from_rating(DifficultyRating::Easy),
            ItemParams {
                a: 1.0,
                b: -1.0,
                c: 0.2
            }
        );
        assert_eq!(ItemParams::from_rating(DifficultyRating::Medium).b, 0.0);
        assert_eq!(ItemParams::from_rating(DifficultyRating::Hard).b, 1.0);
    }

    #[test]
    fn invalid_params_rejected() {
        assert!(ItemParams::new(0.0, 0.0, 0.1).is_err());
        assert!(ItemParams::new(1e300, 0.0, 0.1).is_err());
        assert!(ItemParams::new(1.0, 1e9, 0.1).is_err());
        assert!(ItemParams::new(1.0, f64::NAN, 0.1).is_err());
        assert!(ItemParams::new(1.0, 0.0, 1.0).is_err());
        assert!(ItemParams::new(1.0, 0.0, -0.1).is_err());
    }
}
