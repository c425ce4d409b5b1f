//! Normal ranges: data, not the study definition. A lab's ranges differ by site, sex and age
//! band and change during a study, so each range carries the dates it is valid for. They are
//! loaded from a CSV (the columns below), checked as a whole, and the range that applies to a
//! value is the most specific one valid on its collection date.
//!
//! Columns (any order, header required): `test,site,sex,age_min,age_max,low,high,unit,
//! valid_from,valid_to`. `site` is a site id or `*` (every site); `sex` is `any`, `male` or
//! `female`; the ages are whole years, both inclusive, either empty for an open band; `low`
//! and `high` are in `unit`, one the test takes (they are kept in the test's own unit);
//! `valid_from` is a date, `valid_to` a date (inclusive) or empty while the range is current.

use time::Date;

use super::catalogue::{self, TestDef};
use super::csv::{self, at, capped, decimal, field, Record};
use super::grading::Limits;
use crate::eligibility::Sex;
use crate::error::Problem;

/// The columns of a ranges file.
pub const RANGE_COLUMNS: &[&str] = &[
    "test",
    "site",
    "sex",
    "age_min",
    "age_max",
    "low",
    "high",
    "unit",
    "valid_from",
    "valid_to",
];

/// One normal range.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalRange {
    /// The test's code.
    pub test: String,
    /// The site, or `None` for every site.
    pub site: Option<String>,
    /// The sex, or `None` for either.
    pub sex: Option<Sex>,
    /// The youngest age (years) it applies to.
    pub age_min: Option<i32>,
    /// The oldest age (years, inclusive).
    pub age_max: Option<i32>,
    /// Lower limit of normal, in the test's unit.
    pub low: f64,
    /// Upper limit of normal, in the test's unit.
    pub high: f64,
    /// The first day it applies.
    pub valid_from: Date,
    /// The last day it applies, when it has been replaced.
    pub valid_to: Option<Date>,
}

impl NormalRange {
    /// Its limits.
    pub fn limits(&self) -> Limits {
        Limits {
            lln: self.low,
            uln: self.high,
        }
    }

    /// Whether it applies to a value of its test at `site`, of a participant of `sex` aged
    /// `age` on `day`.
    pub fn applies(&self, site: &str, sex: Sex, age: i32, day: Date) -> bool {
        self.site.as_deref().is_none_or(|s| s == site)
            && self.sex.is_none_or(|s| s == sex)
            && self.age_min.is_none_or(|a| age >= a)
            && self.age_max.is_none_or(|a| age <= a)
            && self.valid_from <= day
            && self.valid_to.is_none_or(|d| day <= d)
    }

    /// How specific it is: a site's own range over every site's, a sex's over either.
    fn specificity(&self) -> u8 {
        u8::from(self.site.is_some()) * 2 + u8::from(self.sex.is_some())
    }

    /// Whether two ranges of one test could both apply to the same value at the same
    /// specificity (same site and sex, ages and dates overlapping).
    fn overlaps(&self, other: &NormalRange) -> bool {
        let ages = self.age_min.unwrap_or(i32::MIN) <= other.age_max.unwrap_or(i32::MAX)
            && other.age_min.unwrap_or(i32::MIN) <= self.age_max.unwrap_or(i32::MAX);
        let days = self.valid_from <= other.valid_to.unwrap_or(Date::MAX)
            && other.valid_from <= self.valid_to.unwrap_or(Date::MAX);
        self.test == other.test && self.site == other.site && self.sex == other.sex && ages && days
    }
}

/// The range that applies: the most specific of those that apply (see
/// [`NormalRange::applies`]); loading refuses two at the same specificity.
pub fn pick<'a>(
    ranges: &'a [NormalRange],
    test: &str,
    site: &str,
    sex: Sex,
    age: i32,
    day: Date,
) -> Option<&'a NormalRange> {
    ranges
        .iter()
        .filter(|r| r.test == test && r.applies(site, sex, age, day))
        .max_by_key(|r| r.specificity())
}

fn problem(line: usize, column: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: at(line, column),
        message: message.into(),
    }
}

/// A `YYYY-MM-DD` date.
pub fn parse_day(text: &str) -> Option<Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), format).ok()
}

/// Reads a ranges file: every range, or every problem (capped), each naming its line and
/// column. `sites` are the study's site ids; `tests` the codes the study uses.
pub fn read_ranges(
    text: &str,
    sites: &[&str],
    tests: &[&str],
) -> Result<Vec<NormalRange>, Vec<Problem>> {
    let records = csv::records(text).map_err(capped)?;
    let Some((header, rows)) = records.split_first() else {
        return Err(vec![Problem {
            path: "line 1".into(),
            message: format!("the file is empty (columns: {})", RANGE_COLUMNS.join(", ")),
        }]);
    };
    let cols = csv::columns(header, RANGE_COLUMNS)?;
    let mut ranges: Vec<(usize, NormalRange)> = Vec::new();
    let mut problems = Vec::new();
    for row in rows {
        if let Some(range) = read_range(row, &cols, sites, tests, &mut problems) {
            for (first, other) in &ranges {
                if other.overlaps(&range) {
                    problems.push(problem(
                        row.line,
                        "valid_from",
                        format!(
                            "overlaps the range of line {first} (same test, site and sex; \
                             ages and dates overlap)"
                        ),
                    ));
                }
            }
            ranges.push((row.line, range));
        }
    }
    if problems.is_empty() {
        Ok(ranges.into_iter().map(|(_, r)| r).collect())
    } else {
        Err(capped(problems))
    }
}

fn read_range(
    row: &Record,
    cols: &[usize],
    sites: &[&str],
    tests: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<NormalRange> {
    let get = |i: usize| cols.get(i).map_or("", |p| field(row, *p));
    let before = problems.len();
    let line = row.line;
    let code = get(0);
    let test: Option<&TestDef> = catalogue::test(code).filter(|t| tests.contains(&t.code));
    if test.is_none() {
        problems.push(problem(
            line,
            "test",
            format!(
                "{code:?} is not a test of this study (tests: {})",
                tests.join(", ")
            ),
        ));
    }
    let site = match get(1) {
        "*" => None,
        s if sites.contains(&s) => Some(s.to_string()),
        s => {
            problems.push(problem(
                line,
                "site",
                format!(
                    "{s:?} is not a site of this study (sites: *, {})",
                    sites.join(", ")
                ),
            ));
            None
        }
    };
    let sex = match get(2) {
        "any" => None,
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        s => {
            problems.push(problem(
                line,
                "sex",
                format!("{s:?} is not allowed (allowed: any, male, female)"),
            ));
            None
        }
    };
    let mut age = |column: usize, name: &str| -> Option<i32> {
        let text = get(column);
        if text.is_empty() {
            return None;
        }
        match text.parse::<i32>() {
            Ok(a) if (0..=150).contains(&a) => Some(a),
            _ => {
                problems.push(problem(
                    line,
                    name,
                    format!("{text:?} is not an age: whole years 0 to 150, or empty"),
                ));
                None
            }
        }
    };
    let age_min = age(3, "age_min");
    let age_max = age(4, "age_max");
    if let (Some(lo), Some(hi)) = (age_min, age_max) {
        if lo > hi {
            problems.push(problem(line, "age_max", "is below age_min"));
        }
    }
    let unit = get(7);
    let factor = test.and_then(|t| {
        let f = t.factor(unit);
        if f.is_none() {
            problems.push(problem(
                line,
                "unit",
                format!(
                    "{unit:?} is not a unit of {} (allowed: {})",
                    t.code,
                    t.units().join(", ")
                ),
            ));
        }
        f
    });
    let mut limit = |column: usize, name: &str| -> Option<f64> {
        let text = get(column);
        let v = decimal(text);
        if v.is_none() {
            problems.push(problem(line, name, format!("{text:?} is not a number")));
        }
        v
    };
    let low = limit(5, "low");
    let high = limit(6, "high");
    if let (Some(lo), Some(hi)) = (low, high) {
        if lo >= hi {
            problems.push(problem(line, "high", "must be above low"));
        }
    }
    let valid_from = parse_day(get(8));
    if valid_from.is_none() {
        problems.push(problem(line, "valid_from", "is not a date (YYYY-MM-DD)"));
    }
    let valid_to = match get(9) {
        "" => None,
        text => {
            let d = parse_day(text);
            if d.is_none() {
                problems.push(problem(
                    line,
                    "valid_to",
                    "is not a date (YYYY-MM-DD), or empty",
                ));
            }
            d
        }
    };
    if let (Some(from), Some(to)) = (valid_from, valid_to) {
        if to < from {
            problems.push(problem(line, "valid_to", "is before valid_from"));
        }
    }
    if problems.len() > before {
        return None;
    }
    let (test, factor) = (test?, factor?);
    let (low, high) = (low? * factor, high? * factor);
    for (name, v) in [("low", low), ("high", high)] {
        if v < test.plausible.0 || v > test.plausible.1 {
            problems.push(problem(
                line,
                name,
                format!(
                    "{v} {} is not a plausible limit of {} ({} to {} {})",
                    test.unit, test.code, test.plausible.0, test.plausible.1, test.unit
                ),
            ));
            return None;
        }
    }
    Some(NormalRange {
        test: test.code.to_string(),
        site,
        sex,
        age_min,
        age_max,
        low,
        high,
        valid_from: valid_from?,
        valid_to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const HEADER: &str = "test,site,sex,age_min,age_max,low,high,unit,valid_from,valid_to\n";

    #[test]
    fn the_most_specific_valid_range_applies() {
        let text = format!(
            "{HEADER}HGB,*,any,,,12,16,g/dL,2026-01-01,\n\
             HGB,BJ01,male,18,65,130,170,g/L,2026-01-01,2026-06-30\n\
             HGB,BJ01,male,18,65,13.2,17.2,g/dL,2026-07-01,\n"
        );
        let ranges = read_ranges(&text, &["BJ01", "SH01"], &["HGB", "NEUT"]).unwrap();
        assert_eq!(ranges.len(), 3);
        assert!((ranges[1].low - 13.0).abs() < 1e-9, "converted from g/L");
        let pick_at =
            |site, sex, age, day| pick(&ranges, "HGB", site, sex, age, day).map(|r| r.low);
        assert_eq!(
            pick_at("BJ01", Sex::Female, 30, date!(2026 - 03 - 01)),
            Some(12.0)
        );
        assert!(
            (pick_at("BJ01", Sex::Male, 30, date!(2026 - 03 - 01)).unwrap() - 13.0).abs() < 1e-9
        );
        assert_eq!(
            pick_at("BJ01", Sex::Male, 30, date!(2026 - 07 - 01)),
            Some(13.2)
        );
        assert_eq!(
            pick_at("BJ01", Sex::Male, 70, date!(2026 - 07 - 01)),
            Some(12.0)
        );
        assert_eq!(pick_at("SH01", Sex::Male, 30, date!(2025 - 07 - 01)), None);
        assert_eq!(
            pick(
                &ranges,
                "NEUT",
                "BJ01",
                Sex::Male,
                30,
                date!(2026 - 07 - 01)
            ),
            None
        );
    }

    #[test]
    fn every_problem_names_line_and_column() {
        let text = format!(
            "{HEADER}XXX,*,any,,,1,2,g/dL,2026-01-01,\n\
             HGB,ZZ,either,200,,16,12,mg,2026-13-01,\n\
             HGB,*,any,,,12,16,g/dL,2026-01-01,\n\
             HGB,*,any,,,11,15,g/dL,2026-05-01,\n\
             HGB,*,male,,,0.001,16,g/dL,2026-01-01,2025-01-01\n"
        );
        let problems = read_ranges(&text, &["BJ01"], &["HGB"]).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            vec![
                "line 2: test",
                "line 3: site",
                "line 3: sex",
                "line 3: age_min",
                "line 3: unit",
                "line 3: high",
                "line 3: valid_from",
                "line 5: valid_from",
                "line 6: valid_to",
            ]
        );
        assert!(problems[7].message.contains("line 4"));
        assert!(read_ranges("", &[], &[]).is_err());
        assert!(read_ranges("test,site\n", &[], &[]).is_err());
    }
}
