//! The priors on the working parameters and their empirical-Bayes update.

use super::Model;

/// Working-scale priors: means and SDs of (log a, b, logit c).
#[derive(Debug, Clone, Copy)]
pub(super) struct Prior {
    pub(super) mean: [f64; 3],
    pub(super) sd: [f64; 3],
}

/// The default priors (before the bank's own are estimated): log a ~ N(0, 0.5²), b ~ N(0, 2²),
/// logit c ~ N(logit 0.2, 0.559²): the mode and curvature, as a function of logit c, of the
/// penalty 4 ln c + 16 ln(1 − c) (a Beta(5, 17) density on c, without the logit Jacobian) that
/// this module used before the priors were estimated.
pub(super) const DEFAULT_PRIOR: Prior = Prior {
    mean: [0.0, 0.0, -1.386],
    sd: [0.5, 2.0, 0.559],
};

/// How many items' worth of weight the default priors keep when the bank's priors are estimated,
/// so a handful of free items cannot pull the priors far.
const HYPER_WEIGHT: f64 = 10.0;

/// Re-estimates the priors on log a and logit c from the items' posterior moments (mean and
/// variance on the working scale; an anchor counts as a point, variance 0): the M-step for the
/// hyperparameters of a normal hierarchical model under a conjugate normal–inverse-gamma
/// hyperprior worth [`HYPER_WEIGHT`] items at the defaults, κ₀ = ν₀ = [`HYPER_WEIGHT`]:
/// μ = (κ₀m₀ + Σ eᵢ)/(κ₀ + m) and σ² = (ν₀s₀² + Σ[(eᵢ − μ)² + vᵢ] + κ₀(μ − m₀)²)/(ν₀ + m), the
/// last term being the hyperprior's own spread about μ (without it σ² is biased down whenever the
/// bank's mean differs from the default). A moment that is not finite on a parameter (the logit
/// of an anchor's c = 0) is left out for that parameter. The prior on b stays as it is.
pub(super) fn update_prior(moments: &[([f64; 3], [f64; 3])], model: Model) -> Prior {
    let mut prior = DEFAULT_PRIOR;
    let dims: &[usize] = match model {
        Model::TwoPl => &[0],
        Model::ThreePl => &[0, 2],
    };
    for &d in dims {
        let usable: Vec<(f64, f64)> = moments
            .iter()
            .map(|(e, v)| (e[d], v[d]))
            .filter(|(e, v)| e.is_finite() && v.is_finite())
            .collect();
        if usable.is_empty() {
            continue;
        }
        let m = usable.len() as f64;
        let (m0, s0) = (DEFAULT_PRIOR.mean[d], DEFAULT_PRIOR.sd[d]);
        let k0 = HYPER_WEIGHT;
        let mean = (k0 * m0 + usable.iter().map(|(e, _)| e).sum::<f64>()) / (k0 + m);
        let ss: f64 = usable.iter().map(|(e, v)| (e - mean).powi(2) + v).sum();
        prior.mean[d] = mean;
        prior.sd[d] = ((k0 * s0 * s0 + ss + k0 * (mean - m0).powi(2)) / (k0 + m))
            .sqrt()
            .max(0.02);
    }
    prior
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prior_variance_counts_the_hyperprior_spread_about_the_new_mean() {
        // Ten items all at log a = 1 with no posterior spread: μ = (10·0 + 10·1)/20 = 0.5, and
        // σ² = (10·0.25 + 10·0.25 + 10·0.25)/20 = 0.375 (0.25 without the κ₀(μ − m₀)² term).
        let moments = vec![([1.0, 0.0, -1.386], [0.0; 3]); 10];
        let p = update_prior(&moments, Model::TwoPl);
        assert!((p.mean[0] - 0.5).abs() < 1e-12);
        assert!(
            (p.sd[0] * p.sd[0] - 0.375).abs() < 1e-12,
            "σ² = {}",
            p.sd[0] * p.sd[0]
        );
    }

    #[test]
    fn a_parameter_that_is_not_finite_is_left_out_of_that_prior_only() {
        let mut moments = vec![([0.2, 0.0, -1.5], [0.01; 3]); 20];
        moments.push(([0.2, 0.0, f64::NEG_INFINITY], [0.0; 3]));
        let p = update_prior(&moments, Model::ThreePl);
        assert!(p.mean[2].is_finite() && p.sd[2].is_finite());
        assert!((p.mean[0] - 0.2 * 21.0 / 31.0).abs() < 1e-12);
        assert!((p.mean[2] - (10.0 * -1.386 + 20.0 * -1.5) / 30.0).abs() < 1e-12);
    }
}
