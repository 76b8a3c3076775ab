//! What evaluating a credential reports: the log and credential it reads, and the report it gives.

use super::*;

/// One logged activity (validated; see `scenario` for the JSON form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Activity {
    /// Caller's id (unique in the log).
    pub id: String,
    /// Course title.
    pub title: String,
    /// Provider name, used with the title to spot repeated courses.
    pub provider: Option<String>,
    /// Course identifier, when known (overrides title/provider for duplicates).
    pub course_id: Option<String>,
    /// Completion date.
    pub completed_on: Date,
    /// Delivery mode.
    pub delivery: Delivery,
    /// Amount, in `unit`.
    pub amount: Hours,
    /// Unit of `amount` and of the topic amounts.
    pub unit: Unit,
    /// Amount per topic (in `unit`); any remainder is untagged.
    pub topics: Vec<(TopicRef, Hours)>,
    /// Approval schemes the course holds.
    pub approvals: Vec<Scheme>,
    /// The member's note on relevance (AMTA), if any.
    pub relevance_note: Option<String>,
}

impl Activity {
    /// Key used to spot the same course taken twice.
    /// Without a course id or a title, the activity is only equal to itself.
    pub fn fingerprint(&self) -> String {
        if let Some(c) = self
            .course_id
            .as_deref()
            .map(normalize)
            .filter(|c| !c.is_empty())
        {
            return format!("course:{c}");
        }
        let title = normalize(&self.title);
        if title.is_empty() {
            return format!("activity:{}", self.id);
        }
        format!(
            "title:{}|{title}",
            normalize(self.provider.as_deref().unwrap_or(""))
        )
    }
}

pub(super) fn normalize(s: &str) -> String {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A non-hour record (CPR card, background check, one-time training).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CredentialItem {
    /// Kind.
    pub kind: ItemKind,
    /// Valid from (or done on).
    pub valid_from: Option<Date>,
    /// Valid until (None = no expiry).
    pub valid_to: Option<Date>,
}

/// A credential held by the person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    /// Rule id.
    pub rule: String,
    /// Issue date.
    pub issued_on: Date,
    /// Licence or certificate number.
    pub number: Option<String>,
    /// Override: is the current cycle the first one?
    pub first_cycle: Option<bool>,
    /// NCBTMB late renewal: the approval date (CE must be dated after it).
    pub late_renewal_approved_on: Option<Date>,
    /// A cycle corrected by hand (start, end, deadline), used instead of the computed one.
    pub cycle_override: Option<(Date, Date, Date)>,
}

/// Everything the evaluator reads besides the rule and the credential.
#[derive(Clone, Copy, Debug)]
pub struct Log<'a> {
    /// Evaluation date.
    pub as_of: Date,
    /// Birth date (for birthday and birth-month deadlines).
    pub birth_date: Option<Date>,
    /// All activities, shared by every credential.
    pub activities: &'a [Activity],
    /// All credential items.
    pub items: &'a [CredentialItem],
    /// The rule ids of every credential the person holds (a rule's `satisfied_by`).
    pub held: &'a [String],
}

/// Overall result for a cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Nothing required this cycle (first cycle, or no CE for this credential).
    Exempt,
    /// Every requirement met.
    Compliant,
    /// Something is missing; see `deficits`.
    Deficient,
    /// Met only if conditionally counted hours are accepted.
    Conditional,
}

/// The cycle in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CycleReport {
    /// First day CE counts.
    pub start: String,
    /// Last day CE counts.
    pub end: String,
    /// Renewal due date.
    pub deadline: String,
    /// Is this the first cycle after issue?
    pub first: bool,
}

/// One requirement's progress. For `once_ever` and `item` requirements the
/// figures count records (1 required, 1 if on record).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RequirementReport {
    /// Requirement id (`total` for the total).
    pub id: String,
    /// `total`, `bucket`, `min`, `extra_min`, `once_ever` or `item`.
    pub kind: &'static str,
    /// Hours required.
    pub required: Hours,
    /// Hours counted.
    pub counted: Hours,
    /// Met?
    pub met: bool,
}

/// Something still needed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeficitReport {
    /// Requirement id.
    pub requirement: String,
    /// Hours still needed (0 for non-hour requirements).
    pub hours: Hours,
    /// What exactly, and by when.
    pub detail: String,
}

/// Hours of an activity that do not count, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExcludedReport {
    /// Activity id.
    pub activity: String,
    /// Hours not counted (in the rule's unit when convertible).
    pub hours: Hours,
    /// Reason code (`out_of_window`, `approval_not_accepted`, `cap:<id>`, …).
    pub reason: String,
    /// Explanation.
    pub detail: String,
}

/// Hours of an activity that count, and toward what.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AllocationReport {
    /// Activity id (or `carry-over`).
    pub activity: String,
    /// Topic of the slice, if tagged.
    pub topic: Option<String>,
    /// Hours.
    pub hours: Hours,
    /// Requirement ids these hours count toward.
    pub counts_for: Vec<String>,
}

/// Hours counted on a condition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConditionReport {
    /// Activity id.
    pub activity: String,
    /// Hours counted conditionally.
    pub hours: Hours,
    /// The condition.
    pub note: String,
}

/// The evaluation of one credential's current cycle.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CredentialReport {
    /// Rule id.
    pub rule: String,
    /// Credential name.
    pub name: String,
    /// Licence number, if given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Rule confidence (`H`, `M`, `L`).
    pub confidence: &'static str,
    /// The cycle evaluated.
    pub cycle: CycleReport,
    /// Status.
    pub status: Status,
    /// Total hours required.
    pub required_hours: Hours,
    /// Hours counted toward the total.
    pub counted_hours: Hours,
    /// Fewest new hours that would clear every hour deficit (one well-chosen
    /// hour can clear several; per-year extras add up).
    pub hours_needed: Hours,
    /// Progress per requirement.
    pub requirements: Vec<RequirementReport>,
    /// What is missing (for `conditional`: what would be missing if the
    /// conditional hours were rejected).
    pub deficits: Vec<DeficitReport>,
    /// Hours not counted, with reasons.
    pub excluded: Vec<ExcludedReport>,
    /// Hours counted, and toward what.
    pub allocations: Vec<AllocationReport>,
    /// Hours counted on a condition.
    pub conditions: Vec<ConditionReport>,
    /// Caveats (rule version, confidence).
    pub warnings: Vec<String>,
    /// The credential whose holding meets this renewal instead of the hours (its name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub met_by: Option<String>,
    /// Its rule id.
    #[serde(skip)]
    pub met_by_rule: Option<String>,
}

/// Why a credential could not be evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// The cycle could not be computed.
    #[error("{0}")]
    Cycle(#[from] CycleError),
    /// The rule's structure is not supported by the allocator (rule files are
    /// checked for this at load, so this indicates a bug).
    #[error("allocation failed: {0}")]
    Allocation(#[from] AllocError),
}
