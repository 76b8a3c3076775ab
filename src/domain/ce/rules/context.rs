//! Validation context and the checks shared by the parts of a rule: deadlines, selectors and requirement shapes.

use super::*;

pub(super) struct Ctx<'a> {
    pub(super) file: &'a str,
}

impl Ctx<'_> {
    pub(super) fn err(&self, field: impl Into<String>, message: impl Into<String>) -> RuleError {
        RuleError::Field {
            file: self.file.to_string(),
            field: field.into(),
            message: message.into(),
        }
    }

    pub(super) fn hours(&self, field: &str, v: f64) -> Result<Hours, RuleError> {
        Hours::from_f64(v).ok_or_else(|| {
            self.err(
                field,
                format!("{v} is not a number of hours between 0 and 10000"),
            )
        })
    }

    pub(super) fn date(&self, field: &str, s: &str) -> Result<Date, RuleError> {
        parse_date(s).ok_or_else(|| self.err(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
    }

    pub(super) fn range(&self, field: &str, r: &RawRange) -> Result<DateRange, RuleError> {
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

    pub(super) fn opt_range(
        &self,
        field: &str,
        r: &Option<RawRange>,
    ) -> Result<DateRange, RuleError> {
        match r {
            Some(r) => self.range(&format!("{field}.cycles_ending"), r),
            None => Ok(DateRange::default()),
        }
    }

    pub(super) fn id(&self, field: &str, id: &str) -> Result<String, RuleError> {
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

    pub(super) fn non_empty_list<T>(&self, field: &str, v: &[T]) -> Result<(), RuleError> {
        if v.is_empty() {
            Err(self.err(
                field,
                "must not be an empty list (leave it out to mean any)",
            ))
        } else {
            Ok(())
        }
    }

    pub(super) fn select(&self, field: &str, raw: &RawSelect) -> Result<Selector, RuleError> {
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

    pub(super) fn topics(&self, field: &str, list: &[String]) -> Result<Vec<TopicRef>, RuleError> {
        list.iter()
            .enumerate()
            .map(|(i, t)| {
                TopicRef::parse(t).map_err(|e| self.err(format!("{field}[{i}]"), e.to_string()))
            })
            .collect()
    }

    pub(super) fn schemes(&self, field: &str, list: &[String]) -> Result<Vec<Scheme>, RuleError> {
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

    pub(super) fn one_of<T: Copy>(
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

pub(super) fn deadline(c: &Ctx<'_>, d: &RawDeadline) -> Result<DeadlineRule, RuleError> {
    match d.kind.as_str() {
        "fixed" => fixed_deadline(c, d),
        "birth_month_end" => {
            unused(c, d, "months", d.months.is_some())?;
            unused(c, d, "month", d.month.is_some())?;
            unused(c, d, "day", d.day.is_some())?;
            let every = every_years(c, d)?;
            Ok(DeadlineRule::BirthMonthEnd {
                every_years: every,
                parity: parity(c, d, every)?,
                first_after_months: first_after(c, d)?,
            })
        }
        "birth_month_day" => {
            unused(c, d, "months", d.months.is_some())?;
            unused(c, d, "month", d.month.is_some())?;
            let day = d
                .day
                .and_then(|x| u8::try_from(x).ok())
                .filter(|x| (1..=31).contains(x))
                .ok_or_else(|| c.err("deadline.day", "required, 1 to 31"))?;
            let every = every_years(c, d)?;
            Ok(DeadlineRule::BirthMonthDay {
                day,
                every_years: every,
                parity: parity(c, d, every)?,
                first_after_months: first_after(c, d)?,
            })
        }
        "birthday" => {
            unused(c, d, "months", d.months.is_some())?;
            unused(c, d, "month", d.month.is_some())?;
            unused(c, d, "day", d.day.is_some())?;
            unused(c, d, "parity", d.parity.is_some())?;
            unused(c, d, "anchor_year", d.anchor_year.is_some())?;
            Ok(DeadlineRule::Birthday {
                every_years: every_years(c, d)?,
                first_after_months: first_after(c, d)?,
            })
        }
        "anniversary" | "anniversary_month_end" => {
            for (name, present) in [
                ("month", d.month.is_some()),
                ("day", d.day.is_some()),
                ("every_years", d.every_years.is_some()),
                ("parity", d.parity.is_some()),
                ("first_after_months", d.first_after_months.is_some()),
                ("anchor_year", d.anchor_year.is_some()),
            ] {
                unused(c, d, name, present)?;
            }
            let months = d
                .months
                .and_then(|m| u32::try_from(m).ok())
                .filter(|m| (1..=120).contains(m))
                .ok_or_else(|| c.err("deadline.months", "required, 1 to 120"))?;
            Ok(if d.kind == "anniversary" {
                DeadlineRule::Anniversary { months }
            } else {
                DeadlineRule::MonthEndAnniversary { months }
            })
        }
        other => Err(c.err(
            "deadline.kind",
            format!(
                "`{other}` is not one of: fixed, birth_month_end, birth_month_day, birthday, anniversary, anniversary_month_end"
            ),
        )),
    }
}

/// A deadline of kind "fixed": a month and day, every N years.
fn fixed_deadline(c: &Ctx<'_>, d: &RawDeadline) -> Result<DeadlineRule, RuleError> {
    unused(c, d, "months", d.months.is_some())?;
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
    let every = every_years(c, d)?;
    Ok(DeadlineRule::Fixed {
        month,
        day,
        every_years: every,
        parity: parity(c, d, every)?,
        first_after_months: first_after(c, d)?,
    })
}

/// Rejects a deadline key that the deadline's kind does not use.
fn unused(c: &Ctx<'_>, d: &RawDeadline, name: &str, present: bool) -> Result<(), RuleError> {
    if present {
        Err(c.err(
            format!("deadline.{name}"),
            format!("not used by kind = \"{}\"", d.kind),
        ))
    } else {
        Ok(())
    }
}

/// The required `every_years`, 1 to 10.
fn every_years(c: &Ctx<'_>, d: &RawDeadline) -> Result<u8, RuleError> {
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
}

/// Which years a deadline falls in: odd or even (every 2 years), or counted from an anchor year.
fn parity(c: &Ctx<'_>, d: &RawDeadline, every: u8) -> Result<Option<Parity>, RuleError> {
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
            &[
                ("odd", Parity::Odd),
                ("even", Parity::Even),
                ("birth_year", Parity::BirthYear),
                ("licence_number", Parity::LicenceNumber),
                ("license_number", Parity::LicenceNumber),
            ],
        )?,
    };
    if every != 2 {
        return Err(c.err("deadline.parity", "year parity needs every_years = 2"));
    }
    Ok(Some(p))
}

/// The optional `first_after_months` (0 to 120, default 0).
fn first_after(c: &Ctx<'_>, d: &RawDeadline) -> Result<u32, RuleError> {
    let v = d.first_after_months.unwrap_or(0);
    u32::try_from(v).ok().filter(|v| *v <= 120).ok_or_else(|| {
        c.err(
            "deadline.first_after_months",
            format!("{v} is not between 0 and 120"),
        )
    })
}

/// A constraint for the structural (laminarity) check.
pub(super) enum Shape<'a> {
    Sel(&'a Selector),
    Day,
}

pub(super) fn shape_relation(a: &Shape<'_>, b: &Shape<'_>) -> Relation {
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
pub(super) fn check_two_families(
    c: &Ctx<'_>,
    items: &[(String, Shape<'_>)],
) -> Result<(), RuleError> {
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

pub(super) fn requirement(
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
