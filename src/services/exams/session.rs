//! Rebuilding an exam's engine session from its stored items, option orders, and presenting the next item.

use super::*;

pub(super) fn option_order(seed: i64, position: i32) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(
        (seed as u64) ^ (position as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
    );
    let mut order = [0u8, 1, 2, 3];
    order.shuffle(&mut rng);
    order.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Original option index for each displayed position.
pub(super) fn order_of(s: &str) -> [usize; 4] {
    let mut out = [0, 1, 2, 3];
    for (i, c) in s.chars().take(4).enumerate() {
        out[i] = c.to_digit(10).unwrap_or(i as u32) as usize;
    }
    out
}

pub(super) fn elapsed_secs(exam: &db::ExamRow, now: PrimitiveDateTime) -> f64 {
    (now - exam.started_at).as_seconds_f64().max(0.0)
}

pub(super) fn load_config(exam: &db::ExamRow) -> AppResult<ExamConfig> {
    serde_json::from_str(&exam.config)
        .map_err(|e| AppError::internal(anyhow::anyhow!("exam {} config: {e}", exam.public_id)))
}

pub(super) fn engine_err(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("exam engine: {e}"))
}

/// Rebuilds the engine session from the answered items (and the one on screen, if any).
pub(super) fn replay(
    cfg: &ExamConfig,
    exam: &db::ExamRow,
    pool: &ItemPool,
    rows: &[db::ExamItemRow],
) -> AppResult<Session> {
    let log: Vec<AdministeredItem> = rows
        .iter()
        .filter_map(|r| {
            r.correct.map(|c| AdministeredItem {
                item_id: r.item_id.clone(),
                scored: r.scored,
                correct: c,
            })
        })
        .collect();
    let mut s = Session::replay(
        cfg.engine.clone(),
        exam.seed as u64,
        exam.prior_mu,
        pool,
        &log,
    )
    .map_err(engine_err)?;
    if let Some(pending) = rows.iter().find(|r| r.chosen.is_none()) {
        s.restore_pending(
            pool,
            &Choice {
                item_id: pending.item_id.clone(),
                scored: pending.scored,
            },
        )
        .map_err(engine_err)?;
    }
    Ok(s)
}

/// Stores the item at `position` as presented now; returns its row (id 0: not read back).
pub(super) fn present(
    conn: &mut DbConn,
    exam: &db::ExamRow,
    live: &ExamPool,
    choice: &Choice,
    position: i32,
    now: PrimitiveDateTime,
) -> AppResult<db::ExamItemRow> {
    let item = live.items.get(&choice.item_id).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "chosen item {} not in pool",
            choice.item_id
        ))
    })?;
    let order = option_order(exam.seed, position);
    db::insert_item(
        conn,
        &db::NewExamItem {
            exam_id: exam.id,
            position,
            item_id: &choice.item_id,
            version: item.version,
            area: &item.area,
            scored: choice.scored,
            option_order: &order,
            presented_at: now,
        },
    )?;
    Ok(db::ExamItemRow {
        id: 0,
        exam_id: exam.id,
        position,
        item_id: choice.item_id.clone(),
        version: item.version,
        area: item.area.clone(),
        scored: choice.scored,
        option_order: order,
        presented_at: now,
        chosen: None,
        correct: None,
        answered_at: None,
    })
}
