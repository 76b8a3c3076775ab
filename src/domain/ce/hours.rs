//! Fixed-point hours: every amount of CE is kept in hundredths of an hour so
//! that allocation is exact integer arithmetic (no float drift in max-flow).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

use serde::{Serialize, Serializer};

/// Largest amount accepted from caller data for one activity (10 000 h).
pub const MAX_HOURS: f64 = 10_000.0;

/// An amount of CE in hundredths of an hour (`Hours::from_centi(150)` = 1.5 h).
///
/// The same type carries amounts in an activity's own unit (minutes, semester
/// credits, …) before conversion; see [`super::codes::Unit`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hours(i64);

impl Hours {
    /// Zero hours.
    pub const ZERO: Hours = Hours(0);

    /// From hundredths of an hour.
    pub const fn from_centi(centi: i64) -> Hours {
        Hours(centi)
    }

    /// From whole hours.
    pub const fn from_whole(hours: i64) -> Hours {
        Hours(hours * 100)
    }

    /// Parses a caller-supplied number: finite, not negative, at most
    /// [`MAX_HOURS`]; rounded to the nearest hundredth.
    pub fn from_f64(value: f64) -> Option<Hours> {
        if !value.is_finite() || !(0.0..=MAX_HOURS).contains(&value) {
            return None;
        }
        Some(Hours((value * 100.0).round() as i64))
    }

    /// Hundredths of an hour.
    pub const fn centi(self) -> i64 {
        self.0
    }

    /// As a float (for JSON output).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// `self - other`, but never below zero.
    pub fn saturating_sub(self, other: Hours) -> Hours {
        Hours((self.0 - other.0).max(0))
    }

    /// Multiplies by a rational factor `num / den`, rounding down to the
    /// hundredth (boards do not round CE up).
    pub fn scale(self, num: i64, den: i64) -> Hours {
        if den <= 0 {
            return Hours::ZERO;
        }
        let v = (self.0 as i128) * (num as i128) / (den as i128);
        Hours(v.clamp(0, i64::MAX as i128) as i64)
    }

    /// True when zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add for Hours {
    type Output = Hours;
    fn add(self, rhs: Hours) -> Hours {
        Hours(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Hours {
    fn add_assign(&mut self, rhs: Hours) {
        self.0 = self.0.saturating_add(rhs.0);
    }
}

impl Sub for Hours {
    type Output = Hours;
    fn sub(self, rhs: Hours) -> Hours {
        Hours(self.0.saturating_sub(rhs.0))
    }
}

impl std::iter::Sum for Hours {
    fn sum<I: Iterator<Item = Hours>>(iter: I) -> Hours {
        iter.fold(Hours::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Hours {
    /// `1`, `1.5`, `1.25` (no trailing zeros).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let (whole, frac) = (abs / 100, abs % 100);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else if frac % 10 == 0 {
            write!(f, "{sign}{whole}.{}", frac / 10)
        } else {
            write!(f, "{sign}{whole}.{frac:02}")
        }
    }
}

impl Serialize for Hours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::Hours;

    #[test]
    fn parses_and_rounds_to_hundredths() {
        assert_eq!(Hours::from_f64(1.5), Some(Hours::from_centi(150)));
        assert_eq!(Hours::from_f64(0.333), Some(Hours::from_centi(33)));
        assert_eq!(Hours::from_f64(-1.0), None);
        assert_eq!(Hours::from_f64(f64::NAN), None);
        assert_eq!(Hours::from_f64(1e9), None);
    }

    #[test]
    fn displays_without_trailing_zeros() {
        assert_eq!(Hours::from_whole(12).to_string(), "12");
        assert_eq!(Hours::from_centi(150).to_string(), "1.5");
        assert_eq!(Hours::from_centi(125).to_string(), "1.25");
        assert_eq!(Hours::from_centi(5).to_string(), "0.05");
    }

    #[test]
    fn scale_rounds_down() {
        // 100 minutes at 60 min per hour = 1.666… h -> 1.66
        assert_eq!(Hours::from_whole(100).scale(1, 60), Hours::from_centi(166));
        // 1 clock hour in 50-minute CE hours = 1.2
        assert_eq!(Hours::from_whole(1).scale(60, 50), Hours::from_centi(120));
        assert_eq!(
            Hours::from_whole(5) - Hours::from_whole(7),
            Hours::from_whole(-2)
        );
        assert_eq!(
            Hours::from_whole(5).saturating_sub(Hours::from_whole(7)),
            Hours::ZERO
        );
    }
}
