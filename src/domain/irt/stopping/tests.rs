//! Tests of the stopping rules.

use super::*;

fn cfg(rule: StopRule) -> StoppingConfig {
    StoppingConfig {
        min_items: 5,
        max_items: 10,
        min_per_area: 2,
        rule,
        min_pass_probability: 0.0,
        curtail: None,
        glr: false,
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

/// Deterministic pseudo-random responses (splitmix64) for the property tests below.
fn coin(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut x = *state;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((x ^ (x >> 31)) >> 11) as f64 / (1u64 << 53) as f64
}

#[test]
fn glr_stops_no_later_than_sprt_and_agrees() {
    // 2PL items (c = 0): the likelihood is log-concave, hence unimodal.
    let (alpha, beta) = (0.05, 0.05);
    let mut glr_earlier = 0;
    let mut state = 7u64;
    for run in 0..400 {
        let true_theta = -1.5 + 3.0 * (run as f64) / 400.0;
        let mut sprt = Sprt::new(0.0, 0.3);
        let mut first_glr: Option<usize> = None;
        for n in 1..=150 {
            let item = ItemParams {
                a: 0.6 + 1.4 * coin(&mut state),
                b: -1.0 + 2.0 * coin(&mut state),
                c: 0.0,
            };
            let correct = coin(&mut state) < item.prob(true_theta);
            sprt.update(&item, correct);
            let g = sprt.generalized_decision(alpha, beta);
            if first_glr.is_none() && g.is_some() {
                first_glr = Some(n);
            }
            if let Some(d) = sprt.decision(alpha, beta) {
                // On the same responses the GLR is decided, the same way, and was no later.
                assert_eq!(g, Some(d), "same decision");
                let at = first_glr.expect("GLR decided no later than the SPRT");
                glr_earlier += usize::from(at < n);
                break;
            }
        }
    }
    assert!(
        glr_earlier > 50,
        "GLR was earlier in only {glr_earlier} of 400 runs"
    );
    // The statistic itself: all correct on an item at the cut puts the MLE far above cut + δ.
    let mut s = Sprt::new(0.0, 0.3);
    let item = ItemParams {
        a: 1.0,
        b: 0.0,
        c: 0.0,
    };
    for _ in 0..5 {
        s.update(&item, true);
    }
    assert!(s.generalized_log_ratio() > s.log_ratio() + 1.0);
}

#[test]
fn glr_flag_switches_the_statistic() {
    let mut sprt = Sprt::new(0.0, 0.3);
    let item = ItemParams {
        a: 1.0,
        b: 0.0,
        c: 0.0,
    };
    for _ in 0..7 {
        sprt.update(&item, true);
    }
    let mut c = cfg(StopRule::Sprt {
        delta: 0.3,
        alpha: 0.05,
        beta: 0.05,
    });
    c.min_items = 0;
    c.min_per_area = 0;
    let st = state(&sprt, 7, 1.0, 0.5, 0.95);
    assert_eq!(evaluate(&c, &st), None, "Wald's SPRT is not decided yet");
    c.glr = true;
    let o = evaluate(&c, &st).unwrap();
    assert!(o.passed);
    assert_eq!(o.reason, StopReason::Sprt);
}

fn loss_cfg(cost: f64, w: f64) -> StoppingConfig {
    StoppingConfig {
        min_items: 10,
        max_items: 200,
        min_per_area: 0,
        rule: StopRule::ExpectedLoss {
            cost,
            false_pass_weight: w,
        },
        min_pass_probability: w / (1.0 + w),
        curtail: None,
        glr: false,
    }
}

#[test]
fn expected_loss_rule_spends_items_where_they_pay() {
    let c = loss_cfg(0.0002, 1.0);
    let sprt = Sprt::new(0.0, 0.3);
    // 20 items in (PSD 0.4): clearly above or below the cut → stop with that verdict.
    let o = evaluate(&c, &state(&sprt, 20, 1.3, 0.4, 0.9995)).unwrap();
    assert!(o.passed);
    assert_eq!(o.reason, StopReason::Curtailed);
    assert!(
        !evaluate(&c, &state(&sprt, 20, -1.3, 0.4, 0.0005))
            .unwrap()
            .passed
    );
    // Undecided with a long test ahead → keep testing.
    assert_eq!(evaluate(&c, &state(&sprt, 20, 0.2, 0.4, 0.69)), None);
    // One item left: it would lower the loss by only ≈ 0.00035 → at 0.001 an item, stop.
    let mut short = loss_cfg(0.001, 1.0);
    short.max_items = 21;
    let o = evaluate(&short, &state(&sprt, 20, 0.2, 0.4, 0.69)).unwrap();
    assert!(o.passed);
    // A higher price per item stops sooner.
    let dear = loss_cfg(0.01, 1.0);
    assert!(evaluate(&dear, &state(&sprt, 20, 0.5, 0.4, 0.9)).is_some());
    assert_eq!(evaluate(&c, &state(&sprt, 20, 0.5, 0.4, 0.9)), None);
    // A costlier false pass raises the bar: P(pass) 0.55 fails at w = 1.5 (needs 0.6).
    let (mut strict, mut even) = (loss_cfg(0.05, 1.5), loss_cfg(0.05, 1.0));
    strict.max_items = 21;
    even.max_items = 21;
    let at_55 = state(&sprt, 20, 0.05, 0.4, 0.55);
    assert!(!evaluate(&strict, &at_55).unwrap().passed);
    assert!(evaluate(&even, &at_55).unwrap().passed);
    // Below the minimum nothing stops.
    assert_eq!(evaluate(&c, &state(&sprt, 5, 2.0, 0.4, 0.9999)), None);
}

#[test]
fn expected_loss_look_ahead_matches_its_definition() {
    // No new information → no change; infinite information → the error vanishes.
    let (z, s) = (0.7, 0.3);
    let now = verdict_loss(normal_cdf(z), 1.0);
    assert!((expected_loss_after(z, s, 0.0, 1.0) - now).abs() < 1e-9);
    assert!(expected_loss_after(z, s, 1e9, 1.0) < 1e-3);
    // More information never raises the expected loss.
    let mut last = now;
    for k in [1.0, 5.0, 20.0, 80.0] {
        let l = expected_loss_after(z, s, k, 1.0);
        assert!(l <= last + 1e-12);
        last = l;
    }
    // Monte Carlo check of the martingale argument at 10 units of information.
    let mut state = 3u64;
    let (mut sum, n) = (0.0, 200_000);
    let s_k = 1.0 / (1.0 / (s * s) + 10.0f64).sqrt();
    let spread = (s * s - s_k * s_k).sqrt();
    for _ in 0..n {
        let u1 = coin(&mut state).max(1e-300);
        let u2 = coin(&mut state);
        let g = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        sum += verdict_loss(normal_cdf((z * s + spread * g) / s_k), 1.0);
    }
    let mc = sum / f64::from(n);
    assert!(
        (expected_loss_after(z, s, 10.0, 1.0) - mc).abs() < 2e-3,
        "{mc}"
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
    assert!(loss_cfg(0.0002, 1.5).validate().is_ok());
    assert!(loss_cfg(0.0, 1.0).validate().is_err());
    assert!(loss_cfg(0.001, -1.0).validate().is_err());
    let bad = StoppingConfig {
        min_items: 11,
        ..StoppingConfig::fixed(10)
    };
    assert!(bad.validate().is_err());
}
