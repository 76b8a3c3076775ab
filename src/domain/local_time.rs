//! A student's own time: their time zone (IANA name, from the bundled tz database of
//! `chrono-tz`), the local day their study day belongs to, and when a study reminder is due.
//!
//! Times are stored in UTC without zone; a student's day starts at their local midnight, so "today"
//! for the study plan, the streak and the minutes per day is the local date of the UTC instant.

use chrono::{Offset, TimeZone};
use chrono_tz::Tz;
use time::{Date, PrimitiveDateTime, Weekday};

/// The zone used until a student chooses theirs.
pub const DEFAULT_ZONE: &str = "America/New_York";

/// The zones offered on the settings form, with what people call them (any other IANA name is
/// accepted too, e.g. through the API).
pub const ZONES: [(&str, &str); 12] = [
    (
        "America/New_York",
        "Eastern time (New York, Miami, Atlanta)",
    ),
    ("America/Chicago", "Central time (Chicago, Dallas, Houston)"),
    ("America/Denver", "Mountain time (Denver, Salt Lake City)"),
    ("America/Phoenix", "Arizona (no daylight saving time)"),
    ("America/Los_Angeles", "Pacific time (Los Angeles, Seattle)"),
    ("America/Anchorage", "Alaska time (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii time (Honolulu)"),
    (
        "America/Puerto_Rico",
        "Atlantic time (Puerto Rico, U.S. Virgin Islands)",
    ),
    (
        "Pacific/Guam",
        "Chamorro time (Guam, Northern Mariana Islands)",
    ),
    ("America/Toronto", "Eastern time, Canada (Toronto)"),
    ("America/Vancouver", "Pacific time, Canada (Vancouver)"),
    ("UTC", "Coordinated Universal Time (UTC)"),
];

/// The zone of an IANA name ("America/Chicago"), if the tz database knows it.
pub fn zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// What people call a zone: the form's label, else its IANA name with spaces.
pub fn zone_label(name: &str) -> String {
    ZONES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| (*l).to_string())
        .unwrap_or_else(|| name.replace('_', " "))
}

fn utc_offset_secs(tz: Tz, utc: PrimitiveDateTime) -> i64 {
    let ts = utc.assume_utc().unix_timestamp();
    let Some(dt) = chrono::DateTime::from_timestamp(ts, 0) else {
        return 0;
    };
    i64::from(
        tz.offset_from_utc_datetime(&dt.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// The wall-clock time in `tz` at the UTC instant `utc`.
pub fn local(tz: Tz, utc: PrimitiveDateTime) -> PrimitiveDateTime {
    utc + time::Duration::seconds(utc_offset_secs(tz, utc))
}

/// The local date in `tz` at the UTC instant `utc`: the student's "today".
pub fn local_date(tz: Tz, utc: PrimitiveDateTime) -> Date {
    local(tz, utc).date()
}

/// The UTC instant of `hour`:00 local time on `day` in `tz`. When that time does not exist (the
/// hour skipped as daylight saving time starts) the next hour is used; when it exists twice (the
/// hour repeated as it ends), the first.
pub fn utc_of_local(tz: Tz, day: Date, hour: u8) -> PrimitiveDateTime {
    let naive = chrono::NaiveDate::from_ymd_opt(
        day.year(),
        u32::from(u8::from(day.month())),
        u32::from(day.day()),
    )
    .and_then(|d| d.and_hms_opt(u32::from(hour.min(23)), 0, 0));
    let Some(naive) = naive else {
        return PrimitiveDateTime::new(day, time::Time::MIDNIGHT);
    };
    let resolved = tz.from_local_datetime(&naive).earliest().or_else(|| {
        tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
            .earliest()
    });
    let ts = resolved.map_or(0, |d| d.timestamp());
    match time::OffsetDateTime::from_unix_timestamp(ts) {
        Ok(t) => PrimitiveDateTime::new(t.date(), t.time()),
        Err(_) => PrimitiveDateTime::new(day, time::Time::MIDNIGHT),
    }
}

/// A UTC timestamp as a student reads it in their zone, e.g. "2026-11-29 08:05 CST".
pub fn display(tz: Tz, utc: PrimitiveDateTime) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let local = local(tz, utc).format(&fmt).unwrap_or_default();
    let abbr = chrono::DateTime::from_timestamp(utc.assume_utc().unix_timestamp(), 0)
        .map(|dt| tz.offset_from_utc_datetime(&dt.naive_utc()).to_string())
        .unwrap_or_default();
    format!("{local} {abbr}")
}

/// How often a student wants a study reminder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Off,
    Daily,
    /// Once a week, on this weekday.
    Weekly(Weekday),
}

impl Frequency {
    /// The stored code ("off", "daily", "weekly") and weekday (0 = Monday … 6 = Sunday).
    pub fn from_parts(code: &str, weekday: i32) -> Option<Frequency> {
        match code {
            "off" => Some(Frequency::Off),
            "daily" => Some(Frequency::Daily),
            "weekly" => weekday_of(weekday).map(Frequency::Weekly),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Frequency::Off => "off",
            Frequency::Daily => "daily",
            Frequency::Weekly(_) => "weekly",
        }
    }
}

/// 0 = Monday … 6 = Sunday.
pub fn weekday_of(n: i32) -> Option<Weekday> {
    Some(match n {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        6 => Weekday::Sunday,
        _ => return None,
    })
}

/// How long after the chosen hour a reminder may still go out (a server that was down at the
/// hour catches up; later than this the day's reminder is skipped rather than sent at night).
pub const CATCH_UP_HOURS: u8 = 3;

/// Whether a reminder is due now: the local time is within [`CATCH_UP_HOURS`] after the chosen
/// hour on a day the frequency asks for, and none went out on this local date yet.
pub fn reminder_due(
    freq: Frequency,
    hour: u8,
    local_now: PrimitiveDateTime,
    last_sent_on: Option<Date>,
) -> bool {
    let today = local_now.date();
    let day_ok = match freq {
        Frequency::Off => false,
        Frequency::Daily => true,
        Frequency::Weekly(w) => today.weekday() == w,
    };
    let h = local_now.hour();
    let in_window = h >= hour && h < hour.saturating_add(CATCH_UP_HOURS);
    day_ok && in_window && last_sent_on.is_none_or(|d| d < today)
}

/// The next `count` local dates from `today` (inclusive) on which the frequency asks for study.
pub fn study_days(freq: Frequency, today: Date, until: Option<Date>, count: usize) -> Vec<Date> {
    let mut out = vec![];
    let mut d = today;
    for _ in 0..(count * 7 + 7) {
        if out.len() >= count || until.is_some_and(|u| d > u) {
            break;
        }
        let wanted = match freq {
            Frequency::Off => false,
            Frequency::Daily => true,
            Frequency::Weekly(w) => d.weekday() == w,
        };
        if wanted {
            out.push(d);
        }
        let Some(next) = d.next_day() else { break };
        d = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_student_in_chicago_is_still_on_yesterday_at_3_utc() {
        let tz = zone("America/Chicago").unwrap();
        assert_eq!(
            local_date(tz, datetime!(2026-12-07 03:00)),
            date!(2026 - 12 - 06)
        );
        assert_eq!(
            local_date(tz, datetime!(2026-12-07 06:00)),
            date!(2026 - 12 - 07)
        );
        // Summer: UTC−5.
        assert_eq!(
            local(tz, datetime!(2026-07-01 12:00)),
            datetime!(2026-07-01 07:00)
        );
    }

    #[test]
    fn times_read_in_the_students_zone() {
        let tz = zone("America/Chicago").unwrap();
        assert_eq!(
            display(tz, datetime!(2026-12-07 03:30)),
            "2026-12-06 21:30 CST"
        );
        assert_eq!(
            display(tz, datetime!(2026-07-07 03:30)),
            "2026-07-06 22:30 CDT"
        );
        assert_eq!(
            display(zone("UTC").unwrap(), datetime!(2026-07-07 03:30)),
            "2026-07-07 03:30 UTC"
        );
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(zone("Mars/Olympus_Mons").is_none());
        assert!(zone("").is_none());
        assert!(zone("Pacific/Honolulu").is_some());
        for (name, _) in ZONES {
            assert!(zone(name).is_some(), "{name}");
        }
    }

    #[test]
    fn local_hours_map_to_utc_across_daylight_saving_time() {
        let tz = zone("America/New_York").unwrap();
        assert_eq!(
            utc_of_local(tz, date!(2026 - 12 - 06), 19),
            datetime!(2026-12-07 00:00)
        );
        assert_eq!(
            utc_of_local(tz, date!(2026 - 07 - 06), 19),
            datetime!(2026-07-06 23:00)
        );
        // 2:00 does not exist on 2026-03-08 in New York: 3:00 EDT is used.
        assert_eq!(
            utc_of_local(tz, date!(2026 - 03 - 08), 2),
            datetime!(2026-03-08 07:00)
        );
    }

    #[test]
    fn a_daily_reminder_is_due_once_in_its_window() {
        let f = Frequency::Daily;
        let d = date!(2026 - 12 - 06);
        assert!(!reminder_due(f, 18, datetime!(2026-12-06 17:59), None));
        assert!(reminder_due(f, 18, datetime!(2026-12-06 18:00), None));
        assert!(reminder_due(
            f,
            18,
            datetime!(2026-12-06 20:59),
            Some(date!(2026 - 12 - 05))
        ));
        assert!(!reminder_due(f, 18, datetime!(2026-12-06 18:30), Some(d)));
        assert!(!reminder_due(f, 18, datetime!(2026-12-06 21:00), None));
        assert!(!reminder_due(
            Frequency::Off,
            18,
            datetime!(2026-12-06 18:00),
            None
        ));
    }

    #[test]
    fn a_weekly_reminder_waits_for_its_weekday() {
        // 2026-12-06 is a Sunday.
        let sunday = Frequency::Weekly(Weekday::Sunday);
        let monday = Frequency::Weekly(Weekday::Monday);
        assert!(reminder_due(sunday, 8, datetime!(2026-12-06 08:10), None));
        assert!(!reminder_due(monday, 8, datetime!(2026-12-06 08:10), None));
        assert!(reminder_due(
            monday,
            8,
            datetime!(2026-12-07 08:10),
            Some(date!(2026 - 12 - 06))
        ));
        assert_eq!(Frequency::from_parts("weekly", 6), Some(sunday));
        assert_eq!(Frequency::from_parts("weekly", 7), None);
        assert_eq!(Frequency::from_parts("hourly", 0), None);
    }

    #[test]
    fn study_days_stop_at_the_exam() {
        let d = date!(2026 - 12 - 06);
        let days = study_days(Frequency::Daily, d, Some(date!(2026 - 12 - 08)), 14);
        assert_eq!(days, vec![d, date!(2026 - 12 - 07), date!(2026 - 12 - 08)]);
        let weekly = study_days(Frequency::Weekly(Weekday::Wednesday), d, None, 2);
        assert_eq!(weekly, vec![date!(2026 - 12 - 09), date!(2026 - 12 - 16)]);
        assert!(study_days(Frequency::Off, d, None, 14).is_empty());
    }
}
