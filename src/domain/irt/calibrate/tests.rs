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

#[test]
fn anchors_count_towards_the_banks_priors() {
    // Thirty anchors and two new items, all with a = 2: the priors of a fixed-parameter
    // calibration come mostly from the anchors (log a near 0.69), not from the two new items
    // shrunk towards the default log a = 0 (which would give about 0.12).
    let truth: Vec<(f64, f64)> = (0..32).map(|i| (2.0, -1.5 + 0.1 * i as f64)).collect();
    let data = simulate(&truth, 400, 11);
    let anchors: Vec<Anchor> = (0..30)
        .map(|i| Anchor {
            id: format!("i{i}"),
            a: truth[i].0,
            b: truth[i].1,
            c: 0.0,
        })
        .collect();
    let (cal, prior) = calibrate_with_prior(&data, &anchors, Model::TwoPl, 100, |_, _| {}).unwrap();
    assert!(cal.converged);
    assert!(prior.mean[0] > 0.5, "prior mean of log a {}", prior.mean[0]);
}
