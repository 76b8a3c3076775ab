use super::super::blueprint::{AreaWeight, Blueprint, SubareaWeight};
use super::super::pool::{ItemStatus, PoolItem};
use super::super::stopping::StoppingConfig;
use super::*;
use proptest::prelude::*;

fn item(id: String, area: &str, b: f64, status: ItemStatus) -> PoolItem {
    PoolItem {
        id,
        params: ItemParams {
            a: 1.0 + 0.3 * (b * 7.0).sin().abs(),
            b,
            c: 0.2,
        },
        area: area.into(),
        subarea: None,
        enemies: vec![],
        status,
        exposure_rate: 0.0,
        n_responses: 0,
    }
}

/// `per_area` operational items in each of `areas`, plus `pretest` pretest items.
fn pool(areas: &[&str], per_area: usize, pretest: usize) -> ItemPool {
    let mut v = Vec::new();
    for a in areas {
        for j in 0..per_area {
            let b = -3.0 + 6.0 * (j as f64 + 0.5) / per_area as f64;
            v.push(item(format!("{a}-{j}"), a, b, ItemStatus::Operational));
        }
    }
    for j in 0..pretest {
        let mut it = item(
            format!("P-{j}"),
            areas[j % areas.len()],
            0.0,
            ItemStatus::Pretest,
        );
        it.n_responses = (j % 4) as u32;
        v.push(it);
    }
    ItemPool::new(v).unwrap()
}

fn mblex_pool() -> ItemPool {
    pool(&["1", "2", "3", "4", "5", "6", "7"], 60, 30)
}

/// Deterministic "examinee": answers from a hash of (item, theta).
fn answer(id: &str, theta: f64) -> bool {
    let h = id.bytes().fold(1469598103934665603u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(1099511628211)
    });
    let u = (h >> 11) as f64 / (1u64 << 53) as f64;
    let b = id
        .rsplit('-')
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(30.0)
        / 10.0
        - 3.0;
    u < 0.2 + 0.8 / (1.0 + (-(theta - b)).exp())
}

fn run(session: &mut Session, pool: &ItemPool, ctx: &SelectionContext, theta: f64) -> Vec<Choice> {
    let mut out = Vec::new();
    while let Some(c) = session.next_item(pool, ctx).unwrap() {
        session
            .record(&c.item_id, answer(&c.item_id, theta))
            .unwrap();
        out.push(c);
    }
    out
}

#[test]
fn mblex_form_has_exact_quotas_and_ten_pretest_items_after_position_five() {
    let pool = mblex_pool();
    let ctx = SelectionContext::empty(&pool);
    let mut s = Session::new(Program::mblex(), 42, 0.0).unwrap();
    let items = run(&mut s, &pool, &ctx, 0.3);
    assert_eq!(items.len(), 110);
    assert_eq!(items.iter().filter(|c| !c.scored).count(), 10);
    assert!(
        items.iter().take(5).all(|c| c.scored),
        "pretest in positions 1-5"
    );
    assert!(
        items
            .iter()
            .filter(|c| !c.scored)
            .all(|c| c.item_id.starts_with("P-"))
    );
    assert_eq!(s.tally().area_counts, vec![11, 12, 14, 15, 17, 16, 15]);
    let o = s.is_finished().unwrap();
    assert_eq!(o.reason, StopReason::FixedLength);
    let r = s.result().unwrap();
    assert_eq!(r.n_scored, 100);
    assert_eq!(r.n_pretest, 10);
    assert_eq!(r.passed, r.theta >= 0.0);
    assert_eq!(r.areas.len(), 7);
}

#[test]
fn ncbtmb_form_is_fixed_by_its_seed_not_by_the_answers() {
    let pool = mblex_pool();
    let ctx = SelectionContext::empty(&pool);
    let ids = |program: Program, seed: u64, theta: f64| {
        let mut s = Session::new(program, seed, 0.0).unwrap();
        run(&mut s, &pool, &ctx, theta)
            .into_iter()
            .map(|c| c.item_id)
            .collect::<Vec<_>>()
    };
    let strong = ids(Program::ncbtmb(), 5, 2.5);
    let weak = ids(Program::ncbtmb(), 5, -2.5);
    assert_eq!(strong.len(), 140);
    assert_eq!(strong, weak, "the same form whatever the answers");
    assert_ne!(
        strong,
        ids(Program::ncbtmb(), 6, 2.5),
        "another seed, another form"
    );
    // Quotas by the NCBTMB blueprint (largest remainder of 140 × weights).
    let mut s = Session::new(Program::ncbtmb(), 5, 0.0).unwrap();
    run(&mut s, &pool, &ctx, 0.0);
    assert_eq!(
        s.tally().area_counts,
        Program::ncbtmb().blueprint.quotas(140)
    );
    // The adaptive programs do follow the answers.
    let mut a = Program::mblex();
    a.pretest = PretestPlan::None;
    assert_ne!(ids(a.clone(), 5, 2.5), ids(a, 5, -2.5));
}

#[test]
fn pretest_answers_never_move_theta_or_stopping() {
    let pool = mblex_pool();
    let ctx = SelectionContext::empty(&pool);
    let mut s = Session::new(Program::readiness(), 9, 0.0).unwrap();
    let mut pretest_seen = 0;
    while let Some(c) = s.next_item(&pool, &ctx).unwrap() {
        let before = (s.theta(), s.psd(), s.tally().clone());
        s.record(&c.item_id, true).unwrap();
        if !c.scored {
            pretest_seen += 1;
            assert_eq!((s.theta(), s.psd(), s.tally().clone()), before);
        }
    }
    assert!(pretest_seen >= 2, "one pretest item per 10 positions");
    let log = s.administered();
    assert!(log.iter().take(5).all(|a| a.scored));
    // at most one pretest item per block of 10 positions
    for block in log.chunks(10) {
        assert!(block.iter().filter(|a| !a.scored).count() <= 1);
    }
}

#[test]
fn readiness_respects_minimums_and_stops_early_for_clear_cases() {
    let pool = mblex_pool();
    let ctx = SelectionContext::empty(&pool);
    let mut s = Session::new(Program::readiness(), 3, 0.0).unwrap();
    while let Some(c) = s.next_item(&pool, &ctx).unwrap() {
        s.record(&c.item_id, true).unwrap();
    }
    let o = s.is_finished().unwrap();
    assert!(o.passed);
    assert_eq!(o.reason, StopReason::Sprt);
    assert_eq!(s.tally().n_scored, 25);
    assert!(s.tally().area_counts.iter().all(|&c| c >= 2));
    let r = s.result().unwrap();
    assert!(r.p_pass > 0.95 && r.scaled_score > 630 && r.scaled_score <= 900);
    assert!(r.areas.iter().all(|a| !a.weak));

    let mut f = Session::new(Program::readiness(), 4, 0.0).unwrap();
    while let Some(c) = f.next_item(&pool, &ctx).unwrap() {
        f.record(&c.item_id, false).unwrap();
    }
    let o = f.is_finished().unwrap();
    assert!(!o.passed);
    let r = f.result().unwrap();
    assert!(r.scaled_score < 630 && r.scaled_score >= 300);
    assert!(r.areas.iter().all(|a| a.weak));
}

#[test]
fn time_out_rules() {
    let pool = mblex_pool();
    let ctx = SelectionContext::empty(&pool);
    // MBLEx: automatic fail even when doing well.
    let mut m = Session::new(Program::mblex(), 1, 0.0).unwrap();
    for _ in 0..50 {
        let c = m.next_item(&pool, &ctx).unwrap().unwrap();
        m.record(&c.item_id, true).unwrap();
    }
    assert_eq!(m.check_time(100.0), None);
    let o = m.check_time(6600.0).unwrap();
    assert_eq!(
        o,
        Outcome {
            passed: false,
            reason: StopReason::TimeOut
        }
    );
    assert!(m.next_item(&pool, &ctx).unwrap().is_none());
    assert_eq!(m.record("1-0", true), Err(IrtError::SessionFinished));
    // Variable mode: under the minimum → fail.
    let mut v = Session::new(Program::readiness(), 1, 0.0).unwrap();
    for _ in 0..10 {
        let c = v.next_item(&pool, &ctx).unwrap().unwrap();
        v.record(&c.item_id, true).unwrap();
    }
    assert!(!v.time_out().passed);
    // Variable mode past the minimum → pass iff θ̂ ≥ cut; the unanswered item is dropped.
    let mut p = Program::readiness();
    p.stopping.rule = StopRule::None;
    p.stopping.curtail = None;
    let mut w = Session::new(p, 1, 0.0).unwrap();
    for _ in 0..30 {
        let c = w.next_item(&pool, &ctx).unwrap().unwrap();
        w.record(&c.item_id, true).unwrap();
    }
    let _unanswered = w.next_item(&pool, &ctx).unwrap().unwrap();
    let n = w.administered().len();
    assert!(w.time_out().passed);
    assert_eq!(w.administered().len(), n);
    assert!(w.pending().is_none());
}

#[test]
fn record_checks_order() {
    let pool = mblex_pool();
    let ctx = SelectionContext::empty(&pool);
    let mut s = Session::new(Program::readiness(), 1, 0.0).unwrap();
    assert_eq!(s.record("x", true), Err(IrtError::NoPendingItem));
    let c = s.next_item(&pool, &ctx).unwrap().unwrap();
    // asking again returns the same outstanding item
    assert_eq!(s.next_item(&pool, &ctx).unwrap().unwrap(), c);
    assert!(matches!(
        s.record("x", true),
        Err(IrtError::UnexpectedItem { .. })
    ));
    assert!(s.record(&c.item_id, true).is_ok());
    let other = ItemPool::new(vec![item("z".into(), "1", 0.0, ItemStatus::Operational)]).unwrap();
    assert!(
        s.next_item(&pool, &SelectionContext::empty(&other))
            .is_err()
    );
    assert!(Session::new(Program::readiness(), 1, f64::NAN).is_err());
    let mut bad = Program::readiness();
    bad.stopping.min_items = 200;
    assert!(Session::new(bad, 1, 0.0).is_err());
}

#[test]
fn replay_with_unknown_item_fails() {
    let pool = mblex_pool();
    let log = vec![AdministeredItem {
        item_id: "nope".into(),
        scored: true,
        correct: true,
    }];
    assert_eq!(
        Session::replay(Program::readiness(), 1, 0.0, &pool, &log).err(),
        Some(IrtError::UnknownItem("nope".into()))
    );
}

#[test]
fn enemies_and_seen_items_are_avoided_in_a_session() {
    let mut items: Vec<PoolItem> = Vec::new();
    for a in ["1", "2", "3", "4", "5", "6", "7"] {
        for j in 0..20 {
            items.push(item(
                format!("{a}-{j}"),
                a,
                -2.0 + 0.2 * j as f64,
                ItemStatus::Operational,
            ));
        }
    }
    // every item i is an enemy of item i+1 in the same area
    for i in 0..items.len() - 1 {
        if items[i].area == items[i + 1].area {
            let next = items[i + 1].id.clone();
            items[i].enemies.push(next);
        }
    }
    let pool = ItemPool::new(items).unwrap();
    let seen: Vec<String> = (0..10).map(|j| format!("1-{j}")).collect();
    let ctx = SelectionContext::new(&pool, &seen);
    let mut s = Session::new(Program::readiness(), 5, 0.0).unwrap();
    let got = run(&mut s, &pool, &ctx, 0.0);
    let ids: Vec<&str> = got.iter().map(|c| c.item_id.as_str()).collect();
    for (i, a) in ids.iter().enumerate() {
        assert!(!ids[i + 1..].contains(a), "repeat");
        let idx = pool.index_of(a).unwrap();
        for &e in pool.enemies_of(idx) {
            assert!(
                !ids.contains(&pool.items()[e as usize].id.as_str()),
                "enemy pair {a}"
            );
        }
    }
    // area 1 has 10 unseen items, at most 5 of them enemy-free: seen ones only as a fallback
    let unseen_area1 = ids
        .iter()
        .filter(|id| id.starts_with("1-") && !seen.contains(&id.to_string()))
        .count();
    let seen_area1 = ids
        .iter()
        .filter(|id| seen.contains(&id.to_string()))
        .count();
    assert!(seen_area1 == 0 || unseen_area1 >= 5);
}

#[test]
fn subarea_balancing_spreads_items() {
    let mut items = Vec::new();
    for j in 0..120 {
        let mut it = item(
            format!("1-{j}"),
            "1",
            -3.0 + 0.05 * j as f64,
            ItemStatus::Operational,
        );
        it.subarea = Some(
            if j % 3 == 0 {
                "1.A"
            } else if j % 3 == 1 {
                "1.B"
            } else {
                "1.C"
            }
            .into(),
        );
        // make 1.A far more informative so that without balancing it would dominate
        if j % 3 == 0 {
            it.params.a = 2.5;
        }
        items.push(it);
    }
    let pool = ItemPool::new(items).unwrap();
    let mut program = Program::readiness();
    program.blueprint = Blueprint {
        areas: vec![AreaWeight {
            name: "1".into(),
            weight: 1.0,
            subareas: vec![
                SubareaWeight {
                    name: "1.A".into(),
                    weight: 1.0,
                },
                SubareaWeight {
                    name: "1.B".into(),
                    weight: 1.0,
                },
                SubareaWeight {
                    name: "1.C".into(),
                    weight: 2.0,
                },
            ],
        }],
    };
    program.stopping = StoppingConfig::fixed(40);
    program.pretest = PretestPlan::None;
    let ctx = SelectionContext::empty(&pool);
    let mut s = Session::new(program, 8, 0.0).unwrap();
    run(&mut s, &pool, &ctx, 0.0);
    assert_eq!(s.tally().subarea_counts[0], vec![10, 10, 20]);
}

#[test]
fn scaled_score_is_clamped() {
    assert_eq!(scaled_score(0.0, 0.0), 630);
    assert_eq!(scaled_score(0.456, 0.0), 676);
    assert_eq!(scaled_score(5.0, 0.0), 900);
    assert_eq!(scaled_score(-5.0, 0.0), 300);
    assert_eq!(scaled_score(f64::NAN, 0.0), 300);
}

fn arb_weights() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(prop_oneof![0.01f64..1.0, 0.2f64..0.3, Just(0.001)], 2..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn fixed_length_quotas_stay_within_one_item_of_running_target(
        weights in arb_weights(),
        length in 5u32..110,
        seed in any::<u64>(),
        theta in -2.0f64..2.0,
    ) {
        let names: Vec<String> = (0..weights.len()).map(|i| format!("A{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let pool = pool(&refs, length as usize + 2, 0);
        let mut program = Program::mblex();
        program.blueprint = Blueprint::from_weights(names.iter().cloned().zip(weights.iter().copied())).unwrap();
        program.stopping = StoppingConfig::fixed(length);
        program.pretest = PretestPlan::None;
        let quotas = program.blueprint.quotas(length);
        // The running target is each area's quota share (see `area_order`): with weights such as
        // [0.001, 0.2, 0.001, 0.076, 0.001, 0.001] over 86 items the tiny areas' quotas are 0, so
        // no sequence can stay within one item of w_d·n for every area.
        let w: Vec<f64> = quotas.iter().map(|&q| f64::from(q) / f64::from(length)).collect();
        let ctx = SelectionContext::empty(&pool);
        let mut s = Session::new(program, seed, 0.0).unwrap();
        while let Some(c) = s.next_item(&pool, &ctx).unwrap() {
            s.record(&c.item_id, answer(&c.item_id, theta)).unwrap();
            let n = f64::from(s.tally().n_scored);
            for (d, &cnt) in s.tally().area_counts.iter().enumerate() {
                prop_assert!((f64::from(cnt) - w[d] * n).abs() <= 1.0 + 1e-9,
                    "area {} count {} target {}", d, cnt, w[d] * n);
                prop_assert!(cnt <= quotas[d]);
            }
        }
        prop_assert_eq!(&s.tally().area_counts, &quotas);
    }

    #[test]
    fn seeded_run_is_reproducible_and_replayable(
        seed in any::<u64>(),
        theta in -2.0f64..2.0,
        cut_at in 0usize..60,
        mblex in any::<bool>(),
    ) {
        let pool = mblex_pool();
        let seen = ["1-3", "2-30", "5-31", "7-29"];
        let ctx = SelectionContext::new(&pool, &seen);
        let program = if mblex { Program::mblex() } else { Program::readiness() };
        let mut a = Session::new(program.clone(), seed, 0.2).unwrap();
        let mut b = Session::new(program.clone(), seed, 0.2).unwrap();
        let ra = run(&mut a, &pool, &ctx, theta);
        let rb = run(&mut b, &pool, &ctx, theta);
        prop_assert_eq!(&ra, &rb);
        prop_assert_eq!(a.result().unwrap(), b.result().unwrap());
        // Rebuild from the first `k` answers: the next item is the one the original gave.
        let k = cut_at.min(ra.len().saturating_sub(1));
        let mut r = Session::replay(program, seed, 0.2, &pool, &a.administered()[..k]).unwrap();
        let next = r.next_item(&pool, &ctx).unwrap();
        prop_assert_eq!(next.as_ref(), ra.get(k));
        // …and carrying on from there reproduces the rest of the test.
        if let Some(c) = next {
            r.record(&c.item_id, answer(&c.item_id, theta)).unwrap();
            let rest = run(&mut r, &pool, &ctx, theta);
            prop_assert_eq!(&rest[..], &ra[k + 1..]);
            prop_assert_eq!(r.result().unwrap(), a.result().unwrap());
        }
    }
}

#[test]
fn behind_pace_when_under_45_seconds_per_needed_question() {
    let p = Program::mblex(); // 100 scored questions in 110 minutes
    assert_eq!((p.stopping.min_items, p.time_limit_secs), (100, 6600));
    assert!(!behind_pace(&p, 0, 0.0), "66 s per question at the start");
    assert!(!behind_pace(&p, 0, 2099.0), "just over 45 s per question");
    assert!(behind_pace(&p, 0, 2101.0), "just under 45 s per question");
    assert!(!behind_pace(&p, 60, 4700.0), "1,900 s for 40 questions");
    assert!(behind_pace(&p, 60, 4900.0), "1,700 s for 40 questions");
    assert!(!behind_pace(&p, 100, 6500.0), "nothing more is needed");
}
