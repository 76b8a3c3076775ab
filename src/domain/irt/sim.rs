//! Monte-Carlo simulation of the engine on a bank and a set of true abilities (no I/O: inputs
//! are already parsed). Each simulee answers with its 3PL probability drawn from a seeded
//! ChaCha8 stream; the engine never sees the true θ.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

use super::blueprint::{Blueprint, largest_remainder};
use super::error::IrtError;
use super::model::ItemParams;
use super::pool::{ItemPool, ItemStatus, PoolItem, SelectionContext};
use super::program::Program;
use super::session::Session;

/// A bank row as in the simulation input `[{"id","a","b","c","domain"}]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BankItem {
    /// Item id.
    pub id: String,
    /// Discrimination.
    pub a: f64,
    /// Difficulty.
    pub b: f64,
    /// Guessing.
    pub c: f64,
    /// Content area.
    pub domain: String,
}

/// Which program to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SimProgram {
    /// Variable-length SPRT readiness check (min 25, max 100).
    Readiness,
    /// Fixed 100-item MBLEx form.
    Mblex,
    /// Readiness limits with the 95 % CI stop.
    CatCi,
    /// Readiness check with the expected-loss stop (min 18, max 200).
    ReadinessExpectedLoss,
}

impl SimProgram {
    /// The program preset with the given blueprint (cut 0).
    pub fn program(self, blueprint: &Blueprint) -> Program {
        let mut p = match self {
            SimProgram::Readiness => Program::readiness(),
            SimProgram::Mblex => Program::mblex(),
            SimProgram::CatCi => Program::readiness_ci(),
            SimProgram::ReadinessExpectedLoss => Program::readiness_expected_loss(),
        };
        p.blueprint = blueprint.clone();
        p
    }
}

/// Figures for one seed (or their means over seeds in [`SimReport`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SeedReport {
    /// Seed of the run.
    pub seed: u64,
    /// Mean scored items.
    pub items_mean: f64,
    /// Median scored items.
    pub items_median: f64,
    /// Mean θ̂ − θ.
    pub bias: f64,
    /// Root mean squared error of θ̂.
    pub rmse: f64,
    /// Share of simulees classified like their true θ (pass iff θ ≥ cut).
    pub classification_accuracy: f64,
    /// Share of all simulees who pass although θ < cut.
    pub false_pass_rate: f64,
    /// Share of all simulees who fail although θ ≥ cut.
    pub false_fail_rate: f64,
    /// Accuracy among simulees with |θ − cut| ≤ 0.5.
    pub accuracy_near_cut: f64,
    /// Largest item exposure rate (tests containing the item / simulees).
    pub exposure_max: f64,
    /// Mean pairwise test overlap: Σ c_i(c_i − 1) / (N(N − 1) · mean length).
    pub test_overlap_rate: f64,
    /// Mean over simulees of max_d |observed share − target share|.
    pub content_mean_max_abs_dev: f64,
}

/// Simulation summary: means over seeds, plus each seed's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// Simulees per seed.
    pub simulees: usize,
    /// Seeds run.
    pub seeds: Vec<u64>,
    /// Mean scored items.
    pub items_mean: f64,
    /// Median scored items (mean of per-seed medians).
    pub items_median: f64,
    /// Mean θ̂ − θ.
    pub bias: f64,
    /// RMSE of θ̂.
    pub rmse: f64,
    /// Pass/fail classification accuracy.
    pub classification_accuracy: f64,
    /// False-pass share of all simulees.
    pub false_pass_rate: f64,
    /// False-fail share of all simulees.
    pub false_fail_rate: f64,
    /// Accuracy for |θ − cut| ≤ 0.5.
    pub accuracy_near_cut: f64,
    /// Maximum item exposure.
    pub exposure_max: f64,
    /// Mean pairwise overlap.
    pub test_overlap_rate: f64,
    /// Mean worst-area content deviation.
    pub content_mean_max_abs_dev: f64,
    /// Per-seed figures.
    pub per_seed: Vec<SeedReport>,
}

/// A complete simulation request, e.g. parsed from JSON by a CLI:
/// `{"bank": [...], "thetas": [...], "blueprint": {...}?, "program": "readiness", "seeds": [1, 2]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimInput {
    /// Item bank.
    pub bank: Vec<BankItem>,
    /// True abilities, one per simulee.
    pub thetas: Vec<f64>,
    /// Blueprint; defaults to each domain's share of the bank.
    #[serde(default)]
    pub blueprint: Option<Blueprint>,
    /// Program to run.
    pub program: SimProgram,
    /// Seeds; figures are averaged over them.
    pub seeds: Vec<u64>,
}

/// Runs a [`SimInput`].
pub fn run(input: &SimInput) -> Result<SimReport, IrtError> {
    let blueprint = match &input.blueprint {
        Some(b) => b.clone(),
        None => proportional_blueprint(&input.bank)?,
    };
    simulate(
        &input.bank,
        &input.thetas,
        &input.program.program(&blueprint),
        &input.seeds,
    )
}

/// The blueprint that targets each domain's share of the bank.
pub fn proportional_blueprint(bank: &[BankItem]) -> Result<Blueprint, IrtError> {
    let mut names: Vec<String> = Vec::new();
    let mut counts: Vec<f64> = Vec::new();
    for it in bank {
        match names.iter().position(|n| *n == it.domain) {
            Some(i) => counts[i] += 1.0,
            None => {
                names.push(it.domain.clone());
                counts.push(1.0);
            }
        }
    }
    Blueprint::from_weights(names.into_iter().zip(counts))
}

fn pool_of(bank: &[BankItem]) -> Result<ItemPool, IrtError> {
    ItemPool::new(
        bank.iter()
            .map(|b| PoolItem {
                id: b.id.clone(),
                params: ItemParams {
                    a: b.a,
                    b: b.b,
                    c: b.c,
                },
                area: b.domain.clone(),
                subarea: None,
                enemies: Vec::new(),
                status: ItemStatus::Operational,
                exposure_rate: 0.0,
                n_responses: 0,
            })
            .collect(),
    )
}

fn mix(a: u64, b: u64) -> u64 {
    let mut x = a ^ b.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Simulates `program` for every θ in `thetas`, once per seed, and averages the figures.
pub fn simulate(
    bank: &[BankItem],
    thetas: &[f64],
    program: &Program,
    seeds: &[u64],
) -> Result<SimReport, IrtError> {
    if seeds.is_empty() {
        return Err(IrtError::InvalidConfig(
            "at least one seed is needed".into(),
        ));
    }
    if thetas.len() < 2 {
        return Err(IrtError::InvalidConfig(
            "at least two simulees are needed".into(),
        ));
    }
    if thetas.iter().any(|t| !t.is_finite()) {
        return Err(IrtError::InvalidConfig("true thetas must be finite".into()));
    }
    program.validate()?;
    let mut per_seed = Vec::with_capacity(seeds.len());
    for &seed in seeds {
        per_seed.push(run_seed(bank, thetas, program, seed)?);
    }
    let n = per_seed.len() as f64;
    let mean = |f: fn(&SeedReport) -> f64| per_seed.iter().map(f).sum::<f64>() / n;
    Ok(SimReport {
        simulees: thetas.len(),
        seeds: seeds.to_vec(),
        items_mean: mean(|r| r.items_mean),
        items_median: mean(|r| r.items_median),
        bias: mean(|r| r.bias),
        rmse: mean(|r| r.rmse),
        classification_accuracy: mean(|r| r.classification_accuracy),
        false_pass_rate: mean(|r| r.false_pass_rate),
        false_fail_rate: mean(|r| r.false_fail_rate),
        accuracy_near_cut: mean(|r| r.accuracy_near_cut),
        exposure_max: mean(|r| r.exposure_max),
        test_overlap_rate: mean(|r| r.test_overlap_rate),
        content_mean_max_abs_dev: mean(|r| r.content_mean_max_abs_dev),
        per_seed,
    })
}

/// One seed: simulees in order; before each, every item's exposure rate is set to the rate it
/// would have if this simulee also received it, (count + 1)/(k + 1), so the cap r_max bounds the
/// final exposure whenever an under-cap alternative exists.
pub fn run_seed(
    bank: &[BankItem],
    thetas: &[f64],
    program: &Program,
    seed: u64,
) -> Result<SeedReport, IrtError> {
    let mut pool = pool_of(bank)?;
    let weights = program.blueprint.normalised_weights();
    let n_items = pool.len();
    let mut counts = vec![0u32; n_items];
    let mut lengths = Vec::with_capacity(thetas.len());
    let (mut sum_err, mut sum_sq) = (0.0, 0.0);
    let (mut correct_class, mut false_pass, mut false_fail) = (0usize, 0usize, 0usize);
    let (mut near, mut near_ok) = (0usize, 0usize);
    let mut content_dev = 0.0;
    let mut area_counts = vec![0u32; weights.len()];
    let mut administered: Vec<usize> = Vec::with_capacity(128);
    let cut = program.cut;
    for (k, &theta) in thetas.iter().enumerate() {
        let denom = (k + 1) as f64;
        for (i, &c) in counts.iter().enumerate() {
            pool.set_exposure_rate(i, (f64::from(c) + 1.0) / denom)?;
        }
        let ctx = SelectionContext::empty(&pool);
        let mut session = Session::new(program.clone(), mix(seed, k as u64), 0.0)?;
        let mut answers = ChaCha8Rng::seed_from_u64(mix(seed ^ 0xA5A5_A5A5, k as u64));
        administered.clear();
        area_counts.iter_mut().for_each(|c| *c = 0);
        while let Some(choice) = session.next_item(&pool, &ctx)? {
            let idx = pool
                .index_of(&choice.item_id)
                .ok_or_else(|| IrtError::UnknownItem(choice.item_id.clone()))?;
            let p = pool.get(idx).map_or(0.5, |it| it.params.prob(theta));
            let correct = answers.random::<f64>() < p;
            session.record(&choice.item_id, correct)?;
            if choice.scored {
                administered.push(idx);
                if let Some(d) = program.blueprint.area_index(&pool.items()[idx].area) {
                    area_counts[d] += 1;
                }
            }
        }
        let est = session.theta();
        let passed = session.is_finished().map_or(est >= cut, |o| o.passed);
        let truly = theta >= cut;
        sum_err += est - theta;
        sum_sq += (est - theta) * (est - theta);
        if passed == truly {
            correct_class += 1;
        } else if passed {
            false_pass += 1;
        } else {
            false_fail += 1;
        }
        if (theta - cut).abs() <= 0.5 {
            near += 1;
            near_ok += usize::from(passed == truly);
        }
        let len = administered.len();
        lengths.push(len as f64);
        if len > 0 {
            let dev = weights
                .iter()
                .zip(&area_counts)
                .map(|(w, &c)| (f64::from(c) / len as f64 - w).abs())
                .fold(0.0, f64::max);
            content_dev += dev;
        }
        for &i in &administered {
            counts[i] += 1;
        }
    }
    let n = thetas.len() as f64;
    let mean_len = lengths.iter().sum::<f64>() / n;
    lengths.sort_by(f64::total_cmp);
    let m = lengths.len();
    let median = if m % 2 == 1 {
        lengths[m / 2]
    } else {
        0.5 * (lengths[m / 2 - 1] + lengths[m / 2])
    };
    let pairs: f64 = counts
        .iter()
        .map(|&c| f64::from(c) * (f64::from(c) - 1.0))
        .sum();
    let overlap = if mean_len > 0.0 {
        pairs / (n * (n - 1.0) * mean_len)
    } else {
        0.0
    };
    Ok(SeedReport {
        seed,
        items_mean: mean_len,
        items_median: median,
        bias: sum_err / n,
        rmse: (sum_sq / n).sqrt(),
        classification_accuracy: correct_class as f64 / n,
        false_pass_rate: false_pass as f64 / n,
        false_fail_rate: false_fail as f64 / n,
        accuracy_near_cut: if near > 0 {
            near_ok as f64 / near as f64
        } else {
            f64::NAN
        },
        exposure_max: counts.iter().map(|&c| f64::from(c) / n).fold(0.0, f64::max),
        test_overlap_rate: overlap,
        content_mean_max_abs_dev: content_dev / n,
    })
}

/// A standard normal draw (Box–Muller).
fn std_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Domain sizes of the reference bank (§3.1): D1–D4 = 143/139/162/156 of 600.
pub const REFERENCE_DOMAIN_SIZES: [(&str, u32); 4] =
    [("D1", 143), ("D2", 139), ("D3", 162), ("D4", 156)];

/// A synthetic 3PL bank as in reference §3.1: a ~ LogNormal(0, 0.25), b ~ N(0, 1),
/// c ~ U(0.10, 0.25), four domains in the proportions 143/139/162/156.
pub fn synthetic_bank(n_items: usize, seed: u64) -> Vec<BankItem> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let total: u32 = REFERENCE_DOMAIN_SIZES.iter().map(|d| d.1).sum();
    let weights: Vec<f64> = REFERENCE_DOMAIN_SIZES
        .iter()
        .map(|d| f64::from(d.1) / f64::from(total))
        .collect();
    let sizes = largest_remainder(&weights, u32::try_from(n_items).unwrap_or(u32::MAX));
    let mut out = Vec::with_capacity(n_items);
    for ((name, _), size) in REFERENCE_DOMAIN_SIZES.iter().zip(sizes) {
        for _ in 0..size {
            let a = (0.25 * std_normal(&mut rng)).exp();
            let b = std_normal(&mut rng);
            let c = rng.random_range(0.10..0.25);
            out.push(BankItem {
                id: format!("S{:05}", out.len() + 1),
                a,
                b,
                c,
                domain: (*name).to_string(),
            });
        }
    }
    out
}

/// `n` true abilities from N(0, 1).
pub fn synthetic_thetas(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7E7A_5EED);
    (0..n).map(|_| std_normal(&mut rng)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_bank_matches_reference_setup() {
        let bank = synthetic_bank(600, 20240601);
        assert_eq!(bank.len(), 600);
        let d1 = bank.iter().filter(|b| b.domain == "D1").count();
        assert_eq!(d1, 143);
        let mean_a = bank.iter().map(|b| b.a).sum::<f64>() / 600.0;
        assert!((mean_a - 1.03).abs() < 0.05, "mean a {mean_a}");
        assert!(bank.iter().all(|b| (0.10..0.25).contains(&b.c)));
        let thetas = synthetic_thetas(2000, 1);
        let m = thetas.iter().sum::<f64>() / 2000.0;
        let v = thetas.iter().map(|t| (t - m) * (t - m)).sum::<f64>() / 2000.0;
        assert!(m.abs() < 0.08 && (v - 1.0).abs() < 0.1);
    }

    #[test]
    fn bank_json_round_trip() {
        let bank: Vec<BankItem> =
            serde_json::from_str(r#"[{"id":"x","a":1.0,"b":0.0,"c":0.2,"domain":"D1"}]"#).unwrap();
        assert_eq!(bank[0].domain, "D1");
        assert_eq!(
            serde_json::from_str::<SimProgram>(r#""cat-ci""#).unwrap(),
            SimProgram::CatCi
        );
        assert_eq!(
            serde_json::from_str::<SimProgram>(r#""readiness-expected-loss""#).unwrap(),
            SimProgram::ReadinessExpectedLoss
        );
    }

    #[test]
    fn sim_input_from_json() {
        let bank = serde_json::to_string(&synthetic_bank(120, 3)).unwrap();
        let json = format!(
            r#"{{"bank": {bank}, "thetas": [-1.0, 0.0, 1.0], "program": "mblex", "seeds": [1]}}"#
        );
        let input: SimInput = serde_json::from_str(&json).unwrap();
        let r = run(&input).unwrap();
        assert_eq!(r.simulees, 3);
        assert_eq!(r.items_mean, 100.0);
    }

    #[test]
    fn simulate_rejects_bad_input() {
        let bank = synthetic_bank(50, 1);
        let bp = proportional_blueprint(&bank).unwrap();
        let p = SimProgram::Readiness.program(&bp);
        assert!(simulate(&bank, &[0.0, 1.0], &p, &[]).is_err());
        assert!(simulate(&bank, &[f64::NAN, 1.0], &p, &[1]).is_err());
    }

    /// Readiness check on a 600-item bank with 300 simulees, one seed: figures in a sane band.
    #[test]
    fn readiness_simulation_small() {
        let bank = synthetic_bank(600, 20240601);
        let thetas = synthetic_thetas(300, 20240601);
        let bp = proportional_blueprint(&bank).unwrap();
        let r = simulate(&bank, &thetas, &SimProgram::Readiness.program(&bp), &[7]).unwrap();
        assert!(
            r.items_mean >= 25.0 && r.items_mean <= 55.0,
            "items {}",
            r.items_mean
        );
        assert!(
            r.classification_accuracy >= 0.88,
            "accuracy {}",
            r.classification_accuracy
        );
        assert!(
            r.exposure_max <= 0.25 + 1e-12,
            "exposure {}",
            r.exposure_max
        );
        assert!(
            r.content_mean_max_abs_dev <= 0.03,
            "content {}",
            r.content_mean_max_abs_dev
        );
        assert!(r.bias.abs() < 0.1);
    }

    /// The issue's targets on 600 items × 2000 simulees × 5 seeds (run with
    /// `cargo test --release -- --ignored readiness_acceptance`; about 2 s).
    #[test]
    #[ignore]
    fn readiness_acceptance_figures() {
        let bank = synthetic_bank(600, 20240601);
        let thetas = synthetic_thetas(2000, 20240601);
        let bp = proportional_blueprint(&bank).unwrap();
        let seeds = [20240601, 20240602, 20240603, 20240604, 20240605];
        let t0 = std::time::Instant::now();
        let r = simulate(&bank, &thetas, &SimProgram::Readiness.program(&bp), &seeds).unwrap();
        let secs = t0.elapsed().as_secs_f64() / seeds.len() as f64;
        println!("{}", serde_json::to_string_pretty(&r).unwrap());
        println!("wall seconds per 2000 simulees: {secs:.3}");
        assert!(r.items_mean <= 41.0);
        assert!(r.classification_accuracy >= 0.93);
        assert!(r.false_pass_rate <= 0.03);
        assert!(r.exposure_max <= 0.25 + 1e-12);
        assert!(r.test_overlap_rate <= 0.25);
        assert!(r.content_mean_max_abs_dev <= 0.02);
    }
}
