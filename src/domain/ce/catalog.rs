//! A plain summary of each rule for lists: the `palpate ce rules --json`
//! listing and the public `/ce/rules` page. Pure.

use serde::Serialize;

use super::codes::{Jurisdiction, US_JURISDICTIONS};
use super::cycle::{DeadlineRule, Parity, format_date};
use super::rules::{Coverage, FirstCycle, Rule, RuleMode, RuleSet};

/// One rule (its newest version) in a list.
#[derive(Clone, Debug, Serialize)]
pub struct RuleSummary {
    /// Rule id.
    pub id: String,
    /// Credential name.
    pub name: String,
    /// Issuer.
    pub issuer: String,
    /// USPS code, for state entries.
    pub jurisdiction: Option<String>,
    /// Jurisdiction name, for state entries.
    pub jurisdiction_name: Option<String>,
    /// `license_with_ce`, `license_without_ce`, `no_state_license`,
    /// `certification` or `membership`.
    pub kind: &'static str,
    /// Plain wording of `kind`.
    pub kind_label: &'static str,
    /// Hours per cycle (0 without CE).
    pub total: f64,
    /// The same in words ("16", "12.5").
    pub hours_label: String,
    /// The renewal cycle in words.
    pub cycle: String,
    /// Minimums and caps in words.
    pub minimums: Vec<String>,
    /// The first renewal in words, when it differs.
    pub first_renewal: Option<String>,
    /// `H`, `M` or `L`.
    pub confidence: &'static str,
    /// Latest date a source was read.
    pub last_verified: Option<String>,
    /// Counts of sourced and unverified facts.
    pub coverage: Coverage,
    /// Facts counted in `coverage`, quoted from a primary source.
    pub primary_sourced: usize,
    /// Open questions.
    pub unverified: usize,
    /// Number of versions by period.
    pub versions: usize,
}

fn month_name(m: u8) -> &'static str {
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    .get(usize::from(m.max(1)) - 1)
    .copied()
    .unwrap_or("")
}

fn every(years: u8) -> String {
    match years {
        1 => "every year".into(),
        2 => "every 2 years".into(),
        n => format!("every {n} years"),
    }
}

fn parity(p: &Option<Parity>) -> &'static str {
    match p {
        Some(Parity::Odd) => " of odd-numbered years",
        Some(Parity::Even) => " of even-numbered years",
        Some(Parity::Every { .. }) => " (fixed years)",
        Some(Parity::BirthYear) => {
            ", in even-numbered years if you were born in one, odd-numbered years if not"
        }
        Some(Parity::LicenceNumber) => {
            ", in odd-numbered years for odd licence numbers and even-numbered years for even ones"
        }
        None => "",
    }
}

/// The cycle in words: "every 2 years, by August 31 of odd-numbered years".
pub fn describe_deadline(d: &DeadlineRule) -> String {
    match d {
        DeadlineRule::Fixed {
            month,
            day,
            every_years,
            parity: p,
            ..
        } => format!(
            "{}, by {} {day}{}",
            every(*every_years),
            month_name(*month),
            parity(p)
        ),
        DeadlineRule::BirthMonthEnd {
            every_years,
            parity: p,
            ..
        } => format!(
            "{}, by the end of your birth month{}",
            every(*every_years),
            parity(p)
        ),
        DeadlineRule::BirthMonthDay {
            day,
            every_years,
            parity: p,
            ..
        } => format!(
            "{}, by the {} of your birth month{}",
            every(*every_years),
            ordinal(*day),
            parity(p)
        ),
        DeadlineRule::Birthday { every_years, .. } => {
            format!("{}, by your birthday", every(*every_years))
        }
        DeadlineRule::Anniversary { months } if months % 12 == 0 => {
            format!("{} from the date of issue", every((months / 12) as u8))
        }
        DeadlineRule::Anniversary { months } => {
            format!("every {months} months from the date of issue")
        }
        DeadlineRule::MonthEndAnniversary { months } if months % 12 == 0 => format!(
            "{} from the end of the month of issue",
            every((months / 12) as u8)
        ),
        DeadlineRule::MonthEndAnniversary { months } => {
            format!("every {months} months from the end of the month of issue")
        }
    }
}

/// "1st", "2nd", "28th".
fn ordinal(n: u8) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn hours(h: f64) -> String {
    if (h - 1.0).abs() < 1e-9 {
        "1 hour".into()
    } else {
        format!("{h} hours")
    }
}

/// Minimums and caps in words ("at least 2 hours of ethics").
pub fn describe_requirements(rule: &Rule) -> Vec<String> {
    let mut out = Vec::new();
    let what = |r: &super::rules::Requirement| {
        r.label
            .clone()
            .unwrap_or_else(|| describe_selector(&r.select))
    };
    for r in rule.buckets.iter().chain(&rule.mins) {
        out.push(format!(
            "at least {} of {}",
            hours(r.hours.as_f64()),
            what(r)
        ));
    }
    for r in &rule.caps {
        out.push(format!(
            "at most {} of {}",
            hours(r.hours.as_f64()),
            what(r)
        ));
    }
    for r in &rule.extra_mins {
        out.push(format!(
            "{} of {}{}",
            hours(r.hours.as_f64()),
            r.label
                .clone()
                .unwrap_or_else(|| describe_selector(&r.select)),
            if r.counts_toward_total {
                ""
            } else {
                " on top of the total"
            }
        ));
    }
    for r in &rule.items {
        out.push(
            r.label
                .clone()
                .unwrap_or_else(|| r.kind.label().to_string()),
        );
    }
    for r in &rule.once_ever {
        out.push(
            r.label
                .clone()
                .unwrap_or_else(|| "a one-time course".into()),
        );
    }
    out
}

/// A selector in words ("ethics", "live online or self-study").
pub fn describe_selector(s: &super::selector::Selector) -> String {
    let mut parts = Vec::new();
    if let Some(t) = s.topic_phrase() {
        parts.push(t);
    }
    if let Some(d) = s.delivery_phrase() {
        parts.push(if parts.is_empty() {
            format!("CE {d}")
        } else {
            format!("taken {d}")
        });
    }
    if let Some(n) = &s.not_topics {
        let names: Vec<String> = n.iter().map(|t| t.label()).collect();
        parts.push(format!(
            "(not counting {})",
            super::selector::join_or(names)
        ));
    }
    if parts.is_empty() {
        "CE in any subject".into()
    } else {
        parts.join(" ")
    }
}

/// The first renewal in words, when the rule treats it differently.
pub fn describe_first_cycle(rule: &Rule) -> Option<String> {
    match &rule.first_cycle {
        FirstCycle::Standard => None,
        FirstCycle::Exempt {
            licensed_within_months,
            keep,
        } => {
            let when = match licensed_within_months {
                Some(m) => format!(" if the licence was issued within {m} months before it"),
                None => String::new(),
            };
            let except = if keep.is_empty() {
                String::new()
            } else {
                let kept: Vec<String> = keep.iter().map(|id| kept_label(rule, id)).collect();
                format!(
                    ", except {}",
                    super::selector::join_or(kept).replace(" or ", " and ")
                )
            };
            Some(format!("No CE at the first renewal{when}{except}."))
        }
        FirstCycle::Reduced { total, .. } => {
            Some(format!("{} at the first renewal.", hours(total.as_f64())))
        }
        FirstCycle::Prorated {
            hours_per_month, ..
        } => Some(format!(
            "Prorated at the first renewal: {} per month licensed.",
            hours(hours_per_month.as_f64())
        )),
    }
}

/// A kept requirement's words (label, else what it selects).
fn kept_label(rule: &Rule, id: &str) -> String {
    let sel_words = |label: &Option<String>, sel: &super::selector::Selector| {
        label.clone().unwrap_or_else(|| describe_selector(sel))
    };
    if let Some(r) = rule.mins.iter().find(|r| r.id == id) {
        return sel_words(&r.label, &r.select);
    }
    if let Some(r) = rule.extra_mins.iter().find(|r| r.id == id) {
        return sel_words(&r.label, &r.select);
    }
    if let Some(r) = rule.items.iter().find(|r| r.id == id) {
        return r
            .label
            .clone()
            .unwrap_or_else(|| r.kind.label().to_string());
    }
    if let Some(r) = rule.once_ever.iter().find(|r| r.id == id) {
        return r
            .label
            .clone()
            .unwrap_or_else(|| "a one-time course".into());
    }
    "one requirement".into()
}

/// Summary of one rule.
pub fn summary(set: &RuleSet, rule: &Rule) -> RuleSummary {
    let coverage = rule.coverage();
    RuleSummary {
        id: rule.id.clone(),
        name: rule.name.clone(),
        issuer: rule.issuer.clone(),
        jurisdiction: rule.jurisdiction.map(|j| j.to_string()),
        jurisdiction_name: rule.jurisdiction.map(|j| j.short_name().to_string()),
        kind: rule.kind_code(),
        kind_label: rule.kind_label(),
        total: rule.total.as_f64(),
        hours_label: rule.total.to_string(),
        cycle: if rule.mode == RuleMode::None {
            "no CE requirement".into()
        } else {
            describe_deadline(&rule.deadline)
        },
        minimums: describe_requirements(rule),
        first_renewal: describe_first_cycle(rule),
        confidence: rule.confidence.code(),
        last_verified: rule.provenance.last_read().map(format_date),
        coverage,
        primary_sourced: coverage.primary,
        unverified: coverage.unverified,
        versions: set.versions(&rule.id).len(),
    }
}

/// Summaries of every rule's newest version: states (by name) first, then
/// the national credentials.
pub fn summaries(set: &RuleSet) -> Vec<RuleSummary> {
    let mut out: Vec<RuleSummary> = set
        .current_rules()
        .into_iter()
        .map(|r| summary(set, r))
        .collect();
    out.sort_by(|a, b| {
        (
            a.jurisdiction_name.is_none(),
            a.jurisdiction_name.clone(),
            a.id.clone(),
        )
            .cmp(&(
                b.jurisdiction_name.is_none(),
                b.jurisdiction_name.clone(),
                b.id.clone(),
            ))
    });
    out
}

/// The states and DC that have no rule entry.
pub fn missing_jurisdictions(set: &RuleSet) -> Vec<&'static str> {
    US_JURISDICTIONS
        .iter()
        .take(super::codes::STATES_AND_DC)
        .filter(|(code, _)| {
            let j = Jurisdiction::parse(code);
            !set.all().iter().any(|r| r.jurisdiction == j)
        })
        .map(|(code, _)| *code)
        .collect()
}
