//! Eligibility: the criteria of a study applied to a screening record and the screening
//! ISNCSCI exam.

use std::fmt;

use isncsci::{Ais, Classification, Grade, LevelResult, Levels};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::study::{Bounds, LevelRange, Study};

/// Sex as recorded at screening.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Other or not stated.
    Other,
}

impl Sex {
    /// The three values.
    pub const ALL: [Sex; 3] = [Sex::Male, Sex::Female, Sex::Other];

    /// `male`, `female` or `other`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::Other => "other",
        }
    }

    /// The value written exactly as [`Sex::as_str`] writes it.
    pub fn parse(text: &str) -> Option<Sex> {
        Sex::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is recorded about a candidate at screening, beside the ISNCSCI exam.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screening {
    /// Date of birth.
    pub date_of_birth: Date,
    /// Sex.
    pub sex: Sex,
    /// Date of the spinal cord injury.
    pub injury_date: Date,
    /// Date informed consent was signed.
    pub consent_date: Date,
    /// Date of the screening assessment (the screening exam's date).
    pub screening_date: Date,
}

/// The outcome of an eligibility assessment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eligibility {
    /// True when no reason was found against eligibility.
    pub eligible: bool,
    /// Every reason the candidate is not eligible (empty when eligible).
    pub reasons: Vec<Reason>,
}

/// A date in a screening record that contradicts another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateConflict {
    /// The date of birth is after the screening date.
    BirthAfterScreening {
        /// Date of birth.
        date_of_birth: Date,
        /// Screening date.
        screening_date: Date,
    },
    /// The injury is after the screening date.
    InjuryAfterScreening {
        /// Injury date.
        injury_date: Date,
        /// Screening date.
        screening_date: Date,
    },
    /// The injury is before the date of birth.
    InjuryBeforeBirth {
        /// Injury date.
        injury_date: Date,
        /// Date of birth.
        date_of_birth: Date,
    },
}

/// Why a candidate is not eligible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Consent was signed after the screening date.
    Consent {
        /// Date consent was signed.
        consent_date: Date,
        /// Screening date.
        screening_date: Date,
    },
    /// The dates of the record contradict each other.
    Dates(DateConflict),
    /// Age at screening is outside the allowed range.
    Age {
        /// Age in whole years at the screening date.
        years: i32,
        /// The allowed range.
        allowed: Bounds,
    },
    /// The time from injury to screening is outside the allowed range.
    DaysFromInjury {
        /// Days from the injury date to the screening date.
        days: i64,
        /// The allowed range.
        allowed: Bounds,
    },
    /// The neurological level of injury is outside the allowed range, or `INT`.
    Nli {
        /// The level found (or [`LevelResult::Intact`]).
        found: LevelResult,
        /// The allowed range.
        allowed: LevelRange,
    },
    /// `NT` values leave the neurological level of injury open.
    NliUndetermined {
        /// The possible levels.
        possibilities: Levels,
    },
    /// The AIS grade is not allowed.
    Ais {
        /// The grade found.
        found: Grade,
        /// The allowed grades.
        allowed: Vec<Grade>,
    },
    /// `NT` values leave the AIS grade open.
    AisUndetermined {
        /// The possible grades.
        possibilities: Ais,
    },
}

impl Reason {
    /// A stable code for programs and storage: `consent`, `dates`, `age`,
    /// `days_from_injury`, `nli`, `nli_undetermined`, `ais` or `ais_undetermined`.
    pub const fn code(&self) -> &'static str {
        match self {
            Reason::Consent { .. } => "consent",
            Reason::Dates(_) => "dates",
            Reason::Age { .. } => "age",
            Reason::DaysFromInjury { .. } => "days_from_injury",
            Reason::Nli { .. } => "nli",
            Reason::NliUndetermined { .. } => "nli_undetermined",
            Reason::Ais { .. } => "ais",
            Reason::AisUndetermined { .. } => "ais_undetermined",
        }
    }

    /// The reason in Simplified Chinese (the [`Display`](fmt::Display) text is English).
    pub fn message_zh(&self) -> String {
        match self {
            Reason::Consent {
                consent_date,
                screening_date,
            } => format!(
                "知情同意日期 {consent_date} 晚于筛选日期 {screening_date}，须在筛选当日或之前签署知情同意"
            ),
            Reason::Dates(DateConflict::BirthAfterScreening {
                date_of_birth,
                screening_date,
            }) => format!("出生日期 {date_of_birth} 晚于筛选日期 {screening_date}"),
            Reason::Dates(DateConflict::InjuryAfterScreening {
                injury_date,
                screening_date,
            }) => format!("受伤日期 {injury_date} 晚于筛选日期 {screening_date}"),
            Reason::Dates(DateConflict::InjuryBeforeBirth {
                injury_date,
                date_of_birth,
            }) => format!("受伤日期 {injury_date} 早于出生日期 {date_of_birth}"),
            Reason::Age { years, allowed } => format!(
                "年龄 {years} 岁，不在 {}–{} 岁范围内",
                allowed.min, allowed.max
            ),
            Reason::DaysFromInjury { days, allowed } => format!(
                "受伤至筛选 {days} 天，不在 {}–{} 天范围内",
                allowed.min, allowed.max
            ),
            Reason::Nli {
                found: LevelResult::Level(level),
                allowed,
            } => format!(
                "神经损伤平面 {level} 不在 {}–{} 范围内",
                allowed.from, allowed.to
            ),
            Reason::Nli { .. } => {
                "神经损伤平面为 INT（未发现脊髓损伤），不符合入选条件".to_owned()
            }
            Reason::NliUndetermined { possibilities } => format!(
                "神经损伤平面无法确定（可能为 {possibilities}），因有未能检查（NT）的项目"
            ),
            Reason::Ais { found, allowed } => format!(
                "AIS 分级 {} 不在允许的分级（{}）之内",
                found.letter(),
                letters(allowed, "、")
            ),
            Reason::AisUndetermined { possibilities } => format!(
                "AIS 分级无法确定（可能为 {possibilities}），因有未能检查（NT）的项目"
            ),
        }
    }
}

fn letters(grades: &[Grade], separator: &str) -> String {
    let letters: Vec<&str> = grades.iter().map(|g| g.letter()).collect();
    letters.join(separator)
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Consent {
                consent_date,
                screening_date,
            } => write!(
                f,
                "consent on {consent_date} is after the screening date {screening_date}; \
                 consent must be given on or before the screening date"
            ),
            Reason::Dates(DateConflict::BirthAfterScreening {
                date_of_birth,
                screening_date,
            }) => write!(
                f,
                "date of birth {date_of_birth} is after the screening date {screening_date}"
            ),
            Reason::Dates(DateConflict::InjuryAfterScreening {
                injury_date,
                screening_date,
            }) => write!(
                f,
                "injury date {injury_date} is after the screening date {screening_date}"
            ),
            Reason::Dates(DateConflict::InjuryBeforeBirth {
                injury_date,
                date_of_birth,
            }) => write!(
                f,
                "injury date {injury_date} is before the date of birth {date_of_birth}"
            ),
            Reason::Age { years, allowed } => write!(
                f,
                "age {years} years is outside {}–{}",
                allowed.min, allowed.max
            ),
            Reason::DaysFromInjury { days, allowed } => write!(
                f,
                "{days} days from injury to screening is outside {}–{}",
                allowed.min, allowed.max
            ),
            Reason::Nli {
                found: LevelResult::Level(level),
                allowed,
            } => write!(
                f,
                "neurological level of injury {level} is outside {}–{}",
                allowed.from, allowed.to
            ),
            Reason::Nli { .. } => f.write_str(
                "neurological level of injury INT (no impairment found) is never eligible",
            ),
            Reason::NliUndetermined { possibilities } => write!(
                f,
                "neurological level of injury is undetermined (possibly {possibilities}): NT \
                 values leave it open"
            ),
            Reason::Ais { found, allowed } => write!(
                f,
                "AIS grade {} is not among the allowed grades {}",
                found.letter(),
                letters(allowed, ", ")
            ),
            Reason::AisUndetermined { possibilities } => write!(
                f,
                "AIS grade is undetermined (possibly {possibilities}): NT values leave it open"
            ),
        }
    }
}

/// Age in whole years on a date: the number of birthdays passed, counting the birthday itself.
/// Someone born on 29 February has their birthday on 1 March in common years.
pub fn age_in_years(date_of_birth: Date, on: Date) -> i32 {
    let mut years = on.year() - date_of_birth.year();
    if (u8::from(on.month()), on.day()) < (u8::from(date_of_birth.month()), date_of_birth.day()) {
        years -= 1;
    }
    years
}

/// Applies the study's criteria to a candidate.
///
/// Checked always: consent on or before the screening date, and dates that agree (birth
/// before injury, both on or before screening). Checked when the study defines them: age in
/// whole years at the screening date, days from injury to screening, the neurological level of
/// injury and the AIS grade of `exam` (the classification of the screening ISNCSCI exam).
///
/// A result that `NT` values leave open (several possibilities) is not eligible: the exam must
/// be completed first. A `*` on a result (it rests on values impaired by a non-SCI condition)
/// does not matter. An NLI of `INT` is never eligible.
pub fn evaluate_eligibility(
    study: &Study,
    screening: &Screening,
    exam: &Classification,
) -> Eligibility {
    let criteria = &study.eligibility;
    let s = screening;
    let mut reasons = Vec::new();

    if s.consent_date > s.screening_date {
        reasons.push(Reason::Consent {
            consent_date: s.consent_date,
            screening_date: s.screening_date,
        });
    }
    let birth_ok = s.date_of_birth <= s.screening_date;
    if !birth_ok {
        reasons.push(Reason::Dates(DateConflict::BirthAfterScreening {
            date_of_birth: s.date_of_birth,
            screening_date: s.screening_date,
        }));
    }
    let injury_ok = s.injury_date <= s.screening_date;
    if !injury_ok {
        reasons.push(Reason::Dates(DateConflict::InjuryAfterScreening {
            injury_date: s.injury_date,
            screening_date: s.screening_date,
        }));
    }
    if s.injury_date < s.date_of_birth {
        reasons.push(Reason::Dates(DateConflict::InjuryBeforeBirth {
            injury_date: s.injury_date,
            date_of_birth: s.date_of_birth,
        }));
    }

    if let (Some(allowed), true) = (criteria.age_years, birth_ok) {
        let years = age_in_years(s.date_of_birth, s.screening_date);
        if !allowed.contains(i64::from(years)) {
            reasons.push(Reason::Age { years, allowed });
        }
    }
    if let (Some(allowed), true) = (criteria.days_from_injury_to_screening, injury_ok) {
        let days = (s.screening_date - s.injury_date).whole_days();
        if !allowed.contains(days) {
            reasons.push(Reason::DaysFromInjury { days, allowed });
        }
    }

    if let Some(allowed) = criteria.nli {
        let nli = exam.neurological_level;
        match (nli.len(), nli.first()) {
            (1, Some(LevelResult::Level(level))) => {
                if !allowed.contains(level) {
                    reasons.push(Reason::Nli {
                        found: LevelResult::Level(level),
                        allowed,
                    });
                }
            }
            (1, Some(LevelResult::Intact)) => reasons.push(Reason::Nli {
                found: LevelResult::Intact,
                allowed,
            }),
            _ => reasons.push(Reason::NliUndetermined { possibilities: nli }),
        }
    }
    if let Some(allowed) = &criteria.ais {
        let ais = exam.ais;
        let first = ais.iter().next().map(|(grade, _)| grade);
        match first {
            Some(grade) if ais.len() == 1 => {
                if !allowed.contains(&grade) {
                    reasons.push(Reason::Ais {
                        found: grade,
                        allowed: allowed.clone(),
                    });
                }
            }
            _ => reasons.push(Reason::AisUndetermined { possibilities: ais }),
        }
    }

    Eligibility {
        eligible: reasons.is_empty(),
        reasons,
    }
}
