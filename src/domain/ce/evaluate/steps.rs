//! The steps of [`super::evaluate_credential`] after the hours are allocated: the cycle, caveats
//! about the rule, where each hour went, per-period minimums, once-ever and non-hour requirements,
//! and the status.

use super::*;

/// The cycle to evaluate: the one containing `as_of`, or the one corrected by hand.
pub(super) fn cycle_of(rule: &Rule, cred: &Credential, log: &Log<'_>) -> Result<Cycle, EvalError> {
    Ok(match cred.cycle_override {
        Some((start, end, deadline)) => {
            // The computed cycle still says whether this is the first one, when it can be computed.
            let index = cycle_at(
                &rule.deadline,
                rule.due,
                cred.issued_on,
                holder(cred, log),
                log.as_of,
            )
            .map(|c| c.index)
            .unwrap_or(1);
            Cycle {
                start,
                end,
                deadline,
                index,
            }
        }
        None => cycle_at(
            &rule.deadline,
            rule.due,
            cred.issued_on,
            holder(cred, log),
            log.as_of,
        )?,
    })
}

/// Caveats about the rule itself: written for other periods, or weakly sourced.
pub(super) fn rule_warnings(rule: &Rule, cycle: &Cycle) -> Vec<String> {
    let mut warnings = Vec::new();
    if !rule.effective.contains(cycle.end) {
        warnings.push(format!(
            "These rules were written for renewal periods ending {} to {}; this period ends {}, so the rules in force may differ.",
            rule.effective.from.map(format_date).unwrap_or_else(|| "any time".into()),
            rule.effective.to.map(format_date).unwrap_or_else(|| "now".into()),
            format_date(cycle.end)
        ));
    }
    if rule.confidence == super::super::rules::Confidence::Low {
        let open: Vec<&str> = rule
            .provenance
            .to_verify
            .iter()
            .map(|u| u.note.as_str())
            .collect();
        warnings.push(format!("low-confidence rule: {}", open.join(" ")));
    }
    warnings
}

/// Reports what each slice of CE counted toward, what did not count and why, and the hours
/// counted on a condition.
pub(super) fn slice_reports(
    report: &mut CredentialReport,
    prepared: &mut Prepared,
    run: &MainRun,
    active: &Active<'_>,
    log: &Log<'_>,
    rule: &Rule,
) {
    let slices = &prepared.main;
    let alloc = &run.lenient;
    let mut excluded = Vec::new();
    for (i, s) in slices.iter().enumerate() {
        let id = activity_id(log, s);
        let counted = alloc.counted[i];
        if counted < s.hours
            && let Some(block) = &alloc.blocked[i]
        {
            let (reason, detail) = block_reason(block, run, active, slices, i);
            excluded.push((id.clone(), s.hours - counted, reason, detail));
        }
        if counted.is_zero() {
            continue;
        }
        let topic = s.topic.map(|t| t.to_string());
        match active.mode {
            Mode::Partition => {
                for (b, h) in &alloc.placed[i] {
                    if let Some(req) = active.buckets.get(*b) {
                        report.allocations.push(AllocationReport {
                            activity: id.clone(),
                            topic: topic.clone(),
                            hours: *h,
                            counts_for: vec![req.id.clone()],
                        });
                    }
                }
            }
            Mode::Subset => {
                let mut counts_for = vec!["total".to_string()];
                for (k, m) in run.problem.mins.iter().enumerate() {
                    if m.members.contains(&i) {
                        counts_for.push(active.mins[k].id.clone());
                    }
                }
                for e in &active.extra_mins {
                    if e.counts_toward_total && e.select.matches(&s.view()) {
                        counts_for.push(e.id.clone());
                    }
                }
                report.allocations.push(AllocationReport {
                    activity: id.clone(),
                    topic,
                    hours: counted,
                    counts_for,
                });
            }
        }
        if let Some(c) = s.conditional {
            let cond = &rule.conditionals[c];
            let note = match s.source {
                Source::Activity(a) => match &log.activities[a].relevance_note {
                    Some(n) => format!("{} (relevance note on file: {n})", cond.note),
                    None => cond.note.clone(),
                },
                Source::Carry => cond.note.clone(),
            };
            if let Some(existing) = report.conditions.iter_mut().find(|x| x.activity == id) {
                existing.hours += counted;
            } else {
                report.conditions.push(ConditionReport {
                    activity: id.clone(),
                    hours: counted,
                    note,
                });
            }
        }
    }

    for (id, hours, reason, detail) in excluded {
        prepared.excluded.push(&id, hours, reason, detail);
    }
}

/// Per-period minimums (each year of the cycle, or once per cycle): their rows, deficits and
/// the hours still needed for them.
pub(super) fn extra_minimums(
    report: &mut CredentialReport,
    prepared: &mut Prepared,
    active: &Active<'_>,
    cycle: &Cycle,
    log: &Log<'_>,
    rule: &Rule,
) -> (Vec<DeficitReport>, Hours) {
    let by = format_date(cycle.deadline);
    let mut extra_defs = Vec::new();
    let mut extra_needed = Hours::ZERO;
    for e in &active.extra_mins {
        let periods = match e.per {
            Per::Cycle => vec![(cycle.start, cycle.end)],
            Per::CycleYear => cycle.years(),
        };
        let source: &[Slice] = if e.counts_toward_total {
            &prepared.main
        } else {
            &prepared.pool
        };
        let mut counted_all = Hours::ZERO;
        for (pi, (from, to)) in periods.iter().enumerate() {
            let in_period: Vec<&Slice> = source
                .iter()
                .filter(|s| {
                    e.select.matches(&s.view()) && s.day.is_some_and(|d| d >= *from && d <= *to)
                })
                .collect();
            let tally: Hours = in_period.iter().map(|s| s.hours).sum();
            counted_all += tally.min(e.hours);
            let label = e
                .label
                .clone()
                .or_else(|| e.select.topic_phrase())
                .unwrap_or_else(|| "this requirement".into());
            if !e.counts_toward_total {
                // hours beyond what the period needs do not count anywhere
                let mut left = e.hours;
                for s in &in_period {
                    let used = s.hours.min(left);
                    left = left - used;
                    let id = activity_id(log, s);
                    if used > Hours::ZERO {
                        report.allocations.push(AllocationReport {
                            activity: id.clone(),
                            topic: s.topic.map(|t| t.to_string()),
                            hours: used,
                            counts_for: vec![e.id.clone()],
                        });
                    }
                    prepared.excluded.push(
                        &id,
                        s.hours - used,
                        format!("extra_min_excess:{}", e.id),
                        format!(
                            "{} needs {} h per period and does not count toward the total",
                            label, e.hours
                        ),
                    );
                }
            }
            if tally < e.hours {
                let d = e.hours - tally;
                extra_needed += d;
                let period = match e.per {
                    Per::Cycle => String::new(),
                    Per::CycleYear => format!(
                        " completed between {} and {} (year {} of the cycle)",
                        format_date(*from),
                        format_date(*to),
                        pi + 1
                    ),
                };
                let due = if *to < cycle.deadline {
                    format_date(*to)
                } else {
                    by.clone()
                };
                let extra = if e.counts_toward_total {
                    ""
                } else {
                    ", on top of the total"
                };
                extra_defs.push(DeficitReport {
                    requirement: e.id.clone(),
                    hours: d,
                    detail: format!(
                        "{}{period}{extra} by {due}",
                        describe(d, e.label.as_deref(), &e.select, rule)
                    ),
                });
            }
        }
        let required = Hours::from_centi(e.hours.centi() * periods.len() as i64);
        report.requirements.push(RequirementReport {
            id: e.id.clone(),
            kind: "extra_min",
            required,
            counted: counted_all,
            met: counted_all >= required,
        });
    }

    (extra_defs, extra_needed)
}

/// Requirements met once in a career (a course or a record): their rows and deficits.
pub(super) fn once_ever_requirements(
    report: &mut CredentialReport,
    active: &Active<'_>,
    log: &Log<'_>,
    by: &str,
) -> Vec<DeficitReport> {
    let mut other_defs = Vec::new();
    for o in &active.once_ever {
        let by_item = o.item.is_some_and(|k| {
            item_on_record(log, k).any(|i| i.valid_from.is_none_or(|f| f <= log.as_of))
        });
        let by_activity = o.select.as_ref().is_some_and(|sel| {
            log.activities
                .iter()
                .filter(|a| a.completed_on <= log.as_of)
                .any(|a| {
                    let approvals = Scheme::expand(&a.approvals);
                    let mut views: Vec<Option<TopicRef>> =
                        a.topics.iter().map(|(t, _)| Some(*t)).collect();
                    views.push(None);
                    views.iter().any(|t| {
                        sel.matches(&SliceView {
                            topic: t.as_ref(),
                            delivery: Some(a.delivery),
                            approvals: &approvals,
                        })
                    })
                })
        });
        let met = by_item || by_activity;
        report.requirements.push(RequirementReport {
            id: o.id.clone(),
            kind: "once_ever",
            required: Hours::from_whole(1),
            counted: if met {
                Hours::from_whole(1)
            } else {
                Hours::ZERO
            },
            met,
        });
        if !met {
            let label = o
                .label
                .clone()
                .or_else(|| o.select.as_ref().and_then(Selector::topic_phrase))
                .unwrap_or_else(|| "a one-time course".into());
            other_defs.push(DeficitReport {
                requirement: o.id.clone(),
                hours: Hours::ZERO,
                detail: format!("{label} (required once; none on record) by {by}"),
            });
        }
    }
    other_defs
}

/// Non-hour requirements (a CPR card valid on the deadline, a background check in the cycle).
pub(super) fn item_requirements(
    report: &mut CredentialReport,
    active: &Active<'_>,
    log: &Log<'_>,
    cycle: &Cycle,
    by: &str,
) -> Vec<DeficitReport> {
    let mut other_defs = Vec::new();
    for it in &active.items {
        let label = it
            .label
            .clone()
            .unwrap_or_else(|| it.kind.label().to_string());
        let (met, why) = match it.at {
            ItemAt::Deadline => {
                let ok = item_on_record(log, it.kind).any(|i| {
                    i.valid_from.is_none_or(|f| f <= cycle.deadline)
                        && i.valid_to.is_none_or(|t| t >= cycle.deadline)
                });
                let latest = item_on_record(log, it.kind)
                    .filter_map(|i| i.valid_to)
                    .max();
                let why = match latest {
                    Some(t) if !ok => format!(
                        "{label} valid on {by} (the one on record expires {})",
                        format_date(t)
                    ),
                    _ => format!("{label} valid on {by}"),
                };
                (ok, why)
            }
            ItemAt::Cycle => {
                let ok = item_on_record(log, it.kind).any(|i| {
                    i.valid_from
                        .is_some_and(|f| f >= cycle.start && f <= cycle.end)
                });
                (
                    ok,
                    format!(
                        "{label}, dated {} to {}, by {by}",
                        format_date(cycle.start),
                        format_date(cycle.end)
                    ),
                )
            }
        };
        report.requirements.push(RequirementReport {
            id: it.id.clone(),
            kind: "item",
            required: Hours::from_whole(1),
            counted: if met {
                Hours::from_whole(1)
            } else {
                Hours::ZERO
            },
            met,
        });
        if !met {
            other_defs.push(DeficitReport {
                requirement: it.id.clone(),
                hours: Hours::ZERO,
                detail: why,
            });
        }
    }

    other_defs
}

/// What an evaluation found missing, for [`settle_status`].
pub(super) struct Findings {
    /// Hour deficits with conditional hours accepted.
    pub(super) lenient: HourDeficits,
    /// Hour deficits with them rejected (when there are conditional hours).
    pub(super) strict: Option<HourDeficits>,
    /// Per-period minimums not met.
    pub(super) extra: Vec<DeficitReport>,
    /// Once-ever and non-hour requirements not met.
    pub(super) other: Vec<DeficitReport>,
    /// Hours the per-period minimums still need.
    pub(super) extra_needed: Hours,
}

/// The overall status, from the hour deficits counted leniently (conditional hours accepted)
/// and strictly (rejected), plus the per-period and non-hour deficits.
pub(super) fn settle_status(
    report: &mut CredentialReport,
    active: &Active<'_>,
    log: &Log<'_>,
    found: Findings,
) {
    let Findings {
        lenient: lenient_defs,
        strict: strict_defs,
        extra: extra_defs,
        other: other_defs,
        extra_needed,
    } = found;
    let lenient_clear =
        lenient_defs.list.is_empty() && extra_defs.is_empty() && other_defs.is_empty();
    let (status, hour_list, needed) = if active.exempt {
        (Status::Exempt, Vec::new(), Hours::ZERO)
    } else if lenient_clear {
        match strict_defs {
            Some(sd) if !sd.list.is_empty() => {
                let ids: Vec<String> = report
                    .conditions
                    .iter()
                    .map(|c| {
                        log.activities
                            .iter()
                            .find(|a| a.id == c.activity)
                            .map(|a| format!("“{}”", a.title))
                            .unwrap_or_else(|| "the conditional hours".into())
                    })
                    .collect();
                let prefix = format!(
                    "if {} {} not accepted: ",
                    ids.join(", "),
                    if ids.len() == 1 { "is" } else { "are" }
                );
                let list = sd
                    .list
                    .into_iter()
                    .map(|d| DeficitReport {
                        detail: format!("{prefix}{}", d.detail),
                        ..d
                    })
                    .collect();
                (Status::Conditional, list, sd.needed)
            }
            _ => (Status::Compliant, Vec::new(), Hours::ZERO),
        }
    } else {
        (Status::Deficient, lenient_defs.list, lenient_defs.needed)
    };
    report.status = status;
    report.hours_needed = needed + extra_needed;
    report.deficits = hour_list;
    report.deficits.extend(extra_defs);
    report.deficits.extend(other_defs);
}
