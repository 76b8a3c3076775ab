//! What the plan learns from a student's own cards: when each is due, and how likely a review
//! is to go wrong by the days since the card's last answer (the [`FailureCurve`]).

use time::Date;

/// One card the student has answered, as the plan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardDue {
    /// Days from today to the day the card is due (0 or less: due today, or overdue).
    pub due_in: i64,
    /// Days from its last review to its due date: the interval the scheduler gave it.
    pub interval: i64,
}

/// One of the student's recent reviews (not a first answer): how many days after the answer
/// before it, and whether it was wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentReview {
    pub elapsed: i64,
    pub wrong: bool,
}

/// What the plan learns from the student's own cards ([`daily_plan_for`]): when each card is due
/// and how often the student gets a review wrong, by how long it has been.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StudyHistory {
    /// Every card answered.
    pub cards: Vec<CardDue>,
    /// Cards whose last answer was a review (not the first answer) given yesterday or today.
    pub recent: Vec<RecentReview>,
}

impl StudyHistory {
    /// Adds a card; `recent` is its last answer when that answer was a review (not the first
    /// answer) given yesterday or today: the days since the answer before it, and whether it
    /// was right.
    pub fn add(&mut self, card: CardDue, reps: i64, recent: Option<(i64, bool)>) {
        self.cards.push(card);
        if let Some((elapsed, right)) = recent.filter(|_| reps >= 2) {
            self.recent.push(RecentReview {
                elapsed,
                wrong: !right,
            });
        }
    }

    /// [`Self::add`] for a stored card, as seen on the student's local day `today`: due on the
    /// local day `due`, answered `reps` times (the first answer included), last on the local day
    /// `last_day`, rightly or not (`last_correct`). `elapsed` gives the days between that answer
    /// and the one before; it is asked only of a recent review (its stored card is parsed only
    /// then).
    pub fn add_stored<E>(
        &mut self,
        today: Date,
        (due, last_day): (Date, Date),
        reps: i64,
        last_correct: bool,
        elapsed: impl FnOnce() -> Result<i64, E>,
    ) -> Result<(), E> {
        let card = CardDue {
            due_in: (due - today).whole_days(),
            interval: (due - last_day).whole_days(),
        };
        let recent = if (today - last_day).whole_days() <= 1 && reps >= 2 {
            Some((elapsed()?, last_correct))
        } else {
            None
        };
        self.add(card, reps, recent);
        Ok(())
    }

    /// How likely the student is to get a review wrong, by the days since its last answer: a
    /// logistic curve in the log of the days, its level fitted to the student's reviews of
    /// yesterday and today (drawn towards the prior while they are few), its slope the prior's.
    /// Yesterday's answers show where the student is now; a longer window would miss failures
    /// answered again since (a wrong answer comes back the next day and its row then holds the
    /// new answer).
    pub fn failure_curve(&self) -> FailureCurve {
        // The level's posterior mode, by Newton's method.
        let slope = PRIOR_FAILURE_SLOPE;
        let mut level = PRIOR_FAILURE_LEVEL;
        for _ in 0..30 {
            let mut g = -(level - PRIOR_FAILURE_LEVEL) / PRIOR_LEVEL_VAR;
            let mut h = 1.0 / PRIOR_LEVEL_VAR;
            for r in &self.recent {
                let p = logistic(level + slope * (r.elapsed.max(1) as f64).ln());
                g += f64::from(u8::from(r.wrong)) - p;
                h += p * (1.0 - p);
            }
            let step = g / h;
            level += step;
            if step.abs() < 1e-9 {
                break;
            }
        }
        FailureCurve { level, slope }
    }
}

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The chance of a wrong review after `days` days: `logistic(level + slope · ln days)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FailureCurve {
    pub level: f64,
    pub slope: f64,
}

impl FailureCurve {
    pub fn at(&self, days: i64) -> f64 {
        logistic(self.level + self.slope * (days.max(1) as f64).ln()).min(MAX_FAILURE_RATE)
    }
}

/// The prior failure curve, for a student without reviews yet: wrong after a day with
/// probability logistic(−0.5) ≈ 0.38, rising with the log of the days (fitted on the synthetic
/// students of `palpate simulate-study`, whose memories fade faster than FSRS's defaults expect;
/// to be refitted on real students).
pub const PRIOR_FAILURE_LEVEL: f64 = -0.5;
pub const PRIOR_FAILURE_SLOPE: f64 = 0.45;
/// How firmly the prior holds the level (its variance on the logit scale).
const PRIOR_LEVEL_VAR: f64 = 0.25;
/// The highest failure rate the plan projects with.
const MAX_FAILURE_RATE: f64 = 0.9;
