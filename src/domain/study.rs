//! Study between exams: each student's memory of each question, scheduled with FSRS (the Free
//! Spaced Repetition Scheduler, through the `rs-fsrs` crate), and a daily plan sized to the exam
//! date.
//!
//! - An answer is rated from its correctness and its response time ([`rating`]); a student who
//!   says a correct answer was a guess has it rated again as "hard" from the card before it.
//! - The daily plan ([`daily_plan`]) asks for every review due today, introduces new questions at
//!   the pace that shows the whole bank before the last days, and turns the last
//!   [`REVIEW_ONLY_DAYS`] days before the exam to review only. A backlog larger than a day's
//!   ceiling is spread over the days left, and the plan says so.

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
pub const MAX_NEW_PER_DAY: u32 = 40;
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
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// Today's plan (see the module documentation).
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
    let study_days = (days + 1) as u32;
    let spread = p.due_by_exam.div_ceil(study_days);
    let reviews = p.due_now.min(MAX_REVIEWS_PER_DAY.max(spread));
    let new_days = (days + 1 - REVIEW_ONLY_DAYS).max(0) as u32;
    let review_only = new_days == 0;
    let new = if review_only {
        0
    } else {
        p.unseen.div_ceil(new_days).min(MAX_NEW_PER_DAY)
    };
    let seen_by_exam = (p.bank - p.unseen.min(p.bank)) + (new * new_days).min(p.unseen);
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
    fn the_plan_spreads_new_questions_before_the_review_only_days() {
        // 33 days left: 31 days with new questions share 620 unseen questions.
        let p = daily_plan(input(Some(date!(2027 - 01 - 08)), 12, 300, 620));
        assert_eq!(p.days_left, Some(33));
        assert_eq!(
            (p.reviews, p.new, p.review_only, p.behind),
            (12, 20, false, false)
        );
        assert_eq!(p.seen_by_exam_pct, Some(100));
        // Two days before: review only.
        let p = daily_plan(input(Some(date!(2026 - 12 - 08)), 12, 30, 620));
        assert!(p.review_only && p.new == 0);
        // Too many unseen for the days left: capped, and the forecast says how far it gets.
        let p = daily_plan(input(Some(date!(2026 - 12 - 16)), 0, 0, 620));
        assert_eq!(p.new, MAX_NEW_PER_DAY);
        assert_eq!(p.seen_by_exam_pct, Some((80 + 40 * 8) * 100 / 700));
        // No date: a steady default; a past date counts as none.
        let p = daily_plan(input(None, 3, 3, 620));
        assert_eq!((p.new, p.days_left), (DEFAULT_NEW_PER_DAY, None));
        assert_eq!(
            daily_plan(input(Some(date!(2026 - 11 - 01)), 3, 3, 9)).days_left,
            None
        );
    }

    #[test]
    fn a_backlog_is_spread_and_said() {
        let p = daily_plan(input(Some(date!(2026 - 12 - 15)), 400, 500, 0));
        assert!(p.behind);
        assert_eq!(p.reviews, MAX_REVIEWS_PER_DAY);
        let p = daily_plan(input(Some(date!(2026 - 12 - 07)), 400, 500, 0));
        // Today and tomorrow share the 500 due by the exam: 250 today, the rest tomorrow.
        assert_eq!(p.reviews, 250);
        assert!(p.behind);
    }
}
