//! Renewal cycles: turning a deadline rule plus issue date, birth date and
//! "as of" date into the cycle (earning window and deadline) to evaluate.

use std::fmt;

use time::{Date, Month};

/// Year parity of a fixed deadline (FL: odd years; IL, GA: even years).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parity {
    /// Odd years.
    Odd,
    /// Even years.
    Even,
    /// Years `anchor`, `anchor + every`, … (IN: every fourth year from 2017).
    Every {
        /// One year in the series.
        anchor: i32,
        /// Years between deadlines.
        every: u8,
    },
    /// Odd years for people born in an odd year, even years for the others
    /// (VA: 18VAC90-50-70 A).
    BirthYear,
    /// Odd years for odd licence numbers, even years for even ones (ND: § 43-25-09).
    LicenceNumber,
}

impl Parity {
    /// Does a deadline in `year` fit? The person-dependent parities must be
    /// resolved first ([`Parity::resolve`]); unresolved they accept no year.
    fn accepts(self, year: i32) -> bool {
        match self {
            Parity::Odd => year.rem_euclid(2) == 1,
            Parity::Even => year.rem_euclid(2) == 0,
            Parity::Every { anchor, every } => {
                (year - anchor).rem_euclid(i32::from(every.max(1))) == 0
            }
            Parity::BirthYear | Parity::LicenceNumber => false,
        }
    }

    /// Turns a parity that depends on the person into odd or even years.
    fn resolve(self, who: Holder<'_>) -> Result<Parity, CycleError> {
        let odd = |n: i64| {
            if n.rem_euclid(2) == 1 {
                Parity::Odd
            } else {
                Parity::Even
            }
        };
        match self {
            Parity::BirthYear => {
                let birth = who.birth.ok_or(CycleError::MissingBirthDate)?;
                Ok(odd(i64::from(birth.year())))
            }
            Parity::LicenceNumber => who
                .licence_number
                .and_then(|n| n.chars().rev().find_map(|c| c.to_digit(10)))
                .map(|d| odd(i64::from(d)))
                .ok_or(CycleError::MissingLicenceNumber),
            other => Ok(other),
        }
    }
}

/// What a deadline may depend on besides the issue date.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Holder<'a> {
    /// The person's birth date (birthday and birth-month deadlines).
    pub birth: Option<Date>,
    /// The licence number (ND: odd numbers renew in odd years).
    pub licence_number: Option<&'a str>,
}

impl Holder<'_> {
    /// Only a birth date is known.
    pub fn born(birth: Option<Date>) -> Holder<'static> {
        Holder {
            birth,
            licence_number: None,
        }
    }
}

/// How a credential's deadlines are laid out (§3.2 `deadline`).
///
/// For the yearly-anchored kinds (`Fixed`, `BirthMonthEnd`, `Birthday`) the
/// first deadline is the first anchor date that is after the issue date and at
/// least `first_after_months` months after it (and of the right parity, if
/// one is given); later deadlines follow every `every_years` years.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeadlineRule {
    /// A fixed calendar date (day clamped to the month's length).
    Fixed {
        /// Month, 1–12.
        month: u8,
        /// Day of month.
        day: u8,
        /// Years between deadlines.
        every_years: u8,
        /// Year parity, when the board fixes it for everybody.
        parity: Option<Parity>,
        /// Minimum months between issue and the first deadline.
        first_after_months: u32,
    },
    /// A fixed day of the licensee's birth month (MA: the 28th), clamped to
    /// the month's length.
    BirthMonthDay {
        /// Day of month.
        day: u8,
        /// Years between deadlines.
        every_years: u8,
        /// Year parity, if fixed.
        parity: Option<Parity>,
        /// Minimum months between issue and the first deadline.
        first_after_months: u32,
    },
    /// Last day of the licensee's birth month.
    BirthMonthEnd {
        /// Years between deadlines.
        every_years: u8,
        /// Year parity, if fixed.
        parity: Option<Parity>,
        /// Minimum months between issue and the first deadline.
        first_after_months: u32,
    },
    /// The licensee's birthday (29 Feb falls on 28 Feb in common years).
    Birthday {
        /// Years between deadlines.
        every_years: u8,
        /// Minimum months between issue and the first deadline.
        first_after_months: u32,
    },
    /// Every `months` months from the issue date (deadline = the day before
    /// the anniversary).
    Anniversary {
        /// Cycle length in months.
        months: u32,
    },
    /// Every `months` months from the end of the month of issue (WV: "two
    /// years from the end of the month it was issued"): the deadline is the
    /// last day of a month.
    MonthEndAnniversary {
        /// Cycle length in months.
        months: u32,
    },
}

impl DeadlineRule {
    /// Does this rule need the person's birth date?
    pub fn needs_birth_date(&self) -> bool {
        matches!(
            self,
            DeadlineRule::BirthMonthEnd { .. }
                | DeadlineRule::BirthMonthDay { .. }
                | DeadlineRule::Birthday { .. }
        ) || self.parity() == Some(Parity::BirthYear)
    }

    /// Does the renewal year follow the licence number (ND)?
    pub fn needs_licence_number(&self) -> bool {
        self.parity() == Some(Parity::LicenceNumber)
    }

    /// The year parity of the yearly-anchored kinds.
    pub fn parity(&self) -> Option<Parity> {
        match self {
            DeadlineRule::Fixed { parity, .. }
            | DeadlineRule::BirthMonthDay { parity, .. }
            | DeadlineRule::BirthMonthEnd { parity, .. } => *parity,
            _ => None,
        }
    }
}

/// When renewal is due relative to the end of the earning window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Due {
    /// Due on the last day of the cycle.
    #[default]
    End,
    /// Due on the first day of the cycle's last month (OR: renew by the 1st
    /// of the birth month; the licence runs to the month's end).
    FirstOfMonth,
}

/// One renewal cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cycle {
    /// First day CE may be earned.
    pub start: Date,
    /// Last day CE may be earned (licence expiry).
    pub end: Date,
    /// Date by which the renewal (and CE) is due.
    pub deadline: Date,
    /// 0 for the cycle that starts at the issue date.
    pub index: u32,
}

impl Cycle {
    /// The cycle's years (§3.2 `extra_min per: cycle_year`): consecutive
    /// windows of one year from `start`, the last clipped at `end`.
    pub fn years(&self) -> Vec<(Date, Date)> {
        let mut out = Vec::new();
        let mut from = self.start;
        for i in 1..=200 {
            let next = add_months(self.start, 12 * i);
            let to = next
                .and_then(|d| d.previous_day())
                .unwrap_or(self.end)
                .min(self.end);
            out.push((from, to));
            match to.next_day() {
                Some(n) if to < self.end => from = n,
                _ => break,
            }
        }
        out
    }

    /// Months or part-months from `start` to `end` (FL proration).
    pub fn months_touched(&self) -> u32 {
        let months = (self.end.year() - self.start.year()) * 12
            + (self.end.month() as i32 - self.start.month() as i32)
            + 1;
        months.max(0) as u32
    }
}

/// Why a cycle could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CycleError {
    /// The rule is anchored to the birth date and none was given.
    MissingBirthDate,
    /// The renewal year follows the licence number and none (or one without
    /// a digit) was given.
    MissingLicenceNumber,
    /// `as_of` is before the credential was issued.
    AsOfBeforeIssue {
        /// The issue date.
        issued_on: Date,
        /// The as-of date.
        as_of: Date,
    },
    /// Date arithmetic left the supported calendar range.
    OutOfRange,
}

impl fmt::Display for CycleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CycleError::MissingBirthDate => {
                f.write_str("this rule's deadline depends on person.birth_date, which is missing")
            }
            CycleError::MissingLicenceNumber => f.write_str(
                "this rule's renewal year depends on the credential's number, which is missing or has no digit",
            ),
            CycleError::AsOfBeforeIssue { issued_on, as_of } => write!(
                f,
                "as_of {} is before the issue date {}",
                format_date(*as_of),
                format_date(*issued_on)
            ),
            CycleError::OutOfRange => f.write_str("date out of the supported range"),
        }
    }
}

impl std::error::Error for CycleError {}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Parses a strict `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let year = digits(0..4)? as i32;
    let month = Month::try_from(digits(5..7)? as u8).ok()?;
    let day = digits(8..10)? as u8;
    Date::from_calendar_date(year, month, day).ok()
}

/// Days in a month.
pub fn days_in_month(year: i32, month: Month) -> u8 {
    month.length(year)
}

/// A date from parts, clamping the day to the month's length.
pub fn clamped_date(year: i32, month: u8, day: u8) -> Option<Date> {
    let m = Month::try_from(month).ok()?;
    let d = day.min(days_in_month(year, m)).max(1);
    Date::from_calendar_date(year, m, d).ok()
}

/// Adds calendar months, clamping the day (31 Jan + 1 month = 28/29 Feb).
pub fn add_months(d: Date, months: u32) -> Option<Date> {
    let total = d.year() as i64 * 12 + (d.month() as i64 - 1) + months as i64;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = (total.rem_euclid(12) + 1) as u8;
    clamped_date(year, month, d.day())
}

/// The yearly anchor date of a rule in `year`.
fn anchor_in_year(
    rule: &DeadlineRule,
    birth: Option<Date>,
    year: i32,
) -> Result<Option<Date>, CycleError> {
    Ok(match rule {
        DeadlineRule::Fixed { month, day, .. } => clamped_date(year, *month, *day),
        DeadlineRule::BirthMonthEnd { .. } => {
            let b = birth.ok_or(CycleError::MissingBirthDate)?;
            clamped_date(year, b.month() as u8, 31)
        }
        DeadlineRule::BirthMonthDay { day, .. } => {
            let b = birth.ok_or(CycleError::MissingBirthDate)?;
            clamped_date(year, b.month() as u8, *day)
        }
        DeadlineRule::Birthday { .. } => {
            let b = birth.ok_or(CycleError::MissingBirthDate)?;
            clamped_date(year, b.month() as u8, b.day())
        }
        DeadlineRule::Anniversary { .. } | DeadlineRule::MonthEndAnniversary { .. } => None,
    })
}

/// The `k`-th deadline (k = 0 is the first after issue).
fn nth_deadline(
    rule: &DeadlineRule,
    issued_on: Date,
    who: Holder<'_>,
    k: u32,
) -> Result<Date, CycleError> {
    let birth = who.birth;
    let (every_years, parity, first_after_months) = match rule {
        DeadlineRule::Anniversary { months } => {
            let months_total = months.checked_mul(k + 1).ok_or(CycleError::OutOfRange)?;
            return add_months(issued_on, months_total)
                .and_then(|d| d.previous_day())
                .ok_or(CycleError::OutOfRange);
        }
        DeadlineRule::MonthEndAnniversary { months } => {
            let months_total = months.checked_mul(k + 1).ok_or(CycleError::OutOfRange)?;
            let d = add_months(issued_on, months_total).ok_or(CycleError::OutOfRange)?;
            return clamped_date(d.year(), d.month() as u8, 31).ok_or(CycleError::OutOfRange);
        }
        DeadlineRule::Fixed {
            every_years,
            parity,
            first_after_months,
            ..
        }
        | DeadlineRule::BirthMonthDay {
            every_years,
            parity,
            first_after_months,
            ..
        }
        | DeadlineRule::BirthMonthEnd {
            every_years,
            parity,
            first_after_months,
        } => (*every_years, *parity, *first_after_months),
        DeadlineRule::Birthday {
            every_years,
            first_after_months,
        } => (*every_years, None, *first_after_months),
    };
    let parity = parity.map(|p| p.resolve(who)).transpose()?;
    let threshold = add_months(issued_on, first_after_months).ok_or(CycleError::OutOfRange)?;
    let mut first = None;
    for year in issued_on.year()..=issued_on.year() + 8 + first_after_months as i32 / 12 {
        if let Some(p) = parity
            && !p.accepts(year)
        {
            continue;
        }
        if let Some(d) = anchor_in_year(rule, birth, year)?
            && d > issued_on
            && d >= threshold
        {
            first = Some(year);
            break;
        }
    }
    let first_year = first.ok_or(CycleError::OutOfRange)?;
    let year = first_year
        .checked_add(
            (every_years.max(1) as i32)
                .checked_mul(k as i32)
                .ok_or(CycleError::OutOfRange)?,
        )
        .ok_or(CycleError::OutOfRange)?;
    anchor_in_year(rule, birth, year)?.ok_or(CycleError::OutOfRange)
}

/// The `index`-th cycle of a credential.
pub fn cycle_by_index(
    rule: &DeadlineRule,
    due: Due,
    issued_on: Date,
    who: Holder<'_>,
    index: u32,
) -> Result<Cycle, CycleError> {
    let end = nth_deadline(rule, issued_on, who, index)?;
    let start = if index == 0 {
        issued_on
    } else {
        nth_deadline(rule, issued_on, who, index - 1)?
            .next_day()
            .ok_or(CycleError::OutOfRange)?
    };
    let deadline = match due {
        Due::End => end,
        Due::FirstOfMonth => end.replace_day(1).map_err(|_| CycleError::OutOfRange)?,
    };
    Ok(Cycle {
        start,
        end,
        deadline,
        index,
    })
}

/// The cycle whose earning window contains `as_of`.
pub fn cycle_at(
    rule: &DeadlineRule,
    due: Due,
    issued_on: Date,
    who: Holder<'_>,
    as_of: Date,
) -> Result<Cycle, CycleError> {
    if rule.needs_birth_date() && who.birth.is_none() {
        return Err(CycleError::MissingBirthDate);
    }
    if as_of < issued_on {
        return Err(CycleError::AsOfBeforeIssue { issued_on, as_of });
    }
    for k in 0..2000 {
        let end = nth_deadline(rule, issued_on, who, k)?;
        if end >= as_of {
            return cycle_by_index(rule, due, issued_on, who, k);
        }
    }
    Err(CycleError::OutOfRange)
}

#[cfg(test)]
mod tests;
