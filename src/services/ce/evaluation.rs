//! A person's credentials evaluated against their renewal rules, as the pages, e-mails and exports
//! show them: every code turned into its label, each requirement with its sources.

use super::*;

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Requirement {
    pub id: String,
    pub label: String,
    pub required: f64,
    pub counted: f64,
    pub met: bool,
    /// Where the requirement comes from.
    pub sources: Vec<SourceView>,
    /// What about it is not confirmed by a primary text.
    pub unverified: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Deficit {
    pub requirement: String,
    pub hours: f64,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Excluded {
    pub activity: String,
    pub activity_title: String,
    pub hours: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Allocation {
    pub activity: String,
    pub activity_title: String,
    pub topic: String,
    pub hours: f64,
    pub counts_for: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct Cycle {
    pub start: String,
    pub end: String,
    pub deadline: String,
}

/// One credential's standing, as the dashboard shows it.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct CredentialReport {
    pub credential_id: i64,
    pub rule: String,
    pub status: String,
    pub status_label: String,
    pub cycle: Option<Cycle>,
    pub deadline: Option<String>,
    pub days_left: Option<i64>,
    pub required_hours: f64,
    pub counted_hours: f64,
    pub requirements: Vec<Requirement>,
    pub deficits: Vec<Deficit>,
    pub excluded: Vec<Excluded>,
    pub allocations: Vec<Allocation>,
    pub conditions: Vec<String>,
    pub warnings: Vec<String>,
    /// The credential whose holding meets this renewal instead of the hours.
    pub met_by: Option<String>,
    /// Its rule id (for the directory: is that credential verified too?).
    #[serde(skip)]
    pub met_by_rule: Option<String>,
    pub name: String,
    pub confidence: String,
    pub error: Option<String>,
    /// Open questions about the rule, shown as unverified.
    pub unverified: Vec<String>,
    /// When the rule's sources were last read.
    pub last_verified: Option<String>,
    /// Who may give the courses that count (empty: any provider).
    pub accepted: Vec<String>,
    /// How well the rule is sourced, in a sentence.
    pub sourcing: String,
}

fn status_label(s: &str) -> &'static str {
    match s {
        "compliant" => "Compliant",
        "deficient" => "Not yet compliant",
        "conditional" => "Conditional: hours done, something else missing",
        "exempt" => "Exempt this cycle",
        _ => "Unknown",
    }
}

/// The log in the engine's types. Rows that no longer parse (a code retired from the vocabulary)
/// are left out, and said so in the report's warnings.
fn domain_log(log: &Log) -> (Vec<ce::Activity>, Vec<ce::CredentialItem>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut activities = Vec::new();
    for a in &log.activities {
        match domain_activity(a) {
            Some(x) => activities.push(x),
            None => warnings.push(format!(
                "“{}” could not be read and is left out; edit or re-enter it.",
                a.title
            )),
        }
    }
    let items = log
        .items
        .iter()
        .filter_map(|i| {
            Some(ce::CredentialItem {
                kind: ce::ItemKind::from_code(&i.kind)?,
                valid_from: i.valid_from,
                valid_to: i.valid_to,
            })
        })
        .collect();
    (activities, items, warnings)
}

fn domain_activity(a: &db::Activity) -> Option<ce::Activity> {
    let topics: BTreeMap<String, f64> = serde_json::from_str(&a.topics).ok()?;
    let approvals: BTreeMap<String, String> = serde_json::from_str(&a.approvals).ok()?;
    Some(ce::Activity {
        id: a.id.to_string(),
        title: a.title.clone(),
        provider: Some(a.provider.clone()).filter(|p| !p.is_empty()),
        course_id: None,
        completed_on: a.completed_on,
        delivery: ce::Delivery::from_code(&a.delivery)?,
        amount: ce::Hours::from_f64(a.hours)?,
        unit: ce::Unit::parse(&a.unit)?,
        topics: topics
            .iter()
            .map(|(t, h)| Some((ce::TopicRef::parse(t).ok()?, ce::Hours::from_f64(*h)?)))
            .collect::<Option<Vec<_>>>()?,
        approvals: approvals
            .keys()
            .map(|k| ce::Scheme::parse(k))
            .collect::<Option<Vec<_>>>()?,
        relevance_note: None,
    })
}

/// Where a requirement comes from, as the dashboard shows it.
#[derive(Debug, Clone, Serialize, Default, utoipa::ToSchema)]
pub struct SourceView {
    pub citation: String,
    pub url: String,
    pub read_on: String,
    pub quote: String,
    pub primary: bool,
}

/// The sources and open questions of one fact of a rule.
pub fn fact_sources(rule: &ce::Rule, fact: &str) -> (Vec<SourceView>, Vec<String>) {
    let f = rule.provenance.fact(fact);
    (
        f.cites
            .iter()
            .map(|(c, s)| SourceView {
                citation: s.citation.clone(),
                url: s.url.clone(),
                read_on: s.read_on.to_string(),
                quote: c.quote.clone(),
                primary: s.primary,
            })
            .collect(),
        f.unverified.iter().map(|n| n.to_string()).collect(),
    )
}

/// Plain wording of a requirement id of a rule.
pub fn requirement_label(rule: &ce::Rule, id: &str) -> String {
    use crate::domain::ce::catalog::describe_selector;
    if id == "total" {
        return "Total hours".into();
    }
    let reqs = rule.buckets.iter().chain(&rule.mins).chain(&rule.caps);
    if let Some(r) = reqs.into_iter().find(|r| r.id == id) {
        return r
            .label
            .clone()
            .unwrap_or_else(|| describe_selector(&r.select));
    }
    if let Some(r) = rule.extra_mins.iter().find(|r| r.id == id) {
        return r
            .label
            .clone()
            .unwrap_or_else(|| describe_selector(&r.select));
    }
    if let Some(r) = rule.items.iter().find(|r| r.id == id) {
        return r
            .label
            .clone()
            .unwrap_or_else(|| r.kind.label().to_string());
    }
    if let Some(r) = rule.once_ever.iter().find(|r| r.id == id) {
        return r.label.clone().unwrap_or_else(|| "one-time course".into());
    }
    if id == "prorated_other" {
        return "CE in any subject".into();
    }
    "another requirement".into()
}

/// Evaluates every credential of the person against its renewal rule, as of today.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn evaluate(state: &AppState, user_id: i64) -> AppResult<Vec<CredentialReport>> {
    let log = log(state, user_id).await?;
    let today = state.clock.now().date();
    Ok(log
        .credentials
        .iter()
        .map(|c| evaluate_one(&log, c, today))
        .collect())
}

/// One credential's standing as of `today`, with every code turned into its label.
pub fn evaluate_one(log: &Log, c: &db::Credential, today: Date) -> CredentialReport {
    let mut report = CredentialReport {
        credential_id: c.id,
        rule: c.rule_id.clone(),
        // Named even when it cannot be evaluated (the evaluation below renames it by version).
        name: super::credential_name(&c.rule_id),
        ..Default::default()
    };
    let set = match ce::builtin() {
        Ok(set) => set,
        Err(e) => {
            tracing::error!(error = %e, "the built-in CE rules do not load");
            report.error =
                Some("The renewal rules could not be loaded; we are looking into it.".into());
            return report;
        }
    };
    let (activities, items, mut warnings) = domain_log(log);
    let cred = domain_credential(c);
    let held: Vec<String> = log.credentials.iter().map(|c| c.rule_id.clone()).collect();
    let dlog = ce::Log {
        as_of: today,
        birth_date: log.profile.as_ref().and_then(|p| p.birth_date),
        activities: &activities,
        items: &items,
        held: &held,
    };
    let r = match ce::evaluate_in_set(set, &cred, &dlog) {
        None => {
            report.error =
                Some("This credential is no longer in our list of renewal rules.".into());
            return report;
        }
        Some(Err(e)) => {
            report.error = Some(evaluation_problem(&e));
            return report;
        }
        Some(Ok(r)) => r,
    };
    // The version of the rule the evaluator used (by id and cycle end).
    let rule = ce::cycle::parse_date(&r.cycle.end)
        .and_then(|end| set.for_cycle_end(&c.rule_id, end))
        .or_else(|| set.current(&c.rule_id));
    fill_standing(&mut report, &r, today);
    fill_lines(&mut report, log, rule, &r);
    warnings.extend(r.warnings.iter().cloned());
    report.warnings = warnings;
    if let Some(rule) = rule {
        report.unverified = rule
            .provenance
            .to_verify
            .iter()
            .map(|u| u.note.clone())
            .collect();
        report.last_verified = rule.provenance.last_read().map(|d| d.to_string());
        report.accepted = rule.accepted_approvals.iter().map(|s| s.label()).collect();
        report.sourcing = sourcing_sentence(rule);
    }
    report
}

/// The stored credential in the engine's type.
fn domain_credential(c: &db::Credential) -> ce::Credential {
    ce::Credential {
        rule: c.rule_id.clone(),
        issued_on: c.issued_on,
        number: c.number.clone(),
        first_cycle: Some(c.first_cycle),
        late_renewal_approved_on: None,
        cycle_override: match (c.cycle_start, c.cycle_end, c.deadline) {
            (Some(s), Some(e), Some(d)) => Some((s, e, d)),
            _ => None,
        },
    }
}

/// Copies the overall standing into the report: status, hours, name, cycle and days left.
fn fill_standing(report: &mut CredentialReport, r: &ce::CredentialReport, today: Date) {
    report.status = status_code(r.status).to_string();
    report.status_label = match &r.met_by {
        Some(other) => format!("Met through your {other}, as long as it is current when you renew"),
        None => status_label(&report.status).to_string(),
    };
    report.met_by = r.met_by.clone();
    report.met_by_rule = r.met_by_rule.clone();
    report.required_hours = r.required_hours.as_f64();
    report.counted_hours = r.counted_hours.as_f64();
    report.name = r.name.clone();
    report.confidence = r.confidence.to_string();
    report.cycle = Some(Cycle {
        start: r.cycle.start.clone(),
        end: r.cycle.end.clone(),
        deadline: r.cycle.deadline.clone(),
    });
    report.deadline = Some(r.cycle.deadline.clone());
    if let Some(d) = ce::cycle::parse_date(&r.cycle.deadline) {
        report.days_left = Some((d - today).whole_days());
    }
}

/// A requirement id in words: from the rule when known, else the id with spaces.
fn label_in(rule: Option<&ce::Rule>, id: &str) -> String {
    match rule {
        Some(rule) => requirement_label(rule, id),
        None => id.replace('_', " "),
    }
}

/// One requirement's progress, labelled, with the sources and open questions of its fact.
fn requirement_view(rule: Option<&ce::Rule>, q: &ce::evaluate::RequirementReport) -> Requirement {
    let (sources, unverified) = rule
        .and_then(|rule| {
            rule.fact_of_requirement(&q.id)
                .map(|f| fact_sources(rule, &f))
        })
        .unwrap_or_default();
    Requirement {
        label: label_in(rule, &q.id),
        id: q.id.clone(),
        required: q.required.as_f64(),
        counted: q.counted.as_f64(),
        met: q.met,
        sources,
        unverified,
    }
}

/// Fills the requirements, deficits, conditions, allocations and exclusions, labelled for people.
fn fill_lines(
    report: &mut CredentialReport,
    log: &Log,
    rule: Option<&ce::Rule>,
    r: &ce::CredentialReport,
) {
    let h = |x: ce::Hours| x.as_f64();
    let label = |id: &str| label_in(rule, id);
    let titles: std::collections::HashMap<String, String> = log
        .activities
        .iter()
        .map(|a| (a.id.to_string(), a.title.clone()))
        .collect();
    let title = |id: &str| {
        titles
            .get(id)
            .cloned()
            .unwrap_or_else(|| "Hours carried over".into())
    };
    report.requirements = r
        .requirements
        .iter()
        .map(|q| requirement_view(rule, q))
        .collect();
    report.deficits = r
        .deficits
        .iter()
        .map(|d| Deficit {
            requirement: label(&d.requirement),
            hours: h(d.hours),
            detail: d.detail.clone(),
        })
        .collect();
    report.conditions = r.conditions.iter().map(|x| x.note.clone()).collect();
    report.allocations = r
        .allocations
        .iter()
        .map(|x| Allocation {
            activity_title: title(&x.activity),
            activity: x.activity.clone(),
            topic: x
                .topic
                .as_deref()
                .and_then(|t| ce::TopicRef::parse(t).ok())
                .map(|t| t.label())
                .unwrap_or_else(|| "any subject".into()),
            hours: h(x.hours),
            counts_for: x.counts_for.iter().map(|id| label(id)).collect(),
        })
        .collect();
    report.excluded = r
        .excluded
        .iter()
        .map(|x| Excluded {
            activity_title: title(&x.activity),
            activity: x.activity.clone(),
            hours: h(x.hours),
            reason: x.detail.clone(),
        })
        .collect();
}

/// How well a rule is sourced, in words a therapist can weigh.
pub fn sourcing_sentence(rule: &ce::Rule) -> String {
    let c = rule.coverage();
    let open_points = rule.provenance.to_verify.len();
    if c.facts > 0 && c.primary == c.facts && open_points == 0 {
        return "Every fact here is quoted from the board's own text.".into();
    }
    let unsourced = c.facts.saturating_sub(c.primary + c.secondary_only);
    let mut s = format!(
        "{} of the {} {} this rule uses {} quoted from the board's own text",
        c.primary,
        c.facts,
        if c.facts == 1 { "fact" } else { "facts" },
        if c.primary == 1 { "is" } else { "are" }
    );
    if c.secondary_only > 0 {
        s += &format!(", {} only from secondary sources", c.secondary_only);
    }
    if unsourced > 0 {
        s += &format!(", and {unsourced} from no source we could read");
    }
    s += ".";
    if open_points > 0 {
        s += &format!(
            " {} not confirmed {} marked as such.",
            if open_points == 1 {
                "One point"
            } else {
                "Points"
            },
            if open_points == 1 { "is" } else { "are" }
        );
    }
    if rule.confidence == crate::domain::ce::rules::Confidence::Low {
        s += " The sources are weak or disagree.";
    }
    s
}

fn status_code(s: ce::Status) -> &'static str {
    match s {
        ce::Status::Exempt => "exempt",
        ce::Status::Compliant => "compliant",
        ce::Status::Deficient => "deficient",
        ce::Status::Conditional => "conditional",
    }
}

/// A plain sentence for a credential that cannot be evaluated (never the engine's message).
fn evaluation_problem(e: &ce::EvalError) -> String {
    match e {
        ce::EvalError::Cycle(c) => match c {
            ce::CycleError::MissingBirthDate => {
                "This renewal date depends on your birth date: add it in your CE profile.".into()
            }
            ce::CycleError::MissingLicenceNumber => {
                "This renewal year depends on your licence number (odd numbers renew in odd-numbered years, even numbers in even ones): add it under \"Change the licence number\" below.".into()
            }
            ce::CycleError::AsOfBeforeIssue { .. } => {
                "This credential's issue date is in the future; correct the issue date.".into()
            }
            ce::CycleError::OutOfRange => "We could not work out this credential's renewal period from its issue date; check the issue date, or set the period by hand.".into(),
        },
        ce::EvalError::Allocation(_) => {
            tracing::error!(error = %e, "CE allocation failed");
            "This credential could not be evaluated; we are looking into it.".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sourcing_sentence;

    /// The counts a therapist reads add up to the facts the rule uses, with the verb agreeing.
    #[test]
    fn the_sourcing_sentence_adds_up_for_every_rule() {
        for rule in &crate::domain::ce::rules::builtin_rules().unwrap() {
            let s = sourcing_sentence(rule);
            let c = rule.coverage();
            if s.starts_with("Every fact") {
                assert_eq!(c.primary, c.facts, "{}", rule.id);
                continue;
            }
            let numbers: Vec<usize> = s
                .split(|ch: char| !ch.is_ascii_digit())
                .filter_map(|w| w.parse().ok())
                .collect();
            let (primary, facts, rest) = (numbers[0], numbers[1], &numbers[2..]);
            assert_eq!(facts, c.facts, "{}: {s}", rule.id);
            assert_eq!(
                primary + rest.iter().sum::<usize>(),
                facts,
                "{}: {s}",
                rule.id
            );
            assert!(!s.contains(" 1 are") && !s.contains(" 1 facts"), "{s}");
            assert_eq!(
                s.contains("not confirmed"),
                !rule.provenance.to_verify.is_empty(),
                "{}: {s}",
                rule.id
            );
        }
    }
}
