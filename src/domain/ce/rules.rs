//! Rule files: the data model of a credential's renewal rules, loading from
//! TOML, and validation with errors that name the file and the field.
//! `rules/FORMAT.md` documents the format for the people who write them;
//! [`provenance`] holds the sources, quotes and open questions of a rule, and
//! [`RuleSet`] the loaded files with their versions.
//!
//! One TOML file per credential lives in `rules/` at the crate root and is
//! embedded with `include_str!` (see [`builtin_rules`]). The format:
//!
//! ```toml
//! id = "us-fl-lmt"                  # file stem; `us-XX-lmt`, `ncbtmb-bctmb`, `amta-pro`
//! name = "Florida Licensed Massage Therapist"
//! issuer = "Florida Board of Massage Therapy"
//! jurisdiction = "FL"               # required for us-XX ids
//! credential_kind = "license"       # license | certification | membership
//! confidence = "H"                  # H | M | L
//! status = "draft"                  # draft | published
//! effective = { from = "2023-09-01" }           # cycles ending in [from, to]
//! sources = ["https://…"]
//! to_verify = ["…"]
//! notes = ["…"]
//! deadline = { kind = "fixed", month = 8, day = 31, every_years = 2, parity = "odd" }
//! #   kind = fixed | birth_month_end | birth_month_day (day) | birthday (every_years,
//! #          first_after_months; parity = odd | even | birth_year | licence_number)
//! #   kind = anniversary | anniversary_month_end (months)
//! due = "end"                       # end | first_of_month
//! unit_minutes = 50                 # length of one CE hour
//! conversions = { semester_credit = 15, quarter_credit = 10, ceu = 10 }
//! mode = "partition"                # partition | subset | none
//! total = 24
//! accepted_approvals = ["fl_bmt_provider"]      # empty = any
//! satisfied_by = ["ncbtmb-bctmb"]   # holding one of these credentials meets the CE instead
//! excluded_topics = []
//! no_duplicate = "none"             # none | cycle | all_cycles
//! carry_over = { max_hours = 0 }    # 0 = none
//! backfill_prior_deficit = false
//! late_renewal = "none"             # none | ce_after_approval
//! first_cycle = { kind = "prorated", hours_per_month = 1, includes = { medical_errors = 2 } }
//! #   kind = standard | exempt (keep = [ids]) | prorated
//!
//! [[bucket]]                        # partition mode; `[[min]]` in subset mode
//! id = "classroom"
//! hours = 12
//! select = { delivery = ["in_person_hands_on"] }  # topic / delivery / approval lists
//! label = "…"                       # optional wording for deficits
//! cycles_ending = { from = "…", to = "…" }        # optional: only these cycles
//! # [[min]] may add `within = "<min id>"` (nested minimum)
//! # [[cap]] id, hours, select
//! # [[window_cap]] id, hours, window_hours = 24
//! # [[extra_min]] id, hours, select, per = "cycle" | "cycle_year", counts_toward_total
//! # [[once_ever]] id, select and/or item = "<item kind>"
//! # [[item]] id, kind = "cpr_bls" | "background_check" | …, at = "deadline" | "cycle"
//! # [[conditional]] id, select, note      (counted, but status becomes conditional)
//! # [[excluded_from_total]] id, select, note
//! ```

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;

use serde::Deserialize;
use time::Date;

use super::codes::{Delivery, ItemKind, Jurisdiction, Scheme, TopicRef, Unit};
use super::cycle::{DeadlineRule, Due, Parity, days_in_month, parse_date};
use super::hours::Hours;
use super::selector::{Relation, Selector};

pub mod provenance;
mod ruleset;

pub use provenance::{Cite, Coverage, FactSources, Provenance, Source, Unverified};
pub use ruleset::{RuleSet, builtin};

/// A rule file that could not be loaded. Every variant names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// TOML syntax or shape error (unknown key, wrong type, missing key).
    #[error("rule file {file}: {message}")]
    Parse {
        /// File name.
        file: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A field has a bad value.
    #[error("rule file {file}: field `{field}`: {message}")]
    Field {
        /// File name.
        file: String,
        /// Path of the field, e.g. `min[0].select.topic[1]`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// Two files declare the same id.
    #[error("rule id `{id}` is declared by both {first} and {second}")]
    DuplicateId {
        /// The id.
        id: String,
        /// First file.
        first: String,
        /// Second file.
        second: String,
    },
}

/// How sure we are of a rule (see the reference's source caveat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confidence {
    /// The rule text or the issuer's own page says it.
    High,
    /// Secondary or truncated source, or current version unconfirmed.
    Medium,
    /// Single low-authority source, or sources disagree.
    Low,
}

impl Confidence {
    /// `H`, `M` or `L`.
    pub fn code(self) -> &'static str {
        match self {
            Confidence::High => "H",
            Confidence::Medium => "M",
            Confidence::Low => "L",
        }
    }
}

/// Publication state of a rule file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleStatus {
    /// Not yet checked against the board site.
    Draft,
    /// Checked and frozen.
    Published,
}

/// What kind of credential the rule is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialKind {
    /// State licence.
    License,
    /// Certification (NCBTMB, CAMTC).
    Certification,
    /// Association membership (AMTA).
    Membership,
    /// The jurisdiction does not license massage therapists.
    NoLicense,
}

impl CredentialKind {
    /// Plain wording for lists.
    pub fn label(self) -> &'static str {
        match self {
            CredentialKind::License => "state licence",
            CredentialKind::Certification => "certification",
            CredentialKind::Membership => "membership",
            CredentialKind::NoLicense => "no state licence",
        }
    }
}

/// How hours combine (see [`super::allocate::Mode`]); `None` = no CE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleMode {
    /// The credential has no CE requirement.
    None,
    /// Buckets add up to the total.
    Partition,
    /// Minimums are portions of the total.
    Subset,
}

/// An inclusive date range; open ends are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DateRange {
    /// First day (inclusive).
    pub from: Option<Date>,
    /// Last day (inclusive).
    pub to: Option<Date>,
}

impl DateRange {
    /// Is `d` inside?
    pub fn contains(&self, d: Date) -> bool {
        self.from.is_none_or(|f| d >= f) && self.to.is_none_or(|t| d <= t)
    }

    /// Do the two ranges share a day?
    pub fn overlaps(&self, other: &DateRange) -> bool {
        let starts_before_other_ends = match (self.from, other.to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        let other_starts_before_end = match (other.from, self.to) {
            (Some(f), Some(t)) => f <= t,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_end
    }
}

/// A minimum, cap or bucket on a selected set of hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// Id, unique in the rule.
    pub id: String,
    /// Optional wording for deficits.
    pub label: Option<String>,
    /// Hours required (min, bucket) or allowed (cap).
    pub hours: Hours,
    /// Which hours.
    pub select: Selector,
    /// Only for cycles ending in this range.
    pub applies: DateRange,
    /// For nested minimums: the id of the enclosing minimum.
    pub within: Option<String>,
}

/// At most `hours` in any window of `window_hours` (only 24 h: logs carry
/// dates, so a window is a calendar day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowCap {
    /// Id.
    pub id: String,
    /// Hours allowed per window.
    pub hours: Hours,
    /// Only for cycles ending in this range.
    pub applies: DateRange,
}

/// Period of an [`ExtraMin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Per {
    /// Once per cycle.
    Cycle,
    /// Each year of the cycle.
    CycleYear,
}

/// Hours required per period, on top of (or inside) the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraMin {
    /// Id.
    pub id: String,
    /// Wording.
    pub label: Option<String>,
    /// Hours per period.
    pub hours: Hours,
    /// Which hours.
    pub select: Selector,
    /// Period.
    pub per: Per,
    /// Do these hours also count toward the total?
    pub counts_toward_total: bool,
    /// Only for cycles ending in this range.
    pub applies: DateRange,
}

/// Something that must have been done once, ever.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnceEver {
    /// Id.
    pub id: String,
    /// Wording.
    pub label: Option<String>,
    /// Activities that satisfy it, if any.
    pub select: Option<Selector>,
    /// A credential item that satisfies it, if any.
    pub item: Option<ItemKind>,
    /// Only for cycles ending in this range.
    pub applies: DateRange,
}

/// When a credential item must be valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemAt {
    /// Valid on the deadline.
    Deadline,
    /// Obtained during the cycle.
    Cycle,
}

/// A non-hour requirement (CPR/BLS card, background check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRequirement {
    /// Id.
    pub id: String,
    /// Wording.
    pub label: Option<String>,
    /// Kind of item.
    pub kind: ItemKind,
    /// When it must be valid.
    pub at: ItemAt,
    /// Only for cycles ending in this range.
    pub applies: DateRange,
}

/// Hours matched by a selector with a note (conditional or excluded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotedSelector {
    /// Id.
    pub id: String,
    /// Which hours.
    pub select: Selector,
    /// Explanation shown to the user.
    pub note: String,
}

/// First-cycle treatment (§3.2 `first_cycle`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirstCycle {
    /// Same rules as any cycle.
    Standard,
    /// No CE, except the requirements listed in `keep`; with
    /// `licensed_within_months`, only when the credential was issued within
    /// that many months before the deadline (MD: 12).
    Exempt {
        /// Ids still required in the first cycle.
        keep: Vec<String>,
        /// Exempt only if issued this close to the deadline.
        licensed_within_months: Option<u32>,
    },
    /// A fixed smaller total at the first renewal, keeping the listed
    /// minimums (buckets are dropped in favour of the total).
    Reduced {
        /// The first-renewal total.
        total: Hours,
        /// Ids of minimums, extra minimums, once-ever and item requirements
        /// still required.
        keep: Vec<String>,
    },
    /// Total = hours per month or part-month; `includes` keep these
    /// buckets/minimums with the given hours; the rest may be any CE.
    Prorated {
        /// Hours per month.
        hours_per_month: Hours,
        /// Requirement id → hours, within the prorated total.
        includes: Vec<(String, Hours)>,
    },
}

/// Which earlier activities make an activity a duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateScope {
    /// Repeats are allowed.
    None,
    /// The same course twice in one cycle counts once.
    Cycle,
    /// A course counts once, ever.
    AllCycles,
}

/// Late-renewal rule (NCBTMB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LateRenewal {
    /// No special rule.
    None,
    /// CE must be dated after the late-renewal approval date.
    CeAfterApproval,
}

/// Hour units and conversions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitPolicy {
    /// Minutes in one CE hour (50 for most boards).
    pub unit_minutes: u32,
    /// Hours per unit for academic units.
    pub conversions: Vec<(Unit, Hours)>,
}

impl UnitPolicy {
    /// Converts an amount stated in `unit` into this rule's CE hours.
    /// `None` when the rule has no conversion for the unit.
    pub fn convert(&self, amount: Hours, unit: Unit) -> Option<Hours> {
        let m = i64::from(self.unit_minutes.max(1));
        match unit {
            Unit::CeHour => Some(amount),
            Unit::ClockHour => Some(amount.scale(60, m)),
            Unit::Minute => Some(amount.scale(1, m)),
            other => self
                .conversions
                .iter()
                .find(|(u, _)| *u == other)
                .map(|(_, per)| amount.scale(per.centi(), 100)),
        }
    }
}

/// A credential's renewal rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Id (`us-fl-lmt`).
    pub id: String,
    /// File it was loaded from.
    pub file: String,
    /// Credential name.
    pub name: String,
    /// Issuer.
    pub issuer: String,
    /// Jurisdiction, for state licences.
    pub jurisdiction: Option<Jurisdiction>,
    /// Licence, certification or membership.
    pub credential_kind: CredentialKind,
    /// Confidence.
    pub confidence: Confidence,
    /// Draft or published.
    pub status: RuleStatus,
    /// Cycles (by end date) this version is written for.
    pub effective: DateRange,
    /// Former ids that resolve to this rule.
    pub aliases: Vec<String>,
    /// Sources, quotes and open questions.
    pub provenance: Provenance,
    /// Free notes (what is not modelled).
    pub notes: Vec<String>,
    /// Deadline layout.
    pub deadline: DeadlineRule,
    /// Due date relative to the cycle end.
    pub due: Due,
    /// Units.
    pub units: UnitPolicy,
    /// How hours combine.
    pub mode: RuleMode,
    /// Total hours.
    pub total: Hours,
    /// Approval schemes accepted (empty = any).
    pub accepted_approvals: Vec<Scheme>,
    /// Other credentials (rule ids) whose holding meets this renewal's CE by itself (VA: current
    /// NCBTMB certification, 18VAC90-50-75 A 1).
    pub satisfied_by: Vec<String>,
    /// Topics that never count.
    pub excluded_topics: Vec<TopicRef>,
    /// Duplicate rule.
    pub no_duplicate: DuplicateScope,
    /// Carry-over allowance (zero = none).
    pub carry_over_max: Hours,
    /// Late-renewal rule.
    pub late_renewal: LateRenewal,
    /// First-cycle rule.
    pub first_cycle: FirstCycle,
    /// Partition buckets.
    pub buckets: Vec<Requirement>,
    /// Subset minimums.
    pub mins: Vec<Requirement>,
    /// Caps.
    pub caps: Vec<Requirement>,
    /// Per-window caps.
    pub window_caps: Vec<WindowCap>,
    /// Extra per-period minimums.
    pub extra_mins: Vec<ExtraMin>,
    /// Once-ever requirements.
    pub once_ever: Vec<OnceEver>,
    /// Non-hour requirements.
    pub items: Vec<ItemRequirement>,
    /// Hours counted only conditionally (status `conditional`).
    pub conditionals: Vec<NotedSelector>,
    /// Hours that never count toward the total.
    pub excluded_from_total: Vec<NotedSelector>,
}

mod checks;
mod context;
mod parse;
mod raw;
pub use checks::internal_code;
use checks::*;
use context::*;
use parse::*;
use raw::*;

/// Parses and validates one rule file. `file` is the file name (its stem must
/// equal the rule id, optionally followed by `@<version label>`).
pub fn parse_rule(file: &str, text: &str) -> Result<Rule, RuleError> {
    parse_rule_with(file, text, true)
}

/// Engine fixtures for the evaluator's own tests: the rules as surveyed before
/// they were sourced (`src/domain/ce/testdata/`), loaded without the
/// provenance requirement. Never shipped.
#[cfg(test)]
pub fn fixtures() -> RuleSet {
    macro_rules! files {
        ($($name:literal),*) => { [$(($name, include_str!(concat!("testdata/", $name)))),*] };
    }
    let files = files!(
        "amta-pro.toml",
        "ncbtmb-bctmb.toml",
        "us-ca-lmt.toml",
        "us-fl-lmt.toml",
        "us-ga-lmt.toml",
        "us-il-lmt.toml",
        "us-md-lmt.toml",
        "us-mi-lmt.toml",
        "us-nc-lmt.toml",
        "us-nm-lmt.toml",
        "us-ny-lmt.toml",
        "us-oh-lmt.toml",
        "us-or-lmt.toml",
        "us-pa-lmt.toml",
        "us-sc-lmt.toml",
        "us-tx-lmt.toml",
        "us-wa-lmt.toml",
        "us-wi-lmt.toml"
    );
    let rules = files
        .iter()
        .map(|(f, t)| parse_rule_with(f, t, false))
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
    RuleSet::new(rules).unwrap_or_else(|e| panic!("{e}"))
}

impl Rule {
    /// Every approval scheme the rule names: the accepted list and those its requirements select
    /// (the approving bodies a therapist holding this credential may need to record).
    pub fn schemes_named(&self) -> Vec<Scheme> {
        let selectors = self
            .buckets
            .iter()
            .chain(&self.mins)
            .chain(&self.caps)
            .map(|r| &r.select)
            .chain(self.extra_mins.iter().map(|r| &r.select))
            .chain(self.once_ever.iter().filter_map(|r| r.select.as_ref()))
            .chain(self.conditionals.iter().map(|r| &r.select))
            .chain(self.excluded_from_total.iter().map(|r| &r.select));
        let mut out = self.accepted_approvals.clone();
        for s in selectors.filter_map(|s| s.approvals.as_ref()).flatten() {
            if !out.contains(s) {
                out.push(*s);
            }
        }
        out
    }

    /// The facts this rule asserts, as the keys citations use: `regulated`
    /// (no CE), `deadline`, `total`, each requirement as `<section>:<id>`,
    /// and the optional settings when they differ from the default.
    pub fn facts(&self) -> Vec<String> {
        let mut f = Vec::new();
        if self.mode == RuleMode::None {
            f.push("regulated".to_string());
            return f;
        }
        f.push("deadline".into());
        f.push("total".into());
        if !matches!(self.first_cycle, FirstCycle::Standard) {
            f.push("first_cycle".into());
        }
        if !self.carry_over_max.is_zero() {
            f.push("carry_over".into());
        }
        if !self.satisfied_by.is_empty() {
            f.push("satisfied_by".into());
        }
        if !self.accepted_approvals.is_empty() {
            f.push("accepted_approvals".into());
        }
        if !self.excluded_topics.is_empty() {
            f.push("excluded_topics".into());
        }
        if self.no_duplicate != DuplicateScope::None {
            f.push("no_duplicate".into());
        }
        if self.late_renewal != LateRenewal::None {
            f.push("late_renewal".into());
        }
        f.extend(self.requirement_keys());
        f
    }

    /// `<section>:<id>` for every requirement, in file order.
    pub fn requirement_keys(&self) -> Vec<String> {
        let k = |sec: &str, id: &str| format!("{sec}:{id}");
        let mut f = Vec::new();
        f.extend(self.buckets.iter().map(|r| k("bucket", &r.id)));
        f.extend(self.mins.iter().map(|r| k("min", &r.id)));
        f.extend(self.caps.iter().map(|r| k("cap", &r.id)));
        f.extend(self.window_caps.iter().map(|r| k("window_cap", &r.id)));
        f.extend(self.extra_mins.iter().map(|r| k("extra_min", &r.id)));
        f.extend(self.once_ever.iter().map(|r| k("once_ever", &r.id)));
        f.extend(self.items.iter().map(|r| k("item", &r.id)));
        f.extend(self.conditionals.iter().map(|r| k("conditional", &r.id)));
        f.extend(
            self.excluded_from_total
                .iter()
                .map(|r| k("excluded_from_total", &r.id)),
        );
        f
    }

    /// The fact key of a requirement id as the evaluator reports it (`total`
    /// or the id of a bucket, minimum, extra minimum, once-ever or item).
    pub fn fact_of_requirement(&self, id: &str) -> Option<String> {
        if id == "total" {
            return Some("total".into());
        }
        self.requirement_keys()
            .into_iter()
            .find(|k| k.split_once(':').is_some_and(|(_, rid)| rid == id))
    }

    /// Counts of primary-sourced, secondary-only and unverified facts.
    pub fn coverage(&self) -> Coverage {
        self.provenance
            .coverage(&provenance::counted_facts(&self.facts(), &self.provenance))
    }

    /// Plain kind for lists: licence with CE, licence without CE, no state
    /// licence, certification, membership.
    pub fn kind_label(&self) -> &'static str {
        match (self.credential_kind, self.mode) {
            (CredentialKind::License, RuleMode::None) => "licence without CE",
            (CredentialKind::License, _) => "licence with CE",
            (k, _) => k.label(),
        }
    }

    /// Code of [`Rule::kind_label`] for JSON.
    pub fn kind_code(&self) -> &'static str {
        match (self.credential_kind, self.mode) {
            (CredentialKind::License, RuleMode::None) => "license_without_ce",
            (CredentialKind::License, _) => "license_with_ce",
            (CredentialKind::NoLicense, _) => "no_state_license",
            (CredentialKind::Certification, _) => "certification",
            (CredentialKind::Membership, _) => "membership",
        }
    }
}

/// Parses rule files (name, text). Versions of one id must not overlap in
/// the cycles they describe; see [`RuleSet`] for lookups.
pub fn parse_rules<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Rule>, RuleError> {
    let mut out: Vec<Rule> = Vec::new();
    for (file, text) in files {
        let rule = parse_rule(file, text)?;
        if let Some(prev) = out
            .iter()
            .find(|r| r.id == rule.id && r.effective.overlaps(&rule.effective))
        {
            return Err(RuleError::DuplicateId {
                id: rule.id,
                first: prev.file.clone(),
                second: file.to_string(),
            });
        }
        out.push(rule);
    }
    Ok(out)
}

/// All rule files embedded in the crate, validated (every version).
pub fn builtin_rules() -> Result<Vec<Rule>, RuleError> {
    builtin().map(|set| set.all().to_vec())
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, confidence {})",
            self.id,
            self.name,
            self.confidence.code()
        )
    }
}

/// Is the topic on the rule's excluded list?
pub fn topic_excluded(rule: &Rule, topic: &TopicRef) -> bool {
    rule.excluded_topics.iter().any(|x| x.covers(topic))
}

#[cfg(test)]
mod tests;
