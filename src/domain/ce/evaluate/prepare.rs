//! Slices and eligibility: the log cut into hours per topic, each checked against the rule.

use super::*;

// Slices and eligibility

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Source {
    Activity(usize),
    Carry,
}

#[derive(Clone, Debug)]
pub(super) struct Slice {
    pub(super) source: Source,
    pub(super) topic: Option<TopicRef>,
    pub(super) delivery: Option<Delivery>,
    pub(super) approvals: Vec<Scheme>,
    pub(super) day: Option<Date>,
    pub(super) hours: Hours,
    pub(super) conditional: Option<usize>,
}

impl Slice {
    pub(super) fn view(&self) -> SliceView<'_> {
        SliceView {
            topic: self.topic.as_ref(),
            delivery: self.delivery,
            approvals: &self.approvals,
        }
    }
}

pub(super) struct ExcludedAcc {
    pub(super) list: Vec<ExcludedReport>,
}

impl ExcludedAcc {
    pub(super) fn push(
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
pub(super) fn split(rule: &Rule, a: &Activity) -> Option<Vec<(Option<TopicRef>, Hours)>> {
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

pub(super) fn duplicates(rule: &Rule, cycle: &Cycle, log: &Log<'_>) -> Vec<Option<usize>> {
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

pub(super) struct Prepared {
    pub(super) main: Vec<Slice>,
    pub(super) pool: Vec<Slice>,
    pub(super) excluded: ExcludedAcc,
}

pub(super) fn prepare(
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
        if let Some((reason, detail)) = date_exclusion(rule, cycle, cred, log, a) {
            let shown = rule.units.convert(a.amount, a.unit).unwrap_or(a.amount);
            p.excluded.push(&a.id, shown, reason, detail);
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
            if let Some((reason, detail)) =
                slice_exclusion(rule, log, topic.as_ref(), approved, dup[i])
            {
                p.excluded.push(&a.id, hours, reason, detail);
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
            p.place(rule, active, &a.id, slice);
        }
    }
    p
}

/// Why an activity's date keeps it out of this cycle (not yet done, outside it, before a late renewal's approval).
fn date_exclusion(
    rule: &Rule,
    cycle: &Cycle,
    cred: &Credential,
    log: &Log<'_>,
    a: &Activity,
) -> Option<(&'static str, String)> {
    let date = format_date(a.completed_on);
    if a.completed_on > log.as_of {
        return Some((
            "not_yet_completed",
            format!("completed on {date}, after the as-of date"),
        ));
    }
    if a.completed_on < cycle.start || a.completed_on > cycle.end {
        return Some((
            "out_of_window",
            format!(
                "completed on {date}, outside this cycle ({} to {})",
                format_date(cycle.start),
                format_date(cycle.end)
            ),
        ));
    }
    if rule.late_renewal == LateRenewal::CeAfterApproval
        && let Some(approved) = cred.late_renewal_approved_on
        && approved >= cycle.start
        && a.completed_on <= approved
    {
        return Some((
            "out_of_window",
            format!(
                "late renewal: CE must be dated after the approval date {}",
                format_date(approved)
            ),
        ));
    }
    None
}

/// Why a slice is not eligible (excluded topic, provider not accepted, repeat of course `dup`).
fn slice_exclusion(
    rule: &Rule,
    log: &Log<'_>,
    topic: Option<&TopicRef>,
    approved: bool,
    dup: Option<usize>,
) -> Option<(&'static str, String)> {
    if let Some(t) = topic
        && topic_excluded(rule, t)
    {
        return Some((
            "topic_excluded",
            format!("this credential does not accept {}", t.label()),
        ));
    }
    if !approved {
        let accepted: Vec<String> = rule
            .accepted_approvals
            .iter()
            .map(|s| s.label().to_string())
            .collect();
        return Some((
            "approval_not_accepted",
            format!(
                "not from a provider this credential accepts (it needs {})",
                join_or(accepted)
            ),
        ));
    }
    if let Some(orig) = dup {
        let o = &log.activities[orig];
        return Some((
            "duplicate",
            format!(
                "same course as “{}” ({})",
                o.title,
                format_date(o.completed_on)
            ),
        ));
    }
    None
}

impl Prepared {
    /// Files an eligible slice: excluded from the total, pooled for a separate extra minimum, or main.
    fn place(&mut self, rule: &Rule, active: &Active<'_>, activity: &str, slice: Slice) {
        if let Some(x) = rule
            .excluded_from_total
            .iter()
            .find(|x| x.select.matches(&slice.view()))
        {
            self.excluded
                .push(activity, slice.hours, "excluded_from_total", x.note.clone());
            return;
        }
        if active
            .extra_mins
            .iter()
            .any(|e| !e.counts_toward_total && e.select.matches(&slice.view()))
        {
            self.pool.push(slice);
            return;
        }
        let conditional = rule
            .conditionals
            .iter()
            .position(|c| c.select.matches(&slice.view()));
        self.main.push(Slice {
            conditional,
            ..slice
        });
    }
}
