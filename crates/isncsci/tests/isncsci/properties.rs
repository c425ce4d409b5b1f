//! Property tests of the exam model, the flat layout and the classification, with proptest.
//!
//! - Totals: every total stays within its bounds (25 per limb and side, 50 per side and for
//!   UEMS/LEMS, 56 per side and 112 for touch and prick), is `ND` exactly when a value it sums
//!   is `NT` (with or without a flag), each combined total is the sum of its parts when they
//!   are determined, and each determined total is the sum of the grades.
//! - Normal exams: all normal (VAC `Yes`) is AIS `E` with NLI `INT`; changing only values to
//!   `**` ones (taken as normal) keeps it `E` or `E*` with NLI `INT` or `INT*` (in fact always
//!   the starred ones, as the reference prints them).
//! - Round trips: an exam written as flat JSON ([`write_exam`]) reads back ([`read_all`]) as
//!   the same exam with the same id (numbers as written; strings with quotes, backslashes,
//!   control characters and any Unicode), also several at once, as an array or as lines, fed
//!   to [`Reader::next`] in random pieces; and an exam set field by field through
//!   [`ExamBuilder`] from [`fields`], in any order, is the same exam.
//! - Results: the results the reference always gives (levels, NLI, ZPPs, AIS, completeness)
//!   are never empty, and every printed result is made of the expected tokens (levels
//!   `C1`..`S4_5` and `INT`, `NA` in ZPPs only, grades `A`-`E`, `C`/`I`, numbers or `ND`, each
//!   level, grade or completeness possibly with `*`, separated by commas, none twice).
//! - Fuzz: arbitrary bytes, JSON-like bytes, JSON token soup, exam objects with members
//!   dropped, renamed, revalued, added or moved, and mutations of valid exam JSON (bit flips,
//!   byte changes, insertions, deletions, duplications, truncations), read with [`read_all`]
//!   and with [`Reader::next`] over random split points (which must give the same exams and
//!   the same syntax error at the same offset), and with a reader that read objects in varied
//!   layouts before (whose keyed path must give the same); and arbitrary keys and values given to
//!   [`ExamBuilder::set`]. Nothing panics, and every exam that parses is classified.
//!
//! Exams come from two strategies: one uniform over the whole value grammar (every motor and
//! sensory value, every anorectal value, an optional non-key muscle at any level), and one
//! derived from a random seed with [`isncsci::synth::mixed_exam`] (injury-shaped exams).
//!
//! The number of cases is proptest's default (256, about a second in a debug build), or
//! `PROPTEST_CASES` when set, so CI can run longer:
//! `PROPTEST_CASES=100000 cargo test -p isncsci --test isncsci properties::`.

use isncsci::flat::json::{read_all, write_exam, Id, Next, Reader, Start, SyntaxError};
use isncsci::flat::{fields, ExamBuilder, Field, FieldError, Problem};
use isncsci::synth::{mixed_exam, Rng};
use isncsci::{
    Anal, Classification, Exam, Flag, Level, MotorLevel, MotorValue, ResultValue, SensoryValue,
    SideExam, Total,
};
use proptest::prelude::*;
use proptest::sample::{select, Index};

// ---------------------------------------------------------------------------------------------
// Strategies

fn motor_value() -> impl Strategy<Value = MotorValue> {
    select(MotorValue::all().collect::<Vec<_>>())
}

fn sensory_value() -> impl Strategy<Value = SensoryValue> {
    select(SensoryValue::all().collect::<Vec<_>>())
}

fn anal() -> impl Strategy<Value = Anal> {
    select(vec![Anal::Yes, Anal::No, Anal::NT])
}

fn non_key_muscle() -> impl Strategy<Value = Option<Level>> {
    proptest::option::of(select(Level::ALL.to_vec()))
}

fn side_exam() -> impl Strategy<Value = SideExam> {
    (
        proptest::array::uniform10(motor_value()),
        proptest::array::uniform28(sensory_value()),
        proptest::array::uniform28(sensory_value()),
        non_key_muscle(),
    )
        .prop_map(
            |(motor, light_touch, pin_prick, lowest_non_key_muscle)| SideExam {
                motor,
                light_touch,
                pin_prick,
                lowest_non_key_muscle,
            },
        )
}

/// Every value drawn uniformly from the whole grammar.
fn uniform_grammar_exam() -> impl Strategy<Value = Exam> {
    (side_exam(), side_exam(), anal(), anal()).prop_map(
        |(right, left, anal_contraction, anal_sensation)| Exam {
            right,
            left,
            anal_contraction,
            anal_sensation,
        },
    )
}

/// Exams shaped like injuries (and some nearly normal or uniform), from a random seed.
fn seeded_exam() -> impl Strategy<Value = Exam> {
    any::<u64>().prop_map(|seed| mixed_exam(&mut Rng::new(seed)))
}

/// Half uniform over the grammar, half injury-shaped.
fn exam() -> impl Strategy<Value = Exam> {
    prop_oneof![uniform_grammar_exam(), seeded_exam()]
}

/// A number as JSON writes it, kept as written by the reader.
fn number_id() -> impl Strategy<Value = Id> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,8})?([eE][+-]?[0-9]{1,4})?",
    ]
    .prop_map(Id::Number)
}

/// Any string, biased towards the characters that need escaping.
fn text_id() -> impl Strategy<Value = Id> {
    prop_oneof![
        any::<String>(),
        "[\"\\\\/a-z0-9 \\n\\r\\t\\u{0}-\\u{1f}\\u{7f}é😀\\u{2028}\\u{fffd}]{0,20}",
        Just(String::new()),
    ]
    .prop_map(Id::Text)
}

fn id() -> impl Strategy<Value = Option<Id>> {
    proptest::option::weighted(0.9, prop_oneof![number_id(), text_id()])
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// What a reader gave: each exam read (its id, and the exam or its bad field), then the syntax
/// error that stopped it, if any.
type Reading = (
    Vec<(Option<Id>, Result<Exam, FieldError>)>,
    Option<SyntaxError>,
);

/// Every exam of a text as [`Reader::next`] gives them, with the whole text at once.
fn read_whole(text: &[u8]) -> Reading {
    read_with(&mut Reader::new(), text)
}

/// Every exam of `text` read by `reader`, and the error that ended the reading, if one did.
fn read_with(reader: &mut Reader, text: &[u8]) -> Reading {
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        match reader.next(&text[pos..], true) {
            Ok(Next::Record(record, used)) => {
                assert!(used > 0, "a record uses input");
                pos += used;
                out.push((record.id, record.exam));
            }
            Ok(Next::End) => return (out, None),
            Ok(Next::NeedMore(_)) => panic!("NeedMore at the end of the input"),
            Err(e) => {
                return (
                    out,
                    Some(SyntaxError {
                        offset: pos + e.offset,
                        ..e
                    }),
                )
            }
        }
    }
}

/// The same, the text given to [`Reader::next`] in pieces ending at `splits` (fractions of the
/// length), the way a program reads a file through a buffer that it refills.
fn read_in_pieces(text: &[u8], splits: &[Index]) -> Reading {
    let mut ends: Vec<usize> = splits.iter().map(|i| i.index(text.len() + 1)).collect();
    ends.push(text.len());
    ends.sort_unstable();
    let mut ends = ends.into_iter();
    let mut reader = Reader::new();
    let mut out = Vec::new();
    // buf holds text[discarded..fed].
    let (mut buf, mut discarded, mut fed): (Vec<u8>, usize, usize) = (Vec::new(), 0, 0);
    let mut at_eof = false;
    for _ in 0..=2 * text.len() + splits.len() + 4 {
        match reader.next(&buf, at_eof) {
            Ok(Next::Record(record, used)) => {
                assert!(
                    used > 0 && used <= buf.len(),
                    "used {used} of {}",
                    buf.len()
                );
                buf.drain(..used);
                discarded += used;
                out.push((record.id, record.exam));
            }
            Ok(Next::End) => return (out, None),
            Ok(Next::NeedMore(used)) => {
                assert!(!at_eof, "NeedMore after the end of the input");
                assert!(used <= buf.len(), "used {used} of {}", buf.len());
                buf.drain(..used);
                discarded += used;
                let end = ends.find(|e| *e > fed).unwrap_or(text.len());
                buf.extend_from_slice(&text[fed..end]);
                fed = end;
                at_eof = fed == text.len();
            }
            Err(e) => {
                return (
                    out,
                    Some(SyntaxError {
                        offset: discarded + e.offset,
                        ..e
                    }),
                )
            }
        }
    }
    panic!("the reader does not get on: {} bytes", text.len());
}

/// Classifies every exam that parsed, and prints every result (which must not panic).
fn classify_all(records: &[(Option<Id>, Result<Exam, FieldError>)]) {
    for (id, exam) in records {
        if let Some(id) = id {
            let _ = (id.to_json(), id.to_string());
        }
        match exam {
            Ok(exam) => check_result_tokens(&exam.classify()),
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
}

fn exam_text(exam: &Exam, id: Option<&Id>) -> String {
    let mut out = String::new();
    write_exam(exam, id, &mut out);
    out
}

fn is_level_token(token: &str) -> bool {
    token == "INT" || Level::ALL.iter().any(|l| l.name() == token)
}

/// Checks the printed results against the expected vocabulary.
fn check_result_tokens(result: &Classification) {
    for (key, value) in Classification::KEYS.iter().zip(result.values()) {
        let text = value.to_string();
        match value {
            ResultValue::Total(_) => assert!(
                text == "ND" || (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())),
                "{key}: {text:?}"
            ),
            _ => {
                if text.is_empty() {
                    continue; // checked where the reference always gives a value
                }
                let mut seen = Vec::new();
                for token in text.split(',') {
                    let bare = token.strip_suffix('*').unwrap_or(token);
                    let ok = match value {
                        ResultValue::Levels(_) if key.ends_with("Zpp") => {
                            bare == "NA" || is_level_token(bare)
                        }
                        ResultValue::Levels(_) => is_level_token(bare),
                        ResultValue::Ais(_) => ["A", "B", "C", "D", "E"].contains(&bare),
                        ResultValue::Completeness(_) => ["C", "I"].contains(&bare),
                        ResultValue::Total(_) => unreachable!(),
                    };
                    assert!(ok, "{key}: token {token:?} in {text:?}");
                    assert!(!seen.contains(&bare), "{key}: {bare} twice in {text:?}");
                    seen.push(bare);
                }
            }
        }
    }
}

fn nt_in(values: impl IntoIterator<Item = bool>) -> bool {
    values.into_iter().any(|nt| nt)
}

fn check_total(name: &str, total: Total, max: u16, any_nt: bool) {
    match total.0 {
        None => assert!(any_nt, "{name} is ND without an NT value"),
        Some(n) => {
            assert!(!any_nt, "{name} is {n} though a value in it is NT");
            assert!(n <= max, "{name} is {n}, above {max}");
        }
    }
}

fn check_sum(name: &str, total: Total, parts: [Total; 2]) {
    match (parts[0].0, parts[1].0) {
        (Some(a), Some(b)) => assert_eq!(total.0, Some(a + b), "{name}"),
        _ => assert_eq!(total.0, None, "{name} with an ND part"),
    }
}

// ---------------------------------------------------------------------------------------------
// Totals

proptest! {
    #[test]
    fn totals_are_bounded_nd_exactly_on_nt_and_add_up(exam in exam()) {
        let t = exam.classify().totals;
        let upper = &MotorLevel::ALL[..5];
        let lower = &MotorLevel::ALL[5..];
        let motor_nt = |side: &SideExam, muscles: &[MotorLevel]| {
            nt_in(muscles.iter().map(|m| side.motor(*m).is_nt()))
        };
        let touch_nt = |side: &SideExam| nt_in(side.light_touch.iter().map(|v| v.is_nt()));
        let prick_nt = |side: &SideExam| nt_in(side.pin_prick.iter().map(|v| v.is_nt()));
        let (r, l) = (&exam.right, &exam.left);
        check_total("rightUpperMotorTotal", t.right_upper_motor, 25, motor_nt(r, upper));
        check_total("leftUpperMotorTotal", t.left_upper_motor, 25, motor_nt(l, upper));
        check_total("rightLowerMotorTotal", t.right_lower_motor, 25, motor_nt(r, lower));
        check_total("leftLowerMotorTotal", t.left_lower_motor, 25, motor_nt(l, lower));
        check_total("rightTouchTotal", t.right_touch, 56, touch_nt(r));
        check_total("leftTouchTotal", t.left_touch, 56, touch_nt(l));
        check_total("rightPrickTotal", t.right_prick, 56, prick_nt(r));
        check_total("leftPrickTotal", t.left_prick, 56, prick_nt(l));
        let all = &MotorLevel::ALL[..];
        check_total("rightMotorTotal", t.right_motor, 50, motor_nt(r, all));
        check_total("leftMotorTotal", t.left_motor, 50, motor_nt(l, all));
        check_total("upperMotorTotal", t.upper_motor, 50, motor_nt(r, upper) || motor_nt(l, upper));
        check_total("lowerMotorTotal", t.lower_motor, 50, motor_nt(r, lower) || motor_nt(l, lower));
        check_total("touchTotal", t.touch, 112, touch_nt(r) || touch_nt(l));
        check_total("prickTotal", t.prick, 112, prick_nt(r) || prick_nt(l));

        check_sum("rightMotorTotal", t.right_motor, [t.right_upper_motor, t.right_lower_motor]);
        check_sum("leftMotorTotal", t.left_motor, [t.left_upper_motor, t.left_lower_motor]);
        check_sum("upperMotorTotal", t.upper_motor, [t.right_upper_motor, t.left_upper_motor]);
        check_sum("lowerMotorTotal", t.lower_motor, [t.right_lower_motor, t.left_lower_motor]);
        check_sum("touchTotal", t.touch, [t.right_touch, t.left_touch]);
        check_sum("prickTotal", t.prick, [t.right_prick, t.left_prick]);
    }

    #[test]
    fn determined_totals_are_the_sums_of_the_grades(exam in exam()) {
        let t = exam.classify().totals;
        let grades = |values: &mut dyn Iterator<Item = Option<u8>>| -> Option<u16> {
            values.map(|g| g.map(u16::from)).sum()
        };
        for (side, upper, lower, touch, prick) in [
            (&exam.right, t.right_upper_motor, t.right_lower_motor, t.right_touch, t.right_prick),
            (&exam.left, t.left_upper_motor, t.left_lower_motor, t.left_touch, t.left_prick),
        ] {
            prop_assert_eq!(upper.0, grades(&mut side.motor[..5].iter().map(|v| v.grade())));
            prop_assert_eq!(lower.0, grades(&mut side.motor[5..].iter().map(|v| v.grade())));
            prop_assert_eq!(touch.0, grades(&mut side.light_touch.iter().map(|v| v.grade())));
            prop_assert_eq!(prick.0, grades(&mut side.pin_prick.iter().map(|v| v.grade())));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Normal exams

#[test]
fn an_all_normal_exam_is_e_and_intact() {
    let result = Exam::normal().classify();
    assert_eq!(result.ais.to_string(), "E");
    assert_eq!(result.neurological_level.to_string(), "INT");
    for (key, value) in Classification::KEYS.iter().zip(result.values()) {
        let value = value.to_string();
        assert!(!value.contains('*'), "{key}: {value}");
    }
    assert_eq!(result.totals.upper_motor, Total(Some(50)));
    assert_eq!(result.totals.lower_motor, Total(Some(50)));
    assert_eq!(result.totals.touch, Total(Some(112)));
    assert_eq!(result.totals.prick, Total(Some(112)));
}

/// A point of an exam: a key muscle, a light-touch or a pin-prick dermatome, on one side.
#[derive(Clone, Copy, Debug)]
enum Point {
    Motor(bool, usize),
    Touch(bool, usize),
    Prick(bool, usize),
}

fn point() -> impl Strategy<Value = Point> {
    prop_oneof![
        (any::<bool>(), 0..10usize).prop_map(|(r, i)| Point::Motor(r, i)),
        (any::<bool>(), 0..28usize).prop_map(|(r, i)| Point::Touch(r, i)),
        (any::<bool>(), 0..28usize).prop_map(|(r, i)| Point::Prick(r, i)),
    ]
}

/// Changes a point to the `**` value (taken as normal) chosen by `choice`.
fn set_double_star(exam: &mut Exam, point: Point, choice: Index) {
    let motor: Vec<MotorValue> = MotorValue::all()
        .filter(|v| v.flag() == Flag::NonSciNormal)
        .collect();
    let sensory: Vec<SensoryValue> = SensoryValue::all()
        .filter(|v| v.flag() == Flag::NonSciNormal)
        .collect();
    match point {
        Point::Motor(right, i) => {
            let s = if right {
                &mut exam.right
            } else {
                &mut exam.left
            };
            s.motor[i] = *choice.get(&motor);
        }
        Point::Touch(right, i) => {
            let s = if right {
                &mut exam.right
            } else {
                &mut exam.left
            };
            s.light_touch[i] = *choice.get(&sensory);
        }
        Point::Prick(right, i) => {
            let s = if right {
                &mut exam.right
            } else {
                &mut exam.left
            };
            s.pin_prick[i] = *choice.get(&sensory);
        }
    }
}

proptest! {
    #[test]
    fn normal_but_for_double_star_values_is_still_e(
        changes in proptest::collection::vec((point(), any::<Index>()), 1..20),
        non_key in non_key_muscle(),
    ) {
        let mut exam = Exam::normal();
        for (point, choice) in &changes {
            set_double_star(&mut exam, *point, *choice);
        }
        exam.right.lowest_non_key_muscle = non_key;
        let result = exam.classify();
        let ais = result.ais.to_string();
        let nli = result.neurological_level.to_string();
        let text = exam_text(&exam, None);
        prop_assert!(ais == "E" || ais == "E*", "AIS {} for {}", ais, text);
        prop_assert!(nli == "INT" || nli == "INT*", "NLI {} for {}", nli, text);
        // Resting on values flagged as non-SCI, both are starred (as the reference prints them).
        prop_assert_eq!((ais.as_str(), nli.as_str()), ("E*", "INT*"), "{}", text);
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips

proptest! {
    #[test]
    fn json_write_then_read_gives_the_same_exam_and_id(exam in exam(), id in id()) {
        let text = exam_text(&exam, id.as_ref());
        let records = read_all(text.as_bytes()).map_err(|e| {
            TestCaseError::fail(format!("{e:?} in {text}"))
        })?;
        prop_assert_eq!(records.len(), 1);
        prop_assert_eq!(&records[0].id, &id);
        prop_assert_eq!(records[0].exam.as_ref(), Ok(&exam));
    }

    #[test]
    fn json_arrays_and_lines_read_back_in_any_pieces(
        exams in proptest::collection::vec((exam(), id()), 0..4),
        array in any::<bool>(),
        splits in proptest::collection::vec(any::<Index>(), 0..12),
    ) {
        let objects: Vec<String> = exams.iter().map(|(e, id)| exam_text(e, id.as_ref())).collect();
        let text = if array {
            format!("[{}]", objects.join(",\n "))
        } else {
            objects.join("\n") + "\n"
        };
        let whole = read_whole(text.as_bytes());
        prop_assert_eq!(&whole.1, &None);
        prop_assert_eq!(whole.0.len(), exams.len());
        for ((exam, id), (read_id, read_exam)) in exams.iter().zip(&whole.0) {
            prop_assert_eq!(read_id, id);
            prop_assert_eq!(read_exam.as_ref(), Ok(exam));
        }
        let pieces = read_in_pieces(text.as_bytes(), &splits);
        prop_assert_eq!(pieces, whole);
    }

    #[test]
    fn setting_every_field_through_the_builder_gives_the_same_exam(
        exam in exam(),
        order in Just((0..Field::all().count()).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let all: Vec<(String, &str)> = fields(&exam).collect();
        let mut builder = ExamBuilder::new();
        for i in order {
            let (key, value) = &all[i];
            builder.set(key, value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        prop_assert_eq!(builder.finish(), Ok(exam.clone()));
        // The id and annotations are accepted and change nothing.
        builder.set("id", "anything").unwrap();
        builder.set("totals", "{}").unwrap();
        prop_assert_eq!(builder.finish(), Ok(exam));
    }
}

// ---------------------------------------------------------------------------------------------
// Results

proptest! {
    #[test]
    fn results_are_never_empty_and_use_the_expected_tokens(exam in exam()) {
        let result = exam.classify();
        for (key, value) in [
            ("neurologicalLevelOfInjury", result.neurological_level.to_string()),
            ("rightSensory", result.right_sensory.to_string()),
            ("leftSensory", result.left_sensory.to_string()),
            ("rightMotor", result.right_motor.to_string()),
            ("leftMotor", result.left_motor.to_string()),
            ("asiaImpairmentScale", result.ais.to_string()),
            ("injuryComplete", result.completeness.to_string()),
        ] {
            prop_assert!(!value.is_empty(), "{} is empty for {}", key, exam_text(&exam, None));
        }
        check_result_tokens(&result);
    }

    #[test]
    fn zones_of_partial_preservation_are_never_empty(exam in exam()) {
        let result = exam.classify();
        for (key, value) in [
            ("rightSensoryZpp", result.right_sensory_zpp),
            ("leftSensoryZpp", result.left_sensory_zpp),
            ("rightMotorZpp", result.right_motor_zpp),
            ("leftMotorZpp", result.left_motor_zpp),
        ] {
            prop_assert!(!value.is_empty(), "{} is empty for {}", key, exam_text(&exam, None));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fuzz: nothing panics

/// Bytes that matter to the JSON reader, and some that do not.
fn json_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => select(b"[]{}\",:\\/ \n\t0123456789.eE+-tfnulrbu*NTYesNo".to_vec()),
        1 => any::<u8>(),
    ]
}

/// Object keys, as JSON strings: the layout's, annotations, and near misses.
fn json_keys() -> Vec<String> {
    Field::all()
        .map(|f| format!("\"{f}\""))
        .chain(
            [
                "\"id\"",
                "\"totals\"",
                "\"note\"",
                "\"group\"",
                "\"asiaImpairmentScale\"",
                "\"c4RightMotor\"",
                "\"c5RightMotr\"",
                "\"c5Right\\u004dotor\"",
                "\"s4_5LeftPrick\\\"\"",
                "\"\"",
                "\"\u{e9}\"",
            ]
            .map(String::from),
        )
        .collect()
}

/// Values, as JSON text: the grammar's, near misses, other JSON values and bad escapes.
fn json_values() -> Vec<String> {
    MotorValue::all()
        .map(|v| v.as_str())
        .chain(SensoryValue::all().map(|v| v.as_str()))
        .chain([
            "Yes", "No", "NT", "C8", "S4_5", "s4-5", " T1 ", "0", "", "6", "yes", "5***",
        ])
        .map(|v| format!("\"{v}\""))
        .chain(
            [
                "5",
                "-1",
                "1.5e3",
                "0.",
                "-",
                "1e",
                "null",
                "true",
                "false",
                "nul",
                "\"\\u00e9\\ud83d\\ude00\"",
                "\"\\ud800\"",
                "\"\\ud800\\u0041\"",
                "\"\\x\"",
                "\"\\u12\"",
                "\"\\u0035\"",
                "\"\u{e9}\"",
                "\"\\\"\"",
                "[[{}]]",
                "{\"a\":[1,{\"b\":null}]}",
                "[",
                "{",
            ]
            .map(String::from),
        )
        .collect()
}

/// Pieces of JSON that make texts that get further into the reader than random bytes.
fn json_token() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => select(vec!["[", "]", "{", "}", ",", ":", " ", "\n"]).prop_map(String::from),
        2 => select(json_keys()),
        2 => select(json_values()),
        1 => proptest::collection::vec(json_byte(), 1..4)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

/// A change to the members of an exam object.
#[derive(Clone, Debug)]
enum MemberEdit {
    Drop(Index),
    Key(Index, String),
    Value(Index, String),
    Add(Index, String, String),
    Swap(Index, Index),
}

fn member_edit() -> impl Strategy<Value = MemberEdit> {
    let (keys, values) = (json_keys(), json_values());
    prop_oneof![
        any::<Index>().prop_map(MemberEdit::Drop),
        (any::<Index>(), select(keys.clone())).prop_map(|(i, k)| MemberEdit::Key(i, k)),
        (any::<Index>(), select(values.clone())).prop_map(|(i, v)| MemberEdit::Value(i, v)),
        (any::<Index>(), select(keys), select(values))
            .prop_map(|(i, k, v)| MemberEdit::Add(i, k, v)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| MemberEdit::Swap(a, b)),
    ]
}

/// One exam object built member by member, the edits applied (members dropped, renamed,
/// revalued, added or moved), with `space` around the punctuation.
fn object_json(exam: &Exam, id: Option<&Id>, edits: &[MemberEdit], space: &str) -> String {
    let mut members: Vec<(String, String)> = id
        .iter()
        .map(|id| ("\"id\"".to_string(), id.to_json()))
        .chain(fields(exam).map(|(k, v)| (format!("\"{k}\""), format!("\"{v}\""))))
        .collect();
    for edit in edits {
        let n = members.len();
        match edit.clone() {
            MemberEdit::Drop(i) if n > 0 => {
                members.remove(i.index(n));
            }
            MemberEdit::Key(i, k) if n > 0 => members[i.index(n)].0 = k,
            MemberEdit::Value(i, v) if n > 0 => members[i.index(n)].1 = v,
            MemberEdit::Add(i, k, v) => members.insert(i.index(n + 1), (k, v)),
            MemberEdit::Swap(a, b) if n > 0 => members.swap(a.index(n), b.index(n)),
            _ => {}
        }
    }
    let members: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{k}{space}:{space}{v}"))
        .collect();
    format!("{{{space}{}{space}}}", members.join(&format!(",{space}")))
}

/// Exam objects built member by member, with members dropped, renamed, revalued, added or
/// moved: well-formed JSON (mostly) with every kind of field error.
fn edited_objects() -> impl Strategy<Value = Vec<u8>> {
    let object = (exam(), id(), proptest::collection::vec(member_edit(), 0..6));
    (
        proptest::collection::vec(object, 1..4),
        any::<bool>(),
        select(vec!["", " ", "\n", "\r\n\t "]),
    )
        .prop_map(|(objects, array, space)| {
            let objects: Vec<String> = objects
                .into_iter()
                .map(|(exam, id, edits)| object_json(&exam, id.as_ref(), &edits, space))
                .collect();
            if array {
                format!(
                    "[{space}{}{space}]",
                    objects.join(&format!("{space},{space}"))
                )
            } else {
                objects.join("\n")
            }
            .into_bytes()
        })
}

/// Exam objects as a program writes them, one after the other in the same layout (with or
/// without an id first, the same spacing), a few of them edited: what the reader learns of
/// the layout from one object must never change how it reads the next.
fn same_layout_objects() -> impl Strategy<Value = Vec<String>> {
    let object = (
        exam(),
        number_id(),
        prop_oneof![3 => Just(Vec::new()), 1 => proptest::collection::vec(member_edit(), 1..3)],
    );
    (
        proptest::collection::vec(object, 2..6),
        any::<bool>(),
        select(vec!["", " ", "\n  "]),
    )
        .prop_map(|(objects, with_id, space)| {
            objects
                .into_iter()
                .map(|(exam, id, edits)| object_json(&exam, with_id.then_some(&id), &edits, space))
                .collect()
        })
}

/// A change to a text.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
    Duplicate(Index, Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 0..8u8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<Index>(), json_byte()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        (any::<Index>(), json_token()).prop_map(|(i, t)| Mutation::Insert(i, t.into_bytes())),
        (any::<Index>(), 1..20usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Duplicate(a, b)),
    ]
}

fn mutate(text: &mut Vec<u8>, mutation: &Mutation) {
    let len = text.len();
    match mutation {
        Mutation::FlipBit(i, bit) if len > 0 => text[i.index(len)] ^= 1 << bit,
        Mutation::SetByte(i, b) if len > 0 => text[i.index(len)] = *b,
        Mutation::Insert(i, bytes) => {
            let at = i.index(len + 1);
            text.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete(i, n) if len > 0 => {
            let at = i.index(len);
            text.drain(at..(at + n).min(len));
        }
        Mutation::Truncate(i) => text.truncate(i.index(len + 1)),
        Mutation::Duplicate(a, b) if len > 0 => {
            let (x, y) = (a.index(len), b.index(len));
            let (from, to) = (x.min(y), x.max(y).min(x.min(y) + 200));
            let copy = text[from..to].to_vec();
            text.splice(to..to, copy);
        }
        _ => {}
    }
}

/// Valid JSON with one to three exams, as an array or as lines.
fn valid_text() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec((exam(), id()), 1..3),
        any::<bool>(),
    )
        .prop_map(|(exams, array)| {
            let objects: Vec<String> = exams
                .iter()
                .map(|(e, id)| exam_text(e, id.as_ref()))
                .collect();
            if array {
                format!("[{}]", objects.join(","))
            } else {
                objects.join("\n")
            }
            .into_bytes()
        })
}

/// A reader that has read objects whose members come in a different order each time, so that
/// it reads the next objects by its keyed path (templates paused).
fn reader_of_varied_objects() -> Reader {
    let mut rng = Rng::new(11);
    let objects: Vec<String> = (0..8)
        .map(|_| {
            let mut members: Vec<String> = fields(&mixed_exam(&mut rng))
                .map(|(k, v)| format!("\"{k}\":\"{v}\""))
                .collect();
            for k in (1..members.len()).rev() {
                members.swap(k, rng.below(k + 1));
            }
            format!("{{{}}}", members.join(","))
        })
        .collect();
    let mut reader = Reader::new();
    let (records, error) = read_with(&mut reader, format!("[{}]", objects.join(",")).as_bytes());
    assert!(error.is_none() && records.iter().all(|(_, exam)| exam.is_ok()));
    reader.restart(Start::Text);
    reader
}

/// Reads a text whole, in pieces, and with a reader that learnt from other objects (which
/// takes its keyed path): they must agree, and every exam read is classified.
fn read_both_ways(text: &[u8], splits: &[Index]) -> Result<(), TestCaseError> {
    let whole = read_whole(text);
    let pieces = read_in_pieces(text, splits);
    prop_assert_eq!(&pieces, &whole, "text {:?}", String::from_utf8_lossy(text));
    let keyed = read_with(&mut reader_of_varied_objects(), text);
    prop_assert_eq!(
        &keyed,
        &whole,
        "keyed, text {:?}",
        String::from_utf8_lossy(text)
    );
    match (read_all(text), &whole.1) {
        (Ok(records), None) => prop_assert_eq!(records.len(), whole.0.len()),
        (Err(e), Some(w)) => {
            prop_assert_eq!(&e, w);
            prop_assert!(e.offset <= text.len());
            let _ = e.to_string();
        }
        (all, _) => prop_assert!(false, "read_all gave {:?}, next gave {:?}", all, whole.1),
    }
    classify_all(&whole.0);
    Ok(())
}

proptest! {
    #[test]
    fn fuzz_arbitrary_bytes(
        bytes in proptest::collection::vec(any::<u8>(), 0..256),
        splits in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        read_both_ways(&bytes, &splits)?;
    }

    #[test]
    fn fuzz_json_like_bytes(
        bytes in proptest::collection::vec(json_byte(), 0..256),
        splits in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        read_both_ways(&bytes, &splits)?;
    }

    #[test]
    fn fuzz_json_token_soup(
        tokens in proptest::collection::vec(json_token(), 0..64),
        splits in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        read_both_ways(tokens.concat().as_bytes(), &splits)?;
    }

    #[test]
    fn fuzz_edited_exam_objects(
        text in edited_objects(),
        splits in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        read_both_ways(&text, &splits)?;
    }

    #[test]
    fn fuzz_learned_layouts_read_each_object_as_a_fresh_reader_does(
        objects in same_layout_objects(),
    ) {
        let text = format!("[{}]", objects.join(","));
        let (stream, error) = read_whole(text.as_bytes());
        let alone: Vec<Reading> = objects
            .iter()
            .map(|o| read_whole(format!("[{o}]").as_bytes()))
            .collect();
        if error.is_none() && alone.iter().all(|(_, e)| e.is_none()) {
            let expected: Vec<_> = alone.into_iter().flat_map(|(records, _)| records).collect();
            prop_assert_eq!(stream, expected, "text {}", text);
        }
    }

    #[test]
    fn fuzz_restarted_readers_read_as_new_readers_do(
        objects in same_layout_objects(),
        array in any::<bool>(),
    ) {
        // One reader goes from object to object, as a thread reading chunk after chunk does.
        let mut reader = Reader::new();
        for o in &objects {
            let (text, start) = if array {
                (format!("{o}]"), Start::InsideArray)
            } else {
                (format!("{o}\n"), Start::InsideSequence)
            };
            reader.restart(start);
            let mut new = if array { Reader::inside_array() } else { Reader::inside_sequence() };
            let (again, first) = (read_with(&mut reader, text.as_bytes()), read_with(&mut new, text.as_bytes()));
            prop_assert_eq!(again, first, "text {}", text);
        }
        reader.restart(Start::Text);
        let text = format!("[{}]", objects.join(","));
        prop_assert_eq!(read_with(&mut reader, text.as_bytes()), read_whole(text.as_bytes()));
    }

    #[test]
    fn fuzz_mutated_exam_json(
        text in valid_text(),
        mutations in proptest::collection::vec(mutation(), 1..6),
        splits in proptest::collection::vec(any::<Index>(), 0..8),
    ) {
        let mut text = text;
        for m in &mutations {
            mutate(&mut text, m);
        }
        read_both_ways(&text, &splits)?;
    }

    #[test]
    fn fuzz_exam_builder_set(
        pairs in proptest::collection::vec(
            (
                prop_oneof![
                    3 => select(Field::all().map(|f| f.name()).collect::<Vec<_>>()),
                    1 => select(vec!["id", "totals", "note", "injuryComplete"]).prop_map(String::from),
                    1 => any::<String>(),
                    1 => "[a-z0-9_]{0,6}(Right|Left)(Motor|Touch|Prick)",
                ],
                prop_oneof![
                    2 => motor_value().prop_map(|v| v.as_str().to_owned()),
                    1 => select(vec!["Yes", "No", "NT", "0", "C8", "s4-5", " T1 ", ""])
                        .prop_map(String::from),
                    1 => any::<String>(),
                ],
            ),
            0..200,
        ),
    ) {
        let mut builder = ExamBuilder::new();
        for (key, value) in &pairs {
            match builder.set(key, value) {
                Ok(()) => {}
                Err(e) => {
                    let _ = e.to_string();
                    prop_assert_eq!(&e.field, key);
                    if let Problem::Invalid { value: given, .. } = &e.problem {
                        prop_assert_eq!(given, value);
                    }
                }
            }
        }
        match builder.finish() {
            Ok(exam) => check_result_tokens(&exam.classify()),
            Err(e) => prop_assert_eq!(e.problem, Problem::Missing),
        }
    }
}
