//! The real exam: the target and date a student prepares for, the result they report afterwards
//! (asked once by e-mail after the date), and how well Palpate's predictions matched those results
//! (Brier score, reliability, a re-estimated cut an administrator can adopt).

use crate::domain::irt::validity::{self, Bin, CutEstimate, MIN_OUTCOMES_FOR_CUT, Prediction};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::services::AppState;
use crate::services::ce::plausible_date;
use crate::store::DbConn;
use crate::store::outcomes::{self as db, NewOutcome};
use serde::Serialize;
use time::Duration;

/// The adopted cut's name in the model settings.
const CUT: &str = "cut_theta";

fn target_label(t: &str) -> &'static str {
    match t {
        "ncbtmb" => "NCBTMB Board Certification exam",
        _ => "MBLEx",
    }
}

fn parse_target(t: &str, errors: &mut FieldErrors) -> &'static str {
    match t {
        "mblex" => "mblex",
        "ncbtmb" => "ncbtmb",
        _ => {
            errors.add("target", "Choose the MBLEx or the NCBTMB exam.");
            "mblex"
        }
    }
}

/// The exam a student prepares for, as pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileView {
    pub target: String,
    pub target_label: &'static str,
    pub exam_date: Option<String>,
    /// Days until the exam (negative once it is past).
    pub days_left: Option<i64>,
    /// The date has passed and no result has been reported since it was set.
    pub ask_for_result: bool,
}

pub async fn profile(state: &AppState, user_id: i64) -> AppResult<Option<ProfileView>> {
    let today = state.clock.now().date();
    state
        .db(move |c| {
            let Some(p) = db::profile(c, user_id)? else {
                return Ok(None);
            };
            let reported_since = db::outcomes_of(c, user_id)?
                .iter()
                .any(|o| o.reported_at >= p.updated_at);
            Ok(Some(ProfileView {
                target_label: target_label(&p.target),
                exam_date: p.exam_date.map(|d| d.to_string()),
                days_left: p.exam_date.map(|d| (d - today).whole_days()),
                ask_for_result: p.exam_date.is_some_and(|d| d < today) && !reported_since,
                target: p.target,
            }))
        })
        .await
}

/// Saves the target exam and its date (the date may be empty; a date long past is refused).
pub async fn save_profile(
    state: &AppState,
    user_id: i64,
    target: String,
    exam_date: String,
) -> AppResult<()> {
    let mut errors = FieldErrors::default();
    let target = parse_target(&target, &mut errors);
    let now = state.clock.now();
    let date = plausible_date("exam_date", &exam_date, now.date(), &mut errors);
    if date.is_some_and(|d| d < now.date() - Duration::days(365)) {
        errors.add("exam_date", "That date is more than a year ago. Enter your next exam date, or report a past result below.");
    }
    errors.into_result()?;
    state
        .tx(move |c| Ok(db::save_profile(c, user_id, target, date, now)?))
        .await
}

/// A reported result: `result` is "pass", "fail" or "decline".
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct OutcomeInput {
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub taken_on: String,
    #[serde(default)]
    pub result: String,
    #[serde(default)]
    pub scaled_score: String,
}

/// Records what the student says happened at the real exam, with their last prediction before
/// it.
pub async fn report(state: &AppState, user_id: i64, input: OutcomeInput) -> AppResult<()> {
    let mut errors = FieldErrors::default();
    let target = parse_target(&input.target, &mut errors);
    let now = state.clock.now();
    let declined = input.result == "decline";
    let passed = match input.result.as_str() {
        "pass" => Some(true),
        "fail" => Some(false),
        "decline" => None,
        _ => {
            errors.add(
                "result",
                "Say whether you passed or did not pass, or that you prefer not to say.",
            );
            None
        }
    };
    let taken_on = if declined {
        None
    } else {
        let d = plausible_date("taken_on", &input.taken_on, now.date(), &mut errors);
        if d.is_none() && input.taken_on.trim().is_empty() {
            errors.add("taken_on", "Enter the date you took the exam.");
        }
        if d.is_some_and(|d| d > now.date()) {
            errors.add(
                "taken_on",
                "That date is in the future. Report your result after the exam.",
            );
        }
        d
    };
    let score = input.scaled_score.trim();
    let scaled_score = if score.is_empty() || declined {
        None
    } else {
        match score.parse::<i32>() {
            Ok(s) if (1..=999).contains(&s) => Some(s),
            _ => {
                errors.add("scaled_score", "Enter the scaled score as a whole number from your score report (e.g. 700), or leave it empty.");
                None
            }
        }
    };
    errors.into_result()?;
    state
        .tx(move |c| {
            let before = taken_on
                .map(|d| d.midnight() + Duration::days(1))
                .unwrap_or(now);
            let prediction = if declined {
                None
            } else {
                db::last_prediction(c, user_id, before)?
            };
            db::insert_outcome(
                c,
                &NewOutcome {
                    user_id,
                    target,
                    taken_on,
                    passed,
                    scaled_score,
                    declined,
                    p_pass_before: prediction.map(|p| p.0),
                    theta_before: prediction.map(|p| p.1),
                    reported_at: now,
                },
            )?;
            Ok(())
        })
        .await
}

/// Asks, once, every student whose exam date has passed for their result. Returns how many were
/// asked.
pub async fn ask_due(state: &AppState) -> AppResult<usize> {
    let today = state.clock.now().date();
    let due = state.db(move |c| Ok(db::due_to_ask(c, today)?)).await?;
    let mut asked = 0;
    for db::DueToAsk {
        user_id: user,
        email,
        name,
        target,
        exam_date: date,
    } in due
    {
        let st = state.clone();
        let sent = state
            .tx(move |c| {
                if !db::claim_ask(c, user, st.clock.now())? {
                    return Ok(false);
                }
                let exam = target_label(&target);
                let (text, html) = st
                    .views
                    .email(
                        "exam_outcome",
                        &serde_json::json!({
                            "name": name, "exam": exam, "date": date.to_string(),
                            "link": st.url("/exams/outcome"),
                        }),
                    )
                    .map_err(AppError::internal)?;
                let subject = format!("How did your {exam} go?");
                crate::store::outbox::enqueue(c, &email, &subject, &text, &html, st.clock.now())?;
                Ok(true)
            })
            .await?;
        asked += usize::from(sent);
    }
    if asked > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(asked)
}

/// The cut θ an administrator adopted, if any (else the programs' own).
pub fn adopted_cut(conn: &mut DbConn) -> AppResult<Option<f64>> {
    Ok(db::setting(conn, CUT)?)
}

/// A bin of the reliability diagram with its position in the 200 × 200 chart.
#[derive(Debug, Clone, Serialize)]
pub struct BinView {
    pub range: String,
    pub count: usize,
    pub predicted: String,
    pub observed: String,
    pub x: f64,
    pub y: f64,
    pub r: f64,
}

/// What the administrator's validity page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ValidityView {
    pub reported: usize,
    pub declined: usize,
    /// Outcomes with a prediction before them.
    pub checked: usize,
    pub brier: Option<String>,
    pub bins: Vec<BinView>,
    pub cut: Option<CutEstimate>,
    pub cut_text: Option<String>,
    pub adopted_cut: Option<f64>,
    pub min_outcomes: usize,
}

fn bin_view(b: &Bin) -> BinView {
    BinView {
        range: format!("{:.0}–{:.0} %", b.lower * 100.0, b.upper * 100.0),
        count: b.count,
        predicted: format!("{:.0} %", b.predicted * 100.0),
        observed: format!("{:.0} %", b.observed * 100.0),
        x: 20.0 + 170.0 * b.predicted,
        y: 190.0 - 170.0 * b.observed,
        r: (2.0 + (b.count as f64).sqrt()).min(12.0),
    }
}

pub async fn validity(state: &AppState) -> AppResult<ValidityView> {
    state
        .db(|c| {
            let rows = db::reported(c)?;
            let all = crate::store::outcomes::count_declined(c)?;
            let ps: Vec<Prediction> = rows
                .iter()
                .filter_map(|o| {
                    Some(Prediction {
                        p_pass: o.p_pass_before?,
                        theta: o.theta_before?,
                        passed: o.passed?,
                    })
                })
                .collect();
            let cut = validity::estimate_cut(&ps);
            Ok(ValidityView {
                reported: rows.len(),
                declined: all,
                checked: ps.len(),
                brier: validity::brier(&ps).map(|b| format!("{b:.3}")),
                bins: validity::reliability(&ps, 10)
                    .iter()
                    .map(bin_view)
                    .collect(),
                cut_text: cut.as_ref().map(|c| {
                    format!(
                        "θ = {:+.2} (95 % confidence interval {:+.2} to {:+.2}), from {} outcomes",
                        c.cut, c.lower, c.upper, c.n
                    )
                }),
                cut,
                adopted_cut: adopted_cut(c)?,
                min_outcomes: MIN_OUTCOMES_FOR_CUT,
            })
        })
        .await
}

/// Adopts the cut re-estimated from the outcomes now on record for new exams.
pub async fn adopt_cut(state: &AppState, by: i64) -> AppResult<f64> {
    let v = validity(state).await?;
    let Some(cut) = v.cut else {
        return Err(AppError::Conflict(format!(
            "A cut can be adopted once at least {MIN_OUTCOMES_FOR_CUT} reported results have a prediction before them."
        )));
    };
    if cut.cut.abs() > 3.0 {
        return Err(AppError::Conflict(format!(
            "The results put the standard at θ = {:+.2}, far outside the usual range; check the reported results before adopting it.",
            cut.cut
        )));
    }
    let now = state.clock.now();
    let value = (cut.cut * 100.0).round() / 100.0;
    state
        .tx(move |c| Ok(db::set_setting(c, CUT, value, by, now)?))
        .await?;
    Ok(value)
}

/// What a result page's P(pass) rests on.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub calibrated_items: i64,
    pub answers: i64,
    pub checked_outcomes: i64,
}

pub fn evidence(conn: &mut DbConn, parameters: Option<i64>) -> AppResult<Evidence> {
    let (calibrated_items, answers) = match parameters {
        Some(run) => crate::store::calibration::run_evidence(conn, run)?,
        None => (0, 0),
    };
    Ok(Evidence {
        calibrated_items,
        answers,
        checked_outcomes: crate::store::outcomes::count_checked(conn)?,
    })
}
