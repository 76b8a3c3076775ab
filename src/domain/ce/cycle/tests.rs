//! Renewal cycles of every deadline kind, worked by hand from the boards' texts.

use super::{Cycle, CycleError, DeadlineRule, Due, Holder, Parity, format_date, parse_date};
use time::Date;
use time::macros::date;

/// The cycle for a holder of whom only the birth date is known.
fn cycle_at(
    rule: &DeadlineRule,
    due: Due,
    issued_on: Date,
    birth: Option<Date>,
    as_of: Date,
) -> Result<Cycle, CycleError> {
    super::cycle_at(rule, due, issued_on, Holder::born(birth), as_of)
}

fn span(c: &Cycle) -> (String, String, String) {
    (
        format_date(c.start),
        format_date(c.end),
        format_date(c.deadline),
    )
}

fn fixed(month: u8, day: u8, every_years: u8, parity: Option<Parity>) -> DeadlineRule {
    DeadlineRule::Fixed {
        month,
        day,
        every_years,
        parity,
        first_after_months: 0,
    }
}

#[test]
fn florida_aug_31_odd_years() {
    let r = fixed(8, 31, 2, Some(Parity::Odd));
    let c = cycle_at(
        &r,
        Due::End,
        date!(2019 - 05 - 10),
        None,
        date!(2025 - 08 - 01),
    )
    .expect("cycle");
    assert_eq!(
        span(&c),
        (
            "2023-09-01".into(),
            "2025-08-31".into(),
            "2025-08-31".into()
        )
    );
    assert_eq!(c.index, 3);
    // Issued inside a cycle: first cycle is short and starts at issue.
    let c = cycle_at(
        &r,
        Due::End,
        date!(2024 - 03 - 10),
        None,
        date!(2024 - 04 - 01),
    )
    .expect("cycle");
    assert_eq!(span(&c).0, "2024-03-10");
    assert_eq!(span(&c).1, "2025-08-31");
    assert_eq!(c.index, 0);
    assert_eq!(c.months_touched(), 18);
}

#[test]
fn illinois_georgia_pennsylvania_fixed_dates() {
    let il = fixed(12, 31, 2, Some(Parity::Even));
    let c = cycle_at(
        &il,
        Due::End,
        date!(2015 - 01 - 05),
        None,
        date!(2025 - 06 - 01),
    )
    .expect("il");
    assert_eq!(span(&c).0, "2025-01-01");
    assert_eq!(span(&c).1, "2026-12-31");
    let ga = fixed(10, 31, 2, Some(Parity::Even));
    let c = cycle_at(
        &ga,
        Due::End,
        date!(2015 - 01 - 05),
        None,
        date!(2025 - 06 - 01),
    )
    .expect("ga");
    assert_eq!(
        (span(&c).0, span(&c).1),
        ("2024-11-01".into(), "2026-10-31".into())
    );
    let pa = fixed(1, 31, 2, Some(Parity::Odd));
    let c = cycle_at(
        &pa,
        Due::End,
        date!(2015 - 01 - 05),
        None,
        date!(2025 - 06 - 01),
    )
    .expect("pa");
    assert_eq!(
        (span(&c).0, span(&c).1),
        ("2025-02-01".into(), "2027-01-31".into())
    );
}

#[test]
fn michigan_three_years_phased_from_issue() {
    let mi = fixed(10, 31, 3, None);
    let c = cycle_at(
        &mi,
        Due::End,
        date!(2022 - 11 - 15),
        None,
        date!(2026 - 05 - 01),
    )
    .expect("mi");
    assert_eq!(
        (span(&c).0, span(&c).1),
        ("2023-11-01".into(), "2026-10-31".into())
    );
    assert_eq!(c.index, 1);
    assert_eq!(c.years().len(), 3);
    assert_eq!(format_date(c.years()[2].0), "2025-11-01");
    assert_eq!(format_date(c.years()[2].1), "2026-10-31");
}

#[test]
fn anniversary_cycles() {
    let r = DeadlineRule::Anniversary { months: 24 };
    let c = cycle_at(
        &r,
        Due::End,
        date!(2020 - 03 - 15),
        None,
        date!(2025 - 08 - 01),
    )
    .expect("c");
    assert_eq!(
        (span(&c).0, span(&c).1),
        ("2024-03-15".into(), "2026-03-14".into())
    );
    // The last day of a cycle belongs to it.
    let c = cycle_at(
        &r,
        Due::End,
        date!(2020 - 03 - 15),
        None,
        date!(2026 - 03 - 14),
    )
    .expect("c");
    assert_eq!(span(&c).1, "2026-03-14");
    let c = cycle_at(
        &r,
        Due::End,
        date!(2020 - 03 - 15),
        None,
        date!(2026 - 03 - 15),
    )
    .expect("c");
    assert_eq!(span(&c).0, "2026-03-15");
}

#[test]
fn birth_month_and_birthday() {
    let or = DeadlineRule::BirthMonthEnd {
        every_years: 2,
        parity: None,
        first_after_months: 12,
    };
    let birth = Some(date!(1990 - 02 - 14));
    let c = cycle_at(
        &or,
        Due::FirstOfMonth,
        date!(2021 - 05 - 01),
        birth,
        date!(2025 - 01 - 10),
    )
    .expect("or");
    // first deadline: first end of February at least 12 months after issue = 2023-02-28
    assert_eq!(
        span(&c),
        (
            "2023-03-01".into(),
            "2025-02-28".into(),
            "2025-02-01".into()
        )
    );
    let wa = DeadlineRule::Birthday {
        every_years: 2,
        first_after_months: 12,
    };
    let leap = Some(date!(1992 - 02 - 29));
    let c = cycle_at(
        &wa,
        Due::End,
        date!(2020 - 01 - 10),
        leap,
        date!(2021 - 06 - 01),
    )
    .expect("wa");
    assert_eq!(span(&c).1, "2023-02-28");
    assert_eq!(span(&c).0, "2021-03-01");
    assert_eq!(
        cycle_at(
            &wa,
            Due::End,
            date!(2020 - 01 - 10),
            None,
            date!(2021 - 06 - 01)
        ),
        Err(CycleError::MissingBirthDate)
    );
}

#[test]
fn as_of_before_issue_is_an_error() {
    let r = DeadlineRule::Anniversary { months: 24 };
    assert!(matches!(
        cycle_at(
            &r,
            Due::End,
            date!(2020 - 03 - 15),
            None,
            date!(2019 - 01 - 01)
        ),
        Err(CycleError::AsOfBeforeIssue { .. })
    ));
}

/// VA (18VAC90-50-70 A): born in an even year, renew by the end of the birth month of
/// even years; born in an odd year, odd years.
#[test]
fn virginia_renewal_year_follows_the_birth_year() {
    let va = DeadlineRule::BirthMonthEnd {
        every_years: 2,
        parity: Some(Parity::BirthYear),
        first_after_months: 0,
    };
    let issued = date!(2025 - 01 - 10);
    let as_of = date!(2025 - 02 - 01);
    let even = cycle_at(&va, Due::End, issued, Some(date!(1990 - 06 - 15)), as_of).unwrap();
    assert_eq!(span(&even).1, "2026-06-30");
    let odd = cycle_at(&va, Due::End, issued, Some(date!(1991 - 06 - 15)), as_of).unwrap();
    assert_eq!(span(&odd).1, "2025-06-30");
    let next = cycle_at(
        &va,
        Due::End,
        issued,
        Some(date!(1991 - 06 - 15)),
        date!(2025 - 07 - 01),
    )
    .unwrap();
    assert_eq!(
        (span(&next).0.as_str(), span(&next).1.as_str()),
        ("2025-07-01", "2027-06-30")
    );
    assert_eq!(
        cycle_at(&va, Due::End, issued, None, as_of),
        Err(CycleError::MissingBirthDate)
    );
}

/// ND (§ 43-25-09): odd-numbered licences report by February 28 of odd years, even ones of
/// even years; the last digit of the number decides.
#[test]
fn north_dakota_renewal_year_follows_the_licence_number() {
    let nd = DeadlineRule::Fixed {
        month: 2,
        day: 28,
        every_years: 2,
        parity: Some(Parity::LicenceNumber),
        first_after_months: 0,
    };
    let at = |number: Option<&str>| {
        let who = Holder {
            birth: None,
            licence_number: number,
        };
        super::cycle_at(
            &nd,
            Due::End,
            date!(2024 - 05 - 01),
            who,
            date!(2024 - 06 - 01),
        )
        .map(|c| format_date(c.end))
    };
    assert_eq!(at(Some("MT-1357")), Ok("2025-02-28".into()));
    assert_eq!(at(Some("2468")), Ok("2026-02-28".into()));
    assert_eq!(at(None), Err(CycleError::MissingLicenceNumber));
    assert_eq!(at(Some("pending")), Err(CycleError::MissingLicenceNumber));
}

/// MA (269 CMR 3.02(1)(a)): valid at least 12 months, expiring on the 28th of the birth month,
/// then every year.
#[test]
fn massachusetts_expires_on_the_28th_of_the_birth_month() {
    let ma = DeadlineRule::BirthMonthDay {
        day: 28,
        every_years: 1,
        parity: None,
        first_after_months: 12,
    };
    let birth = Some(date!(1985 - 03 - 30));
    let first = cycle_at(
        &ma,
        Due::End,
        date!(2025 - 01 - 15),
        birth,
        date!(2025 - 02 - 01),
    )
    .unwrap();
    assert_eq!(span(&first).1, "2026-03-28");
    let second = cycle_at(
        &ma,
        Due::End,
        date!(2025 - 01 - 15),
        birth,
        date!(2026 - 03 - 29),
    )
    .unwrap();
    assert_eq!(
        (span(&second).0.as_str(), span(&second).1.as_str()),
        ("2026-03-29", "2027-03-28")
    );
}

/// WV (W. Va. C.S.R. 194-1-3.1.c): a licence expires two years from the end of the month it
/// was issued.
#[test]
fn west_virginia_counts_from_the_end_of_the_month_of_issue() {
    let wv = DeadlineRule::MonthEndAnniversary { months: 24 };
    let c = cycle_at(
        &wv,
        Due::End,
        date!(2024 - 03 - 15),
        None,
        date!(2024 - 04 - 01),
    )
    .unwrap();
    assert_eq!(
        span(&c),
        (
            "2024-03-15".into(),
            "2026-03-31".into(),
            "2026-03-31".into()
        )
    );
    let next = cycle_at(
        &wv,
        Due::End,
        date!(2024 - 01 - 31),
        None,
        date!(2026 - 02 - 01),
    )
    .unwrap();
    assert_eq!(
        (span(&next).0.as_str(), span(&next).1.as_str()),
        ("2026-02-01", "2028-01-31")
    );
}

#[test]
fn strict_date_parsing() {
    assert_eq!(parse_date("2024-02-29"), Some(date!(2024 - 02 - 29)));
    assert_eq!(parse_date("2023-02-29"), None);
    assert_eq!(parse_date("2024-2-29"), None);
    assert_eq!(parse_date("2024-02-2x"), None);
}
