//! Study between exams: each student's memory of each question, scheduled with FSRS (the Free
//! Spaced Repetition Scheduler, through the `rs-fsrs` crate), and a daily plan sized to the exam
//! date.
//!
//! - An answer is rated from its correctness and its response time ([`rating`]); a student who
//!   says a correct answer was a guess has it rated again as "hard" from the card before it.
//! - The daily plan ([`daily_plan_for`]), with an exam date, aims at an even daily load that gets
//!   through the bank and every review due by the exam, projected from the student's own cards
//!   and failure rate and re-planned each day: reviews due beyond it wait (never past the exam
//!   day; said as `behind`), new questions fill the day, at least at the pace that shows the bank
//!   before the last [`REVIEW_ONLY_DAYS`] days (review only). Without a date: every review due up
//!   to [`MAX_REVIEWS_PER_DAY`] and [`DEFAULT_NEW_PER_DAY`] new questions.

use rs_fsrs::{Card, FSRS, Rating};
use time::{Date, PrimitiveDateTime};

/// A correct answer faster than this is rated "easy".
pub const FAST_SECS: i64 = 15;
/// A correct answer slower than this is rated "hard".
pub const SLOW_SECS: i64 = 90;

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

mod history;
mod plan;
pub use history::*;
pub use plan::*;

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
}
