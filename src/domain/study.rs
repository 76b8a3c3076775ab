//! Study between exams: each student's memory of each question, scheduled with FSRS (the Free
//! Spaced Repetition Scheduler, through the `rs-fsrs` crate), and a daily plan sized to the exam
//! date.
//!
//! - An answer is rated from its correctness and its response time ([`rating`]); a student who
//!   says a correct answer was a guess has it rated again as "hard" from the card before it.
//! - The daily plan ([`daily_plan`]), with an exam date, aims at an even daily load (reviews + new)
//!   that gets through the whole bank and every review due by the exam: reviews due beyond that
//!   load wait (never past the exam day), new questions fill the day, at least at the pace that
//!   shows the whole bank before the last [`REVIEW_ONLY_DAYS`] days (review only). Reviews left
//!   waiting are said (`behind`). Without a date: every review due up to
//!   [`MAX_REVIEWS_PER_DAY`] and [`DEFAULT_NEW_PER_DAY`] new questions.

use rs_fsrs::{Card, FSRS, Rating};
use time::{Date, PrimitiveDateTime};

/// A correct answer faster than this is rated "easy".
pub const FAST_SECS: i64 = 15;
/// A correct answer slower than this is rated "hard".
pub const SLOW_SECS: i64 = 90;
/// The last days before the exam bring no new questions, only reviews.
pub const REVIEW_ONLY_DAYS: i64 = 3;
/// New questions a day when no exam date is set.
pub const DEFAULT_NEW_PER_DAY: u32 = 10;
/// The most new questions a day the plan asks for.
pub const MAX_NEW_PER_DAY: u32 = 150;
/// The most reviews a day the plan asks for before spreading a backlog.
pub const MAX_REVIEWS_PER_DAY: u32 = 60;

/// How an answer counts for the scheduler: wrong is "again"; a correct guess is "hard"; a correct
/// answer is "easy" when quick, "hard" when slow, otherwise "good".
pub fn rating(correct: bool, secs: Option<i64>, guessed: bool) -> Rating {
    match (correct, guessed, secs) {
        (false, _, _) => Rating::Again,
        (true, true, _) => Rating::Hard,
        (true, false, Some(s)) if s <= FAST_SECS => Rating::Easy,
        (true, false, Some(s)) if s > SLOW_SECS => Rating::Hard,
        (true, false, _) => Rating::Good,
    }
}

/// A card after a review, and when it is due next.
#[derive(Debug, Clone)]
pub struct Reviewed {
    pub card: Card,
    pub due: PrimitiveDateTime,
}

fn to_chrono(t: PrimitiveDateTime) -> chrono::DateTime<chrono::Utc> {
    let t = t.assume_utc();
    chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn from_chrono(t: chrono::DateTime<chrono::Utc>) -> PrimitiveDateTime {
    let odt = time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    PrimitiveDateTime::new(odt.date(), odt.time())
}

/// A card never reviewed, due at `now`.
pub fn new_card(now: PrimitiveDateTime) -> Card {
    let at = to_chrono(now);
    Card {
        due: at,
        last_review: at,
        ..Card::default()
    }
}

/// The smallest stability (days) a card keeps. Many reviews within minutes (a question answered
/// again and again in drills) drive the crate's short-term stability down to 0, and the next
/// review of such a card divides by it (found by the calibration tests: 140 reviews in a day).
pub const MIN_STABILITY: f64 = 0.01;

/// Keeps a card's memory state in the model's range: stability at least [`MIN_STABILITY`],
/// difficulty within 1–10.
fn in_range(mut card: Card) -> Card {
    if !card.stability.is_finite() || card.stability < MIN_STABILITY {
        card.stability = MIN_STABILITY;
    }
    card.difficulty = if card.difficulty.is_finite() {
        card.difficulty.clamp(1.0, 10.0)
    } else {
        5.0
    };
    card
}

/// The card after a review rated `rating` at `now` (a new card when there was none).
pub fn review(card: Option<Card>, rating: Rating, now: PrimitiveDateTime) -> Reviewed {
    let card = match card {
        Some(c) if c.state != rs_fsrs::State::New => in_range(c),
        Some(c) => c,
        None => new_card(now),
    };
    let next = in_range(FSRS::default().next(card, to_chrono(now), rating).card);
    let due = from_chrono(next.due);
    Reviewed { card: next, due }
}

/// The probability of recalling the card at `now` (0 for a card never reviewed).
pub fn retrievability(card: &Card, now: PrimitiveDateTime) -> f64 {
    card.get_retrievability(to_chrono(now)).clamp(0.0, 1.0)
}

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
}

/// Today's plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DailyPlan {
    /// Days until the exam (0 on the day), when a date is set and not past.
    pub days_left: Option<i64>,
    pub reviews: u32,
    pub new: u32,
    /// The last days before the exam: reviews only.
    pub review_only: bool,
    /// More reviews are due than a day holds: they are spread over the days left.
    pub behind: bool,
    /// At this pace, the share of the bank (0–100) seen by the exam date.
    pub seen_by_exam_pct: Option<u32>,
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

/// Reviews a question answered today brings within `h` days on the "good" path, scaled by
/// [`LAPSE_ALLOWANCE`] for the answers that are not.
fn future_reviews(h: i64, from_step: usize) -> f64 {
    let path = good_path();
    let first = if from_step == 0 {
        0
    } else {
        path.get(from_step - 1).copied().unwrap_or(0)
    };
    // Reviews within h days, counting the next one in proportion to how far towards it h goes,
    // so that the estimate moves smoothly from day to day.
    let mut n = 0.0;
    let mut prev = 0;
    for &d in path.iter().skip(from_step) {
        let d = d - first;
        if d <= h {
            n += 1.0;
            prev = d;
        } else {
            n += (h - prev) as f64 / (d - prev).max(1) as f64;
            break;
        }
    }
    n * LAPSE_ALLOWANCE
}

/// Wrong and hard answers bring questions back sooner than the "good" path: the plan counts this
/// many reviews for each review on that path. Fitted on the synthetic students of
/// `palpate simulate-study` (2.2 to 3.2 level the mean load over students; 2.8 is flattest); to
/// be refitted on real students' reviews.
pub const LAPSE_ALLOWANCE: f64 = 2.8;

/// The even daily load (reviews + new) that gets through the bank and every review due by the
/// exam in `study_days` days (today included): today's known work plus the reviews it will bring.
fn level_load(p: &PlanInput, study_days: i64, new_days: i64) -> u32 {
    let last = study_days - 1;
    let per_day = f64::from(p.unseen) / new_days.max(1) as f64;
    let new_work: f64 = if new_days > 0 {
        (0..new_days)
            .map(|j| per_day * (1.0 + future_reviews(last - j, 0)))
            .sum()
    } else {
        0.0
    };
    let later = p.due_by_exam.saturating_sub(p.due_now);
    let due_work = f64::from(p.due_now) * (1.0 + future_reviews(last, 1))
        + f64::from(later) * (1.0 + future_reviews(last / 2, 1));
    ((new_work + due_work) / study_days as f64).ceil() as u32
}

/// Today's plan (see the module documentation).
///
/// With an exam date the plan keeps the daily load (reviews + new) level: it estimates the work
/// left until the exam (every unseen question, every review due by then, and the reviews those
/// answers bring, from the scheduler's own intervals) and divides it over the days left. Reviews
/// due beyond that level wait (most overdue first, never past the exam: on the exam day every
/// review due is asked), new questions fill the rest of the day, at least the pace that shows the
/// whole bank before the review-only days and at most [`MAX_NEW_PER_DAY`].
pub fn daily_plan(p: PlanInput) -> DailyPlan {
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
        };
    };
    // Study days left including today.
    let study_days = days + 1;
    let new_days = (study_days - REVIEW_ONLY_DAYS).max(0);
    let review_only = new_days == 0;
    let level = level_load(&p, study_days, new_days);
    // Reviews due by the exam that must be done today so that the rest fit in the days left.
    let spread = p.due_by_exam.div_ceil(study_days as u32);
    let reviews = p.due_now.min(level.max(spread));
    let new = if review_only {
        0
    } else {
        let pace = p.unseen.div_ceil(new_days as u32);
        level
            .saturating_sub(reviews)
            .max(pace)
            .min(MAX_NEW_PER_DAY)
            .min(p.unseen)
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
    }
}

/// Days in a row with study, ending today (or yesterday, when today has none yet).
pub fn streak(study_days: &std::collections::BTreeSet<Date>, today: Date) -> u32 {
    let mut day = if study_days.contains(&today) {
        today
    } else {
        match today.previous_day() {
            Some(d) => d,
            None => return 0,
        }
    };
    let mut n = 0;
    while study_days.contains(&day) {
        n += 1;
        match day.previous_day() {
            Some(d) => day = d,
            None => break,
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn many_reviews_in_a_day_keep_the_state_finite() {
        // Drills answered again and again within seconds, right (quick: easy) or wrong at random.
        let mut now = datetime!(2026-12-06 10:00);
        let mut card = None;
        let mut k = 7u64;
        for n in 0..400 {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = if (k >> 33).is_multiple_of(3) {
                Rating::Again
            } else {
                Rating::Easy
            };
            let next = review(card, r, now);
            assert!(
                next.card.stability >= MIN_STABILITY,
                "review {n}: {:?}",
                next.card
            );
            assert!((1.0..=10.0).contains(&next.card.difficulty), "review {n}");
            assert!(!serde_json::to_string(&next.card).unwrap().contains("null"));
            card = Some(next.card);
            now += time::Duration::milliseconds(50);
        }
    }

    #[test]
    fn a_streak_counts_days_in_a_row_up_to_today_or_yesterday() {
        let days: std::collections::BTreeSet<Date> = [
            date!(2026 - 12 - 01),
            date!(2026 - 12 - 03),
            date!(2026 - 12 - 04),
            date!(2026 - 12 - 05),
        ]
        .into_iter()
        .collect();
        assert_eq!(streak(&days, date!(2026 - 12 - 05)), 3);
        assert_eq!(
            streak(&days, date!(2026 - 12 - 06)),
            3,
            "today not studied yet"
        );
        assert_eq!(streak(&days, date!(2026 - 12 - 07)), 0);
        assert_eq!(streak(&Default::default(), date!(2026 - 12 - 07)), 0);
    }

    #[test]
    fn ratings_follow_correctness_time_and_guessing() {
        assert_eq!(rating(false, Some(5), false), Rating::Again);
        assert_eq!(rating(true, Some(5), false), Rating::Easy);
        assert_eq!(rating(true, Some(40), false), Rating::Good);
        assert_eq!(rating(true, Some(200), false), Rating::Hard);
        assert_eq!(rating(true, Some(5), true), Rating::Hard);
        assert_eq!(rating(true, None, false), Rating::Good);
    }

    #[test]
    fn a_wrong_answer_comes_back_sooner_than_a_right_one() {
        let now = datetime!(2026-12-06 10:00);
        let wrong = review(None, Rating::Again, now);
        let right = review(None, Rating::Good, now);
        let easy = review(None, Rating::Easy, now);
        assert!(wrong.due < right.due && right.due <= easy.due);
        assert!(wrong.due - now <= time::Duration::days(1));
        // A second success after the interval pushes the card further out.
        let again = review(Some(right.card.clone()), Rating::Good, right.due);
        assert!(again.due - right.due > right.due - now);
        assert_eq!(retrievability(&new_card(now), now), 0.0);
        let r = retrievability(&again.card, again.due);
        assert!(r > 0.7 && r < 1.0, "{r}");
    }

    fn input(exam: Option<Date>, due_now: u32, due_by_exam: u32, unseen: u32) -> PlanInput {
        PlanInput {
            today: date!(2026 - 12 - 06),
            exam_date: exam,
            due_now,
            due_by_exam,
            unseen,
            bank: 700,
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
