//! Eligibility against the Phase II criteria: age 18–65, NLI C4–L2, AIS A–C, 14–60 days from
//! injury to screening, consent on or before screening.

use isncsci::{Anal, Classification, Exam, Level, MotorLevel, MotorValue, SensoryValue};
use time::macros::date;
use trial::{age_in_years, evaluate_eligibility, Eligibility, Reason, Screening, Sex, Study};

use crate::common::{phase2, PHASE2};

/// An exam normal down to `level` with the same values on both sides below it.
fn injury(level: Level, motor_below: &str, sensory_below: &str, vac: Anal, dap: Anal) -> Exam {
    let mut exam = Exam::normal();
    exam.anal_contraction = vac;
    exam.anal_sensation = dap;
    for side in [&mut exam.right, &mut exam.left] {
        for m in MotorLevel::ALL.into_iter().filter(|m| m.level() > level) {
            side.motor[m.index()] = MotorValue::parse(motor_below).unwrap();
        }
        for l in Level::DERMATOMES.into_iter().filter(|l| *l > level) {
            side.set_touch(l, SensoryValue::parse(sensory_below).unwrap());
            side.set_prick(l, SensoryValue::parse(sensory_below).unwrap());
        }
    }
    exam
}

/// A complete (AIS A) injury at `level`.
fn complete(level: Level) -> Classification {
    injury(level, "0", "0", Anal::No, Anal::No).classify()
}

/// A candidate aged 30 at screening, injured 30 days before, who consented the day before.
fn candidate() -> Screening {
    Screening {
        date_of_birth: date!(1995 - 06 - 15),
        sex: Sex::Female,
        injury_date: date!(2025 - 05 - 16),
        consent_date: date!(2025 - 06 - 14),
        screening_date: date!(2025 - 06 - 15),
    }
}

fn assess(screening: &Screening, exam: &Classification) -> Eligibility {
    evaluate_eligibility(&phase2(), screening, exam)
}

fn codes(result: &Eligibility) -> Vec<&'static str> {
    result.reasons.iter().map(Reason::code).collect()
}

/// The single reason, checked for its code and English text.
fn only_reason(result: &Eligibility, code: &str, text: &str) -> Reason {
    assert!(!result.eligible);
    assert_eq!(codes(result), [code], "{:?}", result.reasons);
    let reason = result.reasons[0].clone();
    assert_eq!(reason.to_string(), text);
    reason
}

#[test]
fn complete_cervical_and_thoracic_injuries_are_eligible() {
    for level in [Level::C5, Level::T10, Level::C4, Level::L2] {
        let exam = complete(level);
        assert_eq!(exam.neurological_level.to_string(), level.name());
        let result = assess(&candidate(), &exam);
        assert!(result.eligible, "{level}: {:?}", result.reasons);
        assert!(result.reasons.is_empty());
    }
}

#[test]
fn incomplete_grades_b_and_c_are_eligible_d_is_not() {
    let b = injury(Level::T10, "0", "1", Anal::No, Anal::Yes).classify();
    let c = injury(Level::T10, "1", "1", Anal::Yes, Anal::Yes).classify();
    let d = injury(Level::T10, "4", "1", Anal::Yes, Anal::Yes).classify();
    assert_eq!(
        (b.ais.to_string(), c.ais.to_string()),
        ("B".into(), "C".into())
    );
    assert!(assess(&candidate(), &b).eligible);
    assert!(assess(&candidate(), &c).eligible);
    let reason = only_reason(
        &assess(&candidate(), &d),
        "ais",
        "AIS grade D is not among the allowed grades A, B, C",
    );
    assert_eq!(
        reason.message_zh(),
        "AIS 分级 D 不在允许的分级（A、B、C）之内"
    );
}

#[test]
fn levels_outside_c4_to_l2_are_not_eligible() {
    let result = assess(&candidate(), &complete(Level::C2));
    let reason = only_reason(
        &result,
        "nli",
        "neurological level of injury C2 is outside C4–L2",
    );
    assert_eq!(reason.message_zh(), "神经损伤平面 C2 不在 C4–L2 范围内");
    for level in [Level::C3, Level::L3, Level::S1] {
        let result = assess(&candidate(), &complete(level));
        only_reason(
            &result,
            "nli",
            &format!("neurological level of injury {level} is outside C4–L2"),
        );
    }
}

#[test]
fn an_intact_exam_is_never_eligible() {
    let exam = Exam::normal().classify();
    assert_eq!(exam.neurological_level.to_string(), "INT");
    let result = assess(&candidate(), &exam);
    assert!(!result.eligible);
    assert_eq!(codes(&result), ["nli", "ais"]);
    assert_eq!(
        result.reasons[0].to_string(),
        "neurological level of injury INT (no impairment found) is never eligible"
    );
    assert_eq!(
        result.reasons[1].to_string(),
        "AIS grade E is not among the allowed grades A, B, C"
    );
}

#[test]
fn a_level_left_open_by_nt_values_is_not_eligible() {
    // NT at C5 on the right: the level is C4 or C5, both in range, but undetermined.
    let mut exam = injury(Level::C5, "0", "0", Anal::No, Anal::No);
    exam.right.set_touch(Level::C5, SensoryValue::NT);
    exam.right.set_prick(Level::C5, SensoryValue::NT);
    let result = assess(&candidate(), &exam.classify());
    let reason = only_reason(
        &result,
        "nli_undetermined",
        "neurological level of injury is undetermined (possibly C4,C5): NT values leave it open",
    );
    assert_eq!(
        reason.message_zh(),
        "神经损伤平面无法确定（可能为 C4,C5），因有未能检查（NT）的项目"
    );
}

#[test]
fn a_grade_left_open_by_nt_values_is_not_eligible() {
    let exam = injury(Level::T10, "0", "0", Anal::NT, Anal::NT).classify();
    let result = assess(&candidate(), &exam);
    only_reason(
        &result,
        "ais_undetermined",
        "AIS grade is undetermined (possibly A,B,C): NT values leave it open",
    );
}

#[test]
fn a_starred_result_counts_as_determined() {
    // `**`: impaired by a non-SCI condition, to be considered normal.
    let mut exam = injury(Level::C5, "0", "0", Anal::No, Anal::No);
    let value = SensoryValue::parse("1**").unwrap();
    exam.right.set_touch(Level::C5, value);
    exam.right.set_prick(Level::C5, value);
    let exam = exam.classify();
    assert_eq!(exam.neurological_level.to_string(), "C5*");
    assert!(assess(&candidate(), &exam).eligible);
}

#[test]
fn age_is_whole_years_at_screening_with_the_birthday_counted() {
    let exam = complete(Level::C5);
    // 18 on the screening day: eligible; the day before the 18th birthday: 17, not eligible.
    let mut s = candidate();
    s.date_of_birth = date!(2007 - 06 - 15);
    assert!(assess(&s, &exam).eligible);
    s.date_of_birth = date!(2007 - 06 - 16);
    let reason = only_reason(&assess(&s, &exam), "age", "age 17 years is outside 18–65");
    assert_eq!(reason.message_zh(), "年龄 17 岁，不在 18–65 岁范围内");
    // 65 until the day before the 66th birthday.
    s.date_of_birth = date!(1959 - 06 - 16);
    assert!(assess(&s, &exam).eligible);
    s.date_of_birth = date!(1959 - 06 - 15);
    only_reason(&assess(&s, &exam), "age", "age 66 years is outside 18–65");
}

#[test]
fn age_in_years_edge_cases() {
    let dob = date!(2000 - 02 - 29);
    assert_eq!(age_in_years(dob, date!(2018 - 02 - 28)), 17);
    assert_eq!(age_in_years(dob, date!(2018 - 03 - 01)), 18);
    assert_eq!(age_in_years(dob, date!(2020 - 02 - 29)), 20);
    assert_eq!(age_in_years(dob, dob), 0);
    assert_eq!(
        age_in_years(date!(2000 - 12 - 31), date!(2001 - 12 - 30)),
        0
    );
    assert_eq!(
        age_in_years(date!(2000 - 12 - 31), date!(2001 - 12 - 31)),
        1
    );
}

#[test]
fn days_from_injury_to_screening_boundaries() {
    let exam = complete(Level::T10);
    let screening_date = candidate().screening_date;
    let with_days = |days: i64| Screening {
        injury_date: screening_date - time::Duration::days(days),
        ..candidate()
    };
    for days in [14, 15, 59, 60] {
        assert!(assess(&with_days(days), &exam).eligible, "{days}");
    }
    let reason = only_reason(
        &assess(&with_days(13), &exam),
        "days_from_injury",
        "13 days from injury to screening is outside 14–60",
    );
    assert_eq!(reason.message_zh(), "受伤至筛选 13 天，不在 14–60 天范围内");
    only_reason(
        &assess(&with_days(61), &exam),
        "days_from_injury",
        "61 days from injury to screening is outside 14–60",
    );
}

#[test]
fn consent_must_come_on_or_before_screening() {
    let exam = complete(Level::C5);
    let mut s = candidate();
    s.consent_date = s.screening_date;
    assert!(assess(&s, &exam).eligible);
    s.consent_date = date!(2025 - 06 - 16);
    let reason = only_reason(
        &assess(&s, &exam),
        "consent",
        "consent on 2025-06-16 is after the screening date 2025-06-15; consent must be given on \
         or before the screening date",
    );
    assert!(reason
        .message_zh()
        .starts_with("知情同意日期 2025-06-16 晚于筛选日期 2025-06-15"));
}

#[test]
fn contradictory_dates_are_reasons() {
    let exam = complete(Level::C5);
    let mut s = candidate();
    s.injury_date = date!(2025 - 06 - 20);
    only_reason(
        &assess(&s, &exam),
        "dates",
        "injury date 2025-06-20 is after the screening date 2025-06-15",
    );
    let mut s = candidate();
    s.date_of_birth = date!(2025 - 07 - 01);
    let result = assess(&s, &exam);
    assert_eq!(
        codes(&result),
        ["dates", "dates"],
        "the age is not computed"
    );
    assert_eq!(
        result.reasons[0].to_string(),
        "date of birth 2025-07-01 is after the screening date 2025-06-15"
    );
    assert_eq!(
        result.reasons[1].to_string(),
        "injury date 2025-05-16 is before the date of birth 2025-07-01"
    );
    assert_eq!(
        result.reasons[1].message_zh(),
        "受伤日期 2025-05-16 早于出生日期 2025-07-01"
    );
}

#[test]
fn every_reason_is_listed_together() {
    let s = Screening {
        date_of_birth: date!(2010 - 01 - 01),
        sex: Sex::Male,
        injury_date: date!(2025 - 01 - 01),
        consent_date: date!(2025 - 06 - 20),
        screening_date: date!(2025 - 06 - 15),
    };
    let exam = injury(Level::C2, "4", "1", Anal::Yes, Anal::Yes).classify();
    let result = assess(&s, &exam);
    assert!(!result.eligible);
    assert_eq!(
        codes(&result),
        ["consent", "age", "days_from_injury", "nli", "ais"]
    );
    for reason in &result.reasons {
        assert!(!reason.message_zh().is_empty());
    }
}

#[test]
fn a_study_without_criteria_checks_only_consent_and_dates() {
    let text = PHASE2;
    let start = text.find("[eligibility]").unwrap();
    let end = text.find("[schedule]").unwrap();
    let study = Study::from_toml(&format!("{}{}", &text[..start], &text[end..])).unwrap();
    let exam = Exam::normal().classify();
    let mut s = candidate();
    s.date_of_birth = date!(2020 - 01 - 01);
    assert!(evaluate_eligibility(&study, &s, &exam).eligible);
    s.consent_date = date!(2025 - 07 - 01);
    let result = evaluate_eligibility(&study, &s, &exam);
    assert_eq!(codes(&result), ["consent"]);
}

#[test]
fn sex_names() {
    for sex in Sex::ALL {
        assert_eq!(Sex::parse(sex.as_str()), Some(sex));
        assert_eq!(sex.to_string(), sex.as_str());
        assert_eq!(
            serde_json::to_string(&sex).unwrap(),
            format!("\"{}\"", sex.as_str())
        );
    }
    assert_eq!(Sex::parse("Male"), None);
}
