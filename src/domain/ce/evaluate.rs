//! Evaluating one credential's current cycle against an activity log
//! (§3.3 steps 1–7): cycle, unit conversion, eligibility filters, allocation,
//! non-hour requirements, status and deficits. Pure: no I/O, no clock.

use std::collections::{BTreeSet, HashMap, VecDeque};

use serde::Serialize;
use time::Date;

use super::allocate::{AllocError, Allocation, Block, Group, Mode, Problem, allocate};
use super::codes::{Delivery, ItemKind, Scheme, TopicRef, Unit};
use super::cycle::{Cycle, CycleError, Holder, cycle_at, cycle_by_index, format_date};
use super::flow::Network;
use super::hours::Hours;
use super::rules::{
    DuplicateScope, ExtraMin, FirstCycle, ItemAt, ItemRequirement, LateRenewal, OnceEver, Per,
    Rule, RuleMode, WindowCap, topic_excluded,
};
use super::selector::{Relation, Selector, SliceView, join_or};

mod deficits;
mod prepare;
mod report;
use deficits::*;
use prepare::*;
pub use report::*;

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
    let mut a = in_force(rule, cycle.end);
    if !first {
        return a;
    }
    match &rule.first_cycle {
        FirstCycle::Standard => {}
        FirstCycle::Reduced { total, keep } => {
            a.total = *total;
            a.mins.retain(|m| kept(keep, &m.id) && m.hours <= *total);
            keep_non_hour(&mut a, keep);
        }
        FirstCycle::Exempt { keep, .. } => {
            a.mode = Mode::Subset;
            a.total = Hours::ZERO;
            a.buckets.clear();
            a.mins.retain(|m| kept(keep, &m.id));
            keep_non_hour(&mut a, keep);
            a.exempt = a.mins.is_empty()
                && a.extra_mins.is_empty()
                && a.once_ever.is_empty()
                && a.items.is_empty();
        }
        FirstCycle::Prorated {
            hours_per_month,
            includes,
        } => prorate(&mut a, cycle, *hours_per_month, includes),
    }
    a
}

/// The rule's requirements that apply to the cycle ending on `end`, before any first-cycle change.
fn in_force(rule: &Rule, end: Date) -> Active<'_> {
    let to_req = |r: &super::rules::Requirement| Req {
        id: r.id.clone(),
        label: r.label.clone(),
        hours: r.hours,
        select: r.select.clone(),
    };
    Active {
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
    }
}

/// Whether a first-cycle `keep` list names the requirement `id`.
fn kept(keep: &[String], id: &str) -> bool {
    keep.iter().any(|k| k == id)
}

/// Drops the extra minimums, once-ever and item requirements a first-cycle `keep` list leaves out.
fn keep_non_hour(a: &mut Active<'_>, keep: &[String]) {
    a.extra_mins.retain(|m| kept(keep, &m.id));
    a.once_ever.retain(|m| kept(keep, &m.id));
    a.items.retain(|m| kept(keep, &m.id));
}

/// Applies a prorated first cycle: a total per month touched, with only the included parts.
fn prorate(
    a: &mut Active<'_>,
    cycle: &Cycle,
    hours_per_month: Hours,
    includes: &[(String, Hours)],
) {
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

/// What the credential's deadlines may depend on: the birth date and the licence number.
fn holder<'a>(cred: &'a Credential, log: &Log<'_>) -> Holder<'a> {
    Holder {
        birth: log.birth_date,
        licence_number: cred.number.as_deref(),
    }
}

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
            holder(cred, log),
            log.as_of,
        )
        .ok()
        .map(|c| c.end),
    };
    let rule = end
        .and_then(|e| set.for_cycle_end(&cred.rule, e))
        .unwrap_or(newest);
    Some(evaluate_credential(rule, cred, log).map(|r| met_by_another(set, rule, log, r)))
}

/// A renewal whose CE is met by holding another credential (VA: current NCBTMB certification,
/// 18VAC90-50-75 A 1) is compliant, whatever the hours; they stay in the report for the record.
fn met_by_another(
    set: &super::rules::RuleSet,
    rule: &Rule,
    log: &Log<'_>,
    mut report: CredentialReport,
) -> CredentialReport {
    let held = |id: &str| log.held.iter().any(|h| set.resolve(h) == Some(id));
    let Some(other) = rule
        .satisfied_by
        .iter()
        .filter_map(|id| set.resolve(id))
        .find(|id| held(id))
    else {
        return report;
    };
    let name = set.current(other).map_or(other, |o| o.name.as_str());
    if report.status == Status::Exempt {
        return report;
    }
    report.status = Status::Compliant;
    report.deficits.clear();
    report.hours_needed = Hours::ZERO;
    report.met_by = Some(name.to_string());
    report.met_by_rule = Some(other.to_string());
    report.warnings.insert(
        0,
        format!(
            "You hold {name}: this renewal accepts it instead of the hours while it is current, so the hours shown are for your records only."
        ),
    );
    report
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
    let mut report = blank_report(rule, cred, &cycle, first, &by, warnings);
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
        add_carry_over(rule, cred, log, cycle.index - 1, &mut prepared.main)?;
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
    hour_progress(&mut report, &active, alloc, total_met);

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
        Findings {
            lenient: lenient_defs,
            strict: strict_defs,
            extra: extra_defs,
            other: other_defs,
            extra_needed,
        },
    );
    report.excluded = prepared.excluded.list;
    if report.excluded.iter().any(|e| e.reason == "not_counted") {
        report.warnings.push(
            "some hours were not counted for an unexplained reason; please report this".into(),
        );
    }
    Ok(report)
}

/// The report before any hours are counted: the rule, the credential and the cycle.
fn blank_report(
    rule: &Rule,
    cred: &Credential,
    cycle: &Cycle,
    first: bool,
    by: &str,
    warnings: Vec<String>,
) -> CredentialReport {
    CredentialReport {
        rule: rule.id.clone(),
        name: rule.name.clone(),
        number: cred.number.clone(),
        confidence: rule.confidence.code(),
        cycle: CycleReport {
            start: format_date(cycle.start),
            end: format_date(cycle.end),
            deadline: by.to_string(),
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
        met_by: None,
        met_by_rule: None,
    }
}

/// Adds the hours carried over from cycle `prev_index` as one untagged slice, if there are any.
fn add_carry_over(
    rule: &Rule,
    cred: &Credential,
    log: &Log<'_>,
    prev_index: u32,
    main: &mut Vec<Slice>,
) -> Result<(), EvalError> {
    let carried = carry_in(rule, cred, log, prev_index)?;
    if carried > Hours::ZERO {
        main.push(Slice {
            source: Source::Carry,
            topic: None,
            delivery: None,
            approvals: Vec::new(),
            day: None,
            hours: carried,
            conditional: None,
        });
    }
    Ok(())
}

/// Adds the progress of the total, each bucket and each minimum in the main allocation.
fn hour_progress(
    report: &mut CredentialReport,
    active: &Active<'_>,
    alloc: &Allocation,
    total_met: bool,
) {
    report.requirements.push(RequirementReport {
        id: "total".into(),
        kind: "total",
        required: report.required_hours,
        counted: alloc.total,
        met: total_met,
    });
    report.requirements.extend(group_progress(
        "bucket",
        &active.buckets,
        &alloc.bucket_filled,
    ));
    report
        .requirements
        .extend(group_progress("min", &active.mins, &alloc.min_counted));
}

/// Progress of each bucket or minimum (`kind`) from the hours the allocation `counted` in it.
fn group_progress(kind: &'static str, list: &[Req], counted: &[Hours]) -> Vec<RequirementReport> {
    list.iter()
        .enumerate()
        .map(|(i, req)| {
            let c = counted.get(i).copied().unwrap_or_default();
            RequirementReport {
                id: req.id.clone(),
                kind,
                required: req.hours,
                counted: c,
                met: c >= req.hours,
            }
        })
        .collect()
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
        holder(cred, log),
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
    Findings, cycle_of, extra_minimums, item_requirements, once_ever_requirements, rule_warnings,
    settle_status, slice_reports,
};

#[cfg(test)]
mod tests;
