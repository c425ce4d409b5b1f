//! The project's own cases, one or more per rule of the 2019 standard, with the expected
//! results worked out by hand from the rules (not taken from any implementation). They run
//! everywhere, with no reference files.

use isncsci::flat::{fields, ExamBuilder};
use isncsci::{Anal, Classification, Exam, Level, MotorLevel, MotorValue, SensoryValue, Side};

/// Both sides normal down to `level` inclusive (sensation and key muscles), nothing below,
/// no anal contraction or deep anal pressure: a complete injury at `level`.
fn complete_at(level: Level) -> Exam {
    let mut exam = Exam::normal();
    exam.anal_contraction = Anal::No;
    exam.anal_sensation = Anal::No;
    for side in Side::BOTH {
        let s = exam.side_mut(side);
        for l in Level::DERMATOMES.into_iter().filter(|l| *l > level) {
            s.set_touch(l, SensoryValue::parse("0").unwrap());
            s.set_prick(l, SensoryValue::parse("0").unwrap());
        }
        for m in MotorLevel::ALL.into_iter().filter(|m| m.level() > level) {
            s.motor[m.index()] = MotorValue::parse("0").unwrap();
        }
    }
    exam
}

/// The exam with some fields of the flat layout changed.
fn edit(exam: &Exam, changes: &[(&str, &str)]) -> Exam {
    let mut builder = ExamBuilder::new();
    for (key, value) in fields(exam) {
        let value = changes
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(value, |(_, v)| *v);
        builder.set(&key, value).unwrap_or_else(|e| panic!("{e}"));
    }
    for (key, _) in changes {
        assert!(isncsci::flat::Field::parse(key).is_some(), "no field {key}");
    }
    builder.finish().unwrap()
}

/// Sets both sides' light touch and pin prick from `from` to `to` inclusive.
fn sensation(exam: &Exam, from: Level, to: Level, value: &str) -> Exam {
    let mut exam = exam.clone();
    let v = SensoryValue::parse(value).unwrap();
    for side in Side::BOTH {
        for l in Level::DERMATOMES
            .into_iter()
            .filter(|l| (from..=to).contains(l))
        {
            exam.side_mut(side).set_touch(l, v);
            exam.side_mut(side).set_prick(l, v);
        }
    }
    exam
}

/// Sets both sides' key muscles from `from` to `to` inclusive.
fn muscles(exam: &Exam, from: MotorLevel, to: MotorLevel, value: &str) -> Exam {
    let mut exam = exam.clone();
    for side in Side::BOTH {
        for m in MotorLevel::ALL
            .into_iter()
            .filter(|m| (from..=to).contains(m))
        {
            exam.side_mut(side).motor[m.index()] = MotorValue::parse(value).unwrap();
        }
    }
    exam
}

#[track_caller]
fn expect(exam: &Exam, expected: &[(&str, &str)]) {
    let result = exam.classify();
    let wrong: Vec<String> = expected
        .iter()
        .filter_map(|(key, want)| {
            let got = result
                .get(key)
                .unwrap_or_else(|| panic!("no result {key}"))
                .to_string();
            (got != *want).then(|| format!("{key}: got {got}, expected {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// Totals.

#[test]
fn totals_sum_each_score_and_nt_makes_them_not_determinable() {
    let exam = complete_at(Level::C6);
    expect(
        &exam,
        &[
            ("rightUpperMotorTotal", "10"),
            ("upperMotorTotal", "20"),
            ("lowerMotorTotal", "0"),
            ("rightTouchTotal", "10"), // C2–C6: 5 dermatomes scored 2
            ("touchTotal", "20"),
            ("prickTotal", "20"),
        ],
    );
    let nt = edit(&exam, &[("l3LeftMotor", "NT"), ("t4RightPrick", "NT*")]);
    expect(
        &nt,
        &[
            ("leftLowerMotorTotal", "ND"),
            ("rightLowerMotorTotal", "0"),
            ("lowerMotorTotal", "ND"),
            ("leftMotorTotal", "ND"),
            ("upperMotorTotal", "20"),
            ("rightPrickTotal", "ND"),
            ("prickTotal", "ND"),
            ("touchTotal", "20"),
        ],
    );
    // A flagged grade counts with its grade.
    let flagged = edit(&exam, &[("c5RightMotor", "3*"), ("c6LeftMotor", "2**")]);
    expect(&flagged, &[("upperMotorTotal", "15")]);
}

// Normal exam.

#[test]
fn a_normal_exam_is_intact_and_grade_e() {
    expect(
        &Exam::normal(),
        &[
            ("rightSensory", "INT"),
            ("leftMotor", "INT"),
            ("neurologicalLevelOfInjury", "INT"),
            ("asiaImpairmentScale", "E"),
            ("injuryComplete", "I"),
            ("rightSensoryZpp", "NA"),
            ("leftMotorZpp", "NA"),
            ("upperMotorTotal", "50"),
            ("touchTotal", "112"),
        ],
    );
}

// Sensory level: the most caudal dermatome with both modalities intact, above the first that
// is not.

#[test]
fn sensory_level_is_the_last_intact_dermatome() {
    let exam = complete_at(Level::T4);
    expect(&exam, &[("rightSensory", "T4"), ("leftSensory", "T4")]);
    // Altered pin prick alone ends it.
    let exam = edit(&Exam::normal(), &[("t9LeftPrick", "1")]);
    expect(&exam, &[("leftSensory", "T8"), ("rightSensory", "INT")]);
    // C2 abnormal: the level is C1.
    let exam = edit(&Exam::normal(), &[("c2RightTouch", "0")]);
    expect(&exam, &[("rightSensory", "C1")]);
}

// Motor level: the lowest key muscle at grade 3 or more with the ones above it normal (5).

#[test]
fn motor_level_needs_grade_3_and_normal_above() {
    let base = complete_at(Level::C5);
    let c6_three = muscles(&base, MotorLevel::C6, MotorLevel::C6, "3");
    expect(&c6_three, &[("rightMotor", "C6"), ("leftMotor", "C6")]);
    let c6_two = muscles(&base, MotorLevel::C6, MotorLevel::C6, "2");
    expect(&c6_two, &[("rightMotor", "C5")]);
    // Grade 4 above: the muscle below does not count, even at 5.
    let c6_four_c7_five = edit(&c6_three, &[("c6RightMotor", "4"), ("c7RightMotor", "5")]);
    expect(&c6_four_c7_five, &[("rightMotor", "C6")]);
}

#[test]
fn motor_level_follows_sensation_where_there_are_no_key_muscles() {
    // Arms normal, sensation to T6, legs absent: the motor level is the sensory level.
    let exam = complete_at(Level::T6);
    expect(
        &exam,
        &[("rightMotor", "T6"), ("neurologicalLevelOfInjury", "T6")],
    );
    // C2–C4: with C5 at grade 0, the motor level is taken as the sensory level C4.
    let exam = complete_at(Level::C4);
    expect(&exam, &[("rightMotor", "C4"), ("leftSensory", "C4")]);
}

#[test]
fn motor_level_below_s1_depends_on_anal_contraction() {
    // Everything normal but no anal contraction: motor level S3.
    let exam = edit(&Exam::normal(), &[("analContraction", "No")]);
    expect(
        &exam,
        &[
            ("rightMotor", "S3"),
            ("leftMotor", "S3"),
            ("rightSensory", "INT"),
        ],
    );
    // Untestable: either.
    let exam = edit(&Exam::normal(), &[("analContraction", "NT")]);
    expect(&exam, &[("rightMotor", "S3,INT")]);
}

// Neurological level of injury: the most rostral of the four levels.

#[test]
fn nli_is_the_most_rostral_of_the_four_levels() {
    let exam = complete_at(Level::C7);
    // Right pin prick lost at C7: right sensory C6; the left is C7.
    let exam = edit(&exam, &[("c7RightPrick", "1")]);
    expect(
        &exam,
        &[
            ("rightSensory", "C6"),
            ("leftSensory", "C7"),
            ("rightMotor", "C7"),
            ("neurologicalLevelOfInjury", "C6"),
        ],
    );
    // Left C6 muscle at 4 (motor level C6 left) with sensation intact to C7.
    let exam = edit(&complete_at(Level::C7), &[("c6LeftMotor", "4")]);
    expect(
        &exam,
        &[
            ("leftMotor", "C6"),
            ("rightMotor", "C7"),
            ("neurologicalLevelOfInjury", "C6"),
        ],
    );
}

// Complete or incomplete: any sacral sparing (S4-5 sensation, deep anal pressure or voluntary
// anal contraction) makes the injury incomplete.

#[test]
fn completeness_is_decided_at_s4_5() {
    let complete = complete_at(Level::T10);
    expect(
        &complete,
        &[("injuryComplete", "C"), ("asiaImpairmentScale", "A")],
    );
    for change in [
        ("analSensation", "Yes"),
        ("s4_5LeftTouch", "1"),
        ("s4_5RightPrick", "2"),
        ("analContraction", "Yes"),
    ] {
        expect(&edit(&complete, &[change]), &[("injuryComplete", "I")]);
    }
    // Untestable anal exam with absent S4-5 sensation: either.
    expect(
        &edit(
            &complete,
            &[("analSensation", "NT"), ("analContraction", "NT")],
        ),
        &[("injuryComplete", "C,I")],
    );
}

// AIS grades.

#[test]
fn grade_a_complete() {
    expect(
        &complete_at(Level::C5),
        &[
            ("asiaImpairmentScale", "A"),
            ("neurologicalLevelOfInjury", "C5"),
        ],
    );
}

#[test]
fn grade_b_sensory_incomplete() {
    // Sacral sensation spared, no motor function below the motor level.
    let exam = edit(&complete_at(Level::C6), &[("s4_5RightTouch", "1")]);
    expect(
        &exam,
        &[("asiaImpairmentScale", "B"), ("injuryComplete", "I")],
    );
    let exam = edit(&complete_at(Level::C6), &[("analSensation", "Yes")]);
    expect(&exam, &[("asiaImpairmentScale", "B")]);
}

#[test]
fn grade_b_allows_motor_function_up_to_three_levels_below_the_motor_level() {
    // Motor level C5 (C6 at 0); C8 (three levels below C5) at grade 2 still leaves B.
    let exam = edit(
        &complete_at(Level::C5),
        &[("s4_5RightTouch", "1"), ("c8RightMotor", "2")],
    );
    expect(&exam, &[("rightMotor", "C5"), ("asiaImpairmentScale", "B")]);
}

#[test]
fn grade_c_motor_incomplete_with_most_muscles_weak() {
    // Voluntary anal contraction: motor incomplete. Below C5, every key muscle is under 3.
    let exam = edit(&complete_at(Level::C5), &[("analContraction", "Yes")]);
    expect(
        &exam,
        &[("asiaImpairmentScale", "C"), ("injuryComplete", "I")],
    );
    // Sensory sparing and motor function more than three levels below the motor level (T1
    // below C5, on one side) also make it motor incomplete.
    let exam = edit(
        &complete_at(Level::C5),
        &[("s4_5LeftPrick", "1"), ("t1RightMotor", "1")],
    );
    expect(&exam, &[("asiaImpairmentScale", "C")]);
}

#[test]
fn grade_c_from_a_non_key_muscle_more_than_three_levels_below() {
    // Sensory incomplete at C5; a non-key muscle at L2 turns B into C.
    let b = edit(&complete_at(Level::C5), &[("analSensation", "Yes")]);
    expect(&b, &[("asiaImpairmentScale", "B")]);
    let c = edit(&b, &[("rightLowestNonKeyMuscleWithMotorFunction", "L2")]);
    expect(&c, &[("asiaImpairmentScale", "C")]);
}

#[test]
fn grade_d_motor_incomplete_with_half_the_muscles_at_3() {
    // NLI T12: ten key muscles below (L2–S1 both sides); five at grade 3 or more is half.
    let base = edit(&complete_at(Level::T12), &[("analContraction", "Yes")]);
    expect(
        &base,
        &[
            ("neurologicalLevelOfInjury", "T12"),
            ("asiaImpairmentScale", "C"),
        ],
    );
    let d = muscles(&base, MotorLevel::L2, MotorLevel::L3, "3");
    let d = edit(&d, &[("l4RightMotor", "4")]);
    expect(&d, &[("asiaImpairmentScale", "D")]);
    // Four of ten: C.
    let c = edit(&d, &[("l4RightMotor", "2")]);
    expect(&c, &[("asiaImpairmentScale", "C")]);
}

#[test]
fn grade_e_normal() {
    expect(&Exam::normal(), &[("asiaImpairmentScale", "E")]);
}

// Zones of partial preservation: reported where there is no sparing of the modality at S4-5.

#[test]
fn sensory_zpp_is_the_lowest_dermatome_with_any_sensation() {
    // Complete at T4 with partial sensation at T5 and T6 on the right only.
    let exam = edit(
        &complete_at(Level::T4),
        &[("t5RightTouch", "1"), ("t6RightPrick", "1")],
    );
    expect(
        &exam,
        &[
            ("rightSensory", "T4"),
            ("rightSensoryZpp", "T6"),
            ("leftSensoryZpp", "T4"),
        ],
    );
    // Deep anal pressure: not applicable.
    expect(
        &edit(&exam, &[("analSensation", "Yes")]),
        &[("rightSensoryZpp", "NA")],
    );
}

#[test]
fn motor_zpp_is_the_lowest_key_muscle_with_any_function() {
    let exam = edit(&complete_at(Level::C5), &[("c7RightMotor", "1")]);
    expect(
        &exam,
        &[
            ("rightMotor", "C5"),
            ("rightMotorZpp", "C7"),
            ("leftMotorZpp", "C5"),
        ],
    );
    // Anal contraction: not applicable.
    expect(
        &edit(&exam, &[("analContraction", "Yes")]),
        &[("rightMotorZpp", "NA")],
    );
    // Untestable anal contraction: NA or the level.
    expect(
        &edit(&exam, &[("analContraction", "NT")]),
        &[("rightMotorZpp", "NA,C7")],
    );
}

#[test]
fn motor_zpp_follows_sensation_in_the_thoracic_cord() {
    // Complete at T6: no key muscle below with function, the motor ZPP is the motor level.
    expect(
        &complete_at(Level::T6),
        &[("rightMotor", "T6"), ("rightMotorZpp", "T6")],
    );
}

// Untestable values: the result is every possibility.

#[test]
fn nt_sensation_gives_a_range_of_levels() {
    let exam = sensation(&complete_at(Level::C5), Level::C6, Level::C6, "NT");
    // C6 untestable, C7 absent: the sensory level is C5 or C6.
    expect(
        &exam,
        &[("rightSensory", "C5,C6"), ("leftSensory", "C5,C6")],
    );
}

#[test]
fn nt_motor_gives_a_range_of_levels() {
    // C6 untestable, C7 at 0: the motor level is C5 (if C6 is weak) or C6.
    let exam = muscles(
        &complete_at(Level::C6),
        MotorLevel::C6,
        MotorLevel::C6,
        "NT",
    );
    expect(&exam, &[("rightMotor", "C5,C6")]);
}

#[test]
fn nt_anal_exam_gives_a_range_of_grades() {
    let exam = edit(
        &complete_at(Level::T8),
        &[("analSensation", "NT"), ("analContraction", "NT")],
    );
    expect(
        &exam,
        &[("injuryComplete", "C,I"), ("asiaImpairmentScale", "A,B,C")],
    );
}

// Non-SCI flags: `*` values are taken as abnormal; `**` values are counted as normal, and
// results that rest on them carry a `*`.

#[test]
fn a_double_star_value_is_counted_normal_and_starred() {
    // An ulnar-nerve injury lowers C8 sensation on the right: counted as normal.
    let exam = edit(&Exam::normal(), &[("c8RightTouch", "1**")]);
    expect(
        &exam,
        &[
            ("rightSensory", "INT*"),
            ("leftSensory", "INT"),
            ("neurologicalLevelOfInjury", "INT*"),
            ("asiaImpairmentScale", "E*"),
            ("rightTouchTotal", "55"),
        ],
    );
}

#[test]
fn a_single_star_value_is_abnormal() {
    // The same finding, to be taken as abnormal: the sensory level stops above it.
    let exam = edit(&Exam::normal(), &[("c8RightTouch", "1*")]);
    expect(
        &exam,
        &[("rightSensory", "C7"), ("neurologicalLevelOfInjury", "C7")],
    );
}

#[test]
fn a_starred_sacral_value_leaves_completeness_open() {
    // S4-5 sensation absent but for a non-SCI reason on one point: complete or incomplete.
    let exam = edit(&complete_at(Level::T10), &[("s4_5RightTouch", "0*")]);
    expect(
        &exam,
        &[
            ("injuryComplete", "C*,I*"),
            ("asiaImpairmentScale", "A*,B*"),
        ],
    );
}

#[test]
fn classification_keys_are_the_conformance_names() {
    assert_eq!(Classification::KEYS.len(), 25);
    let result = Exam::normal().classify();
    assert_eq!(result.values().len(), 25);
    assert_eq!(result.get("asiaImpairmentScale").unwrap().to_string(), "E");
    assert!(result.get("nonsense").is_none());
}
