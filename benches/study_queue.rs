//! Building a student's daily queue over 10,000 memory states: the pure steps of the service's
//! "today's review" (`services::study::plan_of` and `pick`) on in-memory card rows, without the
//! database read: count the rows due now and due by the exam, build the student's history from
//! every row (each card's due date and interval, yesterday's and today's answers) and run
//! `daily_plan_for` (which projects that history to the exam), take the due rows
//! (already ordered by due date, as the store returns them) up to the plan's reviews, and parse
//! each stored FSRS card (JSON) as the summary does. Prints JSON: median and p99 in µs.
//!
//!     cargo bench --bench study_queue

use palpate::domain::study::{self, PlanInput, StudyHistory};
use std::time::Instant;
use time::macros::{date, datetime};
use time::{Duration, PrimitiveDateTime};

struct Row {
    item_id: String,
    due: PrimitiveDateTime,
    card: String,
    last_review: PrimitiveDateTime,
    reviews: i64,
    last_correct: bool,
}

/// The history the service builds from the rows (`services::study::plan_of`).
fn history(rows: &[Row], now: PrimitiveDateTime) -> StudyHistory {
    let mut h = StudyHistory::default();
    let today = now.date();
    for r in rows {
        // As the service does: only the recent reviews' cards are parsed.
        let parse = || serde_json::from_str::<rs_fsrs::Card>(&r.card).map(|c| c.elapsed_days);
        let days = (r.due.date(), r.last_review.date());
        h.add_stored(today, days, r.reviews, r.last_correct, parse)
            .expect("stored card");
    }
    h
}

/// 10,000 cards reviewed over the last 60 days, due from 30 days ago to 60 days ahead.
fn rows(n: usize) -> Vec<Row> {
    let now = datetime!(2027-01-04 12:00);
    let mut k = 11u64;
    let mut v: Vec<Row> = (0..n)
        .map(|i| {
            k = k
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let back = Duration::minutes(((k >> 33) % (60 * 24 * 60)) as i64);
            let rating = match (k >> 20) % 4 {
                0 => rs_fsrs::Rating::Again,
                1 => rs_fsrs::Rating::Hard,
                2 => rs_fsrs::Rating::Good,
                _ => rs_fsrs::Rating::Easy,
            };
            let r = study::review(None, rating, now - back);
            let due = now - Duration::days(30) + Duration::minutes(((k >> 13) % 129_600) as i64);
            Row {
                item_id: format!("Q{i:05}"),
                due,
                card: serde_json::to_string(&r.card).expect("card"),
                last_review: now - back,
                reviews: 1 + ((k >> 40) % 6) as i64,
                last_correct: rating != rs_fsrs::Rating::Again,
            }
        })
        .collect();
    v.sort_by_key(|r| r.due);
    v
}

fn queue(rows: &[Row], now: PrimitiveDateTime, bank: u32) -> (Vec<String>, f64) {
    let exam = date!(2027 - 02 - 20);
    let due_now = rows.iter().filter(|r| r.due <= now).count() as u32;
    let due_by_exam = rows.iter().filter(|r| r.due.date() <= exam).count() as u32;
    let plan = study::daily_plan_for(
        PlanInput {
            today: now.date(),
            exam_date: Some(exam),
            due_now,
            due_by_exam,
            unseen: bank.saturating_sub(rows.len() as u32),
            bank,
            not_due: rows.len() as u32 - due_now,
            kept_level: None,
        },
        &history(rows, now),
    );
    let ids: Vec<String> = rows
        .iter()
        .filter(|r| r.due <= now)
        .take(plan.reviews as usize)
        .map(|r| r.item_id.clone())
        .collect();
    // The recall estimate over every card (the study page's summary parses each stored card).
    let mut recall = 0.0;
    for r in rows {
        let card: rs_fsrs::Card = serde_json::from_str(&r.card).expect("stored card");
        recall += study::retrievability(&card, now);
    }
    (ids, recall)
}

fn main() {
    let n = 10_000;
    let rows = rows(n);
    let now = datetime!(2027-01-04 12:00);
    let runs = 300;
    let mut plan_only = Vec::with_capacity(runs);
    let mut with_parse = Vec::with_capacity(runs);
    let mut sink = 0usize;
    for _ in 0..runs {
        let t = Instant::now();
        let due_now = rows.iter().filter(|r| r.due <= now).count() as u32;
        let p = study::daily_plan_for(
            PlanInput {
                today: now.date(),
                exam_date: Some(date!(2027 - 02 - 20)),
                due_now,
                due_by_exam: rows.len() as u32,
                unseen: 2_000,
                bank: 12_000,
                not_due: rows.len() as u32 - due_now,
                kept_level: None,
            },
            &history(&rows, now),
        );
        let ids: Vec<&str> = rows
            .iter()
            .filter(|r| r.due <= now)
            .take(p.reviews as usize)
            .map(|r| r.item_id.as_str())
            .collect();
        sink += ids.len();
        plan_only.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        let (ids, recall) = queue(&rows, now, 12_000);
        sink += ids.len() + recall as usize;
        with_parse.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let stats = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
        serde_json::json!({"median_us": at(0.5), "p99_us": at(0.99), "max_us": at(1.0)})
    };
    let out = serde_json::json!({
        "cards": n,
        "runs": runs,
        "queue_rows_and_plan": stats(&mut plan_only),
        "queue_rows_plan_and_parse_every_card": stats(&mut with_parse),
        "sink": sink,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
