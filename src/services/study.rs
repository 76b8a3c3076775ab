//! Study between exams (issue 14): today's plan toward the exam date, study sessions over the
//! questions a student should see again, bookmarks ("flagged") and "I guessed".
//!
//! Memory states are written by the exam service as students answer (`exams::memory`); this
//! service reads them, picks the questions of a session and starts it as a drill over exactly
//! those questions.

use super::AppState;
use super::accounts::Account;
use super::bank::taxonomy;
use super::exams;
use crate::domain::local_time;
use crate::domain::study::{self, DailyPlan, PlanInput};
use crate::domain::study_mix::{self, AreaNeed};
use crate::error::{AppError, AppResult};
use crate::store::{DbConn, exams as exams_store, outcomes as profiles, study as cards};
use rand::seq::SliceRandom;
use serde::Serialize;
use std::collections::HashMap;
use time::{Date, PrimitiveDateTime};

/// The most questions in one study session.
pub const SESSION_MAX: usize = 30;
/// Questions in a "Quick 10".
pub const QUICK: usize = 10;

/// The kinds of study session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Today's plan: the reviews due, then new questions by the blueprint and the student's need.
    Today,
    /// Everything answered wrong and not answered right since.
    Missed,
    /// Questions the student bookmarked.
    Flagged,
    /// Ten questions from the weakest areas.
    Quick,
}

impl SessionKind {
    pub fn parse(s: &str) -> Option<SessionKind> {
        match s {
            "today" => Some(SessionKind::Today),
            "missed" => Some(SessionKind::Missed),
            "flagged" => Some(SessionKind::Flagged),
            "quick" => Some(SessionKind::Quick),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            SessionKind::Today => "Study: today's review",
            SessionKind::Missed => "Study: missed questions",
            SessionKind::Flagged => "Study: flagged questions",
            SessionKind::Quick => "Study: Quick 10",
        }
    }
}

/// One content area's study progress.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AreaProgress {
    pub name: String,
    pub seen: u32,
    pub total: u32,
    pub seen_pct: u32,
    /// Share of the area's seen questions whose last answer was right.
    pub right_pct: Option<u32>,
    /// Mean predicted recall (0–100) of the area's seen questions, now.
    pub retention_pct: Option<u32>,
}

/// What the study page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StudySummary {
    /// "MBLEx" or "NCBTMB Board Certification", when the student set a target.
    pub target: Option<String>,
    /// The exam date, as the student entered it (YYYY-MM-DD).
    pub exam_date: Option<String>,
    /// "33 days to go.", "Your exam is tomorrow.", …
    pub countdown: Option<String>,
    pub plan: DailyPlan,
    pub due_now: u32,
    pub missed: u32,
    pub flagged: u32,
    pub seen: u32,
    pub bank: u32,
    /// Mean predicted recall (0–100) of the questions seen, now.
    pub retention_pct: Option<u32>,
    pub areas: Vec<AreaProgress>,
}

/// A student's cards with the live question each stands for (cards of retired questions are
/// left out), and the live bank's areas by question.
struct Deck {
    cards: Vec<cards::CardRow>,
    area_of: HashMap<String, String>,
}

fn deck(st: &AppState, c: &mut DbConn, user_id: i64, now: PrimitiveDateTime) -> AppResult<Deck> {
    let pool = st.pools.get_or_build(c, now)?;
    let area_of: HashMap<String, String> = pool
        .items
        .iter()
        .map(|(id, e)| (id.clone(), e.area.clone()))
        .collect();
    let cards = cards::all(c, user_id)?
        .into_iter()
        .filter(|r| area_of.contains_key(&r.item_id))
        .collect();
    Ok(Deck { cards, area_of })
}

fn parse_card(row: &cards::CardRow) -> AppResult<rs_fsrs::Card> {
    serde_json::from_str(&row.card)
        .map_err(|e| AppError::internal(anyhow::anyhow!("stored study card: {e}")))
}

/// Areas ordered weakest first: by the share of right last answers (areas never studied count as
/// half right, so they come before areas the student does well in).
fn weak_areas(d: &Deck) -> Vec<String> {
    let mut score: HashMap<&str, (u32, u32)> = HashMap::new();
    for r in &d.cards {
        if let Some(a) = d.area_of.get(&r.item_id) {
            let e = score.entry(a).or_default();
            e.0 += u32::from(r.last_correct);
            e.1 += 1;
        }
    }
    let mut areas: Vec<String> = taxonomy().areas.iter().map(|a| a.code.clone()).collect();
    let share = |a: &str| match score.get(a) {
        Some((right, n)) if *n > 0 => *right as f64 / *n as f64,
        _ => 0.5,
    };
    areas.sort_by(|a, b| share(a).total_cmp(&share(b)));
    areas
}

/// Whether a review ahead may ask the card (last answered on the local day `last_day`): it is not
/// due, and was not answered today.
fn may_review_ahead(
    r: &cards::CardRow,
    now: PrimitiveDateTime,
    last_day: Date,
    today: Date,
) -> bool {
    r.due > now && last_day < today
}

/// The student's day starts at their local midnight (`tz`).
fn plan_of(
    c: &mut DbConn,
    user_id: i64,
    d: &Deck,
    now: PrimitiveDateTime,
    tz: chrono_tz::Tz,
) -> AppResult<(DailyPlan, Option<profiles::ProfileRow>)> {
    let profile = profiles::profile(c, user_id)?;
    let exam_date = profile.as_ref().and_then(|p| p.exam_date);
    let due_now = d.cards.iter().filter(|r| r.due <= now).count() as u32;
    let today = local_time::local_date(tz, now);
    let due_by_exam = match exam_date {
        Some(day) => d
            .cards
            .iter()
            .filter(|r| local_time::local_date(tz, r.due) <= day)
            .count() as u32,
        None => due_now,
    };
    let bank = d.area_of.len() as u32;
    // The student's own history, in their local days: each card's due date and interval,
    // yesterday's and today's reviews (only their cards' JSON is parsed, for the days since the
    // answer before).
    let mut history = study::StudyHistory::default();
    let mut not_due = 0;
    for r in &d.cards {
        let last_day = local_time::local_date(tz, r.last_review);
        not_due += u32::from(may_review_ahead(r, now, last_day, today));
        if exam_date.is_some() {
            let due = local_time::local_date(tz, r.due);
            let (reps, right) = (i64::from(r.reviews), r.last_correct);
            history.add_stored(today, (due, last_day), reps, right, || {
                parse_card(r).map(|c| c.elapsed_days)
            })?;
        }
    }
    let input = PlanInput {
        today,
        exam_date,
        due_now,
        due_by_exam,
        unseen: bank.saturating_sub(d.cards.len() as u32),
        bank,
        not_due,
        kept_level: profile
            .as_ref()
            .and_then(|p| p.plan_level)
            .map(|l| l.max(0) as u32),
    };
    let plan = study::daily_plan_for(input, &history);
    // What was answered today counts toward today's plan (a first answer is a new question).
    let (mut new_done, mut reviews_done) = (0, 0);
    for r in d
        .cards
        .iter()
        .filter(|r| local_time::local_date(tz, r.last_review) == today)
    {
        if r.reviews <= 1 {
            new_done += 1;
        } else {
            reviews_done += 1;
        }
    }
    Ok((study::left_today(plan, new_done, reviews_done), profile))
}

#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub async fn summary(state: &AppState, user_id: i64) -> AppResult<StudySummary> {
    let st = state.clone();
    state
        .db(move |c| {
            let now = st.clock.now();
            let d = deck(&st, c, user_id, now)?;
            let tz = super::study_settings::zone_of(c, user_id)?;
            let (plan, profile) = plan_of(c, user_id, &d, now, tz)?;
            let today = local_time::local_date(tz, now);
            let mut recall = vec![];
            let mut seen_by_area: HashMap<&str, (u32, u32)> = HashMap::new();
            let mut recall_by_area: HashMap<&str, f64> = HashMap::new();
            for r in &d.cards {
                // A question last answered wrong is not yet recalled, however recently it was
                // seen: the memory model's "just reviewed" would otherwise call it 100 %.
                let p = if r.last_correct {
                    study::retrievability(&parse_card(r)?, now)
                } else {
                    0.0
                };
                recall.push(p);
                if let Some(a) = d.area_of.get(&r.item_id) {
                    let e = seen_by_area.entry(a).or_default();
                    e.0 += 1;
                    e.1 += u32::from(r.last_correct);
                    *recall_by_area.entry(a).or_default() += p;
                }
            }
            let mut total_by_area: HashMap<&str, u32> = HashMap::new();
            for a in d.area_of.values() {
                *total_by_area.entry(a).or_default() += 1;
            }
            let areas = taxonomy()
                .areas
                .iter()
                .map(|a| {
                    let (seen, right) =
                        seen_by_area.get(a.code.as_str()).copied().unwrap_or((0, 0));
                    let total = total_by_area.get(a.code.as_str()).copied().unwrap_or(0);
                    AreaProgress {
                        name: a.name.clone(),
                        seen,
                        total,
                        seen_pct: (100 * seen).checked_div(total).unwrap_or(0),
                        right_pct: (seen > 0).then(|| 100 * right / seen),
                        retention_pct: (seen > 0).then(|| {
                            let sum = recall_by_area.get(a.code.as_str()).copied().unwrap_or(0.0);
                            (100.0 * sum / seen as f64).round() as u32
                        }),
                    }
                })
                .collect();
            Ok(StudySummary {
                target: profile
                    .as_ref()
                    .map(|p| target_label(&p.target).to_string()),
                exam_date: profile
                    .as_ref()
                    .and_then(|p| p.exam_date)
                    .map(|d| d.to_string()),
                countdown: profile
                    .as_ref()
                    .and_then(|p| p.exam_date)
                    .map(|d| countdown((d - today).whole_days())),
                plan,
                due_now: d.cards.iter().filter(|r| r.due <= now).count() as u32,
                missed: d.cards.iter().filter(|r| !r.last_correct).count() as u32,
                flagged: d.cards.iter().filter(|r| r.flagged).count() as u32,
                seen: d.cards.len() as u32,
                bank: d.area_of.len() as u32,
                retention_pct: (!recall.is_empty()).then(|| {
                    (100.0 * recall.iter().sum::<f64>() / recall.len() as f64).round() as u32
                }),
                areas,
            })
        })
        .await
}

/// A question open longer than this counts as this long: a page left open is not study.
const MAX_SECS_PER_ANSWER: i64 = 300;
/// Days shown on the study chart.
pub const ACTIVITY_DAYS: i64 = 14;

/// One day of study.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayActivity {
    pub date: String,
    pub minutes: u32,
    pub answers: u32,
}

/// Study per day (the last [`ACTIVITY_DAYS`]) and the streak.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Activity {
    pub days: Vec<DayActivity>,
    pub streak: u32,
}

/// Minutes studied per day (answers in any exam, drill or study session) and the streak.
pub async fn activity(state: &AppState, user_id: i64) -> AppResult<Activity> {
    let st = state.clone();
    state
        .db(move |c| {
            let now = st.clock.now();
            // The student's days start at their local midnight.
            let tz = super::study_settings::zone_of(c, user_id)?;
            let today = local_time::local_date(tz, now);
            let since =
                PrimitiveDateTime::new(today - time::Duration::days(366), time::Time::MIDNIGHT);
            let times = crate::store::exams::answer_times(c, user_id, since)?;
            let mut per_day: std::collections::BTreeMap<time::Date, (i64, u32)> =
                Default::default();
            for (shown, answered) in times {
                let e = per_day
                    .entry(local_time::local_date(tz, answered))
                    .or_default();
                e.0 += (answered - shown)
                    .whole_seconds()
                    .clamp(0, MAX_SECS_PER_ANSWER);
                e.1 += 1;
            }
            let studied = per_day.keys().copied().collect();
            let days = (0..ACTIVITY_DAYS)
                .rev()
                .map(|back| {
                    let d = today - time::Duration::days(back);
                    let (secs, answers) = per_day.get(&d).copied().unwrap_or((0, 0));
                    DayActivity {
                        date: d.to_string(),
                        minutes: ((secs + 30) / 60) as u32,
                        answers,
                    }
                })
                .collect();
            Ok(Activity {
                days,
                streak: study::streak(&studied, today),
            })
        })
        .await
}

fn countdown(days: i64) -> String {
    match days {
        d if d < 0 => "Your exam date has passed: tell us how it went on your exam plan.".into(),
        0 => "Your exam is today. Good luck!".into(),
        1 => "Your exam is tomorrow.".into(),
        d => format!("{d} days to go."),
    }
}

pub fn target_label(code: &str) -> &'static str {
    match code {
        "ncbtmb" => "NCBTMB Board Certification",
        _ => "MBLEx",
    }
}

/// A new session's questions with their areas, in the order they should come; for today's review,
/// also the plan's level for the exam date, to keep.
type Picked = (Vec<(String, String)>, Option<(time::Date, u32)>);

/// The questions of a new session of `kind` (see [`Picked`]).
fn pick(
    c: &mut DbConn,
    user_id: i64,
    d: &Deck,
    kind: SessionKind,
    now: PrimitiveDateTime,
) -> AppResult<Picked> {
    let mut keep = None;
    let with_area = |id: &String| (id.clone(), d.area_of[id].clone());
    let mut rng = rand::rng();
    let ids: Vec<String> = match kind {
        SessionKind::Missed => {
            let mut v: Vec<&cards::CardRow> = d.cards.iter().filter(|r| !r.last_correct).collect();
            v.sort_by_key(|r| std::cmp::Reverse(r.last_review));
            v.into_iter()
                .take(SESSION_MAX)
                .map(|r| r.item_id.clone())
                .collect()
        }
        SessionKind::Flagged => d
            .cards
            .iter()
            .filter(|r| r.flagged)
            .take(SESSION_MAX)
            .map(|r| r.item_id.clone())
            .collect(),
        SessionKind::Today => {
            let tz = super::study_settings::zone_of(c, user_id)?;
            let (plan, profile) = plan_of(c, user_id, d, now, tz)?;
            // Cards come ordered by due date: the most overdue first.
            let mut v: Vec<String> = d
                .cards
                .iter()
                .filter(|r| r.due <= now)
                .take((plan.reviews as usize).min(SESSION_MAX))
                .map(|r| r.item_id.clone())
                .collect();
            let room = SESSION_MAX.saturating_sub(v.len()).min(plan.new as usize);
            let exam_date = profile.as_ref().and_then(|p| p.exam_date);
            let target = profile.map(|p| p.target).unwrap_or_else(|| "mblex".into());
            v.extend(unseen_by_need(c, user_id, d, &target, room, &mut rng)?);
            // Room below the level: the questions due soonest, none answered today.
            let room = SESSION_MAX.saturating_sub(v.len()).min(plan.ahead as usize);
            let today = local_time::local_date(tz, now);
            v.extend(
                d.cards
                    .iter()
                    .filter(|r| {
                        let last_day = local_time::local_date(tz, r.last_review);
                        may_review_ahead(r, now, last_day, today)
                    })
                    .take(room)
                    .map(|r| r.item_id.clone()),
            );
            // A day that is behind (a backlog after days away) does not set the even load.
            keep = exam_date.zip(plan.level).filter(|_| !plan.behind);
            v
        }
        SessionKind::Quick => {
            let weak = weak_areas(d);
            let top: Vec<&String> = weak.iter().take(2).collect();
            let mut v: Vec<String> = d
                .area_of
                .iter()
                .filter(|(_, a)| top.contains(a))
                .map(|(id, _)| id.clone())
                .collect();
            v.sort();
            v.shuffle(&mut rng);
            v.truncate(QUICK);
            v
        }
    };
    Ok((ids.iter().map(with_area).collect(), keep))
}

/// Up to `n` questions never answered, split over the areas by the target exam's blueprint and
/// the engine's latest per-area estimates (see [`crate::domain::study_mix`]); the neediest areas
/// come first, random within an area.
fn unseen_by_need(
    c: &mut DbConn,
    user_id: i64,
    d: &Deck,
    target: &str,
    n: usize,
    rng: &mut impl rand::Rng,
) -> AppResult<Vec<String>> {
    let seen: std::collections::HashSet<&str> =
        d.cards.iter().map(|r| r.item_id.as_str()).collect();
    let thetas: HashMap<String, f64> = match exams_store::latest_area_estimates(c, user_id)? {
        Some(text) => super::stored::<exams::StoredResult>("exam.result", &text)?
            .areas
            .into_iter()
            .filter(|a| a.items > 0)
            .map(|a| (a.area, a.theta))
            .collect(),
        None => HashMap::new(),
    };
    let blueprint = super::bank::blueprints()
        .iter()
        .find(|b| b.id == target)
        .or_else(|| super::bank::blueprints().first());
    let mut by_area: Vec<(String, Vec<String>, AreaNeed)> = taxonomy()
        .areas
        .iter()
        .map(|a| {
            let mut unseen: Vec<String> = d
                .area_of
                .iter()
                .filter(|(id, area)| **area == a.code && !seen.contains(id.as_str()))
                .map(|(id, _)| id.clone())
                .collect();
            unseen.sort();
            unseen.shuffle(rng);
            let need = AreaNeed {
                weight: blueprint
                    .and_then(|b| b.weights.get(&a.code).copied())
                    .unwrap_or(0.0),
                theta: thetas.get(&a.code).copied(),
                unseen: unseen.len(),
            };
            (a.code.clone(), unseen, need)
        })
        .collect();
    let needs: Vec<AreaNeed> = by_area.iter().map(|(_, _, n)| n.clone()).collect();
    let counts = study_mix::split_new(n, &needs);
    for ((_, unseen, _), k) in by_area.iter_mut().zip(&counts) {
        unseen.truncate(*k);
    }
    by_area.sort_by(|a, b| study_mix::need(b.2.theta).total_cmp(&study_mix::need(a.2.theta)));
    Ok(by_area.into_iter().flat_map(|(_, v, _)| v).collect())
}

/// Starts a study session; returns the exam's public id.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = user.id))]
pub async fn start(state: &AppState, user: &Account, kind: &str) -> AppResult<String> {
    exams::may_take_exams(user)?;
    let kind = SessionKind::parse(kind)
        .ok_or_else(|| AppError::invalid("kind", "Choose one of the study sessions."))?;
    let st = state.clone();
    let uid = user.id;
    let (items, keep) = state
        .db(move |c| {
            let now = st.clock.now();
            let d = deck(&st, c, uid, now)?;
            pick(c, uid, &d, kind, now)
        })
        .await?;
    // Starting today's review sets the plan's level for the days after (see
    // `study::daily_plan_for`).
    if let Some((exam_date, level)) = keep {
        let level = i32::try_from(level).unwrap_or(i32::MAX);
        state
            .tx(move |c| Ok(profiles::keep_plan_level(c, uid, exam_date, level)?))
            .await?;
    }
    if items.is_empty() {
        return Err(AppError::Conflict(
            match kind {
                SessionKind::Missed => "No missed questions: every question you got wrong has been answered right since.",
                SessionKind::Flagged => "No flagged questions yet: flag a question from its answer page to study it again.",
                SessionKind::Today => "Nothing left in today's plan: the reviews due are done and today's new questions are answered. A Quick 10 or your flashcards keep you going.",
                SessionKind::Quick => "There are no questions to study yet.",
            }
            .into(),
        ));
    }
    let cfg = exams::study_config(kind.title(), &items)?;
    Ok(exams::start_study(state, user, cfg).await?.exam_id)
}

/// Whether the student flagged the question, and whether they may still say their last (right)
/// answer was a guess.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CardMarks {
    pub known: bool,
    pub flagged: bool,
    pub may_say_guessed: bool,
    pub guessed: bool,
}

pub async fn marks(state: &AppState, user_id: i64, item_id: String) -> AppResult<CardMarks> {
    state
        .db(move |c| {
            Ok(match cards::find(c, user_id, &item_id)? {
                Some(r) => CardMarks {
                    known: true,
                    flagged: r.flagged,
                    may_say_guessed: r.last_correct && !r.guessed,
                    guessed: r.guessed,
                },
                None => CardMarks::default(),
            })
        })
        .await
}

/// The questions the student flagged.
pub async fn flagged(
    state: &AppState,
    user_id: i64,
) -> AppResult<std::collections::HashSet<String>> {
    state
        .db(move |c| {
            Ok(cards::all(c, user_id)?
                .into_iter()
                .filter(|r| r.flagged)
                .map(|r| r.item_id)
                .collect())
        })
        .await
}

/// Flags or unflags a question the student has answered. A question answered only where answers
/// do not reach the scheduler (a CE course exam) starts its study card from that answer, once the
/// exam is finished (before, its correctness is not the student's to see).
pub async fn set_flag(state: &AppState, user_id: i64, item_id: String, on: bool) -> AppResult<()> {
    state
        .tx(move |c| {
            if on
                && cards::find(c, user_id, &item_id)?.is_none()
                && let Some(a) = exams_store::latest_finished_answer(c, user_id, &item_id)?
                && let (Some(correct), Some(at)) = (a.correct, a.answered_at)
            {
                exams::remember(c, user_id, &a, correct, at)?;
            }
            let mut row = cards::find(c, user_id, &item_id)?.ok_or_else(|| {
                AppError::NotFound("You can flag a question once you have answered it.".into())
            })?;
            row.flagged = on;
            cards::save(c, &row)?;
            Ok(())
        })
        .await
}

/// The student's last (right) answer to the question was a guess: it is rated "hard" instead,
/// from the card as it was before that answer, so it comes back sooner.
pub async fn guessed(state: &AppState, user_id: i64, item_id: String) -> AppResult<()> {
    state
        .tx(move |c| {
            let mut row = cards::find(c, user_id, &item_id)?
                .ok_or_else(|| AppError::NotFound("Answer this question first.".into()))?;
            if !row.last_correct || row.guessed {
                return Err(AppError::Conflict(
                    "Only a right answer can be marked as a guess, once.".into(),
                ));
            }
            let before =
                match &row.previous {
                    Some(p) => Some(serde_json::from_str::<rs_fsrs::Card>(p).map_err(|e| {
                        AppError::internal(anyhow::anyhow!("stored study card: {e}"))
                    })?),
                    None => None,
                };
            let next = study::review(before, study::rating(true, None, true), row.last_review);
            row.card = serde_json::to_string(&next.card).map_err(AppError::internal)?;
            row.due = next.due;
            row.guessed = true;
            cards::save(c, &row)?;
            Ok(())
        })
        .await
}
