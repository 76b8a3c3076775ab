//! What answers teach the study scheduler: every answer in a drill (study sessions are drills)
//! updates the student's memory of that question at once; the answers of other exams do once the
//! exam is finished (their keys are shown only then), in a background sweep
//! ([`study_finished`]) rather than in the answer that finishes the exam, which stays one short
//! write. See [`crate::domain::study`].

use super::*;
use crate::domain::study;
use crate::store::study as cards;

/// Records one answer of `user_id` to the question of `row` for spaced repetition.
pub fn remember(
    c: &mut DbConn,
    user_id: i64,
    row: &db::ExamItemRow,
    correct: bool,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let secs = Some((now - row.presented_at).whole_seconds().max(0));
    record_review(
        c,
        user_id,
        &row.item_id,
        study::rating(correct, secs, false),
        now,
    )
}

/// Schedules the card `key` (a question id, or `flash:<face>` for a flashcard) of `user_id`
/// after a review rated `rating` at `now`, keeping the card before it (for "I guessed").
pub fn record_review(
    c: &mut DbConn,
    user_id: i64,
    key: &str,
    rating: rs_fsrs::Rating,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let old = cards::find(c, user_id, key)?;
    let before = match &old {
        Some(o) => Some(
            serde_json::from_str::<rs_fsrs::Card>(&o.card)
                .map_err(|e| AppError::internal(anyhow::anyhow!("stored study card: {e}")))?,
        ),
        None => None,
    };
    let next = study::review(before, rating, now);
    cards::save(
        c,
        &cards::CardRow {
            user_id,
            item_id: key.to_string(),
            due: next.due,
            card: serde_json::to_string(&next.card).map_err(AppError::internal)?,
            previous: old.as_ref().map(|o| o.card.clone()),
            reviews: old.as_ref().map_or(0, |o| o.reviews) + 1,
            last_review: now,
            last_correct: rating != rs_fsrs::Rating::Again,
            guessed: false,
            flagged: old.as_ref().is_some_and(|o| o.flagged),
        },
    )?;
    Ok(())
}

/// Gives the answers of up to `limit` finished exams to the study scheduler; returns how many
/// exams it took. Each exam is claimed in its transaction, so instances sharing a database never
/// record one twice.
pub async fn study_finished(state: &AppState, limit: i64) -> AppResult<usize> {
    let ids = state.db(move |c| Ok(db::unstudied(c, limit)?)).await?;
    let mut done = 0;
    for public_id in ids {
        let st = state.clone();
        let took = state
            .tx(move |c| {
                let Some(exam) = db::find_by_public_id(c, &public_id)? else {
                    return Ok(false);
                };
                if !db::claim_studied(c, exam.id, st.clock.now())? {
                    return Ok(false);
                }
                let cfg = load_config(&exam)?;
                let rows = db::items_of(c, exam.id)?;
                remember_exam(c, &exam, &cfg, &rows)?;
                Ok(true)
            })
            .await?;
        done += usize::from(took);
    }
    Ok(done)
}

/// Records every answered question of a finished exam (not drills, already recorded, nor CE
/// course exams).
fn remember_exam(
    c: &mut DbConn,
    exam: &db::ExamRow,
    cfg: &ExamConfig,
    rows: &[db::ExamItemRow],
) -> AppResult<()> {
    if matches!(cfg.kind, ExamKind::Drill | ExamKind::Course) {
        return Ok(());
    }
    for r in rows {
        if let (Some(correct), Some(at)) = (r.correct, r.answered_at) {
            remember(c, exam.user_id, r, correct, at)?;
        }
    }
    Ok(())
}
