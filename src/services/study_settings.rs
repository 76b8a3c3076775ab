//! A student's study settings (issue 14): their time zone, when they plan to study, the e-mail
//! reminder at that local hour (through the outbox, once per local day) and the private calendar
//! feed of their planned study sessions and exam day.

use super::AppState;
use crate::domain::local_time::{self, DEFAULT_ZONE, Frequency, ZONES};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::store::{DbConn, study as db};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// Study sessions shown in the calendar feed (from today, up to the exam date).
pub const CALENDAR_SESSIONS: usize = 14;
/// Length of a planned study session in the calendar.
pub const SESSION_MINUTES: i64 = 30;
const FEED_PURPOSE: &[u8] = b"palpate-study-calendar|";

/// The time zone a student's days are counted in (the default until they choose one).
pub fn zone_of(c: &mut DbConn, user_id: i64) -> AppResult<Tz> {
    let name = db::settings(c, user_id)?.map(|s| s.time_zone);
    Ok(name
        .as_deref()
        .and_then(local_time::zone)
        .or_else(|| local_time::zone(DEFAULT_ZONE))
        .unwrap_or(Tz::UTC))
}

/// The settings as the form and the API give them.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SettingsInput {
    /// IANA time-zone name, e.g. "America/Chicago".
    #[serde(default)]
    pub time_zone: String,
    /// "off", "daily" or "weekly".
    #[serde(default)]
    pub study_days: String,
    /// Local hour of the study session, 0–23.
    #[serde(default)]
    pub study_hour: String,
    /// Weekday of a weekly session: 0 = Monday … 6 = Sunday.
    #[serde(default)]
    pub study_weekday: String,
    /// Send an e-mail with the day's plan at that hour.
    #[serde(default)]
    pub email_reminder: bool,
}

/// A student's study settings, with what people read.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub time_zone: String,
    /// "Central time (Chicago, Dallas, Houston)".
    pub time_zone_label: String,
    /// Whether the student chose the zone (else the default is in use).
    pub chosen: bool,
    pub study_days: String,
    pub study_hour: u8,
    pub study_weekday: u8,
    pub email_reminder: bool,
    /// "Every day at 6 pm", "Every Monday at 8 am", "No planned study time".
    pub schedule: String,
}

fn hour_label(h: u8) -> String {
    match h {
        0 => "midnight".into(),
        12 => "noon".into(),
        h if h < 12 => format!("{h} am"),
        h => format!("{} pm", h - 12),
    }
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn schedule_label(days: &str, hour: u8, weekday: u8) -> String {
    match days {
        "daily" => format!("Every day at {}", hour_label(hour)),
        "weekly" => format!(
            "Every {} at {}",
            WEEKDAYS[usize::from(weekday.min(6))],
            hour_label(hour)
        ),
        _ => "No planned study time".into(),
    }
}

fn view_of(row: Option<db::SettingsRow>) -> SettingsView {
    let (zone, chosen, days, hour, weekday, email) = match row {
        Some(r) => (
            r.time_zone,
            true,
            r.study_days,
            r.study_hour.clamp(0, 23) as u8,
            r.study_weekday.clamp(0, 6) as u8,
            r.email_reminder,
        ),
        None => (DEFAULT_ZONE.to_string(), false, "off".into(), 18, 0, false),
    };
    SettingsView {
        time_zone_label: local_time::zone_label(&zone),
        schedule: schedule_label(&days, hour, weekday),
        time_zone: zone,
        chosen,
        study_days: days,
        study_hour: hour,
        study_weekday: weekday,
        email_reminder: email,
    }
}

pub async fn get(state: &AppState, user_id: i64) -> AppResult<SettingsView> {
    let row = state.db(move |c| Ok(db::settings(c, user_id)?)).await?;
    Ok(view_of(row))
}

/// Checks the input: every problem is reported next to its field.
fn parse(input: &SettingsInput) -> Result<(String, Frequency, u8), FieldErrors> {
    let mut errors = FieldErrors::default();
    let zone = input.time_zone.trim();
    if local_time::zone(zone).is_none() {
        errors.add(
            "time_zone",
            "Choose your time zone from the list (or give its name, such as America/Chicago).",
        );
    }
    let hour = input
        .study_hour
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|h| *h < 24);
    if hour.is_none() {
        errors.add("study_hour", "Choose an hour of the day.");
    }
    let weekday = input.study_weekday.trim().parse::<i32>().unwrap_or(-1);
    let freq = Frequency::from_parts(input.study_days.trim(), weekday);
    if freq.is_none() {
        if input.study_days.trim() == "weekly" {
            errors.add("study_weekday", "Choose the day of the week you study.");
        } else {
            errors.add(
                "study_days",
                "Choose every day, once a week, or no planned time.",
            );
        }
    }
    if input.email_reminder && freq == Some(Frequency::Off) {
        errors.add(
            "email_reminder",
            "An e-mail reminder needs a planned study time: choose every day or once a week.",
        );
    }
    match (hour, freq) {
        (Some(h), Some(f)) if errors.is_empty() => Ok((zone.to_string(), f, h)),
        _ => Err(errors),
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub async fn save(state: &AppState, user_id: i64, input: SettingsInput) -> AppResult<()> {
    let (zone, freq, hour) = parse(&input).map_err(AppError::Fields)?;
    let weekday = match freq {
        Frequency::Weekly(w) => i32::from(w.number_days_from_monday()),
        _ => input
            .study_weekday
            .trim()
            .parse::<i32>()
            .unwrap_or(0)
            .clamp(0, 6),
    };
    let clock = state.clock.clone();
    state
        .tx(move |c| {
            let now = clock.now();
            let row = db::SettingsRow {
                user_id,
                time_zone: zone,
                study_days: freq.code().to_string(),
                study_hour: i32::from(hour),
                study_weekday: weekday,
                email_reminder: input.email_reminder,
                last_reminded_on: None,
                updated_at: now,
            };
            Ok(db::save_settings(c, &row)?)
        })
        .await
}

/// The zones the form offers, with the student's own first when it is not in the list.
pub fn zone_options(current: &str) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = vec![];
    if !ZONES.iter().any(|(z, _)| *z == current) {
        out.push(serde_json::json!({"value": current, "label": local_time::zone_label(current), "selected": true}));
    }
    for (z, label) in ZONES {
        out.push(serde_json::json!({"value": z, "label": label, "selected": z == current}));
    }
    out
}

/// Options of the hour select.
pub fn hour_options(current: u8) -> Vec<serde_json::Value> {
    (0..24u8)
        .map(|h| serde_json::json!({"value": h, "label": hour_label(h), "selected": h == current}))
        .collect()
}

/// Options of the weekday select.
pub fn weekday_options(current: u8) -> Vec<serde_json::Value> {
    WEEKDAYS
        .iter()
        .enumerate()
        .map(|(i, d)| serde_json::json!({"value": i, "label": d, "selected": i == usize::from(current)}))
        .collect()
}

/// One sweep of study reminders: each student whose local hour has come gets one e-mail with
/// today's plan, claimed in the same transaction as the e-mail (sent once per local day, even
/// across restarts and instances). Returns how many were queued.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_due(state: &AppState) -> AppResult<usize> {
    let wanted = state.db(|c| Ok(db::reminders_wanted(c)?)).await?;
    let now = state.clock.now();
    let mut queued = 0;
    for (row, email, name) in wanted {
        let user_id = row.user_id;
        match remind(state, row, email, name, now).await {
            Ok(sent) => queued += usize::from(sent),
            Err(e) => tracing::warn!(error = ?e, user_id, "study reminder skipped"),
        }
    }
    if queued > 0 {
        state.outbox_wake.notify_one();
    }
    Ok(queued)
}

async fn remind(
    state: &AppState,
    row: db::SettingsRow,
    email: String,
    name: String,
    now: time::PrimitiveDateTime,
) -> AppResult<bool> {
    let Some(tz) = local_time::zone(&row.time_zone) else {
        return Ok(false);
    };
    let Some(freq) = Frequency::from_parts(&row.study_days, row.study_weekday) else {
        return Ok(false);
    };
    let local_now = local_time::local(tz, now);
    let hour = row.study_hour.clamp(0, 23) as u8;
    if !local_time::reminder_due(freq, hour, local_now, row.last_reminded_on) {
        return Ok(false);
    }
    let s = super::study::summary(state, row.user_id).await?;
    let st = state.clone();
    let user_id = row.user_id;
    let today = local_now.date();
    state
        .tx(move |c| {
            if !db::claim_reminder(c, user_id, today)? {
                return Ok(false);
            }
            let (text, html) = st
                .views
                .email(
                    "study_reminder",
                    &serde_json::json!({
                        "name": name, "reviews": s.plan.reviews, "new": s.plan.new, "ahead": s.plan.ahead,
                        "countdown": s.countdown, "review_only": s.plan.review_only,
                        "behind": s.plan.behind,
                        "link": st.url("/study"), "settings": st.url("/study/settings"),
                    }),
                )
                .map_err(AppError::internal)?;
            let total = s.plan.reviews + s.plan.new + s.plan.ahead;
            let subject = match total {
                0 => "Study today: nothing due, a good day for a Quick 10".to_string(),
                1 => "Study today: 1 question".to_string(),
                n => format!("Study today: {n} questions"),
            };
            crate::store::outbox::enqueue(c, &email, &subject, &text, &html, st.clock.now())?;
            Ok(true)
        })
        .await
}

/// The secret part of a student's study-calendar address.
pub async fn feed_key(state: &AppState, user_id: i64) -> AppResult<String> {
    super::ce::keyed_feed(state, user_id, FEED_PURPOSE).await
}

/// Whether `key` opens the student's study calendar.
pub async fn feed_key_matches(state: &AppState, user_id: i64, key: &str) -> AppResult<bool> {
    use subtle::ConstantTimeEq;
    let current = feed_key(state, user_id).await?;
    Ok(bool::from(current.as_bytes().ct_eq(key.as_bytes())))
}

fn chrono_utc(t: time::PrimitiveDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::from_timestamp(t.assume_utc().unix_timestamp(), 0)
        .unwrap_or_default()
}

/// The study calendar: the planned sessions of the next days (at the student's local hour, up to
/// the exam) and the exam day, written by the `icalendar` crate.
#[tracing::instrument(level = "debug", skip_all, fields(user_id))]
pub async fn calendar(state: &AppState, user_id: i64) -> AppResult<String> {
    use icalendar::{Calendar, Component, Event, EventLike};
    let (row, tz, profile) = state
        .db(move |c| {
            let tz = zone_of(c, user_id)?;
            let row = db::settings(c, user_id)?;
            let profile = crate::store::outcomes::profile(c, user_id)?;
            Ok((row, tz, profile))
        })
        .await?;
    let now = state.clock.now();
    let today = local_time::local_date(tz, now);
    let exam = profile.as_ref().and_then(|p| p.exam_date);
    let mut cal = Calendar::new();
    cal.name("Palpate study plan");
    let stamp = chrono_utc(now);
    if let Some(r) = row
        && let Some(freq) = Frequency::from_parts(&r.study_days, r.study_weekday)
    {
        let hour = r.study_hour.clamp(0, 23) as u8;
        let until = exam.map(|d| d.previous_day().unwrap_or(d));
        for day in local_time::study_days(freq, today, until, CALENDAR_SESSIONS) {
            let start = local_time::utc_of_local(tz, day, hour);
            let end = start + time::Duration::minutes(SESSION_MINUTES);
            cal.push(
                Event::new()
                    .uid(&format!(
                        "palpate-study-{user_id}-{}@palpate",
                        day.to_string().replace('-', "")
                    ))
                    .timestamp(stamp)
                    .starts(chrono_utc(start))
                    .ends(chrono_utc(end))
                    .summary("Palpate study session")
                    .description(&format!(
                        "Today's review and new questions: {}",
                        state.url("/study")
                    ))
                    .done(),
            );
        }
    }
    if let (Some(p), Some(day)) = (&profile, exam)
        && day >= today
        && let Some(d) = chrono::NaiveDate::from_ymd_opt(
            day.year(),
            u32::from(u8::from(day.month())),
            u32::from(day.day()),
        )
    {
        let label = super::study::target_label(&p.target);
        cal.push(
            Event::new()
                .uid(&format!(
                    "palpate-exam-{user_id}-{}@palpate",
                    day.to_string().replace('-', "")
                ))
                .timestamp(stamp)
                .all_day(d)
                .summary(&format!("{label} exam day"))
                .done(),
        );
    }
    Ok(cal.done().to_string())
}
