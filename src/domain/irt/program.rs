//! Exam programs as data: blueprint, cut, length and stop rule, pretest seeding, timing.
//!
//! Presets mirror `question_bank/blueprints.toml` (area codes "1"–"7") and reference §4 of
//! `exam-formats-and-cat.md`; a program can equally be deserialised from JSON/TOML.

use serde::{Deserialize, Serialize};

use super::blueprint::Blueprint;
use super::error::IrtError;
use super::posterior::Posterior;
use super::select::{Criterion, SelectionOptions};
use super::stopping::{StopRule, StoppingConfig};

/// Where unscored pretest items go.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum PretestPlan {
    /// No pretest seeding.
    None,
    /// Fixed-length forms: `count` extra positions drawn at random (per session seed) among
    /// positions `earliest_position..=max_items + count`.
    Fixed {
        /// Number of pretest positions.
        count: u32,
        /// First position (1-based) that may hold a pretest item.
        earliest_position: u32,
    },
    /// Variable-length tests: one random position in every block of `block` positions, never
    /// before `earliest_position`.
    OnePerBlock {
        /// Block size (10 → 10 % of positions).
        block: u32,
        /// First position (1-based) that may hold a pretest item.
        earliest_position: u32,
    },
}

/// What happens when the clock runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeoutRule {
    /// MBLEx: not finishing in time is an automatic fail.
    AutoFail,
    /// NCLEX R.O.O.T.: fail under the minimum length, else pass iff θ̂ ≥ cut.
    ByEstimate,
}

/// Per-area diagnostic settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticsConfig {
    /// SD of the area prior N(θ̂, sd²).
    pub prior_sd: f64,
    /// An area is weak when P(θ_area < cut) ≥ this.
    pub weak_threshold: f64,
}

impl Default for DiagnosticsConfig {
    fn default() -> Self {
        DiagnosticsConfig {
            prior_sd: 0.7,
            weak_threshold: 0.7,
        }
    }
}

fn default_prior_sd() -> f64 {
    1.0
}

/// An exam program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Stable program id ("mblex", "readiness", "ncbtmb", …).
    pub id: String,
    /// Content blueprint.
    pub blueprint: Blueprint,
    /// Passing standard on the θ scale.
    pub cut: f64,
    /// Length limits and stop rule (scored items only).
    pub stopping: StoppingConfig,
    /// Pretest seeding.
    pub pretest: PretestPlan,
    /// Exposure cap, randomesque width, warm-up length.
    #[serde(default)]
    pub selection: SelectionOptions,
    /// Total time allowed, seconds.
    pub time_limit_secs: u32,
    /// Time-out rule.
    pub timeout: TimeoutRule,
    /// SD of the ability prior N(μ₀, sd²).
    #[serde(default = "default_prior_sd")]
    pub prior_sd: f64,
    /// Per-area diagnostic settings.
    #[serde(default)]
    pub diagnostics: DiagnosticsConfig,
}

/// MBLEx content weights by area code (FSMTB 2022 JTA, 2025 handbook).
pub const MBLEX_WEIGHTS: [(&str, f64); 7] = [
    ("1", 0.11),
    ("2", 0.12),
    ("3", 0.14),
    ("4", 0.15),
    ("5", 0.17),
    ("6", 0.16),
    ("7", 0.15),
];

/// NCBTMB weights by area code (only Assessment 25 % is official; see blueprints.toml).
pub const NCBTMB_WEIGHTS: [(&str, f64); 7] = [
    ("1", 0.09),
    ("2", 0.08),
    ("3", 0.08),
    ("4", 0.20),
    ("5", 0.25),
    ("6", 0.15),
    ("7", 0.15),
];

/// The readiness check calls a verdict by estimate a pass only at P(pass) ≥ this.
pub const READINESS_PASS_PROBABILITY: f64 = 0.6;

/// The readiness check stops once the verdict at maximum length is this certain.
pub const READINESS_CURTAIL: f64 = 0.99;

/// Price of one item in the expected-loss readiness check, in probability of a wrong verdict.
pub const EXPECTED_LOSS_COST: f64 = 0.0003;

/// A false pass costs this many false fails in the expected-loss readiness check (pass at
/// P(pass) ≥ 0.6, the same bar as [`READINESS_PASS_PROBABILITY`]).
pub const EXPECTED_LOSS_FALSE_PASS_WEIGHT: f64 = 1.5;

/// Seconds per item on the MBLEx (110 min / 100 items).
pub const MBLEX_SECS_PER_ITEM: u32 = 66;

fn blueprint_of(weights: &[(&str, f64)]) -> Blueprint {
    Blueprint {
        areas: weights
            .iter()
            .map(|(n, w)| super::blueprint::AreaWeight {
                name: (*n).to_string(),
                weight: *w,
                subareas: Vec::new(),
            })
            .collect(),
    }
}

impl Program {
    /// MBLEx simulation: fixed 100 scored + 10 pretest, 110 min, no early stop, time-out = fail.
    pub fn mblex() -> Self {
        Program {
            id: "mblex".into(),
            blueprint: blueprint_of(&MBLEX_WEIGHTS),
            cut: 0.0,
            stopping: StoppingConfig::fixed(100),
            pretest: PretestPlan::Fixed {
                count: 10,
                earliest_position: 6,
            },
            selection: SelectionOptions::default(),
            time_limit_secs: 110 * 60,
            timeout: TimeoutRule::AutoFail,
            prior_sd: 1.0,
            diagnostics: DiagnosticsConfig::default(),
        }
    }

    /// Readiness check: variable length, min 25 (≥ 2 per area), max 100, SPRT on cut ± 0.3 with
    /// α = β = 0.05, 66 s × 100 items, one pretest item per 10 positions. Two additions to the
    /// reference design: a verdict by estimate needs P(pass) ≥ 0.6, and the test is curtailed
    /// when 99 % sure the verdict at 100 items would not change (see the README's figures).
    pub fn readiness() -> Self {
        Program {
            id: "readiness".into(),
            blueprint: blueprint_of(&MBLEX_WEIGHTS),
            cut: 0.0,
            stopping: StoppingConfig {
                min_items: 25,
                max_items: 100,
                min_per_area: 2,
                rule: StopRule::Sprt {
                    delta: 0.3,
                    alpha: 0.05,
                    beta: 0.05,
                },
                min_pass_probability: READINESS_PASS_PROBABILITY,
                curtail: Some(READINESS_CURTAIL),
                glr: false,
            },
            pretest: PretestPlan::OnePerBlock {
                block: 10,
                earliest_position: 6,
            },
            selection: SelectionOptions::default(),
            time_limit_secs: MBLEX_SECS_PER_ITEM * 100,
            timeout: TimeoutRule::ByEstimate,
            prior_sd: 1.0,
            diagnostics: DiagnosticsConfig::default(),
        }
    }

    /// Readiness check with the Bayesian expected-loss stop (issue 13) instead of the SPRT:
    /// min 18 (≥ 2 per area), max 200, an item is worth giving while it is expected to lower the
    /// chance of a wrong verdict by more than [`EXPECTED_LOSS_COST`]; pass at P(pass) ≥ 0.6.
    /// Most candidates stop at the minimum; the few sitting on the cut get long tests, which is
    /// where the accuracy is won. 66 s per item of the maximum.
    pub fn readiness_expected_loss() -> Self {
        let mut p = Self::readiness();
        p.id = "readiness-expected-loss".into();
        p.stopping = StoppingConfig {
            min_items: 18,
            max_items: 200,
            min_per_area: 2,
            rule: StopRule::ExpectedLoss {
                cost: EXPECTED_LOSS_COST,
                false_pass_weight: EXPECTED_LOSS_FALSE_PASS_WEIGHT,
            },
            min_pass_probability: EXPECTED_LOSS_FALSE_PASS_WEIGHT
                / (1.0 + EXPECTED_LOSS_FALSE_PASS_WEIGHT),
            curtail: None,
            glr: false,
        };
        p.time_limit_secs = MBLEX_SECS_PER_ITEM * 200;
        p
    }

    /// Readiness check with the NCLEX-style 95 % confidence-interval stop instead of the SPRT.
    pub fn readiness_ci() -> Self {
        let mut p = Self::readiness();
        p.id = "cat-ci".into();
        p.stopping.rule = StopRule::ConfidenceInterval { z: 1.96 };
        p.stopping.min_pass_probability = 0.0;
        p.stopping.curtail = None;
        p
    }

    /// NCBTMB Board Certification practice form: a fixed form of 140 items by the NCBTMB blueprint
    /// (random within its quotas, not adaptive), 140 min, no pretest.
    pub fn ncbtmb() -> Self {
        Program {
            id: "ncbtmb".into(),
            blueprint: blueprint_of(&NCBTMB_WEIGHTS),
            cut: 0.0,
            stopping: StoppingConfig::fixed(140),
            pretest: PretestPlan::None,
            // A fixed form: drawn at random within the blueprint's quotas, not adapted.
            selection: SelectionOptions {
                top_k: 1,
                criterion: Criterion::Random,
                ..SelectionOptions::default()
            },
            time_limit_secs: 140 * 60,
            timeout: TimeoutRule::AutoFail,
            prior_sd: 1.0,
            diagnostics: DiagnosticsConfig::default(),
        }
    }

    /// Checks every part of the program.
    pub fn validate(&self) -> Result<(), IrtError> {
        self.blueprint.validate()?;
        self.stopping.validate()?;
        self.selection.validate()?;
        if !(self.cut.is_finite() && self.cut.abs() <= 6.0) {
            return Err(IrtError::InvalidConfig("cut must be in [-6, 6]".into()));
        }
        // Both priors must be usable on the grid.
        Posterior::new(0.0, self.prior_sd)?;
        Posterior::new(0.0, self.diagnostics.prior_sd)?;
        if !self.diagnostics.weak_threshold.is_finite() {
            return Err(IrtError::InvalidConfig(
                "diagnostics weak_threshold must be finite".into(),
            ));
        }
        match self.pretest {
            PretestPlan::None | PretestPlan::Fixed { .. } => {}
            PretestPlan::OnePerBlock { block, .. } => {
                if block == 0 {
                    return Err(IrtError::InvalidConfig("pretest block must be > 0".into()));
                }
            }
        }
        Ok(())
    }

    /// Parses and validates a program from JSON.
    pub fn from_json(s: &str) -> Result<Self, IrtError> {
        let p: Program =
            serde_json::from_str(s).map_err(|e| IrtError::InvalidConfig(e.to_string()))?;
        p.validate()?;
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_and_round_trip() {
        for p in [
            Program::mblex(),
            Program::readiness(),
            Program::readiness_ci(),
            Program::readiness_expected_loss(),
            Program::ncbtmb(),
        ] {
            p.validate().unwrap();
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(Program::from_json(&json).unwrap(), p);
        }
        assert_eq!(Program::readiness().time_limit_secs, 6600);
        let el = Program::readiness_expected_loss();
        assert_eq!(el.time_limit_secs, 13_200);
        assert!((el.stopping.min_pass_probability - 0.6).abs() < 1e-12);
        assert_eq!(
            Program::mblex().blueprint.quotas(100),
            vec![11, 12, 14, 15, 17, 16, 15]
        );
    }

    #[test]
    fn program_from_hand_written_json() {
        let json = r#"{
            "id": "mini", "cut": 0.0,
            "blueprint": {"areas": [{"name": "1", "weight": 50}, {"name": "2", "weight": 50}]},
            "stopping": {"min_items": 10, "max_items": 20, "min_per_area": 2,
                         "rule": {"kind": "sprt", "delta": 0.3, "alpha": 0.05, "beta": 0.05}},
            "pretest": {"mode": "none"},
            "time_limit_secs": 1320, "timeout": "by_estimate"
        }"#;
        let p = Program::from_json(json).unwrap();
        assert_eq!(p.selection.top_k, 3);
        assert_eq!(p.prior_sd, 1.0);
        assert!(Program::from_json(r#"{"id": 1}"#).is_err());
    }
}
