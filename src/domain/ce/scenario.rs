//! The evaluation contract: a JSON scenario in, a JSON report out
//! (`palpate ce evaluate --input SCENARIO.json`).
//!
//! Input:
//! ```json
//! {"as_of": "2025-08-01",
//!  "person": {"birth_date": "1985-06-20"},
//!  "credentials": [{"rule": "us-fl-lmt", "issued_on": "2019-05-10", "number": "MA123",
//!                   "first_cycle": false, "late_renewal_approved_on": null}],
//!  "activities": [{"id": "A1", "title": "Myofascial release", "completed_on": "2024-04-14",
//!                  "delivery": "in_person_hands_on", "hours": 12, "unit": "hour",
//!                  "topics": {"technique": 12}, "approvals": ["fl_bmt", "ncbtmb_course"],
//!                  "provider": null, "course_id": null, "relevance_note": null}],
//!  "credential_items": [{"kind": "cpr_bls", "valid_from": "2024-01-01", "valid_to": "2026-01-01"}]}
//! ```
//! `number`, `first_cycle`, `late_renewal_approved_on`, `unit` (default
//! `hour`, i.e. CE hours as printed), `provider`, `course_id` and
//! `relevance_note` are optional. Topic hours are in the activity's unit;
//! hours not split by topic are untagged.
//!
//! Output: `{"as_of", "credentials": [CredentialReport…]}`; see
//! [`super::evaluate::CredentialReport`].

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use time::Date;

use super::codes::{Delivery, ItemKind, Scheme, TopicParseError, TopicRef, Unit};
use super::cycle::{format_date, parse_date};
use super::evaluate::{
    Activity, Credential, CredentialItem, CredentialReport, Log, evaluate_in_set,
};
use super::hours::Hours;
use super::rules::{RuleError, RuleSet, builtin};

/// Most activities accepted in one scenario.
pub const MAX_ACTIVITIES: usize = 5000;

/// A scenario that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CeError {
    /// Not JSON, or not the contract's shape (unknown or missing key, wrong type).
    #[error("scenario JSON: {0}")]
    Json(String),
    /// A value is invalid.
    #[error("{path}: {message}")]
    Invalid {
        /// Where, e.g. `activities[2].hours`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No rule with this id.
    #[error("{path}: unknown rule id `{id}` (known: {known})")]
    UnknownRule {
        /// Where.
        path: String,
        /// The id given.
        id: String,
        /// Known ids.
        known: String,
    },
    /// A code outside a closed vocabulary.
    #[error("{path}: unknown {what} `{code}` (known: {known})")]
    UnknownCode {
        /// Where.
        path: String,
        /// Which vocabulary (`topic`, `delivery`, …).
        what: &'static str,
        /// The code given.
        code: String,
        /// Known codes.
        known: String,
    },
    /// A credential could not be evaluated (e.g. missing birth date).
    #[error("credentials[{index}] ({rule}): {message}")]
    Evaluation {
        /// Index in `credentials`.
        index: usize,
        /// Rule id.
        rule: String,
        /// Why.
        message: String,
    },
    /// The built-in rule files failed validation.
    #[error("built-in rules: {0}")]
    Rules(#[from] RuleError),
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Evaluation date.
    pub as_of: Date,
    /// Birth date.
    pub birth_date: Option<Date>,
    /// Credentials to evaluate.
    pub credentials: Vec<Credential>,
    /// The shared activity log.
    pub activities: Vec<Activity>,
    /// Non-hour records.
    pub items: Vec<CredentialItem>,
}

/// The report for a scenario.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScenarioReport {
    /// Evaluation date.
    pub as_of: String,
    /// One report per credential, in input order.
    pub credentials: Vec<CredentialReport>,
}

// ---------------------------------------------------------------------------
// Raw JSON

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    as_of: String,
    #[serde(default)]
    person: RawPerson,
    credentials: Vec<RawCredential>,
    #[serde(default)]
    activities: Vec<RawActivity>,
    #[serde(default)]
    credential_items: Vec<RawItem>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    #[serde(default)]
    birth_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCredential {
    rule: String,
    issued_on: String,
    #[serde(default)]
    number: Option<String>,
    #[serde(default)]
    first_cycle: Option<bool>,
    #[serde(default)]
    late_renewal_approved_on: Option<String>,
    /// Extension: a cycle corrected by hand, `{"start", "end", "deadline"}`.
    #[serde(default)]
    cycle: Option<RawCycle>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCycle {
    start: String,
    end: String,
    deadline: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActivity {
    id: String,
    #[serde(default)]
    title: String,
    completed_on: String,
    delivery: String,
    hours: f64,
    #[serde(default)]
    unit: Option<String>,
    #[serde(default)]
    topics: OrderedHours,
    #[serde(default)]
    approvals: Vec<String>,
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    course_id: Option<String>,
    #[serde(default)]
    relevance_note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    kind: String,
    #[serde(default)]
    valid_from: Option<String>,
    #[serde(default)]
    valid_to: Option<String>,
}

/// A JSON object of `topic: hours`, keeping the caller's key order (the
/// allocator prefers earlier slices when everything else ties).
#[derive(Default)]
struct OrderedHours(Vec<(String, f64)>);

impl<'de> Deserialize<'de> for OrderedHours {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedHours;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object mapping topic codes to hours")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedHours, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    out.push((k, v));
                }
                Ok(OrderedHours(out))
            }
        }
        d.deserialize_map(V)
    }
}

// ---------------------------------------------------------------------------
// Validation

fn invalid(path: impl Into<String>, message: impl Into<String>) -> CeError {
    CeError::Invalid {
        path: path.into(),
        message: message.into(),
    }
}

fn date(path: &str, s: &str) -> Result<Date, CeError> {
    parse_date(s).ok_or_else(|| invalid(path, format!("`{s}` is not a date (YYYY-MM-DD)")))
}

fn opt_date(path: &str, s: &Option<String>) -> Result<Option<Date>, CeError> {
    s.as_deref().map(|s| date(path, s)).transpose()
}

fn hours(path: &str, v: f64) -> Result<Hours, CeError> {
    Hours::from_f64(v)
        .ok_or_else(|| invalid(path, format!("{v} is not an amount between 0 and 10000")))
}

/// Parses and validates a scenario (codes, dates, amounts); rule ids are
/// checked by [`evaluate_scenario`].
pub fn parse_scenario(input: &str) -> Result<Scenario, CeError> {
    let raw: RawScenario = serde_json::from_str(input).map_err(|e| CeError::Json(e.to_string()))?;
    let as_of = date("as_of", &raw.as_of)?;
    let birth_date = opt_date("person.birth_date", &raw.person.birth_date)?;
    if raw.activities.len() > MAX_ACTIVITIES {
        return Err(invalid(
            "activities",
            format!("at most {MAX_ACTIVITIES} activities per scenario"),
        ));
    }
    let credentials = raw
        .credentials
        .iter()
        .enumerate()
        .map(|(i, c)| credential(&format!("credentials[{i}]"), c))
        .collect::<Result<Vec<_>, _>>()?;
    let mut activities: Vec<Activity> = Vec::new();
    for (i, a) in raw.activities.iter().enumerate() {
        let activity = activity(&format!("activities[{i}]"), a, &activities)?;
        activities.push(activity);
    }
    let items = raw
        .credential_items
        .iter()
        .enumerate()
        .map(|(i, it)| credential_item(&format!("credential_items[{i}]"), it))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenario {
        as_of,
        birth_date,
        credentials,
        activities,
        items,
    })
}

/// Validates one credential (`p` is its path, `credentials[i]`).
fn credential(p: &str, c: &RawCredential) -> Result<Credential, CeError> {
    Ok(Credential {
        rule: c.rule.clone(),
        issued_on: date(&format!("{p}.issued_on"), &c.issued_on)?,
        number: c.number.clone(),
        first_cycle: c.first_cycle,
        late_renewal_approved_on: opt_date(
            &format!("{p}.late_renewal_approved_on"),
            &c.late_renewal_approved_on,
        )?,
        cycle_override: match &c.cycle {
            Some(cy) => Some((
                date(&format!("{p}.cycle.start"), &cy.start)?,
                date(&format!("{p}.cycle.end"), &cy.end)?,
                date(&format!("{p}.cycle.deadline"), &cy.deadline)?,
            )),
            None => None,
        },
    })
}

/// Validates one activity (`p` is its path); its id must differ from the `earlier` ones'.
fn activity(p: &str, a: &RawActivity, earlier: &[Activity]) -> Result<Activity, CeError> {
    if a.id.trim().is_empty() {
        return Err(invalid(format!("{p}.id"), "must not be empty"));
    }
    if let Some(j) = earlier.iter().position(|x| x.id == a.id) {
        return Err(invalid(
            format!("{p}.id"),
            format!("`{}` is also the id of activities[{j}]", a.id),
        ));
    }
    let delivery = Delivery::from_code(&a.delivery).ok_or_else(|| CeError::UnknownCode {
        path: format!("{p}.delivery"),
        what: Delivery::WHAT,
        code: a.delivery.clone(),
        known: Delivery::known_codes(),
    })?;
    let unit = match &a.unit {
        None => Unit::CeHour,
        Some(u) => Unit::parse(u).ok_or_else(|| CeError::UnknownCode {
            path: format!("{p}.unit"),
            what: Unit::WHAT,
            code: u.clone(),
            known: Unit::known_codes(),
        })?,
    };
    let amount = hours(&format!("{p}.hours"), a.hours)?;
    let topics = activity_topics(p, &a.topics, amount)?;
    let mut approvals = Vec::new();
    for (k, s) in a.approvals.iter().enumerate() {
        approvals.push(Scheme::parse(s).ok_or_else(|| CeError::UnknownCode {
            path: format!("{p}.approvals[{k}]"),
            what: Scheme::WHAT,
            code: s.clone(),
            known: Scheme::known_codes(),
        })?);
    }
    Ok(Activity {
        id: a.id.clone(),
        title: a.title.clone(),
        provider: a.provider.clone(),
        course_id: a.course_id.clone(),
        completed_on: date(&format!("{p}.completed_on"), &a.completed_on)?,
        delivery,
        amount,
        unit,
        topics,
        approvals,
        relevance_note: a.relevance_note.clone(),
    })
}

/// Validates an activity's topic hours: known topics, each once, adding up to at most `amount`.
fn activity_topics(
    p: &str,
    raw: &OrderedHours,
    amount: Hours,
) -> Result<Vec<(TopicRef, Hours)>, CeError> {
    let mut topics = Vec::new();
    for (code, h) in &raw.0 {
        let tp = format!("{p}.topics.{code}");
        let t = TopicRef::parse(code).map_err(|e| match e {
            TopicParseError::UnknownTopic(c) => CeError::UnknownCode {
                path: tp.clone(),
                what: super::codes::Topic::WHAT,
                code: c,
                known: super::codes::Topic::known_codes(),
            },
            other => invalid(&tp, other.to_string()),
        })?;
        if topics.iter().any(|(x, _): &(TopicRef, Hours)| *x == t) {
            return Err(invalid(tp, "topic listed twice"));
        }
        topics.push((t, hours(&tp, *h)?));
    }
    let split: Hours = topics.iter().map(|(_, h)| *h).sum();
    if split > amount {
        return Err(invalid(
            format!("{p}.topics"),
            format!("topic hours add up to {split}, more than the activity's {amount}"),
        ));
    }
    Ok(topics)
}

/// Validates one non-hour record (`p` is its path): a known kind and a valid date range.
fn credential_item(p: &str, it: &RawItem) -> Result<CredentialItem, CeError> {
    let kind = ItemKind::from_code(&it.kind).ok_or_else(|| CeError::UnknownCode {
        path: format!("{p}.kind"),
        what: ItemKind::WHAT,
        code: it.kind.clone(),
        known: ItemKind::known_codes(),
    })?;
    let valid_from = opt_date(&format!("{p}.valid_from"), &it.valid_from)?;
    let valid_to = opt_date(&format!("{p}.valid_to"), &it.valid_to)?;
    if let (Some(f), Some(t)) = (valid_from, valid_to)
        && f > t
    {
        return Err(invalid(p, "valid_from is after valid_to"));
    }
    Ok(CredentialItem {
        kind,
        valid_from,
        valid_to,
    })
}

/// Evaluates every credential of a scenario against `rules`.
pub fn evaluate_scenario(scenario: &Scenario, rules: &RuleSet) -> Result<ScenarioReport, CeError> {
    let held: Vec<String> = scenario
        .credentials
        .iter()
        .map(|c| c.rule.clone())
        .collect();
    let log = Log {
        as_of: scenario.as_of,
        birth_date: scenario.birth_date,
        activities: &scenario.activities,
        items: &scenario.items,
        held: &held,
    };
    let mut out = Vec::new();
    for (index, c) in scenario.credentials.iter().enumerate() {
        let report = evaluate_in_set(rules, c, &log)
            .ok_or_else(|| CeError::UnknownRule {
                path: format!("credentials[{index}].rule"),
                id: c.rule.clone(),
                known: rules.known_ids(),
            })?
            .map_err(|e| CeError::Evaluation {
                index,
                rule: c.rule.clone(),
                message: e.to_string(),
            })?;
        out.push(report);
    }
    Ok(ScenarioReport {
        as_of: format_date(scenario.as_of),
        credentials: out,
    })
}

/// Evaluates a scenario given as JSON against the given rules; returns the
/// report as pretty-printed JSON.
pub fn evaluate_scenario_json_with(input: &str, rules: &RuleSet) -> Result<String, CeError> {
    let scenario = parse_scenario(input)?;
    let report = evaluate_scenario(&scenario, rules)?;
    serde_json::to_string_pretty(&report).map_err(|e| CeError::Json(e.to_string()))
}

/// The evaluation contract: scenario JSON in, report JSON out, against the
/// built-in rule files. Pure (no I/O, no clock).
pub fn evaluate_scenario_json(input: &str) -> Result<String, CeError> {
    let rules = builtin()?;
    evaluate_scenario_json_with(input, rules)
}

#[cfg(test)]
mod tests {
    use super::{CeError, evaluate_scenario_json};

    fn scenario(activities: &str, credentials: &str) -> String {
        format!(
            r#"{{"as_of": "2025-08-01", "person": {{"birth_date": "1985-06-20"}},
                "credentials": {credentials}, "activities": {activities}}}"#
        )
    }

    const FL: &str = r#"[{"rule": "us-fl-lmt", "issued_on": "2019-05-10"}]"#;

    fn activity(field: &str) -> String {
        let base = r#""id": "A1", "title": "t", "completed_on": "2024-04-14", "delivery": "self_study", "hours": 2"#;
        format!("[{{{base}, {field}}}]")
    }

    #[test]
    fn unknown_rule_is_a_clear_error() {
        let err = evaluate_scenario_json(&scenario(
            "[]",
            r#"[{"rule": "us-zz-lmt", "issued_on": "2020-01-01"}]"#,
        ))
        .expect_err("unknown rule");
        assert!(matches!(&err, CeError::UnknownRule { id, .. } if id == "us-zz-lmt"));
        let msg = err.to_string();
        assert!(
            msg.contains("credentials[0].rule") && msg.contains("us-fl-lmt"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_topic_delivery_scheme_unit_kind() {
        let e = evaluate_scenario_json(&scenario(&activity(r#""topics": {"ethicz": 1}"#), FL))
            .expect_err("topic");
        assert!(
            e.to_string()
                .contains("activities[0].topics.ethicz: unknown topic `ethicz`"),
            "{e}"
        );
        let bad_delivery =
            r#"[{"id": "A1", "completed_on": "2024-04-14", "delivery": "zoom", "hours": 2}]"#;
        let e = evaluate_scenario_json(&scenario(bad_delivery, FL)).expect_err("delivery");
        assert!(
            e.to_string()
                .contains("activities[0].delivery: unknown delivery `zoom`"),
            "{e}"
        );
        let e = evaluate_scenario_json(&scenario(&activity(r#""approvals": ["acme"]"#), FL))
            .expect_err("scheme");
        assert!(
            e.to_string()
                .contains("activities[0].approvals[0]: unknown approval scheme `acme`"),
            "{e}"
        );
        let e = evaluate_scenario_json(&scenario(&activity(r#""unit": "fortnight""#), FL))
            .expect_err("unit");
        assert!(e.to_string().contains("unknown unit `fortnight`"), "{e}");
        let items = r#"{"as_of": "2025-08-01", "credentials": [], "credential_items": [{"kind": "tattoo"}]}"#;
        let e = evaluate_scenario_json(items).expect_err("kind");
        assert!(
            e.to_string()
                .contains("credential_items[0].kind: unknown credential item kind `tattoo`"),
            "{e}"
        );
    }

    #[test]
    fn shape_and_value_errors() {
        let e = evaluate_scenario_json("{").expect_err("json");
        assert!(matches!(e, CeError::Json(_)));
        let e = evaluate_scenario_json(&scenario(&activity(r#""topic": {"ethics": 1}"#), FL))
            .expect_err("typo key");
        assert!(e.to_string().contains("unknown field `topic`"), "{e}");
        let e = evaluate_scenario_json(&scenario(&activity(r#""topics": {"ethics": 3}"#), FL))
            .expect_err("split");
        assert!(
            e.to_string()
                .contains("activities[0].topics: topic hours add up to 3"),
            "{e}"
        );
        let bad_date =
            r#"[{"id": "A1", "completed_on": "2024-13-01", "delivery": "self_study", "hours": 2}]"#;
        let e = evaluate_scenario_json(&scenario(bad_date, FL)).expect_err("date");
        assert!(e.to_string().contains("activities[0].completed_on"), "{e}");
        let neg = r#"[{"id": "A1", "completed_on": "2024-01-01", "delivery": "self_study", "hours": -2}]"#;
        let e = evaluate_scenario_json(&scenario(neg, FL)).expect_err("negative");
        assert!(e.to_string().contains("activities[0].hours"), "{e}");
        let dup = r#"[{"id": "A1", "completed_on": "2024-01-01", "delivery": "self_study", "hours": 2},
                      {"id": "A1", "completed_on": "2024-01-02", "delivery": "self_study", "hours": 2}]"#;
        let e = evaluate_scenario_json(&scenario(dup, FL)).expect_err("dup id");
        assert!(e.to_string().contains("activities[1].id"), "{e}");
    }

    #[test]
    fn missing_birth_date_for_birth_month_rule() {
        let s = r#"{"as_of": "2025-08-01", "credentials": [{"rule": "us-or-lmt", "issued_on": "2015-01-01"}]}"#;
        let e = evaluate_scenario_json(s).expect_err("birth date");
        assert!(
            e.to_string().contains("credentials[0] (us-or-lmt)")
                && e.to_string().contains("birth_date"),
            "{e}"
        );
        let s = r#"{"as_of": "2010-08-01", "credentials": [{"rule": "us-fl-lmt", "issued_on": "2015-01-01"}]}"#;
        let e = evaluate_scenario_json(s).expect_err("as_of before issue");
        assert!(e.to_string().contains("before the issue date"), "{e}");
    }

    #[test]
    fn every_builtin_rule_evaluates_on_a_small_log() {
        let rules = super::builtin().expect("rules load");
        for r in rules.current_rules() {
            let s = format!(
                r#"{{"as_of": "2025-08-01", "person": {{"birth_date": "1985-06-20"}},
                    "credentials": [{{"rule": "{}", "issued_on": "2012-02-03", "number": "MT-1207"}}],
                    "activities": [{{"id": "A", "completed_on": "2025-05-01", "delivery": "in_person_hands_on",
                                     "hours": 6, "topics": {{"ethics": 2, "technique": 4}},
                                     "approvals": ["ncbtmb_course"]}}]}}"#,
                r.id
            );
            let out = evaluate_scenario_json(&s).unwrap_or_else(|e| panic!("{}: {e}", r.id));
            let v: serde_json::Value = serde_json::from_str(&out).expect("json");
            assert_eq!(v["credentials"][0]["rule"], r.id.as_str());
        }
    }
}
