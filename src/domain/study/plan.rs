//! The daily plan toward the exam date (see the parent module's documentation): what today's
//! study holds, projected from the student's own cards and failure rate.

use super::*;

/// The last days before the exam bring no new questions, only reviews.
pub const REVIEW_ONLY_DAYS: i64 = 3;
/// New questions a day when no exam date is set.
pub const DEFAULT_NEW_PER_DAY: u32 = 10;
/// The most new questions a day the plan asks for.
pub const MAX_NEW_PER_DAY: u32 = 300;
/// The most reviews a day the plan asks for before spreading a backlog.
pub const MAX_REVIEWS_PER_DAY: u32 = 60;

/// What the plan needs to know about a student's study.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput {
    pub today: Date,
    pub exam_date: Option<Date>,
    /// Reviews due now.
    pub due_now: u32,
    /// Reviews that fall due between now and the exam (including those due now).
    pub due_by_exam: u32,
    /// Questions of the bank the student has never answered.
    pub unseen: u32,
    /// Questions in the bank.
    pub bank: u32,
    /// Questions answered before today and not due: what a review ahead may ask.
    pub not_due: u32,
    /// The level the plan set on an earlier day for this exam date, if any: kept unless the work
    /// left needs more, so the load stays even.
    pub kept_level: Option<u32>,
}

/// The most days the plan projects; an exam further away is planned this many days at a time.
pub const MAX_HORIZON: i64 = 240;

/// Today's plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DailyPlan {
    /// Days until the exam (0 on the day), when a date is set and not past.
    pub days_left: Option<i64>,
    pub reviews: u32,
    pub new: u32,
    /// The last days before the exam: reviews only.
    pub review_only: bool,
    /// More reviews are due than today's plan holds: they wait for later days (never past the
    /// exam).
    pub behind: bool,
    /// At this pace, the share of the bank (0–100) seen by the exam date.
    pub seen_by_exam_pct: Option<u32>,
    /// With an exam date: the even daily load (reviews + new) the plan aims at until the exam.
    pub level: Option<u32>,
    /// Questions already answered today (reviews and new) that count toward today's plan.
    pub done_today: u32,
    /// With an exam date: reviews of questions not yet due, those due soonest first, that fill a
    /// day up to its even load (what is reviewed early falls due later).
    pub ahead: u32,
}

/// Days after a question's first answer at which a student answering "good" every time reviews it
/// again (one session a day: FSRS's learning steps of minutes come back the next day). Computed
/// once from the scheduler itself.
fn good_path() -> &'static [i64] {
    static PATH: std::sync::OnceLock<Vec<i64>> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let start = PrimitiveDateTime::new(
            time::macros::date!(2000 - 01 - 01),
            time::macros::time!(12:00),
        );
        let mut at = start;
        let mut r = review(None, Rating::Good, at);
        let mut days = vec![];
        while days.len() < 64 {
            let day = (r.due.date() - start.date())
                .whole_days()
                .max(days.last().copied().unwrap_or(0) + 1);
            if day > 36_500 {
                break;
            }
            days.push(day);
            at = PrimitiveDateTime::new(start.date() + time::Duration::days(day), at.time());
            r = review(Some(r.card), Rating::Good, at);
        }
        days
    })
}

/// The gaps of the "good" path: `gap[0]` from the first answer to the learning review (a day),
/// `gap[j]` from the j-th review to the next.
fn gaps() -> Vec<i64> {
    let path = good_path();
    let prev = std::iter::once(0).chain(path.iter().copied());
    path.iter().zip(prev).map(|(d, p)| (d - p).max(1)).collect()
}

/// Expected reviews by day for a student whose reviews go wrong as `f` says: a card at step j of
/// the "good" path reviewed on day 0 (`gap[j]` days after its last answer, so wrong with
/// probability `f.at(gap[j])`) is, when right, reviewed again `gap[j + 1]` days later at step
/// j + 1, and when wrong, the next day at step 0 (relearning, like a new card's learning step). `rows[j * h + a]` is the expected number of its reviews on day a (1 on day 0).
struct Kernel {
    gaps: Vec<i64>,
    h: usize,
    rows: Vec<f64>,
}

impl Kernel {
    fn new(f: FailureCurve, h: usize) -> Kernel {
        let gaps = gaps();
        let k = gaps.len().max(1);
        let fail: Vec<f64> = (0..k)
            .map(|j| f.at(gaps.get(j).copied().unwrap_or(1)))
            .collect();
        let mut rows = vec![0.0; k * h];
        for a in 0..h {
            for j in 0..k {
                let f = fail[j];
                let mut v = if a == 0 { 1.0 } else { 0.0 };
                if let Some(&g) = gaps.get(j + 1)
                    && a as i64 >= g
                {
                    v += (1.0 - f) * rows[(j + 1) * h + a - g as usize];
                }
                if a >= 1 {
                    v += f * rows[a - 1];
                }
                rows[j * h + a] = v;
            }
        }
        Kernel { gaps, h, rows }
    }

    /// The step of a card with this interval: the one whose gap is nearest.
    fn step_of(&self, interval: i64) -> usize {
        if interval <= 1 {
            return 0;
        }
        (1..self.gaps.len())
            .min_by_key(|&j| (self.gaps[j] - interval).abs())
            .unwrap_or(0)
    }

    fn row(&self, j: usize) -> &[f64] {
        &self.rows[j * self.h..(j + 1) * self.h]
    }
}

/// The work ahead over the next `h` days (today first), and how the plan would spread it.
struct Projection {
    /// Reviews the cards already answered bring on each day (overdue ones today).
    known: Vec<f64>,
    /// Reviews a question answered on day 0 brings on each later day (index 0 = day 1).
    echo: Vec<f64>,
    unseen: f64,
    /// Days (from today) that take new questions.
    new_days: usize,
    /// The last day of the window is the exam day: every review due then is done.
    ends_at_exam: bool,
}

impl Projection {
    fn new(p: &PlanInput, h: &StudyHistory, days: usize, new_days: usize) -> Projection {
        let kernel = Kernel::new(h.failure_curve(), days);
        let mut known = vec![0.0; days];
        let mut add = |t: usize, j: usize, n: f64| {
            for (a, r) in kernel.row(j).iter().take(days - t).enumerate() {
                known[t + a] += n * r;
            }
        };
        if h.cards.is_empty() {
            // Only the counts: the reviews due now today, the later ones spread evenly.
            add(0, 1, f64::from(p.due_now));
            let later = f64::from(p.due_by_exam.saturating_sub(p.due_now));
            for t in 1..days {
                add(t, 1, later / (days - 1) as f64);
            }
        } else {
            // Cards by due day (overdue ones today) and step, each group projected once.
            let k = kernel.gaps.len().max(1);
            let mut counts = vec![0u32; days * k];
            for c in h.cards.iter().filter(|c| c.due_in < days as i64) {
                counts[c.due_in.max(0) as usize * k + kernel.step_of(c.interval)] += 1;
            }
            for (i, &n) in counts.iter().enumerate().filter(|(_, n)| **n > 0) {
                add(i / k, i % k, f64::from(n));
            }
        }
        let echo = kernel.row(0).to_vec();
        Projection {
            known,
            echo,
            unseen: f64::from(p.unseen),
            new_days,
            ends_at_exam: true,
        }
    }

    /// Runs the plan at `level` over the window: each day the reviews due up to the level (the
    /// rest wait; all on the exam day), then new questions up to the level (at least the pace that
    /// shows the bank before the review-only days). Returns whether no day goes over the level.
    fn run(&self, level: f64, echoes: &mut [f64]) -> bool {
        let h = self.known.len();
        echoes.fill(0.0);
        let (mut waiting, mut left) = (0.0, self.unseen);
        for a in 0..h {
            let due = self.known[a] + echoes[a] + waiting;
            let pace = if a < self.new_days {
                left / (self.new_days - a) as f64
            } else {
                0.0
            };
            let reviews = if self.ends_at_exam && a + 1 == h {
                due
            } else {
                due.min(level - pace)
            };
            waiting = due - reviews;
            let new = if a < self.new_days {
                (level - reviews).clamp(0.0, left).max(pace)
            } else {
                0.0
            };
            left -= new;
            if reviews + new > level + 1e-6 {
                return false;
            }
            for (b, e) in (a + 1..h).zip(&self.echo) {
                echoes[b] += new * e;
            }
        }
        true
    }

    /// The lowest whole daily load at which no day of the window goes over it.
    fn level(&self) -> u32 {
        let mut echoes = vec![0.0; self.known.len()];
        let all =
            self.unseen * (1.0 + self.echo.iter().sum::<f64>()) + self.known.iter().sum::<f64>();
        let (mut lo, mut hi) = (0u32, (all.ceil() as u32).max(1));
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if self.run(f64::from(mid), &mut echoes) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
}

/// Today's plan from the counts alone (see [`daily_plan_for`]): the student's cards are taken to
/// be due evenly until the exam, and their failures to follow the prior curve
/// ([`PRIOR_FAILURE_LEVEL`], [`PRIOR_FAILURE_SLOPE`]).
pub fn daily_plan(p: PlanInput) -> DailyPlan {
    daily_plan_for(p, &StudyHistory::default())
}

/// Today's plan (see the module documentation).
///
/// With an exam date the plan keeps the daily load (reviews + new) level until the exam: it
/// projects the reviews the student's cards will bring (each card from its due date and interval,
/// each review wrong as the student's own [`FailureCurve`] says for the days since its last
/// answer, a wrong answer coming back the next day and climbing the scheduler's intervals again)
/// and those the unseen questions will bring, and finds the lowest daily load at which every day
/// of the plan fits: reviews due beyond it wait (most overdue first, never past the exam: on the
/// exam day every review due is asked), new questions fill the day up to it, at least the pace
/// that shows the whole bank before the review-only days and at most [`MAX_NEW_PER_DAY`].
/// Re-planned every day from the work really left, so a wrong projection is spread over the days
/// left. The level never falls below `kept_level` (the level of an earlier day for the same exam
/// date): a day with room below it is filled with reviews ahead of their due date, so the load
/// stays even where the projection overshot; it rises when the work left needs more.
pub fn daily_plan_for(p: PlanInput, history: &StudyHistory) -> DailyPlan {
    let days_left = p
        .exam_date
        .map(|d| (d - p.today).whole_days())
        .filter(|d| *d >= 0);
    let Some(days) = days_left else {
        let reviews = p.due_now.min(MAX_REVIEWS_PER_DAY);
        return DailyPlan {
            days_left: None,
            reviews,
            new: DEFAULT_NEW_PER_DAY.min(p.unseen),
            review_only: false,
            behind: p.due_now > reviews,
            seen_by_exam_pct: None,
            level: None,
            done_today: 0,
            ahead: 0,
        };
    };
    // Study days left including today.
    let study_days = days + 1;
    let new_days = (study_days - REVIEW_ONLY_DAYS).max(0);
    let review_only = new_days == 0;
    let window = study_days.min(MAX_HORIZON);
    let mut proj = Projection::new(&p, history, window as usize, new_days.min(window) as usize);
    if window < study_days {
        // An exam beyond the window: the window takes its share of the unseen questions and
        // need not clear every review on its last day.
        proj.unseen = (f64::from(p.unseen) * window as f64 / new_days as f64).ceil();
        proj.ends_at_exam = false;
    }
    let level = if days == 0 { p.due_now } else { proj.level() }.max(p.kept_level.unwrap_or(0));
    let pace = if review_only {
        0
    } else {
        p.unseen.div_ceil(new_days as u32)
    };
    let reviews = if days == 0 {
        p.due_now
    } else {
        p.due_now.min(level.saturating_sub(pace))
    };
    let new = if review_only {
        0
    } else {
        level
            .saturating_sub(reviews)
            .max(pace)
            .min(MAX_NEW_PER_DAY)
            .min(p.unseen)
    };
    // Room left below the level: reviews of questions not yet due, the exam day included (a last
    // look at the questions due soonest; every review due is asked first).
    let ahead = if p.due_now > reviews {
        0
    } else {
        level.saturating_sub(reviews + new).min(p.not_due)
    };
    let seen_by_exam =
        (p.bank - p.unseen.min(p.bank)) + (new.saturating_mul(new_days as u32)).min(p.unseen);
    DailyPlan {
        days_left,
        reviews,
        new,
        review_only,
        behind: p.due_now > reviews,
        seen_by_exam_pct: (p.bank > 0).then(|| (100 * seen_by_exam / p.bank).min(100)),
        level: Some(level),
        done_today: 0,
        ahead,
    }
}

/// What is left of today's plan once the student has answered `new_done` new questions and
/// `reviews_done` reviews today (the plan is recomputed on every view from the cards as they are
/// now, which no longer counts those answers as work). With an exam date, today's answers count
/// toward the day's level (due reviews first, then new questions, then reviews ahead); without,
/// toward the day's new questions and the reviews a day holds.
pub fn left_today(mut plan: DailyPlan, new_done: u32, reviews_done: u32) -> DailyPlan {
    let done = new_done + reviews_done;
    plan.done_today = done;
    match plan.level {
        Some(level) if plan.days_left.is_some_and(|d| d > 0) => {
            let room = level.saturating_sub(done);
            plan.reviews = plan.reviews.min(room);
            plan.new = plan.new.min(room - plan.reviews);
            plan.ahead = plan.ahead.min(room - plan.reviews - plan.new);
        }
        Some(_) => plan.ahead = plan.ahead.saturating_sub(done),
        None => {
            plan.new = plan.new.saturating_sub(new_done);
            plan.reviews = plan
                .reviews
                .min(MAX_REVIEWS_PER_DAY.saturating_sub(reviews_done));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn what_was_done_today_counts_toward_today() {
        // Without an exam date: ten new a day, whatever the reviews.
        let p = daily_plan(input(None, 30, 30, 500));
        assert_eq!((p.reviews, p.new), (30, 10));
        let left = left_today(p.clone(), 4, 25);
        assert_eq!((left.reviews, left.new, left.done_today), (30, 6, 29));
        assert_eq!(left_today(p, 12, 60).new, 0);
        // With one: today's answers fill the day's level.
        let exam = date!(2026 - 12 - 06) + time::Duration::days(30);
        let p = daily_plan(input(Some(exam), 20, 200, 600));
        let level = p.level.unwrap();
        assert_eq!(p.reviews + p.new, level, "{p:?}");
        let left = left_today(p.clone(), level - 5, 0);
        assert_eq!(left.reviews + left.new, 5, "{left:?}");
        assert_eq!(left_today(p.clone(), level, 0).new, 0);
        assert_eq!(left_today(p, level + 10, 3).reviews, 0);
    }

    fn input(exam: Option<Date>, due_now: u32, due_by_exam: u32, unseen: u32) -> PlanInput {
        PlanInput {
            today: date!(2026 - 12 - 06),
            exam_date: exam,
            due_now,
            due_by_exam,
            unseen,
            bank: 700,
            not_due: 700u32.saturating_sub(unseen + due_now),
            kept_level: None,
        }
    }

    #[test]
    fn the_plan_shows_the_bank_before_the_review_only_days() {
        // 33 days left: 31 days with new questions share 620 unseen questions; the level load
        // asks for more than the bare pace of 20 a day while the reviews are few.
        let p = daily_plan(input(Some(date!(2027 - 01 - 08)), 12, 300, 620));
        assert_eq!(p.days_left, Some(33));
        assert_eq!((p.reviews, p.review_only, p.behind), (12, false, false));
        assert!(p.new >= 20 && p.new <= MAX_NEW_PER_DAY, "{p:?}");
        assert_eq!(p.seen_by_exam_pct, Some(100));
        // Two days before: review only, every review due asked.
        let p = daily_plan(input(Some(date!(2026 - 12 - 08)), 12, 30, 620));
        assert!(p.review_only && p.new == 0);
        assert_eq!(p.reviews, 12);
        // Too many unseen for the days left: capped, and the forecast says how far it gets.
        let p = daily_plan(input(Some(date!(2026 - 12 - 10)), 0, 0, 620));
        assert_eq!(p.new, MAX_NEW_PER_DAY);
        assert_eq!(
            p.seen_by_exam_pct,
            Some((80 + MAX_NEW_PER_DAY * 2) * 100 / 700)
        );
        // No date: a steady default; a past date counts as none.
        let p = daily_plan(input(None, 3, 3, 620));
        assert_eq!((p.new, p.days_left), (DEFAULT_NEW_PER_DAY, None));
        assert_eq!(
            daily_plan(input(None, 400, 400, 620)).reviews,
            MAX_REVIEWS_PER_DAY
        );
        assert_eq!(
            daily_plan(input(Some(date!(2026 - 11 - 01)), 3, 3, 9)).days_left,
            None
        );
    }

    #[test]
    fn the_level_load_trades_new_questions_for_reviews() {
        let exam = Some(date!(2027 - 01 - 20));
        let light = daily_plan(input(exam, 20, 200, 600));
        let heavy = daily_plan(input(exam, 120, 200, 600));
        // More reviews due today: fewer new questions, and a load no lighter.
        assert!(heavy.new < light.new, "{light:?} {heavy:?}");
        assert!(heavy.reviews + heavy.new >= light.reviews + light.new);
        // But never below the pace that shows the bank before the review-only days.
        let pace = 600u32.div_ceil(45 + 1 - REVIEW_ONLY_DAYS as u32);
        let flooded = daily_plan(input(exam, 900, 900, 600));
        assert_eq!(flooded.new, pace);
        assert!(flooded.behind && flooded.reviews < 900);
        // More work left means a higher level.
        let more = daily_plan(input(exam, 20, 600, 600));
        assert!(more.reviews + more.new >= light.reviews + light.new);
    }

    fn spread_cards(n: i64, due_now: i64) -> Vec<CardDue> {
        (0..n)
            .map(|i| CardDue {
                due_in: if i < due_now { 0 } else { 1 + i % 40 },
                interval: 3 + i % 20,
            })
            .collect()
    }

    #[test]
    fn a_student_who_forgets_more_gets_a_higher_level() {
        let exam = Some(date!(2027 - 02 - 04));
        let cards = spread_cards(300, 10);
        // 400 reviews after 1 to 20 days: one in twenty wrong, or three in four.
        let recent = |wrong_in_20: usize| -> Vec<RecentReview> {
            (0..400)
                .map(|i| RecentReview {
                    elapsed: 1 + (i as i64 % 20),
                    wrong: i % 20 < wrong_in_20,
                })
                .collect()
        };
        let strong = StudyHistory {
            cards: cards.clone(),
            recent: recent(1),
        };
        let weak = StudyHistory {
            cards,
            recent: recent(15),
        };
        let (fs, fw) = (strong.failure_curve(), weak.failure_curve());
        assert!(fs.at(4) < 0.2 && fw.at(4) > 0.6, "{fs:?} {fw:?}");
        // Failures grow with the days since the last answer; the prior's after a day is about
        // 0.38.
        assert!(fs.at(1) < fs.at(20) && fw.at(1) < fw.at(20));
        let prior = StudyHistory::default().failure_curve();
        assert!((prior.at(1) - 0.38).abs() < 0.01, "{prior:?}");
        let i = input(exam, 10, 300, 400);
        let (s, w) = (daily_plan_for(i, &strong), daily_plan_for(i, &weak));
        assert!(w.level > s.level, "{s:?} {w:?}");
        // The same reviews today, more new questions: the weak student's later reviews are
        // planned for now.
        assert_eq!((s.reviews, w.reviews), (10, 10));
        assert!(w.new > s.new, "{s:?} {w:?}");
        // The prior lies between them.
        let none = daily_plan(i).level;
        assert!(s.level < none && none < w.level, "{s:?} {none:?} {w:?}");
    }

    #[test]
    fn cards_due_later_raise_the_level_less_than_cards_due_now() {
        let exam = Some(date!(2027 - 01 - 05));
        let near = StudyHistory {
            cards: spread_cards(200, 200),
            ..StudyHistory::default()
        };
        let later = CardDue {
            due_in: 60,
            interval: 40,
        };
        let far = StudyHistory {
            cards: vec![later; 200],
            ..StudyHistory::default()
        };
        // Due after the exam: no review before it, only the new questions count.
        let after = daily_plan_for(input(exam, 0, 0, 300), &far);
        let now = daily_plan_for(input(exam, 200, 200, 300), &near);
        assert!(now.level > after.level, "{after:?} {now:?}");
        assert_eq!(after.reviews, 0);
    }

    /// A student of the toy world: answers right unless `wrong(card, day)`; the plan decides the
    /// day. Returns each day's load and, at the exam, (questions never seen, reviews due by the
    /// exam not done).
    fn toy_study(days: i64, bank: u32, wrong: impl Fn(usize, i64) -> bool) -> (Vec<u32>, u32, u32) {
        let start = datetime!(2027-01-04 12:00);
        let at = |day: i64| start + time::Duration::days(day - 1);
        let exam = at(days).date();
        let mut cards: Vec<(Card, i64, i64, bool)> = vec![];
        let mut loads = vec![];
        let mut kept = None;
        for day in 1..=days {
            let mut history = StudyHistory::default();
            let mut due: Vec<(i64, usize)> = vec![];
            for (i, (c, due_day, last, right)) in cards.iter().enumerate() {
                if *due_day <= day {
                    due.push((*due_day, i));
                }
                let card = CardDue {
                    due_in: due_day - day,
                    interval: due_day - last,
                };
                history.add(
                    card,
                    i64::from(c.reps),
                    (*last >= day - 1).then_some((c.elapsed_days, *right)),
                );
            }
            due.sort_unstable();
            let p = daily_plan_for(
                PlanInput {
                    today: at(day).date(),
                    exam_date: Some(exam),
                    due_now: due.len() as u32,
                    due_by_exam: cards.iter().filter(|c| c.1 <= days).count() as u32,
                    unseen: bank - cards.len() as u32,
                    bank,
                    // Before the day's study nothing is answered today.
                    not_due: (cards.len() - due.len()) as u32,
                    kept_level: kept,
                },
                &history,
            );
            kept = p.level;
            let answer = |c: Option<Card>, i: usize| {
                let right = !wrong(i, day);
                let r = if right { Rating::Good } else { Rating::Again };
                let next = review(c, r, at(day));
                let due_day = (next.due.date() - start.date()).whole_days() + 1;
                (next.card, due_day.max(day + 1), day, right)
            };
            for &(_, i) in due.iter().take(p.reviews as usize) {
                cards[i] = answer(Some(cards[i].0.clone()), i);
            }
            let mut later: Vec<(i64, usize)> = (0..cards.len())
                .filter(|&i| cards[i].1 > day && cards[i].2 < day)
                .map(|i| (cards[i].1, i))
                .collect();
            later.sort_unstable();
            later.truncate(p.ahead as usize);
            for &(_, i) in &later {
                cards[i] = answer(Some(cards[i].0.clone()), i);
            }
            for _ in 0..p.new {
                let i = cards.len();
                cards.push(answer(None, i));
            }
            loads.push(p.reviews.min(due.len() as u32) + later.len() as u32 + p.new);
        }
        let undone = cards.iter().filter(|c| c.1 <= days).count() as u32;
        (loads, bank - cards.len() as u32, undone)
    }

    #[test]
    fn the_plan_leaves_nothing_due_undone_and_keeps_the_load_even() {
        // (one review wrong in `every`, days, bank): the level is kept from day to day and
        // filled with reviews ahead where the projection overshot.
        for (every, days, bank) in [(3, 30, 400), (5, 40, 600), (9, 20, 200)] {
            let (loads, unseen, undone) =
                toy_study(days, bank, |i, day| (i as i64 * 7 + day) % every == 0);
            assert_eq!((unseen, undone), (0, 0), "{every}: {loads:?}");
            let mean = loads.iter().sum::<u32>() as f64 / loads.len() as f64;
            let worst = loads
                .iter()
                .map(|&x| (f64::from(x) - mean).abs() / mean)
                .fold(0.0, f64::max);
            assert!(worst <= 0.2, "one wrong in {every}: {worst:.2} {loads:?}");
        }
    }

    #[test]
    fn a_kept_level_holds_and_room_below_it_goes_to_reviews_ahead() {
        let exam = Some(date!(2027 - 01 - 20));
        let with = |kept: u32, due_now: u32, unseen: u32| PlanInput {
            kept_level: Some(kept),
            ..input(exam, due_now, 200, unseen)
        };
        let fresh = daily_plan(input(exam, 20, 200, 600));
        let level = fresh.level.unwrap();
        assert_eq!(fresh.ahead, 0, "{fresh:?}");
        // An earlier day set a higher level: it holds, the room going to new questions first.
        let p = daily_plan(with(level + 40, 20, 600));
        assert_eq!(p.level, Some(level + 40));
        assert_eq!(
            (p.reviews, p.new, p.ahead),
            (20, fresh.new + 40, 0),
            "{p:?}"
        );
        // With the bank seen, the room goes to reviews ahead of their due date...
        let p = daily_plan(with(150, 20, 0));
        assert_eq!(
            (p.level, p.reviews, p.new, p.ahead),
            (Some(150), 20, 0, 130),
            "{p:?}"
        );
        // ... never more than the questions answered before today and not due.
        let p = daily_plan(PlanInput {
            not_due: 5,
            ..with(150, 20, 0)
        });
        assert_eq!((p.reviews, p.ahead), (20, 5), "{p:?}");
        // While questions are unseen, the room goes to them instead.
        assert_eq!(daily_plan(with(150, 20, 600)).ahead, 0);
        // A kept level lower than the work needs does not hold it down.
        assert_eq!(daily_plan(with(level / 2, 20, 600)), fresh);
        // The exam day asks every review due, and fills the rest of the level ahead.
        let day = PlanInput {
            kept_level: Some(150),
            ..input(Some(date!(2026 - 12 - 06)), 100, 100, 0)
        };
        let p = daily_plan(day);
        assert_eq!((p.reviews, p.ahead, p.new), (100, 50, 0));
        // Today's answers count toward the level: after the 20 due and 10 ahead (the plan
        // recomputed from the cards, none due now), 120 are left to review ahead.
        let p = daily_plan(with(150, 0, 0));
        let left = left_today(p.clone(), 0, 30);
        assert_eq!((left.reviews, left.ahead), (0, 120), "{left:?}");
        assert_eq!(left_today(p, 0, 150).ahead, 0);
    }

    #[test]
    fn the_exam_day_asks_every_review_due() {
        let p = daily_plan(input(Some(date!(2026 - 12 - 06)), 700, 700, 0));
        assert_eq!((p.days_left, p.reviews, p.behind), (Some(0), 700, false));
    }

    #[test]
    fn a_backlog_is_spread_and_said() {
        let p = daily_plan(input(Some(date!(2026 - 12 - 15)), 400, 500, 0));
        assert!(p.behind);
        assert!(p.reviews >= 500u32.div_ceil(10) && p.reviews < 400, "{p:?}");
        let p = daily_plan(input(Some(date!(2026 - 12 - 07)), 400, 500, 0));
        // Today and tomorrow share the 500 due by the exam: at least 250 today (more, as the level
        // counts the reviews today's answers bring back tomorrow), the rest tomorrow.
        assert!(p.reviews >= 250 && p.reviews < 400, "{p:?}");
        assert!(p.behind);
    }
}
