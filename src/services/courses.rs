//! CE courses in Palpate: an instructor publishes reading material, an exam with a pass mark, the
//! hours, topic and approval numbers. Passing the exam issues a certificate with a verification
//! code and logs the activity in the therapist's CE log automatically.

use super::AppState;
use super::accounts::Account;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{DbConn, ce as cedb, courses as db, exams as examdb};
use serde::Serialize;
use std::collections::BTreeMap;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Default, Serialize)]
pub struct CourseInput {
    pub title: String,
    pub reading: String,
    pub hours: String,
    pub topic: String,
    pub approval_scheme: String,
    pub approval_number: String,
    pub areas: Vec<String>,
    pub questions: String,
    pub pass_percent: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CourseView {
    pub id: i64,
    pub title: String,
    pub reading: String,
    pub hours: f64,
    pub topic: String,
    pub approvals: BTreeMap<String, String>,
    pub subareas: Vec<String>,
    pub questions: i32,
    pub pass_percent: i32,
    /// For people: "3 CE hours", the topic's name, each approval as "NCBTMB-approved provider NCB-1".
    pub hours_label: String,
    pub topic_label: String,
    pub approval_labels: Vec<String>,
}

pub fn view(c: &db::Course) -> CourseView {
    let approvals: BTreeMap<String, String> =
        super::stored_or_logged("ce_courses.approvals", &c.approvals);
    CourseView {
        hours_label: format!(
            "{} CE {}",
            crate::domain::ce::hours::Hours::from_f64(c.hours)
                .map(|h| h.to_string())
                .unwrap_or_else(|| c.hours.to_string()),
            if c.hours == 1.0 { "hour" } else { "hours" }
        ),
        topic_label: super::ce::topic_label(&c.topic),
        approval_labels: approvals
            .iter()
            .map(|(k, v)| {
                format!("{} {v}", super::ce::scheme_label(k))
                    .trim_end()
                    .to_string()
            })
            .collect(),
        id: c.id,
        title: c.title.clone(),
        reading: c.reading.clone(),
        hours: c.hours,
        topic: c.topic.clone(),
        approvals,
        subareas: super::stored_or_logged("ce_courses.subareas", &c.subareas),
        questions: c.questions,
        pass_percent: c.pass_percent,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(state: &AppState, owner: &Account, input: CourseInput) -> AppResult<i64> {
    let mut e = FieldErrors::default();
    let title = input.title.trim().to_string();
    if !(3..=200).contains(&title.chars().count()) {
        e.add("title", "Give the course a title of 3 to 200 characters.");
    }
    let reading = input.reading.trim().to_string();
    if reading.chars().count() < 50 || reading.chars().count() > 100_000 {
        e.add(
            "reading",
            "Write the course material (at least 50 characters).",
        );
    }
    let hours: Option<f64> = input
        .hours
        .trim()
        .parse()
        .ok()
        .filter(|h: &f64| (0.5..=40.0).contains(h));
    if hours.is_none() {
        e.add("hours", "Use 0.5 to 40 hours.");
    }
    if !super::ce::topics().iter().any(|(c, _)| *c == input.topic) {
        e.add("topic", "Choose the topic the hours count as.");
    }
    let mut approvals = BTreeMap::new();
    if !input.approval_number.trim().is_empty() {
        if super::ce::schemes()
            .iter()
            .any(|(c, _)| *c == input.approval_scheme)
        {
            approvals.insert(
                input.approval_scheme.clone(),
                input.approval_number.trim().to_string(),
            );
        } else {
            e.add("approval_number", "Choose who approved the course.");
        }
    }
    let subareas = match super::exams::resolve_subareas(&input.areas) {
        Ok(s) => s,
        Err(_) => {
            e.add("areas", "Choose the areas the exam questions come from.");
            vec![]
        }
    };
    let questions: Option<i32> = input
        .questions
        .trim()
        .parse()
        .ok()
        .filter(|q| (5..=50).contains(q));
    if questions.is_none() {
        e.add("questions", "Use 5 to 50 questions.");
    }
    let pass: Option<i32> = input
        .pass_percent
        .trim()
        .parse()
        .ok()
        .filter(|p| (50..=100).contains(p));
    if pass.is_none() {
        e.add("pass_percent", "Use a pass mark from 50 to 100 %.");
    }
    e.into_result()?;
    let (Some(hours), Some(questions), Some(pass)) = (hours, questions, pass) else {
        return Err(AppError::BadRequest("Check the form.".into()));
    };
    let approvals = serde_json::to_string(&approvals).map_err(AppError::internal)?;
    let subareas = serde_json::to_string(&subareas).map_err(AppError::internal)?;
    let (clock, uid) = (state.clock.clone(), owner.id);
    state
        .tx(move |c| {
            Ok(db::insert(
                c,
                &db::NewCourse {
                    owner_id: uid,
                    title: &title,
                    reading: &reading,
                    hours,
                    topic: &input.topic,
                    approvals: &approvals,
                    subareas: &subareas,
                    questions,
                    pass_percent: pass,
                    published: true,
                    created_at: clock.now(),
                },
            )?)
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn published(state: &AppState) -> AppResult<Vec<CourseView>> {
    state
        .db(|c| Ok(db::published(c)?.iter().map(view).collect()))
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn mine(state: &AppState, owner: i64) -> AppResult<Vec<CourseView>> {
    state
        .db(move |c| Ok(db::owned_by(c, owner)?.iter().map(view).collect()))
        .await
}

#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn get(state: &AppState, id: i64) -> AppResult<CourseView> {
    state
        .db(move |c| match db::find(c, id)? {
            Some(course) if course.published => Ok(view(&course)),
            _ => Err(AppError::NotFound("No such course.".into())),
        })
        .await
}

#[cfg(test)]
mod code_tests {
    #[test]
    fn codes_are_case_insensitive_and_bounded() {
        assert_eq!(
            super::normalize_code(" ab3k-9x2m q7 ").as_deref(),
            Some("AB3K9X2MQ7")
        );
        assert_eq!(super::normalize_code(&"A".repeat(21)), None);
        assert_eq!(super::normalize_code("<script>"), None);
        assert_eq!(super::normalize_code(""), None);
    }
}

fn new_code() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Called when a course exam finishes (inside its transaction): a pass issues the certificate and
/// logs the activity; a fail does nothing.
pub fn on_finished(
    conn: &mut DbConn,
    exam: &examdb::ExamRow,
    course_id: i64,
    n_correct: i32,
    n_scored: i32,
    now: PrimitiveDateTime,
) -> AppResult<()> {
    let Some(course) = db::find(conn, course_id)? else {
        return Ok(());
    };
    let percent = if n_scored > 0 {
        (100.0 * n_correct as f64 / n_scored as f64).round() as i32
    } else {
        0
    };
    if percent < course.pass_percent || db::by_exam(conn, exam.id)?.is_some() {
        return Ok(());
    }
    let topics = serde_json::to_string(&BTreeMap::from([(course.topic.clone(), course.hours)]))
        .map_err(AppError::internal)?;
    let activity = cedb::insert_activity(
        conn,
        &cedb::NewActivity {
            user_id: exam.user_id,
            title: &course.title,
            provider: "Palpate",
            completed_on: now.date(),
            delivery: "self_study",
            hours: course.hours,
            unit: "hour",
            topics: &topics,
            approvals: &course.approvals,
            certificate_sha: None,
            certificate_mime: None,
            certificate_name: None,
            certificate_size: None,
            created_at: now,
        },
    )?;
    db::insert_certificate(
        conn,
        &new_code(),
        course.id,
        exam.user_id,
        exam.id,
        percent,
        Some(activity),
        now,
    )?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct CertificateView {
    pub code: String,
    pub holder: String,
    pub course: String,
    pub hours: f64,
    pub topic: String,
    /// Approval number by approving body, both as people read them ("NCBTMB-approved course").
    pub approvals: BTreeMap<String, String>,
    /// The instructor who wrote and offers the course.
    pub provider: String,
    pub score_percent: i32,
    pub issued_on: String,
    pub user_id: i64,
}

/// A verification code as people type it, made canonical: upper case, without spaces or dashes.
/// `None` for anything longer than a code can be (nothing to look up).
pub fn normalize_code(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (!c.is_empty() && c.chars().count() <= 20 && c.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(c)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn certificate(state: &AppState, code: String) -> AppResult<Option<CertificateView>> {
    let Some(code) = normalize_code(&code) else {
        return Ok(None);
    };
    state
        .db(move |c| {
            Ok(
                db::by_code(c, &code)?.map(|(cert, holder, course)| CertificateView {
                    code: cert.code,
                    holder,
                    provider: crate::store::accounts::find_user(c, course.owner_id)
                        .ok()
                        .flatten()
                        .map(|u| u.name)
                        .unwrap_or_default(),
                    course: course.title,
                    hours: course.hours,
                    topic: super::ce::topic_label(&course.topic),
                    approvals: super::stored_or_logged::<BTreeMap<String, String>>(
                        "ce_courses.approvals",
                        &course.approvals,
                    )
                    .into_iter()
                    .map(|(k, v)| (super::ce::scheme_label(&k), v))
                    .collect(),
                    score_percent: cert.score_percent,
                    issued_on: cert.issued_at.date().to_string(),
                    user_id: cert.user_id,
                }),
            )
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all, fields(exam_id = ?exam_id))]
pub async fn certificate_for_exam(state: &AppState, exam_id: i64) -> AppResult<Option<String>> {
    state
        .db(move |c| Ok(db::by_exam(c, exam_id)?.map(|c| c.code)))
        .await
}

pub fn certificate_pdf(state: &AppState, c: &CertificateView) -> Vec<u8> {
    let lines = vec![
        String::new(),
        "This certifies that".into(),
        String::new(),
        format!("    {}", c.holder),
        String::new(),
        format!("completed the continuing-education course \"{}\"", c.course),
        format!(
            "for {} CE {} in {}, passing its exam with {} %, on {}.",
            c.hours,
            if c.hours == 1.0 { "hour" } else { "hours" },
            c.topic,
            c.score_percent,
            c.issued_on
        ),
        if c.approvals.is_empty() {
            "Approvals: none stated.".into()
        } else {
            format!(
                "Approvals: {}",
                c.approvals
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
        if c.provider.is_empty() {
            "Offered through Palpate. Delivery: self-study (home study).".into()
        } else {
            format!(
                "Provider: {}, through Palpate. Delivery: self-study (home study).",
                c.provider
            )
        },
        String::new(),
        format!("Verification code: {}", c.code),
        format!(
            "Check it at {}",
            state.url(&format!("/certificates/{}", c.code))
        ),
    ];
    super::pdf::document("Certificate of completion", &lines)
}
