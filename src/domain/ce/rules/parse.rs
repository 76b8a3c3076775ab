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

pub(super) fn first_cycle(
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
