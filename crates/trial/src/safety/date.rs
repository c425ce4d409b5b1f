//! Partial dates, as sites record the onset and end of an adverse event: a year, a month or a
//! day.

use std::cmp::Ordering;
use std::fmt;

use time::{Date, Month};

use crate::Refusal;

/// A date known to the year (`2026`), the month (`2026-03`) or the day (`2026-03-05`).
///
/// Two partial dates are compared only on what both know: `2026-03` and `2026-03-05` are
/// neither before nor after each other ([`PartialDate::cmp_known`] gives `Equal`), while
/// `2026-02` is before `2026-03-05`. So a rule such as "the end is not before the onset"
/// refuses only what is certainly wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartialDate {
    year: i32,
    month: Option<Month>,
    day: Option<u8>,
}

impl PartialDate {
    /// The partial date `text` writes (`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, a real calendar day,
    /// years 1900 to 2999), or `None`.
    pub fn parse(text: &str) -> Option<PartialDate> {
        let mut parts = text.split('-');
        let year = digits(parts.next()?, 4)?;
        if !(1900..=2999).contains(&year) {
            return None;
        }
        let month = match parts.next() {
            None => None,
            Some(m) => Some(Month::try_from(u8::try_from(digits(m, 2)?).ok()?).ok()?),
        };
        let day = match parts.next() {
            None => None,
            Some(d) => Some(u8::try_from(digits(d, 2)?).ok()?),
        };
        if parts.next().is_some() {
            return None;
        }
        if let (Some(month), Some(day)) = (month, day) {
            Date::from_calendar_date(year, month, day).ok()?;
        }
        Some(PartialDate { year, month, day })
    }

    /// The partial date in `text`, or a refusal naming `field` and the forms allowed.
    pub fn parse_field(field: &str, text: &str) -> Result<PartialDate, Refusal> {
        PartialDate::parse(text.trim()).ok_or_else(|| {
            Refusal::invalid(
                field,
                format!("{text:?} is not a date (allowed: YYYY, YYYY-MM or YYYY-MM-DD)"),
            )
        })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, when known.
    pub fn month(self) -> Option<Month> {
        self.month
    }

    /// The day of the month, when known.
    pub fn day(self) -> Option<u8> {
        self.day
    }

    /// The date, when known to the day.
    pub fn full(self) -> Option<Date> {
        Date::from_calendar_date(self.year, self.month?, self.day?).ok()
    }

    /// The first day it can be.
    pub fn earliest(self) -> Date {
        let month = self.month.unwrap_or(Month::January);
        let day = self.day.unwrap_or(1);
        Date::from_calendar_date(self.year, month, day).unwrap_or(Date::MIN)
    }

    /// The last day it can be.
    pub fn latest(self) -> Date {
        let month = self.month.unwrap_or(Month::December);
        let day = self.day.unwrap_or_else(|| month.length(self.year));
        Date::from_calendar_date(self.year, month, day).unwrap_or(Date::MAX)
    }

    /// Compares what both dates know: the year, then the month when both know it, then the day
    /// when both know it. `Equal` means "not known to differ".
    pub fn cmp_known(self, other: PartialDate) -> Ordering {
        self.year
            .cmp(&other.year)
            .then_with(|| match (self.month, other.month) {
                (Some(a), Some(b)) => (a as u8).cmp(&(b as u8)),
                _ => Ordering::Equal,
            })
            .then_with(|| match (self.month, other.month, self.day, other.day) {
                (Some(_), Some(_), Some(a), Some(b)) => a.cmp(&b),
                _ => Ordering::Equal,
            })
    }

    /// Whether it is certainly before `other`.
    pub fn is_before(self, other: PartialDate) -> bool {
        self.cmp_known(other) == Ordering::Less
    }

    /// Whether it can fall within `from..=to` (some day it may be lies in the range).
    pub fn may_fall_within(self, from: Date, to: Date) -> bool {
        self.earliest() <= to && self.latest() >= from
    }
}

impl From<Date> for PartialDate {
    fn from(date: Date) -> PartialDate {
        PartialDate {
            year: date.year(),
            month: Some(date.month()),
            day: Some(date.day()),
        }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(month) = self.month {
            write!(f, "-{:02}", month as u8)?;
            if let Some(day) = self.day {
                write!(f, "-{day:02}")?;
            }
        }
        Ok(())
    }
}

impl serde::Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PartialDate, D::Error> {
        let text = String::deserialize(deserializer)?;
        PartialDate::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a date (allowed: YYYY, YYYY-MM or YYYY-MM-DD)"
            ))
        })
    }
}

/// Exactly `len` ASCII digits, as a number.
fn digits(text: &str, len: usize) -> Option<i32> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn d(text: &str) -> PartialDate {
        PartialDate::parse(text).unwrap()
    }

    #[test]
    fn parses_the_three_forms_and_writes_them_back() {
        for text in ["2026", "2026-03", "2026-03-05", "2024-02-29"] {
            assert_eq!(d(text).to_string(), text);
        }
        for bad in [
            "",
            "26",
            "2026-3",
            "2026-13",
            "2026-00",
            "2026-02-30",
            "2025-02-29",
            "2026-03-05-1",
            "2026-",
            "１９９９",
            "1899",
            "+2026",
            "2026-03-5",
        ] {
            assert_eq!(PartialDate::parse(bad), None, "{bad:?}");
        }
        assert_eq!(
            PartialDate::parse_field("onset", "03/05/2026")
                .unwrap_err()
                .to_string(),
            "onset: \"03/05/2026\" is not a date (allowed: YYYY, YYYY-MM or YYYY-MM-DD)"
        );
    }

    #[test]
    fn compares_only_what_both_know() {
        assert!(d("2026-02").is_before(d("2026-03-05")));
        assert!(d("2025").is_before(d("2026-01-01")));
        assert_eq!(d("2026-03").cmp_known(d("2026-03-05")), Ordering::Equal);
        assert_eq!(d("2026").cmp_known(d("2026-12-31")), Ordering::Equal);
        assert!(d("2026-03-04").is_before(d("2026-03-05")));
        assert!(!d("2026-03-05").is_before(d("2026-03")));
        assert_eq!(
            d("2026-03-06").cmp_known(d("2026-03-05")),
            Ordering::Greater
        );
    }

    #[test]
    fn the_range_a_partial_date_spans() {
        assert_eq!(d("2024-02").earliest(), date!(2024 - 02 - 01));
        assert_eq!(d("2024-02").latest(), date!(2024 - 02 - 29));
        assert_eq!(d("2026").latest(), date!(2026 - 12 - 31));
        assert_eq!(d("2026-03-05").full(), Some(date!(2026 - 03 - 05)));
        assert_eq!(d("2026-03").full(), None);
        assert!(d("2026-03").may_fall_within(date!(2026 - 03 - 31), date!(2026 - 04 - 28)));
        assert!(!d("2026-03").may_fall_within(date!(2026 - 04 - 01), date!(2026 - 04 - 28)));
        assert_eq!(PartialDate::from(date!(2026 - 03 - 05)), d("2026-03-05"));
    }

    #[test]
    fn travels_as_its_text() {
        let json = serde_json::to_string(&d("2026-03")).unwrap();
        assert_eq!(json, "\"2026-03\"");
        assert_eq!(
            serde_json::from_str::<PartialDate>(&json).unwrap(),
            d("2026-03")
        );
        assert!(serde_json::from_str::<PartialDate>("\"2026-13\"").is_err());
    }
}
