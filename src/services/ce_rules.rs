//! The renewal rules as people see them: the public list of every jurisdiction's rules with their
//! sources, one rule's requirements with the quoted text behind each, and problem reports on a
//! rule, reviewed by an administrator.

use super::AppState;
use super::accounts::Account;
use super::ce::{SourceView, fact_sources, requirement_label};
use crate::domain::ce::{self, catalog};
use crate::error::{AppError, AppResult};
use crate::store::ce as db;
use serde::Serialize;

/// Most problem reports one person may send in a day.
pub const REPORTS_PER_DAY: i64 = 10;

fn rules() -> AppResult<&'static ce::RuleSet> {
    ce::builtin().map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))
}

/// Every rule's summary, filtered by a search over the jurisdiction's name and code and the
/// credential's name (case-insensitive).
pub fn catalog(query: &str) -> AppResult<Vec<catalog::RuleSummary>> {
    let q = query.trim().to_lowercase();
    Ok(catalog::summaries(rules()?)
        .into_iter()
        .filter(|r| {
            q.is_empty()
                || r.name.to_lowercase().contains(&q)
                || r.issuer.to_lowercase().contains(&q)
                || r.jurisdiction
                    .as_deref()
                    .is_some_and(|j| j.eq_ignore_ascii_case(&q))
                || r.jurisdiction_name
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(&q))
        })
        .collect())
}

/// One fact of a rule with where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct FactView {
    pub label: String,
    pub sources: Vec<SourceView>,
    pub unverified: Vec<String>,
}

/// A rule as the public detail page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleView {
    pub summary: catalog::RuleSummary,
    pub facts: Vec<FactView>,
    pub open_questions: Vec<String>,
    pub notes: Vec<String>,
    pub sources: Vec<SourceView>,
    pub versions: Vec<String>,
}

fn fact_label(rule: &ce::Rule, fact: &str) -> String {
    match fact {
        "regulated" => "Whether the state licenses massage therapists and requires CE".into(),
        "deadline" => format!(
            "Renewal cycle: {}",
            catalog::describe_deadline(&rule.deadline)
        ),
        "total" => format!("Total: {} hours", rule.total.as_f64()),
        "unit" => format!("Length of a CE hour: {} minutes", rule.units.unit_minutes),
        "first_cycle" => catalog::describe_first_cycle(rule)
            .unwrap_or_else(|| "The first renewal needs the same CE as any other.".into()),
        "carry_over" if rule.carry_over_max.is_zero() => {
            "Extra hours do not carry over to the next period.".into()
        }
        "carry_over" => format!(
            "Up to {} extra hours carry over to the next period.",
            rule.carry_over_max.as_f64()
        ),
        "accepted_approvals" if rule.accepted_approvals.is_empty() => {
            "Courses from any provider count.".into()
        }
        "accepted_approvals" => format!(
            "Only courses from {} count.",
            crate::domain::ce::selector::join_or(
                rule.accepted_approvals.iter().map(|s| s.label()).collect()
            )
        ),
        "excluded_topics" => format!(
            "These subjects do not count: {}.",
            rule.excluded_topics
                .iter()
                .map(|t| t.label())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        "no_duplicate" => "The same course counts only once.".into(),
        "late_renewal" => "After a late renewal, only CE dated after the approval counts.".into(),
        other => match other.split_once(':') {
            Some((section, id)) => {
                let label = requirement_label(rule, id);
                match section {
                    "cap" => format!("At most: {label}"),
                    "excluded_from_total" => format!("Does not count: {label}"),
                    "conditional" => format!("Counts on a condition: {label}"),
                    "window_cap" => "A daily limit on hours".into(),
                    _ => format!("Required: {label}"),
                }
            }
            None => "Another fact".into(),
        },
    }
}

/// One rule with every fact and its sources; `NotFound` for an unknown id.
pub fn rule(id: &str) -> AppResult<RuleView> {
    let set = rules()?;
    let rule = set
        .current(id)
        .ok_or_else(|| AppError::NotFound("There is no such renewal rule.".into()))?;
    let required = rule.facts();
    let facts = ce::rules::provenance::counted_facts(&required, &rule.provenance)
        .iter()
        .map(|f| {
            let (sources, unverified) = fact_sources(rule, f);
            FactView {
                label: fact_label(rule, f),
                sources,
                unverified,
            }
        })
        .collect();
    Ok(RuleView {
        summary: catalog::summary(set, rule),
        facts,
        open_questions: rule
            .provenance
            .to_verify
            .iter()
            .filter(|u| u.fact.is_none())
            .map(|u| u.note.clone())
            .collect(),
        notes: rule.notes.clone(),
        sources: rule
            .provenance
            .sources
            .iter()
            .map(|s| SourceView {
                citation: s.citation.clone(),
                url: s.url.clone(),
                read_on: s.read_on.to_string(),
                quote: s.title.clone(),
                primary: s.primary,
            })
            .collect(),
        versions: set
            .versions(&rule.id)
            .iter()
            .map(|v| {
                let from = v.effective.from.map(|d| d.to_string()).unwrap_or_default();
                match v.effective.to {
                    Some(to) => format!("Renewal periods ending {from} to {to}"),
                    None => format!("Renewal periods ending from {from}"),
                }
            })
            .collect(),
    })
}

/// A problem report as its sender and the reviewer see it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub id: i64,
    pub rule_id: String,
    pub rule_name: String,
    pub reason: String,
    pub source_url: Option<String>,
    pub status: String,
    pub resolution: Option<String>,
    pub created_at: String,
    pub resolved_at: Option<String>,
}

fn report_view(r: db::RuleReport) -> ReportView {
    let rule_name = ce::builtin()
        .ok()
        .and_then(|s| s.current(&r.rule_id).map(|x| x.name.clone()))
        .unwrap_or_else(|| "A renewal rule no longer listed".into());
    ReportView {
        id: r.id,
        rule_name,
        rule_id: r.rule_id,
        reason: r.reason,
        source_url: r.source_url,
        status: r.status,
        resolution: r.resolution,
        created_at: r.created_at.date().to_string(),
        resolved_at: r.resolved_at.map(|d| d.date().to_string()),
    }
}

/// Checks a report as typed: `(reason, source URL)` or the field errors.
pub fn check_report(
    reason: &str,
    source_url: &str,
) -> Result<(String, Option<String>), crate::error::FieldErrors> {
    let mut e = crate::error::FieldErrors::default();
    let reason = reason.trim().to_string();
    if reason.chars().count() < 10 {
        e.add("reason", "Say in a sentence what is wrong with this rule.");
    } else if reason.chars().count() > 2000 {
        e.add("reason", "Keep the report under 2,000 characters.");
    }
    let url = source_url.trim().to_string();
    let url = if url.is_empty() {
        None
    } else if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 500
        || url.contains(char::is_whitespace)
    {
        e.add(
            "source_url",
            "Give the address of the board's page or rule text, starting with https://.",
        );
        None
    } else {
        Some(url)
    };
    if e.is_empty() {
        Ok((reason, url))
    } else {
        Err(e)
    }
}

/// Files a problem report on a rule.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn report(
    state: &AppState,
    user: &Account,
    rule_id: String,
    reason: String,
    source_url: String,
) -> AppResult<i64> {
    if rules()?.current(&rule_id).is_none() {
        return Err(AppError::NotFound("There is no such renewal rule.".into()));
    }
    let (reason, url) = check_report(&reason, &source_url).map_err(AppError::Fields)?;
    let (st, uid) = (state.clone(), user.id);
    let id = state
        .tx(move |c| {
            let now = st.clock.now();
            if db::recent_rule_reports_by(c, uid, now - time::Duration::days(1))? >= REPORTS_PER_DAY {
                return Err(AppError::invalid(
                    "reason",
                    "You have sent many reports today; please wait until tomorrow for the next one.",
                ));
            }
            let id = db::insert_rule_report(c, &rule_id, uid, &reason, url.as_deref(), now)?;
            let name = rules()?
                .current(&rule_id)
                .map(|r| r.name.clone())
                .unwrap_or_default();
            crate::services::notify_admins(
                &st,
                c,
                "A renewal rule was reported",
                &format!("Someone reported a problem with the renewal rule \"{name}\". The report waits in the queue."),
                "/admin/rule-reports",
            )?;
            Ok(id)
        })
        .await?;
    state.outbox_wake.notify_one();
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn open_reports(state: &AppState) -> AppResult<Vec<ReportView>> {
    state
        .db(|c| {
            Ok(db::open_rule_reports(c)?
                .into_iter()
                .map(report_view)
                .collect())
        })
        .await
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_reports(state: &AppState, user_id: i64) -> AppResult<Vec<ReportView>> {
    state
        .db(move |c| {
            Ok(db::rule_reports_by(c, user_id)?
                .into_iter()
                .map(report_view)
                .collect())
        })
        .await
}

/// Closes a report with an answer for its sender.
#[tracing::instrument(level = "debug", skip_all, fields(id = ?id))]
pub async fn resolve(
    state: &AppState,
    admin: &Account,
    id: i64,
    accepted: bool,
    note: String,
) -> AppResult<()> {
    let note = note.trim().to_string();
    if note.is_empty() || note.chars().count() > 2000 {
        return Err(AppError::invalid(
            "resolution",
            "Tell the reporter what happened (up to 2,000 characters).",
        ));
    }
    let (clock, uid) = (state.clock.clone(), admin.id);
    let status = if accepted { "accepted" } else { "dismissed" };
    let done = state
        .tx(move |c| {
            if !db::rule_report_exists(c, id)? {
                return Err(AppError::NotFound("No such report.".into()));
            }
            Ok(db::resolve_rule_report(
                c,
                id,
                status,
                &note,
                uid,
                clock.now(),
            )?)
        })
        .await?;
    if done {
        Ok(())
    } else {
        Err(AppError::Conflict(
            "This report was already resolved.".into(),
        ))
    }
}
