//! Evaluating one credential's current cycle against an activity log
//! (§3.3 steps 1–7): cycle, unit conversion, eligibility filters, allocation,
//! non-hour requirements, status and deficits. Pure: no I/O, no clock.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde::Serialize;
use time::Date;

use super::allocate::{AllocError, Allocation, Block, Group, Mode, Problem, allocate};
use super::codes::{Delivery, ItemKind, Scheme, TopicRef, Unit};
use super::cycle::{Cycle, CycleError, cycle_at, cycle_by_index, format_date};
use super::flow::Network;
use super::hours::Hours;
use super::rules::{
    DuplicateScope, ExtraMin, FirstCycle, ItemAt, ItemRequirement, LateRenewal, OnceEver, Per,
    Rule, RuleMode, WindowCap, topic_excluded,
};
use super::selector::{Relation, Selector, SliceView, join_or};

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

fn normalize(s: &str) -> String {
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

// ---------------------------------------------------------------------------
// Active requirements for one cycle

#[derive(Clone, Debug)]
struct Req {
    id: String,
    label: Option<String>,
    hours: Hours,
    select: Selector,
}

struct Active<'r> {
    mode: Mode,
    total: Hours,
    buckets: Vec<Req>,
    mins: Vec<Req>,
    caps: Vec<Req>,
    window_caps: Vec<&'r WindowCap>,
    extra_mins: Vec<&'r ExtraMin>,
    once_ever: Vec<&'r OnceEver>,
    items: Vec<&'r ItemRequirement>,
    /// First-cycle exemption with nothing kept.
    exempt: bool,
}

/// Does the rule's first-cycle treatment apply to a credential issued on
/// `issued`? Always, except for exemptions limited to licences issued within
/// N months before the deadline.
fn first_cycle_rules_apply(rule: &Rule, issued: Date, deadline: Date) -> bool {
    match &rule.first_cycle {
        FirstCycle::Exempt {
            licensed_within_months: Some(m),
            ..
        } => super::cycle::add_months(issued, *m).is_none_or(|limit| limit >= deadline),
        _ => true,
    }
}

fn active_requirements<'r>(rule: &'r Rule, cycle: &Cycle, first: bool) -> Active<'r> {
    let end = cycle.end;
    let to_req = |r: &super::rules::Requirement| Req {
        id: r.id.clone(),
        label: r.label.clone(),
        hours: r.hours,
        select: r.select.clone(),
    };
    let mut a = Active {
        mode: if rule.mode == RuleMode::Partition {
            Mode::Partition
        } else {
            Mode::Subset
        },
        total: rule.total,
        buckets: rule
            .buckets
            .iter()
            .filter(|r| r.applies.contains(end))
            .map(to_req)
            .collect(),
        mins: rule
            .mins
            .iter()
            .filter(|r| r.applies.contains(end))
            .map(to_req)
            .collect(),
        caps: rule
            .caps
            .iter()
            .filter(|r| r.applies.contains(end))
            .map(to_req)
            .collect(),
        window_caps: rule
            .window_caps
            .iter()
            .filter(|r| r.applies.contains(end))
            .collect(),
        extra_mins: rule
            .extra_mins
            .iter()
            .filter(|r| r.applies.contains(end))
            .collect(),
        once_ever: rule
            .once_ever
            .iter()
            .filter(|r| r.applies.contains(end))
            .collect(),
        items: rule
            .items
            .iter()
            .filter(|r| r.applies.contains(end))
            .collect(),
        exempt: false,
    };
    if !first {
        return a;
    }
    match &rule.first_cycle {
        FirstCycle::Standard => {}
        FirstCycle::Reduced { total, keep } => {
            let kept = |id: &str| keep.iter().any(|k| k == id);
            a.total = *total;
            a.mins.retain(|m| kept(&m.id) && m.hours <= *total);
            a.extra_mins.retain(|m| kept(&m.id));
            a.once_ever.retain(|m| kept(&m.id));
            a.items.retain(|m| kept(&m.id));
        }
        FirstCycle::Exempt { keep, .. } => {
            let kept = |id: &str| keep.iter().any(|k| k == id);
            a.mode = Mode::Subset;
            a.total = Hours::ZERO;
            a.buckets.clear();
            a.mins.retain(|m| kept(&m.id));
            a.extra_mins.retain(|m| kept(&m.id));
            a.once_ever.retain(|m| kept(&m.id));
            a.items.retain(|m| kept(&m.id));
            a.exempt = a.mins.is_empty()
                && a.extra_mins.is_empty()
                && a.once_ever.is_empty()
                && a.items.is_empty();
        }
        FirstCycle::Prorated {
            hours_per_month,
            includes,
        } => {
            let months = i64::from(cycle.months_touched());
            let included: Hours = includes.iter().map(|(_, h)| *h).sum();
            let total = Hours::from_centi(hours_per_month.centi() * months).max(included);
            let pick = |list: &[Req]| -> Vec<Req> {
                includes
                    .iter()
                    .filter_map(|(id, h)| {
                        list.iter().find(|r| &r.id == id).map(|r| Req {
                            hours: *h,
                            ..r.clone()
                        })
                    })
                    .collect()
            };
            a.total = total;
            match a.mode {
                Mode::Partition => {
                    let mut b = pick(&a.buckets);
                    let rest = total - included;
                    if rest > Hours::ZERO {
                        b.push(Req {
                            id: "prorated_other".into(),
                            label: Some("CE in any subject".into()),
                            hours: rest,
                            select: Selector::any(),
                        });
                    }
                    a.buckets = b;
                }
                Mode::Subset => a.mins = pick(&a.mins),
            }
        }
    }
    a
}

// ---------------------------------------------------------------------------
// Slices and eligibility

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Activity(usize),
    Carry,
}

#[derive(Clone, Debug)]
struct Slice {
    source: Source,
    topic: Option<TopicRef>,
    delivery: Option<Delivery>,
    approvals: Vec<Scheme>,
    day: Option<Date>,
    hours: Hours,
    conditional: Option<usize>,
}

impl Slice {
    fn view(&self) -> SliceView<'_> {
        SliceView {
            topic: self.topic.as_ref(),
            delivery: self.delivery,
            approvals: &self.approvals,
        }
    }
}

struct ExcludedAcc {
    list: Vec<ExcludedReport>,
}

impl ExcludedAcc {
    fn push(
        &mut self,
        activity: &str,
        hours: Hours,
        reason: impl Into<String>,
        detail: impl Into<String>,
    ) {
        if hours.is_zero() {
            return;
        }
        let reason = reason.into();
        if let Some(e) = self
            .list
            .iter_mut()
            .find(|e| e.activity == activity && e.reason == reason)
        {
            e.hours += hours;
            return;
        }
        self.list.push(ExcludedReport {
            activity: activity.to_string(),
            hours,
            reason,
            detail: detail.into(),
        });
    }
}

/// Activities' hours split per topic and converted, with the remainder untagged.
fn split(rule: &Rule, a: &Activity) -> Option<Vec<(Option<TopicRef>, Hours)>> {
    let total = rule.units.convert(a.amount, a.unit)?;
    let mut out = Vec::new();
    let mut used = Hours::ZERO;
    for (t, h) in &a.topics {
        let c = rule.units.convert(*h, a.unit)?.min(total - used);
        used += c;
        out.push((Some(*t), c));
    }
    if total > used {
        out.push((None, total - used));
    }
    Some(out)
}

fn duplicates(rule: &Rule, cycle: &Cycle, log: &Log<'_>) -> Vec<Option<usize>> {
    let acts = log.activities;
    let mut out = vec![None; acts.len()];
    if rule.no_duplicate == DuplicateScope::None {
        return out;
    }
    let considered = |i: usize| {
        let d = acts[i].completed_on;
        d <= log.as_of
            && (rule.no_duplicate == DuplicateScope::AllCycles
                || (d >= cycle.start && d <= cycle.end))
    };
    let mut order: Vec<usize> = (0..acts.len()).filter(|&i| considered(i)).collect();
    order.sort_by_key(|&i| (acts[i].completed_on, i));
    let mut first: HashMap<String, usize> = HashMap::new();
    for i in order {
        let fp = acts[i].fingerprint();
        match first.get(&fp) {
            Some(&orig) => out[i] = Some(orig),
            None => {
                first.insert(fp, i);
            }
        }
    }
    out
}

struct Prepared {
    main: Vec<Slice>,
    pool: Vec<Slice>,
    excluded: ExcludedAcc,
}

fn prepare(
    rule: &Rule,
    active: &Active<'_>,
    cycle: &Cycle,
    cred: &Credential,
    log: &Log<'_>,
) -> Prepared {
    let dup = duplicates(rule, cycle, log);
    let mut p = Prepared {
        main: Vec::new(),
        pool: Vec::new(),
        excluded: ExcludedAcc { list: Vec::new() },
    };
    for (i, a) in log.activities.iter().enumerate() {
        let converted = rule.units.convert(a.amount, a.unit);
        let shown = converted.unwrap_or(a.amount);
        let date = format_date(a.completed_on);
        if a.completed_on > log.as_of {
            p.excluded.push(
                &a.id,
                shown,
                "not_yet_completed",
                format!("completed on {date}, after the as-of date"),
            );
            continue;
        }
        if a.completed_on < cycle.start || a.completed_on > cycle.end {
            p.excluded.push(
                &a.id,
                shown,
                "out_of_window",
                format!(
                    "completed on {date}, outside this cycle ({} to {})",
                    format_date(cycle.start),
                    format_date(cycle.end)
                ),
            );
            continue;
        }
        if rule.late_renewal == LateRenewal::CeAfterApproval
            && let Some(approved) = cred.late_renewal_approved_on
            && approved >= cycle.start
            && a.completed_on <= approved
        {
            p.excluded.push(
                &a.id,
                shown,
                "out_of_window",
                format!(
                    "late renewal: CE must be dated after the approval date {}",
                    format_date(approved)
                ),
            );
            continue;
        }
        let Some(parts) = split(rule, a) else {
            p.excluded.push(
                &a.id,
                a.amount,
                "unit_not_convertible",
                format!(
                    "this credential has no conversion for {} ({} {}s logged)",
                    a.unit.label(),
                    a.amount,
                    a.unit.label()
                ),
            );
            continue;
        };
        let approvals = Scheme::expand(&a.approvals);
        let approved = rule.accepted_approvals.is_empty()
            || rule
                .accepted_approvals
                .iter()
                .any(|s| approvals.contains(s));
        for (topic, hours) in parts {
            if let Some(t) = topic
                && topic_excluded(rule, &t)
            {
                p.excluded.push(
                    &a.id,
                    hours,
                    "topic_excluded",
                    format!("this credential does not accept {}", t.label()),
                );
                continue;
            }
            if !approved {
                let accepted: Vec<String> = rule
                    .accepted_approvals
                    .iter()
                    .map(|s| s.label().to_string())
                    .collect();
                p.excluded.push(
                    &a.id,
                    hours,
                    "approval_not_accepted",
                    format!(
                        "not from a provider this credential accepts (it needs {})",
                        join_or(accepted)
                    ),
                );
                continue;
            }
            if let Some(orig) = dup[i] {
                let o = &log.activities[orig];
                p.excluded.push(
                    &a.id,
                    hours,
                    "duplicate",
                    format!(
                        "same course as “{}” ({})",
                        o.title,
                        format_date(o.completed_on)
                    ),
                );
                continue;
            }
            let slice = Slice {
                source: Source::Activity(i),
                topic,
                delivery: Some(a.delivery),
                approvals: approvals.clone(),
                day: Some(a.completed_on),
                hours,
                conditional: None,
            };
            if let Some(x) = rule
                .excluded_from_total
                .iter()
                .find(|x| x.select.matches(&slice.view()))
            {
                p.excluded
                    .push(&a.id, hours, "excluded_from_total", x.note.clone());
                continue;
            }
            if active
                .extra_mins
                .iter()
                .any(|e| !e.counts_toward_total && e.select.matches(&slice.view()))
            {
                p.pool.push(slice);
                continue;
            }
            let conditional = rule
                .conditionals
                .iter()
                .position(|c| c.select.matches(&slice.view()));
            p.main.push(Slice {
                conditional,
                ..slice
            });
        }
    }
    p
}

// ---------------------------------------------------------------------------
// Allocation of the main hours

#[derive(Clone, Copy, Debug)]
enum CapOrigin {
    Cap(usize),
    Window(usize, Date),
}

struct MainRun {
    problem: Problem,
    origins: Vec<CapOrigin>,
    lenient: Allocation,
    strict: Option<Allocation>,
}

fn members(slices: &[Slice], select: &Selector) -> Vec<usize> {
    slices
        .iter()
        .enumerate()
        .filter(|(_, s)| select.matches(&s.view()))
        .map(|(i, _)| i)
        .collect()
}

fn run_main(active: &Active<'_>, slices: &[Slice]) -> Result<MainRun, AllocError> {
    let mut caps = Vec::new();
    let mut origins = Vec::new();
    for (j, c) in active.caps.iter().enumerate() {
        caps.push(Group {
            members: members(slices, &c.select),
            hours: c.hours,
        });
        origins.push(CapOrigin::Cap(j));
    }
    for (j, w) in active.window_caps.iter().enumerate() {
        let days: BTreeSet<Date> = slices.iter().filter_map(|s| s.day).collect();
        for day in days {
            let m: Vec<usize> = (0..slices.len())
                .filter(|&i| slices[i].day == Some(day))
                .collect();
            let sum: Hours = m.iter().map(|&i| slices[i].hours).sum();
            if sum > w.hours {
                caps.push(Group {
                    members: m,
                    hours: w.hours,
                });
                origins.push(CapOrigin::Window(j, day));
            }
        }
    }
    let groups = |list: &[Req]| -> Vec<Group> {
        list.iter()
            .map(|r| Group {
                members: members(slices, &r.select),
                hours: r.hours,
            })
            .collect()
    };
    let problem = Problem {
        mode: active.mode,
        slices: slices.iter().map(|s| s.hours).collect(),
        buckets: if active.mode == Mode::Partition {
            groups(&active.buckets)
        } else {
            Vec::new()
        },
        mins: if active.mode == Mode::Subset {
            groups(&active.mins)
        } else {
            Vec::new()
        },
        caps,
    };
    let lenient = allocate(&problem)?;
    let strict = if slices.iter().any(|s| s.conditional.is_some()) {
        let mut p = problem.clone();
        for (i, s) in slices.iter().enumerate() {
            if s.conditional.is_some() {
                p.slices[i] = Hours::ZERO;
            }
        }
        Some(allocate(&p)?)
    } else {
        None
    };
    Ok(MainRun {
        problem,
        origins,
        lenient,
        strict,
    })
}

// ---------------------------------------------------------------------------
// Wording

/// A requirement in words: its label, else what its selector takes.
fn req_words(r: &Req) -> String {
    r.label.clone().unwrap_or_else(
        || match (r.select.topic_phrase(), r.select.delivery_phrase()) {
            (Some(t), Some(d)) => format!("{t}, {d}"),
            (Some(t), None) => t,
            (None, Some(d)) => d,
            (None, None) => "CE in any subject".to_string(),
        },
    )
}

fn describe(hours: Hours, label: Option<&str>, select: &Selector, rule: &Rule) -> String {
    let what = match label {
        Some(l) => l.to_string(),
        None => match (select.topic_phrase(), select.delivery_phrase()) {
            (Some(t), Some(d)) => format!("{t}, {d}"),
            (Some(t), None) => t,
            (None, Some(d)) => d,
            (None, None) => "of CE".to_string(),
        },
    };
    let schemes: &[Scheme] = match &select.approvals {
        Some(a) => a,
        None => &rule.accepted_approvals,
    };
    let from = if schemes.is_empty() || label.is_some() && select.approvals.is_some() {
        String::new()
    } else if select.approvals.is_none() && schemes.len() > 2 {
        // The rule's long list of accepted providers is shown once, not in every deficit.
        " from an accepted provider".to_string()
    } else {
        format!(
            " from {}",
            join_or(schemes.iter().map(|s| s.label().to_string()).collect())
        )
    };
    format!("{hours} h {what}{from}")
}

// ---------------------------------------------------------------------------
// Deficits of the main allocation

struct HourDeficits {
    list: Vec<DeficitReport>,
    needed: Hours,
}

fn partition_deficits(
    active: &Active<'_>,
    alloc: &Allocation,
    rule: &Rule,
    by: &str,
) -> HourDeficits {
    let mut list = Vec::new();
    let mut needed = Hours::ZERO;
    for (b, req) in active.buckets.iter().enumerate() {
        let filled = alloc.bucket_filled.get(b).copied().unwrap_or_default();
        let d = req.hours.saturating_sub(filled);
        if d > Hours::ZERO {
            needed += d;
            list.push(DeficitReport {
                requirement: req.id.clone(),
                hours: d,
                detail: format!(
                    "{} by {by}",
                    describe(d, req.label.as_deref(), &req.select, rule)
                ),
            });
        }
    }
    HourDeficits { list, needed }
}

/// 2-colours the minimums by symbolic crossing (validated rules are bipartite).
fn min_families(mins: &[Req]) -> Vec<u8> {
    let n = mins.len();
    let mut colour = vec![u8::MAX; n];
    for s in 0..n {
        if colour[s] != u8::MAX {
            continue;
        }
        colour[s] = 0;
        let mut q = VecDeque::from([s]);
        while let Some(u) = q.pop_front() {
            for v in 0..n {
                if v != u
                    && colour[v] == u8::MAX
                    && mins[u].select.relation(&mins[v].select) == Relation::Crossing
                {
                    colour[v] = 1 - colour[u];
                    q.push_back(v);
                }
            }
        }
    }
    colour
}

fn subset_deficits(active: &Active<'_>, alloc: &Allocation, rule: &Rule, by: &str) -> HourDeficits {
    let mins = &active.mins;
    let n = mins.len();
    let deficit: Vec<Hours> = (0..n)
        .map(|k| {
            mins[k]
                .hours
                .saturating_sub(alloc.min_counted.get(k).copied().unwrap_or_default())
        })
        .collect();
    let colour = min_families(mins);
    // Parent = the innermost other minimum of the same family containing it.
    let properly_in = |a: usize, b: usize| {
        let (sa, sb) = (&mins[a].select, &mins[b].select);
        a != b && sa.is_within(sb) && (!sb.is_within(sa) || b < a)
    };
    let parent: Vec<Option<usize>> = (0..n)
        .map(|k| {
            let cands: Vec<usize> = (0..n)
                .filter(|&j| colour[j] == colour[k] && properly_in(k, j))
                .collect();
            cands
                .iter()
                .copied()
                .find(|&c| !cands.iter().any(|&c2| c2 != c && properly_in(c2, c)))
        })
        .collect();
    // need(k) = max(deficit k, Σ need(children)), computed bottom-up.
    let mut depth = vec![0usize; n];
    for k in 0..n {
        let mut p = parent[k];
        let mut guard = 0;
        while let Some(x) = p {
            depth[k] += 1;
            p = parent[x];
            guard += 1;
            if guard > n {
                break;
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(depth[k]));
    let mut need = vec![Hours::ZERO; n];
    let mut child_need = vec![Hours::ZERO; n];
    for &k in &order {
        need[k] = deficit[k].max(child_need[k]);
        if let Some(p) = parent[k] {
            child_need[p] += need[k];
        }
    }
    let own: Vec<Hours> = (0..n).map(|k| need[k] - child_need[k]).collect();
    let family_need = |c: u8| -> Hours {
        (0..n)
            .filter(|&k| colour[k] == c && parent[k].is_none())
            .map(|k| need[k])
            .sum()
    };
    // Pair own needs across the two families where one hour can serve both.
    let left: Vec<usize> = (0..n)
        .filter(|&k| colour[k] == 0 && own[k] > Hours::ZERO)
        .collect();
    let right: Vec<usize> = (0..n)
        .filter(|&k| colour[k] == 1 && own[k] > Hours::ZERO)
        .collect();
    let mut g = Network::new(2 + left.len() + right.len());
    let mut pair_edges = Vec::new();
    for (li, &k) in left.iter().enumerate() {
        g.add_edge(0, 2 + li, own[k].centi(), 0);
        for (ri, &j) in right.iter().enumerate() {
            if !mins[k].select.is_disjoint(&mins[j].select) {
                pair_edges.push((
                    k,
                    j,
                    g.add_edge(2 + li, 2 + left.len() + ri, own[k].centi(), -1),
                ));
            }
        }
    }
    for (ri, &j) in right.iter().enumerate() {
        g.add_edge(2 + left.len() + ri, 1, own[j].centi(), 0);
    }
    let paired = Hours::from_centi(g.min_cost_flow(0, 1));
    let mins_need = family_need(0) + family_need(1) - paired;
    let gap = active.total.saturating_sub(alloc.total);
    let needed = mins_need.max(gap);

    let mut list = Vec::new();
    for k in 0..n {
        if own[k].is_zero() {
            continue;
        }
        let mut detail = describe(own[k], mins[k].label.as_deref(), &mins[k].select, rule);
        let kids: Vec<String> = (0..n)
            .filter(|&c| parent[c] == Some(k) && need[c] > Hours::ZERO)
            .map(|c| req_words(&mins[c]))
            .collect();
        if !kids.is_empty() {
            detail = format!(
                "{detail} (besides the hours listed for {})",
                kids.join(", ")
            );
        }
        let shared: Vec<String> = pair_edges
            .iter()
            .filter(|(a, b, e)| (*a == k || *b == k) && g.flow(*e) > 0)
            .map(|(a, b, _)| {
                if *a == k {
                    req_words(&mins[*b])
                } else {
                    req_words(&mins[*a])
                }
            })
            .collect();
        if !shared.is_empty() {
            detail = format!(
                "{detail}; the same hours can also count toward {}",
                shared.join(", ")
            );
        }
        list.push(DeficitReport {
            requirement: mins[k].id.clone(),
            hours: own[k],
            detail: format!("{detail} by {by}"),
        });
    }
    let residual = gap.saturating_sub(mins_need);
    if residual > Hours::ZERO {
        let mut detail = describe(residual, None, &Selector::any(), rule);
        if !list.is_empty() {
            detail = detail.replacen(" h of CE", " h more of CE", 1);
        }
        list.push(DeficitReport {
            requirement: "total".into(),
            hours: residual,
            detail: format!("{detail} by {by}"),
        });
    }
    HourDeficits { list, needed }
}

// ---------------------------------------------------------------------------
// Reports

fn activity_id(log: &Log<'_>, s: &Slice) -> String {
    match s.source {
        Source::Activity(i) => log
            .activities
            .get(i)
            .map(|a| a.id.clone())
            .unwrap_or_default(),
        Source::Carry => "carry-over".into(),
    }
}

fn block_reason(
    block: &Block,
    run: &MainRun,
    active: &Active<'_>,
    slices: &[Slice],
    slice: usize,
) -> (String, String) {
    match block {
        Block::Cap(c) => match run.origins.get(*c) {
            Some(CapOrigin::Cap(j)) => {
                let cap = &active.caps[*j];
                let what = cap
                    .label
                    .clone()
                    .or_else(|| cap.select.topic_phrase())
                    .or_else(|| cap.select.delivery_phrase())
                    .unwrap_or_else(|| "these hours".into());
                (
                    format!("cap:{}", cap.id),
                    format!("at most {} h of {what} count", cap.hours),
                )
            }
            Some(CapOrigin::Window(j, day)) => {
                let logged: Hours = slices
                    .iter()
                    .filter(|s| s.day == Some(*day))
                    .map(|s| s.hours)
                    .sum();
                (
                    "cap_per_window".into(),
                    format!(
                        "at most {} h count in any 24 hours; {logged} h logged on {}",
                        active.window_caps[*j].hours,
                        format_date(*day)
                    ),
                )
            }
            None => ("not_counted".into(), "not needed by any requirement".into()),
        },
        Block::BucketsFull(list) => {
            let ids: Vec<String> = list
                .iter()
                .filter_map(|b| active.buckets.get(*b))
                .map(req_words)
                .collect();
            (
                "category_full".into(),
                format!(
                    "the parts these hours can fill ({}) are already full",
                    ids.join(", ")
                ),
            )
        }
        Block::NoBucket => {
            let t = slices[slice]
                .topic
                .map(|t| t.label())
                .unwrap_or_else(|| "untagged hours".into());
            (
                "no_matching_category".into(),
                format!("no required part accepts {t}"),
            )
        }
        Block::Unexplained => ("not_counted".into(), "not counted by the allocator".into()),
    }
}

fn item_on_record<'a>(log: &Log<'a>, kind: ItemKind) -> impl Iterator<Item = &'a CredentialItem> {
    log.items.iter().filter(move |i| i.kind == kind)
}

/// Evaluates the cycle of `cred` that contains `log.as_of`.
/// Evaluates a credential against the version of its rule written for the
/// cycle being evaluated (the newest version's calendar finds the cycle).
pub fn evaluate_in_set(
    set: &super::rules::RuleSet,
    cred: &Credential,
    log: &Log<'_>,
) -> Option<Result<CredentialReport, EvalError>> {
    let newest = set.current(&cred.rule)?;
    let end = match cred.cycle_override {
        Some((_, end, _)) => Some(end),
        None => cycle_at(
            &newest.deadline,
            newest.due,
            cred.issued_on,
            log.birth_date,
            log.as_of,
        )
        .ok()
        .map(|c| c.end),
    };
    let rule = end
        .and_then(|e| set.for_cycle_end(&cred.rule, e))
        .unwrap_or(newest);
    Some(evaluate_credential(rule, cred, log))
}

pub fn evaluate_credential(
    rule: &Rule,
    cred: &Credential,
    log: &Log<'_>,
) -> Result<CredentialReport, EvalError> {
    let cycle = cycle_of(rule, cred, log)?;
    let first = cred.first_cycle.unwrap_or(cycle.index == 0);
    // MD-style exemptions hold only for licences issued close to the deadline.
    let first_rules = first && first_cycle_rules_apply(rule, cred.issued_on, cycle.deadline);
    let by = format_date(cycle.deadline);
    let warnings = rule_warnings(rule, &cycle);
    let mut report = CredentialReport {
        rule: rule.id.clone(),
        name: rule.name.clone(),
        number: cred.number.clone(),
        confidence: rule.confidence.code(),
        cycle: CycleReport {
            start: format_date(cycle.start),
            end: format_date(cycle.end),
            deadline: by.clone(),
            first,
        },
        status: Status::Exempt,
        required_hours: Hours::ZERO,
        counted_hours: Hours::ZERO,
        hours_needed: Hours::ZERO,
        requirements: Vec::new(),
        deficits: Vec::new(),
        excluded: Vec::new(),
        allocations: Vec::new(),
        conditions: Vec::new(),
        warnings,
    };
    if rule.mode == RuleMode::None {
        report
            .warnings
            .push(format!("{} has no CE requirement", rule.name));
        return Ok(report);
    }
    let active = active_requirements(rule, &cycle, first_rules);
    let mut prepared = prepare(rule, &active, &cycle, cred, log);

    // carry-over from the previous cycle
    if rule.carry_over_max > Hours::ZERO && cycle.index > 0 && !first {
        let carried = carry_in(rule, cred, log, cycle.index - 1)?;
        if carried > Hours::ZERO {
            prepared.main.push(Slice {
                source: Source::Carry,
                topic: None,
                delivery: None,
                approvals: Vec::new(),
                day: None,
                hours: carried,
                conditional: None,
            });
        }
    }

    let slices = &prepared.main;
    let run = run_main(&active, slices)?;
    let alloc = &run.lenient;
    report.counted_hours = alloc.total;
    report.required_hours = match active.mode {
        Mode::Partition => active.buckets.iter().map(|b| b.hours).sum(),
        Mode::Subset => active.total,
    };

    // requirements
    let hour_defs = |a: &Allocation| match active.mode {
        Mode::Partition => partition_deficits(&active, a, rule, &by),
        Mode::Subset => subset_deficits(&active, a, rule, &by),
    };
    let lenient_defs = hour_defs(alloc);
    let total_met = match active.mode {
        Mode::Partition => lenient_defs.list.is_empty(),
        Mode::Subset => alloc.total >= active.total,
    };
    report.requirements.push(RequirementReport {
        id: "total".into(),
        kind: "total",
        required: report.required_hours,
        counted: alloc.total,
        met: total_met,
    });
    for (b, req) in active.buckets.iter().enumerate() {
        let c = alloc.bucket_filled.get(b).copied().unwrap_or_default();
        report.requirements.push(RequirementReport {
            id: req.id.clone(),
            kind: "bucket",
            required: req.hours,
            counted: c,
            met: c >= req.hours,
        });
    }
    for (k, req) in active.mins.iter().enumerate() {
        let c = alloc.min_counted.get(k).copied().unwrap_or_default();
        report.requirements.push(RequirementReport {
            id: req.id.clone(),
            kind: "min",
            required: req.hours,
            counted: c,
            met: c >= req.hours,
        });
    }

    // excluded and allocations from the main run
    slice_reports(&mut report, &mut prepared, &run, &active, log, rule);

    // extra per-period minimums
    let (extra_defs, extra_needed) =
        extra_minimums(&mut report, &mut prepared, &active, &cycle, log, rule);

    // once-ever and non-hour requirements
    let mut other_defs = once_ever_requirements(&mut report, &active, log, &by);
    other_defs.extend(item_requirements(&mut report, &active, log, &cycle, &by));

    // status
    let strict_defs = run.strict.as_ref().map(hour_defs);
    settle_status(
        &mut report,
        &active,
        log,
        lenient_defs,
        strict_defs,
        extra_defs,
        other_defs,
        extra_needed,
    );
    report.excluded = prepared.excluded.list;
    if report.excluded.iter().any(|e| e.reason == "not_counted") {
        report.warnings.push(
            "some hours were not counted for an unexplained reason; please report this".into(),
        );
    }
    Ok(report)
}

/// Hours carried into cycle `prev_index + 1`: the previous cycle's counted
/// hours beyond its total, up to the rule's allowance. Carried credit counts
/// toward the total (and "any subject" parts) only.
fn carry_in(
    rule: &Rule,
    cred: &Credential,
    log: &Log<'_>,
    prev_index: u32,
) -> Result<Hours, EvalError> {
    let prev = cycle_by_index(
        &rule.deadline,
        rule.due,
        cred.issued_on,
        log.birth_date,
        prev_index,
    )?;
    let first = prev_index == 0 && first_cycle_rules_apply(rule, cred.issued_on, prev.deadline);
    let active = active_requirements(rule, &prev, first);
    if active.exempt {
        return Ok(Hours::ZERO);
    }
    let prev_log = Log {
        as_of: log.as_of.min(prev.end),
        ..*log
    };
    let prepared = prepare(rule, &active, &prev, cred, &prev_log);
    let run = run_main(&active, &prepared.main)?;
    let surplus = match active.mode {
        Mode::Subset => run.lenient.total.saturating_sub(active.total),
        Mode::Partition => prepared
            .main
            .iter()
            .map(|s| s.hours)
            .sum::<Hours>()
            .saturating_sub(run.lenient.total),
    };
    Ok(surplus.min(rule.carry_over_max))
}

mod steps;
use steps::{
    cycle_of, extra_minimums, item_requirements, once_ever_requirements, rule_warnings,
    settle_status, slice_reports,
};

#[cfg(test)]
mod tests;
