//! One calibration run over the answers students gave: which answers go in, how pretest items are
//! put on the operational scale, and which estimates the engine may use. Pure: the service reads
//! the answers and stores what this returns.
//!
//! Two stages. Operational items are calibrated concurrently from everything answered to them.
//! Pretest items are then calibrated with the operational items held fixed at the parameters the
//! engine will use (fixed-parameter calibration), so they land on the operational scale. An
//! estimate becomes *active* (the engine uses it) when it rests on at least [`MIN_RESPONSES`]
//! answers and its standard error of b is below [`MAX_SE_B`]; otherwise the item keeps what it had.
//! A pretest item *graduates* to operational when its estimate is active and fits
//! (RMSD ≤ [`MAX_MISFIT`]).

use super::calibrate::{
    Anchor, Calibration, CalibrationError, ItemEstimate, Model, Response, calibrate,
};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Fewest answers behind an active estimate.
pub const MIN_RESPONSES: usize = 200;
/// Largest standard error of b of an active estimate.
pub const MAX_SE_B: f64 = 0.3;
/// Largest RMSD item misfit of a graduating pretest item (above it, the item is flagged).
pub const MAX_MISFIT: f64 = 0.1;

/// An item version: parameters belong to one content version.
pub type VersionKey = (String, i32);

/// One answer: the exam attempt (the "person": one ability per attempt), the item version, right
/// or wrong.
#[derive(Debug, Clone)]
pub struct Answer {
    pub attempt: i64,
    pub item: VersionKey,
    pub correct: bool,
}

/// Whether a version is scored or being tried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Operational,
    Pretest,
}

/// One version's estimate in this run.
#[derive(Debug, Clone)]
pub struct VersionEstimate {
    pub item: VersionKey,
    pub stage: Stage,
    pub estimate: ItemEstimate,
    /// The engine uses it from now on.
    pub active: bool,
    /// A pretest version that becomes operational.
    pub graduates: bool,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub estimates: Vec<VersionEstimate>,
    /// Versions left out, with the reason in words.
    pub skipped: Vec<(VersionKey, String)>,
    pub n_answers: usize,
    pub n_attempts: usize,
    pub iterations: usize,
    pub converged: bool,
    pub log_likelihood: f64,
}

/// Whether an estimate is precise enough for the engine.
pub fn is_active(e: &ItemEstimate) -> bool {
    !e.anchored && e.n >= MIN_RESPONSES && e.se_b.is_some_and(|s| s < MAX_SE_B)
}

fn key_string(k: &VersionKey) -> String {
    format!("{}@{}", k.0, k.1)
}

/// Leaves out versions everyone answered the same way (they carry no information).
fn drop_uninformative<'a>(
    answers: Vec<&'a Answer>,
    skipped: &mut Vec<(VersionKey, String)>,
) -> Vec<&'a Answer> {
    let mut tally: BTreeMap<&VersionKey, (usize, usize)> = BTreeMap::new();
    for a in &answers {
        let t = tally.entry(&a.item).or_default();
        t.0 += 1;
        t.1 += usize::from(a.correct);
    }
    let flat: HashSet<&VersionKey> = tally
        .iter()
        .filter(|(_, (n, right))| *right == 0 || right == n)
        .map(|(k, _)| *k)
        .collect();
    for k in &flat {
        let (n, right) = tally[*k];
        let how = if right == n { "correctly" } else { "wrongly" };
        skipped.push((
            (*k).clone(),
            format!("all {n} answers to it were answered {how}, so they say nothing about it yet"),
        ));
    }
    answers
        .into_iter()
        .filter(|a| !flat.contains(&a.item))
        .collect()
}

fn responses(answers: &[&Answer]) -> Vec<Response> {
    answers
        .iter()
        .map(|a| Response {
            person: a.attempt.to_string(),
            item: key_string(&a.item),
            correct: a.correct,
        })
        .collect()
}

/// Runs both stages. `stage_of` says which versions are operational or pretest (versions not in it
/// are left out); `in_use` holds the parameters the engine uses now for each operational version
/// (its active estimate or its prior), which anchor the pretest stage unless this run replaces
/// them.
pub fn run(
    answers: &[Answer],
    stage_of: &HashMap<VersionKey, Stage>,
    in_use: &HashMap<VersionKey, (f64, f64, f64)>,
    model: Model,
    max_iterations: usize,
    mut progress: impl FnMut(&str, usize, f64),
) -> Result<RunOutcome, CalibrationError> {
    let known: Vec<&Answer> = answers
        .iter()
        .filter(|a| stage_of.contains_key(&a.item))
        .collect();
    if known.is_empty() {
        return Err(CalibrationError::NoResponses);
    }
    let mut skipped = vec![];
    let n_attempts = known
        .iter()
        .map(|a| a.attempt)
        .collect::<HashSet<_>>()
        .len();
    let mut out = RunOutcome {
        estimates: vec![],
        skipped: vec![],
        n_answers: known.len(),
        n_attempts,
        iterations: 0,
        converged: true,
        log_likelihood: 0.0,
    };
    let by_key: HashMap<String, VersionKey> = known
        .iter()
        .map(|a| (key_string(&a.item), a.item.clone()))
        .collect();
    let is = |a: &&Answer, s: Stage| stage_of.get(&a.item) == Some(&s);

    // Stage 1: operational versions, concurrently.
    let operational = drop_uninformative(
        known
            .iter()
            .copied()
            .filter(|a| is(a, Stage::Operational))
            .collect(),
        &mut skipped,
    );
    let mut anchors_from: HashMap<VersionKey, (f64, f64, f64)> = in_use.clone();
    if !operational.is_empty() {
        let cal = calibrate(
            &responses(&operational),
            &[],
            model,
            max_iterations,
            |i, ll| progress("operational", i, ll),
        )?;
        absorb(&mut out, &cal, &by_key, Stage::Operational);
        for e in out.estimates.iter().filter(|e| e.active) {
            anchors_from.insert(e.item.clone(), (e.estimate.a, e.estimate.b, e.estimate.c));
        }
    }

    // Stage 2: pretest versions, with the operational ones they were answered beside held fixed.
    let pretest_attempts: HashSet<i64> = known
        .iter()
        .filter(|a| is(a, Stage::Pretest))
        .map(|a| a.attempt)
        .collect();
    let pretest: Vec<&Answer> = drop_uninformative(
        known
            .iter()
            .copied()
            .filter(|a| is(a, Stage::Pretest))
            .collect(),
        &mut skipped,
    );
    if !pretest.is_empty() {
        let mut stage2 = pretest;
        let mut anchors: BTreeMap<String, Anchor> = BTreeMap::new();
        for a in known
            .iter()
            .filter(|a| is(a, Stage::Operational) && pretest_attempts.contains(&a.attempt))
        {
            if let Some(&(pa, pb, pc)) = anchors_from.get(&a.item) {
                let id = key_string(&a.item);
                anchors.entry(id.clone()).or_insert(Anchor {
                    id,
                    a: pa,
                    b: pb,
                    c: pc,
                });
                stage2.push(a);
            }
        }
        let anchors: Vec<Anchor> = anchors.into_values().collect();
        let cal = calibrate(
            &responses(&stage2),
            &anchors,
            model,
            max_iterations,
            |i, ll| progress("pretest", i, ll),
        )?;
        absorb(&mut out, &cal, &by_key, Stage::Pretest);
    }
    out.skipped = skipped;
    Ok(out)
}

/// Adds one stage's free estimates to the outcome.
fn absorb(
    out: &mut RunOutcome,
    cal: &Calibration,
    by_key: &HashMap<String, VersionKey>,
    stage: Stage,
) {
    if out.iterations == 0 {
        out.log_likelihood = cal.log_likelihood;
    }
    out.iterations += cal.iterations;
    out.converged &= cal.converged;
    for e in cal.items.iter().filter(|e| !e.anchored) {
        let Some(item) = by_key.get(&e.id) else {
            continue;
        };
        let active = is_active(e);
        out.estimates.push(VersionEstimate {
            item: item.clone(),
            stage,
            estimate: e.clone(),
            active,
            graduates: stage == Stage::Pretest && active && e.fit <= MAX_MISFIT,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn key(i: usize) -> VersionKey {
        (format!("I{i}"), 1)
    }

    /// Attempts answering every item of a known 3PL bank (abilities N(0, 1)).
    fn simulate(items: &[(f64, f64, f64)], attempts: usize, seed: u64) -> Vec<Answer> {
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(seed);
        let mut out = vec![];
        for p in 0..attempts {
            let u1: f64 = rng.random::<f64>().max(1e-12);
            let u2: f64 = rng.random();
            let theta = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            for (i, &(a, b, c)) in items.iter().enumerate() {
                let pr = c + (1.0 - c) / (1.0 + (-a * (theta - b)).exp());
                out.push(Answer {
                    attempt: p as i64,
                    item: key(i),
                    correct: rng.random::<f64>() < pr,
                });
            }
        }
        out
    }

    fn bank() -> Vec<(f64, f64, f64)> {
        (0..20)
            .map(|i| (0.8 + 0.05 * (i % 8) as f64, -1.5 + 0.15 * i as f64, 0.2))
            .collect()
    }

    #[test]
    fn enough_answers_make_estimates_active_and_few_do_not() {
        let items = bank();
        let stages: HashMap<VersionKey, Stage> =
            (0..20).map(|i| (key(i), Stage::Operational)).collect();
        let many = run(
            &simulate(&items, 400, 1),
            &stages,
            &HashMap::new(),
            Model::ThreePl,
            200,
            |_, _, _| {},
        )
        .unwrap();
        assert_eq!(many.estimates.len(), 20);
        let active = many.estimates.iter().filter(|e| e.active).count();
        assert!(
            active >= 15,
            "only {active} of 20 active with 400 answers each"
        );
        let few = run(
            &simulate(&items, 120, 2),
            &stages,
            &HashMap::new(),
            Model::ThreePl,
            200,
            |_, _, _| {},
        )
        .unwrap();
        assert!(
            few.estimates.iter().all(|e| !e.active),
            "an estimate from 120 answers became active"
        );
    }

    #[test]
    fn pretest_items_land_on_the_operational_scale_and_graduate() {
        let mut items = bank();
        // Two pretest items of known difficulty, answered in the same attempts.
        items.push((1.1, 0.8, 0.2));
        items.push((0.9, -0.7, 0.2));
        let mut stages: HashMap<VersionKey, Stage> =
            (0..20).map(|i| (key(i), Stage::Operational)).collect();
        stages.insert(key(20), Stage::Pretest);
        stages.insert(key(21), Stage::Pretest);
        // The engine's current parameters for operational items: the true ones.
        let in_use: HashMap<VersionKey, (f64, f64, f64)> =
            (0..20).map(|i| (key(i), items[i])).collect();
        let out = run(
            &simulate(&items, 1500, 3),
            &stages,
            &in_use,
            Model::ThreePl,
            300,
            |_, _, _| {},
        )
        .unwrap();
        for (i, truth) in [(20, 0.8), (21, -0.7)] {
            let e = out.estimates.iter().find(|e| e.item == key(i)).unwrap();
            assert_eq!(e.stage, Stage::Pretest);
            assert!(
                (e.estimate.b - truth).abs() < 0.3,
                "item {i}: b {} vs {truth}",
                e.estimate.b
            );
            assert!(e.graduates, "item {i} did not graduate: {:?}", e.estimate);
        }
        // Operational items are estimated once, in their own stage.
        assert_eq!(out.estimates.len(), 22);
    }

    #[test]
    fn uninformative_and_unknown_versions_are_left_out_with_a_reason() {
        let items = bank();
        let mut answers = simulate(&items, 50, 4);
        for p in 0..50 {
            answers.push(Answer {
                attempt: p,
                item: ("EASY".into(), 2),
                correct: true,
            });
            answers.push(Answer {
                attempt: p,
                item: ("GONE".into(), 1),
                correct: p % 2 == 0,
            });
        }
        let mut stages: HashMap<VersionKey, Stage> =
            (0..20).map(|i| (key(i), Stage::Operational)).collect();
        stages.insert(("EASY".into(), 2), Stage::Operational);
        let out = run(
            &answers,
            &stages,
            &HashMap::new(),
            Model::TwoPl,
            100,
            |_, _, _| {},
        )
        .unwrap();
        assert!(
            out.estimates
                .iter()
                .all(|e| e.item.0 != "EASY" && e.item.0 != "GONE")
        );
        let (k, why) = &out.skipped[0];
        assert_eq!(k, &("EASY".to_string(), 2));
        assert!(why.contains("all 50 answers"), "{why}");
        assert_eq!(out.n_attempts, 50);
        assert!(matches!(
            run(
                &[],
                &stages,
                &HashMap::new(),
                Model::TwoPl,
                10,
                |_, _, _| {}
            ),
            Err(CalibrationError::NoResponses)
        ));
    }
}
