//! What a person types for a CE activity, checked field by field: dates, hours, topics and
//! approvals. Refusals name the field and say what to type instead.

use super::*;

/// Earliest date accepted for anything a person records (issue, completion, birth).
pub const EARLIEST: Date = time::macros::date!(1950 - 01 - 01);

/// A date that has already happened: not after `today`, not before 1950. `what` names it in
/// the message ("The issue date").
pub fn past_date(
    field: &str,
    raw: &str,
    today: Date,
    what: &str,
    errors: &mut FieldErrors,
) -> Option<Date> {
    let d = date(field, raw, errors)?;
    if d > today {
        errors.add(field, format!("{what} cannot be in the future."));
        None
    } else if d < EARLIEST {
        errors.add(field, format!("{what} cannot be before 1950."));
        None
    } else {
        Some(d)
    }
}

/// A date within a sensible window around today (an expiry may lie ahead, but not a century).
pub fn plausible_date(
    field: &str,
    raw: &str,
    today: Date,
    errors: &mut FieldErrors,
) -> Option<Date> {
    let d = date(field, raw, errors)?;
    let latest = crate::domain::ce::cycle::add_months(today, 360).unwrap_or(today);
    if d < EARLIEST || d > latest {
        errors.add(field, "Give a date between 1950 and 30 years from now.");
        None
    } else {
        Some(d)
    }
}

pub fn date(field: &str, raw: &str, errors: &mut FieldErrors) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    ) {
        Ok(d) => Some(d),
        Err(_) => {
            errors.add(field, "Use a date like 2026-03-14.");
            None
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ActivityInput {
    pub title: String,
    pub provider: String,
    pub completed_on: String,
    pub delivery: String,
    pub hours: String,
    pub unit: String,
    /// topic code → hours (as typed)
    pub topics: BTreeMap<String, String>,
    /// approval scheme → approval number (as typed)
    pub approvals: BTreeMap<String, String>,
}

/// An activity as checked: the completion date, the hours, hours per topic code and the
/// approval number per scheme code.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedActivity {
    pub completed: Date,
    pub hours: f64,
    pub topics: BTreeMap<String, f64>,
    pub approvals: BTreeMap<String, String>,
}

/// Checks an activity as typed; topics and approvals must be codes of the vocabulary (any
/// jurisdiction's laws & rules, any board's approval) and the topic hours add up to the total.
pub fn check_activity(input: &ActivityInput, today: Date) -> Result<CheckedActivity, FieldErrors> {
    let mut e = FieldErrors::default();
    if input.title.trim().is_empty() || input.title.chars().count() > 200 {
        e.add(
            "title",
            "Give the course title as it appears on the certificate (up to 200 characters).",
        );
    }
    if input.provider.trim().chars().count() > 200 {
        e.add("provider", "Keep the provider's name under 200 characters.");
    }
    let completed = past_date(
        "completed_on",
        &input.completed_on,
        today,
        "The completion date",
        &mut e,
    );
    if completed.is_none() && !e.0.contains_key("completed_on") {
        e.add("completed_on", "Give the date you completed the course.");
    }
    if !vocab::deliveries()
        .iter()
        .any(|(c, _)| *c == input.delivery)
    {
        e.add("delivery", "Choose how the course was delivered.");
    }
    if !vocab::units().iter().any(|(c, _)| *c == input.unit) {
        e.add("unit", "Choose the unit the certificate uses.");
    }
    let hours: Option<f64> = input
        .hours
        .trim()
        .replace(',', ".")
        .parse()
        .ok()
        .filter(|h: &f64| h.is_finite() && *h > 0.0 && *h <= 1000.0);
    if hours.is_none() {
        e.add(
            "hours",
            "Give the number on the certificate, e.g. 3 or 1.5.",
        );
    }
    let mut topics = BTreeMap::new();
    for (code, raw) in &input.topics {
        if raw.trim().is_empty() {
            continue;
        }
        if ce::TopicRef::parse(code).is_err() {
            e.add(
                "topics",
                "One of the topics is not one we know; choose from the list.",
            );
            continue;
        }
        match raw.trim().replace(',', ".").parse::<f64>() {
            Ok(h) if h.is_finite() && h > 0.0 => {
                topics.insert(code.clone(), h);
            }
            _ => e.add(
                "topics",
                format!("Hours for {} must be a positive number.", topic_label(code)),
            ),
        }
    }
    if topics.is_empty() && !e.0.contains_key("topics") {
        e.add(
            "topics",
            "Say which topics the hours cover (for example 3 hours of ethics).",
        );
    }
    let mut approvals = BTreeMap::new();
    for (scheme, number) in &input.approvals {
        if number.trim().is_empty() {
            continue;
        }
        if ce::Scheme::parse(scheme).is_none() {
            e.add(
                "approvals",
                "One of the approvals is not one we know; choose from the list.",
            );
        } else if number.chars().count() > 60 {
            e.add("approvals", "Approval numbers have at most 60 characters.");
        } else {
            approvals.insert(scheme.clone(), number.trim().to_string());
        }
    }
    if let Some(total) = hours {
        let in_hours = to_hours(total, &input.unit);
        let split: f64 = topics.values().sum();
        let split_hours = to_hours(split, &input.unit);
        if (split_hours - in_hours).abs() > 0.01 && !topics.is_empty() {
            e.add(
                "topics",
                format!("The topic hours add up to {split}, but the certificate says {total}."),
            );
        }
    }
    match (e.is_empty(), completed, hours) {
        (true, Some(completed), Some(hours)) => Ok(CheckedActivity {
            completed,
            hours,
            topics,
            approvals,
        }),
        _ => Err(e),
    }
}

/// A certificate's number in CE hours.
pub fn to_hours(value: f64, unit: &str) -> f64 {
    match unit {
        "ceu" => value * 10.0,
        "minute" => value / 60.0,
        "semester_credit" => value * 15.0,
        "quarter_credit" => value * 10.0,
        _ => value,
    }
}
