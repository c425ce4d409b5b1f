//! Exams as any program may write them, read by the fast reader ([`read_all`], and
//! [`Reader::next`] over the whole text) and by a reference reader built on `serde_json`, which
//! must agree exam for exam: the same ids, the same exams, the same bad field.
//!
//! The texts vary as independent writers' files do: members in the layout's order, in another
//! order the same for every object, or another for each; each object written in a style of its
//! own or all in one; the optional members (the lowest non-key muscles when none,
//! the id) left out of some objects; grades as JSON numbers or strings; ids as numbers or
//! strings; compact, spaced or pretty-printed, with LF or CRLF line ends; an array or one object
//! per line. At most one member of an object is faulty (a value outside the grammar, a number
//! that is not a grade, `true`, `null` for a required field, a key outside the layout), so that
//! the bad field named does not depend on which of two a reader meets first.

use isncsci::flat::json::{read_all, Id};
use isncsci::flat::{fields, parse_key, ExamBuilder, FieldError, Key, Problem};
use isncsci::synth::{mixed_exam, uniform_exam, Rng};
use isncsci::Exam;
use proptest::prelude::*;
use serde_json::Value;

type Exams = Vec<(Option<Id>, Result<Exam, FieldError>)>;

/// The reference: the text parsed by `serde_json`, each object's members given to
/// [`ExamBuilder`] as text (strings as they are, numbers as written, `null` as none for the
/// optional fields).
fn reference(text: &str) -> Exams {
    let values: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        _ => serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .collect::<Result<_, _>>()
            .expect("the test's texts are JSON"),
    };
    values
        .iter()
        .map(|value| {
            let object = value.as_object().expect("exam objects");
            let mut builder = ExamBuilder::new();
            let (mut id, mut error) = (None, None);
            for (key, value) in object {
                match parse_key(key) {
                    Some(Key::Field(field)) => {
                        let text = match value {
                            Value::String(s) => s.clone(),
                            Value::Number(n) => n.to_string(),
                            Value::Null if field.is_required() => "null".into(),
                            Value::Null => "0".into(),
                            Value::Bool(b) => b.to_string(),
                            Value::Array(_) => "an array".into(),
                            Value::Object(_) => "an object".into(),
                        };
                        if let Err(e) = builder.set_field(field, &text) {
                            error.get_or_insert(e);
                        }
                    }
                    Some(Key::Id) => {
                        id = match value {
                            Value::String(s) => Some(Id::Text(s.clone())),
                            Value::Number(n) => Some(Id::Number(n.to_string())),
                            _ => None,
                        }
                    }
                    Some(Key::Annotation) => {}
                    None => {
                        error.get_or_insert(FieldError {
                            field: key.clone(),
                            problem: Problem::Unknown,
                        });
                    }
                }
            }
            (id, error.map_or_else(|| builder.finish(), Err))
        })
        .collect()
}

/// How the objects of a text are written.
#[derive(Clone, Copy, Debug)]
struct Layout {
    /// The members' order: the layout's (0), another the same for every object (1), another
    /// for each (2).
    order: u8,
    /// Every object written in the same style (compact, spaced or pretty-printed).
    one_style: bool,
    /// Chance of leaving an optional member out.
    leave_out: f64,
    /// Chance of writing an object's digit grades as numbers.
    numbers: f64,
    /// Chance of a fault in an object.
    faults: f64,
    /// Line ends.
    crlf: bool,
    /// One object per line (else an array).
    lines: bool,
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        0u8..3,
        any::<bool>(),
        prop_oneof![Just(0.0), Just(0.5), Just(1.0)],
        prop_oneof![Just(0.0), Just(0.5), Just(1.0)],
        prop_oneof![Just(0.0), Just(0.2)],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(order, one_style, leave_out, numbers, faults, crlf, lines)| Layout {
                order,
                one_style,
                leave_out,
                numbers,
                faults,
                crlf,
                lines,
            },
        )
}

/// Values that are not an exam field's, one of which a faulty object has.
const BAD_VALUES: &[&str] = &[
    "\"6\"", "12", "1.0", "-1", "true", "null", "\"x\"", "\"\"", "[5]", "{}", "\"5**\"",
];

/// One exam object; its members shuffled by `order` (the same seed for every object of a text
/// that keeps one order, none for the layout's order), written in the style that `style` picks
/// when every object has the text's style.
fn object(rng: &mut Rng, order: Option<u64>, style: u64, layout: Layout, nl: &str) -> String {
    let exam = if rng.chance(0.5) {
        mixed_exam(rng)
    } else {
        uniform_exam(rng)
    };
    let numbers = rng.chance(layout.numbers);
    let mut members: Vec<(String, String)> = fields(&exam)
        .filter(|(k, v)| !(k.contains("LowestNonKey") && *v == "0" && rng.chance(layout.leave_out)))
        .map(|(k, v)| {
            let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
            let value = if numbers && digits {
                v.to_string()
            } else {
                serde_json::to_string(v).expect("a string")
            };
            (k, value)
        })
        .collect();
    if !rng.chance(layout.leave_out) {
        let id = match rng.below(3) {
            0 => rng.below(1_000_000).to_string(),
            1 => serde_json::to_string(&format!("P-{}\r\n\"é", rng.below(100))).expect("a string"),
            _ => format!("-{}", 1 + rng.below(100)),
        };
        members.insert(0, ("id".into(), id));
    }
    // The order: by the text's seed, the same permutation for the same members.
    if let Some(order) = order {
        let mut shuffle = Rng::new(order);
        for k in (1..members.len()).rev() {
            members.swap(k, shuffle.below(k + 1));
        }
    }
    if rng.chance(layout.faults) {
        let at = rng.below(members.len());
        if rng.chance(0.2) {
            members.insert(at, ("c9LeftMotor".into(), "\"5\"".into()));
        } else if members[at].0 != "id" {
            members[at].1 = rng.pick(BAD_VALUES).to_string();
        }
    }
    let mut text_style = Rng::new(style);
    let style = if layout.one_style {
        &mut text_style
    } else {
        rng
    };
    let pretty = !layout.lines && style.chance(0.3);
    let (open, between, colon, close) = if pretty {
        (
            format!("{{{nl}  "),
            format!(",{nl}  "),
            ": ",
            format!("{nl}}}"),
        )
    } else if style.chance(0.5) {
        ("{".to_string(), ", ".to_string(), ": ", "}".to_string())
    } else {
        ("{".to_string(), ",".to_string(), ":", "}".to_string())
    };
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("\"{k}\"{colon}{v}"))
        .collect();
    format!("{open}{}{close}", body.join(&between))
}

fn text(seed: u64, count: usize, layout: Layout) -> String {
    let mut rng = Rng::new(seed);
    let nl = if layout.crlf { "\r\n" } else { "\n" };
    let objects: Vec<String> = (0..count)
        .map(|i| {
            let order = match layout.order {
                0 => None,
                1 => Some(seed),
                _ => Some(seed ^ (i as u64 + 1)),
            };
            object(&mut rng, order, seed, layout, nl)
        })
        .collect();
    if layout.lines {
        objects.iter().map(|o| format!("{o}{nl}")).collect()
    } else {
        format!("[{nl}{}{nl}]{nl}", objects.join(&format!(",{nl}")))
    }
}

proptest! {
    #[test]
    fn any_writers_layout_reads_as_the_serde_reference_reads_it(
        seed in any::<u64>(),
        count in 1usize..12,
        layout in layout(),
    ) {
        let text = text(seed, count, layout);
        let fast = read_all(text.as_bytes()).map_err(|e| {
            TestCaseError::fail(format!("{e:?} in {text}"))
        })?;
        let fast: Exams = fast.into_iter().map(|r| (r.id, r.exam)).collect();
        let expected = reference(&text);
        prop_assert_eq!(fast.len(), expected.len());
        for (i, (got, want)) in fast.iter().zip(&expected).enumerate() {
            prop_assert_eq!(got, want, "object {} of {:?}:\n{}", i, layout, text);
        }
    }
}

/// The generator makes what it says: clean texts of every kind read whole, and faults are
/// found in faulty ones.
#[test]
fn the_texts_cover_every_layout_and_the_faults_are_found() {
    let mut faulty = 0;
    for seed in 0..64u64 {
        let layout = Layout {
            order: (seed % 3) as u8,
            one_style: seed % 4 < 2,
            leave_out: 0.5,
            numbers: 0.5,
            faults: if seed % 3 == 0 { 1.0 } else { 0.0 },
            crlf: seed % 5 < 2,
            lines: seed % 7 < 3,
        };
        let text = text(seed, 8, layout);
        assert_eq!(text.contains("\r\n"), layout.crlf, "{text}");
        let records = read_all(text.as_bytes()).unwrap();
        assert_eq!(records.len(), 8);
        let bad = records.iter().filter(|r| r.exam.is_err()).count();
        if layout.faults == 0.0 {
            assert_eq!(bad, 0, "{text}");
        }
        faulty += bad;
    }
    assert!(faulty > 50, "{faulty}");
}
