//! Monte-Carlo simulation of the daily study plan (issue 14): synthetic students with known
//! forgetting curves study a bank for `days` days up to an exam, each day doing exactly the queue a
//! policy gives them, and the figures say whether the plan covered the bank and kept the load even.
//!
//! No I/O: the same [`study::daily_plan`], [`study::rating`] and [`study::review`] as the server,
//! on in-memory cards. Every draw comes from a ChaCha8 stream seeded by `(seed, student)`, so the
//! figures are the same for a seed.
//!
//! **The students.** Student *k* has a true memory of each question: after an answer, recall
//! decays as `p = exp(-t / S)` (t in days since the last answer), S being the question's true
//! stability. The first answer to a question is right with the student's base probability
//! (0.45–0.75) and sets S to the student's initial stability (3–15 days; a third of it after a
//! wrong answer). Each later right answer multiplies S by the student's growth factor (1.8–3.2),
//! each wrong one by their lapse factor (0.25–0.6; S stays at least 0.5 days). Response times are
//! log-normal around the student's typical time (20–50 s), so some right answers are rated easy
//! (≤ 15 s) and some hard (> 90 s). The scheduler never sees the true S.
//!
//! **A day.** Days are numbered 1 to `days`; the exam is on day `days` and the student studies
//! that morning too (the plan turns the last days to review only). Each day the student studies
//! once, at noon: the questions due (due date on or before today, most overdue first) up to the
//! plan's `reviews`, then the plan's `ahead` reviews of questions not yet due (those due soonest
//! first, none answered today), then the plan's `new` questions. The student starts today's
//! session each day, so the plan keeps the level it set (as the server does when a student starts
//! today's review). A question answered today comes back tomorrow at the earliest: FSRS's learning steps of minutes count as due the next day (one
//! session a day).
//!
//! **Coverage.** Each review schedules the next due date. A due date falling on or before the exam
//! date is a *due item*; it is *covered* when the question is reviewed on or after that date and
//! no later than the exam day. Because only due questions are reviewed, every review covers one due
//! item, and the due items left uncovered are exactly the questions still due on or before the
//! exam date after the exam-day session. "Covers 100 % of the bank's due items by the exam date"
//! means: every question of the bank seen by the exam date, and every due item covered.
//!
//! **Load.** A day's load is its reviews (due and ahead) plus its new questions. For each student: the mean load
//! over all `days` days (the first day and the review-only last days included), and the largest
//! relative deviation `|load(d) − mean| / mean` of any day.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;
use time::{Date, Duration, PrimitiveDateTime};

use super::study::{self, CardDue, PlanInput, StudyHistory};

/// Questions in the shipped bank.
pub const DEFAULT_BANK: u32 = 1_215;

/// What to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SimConfig {
    pub students: u32,
    /// Days of study; the exam is on the last one.
    pub days: u32,
    /// Questions in the bank.
    pub bank: u32,
    pub seed: u64,
}

/// Which plan the students follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// Palpate's plan with the exam date set.
    ExamDate,
    /// The same plan without an exam date: a fixed number of new questions a day, reviews as due
    /// (a plain FSRS queue).
    PlainFsrs,
}

/// Figures of one policy over every student.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyFigures {
    pub policy: &'static str,
    /// Share (0–1) of the bank seen by the exam date: mean and least over students.
    pub seen_share_mean: f64,
    pub seen_share_min: f64,
    /// Share (0–1) of due items covered by the exam date (see the module documentation).
    pub due_covered_share_mean: f64,
    pub due_covered_share_min: f64,
    /// Students who saw every question and covered every due item.
    pub students_fully_covered: u32,
    /// Questions never seen by the exam date, mean over students.
    pub unseen_at_exam_mean: f64,
    /// Due items left uncovered at the exam, mean over students.
    pub uncovered_at_exam_mean: f64,
    /// Each student's mean daily load (reviews + new), averaged over students.
    pub daily_load_mean: f64,
    /// Each student's largest relative deviation of a day's load from their mean: mean and worst
    /// over students (0.2 = ±20 %).
    pub load_max_dev_mean: f64,
    pub load_max_dev_worst: f64,
    /// The same deviation's median and 90th percentile over students.
    pub load_max_dev_p50: f64,
    pub load_max_dev_p90: f64,
    /// Students whose every day is within ±20 % of their mean.
    pub students_load_within_20pct: u32,
    /// Reviews of due questions per student over the whole study, mean.
    pub reviews_mean: f64,
    /// Reviews ahead of their due date per student over the whole study, mean.
    pub reviews_ahead_mean: f64,
    /// Mean true recall probability of the bank's questions on the exam day, after the session
    /// (0 for a question never seen), averaged over students.
    pub recall_at_exam_mean: f64,
    /// The mean load of each day over students (day 1 first).
    pub load_by_day: Vec<f64>,
}

/// Both policies on the same students.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimReport {
    pub config: SimConfig,
    pub exam_date_plan: PolicyFigures,
    pub plain_fsrs: PolicyFigures,
}

/// A student's true learning parameters.
#[derive(Debug, Clone, Copy)]
struct Learner {
    base: f64,
    initial_s: f64,
    growth: f64,
    lapse: f64,
    typical_secs: f64,
}

/// One question as a student knows it: the scheduler's card and the true memory.
#[derive(Debug, Clone)]
struct Memory {
    card: rs_fsrs::Card,
    /// Day the question is due again (1 = the first day).
    due_day: i64,
    true_s: f64,
    last_day: i64,
    last_correct: bool,
}

/// One student's study, as the figures need it.
#[derive(Debug, Clone, PartialEq)]
struct Outcome {
    seen: u32,
    reviews: u32,
    ahead: u32,
    uncovered: u32,
    loads: Vec<u32>,
    recall_at_exam: f64,
}

const START: Date = time::macros::date!(2027 - 01 - 04);
const MIN_TRUE_S: f64 = 0.5;

fn noon(day: i64) -> PrimitiveDateTime {
    PrimitiveDateTime::new(START + Duration::days(day - 1), time::macros::time!(12:00))
}

fn day_of(t: PrimitiveDateTime) -> i64 {
    (t.date() - START).whole_days() + 1
}

/// SplitMix64 of the seed and the student: independent streams per student.
fn stream(seed: u64, student: u32, salt: u64) -> ChaCha8Rng {
    let mut z = seed
        .wrapping_add(u64::from(student).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(salt.wrapping_mul(0xD1B5_4A32_D192_ED03));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

fn learner(rng: &mut ChaCha8Rng) -> Learner {
    Learner {
        base: rng.random_range(0.45..0.75),
        initial_s: rng.random_range(3.0..15.0),
        growth: rng.random_range(1.8..3.2),
        lapse: rng.random_range(0.25..0.6),
        typical_secs: rng.random_range(20.0..50.0),
    }
}

/// A standard normal draw (Box–Muller).
fn std_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Answers a question on `day`: right with the true recall probability; rated and scheduled.
fn answer(l: &Learner, m: Option<Memory>, day: i64, rng: &mut ChaCha8Rng) -> Memory {
    let (p, card, s) = match &m {
        Some(m) => (
            (-((day - m.last_day) as f64) / m.true_s).exp(),
            Some(m.card.clone()),
            m.true_s,
        ),
        None => (l.base, None, 0.0),
    };
    let correct = rng.random::<f64>() < p;
    let secs = (l.typical_secs * (0.6 * std_normal(rng)).exp()).round() as i64;
    let next = study::review(card, study::rating(correct, Some(secs), false), noon(day));
    let true_s = match (m.is_some(), correct) {
        (false, true) => l.initial_s,
        (false, false) => l.initial_s / 3.0,
        (true, true) => s * l.growth,
        (true, false) => (s * l.lapse).max(MIN_TRUE_S),
    };
    Memory {
        card: next.card,
        due_day: day_of(next.due).max(day + 1),
        true_s,
        last_day: day,
        last_correct: correct,
    }
}

/// One student's study under `policy`.
fn student(cfg: &SimConfig, k: u32, policy: Policy) -> Outcome {
    let mut rng = stream(cfg.seed, k, 1);
    let l = learner(&mut rng);
    // The answers draw from their own stream, the same for both policies.
    let mut rng = stream(cfg.seed, k, 2);
    let days = i64::from(cfg.days);
    let exam = START + Duration::days(days - 1);
    let mut mem: Vec<Memory> = Vec::with_capacity(cfg.bank as usize);
    let mut loads = Vec::with_capacity(cfg.days as usize);
    let mut reviews_done = 0u32;
    let mut ahead_done = 0u32;
    let mut due: Vec<(i64, usize)> = Vec::new();
    let mut history = StudyHistory::default();
    let mut kept: Option<u32> = None;
    for day in 1..=days {
        due.clear();
        history.cards.clear();
        history.recent.clear();
        let mut due_by_exam = 0u32;
        for (i, m) in mem.iter().enumerate() {
            if m.due_day <= day {
                due.push((m.due_day, i));
            }
            due_by_exam += u32::from(m.due_day <= days);
            let card = CardDue {
                due_in: m.due_day - day,
                interval: m.due_day - m.last_day,
            };
            let recent = (m.last_day >= day - 1).then_some((m.card.elapsed_days, m.last_correct));
            history.add(card, i64::from(m.card.reps), recent);
        }
        due.sort_unstable();
        let unseen = cfg.bank - mem.len() as u32;
        let input = PlanInput {
            today: noon(day).date(),
            exam_date: (policy == Policy::ExamDate).then_some(exam),
            due_now: due.len() as u32,
            due_by_exam,
            unseen,
            bank: cfg.bank,
            // Before the day's study nothing is answered today.
            not_due: (mem.len() - due.len()) as u32,
            kept_level: kept,
        };
        let plan = study::daily_plan_for(input, &history);
        // The student starts today's session: the plan keeps its level (as the server does, not
        // on a day that is behind).
        if !plan.behind {
            kept = plan.level;
        }
        let reviews = (plan.reviews as usize).min(due.len());
        for &(_, i) in &due[..reviews] {
            let m = mem[i].clone();
            mem[i] = answer(&l, Some(m), day, &mut rng);
        }
        // Reviews ahead: the questions not yet due that fall due soonest, none answered today.
        let mut later: Vec<(i64, usize)> = mem
            .iter()
            .enumerate()
            .filter(|(_, m)| m.due_day > day && m.last_day < day)
            .map(|(i, m)| (m.due_day, i))
            .collect();
        later.sort_unstable();
        let ahead = (plan.ahead as usize).min(later.len());
        for &(_, i) in &later[..ahead] {
            let m = mem[i].clone();
            mem[i] = answer(&l, Some(m), day, &mut rng);
        }
        let new = plan.new.min(unseen);
        for _ in 0..new {
            let m = answer(&l, None, day, &mut rng);
            mem.push(m);
        }
        reviews_done += reviews as u32;
        ahead_done += ahead as u32;
        loads.push((reviews + ahead) as u32 + new);
    }
    let recall: f64 = mem
        .iter()
        .map(|m| (-((days - m.last_day) as f64) / m.true_s).exp())
        .sum();
    Outcome {
        seen: mem.len() as u32,
        reviews: reviews_done,
        ahead: ahead_done,
        uncovered: mem.iter().filter(|m| m.due_day <= days).count() as u32,
        loads,
        recall_at_exam: recall / f64::from(cfg.bank.max(1)),
    }
}

/// The largest relative deviation of a day's load from the mean load, and the mean.
fn load_spread(loads: &[u32]) -> (f64, f64) {
    let mean = loads.iter().map(|&x| f64::from(x)).sum::<f64>() / loads.len().max(1) as f64;
    let dev = loads
        .iter()
        .map(|&x| (f64::from(x) - mean).abs() / mean.max(f64::MIN_POSITIVE))
        .fold(0.0, f64::max);
    (mean, dev)
}

fn figures(cfg: &SimConfig, policy: Policy, outcomes: &[Outcome]) -> PolicyFigures {
    let n = outcomes.len().max(1) as f64;
    let bank = f64::from(cfg.bank.max(1));
    let mut f = PolicyFigures {
        policy: match policy {
            Policy::ExamDate => "exam_date_plan",
            Policy::PlainFsrs => "plain_fsrs",
        },
        seen_share_mean: 0.0,
        seen_share_min: 1.0,
        due_covered_share_mean: 0.0,
        due_covered_share_min: 1.0,
        students_fully_covered: 0,
        unseen_at_exam_mean: 0.0,
        uncovered_at_exam_mean: 0.0,
        daily_load_mean: 0.0,
        load_max_dev_mean: 0.0,
        load_max_dev_worst: 0.0,
        load_max_dev_p50: 0.0,
        load_max_dev_p90: 0.0,
        students_load_within_20pct: 0,
        reviews_mean: 0.0,
        reviews_ahead_mean: 0.0,
        recall_at_exam_mean: 0.0,
        load_by_day: vec![0.0; cfg.days as usize],
    };
    let mut devs = Vec::with_capacity(outcomes.len());
    for o in outcomes {
        let seen = f64::from(o.seen) / bank;
        let items = o.reviews + o.uncovered;
        let covered = if items == 0 {
            1.0
        } else {
            f64::from(o.reviews) / f64::from(items)
        };
        let (mean, dev) = load_spread(&o.loads);
        f.seen_share_mean += seen / n;
        f.seen_share_min = f.seen_share_min.min(seen);
        f.due_covered_share_mean += covered / n;
        f.due_covered_share_min = f.due_covered_share_min.min(covered);
        f.students_fully_covered += u32::from(o.seen == cfg.bank && o.uncovered == 0);
        f.unseen_at_exam_mean += f64::from(cfg.bank - o.seen) / n;
        f.uncovered_at_exam_mean += f64::from(o.uncovered) / n;
        f.daily_load_mean += mean / n;
        f.load_max_dev_mean += dev / n;
        f.load_max_dev_worst = f.load_max_dev_worst.max(dev);
        devs.push(dev);
        f.students_load_within_20pct += u32::from(dev <= 0.2);
        f.reviews_mean += f64::from(o.reviews) / n;
        f.reviews_ahead_mean += f64::from(o.ahead) / n;
        f.recall_at_exam_mean += o.recall_at_exam / n;
        for (acc, &x) in f.load_by_day.iter_mut().zip(&o.loads) {
            *acc += f64::from(x) / n;
        }
    }
    devs.sort_by(f64::total_cmp);
    let at = |q: f64| {
        devs.get(((devs.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    (f.load_max_dev_p50, f.load_max_dev_p90) = (at(0.5), at(0.9));
    f
}

/// Errors in the configuration.
pub fn check(cfg: &SimConfig) -> Result<(), String> {
    if cfg.students == 0 || cfg.days == 0 || cfg.bank == 0 {
        return Err("students, days and bank must each be at least 1".into());
    }
    if cfg.days > 3_650 {
        return Err("days: at most 3650".into());
    }
    if cfg.bank > 100_000 {
        return Err("bank: at most 100000 questions".into());
    }
    Ok(())
}

/// Runs both policies over the same students (same learners, same answer streams), on `threads`
/// threads (the figures do not depend on it).
pub fn simulate(cfg: &SimConfig, threads: usize) -> Result<SimReport, String> {
    check(cfg)?;
    let run = |policy: Policy| -> Vec<Outcome> {
        let threads = threads.clamp(1, cfg.students as usize) as u32;
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    s.spawn(move || {
                        (t..cfg.students)
                            .step_by(threads as usize)
                            .map(|k| (k, student(cfg, k, policy)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<(u32, Outcome)> = handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect();
            all.sort_by_key(|(k, _)| *k);
            all.into_iter().map(|(_, o)| o).collect()
        })
    };
    let exam = run(Policy::ExamDate);
    let plain = run(Policy::PlainFsrs);
    if exam.len() != cfg.students as usize || plain.len() != cfg.students as usize {
        return Err("a simulation thread failed".into());
    }
    Ok(SimReport {
        config: *cfg,
        exam_date_plan: figures(cfg, Policy::ExamDate, &exam),
        plain_fsrs: figures(cfg, Policy::PlainFsrs, &plain),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(students: u32, days: u32, bank: u32) -> SimConfig {
        SimConfig {
            students,
            days,
            bank,
            seed: 7,
        }
    }

    #[test]
    fn the_exam_date_plan_covers_the_bank_and_the_plain_queue_does_not() {
        // 400 questions in 30 days: more than 10 new a day can show.
        let r = simulate(&cfg(12, 30, 400), 2).unwrap();
        let e = &r.exam_date_plan;
        assert_eq!(e.seen_share_min, 1.0, "{e:?}");
        assert_eq!(e.due_covered_share_min, 1.0, "{e:?}");
        assert_eq!(e.students_fully_covered, 12);
        // The median student's every day within ±20 % of their mean; what fills the days the
        // projection overshot is reviews ahead.
        assert!(e.load_max_dev_p50 <= 0.2, "{e:?}");
        assert!(e.reviews_ahead_mean > 0.0, "{e:?}");
        let p = &r.plain_fsrs;
        assert!(p.seen_share_mean < 0.8, "{p:?}");
        assert!((p.unseen_at_exam_mean - 100.0).abs() < 1e-9, "{p:?}");
        assert_eq!(p.students_fully_covered, 0);
        assert_eq!(e.load_by_day.len(), 30);
    }

    #[test]
    fn the_figures_are_the_same_for_a_seed_whatever_the_threads() {
        let a = simulate(&cfg(6, 20, 150), 1).unwrap();
        let b = simulate(&cfg(6, 20, 150), 3).unwrap();
        assert_eq!(a, b);
        let c = simulate(
            &SimConfig {
                seed: 8,
                ..cfg(6, 20, 150)
            },
            1,
        )
        .unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn a_day_after_the_exam_day_is_never_studied_and_bad_input_is_refused() {
        assert!(simulate(&cfg(0, 10, 10), 1).is_err());
        assert!(simulate(&cfg(1, 0, 10), 1).is_err());
        // One day: the exam day itself, review only, nothing new.
        let r = simulate(&cfg(2, 1, 10), 1).unwrap();
        assert_eq!(r.exam_date_plan.seen_share_mean, 0.0);
        assert_eq!(r.exam_date_plan.load_by_day, vec![0.0]);
    }

    #[test]
    fn load_spread_is_the_largest_relative_deviation() {
        let (mean, dev) = load_spread(&[10, 10, 10, 14, 6]);
        assert_eq!(mean, 10.0);
        assert!((dev - 0.4).abs() < 1e-12);
    }
}
