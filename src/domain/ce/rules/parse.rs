//! Turning a raw rule into a validated one, part by part: identity, calendar, units, settings, requirements, structure, first cycle.

use super::*;

/// The parts of a rule file that name it: jurisdiction, kind, confidence,
/// status, the cycles it is written for, and former ids.
pub(super) struct Identity {
    pub(super) jurisdiction: Option<Jurisdiction>,
    pub(super) credential_kind: CredentialKind,
    pub(super) confidence: Confidence,
    pub(super) status: RuleStatus,
    pub(super) effective: DateRange,
}

pub(super) fn identity(c: &Ctx<'_>, raw: &RawRule, file: &str) -> Result<Identity, RuleError> {
    check_id(c, raw, file)?;
    let jurisdiction = parse_jurisdiction(c, raw)?;
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
    check_aliases(c, raw)?;

    Ok(Identity {
        jurisdiction,
        credential_kind,
        confidence,
        status,
        effective,
    })
}

/// Whether `s` has the shape of a rule id: lowercase letters, digits and `-`, not empty.
fn is_rule_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Checks the id against the file name (`ID.toml` or `ID@LABEL.toml`) and its own shape.
fn check_id(c: &Ctx<'_>, raw: &RawRule, file: &str) -> Result<(), RuleError> {
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
    if !is_rule_id(&raw.id) {
        return Err(c.err(
            "id",
            format!("`{}` must be lowercase letters, digits and `-`", raw.id),
        ));
    }
    Ok(())
}

/// Parses the jurisdiction and checks that a state rule (`us-xx-…`) names its own state.
fn parse_jurisdiction(c: &Ctx<'_>, raw: &RawRule) -> Result<Option<Jurisdiction>, RuleError> {
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
    Ok(jurisdiction)
}

/// Checks that every former id has the shape of a rule id and differs from the current one.
fn check_aliases(c: &Ctx<'_>, raw: &RawRule) -> Result<(), RuleError> {
    for (i, a) in raw.aliases.iter().enumerate() {
        if a == &raw.id || !is_rule_id(a) {
            return Err(c.err(
                format!("aliases[{i}]"),
                format!("`{a}` is not a former id of this rule"),
            ));
        }
    }
    Ok(())
}

pub(super) fn calendar(c: &Ctx<'_>, raw: &RawRule) -> Result<(DeadlineRule, Due), RuleError> {
    let deadline = deadline(c, &raw.deadline)?;
    let due = c.one_of(
        "due",
        raw.due.as_deref().unwrap_or("end"),
        &[("end", Due::End), ("first_of_month", Due::FirstOfMonth)],
    )?;

    Ok((deadline, due))
}

pub(super) fn units(c: &Ctx<'_>, raw: &RawRule) -> Result<UnitPolicy, RuleError> {
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
pub(super) struct Settings {
    pub(super) mode: RuleMode,
    pub(super) total: Hours,
    pub(super) accepted_approvals: Vec<Scheme>,
    pub(super) excluded_topics: Vec<TopicRef>,
    pub(super) no_duplicate: DuplicateScope,
    pub(super) carry_over_max: Hours,
    pub(super) late_renewal: LateRenewal,
}

pub(super) fn settings(c: &Ctx<'_>, raw: &RawRule) -> Result<Settings, RuleError> {
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
pub(super) struct Requirements {
    pub(super) buckets: Vec<Requirement>,
    pub(super) mins: Vec<Requirement>,
    pub(super) caps: Vec<Requirement>,
    pub(super) window_caps: Vec<WindowCap>,
    pub(super) extra_mins: Vec<ExtraMin>,
    pub(super) once_ever: Vec<OnceEver>,
    pub(super) items: Vec<ItemRequirement>,
    pub(super) conditionals: Vec<NotedSelector>,
    pub(super) excluded_from_total: Vec<NotedSelector>,
}

pub(super) fn requirements(c: &Ctx<'_>, raw: &RawRule) -> Result<Requirements, RuleError> {
    let buckets = requirement_list(c, "bucket", &raw.bucket, false)?;
    let mins = requirement_list(c, "min", &raw.min, true)?;
    let caps = requirement_list(c, "cap", &raw.cap, false)?;
    let window_caps = window_caps(c, &raw.window_cap)?;
    let extra_mins = extra_mins(c, &raw.extra_min)?;
    let once_ever = once_ever(c, &raw.once_ever)?;
    let items = items(c, &raw.item)?;
    let conditionals = noted(c, "conditional", &raw.conditional)?;
    let excluded_from_total = noted(c, "excluded_from_total", &raw.excluded_from_total)?;

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

/// Validates one `[[bucket]]`, `[[min]]` or `[[cap]]` section (`within` only for minimums).
fn requirement_list(
    c: &Ctx<'_>,
    name: &str,
    list: &[RawReq],
    allow_within: bool,
) -> Result<Vec<Requirement>, RuleError> {
    list.iter()
        .enumerate()
        .map(|(i, r)| requirement(c, &format!("{name}[{i}]"), r, allow_within))
        .collect()
}

/// Validates the `[[window_cap]]` section (24-hour windows only).
fn window_caps(c: &Ctx<'_>, list: &[RawWindowCap]) -> Result<Vec<WindowCap>, RuleError> {
    let mut window_caps = Vec::new();
    for (i, w) in list.iter().enumerate() {
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
    Ok(window_caps)
}

/// Validates the `[[extra_min]]` section.
fn extra_mins(c: &Ctx<'_>, list: &[RawExtraMin]) -> Result<Vec<ExtraMin>, RuleError> {
    let mut extra_mins = Vec::new();
    for (i, e) in list.iter().enumerate() {
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
    Ok(extra_mins)
}

/// Validates the `[[once_ever]]` section (each needs a selector, an item kind or both).
fn once_ever(c: &Ctx<'_>, list: &[RawOnceEver]) -> Result<Vec<OnceEver>, RuleError> {
    let mut once_ever = Vec::new();
    for (i, o) in list.iter().enumerate() {
        let field = format!("once_ever[{i}]");
        let select = o
            .select
            .as_ref()
            .map(|s| c.select(&format!("{field}.select"), s))
            .transpose()?;
        let item = o
            .item
            .as_deref()
            .map(|k| item_kind(c, &format!("{field}.item"), k))
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
    Ok(once_ever)
}

/// Validates the `[[item]]` section (non-hour requirements such as a CPR card).
fn items(c: &Ctx<'_>, list: &[RawItem]) -> Result<Vec<ItemRequirement>, RuleError> {
    let mut items = Vec::new();
    for (i, it) in list.iter().enumerate() {
        let field = format!("item[{i}]");
        items.push(ItemRequirement {
            id: c.id(&format!("{field}.id"), &it.id)?,
            label: it.label.clone(),
            kind: item_kind(c, &format!("{field}.kind"), &it.kind)?,
            at: c.one_of(
                &format!("{field}.at"),
                &it.at,
                &[("deadline", ItemAt::Deadline), ("cycle", ItemAt::Cycle)],
            )?,
            applies: c.opt_range(&field, &it.cycles_ending)?,
        });
    }
    Ok(items)
}

/// Parses an item-kind code, naming the known codes when it is not one.
fn item_kind(c: &Ctx<'_>, field: &str, code: &str) -> Result<ItemKind, RuleError> {
    ItemKind::from_code(code).ok_or_else(|| {
        c.err(
            field,
            format!(
                "unknown item kind `{code}` (known: {})",
                ItemKind::known_codes()
            ),
        )
    })
}

/// Validates a `[[conditional]]` or `[[excluded_from_total]]` section (each entry needs a note).
fn noted(c: &Ctx<'_>, name: &str, list: &[RawNoted]) -> Result<Vec<NotedSelector>, RuleError> {
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
}

/// Requirement ids are unique across sections (deficits and citations name them).
pub(super) fn unique_ids(c: &Ctx<'_>, r: &Requirements) -> Result<(), RuleError> {
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
pub(super) fn structure(
    c: &Ctx<'_>,
    mode: RuleMode,
    total: Hours,
    r: &Requirements,
) -> Result<(), RuleError> {
    match mode {
        RuleMode::None => check_no_hours(c, total, r),
        RuleMode::Partition => check_partition(c, total, r),
        RuleMode::Subset => check_subset(c, total, r),
    }
}

/// Mode "none": no total, buckets, minimums, caps or extra minimums.
fn check_no_hours(c: &Ctx<'_>, total: Hours, r: &Requirements) -> Result<(), RuleError> {
    if !total.is_zero()
        || !r.buckets.is_empty()
        || !r.mins.is_empty()
        || !r.caps.is_empty()
        || !r.extra_mins.is_empty()
    {
        return Err(c.err(
            "mode",
            "mode = \"none\" takes no total, buckets, minimums, caps or extra minimums",
        ));
    }
    Ok(())
}

/// Partition mode: buckets only, adding up to the total, with caps nested or disjoint.
fn check_partition(c: &Ctx<'_>, total: Hours, r: &Requirements) -> Result<(), RuleError> {
    let Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        ..
    } = r;
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
    let mut shapes = selector_shapes("cap", caps);
    shapes.extend(day_shapes(window_caps));
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
    Ok(())
}

/// Subset mode: minimums only, nested as declared, splitting with the caps into two families.
fn check_subset(c: &Ctx<'_>, total: Hours, r: &Requirements) -> Result<(), RuleError> {
    let Requirements {
        buckets,
        mins,
        caps,
        window_caps,
        ..
    } = r;
    if !buckets.is_empty() {
        return Err(c.err("bucket", "subset mode uses [[min]], not [[bucket]]"));
    }
    check_min_nesting(c, total, mins)?;
    let mut shapes = selector_shapes("min", mins);
    shapes.extend(selector_shapes("cap", caps));
    shapes.extend(day_shapes(window_caps));
    check_two_families(c, &shapes)
}

/// Each minimum is more than 0 h, at most the total, and inside the minimum its `within` names.
fn check_min_nesting(c: &Ctx<'_>, total: Hours, mins: &[Requirement]) -> Result<(), RuleError> {
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
    Ok(())
}

/// The `[[min]]` or `[[cap]]` section as named selector shapes for the structural checks.
fn selector_shapes<'a>(name: &str, list: &'a [Requirement]) -> Vec<(String, Shape<'a>)> {
    list.iter()
        .enumerate()
        .map(|(i, r)| (format!("{name}[{i}] ({})", r.id), Shape::Sel(&r.select)))
        .collect()
}

/// The `[[window_cap]]` section as named one-day shapes for the structural checks.
fn day_shapes<'a>(list: &[WindowCap]) -> Vec<(String, Shape<'a>)> {
    list.iter()
        .enumerate()
        .map(|(i, w)| (format!("window_cap[{i}] ({})", w.id), Shape::Day))
        .collect()
}

pub(super) fn first_cycle(
    c: &Ctx<'_>,
    raw: &RawRule,
    mode: RuleMode,
    total: Hours,
    r: &Requirements,
) -> Result<FirstCycle, RuleError> {
    let Some(f) = &raw.first_cycle else {
        return Ok(FirstCycle::Standard);
    };
    match f.kind.as_str() {
        "standard" => {
            if f.keep.is_some()
                || f.hours_per_month.is_some()
                || f.includes.is_some()
                || f.licensed_within_months.is_some()
                || f.total.is_some()
            {
                return Err(c.err("first_cycle", "kind = \"standard\" takes no other keys"));
            }
            Ok(FirstCycle::Standard)
        }
        "exempt" | "reduced" => exempt_or_reduced(c, f, mode, total, r),
        "prorated" => prorated(c, f, mode, r),
        other => Err(c.err(
            "first_cycle.kind",
            format!("`{other}` is not one of: standard, exempt, reduced, prorated"),
        )),
    }
}

/// First cycle of kind "exempt" or "reduced": the requirements kept, then the kind's own keys.
fn exempt_or_reduced(
    c: &Ctx<'_>,
    f: &RawFirstCycle,
    mode: RuleMode,
    total: Hours,
    r: &Requirements,
) -> Result<FirstCycle, RuleError> {
    if f.hours_per_month.is_some() || f.includes.is_some() {
        return Err(c.err(
            "first_cycle",
            "kinds \"exempt\" and \"reduced\" take no hours_per_month or includes",
        ));
    }
    let keep = f.keep.clone().unwrap_or_default();
    for (i, k) in keep.iter().enumerate() {
        let known = r.mins.iter().any(|x| &x.id == k)
            || r.extra_mins.iter().any(|x| &x.id == k)
            || r.once_ever.iter().any(|x| &x.id == k)
            || r.items.iter().any(|x| &x.id == k);
        if !known {
            return Err(c.err(
                format!("first_cycle.keep[{i}]"),
                format!(
                    "`{k}` is not the id of a [[min]], [[extra_min]], [[once_ever]] or [[item]]"
                ),
            ));
        }
    }
    if f.kind == "exempt" {
        exempt(c, f, keep)
    } else {
        reduced(c, f, mode, total, &r.mins, keep)
    }
}

/// First cycle of kind "exempt", optionally only for licences issued within N months.
fn exempt(c: &Ctx<'_>, f: &RawFirstCycle, keep: Vec<String>) -> Result<FirstCycle, RuleError> {
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
    Ok(FirstCycle::Exempt {
        keep,
        licensed_within_months: within,
    })
}

/// First cycle of kind "reduced": a smaller total (subset mode) that the kept minimums fit in.
fn reduced(
    c: &Ctx<'_>,
    f: &RawFirstCycle,
    mode: RuleMode,
    total: Hours,
    mins: &[Requirement],
    keep: Vec<String>,
) -> Result<FirstCycle, RuleError> {
    if f.licensed_within_months.is_some() {
        return Err(c.err(
            "first_cycle.licensed_within_months",
            "only for kind = \"exempt\"",
        ));
    }
    if mode != RuleMode::Subset {
        return Err(c.err("first_cycle.kind", "\"reduced\" needs mode = \"subset\""));
    }
    let t = f
        .total
        .ok_or_else(|| c.err("first_cycle.total", "required for kind = \"reduced\""))?;
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
    Ok(FirstCycle::Reduced { total: t, keep })
}

/// First cycle of kind "prorated": hours per month, with the buckets or minimums it includes.
fn prorated(
    c: &Ctx<'_>,
    f: &RawFirstCycle,
    mode: RuleMode,
    r: &Requirements,
) -> Result<FirstCycle, RuleError> {
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
            RuleMode::Partition => r.buckets.iter().any(|b| b.id == k),
            _ => r.mins.iter().any(|m| m.id == k),
        };
        if !known {
            return Err(c.err(
                &field,
                "not the id of a bucket (partition) or minimum (subset)",
            ));
        }
        includes.push((k, c.hours(&field, v)?));
    }
    Ok(FirstCycle::Prorated {
        hours_per_month,
        includes,
    })
}
