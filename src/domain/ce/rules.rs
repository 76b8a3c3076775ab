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
//! #   kind = fixed | birth_month_end | birthday (every_years, first_after_months)
//! #   kind = anniversary (months)
//! due = "end"                       # end | first_of_month
//! unit_minutes = 50                 # length of one CE hour
//! conversions = { semester_credit = 15, quarter_credit = 10, ceu = 10 }
//! mode = "partition"                # partition | subset | none
//! total = 24
//! accepted_approvals = ["fl_bmt_provider"]      # empty = any
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

// ---------------------------------------------------------------------------
// Raw TOML shapes

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    issuer: String,
    #[serde(default)]
    jurisdiction: Option<String>,
    credential_kind: String,
    confidence: String,
    #[serde(default)]
    status: Option<String>,
    effective: RawRange,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    source: Vec<provenance::RawSource>,
    #[serde(default)]
    cite: Vec<provenance::RawCite>,
    #[serde(default)]
    to_verify: Vec<provenance::RawUnverified>,
    #[serde(default)]
    notes: Vec<String>,
    deadline: RawDeadline,
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    unit_minutes: Option<i64>,
    #[serde(default)]
    conversions: BTreeMap<String, f64>,
    mode: String,
    #[serde(default)]
    total: Option<f64>,
    #[serde(default)]
    accepted_approvals: Vec<String>,
    #[serde(default)]
    excluded_topics: Vec<String>,
    #[serde(default)]
    no_duplicate: Option<String>,
    carry_over: RawCarry,
    #[serde(default)]
    backfill_prior_deficit: bool,
    #[serde(default)]
    late_renewal: Option<String>,
    #[serde(default)]
    first_cycle: Option<RawFirstCycle>,
    #[serde(default)]
    bucket: Vec<RawReq>,
    #[serde(default)]
    min: Vec<RawReq>,
    #[serde(default)]
    cap: Vec<RawReq>,
    #[serde(default)]
    window_cap: Vec<RawWindowCap>,
    #[serde(default)]
    extra_min: Vec<RawExtraMin>,
    #[serde(default)]
    once_ever: Vec<RawOnceEver>,
    #[serde(default)]
    item: Vec<RawItem>,
    #[serde(default)]
    conditional: Vec<RawNoted>,
    #[serde(default)]
    excluded_from_total: Vec<RawNoted>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRange {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    kind: String,
    #[serde(default)]
    month: Option<i64>,
    #[serde(default)]
    day: Option<i64>,
    #[serde(default)]
    every_years: Option<i64>,
    #[serde(default)]
    parity: Option<String>,
    #[serde(default)]
    first_after_months: Option<i64>,
    #[serde(default)]
    months: Option<i64>,
    #[serde(default)]
    anchor_year: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCarry {
    max_hours: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFirstCycle {
    kind: String,
    #[serde(default)]
    keep: Option<Vec<String>>,
    #[serde(default)]
    hours_per_month: Option<f64>,
    #[serde(default)]
    includes: Option<BTreeMap<String, f64>>,
    #[serde(default)]
    licensed_within_months: Option<i64>,
    #[serde(default)]
    total: Option<f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSelect {
    #[serde(default)]
    topic: Option<Vec<String>>,
    #[serde(default)]
    delivery: Option<Vec<String>>,
    #[serde(default)]
    approval: Option<Vec<String>>,
    #[serde(default)]
    not_topic: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReq {
    id: String,
    hours: f64,
    #[serde(default)]
    select: RawSelect,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    within: Option<String>,
    #[serde(default)]
    cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindowCap {
    id: String,
    hours: f64,
    window_hours: i64,
    #[serde(default)]
    cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtraMin {
    id: String,
    hours: f64,
    select: RawSelect,
    per: String,
    counts_toward_total: bool,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOnceEver {
    id: String,
    #[serde(default)]
    select: Option<RawSelect>,
    #[serde(default)]
    item: Option<String>,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    kind: String,
    at: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    cycles_ending: Option<RawRange>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNoted {
    id: String,
    select: RawSelect,
    note: String,
}

// ---------------------------------------------------------------------------
// Validation

struct Ctx<'a> {
    file: &'a str,
}

impl Ctx<'_> {
    fn err(&self, field: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError::Field {
            file: self.file.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }

    fn hours(&self, field: &str, v: f64) -> Result<Hours, RuleError> {
        Hours::from_f64(v).ok_or_else(|| {
            self.err(
                field,
                format!("{v} is not a number of hours between 0 and 10000"),
            )
        })
    }

    fn date(&self, field: &str, s: &str) -> Result<Date, RuleError> {
        parse_date(s).ok_or_else(|| self.err(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
    }

    fn range(&self, field: &str, r: &RawRange) -> Result<DateRange, RuleError> {
        let from = r
            .from
            .as_deref()
            .map(|s| self.date(&format!("{field}.from"), s))
            .transpose()?;
        let to =
            r.to.as_deref()
                .map(|s| self.date(&format!("{field}.to"), s))
                .transpose()?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(self.err(field, "`from` is after `to`"));
        }
        Ok(DateRange { from, to })
    }

    fn opt_range(&self, field: &str, r: &Option<RawRange>) -> Result<DateRange, RuleError> {
        match r {
            Some(r) => self.range(&format!("{field}.cycles_ending"), r),
            None => Ok(DateRange::default()),
        }
    }

    fn id(&self, field: &str, id: &str) -> Result<String, RuleError> {
        let ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(self.err(
                field,
                format!("`{id}` must be lowercase letters, digits and `_`"),
            ));
        }
        if id == "total" {
            return Err(self.err(field, "`total` is reserved"));
        }
        Ok(id.to_string())
    }

    fn non_empty_list<T>(&self, field: &str, v: &[T]) -> Result<(), RuleError> {
        if v.is_empty() {
            Err(self.err(
                field,
                "must not be an empty list (leave it out to mean any)",
            ))
        } else {
            Ok(())
        }
    }

    fn select(&self, field: &str, raw: &RawSelect) -> Result<Selector, RuleError> {
        let topics = match &raw.topic {
            None => None,
            Some(list) => {
                self.non_empty_list(&format!("{field}.topic"), list)?;
                let mut out = Vec::new();
                for (i, t) in list.iter().enumerate() {
                    out.push(
                        TopicRef::parse(t)
                            .map_err(|e| self.err(format!("{field}.topic[{i}]"), e.to_string()))?,
                    );
                }
                Some(out)
            }
        };
        let delivery = match &raw.delivery {
            None => None,
            Some(list) => {
                self.non_empty_list(&format!("{field}.delivery"), list)?;
                let mut out = Vec::new();
                for (i, d) in list.iter().enumerate() {
                    out.push(Delivery::from_code(d).ok_or_else(|| {
                        self.err(
                            format!("{field}.delivery[{i}]"),
                            format!(
                                "unknown delivery `{d}` (known: {})",
                                Delivery::known_codes()
                            ),
                        )
                    })?);
                }
                Some(out)
            }
        };
        let approvals = match &raw.approval {
            None => None,
            Some(list) => {
                self.non_empty_list(&format!("{field}.approval"), list)?;
                Some(self.schemes(&format!("{field}.approval"), list)?)
            }
        };
        let not_topics = match &raw.not_topic {
            None => None,
            Some(list) => {
                self.non_empty_list(&format!("{field}.not_topic"), list)?;
                Some(self.topics(&format!("{field}.not_topic"), list)?)
            }
        };
        Ok(Selector {
            topics,
            delivery,
            approvals,
            not_topics,
        })
    }

    fn topics(&self, field: &str, list: &[String]) -> Result<Vec<TopicRef>, RuleError> {
        list.iter()
            .enumerate()
            .map(|(i, t)| {
                TopicRef::parse(t).map_err(|e| self.err(format!("{field}[{i}]"), e.to_string()))
            })
            .collect()
    }

    fn schemes(&self, field: &str, list: &[String]) -> Result<Vec<Scheme>, RuleError> {
        list.iter()
            .enumerate()
            .map(|(i, s)| {
                Scheme::parse(s).ok_or_else(|| {
                    self.err(
                        format!("{field}[{i}]"),
                        format!(
                            "unknown approval scheme `{s}` (known: {})",
                            Scheme::known_codes()
                        ),
                    )
                })
            })
            .collect()
    }

    fn one_of<T: Copy>(
        &self,
        field: &str,
        value: &str,
        options: &[(&str, T)],
    ) -> Result<T, RuleError> {
        options
            .iter()
            .find(|(k, _)| *k == value)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(k, _)| *k).collect();
                self.err(
                    field,
                    format!("`{value}` is not one of: {}", names.join(", ")),
                )
            })
    }
}

fn deadline(c: &Ctx<'_>, d: &RawDeadline) -> Result<DeadlineRule, RuleError> {
    let unused = |name: &str, present: bool| -> Result<(), RuleError> {
        if present {
            Err(c.err(
                format!("deadline.{name}"),
                format!("not used by kind = \"{}\"", d.kind),
            ))
        } else {
            Ok(())
        }
    };
    let every_years = || -> Result<u8, RuleError> {
        let v = d
            .every_years
            .ok_or_else(|| c.err("deadline.every_years", "required for this kind"))?;
        u8::try_from(v)
            .ok()
            .filter(|v| (1..=10).contains(v))
            .ok_or_else(|| {
                c.err(
                    "deadline.every_years",
                    format!("{v} is not between 1 and 10"),
                )
            })
    };
    let parity = |every: u8| -> Result<Option<Parity>, RuleError> {
        if let Some(anchor) = d.anchor_year {
            if d.parity.is_some() {
                return Err(c.err("deadline.anchor_year", "give either parity or anchor_year"));
            }
            let anchor = i32::try_from(anchor)
                .ok()
                .filter(|y| (1950..=2100).contains(y))
                .ok_or_else(|| {
                    c.err(
                        "deadline.anchor_year",
                        format!("{anchor} is not a year between 1950 and 2100"),
                    )
                })?;
            return Ok(Some(Parity::Every { anchor, every }));
        }
        let p = match d.parity.as_deref() {
            None => return Ok(None),
            Some(p) => c.one_of(
                "deadline.parity",
                p,
                &[("odd", Parity::Odd), ("even", Parity::Even)],
            )?,
        };
        if every != 2 {
            return Err(c.err("deadline.parity", "year parity needs every_years = 2"));
        }
        Ok(Some(p))
    };
    let first_after = || -> Result<u32, RuleError> {
        let v = d.first_after_months.unwrap_or(0);
        u32::try_from(v).ok().filter(|v| *v <= 120).ok_or_else(|| {
            c.err(
                "deadline.first_after_months",
                format!("{v} is not between 0 and 120"),
            )
        })
    };
    match d.kind.as_str() {
        "fixed" => {
            unused("months", d.months.is_some())?;
            let month = d
                .month
                .and_then(|m| u8::try_from(m).ok())
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| c.err("deadline.month", "required, 1 to 12"))?;
            let max_day = time::Month::try_from(month)
                .map(|m| days_in_month(2024, m))
                .unwrap_or(31);
            let day = d
                .day
                .and_then(|x| u8::try_from(x).ok())
                .filter(|x| (1..=max_day).contains(x))
                .ok_or_else(|| {
                    c.err(
                        "deadline.day",
                        format!("required, 1 to {max_day} for month {month}"),
                    )
                })?;
            let every = every_years()?;
            Ok(DeadlineRule::Fixed {
                month,
                day,
                every_years: every,
                parity: parity(every)?,
                first_after_months: first_after()?,
            })
        }
        "birth_month_end" => {
            unused("months", d.months.is_some())?;
            unused("month", d.month.is_some())?;
            unused("day", d.day.is_some())?;
            let every = every_years()?;
            Ok(DeadlineRule::BirthMonthEnd {
                every_years: every,
                parity: parity(every)?,
                first_after_months: first_after()?,
            })
        }
        "birthday" => {
            unused("months", d.months.is_some())?;
            unused("month", d.month.is_some())?;
            unused("day", d.day.is_some())?;
            unused("parity", d.parity.is_some())?;
            unused("anchor_year", d.anchor_year.is_some())?;
            Ok(DeadlineRule::Birthday {
                every_years: every_years()?,
                first_after_months: first_after()?,
            })
        }
        "anniversary" => {
            for (name, present) in [
                ("month", d.month.is_some()),
                ("day", d.day.is_some()),
                ("every_years", d.every_years.is_some()),
                ("parity", d.parity.is_some()),
                ("first_after_months", d.first_after_months.is_some()),
                ("anchor_year", d.anchor_year.is_some()),
            ] {
                unused(name, present)?;
            }
            let months = d
                .months
                .and_then(|m| u32::try_from(m).ok())
                .filter(|m| (1..=120).contains(m))
                .ok_or_else(|| c.err("deadline.months", "required, 1 to 120"))?;
            Ok(DeadlineRule::Anniversary { months })
        }
        other => Err(c.err(
            "deadline.kind",
            format!("`{other}` is not one of: fixed, birth_month_end, birthday, anniversary"),
        )),
    }
}

/// A constraint for the structural (laminarity) check.
enum Shape<'a> {
    Sel(&'a Selector),
    Day,
}

fn shape_relation(a: &Shape<'_>, b: &Shape<'_>) -> Relation {
    match (a, b) {
        (Shape::Sel(x), Shape::Sel(y)) => x.relation(y),
        (Shape::Day, Shape::Day) => Relation::Within,
        (Shape::Day, Shape::Sel(s)) => {
            if s.is_any() {
                Relation::Within
            } else {
                Relation::Crossing
            }
        }
        (Shape::Sel(s), Shape::Day) => {
            if s.is_any() {
                Relation::Contains
            } else {
                Relation::Crossing
            }
        }
    }
}

/// Checks that the constraints split into two families that are each
/// nested-or-disjoint for every possible log (what the allocator needs).
fn check_two_families(c: &Ctx<'_>, items: &[(String, Shape<'_>)]) -> Result<(), RuleError> {
    let n = items.len();
    let mut adj = vec![Vec::new(); n];
    for a in 0..n {
        for b in a + 1..n {
            if shape_relation(&items[a].1, &items[b].1) == Relation::Crossing {
                adj[a].push(b);
                adj[b].push(a);
            }
        }
    }
    let mut colour: Vec<Option<bool>> = vec![None; n];
    for start in 0..n {
        if colour[start].is_some() {
            continue;
        }
        colour[start] = Some(false);
        let mut q = VecDeque::from([start]);
        while let Some(u) = q.pop_front() {
            let cu = colour[u].unwrap_or(false);
            for &v in &adj[u] {
                match colour[v] {
                    None => {
                        colour[v] = Some(!cu);
                        q.push_back(v);
                    }
                    Some(cv) if cv == cu => {
                        return Err(c.err(
                            items[v].0.clone(),
                            format!(
                                "overlaps `{}` without nesting, and with the other overlapping minimums/caps \
                                 the rule cannot be split into two nested-or-disjoint families; \
                                 the allocator supports at most two crossing families",
                                items[u].0
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    Ok(())
}

fn requirement(
    c: &Ctx<'_>,
    field: &str,
    r: &RawReq,
    allow_within: bool,
) -> Result<Requirement, RuleError> {
    let id = c.id(&format!("{field}.id"), &r.id)?;
    if r.within.is_some() && !allow_within {
        return Err(c.err(
            format!("{field}.within"),
            "only minimums can be nested with `within`",
        ));
    }
    Ok(Requirement {
        id,
        label: r.label.clone(),
        hours: c.hours(&format!("{field}.hours"), r.hours)?,
        select: c.select(&format!("{field}.select"), &r.select)?,
        applies: c.opt_range(field, &r.cycles_ending)?,
        within: r.within.clone(),
    })
}

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

/// The parts of a rule file that name it: jurisdiction, kind, confidence,
/// status, the cycles it is written for, and former ids.
struct Identity {
    jurisdiction: Option<Jurisdiction>,
    credential_kind: CredentialKind,
    confidence: Confidence,
    status: RuleStatus,
    effective: DateRange,
}

fn identity(c: &Ctx<'_>, raw: &RawRule, file: &str) -> Result<Identity, RuleError> {
    let stem = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".toml");
    let (stem, version_label) = match stem.split_once('@') {
        Some((id, label)) => (id, Some(label)),
        None => (stem, None),
    };
    if version_label
        .is_some_and(|l| l.is_empty() || !l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    {
        return Err(c.err(
            "id",
            format!("the version label in `{file}` must be letters, digits and `-`"),
        ));
    }
    if raw.id != stem {
        return Err(c.err(
            "id",
            format!("`{}` does not match the file name `{stem}`", raw.id),
        ));
    }
    let id_ok = !raw.id.is_empty()
        && raw
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(c.err(
            "id",
            format!("`{}` must be lowercase letters, digits and `-`", raw.id),
        ));
    }
    let jurisdiction = raw
        .jurisdiction
        .as_deref()
        .map(|j| {
            Jurisdiction::parse(j)
                .ok_or_else(|| c.err("jurisdiction", format!("`{j}` is not two capital letters")))
        })
        .transpose()?;
    if let Some(rest) = raw.id.strip_prefix("us-") {
        let parts: Vec<&str> = rest.split('-').collect();
        let state_ok = parts.len() == 2 && parts[0].len() == 2 && !parts[1].is_empty();
        if !state_ok {
            return Err(c.err(
                "id",
                format!(
                    "state rule ids look like `us-fl-lmt` or `us-mn-none`, not `{}`",
                    raw.id
                ),
            ));
        }
        let expected = parts[0].to_ascii_uppercase();
        if jurisdiction.map(|j| j.to_string()) != Some(expected.clone()) {
            return Err(c.err(
                "jurisdiction",
                format!("must be \"{expected}\" for rule `{}`", raw.id),
            ));
        }
    }
    for (field, v) in [("name", &raw.name), ("issuer", &raw.issuer)] {
        if v.trim().is_empty() {
            return Err(c.err(field, "must not be empty"));
        }
    }
    let credential_kind = c.one_of(
        "credential_kind",
        &raw.credential_kind,
        &[
            ("license", CredentialKind::License),
            ("certification", CredentialKind::Certification),
            ("membership", CredentialKind::Membership),
            ("no_license", CredentialKind::NoLicense),
        ],
    )?;
    let confidence = c.one_of(
        "confidence",
        &raw.confidence,
        &[
            ("H", Confidence::High),
            ("M", Confidence::Medium),
            ("L", Confidence::Low),
        ],
    )?;
    let status = c.one_of(
        "status",
        raw.status.as_deref().unwrap_or("draft"),
        &[
            ("draft", RuleStatus::Draft),
            ("published", RuleStatus::Published),
        ],
    )?;
    let effective = c.range("effective", &raw.effective)?;
    if effective.from.is_none() {
        return Err(c.err("effective.from", "required"));
    }
    for (i, a) in raw.aliases.iter().enumerate() {
        if a == &raw.id
            || a.is_empty()
            || !a
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(c.err(
                format!("aliases[{i}]"),
                format!("`{a}` is not a former id of this rule"),
            ));
        }
    }

    Ok(Identity {
        jurisdiction,
        credential_kind,
        confidence,
        status,
        effective,
    })
}

fn calendar(c: &Ctx<'_>, raw: &RawRule) -> Result<(DeadlineRule, Due), RuleError> {
    let deadline = deadline(c, &raw.deadline)?;
    let due = c.one_of(
        "due",
        raw.due.as_deref().unwrap_or("end"),
        &[("end", Due::End), ("first_of_month", Due::FirstOfMonth)],
    )?;

    Ok((deadline, due))
}

fn units(c: &Ctx<'_>, raw: &RawRule) -> Result<UnitPolicy, RuleError> {
    let unit_minutes = raw.unit_minutes.unwrap_or(50);
    let unit_minutes = u32::try_from(unit_minutes)
        .ok()
        .filter(|m| (1..=120).contains(m))
        .ok_or_else(|| {
            c.err(
                "unit_minutes",
                format!("{unit_minutes} is not between 1 and 120"),
            )
        })?;
    let mut conversions = Vec::new();
    for (k, v) in &raw.conversions {
        let field = format!("conversions.{k}");
        let unit = Unit::parse(k).ok_or_else(|| {
            c.err(
                &field,
                format!("unknown unit (known: {})", Unit::known_codes()),
            )
        })?;
        if !unit.needs_rule_conversion() {
            return Err(c.err(
                &field,
                "hours, clock hours and minutes convert through unit_minutes",
            ));
        }
        let per = c.hours(&field, *v)?;
        if per.is_zero() {
            return Err(c.err(&field, "must be more than 0"));
        }
        conversions.push((unit, per));
    }

    Ok(UnitPolicy {
        unit_minutes,
        conversions,
    })
}

/// How hours combine and which count at all.
struct Settings {
    mode: RuleMode,
    total: Hours,
    accepted_approvals: Vec<Scheme>,
    excluded_topics: Vec<TopicRef>,
    no_duplicate: DuplicateScope,
    carry_over_max: Hours,
    late_renewal: LateRenewal,
}

fn settings(c: &Ctx<'_>, raw: &RawRule) -> Result<Settings, RuleError> {
    let mode = c.one_of(
        "mode",
        &raw.mode,
        &[
            ("none", RuleMode::None),
            ("partition", RuleMode::Partition),
            ("subset", RuleMode::Subset),
        ],
    )?;
    let total = c.hours("total", raw.total.unwrap_or(0.0))?;
    let accepted_approvals = c.schemes("accepted_approvals", &raw.accepted_approvals)?;
    let excluded_topics = raw
        .excluded_topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            TopicRef::parse(t).map_err(|e| c.err(format!("excluded_topics[{i}]"), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let no_duplicate = c.one_of(
        "no_duplicate",
        raw.no_duplicate.as_deref().unwrap_or("none"),
        &[
            ("none", DuplicateScope::None),
            ("cycle", DuplicateScope::Cycle),
            ("all_cycles", DuplicateScope::AllCycles),
        ],
    )?;
    let carry_over_max = c.hours("carry_over.max_hours", raw.carry_over.max_hours)?;
    if raw.backfill_prior_deficit {
        return Err(c.err(
            "backfill_prior_deficit",
            "backfilling a prior cycle's deficit is not supported by this engine yet",
        ));
    }
    let late_renewal = c.one_of(
        "late_renewal",
        raw.late_renewal.as_deref().unwrap_or("none"),
        &[
            ("none", LateRenewal::None),
            ("ce_after_approval", LateRenewal::CeAfterApproval),
        ],
    )?;

    Ok(Settings {
        mode,
        total,
        accepted_approvals,
        excluded_topics,
        no_duplicate,
        carry_over_max,
        late_renewal,
    })
}

/// Every requirement of a file, by section.
struct Requirements {
    buckets: Vec<Requirement>,
    mins: Vec<Requirement>,
    caps: Vec<Requirement>,
    window_caps: Vec<WindowCap>,
    extra_mins: Vec<ExtraMin>,
    once_ever: Vec<OnceEver>,
    items: Vec<ItemRequirement>,
    conditionals: Vec<NotedSelector>,
    excluded_from_total: Vec<NotedSelector>,
}

fn requirements(c: &Ctx<'_>, raw: &RawRule) -> Result<Requirements, RuleError> {
    let buckets = raw
        .bucket
        .iter()
        .enumerate()
        .map(|(i, r)| requirement(c, &format!("bucket[{i}]"), r, false))
        .collect::<Result<Vec<_>, _>>()?;
    let mins = raw
        .min
        .iter()
        .enumerate()
        .map(|(i, r)| requirement(c, &format!("min[{i}]"), r, true))
        .collect::<Result<Vec<_>, _>>()?;
    let caps = raw
        .cap
        .iter()
        .enumerate()
        .map(|(i, r)| requirement(c, &format!("cap[{i}]"), r, false))
        .collect::<Result<Vec<_>, _>>()?;
    let mut window_caps = Vec::new();
    for (i, w) in raw.window_cap.iter().enumerate() {
        let field = format!("window_cap[{i}]");
        if w.window_hours != 24 {
            return Err(c.err(
                format!("{field}.window_hours"),
                "only 24-hour windows are supported (activity logs carry dates, not times)",
            ));
        }
        window_caps.push(WindowCap {
            id: c.id(&format!("{field}.id"), &w.id)?,
            hours: c.hours(&format!("{field}.hours"), w.hours)?,
            applies: c.opt_range(&field, &w.cycles_ending)?,
        });
    }
    let mut extra_mins = Vec::new();
    for (i, e) in raw.extra_min.iter().enumerate() {
        let field = format!("extra_min[{i}]");
        extra_mins.push(ExtraMin {
            id: c.id(&format!("{field}.id"), &e.id)?,
            label: e.label.clone(),
            hours: c.hours(&format!("{field}.hours"), e.hours)?,
            select: c.select(&format!("{field}.select"), &e.select)?,
            per: c.one_of(
                &format!("{field}.per"),
                &e.per,
                &[("cycle", Per::Cycle), ("cycle_year", Per::CycleYear)],
            )?,
            counts_toward_total: e.counts_toward_total,
            applies: c.opt_range(&field, &e.cycles_ending)?,
        });
    }
    let mut once_ever = Vec::new();
    for (i, o) in raw.once_ever.iter().enumerate() {
        let field = format!("once_ever[{i}]");
        let select = o
            .select
            .as_ref()
            .map(|s| c.select(&format!("{field}.select"), s))
            .transpose()?;
        let item = o
            .item
            .as_deref()
            .map(|k| {
                ItemKind::from_code(k).ok_or_else(|| {
                    c.err(
                        format!("{field}.item"),
                        format!(
                            "unknown item kind `{k}` (known: {})",
                            ItemKind::known_codes()
                        ),
                    )
                })
            })
            .transpose()?;
        if select.is_none() && item.is_none() {
            return Err(c.err(&field, "needs `select`, `item` or both"));
        }
        once_ever.push(OnceEver {
            id: c.id(&format!("{field}.id"), &o.id)?,
            label: o.label.clone(),
            select,
            item,
            applies: c.opt_range(&field, &o.cycles_ending)?,
        });
    }
    let mut items = Vec::new();
    for (i, it) in raw.item.iter().enumerate() {
        let field = format!("item[{i}]");
        items.push(ItemRequirement {
            id: c.id(&format!("{field}.id"), &it.id)?,
            label: it.label.clone(),
            kind: ItemKind::from_code(&it.kind).ok_or_else(|| {
                c.err(
                    format!("{field}.kind"),
                    format!(
                        "unknown item kind `{}` (known: {})",
                        it.kind,
                        ItemKind::known_codes()
                    ),
                )
            })?,
            at: c.one_of(
                &format!("{field}.at"),
                &it.at,
                &[("deadline", ItemAt::Deadline), ("cycle", ItemAt::Cycle)],
            )?,
            applies: c.opt_range(&field, &it.cycles_ending)?,
        });
    }
    let noted = |name: &str, list: &[RawNoted]| -> Result<Vec<NotedSelector>, RuleError> {
        list.iter()
            .enumerate()
            .map(|(i, n)| {
                let field = format!("{name}[{i}]");
                if n.note.trim().is_empty() {
                    return Err(c.err(format!("{field}.note"), "must not be empty"));
                }
                Ok(NotedSelector {
                    id: c.id(&format!("{field}.id"), &n.id)?,
                    select: c.select(&format!("{field}.select"), &n.select)?,
                    note: n.note.clone(),
                })
            })
            .collect()
    };
    let conditionals = noted("conditional", &raw.conditional)?;
    let excluded_from_total = noted("excluded_from_total", &raw.excluded_from_total)?;

    Ok(Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        once_ever,
        items,
        conditionals,
        excluded_from_total,
    })
}

/// Requirement ids are unique across sections (deficits and citations name them).
fn unique_ids(c: &Ctx<'_>, r: &Requirements) -> Result<(), RuleError> {
    let Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        once_ever,
        items,
        conditionals,
        excluded_from_total,
    } = r;
    let mut seen: HashSet<&str> = HashSet::new();
    let all_ids = buckets
        .iter()
        .map(|r| ("bucket", r.id.as_str()))
        .chain(mins.iter().map(|r| ("min", r.id.as_str())))
        .chain(caps.iter().map(|r| ("cap", r.id.as_str())))
        .chain(window_caps.iter().map(|r| ("window_cap", r.id.as_str())))
        .chain(extra_mins.iter().map(|r| ("extra_min", r.id.as_str())))
        .chain(once_ever.iter().map(|r| ("once_ever", r.id.as_str())))
        .chain(items.iter().map(|r| ("item", r.id.as_str())))
        .chain(conditionals.iter().map(|r| ("conditional", r.id.as_str())))
        .chain(
            excluded_from_total
                .iter()
                .map(|r| ("excluded_from_total", r.id.as_str())),
        );
    for (kind, id) in all_ids {
        if !seen.insert(id) {
            return Err(c.err(
                format!("{kind}.id"),
                format!("id `{id}` is used twice in this file"),
            ));
        }
    }

    Ok(())
}

/// The shape the allocator needs: buckets add up to the total, minimums nest,
/// caps and minimums split into at most two nested-or-disjoint families.
fn structure(c: &Ctx<'_>, mode: RuleMode, total: Hours, r: &Requirements) -> Result<(), RuleError> {
    let Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        ..
    } = r;
    match mode {
        RuleMode::None => {
            if !total.is_zero()
                || !buckets.is_empty()
                || !mins.is_empty()
                || !caps.is_empty()
                || !extra_mins.is_empty()
            {
                return Err(c.err(
                    "mode",
                    "mode = \"none\" takes no total, buckets, minimums, caps or extra minimums",
                ));
            }
        }
        RuleMode::Partition => {
            if !mins.is_empty() {
                return Err(c.err("min", "partition mode uses [[bucket]], not [[min]]"));
            }
            if buckets.is_empty() {
                return Err(c.err("bucket", "partition mode needs at least one [[bucket]]"));
            }
            let sum: Hours = buckets.iter().map(|b| b.hours).sum();
            if sum != total {
                return Err(c.err(
                    "total",
                    format!("{total} h, but the buckets add up to {sum} h"),
                ));
            }
            let mut shapes: Vec<(String, Shape<'_>)> = caps
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("cap[{i}] ({})", r.id), Shape::Sel(&r.select)))
                .collect();
            shapes.extend(
                window_caps
                    .iter()
                    .enumerate()
                    .map(|(i, w)| (format!("window_cap[{i}] ({})", w.id), Shape::Day)),
            );
            for a in 0..shapes.len() {
                for b in a + 1..shapes.len() {
                    if shape_relation(&shapes[a].1, &shapes[b].1) == Relation::Crossing {
                        return Err(c.err(
                            shapes[b].0.clone(),
                            format!("overlaps `{}` without nesting; partition-mode caps must be nested or disjoint", shapes[a].0),
                        ));
                    }
                }
            }
        }
        RuleMode::Subset => {
            if !buckets.is_empty() {
                return Err(c.err("bucket", "subset mode uses [[min]], not [[bucket]]"));
            }
            for (i, m) in mins.iter().enumerate() {
                if m.hours.is_zero() {
                    return Err(c.err(format!("min[{i}].hours"), "a minimum must be more than 0 h"));
                }
                if !total.is_zero() && m.hours > total {
                    return Err(c.err(
                        format!("min[{i}].hours"),
                        format!("{} h is more than the total {total} h", m.hours),
                    ));
                }
                if let Some(w) = &m.within {
                    let outer = mins.iter().find(|o| &o.id == w).ok_or_else(|| {
                        c.err(
                            format!("min[{i}].within"),
                            format!("no [[min]] with id `{w}`"),
                        )
                    })?;
                    if outer.id == m.id || !m.select.is_within(&outer.select) {
                        return Err(c.err(
                            format!("min[{i}].within"),
                            format!(
                                "the selector of `{}` is not contained in the selector of `{w}`",
                                m.id
                            ),
                        ));
                    }
                    if m.hours > outer.hours {
                        return Err(c.err(
                            format!("min[{i}].hours"),
                            format!("more than the enclosing `{w}`"),
                        ));
                    }
                }
            }
            let mut shapes: Vec<(String, Shape<'_>)> = mins
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("min[{i}] ({})", r.id), Shape::Sel(&r.select)))
                .collect();
            shapes.extend(
                caps.iter()
                    .enumerate()
                    .map(|(i, r)| (format!("cap[{i}] ({})", r.id), Shape::Sel(&r.select))),
            );
            shapes.extend(
                window_caps
                    .iter()
                    .enumerate()
                    .map(|(i, w)| (format!("window_cap[{i}] ({})", w.id), Shape::Day)),
            );
            check_two_families(c, &shapes)?;
        }
    }

    Ok(())
}

fn first_cycle(
    c: &Ctx<'_>,
    raw: &RawRule,
    mode: RuleMode,
    total: Hours,
    r: &Requirements,
) -> Result<FirstCycle, RuleError> {
    let Requirements {
        buckets,
        mins,
        extra_mins,
        once_ever,
        items,
        ..
    } = r;
    Ok(match &raw.first_cycle {
        None => FirstCycle::Standard,
        Some(f) => match f.kind.as_str() {
            "standard" => {
                if f.keep.is_some()
                    || f.hours_per_month.is_some()
                    || f.includes.is_some()
                    || f.licensed_within_months.is_some()
                    || f.total.is_some()
                {
                    return Err(c.err("first_cycle", "kind = \"standard\" takes no other keys"));
                }
                FirstCycle::Standard
            }
            "exempt" | "reduced" => {
                if f.hours_per_month.is_some() || f.includes.is_some() {
                    return Err(c.err(
                        "first_cycle",
                        "kinds \"exempt\" and \"reduced\" take no hours_per_month or includes",
                    ));
                }
                let keep = f.keep.clone().unwrap_or_default();
                for (i, k) in keep.iter().enumerate() {
                    let known = mins.iter().any(|r| &r.id == k)
                        || extra_mins.iter().any(|r| &r.id == k)
                        || once_ever.iter().any(|r| &r.id == k)
                        || items.iter().any(|r| &r.id == k);
                    if !known {
                        return Err(c.err(
                            format!("first_cycle.keep[{i}]"),
                            format!("`{k}` is not the id of a [[min]], [[extra_min]], [[once_ever]] or [[item]]"),
                        ));
                    }
                }
                if f.kind == "exempt" {
                    if f.total.is_some() {
                        return Err(c.err("first_cycle.total", "only for kind = \"reduced\""));
                    }
                    let within = f
                        .licensed_within_months
                        .map(|m| {
                            u32::try_from(m)
                                .ok()
                                .filter(|m| (1..=120).contains(m))
                                .ok_or_else(|| {
                                    c.err(
                                        "first_cycle.licensed_within_months",
                                        format!("{m} is not between 1 and 120"),
                                    )
                                })
                        })
                        .transpose()?;
                    FirstCycle::Exempt {
                        keep,
                        licensed_within_months: within,
                    }
                } else {
                    if f.licensed_within_months.is_some() {
                        return Err(c.err(
                            "first_cycle.licensed_within_months",
                            "only for kind = \"exempt\"",
                        ));
                    }
                    if mode != RuleMode::Subset {
                        return Err(
                            c.err("first_cycle.kind", "\"reduced\" needs mode = \"subset\"")
                        );
                    }
                    let t = f.total.ok_or_else(|| {
                        c.err("first_cycle.total", "required for kind = \"reduced\"")
                    })?;
                    let t = c.hours("first_cycle.total", t)?;
                    if t > total {
                        return Err(c.err("first_cycle.total", "more than the regular total"));
                    }
                    if let Some(m) = keep
                        .iter()
                        .filter_map(|k| mins.iter().find(|m| &m.id == k))
                        .find(|m| m.hours > t)
                    {
                        return Err(c.err(
                            "first_cycle.keep",
                            format!("`{}` needs more hours than the first-renewal total", m.id),
                        ));
                    }
                    FirstCycle::Reduced { total: t, keep }
                }
            }
            "prorated" => {
                if f.keep.is_some() || f.licensed_within_months.is_some() || f.total.is_some() {
                    return Err(c.err("first_cycle.keep", "only for kind = \"exempt\""));
                }
                let rate = f.hours_per_month.ok_or_else(|| {
                    c.err(
                        "first_cycle.hours_per_month",
                        "required for kind = \"prorated\"",
                    )
                })?;
                let hours_per_month = c.hours("first_cycle.hours_per_month", rate)?;
                let mut includes = Vec::new();
                for (k, v) in f.includes.clone().unwrap_or_default() {
                    let field = format!("first_cycle.includes.{k}");
                    let known = match mode {
                        RuleMode::Partition => buckets.iter().any(|b| b.id == k),
                        _ => mins.iter().any(|m| m.id == k),
                    };
                    if !known {
                        return Err(c.err(
                            &field,
                            "not the id of a bucket (partition) or minimum (subset)",
                        ));
                    }
                    includes.push((k, c.hours(&field, v)?));
                }
                FirstCycle::Prorated {
                    hours_per_month,
                    includes,
                }
            }
            other => {
                return Err(c.err(
                    "first_cycle.kind",
                    format!("`{other}` is not one of: standard, exempt, reduced, prorated"),
                ));
            }
        },
    })
}

fn parse_rule_with(file: &str, text: &str, require_sources: bool) -> Result<Rule, RuleError> {
    let raw: RawRule = toml::from_str(text).map_err(|e| RuleError::Parse {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let c = Ctx { file };
    let Identity {
        jurisdiction,
        credential_kind,
        confidence,
        status,
        effective,
    } = identity(&c, &raw, file)?;
    let (deadline, due) = calendar(&c, &raw)?;
    let units = units(&c, &raw)?;
    let Settings {
        mode,
        total,
        accepted_approvals,
        excluded_topics,
        no_duplicate,
        carry_over_max,
        late_renewal,
    } = settings(&c, &raw)?;
    let reqs = requirements(&c, &raw)?;
    unique_ids(&c, &reqs)?;
    structure(&c, mode, total, &reqs)?;
    let first_cycle = first_cycle(&c, &raw, mode, total, &reqs)?;
    let Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        once_ever,
        items,
        conditionals,
        excluded_from_total,
    } = reqs;
    if credential_kind == CredentialKind::NoLicense && mode != RuleMode::None {
        return Err(c.err(
            "mode",
            "a jurisdiction without a licence has mode = \"none\"",
        ));
    }

    let mut rule = Rule {
        id: raw.id.clone(),
        file: file.to_string(),
        name: raw.name.clone(),
        issuer: raw.issuer.clone(),
        jurisdiction,
        credential_kind,
        confidence,
        status,
        effective,
        aliases: raw.aliases.clone(),
        provenance: Provenance::default(),
        notes: raw.notes.clone(),
        deadline,
        due,
        units,
        mode,
        total,
        accepted_approvals,
        excluded_topics,
        no_duplicate,
        carry_over_max,
        late_renewal,
        first_cycle,
        buckets,
        mins,
        caps,
        window_caps,
        extra_mins,
        once_ever,
        items,
        conditionals,
        excluded_from_total,
    };
    if require_sources {
        plain_text_only(&c, &rule)?;
    }
    if !require_sources && raw.source.is_empty() {
        rule.provenance.to_verify = raw
            .to_verify
            .iter()
            .map(|u| match u {
                provenance::RawUnverified::Text(t) => Unverified {
                    fact: None,
                    note: t.clone(),
                },
                provenance::RawUnverified::Fact { fact, note } => Unverified {
                    fact: Some(fact.clone()),
                    note: note.clone(),
                },
            })
            .collect();
        return Ok(rule);
    }
    rule.provenance = provenance::load(
        &c,
        &raw.source,
        &raw.cite,
        &raw.to_verify,
        &rule.facts(),
        confidence,
        mode,
    )?;
    Ok(rule)
}

/// The first internal code in a text people read (a snake_case code, a
/// `{XX}` jurisdiction suffix, a fact key such as `min:ethics`, a rule id).
pub fn internal_code(text: &str) -> Option<&str> {
    // Addresses are quoted as they are (a path may well contain `_`).
    let mut rest = text;
    while let Some(i) = rest.find("http") {
        if let Some(code) = code_in(&rest[..i]) {
            return Some(code);
        }
        rest = &rest[i..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = &rest[end..];
    }
    code_in(rest)
}

fn code_in(text: &str) -> Option<&str> {
    let is_word = |c: char| {
        c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-' || c == '{' || c == '}'
    };
    text.split(|c: char| !is_word(c)).find(|w| {
        let snake = w.contains('_')
            && w.split('_').all(|p| !p.is_empty())
            && w.chars().any(|c| c.is_ascii_lowercase());
        let braces = w.contains('{') && w.contains('}');
        let fact_key = w.split_once(':').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && a.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && b.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        });
        let rule_id = w.starts_with("us-") && w.len() > 6 && w.as_bytes().get(5) == Some(&b'-');
        snake || braces || fact_key || rule_id
    })
}

/// Names, labels, notes and open questions are shown to people: no internal codes in them.
fn plain_text_only(c: &Ctx<'_>, rule: &Rule) -> Result<(), RuleError> {
    let mut texts: Vec<(String, &str)> = vec![
        ("name".into(), rule.name.as_str()),
        ("issuer".into(), rule.issuer.as_str()),
    ];
    texts.extend(
        rule.notes
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("notes[{i}]"), n.as_str())),
    );
    let labelled = rule.buckets.iter().chain(&rule.mins).chain(&rule.caps);
    texts.extend(
        labelled.filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.extra_mins
            .iter()
            .filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.items
            .iter()
            .filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.once_ever
            .iter()
            .filter_map(|r| r.label.as_deref().map(|l| (format!("{}.label", r.id), l))),
    );
    texts.extend(
        rule.conditionals
            .iter()
            .chain(&rule.excluded_from_total)
            .map(|r| (format!("{}.note", r.id), r.note.as_str())),
    );
    for (field, text) in texts {
        if let Some(code) = internal_code(text) {
            return Err(c.err(
                field,
                format!("`{code}` is an internal code; people read this text, say it in words"),
            ));
        }
    }
    Ok(())
}

impl Rule {
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
