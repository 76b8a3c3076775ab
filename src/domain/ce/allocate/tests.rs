use super::super::hours::Hours;
use super::brute::{best_partition, best_subset};
use super::{AllocError, Allocation, Block, Group, GroupRef, Mode, Problem, allocate};
use proptest::prelude::*;

fn h(x: i64) -> Hours {
    Hours::from_whole(x)
}

fn group(members: &[usize], hours: i64) -> Group {
    Group {
        members: members.to_vec(),
        hours: h(hours),
    }
}

#[test]
fn example_ncbtmb_shape() {
    // slices: A1 technique 12, A2 ethics 2, A6 pathology 3, A7 comm 2, A8 self-care 6
    let p = Problem {
        mode: Mode::Subset,
        slices: vec![h(12), h(2), h(3), h(2), h(6)],
        buckets: vec![],
        mins: vec![group(&[1], 3)],
        caps: vec![group(&[4], 4)],
    };
    let a = allocate(&p).expect("alloc");
    assert_eq!(a.total, h(23));
    assert_eq!(a.min_counted, vec![h(2)]);
    assert_eq!(a.counted[4], h(4));
    assert_eq!(a.blocked[4], Some(Block::Cap(0)));
}

#[test]
fn mins_win_under_a_shared_cap() {
    // self-study cap 2 over an ethics slice and a technique slice; the
    // ethics minimum must get the capped hours.
    let p = Problem {
        mode: Mode::Subset,
        slices: vec![h(2), h(2)],
        buckets: vec![],
        mins: vec![group(&[1], 2)],
        caps: vec![group(&[0, 1], 2)],
    };
    let a = allocate(&p).expect("alloc");
    assert_eq!(a.counted, vec![h(0), h(2)]);
    assert_eq!(a.blocked[0], Some(Block::Cap(0)));
}

#[test]
fn two_crossing_families_are_fine_three_are_not() {
    // ethics min {0,1}, contact min {1,2}: crossing, two families.
    let mut p = Problem {
        mode: Mode::Subset,
        slices: vec![h(1), h(1), h(1)],
        buckets: vec![],
        mins: vec![group(&[0, 1], 1), group(&[1, 2], 1)],
        caps: vec![],
    };
    assert!(allocate(&p).is_ok());
    p.caps.push(group(&[0, 2], 1));
    assert!(matches!(
        allocate(&p),
        Err(AllocError::NotTwoFamilies(_, _))
    ));
}

#[test]
fn partition_example_fl() {
    // buckets: ME {0}, LR {1}, ethics {2}, HT {3}, classroom {4}, any {all}
    let slices = vec![h(2), h(2), h(2), h(1), h(12), h(3), h(2)];
    let all: Vec<usize> = (0..7).collect();
    let p = Problem {
        mode: Mode::Partition,
        slices,
        buckets: vec![
            group(&[0], 2),
            group(&[1], 2),
            group(&[2], 2),
            group(&[3], 1),
            group(&[4], 12),
            group(&all, 5),
        ],
        mins: vec![],
        caps: vec![],
    };
    let a = allocate(&p).expect("alloc");
    assert_eq!(a.total, h(24));
    assert_eq!(a.bucket_filled, vec![h(2), h(2), h(2), h(1), h(12), h(5)]);
}

#[test]
fn partition_explains_full_buckets() {
    let p = Problem {
        mode: Mode::Partition,
        slices: vec![h(3), h(3)],
        buckets: vec![group(&[0, 1], 4), group(&[], 1)],
        mins: vec![],
        caps: vec![],
    };
    let a = allocate(&p).expect("alloc");
    assert_eq!(a.total, h(4));
    assert_eq!(a.counted, vec![h(3), h(1)]);
    assert_eq!(a.blocked[1], Some(Block::BucketsFull(vec![0])));
    assert_eq!(a.bucket_filled[1], h(0));
}

#[test]
fn rejects_bad_members_and_partition_mins() {
    let p = Problem {
        mode: Mode::Subset,
        slices: vec![h(1)],
        buckets: vec![],
        mins: vec![group(&[3], 1)],
        caps: vec![],
    };
    assert_eq!(
        allocate(&p),
        Err(AllocError::BadMember(GroupRef::Min(0), 3))
    );
    let p = Problem {
        mode: Mode::Partition,
        ..p
    };
    assert_eq!(allocate(&p), Err(AllocError::MinsInPartition));
}

fn check_feasible(p: &Problem, a: &Allocation) {
    for (i, c) in a.counted.iter().enumerate() {
        assert!(*c <= p.slices[i] && c.centi() >= 0);
    }
    for cap in &p.caps {
        let s: Hours = cap.members.iter().map(|&i| a.counted[i]).sum();
        assert!(s <= cap.hours, "cap exceeded");
    }
    for (i, b) in p.buckets.iter().enumerate() {
        assert!(a.bucket_filled[i] <= b.hours);
    }
    for (i, c) in a.counted.iter().enumerate() {
        if *c < p.slices[i] {
            assert!(a.blocked[i].is_some());
            assert_ne!(
                a.blocked[i],
                Some(Block::Unexplained),
                "slice {i} unexplained"
            );
        }
    }
}

/// Random slices described by (topic 0..3, delivery 0..2, day 0..2) and
/// groups built from selectors over those attributes, like real rules.
#[derive(Clone, Debug)]
struct Spec {
    slices: Vec<(u8, u8, u8, i64)>,
    groups: Vec<(u8, u8, i64)>, // (kind 0 topic/1 delivery/2 day/3 topic-pair/4 all, value, hours)
    is_min: Vec<bool>,
}

fn spec_strategy(max_slices: usize, max_units: i64) -> impl Strategy<Value = Spec> {
    (
        prop::collection::vec((0u8..3, 0u8..2, 0u8..2, 0..=max_units), 1..=max_slices),
        prop::collection::vec((0u8..5, 0u8..3, 0i64..=4), 0..=4),
        prop::collection::vec(any::<bool>(), 4),
    )
        .prop_map(|(slices, groups, is_min)| Spec {
            slices,
            groups,
            is_min,
        })
}

fn members_of(spec: &Spec, kind: u8, value: u8) -> Vec<usize> {
    spec.slices
        .iter()
        .enumerate()
        .filter(|(_, (t, d, day, _))| match kind {
            0 => *t == value,
            1 => *d == value % 2,
            2 => *day == value % 2,
            3 => *t != value, // two topics
            _ => true,
        })
        .map(|(i, _)| i)
        .collect()
}

fn subset_problem(spec: &Spec) -> Problem {
    let mut p = Problem {
        mode: Mode::Subset,
        slices: spec.slices.iter().map(|s| h(s.3)).collect(),
        buckets: vec![],
        mins: vec![],
        caps: vec![],
    };
    for (k, (kind, value, hours)) in spec.groups.iter().enumerate() {
        let g = Group {
            members: members_of(spec, *kind, *value),
            hours: h(*hours),
        };
        if spec.is_min[k] {
            p.mins.push(g)
        } else {
            p.caps.push(g)
        }
    }
    p
}

fn partition_problem(spec: &Spec) -> Problem {
    let mut p = Problem {
        mode: Mode::Partition,
        slices: spec.slices.iter().map(|s| h(s.3)).collect(),
        buckets: vec![],
        mins: vec![],
        caps: vec![],
    };
    for (k, (kind, value, hours)) in spec.groups.iter().enumerate() {
        let g = Group {
            members: members_of(spec, *kind, *value),
            hours: h(*hours),
        };
        // caps: topic-only so they stay laminar
        if spec.is_min[k] || *kind != 0 {
            p.buckets.push(g)
        } else {
            p.caps.push(g)
        }
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn subset_matches_brute_force(spec in spec_strategy(6, 3)) {
        let p = subset_problem(&spec);
        match allocate(&p) {
            Ok(a) => {
                check_feasible(&p, &a);
                let (fill, total) = a.objective(&p);
                prop_assert_eq!((fill.centi(), total.centi()), best_subset(&p));
            }
            Err(AllocError::NotTwoFamilies(_, _)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn partition_matches_brute_force(spec in spec_strategy(5, 2)) {
        let p = partition_problem(&spec);
        match allocate(&p) {
            Ok(a) => {
                check_feasible(&p, &a);
                prop_assert_eq!(a.total.centi(), best_partition(&p));
                let placed: Hours = a.placed.iter().flatten().map(|(_, x)| *x).sum();
                prop_assert_eq!(placed, a.total);
            }
            Err(AllocError::CapsCross(_, _)) => {}
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
